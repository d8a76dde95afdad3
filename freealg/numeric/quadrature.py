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

The rules are the one tanh-sinh rule of :mod:`freealg.numeric.tanhsinh`: the mpmath path halves
the step until a level changes the sum by less than the square root of the target accuracy (or
less than the target relative to the closed-form part); the float64 path uses fixed rules
vectorised over z (h = 1/16, u in [-3.9, 3.9] for densities; h = 1/40, u in [-3.2, 3.2] for
push-forward branches), about 1e-15 relative except within 1e-9 of a critical value, where
z - X(s) cancels in float64. The derivative G'(z) uses a second-order subtraction
(c0 + c1 (x - x0)) in the same pass; it only feeds Newton Jacobians (about 1e-6 relative in
float64 near edges, better elsewhere). Each algorithm (setup, pole, inverse, integrand) is
written once for float64 arrays and mpmath scalars; only the summation differs (a fixed
vectorised rule, or adaptive levels).

Examples
--------
>>> import mpmath
>>> from freealg.kernels.backend import MP
>>> pc = Piece.density(lambda t: mpmath.mpf(1) / 2, mpmath.mpf(-1), mpmath.mpf(1))  # uniform
>>> with mpmath.workdps(30):
...     G, _, _ = cauchy_transform([pc], mpmath.mpc(0, 1), MP)          # -i atan(1) = -i pi/4
...     bool(abs(G + 1j * mpmath.pi / 4) < 1e-28)
True
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import numpy as np

from ..errors import InvalidParameterError
from ..kernels.backend import MP, NP, Backend
from .tanhsinh import _adaptive_sum, _expm1, tanh_sinh_rule

__all__ = ["Piece", "cauchy_transform", "integrate", "pieces_density", "support_density",
           "inverse", "edge_kind", "check_density", "far_nodes", "far_nodes_of", "far_levels",
           "far_gdg", "far_moments", "tanh_sinh_masses"]


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


def _far_terms(z, x0, lo, hi) -> tuple:
    """(log(z - lo) - log(z - hi), (z - x0) R - that log) in float64 by their series in
    a = (hi - x0)/(z - x0), b = (lo - x0)/(z - x0) where |a|, |b| <= 1/4 (NaN elsewhere):

        log(z - lo) - log(z - hi) = sum_k>=1 (a^k - b^k)/k,
        (z - x0) R - log(...) = sum_k>=2 (1 - 1/k)(a^k - b^k).

    The closed forms cancel there: both are O((hi - lo)/z) (the second O(1/z^2)) from terms of
    size log z and 1/z, which cost G about eps |z|/(hi - lo) relative and G' all its digits at
    |z| ~ 1e7 (hi - lo): psi(x) = x G(x) - 1 and psi' = G + x G' far from the support, which the
    S-transform tables read, came out with the wrong sign."""
    w = 1 / (z - x0)
    a, b = (hi - x0) * w, (lo - x0) * w
    ok = np.maximum(np.abs(a), np.abs(b)) <= 0.25
    a, b = np.where(ok, a, 0), np.where(ok, b, 0)
    L = np.zeros(np.shape(z), dtype=complex)
    T = np.zeros(np.shape(z), dtype=complex)
    ak, bk = a, b
    for k in range(1, 28):                        # 4^-27 < 1e-16
        d = ak - bk
        L += d / k
        if k > 1:
            T += (1 - 1 / k) * d
        ak, bk = ak * a, bk * b
    return np.where(ok, L, np.nan), np.where(ok, T, np.nan)


def _close(pc: Piece, p: _Point, S0, S1, want_d: bool, be: Backend) -> tuple:
    """Add back the subtracted c0 + c1 (x - x0) terms in closed form (float64: by their series
    far from the piece, :func:`_far_terms`)."""
    z, c0, c1 = p.z, p.c0, p.c1
    if be is MP and c0 == 0 and c1 == 0:
        return S0, (-S1 if want_d else None)
    Lz = be.log(z - pc.lo) - be.log(z - pc.hi)
    if be is NP:
        Lf, Tf = _far_terms(z, p.x0, pc.lo, pc.hi)
        far = np.isfinite(Lf)
        Lz = np.where(far, Lf, Lz)
    G = S0 + _where(be, c0 != 0, c0 * Lz, 0.0)
    if not want_d:
        return G, None
    R = (pc.hi - pc.lo) / ((z - pc.hi) * (z - pc.lo))      # 1/(z - hi) - 1/(z - lo)
    T = (z - p.x0) * R - Lz
    if be is NP:
        T = np.where(far, Tf, T)
    return G, -(S1 + _where(be, c0 != 0, c0 * R, 0.0)
                + _where(be, c1 != 0, c1 * T, 0.0))


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
        # size O(rho'' d)) where the subtraction cancels: dropped there. Without a subtraction
        # (c0 = c1 = 0: a critical or cut end) the integrand is w/(z - X)^2 itself, and
        # dropping it lost ~1e-7 of G' far from the piece (psi' of ELU's layer law at x = 10)
        dmin = np.where((p.c0 != 0) | (p.c1 != 0), 1.5e-8 * (pc.s1 - pc.s0), -1.0)
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
                    I2[r] += np.sum(np.where(np.isfinite(t2) & (dn > dmin[r][:, None]), t2,
                                             0.0), axis=1)
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
    dmin = mpmath.ldexp(1, -mpmath.mp.prec // 2) * (pc.s1 - pc.s0)   # as in _piece_gdg_np
    if p.c0 == 0 and p.c1 == 0:
        dmin = -1

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


def _node_masses(pc: Piece, sig, tau, be: Backend) -> tuple:
    """(t, mass) of a piece at the tanh-sinh nodes sigma (distance tau from 1) of [s0, s1]
    before the rule's weights: t = X(s) (s formed from the nearer end) and mass = width times
    the weight (the density from the nearer support end for an identity piece); mass 0 where
    it is not finite."""
    width = pc.s1 - pc.s0
    near0 = sig <= tau
    if pc.ident:
        off_a = (pc.s0 - pc.A) + width * sig
        off_b = (pc.B - pc.s1) + width * tau
        t = _where(be, near0, pc.s0 + width * sig, pc.s1 - width * tau)
        v = _where(be, off_a <= off_b, pc.wL(off_a), pc.wR(off_b)) if be is NP else \
            (pc.wL(off_a) if off_a <= off_b else pc.wR(off_b))
    else:
        s = _where(be, near0, pc.s0 + width * sig, pc.s1 - width * tau)
        t, v = pc.X(s), pc.w(s)
    return t, _finite(be, width * v)


def tanh_sinh_masses(pieces: Sequence[Piece], h: float, umax: float | None = None) -> tuple:
    """Float64 point masses (t, W) of the density on its pieces: the tanh-sinh rule of step
    ``h`` on each piece (push-forward branches in their smooth variable), so that
    sum_i W_i g(t_i) approximates int g rho for g analytic on the open support. The nodes
    cluster doubly exponentially at the ends of every piece (support ends, critical values of
    a push-forward), where an integrand may be nearly singular; halving ``h`` roughly doubles
    the number of correct digits.

    Examples
    --------
    >>> import numpy as np
    >>> pc = Piece.density(lambda t: 0.5 + 0 * t, -1.0, 1.0)
    >>> for h in (1 / 2, 1 / 4, 1 / 8):                    # G(3) = log(2)/2
    ...     t, W = tanh_sinh_masses([pc], h)
    ...     print(len(t), f"{max(abs(np.sum(W / (3 - t)) - np.log(2) / 2), 1e-16):.0e}")
    17 2e-06
    33 3e-12
    65 1e-16

    Parameters
    ----------
    pieces : sequence of Piece
        The density's float64 pieces.
    h : float
        The step in the tanh-sinh variable u.
    umax : float, optional
        The range of u (default 3.9 on identity pieces, 3.2 on push-forward branches).
    """
    if not (h > 0 and np.isfinite(h)):
        raise InvalidParameterError("h", h, "the tanh-sinh step must be a positive number")
    ts, ws = [], []
    for pc in pieces:
        t, b = _rule_masses(pc, h, umax if umax is not None else (3.9 if pc.ident else 3.2))
        keep = b > 0
        ts.append(t[keep])
        ws.append(b[keep])
    if not ts:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(ts), np.concatenate(ws)


def _rule_masses(pc: Piece, h: float, umax: float) -> tuple:
    """(t, b): the nodes of the tanh-sinh rule of step h on one piece and their point masses
    (a node whose t is not finite gets t = 0 and mass 0)."""
    with np.errstate(all="ignore"):
        sig, tau, om = tanh_sinh_rule(h, umax)
        t, mass = _node_masses(pc, sig, tau, NP)
        t = np.asarray(t, dtype=float)
        fin = np.isfinite(t)
        return np.where(fin, t, 0.0), np.where(fin, mass, 0.0) * om


def far_nodes(pieces: Sequence[Piece]) -> tuple:
    """Float64 point masses of the density: (t, W, W2), where sum_i W_i g(t_i) is the fixed
    tanh-sinh rule for int g rho (h = 1/32 on identity pieces, 1/80 on push-forward branches:
    half the steps of :func:`cauchy_transform`, whose rules are then the coarser check) and
    sum_i W2_i g(t_i) the rule of twice the step (W2 = 0 off its nodes). For g analytic near
    the support, e.g. g(t) = 1/(x - t) at a real x beyond it, the two sums agree to eps^(1/2)
    where the finer one has converged to eps (tanh-sinh converges doubly exponentially): the
    caller's test of the finer sum.

    Examples
    --------
    >>> import numpy as np
    >>> pc = Piece.density(lambda t: 0.5 + 0 * t, -1.0, 1.0)
    >>> t, W, W2 = far_nodes([pc])                 # G(3) = log(2)/2 by both rules
    >>> [bool(abs(np.sum(w / (3 - t)) - np.log(2) / 2) < 1e-15) for w in (W, W2)]
    [True, True]
    """
    return far_nodes_of(far_levels(pieces))


def far_nodes_of(levels: tuple) -> tuple:
    """(t, W, W2) of :func:`far_nodes` from the levels of :func:`far_levels` (no new nodes).

    Examples
    --------
    >>> import numpy as np
    >>> pc = Piece.density(lambda t: 0.5 + 0 * t, -1.0, 1.0)
    >>> t, W, W2 = far_nodes_of(far_levels([pc]))
    >>> round(float(W.sum()), 14), round(float(W2.sum()), 14)
    (1.0, 1.0)
    """
    t, b, ends = levels
    return t, b, np.where(np.arange(len(t)) < ends[2], 2 * b, 0.0)


def far_levels(pieces: Sequence[Piece]) -> tuple:
    """The point masses of :func:`far_nodes` by level: (t, b, ends), nodes sorted so that
    level l (l = 0..3) is t[ends[l-1]:ends[l]], where the rule of step 2^(3-l) h (h the finest
    step) uses the nodes of levels <= l with weights 2^(3-l) b (b: the finest rule's weights).

    Examples
    --------
    >>> import numpy as np
    >>> pc = Piece.density(lambda t: 0.5 + 0 * t, -1.0, 1.0)
    >>> t, b, ends = far_levels([pc])
    >>> [round(float(2 ** (3 - l) * b[:ends[l]].sum()), 13) for l in range(4)]   # mass 1
    [1.0, 1.0, 1.0, 1.0]
    """
    ts, bs, ls = [], [], []
    for pc in pieces:
        t, b = _rule_masses(pc, *((1.0 / 32, 3.9) if pc.ident else (1.0 / 80, 3.2)))
        k = np.arange(len(t)) - (len(t) - 1) // 2
        ls.append(np.where(k % 8 == 0, 0, np.where(k % 4 == 0, 1, np.where(k % 2 == 0, 2, 3))))
        ts.append(t)
        bs.append(b)
    if not ts:
        return np.zeros(0), np.zeros(0), (0, 0, 0, 0)
    t, b, lev = np.concatenate(ts), np.concatenate(bs), np.concatenate(ls)
    order = np.argsort(lev, kind="stable")
    ends = tuple(int(np.searchsorted(lev[order], l, side="right")) for l in range(4))
    return t[order], b[order], ends


def far_gdg(levels: tuple, z: Any, want_d: bool, lo: float, hi: float) -> tuple:
    """(G, G' or None, certified) on a complex array z from leveled point masses
    (:func:`far_levels`): G = sum W/(z - t), G' = -sum W/(z - t)^2 by the rules of steps
    4h, 2h and h in turn, each point certified at the first rule that agrees with the rule
    of twice its step to 1e-9 relative (the finer rule is then good to ~1e-18: the error of
    tanh-sinh squares when the step halves), and only at a distance of at least 1e-3 of the
    scale max(|lo|, |hi|, hi - lo) from the real segment [lo, hi] that carries the density
    (closer, the rounding of the nodes t next to a critical value, magnified by
    |t|/|z - t|, dominates; on the segment the sums know no boundary value). Far from the
    support the coarse rules certify, at a quarter of the nodes. Elsewhere NaN.

    Examples
    --------
    >>> import numpy as np
    >>> pc = Piece.density(lambda t: 0.5 + 0 * t, -1.0, 1.0)
    >>> G, dG, ok = far_gdg(far_levels([pc]), np.array([3.0 + 0j, 0.5 + 1e-9j]), True, -1, 1)
    >>> ok.tolist(), bool(abs(G[0] - np.log(2) / 2) < 1e-15), bool(abs(dG[0] + 1 / 8) < 1e-15)
    ([True, False], True, True)
    """
    t, b, ends = levels
    z = np.asarray(z, dtype=complex)
    flat = z.ravel()
    G = np.full(flat.shape, np.nan + 0j)
    dG = np.full(flat.shape, np.nan + 0j)
    ok = np.zeros(flat.shape, dtype=bool)
    # the nodes t = X(s) carry rounding eps |t|, which 1/(z - t) magnifies by |t|/|z - t|
    # (next to a critical value z - X(s) cancels): only points at distance >= 1e-3 of the
    # scale from [lo, hi] (the sums then keep ~1e-14; measured 1e-12 at 1e-5 of the scale)
    dist = np.where((flat.real >= lo) & (flat.real <= hi), np.abs(flat.imag),
                    np.abs(flat - np.where(flat.real > hi, hi, lo)))
    off = dist >= 1e-3 * max(abs(lo), abs(hi), hi - lo)
    chunk = max(1, 400_000 // max(1, len(t)))        # bounds the (points x nodes) arrays
    starts = (0,) + tuple(ends[:3])
    with np.errstate(all="ignore"):
        for s in range(0, len(flat), chunk):
            idx = s + np.nonzero(off[s:s + chunk])[0]
            P0 = np.zeros(idx.size, dtype=complex)       # level sums of b/(z - t)
            P1 = np.zeros(idx.size, dtype=complex)       # and of b/(z - t)^2
            prev0: Any = None
            prev1: Any = None
            for lev in range(4):
                if not idx.size:
                    break
                seg = slice(starts[lev], ends[lev])
                zz = flat[idx]
                # 1/(z - t) in real arithmetic: (a - i y)/(a^2 + y^2), a = x - t
                a = zz.real[:, None] - t[None, seg]
                y = zz.imag[:, None]
                den = 1.0 / (a * a + y * y)
                re, im = a * den, -y * den
                bs = b[seg]
                P0 = P0 + (re @ bs + 1j * (im @ bs))
                if want_d:
                    P1 = P1 + ((re * re - im * im) @ bs + 2j * ((re * im) @ bs))
                w = 2.0 ** (3 - lev)
                g, d1 = w * P0, -w * P1
                if lev:
                    good = np.abs(g - prev0) <= 1e-9 * np.abs(g)
                    if want_d:
                        good &= np.abs(d1 - prev1) <= 1e-9 * np.abs(d1)
                    good &= np.isfinite(g)
                    if lev == 3 or np.any(good):
                        k = idx[good]
                        G[k], dG[k], ok[k] = g[good], d1[good], True
                        keep = ~good
                        idx, P0, P1, g, d1 = idx[keep], P0[keep], P1[keep], g[keep], d1[keep]
                prev0, prev1 = g, d1
    return G.reshape(z.shape), (dG.reshape(z.shape) if want_d else None), ok.reshape(z.shape)


def far_moments(pieces: Sequence[Piece], x0: Any, K: int) -> tuple:
    """c_k = int rho(t) (x0 - t)^-(k+1) dt, k = 0..K, at one real mpf x0 beyond the pieces'
    ranges (x0 > every hi), so that G(x0 + d) = sum_k c_k (-d)^k for |d| < x0 - hi; all
    moments in one adaptive tanh-sinh pass per piece at the working precision + 20 bits,
    stopped as :func:`cauchy_transform` stops (the integrands are smooth: no subtraction).
    ``x0`` may also be a list of real points off the pieces' ranges (either side): then ``c``
    is the list of their moment lists, from the same pass (the nodes, the costly part, are
    shared; every point's c_K takes part in the stopping test).

    Returns (c, err): ``err`` is the largest change of the last level, relative to c_K (the
    most peaked integrand, which drives the stopping test).

    Examples
    --------
    >>> import mpmath
    >>> pc = Piece.density(lambda t: mpmath.mpf(1) / 2, mpmath.mpf(-1), mpmath.mpf(1))
    >>> with mpmath.workdps(30):          # c_0 = G(3) = log(2)/2, c_1 = -G'(3) = 1/8
    ...     c, err = far_moments([pc], mpmath.mpf(3), 2)
    ...     bool(abs(c[0] - mpmath.log(2) / 2) < 1e-28), bool(abs(c[1] - mpmath.mpf(1) / 8) < 1e-28)
    (True, True)
    >>> with mpmath.workdps(30):          # and G(-3) = -log(2)/2 from the same pass
    ...     (c3, cm3), _ = far_moments([pc], [mpmath.mpf(3), mpmath.mpf(-3)], 0)
    ...     bool(abs(cm3[0] + mpmath.log(2) / 2) < 1e-28)
    True
    """
    single = not isinstance(x0, (list, tuple))
    pts = [x0] if single else list(x0)
    P = len(pts)
    rel = mpmath.ldexp(1, -(mpmath.mp.prec - 30) // 2)
    with mpmath.workprec(mpmath.mp.prec + 20):
        xs = [mpmath.mpf(x) for x in pts]
        c = [[mpmath.mpf(0)] * (K + 1) for _ in xs]
        err = mpmath.mpf(0)
        for pc in pieces:
            def F(sg, ta, pc=pc):
                t, mass = _node_masses(pc, sg, ta, MP)
                if mass == 0:
                    return [mpmath.mpf(0)] * (P * (K + 1))
                out = []
                for x in xs:
                    u = 1 / (x - t)
                    row = [mass * u]
                    for _ in range(K):
                        row.append(row[-1] * u)
                    out += row[::-1]             # c_K first: it drives the stopping test
                return out
            S, e, L1 = _adaptive_sum(F, P * (K + 1), rel,
                                     drivers=tuple(p * (K + 1) for p in range(P)))
            for p in range(P):
                for k in range(K + 1):
                    c[p][k] += S[p * (K + 1) + K - k]
            if L1 != 0:
                err = max(err, e / L1)
    out = [[+v for v in row] for row in c]
    return (out[0] if single else out), +err


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
