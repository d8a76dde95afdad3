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
