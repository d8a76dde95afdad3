"""The density of the nested Fisher-information law at depth L = 20.

H_1 = 1, H_{l+1} = 1 + 2 W_{l+1} D_l H_l D_l W_{l+1}^T (Haar orthogonal W, free projections D
of trace 1/2): the per-sample Fisher dual of a critical ReLU network (Hayase-Karakida 2021,
arXiv:2006.07814), written by hand and through fa.nn. The compiled law is a chain of L - 2
compressions / products (law(p) ⊠ law(q + X)) and shifts, so its density costs O(L) per point
(a few seconds for 200 points at L = 20; it never finished before: the law tree's parameter
walk doubled at each level).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.algebra import NCPoly

L = 20


def _hand(depth: int) -> NCPoly:
    H = NCPoly.constant(1)
    for l in range(1, depth):
        W = fa.haar_orthogonal(f"W{l + 1}")
        D = fa.projection(f"D{l}", sp.Rational(1, 2))
        H = 1 + 2 * W * D * H * D * W.H
    return H


def _mc(depth: int, N: int, seed: int, free: bool = True) -> np.ndarray:
    """Eigenvalues of the N x N recursion: Haar W from the QR of a Gaussian matrix with the
    signs of R fixed, D diagonal with N/2 ones at random places. ``free=False``: W = 1 (the
    D_l commute with H_l: classical independence instead of freeness, the same mean L)."""
    rng = np.random.default_rng(seed)
    H = np.eye(N)
    for _ in range(1, depth):
        d = np.zeros(N)
        d[rng.permutation(N)[:N // 2]] = 1
        inner = d[:, None] * H * d[None, :]
        if free:
            Q, R = np.linalg.qr(rng.standard_normal((N, N)))
            W = Q * np.sign(np.diag(R))
            inner = W @ inner @ W.T
        H = np.eye(N) + 2 * inner
    return np.linalg.eigvalsh(H)


# bins inside the band (3, lambda_max ~ 425.65), Gauss-Legendre in log x on each
EDGES = np.array([3.5, 6.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0])


def _bin_masses(law) -> np.ndarray:
    u, wts = np.polynomial.legendre.leggauss(25)
    lo, hi = np.log(EDGES[:-1]), np.log(EDGES[1:])
    x = np.exp((lo + hi)[:, None] / 2 + (hi - lo)[:, None] / 2 * u[None, :])
    d = law.density(x.ravel()).reshape(x.shape)          # 175 points in one call
    assert np.all(np.isfinite(d)) and np.all(d > 0)
    return np.sum(d * x * wts[None, :], axis=1) * (hi - lo) / 2


@pytest.mark.slow
def test_density_at_L20_hand_written_equals_nn():
    hand = fa.compile_expr(_hand(L)).law
    net = fa.nn.MLP(depth=L, activation="relu").fisher_system().law
    x = np.array([2.0, 2.9, 3.5, 10.0, 50.0, 200.0, 400.0, 430.0])
    a, b = hand.density(x), net.density(x)
    assert np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-9, atol=1e-13)
    # (1, 3) is a gap and lambda_max = 425.65... (fa.nn's closed-form curve, method='curve')
    lam = float(fa.nn.MLP(depth=L, activation="relu").lambda_max(method="curve"))
    assert 425 < lam < 426
    assert a[0] == 0 and a[1] == 0 and a[-1] == 0 and np.all(a[2:-1] > 0)


@pytest.mark.slow
def test_density_at_L20_against_monte_carlo():
    """Bin masses of the density against the eigenvalue fractions of one N = 400 sample.
    Tolerance per bin: 4 binomial standard errors sqrt(p (1 - p)/N) (the eigenvalue count of
    an orthogonally invariant model fluctuates less than that of N independent points) plus
    a finite-N bias of one O(1/N) term per layer, 3 L p/N (as for the moments in
    test_nested_recursions). The exact atom 1/2 at 1 (rank of D) is checked as well. The
    control, the same recursion with commuting D_l and H_l (W = 1: classical independence;
    the same mean tau(H) = L), puts its mass at 2^k - 1 only and must fail."""
    N = 400
    law = fa.compile_expr(_hand(L)).law
    p = _bin_masses(law)
    tol = 4 * np.sqrt(p * (1 - p) / N) + 3 * L * p / N
    ev = _mc(L, N, seed=1)
    f = np.histogram(ev, bins=EDGES)[0] / N
    assert np.all(np.abs(f - p) <= tol), (f, p, tol)
    assert abs(np.mean(np.abs(ev - 1) < 1e-8) - 0.5) < 1e-12
    assert [(a.location, a.mass) for a in law.atoms()] == [(1, sp.Rational(1, 2))]
    ctrl = np.histogram(_mc(L, N, seed=1, free=False), bins=EDGES)[0] / N
    assert np.any(np.abs(ctrl - p) > tol)
