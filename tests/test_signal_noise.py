"""Rectangular deterministic generators (fa.deterministic) and the information-plus-noise law of
(A + sigma Z)(A + sigma Z)^T.

Conventions: a generator of shape (r, k) is an (rN) x (kN) matrix; a Gaussian one has entries of
variance v/N; a deterministic one is given by the law mu of its min(r, k) N squared singular
values; laws and traces are normalised on the expression's own block.
"""

from __future__ import annotations

import importlib.util

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, ReductionError
from _references import continued_root, stieltjes_agrees

R = sp.Rational
HAAR_BLOCKS = importlib.util.find_spec("freealg.algebra.haar_blocks") is not None


# ---------------------------------------------------------------------------------------------
# references written here, independently of the library


def ds_stieltjes(z, r, k, s2, H_points, H_weights, dps):
    """m(z) = tau_r((M M^T - z)^-1) for M = A + sigma Z of shape (r, k), Z with entries of
    variance v/N, s2 = sigma^2 v, H = law_r(A A^T) (atoms H_points, weights H_weights).

    Dozier-Silverstein 2007 (J. Multivariate Anal. 98, Theorem 1.1): for
    C = (1/n)(R + s X)(R + s X)^* with R, X of size p x n, X iid variance 1, p/n -> c and
    (1/n) R R^* -> H,
        m = int dH(t) / (t/(1 + s^2 c m) - (1 + s^2 c m) z + s^2 (1 - c)).
    Here p = rN, n = kN, M = (1/n)^(1/2) (sqrt(n) A + sigma sqrt(k) Y) with Y iid of variance
    v: c = r/k, s^2 = sigma^2 v k, H = law_r(A A^T). Newton's method in mpmath, continued
    from z + 10i down to z."""
    with mpmath.workdps(dps):
        c = mpmath.mpf(r) / k
        sd = mpmath.mpf(s2) * k
        ts = [mpmath.mpf(t) for t in H_points]
        ws = [mpmath.mpf(w) for w in H_weights]

        def F(m, zz):
            a = 1 + sd * c * m
            return m - sum(w / (t / a - a * zz + sd * (1 - c)) for t, w in zip(ts, ws))

        return continued_root(F, z, dps)


def one_value_moments(a, r, k, s2):
    """m_1, m_2 of tau_r for M = A + sigma Z, r <= k, all squared singular values of A equal
    to a, s2 = sigma^2 v. Leading-order Wick expansion of tau_r(M M^T) and tau_r((M M^T)^2):
    only words pairing Z with Z^T survive; E Z B Z^T = v k tau_k(B) on the r block,
    E Z^T B Z = v r tau_r(B) on the k block, tau_r(A A^T) = a, and tau_r((Z Z^T)^2) is the second
    moment of free Poisson(k/r, v r), v^2 (r k + k^2) (Marchenko-Pastur 1967):
        m_1 = a + s2 k,
        m_2 = a^2 + 2 s2 a (k + r) + s2^2 (r k + k^2)."""
    return a + s2 * k, a**2 + 2 * s2 * a * (k + r) + s2**2 * (r * k + k**2)


# ---------------------------------------------------------------------------------------------
# the generator


def test_deterministic_gram_laws_trace_and_rank_atom():
    mu = fa.discrete([1, 4])
    A = fa.deterministic("A", mu, shape=(1, 2))          # N squared singular values
    assert A.shape == (1, 2) and A.H.shape == (2, 1)
    assert fa.spectrum(A * A.H).law == mu
    # A^T A on the 2 block: rank N of 2N, the atom 1/2 at 0 exact
    law = fa.spectrum(A.H * A).law
    assert law.atoms()[0].location == 0 and law.atoms()[0].mass == R(1, 2)
    assert law.moments(3) == [R(5, 4), R(17, 4), R(65, 4)]     # (1/2) (1 + 4^n) / 2
    # exact trace on one block: B = U h W^T (Haar-rotated), B B^T ~ mu
    B = fa.deterministic("B", mu)
    assert [fa.trace((B * B.H)**n) for n in (1, 2, 3)] == [R(5, 2), R(17, 2), R(65, 2)]
    # Haar rotation makes B R-diagonal: tau(B B) = 0, tau(B B^T B^T B) = tau(B B^T)^2
    assert fa.trace(B * B) == 0 and fa.trace(B * B.H * B.H * B) == R(25, 4)


@pytest.mark.skipif(not HAAR_BLOCKS, reason="needs the exact trace of Haar isometries on "
                    "several block dimensions")
def test_deterministic_trace_on_several_blocks():
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    assert fa.trace(A * A.H) == R(5, 2)
    assert fa.trace((A.H * A)**2) == R(17, 4)


def test_deterministic_sample_has_the_fixed_singular_values():
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    ev = np.sort(fa.sample(A.H * A, n=100, seed=3))
    assert ev.shape == (200,)
    # 100 zeros (rank), 50 ones and 50 fours, to round-off
    assert np.allclose(ev, np.repeat([0.0, 1.0, 4.0], [100, 50, 50]), atol=1e-9)


def test_deterministic_bad_input():
    with pytest.raises(InvalidParameterError, match="squared singular values"):
        fa.deterministic("A", fa.semicircle(1), shape=(1, 2))
    with pytest.raises(InvalidParameterError, match="freealg Law"):
        fa.deterministic("A", [1, 2], shape=(1, 2))
    with pytest.raises(InvalidParameterError):
        fa.deterministic("A", fa.dirac(1), shape=(0, 2))
    A = fa.deterministic("A", fa.free_poisson(1), shape=(1, 2))     # not finite atomic
    Z = fa.gaussian("Z", shape=(1, 2))
    with pytest.raises(ReductionError, match="finite atomic"):
        fa.compile((A + Z) * (A + Z).H)


# ---------------------------------------------------------------------------------------------
# information plus noise


@pytest.mark.parametrize("r, k, s2", [
    (2, 2, 1), (1, 2, R(1, 4)),
    # the tall case: a mixture with the rank atom (4 s, mostly the dps = 30 solves)
    pytest.param(2, 1, R(1, 2), marks=pytest.mark.slow)])
def test_signal_plus_noise_against_dozier_silverstein(r, k, s2):
    mu = fa.discrete([1, 4], [R(1, 3), R(2, 3)])
    A = fa.deterministic("A", mu, shape=(r, k))
    Z = fa.gaussian("Z", shape=(r, k), variance=s2)
    M = A + Z
    sol = fa.spectrum(M * M.H)
    assert [st.rule for st in sol.system.steps] == ["information plus noise"]
    # H = law_r(A A^T): mu padded with the rank atom when r > k
    m = min(r, k)
    pts, wts = [1, 4], [R(1, 3) * m / r, R(2, 3) * m / r]
    if m < r:
        pts, wts = pts + [0], wts + [1 - R(m, r)]
    with mpmath.workdps(30):
        for z in (mpmath.mpc("2.5", "0.4"), mpmath.mpc("6", "1e-2"), mpmath.mpc("-1", "1")):
            ref = ds_stieltjes(z, r, k, s2, pts, wts, 30)
            G = sol.cauchy(z, dps=30)                   # G = -m
            assert abs(G + ref) < mpmath.mpf(10) ** -20, (z, G, ref)
        # the displayed equations hold at the solved values
        assert sol.system.residual(mpmath.mpc("2", "0.5"), dps=30) < mpmath.mpf(10) ** -20
    # first moment by hand: tau_r(A A^T) + sigma^2 v k
    assert sol.law.moments(1)[0] == R(3) * m / r + s2 * k


@pytest.mark.parametrize("r, k", [(1, 2), (2, 1)])
def test_signal_plus_noise_atoms(r, k):
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(r, k))
    Z = fa.gaussian("Z", shape=(r, k), variance=R(1, 4))
    sol = fa.spectrum((A + Z) * (A + Z).H)
    if r > k:                              # the rank atom 1 - k/r, exact
        (atom,) = sol.atoms()
        assert atom.location == 0 and atom.mass == 1 - R(k, r) and atom.error == 0
    else:                                  # sigma > 0: no atoms
        assert sol.atoms() == []


def test_signal_plus_noise_moments_one_singular_value():
    a, s2 = 3, R(1, 2)
    for r, k in ((2, 2), (1, 2), (2, 3)):
        A = fa.deterministic("A", fa.dirac(a), shape=(r, k))
        Z = fa.gaussian("Z", shape=(r, k), variance=s2)
        law = fa.spectrum((A + Z) * (A + Z).H).law
        assert law.moments(2) == list(one_value_moments(a, R(r), R(k), s2)), (r, k)


def test_signal_plus_noise_moments_equal_the_exact_trace():
    # square (one block): fa.trace expands A = U h W^T, an independent route to the moments
    A = fa.deterministic("A", fa.discrete([0, 1, 4]), shape=(2, 2))
    Z = fa.gaussian("Z", shape=(2, 2), variance=R(1, 3))
    M = A + Z
    law = fa.spectrum(M * M.H).law
    assert law.moments(4) == [fa.trace((M * M.H)**n) for n in range(1, 5)]


def test_signal_plus_noise_scaled_and_written_transposed():
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    Z = fa.gaussian("Z", shape=(1, 2))
    base = fa.spectrum((A + Z / 2) * (A + Z / 2).H)
    scaled = fa.spectrum((2 * A + Z) * (2 * A + Z).H)              # 4 (A + Z/2)(A + Z/2)^T
    assert scaled.law.moments(3) == [4**n * m for n, m in enumerate(base.law.moments(3), 1)]
    z = np.array([3 + 0.5j, 1 + 1j])                      # float64: G_{4X}(4z) = G_X(z)/4
    gb = base.law.cauchy(z)
    assert np.max(np.abs(scaled.law.cauchy(4 * z) - gb / 4)) < 1e-12
    # M^T M on the 2 block = (1/2) delta_0 + (1/2) law(M M^T)
    tr = fa.spectrum((A + Z / 2).H * (A + Z / 2))
    assert tr.law.moments(3) == [m / 2 for m in base.law.moments(3)]
    assert np.max(np.abs(tr.law.cauchy(z) - (1 / (2 * z) + gb / 2))) < 1e-12


def test_signal_plus_noise_scaled_and_transposed_moments():
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    Z = fa.gaussian("Z", shape=(1, 2))
    base = fa.spectrum((A + Z / 2) * (A + Z / 2).H).law.moments(4)
    scaled = fa.spectrum((2 * A + Z) * (2 * A + Z).H).law.moments(4)
    assert scaled == [4**n * m for n, m in enumerate(base, 1)]
    tr = fa.spectrum((A + Z / 2).H * (A + Z / 2)).law.moments(4)
    assert tr == [m / 2 for m in base]          # the 2 block: rank N of 2N
    # and the first two against the hand formula (one_value_moments needs one singular
    # value: average it over the two, which m_1 and m_2 allow since they are affine in
    # tau(A A^T) and tau((A A^T)^2) at fixed noise)
    a1, a2 = R(5, 2), R(17, 2)                  # tau(A A^T), tau((A A^T)^2)
    s2, r, k = R(1, 4), 1, 2
    assert base[:2] == [a1 + s2 * k, a2 + 2 * s2 * a1 * (k + r) + s2**2 * (r * k + k**2)]


def test_signal_plus_noise_scaled_system_residual():
    A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    Z = fa.gaussian("Z", shape=(1, 2))
    scaled = fa.spectrum((2 * A + Z) * (2 * A + Z).H)
    assert scaled.system.residual(mpmath.mpc(3, "0.5"), dps=30) < mpmath.mpf(10) ** -20


POINTS = ((1, 1), (4, 1), (9, 1), (12, "0.5"))


@pytest.mark.slow
def test_signal_plus_noise_against_monte_carlo():
    # Monte Carlo N = 200, 2 trials, against the Cauchy transform at four points (tolerance
    # derived from N above); wrong-model control: law(A A^T) ⊞ sigma^2 MP (adding the Gram
    # matrices as if free) must be rejected
    mu = fa.discrete([1, 9])
    A = fa.deterministic("A", mu, shape=(1, R(3, 2)))
    Z = fa.gaussian("Z", shape=(1, R(3, 2)))
    M = A + Z
    ev = np.asarray(fa.sample(M * M.H, n=200, seed=4, trials=2))
    assert ev.shape == (400,)
    sol = fa.spectrum(M * M.H)
    assert stieltjes_agrees(lambda z: sol.cauchy(z), ev, 200, POINTS)
    wrong = fa.free_additive(mu, fa.free_poisson(R(3, 2), 1))
    assert not stieltjes_agrees(lambda z: wrong.cauchy(z), ev, 200, POINTS)
