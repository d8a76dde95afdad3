#!/usr/bin/env python
"""Certified mode: the time of each certified call next to the uncertified one.

For each law, with fresh law objects (no cached results):

* ``edges``: ``law.edges(dps)`` (the engine: exact formulas, or the curve / fold / bisection
  search at dps digits);
* ``edges cert``: ``law.edges(dps, certify=True)`` on a fresh object: the same search plus the
  certificate (arb balls for exact edges; for numeric ones the certified isolation of the real
  roots of the curve's discriminant and the density's status on each side, decided in ball
  arithmetic; the "(mixed)" row is a law where P(., x) has real and non-real roots, decided by
  following the branch of G from the upper half-plane);
* ``overhead``: the certificate alone (``certify_edges`` on the edges already found);
* ``atoms`` / ``atoms cert``: ``law.atoms()`` and ``law.atoms(certify=True)`` (the "(poles)"
  row: atoms certified as simple poles of G, not from an atom theorem);
* ``width``: the widest edge enclosure (the requirement is < 10^-(dps-5), relative above 1);
* ``err(ref)``: the largest distance from an enclosure's midpoint to an independent reference
  (closed forms from the literature; for semicircle ⊞ free Poisson the real roots of the
  discriminant derived from the R-transforms, at 80 digits); '-' where none is given here.

Caches shared between equal laws (sympy's cache, curve engines) make the second of the two
edge searches cheaper than a cold one; ``overhead`` is the certificate's own cost.

Run: ``python benchmarks/bench_certify.py`` (``--dps 50`` for more digits). Needs python-flint
(``pip install -e ".[certify]"``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

import mpmath  # noqa: E402
import sympy as sp  # noqa: E402

import freealg as fa  # noqa: E402
from freealg.numeric.certify import certify_edges  # noqa: E402

R = sp.Rational


def _sc_fp_roots(lam):
    # semicircle(1) ⊞ free_poisson(lam): z = R(G) + 1/G with R(w) = w + lam/(1 - w)
    G, z = sp.symbols("G z")
    P = sp.expand(z * G * (1 - G) - G ** 2 * (1 - G) - lam * G - (1 - G))
    return [sp.N(r, 80) for r in sp.Poly(sp.discriminant(P, G), z).real_roots()]


def _wachter_sc_edges(a, b, v):
    # wachter(a, b) ⊞ semicircle(v): psi = wG - 1 solves (w - 1) psi^2 + (w - a - b) psi - ab
    # = 0 (S-transform of bernoulli(a) ⊠ bernoulli(b), Voiculescu) at w = z - v G (Biane's
    # subordination); one band, from the smallest real root of the discriminant to the root
    # just above 0.844 (the density, by the subordination fixed point, is > 0 at 0.844 and 0 at
    # 0.846; see tests/test_certify_branch.py)
    G, z = sp.symbols("G z")
    w = z - v * G
    psi = w * G - 1
    P = sp.expand((w - 1) * psi ** 2 + (w - a - b) * psi - a * b)
    roots = [sp.N(r, 80) for r in sp.Poly(sp.discriminant(P, G), z).real_roots()]
    return [roots[0], [r for r in roots if 0.844 < r < 0.846][0]]


def cases():
    s = sp.sqrt(R(1, 2))
    a, b = R(1, 3), R(1, 4)
    r = sp.sqrt(4 * a * b * (1 - a) * (1 - b))
    return [
        ("semicircle(2, 1)", lambda: fa.semicircle(2, 1),
         [1 - 2 * sp.sqrt(2), 1 + 2 * sp.sqrt(2)]),                       # Wigner
        ("free_poisson(1/2, 3)", lambda: fa.free_poisson(R(1, 2), 3),
         [3 * (1 - s) ** 2, 3 * (1 + s) ** 2]),                            # Marchenko-Pastur
        ("wachter(1/3, 1/4)", lambda: fa.wachter(a, b),
         [a + b - 2 * a * b - r, a + b - 2 * a * b + r]),                   # Wachter 1980
        ("kesten_mckay(3)", lambda: fa.kesten_mckay(3),
         [-2 * sp.sqrt(2), 2 * sp.sqrt(2)]),                               # Kesten 1959
        ("semicircle(1) ⊞ free_poisson(1/2)",
         lambda: fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2))),
         _sc_fp_roots(R(1, 2))),
        ("free_poisson(1/2) ⊠ free_poisson(1/3)",
         lambda: fa.free_multiplicative(fa.free_poisson(R(1, 2)), fa.free_poisson(R(1, 3))),
         None),
        ("compression(bernoulli(1/4), 1/2)",
         lambda: fa.free_compression(fa.bernoulli(R(1, 4)), R(1, 2)),
         [R(3, 4) - R(1, 4) - sp.sqrt(R(3, 16)), R(3, 4) - R(1, 4) + sp.sqrt(R(3, 16))]),
        ("bernoulli(1/2) ⊞ bernoulli(1/3)",
         lambda: fa.free_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 3))), None),
        ("wachter(1/3,1/4) ⊞ semicircle(1/100) mixed",
         lambda: fa.free_additive(fa.wachter(a, b), fa.semicircle(R(1, 100))),
         _wachter_sc_edges(a, b, R(1, 100))),
        ("bernoulli(1/2) ⊎ bernoulli(1/2) (poles)",
         lambda: fa.boolean_additive(fa.bernoulli(R(1, 2)), fa.bernoulli(R(1, 2))), None),
        ("semicircle(4) ⊞ discrete{-2, 2} (cusp)",
         lambda: fa.free_additive(fa.semicircle(4), fa.discrete([-2, 2])),
         [-3 * sp.sqrt(3), 0, 3 * sp.sqrt(3)]),
    ]


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def midpoint_error(cert, refs) -> str:
    if refs is None:
        return "-"
    with mpmath.workdps(90):
        errs = [abs((mpmath.mpf(e.enclosure[0]) + mpmath.mpf(e.enclosure[1])) / 2
                    - mpmath.mpf(sp.N(ref, 90))) for e, ref in zip(cert, refs)]
        return "%.1e" % float(max(errs))


def row(name, make, refs, dps) -> str:
    _, t_e = timed(make().edges, dps)
    cert, t_c = timed(make().edges, dps, certify=True)
    law = make()
    _, t_o = timed(certify_edges, law, law.edges(dps), dps)
    _, t_a = timed(make().atoms)
    _, t_ac = timed(make().atoms, certify=True, dps=dps)
    width = max((float(e.enclosure[1] - e.enclosure[0]) for e in cert), default=0.0)
    return (f"{name:42s} {t_e:8.3f} {t_c:10.3f} {t_o:9.3f} {t_a:8.4f} {t_ac:10.4f} "
            f"{width:9.1e} {midpoint_error(cert, refs):>9s}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dps", type=int, default=30)
    args = ap.parse_args()
    dps = args.dps
    head = (f"{'law':42s} {'edges':>8s} {'edges cert':>10s} {'overhead':>9s} {'atoms':>8s} "
            f"{'atoms cert':>10s} {'width':>9s} {'err(ref)':>9s}")
    print(f"dps = {dps}; times in seconds, fresh law objects\n{head}\n{'-' * len(head)}")
    for name, make, refs in cases():
        print(row(name, make, refs, dps), flush=True)


if __name__ == "__main__":
    main()
