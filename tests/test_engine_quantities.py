"""The per-quantity engine modules (numeric/strategies, cauchy, density, support, params),
exercised directly and on a duck-typed law that is not a freealg Law (the engine must not
need the laws package).

References: the semicircle law of variance v has density sqrt(4 v - x^2)/(2 pi v) on
[-2 sqrt v, 2 sqrt v] and Cauchy transform (z - sqrt(z - 2 sqrt v) sqrt(z + 2 sqrt v))/(2 v)
(Wigner 1958; Nica & Speicher, Lectures on the Combinatorics of Free Probability, Lecture 2);
free additive convolution of semicircles adds variances (ibid., Lecture 12, the R-transform
R(w) = v w is additive).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.numeric.records import Band
from freealg.errors import InvalidParameterError, NoConvergence
from freealg.numeric import edges as numeric_edges_module
from freealg.numeric import params
from freealg.numeric.cauchy import cauchy, cauchy_mp_with, cauchy_np_with
from freealg.numeric.density import atoms_float, density, density_mp, density_np
from freealg.numeric.strategies import (all_strategies, closed_law, default_strategy,
                                        dispatch, own_strategies)
from freealg.numeric.support import continuous_mass, edges, support


def _g_np(z):
    """Standard semicircle G (variance 1), branch analytic off [-2, 2]."""
    z = np.asarray(z, dtype=complex)
    return (z - np.sqrt(z - 2) * np.sqrt(z + 2)) / 2


def _rho(x, v=1.0):
    x = np.asarray(x, dtype=float)
    return np.sqrt(np.clip(4 * v - x * x, 0, None)) / (2 * np.pi * v)


class _FailingCurve:
    """A 'curve' engine that gives no value for Re z > 0 (NaN in float64, NoConvergence in
    mpmath) and the true G elsewhere."""

    def cauchy_np(self, z):
        z = np.asarray(z, dtype=complex)
        return np.where(z.real > 0, complex(np.nan, np.nan), _g_np(z))

    def cauchy_mp(self, z, dps):
        if mpmath.re(z) > 0:
            raise NoConvergence("fake curve engine", dps=dps, point=z, advice="none")
        with mpmath.workdps(dps + 10):
            return (z - mpmath.sqrt(z - 2) * mpmath.sqrt(z + 2)) / 2


class FakeSemicircle:
    """A duck-typed law (not a freealg Law): the standard semicircle, its own strategy
    'formula' (closed form) and an engine strategy 'curve' that fails for Re z > 0. With
    ``axis_fails`` the law's own mpmath solver raises NoConvergence on the real axis (as the
    boundary equation of a subordination solver does at an exact edge)."""

    _cauchy_strategies = ("curve", "formula")
    _edge_strategies = ("formula",)
    _scale = 2.0

    def __init__(self, axis_fails: bool = False):
        self._cache: dict = {}
        self.axis_fails = axis_fails

    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def _strategies(self, quantity):
        return own_strategies(self, quantity)

    def _default(self, quantity):
        return default_strategy(self, quantity)

    def _closed(self):
        return None

    def _hull_float(self):
        return -2.0, 2.0

    def atoms(self):
        return []

    def _atoms_float(self):
        return atoms_float(self)

    def _density_np(self, x):
        return density_np(self, x)

    def _density_mp(self, x, dps):
        return density_mp(self, x, dps)

    def _cauchy_np(self, z, method=None):
        return _g_np(z)

    def _cauchy_mp(self, z, dps, method=None):
        if self.axis_fails and mpmath.im(z) == 0:
            raise NoConvergence("fake boundary equation", dps=dps, point=z, advice="none")
        with mpmath.workdps(dps + 10):
            g = (z - mpmath.sqrt(z - 2) * mpmath.sqrt(z + 2)) / 2
        with mpmath.workdps(dps):
            return +g

    def _curve_engine(self, eliminate=False):
        return _FailingCurve()

    def _s_form(self):
        return None

    def _support(self, dps, method=None):
        # the band of the standard semicircle; the call is recorded to check the routing
        self.support_calls = getattr(self, "support_calls", []) + [(dps, method)]
        return [Band(-2, 2)]

    def _edges(self, dps, method=None):
        return [("edges", dps, method)]


def test_engine_runs_on_a_duck_typed_law():
    law = FakeSemicircle()
    x = np.array([-1.5, -0.5, 0.0, 0.5, 1.5, 2.5])
    # the automatic 'curve' leaves Re x > 0 NaN; those points are solved on the law's own path
    d, diag = density(law, x, full_output=True)
    assert diag.strategy == "curve"
    assert np.max(np.abs(d - _rho(x))) < 1e-14
    assert any("solved by subordination" in n for n in diag.notes)
    v = density(law, mpmath.mpf("0.5"), dps=30)
    with mpmath.workdps(40):
        assert abs(v - mpmath.sqrt(mpmath.mpf("3.75")) / (2 * mpmath.pi)) < mpmath.mpf(10) ** -30


def test_forced_engine_strategy_does_not_fall_back():
    law = FakeSemicircle()
    x = np.array([-0.5, 0.5])
    d = density(law, x, method="curve")
    assert abs(d[0] - _rho(-0.5)) < 1e-14 and np.isnan(d[1])     # NaN marks the failure
    with pytest.raises(NoConvergence):
        cauchy(law, 0.5 + 1j, method="curve")
    with pytest.raises(NoConvergence):
        cauchy_mp_with(law, mpmath.mpc(0.5, 1), 30, "curve", "curve")
    G = cauchy_np_with(law, np.array([0.5 + 1j]), "curve", "curve")
    assert np.isnan(G[0])
    # the law's own strategy, forced
    g = cauchy(law, 0.5 + 1j, dps=30, method="formula")
    with mpmath.workdps(40):
        z = mpmath.mpc("0.5", 1)
        ref = (z - mpmath.sqrt(z - 2) * mpmath.sqrt(z + 2)) / 2
        assert abs(g - ref) < mpmath.mpf(10) ** -29


def test_exact_edge_retry_off_the_axis():
    # the law's solver fails on the axis: the density is taken at Im z = 10^-(2 dps + 20)
    law = FakeSemicircle(axis_fails=True)
    for method in (None, "formula"):
        v = density(law, mpmath.mpf(-1), dps=30, method=method)
        with mpmath.workdps(40):
            assert abs(v - mpmath.sqrt(3) / (2 * mpmath.pi)) < mpmath.mpf(10) ** -30


def test_unknown_and_inapplicable_methods_list_the_names():
    law = FakeSemicircle()
    with pytest.raises(InvalidParameterError, match="known ones are"):
        density(law, 0.5, method="nonsense")
    with pytest.raises(InvalidParameterError, match="use one of 'curve', 'formula'"):
        cauchy(law, 1j, method="path")
    with pytest.raises(InvalidParameterError, match="use one of 'formula'"):
        edges(law, method="fold")
    with pytest.raises(InvalidParameterError, match="dps"):
        support(law, dps=0)
    # support() passes dps and method through and audits the band's mass (the semicircle's
    # density integrates to 1 over [-2, 2])
    bands = support(law, dps=12)
    assert [(float(b.lo), float(b.hi)) for b in bands] == [(-2.0, 2.0)]
    assert law.support_calls == [(12, None)]
    assert edges(law, dps=12, method="formula") == [("edges", 12, "formula")]


def test_closed_form_routing_on_a_tree_of_semicircles():
    rho = fa.free_additive(fa.semicircle(1), fa.semicircle(2))        # = semicircle(3)
    assert closed_law(rho) == fa.semicircle(3)
    assert all_strategies(rho, "density")[0] == "formula"
    assert all_strategies(rho, "edges")[-1] == "formula"
    target, strategy, method = dispatch(rho, "density", None)
    assert (target, strategy, method) == (fa.semicircle(3), "formula", None)
    x = np.linspace(-4, 4, 41)
    assert np.max(np.abs(density(rho, x) - _rho(x, 3.0))) < 1e-14
    with mpmath.workdps(40):
        x7 = mpmath.mpf("0.7")
        ref = mpmath.sqrt(12 - x7**2) / (6 * mpmath.pi)
    v, diag = density(rho, x7, dps=30, full_output=True)
    assert diag.strategy == "formula"
    with mpmath.workdps(40):
        assert abs(v - ref) < mpmath.mpf(10) ** -30
    assert [e.location for e in edges(rho, method="formula")] == [-2 * sp.sqrt(3),
                                                                  2 * sp.sqrt(3)]
    # the subordination strategy agrees with the closed form
    w = density(rho, x7, dps=30, method="subordination")
    with mpmath.workdps(40):
        assert abs(w - ref) < mpmath.mpf(10) ** -29


def test_continuous_mass_and_atoms_float():
    mu = fa.free_poisson(sp.Rational(1, 4))      # atom 3/4 at 0 (Marchenko-Pastur, ratio 1/4)
    assert continuous_mass(mu) == sp.Rational(1, 4)
    assert atoms_float(mu) == [(0.0, 0.75)]
    assert atoms_float(fa.semicircle(1)) == []


def test_params_helpers():
    # one numeric_value for the laws and the engine
    assert numeric_edges_module.numeric_value is params.numeric_value
    from freealg.laws import base
    assert base.numeric_value is params.numeric_value and base.check is params.check
    law = fa.free_additive(fa.free_poisson(0.5), fa.semicircle(0.25))
    exact = params.exactified(law)
    assert exact.args == (fa.free_poisson(sp.Rational(1, 2)), fa.semicircle(sp.Rational(1, 4)))
    assert params.exactified(exact) is exact
    t = sp.Symbol("t", positive=True)
    sym = fa.free_additive(fa.semicircle(t), fa.bernoulli(sp.Rational(1, 3)))
    assert sym.free_symbols == {t}
    assert sym.subs(t, 2) == fa.free_additive(fa.semicircle(2), fa.bernoulli(sp.Rational(1, 3)))
