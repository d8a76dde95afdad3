"""The figure of a Brown measure: its density on a mesh of the plane (drawing only).

matplotlib is optional and imported inside the function; the figure is a
``freealg.plotting.Figure`` (shows itself in Jupyter, never through pyplot).

Examples
--------
>>> import freealg as fa
>>> from freealg.reduce.brown_plot import plot_brown
>>> fig = plot_brown(fa.brown_measure(fa.circular("c")), grid=11)
>>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
('Re z', 'Im z')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..deps import require
from ..errors import InvalidParameterError
from ..plotting import check_path

__all__ = ["plot_brown"]


def plot_brown(bm: Any, path: Any = None, *, ax: Any = None, grid: int = 81,
               extent: Any = None) -> Any:
    """Draw the density of a :class:`~freealg.reduce.brown.BrownMeasure` on a mesh.

    Examples
    --------
    >>> import freealg as fa
    >>> fig = plot_brown(fa.brown_measure(fa.circular("c")), grid=11, extent=(-1, 1, -1, 1))
    >>> tuple(float(v) for v in fig.axes[0].get_xlim())
    (-1.0, 1.0)

    Parameters
    ----------
    bm : BrownMeasure
        The measure.
    path : str or path, optional
        Save the figure there (.png, .svg or .pdf).
    ax : matplotlib Axes, optional
        Draw into these axes.
    grid : int, optional
        Points per side of the mesh (the density is computed at grid^2 points).
    extent : tuple, optional
        (x0, x1, y0, y1); default: the square of side 2 ||T|| bound about tau(T), clipped to
        1.1 times the largest |z| on the mesh where the density is positive.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(grid, int) or isinstance(grid, bool) or not 3 <= grid <= 1000:
        raise InvalidParameterError("grid", grid, "must be an int in [3, 1000]")
    target = check_path(path)
    require("matplotlib", "plotting", "matplotlib")
    from .. import plotting

    c = complex(bm.center)
    if extent is None:
        R = bm.bound
        xs = np.linspace(-R, R, grid)
        Z = c + xs[None, :] + 1j * xs[:, None]
        D = bm.density(Z)
        pos = np.nan_to_num(D) > 0
        if np.any(pos):
            r = 1.1 * float(np.max(np.abs(Z[pos] - c)))
            if r < 0.8 * R:
                xs = np.linspace(-r, r, grid)
                Z = c + xs[None, :] + 1j * xs[:, None]
                D = bm.density(Z)
        x0, x1 = c.real + xs[0], c.real + xs[-1]
        y0, y1 = c.imag + xs[0], c.imag + xs[-1]
    else:
        x0, x1, y0, y1 = (float(v) for v in extent)
        Z = np.linspace(x0, x1, grid)[None, :] + 1j * np.linspace(y0, y1, grid)[:, None]
        D = bm.density(Z)
    if ax is None:
        fig = plotting.Figure(figsize=(5.2, 4.4), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    im = ax.imshow(D, origin="lower", extent=(x0, x1, y0, y1), cmap="viridis",
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, label="density")
    ax.set_xlabel("Re z")
    ax.set_ylabel("Im z")
    ax.set_title(f"Brown measure of {bm.expr}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if target is not None:
        fig.savefig(target)
    return fig
