"""The public law constructors (freealg.constructors): one object under three names, the Law
methods' registry, and a freealg error for every malformed argument (regression tests).

Every value checked here is an exact reference: a closed form from the literature (cited) or a
moment computed by hand from the definition.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
import freealg.constructors as fc
import freealg.laws as fl
from freealg.errors import InvalidParameterError

HALF = sp.Rational(1, 2)


@pytest.mark.parametrize("name", fc.__all__)
def test_one_object_under_three_names(name):
    obj = getattr(fc, name)
    assert getattr(fa, name) is obj
    assert getattr(fl, name) is obj
    assert name in fa.__all__ and name in fl.__all__


def test_law_methods_use_the_constructors():
    # mu.boxplus / mu.boxtimes / mu.affine go through the registry filled by freealg.constructors
    sc = fa.semicircle(1)
    # free cumulants add (Voiculescu 1986): kappa_2 = 1 + 2
    assert sc.boxplus(fa.semicircle(2)).free_cumulants(2) == [0, 3]
    # pi(1) ⊠ pi(1): Fuss-Catalan numbers binom(3n, n)/(2n + 1) = 1, 3, 12
    assert fa.free_poisson(1).boxtimes(fa.free_poisson(1)).moments(3) == [1, 3, 12]
    # 2 X + 1, X standard semicircle: mean 1, E (2X + 1)^2 = 4 + 1
    assert sc.affine(2, 1).moments(2) == [1, 5]


def test_marchenko_pastur_is_free_poisson_with_rate_one_over_ratio():
    # (s/n) X X^T, p x n, c = p/n: mean s, variance c s^2 (Marchenko-Pastur 1967)
    c, s = sp.Rational(1, 4), 2
    mu = fa.marchenko_pastur(c, s)
    assert mu == fa.free_poisson(1 / c, c * s)
    m1, m2 = mu.moments(2)
    assert m1 == s and m2 - m1**2 == c * s**2


def test_free_product_accepts_laws_pairs_and_numpy_integers():
    fp = fa.free_poisson(1)
    # pi(1)^{⊠3}: Fuss-Catalan of order 4, m_2 = binom(8, 2)/(3 * 2 + 1) = 4
    for factors in ([fp, fp, fp], [(fp, 3)], [(fp, np.int64(3))], [(fp, sp.Integer(3))],
                    (f for f in [fp, (fp, 2)])):
        assert fa.free_product(factors).moments(2) == [1, 4]


def test_free_compression_ambient_atom():
    # p a p in A for a projection a of trace 1/3 and p of trace 1/2 free from it: the Wachter
    # law, atom max(1 - 1/3, 1 - 1/2) = 2/3 at 0 (Wachter 1980; Collins 2005)
    q = fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), HALF, ambient=True)
    assert q.atoms()[0].location == 0 and q.atoms()[0].mass == sp.Rational(2, 3)
    assert fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), HALF,
                               ambient=np.True_).atoms()[0].mass == sp.Rational(2, 3)


def test_empirical_data():
    assert fa.empirical([1, 2, 3]).moments(2) == [2, sp.Rational(14, 3)]
    mu = fa.empirical(np.array([0.5, 1.5, 1.5, 2.0]))
    assert [a.mass for a in mu.atoms()] == [sp.Rational(1, 4), HALF, sp.Rational(1, 4)]


BAD = [
    ("free_power of a number", lambda: fa.free_power(3, 2), "mu"),
    ("free_compression of a number", lambda: fa.free_compression(3, HALF), "mu"),
    ("ambient not a bool", lambda: fa.free_compression(fa.semicircle(1), HALF, "x"), "ambient"),
    ("mixture of numbers", lambda: fa.mixture([1, 2], [HALF, HALF]), "laws"),
    ("mixture of one law", lambda: fa.mixture(fa.semicircle(1), [1]), "laws"),
    ("mixture weights a number", lambda: fa.mixture([fa.semicircle(1)], 1), "weights"),
    ("free_product of a number", lambda: fa.free_product([3]), "factors"),
    ("free_product of one law", lambda: fa.free_product(fa.free_poisson(1)), "factors"),
    ("free_product pair of a number", lambda: fa.free_product([(3, 2)]), "factors"),
    ("fractional multiplicity", lambda: fa.free_product([(fa.free_poisson(1), 1.5)]), "factors"),
    ("bool multiplicity", lambda: fa.free_product([(fa.free_poisson(1), True)]), "factors"),
    ("zero multiplicity", lambda: fa.free_product([(fa.free_poisson(1), 0)]), "factors"),
    ("triple", lambda: fa.free_product([(fa.free_poisson(1), 1, 1)]), "factors"),
    ("empirical of strings", lambda: fa.empirical(["a"]), "eigenvalues"),
    ("empirical with None", lambda: fa.empirical([1, None]), "eigenvalues"),
    ("empirical of bools", lambda: fa.empirical([True, False]), "eigenvalues"),
    ("empirical empty", lambda: fa.empirical([]), "eigenvalues"),
    ("empirical 2-d", lambda: fa.empirical(np.eye(2)), "eigenvalues"),
    ("empirical NaN", lambda: fa.empirical([1.0, float("nan")]), "eigenvalues"),
    ("free_additive of a number", lambda: fa.free_additive(fa.semicircle(1), 1), "nu"),
    ("semicircle string", lambda: fa.semicircle("1/2"), "variance"),
    ("marchenko_pastur ratio 0", lambda: fa.marchenko_pastur(0), "ratio"),
]


@pytest.mark.parametrize("what,call,param", BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_raise_a_freealg_error(what, call, param):
    with pytest.raises(InvalidParameterError) as info:
        call()
    assert info.value.name == param
