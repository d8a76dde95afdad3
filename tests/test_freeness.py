"""Numerical tests of asymptotic freeness (freealg.montecarlo.freeness_test).

References
----------
* Voiculescu, Invent. Math. 104 (1991): independent GUE matrices, and deterministic matrices
  conjugated by independent Haar unitaries, are asymptotically free.
* Mingo–Speicher, Free Probability and Random Matrices, Fields Monographs 35 (2017), ch. 5
  (second-order freeness): a single realisation's mixed moment of centred elements fluctuates
  like 1/N, so its root mean square over trials decays with exponent -1.
* Collins–Hayase, Comm. Math. Phys. (2023), arXiv:2103.13466: in an MLP with Haar orthogonal
  weights, W_l and D_l = diag(phi'(h_l)) from the forward pass are asymptotically free.
Acceptance (issue 5): free pairs have a fitted exponent in [-1.3, -0.7]; a non-free pair is
flagged. Exponents are Monte Carlo estimates with their standard errors (from the trials).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError
from freealg.montecarlo import FreenessReport, freeness_test
from freealg.montecarlo._deps import blas_threads
from freealg.montecarlo.freeness import fit_exponent
from freealg.montecarlo.samplers import NumpyOps

NS = (100, 200, 400, 800)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with blas_threads(1):
        yield


def mlp_layer(n, rng, depth=2, sigma_w=1.5):
    """(W_L, D_L) from a real forward pass of a tanh MLP with Haar orthogonal weights."""
    haar = NumpyOps(rng).haar
    x = rng.standard_normal(n)            # input with q0 = 1
    for _ in range(depth):
        W = haar(n, n, False)
        h = sigma_w * W @ x
        D = 1 - np.tanh(h) ** 2           # phi'(h) for phi = tanh
        x = np.tanh(h)
    return W, np.diag(D)


def _assert_free(rep: FreenessReport):
    assert rep.free, str(rep)
    assert -1.3 <= rep.exponent <= -0.7, str(rep)


def test_independent_semicirculars_are_free():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    _assert_free(freeness_test(x, y, n_values=NS, trials=10, seed=1))


def test_haar_conjugated_deterministic_matrices_are_free():
    # a and o b o* with deterministic (quantile) a, b and a Haar orthogonal o, realised jointly;
    # b = +-1 has b^2 = 1, whose centred words vanish identically and are dropped (with a note)
    u = fa.haar_orthogonal("o")
    a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    b = fa.selfadjoint("b", fa.discrete([-1, 1], [sp.Rational(1, 4), sp.Rational(3, 4)]))
    rep = freeness_test(a, u * b * u.H, n_values=NS, trials=10, seed=2, orders=2)
    assert "b^2" not in " ".join(rep.words) and any("identity" in n for n in rep.notes)
    _assert_free(rep)


def test_mlp_weights_and_activation_diagonals_are_free():
    # Collins-Hayase 2023: W_L and D_L = diag(tanh'(h_L)) of a depth-2 forward pass
    rep = freeness_test(mlp_layer, n_values=NS, trials=10, seed=3, orders=2)
    assert rep.words[0] == "a b" and "a* b" in rep.words      # W is not self-adjoint
    _assert_free(rep)


def test_user_callables_pair_and_arrays():
    def goe(n, rng):
        g = rng.standard_normal((n, n))
        return (g + g.T) / np.sqrt(2 * n)
    rep = freeness_test(goe, goe, n_values=NS, trials=10, seed=4, orders=1)
    _assert_free(rep)
    # numpy arrays: one realisation per entry, sizes from the data
    rng = np.random.default_rng(0)
    As = [goe(n, rng) for n in (60, 120, 240) for _ in range(4)]
    Bs = [goe(n, rng) for n in (60, 120, 240) for _ in range(4)]
    rep = freeness_test(As, Bs, orders=1)
    assert rep.n_values == (60, 120, 240) and rep.trials == 4
    single = freeness_test(As[0], Bs[0], orders=1)
    assert single.verdict == "inconclusive" and not single.free


def test_a_matrix_and_its_square_are_not_free():
    x = fa.semicircular("x")
    rep = freeness_test(x, x ** 2, n_values=NS[:3], trials=6, seed=5)
    assert rep.verdict == "not free" and not rep.free
    assert abs(rep.exponent) < 0.3, str(rep)


def test_permutation_conjugated_diagonal_is_not_free():
    # D and P D P^T with a fixed cyclic shift P (not Haar): both diagonal, they commute
    def pair(n, rng):
        d = rng.permutation(np.linspace(-1, 1, n))
        perm = np.roll(np.arange(n), n // 3)
        return np.diag(d), np.diag(d[perm])
    rep = freeness_test(pair, n_values=NS, trials=6, seed=6)
    assert rep.verdict == "not free", str(rep)


def test_commuting_family_is_classical_not_free():
    # fa.commuting: independent diagonal entries (classical independence, not freeness)
    e1, e2 = fa.commuting(fa.selfadjoint("e1", fa.bernoulli(sp.Rational(1, 2))),
                          fa.selfadjoint("e2", fa.bernoulli(sp.Rational(1, 2))))
    rep = freeness_test(e1, e2, n_values=NS, trials=6, seed=7)
    assert rep.verdict == "not free", str(rep)
    # length-two words of independent entries decay like N^-1/2 (central limit theorem)
    e, se = rep.exponents["a b"]
    assert abs(e + 0.5) < 3 * se + 0.1


def test_fit_exponent_and_report():
    e, se = fit_exponent([10, 20, 40, 80], [1.0, 0.5, 0.25, 0.125])
    assert e == pytest.approx(-1.0) and se == pytest.approx(0.0, abs=1e-12)
    x, y = fa.semicircular("x"), fa.semicircular("y")
    rep = freeness_test(x, y, n_values=(20, 40), trials=3, orders=1)
    text = str(rep)
    assert "exponent" in text and "tr(a b)" in text and "<pre>" in rep._repr_html_()


def test_reproducible():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    r1 = freeness_test(x, y, n_values=(20, 40), trials=3, orders=1, seed=9)
    r2 = freeness_test(x, y, n_values=(20, 40), trials=3, orders=1, seed=9)
    assert r1.rms == r2.rms


def test_bad_input():
    x = fa.semicircular("x")
    with pytest.raises(InvalidParameterError):
        freeness_test("x", "y")
    with pytest.raises(InvalidParameterError):
        freeness_test(x, "y")
    with pytest.raises(InvalidParameterError):
        freeness_test(np.ones((3, 4)), np.ones((3, 4)))
    with pytest.raises(InvalidParameterError):
        freeness_test(np.eye(3), np.eye(4))
    with pytest.raises(InvalidParameterError):
        freeness_test(x, x, n_values=(0, 10))
    with pytest.raises(InvalidParameterError):
        freeness_test(x, x, trials=0)
    with pytest.raises(InvalidParameterError):
        freeness_test(x, x, orders=0)
    with pytest.raises(InvalidParameterError):
        freeness_test(x, x, powers_a=(0,), n_values=(10, 20))
    with pytest.raises(InvalidParameterError):
        freeness_test(lambda n, rng: np.eye(n), n_values=(10, 20))   # not a pair
    with pytest.raises(InvalidParameterError):
        freeness_test(x, x, n_values=(10**7, 10**7 + 1))           # memory


def test_freeness_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from freealg import plotting

    x, y = fa.semicircular("x"), fa.semicircular("y")
    rep = freeness_test(x, y, n_values=(20, 40, 80), trials=3, orders=1)
    out = plotting.freeness(rep, tmp_path / "f.svg")
    assert out.exists() and out.stat().st_size > 1000
    assert plotting.freeness(rep).axes
    with pytest.raises(InvalidParameterError):
        plotting.freeness("not a report")
