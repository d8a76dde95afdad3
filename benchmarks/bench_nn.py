"""Issue 6 benchmark: Jacobian spectra of ReLU networks (orthogonal weights, critical) for
L = 10, 100, 1000 - compile, edge, 500-point density grid - side by side with a Monte Carlo of
the real network at N (default 1000) where affordable, plus lambda_max of the per-sample FIM by
the chi-curve against depth.

Usage: python benchmarks/bench_nn.py [--quick] [--depths 10,100,1000] [--mc-max 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import freealg as fa  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--depths", default=None)
    ap.add_argument("--mc-n", type=int, default=1000)
    ap.add_argument("--mc-max", type=int, default=None)
    ap.add_argument("--activation", default="relu")
    args = ap.parse_args()
    depths = [int(x) for x in args.depths.split(",")] if args.depths else (
        [10, 100] if args.quick else [10, 100, 1000])
    mc_max = args.mc_max if args.mc_max is not None else (10 if args.quick else 100)
    print(f"activation={args.activation}, orthogonal weights, critical sigma_w")
    print(f"{'L':>5} {'setup+compile s':>15} {'edge s':>7} {'edge':>14} {'grid500 s':>9} | "
          f"{'MC N':>5} {'MC s':>7} {'smoothed G err':>14} {'m1 MC':>7}")
    for L in depths:
        t0 = time.perf_counter()
        net = fa.nn.MLP(L, args.activation)
        sol = net.jacobian_spectrum(dps=20)
        _ = sol.system
        t1 = time.perf_counter()
        edge = float(net.max_singular_value(20)) ** 2
        t2 = time.perf_counter()
        x = np.linspace(edge / 500, edge, 500)
        dens = sol.density(x)
        t3 = time.perf_counter()
        mc = ""
        if L <= mc_max:
            t4 = time.perf_counter()
            ev = net.sample_jacobian(n=args.mc_n, seed=0, threads=1)
            t5 = time.perf_counter()
            gam = 0.1 * edge / L
            xs = np.linspace(3 * gam, float(np.quantile(ev, 0.99)), 40)
            z = xs + 1j * gam
            gt = sol.cauchy(z)
            ge = (1 / (z[:, None] - ev[None, :])).mean(axis=1)
            err = float(np.linalg.norm(gt - ge) / np.linalg.norm(gt))
            mc = f"{args.mc_n:>5} {t5 - t4:7.2f} {err:14.2e} {ev.mean():7.3f}"
        print(f"{L:>5} {t1 - t0:15.2f} {t2 - t1:7.2f} {edge:14.6f} {t3 - t2:9.2f} | {mc}"
              f"   NaN={int(np.isnan(dens).sum())}", flush=True)
    print("\nlambda_max of the per-sample FIM (chi-curve, exact S-transforms), ReLU vs "
          "near-isometric hard-tanh (sigma_w = 1, sigma_b = 0.05):")
    for L in ([5, 10, 20] if args.quick else [5, 10, 20, 50, 100]):
        t = time.perf_counter()
        a = float(fa.nn.MLP(L, "relu").lambda_max(15))
        b = float(fa.nn.MLP(L, "hard_tanh", sigma_w=1, sigma_b=0.05).lambda_max(15))
        print(f"  L={L:>4}  relu {a:14.4f} (/L {a / L:9.4f})   hard_tanh {b:10.4f} (/L {b / L:7.4f})"
              f"   {time.perf_counter() - t:6.2f} s", flush=True)


if __name__ == "__main__":
    main()
