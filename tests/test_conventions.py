"""Pin the conventions of docs/conventions.md (each check is against an exact closed form)."""

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError


def test_cauchy_sign_and_asymptotics():
    # G(z) ~ 1/z at infinity and G maps C+ to C- (docs/conventions.md)
    for law in (fa.semicircle(1), fa.free_poisson(2), fa.bernoulli(sp.Rational(1, 3)),
                fa.free_additive(fa.semicircle(1), fa.free_poisson(1))):
        z = mpmath.mpc(0.3, 1e6)
        G = law.cauchy(z, dps=30)
        assert abs(z * G - 1) < 1e-5
        for zz in (0.1 + 0.2j, -3 + 1e-3j, 5j):
            assert mpmath.im(law.cauchy(zz, dps=20)) < 0


def test_boundary_value_from_upper_half_plane():
    # semicircle(1): G(x + i0) = (x - i sqrt(4 - x^2))/2 for |x| < 2 (Wigner)
    G = fa.semicircle(1).cauchy(1.0, dps=30)
    with mpmath.workdps(40):
        assert abs(G - (1 - 1j * mpmath.sqrt(3)) / 2) < mpmath.mpf(10) ** -29
    # numpy: a negative-zero imaginary part still gives the boundary value from C+
    Gn = fa.semicircle(1).cauchy(np.array([complex(1.0, -0.0)]))
    assert Gn[0].imag < 0
    assert abs(Gn[0] - (1 - 1j * np.sqrt(3)) / 2) < 1e-15


def test_lower_half_plane_is_refused():
    with pytest.raises(InvalidParameterError, match="upper half plane"):
        fa.semicircle(1).cauchy(1 - 1j)
    with pytest.raises(InvalidParameterError, match="upper half plane"):
        fa.semicircle(1).cauchy(np.array([1 - 1j]))


def test_density_excludes_atoms_and_atoms_are_limits():
    # free Poisson rate 1/2: atom 1/2 at 0 (Marchenko-Pastur 1967); i y G(i y) -> 1/2
    law = fa.free_poisson(sp.Rational(1, 2))
    assert law.atoms() == [fa.Atom(0, sp.Rational(1, 2))]
    with mpmath.workdps(40):
        y = mpmath.mpf(10) ** -25
        val = 1j * y * law.cauchy(mpmath.mpc(0, y), dps=40)
        assert abs(val - mpmath.mpf(1) / 2) < 1e-20
    assert law.density(-0.5) == 0.0


def test_r_and_s_transform_conventions():
    w, z = sp.symbols("w z")
    # R(w) = sum kappa_n w^{n-1}: semicircle R = v w; free Poisson R = lam a/(1 - a w)
    assert sp.simplify(fa.semicircle(3).r_transform() - 3 * w) == 0
    assert sp.simplify(fa.free_poisson(2, 3).r_transform() - 6 / (1 - 3 * w)) == 0
    # S(z) = chi(z)(1+z)/z: free Poisson S = 1/(a(z + lam)); projection S = (1+z)/(t+z)
    assert sp.simplify(fa.free_poisson(2).s_transform() - 1 / (z + 2)) == 0
    t = sp.Symbol("t", positive=True)
    assert sp.simplify(fa.bernoulli(t).s_transform() - (1 + z) / (t + z)) == 0
    # the series of S agrees with the moments (exact)
    from freealg.transforms.cumulants import s_transform_coefficients

    coeffs = s_transform_coefficients(fa.free_poisson(2).moments(4))
    series = sp.series(fa.free_poisson(2).s_transform(), z, 0, 4).removeO()
    assert [sp.nsimplify(series.coeff(z, k)) for k in range(4)] == coeffs


def test_marchenko_pastur_normalisation():
    # law of (s/n) X X^T, X p x n, c = p/n: mean s, second moment s^2 (1 + c)
    c, s = sp.Rational(1, 3), 2
    law = fa.marchenko_pastur(c, s)
    assert law.moments(2) == [s, s**2 * (1 + c)]
    assert law == fa.free_poisson(1 / c, c * s)


def test_precision_is_local():
    before = mpmath.mp.dps
    fa.free_additive(fa.semicircle(1), fa.semicircle(1)).density(0.5, dps=50)
    assert mpmath.mp.dps == before
