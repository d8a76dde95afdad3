"""The operator-valued engine (freealg.numeric.operator_valued) and its law
(freealg.laws.operator_valued.OperatorValued): direct engine checks against closed forms, and
regression tests for three bugs fixed when the solver moved into the engine."""

from __future__ import annotations

import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.laws.operator_valued import OperatorValued
from freealg.numeric import operator_valued as ov
from freealg.numeric.matrices import MPM, NPM, MPMatrix


def _semicircle_g(z):
    # Cauchy transform of the standard semicircle law, 2/(z + sqrt(z-2) sqrt(z+2)) (Voiculescu,
    # Dykema, Nica 1992; the branch with G ~ 1/z), written without cancellation at large |z|
    return 2 / (z + np.sqrt(z - 2) * np.sqrt(z + 2))


def _semicircle_moments(n):
    # exact moments of the standard semicircle: Catalan numbers at even orders
    return [sp.catalan(j // 2) if j % 2 == 0 else sp.S.Zero for j in range(1, n + 1)]


ONE = sp.ImmutableMatrix([[1]])


def test_engine_semicircular_and_law_group_agree_with_closed_form():
    # P = x through the 1 x 1 pencil, once as a semicircular letter (eta), once as a letter
    # with a scalar law given only by callables (LawGroup): both are the semicircle
    semi = fa.semicircle(1)
    z = np.array([0.3 + 0.5j, -1.7 + 0.01j, 4j, 2.5 + 1e-3j])
    ref = _semicircle_g(z)
    p1 = ov.Problem(0 * ONE, ((ONE, 1),), (), 1, 2.0)
    grp = ov.LawGroup(ONE, 1, semi._cauchy_np, semi._cauchy_mp, semi.moments,
                      semi._hull_float)
    p2 = ov.Problem(0 * ONE, (), (grp,), 1, 2.0)
    for prob in (p1, p2):
        G, res, _ = ov.cauchy_np(prob, z)
        assert np.max(np.abs(G - ref)) < 1e-12
        with mpmath.workdps(40):
            zz = mpmath.mpc(0.3, 0.5)
            exact = (zz - mpmath.sqrt(zz - 2) * mpmath.sqrt(zz + 2)) / 2
            g, _, _ = ov.cauchy_mp(prob, zz, 30)
            assert abs(g - exact) < mpmath.mpf(10) ** -28


def test_engine_unitary_group_is_arcsine():
    # u + u^* for a Haar unitary u has the arcsine law on [-2, 2]: G = 1/sqrt(z^2 - 4)
    # (Nica-Speicher, Lectures on the Combinatorics of Free Probability, Example 1.14)
    prob = ov.Problem(0 * ONE, (), (ov.UnitaryGroup(ONE, 1),), 1, 2.0)
    z = np.array([0.5 + 0.5j, 3 + 1j, 10j])
    G, _, _ = ov.cauchy_np(prob, z)
    assert np.max(np.abs(G - 1 / (np.sqrt(z - 2) * np.sqrt(z + 2)))) < 1e-12


def _series(moments, z, R):
    """1/z + sum_j m_j / z^(j+1) and the bound sum_{j>n} R^j/|z|^(j+1) of the tail."""
    n = len(moments)
    s = 1 / z + sum(m / z ** (j + 2) for j, m in enumerate(moments))
    tail = R ** (n + 1) / abs(z) ** (n + 2) / (1 - R / abs(z))
    return s, tail


@pytest.mark.parametrize("which", ["anticommutator", "pxp"])
def test_large_imaginary_z_regression(which):
    # bug: Im z > 16 scale + 8 made the continuation schedule np.geomspace(t0, tmin) with a
    # negative number of steps (numpy ValueError, float64 and mpmath). Reference: the moment
    # expansion G(z) = sum_j m_j / z^(j+1) with exact moments tau(P^j) (fa.trace); its tail is
    # bounded by sum_{j>n} R^j/|z|^(j+1), R >= ||P|| the law's norm bound.
    x, y = fa.semicircular("x"), fa.semicircular("y")
    if which == "anticommutator":
        P = x * y + y * x
        law = fa.compile(P).law
    else:
        p = fa.projection("p", sp.Rational(1, 3))
        P = p * x * p
        law = fa.compile(P, method="linearization").law
    assert isinstance(law, OperatorValued)
    R = law._bound_float()
    ms = [fa.trace(P ** j) for j in range(1, 9)]
    # float64, vectorised over a grid that mixes large and moderate heights
    zs = np.array([1000j, 3 + 1e5j, -50 + 400j])
    G = law.cauchy(zs)
    for zc, g in zip(zs, G):
        s, tail = _series([complex(m) for m in ms], zc, R)
        assert abs(g - s) <= tail + 1e-13 * abs(s)
    # mpmath at dps = 30 (tail ~ 8^9 / 10^40)
    with mpmath.workdps(40):
        zm = mpmath.mpc(0, 10 ** 4)
        s, tail = _series([mpmath.mpf(sp.Rational(m).p) / sp.Rational(m).q for m in ms], zm, R)
        g = law.cauchy(zm, dps=30)
        assert abs(g - s) <= tail + mpmath.mpf(10) ** -29 * abs(s)


def test_mixed_precision_newton_near_the_support():
    # the mixed-precision Newton (once flagged by ruff F821 for its contraction rate rho): at
    # dps = 50 near the real axis, against the cubic curve z G^3 + G^2 - z G + 1 = 0 of the
    # free anticommutator (Nica-Speicher 1998, Duke Math. J. 92), root with Im G < 0 closest
    # to the float64 value
    x, y = fa.semicircular("x"), fa.semicircular("y")
    law = fa.compile(x * y + y * x).law
    for zc in (0.5 + 1e-3j, -2.9 + 1e-2j, 1.0 + 0.3j):
        g = law.cauchy(mpmath.mpc(zc), dps=50)
        g0 = complex(law.cauchy(np.array([zc]))[0])
        with mpmath.workdps(60):
            zm = mpmath.mpc(zc)
            roots = mpmath.polyroots([zm, 1, -zm, 1], maxsteps=200, extraprec=200)
            ref = min(roots, key=lambda r: abs(complex(r) - g0))
            assert mpmath.im(ref) < 0
            assert abs(g - ref) < mpmath.mpf(10) ** -48


def _sc_moments(n):
    return _semicircle_moments(n)


def test_pickle_keeps_a_picklable_moment_function_regression():
    # bug: pickling dropped the moment function, so law.moments raised NotImplementedError
    law = OperatorValued(0 * ONE, ((ONE, 1),), bound=2, atomless=True, moments_fn=_sc_moments)
    back = pickle.loads(pickle.dumps(law))
    assert back == law and hash(back) == hash(law)
    assert back.moments(6) == [0, 1, 0, 2, 0, 5]   # Catalan numbers (exact moments)
    # the numbers survive too: the semicircle's G at 1 + i
    assert abs(complex(back.cauchy(1 + 1j, dps=20)) - _semicircle_g(1 + 1j)) < 1e-14


def test_pickle_compiled_law_keeps_moments():
    # regression: the compiler passed a local closure as moments_fn, which pickle cannot carry
    x, y = fa.semicircular("x"), fa.semicircular("y")
    law = fa.compile(x * y + y * x).law
    back = pickle.loads(pickle.dumps(law))
    assert back == law
    assert back.moments(4) == [fa.trace((x * y + y * x) ** j) for j in range(1, 5)]


def test_atom_report_engine_on_a_discrete_law():
    # (1/4) delta_0 + (3/4) delta_1: G = 1/(4z) + 3/(4(z - 1)) exactly; both masses identified
    def gnp(z):
        return 0.25 / z + 0.75 / (z - 1)

    def gmp(z, dps):
        return mpmath.mpf(1) / 4 / z + mpmath.mpf(3) / 4 / (z - 1)

    rep = ov.atom_report(gnp, gmp, (0, 1, sp.Rational(1, 2)), (sp.Rational(1, 4),), 1.0)
    assert [(a.location, a.mass) for a, _ in rep] == [(0, sp.Rational(1, 4)),
                                                      (1, sp.Rational(3, 4))]
    assert all(how.startswith("identified") for _, how in rep)


def test_edges_go_through_the_dispatcher():
    # edges/support of an OperatorValued law are the 'fold' strategy of the dispatcher, so a
    # bad precision or an inapplicable method raises before any numerics
    x, y = fa.semicircular("x"), fa.semicircular("y")
    law = fa.compile(x * y + y * x).law
    with pytest.raises(fa.InvalidParameterError):
        law.edges(dps=0)
    with pytest.raises(fa.InvalidParameterError):
        law.support(method="curve")
    with pytest.raises(fa.InvalidParameterError):
        law.edges(method="nonsense")


# --------------------------------------------------------------------------------------------
# one implementation for both contexts; the exact Haar-unitary group (issue 17 regressions)


def _arcsine_density(x, r):
    # b u + b^* u^* with |b| = r/2 has the arcsine law on [-r, r]: density 1/(pi sqrt(r^2 - x^2))
    # (Nica-Speicher, Lectures on the Combinatorics of Free Probability, Example 1.14)
    return 1 / (np.pi * np.sqrt(r * r - x * x))


def test_haar_unitary_sum_density_on_the_axis_regression():
    # bug: fa.spectrum(2u + 2u^*, method="linearization").density([0.]) gave [0.] and support []
    # (the trapezoid rule cannot reach the axis, and the failed point was NaN + 0j, read as
    # density 0). Reference: the arcsine law on [-4, 4], 1/(pi sqrt(16 - x^2)); at 0: 1/(4 pi).
    u = fa.haar_unitary("u")
    sol = fa.spectrum(2 * u + 2 * u.H, method="linearization")
    assert isinstance(sol.law, OperatorValued)
    d0 = sol.density(np.array([0.0]))
    assert abs(d0[0] - 1 / (4 * np.pi)) < 1e-14
    xs = np.linspace(-3.99, 3.99, 401)
    d = sol.law.density(xs)
    assert np.max(np.abs(d / _arcsine_density(xs, 4) - 1)) < 1e-11
    with mpmath.workdps(40):
        for x0 in ("0", "1.5"):
            exact = 1 / (mpmath.pi * mpmath.sqrt(16 - mpmath.mpf(x0) ** 2))
            assert abs(sol.law.density(mpmath.mpf(x0), dps=30) - exact) < mpmath.mpf(10) ** -28


def test_unitary_group_exact_against_trapezoid_and_both_contexts():
    # the residue formula for E[(w - b u - b^* u^*)^{-1}] against the periodic trapezoid rule
    # with 4096 nodes (its error ~ exp(-4096 d), d the distance of the poles from the circle,
    # which Im w >= 0.3 keeps away), for rank-1, rank-2 and full-rank b; the mpmath context
    # against the float64 one, and at dps = 30 against the closed form 1/sqrt(w^2 - 4)
    rng = np.random.default_rng(7)
    for B in ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[1, 2, 0], [0, 0, 1], [0, 0, 0]],
              [[1, 0, 0], [0, 1, 0], [0, 0, 1]]):
        b = np.array(B, dtype=complex)
        A = rng.normal(size=(4, 3, 3)) + 1j * rng.normal(size=(4, 3, 3))
        C = rng.normal(size=(4, 3, 3))
        w = (A + np.swapaxes(A.conj(), 1, 2)) / 2 \
            + 1j * (C @ np.swapaxes(C, 1, 2) + 0.3 * np.eye(3))
        e = np.exp(2j * np.pi * np.arange(4096) / 4096)[:, None, None, None]
        ref = np.linalg.inv(w[None] - (e * b + np.conj(e) * b.conj().T)).mean(axis=0)
        grp = ov.UnitaryGroup(sp.ImmutableMatrix(B), 3)
        G, _, err = grp.g(NPM, w)
        assert np.max(np.abs(G - ref)) < 1e-13 and err == 0
        with mpmath.workdps(30):
            Gm = grp.g(MPM, MPMatrix.from_np(w[0]))[0]
        assert np.max(np.abs(Gm.to_np() - G[0])) < 1e-13
    grp = ov.UnitaryGroup(ONE, 1)
    with mpmath.workdps(30):
        for wm in (mpmath.mpc(0.5, 1e-3), mpmath.mpc(3, 0), mpmath.mpc(-1, 0)):
            g = grp.g(MPM, MPMatrix([[wm]]))[0][0, 0]
            exact = 1 / (mpmath.sqrt(wm - 2) * mpmath.sqrt(wm + 2))
            assert abs(g - exact) < mpmath.mpf(10) ** -27


def test_failed_float64_point_is_nan_not_zero_density():
    # a float64 point that fails must be NaN in both parts: NaN + 0j made -Im G / pi = -0.0, a
    # silent density 0. Here P = p (a projection, the 1 x 1 pencil) at z = 0, its atom, where
    # the resolvent (w - 0)^{-1} of the discrete group is singular.
    grp = ov.DiscreteGroup((ONE,), (((0,), sp.Rational(1, 2)), ((1,), sp.Rational(1, 2))), 1)
    prob = ov.Problem(0 * ONE, (), (grp,), 1, 1.0)
    G, _, _ = ov.cauchy_np(prob, np.array([0.0 + 0j, 0.25 + 0j]))
    assert np.isnan(G[0].real) and np.isnan(G[0].imag)
    # at 1/4, between the atoms: G = 1/(2z) + 1/(2(z - 1)) = 4/3 exactly
    assert abs(G[1] - 4 / 3) < 1e-14


def test_residual_written_once_agrees_between_contexts():
    # Problem.equations is one implementation for float64 batches and mpmath matrices: at the
    # solved unknowns of the anticommutator x y + y x (dps 30) the mpmath residual is tiny and
    # the float64 residual at the same unknowns is at rounding level
    x, y = fa.semicircular("x"), fa.semicircular("y")
    prob = fa.compile(x * y + y * x).law._problem()
    z = mpmath.mpc(0.7, 0.2)
    u = ov.unknowns_mp(prob, z, 30)
    from freealg.numeric.matrices import MPMatrix
    with mpmath.workdps(40):
        Gm = MPMatrix([[mpmath.mpc(u["Gmat"][i, j]) for j in range(3)] for i in range(3)])
        R = prob.equations(MPM, [Gm], z, u["eps"])[0][0]
        assert MPM.maxabs(R) < mpmath.mpf(10) ** -29
    Rn = prob.equations(NPM, [Gm.to_np()[None]], np.array([complex(z)]), np.zeros(1))[0][0]
    assert np.max(np.abs(Rn)) < 1e-14


@pytest.mark.slow
def test_haar_unitary_sum_support_regression():
    # the same bug left support() empty; the arcsine law of 2u + 2u^* is supported on [-4, 4]
    # (~20 s: the edges are bisected in mpmath)
    u = fa.haar_unitary("u")
    bands = fa.spectrum(2 * u + 2 * u.H, method="linearization").support()
    assert len(bands) == 1
    assert abs(float(bands[0].lo) + 4) < 1e-9 and abs(float(bands[0].hi) - 4) < 1e-9
