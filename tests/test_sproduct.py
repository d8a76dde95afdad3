"""Edges of ⊠ products from the S-transform on the real axis (freealg.numeric.sproduct).

References: the Fuss-Catalan law MP(1)^{⊠n} has support [0, (n+1)^{n+1}/n^n] (Penson and
Zyczkowski, Phys. Rev. E 83, 061118, 2011); MP(1) ⊠ MP(3) is checked against the exact edges of
its algebraic curve (an independent engine path); the smooth-activation Jacobian against the
float64 S-transform bound and the sign of the density on both sides of the edge.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.numeric import sproduct
from freealg.numeric.subordination import s_edge_bound


@pytest.mark.parametrize("n", [2, 3, 5])
def test_fuss_catalan_right_edge_and_error_bound(n):
    left, right = sproduct.product_edges([(fa.free_poisson(1), n)], dps=30)
    exact = sp.Rational((n + 1) ** (n + 1), n ** n)
    with mpmath.workdps(60):
        true_err = abs(mpmath.mpf(right.location) - mpmath.mpf(sp.N(exact, 70)))
    assert true_err <= right.error            # the reported error bounds the true one
    assert right.error < 1e-26 * float(exact)
    assert (left.location, left.kind, left.side) == (0, "hard", "left")   # MP(1): x^(-1/2) at 0
    assert (right.kind, right.side) == ("soft", "right")


def test_two_marchenko_pastur_against_the_curve_engine():
    law = fa.free_product([fa.free_poisson(1), fa.free_poisson(3)])
    exact = law.edges(method="curve", dps=30)        # algebraic curve: its discriminant roots
    got = sproduct.product_edges(law._args[0], dps=30, law=law)
    assert got is not None
    with mpmath.workdps(40):
        ref = mpmath.mpf(sp.N(exact[-1].location, 40)) if isinstance(exact[-1].location, sp.Basic) \
            else mpmath.mpf(exact[-1].location)
        assert abs(got[1].location - ref) <= got[1].error + float(exact[-1].error or 0)
    assert exact[0].location == 0 and got[0].location == 0
    # without a factor reaching 0 (rates > 1) the module leaves the law to the curve engine
    away = fa.free_product([fa.free_poisson(2), fa.free_poisson(3)])
    assert sproduct.product_edges(away._args[0], 30, away) is None


def test_products_that_do_not_qualify_are_left_alone():
    relu = fa.nn.MLP(3, "relu").jacobian_system().law          # two-point factors
    assert not sproduct.applies(relu._args[0], relu)
    assert sproduct.product_edges(relu._args[0], 30, relu) is None
    assert not sproduct.applies([(fa.free_poisson(1), 1)])      # one factor


@pytest.fixture(scope="module")
def tanh3():
    return fa.nn.MLP(3, "tanh").jacobian_system().law


def test_tanh_jacobian_edges_agree_with_the_float_bound_and_the_density(tanh3):
    left, right = tanh3.edges()
    r = float(right.location)
    # the float64 S-transform bound (bisection of every factor's psi, min over a grid of m)
    # is an upper bound, tight to its grid's resolution in m (400 points over 7+ decades)
    bound = s_edge_bound(tanh3._args[0])
    assert r <= bound <= r * (1 + 1e-4)
    # the float64 density is positive just inside and zero just outside
    d = tanh3.density(np.array([r * (1 - 1e-3), r * (1 + 1e-6)]))
    assert d[0] > 0 and d[1] == 0
    # a wrong model (the same layers at another depth) has another edge
    other = fa.nn.MLP(4, "tanh").jacobian_system().law
    assert abs(float(other.edges()[1].location) - r) > 1e-3
    # the left end: 0 exactly, soft (every layer's density vanishes at 0)
    assert (left.location, left.kind, left.error) == (0, "soft", 0)
    # one band, no audit needed; max singular value from the same edge
    assert [(b.lo, b.hi) for b in tanh3.support()] == [(0, right.location)]


def test_tanh_jacobian_edge_error_bound_is_honest(tanh3):
    low = sproduct.product_edges(tanh3._args[0], dps=20, law=tanh3)[1]
    high = sproduct.product_edges(tanh3._args[0], dps=40, law=tanh3)[1]
    with mpmath.workdps(50):
        assert abs(low.location - high.location) <= low.error + high.error
    # m is refined by Newton on F' = 0 in mpmath: the bound is at the working digits (it was
    # ~5e-29 at dps = 40 while m stayed the float64 minimiser)
    assert low.error < 1e-19 and high.error < 1e-38


@pytest.mark.parametrize("dps", [15, 30])
def test_depth_two_edge_error_bounds_the_true_error(dps):
    # the reference at 45 digits; every reported error must bound the distance to it. The
    # mpmath stage once ran at dps + 5 digits, where a layer law's G by quadrature keeps only
    # ~dps - 4: at dps = 15 the edge was 8.7e-15 off with a reported error of 8.8e-16
    law = fa.nn.MLP(2, "tanh").jacobian_system().law
    ref = law.edges(dps=45)[1]
    got = law.edges(dps=dps)[1]
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(got.location) - mpmath.mpf(ref.location)) <= got.error - ref.error
    assert got.error < 10.0 ** (1 - dps)


def test_binary_product_factors():
    # fa.free_multiplicative (two factors, e.g. an MLP of depth 2) lists its factors for this
    # module (algebraic ones still take the exact curve by default): Fuss-Catalan
    # MP(1) ⊠ MP(1) ends at 27/4 (Penson-Zyczkowski 2011)
    law = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))
    left, right = sproduct.product_edges(law._sfactors(), 30, law)
    with mpmath.workdps(60):
        assert abs(mpmath.mpf(right.location) - mpmath.mpf(27) / 4) <= right.error < 1e-28
    assert left.location == 0
    # MP(1) ⊠ MP(3): the algebraic curve's discriminant edge (an independent engine path)
    law = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(3))
    exact = law.edges(method="curve", dps=30)[-1]
    got = sproduct.product_edges(law._sfactors(), 30, law)[1]
    with mpmath.workdps(40):
        assert abs(got.location - mpmath.mpf(sp.N(exact.location, 40))) <= \
            got.error + float(exact.error or 0)


def test_tanh_depth_two_agrees_with_the_float_bound_and_the_density():
    law = fa.nn.MLP(2, "tanh").jacobian_system().law
    assert type(law).__name__ == "FreeMultiplicative"          # two distinct layer laws
    assert law._bands_proven(20)                              # this module's route
    low, high = law.edges(dps=20)[1], law.edges(dps=40)[1]
    with mpmath.workdps(50):
        assert abs(low.location - high.location) <= low.error + high.error < 1e-19
    r = float(high.location)
    bound = s_edge_bound(((law._args[0], 1), (law._args[1], 1)))
    assert r <= bound <= r * (1 + 1e-4)
    d = law.density(np.array([r * (1 - 1e-3), r * (1 + 1e-6)]))
    assert d[0] > 0 and d[1] == 0
    # wrong-model control: one layer squared (the same law twice) has another edge
    same = fa.free_product([(law._args[0], 2)])
    assert abs(float(same.edges()[1].location) - r) > 1e-3


def test_mixture_of_an_atom_and_a_band_has_the_band_edges():
    # the SELU layer law: an atom (h > 0) inside the band of the h < 0 branch; the numeric
    # search used to fail there (NoConvergence next to the thin tail at 0)
    law = fa.nn.MLP(1, "selu").jacobian_system().law
    band = law._args[0][1]
    def key(edges):
        return [(e.location, e.kind, e.side) for e in edges]

    assert key(law.edges()) == key(band.edges())
    assert [(float(b.lo), float(b.hi)) for b in law.support()] == \
        [(float(b.lo), float(b.hi)) for b in band.support()]
    assert len(law.atoms()) == 1


def test_factors_with_an_atom_inside_their_band():
    # ELU's layer law: an atom 1/2 at 1 (h > 0) at the top of the band [0, 1] of exp(2h)
    # (h < 0). Its support is still one interval, which is all the connectedness of a free
    # multiplicative product needs (Belinschi-Bercovici-Ho 2024 hold for arbitrary measures),
    # psi stays decreasing beyond the band (it only tends to infinity at the atom), and three
    # atoms of mass 1/2 leave the product none (mass sum - 2 < 0). Before, these factors went
    # to the generic scan: > 150 s at depth 3
    law = fa.nn.MLP(3, "elu").jacobian_system().law
    fs = law._args[0]
    assert all(f.atoms() for f, _ in fs) and not law.atoms()
    assert sproduct.applies(fs, law) and law._bands_proven(30)
    left, right = law.edges()
    r = float(right.location)
    # the float64 bound from bisections of every factor's psi, and the float64 density of the
    # subordination solver on both sides (independent paths)
    bound = s_edge_bound(fs)
    assert r <= bound <= r * (1 + 1e-4)
    d = law.density(np.array([r * (1 - 1e-3), r * (1 + 1e-6)]))
    assert d[0] > 0 and d[1] == 0
    # the error bound holds against 40 digits
    low = sproduct.product_edges(fs, dps=15, law=law)[1]
    high = sproduct.product_edges(fs, dps=40, law=law)[1]
    with mpmath.workdps(50):
        assert abs(low.location - high.location) <= low.error - high.error
    assert low.error < 1e-14
    # the left end 0 is soft: exp(2h) puts a density vanishing faster than any power at 0
    assert (left.location, left.kind) == (0, "soft")
    # wrong-model control: the same layers at depth 4
    other = fa.nn.MLP(4, "elu").jacobian_system().law
    assert abs(float(other.edges()[1].location) - r) > 1e-3


# --------------------------------------------------------------------------------------------
# the series route: far-field point masses (float64) and Taylor moments (mpmath)


def _layer(act, depth=3, layer=1):
    return fa.nn.MLP(depth, act).jacobian_system().law._args[0][layer][0]


def _direct(law, g, dps):
    """int g(f(h)) dN(0, q)(h) by mpmath.quad of the push-forward's own f (independent of the
    quadrature pieces), split at 0 and +-sqrt(q)."""
    lam, q = law._args
    f = sp.lambdify(lam.variables[0], lam.expr, "mpmath")
    with mpmath.workdps(dps):
        q = mpmath.mpf(sp.N(q, dps + 5))
        c = 1 / mpmath.sqrt(2 * mpmath.pi * q)
        s = mpmath.sqrt(q)
        return mpmath.quad(lambda h: c * mpmath.exp(-h * h / (2 * q)) * g(f(h)),
                           [-mpmath.inf, -s, 0, s, mpmath.inf])


def test_taylor_moments_of_a_push_forward_against_direct_quadrature():
    # c_k = int (x0 - t)^-(k+1) dmu(t) of GELU's layer law (2 GELU'(h))^2, h ~ N(0, q), at
    # x0 = 4 b (where the depth-10 minimum puts its inverses), against mpmath.quad of f itself
    law = _layer("gelu")
    b = float(sp.N(law.support()[0].hi, 20))
    with mpmath.workdps(40):
        x0 = mpmath.mpf(4 * b)
        c, err = sproduct._far_moments(law, x0, sproduct.TAYLOR)
        assert err < 1e-15
        for k in (0, 1, 2, 7, sproduct.TAYLOR):
            ref = _direct(law, lambda t, k=k: (x0 - t) ** -(k + 1), 45)
            assert abs(c[k] - ref) <= mpmath.mpf(10) ** -34 * ref, k


def test_taylor_moments_of_a_branch_cut_at_the_centre():
    # the depth-10 softplus layer law: one monotone branch sigma_w^2 sigmoid(h)^2 on the whole
    # line (q = 57), cut at h = 0 for the moments (its mass sits in the middle fifth); against
    # mpmath.quad of f itself
    law = _layer("softplus", depth=10, layer=-1)
    pcs = law._model().pieces(sproduct.NP)
    sq = float(sp.sqrt(law._args[1]))
    assert len(pcs) == 1 and pcs[0].s0 < -sq and pcs[0].s1 > sq
    b = float(sp.N(law.support()[0].hi, 20))
    with mpmath.workdps(40):
        x0 = mpmath.mpf(3 * b)
        c, _ = sproduct._far_moments(law, x0, sproduct.TAYLOR)
        for k in (0, 3, sproduct.TAYLOR):
            ref = _direct(law, lambda t, k=k: (x0 - t) ** -(k + 1), 45)
            assert abs(c[k] - ref) <= mpmath.mpf(10) ** -34 * ref, k


def test_point_mass_psi_against_the_laws_own_cauchy_transform():
    # psi = x G - 1 from the far-field point masses (two rules) against the push-forward's
    # shifted-contour G (``_gdg_np``, no point masses), where the point masses certify
    # themselves; within 1e-3 of b they must not (the rounding of the nodes next to the
    # critical value, magnified by t/(x - t), cost them 1e-12 at x = b (1 + 1e-5))
    law = _layer("gelu")
    fac = sproduct._Factor(law, 1)
    x = fac.b * (1 + np.geomspace(1e-12, 1e8, 81))
    p, dp, ok = fac._psi_far(x)
    G, dG = law._model()._gdg_np(x + 0j, True)
    G, dG = G.real, dG.real
    assert ok.sum() > 40 and not ok[x < fac.b * (1 + 1e-3)].any()
    # up to x = 10 b (x G - 1 and G + x G' cancel further out)
    near = ok & (x <= 10 * fac.b)
    assert near.sum() > 10
    assert np.all(np.abs(p[near] - (x[near] * G[near] - 1)) <= 1e-13 * np.abs(p[near]))
    assert np.all(np.abs(dp[near] - (G[near] + x[near] * dG[near])) <= 1e-12 * np.abs(dp[near]))
    # far out the point masses (positive terms t/(x - t)) keep their digits: against
    # mpmath.quad of f itself at 25 digits
    for i in (50, 65, 80):
        ref = _direct(law, lambda t, x=x[i]: t / (x - t), 25)
        assert abs(p[i] - ref) <= 1e-14 * ref, i


@pytest.mark.parametrize("act", ["gelu", "elu"])
def test_series_route_agrees_with_the_quadrature_route(act):
    # the right edge at the minimiser from every factor's Taylor series (one quadrature pass
    # each) and from Newton on every factor's own G (a quadrature per step): two independent
    # evaluations of G; GELU's layer laws are push-forwards, ELU's mixtures with an atom
    law = fa.nn.MLP(3, act).jacobian_system().law
    fs0 = law._args[0]
    fs, (m0, _, xs0) = sproduct._float_minimum(fs0, law)
    n = sum(f.k for f in fs)
    curv = sproduct._second(fs, n, m0)
    with mpmath.workdps(30 + sproduct.GUARD):
        got = sproduct._minimum_local(fs, n, m0, xs0, curv, 30)
        assert got is not None
        X1, e1 = got
        X2, e2 = sproduct._minimum_polish(fs, n, m0, xs0, curv, 30)
        assert abs(X1 - X2) <= e1 + e2
        assert e1 < mpmath.mpf(10) ** -28 * X1
    # wrong-model control: the depth-4 product's edge is elsewhere
    other = fa.nn.MLP(4, act).jacobian_system().law
    assert abs(float(other.edges()[1].location) - float(X1)) > 1e-3 * float(X1)


def test_zero_runs_of_a_derivative_give_their_ends_only():
    # a derivative that underflows to exact zeros on a run (a flat part in float64): the run's
    # two ends are the candidates, not each of its ~1300 grid points
    from freealg.numeric.evaluators import critical_points
    got = critical_points(lambda s: np.where(np.abs(s) < 1, 0.0, s), -3.0, 3.0)
    assert len(got) == 2 and -1.01 < got[0] < -0.99 and 0.99 < got[1] < 1.01


@pytest.mark.slow
@pytest.mark.parametrize("act", ["gelu", "silu"])
def test_depth_ten_series_edge_against_the_quadrature_route(act):
    # the depth 10: the edge from the series equals the one from Newton on every
    # factor's G (the route it replaces, ~40 s) within the two error bounds
    law = fa.nn.MLP(10, act).jacobian_system().law
    fs, (m0, _, xs0) = sproduct._float_minimum(law._args[0], law)
    n = sum(f.k for f in fs)
    curv = sproduct._second(fs, n, m0)
    with mpmath.workdps(30 + sproduct.GUARD):
        X1, e1 = sproduct._minimum_local(fs, n, m0, xs0, curv, 30)
        X2, e2 = sproduct._minimum_polish(fs, n, m0, xs0, curv, 30)
        assert abs(X1 - X2) <= e1 + e2 and e1 < mpmath.mpf(10) ** -28 * X1


def test_atoms_at_the_tops_summing_to_n_minus_one_put_the_edge_at_the_product_of_tops():
    # the depth-2 ELU Jacobian: two layer laws, each an atom 1/2 at 1 on top of the band
    # [0, 1]. The masses sum to exactly n - 1 = 1: no atom in the product, X(m) decreases to
    # 1 and has no minimum. The edge is exactly 1 (the norm bound, and domination of the law
    # of p q p for the free projections on the atoms, whose top 1 - lambda_+ vanishes when
    # the traces sum to 1) and hard (mass ~ sqrt(eps) within eps of it). Before, edges()
    # scanned the density (> 5 min)
    law = fa.nn.MLP(2, "elu").jacobian_system().law
    assert not law.atoms()
    left, right = law.edges()
    assert (left.location, right.location, right.kind, right.error) == (0, 1, "hard", 0)
    # the lemma's closed form (free projections, Voiculescu): lambda_+ against freealg's
    # own edges of Bernoulli products, and 1 - lambda_+ = 0 at alpha + beta = 1
    a, b = sp.Rational(3, 10), sp.Rational(1, 2)
    lam = a + b - 2 * a * b + 2 * sp.sqrt(a * b * (1 - a) * (1 - b))
    top = fa.free_multiplicative(fa.bernoulli(a), fa.bernoulli(b)).edges()[-1]
    assert abs(float(top.location) - float(lam)) < 1e-12
    a = 1 - b
    assert sp.simplify(a + b - 2 * a * b + 2 * sp.sqrt(a * b * (1 - a) * (1 - b)) - 1) == 0
    # the density on both sides: growing towards 1 (a divergence), 0 beyond
    d = law.density(np.array([0.99, 0.999, 0.9999, 1.0001]))
    assert 0 < d[0] < d[1] < d[2] and d[3] == 0
    # Monte Carlo of the real network (N = 800, two draws): the fraction of eigenvalues of
    # J J^T above 0.99 against the theory's mass there (x = 1 - u^2 removes the
    # divergence), within 4 binomial standard deviations plus 1/n
    ev = fa.nn.MLP(2, "elu").sample_jacobian(n=800, seed=1, trials=2, threads=1)
    u = np.linspace(1e-5, 0.1, 801)
    mass = float(np.trapezoid(2 * u * law.density(1 - u * u), u))
    n = ev.size
    tol = 4 * np.sqrt(mass * (1 - mass) / n) + 1 / n
    frac = float(np.mean(ev > 0.99))
    assert abs(frac - mass) <= tol and mass > 0.03
    assert ev.max() <= 1 + 1e-9 and ev.max() > 0.999
    # wrong-model control: the depth-3 law (edge 0.95) puts no mass above 0.99
    other = fa.nn.MLP(3, "elu").jacobian_system().law
    assert float(other.edges()[1].location) < 0.96 and abs(frac - 0.0) > tol


def test_inversions_far_out_converge_in_a_batch():
    # the depth-10 softplus layers: far out (x ~ 1e8 b) psi = x G - 1 from the law's G keeps
    # ~1e-8 relative (cancellation), and Newton in log x jittered inside its bracket: the
    # vectorised inversion returned NaN for some m of a batch (not alone), the grid of m
    # ended and edges() fell back to the density scan (> 150 s instead of ~5 s)
    law = fa.nn.MLP(10, "softplus").jacobian_system().law
    fs = sproduct._factors(law._args[0])
    bottom = max(f.pt[-1] for f in fs) * (1 + 1e-9)
    ms = bottom * 10 ** (np.arange(24) / 16)
    for f in fs:
        x, dp = f.invert(ms)
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(dp))
        # psi(x) = m to the noise of x G - 1 there
        assert np.all(np.abs(f.psi(x)[0] - ms) <= 1e-6 * ms)
    assert sproduct._right_edge(fs) is not None


def test_taylor_moments_at_several_points_from_one_pass():
    # one quadrature pass for points on both sides of the support and next to it (the point
    # nearest the support listed last: every point's c_K takes part in the stopping test),
    # against mpmath.quad of f itself and against the one-point passes
    law = _layer("gelu")
    b = float(sp.N(law.support()[0].hi, 20))
    model = law._model()
    with mpmath.workdps(40):
        pts = [mpmath.mpf(4 * b), mpmath.mpf(-3 * b), mpmath.mpf(1.01 * b)]
        cs, err = model.far_moments(pts, 8)
        assert err < 1e-15
        for x0, c in zip(pts, cs):
            one, _ = model.far_moments(x0, 8)
            for k in (0, 1, 8):
                ref = _direct(law, lambda t, k=k, x0=x0: (x0 - t) ** -(k + 1), 45)
                assert abs(c[k] - ref) <= mpmath.mpf(10) ** -34 * abs(ref), (x0, k)
                assert abs(one[k] - ref) <= mpmath.mpf(10) ** -34 * abs(ref), (x0, k)
