#!/usr/bin/env python
"""Monte Carlo benchmark: sampling time, theory-vs-simulation numbers, a freeness table.

Run from the repository root::

    python benchmarks/bench_montecarlo.py            # N = 500, 1000, 2000 (a few minutes on 2 cores)
    python benchmarks/bench_montecarlo.py --quick    # N = 250, 500
    python benchmarks/bench_montecarlo.py --big      # adds N = 4000
    python benchmarks/bench_montecarlo.py --threads 1   # BLAS threads while sampling

What it prints
--------------
1. Seconds per realisation (model + polynomial evaluation + eigvalsh/svd), min over 2 repeats,
   for a few expressions at each N (numpy back end; torch when installed, on CUDA if present;
   dask with 2 workers vs serial for 20 trials when dask.distributed is installed).
2. ``compare`` against ``fa.spectrum(expr)`` at the largest N: KS with its N-derived threshold,
   W1, the largest moment error relative to its scale, and the verdict.
3. A freeness table: fitted decay exponents of mixed moments for free pairs (expected -1) and
   non-free pairs (expected 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

import freealg as fa  # noqa: E402
from freealg.montecarlo import compare, freeness_test, sample  # noqa: E402
from freealg.montecarlo._deps import blas_threads, have  # noqa: E402


def expressions():
    h = sp.Symbol("h")
    x, y = fa.semicircular("x"), fa.semicircular("y", 2)
    u = fa.haar_unitary("u")
    c = fa.circular("c")
    p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
    a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    e1, e2 = fa.commuting(fa.activation("e1", sp.Max(h, 0), 2), fa.activation("e2", sp.Max(h, 0), 2))
    W1, W2 = fa.haar_orthogonal("W1"), fa.haar_orthogonal("W2")
    J = e2 * W2 * e1 * W1
    return {
        "x + y (GOE)": x + y,
        "u + u* (Haar unitary)": u + u.H,
        "c c* (Ginibre)": c * c.H,
        "p q p (projections)": p * q * p,
        "x + u a u*": x + u * a * u.H,
        "J J^T depth 2 (ReLU)": J * J.H,
    }


def timed(fn, repeats=2):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--big", action="store_true")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    ns = (250, 500) if args.quick else (500, 1000, 2000) + ((4000,) if args.big else ())
    exprs = expressions()
    print(f"numpy {np.__version__}, {os.cpu_count()} CPUs, BLAS threads: "
          f"{args.threads or 'default'}")
    print("\n1. seconds per realisation (numpy back end, min of 2)")
    print(f"{'expression':<26}" + "".join(f"{'N=' + str(n):>10}" for n in ns))
    last = {}
    with blas_threads(args.threads):
        for name, e in exprs.items():
            row = []
            for n in ns:
                t, ev = timed(lambda: sample(e, n=n, seed=1))
                row.append(t)
                last[name] = ev
            print(f"{name:<26}" + "".join(f"{t:>10.2f}" for t in row), flush=True)
        if have("torch"):
            import torch
            dev = "cuda" if torch.cuda.is_available() else "cpu"
            print(f"\n   torch back end on {dev}")
            for name, e in list(exprs.items())[:3]:
                row = []
                for n in ns:
                    sample(e, n=min(n, 200), backend="torch")       # warm-up
                    t, _ = timed(lambda: sample(e, n=n, seed=1, backend="torch"))
                    row.append(t)
                print(f"{name:<26}" + "".join(f"{t:>10.2f}" for t in row), flush=True)
        if have("dask") and have("distributed"):
            import distributed
            e = exprs["x + y (GOE)"]
            n = ns[0]
            t_serial, _ = timed(lambda: sample(e, n=n, trials=20, seed=2), 1)
            with distributed.Client(n_workers=2, threads_per_worker=1,
                                    dashboard_address=None) as client:
                t_dask, _ = timed(lambda: sample(e, n=n, trials=20, seed=2, backend="dask",
                                                 client=client, threads=1), 1)
            print(f"\n   20 trials of x + y at N={n}: serial {t_serial:.2f} s, dask 2 workers "
                  f"{t_dask:.2f} s")

    print(f"\n2. compare(fa.spectrum(expr), sample(expr, N={ns[-1]}))")
    print(f"{'expression':<26}{'KS':>9}{'thresh':>9}{'W1':>9}{'mom/scale':>11}  verdict   theory s")
    for name, e in exprs.items():
        t0 = time.perf_counter()
        sol = fa.spectrum(e)
        rep = compare(sol, last[name], moments=6)
        t = time.perf_counter() - t0
        worst = max(err / s for *_, err, s in rep.moments)
        print(f"{name:<26}{rep.ks:>9.4f}{rep.ks_threshold:>9.4f}{rep.w1:>9.4f}{worst:>11.2f}  "
              f"{'agrees' if rep.agrees else 'DISAGREES':<9}{t:>8.1f}", flush=True)

    print("\n3. freeness tests, N = 100..800, 10 trials (rms of centred mixed moments)")
    x, y = fa.semicircular("x"), fa.semicircular("y")
    o = fa.haar_orthogonal("o")
    a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    b = fa.selfadjoint("b", fa.discrete([0, 1, 3]))

    def mlp(n, rng):
        from freealg.montecarlo.samplers import NumpyOps
        haar = NumpyOps(rng).haar
        v = rng.standard_normal(n)
        for _ in range(2):
            W = haar(n, n, False)
            hh = 1.5 * W @ v
            D = 1 - np.tanh(hh) ** 2
            v = np.tanh(hh)
        return W, np.diag(D)

    def perm(n, rng):
        d = rng.permutation(np.linspace(-1, 1, n))
        return np.diag(d), np.diag(d[np.roll(np.arange(n), n // 3)])

    pairs = {"x, y (GOE)": (x, y), "a, o b o^T": (a, o * b * o.H),
             "W_2, D_2 (tanh MLP)": (mlp, None), "x, x^2": (x, x ** 2),
             "D, P D P^T (fixed P)": (perm, None)}
    print(f"{'pair':<24}{'exponent':>10}{'+-':>7}  verdict        seconds")
    with blas_threads(args.threads):
        for name, (A, B) in pairs.items():
            t0 = time.perf_counter()
            rep = freeness_test(A, B, n_values=(100, 200, 400, 800), trials=10, seed=0)
            print(f"{name:<24}{rep.exponent:>10.3f}{rep.exponent_se:>7.3f}  {rep.verdict:<14}"
                  f"{time.perf_counter() - t0:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
