"""The laws of phi'(h)^2 behind fa.nn.MLP (Gaussian push-forwards) against an independent
reference: G(z) = E[1/(z - f(sqrt(q) t))], t ~ N(0, 1), by mpmath.quad over many short
subintervals of [-14, 14] (the Gaussian mass outside is below 1e-43), and closed-form
densities where the preimages of f are explicit.

The regression: GELU'(h) = (1 + erf(h/sqrt 2))/2 + h phi(h) changes sign in float64 by
rounding alone in its left tail (1 + erf(h/sqrt 2) falls below the float64 spacing at 1), and
f' underflows to 0 further out; these were taken as critical points of f and the Gaussian tail
beyond them was dropped (G off by 1e-5 in float64 and 4e-9 at 30 digits at depth 1, by 0.8 at
depth 10 where q = 1929).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.kernels.backend import NP
from freealg.numeric.fnlaw import X
from freealg.numeric.pushforward import PushforwardModel

H = sp.Symbol("h", real=True)
# GELU' with sigma_w = 2 (the MLP default for gelu), squared: the law of D^2
GELU2 = (2 * sp.diff(H * (1 + sp.erf(H / sp.sqrt(2))) / 2, H)) ** 2


def reference_cauchy(expr, q, z, dps=20, n=56):
    """E[1/(z - f(sqrt(q) t))], t ~ N(0, 1), by mpmath.quad on n subintervals of [-14, 14]."""
    f = sp.lambdify(H, expr, modules="mpmath")
    with mpmath.workdps(dps):
        sq, zz = mpmath.sqrt(mpmath.mpf(str(sp.N(q, dps + 10)))), mpmath.mpc(z)
        c = 1 / mpmath.sqrt(2 * mpmath.pi)
        pts = [mpmath.mpf(-14) + k * mpmath.mpf(28) / n for k in range(n + 1)]
        return mpmath.quad(lambda t: c * mpmath.exp(-t * t / 2) / (zz - f(sq * t)), pts)


def covered_mass(expr, q):
    """The Gaussian mass of the float64 monotone pieces of f (1 up to the 1e-20 tails)."""
    m = PushforwardModel(sp.Lambda(X, expr.subs(H, X)), sp.sympify(q), "law")
    s = math.sqrt(float(q))
    return sum(0.5 * (math.erf(pc.s1 / s / math.sqrt(2)) - math.erf(pc.s0 / s / math.sqrt(2)))
               for pc in m.pieces(NP))


def assert_matches(law, z, ref, dps=30, digits=25):
    """G of the law at z agrees with the reference: float64 to 1e-13 relative (the shifted
    contour's own claim) and at ``dps`` digits to 10^-digits relative."""
    g64 = complex(law.cauchy(np.array([z]))[0])
    assert abs(g64 - complex(ref)) < 1e-13 * abs(complex(ref))
    gmp = law.cauchy(mpmath.mpc(z), dps=dps)
    assert abs(gmp - ref) < mpmath.mpf(10) ** -digits * abs(ref)


@pytest.mark.parametrize("q", [4, sp.Float("15.208338620171077"), sp.Float("1928.8038931961")])
def test_gelu_pieces_cover_the_gaussian_mass(q):
    # q: the pre-activation variances of MLP(L, "gelu") at layers 1, 3, 10
    assert abs(covered_mass(GELU2, q) - 1) < 1e-15


def test_gelu_cauchy_float64_and_30_digits():
    law = fa.gaussian_pushforward(sp.Lambda(H, GELU2), 4)
    z = 1 + 0.5j
    ref = reference_cauchy(GELU2, 4, z, dps=32)
    assert_matches(law, z, ref)


@pytest.mark.slow
def test_gelu_cauchy_near_the_axis():
    law = fa.gaussian_pushforward(sp.Lambda(H, GELU2), 4)
    for z in (0.3 + 0.05j, 0.05 + 0.01j):
        ref = reference_cauchy(GELU2, 4, z, dps=35, n=280)
        assert_matches(law, z, ref)


@pytest.mark.slow
def test_gelu_deep_layer_cauchy():
    # layer 3 of MLP(3, "gelu"): q = 15.2; the tail h < -21.7 was lost before (3e-8)
    q = sp.Float("15.208338620171077")
    law = fa.gaussian_pushforward(sp.Lambda(H, GELU2), q)
    ref = reference_cauchy(GELU2, q, 1 + 0.5j, dps=35)
    assert_matches(law, 1 + 0.5j, ref)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tanh", "sigmoid", "silu", "softplus", "erf"])
def test_smooth_layer_laws_depth_one(name):
    m = fa.nn.MLP(1, name)
    e = (m.sigma_w * sp.diff(m.phi, H)) ** 2
    law = fa.gaussian_pushforward(sp.Lambda(H, e), m.q[0])
    z = 1 + 0.5j
    ref = reference_cauchy(e, m.q[0], z, dps=30)
    assert_matches(law, z, ref, dps=25, digits=20)


def test_tanh_density_closed_form():
    # tanh'(h)^2 = sech(h)^4 = x  <=>  h = +-arccosh(x^(-1/4)); rho(x) = 2 phi(h)/|f'(h)|,
    # f'(h) = -4 sech(h)^4 tanh(h)
    law = fa.gaussian_pushforward(sp.Lambda(H, sp.tanh(H).diff(H) ** 2), 1)
    xs = np.array([0.05, 0.3, 0.7, 0.95])
    h = np.arccosh(xs ** -0.25)
    ref = 2 * np.exp(-h ** 2 / 2) / np.sqrt(2 * np.pi) / (4 * xs * np.tanh(h))
    assert np.allclose(law.density(xs), ref, rtol=1e-13, atol=0)
    with mpmath.workdps(30):
        x = mpmath.mpf(3) / 10
        hh = mpmath.acosh(x ** (-mpmath.mpf(1) / 4))
        r = 2 * mpmath.npdf(hh) / (4 * x * mpmath.tanh(hh))
    assert abs(law.density(x, dps=30) - r) < 1e-25 * r


def test_selu_layer_law():
    # (sigma_w SELU')^2 = c * Piecewise(...): an atom (sigma_w lambda)^2 of mass 1/2 (h > 0) and
    # c' e^{2h} on h < 0; the float64 G was off by 0.6 (the h < 0 piece ended on the wrong branch)
    m = fa.nn.MLP(1, "selu")
    e = (m.sigma_w * sp.diff(m.phi, H)) ** 2
    law = fa.gaussian_pushforward(sp.Lambda(H, e), m.q[0])
    f = sp.lambdify(H, e, modules="mpmath")
    z = 0.3 + 0.05j
    with mpmath.workdps(30):
        q = mpmath.mpf(str(sp.N(m.q[0], 40)))
        c, L = 1 / mpmath.sqrt(2 * mpmath.pi * q), 14 * mpmath.sqrt(q)
        ref = mpmath.quad(lambda h: c * mpmath.exp(-h * h / (2 * q)) / (z - f(h)),
                          [-L] + list(mpmath.linspace(-3, 0, 61)) + [L])
    assert_matches(law, z, ref, dps=25, digits=20)


def test_deep_gelu_layer_law_has_its_band_by_theorem():
    # layer 10 of MLP(10, "gelu"): q = 1928.8, h spreads over +-130 and GELU'(h)^2 is within
    # 1e-80 of 0 or of 4 for all but a sliver of the mass (near-atoms at both): the mass audit
    # of the support saw 88% of the mass missing and raised NoConvergence. The support of the
    # law of a continuous f(h) is the closure of the image of f (an interval), here
    # [0, (2 GELU'(sqrt 2))^2] with GELU'(sqrt 2) = Phi(sqrt 2) + sqrt 2 phi(sqrt 2) (the
    # maximum: GELU'' = phi(h) (2 - h^2)) and 0 at the zero of GELU' near h = -0.75.
    q = sp.Float("1928.8038931961")
    law = fa.gaussian_pushforward(sp.Lambda(H, GELU2), q)
    assert law._bands_proven(30)
    (band,) = law.support()
    top = (2 * ((1 + sp.erf(1)) / 2 + sp.sqrt(2) * sp.exp(-1) / sp.sqrt(2 * sp.pi))) ** 2
    assert band.lo == 0
    assert abs(sp.N(band.hi - top, 40)) < 1e-35
    # the law itself: G at a point away from the near-atoms against the direct quadrature
    ref = reference_cauchy(GELU2, q, 2 + 1j, dps=25)
    g64 = complex(law.cauchy(np.array([2 + 1j]))[0])
    assert abs(g64 - complex(ref)) < 1e-13 * abs(complex(ref))


def test_far_field_derivative_of_a_piece_cut_at_a_flat_part():
    # ELU'(h)^2: 1 for h > 0 (an atom), exp(2h) for h < 0 (the band, cut at h = 0 where its
    # range ends at 1). Far from [0, 1] the float64 G' lost 1e-7 relative: nodes within 1e-7
    # of the cut were dropped although nothing was subtracted there. psi'(x) = G + x G', the
    # S-transform tables' slope, then came out with the wrong sign at x = 1e7.
    band = fa.gaussian_pushforward(sp.Piecewise((1, H > 0), (sp.exp(2 * H), True)), 1)._args[0][1]
    def moment(x, k):            # E[1/(x - exp(2h))^k | h < 0], h ~ N(0, 1)
        c = 2 / mpmath.sqrt(2 * mpmath.pi)
        return mpmath.quad(lambda h: c * mpmath.exp(-h * h / 2) / (x - mpmath.exp(2 * h)) ** k,
                           [-14, -7, -3, -1, 0])

    for x in (10.0, 1e3, 1e5, 1e7):
        with mpmath.workdps(30):
            ref, gref = -moment(x, 2), moment(x, 1)
            psi_d = gref + x * ref                      # psi'(x) = -E[t/(x - t)^2] < 0
        dg = complex(band._dg(np.array([x + 0j]), NP)[0])
        g = complex(band._g(np.array([x + 0j]), NP)[0])
        assert abs(dg - float(ref)) < 1e-13 * abs(float(ref)), x
        assert psi_d < 0 and abs((g + x * dg).real - float(psi_d)) < 1e-6 * abs(float(psi_d)), x


def test_silu_layer_law_edge_without_closed_form():
    # the maximum of SiLU'(h) = s(h) (1 + h (1 - s(h))), s the logistic function, sits at a
    # root of a transcendental equation (h* = 2.3994): sympy's simplify, tried on a 15-digit
    # rational candidate for h*, ran for minutes (MLP(3, "silu").edges() > 60 s); now only a
    # candidate where f' vanishes to 40 digits is simplified. The edge is a 20-digit Float,
    # and its error field says so (it was 0). Reference: mpmath.findroot of SiLU'' at 40 digits.
    law = fa.nn.MLP(1, "silu").jacobian_system().law           # (2 SiLU'(h))^2, h ~ N(0, 4)
    right = law.edges()[-1]
    with mpmath.workdps(40):
        s = lambda h: 1 / (1 + mpmath.exp(-h))                  # noqa: E731
        d1 = lambda h: s(h) * (1 + h * (1 - s(h)))              # noqa: E731
        hstar = mpmath.findroot(lambda h: mpmath.diff(d1, h), 2.4)
        ref = (2 * d1(hstar)) ** 2
        assert abs(mpmath.mpf(right.location) - ref) <= right.error
    assert 0 < right.error < 1e-18 * abs(float(ref))


def test_point_masses_certify_only_off_the_support():
    # the float64 G of a push-forward first tries its far-field point masses (the tanh-sinh
    # rule and the rule of twice the step): where they certify themselves the value must
    # match the independent mpmath reference; on and just above the support (near-poles
    # between the nodes) they must not certify (the quadrature / contour G answers there)
    from freealg.numeric.quadrature import far_gdg, far_levels
    q = 1.7
    m = PushforwardModel(sp.Lambda(X, GELU2.subs(H, X)), sp.Float(q), "GELU'^2")
    lo, hi = m.hull_float()
    zs = np.array([2.0 + 2.0j, 9.0 + 0j, 40.0 + 0.01j, -0.5 + 0j, 6.0 + 0.3j,
                   3.0 + 1e-8j, 1.0 + 1e-3j, 2.5 + 0j])
    _, _, ok = far_gdg(far_levels(m.pieces(NP)), zs, True, lo, hi)
    assert ok[:5].all() and not ok[5:].any()
    G, _ = m.gdg(zs[:5], NP, False)
    for z, g in zip(zs[:5], G):
        ref = complex(reference_cauchy(GELU2, q, complex(z), dps=20))
        assert abs(g - ref) <= 2e-14 * abs(ref), z


def test_sigmoid_layer_law_edge_at_zero_is_soft():
    # sigma_w^2 sigmoid'(h)^2, h ~ N(0, q) (the MLP's layer law: q = 45.6): near 0,
    # x = f(h) ~ sigma_w^2 e^(-2|h|) and the density 2 phi_q(h)/|f'(h)| ~ exp(-h^2/(2q) + 2|h|)
    # grows up to |h| = 2q (x ~ e^-180) and vanishes beyond: the edge is soft, although no
    # float sees it. Reference: that closed form at 300 digits, far out along the tail
    law = fa.nn.MLP(3, "sigmoid").jacobian_system().law._args[0][-1][0]
    lam, q = law._args
    left = min(law.edges(), key=lambda e: float(e.location))
    assert (left.location, left.kind) == (0, "soft")
    f = sp.lambdify(lam.variables[0], sp.diff(lam.expr, lam.variables[0]), "mpmath")
    with mpmath.workdps(300):
        qq = mpmath.mpf(sp.N(q, 320))
        rho = [2 * mpmath.exp(-h * h / (2 * qq)) / mpmath.sqrt(2 * mpmath.pi * qq) / abs(f(h))
               for h in (qq, 2 * qq, 4 * qq, 6 * qq)]
        assert rho[0] < rho[1] and rho[1] > rho[2] > rho[3] and rho[3] < 1e-100
    # wrong-model control: erf'(h)^2 (f' ~ h e^(-h^2)) keeps a divergent density at 0
    erf_law = fa.nn.MLP(3, "erf").jacobian_system().law._args[0][-1][0]
    assert min(erf_law.edges(), key=lambda e: float(e.location)).kind == "hard"
