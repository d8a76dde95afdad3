"""Boolean and monotone additive convolutions, Boolean powers and the Bercovici-Pata bijection.

References: Speicher-Woroudi, "Boolean convolution" (Fields Inst. Commun. 12, 1997):
F_{mu ⊎ nu} = F_mu + F_nu - z and m_n = sum over interval partitions of products of Boolean
cumulants; Muraki, "Monotonic convolution and monotonic Levy-Hincin formula" (2000) and
"Monotonic independence, monotonic central limit theorem..." (IDAQP 4, 2001): F_{mu ▷ nu} =
F_mu ∘ F_nu, the arcsine law is the monotone Gaussian (F = sqrt(z^2 - 2 s) for variance s);
Bercovici-Pata, "Stable laws and domains of attraction in free probability" (Ann. Math. 149,
1999): the bijection maps the Boolean Gaussian (Bernoulli +-1) to the semicircle and the
Boolean Poisson law to the free Poisson law.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa

R = sp.Rational
z = sp.Symbol("z")


def _series_moments(G, n):
    """m_1..m_n from the expansion of a closed-form G at z = oo (sympy, independent of the
    code's moment recursions)."""
    u = sp.Symbol("u", positive=True)
    ser = sp.series(sp.simplify(G.subs(z, 1 / u)), u, 0, n + 2).removeO()
    return [sp.nsimplify(sp.expand(ser).coeff(u, k + 1)) for k in range(1, n + 1)]


def _compositions(n):
    """Interval partitions of {1..n} as block sizes (compositions of n)."""
    for cuts in itertools.product([0, 1], repeat=n - 1):
        sizes, run = [], 1
        for c in cuts:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        yield sizes + [run]


G_SC = (z - sp.sqrt(z - 2) * sp.sqrt(z + 2)) / 2          # semicircle, variance 1


def test_boolean_cumulants_of_the_semicircle():
    # F = 1/G = z - G for the semicircle: b_{2k+2} = Catalan(k)
    assert fa.boolean_cumulants(fa.semicircle(1), 8) == [0, 1, 0, 1, 0, 2, 0, 5]
    ser = _series_moments(sp.simplify(z - 1 / G_SC), 7)          # B(z) = z - F(z) = G(z)
    assert ser == [0, 1, 0, 2, 0, 5, 0]


def test_boolean_moments_are_sums_over_interval_partitions():
    mu, nu = fa.free_poisson(2), fa.bernoulli(R(1, 3))
    b = [x + y for x, y in zip(fa.boolean_cumulants(mu, 6), fa.boolean_cumulants(nu, 6))]
    want = [sum(sp.prod([b[s - 1] for s in comp]) for comp in _compositions(n))
            for n in range(1, 7)]
    assert fa.boolean_additive(mu, nu).moments(6) == want


def test_semicircle_boolean_semicircle_is_arcsine():
    # F = 2 F_sc - z = sqrt(z^2 - 4): the arcsine law on [-2, 2], m_2k = binomial(2k, k)
    rho = fa.boolean_additive(fa.semicircle(1), fa.semicircle(1))
    assert rho.moments(8) == [0, 2, 0, 6, 0, 20, 0, 70]
    assert rho == fa.boolean_additive(fa.semicircle(1), fa.semicircle(1))
    x = np.array([-1.9, -0.5, 0.0, 1.2, 1.99])
    np.testing.assert_allclose(rho.density(x), 1 / (np.pi * np.sqrt(4 - x**2)), rtol=1e-12)
    with mpmath.workdps(40):
        x0 = mpmath.mpf(3) / 10
        want = 1 / (mpmath.pi * mpmath.sqrt(4 - x0**2))
    assert abs(rho.density(x0, dps=30) - want) < 1e-28
    assert rho.atoms() == []
    assert [float(e.location) for e in rho.edges()] == pytest.approx([-2, 2], abs=1e-25)
    assert rho.curve().as_expr() == z**2 * sp.Symbol("G") ** 2 - 4 * sp.Symbol("G") ** 2 - 1


def test_boolean_convolution_of_bernoullis():
    # (delta_-1 + delta_1)/2 ⊎ itself: F = 2 (z - 1/z) - z = z - 2/z, atoms -+sqrt 2 of mass 1/2
    b = fa.discrete([-1, 1])
    assert fa.boolean_additive(b, b).atoms() == [fa.Atom(-sp.sqrt(2), R(1, 2)),
                                                 fa.Atom(sp.sqrt(2), R(1, 2))]
    # bernoulli(p) ⊎ bernoulli(q): residues of 1/F, F = F_p + F_q - z (sympy partial fractions)
    p, q = R(1, 3), R(1, 2)
    Fp = 1 / ((1 - p) / z + p / (z - 1))
    Fq = 1 / ((1 - q) / z + q / (z - 1))
    Gb = sp.cancel(1 / (Fp + Fq - z))
    num, den = sp.fraction(Gb)
    want = sorted(((r, sp.simplify(num.subs(z, r) / sp.diff(den, z).subs(z, r)))
                   for r in sp.Poly(den, z).real_roots()), key=lambda t: float(t[0]))
    got = fa.boolean_additive(fa.bernoulli(p), fa.bernoulli(q)).atoms()
    assert len(got) == len(want) == 3
    for at, (loc, mass) in zip(got, want):
        assert sp.simplify(at.location - loc) == 0 and sp.simplify(at.mass - mass) == 0


def test_boolean_atoms_next_to_a_band():
    # discrete{-3, 3} ⊎ semicircle: F = z - 9/z - G_sc(z) has one zero in (3, 4) (F(3) < 0 <
    # F(4)) and its mirror image; the atom is the root of F and its mass 1/F'(x) (found here by
    # mpmath's findroot, independently). Near 0 F ~ -9/z: G -> 0, no atom.
    rho = fa.boolean_additive(fa.discrete([-3, 3]), fa.semicircle(1))
    atoms = rho.atoms()
    assert len(atoms) == 2
    with mpmath.workdps(40):
        def F(x):
            return x - 9 / x - (x - mpmath.sqrt(x - 2) * mpmath.sqrt(x + 2)) / 2

        x0 = mpmath.findroot(F, 3.5)
        m0 = 1 / mpmath.diff(F, x0)
    assert abs(float(atoms[1].location) - float(x0)) < 1e-25
    assert abs(sp.N(atoms[1].mass, 30) - sp.Float(str(m0), 30)) < 1e-25
    assert sp.simplify(atoms[0].location + atoms[1].location) == 0      # symmetric law
    # the bands and atoms carry mass 1 (support() audits it)
    bands = rho.support()
    assert len(bands) == 1 and float(bands[0].hi) == pytest.approx(2, abs=1e-20)


def test_boolean_power():
    b = fa.discrete([-1, 1])
    # F = t (z - 1/z) + (1 - t) z = z - t/z: atoms -+sqrt t (Boolean central limit law)
    assert fa.boolean_power(b, 3).atoms() == [fa.Atom(-sp.sqrt(3), R(1, 2)),
                                              fa.Atom(sp.sqrt(3), R(1, 2))]
    sc = fa.semicircle(1)
    assert fa.boolean_power(sc, 2).moments(6) == fa.boolean_additive(sc, sc).moments(6)
    assert fa.boolean_power(sc, 0).moments(3) == [0, 0, 0]          # delta_0
    mu = fa.free_poisson(R(1, 2))
    assert fa.boolean_cumulants(fa.boolean_power(mu, R(2, 3)), 5) == \
        [R(2, 3) * v for v in fa.boolean_cumulants(mu, 5)]


def test_monotone_arcsine_is_stable():
    # Muraki: arcsine of variance s has F = sqrt(z^2 - 2 s); F_s ∘ F_t = F_{s + t}
    a = fa.arcsine(-2, 2)                                   # variance 2
    rho = fa.monotone_additive(a, a)
    assert rho.moments(8) == [0, 4, 0, 24, 0, 160, 0, 1120]     # 2^k binomial(2k, k)
    x = np.array([-2.5, 0.0, 1.0, 2.8])
    np.testing.assert_allclose(rho.density(x), 1 / (np.pi * np.sqrt(8 - x**2)), rtol=1e-12)
    assert [float(e.location) for e in rho.edges()] == pytest.approx([-8**0.5, 8**0.5],
                                                                      abs=1e-25)


def test_semicircle_monotone_semicircle():
    # G = G_sc(F_sc(z)), F_sc(z) = (z + sqrt(z^2 - 4))/2: moments by series, density by mpmath
    Gm = G_SC.subs(z, (z + sp.sqrt(z - 2) * sp.sqrt(z + 2)) / 2)
    sc = fa.semicircle(1)
    rho = fa.monotone_additive(sc, sc)
    assert rho.moments(6) == _series_moments(Gm, 6)
    with mpmath.workdps(40):
        def g(x):
            w = (x + mpmath.sqrt(x - 2) * mpmath.sqrt(x + 2)) / 2
            return (w - mpmath.sqrt(w - 2) * mpmath.sqrt(w + 2)) / 2

        for x in ("0.3", "-1.1", "1.9"):
            want = -mpmath.im(g(mpmath.mpc(x, mpmath.mpf(10) ** -35))) / mpmath.pi
            assert abs(rho.density(mpmath.mpf(x), dps=30) - want) < 1e-25
    # bernoulli ▷ semicircle against the series of G_b(F_sc(z))
    p = R(1, 4)
    Gb = ((1 - p) / z + p / (z - 1)).subs(z, (z + sp.sqrt(z - 2) * sp.sqrt(z + 2)) / 2)
    assert fa.monotone_additive(fa.bernoulli(p), sc).moments(5) == _series_moments(Gb, 5)


@pytest.mark.parametrize("lam", [2, R(1, 2)])
def test_bercovici_pata_boolean_poisson_is_free_poisson(lam):
    # Boolean Poisson: b_n = lam for all n, F = z - lam z/(z - 1): atoms 0 and 1 + lam
    bp = fa.discrete([0, 1 + lam], [R(1) / (1 + lam), R(lam) / (1 + lam)])
    assert fa.boolean_cumulants(bp, 5) == [lam] * 5
    nu = fa.boolean_to_free(bp)
    assert nu.moments(6) == fa.free_poisson(lam).moments(6)
    assert nu.free_cumulants(5) == [lam] * 5


def test_bercovici_pata_boolean_gaussian_is_semicircle():
    nu = fa.boolean_to_free(fa.discrete([-1, 1]))
    assert nu.moments(8) == [0, 1, 0, 2, 0, 5, 0, 14]
    x = np.array([-1.5, 0.0, 0.4, 1.9])
    np.testing.assert_allclose(nu.density(x), np.sqrt(4 - x**2) / (2 * np.pi), rtol=1e-10)
    assert nu.atoms() == []


def test_bercovici_pata_free_cumulants_are_boolean_cumulants():
    mu = fa.discrete([0, 1, 3], [R(1, 2), R(1, 3), R(1, 6)])
    assert fa.boolean_to_free(mu).free_cumulants(6) == fa.boolean_cumulants(mu, 6)
    assert fa.boolean_to_free(fa.dirac(2)).moments(3) == [2, 4, 8]      # delta_a is fixed


def test_eta_transform():
    assert fa.eta_transform(fa.discrete([-1, 1])) == sp.Symbol("u") ** 2
    u = sp.Symbol("u")
    eta = fa.eta_transform(fa.semicircle(1), u)
    ser = sp.series(eta, u, 0, 8).removeO()
    assert [ser.coeff(u, k) for k in range(1, 8)] == fa.boolean_cumulants(fa.semicircle(1), 7)


def test_bad_input():
    sc = fa.semicircle(1)
    with pytest.raises(fa.InvalidParameterError):
        fa.boolean_power(sc, -1)
    with pytest.raises(fa.InvalidParameterError):
        fa.boolean_additive(1, sc)
    with pytest.raises(fa.InvalidParameterError):
        fa.monotone_additive(sc, "x")
    with pytest.raises(fa.InvalidParameterError):
        fa.boolean_to_free([1, 2])
    with pytest.raises(fa.InvalidParameterError):
        fa.boolean_power(sc, "t")


def test_boolean_atoms_without_a_curve_are_found_numerically():
    # uniform(-1, 1) has G = atanh(1/z) (not algebraic): the atoms of discrete{-3, 3} ⊎ uniform
    # are the zeros of F = (z - 9/z) + 1/atanh(1/z) - z, mass 1/F' (mpmath findroot and diff)
    rho = fa.boolean_additive(fa.discrete([-3, 3]), fa.uniform(-1, 1))
    atoms = rho.atoms()
    assert len(atoms) == 2
    with mpmath.workdps(40):
        def F(x):
            return -9 / x + 1 / mpmath.atanh(1 / x)

        x0 = mpmath.findroot(F, 3.05)
        m0 = 1 / mpmath.diff(F, x0)
        for at, sign in zip(atoms, (-1, 1)):
            assert abs(at.location - sign * x0) < 1e-25
            assert 0 < at.error < 1e-15 and abs(at.mass - m0) <= at.error
    assert abs(float(rho.continuous_mass()) - (1 - 2 * float(m0))) < 1e-15


def test_bercovici_pata_of_a_law_without_a_curve():
    # Lambda(uniform(-1, 1)): F = omega with F_u(omega) = 2 omega - z, F_u = 1/atanh(1/w)
    # (R_Lambda(w) = B_u(1/w)); solved here by mpmath's findroot, independently
    nu = fa.boolean_to_free(fa.uniform(-1, 1))
    xs = ["0", "0.5", "1.0", "1.3"]
    got = nu.density(np.array([float(x) for x in xs]))
    with mpmath.workdps(30):
        for x, g in zip(xs, got):
            zz = mpmath.mpc(x, mpmath.mpf(10) ** -25)
            w = mpmath.findroot(lambda w, zz=zz: 2 * w - 1 / mpmath.atanh(1 / w) - zz,
                                mpmath.mpc(x, 1))
            assert abs(g - float(-mpmath.im(1 / w) / mpmath.pi)) < 1e-12
    assert nu.free_cumulants(6) == fa.boolean_cumulants(fa.uniform(-1, 1), 6)


def test_symbolic_parameters():
    t = sp.Symbol("t", positive=True)
    rho = fa.boolean_power(fa.semicircle(1), t)
    got = [sp.expand(m) for m in rho.moments(4)]
    assert got == [0, t, 0, t + t**2]        # b_2 = b_4 = t: m_4 = b_4 + b_2^2
    assert rho.curve() is None


def test_monotone_atoms_and_bands():
    # discrete{0, 3} ▷ sc: G = G_mu(F_sc(z)) has a pole where F_sc(x) = 3, i.e. x = 3 + 1/3,
    # of mass (1/2)/F_sc'(10/3) = (1/2)/(9/8) = 4/9 (F_sc(x) = (x + sqrt(x^2 - 4))/2); F_sc = 0
    # never happens, so that is the only atom
    rho = fa.monotone_additive(fa.discrete([0, 3]), fa.semicircle(1))
    assert rho.atoms() == [fa.Atom(R(10, 3), R(4, 9))]
    # sc ▷ discrete{0, 3}: bands where F_nu(x) = 2 x (x - 3)/(2 x - 3) lies in [-2, 2], between
    # the roots of x^2 - x - 3 and of x^2 - 5 x + 3
    rho = fa.monotone_additive(fa.semicircle(1), fa.discrete([0, 3]))
    assert rho.atoms() == []
    want = sorted([(1 - 13**0.5) / 2, (5 - 13**0.5) / 2, (1 + 13**0.5) / 2, (5 + 13**0.5) / 2])
    got = [float(v) for b in rho.support() for v in (b.lo, b.hi)]
    assert got == pytest.approx(want, abs=1e-14)


def test_monotone_with_a_composite_child():
    # mu = sc ⊞ uniform (a Newton system of its own) ▷ Bernoulli +-1: G(z) = G_mu(z - 1/z),
    # so G and the density of the monotone law are mu's at z - 1/z (F_nu = z - 1/z)
    mu = fa.free_additive(fa.semicircle(1), fa.uniform(-1, 1))
    rho = fa.monotone_additive(mu, fa.discrete([-1, 1]))
    with mpmath.workdps(25):
        for x in ("0.3", "1.2", "2.1"):
            zz = mpmath.mpc(x, "0.01")
            assert abs(rho.cauchy(zz, dps=20) - mu.cauchy(zz - 1 / zz, dps=20)) < 1e-18
    xs = np.array([0.3, 1.2, 2.1])
    np.testing.assert_allclose(rho.density(xs), mu.density(xs - 1 / xs), rtol=1e-9, atol=1e-12)


def test_float_parameters_give_the_exact_law_they_store():
    # discrete{-3/2, 3/2} ⊎ sc(1/2): F = -9/(4 z) + F_sc(z); its curve's leading coefficient
    # 28 z^2 - 81 gives the atoms -+9 sqrt 7/14, mass 1/F'(x) = 45/98 (F_sc = z - G_sc/2,
    # G_sc = z - sqrt(z^2 - 2) at x^2 = 81/28: checked here with mpmath)
    got = fa.boolean_additive(fa.discrete([-1.5, 1.5]), fa.semicircle(0.5)).atoms()
    exact = fa.boolean_additive(fa.discrete([-R(3, 2), R(3, 2)]), fa.semicircle(R(1, 2))).atoms()
    assert got == exact == [fa.Atom(-9 * sp.sqrt(7) / 14, R(45, 98)),
                            fa.Atom(9 * sp.sqrt(7) / 14, R(45, 98))]
    with mpmath.workdps(30):
        def F(x):
            return -mpmath.mpf(9) / (4 * x) + x - (x - mpmath.sqrt(x * x - 2)) / 2

        x0 = 9 * mpmath.sqrt(7) / 14
        assert abs(F(x0)) < 1e-25 and abs(1 / mpmath.diff(F, x0) - mpmath.mpf(45) / 98) < 1e-25
