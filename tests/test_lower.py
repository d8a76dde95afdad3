"""freealg.numeric.lower: a System lowered to a frozen NumericForm, solved on its own.

References (none of them is freealg output):

* semicircle ⊞ semicircle (variances 1 and 2) is the semicircle of variance 3 (R-transforms
  add, Voiculescu 1986): G(z) = (z - sqrt(z - 2 sqrt 3) sqrt(z + 2 sqrt 3)) / 6.
* c c2 c2* c* with free circulars c, c2 has the law MP(1) ⊠ MP(1), the Fuss-Catalan law
  (moments binom(3n, n)/(2n + 1); Mlotkowski 2010, "Fuss-Catalan numbers in noncommutative
  probability", Documenta Math. 15): with B = z G, B = 1 + B^3/z, so z^2 G^3 - z G + 1 = 0.
  The branch is checked against the moment series at |z| = 20.
* p q p for free projections with tau(p) = 1/2, tau(q) = 1/3 (the compression of a Bernoulli
  law: a Wachter law; Nica-Speicher 2006, Example 14.? / Voiculescu 1987): atom 1 - min = 2/3 at
  0 and density sqrt((l+ - x)(x - l-)) / (2 pi x (1 - x)) on [l-, l+],
  l+- = a + b - 2ab +- sqrt(4ab(1 - a)(1 - b)). Its G is computed here by quadrature of that
  density; the test first checks the density's mass (1/3) and mean (tau(pqp) = ab = 1/6,
  exact moment).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, NoConvergence, UndeterminedError
from freealg.kernels.backend import MP, NP
from freealg.numeric.lower import Leaf, NumericForm, lower
from freealg.reduce.relations import Evaluator

R = sp.Rational
DPS = 30
TOL = mpmath.mpf(10) ** -(DPS - 10)

x = fa.semicircular("x")
y = fa.semicircular("y", 2)
p = fa.projection("p", R(1, 2))
q = fa.projection("q", R(1, 3))
c = fa.circular("c")
c2 = fa.circular("c2")
a = fa.selfadjoint("a", fa.discrete([1, 2, 4], [R(1, 4), R(1, 4), R(1, 2)]))
POINTS = [mpmath.mpc("0.5", "0.01"), mpmath.mpc("-1.3", "0.4"), mpmath.mpc("2.5", "1.5")]


def _G_index(form: NumericForm) -> int:
    return [str(u) for u in form.unknowns].index("G(z)")


# ---------------------------------------------------------------------------------------------
# structure


def test_form_is_frozen_and_cached():
    s = fa.compile(x + y)
    form = s.numeric_form()
    assert s.numeric_form() is form
    with pytest.raises(dataclasses.FrozenInstanceError):
        form.scale = 2.0  # type: ignore[misc]
    assert isinstance(form.unknowns, tuple) and isinstance(form.lowered, tuple)


def test_equations_are_the_displayed_objects():
    # the residual is compiled from the very Eq objects the System displays
    for P in (x + y, p * x * p, c * c2 * c2.H * c.H, 3 * (x + y) - 1):
        s = fa.compile(P)
        form = s.numeric_form()
        assert len(form.equations) == len(s.equations)
        assert all(e is f for e, f in zip(form.equations, s.equations))
        assert len(form.provenance) == len(form.lowered) >= len(form.equations)
        rules = [st.rule for st in s.steps for _ in st.equations]
        assert list(form.provenance[:len(rules)]) == rules


def test_inversion_points_are_unknowns_with_their_equation():
    form = fa.compile(p * x * p).numeric_form()
    assert [str(u) for u in form.unknowns] == ["G(z)", "G_c(z)", "omega_{G_c}(z)"]
    assert form.provenance[-1] == "compression (inversion of R_1 at omega_{G_c}(z))"
    assert form.asymptotics[-1] is None
    form = fa.compile(c * c2 * c2.H * c.H).numeric_form()
    assert {str(u) for u in form.unknowns} == {"G(z)", "W_{G_1}(z)", "W_{G_2}(z)"}


def test_linearization_has_no_form():
    s = fa.compile(x * y + y * x)
    with pytest.raises(UndeterminedError):
        s.numeric_form()
    assert s.residual(mpmath.mpc("0.3", "0.2")) <= TOL     # the term-by-term path


@pytest.mark.parametrize("P", [x + y, p * x * p, c * c2 * c2.H * c.H, p * q * p],
                         ids=["sum", "compression", "product", "pqp"])
def test_residual_is_the_forms_residual(P):
    # System.residual = max over the form's components of |l - r| / max(1, |l|, |r|) at the
    # law tree's unknowns
    s = fa.compile(P)
    form = s.numeric_form()
    z = mpmath.mpc("0.3", "0.2")
    with mpmath.workdps(DPS + 10):
        ev = Evaluator({u.symbol: u for u in s.numeric}, z, DPS)
        vals = [ev.function(u.func, z) for u in form.unknowns]
        lhs, rhs = form.sides(z, vals, MP)
        mine = max(abs(l - r) / max(1, abs(l), abs(r)) for l, r in zip(lhs, rhs))
        # and the form's own solution satisfies the same components
        sol = form.solve(z, dps=DPS)
        lhs2, rhs2 = form.sides(z, sol, MP)
        own = max(abs(l - r) / max(1, abs(l), abs(r)) for l, r in zip(lhs2, rhs2))
    with mpmath.workdps(DPS):
        assert s.residual(z, dps=DPS) == +mine
    assert mine <= TOL and own <= TOL


def test_jacobian_is_the_derivative_of_the_residual():
    # central difference of the residual against the compiled Jacobian (mpmath, 40 digits)
    form = fa.compile(p * x * p).numeric_form()
    with mpmath.workdps(40):
        z = mpmath.mpc("0.4", "0.3")
        u = form.solve(z, dps=40)
        J = form.jacobian(z, u, MP)
        h = mpmath.mpf(10) ** -12
        for j in range(len(u)):
            up = list(u)
            um = list(u)
            up[j] += h
            um[j] -= h
            rp, rm = form.residual(z, up, MP), form.residual(z, um, MP)
            for i in range(len(rp)):
                assert abs((rp[i] - rm[i]) / (2 * h) - J[i][j]) < 1e-18


# ---------------------------------------------------------------------------------------------
# solve against closed forms


def test_semicircle_sum_is_a_semicircle():
    form = fa.compile(x + y).numeric_form()
    i = _G_index(form)
    for z in POINTS:
        with mpmath.workdps(DPS + 10):
            r3 = 2 * mpmath.sqrt(3)
            exact = (z - mpmath.sqrt(z - r3) * mpmath.sqrt(z + r3)) / 6
        G = form.solve(z, dps=DPS)[i]
        assert isinstance(G, mpmath.mpc)
        assert abs(G - exact) <= TOL * max(1, abs(exact)), z


def test_free_poisson_product_is_fuss_catalan():
    s = fa.compile(c * c2 * c2.H * c.H)
    form = s.numeric_form()
    i = _G_index(form)
    for z in POINTS + [mpmath.mpc(20, 20) / mpmath.sqrt(2)]:
        G = form.solve(z, dps=DPS)[i]
        with mpmath.workdps(DPS + 10):
            assert abs(z**2 * G**3 - z * G + 1) <= TOL * max(1, abs(z)) ** 2, z
            assert mpmath.im(G) < 0
    # the branch: at |z| = 20 the moment series sum FC_n / z^(n+1), FC_n = binom(3n, n)/(2n+1)
    # (terms shrink like (27/4 / 20)^n: 80 terms reach 1e-38)
    z = mpmath.mpc(20, 20) / mpmath.sqrt(2)
    with mpmath.workdps(DPS + 10):
        series = mpmath.fsum(mpmath.binomial(3 * n, n) / (2 * n + 1) / z ** (n + 1)
                             for n in range(80))
    assert abs(form.solve(z, dps=DPS)[i] - series) <= TOL


def test_compression_of_bernoulli_is_wachter():
    with mpmath.workdps(25):
        al, be = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3
        root = mpmath.sqrt(4 * al * be * (1 - al) * (1 - be))
        lo, hi = al + be - 2 * al * be - root, al + be - 2 * al * be + root

        def dens(t):
            return mpmath.sqrt((hi - t) * (t - lo)) / (2 * mpmath.pi * t * (1 - t))

        atom = 1 - min(al, be)
        # the reference law: total mass 1 and mean tau(pqp) = tau(p) tau(q) = 1/6 (exact)
        assert abs(atom + mpmath.quad(dens, [lo, hi]) - 1) < 1e-20
        assert abs(mpmath.quad(lambda t: t * dens(t), [lo, hi]) - al * be) < 1e-20
    form = fa.compile(p * q * p).numeric_form()
    i = _G_index(form)
    for z in (mpmath.mpc("0.3", "0.5"), mpmath.mpc("0.7", "0.2"), mpmath.mpc("-0.5", "1")):
        with mpmath.workdps(25):
            exact = atom / z + mpmath.quad(lambda t, z=z: dens(t) / (z - t), [lo, hi])
        G = form.solve(z, dps=DPS)[i]
        assert abs(G - exact) < 1e-18, z


@pytest.mark.parametrize("P", [x + y, p * x * p, c * c2 * c2.H * c.H, a + x],
                         ids=["sum", "compression", "product", "discrete+semicircle"])
def test_float64_agrees_with_mpmath(P):
    form = fa.compile(P).numeric_form()
    zs = np.array([complex(z) for z in POINTS])
    u64 = form.solve(zs)
    assert all(isinstance(v, np.ndarray) and v.shape == zs.shape for v in u64)
    for k, z in enumerate(zs):
        ump = form.solve(z, dps=DPS)
        for v64, vmp in zip(u64, ump):
            assert abs(v64[k] - complex(vmp)) <= 1e-11 * max(1, abs(vmp))
    assert isinstance(form.solve(zs[0])[0], complex)


def test_solve_matches_the_law_tree():
    # the strategy requirement: G from the equations equals the law tree's G to 10^-(dps-10)
    for P in (x + y, a + x, p * x * p, p * a * p, x * p * x, c * c2 * c2.H * c.H):
        s = fa.compile(P)
        form = s.numeric_form()
        z = mpmath.mpc("0.35", "0.05")
        assert abs(form.solve(z, dps=DPS)[_G_index(form)] - s.law.cauchy(z, dps=DPS)) <= TOL


# ---------------------------------------------------------------------------------------------
# lower() on its own, and bad input


def _rel(eq):
    return SimpleNamespace(eq=eq, at=(), hints=(), numeric=True)


def test_lower_duck_typed():
    # dirac(1) ⊞ dirac(1) = dirac(2): G_1(w) = 1/(w - 1), omega = z - 1 (subordination)
    z = sp.Symbol("z")
    G, G1, om = sp.Function("G"), sp.Function("G_1"), sp.Function("omega")
    leaf = Leaf(G1, lambda w, be: 1 / (w - 1), lambda w, be: -1 / (w - 1) ** 2)
    form = lower([("sum", _rel(sp.Eq(G(z), G1(om(z))))),
                  ("sum", _rel(sp.Eq(2 * om(z), z + 1 / G(z))))],
                 z=z, leaves={G1: leaf}, asymptotics={G: 1 / z, om: z})
    for zz in (0.5 + 0.01j, 3 - 0.0j + 2j):
        Gv, w = form.solve(zz, dps=20)
        with mpmath.workdps(30):
            zm = mpmath.mpc(zz)
            assert abs(Gv - 1 / (zm - 2)) < 1e-18 and abs(w - (zm - 1)) < 1e-18
    with pytest.raises(UndeterminedError):       # G_1 applied off z with no callable
        lower([("sum", _rel(sp.Eq(G(z), G1(om(z)))))], z=z, leaves={})
    with pytest.raises(UndeterminedError):       # a symbolic parameter
        lower([("x", _rel(sp.Eq(G(z), sp.Symbol("t") / z)))], z=z, leaves={})
    with pytest.raises(UndeterminedError):       # an identity between operators
        lower([("x", SimpleNamespace(eq=sp.Eq(G(z), 1 / z), at=(), hints=(), numeric=False))],
              z=z, leaves={})


def test_no_solution_raises_no_convergence():
    z = sp.Symbol("z")
    G = sp.Function("G")
    form = lower([("none", _rel(sp.Eq(sp.exp(G(z)), 0, evaluate=False)))], z=z, leaves={})
    with pytest.raises(NoConvergence) as err:
        form.solve(1j)
    assert err.value.point is not None and "z" in str(err.value)
    # the residual reported is that of the last iterate: |exp(G)| > 0 for every G
    assert err.value.residual is not None and err.value.residual > 0
    assert "residual=" in str(err.value) and err.value.advice


@pytest.mark.parametrize("z", [0.5, 0.5 - 0.1j, "abc", None, np.nan + 1j, True,
                               np.array([1j, -1j])], ids=str)
def test_bad_point(z):
    with pytest.raises(InvalidParameterError):
        fa.compile(x + y).numeric_form().solve(z)


@pytest.mark.parametrize("dps", [0, -3, 2.5, True, "30"], ids=str)
def test_bad_dps(dps):
    with pytest.raises(InvalidParameterError):
        fa.compile(x + y).numeric_form().solve(0.1 + 1j, dps=dps)


def test_bad_values():
    form = fa.compile(x + y).numeric_form()
    with pytest.raises(InvalidParameterError):
        form.solve(np.array([1j, 2j]), dps=30)        # arrays are float64 only
    with pytest.raises(InvalidParameterError):
        form.residual(1j, [1, 2], NP)                 # one value per unknown


@pytest.mark.slow
def test_every_rule_case_solves_to_the_law_tree():
    # every rule-compiled case of tests/test_residual.py whose G is an unknown of its form
    # (a^2 has no equations; cases with a composite leaf take seconds: the leaf is the law's
    # own solver)
    import random

    from tests.test_residual import RULE_CASES

    for name, P in RULE_CASES.items():
        s = fa.compile(P)
        form = s.numeric_form()
        if "G(z)" not in map(str, form.unknowns):
            continue
        rng = random.Random(name)
        z = mpmath.mpc(rng.uniform(-3.0, 4.0), rng.uniform(0.05, 1.0))
        G = form.solve(z, dps=DPS)[_G_index(form)]
        assert abs(G - s.law.cauchy(z, dps=DPS)) <= TOL, name


def test_float64_grid_near_the_axis_stays_on_the_branch():
    # regression: a continuation step from Im z = 0.9 straight to 0.06 once landed on another
    # solution of the sum's equations for some points; 1000 points at Im z = 1e-3 against the
    # closed form of the semicircle of variance 3 (as above)
    form = fa.compile(x + y).numeric_form()
    zs = np.linspace(-5, 5, 1000) + 1e-3j
    r3 = 2 * np.sqrt(3)
    exact = (zs - np.sqrt(zs - r3) * np.sqrt(zs + r3)) / 6
    G = form.solve(zs)[_G_index(form)]
    assert np.max(np.abs(G - exact)) < 1e-12


def test_pickled_form_solves_the_same():
    import pickle

    form = fa.compile(p * x * p).numeric_form()
    z = mpmath.mpc("0.3", "0.2")
    sol = form.solve(z, dps=DPS)
    copy = pickle.loads(pickle.dumps(form))
    assert copy.unknowns == form.unknowns and copy.provenance == form.provenance
    assert copy.solve(z, dps=DPS) == sol
