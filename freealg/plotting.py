"""Plots: the density of a law or a spectral solution (atoms on a second axis, edges marked),
a histogram of sampled eigenvalues against it, and the log-log decay plot of a freeness test.

matplotlib is optional (``pip install matplotlib``, or the ``plot`` extra from a clone:
``pip install -e ".[plot]"``) and imported inside the functions. The figures are built as
:class:`matplotlib.figure.Figure` objects, never through pyplot, so plotting never selects or
switches the user's back end: in Jupyter the returned figure shows itself (it has a PNG
representation), a script saves it with ``path=`` or ``fig.savefig``, and a pyplot user passes
their own ``ax=``. Compute functions never plot; these functions only draw what the law (or
:mod:`freealg.montecarlo`) computed.

Examples
--------
>>> import sympy as sp, freealg as fa
>>> fig = fa.plotting.plot(fa.free_poisson(sp.Rational(1, 2)))
>>> fig.axes[0].get_title()
'free_poisson(rate=1/2, jump=1)'
>>> [(c.get_label(), c.get_segments()[0].tolist()) for c in fig.axes[1].collections]
[('atoms', [[0.0, 0.0], [0.0, 0.5]])]
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from .deps import require
from .errors import InvalidParameterError

__all__ = ["plot", "histogram", "freeness", "check_path"]

_FORMATS = (".png", ".svg", ".pdf")
_FIGSIZE = (6.4, 4.0)          # inches: one column of a two-column paper at 2x, or a slide
_MAX_BINS = 200                # per band (Freedman-Diaconis can ask for thousands)
_FIGURE: Any = None


# --------------------------------------------------------------------------------------------
# figures without pyplot


def _figure_class() -> Any:
    """The Figure subclass of this module (built on first use: matplotlib is optional)."""
    global _FIGURE
    if _FIGURE is None:
        require("matplotlib", "plotting", "matplotlib")
        from matplotlib.figure import Figure as _MplFigure

        class Figure(_MplFigure):
            """A matplotlib Figure that shows itself in Jupyter as a PNG, without pyplot."""

            def _repr_png_(self) -> bytes:
                buf = io.BytesIO()
                self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
                return buf.getvalue()

        Figure.__module__ = __name__
        Figure.__qualname__ = "Figure"
        _FIGURE = Figure
    return _FIGURE


def __getattr__(name: str) -> Any:
    # freealg.plotting.Figure, built lazily (pickle finds the class through this)
    if name == "Figure":
        return _figure_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _new_axes(ax: Any, figsize: tuple[float, float] = _FIGSIZE) -> tuple[Any, Any]:
    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise InvalidParameterError("ax", type(ax).__name__, "must be a matplotlib Axes")
        return ax.figure, ax
    fig = _figure_class()(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def check_path(path: Any) -> Path | None:
    """Validate a figure's output path before anything is computed (the plot functions call
    it first; a command line can call it before its own work).

    Examples
    --------
    >>> from freealg.plotting import check_path
    >>> str(check_path("density.svg")), check_path(None)
    ('density.svg', None)
    >>> check_path("density.txt")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid path='density.txt': the file extension must be
    one of .png, .svg, .pdf

    Parameters
    ----------
    path : str, Path or None
        The file to write (PNG, SVG or PDF by extension); ``None``: no file.

    Returns
    -------
    pathlib.Path or None

    Raises
    ------
    InvalidParameterError
        Another extension, a folder, or a folder that does not exist.
    """
    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() not in _FORMATS:
        raise InvalidParameterError("path", str(path), f"the file extension must be one of "
                                                       f"{', '.join(_FORMATS)}")
    if p.is_dir():
        raise InvalidParameterError("path", str(path), "is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InvalidParameterError("path", str(path), f"the folder {str(parent)!r} does not "
                                                       f"exist")
    return p


def _save(fig: Any, path: Path | None) -> Any:
    if path is None:
        return fig
    try:
        fig.savefig(path, dpi=200, bbox_inches="tight")
    except OSError as exc:
        raise InvalidParameterError("path", str(path), f"cannot be written ({exc.strerror or exc})"
                                    ) from None
    return path


# --------------------------------------------------------------------------------------------
# the theory: atoms, bands, density on a grid


def _float(v: Any) -> float:
    try:
        return float(v)
    except TypeError:
        return float(complex(v).real)


def _theory(obj: Any) -> tuple[list[tuple[float, float, Any]], list[tuple[float, float]]]:
    """Atoms as (location, mass, exact mass) and bands as (lo, hi) floats, sorted."""
    for attr in ("atoms", "support", "density"):
        if not callable(getattr(obj, attr, None)):
            raise InvalidParameterError("obj", type(obj).__name__,
                                        "must be a freealg Law or SpectralSolution (it needs "
                                        "atoms(), support() and density())")
    atoms = sorted((_float(a.location), _float(a.mass), a.mass) for a in obj.atoms())
    ac_mass = 1.0 - sum(m for _, m, _ in atoms)
    bands = [(_float(b.lo), _float(b.hi)) for b in obj.support()] if ac_mass > 1e-14 else []
    return atoms, sorted((lo, hi) for lo, hi in bands if hi > lo)


def _band_grid(lo: float, hi: float, grid: int) -> np.ndarray:
    """``grid`` interior points of [lo, hi], clustered at both edges (x = lo + (hi - lo)
    (1 - cos(pi s)) / 2 on a uniform s grid), so square-root and hard edges are resolved."""
    s = np.arange(1, grid + 1) / (grid + 1)
    return lo + (hi - lo) * (1.0 - np.cos(np.pi * s)) / 2.0


def _density(obj: Any, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(obj.density(x), dtype=float)


def _describe(obj: Any) -> str:
    system = getattr(obj, "system", None)
    if system is not None and getattr(system, "expr", None) is not None:
        what = f"spectrum of {system.expr}"
    else:
        what = repr(obj)
    return what if len(what) <= 80 else what[:77] + "..."


def _mass_label(m: Any) -> str:
    import sympy as sp

    if isinstance(m, sp.Basic) and m.is_Rational:   # an exact mass: 1/2, never user text
        return str(m)
    return f"{_float(m):.4g}"


def _draw(ax: Any, obj: Any, atoms: list, bands: list, *, x: Any, grid: int, log: bool,
          ymax: float = 0.0, color: str = "C1") -> tuple[Any, list]:
    """Density curve(s), edges and atom stems; returns the atom axis (or None) and handles.

    On a linear axis the y range is set by the density away from the band edges (1% of the
    band width; near a hard edge it diverges) and ``ymax`` (the histogram's tallest bar): a
    divergent edge runs off the top instead of flattening everything else."""
    handles = []
    if x is not None:
        xs = np.sort(np.asarray(x, dtype=float).ravel())
        if xs.size == 0 or not np.all(np.isfinite(xs)):
            raise InvalidParameterError("x", "array", "must be a non-empty array of finite "
                                                      "numbers")
        curves = [xs]
    else:
        curves = [_band_grid(lo, hi, grid) for lo, hi in bands]
    first = True
    bulk = [0.0]   # the density away from the edges, for the y range (a hard edge diverges)
    for xs, band in zip(curves, bands if x is None else [None]):
        y = _density(obj, xs)
        if band is not None:
            lo, hi = band
            inner = (xs >= lo + 0.01 * (hi - lo)) & (xs <= hi - 0.01 * (hi - lo))
            bulk.append(float(np.nanmax(y[inner], initial=0.0)))
        else:
            bulk.append(float(np.nanmax(np.where(np.isfinite(y), y, np.nan), initial=0.0)))
        if log:
            y = np.where(y > 0, y, np.nan)
        (line,) = ax.plot(xs, y, color=color, lw=1.6, label="density" if first else None)
        if first:
            handles.append(line)
        first = False
    edges = sorted({e for band in bands for e in band})
    if edges:
        ec = ax.vlines(edges, 0, 1, transform=ax.get_xaxis_transform(), colors="0.45",
                       linestyles=":", lw=1, label="support edges")
        handles.append(ec)
    if log:
        ax.set_yscale("log")
    else:
        top = max(max(bulk), ymax)
        ax.set_ylim(0, 1.15 * top if top > 0 else 1.0)
    ax2 = None
    if atoms:
        ax2 = ax.twinx()
        locs = [a[0] for a in atoms]
        masses = [a[1] for a in atoms]
        st = ax2.vlines(locs, 0, masses, colors="C3", lw=2.2, label="atoms")
        ax2.plot(locs, masses, "o", color="C3", ms=5)
        for loc, m, exact in atoms:
            ax2.annotate(_mass_label(exact), (loc, m), textcoords="offset points",
                         xytext=(4, 3), fontsize=8, color="C3")
        ax2.set_ylim(0, min(1.0, 1.2 * max(masses)) if max(masses) > 0 else 1.0)
        ax2.set_ylabel("atom mass", color="C3")
        ax2.tick_params(axis="y", colors="C3")
        handles.append(st)
    return ax2, handles


def _caption(fig: Any, caption: str | None) -> None:
    if caption:
        fig.text(0.5, -0.01, caption, ha="center", va="top", fontsize=8, wrap=True)


# --------------------------------------------------------------------------------------------
# public functions


def plot(obj: Any, path: Any = None, *, ax: Any = None, x: Any = None, log: bool = False,
         title: str | None = None, grid: int = 600, caption: str | None = None):
    """Density of a law or spectral solution, atoms as stems on a second axis, edges marked.

    The density is evaluated in float64 (``obj.density`` on an array) on a grid clustered at
    the edges of each band of ``obj.support()``; each atom of ``obj.atoms()`` is a stem whose
    height is its mass, read on the right-hand axis (with the exact mass written next to it),
    and the band edges are dotted vertical lines. The figure is a
    :class:`matplotlib.figure.Figure` built without pyplot (it shows itself in Jupyter).

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> fig = fa.plotting.plot(fa.semicircle(1))
    >>> line = fig.axes[0].lines[0]
    >>> xs, ys = line.get_xdata(), line.get_ydata()
    >>> # Wigner's semicircle: sqrt(4 - x^2) / (2 pi) on [-2, 2]
    >>> bool(np.allclose(ys, np.sqrt(4 - xs**2) / (2 * np.pi), rtol=1e-8, atol=1e-12))
    True
    >>> fig = fa.plotting.plot(fa.bernoulli(sp.Rational(1, 4)), title="Bernoulli(1/4)")
    >>> [c.get_segments() for c in fig.axes[1].collections][0][1].tolist()   # mass 1/4 at 1
    [[1.0, 0.0], [1.0, 0.25]]

    Parameters
    ----------
    obj : Law or SpectralSolution
        Anything with ``density``, ``atoms`` and ``support``.
    path : str or Path, optional
        Save to this file (PNG, SVG or PDF by extension) and return the path; otherwise return
        the Figure.
    ax : matplotlib Axes, optional
        Draw into these axes (e.g. from the user's pyplot) instead of a new figure.
    x : array_like, optional
        Evaluate the density at these points instead of the automatic grid of each band.
    log : bool
        Logarithmic density axis (zeros are left out); the atom axis stays linear.
    title : str, optional
        Axes title (default: what is plotted, e.g. the law or the polynomial).
    grid : int
        Points of the density curve per band.
    caption : str, optional
        A caption under the figure.

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path

    Raises
    ------
    InvalidParameterError
        ``obj`` is not law-like, ``path`` has another extension or cannot be written, or ``x``
        is empty or not finite.
    OptionalDependencyError
        matplotlib is not installed (``pip install matplotlib``).
    """
    out = check_path(path)
    grid = _check_grid(grid)
    atoms, bands = _theory(obj)
    fig, ax = _new_axes(ax)
    ax2, handles = _draw(ax, obj, atoms, bands, x=x, grid=grid, log=log)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    ax.set_title(title if title is not None else _describe(obj))
    if handles:
        ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    _caption(fig, caption)
    return _save(fig, out)


def _check_grid(grid: Any) -> int:
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or not 2 <= grid <= 10**6:
        raise InvalidParameterError("grid", grid, "must be an integer between 2 and 10**6")
    return int(grid)


def _fd_width(v: np.ndarray) -> float:
    """Freedman-Diaconis bin width 2 IQR n^(-1/3) (Freedman and Diaconis 1981); the sqrt
    rule's width when the interquartile range is 0."""
    if v.size < 2:
        return 0.0
    q75, q25 = np.percentile(v, [75, 25])
    h = 2.0 * (q75 - q25) * v.size ** (-1.0 / 3.0)
    if not h > 0:
        h = (v.max() - v.min()) / max(1.0, math.sqrt(v.size))
    return float(h)


def _support_bins(rest: np.ndarray, bands: list[tuple[float, float]]) -> list[np.ndarray]:
    """Bin edges band by band: each band [lo, hi] is cut into equal bins of about the
    Freedman-Diaconis width (lo and hi are bin edges, so no bin straddles an edge or a gap),
    extended outwards with the same width to cover the samples nearest to that band."""
    h = _fd_width(rest)
    nearest = np.argmin(np.stack([np.maximum(0, np.maximum(lo - rest, rest - hi))
                                  for lo, hi in bands]), axis=0)
    out = []
    for i, (lo, hi) in enumerate(bands):
        mine = rest[nearest == i]
        n = _MAX_BINS if h <= 0 else int(min(_MAX_BINS, max(1, math.ceil((hi - lo) / h))))
        w = (hi - lo) / n
        below = int(math.ceil((lo - mine.min()) / w)) if mine.size and mine.min() < lo else 0
        above = int(math.ceil((mine.max() - hi) / w)) if mine.size and mine.max() > hi else 0
        out.append(lo + w * np.arange(-min(below, _MAX_BINS), n + min(above, _MAX_BINS) + 1))
    return out


def histogram(sol: Any, eigenvalues: Any, path: Any = None, *, bins: Any = "support",
              grid: int = 600, ax: Any = None, title: str | None = None, log: bool = False,
              caption: str | None = None):
    """Histogram of sampled eigenvalues over the theoretical density; the singular part apart.

    The eigenvalues sitting on an atom of the theory (within 1e-9 of the scale) are taken out
    of the histogram and shown on the right-hand axis, as a marker at their empirical mass next
    to the theory's stem (height = the atom's mass); the histogram of the others is scaled so
    that its area is their empirical mass, and drawn under the density curve of
    :func:`plot`. Bins: ``"support"`` (default) cuts each band of the support into bins of about
    the Freedman-Diaconis width 2 IQR N^(-1/3), with the band edges as bin edges (no bin
    straddles an edge or a gap); ``"fd"`` is the Freedman-Diaconis rule over the sample's range;
    an int or another rule name goes to :func:`numpy.histogram_bin_edges`.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.plotting import histogram
    >>> ev = fa.sample(fa.semicircular("x"), n=200, seed=0)
    >>> fig = histogram(fa.semicircle(1), ev, title="GOE, N = 200")
    >>> type(fig).__name__, fig.axes[0].get_title()
    ('Figure', 'GOE, N = 200')

    Parameters
    ----------
    sol : SpectralSolution or Law
        The theory: anything with ``density``, ``atoms`` and ``support``.
    eigenvalues : array
        e.g. from :func:`freealg.montecarlo.sample` (may be empty: then only the theory).
    path : str or Path, optional
        Save to this file (PNG, SVG or PDF by extension) and return the path; otherwise return
        the Figure.
    bins : {'support', 'fd'}, int, str or array
        The binning rule (see above).
    grid : int
        Number of points of the density curve per band.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    title : str, optional
        Axes title (default: what the theory is).
    log : bool
        Logarithmic density axis.
    caption : str, optional
        A caption under the figure.

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path

    Raises
    ------
    InvalidParameterError
        ``sol`` is not law-like, ``path`` has another extension or cannot be written, or
        ``eigenvalues`` are not finite numbers.
    OptionalDependencyError
        matplotlib is not installed (``pip install matplotlib``).
    """
    out = check_path(path)
    grid = _check_grid(grid)
    try:
        ev = np.sort(np.asarray(eigenvalues, dtype=float).ravel())
    except (TypeError, ValueError):
        raise InvalidParameterError("eigenvalues", type(eigenvalues).__name__,
                                    "must be an array of real numbers") from None
    if not np.all(np.isfinite(ev)):
        raise InvalidParameterError("eigenvalues", "array", "must be finite (no NaN or inf)")
    atoms, bands = _theory(sol)
    scale = max([abs(v) for band in bands for v in band] + [abs(a[0]) for a in atoms] + [1.0])
    on_atom = np.zeros(ev.size, bool)
    emp_mass = []
    for loc, _, _ in atoms:
        hit = np.abs(ev - loc) <= 1e-9 * scale
        on_atom |= hit
        emp_mass.append(float(hit.mean()) if ev.size else float("nan"))
    rest = ev[~on_atom]
    fig, ax = _new_axes(ax)
    handles = []
    if rest.size:
        if isinstance(bins, str) and bins == "support" and bands:
            edge_sets = _support_bins(rest, bands)
        elif isinstance(bins, str) and bins in ("support", "fd"):
            h = _fd_width(rest)
            n = 1 if h <= 0 else int(min(_MAX_BINS, max(1, math.ceil(np.ptp(rest) / h))))
            edge_sets = [np.histogram_bin_edges(rest, bins=n)]
        else:
            try:
                edge_sets = [np.histogram_bin_edges(rest, bins=bins)]
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError("bins", bins, f"must be 'support', 'fd', an int, "
                                                          f"a numpy rule or edges ({exc})"
                                            ) from None
        n_total = getattr(eigenvalues, "info", {}).get("n", ev.size)
        ymax = 0.0
        for k, edges in enumerate(edge_sets):
            counts, edges = np.histogram(rest, bins=edges)
            widths = np.diff(edges)
            bars = ax.bar(edges[:-1], counts / (ev.size * widths), width=widths, align="edge",
                          alpha=0.35, color="C0", edgecolor="C0", lw=0.3,
                          label=f"sample (N={n_total})" if k == 0 else None)
            if k == 0:
                handles.append(bars)
            ymax = max(ymax, float(np.max(counts / (ev.size * widths), initial=0.0)))
    else:
        ymax = 0.0
    ax2, th = _draw(ax, sol, atoms, bands, x=None, grid=grid, log=log, ymax=ymax)
    handles += th
    if ax2 is not None and ev.size:
        em = ax2.plot([a[0] for a in atoms], emp_mass, "v", color="k", ms=6,
                      label="atoms (sample)")[0]
        handles.append(em)
        top = max(max(a[1] for a in atoms), max(emp_mass))
        ax2.set_ylim(0, min(1.05, 1.2 * top) if top > 0 else 1.0)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    ax.set_title(title if title is not None else _describe(sol))
    ax.legend(handles=handles, loc="best", fontsize=8, frameon=False)
    _caption(fig, caption)
    return _save(fig, out)


def freeness(report: Any, path: Any = None, *, ax: Any = None, words: Any = None,
             title: str | None = None):
    """Log-log plot of a :class:`~freealg.montecarlo.FreenessReport`.

    Draws the rms of each mixed moment against N, the fitted lines, and the reference slopes
    -1 (free) and 0 (not free).

    Examples
    --------
    >>> import os, tempfile, freealg as fa
    >>> from freealg.plotting import freeness
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> rep = fa.freeness_test(x, y, n_values=(40, 80, 160), trials=4, orders=1, seed=0)
    >>> path = freeness(rep, os.path.join(tempfile.mkdtemp(), "freeness.svg"))
    >>> path.suffix, path.stat().st_size > 0
    ('.svg', True)

    Parameters
    ----------
    report : FreenessReport
        From :func:`~freealg.freeness_test`.
    path : str or Path, optional
        Save to this file (PNG, SVG or PDF by extension) and return the path; otherwise return
        the Figure.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    words : sequence of str, optional
        Which words to draw (default: all).
    title : str, optional
        Axes title (default: the verdict).

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path

    Raises
    ------
    InvalidParameterError
        ``report`` is not a FreenessReport, or ``path`` has another extension or cannot be
        written.
    OptionalDependencyError
        matplotlib is not installed (``pip install matplotlib``).
    """
    out = check_path(path)
    for attr in ("n_values", "rms", "exponents", "aggregate"):
        if not hasattr(report, attr):
            raise InvalidParameterError("report", type(report).__name__,
                                        "must be a FreenessReport from freeness_test")
    ns = np.asarray(report.n_values, dtype=float)
    fig, ax = _new_axes(ax, figsize=(6.4, 4.5))
    for i, w in enumerate(words or report.words):
        r = np.asarray(report.rms[w])
        e, _ = report.exponents[w]
        ax.loglog(ns, r, "o", color=f"C{i % 10}", ms=4)
        if np.isfinite(e):
            c = np.exp(np.mean(np.log(r)) - e * np.mean(np.log(ns)))
            ax.loglog(ns, c * ns ** e, "-", color=f"C{i % 10}", lw=1,
                      label=f"tr({w}): N^{e:.2f}")
    agg = np.asarray(report.aggregate)
    ax.loglog(ns, agg, "ks--", lw=1.5,
              label=f"aggregate (normalised): N^{report.exponent:.2f}")
    ax.loglog(ns, agg[0] * (ns / ns[0]) ** -1.0, ":", color="gray", label="slope -1 (free)")
    ax.loglog(ns, agg[0] * np.ones_like(ns), "-.", color="gray", label="slope 0 (not free)")
    ax.set_xlabel("N")
    ax.set_ylabel("rms over trials of tr(mixed word)")
    ax.set_title(title or f"freeness test: {report.verdict}")
    ax.legend(fontsize=6, ncol=2, loc="best")
    return _save(fig, out)
