"""System.residual: the displayed equations hold at the solved unknowns.

Reference: the equations themselves. Each System's equations are the theorems the compiler
cites (subordination for ⊞, Voiculescu 1986 / Biane 1998; R_c(w) = R(t w) for compressions,
Nica-Speicher 1996; S-transforms multiply, Voiculescu 1987; the operator-valued equations of a
linearization, Helton-Rashidi Far-Speicher 2007 and Belinschi-Mai-Speicher 2017). The
unknowns come from the law tree's Newton solution; the residual substitutes them into the
sympy equations (function applications evaluated as compositions, R/S transforms by
inverting the Cauchy transforms), so a wrong solution, a wrong branch or a displayed equation
that does not match the solver makes it large. At dps = 30 every case must reach
10^-(dps - 10) = 1e-20, at random points of C+ (seeded) including Im z = 1e-2 near the axis.
Negative controls perturb one solved unknown by 1e-8 relative and require a residual above
1e-12, so the check is not vacuous.
"""

from __future__ import annotations

import dataclasses
import random

import mpmath
import pytest
import sympy as sp

import freealg as fa
import freealg.nn as nn
from freealg.errors import InvalidParameterError, UndeterminedError
from freealg.reduce.relations import Relation, Unknown

R = sp.Rational
HALF = R(1, 2)
DPS = 30
TOL = mpmath.mpf(10) ** -(DPS - 10)

# the generators of tests/test_compile.py and tests/test_linearization.py
x = fa.semicircular("x")
y = fa.semicircular("y", 2)
u = fa.haar_unitary("u")
v = fa.haar_unitary("v")
o = fa.haar_orthogonal("o")
p = fa.projection("p", HALF)
q = fa.projection("q", R(1, 3))
r = fa.projection("r", R(2, 5))
a = fa.selfadjoint("a", fa.discrete([1, 2, 4], [R(1, 4), R(1, 4), R(1, 2)]))
b = fa.selfadjoint("b", fa.discrete([-1, 1]))
c = fa.circular("c")
c2 = fa.circular("c2")
wu = fa.selfadjoint("wu", fa.uniform(0, 1))
fp = fa.selfadjoint("fp", fa.free_poisson(1))


def jacobian(L: int):
    """D_L O_L ... D_1 O_1 with commuting D_l ~ bernoulli(1/2) (as in tests/test_compile.py)."""
    ds = list(fa.commuting(*[fa.selfadjoint(f"d{l}", fa.bernoulli(HALF)) for l in range(1, L + 1)]))
    J = fa.NCPoly.constant(1)
    for l in range(L):
        J = ds[l] * fa.haar_orthogonal(f"o{l + 1}") * J
    return J


J2, J3 = jacobian(2), jacobian(3)
d1 = fa.selfadjoint("d1", fa.bernoulli(HALF))
# tests/test_atoms_edges.py: a tanh activation derivative (a Gaussian pushforward law)
D = fa.activation("D", sp.tanh(sp.Symbol("h")), R(1, 5))

# rules (tests/test_compile.py MOMENT_CASES / LATEX_CASES / WORDS, docs)
RULE_CASES = {
    "x+y": x + y,
    "x^2+y": x * x + y,
    "x+b": x + b,
    "a+b": a + b,
    "p+q": p + q,
    "3(x+y)-1": 3 * (x + y) - 1,
    "x+y/2+1": x + y / 2 + 1,
    "2cc*-1": 2 * c * c.H - 1,
    "-x+2": 2 - x,
    "u+u*": u + u.H,
    "u+u*+x": u + u.H + x,
    "o+o*": o + o.H,
    "uv+(uv)*": u * v + v.H * u.H,
    "x+uau*": x + u * a * u.H,
    "uau*+a": u * a * u.H + a,
    "ux u*": u * x * u.H,
    "pqp": p * q * p,
    "pxp": p * x * p,
    "p(x+y)p": p * (x + y) * p,
    "pap": p * a * p,
    "pbp": p * b * p,
    "cc*": c * c.H,
    "c*c": c.H * c,
    "cc*+x": c * c.H + x,
    "apa": a * p * a,
    "a^2": a * a,
    "2+p(x+a)p": 2 + p * (x + a) * p,
    "p u q u* p": p * u * q * u.H * p,
    "J2J2*": J2 * J2.H,
    "J2*J2": J2.H * J2,
    "xy^2x": x * y * y * x,                   # a product: S_{x^2} S_{y^2}
    "J3J3*": J3 * J3.H,
    "aua*a": a * u * a * u.H * a,
    "c c2 c2* c*": c * c2 * c2.H * c.H,
    "xpx": x * p * x,
    "d1 o p a p o* d1": d1 * o * p * a * p * o.H * d1,
    "uau*": u * a * u.H,
    "ax^2a": a * x * x * a,
    "aox^2o*a": a * o * x * x * o.H * a,
    "1+DD": 1 + D * D,
}
# linearization (tests/test_linearization.py LIN_CASES / AGREE)
LIN_CASES = {
    "xy+yx": x * y + y * x,
    "i(xy-yx)": sp.I * (x * y - y * x),
    "xyx+y": x * y * x + y,
    "x^2+y^3+xyx": x * x + y * y * y + x * y * x,
    "ax+xa": a * x + x * a,
    # a group with a continuous law: its integral is checked by quadrature of the density
    # (inverse square root at 0) against the solver's exact route through G_mu
    "x fp + fp x": x * fp + fp * x,
}
LIN_FORCED = {  # rule-reducible polynomials through the linearization path
    "pxp": p * x * p,
    "pqp": p * q * p,
    "cc*+x": c * c.H + x,
    "a^2+b": a * a + b,
    "pqp+r": p * q * p + r,                   # two atoms
    "x+wu": x + wu,                           # a group with a continuous law (uniform)
}
LIN_SLOW = {
    "auau*+uau*a": a * u * a * u.H + u * a * u.H * a,   # a unitary group: an integral over theta
}


def _points(name: str, n: int = 2) -> list:
    """n seeded random points: one at Im z = 1e-2 (near the axis), the others in (0.05, 1)."""
    rng = random.Random(name)
    out = []
    for k in range(n):
        im = 0.01 if k == 0 else rng.uniform(0.05, 1.0)
        out.append(mpmath.mpc(rng.uniform(-3.0, 4.0), im))
    return out


def _check(system, name):
    for z in _points(name):
        res = system.residual(z, dps=DPS)
        assert isinstance(res, mpmath.mpf)
        assert res <= TOL, (name, z, res)


@pytest.mark.parametrize("name", list(RULE_CASES))
def test_rules_systems(name):
    s = fa.compile(RULE_CASES[name])
    assert s.steps[0].rule != "linearization"
    _check(s, name)


@pytest.mark.parametrize("name", list(LIN_CASES))
def test_linearization_systems(name):
    s = fa.compile(LIN_CASES[name])
    assert s.steps[0].rule == "linearization"
    _check(s, name)


@pytest.mark.parametrize("name", list(LIN_FORCED))
def test_linearization_forced(name):
    _check(fa.compile(LIN_FORCED[name], method="linearization"), name + " (linearized)")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(LIN_SLOW))
def test_linearization_systems_slow(name):
    _check(fa.compile(LIN_SLOW[name]), name)


def test_nn_jacobian_system():
    # tests/test_nn.py: J J* of a ReLU network with orthogonal weights (PSG 2017)
    _check(nn.MLP(2, "relu").jacobian_system(), "relu")


@pytest.mark.parametrize("kw", [dict(weights="gaussian"),
                                dict(activation="hard_tanh", sigma_b=R(1, 20))],
                         ids=["relu-gaussian", "hard_tanh"])
def test_nn_jacobian_system_more(kw):
    kw = {"depth": 2, "activation": "relu", **kw}
    _check(nn.MLP(**kw).jacobian_system(), str(kw))


def test_every_equation_is_evaluated():
    # the relations are aligned with the displayed equations, one per equation
    for P in (x + y, p * x * p, J2 * J2.H, x * y + y * x):
        s = fa.compile(P)
        rels = [rel.eq for st in s.steps for rel in st.relations]
        assert tuple(rels) == s.equations


# ---------------------------------------------------------------------------------------------
# negative controls: one perturbed unknown makes the residual large


def _perturbed(system, name):
    factor = 1 + mpmath.mpf(10) ** -8
    out = []
    hit = False
    for unk in system.numeric:
        if str(unk.symbol) == name:
            hit = True
            src = unk.source
            if unk.kind == "function":
                unk = Unknown(unk.symbol, "function", lambda pt, d, f=src: f(pt, d) * factor)
            else:
                unk = Unknown(unk.symbol, "value", lambda zz, d, f=src: f(zz, d) * factor)
        out.append(unk)
    assert hit, name
    return dataclasses.replace(system, numeric=tuple(out))


@pytest.mark.parametrize("P, unknown", [
    (x + y, "omega_3"),                     # a subordination function of the free sum
    (p * x * p, "G_c"),                     # the compressed Cauchy transform
    (x * y + y * x, r"\mathbf{G}"),          # the matrix-valued unknown
    (p * x * p + x * p * x, r"\Omega_{1}"),  # an operator-valued subordination function
], ids=["omega", "G_c", "G matrix", "Omega"])
def test_perturbed_unknown_is_detected(P, unknown):
    s = fa.compile(P)
    z = mpmath.mpc("0.3", "0.2")
    assert s.residual(z) <= TOL
    assert _perturbed(s, unknown).residual(z) > mpmath.mpf(10) ** -12


def test_tampered_equation_is_detected():
    # the displayed equations themselves are evaluated: omega_3 + omega_4 = z + 1/G written
    # with an extra 1e-8 is caught
    s = fa.compile(x + y)
    st = s.steps[0]
    assert st.rule == "free sum"
    eq = st.equations[2]
    rels = st.relations[:2] + (Relation(sp.Eq(eq.lhs, eq.rhs + R(1, 10**8), evaluate=False)),)
    bad = dataclasses.replace(s, steps=(dataclasses.replace(st, relations=rels),) + s.steps[1:])
    z = mpmath.mpc("-0.7", "0.05")
    assert s.residual(z) <= TOL
    assert bad.residual(z) > mpmath.mpf(10) ** -9


def test_product_relation_is_checked():
    # S_{J J*} = S_{D^2} S_Q: a wrong factor law for l* l breaks the S-transform equation
    s = fa.compile(J2 * J2.H)
    z = mpmath.mpc("0.4", "0.3")
    assert s.residual(z) <= TOL
    bad = []
    for unk in s.numeric:
        if unk.kind == "cauchy" and str(unk.symbol) == "G_1":
            unk = Unknown(unk.symbol, "cauchy", fa.bernoulli(R(1, 3)))
        bad.append(unk)
    assert dataclasses.replace(s, numeric=tuple(bad)).residual(z) > mpmath.mpf(10) ** -6


def test_pickled_system_keeps_its_numbers():
    # a System pickles (as before the residual) and its unpickled copy still checks its
    # equations; the linearization's law loses its moment function on pickling, so m_2 for
    # the asymptotic check then comes from tau(P^2)
    import pickle

    z = mpmath.mpc("0.25", "0.125")
    for P in (x + y, p * x * p, J2 * J2.H, x * y + y * x):
        s = fa.compile(P)
        assert pickle.loads(pickle.dumps(s)).residual(z) == s.residual(z) <= TOL


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("z", [0.5, 0.5 - 0.1j, "abc", None, mpmath.inf, sp.Symbol("t")],
                         ids=str)
def test_bad_point(z):
    with pytest.raises(InvalidParameterError):
        fa.compile(x + y).residual(z)


@pytest.mark.parametrize("dps", [0, -3, 2.5, True, "30"], ids=str)
def test_bad_dps(dps):
    with pytest.raises(InvalidParameterError):
        fa.compile(x + y).residual(0.1 + 1j, dps=dps)


def test_symbolic_parameters_must_be_substituted():
    t = sp.Symbol("t", positive=True)
    s = fa.compile(fa.semicircular("x", t) + fa.semicircular("y"))
    with pytest.raises(UndeterminedError):
        s.residual(0.1 + 1j)
    assert s.subs(t, 2).residual(sp.Rational(1, 10) + sp.I) <= TOL
