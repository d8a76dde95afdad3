"""Grid continuation along x in the float64 subordination solver (kernels.continuation).

On a grid of real points only every GRID_STRIDE-th point follows the path from x + iY; the
others start Newton from their solved neighbours and are kept only when certified. Every
value is checked against a closed form from the literature, and against the path for every
point (atoms and hard edges included, where the grid must leave the path's answer alone).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.kernels import continuation as cont

R = sp.Rational


def _grid(law, n=1000, pad=0.05):
    lo, hi = law._hull_float()
    return np.linspace(lo - pad, hi + pad, n)


def _solve(law, x, grid=True):
    return cont.solve_np(law._system(), np.asarray(x, dtype=complex), grid=grid)


def _semicircle_g(z, v):
    # G of the semicircle law of variance v (Wigner):
    # (z - sqrt(z - 2 sqrt v) sqrt(z + 2 sqrt v))/(2v), the branch analytic off
    # [-2 sqrt v, 2 sqrt v]; boundary value from C+
    z = np.asarray(z, dtype=complex) + 0j
    r = 2 * np.sqrt(v)
    zz = np.where(z.imag == 0, z + 1e-300j, z)
    return (zz - np.sqrt(zz - r) * np.sqrt(zz + r)) / (2 * v)


@pytest.mark.parametrize("law, v", [
    (fa.free_additive(fa.semicircle(1), fa.semicircle(2)), 3),   # two unknowns
    (fa.free_additive(fa.semicircle(1), fa.semicircle(1)), 2),   # the reduced equation
])
def test_grid_matches_semicircle_closed_form(law, v):
    # semicircle(a) ⊞ semicircle(b) = semicircle(a + b) (Voiculescu 1986: R-transforms add)
    x = _grid(law)
    w, G, info = _solve(law, x)
    assert not info.failed.any()
    assert info.grid > 0.8 * x.size          # most points were continued along x
    ref = _semicircle_g(x, v)
    assert np.max(np.abs(G - ref)) < 1e-12
    _, G0, _ = _solve(law, x, grid=False)
    assert np.max(np.abs(G - G0)) < 1e-12


def test_grid_unsorted_and_off_axis():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    rng = np.random.default_rng(1)
    x = rng.uniform(-5, 5, 800)
    for eta in (0.0, 1e-3):
        z = x + 1j * eta
        _, G, info = cont.solve_np(law._system(), z)
        assert not info.failed.any()
        assert np.max(np.abs(G - _semicircle_g(z, 3))) < 1e-12


def test_grid_is_not_used_for_small_or_mixed_inputs():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    s = law._system()
    small = np.linspace(-1, 1, cont.GRID_MIN - 1) + 0j
    assert cont._solve_grid(s, small, ratio=0.25, tol=1e-13, maxit=12) is None
    mixed = np.linspace(-1, 1, 2 * cont.GRID_MIN) + 1j * np.linspace(0, 1, 2 * cont.GRID_MIN)
    assert cont._solve_grid(s, mixed, ratio=0.25, tol=1e-13, maxit=12) is None


def test_grid_keeps_atoms_and_hard_edges():
    # bernoulli(1/2) ⊞ bernoulli(1/2) is the arcsine law on [0, 2] (hard edges at 0 and 2,
    # where the density diverges); free_poisson(1/4) ⊞ free_poisson(1/2) = free_poisson(3/4)
    # (rates add, NS Lecture 12), with an atom of mass 1/4 at 0 on a grid point
    arc = fa.free_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 2)))
    fp = fa.free_additive(fa.free_poisson(R(1, 4)), fa.free_poisson(R(1, 2)))
    for law, ref in ((arc, fa.arcsine(0, 2)), (fp, fa.free_poisson(R(3, 4)))):
        x = _grid(law, 1001)
        k = np.argmin(np.abs(x))
        x[k] = 0.0                                          # exactly at the atom / hard edge
        _, G, info = _solve(law, x)
        _, G0, info0 = _solve(law, x, grid=False)
        assert info.grid > 0.5 * x.size and info0.grid == 0
        # the grid never changes which points fail (NaN at a pole or a hard edge) ...
        assert np.array_equal(info.failed, info0.failed)
        # ... G is singular at 0 for both (NaN, or float64 garbage above 1e6: the callers treat
        # atoms apart) ...
        for got in (G, G0):
            assert not np.isfinite(got[k]) or abs(got[k]) > 1e6
        ok = ~info.failed
        ok[k] = False
        assert np.max(np.abs(G[ok] - G0[ok]) / (1 + np.abs(G0[ok]))) < 1e-11
        # ... and agrees with the closed form away from the singular points, where the path
        # (like the grid) is accurate to ~1e-12 relative (G ~ 1/sqrt(x) at a hard edge)
        far = ok & (np.abs(x) > 1e-3) & (np.abs(x - 2) > 1e-3)
        Gr = ref.cauchy(x[far] + 0j, method="formula")
        for got in (G, G0):
            assert np.max(np.abs(got[far] - Gr) / (1 + np.abs(Gr))) < 1e-11


def test_density_through_subordination_on_a_grid_matches_the_closed_form():
    # bernoulli(1/3) ⊠ bernoulli(1/2) is the Wachter law (Wachter 1980; Nica-Speicher 1996:
    # the law of p q p for free projections of traces 1/3, 1/2)
    law = fa.free_multiplicative(fa.bernoulli(R(1, 3)), fa.bernoulli(R(1, 2)))
    x = np.linspace(-0.1, 1.1, 1000)
    d = law.density(x, method="subordination")
    ref = fa.wachter(R(1, 3), R(1, 2)).density(x)
    far = (np.abs(x) > 1e-6) & (np.abs(x - 1) > 1e-6)
    assert np.all(np.isfinite(d[far]))
    assert np.max(np.abs(d[far] - ref[far])) < 1e-11


def test_grid_refuses_systems_without_component_transforms():
    # multiplicative_exponential has one unknown and no component Cauchy transform: nothing
    # certifies a neighbour's root (Newton from a neighbour found a wrong root at Im z = 1e-6
    # next to 0), so the grid leaves it to the path
    law = fa.multiplicative_exponential(1)
    z = np.linspace(-0.1, 5.0, 1000) + 1e-6j
    assert cont._solve_grid(law._system(), z, ratio=0.25, tol=1e-13, maxit=12) is None


@pytest.mark.slow
def test_product_of_ten_layer_laws_follows_one_schedule():
    # the depth-10 tanh Jacobian, a ⊠ of ten distinct layer laws. Far from the support its
    # unknowns are powers of z (m ~ 1/z, W_l ~ z): the linear predictor landed ~2x off after a
    # step ratio of 1/4 and Newton diverged at every point (all of them were re-run on a finer
    # schedule), and points above the axis stalled at the noise of the layers' quadrature G
    import mpmath

    law = fa.nn.MLP(10, "tanh").jacobian_system().law
    r = law._hull_float()[1]
    x = np.linspace(0.02, 0.98, 60) * r
    _, G, info = _solve(law, x)
    assert not info.failed.any() and info.retried == 0
    # the density against the mpmath path (16 digits) at a bulk point
    k = 30
    ref = float(law.density(mpmath.mpf(x[k]), dps=16))
    assert -G[k].imag / np.pi == pytest.approx(ref, rel=1e-10)
