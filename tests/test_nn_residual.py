"""fa.nn.MLP(..., residual=alpha): residual networks, J = prod_l (I + alpha D_l W_l)."""

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError

from _references import weight_jacobian_gram


def _arcsine_moments(a, k):
    # L = 1, linear, orthogonal W = O: J J^T = (1 + a^2) I + a (O + O^T). The eigenvalues of a
    # Haar orthogonal matrix are e^{+-i theta} with theta equidistributed on the circle
    # (Diaconis-Shahshahani 1994), so the law is that of 1 + a^2 + 2 a cos(theta), theta
    # uniform: the arcsine law on [(1 - a)^2, (1 + a)^2]. E cos^{2i} = binom(2i, i)/4^i.
    c = 1 + a**2
    out = []
    for n in range(1, k + 1):
        out.append(sum(sp.binomial(n, j) * c ** (n - j) * (2 * a) ** j
                       * (sp.binomial(j, j // 2) / 2**j if j % 2 == 0 else 0)
                       for j in range(n + 1)))
    return out


@pytest.mark.parametrize("alpha", ["1/2", 2])
def test_linear_orthogonal_one_layer_arcsine(alpha):
    a = sp.Rational(alpha)
    net = fa.nn.MLP(1, "linear", residual=alpha)
    assert net.jacobian_spectrum().moments(4) == _arcsine_moments(a, 4)


def test_residual_zero_is_identity():
    sol = fa.nn.MLP(2, "relu", residual=0).jacobian_spectrum()
    assert sol.moments(3) == [1, 1, 1]


def _mc(net, n, trials, k):
    per = np.array([[np.mean(ev**j) for j in range(1, k + 1)]
                    for ev in (net.sample_jacobian(n=n, seed=50 + t, threads=1)
                               for t in range(trials))])
    return per.mean(0), per.std(0, ddof=1) / np.sqrt(trials)


@pytest.mark.parametrize("act,weights", [("relu", "orthogonal"), ("relu", "gaussian"),
                                         ("linear", "gaussian")])
def test_two_layers_against_real_network(act, weights):
    net = fa.nn.MLP(2, act, weights=weights, residual="1/2")
    th = np.array([float(sp.N(m)) for m in net.jacobian_spectrum().moments(3)])
    mean, se = _mc(net, 300, 8, 3)
    tol = 5 * se + 4.0 * np.abs(th) / 300           # N-derived: standard errors + O(1/N)
    assert np.all(np.abs(mean - th) < tol), (mean, th, tol)
    # wrong-model control: the non-residual network must fail the same test
    wrong = np.array([float(sp.N(m)) for m in fa.nn.MLP(2, act, weights=weights)
                      .jacobian_spectrum().moments(3)])
    assert not np.all(np.abs(mean - wrong) < tol)


@pytest.mark.parametrize("bad", [-1, "-1/2", "x", True, 1j])
def test_bad_alpha(bad):
    with pytest.raises(InvalidParameterError):
        fa.nn.MLP(2, "relu", residual=bad)


def test_residual_refusals():
    with pytest.raises(InvalidParameterError):
        fa.nn.MLP(2, "relu", residual=1, widths=[1, 2, 1])
    with pytest.raises(InvalidParameterError):
        fa.nn.MLP(2, "relu", residual=1).limit_law()
    # the expanded Fisher polynomial of residual nets with smooth activations (the diagonals'
    # joint law is continuous) is refused, and the message says why and where to go instead
    net = fa.nn.MLP(2, "tanh", residual=1)
    for f in (net.fisher_system, net.fisher_expr, net.fisher_spectrum):
        with pytest.raises(InvalidParameterError, match="commuting family.*sample_fisher"):
            f()


def test_residual_sample_fisher_is_the_gradient_gram():
    # K_L must be (1/n) J_theta J_theta^T of the real network's output x^L, with J_theta the
    # derivative with respect to every weight entry; here by central differences
    from freealg.nn.activations import activation_numpy

    net = fa.nn.MLP(3, "tanh", residual="1/2", sigma_b=sp.Rational(1, 5))
    n, a = 6, 0.5
    Ws, hs, xs, ds = net._forward(n, np.random.default_rng(3))
    K = net._fisher_matrix(n, None, (Ws, hs, xs, ds))
    phi = activation_numpy(net.phi)[0]
    bs = [h - W @ x for h, W, x in zip(hs, Ws, xs)]        # the biases of this draw

    def out(ws):
        x = xs[0]
        for W, b in zip(ws, bs):
            x = x + a * np.asarray(phi(W @ x + b), float)
        return x

    assert np.max(np.abs(weight_jacobian_gram(Ws, out) - K)) < 1e-8 * np.max(np.abs(K))
    ev = net.sample_fisher(n=20, seed=1)
    assert ev.shape == (20,) and ev.min() > -1e-12


def test_residual_fisher_mean_against_the_mean_field():
    # tau(K_l) = tau(A_l^T A_l) tau(K_{l-1}) + kappa_l tau(S_l^2), tau(A^T A) = 1 + alpha^2 tau(S^2)
    # (W_l Haar: tau(W^T S K) = 0, tau(W^T S^2 W K) = tau(S^2) tau(K)), S_l = sigma_w phi'(h^l),
    # kappa_l = alpha^2 qhat_{l-1}/sigma_w^2: exact in the limit whatever the joint law of the
    # D_l (only first moments enter)
    net = fa.nn.MLP(3, "tanh", residual="1/2")
    a, sw = net.residual, net.sigma_w
    m1 = 0.0
    for l in range(1, 4):
        s2 = float(sp.N(fa.compile(net._d(l) * net._d(l)).law.moments(1)[0]))
        kappa = float(a**2 * net.q[l - 1] / sw**4)
        m1 = (1 + float(a) ** 2 * s2) * m1 + kappa * s2
    n, trials = 300, 8
    per = np.array([np.mean(net.sample_fisher(n=n, seed=70 + t, threads=1))
                    for t in range(trials)])
    tol = 5 * per.std(ddof=1) / np.sqrt(trials) + 4.0 * m1 / n
    assert abs(per.mean() - m1) < tol, (per.mean(), m1, tol)
    # wrong-model control: the skip path's growth of the back-propagated signal dropped
    # (tau(A^T A) = 1) must fail
    wrong = 0.0
    for l in range(1, 4):
        s2 = float(sp.N(fa.compile(net._d(l) * net._d(l)).law.moments(1)[0]))
        wrong = wrong + float(a**2 * net.q[l - 1] / sw**4) * s2
    assert abs(per.mean() - wrong) > tol


def test_residual_mean_field_hard_tanh_against_real_network():
    # hard tanh is odd (E phi = 0): q_2 = sigma_w^2 (q_0 + alpha^2 E phi(h_1)^2), h_1 ~ N(0, 1)
    net = fa.nn.MLP(2, "hard_tanh", residual=1, q0=1)
    p = sp.erf(1 / sp.sqrt(2))          # E min(h^2, 1) = P(|h| < 1) - 2 h phi(h)|_1 + P(|h| > 1)
    e2 = (p - sp.sqrt(2 / sp.pi) * sp.exp(-sp.Rational(1, 2))) + (1 - p)
    assert abs(float(net.q[1]) - float(1 + e2)) < 1e-12
    th = np.array([float(sp.N(m)) for m in net.jacobian_spectrum().moments(3)])
    mean, se = _mc(net, 300, 8, 3)
    tol = 5 * se + 4.0 * np.abs(th) / 300
    assert np.all(np.abs(mean - th) < tol), (mean, th, tol)
    # wrong-model control: the stream's growth ignored (q_2 = q_1)
    wrong = fa.nn.MLP(2, "hard_tanh", residual=1, q0=1)
    wrong.q = [net.q[0], net.q[0]]
    w = np.array([float(sp.N(m)) for m in wrong.jacobian_spectrum().moments(3)])
    assert not np.all(np.abs(mean - w) < tol)


def test_deep_residual_linearization_over_budget_is_a_freealg_error(monkeypatch):
    # Gaussian weights still go through the linearization (orthogonal ones: a ⊠ product)
    from freealg.errors import SizeLimitError

    monkeypatch.setenv("FREEALG_MEMORY_BUDGET", "1K")
    with pytest.raises(SizeLimitError):
        fa.nn.MLP(2, "relu", weights="gaussian", residual=1).jacobian_system()


def _arcsine_density(x, a):
    # density of 1 + a^2 + 2a cos(theta), theta uniform: 1/(pi sqrt((x - lo)(hi - x)))
    lo, hi = (1 - a) ** 2, (1 + a) ** 2
    return 1 / (np.pi * np.sqrt((x - lo) * (hi - x)))


def test_linear_orthogonal_one_layer_density():
    sol = fa.nn.MLP(1, "linear", residual="1/2").jacobian_spectrum(dps=15)
    xs = np.array([0.3, 0.7, 0.9, 2.2])
    assert np.allclose(sol.density(xs), _arcsine_density(xs, 0.5), rtol=1e-9, atol=0)


def test_linear_orthogonal_one_layer_density_centre():
    sol = fa.nn.MLP(1, "linear", residual="1/2").jacobian_spectrum(dps=15)
    xs = np.array([1.0, 1.25, 1.5])
    assert np.allclose(sol.density(xs), _arcsine_density(xs, 0.5), rtol=1e-9, atol=0)


def test_residual_selu_mean_field_where_the_mean_nearly_cancels():
    # SELU keeps E selu(h) ~ 0 near q = 1: at depth 10 the stream reaches q = 0.9993, where
    # E selu(h) = -6.3e-5 is a cancellation of O(1) terms (the quadrature used to demand 1e-14
    # of that: NoConvergence at a residual of 1e-16). Against mpmath.quad of the closed form
    import mpmath

    from freealg.numeric.activation import gaussian_expectation

    net = fa.nn.MLP(10, "selu", residual="1/2")
    assert len(net.q) == 10
    lam = mpmath.mpf("1.0507009873554804934193349852946")
    al = mpmath.mpf("1.6732632423543772848170429916717")
    q = 0.999286334038404
    val, err = gaussian_expectation([net.mean_field._fnp], q, net.mean_field._breaks)
    with mpmath.workdps(30):
        c = 1 / mpmath.sqrt(2 * mpmath.pi * q)
        ref = mpmath.quad(lambda h: (lam * h if h > 0 else lam * al * (mpmath.exp(h) - 1))
                          * c * mpmath.exp(-h * h / (2 * q)), [-mpmath.inf, 0, mpmath.inf])
    assert abs(float(ref)) < 1e-4
    assert abs(val[0] - float(ref)) < 1e-15 and err < 1e-15
