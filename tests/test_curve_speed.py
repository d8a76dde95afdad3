"""The float64 curve engine at speed: how many root solves a density costs, and that the fast
path (Cardano's roots for cubic curves, the grid followed between root permutations) still
picks the physical branch to 1e-12, in gaps and next to edges included.

References for the branch: on the support the boundary value G(x + i0) has Im G = -pi rho < 0,
and a real cubic has at most one root with Im < 0, so on a band the physical root is the one
with negative imaginary part, and off the support the density is 0. The bands are bounded by
real roots of the discriminant of the curve in G (computed exactly with sympy); which of the
intervals between them are bands is confirmed by the mass of the reference density (1: the laws
below have no atoms, Bercovici-Voiculescu 1998).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate

import freealg as fa
from freealg.numeric import curve as cm
from freealg.numeric.curve import AlgebraicCurve

G, Z = sp.symbols("G z")
R = sp.Rational

# semicircle(1) ⊞ MP(1/2): z = R(G) + 1/G with R(w) = w + 1/(1 - w/2) (R-transforms add,
# Voiculescu 1986), times 2 G (1 - G/2):
SC_MP = sp.Poly(G**3 - (Z + 2) * G**2 + (2 * Z - 1) * G - 2, G, Z)
# (δ_{-3} + δ_3)/2 ⊞ semicircle(1): subordination G = G_mu(z - G) with G_mu(w) = w/(w^2 - 9)
# (omega(z) = z - G for a semicircular summand, Biane 1997), cleared of denominators:
TWO = sp.Poly(G**3 - 2 * Z * G**2 + Z**2 * G - 8 * G - Z, G, Z)


def _bands(P):
    """Exact real roots of Disc_G P, and the intervals between them where the cubic has a
    conjugate pair of roots (candidate bands)."""
    disc = sp.Poly(sp.discriminant(P.as_expr(), G), Z)
    edges = [float(r) for r in sp.real_roots(disc)]
    cands = []
    for a, b in zip(edges[:-1], edges[1:]):
        roots = np.roots([float(c) for c in sp.Poly(P.as_expr().subs(Z, (a + b) / 2), G)
                          .all_coeffs()])
        if np.sum(np.abs(roots.imag) > 1e-9) == 2:
            cands.append((a, b))
    return edges, cands


def _coeff_fns(P):
    """The coefficients of G^n, ..., G^0 as functions of z (numpy and mpmath)."""
    return [sp.lambdify(Z, c, "mpmath") for c in sp.Poly(P.as_expr(), G).all_coeffs()]


def _rho_float(fns, x):
    """-Im(root with Im < 0)/pi of P(., x) in float64 (0 when every root is real)."""
    roots = np.roots([complex(f(x)) for f in fns])
    return max(0.0, -float(np.min(roots.imag)) / np.pi)


def _reference(fns, x, bands):
    """The density at x: inside a band the root with Im < 0 (np.roots), polished by Newton's
    method at 30 digits until the step is below 1e-25; 0 outside the bands."""
    out = np.zeros(x.size)
    with mpmath.workdps(30):
        for i, xi in enumerate(x):
            if not any(a < xi < b for a, b in bands):
                continue
            cs = [f(mpmath.mpf(float(xi))) for f in fns]
            roots = np.roots([complex(c) for c in cs])
            g = mpmath.mpc(complex(roots[np.argmin(roots.imag)]))
            dcs = [c * (len(cs) - 1 - k) for k, c in enumerate(cs[:-1])]
            for _ in range(20):
                step = mpmath.polyval(cs, g) / mpmath.polyval(dcs, g)
                g -= step
                if abs(step) < mpmath.mpf(10) ** -25:
                    break
            else:
                raise AssertionError(f"reference Newton did not converge at {xi}")
            out[i] = float(-mpmath.im(g) / mpmath.pi)
    return out


def _grid(lo, hi, edges):
    """1000 points on [lo, hi] plus points 1e-6 and 1e-4 (relative) on both sides of each edge."""
    near = [e + s * h * (1 + abs(e)) for e in edges for h in (1e-6, 1e-4) for s in (-1, 1)]
    return np.concatenate([np.linspace(lo, hi, 1000), near])


def test_sc_mp_curve_is_the_hand_derived_one():
    law = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))
    assert sp.expand(law.curve().as_expr() - SC_MP.as_expr()) == 0


@pytest.mark.parametrize("P, lo, hi", [(SC_MP, -3.0, 5.0), (TWO, -6.0, 6.0)],
                         ids=["sc+mp", "two-bands"])
def test_density_matches_the_reference(P, lo, hi):
    edges, cands = _bands(P)
    fns = _coeff_fns(P)
    # the candidate bands carry the whole mass: they are the support (no atoms)
    mass = sum(integrate.quad(lambda t: _rho_float(fns, t), a, b, limit=200)[0]
               for a, b in cands)
    assert abs(mass - 1) < 1e-7
    x = _grid(lo, hi, edges)
    ref = _reference(fns, x, cands)
    got = AlgebraicCurve(P).density_np(x)
    assert not np.any(np.isnan(got))
    # float64 accuracy at 1e-6 from a square-root edge: eps / sqrt(1e-6) ~ 1e-13
    # (the gap of the two-band law and the outside included: reference 0 there)
    assert np.max(np.abs(got - ref)) < 1e-12


def _counting(monkeypatch):
    """Count numpy eigvals calls and root batches of the curve engine."""
    calls = {"eigvals": 0, "batches": 0}
    eigvals = np.linalg.eigvals
    roots_np = AlgebraicCurve._roots_np

    def counted_eigvals(M):
        calls["eigvals"] += 1
        return eigvals(M)

    def counted_roots(self, z, coeffs=False):
        calls["batches"] += 1
        return roots_np(self, z, coeffs)

    monkeypatch.setattr(cm.np.linalg, "eigvals", counted_eigvals)
    monkeypatch.setattr(AlgebraicCurve, "_roots_np", counted_roots)
    return calls


def test_cubic_density_costs_two_root_batches_and_no_eigvals(monkeypatch):
    law = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))
    x = np.linspace(-3, 5, 1000)
    law.density(x)                                  # build the curve engine first
    calls = _counting(monkeypatch)
    law.density(x)
    # the grid, and one batch for the vertical anchoring (start points and ladders together);
    # every cubic on this grid is certified, so no companion matrix is solved
    assert calls == {"eigvals": 0, "batches": 2}


def test_quartic_density_costs_at_most_two_eigvals_calls(monkeypatch):
    # Fuss-Catalan law of order 3 (the free multiplicative cube of MP(1)): z^3 G^4 - z G + 1
    curve = AlgebraicCurve(sp.Poly(Z**3 * G**4 - Z * G + 1, G, Z))
    x = np.linspace(0.01, 11, 1000)
    curve.density_np(x[:3])
    calls = _counting(monkeypatch)
    rho = curve.density_np(x)
    # the grid, and the anchoring batch
    assert calls["eigvals"] <= 2 and calls["batches"] <= 2
    # support [0, 4^4/3^3] (the moments binom(4k, k)/(3k + 1) grow like (256/27)^k)
    assert not np.any(np.isnan(rho)) and np.all(rho[x < 9.4] > 0)
    assert np.all(np.abs(rho[x > 9.5]) < 1e-12)


def test_cubic_roots_certified_and_accurate():
    rng = np.random.default_rng(7)
    n = 2000
    # well separated roots (|r_i - r_j| >= 0.1, |r| <= 10): every row certified, roots exact
    # to the conditioning (<= ~1e4 eps here)
    for real in (True, False):
        r = rng.uniform(-10, 10, (n, 3))
        if not real:
            r = r + 1j * rng.uniform(-10, 10, (n, 3))
        sep = np.min([np.abs(r[:, 0] - r[:, 1]), np.abs(r[:, 0] - r[:, 2]),
                      np.abs(r[:, 1] - r[:, 2])], axis=0)
        r = r[sep >= 0.1]
        b = -(r[:, 0] + r[:, 1] + r[:, 2])
        c = r[:, 0] * r[:, 1] + r[:, 0] * r[:, 2] + r[:, 1] * r[:, 2]
        d = -(r[:, 0] * r[:, 1] * r[:, 2])
        roots, cert = cm._cubic_roots(b, c, d)
        assert cert.all()
        err = np.max([np.min(np.abs(roots - r[:, [j]]), axis=1) for j in range(3)], axis=0)
        assert np.max(err / np.maximum(1, np.abs(r).max(axis=1))) < 1e-11
        if real:
            # real arithmetic: a real root is exactly real, a pair exactly conjugate
            nreal = np.sum(roots.imag == 0, axis=1)
            pair = nreal == 1
            assert np.all((nreal == 3) | pair)
            assert np.all(roots[pair, 1] == np.conj(roots[pair, 2]))
    # a triple root, and a cubic whose roots span 16 orders of magnitude: either certified or
    # left to the companion matrix by the caller; certified roots reproduce the coefficients
    roots, cert = cm._cubic_roots(np.array([-3.0]), np.array([3.0]), np.array([-1.0]))
    assert cert[0] and np.allclose(roots, 1, atol=1e-5)


def test_uncertified_rows_fall_back_on_the_companion_matrix():
    # G^3 + (z - 3) G^2 + 3 G - 1: a triple root G = 1 at z = 0, where Cardano's roots are as
    # ill-conditioned as the problem; every row must come back with three roots of P(., z)
    curve = AlgebraicCurve(sp.Poly(G**3 + (Z - 3) * G**2 + 3 * G - 1, G, Z))
    z = np.concatenate([np.linspace(-1e-3, 1e-3, 201), np.linspace(-2, 2, 101)]) + 0j
    roots, _, good = curve._roots_np(z)
    assert good.all() and np.all(np.isfinite(roots))
    for zi, ri in zip(z, roots):
        ref = np.roots([1, zi - 3, 3, -1])
        # root error <= conditioning: eps^(1/3) next to the triple root
        scale = 1e-4 if abs(zi) < 1e-2 else 1e-9
        assert max(np.min(np.abs(ref - r)) for r in ri) < scale
