"""The composite laws' engine modules (numeric.subordination, numeric.engines) through the laws.

Each value is checked against a closed form from the literature or exact arithmetic.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError
from freealg.numeric import engines, subordination

R = sp.Rational


def _wigner(x, v, m):
    # semicircle density of variance v and mean m (Wigner): sqrt(4 v - (x - m)^2)/(2 pi v)
    return np.sqrt(np.maximum(4 * v - (x - m) ** 2, 0)) / (2 * np.pi * v)


def test_mixture_density_float64_and_mpmath():
    mx = fa.mixture([fa.semicircle(1), fa.free_additive(fa.semicircle(1), fa.semicircle(1))],
                    [R(1, 4), R(3, 4)])
    x = np.linspace(-3, 3, 13)
    ref = 0.25 * _wigner(x, 1, 0) + 0.75 * _wigner(x, 2, 0)
    assert np.max(np.abs(subordination.mixture_density(mx, x, None) - ref)) < 1e-13
    with mpmath.workdps(40):
        exact = (mpmath.sqrt(4 - mpmath.mpf("0.5") ** 2) / (8 * mpmath.pi)
                 + 3 * mpmath.sqrt(8 - mpmath.mpf("0.5") ** 2) / (16 * mpmath.pi))
    got = mx.density(mpmath.mpf("0.5"), dps=25)
    assert abs(got - exact) < mpmath.mpf(10) ** -24


def test_negative_scale_needs_a_reflection_rule():
    prod = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(2))
    with pytest.raises(InvalidParameterError, match="invalid scale=-2: a negative scale is not "
                                                    "supported for free_multiplicative"):
        fa.affine(prod, -2, 1)
    # a reflectable tree: the law of -(S + P) at x is that of S + P at -x
    rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    x = np.array([-1.0, 0.5, 2.0])
    assert np.max(np.abs(fa.affine(rho, -1, 0).density(x, method="subordination")
                         - rho.density(-x, method="subordination"))) < 1e-13


def test_atom_theorems():
    # Bercovici-Voiculescu 1998: (mu ⊞ nu)({a + b}) = mu({a}) + nu({b}) - 1 when positive;
    # Belinschi 2003: (mu ⊠ nu)({0}) = max(mu({0}), nu({0}))
    b = fa.bernoulli(R(3, 4))
    assert [(a.location, a.mass) for a in fa.free_additive(b, fa.bernoulli(R(1, 2))).atoms()] \
        == [(1, R(1, 4)), (2, R(1, 4))]
    assert [(a.location, a.mass) for a in
            fa.free_multiplicative(fa.bernoulli(R(1, 3)), b).atoms()] == [(0, R(2, 3)),
                                                                          (1, R(1, 12))]
    assert engines.merge_atoms([(2, R(1, 8)), (2, -R(1, 8))]) == []


def test_curves_from_transforms():
    # semicircle: R(w) = w gives G^2 - z G + 1; free Poisson (rate 1): S(w) = 1/(1 + w) gives
    # z G^2 - z G + 1 (Marchenko-Pastur)
    G, z = engines.G, engines.Z
    assert sp.expand(engines.curve_from_r(engines.W).as_expr() - (G**2 - z * G + 1)) == 0
    assert sp.expand(engines.curve_from_s(1 / (1 + engines.W)).as_expr()
                     - (z * G**2 - z * G + 1)) == 0
