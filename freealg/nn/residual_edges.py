"""Outer edges of residual-network Jacobian laws with smooth activations.

The law of J J^T is nu_1 ⊠ ... ⊠ nu_L with nu_l the law of Y_l^2, Y_l = S_l ⊞ b
(:mod:`freealg.nn.residual`). Along the real solutions of a layer's subordination equations,
parametrised by t = omega_l > max |S_l| and g = G_{S_l}(t) > 0, q = sqrt(1 + 4 g^2),

* beyond the support of Y_l (side +1): y = t + 2 g/(q + 1), m = y g - 1 = psi_{nu_l}(y^2);
* through the gap of Y_l at 0 (side -1): y = (q + 1)/(2 g) - t, m = -y g - 1 < -1;

and the right (left) edge of the product is 1/chi at the extremum of
F(m) = log chi(m) = (L - 1) log((1 + m)/m) - sum_l 2 log|y_l(m)| over the admissible m
(:mod:`freealg.nn.residual`, "Edges"); for L = 1 it is y^2 at the fold dy/dt = 0 of the
branch (the layer's own edge).

When S_l is a smooth law (tanh, erf, ELU: a mixture of affine images of push-forward laws;
GELU, SiLU: :class:`~freealg.nn.residual.SymmetricRoot` of one), its Cauchy transform costs a
quadrature, about 0.4 s at 45 digits. The search therefore runs in float64 (the laws' own
vectorised G, certified to ~1e-9 next to the support): each branch is tabulated on
t = max|S| + (1 + max|S|) e^u, u from 8 down to -25 by steps of 1/4; the fold is the first sign
change of dy/du, refined by bisection; each y_l(m) is inverted by Newton in u inside the
table's bracket; the edge is the first critical point of F from m = 0 (right) or m = -1
(left), where F' > 0: the first sign change of F' on an ascending grid of s = log m or
log(-1 - m) (16 points a decade), located by regula falsi. The ``dps``-digit stage then
evaluates G_{S_l} from its Taylor series about the float64 t_l (:class:`_Series`: 17 moments
c_k = int (t0 - s)^-(k+1) dmu_S(s), the remainder bounded by |d|^17 c_16/(gap - |d|); for a
symmetric root G_S(t) = t G_nu(t^2) with the series of nu about t0^2), one quadrature pass
per layer for the centres of both edges (and of both affine images in a mixture), so that
every Newton and secant step costs a polynomial; a step that leaves the series' accurate
range builds a new one there.

Error bound. At the extremum, F(m) differs from F* by at most F'(m)^2/F''_low (F''_low half
of the float64 second difference; at a fold y_t^2/y_tt,low), and an error dg of a layer's G
moves y_l at fixed m by |dy/dg - y_t (dm/dg)/m_t| dg: with dg the series remainder plus the
quadrature error (10^(-dps-5) relative, or 100 times the square of the last level's change
where larger), the bound on the edge x is x (sum_l 2 |dy_l|/y_l + F'^2/F''_low) + 10^-dps x.

Where the float64 stage finds no interior extremum (the extremum at the end of a branch, a
branch without a fold, no gap at 0, a law without known point masses) it returns None and the
caller falls back to the generic fold search of the law tree.

Examples
--------
>>> import freealg as fa
>>> ys = fa.nn.MLP(depth=2, activation="tanh", residual="1/2")._residual_layers()
>>> left, right = outer_edges([(y, 1) for y in ys], 12)
>>> bool(0 < left.location < right.location), bool(right.error < 1e-11)
(True, True)
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from ..kernels.backend import NP
from ..numeric.records import Edge
from ..numeric.sproduct import FarSeries, far_moments_at, illinois, real_gdg

__all__ = ["outer_edges"]

#: Taylor terms of G_S in the mpmath stage (:class:`_Series`)
TAYLOR = 16
#: guard digits of the mpmath stage (a quadrature G keeps ~9 digits less than its precision)
GUARD = 15
#: the float64 table of a branch: u from U_TOP down to U_BOTTOM by 1/4
U_TOP, U_BOTTOM = 8.0, -25.0
#: the exponent of the edges found here: a nondegenerate extremum (F'' or y_tt bounded away
#: from 0) makes psi of the product, or G of the layer, a square root of x - x* there
HALF = sp.Rational(1, 2)


# --------------------------------------------------------------------------------------------
# the layer's S law near a real point (mpmath)


class _Series(FarSeries):
    """:class:`~freealg.numeric.sproduct.FarSeries` of a layer law about t0 (gap = t0 - hi),
    with the quadrature's relative error of its moments."""

    def __init__(self, c, qerr, t0, gap, dps):
        super().__init__(c, t0, gap)
        self.rel = max(mpmath.mpf(10) ** (-dps - 5), 100 * qerr ** 2)

    def inside(self, t) -> bool:
        return abs(t - self.x0) <= self.gap / 8


class _Local:
    """G_S, G_S', G_S'' and an error bound near t0 > max|S|: the series of S, or for a
    symmetric root (G_S(t) = t G_nu(t^2)) the series of nu about t0^2."""

    def __init__(self, root, ser):
        self.root, self.ser = root, ser

    @classmethod
    def build(cls, s_law, t0s, smax, dps) -> list | None:
        """One :class:`_Local` per centre in ``t0s`` (mpf), from one quadrature pass."""
        # a symmetric root (freealg.nn.residual.SymmetricRoot, by its law name: that module
        # imports this one)
        root = getattr(s_law, "name", None) == "symmetric_root"
        # the float64 max|S| with a margin: the gap stays a lower bound
        top = mpmath.mpf(smax) * (1 + mpmath.mpf(10) ** -12)
        xs = [t * t for t in t0s] if root else list(t0s)
        got = far_moments_at(s_law._args[0] if root else s_law, xs, TAYLOR)
        if got is None:
            return None
        edge = top * top if root else top
        return [cls(root, _Series(c, got[1], x, x - edge, dps)) for c, x in zip(got[0], xs)]

    def g(self, t) -> tuple:
        """(G, G', G'', remainder bound, quadrature error bound) of G at t."""
        ser = self.ser
        if not self.root:
            G, G1, G2 = ser.g(t)
            return G, G1, G2, ser.remainder(t), ser.rel * abs(G)
        x = t * t
        H, H1, H2 = ser.g(x)
        return (t * H, H + 2 * x * H1, 6 * t * H1 + 4 * x * t * H2,
                abs(t) * ser.remainder(x), abs(t) * ser.rel * abs(H))

    def inside(self, t) -> bool:
        return self.ser.inside(t * t if self.root else t)


# --------------------------------------------------------------------------------------------
# one layer's branch (float64)


def _branch_formulas(side, t, g, dg):
    """(y, m, y_t, m_t, dy/dg, dm/dg) from t, g = G_S(t), g' (float64 arrays or mpf)."""
    sq = np.sqrt if isinstance(t, np.ndarray) else mpmath.sqrt
    q = sq(1 + 4 * g * g)
    if side > 0:
        h = 2 * g / (q + 1)
        hg = 2 / (q * (q + 1))
        y = t + h
        yt = 1 + hg * dg
        m = y * g - 1
        mt = yt * g + y * dg
        mg = hg * g + y
    else:
        h = (q + 1) / (2 * g)
        hg = -(q + 1) / (2 * q * g * g)
        y = h - t
        yt = hg * dg - 1
        m = -y * g - 1
        mt = -(yt * g + y * dg)
        mg = -(hg * g + y)
    return y, m, yt, mt, hg, mg


def _smax(s_law) -> float:
    lo, hi = s_law._hull_float()
    return max(abs(float(lo)), abs(float(hi)))


def _table(s_law):
    """(u, t, G_S, G_S') on the float64 grid of the module docstring, kept on the law (both
    sides share it)."""
    def build():
        smax = _smax(s_law)
        u = np.arange(U_TOP, U_BOTTOM - 1e-9, -0.25)
        t = smax + (1 + smax) * np.exp(u)
        g, dg = real_gdg(s_law, t, NP)
        return u, t, g, dg

    memo = getattr(s_law, "_memo", None)
    return build() if memo is None else memo("residual_branch_table", build)


class _Branch:
    """The float64 table of one layer's branch on one side (module docstring)."""

    def __init__(self, y_law, k, side):
        self.k, self.side = int(k), side
        self.law = y_law._args[0]
        self.smax = _smax(self.law)
        self.u, t, g, dg = _table(self.law)
        self.y, self.m, self.dy, self.dm = self._values(self.u, t, g, dg)

    def t(self, u):
        return self.smax + (1 + self.smax) * np.exp(u)

    def point(self, u):
        """(y, m, dy/du, dm/du) on a float array u."""
        u = np.asarray(u, dtype=float)
        t = self.t(u)
        return self._values(u, t, *real_gdg(self.law, t, NP))

    def _values(self, u, t, g, dg):
        """(y, m, dy/du, dm/du) from t(u), G_S(t) and G_S'(t) (dt/du = (1 + max|S|) e^u)."""
        with np.errstate(all="ignore"):
            y, m, yt, mt, _, _ = _branch_formulas(self.side, t, g, dg)
        e = (1 + self.smax) * np.exp(u)
        return y, m, yt * e, mt * e

    def fold(self):
        """(u_end, status): the end of the monotone branch, status ``'fold'`` (dy/du changes
        sign there), ``'none'`` (the left branch meets y = 0: no gap at 0), ``'end'`` (no
        fold on the table) or ``'bad'`` (float64 lost the branch)."""
        sgn = self.side
        ok = np.isfinite(self.y) & np.isfinite(self.dy) & np.isfinite(self.m)
        for i in range(len(self.u)):
            if not ok[i]:
                return None, "bad"
            if self.side < 0 and self.y[i] <= 0:
                return self.u[i], "none"
            if self.dy[i] * sgn <= 0:
                if i == 0:
                    return None, "bad"
                a, b = self.u[i], self.u[i - 1]
                # to 1e-12 in u: the mpmath stage polishes the fold
                while b - a > 1e-12 * max(1.0, abs(b)):
                    c = 0.5 * (a + b)
                    if self.point(np.array([c]))[2][0] * sgn > 0:
                        b = c
                    else:
                        a = c
                return b, "fold"
        return self.u[-1], "end"

    def setup(self, u_end):
        """The monotone part of the table, u in (u_end, U_TOP], for :meth:`invert`; False when
        m is not strictly monotone there (float64 cannot follow the branch)."""
        _, m, _, _ = self.point(np.array([u_end]))
        keep = self.u > u_end
        self.tu = np.append(self.u[keep], u_end)
        self.tm = np.append(self.m[keep], m)
        d = np.diff(self.tm)
        self.dec = bool(d[0] > 0)          # m increasing as u decreases
        return bool((np.all(d > 0) if self.dec else np.all(d < 0)) and np.all(np.isfinite(d)))

    def invert(self, m):
        """(u, y, y_m) on the branch at an array m inside its range (NaN outside)."""
        m = np.asarray(m, dtype=float)
        key = self.tm if self.dec else -self.tm
        mm = m if self.dec else -m
        i = np.searchsorted(key, mm) - 1          # key[i] <= mm < key[i + 1]
        ok = (i >= 0) & (i < len(key) - 1)
        u = np.full(m.shape, np.nan)
        y = np.full(m.shape, np.nan)
        ym = np.full(m.shape, np.nan)
        idx = np.nonzero(ok)[0]
        a, b = self.tu[i[idx]], self.tu[i[idx] + 1]            # u descending: a > b
        fa_ = self.tm[i[idx]] - m[idx]
        fb = self.tm[i[idx] + 1] - m[idx]
        x = a + (b - a) * fa_ / (fa_ - fb)
        for _ in range(80):
            if not idx.size:
                break
            yy, mv, dy, dmv = self.point(x)
            f = mv - m[idx]
            same = np.sign(f) == np.sign(fa_)
            a, fa_ = np.where(same, x, a), np.where(same, f, fa_)
            b = np.where(same, b, x)
            with np.errstate(all="ignore"):
                xn = x - f / dmv
            out = ~((xn - a) * (xn - b) < 0) | ~np.isfinite(xn)
            xn = np.where(out, 0.5 * (a + b), xn)
            tol = 1e-13 * np.maximum(1.0, np.abs(x))       # the mpmath stage polishes
            done = (np.abs(xn - x) <= tol) | (np.abs(a - b) <= tol) | (f == 0)
            fin = idx[done]
            u[fin], y[fin], ym[fin] = x[done], yy[done], (dy / dmv)[done]
            keep = ~done
            idx, x, a, b, fa_ = idx[keep], xn[keep], a[keep], b[keep], fa_[keep]
        return u, y, ym


def _dF(brs, n, m):
    """(F(m), F'(m), us) in float64 on an array m (module docstring)."""
    with np.errstate(all="ignore"):
        F = (n - 1) * np.log((1 + m) / m)
        dF = (n - 1) * (1 / (1 + m) - 1 / m)
        us = []
        for br in brs:
            u, y, ym = br.invert(m)
            F = F - 2 * br.k * np.log(np.abs(y))
            dF = dF - 2 * br.k * ym / y
            us.append(u)
    return F, dF, us


def _locate(ys, side):
    """The float64 stage on one side: ('fold', branch, u) for one layer, ('product',
    branches, m0, [u_l], curv) for several (curv half of |F''| at m0), or None."""
    brs = []
    for y, k in ys:
        if not y._nunk:
            return None
        brs.append(_Branch(y, k, side))
    n = sum(br.k for br in brs)
    folds = [br.fold() for br in brs]
    if any(st != "fold" and not (st == "end" and n > 1) for _, st in folds):
        return None
    if n == 1:
        return ("fold", brs[0], folds[0][0])
    for br, (u_end, _) in zip(brs, folds):
        if not br.setup(u_end):
            return None
    ends = [br.tm[-1] for br in brs]
    j = min(range(len(ends)), key=lambda i: side * ends[i])

    def mof(s):
        return np.exp(s) if side > 0 else -1 - np.exp(s)

    hi = (math.log(ends[j]) if side > 0 else math.log(-1 - ends[j])) - 1e-12
    tops = [br.tm[0] for br in brs]
    lo = max(math.log(v if side > 0 else -1 - v) for v in tops) + 1e-6
    # F' > 0 next to m = 0 (right) or m = -1 (left), where X = 1/chi starts; the edge is the
    # first critical point from there: the first sign change on an ascending grid of s
    grid = np.append(np.arange(lo, hi, math.log(10) / 16), hi)
    _, dF, _ = _dF(brs, n, mof(grid))
    neg = np.nonzero(~(dF > 0))[0]
    if not neg.size or neg[0] == 0 or not np.isfinite(dF[neg[0]]):
        return None      # the extremum at a branch's end, or beyond the table: generic route
    i = int(neg[0])
    # F' > 0 at grid[i - 1], <= 0 at grid[i]: to 1e-12 (the mpmath stage polishes)
    s0 = illinois(lambda s: float(_dF(brs, n, np.array([mof(s)]))[1][0]),
                  grid[i - 1], grid[i], dF[i - 1], dF[i], 1e-12)
    if s0 is None:
        return None
    m0 = float(mof(s0))
    h = 1e-4 * abs(m0)
    _, d2, us = _dF(brs, n, np.array([m0 - h, m0, m0 + h]))
    curv = abs(d2[2] - d2[0]) / (2 * h) / 2             # half of |F''|: a lower bound
    if not (curv > 0 and np.all(np.isfinite([u[1] for u in us]))):
        return None
    return ("product", brs, m0, [float(u[1]) for u in us], curv)


def _centres(state) -> list:
    """The float64 t of each branch where the mpmath stage starts."""
    if state[0] == "fold":
        return [state[1].t(np.array([state[2]]))[0]]
    return [br.t(np.array([u]))[0] for br, u in zip(state[1], state[3])]


# --------------------------------------------------------------------------------------------
# the mpmath stage


class _Polish:
    """One branch at dps + GUARD digits: y(t), its derivatives and the effect of G's error,
    from a local series (a new one about t should t move too far from its centre)."""

    def __init__(self, br, loc, dps):
        self.br, self.loc, self.dps, self.side = br, loc, dps, br.side

    def at(self, t):
        G, G1, _, rem, quad = self.loc.g(t) if self.loc.inside(t) else (0, 0, 0, mpmath.inf, 0)
        if not rem <= mpmath.mpf(10) ** (-self.dps - 5) * abs(G):
            # t too far from the centre for the series: a new one about t
            got = _Local.build(self.br.law, [t], self.br.smax, self.dps)
            if got is None:
                raise ArithmeticError("no local series")
            self.loc = got[0]
            G, G1, _, rem, quad = self.loc.g(t)
        return _branch_formulas(self.side, t, G, G1), rem + quad

    def solve(self, m, t):
        """(t, y, y_m, dy bound) with m(t) = m, Newton from t."""
        tol = mpmath.ldexp(abs(t), -mpmath.mp.prec + 6)
        noise = mpmath.ldexp(abs(t), -mpmath.mp.prec // 2)
        step = prev = mpmath.inf
        for _ in range(60):
            (y, mv, yt, mt, _, _), _ = self.at(t)
            step = (mv - m) / mt
            t -= step
            # converged, or down to the rounding of m(t) (the steps stop shrinking)
            if abs(step) <= tol or (abs(step) <= noise and abs(step) >= abs(prev) / 2):
                break
            prev = step
        else:
            raise ArithmeticError("the Newton steps of a branch did not converge")
        (y, mv, yt, mt, yg, mg), err = self.at(t)
        dy = abs(yg - yt * mg / mt) * err + abs(yt * step)
        return t, y, yt / mt, dy


def _fold_edge(pol, t0, dps):
    """(x, error) of the edge y^2 at the fold of a single layer (L = 1): the root of y_t by
    regula falsi (Illinois) on the local series; |y - y*| <= y_t^2/y_tt,low."""
    def yt(t):
        return pol.at(t)[0][2]

    t0 = mpmath.mpf(t0)
    # a bracket of the root of y_t about the float64 fold (its y_t carries ~1e-9 noise)
    for rel in (6, 4, 2):
        eps = (t0 - mpmath.mpf(pol.br.smax)) * mpmath.mpf(10) ** -rel
        a, b = t0 - eps, t0 + eps
        fa_, fb = yt(a), yt(b)
        if fa_ * fb <= 0:
            break
    else:
        return None
    # half the secant slope of y_t over the bracket: a lower bound of |y_tt| near the fold
    ytt_low = abs(fb - fa_) / (b - a) / 2
    side = 0
    c = b
    for _ in range(200):
        c = (a * fb - b * fa_) / (fb - fa_)
        if not min(a, b) < c < max(a, b):
            c = (a + b) / 2
        fc = yt(c)
        if fc == 0:
            break
        if (fc > 0) == (fa_ > 0):
            a, fa_ = c, fc
            if side == -1:
                fb /= 2
            side = -1
        else:
            b, fb = c, fc
            if side == 1:
                fa_ /= 2
            side = 1
        if abs(b - a) <= mpmath.ldexp(abs(c), -mpmath.mp.prec + 8):
            break
    (y, _, ytc, _, yg, _), err = pol.at(c)
    fold_err = ytc * ytc / ytt_low if ytt_low > 0 else mpmath.inf
    dy = fold_err + abs(yg) * err
    return y * y, 2 * abs(y) * dy + dy * dy


def _product_edge(pols, ks, m0, t0s, curv, dps):
    """(x, error) at the extremum of F: secant steps on F'(m) = 0 from the float64 m0, every
    y_l(m) by Newton on its series; stops once F'^2/F''_low <= 10^(-dps-3)."""
    n = sum(ks)
    ts = [mpmath.mpf(t) for t in t0s]

    def evaluate(m):
        F = (n - 1) * mpmath.log((1 + m) / m)
        dF = (n - 1) * (1 / (1 + m) - 1 / m)
        rel = mpmath.mpf(0)
        for i, (pol, k) in enumerate(zip(pols, ks)):
            ts[i], y, ym, dy = pol.solve(m, ts[i])
            F -= 2 * k * mpmath.log(abs(y))
            dF -= 2 * k * ym / y
            rel += 2 * k * dy / abs(y)
        return F, dF, rel

    curv = mpmath.mpf(curv)
    m1 = mpmath.mpf(m0)
    F1, d1, rel = evaluate(m1)
    m2 = m1 * (1 + mpmath.mpf(10) ** -9)
    tol = mpmath.mpf(10) ** (-dps - 3)
    for _ in range(40):
        if d1 * d1 / curv <= tol:
            break
        F2, d2, rel2 = evaluate(m2)
        if d2 == d1:
            return None
        m1, m2, F1, d1, rel = m2, m2 - d2 * (m2 - m1) / (d2 - d1), F2, d2, rel2
    else:
        return None
    x = mpmath.exp(-F1)
    # F* - F(m) <= F'^2/F''_low; the errors of y_l move F by at most rel
    return x, x * (rel + d1 * d1 / curv) * (1 + mpmath.mpf(1) / 100)


def outer_edges(ys, dps: int) -> tuple:
    """(left, right): the outer edges of ⊠_l law(Y_l^2) for layers ``ys`` ((Y_l,
    multiplicity) pairs with smooth S_l) as Edges at ``dps`` digits, each None where this
    route does not apply (module docstring). One quadrature pass per layer serves both
    sides.

    Examples
    --------
    >>> import freealg as fa
    >>> ys = fa.nn.MLP(depth=1, activation="tanh", residual="1/2")._residual_layers()
    >>> left, right = outer_edges([(ys[0], 1)], 20)     # the edges of one layer's Y^2
    >>> bool(0 < left.location < right.location), right.kind, bool(right.error < 1e-19)
    (True, 'soft', True)
    """
    states = {}
    for side in (1, -1):
        try:
            states[side] = _locate(ys, side)
        except (ArithmeticError, ValueError, ZeroDivisionError):
            states[side] = None
    out: dict = {1: None, -1: None}
    live = [sd for sd in (1, -1) if states[sd] is not None]
    if not live:
        return None, None
    with mpmath.workdps(dps + GUARD):
        # the centres of every layer on both sides: one pass of its quadrature
        centres = {sd: [mpmath.mpf(t) for t in _centres(states[sd])] for sd in live}
        locals_: dict = {}
        for i, (y, _) in enumerate(ys):
            pts = [(sd, centres[sd][i]) for sd in live if i < len(centres[sd])]
            try:
                got = _Local.build(y._args[0], [t for _, t in pts], _smax(y._args[0]), dps)
            except (ArithmeticError, ValueError, ZeroDivisionError):
                got = None
            if got is None:
                return None, None
            for (sd, _), loc in zip(pts, got):
                locals_[(sd, i)] = loc
        for sd in live:
            st = states[sd]
            try:
                if st[0] == "fold":
                    got = _fold_edge(_Polish(st[1], locals_[(sd, 0)], dps), centres[sd][0], dps)
                else:
                    pols = [_Polish(br, locals_[(sd, i)], dps) for i, br in enumerate(st[1])]
                    got = _product_edge(pols, [br.k for br in st[1]], st[2], centres[sd],
                                        st[4], dps)
            except (ArithmeticError, ValueError, ZeroDivisionError):
                got = None
            if got is not None:
                x, err = got
                err = err + mpmath.mpf(10) ** (-dps) * x
                with mpmath.workdps(dps):
                    loc = +x
                out[sd] = Edge(loc, "soft",
                               mpmath.mpf(mpmath.nstr(err, 3)) * (1 + mpmath.mpf(1) / 100),
                               "right" if sd > 0 else "left", HALF)
    return out[-1], out[1]
