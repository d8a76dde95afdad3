"""Atoms, edges, bands and total mass of free convolutions against theorems and closed forms.

References (independent of freealg's engine):

* atoms of ⊞: Bercovici-Voiculescu 1998 (OTAA 104): a + b is an atom of mu ⊞ nu iff
  mu({a}) + nu({b}) > 1, with mass mu({a}) + nu({b}) - 1;
* atoms of ⊠: Belinschi 2003 (IEOT 46): mu ⊠ nu({0}) = max(mu({0}), nu({0})); for a, b > 0,
  ab is an atom iff mu({a}) + nu({b}) > 1, mass mu({a}) + nu({b}) - 1;
* edges: semicircle +-2 sqrt(v) (variances add); free Poisson (1 -+ sqrt(lam))^2 (rates add;
  Marchenko-Pastur 1967); arcsine [0, 2] for Bernoulli(1/2)^{⊞2}; Fuss-Catalan [0, 27/4]
  (Penson-Zyczkowski 2011); Wachter lambda_pm (Wachter 1980, Collins 2005);
  Bernoulli(t)^{⊞2}: 1 +- 2 sqrt(t(1 - t)) (derived below from the subordination equation of
  mu ⊞ mu, a quadratic whose discriminant is (z - 1)^2 - 4t(1 - t)).

The expected atom masses are written out by hand from the theorems (not computed by a copy of the
library's loop).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from _references import wachter_edges
from freealg.laws.spectral import confirm_atoms, mass_check

R = sp.Rational
EDGE_TOL = mpmath.mpf("1e-20")


def bern(t):
    return fa.bernoulli(t)


def _id(x):
    """Readable test ids: the law's repr (shortened); pytest's default for the rest."""
    return repr(x)[:70] if isinstance(x, fa.Law) else None


def _atoms_dict(law):
    return {a.location: a.mass for a in law.atoms()}


def _to_mp(x, dps=50):
    with mpmath.workdps(dps):
        if isinstance(x, (mpmath.mpf, mpmath.mpc)):
            return +x
        return sp.N(sp.sympify(x), dps + 10)._to_mpmath(mpmath.mp.prec)


# --------------------------------------------------------------------------------------------
# exact atom masses


ADDITIVE_ATOMS = [
    # (mu, nu, expected atoms), worked out by hand from Bercovici-Voiculescu
    (bern(R(1, 3)), bern(R(1, 4)), {0: R(5, 12), 1: R(1, 12)}),       # 0+0: 2/3 + 3/4 - 1,
                                                                      # 1+0: 1/3 + 3/4 - 1
    (bern(R(1, 3)), bern(R(1, 3)), {0: R(1, 3)}),                     # 2/3 + 2/3 - 1
    (bern(R(7, 10)), bern(R(7, 10)), {2: R(2, 5)}),                   # 7/10 + 7/10 - 1 at 1 + 1
    (bern(R(1, 3)), bern(R(3, 4)), {1: R(5, 12), 2: R(1, 12)}),       # 0+1: 2/3 + 3/4 - 1,
                                                                      # 1+1: 1/3 + 3/4 - 1
    (bern(R(3, 5)), bern(R(4, 5)), {1: R(1, 5), 2: R(2, 5)}),         # 0 + 1 and 1 + 1
    (bern(R(1, 2)), bern(R(1, 2)), {}),                               # 1/2 + 1/2 - 1 = 0
    (fa.discrete([0, 1, 3], [R(1, 2), R(1, 4), R(1, 4)]),
     fa.discrete([-1, 2], [R(3, 4), R(1, 4)]), {-1: R(1, 4)}),        # 1/2 + 3/4 - 1 at 0 - 1
    (bern(R(1, 3)), fa.semicircle(1), {}),                            # no atoms with a semicircle
]


@pytest.mark.parametrize("mu, nu, expected", ADDITIVE_ATOMS)
def test_free_additive_atoms_exact(mu, nu, expected):
    law = fa.free_additive(mu, nu)
    atoms = law.atoms()
    assert _atoms_dict(law) == expected
    for a in atoms:
        assert isinstance(a.mass, sp.Rational) and a.error == 0
    # sorted by location
    assert [a.location for a in atoms] == sorted(expected)
    # the same from the other side
    assert _atoms_dict(fa.free_additive(nu, mu)) == expected


MULTIPLICATIVE_ATOMS = [
    # (mu, nu, expected atoms), worked out by hand from Belinschi 2003
    (bern(R(1, 3)), bern(R(1, 4)), {0: R(3, 4)}),                     # max(2/3, 3/4); 1/3+1/4 < 1
    (bern(R(7, 10)), bern(R(7, 10)), {0: R(3, 10), 1: R(2, 5)}),
    (bern(R(1, 3)), bern(R(3, 4)), {0: R(2, 3), 1: R(1, 12)}),        # 1/3 + 3/4 - 1 at 1
    (bern(R(1, 2)), bern(R(1, 2)), {0: R(1, 2)}),
    (bern(R(1, 3)), fa.free_poisson(R(1, 2)), {0: R(2, 3)}),          # max(2/3, 1/2)
    (bern(R(3, 4)), fa.free_poisson(R(1, 2)), {0: R(1, 2)}),          # max(1/4, 1/2)
    (fa.discrete([0, 2], [R(1, 4), R(3, 4)]), bern(R(2, 3)),
     {0: R(1, 3), 2: R(5, 12)}),                                      # 3/4 + 2/3 - 1 at 2 * 1
]


@pytest.mark.parametrize("mu, nu, expected", MULTIPLICATIVE_ATOMS)
def test_free_multiplicative_atoms_exact(mu, nu, expected):
    law = fa.free_multiplicative(mu, nu)
    assert _atoms_dict(law) == expected
    for a in law.atoms():
        assert isinstance(a.mass, sp.Rational) and a.error == 0
    assert _atoms_dict(fa.free_multiplicative(nu, mu)) == expected


# --------------------------------------------------------------------------------------------
# numeric confirmation of the atoms (lim i y G(a + i y))
#
# confirm_atoms evaluates Re(i y G(a + i y)) at y = 10^-(dps//3 + 2) * scale, i.e. y ~ 1e-12 at
# dps=30. The continuous part contributes int y^2/(y^2 + (x - a)^2) rho(x) dx to it:
# * atom at distance d from the bands: <= y^2/d^2 (~ 1e-24/d^2), so 1e-18 is safe for d >= 1e-3;
# * atom at a hard edge where rho ~ c |x - a|^{-1/2}: ~ c pi sqrt(y/2) ~ 1e-6,
#   so 1e-5.

ISOLATED = mpmath.mpf("1e-18")
AT_HARD_EDGE = mpmath.mpf("1e-5")

CONFIRM_CASES = [
    (fa.free_additive(bern(R(1, 3)), bern(R(1, 4))), ISOLATED),
    (fa.free_additive(bern(R(1, 3)), bern(R(1, 3))), ISOLATED),
    (fa.free_additive(bern(R(7, 10)), bern(R(7, 10))), ISOLATED),
    (fa.free_additive(bern(R(3, 5)), bern(R(4, 5))), ISOLATED),
    (fa.free_multiplicative(bern(R(1, 3)), bern(R(3, 4))), ISOLATED),
    # Wachter(7/10, 7/10): lambda_- = 0, the atom at 0 sits at an x^{-1/2} edge; the atom at 1
    # is isolated (lambda_+ = 21/25)
    (fa.free_multiplicative(bern(R(7, 10)), bern(R(7, 10))), AT_HARD_EDGE),
    (fa.free_multiplicative(bern(R(1, 2)), bern(R(1, 2))), AT_HARD_EDGE),  # Wachter(1/2, 1/2)
    (fa.free_compression(bern(R(3, 4)), R(2, 3), ambient=True), ISOLATED),
    (fa.free_compression(bern(R(3, 4)), R(2, 3)), ISOLATED),
    (fa.free_compression(bern(R(1, 3)), R(1, 2)), ISOLATED),
    (fa.free_compression(bern(R(1, 2)), R(1, 2), ambient=True), AT_HARD_EDGE),
]


@pytest.mark.parametrize("law, tol", CONFIRM_CASES, ids=_id)
def test_confirm_atoms(law, tol):
    out = confirm_atoms(law, dps=30)
    assert len(out) == len(law.atoms()) > 0
    for atom, numeric, diff in out:
        with mpmath.workdps(30):
            # the reported difference is |numeric - exact mass|
            assert abs(abs(numeric - _to_mp(atom.mass)) - diff) <= mpmath.mpf("1e-28")
        assert diff <= tol, (atom, numeric, diff)


# --------------------------------------------------------------------------------------------
# edges


def _check_edges(law, expected, dps=30, tol=EDGE_TOL):
    """expected: list of (exact location, kind, side), sorted."""
    edges = law.edges(dps=dps)
    got = [(e.kind, e.side) for e in edges]
    assert got == [(k, s) for _, k, s in expected], edges
    for e, (loc, _, _) in zip(edges, expected):
        exact = _to_mp(loc)
        if isinstance(e.location, sp.Basic):
            # an exact (snapped) edge must be exactly right
            assert sp.simplify(e.location - loc) == 0, (e, loc)
            assert e.error == 0
            continue
        with mpmath.workdps(50):
            diff = abs(_to_mp(e.location) - exact)
        assert diff <= tol, (e, loc, diff)
        # no number without its error: the reported error bounds the actual one
        assert diff <= max(_to_mp(e.error), mpmath.mpf("1e-29")), (e, diff)


def test_edges_semicircle_sum():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    r = 2 * sp.sqrt(3)
    _check_edges(law, [(-r, "soft", "left"), (r, "soft", "right")])


def test_edges_shifted_semicircle_sum():
    law = fa.free_additive(fa.semicircle(R(1, 2), 1), fa.semicircle(R(1, 4), -2))
    r = 2 * sp.sqrt(R(3, 4))  # variances add, means add
    _check_edges(law, [(-1 - r, "soft", "left"), (-1 + r, "soft", "right")])


@pytest.mark.parametrize("a, b", [(R(1, 2), 1), (R(1, 4), R(1, 4)), (2, R(3, 2))])
def test_edges_free_poisson_sum(a, b):
    law = fa.free_additive(fa.free_poisson(a), fa.free_poisson(b))
    lam = sp.sympify(a) + b
    _check_edges(law, [((1 - sp.sqrt(lam)) ** 2, "soft", "left"),
                       ((1 + sp.sqrt(lam)) ** 2, "soft", "right")])


def test_edges_free_poisson_sum_rate_one_hard_left_edge():
    # free_poisson(1/2) ⊞ free_poisson(1/2) = free_poisson(1): density ~ x^{-1/2} at 0 (hard),
    # soft edge at 4
    law = fa.free_additive(fa.free_poisson(R(1, 2)), fa.free_poisson(R(1, 2)))
    _check_edges(law, [(0, "hard", "left"), (4, "soft", "right")])


def test_edges_arcsine():
    law = fa.free_additive(bern(R(1, 2)), bern(R(1, 2)))
    _check_edges(law, [(0, "hard", "left"), (2, "hard", "right")])


def test_edges_fuss_catalan():
    # density ~ x^{-2/3} at 0 (hard), square-root edge at 27/4 (Penson-Zyczkowski 2011)
    law = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))
    _check_edges(law, [(0, "hard", "left"), (R(27, 4), "soft", "right")])


@pytest.mark.parametrize("t", [R(1, 3), R(7, 10)])
def test_edges_bernoulli_square(t):
    # mu ⊞ mu for mu = bernoulli(t): subordination 2w = z + F_mu(w) reduces to
    # w^2 + (2t - 1 - z) w + z(1 - t) = 0, discriminant (z - 1)^2 - 4t(1 - t): edges
    # 1 -+ 2 sqrt(t(1 - t)), square-root (soft)
    law = fa.free_additive(bern(t), bern(t))
    r = 2 * sp.sqrt(t * (1 - t))
    _check_edges(law, [(1 - r, "soft", "left"), (1 + r, "soft", "right")])


WACHTER = [(R(1, 3), R(1, 2)), (R(2, 3), R(3, 4)), (R(1, 2), R(1, 3))]


@pytest.mark.parametrize("t, s", WACHTER)
@pytest.mark.parametrize("ambient", [False, True])
def test_edges_compression_wachter(t, s, ambient):
    law = fa.free_compression(bern(s), t, ambient=ambient)
    lo, hi = wachter_edges(t, s)
    _check_edges(law, [(lo, "soft", "left"), (hi, "soft", "right")])


@pytest.mark.parametrize("ambient", [False, True])
def test_edges_compression_wachter_half_half(ambient):
    # t = s = 1/2: lambda_pm = 0, 1, inverse-square-root (hard) edges
    law = fa.free_compression(bern(R(1, 2)), R(1, 2), ambient=ambient)
    _check_edges(law, [(0, "hard", "left"), (1, "hard", "right")])


def test_edges_product_of_projections():
    law = fa.free_multiplicative(bern(R(1, 3)), bern(R(3, 4)))
    lo, hi = wachter_edges(R(1, 3), R(3, 4))
    _check_edges(law, [(lo, "soft", "left"), (hi, "soft", "right")])


def test_edges_product_of_equal_projections():
    # alpha = beta: lambda_- lambda_+ = (alpha - beta)^2 = 0, so lambda_- = 0 and the density
    # sqrt((l+ - x) x)/(2 pi x (1 - x)) ~ x^{-1/2} there: a hard edge (on the atom at 0)
    law = fa.free_multiplicative(bern(R(7, 10)), bern(R(7, 10)))
    lo, hi = wachter_edges(R(7, 10), R(7, 10))
    assert lo == 0
    _check_edges(law, [(0, "hard", "left"), (hi, "soft", "right")])


# --------------------------------------------------------------------------------------------
# no spurious bands around atoms

BAND_CASES = [
    # (law, [exact bands])
    (fa.free_additive(bern(R(1, 3)), bern(R(1, 3))),
     [(1 - 2 * sp.sqrt(R(2, 9)), 1 + 2 * sp.sqrt(R(2, 9)))]),
    (fa.free_additive(bern(R(7, 10)), bern(R(7, 10))),
     [(1 - 2 * sp.sqrt(R(21, 100)), 1 + 2 * sp.sqrt(R(21, 100)))]),
    (fa.free_compression(bern(R(3, 4)), R(2, 3), ambient=True), [wachter_edges(R(2, 3), R(3, 4))]),
    (fa.free_compression(bern(R(3, 4)), R(2, 3)), [wachter_edges(R(2, 3), R(3, 4))]),
    (fa.free_compression(bern(R(1, 2)), R(1, 3), ambient=True), [wachter_edges(R(1, 3), R(1, 2))]),
    (fa.free_compression(bern(R(1, 3)), R(1, 2), ambient=True), [wachter_edges(R(1, 2), R(1, 3))]),
    # regression: at commit a828103 this law had a spurious band [0.0, ~4.4e-19] at its atom at 0
    (fa.free_compression(bern(R(1, 3)), R(1, 2)), [wachter_edges(R(1, 2), R(1, 3))]),
    (fa.free_multiplicative(bern(R(1, 3)), bern(R(3, 4))), [wachter_edges(R(1, 3), R(3, 4))]),
    (fa.free_multiplicative(bern(R(7, 10)), bern(R(7, 10))), [wachter_edges(R(7, 10), R(7, 10))]),
]


@pytest.mark.parametrize("law, bands", BAND_CASES, ids=_id)
def test_no_spurious_bands(law, bands):
    got = law.support()
    assert len(got) == len(bands), got
    for b, (lo, hi) in zip(got, bands):
        with mpmath.workdps(50):
            assert abs(_to_mp(b.lo) - _to_mp(lo)) <= EDGE_TOL, (b, lo)
            assert abs(_to_mp(b.hi) - _to_mp(hi)) <= EDGE_TOL, (b, hi)
    # every atom lies outside the open bands
    for a in law.atoms():
        for b in got:
            assert not (float(b.lo) < float(a.location) < float(b.hi))


def test_no_spurious_bands_float_parameter():
    # bernoulli(0.7) ⊞ bernoulli(0.7): atom 0.4 at 2 and one band 1 -+ 2 sqrt(0.21); with a
    # float parameter the comparison is at float precision
    law = fa.free_additive(bern(0.7), bern(0.7))
    atoms = law.atoms()
    assert len(atoms) == 1 and atoms[0].location == 2
    assert abs(float(atoms[0].mass) - 0.4) < 1e-14
    bands = law.support()
    assert len(bands) == 1
    r = 2 * np.sqrt(0.21)
    assert abs(float(bands[0].lo) - (1 - r)) < 1e-12
    assert abs(float(bands[0].hi) - (1 + r)) < 1e-12


# --------------------------------------------------------------------------------------------
# total mass: continuous part plus atoms


def _fast_mass(law, bands):
    """Integral of the float64 density over the closed-form bands plus the exact atoms.

    x = lo + (hi - lo) sin^2(th/2) makes both square-root and inverse-square-root endpoint
    behaviour smooth in th; Gauss-Legendre with 400 nodes."""
    th, w = np.polynomial.legendre.leggauss(400)
    th = (th + 1) * np.pi / 2
    w = w * np.pi / 2
    cont = 0.0
    for lo, hi in bands:
        lo, hi = float(lo), float(hi)
        x = lo + (hi - lo) * np.sin(th / 2) ** 2
        cont += float(np.sum(w * law.density(x) * (hi - lo) * np.sin(th) / 2))
    atoms = sum(float(a.mass) for a in law.atoms())
    return cont, atoms


MASS_CASES = BAND_CASES + [
    (fa.free_compression(bern(R(1, 2)), R(1, 2), ambient=True), [(0, 1)]),
    (fa.free_multiplicative(bern(R(1, 2)), bern(R(1, 2))), [(0, 1)]),
    (fa.free_additive(fa.free_poisson(R(1, 4)), fa.free_poisson(R(1, 4))),
     [((1 - sp.sqrt(R(1, 2))) ** 2, (1 + sp.sqrt(R(1, 2))) ** 2)]),
]


@pytest.mark.parametrize("law, bands", MASS_CASES, ids=_id)
def test_total_mass_density_plus_atoms(law, bands):
    cont, atoms = _fast_mass(law, bands)
    # the continuous mass is 1 - (sum of the theoretical atoms)
    assert abs(cont + atoms - 1) <= 1e-8, (cont, atoms)


@pytest.mark.parametrize("law", [law for law, _ in MASS_CASES] + [
    # Fuss-Catalan: density ~ x^{-2/3} at 0 (the sin^2 substitution above does not make it smooth)
    fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))], ids=_id)
def test_mass_check(law):
    # freealg's own check (integrates over law.support(), so a spurious or missing band shows)
    out = mass_check(law)
    assert out["deviation"] <= 1e-8, out
    assert abs(out["atoms"] - sum(float(a.mass) for a in law.atoms())) < 1e-15


def test_numeric_edges_of_a_catalog_law():
    """numeric_edges works on any Law (bisection where no fold system exists; it used to raise
    AttributeError): the semicircle's edges are -2 and 2, within the reported error."""
    import mpmath

    import freealg as fa
    from freealg.laws.spectral import numeric_edges

    edges = numeric_edges(fa.semicircle(1), dps=20)
    assert [e.kind for e in edges] == ["soft", "soft"]
    for e, ref in zip(edges, (-2, 2)):
        assert abs(mpmath.mpf(e.location) - ref) <= e.error < 1e-10


def test_affine_edges_map_the_inner_edges():
    """Edges of a X + b are a e + b with the kinds of X (sides swap for a < 0); this used to
    run a fold Newton with no unknowns for affine images of leaf laws (IndexError)."""
    import sympy as sp

    import freealg as fa

    e = fa.affine(fa.semicircle(1), -2, 1).edges()
    assert [(x.location, x.kind, x.side) for x in e] == [(-3, "soft", "left"),
                                                         (5, "soft", "right")]
    bands = fa.affine(fa.free_poisson(4), -1, 2).support()                   # 2 - [1, 9]
    assert [(b.lo, b.hi) for b in bands] == [(-7, 1)]
    h = sp.Symbol("h")
    D = fa.activation("D", sp.tanh(h), sp.Rational(1, 5))
    inner = fa.spectrum(D * D, dps=15).edges()
    shifted = fa.spectrum(1 + D * D, dps=15).edges()
    assert [x.location for x in shifted] == [x.location + 1 for x in inner]
    assert [x.kind for x in shifted] == [x.kind for x in inner]


def test_density_at_an_atom_is_the_continuous_density():
    """At the atom 0 of p x p (tau(p) = 1/3) the density of the absolutely continuous part is
    sqrt(4t)/(2 pi) (compressed semicircle: t x semicircle of variance t, Nica-Speicher 1996).
    The mpmath path used to continue onto the pole and never return; the linearization path
    raised LinAlgError in float64."""
    import mpmath
    import numpy as np
    import sympy as sp

    import freealg as fa

    t = sp.Rational(1, 3)
    p, x = fa.projection("p", t), fa.semicircular("x")
    ref = sp.sqrt(4 * t) / (2 * sp.pi)
    rules = fa.spectrum(p * x * p)
    with mpmath.workdps(40):
        assert abs(rules.density(0.0, dps=30) - mpmath.mpf(sp.N(ref, 40))) < mpmath.mpf(10) ** -29
    lin = fa.spectrum(p * x * p, method="linearization")
    assert abs(lin.density(np.array([0.0]))[0] - float(ref)) < 1e-5   # float64: +-1e-6 mean
    assert abs(lin.density(0.0, dps=15) - float(ref)) < 1e-13
