"""The linearization of rectangular models with several block dimensions (embedding in the
largest block, freealg.reduce.blocks_linearize).

References: Marchenko-Pastur 1967 (X X* closed form; the sum of two independent Gaussian
matrices is Gaussian with the variances added), the rectangular rules of freealg (compound
Wishart, Silverstein-Bai 1995) as an independent solve, the exact trace (free moment-cumulant
formula) for the moment series of G at large |z|, and Monte Carlo with an N-derived tolerance.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import ReductionError
from freealg.montecarlo._deps import blas_threads
from freealg.reduce.blocks_linearize import (NESTED_FAMILY, BlockOperatorValued, ambient_model,
                                             block_linearization_system)

R = sp.Rational


def test_ambient_model_blocks_and_joint_law():
    X = fa.gaussian("X", shape=(1, 2))
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    E, t, joint = ambient_model(X.H * A * X)
    assert t == 1                                      # output on the largest block
    (mono,) = [g for g in E.generators if g.family == NESTED_FAMILY]
    # the monomial P_1 A of the family: A on P_1 (trace 1/2), 0 elsewhere
    vals: dict = {}
    for val, w in joint[NESTED_FAMILY]:
        vals[val[mono]] = vals.get(val[mono], 0) + w
    assert vals == {0: R(1, 2), 1: R(1, 4), 3: R(1, 4)}
    X2 = fa.gaussian("X2", shape=(3, 2), variance=5)
    E2, t2, _ = ambient_model(X2.H * X2)
    assert t2 == R(2, 3)
    assert [g.params[0] for g in E2.generators if g.name == "X2"] == [15]    # v M


def test_unsupported_letters_raise():
    V = fa.haar_unitary("V", shape=(1, 2))
    X = fa.gaussian("X", shape=(2, 3))
    with pytest.raises(ReductionError, match="largest block"):
        ambient_model(V * X * X.H * V.H)              # V is not a corner of the 3 block
    C = fa.selfadjoint("C", fa.free_poisson(1), dim=2)
    with pytest.raises(ReductionError, match="continuous law"):
        ambient_model(X.H * C * X)
    A1 = fa.selfadjoint("A1", fa.discrete([0, 1]), dim=2)
    A2 = fa.selfadjoint("A2", fa.discrete([0, 2]), dim=2)
    with pytest.raises(ReductionError, match="two free non-Gaussian"):
        ambient_model(X.H * (A1 + A2) * X)
    with pytest.raises(ReductionError, match="continuous law"):
        fa.compile(X.H * C * X + X.H * C * C * X, method="linearization")


def test_output_block_normalisation_against_marchenko_pastur():
    # X (1, 2): X X* on the 1 block is free Poisson(2) (Marchenko-Pastur 1967), computed here
    # from the 2 block with G_1 = (G - (1 - 1/2)/z) / (1/2)
    X = fa.gaussian("X", shape=(1, 2))
    s = fa.compile(X * X.H, method="linearization")
    assert isinstance(s.law, BlockOperatorValued) and s.law.block_weight == R(1, 2)
    assert [st.rule for st in s.steps][-1] == "block normalisation"
    z = mpmath.mpc(1.5, 0.5)
    ref = fa.free_poisson(2).cauchy(z, dps=20)
    assert abs(s.law.cauchy(z, dps=20) - ref) < 1e-12
    assert s.law.moments(3) == [2, 6, 22]


@pytest.mark.slow
def test_block_normalised_system_satisfies_its_equations():
    X = fa.gaussian("X", shape=(1, 2))
    s = fa.compile(X * X.H, method="linearization")
    assert s.residual(mpmath.mpc(1.5, 0.5)) < 1e-25


@pytest.mark.slow
def test_rules_and_linearization_agree_on_compound_wishart():
    # a model the rules reduce (compound Wishart, Silverstein-Bai 1995) through the fallback
    X = fa.gaussian("X", shape=(1, 2))
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    lin = fa.compile(X.H * A * X, method="linearization").law
    rules = fa.compile(X.H * A * X).law
    for z in (mpmath.mpc(1, 0.5), mpmath.mpc(4, 0.05)):
        assert abs(lin.cauchy(z, dps=20) - rules.cauchy(z, dps=20)) < 1e-12


@pytest.mark.slow
def test_sum_of_gaussians_no_rule_against_closed_form():
    # (X + Y)(X + Y)* has no rule (two first letters); X + Y is Gaussian with variance 3/2, so
    # the law is 3/2 free Poisson(1/2, 2) (Marchenko-Pastur 1967)
    X = fa.gaussian("X", shape=(2, 1))
    Y = fa.gaussian("Y", shape=(2, 1), variance=R(1, 2))
    s = fa.compile((X + Y) * (X + Y).H)
    assert s.steps[0].rule == "block embedding"
    ref = fa.affine(fa.free_poisson(R(1, 2), 2), R(3, 2), 0)
    z = mpmath.mpc(1, 0.5)
    assert abs(s.law.cauchy(z, dps=20) - ref.cauchy(z, dps=20)) < 1e-12
    # wrong-model control: variance 1 instead of 3/2
    wrong = fa.free_poisson(R(1, 2), 2)
    assert abs(s.law.cauchy(z, dps=20) - wrong.cauchy(z, dps=20)) > 1e-3


def _haar_rows(rng, rows, cols):
    Z = rng.standard_normal((cols, rows)) + 1j * rng.standard_normal((cols, rows))
    Q, Rr = np.linalg.qr(Z)
    return (Q * (np.diag(Rr) / np.abs(np.diag(Rr)))).conj().T


def _gaussian_plus_haar():
    X = fa.gaussian("X", shape=(1, 2), field="complex")
    Y = fa.haar_unitary("Y", shape=(1, 2))
    return X, Y, (X + Y) * (X + Y).H


def test_gaussian_plus_isometry_exact_moments_against_monte_carlo():
    # (X + Y)(X + Y)* with X Gaussian (1, 2) and Y a Haar isometry of the same shape: no rule;
    # its exact moments (the fallback's moments) against Monte Carlo at N = 150
    X, Y, P = _gaussian_plus_haar()
    exact = [float(m) for m in (trace_k(P, k) for k in (1, 2, 3))]
    rng = np.random.default_rng(11)
    N, T = 150, 30
    with blas_threads(1):
        S = []
        for _ in range(T):
            y = _haar_rows(rng, N, 2 * N)
            x = (rng.standard_normal((N, 2 * N)) + 1j * rng.standard_normal((N, 2 * N))) \
                / np.sqrt(2 * N)
            ev = np.linalg.eigvalsh((x + y) @ (x + y).conj().T)
            S.append([np.mean(ev**k) for k in (1, 2, 3)])
    S = np.array(S)
    mean, se = S.mean(0), S.std(0, ddof=1) / np.sqrt(T)
    tol = 6 * se + 50 * np.abs(exact) / N**2        # O(1/N) fluctuations, O(1/N^2) bias
    assert np.all(np.abs(mean - exact) < tol), (mean, exact, tol)
    # wrong-model control: Y replaced by a Gaussian of the same Y Y* mean (variance 1/2)
    W = fa.gaussian("W", shape=(1, 2), variance=R(1, 2), field="complex")
    wrong = float(trace_k((X + W) * (X + W).H, 3))       # 297/4 against 68
    assert abs(mean[2] - wrong) > 3 * tol[2]


def trace_k(P, k):
    Q = P
    for _ in range(k - 1):
        Q = Q * P
    return fa.trace(Q)


@pytest.mark.slow
def test_gaussian_plus_isometry_linearization_against_moment_series():
    # G(z) = sum_k m_k / z^(k+1) at z = 200 i with the exact moments m_0..m_7: an independent
    # check of the operator-valued solve. ||X + Y|| <= (1 + sqrt 2) + 1 (the edge of free
    # Poisson(2) is (1 + sqrt 2)^2), so ||P|| < 11.7 and the tail after m_7 is below
    # (11.7/200)^8 / 200 / (1 - 11.7/200) < 1e-12, while m_4 / z^5 is about 1e-9: the check
    # sees the moments up to m_4 at least
    X, Y, P = _gaussian_plus_haar()
    s = block_linearization_system(P)
    z = mpmath.mpc(0, 200)
    ms = [1] + [trace_k(P, k) for k in range(1, 8)]
    with mpmath.workdps(30):
        series = sum(mpmath.mpf(sp.Rational(m).p) / sp.Rational(m).q / z ** (k + 1)
                     for k, m in enumerate(ms))
        assert abs(ms[4] / z**5) > 1e-10
        assert abs(s.law.cauchy(z, dps=20) - series) < 1e-12
