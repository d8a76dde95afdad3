"""Residual MLPs: law(J J^T) = ⊠_l law(Y_l^2), Y_l = sym(alpha |D'_l|) ⊞ b (freealg.nn.residual).

References used here, each independent of that construction:
* linear layers with orthogonal W: J = prod_l (1 + a O_l), O_l free Haar. tr of a word in free
  Haar unitaries is 1 if it reduces to the identity in the free group and 0 otherwise
  (Voiculescu 1985), so the moments tr((J J^*)^k) are exact sums over reduced words; at L = 1
  the law is the arcsine law of 1 + a^2 + 2a cos(theta) (Diaconis-Shahshahani 1994).
* the linearization of J J^T (Helton-Rashidi Far-Speicher 2007; the compiler's operator-valued
  path), whose exact moments are traces of words in D_l and O_l;
* real residual networks (forward pass, J by the chain rule) with N-derived tolerances, and a
  wrong model (the plain, non-residual MLP) that must fail the same test.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa


def _free_word_moments(a: Fraction, depth: int, kmax: int) -> list:
    """tr((J J^*)^k), J = prod_l (1 + a u_l), u_l free Haar unitaries: the sum over words of
    the coefficients of those that reduce to the identity in the free group."""
    # J J^* = sum over s, t in {0,1}^L of a^(|s|+|t|) u_L^s_L..u_1^s_1 u_1^-t_1..u_L^-t_L
    terms: dict = {}
    for s in itertools.product((0, 1), repeat=depth):
        for t in itertools.product((0, 1), repeat=depth):
            word = tuple((l, 1) for l in range(depth, 0, -1) if s[l - 1]) + \
                   tuple((l, -1) for l in range(1, depth + 1) if t[l - 1])
            c = a ** (sum(s) + sum(t))
            terms[word] = terms.get(word, 0) + c

    def reduce(word):
        out: list = []
        for g in word:
            if out and out[-1][0] == g[0] and out[-1][1] == -g[1]:
                out.pop()
            else:
                out.append(g)
        return tuple(out)

    # the reduced words of (J J^*)^k with coefficients, k = 1, 2, ...
    red: dict = {}
    for w, c in terms.items():
        r = reduce(w)
        red[r] = red.get(r, 0) + c
    cur, out = dict(red), []
    for k in range(1, kmax + 1):
        out.append(cur.get((), 0))
        if k == kmax:
            break
        nxt: dict = {}
        for w1, c1 in cur.items():
            for w2, c2 in red.items():
                r = reduce(w1 + w2)
                nxt[r] = nxt.get(r, 0) + c1 * c2
        cur = nxt
    return out


def _arcsine_density(x, a):
    lo, hi = (1 - a) ** 2, (1 + a) ** 2
    return 1 / (np.pi * np.sqrt((x - lo) * (hi - x)))


def test_linear_one_layer_is_the_arcsine_law_everywhere():
    # the former NaN points (the centre 1 + a^2 = 1.25 among them) included
    sol = fa.nn.MLP(1, "linear", residual="1/2").jacobian_spectrum(dps=15)
    xs = np.array([0.26, 0.3, 0.7, 0.9, 1.0, 1.25, 1.5, 2.2, 2.24])
    d = sol.density(xs)
    assert np.all(np.isfinite(d))
    assert np.allclose(d, _arcsine_density(xs, 0.5), rtol=1e-9, atol=0)
    assert float(sol.density(mpmath.mpf("1.25"))) == pytest.approx(1 / np.pi, rel=1e-14)


@pytest.mark.slow
def test_linear_one_layer_edges():
    # arcsine law on [(1 - a)^2, (1 + a)^2]: 1/sqrt divergences (hard edges), exactly
    sol = fa.nn.MLP(1, "linear", residual="1/2").jacobian_spectrum(dps=15)
    e = sol.edges()
    assert [(x.location, x.kind) for x in e] == [(sp.Rational(1, 4), "hard"),
                                                 (sp.Rational(9, 4), "hard")]


@pytest.mark.parametrize("alpha", ["1/2", "3/2"])
def test_linear_three_layers_free_group_moments(alpha):
    a = sp.Rational(alpha)
    sol = fa.nn.MLP(3, "linear", residual=alpha).jacobian_spectrum()
    ref = _free_word_moments(Fraction(a.p, a.q), 3, 3)
    assert sol.moments(3) == [sp.Rational(r.numerator, r.denominator) for r in ref]


@pytest.mark.slow
def test_linear_three_layers_density_integrates_to_the_moments():
    # the density (float64 path) and the edges: int x^k rho over [lo, hi] = exact moments;
    # x = lo + (hi - lo)(1 - cos theta)/2 removes the square-root ends (Gauss-Legendre in theta)
    a = Fraction(1, 2)
    sol = fa.nn.MLP(3, "linear", residual="1/2").jacobian_spectrum()
    lo, hi = (float(e.location) for e in sol.edges())
    ref = [float(r) for r in _free_word_moments(a, 3, 3)]
    th, w = np.polynomial.legendre.leggauss(300)
    th = (th + 1) * np.pi / 2
    x = lo + (hi - lo) * (1 - np.cos(th)) / 2
    jac = (hi - lo) / 2 * np.sin(th) * np.pi / 2
    rho = sol.density(x)
    got = [float(np.sum(w * jac * rho * x**k)) for k in range(4)]
    assert got[0] == pytest.approx(1, abs=1e-6)
    assert np.allclose(got[1:], ref, rtol=1e-6)


@pytest.mark.slow
def test_edges_bracket_the_density_and_max_singular_value():
    net = fa.nn.MLP(2, "linear", residual="1/2")
    sol = net.jacobian_spectrum()
    e = sol.edges()                             # S-transform product, dz/dm = 0
    # an independent reference: the x where the density of the law tree starts/ends
    lo, hi = float(e[0].location), float(e[1].location)
    d = sol.density(np.array([lo - 1e-3, lo + 1e-3, hi - 1e-3, hi + 1e-3]))
    assert d[0] == 0 and d[3] == 0 and d[1] > 0 and d[2] > 0
    s = net.max_singular_value()
    with mpmath.workdps(30):
        assert abs(s**2 - e[1].location) < 1e-25
    assert all(x.kind == "soft" and x.error < 1e-25 for x in e)


def test_matches_the_linearization_exactly():
    # two independent compilations of J J^T: the linearization's moments are traces of words
    net = fa.nn.MLP(2, "relu", residual="1/2")
    J = net.jacobian_expr()
    lin = fa.compile_expr(J * J.H).law.moments(3)
    assert net.jacobian_spectrum().moments(3) == lin


def _real(net, n, trials, seed=0):
    return [net.sample_jacobian(n=n, seed=seed + t, threads=1) for t in range(trials)]


def _cdf(sol, lo, hi, pts):
    """int_lo^p rho: x = lo + (hi - lo)(1 - cos theta)/2 (square-root ends), Gauss-Legendre."""
    t, w = np.polynomial.legendre.leggauss(80)
    out = []
    for p in pts:
        tp = np.arccos(1 - 2 * (p - lo) / (hi - lo))
        th = (t + 1) * tp / 2
        x = lo + (hi - lo) * (1 - np.cos(th)) / 2
        out.append(float(np.sum(w * sol.density(x) * (hi - lo) / 2 * np.sin(th)) * tp / 2))
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("act", ["relu", "hard_tanh"])
def test_cdf_and_top_edge_against_real_networks(act):
    n, trials = 600, 4
    net = fa.nn.MLP(2, act, residual="1/2", q0=1)
    sol = net.jacobian_spectrum()
    evs = _real(net, n, trials)
    lo, hi = (float(e.location) for e in sol.edges())
    # CDF at interior points from the density against the empirical spectral CDF
    pts = lo + (hi - lo) * np.array([0.2, 0.4, 0.6, 0.8])
    F = _cdf(sol, lo, hi, pts)
    per = np.array([[np.mean(e <= p) for p in pts] for e in evs])
    emp = per.mean(0)
    # N-derived: 5 standard errors across independent networks, plus O(1/n) finite-size bias
    tol = 5 * per.std(0, ddof=1) / np.sqrt(trials) + 3.0 / n
    assert np.all(np.abs(emp - F) < tol), (emp, F, tol)
    # the top eigenvalue: Tracy-Widom scale n^(-2/3) around the edge
    top = np.mean([e.max() for e in evs])
    assert abs(top - hi) < 3 * hi * n ** (-2 / 3), (top, hi)
    # wrong models: the plain MLP (no skip connection) misses the top edge; a linear residual
    # net with the same E D'^2 (D' replaced by its root mean square) misses the CDF
    plain = fa.nn.MLP(2, act, q0=1)
    assert abs(top - float(plain.max_singular_value()) ** 2) > 3 * hi * n ** (-2 / 3)
    es2 = net._residual_layers()[0].args[0].moments(2)[1]      # E S^2 = alpha^2 E D'^2
    rms = sp.sqrt(es2) / sp.Rational(1, 2)
    wrong = fa.nn.MLP(2, "linear", sigma_w=sp.N(rms, 30), residual="1/2", q0=1)
    wsol = wrong.jacobian_spectrum()
    wlo, whi = (float(e.location) for e in wsol.edges())
    wF = _cdf(wsol, wlo, whi, np.clip(pts, wlo, whi))
    assert not np.all(np.abs(emp - wF) < tol), (emp, wF, tol)


def test_deep_network_top_edge_and_moments():
    # L = 10: exact moments and the top edge from the S-transform product, fast
    import time

    net = fa.nn.MLP(10, "relu", residual="1/2")
    t = time.perf_counter()
    sol = net.jacobian_spectrum()
    s = net.max_singular_value(dps=20)
    elapsed = time.perf_counter() - t
    # m_1 = prod_l E|1 + a D O|^2 = (1 + a^2 E D'^2)^L = (1 + 1/4)^10 (E D'^2 = 1 for ReLU)
    assert sol.moments(1) == [sp.Rational(5, 4) ** 10]
    assert s**2 > sp.Rational(5, 4) ** 10          # the top edge lies above the mean
    assert elapsed < 30


@pytest.mark.slow
@pytest.mark.parametrize("depth", [5, 7])
def test_deep_density_integrates_to_the_exact_moments(depth):
    # the float64 density of deep products (points the float64 continuation puts on a wrong
    # real branch are redone in mpmath): mass 1 and m_1 = (5/4)^L, m_2 exact, over the edges
    net = fa.nn.MLP(depth, "relu", residual="1/2")
    sol = net.jacobian_spectrum()
    lo, hi = (float(e.location) for e in sol.law.edges(dps=15, method="s_transform"))
    got = _moments_between(sol, lo, hi)
    ref = [1.0] + [float(m) for m in sol.moments(2)]
    assert np.allclose(got, ref, rtol=1e-6), (got, ref)


def _moments_between(sol, lo, hi, kmax=2):
    """int x^k rho over [lo, hi], k = 0..kmax: Gauss-Legendre (300 points) in theta with
    x = lo + (hi - lo)(1 - cos theta)/2 (square-root ends)."""
    th, w = np.polynomial.legendre.leggauss(300)
    th = (th + 1) * np.pi / 2
    x = lo + (hi - lo) * (1 - np.cos(th)) / 2
    rho = sol.density(x) * (hi - lo) / 2 * np.sin(th) * np.pi / 2
    return [float(np.sum(w * rho * x**k)) for k in range(kmax + 1)]


@pytest.mark.parametrize("act,alpha", [("relu", "1/2"), ("leaky_relu(0.1)", 1), ("relu", 2),
                                       ("tanh", "1/2"), ("gelu", "1/2")])
def test_max_singular_value_against_real_networks(act, alpha):
    # the top eigenvalue of J J^T of real residual networks (L = 3): Tracy-Widom scale
    # n^(-2/3) around the edge; the plain MLP (wrong model) misses it
    n, trials = 400, 2
    net = fa.nn.MLP(3, act, residual=alpha, q0=1)
    hi = float(net.max_singular_value(dps=15)) ** 2
    top = np.mean([e.max() for e in _real(net, n, trials, seed=7)])
    assert abs(top - hi) < 3 * hi * n ** (-2 / 3), (top, hi)
    plain = float(fa.nn.MLP(3, act, q0=1).max_singular_value(dps=15)) ** 2
    assert abs(top - plain) > 3 * hi * n ** (-2 / 3), (top, plain)


# --------------------------------------------------------------------------------------------
# smooth activations: sym(alpha |D'|) from the law of D'^2 (SymmetricRoot) where D' takes
# negative values (GELU, SiLU), and a mixture of its reflections where D' > 0 (ELU)


def test_symmetric_root_against_direct_quadrature():
    # S with S^2 ~ alpha^2 D'^2 of a GELU layer: G_S(z) = E[z/(z^2 - alpha^2 D'^2)] as a
    # Gaussian integral (scipy.quad over h), at points on both sides of the imaginary axis
    # (z^2 in C- for Re z < 0) and near the real axis
    from scipy.integrate import quad

    from freealg.kernels.backend import NP
    from freealg.nn.residual import SymmetricRoot

    net = fa.nn.MLP(2, "gelu", residual="1/2")
    S = net._residual_layers()[1].args[0]
    assert isinstance(S, SymmetricRoot)
    from freealg.nn.activations import H

    d = sp.lambdify(H, net.sigma_w * sp.diff(net.phi, H), "scipy")      # D' = sigma_w phi'(h)
    q = float(net.q[1])

    def ref(z):
        def f(t, part):
            v = np.exp(-t * t / (2 * q)) / np.sqrt(2 * np.pi * q) * z / (z * z - d(t) ** 2 / 4)
            return v.real if part == 0 else v.imag
        return complex(*(quad(f, -60, 60, args=(p,), limit=500, epsabs=1e-15,
                              points=(-10, -3, 0, 3, 10))[0]
                         for p in (0, 1)))

    zs = np.array([0.3 + 0.5j, -0.3 + 0.5j, 1.2 + 0.05j, -1.2 + 0.05j, 4j])
    got = S._g(zs, NP)
    want = np.array([ref(z) for z in zs])
    assert np.max(np.abs(got - want) / np.abs(want)) < 1e-9, (got - want)
    # the moments: even ones of D'^2 scaled, odd ones 0; a wrong law (|D'| itself) differs
    m = S.moments(4)
    assert m[0] == 0 and m[2] == 0
    e2 = quad(lambda t: np.exp(-t * t / (2 * q)) / np.sqrt(2 * np.pi * q) * d(t) ** 2 / 4,
              -60, 60, epsabs=1e-15)[0]
    assert abs(float(m[1]) - e2) < 1e-12
    e1 = quad(lambda t: np.exp(-t * t / (2 * q)) / np.sqrt(2 * np.pi * q) * abs(d(t)) / 2,
              -60, 60, limit=200)[0]
    assert abs(e1**2 - e2) > 1e-3


def test_gelu_residual_moments_match_the_linearization():
    # two independent compilations of J J^T: the linearization's moments are traces of words
    # in D'_l and O_l; before the symmetric root the S-transform route refused GELU
    net = fa.nn.MLP(2, "gelu", residual="1/2")
    J = net.jacobian_expr()
    lin = fa.compile_expr(J * J.H).law.moments(3)
    got = net.jacobian_spectrum().moments(3)
    assert all(abs(sp.N(a - b, 30)) < 1e-25 * abs(sp.N(b)) for a, b in zip(got, lin))


@pytest.mark.parametrize("act", ["gelu", pytest.param("silu", marks=pytest.mark.slow),
                                 pytest.param("elu", marks=pytest.mark.slow)])
def test_smooth_residual_density_and_moments_against_real_networks(act):
    # L = 2 with distinct layers (q_1 != q_2): the float64 density integrates to mass 1 and to
    # the exact m_1, m_2 (before: NaN for GELU, a NotImplementedError for ELU); the exact
    # moments agree with real residual networks (N-derived tolerance), the plain MLP does not
    n, trials = 300, 6
    net = fa.nn.MLP(2, act, residual="1/2")
    sol = net.jacobian_spectrum()
    th = np.array([float(sp.N(m)) for m in sol.moments(3)])
    evs = _real(net, n, trials, seed=11)
    per = np.array([[np.mean(e**k) for k in (1, 2, 3)] for e in evs])
    mean, se = per.mean(0), per.std(0, ddof=1) / np.sqrt(trials)
    tol = 5 * se + 4.0 * np.abs(th) / n
    assert np.all(np.abs(mean - th) < tol), (mean, th, tol)
    plain = np.array([float(sp.N(m)) for m in fa.nn.MLP(2, act).jacobian_spectrum()
                      .moments(3)])
    assert not np.all(np.abs(mean - plain) < tol), (mean, plain, tol)
    # the density: Gauss-Legendre in x = X (1 - cos theta)/2 on [0, X], X beyond the top
    X = 1.5 * max(e.max() for e in evs)
    t, w = np.polynomial.legendre.leggauss(400)
    th_ = (t + 1) * np.pi / 2
    x = X * (1 - np.cos(th_)) / 2
    rho = sol.density(x) * X / 2 * np.sin(th_) * np.pi / 2
    assert np.all(np.isfinite(rho)) and np.all(rho >= 0)
    got = [float(np.sum(w * rho * x**k)) for k in range(3)]
    ref = [1.0, th[0], th[1]]
    assert np.allclose(got, ref, rtol=2e-3), (got, ref)


# --------------------------------------------------------------------------------------------
# edges of smooth residual networks: float64 search along the branches, then Taylor series of
# G_S about the float64 points in mpmath (freealg.nn.residual_edges)


def _loc(e, dps=50):
    return mpmath.mpf(sp.N(e.location, dps)) if isinstance(e.location, sp.Basic) \
        else mpmath.mpf(e.location)


@pytest.mark.parametrize("act", ["relu", "leaky_relu(0.1)"])
def test_smooth_edge_route_reproduces_the_exact_branches_of_finite_layers(act):
    # the float64 search and the series polish run on finite layers too (S atomic: G exact):
    # against the exact-branch path those layers take (mpmath bisection on closed forms)
    from freealg.nn.residual import _side_edge
    from freealg.nn.residual_edges import outer_edges

    for depth in (1, 2, 3):
        ys = [(y, 1) for y in fa.nn.MLP(depth, act, residual="1/2")._residual_layers()]
        new = outer_edges(ys, 30)
        old = (_side_edge(ys, -1, 30), _side_edge(ys, 1, 30))
        with mpmath.workdps(50):
            for a, b in zip(new, old):
                assert a.side == b.side and a.kind == b.kind == "soft"
                assert a.error < 1e-28 * _loc(a)
                assert abs(_loc(a) - _loc(b)) <= a.error + b.error, (depth, a, b)


def test_layer_moments_of_a_smooth_residual_layer_against_direct_quadrature():
    # c_k = E (t0 - S)^-(k+1) for S = sym(alpha tanh'(h)) (a mixture of two affine images of
    # the push-forward) at two points from one pass, and G_S of GELU's symmetric root with its
    # series error bound, against mpmath.quad over the Gaussian h
    from freealg.nn.residual_edges import TAYLOR, _Local, _smax
    from freealg.numeric.sproduct import far_moments_at

    def gauss(g, q, dps=45):
        with mpmath.workdps(dps):
            q = mpmath.mpf(sp.N(q, dps + 5))
            c = 1 / mpmath.sqrt(2 * mpmath.pi * q)
            s = mpmath.sqrt(q)
            return mpmath.quad(lambda h: c * mpmath.exp(-h * h / (2 * q)) * g(h),
                               [-mpmath.inf, -2 * s, -s, 0, s, 2 * s, mpmath.inf])

    net = fa.nn.MLP(2, "tanh", residual="1/2")
    s_law = net._residual_layers()[1].args[0]
    q = net.q[1]
    a = mpmath.mpf(1) / 2
    with mpmath.workdps(40):
        pts = [mpmath.mpf("0.5003"), mpmath.mpf(2)]
        cs, _ = far_moments_at(s_law, pts, TAYLOR)
        for t0, c in zip(pts, cs):
            for k in (0, 1, TAYLOR):
                ref = gauss(lambda h, k=k, t0=t0: (
                    (t0 - a / mpmath.cosh(h) ** 2) ** -(k + 1)
                    + (t0 + a / mpmath.cosh(h) ** 2) ** -(k + 1)) / 2, q)
                assert abs(c[k] - ref) <= mpmath.mpf(10) ** -33 * ref, (t0, k)
    # GELU: S^2 ~ nu = c f(h) (the push-forward of the compiler: f = (sigma_w D')^2 in its
    # own variable h ~ N(0, q)); G_S(t) = E t/(t^2 - S^2)
    root = fa.nn.MLP(2, "gelu", residual="1/2")._residual_layers()[0].args[0]
    push, scale, _ = root.args[0].args
    lam, qg = push.args
    f = sp.lambdify(lam.variables[0], lam.expr, "mpmath")
    with mpmath.workdps(45):
        t0 = mpmath.mpf(_smax(root)) + mpmath.mpf("0.01")
        loc = _Local.build(root, [t0], _smax(root), 30)[0]
        t = t0 + mpmath.mpf("0.00001")
        G, _, _, rem, quad = loc.g(t)
        c = mpmath.mpf(sp.N(scale, 50))
        ref = gauss(lambda h: t / (t * t - c * f(h)), qg)
        assert abs(G - ref) <= rem + quad + mpmath.mpf(10) ** -40
        assert rem + quad < 1e-33


@pytest.mark.parametrize("act", ["tanh", "gelu", pytest.param("erf", marks=pytest.mark.slow),
                                 pytest.param("silu", marks=pytest.mark.slow),
                                 pytest.param("elu", marks=pytest.mark.slow)])
def test_smooth_edges_against_the_density_of_the_law_tree(act):
    # an independent route: the float64 density by Newton on the law tree's subordination
    # equations. It vanishes just outside each edge and grows like sqrt(distance) inside:
    # rho(r - e)/rho(r - 4 e) = 1/2 + O(e) (an edge off by d would give 1/2 + 3 d/(8 e))
    net = fa.nn.MLP(2, act, residual="1/2")
    sol = net.jacobian_spectrum()
    e = sol.edges()
    assert [x.side for x in e] == ["left", "right"]
    assert all(x.kind == "soft" and x.exponent == sp.Rational(1, 2) for x in e)
    for x in e:
        r = float(x.location)
        assert float(x.error) < 1e-28 * max(r, 1)
        sgn = 1 if x.side == "right" else -1
        eps = np.array([1e-5, 4e-5]) * r
        inside, outside = sol.density(r - sgn * eps), sol.density(r + sgn * eps)
        assert np.all(outside == 0) and np.all(inside > 0), (inside, outside)
        assert abs(2 * inside[0] / inside[1] - 1) < 2e-4, inside
    # one band, no audit needed (both ends from the branches), and the largest singular value
    assert [(float(b.lo), float(b.hi)) for b in sol.support()] == \
        [(float(e[0].location), float(e[1].location))]
    with mpmath.workdps(30):
        assert abs(net.max_singular_value() ** 2 - e[1].location) < 1e-25 * e[1].location


@pytest.mark.parametrize("act,depth", [("tanh", 3), ("gelu", 2)])
def test_smooth_edge_errors_bound_the_true_error(act, depth):
    # the reported error at 15 digits against the edge at 40 digits (an error bound below the
    # true error is the worst defect): bounds hold, and are not vacuous
    from freealg.nn.residual_edges import outer_edges

    ys = [(y, 1) for y in fa.nn.MLP(depth, act, residual="1/2")._residual_layers()]
    low, high = outer_edges(ys, 15), outer_edges(ys, 40)
    with mpmath.workdps(50):
        for a, b in zip(low, high):
            assert b.error < 1e-38 * _loc(b)
            assert abs(_loc(a) - _loc(b)) <= a.error - b.error, (a, b)
            assert a.error < 1e-13 * _loc(a)


@pytest.mark.parametrize("act,depth", [("gelu", 5), pytest.param("tanh", 10,
                                                                 marks=pytest.mark.slow)])
def test_smooth_deep_density_integrates_to_the_exact_moments_between_the_edges(act, depth):
    # the float64 density of the law tree (an independent route) over [lo, hi] from the
    # series-polished edges, x = lo + (hi - lo)(1 - cos theta)/2 (square-root ends): mass 1
    # and the exact m_1, m_2 to 1e-9 (edges off by d would leave ~d^(3/2) of mass outside or
    # misalign the square-root ends)
    net = fa.nn.MLP(depth, act, residual="1/2")
    sol = net.jacobian_spectrum()
    lo, hi = (float(e.location) for e in sol.edges())
    got = _moments_between(sol, lo, hi)
    ref = [1.0] + [float(m) for m in sol.moments(2)]
    assert np.allclose(got, ref, rtol=1e-9), (got, ref)


@pytest.mark.slow
def test_deep_residual_bulk_edge_and_the_outlier_of_the_mean():
    # L = 10, real networks (N = 600, 2 draws). The top eigenvalue of the bulk sits about
    # eps_N inside the edge r, where N mu([r - eps_N, r]) = 1: with rho ~ c sqrt(r - x),
    # eps_N = (3/(2 c N))^(2/3) (5 to 7 % of r here: the density of a depth-10 product is thin
    # at its edge), c from the law's own density. ReLU (E phi > 0: the residual stream has a
    # mean) adds one eigenvalue far above the bulk, an outlier outside the free model
    # (documented); tanh (odd, no mean) none. Wrong-model control: the plain MLP's edge
    n = 600
    for act, k in (("relu", -2), ("tanh", -1)):
        net = fa.nn.MLP(10, act, residual="1/2", q0=1)
        sol = net.jacobian_spectrum()
        r = float(net.max_singular_value(dps=15)) ** 2
        c = float(sol.density(np.array([r * (1 - 1e-4)]))[0]) / np.sqrt(r * 1e-4)
        eps = (3 / (2 * c * n)) ** (2 / 3)
        evs = [np.sort(e) for e in _real(net, n, 2, seed=3)]
        bulk_top = np.mean([e[k] for e in evs])
        assert r - 3 * eps < bulk_top < r + eps, (act, bulk_top, r, eps)
        if k == -2:
            assert all(e[-1] > 1.5 * r for e in evs), [e[-1] for e in evs]
        plain = float(fa.nn.MLP(10, act, q0=1).max_singular_value(dps=15)) ** 2
        assert not r - 3 * eps < plain < r + eps, (act, plain, r, eps)


def test_a_singular_layer_puts_the_left_edge_at_zero():
    # alpha = 2 (tanh): E S^2 = alpha^2 sigma_w^2 E tanh'(h)^2 > 1 and tanh' -> 0, so
    # A_1 = I + alpha D'_1 O_1 is not invertible (Haagerup-Larsen: the spectrum of the
    # non-invertible R-diagonal D' O is the disc of radius ||D'||_2 > 1/alpha) and 0 is the
    # left edge, exactly. Independent checks: the law tree's own density is positive next to 0,
    # and real networks have eigenvalues near 0; alpha = 1/2 (invertible) is the control.
    net = fa.nn.MLP(2, "tanh", residual=2)
    left, right = net.jacobian_spectrum(15).edges()
    assert left.location == 0 and left.kind == "hard" and left.error == 0
    r = float(right.location)
    dens = net.jacobian_system().law._density_np(np.array([1e-4, 1e-3]) * r)
    assert np.all(dens > 0.1 / r), dens
    mins = [net.sample_jacobian(n=200, seed=s, threads=1).min() for s in range(2)]
    assert max(mins) < 1e-3 * r, mins
    ctrl = fa.nn.MLP(2, "tanh", residual="1/2")
    lo = float(ctrl.jacobian_spectrum(15).edges()[0].location)
    assert lo > 0.1
    assert ctrl.jacobian_system().law._density_np(np.array([0.5 * lo]))[0] == 0
    assert min(ctrl.sample_jacobian(n=200, seed=s, threads=1).min() for s in range(2)) > 0.8 * lo
    # ReLU at alpha = 1: E S^2 = 1 exactly and D' has an atom at 0 (exact finite layers)
    e = fa.nn.MLP(3, "relu", residual=1).jacobian_spectrum(15).edges()
    assert e[0].location == 0 and e[0].kind == "hard"


def test_the_annulus_decides_singular_finite_layers():
    # leaky ReLU: S = alpha sigma_w {slope, 1} is bounded away from 0, so T = D' O is
    # invertible and its spectrum is the annulus ||T^-1||_2^-1 <= |z| <= ||T||_2
    # (Haagerup-Larsen); A = alpha (1/alpha + T) is singular iff 1/alpha lies in it, i.e.
    # E S^2 >= 1 and E S^-2 >= 1. Slope 0.1, alpha = 3: E S^-2 = 2.8 (singular); slope 1/2,
    # alpha = 2: E S^-2 = 0.39 (invertible although E S^2 = 4). Real networks must agree.
    from freealg.nn.residual import singular_layer

    sing = fa.nn.MLP(2, "leaky_relu(0.1)", residual=3)
    inv = fa.nn.MLP(2, "leaky_relu(0.5)", residual=2)
    assert singular_layer([(y, 1) for y in sing._residual_layers()])
    assert not singular_layer([(y, 1) for y in inv._residual_layers()])
    left, right = sing.jacobian_spectrum(15).edges()
    assert left.location == 0 and left.kind == "hard"
    r = float(right.location)
    assert max(sing.sample_jacobian(n=200, seed=s, threads=1).min() for s in range(2)) < 1e-3 * r
    # the invertible case keeps a gap at 0 that does not shrink with N
    for n in (100, 300):
        assert min(inv.sample_jacobian(n=n, seed=s, threads=1).min() for s in range(2)) > 0.1
