"""fa.nn.MLP(..., widths=...): Jacobian spectra of MLPs with unequal layer widths."""

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError

W3 = [1, "1/2", 2]        # contracting, then expanding: rank N/2 of 2N at the output


def test_linear_orthogonal_closed_form():
    # W1 = V1 (N/2 x N co-isometry), W2 = sqrt(4) V2 (2N x N/2 isometry): J J^T = 4 V2 V2^T,
    # 4 times a projection of rank N/2 in dimension 2N: (3/4) delta_0 + (1/4) delta_4
    sol = fa.nn.MLP(2, "linear", widths=W3).jacobian_spectrum()
    assert sol.atoms() == [fa.Atom(0, sp.Rational(3, 4), 0), fa.Atom(4, sp.Rational(1, 4), 0)]
    assert sol.moments(3) == [1, 4, 16]


def test_linear_gaussian_two_layers_exact_moments():
    # J = W2 W1 with W1 (N/2 x N), W2 (2N x N/2), entries of variance 1/(n_{l-1} N).
    # tau_{2N}(J J^T) = (1/(2N)) E Tr(W2 W1 W1^T W2^T) = 1 (each layer keeps the normalised
    # trace, entries of variance 1/(n_{l-1} N)); rank N/2 of 2N: atom 3/4 at 0. Higher moments
    # are checked against the real network (test_against_real_network).
    sol = fa.nn.MLP(2, "linear", weights="gaussian", widths=W3).jacobian_spectrum()
    assert sol.moments(1) == [1]
    assert sol.atoms()[0].location == 0 and sol.atoms()[0].mass == sp.Rational(3, 4)


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_relu_rank_atom_exact(weights):
    # D1 keeps half of the N/2 block: rank N/4 of 2N (D2 keeps N of 2N, larger): atom 7/8
    sol = fa.nn.MLP(2, "relu", weights=weights, widths=W3).jacobian_spectrum()
    assert sol.atoms()[0] == fa.Atom(0, sp.Rational(7, 8), 0)
    assert sol.moments(1) == [1]          # critical ReLU: chi = 1 per layer, any widths


def test_equal_widths_unchanged():
    a = fa.nn.MLP(2, "relu", widths=[2, 2, 2])
    assert a.widths is None and repr(a) == repr(fa.nn.MLP(2, "relu"))


def _mc_moments(net, n, trials, k=3):
    per = []
    for t in range(trials):
        ev = net.sample_jacobian(n=n, seed=100 + t, threads=1)
        per.append([np.mean(ev**j) for j in range(1, k + 1)])
    per = np.array(per)
    return per.mean(0), per.std(0, ddof=1) / np.sqrt(trials)


@pytest.mark.parametrize("act", ["linear", "relu", "hard_tanh"])
@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_against_real_network(act, weights):
    widths = [1, "3/2", "1/2"]
    net = fa.nn.MLP(2, act, weights=weights, widths=widths)
    th = [float(sp.N(m)) for m in net.jacobian_spectrum().moments(3)]
    n, trials = 400, 10
    mean, se = _mc_moments(net, n, trials, 3)
    # tolerance: 5 standard errors of the trial mean plus the O(1/n) finite-size bias
    tol = 5 * se + 4.0 * np.abs(th) / n
    assert np.all(np.abs(mean - th) < tol), (mean, th, tol)
    # wrong-model control: the equal-width network's moments must fail the same test
    wrong = [float(sp.N(m)) for m in fa.nn.MLP(2, act, weights=weights)
             .jacobian_spectrum().moments(3)]
    assert not np.all(np.abs(mean - wrong) < tol)


def test_rank_fraction_of_real_network():
    net = fa.nn.MLP(2, "relu", widths=W3)
    ev = net.sample_jacobian(n=200, seed=3, threads=1)
    # exact: 7/8 of the 400 eigenvalues vanish (rank 50); a ReLU half is Binomial(100, 1/2)
    assert abs(np.mean(ev < 1e-9) - 7 / 8) < 5 * np.sqrt(100 * 0.25) / 400


@pytest.mark.parametrize("bad", [[1, 2], [1, 0, 1], [1, -1, 2], [1, "x", 1], "12", 3,
                                 [1, True, 2]])
def test_bad_widths(bad):
    with pytest.raises(InvalidParameterError):
        fa.nn.MLP(2, "relu", widths=bad)


def test_fisher_needs_equal_widths():
    net = fa.nn.MLP(2, "relu", widths=W3)
    for f in (net.fisher_system, net.lambda_max, net.limit_law):
        with pytest.raises(InvalidParameterError):
            f()


def _d_moments(act, sw, q):
    """E[(sigma_w phi'(h))^2], E[(sigma_w phi'(h))^4], h ~ N(0, q), by hand."""
    sw2 = sp.sympify(sw) ** 2
    if act == "linear":
        return sw2, sw2**2
    if act == "relu":                       # phi' = 1{h > 0}: probability 1/2
        return sw2 / 2, sw2**2 / 2
    p = sp.erf(1 / sp.sqrt(2 * sp.sympify(q)))     # hard tanh: P(|h| < 1)
    return sw2 * p, sw2**2 * p


def _reference_m1_m2(act, weights, widths, net):
    """m1, m2 of J J^T by the free moment formula tau(a b a b) = tau(a^2) tau(b)^2 +
    tau(a)^2 tau(b^2) - tau(a)^2 tau(b)^2 for free a, b (Nica-Speicher, Lectures on the
    Combinatorics of Free Probability, 2006, Lecture 14) and the layer rules: Gaussian W of
    shape (r, c) (variance 1/(c N)): tau_r(W M W^T) = tau(M), tau_r((W M W^T)^2) = tau(M)^2 +
    (r/c) tau(M^2) (Wick, planar pairings); Haar isometry: expanding (r >= c, scaled by
    sqrt(r/c)): tau(M) and (r/c) tau(M^2); contracting (t = r/c < 1): the compression by a free
    projection of trace t, tau(M) and tau(M)^2 + t (tau(M^2) - tau(M)^2)."""
    ws = [sp.Rational(w) for w in widths]
    m1, m2 = sp.S.One, sp.S.One                # J_0 J_0^T = identity on the n_0 block
    for l in range(1, len(ws)):
        r, c = ws[l], ws[l - 1]
        if weights == "gaussian":
            x1, x2 = m1, m1**2 + (r / c) * m2
        elif r >= c:
            x1, x2 = m1, (r / c) * m2
        else:
            x1, x2 = m1, m1**2 + (r / c) * (m2 - m1**2)
        d1, d2 = _d_moments(act, net.sigma_w, net.q[l - 1])
        m1, m2 = d1 * x1, d2 * x1**2 + d1**2 * x2 - d1**2 * x1**2
    return m1, m2


@pytest.mark.parametrize("act", ["linear", "relu", "hard_tanh"])
@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
@pytest.mark.parametrize("widths", [[1, "3/2", "1/2"], [2, 1, 3, "1/2"]])
def test_moments_against_free_moment_formula(act, weights, widths):
    net = fa.nn.MLP(len(widths) - 1, act, weights=weights, widths=widths)
    got = net.jacobian_spectrum().moments(2)
    ref = _reference_m1_m2(act, weights, widths, net)
    for g, r in zip(got, ref):
        assert abs(float(sp.N(g - r, 30))) < 1e-12 * max(1.0, abs(float(r)))
