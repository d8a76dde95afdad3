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
import math
import sys
import time
from typing import Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from .errors import FreeAlgError

__all__ = ["main", "build_parser", "demo", "spectrum_command", "UsageError"]


class UsageError(FreeAlgError):
    """A malformed command line (an unknown option, a missing argument, a value that is not
    a number); :func:`main` prints it on one line and exits with status 2.

    Examples
    --------
    >>> from freealg.cli import UsageError, build_parser
    >>> try:
    ...     build_parser().parse_args(["spectrum", "x", "--dps", "1.5"])
    ... except UsageError as err:
    ...     print(err)
    argument --dps: invalid int value: '1.5'
    """


class _Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting."""

    def error(self, message: str):
        if "required: expr" in message:
            message += (" (an expression that starts with '-' goes after '--', e.g. "
                        "freealg spectrum --law x=semicircle -- '-x')")
        raise UsageError(message)


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
    p = _Parser(prog="freealg", description="free probability: laws, free "
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
    sp_.add_argument("--grid", type=int, default=9, help="density points (default 9, at most "
                                                          "1000)")
    sp_.add_argument("--json", action="store_true", help="machine-readable output")
    sp_.add_argument("--latex", nargs="?", const="-", default=None, metavar="PATH",
                     help="print the System's LaTeX, or write a standalone .tex to PATH")
    sp_.add_argument("--plot", default=None, metavar="PATH", help="write a PNG/SVG of the density "
                                                                  "(matplotlib)")
    sp_.add_argument("--mc", type=int, default=0, metavar="N",
                     help="sample an N x N realisation (10 <= N <= 5000), print the KS/W1 "
                          "verdict against the theory and overlay the histogram on --plot")
    sp_.add_argument("--seed", type=int, default=0, help="seed of --mc (default 0)")
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
    xs = _grid(bands, points)
    t0 = time.perf_counter()
    dens64 = np.asarray(law.density(np.array([float(x) for x in xs])), dtype=float)
    t1 = time.perf_counter()
    # each value to the digits its error justifies: the dps value is checked at dps + 10, the
    # float64 value against the dps value
    print(f"density  : {'x':>10}  {'float64':>28}  {f'dps={dps}':>40}", file=out)
    for (x, dmp, err, note), d64 in zip(_density_rows(law, xs, dps), dens64):
        if err is None:
            print(f"           {x:>10}  {d64:28.6g}  {note:>40}", file=out)
            continue
        with mpmath.workdps(dps + 15):
            err64 = abs(mpmath.mpf(float(d64)) - dmp) + err
        print(f"           {x:>10}  {_value_text(float(d64), err64, 17):>28}  "
              f"{_value_text(dmp, err, dps):>40}", file=out)
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
    if outdir is not None:
        _check_outdir(outdir)
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


def _error_doc(err: BaseException) -> dict:
    """The JSON error object: type, one-line message, and the position of a parse error
    (``input`` says which text it refers to: ``"expression"`` or ``"law"``)."""
    from .api.parse import ParseError

    position, where = None, None
    if isinstance(err, ParseError):
        position, where = err.pos, getattr(err, "input", None)
    return {"error": {"type": type(err).__name__, "message": _one_line(err),
                      "position": position, "input": where}}


def _one_line(err: BaseException) -> str:
    from .api.parse import ParseError

    if isinstance(err, ParseError):
        return err.one_line()
    if isinstance(err, MemoryError):
        return ("out of memory: the problem is too large for this machine (try a smaller "
                "polynomial, fewer grid points or a smaller --mc)")
    if isinstance(err, RecursionError):
        return "the input is nested too deeply"
    text = " ".join(str(err).split())
    return text if len(text) <= 600 else text[:597] + "..."


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``freealg`` command; returns the exit status.

    Every malformed input (a bad option or number, a syntax error, an unknown name, a bad
    parameter, a path that cannot be written, a polynomial that is not self-adjoint, a solver
    that did not converge) prints one line ``freealg: error: ...`` on stderr and returns 2;
    with ``--json`` the error goes to stdout as ``{"error": {"type", "message", "position",
    "input"}}`` (``position``: the offset of a parse error in the text named by ``input``,
    ``"expression"`` or ``"law"``; null otherwise). Options and paths are checked before any
    computation.

    Examples
    --------
    >>> main(["spectrum", "x + y", "--law", "x=semicircle", "--law", "y=semicircle",
    ...       "--grid", "1", "--dps", "15"])          # doctest: +ELLIPSIS
    expression : x + y
    ...
    edges      : -2.8284271247461... (soft), 2.8284271247461... (soft)
    ...
    0
    >>> main(["spectrum", "x +", "--law", "x=semicircle"])   # one line on stderr
    2
    >>> main(["spectrum", "x*(y", "--law", "x=semicircle", "--json"])  # doctest: +ELLIPSIS
    {"error": {"type": "ParseError", "message": "unknown name 'y' ...", "position": 3, ...}}
    2

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad input, 1 on an internal error (a bug: please report it).
    """
    import json
    import os

    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv and argv[:1] == ["spectrum"]
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:          # --help
            return int(e.code or 0)
        if args.version:
            from . import __version__

            print(__version__)
            return 0
        if args.command not in ("demo", "spectrum"):
            raise UsageError("choose a command: 'freealg demo' or 'freealg spectrum EXPR "
                             "--law NAME=SPEC' (freealg --help)")
        if args.command == "demo":
            return demo(args.dps, args.points, outdir=args.out, progress=not args.no_progress)
        return spectrum_command(args)
    except (FreeAlgError, MemoryError, RecursionError) as e:
        if as_json:
            print(json.dumps(_error_doc(e)))
        else:
            print(f"freealg: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except BrokenPipeError:             # e.g. piped into head: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 1
    except Exception as e:  # noqa: BLE001 - a bug: one line, the traceback on request
        if os.environ.get("FREEALG_TRACEBACK"):
            raise
        msg = (f"internal error ({type(e).__name__}: {_one_line(e)}); please report it "
               "(FREEALG_TRACEBACK=1 shows the traceback)")
        if as_json:
            print(json.dumps({"error": {"type": type(e).__name__, "message": msg,
                                        "position": None, "input": None}}))
        else:
            print(f"freealg: {msg}", file=sys.stderr)
        return 1


# --------------------------------------------------------------------------------------------
# freealg spectrum

MAX_GRID = 1000      # density points (each is solved at dps and dps + 10 digits)
MC_RANGE = (10, 5000)  # Monte Carlo matrix sizes (an N x N eigenvalue problem)


def _check_tex_path(path: str) -> None:
    """``--latex PATH``: a .tex file in an existing, writable folder (checked up front)."""
    from pathlib import Path

    from .errors import InvalidParameterError

    p = Path(path)
    if p.suffix.lower() != ".tex":
        raise InvalidParameterError("latex", path, "the file extension must be .tex (or give "
                                                   "no PATH to print the LaTeX)")
    if p.is_dir():
        raise InvalidParameterError("latex", path, "is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError("latex", path, f"the folder {str(parent)!r} does not exist")
    _check_writable("latex", path, parent)


def _check_writable(name: str, path: str, folder) -> None:
    """Create (and remove) a scratch file in ``folder``: the only test that also holds for
    root and for read-only file systems. An existing target must be writable too."""
    import os
    import tempfile

    from .errors import InvalidParameterError

    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InvalidParameterError(name, path, f"the folder {str(folder)!r} is not writable "
                                                f"({exc.strerror or exc})") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise InvalidParameterError(name, path, "the file exists and is not writable")


def _check_outdir(outdir: str) -> None:
    """``demo --out``: a folder that exists or can be created, and is writable."""
    from pathlib import Path

    from .errors import InvalidParameterError

    p = Path(outdir)
    if p.exists() and not p.is_dir():
        raise InvalidParameterError("out", outdir, "exists and is not a folder")
    anc = p
    while not anc.exists():
        if anc.parent == anc:
            break
        anc = anc.parent
    anc = anc if str(anc) else Path(".")
    if not anc.is_dir():
        raise InvalidParameterError("out", outdir, f"{str(anc)!r} is not a folder")
    _check_writable("out", outdir, anc)


def _check_spectrum_args(args) -> None:
    """Every option of ``freealg spectrum`` that needs no computation, before any."""
    import importlib.util

    from .errors import InvalidParameterError, OptionalDependencyError
    from .plotting import check_path

    _check_range("dps", args.dps, 1, 1000)
    _check_range("grid", args.grid, 1, MAX_GRID)
    if args.mc and not MC_RANGE[0] <= args.mc <= MC_RANGE[1]:
        raise InvalidParameterError("mc", args.mc, f"use 0 (no Monte Carlo) or {MC_RANGE[0]} "
                                                   f"<= N <= {MC_RANGE[1]}")
    _check_range("seed", args.seed, 0, 2**63 - 1)
    if args.plot is not None:
        p = check_path(args.plot)
        assert p is not None
        _check_writable("plot", args.plot, p.parent if str(p.parent) else ".")
        if importlib.util.find_spec("matplotlib") is None:
            raise OptionalDependencyError("plot", args.plot, "matplotlib", "plot")
    if args.latex not in (None, "-"):
        _check_tex_path(args.latex)


def _grid(bands, count: int) -> list:
    """``count`` interior points of the support hull as short decimal strings (the density is
    evaluated at exactly the printed decimal)."""
    lo, hi = float(min(b.lo for b in bands)), float(max(b.hi for b in bands))
    xs = np.linspace(lo, hi, count + 2)[1:-1]
    scale = max(abs(lo), abs(hi), 1e-300)
    step = (hi - lo) / (count + 1) if hi > lo else scale
    sig = max(6, int(np.ceil(np.log10(scale / max(step, 1e-300)))) + 3)
    return [f"{v:.{min(sig, 17)}g}" for v in xs]


def _density_rows(sol, xs: list, dps: int) -> list:
    """Per point: (x text, value at dps, error estimate or None, float64 fallback, note).

    The error of the dps value is estimated by a second solve at dps + 10 digits (plus one
    unit in the last requested digit); when the high-precision solve fails, the float64 value
    is reported with no error."""
    from .errors import FreeAlgError

    rows: list[tuple[str, Any, Any, str | None]] = []
    for x in xs:
        try:
            with mpmath.workdps(dps + 15):
                xm = mpmath.mpf(x)
            v = sol.density(xm, dps=dps)
            w = sol.density(xm, dps=dps + 10)
            with mpmath.workdps(dps + 15):
                err = abs(v - w) + abs(w) * mpmath.mpf(10) ** (1 - dps)
            rows.append((x, v, err, None))
        except FreeAlgError as e:
            d64 = float(np.asarray(sol.density(np.array([float(x)])), dtype=float)[0])
            rows.append((x, d64, None, f"float64 only: {type(e).__name__}"))
    return rows


def _exact_text(v, dps: int) -> str:
    """An exact sympy value with its digits (``sqrt(2)/3 ≈ 0.4714...``), else its digits."""
    from .numeric.display import number_text

    if isinstance(v, sp.Basic) and not isinstance(v, (sp.Rational, sp.Float)) and v.is_number:
        return f"{v} ≈ {_digits(v, dps)}"
    return number_text(v, 0, dps)


def _value_text(v, err, dps: int) -> str:
    """A value shown to the digits its error justifies, with the error (exact: exactly)."""
    from .numeric.display import number_text

    if not err:
        return _exact_text(v, dps)
    if isinstance(v, sp.Basic) and not isinstance(v, sp.Float):
        with mpmath.workdps(dps + 5):
            v = mpmath.mpf(sp.N(v, dps + 5))
    return number_text(v, err, dps)


def _num(v) -> float | str:
    try:
        return float(v) if isinstance(v, (mpmath.mpf, float, int)) else float(sp.N(v, 17))
    except (TypeError, ValueError):
        return str(v)


def _finite(obj):
    """NaN and infinities become null (JSON has no NaN; json.dumps would write invalid JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _err_num(err) -> float | None:
    if err is None:
        return None
    from .numeric.display import error_text

    t = error_text(err)
    return float(t) if t is not None else 0.0


def spectrum_command(args, out=None) -> int:
    """``freealg spectrum``: validate, parse, compile, solve, then print (text or --json) and
    write the --latex/--plot files.

    Text prints every inexact number only to the digits its error justifies, with the error
    (``2.8284271247461900976 ± 1.2e-20``); exact values exactly. ``--json`` keeps all
    ``--dps`` digits as strings next to floats and errors. ``--mc N`` samples an N x N
    realisation and always prints the comparison verdict (KS and W1 with their N-derived
    thresholds; see :func:`freealg.montecarlo.compare`).

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

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`build_parser` (``spectrum`` subcommand).
    out : file, optional
        Where the report goes (default stdout).

    Returns
    -------
    int
        0 (errors raise freealg errors; :func:`main` turns them into exit status 2).
    """
    import json

    from .api.parse import ParseError, parse_expr, parse_generator
    from .errors import InvalidParameterError
    from .numeric.solution import SpectralSolution
    from .reduce import compile_expr

    out = out or sys.stdout
    _check_spectrum_args(args)
    gens: dict = {}
    for spec in args.law:
        try:
            name, g = parse_generator(spec)
        except ParseError as e:
            e.input = "law"
            raise
        if name in gens:
            raise InvalidParameterError("law", spec, f"{name!r} is declared twice")
        gens[name] = g
    try:
        expr = parse_expr(args.expr, gens)
    except ParseError as e:
        e.input = "expression"
        raise
    system = compile_expr(expr, method=args.method) if args.method else compile_expr(expr)
    sol = SpectralSolution(system, args.dps)
    law = sol.law
    atoms = sol.atoms()
    edges = sol.edges()
    bands = sol.support()
    moments = sol.moments(4)
    rows = _density_rows(sol, _grid(bands, args.grid), args.dps) if bands else []
    report, ev = None, np.array([])
    if args.mc:
        from .montecarlo import compare, sample

        ev = sample(expr, n=args.mc, seed=args.seed, progress=False)
        report = compare(sol, ev, moments=4)
    latex = system.latex() if args.latex == "-" else None
    if args.latex not in (None, "-"):
        system.to_tex(args.latex)
    if args.plot:
        from . import plotting

        plotting.histogram(sol, ev, path=args.plot)
    wrote = [p for p in (args.latex if latex is None else None, args.plot) if p]
    if args.json:
        dps = args.dps
        doc = {"expression": repr(expr), "rules": [st.rule for st in system.steps],
               "atoms": [{"location": _num(a.location), "digits": _digits(a.location, dps),
                          "mass": _num(a.mass), "mass_digits": _digits(a.mass, dps),
                          "exact": str(a.mass), "error": _err_num(a.error) or 0.0}
                         for a in atoms],
               "edges": [{"location": _num(e.location), "digits": _digits(e.location, dps),
                          "kind": e.kind, "error": _err_num(e.error) or 0.0} for e in edges],
               "support": [[_num(b.lo), _num(b.hi)] for b in bands],
               "moments": [str(m) for m in moments],
               "density": {"x": [float(x) for x, *_ in rows],
                           "y": [_num(v) for _, v, _, _ in rows],
                           "digits": [_digits(v, dps) if err is not None else None
                                      for _, v, err, _ in rows],
                           "error": [_err_num(err) for _, _, err, _ in rows]},
               "dps": dps}
        if report is not None:
            doc["monte_carlo"] = {"n": report.n, "seed": args.seed, "agrees": report.agrees,
                                  "ks": report.ks, "ks_threshold": report.ks_threshold,
                                  "w1": report.w1, "w1_scale": report.w1_scale,
                                  "failures": report.failures}
        if latex is not None:
            doc["latex"] = latex
        if wrote:
            doc["wrote"] = wrote
        print(json.dumps(_finite(doc), indent=1, allow_nan=False), file=out)
        return 0
    dps = args.dps
    print(f"expression : {expr!r}", file=out)
    print(f"rules      : {', '.join(st.rule for st in system.steps)}", file=out)
    print(f"law        : {law!r}", file=out)
    print(f"moments    : {moments}", file=out)
    print("atoms      : " + (", ".join(
        f"{_value_text(a.location, a.error, dps)} (mass {_value_text(a.mass, a.error, dps)})"
        for a in atoms) or "none"), file=out)
    print("edges      : " + (", ".join(f"{_value_text(e.location, e.error, dps)} ({e.kind})"
                                        for e in edges) or "none"), file=out)
    for x, v, err, note in rows:
        if err is None:
            print(f"density    : {x:>12}  {v:.6g}  ({note}, error not estimated)", file=out)
        else:
            print(f"density    : {x:>12}  {_value_text(v, err, dps)}", file=out)
    if report is not None:
        print(f"monte carlo: {'AGREES' if report.agrees else 'DISAGREES'} (N = {report.n}, "
              f"seed {args.seed}): KS = {report.ks:.3g} (threshold {report.ks_threshold:.3g}"
              f"), W1 = {report.w1:.3g} (scale {report.w1_scale:.3g})", file=out)
        if report.failures:
            print("             failed: " + "; ".join(report.failures), file=out)
    if latex is not None:
        print(latex, file=out)
    for path in wrote:
        print(f"wrote      : {path}", file=out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
