"""Command line: ``freealg demo`` (the main job on built-in defaults).

Examples
--------
>>> from freealg.cli import build_parser
>>> build_parser().parse_args(["demo", "--dps", "20"]).dps
20
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

import mpmath
import numpy as np
import sympy as sp

__all__ = ["main", "build_parser", "demo"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="freealg", description="free probability: laws, free "
                                "convolutions, densities, atoms and edges at any precision")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run the built-in demonstration (the main job)")
    d.add_argument("--dps", type=int, default=30, help="working precision in digits (default 30)")
    d.add_argument("--points", type=int, default=9, help="rows of the density table (default 9)")
    return p


def _fmt(x, digits=20) -> str:
    if isinstance(x, (mpmath.mpf, mpmath.mpc)):
        return mpmath.nstr(x, digits)
    if isinstance(x, sp.Basic) and not x.is_Number:
        return f"{x} = {sp.N(x, digits)}"
    return str(x)


def _report(title: str, law, dps: int, points: int, out) -> None:
    from .laws.spectral import mass_check

    print(f"\n== {title}", file=out)
    print(f"law      : {law!r}", file=out)
    print(f"LaTeX    : {law._latex()}", file=out)
    r = getattr(law, "r_transform", lambda: None)()
    s = law.s_transform() if r is None else None
    if r is not None:
        print(f"R(w)     : {sp.latex(r)}", file=out)
    if s is not None:
        print(f"S(z)     : {sp.latex(s)}", file=out)
    curve = law.curve()
    if curve is not None:
        print(f"curve    : {sp.latex(curve.as_expr())} = 0", file=out)
    print(f"moments  : {law.moments(5)}", file=out)
    t0 = time.perf_counter()
    atoms = law.atoms()
    edges = law.edges(dps=dps)
    t1 = time.perf_counter()
    print("atoms    : " + (", ".join(f"{_fmt(a.location)} (mass {_fmt(a.mass)})" for a in atoms)
                           or "none"), file=out)
    for e in edges:
        print(f"edge     : {_fmt(e.location, min(dps, 25))}  [{e.kind}, {e.side or 'interior'}, "
              f"error {mpmath.nstr(mpmath.mpf(e.error), 2) if e.error else '0 (exact)'}]", file=out)
    print(f"           ({t1 - t0:.2f} s for atoms and edges at dps={dps})", file=out)
    bands = law.support()
    lo = float(min(b.lo for b in bands))
    hi = float(max(b.hi for b in bands))
    xs = np.linspace(lo, hi, points + 2)[1:-1]
    t0 = time.perf_counter()
    dens64 = law.density(xs)
    t1 = time.perf_counter()
    print(f"density  : {'x':>10}  {'float64':>22}  {f'dps={dps}':>32}", file=out)
    for x, d64 in zip(xs, dens64):
        dmp = law.density(float(x), dps=dps)
        print(f"           {x:10.5f}  {d64:22.16e}  {mpmath.nstr(dmp, min(dps, 28)):>32}", file=out)
    mc = mass_check(law)
    print(f"mass     : continuous {mc['continuous']:.12f} + atoms {mc['atoms']:.12f} = "
          f"{mc['total']:.12f}  (float64 path {t1 - t0:.3f} s)", file=out)


def demo(dps: int = 30, points: int = 9, out=None) -> int:
    """Run the demonstration: three free convolutions with LaTeX, atoms, edges and densities.

    ``python -m freealg demo`` runs it; ``tests/test_readme.py`` checks its output (the exact
    atom 2/3 of the Wachter law, the Fuss-Catalan edge 27/4).

    Examples
    --------
    >>> from freealg.cli import build_parser
    >>> build_parser().parse_args(["demo"]).points
    9
    """
    from . import laws as L

    out = out or sys.stdout
    half, third = sp.Rational(1, 2), sp.Rational(1, 3)
    print("freealg demo: free convolutions solved symbolically and numerically", file=out)
    _report("semicircle(1) ⊞ Marchenko-Pastur(ratio 1/2)",
            L.free_additive(L.semicircle(1), L.marchenko_pastur(half)), dps, points, out)
    _report("Marchenko-Pastur(1) ⊠ Marchenko-Pastur(1)  (Fuss-Catalan)",
            L.free_multiplicative(L.free_poisson(1), L.free_poisson(1)), dps, points, out)
    _report("p q p for free projections, tau(p) = 1/2, tau(q) = 1/3  (Wachter law, in A)",
            L.free_compression(L.bernoulli(third), half, ambient=True), dps, points, out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if args.command == "demo":
        return demo(args.dps, args.points)
    build_parser().print_help()
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
