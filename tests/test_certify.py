"""Certified enclosures (python-flint balls) of edges and atoms: ``certify=True``.

Every reference is computed here independently of the certifying code: closed forms from the
literature (cited at each test), or the real roots of a discriminant derived in the test from
the R-transforms, evaluated by sympy at 80 digits. Containment is checked exactly: the
enclosure endpoints are dyadic rationals, compared with the reference at 80 digits (the
reference error, 1e-80, is far below the widths, ~1e-40).
"""

from __future__ import annotations

import sys

import mpmath
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import NoConvergence, OptionalDependencyError
from freealg.numeric import certify as cert
from freealg.numeric.records import Edge

flint = pytest.importorskip("flint")

R = sp.Rational
W = 80          # digits of the references


def _contains(enclosure, value) -> bool:
    lo, hi = enclosure
    with mpmath.workdps(W):
        v = mpmath.mpf(sp.N(value, W + 10)) if not isinstance(value, mpmath.mpf) else value
        return mpmath.mpf(lo) <= v <= mpmath.mpf(hi)


def _width(enclosure) -> float:
    lo, hi = enclosure
    return float(hi - lo)


def _check(edges, refs, dps=30):
    assert len(edges) == len(refs)
    for e, ref in zip(edges, refs):
        assert e.enclosure is not None
        assert _contains(e.enclosure, ref), (e, ref)
        assert _width(e.enclosure) < 10.0 ** (5 - dps) * max(1, abs(float(ref)))


# ---------------------------------------------------------------------------------------
# catalogue laws: exact edges

def test_free_poisson_edges_and_atom():
    # Marchenko-Pastur (1967) / Voiculescu: free Poisson(rate l, jump a) has edges
    # a (1 -+ sqrt l)^2 and, for l < 1, the atom 1 - l at 0
    law = fa.free_poisson(R(1, 2), 3)
    s = sp.sqrt(R(1, 2))
    _check(law.edges(30, certify=True), [3 * (1 - s) ** 2, 3 * (1 + s) ** 2])
    (atom,) = law.atoms(certify=True)
    assert _contains(atom.enclosure, 0) and _contains(atom.mass_enclosure, R(1, 2))
    assert _width(atom.mass_enclosure) < 1e-25


def test_wachter_edges_and_atom():
    # Wachter (1980), Collins (2005): p q p for free projections of traces a, b has edges
    # a + b - 2ab -+ sqrt(4ab(1 - a)(1 - b)) and the atom max(1 - a, 1 - b) at 0
    a, b = R(1, 3), R(1, 4)
    law = fa.wachter(a, b)
    r = sp.sqrt(4 * a * b * (1 - a) * (1 - b))
    _check(law.edges(30, certify=True), [a + b - 2 * a * b - r, a + b - 2 * a * b + r])
    (atom,) = law.atoms(certify=True)
    assert _contains(atom.mass_enclosure, R(3, 4)) and _contains(atom.enclosure, 0)
    assert _width(atom.mass_enclosure) < 1e-25 and _width(atom.enclosure) < 1e-25


@pytest.mark.parametrize("law, refs", [
    # Wigner: mean m, variance v -> m -+ 2 sqrt v
    (fa.semicircle(2, 1), [1 - 2 * sp.sqrt(2), 1 + 2 * sp.sqrt(2)]),
    # Kesten (1959), McKay (1981): d-regular tree, edges -+ 2 sqrt(d - 1)
    (fa.kesten_mckay(3), [-2 * sp.sqrt(2), 2 * sp.sqrt(2)]),
    # arcsine on [a, b] and uniform on [a, b]: the interval's ends
    (fa.arcsine(0, 3), [0, 3]),
    (fa.uniform(-1, 2), [-1, 2]),
])
def test_catalogue_edges(law, refs):
    _check(law.edges(30, certify=True), refs)


def test_discrete_atoms():
    # the law's own definition: points and weights
    law = fa.discrete([-1, 2, 5], [R(1, 2), R(1, 3), R(1, 6)])
    atoms = law.atoms(certify=True)
    for a, (x, m) in zip(atoms, [(-1, R(1, 2)), (2, R(1, 3)), (5, R(1, 6))]):
        assert _contains(a.enclosure, x) and _contains(a.mass_enclosure, m)
        assert _width(a.mass_enclosure) < 1e-25


# ---------------------------------------------------------------------------------------
# free operations of algebraic laws: the certified discriminant analysis

def _sc_fp_discriminant_roots(lam):
    """Real roots (80 digits) of the discriminant in G of the curve of semicircle(1) ⊞
    free_poisson(lam), derived from the R-transforms: R(w) = w + lam/(1 - w) (Voiculescu), and
    z = R(G) + 1/G cleared of denominators: z G (1 - G) = G^2 (1 - G) + lam G + (1 - G)."""
    G, z = sp.symbols("G z")
    P = sp.expand(z * G * (1 - G) - G ** 2 * (1 - G) - lam * G - (1 - G))
    disc = sp.Poly(sp.discriminant(P, G), z)
    return [sp.N(r, W) for r in disc.real_roots()]


def test_semicircle_boxplus_free_poisson_edges():
    lam = R(1, 2)
    law = fa.free_additive(fa.semicircle(1), fa.free_poisson(lam))
    roots = _sc_fp_discriminant_roots(lam)
    assert len(roots) == 2            # one band: both real roots of the quartic are its ends
    edges = law.edges(30, certify=True)
    _check(edges, roots)
    assert [e.side for e in edges] == ["left", "right"]
    # the location is the ball's midpoint and its error bounds the distance to either end
    with mpmath.workdps(W):
        for e in edges:
            lo, hi = (mpmath.mpf(v) for v in e.enclosure)
            assert e.location - e.error <= lo and hi <= e.location + e.error


def test_perturbed_enclosure_excludes_the_wrong_value():
    # rate 1/2 + 1e-20: the certified edges must not contain the edges at rate 1/2 (they move
    # by ~1e-20, 10^15 times the width)
    law = fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2) + R(1, 10 ** 20)))
    edges = law.edges(30, certify=True)
    for e, wrong in zip(edges, _sc_fp_discriminant_roots(R(1, 2))):
        assert not _contains(e.enclosure, wrong)
    _check(edges, _sc_fp_discriminant_roots(R(1, 2) + R(1, 10 ** 20)))
    # and a free Poisson rate perturbed the same way: (1 + sqrt(1/2))^2 is outside
    e = fa.free_poisson(R(1, 2) + R(1, 10 ** 20)).edges(30, certify=True)[-1]
    assert not _contains(e.enclosure, (1 + sp.sqrt(R(1, 2))) ** 2)


def test_boxtimes_edges_and_belinschi_atom():
    # Belinschi (2003): (mu ⊠ nu)({0}) = max(mu({0}), nu({0})) = max(1/2, 2/3).
    # Edges: the S-transform of free Poisson(l) is 1/(z + l) (Voiculescu), so the product has
    # S(w) = 1/((w + 1/2)(w + 1/3)), and with chi(w) = w S(w)/(1 + w), z = 1/chi(psi), G(z) =
    # (1 + psi)/z: a polynomial in (G, z) whose discriminant in G we derive here
    law = fa.free_multiplicative(fa.free_poisson(R(1, 2)), fa.free_poisson(R(1, 3)))
    G, z, psi = sp.symbols("G z psi")
    S = 1 / ((psi + R(1, 2)) * (psi + R(1, 3)))
    rel = sp.numer(sp.together(z * psi * S / (1 + psi) - 1))       # z chi(psi) = 1
    P = sp.numer(sp.together(rel.subs(psi, z * G - 1)))
    P = sp.Poly(P, G, z)
    # each edge must contain exactly one positive real root of this discriminant
    disc = sp.Poly(sp.discriminant(P.as_expr(), G), z)
    roots = [sp.N(r, W) for r in disc.real_roots() if r > 0]
    edges = law.edges(30, certify=True)
    assert [e.side for e in edges] == ["left", "right"]
    for e in edges:
        assert sum(_contains(e.enclosure, r) for r in roots) == 1
        assert _width(e.enclosure) < 1e-25
    (atom,) = law.atoms(certify=True)
    assert _contains(atom.enclosure, 0) and _contains(atom.mass_enclosure, R(2, 3))
    assert _width(atom.mass_enclosure) < 1e-25


def test_compression_and_power_atoms_and_edges():
    # Nica-Speicher (Lecture 14): the compression by a projection of trace t is
    # D_t(mu^{⊞1/t}); free powers: mu^{⊞s}({s a}) = s mu({a}) - (s - 1) when positive
    # (Bercovici-Voiculescu 1998). bernoulli(1/4) (mass 3/4 at 0) compressed by 1/2: atom
    # 2 * 3/4 - 1 = 1/2 at 0.
    law = fa.free_compression(fa.bernoulli(R(1, 4)), R(1, 2))
    (atom,) = law.atoms(certify=True)
    assert _contains(atom.mass_enclosure, R(1, 2)) and _contains(atom.enclosure, 0)
    assert _width(atom.mass_enclosure) < 1e-25
    # edges: the law of p q p in pAp for q ~ bernoulli(a), tau(p) = b has the support of the
    # Wachter law of (a, b) (Wachter (1980), Collins (2005)):
    # a + b - 2ab -+ sqrt(4ab(1 - a)(1 - b))
    a, b = R(1, 4), R(1, 2)
    r = sp.sqrt(4 * a * b * (1 - a) * (1 - b))
    _check(law.edges(30, certify=True), [a + b - 2 * a * b - r, a + b - 2 * a * b + r])


def test_free_power_edges():
    # a free power mu^{⊞3} of bernoulli(1/3): atoms 3 mu({a}) - 2 > 0 only at 0: 3 * 2/3 - 2 = 0,
    # none; its edges come from the derived curve and the engine must agree with them
    edges = fa.free_power(fa.bernoulli(R(1, 3)), 3).edges(30, certify=True)
    assert [e.side for e in edges] == ["left", "right"]
    # reference: bernoulli(p) has G z^2 - (G + 1) z + (1 - p) = 0; R_s = s R (Voiculescu) gives
    # z_s = s z_1(G) - (s - 1)/G, i.e. z_1 = (z + (s - 1)/G)/s on the curve of bernoulli(p)
    G, z = sp.symbols("G z")
    p, s = R(1, 3), 3
    z1 = (z + (s - 1) / G) / s
    P = sp.numer(sp.together(G * z1 ** 2 - (G + 1) * z1 + (1 - p)))
    disc = sp.Poly(sp.discriminant(sp.Poly(P, G).as_expr(), G), z)
    roots = [sp.N(r, W) for r in disc.real_roots()]
    for e in edges:
        assert sum(_contains(e.enclosure, r) for r in roots) == 1
        assert _width(e.enclosure) < 1e-25


def test_boxplus_bercovici_voiculescu_atoms():
    # Bercovici-Voiculescu (1998): a + b is an atom of mu ⊞ nu iff mu({a}) + nu({b}) > 1, with
    # mass mu({a}) + nu({b}) - 1: bernoulli(1/2) ⊞ bernoulli(1/3): 1/2 + 2/3 - 1 = 1/6 at 0 and
    # 1/2 + 2/3 - 1 = 1/6 at 1
    law = fa.free_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 3)))
    atoms = law.atoms(certify=True)
    assert [a.location for a in atoms] == [0, 1]
    for a in atoms:
        assert _contains(a.mass_enclosure, R(1, 6)) and _width(a.mass_enclosure) < 1e-25


def test_spectral_solution_certify():
    # x + y for free semicirculars: semicircle of variance 2, edges -+ 2 sqrt 2
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x + y)
    _check(sol.edges(certify=True), [-2 * sp.sqrt(2), 2 * sp.sqrt(2)])
    # p + q for free projections of traces 1/2, 1/3: atoms tau(p ^ q') = 1/6 at 0 and
    # tau(p ^ q) ... at 1 (Bercovici-Voiculescu): 1/6 each
    p, q = fa.projection("p", R(1, 2)), fa.projection("q", R(1, 3))
    for a in fa.spectrum(p + q).atoms(certify=True):
        assert _contains(a.mass_enclosure, R(1, 6))


def test_higher_precision():
    law = fa.free_poisson(R(1, 2))
    e = law.edges(60, certify=True)[-1]
    assert _contains(e.enclosure, (1 + sp.sqrt(R(1, 2))) ** 2)
    assert _width(e.enclosure) < 1e-55


def test_flint_precision_restored():
    before = flint.ctx.prec
    fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2))).edges(30, certify=True)
    assert flint.ctx.prec == before


# ---------------------------------------------------------------------------------------
# refusals

def test_enclose_exact_expressions():
    # pi, e and a real CRootOf (the real root of x^3 - 2: 2^(1/3))
    for expr in (sp.pi, sp.E, sp.CRootOf(sp.Symbol("x") ** 3 - 2, 0), sp.exp(1) + sp.log(3)):
        lo, hi = cert.enclose(expr, 40)
        assert _contains((lo, hi), expr) and float(hi - lo) < 1e-35


def test_engine_disagreement_is_reported():
    # an edge 1e-10 off claiming 1e-30 (the understated-error defect) is not certified
    law = fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2)))
    edges = law.edges(30)
    with mpmath.workdps(30):
        bad = Edge(edges[0].location + mpmath.mpf("1e-10"), "soft", mpmath.mpf("1e-30"), "left")
    with pytest.raises(NoConvergence, match="disagree"):
        cert.certify_edges(law, [bad, edges[1]], 30)


def test_no_curve_no_certificate():
    # a mixture has no algebraic curve here; a numeric edge of it cannot be certified
    law = fa.mixture([fa.semicircle(1), fa.semicircle(1, 5)], [R(1, 2), R(1, 2)])
    with mpmath.workdps(30):
        e = Edge(mpmath.mpf(7), "soft", mpmath.mpf("1e-30"), "right")
    with pytest.raises(NoConvergence, match="exact"):
        cert.certify_edges(law, [e], 30)


def test_without_flint_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "flint", None)       # import flint -> ImportError
    law = fa.free_poisson(R(1, 2))
    for call in (lambda: law.edges(30, certify=True), lambda: law.atoms(certify=True),
                 lambda: fa.spectrum(fa.semicircular("x")).edges(certify=True)):
        with pytest.raises(OptionalDependencyError, match=r'pip install -e "\.\[certify\]"'):
            call()
    assert law.atoms() and law.edges(30)        # the uncertified calls still work


def test_cusp_and_edges_of_semicircle_plus_bernoulli():
    # s (variance 4) + b (b = -+2, 1/2 each) at the critical separation: subordination
    # G = G_b(z - 4 G) with G_b(z) = z/(z^2 - 4) (Biane 1997) gives the cubic
    # G((z - 4G)^2 - 4) = z - 4G, whose discriminant in G is 256 z^2 (z^2 - 27): soft edges
    # -+ 3 sqrt 3 and the cusp at 0, where two bands touch
    law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))
    G, z = sp.symbols("G z")
    disc = sp.factor(sp.discriminant(sp.expand(G * ((z - 4 * G) ** 2 - 4) - (z - 4 * G)), G))
    assert disc == 256 * z ** 2 * (z ** 2 - 27)
    edges = law.edges(30, certify=True)
    assert [e.kind for e in edges] == ["soft", "cusp", "soft"]
    _check(edges, [-3 * sp.sqrt(3), 0, 3 * sp.sqrt(3)])


def test_float_parameters_certify_the_law_the_floats_store():
    # free_poisson(0.1): the float 0.1 stores the dyadic rational r = 3602879701896397/2^55;
    # edges (1 -+ sqrt r)^2 and the atom 1 - r (Marchenko-Pastur) of that exact law
    r = R(0.1)
    law = fa.free_poisson(0.1)
    _check(law.edges(30, certify=True), [(1 - sp.sqrt(r)) ** 2, (1 + sp.sqrt(r)) ** 2])
    (atom,) = law.atoms(certify=True)
    assert _contains(atom.mass_enclosure, 1 - r)
    assert not _contains(atom.mass_enclosure, R(9, 10))      # 1 - 1/10 is not what is stored


def test_symbolic_law_is_undetermined():
    v = sp.Symbol("v", positive=True)
    with pytest.raises(fa.UndeterminedError):
        fa.semicircle(v).edges(certify=True)
    with pytest.raises(fa.UndeterminedError):
        fa.free_poisson(v).atoms(certify=True)


def test_numerically_identified_atoms_are_not_certified():
    # the linearization finds the atom 1 - tau(p) = 1/2 of p x p numerically and identifies
    # the mass (error > 0): an identification is not a theorem, so no certificate
    p, x = fa.projection("p", R(1, 2)), fa.semicircular("x")
    law = fa.compile(p * x * p, method="linearization").law
    assert law.atoms()[0].error > 0
    with pytest.raises(NoConvergence, match="numerically"):
        law.atoms(certify=True)


@pytest.mark.parametrize("make", [
    lambda: fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2))),
    lambda: fa.free_multiplicative(fa.free_poisson(R(1, 2)), fa.free_poisson(R(1, 3))),
    lambda: fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2])),
])
def test_classification_is_ball_arithmetic(make):
    # every interval between roots of the discriminant is decided by a certified test (real
    # roots, none real, or no real root compatible with a gap), never by the engine's branch
    an = cert._analysis(make(), 30)
    assert an.how and not any("engine" in h for h in an.how)
    # and the statuses: zero outside, a band (or two touching at the cusp) in between
    assert an.status[0] == an.status[-1] == "zero" and "positive" in an.status
