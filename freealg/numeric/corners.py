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

__all__ = ["curve_point_density", "at_branch_point"]


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
