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

Second part: MLP widths
-----------------------
``fa.nn.MLP(2, "relu", weights, sigma_w=sqrt 2, widths=[1, 3/2, 1/2])`` for Gaussian and
orthogonal weights: the law of J J^T on the output side (widths are ratios of N). (a) float64
density on 500 points, (b) dps=30 density on 25 of them (the reference of (a)'s accuracy: the
same law at 30 digits), (c) ``net.sample_jacobian(n=2000)`` (real networks, widths 2000, 3000,
1000), histogram of the nonzero eigenvalues against the float64 density, with the binomial
standard error of the worst bin beside it.

Run: ``python benchmarks/bench_rectangular.py`` (``--quick`` for N = 500 and 100 points;
``--part wishart`` or ``--part mlp`` for one part).
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


def bench_mlp(n: int, npts: int) -> None:
    """Part two (module docstring): MLP Jacobians with widths [1, 3/2, 1/2]."""
    widths = [1, sp.Rational(3, 2), sp.Rational(1, 2)]
    print(f"MLP depth 2, relu, sigma_w = sqrt 2, widths {[str(w) for w in widths]}: J J^T")
    print(f"{'weights / method':<40}{'time (s)':>10}{'vs float64':>12}{'max |error|':>14}")
    for weights in ("gaussian", "orthogonal"):
        net = fa.nn.MLP(2, "relu", weights, sigma_w=sp.sqrt(2), widths=widths)
        t0 = time.perf_counter()
        sol = net.jacobian_spectrum()
        bands = sol.support()
        atoms = sol.atoms()
        t_compile = time.perf_counter() - t0
        lo, hi = float(bands[0].lo), float(bands[-1].hi)
        xs = np.linspace(lo, hi, npts + 2)[1:-1]
        t0 = time.perf_counter()
        d64 = np.asarray(sol.density(xs), float)
        t_f64 = time.perf_counter() - t0
        idx = np.linspace(0, npts - 1, 25).astype(int)
        t0 = time.perf_counter()
        d30 = [sol.density(mpmath.mpf(float(xs[i])), dps=30) for i in idx]
        t_mp = (time.perf_counter() - t0) * npts / len(idx)
        err64 = max(abs(float(d64[i]) - float(r)) for i, r in zip(idx, d30))
        t0 = time.perf_counter()
        ev = net.sample_jacobian(n=n, seed=0, threads=1)
        t_mc = time.perf_counter() - t0
        nz = ev[ev > 1e-8]
        edges = np.linspace(lo, hi, 41)
        counts, _ = np.histogram(nz, bins=edges)
        width = edges[1] - edges[0]
        hist = counts / (len(ev) * width)
        theory = np.asarray(sol.density((edges[:-1] + edges[1:]) / 2), float)
        k = int(np.argmax(np.abs(hist - theory)))
        mc_dev = float(abs(hist[k] - theory[k]))
        se = float(np.sqrt(max(counts[k], 1)) / (len(ev) * width))
        atom_mc = float(np.mean(ev <= 1e-8))
        print(f"{weights}: atoms {[(str(a.location), str(a.mass)) for a in atoms]} (Monte "
              f"Carlo zeros {atom_mc:.4f}), support [{lo:.10f}, {hi:.10f}], compile + support "
              f"{t_compile:.2f} s")
        print(f"{'  (a) float64, ' + str(npts) + ' points':<40}{t_f64:>10.3f}{1:>12.1f}"
              f"{err64:>14.2e}   (vs dps=30, 25 points)")
        print(f"{'  (b) dps=30, ' + str(npts) + ' points (est.)':<40}{t_mp:>10.3f}"
              f"{t_mp / t_f64:>12.1f}{'-':>14}")
        print(f"{'  (c) Monte Carlo N=' + str(n):<40}{t_mc:>10.3f}{t_mc / t_f64:>12.1f}"
              f"{mc_dev:>14.2e}   (histogram, 40 bins; bin std error {se:.1e})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--part", choices=("all", "wishart", "mlp"), default="all")
    args = ap.parse_args()
    n, npts = (500, 100) if args.quick else (2000, 500)
    if args.part in ("all", "mlp"):
        bench_mlp(n, npts)
    if args.part == "mlp":
        return

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
