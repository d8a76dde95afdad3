"""Parameter sweeps: a function over a grid of parameters, serially or on a dask cluster.

:func:`sweep` evaluates ``fn(**point)`` at every point of the cartesian product of a grid (a
dict of lists) and returns a :class:`SweepResult` whose ``values`` array has one axis per grid
parameter, in the order of the dict. ``backend='dask'`` sends the points as independent tasks to
a ``dask.distributed`` cluster (a local one by default, or the scheduler at an address, or a
``Client`` you made); the values are the same as the serial run's, point for point, since
each point is the same deterministic call (give ``fn`` its own seed if it draws random
numbers).

:func:`phase_diagram` is the classic picture of signal propagation in deep networks: chi (the
mean-field slope of the variance map at its fixed point) or the largest singular value of the
input-output Jacobian over (sigma_w, sigma_b), with the critical line chi = 1 (the edge of
chaos, :func:`~freealg.nn.critical_sigma_w`).

Examples
--------
>>> from freealg.nn import sweep
>>> res = sweep(lambda a, b: a * b, {"a": [1, 2, 3], "b": [10, 20]}, progress=False)
>>> res.values
array([[10, 20],
       [20, 40],
       [30, 60]])
>>> res.to_records()[:2]
[{'a': 1, 'b': 10, 'value': 10}, {'a': 1, 'b': 20, 'value': 20}]
"""

from __future__ import annotations

import itertools
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..deps import require
from ..errors import InvalidParameterError, NoConvergence
from ..progress import bar as progress_bar
from ..progress import check as check_progress
from .meanfield import MeanField, critical_sigma_w

__all__ = ["sweep", "SweepResult", "phase_diagram", "PhaseDiagram", "BACKENDS"]

#: the back ends of :func:`sweep`
BACKENDS = ("serial", "dask")


@dataclass
class SweepResult:
    """The values of a function over a parameter grid (made by :func:`sweep`).

    Examples
    --------
    >>> from freealg.nn import sweep
    >>> res = sweep(lambda x: x**2, {"x": [1.0, 2.0]}, progress=False)
    >>> res.names, res.shape, res.values
    (('x',), (2,), array([1., 4.]))
    >>> float(res[1])
    4.0

    Attributes
    ----------
    grid : dict of str to list
        The parameters and their values, in order (a copy of the grid given).
    values : numpy.ndarray
        ``values[i, j, ...]`` is ``fn`` at the i-th value of the first parameter, the j-th of
        the second, ...; a numeric array when every value is a number (or every value is an
        array of one shape: its axes come after the grid's), else an object array.
    """

    grid: dict[str, list]
    values: np.ndarray = field(repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names, one per leading axis of :attr:`values`.

        Examples
        --------
        >>> sweep(lambda a, b: a + b, {"a": [1], "b": [2, 3]}, progress=False).names
        ('a', 'b')
        """
        return tuple(self.grid)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the grid (len of each parameter's list).

        Examples
        --------
        >>> sweep(lambda a, b: a + b, {"a": [1], "b": [2, 3]}, progress=False).shape
        (1, 2)
        """
        return tuple(len(v) for v in self.grid.values())

    def points(self) -> list[dict[str, Any]]:
        """The grid points, in the order of ``values.ravel()`` over the grid axes (row-major).

        Examples
        --------
        >>> sweep(lambda a, b: a + b, {"a": [1], "b": [2, 3]}, progress=False).points()
        [{'a': 1, 'b': 2}, {'a': 1, 'b': 3}]
        """
        names = self.names
        return [dict(zip(names, combo)) for combo in itertools.product(*self.grid.values())]

    def to_records(self, name: str = "value") -> list[dict[str, Any]]:
        """One dict per grid point: the parameters and the value (under ``name``); ready for
        ``pandas.DataFrame(result.to_records())``.

        Examples
        --------
        >>> sweep(lambda a, b: a + b, {"a": [1], "b": [2, 3]}, progress=False).to_records("s")
        [{'a': 1, 'b': 2, 's': 3}, {'a': 1, 'b': 3, 's': 4}]
        """
        flat = self.values.reshape(self.shape + self.values.shape[len(self.shape):])
        out = []
        for idx, point in zip(np.ndindex(*self.shape), self.points()):
            v = flat[idx]
            rec = dict(point)
            rec[name] = v.item() if isinstance(v, np.generic) else v
            out.append(rec)
        return out

    def __getitem__(self, idx: Any) -> Any:
        return self.values[idx]

    def __repr__(self) -> str:
        axes = ", ".join(f"{k}: {len(v)}" for k, v in self.grid.items())
        return f"SweepResult({axes}; values {self.values.dtype} {self.values.shape})"


def _check_grid(grid: Any) -> dict[str, list]:
    if not isinstance(grid, dict) or not grid:
        raise InvalidParameterError("grid", grid, "must be a non-empty dict mapping parameter "
                                                  "names to lists of values")
    out: dict[str, list] = {}
    for k, v in grid.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise InvalidParameterError("grid", k, "parameter names must be identifiers "
                                                   "(they are passed as keyword arguments)")
        if isinstance(v, np.ndarray) and v.ndim == 1:
            v = v.tolist()
        if not isinstance(v, (list, tuple, range)):
            raise InvalidParameterError(f"grid[{k!r}]", v, "must be a list (or tuple, range, "
                                                           "1-d array) of values")
        if len(v) == 0:
            raise InvalidParameterError(f"grid[{k!r}]", v, "must hold at least one value")
        out[k] = list(v)
    return out


def _assemble(results: list, shape: tuple[int, ...]) -> np.ndarray:
    """The values as an array of the grid's shape (numeric where possible)."""
    if all(isinstance(r, (numbers.Number, np.generic)) for r in results):
        arr = np.asarray(results)
        if arr.dtype != object:
            return arr.reshape(shape)
    if all(isinstance(r, np.ndarray) for r in results) and len({r.shape for r in results}) == 1 \
            and results[0].dtype != object:
        return np.stack(results).reshape(shape + results[0].shape)
    arr = np.empty(len(results), dtype=object)
    for i, r in enumerate(results):
        arr[i] = r
    return arr.reshape(shape)


def sweep(fn: Callable[..., Any], grid: dict[str, Any], backend: str = "serial",
          progress: bool | None = None, client: Any = None) -> SweepResult:
    """Evaluate ``fn(**point)`` at every point of the cartesian product of ``grid``.

    Examples
    --------
    >>> from freealg.nn import sweep, MeanField
    >>> res = sweep(lambda sigma_w: MeanField("relu", sigma_w=sigma_w).chi_star,
    ...             {"sigma_w": [1.0, 2 ** 0.5, 2.0]}, progress=False)
    >>> res.values.round(12)                  # chi = sigma_w^2 / 2 for ReLU
    array([0.5, 1. , 2. ])

    Parameters
    ----------
    fn : callable
        Called as ``fn(**point)``, with one keyword argument per grid parameter. For the dask
        back end it must be picklable by cloudpickle (lambdas and local functions are) and,
        for a cluster in other processes, importable there.
    grid : dict of str to list
        The parameters (keyword names) and their values; 1-d arrays, tuples and ranges are
        taken as lists. The order of the dict is the order of the axes of the result.
    backend : {'serial', 'dask'}
        'serial': one point after another in this process. 'dask': each point is a task on a
        ``dask.distributed`` cluster (needs the ``dask`` extra); the values are identical to
        the serial run's.
    progress : bool or None
        Report each finished point on stderr (see :mod:`freealg.progress`); None: only in
        interactive sessions.
    client : dask.distributed.Client, str or None
        ``backend='dask'`` only: the client to use, the address of a scheduler
        (``'tcp://host:8786'``), or None for a local cluster in this process (threads, no
        dashboard), closed when the sweep ends.

    Returns
    -------
    SweepResult

    Raises
    ------
    InvalidParameterError
        ``fn`` not callable; the grid empty, not a dict, or a value that is not a list; an
        unknown back end; ``client`` given with the serial back end.
    OptionalDependencyError
        ``backend='dask'`` without dask.distributed installed (``pip install -e '.[dask]'``).

    Notes
    -----
    An exception raised by ``fn`` propagates unchanged (from the first failing point in the
    serial run; from the failing task in the dask run).
    """
    if not callable(fn):
        raise InvalidParameterError("fn", fn, "must be a callable taking the grid's "
                                              "parameters as keyword arguments")
    grid = _check_grid(grid)
    if backend not in BACKENDS:
        raise InvalidParameterError("backend", backend, f"must be one of {', '.join(BACKENDS)}")
    progress = check_progress(progress)
    if backend == "serial" and client is not None:
        raise InvalidParameterError("client", client, "is for backend='dask' only")
    names = list(grid)
    points = [dict(zip(names, combo)) for combo in itertools.product(*grid.values())]
    shape = tuple(len(v) for v in grid.values())
    desc = f"freealg.nn.sweep ({backend})"
    if backend == "serial":
        results = []
        with progress_bar(len(points), desc, progress) as rep:
            for p in points:
                results.append(fn(**p))
                rep.step()
    else:
        results = _dask_run(fn, points, client, progress, desc)
    return SweepResult(grid, _assemble(results, shape))


def _call(fn: Callable[..., Any], point: dict) -> Any:
    return fn(**point)


def _dask_run(fn, points, client, progress, desc) -> list:
    require("dask", "backend", "dask")
    distributed = require("distributed", "backend", "dask")
    cluster = None
    own = client is None or isinstance(client, str)
    if client is None:
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    elif isinstance(client, str):
        client = distributed.Client(client)
    elif not isinstance(client, distributed.Client):
        raise InvalidParameterError("client", client, "must be a dask.distributed.Client, a "
                                                      "scheduler address or None")
    try:
        futures = [client.submit(_call, fn, p, pure=False) for p in points]
        with progress_bar(len(points), desc, progress) as rep:
            for _ in distributed.as_completed(futures):
                rep.step()
        return client.gather(futures)
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


# --------------------------------------------------------------------------------------------
# phase diagram

QUANTITIES = ("chi", "max_singular_value")


def _exact_zero(v: float) -> Any:
    # MeanField treats an exact 0 bias (q* may be 0) apart from a float 0.0
    return 0 if v == 0 else v


def _chi_point(activation: Any, sigma_w: float, sigma_b: float) -> float:
    sigma_b = _exact_zero(sigma_b)
    return MeanField(activation, sigma_w=sigma_w, sigma_b=sigma_b).chi_star


def _smax_point(activation: Any, depth: int, sigma_w: float, sigma_b: float) -> float:
    from .mlp import MLP

    sigma_b = _exact_zero(sigma_b)
    return float(MLP(depth, activation, sigma_w=sigma_w, sigma_b=sigma_b,
                     progress=False).max_singular_value(dps=15))


class _Bound:
    """A picklable fn(sigma_w, sigma_b) for :func:`sweep`."""

    def __init__(self, f: Callable[..., float], *args: Any):
        self.f, self.args = f, args

    def __call__(self, sigma_w: float, sigma_b: float) -> float:
        return self.f(*self.args, sigma_w, sigma_b)


@dataclass
class PhaseDiagram:
    """chi or the largest Jacobian singular value over (sigma_w, sigma_b), with the critical
    line chi = 1 (made by :func:`phase_diagram`).

    Examples
    --------
    >>> from freealg.nn import phase_diagram
    >>> pd = phase_diagram("tanh", [0.8, 1.6], [0.0], progress=False)
    >>> pd.quantity, pd.values.shape, float(pd.critical[0])   # tanh, sigma_b = 0: exactly 1
    ('chi', (2, 1), 1.0)

    Attributes
    ----------
    activation : object
        The activation (see :func:`~freealg.nn.activation_expr`).
    quantity : str
        'chi' or 'max_singular_value'.
    sigma_w, sigma_b : numpy.ndarray
        The grid axes.
    values : numpy.ndarray
        ``values[i, j]`` is the quantity at ``sigma_w[i]``, ``sigma_b[j]``.
    critical : numpy.ndarray
        ``critical[j]`` is the sigma_w with chi = 1 at ``sigma_b[j]`` (nan where there is none
        in the search bracket).
    depth : int or None
        The depth, for the singular value.
    """

    activation: Any
    quantity: str
    sigma_w: np.ndarray
    sigma_b: np.ndarray
    values: np.ndarray = field(repr=False)
    critical: np.ndarray = field(repr=False)
    depth: int | None = None

    def plot(self, ax: Any = None, log: bool = True, cmap: str = "RdBu_r") -> Any:
        """Draw the values over (sigma_b, sigma_w) (log color scale centred on 1 when ``log``)
        and the critical line chi = 1; returns the matplotlib axes.

        Examples
        --------
        >>> ax = phase_diagram("tanh", [0.8, 1.6], [0.0, 0.2], progress=False).plot()
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('sigma_b', 'sigma_w')
        """
        colors = require("matplotlib.colors", "plot", "phase_diagram")
        if ax is None:            # a figure of its own, without pyplot (shows itself in Jupyter)
            from .. import plotting

            ax = plotting.Figure(figsize=(5.5, 4), layout="constrained").add_subplot()
        vals = np.asarray(self.values, float)
        norm = None
        if log:
            finite = vals[np.isfinite(vals) & (vals > 0)]
            if finite.size:
                span = max(abs(np.log10(finite.min())), abs(np.log10(finite.max())), 1e-3)
                norm = colors.LogNorm(vmin=10 ** -span, vmax=10 ** span)
        mesh = ax.pcolormesh(self.sigma_b, self.sigma_w, vals, shading="nearest", cmap=cmap,
                             norm=norm)
        label = "chi" if self.quantity == "chi" else f"max singular value (L = {self.depth})"
        ax.figure.colorbar(mesh, ax=ax, label=label)
        ax.plot(self.sigma_b, self.critical, "k-", lw=2, label="chi = 1 (edge of chaos)")
        ax.set_xlabel("sigma_b")
        ax.set_ylabel("sigma_w")
        ax.set_ylim(float(np.min(self.sigma_w)), float(np.max(self.sigma_w)))
        ax.legend(loc="upper left")
        return ax


def _axis(name: str, v: Any) -> np.ndarray:
    arr = np.asarray(v, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InvalidParameterError(name, v, "must be a non-empty 1-d list of finite numbers")
    return arr


def phase_diagram(activation: Any, sigma_w: Any, sigma_b: Any, quantity: str = "chi",
                  depth: int | None = None, backend: str = "serial",
                  progress: bool | None = None, client: Any = None) -> PhaseDiagram:
    """chi or the largest Jacobian singular value over a (sigma_w, sigma_b) grid, and the
    critical line chi = 1.

    Examples
    --------
    >>> from freealg.nn import phase_diagram
    >>> pd = phase_diagram("relu", [1.0, 2.0], [0.0, 0.5], progress=False)
    >>> pd.values.round(12)              # ReLU: chi = sigma_w^2 / 2 whatever sigma_b
    array([[0.5, 0.5],
           [2. , 2. ]])
    >>> [round(float(c), 12) for c in pd.critical]       # sigma_w = sqrt 2
    [1.414213562373, 1.414213562373]

    Parameters
    ----------
    activation : str, tuple or sympy expression
        See :func:`~freealg.nn.activation_expr`.
    sigma_w : list of float
        Weight standard deviations (> 0).
    sigma_b : list of float
        Bias standard deviations (>= 0).
    quantity : {'chi', 'max_singular_value'}
        'chi': the mean-field chi at the fixed point (:attr:`MeanField.chi_star`);
        'max_singular_value': that of the input-output Jacobian of an orthogonal MLP of
        ``depth`` layers (:meth:`MLP.max_singular_value`; much slower).
    depth : int, optional
        Required for 'max_singular_value'.
    backend, progress, client
        As for :func:`sweep`.

    Returns
    -------
    PhaseDiagram

    Raises
    ------
    InvalidParameterError
        An unknown quantity, a missing depth, an empty or non-finite axis.
    """
    sw = _axis("sigma_w", sigma_w)
    sb = _axis("sigma_b", sigma_b)
    if quantity not in QUANTITIES:
        raise InvalidParameterError("quantity", quantity, f"must be one of "
                                                          f"{', '.join(QUANTITIES)}")
    if quantity == "chi":
        fn = _Bound(_chi_point, activation)
    else:
        if depth is None:
            raise InvalidParameterError("depth", depth, "is needed for "
                                                        "quantity='max_singular_value'")
        fn = _Bound(_smax_point, activation, depth)
    res = sweep(fn, {"sigma_w": sw.tolist(), "sigma_b": sb.tolist()}, backend=backend,
                progress=progress, client=client)
    crit = []
    for b in sb.tolist():
        try:
            crit.append(float(critical_sigma_w(activation, _exact_zero(b))))
        except NoConvergence:  # no chi = 1 in the bracket: no line there
            crit.append(float("nan"))
    return PhaseDiagram(activation, quantity, sw, sb, np.asarray(res.values, float),
                        np.asarray(crit), depth)
