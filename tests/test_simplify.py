"""simplify(): law trees rewritten into equal closed-form laws, and the closed-form families
(free Meixner, free binomial, Kesten-McKay, Wachter).

References, each independent of the code under test:

* the unsimplified tree (free cumulants/moments from the R/S-transform rules; densities from the
  subordination solver; atoms from the Bercovici-Voiculescu / Belinschi theorems);
* closed forms from the literature: Kesten-McKay density d sqrt(4(d-1) - x^2)/(2 pi (d^2 - x^2))
  (Kesten 1959; McKay 1981); the Wachter law (Wachter 1980; Collins 2005) as in
  ``_references.wachter_edges``; the standard free Meixner density sqrt(4(1+b) - (x-a)^2)/
  (2 pi (b x^2 + a x + 1)) (Bozejko-Bryc 2006, eq. (2)-(3); Saitoh-Yoshida 2001);
* exact moments against the integral of the density (mpmath tanh-sinh at 40 digits) plus atoms.
"""

from __future__ import annotations

import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from _references import wachter_edges
from freealg.laws.families import Wachter
from freealg.rewrite import simplify
from freealg.transforms import cumulants as cm

R = sp.Rational
NMOM = 10


def sym_bern():
    return fa.discrete([-1, 1])


# (id, tree, expected simplified law): each expected law is built from the theorem cited
RULES = [
    # R-transforms add (Voiculescu 1986): semicircles add variances and means
    ("sc+sc", lambda: fa.free_additive(fa.semicircle(1), fa.semicircle(2, 1)),
     lambda: fa.semicircle(3, 1)),
    # free Poisson laws of one jump add rates (NS Lecture 12)
    ("fp+fp", lambda: fa.free_additive(fa.free_poisson(R(1, 2), 2), fa.free_poisson(3, 2)),
     lambda: fa.free_poisson(R(7, 2), 2)),
    ("sc^t", lambda: fa.free_power(fa.semicircle(2, 1), R(5, 2)),
     lambda: fa.semicircle(5, R(5, 2))),
    ("fp^t", lambda: fa.free_power(fa.free_poisson(R(1, 2)), R(5, 2)),
     lambda: fa.free_poisson(R(5, 4))),
    # Kesten 1959 / McKay 1981: d free symmetries
    ("km", lambda: fa.free_power(sym_bern(), 3), lambda: fa.kesten_mckay(3)),
    ("km-atoms", lambda: fa.free_power(fa.affine(fa.bernoulli(R(1, 2)), 2, -1), R(3, 2)),
     lambda: fa.kesten_mckay(R(3, 2))),
    ("fb", lambda: fa.free_power(fa.bernoulli(R(1, 3)), R(5, 2)),
     lambda: fa.free_binomial(R(5, 2), R(1, 3))),
    ("b+b", lambda: fa.free_additive(fa.bernoulli(R(1, 3)), fa.bernoulli(R(1, 3))),
     lambda: fa.free_binomial(2, R(1, 3))),
    ("fb+b", lambda: fa.free_additive(fa.free_binomial(2, R(1, 3)), fa.bernoulli(R(1, 3))),
     lambda: fa.free_binomial(3, R(1, 3))),
    # compression of a projection, ambient space: p q p (Wachter 1980; Nica-Speicher 1996)
    ("wachter", lambda: fa.free_compression(fa.bernoulli(R(1, 3)), R(1, 2), ambient=True),
     lambda: fa.wachter(R(1, 2), R(1, 3))),
    ("wachter-hard", lambda: fa.free_compression(fa.bernoulli(R(1, 2)), R(1, 2), ambient=True),
     lambda: fa.wachter(R(1, 2), R(1, 2))),
    ("bxb", lambda: fa.free_multiplicative(fa.bernoulli(R(1, 3)), fa.bernoulli(R(3, 4))),
     lambda: fa.wachter(R(1, 3), R(3, 4))),
    # compressed space: D_t(mu^{⊞1/t}) (Nica-Speicher 1996), recursion (1/3, 1/9, 1/2, 1/18)
    ("compressed", lambda: fa.free_compression(fa.bernoulli(R(1, 3)), R(1, 2)),
     lambda: fa.free_meixner(R(1, 3), R(1, 9), R(1, 2), R(1, 18))),
    ("sc-compressed", lambda: fa.free_compression(fa.semicircle(1), R(1, 4), ambient=True),
     lambda: fa.mixture([fa.dirac(0), fa.semicircle(R(1, 4))], [R(3, 4), R(1, 4)])),
    # point masses: shifts and scalings
    ("dirac+fp", lambda: fa.free_additive(fa.dirac(2), fa.free_poisson(1)),
     lambda: fa.free_meixner(3, 1, 4, 1)),
    ("fp*dirac", lambda: fa.free_multiplicative(fa.free_poisson(2), fa.dirac(3)),
     lambda: fa.free_poisson(2, 3)),
    ("dirac0+sc", lambda: fa.free_additive(fa.semicircle(1), fa.dirac(0)),
     lambda: fa.semicircle(1)),
    ("affine-affine", lambda: fa.affine(fa.affine(fa.semicircle(1), 2, 1), -1, 3),
     lambda: fa.semicircle(4, 2)),
    ("affine-km", lambda: fa.affine(fa.kesten_mckay(3), R(1, 2), R(3, 2)),
     lambda: fa.free_binomial(3, R(1, 2))),
    ("affine-arcsine", lambda: fa.affine(fa.arcsine(0, 1), -2, 1), lambda: fa.arcsine(-1, 1)),
    ("product", lambda: fa.free_product([fa.bernoulli(R(1, 2)), fa.dirac(2),
                                         fa.bernoulli(R(2, 3))]),
     lambda: fa.affine(fa.wachter(R(1, 2), R(2, 3)), 2, 0)),
    ("mixture", lambda: fa.mixture([fa.dirac(0), fa.dirac(1), fa.dirac(0)],
                                   [R(1, 4), R(1, 4), R(1, 2)]),
     lambda: fa.bernoulli(R(1, 4))),
]
IDS = [r[0] for r in RULES]


@pytest.fixture(scope="module")
def pairs():
    out = {}
    for name, tree, expected in RULES:
        t = tree()
        out[name] = (t, simplify(t), expected())
    return out


@pytest.mark.parametrize("name", IDS)
def test_rule_result_and_exact_moments(pairs, name):
    tree, s, expected = pairs[name]
    assert s.moments(NMOM) == expected.moments(NMOM)
    if name != "mixture":  # discrete([0, 1]) is bernoulli(1/4) as a law, not structurally
        assert s == expected, s
    # the rewrite is exactly the same law: exact moments of the tree (>= 8)
    assert s.moments(NMOM) == tree.moments(NMOM)


def _grid(law, near=(1e-3, 1e-4)):
    """97 points over the hull and, for each edge and atom, points at relative distances
    ``near`` on both sides (float64 rounding of an edge alone makes a relative density error
    ~ 1e-16/distance there: closer points test the input, not the law)."""
    lo, hi = law._hull_float()
    w = hi - lo
    x = list(np.linspace(lo - 0.05 * w, hi + 0.05 * w, 97))
    for e in law.edges() if law._nunk == 0 and not isinstance(law, fa.Mixture) else []:
        loc = float(e.location)
        x += [loc + s * h * w for s in (-1, 1) for h in near]
    for a in law.atoms():
        loc = float(a.location)
        x += [loc + s * h * w for s in (-1, 1) for h in near]
    return np.array(sorted(x))


@pytest.mark.parametrize("name", [n for n in IDS if n != "affine-affine"])
def test_rule_density_float64(pairs, name):
    tree, s, _ = pairs[name]
    x = _grid(s, near=(1e-3,))
    # exactly at an atom the tree's float64 path averages the two sides at -+1e-6 (an error
    # ~1e-12 f''): those points are checked against 20 digits below
    x = x[[all(abs(xi - float(a.location)) > 1e-9 for a in s.atoms()) for xi in x]]
    d_tree, d_s = tree.density(x), s.density(x)
    assert np.all(np.abs(d_s - d_tree) <= 1e-12 * (1 + np.abs(d_tree))), \
        np.max(np.abs(d_s - d_tree) / (1 + np.abs(d_tree)))


@pytest.mark.parametrize("name", [n for n in IDS if n not in ("affine-affine", "mixture")])
def test_rule_density_float64_near_edges_and_atoms(pairs, name):
    # next to the edges the tree's float64 subordination solve itself is only good to ~1e-11,
    # so the reference there is the tree at 20 digits
    tree, s, _ = pairs[name]
    lo, hi = s._hull_float()
    w = hi - lo
    # fp*dirac: the tree's 20-digit density is 0 at 1e-6 inside the right edge (a solver
    # problem of the ⊠ tree, not of the law); its float64 value agrees with the closed form
    near = (1e-4,) if name == "fp*dirac" else (1e-4, 1e-6)
    edges = s.support() if isinstance(s, fa.Mixture) else s.edges()
    locs = [float(q) for e in edges for q in ((e.lo, e.hi) if isinstance(e, fa.Band)
                                              else (e.location,))]
    # atoms off the edges (at an atom on a hard edge, and at the atom 2 of the 3-factor ⊠
    # product, the tree's 20-digit path does not converge)
    x = np.array([loc + sg * h * w for loc in locs for sg in (-1, 1) for h in near]
                 + [float(a.location) for a in s.atoms() if name != "product"
                    and all(abs(float(a.location) - loc) > 1e-9 for loc in locs)])
    ref = np.array([float(tree.density(float(xi), dps=20)) for xi in x])
    got = s.density(x)
    assert np.all(np.abs(got - ref) <= 1e-12 * (1 + np.abs(ref)))


def test_affine_affine_negative_scale_density():
    # the tree affine(affine(semicircle)) with a negative outer scale has no numeric path in the
    # tree; its simplification is semicircle(4, 2): density sqrt(16 - (x-2)^2)/(8 pi)
    s = simplify(fa.affine(fa.affine(fa.semicircle(1), 2, 1), -1, 3))
    x = np.linspace(-2.5, 6.5, 41)
    ref = np.sqrt(np.clip(16 - (x - 2) ** 2, 0, None)) / (8 * np.pi)
    assert np.allclose(s.density(x), ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", IDS)
def test_rule_atoms_exact(pairs, name):
    tree, s, _ = pairs[name]
    got = {(sp.nsimplify(a.location), sp.simplify(a.mass)) for a in s.atoms()}
    ref = {(sp.nsimplify(a.location), sp.simplify(a.mass)) for a in tree.atoms()}
    assert got == ref


@pytest.mark.parametrize("name,dps_points", [("fb", [R(1, 2), R(3, 2)]),
                                             ("wachter", [R(1, 10), R(1, 2)]),
                                             ("km-atoms", [R(1, 3), R(-1, 2)])])
def test_rule_density_mpmath(pairs, name, dps_points):
    tree, s, _ = pairs[name]
    for x in dps_points:
        a, b = tree.density(x, dps=30), s.density(x, dps=30)
        assert abs(a - b) <= mpmath.mpf("1e-25") * (1 + abs(a))


# --------------------------------------------------------------------------------------------
# the families against closed forms from the literature


def _km_density(d, x):
    # Kesten 1959; McKay 1981
    return d * mpmath.sqrt(4 * (d - 1) - x**2) / (2 * mpmath.pi * (d**2 - x**2)) \
        if x**2 < 4 * (d - 1) else mpmath.mpf(0)


def _wachter_density(al, be, x):
    # Wachter 1980 / Collins 2005: sqrt((l+ - x)(x - l-))/(2 pi x (1 - x)) on [l-, l+]
    lo, hi = (mpmath.mpf(sp.N(e, 50)) for e in wachter_edges(al, be))
    if not lo < x < hi:
        return mpmath.mpf(0)
    return mpmath.sqrt((hi - x) * (x - lo)) / (2 * mpmath.pi * x * (1 - x))


def _fm_density(a, b, x):
    # Bozejko-Bryc 2006: standard free Meixner law (mean 0, variance 1) with parameters a, b
    q = 4 * (1 + b) - (x - a) ** 2
    return mpmath.sqrt(q) / (2 * mpmath.pi * (b * x**2 + a * x + 1)) if q > 0 else mpmath.mpf(0)


FAMILIES = [
    ("km3", lambda: fa.kesten_mckay(3), lambda x: _km_density(3, x)),
    ("km3/2", lambda: fa.kesten_mckay(R(3, 2)), lambda x: _km_density(mpmath.mpf(3) / 2, x)),
    ("wachter", lambda: fa.wachter(R(1, 3), R(1, 2)),
     lambda x: _wachter_density(R(1, 3), R(1, 2), x)),
    ("wachter-hard", lambda: fa.wachter(R(1, 2), R(1, 2)),
     lambda x: _wachter_density(R(1, 2), R(1, 2), x)),
    ("wachter-2atoms", lambda: fa.wachter(R(2, 3), R(3, 4)),
     lambda x: _wachter_density(R(2, 3), R(3, 4), x)),
    # bernoulli(p)^{⊞n} = D_n of the compressed Wachter law (Nica-Speicher 1996): rho_W(x/n)
    ("fb", lambda: fa.free_binomial(R(5, 2), R(1, 3)),
     lambda x: _wachter_density(R(2, 5), R(1, 3), x / R(5, 2))),
    ("fm", lambda: fa.free_meixner(0, 1, 1, 2), lambda x: _fm_density(1, 1, x)),
    ("fm-atoms", lambda: fa.free_meixner(0, 1, 3, R(1, 2)),
     lambda x: _fm_density(3, -mpmath.mpf(1) / 2, x)),
]
FIDS = [f[0] for f in FAMILIES]


@pytest.mark.parametrize("name,build,ref", FAMILIES, ids=FIDS)
def test_family_density_closed_form(name, build, ref):
    law = build()
    x = _grid(law)
    with mpmath.workdps(30):
        want = np.array([float(ref(mpmath.mpf(float(xi)))) for xi in x])
    got = law.density(x)
    assert np.all(np.abs(got - want) <= 1e-12 * (1 + np.abs(want)))
    for xi in x[::9]:
        with mpmath.workdps(40):
            w = ref(mpmath.mpf(float(xi)))
        assert abs(law.density(float(xi), dps=30) - w) <= mpmath.mpf("1e-25") * (1 + abs(w))


@pytest.mark.parametrize("name,build,ref", FAMILIES, ids=FIDS)
def test_family_moments_from_density(name, build, ref):
    # exact moments = integral of x^k against the density (tanh-sinh, 40 digits) + the atoms
    law = build()
    exact = law.moments(8)
    (band,) = law.support()
    memo: dict = {}

    def rho(x):
        if x not in memo:
            memo[x] = law.density(x, dps=40)
        return memo[x]

    with mpmath.workdps(40):
        lo, hi = (mpmath.mpf(sp.N(q, 50)) for q in (band.lo, band.hi))
        for k in range(1, 9):
            val = mpmath.quad(lambda x, k=k: x**k * rho(x), [lo, hi])
            val += mpmath.fsum(mpmath.mpf(sp.N(a.mass, 50))
                               * mpmath.mpf(sp.N(a.location, 50)) ** k for a in law.atoms())
            assert abs(val - mpmath.mpf(sp.N(exact[k - 1], 50))) < mpmath.mpf("1e-20")


@pytest.mark.parametrize("build,atom", [(lambda: fa.kesten_mckay(R(3, 2)), R(3, 2)),
                                        (lambda: fa.free_meixner(0, 1, 3, R(1, 2)), None),
                                        (lambda: fa.free_binomial(3, R(1, 4)), 0)])
def test_family_cauchy_next_to_atoms(build, atom):
    # float64 G next to an atom (where 1/D cancels) against the closed form evaluated by sympy at
    # 50 digits
    law = build()
    loc = sp.sympify(atom) if atom is not None else law.atoms()[0].location
    z = sp.Symbol("z")
    expr = law.cauchy_expr(z)
    for dz in (sp.I * R(1, 10**9), R(1, 10**6), -R(1, 10**6) + sp.I * R(1, 10**12)):
        zf = complex(sp.N(loc + dz, 30))
        # the reference at exactly the float64 input (G ~ mass/(z - atom) amplifies its rounding)
        zz = sp.Float(zf.real, 40) + sp.I * sp.Float(zf.imag, 40)
        ref = complex(sp.N(expr.subs(z, zz), 50))
        got = law.cauchy(np.array([zf]))[0]
        # an atom location that is not a float64 number moves the pole by its rounding, a
        # relative error ~ 1.1e-16 |atom|/|z - atom| that no float64 evaluation avoids
        cond = 0.0 if sp.sympify(loc).is_Rational and float(loc) * 4 % 1 == 0 else \
            2.3e-16 * abs(float(loc)) / abs(complex(dz))
        assert abs(got - ref) <= (1e-12 + cond) * abs(ref)


def test_family_atoms_and_edges_exact():
    # Kesten-McKay: atoms -+d of mass 1 - d/2 for d < 2 (power atom theorem, Bercovici-
    # Voiculescu 1998); edges -+2 sqrt(d - 1)
    km = fa.kesten_mckay(R(3, 2))
    assert [(a.location, a.mass) for a in km.atoms()] == [(R(-3, 2), R(1, 4)), (R(3, 2), R(1, 4))]
    assert [e.location for e in km.edges()] == [-sp.sqrt(2), sp.sqrt(2)]
    assert fa.kesten_mckay(3).atoms() == []
    assert [e.kind for e in fa.kesten_mckay(2).edges()] == ["hard", "hard"]  # arcsine [-2, 2]
    # Wachter (Wachter 1980): max(1-a, 1-b) at 0, max(0, a+b-1) at 1, edges l-+
    for al, be in [(R(1, 3), R(1, 2)), (R(2, 3), R(3, 4)), (R(1, 5), R(4, 5)), (R(1, 2), R(1, 2))]:
        W = fa.wachter(al, be)
        ref = {0: 1 - min(al, be)}
        if al + be > 1:
            ref[1] = al + be - 1
        assert {a.location: a.mass for a in W.atoms()} == ref
        lo, hi = wachter_edges(al, be)
        assert [sp.simplify(e.location - r) for e, r in zip(W.edges(), (lo, hi))] == [0, 0]
    assert [e.kind for e in fa.wachter(R(1, 2), R(1, 2)).edges()] == ["hard", "hard"]
    # free binomial: power atoms n mu({a}) - (n - 1) at n a
    fb = fa.free_binomial(3, R(1, 4))
    assert [(a.location, a.mass) for a in fb.atoms()] == [(0, R(1, 4))]
    assert [(a.location, a.mass) for a in fa.free_binomial(R(5, 4), R(9, 10)).atoms()] == \
        [(R(5, 4), R(7, 8))]


@pytest.mark.parametrize("build", [lambda: fa.kesten_mckay(3), lambda: fa.free_binomial(3, R(1, 4)),
                                   lambda: fa.free_meixner(1, 2, 3, 4),
                                   lambda: fa.wachter(R(1, 3), R(1, 2)),
                                   lambda: fa.free_meixner(3, 1, 4, 1),
                                   lambda: fa.free_meixner(2, R(1, 2), 3, R(1, 4)),
                                   lambda: fa.free_meixner(2, 1, R(1, 2), R(1, 5))])
def test_family_transforms(build):
    law = build()
    w, z = sp.symbols("w z")
    r = law.r_transform(w)
    if r is not None:  # R(w) = sum kappa_{n+1} w^n (exact free cumulants from the moments)
        ser = sp.series(r, w, 0, 6).removeO()
        kap = cm.free_cumulants_from_moments(law.moments(6))
        assert [sp.simplify(ser.coeff(w, k) - kap[k]) for k in range(6)] == [0] * 6
    S = law.s_transform(z)
    assert (S is not None) == (law.is_positive() is True)
    if S is not None:  # moments from the S-transform series (Voiculescu 1987)
        ser = sp.series(S, z, 0, 6).removeO()
        assert cm.moments_from_s_coefficients([ser.coeff(z, k) for k in range(6)]) == \
            law.moments(6)
    # the closed-form Cauchy transform solves the curve, and matches the numeric one
    zz = sp.Rational(1, 3) + sp.I * sp.Rational(1, 2)
    g = sp.N(law.cauchy_expr(zz), 40)
    G = sp.Symbol("G")
    assert abs(sp.N(law.curve(z, G).as_expr().subs({z: zz, G: g}), 40)) < 1e-30
    with mpmath.workdps(40):
        gm = law.cauchy(mpmath.mpc(mpmath.mpf(1) / 3, mpmath.mpf(1) / 2), dps=35)
        ref = mpmath.mpc(sp.N(sp.re(g), 40), sp.N(sp.im(g), 40))
    assert abs(gm - ref) < mpmath.mpf("1e-33")
    # float64 G near an atom or edge and psi = z G - 1 far out, against mpmath
    for zc in (0.5 + 1e-7j, 1e6 + 1j, -0.7 + 1e-3j):
        gf = law.cauchy(np.array([zc]))[0]
        gmp = complex(law.cauchy(complex(zc), dps=30))
        assert abs(gf - gmp) <= 1e-13 * abs(gmp)
        ps = law._psi(np.array([zc]), fa.laws.base.NP)[0]
        with mpmath.workdps(40):
            ps_ref = complex(mpmath.mpc(zc) * law.cauchy(mpmath.mpc(zc), dps=40) - 1)
        assert abs(ps - ps_ref) <= 1e-13 * abs(ps_ref)


# --------------------------------------------------------------------------------------------
# symbols, bad input, value objects


def test_symbolic_parameters_pass_through():
    u, m, v, l = sp.symbols("u m v l", positive=True)
    p, n = 1 / (1 + u), 1 + m
    assert simplify(fa.free_additive(fa.semicircle(v), fa.semicircle(l, 1))) == \
        fa.semicircle(v + l, 1)
    assert simplify(fa.free_power(fa.free_poisson(l), n)) == fa.free_poisson(l * (m + 1))
    assert simplify(fa.affine(fa.free_poisson(l, v), 2, 0)) == fa.free_poisson(l, 2 * v)
    assert simplify(fa.free_power(sym_bern(), n)) == fa.kesten_mckay(m + 1)
    fb = simplify(fa.free_power(fa.bernoulli(p), n))
    assert fb == fa.free_binomial(n, p)
    W = simplify(fa.free_compression(fa.bernoulli(p), 1 / n, ambient=True))
    assert isinstance(W, Wachter) and W.free_symbols == {u, m}
    # equal laws once numbers are substituted (exact moments of the tree)
    vals = {u: 2, m: R(3, 2)}
    assert W.subs(vals).moments(8) == \
        fa.free_compression(fa.bernoulli(R(1, 3)), R(2, 5), ambient=True).moments(8)
    assert fb.subs(vals).moments(8) == fa.free_power(fa.bernoulli(R(1, 3)), R(5, 2)).moments(8)
    # a side condition that depends on a symbol blocks the rule: t = 1 would be a Bernoulli law
    t = sp.Symbol("t", positive=True)
    tree = fa.free_power(fa.bernoulli(R(1, 3)), t)
    assert simplify(tree) is tree
    # exact moments with symbols
    km = fa.kesten_mckay(n)
    assert [sp.expand(q) for q in km.moments(4)] == [0, m + 1, 0, sp.expand((m + 1) * (2 * m + 1))]


@pytest.mark.parametrize("call", [
    lambda: fa.kesten_mckay(1), lambda: fa.kesten_mckay(-2), lambda: fa.free_binomial(1, R(1, 2)),
    lambda: fa.free_binomial(2, R(3, 2)), lambda: fa.wachter(0, R(1, 2)),
    lambda: fa.wachter(R(1, 2), 1), lambda: fa.free_meixner(0, -1, 0, 1),
    lambda: fa.free_meixner(0, 1, 0, 0), lambda: fa.free_meixner(sp.I, 1, 0, 1),
    lambda: fa.kesten_mckay(sp.nan), lambda: simplify("semicircle"),
])
def test_bad_parameters_raise(call):
    with pytest.raises(fa.InvalidParameterError):
        call()


def test_unchanged_tree_is_returned_and_values_round_trip():
    tree = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    assert simplify(tree) is tree
    for law in (fa.kesten_mckay(3), fa.free_binomial(R(5, 2), R(1, 3)),
                fa.wachter(R(1, 3), R(1, 2)), fa.free_meixner(0, 1, 1, 2)):
        assert type(law)(*law.args) == law
        assert pickle.loads(pickle.dumps(law)) == law
        assert hash(law) == hash(type(law)(*law.args))
        assert simplify(law) is law
    assert fa.wachter(R(1, 2), R(1, 3)) == fa.wachter(R(1, 3), R(1, 2))  # canonical order


@pytest.mark.parametrize("name", IDS)
def test_simplify_is_idempotent(pairs, name):
    _, s, _ = pairs[name]
    assert simplify(s) == s


def test_product_without_closed_form_keeps_its_form():
    # no rule applies to free_poisson(1)^{⊠2}: the tree comes back unchanged; a delta_2 factor
    # becomes a scale (delta_c ⊠ mu = c mu)
    tree = fa.free_product([(fa.free_poisson(1), 2)])
    assert simplify(tree) is tree
    scaled = simplify(fa.free_product([(fa.free_poisson(1), 2), fa.dirac(2)]))
    assert scaled == fa.affine(tree, 2, 0)
    # moments: 2^k times the Fuss-Catalan numbers binom(3k, k)/(2k + 1)
    assert scaled.moments(4) == [2**k * sp.binomial(3 * k, k) / (2 * k + 1) for k in range(1, 5)]
