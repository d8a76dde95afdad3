"""The S-transform engine (freealg.numeric.stransform): ⊠ products, compressions, scalings.

Every reference is independent of the engine: closed forms from the literature (cited at
each test), exact moments from freealg's combinatorial moment code (free cumulants and the
Kreweras product formula, not S-transforms), or freealg's subordination solver.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, NoConvergence
from freealg.numeric.stransform import (M, STransformForm, s_compress, s_dirac, s_free_poisson,
                                        s_power, s_product, s_projection, s_scale)

from _references import wachter_edges

HALF = sp.Rational(1, 2)


def relu_form(L, sigma2=2):
    """J J^T of L ReLU layers with orthogonal weights: ⊠ of L copies of sigma_w^2 D^2,
    D^2 ~ Bernoulli(1/2) (Pennington-Schoenholz-Ganguli 2017, S_{WW^T} = 1/sigma_w^2 ...);
    here the weight scale is carried by D: sigma_w^2 D^2 = sigma2 * projection(1/2)."""
    return s_power(s_scale(s_projection(HALF), sigma2), L)


def relu_edge(L, sigma2=2):
    """Right edge (sigma2/2)^L L^L/(L-1)^(L-1): S = (2/sigma2)^L ((1+m)/(1+2m))^L, the critical
    point of z(m) = (1+m)/(m S(m)) is m* = 1/(L-2) [derived; for sigma2 = 2 this is the
    support edge of Pennington-Schoenholz-Ganguli, AISTATS 2018, and bench_jacobian_depth]."""
    with mpmath.workdps(60):
        L_ = mpmath.mpf(L)
        return (mpmath.mpf(sigma2) / 2) ** L * L_**L / (L_ - 1) ** (L - 1)


# -- leaves and rules against exact moments ------------------------------------------------------


def test_leaf_moments_match_freealg_laws():
    # exact moments of freealg's own leaf laws (closed-form moment formulas, no S-transforms)
    t = sp.Rational(1, 3)
    assert s_free_poisson(2, 3).moments(5) == fa.free_poisson(2, 3).moments(5)
    assert s_free_poisson(t).moments(5) == fa.free_poisson(t).moments(5)
    assert s_projection(t).moments(4) == fa.bernoulli(t).moments(4)
    assert s_dirac(5).moments(3) == [5, 25, 125]
    assert s_free_poisson(t).atom0 == 1 - t and s_projection(t).atom0 == 1 - t


def test_product_and_power_moments():
    # ⊠ moments from the Kreweras product formula (NS Lecture 14), computed by freealg
    a, b = fa.free_poisson(2), fa.bernoulli(sp.Rational(1, 3))
    ref = fa.free_multiplicative(a, b).moments(5)
    got = s_product(s_free_poisson(2), s_projection(sp.Rational(1, 3))).moments(5)
    assert got == ref
    assert s_power(s_free_poisson(1), 3).moments(4) == fa.free_product(
        [(fa.free_poisson(1), 3)]).moments(4)


@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_fuss_catalan_moments(s):
    # MP^{⊠s}: Fuss-Catalan numbers binom((s+1)n, n)/(sn + 1) (Penson-Zyczkowski 2011, eq. 2)
    got = s_power(s_free_poisson(1), s).moments(6)
    assert got == [sp.binomial((s + 1) * n, n) / (s * n + 1) for n in range(1, 7)]


@pytest.mark.parametrize("t", [sp.Rational(1, 3), sp.Rational(3, 4)])
@pytest.mark.parametrize("ambient", [False, True])
def test_compression_rule_against_exact_moments(t, ambient):
    # free_compression's moments come from free cumulants kappa_n(pap) = t^(n-1) kappa_n(a)
    # (Nica-Speicher 1996; NS Lecture 14), not from S-transforms
    for law, form in [(fa.free_poisson(2), s_free_poisson(2)),
                      (fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(HALF)),
                       s_product(s_free_poisson(1), s_projection(HALF))),
                      (fa.free_poisson(sp.Rational(1, 2), 3), s_free_poisson(HALF, 3))]:
        ref = fa.free_compression(law, t, ambient=ambient).moments(6)
        assert s_compress(form, t, ambient=ambient).moments(6) == ref


def test_compression_atom_at_zero():
    # ambient: max(mu({0}), 1 - t); in pAp: max(0, (mu({0}) - 1 + t)/t) (Bercovici-Voiculescu
    # atoms of mu^{⊞1/t}); freealg's atom theorems give the reference
    t = sp.Rational(2, 3)
    law = fa.free_poisson(HALF)
    for ambient in (False, True):
        ref = [a.mass for a in fa.free_compression(law, t, ambient=ambient).atoms()
               if a.location == 0]
        got = s_compress(s_free_poisson(HALF), t, ambient=ambient).atom0
        assert got == (ref[0] if ref else 0)


def test_value_semantics():
    # equal forms compare equal and hash alike; pickle round-trips (the numeric cache is not
    # pickled); construction merges equal factors and cancels them
    import pickle

    a = s_compress(s_free_poisson(1), sp.Rational(3, 4), ambient=True)
    b = STransformForm([(M + sp.Rational(3, 4), -1)])
    assert a == b and hash(a) == hash(b)
    a.cauchy_np(np.array([1j]))                        # fills the cache
    c = pickle.loads(pickle.dumps(a))
    assert c == a and c.edges(dps=20)[-1].location == a.edges(dps=20)[-1].location
    assert s_power(s_projection(HALF), 1000).factors == ((M + 1, 1000), (M + HALF, -1000))


def test_atom0_derived_from_the_pole_of_chi():
    # mu({0}) = 1 + m_p, m_p the pole of chi in (-1, 0) (derived from psi's range)
    form = STransformForm([((M + 1) / (M + sp.Rational(1, 5)), 3)])      # projection(1/5)^⊠3
    assert form.atom0 == sp.Rational(4, 5)
    with pytest.raises(InvalidParameterError):
        STransformForm([((M + 1) / (M + sp.Rational(1, 5)), 1)], atom0=0)


# -- the ReLU orthogonal Jacobian -----------------------------------------------------------------


@pytest.mark.parametrize("L", [2, 3, 10, 100, 1000])
def test_relu_jacobian_right_edge(L):
    # closed form L^L/(L-1)^(L-1) (see relu_edge); L = 2: the edge is at m = infinity (hard)
    form = relu_form(L)
    t0 = time.perf_counter()
    edges = form.edges(dps=30)
    elapsed = time.perf_counter() - t0
    left, right = edges
    # atom 1/2 at 0 and the band reaching 0
    assert (left.location, left.side, left.kind) == (0, "left", "hard")
    ref = relu_edge(L)
    with mpmath.workdps(60):
        err = abs(right.location - ref)
        assert err <= right.error            # the reported error bounds the true error
        assert err / ref < 1e-9 and right.error / ref < 1e-25
    assert right.side == "right" and right.kind == ("hard" if L == 2 else "soft")
    assert elapsed < 10.0                     # O(#distinct factors): seconds even at L = 1000


def test_relu_edge_scales_with_sigma_w():
    # sigma_w^2 != 2 rescales every layer: edge (sigma2/2)^L L^L/(L-1)^(L-1) [derived]
    sig2 = sp.Rational(3)
    right = relu_form(10, sig2).edges(dps=30)[-1]
    with mpmath.workdps(60):
        assert abs(right.location - relu_edge(10, 3)) <= right.error


def test_relu_form_matches_the_network_law():
    # the compiled MLP (fa.nn.MLP, orthogonal weights) has the same exact moments
    law = fa.nn.MLP(3, "relu").jacobian_system().law
    assert relu_form(3).moments(5) == law.moments(5)


def test_relu_density_against_subordination_solver():
    # freealg's FreeProduct solver (subordination-type Newton on m and one W per factor)
    d = fa.discrete([0, 2], [HALF, HALF])
    for L in (3, 10):
        law = fa.free_product([(d, L)])
        form = relu_form(L)
        R = float(relu_edge(L))
        xs = np.concatenate([np.geomspace(1e-5, 0.1, 6), np.linspace(0.1, 0.99 * R, 12)])
        got = form.density_np(xs)
        ref = law.density(xs)
        assert not np.isnan(got).any()
        np.testing.assert_allclose(got, ref, rtol=1e-9)


# -- Fuss-Catalan densities -----------------------------------------------------------------------


def _pz_density(x):
    """Penson-Zyczkowski 2011 (PRE 83, 061118), eq. for s = 2."""
    x = mpmath.mpf(x)
    r = 27 + 3 * mpmath.sqrt(81 - 12 * x)
    c = mpmath.cbrt(2) * mpmath.sqrt(3) / (12 * mpmath.pi)
    return c * (mpmath.cbrt(2) * r ** (mpmath.mpf(2) / 3) - 6 * mpmath.cbrt(x)) / (
        x ** (mpmath.mpf(2) / 3) * mpmath.cbrt(r))


def test_fuss_catalan_s2_density_closed_form():
    fc = s_power(s_free_poisson(1), 2)
    xs = [0.001, 0.3, 1.0, 2.5, 5.0, 6.7]
    got = fc.density_np(np.array(xs))
    with mpmath.workdps(40):
        ref = [_pz_density(x) for x in xs]
        np.testing.assert_allclose(got, [float(r) for r in ref], rtol=1e-10)
        for x, r in zip(xs[1:4], ref[1:4]):
            assert abs(fc.density_mp(x, dps=30) - r) < mpmath.mpf(10) ** -25 * r


def test_fuss_catalan_s3_parametrised_density():
    # Haagerup-Moller 2013 / Forrester-Liu 2015 (Prop. 2.1): x(phi) = sin^(s+1)((s+1)phi)/
    # (sin phi sin^s(s phi)), rho = sin^2 phi sin^(s-1)(s phi)/(pi sin^s((s+1) phi))
    s = 3
    fc = s_power(s_free_poisson(1), s)
    with mpmath.workdps(40):
        for phi in (0.1, 0.3, 0.5, 0.7):
            ph = mpmath.mpf(phi)
            x = mpmath.sin((s + 1) * ph) ** (s + 1) / (mpmath.sin(ph) * mpmath.sin(s * ph) ** s)
            rho = (mpmath.sin(ph) ** 2 * mpmath.sin(s * ph) ** (s - 1)
                   / (mpmath.pi * mpmath.sin((s + 1) * ph) ** s))
            assert abs(fc.density_mp(x, dps=30) - rho) < mpmath.mpf(10) ** -25 * rho
            assert abs(fc.density_np(np.array([float(x)]))[0] - float(rho)) < 1e-10 * float(rho)
    right = fc.edges(dps=30)[-1]     # (s+1)^(s+1)/s^s
    with mpmath.workdps(60):
        assert abs(right.location - mpmath.mpf(4) ** 4 / 27) <= right.error


# -- edges with atoms and two-sided bands ---------------------------------------------------------


@pytest.mark.parametrize("lam", [sp.Rational(1, 3), sp.Rational(5, 2)])
def test_free_poisson_edges(lam):
    # (1 -+ sqrt(lam))^2 (Marchenko-Pastur 1967)
    left, right = s_free_poisson(lam).edges(dps=30)
    with mpmath.workdps(60):
        for e, sign in ((left, -1), (right, 1)):
            ref = (1 + sign * mpmath.sqrt(mpmath.mpf(lam.p) / lam.q)) ** 2
            assert abs(e.location - ref) <= e.error and e.kind == "soft"


@pytest.mark.parametrize("a,b", [(sp.Rational(1, 2), sp.Rational(1, 3)),
                                 (sp.Rational(3, 4), sp.Rational(2, 3))])
def test_wachter_edges_from_two_projections(a, b):
    # law of pqp: Wachter 1980 / Collins 2005 edges lambda_pm (tests/_references.py); with
    # a + b > 1 there is also an atom at 1, so the band's right end is a critical point past
    # m = infinity
    lo, hi = wachter_edges(a, b)
    left, right = s_product(s_projection(a), s_projection(b)).edges(dps=30)
    with mpmath.workdps(60):
        assert abs(left.location - mpmath.mpmathify(sp.N(lo, 50))) <= left.error
        assert abs(right.location - mpmath.mpmathify(sp.N(hi, 50))) <= right.error


@pytest.mark.parametrize("law", [
    fa.free_multiplicative(fa.free_poisson(HALF), fa.bernoulli(sp.Rational(1, 3))),
    fa.free_compression(fa.free_poisson(3), sp.Rational(1, 4)),
    fa.free_compression(fa.free_multiplicative(fa.free_poisson(2), fa.bernoulli(HALF)),
                        sp.Rational(1, 3)),
], ids=["mp_x_bernoulli", "compressed_mp", "compressed_product"])
def test_edges_agree_with_the_subordination_solver(law):
    # freealg's fold Newton on the subordination system (laws/convolution.py), within both
    # reported errors; the S-form comes from the law tree (form_of, below)
    ref = law.edges(dps=30)
    got = form_of(law).edges(dps=30)
    assert [e.side for e in got] == [e.side for e in ref]
    with mpmath.workdps(40):
        for e, r in zip(got, ref):
            assert abs(e.location - mpmath.mpmathify(sp.N(r.location, 40))) <= e.error + r.error
            assert e.kind == r.kind


def test_pure_atoms_have_no_edges():
    assert s_dirac(2).edges() == []
    assert s_scale(s_projection(HALF), 2).edges() == []    # one ReLU layer: atoms 0 and 2


# -- Cauchy transform: branch, symmetry, NaN policy -----------------------------------------------


def test_cauchy_free_poisson_closed_form_on_a_grid():
    # G = (z + 1 - lam - sqrt(z - a) sqrt(z - b))/(2z), a, b = (1 -+ sqrt lam)^2 (MP 1967)
    lam = 0.5
    a, b = (1 - np.sqrt(lam)) ** 2, (1 + np.sqrt(lam)) ** 2
    x = np.linspace(-1, 4, 401)
    z = np.concatenate([x + 1e-3j, x[x != 0] + 0j, x - 0.5j, 3 + 1j * np.geomspace(1e-8, 1e4, 30)])
    ref = (z + 1 - lam - np.sqrt(z - a) * np.sqrt(z - b)) / (2 * z)
    ref = np.where(z.imag < 0, np.conj((np.conj(z) + 1 - lam - np.sqrt(np.conj(z) - a)
                                        * np.sqrt(np.conj(z) - b)) / (2 * np.conj(z))), ref)
    got = s_free_poisson(lam).cauchy_np(z)
    assert not np.isnan(got).any()
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_cauchy_mp_conjugate_symmetry_and_precision():
    fc = s_power(s_free_poisson(1), 2)
    g = fc.cauchy_mp(mpmath.mpc(2, 1), dps=40)
    h = fc.cauchy_mp(mpmath.mpc(2, -1), dps=40)
    with mpmath.workdps(50):
        assert abs(g - mpmath.conj(h)) < mpmath.mpf(10) ** -38
        # the curve x^s G^(s+1) - x G + 1 = 0 of FC_s (derived from S = (1+m)^-s; s = 2)
        z = mpmath.mpc(2, 1)
        assert abs(z**2 * g**3 - z * g + 1) < mpmath.mpf(10) ** -37


def test_nan_is_never_a_silent_number():
    # z = 0 is singular in chi(m) = 1/z: NaN from the array path, an error from the scalar one
    g = s_free_poisson(1).cauchy_np(np.array([0.0, 1.0]))
    assert np.isnan(g[0]) and np.isfinite(g[1])
    with pytest.raises(InvalidParameterError):
        s_free_poisson(1).cauchy_mp(0)


# -- the nested Gaussian-weight Jacobian ----------------------------------------------------------


def _gaussian_jacobian(L=4, t=None):
    t = sp.Rational(3, 4) if t is None else t
    s = sp.sqrt(1 / t)
    J = None
    for l in range(L):
        D = fa.projection(f"d{l}", t)
        W = s * fa.circular(f"c{l}")
        J = D * W if J is None else D * W * J
    law = fa.compile(J * J.H).law
    # the compiled tree: affine(comp(mult(FP, comp(mult(FP, ... comp(FP)))), t, ambient), s^(2L))
    form = s_compress(s_free_poisson(1), t, ambient=True)
    for _ in range(L - 1):
        form = s_compress(s_product(s_free_poisson(1), form), t, ambient=True)
    return law, s_scale(form, s ** (2 * L))


def form_of(law):
    """Map a freealg law tree onto S-forms (how the laws can call the engine): ⊠ nodes by
    s_product/s_power, compressions by s_compress, positive scalings by s_scale, leaves by
    their own exact S-transform (the atom at 0 derived from the pole of chi)."""
    name = type(law).__name__
    if name == "FreeMultiplicative":
        return s_product(form_of(law.args[0]), form_of(law.args[1]))
    if name == "FreeProduct":
        out = None
        for sub, k in law.args[0]:
            f = s_power(form_of(sub), k)
            out = f if out is None else s_product(out, f)
        return out
    if name == "FreeCompression":
        return s_compress(form_of(law.args[0]), law.args[1], ambient=law.args[2])
    if name == "Affine" and law.args[2] == 0:
        return s_scale(form_of(law.args[0]), law.args[1])
    return STransformForm([(law.s_transform(M), 1)])


def test_compiled_trees_map_onto_s_forms():
    law, form = _gaussian_jacobian()
    assert form_of(law) == form
    assert form_of(fa.nn.MLP(5, "relu").jacobian_system().law) == relu_form(5)


def test_nested_gaussian_jacobian_moments():
    # exact moments of the compiled law (free cumulants / Kreweras; no S-transforms)
    law, form = _gaussian_jacobian()
    assert form.moments(6) == law.moments(6)
    assert form.atom0 == 1 - sp.Rational(3, 4)


def test_nested_gaussian_jacobian_density_speed():
    # target of issue 12: <= 0.5 s per density point at dps=30
    _, form = _gaussian_jacobian()
    form.density_mp(0.5, dps=30)   # warm the caches
    t0 = time.perf_counter()
    for x in (0.5, 2.0, 7.0):
        form.density_mp(x, dps=30)
    assert (time.perf_counter() - t0) / 3 < 0.5


@pytest.mark.slow
def test_nested_gaussian_jacobian_cauchy_against_subordination():
    # freealg's own nested subordination solver (free_compression/free_multiplicative tree)
    law, form = _gaussian_jacobian()
    for z in (mpmath.mpc(0.5, 0), mpmath.mpc(3, "0.5"), mpmath.mpc(20, 0)):
        ref = law.cauchy(z, dps=30)
        got = form.cauchy_mp(z, dps=30)
        with mpmath.workdps(40):
            assert abs(got - ref) < mpmath.mpf(10) ** -25 * abs(ref)


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda: s_projection(2),
    lambda: s_projection(-1),
    lambda: s_free_poisson(0),
    lambda: s_free_poisson(1, -2),
    lambda: s_dirac(0),
    lambda: s_power(s_free_poisson(1), 0),
    lambda: s_power(s_free_poisson(1), 1.5),
    lambda: s_scale(s_free_poisson(1), -1),
    lambda: s_compress(s_free_poisson(1), 0),
    lambda: s_compress(s_free_poisson(1), sp.Rational(3, 2)),
    lambda: s_product(s_free_poisson(1), "x"),
    lambda: STransformForm([(M + 1, -1)], const=-1),
    lambda: STransformForm([(M - 1, -1)]),                 # S(0) < 0: not a law on [0, inf)
    lambda: STransformForm([(sp.Symbol("y") + M, 1)]),
    lambda: STransformForm([M + 1]),
    lambda: s_free_poisson(1).edges(dps=0),
    lambda: s_free_poisson(1).cauchy_mp(1j, dps=2.5),
    lambda: s_free_poisson(1).density_mp("abc"),
    lambda: s_free_poisson(1).density_mp(1 + 1j),
    lambda: s_free_poisson(1).moments(0),
    lambda: s_free_poisson(1).cauchy_np(["a", 1]),
    lambda: s_free_poisson(1).density_np([1j, 2]),
    lambda: STransformForm([(_exp_factor(), 1)]),          # atom0 cannot be derived
    lambda: STransformForm([(_exp_factor(), 1)], atom0=0).moments(3),
])
def test_bad_input_raises_freealg_errors(call):
    with pytest.raises(InvalidParameterError):
        call()


def test_exact_soft_edge_is_zero_or_reported():
    # at a soft edge the two real roots merge: the density is 0 (Marchenko-Pastur at x = 4) or
    # the solver says it did not converge -- never a wrong number
    try:
        r = s_free_poisson(1).density_mp(4, dps=30)
    except NoConvergence:
        return
    assert r < mpmath.mpf(10) ** -10


# -- non-rational S: sympy expressions and callables ----------------------------------------------


def _exp_factor():
    def f(m):
        e = np if isinstance(m, np.ndarray) else mpmath
        return e.exp(-2 * m / (1 + m))

    def df(m):
        return f(m) * (-2 / (1 + m) ** 2)

    return f, df


def test_multiplicative_exponential_sympy_and_callable_factors():
    # S = exp(-sigma2 m/(1+m)) (PSG AISTATS 2018 limit law): moments from freealg's law
    # (series of its own S), Cauchy transform from its subordination solver
    law = fa.multiplicative_exponential(2)
    sym = STransformForm([(sp.exp(-2 * M / (1 + M)), 1)], atom0=0)
    cal = STransformForm([(_exp_factor(), 1)], atom0=0)
    assert sym.moments(5) == law.moments(5)
    for z in (mpmath.mpc(1, "0.5"), mpmath.mpc(3, 0), mpmath.mpc("0.2", 0)):
        ref = law.cauchy(z, dps=30)
        with mpmath.workdps(40):
            assert abs(sym.cauchy_mp(z, dps=30) - ref) < mpmath.mpf(10) ** -25 * abs(ref)
            assert abs(cal.cauchy_mp(z, dps=30) - ref) < mpmath.mpf(10) ** -25 * abs(ref)
    ref_edge = law.edges(dps=30)[-1]
    for form in (sym, cal):
        e = form.edges(dps=30)[-1]
        with mpmath.workdps(40):
            assert abs(e.location - ref_edge.location) <= e.error + ref_edge.error
            assert e.kind == "soft"
