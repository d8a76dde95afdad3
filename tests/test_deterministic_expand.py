"""Deterministic generators that no rectangular rule covers: the compiler writes A = U h W*
(Haar U, W; h of the symmetric square root of the squared-singular-value law) and hands the
expanded polynomial to its rules and the linearization.

References: the exact trace (fa.trace, the formal Haar lift of Nica-Speicher, Lectures on the
Combinatorics of Free Probability, Thm 14.10 / Prop 15.1) and a Monte Carlo of the real
matrices U S W^T (fa.sample) with a tolerance from N and a wrong-model control.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import ReductionError

R = sp.Rational


def test_square_deterministic_letter_compiles():
    # shape (1, 1): A A* = U S^2 U* has the law mu itself (the rectangular rules, not the
    # square rule compiler, which does not know the letter)
    mu = fa.discrete([1, 4])
    A = fa.deterministic("A", mu)
    assert fa.spectrum(A * A.H).law == mu
    assert fa.spectrum(A.H * A).law == mu
    s = fa.semicircular("s")
    law = fa.compile(A * A.H + s).law
    assert law.moments(4) == [fa.trace((A * A.H + s) ** k) for k in range(1, 5)]


def test_hermitian_part_by_expansion_matches_trace_and_monte_carlo():
    mu = fa.discrete([0, 4], [R(1, 2), R(1, 2)])
    A = fa.deterministic("A", mu)
    P = A + A.H
    system = fa.compile(P)
    assert system.steps[0].rule == "linearization"
    with pytest.raises(ReductionError):
        fa.compile(P, method="rules")
    # exact moments from the compiled law (its own recursion) agree with the formal Haar trace
    assert [sp.nsimplify(m) for m in system.law.moments(6)] == [fa.trace(P**k)
                                                                for k in range(1, 7)]
    zs = np.array([0.5 + 0.5j, 2 + 0.5j, 3.5 + 0.5j])
    G = np.array([complex(system.law.cauchy(z)) for z in zs])
    # Monte Carlo of the real U S W^T: |G_N - G| <= 2.3/N over seeds at N = 400 and 1600 (seen
    # here); the tolerance 8/N leaves a margin of 3
    N = 800
    ev = np.asarray(fa.sample(P, N, seed=11))
    G_mc = np.array([np.mean(1 / (z - ev)) for z in zs])
    assert np.max(np.abs(G_mc - G)) < 8 / N
    # wrong-model control: the semicircle of the same variance (a Gaussian A) must fail
    G_sc = np.array([complex(fa.semicircle(4).cauchy(z)) for z in zs])
    assert np.max(np.abs(G_mc - G_sc)) > 3 * 8 / N


def test_continuous_singular_values_without_a_rule_raise_clearly():
    B = fa.deterministic("B", fa.free_poisson(1))
    with pytest.raises(ReductionError, match="discrete law of squared singular values"):
        fa.compile(B + B.H)
