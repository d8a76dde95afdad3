"""Fitting free models to spectra by the Cauchy noise loss (issue 15).

Every data set is simulated here with numpy alone (GOE/Wishart matrices, a numpy network), never
with freealg. Tolerances: the parameters below enter the spectra through linear statistics such
as the mean and the variance of the eigenvalues, whose fluctuations for one N x N matrix are
O(1/N) (not O(N^-1/2): eigenvalues repel); each tolerance states the sd of such a statistic
and allows several times it, plus the Monte Carlo of the Cauchy noise (stratified, N K draws).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError
from freealg.fitting import IdentifiabilityWarning, Objective, cauchy_noise_loss, residual


def goe(n, rng):
    """GOE normalised to the semicircle on [-2, 2]."""
    H = rng.standard_normal((n, n))
    return (H + H.T) / np.sqrt(2 * n)


def wishart_eigs(p, n, rng, pop=None):
    """Eigenvalues of (1/n) T^(1/2) Z Z^T T^(1/2), Z p x n standard Gaussian, T = diag(pop)."""
    Z = rng.standard_normal((p, n))
    if pop is not None:
        Z = np.sqrt(pop)[:, None] * Z
    return np.linalg.eigvalsh(Z @ Z.T / n)


z, G = sp.symbols("z G")


@pytest.mark.parametrize("law", [
    fa.free_additive(fa.discrete([-1, 2], [sp.Rational(1, 3), sp.Rational(2, 3)]),
                     fa.semicircle(sp.Rational(1, 4))),
    fa.free_multiplicative(fa.discrete([1, 4], [sp.Rational(2, 3), sp.Rational(1, 3)]),
                           fa.marchenko_pastur(sp.Rational(1, 2))),
    fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(3, sp.Rational(1, 2))),
    fa.affine(fa.free_poisson(2), 3, -1),
    fa.mixture([fa.semicircle(1), fa.affine(fa.free_poisson(2), 1, 3)],
               [sp.Rational(1, 4), sp.Rational(3, 4)]),
])
def test_residual_vanishes_at_the_engines_cauchy_transform(law):
    # reference: the engine's Cauchy transform (its own solver: subordination / curves), which
    # the residual equation (Biane subordination; Silverstein-Bai eq. (1.4)) must satisfy
    F = sp.lambdify((z, G), residual(law, z, G))
    pts = np.array([0.3 + 0.05j, 1.7 + 0.4j, 5 + 1j, -2 + 0.2j])
    g = np.asarray(law.cauchy(pts))
    assert np.max(np.abs(F(pts, g))) < 1e-11


def test_exact_gradient_matches_central_differences():
    # the gradient comes from the implicit function theorem; central differences of the loss
    # (h = 1e-5, error O(h^2)) are the reference
    a, s = sp.symbols("a s", positive=True)
    law = fa.free_additive(fa.discrete([-a, a], [sp.Rational(1, 2)] * 2), fa.semicircle(s**2))
    x = np.linspace(-3, 3, 60)
    obj = Objective(law, [a, s], x, 0.1)
    th = np.array([1.5, 0.6])
    _, grad, scores = obj.evaluate(th)
    for j in range(2):
        e = np.zeros(2)
        e[j] = 1e-5
        fd = (obj.evaluate(th + e)[0] - obj.evaluate(th - e)[0]) / 2e-5
        assert abs(grad[j] - fd) < 1e-6 * max(1, abs(fd))
    assert scores.shape == (60, 2)


def test_free_poisson_rate():
    # (1/p) X X^T, X p x n Gaussian, is free Poisson of rate n/p = 2 (Marchenko-Pastur 1967).
    # Its mean eigenvalue has sd sqrt(2 p n)/p^2 = 0.0067 (p = 300, n = 600); tolerance 0.05.
    lam = sp.Symbol("lam", positive=True)
    rng = np.random.default_rng(3)
    ev = wishart_eigs(300, 600, rng) * 2
    res = fa.fit(fa.free_poisson(lam), ev, {lam: 1.0})
    assert res.converged
    assert abs(res.params[lam] - 2) < 0.05
    # the stderr brackets the truth (it is conservative for eigenvalues, see FitResult)
    assert abs(res.params[lam] - 2) < 3 * res.stderr[lam]


@pytest.mark.slow
def test_signal_plus_noise_ncpoly():
    # A + s x, A = diag(+-a) half and half, x GOE: law(A) ⊞ semicircle(s^2) (Voiculescu).
    # N = 400: the variance of the eigenvalues (a^2 + s^2) has sd ~ 1/N; tolerance 0.05.
    a, s = sp.symbols("a s", positive=True)
    A = fa.selfadjoint("A", fa.discrete([-a, a], [sp.Rational(1, 2)] * 2))
    model = A + s * fa.semicircular("x")
    rng = np.random.default_rng(5)
    N = 400
    M = np.diag(np.repeat([-2.0, 2.0], N // 2)) + 0.5 * goe(N, rng)
    res = fa.fit(model, np.linalg.eigvalsh(M), {a: 1.0, s: 1.0})
    assert res.converged
    assert abs(res.params[a] - 2) < 0.05 and abs(res.params[s] - 0.5) < 0.05
    assert res.law.free_symbols == set()
    assert "FitResult(a=" in repr(res) and "<table>" in res._repr_html_()
    assert len(res.history) >= 1 and res.history[-1][0] >= res.loss - 1e-9


def test_affine_semicircle_two_parameters_fast():
    # a + s x on one GOE of N = 1000 (semicircle of mean a, variance s^2): mean and variance
    # of the eigenvalues have sd ~ 1/N; tolerance 0.02. Speed: well under 30 s.
    a, s = sp.symbols("a s", positive=True)
    rng = np.random.default_rng(7)
    ev = np.linalg.eigvalsh(0.7 * goe(1000, rng)) + 1.5
    t0 = time.perf_counter()
    res = fa.fit(a + s * fa.semicircular("x"), ev, {a: 1.0, s: 1.0})
    assert time.perf_counter() - t0 < 30
    assert abs(res.params[a] - 1.5) < 0.02 and abs(res.params[s] - 0.7) < 0.02


@pytest.mark.slow
def test_mlp_jacobian_sigma_w_from_singular_values():
    # a real two-layer linear network with Gaussian weights W_l ~ N(0, sigma_w^2/N): J = W2 W1,
    # J J^T has law sigma_w^4 (MP ⊠ MP) (free multiplicative convolution of two free Poisson
    # laws of rate 1; Pennington, Schoenholz and Ganguli 2017). N = 400 singular values;
    # sigma_w^4 scales the mean of J J^T's eigenvalues (sd ~ 1/N): tolerance 2% on sigma_w.
    sw = sp.Symbol("sigma_w", positive=True)
    rng = np.random.default_rng(11)
    N, true = 400, 1.3
    W1 = rng.standard_normal((N, N)) * true / np.sqrt(N)
    W2 = rng.standard_normal((N, N)) * true / np.sqrt(N)
    sv = np.linalg.svd(W2 @ W1, compute_uv=False)
    model = fa.affine(fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1)), sw**4)
    res = fa.fit(model, sv, {sw: 1.0}, kind="singular_values")
    assert abs(res.params[sw] - true) < 0.02 * true


def test_fit_atoms_signal_plus_noise_picks_two():
    # well separated atoms -2, 2 (gap 4 >> 4 sigma = 2 of the semicircle's width): k = 2
    rng = np.random.default_rng(0)
    N = 300
    ev = np.linalg.eigvalsh(np.diag(np.repeat([-2.0, 2.0], N // 2)) + 0.5 * goe(N, rng))
    res = fa.fit_atoms(ev, "signal_plus_noise", max_atoms=3, sigma=0.5)
    assert res.k == 2 and len(res.table) == 3
    (a1, w1), (a2, w2) = res.atoms
    # atom locations: the mean of each half, sd ~ 1/N; tolerance 0.05
    assert abs(a1 + 2) < 0.05 and abs(a2 - 2) < 0.05 and abs(w1 - 0.5) < 0.02
    assert "k=2" in repr(res)


@pytest.mark.slow
def test_fit_atoms_compound_wishart():
    # sample covariance of n = 600 Gaussian vectors with population covariance diag(1 x 200,
    # 4 x 100), p = 300, c = 1/2: law(T) ⊠ MP(1/2) (Silverstein-Bai 1995). Population atoms
    # enter through tr(S) and tr(S^2) (sd ~ 1/p); tolerance 5% on locations, 0.03 on weights.
    rng = np.random.default_rng(2)
    pop = np.repeat([1.0, 4.0], [200, 100])
    ev = wishart_eigs(300, 600, rng, pop)
    res = fa.fit_atoms(ev, "compound_wishart", ratio=0.5, max_atoms=3)
    assert res.k == 2
    (a1, w1), (a2, w2) = res.atoms
    assert abs(a1 - 1) < 0.05 and abs(a2 - 4) < 0.2 and abs(w1 - 2 / 3) < 0.03


@pytest.mark.slow
def test_fit_atoms_signal_plus_noise_unknown_sigma_three_atoms():
    rng = np.random.default_rng(4)
    N = 600
    A = np.repeat([-4.0, 0.0, 4.0], N // 3)
    ev = np.linalg.eigvalsh(np.diag(A) + 0.5 * goe(N, rng))
    res = fa.fit_atoms(ev, "signal_plus_noise", max_atoms=4)
    assert res.k == 3
    assert abs(res.sigma - 0.5) < 0.05
    assert all(abs(a - t) < 0.1 for (a, _), t in zip(res.atoms, [-4, 0, 4]))


@pytest.mark.slow
def test_coverage_of_the_standard_errors():
    # 20 seeds, free Poisson rate 2 (p = 100, n = 200): the truth inside +-2 stderr >= 80%
    lam = sp.Symbol("lam", positive=True)
    inside = 0
    for seed in range(20):
        ev = wishart_eigs(100, 200, np.random.default_rng(100 + seed)) * 2
        res = fa.fit(fa.free_poisson(lam), ev, {lam: 1.5})
        inside += abs(res.params[lam] - 2) <= 2 * res.stderr[lam]
    assert inside >= 16


# bad input ----------------------------------------------------------------------------------
@pytest.fixture
def fp():
    lam = sp.Symbol("lam", positive=True)
    return fa.free_poisson(lam), lam


@pytest.mark.parametrize("data, what", [
    (np.r_[np.ones(20), np.nan], "non-finite"),
    (np.r_[np.ones(20), np.inf], "non-finite"),
    (np.ones(5), "at least 10"),
    (np.ones(20) + 1j, "must be real"),
    ("abc", "real numbers"),
])
def test_bad_data(fp, data, what):
    law, lam = fp
    with pytest.raises(InvalidParameterError, match=what):
        fa.fit(law, data, {lam: 1.0})


def test_mixture_weight():
    # 300 GOE eigenvalues and 100 points exactly at 3: the weight of the semicircle is 3/4 on
    # this very sample; the atom is resolved at scale gamma, tolerance 0.02 (4 points in 400)
    w = sp.Symbol("w", positive=True)
    ev = np.r_[np.linalg.eigvalsh(goe(300, np.random.default_rng(8))), np.full(100, 3.0)]
    res = fa.fit(fa.mixture([fa.semicircle(1), fa.dirac(3)], [w, 1 - w]), ev, {w: 0.5},
                 bounds={w: (0.01, 0.99)})
    assert abs(res.params[w] - 0.75) < 0.02


def test_unsupported_model_is_undetermined():
    t = sp.Symbol("t", positive=True)
    law = fa.free_compression(fa.free_additive(fa.semicircle(1), fa.free_poisson(t)),
                              sp.Rational(1, 2))
    with pytest.raises(fa.UndeterminedError, match="residual equation"):
        fa.fit(law, np.linspace(-1, 1, 50), {t: 1.0})


def test_bad_gamma_and_symbols(fp):
    law, lam = fp
    x = np.linspace(0.1, 3, 50)
    for g in (0, -1.0, float("nan")):
        with pytest.raises(InvalidParameterError, match="gamma"):
            fa.fit(law, x, {lam: 1.0}, gamma=g)
    with pytest.raises(InvalidParameterError, match="not a free symbol"):
        fa.fit(law, x, {sp.Symbol("mu"): 1.0})
    with pytest.raises(InvalidParameterError, match="all be given"):
        fa.fit(fa.free_additive(law, fa.semicircle(sp.Symbol("v", positive=True))), x,
               {lam: 1.0})
    with pytest.raises(InvalidParameterError, match="kind"):
        fa.fit(law, x, {lam: 1.0}, kind="eigen")
    with pytest.raises(InvalidParameterError, match="method"):
        fa.fit(law, x, {lam: 1.0}, method="Nelder-Mead")
    with pytest.raises(InvalidParameterError, match="model"):
        fa.fit_atoms(x, "wishart")
    with pytest.raises(InvalidParameterError, match="ratio"):
        fa.fit_atoms(x, "compound_wishart")


def test_unidentifiable_parameters_warn():
    # semicircle(u v): only the product is determined
    u, v = sp.symbols("u v", positive=True)
    ev = np.linalg.eigvalsh(goe(200, np.random.default_rng(1)))
    with pytest.warns(IdentifiabilityWarning):
        fa.fit(fa.semicircle(u * v), ev, {u: 0.8, v: 0.9})


def test_cauchy_noise_loss_prefers_the_true_law():
    ev = np.linalg.eigvalsh(goe(300, np.random.default_rng(2)))
    assert cauchy_noise_loss(fa.semicircle(1), ev) < cauchy_noise_loss(fa.semicircle(2), ev)
    assert math.isfinite(cauchy_noise_loss(fa.semicircle(1), ev, gamma=0.05))


def test_plot():
    pytest.importorskip("matplotlib")
    v = sp.Symbol("v", positive=True)
    ev = np.linalg.eigvalsh(goe(200, np.random.default_rng(1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fa.fit(fa.semicircle(v), ev, {v: 0.5})
    fig = res.plot()
    assert fig.axes
