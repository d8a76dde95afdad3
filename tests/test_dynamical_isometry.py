"""Dynamical isometry: the input-output Jacobian J = D_L O_L ... D_1 O_1 of a deep ReLU network
with Haar orthogonal weights (; Pennington-Schoenholz-Ganguli, NIPS 2017,
arXiv:1711.04735, §2.3-2.5).

D_l = diag(phi'(h^l)) for ReLU has D_l^2 = D_l ~ bernoulli(1/2), and W_l = O_l Haar orthogonal,
so S_{JJ*}(m) = prod_l S_{D_l^2}(m) S_{O_l O_l*}(m) = ((1 + m)/(1/2 + m))^L
(S of a projection of trace rho: (1 + m)/(rho + m); S_{OO*} = 1).

Everything the library returns is compared with an INDEPENDENT solution of that S-transform
product written here from scratch: chi(m) = m S(m)/(1 + m) = 1/z with m = zG - 1 (
§3, §5) is a polynomial equation P_L(G, z) = 0; its physical root is found with numpy/mpmath
polyroots and selected by continuation from large Im z, then polished at
40 digits on the real axis. Edges come from the discriminant Disc_G P_L,
atoms at 0 from Belinschi 2003 and from the pole-of-chi criterion.
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa

R = sp.Rational
HALF = R(1, 2)
_G, _z, _m = sp.symbols("G z m")


# ---------------------------------------------------------------------------------------------
# the network


def jacobian(L: int, commuting: bool = True):
    """J = D_L O_L ... D_1 O_1 with D_l ~ bernoulli(1/2) (ReLU derivative), O_l Haar orthogonal."""
    ds = [fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in range(1, L + 1)]
    if commuting and L > 1:
        ds = list(fa.commuting(*ds))  # diagonal activation matrices of different layers commute
    J = fa.NCPoly.constant(1)
    for l in range(L):
        J = ds[l] * fa.haar_orthogonal(f"o{l + 1}") * J
    return J


def jjt(L: int, commuting: bool = True):
    J = jacobian(L, commuting)
    return J * J.H


_SOLS: dict = {}


def solution(L: int, commuting: bool = True):
    """fa.spectrum(J J*) at dps=30, cached per (L, commuting) within the session."""
    key = (L, commuting)
    if key not in _SOLS:
        _SOLS[key] = fa.spectrum(jjt(L, commuting), dps=30)
    return _SOLS[key]


def depths(*Ls):
    """pytest params for depths."""
    return list(Ls)


# ---------------------------------------------------------------------------------------------
# the independent reference: S(m) = ((1 + m)/(1/2 + m))^L


def s_reference(L: int):
    # PSG 2017: S_{JJ*} = prod_l S_{D_l^2} S_{W_l W_l*}, S_{D^2} = (1 + m)/(1/2 + m), S_{OO*} = 1
    return ((1 + _m) / (HALF + _m)) ** L


def chi_reference(L: int):
    # chi(m) = m S(m)/(1 + m)
    return sp.cancel(_m * s_reference(L) / (1 + _m))


@functools.cache
def curve_reference(L: int) -> sp.Poly:
    """P_L(G, z): numerator of chi(m) - 1/z with m = zG - 1, as a Poly in G over QQ[z]."""
    expr = sp.together(chi_reference(L).subs(_m, _z * _G - 1) - 1 / _z)
    num = sp.expand(sp.numer(expr))
    return sp.Poly(num, _G)


@functools.cache
def _coeff_lists(P: sp.Poly) -> tuple:
    """Coefficients of P (highest power of G first), each a list of rationals in z (highest
    first)."""
    return tuple(tuple(sp.Rational(c) for c in sp.Poly(cz, _z).all_coeffs())
                 for cz in P.all_coeffs())


def _horner(cs, z):
    acc = 0 * z
    for c in cs:
        acc = acc * z + c
    return acc


def _coeffs_np(cl, z: complex) -> list:
    return [complex(_horner([float(c) for c in cs], z)) for cs in cl]


def _coeffs_mp(cl, z) -> list:
    return [_horner([mpmath.mpf(c.p) / c.q for c in cs], z) for cs in cl]


def _trim(cs):
    k = 0
    while k < len(cs) - 1 and cs[k] == 0:
        k += 1
    return cs[k:]


def _roots_mp(cs):
    cs = _trim(cs)
    if len(cs) == 2:
        return [-cs[1] / cs[0]]
    return mpmath.polyroots(cs, maxsteps=600, extraprec=400)


def physical_root(P: sp.Poly, x, dps: int = 40):
    """G(x + i0) on the branch G ~ 1/z: continue the root from z = x + 10i down to
    x + 1e-13 min(1, |x|) i (float64 roots, a step is accepted only when the nearest root is
    unambiguous: distance ratio < 0.2, else the step is refined), then pick the nearest root of
    P(., x) at ``dps`` digits on the real axis."""
    cl = _coeff_lists(P)
    xf = float(x)
    y, f = 10.0, 0.5
    z = complex(xf, y)
    G = min(np.roots(_coeffs_np(cl, z)), key=lambda r: abs(r - 1 / z))
    y_end = 1e-13 * min(1.0, abs(xf)) if xf else 1e-13
    for _ in range(20000):
        if y <= y_end:
            break
        yn = y * f
        rs = sorted(np.roots(_coeffs_np(cl, complex(xf, yn))), key=lambda r: abs(r - G))
        if len(rs) > 1 and abs(rs[0] - G) > 0.2 * abs(rs[1] - G):
            f = f ** 0.5
            assert f < 1 - 1e-9, "reference continuation stuck"
            continue
        G, y = rs[0], yn
        if f < 0.5:
            f = max(f * f, 0.01)
    else:
        raise AssertionError("reference continuation did not reach the axis")
    with mpmath.workdps(dps):
        X = mpmath.mpf(x)
        rs = sorted(_roots_mp(_coeffs_mp(cl, X)), key=lambda r: abs(r - G))
        assert len(rs) == 1 or abs(rs[0] - G) < 0.2 * abs(rs[1] - G), "ambiguous root"
        return rs[0]


@functools.cache
def density_reference(L: int, x, dps: int = 40):
    """-Im G(x + i0)/pi of the physical root (cached: x must be hashable, a float or mpf)."""
    with mpmath.workdps(dps):
        G = physical_root(curve_reference(L), x, dps)
        return -mpmath.im(G) / mpmath.pi


def right_edge_reference(L: int, dps: int = 40):
    """Largest real root of Disc_G P_L or of its leading coefficient (edges are
    among these) at which the reference density changes sign: > 0 just left, 0 just right.
    None when there is no absolutely continuous part."""
    P = curve_reference(L)
    cands = set()
    for q in (sp.discriminant(P.as_expr(), _G), P.LC()):
        q = sp.Poly(q, _z)
        if q.degree() <= 0:
            continue
        # exact real-root isolation of the square-free part (the discriminant has a root of
        # high multiplicity at 0), then 50 digits
        for r in sp.real_roots(q.sqf_part()):
            if r > 0:
                cands.add(mpmath.mpf(str(sp.N(r, dps + 10))))
    for e in sorted(cands, reverse=True):
        d = 1e-6 * float(e)
        inside = density_reference(L, mpmath.mpf(e) - d, dps)
        outside = density_reference(L, mpmath.mpf(e) + d, dps)
        if inside > 1e-12 and abs(outside) < 1e-30:
            return e
    return None


def chi_critical_edge(L: int, dps: int = 40):
    """x_e = 1/chi(m*), chi'(m*) = 0, m* > 0: exact real roots of the
    numerator of chi' (a second, discriminant-free route, used for the deep network)."""
    chi = chi_reference(L)
    num = sp.Poly(sp.numer(sp.together(sp.diff(chi, _m))), _m)
    crit = [r for r in sp.real_roots(num.sqf_part()) if r > 0]
    assert crit, "no critical point"
    x_e = 1 / chi.subs(_m, min(crit))
    with mpmath.workdps(dps):
        return mpmath.mpf(str(sp.N(x_e, dps + 10)))


def _mp(v):
    return mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q


# ---------------------------------------------------------------------------------------------
# the reference itself (cheap sanity checks, so that a broken reference cannot hide behind an
# xfail)


@pytest.mark.parametrize("L", [1, 2, 5, 20])
def test_reference_matches_low_moments(L):
    # S(m) = 1/m1 + m (1/m1 - m2/m1^3) + O(m^2) with S = 2^L (1 + m)^L/(1 + 2m)^L
    # = 2^L (1 - L m + O(m^2)) gives m1 = 2^-L, m2 = (L + 1) 4^-L; G(z) = 1/z + m1/z^2 + m2/z^3
    m1, m2 = R(1, 2**L), R(L + 1, 4**L)
    P = curve_reference(L)
    cl = _coeff_lists(P)
    with mpmath.workdps(40):
        z = mpmath.mpc(0, 10)  # far from the support [0, <= 1]
        G = min(_roots_mp(_coeffs_mp(cl, z)), key=lambda r: abs(r - 1 / z))
        series = 1 / z + _mp(m1) / z**2 + _mp(m2) / z**3
        assert abs(G - series) < 2 * abs(z) ** -4


def test_reference_density_l2_is_arcsine_like():
    # bernoulli(1/2) ⊠ bernoulli(1/2) = Wachter law with alpha = beta = 1/2:
    # density 1/(2 pi sqrt(x (1 - x))) on [0, 1]
    with mpmath.workdps(40):
        for x in ("0.1", "0.5", "0.9"):
            X = mpmath.mpf(x)
            exact = 1 / (2 * mpmath.pi * mpmath.sqrt(X * (1 - X)))
            assert abs(density_reference(2, X) - exact) < mpmath.mpf(10) ** -35


def test_reference_edge_l5_is_closed_form():
    # chi'(m*) = 0 has the root m* = 1/(L - 2) [derived], x_e = 1/chi(m*) = 5^5/2^13 for L = 5
    with mpmath.workdps(40):
        assert abs(right_edge_reference(5) - mpmath.mpf(3125) / 8192) < mpmath.mpf(10) ** -35
        assert abs(chi_critical_edge(5) - mpmath.mpf(3125) / 8192) < mpmath.mpf(10) ** -35


# ---------------------------------------------------------------------------------------------
# the compiler


@pytest.mark.parametrize("L", [1, 2, 5, 20])
def test_compile_gives_s_transform_product(L):
    # PSG 2017: S_{JJ*} = prod_l S_{D_l^2}; the compiler peels one layer per 'product' step
    # (rules.py rule 8) and drops each O_l by Haar conjugation (rule 3)
    system = fa.compile(jjt(L))
    S = system.law.s_transform(_m)
    assert S is not None
    assert sp.cancel(S - s_reference(L)) == 0
    rules = {st.rule for st in system.steps}
    if L > 1:
        assert {"product", "Haar conjugation"} <= rules, rules
    # exact mean from S(0) = 1/m1: m1 = 2^-L
    assert system.law.moments(1) == [R(1, 2**L)]


@pytest.mark.parametrize("L", [2, 3, 5])
def test_free_activation_diagonals_give_the_same_law(L):
    # O_l D_{l-1}... O_l* is free from D_l whether or not the D's commute (the Haar O_l makes it
    # free), so the law of J J* is the same for commuting and for free D's.
    comm, free = fa.compile(jjt(L, True)), fa.compile(jjt(L, False))
    assert comm.law == free.law
    # independent check through the exact trace: the commuting family goes through classical
    # independence (Moebius inversion in trace.py), the free one through free cumulants
    K = 6 if L <= 3 else 5  # would like K = 8 once fa.trace is polynomial-time
    Pc, Pf = jjt(L, True), jjt(L, False)
    for k in range(1, K + 1):
        assert fa.trace(Pc**k) == fa.trace(Pf**k) == comm.law.moment(k)


def test_commuting_declaration_changes_traces_of_non_haar_words():
    # sanity of the commuting declaration itself: tau(d1 d2 d1 d2) is E[d1^2] E[d2^2] = 1/4 for
    # commuting (classically independent) diagonals, and for free ones (NS Lecture 14)
    # tau(abab) = tau(a^2) tau(b)^2 + tau(a)^2 tau(b^2) - tau(a)^2 tau(b)^2 = 1/8 + 1/8 - 1/16
    d1, d2 = (fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in (1, 2))
    c1, c2 = fa.commuting(d1, d2)
    assert fa.trace(c1 * c2 * c1 * c2) == R(1, 4)
    assert fa.trace(d1 * d2 * d1 * d2) == R(3, 16)


@pytest.mark.parametrize("L", depths(1, 2, 3, 4))
def test_moments_equal_traces(L):
    # exact moments from the compiled law vs tau((J J*)^k) from free cumulants (NS Lecture 11)
    P = jjt(L)
    K = 8
    assert solution(L).moments(K) == [fa.trace(P**k) for k in range(1, K + 1)]


# ---------------------------------------------------------------------------------------------
# atoms


@pytest.mark.parametrize("L", depths(1, 2, 5, 20))
def test_atom_at_zero_has_mass_one_half(L):
    # Belinschi 2003: mu ⊠ nu({0}) = max(mu({0}), nu({0})); every D^2 ~ bernoulli(1/2) has mass
    # 1/2 at 0, so J J* has exactly 1/2 at 0 for every depth
    atoms = {a.location: a for a in solution(L).atoms()}
    assert 0 in atoms
    assert atoms[0].mass == HALF and atoms[0].error == 0
    # independent: pole-of-chi criterion mu({0}) = 1 + m_p, m_p the first pole of
    # chi in (-1, 0) (nearest to 0), from the reference chi written above
    den = sp.Poly(sp.denom(sp.together(chi_reference(L))), _m)
    poles = [r for r in sp.real_roots(den) if -1 < r < 0]
    m_p = max(poles)
    assert 1 + m_p == HALF
    # ... and the two agree
    assert atoms[0].mass == 1 + m_p


@pytest.mark.parametrize("L", depths(2, 5, 20))
def test_no_atom_at_one_for_depth_two_and_more(L):
    # Belinschi 2003: ab (a, b > 0) is an atom iff mu({a}) + nu({b}) > 1; here 1/2 + 1/2 = 1
    assert [a.location for a in solution(L).atoms()] == [0]


def test_depth_one_is_bernoulli():
    # L = 1: J J* = D_1^2 ~ bernoulli(1/2): atoms 1/2 at 0 and at 1, no continuous part. The
    # reference curve is linear in G: G = (1/z + 1/(z - 1))/2.
    P = curve_reference(1)
    assert P.degree() == 1
    Gref = sp.cancel(sp.solve(P.as_expr(), _G)[0])
    assert sp.residue(Gref, _z, 1) == HALF and sp.residue(Gref, _z, 0) == HALF
    sol = solution(1)
    assert {(a.location, a.mass) for a in sol.atoms()} == {(0, HALF), (1, HALF)}
    assert sol.edges() == []
    for x in (0.1, 0.5, 0.9):
        assert sol.density(x, dps=30) == 0
        assert abs(density_reference(1, x)) < 1e-30


# ---------------------------------------------------------------------------------------------
# density


_POINTS = {2: ["0.05", "0.1", "0.25", "0.5", "0.9"],
           5: ["0.01", "0.05", "0.1", "0.2", "0.3", "0.37"]}


@pytest.mark.parametrize("L", depths(2, 5))
def test_density_mp_matches_independent_solution(L):
    sol = solution(L)
    with mpmath.workdps(40):
        for x in _POINTS[L]:
            X = mpmath.mpf(x)
            ref = density_reference(L, X)
            got = sol.density(X, dps=30)
            assert ref > 0
            assert abs(got - ref) <= mpmath.mpf(10) ** -20 * max(1, ref), (x, got, ref)


@pytest.mark.parametrize("L, x", [(2, "1.5"), (5, "0.5"), (5, "0.39")])
def test_density_outside_support_is_zero(L, x):
    with mpmath.workdps(40):
        assert abs(density_reference(L, mpmath.mpf(x))) < mpmath.mpf(10) ** -30
        assert solution(L).density(mpmath.mpf(x), dps=30) == 0


def test_density_float64_depth5():
    sol = solution(5)
    xs = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.37])
    got = sol.density(xs)
    ref = np.array([float(density_reference(5, x)) for x in xs])
    assert np.all(np.abs(got - ref) <= 1e-10 * np.maximum(1, ref))


@functools.cache
def deep_points() -> tuple:
    # fractions of the right edge of the depth-20 law (edge from chi'(m*) = 0, ~5.0e-5)
    e = chi_critical_edge(20)
    return tuple(float(e) * f for f in (0.05, 0.2, 0.5, 0.8, 0.95))


def test_reference_deep_network():
    # the reference for L = 20: positive density inside, none beyond the edge, edge ~ 5.0e-5
    # (x_e = 1/chi(1/18), from chi'(m*) = 0 <=> m* = 1/(L - 2) [derived])
    e = chi_critical_edge(20)
    exact = 1 / chi_reference(20).subs(_m, R(1, 18))
    assert abs(e / mpmath.mpf(str(sp.N(exact, 50))) - 1) < 1e-35
    assert 4.9e-5 < e < 5.1e-5
    assert all(density_reference(20, x) > 0 for x in deep_points())
    assert abs(density_reference(20, float(e) * 1.05)) < 1e-30


def test_density_float64_depth20():
    xs = deep_points()
    ref = np.array([float(density_reference(20, x)) for x in xs])
    assert np.all(ref > 0)
    got = solution(20).density(np.array(xs))
    assert np.all(np.abs(got - ref) <= 1e-10 * np.maximum(1, ref))


def test_density_mp_depth20():
    with mpmath.workdps(40):
        x = deep_points()[2]
        X = mpmath.mpf(x)
        ref = density_reference(20, x)
        got = solution(20).density(X, dps=30)
        assert abs(got - ref) <= mpmath.mpf(10) ** -20 * max(1, ref)


# ---------------------------------------------------------------------------------------------
# edges


def test_right_edge_depth2():
    # Disc_G P_2 = z^3 (z - 1) and LC = z^2 (z - 1): the right edge is 1 (hard: Wachter law
    # with alpha = beta = 1/2, density ~ (1 - x)^-1/2)
    e_ref = right_edge_reference(2)
    with mpmath.workdps(40):
        assert abs(e_ref - 1) < mpmath.mpf(10) ** -35
        right = [e for e in solution(2).edges() if e.side == "right"]
        assert len(right) == 1
        assert abs(mpmath.mpf(right[-1].location) - e_ref) <= mpmath.mpf(10) ** -20


def test_right_edge_depth5():
    e_ref = right_edge_reference(5)
    edges = solution(5).edges()
    right = [e for e in edges if e.side == "right"]
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(right[-1].location) - e_ref) <= mpmath.mpf(10) ** -20
        assert right[-1].kind == "soft"
        # the reported error bar must contain the truth
        assert abs(mpmath.mpf(right[-1].location) - e_ref) <= mpmath.mpf(right[-1].error) + \
            mpmath.mpf(10) ** -28


@pytest.mark.parametrize("L", depths(2, 5))
def test_left_edge_is_zero(L):
    # the continuous part of bernoulli(1/2) ⊠ bernoulli(1/2) lives on [0, 1] (Wachter:
    # density 1/(2 pi sqrt(x(1 - x)))); for deeper networks the density blows up at 0 too, as the
    # reference shows at x = 1e-4
    with mpmath.workdps(40):
        assert density_reference(L, mpmath.mpf("1e-4")) > 1
        left = [e for e in solution(L).edges() if e.side == "left"]
        assert len(left) == 1
        assert abs(mpmath.mpf(left[0].location)) <= mpmath.mpf(left[0].error) + \
            mpmath.mpf(10) ** -20
