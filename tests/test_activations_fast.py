"""Every listed activation: mean field, criticality and Jacobian moments, fast and exact
(issue 16, item 1).

References used below:
* Poole, Lahiri, Raghu, Sohl-Dickstein, Ganguli, NIPS 2016 (arXiv:1606.05340) and Schoenholz,
  Gilmer, Ganguli, Sohl-Dickstein, ICLR 2017 (arXiv:1611.01232): the variance map
  q -> sigma_w^2 E[phi(h)^2] + sigma_b^2, h ~ N(0, q), its fixed point q*, and
  chi = sigma_w^2 E[phi'(h)^2] at q*; at sigma_b = 0 an odd saturating phi (tanh, erf) has
  q* = 0 for sigma_w <= 1/phi'(0) and is critical at sigma_w = 1/phi'(0)
  (chi = sigma_w^2 phi'(0)^2).
  Every expectation is recomputed here with ``mpmath.quad`` at 20 digits (split at the kinks),
  independently of the float64 Gauss-Legendre rule of freealg.numeric.activation.
* Pennington, Schoenholz, Ganguli, NIPS 2017 (arXiv:1711.04735) §2 and AISTATS 2018: with
  Haar orthogonal weights S_{JJ^T} = prod_l S_{sigma_w^2 D_l^2}, so m_1(J J^T) = prod_l mu1_l and
  m_2/m_1^2 - 1 = sum_l (mu2_l/mu1_l^2 - 1), mu_k = sigma_w^(2k) E[phi'(h_l)^(2k)].
* Monte Carlo of the real network (numpy forward pass, Haar weights): the normalised trace of
  J J^T of one width-N network fluctuates around m_1 by about sqrt(L/N) relative (the N iid
  entries of each D_l, compounded over L layers); tolerances are 4 sqrt(L/(N trials)).
"""

from __future__ import annotations

import math
import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg.nn as nn
from freealg.errors import InvalidParameterError, NoConvergence
from freealg.nn.activations import H, activation_expr, activation_numpy

LISTED = ["tanh", "erf", "sigmoid", "silu", "swish", "gelu", "softplus", "elu", "selu",
          "leaky_relu(0.1)", "hard_tanh", "relu", "linear"]
USER = sp.atan(sp.Symbol("x")) + sp.Symbol("x") / 4       # a user sympy expression

# ---------------------------------------------------------------------------------------------
# independent mpmath versions of the activations and their derivatives (not freealg's)

_LAM = mpmath.mpf("1.0507009873554804934193349852946")
_ALP = mpmath.mpf("1.6732632423543772848170429916717")


def _mp(name):
    """(phi, phi', kinks) in mpmath, written from the definitions."""
    sig = lambda h: 1 / (1 + mpmath.exp(-h))                                  # noqa: E731
    Phi = lambda h: mpmath.ncdf(h)                                            # noqa: E731
    table = {
        "tanh": (mpmath.tanh, lambda h: mpmath.sech(h) ** 2, []),
        "erf": (mpmath.erf, lambda h: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-h * h), []),
        "sigmoid": (sig, lambda h: sig(h) * (1 - sig(h)), []),
        "silu": (lambda h: h * sig(h), lambda h: sig(h) + h * sig(h) * (1 - sig(h)), []),
        "gelu": (lambda h: h * Phi(h), lambda h: Phi(h) + h * mpmath.npdf(h), []),
        "softplus": (lambda h: mpmath.log1p(mpmath.exp(h)), sig, []),
        "elu": (lambda h: h if h > 0 else mpmath.expm1(h),
                lambda h: 1 if h > 0 else mpmath.exp(h), [0]),
        "selu": (lambda h: _LAM * (h if h > 0 else _ALP * mpmath.expm1(h)),
                 lambda h: _LAM * (1 if h > 0 else _ALP * mpmath.exp(h)), [0]),
        "hard_tanh": (lambda h: max(-1, min(1, h)), lambda h: 1 if abs(h) < 1 else 0, [-1, 1]),
        "user": (lambda h: mpmath.atan(h) + h / 4, lambda h: 1 / (1 + h * h) + mpmath.mpf(1) / 4,
                 []),
    }
    table["swish"] = table["silu"]
    return table[name]


def _E(f, q, kinks=()):
    """E[f(h)], h ~ N(0, q), by mpmath.quad in t = h/sqrt(q), split at the kinks."""
    s = mpmath.sqrt(q)
    pts = sorted({-mpmath.inf, mpmath.inf, mpmath.mpf(0)} | {mpmath.mpf(k) / s for k in kinks})
    return mpmath.quad(lambda t: f(s * t) * mpmath.npdf(t), pts)


def _q_star_chi(name, sw, sb, start):
    """q* by mpmath.findroot (secant) of q = sw^2 E[phi^2] + sb^2 with mpmath.quad integrals,
    started 5% off ``start``, then chi at q*; the slope of the map there is checked < 1 (an
    attracting fixed point)."""
    phi, dphi, kinks = _mp(name)
    with mpmath.workdps(20):
        sw, sb = mpmath.mpf(sw), mpmath.mpf(sb)

        def g(v):
            return sw**2 * _E(lambda h: phi(h) ** 2, v, kinks) + sb**2 - v

        q = mpmath.findroot(g, mpmath.mpf(start) * 1.05)
        assert (g(q * 1.001) - g(q * 0.999)) / (q * 0.002) < 0      # slope of the map < 1
        chi = sw**2 * _E(lambda h: dphi(h) ** 2, q, kinks)
        return q, chi


def _spec(name):
    return USER if name == "user" else name


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("act", LISTED + ["user"])
def test_every_activation_builds_fast_and_numbers_are_finite(act):
    t0 = time.perf_counter()
    net = nn.MLP(3, _spec(act), progress=False)      # the critical sigma_w at sigma_b = 0
    # loose (a loaded machine); the construction is float64 mean field (< 1 s unloaded)
    assert time.perf_counter() - t0 < 5
    assert all(float(q) > 0 for q in net.q)
    phi, dphi = activation_numpy(net.phi)
    big = np.array([-1e4, -800.0, 800.0, 1e4])         # exp(800) overflows float64
    assert np.all(np.isfinite(phi(big))) and np.all(np.isfinite(dphi(big)))


@pytest.mark.parametrize("act, sw, sb", [("tanh", 1.3, 0.3), ("erf", 1.1, 0.2),
                                         ("sigmoid", 4.0, 0.1), ("silu", 1.6, 0.1),
                                         ("gelu", 1.5, 0.2), ("softplus", 1.2, 0.1),
                                         ("elu", 1.2, 0.1), ("selu", 1.0, 0.1),
                                         ("hard_tanh", 1.1, 0.1), ("user", 1.2, 0.1)])
def test_mean_field_against_mpmath_quadrature(act, sw, sb):
    """q* and chi* against mpmath.quad + findroot of the defining integrals (Poole et al.)."""
    mf = nn.MeanField(_spec(act), sw, sb)
    q_ref, chi_ref = _q_star_chi(act, sw, sb, float(mf.q_star))
    assert abs(float(mf.q_star) - float(q_ref)) < 1e-11 * float(q_ref)
    assert abs(mf.chi_star - float(chi_ref)) < 1e-11


def test_critical_sigma_w_is_exact_for_odd_activations():
    """sigma_b = 0, phi odd with phi'(0) phi'''(0) < 0: critical at 1/phi'(0) (Poole et al.
    2016, Schoenholz et al. 2017), exactly: 1 for tanh, sqrt(pi)/2 for erf."""
    assert nn.critical_sigma_w("tanh", exact=True) == 1
    assert sp.simplify(nn.critical_sigma_w("erf", exact=True) - sp.sqrt(sp.pi) / 2) == 0
    assert nn.MLP(2, "tanh").sigma_w == 1
    assert nn.MeanField("tanh", 1, 0).chi_star == 1.0
    # the q* -> 0 end for the other activations with phi(0) = 0: 1/phi'(0) (silu, gelu: 2)
    assert nn.critical_sigma_w("silu", exact=True) == 2
    assert nn.critical_sigma_w("gelu", exact=True) == 2
    # the q* -> oo end for softplus (phi' -> 0, 1): sqrt 2, as ReLU
    assert nn.critical_sigma_w("softplus", 0.1, exact=True) == sp.sqrt(2)
    # gelu with a bias: the ordered fixed point disappears (saddle-node) before chi reaches 1,
    # so no sigma_w is critical: a clear error, not a wrong number
    with pytest.raises(NoConvergence, match="saddle-node"):
        nn.critical_sigma_w("gelu", 0.05)


@pytest.mark.parametrize("act, sb", [("tanh", 0.05), ("sigmoid", 0.0), ("elu", 0.1),
                                     pytest.param("erf", 0.3, marks=pytest.mark.slow),
                                     pytest.param("selu", 0.05, marks=pytest.mark.slow),
                                     pytest.param("user", 0.2, marks=pytest.mark.slow)])
def test_critical_sigma_w_against_mpmath_findroot(act, sb):
    """chi(q*) = 1 with q* = sigma_w^2 E[phi^2](q*) + sigma_b^2: mpmath.findroot in (q, sigma_w)
    with mpmath.quad integrals, started 5% off freealg's answer; agreement to 1e-12."""
    sw = nn.critical_sigma_w(_spec(act), sb)
    phi, dphi, kinks = _mp(act)
    with mpmath.workdps(20):
        sbm = mpmath.mpf(sb)
        q0 = float(nn.MeanField(_spec(act), sw, sb).q_star)

        def eqs(q, s):
            return [s**2 * _E(lambda h: phi(h) ** 2, q, kinks) + sbm**2 - q,
                    s**2 * _E(lambda h: dphi(h) ** 2, q, kinks) - 1]

        q_ref, sw_ref = mpmath.findroot(eqs, (mpmath.mpf(q0) * 1.05, mpmath.mpf(sw) * 1.05))
    assert abs(sw - float(sw_ref)) < 1e-12 * float(sw_ref)


@pytest.mark.parametrize("act", ["silu", "gelu", "sigmoid", pytest.param("selu",
                                                                        marks=pytest.mark.slow)])
def test_jacobian_moments_are_the_s_transform_product(act):
    """m_1 = prod mu1_l, m_2/m_1^2 - 1 = sum (mu2_l/mu1_l^2 - 1) (PSG 2017/2018), the layer
    moments mu_k = sigma_w^(2k) E[phi'(h_l)^(2k)] by mpmath.quad along the mpmath q_l."""
    sw, sb, L = 1.3, sp.Rational(1, 10), 3
    net = nn.MLP(L, act, sigma_w=sw, sigma_b=sb, q0=1, progress=False)
    m1, m2 = (float(v) for v in net.jacobian_spectrum().moments(2))
    phi, dphi, kinks = _mp(act)
    with mpmath.workdps(20):
        q = mpmath.mpf(sw) ** 2 * 1 + mpmath.mpf(0.1) ** 2
        M1, var = mpmath.mpf(1), mpmath.mpf(0)
        for _ in range(L):
            a1 = sw**2 * _E(lambda h: dphi(h) ** 2, q, kinks)
            a2 = sw**4 * _E(lambda h: dphi(h) ** 4, q, kinks)
            M1 *= a1
            var += a2 / a1**2 - 1
            q = sw**2 * _E(lambda h: phi(h) ** 2, q, kinks) + mpmath.mpf(0.1) ** 2
    assert abs(m1 - float(M1)) < 1e-12 * float(M1)
    assert abs(m2 / m1**2 - 1 - float(var)) < 1e-11


@pytest.mark.parametrize("act", ["gelu", "sigmoid"])
def test_jacobian_moments_against_the_real_network(act):
    """Monte Carlo of the real network (forward pass, Haar weights): tau(J J^T) within
    4 sqrt(L/(N trials)) of m_1; a 20% larger sigma_w (wrong model) is outside."""
    L, N, trials = 3, 400, 2
    net = nn.MLP(L, act, sigma_w=1.3, sigma_b=sp.Rational(1, 10), progress=False)
    ev = net.sample_jacobian(n=N, seed=1, trials=trials, threads=1)
    m1 = float(net.jacobian_spectrum().moments(1)[0])
    tol = 4 * math.sqrt(L / (N * trials))
    assert abs(ev.mean() - m1) < tol * m1
    wrong = nn.MLP(L, act, sigma_w=1.3 * 1.2, sigma_b=net.sigma_b, q0=net.q0, progress=False)
    m1w = float(wrong.jacobian_spectrum().moments(1)[0])
    assert abs(ev.mean() - m1w) > tol * m1w


def test_mean_field_is_overflow_safe_for_large_preactivations():
    """Pre-activations of size 1e3-1e4 (sigma_w = 50): no OverflowError, finite numbers."""
    for act in ("sigmoid", "silu", "softplus", "gelu", "elu", "selu"):
        mf = nn.MeanField(act, 50, 1)
        assert mf.chi(1e6) > 0 and math.isfinite(mf.chi(1e6))
        assert math.isfinite(float(mf.qhat(1e6)))


def test_new_activations_parse_and_bad_input():
    # the tanh forms equal the textbook definitions (checked at 30 digits)
    for name, ref in [("softplus", lambda h: mpmath.log1p(mpmath.exp(h))),
                      ("sigmoid", lambda h: 1 / (1 + mpmath.exp(-h))),
                      ("silu", lambda h: h / (1 + mpmath.exp(-h)))]:
        e = activation_expr(name)
        for v in ("-7.5", "0.3", "12"):
            with mpmath.workdps(40):
                assert abs(sp.N(e.subs(H, sp.Float(v, 40)), 35) - ref(mpmath.mpf(v))) < 1e-28
    assert activation_expr("elu(0.5)").subs(H, -1) == sp.Rational(1, 2) * (sp.exp(-1) - 1)
    assert activation_expr("selu").subs(H, 2) > 2
    for bad in ["mish", "elu(-1)", "selu(2)", "softplus(1)"]:
        with pytest.raises(InvalidParameterError):
            activation_expr(bad)
    with pytest.raises(NoConvergence):
        nn.critical_sigma_w("tanh", 0.05, bracket=(0.1, 0.2))


def test_oscillating_user_activation_sin():
    """A user expression sin(h): the critical sigma_w search scans q up to 1e6, where the
    quadrature cannot resolve sin^2 (those points are skipped), and F(q) = tanh q - q at
    q = 1e-8 is at the rounding of u ~ q (it came out positive): before, NoConvergence. Odd
    with sin'(0) = 1: critical sigma_w = 1 exactly. The Jacobian's top edge against real
    networks (Tracy-Widom scale n^(-2/3)); the linear net (all singular values 1) is the wrong
    model."""
    phi = sp.sin(H)
    assert nn.critical_sigma_w(phi, exact=True) == 1
    net = nn.MLP(3, phi, progress=False)
    assert net.sigma_w == 1
    # q_2 = E sin^2(h) at q_1 = 1: (1 - e^-2)/2
    assert abs(float(net.q[1]) - (1 - math.exp(-2)) / 2) < 1e-14
    n = 500
    top = np.mean([net.sample_jacobian(n=n, seed=s, threads=1).max() for s in (1, 2)])
    r = float(net.max_singular_value(dps=15)) ** 2
    assert abs(top - r) < 3 * r * n ** (-2 / 3), (top, r)
    assert abs(top - 1) > 3 * r * n ** (-2 / 3)


def test_user_expression_that_overflows_in_float64():
    """h/(1 + exp(-2 h)) overflows in float64 for h < -355 (exp(710)): the critical sigma_w
    scan (q up to 1e6) skips those points, 1/phi'(0) = 2 exactly; its law of phi'(h) is
    refused with a clear message naming the overflow, and the same activation in an
    overflow-safe form, h (1 + tanh h)/2, works (m_1 against the real network)."""
    assert nn.critical_sigma_w(H / (1 + sp.exp(-2 * H)), exact=True) == 2
    with pytest.raises(InvalidParameterError, match="overflow"):
        nn.MLP(2, H / (1 + sp.exp(-2 * H))).jacobian_spectrum().moments(1)
    net = nn.MLP(2, H * (1 + sp.tanh(H)) / 2, progress=False)
    m1 = float(net.jacobian_spectrum().moments(1)[0])
    ev = net.sample_jacobian(n=400, seed=1, trials=2, threads=1)
    tol = 4 * math.sqrt(2 / (400 * 2))
    assert abs(ev.mean() - m1) < tol * m1
    wrong = nn.MLP(2, H * (1 + sp.tanh(H)) / 2, sigma_w=1.2 * net.sigma_w, progress=False)
    m1w = float(wrong.jacobian_spectrum().moments(1)[0])     # a 20 % larger sigma_w
    assert abs(ev.mean() - m1w) > tol * m1w
