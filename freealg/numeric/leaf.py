"""Closed forms of leaf laws written once for both back ends, and the boilerplate they share.

A leaf law (semicircle, free Poisson, arcsine, ...) states its density and Cauchy transform once,
against the back end ``be`` of :mod:`freealg.kernels.backend` (``NP``: vectorised float64,
``MP``: mpmath scalars at the working precision), as mpmath writes one algorithm for several
contexts. The few operations whose numpy and mpmath spellings differ (a lazily evaluated
branch, a real square root clipped at 0, a density that vanishes off its band, a sum over atoms)
are the functions below; :class:`ClosedFormDensity` turns one ``_rho(x, be)`` into both density
hooks, and :class:`IntervalLeaf` gives the hull, support and edges of a law whose continuous part
is one band known exactly.

The module works on plain numbers and sympy expressions (duck typing): it does not import
``freealg.laws``.

Examples
--------
>>> import numpy as np, mpmath
>>> from freealg.kernels.backend import MP, NP
>>> rsqrt(np.array([4.0, -1.0]), NP)
array([2., 0.])
>>> with mpmath.workdps(15):
...     print(on(mpmath.mpf(2) > 1, lambda t: 2 * t, mpmath.mpf(3), MP))
6.0
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import UndeterminedError
from ..kernels.backend import MP, NP, Backend
from .records import Band, Edge

__all__ = ["rsqrt", "on", "where", "log1p", "fsum", "atom_sum", "merge_atoms", "to_backend",
           "to_float", "ClosedFormDensity", "IntervalLeaf"]


def rsqrt(q: Any, be: Backend) -> Any:
    """Real square root of max(q, 0) (q real: a float64 array or an mpf).

    Examples
    --------
    >>> import mpmath
    >>> from freealg.kernels.backend import MP
    >>> rsqrt(mpmath.mpf(-1), MP), rsqrt(mpmath.mpf(9), MP)
    (mpf('0.0'), mpf('3.0'))
    """
    if be.is_array:
        return np.sqrt(np.clip(q, 0, None))
    return mpmath.sqrt(q) if q > 0 else mpmath.mpf(0)


def on(inside: Any, fn: Callable | None, x: Any, be: Backend) -> Any:
    """``fn(x)`` where ``inside`` holds and 0 elsewhere (``fn`` None: 0 everywhere). mpmath
    evaluates ``fn`` only inside (no division by zero at a pole outside the band); numpy
    evaluates it on the whole array with floating-point warnings silenced.

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> x = np.array([0.0, 0.5, 2.0])
    >>> on((x > 0) & (x < 1), lambda t: 1 / t, x, NP)
    array([0., 2., 0.])
    """
    if be.is_array:
        x = np.asarray(x, dtype=float)
        if fn is None:
            return np.zeros(x.shape)
        with np.errstate(all="ignore"):
            return np.where(inside, fn(x), 0.0)
    return fn(x) if (fn is not None and inside) else mpmath.mpf(0)


def where(cond: Any, if_true: Callable[[], Any], if_false: Callable[[], Any],
          be: Backend) -> Any:
    """``if_true()`` where ``cond`` holds, else ``if_false()``: both branches elementwise for
    numpy (floating-point warnings of the discarded branch silenced), only the chosen one for
    mpmath (where a division by zero raises).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> z = np.array([0.0, 2.0])
    >>> where(z == 0, lambda: 1 + 0 * z, lambda: 1 / z, NP)
    array([1. , 0.5])
    """
    if be.is_array:
        with np.errstate(all="ignore"):
            return np.where(cond, if_true(), if_false())
    return if_true() if cond else if_false()


def log1p(x: Any, be: Backend) -> Any:
    """log(1 + x) without the cancellation of log at 1 + tiny.

    Examples
    --------
    >>> from freealg.kernels.backend import NP
    >>> float(log1p(1e-20, NP))
    1e-20
    """
    return np.log1p(x) if be.is_array else mpmath.log1p(x)


def fsum(terms: Sequence[Any], be: Backend) -> Any:
    """Sum of terms: in order for numpy arrays, exactly rounded for mpmath.

    Examples
    --------
    >>> import mpmath
    >>> from freealg.kernels.backend import MP
    >>> with mpmath.workdps(15):
    ...     print(fsum([mpmath.mpf(1), mpmath.mpf(10) ** -20, -mpmath.mpf(1)], MP))
    1.0e-20
    """
    if be.is_array:
        return sum(terms)
    return mpmath.fsum(terms)


def atom_sum(z: Any, points: Any, weights: Any, power: int, be: Backend) -> Any:
    """sum_i w_i/(z - a_i)^power over the atoms (points a_i, weights w_i): term by term for
    up to 16 atoms (mpmath: exactly rounded by ``fsum`` beyond two), else numpy arrays in chunks
    of about 2e6 terms. z exactly at an atom gives inf/NaN (a pole).

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> # 0.5/(2i) + 0.5/(2i - 1)
    >>> atom_sum(np.array([2j]), np.array([0.0, 1.0]), np.array([0.5, 0.5]), 1, NP)
    array([-0.1-0.45j])
    """
    if len(points) <= (2 if not be.is_array else 16):
        with np.errstate(divide="ignore", invalid="ignore"):
            return sum(w / (z - a) ** power for a, w in zip(points, weights))
    if not be.is_array:
        return mpmath.fsum(w / (z - a) ** power for a, w in zip(points, weights))
    z = np.asarray(z, dtype=complex)
    flat = z.ravel()
    out = np.empty(flat.shape, dtype=complex)
    chunk = max(1, 2_000_000 // max(1, len(points)))
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in range(0, len(flat), chunk):
            d = flat[s:s + chunk, None] - points[None, :]
            out[s:s + chunk] = (weights[None, :] / d**power).sum(axis=1)
    return out.reshape(z.shape)


def merge_atoms(pairs: Any, keep: Callable[[Any], bool] = lambda m: m != 0) -> list:
    """(location, mass) pairs with equal locations (structural equality) merged, masses failing
    ``keep`` dropped (default: exact zeros), sorted numerically when possible, else by sympy's
    default sort key.

    Examples
    --------
    >>> import sympy as sp
    >>> merge_atoms([(1, sp.S(1) / 4), (0, sp.S(1) / 2), (1, sp.S(1) / 4), (3, 0)])
    [(0, 1/2), (1, 1/2)]
    """
    merged: dict = {}
    for p, w in pairs:
        merged[p] = merged.get(p, sp.S.Zero) + w
    items = [(p, w) for p, w in merged.items() if keep(w)]
    try:
        items.sort(key=lambda pw: float(pw[0]))
    except TypeError:
        items.sort(key=lambda pw: sp.default_sort_key(pw[0]))
    return items


def to_backend(x: Any, be: Backend, what: str = "a law parameter") -> Any:
    """An exact value as the back end's number (float/complex, or mpmath with 20 guard bits);
    symbols raise UndeterminedError.

    Examples
    --------
    >>> import sympy as sp
    >>> to_backend(sp.sqrt(4), NP), to_backend(sp.I, NP)
    (2.0, 1j)
    """
    e = sp.sympify(x)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    if be.is_array:
        return float(e) if e.is_real else complex(e)
    return e.evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 20)


def to_float(x: Any) -> float:
    """float of an exact real value; symbols raise UndeterminedError.

    Examples
    --------
    >>> import sympy as sp
    >>> to_float(sp.sqrt(4))
    2.0
    """
    return float(to_backend(x, NP))


class ClosedFormDensity:
    """Mixin: the density hooks ``_density_np(x)`` and ``_density_mp(x, dps)`` from one closed
    form ``_rho(x, be)`` (evaluated with ``_rho_guard`` extra digits for mpmath, then rounded).

    Examples
    --------
    >>> class Flat(ClosedFormDensity):
    ...     def _rho(self, x, be):
    ...         return on((x > 0) & (x < 2), lambda t: 0 * t + 0.5, x, be)
    >>> Flat()._density_np([1.0, 3.0])
    array([0.5, 0. ])
    >>> Flat()._density_mp(1, 20)
    mpf('0.5')
    """

    __slots__ = ()
    _rho_guard = 5

    def _rho(self, x: Any, be: Backend) -> Any:
        raise NotImplementedError

    def _density_np(self, x: Any) -> Any:
        return self._rho(np.asarray(x, dtype=float), NP)

    def _density_mp(self, x: Any, dps: int) -> Any:
        with mpmath.workdps(dps + self._rho_guard):
            out = self._rho(x if isinstance(x, mpmath.mpf) else mpmath.mpf(x), MP)
        with mpmath.workdps(dps):
            return +out


def _same(x: Any) -> Any:
    return x


class IntervalLeaf:
    """Mixin for a law whose continuous part is one band [lo, hi] known exactly: subclasses give
    ``_band()`` (exact ends) and ``_edge_kinds()``; ``_edge_value`` tidies an edge location.
    The hull includes the atoms (``atoms()``).

    Examples
    --------
    >>> import sympy as sp
    >>> class Box(IntervalLeaf):
    ...     def _band(self):
    ...         return sp.S(0), sp.sqrt(2)
    ...     def atoms(self):
    ...         return []
    >>> Box()._hull_float(), Box()._support(30)
    ((0.0, 1.4142135623730951), [Band(lo=0, hi=sqrt(2))])
    >>> [(e.location, e.kind) for e in Box()._edges(30)]
    [(0, 'soft'), (sqrt(2), 'soft')]
    """

    __slots__ = ()
    _edge_value: Callable[[Any], Any] = staticmethod(_same)
    atoms: Callable[[], list]

    def _band(self) -> tuple:
        raise NotImplementedError

    def _edge_kinds(self) -> tuple:
        return "soft", "soft"

    def _hull_float(self) -> tuple[float, float]:
        lo, hi = (to_float(q) for q in self._band())
        locs = [to_float(at.location) for at in self.atoms()]
        return min([lo] + locs), max([hi] + locs)

    def _support(self, dps: int, method: str | None = None) -> list:
        return [Band(*self._band())]

    def _edges(self, dps: int, method: str | None = None) -> list:
        ends, kinds = self._band(), self._edge_kinds()
        return [Edge(self._edge_value(x), k, 0, side)
                for x, k, side in zip(ends, kinds, ("left", "right"))]
