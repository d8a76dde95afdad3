"""The engine modules behind the leaf laws (issue 12 item 3): closed forms written once for both
back ends (``numeric/leaf.py``), the constant-recursion engine (``numeric/jacobi.py``), and the
quadrature models of laws given by a function (``numeric/fnlaw.py``, ``numeric/pushforward.py``).

Every reference is independent of the code under test: closed forms from the literature (cited),
exact Gaussian moments, or mpmath evaluated at far higher precision.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from freealg.errors import InvalidParameterError, UndeterminedError
from freealg.kernels.backend import MP, NP
from freealg.numeric.fnlaw import X, DensityModel, canonical_function
from freealg.numeric.jacobi import jacobi_atoms, jacobi_density, jacobi_gh, jacobi_params
from freealg.numeric.leaf import atom_sum, on, rsqrt, to_backend, where
from freealg.numeric.pushforward import PushforwardModel, gauss_mass, gauss_poly_moments, plan


def _num(q, be):
    return to_backend(q, be)


# ---------------------------------------------------------------------------------------------
# numeric/leaf.py


@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 300])
def test_atom_sum_every_path_against_mpmath(n):
    # the term-by-term path (<= 16 atoms, mpmath <= 2), the chunked numpy path and mpmath's
    # fsum all agree with a 50-digit sum of w_i/(z - a_i)^p
    rng = np.random.default_rng(n)
    a = rng.uniform(-2, 3, n)
    w = rng.uniform(0.1, 1, n)
    w /= w.sum()
    z = np.array([0.3 + 0.2j, -1.7 + 1e-3j, 4.0 + 0j, 0.5 + 5j])
    for power in (1, 2):
        got = atom_sum(z, a, w, power, NP)
        with mpmath.workdps(50):
            ref = [mpmath.fsum(mpmath.mpf(wi) / (mpmath.mpc(zz) - mpmath.mpf(ai)) ** power
                               for ai, wi in zip(a, w)) for zz in z]
            for g, r in zip(got, ref):
                assert abs(g - complex(r)) <= 1e-12 * (1 + abs(r))
            with mpmath.workdps(30):
                am, wm = [mpmath.mpf(v) for v in a], [mpmath.mpf(v) for v in w]
                for zz, r in zip(z, ref):
                    got_mp = atom_sum(mpmath.mpc(zz), am, wm, power, MP)
                    assert abs(got_mp - r) < 1e-26 * (1 + abs(r))


def test_on_and_where_evaluate_only_the_chosen_branch_in_mpmath():
    # mpmath raises on 1/0: the branch not taken must not run
    with mpmath.workdps(20):
        zero = mpmath.mpf(0)
        assert where(zero == 0, lambda: mpmath.mpf(7), lambda: 1 / zero, MP) == 7
        assert on(zero > 0, lambda t: 1 / t, zero, MP) == 0
    # numpy: both branches, warnings silenced, the chosen values kept elementwise
    x = np.array([0.0, 2.0, 4.0])
    with np.errstate(all="raise"):
        assert np.array_equal(where(x == 0, lambda: 1 + 0 * x, lambda: 1 / x, NP),
                              [1.0, 0.5, 0.25])
        assert np.array_equal(on(x > 1, lambda t: 1 / t, x, NP), [0.0, 0.5, 0.25])


def test_rsqrt_and_to_backend():
    assert np.array_equal(rsqrt(np.array([-1e-300, 0.0, 2.25]), NP), [0.0, 0.0, 1.5])
    with mpmath.workdps(40):
        v = to_backend(sp.sqrt(2), MP)
        assert abs(v ** 2 - 2) < mpmath.mpf(10) ** -45      # 20 guard bits beyond dps 40
    with pytest.raises(UndeterminedError):
        to_backend(sp.Symbol("v") + 1, NP)


# ---------------------------------------------------------------------------------------------
# numeric/jacobi.py: Kesten-McKay law of degree d, recursion (0, d, 0, d - 1)


def _km_density(d, x):
    # Kesten (1959), McKay (1981): d sqrt(4(d - 1) - x^2)/(2 pi (d^2 - x^2)) on |x| < 2 sqrt(d-1)
    q = 4 * (d - 1) - x * x
    return d * mpmath.sqrt(q) / (2 * mpmath.pi * (d * d - x * x)) if q > 0 else mpmath.mpf(0)


@pytest.mark.parametrize("d", [3, sp.Rational(3, 2)])
def test_jacobi_density_and_g_against_kesten_mckay(d):
    pars = (0, d, 0, d - 1)
    xs = [0.0, 0.7, -1.3, 1.4, 2.5]
    got = jacobi_density(jacobi_params(*pars, NP, _num), np.array(xs), NP)
    with mpmath.workdps(40):
        dm = mpmath.mpf(sp.Rational(d).p) / sp.Rational(d).q
        ref = [_km_density(dm, mpmath.mpf(x)) for x in xs]
        assert np.max(np.abs(got - np.array([float(r) for r in ref]))) < 1e-14
        mp_pars = jacobi_params(*pars, MP, _num)
        for x, r in zip(xs, ref):
            assert abs(jacobi_density(mp_pars, mpmath.mpf(x), MP) - r) < 1e-35
        # G off the axis against the Cauchy integral of the density (plus the atoms at +-d of
        # mass 1 - d/2 when d < 2)
        z = mpmath.mpc("0.4", "0.9")
        r2 = 2 * mpmath.sqrt(dm - 1)
        G_ref = mpmath.quad(lambda t: _km_density(dm, t) / (z - t), [-r2, 0, r2])
        if dm < 2:
            G_ref += (1 - dm / 2) * (1 / (z - dm) + 1 / (z + dm))
        assert abs(jacobi_gh(mp_pars, z, MP)[0] - G_ref) < 1e-30


def test_jacobi_atoms_kesten_mckay():
    # for 1 < d < 2 the Kesten-McKay law has atoms at -+d of mass 1 - d/2 (Kesten 1959)
    d = sp.Rational(3, 2)
    assert [(at.location, at.mass) for at in jacobi_atoms(0, d, 0, d - 1)] == \
        [(-d, 1 - d / 2), (d, 1 - d / 2)]
    assert jacobi_atoms(0, 3, 0, 2) == []


# ---------------------------------------------------------------------------------------------
# numeric/fnlaw.py and numeric/pushforward.py


def test_density_model_exact_and_numeric():
    # Beta(2, 2) on [0, 1], pdf 6 t (1 - t): m_k = 6/((k + 2)(k + 3)); G(z) at z = 2:
    # int_0^1 6 t (1 - t)/(2 - t) dt = 9 - 12 log 2 (u = 2 - t: 6 int_1^2 (3 - u - 2/u) du)
    m = DensityModel(sp.Lambda(X, 6 * X * (1 - X)), sp.S(0), sp.S(1), (), "pdf", "law", [])
    m.validate()
    assert [m.moment(k) for k in (1, 2, 3)] == [sp.Rational(6, (k + 2) * (k + 3))
                                                for k in (1, 2, 3)]
    assert [e.kind for e in m.edges()] == ["soft", "soft"]
    with mpmath.workdps(30):
        G, _ = m.gdg(mpmath.mpc(2), MP, False)
        assert abs(G - (9 - 12 * mpmath.log(2))) < 1e-26
    bad = DensityModel(sp.Lambda(X, 3 * X), sp.S(0), sp.S(1), (), "3x", "law", [])
    with pytest.raises(InvalidParameterError, match="integrate to 1"):
        bad.validate()


def test_pushforward_model_exact_moments_and_support():
    # f = min(1, |h|), h ~ N(0, 1): an atom at 1 of mass P(|h| > 1) = 1 - erf(1/sqrt 2) and the
    # continuous part |h| on (-1, 1);
    # E[|h|^2 ; |h| < 1] = erf(1/sqrt 2) - sqrt(2/pi) e^{-1/2} (integration by parts)
    _, lam = canonical_function(sp.Min(1, sp.Abs(sp.Symbol("h"))), "f")
    pl = plan(lam, sp.S(1))
    mass1 = 1 - sp.erf(1 / sp.sqrt(2))
    assert [(loc, sp.simplify(ms - mass1)) for loc, ms in pl.atoms] == [(1, 0)]
    model = PushforwardModel(lam, sp.S(1), "law")
    m2 = (sp.erf(1 / sp.sqrt(2)) - sp.sqrt(2 / sp.pi) * sp.exp(-sp.S.Half)) / pl.wc
    assert sp.simplify(model.moment(2) - m2) == 0
    assert model.support()[0].lo == 0 and model.support()[0].hi == 1


def test_gaussian_moments_against_double_factorials():
    # E h^(2k) = q^k (2k - 1)!! over the line; half-line masses 1/2
    q = sp.Rational(3, 2)
    gm = gauss_poly_moments(-sp.oo, sp.oo, q, 6)
    assert gm == [1, 0, q, 0, 3 * q**2, 0, 15 * q**3]
    assert gauss_mass(0, sp.oo, q) == sp.S.Half
