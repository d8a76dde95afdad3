"""The float64 Cauchy transform of Gaussian push-forwards by shifted contours (issue 16, item 1):
freealg.numeric.contourshift and its use in PushforwardModel.gdg.

The law of x = f(h), h ~ N(0, q), is the law of sigma_w^2 phi'(h)^2 of a smooth activation
(tanh: f = sech^4 h; sigmoid: f = sigmoid'(h)^2 = (sigmoid (1 - sigmoid))^2; gelu:
f = (Phi(h) + h phi(h))^2). References, independent of the code under test:
* G(z) = E[1/(z - f(h))] and G'(z) = -E[1/(z - f(h))^2] by ``mpmath.quad`` at 30 digits on the
  real h-line, split at the real parts of the poles (points at distance >= 1e-2 from the axis,
  where 20 digits are reached);
* the boundary value Im G(x + i0) = -pi rho(x), with the change-of-variables density
  rho(x) = sum_{f(h) = x} phi_q(h)/|f'(h)| (for sech^4: h = +-acosh(x^(-1/4)),
  |f'(h)| = 4 x tanh|h|), a closed form.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from freealg.kernels.backend import NP
from freealg.numeric.contourshift import ShiftedContour, meromorphic
from freealg.numeric.fnlaw import X, QuadratureModel
from freealg.numeric.pushforward import PushforwardModel

x = sp.Symbol("x", real=True)
EVEN = [(-np.inf, 0.0), (0.0, np.inf)]

SECH4 = ((1 - sp.tanh(x) ** 2) ** 2, lambda h: (1 - mpmath.tanh(h) ** 2) ** 2, EVEN)
SIG2 = ((sp.exp(-x) / (1 + sp.exp(-x)) ** 2) ** 2,
        lambda h: (mpmath.exp(-h) / (1 + mpmath.exp(-h)) ** 2) ** 2, EVEN)
GELU2 = (((1 + sp.erf(x / sp.sqrt(2))) / 2 + x * sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)) ** 2,
         lambda h: (mpmath.ncdf(h) + h * mpmath.npdf(h)) ** 2, None)


def _reference(fm, q, z, roots=()):
    """(G, G') at z by mpmath.quad at 30 digits (split at the real parts of the poles)."""
    with mpmath.workdps(20):
        q = mpmath.mpf(q)
        zz = mpmath.mpc(z.real, z.imag)
        S = 12 * mpmath.sqrt(q)
        cuts = sorted({float(-S), 0.0, float(S)} | {float(r.real) for r in roots
                                                    if abs(r.real) < float(S)})
        pts = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            pts += list(mpmath.linspace(a, b, 8))[:-1]
        pts.append(S)

        def ph(h):
            return mpmath.exp(-h * h / (2 * q)) / mpmath.sqrt(2 * mpmath.pi * q)

        G = mpmath.quad(lambda h: ph(h) / (zz - fm(h)), pts)
        dG = mpmath.quad(lambda h: -ph(h) / (zz - fm(h)) ** 2, pts)
    return complex(G), complex(dG)


def _spans(expr, sp_spans):
    if sp_spans is not None:
        return sp_spans
    # gelu'^2: monotone between its critical points (found here by a sign scan of f')
    d = sp.lambdify(x, sp.diff(expr, x), "mpmath")
    grid = np.linspace(-9, 9, 3601)
    vals = [float(d(t)) for t in grid]
    cps = [float(mpmath.findroot(d, (grid[i], grid[i + 1]), solver="bisect"))
           for i in range(len(grid) - 1) if vals[i] * vals[i + 1] < 0]
    edges = [-np.inf] + cps + [np.inf]
    return list(zip(edges[:-1], edges[1:]))


CASES = [(SECH4, 0.394294490397841, 3), pytest.param(SECH4, 0.05, 10, marks=pytest.mark.slow),
         pytest.param(SECH4, 2.0, 10, marks=pytest.mark.slow),
         pytest.param(SIG2, 1.5, 10, marks=pytest.mark.slow),
         pytest.param(GELU2, 1.0, 10, marks=pytest.mark.slow)]


@pytest.mark.parametrize("case,q,n", CASES)
def test_cauchy_transform_against_mpmath_quadrature(case, q, n):
    expr, fm, spans = case
    m = ShiftedContour(expr, x, q, _spans(expr, spans))
    rng = np.random.default_rng(7)
    fmax = max(float(fm(t)) for t in np.linspace(-6, 6, 241))
    z = np.concatenate([rng.uniform(-0.2 * fmax, 1.3 * fmax, n)
                        + 1j * fmax * 10 ** rng.uniform(-2, 0, n),
                        [-0.1 * fmax + 0j, 1.5 * fmax + 0j]])
    G, dG, err, ok = m.gdg(z)
    assert ok.sum() >= n // 2                  # refused points go to the slow path
    roots, valid = m._poles(z)
    for k in np.nonzero(ok)[0]:
        rG, rdG = _reference(fm, q, z[k], roots[k][valid[k]])
        assert abs(G[k] - rG) <= 1e-12 * abs(rG), (z[k], G[k], rG)
        assert abs(dG[k] - rdG) <= 1e-11 * abs(rdG), (z[k], dG[k], rdG)
        assert err[k] <= 1e-13 * max(abs(G[k]), abs(dG[k]))


def test_boundary_value_is_minus_pi_times_the_density():
    # x = sech^4(h), h ~ N(0, q): rho(x) = 2 phi_q(h)/(4 x tanh h), h = acosh(x^(-1/4))
    q = 0.7
    m = ShiftedContour(SECH4[0], x, q, EVEN)
    xs = np.array([1e-3, 0.05, 0.3, 0.6, 0.9, 0.999])
    G, _, _, ok = m.gdg(xs + 0j, want_d=False)
    h = np.arccosh(xs ** -0.25)
    rho = 2 * np.exp(-h ** 2 / (2 * q)) / math.sqrt(2 * math.pi * q) / (4 * xs * np.tanh(h))
    assert ok.all()
    assert np.max(np.abs(G.imag + math.pi * rho) / (math.pi * rho)) < 1e-12


def test_a_missed_root_is_refused_not_wrong(monkeypatch):
    # drop every root the Newton search finds: the argument principle counts them between the
    # lines, so the points must come back as not done (never a wrong value)
    m = ShiftedContour(SECH4[0], x, 0.5, EVEN)
    z = np.array([0.3 + 1e-6j, 0.7 + 0.01j, 0.5 + 0j])
    _, _, _, ok = m.gdg(z)
    assert ok.all()
    orig = m._poles

    def lost(zz):
        h, valid = orig(zz)
        return h, np.zeros_like(valid)

    monkeypatch.setattr(m, "_poles", lost)
    G, _, err, ok = m.gdg(z)
    assert not ok.any() and np.all(np.isinf(err))


def test_pushforward_model_uses_it_and_falls_back_where_refused(monkeypatch):
    q = 3.0
    model = PushforwardModel(sp.Lambda(X, 4 * (1 - sp.tanh(X) ** 2) ** 2), sp.Float(q), "law")
    fast = model._contour()
    assert fast is not None
    z = np.array([4.8 + 0j, 4.45 + 0.85j, 2.0 + 0.3j, 0.5 + 0.02j])
    G, dG = model.gdg(z, NP, True)
    roots, valid = fast._poles(z)
    for k in (0, 3):
        rG, rdG = _reference(lambda h: 4 * (1 - mpmath.tanh(h) ** 2) ** 2, q, z[k],
                             roots[k][valid[k]])
        assert abs(G[k] - rG) <= 1e-12 * abs(rG) and abs(dG[k] - rdG) <= 1e-11 * abs(rdG)
    # a fast path that certifies nothing: every point is the quadrature's
    monkeypatch.setattr(fast, "rtol", 0.0)
    G0, dG0 = model.gdg(z, NP, True)
    Gs, dGs = QuadratureModel.gdg(model, z, NP, True)
    assert np.array_equal(G0, Gs) and np.array_equal(dG0, dGs)
    assert np.max(np.abs(G0 - G) / np.abs(G)) < 1e-11


def test_only_entire_or_meromorphic_expressions():
    assert meromorphic((1 - sp.tanh(x) ** 2) ** 2) and meromorphic(sp.exp(-x ** 2) * sp.erf(x))
    assert not meromorphic(sp.sqrt(1 + x ** 2)) and not meromorphic(sp.log(2 + sp.cos(x)))
    assert not ShiftedContour(sp.sqrt(1 + x ** 2), x, 1.0, [(-np.inf, np.inf)]).usable
    # a piecewise f (hard-tanh-like) keeps the quadrature path
    model = PushforwardModel(sp.Lambda(X, sp.Min(1, sp.Max(0, X))), sp.S(1), "law")
    assert model._contour() is None
