"""Tests of freealg.laws.continuous: from_density and gaussian_pushforward.

Every numeric reference is independent of the code under test and cited next to the check:
closed-form Cauchy transforms (semicircle, uniform, arcsine, free Poisson),
direct Gaussian quadrature of E[g(f(h))] with mpmath, closed-form inverse functions, exact
Catalan numbers, or Monte Carlo with a tolerance derived from the sample size.
"""

from __future__ import annotations

import math
import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import special

import freealg as fa
from freealg.errors import InvalidParameterError, UndeterminedError
from freealg.kernels.backend import MP, NP
from freealg.laws.catalog import Bernoulli
from freealg.laws import (FromDensity, GaussianPushforward, from_density,
                                     gaussian_pushforward)
from freealg.laws.derived import Mixture

x, t, h = sp.symbols("x t h")
q_sym = sp.Symbol("q", positive=True)

SEMICIRCLE_PDF = sp.sqrt(4 - x**2) / (2 * sp.pi)
TANH_D2 = (1 - sp.tanh(h) ** 2) ** 2          # tanh'(h)^2


@pytest.fixture(autouse=True)
def _precision_is_local():
    """nothing may assign mpmath.mp.dps."""
    before = mpmath.mp.dps
    yield
    assert mpmath.mp.dps == before


@pytest.fixture(scope="module")
def sc_law():
    return from_density(SEMICIRCLE_PDF, -2, 2)


@pytest.fixture(scope="module")
def tanh2_law():
    return gaussian_pushforward(TANH_D2, 1)


def _tanh2_density_ref(xv):
    """Closed form (independent of the root finder): x = (1 - tanh(h)^2)^2 gives
    tanh(h)^2 = 1 - sqrt(x), |f'(h)| = 4 |tanh(h)| (1 - tanh(h)^2)^2, two branches h = +-h(x)."""
    with mpmath.workdps(40):
        xv = mpmath.mpf(xv)
        th = mpmath.sqrt(1 - mpmath.sqrt(xv))
        hv = mpmath.atanh(th)
        return 2 * mpmath.npdf(hv) / (4 * th * (1 - th**2) ** 2)


def _tanh2_cauchy_ref(z, dps=30):
    """E[1/(z - f(h))], h ~ N(0, 1), by direct mpmath quadrature in h (off the real axis),
    split at the closed-form roots +-h(Re z) of f(h) = Re z where the integrand peaks."""
    with mpmath.workdps(dps):
        z = mpmath.mpc(z)
        pts = [-mpmath.inf, -3, -1, 0, 1, 3, mpmath.inf]
        if 0 < z.real < 1:
            r = mpmath.atanh(mpmath.sqrt(1 - mpmath.sqrt(z.real)))
            pts = sorted(set(pts[1:-1] + [r, -r]))
            pts = [-mpmath.inf] + pts + [mpmath.inf]
        return mpmath.quad(lambda s: mpmath.npdf(s) / (z - (1 - mpmath.tanh(s) ** 2) ** 2), pts)


# ---------------------------------------------------------------------------------------------
# from_density: the semicircle


@pytest.mark.parametrize("z", [0.3 + 0.5j, 1.0, 3.0])
def test_semicircle_cauchy_mp(sc_law, z):
    # reference: closed-form semicircle G (Semicircle.cauchy; Voiculescu 1986);
    # z = 1.0 is the boundary value G(1 + i0) on the support, z = 3 is real outside
    g = sc_law.cauchy(z, dps=30)
    ref = fa.semicircle(1).cauchy(z, dps=30)
    with mpmath.workdps(30):
        assert abs(g - ref) < 1e-25
    if z == 1.0:  # Stieltjes inversion: -Im G(x + i0)/pi = sqrt(4 - x^2)/(2 pi)
        with mpmath.workdps(30):
            assert abs(-g.imag / mpmath.pi - mpmath.sqrt(3) / (2 * mpmath.pi)) < 1e-25


def test_semicircle_cauchy_np_grid(sc_law):
    # reference: closed-form semicircle G in float64, on the axis and at several heights
    xs = np.linspace(-3, 3, 241)
    z = np.concatenate([xs + 1j * y for y in (0.0, 1e-9, 1e-5, 1e-2, 0.3, 2.0)])
    g = sc_law.cauchy(z)
    ref = fa.semicircle(1).cauchy(z)
    assert np.max(np.abs(g - ref)) < 1e-10


def test_semicircle_moments_are_catalan(sc_law):
    # exact: m_{2k} = Catalan(k), odd moments 0
    assert sc_law.moments(8) == [0, 1, 0, 2, 0, 5, 0, 14]
    assert all(isinstance(m, sp.Integer) for m in sc_law.moments(8))


def test_semicircle_edges_support_density(sc_law):
    assert [(e.location, e.kind, e.side) for e in sc_law.edges()] == \
        [(-2, "soft", "left"), (2, "soft", "right")]
    b = sc_law.support()
    assert (b[0].lo, b[0].hi) == (-2, 2)
    assert sc_law._hull_float() == (-2.0, 2.0)
    xs = np.array([-3.0, -1.0, 0.0, 1.5, 2.0, 2.5])
    ref = np.sqrt(np.clip(4 - xs**2, 0, None)) / (2 * np.pi)  # the pdf itself, 0 outside
    assert np.allclose(sc_law.density(xs), ref, atol=1e-15)
    with mpmath.workdps(30):
        d = sc_law.density(mpmath.mpf(1), dps=30)
        assert abs(d - mpmath.sqrt(3) / (2 * mpmath.pi)) < 1e-28


def test_semicircle_derivative(sc_law):
    # reference: derivative of the closed-form semicircle G (Semicircle._dg); _dg only feeds
    # Newton Jacobians, so the requirement is moderate accuracy
    for z in (0.3 + 0.5j, 1.0, 3.0, 0.5 + 1e-6j):
        with mpmath.workdps(30):
            d = sc_law._dg(mpmath.mpc(z), MP)
            r = fa.semicircle(1)._dg(mpmath.mpc(z), MP)
            assert abs(d - r) < 1e-15 * (1 + abs(r))
    z = np.array([0.3 + 0.5j, 1.0, 3.0, 0.5 + 1e-6j])
    assert np.max(np.abs(sc_law._dg(z, NP) - fa.semicircle(1)._dg(z, NP))) < 1e-6


# ---------------------------------------------------------------------------------------------
# from_density: other densities


def test_uniform_closed_form():
    # reference: G = log((z - a)/(z - b))/(b - a) (principal logs give the boundary value)
    a, b = -1, 2
    law = from_density(sp.Rational(1, 3) + 0 * x, a, b)
    with mpmath.workdps(30):
        for z in (0.5 + 0.25j, 0.5, 2.5, -3 + 1e-12j, 10j):
            zz = mpmath.mpc(z)
            ref = (mpmath.log(zz - a) - mpmath.log(zz - b)) / (b - a)
            assert abs(law.cauchy(z, dps=30) - ref) < 1e-26
    xs = np.linspace(-2, 3, 101)
    for y in (0.0, 1e-7, 0.1):
        z = xs + 1j * y
        ok = (np.abs(z - a) > 1e-3) & (np.abs(z - b) > 1e-3)   # log singularities at a, b
        z = z[ok]
        ref = (np.log(z - a + 0j) - np.log(z - b + 0j)) / (b - a)
        assert np.max(np.abs(law.cauchy(z) - ref)) < 1e-12
    assert law.moments(3) == [sp.Rational(1, 2), 1, sp.Rational(5, 4)]
    assert [e.kind for e in law.edges()] == ["hard", "hard"]


def test_arcsine_inverse_sqrt_edges():
    # reference: closed-form arcsine G = 1/(sqrt(z - a) sqrt(z - b)) (catalog.Arcsine); the
    # pdf pdf(a + d), pdf(b - d) are evaluated without cancellation, so the inverse-sqrt
    # edges keep the full working precision
    law = from_density(1 / (sp.pi * sp.sqrt(4 - x**2)), -2, 2)
    for z in (0.3 + 0.5j, 1.0, 3.0, 1.99 + 1e-8j):
        g, r = law.cauchy(z, dps=30), fa.arcsine(-2, 2).cauchy(z, dps=30)
        with mpmath.workdps(30):
            assert abs(g - r) < 1e-26 * abs(r)
    assert [e.kind for e in law.edges()] == ["hard", "hard"]
    assert law.moments(4) == [0, 2, 0, 6]     # central binomial coefficients


def test_marchenko_pastur_density_and_moments():
    # reference: free Poisson(1) closed form (Marchenko-Pastur 1967), moments Catalan numbers
    law = from_density(sp.sqrt(x * (4 - x)) / (2 * sp.pi * x), 0, 4)
    assert law.moments(3) == [1, 2, 5]
    for z in (1.0, 0.5 + 0.5j, 5.0):
        g, r = law.cauchy(z, dps=25), fa.free_poisson(1).cauchy(z, dps=25)
        with mpmath.workdps(25):
            assert abs(g - r) < 1e-20
    z = np.linspace(0.05, 4.5, 50) + 1e-3j
    assert np.max(np.abs(law.cauchy(z) - fa.free_poisson(1).cauchy(z))) < 1e-10
    assert [e.kind for e in law.edges()] == ["hard", "soft"]


def test_piecewise_density_breakpoints():
    # triangle density 1 - |x| on [-1, 1]: exact moments m_{2k} = 2/((2k+1)(2k+2)); the kink at
    # 0 is found from the Piecewise structure and the quadrature is split there
    law = from_density(1 - sp.Abs(x), -1, 1)
    assert law._breaks() == [0]
    assert law.moments(4) == [0, sp.Rational(1, 6), 0, sp.Rational(1, 15)]
    with mpmath.workdps(30):
        # reference: int (1 - |s|)/(z - s) ds = (z+1) log(z+1) + (z-1) log(z-1) - 2 z log z
        z = mpmath.mpc(0.4, 0.3)
        ref = (z + 1) * mpmath.log(z + 1) + (z - 1) * mpmath.log(z - 1) - 2 * z * mpmath.log(z)
        assert abs(law.cauchy(z, dps=30) - ref) < 1e-26


def test_callable_pdfs():
    # reference: closed-form semicircle; numpy-vectorised and scalar-only callables, and a
    # callable that accepts mpf (then the mpmath path has full precision)
    vec = from_density(lambda s: np.sqrt(np.clip(4 - s * s, 0, None)) / (2 * np.pi), -2, 2)
    scal = from_density(lambda s: math.sqrt(max(4 - s * s, 0.0)) / (2 * math.pi), -2, 2)
    z = np.linspace(-3, 3, 61) + 0.01j
    ref = fa.semicircle(1).cauchy(z)
    assert np.max(np.abs(vec.cauchy(z) - ref)) < 1e-12
    assert np.max(np.abs(scal.cauchy(z) - ref)) < 1e-12
    assert abs(complex(scal.cauchy(0.5 + 0.5j, dps=20)) -
               complex(fa.semicircle(1).cauchy(0.5 + 0.5j, dps=20))) < 1e-13

    def mp_pdf(s):
        if isinstance(s, np.ndarray):
            return np.sqrt(np.clip(4 - s * s, 0, None)) / (2 * np.pi)
        return mpmath.sqrt(4 - s * s) / (2 * mpmath.pi)

    full = from_density(mp_pdf, -2, 2)
    with mpmath.workdps(30):
        assert abs(full.cauchy(0.3 + 0.5j, dps=30) -
                   fa.semicircle(1).cauchy(0.3 + 0.5j, dps=30)) < 1e-25
    # numeric moments (sympy Floats) against the exact Catalan numbers
    m = vec.moments(4)
    assert all(isinstance(v, sp.Float) for v in m)
    assert max(abs(float(a - b)) for a, b in zip(m, [0, 1, 0, 2])) < 1e-12


def test_value_object_protocol(sc_law):
    same = from_density(sp.Lambda(t, sp.sqrt(4 - t**2) / (2 * sp.pi)), -2, 2)
    assert same == sc_law and hash(same) == hash(sc_law)          # structural, symbol-free
    assert type(sc_law)(*sc_law.args) == sc_law
    assert pickle.loads(pickle.dumps(sc_law)) == sc_law
    assert sc_law != from_density(SEMICIRCLE_PDF * 3 / 4 + sp.Rational(1, 16) + 0 * x, -2, 2)
    with pytest.raises(AttributeError):
        sc_law.foo = 1
    assert repr(sc_law) == "from_density(sqrt(4 - x**2)/(2*pi), -2, 2)"
    assert repr(from_density(2 * x, 0, 1)) == "from_density(2*x, 0, 1)"
    assert from_density(2 * x, 0, 1) == from_density(sp.Lambda(t, 2 * t), 0, 1)
    # a paper writes the density times the indicator of its interval
    assert sc_law._latex() == r"\frac{\sqrt{4 - x^{2}}}{2 \pi}\, \mathbf{1}_{[-2, 2]}(x)\, dx"
    law = from_density(lambda s: np.cos(s) / 2, -np.pi / 2, np.pi / 2)   # callable: by identity
    assert law == FromDensity(*law.args) and hash(law) == hash(FromDensity(*law.args))


def test_symbolic_parameters_and_subs():
    k = sp.Symbol("k", positive=True)
    law = from_density(sp.Lambda(x, (k + 1) * x**k), 0, 1)
    assert law.free_symbols == {k}
    # exact: int_0^1 (k+1) x^(k+n) dx = (k+1)/(k+n+1)
    assert sp.simplify(law.moments(1)[0] - (k + 1) / (k + 2)) == 0
    with pytest.raises(UndeterminedError):
        law.cauchy(0.5 + 0.5j)
    law2 = law.subs(k, 3)
    assert law2 == from_density(4 * x**3, 0, 1)
    assert law2.moments(2) == [sp.Rational(4, 5), sp.Rational(2, 3)]


def test_from_density_bad_input():
    with pytest.raises(InvalidParameterError, match="integrate to 1"):
        from_density(x**2, 0, 1)                      # integrates to 1/3
    with pytest.raises(InvalidParameterError, match="integrate to 1"):
        from_density(lambda s: np.ones_like(s), 0, 2)  # callable, integrates to 2
    with pytest.raises(InvalidParameterError, match="exactly 1"):
        # off by 2.5e-10: invisible to the 1e-8 numeric check, caught exactly
        from_density(sp.Rational(1000000001, 4000000000) + 0 * x, 0, 4)
    with pytest.raises(InvalidParameterError, match=">= 0"):
        from_density(sp.Rational(1, 2) + sp.Rational(3, 2) * x, -1, 1)   # integrates to 1
    with pytest.raises(InvalidParameterError, match=">= 0"):
        from_density(lambda s: 0.5 + 1.5 * s, -1, 1)
    with pytest.raises(InvalidParameterError, match="b > a"):
        from_density(sp.Rational(1, 2) + 0 * x, 1, 1)
    with pytest.raises(InvalidParameterError, match="b > a"):
        from_density(sp.Rational(1, 2) + 0 * x, 1, -1)
    with pytest.raises(InvalidParameterError, match="strings"):
        from_density("sqrt(4 - x**2)/(2*pi)", -2, 2)
    with pytest.raises(InvalidParameterError, match="several symbols"):
        from_density(x * t, 0, 1)
    with pytest.raises(InvalidParameterError, match="bounded"):
        from_density(sp.exp(-x), 0, sp.oo)


# ---------------------------------------------------------------------------------------------
# gaussian_pushforward: atoms


def test_relu_derivative_is_bernoulli_half():
    # exact: P(h > 0) = 1/2 for any variance
    for f in (sp.Heaviside(h), sp.diff(sp.Max(0, h), h), sp.Piecewise((0, h < 0), (1, True))):
        law = gaussian_pushforward(f, 1)
        assert law == Bernoulli(sp.Rational(1, 2))
        assert type(law) is Bernoulli and law.args[0] is sp.Rational(1, 2)
    assert gaussian_pushforward(sp.Heaviside(h), q_sym) == Bernoulli(sp.Rational(1, 2))


def test_hard_tanh_derivative_is_bernoulli_erf():
    # exact: P(|h| < 1) = erf(1/sqrt(2 q)) for h ~ N(0, q)
    ht_prime = sp.Piecewise((1, sp.Abs(h) < 1), (0, True))
    assert gaussian_pushforward(ht_prime, q_sym) == Bernoulli(sp.erf(1 / sp.sqrt(2 * q_sym)))
    assert gaussian_pushforward(ht_prime, 2) == Bernoulli(sp.erf(sp.Rational(1, 2)))
    # the same from the derivative of hard-tanh = Max(-1, Min(1, h))
    d = sp.diff(sp.Max(-1, sp.Min(1, h)), h)
    assert gaussian_pushforward(d, 1) == Bernoulli(sp.erf(1 / sp.sqrt(2)))


def test_other_atomic_laws():
    assert gaussian_pushforward(sp.Integer(3), 2) == fa.dirac(3)
    assert gaussian_pushforward(sp.Piecewise((2, h < 0), (3, True)), 5) == \
        fa.discrete([2, 3], [sp.Rational(1, 2), sp.Rational(1, 2)])


def test_callable_atoms_heuristic():
    # reference: P(h > 0) = 1/2 and P(|h| < 1) = erf(1/sqrt 2) (scipy.special.erf)
    relu = gaussian_pushforward(lambda s: (s > 0).astype(float), 1)
    assert isinstance(relu, Bernoulli) and abs(float(relu.args[0]) - 0.5) < 1e-14
    ht = gaussian_pushforward(lambda s: 1.0 * (np.abs(s) < 1), 1)
    assert isinstance(ht, Bernoulli)
    assert abs(float(ht.args[0]) - special.erf(1 / math.sqrt(2))) < 1e-13


def test_hard_tanh_mixture_exact_moments():
    # f = hard-tanh: atoms at -1, 1 of mass (1 - erf(1/sqrt 2))/2 each, plus the truncated
    # Gaussian on (-1, 1). Exact E[f(h)^2] = 1 - sqrt(2/pi) e^{-1/2} (integration by parts).
    law = gaussian_pushforward(sp.Max(-1, sp.Min(1, h)), 1)
    assert isinstance(law, Mixture)
    mass = (1 - sp.erf(1 / sp.sqrt(2))) / 2
    assert [(a.location, sp.simplify(a.mass - mass)) for a in law.atoms()] == [(-1, 0), (1, 0)]
    m = law.moments(4)
    assert m[0] == 0 and m[2] == 0
    assert sp.simplify(m[1] - (1 - sp.sqrt(2) * sp.exp(-sp.Rational(1, 2)) / sp.sqrt(sp.pi))) == 0
    # reference for m_4: direct mpmath quadrature of E[hardtanh(h)^4]
    with mpmath.workdps(30):
        ref = mpmath.quad(lambda s: min(1, max(-1, s)) ** 4 * mpmath.npdf(s),
                          [-mpmath.inf, -1, 1, mpmath.inf])
        assert abs(sp.N(m[3], 30) - ref) < 1e-25
    cont = law.args[0][-1]
    assert [(e.location, e.kind) for e in cont.edges()] == [(-1, "hard"), (1, "hard")]


# ---------------------------------------------------------------------------------------------
# gaussian_pushforward: a density (tanh'(h)^2)


def test_tanh2_structure(tanh2_law):
    assert isinstance(tanh2_law, GaussianPushforward)
    assert tanh2_law.atoms() == []
    b = tanh2_law.support()
    assert len(b) == 1 and (b[0].lo, b[0].hi) == (0, 1)
    # 0 is approached only as h -> oo (density -> 0); 1 = f(0) is a critical value
    # (inverse-square-root singularity)
    assert [(e.location, e.kind) for e in tanh2_law.edges()] == [(0, "soft"), (1, "hard")]
    assert tanh2_law == gaussian_pushforward(sp.Lambda(t, (1 - sp.tanh(t) ** 2) ** 2), 1)
    assert pickle.loads(pickle.dumps(tanh2_law)) == tanh2_law


def test_tanh2_moments_against_gaussian_quadrature(tanh2_law):
    # reference: E[f(h)^k] by direct mpmath quadrature in h
    m = tanh2_law.moments(3)
    with mpmath.workdps(40):
        for k, mk in enumerate(m, start=1):
            ref = mpmath.quad(
                lambda s, k=k: (1 - mpmath.tanh(s) ** 2) ** (2 * k) * mpmath.npdf(s),
                [-mpmath.inf, -2, 0, 2, mpmath.inf])
            assert abs(sp.N(mk, 30) - ref) < 1e-25


def test_tanh2_density_and_cauchy(tanh2_law):
    # reference: the closed-form density (inverse of f) and direct quadrature of E[1/(z - f(h))]
    for xv in (0.01, 0.3, 0.9, 0.999):
        d = tanh2_law.density(xv, dps=30)
        ref = _tanh2_density_ref(xv)
        with mpmath.workdps(30):
            assert abs(d - ref) < 1e-25 * ref
    g = tanh2_law.cauchy(0.9, dps=25)            # Stieltjes inversion of the boundary value
    with mpmath.workdps(25):
        assert abs(-g.imag / mpmath.pi - _tanh2_density_ref(0.9)) < 1e-20
    xs = np.array([0.01, 0.3, 0.9, 0.999])
    ref = np.array([float(_tanh2_density_ref(v)) for v in xs])
    assert np.max(np.abs(tanh2_law.density(xs) - ref) / ref) < 1e-12
    for z in (0.3 + 0.05j,):
        g = tanh2_law.cauchy(z, dps=25)
        with mpmath.workdps(25):
            assert abs(g - _tanh2_cauchy_ref(z)) < 1e-20
    zs = np.array([0.5 + 0.5j, 0.3 + 0.05j, 1.5 + 0j, -0.2 + 0.1j, 0.7 + 1e-4j])
    ref = np.array([complex(_tanh2_cauchy_ref(z, dps=17)) for z in zs])
    assert np.max(np.abs(tanh2_law.cauchy(zs) - ref) / np.abs(ref)) < 1e-12


def _integrate_density(law, lo, hi, n=400):
    """int_lo^hi rho(x) dx by Gauss-Legendre in log x: the tanh'(h)^2 density has a sharp
    peak near x ~ 1e-6 (rho ~ phi(h)/(2x), h = log(16/x)/4), smooth in log x."""
    u, w = special.roots_legendre(n)
    a, b = np.log(lo), np.log(hi)
    xx = np.exp((a + b) / 2 + (b - a) / 2 * u)
    return float(np.sum((b - a) / 2 * w * law.density(xx) * xx))


def test_tanh2_density_integrates_to_one(tanh2_law):
    # Gauss-Legendre of the law's own numpy density: log x on [1e-40, 1/2], and x = 1 - u^2 on
    # [1/2, 1] (removes the inverse-sqrt singularity at the critical value 1 = f(0))
    u, w = special.roots_legendre(200)
    b = np.sqrt(0.5)
    uu = b / 2 * (1 + u)
    top = float(np.sum(b / 2 * w * tanh2_law.density(1 - uu**2) * 2 * uu))
    assert abs(_integrate_density(tanh2_law, 1e-40, 0.5) + top - 1) < 1e-10


def test_tanh2_cdf_monte_carlo(tanh2_law):
    # Monte Carlo N = 200000 samples of f(h); tolerance 5 binomial standard deviations.
    # Also the exact CDF P(f(h) <= x) = 2 Phi(-h(x)) (closed-form inverse) to 1e-10.
    n = 200_000
    rng = np.random.default_rng(20240611)
    samples = (1 - np.tanh(rng.standard_normal(n)) ** 2) ** 2
    for xv in (0.1, 0.3, 0.6, 0.9):
        cdf = _integrate_density(tanh2_law, 1e-40, xv)
        emp = float(np.mean(samples <= xv))
        assert abs(cdf - emp) < 5 * math.sqrt(cdf * (1 - cdf) / n)
        exact = 2 * special.ndtr(-np.arctanh(np.sqrt(1 - np.sqrt(xv))))
        assert abs(cdf - exact) < 1e-10


def test_tanh_derivative_and_symbolic_variance():
    # tanh'(h) = 1 - tanh(h)^2: a density on [0, 1]; exact E[tanh'(h)] is not elementary, so
    # compare with direct quadrature
    law = gaussian_pushforward(sp.diff(sp.tanh(h), h), sp.Rational(1, 2))
    with mpmath.workdps(30):
        ref = mpmath.quad(lambda s: (1 - mpmath.tanh(s) ** 2) * mpmath.npdf(s, 0, mpmath.sqrt(0.5)),
                          [-mpmath.inf, 0, mpmath.inf])
        assert abs(sp.N(law.moments(1)[0], 30) - ref) < 1e-25
    sym = gaussian_pushforward(sp.diff(sp.tanh(h), h), q_sym)
    assert isinstance(sym, GaussianPushforward)
    with pytest.raises(UndeterminedError):
        sym.cauchy(0.5 + 0.5j)
    assert sym.subs(q_sym, sp.Rational(1, 2)) == law


def test_callable_pushforward_density():
    # reference: closed-form density of tanh'(h)^2 (callable f: numeric derivatives, float)
    law = gaussian_pushforward(lambda s: (1 - np.tanh(s) ** 2) ** 2, 1)
    assert isinstance(law, GaussianPushforward)
    xs = np.array([0.3, 0.9])
    ref = np.array([float(_tanh2_density_ref(v)) for v in xs])
    assert np.max(np.abs(law.density(xs) - ref) / ref) < 1e-8


def test_pushforward_bad_input():
    with pytest.raises(InvalidParameterError, match="variance"):
        gaussian_pushforward(sp.Heaviside(h), 0)
    with pytest.raises(InvalidParameterError, match="variance"):
        gaussian_pushforward(sp.Heaviside(h), -1)
    with pytest.raises(InvalidParameterError, match="variance"):
        gaussian_pushforward(lambda s: s, -2)
    with pytest.raises(InvalidParameterError, match="bounded"):
        gaussian_pushforward(h**2, 1)                   # chi-square: not compactly supported
    with pytest.raises(UndeterminedError):
        gaussian_pushforward(lambda s: (s > 0) * 1.0, q_sym)
    with pytest.raises(InvalidParameterError, match="strings"):
        gaussian_pushforward("Heaviside(h)", 1)


# ---------------------------------------------------------------------------------------------
# composition with the subordination engine


def test_free_additive_with_from_density():
    # semicircle ⊞ (from_density uniform pdf): numpy path vs mpmath path (dps 20), and both vs
    # the closed-form Uniform law (independent Cauchy transform)
    u = from_density(sp.Rational(1, 2) + 0 * x, -1, 1)
    rho = fa.free_additive(fa.semicircle(1), u)
    ref_law = fa.free_additive(fa.semicircle(1), fa.uniform(-1, 1))
    xs = np.array([0.0, 0.7, 1.9, 2.3])
    d_np = rho.density(xs)
    assert np.max(np.abs(d_np - ref_law.density(xs))) < 1e-10
    for i in (0, 1, 2):
        d_mp = rho.density(float(xs[i]), dps=20)
        assert abs(float(d_mp) - d_np[i]) < 1e-9
        with mpmath.workdps(20):
            assert abs(d_mp - ref_law.density(float(xs[i]), dps=20)) < 1e-15


def test_free_multiplicative_with_pushforward():
    # free Poisson(1) ⊠ law(tanh'(h)), h ~ N(0, 1): numpy vs mpmath; first moments exact from
    # the moments of the factors (free multiplicative moment formula, NS Lecture 14):
    # m1 = m1(a) m1(b), m2 = m2(a) m1(b)^2 + m1(a)^2 (m2(b) - m1(b)^2)
    mu = gaussian_pushforward(1 - sp.tanh(h) ** 2, 1)
    rho = fa.free_multiplicative(fa.free_poisson(1), mu)
    d_np = rho.density(np.array([0.2, 0.5]))
    d_mp = rho.density(0.5, dps=15)
    assert abs(float(d_mp) - d_np[1]) < 1e-9
    b1, b2 = mu.moments(2)
    m = rho.moments(2)
    assert abs(float(m[0] - b1)) < 1e-25
    assert abs(float(m[1] - (2 * b1**2 + (b2 - b1**2)))) < 1e-25
