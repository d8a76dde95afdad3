"""The linearization path (freealg.reduce.linearize + freealg.laws.operator_valued) against
independent references.

* the pencil reproduces the polynomial exactly (Schur complement P = a - u Q^{-1} u^*,
  Anderson 2013; Helton-Mai-Speicher 2018), with its size k;
* the anticommutator x y + y x of free standard semicirculars equals a^2 - b^2 with
  a, b = (x +- y)/sqrt 2 free semicirculars: R(w) = 1/(1 - w) - 1/(1 + w) = 2w/(1 - w^2) (free
  Poisson(1) minus free Poisson(1), Voiculescu 1986), so z G^3 + G^2 - z G + 1 = 0;
  solved here with mpmath.polyroots, the root with Im G < 0 in the bulk;
* the free commutator i(x y - y x): free cumulants kappa_{2n} = 2, kappa_{2n+1} = 0
  (Nica-Speicher, "Commutators of free random variables", Duke Math. J. 92 (1998),
  arXiv:funct-an/9612001; NS Lectures, Lecture 15), checked here from exact traces, hence
  R(w) = 2w/(1 - w^2) and the same cubic;
* two independent paths: ``method="linearization"`` agrees with the structural rules;
* moments: the numerical G integrated on a contour (``contour_moments`` at
  dps = 30) equals the exact trace tau(P^k) (freealg.algebra.trace) for 16 polynomials;
* atoms with exact masses (Wachter 1980 + Bercovici-Voiculescu 1998 through the rules path; a
  rank count ker p ∩ ker r for p q r + r q p);
* Monte Carlo at N = 2000 (slow), tolerance from N;
* LaTeX of the System, bad input.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, ReductionError, UndeterminedError
from freealg.laws.spectral import contour_moments
from freealg.reduce.linearize import atom_candidates, linearization_system, linearize
from freealg.transforms import cumulants as cm

R = sp.Rational
x = fa.semicircular("x")
y = fa.semicircular("y")
y2 = fa.semicircular("y2", 2)
w3 = fa.semicircular("w3", R(1, 2))
u = fa.haar_unitary("u")
p = fa.projection("p", R(1, 3))
q = fa.projection("q", R(1, 4))
r = fa.projection("r", R(2, 5))
ph = fa.projection("ph", R(1, 2))
a = fa.selfadjoint("a", fa.discrete([1, 2, 4], [R(1, 4), R(1, 4), R(1, 2)]))
b = fa.selfadjoint("b", fa.discrete([-1, 1]))
c = fa.circular("c")
wu = fa.selfadjoint("wu", fa.uniform(0, 1))


def _trace_moments(P, n):
    out, Pk = [], fa.NCPoly.constant(1)
    for _ in range(n):
        Pk = Pk * P
        out.append(fa.trace(Pk))
    return out


def _cubic_G(X, dps=40):
    """Root of z G^3 + G^2 - z G + 1 = 0 with Im G < 0 at real X in the bulk."""
    with mpmath.workdps(dps):
        roots = mpmath.polyroots([X, 1, -X, 1], extraprec=4 * dps, maxsteps=200)
        neg = [g for g in roots if mpmath.im(g) < -mpmath.mpf(10) ** (-dps // 2)]
        assert len(neg) == 1
        return neg[0]


# ---------------------------------------------------------------------------------------------
# 1. the pencil

LIN_CASES = [
    ("xy+yx", x * y + y * x, 3),
    ("i(xy-yx)", sp.I * (x * y - y * x), 3),
    ("xyx+y", x * y * x + y, 3),
    ("x^2+y^3+xyx", x * x + y * y * y + x * y * x, 5),
    ("auau*+uau*a", a * u * a * u.H + u * a * u.H * a, 7),
    ("pxp", p * x * p, 3),
    ("cc*+x", c * c.H + x, 5),
    ("x+uau*", x + u * a * u.H, 3),
    ("xy^2x", x * y * y * x, 5),
    ("xyxyx+3yxy", x * y * x * y * x + 3 * y * x * y, 7),
    ("x+y", x + y, 1),
]


@pytest.mark.parametrize("name, P, k", LIN_CASES, ids=[n for n, _, _ in LIN_CASES])
def test_pencil_reproduces_polynomial(name, P, k):
    # Schur complement: a - u Q^{-1} u^* recomputed exactly from the pencil equals P
    lin = linearize(P)
    assert lin.k == k
    assert lin.check() == lin.expr
    # self-adjoint coefficients (beta_{u^*} = beta_u^* for unitaries)
    assert lin.b0 == lin.b0.H
    coeffs = dict(lin.coefficients)
    for L, beta in lin.coefficients:
        if L.gen.is_selfadjoint:
            assert beta == beta.H
        else:
            assert coeffs[L.adjoint] == beta.H


# ---------------------------------------------------------------------------------------------
# 2. anticommutator and commutator: closed forms


def test_anticommutator_density_closed_form_dps30():
    sol = fa.spectrum(x * y + y * x, dps=30)
    assert sol.system.steps[0].rule == "linearization"        # no structural rule applies
    for X in ("0.05", "0.7", "-1.3", "2.1", "3.2", "-3.3"):
        with mpmath.workdps(40):
            Xm = mpmath.mpf(X)
            exact = -mpmath.im(_cubic_G(Xm)) / mpmath.pi
        got = sol.density(Xm, dps=30)
        assert abs(got - exact) <= mpmath.mpf(10) ** -20 * (1 + exact), (X, got, exact)
    # outside the support [-e, e], e = sqrt((11 + 5 sqrt 5)/2) (discriminant z^4 - 11 z^2 - 1)
    assert sol.density(mpmath.mpf("3.4"), dps=30) == 0
    assert sol.atoms() == []     # polynomial in free semicirculars: no atoms


def test_anticommutator_float64_grid():
    sol = fa.spectrum(x * y + y * x)
    xs = np.linspace(-3.3, 3.3, 101)
    d = sol.density(xs)
    exact = np.array([float(-mpmath.im(_cubic_G(mpmath.mpf(float(t)), 20)) / mpmath.pi)
                      for t in xs])
    assert np.max(np.abs(d - exact)) < 1e-9


def test_anticommutator_cauchy_off_axis():
    # z G^3 + G^2 - z G + 1 = 0 at z = 0.4 + 0.3i: the root continued from G ~ 1/z (checked by
    # being the unique root within 0.1 of the float64 value, the others are far)
    sol = fa.spectrum(x * y + y * x, dps=30)
    z = mpmath.mpc("0.4", "0.3")
    g = sol.cauchy(z, dps=30)
    with mpmath.workdps(40):
        roots = mpmath.polyroots([z, 1, -z, 1], extraprec=200)
        near = sorted(roots, key=lambda t: abs(t - g))
        assert abs(near[1] - g) > 0.1
        assert abs(near[0] - g) < mpmath.mpf(10) ** -25


def test_commutator_law():
    P = sp.I * (x * y - y * x)
    # Nica-Speicher 1998: kappa_{2n} = 2, odd cumulants 0 (from exact traces here)
    kap = cm.free_cumulants_from_moments(_trace_moments(P, 10))
    assert kap == [0, 2] * 5
    sol = fa.spectrum(P, dps=30)
    for X in ("0.2", "-1.7", "2.9"):
        with mpmath.workdps(40):
            Xm = mpmath.mpf(X)
            exact = -mpmath.im(_cubic_G(Xm)) / mpmath.pi
        assert abs(sol.density(Xm, dps=30) - exact) <= mpmath.mpf(10) ** -20


@pytest.mark.slow
def test_anticommutator_edges():
    # support [-e, e], e^2 = (11 + 5 sqrt 5)/2 (roots of the discriminant z^4 - 11 z^2 - 1)
    sol = fa.spectrum(x * y + y * x, dps=20)
    e = float(sp.sqrt((11 + 5 * sp.sqrt(5)) / 2))
    locs = sorted(float(E.location) for E in sol.edges())
    assert len(locs) == 2
    assert abs(locs[0] + e) < 1e-8 and abs(locs[1] - e) < 1e-8


# ---------------------------------------------------------------------------------------------
# 3. two independent paths: rules vs linearization

AGREE = [
    ("x+y", x + y2),
    ("pqp", p * q * p),
    ("cc*+x", c * c.H + x),
    ("pxp", p * x * p),
    ("a^2+b", a * a + b),
    ("xpx", x * p * x),
    ("x+wu", x + wu),          # a continuous scalar law (uniform) through its own G
]
AGREE_SLOW = [
    ("pqp+r", p * q * p + r),          # slow: two atoms (0, 1) computed for the density
    ("p(x+y)p", ph * (x + y2) * ph),   # slow: atom at 0 computed for the density
    ("x+uau*", x + u * a * u.H),
    ("u+u*+x", u + u.H + x),
]


def _agree(P, pts):
    s1 = fa.spectrum(P, method="rules")
    s2 = fa.spectrum(P, method="linearization")
    assert s2.system.steps[0].rule == "linearization"
    for z in pts:
        g1, g2 = s1.cauchy(z, dps=30), s2.cauchy(z, dps=30)
        assert abs(g1 - g2) <= mpmath.mpf(10) ** -20 * abs(g1), (z, g1, g2)
    xs = np.linspace(-3, 5, 61) + 0.0123
    d1, d2 = s1.density(xs), s2.density(xs)
    ok = np.isfinite(d2)
    assert ok.mean() > 0.95
    assert np.max(np.abs(d1[ok] - d2[ok])) < 1e-8


@pytest.mark.parametrize("name, P", AGREE, ids=[n for n, _ in AGREE])
def test_linearization_agrees_with_rules(name, P):
    _agree(P, [mpmath.mpc("0.3", "0.5"), mpmath.mpc("1.1", "1e-3"), mpmath.mpc("-0.7", "0")])


@pytest.mark.slow
@pytest.mark.parametrize("name, P", AGREE_SLOW, ids=[n for n, _ in AGREE_SLOW])
def test_linearization_agrees_with_rules_unitary(name, P):
    _agree(P, [mpmath.mpc("0.3", "0.5"), mpmath.mpc("1.1", "0.05")])


# ---------------------------------------------------------------------------------------------
# 4. moments: numerical G (contour integral) vs exact traces

MOMENTS = [
    ("xy+yx", x * y + y * x),
    ("i(xy-yx)", sp.I * (x * y - y * x)),
    ("x^2+y", x * x + y),
    ("xy^2x", x * y * y * x),
    ("x^2-y^2+xy+yx", x * x - y * y + x * y + y * x),
    ("xyx", x * y * x),
    ("xyx+y", x * y * x + y),
    ("x^3", x * x * x),
    ("x^3+y", x * x * x + y),
    ("xy2x+y2", x * y2 * x + y2),
    ("xyw+wyx", x * y * w3 + w3 * y * x),
    ("x^2y+yx^2", x * x * y + y * x * x),
    ("xpx+p", x * p * x + p),
    ("pxq+qxp", p * x * q + q * x * p),
    ("pqr+rqp", p * q * r + r * q * p),
    ("axa", a * x * a),
    ("cc*x+xcc*", c * c.H * x + x * c * c.H),
]
FAST_MOMENTS = {"xy+yx", "x^2+y", "xyx", "x^3"}


def _moments_check(P, K=8):
    sol = fa.spectrum(P, method="linearization")
    exact = _trace_moments(P, K)
    assert sol.moments(K) == exact            # the law's exact moments (from the trace)
    num = contour_moments(sol.law, K, dps=30)
    for k, (e, nv) in enumerate(zip(exact, num), start=1):
        with mpmath.workdps(40):
            ev = mpmath.mpf(sp.N(e, 45))
            assert abs(nv - ev) <= mpmath.mpf(10) ** -20 * max(1, abs(ev)), (k, nv, e)


@pytest.mark.parametrize("name, P", [m for m in MOMENTS if m[0] in FAST_MOMENTS],
                         ids=[n for n, _ in MOMENTS if n in FAST_MOMENTS])
def test_contour_moments_equal_trace(name, P):
    _moments_check(P)


@pytest.mark.slow
@pytest.mark.parametrize("name, P", [m for m in MOMENTS if m[0] not in FAST_MOMENTS],
                         ids=[n for n, _ in MOMENTS if n not in FAST_MOMENTS])
def test_contour_moments_equal_trace_slow(name, P):
    _moments_check(P)


@pytest.mark.parametrize("name, P", MOMENTS, ids=[n for n, _ in MOMENTS])
def test_contour_moments_float64(name, P):
    # the float64 path on 256 contour nodes, vectorised
    sol = fa.spectrum(P, method="linearization")
    exact = [float(sp.N(m)) for m in _trace_moments(P, 6)]
    num = contour_moments(sol.law, 6)
    for e, nv in zip(exact, num):
        assert abs(nv - e) <= 1e-8 * max(1, abs(e))


def test_axa_compiles_by_fallback():
    # a x a (a discrete positive, x semicircular): no structural rule, the fallback handles it
    sol = fa.spectrum(a * x * a)
    assert sol.system.steps[0].rule == "linearization"
    assert sol.moments(6) == _trace_moments(a * x * a, 6)


# ---------------------------------------------------------------------------------------------
# 5. atoms


@pytest.mark.slow
def test_atoms_pqp_plus_r_exact():
    # p q p + r, traces 1/3, 1/4, 2/5 (all < 1/2): Wachter (pqp = 3/4 delta_0 + ...) and
    # Bercovici-Voiculescu for the free sum give the exact atoms (rules path, exact sympy);
    # the linearization path finds them by candidates + i y G + PSLQ
    P = p * q * p + r
    exact = fa.spectrum(P, method="rules").atoms()
    got = fa.spectrum(P, method="linearization").atoms()
    assert [(A.location, A.mass) for A in got] == [(A.location, A.mass) for A in exact]
    assert exact and all(A.mass.is_Rational for A in exact)
    assert all(A.error < 1e-14 for A in got)      # |identified - extrapolated i y G|


def test_atoms_pqr_rank_count():
    # P = p q r + r q p: ker p ∩ ker r ⊂ ker P, of trace 1 - 1/3 - 2/5 = 4/15 for free
    # projections in general position (a lower bound from a rank count); the identified mass
    # must be >= 4/15 and lie on the lattice (1/60) Z of the traces' denominators
    P = p * q * r + r * q * p
    assert 0 in atom_candidates(P)
    sol = fa.spectrum(P)
    atoms = sol.atoms()
    zero = [A for A in atoms if A.location == 0]
    assert len(zero) == 1
    assert zero[0].mass >= R(4, 15)
    assert zero[0].mass.is_Rational and zero[0].error < 1e-15
    assert "PSLQ" in sol.law.atom_report()[0][1]


def test_no_atoms_for_semicircular_polynomials():
    # Mai-Speicher-Weber 2017: nonconstant polynomials in free semicirculars have no atoms
    assert fa.spectrum(x * y * x + y).atoms() == []


# ---------------------------------------------------------------------------------------------
# 6. System, LaTeX, bad input


def test_system_latex_and_explain():
    from test_compile import check_latex

    for P in (x * y + y * x, x + u * a * u.H, x + wu, p * x * q + q * x * p):
        s = linearization_system(P)
        check_latex(s.latex())
        assert "linearization" in s.explain()
    s = fa.compile(x * y + y * x)
    assert "operator-valued semicircle" in s.explain()


def test_symbolic_coefficient_is_undetermined():
    t = sp.Symbol("t")
    with pytest.raises(UndeterminedError):
        fa.spectrum(t * (x * y + y * x))
    s = fa.compile(t * (x * y + y * x))      # compiling symbolically is fine
    assert t in s.law.free_symbols


def test_not_selfadjoint_says_a_astar():
    with pytest.raises(InvalidParameterError) as info:
        fa.spectrum(x * y, method="linearization")
    assert "a * a.H" in str(info.value)


def test_unsupported_inputs():
    d1 = fa.selfadjoint("d1", fa.uniform(0, 1))
    d2 = fa.selfadjoint("d2", fa.uniform(0, 1))
    d1, d2 = fa.commuting(d1, d2)
    with pytest.raises(InvalidParameterError) as info:
        fa.spectrum(d1 * x * d2 + d2 * x * d1)
    assert "commuting family" in str(info.value)
    with pytest.raises(InvalidParameterError):
        fa.compile(x * y + y * x, method="magic")
    with pytest.raises(ReductionError):
        fa.compile(x * y + y * x, method="rules")


def test_law_value_protocol():
    import pickle

    law = fa.spectrum(x * y + y * x).law
    assert type(law)(*law.args) == law and hash(type(law)(*law.args)) == hash(law)
    assert pickle.loads(pickle.dumps(law)) == law


# ---------------------------------------------------------------------------------------------
# 7. Monte Carlo (N = 2000)

N_MC = 2000


def _goe(rng, n, v=1.0):
    A = rng.standard_normal((n, n))
    return np.sqrt(v) * (A + A.T) / np.sqrt(2 * n)


def _haar(rng, n):
    # Haar orthogonal by QR with the sign fix (Mezzadri 2007); asymptotically free from the
    # other matrices like a Haar unitary, and real, so eigvalsh stays real symmetric
    Z = rng.standard_normal((n, n))
    Q, Rr = np.linalg.qr(Z)
    return Q * np.sign(np.diag(Rr))


def _proj(rng, n, t):
    U = _haar(rng, n)
    k = int(round(t * n))
    return U[:, :k] @ U[:, :k].T


def _realise(name, rng, n):
    X, Y = _goe(rng, n), _goe(rng, n)
    if name == "xy+yx":
        return X @ Y + Y @ X
    if name == "i(xy-yx)":   # i times a real antisymmetric matrix: Hermitian
        return 1j * (X @ Y - Y @ X)
    if name == "xyx+y":
        return X @ Y @ X + Y
    if name == "x^3+y":
        return X @ X @ X + Y
    if name == "x^2y+yx^2":
        return X @ X @ Y + Y @ X @ X
    # exactly the law of a (N/4 ones, N/4 twos, N/2 fours): no 1/sqrt(N) sampling error
    A = np.diag(np.repeat([1.0, 2.0, 4.0], [n // 4, n // 4, n - 2 * (n // 4)]))
    if name == "axa":
        return A @ X @ A
    if name == "x+uau*":
        U = _haar(rng, n)
        return X + U @ A @ U.T
    P_ = _proj(rng, n, 1 / 3)
    if name == "xpx+p":
        return X @ P_ @ X + P_
    Q_ = _proj(rng, n, 1 / 4)
    if name == "pxq+qxp":
        return P_ @ X @ Q_ + Q_ @ X @ P_
    R_ = _proj(rng, n, 2 / 5)
    return P_ @ Q_ @ R_ + R_ @ Q_ @ P_        # pqr+rqp


MC = ["xy+yx", "i(xy-yx)", "xyx+y", "x^3+y", "x^2y+yx^2", "pxq+qxp", "pqr+rqp", "axa",
      "xpx+p", "x+uau*"]
MC_POLY = dict(MOMENTS)
MC_POLY["x+uau*"] = x + u * a * u.H


@pytest.mark.slow
@pytest.mark.parametrize("name", MC)
def test_monte_carlo_ks(name):
    # Kolmogorov distance between the eigenvalue CDF of one N = 2000 realisation (GOE for
    # semicirculars, Haar by QR, projections of rank tN conjugated by Haar) and the CDF of the
    # computed law (density on a grid + atoms). Eigenvalue fluctuations are O(log N / N) in the
    # bulk and O(N^{-2/3}) at soft edges, so tol = 20 / N + N^{-2/3} ~ 0.026.
    rng = np.random.default_rng(1234)
    M = _realise(name, rng, N_MC)
    ev = np.sort(np.linalg.eigvalsh(0.5 * (M + M.conj().T)))
    sol = fa.spectrum(MC_POLY[name])
    lo, hi = ev[0] - 0.2, ev[-1] + 0.2
    xs = np.linspace(lo, hi, 1201)
    d = np.nan_to_num(sol.density(xs))
    cdf = np.concatenate([[0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(xs))])
    cont = 1 - sum(float(A.mass) for A in sol.atoms())
    # the grid quadrature misses O(sqrt(h)) of mass at an inverse-square-root singularity of
    # the density (x p x + p at 1): normalise the continuous part to its exact mass
    assert abs(cdf[-1] - cont) < 0.01
    cdf *= cont / cdf[-1]
    for A in sol.atoms():
        cdf += float(A.mass) * (xs >= float(A.location))
    emp = np.searchsorted(ev, xs, side="right") / N_MC
    tol = 20 / N_MC + N_MC ** (-2 / 3)
    assert np.max(np.abs(cdf - emp)) < tol


def test_haar_unitary_pencils_on_the_real_axis_regression():
    # the Haar-unitary group is evaluated exactly (residues), so float64 densities reach the
    # real axis (the trapezoid rule could not: 2u + 2u^* gave density 0 everywhere). References:
    # * u x u^* is free from x and semicircular, so x + u x u^* is the semicircle of variance 2:
    #   density sqrt(8 - t^2) / (4 pi) (Voiculescu 1986: free semicirculars add variances);
    # * u + u^* + v + v^* (u, v free Haar) is the Kesten-McKay law of the 4-regular tree:
    #   density 2 sqrt(12 - t^2) / (pi (16 - t^2)) (Kesten 1959; McKay 1981), also at dps 30.
    v = fa.haar_unitary("v")
    ts = np.linspace(-2.7, 2.7, 55)
    law = fa.compile(x + u * x * u.H, method="linearization").law
    assert np.max(np.abs(law.density(ts) - np.sqrt(8 - ts ** 2) / (4 * np.pi))) < 1e-12
    law = fa.compile(u + u.H + v + v.H, method="linearization").law
    ts = np.linspace(-3.4, 3.4, 35)
    ref = 2 * np.sqrt(12 - ts ** 2) / (np.pi * (16 - ts ** 2))
    assert np.max(np.abs(law.density(ts) - ref)) < 1e-12
    with mpmath.workdps(40):
        t0 = mpmath.mpf(1) / 3
        exact = 2 * mpmath.sqrt(12 - t0 ** 2) / (mpmath.pi * (16 - t0 ** 2))
        assert abs(law.density(t0, dps=30) - exact) < mpmath.mpf(10) ** -28
