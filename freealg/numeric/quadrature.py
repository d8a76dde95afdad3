"""Cauchy transforms and integrals of densities by tanh-sinh quadrature (float64 and mpmath).

The engine behind the laws given by a density (``from_density``, ``gaussian_pushforward``);
it knows nothing about laws. A density is a sum of *pieces* (:class:`Piece`): either the
density p(t) itself on an interval, or a monotone branch x = X(s) carried by a weight w(s), so
that no root finding is needed at the quadrature nodes and the inverse-square-root edges of a
push-forward (critical values of X) are integrated in the smooth variable s. The Cauchy
transform uses singularity subtraction::

    G(z) = sum_pieces  int (w(s) - c0 |X'(s)|) / (z - X(s)) ds + c0 (log(z - lo) - log(z - hi)),

with x0 = Re z clipped into the piece's range [lo, hi], s* = X^{-1}(x0) and c0 = the piece's
density at x0 (0 where it is infinite). Principal logs give the boundary value PV - i pi rho(x)
on the real axis. The integral is split at s*; each half is integrated by tanh-sinh quadrature
(Takahasi-Mori 1974) after the graded map d = y_e (e^v - 1) of the distance d to s*, where y_e
is the distance of the near-pole of 1/(z - X(s)) (``|z - x0|/|X'(s*)|``, or the quadratic
estimate next to a critical point) or of an edge across s*; two well separated scales get two
graded segments. Distances to s* and to the support ends are formed without cancellation
(``wL(d) = p(A + d)``, ``wR(d) = p(B - d)``).

One tanh-sinh rule serves everything (:func:`tanh_sinh_rule`, the nodes of
x = (1 + tanh(pi/2 sinh u))/2 on [0, 1] with both distances to the ends formed directly). The
mpmath path halves the step until a level changes the sum by less than the square root of the
target accuracy (the next level would square that error: the convergence is doubly
exponential). The float64 path uses fixed rules vectorised over z (h = 1/16, u in [-3.9, 3.9]
for densities; h = 1/40, u in [-3.2, 3.2] for push-forward branches), about 1e-15 relative
except within 1e-9 of a critical value, where z - X(s) cancels in float64. The derivative
G'(z) uses a second-order subtraction (c0 + c1 (x - x0)) in the same pass; it only feeds Newton
Jacobians (about 1e-6 relative in float64 near edges, better elsewhere).

Examples
--------
>>> import mpmath
>>> from freealg.numeric.quadrature import tanh_sinh
>>> v, err = tanh_sinh(lambda t: 1 / mpmath.sqrt(t), 0, 1, dps=30)   # = 2
>>> with mpmath.workdps(30):
...     bool(abs(v - 2) <= err < mpmath.mpf(10) ** -10)
True
"""

from __future__ import annotations

import bisect
import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..kernels.backend import MP, NP, Backend

__all__ = ["Piece", "tanh_sinh_rule", "tanh_sinh", "evaluator", "pair_evaluator", "complex_pair",
           "callable_evaluator", "finite_difference", "cauchy_transform", "integrate",
           "pieces_density", "support_density", "inverse", "critical_points", "polish_critical",
           "edge_local", "edge_kind", "check_density"]

_NP_H = 1.0 / 16              # float64 tanh-sinh step
_NP_UMAX = 3.9                # float64 tanh-sinh range: nodes reach 1e-33 of an interval's end
_MP_JMIN, _MP_JMAX = 3, 10    # mpmath tanh-sinh levels (h = 2^-j)


# ============================================================================================
# numeric evaluators of sympy expressions and callables

_LAM = sp.Symbol("x_freealg_arg")


def _lambdify(expr: Any, var: sp.Symbol, modules: Any, cse: bool = False) -> Callable:
    """lambdify in ``var`` (through a plain Symbol: lambdify mishandles a bare Dummy)."""
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


def _expm1(x):
    """exp(x) - 1 without cancellation (mpmath's expm1 goes through a slow exact sum)."""
    if not x:
        return mpmath.mpf(0)
    m = mpmath.mag(x)
    if m > -1:
        return mpmath.exp(x) - 1
    with mpmath.workprec(mpmath.mp.prec - m + 10):
        r = mpmath.exp(x) - 1
    return +r


def _finite_np(v):
    return np.where(np.isfinite(v), v, 0.0)


# ============================================================================================
# the tanh-sinh rule


def _nodes(m: Any, u: Any, h: Any) -> tuple:
    """Tanh-sinh nodes at u (``m`` is numpy or mpmath): distance sigma from 0, tau = 1 - sigma
    from 1 (both formed directly), and the weight h dx/du."""
    e = m.pi * m.sinh(u)
    sig = 1 / (1 + m.exp(-e))
    tau = 1 / (1 + m.exp(e))
    return sig, tau, h * m.pi * m.cosh(u) * sig * tau


@functools.lru_cache(maxsize=16)
def tanh_sinh_rule(h: float = _NP_H, umax: float = _NP_UMAX) -> tuple:
    """The float64 tanh-sinh rule on [0, 1] with step ``h`` and u in [-umax, umax].

    Returns arrays (sigma, tau, weight): the nodes as distances from 0 and from 1 (both exact
    to rounding, down to 1e-300 of an end, so integrable end singularities are resolved) and the
    weights (including h).

    Examples
    --------
    >>> sig, tau, w = tanh_sinh_rule(1 / 8, 4.5)
    >>> len(w), float(min(sig)) < 1e-60, round(float(sum(w)), 14)
    (73, True, 1.0)

    Parameters
    ----------
    h : float
        The step in u.
    umax : float
        The range of u (the last node is at distance ~exp(-pi/2 e^umax) of the ends).

    Returns
    -------
    tuple of ndarray
    """
    n = int(math.ceil(umax / h))
    return _nodes(np, h * np.arange(-n, n + 1), h)


_MP_NODES: dict = {}


def _mp_level(j: int) -> list:
    """New nodes of level j (h = 2^-j) at the current precision: (sigma, tau, weight/h),
    u up to where the nodes reach 10^-(2 dps + 10) of the ends."""
    prec = mpmath.mp.prec
    key = (j, prec)
    out = _MP_NODES.get(key)
    if out is not None:
        return out
    with mpmath.workprec(prec + 20):
        digits = prec * 0.30103
        umax = mpmath.asinh(mpmath.log(10) * (2 * digits + 10) / mpmath.pi)
        h = mpmath.ldexp(1, -j)
        n = int(mpmath.floor(umax / h))
        out = [_nodes(mpmath, k * h, 1) for k in range(-n, n + 1) if j == 0 or k % 2]
    if len(_MP_NODES) > 200:
        _MP_NODES.clear()
    _MP_NODES[key] = out
    return out


def _adaptive_sum(F: Callable, ncomp: int, rel: Any, floor: Any = 0) -> tuple[list, Any, Any]:
    """Adaptive mpmath tanh-sinh sum of F(sigma, tau) (a list of ``ncomp`` values) over [0, 1].

    Stops when successive levels of the first component agree to ``rel`` times the L1 size of
    the sum (the error of the last level is then about rel^2: the convergence is doubly
    exponential), or to the absolute ``floor`` (an accuracy that is enough for the caller, e.g.
    when the sum is a small correction to a closed-form part). Returns (sums, |difference of
    the last two levels| of the first component, L1 size of the first component).
    """
    S: list = []
    L1 = mpmath.mpf(0)
    err = mpmath.inf
    for j in range(_MP_JMAX + 1):
        h = mpmath.ldexp(1, -j)
        acc = [mpmath.mpf(0)] * ncomp
        a1 = mpmath.mpf(0)
        for sg, ta, wf in _mp_level(j):
            vals = F(sg, ta)
            for i in range(ncomp):
                acc[i] += vals[i] * wf
            a1 += abs(vals[0]) * wf
        if j == 0:
            S = [h * a for a in acc]
            L1 = h * a1
            continue
        new = [s / 2 + h * a for s, a in zip(S, acc)]
        L1 = L1 / 2 + h * a1
        err = abs(new[0] - S[0])
        S = new
        if j >= _MP_JMIN and (err <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2))
                              or err <= floor):
            break
    return S, err, L1


def _tail(terms: Sequence[Any], isfinite: Callable) -> Any:
    """Bound of what one side of a tanh-sinh sum leaves out beyond its outermost finite term
    (terms ordered from that end inwards): the term itself where it is the outermost node
    (truncation of the rule's range), 8 times it where nodes beyond it were dropped (f not
    finite where the node rounded onto the end: an integrable end singularity d^-alpha,
    alpha < 1, leaves out less than that)."""
    for i, t in enumerate(terms):
        if isfinite(t):
            return abs(t) * (1 if i == 0 else 8)
    return math.inf


def tanh_sinh(f: Callable, a: Any, b: Any, dps: int | None = None) -> tuple[Any, Any]:
    """Integral of f over [a, b] by the tanh-sinh rule, with an error bound.

    Integrable singularities at the ends (x^-1/2, log x, sqrt(1 - x), ...) are resolved: the
    nodes approach the ends doubly exponentially (to 1e-61 of the width in float64,
    10^-(2 dps + 10) in mpmath) and are formed as ``a + d`` or ``b - d`` from the nearer end.
    Where such a node rounds onto the end and f is not finite there, the node counts as 0 and
    the error bound says what that leaves out.

    Float64 (``dps=None``; f is called on arrays): the step is halved from 1/8 to 1/128 until
    two levels agree to 1e-14 of the L1 norm. mpmath (``dps`` digits, f called on mpf scalars,
    computed at dps + 10): the step is halved until a level changes the sum by less than
    10^-(dps/2 + 2) of the L1 norm, after which the next level has squared that error.

    The returned error is the change between the last two levels (which bounds the error of
    the coarser level, and the last level's with it while the convergence is doubly
    exponential), plus the rounding, plus a bound of what lies beyond the outermost finite
    nodes (the truncation of the rule's range, or nodes dropped at a singular end).

    Examples
    --------
    >>> import mpmath, numpy as np
    >>> v, err = tanh_sinh(np.sqrt, 0, 1)                      # 2/3
    >>> bool(abs(v - 2 / 3) <= err <= 1e-12)
    True
    >>> v, err = tanh_sinh(lambda t: mpmath.log(t), 0, 1, dps=50)   # -1
    >>> with mpmath.workdps(50):
    ...     bool(abs(v + 1) <= err < mpmath.mpf(10) ** -20)
    True

    Parameters
    ----------
    f : callable
        The integrand (vectorised over numpy arrays when ``dps`` is None).
    a, b : number
        Finite ends, a < b.
    dps : int or None
        None: float64; else the precision in significant digits.

    Returns
    -------
    (value, error)
        floats, or mpf at ``dps`` digits.

    Raises
    ------
    InvalidParameterError
        Ends that are not finite numbers with a < b, or dps not a positive integer.
    NoConvergence
        The levels do not settle (the integrand is not integrable or not smooth inside).
    """
    if dps is not None and (isinstance(dps, bool) or not isinstance(dps, (int, np.integer))
                            or dps <= 0):
        raise InvalidParameterError("dps", dps, "the precision must be a positive integer")
    if dps is None:
        try:
            A, B = float(a), float(b)
        except (TypeError, ValueError):
            raise InvalidParameterError("a, b", (a, b), "the ends must be real numbers") \
                from None
        if not (math.isfinite(A) and math.isfinite(B) and A < B):
            raise InvalidParameterError("a, b", (a, b), "the ends must be finite with a < b")
        W = B - A
        prev, change = math.nan, math.inf
        for h in (1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128):
            sig, tau, w = tanh_sinh_rule(h, 4.5)
            with np.errstate(all="ignore"):
                x = np.where(sig <= tau, A + W * sig, B - W * tau)
                raw = W * w * np.asarray(f(x), dtype=float)
            t = _finite_np(raw)
            val = float(np.sum(t))
            l1 = float(np.sum(np.abs(t)))
            change = abs(val - prev)          # nan at the first level
            if change <= 1e-14 * l1:
                break
            prev = val
        else:
            raise NoConvergence("tanh-sinh quadrature (float64)", residual=change,
                                advice="split the interval at interior singularities or "
                                       "pass dps for an adaptive mpmath rule")
        tails = _tail(raw, np.isfinite) + _tail(raw[::-1], np.isfinite)
        return val, change + 1e-15 * l1 + tails / h
    dps = int(dps)
    with mpmath.workdps(dps + 10):
        try:
            A, B = mpmath.mpf(a), mpmath.mpf(b)
        except (TypeError, ValueError):
            raise InvalidParameterError("a, b", (a, b), "the ends must be real numbers") \
                from None
        if not (mpmath.isfinite(A) and mpmath.isfinite(B) and A < B):
            raise InvalidParameterError("a, b", (a, b), "the ends must be finite with a < b")
        W = B - A

        def raw(sg, ta):
            try:
                return W * f(A + W * sg if sg <= ta else B - W * ta)
            except (ZeroDivisionError, ValueError, OverflowError):
                return mpmath.nan

        def F(sg, ta):
            v = raw(sg, ta)
            return (v if mpmath.isfinite(v) else mpmath.mpf(0),)

        rel = mpmath.mpf(10) ** (-(dps // 2) - 2)
        (S,), diff, L1 = _adaptive_sum(F, 1, rel)
        if not diff <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2)):
            raise NoConvergence("tanh-sinh quadrature", dps=dps, residual=diff,
                                advice="split the interval at interior singularities")
        # what lies beyond the outermost finite nodes, from the coarsest level (step 1)
        terms = [raw(sg, ta) * wt for sg, ta, wt in _mp_level(0)]
        tails = _tail(terms, mpmath.isfinite) + _tail(terms[::-1], mpmath.isfinite)
        err = diff + mpmath.mpf(10) ** (-dps - 8) * L1 + tails
    with mpmath.workdps(dps):
        return +S, +err


# ============================================================================================
# pieces: one monotone branch of the density


@dataclass
class Piece:
    """One piece of a density for one back end and precision (mutable on purpose: it caches
    its inversion table).

    Either the density itself on [s0, s1] = [lo, hi] (``ident``; ``w`` is the density, and
    ``wL(d) = w(A + d)``, ``wR(d) = w(B - d)`` evaluate it near the support ends A, B without
    cancellation), or a monotone branch x = X(s), s in [s0, s1], with weight w(s): the density
    at x = X(s) is w(s)/|X'(s)| and [lo, hi] = X([s0, s1]). Build a density piece with
    :meth:`density`.

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> pc = Piece.density(lambda t: np.full_like(t, 0.5), -1.0, 1.0)    # uniform on [-1, 1]
    >>> G, _, _ = cauchy_transform([pc], np.array([2.0 + 0j]), NP)       # log(3)/2
    >>> bool(abs(G[0] - np.log(3) / 2) < 1e-14)
    True
    """

    s0: Any
    s1: Any
    lo: Any
    hi: Any
    ident: bool
    w: Callable                    # weight in s (density for ident pieces)
    dw: Any = None     # its derivative
    X: Any = None      # the map (None: identity)
    dX: Any = None
    d2X: Any = None
    sgn: int = 1
    A: Any = None                  # support ends for the edge-local evaluators (ident only)
    B: Any = None
    wL: Any = None     # w(A + d)
    wR: Any = None     # w(B - d)
    meta: tuple = ()               # push-forward: (piece index, truncated0, truncated1,
    #                                 critical0, critical1, s0 float, s1 float)
    XdX: Any = None    # (X, X') together (common subexpressions once)
    XdXc: Any = None   # the same for complex s (symbolic f only), for poles
    crit_lo: bool = False          # the density is infinite at lo / hi (critical value of X)
    crit_hi: bool = False
    trunc_lo: bool = False         # lo / hi is the image of a truncated Gaussian tail
    trunc_hi: bool = False
    tab: Any = None                # (x increasing, s) table for inverting X

    def __post_init__(self):
        if not self.ident and self.XdX is None:
            X, dX = self.X, self.dX
            self.XdX = lambda s: (X(s), dX(s))
        if not self.ident and self.meta:
            tr0, tr1, cr0, cr1 = self.meta[1:5]
            self.crit_lo, self.crit_hi = (cr0, cr1) if self.sgn > 0 else (cr1, cr0)
            self.trunc_lo, self.trunc_hi = (tr0, tr1) if self.sgn > 0 else (tr1, tr0)

    @classmethod
    def density(cls, p: Callable, a: Any, b: Any, dp: Callable | None = None,
                wL: Callable | None = None, wR: Callable | None = None, A: Any = None,
                B: Any = None) -> "Piece":
        """The density ``p`` on [a, b] as a piece (support ends A, B, default a, b).

        ``dp`` is its derivative (only needed for G'), ``wL``/``wR`` the edge-local forms
        (default p(A + d), p(B - d)).

        Examples
        --------
        >>> Piece.density(lambda t: 1.0, 0.0, 1.0).lo
        0.0
        """
        A = a if A is None else A
        B = b if B is None else B
        wL = wL or (lambda d: p(A + d))
        wR = wR or (lambda d: p(B - d))
        return cls(a, b, a, b, True, p, dw=dp, A=A, B=B, wL=wL, wR=wR)

    @property
    def nosub_lo(self) -> bool:
        """No subtraction when x0 is clipped to lo: the density is infinite there (critical
        value) or may be huge (the truncation point of a tail, e.g. erf(h) near 1)."""
        return self.crit_lo or self.trunc_lo

    @property
    def nosub_hi(self) -> bool:
        return self.crit_hi or self.trunc_hi


# --------------------------------------------------------------------------------------------
# scalar/array primitives: each algorithm below is written once, for the vectorised float64
# path (arrays and masks; callers hold np.errstate) and the mpmath path (one point, branches)


def _where(be: Backend, c, a, b):
    return np.where(c, a, b) if be is NP else (a if c else b)


def _isfinite(be: Backend, v):
    return np.isfinite(v) if be is NP else mpmath.isfinite(v)


def _finite(be: Backend, v):
    """v where it is finite, else 0."""
    return _where(be, _isfinite(be, v), v, be.mpf(0))


def _div(be: Backend, a, b):
    """a / b, non-finite where b = 0 (as float64 gives; mpmath would raise)."""
    if be is NP:
        return a / b
    return a / b if b != 0 else mpmath.inf


def _clip(be: Backend, v, lo, hi):
    return np.clip(v, lo, hi) if be is NP else min(max(v, lo), hi)


def _pos(be: Backend, v):
    return np.maximum(v, 0.0) if be is NP else max(v, 0)


def _rho_ident(pc: Piece, x, be: Backend):
    """The density of an identity piece at x, evaluated from the nearer support end."""
    da = x - pc.A
    db = pc.B - x
    if be is NP:
        return np.where(da <= db, pc.wL(np.maximum(da, 0.0)), pc.wR(np.maximum(db, 0.0)))
    return pc.wL(max(da, 0)) if da <= db else pc.wR(max(db, 0))

def _table(pc: Piece, be: Backend):
    """Inversion table of a monotone piece, x increasing: X at Chebyshev nodes in s
    (clustered at both ends, where X may be critical); 257 float64 or 65 mpmath nodes."""
    if pc.tab is None:
        if be is NP:
            n = 257
            sg = pc.s0 + (pc.s1 - pc.s0) * (0.5 * (1 - np.cos(np.pi * np.arange(n) / (n - 1))))
            xg = pc.X(sg)
        else:
            n = 65
            sg = [pc.s0 + (pc.s1 - pc.s0) * (1 - mpmath.cos(mpmath.pi * i / (n - 1))) / 2
                  for i in range(n)]
            xg = [pc.X(v) for v in sg]
        if pc.sgn < 0:
            xg, sg = xg[::-1], sg[::-1]
        pc.tab = (np.maximum.accumulate(xg), sg) if be is NP else (xg, sg)
    return pc.tab


def inverse(pc: Piece, x0: Any, be: Backend) -> Any:
    """X^{-1}(x0) on a monotone piece (x0 clipped to its range): vectorised float64 (``NP``)
    or one mpf at the working precision (``MP``); a bracket from a table of X at Chebyshev
    nodes (clustered at the critical ends), then Newton safeguarded by bisection.

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> pc = Piece(0.0, 2.0, 0.0, 4.0, False, np.ones_like, X=np.square,
    ...            dX=lambda s: 2 * s, d2X=lambda s: 2 + 0 * s)
    >>> inverse(pc, np.array([1.0, 2.25, 9.0]), NP)
    array([1. , 1.5, 2. ])
    """
    with np.errstate(all="ignore"):          # float64: callers need no errstate
        return _inverse(pc, x0, be)


def _inverse(pc: Piece, x0: Any, be: Backend) -> Any:
    arr = be is NP
    tx, ts = _table(pc, be)
    if arr:
        x0 = np.asarray(x0, dtype=float)
        k = np.clip(np.searchsorted(tx, x0), 1, len(tx) - 1)
    else:
        k = min(max(bisect.bisect_left(tx, x0), 1), len(tx) - 1)
    sa, sb = ts[k - 1], ts[k]
    xa, xb = tx[k - 1], tx[k]
    lo_s, hi_s = (np.minimum(sa, sb), np.maximum(sa, sb)) if arr else (min(sa, sb), max(sa, sb))
    t = _where(be, xb > xa, _div(be, x0 - xa, xb - xa), 0.5)
    s = sa + _clip(be, t, 0, 1) * (sb - sa)
    # at or beyond the ends the root is the end itself (possibly a critical point)
    end = (x0 <= tx[0]) | (x0 >= tx[-1])
    s = _where(be, x0 <= tx[0], ts[0], _where(be, x0 >= tx[-1], ts[-1], s))
    if not arr and end:
        return s
    lo_s, hi_s = _where(be, end, s, lo_s), _where(be, end, s, hi_s)
    tol0 = 4e-16 if arr else mpmath.ldexp(1, -mpmath.mp.prec + 4)
    for _ in range(60 if arr else 200):
        g = pc.sgn * (pc.X(s) - x0)
        if not arr and g == 0:
            return s
        hi_s = _where(be, g > 0, s, hi_s)
        lo_s = _where(be, g <= 0, s, lo_s)
        s_new = s - _div(be, g, pc.sgn * pc.dX(s))
        bad = (s_new <= lo_s) | (s_new >= hi_s)
        bad = (~np.isfinite(s_new) | bad) if arr else (not mpmath.isfinite(s_new) or bad)
        s_new = _where(be, bad, 0.5 * (lo_s + hi_s), s_new)
        if arr:
            s_new = np.where(end, s, s_new)
        tol = tol0 * (1 + be.abs(s))
        done = (be.abs(s_new - s) <= tol) | (hi_s - lo_s <= tol)
        s = s_new
        if np.all(done):
            break
    return s

def _pole(pc: Piece, z, x0, dz, be: Backend):
    """Complex Newton for X(s) = z, started at X^{-1}(x0 moved into the range by |z - x0|).
    Returns (s_p, ok); ok where it converged to within 1e-3 |z - x0| (a grading scale needs
    no more)."""
    arr = be is NP
    inward = _where(be, x0 >= pc.hi, -1.0, _where(be, x0 <= pc.lo, 1.0, 0.0))
    half = 0.5 * (pc.hi - pc.lo)
    xm = _clip(be, x0 + inward * (np.minimum(dz, half) if arr else min(dz, half)), pc.lo, pc.hi)
    # start off the axis on the side of the pole (X(s + i e) ~ X(s) + i e X'(s)): Newton on a
    # real function stays real from a real start
    side = pc.sgn * _where(be, be.imag(z) < 0, -1.0, 1.0)
    s = inverse(pc, xm, be) + 0.25j * side * min(1, pc.s1 - pc.s0)
    try:
        for _ in range(40 if arr else 60):
            Xs, d = pc.XdXc(s)
            step = (Xs - z) / d
            big = be.abs(step) > 0.5          # damped: X can grow fast off the axis
            step = _where(be, big, 0.5 * step / be.abs(step), step)
            s = _where(be, _isfinite(be, step), s - step, s)
            if not arr and abs(step) < mpmath.mpf(10) ** -8 * (1 + abs(s)):
                break
        Xs, _ = pc.XdXc(s)
    except (ZeroDivisionError, ValueError, OverflowError):   # mpmath only
        return s, False
    ok = _isfinite(be, s) & (be.abs(Xs - z) <= 1e-3 * dz) & \
        (be.abs(be.imag(s)) < pc.s1 - pc.s0)
    return s, ok


class _Point:
    """Per-point data of one piece (arrays over the points for NP, scalars for MP)."""

    __slots__ = ("z", "xr", "y", "x0", "sstar", "wl", "wr", "c0", "c1", "ys")
    z: Any
    xr: Any
    y: Any
    x0: Any
    sstar: Any
    wl: Any
    wr: Any
    c0: Any
    c1: Any
    ys: Any

    def rows(self, r) -> "_Point":
        """The data of rows r as columns (broadcast against the nodes)."""
        out = _Point()
        for k in self.__slots__:
            setattr(out, k, getattr(self, k)[r][:, None])
        return out


def _setup(pc: Piece, z, want_d: bool, be: Backend) -> _Point:
    """x0 = Re z clipped to the piece, s* = X^{-1}(x0), the half widths, the subtraction
    constants c0, c1 and the grading scale ys (module docstring)."""
    arr = be is NP
    zero = be.mpf(0)
    p = _Point()
    p.z, p.xr, p.y = z, be.real(z), be.imag(z)
    x0 = p.x0 = _clip(be, p.xr, pc.lo, pc.hi)
    inside = (x0 > pc.lo) & (x0 < pc.hi)
    sstar = x0 if pc.ident else inverse(pc, x0, be)
    if pc.ident:
        dxs = be.mpf(1)
        c0 = _rho_ident(pc, x0, be)
        c1 = pc.dw(x0) if want_d and (arr or inside) else zero
    else:
        dxs = pc.dX(sstar)
        c0 = _div(be, pc.w(sstar), be.abs(dxs))
        if want_d and (arr or (inside and dxs != 0)):
            c1 = pc.sgn * _div(be, pc.dw(sstar) * dxs - pc.w(sstar) * pc.d2X(sstar), dxs**3)
        else:
            c1 = zero
    at_crit = ((x0 <= pc.lo) & pc.nosub_lo) | ((x0 >= pc.hi) & pc.nosub_hi)
    c0 = _where(be, at_crit, zero, _finite(be, c0))
    c1 = _where(be, inside, _finite(be, c1), zero)
    # distance (in s) of the near-pole of 1/(z - X(s)) from s*: a grading scale (linear
    # estimate, or the quadratic one next to a critical point)
    dz = be.abs(z - x0)
    ys = _div(be, dz, be.abs(dxs))
    if not pc.ident:
        d2 = be.abs(pc.d2X(sstar))
        yq = (np.sqrt if arr else mpmath.sqrt)(_div(be, 2 * dz, d2))
        ys = _where(be, _isfinite(be, yq) & (yq < ys), yq, ys)
        ys = _where(be, _isfinite(be, ys), ys, zero)
        if pc.XdXc is not None:
            # where X' varies over the feature (compressed tails), locate the pole s_p of
            # 1/(z - X(s)) by complex Newton: split at Re s_p, grade with |Im s_p|
            steady = d2 * ys <= 0.5 * be.abs(dxs)
            shaky = (dz > 0) & (np.logical_not(steady) if arr else not steady)
            if arr:
                k = np.nonzero(shaky)[0]
                if k.size:
                    sp_, ok = _pole(pc, z[k], x0[k], dz[k], NP)
                    k, sp_ = k[ok], sp_[ok]
            elif shaky:
                sp_, ok = _pole(pc, z, x0, dz, MP)
                k = ok
            if (arr and k.size) or (not arr and shaky and k):
                re = _clip(be, be.real(sp_), pc.s0, pc.s1)
                tiny = 1e-12 * (pc.s1 - pc.s0)
                re = _where(be, re - pc.s0 < tiny, pc.s0, _where(be, pc.s1 - re < tiny, pc.s1, re))
                yp = be.abs(be.imag(sp_)) + be.abs(be.real(sp_) - re)
                if arr:
                    sstar, ys, c0, c1 = (np.array(v, dtype=t) for v, t in
                                         ((sstar, float), (ys, float), (c0, float), (c1, float)))
                    sstar[k], ys[k], c0[k], c1[k] = re, yp, 0.0, 0.0
                else:
                    sstar, ys, c0, c1 = re, yp, zero, zero
    else:
        ys = _where(be, _isfinite(be, ys), ys, zero)
    p.sstar, p.c0, p.c1, p.ys = sstar, c0, c1, ys
    p.wl, p.wr = _pos(be, sstar - pc.s0), _pos(be, pc.s1 - sstar)
    return p


def _graded(be: Backend, W, d0, d1, ye, V, sig, tau):
    """Graded nodes on [d0, d1] within a half [0, W] (distance from s*): the map
    d = d0 + ye (e^v - 1), v in [0, V = log(1 + (d1 - d0)/ye)], spreads a feature at distance
    ~ye from d0 over O(1) in v. Returns (distance to s*, distance to the half's far end,
    dd/dsigma)."""
    em1 = np.expm1 if be is NP else _expm1
    g = ye * em1(V * sig)
    df = (W - d1) + ((d1 - d0) + ye) * -em1(-V * tau)
    return d0 + g, df, V * (g + ye)


def _terms(pc: Piece, p: _Point, side: int, dn, df, wt, want_d: bool, be: Backend):
    """The subtracted integrands of G and G' at graded nodes of one half (side -1: below s*);
    None, None at a node of negligible weight where s rounded onto s* (mpmath)."""
    if pc.ident:
        if side < 0:
            off_a = (pc.s0 - pc.A) + df
            off_b = (pc.B - pc.s1) + p.wr + dn
        else:
            off_a = (pc.s0 - pc.A) + p.wl + dn
            off_b = (pc.B - pc.s1) + df
        if be is NP:
            val = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
        else:
            val = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
        DX = side * dn                                  # X(s) - x0
        D = (p.xr - p.x0) - DX + 1j * p.y
        adX = 1.0
    else:
        sv = p.sstar + side * dn
        Xs, adX = pc.XdX(sv)
        adX = be.abs(adX)
        val = pc.w(sv)
        DX = Xs - p.x0
        D = p.z - Xs
    num = val - p.c0 * adX
    if be is MP and (not mpmath.isfinite(num) or D == 0):
        return None, None
    t1 = wt * num / D
    t2 = wt * (num - p.c1 * DX * adX) / (D * D) if want_d else None
    return t1, t2


def _close(pc: Piece, p: _Point, S0, S1, want_d: bool, be: Backend) -> tuple:
    """Add back the subtracted c0 + c1 (x - x0) terms in closed form."""
    z, c0, c1 = p.z, p.c0, p.c1
    if be is MP and c0 == 0 and c1 == 0:
        return S0, (-S1 if want_d else None)
    Lz = be.log(z - pc.lo) - be.log(z - pc.hi)
    G = S0 + _where(be, c0 != 0, c0 * Lz, 0.0)
    if not want_d:
        return G, None
    R = 1 / (z - pc.hi) - 1 / (z - pc.lo)
    return G, -(S1 + _where(be, c0 != 0, c0 * R, 0.0)
                + _where(be, c1 != 0, c1 * ((z - p.x0) * R - Lz), 0.0))


def _piece_gdg_np(pc: Piece, z, want_d: bool):
    """Cauchy transform of one piece and its derivative on an array z (shape (m,)): the
    fixed float64 rule, vectorised over points x nodes."""
    # map pieces: the Gaussian weight is smooth at the ends, but X can squeeze many x-scales
    # into a short s-range (exponential tails): a finer, shorter rule
    sig, tau, om = tanh_sinh_rule() if pc.ident else tanh_sinh_rule(1.0 / 40, 3.2)
    G = np.zeros(z.shape, dtype=complex)
    I2 = np.zeros(z.shape, dtype=complex)
    with np.errstate(all="ignore"):
        p = _setup(pc, z, want_d, NP)
        ys = p.ys
        # nodes within sqrt(eps) of s* carry rounding noise eps/d^2 in the G' integrand (true
        # size O(rho'' d)): dropped
        dmin = 1.5e-8 * (pc.s1 - pc.s0)
        for side, Wall, oall in ((-1, p.wl, p.wr), (1, p.wr, p.wl)):
            rows = np.nonzero(Wall > 0)[0]
            if not rows.size:
                continue
            W, other, ysr = Wall[rows], oall[rows], ys[rows]
            # one graded segment per scale: the near-pole distance and (an edge across s*)
            # the other half's width; two well separated scales get two segments
            a = np.where((ysr > 0) & (ysr < W), ysr, np.inf)
            # an edge across s* closer than 1e-13 W has no weight worth grading for
            b = np.where((other > 1e-13 * W) & (other < W), other, np.inf)
            small, big = np.minimum(a, b), np.maximum(a, b)
            split = (big < W / 2) & (small < big / 8)
            segs: list = [(np.zeros_like(W), np.where(split, big, W),
                     np.where(np.isfinite(small), small, W), slice(None))]
            if np.any(split):
                k = np.nonzero(split)[0]
                segs.append((big[k], W[k], big[k], k))
            for d0, d1, ye, sub in segs:
                r = rows[sub]
                Wc, d0, d1 = W[sub][:, None], d0[:, None], d1[:, None]
                ye = np.where(ye > 0, ye, 1.0)[:, None]
                dn, df, wt = _graded(NP, Wc, d0, d1, ye, np.log1p((d1 - d0) / ye), sig, tau)
                t1, t2 = _terms(pc, p.rows(r), side, dn, df, wt * om, want_d, NP)
                G[r] += np.sum(np.where(np.isfinite(t1), t1, 0.0), axis=1)
                if want_d:
                    I2[r] += np.sum(np.where(np.isfinite(t2) & (dn > dmin), t2, 0.0), axis=1)
        return _close(pc, p, G, I2, want_d, NP)


def _segment_plan(W, other, ys):
    """Graded segments of one half [0, W] (distance from s*): a list of (d0, d1, scale); the
    scalar form of the float64 plan in :func:`_piece_gdg_np`."""
    sc = sorted(v for v in (ys, other if other > W * 1e-13 else 0) if 0 < v < W)
    if len(sc) == 2 and sc[1] < W / 2 and sc[0] < sc[1] / 8:
        return [(0, sc[1], sc[0]), (sc[1], W, sc[1])]
    return [(0, W, sc[0] if sc else W)]


def _piece_gdg_mp(pc: Piece, z, want_d: bool, rel):
    """Cauchy transform of one piece and its derivative at one point z: the adaptive mpmath
    rule."""
    p = _setup(pc, z, want_d, MP)
    segs = []
    for side, W, other in ((-1, p.wl, p.wr), (1, p.wr, p.wl)):
        if W == 0:
            continue
        for d0, d1, ye in _segment_plan(W, other, p.ys):
            segs.append((side, W, d0, d1, ye, mpmath.log1p((d1 - d0) / ye)))
    zero = mpmath.mpf(0)
    dmin = mpmath.ldexp(1, -mpmath.mp.prec // 2) * (pc.s1 - pc.s0)

    def F(sg, ta):
        out0, out1 = zero, zero
        for side, W, d0, d1, ye, V in segs:
            dn, df, wt = _graded(MP, W, d0, d1, ye, V, sg, ta)
            t1, t2 = _terms(pc, p, side, dn, df, wt, want_d, MP)
            if t1 is None:
                continue
            out0 += t1
            if want_d and dn > dmin:
                out1 += t2
        return out0, out1

    # a sum that is only a small correction to the closed-form part (a nearly constant
    # density after the subtraction) is done once its change is below the target relative to
    # that part: rel^2 |c0 (log(z - lo) - log(z - hi))|
    floor = 0
    if p.c0 != 0:
        floor = rel * rel * abs(p.c0) * abs(mpmath.log(z - pc.lo) - mpmath.log(z - pc.hi))
    (S0, S1), err, _ = _adaptive_sum(F, 2, rel, floor if mpmath.isfinite(floor) else 0)
    G, dG = _close(pc, p, S0, S1, want_d, MP)
    return G, dG, err


# ============================================================================================
# drivers: Cauchy transform, integrals and the density of a list of pieces


def cauchy_transform(pieces: Sequence[Piece], z: Any, be: Backend,
                     derivative: bool = False) -> tuple:
    """G(z) = int rho(x)/(z - x) dx of the density given by ``pieces`` (and G'(z)).

    ``NP``: z a complex array (any shape), vectorised in float64 (chunks bound the
    points x nodes arrays). ``MP``: z one number; computed at the working precision + 20 bits
    with the tanh-sinh levels stopped at the square root of the working precision less 30 bits
    (the caller's guard digits). On the real axis the boundary value from C+ is returned.

    Examples
    --------
    >>> import mpmath
    >>> from freealg.kernels.backend import MP
    >>> pc = Piece.density(lambda t: mpmath.mpf(1) / 2, mpmath.mpf(-1), mpmath.mpf(1))
    >>> with mpmath.workdps(30):
    ...     G, dG, err = cauchy_transform([pc], mpmath.mpc(2), MP, derivative=True)
    ...     bool(abs(G - mpmath.log(3) / 2) < 1e-25), bool(abs(dG + mpmath.mpf(1) / 3) < 1e-20)
    (True, True)

    Parameters
    ----------
    pieces : sequence of Piece
        Built for the back end ``be`` (and, for ``MP``, at the working precision).
    z : complex array or number
        Points of the closed upper half plane.
    be : Backend
        ``NP`` or ``MP``.
    derivative : bool
        Also compute G'(z) (None otherwise).

    Returns
    -------
    (G, dG, error)
        ``error``: the largest change between the last two tanh-sinh levels (``MP``), None
        for ``NP`` (fixed rules).
    """
    if be is NP:
        z = np.asarray(z, dtype=complex)
        shape = z.shape
        flat = z.ravel()
        G = np.zeros(flat.shape, dtype=complex)
        dG = np.zeros(flat.shape, dtype=complex)
        nodes = 2 * len(tanh_sinh_rule(1.0 / 40, 3.2)[0])
        chunk = max(1, 400_000 // max(1, nodes))     # bounds the (points x nodes) arrays
        with np.errstate(all="ignore"):
            for s in range(0, len(flat), chunk):
                zc = flat[s:s + chunk]
                for pc in pieces:
                    g, dg = _piece_gdg_np(pc, zc, derivative)
                    G[s:s + chunk] += g
                    if derivative:
                        dG[s:s + chunk] += dg
        return G.reshape(shape), (dG.reshape(shape) if derivative else None), None
    # tanh-sinh doubles the digits per level: stop when a level changes the sum by less than
    # sqrt(tol), tol = the entry precision less 30 bits (of the caller's guard digits)
    rel = mpmath.ldexp(1, -(mpmath.mp.prec - 30) // 2)
    with mpmath.workprec(mpmath.mp.prec + 20):
        z = mpmath.mpc(z)
        G, dG = mpmath.mpc(0), mpmath.mpc(0)
        err = mpmath.mpf(0)
        for pc in pieces:
            g, dg, e = _piece_gdg_mp(pc, z, derivative, rel)
            G += g
            err = max(err, e)
            if derivative:
                dG += dg
    return +G, (+dG if derivative else None), err


def integrate(pieces: Sequence[Piece], g: Callable, be: Backend, dps: int = 30) -> Any:
    """int g(x) rho(x) dx over the pieces (g analytic on them).

    ``NP``: the fixed float64 rule (g vectorised); ``MP``: ``dps`` digits (the pieces must
    have been built at dps + 10 or more).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> pc = Piece.density(lambda t: 1.5 * t**2, -1.0, 1.0)
    >>> round(integrate([pc], lambda t: t**2, NP), 14)      # 3/5
    0.6
    """
    if be is NP:
        sig, tau, om = tanh_sinh_rule()
        with np.errstate(all="ignore"):
            return sum(float(np.sum(om * _moment_terms(pc, g, sig, tau, NP))) for pc in pieces)
    with mpmath.workdps(dps + 10):
        total = mpmath.mpf(0)
        rel = mpmath.mpf(10) ** (-(dps // 2) - 1)
        for pc in pieces:
            (S,), _, _ = _adaptive_sum(
                lambda sg, ta, pc=pc: (_moment_terms(pc, g, sg, ta, MP),), 1, rel)
            total += S
    with mpmath.workdps(dps):
        return +total


def _moment_terms(pc: Piece, g: Callable, sig, tau, be: Backend):
    """width * rho * g at the nodes s0 + width sigma = s1 - width tau of a piece (0 where not
    finite); the density of an identity piece from the nearer support end."""
    width = pc.s1 - pc.s0
    if pc.ident:
        off_a = (pc.s0 - pc.A) + width * sig
        off_b = (pc.B - pc.s1) + width * tau
        if be is NP:
            v = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
        else:
            v = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
        r = width * v * g(pc.s0 + width * sig)
    else:
        s = pc.s0 + width * sig
        r = width * pc.w(s) * g(pc.X(s))
    return _finite(be, r)


def support_density(pc: Piece, x: Any, be: Backend) -> Any:
    """The density of an identity piece anywhere on its support (A, B), evaluated from the
    nearer end (``wL``/``wR``); 0 outside (and, in float64, where it is not finite).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> pc = Piece.density(lambda t: 1.5 * t**2, -1.0, 1.0)
    >>> support_density(pc, np.array([-2.0, 0.5, 1.0]), NP)
    array([0.   , 0.375, 0.   ])
    """
    if be is NP:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            v = _rho_ident(pc, x, NP)
        return np.where((x > pc.A) & (x < pc.B) & np.isfinite(v), v, 0.0)
    return _rho_ident(pc, x, MP) if pc.A < x < pc.B else mpmath.mpf(0)


def check_density(p: Callable, a: Any, b: Any, shown: Any) -> None:
    """Refuse a float64 density ``p`` on (a, b) that cannot be evaluated or is negative
    (beyond 1e-12 of its largest value) on a grid of 512 midpoints; ``shown`` names it in
    the error.

    Examples
    --------
    >>> import numpy as np
    >>> check_density(lambda t: 1 - t, 0, 2, "1 - x")     # first negative midpoint 1 + 1/512
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid pdf='1 - x': the density must be >= 0
    (pdf(1.00195) = -0.00195312)
    """
    A, B = float(a), float(b)
    grid = A + (B - A) * (np.arange(512) + 0.5) / 512
    with np.errstate(all="ignore"):
        vals = np.asarray(p(grid), dtype=float)
    fin = np.isfinite(vals)
    if not np.any(fin):
        raise InvalidParameterError("pdf", shown, f"the density cannot be evaluated on ({a}, {b})")
    scale = float(np.max(np.abs(vals[fin])))
    neg = fin & (vals < -1e-12 * max(scale, 1e-300))
    if np.any(neg):
        i = int(np.argmax(neg))
        raise InvalidParameterError("pdf", shown, f"the density must be >= 0 (pdf({grid[i]:.6g}) "
                                                  f"= {vals[i]:.6g})")


def edge_kind(pc: Piece, side: str) -> str:
    """'soft' where the density of an identity piece vanishes at its support end A (``side``
    'left') or B ('right'): its value 10^-20 of the width inside is below 1e-8/width (at the
    working mpmath precision); 'hard' otherwise (a jump or a divergence).

    Examples
    --------
    >>> import mpmath
    >>> pc = Piece.density(lambda t: 6 * t * (1 - t), mpmath.mpf(0), mpmath.mpf(1))
    >>> with mpmath.workdps(30):
    ...     edge_kind(pc, "left"), edge_kind(Piece.density(lambda t: 1, pc.A, pc.B), "right")
    ('soft', 'hard')
    """
    width = pc.B - pc.A
    try:
        v = (pc.wL if side == "left" else pc.wR)(mpmath.mpf(10) ** -20 * width)
    except (ValueError, ZeroDivisionError, OverflowError):
        return "hard"
    return "soft" if mpmath.isfinite(v) and abs(v) * width < 1e-8 else "hard"


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


def pieces_density(pieces: Sequence[Piece], x: Any, be: Backend) -> Any:
    """The density sum w(s)/|X'(s)| over the monotone map pieces whose range contains x
    (float64 array, or one mpf at the working precision).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> pc = Piece(0.0, 1.0, 0.0, 1.0, False, np.ones_like, X=np.square,
    ...            dX=lambda s: 2 * s, d2X=lambda s: 2 + 0 * s)    # x = s^2, s uniform
    >>> pieces_density([pc], np.array([0.25, 2.0]), NP)              # 1/(2 sqrt x)
    array([1., 0.])
    """
    arr = be is NP
    if arr:
        x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape) if arr else mpmath.mpf(0)
    for pc in pieces:
        inside = (x > pc.lo) & (x < pc.hi)
        if not np.any(inside):
            continue
        s = inverse(pc, x[inside] if arr else x, be)
        with np.errstate(all="ignore"):
            r = _finite(be, _div(be, pc.w(s), be.abs(pc.dX(s))))
        if arr:
            out[inside] += r
        else:
            out += r
    return out


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
        if sg[i] == 0 and (not out or out[-1] != g[i]):
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
