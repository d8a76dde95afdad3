"""Free random projections (Hayase-Collins-Inoue 2025, arXiv:2504.06983): the sampler against its
definition and the kernel spectrum against exact moments and a Monte Carlo of the real FRP."""

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError
from freealg.nn.projection import (free_random_projection,
                                   free_random_projection_kernel_spectrum, random_word)


def test_rows_orthonormal_and_word_reduced():
    P = free_random_projection(40, 10, seed=0, sigma=3.0, length=6)
    assert P.shape == (10, 40)
    assert np.allclose(P @ P.T, 9 * np.eye(10), atol=1e-12)
    w = random_word(50, generators=3, seed=1)
    assert all(a != -b for a, b in zip(w, w[1:])) and {abs(x) for x in w} <= {1, 2, 3}


def test_explicit_word_is_the_product_of_haar_matrices():
    # word g1 g1: lambda = O_1 O_1, so P^T P restricted is a function of O_1 only; with D = d_in
    # = d_out the matrix is orthogonal: P P^T = sigma^2 I exactly
    P = free_random_projection(30, 30, seed=2, word=[1, 1])
    assert np.allclose(P @ P.T, np.eye(30), atol=1e-12)


def test_kernel_moments_exact():
    # p u q u* p in the compressed space of p (traces b, a): m1 = a, m2 = a (a + b - a b)
    # (free moment-cumulant formula for two free projections, Nica-Speicher Lecture 14)
    a, b = sp.Rational(1, 2), sp.Rational(1, 4)
    sol = free_random_projection_kernel_spectrum(a, b, sigma=2)
    assert sol.moments(2) == [4 * a, 16 * a * (a + b - a * b)]


def test_kernel_spectrum_monte_carlo_and_wrong_model():
    # a real FRP matrix (random word of length 5 in 2 generators), D = 400, d_out = 100
    a, b, D, n = sp.Rational(1, 2), sp.Rational(1, 4), 400, 100
    sol = free_random_projection_kernel_spectrum(a, b, sigma=2)
    P = free_random_projection(200, n, seed=0, hidden=D, sigma=2.0, length=5)
    ev = np.linalg.eigvalsh(P @ P.T)
    assert fa.compare(sol, ev, n=n).agrees
    # linear statistics of unitarily invariant ensembles fluctuate O(1/n) (Johansson 1998):
    # moments within 10/n of the exact m1 = 4a = 2, m2 = 16 a (a + b - a b) = 5
    tol = 10 / n
    assert abs(ev.mean() - 2.0) < tol and abs((ev**2).mean() - 5.0) < 5 * tol
    # wrong model: a Gaussian projection of the same scale (Marchenko-Pastur, m2 = 6) must fail
    rng = np.random.default_rng(3)
    G = rng.standard_normal((n, 200)) * 2 / np.sqrt(D)
    evg = np.linalg.eigvalsh(G @ G.T)
    assert abs((evg**2).mean() - 5.0) > 5 * tol
    assert not fa.compare(sol, evg, n=n).agrees


def test_bad_input():
    for kw in ({"ratio_in": 0}, {"ratio_in": 2}, {"ratio_out": -1}, {"sigma": 0}):
        with pytest.raises(InvalidParameterError):
            free_random_projection_kernel_spectrum(**kw)
    with pytest.raises(InvalidParameterError):
        free_random_projection(0, 3)
    with pytest.raises(InvalidParameterError):
        free_random_projection(4, 3, hidden=2)
    with pytest.raises(InvalidParameterError):
        free_random_projection(4, 3, word=[1, -1])
    with pytest.raises(InvalidParameterError):
        free_random_projection(4, 3, word=[3], generators=2)
    with pytest.raises(InvalidParameterError):
        random_word(0)


def test_float_ratios():
    assert free_random_projection_kernel_spectrum(0.5, 0.25).moments(2) == [
        sp.Rational(1, 2), sp.Rational(5, 16)]


# --- the averaged kernel of the authors' spectral code (module docstring of projection.py) ---

def test_average_kernel_moments_exact():
    # |s|^2/n for s = O_1 + ... + O_n: m1 = 1 and m2 = (n^2 + n(n - 1))/n^2 = 2 - 1/n, counting
    # the words O_i^T O_j O_k^T O_l with trace 1 in the free group (i = j = k = l, or j = k and
    # l = i != j)
    for n in (2, 3, 5):
        assert fa.nn.average_kernel_law(n, 1).moments(2) == [1, 2 - sp.Rational(1, n)]
    # K_l against the exact trace of the polynomial itself (free cumulants of Haar unitaries, an
    # independent path from the S-transform power of Haagerup-Larsen 2000)
    u1, u2 = fa.haar_unitary("u1"), fa.haar_unitary("u2")
    for ell in (2, 3):
        A = u1 + u2
        for _ in range(ell - 1):
            A = A * (u1 + u2)
        K = A.H * A
        exact = [fa.trace(K**k) / 2**(ell * k) for k in (1, 2, 3)]
        assert fa.nn.average_kernel_law(2, ell).moments(3) == exact


def _average_sample(a, b, D, seed=0):
    P = free_random_projection(int(a * D), int(b * D), seed=seed, hidden=D, average=True,
                               generators=2, length=2)
    return np.linalg.eigvalsh(P @ P.T)


def test_average_kernel_monte_carlo_moments_and_wrong_model():
    # a real averaged FRP (all 4 positive words of length 2 in 2 Haar orthogonal matrices),
    # D = 400, d_in = d_out = 200; exact moments of the law (compiled, exact rationals) against
    # the sample: linear statistics of unitarily invariant ensembles fluctuate O(1/n)
    # (Johansson 1998), so within 10/n
    a, b, D = sp.Rational(1, 2), sp.Rational(1, 2), 400
    n = int(b * D)
    m = free_random_projection_kernel_spectrum(a, b, average=True, generators=2,
                                               length=2).moments(2)
    ev = _average_sample(a, b, D)
    tol = 10 / n
    assert abs(ev.mean() - float(m[0])) < tol and abs((ev**2).mean() - float(m[1])) < tol
    # wrong model: the single-word (Wachter) law of the same ratios, m2 = a (a + b - a b) = 3/8
    wrong = free_random_projection_kernel_spectrum(a, b).moments(2)
    assert wrong[1] == sp.Rational(3, 8)
    assert abs((ev**2).mean() - float(wrong[1])) > tol


@pytest.mark.slow
def test_average_kernel_spectrum_monte_carlo_compare():
    a, b, D = sp.Rational(1, 2), sp.Rational(1, 2), 400
    n = int(b * D)
    sol = free_random_projection_kernel_spectrum(a, b, average=True, generators=2, length=2)
    ev = _average_sample(a, b, D)
    assert fa.compare(sol, ev, n=n).agrees
    assert not fa.compare(free_random_projection_kernel_spectrum(a, b), ev, n=n).agrees


def test_average_bad_input():
    with pytest.raises(InvalidParameterError):
        fa.nn.average_kernel_law(0, 2)
    with pytest.raises(InvalidParameterError):
        free_random_projection_kernel_spectrum(average=True, length=0)
    with pytest.raises(InvalidParameterError):
        free_random_projection(4, 3, average=True, word=[1])
