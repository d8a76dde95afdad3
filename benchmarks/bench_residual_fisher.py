"""Residual-network Fisher information, smooth activations: lambda_max on the product of
tanh-sinh rules against scrambled Sobol rules, side by side in one run, with real networks.

For each (activation, L): the product rule's edge, claim and time (where its patterns fit),
the Sobol rules' edge, claim (99.9 % Student t over 8 scramblings) and time, the distance
between the two over the Sobol claim (must stay below 1), and the top eigenvalue of
``sample_fisher(n)`` over a few draws divided by the edge. alpha = 1/2, orthogonal weights.

Usage: python benchmarks/bench_residual_fisher.py [--quick] [--cases tanh:3,tanh:6] [--n 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import freealg as fa  # noqa: E402

FULL = "tanh:3,elu:4,selu:3,softplus:3,tanh:6,tanh:10,gelu:4,softplus:4"
QUICK = "tanh:3,selu:3,tanh:5"


def _edge(net, **kw):
    t = time.perf_counter()
    rf = net.residual_fisher(**kw)
    e = rf.right_edge()
    return float(e.location), float(e.error), time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", default=None)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=4)
    args = ap.parse_args()
    cases = [(c.split(":")[0], int(c.split(":")[1]))
             for c in (args.cases or (QUICK if args.quick else FULL)).split(",")]
    print(f"{'activation':>10} {'L':>3} | {'product edge':>14} {'claim':>8} {'s':>6} | "
          f"{'Sobol edge':>14} {'claim':>8} {'s':>6} | {'dist/claim':>10} | top/edge")
    for act, L in cases:
        net = fa.nn.MLP(depth=L, activation=act, residual="1/2")
        if net.residual_fisher().rule == "product":
            xp, ep, tp = _edge(net)
            prod = f"{xp:14.9f} {ep:8.1e} {tp:6.1f}"
        else:
            xp, prod = None, f"{'(too many patterns)':>30}"
        xq, eq, tq = _edge(net, rule="qmc")
        ratio = f"{abs(xq - xp) / eq:10.2f}" if xp is not None else f"{'':>10}"
        tops = np.array([net.sample_fisher(n=args.n, seed=s, threads=1).max()
                         for s in range(args.draws)]) / xq
        print(f"{act:>10} {L:>3} | {prod} | {xq:14.9f} {eq:8.1e} {tq:6.1f} | {ratio} | "
              f"{tops.min():.3f}-{tops.max():.3f}", flush=True)


if __name__ == "__main__":
    main()
