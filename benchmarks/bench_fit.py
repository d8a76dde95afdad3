#!/usr/bin/env python
"""Fitting spectra: freealg's Cauchy noise loss fit against PyPI ``freealg`` (free decompression).

Both packages use the import name ``freealg``, so PyPI's runs in its own virtual environment,
created by this script under /tmp (``pip install freealg "numpy<2"``: PyPI freealg 0.12 calls
``numpy.trapz``, removed in numpy 2), in a subprocess that reads the same samples from a file.

Samples (numpy only, fixed seeds):

1. ``MP rate 2``: eigenvalues of (1/p) X X^T, X p x n Gaussian, p = 500, n = 1000: free Poisson
   of rate n/p = 2, jump 1 (Marchenko-Pastur; edges (1 -+ sqrt 2)^2).
2. ``signal + noise``: A + 0.5 H, A = diag(+-2) half each, H GOE (semicircle on [-2, 2]),
   N = 1000: law(A) ⊞ semicircle(1/4), two bands.
3. ``MP rate 1/2 (atom)``: p = 1000, n = 500: free Poisson of rate 1/2: an atom of mass 1/2 at 0
   and a band [(1 - 1/sqrt 2)^2, (1 + 1/sqrt 2)^2].

Methods:

* freealg (this package): ``fa.fit`` of the parametric family (free_poisson(lam); the
  polynomial ``A + s x`` with atoms +-a), the fitted law's density, atoms and edges;
* PyPI freealg: ``FreeForm(eigs).fit(method='jacobi', K=20, alpha=beta=0.5,
  projection='gaussian', force=True)`` (nonparametric), its density and its ``support``.

Accuracy reference (independent of both packages): the closed-form Marchenko-Pastur density
sqrt((b - x)(x - a))/(2 pi x) (+ the atom 1 - lam at 0 when lam < 1); for signal + noise the
Cauchy transform solves s^2 G^3 - 2 x s G^2 + (x^2 - a^2 + s) G - x = 0 (subordination
G = G_A(x - s G), s = sigma^2, G_A(w) = w/(w^2 - a^2)); the density is -Im G/pi of the root with
Im G < 0 (numpy.roots), and the edges are where that root becomes real (bisection on a grid).

Reported: L1 distance between the recovered and the true absolutely continuous density, the
largest edge error, the atom mass found at 0, and the wall time of the fit.

Usage (from the repository root; the first run creates the venv, about a minute)::

    python benchmarks/bench_fit.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
VENV = "/tmp/freealg_pypi_bench_venv"
WORK = "/tmp/freealg_bench_fit"

PYPI_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.filterwarnings("ignore")
import freealg
data = np.load(sys.argv[1])
out = {}
for name in data.files:
    if name.startswith("grid_"):
        continue
    ev = data[name]
    t0 = time.perf_counter()
    ff = freealg.FreeForm(ev)
    ff.fit(method="jacobi", K=20, alpha=0.5, beta=0.5, projection="gaussian", force=True)
    dens = ff.density(data["grid_" + name])
    out[name] = {"time": time.perf_counter() - t0, "density": np.asarray(dens).tolist(),
                 "support": [float(v) for v in ff.support], "version": freealg.__version__}
json.dump(out, open(sys.argv[2], "w"))
"""


def mp_density(x, lam):
    a, b = (1 - np.sqrt(lam)) ** 2, (1 + np.sqrt(lam)) ** 2
    d = np.zeros_like(x)
    m = (x > a) & (x < b)
    d[m] = np.sqrt((b - x[m]) * (x[m] - a)) / (2 * np.pi * x[m])
    return d, [a, b], max(0.0, 1 - lam)


def spn_density(x, a, sigma):
    s = sigma ** 2
    d = np.zeros_like(x)
    for i, xi in enumerate(x):
        r = np.roots([s * s, -2 * xi * s, xi * xi - a * a + s, -xi])
        d[i] = max(0.0, -np.min(r.imag) / np.pi)
    return d


def spn_edges(a, sigma):
    x = np.linspace(-a - 3 * sigma - 1, a + 3 * sigma + 1, 4001)
    inside = spn_density(x, a, sigma) > 1e-12
    edges = []
    for i in np.flatnonzero(inside[1:] != inside[:-1]):
        lo, hi = x[i], x[i + 1]
        for _ in range(50):
            mid = (lo + hi) / 2
            if (spn_density(np.array([mid]), a, sigma)[0] > 1e-12) == inside[i]:
                lo = mid
            else:
                hi = mid
        edges.append((lo + hi) / 2)
    return edges


def samples():
    rng = np.random.default_rng(2024)
    X = rng.standard_normal((500, 1000))
    mp2 = np.linalg.eigvalsh(X @ X.T / 500)
    N = 1000
    H = rng.standard_normal((N, N))
    H = (H + H.T) / np.sqrt(2 * N)
    spn = np.linalg.eigvalsh(np.diag(np.repeat([-2.0, 2.0], N // 2)) + 0.5 * H)
    X = rng.standard_normal((1000, 500))
    mph = np.linalg.eigvalsh(X @ X.T / 1000)
    return {"mp2": mp2, "spn": spn, "mphalf": mph}


def truth(name, grid):
    if name == "mp2":
        d, e, atom = mp_density(grid, 2.0)
        return d, e, atom
    if name == "mphalf":
        d, e, atom = mp_density(grid, 0.5)
        return d, e, atom
    return spn_density(grid, 2.0, 0.5), spn_edges(2.0, 0.5), 0.0


def ensure_venv():
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "freealg", "numpy<2"], check=True)
    return py


def ours(name, ev):
    import sympy as sp

    import freealg as fa

    t0 = time.perf_counter()
    if name in ("mp2", "mphalf"):
        lam = sp.Symbol("lam", positive=True)
        res = fa.fit(fa.free_poisson(lam), ev, {lam: 1.0})
    else:
        a, s = sp.symbols("a s", positive=True)
        A = fa.selfadjoint("A", fa.discrete([-a, a], [sp.Rational(1, 2)] * 2))
        res = fa.fit(A + s * fa.semicircular("x"), ev, {a: 1.0, s: 1.0})
    elapsed = time.perf_counter() - t0
    law = res.law
    edges = [float(e.location) for e in law.edges()]
    atoms = [(float(at.location), float(at.mass)) for at in law.atoms()]
    return res, law, edges, atoms, elapsed


def main():
    os.makedirs(WORK, exist_ok=True)
    data = samples()
    grids = {}
    for name, ev in data.items():
        lo, hi = float(ev.min()), float(ev.max())
        pad = 0.1 * (hi - lo)
        grids[name] = np.linspace(lo - pad, hi + pad, 3001)
    path = os.path.join(WORK, "samples.npz")
    np.savez(path, **data, **{"grid_" + k: v for k, v in grids.items()})
    py = ensure_venv()
    script = os.path.join(WORK, "pypi_fit.py")
    with open(script, "w") as f:
        f.write(PYPI_SCRIPT)
    out_json = os.path.join(WORK, "pypi.json")
    subprocess.run([py, script, path, out_json], check=True, cwd=WORK)
    pypi = json.load(open(out_json))
    rows = []
    for name, ev in data.items():
        grid = grids[name]
        dx = grid[1] - grid[0]
        d_true, e_true, atom_true = truth(name, grid)
        res, law, e_ours, atoms_ours, t_ours = ours(name, ev)
        d_ours = np.asarray(law.density(grid), dtype=float)
        p = pypi[name]
        d_pypi = np.nan_to_num(np.asarray(p["density"], dtype=float))
        # the atom at 0 (case 3): the mass each method puts within 0.05 of 0
        near0 = np.abs(grid) <= 0.05
        atom_ours = sum(m for loc, m in atoms_ours if abs(loc) <= 0.05) + \
            float(np.sum(d_ours[near0]) * dx)
        atom_pypi = float(np.sum(d_pypi[near0]) * dx)
        ac = 1 - atom_true
        l1_ours = float(np.sum(np.abs(d_ours - d_true)) * dx)
        l1_pypi = float(np.sum(np.abs(d_pypi - d_true)) * dx)
        e_true_s = sorted(e_true)
        err_ours = max(abs(a - b) for a, b in zip(sorted(e_ours), e_true_s)) \
            if len(e_ours) == len(e_true_s) else float("nan")
        sup = p["support"]
        err_pypi = max(abs(sup[0] - e_true_s[0]), abs(sup[1] - e_true_s[-1]))
        rows.append((name, res, l1_ours, l1_pypi, err_ours, err_pypi, len(e_ours), len(e_true),
                     atom_true, atom_ours, atom_pypi, t_ours, p["time"], ac))
    print(f"PyPI freealg {pypi['mp2']['version']} (free decompression, FreeForm.fit jacobi "
          "K=20) against this freealg (fa.fit, Cauchy noise loss)\n")
    hdr = (f"{'sample':8} {'fit (this freealg)':34} {'L1 dens ours':>12} {'L1 PyPI':>9} "
           f"{'edge err ours':>13} {'PyPI':>7} {'atom@0 true':>11} {'ours':>6} {'PyPI':>6} "
           f"{'t ours':>7} {'t PyPI':>7}")
    print(hdr)
    print("-" * len(hdr))
    for (name, res, l1o, l1p, eo, ep, _neo, _net, at, ao, ap, to, tp, _ac) in rows:
        fit = ", ".join(f"{k}={v:.4f}" for k, v in res.params.items())
        print(f"{name:8} {fit:34} {l1o:12.4f} {l1p:9.4f} {eo:13.4f} {ep:7.4f} {at:11.3f} "
              f"{ao:6.3f} {ap:6.3f} {to:7.2f} {tp:7.2f}")
    print("\nL1 dens: integral of |recovered - true| absolutely continuous density over the grid "
          "(an atom is not part of it;\nPyPI's density has no atoms, so in case 3 it spreads "
          "the atom's mass over a band near 0). Edge err: largest\n|edge - true edge| (PyPI: "
          "its estimated support's two ends against the outermost true edges).")
    json.dump([{"sample": r[0], "l1_ours": r[2], "l1_pypi": r[3], "edge_ours": r[4],
                "edge_pypi": r[5], "atom_true": r[8], "atom_ours": r[9], "atom_pypi": r[10],
                "t_ours": r[11], "t_pypi": r[12]} for r in rows],
              open(os.path.join(WORK, "results.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
