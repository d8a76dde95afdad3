"""Numeric support, edges, atom confirmation, mass and moment checks of a law.

An engine module: it works on any law-like object (duck typing), through these members:
``_density_np(x)`` (float64 density on an array), ``_density_mp(x, dps)``,
``_cauchy_np(z)``, ``_cauchy_mp(z, dps)``, ``_hull_float()`` (an interval containing the
support), ``_mean_float()``, ``_atoms_float()`` (float (location, mass) pairs), ``atoms()``,
``support()``, ``_scale``, ``_memo(key, fn)`` and ``_cache`` (per-law memo), and optionally
``_system()`` (the Newton system of the Cauchy transform, for the fold refinement of soft
edges) and ``_edge_candidates()`` (exact values to snap edges to).

Algorithm for the support:

1. scan the density on a grid of the support hull (float64 path, vectorised);
2. bracket every band endpoint between an outside and an inside grid point and bisect the
   brackets in float64 (all at once);
3. snap to an exact candidate when one lies inside the bracket (hard edges where atom masses sum
   to exactly 1, the point 0 of ⊠ laws, ...), else refine a *soft* edge at the requested
   precision by Newton on the augmented system {R(x, w) = 0, det dR/dw (x, w) = 0} (the edge is
   the fold of the real solution branch), else (hard edges without a candidate) bisect in
   mpmath; the lowest band end, when its bracket holds 0 or an exact candidate c where the
   density diverges, is c exactly, with the error bound a <= x + |G(x)|/|G'(x)| at a point x
   just below it (:func:`freealg.numeric.corners.divergent_lower_edge`);
4. classify each edge from the exponent alpha of ``rho(x) ~ |x - e|^alpha`` on the inside:
   > 0 soft (generically 1/2), <= 0 hard (jump or divergence); a right end and a left end
   with no gap between them are one point inside a band: a cusp (alpha > 0 on both sides,
   generically 1/3) or a singular point (alpha < 0: the density diverges), located by a search
   on the density or on 1/|G| and never splitting the band.

A point where the float64 solver fails (NaN) is not taken for a point outside the support: the
brackets of an edge next to such points reach the nearest point confirmed outside.

Atoms are never bands: the density excludes them and the scan treats them as outside points.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..errors import NoConvergence
from ..kernels.backend import MP, NP
from ..kernels.continuation import solve_np
from ..kernels.dual import Dual
from .contour import contour_mass
from .params import numeric_value
from .tanhsinh import tanh_sinh_rule
from .dispatch import record
from .records import Atom, Band, Edge
from .stages import stage

__all__ = ["numeric_support", "numeric_edges", "confirm_atoms", "mass_check",
           "contour_moments"]

_GRID = 2001


def _density_grid(law, x, keep_nan: bool = False):
    """Float64 density for the scans; within 1e-6 (relative) of an atom the pole makes float64
    Im G unreliable, so those points count as outside unless both neighbours at 1e-6 are in a
    band (an atom inside a band). A point where the solver failed is 0 (NaN with
    ``keep_nan``)."""
    x = np.asarray(x, dtype=float)
    d = np.asarray(law._density_np(x), dtype=float)
    if not keep_nan:
        d = np.nan_to_num(d, nan=0.0)
    else:
        d = np.array(d, dtype=float)
    scale = 1 + law._scale
    for loc, _ in law._atoms_float():
        near = np.abs(x - loc) <= 1e-6 * scale
        if np.any(near):
            side = np.nan_to_num(law._density_np(np.array([loc - 2e-6 * scale,
                                                           loc + 2e-6 * scale])))
            # zero the side(s) of the atom that lie outside the bands
            d[near & (x < loc) & (side[0] <= 0)] = 0.0
            d[near & (x > loc) & (side[1] <= 0)] = 0.0
            if not (side[0] > 0 and side[1] > 0):
                d[near & (x == loc)] = 0.0
    return d


def _tight_hull(law):
    """Shrink the support hull of the law's own bound (which can be very loose, e.g. the
    product of the factors' norms for ⊠ of many laws) by walking in from each end on a
    geometric grid towards the mean until the density or an atom is met."""
    lo, hi = law._hull_float()
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return lo, hi
    try:
        c = min(max(law._mean_float(), lo), hi)
    except Exception:  # noqa: BLE001 (symbolic means: keep the bound)
        return lo, hi
    atoms = [a for a, _ in law._atoms_float()]
    # down to 2^-200 of the distance, in chunks, stopping at the first point in a band
    steps = 2.0 ** (-np.arange(0, 800) / 4.0)
    out = []
    for end in (lo, hi):
        if end == c:
            out.append(end)
            continue
        xs = c + (end - c) * steps
        # the walk starts at the bound itself: c + (end - c) can round (a lower bound 2e-32 of
        # a many-factor product becomes 0.0), and the contour check of that rounding gap next
        # to a hard edge cost 85 s (tanh Jacobian, L = 3)
        xs[0] = end
        j = len(xs) - 1
        for start in range(0, len(xs), 200):
            d = _density_grid(law, xs[start:start + 200])
            hit = np.nonzero(d > 0)[0]
            if hit.size:
                j = start + hit[0]
                break
        cut = xs[max(j - 1, 0)]
        # keep atoms inside
        for a in atoms:
            if (end > c and a > cut) or (end < c and a < cut):
                cut = a
        if cut != end and not _no_mass_between(law, cut, end, hi - lo):
            # the geometric walk stepped over a narrow band: keep the bound
            cut = end
        out.append(cut)
    return out[0], out[1]


def _no_mass_between(law, cut, end, width):
    """True when the contour integral of G around [cut, end] (slightly past ``end``) shows
    no mass there (``cut`` lies outside the support; the bound ``end`` is an outer bound)."""
    a, b = sorted((cut, end + (1e-3 * width if end > cut else -1e-3 * width)))
    try:
        m, err = contour_mass(law, a, b)
    except Exception:  # noqa: BLE001 (no float64 Cauchy transform: keep the shrink)
        return True
    return bool(np.isfinite(m) and abs(m) <= 1e-8 + 4 * err)


def _scan(law, n=_GRID):
    lo, hi = law._memo("tight_hull", lambda: _tight_hull(law))
    width = hi - lo
    if width <= 0:
        return None
    x = np.linspace(lo, hi, n)
    raw = _density_grid(law, x, keep_nan=True)
    failed = ~np.isfinite(raw)
    rho = np.nan_to_num(raw, nan=0.0)
    pos = rho[rho > 0]
    if pos.size == 0:
        return x, rho, np.zeros(n, dtype=bool), lo, hi, failed
    # robust level (a divergent density at a hard edge must not set the threshold)
    level = float(np.median(pos))
    # (a low density is not noise: the tail of a many-factor product next to its right edge
    # is many orders below the median, and a floor relative to the peak or the mean density
    # cut the ReLU Jacobian's band at L = 1000 by 1%; bands the grid misses are found by the
    # mass audit of the support)
    inside = rho > 1e-10 * level
    return x, rho, inside, lo, hi, failed


def _bisect_np(law, x_out, x_in, rel=1e-9, k=32):
    """Vectorised float64 k-section of the brackets (x_out outside, x_in inside): every pass
    evaluates k - 1 interior points of every bracket in one continuation call and keeps the
    sub-interval where the density switches on, shrinking each bracket k-fold. A point where
    the float64 solver fails (NaN) is neither: the bracket keeps the last point confirmed
    outside (a finite zero density), so an edge where the density diverges and the solver
    gives up next to it stays inside its bracket."""
    x_out = np.array(x_out, dtype=float)
    x_in = np.array(x_in, dtype=float)
    if x_out.size == 0:
        return x_out, x_in
    peak = np.maximum(_density_grid(law, x_in), 1e-300)
    scale = 1 + np.max(np.abs(np.concatenate([x_out, x_in])))
    frac = np.linspace(0.0, 1.0, k + 1)[1:-1]
    # a bracket that a pass does not shrink (the solver fails on all of it, next to a
    # divergent edge) stays as it is: further passes would only repeat the failing points
    active = np.ones(len(x_out), dtype=bool)
    for _ in range(40):
        active &= np.abs(x_out - x_in) > rel * scale
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        pts = x_out[idx, None] + frac[None, :] * (x_in - x_out)[idx, None]  # outside inwards
        r = _density_grid(law, pts.ravel(), keep_nan=True).reshape(pts.shape)
        with np.errstate(invalid="ignore"):
            ins = r > 1e-13 * np.maximum(peak[idx, None], np.nan_to_num(r))
        out = np.isfinite(r) & ~ins
        for q, b in enumerate(idx):
            hit = np.nonzero(ins[q])[0]
            j = hit[0] if hit.size else len(frac)  # first inside point from the outside end
            before = np.nonzero(out[q, :j])[0]    # confirmed outside points before it
            new_out = x_out[b] if before.size == 0 else pts[q, before[-1]]
            new_in = x_in[b] if j == len(frac) else pts[q, j]
            if new_out == x_out[b] and new_in == x_in[b]:
                active[b] = False
            x_out[b], x_in[b] = new_out, new_in
    return x_out, x_in


def _exponent_fit(law, e, inward, scale, density=None) -> tuple:
    """(alpha, agreed): the exponent of rho(e + inward*d) ~ d^alpha (float64), the slope of log
    rho between d and 2 d at the smallest of d = 1e-3, ..., 1e-7 (times the scale) where the
    density is positive at d, 2 d and 4 d and the two slopes (d, 2d) and (2d, 4d) agree to 0.05
    (float64 loses the density right next to some edges, and the solver can fail next to a
    divergent edge); else the mean of the two slopes at the largest such d with ``agreed``
    False (a rough value); (NaN, False) when the density is nowhere positive there."""
    best, agreed = float("nan"), False
    rels = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
    ds = (np.array(rels)[:, None] * np.array([1.0, 2.0, 4.0])[None, :]).ravel() \
        * max(scale, 1e-12)
    with np.errstate(all="ignore"):   # all distances in one density call
        r_all = (_density_grid(law, e + inward * ds) if density is None
                 else np.asarray(density(e + inward * ds), dtype=float)).reshape(len(rels), 3)
    for r in r_all:
        if not (np.all(np.isfinite(r)) and np.all(r > 0)):
            continue
        a1 = math.log(r[1] / r[0]) / math.log(2)
        a2 = math.log(r[2] / r[1]) / math.log(2)
        if abs(a1 - a2) > 0.05:
            if not np.isfinite(best):
                best = 0.5 * (a1 + a2)
            continue
        best, agreed = a1, True
    return best, agreed


def _exponent(law, e, inward, scale, density=None):
    """The exponent of :func:`_exponent_fit` alone (NaN when not measured)."""
    return _exponent_fit(law, e, inward, scale, density)[0]


def _expo_field(alpha, agreed):
    """The record field of a measured exponent: a fraction only when the slopes agreed."""
    if agreed:
        return Edge.exponent_of(alpha)
    return None if not np.isfinite(alpha) else sp.Float(alpha, 2)


def _kind(alpha, interior: bool = False):
    """The kind of a point from its exponent: band ends 'soft' (alpha > 0.15) or 'hard'
    (jump or divergence); points inside a band 'cusp' (alpha > 0) or 'singular' (alpha < 0).
    An unmeasured exponent (NaN) gives 'soft' / 'cusp'."""
    if interior:
        return "singular" if np.isfinite(alpha) and alpha < 0 else "cusp"
    if not np.isfinite(alpha):
        return "soft"
    return "soft" if alpha > 0.15 else "hard"


def point_exponent(law, e, side: str, scale, density=None) -> Any:
    """The local exponent of the density at ``e`` as a record field (see
    :meth:`~freealg.numeric.records.Edge.exponent_of`): measured on the inner side of a band
    end, and on both sides of a point inside a band (their mean when they agree to 0.05, else
    the smaller one: the dominant behaviour).

    Examples
    --------
    >>> import freealg as fa
    >>> point_exponent(fa.semicircle(1), 2.0, "right", 2.0)      # sqrt(4 - x^2)
    1/2
    """
    e = float(e)
    if side:
        return _expo_field(*_exponent_fit(law, e, 1.0 if side == "left" else -1.0, scale,
                                          density))
    (a_l, g_l), (a_r, g_r) = (_exponent_fit(law, e, -1.0, scale, density),
                              _exponent_fit(law, e, 1.0, scale, density))
    if not (np.isfinite(a_l) and np.isfinite(a_r)):
        return _expo_field(a_l, g_l) if np.isfinite(a_l) else _expo_field(a_r, g_r)
    if abs(a_l - a_r) <= 0.05:
        return _expo_field(0.5 * (a_l + a_r), g_l and g_r)
    return _expo_field(a_l, g_l) if a_l < a_r else _expo_field(a_r, g_r)


def with_exponents(law, found: list) -> list:
    """``found`` with the exponent of every record that has none measured (points at symbolic
    or non-finite locations keep None).

    Examples
    --------
    >>> import freealg as fa
    >>> [e.exponent for e in with_exponents(fa.free_poisson(1), fa.free_poisson(1).edges())]
    [-1/2, 1/2]
    """
    out = []
    scale = None
    skip = getattr(law, "_exponent_unmeasured", lambda e: False)
    for e in found:
        if e.exponent is None and not skip(e):
            try:
                loc = float(numeric_value(e.location, NP))
            except Exception:  # noqa: BLE001 (symbolic parameters: no measurement)
                loc = float("nan")
            if np.isfinite(loc):
                if scale is None:
                    scale = max(float(getattr(law, "_scale", 1.0)), 1e-12)
                try:
                    e = Edge(e.location, e.kind, e.error, e.side,
                             point_exponent(law, loc, e.side, scale))
                except (ArithmeticError, ValueError, TypeError, NoConvergence):
                    pass
        out.append(e)
    return out


def _fold_newton_mp(law, x0, dps):
    """Refine a soft edge: Newton on {R(x, w) = 0, det J(x, w) = 0} with w, x real (for an
    operator-valued law, on its matrix equations: :func:`freealg.numeric.fold.fold_edge`)."""
    if hasattr(law, "_problem"):
        from .fold import fold_edge

        return fold_edge(law._problem(), x0, dps)
    system = law._system() if hasattr(law, "_system") else None
    if system is None or system.n == 0:
        # a closed-form law, or a composite with no unknowns: no fold system; the caller bisects
        raise NoConvergence("edge refinement (no fold system)", dps=dps)
    n = system.n
    work = dps + 20
    with mpmath.workdps(work):
        x0 = mpmath.mpf(x0)
        # starting unknowns: the real solution just outside the edge (float64 continuation)
        w_np, _, info = solve_np(system, np.array([float(x0) + 0j]))
        if info.failed.any() or not np.all(np.isfinite([np.real(q[0]) for q in w_np])):
            raise NoConvergence("edge refinement start", dps=dps)
        w = [mpmath.mpf(float(np.real(wi[0]))) for wi in w_np]

        def aug(v):
            xs, ws = v[-1], v[:-1]
            # residuals and their Jacobian in the unknowns (dual numbers, as the solver does)
            wd = [Dual.variable(mpmath.mpc(q), i, n) for i, q in enumerate(ws)]
            res, _ = system.evaluate(Dual.constant(mpmath.mpc(xs), n), wd, MP, [])
            F = [mpmath.re(r.v) for r in res]
            J = mpmath.matrix([[mpmath.re(r.d[j]) for j in range(n)] for r in res])
            return F + [mpmath.det(J)]

        v = w + [x0]
        h = mpmath.mpf(10) ** (-(work // 3))
        last = None
        for it in range(60):
            A0 = aug(v)
            cols = []
            for j in range(n + 1):
                vp = list(v)
                vm = list(v)
                hj = h * (1 + abs(v[j]))
                vp[j] += hj
                vm[j] -= hj
                Ap, Am = aug(vp), aug(vm)
                cols.append([(p - m) / (2 * hj) for p, m in zip(Ap, Am)])
            Jm = mpmath.matrix([[cols[j][i] for j in range(n + 1)] for i in range(n + 1)])
            try:
                dv = mpmath.lu_solve(Jm, mpmath.matrix(A0))
            except ZeroDivisionError:
                raise NoConvergence("edge refinement (singular fold system)", dps=dps,
                                    steps=it) from None
            v = [v[i] - dv[i] for i in range(n + 1)]
            step = abs(dv[n])
            if last is not None and step < mpmath.mpf(10) ** (-(dps + 8)) * (1 + abs(v[-1])):
                return v[-1], step * 10
            if it > 8 and last is not None and step > last:
                raise NoConvergence("edge refinement", dps=dps, steps=it, residual=step)
            last = step
        raise NoConvergence("edge refinement", dps=dps, steps=60, residual=last)


def _inside_mp(law, x, dps):
    d = law._density_mp(mpmath.mpf(x), dps)
    return d > 0


def _bisect_mp(law, x_out, x_in, dps, digits):
    with mpmath.workdps(dps + 10):
        a, b = mpmath.mpf(x_out), mpmath.mpf(x_in)
        target = mpmath.mpf(10) ** (-digits) * (1 + abs(b))
        it = 0
        while abs(b - a) > target and it < 200:
            m = (a + b) / 2
            try:
                ins = _inside_mp(law, m, dps)
            except NoConvergence:
                break
            if ins:
                b = m
            else:
                a = m
            it += 1
        return (a + b) / 2, abs(b - a) / 2


def numeric_edges(law, dps: int = 30) -> list[Edge]:
    """Edges of the absolutely continuous part of a composite law (see module docstring).

    What ``Law.edges()`` returns for the composite laws (free convolutions, operator-valued
    laws). Each :class:`~freealg.laws.base.Edge` has its kind (``'soft'``, ``'hard'``,
    ``'cusp'`` or ``'singular'``), its side (``'left'`` or ``'right'`` end of a band, ``''``
    for a point inside a band), its local exponent and an error bound; an edge snapped to an
    exact candidate keeps its exact value with error 0. Results are cached on the law.

    Examples
    --------
    >>> import mpmath, freealg as fa
    >>> law = fa.free_additive(fa.semicircle(1), fa.semicircle(1))   # = semicircle(2)
    >>> edges = numeric_edges(law, dps=20)
    >>> [(e.kind, e.side) for e in edges]
    [('soft', 'left'), ('soft', 'right')]
    >>> # R-transforms add: variance 1 + 1 = 2, edges -+2 sqrt(2), found by Newton on the fold
    >>> with mpmath.workdps(30):
    ...     [bool(abs(abs(e.location) - mpmath.sqrt(8)) <= e.error) for e in edges]
    [True, True]

    Parameters
    ----------
    law : Law
        Usually a composite law (free convolutions of :mod:`freealg.laws.convolution`,
        :class:`~freealg.laws.operator_valued.OperatorValued`), whose soft edges are refined
        by Newton on the fold system; any other law works too, with edges bisected to about
        ``dps/2`` digits (the error bound says how many).
    dps : int, optional
        Precision (significant digits) of the edges that are refined numerically.

    Returns
    -------
    list of Edge
        Sorted by location; a cusp or singular point inside a band is one record (side ``''``).
    """
    key = ("edges", dps)
    if key in law._cache:
        return list(law._cache[key])
    stage("float64 scan of the density")
    found = law._memo("edge_brackets", lambda: _float_brackets(law))
    if found is None:
        law._cache[key] = []
        return []
    brackets, refined, lo, hi = found
    edges = _refine_edges(law, brackets, refined, lo, hi, dps)
    law._cache[key] = edges
    return list(edges)


def _float_brackets(law):
    """Float64 stage (independent of dps, cached): scan, then bisect every transition."""
    scan = _scan(law)
    if scan is None:
        return None
    x, rho, inside, lo, hi, failed = scan
    brackets = []  # (x_out, x_in, side)
    if inside[0]:
        brackets.append((lo, lo, "left"))
    if inside[-1]:
        brackets.append((hi, hi, "right"))
    # nodes where the float64 solver failed (NaN): an edge next to them is bracketed by the
    # nearest node confirmed outside beyond them (unless they lie between two inside nodes)
    bad = failed & ~inside

    def outer(i, step):
        k = i
        while 0 <= k < len(x) and bad[k]:
            k += step
        if k < 0 or k >= len(x):
            return lo if step < 0 else hi
        return x[i] if inside[k] else x[k]

    for i in range(len(x) - 1):
        if inside[i] and not inside[i + 1]:
            brackets.append((outer(i + 1, 1), x[i], "right"))
        elif inside[i + 1] and not inside[i]:
            brackets.append((outer(i, -1), x[i + 1], "left"))
    real = [k for k, b in enumerate(brackets) if b[0] != b[1]]
    xo, xi = _bisect_np(law, [brackets[k][0] for k in real], [brackets[k][1] for k in real])
    refined = {k: (xo[j], xi[j]) for j, k in enumerate(real)}
    # cusps and singular points between grid nodes: sharp dips and peaks of the density
    scale = max(abs(lo), abs(hi), hi - lo)
    for a, b in _corner_candidates(law, x, rho, inside, scale):
        brackets.append((a, b, "inner"))
    return brackets, refined, lo, hi


def _corner_candidates(law, x, rho, inside, scale) -> list:
    """Float64 brackets (a, b) of the cusps and singular points inside bands that fall between
    grid nodes: a node that is a sharp local minimum (below 0.8 of the density two nodes away
    on both sides; a cusp's |x - x0|^{1/3} gives at most 0.7) or a sharp local maximum (above
    1.5 of it; a |x - x0|^{-1/2} divergence gives at least 1.7), narrowed by 16-fold sections
    around the extreme value, and kept when the density vanishes (exponent > 0.05) or diverges
    (< -0.05) on both sides of it."""
    out = []
    n = len(x)
    frac = np.linspace(0.0, 1.0, 33)[1:-1]
    for i in range(2, n - 2):
        if not np.all(inside[i - 2:i + 3]):
            continue
        r = rho[i - 2:i + 3]
        far = (r[0], r[4])
        peak = r[2] >= max(r[1], r[3]) and r[2] > 1.5 * max(far)
        dip = r[2] <= min(r[1], r[3]) and r[2] < 0.8 * min(far)
        if not (peak or dip):
            continue
        a, b = x[i - 1], x[i + 1]
        for _ in range(9):
            pts = a + frac * (b - a)
            with np.errstate(all="ignore"):
                d = _density_grid(law, pts, keep_nan=True)
            if peak:
                d = np.where(np.isfinite(d), d, np.inf)   # the solver fails at the divergence
                j = int(np.argmax(d))
            else:
                d = np.where(np.isfinite(d), d, 0.0)
                j = int(np.argmin(d))
            a, b = pts[max(j - 1, 0)] if j > 0 else a, pts[j + 1] if j < len(pts) - 1 else b
            if b - a <= 1e-11 * (1 + scale):
                break
        m = 0.5 * (a + b)
        a_l = _exponent(law, m, -1.0, scale)
        a_r = _exponent(law, m, 1.0, scale)
        if (peak and a_l < -0.05 and a_r < -0.05) or (dip and a_l > 0.05 and a_r > 0.05):
            out.append((float(a), float(b)))
    return out


def _confirmed(law, loc, err, inward, dps) -> bool:
    """Whether the density is > 0 just inside and 0 just outside an edge claimed at ``loc``
    with error ``err`` (at 10 err, and at least a few units of the last digit)."""
    try:
        with mpmath.workdps(dps + 10):
            loc = mpmath.mpf(loc)
            d = max(10 * mpmath.mpf(err), abs(loc) * mpmath.mpf(10) ** (3 - dps),
                    mpmath.mpf(10) ** (3 - dps))
            return bool(_inside_mp(law, loc + inward * d, dps)) and not bool(
                _inside_mp(law, loc - inward * d, dps))
    except (NoConvergence, ZeroDivisionError, ValueError):
        return True  # no verdict: keep the refinement's own estimate


def _refine_edges(law, brackets, refined, lo, hi, dps):
    scale = max(abs(lo), abs(hi), hi - lo)
    cands = []
    for c in getattr(law, "_edge_candidates", lambda: [])():
        try:
            cands.append((c, float(numeric_value(c, NP))))
        except Exception:  # symbolic candidates cannot be snapped
            continue
    edges = []
    skip: set = set()
    for k, j, inner in _interior_pairs(law, brackets, refined, scale):
        # a right end and a left end with nothing between them: one point inside a band (the
        # density vanishes there: a cusp; or diverges: a singular point), never a gap
        stage(f"point inside a band near {inner[0]:.6g}")
        edges.append(_refine_interior(law, inner, cands, scale, dps))
        skip |= {k, j}
    for k, b in enumerate(brackets):
        if b[2] == "inner":   # a sharp dip or peak between grid nodes (see _float_brackets)
            stage(f"point inside a band near {b[0]:.6g}")
            edges.append(_refine_interior(law, (b[0], b[1]), cands, scale, dps))
            skip.add(k)
    for k, b in enumerate(brackets):
        if k in skip:
            continue
        stage(f"edge {k + 1} of {len(brackets)}")
        side = b[2]
        inward = 1.0 if side == "left" else -1.0
        if b[0] == b[1]:
            e_f = b[0]
            bracket = (e_f, e_f)
        else:
            bracket = refined[k]
            e_f = 0.5 * (bracket[0] + bracket[1])
        alpha, agreed = _exponent_fit(law, e_f, inward, scale)
        kind = _kind(alpha)
        expo = _expo_field(alpha, agreed)
        tol = 1e-7 * (1 + scale)
        snap = [c for c, cf in cands if abs(cf - e_f) <= tol]
        if snap:
            edges.append(Edge(snap[0], kind, 0, side, expo))
            continue
        if b[0] == b[1]:
            edges.append(Edge(sp.Float(e_f, 17), kind, tol, side, expo))
            continue
        low = _divergent_low_edge(law, brackets, refined, k, alpha, cands, scale, dps)
        if low is not None:
            edges.append(low)
            continue
        loc, err = None, None
        if kind == "soft":
            # start the fold Newton a little outside, where the real branch is well
            # conditioned in float64
            for dist in (1e-5, 1e-4, 1e-3, 1e-2):
                try:
                    xe, err = _fold_newton_mp(law, e_f - inward * dist * (1 + scale), dps)
                except (NoConvergence, ZeroDivisionError, ValueError):
                    continue
                if abs(float(xe) - e_f) <= 1e-6 * (1 + scale):
                    loc = xe
                    break
        if loc is not None and not _confirmed(law, loc, err, inward, dps):
            # the fold Newton landed on another fold point (its residual is small there too):
            # the density must be 0 just outside and > 0 just inside at the claimed accuracy
            record(note=f"fold point {mpmath.nstr(loc, 12)} not confirmed by the density; "
                        "bisected instead")
            loc = None
        if loc is None:
            loc, err = _bisect_mp(law, bracket[0], bracket[1], dps, digits=min(dps // 2 + 3, 25))
            if not _confirmed(law, loc, err, inward, dps):
                # the float64 bracket holds the edge only if its ends are really outside and
                # inside at dps: then it is the error; otherwise no honest error can be given
                try:
                    valid = (not _inside_mp(law, bracket[0], dps)) and bool(
                        _inside_mp(law, bracket[1], dps))
                except (NoConvergence, ZeroDivisionError, ValueError):
                    valid = False
                if not valid:
                    raise NoConvergence(
                        "edge refinement", dps=dps, point=e_f,
                        advice="the density does not confirm an edge near this point at the "
                               "requested precision; try another method (law.edges(method=...)) "
                               "or a different dps")
                with mpmath.workdps(dps):
                    loc = (mpmath.mpf(bracket[0]) + mpmath.mpf(bracket[1])) / 2
                    err = abs(mpmath.mpf(bracket[1]) - mpmath.mpf(bracket[0]))
                record(note=f"edge near {mpmath.nstr(loc, 12)} kept at the float64 bracket's "
                            "accuracy")
        with mpmath.workdps(dps):
            # the location is rounded to dps digits: the error is at least that rounding
            err = max(mpmath.mpf(err), abs(mpmath.mpf(loc)) * mpmath.mpf(10) ** (1 - dps))
            edges.append(Edge(+loc, kind, +err, side, expo))
    edges.sort(key=lambda e: (float(e.location), 0 if e.side == "right" else 1))
    # two bands touching at one point: a cusp
    merged = []
    for e in edges:
        if merged and merged[-1].side == "right" and e.side == "left" and \
                abs(float(merged[-1].location) - float(e.location)) <= 1e-6 * (1 + scale):
            prev = merged.pop()
            expo = point_exponent(law, float(prev.location), "", scale)
            kind = "singular" if expo is not None and expo < 0 else "cusp"
            merged.append(Edge(prev.location, kind, max(prev.error, e.error), "", expo))
            continue
        merged.append(e)
    return merged


def _divergent_low_edge(law, brackets, refined, k, alpha, cands, scale, dps):
    """The lowest band end ``k`` at an exact point c (0, or an exact candidate) inside its
    float64 bracket, where the density diverges: located exactly with the error bound of
    :func:`freealg.numeric.corners.divergent_lower_edge` (G and G' below c; its curve
    reaches where the solvers cannot), or None. The bound needs every point below c outside
    the support: the bracket is the lowest one of the scan and no atom lies at or below c."""
    xo, xi = refined[k]
    if brackets[k][2] != "left" or (np.isfinite(alpha) and alpha > -0.05):
        return None              # no divergence measured there (NaN: not measured)
    if any(j != k and b[2] != "inner" and min(b[0], b[1]) < min(brackets[k][:2])
           for j, b in enumerate(brackets)):
        return None              # not the lowest band end
    tol = 1e-7 * (1 + scale)
    pool = [(c, cf) for c, cf in cands] + [(sp.Integer(0), 0.0)]
    from .corners import divergent_lower_edge

    for c, cf in pool:
        if not (xo < cf <= xi + tol):
            continue
        if any(loc <= cf + tol for loc, _ in law._atoms_float()):
            return None          # an atom at or below c: the bound does not apply
        stage(f"divergent edge at {c}")
        d0 = max(cf - xo, 1e-3 * (1 + abs(cf)))
        try:
            found = divergent_lower_edge(law, c, d0, dps)
        except (NoConvergence, ZeroDivisionError, ValueError, ArithmeticError):
            found = None
        if found is not None:
            loc, err, expo = found
            return Edge(loc, "hard", err, "left", expo)
    return None


def _interior_pairs(law, brackets, refined, scale) -> list:
    """(k, j, (lo, hi)) for every right end k and left end j of the float64 brackets that
    enclose no gap: the inside points of the two brackets are within 1e-7 of the scale of each
    other, and the density vanishes (exponent > 0.05) or diverges (< -0.05) on both sides of
    the point between them. ``(lo, hi)`` are the two inside points (the point lies between)."""
    ends = []
    for k, b in enumerate(brackets):
        if b[0] == b[1] or k not in refined:
            continue
        xo, xi = refined[k]
        ends.append((float(xi), b[2], k, float(xo)))
    rights = sorted((e for e in ends if e[1] == "right"), key=lambda e: e[0])
    lefts = sorted((e for e in ends if e[1] == "left"), key=lambda e: e[0])
    out = []
    used: set = set()
    for xi_r, _, k, _ in rights:
        for xi_l, _, j, _ in lefts:
            if j in used or not xi_l > xi_r or xi_l - xi_r > 1e-7 * (1 + scale):
                continue
            mid = 0.5 * (xi_l + xi_r)
            a_l = _exponent(law, mid, -1.0, scale)
            a_r = _exponent(law, mid, 1.0, scale)
            if (a_l < -0.05 and a_r < -0.05) or (a_l > 0.05 and a_r > 0.05):
                out.append((k, j, (xi_r, xi_l)))
                used.add(j)
                break
    return out


def _golden_mp(f, a, b, dps) -> tuple:
    """Golden-section search for the minimum of a unimodal ``f`` on [a, b] at ``dps``: (the
    midpoint of the final bracket, its half-width). Stops early, with the bracket reached,
    when ``f`` fails (NoConvergence) or the two probes tie (the minimum then lies in the
    bracket all the same)."""
    with mpmath.workdps(dps + 10):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        invphi = (mpmath.sqrt(5) - 1) / 2
        target = mpmath.mpf(10) ** (-dps) * (1 + max(abs(a), abs(b)))
        c = b - invphi * (b - a)
        d = a + invphi * (b - a)
        try:
            fc, fd = f(c), f(d)
            for _ in range(400):
                if b - a <= 2 * target or fc == fd:
                    break
                if fc < fd:
                    b, d, fd = d, c, fc
                    c = b - invphi * (b - a)
                    fc = f(c)
                else:
                    a, c, fc = c, d, fd
                    d = a + invphi * (b - a)
                    fd = f(d)
        except (NoConvergence, ZeroDivisionError, ValueError):
            pass
        return (a + b) / 2, (b - a) / 2


def _refine_interior(law, inner, cands, scale, dps) -> Edge:
    """A cusp or singular point between the inside points ``inner`` = (lo, hi): snapped to an
    exact candidate in [lo, hi], else located at ``dps`` by a golden-section search for the
    minimum of the density (cusp) or of 1/|G(x + i0)| (singular point), starting from the
    float64 bracket (its half-width is the error when the search cannot go further)."""
    lo_f, hi_f = inner
    mid = 0.5 * (lo_f + hi_f)
    expo = point_exponent(law, mid, "", scale)
    kind = "singular" if expo is not None and expo < 0 else "cusp"
    slack = 1e-9 * (1 + scale)
    snap = [c for c, cf in cands if lo_f - slack <= cf <= hi_f + slack]
    if snap:
        return Edge(snap[0], kind, 0, "", expo)
    if kind == "singular":
        beta = -float(expo) if expo is not None else 0.5
        loc, err = _singular_bracket(law, lo_f, hi_f, beta, dps)
    else:
        loc, err = _golden_mp(lambda x: law._density_mp(x, dps), lo_f, hi_f, dps)
    with mpmath.workdps(dps):
        err = max(err, abs(loc) * mpmath.mpf(10) ** (1 - dps))
        return Edge(+loc, kind, +err, "", expo)


def _singular_bracket(law, a, b, beta, dps) -> tuple:
    """Locate a singular point x0 in (a, b) (G(x + i0) ~ |x - x0|^-beta on both sides) at
    ``dps``: h(x) = |G(x + i0)|^(-1/beta) is ~ c_-+ |x - x0| (V-shaped), so the roots of the
    lines through the last two points on each side estimate x0 (superlinearly); each trial
    point t (two per step, one on each side of the estimate) is placed on its side by the sign
    of h(t + delta) - h(t), delta = 1e-2 of its offset, which is right unless x0 lies within
    delta of t, so the bracket [a, b] widened by the delta of the tests that set its ends
    always holds x0. Returns (midpoint, half-width + that delta); stops with the bracket
    reached when G fails to converge."""
    def h(x):
        return abs(law._cauchy_mp(mpmath.mpc(x, 0), dps + 10)) ** (-1 / beta)

    with mpmath.workdps(dps + 10):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        target = mpmath.mpf(10) ** (-dps) * (1 + max(abs(a), abs(b)))
        slack_a = slack_b = mpmath.mpf(0)
        try:
            left = [(a, h(a))]
            right = [(b, h(b))]
            for _ in range(40):
                w = b - a
                if w <= 2 * target:
                    break
                ests = []
                for pts in (left, right):
                    if len(pts) >= 2:
                        (x1, h1), (x2, h2) = pts[-2], pts[-1]
                        if h1 != h2:
                            ests.append(x2 - h2 * (x2 - x1) / (h2 - h1))
                if len(ests) < 2:
                    # equal slopes on both sides: where the two lines meet
                    (xa, ha), (xb, hb) = left[-1], right[-1]
                    ests.append((xa * hb + xb * ha) / (ha + hb))
                est = mpmath.fsum(ests) / len(ests)
                spread = max(ests) - min(ests)
                # two trial points around the estimate, one for each side (off by a small
                # irrational fraction: an estimate that hits x0 exactly has no finite G)
                eps = min(max(2 * spread, w * mpmath.mpf(10) ** -6, target), w / 4)
                eps *= mpmath.sqrt(2)
                for t in (est - eps, est + eps):
                    if not a < t < b:
                        continue
                    delta = eps * mpmath.mpf(10) ** -2
                    ht, hd = h(t), h(t + delta)
                    # a side test can be wrong only if x0 is within delta of t: each end
                    # keeps the delta of the test that set it
                    if hd < ht:      # h still falls to the right: t is left of x0
                        a, slack_a = t, delta
                        left.append((t, ht))
                    else:
                        b, slack_b = t, delta
                        right.append((t, ht))
        except (NoConvergence, ZeroDivisionError, ValueError):
            pass
        return (a + b) / 2, (b - a) / 2 + max(slack_a, slack_b)


def numeric_support(law, dps: int = 30) -> list[Band]:
    """Maximal bands [lo, hi] of the absolutely continuous part (cusps and singular points
    inside a band are in its ``interior``).

    What ``Law.support()`` returns for the composite laws: the bands between the edges of
    :func:`numeric_edges` (atoms are never bands).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> half = sp.Rational(1, 2)
    >>> law = fa.free_additive(fa.bernoulli(half), fa.bernoulli(half))   # p + q, free projections
    >>> # the free sum of two symmetric Bernoulli laws is the arcsine law: here on [0, 2], with
    >>> # hard edges snapped to the exact candidates 0 and 2
    >>> numeric_support(law)
    [Band(lo=0, hi=2)]

    Parameters
    ----------
    law : Law
        Any law, as for :func:`numeric_edges`.
    dps : int, optional
        Precision (significant digits) of endpoints found numerically.

    Returns
    -------
    list of Band
        Sorted; empty when the law is purely atomic.
    """
    return bands_from_edges(numeric_edges(law, dps))


def curve_density(curve: Any, law: Any):
    """The float64 density of ``law`` read off its algebraic ``curve``, with the points the
    curve leaves NaN (next to poles and branch points) solved by the law's own
    ``_density_np``: a function of a float array."""

    def density(x):
        with np.errstate(all="ignore"):
            d = np.asarray(curve.density_np(x), dtype=float)
        bad = ~np.isfinite(d)
        if bad.any():
            d[bad] = law._density_np(np.asarray(x, dtype=float)[bad])
        return d

    return density


def curve_interior(law, bands: list, dps: int) -> list:
    """The cusps and singular points inside the ``bands`` (float (lo, hi) pairs) of a law with
    an algebraic curve: the real roots of the discriminant (and of the leading coefficient)
    strictly inside a band at which the density vanishes (cusp) or diverges (singular point)
    on both sides, located to ``dps`` digits by the curve's root isolation. [] when the law
    has no curve.

    Examples
    --------
    >>> import freealg as fa
    >>> law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))   # critical: a cusp
    >>> curve_interior(law, [(-5.196, 5.196)], 20)
    [Edge(location=0, kind='cusp', error=0, side='', exponent=1/3)]
    """
    engine = getattr(law, "_curve_engine", None)
    try:
        curve = engine(eliminate=True) if engine is not None else None
    except Exception:  # noqa: BLE001 (no curve: no candidates)
        curve = None
    if curve is None or not bands:
        return []
    if hasattr(curve, "_candidates"):
        cands = list(curve._candidates(dps))
    else:
        cands = [(c, mpmath.mpf(10) ** (1 - dps) * (1 + abs(c)))
                 for c in curve.edge_candidates(dps)]
    scale = max(float(getattr(law, "_scale", 1.0)), 1e-12)
    density = curve_density(curve, law)

    out = []
    for loc, err in cands:
        xf = float(loc)
        margin = 1e-4 * scale
        if not any(lo + margin < xf < hi - margin for lo, hi in bands):
            continue
        a_l = _exponent(law, xf, -1.0, scale, density)
        a_r = _exponent(law, xf, 1.0, scale, density)
        if a_l > 0.05 and a_r > 0.05:
            kind = "cusp"
        elif a_l < -0.05 and a_r < -0.05:
            kind = "singular"
        else:
            continue  # a branch point off the physical sheet: the density is smooth there
        expo = point_exponent(law, xf, "", scale, density)
        with mpmath.workdps(dps):
            err = mpmath.mpf(err)
            where = sp.Integer(0) if err == 0 and loc == 0 else +mpmath.mpf(loc)
            out.append(Edge(where, kind, +err if err else 0, "", expo))
    return out


def bands_from_edges(edges: list) -> list[Band]:
    """The maximal bands between sorted edges: a 'left' edge opens one, a 'right' edge closes
    it; a cusp or singular point (side '') inside a band is listed in its ``interior``.

    Examples
    --------
    >>> from freealg.numeric.edges import bands_from_edges
    >>> from freealg.numeric.records import Edge
    >>> bands_from_edges([Edge(0, "soft", 0, "left"), Edge(1, "cusp"),
    ...                   Edge(2, "soft", 0, "right")])
    [Band(lo=0, hi=2, interior=(1,))]
    """
    bands = []
    start = None
    inner: list = []
    for e in edges:
        if e.side == "left":
            start, inner = e.location, []
        elif e.side == "right" and start is not None:
            bands.append(Band(start, e.location, tuple(inner)))
            start, inner = None, []
        elif not e.side and start is not None:
            inner.append(e.location)
    return bands


def confirm_atoms(law, dps: int = 30) -> list[tuple[Atom, Any, Any]]:
    """Check each theoretical atom numerically: mass ~ lim_{y->0+} i y G(a + i y).

    Returns triples (atom, numeric mass, ``|difference|``). The limit is taken at y = 10^-k for two
    k; when the density is singular at the atom the convergence is slow (a power law in y), which
    shows in the difference.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> q = sp.Rational(1, 4)
    >>> law = fa.free_additive(fa.bernoulli(q), fa.bernoulli(q))
    >>> law.atoms()       # Bercovici-Voiculescu 1998: mass 3/4 + 3/4 - 1 = 1/2 at 0 + 0
    [Atom(location=0, mass=1/2, error=0)]
    >>> [(a.location, float(mass), bool(diff < 1e-20)) for a, mass, diff in confirm_atoms(law)]
    [(0, 0.5, True)]

    Parameters
    ----------
    law : Law
        Any law (it needs ``atoms()`` and the mpmath Cauchy transform).
    dps : int, optional
        Working precision; the limit is sampled at ``y = 10^-(dps//3)`` and
        ``10^-(dps//3 + 2)`` (times the scale of the support).

    Returns
    -------
    list of (Atom, mpf, mpf)
        For every atom of ``law.atoms()``: the atom, ``Re(i y G(a + i y))`` at the smaller y,
        and its distance to the theoretical mass.
    """
    out = []
    lo, hi = law._hull_float()
    scale = max(abs(lo), abs(hi), hi - lo, 1.0)
    for atom in law.atoms():
        vals = []
        for k in (dps // 3, dps // 3 + 2):
            with mpmath.workdps(dps + 10):
                y = mpmath.mpf(10) ** (-k) * scale
                a = numeric_value(atom.location, MP)
                G = law._cauchy_mp(mpmath.mpc(a, y), dps + 10)
                vals.append(mpmath.re(1j * y * G))
        with mpmath.workdps(dps):
            exact = numeric_value(atom.mass, MP)
            out.append((atom, +vals[-1], +abs(vals[-1] - exact)))
    return out


def mass_check(law, dps: int | None = None) -> dict:
    """Continuous mass (integral of the density over the bands) plus atom masses.

    Float64 (vectorised tanh-sinh on each band) when ``dps`` is None, else mpmath's tanh-sinh
    at ``dps``. Returns a dict with 'continuous', 'atoms', 'total' and
    'deviation' = ``|total - 1|``.

    Examples
    --------
    >>> import freealg as fa
    >>> round(mass_check(fa.free_poisson(0.5))["total"], 10)
    1.0
    """
    bands = law.support()
    if dps is None:
        atoms = sum(float(numeric_value(a.mass, NP)) for a in law.atoms())
        cont = 0.0
        for b in bands:
            lo, hi = float(numeric_value(b.lo, NP)), float(numeric_value(b.hi, NP))
            # the band minus two tails of width cut; the tails are integrated from the local
            # power law rho ~ c s^alpha fitted at cut and 2 cut (relative error O(cut))
            # (as close to the edge as float64 resolves it: corrections to the power law can
            # be fractional, e.g. x^{1/3} at the Fuss-Catalan edge 0)
            # (float64 loses ~eps/d relative accuracy at distance d from a hard edge, so the
            # cut is 1e-10 of the width away from 0 and 1e-15 at an edge at 0)
            # (and 1e-10 at an atom, where the pole swamps the continuous part in float64)
            atom_locs = [a for a, _ in law._atoms_float()]
            cuts = [(1e-15 if e == 0 and all(abs(a) > 1e-12 for a in atom_locs) else 1e-10)
                    * (hi - lo) for e in (lo, hi)]
            a, c = lo + cuts[0], hi - cuts[1]
            width = c - a
            # halve the step until two levels agree (densities of laws with many atoms can
            # vary on small scales)
            prev = None
            for h in (1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128):
                sig, tau, ws = tanh_sinh_rule(h, 4.5)
                pts = np.where(sig < tau, a + width * sig, c - width * tau)
                val = width * float(np.sum(ws * np.nan_to_num(law._density_np(pts))))
                if prev is not None and abs(val - prev) <= 1e-13:
                    break
                prev = val
            cont += val
            for e, inward, cut in ((lo, 1.0, cuts[0]), (hi, -1.0, cuts[1])):
                r1, r2 = law._density_np(np.array([e + inward * cut, e + 2 * inward * cut]))
                if r1 > 0 and r2 > 0:
                    alpha = math.log(r2 / r1) / math.log(2.0)
                    if alpha > -1:
                        cont += r1 * cut / (1 + alpha)
        cont = float(cont)
        total = cont + atoms
        return {"continuous": cont, "atoms": atoms, "total": total, "deviation": abs(total - 1)}
    with mpmath.workdps(dps):
        atoms = mpmath.fsum(numeric_value(a.mass, MP) for a in law.atoms())
        cont = mpmath.mpf(0)
        for b in bands:
            lo, hi = numeric_value(b.lo, MP), numeric_value(b.hi, MP)
            cont += mpmath.quad(lambda t: law._density_mp(t, dps), [lo, hi])
        total = cont + atoms
        return {"continuous": cont, "atoms": atoms, "total": total, "deviation": abs(total - 1)}


def contour_moments(law, n: int, dps: int | None = None, nodes: int | None = None) -> list:
    """Moments m_1..m_n from the numeric Cauchy transform by a contour integral.

    m_k = (1/2 pi i) ∮ z^k G(z) dz on an ellipse around the support; with G(conj z) = conj G(z)
    only the upper half is evaluated, and the periodic trapezoid rule converges geometrically
    (G is analytic off the support, so the integrand is analytic and periodic in the angle).

    An independent check of the numeric Cauchy transform against the exact moments.

    Examples
    --------
    >>> import mpmath, sympy as sp, freealg as fa
    >>> half = sp.Rational(1, 2)
    >>> law = fa.free_additive(fa.bernoulli(half), fa.bernoulli(half))   # arcsine law on [0, 2]
    >>> # exact moments of the arcsine law on [0, 2]: binomial(2k, k) / 2^k = 1, 3/2, 5/2, 35/8
    >>> [round(m, 10) for m in contour_moments(law, 4)]
    [1.0, 1.5, 2.5, 4.375]
    >>> mp = contour_moments(law, 4, dps=20, nodes=48)
    >>> with mpmath.workdps(30):
    ...     bool(max(abs(m - e) for m, e in zip(mp, [1, 1.5, 2.5, 4.375])) < 1e-18)
    True

    Parameters
    ----------
    law : Law
        The law (it needs its float64 or mpmath Cauchy transform).
    n : int
        Number of moments.
    dps : int or None, optional
        None: float64 (256 nodes by default); else mpmath at ``dps`` digits
        (``max(96, 6 dps)`` nodes by default).
    nodes : int or None, optional
        Number of nodes of the trapezoid rule on the upper half of the ellipse.

    Returns
    -------
    list
        ``[m_1, ..., m_n]``: floats, or mpf when ``dps`` is given.
    """
    lo, hi = law._hull_float()
    c = 0.5 * (lo + hi)
    ra = 0.5 * (hi - lo) * 1.25 + 0.5
    rb = 0.5 * (hi - lo) * 0.6 + 0.5
    if dps is None:
        N = nodes or 256
        th = np.pi * (np.arange(N) + 0.5) / N  # midpoints in (0, pi)
        z = c + ra * np.cos(th) + 1j * rb * np.sin(th)
        dz = -ra * np.sin(th) + 1j * rb * np.cos(th)
        G = law._cauchy_np(z)
        out = []
        for k in range(1, n + 1):
            f = z**k * G * dz
            out.append(float(np.sum(np.imag(f)) / N))
        return out
    N = nodes or max(96, 6 * dps)
    with mpmath.workdps(dps + 10):
        vals = []
        for j in range(N):
            th = mpmath.pi * (j + mpmath.mpf(1) / 2) / N
            z = c + ra * mpmath.cos(th) + 1j * rb * mpmath.sin(th)
            dz = -ra * mpmath.sin(th) + 1j * rb * mpmath.cos(th)
            vals.append((z, dz, law._cauchy_mp(z, dps + 10)))
        out = []
        for k in range(1, n + 1):
            s = mpmath.fsum(mpmath.im(z**k * G * dz) for z, dz, G in vals)
            out.append(s / N)
    with mpmath.workdps(dps):
        return [+v for v in out]


#: public names of the local-exponent estimate and the classification of an edge by it
edge_exponent = _exponent
edge_kind = _kind
