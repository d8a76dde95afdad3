"""Free convolutions computed by freealg's engine against closed forms.

Every reference is computed here, independently of freealg's numeric engine, from a published
closed form (cited at each reference) or from an independent algebraic solution (a polynomial
solved with ``mpmath.polyroots`` at 50 digits, the physical root selected by continuation from
large Im z, where G(z) ~ 1/z). Tolerances:

* ``dps=30``: |G_freealg - G_ref| <= 1e-25 absolute (references at 50 digits), at points in the
  bulk, near the edges, outside the support and off the axis;
* float64 (numpy arrays): <= 1e-10 absolute on a grid.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from _references import wachter_edges

R = sp.Rational
REF_DPS = 50
TOL_MP = mpmath.mpf("1e-25")
TOL_NP = 1e-10


# --------------------------------------------------------------------------------------------
# reference machinery (independent of freealg)


def _mp(x):
    """An exact sympy number (or a python number / string) as an mpmath number at REF_DPS."""
    with mpmath.workdps(REF_DPS):
        if isinstance(x, str):
            return mpmath.mpmathify(x)
        if isinstance(x, complex):
            return mpmath.mpc(x)
        return sp.N(sp.sympify(x), REF_DPS + 10)._to_mpmath(mpmath.mp.prec)


def _sqrt_prod(z, a, b):
    """sqrt(z - a) sqrt(z - b) with principal roots: analytic off [a, b], ~ z at infinity
    (branch convention); on the axis the boundary value from C+."""
    return mpmath.sqrt(z - a) * mpmath.sqrt(z - b)


def physical_root(coeffs, z, dps=None):
    """The root G(z) of a polynomial (coefficients in G, highest degree first, as functions of
    z) on the branch G ~ 1/z, by continuation from z = x + iY (Y large) down to z.

    A step in Im z is accepted only when the nearest root is unambiguous (its distance is below
    0.2 times the distance to the next root), else the step is shortened.
    Works at ``dps`` digits (default: the caller's working precision); at 20 digits or fewer
    (the references of the float64 grids) the roots come from ``numpy.roots`` instead, which is
    accurate to ~1e-14 here and much faster.
    """
    dps = dps or mpmath.mp.dps
    if dps <= 20:
        return _physical_root_np(coeffs, complex(z))
    with mpmath.workdps(dps):
        z = mpmath.mpc(z)
        x, y_t = z.real, z.imag
        y = mpmath.mpf(10) ** 4 * (1 + abs(x))
        z0 = mpmath.mpc(x, y)
        g = min(mpmath.polyroots(coeffs(z0), maxsteps=200, extraprec=dps),
                key=lambda r: abs(r - 1 / z0))
        floor = mpmath.mpf(10) ** (-(dps - 10))
        ratio = mpmath.mpf("0.1")
        steps = 0
        while y > y_t:
            y_next = y * ratio
            if y_next < max(y_t, floor):
                y_next = y_t
            roots = mpmath.polyroots(coeffs(mpmath.mpc(x, y_next)), maxsteps=200,
                                     extraprec=dps)
            d = sorted(roots, key=lambda r: abs(r - g))
            if len(d) == 1 or abs(d[0] - g) < mpmath.mpf("0.2") * abs(d[1] - g):
                g, y = d[0], y_next
                ratio = min(mpmath.mpf("0.1"), ratio * ratio)
            else:
                ratio = mpmath.sqrt(ratio)
                assert ratio < mpmath.mpf("0.9999"), "reference root tracking failed"
            steps += 1
            assert steps < 10_000
        # the other selection rule agrees: Im G <= 0 on the closed upper half plane (§0)
        assert mpmath.im(g) <= mpmath.mpf(10) ** (-(dps - 15))
        return g


def _physical_root_np(coeffs, z):
    """float64 version of :func:`physical_root` (same tracking rule)."""
    x, y_t = z.real, z.imag
    y = 1e4 * (1 + abs(x))

    def roots(y):
        with mpmath.workdps(20):
            c = [complex(q) for q in coeffs(mpmath.mpc(x, y))]
        return np.roots(c)

    g = min(roots(y), key=lambda r: abs(r - 1 / complex(x, y)))
    ratio = 0.1
    steps = 0
    while y > y_t:
        y_next = y * ratio
        if y_next < max(y_t, 1e-13):
            y_next = y_t
        d = sorted(roots(y_next), key=lambda r: abs(r - g))
        if len(d) == 1 or abs(d[0] - g) < 0.2 * abs(d[1] - g):
            g, y = d[0], y_next
            ratio = min(0.1, ratio * ratio)
        else:
            ratio = math.sqrt(ratio)
            assert ratio < 0.9999, "reference root tracking failed"
        steps += 1
        assert steps < 10_000
    assert g.imag <= 1e-12  # Im G <= 0 on the closed upper half plane
    return mpmath.mpc(g)


def assert_cauchy_mp(law, ref, points, dps=30, tol=TOL_MP):
    """|law.cauchy(z, dps) - ref(z)| <= tol at every point (ref evaluated at REF_DPS)."""
    for p in points:
        with mpmath.workdps(REF_DPS):
            z = mpmath.mpc(_mp(p))
            expected = ref(z)
        got = law.cauchy(z, dps=dps)
        assert isinstance(got, mpmath.mpc)
        with mpmath.workdps(REF_DPS):
            err = abs(got - expected)
        assert err <= tol, f"G({p}) = {got}, expected {expected}, |diff| = {mpmath.nstr(err, 3)}"


def assert_density_mp(law, ref_density, points, dps=30, tol=TOL_MP):
    for p in points:
        with mpmath.workdps(REF_DPS):
            x = _mp(p)
            expected = ref_density(x)
        got = law.density(x, dps=dps)
        assert isinstance(got, mpmath.mpf)
        with mpmath.workdps(REF_DPS):
            err = abs(got - expected)
        assert err <= tol, f"rho({p}) = {got}, expected {expected}, |diff| = {mpmath.nstr(err, 3)}"


def ref_grid(ref, z, dps=20):
    """Reference values on a numpy grid, each point at 20 digits (rounded to complex128)."""
    out = np.empty(z.shape, dtype=complex)
    for i, zi in enumerate(z.ravel()):
        with mpmath.workdps(dps):
            out.flat[i] = complex(ref(mpmath.mpc(complex(zi))))
    return out


def assert_cauchy_np(law, ref, z, tol=TOL_NP):
    got = law.cauchy(z)
    assert isinstance(got, np.ndarray) and got.dtype == complex and got.shape == z.shape
    expected = ref_grid(ref, z)
    err = np.abs(got - expected)
    worst = int(np.nanargmax(err)) if np.any(np.isfinite(err)) else 0
    assert np.all(np.isfinite(got)), f"non-finite values at z = {z[~np.isfinite(got)][:5]}"
    assert np.max(err) <= tol, f"max |diff| = {np.max(err):.3g} at z = {z.ravel()[worst]}"


def density_from(ref):
    """Stieltjes inversion of a reference Cauchy transform: rho = -Im G(x + i0)/pi."""

    def rho(x):
        return max(-mpmath.im(ref(mpmath.mpc(x, 0))) / mpmath.pi, mpmath.mpf(0))

    return rho


def grid_avoiding(lo, hi, n, avoid, margin=1e-3):
    """n points in [lo, hi] with the points within ``margin`` of an ``avoid`` point removed
    (edges, atoms: G is singular there)."""
    x = np.linspace(lo, hi, n) + 1e-4 * (hi - lo) / n  # shift off the round numbers
    keep = np.ones(len(x), dtype=bool)
    for a in avoid:
        keep &= np.abs(x - a) > margin
    return x[keep]


# --------------------------------------------------------------------------------------------
# closed forms


def semicircle_ref(v):
    """Semicircle of variance v: G = (z - sqrt(z - 2 sqrt v) sqrt(z + 2 sqrt v))/(2v)
    (Wigner; Voiculescu 1986: R(w) = v w)."""

    def G(z):
        r = 2 * mpmath.sqrt(_mp(v))
        return (z - _sqrt_prod(z, -r, r)) / (2 * _mp(v))

    return G


def free_poisson_ref(lam):
    """Free Poisson of rate lam, jump 1: G = (z + 1 - lam - sqrt(z-a) sqrt(z-b))/(2z),
    a, b = (1 -+ sqrt lam)^2 (Marchenko-Pastur 1967)."""

    def G(z):
        lm = _mp(lam)
        a, b = (1 - mpmath.sqrt(lm)) ** 2, (1 + mpmath.sqrt(lm)) ** 2
        return (z + 1 - lm - _sqrt_prod(z, a, b)) / (2 * z)

    return G


def arcsine_ref(a, b):
    """Arcsine law on [a, b]: G = 1/(sqrt(z - a) sqrt(z - b)), density 1/(pi sqrt((x-a)(b-x)))."""

    def G(z):
        return 1 / _sqrt_prod(z, _mp(a), _mp(b))

    return G


def wachter_density(alpha, beta):
    """Absolutely continuous part of the law of pqp (p, q free projections of traces alpha,
    beta) in the ambient space: sqrt((l+ - x)(x - l-))/(2 pi x (1 - x)) on [l-, l+]
    (Wachter 1980, Ann. Probab. 8; Collins 2005, PTRF 133)."""
    lo, hi = (_mp(e) for e in wachter_edges(alpha, beta))

    def rho(x):
        q = (hi - x) * (x - lo)
        return mpmath.sqrt(q) / (2 * mpmath.pi * x * (1 - x)) if q > 0 else mpmath.mpf(0)

    return rho


def wachter_atoms(alpha, beta):
    """Atoms of pqp in the ambient space: max(1-alpha, 1-beta) at 0, max(0, alpha+beta-1) at 1
    (Wachter 1980; Collins 2005)."""
    a, b = sp.sympify(alpha), sp.sympify(beta)
    return {0: sp.Max(1 - a, 1 - b), 1: sp.Max(0, a + b - 1)}


def wachter_ref(alpha, beta):
    """Cauchy transform of the Wachter law (ambient space):
    G(z) = (z + alpha + beta - 2 + sqrt(z - l-) sqrt(z - l+)) / (2 z (z - 1)).

    Derived here from the density and atoms above: the square-root part reproduces the density by
    Stieltjes inversion, the linear numerator is fixed by the residues at 0 and 1 (= the atoms;
    l- l+ = (alpha - beta)^2 and (1 - l-)(1 - l+) = (alpha + beta - 1)^2) and G ~ 1/z.
    ``test_wachter_reference_is_the_published_law`` re-checks it against the published density
    and atoms by quadrature.
    """
    lo, hi = (_mp(e) for e in wachter_edges(alpha, beta))
    s = _mp(sp.sympify(alpha) + sp.sympify(beta) - 2)

    def G(z):
        return (z + s + _sqrt_prod(z, lo, hi)) / (2 * z * (z - 1))

    return G


def compressed_ref(ambient_ref, t):
    """Law in (pAp, tau/t) from the law of pap in A: G_c = (G_A - (1 - t)/z)/t
    (remove the (1-t) delta_0 of the kernel of p and renormalise; NS Lecture 14)."""

    def G(z):
        return (ambient_ref(z) - (1 - _mp(t)) / z) / _mp(t)

    return G


def fuss_catalan2_ref(z):
    """Fuss-Catalan (s = 2) law: B(u) = 1 + u B(u)^3 is the generating function of
    binom(3n, n)/(2n + 1) (Graham-Knuth-Patashnik, Concrete Mathematics, eq. (5.60)), and
    G(z) = B(1/z)/z, so z^2 G^3 - z G + 1 = 0; physical root by continuation from large Im z."""
    return physical_root(lambda w: [w * w, 0, -w, 1], z)


def penson_zyczkowski_density(x):
    """Penson-Zyczkowski 2011, PRE 83 061118: the density of the Fuss-Catalan
    law s = 2 on (0, 27/4]."""
    if not 0 < x < mpmath.mpf(27) / 4:
        return mpmath.mpf(0)
    c = mpmath.cbrt(2)
    u = 27 + 3 * mpmath.sqrt(81 - 12 * x)
    num = c * u ** (mpmath.mpf(2) / 3) - 6 * mpmath.cbrt(x)
    den = x ** (mpmath.mpf(2) / 3) * mpmath.cbrt(u)
    return c * mpmath.sqrt(3) / (12 * mpmath.pi) * num / den


def semicircle_plus_poisson_ref(v, lam):
    """semicircle(v) ⊞ free_poisson(lam): R(w) = v w + lam/(1 - w) (Voiculescu 1986: R adds),
    K(w) = R(w) + 1/w = z at w = G; clearing w(1 - w):
    v G^3 - (v + z) G^2 + (1 + z - lam) G - 1 = 0. Physical root by continuation."""
    vv, ll = _mp(v), _mp(lam)

    def G(z):
        return physical_root(lambda w: [vv, -(vv + w), 1 + w - ll, -1], z)

    return G


# --------------------------------------------------------------------------------------------
# semicircle ⊞ semicircle


def test_semicircle_sum_is_semicircle_mp():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    ref = semicircle_ref(3)  # variances add (R = v w is linear)
    pts = ["0", "0.5", "-1.7", "3.46", "-3.4640", "3.4642", "-3.47", "4.2", "-9",
           0.3 + 0.7j, 5 + 2j, -3.4641 + 1e-3j, 1e-20j]
    assert_cauchy_mp(law, ref, pts)
    # density sqrt(12 - x^2)/(6 pi)
    with mpmath.workdps(REF_DPS):
        rho = lambda x: mpmath.sqrt(max(12 - x * x, 0)) / (6 * mpmath.pi)  # noqa: E731
    assert_density_mp(law, rho, ["0", "0.5", "-1.7", "3.46", "-3.4640", "3.47", "-5"])


def test_semicircle_sum_is_semicircle_np():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    ref = semicircle_ref(3)
    e = 2 * math.sqrt(3)
    x = grid_avoiding(-5, 5, 201, [-e, e])
    assert_cauchy_np(law, ref, x.astype(complex))
    assert_cauchy_np(law, ref, x + 0.05j)
    rho = law.density(x)
    expected = np.sqrt(np.clip(12 - x**2, 0, None)) / (6 * np.pi)
    assert rho.shape == x.shape and np.max(np.abs(rho - expected)) <= TOL_NP


# --------------------------------------------------------------------------------------------
# free Poisson ⊞ free Poisson: rates add (kappa_n = rate)


@pytest.mark.parametrize("a, b", [(R(1, 2), 1), (R(1, 4), R(1, 4)), (2, R(3, 2))])
def test_free_poisson_sum_rates_add(a, b):
    law = fa.free_additive(fa.free_poisson(a), fa.free_poisson(b))
    lam = sp.sympify(a) + b
    ref = free_poisson_ref(lam)
    lo = float((1 - sp.sqrt(lam)) ** 2)
    hi = float((1 + sp.sqrt(lam)) ** 2)
    mid = 0.5 * (lo + hi)
    pts = [str(mid), str(lo + 0.3 * (hi - lo)), str(lo + 1e-3), str(hi - 1e-3), str(hi + 0.01),
           str(hi + 3), "-0.5", complex(mid, 0.5), complex(hi, 1e-3), 0.01 + 0.01j]
    if lo > 0.02:
        pts.append(str(lo / 2))  # the gap between the atom/0 and the bulk
    assert_cauchy_mp(law, ref, pts)
    assert_density_mp(law, density_from(ref), [str(mid), str(lo + 1e-3), str(hi + 0.1)])
    x = grid_avoiding(-0.5, hi + 1, 201, [0, lo, hi])
    assert_cauchy_np(law, ref, x.astype(complex))
    assert_cauchy_np(law, ref, x + 0.1j)


# --------------------------------------------------------------------------------------------
# Bernoulli(1/2) ⊞ Bernoulli(1/2) = arcsine on [0, 2]


def test_bernoulli_sum_is_arcsine_mp():
    # two free projections of trace 1/2: p + q ~ arcsine on [0, 2] (two projections;
    # R of the projection)
    law = fa.free_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 2)))
    ref = arcsine_ref(0, 2)
    pts = ["1", "0.5", "1.7", "0.001", "1.999", "2.01", "-0.3", "3", 1 + 0.5j, 2 + 1e-3j,
           1e-3j]
    assert_cauchy_mp(law, ref, pts)
    rho = lambda x: 1 / (mpmath.pi * mpmath.sqrt(x * (2 - x))) if 0 < x < 2 else mpmath.mpf(0)  # noqa
    assert_density_mp(law, rho, ["1", "0.5", "1.7", "0.001", "1.999", "2.5", "-1"])


def test_bernoulli_sum_is_arcsine_np():
    law = fa.free_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 2)))
    ref = arcsine_ref(0, 2)
    x = grid_avoiding(-0.5, 2.5, 151, [0, 2], margin=5e-3)
    assert_cauchy_np(law, ref, x.astype(complex))
    assert_cauchy_np(law, ref, x + 0.02j)
    rho = law.density(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where((x > 0) & (x < 2), 1 / (np.pi * np.sqrt(x * (2 - x))), 0.0)
    assert np.max(np.abs(rho - expected)) <= TOL_NP


# --------------------------------------------------------------------------------------------
# MP(1) ⊠ MP(1) = Fuss-Catalan s = 2


def _fuss_catalan_law():
    return fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))


def test_fuss_catalan_moments_exact():
    # exact moments binom(3n, n)/(2n + 1) (Penson-Zyczkowski 2011)
    law = _fuss_catalan_law()
    assert law.moments(8) == [sp.binomial(3 * n, n) / (2 * n + 1) for n in range(1, 9)]


def test_fuss_catalan_density_penson_zyczkowski_mp():
    law = _fuss_catalan_law()
    pts = ["0.001", "0.05", "1", "2.5", "5", "6.7", "6.749", "6.76", "8"]
    assert_density_mp(law, penson_zyczkowski_density, pts)


def test_fuss_catalan_reference_agrees_with_penson_zyczkowski():
    # the two independent references (cubic for G, explicit density) agree with each other
    for x in ["0.01", "1", "3", "6.7"]:
        with mpmath.workdps(REF_DPS):
            a = density_from(fuss_catalan2_ref)(mpmath.mpf(x))
            b = penson_zyczkowski_density(mpmath.mpf(x))
            assert abs(a - b) < mpmath.mpf(10) ** (-40)


def test_fuss_catalan_cauchy_mp():
    law = _fuss_catalan_law()
    pts = ["1", "0.01", "6.74", "6.76", "7.5", "-1", 3 + 1j, 6.75 + 1e-3j, 1e-3 + 1e-3j]
    assert_cauchy_mp(law, fuss_catalan2_ref, pts)


def test_fuss_catalan_np():
    law = _fuss_catalan_law()
    x = grid_avoiding(-1, 8, 61, [0, 6.75], margin=5e-3)
    assert_cauchy_np(law, fuss_catalan2_ref, x.astype(complex))
    assert_cauchy_np(law, fuss_catalan2_ref, x + 0.05j)
    rho = law.density(x)
    with mpmath.workdps(REF_DPS):
        expected = np.array([float(penson_zyczkowski_density(mpmath.mpf(float(t)))) for t in x])
    assert np.max(np.abs(rho - expected)) <= TOL_NP


# --------------------------------------------------------------------------------------------
# free compression of a projection: the Wachter law

WACHTER_CASES = [(R(1, 2), R(1, 2)), (R(1, 3), R(1, 2)), (R(2, 3), R(3, 4)), (R(1, 2), R(1, 3))]


@pytest.mark.parametrize("t, s", WACHTER_CASES)
def test_wachter_reference_is_the_published_law(t, s):
    # self-check of the reference G against the published density and atoms, by quadrature
    ref = wachter_ref(t, s)
    atoms = wachter_atoms(t, s)
    lo, hi = (_mp(e) for e in wachter_edges(t, s))
    with mpmath.workdps(REF_DPS):
        for z in (mpmath.mpc("0.3", "0.4"), mpmath.mpc("-1", "2"), mpmath.mpc("0.9", "0.05")):
            # the published density sqrt((hi - x)(x - lo))/(2 pi x (1 - x)) with
            # x = lo + (hi - lo) sin^2(th/2): smooth in th; x - lo, hi - x and 1 - x are
            # computed without cancellation near the endpoints
            def f(th, z=z):
                sn, cs = mpmath.sin(th / 2) ** 2, mpmath.cos(th / 2) ** 2
                x, one_minus_x = lo + (hi - lo) * sn, (1 - hi) + (hi - lo) * cs
                dens = (hi - lo) * mpmath.sqrt(sn * cs) / (2 * mpmath.pi * x * one_minus_x)
                return dens / (z - x) * (hi - lo) * mpmath.sin(th) / 2

            integral = mpmath.quad(f, [0, mpmath.pi / 2, mpmath.pi])
            expected = integral + _mp(atoms[0]) / z + _mp(atoms[1]) / (z - 1)
            assert abs(ref(z) - expected) < mpmath.mpf(10) ** (-30)


def _wachter_points(t, s):
    lo, hi = (float(e) for e in wachter_edges(t, s))
    mid = 0.5 * (lo + hi)
    pts = [str(mid), str(lo + 0.2 * (hi - lo)), str(lo + 1e-3), str(hi - 1e-3), str(hi + 1e-2),
           "1.5", "-0.5", complex(mid, 0.3), complex(lo, 1e-3), 1 + 1e-3j, 1e-3j]
    if lo > 0.02:
        pts.append(str(lo / 2))
    if hi < 0.98:
        pts.append(str((hi + 1) / 2))
    return pts


@pytest.mark.parametrize("t, s", WACHTER_CASES)
def test_compression_of_projection_ambient_is_wachter_mp(t, s):
    law = fa.free_compression(fa.bernoulli(s), t, ambient=True)
    ref = wachter_ref(t, s)  # p a p with p of trace alpha = t, a = q of trace beta = s
    assert_cauchy_mp(law, ref, _wachter_points(t, s))
    lo, hi = (float(e) for e in wachter_edges(t, s))
    assert_density_mp(law, wachter_density(t, s), [str(0.5 * (lo + hi)), str(lo + 1e-3)])


@pytest.mark.parametrize("t, s", WACHTER_CASES)
def test_compression_of_projection_compressed_is_wachter_mp(t, s):
    law = fa.free_compression(fa.bernoulli(s), t)
    ref = compressed_ref(wachter_ref(t, s), t)
    assert_cauchy_mp(law, ref, _wachter_points(t, s))
    lo, hi = (float(e) for e in wachter_edges(t, s))
    rho = wachter_density(t, s)
    assert_density_mp(law, lambda x: rho(x) / _mp(t), [str(0.5 * (lo + hi)), str(hi - 1e-3)])


@pytest.mark.parametrize("t, s", WACHTER_CASES)
@pytest.mark.parametrize("ambient", [False, True])
def test_compression_of_projection_atoms(t, s, ambient):
    law = fa.free_compression(fa.bernoulli(s), t, ambient=ambient)
    w = wachter_atoms(t, s)
    if ambient:
        expected = {k: m for k, m in w.items() if m != 0}
    else:  # remove (1 - t) delta_0 and renormalise by t
        expected = {0: (w[0] - (1 - t)) / t, 1: w[1] / t}
        expected = {k: sp.simplify(m) for k, m in expected.items() if sp.simplify(m) != 0}
    got = {a.location: a.mass for a in law.atoms()}
    assert got == expected
    assert all(a.error == 0 for a in law.atoms())


@pytest.mark.parametrize("t, s", WACHTER_CASES)
def test_compression_of_projection_np(t, s):
    lo, hi = (float(e) for e in wachter_edges(t, s))
    x = grid_avoiding(-0.3, 1.3, 81, [0, 1, lo, hi], margin=5e-3)
    for ambient in (False, True):
        law = fa.free_compression(fa.bernoulli(s), t, ambient=ambient)
        ref = wachter_ref(t, s) if ambient else compressed_ref(wachter_ref(t, s), t)
        assert_cauchy_np(law, ref, x.astype(complex))
        assert_cauchy_np(law, ref, x + 0.05j)


@pytest.mark.parametrize("t, s", [(R(1, 3), R(3, 4)), (R(1, 2), R(1, 2)), (R(7, 10), R(7, 10))])
def test_product_of_projections_is_wachter(t, s):
    # bernoulli(t) ⊠ bernoulli(s) is the law of p^{1/2} q p^{1/2} = pqp: the Wachter law
    law = fa.free_multiplicative(fa.bernoulli(t), fa.bernoulli(s))
    ref = wachter_ref(t, s)
    assert_cauchy_mp(law, ref, _wachter_points(t, s))
    got = {a.location: a.mass for a in law.atoms()}
    assert got == {k: m for k, m in wachter_atoms(t, s).items() if m != 0}


# --------------------------------------------------------------------------------------------
# semicircle ⊞ free Poisson: independent cubic


@pytest.mark.parametrize("v, lam", [(1, 1), (R(1, 4), 3), (R(1, 2), R(1, 2))])
def test_semicircle_plus_free_poisson_cubic_mp(v, lam):
    law = fa.free_additive(fa.semicircle(v), fa.free_poisson(lam))
    ref = semicircle_plus_poisson_ref(v, lam)
    # hull: [(1-sqrt lam)^2 - 2 sqrt v, (1+sqrt lam)^2 + 2 sqrt v] roughly
    hi = float((1 + sp.sqrt(lam)) ** 2 + 2 * sp.sqrt(v))
    pts = ["0", "0.7", "2", str(hi - 0.3), str(hi + 1), "-3", 1 + 1j, complex(hi, 1e-2),
           -0.5 + 1e-3j]
    assert_cauchy_mp(law, ref, pts)


@pytest.mark.parametrize("v, lam", [(1, 1), (R(1, 2), R(1, 2))])
def test_semicircle_plus_free_poisson_cubic_np(v, lam):
    law = fa.free_additive(fa.semicircle(v), fa.free_poisson(lam))
    ref = semicircle_plus_poisson_ref(v, lam)
    z = np.linspace(-3, 7, 41) + 0.02j  # off the axis: no edge is hit
    assert_cauchy_np(law, ref, z)
    x = np.array([-1.0, 0.3, 1.0, 2.5, 4.0])  # well inside the bulk
    assert_cauchy_np(law, ref, x.astype(complex))


# --------------------------------------------------------------------------------------------
# precision really is the requested one


def _composite():
    inner = fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(R(1, 2)))
    return fa.free_additive(inner, fa.semicircle(R(1, 2)))


def test_dps30_and_dps60_agree_on_a_composite_law():
    law = _composite()
    for z in [mpmath.mpc("0.5"), mpmath.mpc("1.3", "0.2"), mpmath.mpc("-2"), mpmath.mpc("2.5")]:
        g30 = law.cauchy(z, dps=30)
        g60 = law.cauchy(z, dps=60)
        with mpmath.workdps(70):
            assert abs(g30 - g60) <= TOL_MP, (z, g30, g60)


def test_dps60_reaches_60_digits_on_a_closed_form():
    # semicircle(1) ⊞ semicircle(2) = semicircle(3); at dps=60 the error is <= 1e-55
    # (reference written out at 80 digits: semicircle_ref works at REF_DPS = 50)
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    for p in ["0.5", "-3.46", "4.2", 0.3 + 0.7j]:
        with mpmath.workdps(80):
            z = mpmath.mpc(mpmath.mpmathify(p))
            r = 2 * mpmath.sqrt(3)
            expected = (z - _sqrt_prod(z, -r, r)) / 6
        got = law.cauchy(z, dps=60)
        with mpmath.workdps(80):
            assert abs(got - expected) <= mpmath.mpf("1e-55"), (p, abs(got - expected))


def test_density_mp_keeps_all_digits_of_x():
    # regression (fixed in 0d5ea4c): Law._density_mp built mpmath.mpc(x, 0) at the global
    # precision, so density(x, dps=30) of a composite law was evaluated at x rounded to binary64
    # semicircle(1) ⊞ semicircle(2) = semicircle(3): density sqrt(12 - x^2)/(6 pi) at x = -1.7
    # (not a binary64 number)
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    got = law.density("-1.7", dps=30)
    with mpmath.workdps(REF_DPS):
        x = mpmath.mpf("-1.7")
        expected = mpmath.sqrt(12 - x * x) / (6 * mpmath.pi)
        assert abs(got - expected) <= TOL_MP, abs(got - expected)
