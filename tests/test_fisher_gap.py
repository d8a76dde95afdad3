"""A point in the gap of the Fisher spectrum of a ReLU network, where G crosses 0.

H_3 of a critical ReLU network (Hayase-Karakida 2021, arXiv:2006.07814) is 1 + 2 p (1 + 2 q') p
with free projections p, q' of trace 1/2. law(p q' p) = Bernoulli(1/2) ⊠ Bernoulli(1/2) is
an atom 1/2 at 0 plus mass 1/2 of the arcsine law on [0, 1] (Voiculescu 1987: S of
Bernoulli(t) is (1 + m)/(t + m)), so H_3 has an atom 1/2 at 1 and mass 1/2 of the arcsine law
on [3, 7]:

    G(z) = 1/(2 (z - 1)) + 1/(2 sqrt((z - 3)(z - 7))),

the square root ~ z at infinity (negative for real z < 3). At z = 5/2, inside the gap (1, 3),
G = 1/3 - 1/3 = 0 exactly. There the ⊠ subordination system of fa.nn (discrete laws on
{0, 2} and {1, 3}) has 1 + psi = z G = 0 and a subordination point W = 0: its residuals were
0/0 (NoConvergence at dps 30) and its Jacobian is singular (half the digits).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa


def _G(z):
    """The closed form above (real z < 3 or z > 7, or z off the axis)."""
    z = mpmath.mpmathify(z)
    r = mpmath.sqrt((z - 3) * (z - 7))
    if mpmath.re(z) < 3 and mpmath.im(z) == 0:
        r = -r
    return 1 / (2 * (z - 1)) + 1 / (2 * r)


@pytest.fixture(scope="module")
def net_law():
    return fa.nn.MLP(3, "relu").fisher_system().law


def test_gap_point_density_is_zero_at_dps30():
    """The reported case: fa.nn's spectrum at 2.5 (NoConvergence before)."""
    sol = fa.nn.MLP(3, "relu").fisher_spectrum(30)
    d = sol.density(mpmath.mpf("2.5"))
    assert 0 <= d < mpmath.mpf(10) ** -30


def test_cauchy_crosses_zero_in_the_gap(net_law):
    with mpmath.workdps(40):
        for x in ("2.5", "2", "1.5", "2.9"):
            g = net_law.cauchy(mpmath.mpf(x), dps=30)
            ref = _G(mpmath.mpf(x))
            assert abs(g - ref) < mpmath.mpf(10) ** -29 * (1 + abs(ref)), (x, g, ref)
        assert abs(_G(mpmath.mpf("2.5"))) < mpmath.mpf(10) ** -38


def test_float64_density_in_the_gap_and_the_band(net_law):
    x = np.array([1.2, 1.5, 2.0, 2.5, 2.5 + 1e-9, 2.5 - 1e-7, 2.9, 3.5, 5.0, 6.25])
    d = net_law.density(x)
    band = (x > 3) & (x < 7)
    ref = np.where(band, 1 / (2 * np.pi * np.sqrt(np.abs((x - 3) * (7 - x)))), 0.0)
    assert np.all(np.abs(d[~band]) <= 1e-15)          # was 2.3e-8 at 2.5
    assert np.allclose(d[band], ref[band], rtol=1e-12, atol=0)


def test_product_law_alone_at_its_zero():
    """The ⊠ node itself: nu = discrete{0, 2} ⊠ discrete{1, 3} is the law of 2 p (1 + 2 q') p
    = H_3 - 1, so G_nu(x) = G(x + 1): zero at x = 3/2, a gap point; density 0 there."""
    two = [0, 2]
    half = [sp.Rational(1, 2)] * 2
    nu = fa.free_multiplicative(fa.discrete(two, half), fa.discrete([1, 3], half))
    with mpmath.workdps(40):
        g = nu.cauchy(mpmath.mpf("1.5"), dps=30)
        assert abs(g) < mpmath.mpf(10) ** -30
        g1 = nu.cauchy(mpmath.mpf("1"), dps=30)
        assert abs(g1 - _G(2)) < mpmath.mpf(10) ** -29
    assert nu.density(mpmath.mpf("1.5"), dps=30) < mpmath.mpf(10) ** -30


def test_hand_written_subordination_path_at_the_gap_point():
    """The hand-written tree (Bernoulli laws, scaled) through its subordination system rather
    than its closed form: inner law Bernoulli ⊠ (1 + 2 Bernoulli), zero of G at 3/4."""
    b = fa.bernoulli(sp.Rational(1, 2))
    inner = fa.free_multiplicative(b, fa.affine(fa.affine(b, 2, 0), 1, 1))
    g = inner.cauchy(mpmath.mpf("0.75"), dps=30, method="subordination")
    with mpmath.workdps(40):
        assert abs(g) < mpmath.mpf(10) ** -30          # G_inner(x) = 2 G_H(1 + 2 x)
        g2 = inner.cauchy(mpmath.mpf("0.5"), dps=30, method="subordination")
        assert abs(g2 - 2 * _G(2)) < mpmath.mpf(10) ** -29
