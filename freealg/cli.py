"""Command line: ``freealg demo`` (the main job on built-in defaults) and ``freealg spectrum``.

``freealg spectrum "x*y + y*x" --law x=semicircle --law y=semicircle [--dps 30] [--grid 9]
[--json] [--latex [PATH]] [--plot PATH] [--mc N] [--method rules|linearization]``: the
expression is parsed by :mod:`freealg.api.parse` (never evaluated); errors name the position and
exit with status 2.

Examples
--------
>>> from freealg.cli import build_parser
>>> build_parser().parse_args(["demo", "--dps", "20"]).dps
20
>>> main(["spectrum", "u + u.H", "--law", "u=haar_unitary", "--grid", "3", "--dps", "15"])
... # doctest: +ELLIPSIS
expression : u + u.H
...
edges      : -2 (hard), 2 (hard)
...
0
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
    """The argument parser of the ``freealg`` command (subcommands ``demo`` and ``spectrum``).

    Examples
    --------
    >>> args = build_parser().parse_args(["spectrum", "x + y", "--law", "x=semicircle",
    ...                                   "--law", "y=semicircle", "--dps", "20"])
    >>> args.command, args.expr, args.law, args.dps
    ('spectrum', 'x + y', ['x=semicircle', 'y=semicircle'], 20)

    Returns
    -------
    argparse.ArgumentParser
    """
    p = argparse.ArgumentParser(prog="freealg", description="free probability: laws, free "
                                "convolutions, densities, atoms and edges at any precision")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run the built-in demonstration (the main job)")
    d.add_argument("--dps", type=int, default=30, help="working precision in digits (default 30)")
    d.add_argument("--points", type=int, default=9, help="rows of the density table (default 9)")
    d.add_argument("--out", default="freealg-demo", help="folder for the .tex and PNG files "
                                                        "(default ./freealg-demo)")
    d.add_argument("--no-progress", action="store_true",
                   help="no progress bar on stderr (shown by default; tqdm if installed)")
    sp_ = sub.add_parser("spectrum", help="spectrum of a self-adjoint polynomial given as text")
    sp_.add_argument("expr", help='the polynomial, e.g. "x*y + y*x" (operators + - * / ** ^, '
                                  "adjoint .H, I for the imaginary unit)")
    sp_.add_argument("--law", action="append", default=[], metavar="NAME=SPEC",
                     help="declare a generator: semicircle[(v)], circular, haar_unitary, "
                          "haar_orthogonal, projection(t), bernoulli(t), discrete([pts],[wts]), "
                          "marchenko_pastur(c), free_poisson(rate), arcsine(a,b), uniform(a,b)")
    sp_.add_argument("--dps", type=int, default=30, help="digits for edges and atoms (default 30)")
    sp_.add_argument("--grid", type=int, default=9, help="density points (default 9)")
    sp_.add_argument("--json", action="store_true", help="machine-readable output")
    sp_.add_argument("--latex", nargs="?", const="-", default=None, metavar="PATH",
                     help="print the System's LaTeX, or write a standalone .tex to PATH")
    sp_.add_argument("--plot", default=None, metavar="PATH", help="write a PNG/SVG of the density "
                                                                  "(matplotlib)")
    sp_.add_argument("--mc", type=int, default=0, metavar="N",
                     help="overlay a Monte Carlo histogram of size N on the plot")
    sp_.add_argument("--method", default=None, choices=["rules", "linearization"],
                     help="force the structural rules or the linearization")
    return p


class _Progress:
    """Stage-level progress on stderr: a tqdm bar when tqdm is installed (extra ``progress``),
    else one ``[k/n] stage`` line per stage; silent when disabled. stdout stays the report."""

    def __init__(self, total: int, enabled: bool = True, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.bar = None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, desc="freealg demo", file=self.stream,
                                leave=False, bar_format="{desc}: {n}/{total} {bar} "
                                "{elapsed}{postfix}")

    def stage(self, name: str) -> None:
        """Announce the stage that starts now (the previous one counts as done)."""
        if not self.enabled:
            return
        if self.bar is not None:
            if self.done:
                self.bar.update(1)
            self.bar.set_postfix_str(name)
        else:
            print(f"[{self.done + 1}/{self.total}] {name} ...", file=self.stream, flush=True)
        self.done += 1

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.total - self.bar.n)
            self.bar.close()


def _check_range(name: str, value: int, lo: int, hi: int) -> None:
    from .errors import InvalidParameterError

    if not lo <= value <= hi:
        raise InvalidParameterError(name, value, f"use {lo} <= {name} <= {hi}")


def _digits(v, dps: int) -> str:
    """``dps`` significant digits of an exact (sympy) or mpmath value, converted at ``dps``
    (``mpmath.mpf(v)`` at the default 15 digits would round a 30-digit edge to a double)."""
    with mpmath.workdps(dps + 5):
        x = v if isinstance(v, mpmath.mpf) else mpmath.mpf(sp.N(v, dps + 5))
        return mpmath.nstr(x, dps)


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


def _jacobian_demo(dps: int, out, outdir, progress: _Progress) -> None:
    """Dynamical isometry (PSG 2017): J = D_3 W_3 D_2 W_2 D_1 W_1, ReLU, Haar orthogonal W."""
    import os

    from .nn import MLP

    progress.stage("Jacobian System and spectrum")
    t0 = time.perf_counter()
    net = MLP(3, "relu", weights="orthogonal")
    sol = net.jacobian_spectrum(dps=dps)
    system = sol.system
    print("== Jacobian of a ReLU network, depth 3, Haar orthogonal weights, sigma_w^2 = 2",
          file=out)
    print(f"mean field : {net.mean_field.advice()}", file=out)
    print("system     : " + system.latex().replace("\n", "\n             "), file=out)
    print(f"moments    : {sol.moments(4)}   (m_1 = chi^L = 1, m_2 = 1 + L)", file=out)
    print("atoms      : " + ", ".join(f"{_fmt(a.location)} (mass {_fmt(a.mass)})"
                                      for a in sol.atoms()), file=out)
    edge = net.max_singular_value(dps) ** 2
    print(f"edge       : {_fmt(edge, min(dps, 25))}  (= L^L/(L-1)^(L-1) = 27/4; max singular "
          f"value {_fmt(mpmath.sqrt(edge), min(dps, 20))})", file=out)
    print(f"             ({time.perf_counter() - t0:.2f} s)", file=out)
    progress.stage("Monte Carlo of the real network")
    t0 = time.perf_counter()
    ev = net.sample_jacobian(n=1000, seed=0, threads=1)
    z = np.linspace(0.3, float(edge), 30) + 0.1j
    gt = sol.cauchy(z)
    ge = (1 / (z[:, None] - ev[None, :])).mean(axis=1)
    err = float(np.linalg.norm(gt - ge) / np.linalg.norm(gt))
    print(f"Monte Carlo: real network, width 1000: max eigenvalue {ev.max():.4f}, zero "
          f"fraction {np.mean(ev < 1e-10):.3f}, smoothed-density error {err:.2e} (expected "
          f"~ sqrt(L/N) = {np.sqrt(3 / 1000):.2e}) ({time.perf_counter() - t0:.2f} s)", file=out)
    if outdir is not None:
        os.makedirs(outdir, exist_ok=True)
        tex = system.to_tex(os.path.join(outdir, "jacobian_system.tex"))
        print(f"wrote      : {tex}", file=out)
        try:
            from . import plotting

            png = plotting.histogram(
                sol, ev, os.path.join(outdir, "jacobian_density.png"),
                title="Squared singular values of the input-output Jacobian $J$\n"
                      "ReLU network, depth 3, Haar orthogonal weights, $\\sigma_w^2 = 2$",
                caption="Curve: the density solved from the "
                        "S-transform System (float64). Right axis: the atom of mass 1/2 at 0 "
                        "(exact) and its fraction in the sample. Dotted: the support edge "
                        "$L^L/(L-1)^{L-1} = 27/4$. Bars: eigenvalues of $J J^T$ for one real "
                        "network of width 1000 (bins of Freedman-Diaconis width, cut at the "
                        "edges).")
            print(f"wrote      : {png}", file=out)
        except ImportError:
            print("plot       : skipped (pip install matplotlib)", file=out)


def demo(dps: int = 30, points: int = 9, out=None, outdir: str | None = "freealg-demo",
         progress: bool = True) -> int:
    """Run the demonstration: the Jacobian spectrum of a ReLU network (System, atoms, edge,
    Monte Carlo of the real network, a .tex and a PNG in ``outdir``), then three free
    convolutions with LaTeX, atoms, edges and densities. The report goes to ``out`` (stdout);
    with ``progress`` a stage bar goes to stderr (the whole run takes about 15 s).

    ``python -m freealg demo`` runs it; ``tests/test_readme.py`` checks its output (the exact
    atom 2/3 of the Wachter law, the Fuss-Catalan edge 27/4).

    Examples
    --------
    >>> from freealg.cli import build_parser
    >>> build_parser().parse_args(["demo"]).points
    9
    """
    _check_range("dps", dps, 1, 1000)
    _check_range("points", points, 1, 100_000)
    out = out or sys.stdout
    bar = _Progress(5, enabled=progress)
    try:
        _demo_stages(dps, points, out, outdir, bar)
    finally:
        bar.close()
    return 0


def _demo_stages(dps, points, out, outdir, bar: _Progress) -> None:
    from . import laws as L

    half, third = sp.Rational(1, 2), sp.Rational(1, 3)
    _jacobian_demo(dps, out, outdir, bar)
    print("\nfreealg demo: free convolutions solved symbolically and numerically", file=out)
    bar.stage("semicircle ⊞ Marchenko-Pastur")
    _report("semicircle(1) ⊞ Marchenko-Pastur(ratio 1/2)",
            L.free_additive(L.semicircle(1), L.marchenko_pastur(half)), dps, points, out)
    bar.stage("Fuss-Catalan")
    _report("Marchenko-Pastur(1) ⊠ Marchenko-Pastur(1)  (Fuss-Catalan)",
            L.free_multiplicative(L.free_poisson(1), L.free_poisson(1)), dps, points, out)
    bar.stage("Wachter law")
    _report("p q p for free projections, tau(p) = 1/2, tau(q) = 1/3  (Wachter law, in A)",
            L.free_compression(L.bernoulli(third), half, ambient=True), dps, points, out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``freealg`` command; returns the exit status.

    freealg errors (a syntax error, an unknown name, a bad parameter, a solver that did not
    converge) print ``freealg: error: ...`` on stderr and return 2.

    Examples
    --------
    >>> main(["spectrum", "x + y", "--law", "x=semicircle", "--law", "y=semicircle",
    ...       "--grid", "1", "--dps", "15"])          # doctest: +ELLIPSIS
    expression : x + y
    ...
    edges      : -2.8284271247461... (soft), 2.8284271247461... (soft)
    ...
    0
    >>> main(["spectrum", "x +", "--law", "x=semicircle"])   # message on stderr
    2

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).
    """
    args = build_parser().parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if args.command not in ("demo", "spectrum"):
        build_parser().print_help()
        return 2
    from .errors import FreeAlgError

    try:
        if args.command == "demo":
            return demo(args.dps, args.points, outdir=args.out, progress=not args.no_progress)
        return spectrum_command(args)
    except FreeAlgError as e:
        print(f"freealg: error: {e}", file=sys.stderr)
        return 2


def spectrum_command(args, out=None) -> int:
    """``freealg spectrum``: parse, compile, solve, print (or --json / --latex / --plot).

    Examples
    --------
    >>> import io, json
    >>> args = build_parser().parse_args(["spectrum", "u + u.H", "--law", "u=haar_unitary",
    ...                                   "--json", "--grid", "3", "--dps", "15"])
    >>> buf = io.StringIO()
    >>> spectrum_command(args, out=buf)
    0
    >>> doc = json.loads(buf.getvalue())
    >>> doc["moments"]                      # arcsine law on [-2, 2]: central binomials
    ['0', '2', '0', '6']
    >>> [(e["location"], e["kind"]) for e in doc["edges"]]
    [(-2.0, 'hard'), (2.0, 'hard')]
    """
    import json

    from .api.parse import parse_expr, parse_generator
    from .errors import InvalidParameterError
    from .numeric.solution import SpectralSolution
    from .reduce import compile_expr

    out = out or sys.stdout
    _check_range("dps", args.dps, 1, 1000)
    _check_range("grid", args.grid, 1, 100_000)
    gens: dict = {}
    for spec in args.law:
        name, g = parse_generator(spec)
        if name in gens:
            raise InvalidParameterError("law", spec, f"{name!r} is declared twice")
        gens[name] = g
    expr = parse_expr(args.expr, gens)
    system = compile_expr(expr, method=args.method) if args.method else compile_expr(expr)
    sol = SpectralSolution(system, args.dps)
    law = sol.law
    atoms = sol.atoms()
    edges = sol.edges()
    bands = sol.support()
    if bands:
        lo, hi = float(min(b.lo for b in bands)), float(max(b.hi for b in bands))
        xs = np.linspace(lo, hi, args.grid + 2)[1:-1]
        dens = np.asarray(law.density(xs), dtype=float)
    else:
        xs, dens = np.array([]), np.array([])
    moments = sol.moments(4)
    if args.json:
        def num(v):
            try:
                return float(sp.N(v, 17)) if not isinstance(v, (mpmath.mpf,)) else float(v)
            except (TypeError, ValueError):
                return str(v)

        doc = {"expression": repr(expr), "rules": [st.rule for st in system.steps],
               "atoms": [{"location": num(a.location), "mass": num(a.mass),
                          "exact": str(a.mass)} for a in atoms],
               "edges": [{"location": num(e.location), "digits": _digits(e.location, args.dps),
                          "kind": e.kind,
                          "error": num(e.error) if e.error else 0.0} for e in edges],
               "support": [[num(b.lo), num(b.hi)] for b in bands],
               "moments": [str(m) for m in moments],
               "density": {"x": xs.tolist(), "y": dens.tolist()}, "dps": args.dps}
        print(json.dumps(doc, indent=1), file=out)
    else:
        print(f"expression : {expr!r}", file=out)
        print(f"rules      : {', '.join(st.rule for st in system.steps)}", file=out)
        print(f"law        : {law!r}", file=out)
        print(f"moments    : {moments}", file=out)
        print("atoms      : " + (", ".join(f"{_fmt(a.location)} (mass {_fmt(a.mass)})"
                                            for a in atoms) or "none"), file=out)
        print("edges      : " + (", ".join(f"{_fmt(e.location, min(args.dps, 25))} ({e.kind})"
                                            for e in edges) or "none"), file=out)
        for x, d in zip(xs, dens):
            print(f"density    : {x:12.6f}  {d:.16e}", file=out)
    if args.latex is not None:
        if args.latex == "-":
            print(system.latex(), file=out)
        else:
            system.to_tex(args.latex)
            print(f"wrote {args.latex}", file=sys.stderr if args.json else out)
    if args.plot:
        from . import plotting
        from .montecarlo import sample

        ev = sample(expr, n=args.mc, seed=0) if args.mc else np.array([])
        plotting.histogram(sol, ev, path=args.plot)
        print(f"wrote {args.plot}", file=sys.stderr if args.json else out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
