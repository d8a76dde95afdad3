"""Depth sweep for the ReLU Jacobian with Haar orthogonal weights (issue 3 benchmark).

J = D_L O_L ... D_1 O_1 with D_l = sqrt(2) diag(relu'(h)) (law of D_l^2: {0, 2} each w.p. 1/2,
mean 1: the critical normalisation sigma_w^2 = 2) and O_l Haar orthogonal. For each depth L it
prints, side by side:

* build time of the polynomial J J^T (4L letters) and compile time of fa.compile(J J^T),
* float64 solve time for 500 density grid points on (0, edge],
* the right edge (fold Newton at dps=20) and its time, against the closed form
  x_+ = L^L / (L-1)^(L-1): S(m) = ((1+m)/(1+2m))^L (S-transform of {0, 2} w.p. 1/2, to the
  power L; Voiculescu 1987) and x_+ = min_m (1+m)/(m S(m)) is reached at m = 1/(L-2),
* Monte Carlo of the real product at N (default 2000; --quick 400) for L <= --mc-max:
  time, the fraction of zero eigenvalues against the exact atom mass 1/2 (Belinschi 2003: the
  atom at 0 of a ⊠ product is the largest atom at 0 of its factors) and the largest eigenvalue
  against the edge.

Usage: python benchmarks/bench_jacobian_depth.py [--quick] [--depths 1,2,5,...] [--mc-max 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import mpmath
import numpy as np
import sympy as sp

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import freealg as fa  # noqa: E402


def build(L: int):
    half = sp.Rational(1, 2)
    d2 = fa.discrete([0, sp.sqrt(2)], [half, half])
    J = fa.NCPoly.constant(1)
    for l in range(1, L + 1):
        J = fa.selfadjoint(f"d{l}", d2) * fa.haar_orthogonal(f"o{l}") * J
    return J * J.H


def edge_reference(L: int):
    if L == 1:
        return mpmath.mpf(2)
    with mpmath.workdps(30):
        return mpmath.mpf(L) ** L / mpmath.mpf(L - 1) ** (L - 1)


def monte_carlo(L: int, N: int, rng):
    J = np.eye(N)
    for _ in range(L):
        Q, R = np.linalg.qr(rng.standard_normal((N, N)))
        Q = Q * np.sign(np.diag(R))
        D = np.sqrt(2) * (rng.random(N) < 0.5)
        J = (D[:, None] * Q) @ J
    return np.linalg.svd(J, compute_uv=False) ** 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--depths", default=None)
    ap.add_argument("--mc-n", type=int, default=None)
    ap.add_argument("--mc-max", type=int, default=None, help="largest L with a Monte Carlo")
    args = ap.parse_args()
    depths = [int(x) for x in args.depths.split(",")] if args.depths else (
        [1, 2, 5, 10, 20] if args.quick else [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000])
    N = args.mc_n or (400 if args.quick else 2000)
    mc_max = args.mc_max if args.mc_max is not None else (20 if args.quick else 50)
    rng = np.random.default_rng(0)
    print(f"{'L':>5} {'build s':>8} {'compile s':>9} {'solve500 s':>10} {'edge (dps=20)':>22} "
          f"{'|edge-ref|/ref':>14} {'edge s':>7} {'NaN':>4} | {'MC N':>5} {'MC s':>7} "
          f"{'zeros':>6} {'max eig':>9} {'rel diff':>9}")
    for L in depths:
        t0 = time.perf_counter()
        P = build(L)
        t1 = time.perf_counter()
        system = fa.compile(P)
        t2 = time.perf_counter()
        law = system.law
        edges = law.edges(dps=20)
        t3 = time.perf_counter()
        # L = 1: the law {0, 2} is purely atomic, its right end is the atom at 2
        right = edges[-1].location if edges else max(a.location for a in law.atoms())
        right = mpmath.mpf(sp.N(right, 30)) if not isinstance(right, mpmath.mpf) else right
        ref = edge_reference(L)
        err = abs(right - ref) / ref
        x = np.linspace(float(right) / 500, float(right), 500)
        t4 = time.perf_counter()
        dens = law.density(x)
        t5 = time.perf_counter()
        mc = ""
        if L <= mc_max:
            t6 = time.perf_counter()
            ev = monte_carlo(L, N, rng)
            t7 = time.perf_counter()
            zeros = float(np.mean(ev < 1e-12 * ev.max()))
            mc = (f"{N:>5} {t7 - t6:7.2f} {zeros:6.3f} {ev.max():9.3f} "
                  f"{(ev.max() - float(right)) / float(right):9.2e}")
        print(f"{L:>5} {t1 - t0:8.3f} {t2 - t1:9.3f} {t5 - t4:10.3f} "
              f"{mpmath.nstr(right, 17):>22} {float(err):14.1e} {t3 - t2:7.2f} "
              f"{int(np.isnan(dens).sum()):>4} | {mc}", flush=True)
    print("\nzeros: fraction of eigenvalues below 1e-12 max (exact atom mass 1/2; sampling "
          "fluctuation ~ N^-1/2, and deep products push bulk eigenvalues below any threshold). "
          "The largest "
          "eigenvalue of a finite-N sample sits near the edge with O(N^-2/3) fluctuations and a "
          "tiny edge density for deep products, so 'rel diff' shrinks slowly "
          "with N.")


if __name__ == "__main__":
    main()
