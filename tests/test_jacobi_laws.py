"""Laws from Jacobi parameters, Jacobi parameters of laws, and the free Meixner laws (a, b, c).

References: Jacobi parameters of the semicircle (0; 1, 1, ...), of the free Poisson law pi(l)
(alpha_0 = l, alpha_n = l + 1, beta_n = l; Hora-Obata, "Quantum probability and spectral
analysis of graphs", 2007, ch. 1), of the Kesten-McKay law of degree d (0; d, d - 1, d - 1, ...:
Kesten 1959, McKay 1981) and of the arcsine law on [-2, 2] (0; 2, 1, 1, ...: Chebyshev
polynomials of the first kind); Gauss-Christoffel rules (Gautschi, "Orthogonal polynomials:
computation and approximation", 2004, section 1.4); the free Meixner density
c sqrt(4b - (x - a)^2)/(2 pi ((1 - c) x^2 + a c x + b c^2)) (Saitoh-Yoshida, Probab. Math.
Statist. 21, 2001; Anshelevich 2003; Bozejko-Bryc 2006).
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import freealg as fa

R = sp.Rational


def test_jacobi_parameters_of_classical_laws():
    assert fa.jacobi_parameters(fa.semicircle(1), 4) == ([0] * 4, [1] * 4)
    for lam in (2, R(1, 3)):
        assert fa.jacobi_parameters(fa.free_poisson(lam), 4) == ([lam] + [lam + 1] * 3, [lam] * 4)
    assert fa.jacobi_parameters(fa.kesten_mckay(3), 4) == ([0] * 4, [3, 2, 2, 2])
    assert fa.jacobi_parameters(fa.arcsine(-2, 2), 4) == ([0] * 4, [2, 1, 1, 1])
    # a law with three atoms: the sequence stops (beta_3 = 0), three alphas and two betas
    al, be = fa.jacobi_parameters(fa.discrete([0, 1, 3]), 5)
    assert (len(al), len(be)) == (3, 2)
    assert fa.from_jacobi(al, be, tail="finite") == fa.discrete([0, 1, 3])


def test_jacobi_parameters_in_mpmath():
    # float moments: mpmath at dps digits (Kesten-McKay(3), exact values 0; 3, 2, 2)
    mom = [float(m) for m in fa.kesten_mckay(3).moments(8)]
    from freealg.numeric.jacobi_law import chebyshev
    al, be = chebyshev(mom, 4, dps=20)
    assert all(abs(a) < 1e-12 for a in al)
    assert [float(b) for b in be] == pytest.approx([3, 2, 2, 2], rel=1e-12)


@pytest.mark.parametrize("alphas,betas", [
    ([0, 1, -1], [1, 2, R(1, 2)]),
    ([R(1, 2), 0, 2, 1], [3, 1, R(1, 4)]),
    ([1], [2, 1, 3]),
])
def test_from_jacobi_round_trip(alphas, betas):
    mu = fa.from_jacobi(alphas, betas)
    n = 6
    al = list(alphas) + [alphas[-1]] * (n - len(alphas))
    be = list(betas) + [betas[-1]] * (n - len(betas))
    assert fa.jacobi_parameters(mu, n) == (al, be)


def test_from_jacobi_short_sequences_are_free_meixner():
    assert fa.from_jacobi([0], [1]) == fa.free_meixner(0, 1, 0, 1)
    assert fa.from_jacobi([1, 2], [1, 1]) == fa.free_meixner(1, 1, 2, 1)     # free Poisson(1)
    assert fa.from_jacobi([1, 2], [1, 1]).moments(3) == fa.free_poisson(1).moments(3)


def _cf_g(alphas, betas, x):
    """G(x + i0) of the continued fraction with constant tail (mpmath; the tail's semicircle
    transform written out: H = (zeta - sqrt(zeta - r) sqrt(zeta + r))/(2 beta))."""
    alpha, beta = mpmath.mpf(sp.N(alphas[-1], 50)), mpmath.mpf(sp.N(betas[-1], 50))
    zeta = x - alpha
    r = 2 * mpmath.sqrt(beta)
    g = (zeta - mpmath.sqrt(zeta - r) * mpmath.sqrt(zeta + r)) / (2 * beta)
    L = max(len(alphas), len(betas)) - 1
    for k in range(L - 1, -1, -1):
        ak = mpmath.mpf(sp.N(alphas[min(k, len(alphas) - 1)], 50))
        bk = mpmath.mpf(sp.N(betas[min(k, len(betas) - 1)], 50))
        g = 1 / (x - ak - bk * g)
    return g


def test_from_jacobi_density_and_atoms():
    alphas, betas = [0, 4, -3], [1, R(1, 2), R(1, 4)]
    mu = fa.from_jacobi(alphas, betas)
    assert isinstance(mu, fa.JacobiLaw)
    assert [e.location for e in mu.edges()] == [-4, -2]         # -3 -+ 2 sqrt(1/4)
    with mpmath.workdps(50):
        y = mpmath.mpf(10) ** -40
        for x in ("-3.7", "-3", "-2.2"):
            want = -mpmath.im(_cf_g(alphas, betas, mpmath.mpc(x, y))) / mpmath.pi
            assert abs(mu.density(mpmath.mpf(x), dps=30) - want) < 1e-25
        # the atoms carry the mass the band lacks (band integral of the independent density)
        band = mpmath.quad(lambda t: -mpmath.im(_cf_g(alphas, betas, mpmath.mpc(t, y)))
                           / mpmath.pi, [-4, -3, -2])
        atoms = mu.atoms()
        total = sum(mpmath.mpf(sp.N(a.mass, 50)) for a in atoms)
        assert abs(band + total - 1) < 1e-20
        for a in atoms:       # each a pole of the independent continued fraction
            xa = mpmath.mpf(sp.N(a.location, 50))
            res = mpmath.mpc(0, y * 1e10) * _cf_g(alphas, betas, mpmath.mpc(xa, y * 1e10))
            assert abs(res - mpmath.mpf(sp.N(a.mass, 50))) < 1e-20


def test_from_jacobi_finite_is_a_gauss_rule():
    # alphas 0, 1, 0 and betas 1, 2: P_3 = x^3 - x^2 - 3x + 1 = (x + ... ) -- nodes its zeros
    mu = fa.from_jacobi([0, 1, 0], [1, 2], tail="finite")
    x = sp.Symbol("x")
    P3 = sp.expand(x * ((x - 1) * x - 1) - 2 * x)                # P_3 = x P_2 - 2 P_1
    assert sorted(float(a.location) for a in mu.atoms()) == pytest.approx(
        sorted(float(r) for r in sp.Poly(P3, x).all_roots()), abs=1e-14)
    assert sp.simplify(sum(a.mass for a in mu.atoms()) - 1) == 0
    # a p-point Gauss rule integrates x^k exactly for k < 2p: moments of the infinite law agree
    inf = fa.from_jacobi([0, 1, 0], [1, 2, 3])
    got = [sp.simplify(m) for m in mu.moments(5)]
    assert got == inf.moments(5)
    assert fa.jacobi_parameters(mu, 3) == ([0, 1, 0], [1, 2])


@pytest.mark.parametrize("a,b,c", [(1, 1, R(1, 2)), (0, 2, R(3, 2)), (3, 1, 2), (-2, 1, 3)])
def test_free_meixner_abc_density_and_atoms(a, b, c):
    mu = fa.free_meixner(a=a, b=b, c=c)

    def rho(t):
        return c * mpmath.sqrt(4 * b - (t - a) ** 2) / (2 * mpmath.pi * (
            (1 - c) * t**2 + a * c * t + b * c**2))

    lo, hi = a - 2 * mpmath.sqrt(b), a + 2 * mpmath.sqrt(b)
    with mpmath.workdps(40):
        for s in ("0.1", "0.5", "0.93"):
            t = lo + mpmath.mpf(s) * (hi - lo)
            assert abs(mu.density(t, dps=30) - rho(t)) < 1e-25 * max(1, rho(t))
        band = mpmath.re(mpmath.quad(rho, [lo, a, hi]))
    atoms = mu.atoms()
    # atoms exactly when the denominator has a real root on the physical sheet; their mass is
    # what the band lacks
    assert abs(band + sum(float(at.mass) for at in atoms) - 1) < 1e-15
    assert (len(atoms) > 0) == (band < 1 - 1e-12)
    for at in atoms:
        t = sp.N(at.location, 30)
        assert abs((1 - c) * t**2 + a * c * t + b * c**2) < 1e-25


def test_free_meixner_old_signature():
    assert fa.free_meixner(0, 1, 1, 2).moments(4) == [0, 1, 1, 4]
    assert fa.free_meixner() == fa.free_meixner(0, 1, 0, 1)
    assert fa.free_meixner(a=1, b=2, c=3) == fa.free_meixner(0, 6, 1, 2)


@pytest.mark.parametrize("call", [
    lambda: fa.from_jacobi([0], [0]),
    lambda: fa.from_jacobi([0, 1], [1, -2]),
    lambda: fa.from_jacobi([0, 1], [1, 1], tail="finite"),
    lambda: fa.from_jacobi([0], [1], tail="periodic"),
    lambda: fa.from_jacobi([], [1]),
    lambda: fa.from_jacobi("01", [1]),
    lambda: fa.from_jacobi([sp.I], [1]),
    lambda: fa.jacobi_parameters(fa.semicircle(1), 0),
    lambda: fa.jacobi_parameters([1, 2], 2),
    lambda: fa.free_meixner(a=1, b=1, c=0),
    lambda: fa.free_meixner(1, a=1, b=1, c=1),
])
def test_bad_input(call):
    with pytest.raises(fa.InvalidParameterError):
        call()
