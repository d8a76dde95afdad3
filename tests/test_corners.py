"""Edges and points at the hard corners: cusps, singular interior points, divergent edges.

References (each test cites the one it uses):

* Biane 1997 (Indiana Univ. Math. J. 46, "On the free convolution with a semi-circular
  distribution"): supp(sigma_t ⊞ mu) is the closure of {u + t G_mu(u) : int dmu(s)/(u - s)^2
  >= 1/t}, and G = G_mu(z - t G). For mu = (delta_{-a} + delta_a)/2 the integral is smallest
  at u = 0, where it equals 1/a^2: the gap around 0 closes at t = a^2 (derived below), where
  the density has a cusp |x|^{1/3}.
* Nica-Speicher, Lectures on the Combinatorics of Free Probability (LMS LN 335), Lecture 12:
  for x semicircular free from y, the free cumulants of x y x are the moments of y. With y
  semicircular, R(w) = (C(w^2) - 1)/w, C the Catalan series (u C^2 - C + 1 = 0), so
  K(G) = R(G) + 1/G = z gives z^2 G^4 - z G + 1 = 0 (derived here; checked against exact
  moments from fa.trace). With w = z G: z^2 = w^4/(w - 1), whose critical point w = 4/3 gives
  the edges z = +-16/(3 sqrt 3); near z = 0, w^4 ~ -z^2, so G ~ |z|^{-1/2} e^{-i pi/4} and
  rho(t) ~ 1/(pi sqrt(2 |t|)).
* Hermitization (Belinschi-Sniady-Speicher 2018, LAA 537; the square signal-plus-noise case):
  the symmetrised singular values of a + c (c circular of variance 1, a real) are
  sigma_1 ⊞ (delta_{-a} + delta_a)/2. With Biane's boundary (u^2 - a^2)^2 = u^2 + a^2 and
  x = u + u/(u^2 - a^2), the squared edges are (derived here, s = sqrt(1 + 8 a^2))
  lambda_+ = (s + 3)^3 / (8 (s + 1)), lambda_- = (s - 3)^3 / (8 (s - 1)) for a >= 1 (the
  Haagerup-type closed forms; a -> 0 gives 4 and the Marchenko-Pastur law), and lambda_- = 0
  exactly at the critical a = 1, where the density of |a + c|^2 diverges like x^{-1/3}.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa

# --------------------------------------------------------------------------------------------
# cusp: semicircle(4) ⊞ (delta_{-2} + delta_2)/2


def test_critical_separation_and_the_cubic():
    # Biane 1997: the gap closes where min_u int dmu/(u - s)^2 = 1/t
    u, a, t = sp.symbols("u a t", positive=True)
    f = (1 / (u - a) ** 2 + 1 / (u + a) ** 2) / 2
    assert sp.simplify(sp.diff(f, u).subs(u, 0)) == 0
    assert sp.simplify(sp.diff(f, u, 2).subs(u, 0) - 6 / a ** 4) == 0   # a minimum, 6/a^4
    assert sp.simplify(f.subs(u, 0) - 1 / a ** 2) == 0                   # so t = a^2
    # G = G_mu(z - t G) with G_mu(w) = w/(w^2 - a^2), at a = 2, t = 4: the cubic below
    G, z = sp.symbols("G z")
    w = z - 4 * G
    num = sp.numer(sp.together(G - w / (w ** 2 - 4)))
    assert sp.expand(num - (16 * G ** 3 - 8 * z * G ** 2 + z ** 2 * G - z)) == 0 or \
        sp.expand(num + (16 * G ** 3 - 8 * z * G ** 2 + z ** 2 * G - z)) == 0


def _cusp_law():
    return fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))


def _cubic_density(x, dps):
    """Reference: the root with Im G < 0 of 16 G^3 - 8 x G^2 + x^2 G - x = 0 (Biane 1997)."""
    with mpmath.workdps(dps + 20):
        x = mpmath.mpf(x)
        roots = mpmath.polyroots([16, -8 * x, x ** 2, -x], maxsteps=200, extraprec=200)
        g = min(roots, key=lambda r: mpmath.im(r))
        return -mpmath.im(g) / mpmath.pi


def test_cusp_density_is_zero_and_fast():
    law = _cusp_law()
    t0 = time.perf_counter()
    d = law.density(0, dps=30)
    took = time.perf_counter() - t0
    assert d == 0 and isinstance(d, mpmath.mpf)
    assert took < 60          # it was NoConvergence after minutes
    # next to the cusp: the cubic's density, to 25 digits
    for x in ("1e-3", "-2e-3"):
        with mpmath.workdps(40):
            assert abs(law.density(mpmath.mpf(x), dps=30) - _cubic_density(x, 30)) < \
                mpmath.mpf(10) ** -25


def test_cusp_local_exponent_one_third():
    # the reference itself: rho(x) ~ (sqrt 3/(2 pi)) (|x|/16)^(1/3), exponent 1/3
    with mpmath.workdps(30):
        x = mpmath.mpf("1e-12")
        ratio = _cubic_density(2 * x, 30) / _cubic_density(x, 30)
        assert abs(mpmath.log(ratio, 2) - mpmath.mpf(1) / 3) < 1e-3
        lead = mpmath.sqrt(3) / (2 * mpmath.pi) * (x / 16) ** (mpmath.mpf(1) / 3)
        assert abs(_cubic_density(x, 30) / lead - 1) < 1e-3
    from freealg.numeric.edges import curve_interior
    (cusp,) = curve_interior(_cusp_law(), [(-5.19, 5.19)], 20)
    assert (cusp.location, cusp.kind, cusp.error, cusp.side) == (0, "cusp", 0, "")
    assert cusp.exponent == sp.Rational(1, 3)


@pytest.mark.slow
def test_cusp_edges_and_one_band():
    law = _cusp_law()
    edges = law.edges(dps=20)
    assert [(e.kind, e.side) for e in edges] == [("soft", "left"), ("cusp", ""),
                                                ("soft", "right")]
    # outer edges: u^2 = 12 on Biane's boundary, x = u + 4u/(u^2 - 4) = sqrt 27
    with mpmath.workdps(30):
        for e, sign in ((edges[0], -1), (edges[2], 1)):
            assert abs(e.location - sign * mpmath.sqrt(27)) <= e.error < 1e-18
            assert e.exponent == sp.Rational(1, 2)
    assert edges[1].location == 0 and edges[1].error == 0
    assert edges[1].exponent == sp.Rational(1, 3)
    (band,) = law.support(dps=20)              # one maximal band, the cusp inside it
    assert band.interior == (0,) or [float(p) for p in band.interior] == [0.0]


# --------------------------------------------------------------------------------------------
# x y x: a singular point at 0 inside one band


def _xyx_moments(n):
    """Moments m_1..m_n from z^2 G^4 - z G + 1 = 0 (Nica-Speicher Lecture 12),
    G = sum_k m_k / z^{k+1}."""
    v = sp.symbols("v")      # v = 1/z, G = v M(v), M = sum m_k v^k: M^4 v^2 - M + 1 = 0
    M = sp.Integer(1)
    for _ in range(n + 1):
        M = sp.series(1 + v ** 2 * M ** 4, v, 0, n + 1).removeO()
    return [M.coeff(v, k) for k in range(1, n + 1)]


def test_xyx_equation_against_exact_moments():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    ref = _xyx_moments(8)
    # free cumulants kappa_2 = m_2(y) = 1, kappa_4 = m_4(y) = 2: m_4 = kappa_4 + 2 kappa_2^2
    assert ref[:4] == [0, 1, 0, 4]
    assert [fa.trace((x * y * x) ** k) for k in range(1, 9)] == ref


def test_xyx_density_diverges_like_inverse_sqrt_at_zero():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x * y * x, dps=15)
    ts = np.array([1e-8, -1e-8, 1e-10])
    got = sol.density(ts) * np.pi * np.sqrt(2 * np.abs(ts))
    # rho(t) = (1 + O(sqrt |t|)) / (pi sqrt(2 |t|))
    np.testing.assert_allclose(got, 1.0, atol=1e-3)


@pytest.mark.slow
def test_xyx_one_band_with_a_singular_point():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x * y * x, dps=15)
    edges = sol.edges()
    assert [(e.kind, e.side) for e in edges] == [("soft", "left"), ("singular", ""),
                                                ("soft", "right")]
    with mpmath.workdps(30):
        edge = 16 / (3 * mpmath.sqrt(3))
        for e, sign in ((edges[0], -1), (edges[2], 1)):
            assert abs(e.location - sign * edge) <= e.error < 1e-6
        s = edges[1]
        assert abs(s.location) <= s.error < 1e-12      # 0, to the reported accuracy
    assert s.exponent == sp.Rational(-1, 2)
    (band,) = sol.support()
    assert len(band.interior) == 1


# --------------------------------------------------------------------------------------------
# singular values of c + a


def _lam(a):
    s = sp.sqrt(1 + 8 * sp.Integer(a) ** 2)
    return (s - 3) ** 3 / (8 * (s - 1)), (s + 3) ** 3 / (8 * (s + 1))


def test_hermitization_identity_by_exact_moments():
    # m_k(|a + c|^2) = m_{2k}(sigma_1 ⊞ (delta_-a + delta_a)/2)
    c = fa.circular("c")
    for a in (1, 2):
        T = c + a
        sym = fa.free_additive(fa.semicircle(1), fa.discrete([-a, a]))
        even = sym.moments(8)[1::2]
        assert [fa.trace((T * T.H) ** k) for k in range(1, 5)] == even


def test_closed_form_edges_of_the_symmetrised_law():
    assert _lam(1)[0] == 0 and sp.simplify(_lam(0)[1] - 4) == 0     # critical a; MP(1)
    law = fa.free_additive(fa.semicircle(1), fa.discrete([-2, 2]))   # a = 2: a gap
    edges = law.edges(dps=20)
    lo, hi = (sp.sqrt(v) for v in _lam(2))
    want = [-hi, -lo, lo, hi]
    with mpmath.workdps(30):
        for e, w in zip(edges, want):
            assert abs(e.location - mpmath.mpf(sp.N(w, 30))) <= e.error < 1e-18
    assert [e.kind for e in edges] == ["soft"] * 4


def test_critical_a_cusp_of_the_symmetrised_law():
    # a = 1: the gap closes; rho_sym ~ |x|^{1/3} at 0, so |1 + c|^2 has density ~ x^{-1/3} and
    # lower edge exactly 0
    from freealg.numeric.edges import curve_interior
    law = fa.free_additive(fa.semicircle(1), fa.discrete([-1, 1]))
    hi = float(sp.sqrt(_lam(1)[1]))
    (cusp,) = curve_interior(law, [(-hi, hi)], 20)
    assert (cusp.location, cusp.kind, cusp.exponent) == (0, "cusp", sp.Rational(1, 3))
    assert law.density(0, dps=20) == 0


@pytest.mark.slow
def test_squared_singular_values_at_the_critical_size():
    # (a minute on a loaded machine: the float64 scan and the mass audit of the linearized law)
    # |2c + 2|^2 = 4 |c + 1|^2: critical (a = 1 for c of variance 1), so the lower edge is
    # exactly 0, where the density diverges like x^{-1/3}; upper edge 4 lambda_+(1) = 27. The
    # linearized law's solvers fail next to 0; the edge is put at 0 exactly with the bound
    # a <= x + |G(x)|/|G'(x)| at x = -d below it (tests/test_divergent_edge.py), which was a
    # bracket of ~1e-6 around 0 before (and ~1.5e-3 of the scale, or a refusal, before that).
    c = fa.circular("c")
    T = 2 * c + 2
    sol = fa.spectrum(T * T.H, dps=10)
    lower, upper = sol.edges()
    assert (lower.side, upper.side) == ("left", "right")
    assert lower.location == 0 and 0 < lower.error <= 1e-9
    assert lower.kind == "hard"               # a divergence, not a square root
    assert lower.exponent == sp.Rational(-1, 3)
    assert float(4 * _lam(1)[1]) == 27.0
    with mpmath.workdps(20):
        assert abs(upper.location - 27) <= upper.error < 1e-6


def test_symbolic_parameters_keep_symbolic_edges_and_bands():
    # regression: the exponent measurement and the mass audit need numbers; symbolic edges
    # and bands come back as they are (exact), without exponents
    t = sp.Symbol("t", positive=True)
    edges = fa.semicircle(t).edges()
    assert [e.location for e in edges] == [-2 * sp.sqrt(t), 2 * sp.sqrt(t)]
    assert all(e.exponent is None for e in edges)
    (band,) = fa.free_poisson(t).support()
    assert (band.lo, band.hi) == ((1 - sp.sqrt(t)) ** 2, (1 + sp.sqrt(t)) ** 2)
