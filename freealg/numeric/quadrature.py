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

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..kernels.backend import MP, NP, Backend

__all__ = ["Piece", "tanh_sinh_rule", "tanh_sinh", "evaluator", "pair_evaluator", "finite_difference",
           "critical_points", "polish_critical",
           "complex_pair", "callable_evaluator", "cauchy_transform", "integrate",
           "pieces_density", "inverse"]

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


def _adaptive_sum(F: Callable, ncomp: int, rel: Any) -> tuple[list, Any, Any]:
    """Adaptive mpmath tanh-sinh sum of F(sigma, tau) (a list of ``ncomp`` values) over [0, 1].

    Stops when successive levels of the first component agree to ``rel`` times the L1 size of
    the sum (the error of the last level is then about rel^2: the convergence is doubly
    exponential). Returns (sums, |difference of the last two levels| of the first component,
    L1 size of the first component).
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
        if j >= _MP_JMIN and err <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2)):
            break
    return S, err, L1


def tanh_sinh(f: Callable, a: Any, b: Any, dps: int | None = None) -> tuple[Any, Any]:
    """Integral of f over [a, b] by the tanh-sinh rule, with an error bound.

    Integrable singularities at the ends (x^-1/2, log x, sqrt(1 - x), ...) are resolved: the
    nodes approach the ends doubly exponentially, and a node is given to ``f`` as ``a + d``
    or ``b - d`` from the nearer end with the distance d exact. Non-finite values of f at
    nodes that round onto an end count as 0.

    Float64 (``dps=None``; f is called on arrays): the step is halved from 1/8 to 1/128 until
    two levels agree to 1e-14 of the L1 norm. mpmath (``dps`` digits, f called on mpf scalars,
    computed at dps + 10): the step is halved until a level changes the sum by less than
    10^-(dps/2 + 2) of the L1 norm, after which the next level has squared that error.

    The returned error is the change between the last two levels (which bounds the error of
    the coarser level, and the last level's with it while the convergence is doubly
    exponential) plus the rounding and the truncation of the rule's range (the terms at its
    outermost nodes).

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
        prev = None
        for h in (1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128):
            sig, tau, w = tanh_sinh_rule(h, 4.5)
            with np.errstate(all="ignore"):
                x = np.where(sig <= tau, A + W * sig, B - W * tau)
                t = W * w * np.asarray(f(x), dtype=float)
            t = _finite_np(t)
            val = float(np.sum(t))
            l1 = float(np.sum(np.abs(t)))
            if prev is not None and abs(val - prev) <= 1e-14 * l1:
                break
            prev = val
        else:
            raise NoConvergence("tanh-sinh quadrature (float64)", residual=abs(val - prev),
                                advice="split the interval at interior singularities or "
                                       "pass dps for an adaptive mpmath rule")
        err = abs(val - prev) + 1e-15 * l1 + abs(t[0]) + abs(t[-1])
        return val, err
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
        zero = mpmath.mpf(0)

        def F(sg, ta):
            v = W * f(A + W * sg if sg <= ta else B - W * ta)
            return (v if mpmath.isfinite(v) else zero,)

        rel = mpmath.mpf(10) ** (-(dps // 2) - 2)
        (S,), diff, L1 = _adaptive_sum(F, 1, rel)
        if not diff <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2)):
            raise NoConvergence("tanh-sinh quadrature", dps=dps, residual=diff,
                                advice="split the interval at interior singularities")
        # the outermost nodes of the finest level: the truncation of the rule's range
        lev = _mp_level(0)
        tails = sum(abs(F(*lev[k][:2])[0] * lev[k][2]) for k in (0, -1))
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
    dw: Callable | None = None     # its derivative
    X: Callable | None = None      # the map (None: identity)
    dX: Callable | None = None
    d2X: Callable | None = None
    sgn: int = 1
    A: Any = None                  # support ends for the edge-local evaluators (ident only)
    B: Any = None
    wL: Callable | None = None     # w(A + d)
    wR: Callable | None = None     # w(B - d)
    meta: tuple = ()               # push-forward: (piece index, truncated0, truncated1,
    #                                 critical0, critical1, s0 float, s1 float)
    XdX: Callable | None = None    # (X, X') together (common subexpressions once)
    XdXc: Callable | None = None   # the same for complex s (symbolic f only), for poles
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



def _rho_ident(pc: Piece, x, be: Backend):
    """The density of an identity piece at x, evaluated from the nearer support end."""
    da = x - pc.A
    db = pc.B - x
    if be is NP:
        return np.where(da <= db, pc.wL(np.maximum(da, 0.0)), pc.wR(np.maximum(db, 0.0)))
    return pc.wL(max(da, 0)) if da <= db else pc.wR(max(db, 0))

def _table_np(pc: Piece, n: int = 257):
    """Inversion table of a monotone piece: nodes clustered at both ends (critical points)."""
    if pc.tab is None:
        t = 0.5 * (1 - np.cos(np.pi * np.arange(n) / (n - 1)))
        sg = pc.s0 + (pc.s1 - pc.s0) * t
        xg = pc.X(sg)
        if pc.sgn < 0:
            xg, sg = xg[::-1], sg[::-1]
        pc.tab = (np.maximum.accumulate(xg), sg)
    return pc.tab


def _inv_np(pc: Piece, x0):
    """Vectorised inverse of X on the monotone piece: the bracket from a table, then Newton
    safeguarded by bisection, to machine precision."""
    x0 = np.asarray(x0, dtype=float)
    tx, ts = _table_np(pc)
    k = np.clip(np.searchsorted(tx, x0), 1, len(tx) - 1)
    sa, sb = ts[k - 1], ts[k]
    xa, xb = tx[k - 1], tx[k]
    lo_s, hi_s = np.minimum(sa, sb), np.maximum(sa, sb)
    with np.errstate(all="ignore"):
        t = np.where(xb > xa, (x0 - xa) / (xb - xa), 0.5)
        s = sa + np.clip(t, 0, 1) * (sb - sa)
        # at or beyond the ends the root is the end itself (possibly a critical point)
        end = (x0 <= tx[0]) | (x0 >= tx[-1])
        s = np.where(x0 <= tx[0], ts[0], np.where(x0 >= tx[-1], ts[-1], s))
        lo_s = np.where(end, s, lo_s)
        hi_s = np.where(end, s, hi_s)
        for _ in range(60):
            g = pc.sgn * (pc.X(s) - x0)
            hi_s = np.where(g > 0, s, hi_s)
            lo_s = np.where(g <= 0, s, lo_s)
            step = g / (pc.sgn * pc.dX(s))
            s_new = s - step
            bad = ~np.isfinite(s_new) | (s_new <= lo_s) | (s_new >= hi_s)
            s_new = np.where(bad, 0.5 * (lo_s + hi_s), s_new)
            s_new = np.where(end, s, s_new)
            tol = 4e-16 * (1 + np.abs(s))
            done = (np.abs(s_new - s) <= tol) | (hi_s - lo_s <= tol)
            s = s_new
            if np.all(done):
                break
    return s



def _inv_mp(pc: Piece, x0):
    """Inverse of X on the monotone piece (mpmath): a bracket from a table, then safeguarded
    Newton to the working precision."""
    if x0 <= pc.lo:
        return pc.s0 if (pc.sgn > 0) else pc.s1
    if x0 >= pc.hi:
        return pc.s1 if (pc.sgn > 0) else pc.s0
    if pc.tab is None:
        n = 65
        sg = [pc.s0 + (pc.s1 - pc.s0) * (1 - mpmath.cos(mpmath.pi * i / (n - 1))) / 2
              for i in range(n)]
        pc.tab = ([pc.X(v) for v in sg], sg)
    xs, ss = pc.tab
    # bisect the table (x increasing along s when sgn > 0)
    i, j = 0, len(ss) - 1
    while j - i > 1:
        m = (i + j) // 2
        if (xs[m] < x0) == (pc.sgn > 0):
            i = m
        else:
            j = m
    a, b = ss[i], ss[j]
    s = (a + b) / 2
    tol = mpmath.ldexp(1, -mpmath.mp.prec + 4) * (1 + abs(s))
    for _ in range(200):
        fs = pc.X(s) - x0
        if fs == 0:
            return s
        if (fs > 0) == (pc.sgn > 0):
            b = s
        else:
            a = s
        d = pc.dX(s)
        step = fs / d if d != 0 else mpmath.inf
        s_new = s - step
        if not (a < s_new < b):
            s_new = (a + b) / 2
            step = s - s_new
        s = s_new
        if abs(step) <= tol or b - a <= tol:
            break
    return s



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
    return _inv_np(pc, x0) if be is NP else _inv_mp(pc, x0)

def _pole_np(pc: Piece, z, x0, dz):
    """Complex Newton for X(s) = z, started at X^{-1}(x0 moved into the range by |z - x0|).
    Returns (s_p, ok); ok where it converged to within 1e-3 |z - x0| (a grading scale needs
    no more)."""
    inward = np.where(x0 >= pc.hi, -1.0, np.where(x0 <= pc.lo, 1.0, 0.0))
    xm = np.clip(x0 + inward * np.minimum(dz, 0.5 * (pc.hi - pc.lo)), pc.lo, pc.hi)
    # start off the axis on the side of the pole (X(s + i e) ~ X(s) + i e X'(s)): Newton on a
    # real function stays real from a real start
    side = pc.sgn * np.where(z.imag < 0, -1.0, 1.0)
    s = _inv_np(pc, xm) + 0.25j * side * min(1.0, pc.s1 - pc.s0)
    with np.errstate(all="ignore"):
        for _ in range(40):
            Xs, d = pc.XdXc(s)
            step = (Xs - z) / d
            big = np.abs(step) > 0.5          # damped: X can grow fast off the axis
            step = np.where(big, 0.5 * step / np.abs(step), step)
            s = np.where(np.isfinite(step), s - step, s)
        Xs, _ = pc.XdXc(s)
        ok = np.isfinite(s) & (np.abs(Xs - z) <= 1e-3 * dz) & \
            (np.abs(s.imag) < pc.s1 - pc.s0)
    return s, ok


def _pole_mp(pc: Piece, z, x0, dz):
    """mpmath version of :func:`_pole_np` (scalar); None when Newton does not converge."""
    inward = -1 if x0 >= pc.hi else (1 if x0 <= pc.lo else 0)
    xm = min(max(x0 + inward * min(dz, (pc.hi - pc.lo) / 2), pc.lo), pc.hi)
    side = pc.sgn * (-1 if z.imag < 0 else 1)
    s = mpmath.mpc(_inv_mp(pc, xm), side * min(1, pc.s1 - pc.s0) / 4)
    try:
        for _ in range(60):
            Xs, d = pc.XdXc(s)
            step = (Xs - z) / d
            if abs(step) > 0.5:
                step = step / abs(step) / 2
            s -= step
            if abs(step) < mpmath.mpf(10) ** -8 * (1 + abs(s)):
                break
        Xs, _ = pc.XdXc(s)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    if not (mpmath.isfinite(s.real) and mpmath.isfinite(s.imag)):
        return None
    if abs(Xs - z) > dz / 1000 or abs(s.imag) >= pc.s1 - pc.s0:
        return None
    return s



def _segment_plan(W, other, ys):
    """Graded segments of one half [0, W] (distance from s*): a list of (d0, d1, scale).

    The features of the integrand near s* sit at the near-pole distance ``ys`` and at the
    distance ``other`` of the piece's other end (an edge singularity across s*). One graded
    segment resolves one scale; two well separated scales get two segments.
    """
    sc = sorted(v for v in (ys, other if other > W * 1e-13 else 0) if 0 < v < W)
    if len(sc) == 2 and sc[1] < W / 2 and sc[0] < sc[1] / 8:
        return [(0, sc[1], sc[0]), (sc[1], W, sc[1])]
    return [(0, W, sc[0] if sc else W)]


def _graded_np(W, d0, d1, ye, sig, tau, om):
    """Graded tanh-sinh nodes on [d0, d1] within a half [0, W] (rows x nodes): the map
    d = d0 + ye (e^v - 1), v in [0, log(1 + (d1 - d0)/ye)], spreads a feature at distance ~ye
    from d0 over O(1) in v. Returns (distance to s*, distance to the half's far end, weight)."""
    with np.errstate(all="ignore"):
        Wd = d1 - d0
        ye = np.where(ye > 0, ye, 1.0)
        V = np.log1p(Wd / ye)
        g = ye * np.expm1(V * sig)
        dn = d0 + g
        df = (W - d1) + (Wd + ye) * -np.expm1(-V * tau)
        wt = V * om * (g + ye)
    return dn, df, wt



def _piece_gdg_np(pc: Piece, z, want_d: bool):
    """Cauchy transform of one piece and its derivative on an array z (shape (m,))."""
    # map pieces: the Gaussian weight is smooth at the ends, but X can squeeze many x-scales
    # into a short s-range (exponential tails): a finer, shorter rule
    sig, tau, om = tanh_sinh_rule() if pc.ident else tanh_sinh_rule(1.0 / 40, 3.2)
    xr, y = z.real, z.imag
    x0 = np.clip(xr, pc.lo, pc.hi)
    inside = (x0 > pc.lo) & (x0 < pc.hi)
    G = np.zeros(z.shape, dtype=complex)
    I2 = np.zeros(z.shape, dtype=complex)
    with np.errstate(all="ignore"):
        sstar = x0 if pc.ident else _inv_np(pc, x0)
        wl = np.maximum(sstar - pc.s0, 0.0)
        wr = np.maximum(pc.s1 - sstar, 0.0)
        if pc.ident:
            dxs = np.ones_like(x0)
            c0 = _rho_ident(pc, x0, NP)
            c1 = pc.dw(x0) if want_d else np.zeros_like(x0)
        else:
            dxs = pc.dX(sstar)
            c0 = pc.w(sstar) / np.abs(dxs)
            if want_d:
                c1 = pc.sgn * (pc.dw(sstar) * dxs - pc.w(sstar) * pc.d2X(sstar)) / dxs**3
            else:
                c1 = np.zeros_like(x0)
        at_crit = ((x0 <= pc.lo) & pc.nosub_lo) | ((x0 >= pc.hi) & pc.nosub_hi)
        c0 = np.where(at_crit, 0.0, _finite_np(c0))
        c1 = np.where(inside, _finite_np(c1), 0.0)
        # distance (in s) of the near-pole of 1/(z - X(s)) from s*: a grading scale (linear
        # estimate, or the quadratic one next to a critical point)
        dz = np.abs(z - x0)
        ys = dz / np.abs(dxs)
        if not pc.ident:
            yq = np.sqrt(2 * dz / np.abs(pc.d2X(sstar)))
            ys = np.where(np.isfinite(yq) & (yq < ys), yq, ys)
        ys = np.where(np.isfinite(ys), ys, 0.0)
        if not pc.ident and pc.XdXc is not None:
            # where X' varies over the feature (compressed tails), locate the pole s_p of
            # 1/(z - X(s)) by complex Newton: split at Re s_p, grade with |Im s_p|
            with np.errstate(all="ignore"):
                shaky = (dz > 0) & ~(np.abs(pc.d2X(sstar)) * ys <= 0.5 * np.abs(dxs))
            if np.any(shaky):
                k = np.nonzero(shaky)[0]
                sp_, ok = _pole_np(pc, z[k], x0[k], dz[k])
                k, sp_ = k[ok], sp_[ok]
                sstar = np.array(sstar, dtype=float)
                ys = np.array(ys)
                re = np.clip(sp_.real, pc.s0, pc.s1)
                tiny = 1e-12 * (pc.s1 - pc.s0)
                re = np.where(re - pc.s0 < tiny, pc.s0, np.where(pc.s1 - re < tiny, pc.s1, re))
                sstar[k] = re
                ys[k] = np.abs(sp_.imag) + np.abs(sp_.real - re)
                c0 = np.array(c0)
                c1 = np.array(c1)
                c0[k] = 0.0
                c1[k] = 0.0
                wl = np.maximum(sstar - pc.s0, 0.0)
                wr = np.maximum(pc.s1 - sstar, 0.0)
        dmin = 1.5e-8 * (pc.s1 - pc.s0)

        def accumulate(rows, side, W, other):
            """Add the graded-segment sums of one half for the given rows."""
            W, other, ysr = W[rows], other[rows], ys[rows]
            inf = np.inf
            a = np.where((ysr > 0) & (ysr < W), ysr, inf)
            # an edge across s* closer than 1e-13 W has no weight worth grading for
            b = np.where((other > 1e-13 * W) & (other < W), other, inf)
            small, big = np.minimum(a, b), np.maximum(a, b)
            split = (big < W / 2) & (small < big / 8)
            scale1 = np.where(np.isfinite(small), small, W)
            d1 = np.where(split, big, W)
            segs = [(np.zeros_like(W), d1, scale1, slice(None))]
            if np.any(split):
                k = np.nonzero(split)[0]
                segs.append((big[k], W[k], big[k], k))
            for d0s, d1s, yes, sub in segs:
                r = rows[sub]
                dn, df, wt = _graded_np(W[sub][:, None], d0s[:, None], d1s[:, None],
                                        yes[:, None], sig, tau, om)
                x0r, c0r, c1r = x0[r][:, None], c0[r][:, None], c1[r][:, None]
                if pc.ident:
                    if side < 0:
                        off_a = (pc.s0 - pc.A) + df
                        off_b = (pc.B - pc.s1) + wr[r][:, None] + dn
                    else:
                        off_a = (pc.s0 - pc.A) + wl[r][:, None] + dn
                        off_b = (pc.B - pc.s1) + df
                    val = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
                    DX = side * dn                                  # X(s) - x0
                    D = (xr[r] - x0[r])[:, None] - DX + 1j * y[r][:, None]
                    adX = 1.0
                else:
                    sv = sstar[r][:, None] + side * dn
                    Xs, adX = pc.XdX(sv)
                    adX = np.abs(adX)
                    val = pc.w(sv)
                    DX = Xs - x0r
                    D = z[r][:, None] - Xs
                num = val - c0r * adX
                t1 = wt * num / D
                G[r] += np.sum(np.where(np.isfinite(t1), t1, 0.0), axis=1)
                if want_d:
                    t2 = wt * (num - c1r * DX * adX) / (D * D)
                    # nodes within sqrt(eps) of s* carry rounding noise eps/d^2 (true size
                    # O(rho'' d)): drop them
                    ok = np.isfinite(t2) & (dn > dmin)
                    I2[r] += np.sum(np.where(ok, t2, 0.0), axis=1)

        for side, W, other in ((-1, wl, wr), (1, wr, wl)):
            rows = np.nonzero(W > 0)[0]
            if rows.size:
                accumulate(rows, side, W, other)
        Lz = NP.log(z - pc.lo) - NP.log(z - pc.hi)
        G = G + np.where(c0 != 0, c0 * Lz, 0.0)
        if not want_d:
            return G, None
        R = 1 / (z - pc.hi) - 1 / (z - pc.lo)
        dG = -(I2 + np.where(c0 != 0, c0 * R, 0.0)
               + np.where(c1 != 0, c1 * ((z - x0) * R - Lz), 0.0))
    return G, dG


def _piece_gdg_mp(pc: Piece, z, want_d: bool, rel):
    """Cauchy transform of one piece and its derivative at one point z (mpmath)."""
    xr, y = z.real, z.imag
    x0 = min(max(xr, pc.lo), pc.hi)
    inside = pc.lo < x0 < pc.hi
    sstar = x0 if pc.ident else _inv_mp(pc, x0)
    wl = max(sstar - pc.s0, 0)
    wr = max(pc.s1 - sstar, 0)
    zero = mpmath.mpf(0)
    if pc.ident:
        dxs = mpmath.mpf(1)
        c0 = _rho_ident(pc, x0, MP)
        c1 = pc.dw(x0) if (want_d and inside) else zero
    else:
        dxs = pc.dX(sstar)
        c0 = pc.w(sstar) / abs(dxs) if dxs != 0 else mpmath.inf
        if want_d and inside and dxs != 0:
            c1 = pc.sgn * (pc.dw(sstar) * dxs - pc.w(sstar) * pc.d2X(sstar)) / dxs**3
        else:
            c1 = zero
    c0 = c0 if mpmath.isfinite(c0) else zero
    c1 = c1 if mpmath.isfinite(c1) else zero
    if (x0 <= pc.lo and pc.nosub_lo) or (x0 >= pc.hi and pc.nosub_hi):
        c0 = zero
    # grading scale: distance of the near-pole of 1/(z - X(s)) from s* (linear estimate, or
    # the quadratic one next to a critical point)
    dz = abs(z - x0)
    ys = dz / abs(dxs) if dxs != 0 else mpmath.inf
    if not pc.ident:
        d2 = abs(pc.d2X(sstar))
        if d2 != 0 and mpmath.isfinite(d2):
            ys = min(ys, mpmath.sqrt(2 * dz / d2))
    if not mpmath.isfinite(ys):
        ys = zero
    if not pc.ident and pc.XdXc is not None and dz > 0:
        d2 = abs(pc.d2X(sstar))
        if not (d2 * ys <= abs(dxs) / 2):
            # X' varies over the feature (compressed tails): locate the pole of 1/(z - X(s))
            spole = _pole_mp(pc, z, x0, dz)
            if spole is not None:
                re = min(max(spole.real, pc.s0), pc.s1)
                tiny = (pc.s1 - pc.s0) * mpmath.mpf(10) ** -12
                re = pc.s0 if re - pc.s0 < tiny else (pc.s1 if pc.s1 - re < tiny else re)
                ys = abs(spole.imag) + abs(spole.real - re)
                sstar, c0, c1 = re, zero, zero
                wl, wr = sstar - pc.s0, pc.s1 - sstar
    segs = []
    for side, W, other in ((-1, wl, wr), (1, wr, wl)):
        if W == 0:
            continue
        for d0, d1, ye in _segment_plan(W, other, ys):
            segs.append((side, W, d0, d1, ye, mpmath.log1p((d1 - d0) / ye)))
    iy = mpmath.mpc(0, y)
    dxr = xr - x0
    # nodes within sqrt(eps) of s* carry rounding noise eps/d^2 in the G' integrand
    dmin = mpmath.ldexp(1, -mpmath.mp.prec // 2) * (pc.s1 - pc.s0)
    sa = pc.s0 - pc.A if pc.ident else None
    sb = pc.B - pc.s1 if pc.ident else None

    def F(sg, ta):
        out0, out1 = zero, zero
        for side, W, d0, d1, ye, V in segs:
            g = ye * _expm1(V * sg)
            dn = d0 + g
            df = (W - d1) + (d1 - d0 + ye) * -_expm1(-V * ta)
            wt = V * (g + ye)
            if pc.ident:
                if side < 0:
                    off_a, off_b = sa + df, sb + wr + dn
                else:
                    off_a, off_b = sa + wl + dn, sb + df
                v = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
                DX = side * dn
                D = dxr - DX + iy
                num = v - c0
                adX = 1
            else:
                s = sstar + side * dn
                Xs, adX = pc.XdX(s)
                adX = abs(adX)
                num = pc.w(s) - c0 * adX
                DX = Xs - x0
                D = z - Xs
            if not mpmath.isfinite(num) or D == 0:
                continue  # s rounded onto s* (map pieces): a node of negligible weight
            out0 += wt * num / D
            if want_d and dn > dmin:
                out1 += wt * (num - c1 * DX * adX) / (D * D)
        return out0, out1

    (S0, S1), err, _ = _adaptive_sum(F, 2, rel)
    G, dG = S0, None
    if c0 != 0 or c1 != 0:
        Lz = mpmath.log(z - pc.lo) - mpmath.log(z - pc.hi)
    if c0 != 0:
        G += c0 * Lz
    if want_d:
        dG = -S1
        if c0 != 0 or c1 != 0:
            R = 1 / (z - pc.hi) - 1 / (z - pc.lo)
            dG -= c0 * R + c1 * ((z - x0) * R - Lz)
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
        dG = np.zeros(flat.shape, dtype=complex) if derivative else None
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
        total = 0.0
        for pc in pieces:
            width = pc.s1 - pc.s0
            with np.errstate(all="ignore"):
                if pc.ident:
                    off_a = (pc.s0 - pc.A) + width * sig
                    off_b = (pc.B - pc.s1) + width * tau
                    v = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
                    t = pc.s0 + width * sig
                    terms = width * om * v * g(t)
                else:
                    s = pc.s0 + width * sig
                    terms = width * om * pc.w(s) * g(pc.X(s))
            total += float(np.sum(_finite_np(terms)))
        return total
    with mpmath.workdps(dps + 10):
        total = mpmath.mpf(0)
        rel = mpmath.mpf(10) ** (-(dps // 2) - 1)
        for pc in pieces:
            width = pc.s1 - pc.s0
            if pc.ident:
                sa, sb = pc.s0 - pc.A, pc.B - pc.s1

                def F(sg, ta, pc=pc, sa=sa, sb=sb, width=width):
                    off_a, off_b = sa + width * sg, sb + width * ta
                    v = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
                    r = width * v * g(pc.s0 + width * sg)
                    return (r if mpmath.isfinite(r) else mpmath.mpf(0),)
            else:
                def F(sg, ta, pc=pc, width=width):
                    s = pc.s0 + width * sg
                    return (width * pc.w(s) * g(pc.X(s)),)
            (S,), _, _ = _adaptive_sum(F, 1, rel)
            total += S
    with mpmath.workdps(dps):
        return +total


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
    if be is NP:
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        for pc in pieces:
            inside = (x > pc.lo) & (x < pc.hi)
            if not np.any(inside):
                continue
            s = _inv_np(pc, x[inside])
            with np.errstate(all="ignore"):
                r = pc.w(s) / np.abs(pc.dX(s))
            out[inside] += _finite_np(r)
        return out
    out = mpmath.mpf(0)
    for pc in pieces:
        if pc.lo < x < pc.hi:
            s = _inv_mp(pc, x)
            d = pc.dX(s)
            if d != 0:
                out += pc.w(s) / abs(d)
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
    out = []
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
