"""Many-factor ⊠ products and nested compressions: freealg's law solvers vs the S-transform engine.

Two cases of issue 12, timed side by side in one run:

1. **Edges of the ReLU orthogonal Jacobian** J J^T = ⊠ of L copies of 2 * projection(1/2)
   (the law that ``fa.nn.MLP(L, "relu")`` compiles to: ``free_product([(discrete([0, 2]), L)])``).
   freealg: ``law.edges(method="fold")`` (fold Newton on the subordination system). Engine:
   ``relu.edges(dps=30)`` (critical point of z(m) = (1 + m)/(m S(m)) on the real m axis).
   Reference: the closed form L^L/(L-1)^(L-1) (S = ((1+m)/(1+2m))^L, critical point
   m* = 1/(L-2); Pennington-Schoenholz-Ganguli 2018).
2. **Density of the Gaussian-weight Jacobian** J = D_4 W_4 ... D_1 W_1, D_l projections of trace
   3/4, W_l = sqrt(4/3) * circular, at dps=30: freealg with ``method="subordination"``
   (nested subordination through free_compression/free_multiplicative) vs the engine's
   ``density_mp`` on the same tree written with s_compress/s_product/s_scale. The two are
   compared digit by digit (max relative difference).

Usage::

    python benchmarks/bench_products.py          # freealg at L = 100 and 1000 (~60-100 s)
    python benchmarks/bench_products.py --quick  # freealg at L = 100 and 300, 3 density points

Total runtime: about 2-3 minutes on 2 cores (--quick: under a minute).
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
from freealg.numeric.stransform import (s_compress, s_free_poisson, s_power,  # noqa: E402
                                        s_product, s_projection, s_scale)

HALF = sp.Rational(1, 2)


def relu_edge_ref(L: int):
    with mpmath.workdps(50):
        return mpmath.mpf(L) ** L / mpmath.mpf(L - 1) ** (L - 1)


def bench_edges(depths_freealg, depths_engine):
    d = fa.discrete([0, 2], [HALF, HALF])
    rows = []
    for L in sorted(set(depths_freealg) | set(depths_engine)):
        ref = relu_edge_ref(L)
        row = {"L": L}
        if L in depths_freealg:
            law = fa.free_product([(d, L)])
            t0 = time.perf_counter()
            e = law.edges(method="fold")[-1]
            row["fa_s"] = time.perf_counter() - t0
            with mpmath.workdps(50):
                row["fa_err"] = float(abs(mpmath.mpf(e.location) - ref) / ref)
        form = s_power(s_scale(s_projection(HALF), 2), L)
        t0 = time.perf_counter()
        e = form.edges(dps=30)[-1]
        row["en_s"] = time.perf_counter() - t0
        with mpmath.workdps(50):
            row["en_err"] = float(abs(e.location - ref) / ref)
            row["en_bound"] = float(e.error / ref)
        rows.append(row)
    print("\n1. right edge of the ReLU orthogonal Jacobian (closed form L^L/(L-1)^(L-1))")
    print(f"{'L':>6} | {'freealg s':>10} {'rel err':>9} | {'engine s':>9} {'rel err':>9} "
          f"{'bound':>9} | {'speed-up':>8}")
    for r in rows:
        fa_s = f"{r['fa_s']:10.2f}" if "fa_s" in r else f"{'-':>10}"
        fa_e = f"{r['fa_err']:9.1e}" if "fa_err" in r else f"{'-':>9}"
        sp_ = f"{r['fa_s'] / r['en_s']:8.0f}x" if "fa_s" in r else f"{'-':>9}"
        print(f"{r['L']:>6} | {fa_s} {fa_e} | {r['en_s']:9.3f} {r['en_err']:9.1e} "
              f"{r['en_bound']:9.1e} | {sp_}")
    en = {r["L"]: r["en_s"] for r in rows}
    if 100 in en and 1000 in en:
        print(f"engine: L=1000 / L=100 time ratio {en[1000] / en[100]:.2f} (target <= 12)")


def gaussian_jacobian(L=4, t=None):
    t = sp.Rational(3, 4) if t is None else t
    s = sp.sqrt(1 / t)
    J = None
    for l in range(L):
        D = fa.projection(f"d{l}", t)
        W = s * fa.circular(f"c{l}")
        J = D * W if J is None else D * W * J
    law = fa.compile(J * J.H).law
    form = s_compress(s_free_poisson(1), t, ambient=True)
    for _ in range(L - 1):
        form = s_compress(s_product(s_free_poisson(1), form), t, ambient=True)
    return law, s_scale(form, s ** (2 * L))


def bench_density(n_engine, n_freealg):
    law, form = gaussian_jacobian()
    right = float(form.edges(dps=30)[-1].location)
    xs = [right * (k + 0.5) / n_engine for k in range(n_engine)]
    t0 = time.perf_counter()
    for x in xs:
        form.density_mp(x, dps=30)
    t_en = time.perf_counter() - t0
    sub = xs[:: max(1, n_engine // n_freealg)][:n_freealg]
    t0 = time.perf_counter()
    ref = [law.density(x, dps=30, method="subordination") for x in sub]
    t_fa = time.perf_counter() - t0
    with mpmath.workdps(40):
        diff = max(float(abs(form.density_mp(x, dps=30) - r) / abs(r)) for x, r in zip(sub, ref))
    xg = np.linspace(0.01, right, 1000)
    t0 = time.perf_counter()
    dens = form.density_np(xg)
    t_np = time.perf_counter() - t0
    print(f"\n2. density of the Gaussian-weight Jacobian (L=4, trace 3/4), dps=30, support "
          f"[0, {right:.6f}]")
    print(f"{'':>24} | {'points':>6} {'total s':>9} {'s/point':>9}")
    print(f"{'freealg law.density':>24} | {len(sub):>6} {t_fa:9.2f} {t_fa / len(sub):9.3f}")
    print(f"{'engine density_mp':>24} | {len(xs):>6} {t_en:9.2f} {t_en / len(xs):9.4f}")
    print(f"{'engine density_np':>24} | {xg.size:>6} {t_np:9.3f} {t_np / xg.size:9.5f}  "
          f"(float64, {int(np.isnan(dens).sum())} NaN)")
    print(f"per-point speed-up at dps=30: {(t_fa / len(sub)) / (t_en / len(xs)):.0f}x; "
          f"max relative difference on the common points {diff:.1e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.quick:
        bench_edges([100, 300], [100, 300, 1000])
        bench_density(20, 3)
    else:
        bench_edges([100, 1000], [2, 10, 100, 1000, 10000])
        bench_density(20, 8)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
