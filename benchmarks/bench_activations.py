"""Issue 16 benchmark: every activation of ``fa.nn`` - MLP construction time, Jacobian density
(200 points) and edges at L = 3 and 10 (orthogonal weights, critical sigma_w at sigma_b = 0,
q0 = the fixed point or |x^0|^2/N = 1), each under a wall-clock cap, side by side with a Monte
Carlo of the real network (numpy forward pass, width N): tau(J J^T) against m_1 and the
smoothed Cauchy transform G(x + 0.1 i) against the theory's (where the density finished); and,
for the layer laws sigma_w^2 phi'(h_l)^2 of a smooth activation, the largest relative deviation
of the float64 G (shifted contours, freealg.numeric.contourshift) from the adaptive quadrature
of the base class at 60 points near the support (``slow dev``).

Usage: python benchmarks/bench_activations.py [--depths 3,10] [--cap 60] [--acts tanh,gelu]
       [--n 500] [--construction-only]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sympy as sp  # noqa: E402

import freealg as fa  # noqa: E402

ACTS = ["tanh", "erf", "sigmoid", "silu", "gelu", "softplus", "elu", "selu", "leaky_relu(0.1)",
        "hard_tanh", "relu", "linear", "user"]
USER = sp.atan(sp.Symbol("x")) + sp.Symbol("x") / 4


class _Cap(BaseException):  # not caught by a library's `except Exception`
    pass


def _capped(fn, cap):
    """(value, seconds) or (None, '>cap') when fn runs past cap seconds."""
    def raise_cap(*_):
        raise _Cap

    old = signal.signal(signal.SIGALRM, raise_cap)
    signal.alarm(int(cap))
    t0 = time.perf_counter()
    try:
        return fn(), f"{time.perf_counter() - t0:.2f}"
    except _Cap:
        return None, f">{cap:g}"
    except Exception as err:  # noqa: BLE001 - a benchmark reports the failure and goes on
        return None, f"ERR {type(err).__name__}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--depths", default="3,10")
    ap.add_argument("--cap", type=float, default=60)
    ap.add_argument("--acts", default=",".join(ACTS))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--construction-only", action="store_true")
    args = ap.parse_args()
    depths = [int(x) for x in args.depths.split(",")]
    print(f"{'activation':>16} {'L':>3} {'build s':>8} {'sigma_w':>18} {'density100 s':>12} "
          f"{'edges s':>8} {'right edge':>11} | {'m1 theory':>10} {'m1 MC':>8} "
          f"{'tol':>6} {'G err':>7} {'slow dev':>8}")
    for act in args.acts.split(","):
        spec = USER if act == "user" else act
        for L in depths:
            t0 = time.perf_counter()
            try:
                net = fa.nn.MLP(L, spec, progress=False)
            except Exception as err:  # noqa: BLE001
                print(f"{act:>16} {L:>3} construction failed: {type(err).__name__}: {err}")
                continue
            build = time.perf_counter() - t0
            row = f"{act:>16} {L:>3} {build:8.2f} {str(net.sigma_w)[:18]:>18}"
            if args.construction_only:
                print(row, flush=True)
                continue
            sol = net.jacobian_spectrum(dps=15)
            m1 = float(sol.moments(1)[0])
            hi = 3 * max(m1, 1.0)
            xs = np.linspace(hi / 200, hi, 200)
            dens, t_d = _capped(lambda s=sol, x=xs: s.density(x), args.cap)
            edges, t_e = _capped(lambda s=sol: s.edges(), args.cap)
            right = f"{float(edges[-1].location):.6g}" if edges else "-"
            ev = net.sample_jacobian(n=args.n, seed=L, threads=1)
            tol = 4 * np.sqrt(L / args.n)
            gerr = "-"
            if dens is not None:
                z = xs + 0.1j
                gt, _ = _capped(lambda s=sol, w=z: np.asarray(s.cauchy(w), dtype=complex),
                                args.cap)
                if gt is not None:
                    ge = (1 / (z[:, None] - ev[None, :])).mean(axis=1)
                    gerr = f"{np.linalg.norm(gt - ge) / np.linalg.norm(gt):.3f}"
            print(f"{row} {t_d:>12} {t_e:>8} {right:>11} | {m1:10.4g} {ev.mean():8.4g} "
                  f"{tol * m1:6.3f} {gerr:>7} {_slow_dev(net):>8}", flush=True)


def _slow_dev(net):
    """max |G_fast - G_quadrature|/|G| over the layer laws at 60 points near their support."""
    from freealg.kernels.backend import NP
    from freealg.numeric.fnlaw import QuadratureModel
    from freealg.reduce import compile_expr

    worst = None
    rng = np.random.default_rng(0)
    for l in range(1, net.depth + 1):
        law = compile_expr(net._d(l) * net._d(l)).law
        model = getattr(law, "_model", lambda: None)()
        if model is None or not hasattr(model, "_contour") or model._contour() is None:
            continue
        lo, hi = model.hull_float()
        z = rng.uniform(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 60) \
            + 1j * (hi - lo) * 10 ** rng.uniform(-8, 0, 60)
        gf, _ = model.gdg(z, NP, False)
        gs, _ = QuadratureModel.gdg(model, z, NP, False)
        dev = float(np.max(np.abs(gf - gs) / np.abs(gs)))
        worst = dev if worst is None else max(worst, dev)
    return "-" if worst is None else f"{worst:.1e}"


if __name__ == "__main__":
    main()
