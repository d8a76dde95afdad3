"""Numeric evaluators of sympy expressions and Python callables, float64 or mpmath.

An engine module (it knows nothing about laws): real evaluators that return NaN where a value
is not real or not defined (``evaluator``, ``pair_evaluator``, ``callable_evaluator``), raw
complex ones (``complex_pair``), finite differences where there is no symbolic derivative,
the edge-local form of an expression (vanishing factors expanded near an end), and the zeros
of a derivative (critical points) in float64 and polished in mpmath.

Examples
--------
>>> import sympy as sp
>>> from freealg.kernels.backend import MP
>>> x = sp.Symbol("x")
>>> evaluator(sp.sqrt(x), x, MP)(-1)            # not real: NaN, never an exception
mpf('nan')
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from ..kernels.backend import NP, Backend

__all__ = ["evaluator", "pair_evaluator", "complex_pair", "callable_evaluator",
           "finite_difference", "edge_local", "critical_points", "polish_critical"]


_LAM = sp.Symbol("x_freealg_arg")


def _lambdify(expr: Any, var: sp.Symbol, modules: Any, cse: bool = False) -> Callable:
    """lambdify in ``var`` (through a plain Symbol: lambdify mishandles a bare Dummy), kept per
    expression (the layers of an MLP share their activation's derivatives: 16 lambdify calls
    of ~10 ms each per layer otherwise)."""
    mods = tuple(modules) if isinstance(modules, list) else modules
    try:
        return _lambdify_kept(expr, var, mods, cse)
    except TypeError:              # an unhashable argument: not kept
        return _lambdify_now(expr, var, mods, cse)


@functools.lru_cache(maxsize=1024)
def _lambdify_kept(expr: Any, var: sp.Symbol, modules: Any, cse: bool) -> Callable:
    return _lambdify_now(expr, var, modules, cse)


def _lambdify_now(expr: Any, var: sp.Symbol, modules: Any, cse: bool) -> Callable:
    if isinstance(expr, tuple):
        return sp.lambdify(_LAM, tuple(e.xreplace({var: _LAM}) for e in expr), modules=modules,
                           cse=cse)
    return sp.lambdify(_LAM, sp.sympify(expr).xreplace({var: _LAM}), modules=modules, cse=cse)


_MODULES = {"numpy": ["numpy", "scipy"], "mpmath": "mpmath"}


def evaluator(expr: sp.Expr, var: sp.Symbol, be: Backend) -> Callable:
    """A real evaluator of ``expr`` in ``var``: float64 arrays (``NP``; callers hold
    ``np.errstate``) or mpf scalars (``MP``); NaN where the value is not real or not defined.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from freealg.kernels.backend import MP, NP
    >>> x = sp.Symbol("x")
    >>> evaluator(sp.sqrt(1 - x**2), x, NP)(np.array([0.0, 0.6]))
    array([1. , 0.8])
    >>> evaluator(sp.sqrt(1 - x**2), x, MP)(2)
    mpf('nan')
    """
    fn = _lambdify(expr, var, _MODULES[be.name])
    if be is NP:
        def f(t):
            t = np.asarray(t, dtype=float)
            v = np.asarray(fn(t))
            if v.dtype.kind == "c":
                v = np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
            if v.shape != t.shape:
                v = np.broadcast_to(v, t.shape)
            return v if v.dtype.kind == "f" else v.astype(float)

        return f

    def g(t):
        try:
            v = fn(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan
        if isinstance(v, mpmath.mpc):
            if abs(v.imag) > mpmath.eps * 1e3 * (1 + abs(v.real)):
                return mpmath.nan
            v = v.real
        return mpmath.mpf(v)

    return g


def pair_evaluator(e: sp.Expr, d: sp.Expr, var: sp.Symbol, be: Backend) -> Callable:
    """(e, d) evaluated together (common subexpressions once), else as :func:`evaluator`.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.kernels.backend import MP
    >>> x = sp.Symbol("x")
    >>> pair_evaluator(sp.tanh(x), 1 - sp.tanh(x)**2, x, MP)(0)
    (mpf('0.0'), mpf('1.0'))
    """
    fn = _lambdify((e, d), var, _MODULES[be.name], cse=True)
    fe, fd = evaluator(e, var, be), evaluator(d, var, be)
    if be is NP:
        def f(t):
            t = np.asarray(t, dtype=float)
            a, b = fn(t)
            a, b = np.asarray(a), np.asarray(b)
            if a.dtype.kind == "c" or b.dtype.kind == "c":
                return fe(t), fd(t)
            return (np.broadcast_to(a, t.shape).astype(float),
                    np.broadcast_to(b, t.shape).astype(float))

        return f

    def g(t):
        try:
            a, b = fn(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            return fe(t), fd(t)
        if isinstance(a, mpmath.mpc) or isinstance(b, mpmath.mpc):
            return fe(t), fd(t)
        return mpmath.mpf(a), mpmath.mpf(b)

    return g


def complex_pair(e: sp.Expr, d: sp.Expr, var: sp.Symbol, be: Backend) -> Callable:
    """(e, d) at complex arguments (raw lambdify; callers check finiteness).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.kernels.backend import NP
    >>> x = sp.Symbol("x")
    >>> complex_pair(x**2, 2 * x, x, NP)(1j)
    ((-1+0j), 2j)
    """
    return _lambdify((e, d), var, _MODULES[be.name], cse=True)


def callable_evaluator(fn: Callable, be: Backend) -> Callable:
    """A real evaluator of a Python callable: vectorised when it accepts arrays (else point
    by point) for ``NP``; for ``MP`` a callable that only takes floats is used in double
    precision (NaN for complex values and failures).

    Examples
    --------
    >>> import math, numpy as np
    >>> from freealg.kernels.backend import MP, NP
    >>> callable_evaluator(math.sqrt, NP)(np.array([4.0, 9.0]))
    array([2., 3.])
    >>> callable_evaluator(math.sqrt, MP)(4)
    mpf('2.0')
    """
    if be is NP:
        def f(t):
            t = np.asarray(t, dtype=float)
            try:
                with np.errstate(all="ignore"):
                    v = np.asarray(fn(t), dtype=float)
                if v.shape == t.shape:
                    return v
                if v.shape == ():
                    return np.full(t.shape, float(v))
            except (TypeError, ValueError, AttributeError):
                pass
            flat = [float(fn(float(s))) for s in t.ravel()]
            return np.asarray(flat, dtype=float).reshape(t.shape)

        return f

    def g(t):
        try:
            try:
                v = fn(t)
            except (ZeroDivisionError, OverflowError):
                raise
            except Exception:  # noqa: BLE001 - numpy-only callables reject mpf
                v = fn(float(t))
        except (ZeroDivisionError, OverflowError, ValueError):
            return mpmath.nan
        if isinstance(v, np.ndarray):
            v = v.item()
        if isinstance(v, (np.floating, np.integer)):
            v = float(v)
        if isinstance(v, (complex, mpmath.mpc)):
            return mpmath.nan
        return mpmath.mpf(v)

    return g


def finite_difference(p: Callable, be: Backend, order: int = 1,
                      width: float | None = None) -> Callable:
    """Derivative of order 1 or 2 of a callable that has no symbolic one.

    Float64: central differences, step 1e-5 ``width`` (a density's p' on an interval of that
    width), else relative steps 1e-6 (order 1) and 1e-4 (order 2) of (1 + |s|). mpmath:
    ``mpmath.diff`` (0 where it fails).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> d2 = finite_difference(np.exp, NP, order=2)
    >>> bool(abs(d2(np.array([0.0]))[0] - 1) < 1e-6)
    True
    """
    if be is NP:
        if width is not None:
            h0 = 1e-5 * width

            def dp(t):
                return (p(t + h0) - p(t - h0)) / (2 * h0)

            return dp
        if order == 1:
            def d1(s):
                s = np.asarray(s, dtype=float)
                h = 1e-6 * (1 + np.abs(s))
                return (p(s + h) - p(s - h)) / (2 * h)

            return d1

        def d2(s):
            s = np.asarray(s, dtype=float)
            h = 1e-4 * (1 + np.abs(s))
            return (p(s + h) - 2 * p(s) + p(s - h)) / (h * h)

        return d2

    def dmp(t):
        try:
            return mpmath.diff(p, t, order)
        except Exception:  # noqa: BLE001
            return mpmath.mpf(0)

    return dmp


def edge_local(expr: sp.Expr, var: sp.Symbol, end: sp.Expr, sign: int) -> sp.Expr:
    """expr(end + sign*d) as an expression in ``var`` = d >= 0, with the sums that vanish at
    d = 0 expanded, so that factors such as (x - a) or (4 - x**2) are evaluated without
    cancellation near the end (the ``wL``/``wR`` of a density piece).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> edge_local(sp.sqrt(4 - x**2), x, 2, -1)            # at x = 2 - d
    sqrt(-x**2 + 4*x)
    """
    d = sp.Dummy("d", nonnegative=True)
    e = expr.xreplace({var: end + sign * d})

    def vanishing(a):
        if not (a.is_Add and a.has(d)):
            return False
        try:
            return sp.expand(a.xreplace({d: 0})) == 0
        except Exception:  # noqa: BLE001
            return False

    try:
        e = e.replace(vanishing, lambda a: sp.expand(a))
    except Exception:  # noqa: BLE001
        pass
    return e.xreplace({d: var})


def critical_points(dX: Callable, s0: float, s1: float) -> list:
    """Zeros of a float64 derivative X' in (s0, s1): sign changes on a grid of 4001 points,
    refined by brentq.

    Examples
    --------
    >>> import numpy as np
    >>> [round(c, 12) for c in critical_points(np.cos, 0.0, 4.0)]        # pi/2
    [1.570796326795]
    """
    from scipy.optimize import brentq

    g = np.linspace(s0, s1, 4001)[1:-1]
    d = dX(g)
    out: list = []
    sg = np.sign(d)
    for i in range(len(g) - 1):
        if sg[i] == 0:
            # a run of exact zeros (f' underflows, e.g. far in a Gaussian tail): its two ends
            # only, where a sign change could sit (thousands of candidates otherwise)
            inner = 0 < i and sg[i - 1] == 0 and sg[i + 1] == 0
            if not inner and (not out or out[-1] != g[i]):
                out.append(float(g[i]))
        elif sg[i] * sg[i + 1] < 0:
            try:
                out.append(brentq(lambda t: float(dX(np.array([t]))[0]), g[i], g[i + 1],
                                  xtol=1e-15, rtol=1e-15))
            except ValueError:
                out.append(0.5 * (g[i] + g[i + 1]))
    return out


def polish_critical(dX: Callable, d2X: Callable, s: float) -> Any:
    """Newton on X'(s) = 0 at the current mpmath precision, from a float estimate.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     print(polish_critical(mpmath.cos, lambda t: -mpmath.sin(t), 1.5))
    1.57079632679489661923132169164
    """
    s = mpmath.mpf(s)
    for _ in range(60):
        d2 = d2X(s)
        if d2 == 0:
            break
        step = dX(s) / d2
        s -= step
        if abs(step) <= mpmath.ldexp(1, -mpmath.mp.prec + 6) * (1 + abs(s)):
            break
    return s
