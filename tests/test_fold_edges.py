"""Edges of a linearized law against closed forms: the chiral block model.

P = a p + b q + k (p c q + q c* p), p a projection of trace t, q = 1 - p, c circular
(tau(c c*) = 1), is the limit of the block matrix M = [[a I, X], [X^T, b I]] with X of size
n1 x n2 (n1 = t N, n2 = (1 - t) N) with iid entries of variance k^2/N.

Derivation of the exact spectrum (t < 1/2, so n1 < n2):
* for each singular value s of X, M has the two eigenvalues with (lam - a)(lam - b) = s^2,
  lam = (a + b)/2 +- sqrt(((a - b)/2)^2 + s^2) (the 2 x 2 block of the singular pair);
* the n2 - n1 vectors (0, v) with X v = 0 give the eigenvalue b: an atom at b of mass 1 - 2 t;
* s^2 runs over the eigenvalues of X X^T, a Wishart matrix: by Marchenko-Pastur its law is
  supported on [k^2 (sqrt(1 - t) - sqrt(t))^2, k^2 (sqrt(1 - t) + sqrt(t))^2] (edges
  sigma^2 (sqrt(n2) -+ sqrt(n1))^2 with sigma^2 = k^2/N).
lam+- is monotone in s^2, so the law has two bands, with edges
(a + b)/2 -+ sqrt(((a - b)/2)^2 + s^2_max) and (a + b)/2 -+ sqrt(((a - b)/2)^2 + s^2_min).

For a = 2, b = 1/2, t = 1/3, k = sqrt(3/2): s^2 in [(3 - 2 sqrt 2)/2, (3 + 2 sqrt 2)/2], edges
5/4 -+ sqrt(33/16 +- sqrt 2), atom 1/2 of mass 1/3.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import freealg as fa


def _model():
    p = fa.projection("p", sp.Rational(1, 3))
    c = fa.circular("c")
    q = 1 - p
    a, b, k = 2, sp.Rational(1, 2), sp.sqrt(sp.Rational(3, 2))
    return a * p + b * q + k * (p * c * q + q * c.H * p)


def _exact_edges(dps):
    with mpmath.workdps(dps + 10):
        r2 = mpmath.sqrt(2)
        c, lo, hi = mpmath.mpf(5) / 4, mpmath.mpf(33) / 16 - r2, mpmath.mpf(33) / 16 + r2
        return [c - mpmath.sqrt(hi), c - mpmath.sqrt(lo), c + mpmath.sqrt(lo), c + mpmath.sqrt(hi)]


def test_chiral_block_model_moments():
    """Exact check of the compiled law (fast), by hand: tau(P) = a t + b (1 - t) = 1,
    tau(P^2) = a^2 t + b^2 (1 - t) + 2 k^2 t (1 - t) = 4/3 + 1/6 + 2/3 = 13/6."""
    law = fa.compile_expr(_model()).law
    assert law.moments(2) == [1, sp.Rational(13, 6)]


def test_fold_newton_inner_edge():
    """The inner edge 5/4 - sqrt(33/16 - sqrt 2) (the one that once came out 1.2e-9 off while
    claiming 1.2e-13) by the fold Newton from a float64 point 4e-5 outside, to 1e-25 at
    dps = 30, its error bounding the true error."""
    from freealg.numeric.fold import fold_edge

    prob = fa.compile_expr(_model()).law._problem()
    exact = _exact_edges(30)[1]
    x, err = fold_edge(prob, float(exact) + 4e-5, 30)
    with mpmath.workdps(40):
        true = abs(mpmath.mpf(x) - exact)
        assert true < mpmath.mpf(10) ** -25
        assert true <= err + abs(exact) * mpmath.mpf(10) ** -29  # rounding to 30 digits


@pytest.mark.slow
def test_chiral_block_model_edges_at_dps30():
    """Every edge at dps = 30 agrees with the exact value to 1e-25 and within its claimed error
    (the error bounds the true error), and the atom at b = 1/2 has mass 1 - 2 t = 1/3."""
    dps = 30
    sol = fa.SpectralSolution(fa.compile_expr(_model()), dps)
    edges = sol.edges()
    exact = _exact_edges(dps)
    assert len(edges) == 4
    for e, x in zip(edges, exact):
        with mpmath.workdps(dps + 10):
            true = abs(mpmath.mpf(e.location) - x)
            assert true <= mpmath.mpf(e.error), (e, true)
            assert true < mpmath.mpf(10) ** -25
        assert e.kind == "soft"
    (atom,) = sol.atoms()
    assert atom.location == sp.Rational(1, 2)
    assert abs(atom.mass - sp.Rational(1, 3)) <= atom.error


@pytest.mark.slow
def test_anticommutator_edges_at_dps30():
    """x y + y x, x and y free standard semicirculars: the edges are +-sqrt((11 + 5 sqrt 5)/2)
    (Nica-Speicher, Commutators of free random variables, Duke Math. J. 92 (1998)), found by
    the fold Newton on the 3 x 3 pencil to 1e-25 at dps = 30, within their claimed errors."""
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x * y + y * x, method="linearization")
    edges = sol.edges(dps=30)
    with mpmath.workdps(40):
        r = mpmath.sqrt((11 + 5 * mpmath.sqrt(5)) / 2)
        for e, ref in zip(edges, (-r, r)):
            true = abs(mpmath.mpf(e.location) - ref)
            assert true < mpmath.mpf(10) ** -25 and true <= mpmath.mpf(e.error)
