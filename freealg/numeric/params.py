"""Law parameters as numbers: three-valued checks, conversion to a back end, exact rationals.

An engine module: it works on sympy values and on any law-like object (duck typing: a law is
recognised by its ``_exactified`` method and rebuilt as ``type(law)(*law.args)``).

Examples
--------
>>> import sympy as sp
>>> from freealg.kernels.backend import NP
>>> from freealg.numeric.params import numeric_value
>>> numeric_value(sp.sqrt(2), NP)
1.4142135623730951
"""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import NP

__all__ = ["check", "parameter", "numeric_value", "exactified", "parameter_symbols", "substituted"]


def parameter(name: str, value: Any) -> Any:
    """A law or generator parameter as an exact sympy value, without parsing text.

    Numbers (int, float, complex, Fraction, numpy and mpmath scalars, 0-d arrays) and sympy
    expressions are accepted; a float stays a sympy Float. Strings are refused: sympify would
    parse them (and can run code), and a typo would silently become a symbol. Use
    ``sympy.Symbol`` for a symbolic parameter and ``sympy.Rational`` for an exact fraction.

    Examples
    --------
    >>> import sympy as sp
    >>> parameter("t", sp.Rational(1, 3)), parameter("t", 0.5), parameter("t", 2)
    (1/3, 0.500000000000000, 2)
    >>> parameter("variance", "1/2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid variance='1/2': strings are not parsed; ...

    Raises
    ------
    InvalidParameterError
        for strings, bools, None, sequences, arrays with more than one element and other
        objects that are not numbers.
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(name, value, "strings are not parsed; pass a number, "
                                    "sympy.Rational(p, q) for an exact fraction, or "
                                    "sympy.Symbol(name) for a symbolic parameter")
    if isinstance(value, bool) or value is None:
        raise InvalidParameterError(name, value, "must be a number or a sympy expression")
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise InvalidParameterError(name, value, "must be a scalar, not an array")
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, mpmath.mpc):
        return sp.Float(value.real, mpmath.mp.dps) + sp.I * sp.Float(value.imag, mpmath.mp.dps)
    if isinstance(value, (numbers.Number, mpmath.mpf)):
        try:
            return sp.sympify(value, strict=True)
        except (sp.SympifyError, TypeError, ValueError):
            pass
    raise InvalidParameterError(name, value, "must be a number or a sympy expression")


def check(name: str, value: Any, condition: Any, requirement: str) -> None:
    """Raise InvalidParameterError only when ``condition`` is definitely false.

    ``condition`` may be a callable (evaluated here, so that comparisons that sympy cannot make,
    e.g. with NaN or a complex number, become a clear error). NaN and infinite values are
    always rejected; a condition that depends on a symbol passes (three-valued check).

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> check("variance", s, lambda: s > 0, "> 0")
    >>> check("variance", -1, lambda: sp.S(-1) > 0, "must be > 0")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid variance=-1: must be > 0
    """
    for v in (value if isinstance(value, (tuple, list)) else (value,)):
        try:
            sv = sp.sympify(v)
        except (sp.SympifyError, TypeError):
            raise InvalidParameterError(name, value, requirement) from None
        if isinstance(sv, sp.Basic) and sv.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
            raise InvalidParameterError(name, value, "must be finite (not NaN or infinite); "
                                                     + requirement)
    try:
        cond = sp.sympify(condition() if callable(condition) else condition)
    except TypeError:
        raise InvalidParameterError(name, value, requirement) from None
    if cond is sp.false or cond == False:  # noqa: E712 (sympy booleans)
        raise InvalidParameterError(name, value, requirement)


def numeric_value(expr: Any, be: Any, what: str = "a law parameter") -> Any:
    """An exact value as a float/complex (``NP``) or an mpf/mpc at the working precision
    plus guard digits (``MP``); symbols raise UndeterminedError.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.kernels.backend import MP
    >>> with mpmath.workdps(20):
    ...     print(numeric_value(sp.Rational(1, 3), MP))
    0.33333333333333333333
    >>> numeric_value(sp.Symbol("t"), MP)
    Traceback (most recent call last):
    ...
    freealg.errors.UndeterminedError: cannot decide a law parameter: it depends on the
    symbol(s) t; ...
    """
    e = sp.sympify(expr)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    if be is NP:
        return float(e) if e.is_real else complex(e)
    return e.evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 20)


def parameter_symbols(args: Any) -> set:
    """The sympy symbols in a (nested) tuple of law parameters; laws inside count by their
    own ``free_symbols``.

    Examples
    --------
    >>> import sympy as sp
    >>> v = sp.Symbol("v")
    >>> sorted(parameter_symbols((1, (2 * v, 0.5))), key=str)
    [v]
    """
    # one evaluation of the property (hasattr would evaluate it too: twice per level is
    # 2^depth on a deep law tree)
    fs = getattr(args, "free_symbols", None)
    if fs is not None:                      # a law or a sympy object
        return set(fs)
    if isinstance(args, (tuple, list)):
        out: set = set()
        for b in args:
            out |= parameter_symbols(b)
        return out
    if isinstance(args, (bool, int, float)):
        return set()
    return set(getattr(sp.sympify(args), "free_symbols", set()))


def substituted(args: tuple, *subs_args: Any, **kwargs: Any) -> list:
    """Law parameters with sympy ``subs`` applied (inside nested tuples and laws too).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> substituted((t, (2 * t, 1)), t, 3)
    [3, (6, 1)]
    """
    def sub(a):
        if isinstance(a, tuple):
            return tuple(sub(b) for b in a)
        if hasattr(a, "subs"):                # a law or a sympy object
            return a.subs(*subs_args, **kwargs)
        return sp.sympify(a).subs(*subs_args, **kwargs)

    return [sub(a) for a in args]


def _flat(args: Iterable) -> Iterable:
    for a in args:
        if isinstance(a, tuple):
            yield from _flat(a)
        elif hasattr(a, "_exactified"):
            yield from _flat(a.args)
        else:
            yield a


def exactified(law: Any) -> Any:
    """``law`` with every float parameter replaced by the exact rational it stores (the law
    itself when it has none), so that exact algebra reproduces the law that the numeric
    strategies solve (to any dps; sympy's 15-digit float arithmetic would not).

    Examples
    --------
    >>> import freealg as fa
    >>> exactified(fa.free_poisson(0.5))
    free_poisson(rate=1/2, jump=1)
    """
    def conv(a):
        if hasattr(a, "_exactified"):
            return a._exactified()
        if isinstance(a, tuple):
            return tuple(conv(b) for b in a)
        e = sp.sympify(a)
        return e.xreplace({f: sp.Rational(f) for f in e.atoms(sp.Float)})

    floats = any(isinstance(a, sp.Basic) and a.atoms(sp.Float) for a in _flat(law.args))
    return type(law)(*[conv(a) for a in law.args]) if floats else law
