"""Compound Wishart matrices X^T A X with an indefinite A: the free compound Poisson law.

Conventions: X of shape (p, q) is a (pN) x (qN) Gaussian matrix with entries of variance v/N;
A is self-adjoint on the p block (any sign); laws are normalised on the q block.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.transforms.cumulants import moments_from_free_cumulants
from _references import mps_stieltjes, stieltjes_agrees

R = sp.Rational


def compound_poisson_moments(rate, jump_moments):
    """Free compound Poisson (Nica-Speicher Prop. 12.15): free cumulants kappa_n = rate m_n of
    the jump law; moments by the moment-cumulant formula."""
    return moments_from_free_cumulants([rate * m for m in jump_moments])


@pytest.mark.parametrize("p, q, v", [(1, R(3, 2), 1), (2, 1, R(1, 2))])
def test_indefinite_compound_wishart_against_mps(p, q, v):
    taus, weights = [-1, 2], [R(1, 2), R(1, 2)]
    lawA = fa.discrete(taus, weights)
    A = fa.selfadjoint("A", lawA, dim=p)
    X = fa.gaussian("X", shape=(p, q), variance=v)
    M = X.H * A * X
    sol = fa.spectrum(M)
    assert sol.system.steps[0].rule == "compound Poisson"
    with mpmath.workdps(30):
        for z in (mpmath.mpc("1.5", "0.3"), mpmath.mpc("-2", "1e-2"), mpmath.mpc("0.5", "2")):
            m = mps_stieltjes(z, p, q, v, taus, weights, 30)
            G = sol.cauchy(z, dps=30)                  # G = -m
            assert abs(G + m) < mpmath.mpf(10) ** -20, (z, G, m)
        assert sol.system.residual(mpmath.mpc("1", "0.5"), dps=30) < mpmath.mpf(10) ** -20
    # exact moments: rate p/q, jump law(v q A); and the exact trace (free cumulants of the
    # lowered square model), a third route
    jump = [sum(w * (v * q * t)**n for t, w in zip(taus, weights)) for n in range(1, 6)]
    ref = compound_poisson_moments(R(p) / q, jump)
    assert sol.law.moments(5) == ref
    assert [fa.trace(M**n) for n in range(1, 4)] == ref[:3]
    # the rank atom 1 - p/q at 0 (q > p), within its reported error; none when q <= p
    atoms = sol.atoms()
    if q > p:
        (atom,) = atoms
        assert atom.location == 0
        assert abs(atom.mass - (1 - R(p) / q)) <= atom.error
    else:
        assert atoms == []


def test_indefinite_compound_wishart_rate_above_one_and_atom_in_A():
    # X of shape (3, 2): rate 3/2 (two free copies, one padded); A with an atom at 0
    taus, weights = [-2, 0, 1], [R(1, 4), R(1, 4), R(1, 2)]
    A = fa.selfadjoint("A", fa.discrete(taus, weights), dim=3)
    X = fa.gaussian("X", shape=(3, 2))
    sol = fa.spectrum(X.H * A * X)
    jump = [sum(w * (2 * t)**n for t, w in zip(taus, weights)) for n in range(1, 5)]
    assert sol.law.moments(4) == compound_poisson_moments(R(3, 2), jump)
    with mpmath.workdps(30):
        z = mpmath.mpc("1", "0.5")
        m = mps_stieltjes(z, 3, 2, 1, taus, weights, 30)
        assert abs(sol.cauchy(z, dps=30) + m) < mpmath.mpf(10) ** -20


def test_positive_A_still_uses_the_product_rule():
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    X = fa.gaussian("X", shape=(1, 2))
    assert "compound Poisson" not in [st.rule for st in fa.compile(X.H * A * X).steps]


POINTS = ((-1, 1), (0.5, 1), (2, 1), (4, "0.5"))


@pytest.mark.slow
def test_indefinite_compound_wishart_against_monte_carlo():
    # Monte Carlo N = 200, 2 trials, against the Cauchy transform at four points (tolerance
    # derived from N above); wrong-model control: |A| in place of A (the positive jump law)
    A = fa.selfadjoint("A", fa.discrete([-1, 2]))
    X = fa.gaussian("X", shape=(1, R(3, 2)))
    ev = np.asarray(fa.sample(X.H * A * X, n=200, seed=7, trials=2))
    assert ev.shape == (600,)
    sol = fa.spectrum(X.H * A * X)
    assert stieltjes_agrees(lambda z: sol.cauchy(z), ev, 200, POINTS)
    Ab = fa.selfadjoint("Ab", fa.discrete([1, 2]))
    wrong = fa.spectrum(X.H * Ab * X)
    assert not stieltjes_agrees(lambda z: wrong.cauchy(z), ev, 200, POINTS)


@pytest.mark.slow
def test_semicircular_A_against_mps_with_a_density():
    # A semicircular (a law with a density, through its Cauchy transform in the linearization):
    # the MPS equation with H = law(v q A) integrated by quadrature here, to 1e-18 at dps = 20
    X = fa.gaussian("X", shape=(1, R(3, 2)))
    s = fa.semicircular("s", 1)
    M = X.H * s * X
    sol = fa.spectrum(M)
    assert sol.law.moments(4) == [fa.trace(M**n) for n in range(1, 5)]
    with mpmath.workdps(20):
        z = mpmath.mpc("0.5", "0.3")
        y, vq = mpmath.mpf(2) / 3, mpmath.mpf(3) / 2

        def integral(m):
            # int t/(1 + t m) dH(t), H = law(vq s), s with density sqrt(4 - u^2)/(2 pi)
            return mpmath.quad(lambda u: vq * u / (1 + vq * u * m)
                               * mpmath.sqrt(4 - u * u) / (2 * mpmath.pi), [-2, 0, 2])

        m = -1 / (z + 10j)
        for step in mpmath.linspace(10, 0, 21):
            zz = z + 1j * step
            m = mpmath.findroot(lambda mm, zz=zz: mm * (zz - y * integral(mm)) + 1, m)
        assert abs(sol.cauchy(z, dps=20) + m) < mpmath.mpf(10) ** -18
