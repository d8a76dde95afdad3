"""Plots: a histogram of sampled eigenvalues against the theoretical density, and the log-log
decay plot of a freeness test.

matplotlib is optional (the ``plot`` extra) and imported inside the functions, with the
non-interactive Agg back end when no back end has been chosen yet. Compute functions never
plot; these functions only draw what :mod:`freealg.montecarlo` computed.

Examples
--------
>>> import freealg as fa
>>> from freealg import plotting
>>> callable(plotting.histogram), callable(plotting.freeness)
(True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .deps import require
from .errors import InvalidParameterError
from .montecarlo.cdf import theory_cdf

__all__ = ["histogram", "freeness"]

_FORMATS = (".png", ".svg", ".pdf")


def _pyplot():
    mpl = require("matplotlib", "plotting", "matplotlib")
    import sys

    if "matplotlib.pyplot" not in sys.modules:
        mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Any):
    if path is None:
        return fig
    p = Path(path)
    if p.suffix.lower() not in _FORMATS:
        raise InvalidParameterError("path", str(path), f"the file extension must be one of "
                                                       f"{', '.join(_FORMATS)}")
    fig.savefig(p, dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return p


def histogram(sol: Any, eigenvalues: Any, path: Any = None, *, bins: int | str = "auto",
              grid: int = 1000, ax: Any = None, title: str | None = None):
    """Histogram of sampled eigenvalues over the theoretical density, atoms drawn as stems.

    The histogram shows only the values not sitting on an atom (scaled so that its area is the
    empirical continuous mass), the density curve is ``sol.density``, and each atom is a stem of
    height equal to its mass (theory) with a marker at the empirical mass.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.plotting import histogram
    >>> ev = fa.sample(fa.semicircular("x"), n=200, seed=0)
    >>> fig = histogram(fa.semicircle(1), ev, title="GOE, N = 200")
    >>> type(fig).__name__, fig.axes[0].get_title()
    ('Figure', 'GOE, N = 200')
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)

    Parameters
    ----------
    sol : SpectralSolution or Law
        The theory: anything with ``density``, ``atoms`` and ``support``.
    eigenvalues : array
        e.g. from :func:`freealg.montecarlo.sample`.
    path : str or Path, optional
        Save to this file (PNG, SVG or PDF by extension) and return the path; otherwise return
        the matplotlib Figure.
    bins : int or str
        Passed to ``numpy.histogram_bin_edges``.
    grid : int
        Number of points of the density curve per band.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure or pathlib.Path

    Raises
    ------
    OptionalDependencyError
        matplotlib is not installed (``pip install 'freealg-cas[plot]'``).
    """
    plt = _pyplot()
    ev = np.sort(np.asarray(eigenvalues, dtype=float).ravel())
    F = theory_cdf(sol)
    lo, hi = F.support_hull()
    R = max(abs(lo), abs(hi), 1.0)
    on_atom = np.zeros(ev.size, bool)
    emp_mass = []
    for loc, _ in F.atoms:
        hit = np.abs(ev - loc) <= 1e-9 * R
        on_atom |= hit
        emp_mass.append(hit.mean())
    rest = ev[~on_atom]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    if rest.size:
        w = np.full(rest.size, 1.0 / ev.size)
        edges = np.histogram_bin_edges(rest, bins=bins)
        counts, edges = np.histogram(rest, bins=edges, weights=w)
        widths = np.diff(edges)
        ax.bar(edges[:-1], counts / widths, width=widths, align="edge", alpha=0.4,
               color="C0", label=f"sample (N={getattr(eigenvalues, 'info', {}).get('n', ev.size)})")
    for blo, bhi in F.bands:
        x = np.linspace(blo, bhi, grid)[1:-1]
        with np.errstate(all="ignore"):
            y = np.asarray(sol.density(x), dtype=float)
        ax.plot(x, y, color="C1", lw=1.5, label="theory" if (blo, bhi) == F.bands[0] else None)
    for i, ((loc, m), em) in enumerate(zip(F.atoms, emp_mass)):
        ax.vlines(loc, 0, m, color="C3", lw=2, label="atoms (theory)" if i == 0 else None)
        ax.plot([loc], [em], "v", color="k", label="atoms (sample)" if i == 0 else None)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density / atom mass")
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


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
    """
    plt = _pyplot()
    for attr in ("n_values", "rms", "exponents", "aggregate"):
        if not hasattr(report, attr):
            raise InvalidParameterError("report", type(report).__name__,
                                        "must be a FreenessReport from freeness_test")
    ns = np.asarray(report.n_values, dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    else:
        fig = ax.figure
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
    return _save(fig, path)
