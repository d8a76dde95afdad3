"""Exact trace of rectangular Haar isometries in models with several block dimensions.

References: Wachter 1980 / Collins 2005 (p q p for free projections: fa.wachter, computed from
its own closed form), Marchenko-Pastur 1967 (V G is a Gaussian matrix when V has orthonormal
rows: unitary invariance of G), Nica-Speicher 1996 (free compression), and Monte Carlo with a
tolerance derived from N.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.montecarlo._deps import blas_threads
from freealg.algebra.haar_blocks import formal_haar_cumulant, needs_haar_lowering

R = sp.Rational


def _moments(expr, n):
    return [fa.trace(expr**k) for k in range(1, n + 1)]


def test_isometry_relations_on_their_blocks():
    V = fa.haar_unitary("V", shape=(1, 2))          # orthonormal rows: V V* = 1, V* V = p
    W = fa.haar_orthogonal("W", shape=(3, 2))       # orthonormal columns: W* W = 1
    assert fa.trace(V * V.H) == 1
    assert _moments(V.H * V, 4) == [R(1, 2)] * 4     # a projection of trace 1/2 on the 2 block
    assert _moments(W * W.H, 4) == [R(2, 3)] * 4     # rank 2N of 3N
    # both in one model (three block dimensions)
    assert _moments(V.H * V * W.H * W * V.H * V, 3) == [R(1, 2)] * 3


def test_two_isometries_give_wachter():
    # V1* V1, V2* V2 are free projections of traces 1/3, 2/3 in the 3 block (Haar rotations):
    # p q p is Wachter(1/3, 2/3) (Wachter 1980; Collins 2005, fa.wachter's closed form)
    V1 = fa.haar_unitary("V1", shape=(1, 3))
    V2 = fa.haar_unitary("V2", shape=(2, 3))
    p, q = V1.H * V1, V2.H * V2
    ref = fa.wachter(R(1, 3), R(2, 3)).moments(6)
    assert _moments(p * q * p, 6) == ref
    # on the 1 block: V1 q V1* has the law of p q p in (pAp, tau/(1/3))
    assert _moments(V1 * q * V1.H, 6) == [3 * m for m in ref]


def test_isometry_times_gaussian_is_gaussian():
    # V (1, 3) has orthonormal rows, G (3, 2) is unitarily invariant: V G is a (1, 2) Gaussian
    # matrix, so V G G* V* is free Poisson with rate 2 and jump v (Marchenko-Pastur 1967)
    V = fa.haar_unitary("V", shape=(1, 3))
    G = fa.gaussian("G", shape=(3, 2), variance=R(1, 2))
    assert _moments(V * G * G.H * V.H, 6) == fa.free_poisson(2, R(1, 2)).moments(6)


def test_isometry_compression_of_a_square_law():
    # V B V* for V (2, 3) is the free compression by 2/3 of law(B) (Nica-Speicher 1996)
    V = fa.haar_orthogonal("V", shape=(2, 3))
    B = fa.selfadjoint("B", fa.discrete([1, 3]), dim=3)
    assert _moments(V * B * V.H, 6) == fa.free_compression(fa.discrete([1, 3]),
                                                           R(2, 3)).moments(6)


def test_square_haar_on_one_block_of_several():
    # u + u* on the 2 block is arcsine on [-2, 2]; X (u + u*) X* equals X B X* with B of that law
    u = fa.haar_unitary("u", shape=(2, 2))
    X = fa.gaussian("X", shape=(1, 2))
    B = fa.selfadjoint("B", fa.arcsine(-2, 2), dim=2)
    assert _moments(X * (u + u.H) * X.H, 6) == _moments(X * B * X.H, 6)


def test_formal_cumulants_and_detection():
    assert [formal_haar_cumulant(n, 1) for n in range(1, 7)] == [0, 1, 0, -1, 0, 2]
    assert formal_haar_cumulant(4, R(1, 2)) == -8
    V = fa.haar_unitary("V", shape=(1, 2))
    assert needs_haar_lowering(V.H * V)
    assert not needs_haar_lowering(fa.haar_unitary("u", shape=(2, 2)) * 3)


def _haar_rows(rng, rows, cols):
    """A rows x cols complex matrix with orthonormal rows (rows <= cols), Haar distributed."""
    Z = rng.standard_normal((cols, rows)) + 1j * rng.standard_normal((cols, rows))
    Q, Rr = np.linalg.qr(Z)
    Q = Q * (np.diag(Rr) / np.abs(np.diag(Rr)))
    return Q.conj().T


def _mc_moments(rng, N, T):
    samples = []
    for _ in range(T):
        v1, v2 = _haar_rows(rng, N, 3 * N), _haar_rows(rng, 2 * N, 3 * N)
        g = (rng.standard_normal((3 * N, 2 * N)) + 1j * rng.standard_normal((3 * N, 2 * N))) \
            / np.sqrt(2 * N)
        z = v1 @ (g @ g.conj().T + v2.conj().T @ v2) @ v1.conj().T
        ev = np.linalg.eigvalsh(z)
        samples.append([np.mean(ev**k) for k in range(1, 4)])
    return np.array(samples)


def test_mixed_word_against_monte_carlo():
    # Z = V1 (G G* + V2* V2) V1* on the 1 block, three block dimensions 1, 2, 3
    V1 = fa.haar_unitary("V1", shape=(1, 3))
    V2 = fa.haar_unitary("V2", shape=(2, 3))
    G = fa.gaussian("G", shape=(3, 2), field="complex")
    Z = V1 * (G * G.H + V2.H * V2) * V1.H
    exact = [float(m) for m in _moments(Z, 3)]
    rng = np.random.default_rng(7)
    N, T = 60, 12
    with blas_threads(1):
        S = _mc_moments(rng, N, T)
    mean, se = S.mean(0), S.std(0, ddof=1) / np.sqrt(T)
    # fluctuations of (1/N) Tr are O(1/N) (se measures them); the bias of unitarily invariant
    # ensembles is O(1/N^2): 50 |m_k| / N^2 bounds it generously at N = 60
    tol = 6 * se + 50 * np.abs(exact) / N**2
    assert np.all(np.abs(mean - exact) < tol), (mean, exact, tol)
    # wrong-model control: V1 replaced by a Gaussian (1, 3) of the same V1 V1* mean (variance
    # 1/3) gives other moments, which the same Monte Carlo rejects
    Xw = fa.gaussian("Xw", shape=(1, 3), variance=R(1, 3), field="complex")
    wrong = [float(m) for m in _moments(Xw * (G * G.H + V2.H * V2) * Xw.H, 3)]
    assert abs(mean[1] - wrong[1]) > 3 * tol[1]


@pytest.mark.parametrize("shape", [(1, 2), (2, 1)])
def test_square_results_on_their_own_block(shape):
    V = fa.haar_unitary("V", shape=shape)
    A = fa.selfadjoint("A", fa.discrete([0, 2]), dim=shape[1])
    # V A V*: p <= q compression (Nica-Speicher 1996) or, for p > q, the zero padding
    # (1 - q/p) delta_0 + (q/p) law(A) (V* V = 1)
    r, c = shape
    t = R(r, c)
    ref = (fa.free_compression(fa.discrete([0, 2]), t) if r < c else
           fa.mixture([fa.dirac(0), fa.discrete([0, 2])], [1 - 1 / t, 1 / t]))
    assert _moments(V * A * V.H, 5) == ref.moments(5)
