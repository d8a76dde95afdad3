"""Mass audit of a support: the bands' continuous mass plus the atoms must be 1.

An engine module (duck typing): it works on any law-like object with ``_density_np(x)``,
``_cauchy_np(z)``, ``_hull_float()``, ``_atoms_float()`` and ``atoms()``, and with the members
the edge search of :mod:`freealg.numeric.edges` uses for refining new edges.

Algorithm:

1. the continuous mass of every band is integrated in float64 by the tanh-sinh rule on the band
   (on each piece between the cusps and singular points of its ``interior``) less two tails of
   width ``cut`` (the double-exponential clustering resolves the
   ``|x - e|^alpha`` end behaviour, alpha = -1/2, -1/3, 1/3, 1/2, ...); each tail is added from the
   local power law ``rho ~ c s^alpha`` fitted at ``cut, 2 cut`` and checked against the fit at
   ``2 cut, 4 cut``. The error estimate of a band is the difference of the last two tanh-sinh
   levels plus the difference of the two tail fits;
2. when the bands and atoms fall short of 1 by more than the tolerance (a multiple of those
   estimates), the hull is cut at points between the known bands and atoms, and the mass of
   each piece [a, b] is measured by the contour integral
   ``mu([a, b]) = (r / pi) int_0^pi Re(G(c + r e^{i t}) e^{i t}) dt`` (c, r: the centre and
   radius of the circle through a and b, which lie outside the support, so the integrand is
   analytic and periodic and the midpoint rule converges geometrically);
3. a piece that carries more mass than its known bands and atoms is scanned for positive
   density; if none is seen it is halved (at a point outside the support) and the halves are
   measured again, until the hidden band is seen; its edges are then bracketed, bisected in
   float64 and refined by the edge search of :mod:`freealg.numeric.edges`;
4. if mass is still missing (or in excess) the audit raises :class:`~freealg.errors.NoConvergence`
   with the missing mass: a support is never returned incomplete.

Examples
--------
>>> import freealg as fa
>>> from freealg.numeric.audit import mass_audit
>>> report = mass_audit(fa.free_poisson(2), fa.free_poisson(2).support())
>>> bool(abs(report["total"] - 1) <= report["tolerance"])
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import NoConvergence, UndeterminedError
from .contour import contour_mass
from .edges import _bisect_np, _density_grid, _refine_edges, bands_from_edges
from .params import numeric_value
from .tanhsinh import tanh_sinh_rule
from ..kernels.backend import NP

__all__ = ["band_mass", "contour_mass", "mass_audit", "complete_support"]

#: tanh-sinh step and range in u (nodes down to ~1e-17 of the cut band's width); levels h, 2h
_H, _UMAX, _LEVELS = 1 / 32, 3.2, 2
#: scans of the band search in all (each halving of a piece costs one)
_BUDGET = 60


def _float(v) -> float:
    return float(numeric_value(v, NP))


def _finite_density(law, x):
    """The float64 density at x (each distinct point evaluated once)."""
    x = np.asarray(x, dtype=float)
    u, inv = np.unique(x, return_inverse=True)
    return np.asarray(law._density_np(u), dtype=float)[inv].reshape(x.shape)


_RELS = (1e-10, 1e-8, 1e-6, 1e-4)


def _tail(r, cut):
    """Mass of a tail of width ``cut`` from the power law fitted to the densities ``r`` at
    cut, 2 cut (and its difference to the fit at 2 cut, 4 cut as the error); None when the
    density there is not positive (float64 failure next to the edge, or no band there)."""
    if not (np.all(np.isfinite(r)) and np.all(r > 0)):
        return None
    a1 = math.log(r[1] / r[0]) / math.log(2.0)
    a2 = math.log(r[2] / r[1]) / math.log(2.0)
    if a1 <= -1 or a2 <= -1:
        return None
    t1 = r[0] * cut / (1 + a1)
    t2 = r[0] * cut / (1 + a2)
    if min(a1, a2) < -0.5:
        # a strong divergence (up to 1/(x log^2 x), whose tail decays like 1/|log cut|): the
        # power law does not bound the tail; count it in full as the error
        return t1, abs(t1 - t2) + abs(t1)
    return t1, abs(t1 - t2) + 1e-3 * abs(t1)


def _band_masses(law, ends) -> list:
    """(mass, error) of every band in ``ends`` (float pairs) with two density calls in all:
    the tail probes of every band, then the tanh-sinh nodes of every band."""
    ends = [(float(lo), float(hi)) for lo, hi in ends]
    live = [k for k, (lo, hi) in enumerate(ends) if hi > lo and math.isfinite(hi - lo)]
    out = [(0.0, 0.0)] * len(ends)
    if not live:
        return out
    mult = np.array([1.0, 2.0, 4.0])
    probes = []
    for k in live:
        lo, hi = ends[k]
        w = hi - lo
        for e, inward in ((lo, 1.0), (hi, -1.0)):
            for rel in _RELS:
                probes.append(e + inward * rel * w * mult)
    r_all = _finite_density(law, np.concatenate(probes)).reshape(len(live), 2, len(_RELS), 3)
    plan = []
    for j, k in enumerate(live):
        lo, hi = ends[k]
        w = hi - lo
        tails, cuts = [], []
        for side in range(2):
            got, cut = None, _RELS[0] * w
            # float64 can lose the density right next to an edge: move the cut inwards
            for i, rel in enumerate(_RELS):
                got = _tail(r_all[j, side, i], rel * w)
                if got is not None:
                    cut = rel * w
                    break
            if got is None:
                # no positive density near this end: no tail (the band search decides the edge)
                got, cut = (0.0, 0.0), _RELS[0] * w
            tails.append(got)
            cuts.append(cut)
        plan.append((k, lo + cuts[0], hi - cuts[1], tails))
    h = _H
    while plan:
        # halve the step for the bands whose estimate is not yet below 1e-10 (up to 1/256)
        plan = _tanh_sinh_pass(law, plan, h, out)
        h /= 2
        if h < 1 / 256:
            break
    return out


def _tanh_sinh_pass(law, plan, h, out) -> list:
    """One tanh-sinh pass at step h over the bands of ``plan`` (one density call); stores
    (mass, error) in ``out`` and returns the bands whose error estimate exceeds 1e-10."""
    sig, tau, wts = tanh_sinh_rule(h, _UMAX)
    n = (len(wts) - 1) // 2
    kk = np.arange(-n, n + 1)
    nodes = [np.where(sig < tau, a + (c - a) * sig, c - (c - a) * tau) for _, a, c, _ in plan]
    d_all = _finite_density(law, np.concatenate(nodes)).reshape(len(plan), -1)
    again = []
    for j, (k, a, c, tails) in enumerate(plan):
        w = c - a
        d = d_all[j]
        bad = ~np.isfinite(d)
        d = np.where(bad, 0.0, d)
        vals = []
        for lev in range(_LEVELS):
            step = 2 ** lev
            sel = (kk % step) == 0
            vals.append(w * float(np.sum(wts[sel] * d[sel])) * step)
        mass = vals[0] + tails[0][0] + tails[1][0]
        err = abs(vals[0] - vals[1]) + tails[0][1] + tails[1][1]
        if np.any(bad):
            # a NaN point counts with the largest density seen
            err += w * float(np.sum(wts[bad])) * float(np.max(d, initial=0.0))
        out[k] = (float(mass), float(err + 1e-14 * abs(mass)))
        if abs(vals[0] - vals[1]) > 1e-10:
            again.append((k, a, c, tails))
    return again


def band_mass(law: Any, lo: float, hi: float) -> tuple[float, float]:
    """Continuous mass of ``law`` on the band [lo, hi] (float64) and an estimate of its error.

    Examples
    --------
    >>> import freealg as fa
    >>> m, err = band_mass(fa.semicircle(1), -2.0, 2.0)
    >>> bool(abs(m - 1) <= err + 1e-12), err < 1e-8
    (True, True)
    >>> m, err = band_mass(fa.arcsine(0, 1), 0.0, 1.0)      # 1/sqrt divergence at both ends
    >>> bool(abs(m - 1) <= err + 1e-12), err < 1e-6
    (True, True)

    Parameters
    ----------
    law : Law
        Any law (it needs the float64 density ``_density_np``).
    lo, hi : float
        The band.

    Returns
    -------
    (float, float)
        The mass and the error estimate (the difference of the last two tanh-sinh levels plus
        the error of the two tail fits; NaN points of the density count in full).
    """
    return _band_masses(law, [(lo, hi)])[0]


def _tolerance(errs) -> float:
    return 1e-8 + 4.0 * float(sum(errs))


def mass_audit(law: Any, bands: list) -> dict:
    """Continuous mass of ``bands`` plus the atom masses of ``law``, with a tolerance.

    Returns a dict with 'continuous', 'atoms', 'total', 'missing' (= 1 - total), 'error' (the
    summed quadrature estimates) and 'tolerance' (the bound on ``|total - 1|`` the audit
    accepts: 1e-8 plus four times the estimates). Bands with symbolic or infinite ends are not
    audited ('tolerance' is then infinite).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> law = fa.free_additive(fa.bernoulli(sp.Rational(1, 2)), fa.semicircle(sp.Rational(1, 100)))
    >>> report = mass_audit(law, law.support()[:1])     # one band of two: half the mass missing
    >>> round(report["missing"], 6), report["missing"] > report["tolerance"]
    (0.5, True)

    Parameters
    ----------
    law : Law
        Any law.
    bands : list of Band
        The bands to audit.
    """
    try:
        atoms = [(_float(a.location), _float(a.mass), _float(a.error or 0)) for a in law.atoms()]
        ends = [(_float(b.lo), _float(b.hi)) for b in bands]
    except (TypeError, ValueError, UndeterminedError):   # symbolic bands are not audited
        return {"continuous": float("nan"), "atoms": float("nan"), "total": float("nan"),
                "missing": float("nan"), "error": float("inf"), "tolerance": float("inf"),
                "bands": []}
    if not all(math.isfinite(x) for e in ends for x in e):
        return {"continuous": float("nan"), "atoms": float("nan"), "total": float("nan"),
                "missing": float("nan"), "error": float("inf"), "tolerance": float("inf"),
                "bands": []}
    # a band is integrated piecewise between the cusps and singular points inside it (the
    # tanh-sinh rule and the tail fits resolve end singularities, not interior ones)
    pieces, owner = [], []
    for k, ((lo, hi), b) in enumerate(zip(ends, bands)):
        try:
            inner = sorted(p for p in (_float(v) for v in getattr(b, "interior", ()))
                           if lo < p < hi)
        except (TypeError, ValueError):
            inner = []
        cuts = [lo] + inner + [hi]
        for a, c in zip(cuts[:-1], cuts[1:]):
            pieces.append((a, c))
            owner.append(k)
    per_piece = _band_masses(law, pieces)
    per = [(0.0, 0.0)] * len(ends)
    for k, (m, e) in zip(owner, per_piece):
        per[k] = (per[k][0] + m, per[k][1] + e)
    cont = float(sum(m for m, _ in per))
    am = float(sum(m for _, m, _ in atoms))
    errs = [e for _, e in per] + [e for _, _, e in atoms]
    total = cont + am
    return {"continuous": cont, "atoms": am, "total": total, "missing": 1.0 - total,
            "error": float(sum(errs)), "tolerance": _tolerance(errs),
            "bands": [(lo, hi, m, e) for (lo, hi), (m, e) in zip(ends, per)]}


def _items(report, atoms):
    """Known pieces of the support as sorted, merged (left, right, mass, err) intervals."""
    raw = [(lo, hi, m, e) for lo, hi, m, e in report["bands"]]
    raw += [(loc, loc, m, 0.0) for loc, m in atoms]
    raw.sort()
    merged: list = []
    for it in raw:
        if merged and it[0] <= merged[-1][1]:
            lo, hi, m, e = merged[-1]
            merged[-1] = (lo, max(hi, it[1]), m + it[2], e + it[3])
        else:
            merged.append(it)
    return merged


def _known_in(items, a, b):
    ins = [it for it in items if a < it[0] and it[1] < b]
    return sum(it[2] for it in ins), sum(it[3] for it in ins), ins


def _hunt(law, a, b, items, tol, depth, found, hidden=1.0, budget=None):
    """Find the hidden bands in [a, b] (a, b outside the support): scan, else halve (at most
    ``_BUDGET`` scans in all)."""
    budget = [_BUDGET] if budget is None else budget
    if budget[0] <= 0:
        return
    budget[0] -= 1
    x = np.linspace(a, b, 2049)
    d = _density_grid(law, x)
    known = np.zeros(x.shape, dtype=bool)
    for lo, hi, _, _ in items:
        span = 1e-9 * (1 + abs(lo) + abs(hi))
        known |= (x >= lo - span) & (x <= hi + span)
    # a hidden band of mass `hidden` has density above hidden / (b - a) somewhere; float64
    # noise (~1e-10 of the peak next to narrow bands) stays far below 1e-4 of that
    floor = 1e-4 * hidden / (b - a)
    pos = d[(d > floor) & ~known]
    if pos.size:
        ins = (d > max(floor, 1e-12 * float(np.max(pos)))) & ~known
        for i in range(len(x) - 1):
            if ins[i] and not ins[i + 1] and not known[i + 1]:
                found.append((x[i + 1], x[i], "right"))
            elif ins[i + 1] and not ins[i] and not known[i]:
                found.append((x[i], x[i + 1], "left"))
        return
    if depth >= 40:
        return
    # halve at an outside grid point (off the known pieces and the atoms) nearest the middle
    free = ~known & (d <= 0)
    for lo, hi, _, _ in items:
        free &= np.abs(x - lo) > 1e-6 * (b - a)
        free &= np.abs(x - hi) > 1e-6 * (b - a)
    idx = np.nonzero(free[1:-1])[0] + 1
    if idx.size == 0:
        return
    s = float(x[idx[np.argmin(np.abs(idx - len(x) // 2))]])
    for lo_, hi_ in ((a, s), (s, b)):
        m, err = contour_mass(law, lo_, hi_)
        km, ke, sub = _known_in(items, lo_, hi_)
        if math.isfinite(m) and m - km > tol + 4 * err + 4 * ke:
            _hunt(law, lo_, hi_, sub, tol, depth + 1, found, m - km, budget)


def complete_support(law: Any, bands: list, dps: int = 30, new_edges: list | None = None) -> list:
    """``bands`` completed until bands and atoms carry mass 1 (see the module docstring).

    Returns the bands (the given ones plus any hidden ones found, sorted). Raises
    :class:`~freealg.errors.NoConvergence` (with the missing mass as the residual) when the
    mass does not add up to 1 within the audit's tolerance.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> law = fa.free_additive(fa.bernoulli(sp.Rational(1, 2)), fa.semicircle(sp.Rational(1, 100)))
    >>> full = law.support()
    >>> got = complete_support(law, full[1:])        # the band around 0 is found again
    >>> [(round(float(b.lo), 9), round(float(b.hi), 9)) for b in got]
    [(-0.146090815, 0.136040306), (0.863959694, 1.146090815)]
    >>> [(round(float(b.lo), 9), round(float(b.hi), 9)) for b in full]
    [(-0.146090815, 0.136040306), (0.863959694, 1.146090815)]

    Parameters
    ----------
    law : Law
        Any law.
    bands : list of Band
        The bands found so far.
    dps : int, optional
        Precision of the edges of new bands.
    new_edges : list, optional
        When given, the edges of the new bands are appended to it.
    """
    report = mass_audit(law, bands)
    tol = report["tolerance"]
    if not math.isfinite(tol) or abs(report["missing"]) <= tol:
        return list(bands)
    atoms = [(loc, m) for loc, m in law._atoms_float()]
    new: list = []
    if report["missing"] > tol:
        items = _items(report, atoms)
        lo_h, hi_h = (float(v) for v in law._hull_float())
        lo_h = min([lo_h] + [it[0] for it in items])
        hi_h = max([hi_h] + [it[1] for it in items])
        margin = 1e-2 * (hi_h - lo_h) + 1e-9 * (1 + abs(lo_h) + abs(hi_h))
        cuts = [lo_h - margin]
        for left, right in zip(items, items[1:]):
            cuts.append(0.5 * (left[1] + right[0]))
        cuts.append(hi_h + margin)
        brackets: list = []
        budget = [_BUDGET]
        for a, b in zip(cuts, cuts[1:]):
            m, err = contour_mass(law, a, b)
            km, ke, sub = _known_in(items, a, b)
            if math.isfinite(m) and m - km > tol + 4 * err + 4 * ke:
                _hunt(law, a, b, sub, tol, 0, brackets, m - km, budget)
        if brackets:
            xo, xi = _bisect_np(law, [q[0] for q in brackets], [q[1] for q in brackets])
            refined = {k: (xo[k], xi[k]) for k in range(len(brackets))}
            found = _refine_edges(law, brackets, refined, lo_h, hi_h, dps)
            new = bands_from_edges(found)
            if new_edges is not None:
                new_edges.extend(found)
    out = sorted(list(bands) + new, key=lambda bd: _float(bd.lo))
    if new:
        report = mass_audit(law, out)
        tol = report["tolerance"]
    if abs(report["missing"]) > tol:
        kind = "missing" if report["missing"] > 0 else "in excess"
        raise NoConvergence(
            "support: bands plus atoms do not carry mass 1", residual=report["missing"],
            advice=(f"mass {report['missing']:.3g} is {kind} (tolerance {tol:.2g}) after "
                    "searching the hull for hidden bands; the float64 density is unreliable "
                    "here: check law.density on a fine grid at higher dps"))
    return out

