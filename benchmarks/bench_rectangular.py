#!/usr/bin/env python
"""Rectangular benchmark: the compound Wishart law X^T A X, time and accuracy side by side.

Model
-----
X of shape (1, 3/2) (an N x 3N/2 Gaussian matrix, entries of variance 1/N), A = diag of 1 and 3
with equal weights on the N block. On the 3/2 block X^T A X has the exact atom 1/3 at 0 and a
continuous part (Marchenko-Pastur-Silverstein).

Methods
-------
(a) ``sol.density(x)`` on a numpy grid of 500 points (float64, one vectorised call);
(b) ``sol.density(x_i, dps=30)`` point by point (mpmath);
(c) Monte Carlo: ``fa.sample`` at N = 2000 (a 3000 x 3000 eigvalsh), histogram density of the
    nonzero eigenvalues.

Accuracy reference
------------------
Independent of freealg's engine: the Marchenko-Pastur-Silverstein equation
m(z) = -1/(z - y int tau dH(tau)/(1 + tau m)), y = p/q = 2/3, H = law of v q A (Silverstein
1995), solved by Newton's method in mpmath at 40 digits, continued from z + 10 i down to
x + 1e-30 i, at 25 points of the grid; the density is Im m / pi.

Run: ``python benchmarks/bench_rectangular.py`` (``--quick`` for N = 500 and 100 points).
"""

from __future__ import annotations

import argparse
import time

import mpmath
import numpy as np
import sympy as sp

import freealg as fa


def mps_density(x, p=1, q="1.5", v=1, taus=(1, 3), weights=(0.5, 0.5), dps=40):
    with mpmath.workdps(dps):
        y = mpmath.mpf(p) / mpmath.mpf(q)
        ts = [mpmath.mpf(v) * mpmath.mpf(q) * t for t in taus]
        ws = [mpmath.mpf(w) for w in weights]
        z0 = mpmath.mpf(x)
        m = -1 / (z0 + 10j)
        for s in list(mpmath.linspace(10, 0, 81)) + [mpmath.mpf(10) ** -30]:
            zz = z0 + 1j * s
            m = mpmath.findroot(
                lambda mm, zz=zz: mm * (zz - y * sum(w * t / (1 + t * mm) for t, w in zip(ts, ws)))
                + 1, m)
        return m.imag / mpmath.pi


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, npts = (500, 100) if args.quick else (2000, 500)

    X = fa.gaussian("X", shape=(1, sp.Rational(3, 2)))
    A = fa.selfadjoint("A", fa.discrete([1, 3]))
    M = X.H * A * X
    t0 = time.perf_counter()
    sol = fa.spectrum(M, dps=30)
    (band,) = sol.support()
    t_compile = time.perf_counter() - t0
    lo, hi = float(band.lo), float(band.hi)
    xs = np.linspace(lo, hi, npts + 2)[1:-1]

    t0 = time.perf_counter()
    d64 = sol.density(xs)
    t_f64 = time.perf_counter() - t0
    t0 = time.perf_counter()
    d30 = [sol.density(mpmath.mpf(float(x)), dps=30) for x in xs]
    t_mp = time.perf_counter() - t0

    idx = np.linspace(0, npts - 1, 25).astype(int)
    ref = [mps_density(float(xs[i])) for i in idx]
    err64 = max(abs(float(d64[i]) - float(r)) for i, r in zip(idx, ref))
    with mpmath.workdps(40):
        err30 = float(max(abs(d30[i] - r) for i, r in zip(idx, ref)))

    t0 = time.perf_counter()
    ev = fa.sample(M, n=n, seed=0, threads=1)
    t_mc = time.perf_counter() - t0
    nz = ev[np.abs(ev) > 1e-8]
    edges = np.linspace(lo, hi, 41)
    counts, _ = np.histogram(nz, bins=edges)
    width = edges[1] - edges[0]
    centers = (edges[:-1] + edges[1:]) / 2
    hist = counts / (len(ev) * width)
    theory = sol.density(centers)
    mc_dev = float(np.max(np.abs(hist - theory)))
    atom_mc = float(np.mean(np.abs(ev) <= 1e-8))

    print(f"compound Wishart X^T A X, X (1, 3/2), A = diag(1, 3): law {sol.law.name}")
    print(f"  atoms {sol.atoms()}  (Monte Carlo fraction of zeros: {atom_mc:.6f})")
    print(f"  support [{lo:.12f}, {hi:.12f}]  (compile + support {t_compile:.2f} s)")
    print(f"{'method':<34}{'time (s)':>10}{'vs float64':>12}{'max |error|':>14}")
    print(f"{'(a) float64 grid, ' + str(npts) + ' points':<34}{t_f64:>10.3f}{1:>12.1f}"
          f"{err64:>14.2e}   (vs MPS reference, 25 points)")
    print(f"{'(b) dps=30, ' + str(npts) + ' points':<34}{t_mp:>10.3f}{t_mp / t_f64:>12.1f}"
          f"{err30:>14.2e}   (vs MPS reference at 40 digits)")
    print(f"{'(c) Monte Carlo N=' + str(n):<34}{t_mc:>10.3f}{t_mc / t_f64:>12.1f}"
          f"{mc_dev:>14.2e}   (histogram, 40 bins, vs freealg density)")


if __name__ == "__main__":
    main()
