"""The algebraic-curve engine (freealg.numeric.curve) against independent references.

Every curve used here is derived in the test from a published transform (R or S, or a
subordination equation), not taken from the code under test; values are compared with closed
forms from the literature, exact moments, freealg's subordination solver (a different
algorithm), or roots computed independently with sympy / mpmath.
"""

from __future__ import annotations

import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import BranchError, InvalidParameterError
from freealg.numeric.curve import (
    AlgebraicCurve,
    CurveEdge,
    eliminate_additive,
    eliminate_multiplicative,
)

G, z, w = sp.symbols("G z w")
R = sp.Rational


def curve_from_r(r_of_w):
    """P(G, z) from K(w) = R(w) + 1/w = z at w = G (Voiculescu 1986), numerator only."""
    num = sp.numer(sp.together(r_of_w.subs(w, G) + 1 / G - z))
    return sp.Poly(sp.expand(num), G, z)


def semicircle_g(zv):
    """Semicircle of variance 1: G = (z - sqrt(z - 2) sqrt(z + 2))/2 (Wigner; the product of
    principal roots is the branch analytic off [-2, 2])."""
    return (zv - np.sqrt(zv - 2 + 0j) * np.sqrt(zv + 2 + 0j)) / 2


SC = sp.Poly(G**2 - z * G + 1, G, z)          # from R(w) = w
# semicircle(1) ⊞ MP(1/2); MP(1/2) is free Poisson with rate 2, jump 1/2: R = 1/(1 - w/2)
SC_MP = curve_from_r(w + 1 / (1 - w / 2))


def sc_mp_law():
    return fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))


# -------------------------------------------------------------------------------------------
# float64 values


def test_semicircle_matches_closed_form_on_axis_and_above():
    c = AlgebraicCurve(SC)
    x = np.linspace(-3, 3, 601)
    zs = np.concatenate([x + 0j, x + 1e-9j, x + 0.3j, x + 7j])
    zs = zs[np.abs(np.abs(zs.real) - 2) > 1e-9]     # the double roots at +-2 are ambiguous
    g = c.cauchy_np(zs)
    assert np.max(np.abs(g - semicircle_g(zs))) < 1e-13
    assert np.all(g.imag <= 0)


def test_free_poisson_matches_marchenko_pastur():
    # Marchenko-Pastur 1967: G = (z + 1 - lam - sqrt(z - a) sqrt(z - b))/(2z),
    # a, b = (1 -+ sqrt lam)^2
    for lam in (R(1, 4), R(1, 2), 1, 3):
        P = curve_from_r(lam / (1 - w))
        c = AlgebraicCurve(P)
        a, b = (1 - np.sqrt(float(lam))) ** 2, (1 + np.sqrt(float(lam))) ** 2
        x = np.linspace(-1, b + 1, 400)
        zs = np.concatenate([x + 1e-10j, x + 0.5j])
        ref = (zs + 1 - float(lam) - np.sqrt(zs - a) * np.sqrt(zs - b)) / (2 * zs)
        g = c.cauchy_np(zs)
        assert np.max(np.abs(g - ref)) < 1e-9 * np.max(np.abs(ref))


def test_sum_matches_subordination_solver_and_exact_moments():
    law = sc_mp_law()
    c = AlgebraicCurve(SC_MP)
    rng = np.random.default_rng(7)
    zs = rng.uniform(-3, 5, 40) + 1j * 10 ** rng.uniform(-8, 1, 40)
    ref = np.array([complex(law.cauchy(complex(v))) for v in zs])
    assert np.max(np.abs(c.cauchy_np(zs) - ref)) < 1e-12
    # density on a 1000-point grid against freealg's subordination density
    x = np.linspace(-3, 5, 1000)
    assert np.max(np.abs(c.density_np(x) - law.density(x))) < 1e-12
    # moments m_n = (1/2 pi i) \oint z^n G dz on |z| = 6 (trapezoid rule; G(conj z) = conj G(z)),
    # against the exact moments from the free cumulants
    K = 512
    th = 2 * np.pi * np.arange(K) / K
    zc = 6 * np.exp(1j * th)
    up = zc.imag >= 0
    gc = np.empty(K, complex)
    gc[up] = c.cauchy_np(zc[up])
    gc[~up] = np.conj(c.cauchy_np(np.conj(zc[~up])))
    exact = law.moments(6)
    for n, m in enumerate(exact, start=1):
        mn = np.mean(zc ** (n + 1) * gc)
        assert abs(mn - float(m)) < 1e-10 * 6**n


def test_anchor_callable_gives_the_same_branch():
    law = sc_mp_law()
    c = AlgebraicCurve(SC_MP)
    x = np.linspace(-3, 5, 200)
    g1 = c.cauchy_np(x)
    g2 = c.cauchy_np(x, anchor=lambda z0: complex(law.cauchy(z0)))
    assert np.array_equal(np.isnan(g1), np.isnan(g2))
    assert np.nanmax(np.abs(g1 - g2)) < 1e-14


def test_fuss_catalan_density_penson_zyczkowski():
    # MP ⊠ MP: S = 1/(1 + m)^2; chi(m) = m S/(1 + m) = 1/z with m = zG - 1 gives z^2 G^3 - zG + 1
    c = AlgebraicCurve(sp.Poly(z**2 * G**3 - z * G + 1, G, z))
    x = np.linspace(0.01, 6.74, 500)
    # Penson-Zyczkowski, PRE 83 (2011) 061118, s = 2
    s = np.sqrt(81 - 12 * x)
    ref = (2 ** (1 / 3) * np.sqrt(3) / (12 * np.pi)) * (
        2 ** (1 / 3) * (27 + 3 * s) ** (2 / 3) - 6 * x ** (1 / 3)) / (
        x ** (2 / 3) * (27 + 3 * s) ** (1 / 3))
    assert np.max(np.abs(c.density_np(x) - ref) / ref) < 1e-9
    edges = c.edges(dps=30)
    # support [0, 27/4], density ~ x^(-2/3) at 0 and a square-root edge at 27/4
    assert [(e.side, e.exponent) for e in edges] == [("left", R(-2, 3)), ("right", R(1, 2))]
    assert abs(edges[1].location - mpmath.mpf(27) / 4) < 1e-28


def test_two_bands_from_subordination_curve():
    # mu = (delta_{-3} + delta_3)/2, semicircle(1) ⊞ mu: omega = z - G (Biane 1997), G = G_mu(omega)
    # = omega/(omega^2 - 9), i.e. G ((z - G)^2 - 9) - (z - G) = 0
    P = sp.Poly(sp.expand(G * ((z - G) ** 2 - 9) - (z - G)), G, z)
    c = AlgebraicCurve(P)
    edges = c.edges(dps=30)
    # Biane: edges are x = u + G_mu(u) at the real u with \int dmu/(u - s)^2 = 1
    u = sp.Symbol("u")
    eq = sp.numer(sp.together((1 / (u - 3) ** 2 + 1 / (u + 3) ** 2) / 2 - 1))
    us = [r.evalf(40) for r in sp.Poly(eq, u).real_roots()]
    ref = sorted(ru + ((1 / (ru - 3) + 1 / (ru + 3)) / 2) for ru in us)
    assert len(edges) == 4
    assert [e.side for e in edges] == ["left", "right", "left", "right"]
    with mpmath.workdps(40):
        for e, r in zip(edges, ref):
            assert abs(e.location - mpmath.mpf(str(r))) <= e.error < 1e-28
    # the density vanishes in the gap and matches freealg's subordination solver in the bands
    law = fa.free_additive(fa.discrete([-3, 3]), fa.semicircle(1))
    x = np.array([-4.0, -2.0, 1.0, 2.5, 3.0, 4.2])    # (x = 0 costs that solver seconds)
    assert np.max(np.abs(c.density_np(x) - law.density(x))) < 1e-12
    # at the centre of the gap G(0) = 0 by symmetry (the roots of G^3 - 8G are 0, +-sqrt 8)
    assert abs(c.cauchy_np(np.array([0.0]))[0]) < 1e-14


def test_atom_free_poisson_quarter():
    # free Poisson(1/4): atom 3/4 at 0, band [(1 - 1/2)^2, (1 + 1/2)^2] (Marchenko-Pastur 1967)
    c = AlgebraicCurve(curve_from_r(R(1, 4) / (1 - w)))
    assert np.isnan(c.cauchy_np(np.array([0.0]))[0])      # the pole: no number, not garbage
    for eps in (1e-6, 1e-9):
        mass = 1j * eps * c.cauchy_np(np.array([1j * eps]))[0]
        assert abs(mass - 0.75) < 2 * eps
    edges = c.edges(dps=30, atoms=[0])
    assert [(e.location, e.side) for e in edges] == [(mpmath.mpf(1) / 4, "left"),
                                                     (mpmath.mpf(9) / 4, "right")]


def test_regression_wrong_sheet_next_to_an_atom():
    # free Poisson(1/4) ⊠ free Poisson(1/3): S = 1/((m + 1/4)(m + 1/3)), chi(m) = m S/(1 + m)
    # = 1/z, m = zG - 1. Atom max(3/4, 2/3) = 3/4 at 0 (Belinschi 2003); next to it two roots
    # grow like c/z with c = 3/4 and c ~ 2/3, and a long step once paired the wrong ones
    m = sp.Symbol("m")
    chi = m / ((m + R(1, 4)) * (m + R(1, 3)) * (1 + m))
    P = sp.Poly(sp.expand(sp.numer(sp.together(chi.subs(m, z * G - 1) - 1 / z))), G, z)
    c = AlgebraicCurve(P)
    law = fa.free_multiplicative(fa.free_poisson(R(1, 4)), fa.free_poisson(R(1, 3)))
    zs = np.array([3.0909687181651443e-06 + 0.0049644099921703835j,
                   -0.003190310264440499 + 3.502891063733625e-05j,
                   -1.0734133431987474e-06 + 0.0021775791849086893j,
                   0.0027481765095170863 + 0.00026961949042396627j])
    ref = np.array([complex(law.cauchy(complex(v))) for v in zs])
    assert np.max(np.abs(c.cauchy_np(zs) - ref) / np.abs(ref)) < 1e-12
    # at z = 1e-9 i: the root next to 3/(4z) (the others are -2 and about 2/(3z))
    with mpmath.workdps(40):
        z0 = mpmath.mpc(0, "1e-9")
    g = c.cauchy_mp(z0, dps=30)
    assert abs(g * z0 - mpmath.mpf(3) / 4) < 1e-8
    with mpmath.workdps(40):
        coef = [sp.Poly(P.as_expr().coeff(G, k) if k else P.as_expr().subs(G, 0), z)
                for k in range(4)]
        a = [mpmath.polyval([mpmath.mpf(v.p) / v.q for v in q.all_coeffs()], z0) for q in coef]
        roots = mpmath.polyroots(a[::-1], maxsteps=300, extraprec=300)
        best = min(roots, key=lambda r: abs(r - mpmath.mpf(3) / 4 / z0))
        assert abs(g - best) < 1e-25 * abs(best)


def test_ambiguous_point_is_nan():
    c = AlgebraicCurve(SC)
    g = c.cauchy_np(np.array([2.0, -2.0, 2.001]))
    assert np.isnan(g[0]) and np.isnan(g[1])       # double root G = +-1: no continuation decides
    assert abs(g[2] - semicircle_g(2.001)) < 1e-13
    assert mpmath.isnan(c.cauchy_mp(2, dps=20).real)


def test_result_maps_upper_half_plane_to_lower():
    c = AlgebraicCurve(SC_MP)
    rng = np.random.default_rng(3)
    heights = np.concatenate([np.zeros(100), 10 ** rng.uniform(-14, 3, 400)])
    zs = rng.uniform(-6, 8, 500) + 1j * heights
    g = c.cauchy_np(zs)
    assert not np.isnan(g).any()
    assert np.all(g.imag <= 0)


# -------------------------------------------------------------------------------------------
# mpmath values


def test_dps30_agrees_with_float64_and_polyroots():
    law = sc_mp_law()
    c = AlgebraicCurve(SC_MP)
    x = np.linspace(-1.2, 3.5, 25)
    gm = c.cauchy_mp(list(x), dps=30)
    gf = c.cauchy_np(x)
    # coefficients of G^k as polynomials in z, written out from SC_MP:
    # G^3 - G^2 (z + 2) + G (2z - 1) - 2
    coef = [[-2], [2, -1], [-1, -2], [1]]
    written = G**3 - G**2 * (z + 2) + G * (2 * z - 1) - 2
    assert sp.simplify(SC_MP.as_expr() / written).is_constant()
    with mpmath.workdps(40):
        for xi, g, g64 in zip(x, gm, gf):
            assert abs(complex(g) - g64) < 1e-12
            a = [mpmath.polyval(cs, mpmath.mpf(xi)) for cs in coef]
            roots = mpmath.polyroots(a[::-1], maxsteps=200, extraprec=100)
            # the reference root: the one next to freealg's subordination value
            guess = complex(law.cauchy(complex(xi)))
            ref = min(roots, key=lambda r: abs(complex(r) - guess))
            assert abs(g - ref) < 1e-25


def test_semicircle_dps30_closed_form():
    c = AlgebraicCurve(SC)
    with mpmath.workdps(30):
        pts = [mpmath.mpf("0.5"), mpmath.mpc("1.5", "1e-20"), mpmath.mpc(3, 2), mpmath.mpf(-3)]
        ref = [(p - mpmath.sqrt(p - 2) * mpmath.sqrt(p + 2)) / 2 for p in pts]
    got = c.cauchy_mp(pts, dps=30)
    for g, r in zip(got, ref):
        assert abs(g - r) < 1e-28
    one = c.cauchy_mp(pts[0], dps=30)
    assert isinstance(one, mpmath.mpc) and abs(one - ref[0]) < 1e-28


def test_mp_follows_from_above_where_float64_is_ambiguous():
    # z = 2 + 1e-20 rounds to the double root z = 2 in float64; at dps=30 the branch is followed
    # from above in mpmath. Closed form (z - sqrt(z - 2) sqrt(z + 2))/2.
    c = AlgebraicCurve(SC)
    with mpmath.workdps(30):
        zt = mpmath.mpf(2) + mpmath.mpf(10) ** -20
        ref = (zt - mpmath.sqrt(zt - 2) * mpmath.sqrt(zt + 2)) / 2
    assert np.isnan(c.cauchy_np(np.array([float(zt)]))[0])
    assert abs(c.cauchy_mp(zt, dps=30) - ref) < 1e-28


def test_mp_guess_from_subordination():
    law = sc_mp_law()
    c = AlgebraicCurve(SC_MP)
    pts = [0.5, 1.5 + 0.25j, 3.0]
    guess = [complex(law.cauchy(p)) for p in pts]
    assert all(abs(a - b) < 1e-28 for a, b in zip(c.cauchy_mp(pts, dps=30, guess=guess),
                                                  c.cauchy_mp(pts, dps=30)))
    with pytest.raises(InvalidParameterError):
        c.cauchy_mp(pts, dps=30, guess=guess[:2])


# -------------------------------------------------------------------------------------------
# edges


def test_free_poisson_edges():
    for lam in (R(1, 4), 2, 5):
        c = AlgebraicCurve(curve_from_r(lam / (1 - w)))
        edges = c.edges(dps=30)
        with mpmath.workdps(40):
            ref = [(1 - mpmath.sqrt(lam)) ** 2, (1 + mpmath.sqrt(lam)) ** 2]
        assert [e.side for e in edges] == ["left", "right"]
        for e, r in zip(edges, ref):
            assert abs(e.location - r) <= e.error + mpmath.mpf(10) ** -29
            assert e.exponent == R(1, 2)


def test_sum_edges_against_discriminant_and_law():
    c = AlgebraicCurve(SC_MP)
    edges = c.edges(dps=30)
    disc = sp.Poly(sp.discriminant(SC_MP.as_expr(), G), z)
    assert len(edges) == 2 and [e.side for e in edges] == ["left", "right"]
    with mpmath.workdps(45):
        roots = [mpmath.mpf(str(r.evalf(45))) for r in disc.real_roots()]
        for e in edges:
            ref = min(roots, key=lambda r: abs(r - e.location))
            assert abs(e.location - ref) <= e.error            # the error is a bound
            assert e.error < 1e-28
    law_edges = sc_mp_law().edges(dps=30)
    for e, le in zip(edges, law_edges):
        assert abs(e.location - le.location) < 1e-25 and e.side == le.side


def test_edge_candidates_include_off_sheet_collisions():
    # discrete([1,3]) ⊠ MP(1/2): the leading coefficient 3 z^2 vanishes at 0, which is no edge
    c = AlgebraicCurve(sp.Poly(3 * G**3 * z**2 - 8 * G**2 * z**2 + 6 * G**2 * z + 4 * G * z**2
                               - 4 * G * z + 3 * G - 4 * z + 4, G, z))
    cands = c.edge_candidates(dps=30)
    assert mpmath.mpf(0) in cands and len(cands) == 3
    assert [e.side for e in c.edges(dps=30)] == ["left", "right"]


# -------------------------------------------------------------------------------------------
# curves of free convolutions


def test_eliminate_additive_reproduces_r_transform_curve():
    mp_half = curve_from_r(1 / (1 - w / 2))
    got = eliminate_additive(SC, mp_half, moments=sc_mp_law().moments(10))
    assert sp.expand(got.as_expr() - SC_MP.as_expr() * (got.LC() / SC_MP.LC())) == 0


def test_eliminate_multiplicative_fuss_catalan_and_discrete_product():
    fp = curve_from_r(1 / (1 - w))
    # Fuss-Catalan moments binom(3n, n)/(2n + 1)
    fc = [sp.binomial(3 * n, n) / (2 * n + 1) for n in range(1, 9)]
    got = eliminate_multiplicative(fp, fp, moments=fc)
    assert got == sp.Poly(z**2 * G**3 - z * G + 1, G, z)
    # discrete([1, 3]) ⊠ MP(1/2), whose law.curve() is None: check against freealg's subordination
    law = fa.free_multiplicative(fa.discrete([1, 3]), fa.marchenko_pastur(R(1, 2)))
    d13 = sp.Poly((z - 1) * (z - 3) * G - (z - 2), G, z)       # G = (1/(z-1) + 1/(z-3))/2
    P = eliminate_multiplicative(d13, curve_from_r(1 / (1 - w / 2)), moments=law.moments(10))
    c = AlgebraicCurve(P)
    zs = np.array([0.5 + 0.1j, 2 + 0.01j, 5 + 1j, 7.5 + 1e-6j, -1 + 0.2j])
    ref = np.array([complex(law.cauchy(complex(v))) for v in zs])
    assert np.max(np.abs(c.cauchy_np(zs) - ref)) < 1e-11
    x = np.array([0.05, 0.5, 3.0, 6.0, 7.2])
    assert np.max(np.abs(c.density_np(x) - law.density(x))) < 1e-11


def test_eliminate_selects_with_check_value_and_refuses_to_guess():
    mp_half = curve_from_r(1 / (1 - w / 2))
    law = sc_mp_law()
    z0 = 1 + 1j
    got = eliminate_additive(SC, mp_half, check=(z0, complex(law.cauchy(z0))))
    assert sp.expand(got.as_expr() * SC_MP.LC() - SC_MP.as_expr() * got.LC()) == 0
    with pytest.raises(BranchError):
        eliminate_additive(SC, mp_half, moments=[1, 999])


# -------------------------------------------------------------------------------------------
# values and bad input


def test_value_semantics():
    c = AlgebraicCurve(SC)
    assert c == AlgebraicCurve(SC) and hash(c) == hash(AlgebraicCurve(SC))
    assert pickle.loads(pickle.dumps(c)) == c
    assert AlgebraicCurve(G**2 - z * G + 1, G, z) == c
    with pytest.raises(AttributeError):
        c.degree = 3
    e = CurveEdge(mpmath.mpf(2), "right", mpmath.mpf(0), R(1, 2))
    assert CurveEdge(*e) == e and float(e.location) == 2.0


def test_bad_input_raises_invalid_parameter():
    c = AlgebraicCurve(SC)
    with pytest.raises(InvalidParameterError):
        c.cauchy_np(np.array([1 - 1j]))
    with pytest.raises(InvalidParameterError):
        c.cauchy_mp(1 - 1e-3j, dps=30)
    with pytest.raises(InvalidParameterError):
        c.cauchy_np(["a"])
    for dps in (0, -3, 2.5, True, "30"):
        with pytest.raises(InvalidParameterError):
            c.cauchy_mp(1j, dps=dps)
        with pytest.raises(InvalidParameterError):
            c.edges(dps=dps)
    t = sp.Symbol("t")
    with pytest.raises(InvalidParameterError):
        AlgebraicCurve(sp.Poly(G**2 - t * z * G + 1, G, z))
    with pytest.raises(InvalidParameterError):
        AlgebraicCurve(sp.Poly(z + 1, G, z))
    with pytest.raises(InvalidParameterError):
        AlgebraicCurve(SC**2).cauchy_np(np.array([1j]))        # not squarefree: no branch
    with pytest.raises(InvalidParameterError):
        eliminate_additive(SC.as_expr(), SC)
