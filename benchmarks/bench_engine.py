#!/usr/bin/env python
"""Algebraic laws through their curve: freealg's public call, the curve engine, and a baseline.

Every row of the engine issue's speed table that concerns algebraic laws, measured side by side
in one run (best of several repeats, wall clock):

(1) float64 density of semicircle(1) ⊞ MP(1/2) on 1000 points. Baseline: all roots of its cubic
    curve at once (stacked real 3x3 companion matrices, one ``numpy.linalg.eigvals`` call), the
    root with the smallest imaginary part kept. The three timings are interleaved and each is
    the median of 15 repeats (the ratio is the one of the same run).
(2) semicircle(1) ⊞ semicircle(1) on 1000 points. Baseline: the closed form sqrt(8 - x^2)/(4 pi).
(3) the law of (1) at dps=30 on 100 points. Baseline: ``mpmath.polyroots`` on the curve at each
    point, branch by the sign of Im G.
(4) Kesten-McKay (free_power of the symmetric Bernoulli law, d = 3), Wachter (free_compression
    of a Bernoulli law, ambient) and the free binomial law (free_power of Bernoulli(1/3), t = 3),
    200 float64 points. Baselines: their closed forms (Kesten 1959 / McKay 1981; Wachter 1980,
    Collins 2005; the free binomial as the dilation of a Wachter law, Nica-Speicher 1996).
(5) ``law.edges(dps=30)`` of algebraic ⊞/⊠ laws (two bands, atoms) against the curve engine's
    ``edges(dps=30)`` (its time includes eliminating the curve from the factors' curves when
    ``law.curve()`` is None).
(6) grid continuation along x: the float64 density forced onto the subordination strategy
    (``law.density(x, method="subordination")``) of semicircle ⊞ MP(1/2) and MP(1) ⊠
    Bernoulli(1/3) on 1000 and 10000 points, with grid continuation ("freealg") and with the
    path from x + iY for every point ("baseline": ``kernels.continuation.GRID_MIN`` raised, the
    solver before grid continuation); "engine" is the curve strategy, "err" the largest
    difference of the grid's density from the curve's.

"freealg" is the public call on the current main, "engine" the function of
``freealg.numeric.curve`` called directly (the curve built once beforehand; its build time is
printed separately), "baseline" the reference computation. Accuracy: "err" is the largest
difference of the engine's result from an independent reference (the closed form; roots at 40
digits picked next to freealg's subordination value; freealg's own edges).

Usage
-----
    python benchmarks/bench_engine.py            # full (about 1-3 minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # fewer dps=30 points, fewer edge cases

Run from the repository root (the package is imported from there).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import mpmath
import numpy as np
import sympy as sp

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import freealg as fa  # noqa: E402
from freealg.numeric.curve import (  # noqa: E402
    AlgebraicCurve,
    eliminate_additive,
    eliminate_multiplicative,
)

R = sp.Rational
G, Z = sp.symbols("G z")
ROWS: list = []


def best(fn, repeat=5, number=1):
    """Smallest wall time of one call over ``repeat`` runs of ``number`` calls."""
    out = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        out = min(out, (time.perf_counter() - t) / number)
    return out


def medians(fns, repeat=15, number=5):
    """Median wall time of one call of each function, the functions interleaved repeat by
    repeat (so that a change of machine load hits all of them alike)."""
    times = [[] for _ in fns]
    for _ in range(repeat):
        for ts, fn in zip(times, fns):
            t = time.perf_counter()
            for _ in range(number):
                fn()
            ts.append((time.perf_counter() - t) / number)
    return [float(np.median(ts)) for ts in times]


def row(case, t_fa, t_eng, t_base, err, note=""):
    ROWS.append((case, t_fa, t_eng, t_base, err, note))
    r1 = t_fa / t_base if t_base else float("nan")
    r2 = t_eng / t_base if t_base else float("nan")
    print(f"  {case}: freealg {t_fa * 1e3:.2f} ms, engine {t_eng * 1e3:.2f} ms, "
          f"baseline {t_base * 1e3:.2f} ms, freealg/base {r1:.1f}x, engine/base {r2:.2f}x, "
          f"err {err:.1e} {note}", flush=True)


def bernoulli_curve(p):
    """(1 - p) delta_0 + p delta_1: z (z - 1) G = z - 1 + p."""
    return sp.Poly(Z * (Z - 1) * G - (Z - 1 + p), G, Z)


# ------------------------------------------------------------------------------------------


def bench_sum_float64():
    law = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))
    x = np.linspace(-3, 5, 1000)
    t0 = time.perf_counter()
    curve = AlgebraicCurve(law.curve())
    curve.density_np(x[:2])
    build = time.perf_counter() - t0

    def baseline():
        # G^3 - (x + 2) G^2 + (2x - 1) G - 2 = 0, written out from R = w + 1/(1 - w/2)
        M = np.zeros((x.size, 3, 3))
        M[:, 0, 0] = x + 2
        M[:, 0, 1] = 1 - 2 * x
        M[:, 0, 2] = 2
        M[:, 1, 0] = 1
        M[:, 2, 1] = 1
        r = np.linalg.eigvals(M)
        return -r[np.arange(x.size), np.argmin(r.imag, axis=1)].imag / np.pi

    law.density(x)
    # side by side: the three interleaved, median of 15 repeats of 5 calls each
    t_fa, t_eng, t_base = medians([lambda: law.density(x), lambda: curve.density_np(x),
                                   baseline])
    # reference: the root at 40 digits next to freealg's subordination value, 100 points
    idx = np.arange(0, 1000, 10)
    g_eng = curve.cauchy_np(x[idx])
    err = 0.0
    with mpmath.workdps(40):
        for i, xi in enumerate(x[idx]):
            a = [mpmath.mpf(-2), 2 * mpmath.mpf(xi) - 1, -mpmath.mpf(xi) - 2, mpmath.mpf(1)]
            roots = mpmath.polyroots(a[::-1], maxsteps=200, extraprec=80)
            g_law = complex(law.cauchy(complex(xi), method="subordination"))
            ref = min(roots, key=lambda r: abs(complex(r) - g_law))
            err = max(err, abs(complex(ref) - g_eng[i]))
    row("(1) sc ⊞ MP(1/2), 1000 pts float64", t_fa, t_eng, t_base, err,
        f"(curve build {build * 1e3:.0f} ms once)")


def bench_sc_sc():
    law = fa.free_additive(fa.semicircle(1), fa.semicircle(1))
    x = np.linspace(-3, 3, 1000)
    curve = AlgebraicCurve(law.curve())

    def baseline():
        return np.sqrt(np.clip(8 - x * x, 0, None)) / (4 * np.pi)

    law.density(x)
    t_fa = best(lambda: law.density(x), 5)
    t_eng = best(lambda: curve.density_np(x), 20, 5)
    t_base = best(baseline, 20, 20)
    err = float(np.max(np.abs(curve.density_np(x) - baseline())))
    row("(2) sc ⊞ sc, 1000 pts float64", t_fa, t_eng, t_base, err)


def bench_sum_dps30(npts):
    law = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))
    x = np.linspace(-1.25, 3.6, npts)       # inside the support, where rule "Im < 0" is valid
    curve = AlgebraicCurve(law.curve())
    curve.cauchy_mp([0.5], dps=30)

    def baseline():
        out = []
        with mpmath.workdps(30):
            for xi in x:
                xm = mpmath.mpf(xi)
                a = [mpmath.mpf(-2), 2 * xm - 1, -xm - 2, mpmath.mpf(1)]
                roots = mpmath.polyroots(a[::-1], maxsteps=100, extraprec=30)
                out.append(-mpmath.im(min(roots, key=mpmath.im)) / mpmath.pi)
        return out

    t = time.perf_counter()
    d_fa = [law.density(float(xi), dps=30) for xi in x]
    t_fa = time.perf_counter() - t
    t_eng = best(lambda: curve.cauchy_mp(list(x), dps=30), 3)
    t_base = best(baseline, 3)
    g_eng = curve.cauchy_mp(list(x), dps=30)
    d_base = baseline()
    with mpmath.workdps(30):
        d_eng = [-mpmath.im(g) / mpmath.pi for g in g_eng]
        err = max(abs(a - b) for a, b in zip(d_eng, d_base))
        err_fa = max(abs(a - b) for a, b in zip(d_eng, d_fa))
    row(f"(3) sc ⊞ MP(1/2), {npts} pts dps=30", t_fa, t_eng, t_base, float(err),
        f"(|engine - freealg| {float(err_fa):.1e})")


def bench_closed_forms():
    d = 3
    km = fa.free_power(fa.discrete([-1, 1]), d)
    x = np.linspace(-3, 3, 200)
    B = sp.Poly((Z**2 - 1) * G - Z, G, Z)
    B2 = eliminate_additive(B, B, moments=fa.free_power(fa.discrete([-1, 1]), 2).moments(10))
    km_curve = AlgebraicCurve(eliminate_additive(B2, B, moments=km.moments(12)))

    def km_closed():
        # Kesten 1959, McKay 1981: d sqrt(4(d-1) - x^2) / (2 pi (d^2 - x^2)) on |x| <= 2 sqrt(d-1)
        return d * np.sqrt(np.clip(4 * (d - 1) - x * x, 0, None)) / (2 * np.pi * (d * d - x * x))

    a, b = R(1, 2), R(1, 3)
    wa = fa.free_compression(fa.bernoulli(b), a, ambient=True)
    xw = np.linspace(0.01, 0.99, 200)
    w_curve = AlgebraicCurve(eliminate_multiplicative(bernoulli_curve(a), bernoulli_curve(b),
                                                      moments=wa.moments(10)))
    fa_, fb_ = float(a), float(b)

    def wachter(u, al, be):
        # Wachter 1980 / Collins 2005: sqrt((l+ - x)(x - l-)) / (2 pi x (1 - x)) on [l-, l+]
        c = al + be - 2 * al * be
        s = np.sqrt(4 * al * be * (1 - al) * (1 - be))
        lm, lp = c - s, c + s
        return np.sqrt(np.clip((lp - u) * (u - lm), 0, None)) / (2 * np.pi * u * (1 - u))

    p, t = R(1, 3), 3
    fb = fa.free_power(fa.bernoulli(p), t)
    y = np.linspace(0.05, 2.95, 200)
    P2 = eliminate_additive(bernoulli_curve(p), bernoulli_curve(p),
                            moments=fa.free_power(fa.bernoulli(p), 2).moments(10))
    fb_curve = AlgebraicCurve(eliminate_additive(P2, bernoulli_curve(p), moments=fb.moments(12)))

    def fb_closed():
        # Nica-Speicher 1996: mu^{⊞t} = D_t(law of pqp in pAp), tr p = 1/t: density
        # rho_Wachter(y/t) with alpha = 1/t, beta = p
        return wachter(y / t, 1 / t, float(p))

    cases = [("Kesten-McKay d=3 (free_power)", km, x, km_curve, km_closed),
             ("Wachter 1/2,1/3 (free_compression)", wa, xw, w_curve,
              lambda: wachter(xw, fa_, fb_)),
             ("free binomial 1/3, t=3 (free_power)", fb, y, fb_curve, fb_closed)]
    for name, law, pts, curve, closed in cases:
        law.density(pts)
        with np.errstate(all="ignore"):
            t_fa = best(lambda law=law, pts=pts: law.density(pts), 5)
            t_eng = best(lambda curve=curve, pts=pts: curve.density_np(pts), 20, 5)
            t_base = best(closed, 20, 20)
            ref = closed()
        err = float(np.nanmax(np.abs(curve.density_np(pts) - ref)))
        row(f"(4) {name}, 200 pts", t_fa, t_eng, t_base, err)


def bench_edges(quick):
    cases = []
    sc_mp = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(R(1, 2)))
    cases.append(("sc ⊞ MP(1/2)", sc_mp, lambda: sc_mp.curve()))
    two = fa.free_additive(fa.discrete([-3, 3]), fa.semicircle(1))
    cases.append(("(δ-3+δ3)/2 ⊞ sc, two bands", two,
                  lambda: eliminate_additive(sp.Poly((Z**2 - 9) * G - Z, G, Z),
                                             sp.Poly(G**2 - Z * G + 1, G, Z),
                                             moments=two.moments(10))))
    d13 = fa.free_multiplicative(fa.discrete([1, 3]), fa.marchenko_pastur(R(1, 2)))
    cases.append(("discrete([1,3]) ⊠ MP(1/2)", d13,
                  lambda: eliminate_multiplicative(
                      sp.Poly((Z - 1) * (Z - 3) * G - (Z - 2), G, Z),
                      fa.marchenko_pastur(R(1, 2)).curve(), moments=d13.moments(10))))
    if not quick:
        fp = fa.free_multiplicative(fa.free_poisson(R(1, 4)), fa.free_poisson(R(1, 3)))
        cases.append(("FP(1/4) ⊠ FP(1/3), atom at 0", fp, lambda: fp.curve()))
        d13a = fa.free_multiplicative(fa.discrete([1, 3]), fa.free_poisson(R(1, 2)))
        cases.append(("discrete([1,3]) ⊠ FP(1/2), atom at 0", d13a,
                      lambda: eliminate_multiplicative(
                          sp.Poly((Z - 1) * (Z - 3) * G - (Z - 2), G, Z),
                          fa.free_poisson(R(1, 2)).curve(), moments=d13a.moments(10))))
    for name, law, make in cases:
        t = time.perf_counter()
        e_fa = law.edges(dps=30)
        t_fa = time.perf_counter() - t
        t = time.perf_counter()
        curve = AlgebraicCurve(make())
        atoms = [a.location for a in law.atoms()]
        e_eng = curve.edges(dps=30, atoms=atoms)
        t_eng = time.perf_counter() - t
        same = [e.side for e in e_eng] == [e.side for e in e_fa]
        err = max((abs(a.location - b.location) for a, b in zip(e_eng, e_fa)), default=0)
        note = f"{len(e_eng)} edges" + ("" if same else f" MISMATCH freealg {len(e_fa)}")
        ROWS.append((f"(5) edges dps=30 {name}", t_fa, t_eng, 0.0, float(err), note))
        print(f"  (5) edges {name}: freealg {t_fa:.2f} s, engine {t_eng:.3f} s "
              f"(incl. curve), |Δ| vs freealg {float(err):.1e}, {note}", flush=True)


def bench_grid():
    from freealg.kernels import continuation as cont

    laws = [("sc ⊞ MP(1/2)", fa.free_additive(fa.semicircle(1), fa.free_poisson(R(1, 2)))),
            ("MP(1) ⊠ Bernoulli(1/3)",
             fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(R(1, 3))))]
    for name, law in laws:
        lo, hi = law._hull_float()
        for n in (1000, 10000):
            x = np.linspace(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), n)

            def grid(x=x, law=law):
                return law.density(x, method="subordination")

            def path(x=x, law=law, cont=cont):
                keep, cont.GRID_MIN = cont.GRID_MIN, 10**12
                try:
                    return law.density(x, method="subordination")
                finally:
                    cont.GRID_MIN = keep

            def curve(x=x, law=law):
                return law.density(x, method="curve")

            t_grid, t_path, t_curve = best(grid), best(path), best(curve)
            d_grid, d_path, d_curve = grid(), path(), curve()
            err = float(np.max(np.abs(d_grid - d_curve)))
            note = f"|grid - path| {float(np.max(np.abs(d_grid - d_path))):.1e}"
            row(f"(6) subordination density {name}, {n} pts (grid vs path)", t_grid, t_curve,
                t_path, err, note)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer dps=30 points and edge cases")
    args = ap.parse_args()
    print(f"freealg engine benchmark; python {platform.python_version()}, numpy {np.__version__}, "
          f"mpmath {mpmath.__version__}, {os.cpu_count()} cpus", flush=True)
    t0 = time.perf_counter()
    bench_sum_float64()
    bench_sc_sc()
    bench_sum_dps30(20 if args.quick else 100)
    bench_closed_forms()
    bench_edges(args.quick)
    bench_grid()
    print()
    print("| case | freealg | engine | baseline | freealg/baseline | engine/baseline | err |")
    print("|---|---|---|---|---|---|---|")
    for case, t_fa, t_eng, t_base, err, note in ROWS:
        if t_base:
            print(f"| {case} | {t_fa * 1e3:.2f} ms | {t_eng * 1e3:.2f} ms | {t_base * 1e3:.2f} ms "
                  f"| {t_fa / t_base:.1f}x | {t_eng / t_base:.2f}x | {err:.1e} |")
        else:
            print(f"| {case} | {t_fa:.2f} s | {t_eng:.3f} s | - | - | - | {err:.1e} ({note}) |")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
