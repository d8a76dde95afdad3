"""Strategy dispatch, validated method/dps, the return-type rule and per-call diagnostics.

References: the semicircle's Cauchy transform (z - sqrt(z^2 - 4))/2 and the arcsine density
1/(pi sqrt(4 - x^2)) of u + u* (Haar unitary u) are textbook closed forms (Nica-Speicher,
Lectures on the Combinatorics of Free Probability, Lecture 2); semicircle(1) ⊞ semicircle(1) is
the semicircle of variance 2 (R-transforms add, Voiculescu 1986).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.numeric.dispatch import STRATEGIES


def _g_semicircle(z, v=1):
    # G of the semicircle of variance v: (z - sqrt(z^2 - 4v))/(2v), branch ~ 1/z at infinity
    return (z - mpmath.sqrt(z - 2 * mpmath.sqrt(v)) * mpmath.sqrt(z + 2 * mpmath.sqrt(v))) / (2 * v)


LAWS = {
    "catalog": fa.semicircle(1),
    "composite": fa.free_additive(fa.semicircle(1), fa.semicircle(1)),
    "compression": fa.free_compression(fa.semicircle(1), sp.Rational(1, 2)),
}


@pytest.mark.parametrize("name", sorted(LAWS))
@pytest.mark.parametrize("quantity", ["cauchy", "density"])
def test_unknown_method_lists_the_known_ones(name, quantity):
    law = LAWS[name]
    arg = 1j if quantity == "cauchy" else 0.5
    with pytest.raises(fa.InvalidParameterError) as info:
        getattr(law, quantity)(arg, method="nonsense")
    for known in STRATEGIES[quantity]:
        assert repr(known) in str(info.value)


def test_inapplicable_method_names_the_applicable_ones():
    with pytest.raises(fa.InvalidParameterError, match="'formula'"):
        fa.semicircle(1).cauchy(1j, method="path")
    with pytest.raises(fa.InvalidParameterError, match="'subordination'"):
        LAWS["composite"].cauchy(1j, method="quadrature")


@pytest.mark.parametrize("bad", [0, -3, 2.5, "30", True, 10**6])
def test_bad_dps(bad):
    for call in (lambda: fa.semicircle(1).cauchy(1j, dps=bad),
                 lambda: fa.semicircle(1).density(0.5, dps=bad)):
        with pytest.raises(fa.InvalidParameterError, match="dps"):
            call()


@pytest.mark.parametrize("bad", ["0.5 + x", "1e", True, None, float("nan"), float("inf"),
                                 [0.1, "a"], np.array([0.1, np.nan]), sp.Symbol("a"), 1 + 2j])
def test_bad_points_for_density(bad):
    with pytest.raises(fa.InvalidParameterError):
        LAWS["composite"].density(bad)


def test_bad_points_for_cauchy():
    with pytest.raises(fa.InvalidParameterError, match="upper half plane"):
        fa.semicircle(1).cauchy(-1j)
    with pytest.raises(fa.InvalidParameterError):
        fa.semicircle(1).cauchy("1j")
    with pytest.raises(fa.InvalidParameterError):
        fa.semicircle(1).cauchy("__import__('os')")


def test_return_types_scalar_list_array():
    law = LAWS["composite"]
    for x in (0.5, 1, np.float64(0.5), mpmath.mpf("0.5"), sp.Rational(1, 2)):
        assert isinstance(law.density(x), mpmath.mpf)
    assert isinstance(law.cauchy(1j), mpmath.mpc)
    out = law.density([0.1, 0.5])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    out = law.cauchy((1j, 2j))
    assert isinstance(out, np.ndarray) and out.dtype == complex
    # list and array give the same float64 values
    assert np.array_equal(law.density([0.1, 0.5]), law.density(np.array([0.1, 0.5])))


def test_scalar_results_carry_the_requested_digits():
    # semicircle(1) ⊞ semicircle(1) = semicircle(2): G at 1 + i against the closed form
    law = LAWS["composite"]
    z = mpmath.mpc(1, 1)
    for dps in (20, 45):
        with mpmath.workdps(dps + 20):
            ref = _g_semicircle(mpmath.mpc(1, 1), 2)
        g = law.cauchy(z, dps=dps)
        assert abs(g - ref) < mpmath.mpf(10) ** (-(dps - 2))


def test_solution_scalars_use_the_solution_dps():
    # the arcsine law of u + u*: 1/(pi sqrt(4 - x^2)); mpf input used to raise TypeError
    u = fa.haar_unitary("u")
    sol = fa.spectrum(u + u.H, dps=40)
    d = sol.density(mpmath.mpf("0.5"))
    with mpmath.workdps(60):
        ref = 1 / (mpmath.pi * mpmath.sqrt(4 - mpmath.mpf("0.25")))
    assert isinstance(d, mpmath.mpf)
    assert abs(d - ref) < mpmath.mpf(10) ** -38


def test_solution_edges_and_support_take_dps():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x + y, dps=20)
    e = sol.edges(dps=40)[-1]
    with mpmath.workdps(60):
        ref = 2 * mpmath.sqrt(2)
    assert abs(e.location - ref) < mpmath.mpf(10) ** -38
    band = sol.support(dps=40)[0]
    assert abs(band.hi - ref) < mpmath.mpf(10) ** -38
    with pytest.raises(fa.InvalidParameterError):
        sol.edges(dps=0)


def test_full_output_diagnostics():
    law = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))    # no closed form
    g0, d0 = law.cauchy(mpmath.mpc(0.5, 0.25), dps=30, full_output=True)
    assert d0.strategy == "curve"                                    # a cubic curve
    g, d = law.cauchy(mpmath.mpc(0.5, 0.25), dps=30, method="subordination", full_output=True)
    assert abs(g - g0) < 1e-28
    assert d.strategy == "subordination" and d.dps == 30 and d.quantity == "cauchy"
    assert d.residual is not None and d.residual < 1e-30 and d.iterations > 0
    gp, dp = law.cauchy(mpmath.mpc(0.5, 0.25), dps=30, method="path", full_output=True)
    assert dp.strategy == "path" and abs(gp - g) < 1e-28
    _, dn = law.density(np.linspace(-1, 1, 5), method="subordination", full_output=True)
    assert dn.dps is None and dn.residual is not None and dn.residual < 1e-10
    _, df = fa.semicircle(1).cauchy(1j, full_output=True)
    assert df.strategy == "formula" and df.residual is None


def test_diagnostics_belong_to_the_solution_not_the_law():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    s1, s2 = fa.spectrum(x + y), fa.spectrum(x + y)
    assert s1.law == s2.law
    s1.cauchy(1j)
    s2.density(np.array([0.0, 0.5]))
    d1, d2 = s1.diagnostics, s2.diagnostics
    assert set(d1["calls"]) == {"cauchy"} and d1["mp"] is not None and d1["float64"] is None
    assert set(d2["calls"]) == {"density"} and d2["mp"] is None and d2["float64"] is not None


def test_method_passes_through_nested_laws():
    # the compression delegates to its inner tree: its strategies are the inner ones
    law = LAWS["compression"]
    a = law.cauchy(mpmath.mpc(0.3, 0.5), method="path")
    b = law.cauchy(mpmath.mpc(0.3, 0.5), method="polish")
    assert abs(a - b) < 1e-28


def test_closed_forms_are_used_automatically():
    # semicircle(1) ⊞ semicircle(1) = semicircle(2) (R-transforms add, Voiculescu 1986)
    law = LAWS["composite"]
    assert law.simplify() == fa.semicircle(2)
    d, diag = law.density("0.7", dps=30, full_output=True)
    assert diag.strategy == "formula"
    with mpmath.workdps(50):
        ref = mpmath.sqrt(8 - mpmath.mpf("0.7") ** 2) / (4 * mpmath.pi)
    assert abs(d - ref) < 1e-29
    sub = law.density("0.7", dps=30, method="subordination")
    assert abs(sub - ref) < 1e-28
    # exact edges on request, the numeric search by default
    exact = law.edges(method="formula")
    assert [e.location for e in exact] == [-2 * sp.sqrt(2), 2 * sp.sqrt(2)]
    assert isinstance(law.edges()[0].location, mpmath.mpf)


def test_s_transform_strategy_relu_jacobian_depth_1000():
    # J J^T of a ReLU network with orthogonal weights at sigma_w^2 = 2: S = ((1+m)/(1/2+m))^L
    # times 2^-L..., right edge L^L/(L-1)^(L-1) (Pennington-Schoenholz-Ganguli 2018; the
    # Fuss-Catalan edge)
    import time
    L = 1000
    sol = fa.nn.MLP(L, "relu", weights="orthogonal").jacobian_spectrum()
    t0 = time.perf_counter()
    edges = sol.edges()
    took = time.perf_counter() - t0
    with mpmath.workdps(40):
        ref = mpmath.mpf(L) ** L / mpmath.mpf(L - 1) ** (L - 1)
    assert abs(edges[-1].location / ref - 1) < 1e-9
    assert abs(edges[-1].location - ref) <= edges[-1].error + mpmath.mpf(10) ** -25 * ref
    assert took < 10


def test_s_transform_strategy_nested_gaussian_jacobian():
    # J = D4 W4 ... D1 W1, D projections of trace 3/4, W = sqrt(4/3) circular: the compiled
    # tree of compressions and ⊠ has one S-transform; the engine and the subordination solver
    # of the same tree must agree, and the engine is fast at dps=30
    import time
    t, s = sp.Rational(3, 4), sp.sqrt(sp.Rational(4, 3))
    J = None
    for l in range(4):
        D, W = fa.projection(f"d{l}", t), s * fa.circular(f"c{l}")
        J = D * W if J is None else D * W * J
    sol = fa.spectrum(J * J.H, dps=30)
    d, diag = sol.law.density(0.5, dps=30, full_output=True)
    assert diag.strategy == "s_transform"
    ref = sol.law.density(0.5, dps=30, method="subordination")
    assert abs(d - ref) < 1e-25
    t0 = time.perf_counter()
    for x in (0.3, 1.1, 2.0):
        sol.density(x)
    assert (time.perf_counter() - t0) / 3 < 0.5


def test_affine_image_of_an_affine_image():
    # regression: -(2X + 1) + 3 raised NotImplementedError (the inner affine map had no G of
    # its own to reflect). X ~ semicircle(1): -(2X + 1) + 3 = 2 - 2X ~ semicircle(4, mean 2)
    law = fa.affine(fa.affine(fa.semicircle(1), 2, 1), -1, 3)
    ref = fa.semicircle(4, 2)
    x = np.linspace(-1.9, 5.9, 9)
    assert np.allclose(law.density(x), ref.density(x), rtol=1e-13, atol=1e-15)
    for v in ("-1.3", "0.4", "3.7"):
        assert abs(law.density(v, dps=30) - ref.density(v, dps=30)) < 1e-28
    g = law.cauchy(mpmath.mpc("0.3", "0.2"), dps=30)
    assert abs(g - ref.cauchy(mpmath.mpc("0.3", "0.2"), dps=30)) < 1e-28


def test_negative_affine_image_of_a_mixture_without_unknowns():
    # regression: a < 0 on a mixture of leaves (no unknowns, no closed-form G of its own) raised
    # NotImplementedError, then recursed; the residual ELU layer sym(alpha D') is such a law.
    # -2 Y for Y = (delta_1 + semicircle(1))/2 is (delta_-2 + semicircle(4))/2
    half = sp.Rational(1, 2)
    mix = fa.mixture([fa.dirac(1), fa.semicircle(1)], [half, half])
    law = fa.affine(mix, -2)
    ref = fa.mixture([fa.dirac(-2), fa.semicircle(4)], [half, half])
    for z in (mpmath.mpc("0.3", "0.2"), mpmath.mpc("-2.5", "0.01"), mpmath.mpc(0, 5)):
        assert abs(law.cauchy(z, dps=30) - ref.cauchy(z, dps=30)) < 1e-28
    zs = np.array([0.3 + 0.2j, -2.5 + 0.01j, 1e3j])
    assert np.allclose(law.cauchy(zs), ref.cauchy(zs), rtol=1e-13)
    # a sum with it (unknowns): the density of -2 Y ⊞ semicircle against the same with ref
    x = np.linspace(-4, 3, 7)
    assert np.allclose(fa.free_additive(law, fa.semicircle(1)).density(x),
                       fa.free_additive(ref, fa.semicircle(1)).density(x), rtol=1e-10,
                       atol=1e-13)
