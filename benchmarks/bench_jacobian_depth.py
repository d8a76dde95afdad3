"""Depth sweep for the ReLU Jacobian with Haar orthogonal weights (issue 3 benchmark).

J = D_L O_L ... D_1 O_1 with D_l = sqrt(2) diag(relu'(h)) (law of D_l^2: {0, 2} each w.p. 1/2,
mean 1: the critical normalisation sigma_w^2 = 2) and O_l Haar orthogonal. For each depth L it
prints, side by side:

* compile time of fa.compile(J J^T) (the rules peel one factor per step),
* float64 solve time for 500 density grid points, and the right edge (fold Newton, dps=20),
* Monte Carlo of the real product at N (default 2000; --quick 400) where feasible: time and the
  largest eigenvalue against the theoretical edge.

Usage: python benchmarks/bench_jacobian_depth.py [--quick] [--depths 1,2,5,10,20,50,100]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import sympy as sp

import freealg as fa


def build(L: int):
    half = sp.Rational(1, 2)
    d2 = fa.discrete([0, sp.sqrt(2)], [half, half])
    J = fa.NCPoly.constant(1)
    for l in range(1, L + 1):
        J = fa.selfadjoint(f"d{l}", d2) * fa.haar_orthogonal(f"o{l}") * J
    return J * J.H


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
    args = ap.parse_args()
    depths = [int(x) for x in args.depths.split(",")] if args.depths else (
        [1, 2, 5, 10, 20] if args.quick else [1, 2, 5, 10, 20, 50, 100, 200])
    N = args.mc_n or (400 if args.quick else 2000)
    rng = np.random.default_rng(0)
    print(f"{'L':>5} {'compile s':>10} {'solve500 s':>11} {'edge (dps=20)':>24} {'edge s':>7} "
          f"{'NaN':>4} | {'MC N':>5} {'MC s':>7} {'max eig':>10} {'rel diff':>9}")
    for L in depths:
        t0 = time.perf_counter()
        P = build(L)
        system = fa.compile(P)
        t1 = time.perf_counter()
        law = system.law
        t2 = time.perf_counter()
        edges = law.edges(dps=20)
        t3 = time.perf_counter()
        right = float(edges[-1].location) if edges else float("nan")
        x = np.linspace(1e-3, right if np.isfinite(right) else 10.0, 500)
        t4 = time.perf_counter()
        dens = law.density(x)
        t5 = time.perf_counter()
        mc = ""
        if L <= 50 or not args.quick:
            t6 = time.perf_counter()
            ev = monte_carlo(L, N, rng)
            t7 = time.perf_counter()
            mc = f"{N:>5} {t7 - t6:7.2f} {ev.max():10.4f} {(ev.max() - right) / right:9.2e}"
        print(f"{L:>5} {t1 - t0:10.3f} {t5 - t4:11.3f} {right:24.17f} {t3 - t2:7.2f} "
              f"{int(np.isnan(dens).sum()):>4} | {mc}", flush=True)
    print("\nmax eig of a finite-N sample sits near the edge with O(N^-2/3) fluctuations and a "
          "tiny edge density for deep products (MATH.md §9.6), so 'rel diff' shrinks slowly with N.")


if __name__ == "__main__":
    main()
