"""The density at the hard corners of an algebraic law: cusps and other branch points.

At a cusp (two bands touching; the density vanishes like ``|x - x0|^{1/3}``) the subordination
equations are singular and their Newton continuation does not converge on the real axis. When
the law has an algebraic curve ``P(G, z) = 0`` the value there is read off the curve instead:
``G(x + i0)`` is a root of ``P(G, x)``, namely the one that the physical branch ``G(x + i d)``
approaches as ``d -> 0`` (Puiseux: it lies within ``C d^{1/m}`` of it, m the multiplicity).
The roots of ``P(., x)`` that coalesce there form a cluster; the cluster of a real polynomial
that the branch approaches is closed under conjugation at a cusp, so its mean is real and the
density is exactly 0.

An engine module (duck typing): the law provides ``_curve_engine(eliminate=True)`` returning an
object with ``poly`` (a sympy ``Poly`` in (G, z)) and ``cauchy_mp(z, dps)``, or None.

Examples
--------
>>> import freealg as fa, mpmath
>>> from freealg.numeric.corners import curve_point_density
>>> law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))    # a cusp at 0
>>> curve_point_density(law, mpmath.mpf(0), 30)
mpf('0.0')
"""

from __future__ import annotations

from typing import Any

import mpmath

from ..errors import NoConvergence

__all__ = ["curve_point_density", "at_branch_point", "divergent_lower_edge"]


def _curve(law: Any) -> Any:
    engine = getattr(law, "_curve_engine", None)
    if engine is None:
        return None
    try:
        return engine(eliminate=True)
    except Exception:  # noqa: BLE001 (no curve)
        return None


def at_branch_point(law: Any, x: Any, dps: int) -> bool:
    """Whether the real point ``x`` is (to ``dps`` digits) a real branch point of the law's
    algebraic curve (a root of its discriminant or leading coefficient) where the float64
    density is not positive: where the solvers meet a corner (a cusp), so that the density is
    better read off the curve. Cheap unless the curve has to be derived (once per law).

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))
    >>> at_branch_point(law, mpmath.mpf(0), 30), at_branch_point(law, mpmath.mpf(1), 30)
    (True, False)

    Parameters
    ----------
    law : Law
        Any law (False when it has no curve).
    x : mpf
        The real point.
    dps : int
        The precision of the comparison.

    Returns
    -------
    bool
    """
    import numpy as np

    try:
        d = float(np.asarray(law._density_np(np.array([float(x)])), dtype=float)[0])
    except Exception:  # noqa: BLE001 (no float64 density: decide from the curve alone)
        d = float("nan")
    if d > 0:
        return False
    curve = _curve(law)
    if curve is None:
        return False
    cands = getattr(curve, "_candidates", None)
    try:
        found = cands(dps) if cands is not None else [(c, 0) for c in
                                                      curve.edge_candidates(dps)]
    except Exception:  # noqa: BLE001 (no candidates: not at a known branch point)
        return False
    with mpmath.workdps(dps + 10):
        xm = mpmath.mpf(x)
        tol = mpmath.mpf(10) ** (-dps) * (1 + abs(xm))
        return any(abs(xm - c) <= tol + e for c, e in found)


def curve_point_density(law: Any, x: Any, dps: int) -> Any:
    """The density of ``law`` at the real point ``x`` from its algebraic curve, at a branch
    point where the solvers fail (see the module docstring).

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))
    >>> print(mpmath.nstr(curve_point_density(law, mpmath.mpf("0.001"), 20), 15))
    0.0109397025513775

    Parameters
    ----------
    law : Law
        A law whose ``_curve_engine(eliminate=True)`` gives its algebraic curve.
    x : mpf
        The real point.
    dps : int
        Digits of the result.

    Returns
    -------
    mpf
        The density: 0 when the branch meets a conjugation-closed cluster of roots (a cusp or
        a point outside the support).

    Raises
    ------
    NoConvergence
        No curve, the branch escapes to infinity (a singular point: the density diverges), or
        the root the branch approaches is ambiguous.
    """
    curve = _curve(law)
    if curve is None:
        raise NoConvergence("density at a branch point (no algebraic curve)", dps=dps, point=x)
    poly = curve.poly
    wp = dps + 20
    with mpmath.workdps(wp):
        xm = mpmath.mpf(x)
        deg = poly.degree(poly.gens[0])
        coeffs = [mpmath.mpf(0)] * (deg + 1)   # of G^deg, ..., G^0 at z = x
        for (i, j), c in poly.terms():
            coeffs[deg - i] += _number(c) * xm ** j
        while coeffs and coeffs[0] == 0:
            coeffs.pop(0)  # the leading coefficient vanishes: a root went to infinity
        if len(coeffs) < 2:
            raise NoConvergence("density at a branch point (degenerate curve)", dps=dps, point=x)
        try:
            roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=2 * wp)
        except mpmath.libmp.NoConvergence:
            raise NoConvergence("density at a branch point (roots of the curve)", dps=dps,
                                point=x) from None
        # the physical branch just above x, at two heights
        near = []
        for k in (dps // 4 + 2, dps // 2 + 5):
            d = mpmath.mpf(10) ** (-k) * (1 + abs(xm))
            g = curve.cauchy_mp(mpmath.mpc(xm, d), dps=wp)
            if not mpmath.isfinite(g):
                raise NoConvergence("density at a branch point (branch above it)", dps=dps,
                                    point=x)
            near.append(g)
        g = near[-1]
        dist = sorted((abs(r - g), i) for i, r in enumerate(roots))
        if dist[0][0] > abs(near[0] - g) + mpmath.mpf(10) ** (-dps // 4):
            raise NoConvergence("density at a branch point (the branch escapes the roots: the "
                                "density diverges there)", dps=dps, point=x)
        # the cluster the branch approaches: roots within a few times the branch's distance
        radius = 4 * max(dist[0][0], mpmath.mpf(10) ** (-(wp // 3)))
        cluster = [roots[i] for dd, i in dist if dd <= radius]
        if any(min(abs(mpmath.conj(r) - q) for q in cluster) > radius for r in cluster):
            # not closed under conjugation: a simple complex root (no corner here)
            r = roots[dist[0][1]]
            if len(cluster) > 1:
                raise NoConvergence("density at a branch point (ambiguous root)", dps=dps,
                                    point=x)
        else:
            r = mpmath.re(mpmath.fsum(cluster) / len(cluster))
        with mpmath.workdps(dps):
            dens = -mpmath.im(mpmath.mpc(r)) / mpmath.pi
            return +dens if dens > mpmath.mpf(10) ** (-(dps + 5)) * (1 + abs(r)) \
                else mpmath.mpf(0)


def _number(c: Any) -> Any:
    """A sympy coefficient as an mpf at the working precision (exact rationals exactly)."""
    if c.is_Rational:
        return mpmath.mpf(int(c.p)) / int(c.q)
    return mpmath.mpmathify(c.evalf(mpmath.mp.dps + 5))


# --------------------------------------------------------------------------------------------
# divergent lower edges: a bound from G on the real axis below the support


def divergent_lower_edge(law: Any, c: Any, d0: Any, dps: int,
                         max_terms: int = 20) -> tuple | None:
    """The lowest edge of ``law`` at the exact point ``c`` with an honest error bound, when the
    density diverges there.

    For a law whose support lies in ``[a, inf)`` and a point ``x < a``, the quantities
    ``f_n(x) = int dmu(t)/(t - x)^n`` satisfy ``f_1 <= 1/(a - x)`` and ``f_2 <= f_1/(a - x)``
    (as ``1/(t - x) <= 1/(a - x)`` on the support), so
    ``x < a <= x + min(1/f_1, f_1/f_2)`` with ``f_1 = |G(x)|`` and ``f_2 = |G'(x)|``. A density
    ``~ (t - c)^alpha`` with ``-1 < alpha < 0`` gives ``f_1/f_2 ~ (c - x)/|alpha|``: at
    ``x = c - d`` the edge is ``c`` to within about ``d (1/|alpha| - 1)``, as small as the
    precision allows.

    The solvers of the law cannot reach such ``x`` (their Jacobians become singular next to the
    divergence), but ``G`` is algebraic: its curve ``P(G, z) = sum c_il G^i z^l = 0`` is
    found numerically, the smallest bidegree whose monomials at ``G(z_j)``, sampled by
    ``law._cauchy_mp`` at points ``z_j`` of the upper half plane far from the support, have a
    one-dimensional null space (to ``dps + 40`` digits; at most ``max_terms`` monomials), and
    checked on the real axis at ``c - d0`` against the law's own ``G``. The physical root of
    ``P(., c - d)`` is then tracked from ``d0`` down to ``d ~ 10^-dps`` decade by decade (each
    step's root well separated from the others), and ``G' = -P_z/P_G`` there. The slope of
    ``log |G|`` in ``log d`` is ``alpha`` (the exponent of the record); the search gives up
    (None) when it is not in (-0.95, -0.02) (no divergence: a soft or jump edge elsewhere, or
    an atom at ``c``, ``G ~ -m/d``), when no curve is found, or when the tracking is ambiguous.

    The bound assumes what the caller establishes: ``c - d0`` and every point between it and
    ``c`` lie below the whole support (the law is positive and ``c = 0``, or no band and no atom
    lie below ``c``), and ``c`` is not an atom.

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> law = fa.free_poisson(1)               # density ~ t^(-1/2) / pi at 0, lower edge 0
    >>> loc, err, alpha = divergent_lower_edge(law, 0, mpmath.mpf("0.01"), 20)
    >>> loc, bool(0 < err <= mpmath.mpf(10) ** -20), alpha
    (0, True, -1/2)

    Parameters
    ----------
    law : Law
        A law with ``_cauchy_mp(z, dps)`` and ``_scale``.
    c : number
        The exact candidate location of the edge.
    d0 : number
        The first distance below ``c`` (``c - d0`` lies below the support).
    dps : int
        Digits of the bound.
    max_terms : int, optional
        Most monomials of the curve (the search for a curve that is not there costs a few
        seconds at 20 monomials, about a minute at 30).

    Returns
    -------
    tuple or None
        ``(c, error, exponent)``: the exponent as a record field (a fraction when the slope
        fits one); None when the density does not diverge at ``c`` or the search fails.
    """
    from .records import Edge

    dps = int(dps)
    wp = dps + 40
    with mpmath.workdps(wp):
        cm = _number(c) if hasattr(c, "evalf") else mpmath.mpf(c)
        target = mpmath.mpf(10) ** (-dps) * (1 + abs(cm))
        d = mpmath.mpf(d0)
        if not d > 0:
            return None
        scale = mpmath.mpf(max(float(getattr(law, "_scale", 1.0)), 1e-12))
        try:
            g0 = mpmath.mpc(law._cauchy_mp(mpmath.mpc(cm - d, 0), wp))
        except (NoConvergence, ZeroDivisionError, ValueError):
            return None
        curve = _numeric_curve(law, cm, scale, wp, max_terms, (cm - d, g0))
        if curve is None:
            return None
        track = _track(curve, cm, d, g0, target, wp)
        if track is None:
            return None
        dd, g, dg, alpha = track
        if not -0.95 < alpha < -0.02:
            return None
        f1, f2 = abs(g), abs(dg)
        bound = min(1 / f1, f1 / f2) * (1 + mpmath.mpf(10) ** (-dps - 5)) - dd
    with mpmath.workdps(dps):
        err = max(+bound, +dd)
    return c, err, Edge.exponent_of(alpha)


def _numeric_curve(law, c, scale, wp, max_terms, check):
    """The coefficients ``{(i, l): c_il}`` of the smallest curve ``sum c_il G^i z^l = 0``
    through sampled values of G (see :func:`divergent_lower_edge`), or None."""
    degs = sorted(((i, j) for i in range(1, 9) for j in range(1, 9)
                   if (i + 1) * (j + 1) <= max_terms), key=lambda t: ((t[0] + 1) * (t[1] + 1),
                                                                       t[0]))
    pts: list = []

    def sample(n):
        # points of the upper half plane, a few scales from the support: a low-discrepancy
        # (golden ratio) sequence in the box c + scale [-1, 1] x [0.5, 1.5] i
        while len(pts) < n:
            j = len(pts) + 1
            u = (j * mpmath.mpf("0.6180339887498949")) % 1
            v = (j * mpmath.mpf("0.7548776662466927")) % 1
            z = mpmath.mpc(c + scale * (2 * u - 1), scale * (v + mpmath.mpf(1) / 2))
            pts.append((z, mpmath.mpc(law._cauchy_mp(z, wp))))

    tiny = mpmath.mpf(10) ** (-(wp - 15))
    for dg, dz in degs:
        mons = [(i, j) for i in range(dg + 1) for j in range(dz + 1)]
        try:
            sample(len(mons) + 4)
        except (NoConvergence, ZeroDivisionError, ValueError):
            return None
        rows = []
        for z, g in pts[:len(mons) + 4]:
            zs, gs = z / scale, g * scale
            rows.append([gs ** i * zs ** j for i, j in mons])
        M = mpmath.matrix(rows)
        try:
            _, S, V = mpmath.svd_c(M)
        except (ZeroDivisionError, ValueError):
            continue
        sv = sorted(((abs(S[i]), i) for i in range(len(mons))), key=lambda t: t[0])
        if not sv[0][0] <= tiny * sv[-1][0]:
            continue
        if sv[1][0] <= mpmath.mpf(10) ** (-(wp // 2)) * sv[-1][0]:
            return None           # a null space of dimension > 1: no unique curve
        i0 = sv[0][1]
        vec = [mpmath.conj(V[i0, m]) for m in range(len(mons))]
        # back to G and z unscaled: c_il (G scale)^i (z/scale)^l
        coef = {mn: vec[m] * scale ** mn[0] / scale ** mn[1] for m, mn in enumerate(mons)}
        top = max(abs(v) for v in coef.values())
        coef = {k: v / top for k, v in coef.items()}
        x, g = check
        if abs(_pval(coef, g, x)) > mpmath.mpf(10) ** (-(wp // 2)) * _pmag(coef, g, x):
            return None           # the curve misses the law's own value on the real axis
        return coef
    return None


def _pval(coef, g, x):
    return mpmath.fsum(v * g ** i * x ** j for (i, j), v in coef.items())


def _pmag(coef, g, x):
    return mpmath.fsum(abs(v * g ** i * x ** j) for (i, j), v in coef.items())


def _roots(coef, x):
    dg = max(i for i, _ in coef)
    a = [mpmath.fsum(v * x ** j for (i, j), v in coef.items() if i == k) for k in range(dg + 1)]
    while len(a) > 1 and a[-1] == 0:
        a.pop()
    if len(a) < 2:
        return []
    return mpmath.polyroots(a[::-1], maxsteps=400, extraprec=2 * mpmath.mp.prec)


def _track(coef, c, d0, g0, target, wp):
    """Follow the root of ``P(., c - d)`` through ``g0`` at ``d0`` down to the distance where
    the bound of :func:`divergent_lower_edge` is below ``target``: ``(d, G, G', alpha)``."""
    logd = mpmath.log10(d0)
    hist = [(logd, g0)]
    step = mpmath.mpf(1) / 2
    last_a = None
    for _ in range(2000):
        if step < mpmath.mpf(1) / 256:
            return None
        ln = logd - step
        x = c - mpmath.mpf(10) ** ln
        if len(hist) >= 2:
            (l1, a), (l2, b) = hist[-2], hist[-1]
            pred = b * (b / a) ** ((ln - l2) / (l2 - l1)) if a != 0 and b != 0 else b
        else:
            pred = hist[-1][1]
        try:
            rs = sorted(_roots(coef, x), key=lambda r: abs(r - pred))
        except (mpmath.libmp.NoConvergence, ZeroDivisionError):
            step /= 2
            continue
        if len(rs) == 0 or (len(rs) > 1 and abs(rs[0] - pred) > 0.2 * abs(rs[1] - pred)):
            step /= 2
            continue
        g = rs[0]
        if abs(g - pred) > 0.1 * abs(g):
            step /= 2
            continue
        (lp, gp) = hist[-1]
        # below the support G is real, negative and decreasing: G(x) = -int dmu/(t - x)
        real = abs(mpmath.im(g)) <= mpmath.mpf(10) ** (-(wp // 3)) * abs(g)
        if not (real and mpmath.re(g) < 0 and abs(g) >= abs(gp)):
            return None
        alpha = float((mpmath.log(abs(g)) - mpmath.log(abs(gp))) / ((ln - lp) * mpmath.log(10)))
        hist = (hist + [(ln, g)])[-2:]
        logd = ln
        dd = mpmath.mpf(10) ** ln
        if last_a is not None and logd < mpmath.log10(d0) - 3 and not -0.95 < alpha < -0.02:
            return None
        last_a = alpha
        # G' = -P_z / P_G at the root
        pg = mpmath.fsum(i * v * g ** (i - 1) * x ** j for (i, j), v in coef.items() if i)
        pz = mpmath.fsum(j * v * g ** i * x ** (j - 1) for (i, j), v in coef.items() if j)
        if pg == 0:
            return None
        dgv = -pz / pg
        if not mpmath.re(dgv) < 0:
            return None
        bound = min(1 / abs(g), abs(g) / abs(dgv)) - dd
        if max(bound, dd) <= target:
            return dd, g, dgv, alpha
        step = min(step * 2, mpmath.mpf(4))
    return None
