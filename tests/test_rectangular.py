"""Rectangular models: shaped generators, shapes in NCPoly, spectra/traces/samples on a block.

Conventions: a generator of shape (p, q) is a (pN) x (qN) matrix; a Gaussian one has iid entries
of variance v/N; laws and traces are normalised on the expression's own block.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, ShapeError
from _references import mps_stieltjes

R = sp.Rational


# ---------------------------------------------------------------------------------------------
# references written here, independently of the library


def mp_density(x, c, v):
    """Density of X X^T for X of shape (1, c), entries of variance v/N.

    X X^T = (1/N) Y Y^T with Y an N x cN matrix of variance-v entries = c (1/n) Y Y^T, n = cN:
    c times the Marchenko-Pastur law with ratio lambda = 1/c and scale sigma^2 = v
    (Marchenko-Pastur 1967; Bai-Silverstein 2010, eq. (3.1.1)):
    f(y) = sqrt((b - y)(y - a)) / (2 pi sigma^2 lambda y), a, b = sigma^2 (1 -+ sqrt lambda)^2.
    So the edges of X X^T are v (sqrt c -+ 1)^2, its rate (mass of the bulk per unit trace)
    c and its jump v."""
    lam = 1 / mpmath.mpf(c)
    y = x / c
    a, b = v * (1 - mpmath.sqrt(lam)) ** 2, v * (1 + mpmath.sqrt(lam)) ** 2
    if not a < y < b:
        return mpmath.mpf(0)
    return mpmath.sqrt((b - y) * (y - a)) / (2 * mpmath.pi * v * lam * y) / c


def wick_trace(word, dims, v=1):
    """Leading-order tau_r of a word in real Gaussian matrices by Wick's theorem (the genus
    expansion, 't Hooft 1974): E Tr of a product of Gaussians is a sum over pairings of X with
    X^T; a pairing of 2k letters with F index cycles gives (v/N)^k N^F prod(dims of the cycles);
    the pairings with F = k + 1 (planar) survive N -> inf. ``word``: (name, star) letters;
    ``dims[name] = (rows, cols)``."""
    n = len(word)

    def shape(L):
        r, c = dims[L[0]]
        return (c, r) if L[1] else (r, c)

    by_gen: dict = {}
    for i, (g, st) in enumerate(word):
        by_gen.setdefault(g, ([], []))[1 if st else 0].append(i)
    for a, b in by_gen.values():
        if len(a) != len(b):
            return Fraction(0)
    total = Fraction(0)
    gens = list(by_gen.values())
    for choice in itertools.product(*[itertools.permutations(b) for _, b in gens]):
        parent = list(range(n))

        def find(i, parent=parent):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for (a, _), perm in zip(gens, choice):
            for k, l in zip(a, perm):
                # X_{i_k i_(k+1)} (X^T)_{i_l i_(l+1)} = X_{i_k i_(k+1)} X_{i_(l+1) i_l}
                for s, t in ((k, (l + 1) % n), ((k + 1) % n, l)):
                    parent[find(s)] = find(t)
        classes: dict = {}
        for i in range(n):
            classes.setdefault(find(i), i)
        k = n // 2
        if len(classes) != k + 1:
            continue
        w = Fraction(1)
        for i in classes.values():
            w *= dims_of_index(word, i, shape)
        total += w * Fraction(v) ** k
    rows = shape(word[0])[0]
    return total / rows


def dims_of_index(word, i, shape):
    """The block dimension of index i_i (the rows of letter i)."""
    return Fraction(str(shape(word[i])[0]))


# ---------------------------------------------------------------------------------------------
# shapes in the algebra


def test_shapes_chain_transpose_and_scalars():
    X = fa.gaussian("X", shape=(1, R(3, 2)))
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    assert X.shape == (1, R(3, 2)) and X.H.shape == (R(3, 2), 1)
    assert (X.H * A * X).shape == (R(3, 2), R(3, 2))
    assert (X.H * X + 2).shape == (R(3, 2), R(3, 2))        # 2 * identity of the 3/2 block
    assert (3 * X).shape == X.shape
    with pytest.raises(ShapeError, match=r"\(1, 3/2\), \(1, 3/2\)"):
        X * X
    with pytest.raises(ShapeError, match="non-square"):
        X + 1
    with pytest.raises(ShapeError, match="equal shapes"):
        X * X.H + X.H * X
    # square (1, 1) behaviour unchanged
    x = fa.semicircular("x")
    assert x - x == 0 and (x * x + 1).shape == (1, 1)
    assert fa.NCPoly(*(X.H * X + 2).args) == X.H * X + 2
    zero_block = X.H * X - X.H * X
    assert zero_block == 0 and fa.NCPoly(*zero_block.args) == zero_block


def test_rectangular_haar_relations():
    V = fa.haar_orthogonal("V", shape=(2, 1))         # orthonormal columns: V* V = 1
    assert V.H * V == 1 and V * V.H != 1
    W = fa.haar_unitary("W", shape=(1, 3))            # orthonormal rows: W W* = 1
    assert W * W.H == 1 and W.H * W != 1
    assert V * V.H * V == V                           # a partial isometry


def test_gaussian_complex_unit_shape_is_circular():
    assert fa.gaussian("c", field="complex", variance=2) == fa.circular("c", 2)
    assert fa.gaussian("c") != fa.circular("c")       # the real field is its own generator


# ---------------------------------------------------------------------------------------------
# Marchenko-Pastur: X X^T and X^T X


def test_wishart_is_free_poisson_to_25_digits():
    c, v = R(3, 2), 2
    X = fa.gaussian("X", shape=(1, c), variance=v)
    sol = fa.spectrum(X * X.H, dps=30)
    # rate c, jump v (free cumulants kappa_n = c v^n): see mp_density
    assert sol.law == fa.free_poisson(c, v)
    with mpmath.workdps(30):
        for x in ("0.1", "1.3", "4.0", "8.9"):
            xm = mpmath.mpf(x)
            assert abs(sol.density(xm, dps=30) - mp_density(xm, c, v)) < mpmath.mpf(10) ** -25
        (band,) = sol.support(dps=30)
        lo = v * (mpmath.sqrt(mpmath.mpf(3) / 2) - 1) ** 2
        hi = v * (mpmath.sqrt(mpmath.mpf(3) / 2) + 1) ** 2
        assert abs(band.lo - lo) < mpmath.mpf(10) ** -25
        assert abs(band.hi - hi) < mpmath.mpf(10) ** -25
    assert sol.atoms() == []


def test_transposed_wishart_has_the_exact_rank_atom():
    c = R(3, 2)
    X = fa.gaussian("X", shape=(1, c))
    sol = fa.spectrum(X.H * X, dps=30)
    (atom,) = sol.atoms()
    assert atom.location == 0 and atom.mass == 1 - 1 / c and isinstance(atom.mass, sp.Rational)
    # the nonzero eigenvalues are those of X X^T, (1/c) of the block: density (1/c) f_{X X^T}
    with mpmath.workdps(30):
        xm = mpmath.mpf("1.3")
        assert abs(sol.density(xm, dps=30) - mp_density(xm, c, 1) / c) < mpmath.mpf(10) ** -25


# ---------------------------------------------------------------------------------------------
# compound Wishart X^T A X


@pytest.mark.parametrize("p,q", [(1, R(3, 2)), (2, 1)])
def test_compound_wishart_formula_and_silverstein(p, q):
    v = 1
    taus, weights = [1, 3], [R(1, 2), R(1, 2)]
    lawA = fa.discrete(taus, weights)
    A = fa.selfadjoint("A", lawA, dim=p)
    X = fa.gaussian("X", shape=(p, q), variance=v)
    M = X.H * A * X
    sol = fa.spectrum(M, dps=30)
    # the rank atom: X^T A X has rank min(p, q) N of q N
    if q > p:
        (atom,) = sol.atoms()
        assert atom.location == 0 and atom.mass == 1 - R(p) / q
    else:
        assert sol.atoms() == []
    # the exact moments agree with the trace (free cumulant expansion, an independent route)
    assert sol.law.moments(4) == [fa.trace(M**k) for k in range(1, 5)]
    # (1 - p/q) delta_0 + (p/q) (law(A) ⊠ free Poisson(q/p, v p)), for q >= p
    if q >= p:
        formula = fa.mixture([fa.dirac(0), fa.free_multiplicative(lawA, fa.free_poisson(
            R(q) / p, v * p))], [1 - R(p) / q, R(p) / q])
        assert formula.moments(5) == sol.law.moments(5)
    # the Marchenko-Pastur-Silverstein equation, solved here, to 1e-20
    with mpmath.workdps(30):
        for z in (mpmath.mpc("1.5", "0.3"), mpmath.mpc("4", "1e-2"), mpmath.mpc("-1", "2")):
            m = mps_stieltjes(z, p, q, v, taus, weights, 30)
            G = sol.cauchy(z, dps=30)              # G = -m
            assert abs(G + m) < mpmath.mpf(10) ** -20, (z, G, m)


# ---------------------------------------------------------------------------------------------
# products of rectangular Gaussians


def test_square_products_have_fuss_catalan_moments():
    # W = X1 X2 X2^T X1^T for square X_i: moments binom(3n, n)/(2n + 1) (Fuss-Catalan;
    # Alexeev-Goetze-Tikhomirov 2010, Banica-Belinschi-Capitaine-Collins 2011)
    X1, X2 = fa.gaussian("X1", shape=(2, 2)), fa.gaussian("X2", shape=(2, 2))
    W = X1 * X2 * X2.H * X1.H
    # entries of variance 1/N on blocks of size 2N: each X is circular of variance 2
    assert [fa.trace(W**n) for n in range(1, 5)] == [
        2**(2 * n) * sp.binomial(3 * n, n) / (2 * n + 1) for n in range(1, 5)]


@pytest.mark.parametrize("dims", [(1, 2, R(1, 2)), (R(3, 2), 1, 2)])
def test_rectangular_products_against_wick(dims):
    p0, p1, p2 = dims
    X1, X2 = fa.gaussian("X1", shape=(p0, p1)), fa.gaussian("X2", shape=(p1, p2))
    W = X1 * X2 * X2.H * X1.H
    shapes = {"X1": (p0, p1), "X2": (p1, p2)}
    one = [("X1", False), ("X2", False), ("X2", True), ("X1", True)]
    sol = fa.spectrum(W)
    for n in (1, 2, 3):
        ref = wick_trace(one * n, shapes)
        got = fa.trace(W**n)
        assert got == sp.Rational(ref.numerator, ref.denominator), (n, got, ref)
        assert sol.law.moments(n)[-1] == got


@pytest.mark.slow
def test_rectangular_product_density_against_monte_carlo():
    # Monte Carlo N = 300, 4 trials: fa.compare's N-derived tolerances (KS ~ N^-1, moments)
    X1, X2 = fa.gaussian("X1", shape=(1, 2)), fa.gaussian("X2", shape=(2, R(3, 2)))
    W = X1 * X2 * X2.H * X1.H
    ev = fa.sample(W, n=300, seed=5, trials=4)
    assert ev.shape == (1200,)
    assert fa.compare(fa.spectrum(W), ev, moments=4).agrees
    # wrong-model control: the square product (all blocks 1) must be rejected
    Y1, Y2 = fa.gaussian("Y1"), fa.gaussian("Y2")
    assert not fa.compare(fa.spectrum(Y1 * Y2 * Y2.H * Y1.H), ev, moments=4).agrees


def test_compound_wishart_against_monte_carlo():
    # Monte Carlo N = 150, 2 trials (fa.compare's N-derived tolerances), and a wrong model
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    X = fa.gaussian("X", shape=(1, R(3, 2)))
    ev = fa.sample(X.H * A * X, n=150, seed=2, trials=2)
    assert ev.shape == (450,) and ev.info["n_effective"] == 150
    assert fa.compare(fa.spectrum(X.H * A * X), ev, moments=4).agrees
    Xw = fa.gaussian("Xw", shape=(1, 1))
    assert not fa.compare(fa.spectrum(Xw.H * A * Xw), ev, moments=4).agrees


def test_sample_sizes_and_haar_isometry():
    V = fa.haar_orthogonal("V", shape=(2, 1))
    ev = fa.sample(V * V.H, n=50, seed=0)
    # V V^T is a projection of rank N in 2N: exactly half ones
    assert ev.shape == (100,) and np.allclose(np.sort(ev), [0] * 50 + [1] * 50, atol=1e-10)
    assert fa.spectrum(V * V.H).atoms()[0].mass == R(1, 2)
    X = fa.gaussian("X", shape=(1, 2))
    assert fa.sample(X, n=20).info["quantity"] == "singular values"


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("shape", [(0, 1), (1, -2), (1, 0.1), (1, float("nan")),
                                   (sp.Symbol("p"), 1), (1, "x"), (1,), "12"])
def test_bad_shapes(shape):
    with pytest.raises(InvalidParameterError, match="shape"):
        fa.gaussian("X", shape=shape)


def test_bad_dims_and_rectangular_spectrum():
    with pytest.raises(InvalidParameterError, match="dim"):
        fa.selfadjoint("A", fa.dirac(1), dim=0)
    with pytest.raises(InvalidParameterError, match="dim"):
        fa.projection("P", R(1, 2), dim=sp.Symbol("d"))
    X = fa.gaussian("X", shape=(1, 2))
    with pytest.raises(ShapeError, match="non-square"):
        fa.spectrum(X)
    with pytest.raises(ShapeError, match="non-square"):
        fa.trace(X)
    assert fa.gaussian("Y", shape=(1, "3/2")).shape == (1, R(3, 2))
    assert fa.gaussian("Y", shape=(1, 1.5)).shape == (1, R(3, 2))


def test_exact_float_dims_and_round_trip():
    assert math.isclose(float(fa.selfadjoint("A", fa.dirac(1), dim=0.25).shape[0]), 0.25)
    g = fa.gaussian("X", shape=(1, 2)).generator
    import pickle

    assert pickle.loads(pickle.dumps(g)) == g and hash(pickle.loads(pickle.dumps(g))) == hash(g)


def test_rectangular_systems_satisfy_their_equations():
    # the displayed equations (S-transform product, zero padding, compression) hold at the
    # solution: residual at dps=30 far below the 1e-20 of the Silverstein check above
    X = fa.gaussian("X", shape=(1, R(3, 2)))
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    Y = fa.gaussian("Y", shape=(2, 1))
    B = fa.selfadjoint("B", fa.discrete([1, 2]), dim=2)
    for M in (X.H * A * X, Y.H * B * Y):
        sol = fa.spectrum(M)
        assert sol.system.residual(1 + 0.5j) < 1e-25
        assert (M.H == M) and (X.H * A).H == A.H * X
