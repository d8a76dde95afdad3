"""The quadrature engine (freealg.numeric.tanhsinh, .quadrature, .pushforward) against
closed forms: one tanh-sinh rule in float64 and at dps 30/50, and Cauchy transforms of
densities and of a Gaussian push-forward.

References (all elementary integrals):

* int_0^1 x^-1/2 dx = 2, int_0^1 (1 - x)^1/2 dx = 2/3, int_0^1 log x dx = -1,
  int_0^pi sin x dx = 2, int_0^1 (1 - x)^-1/2 dx = 2.
* uniform density 1/2 on [-1, 1]: G(z) = (log(z + 1) - log(z - 1))/2, G'(z) = (1/(z + 1) -
  1/(z - 1))/2; moments m_2 = 1/3.
* arcsine density 1/(pi sqrt(1 - x^2)) on [-1, 1]: G(z) = 1/sqrt(z^2 - 1) on the branch
  G ~ 1/z, i.e. 1/(sqrt(z - 1) sqrt(z + 1)) with principal roots (Nica-Speicher, Lectures on
  the Combinatorics of Free Probability, 2006, Example 12.8 / the free sum of two symmetric
  Bernoulli laws); moments m_2 = 1/2, m_4 = 3/8.
* the law of Phi(h) = (1 + erf(h/sqrt 2))/2, h ~ N(0, 1), is uniform on [0, 1] (probability
  integral transform): G(z) = log(z) - log(z - 1).

On the real axis the boundary value from C+ is the reference (principal logs and roots of
z + i0).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from freealg.errors import InvalidParameterError, NoConvergence
from freealg.kernels.backend import MP, NP
from freealg.numeric.pushforward import (gaussian_pieces, gaussian_weight, monotone_spans,
                                         refine_spans)
from freealg.numeric.evaluators import complex_pair, edge_local, evaluator, pair_evaluator
from freealg.numeric.quadrature import Piece, cauchy_transform, integrate
from freealg.numeric.tanhsinh import tanh_sinh, tanh_sinh_rule

X = sp.Symbol("x", real=True)

# (name, float64 integrand, mpmath integrand, a, b, exact value at the working precision)
INTEGRALS = [
    ("x^-1/2", lambda t: 1 / np.sqrt(t), lambda t: 1 / mpmath.sqrt(t), 0, 1,
     lambda: mpmath.mpf(2)),
    ("(1-x)^1/2", lambda t: np.sqrt(1 - t), lambda t: mpmath.sqrt(1 - t), 0, 1,
     lambda: mpmath.mpf(2) / 3),
    ("log x", np.log, mpmath.log, 0, 1, lambda: mpmath.mpf(-1)),
    ("sin", np.sin, mpmath.sin, 0, "pi", lambda: mpmath.mpf(2)),
]


def _end(v, dps=None):
    if v == "pi":
        return np.pi if dps is None else +mpmath.pi
    return v


@pytest.mark.parametrize("name, fnp, fmp, a, b, exact", INTEGRALS, ids=[c[0] for c in INTEGRALS])
def test_tanh_sinh_float64(name, fnp, fmp, a, b, exact):
    v, err = tanh_sinh(fnp, _end(a), _end(b))
    with mpmath.workdps(40):
        # float pi: the exact integral of sin over [0, fl(pi)] is 1 - cos(fl(pi))
        ref = 1 - mpmath.cos(mpmath.mpf(np.pi)) if b == "pi" else exact()
        true_err = abs(mpmath.mpf(v) - ref)
    assert true_err <= err              # the reported error bounds the true error
    assert err <= 1e-12                 # and the rule reaches float64 accuracy
    assert isinstance(v, float) and isinstance(err, float)


@pytest.mark.parametrize("dps", [30, 50])
@pytest.mark.parametrize("name, fnp, fmp, a, b, exact", INTEGRALS, ids=[c[0] for c in INTEGRALS])
def test_tanh_sinh_mpmath(name, fnp, fmp, a, b, exact, dps):
    with mpmath.workdps(dps + 10):
        aa, bb = _end(a, dps + 10), _end(b, dps + 10)
    v, err = tanh_sinh(fmp, aa, bb, dps=dps)
    with mpmath.workdps(dps + 30):
        true_err = abs(v - exact())
        assert true_err <= err
        assert true_err <= mpmath.mpf(10) ** (5 - dps)          # the digits asked for
        assert err <= mpmath.mpf(10) ** (-(dps // 2))           # an error bound of use
    assert isinstance(v, mpmath.mpf)


def test_tanh_sinh_singular_end_without_the_distance():
    """(1 - x)^-1/2: the nodes next to 1 round onto it and are dropped; the reported error
    says so (it must bound the true error, even where it is far from the target)."""
    v, err = tanh_sinh(lambda t: 1 / mpmath.sqrt(1 - t), 0, 1, dps=30)
    with mpmath.workdps(50):
        assert abs(v - 2) <= err
    with pytest.raises(NoConvergence):           # float64: the levels do not settle
        tanh_sinh(lambda t: 1 / np.sqrt(1 - t), 0, 1)


def test_tanh_sinh_not_integrable_raises():
    with pytest.raises(NoConvergence):
        tanh_sinh(lambda t: t ** -0.9, 0.0, 1.0)     # int = 10, but no rule of 2^-7 resolves it


@pytest.mark.parametrize("a, b, dps", [(1, 0, None), (0, float("inf"), None), ("a", 1, None),
                                       (0, 1, 0), (0, 1, 2.5), (0, 1, True)])
def test_tanh_sinh_bad_input(a, b, dps):
    with pytest.raises(InvalidParameterError):
        tanh_sinh(np.sin, a, b, dps=dps)


def test_one_rule_for_both_backends():
    """The float64 rule and the mpmath levels are the same nodes: level 0 of the mpmath rule
    at 53 bits is the float64 rule with h = 1 (to rounding); the weights integrate 1."""
    sig, tau, w = tanh_sinh_rule(1 / 8, 4.5)
    assert abs(np.sum(w) - 1) < 1e-14
    assert np.all(sig > 0) and np.all(tau > 0) and np.allclose(sig + tau, 1, rtol=0, atol=2.3e-16)
    from freealg.numeric.tanhsinh import _mp_level

    with mpmath.workprec(53):
        lev = _mp_level(0)
    s1, t1, w1 = tanh_sinh_rule(1.0, float(len(lev) // 2))
    assert len(s1) == len(lev)
    # float64 nodes: exp(-pi sinh u) has condition number pi sinh u < 150 for u <= 4, so
    # 150 ulp relative
    for (sg, ta, wt), a, b, c in zip(lev, s1, t1, w1):
        assert abs(float(sg) - a) <= 3.3e-14 * a and abs(float(ta) - b) <= 3.3e-14 * b
        assert abs(float(wt) - c) <= 3.3e-14 * c


# --------------------------------------------------------------------------------------------
# Cauchy transforms of densities through the engine

def _g_uniform(z):
    return (mpmath.log(z + 1) - mpmath.log(z - 1)) / 2


def _dg_uniform(z):
    return (1 / (z + 1) - 1 / (z - 1)) / 2


def _g_arcsine(z):
    return 1 / (mpmath.sqrt(z - 1) * mpmath.sqrt(z + 1))


DENSITIES = {"uniform": (sp.Rational(1, 2) + 0 * X, _g_uniform),
             "arcsine": (1 / (sp.pi * sp.sqrt(1 - X**2)), _g_arcsine)}
POINTS = [2.0 + 0j, 0.3 + 0.5j, 0.3 + 0j, -0.999 + 1e-3j, 1e-8 + 0j, 5j, 0.9999 + 0j]


def _piece(expr, be):
    """The density on [-1, 1] as the laws build it: evaluators of the sympy expression, and
    its edge-local forms (vanishing factors expanded) for the nodes near the ends."""
    return Piece.density(evaluator(expr, X, be), be.mpf(-1), be.mpf(1),
                         dp=evaluator(sp.diff(expr, X), X, be),
                         wL=evaluator(edge_local(expr, X, -1, 1), X, be),
                         wR=evaluator(edge_local(expr, X, 1, -1), X, be))


@pytest.mark.parametrize("name", sorted(DENSITIES))
def test_cauchy_float64(name):
    expr, ref = DENSITIES[name]
    z = np.array(POINTS)
    with np.errstate(all="ignore"):
        G, dG, err = cauchy_transform([_piece(expr, NP)], z, NP, derivative=(name == "uniform"))
    assert G.shape == z.shape and err is None
    with mpmath.workdps(40):
        for zi, g in zip(POINTS, G):
            r = ref(mpmath.mpc(zi.real, zi.imag))
            # the fixed float64 rules are accurate to ~1e-15 relative (module docstring)
            assert abs(g - r) <= 1e-14 * abs(r), (name, zi)
        if name == "uniform":
            for zi, d in zip(POINTS, dG):
                r = _dg_uniform(mpmath.mpc(zi.real, zi.imag))
                assert abs(d - r) <= 1e-6 * abs(r), zi      # G' feeds Newton Jacobians only


@pytest.mark.parametrize("dps", [30, 50])
@pytest.mark.parametrize("name", sorted(DENSITIES))
def test_cauchy_mpmath(name, dps):
    expr, ref = DENSITIES[name]
    with mpmath.workdps(dps + 10):            # the caller's 10 guard digits, as the laws do
        pc = _piece(expr, MP)
        for zi in POINTS:
            G, _, err = cauchy_transform([pc], mpmath.mpc(zi.real, zi.imag), MP)
            with mpmath.workdps(dps + 30):
                r = ref(mpmath.mpc(zi.real, zi.imag))
                assert abs(G - r) <= mpmath.mpf(10) ** -dps * abs(r), (name, zi)
                # the level change reported bounds the error (plus rounding)
                assert abs(G - r) <= err + mpmath.mpf(10) ** -(dps + 5), (name, zi)


def test_integrate_moments():
    """Exact moments: uniform m_2 = 1/3; arcsine m_2 = 1/2, m_4 = 3/8."""
    u, a = DENSITIES["uniform"][0], DENSITIES["arcsine"][0]
    assert abs(integrate([_piece(u, NP)], lambda t: t**2, NP) - 1 / 3) < 1e-14
    assert abs(integrate([_piece(a, NP)], lambda t: t**4, NP) - 3 / 8) < 1e-13
    with mpmath.workdps(40):
        pa = _piece(a, MP)
    m2 = integrate([pa], lambda t: t**2, MP, dps=30)
    with mpmath.workdps(40):
        assert abs(m2 - mpmath.mpf(1) / 2) < mpmath.mpf(10) ** -29


# --------------------------------------------------------------------------------------------
# a Gaussian push-forward with a closed form: Phi(h) is uniform on [0, 1]

PHI = (1 + sp.erf(X / sp.sqrt(2))) / 2


def _phi_maps(be):
    d1, d2 = sp.diff(PHI, X), sp.diff(PHI, X, 2)
    return [(evaluator(PHI, X, be), evaluator(d1, X, be), evaluator(d2, X, be),
             pair_evaluator(PHI, d1, X, be), complex_pair(PHI, d1, X, be))]


def _g_unit_uniform(z):
    return mpmath.log(z) - mpmath.log(z - 1)


def test_pushforward_float64():
    w, dw = gaussian_weight(1.0, 1.0, NP)
    pcs = gaussian_pieces(monotone_spans([(-np.inf, np.inf)], [_phi_maps(NP)[0][1]], 1.0),
                          _phi_maps(NP), w, dw)
    z = np.array([0.5 + 0.5j, 2.0 + 0j, 0.25 + 1e-3j, 0.5 + 0j, 3j])
    with np.errstate(all="ignore"):
        G, _, _ = cauchy_transform(pcs, z, NP)
    with mpmath.workdps(30):
        for zi, g in zip(z, G):
            r = _g_unit_uniform(mpmath.mpc(zi.real, zi.imag))
            # tails cut at Gaussian mass 1e-20; float64 rules ~1e-15 relative, more near the
            # ends where the map compresses the tails
            assert abs(g - r) <= 1e-12 * abs(r), zi


def test_pushforward_mpmath():
    dps = 30
    w, dw = gaussian_weight(1.0, 1.0, NP)
    np_pcs = gaussian_pieces(monotone_spans([(-np.inf, np.inf)], [_phi_maps(NP)[0][1]], 1.0),
                             _phi_maps(NP), w, dw)
    with mpmath.workdps(dps + 10):
        maps = _phi_maps(MP)
        wm, dwm = gaussian_weight(mpmath.mpf(1), mpmath.mpf(1), MP)
        pcs = gaussian_pieces(refine_spans(np_pcs, maps, None, mpmath.mpf(1)), maps, wm, dwm)
        for zi in (0.5 + 0.5j, 2.0 + 0j, 0.25 + 1e-3j, 0.5 + 0j):
            G, _, _ = cauchy_transform(pcs, mpmath.mpc(zi.real, zi.imag), MP)
            with mpmath.workdps(dps + 20):
                r = _g_unit_uniform(mpmath.mpc(zi.real, zi.imag))
                assert abs(G - r) <= mpmath.mpf(10) ** -dps * abs(r), zi
