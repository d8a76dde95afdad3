"""Nested Fisher-information recursions written by hand compile by the rules, at linear cost.

H_1 = 1, H_{l+1} = 1 + 2 W_{l+1} D_l H_l D_l W_{l+1}^T with Haar orthogonal W and free
projections D_l of trace 1/2: the per-sample Fisher dual of a critical ReLU network
(sigma_w^2 phi'(h)^2 = 2 D, qhat_l = 1; Hayase-Karakida 2021, arXiv:2006.07814). Written out,
D H D = D + D (...) D (D^2 = D), which the compiler reads as the compression / product
p Q p = law(p) ⊠ law(Q) (Nica-Speicher 1996), after the shift and the Haar conjugation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.algebra import NCPoly


def _hand(L: int) -> NCPoly:
    H = NCPoly.constant(1)
    for l in range(1, L):
        W = fa.haar_orthogonal(f"W{l + 1}")
        D = fa.projection(f"D{l}", sp.Rational(1, 2))
        H = 1 + 2 * W * D * H * D * W.H
    return H


def _mc_moments(L: int, N: int, seed: int) -> list:
    """tr(H_L^k)/N, k = 1, 2, 3, of the N x N matrices (Haar orthogonal W from the QR of a
    Gaussian matrix with the signs of R fixed; D diagonal with N/2 ones at random places)."""
    rng = np.random.default_rng(seed)
    H = np.eye(N)
    for _ in range(1, L):
        Q, R = np.linalg.qr(rng.standard_normal((N, N)))
        W = Q * np.sign(np.diag(R))
        d = np.zeros(N)
        d[rng.permutation(N)[:N // 2]] = 1
        H = np.eye(N) + 2 * W @ (d[:, None] * H * d[None, :]) @ W.T
    ev = np.linalg.eigvalsh(H)
    return [float(np.mean(ev ** k)) for k in (1, 2, 3)]


@pytest.mark.parametrize("L", [3, 8, 20])
def test_hand_written_fisher_compiles_by_rules_at_linear_size(L):
    s = fa.compile_expr(_hand(L))
    rules = [st.rule for st in s.steps]
    assert "linearization" not in rules
    # per layer: shift, scale, Haar conjugation, product (and the generator D_l)
    assert rules.count("product") == L - 2 and rules.count("Haar conjugation") == L - 1
    assert len(s.equations) == 5 * L - 6


@pytest.mark.parametrize("L", [3, 8, 20])
def test_hand_written_equals_nn_moments(L):
    """The exact moments of the hand-written System equal those of fa.nn's Fisher System (both
    are exact rationals from the law trees)."""
    hand = fa.compile_expr(_hand(L)).law.moments(4)
    net = fa.nn.MLP(depth=L, activation="relu").fisher_system().law.moments(4)
    assert hand == net
    assert hand[0] == L  # tau(H_{l+1}) = 1 + 2 tau(D) tau(H_l) (traciality and freeness)


def test_moments_against_the_trace():
    """Independent reference at L = 3: tau(H^k) by the combinatorics of fa.trace."""
    H = _hand(3)
    assert fa.compile_expr(H).law.moments(4) == [fa.trace(H ** k) for k in (1, 2, 3, 4)]


def test_density_at_L3_closed_form_and_nn():
    """L = 3: H = 1 + 2 p (1 + 2 q') p with q' = W D_1 W^T free from p = D_2, both of trace
    1/2. law(p q' p) = Bernoulli(1/2) ⊠ Bernoulli(1/2): from S(m) = ((1 + m)/(1/2 + m))^2
    (Voiculescu 1987; S of Bernoulli(t) is (1 + m)/(t + m)) one gets psi = -1/2 + z/(2 sqrt(z^2
    - z)), i.e. an atom 1/2 at 0 and mass 1/2 of the arcsine law on [0, 1], so H has an atom 1
    of mass 1/2 and mass 1/2 of arcsine on [3, 7]:
    rho(x) = 1 / (2 pi sqrt((x - 3)(7 - x)))."""
    import mpmath

    sol = fa.SpectralSolution(fa.compile_expr(_hand(3)), 30)
    net = fa.nn.MLP(depth=3, activation="relu").fisher_spectrum(30)
    for x in ("3.5", "5", "6.25"):
        with mpmath.workdps(40):
            xm = mpmath.mpf(x)
            ref = 1 / (2 * mpmath.pi * mpmath.sqrt((xm - 3) * (7 - xm)))
        for s in (sol, net):
            assert abs(s.density(mpmath.mpf(x)) - ref) < mpmath.mpf(10) ** -25
    assert [(a.location, a.mass) for a in sol.atoms()] == [(1, sp.Rational(1, 2))]


@pytest.mark.slow
def test_density_at_L8_equals_nn():
    sol = fa.compile_expr(_hand(8)).law
    net = fa.nn.MLP(depth=8, activation="relu").fisher_system().law
    x = np.array([2.0, 4.0, 10.0, 40.0])
    a, b = sol.density(x), net.density(x)
    assert np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-9, atol=1e-12)
    assert a[0] == 0 and np.all(a[1:] > 0)  # (1, 3) is a gap: atom at 1, band from 3


@pytest.mark.parametrize("L,N", [(3, 400), (8, 400), (20, 800)])
def test_against_monte_carlo(L, N):
    """tr(H^k)/N of N x N matrices against the exact moments. The fluctuation and the
    finite-N bias of a normalised trace of a polynomial in Haar orthogonal and deterministic
    matrices are O(1/N) (second-order freeness; orthogonal Weingarten corrections), one such
    term per layer and per power: tolerance 3 k L / N (relative)."""
    exact = fa.compile_expr(_hand(L)).law.moments(3)
    mc = _mc_moments(L, N, seed=1)
    for k, (m, e) in enumerate(zip(mc, exact), start=1):
        assert abs(m - float(e)) <= 3 * k * L / N * float(e), (k, m, e)
    assert math.isclose(mc[0], L, rel_tol=3 * L / N)
