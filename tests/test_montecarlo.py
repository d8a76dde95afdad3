"""Monte Carlo realisations against the compiled theory (freealg.montecarlo).

References: every expected law below is ``fa.spectrum(expr)`` (the solver), and the Monte Carlo
tolerance is the N-derived expected-error scale of ``freealg.montecarlo.compare`` ("Monte Carlo
N=..., tolerance from N"): C_RM (1 + ln N)/N for invariant ensembles (eigenvalue rigidity,
Erdős–Schlein–Yau; 1/N corrections), plus 1.95/sqrt(N T) (Kolmogorov 0.999 quantile) when iid
diagonal entries are present. Each expression is also checked against a deliberately wrong law
(variance doubled, i.e. the law of sqrt(2) * expr, or a wrong t), which must fail the same test.

BLAS threads are limited to one during these tests: on a shared two-core machine LAPACK's QR
and eigvalsh are many times slower with competing threads.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import FreeAlgError, InvalidParameterError, UndeterminedError
from freealg.montecarlo import (OptionalDependencyError, SampledSpectrum, compare, ks_threshold,
                                sample)
from freealg.montecarlo._deps import blas_threads, have
from freealg.montecarlo.samplers import atom_counts, quantile_vector, realise

H = sp.Symbol("h")
R = sp.Rational


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    with blas_threads(1):
        yield


def _gens():
    x, y = fa.semicircular("x"), fa.semicircular("y", 2)
    c = fa.circular("c")
    u, o = fa.haar_unitary("u"), fa.haar_orthogonal("o")
    p, q = fa.projection("p", R(1, 2)), fa.projection("q", R(1, 3))
    a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    b = fa.selfadjoint("b", fa.discrete([-1, 1], [R(1, 4), R(3, 4)]))
    d = fa.activation("d", sp.Max(H, 0), 1)                   # ReLU: phi' ~ bernoulli(1/2)
    t = fa.activation("t", sp.tanh(H), 1)                     # tanh: phi' has a density
    e1, e2 = fa.commuting(fa.activation("e1", sp.Max(H, 0), 2),
                          fa.activation("e2", sp.Max(H, 0), 2))
    W1, W2 = fa.haar_orthogonal("W1"), fa.haar_orthogonal("W2")
    J = e2 * W2 * e1 * W1                                     # depth-2 Jacobian
    return dict(x=x, y=y, c=c, u=u, o=o, p=p, q=q, a=a, b=b, d=d, t=t, J=J)


G = _gens()
S2 = sp.sqrt(2)

# name: (expr, N, trials, wrong law (a function of the SpectralSolution))
CASES = {
    "x+y": (G["x"] + G["y"], 2000, 1, lambda s: fa.semicircle(6)),
    "x^2": (G["x"] ** 2, 2000, 1, lambda s: fa.free_poisson(1, 2)),
    "cc*": (G["c"] * G["c"].H, 1000, 1, lambda s: fa.free_poisson(1, 2)),
    "u+u*": (G["u"] + G["u"].H, 1000, 1, lambda s: fa.semicircle(2)),     # same variance
    "o+o*": (G["o"] + G["o"].H, 1000, 1, lambda s: fa.semicircle(2)),
    "pqp": (G["p"] * G["q"] * G["p"], 2000, 1, lambda s: fa.spectrum(
        G["p"] * fa.projection("q", R(1, 4)) * G["p"])),                  # wrong t
    "pxp": (G["p"] * G["x"] * G["p"], 2000, 1, lambda s: s.law.affine(S2)),
    "x+uau*": (G["x"] + G["u"] * G["a"] * G["u"].H, 1000, 1, lambda s: s.law.affine(S2)),
    "a*a": (G["a"] * G["a"], 2000, 1,
            lambda s: fa.discrete([0, 1, 4], [R(1, 2), R(1, 4), R(1, 4)])),
    "ca c*": (G["c"] * G["a"] * G["c"].H, 1000, 1, lambda s: s.law.affine(2)),
    "D^2": (G["d"] ** 2, 2000, 1, lambda s: fa.bernoulli(R(1, 3))),                # wrong t
    "tanh'": (G["t"], 2000, 1, lambda s: fa.gaussian_pushforward(1 - sp.tanh(H) ** 2, 2)),
    "JJ*": (G["J"] * G["J"].H, 1000, 1, lambda s: s.law.affine(2)),
    # wrong: the laws of a + b and p + q if they commuted (classical independence, not freeness)
    "a+b": (G["a"] + G["b"], 1000, 1, lambda s: fa.discrete(
        [-1, 0, 1, 2, 3], [R(1, 12), R(1, 12), R(4, 12), R(3, 12), R(3, 12)])),
    "p+q": (G["p"] + G["q"], 1000, 1, lambda s: fa.discrete(
        [0, 1, 2], [R(1, 3), R(1, 2), R(1, 6)])),
}
SLOW = {"p+q", "a+b"}     # their theory (several bands and atoms) takes 5-10 s to solve


@pytest.mark.parametrize("name", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k
                                  for k in CASES])
def test_sample_agrees_with_theory_and_rejects_wrong_law(name):
    # Monte Carlo N (see CASES), tolerance from N (compare's expected-error scale)
    expr, n, trials, wrong = CASES[name]
    sol = fa.spectrum(expr)
    ev = sample(expr, n=n, seed=11, trials=trials)
    rep = compare(sol, ev, moments=4)
    assert rep.ks <= rep.ks_threshold, str(rep)
    assert rep.agrees, str(rep)
    bad = compare(wrong(sol), ev, moments=4)
    assert bad.ks > bad.ks_threshold, str(bad)
    assert not bad.agrees


def test_atoms_are_counted_exactly():
    # exact: p q p has an atom at 0 of mass 1 - min(1/2, 1/3) = 2/3 (Wachter; rank formula);
    # realised ranks round(N/2), round(N/3) give exactly 1 - round(N/3)/N zero eigenvalues
    p, q = G["p"], G["q"]
    n = 301
    ev = sample(p * q * p, n=n, seed=2)
    rep = compare(fa.spectrum(p * q * p), ev, moments=0)
    (loc, mass, emp, err, scale), = rep.atoms
    assert loc == 0 and mass == pytest.approx(2 / 3)
    assert emp == pytest.approx(1 - round(n / 3) / n)
    assert err <= scale


def test_snapping_keeps_roundoff_zeros_on_the_atom():
    # exact: atom of mass 1/2 at 0 (bernoulli(1/2)); round-off of size 1e-15 must not create
    # a KS jump next to the atom
    ev = np.r_[np.full(500, 0.0) + 1e-15 * np.random.default_rng(0).standard_normal(500),
               np.ones(500)]
    rep = compare(fa.bernoulli(R(1, 2)), ev, moments=2)
    assert rep.ks < 1e-12 and rep.agrees


def test_reproducible_and_trials():
    x = G["x"]
    a1 = sample(x, n=60, seed=5, trials=3)
    a2 = sample(x, n=60, seed=5, trials=3)
    assert np.array_equal(a1, a2)
    assert not np.array_equal(a1, sample(x, n=60, seed=6, trials=3))
    per = sample(x, n=60, seed=5, trials=3, per_trial=True)
    assert per.shape == (3, 60)
    assert np.allclose(np.sort(per.ravel()), np.sort(np.asarray(a1)))
    # seed given as a SeedSequence or a Generator
    sample(x, n=10, seed=np.random.SeedSequence(1))
    sample(x, n=10, seed=np.random.default_rng(1))
    assert a1.info["n"] == 60 and a1.info["trials"] == 3
    assert isinstance(pickle.loads(pickle.dumps(a1)), SampledSpectrum)


def test_field_choice_and_singular_values():
    x, u, c = G["x"], G["u"], G["c"]
    assert sample(x, n=10).info["field"] == "real"
    assert sample(u + u.H, n=10).info["field"] == "complex"
    assert sample(x + sp.I * x * x - sp.I * x * x, n=10).info["field"] == "real"   # cancels
    assert sample(x * G["y"] * sp.I - sp.I * G["y"] * x, n=10).info["field"] == "complex"
    sv = sample(c, n=200, seed=1)
    assert sv.info["quantity"] == "singular values" and np.all(sv >= 0)
    # singular values s of a circular: s^2 is free Poisson(1) (Marchenko-Pastur), Monte Carlo
    rep = compare(fa.free_poisson(1), np.asarray(sv) ** 2, n=200)
    assert rep.agrees, str(rep)


def test_free_diagonal_families_are_not_left_commuting():
    # two free deterministic generators: at most one stays diagonal (else they would commute)
    a, b = G["a"], G["b"]
    rng = np.random.default_rng(0)
    real = realise((a + b).generators, 50, rng, False)
    assert len(real.diag) == 1 and len(real.dense) == 1
    # the commutator of the realisations is O(1) (free), not 0 (classical)
    A = np.diag(real.diag[a.generator]) if a.generator in real.diag else real.dense[a.generator]
    B = np.diag(real.diag[b.generator]) if b.generator in real.diag else real.dense[b.generator]
    assert np.linalg.norm(A @ B - B @ A) / np.sqrt(50) > 0.1
    # a commuting family stays jointly diagonal, with independent entries
    e1, e2 = fa.commuting(fa.selfadjoint("e1", fa.bernoulli(R(1, 2))),
                          fa.selfadjoint("e2", fa.bernoulli(R(1, 2))))
    real = realise((e1 + e2).generators, 4000, rng, False)
    v1, v2 = real.diag[e1.generator], real.diag[e2.generator]
    assert v1.mean() == 0.5 and v2.mean() == 0.5
    # independence: E[e1 e2] = 1/4 within 4 standard deviations (Monte Carlo N=4000)
    assert abs(np.mean(v1 * v2) - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 4000)


def test_quantiles_and_atom_multiplicities():
    assert atom_counts([R(1, 3)] * 3, 10) == [4, 3, 3]
    v = quantile_vector(fa.mixture([fa.dirac(0), fa.semicircle(1)], [R(1, 4), R(3, 4)]), 400)
    assert np.sum(v == 0) == 100       # exact multiplicity 400/4; 300 midpoint quantiles
    assert np.min(np.abs(quantile_vector(fa.semicircle(1), 301))) < 1e-12   # odd: the median
    # the continuous part is a semicircle(1): its quantiles lie in [-2, 2], variance 1
    cont = np.sort(v)[np.sort(v) != 0]
    assert cont.min() > -2 and cont.max() < 2 and abs(np.mean(cont ** 2) - 1) < 0.01


def test_activation_uses_gaussian_preactivations():
    # exact: E[tanh'(h)^2] for h ~ N(0, 1) from the law's moments; Monte Carlo N = 4000 entries
    t = G["t"]
    ev = sample(t, n=4000, seed=3)
    assert ev.info["classical"]
    m2 = float(t.generator.params[0].moments(2)[1])
    sd = np.std(np.asarray(ev) ** 2) / math.sqrt(4000)
    assert abs(np.mean(np.asarray(ev) ** 2) - m2) < 4 * sd


def test_ks_threshold_formula():
    # the documented scale: 3 (1 + ln N)/N, plus 1.95/sqrt(N T) for iid parts
    assert ks_threshold(1000) == pytest.approx(3 * (1 + math.log(1000)) / 1000)
    assert ks_threshold(1000, 4, True) == pytest.approx(
        3 * (1 + math.log(1000)) / 1000 + 1.95 / math.sqrt(4000))


def test_report_prints():
    x = G["x"]
    rep = compare(fa.semicircle(1), sample(x, n=100, seed=0), moments=3)
    s = str(rep)
    assert "KS" in s and "AGREES" in s and "atom" not in s
    assert "<pre>" in rep._repr_html_()
    bad = compare(fa.semicircle(4), sample(x, n=100, seed=0))
    assert "DISAGREES" in str(bad) and bad.failures
    clone = pickle.loads(pickle.dumps(bad))
    assert clone.ks == bad.ks and clone.agrees == bad.agrees


# --------------------------------------------------------------------------------------------
# bad input


def test_bad_expressions():
    with pytest.raises(InvalidParameterError, match="NCPoly"):
        sample("x + y", n=10)
    with pytest.raises(InvalidParameterError, match="NCPoly"):
        sample(np.eye(3), n=10)
    s = sp.Symbol("s")
    with pytest.raises(UndeterminedError):
        sample(s * G["x"], n=10)
    with pytest.raises(UndeterminedError):
        sample(fa.projection("p", s), n=10)


@pytest.mark.parametrize("n", [0, -3, 2.5, "10", True, None])
def test_bad_n(n):
    with pytest.raises(InvalidParameterError, match="n="):
        sample(G["x"], n=n)


def test_absurd_n_is_refused_by_memory():
    with pytest.raises(InvalidParameterError, match="GiB"):
        sample(G["x"] + G["y"], n=10**7)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_bad_seed(seed):
    with pytest.raises(InvalidParameterError, match="seed"):
        sample(G["x"], n=10, seed=seed)


def test_bad_options():
    with pytest.raises(InvalidParameterError, match="backend"):
        sample(G["x"], n=10, backend="cupy")
    with pytest.raises(InvalidParameterError, match="field"):
        sample(G["u"] + G["u"].H, n=10, field="real")
    with pytest.raises(InvalidParameterError, match="trials"):
        sample(G["x"], n=10, trials=0)
    with pytest.raises(InvalidParameterError, match="progress"):
        sample(G["x"], n=10, progress="yes")


def test_compare_bad_input():
    with pytest.raises(InvalidParameterError):
        compare(fa.semicircle(1), [])
    with pytest.raises(InvalidParameterError):
        compare(fa.semicircle(1), [1.0, np.nan])
    with pytest.raises(InvalidParameterError):
        compare(fa.semicircle(1), [1 + 1j, 2])
    with pytest.raises(InvalidParameterError):
        compare("semicircle", [1.0, 2.0])
    with pytest.raises(InvalidParameterError):
        compare(fa.semicircle(1), [1.0], moments=-1)


@pytest.mark.skipif(have("torch"), reason="torch is installed")
def test_torch_missing_names_the_extra():
    with pytest.raises(OptionalDependencyError, match=r"pip install -e \"\.\[gpu\]\"") as err:
        sample(G["x"], n=10, backend="torch")
    assert isinstance(err.value, ImportError) and isinstance(err.value, FreeAlgError)


@pytest.mark.skipif(have("dask") and have("distributed"), reason="dask is installed")
def test_dask_missing_names_the_extra():
    with pytest.raises(OptionalDependencyError, match=r"pip install -e \"\.\[dask\]\""):
        sample(G["x"], n=10, backend="dask")


@pytest.mark.skipif(not have("tqdm"), reason="tqdm (the progress extra) is not installed")
def test_progress_bar_runs():
    ev = sample(G["x"], n=20, trials=2, progress=True)
    assert ev.shape == (40,)


@pytest.mark.skipif(not have("torch"), reason="torch (the gpu extra) is not installed")
def test_torch_backend_agrees_with_theory():
    # Monte Carlo N=300, tolerance from N: the torch models are the numpy ones
    x, u, a = G["x"], G["u"], G["a"]
    for expr, law in ((x, fa.semicircle(1)), (u + u.H, fa.arcsine(-2, 2))):
        ev = sample(expr, n=300, seed=1, backend="torch", device="cpu")
        assert compare(law, ev).agrees
    ev = sample(x + u * a * u.H, n=200, seed=1, backend="torch", device="cpu")
    assert np.all(np.isfinite(ev)) and ev.shape == (200,)
    p, q = G["p"], G["q"]
    ev = sample(p * q * p, n=300, seed=1, backend="torch", device="cpu")
    assert compare(fa.spectrum(p * q * p), ev).agrees


@pytest.mark.skipif(not (have("dask") and have("distributed")),
                    reason="dask.distributed (the dask extra) is not installed")
def test_dask_backend_equals_serial():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(n_workers=2, threads_per_worker=1, processes=False,
                            dashboard_address=None) as client:
        ev = sample(G["x"], n=50, seed=4, trials=4, backend="dask", client=client)
    assert np.array_equal(np.asarray(ev), np.asarray(sample(G["x"], n=50, seed=4, trials=4)))


# --------------------------------------------------------------------------------------------
# plotting


def test_histogram_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from freealg import plotting

    p, q = G["p"], G["q"]
    sol = fa.spectrum(p * q * p)
    ev = sample(p * q * p, n=200, seed=0)
    for ext in ("png", "svg"):
        out = plotting.histogram(sol, ev, tmp_path / f"h.{ext}")
        assert out.exists() and out.stat().st_size > 1000
    fig = plotting.histogram(fa.semicircle(1), sample(G["x"], n=100))
    assert fig.axes
    with pytest.raises(InvalidParameterError, match="extension"):
        plotting.histogram(sol, ev, tmp_path / "h.txt")
