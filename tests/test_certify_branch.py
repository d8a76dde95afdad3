"""Certified mode where P(., x) has both real and non-real roots: the branch of G(x + i0) is
followed in ball arithmetic from the upper half-plane (no engine value is trusted).

References are independent of the certifying code: the Wigner closed form, and for Wachter ⊞
semicircle a curve and a Cauchy transform derived here from the S-transform of free projections
(Voiculescu) and the subordination of a semicircular sum (Biane 1997), evaluated by a plain
fixed-point iteration in floating point.
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

import mpmath
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import NoConvergence
from freealg.numeric import certify as cert
from freealg.numeric.records import Edge

flint = pytest.importorskip("flint")

R = sp.Rational
W = 80          # digits of the reference roots
A, B, V = R(1, 3), R(1, 4), R(1, 100)


def _law():
    return fa.free_additive(fa.wachter(A, B), fa.semicircle(V))


def _reference_discriminant_roots():
    """Real roots (80 digits) of Disc_G of the curve of wachter(a, b) ⊞ semicircle(v).

    p q p (free projections, traces a, b) = bernoulli(a) ⊠ bernoulli(b): S(w) = (1 + w)^2 /
    ((w + a)(w + b)) (Voiculescu), so psi = wG - 1 solves w psi (1 + psi) = (psi + a)(psi + b),
    i.e. (w - 1) psi^2 + (w - a - b) psi - ab = 0; adding a free semicircular of variance v
    subordinates G(z) = G_W(z - v G(z)) (Biane 1997)."""
    G, z = sp.symbols("G z")
    w = z - V * G
    psi = w * G - 1
    P = sp.expand((w - 1) * psi ** 2 + (w - A - B) * psi - A * B)
    disc = sp.Poly(sp.discriminant(sp.Poly(P, G).as_expr(), G), z)
    return [sp.N(r, W) for r in disc.real_roots()]


def _reference_G(x: float, eps: float = 1e-9) -> complex:
    """G(x + i eps) by the subordination fixed point omega = z - v G_W(omega) (it converges in
    the upper half-plane), with the Wachter transform of the quadratic above on the branch
    G_W ~ 1/w: sqrt((w - e-)(w - e+)) as a product of principal roots, e-+ the Wachter edges
    a + b - 2ab -+ sqrt(4ab(1 - a)(1 - b)) (Wachter 1980)."""
    a, b, v = float(A), float(B), float(V)
    r = math.sqrt(4 * a * b * (1 - a) * (1 - b))
    em, ep = a + b - 2 * a * b - r, a + b - 2 * a * b + r

    def gw(w):
        psi = (-(w - a - b) + cmath.sqrt(w - em) * cmath.sqrt(w - ep)) / (2 * (w - 1))
        return (1 + psi) / w
    z = complex(x, eps)
    om = z
    for _ in range(400000):
        nxt = z - v * gw(om)
        if abs(nxt - om) < 1e-13:
            return gw(nxt)
        om = nxt
    raise AssertionError(f"reference iteration did not converge at {x}")


def _contains(enclosure, value) -> bool:
    lo, hi = enclosure
    with mpmath.workdps(W):
        return mpmath.mpf(lo) <= mpmath.mpf(value) <= mpmath.mpf(hi)


def test_mixed_roots_are_decided_by_tracking_and_match_the_reference():
    # on the band around 0 and on the thin gap right of the Wachter band, P(., x) has real and
    # non-real roots, and the Cauchy-Schwarz gap test cannot decide the gap
    an = cert._analysis(_law(), 30)
    assert any("tracked" in h for h in an.how)
    assert not any("engine" in h for h in an.how)
    for i, status in enumerate(an.status):
        s = float(an._samples(i)[0])
        im = -_reference_G(s).imag / math.pi           # the reference density at s
        assert (status == "positive") == (im > 1e-4), (i, s, status, im)


def test_mixed_branch_edges_contain_the_reference_edges():
    roots = _reference_discriminant_roots()
    # the reference density decides which roots are band ends: a band [r_0, r] with r the
    # discriminant root between 0.844 (density > 0) and 0.846 (density 0)
    assert -_reference_G(0.844).imag > 1e-2 and abs(_reference_G(0.846).imag) < 1e-5
    assert -_reference_G(-0.18).imag > 1e-2 and abs(_reference_G(-0.19).imag) < 1e-5
    right = [r for r in roots if 0.844 < r < 0.846]
    assert len(right) == 1
    edges = _law().edges(30, certify=True)
    assert [e.side for e in edges] == ["left", "right"]
    for e, ref in zip(edges, [roots[0], right[0]]):
        assert _contains(e.enclosure, ref)
        assert float(e.enclosure[1] - e.enclosure[0]) < 1e-25


def test_tracking_picks_the_physical_semicircle_branch():
    # semicircle of variance 1: G^2 - z G + 1 = 0, G(x + i0) = (x - i sqrt(4 - x^2))/2 on the
    # band and (x - sqrt(x^2 - 4))/2 outside it (Wigner); both roots are candidates
    z = sp.Symbol("z")
    polys = [sp.Poly(1, z, domain="QQ"), sp.Poly(-z, z, domain="QQ"), sp.Poly(1, z, domain="QQ")]
    with cert._precision(flint, 128):
        coefs = [(q, q.derivative()) for q in (cert._acb_poly_q(flint, c) for c in polys)]
        for s, want in [(Fraction(1), complex(0.5, -math.sqrt(3) / 2)),
                        (Fraction(-3, 2), complex(-0.75, -math.sqrt(7) / 4)),
                        (Fraction(3), (3 - math.sqrt(5)) / 2),
                        (Fraction(-5, 2), -1 / 2)]:
            q = flint.fmpq_poly([1, -flint.fmpq(s.numerator, s.denominator), 1])
            roots = [r for r, _m in q.complex_roots()]
            k = cert._track(flint, coefs, s, roots, Fraction(16))
            assert k is not None
            assert abs(complex(roots[k].mid()) - want) < 1e-12


def test_untrackable_branch_is_refused(monkeypatch):
    # when the branch cannot be followed, no status is guessed: NoConvergence says so
    monkeypatch.setattr(cert, "_track", lambda *args: None)
    with pytest.raises(NoConvergence, match="could not be followed"):
        _law().edges(30, certify=True)


def test_exact_edge_off_the_certified_root_is_refused():
    # semicircle(4) ⊞ {-2, 2} (critical separation): edges -+ 3 sqrt 3 and the cusp 0 (Biane
    # 1997; see test_certify). An exact value 1e-28 off an edge, with no error claimed, is a
    # wrong formula: it must not get a (narrow) enclosure that misses the true edge
    law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))
    good = [Edge(-3 * sp.sqrt(3), "soft", 0, "left"), Edge(sp.Integer(0), "cusp", 0, ""),
            Edge(3 * sp.sqrt(3), "soft", 0, "right")]          # the closed forms, as records
    bad = Edge(3 * sp.sqrt(3) + R(1, 10 ** 28), "soft", 0, "right")
    with pytest.raises(NoConvergence, match="excludes"):
        cert.certify_edges(law, [good[0], good[1], bad], 30)
    # the true exact edges are enclosed by the certified roots of the discriminant
    for e, ref in zip(cert.certify_edges(law, good, 30), [-3 * sp.sqrt(3), 0, 3 * sp.sqrt(3)]):
        lo, hi = e.enclosure
        assert lo <= ref <= hi and float(hi - lo) < 1e-25


def test_interior_point_where_the_density_is_analytic_is_refused():
    # the discriminant of wachter ⊞ semicircle(1/100) has a root inside the band (about
    # -0.1502, where two other branches of the curve meet); G itself is analytic there, so an
    # engine 'cusp' at that root must be refused, not certified
    roots = _reference_discriminant_roots()
    assert -_reference_G(-0.16).imag > 1e-2 and -_reference_G(-0.14).imag > 1e-2
    inner = [r for r in roots if -0.16 < r < -0.14]
    assert len(inner) == 1
    right = [r for r in roots if 0.844 < r < 0.846]
    with mpmath.workdps(30):
        edges = [Edge(mpmath.mpf(sp.N(x, 40)), kind, mpmath.mpf("1e-29"), side)
                 for x, kind, side in [(roots[0], "soft", "left"), (inner[0], "cusp", ""),
                                       (right[0], "soft", "right")]]
    with pytest.raises(NoConvergence, match="analytic"):
        cert.certify_edges(_law(), edges, 30)
    # the same records without the false cusp are certified
    assert len(cert.certify_edges(_law(), [edges[0], edges[2]], 30)) == 2


def test_cusp_is_certified_real():
    # semicircle(4) ⊞ {-2, 2}: at the cusp 0 the cubic G((z - 4G)^2 - 4) = z - 4G becomes
    # 16 G^3 = 0 (Biane 1997 subordination; see test_certify): a triple real root, so the
    # density tends to 0 there; the certificate accepts it, and rejects the same point
    # claimed as 'singular' (G stays bounded: the leading coefficient does not vanish)
    law = fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2]))
    an = cert._analysis(law, 30)
    (k,) = [i for i, r in enumerate(an.roots) if r.contains(0)]
    assert an.confirm_interior(k, "cusp") == "interior point certified"
    with pytest.raises(NoConvergence, match="bounded"):
        an.confirm_interior(k, "singular")


def test_boolean_atoms_are_certified_poles():
    # Boolean convolution adds F = 1/G minus z (Speicher-Woroudi 1997): for bernoulli(1/2),
    # F = 2z(z - 1)/(2z - 1), so F + F - z = z(2z - 3)/(2z - 1) and G = (2z - 1)/(z(2z - 3)):
    # atoms at 0 (residue 1/3) and 3/2 (residue 2/3)
    law = fa.boolean_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 2)))
    atoms = law.atoms(certify=True)
    for a, (x, m) in zip(atoms, [(0, R(1, 3)), (R(3, 2), R(2, 3))]):
        lo, hi = a.enclosure
        mlo, mhi = a.mass_enclosure
        assert lo <= x <= hi and mlo <= m <= mhi
        assert float(hi - lo) < 1e-25 and float(mhi - mlo) < 1e-25
    # an engine mass 1e-30 off the residue is refused, not enclosed
    bad = fa.Atom(0, R(1, 3) + R(1, 10 ** 30), 0)
    with pytest.raises(NoConvergence, match="residue"):
        cert.certify_atoms([bad], 30, law)


def test_boolean_cusp_of_exponent_two_and_pole_atoms():
    # semicircle(1) ⊎ {-3, 3} (Speicher-Woroudi 1997): F = F_sc + F_d - z with
    # F_sc = (z + sqrt(z^2 - 4))/2 and F_d = (z^2 - 9)/z. The density is positive exactly where
    # sqrt(z^2 - 4) is imaginary, (-2, 2), except at 0, where F_d has a pole: G = 1/F = 0 there
    # (a cusp, density ~ x^2). Atoms: the real zeros x of F outside [-2, 2], mass 1/F'(x)
    law = fa.boolean_additive(fa.semicircle(1), fa.discrete([-3, 3]))
    edges = law.edges(30, certify=True)
    assert [e.kind for e in edges] == ["soft", "cusp", "soft"]
    for e, ref in zip(edges, [-2, 0, 2]):
        lo, hi = e.enclosure
        assert lo <= ref <= hi and float(hi - lo) < 1e-25
    x = sp.Symbol("x", positive=True)
    F = (x + sp.sqrt(x ** 2 - 4)) / 2 + (x ** 2 - 9) / x - x
    (x0,) = [r for r in sp.solve(sp.Eq(F, 0), x) if r > 2]
    mass = 1 / sp.diff(F, x).subs(x, x0)                 # exact, evaluated at 80 digits
    atoms = law.atoms(certify=True)
    assert len(atoms) == 2
    for a, ref in zip(atoms, [-x0, x0]):          # F is odd: the atoms are -+ x0, same mass
        lo, hi = a.enclosure
        mlo, mhi = a.mass_enclosure
        with mpmath.workdps(W):
            assert mpmath.mpf(lo) <= mpmath.mpf(sp.N(ref, W)) <= mpmath.mpf(hi)
            assert mpmath.mpf(mlo) <= mpmath.mpf(sp.N(mass, W)) <= mpmath.mpf(mhi)
        assert float(hi - lo) < 1e-25 and float(mhi - mlo) < 1e-25
