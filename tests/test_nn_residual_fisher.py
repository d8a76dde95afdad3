"""The Fisher information of residual MLPs (freealg.nn.residual_fisher).

References:
- exact moments: the trace of the expanded polynomial K_L with the activation diagonals one
  commuting family (classically independent, ``fa.trace``);
- an independent pencil: the compiler's linearization of that expanded polynomial (size 9 for
  L = 2), solved by the generic operator-valued engine;
- real networks: ``MLP.sample_fisher`` (checked against finite differences of the weight
  gradients in tests/test_nn_residual.py), with tolerances from N and the number of draws, and
  wrong models (layers free instead of commuting; comonotone diagonals) that must fail.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.algebra import NCPoly
from freealg.errors import InvalidParameterError, NoConvergence
from freealg.numeric.operator_valued import cauchy_np, problem


def _net(L, weights="orthogonal", act="relu"):
    return fa.nn.MLP(depth=L, activation=act, residual="1/2", weights=weights)


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_compact_pencil_against_the_expanded_linearization(weights):
    # two different pencils of the same model (size 7 here, 9 from the expanded polynomial)
    net = _net(2, weights)
    law = net.fisher_system().law
    prob = problem(*law.args[:3], float(law.args[4]))
    zs = np.array([0.3 + 0.2j, 0.6 + 0.05j, 1.5 + 0.01j, -0.2 + 0.1j])
    ref = cauchy_np(prob, zs)[0]
    got = net.residual_fisher().cauchy(zs)
    assert np.max(np.abs(got - ref)) < 1e-10


@pytest.mark.parametrize("L,weights,nm,R", [(2, "orthogonal", 4, 80), (3, "orthogonal", 4, 80),
                                             (3, "gaussian", 3, 300)])
def test_compact_pencil_against_exact_moments(L, weights, nm, R):
    # G(z) = sum_k m_k / z^{k+1} at |z| = R lambda_max: nm exact moments leave a tail below
    # R^-(nm + 1) < 1e-9 of the leading term
    net = _net(L, weights)
    K = net.fisher_expr()
    ms = [sp.S.One] + [fa.trace(K**j) for j in range(1, nm + 1)]
    rf = net.residual_fisher()
    lam = float(rf.lambda_max(15))
    for z in (R * 1j * lam, R * lam * np.exp(0.3j)):
        series = sum(complex(sp.N(m)) / z ** (j + 1) for j, m in enumerate(ms))
        G = rf.cauchy(np.array([z]))[0]
        assert abs(G - series) < 1e-9 * abs(series)


def _mc(net, zs, n, trials, seed):
    per, zero = [], []
    for t in range(trials):
        ev = net.sample_fisher(n=n, seed=seed + t, threads=1)
        per.append([np.mean(1 / (z - ev)) for z in zs])
        zero.append(np.mean(ev < 1e-9))
    per = np.array(per)
    return per.mean(0), per.std(0, ddof=1) / np.sqrt(trials), np.array(zero)


def _agrees_with_networks(net, fracs, n, trials, seed):
    """The model's Stieltjes transform at z = lambda_max (fracs + 0.1 i) against real networks
    of width n: within 4 standard errors of the mean over draws plus a finite-N bias of order
    1/(N Im z^2). Returns (model, points, network mean, tolerance, zero fractions)."""
    rf = net.residual_fisher()
    lam = float(rf.lambda_max(15))
    zs = lam * np.asarray(fracs) + 0.1j * lam
    m, se, zero = _mc(net, zs, n, trials, seed)
    tol = 4 * se + 1 / (n * zs.imag ** 2)
    assert np.all(np.abs(rf.cauchy(zs) - m) < tol)
    return rf, zs, m, tol, zero


def test_relu_two_layers_against_real_networks_and_free_layers():
    net, n, trials = _net(2), 800, 12
    rf, zs, m, tol, zero = _agrees_with_networks(net, [0.15, 0.35, 0.6, 0.85], n, trials, 300)
    # wrong model: the layers' diagonals free instead of commuting (the compiler's default)
    K = NCPoly.constant(0)
    for l, kap in enumerate(net._residual_kappas(), start=1):
        D = net._d(l)
        if l > 1:
            A = 1 + net.residual * D * net._w(l)
            K = A * K * A.H
        K = K + kap * D * D
    free = fa.compile_expr(K).law
    Gf = np.array([complex(free.cauchy(complex(z), dps=15)) for z in zs])
    assert np.sum(np.abs(Gf - m) > tol) >= 2
    # the atom at 0: a vector on the coordinates where every D_l vanishes is in the kernel
    # (mass >= 2^-L); the model's atom is exactly 1/4, real networks agree to 4 binomial sd
    y = 1e-9
    atom = (1j * y * rf.cauchy(np.array([1j * y]))[0]).real
    assert abs(atom - 0.25) < 1e-6
    sd = np.sqrt(0.25 * 0.75 / (n * trials))
    assert abs(zero.mean() - 0.25) < 4 * sd


def test_relu_three_layers_against_real_networks_and_comonotone_layers():
    net = _net(3)
    _, zs, m, tol, _ = _agrees_with_networks(net, [0.2, 0.45, 0.7, 0.9], 600, 10, 400)
    # wrong model: the same layers with one shared diagonal pattern (d_1 = d_2 = d_3)
    from freealg.nn.residual_fisher import ResidualFisher

    wrong = ResidualFisher(net.residual, net._residual_kappas(), net._residual_layer_atoms())
    keep = [i for i, row in enumerate(wrong._s) if len(set(row)) == 1]
    wrong.P_np = wrong.P_np[keep]
    wrong._s = [wrong._s[i] for i in keep]
    wrong.weights_np = np.full(len(keep), 1.0 / len(keep))
    wrong.atoms_count = len(keep)
    assert np.sum(np.abs(wrong.cauchy(zs) - m) > tol) >= 2


def test_lambda_max_is_the_right_edge():
    net = _net(2)
    rf = net.residual_fisher()
    lam = rf.lambda_max(30)
    lam40 = rf.lambda_max(40)
    assert abs(lam - lam40) < mpmath.mpf(10) ** -29 * lam
    x = float(lam)
    below = rf.density(np.array([0.999 * x, 0.9999 * x]))
    above = rf.density(np.array([1.0001 * x, 1.01 * x]))
    assert np.all(below > 0) and np.all(above < 1e-12)
    # square-root edge: density(lam - d) / sqrt(d) tends to a constant
    r = below / np.sqrt(x - np.array([0.999 * x, 0.9999 * x]))
    assert abs(r[0] / r[1] - 1) < 0.05
    # real networks: the mass above 0.9 lambda_max against the model's (binomial tolerance),
    # and hardly any eigenvalue beyond lambda_max
    xs = np.linspace(0.9 * x, x, 2001)
    d = rf.density(xs)
    mass = float(np.sum((d[1:] + d[:-1]) / 2 * np.diff(xs)))
    n, trials = 800, 6
    ev = np.concatenate([net.sample_fisher(n=n, seed=500 + t, threads=1) for t in range(trials)])
    frac = np.mean(ev > 0.9 * x)
    assert abs(frac - mass) < 4 * np.sqrt(mass * (1 - mass) / ev.size) + 2 / n
    assert np.sum(ev > x) <= 2 * trials
    # the learning-rate threshold is 2/lambda_max
    with mpmath.workdps(30):
        assert abs(net.max_learning_rate() - 2 / lam) < mpmath.mpf(10) ** -25


def test_gaussian_weights_against_real_networks():
    _agrees_with_networks(_net(2, "gaussian"), [0.2, 0.5, 0.8], 600, 10, 600)


def test_one_layer_is_exact():
    # K_1 = kappa_1 D'_1^2: ReLU puts mass 1/2 at 0 and 1/2 at kappa_1 * 2
    net = fa.nn.MLP(depth=1, activation="relu", residual="1/2")
    kap = net._residual_kappas()[0]
    assert net.lambda_max() == mpmath.mpf(sp.N(2 * kap, 40))
    G = net.residual_fisher().cauchy(np.array([1j]))[0]
    assert abs(G - (0.5 / 1j + 0.5 / (1j - float(2 * kap)))) < 1e-14


def test_residual_fisher_refusals():
    tanh = _net(2, act="tanh")      # the expanded polynomial needs finite laws
    for f in (tanh.fisher_system, tanh.fisher_expr):
        with pytest.raises(InvalidParameterError, match="commuting.*sample_fisher"):
            f()
    with pytest.raises(InvalidParameterError, match="residual_fisher"):
        _net(7).fisher_expr()
    with pytest.raises(InvalidParameterError, match="residual networks"):
        fa.nn.MLP(depth=2, activation="relu").residual_fisher()
    with pytest.raises(InvalidParameterError, match="fold"):
        _net(2).lambda_max(method="curve")
    # linear layers: an arcsine-like edge, not a fold; the error says what to use instead
    with pytest.raises(NoConvergence, match="spectrum"):
        _net(2, act="linear").lambda_max()


@pytest.mark.parametrize("args", [(-1, [1], [((1,), (1,))]),
                                  (1, [-1], [((1,), (1,))]),
                                  (1, [1], [((0, 1), (0.5, 0.6))]),
                                  (1, [1, 1], [((1,), (1,))]),
                                  (1, [1], [((1j,), (1,))])])
def test_residual_fisher_bad_input(args):
    from freealg.nn.residual_fisher import ResidualFisher

    with pytest.raises(InvalidParameterError):
        ResidualFisher(*args)
    with pytest.raises(InvalidParameterError):
        ResidualFisher(1, [1], [((1,), (1,))], weights="haar")
    with pytest.raises(InvalidParameterError):
        ResidualFisher(1, [1], [((1,), (1,))]).cauchy(-1j)


def test_too_many_diagonal_patterns_are_refused_before_allocating(monkeypatch):
    from freealg.errors import SizeLimitError

    monkeypatch.setenv("FREEALG_MEMORY_BUDGET", "1M")
    with pytest.raises(SizeLimitError, match="sample_fisher"):
        _net(8).residual_fisher()


@pytest.mark.slow
@pytest.mark.parametrize("act,L", [(("leaky_relu", 0.1), 3), ("hard_tanh", 3), ("relu", 5)])
def test_more_finite_activations_against_real_networks(act, L):
    net = fa.nn.MLP(depth=L, activation=act, residual="1/2")
    _agrees_with_networks(net, [0.2, 0.45, 0.7, 0.9], 600, 6, 900)


def test_lambda_max_zero_and_badly_scaled_cases():
    # alpha = 0: K = 0
    assert fa.nn.MLP(depth=2, activation="relu", residual=0).lambda_max() == 0
    # alpha = 3: lambda_max ~ 6e3 while some unknowns are ~5e-3 (the Newton systems are
    # equilibrated); the refinement still converges at each precision
    net = fa.nn.MLP(depth=3, activation="relu", residual=3)
    a, b = net.lambda_max(20), net.lambda_max(40)
    assert abs(a - b) < mpmath.mpf(10) ** -18 * b
    x = float(b)
    rf = net.residual_fisher()
    assert np.all(rf.density(np.array([0.995 * x, 0.9995 * x])) > 0)
    assert np.all(rf.density(np.array([1.0005 * x, 1.01 * x])) < 1e-12)
    # real networks: at most a few eigenvalues above the edge (edge fluctuations), and the
    # count above 0.9 lambda_max as the model's mass there (Poisson tolerance)
    xs = np.linspace(0.9 * x, x, 801)
    d = rf.density(xs)
    mass = float(np.sum((d[1:] + d[:-1]) / 2 * np.diff(xs)))
    n, count = 800, 0
    for seed in range(2):
        ev = net.sample_fisher(n=n, seed=seed, threads=1)
        assert np.sum(ev > x) <= 3
        count += int(np.sum(ev > 0.9 * x))
    expected = 2 * n * mass
    assert abs(count - expected) < 4 * np.sqrt(expected) + 3


@pytest.mark.parametrize("L,weights,act", [(3, "orthogonal", "relu"), (4, "gaussian", "relu"),
                                           (3, "orthogonal", "hard_tanh")])
def test_float64_path_form_on_the_real_axis_against_the_dense_pencils(L, weights, act):
    # the march and the fold evaluate F, dF/du and dF/dx on the path form (continued
    # fractions, complex-step Jacobian); reference: a dense solve of every pattern's compact
    # pencil with the analytic Jacobian (E[G_ac G_ca]), at real points above and at the edge
    rf = _net(L, weights, act).residual_fisher()
    lam = float(rf.lambda_max(15))
    rng = np.random.default_rng(3)
    for x in (1.3 * lam, 1.0001 * lam):
        u = rf._real_solution(x) * (1 + 0.1 * rng.standard_normal(rf.nu))   # off the solution
        U, Z = u[None].astype(complex), np.array([x + 0j])
        got = rf._eval(U, Z, np.zeros(1))
        ref = rf._eval_dense(U, Z, np.zeros(1))
        for a, b in zip(got, ref):
            assert np.max(np.abs(a - b)) < 1e-12 * (1 + np.max(np.abs(b)))
        # Moore-Spence's d(J v)/d(u, x): one batch of complex steps against a full dense
        # Jacobian per finite-difference shift (the same shifts: equal up to rounding)
        v = rng.standard_normal(rf.nu)
        w = np.concatenate([u, [x], v])
        for central in (False, True):
            fast = rf._aug_jac(w, v, central)
            rf._dense = True
            slow = rf._aug_jac(w, v, central)
            rf._dense = False
            # rounding of F over the step: 1e-16 / 1e-7 (forward), 1e-16 / 1e-5 (central)
            tol = 2e-9 if central else 2e-7
            assert np.max(np.abs(fast - slow)) < tol * np.max(np.abs(slow))


@pytest.mark.parametrize("weights", ["orthogonal", "gaussian"])
def test_path_form_residuals_against_the_dense_mpmath_pencil(weights):
    # the refinement's residual F and J v (path form of the pencil, J v by a complex step)
    # against mpmath's dense inverse of every pattern's pencil at 40 digits, with
    # dF/du = 1 - E[G_ac G_ca] dR/du assembled from the same inverses
    rf = _net(3, weights).residual_fisher()
    rng = np.random.default_rng(7)
    with mpmath.workdps(40):
        u = [mpmath.mpf(float(t)) for t in rng.uniform(0.2, 0.8, rf.nu)]
        v = [mpmath.mpf(float(t)) for t in rng.standard_normal(rf.nu)]
        x = mpmath.mpf(3)
        s = [[mpmath.mpf(sp.N(d, 50)) for d in row] for row in rf._s]
        kap = [mpmath.mpf(sp.N(q, 50)) for q in rf.kappas]
        Ps = rf._pencil(s, kap, mpmath.mpf(sp.N(rf.alpha, 50)), mpmath)
        U = np.array([u], dtype=object)
        R = rf._R(U)[0]
        Ip = [int(t) for t in rf.I]
        nI, k = rf.nI, rf.k
        EGd = np.full((1, nI), mpmath.mpf(0), dtype=object)
        Jr = np.full((1, nI, nI), mpmath.mpf(0), dtype=object)
        for Pd, w in zip(Ps, rf._w):
            M = mpmath.matrix(k, k)
            for r in range(k):
                for c in range(k):
                    M[r, c] = Pd[r, c]
            M[0, 0] += x
            for t in range(nI):
                M[Ip[t], Ip[t]] -= R[t]
            G = mpmath.inverse(M)
            wd = mpmath.mpf(sp.N(w, 50))
            for a in range(nI):
                EGd[0, a] += wd * G[Ip[a], Ip[a]]
                for c in range(nI):
                    Jr[0, a, c] += wd * G[Ip[a], Ip[c]] * G[Ip[c], Ip[a]]
        F, J = rf._assemble(U, EGd, Jr)
        Jv = [mpmath.fsum(J[0, a, b] * v[b] for b in range(rf.nu)) for a in range(rf.nu)]
        F2, Jv2 = rf._path_F_Jv_mp(u, x, v)
        assert max(abs(a - b) for a, b in zip(list(F[0]) + Jv, F2 + Jv2)) < mpmath.mpf(10) ** -36


def test_latex_of_the_compact_pencil():
    rf = _net(3).residual_fisher()
    tex = fa.latex(rf)
    assert tex == rf.latex() and tex.startswith(r"\begin{gathered}")
    assert tex.count(r"\rho_{") >= 2 * 3 - 2           # rho_2, rho_3 in each of their rows
    assert r"\kappa_{3}" in tex and r"\alpha = \frac{1}{2}" in tex
    assert rf._repr_latex_() == "$$" + tex + "$$"
