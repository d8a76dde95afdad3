"""fa.trace against independent references.

Every expected value below comes from a closed form or from a small routine written here (free
cumulants -> moments, series inversion, brute-force sum over non-crossing partitions), never from
``fa.trace`` itself. References: Nica-Speicher, Lectures on the Combinatorics of Free
Probability (NS, 2006).
"""

from __future__ import annotations

import time
from fractions import Fraction
from functools import cache

import mpmath
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import freealg as fa
from freealg.algebra.trace import _program_trace, word_trace
from freealg.errors import InvalidParameterError

HALF = sp.Rational(1, 2)


# --------------------------------------------------------------------------------------------
# small independent helpers


def moments_from_free_cumulants(kappa: list, n: int) -> list:
    """[m_0, ..., m_n] from kappa[1..n] (kappa[0] unused) by the recursion
    m_n = sum_s kappa_s [t^(n-s)] (sum_j m_j t^j)^s (Speicher 1994)."""
    m = [Fraction(1)] + [Fraction(0)] * n
    for k in range(1, n + 1):
        total = Fraction(0)
        for s in range(1, k + 1):
            if not kappa[s]:
                continue
            # coefficient of t^(k-s) in M(t)^s, M(t) = sum_{j < k} m_j t^j (higher terms unused)
            power = [Fraction(1)] + [Fraction(0)] * (k - s)
            for _ in range(s):
                power = [sum(power[i] * m[d - i] for i in range(d + 1)) for d in range(k - s + 1)]
            total += kappa[s] * power[k - s]
        m[k] = total
    return m


def series_mul(a, b, n):
    return [sum(a[i] * b[d - i] for i in range(d + 1)) for d in range(n + 1)]


def series_pow(a, e, n):
    """a(z)^e for an integer e, a(0) != 0, truncated at z^n."""
    if e < 0:
        inv = [Fraction(0)] * (n + 1)            # 1/a by the recursion a * inv = 1
        inv[0] = 1 / Fraction(a[0])
        for d in range(1, n + 1):
            inv[d] = -sum(a[i] * inv[d - i] for i in range(1, d + 1)) * inv[0]
        a, e = inv, -e
    out = [Fraction(1)] + [Fraction(0)] * n
    for _ in range(e):
        out = series_mul(out, a, n)
    return out


def jjt_moments(L: int, n: int) -> list:
    """Moments m_1..m_n of J J^T, S = prod_l S_(Bernoulli(1/2)) = ((1+z)/(1/2+z))^L
    (Voiculescu 1987; PSG 2017; the Haar layers have S = 1).

    chi(m) = S(m) m / (1+m) inverts psi(u) = sum m_k u^k, so psi = u (1+psi) / S(psi)
    = u (1/2 + psi)^L (1 + psi)^(1-L), solved by fixed-point iteration on truncated series."""
    psi = [Fraction(0)] * (n + 1)
    for _ in range(n + 1):
        a = psi[:]
        a[0] += Fraction(1, 2)
        b = psi[:]
        b[0] += 1
        rhs = series_mul(series_pow(a, L, n), series_pow(b, 1 - L, n), n)
        psi = [Fraction(0)] + rhs[:n]           # multiply by u
    return psi[1:]


def nc_partitions(items):
    """All non-crossing partitions of the ordered list ``items`` (block of the first element,
    then independent gaps)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    n = len(rest)
    for mask in range(1 << n):
        chosen = [i for i in range(n) if mask >> i & 1]
        block = [first] + [rest[i] for i in chosen]
        # the gaps between consecutive chosen elements are independent sub-problems
        bounds = [-1] + chosen + [n]
        gaps = [rest[bounds[k] + 1:bounds[k + 1]] for k in range(len(bounds) - 1)]

        for p in _products(gaps, 0):
            yield [block] + p


def _products(gaps, k):
    """Concatenations of one NC partition of each gap (independent sub-problems)."""
    if k == len(gaps):
        yield []
        return
    for p in nc_partitions(gaps[k]):
        for q in _products(gaps, k + 1):
            yield p + q


# --------------------------------------------------------------------------------------------
# semicircular


def test_semicircular_catalan():
    # tau(x^2n) = v^n Catalan(n): the semicircle's moments (NS Lecture 2)
    for v in (1, 3):
        x = fa.semicircular("x", v)
        for n in range(11):
            assert fa.trace(x**(2 * n)) == v**n * sp.catalan(n)
            assert fa.trace(x**(2 * n + 1)) == 0


def test_anticommutator_and_commutator():
    # xy + yx = u^2 - v^2 has R(w) = 2w/(1 - w^2): kappa_2j = 2, odd cumulants 0; the free
    # commutator i(xy - yx) has the same law (Nica-Speicher 1998, Duke 92)
    K = 10
    kappa = [0] + [Fraction(2) if s % 2 == 0 else Fraction(0) for s in range(1, K + 1)]
    ref = moments_from_free_cumulants(kappa, K)
    assert ref[2] == 2 and ref[4] == 10     # by hand: kappa_2 = 2; kappa_4 + 2 kappa_2^2 = 10
    x, y = fa.semicircular("x"), fa.semicircular("y")
    anti = x * y + y * x
    comm = sp.I * (x * y - y * x)
    for k in range(1, K + 1):
        assert fa.trace(anti**k) == ref[k]
        assert fa.trace(comm**k) == ref[k]


def test_anticommutator_8_is_fast():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    t0 = time.perf_counter()
    assert fa.trace((x * y + y * x)**8) == 498    # = moments_from_free_cumulants(...)[8]
    assert time.perf_counter() - t0 < 10


# --------------------------------------------------------------------------------------------
# Haar unitaries


@pytest.mark.parametrize("make", [fa.haar_unitary, fa.haar_orthogonal])
def test_haar_central_binomials(make):
    # u + u* = 2 cos(theta), theta uniform: tau((u + u*)^2n) = binom(2n, n) (NS Example 1.13)
    u = make("u")
    for n in range(9):
        assert fa.trace((u + u.H)**(2 * n)) == sp.binomial(2 * n, n)
        assert fa.trace((u + u.H)**(2 * n + 1)) == 0


def test_haar_conjugation_frees():
    # u a u* is free from b when u is a Haar unitary free from {a, b} (NS Lecture 5), so
    # tau(u a u* b) = tau(a) tau(b) and, for free A, B,
    # tau(ABAB) = tau(A^2) tau(B)^2 + tau(A)^2 tau(B^2) - tau(A)^2 tau(B)^2 (NS Example 5.15)
    t = sp.Symbol("t")
    u = fa.haar_unitary("u")
    a = fa.selfadjoint("a", fa.discrete([0, 1, 3]))
    b = fa.projection("b", t)
    ta, ta2 = sp.Rational(4, 3), sp.Rational(10, 3)     # (0 + 1 + 3)/3, (0 + 1 + 9)/3
    tb, tb2 = t, t
    assert sp.expand(fa.trace(u * a * u.H * b) - ta * tb) == 0
    A = u * a * u.H
    ref = ta2 * tb**2 + ta**2 * tb2 - ta**2 * tb**2
    assert sp.expand(fa.trace(A * b * A * b) - ref) == 0
    assert fa.trace(u * a * u * b) == 0


# --------------------------------------------------------------------------------------------
# projections: the Wachter law


def wachter_moment(alpha, beta, k: int):
    """int x^k d mu_(pqp), mu = max(1-a, 1-b) delta_0 + max(0, a+b-1) delta_1 + density
    sqrt((l+ - x)(x - l-)) / (2 pi x (1-x)) on [l-, l+], l+- = a+b-2ab +- sqrt(4ab(1-a)(1-b))
    (Wachter 1980; Collins 2005), integrated at 30 digits.

    x = l- + (l+ - l-) sin^2(theta) removes the square-root endpoints (and the 1/sqrt ones when
    l- = 0 or l+ = 1), leaving a smooth integrand on [0, pi/2]."""
    with mpmath.workdps(30):
        a, b = mpmath.mpf(alpha.p) / alpha.q, mpmath.mpf(beta.p) / beta.q
        r = mpmath.sqrt(4 * a * b * (1 - a) * (1 - b))
        lo, hi = a + b - 2 * a * b - r, a + b - 2 * a * b + r
        w = hi - lo

        def f(th):
            s2, c2 = mpmath.sin(th)**2, mpmath.cos(th)**2
            x = lo + w * s2
            # sqrt((hi-x)(x-lo)) dx = 2 w^2 s2 c2 dtheta; 1 - x = (1 - hi) + w c2 (no cancellation)
            return x**k * w**2 * s2 * c2 / (mpmath.pi * x * ((1 - hi) + w * c2))

        total = max(0, a + b - 1) + mpmath.quad(f, [0, mpmath.pi / 2])
        return +total


@pytest.mark.parametrize("alpha,beta", [(sp.Rational(1, 3), HALF), (HALF, HALF),
                                        (sp.Rational(3, 4), sp.Rational(2, 3)),
                                        (sp.Rational(1, 5), sp.Rational(1, 3))])
def test_wachter_moments(alpha, beta):
    p, q = fa.projection("p", alpha), fa.projection("q", beta)
    for k in range(1, 9):
        exact = fa.trace((p * q * p)**k)
        assert isinstance(exact, sp.Rational)
        with mpmath.workdps(30):
            assert abs(mpmath.mpf(exact.p) / exact.q - wachter_moment(alpha, beta, k)) < 1e-20


def test_wachter_symbolic_trace():
    # a symbolic trace t: the polynomial in t must agree with the rational computation and the
    # Wachter integral at every substituted value
    t = sp.Symbol("t")
    beta = sp.Rational(2, 5)
    p, q = fa.projection("p", t), fa.projection("q", beta)
    for k in range(1, 7):
        sym = fa.trace((p * q * p)**k)
        assert sym.free_symbols == {t}
        for t0 in (sp.Rational(1, 3), sp.Rational(3, 4)):
            val = sym.subs(t, t0)
            p0 = fa.projection("p", t0)
            assert val == fa.trace((p0 * q * p0)**k)
            with mpmath.workdps(30):
                assert abs(mpmath.mpf(val.p) / val.q - wachter_moment(t0, beta, k)) < 1e-20


def test_pap_many_projection_letters_is_fast():
    # (p a p)^8 = (p a)^8 p: 9 projection letters; free compression, checked against the
    # brute-force sum over non-crossing partitions at k = 3
    p = fa.projection("p", sp.Rational(1, 3))
    a = fa.selfadjoint("a", fa.bernoulli(HALF))
    t0 = time.perf_counter()
    fa.trace((p * a * p)**8)
    assert time.perf_counter() - t0 < 10
    assert fa.trace((p * a * p)**3) == brute_force((p * a * p)**3)


# --------------------------------------------------------------------------------------------
# circular


def test_circular_catalan_and_fuss_catalan():
    # c c* is free Poisson(1): tau((c c*)^k) = Catalan(k); (c1 c2)(c1 c2)* has the Fuss-Catalan
    # moments binom(3k, k)/(2k + 1)
    c, c1, c2 = fa.circular("c"), fa.circular("c1"), fa.circular("c2")
    for k in range(9):
        assert fa.trace((c * c.H)**k) == sp.catalan(k)
        assert fa.trace((c1 * c2 * c2.H * c1.H)**k) == sp.binomial(3 * k, k) / (2 * k + 1)
    assert fa.trace(c * c) == 0 and fa.trace(c * c.H * c) == 0
    v = fa.circular("v", 3)
    assert fa.trace((v * v.H)**4) == 3**4 * sp.catalan(4)


# --------------------------------------------------------------------------------------------
# Jacobians of deep networks: J J^T with Haar orthogonal layers


def jacobian(L, commuting):
    ds = [fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in range(1, L + 1)]
    if commuting:
        ds = list(fa.commuting(*ds))
    ws = [fa.haar_orthogonal(f"w{l}") for l in range(1, L + 1)]
    J = 1
    for d, w in zip(ds, ws):
        J = d * w * J
    return J


@pytest.mark.parametrize("commuting", [False, True], ids=["free", "commuting"])
@pytest.mark.parametrize("L", [1, 2, 3, 4])
def test_jjt_moments_from_s_transform(L, commuting):
    # the Haar layers make the layers free even when the d's commute (Collins-Hayase 2023;
    # ), so both give the S-transform product
    ref = jjt_moments(L, 8)
    J = jacobian(L, commuting)
    P = J * J.H
    t0 = time.perf_counter()
    got = [fa.trace(P**k) for k in range(1, 9)]
    elapsed = time.perf_counter() - t0
    assert got == [sp.Rational(r.numerator, r.denominator) for r in ref]
    assert elapsed < 30, f"L={L}: {elapsed:.1f} s"


def test_jjt_reference_sanity():
    # L = 1: J J^T = d^2 ~ Bernoulli(1/2), all moments 1/2; L = 2 first moment 1/4
    assert jjt_moments(1, 4) == [Fraction(1, 2)] * 4
    assert jjt_moments(2, 1) == [Fraction(1, 4)]


def test_two_commuting_families():
    # two commuting families are free from each other: tau(ABAB) for free A, B (NS Example 5.15)
    # with A = a1 a2 (one family, classically independent: tau(A^k) = E[a1^k] E[a2^k]) and
    # B = b (another family)
    t = sp.Symbol("t")
    a1, a2 = fa.commuting(fa.projection("a1", t), fa.selfadjoint("a2", fa.discrete([1, 2])))
    b, = fa.commuting(fa.selfadjoint("b", fa.discrete([-1, 2])))
    tA, tA2 = t * sp.Rational(3, 2), t * sp.Rational(5, 2)
    tB, tB2 = HALF, sp.Rational(5, 2)
    A = a1 * a2
    ref = tA2 * tB**2 + tA**2 * tB2 - tA**2 * tB**2
    assert sp.expand(fa.trace(A * b * A * b) - ref) == 0
    # tau(X b Y b) = tau(XY) tau(b)^2 + tau(X) tau(Y) (tau(b^2) - tau(b)^2), X = a1, Y = a2 in
    # the first family (so tau(XY) = tau(X) tau(Y) = 3t/2); a1 b a2 b a1 ~ a1 b a2 b (a1^2 = a1)
    ref2 = 3 * t / 2 * tB**2 + 3 * t / 2 * (tB2 - tB**2)
    assert sp.expand(fa.trace(a1 * b * a2 * b * a1) - ref2) == 0
    assert sp.expand(fa.trace(a2 * a1 * b * A * b) - ref) == 0       # a2 a1 = a1 a2


# --------------------------------------------------------------------------------------------
# brute force: sum over non-crossing partitions of the positions (short words only)

T = sp.Symbol("t")
X, Y = fa.semicircular("x"), fa.semicircular("y", 2)
C = fa.circular("c")
U = fa.haar_unitary("u")
P_ = fa.projection("p", sp.Rational(1, 3))
A = fa.selfadjoint("a", fa.discrete([-1, 0, 2]))
D1, D2 = fa.commuting(fa.selfadjoint("e1", fa.discrete([1, 2])),
                      fa.projection("e2", sp.Rational(1, 4)))
F1, = fa.commuting(fa.selfadjoint("f1", fa.discrete([-1, 1, 3])))
POOL = [X, Y, C, C.H, U, U.H, P_, A, D1, D2, F1]


def _law_moment(g, k):
    """Moment of a self-adjoint law from its atoms (discrete/bernoulli laws only)."""
    if g.kind == "projection":
        return sp.S.One if k == 0 else g.params[0]
    atoms = g.law().atoms()
    return sum(at.mass * at.location**k for at in atoms)


@cache
def _law_cumulants(g, n):
    m = [Fraction(int(sp.Rational(_law_moment(g, k)).p), int(sp.Rational(_law_moment(g, k)).q))
         for k in range(n + 1)]
    # invert moments_from_free_cumulants one order at a time
    kappa = [0] * (n + 1)
    for k in range(1, n + 1):
        kappa[k] = Fraction(0)
        kappa[k] = m[k] - moments_from_free_cumulants(kappa, k)[k]
    return tuple(kappa)


@cache
def _family_cumulant(letters):
    """Free cumulant of letters of one commuting family, by Moebius inversion of the classical
    moments prod_g E[g^k_g] over NC partitions."""
    def moment(ls):
        out = sp.S.One
        for g in {L.gen for L in ls}:
            out *= _law_moment(g, sum(1 for L in ls if L.gen == g))
        return out

    n = len(letters)
    total = moment(letters)
    for part in nc_partitions(list(range(n))):
        if len(part) == 1:
            continue
        term = sp.S.One
        for B in part:
            term *= _family_cumulant(tuple(letters[i] for i in B))
        total -= term
    return sp.expand(total)


def _cumulant(letters):
    gens = {L.gen for L in letters}
    g = letters[0].gen
    if len(gens) > 1 or g.family:
        if not all(L.gen.family and L.gen.family == g.family for L in letters):
            return 0
        return _family_cumulant(tuple(letters))
    n = len(letters)
    if g.kind == "semicircular":
        return g.params[0] if n == 2 else 0
    if g.kind == "circular":
        return g.params[0] if n == 2 and letters[0].star != letters[1].star else 0
    if g.kind == "haar_unitary":
        if n % 2 or any(letters[i].star == letters[i + 1].star for i in range(n - 1)):
            return 0
        return (-1)**(n // 2 - 1) * sp.catalan(n // 2 - 1)
    k = _law_cumulants(g, n)[n]
    return sp.Rational(k.numerator, k.denominator)


def brute_force(poly):
    total = sp.S.Zero
    for word, coeff in poly.terms:
        s = sp.S.Zero
        for part in nc_partitions(list(range(len(word)))):
            term = sp.S.One
            for B in part:
                term *= _cumulant([word[i] for i in B])
                if term == 0:
                    break
            s += term
        total += coeff * s
    return sp.expand(total)


def _word(idx):
    w = 1
    for i in idx:
        w = w * POOL[i]
    return w


words = st.lists(st.integers(0, len(POOL) - 1), min_size=0, max_size=7)


@given(words)
def test_matches_brute_force(idx):
    w = _word(idx)
    if not isinstance(w, fa.NCPoly):
        return
    assert fa.trace(w) == brute_force(w)


@given(words, words)
def test_cyclic_invariance(i1, i2):
    # tau(ab) = tau(ba): traciality; the programme itself (no canonical rotation) must satisfy it
    a, b = _word(i1), _word(i2)
    ab, ba = a * b, b * a
    if not isinstance(ab, fa.NCPoly) or not ab.terms:
        return
    assert fa.trace(ab) == fa.trace(ba)
    (w1, c1), = ab.terms                        # products of generators: one word each
    (w2, c2), = ba.terms
    assert c1 * _program_trace(w1) == c2 * _program_trace(w2) == fa.trace(ab)


coeffs = st.sampled_from([1, -2, sp.I, 1 + 2 * sp.I, sp.Rational(1, 3), -sp.I / 2])


@given(st.lists(st.tuples(coeffs, words), min_size=1, max_size=4))
def test_adjoint_conjugates(terms):
    # tau(P*) = conj(tau(P)) for a trace (NS Lecture 1: tau is a *-functional)
    P = 0
    for c, idx in terms:
        P = P + c * _word(idx)
    if not isinstance(P, fa.NCPoly):
        return
    assert sp.expand(fa.trace(P.H) - sp.conjugate(fa.trace(P))) == 0


# --------------------------------------------------------------------------------------------
# API: types, batches, errors


def test_results_are_sympy():
    x = fa.semicircular("x")
    p = fa.projection("p", sp.Symbol("t"))
    r = fa.trace(x**4)
    assert isinstance(r, sp.Integer) and r == 2
    assert isinstance(fa.trace((x * p)**2 / 3), sp.Expr)
    assert isinstance(word_trace((x**2).terms[0][0]), sp.Rational)
    assert fa.trace(5) == 5 and fa.trace(fa.NCPoly.constant(0)) == 0


def test_polynomial_equals_sum_of_word_traces():
    # the trie evaluation of many words agrees with words evaluated one at a time
    t = sp.Symbol("t")
    x, c, u = fa.semicircular("x"), fa.circular("c"), fa.haar_unitary("u")
    p = fa.projection("p", t)
    d1, d2 = fa.commuting(fa.selfadjoint("g1", fa.discrete([1, 3])),
                          fa.projection("g2", sp.Rational(1, 2)))
    P = (x + c + c.H + u + u.H + p + d1 + d2)**3
    total = fa.trace(P)
    by_word = sp.expand(sum(coeff * _program_trace(w) for w, coeff in P.terms))
    assert sp.expand(total - by_word) == 0


def test_semicircular_in_commuting_family_rejected():
    from freealg.algebra.generators import Generator
    from freealg.algebra.ncpoly import NCPoly

    s = NCPoly.from_generator(Generator("s", "semicircular", (sp.S.One,), "{s,d}"))
    with pytest.raises(InvalidParameterError):
        fa.trace(s * s)
