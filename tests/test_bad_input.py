"""Bad input gets a clear freealg error that names the offending parameter.

a check raises only when a condition is definitely false
(``InvalidParameterError``, a ``ValueError``); a condition that depends on a symbol is carried
symbolically, and ``UndeterminedError`` is raised only once a number is needed. Exceptions keep
their inputs as attributes.
"""

from __future__ import annotations

import re

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import FreeAlgError, InvalidParameterError, UndeterminedError

R = sp.Rational
v = sp.Symbol("v", positive=True)


def assert_invalid(fn, name, value=None):
    """fn() raises InvalidParameterError for parameter ``name``, named in the message."""
    with pytest.raises(InvalidParameterError) as info:
        fn()
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, FreeAlgError)
    assert err.name == name
    assert re.search(rf"\b{re.escape(name)}\b", str(err)), str(err)
    assert err.requirement and err.requirement in str(err)
    if value is not None:
        assert err.value == value or str(value) in str(err.value)
    return err


# --------------------------------------------------------------------------------------------
# variances, rates, intervals


@pytest.mark.parametrize("fn, name, value", [
    (lambda: fa.semicircle(0), "variance", 0),
    (lambda: fa.semicircle(-1), "variance", -1),
    (lambda: fa.semicircle(R(-1, 2), 3), "variance", R(-1, 2)),
    (lambda: fa.semicircle(-0.5), "variance", -0.5),
    (lambda: fa.marchenko_pastur(R(1, 2), variance=-1), "variance", -1),
    (lambda: fa.marchenko_pastur(R(1, 2), variance=0), "variance", 0),
    (lambda: fa.marchenko_pastur(0), "ratio", 0),
    (lambda: fa.free_poisson(0), "rate", 0),
    (lambda: fa.free_poisson(-2), "rate", -2),
    (lambda: fa.free_poisson(1, -1), "jump", -1),
    (lambda: fa.arcsine(2, 1), "b", 1),
    (lambda: fa.uniform(1, 1), "b", 1),
    (lambda: fa.semicircle(1, 1j), "mean", 1j),
    (lambda: fa.affine(fa.semicircle(1), 0), "scale", 0),
], ids=lambda x: x if isinstance(x, str) else None)
def test_invalid_scalar_parameters(fn, name, value):
    assert_invalid(fn, name, value)


def test_negative_symbol_is_surely_invalid():
    # three-valued check: a symbol declared negative is definitely not > 0
    assert_invalid(lambda: fa.semicircle(sp.Symbol("w", negative=True)), "variance")


def test_symbols_of_unknown_sign_are_accepted():
    # ... but one of unknown sign is carried symbolically (no error at construction)
    s = sp.Symbol("s")
    law = fa.semicircle(s)
    assert law.moments(2) == [0, s]
    assert fa.semicircle(v).var() == v


# --------------------------------------------------------------------------------------------
# traces t in [0, 1]


@pytest.mark.parametrize("fn, name, value", [
    (lambda: fa.bernoulli(2), "t", 2),
    (lambda: fa.bernoulli(R(-1, 10)), "t", R(-1, 10)),
    (lambda: fa.bernoulli(1.5), "t", 1.5),
    (lambda: fa.free_compression(fa.semicircle(1), 0), "t", 0),
    (lambda: fa.free_compression(fa.semicircle(1), R(3, 2)), "t", R(3, 2)),
    (lambda: fa.free_compression(fa.bernoulli(R(1, 2)), -1, ambient=True), "t", -1),
], ids=lambda x: x if isinstance(x, str) else None)
def test_trace_outside_unit_interval(fn, name, value):
    assert_invalid(fn, name, value)


def test_trace_checked_again_after_subs():
    t = sp.Symbol("t", positive=True)
    law = fa.bernoulli(t)  # fine symbolically
    assert_invalid(lambda: law.subs(t, 2), "t", 2)


# --------------------------------------------------------------------------------------------
# weights


@pytest.mark.parametrize("fn", [
    lambda: fa.discrete([0, 1], [R(1, 2), R(1, 3)]),
    lambda: fa.discrete([0, 1], [1, 1]),
    lambda: fa.discrete([0, 1], [0.5, 0.6]),
    lambda: fa.discrete([0, 1], [R(3, 2), R(-1, 2)]),      # sums to 1 but negative
    lambda: fa.discrete([0, 1], [1]),                      # one weight per point
    lambda: fa.mixture([fa.dirac(0), fa.dirac(1)], [R(1, 2), R(1, 3)]),
    lambda: fa.mixture([fa.dirac(0), fa.semicircle(1)], [0.5, 0.6]),
    lambda: fa.mixture([fa.dirac(0), fa.dirac(1)], [R(3, 2), R(-1, 2)]),
])
def test_weights_must_be_a_probability_vector(fn):
    err = assert_invalid(fn, "weights")
    assert "sum to 1" in str(err) or ">= 0" in str(err) or "one weight per" in str(err)


def test_weights_sum_is_reported():
    err = assert_invalid(lambda: fa.discrete([0, 1], [R(1, 2), R(1, 3)]), "weights")
    assert "5/6" in str(err)


# --------------------------------------------------------------------------------------------
# ⊠ needs laws on [0, inf)


@pytest.mark.parametrize("mu, nu, name", [
    (fa.semicircle(1), fa.free_poisson(1), "mu"),
    (fa.free_poisson(1), fa.affine(fa.free_poisson(1), 1, -1), "nu"),
    (fa.free_poisson(1), fa.discrete([-1, 1]), "nu"),
    (fa.arcsine(-1, 1), fa.bernoulli(R(1, 2)), "mu"),
    (fa.free_poisson(1), fa.free_additive(fa.semicircle(1), fa.free_poisson(1)), "nu"),
], ids=["semicircle", "affine", "discrete", "arcsine", "sum"])
def test_free_multiplicative_needs_positive_laws(mu, nu, name):
    err = assert_invalid(lambda: fa.free_multiplicative(mu, nu), name)
    assert "[0, inf)" in str(err)


def test_free_multiplicative_accepts_a_positive_semicircle():
    # semicircle(1, 3) lives on [1, 5]: positive, so no error
    law = fa.free_multiplicative(fa.free_poisson(1), fa.semicircle(1, 3))
    assert law.moments(1) == [3]


def test_free_multiplicative_with_delta_zero():
    assert_invalid(lambda: fa.free_multiplicative(fa.dirac(0), fa.free_poisson(1)), "mu")


def test_operations_need_laws():
    assert_invalid(lambda: fa.free_additive(fa.semicircle(1), 3), "nu")
    assert_invalid(lambda: fa.free_multiplicative("x", fa.free_poisson(1)), "mu")


# --------------------------------------------------------------------------------------------
# z in the lower half plane


@pytest.mark.parametrize("law", [
    fa.semicircle(1),
    fa.bernoulli(R(1, 3)),
    fa.free_additive(fa.semicircle(1), fa.free_poisson(1)),
    fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(2)),
    fa.free_compression(fa.bernoulli(R(1, 2)), R(1, 2)),
], ids=lambda x: type(x).__name__)
@pytest.mark.parametrize("z", [1 - 1j, -1j, mpmath.mpc(0, "-1e-40"), complex(0.3, -1e-300)],
                         ids=["1-1j", "-1j", "-1e-40j", "-1e-300j"])
def test_cauchy_rejects_lower_half_plane(law, z):
    err = assert_invalid(lambda: law.cauchy(z, dps=20), "z")
    assert "upper half plane" in str(err)


def test_cauchy_rejects_lower_half_plane_in_arrays():
    law = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    z = np.array([1 + 1j, 1 - 1j, 2 + 0j])
    err = assert_invalid(lambda: law.cauchy(z), "z")
    assert np.all(np.imag(np.asarray(err.value)) < 0)   # reports the offending points


def test_cauchy_accepts_the_real_axis():
    # the closed upper half plane: boundary values on the axis, including -0.0 imaginary parts
    law = fa.semicircle(1)
    g = law.cauchy(complex(0.5, -0.0), dps=20)
    assert g.imag < 0
    assert np.all(np.imag(law.cauchy(np.array([complex(0.5, -0.0)]))) < 0)


# --------------------------------------------------------------------------------------------
# free powers need t >= 1


@pytest.mark.parametrize("t", [R(1, 2), 0, -1, 0.99])
def test_free_power_needs_t_at_least_one(t):
    err = assert_invalid(lambda: fa.free_power(fa.semicircle(1), t), "t", t)
    assert "free_compression" in str(err)   # says what to use instead


# --------------------------------------------------------------------------------------------
# symbols left where a number is needed


@pytest.mark.parametrize("action", [
    lambda: fa.semicircle(v).cauchy(1j),
    lambda: fa.semicircle(v).cauchy(np.array([1j])),
    lambda: fa.semicircle(v).density(0.5),
    lambda: fa.semicircle(v).density(np.array([0.5])),
    lambda: fa.semicircle(v).density(0.5, dps=20),
    lambda: fa.free_additive(fa.semicircle(v), fa.semicircle(1)).cauchy(1j),
    lambda: fa.free_additive(fa.semicircle(v), fa.semicircle(1)).cauchy(np.array([1j])),
    lambda: fa.free_additive(fa.semicircle(v), fa.semicircle(1)).edges(),
    lambda: fa.free_power(fa.semicircle(1), sp.Symbol("v", positive=True) + 1).cauchy(1j),
    lambda: fa.free_multiplicative(fa.bernoulli(v / (1 + v)), fa.free_poisson(1)).cauchy(1j),
], ids=["semicircle.cauchy", "semicircle.cauchy-np", "density", "density-np", "density-mp",
        "sum.cauchy", "sum.cauchy-np", "sum.edges", "power.cauchy", "product.cauchy"])
def test_symbol_needs_a_number(action):
    with pytest.raises(UndeterminedError) as info:
        action()
    err = info.value
    assert v in err.symbols
    assert "v" in str(err) and "subs" in str(err)


def test_symbolic_side_works_without_numbers():
    # ... whereas exact quantities stay symbolic (no error)
    law = fa.free_additive(fa.semicircle(v), fa.semicircle(1))
    assert sp.simplify(law.var() - (v + 1)) == 0
    assert law.moments(4)[3] == sp.expand(2 * (v + 1) ** 2)
    num = law.subs(v, 2).cauchy(1j, dps=20)
    with mpmath.workdps(20):
        assert abs(num - fa.semicircle(3).cauchy(1j, dps=20)) < 1e-15


# --------------------------------------------------------------------------------------------
# non-finite and non-real parameters (library bugs found by these tests)


@pytest.mark.parametrize("fn, name", [
    (lambda: fa.semicircle(float("nan")), "variance"),
    (lambda: fa.bernoulli(float("nan")), "t"),
    (lambda: fa.free_power(fa.semicircle(1), float("nan")), "t"),
    (lambda: fa.free_compression(fa.semicircle(1), float("nan")), "t"),
], ids=["semicircle", "bernoulli", "free_power", "free_compression"])
def test_nan_parameter(fn, name):
    assert_invalid(fn, name)


def test_complex_variance():
    assert_invalid(lambda: fa.semicircle(1 + 2j), "variance")


@pytest.mark.parametrize("fn, name", [
    (lambda: fa.semicircle(float("inf")), "variance"),
    (lambda: fa.free_poisson(sp.oo), "rate"),
], ids=["semicircle-inf", "free_poisson-oo"])
def test_infinite_parameter(fn, name):
    assert_invalid(fn, name)


@pytest.mark.parametrize("law", [fa.semicircle(1), fa.free_additive(fa.semicircle(1),
                                                                    fa.semicircle(2))],
                         ids=["semicircle", "sum"])
def test_cauchy_rejects_nan(law):
    # regression: z = nan used to return nan (leaves) or a misleading NoConvergence (composites)
    assert_invalid(lambda: law.cauchy(complex(float("nan"), 1.0), dps=20), "z")


@pytest.mark.parametrize("dps", [0, -5])
def test_cauchy_rejects_nonpositive_dps(dps):
    assert_invalid(lambda: fa.semicircle(1).cauchy(1j, dps=dps), "dps")
