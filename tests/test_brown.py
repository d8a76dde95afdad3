"""Brown measures by hermitization (issue 14): fa.brown_measure.

References:
* circular: the uniform law on the unit disc (Brown 1986; Haagerup-Larsen 2000, J. Funct. Anal.
  176, Example 5.5; the limit of Ginibre's eigenvalues);
* R-diagonal elements: mu(|z| <= r) = t where r = S_{T^*T}(t - 1)^{-1/2}, supported on the
  annulus ||T^{-1}||_2^{-1} <= |z| <= ||T||_2 (Haagerup-Larsen 2000, Thm 4.4 and Prop 4.6);
  for c1 c2, S = (1 + z)^{-2}: mu(|z| <= r) = r, density 1/(2 pi r);
* x + i y with free semicirculars of variances a, b: uniform on the ellipse with semi-axes
  2a/sqrt(a + b), 2b/sqrt(a + b) (the elliptic law; Biane-Lehner 2001, Colloq. Math. 90);
* u + c and c1 c2 + x (no closed form): eigenvalues of N = 1000 non-normal random matrices.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.reduce.brown import hermitization

PI = np.pi


@pytest.fixture(scope="module")
def circ():
    return fa.brown_measure(fa.circular("c"))


@pytest.fixture(scope="module")
def c1c2():
    return fa.brown_measure(fa.circular("c1") * fa.circular("c2"))


# -- closed forms --------------------------------------------------------------------------


def test_circular_is_uniform_on_the_unit_disc(circ):
    z = np.array([0, 0.3, 0.5 + 0.5j, -0.9j, 0.99, -0.7 + 0.7j, 1.01, 1.5j, -2 + 1j, 3])
    inside = np.abs(z) < 1
    d, err = circ.density(z, error=True)
    exact = np.where(inside, 1 / PI, 0.0)                 # Haagerup-Larsen 2000, Ex. 5.5
    assert np.max(np.abs(d - exact)) < 1e-10
    assert np.all(np.abs(d - exact) <= err + 1e-15)       # the reported error bounds the error
    # the hermitization itself: G_11 = -i sqrt(1 - |z|^2) inside, 0 outside; G_21 = conj z
    # inside, 1/z outside (solve the 2 x 2 equation G = (-b0 - diag(G_22, G_11))^{-1} by hand)
    G = circ.hermitized(z)
    g11 = np.where(inside, -1j * np.sqrt(np.maximum(1 - np.abs(z) ** 2, 0)), 0)
    g21 = np.where(inside, np.conj(z), 1 / np.where(z == 0, 1, z))
    assert np.max(np.abs(G[:, 0, 0] - g11)) < 1e-12
    assert np.max(np.abs(G[:, 1, 0] - g21)) < 1e-12
    assert np.max(np.abs(G[:, 1, 1] - G[:, 0, 0])) < 1e-12      # the gauge tau f(XX*) = tau f(X*X)
    assert d.shape == z.shape and circ.density(z.reshape(2, 5)).shape == (2, 5)


def test_circular_at_high_precision(circ):
    val, err = circ.density(mpmath.mpc("0.3", "0.4"), dps=30, error=True)
    with mpmath.workdps(30):
        assert abs(val - 1 / mpmath.pi) < mpmath.mpf(10) ** -28
        assert err < mpmath.mpf(10) ** -25
    # outside the disc the density is 0: to rounding at 30 digits, and within its error
    out, out_err = circ.density(2.5, dps=30, error=True)
    assert 0 <= out <= out_err < mpmath.mpf(10) ** -30


def test_circular_of_variance_four_and_shifted():
    # c of variance 4 is 2 c: uniform on the disc of radius 2, density 1/(4 pi); 2 c + 1 + i
    # is that disc moved to 1 + i (a change of variables)
    bm = fa.brown_measure(fa.circular("c", 4) + 1 + sp.I)
    z = 1 + 1j + np.array([0.5, 1.9j, -1.5 + 1j, 2.1, -2.5j])
    d = bm.density(z)
    assert np.max(np.abs(d - np.where(np.abs(z - 1 - 1j) < 2, 1 / (4 * PI), 0))) < 1e-10
    assert abs(bm.center - (1 + 1j)) < 1e-15


def test_product_of_two_circulars_is_haagerup_larsen(c1c2):
    r = np.array([0.2, 0.5, 0.9])
    z = r * np.exp(1j * np.array([0.3, 2.0, -1.2]))
    d, err = c1c2.density(z, error=True)
    exact = 1 / (2 * PI * r)                              # Haagerup-Larsen: mu(|z| <= r) = r
    assert np.max(np.abs(d - exact)) < 1e-10
    assert np.all(np.abs(d - exact) <= err + 1e-15)
    assert np.max(np.abs(c1c2.density(np.array([1.2, -2j])))) < 1e-15
    assert c1c2.rotation_invariant
    assert np.max(np.abs(c1c2.radial_cdf(np.array([0.1, 0.4, 0.8, 1.5])) -
                         np.array([0.1, 0.4, 0.8, 1.0]))) < 1e-10
    # not using the rotation shortcut: the trapezoidal rule on the circle about 0.2
    assert abs(c1c2.radial_cdf(0.5, center=0.0 + 0j) - 0.5) < 1e-10


def test_product_of_two_circulars_at_high_precision(c1c2):
    z = mpmath.mpc(0.375, 0.5)                            # |z| = 5/8, binary exact
    val, err = c1c2.density(z, dps=25, error=True)
    with mpmath.workdps(25):
        exact = 1 / (2 * mpmath.pi * mpmath.mpf(5) / 8)
        assert abs(val - exact) < mpmath.mpf(10) ** -23 and abs(val - exact) <= err


def test_elliptic_law():
    # x + c = (x + s_1/sqrt 2) + i s_2/sqrt 2: a + i b with variances 3/2 and 1/2, uniform on
    # the ellipse with semi-axes 3/sqrt 2 and 1/sqrt 2 (Biane-Lehner 2001), density 2/(3 pi)
    bm = fa.brown_measure(fa.semicircular("x") + fa.circular("c"))
    assert not bm.rotation_invariant
    A, B = 3 / math.sqrt(2), 1 / math.sqrt(2)
    z = np.array([0, 1.5, 2.0 + 0.2j, -0.6j, 1 + 0.5j, 2.2, 0.8j, 2 + 0.5j])
    inside = (z.real / A) ** 2 + (z.imag / B) ** 2 < 1
    assert inside.sum() == 5
    d = bm.density(z)
    assert np.max(np.abs(d - np.where(inside, 2 / (3 * PI), 0))) < 1e-10
    s = bm.support(n=8)
    th = np.angle(s.curve)
    radius = 1 / np.sqrt((np.cos(th) / A) ** 2 + (np.sin(th) / B) ** 2)
    assert np.max(np.abs(np.abs(s.curve) - radius)) < 1e-4
    # a rectangle's mass by Stokes: the quarter of the ellipse
    assert abs(bm.mass(0, 3, 0, 1, n=32) - 0.25) < 1e-3


def test_support_annulus(circ, c1c2):
    s = circ.support()
    assert s.rotation_invariant and s.inner == 0 and abs(s.outer - 1) < 1e-6
    assert abs(s.outer - 1) <= s.error                     # the reported error bounds it
    s2 = c1c2.support()
    assert abs(s2.outer - 1) < 1e-6 and abs(s2.outer - 1) <= s2.error   # ||c1 c2||_2 = 1


def test_u_plus_c_support_is_found_near_its_boundary():
    # Haagerup-Larsen: the outer radius of u + c is ||u + c||_2 = sqrt 2. The continuation's
    # final plain Newton at eps = 0 once landed on the branch G_11 = 0 of the points outside
    # at sqrt 2 - 2e-5 (inside), and the radius came out 1.414192 with a reported error 1.7e-8
    bm = fa.brown_measure(fa.haar_unitary("u") + fa.circular("c"))
    r = math.sqrt(2) - np.array([1e-3, 3e-5, 2e-5, 1e-5, 1e-6])
    G11 = np.abs(bm._solve(r.astype(complex))["G"][:, 0, 0])
    # inside, |G_11| is pi times the singular-value density of T - z at 0, ~ sqrt(distance)
    assert np.all(G11 > 0.5 * np.sqrt(math.sqrt(2) - r))
    s = bm.support()
    assert abs(s.outer - math.sqrt(2)) <= s.error < 1e-6 and s.inner == 0
    # control: outside the support G_11 vanishes
    assert np.all(np.abs(bm._solve(np.array([1.5, 2.0]) + 0j)["G"][:, 0, 0]) < 1e-9)


def test_laurent_series_outside_the_spectrum():
    # off the spectrum G_21 = tau((z - T)^{-1}) = sum_n tau(T^n) / z^(n+1): exact moments
    c1, c2, x = fa.circular("c1"), fa.circular("c2"), fa.semicircular("x")
    T = c1 * c2 + x + sp.Rational(1, 2) * c1
    bm = fa.brown_measure(T)
    mom = [sp.Integer(1)] + [fa.trace(T ** n) for n in range(1, 9)]
    z = 40 * np.exp(1j * np.array([0.2, 1.9, 4.0]))
    series = sum(complex(m) / z ** (n + 1) for n, m in enumerate(mom))
    G = bm.hermitized(z)[:, 1, 0]
    assert np.max(np.abs(G - series) / np.abs(series)) < 1e-10   # tail < (6/40)^9


def test_adjoint_gives_the_conjugate_measure():
    # mu_{T^*} is the image of mu_T under z -> conj z; the pencil of T^* is a different one
    c1, c2, x = fa.circular("c1"), fa.circular("c2"), fa.semicircular("x")
    T = c1 * c2 + x
    z = np.array([0.3 + 0.4j, -0.8 + 0.1j, 1.1 - 0.3j])
    a = fa.brown_measure(T).density(z)
    b = fa.brown_measure(T.H).density(np.conj(z))
    assert np.max(np.abs(a - b)) < 1e-10 and np.all(a > 0)


def test_pencil_schur_complement_is_the_hermitization():
    # numeric check with random matrices for the letters: the Schur complement of the pencil
    # on its first two block rows is [[0, T], [T^*, 0]]
    rng = np.random.default_rng(7)
    c1, c2, x, u = (fa.circular("c1"), fa.circular("c2"), fa.semicircular("x"),
                    fa.haar_unitary("u"))
    T = c1 * c2 * x + 2 * u * x - sp.I * c1 + 3
    lin = hermitization(T)
    n = 4
    mats: dict = {}

    def mat(L):
        g = L.gen
        if g not in mats:
            A = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
            mats[g] = A + A.conj().T if g.is_selfadjoint else A
        return mats[g].conj().T if L.star else mats[g]

    def poly(P):
        out = np.zeros((n, n), dtype=complex)
        for w, cf in P.terms:
            M = complex(cf) * np.eye(n)
            for L in w:
                M = M @ mat(L)
            out += M
        return out

    k = lin.k
    big = np.zeros((k * n, k * n), dtype=complex)
    for i in range(k):
        for j in range(k):
            for L, cf in lin.entries[i][j].items():
                big[i * n:(i + 1) * n, j * n:(j + 1) * n] += complex(cf) * (
                    np.eye(n) if L is None else mat(L))
    a, b = big[:2 * n, :2 * n], big[:2 * n, 2 * n:]
    Q = big[2 * n:, 2 * n:]
    S = a - b @ np.linalg.solve(Q, b.conj().T)
    Tm = poly(lin.expr)
    H = np.block([[np.zeros((n, n)), Tm], [Tm.conj().T, np.zeros((n, n))]])
    assert np.max(np.abs(S - H)) < 1e-9 * (1 + np.max(np.abs(H)))


# -- Monte Carlo: N = 1000 non-normal random matrices ---------------------------------------

N = 1000


def _ginibre(rng, n):
    return (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2 * n)


def _haar(rng, n):
    Q, R = np.linalg.qr(_ginibre(rng, n))
    d = np.diag(R)
    return Q * (d / np.abs(d))


@pytest.mark.slow
def test_u_plus_c_against_random_matrices():
    rng = np.random.default_rng(20261203)
    ev = np.linalg.eigvals(_haar(rng, N) + _ginibre(rng, N))
    bm = fa.brown_measure(fa.haar_unitary("u") + fa.circular("c"))
    assert bm.rotation_invariant
    rs = np.linspace(0.1, 1.6, 16)
    F = bm.radial_cdf(rs)
    emp = np.array([(np.abs(ev) <= r).mean() for r in rs])
    # Dvoretzky-Kiefer-Wolfowitz at level 1e-3 for N iid points (eigenvalues repel: their
    # counting statistics fluctuate less than iid ones, so this is conservative)
    tol = math.sqrt(math.log(2 / 1e-3) / (2 * N))
    assert np.max(np.abs(F - emp)) < tol
    # wrong-model control: sqrt(2) c has the same tau(T T^*) = 2 (uniform on the disc of
    # radius sqrt 2)
    assert np.max(np.abs(np.clip(rs ** 2 / 2, 0, 1) - emp)) > 1.5 * tol
    # Haagerup-Larsen: the outer radius is ||u + c||_2 = sqrt(tau((u + c)^*(u + c))) = sqrt 2
    s = bm.support()
    assert abs(s.outer - math.sqrt(2)) < 1e-6 and s.inner == 0


@pytest.mark.slow
def test_product_plus_semicircular_against_random_matrices():
    rng = np.random.default_rng(14)
    A = _ginibre(rng, N)
    X = (A + A.conj().T) / np.sqrt(2)
    ev = np.linalg.eigvals(_ginibre(rng, N) @ _ginibre(rng, N) + X)
    c1, c2, x = fa.circular("c1"), fa.circular("c2"), fa.semicircular("x")
    ex, ey = np.array([-2.6, -1.3, 0, 1.3, 2.6]), np.array([-1.5, -0.5, 0.5, 1.5])
    H = np.histogram2d(ev.real, ev.imag, bins=[ex, ey])[0] / N

    def cells(bm):
        return np.array([[bm.mass(ex[i], ex[i + 1], ey[j], ey[j + 1], n=16)
                          for j in range(len(ey) - 1)] for i in range(len(ex) - 1)])

    M = cells(fa.brown_measure(c1 * c2 + x))
    assert abs(M.sum() - 1) < 1e-3 and abs(H.sum() - 1) < 1e-12
    # per cell: 4 standard deviations of a binomial count of N iid points (conservative for
    # repelling eigenvalues), plus 1/N
    tol = 4 * np.sqrt(M * (1 - M) / N) + 1 / N
    assert np.all(np.abs(M - H) < tol)
    # wrong-model control: c1 c2 + 2 x fails the same test (in several cells)
    W = cells(fa.brown_measure(c1 * c2 + 2 * x))
    assert np.sum(np.abs(W - H) >= tol) >= 4


# -- bad input -----------------------------------------------------------------------------


def test_normal_elements_are_refused():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    with pytest.raises(fa.InvalidParameterError, match="spectrum"):
        fa.brown_measure(x * y + y * x)
    with pytest.raises(fa.InvalidParameterError, match="normal"):
        fa.brown_measure(fa.haar_unitary("u"))
    with pytest.raises(fa.InvalidParameterError, match="normal"):
        fa.brown_measure(2 * fa.haar_unitary("u") ** 2 + 1)


def test_bad_input():
    with pytest.raises(fa.InvalidParameterError):
        fa.brown_measure("c")
    with pytest.raises(fa.ShapeError):
        fa.brown_measure(fa.gaussian("X", shape=(1, 2)))
    with pytest.raises(fa.UndeterminedError):
        fa.brown_measure(sp.Symbol("a") * fa.circular("c"))
    with pytest.raises(fa.InvalidParameterError):
        fa.brown_measure(fa.circular("c"), dps=0)
    bm = fa.brown_measure(fa.circular("c"))
    with pytest.raises(fa.InvalidParameterError):
        bm.radial_cdf(-1.0)
    with pytest.raises(fa.InvalidParameterError):
        bm.mass(1, 0, 0, 1)


def test_semicircular_jacobian_shortcut_matches_the_base_class():
    # HermitizedProblem assembles the Jacobian of a purely semicircular pencil in one product;
    # it must equal Problem's sum over the letters (finite differences of the residual too)
    from freealg.numeric.operator_valued import Problem

    bm = fa.brown_measure(fa.circular("c1") * fa.circular("c2") + fa.semicircular("x"))
    hp = bm.problem.at(np.array([0.3 + 0.2j, -1.0 + 0.5j]))
    rng = np.random.default_rng(3)
    k = hp.k
    X = (rng.standard_normal((2, 1, k, k)) + 1j * rng.standard_normal((2, 1, k, k))) / k
    z, eps = np.array([0.2j, 1 + 0.1j]), np.array([0.3, 0.05])
    R1, J1, _, _ = hp.res_jac_np(X, z, eps)
    R2, J2, _, _ = Problem.res_jac_np(hp, X, z, eps)
    assert np.max(np.abs(R1 - R2)) == 0 and np.max(np.abs(J1 - J2)) < 1e-13
    V = rng.standard_normal(X.shape) + 0j
    h = 1e-6
    fd = (hp.res_jac_np(X + h * V, z, eps, False)[0]
          - hp.res_jac_np(X - h * V, z, eps, False)[0]) / (2 * h)
    assert np.max(np.abs(fd.reshape(2, -1) - (J1 @ V.reshape(2, -1, 1))[..., 0])) < 1e-7


def test_plot(circ, tmp_path):
    pytest.importorskip("matplotlib")
    fig = circ.plot(grid=9, extent=(-1.5, 1.5, -1.5, 1.5))
    assert fig.axes[0].get_title() == "Brown measure of c"
    circ.plot(tmp_path / "brown.png", grid=5)
    assert (tmp_path / "brown.png").stat().st_size > 0


@pytest.mark.parametrize("make", [
    lambda: fa.semicircular("x") + sp.I * fa.projection("p", sp.Rational(1, 2)),   # discrete
    lambda: fa.circular("c") + fa.selfadjoint("a", fa.free_poisson(1)),            # scalar law
])
def test_total_mass_and_mean_by_stokes(make):
    # around a contour enclosing the spectrum (|T| <= bound): (1/2 pi i) oint G_21 = 1 and
    # (1/2 pi i) oint z G_21 = tau(T) (exact: G_21 = tau((z - T)^{-1}) there)
    T = make()
    bm = fa.brown_measure(T)
    R = bm.bound + 1
    t, w = np.polynomial.legendre.leggauss(40)
    th = np.pi * (t + 1)
    z = R * np.exp(1j * th)
    dz = 1j * z * np.pi * w
    G = bm.hermitized(z)[:, 1, 0]
    assert abs(np.sum(G * dz) / (2j * PI) - 1) < 1e-10
    assert abs(np.sum(z * G * dz) / (2j * PI) - complex(fa.trace(T))) < 1e-10
    assert abs(bm.mass(-R, R, -R, R, n=40) - 1) < 1e-10
