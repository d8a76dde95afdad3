"""Activation functions by name, as sympy expressions in one symbol ``h``.

Sympy (not numpy) so that phi' is exact, the laws of D = diag(phi'(h)) find their atoms exactly
(ReLU' -> bernoulli(1/2), hard-tanh' -> ``bernoulli(P(|h| < 1))``) and LaTeX can print them.

``ACTIVATIONS`` maps each known name ("linear", "relu", "leaky_relu", "hard_tanh", "tanh",
"erf", "sigmoid", "silu", "swish", "gelu") to a function of the activation's parameters (only
leaky_relu takes one, its slope) that returns the sympy expression in ``H``.

Examples
--------
>>> from freealg.nn.activations import activation_expr, H
>>> activation_expr("relu")
Max(0, h)
>>> activation_expr("leaky_relu(0.1)")
Max(h/10, h)
>>> activation_expr(("leaky_relu", 0.2)).subs(H, -1)
-0.200000000000000
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["H", "ACTIVATIONS", "activation_expr", "activation_numpy"]

H = sp.Symbol("h", real=True)


def _leaky(alpha: Any) -> sp.Expr:
    a = sp.nsimplify(alpha) if isinstance(alpha, (int, sp.Rational)) else sp.sympify(alpha)
    if not (a.is_number and 0 <= float(a) < 1):
        raise InvalidParameterError("alpha", alpha, "leaky_relu needs 0 <= alpha < 1")
    return sp.Max(H, a * H)


ACTIVATIONS: dict[str, Callable[..., sp.Expr]] = {
    "linear": lambda: H,
    "relu": lambda: sp.Max(H, 0),
    "leaky_relu": _leaky,
    "hard_tanh": lambda: sp.Max(-1, sp.Min(1, H)),
    "tanh": lambda: sp.tanh(H),
    "erf": lambda: sp.erf(H),
    "sigmoid": lambda: 1 / (1 + sp.exp(-H)),
    "silu": lambda: H / (1 + sp.exp(-H)),
    "swish": lambda: H / (1 + sp.exp(-H)),
    "gelu": lambda: H * (1 + sp.erf(H / sp.sqrt(2))) / 2,
}

_CALL = re.compile(r"^\s*([a-z_]+)\s*(?:\(\s*([-+0-9.eE/]+)\s*\))?\s*$")


def _explicit(spec: Any, expr: sp.Expr) -> sp.Expr:
    """``expr`` when it is an explicit function of h; an undefined function (``g(h)``) or an
    unevaluated derivative has no numeric value, so it is refused here rather than deep in
    the code printer."""
    from sympy.core.function import AppliedUndef

    if expr.atoms(AppliedUndef) or expr.atoms(sp.Derivative) or expr.atoms(sp.Integral):
        raise InvalidParameterError("activation", spec, "must be an explicit function of one "
                                    "variable (it contains an undefined function, derivative "
                                    "or integral, which has no numeric value)")
    return expr


def activation_expr(spec: Any) -> sp.Expr:
    """phi(h) as a sympy expression in ``H`` (the real symbol h) from a specification.

    Names are parsed by a regular expression, never evaluated.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.nn import activation_expr
    >>> activation_expr("hard_tanh")
    Max(-1, Min(1, h))
    >>> activation_expr(("leaky_relu", sp.Rational(1, 4)))
    Max(h/4, h)
    >>> x = sp.Symbol("x")
    >>> activation_expr(x**3)                   # one free symbol, renamed to h
    h**3
    >>> activation_expr("softplus")             # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid activation='softplus': unknown activation;
    known: linear, relu, ...

    Parameters
    ----------
    spec : str, tuple or sympy expression
        A name ("relu", "leaky_relu(0.1)"), a (name, parameter) tuple, or a sympy
        expression/Lambda in one variable (renamed to h).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    InvalidParameterError
        An unknown name, a malformed parameter, or an expression with several free symbols.
    """
    if isinstance(spec, sp.Lambda):
        if len(spec.variables) != 1:
            raise InvalidParameterError("activation", spec, "a sympy Lambda activation takes "
                                                            "exactly one variable")
        (v,) = spec.variables
        return _explicit(spec, spec.expr.subs(v, H))
    if isinstance(spec, sp.Expr):
        syms = sorted(spec.free_symbols, key=str)
        if len(syms) != 1:
            raise InvalidParameterError("activation", spec, "a sympy activation needs exactly "
                                                            "one free symbol")
        return _explicit(spec, spec.subs(syms[0], H))
    args: tuple = ()
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        name, args = spec[0], tuple(spec[1:])
    elif isinstance(spec, str):
        m = _CALL.match(spec)
        if m is None:
            raise InvalidParameterError("activation", spec, "write a name such as 'relu' or "
                                        "'leaky_relu(0.1)'; known: " + ", ".join(ACTIVATIONS))
        name = m.group(1)
        if m.group(2) is not None:
            try:
                args = (sp.Rational(m.group(2)),)
            except (TypeError, ValueError, sp.SympifyError):
                raise InvalidParameterError("activation", spec, "the parameter must be a "
                                                                "number") from None
    else:
        raise InvalidParameterError("activation", spec, "give a name, a (name, parameter) tuple "
                                                        "or a sympy expression in one symbol")
    if name not in ACTIVATIONS:
        raise InvalidParameterError("activation", spec, "unknown activation; known: "
                                    + ", ".join(ACTIVATIONS))
    try:
        return ACTIVATIONS[name](*args)
    except TypeError:
        takes = "one parameter" if name == "leaky_relu" else "no parameters"
        raise InvalidParameterError("activation", spec, f"{name} takes {takes}") from None


def activation_numpy(expr: sp.Expr) -> tuple[Callable, Callable]:
    """(phi, phi') as vectorised numpy functions of h."""
    d = sp.diff(expr, H)
    mods: list[Any] = [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0), "erf": _erf_np},
                       "numpy"]
    return sp.lambdify(H, expr, modules=mods), sp.lambdify(H, d, modules=mods)


def _erf_np(x):
    from scipy.special import erf

    return erf(x)
