"""fa.nn: Jacobian and Fisher-information spectra of random MLPs, against closed forms, the exact
trace and Monte Carlo of the real network (issue 6).

References used below:
* PSG 2017 = Pennington, Schoenholz, Ganguli, NIPS 2017 (arXiv:1711.04735) §2.4-2.5: with
  S_{JJ^T} = prod_l S_{W_l W_l^T} S_{D_l^2}, m_1(J J^T) = prod_l sigma_w^2 E[phi'(h_l)^2] and
  m_2/m_1^2 - 1 = sum_l (mu2_l/mu1_l^2 - 1) (+1 per Gaussian layer: S_MP = 1/(1+m)), from
  S(m) = 1/m_1 + m (1/m_1 - m_2/m_1^3) + O(m^2).
* fa.trace: the moment-cumulant formula with vanishing mixed free cumulants, independent of the
  compiler's rules and of the laws' product code.
* Hayase-Karakida 2021 (arXiv:2006.07814): the dual FIM recursion H_{l+1} = qhat_l +
  W_{l+1} D_l H_l D_l W_{l+1}^T (derived again in freealg/nn/mlp.py).
* Monte Carlo of the real network: the empirical law of each D_l^2 (N iid entries) deviates from
  its limit by O(N^-1/2) (DKW), and L layers compound it: smoothed spectral statistics of one
  width-N network deviate from the limit by about sqrt(L/N); tolerances are 3 sqrt(L/(N trials)).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
import freealg.nn as nn
from freealg.errors import InvalidParameterError
from freealg.nn.activations import H, activation_expr

from _references import weight_jacobian_gram

ACTS = ["relu", "hard_tanh", "tanh", "linear"]


def _net(act, weights, L):
    # sigma_b = 0.05 keeps an isolated fixed point q* for the saturating activations
    sb = 0 if act in ("relu", "linear") else sp.Rational(1, 20)
    return nn.MLP(L, act, weights=weights, sigma_b=sb)


# ---------------------------------------------------------------------------------------------
# activations and mean field


def test_activation_names_parse_without_eval():
    assert activation_expr("relu") == sp.Max(H, 0)
    assert activation_expr("leaky_relu(0.25)") == sp.Max(H, H / 4)
    for bad in ["__import__('os')", "relu(", "nope", "leaky_relu(x)", 3]:
        with pytest.raises(InvalidParameterError):
            activation_expr(bad)
    with pytest.raises(InvalidParameterError):
        activation_expr("tanh(2)")  # takes no parameter


def _gauss_hermite(f, q, n=200):
    """E[f(h)], h ~ N(0, q), by probabilists' Gauss-Hermite (independent of the quadrature of
    freealg.nn.meanfield; exact for polynomials up to degree 2n-1, accurate for smooth f)."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return float((w * f(np.sqrt(q) * x)).sum() / np.sqrt(2 * np.pi))


def test_mean_field_against_gauss_hermite():
    mf = nn.MeanField("tanh", 1.2, 0.1)
    q = float(mf.q_star)
    # fixed point: q = sigma_w^2 E[tanh(h)^2] + sigma_b^2
    assert abs(1.44 * _gauss_hermite(lambda h: np.tanh(h) ** 2, q) + 0.01 - q) < 1e-12
    chi = 1.44 * _gauss_hermite(lambda h: (1 - np.tanh(h) ** 2) ** 2, q)
    assert abs(mf.chi_star - chi) < 1e-12
    # ReLU: qhat(q) = q/2 exactly; chi = sigma_w^2/2, critical at sigma_w = sqrt 2 (He init)
    relu = nn.MeanField("relu", sp.sqrt(2), 0)
    assert relu.qhat(sp.Rational(3)) == sp.Rational(3, 2) and relu.regime() == "critical"
    assert abs(nn.critical_sigma_w("relu") - math.sqrt(2)) < 1e-10
    sw = nn.critical_sigma_w("tanh", 0.05)
    assert abs(nn.MeanField("tanh", sw, 0.05).chi_star - 1) < 1e-9
    assert "chi = 1 at sigma_w" in nn.MeanField("tanh", 1.0, 0.05).advice()


def test_signal_that_dies_out_has_q_star_zero():
    """sigma_b = 0 and phi(0) = 0: q = 0 is a fixed point of the variance map, attracting when
    sigma_w^2 phi'(0)^2 <= 1 (Poole et al. 2016; Schoenholz et al. 2017: tanh at sigma_b = 0
    is critical at sigma_w = 1, chi = sigma_w^2 phi'(0)^2 at q* = 0). Was NoConvergence."""
    for sw in (0.8, 1):
        mf = nn.MeanField("tanh", sw, 0)
        assert mf.q_star == 0
        assert abs(mf.chi_star - sw**2) < 1e-12
    assert nn.MeanField("tanh", 1, 0).regime() == "critical"
    # ReLU below He scale: q_l = (sigma_w^2/2)^l q_0 -> 0; chi = sigma_w^2/2 for every q
    relu = nn.MeanField("relu", 1, 0)
    assert relu.q_star == 0 and abs(relu.chi_star - 0.5) < 1e-15
    # the network follows q_l from |x^0|^2/N = 1, as the real forward pass does
    net = nn.MLP(2, "tanh", sigma_w=1)
    q2 = _gauss_hermite(lambda h: np.tanh(h) ** 2, 1.0)      # q_1 = 1, q_2 = E tanh(h_1)^2
    assert abs(float(net.q[0]) - 1) < 1e-15 and abs(float(net.q[1]) - q2) < 1e-12


def test_bad_architectures():
    for kw in [dict(depth=0), dict(depth=2.5), dict(depth=2, weights="sparse"),
               dict(depth=2, sigma_w=-1), dict(depth=2, q0=-1), dict(depth=2, activation="x")]:
        with pytest.raises(InvalidParameterError):
            nn.MLP(**kw)
    with pytest.raises(InvalidParameterError):
        nn.MLP(2).sample_jacobian(n=1)


def test_d_laws_are_exact_for_piecewise_activations():
    # ReLU' in {0, 1} w.p. 1/2: sigma_w^2 D^2 ~ {0, 2} (PSG 2017 §2.5)
    from freealg.nn.mlp import _square_law

    net = nn.MLP(2, "relu")
    law = _square_law(net._d(1))
    assert {(a.location, a.mass) for a in law.atoms()} == {(0, sp.Rational(1, 2)),
                                                           (2, sp.Rational(1, 2))}
    # hard-tanh' = 1 on |h| < 1: mass P(|h| < 1) = erf(1/sqrt(2 q)) at sigma_w^2
    ht = nn.MLP(2, "hard_tanh", sigma_w=1, sigma_b=sp.Rational(1, 10), q0=1)
    law = _square_law(ht._d(1))
    q1 = float(ht.q[0])
    top = max(law.atoms(), key=lambda a: a.location)
    assert abs(float(top.mass) - math.erf(1 / math.sqrt(2 * q1))) < 1e-12


# ---------------------------------------------------------------------------------------------
# Jacobian J J^T: moments


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("L", [1, 3, pytest.param(10, marks=pytest.mark.slow)])
def test_jacobian_moments(act, weights, L):
    net = _net(act, weights, L)
    sol = net.jacobian_spectrum()
    m = [sp.N(v, 30) for v in sol.moments(6)]
    # PSG 2017: m_1 and m_2 from the layers' D^2 moments
    from freealg.nn.mlp import _square_law

    m1, s = 1, 0
    for l in range(1, L + 1):
        d2 = _square_law(net._d(l))
        a1, a2 = [sp.N(v, 30) for v in d2.moments(2)]
        m1 *= a1
        s += a2 / a1**2 - 1 + (1 if weights == "gaussian" else 0)
    assert abs(m[0] - m1) < 1e-12 * abs(m1)
    assert abs(m[1] / m[0] ** 2 - 1 - s) < 1e-12
    # all six against the exact trace of (J J^T)^k (tanh: only where the trace is cheap)
    kmax = 6 if (act != "tanh" and L <= 3) else (3 if L <= 3 else 2)
    J = net.jacobian_expr()
    P = J * J.H
    for k in range(1, kmax + 1):
        ref = sp.N(fa.trace(P**k), 30)
        assert abs(m[k - 1] - ref) <= 1e-12 * abs(ref), (k, m[k - 1], ref)


def test_jacobian_system_is_the_s_transform_product():
    net = nn.MLP(3, "relu", weights="gaussian")
    sysj = net.jacobian_system()
    rules = [st.rule for st in sysj.steps]
    assert rules.count("product") >= 3 and "circular" in rules  # MP factor per Gaussian layer
    tex = sysj.latex()
    assert "S_" in tex
    # the law: ({0,2} ⊠ MP)^{⊠3}; m_2 = 1 + 3 (1 + 1) = 7 (PSG 2017, see module docstring)
    assert sysj.law.moments(2) == [1, 7]


def test_relu_jacobian_edge_and_atom():
    # orthogonal ReLU: S = ((1+m)/(1+2m))^L, edge L^L/(L-1)^(L-1) (bench_jacobian_depth.py) and
    # the atom at 0 of mass 1/2 (Belinschi 2003: the largest atom at 0 of the factors)
    for L in (2, 4):
        net = nn.MLP(L, "relu")
        sol = net.jacobian_spectrum(dps=20)
        assert [(a.location, a.mass) for a in sol.atoms()] == [(0, sp.Rational(1, 2))]
        ref = mpmath.mpf(L) ** L / mpmath.mpf(L - 1) ** (L - 1)
        assert abs(net.max_singular_value(20) ** 2 - ref) < mpmath.mpf(10) ** -15 * ref


# ---------------------------------------------------------------------------------------------
# Jacobian: the real network


def _smoothed_error(sol, ev, gamma=0.1, n=40):
    """||G_theory - G_sample|| / ||G_theory|| (l2 over x + i gamma, x from 3 gamma to the 99%
    quantile): Cauchy-smoothed densities p_gamma = -Im G/pi, kept away from the
    atom at 0 that would otherwise dominate the norm."""
    x = np.linspace(3 * gamma, float(np.quantile(ev, 0.99)), n)
    z = x + 1j * gamma
    gt = sol.cauchy(z)
    ge = (1 / (z[:, None] - ev[None, :])).mean(axis=1)
    return float(np.linalg.norm(gt - ge) / np.linalg.norm(gt))


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("act", [a if a != "tanh" else pytest.param(a, marks=pytest.mark.slow)
                                 for a in ACTS])
@pytest.mark.parametrize("L", [1, 3, pytest.param(10, marks=pytest.mark.slow)])
def test_jacobian_density_against_real_network(act, weights, L):
    N = 1000
    net = _net(act, weights, L)
    ev = net.sample_jacobian(n=N, seed=L, threads=1)
    tol = 2 * math.sqrt(L / N)  # module docstring; seen: 0.003-0.022 at N = 1000, L <= 3
    sol = net.jacobian_spectrum()
    assert _smoothed_error(sol, ev) < tol
    m1 = float(sol.moments(1)[0])
    assert abs(ev.mean() - m1) < 1.5 * tol * m1  # m_1 = tau(J J^T) fluctuates like sqrt(L/N)
    if act == "linear" and weights == "orthogonal":
        return  # J J^T = I: no shape to get wrong
    # a wrong architecture (sigma_w 30% too large) fails one of the two checks
    wrong = nn.MLP(L, act, weights=weights, sigma_w=1.3 * float(net.sigma_w),
                   sigma_b=net.sigma_b, q0=net.q0).jacobian_spectrum()
    m1w = float(wrong.moments(1)[0])
    assert _smoothed_error(wrong, ev) > tol or abs(ev.mean() - m1w) > 1.5 * tol * m1w


# ---------------------------------------------------------------------------------------------
# Fisher information / per-sample NTK


def test_fisher_two_hidden_layers_closed_form():
    """ReLU, orthogonal, critical, q0: H_3 = qhat_2 + O3 D2 (qhat_1 + qhat_0 O2 D1^2 O2^T) D2 O3^T
    with qhat_l = q0. sigma_w^2 D^2 = 2P for a projection P of trace 1/2, so
    law(H_3) = q0 + law(2 P (q0 + 2 q0 Q) P) = q0 + 2 q0 law(P) + 4 q0 law(PQP), P, Q free
    projections of trace 1/2: PQP is 1/2 delta_0 + 1/2 arcsine[0, 1] (Wachter 1980 with
    alpha = beta = 1/2). Hence H_3 ~ 1/2 delta_{q0} + 1/2 arcsine[3 q0, 7 q0]:
    density 1/(2 pi sqrt((x - 3 q0)(7 q0 - x)))."""
    q0 = sp.Rational(3, 2)
    net = nn.MLP(3, "relu", q0=q0)
    assert net.qhat() == [q0, q0, q0]
    sol = net.fisher_spectrum(dps=30)
    assert [(a.location, a.mass) for a in sol.atoms()] == [(q0, sp.Rational(1, 2))]
    a, b = 3 * q0, 7 * q0
    with mpmath.workdps(30):
        for x in ["4.6", "6", "9.9", "10.4"]:
            xm = mpmath.mpf(x)
            ref = 1 / (2 * mpmath.pi * mpmath.sqrt((xm - a) * (b - xm)))
            got = sol.density(xm, dps=30)
            assert abs(got - ref) < mpmath.mpf(10) ** -25 * ref
    assert sol.moments(1) == [3 * q0]  # m_1 = q L at criticality
    assert net.lambda_max(30) == 7 * q0


@pytest.mark.parametrize("L, act", [(2, "relu"), pytest.param(4, "relu", marks=pytest.mark.slow),
                                    pytest.param(3, "leaky_relu(0.2)", marks=pytest.mark.slow)])
def test_lambda_max_curve_matches_spectrum(L, act):
    # two independent computations of the top of spec(H_L): the chi-curve recursion and the
    # right end (edge or atom) of the solved law tree
    net = nn.MLP(L, act)
    a = net.lambda_max(20, method="curve")
    b = net.lambda_max(20, method="spectrum")
    assert abs(a - b) < mpmath.mpf(10) ** -12 * abs(b), (L, act, a, b)


def test_lambda_max_grows_linearly_under_dynamical_isometry():
    """Hayase-Karakida 2021: under dynamical isometry lambda_max grows linearly in L. Hard-tanh
    with orthogonal weights at sigma_w = 1, small sigma_b is near-isometric (q* small, D ~ 1
    w.h.p.): lambda_max(L)/L settles; ReLU (no isometry: J J^T spreads like e L) grows faster."""
    lam = {L: float(nn.MLP(L, "hard_tanh", sigma_w=1, sigma_b=sp.Rational(1, 20))
                    .lambda_max(15)) for L in (10, 20, 40)}
    assert abs(lam[40] / lam[20] - 2) < 0.1 and abs(lam[20] / lam[10] - 2) < 0.15
    relu = {L: float(nn.MLP(L, "relu").lambda_max(15)) for L in (10, 20)}
    assert relu[20] / relu[10] > 3


def test_fisher_dual_is_the_per_sample_fim():
    """H = sum_l (|x^{l-1}|^2/n) B_l B_l^T equals (1/n) J_theta J_theta^T for the weight
    gradients J_theta = d h^L / d vec(W_1..W_L), here by central finite differences."""
    n, L = 12, 3
    net = nn.MLP(L, "tanh", sigma_w=1.1, sigma_b=0, q0=1)
    rng = np.random.default_rng(3)
    Ws, hs, xs, ds = net._forward(n, rng)
    Hm = net._fisher_matrix(n, rng, net=(Ws, hs, xs, ds))
    phi, _ = nn.activations.activation_numpy(net.phi)

    def out(Wl):
        x = xs[0]
        for W in Wl:
            h = W @ x
            x = np.asarray(phi(h), float) * np.ones(n)
        return h

    assert np.allclose(Hm, weight_jacobian_gram(Ws, out), atol=1e-7)


@pytest.mark.parametrize("act", ["relu", "hard_tanh"])
def test_fisher_against_real_network(act):
    N, L = 400, 3
    sb = 0 if act == "relu" else sp.Rational(1, 20)
    net = nn.MLP(L, act, sigma_b=sb)
    ev = net.sample_fisher(n=N, seed=5, threads=1)
    sol = net.fisher_spectrum(dps=15)
    err = _smoothed_error(sol, ev, gamma=0.2)
    assert err < 3 * math.sqrt(L / N)
    wrong = nn.MLP(L, act, sigma_w=1.3 * float(net.sigma_w), sigma_b=sb, q0=net.q0)
    assert _smoothed_error(wrong.fisher_spectrum(dps=15), ev, gamma=0.2) > 3 * math.sqrt(L / N)
    assert abs(ev.mean() - float(sol.moments(1)[0])) < 3 * math.sqrt(L / N) * float(
        sol.moments(1)[0])


def test_learning_rate_threshold_experiment():
    """GD with step factor * 2/lambda_max on a target near the initial output (the local
    quadratic regime): 10% below the threshold the real network converges, 10% above it the loss
    grows 1000-fold (Hayase-Karakida 2021 §6: eta_c = 2/lambda_max of the conditional FIM)."""
    net = nn.MLP(3, "relu")
    res = net.learning_rate_experiment(factors=(0.9, 1.1), steps=60, n=200, seed=0)
    assert not res[0]["diverged"] and res[0]["loss_last"] < res[0]["loss_first"]
    assert res[1]["diverged"] and res[1]["unstable"]
    assert abs(float(net.max_learning_rate(20)) - 2 / 7) < 1e-15  # lambda_max = 7 q0, q0 = 1


def test_limit_law_is_the_limit_of_near_isometric_products():
    """S_L = (rho (1+m)/(rho+m))^L with rho = 1 - 1/L (a projection of trace rho rescaled to
    mean 1, per layer) tends to exp(-m/(1+m)) (PSG 2018); the density error must fall like 1/L:
    err * L constant (seen: 0.372, 0.375, 0.377 at L = 50, 100, 200)."""
    x = np.array([0.3, 0.8, 1.5, 2.2])
    ref = fa.multiplicative_exponential(1).density(x)
    errs = {}
    for L in (50, 100):
        rho = 1 - sp.Rational(1, L)
        P = fa.free_product([(fa.affine(fa.bernoulli(rho), 1 / rho, 0), L)])
        errs[L] = float(np.abs(P.density(x) - ref).max())
    assert errs[100] < 0.01 and abs(errs[50] / errs[100] - 2) < 0.1
    # the edge of exp(-s m/(1+m)) is min_m (1+m) e^{s m/(1+m)}/m = e^s (m -> inf)
    mu = fa.multiplicative_exponential(1)
    edge = mu.edges(dps=15)[-1]  # not a fold (reached as m -> inf): bisected, with its error
    assert abs(edge.location - mpmath.e) <= 2 * edge.error + 1e-14 and edge.error < 1e-9
    assert mu.moments(2) == [1, 2]  # m_2 = 1 + sigma^2


def test_mlp_limit_law_matches_the_first_two_moments():
    net = nn.MLP(20, "hard_tanh", sigma_w=1, sigma_b=sp.Rational(1, 50))
    lim = net.limit_law()
    m = net.jacobian_spectrum().moments(2)
    assert all(abs(sp.N(a - b, 30)) < 1e-12 for a, b in zip(lim.moments(2), m))
    with pytest.raises(InvalidParameterError):
        nn.MLP(3, "relu", weights="gaussian").limit_law()


@pytest.mark.slow
def test_lambda_max_of_a_tanh_network_with_bias_against_the_real_network():
    """tanh with sigma_b > 0: the Fisher law has affine layers over a smooth activation law
    (lambda_max raised IndexError before). The top eigenvalue of H_L of width-400 networks,
    averaged over 5 seeds, lies within 3% of lambda_max (soft edge: finite-N shift
    O(N^{-2/3}) ~ 2%, fluctuations ~ 0.5% per realisation at this N)."""
    net = nn.MLP(2, "tanh", sigma_b=sp.Rational(1, 20))
    lam = float(net.lambda_max(15, method="spectrum"))
    tops = [net.sample_fisher(n=400, seed=s, threads=1).max() for s in range(5)]
    assert abs(np.mean(tops) - lam) < 0.03 * lam


@pytest.mark.parametrize("act", ["hard_tanh", "tanh"])
def test_learning_rate_threshold_with_biases(act):
    """With sigma_b > 0 the trained network carries the same (fixed) biases as the theory, so
    q_l and H_L agree and eta_c = 2/lambda_max still splits convergence from divergence sharply
    (Hayase-Karakida 2021 §6); the training used to drop the biases."""
    net = nn.MLP(2, act, sigma_b=sp.Rational(1, 10))
    res = net.learning_rate_experiment(factors=(0.9, 1.1), steps=60, n=200, seed=0, threads=1)
    assert not res[0]["unstable"] and res[0]["loss_last"] < 1e-6 * res[0]["loss_first"]
    assert res[1]["diverged"]
