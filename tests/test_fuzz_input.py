"""Malformed input through the polynomial algebra, the compiler and the Monte Carlo front door.

Every probe must raise a :class:`~freealg.errors.FreeAlgError` subclass quickly (no deep
traceback from numpy, sympy or mpmath, no hang, no silent value). Sizes that would not fit are
refused up front with :class:`~freealg.errors.SizeLimitError`, before anything large is built.
"""

from __future__ import annotations

import random
import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.algebra.ncpoly import MAX_DEGREE, MAX_TERMS
from freealg.errors import FreeAlgError, InvalidParameterError, SizeLimitError

x, y = fa.semicircular("x"), fa.semicircular("y")
u = fa.haar_unitary("u")
p = fa.projection("p", sp.Rational(1, 3))


def _raises_fast(fn, kind=FreeAlgError, seconds=5.0):
    t0 = time.perf_counter()
    with pytest.raises(kind) as info:
        fn()
    assert time.perf_counter() - t0 < seconds, "the refusal must come before the work"
    return info.value


# --------------------------------------------------------------------------------------------
# scalars that are not scalars

BAD_COEFFICIENTS = [
    ("nan", float("nan")), ("inf", float("inf")), ("-inf", -float("inf")),
    ("1e400", 1e400), ("sympy oo", sp.oo), ("sympy zoo", sp.zoo), ("sympy nan", sp.nan),
    ("complex inf", complex(float("inf"), 0)), ("mpf inf", mpmath.mpf("inf")),
    ("mpf nan", mpmath.mpf("nan")), ("str", "2"), ("code str", "__import__('os')"),
    ("bytes", b"2"), ("bool", True), ("list", [1, 2]), ("tuple", (1,)), ("dict", {1: 2}),
    ("None", None), ("numpy array", np.array([1.0, 2.0])), ("numpy 0-d", np.array(2.0)),
]


@pytest.mark.parametrize("name, c", BAD_COEFFICIENTS, ids=[b[0] for b in BAD_COEFFICIENTS])
@pytest.mark.parametrize("op", ["left *", "right *", "left +", "right +", "-", "/"])
def test_bad_scalars_are_refused(name, c, op):
    fns = {"left *": lambda: c * x, "right *": lambda: x * c, "left +": lambda: c + x,
           "right +": lambda: x + c, "-": lambda: x - c, "/": lambda: x / c}
    fn = fns[op]
    if name == "None" or name == "dict" or name == "tuple" or name == "list":
        # Python's own operators: a TypeError from the NotImplemented protocol is the
        # documented answer for objects that are not numbers at all, except where a freealg
        # error names the operand
        with pytest.raises((TypeError, FreeAlgError)):
            fn()
        return
    _raises_fast(fn, InvalidParameterError)


def test_numeric_scalars_of_every_kind_are_accepted():
    # mpmath, numpy scalars and sympy numbers are scalars: 2 x built in every way is the same
    for c in (2, 2.0, sp.Integer(2), np.float64(2), np.int64(2), mpmath.mpf(2)):
        for e in (c * x, x * c, x + c - c + x - x):
            (word, coeff), = [t for t in e.terms if t[0]]
            assert float(coeff) == 2.0 or e == x
    assert complex((mpmath.mpc(1, 2) * x).terms[0][1]) == 1 + 2j
    # the exact trace sees the numeric value: tau((c x)^2) = c^2 (semicircle variance 1)
    assert float(fa.trace((mpmath.mpf("0.5") * x) ** 2)) == pytest.approx(0.25, abs=1e-15)


@pytest.mark.parametrize("k", [True, False, 2.0, 2.5, -1, "2", None, sp.Rational(1, 2)])
def test_bad_exponents(k):
    _raises_fast(lambda: x ** k, InvalidParameterError)


def test_integer_exponents_of_every_kind():
    assert x ** np.int64(3) == x * x * x
    assert x ** sp.Integer(2) == x * x


# --------------------------------------------------------------------------------------------
# sizes: refuse up front, with the limit and the reason


def test_huge_power_of_a_word_is_refused():
    err = _raises_fast(lambda: x ** 10**6, SizeLimitError)
    assert err.limit == MAX_DEGREE and err.size == 10**6 and "letter" in str(err)


def test_expansion_with_too_many_terms_is_refused():
    # (x + y)^30 has 2^30 distinct words (x, y free: nothing shortens a word)
    err = _raises_fast(lambda: (x + y) ** 30, SizeLimitError)
    assert err.size == 2**30 and err.limit == MAX_TERMS


def test_expansions_that_collapse_are_not_refused():
    # the bound must not refuse what the relations shorten: (u + u*)^(2n) has 2n + 1 words and
    # tau = binom(2n, n) (Nica-Speicher, Example 1.13); (x + 1)^30 has 31 words
    assert fa.trace((u + u.H) ** 40) == sp.binomial(40, 20)
    assert len(((x + 1) ** 30).terms) == 31
    # p (x + 1) p: projections absorb repeats
    assert len(((p + 1) ** 25).terms) == 2


def test_linearization_that_would_not_fit_is_refused_before_it_is_built():
    # x^1000 linearizes to a pencil of size >= 1000; its Newton Jacobian (k^2 x k^2 complex)
    # would need 16 TB: refused in milliseconds, before linearize runs (which alone takes
    # seconds at this degree)
    err = _raises_fast(lambda: fa.spectrum(x ** 1000, method="linearization"), SizeLimitError,
                       seconds=2.0)
    assert err.unit == "bytes" and err.size >= 16 * 1000**4 and "fa.sample" in str(err)


# --------------------------------------------------------------------------------------------
# Monte Carlo front door


@pytest.mark.parametrize("n_values", [[], (), 5.5, "100", [0], [-3], [True]])
def test_freeness_test_sizes(n_values):
    _raises_fast(lambda: fa.freeness_test(x, y, n_values=n_values, trials=2),
                 InvalidParameterError)


# --------------------------------------------------------------------------------------------
# a fuzz of our own: random expressions with random junk thrown in


JUNK = [float("nan"), float("inf"), "x", b"", True, np.ones(2), mpmath.mpf("nan"), sp.zoo]
GOOD = [2, -1, sp.Rational(1, 3), 0.5, np.float64(1.5), mpmath.mpf("0.25"), sp.Symbol("s")]


@pytest.mark.parametrize("seed", range(12))
def test_random_expressions_with_junk(seed):
    rng = random.Random(seed)
    gens = [x, y, u, u.H, p]
    expr = rng.choice(gens)
    for step in range(8):
        op = rng.choice(["*", "+", "rmul", "pow"])
        other = rng.choice(gens + GOOD + JUNK)
        junk = any(other is j for j in JUNK)
        try:
            if op == "*":
                new = expr * other
            elif op == "+":
                new = expr + other
            elif op == "rmul":
                new = other * expr
            else:
                new = expr ** rng.choice([0, 1, 2, 3])
                junk = False
        except FreeAlgError:
            assert junk, f"a valid operand was refused at step {step}: {other!r}"
            continue
        assert not junk, f"junk {other!r} was accepted by {op}"
        assert isinstance(new, fa.NCPoly)
        expr = new
    # what survived is a polynomial whose trace is exact (no NaN crept in)
    val = fa.trace(expr)
    assert not sp.sympify(val).has(sp.nan, sp.oo, sp.zoo)


# --------------------------------------------------------------------------------------------
# moments: orders are non-negative ints, and the count is bounded up front


@pytest.mark.parametrize("n", [-1, 2.5, "3", True, None, 1j, sp.Rational(1, 2)])
@pytest.mark.parametrize("method", ["moments", "moment", "free_cumulants"])
def test_bad_moment_orders(method, n):
    _raises_fast(lambda: getattr(fa.semicircle(1), method)(n), InvalidParameterError)


def test_too_many_moments_are_refused():
    from freealg.laws.base import MAX_MOMENTS
    err = _raises_fast(lambda: fa.free_poisson(2).moments(10**5), SizeLimitError, seconds=1.0)
    assert err.limit == MAX_MOMENTS


def test_moment_orders_of_every_integer_kind():
    # Catalan numbers for the standard semicircle (Nica-Speicher, Lecture 2)
    mu = fa.semicircle(1)
    assert mu.moment(np.int64(4)) == 2 and mu.moment(sp.Integer(6)) == 5
    assert mu.moments(0) == [] and mu.moment(0) == 1


def test_exact_moments_are_fast_enough():
    # free Poisson moments are Touchard-Narayana polynomials: m_n = sum_k N(n, k) lam^k
    # (Nica-Speicher, Lecture 12); 60 moments used to take ~10 s (O(n^4) recursion)
    lam = 2
    t0 = time.perf_counter()
    m = fa.free_poisson(lam).moments(60)
    assert time.perf_counter() - t0 < 5.0
    narayana = [sum(sp.binomial(n, k) * sp.binomial(n, k - 1) / n * lam**k
                    for k in range(1, n + 1)) for n in (1, 2, 30, 60)]
    assert [m[0], m[1], m[29], m[59]] == narayana


# --------------------------------------------------------------------------------------------
# Cauchy transform on the real axis at an atom: a pole, not a ZeroDivisionError


@pytest.mark.parametrize("law, atom", [
    (fa.bernoulli(sp.Rational(1, 2)), 0), (fa.bernoulli(sp.Rational(1, 2)), 1),
    (fa.free_poisson(sp.Rational(1, 2)), 0), (fa.dirac(3), 3)])
def test_cauchy_at_an_atom_on_the_axis(law, atom):
    err = _raises_fast(lambda: law.cauchy(atom), InvalidParameterError)
    assert "pole" in str(err)
    with np.errstate(all="raise"):   # no numpy warning escapes either
        g = law.cauchy(np.array([float(atom)]))
    assert np.isnan(g[0])
    # just above the atom, G ~ mass/(i eta): Im G * eta -> -mass (the atom's mass is exact)
    mass = [a.mass for a in law.atoms() if a.location == atom][0]
    eta = mpmath.mpf("1e-20")
    assert abs(law.cauchy(mpmath.mpc(atom, eta)).imag * eta + mass) < 1e-15


# --------------------------------------------------------------------------------------------
# parameters: strings are never parsed (sympify would run them), arrays are not scalars


CODE = "__import__('os').getcwd()"


@pytest.mark.parametrize("make", [
    lambda v: fa.semicircular("x", v), lambda v: fa.circular("c", v),
    lambda v: fa.projection("p", v)], ids=["semicircular", "circular", "projection"])
@pytest.mark.parametrize("value", [CODE, "1/2", "abc", True, None, [1], np.ones(2)],
                         ids=["code", "fraction text", "name", "bool", "None", "list", "array"])
def test_generator_parameters_are_not_parsed(make, value):
    _raises_fast(lambda: make(value), InvalidParameterError)


def test_numeric_parameters_of_every_kind():
    from fractions import Fraction

    from freealg.numeric.params import parameter
    assert parameter("t", Fraction(1, 3)) == sp.Rational(1, 3)
    assert parameter("t", np.float64(0.25)) == sp.Float(0.25)
    assert parameter("t", np.array(2.0)) == sp.Float(2.0)
    # tau(p) of a projection of trace 1/3 given as a Fraction is exact
    assert fa.trace(fa.projection("p", Fraction(1, 3))) == sp.Rational(1, 3)


@pytest.mark.parametrize("make", [
    lambda: fa.semicircle("abc"), lambda: fa.semicircle(CODE), lambda: fa.free_poisson("2"),
    lambda: fa.marchenko_pastur("1/2"), lambda: fa.bernoulli("1/3"), lambda: fa.dirac("0"),
    lambda: fa.arcsine("0", 1), lambda: fa.uniform(0, "1"), lambda: fa.wachter("1/2", "1/3"),
    lambda: fa.kesten_mckay("3"), lambda: fa.free_binomial("2", "1/2"),
    lambda: fa.free_meixner(a="1"), lambda: fa.discrete(["0", "1"]),
    lambda: fa.discrete([0, 1], ["1/2", "1/2"]), lambda: fa.discrete([[0, 1], [2]]),
    lambda: fa.discrete(5), lambda: fa.discrete("01"),
    lambda: fa.from_density(2 * sp.Symbol("x"), "0", 1),
    lambda: fa.semicircle(np.ones(2)), lambda: fa.semicircle(True), lambda: fa.semicircle(None)])
def test_law_parameters_are_not_parsed(make):
    _raises_fast(make, InvalidParameterError)


def test_equal_points_of_a_discrete_law_merge():
    # 1 and 1.0 are one point: one atom with both weights (mass 1 in all)
    atoms = fa.discrete([1, 1.0]).atoms()
    assert len(atoms) == 1 and atoms[0].mass == 1
    mu = fa.discrete([0, 1, 0], [sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(1, 4)])
    half = sp.Rational(1, 2)
    assert sorted((a.location, a.mass) for a in mu.atoms()) == [(0, half), (1, half)]


def test_boxtimes_with_a_linearized_factor_is_not_refused():
    # x^2 through the linearization has the symmetric norm bound [-|x|^2, |x|^2] as its hull,
    # which proves nothing about positivity: ⊠ must accept it. x^2 is free Poisson(1), so the
    # product with free Poisson(1) is the Fuss-Catalan law: moments 1, 3, 12, 55 (binom(3n, n)
    # / (2n + 1), Mlotkowski 2010) and the density of free_poisson(1) ⊠ free_poisson(1)
    x = fa.semicircular("x")
    lin = fa.spectrum(x * x, method="linearization").law
    assert lin.is_positive() is None
    prod = fa.free_multiplicative(lin, fa.free_poisson(1))
    assert prod.moments(4) == [sp.binomial(3 * n, n) / (2 * n + 1) for n in range(1, 5)]
    ref = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))
    xs = np.array([0.5, 1.0, 2.0, 4.0])
    assert np.allclose(prod.density(xs), ref.density(xs), rtol=1e-10, atol=0)
    # a linearized law with mass below 0 is still refused: x y + y x has mean 0 and m_2 > 0
    y = fa.semicircular("y")
    sym = fa.spectrum(x * y + y * x, method="linearization").law
    assert sym.is_positive() is False
    _raises_fast(lambda: fa.free_multiplicative(sym, fa.free_poisson(1)), InvalidParameterError)


@pytest.mark.parametrize("s", [sp.Rational(1, 2), sp.Rational(1, 5), sp.Rational(9, 10)])
def test_multiplicative_exponential_atom_below_one(s):
    # S(m) = exp(-s m/(1+m)): chi(m) -> e^{-s} (1 - (1 - s)/m), so an atom at e^s of mass 1 - s
    # for s < 1 (also the limit of the top atom of the free product of L laws
    # (s/L) delta_0 + (1 - s/L) delta_{1/(1 - s/L)}: mass L (1 - s/L) - (L - 1) = 1 - s at
    # (1 - s/L)^{-L} -> e^s). Checked against the subordination solution of G, which does not
    # use atoms(): eta Im G(a + i eta) -> -mass
    mu = fa.multiplicative_exponential(s)
    (atom,) = mu.atoms()
    assert atom.location == sp.exp(s) and atom.mass == 1 - s
    with mpmath.workdps(40):
        eta = mpmath.mpf("1e-25")
        g = mu.cauchy(mpmath.mpc(mpmath.exp(mpmath.mpf(s.p) / s.q), eta), dps=40)
        assert abs(g.imag * eta + (1 - s)) < 1e-12
    # no atom from s = 1 on
    assert fa.multiplicative_exponential(1).atoms() == []
    assert fa.multiplicative_exponential(2).atoms() == []


@pytest.mark.parametrize("make", [
    lambda: fa.affine(fa.semicircle(1), "2"), lambda: fa.affine(fa.semicircle(1), 1, "x"),
    lambda: fa.free_power(fa.semicircle(1), "2"),
    lambda: fa.free_compression(fa.semicircle(1), "1/2"),
    lambda: fa.mixture([fa.semicircle(1), fa.dirac(0)], ["1/2", "1/2"]),
    lambda: fa.multiplicative_exponential("1")])
def test_composite_parameters_are_not_parsed(make):
    _raises_fast(make, InvalidParameterError)


def test_operator_valued_float64_batches_fit_in_memory(monkeypatch):
    # the float64 Newton of a linearized law holds a (k^2 x k^2) complex Jacobian per point;
    # points are solved in batches that fit in half the available memory (x^64 over a
    # 200-point grid asked for 53 GiB at once). With the memory made tiny, every batch is one
    # point and the values are those of the unbatched solve; x y x's density is checked
    # against the unbatched run at points of its support (-3.3, 3.3)
    from freealg.numeric import operator_valued as ov

    x, y = fa.semicircular("x"), fa.semicircular("y")
    law = fa.spectrum(x * y * x, method="linearization").law
    xs = np.linspace(-2.5, 2.5, 9) + 0.05j
    whole = law.cauchy(xs)
    monkeypatch.setattr(ov, "available_memory", lambda: 2)
    assert ov._batch_size(law._problem()) == 1
    batched = law.cauchy(xs)
    assert np.allclose(batched, whole, rtol=1e-13, atol=0)


@pytest.mark.parametrize("spec", [
    sp.Lambda(sp.Symbol("h"), sp.Function("g")(sp.Symbol("h"))),
    sp.Function("g")(sp.Symbol("h")) + sp.Symbol("h"),
    sp.Lambda((sp.Symbol("h"), sp.Symbol("k")), sp.Symbol("h")),
    sp.Derivative(sp.Function("g")(sp.Symbol("h")), sp.Symbol("h")),
    sp.Symbol("h") * sp.Symbol("k")])
def test_activations_without_numeric_value(spec):
    _raises_fast(lambda: fa.nn.MLP(2, spec), InvalidParameterError, seconds=10)


@pytest.mark.parametrize("mu", [1, 2.5, "semicircle", None, x])
def test_affine_needs_a_law(mu):
    _raises_fast(lambda: fa.affine(mu, 2), InvalidParameterError)
