"""Divergent lower edges located exactly, with an error bound from G and G' below the edge.

The bound (freealg.numeric.corners.divergent_lower_edge): for a law supported in [a, inf) and
x < a, f_1 = int dmu/(t - x) <= 1/(a - x) and f_2 = int dmu/(t - x)^2 <= f_1/(a - x), so
a <= x + min(1/f_1, f_1/f_2), with f_1 = |G(x)|, f_2 = |G'(x)|.

References:

* Marchenko-Pastur / free Poisson (Nica-Speicher, Lectures on the Combinatorics of Free
  Probability, LMS LN 335, Prop. 12.11): rate 1 has density sqrt((4 - t) t)/(2 pi t) on [0, 4],
  ~ 1/(pi sqrt t) at 0 (exponent -1/2); rate lam >= 1 lives on [(1 - sqrt lam)^2,
  (1 + sqrt lam)^2]. Free Poisson laws of the same jump add their rates under ⊞ (their free
  cumulants are all lam), and x^2 of a standard semicircular x is free Poisson(1), so
  x^2 + y^2 + w^2 + u^2 (free semicirculars) is free Poisson(4) on [1, 9].
* Singular values of c + a (c circular of variance 1): the Haagerup-type closed forms derived
  in tests/test_corners.py from Biane's boundary (Biane 1997, with the hermitization of
  Belinschi-Sniady-Speicher 2018): with s = sqrt(1 + 8 a^2) the squared edges are
  lambda_pm = (s +- 3)^3 / (8 (s +- 1)) for a >= 1; lambda_- = 0 exactly at a = 1, where the
  density of |c + 1|^2 diverges like t^{-1/3}. |2 c + 2 a|^2 = 4 |c + a|^2.
"""

from __future__ import annotations

import time

import mpmath
import pytest
import sympy as sp

import freealg as fa
from freealg.numeric.corners import divergent_lower_edge


def _lam(a):
    s = sp.sqrt(1 + 8 * sp.nsimplify(a) ** 2)
    return (s - 3) ** 3 / (8 * (s - 1)), (s + 3) ** 3 / (8 * (s + 1))


def _gram_law(a):
    """The law of |2 c + 2 a|^2 by the linearization (operator-valued, a 5 x 5 pencil)."""
    c = fa.circular("c")
    T = 2 * c + 2 * sp.nsimplify(a)
    return fa.spectrum(T * T.H, dps=30).law


def test_free_poisson_lower_edge_zero_with_bound():
    loc, err, alpha = divergent_lower_edge(fa.free_poisson(1), 0, mpmath.mpf("0.01"), 30)
    assert loc == 0 and 0 < err <= mpmath.mpf(10) ** -30      # the true edge is 0
    assert alpha == sp.Rational(-1, 2)                          # 1/(pi sqrt t)


def test_no_divergence_no_claim():
    # free Poisson(4): the edge is 1 (soft); G stays finite at 1 - d and at 0 - d
    law = fa.free_poisson(4)
    assert divergent_lower_edge(law, 1, mpmath.mpf("0.01"), 30) is None
    assert divergent_lower_edge(law, 0, mpmath.mpf("0.01"), 30) is None


def test_critical_gram_lower_edge_is_zero():
    law = _gram_law(1)
    t0 = time.perf_counter()
    loc, err, alpha = divergent_lower_edge(law, 0, mpmath.mpf("1e-3"), 30)
    assert time.perf_counter() - t0 < 60
    assert _lam(1)[0] == 0                                      # the closed form: exactly 0
    assert loc == 0 and 0 < err <= mpmath.mpf(10) ** -25
    assert alpha == sp.Rational(-1, 3)                          # density ~ t^(-1/3)


def test_near_critical_gram_is_not_zero():
    # a = 21/20: the lower edge 4 lambda_-(a) ~ 5.6e-4 > 0, a soft edge; no claim at 0
    a = sp.Rational(21, 20)
    assert 5e-4 < float(4 * _lam(a)[0]) < 6e-4
    assert divergent_lower_edge(_gram_law(a), 0, mpmath.mpf("1e-4"), 30) is None


@pytest.mark.slow
def test_gram_edges_at_the_critical_size():
    # (about a minute on a loaded machine: the float64 scan and the mass audit)
    sol = fa.spectrum((2 * fa.circular("c") + 2) * (2 * fa.circular("c") + 2).H, dps=30)
    lower, upper = sol.edges()
    assert (lower.location, lower.kind, lower.side) == (0, "hard", "left")
    assert 0 < lower.error <= 1e-25 and lower.exponent == sp.Rational(-1, 3)
    assert float(4 * _lam(1)[1]) == 27.0
    with mpmath.workdps(40):
        assert abs(upper.location - 27) <= upper.error < 1e-25
    assert upper.kind == "soft"


@pytest.mark.slow
def test_gram_edges_off_the_critical_size():
    # control: a = 2, lower edge 4 lambda_-(2) > 0 (soft), not 0
    c = fa.circular("c")
    T = 2 * c + 4
    lower, upper = fa.spectrum(T * T.H, dps=30).edges()
    lo, hi = (4 * v for v in _lam(2))
    with mpmath.workdps(40):
        assert abs(lower.location - mpmath.mpf(sp.N(lo, 40))) <= lower.error < 1e-25
        assert abs(upper.location - mpmath.mpf(sp.N(hi, 40))) <= upper.error < 1e-25
    assert lower.location != 0 and lower.kind == "soft"


@pytest.mark.slow
def test_fold_newton_on_a_pencil_beyond_the_old_cap():
    # x^2 + y^2 + w^2 + u^2 by linearization: k = 9 (81 matrix unknowns, refused before),
    # 10 coordinates of the covariance image; free Poisson(4): right edge (1 + 2)^2 = 9
    from freealg.numeric.fold import _Reduced, fold_edge

    xs = [fa.semicircular(n) for n in "xywu"]
    prob = fa.compile(sum(v ** 2 for v in xs), method="linearization").law._problem()
    assert prob.k == 9 and _Reduced(prob).r == 10
    x, err = fold_edge(prob, 9.0001, 20)
    assert abs(x - 9) <= err < 1e-18
