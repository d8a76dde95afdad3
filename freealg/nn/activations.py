"""Activation functions by name, as sympy expressions in one symbol ``h``.

Sympy (not numpy) so that phi' is exact, the laws of D = diag(phi'(h)) find their atoms exactly
(ReLU' -> bernoulli(1/2), hard-tanh' -> ``bernoulli(P(|h| < 1))``) and LaTeX can print them.

``ACTIVATIONS`` maps each known name ("linear", "relu", "leaky_relu", "hard_tanh", "tanh",
"erf", "sigmoid", "silu", "swish", "gelu", "softplus", "elu", "selu") to a function of the
activation's parameters (leaky_relu takes its slope, elu optionally its alpha, default 1) that
returns the sympy expression in ``H``. SELU uses the constants of Klambauer et al. 2017
(lambda = 1.0507009873554804934193349852946, alpha = 1.6732632423543772848170429916717).

Numbers are computed from overflow-safe numpy forms of the named activations and of their
derivatives (``expit``, ``logaddexp``, ``ndtr``, ``exp(-2|h|)``): no OverflowError and no NaN for
any finite pre-activation (:func:`activation_numpy`).

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

__all__ = ["H", "ACTIVATIONS", "activation_expr", "activation_numpy", "softplus"]

H = sp.Symbol("h", real=True)


def _leaky(alpha: Any) -> sp.Expr:
    a = sp.nsimplify(alpha) if isinstance(alpha, (int, sp.Rational)) else sp.sympify(alpha)
    if not (a.is_number and 0 <= float(a) < 1):
        raise InvalidParameterError("alpha", alpha, "leaky_relu needs 0 <= alpha < 1")
    return sp.Max(H, a * H)


def _elu(alpha: Any = 1) -> sp.Expr:
    a = sp.nsimplify(alpha) if isinstance(alpha, (int, sp.Rational)) else sp.sympify(alpha)
    if not (a.is_number and a.is_real and float(a) >= 0):
        raise InvalidParameterError("alpha", alpha, "elu needs alpha >= 0")
    return sp.Piecewise((H, H > 0), (a * (sp.exp(H) - 1), True))


class softplus(sp.Function):  # noqa: N801 - printed as the activation's name
    """softplus(h) = log(1 + e^h), whose derivative sympy writes as (1 + tanh(h/2))/2 (finite
    in float64 for any h; sympy's own derivative of log(1 + e^h), e^h/(1 + e^h), is inf/inf for
    h > 709).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.nn.activations import softplus, H
    >>> sp.diff(softplus(H), H)
    tanh(h/2)/2 + 1/2
    >>> softplus(0), sp.N(softplus(1), 15)          # log 2, log(1 + e)
    (log(2), 1.31326168751822)
    """

    @classmethod
    def eval(cls, x):
        if x == 0:
            return sp.log(2)
        return None

    def fdiff(self, argindex=1):
        return (1 + sp.tanh(self.args[0] / 2)) / 2

    def _eval_rewrite_as_log(self, x, **kwargs):
        return sp.log(1 + sp.exp(x))

    def _eval_evalf(self, prec):
        return sp.log(1 + sp.exp(self.args[0]))._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


#: SELU constants (Klambauer, Unterthiner, Mayr, Hochreiter, NIPS 2017), 32 digits.
SELU_LAMBDA = sp.Float("1.0507009873554804934193349852946", 32)
SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 32)


ACTIVATIONS: dict[str, Callable[..., sp.Expr]] = {
    "linear": lambda: H,
    "relu": lambda: sp.Max(H, 0),
    "leaky_relu": _leaky,
    "hard_tanh": lambda: sp.Max(-1, sp.Min(1, H)),
    "tanh": lambda: sp.tanh(H),
    "erf": lambda: sp.erf(H),
    # sigmoid(h) = 1/(1 + e^-h) = (1 + tanh(h/2))/2 and softplus' = the same: the tanh forms
    # keep phi' (and the laws of D = diag(phi'(h)), which evaluate phi' symbolically) finite
    # in float64 for any h
    "sigmoid": lambda: (1 + sp.tanh(H / 2)) / 2,
    "silu": lambda: H * (1 + sp.tanh(H / 2)) / 2,
    "swish": lambda: H * (1 + sp.tanh(H / 2)) / 2,
    "gelu": lambda: H * (1 + sp.erf(H / sp.sqrt(2))) / 2,
    "softplus": lambda: softplus(H),
    "elu": _elu,
    "selu": lambda: SELU_LAMBDA * sp.Piecewise((H, H > 0), (SELU_ALPHA * (sp.exp(H) - 1), True)),
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
    >>> activation_expr("softplus")             # log(1 + e^h), see softplus
    softplus(h)
    >>> activation_expr("mish")                 # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid activation='mish': unknown activation;
    known: linear, relu, ...

    Parameters
    ----------
    spec : str, tuple or sympy expression
        A name ("relu", "leaky_relu(0.1)", "elu(0.5)"), a (name, parameter) tuple, or a sympy
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
        takes = {"leaky_relu": "one parameter", "elu": "at most one parameter"}.get(
            name, "no parameters")
        raise InvalidParameterError("activation", spec, f"{name} takes {takes}") from None


def activation_numpy(expr: sp.Expr) -> tuple[Callable, Callable]:
    """(phi, phi') as vectorised numpy functions of h, overflow-safe.

    The named activations (and any expression equal to one of them) use stable closed forms;
    another expression is lambdified with numpy, evaluated with floating-point warnings
    silenced (an overflow gives inf, never an exception).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.nn.activations import activation_expr, activation_numpy
    >>> phi, dphi = activation_numpy(activation_expr("silu"))
    >>> x = np.array([-1000.0, 0.0, 1000.0])        # exp(1000) would overflow
    >>> print(phi(x) + 0.0, dphi(x) + 0.0)          # silu(h) = h expit(h) and its derivative
    [   0.    0. 1000.] [0.  0.5 1. ]

    Parameters
    ----------
    expr : sympy.Expr
        phi(h) in the symbol ``H``.

    Returns
    -------
    tuple of callables
        phi and phi', each mapping a float array to a float array.
    """
    stable = _stable(expr)
    if stable is not None:
        return stable
    d = sp.diff(expr, H)
    mods: list[Any] = [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, h0), "erf": _erf_np},
                       "numpy"]
    f0, d0 = sp.lambdify(H, expr, modules=mods), sp.lambdify(H, d, modules=mods)

    def quiet(fn):
        def run(h):
            h = np.asarray(h, dtype=float)
            with np.errstate(all="ignore"):
                return np.asarray(fn(h), dtype=float) * np.ones_like(h)
        return run

    return quiet(f0), quiet(d0)


def _erf_np(x):
    from scipy.special import erf

    return erf(x)


def _sech2(h):
    e = np.exp(-2.0 * np.abs(h))        # <= 1: no overflow
    return 4.0 * e / (1.0 + e) ** 2


def _stable(expr: sp.Expr) -> tuple[Callable, Callable] | None:
    """Overflow-safe (phi, phi') for the named activations, None for other expressions."""
    from scipy.special import erf, expit, ndtr

    a = lambda h: np.asarray(h, dtype=float)  # noqa: E731
    table: dict = {
        "tanh": (lambda h: np.tanh(a(h)), lambda h: _sech2(a(h))),
        "erf": (lambda h: erf(a(h)), lambda h: 2 / np.sqrt(np.pi) * np.exp(-a(h) ** 2)),
        "sigmoid": (lambda h: expit(a(h)), lambda h: expit(a(h)) * expit(-a(h))),
        "silu": (lambda h: a(h) * expit(a(h)),
                 lambda h: expit(a(h)) * (1 + a(h) * expit(-a(h)))),
        "gelu": (lambda h: a(h) * ndtr(a(h)),
                 lambda h: ndtr(a(h)) + a(h) * np.exp(-a(h) ** 2 / 2) / np.sqrt(2 * np.pi)),
        "softplus": (lambda h: np.logaddexp(0.0, a(h)), lambda h: expit(a(h))),
    }
    for name, fns in table.items():
        if expr == ACTIVATIONS[name]():
            return fns
    pw = expr.atoms(sp.Piecewise)
    if len(pw) == 1:
        (p,) = pw
        scale = sp.simplify(expr / p)
        if scale.is_number and len(p.args) == 2 and p.args[0] == (H, H > 0):
            rest = sp.expand(p.args[1][0])
            alpha = sp.simplify(rest.coeff(sp.exp(H)))
            if alpha.is_number and sp.simplify(rest - alpha * (sp.exp(H) - 1)) == 0:
                lam, al = float(scale), float(alpha)
                return (lambda h: lam * np.where(a(h) > 0, a(h),
                                                 al * np.expm1(np.minimum(a(h), 0.0))),
                        lambda h: lam * np.where(a(h) > 0, 1.0,
                                                 al * np.exp(np.minimum(a(h), 0.0))))
    return None
