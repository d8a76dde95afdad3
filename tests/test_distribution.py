"""scipy.stats habits on every law: cdf, ppf, rvs, interval, median, mean/var/std, entropy.

Every number is checked against an independent reference: a closed-form CDF, exact moments, a
closed form of the free entropy, a double integral computed here by another method, or the
Kolmogorov distribution (KS test with a fixed seed and a wrong-law control).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.stats
import sympy as sp

import freealg as fa
from freealg.errors import FreeAlgError, InvalidParameterError
from freealg.numeric.distribution import LawArithmeticError

R = sp.Rational
Q = [0.01, 0.2, 0.5, 0.77, 0.99]


def semicircle_cdf(x, v=1):
    # F(x) = 1/2 + x sqrt(4v - x^2) / (4 pi v) + asin(x / (2 sqrt v)) / pi on [-2 sqrt v, 2 sqrt v]
    # (integral of the semicircle density sqrt(4v - x^2) / (2 pi v))
    r = 2 * mpmath.sqrt(v)
    return mpmath.mpf(1) / 2 + x * mpmath.sqrt(r**2 - x**2) / (2 * mpmath.pi * r**2 / 2) \
        + mpmath.asin(x / r) / mpmath.pi


# --------------------------------------------------------------------------------------------
# cdf against closed forms


def test_semicircle_cdf_closed_form_mp():
    mu = fa.semicircle(1)
    with mpmath.workdps(40):
        for x in ("-1.9", "-0.3", "0", "1", "1.99"):
            F, err = mu.cdf(x, dps=30, full_output=True)
            exact = semicircle_cdf(mpmath.mpf(x))
            assert abs(F - exact) <= err + mpmath.mpf(10) ** -30
            assert err < 1e-20


def test_arcsine_cdf_closed_form():
    # arcsine on [0, 1]: F(x) = (2/pi) asin(sqrt x)
    mu = fa.arcsine(0, 1)
    with mpmath.workdps(40):
        for x in ("0.001", "0.25", "0.6", "0.999"):
            F, err = mu.cdf(x, dps=30, full_output=True)
            exact = 2 / mpmath.pi * mpmath.asin(mpmath.sqrt(mpmath.mpf(x)))
            assert abs(F - exact) <= err + mpmath.mpf(10) ** -30
    xs = np.linspace(-0.5, 1.5, 41)
    exact = np.where(xs <= 0, 0, np.where(xs >= 1, 1,
                     2 / np.pi * np.arcsin(np.sqrt(np.clip(xs, 0, 1)))))
    assert np.max(np.abs(mu.cdf(xs) - exact)) < 1e-13
    # arcsine on [-1, 1] (hard edges away from 0): F(x) = 1/2 + asin(x)/pi
    xs = np.linspace(-0.999, 0.999, 31)
    assert np.max(np.abs(fa.arcsine(-1, 1).cdf(list(xs)) - (0.5 + np.arcsin(xs) / np.pi))) \
        < 1e-13


def test_semicircle_cdf_array_and_list():
    mu = fa.semicircle(2)
    xs = np.linspace(-3, 3, 61)
    exact = [float(semicircle_cdf(mpmath.mpf(x), 2)) if abs(x) < 2 * math.sqrt(2)
             else float(x > 0) for x in xs]
    assert np.max(np.abs(mu.cdf(xs) - exact)) < 1e-13
    assert isinstance(mu.cdf(list(xs)), np.ndarray)


def test_atoms_are_jumps():
    # free Poisson of rate 1/2: mass 1/2 at 0 (1 - rate), band [(1 - sqrt(1/2))^2, ...]
    mu = fa.free_poisson(R(1, 2))
    assert mu.cdf(-1e-9) == 0
    assert abs(mu.cdf(0) - mpmath.mpf(1) / 2) < 1e-30
    lo = (1 - math.sqrt(0.5)) ** 2
    assert mu.cdf([lo - 1e-9])[0] == 0.5
    B = fa.bernoulli(R(1, 4))                   # masses 3/4 at 0, 1/4 at 1
    assert list(B.cdf([-1.0, 0.0, 0.5, 1.0])) == [0.0, 0.75, 0.75, 1.0]
    assert list(B.ppf([0.5, 0.75, 0.76, 1.0])) == [0.0, 0.0, 1.0, 1.0]


# --------------------------------------------------------------------------------------------
# ppf: cdf(ppf(q)) == q


@pytest.mark.parametrize("law", [fa.semicircle(1), fa.free_poisson(R(1, 2)),
                                 fa.wachter(R(1, 2), R(1, 3))], ids=["sc", "fp", "wachter"])
def test_cdf_ppf_scalar(law):
    atom = sum(float(a.mass) for a in law.atoms())
    for q in Q:
        if q <= atom:
            assert law.ppf(q) == 0                 # inside the jump of the atom at 0
            continue
        x, err = law.ppf(q, full_output=True)
        assert abs(law.cdf(x) - mpmath.mpf(q)) < 1e-10
        assert err < 1e-15


@pytest.mark.parametrize("law", [
    fa.free_additive(fa.semicircle(1), fa.free_poisson(1)),
    fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(2))], ids=["boxplus", "boxtimes"])
def test_cdf_ppf_composite(law):
    q = np.array(Q)
    assert np.max(np.abs(law.cdf(law.ppf(q)) - q)) < 1e-10
    # and the table reaches 1 through the bands: F(upper end) = 1, F(lower end) = 0
    lo, hi = law.ppf([0.0, 1.0])
    assert law.cdf([lo])[0] == 0 and abs(law.cdf([hi])[0] - 1) < 1e-12
    # the mean from the quantile function, int_0^1 ppf(q) dq, against the exact first moment
    if "boxtimes" in repr(law) or "free_multiplicative" in repr(law):
        return                                  # its density is slow in float64: no more
    nodes, weights = np.polynomial.legendre.leggauss(40)
    m1 = 0.5 * np.sum(weights * law.ppf(0.5 * (nodes + 1)))
    assert abs(m1 - float(law.mean())) < 1e-3


def test_ppf_closed_form_arcsine():
    # arcsine on [0, 1]: ppf(q) = sin^2(pi q / 2)
    mu = fa.arcsine(0, 1)
    q = np.linspace(0, 1, 21)
    assert np.max(np.abs(mu.ppf(q) - np.sin(np.pi * q / 2) ** 2)) < 1e-13
    with mpmath.workdps(40):
        x = mu.ppf(mpmath.mpf(1) / 3, dps=30)
        assert abs(x - mpmath.sin(mpmath.pi / 6) ** 2) < mpmath.mpf(10) ** -28


# --------------------------------------------------------------------------------------------
# rvs: Kolmogorov-Smirnov against the cdf


def test_rvs_ks_semicircle():
    x = fa.semicircle(1).rvs(2000, seed=12345)
    assert scipy.stats.kstest(x, fa.semicircle(1).cdf).pvalue > 0.01
    # a wrong law must be rejected (variance 2 instead of 1)
    assert scipy.stats.kstest(x, fa.semicircle(2).cdf).pvalue < 1e-6


def test_rvs_ks_with_atom():
    mu = fa.free_poisson(R(1, 2))
    x = mu.rvs(2000, seed=7)
    # the atom at 0 (mass 1/2): binomial count, 5 standard deviations
    assert abs(np.mean(x == 0) - 0.5) < 5 * math.sqrt(0.25 / 2000)
    cont = np.sort(x[x > 0])
    # continuous part: conditional cdf (F(x) - 1/2) / (1/2)
    assert scipy.stats.kstest(cont, lambda t: (mu.cdf(t) - 0.5) * 2).pvalue > 0.01
    # a wrong law: the same atom, the continuous part stretched by 3/2 (jump 3/2)
    assert scipy.stats.kstest(cont, lambda t: (fa.free_poisson(R(1, 2), R(3, 2)).cdf(t) - 0.5)
                              * 2).pvalue < 1e-6


def test_rvs_shapes_and_seed():
    mu = fa.semicircle(1)
    assert isinstance(mu.rvs(seed=1), float)
    assert mu.rvs((3, 4), seed=1).shape == (3, 4)
    assert mu.rvs(0).shape == (0,)
    np.testing.assert_array_equal(mu.rvs(5, seed=3), mu.rvs(5, seed=np.random.default_rng(3)))


# --------------------------------------------------------------------------------------------
# median, interval, mean/var/std


def test_median_interval_symmetric():
    for mu in (fa.semicircle(1), fa.arcsine(-1, 1), fa.semicircle(3, 2)):
        c = float(mu.mean())
        assert abs(mu.median() - c) < 1e-25
        lo, hi = mu.interval(0.9)
        assert abs((lo + hi) / 2 - c) < 1e-25
        assert abs(mu.cdf(hi) - mu.cdf(lo) - mpmath.mpf("0.9")) < 1e-20
    # arcsine on [-1, 1]: quantile sin(pi (q - 1/2)); interval(0.5) = -+ sin(pi/4)
    lo, hi = fa.arcsine(-1, 1).interval(0.5)
    with mpmath.workdps(40):
        assert abs(hi - mpmath.sqrt(2) / 2) < 1e-25


def test_mean_var_std_exact():
    # free Poisson(rate l, jump a): m1 = l a, m2 = l a^2 (1 + l) (Narayana), var = l a^2
    mu = fa.free_poisson(3, 2)
    assert mu.mean() == 6 and mu.var() == 12 and mu.std() == 2 * sp.sqrt(3)
    m1, m2 = mu.moments(2)
    assert mu.var() == m2 - m1**2
    # arcsine(a, b): mean (a + b)/2, variance (b - a)^2 / 8
    assert fa.arcsine(0, 2).var() == R(1, 2) and fa.arcsine(0, 2).std() == sp.sqrt(2) / 2


def test_deprecated_properties_warn_but_work():
    mu = fa.free_poisson(3, 2)
    with pytest.warns(FutureWarning, match=r"law\.mean\(\)"):
        assert mu.mean == 6
    with pytest.warns(FutureWarning, match=r"law\.var\(\)"):
        assert mu.variance + 1 == 13
    with pytest.warns(FutureWarning):
        assert float(mu.mean) == 6.0
    with pytest.warns(FutureWarning):
        assert sp.sympify(mu.variance) == 12
    with pytest.warns(FutureWarning):
        assert repr(mu.mean) == "6"
    with pytest.warns(FutureWarning):
        assert mu.variance() == 12                 # the method is var()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mu.mean() == 6                      # the new spelling does not warn


# --------------------------------------------------------------------------------------------
# free entropy


def _chi_const():
    return 0.75 + 0.5 * math.log(2 * math.pi)


def _chebyshev_energy(c, r, weight, nmax=80, K=4096):
    """int int log|s - t| dmu dmu for mu on [c - r, c + r] from the expansion
    log|cos a - cos b| = -log 2 - sum_n (2/n) cos(n a) cos(n b):
    I = log(r/2) - sum_n (2/n) E[T_n(u)]^2, with u = (x - c)/r = cos(theta) and
    E[T_n] = int_0^pi cos(n theta) weight(theta) dtheta (trapezoid rule on the periodic
    integrand, exponentially accurate)."""
    th = (np.arange(K) + 0.5) * np.pi / K
    wth = weight(th)
    total = math.log(r / 2)
    for n in range(1, nmax):
        e = np.sum(np.cos(n * th) * wth) * np.pi / K
        total -= 2 / n * e**2
    return total


def test_entropy_semicircle_closed_form():
    # chi(sigma_v) = log(2 pi e v) / 2 (Voiculescu 1993)
    for v in (1, 3, R(1, 4)):
        assert abs(fa.semicircle(v).entropy() - 0.5 * math.log(2 * math.pi * math.e * v)) < 1e-10
    # the Chebyshev energy of the semicircle on [-2, 2] is -1/4: the constant 3/4 + log(2 pi)/2
    # then gives log(2 pi e)/2
    I = _chebyshev_energy(0, 2, lambda t: 2 / np.pi * np.sin(t) ** 2)
    assert abs(I + 0.25) < 1e-12


def test_entropy_arcsine_and_free_poisson_independent():
    # arcsine on [a, b]: the equilibrium measure of the segment, energy log((b - a)/4)
    # (capacity of a segment = length/4, Ransford, Potential Theory in the Complex Plane, 5.3)
    for a, b in ((-1, 1), (0, 1), (2, 5)):
        chi = fa.arcsine(a, b).entropy()
        assert abs(chi - (math.log((b - a) / 4) + _chi_const())) < 1e-9
    # free Poisson rate 4: support [1, 9], density sqrt((9 - x)(x - 1)) / (2 pi x); with
    # x = 5 + 4 cos(theta): dmu = 8 sin^2(theta) / (pi (5 + 4 cos theta)) dtheta
    I = _chebyshev_energy(5, 4, lambda t: 8 * np.sin(t) ** 2 / (np.pi * (5 + 4 * np.cos(t))))
    assert abs(fa.free_poisson(4).entropy() - (I + _chi_const())) < 1e-9


def test_entropy_atom_is_minus_infinity():
    assert fa.free_poisson(R(1, 2)).entropy() == -math.inf
    assert fa.bernoulli(R(1, 3)).entropy() == -math.inf


# --------------------------------------------------------------------------------------------
# arithmetic and bad input


def test_arithmetic_is_not_defined():
    mu, nu = fa.semicircle(1), fa.free_poisson(1)
    for op in (lambda: mu + nu, lambda: 2 * mu, lambda: mu * nu, lambda: mu - nu,
               lambda: mu / 2, lambda: sum([mu, nu])):
        with pytest.raises(LawArithmeticError, match="boxplus") as info:
            op()
        assert isinstance(info.value, TypeError) and isinstance(info.value, FreeAlgError)


def test_bad_input():
    mu = fa.semicircle(1)
    for q in (-0.1, 1.5, [0.5, 2.0], "x", float("nan")):
        with pytest.raises(InvalidParameterError):
            mu.ppf(q)
    for size in (-1, 2.5, (3, -1), True):
        with pytest.raises(InvalidParameterError):
            mu.rvs(size)
    with pytest.raises(InvalidParameterError):
        mu.rvs(3, seed="abc")
    for c in (0, 1, 1.5, -0.2, [0.5]):
        with pytest.raises(InvalidParameterError):
            mu.interval(c)
    with pytest.raises(InvalidParameterError):
        mu.cdf(1j)
    with pytest.raises(InvalidParameterError):
        mu.cdf(0.5, dps=0)


def test_fraction_reference_sanity():
    # the Narayana moments used in test_mean_var_std_exact, from the closed form
    # m_2 = l a^2 (1 + l) for free_poisson(l, a)
    assert Fraction(3 * 4 * 4) == 48 and fa.free_poisson(3, 2).moment(2) == 48


def test_mixture_with_jumps_inside_the_band():
    # 1/2 semicircle(1) + 1/2 uniform(-1, 1): the density jumps at -+1 inside [-2, 2];
    # F = 1/2 F_sc + 1/2 clip((x + 1)/2, 0, 1)
    mu = fa.mixture([fa.semicircle(1), fa.uniform(-1, 1)], [R(1, 2), R(1, 2)])
    with mpmath.workdps(40):
        for x in ("-1.5", "-0.5", "0.5", "1.2"):
            X = mpmath.mpf(x)
            exact = semicircle_cdf(X) / 2 + min(max((X + 1) / 2, 0), 1) / 2
            F, err = mu.cdf(x, dps=20, full_output=True)
            assert abs(F - exact) <= err + mpmath.mpf(10) ** -20
    xs = np.linspace(-1.9, 1.9, 21)
    exact = [float(semicircle_cdf(mpmath.mpf(x)) / 2) + min(max((x + 1) / 2, 0), 1) / 2
             for x in xs]
    assert np.max(np.abs(mu.cdf(xs) - exact)) < 1e-13


def test_symbolic_parameters_raise_undetermined():
    v = sp.Symbol("v", positive=True)
    for call in (lambda: fa.semicircle(v).cdf(0), lambda: fa.semicircle(v).ppf([0.5]),
                 lambda: fa.semicircle(v).entropy()):
        with pytest.raises(fa.UndeterminedError):
            call()
    assert fa.semicircle(v).var() == v            # the exact statistics stay symbolic


@pytest.mark.parametrize("law", [
    fa.free_additive(fa.semicircle(1), fa.free_poisson(1)),
    pytest.param(fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(2)),
                 marks=pytest.mark.slow)], ids=["boxplus", "boxtimes"])
def test_composite_scalar_cdf_two_methods(law):
    # laws with numerically found edges: a scalar F(x) comes from the Cauchy transform along
    # a vertical line (a contour integral, mpmath), the array F(x) from the float64 table of
    # the density integrated over the bands: two independent computations agree
    for q in (0.77,):
        x, err = law.ppf(q, dps=15, full_output=True)
        F, ferr = law.cdf(x, dps=15, full_output=True)
        assert abs(F - mpmath.mpf(q)) < 1e-10 and ferr < 1e-12
        assert abs(float(F) - law.cdf([float(x)])[0]) < 1e-12
