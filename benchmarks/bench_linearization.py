#!/usr/bin/env python
"""Linearization benchmark: the anticommutator x y + y x of free standard semicirculars.

No structural rule applies, so ``fa.spectrum`` solves it by the automatic linearization
(k = 3) and the operator-valued semicircle equation (freealg.laws.operator_valued).

Methods, on 500 grid points in the bulk (cell midpoints of [-0.999 e, 0.999 e],
e = sqrt((11 + 5 sqrt 5)/2) the support edge):

(a) ``sol.density(x)`` with x a numpy array (float64 path, one vectorised call);
(b) ``sol.density(x_i, dps=30)`` point by point (mixed-precision Newton, mpmath residuals);
(c) Monte Carlo: eigenvalues of X Y + Y X for two independent GOE matrices of size N = 2000
    (histogram density with 50 bins, compared at the bin centres).

Reference (independent of the engine): a^2 - b^2 with a, b = (x +- y)/sqrt 2 free
semicirculars has R(w) = 2w/(1 - w^2), so z G^3 + G^2 - z G + 1 = 0; the root with
Im G < 0 at each grid point (mpmath.polyroots, 50 digits) gives rho = -Im G / pi.

Usage::

    python benchmarks/bench_linearization.py            # all 500 points at dps=30 (~1-2 min)
    python benchmarks/bench_linearization.py --quick    # dps=30 on 100 of the 500 points
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import mpmath
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import freealg as fa  # noqa: E402


def reference(xs, dps=50):
    out = []
    with mpmath.workdps(dps):
        for t in xs:
            X = mpmath.mpf(float(t))
            roots = mpmath.polyroots([X, 1, -X, 1], extraprec=4 * dps, maxsteps=200)
            g = [r for r in roots if mpmath.im(r) < -mpmath.mpf(10) ** (-dps // 2)]
            assert len(g) == 1
            out.append(-mpmath.im(g[0]) / mpmath.pi)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    x, y = fa.semicircular("x"), fa.semicircular("y")
    t0 = time.perf_counter()
    sol = fa.spectrum(x * y + y * x, dps=30)
    t_compile = time.perf_counter() - t0
    e = float(mpmath.sqrt((11 + 5 * mpmath.sqrt(5)) / 2))
    n = args.n
    edges = np.linspace(-0.999 * e, 0.999 * e, n + 1)
    xs = 0.5 * (edges[1:] + edges[:-1])

    t0 = time.perf_counter()
    ref = reference(xs)
    t_ref = time.perf_counter() - t0
    ref_f = np.array([float(r) for r in ref])

    sol.law._cache.pop("problem", None)
    t0 = time.perf_counter()
    d = sol.density(xs)
    t_np = time.perf_counter() - t0
    err_np = float(np.max(np.abs(d - ref_f)))

    idx = np.arange(n) if not args.quick else np.arange(0, n, 5)
    t0 = time.perf_counter()
    err_mp = mpmath.mpf(0)
    for i in idx:
        v = sol.density(mpmath.mpf(float(xs[i])), dps=30)
        with mpmath.workdps(50):
            err_mp = max(err_mp, abs(v - ref[i]))
    t_mp = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    N = 2000
    t0 = time.perf_counter()
    A = rng.standard_normal((N, N))
    X = (A + A.T) / np.sqrt(2 * N)
    B = rng.standard_normal((N, N))
    Y = (B + B.T) / np.sqrt(2 * N)
    ev = np.linalg.eigvalsh(X @ Y + Y @ X)
    hist, be = np.histogram(ev, bins=50, range=(-e, e), density=True)
    t_mc = time.perf_counter() - t0
    centres = 0.5 * (be[1:] + be[:-1])
    err_mc = float(np.max(np.abs(hist - np.array([float(r) for r in reference(centres)]))))

    print(f"anticommutator x y + y x, linearization k = {sol.law.k}; compile {t_compile:.2f} s; "
          f"reference (polyroots, 50 digits, {n} points) {t_ref:.2f} s")
    print(f"{'method':38s} {'points':>7s} {'time [s]':>10s} {'max |error|':>12s}")
    print(f"{'(a) density(ndarray) float64':38s} {n:7d} {t_np:10.3f} {err_np:12.2e}")
    print(f"{'(b) density(x_i, dps=30)':38s} {len(idx):7d} {t_mp:10.3f} "
          f"{float(err_mp):12.2e}")
    print(f"{'(c) Monte Carlo N=2000, 50-bin hist':38s} {50:7d} {t_mc:10.3f} {err_mc:12.2e}")


if __name__ == "__main__":
    main()
