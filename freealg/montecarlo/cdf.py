"""Cumulative distribution functions of laws (and SpectralSolutions) in float64.

The absolutely continuous part is integrated band by band from ``density`` after the change of
variables ``x = lo + (hi - lo) (1 - cos(pi s)) / 2`` (``s`` in [0, 1]): the Jacobian
``dx/ds ~ s`` cancels the inverse-square-root divergence of hard edges and makes square-root
edges smooth, so the cumulative midpoint rule on ``s`` converges like ``h^2``. The integral is
renormalised to the continuous mass ``1 - sum(atom masses)`` (the raw defect is kept as
``mass_defect``, a check of the density), and atoms are added as jumps. The same table gives the
quantile function used to realise deterministic matrices with a given law.

Examples
--------
>>> import numpy as np, sympy as sp, freealg as fa
>>> F = TheoryCDF(fa.semicircle(1))
>>> round(float(F(np.array([0.0]))[0]), 8), round(float(F(np.array([2.0]))[0]), 8)
(0.5, 1.0)
>>> G = TheoryCDF(fa.bernoulli(sp.Rational(1, 4)))
>>> float(G(np.array([0.0]))[0]), float(G.left(np.array([0.0]))[0])
(0.75, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["TheoryCDF", "theory_cdf"]

_CELLS = 2048  # midpoint cells per band


def _float(v: Any) -> float:
    try:
        return float(v)
    except TypeError:
        return float(complex(v).real)


class TheoryCDF:
    """Float64 CDF ``F(x)``, left limit ``F(x-)`` and quantiles of a law-like object.

    ``law`` needs ``atoms()``, ``support()`` and ``density(ndarray)`` (a freealg Law or a
    SpectralSolution). Calling the object gives ``F(x)``; :func:`theory_cdf` caches them.

    Examples
    --------
    >>> import math, sympy as sp, freealg as fa
    >>> from freealg.montecarlo import TheoryCDF
    >>> F = TheoryCDF(fa.semicircle(1))
    >>> # closed form: F(x) = 1/2 + x sqrt(4 - x^2) / (4 pi) + arcsin(x/2) / pi on [-2, 2]
    >>> exact = 0.5 + math.sqrt(3) / (4 * math.pi) + math.asin(0.5) / math.pi
    >>> abs(float(F(1.0)) - exact) < 1e-6
    True
    >>> F.bands, F.atoms, F.ac_mass
    ([(-2.0, 2.0)], [], 1.0)
    >>> P = TheoryCDF(fa.free_poisson(sp.Rational(1, 4)))    # atom 1 - 1/4 at 0, band [1/4, 9/4]
    >>> P.atoms, P.bands, P.ac_mass
    ([(0.0, 0.75)], [(0.25, 2.25)], 0.25)
    >>> float(P(0.0)), float(P.left(0.0)), float(P(2.25))
    (0.75, 0.0, 1.0)

    Parameters
    ----------
    law : Law or SpectralSolution
        The law (anything with ``atoms()``, ``support()`` and ``density(ndarray)``).
    cells : int, optional
        Midpoint cells per band of the cumulative quadrature (error ``O(cells^-2)``).

    Raises
    ------
    InvalidParameterError
        If ``law`` lacks one of the three methods.

    Attributes
    ----------
    atoms : list of (float, float)
        The atoms as (location, mass), sorted by location.
    bands : list of (float, float)
        The bands (lo, hi) of the absolutely continuous part (empty when it has no mass).
    ac_mass : float
        Mass of the absolutely continuous part, ``1 - sum(atom masses)``.
    mass_defect : float
        Integral of the density over the bands minus ``ac_mass`` (a quadrature/density check).
    """

    def __init__(self, law: Any, cells: int = _CELLS):
        for attr in ("atoms", "support", "density"):
            if not callable(getattr(law, attr, None)):
                raise InvalidParameterError("sol", law, "needs atoms(), support() and density() "
                                                        "(a SpectralSolution or a freealg Law)")
        self.atoms = sorted((_float(a.location), _float(a.mass)) for a in law.atoms())
        self.ac_mass = max(0.0, 1.0 - sum(m for _, m in self.atoms))
        bands = ([(_float(b.lo), _float(b.hi)) for b in law.support()]
                 if self.ac_mass > 1e-14 else [])
        self.bands = [(lo, hi) for lo, hi in bands if hi > lo]
        # per band: s nodes (cell boundaries) and cumulative mass at them
        self._tables = []
        raw_total = 0.0
        h = 1.0 / cells
        mids = (np.arange(cells) + 0.5) * h
        for lo, hi in self.bands:
            x = lo + (hi - lo) * (1 - np.cos(np.pi * mids)) / 2
            jac = (hi - lo) * np.pi / 2 * np.sin(np.pi * mids)
            with np.errstate(all="ignore"):
                rho = np.asarray(law.density(x), dtype=float)
            rho = np.where(np.isfinite(rho) & (rho > 0), rho, 0.0)
            cum = np.concatenate([[0.0], np.cumsum(rho * jac) * h])
            raw_total += cum[-1]
            self._tables.append(cum)
        self.mass_defect = raw_total - self.ac_mass if self.bands else -self.ac_mass
        scale = self.ac_mass / raw_total if raw_total > 0 else 0.0
        self._tables = [t * scale for t in self._tables]
        self._snodes = np.linspace(0.0, 1.0, cells + 1)

    # ---------------------------------------------------------------------------------------
    def _ac(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x, dtype=float)
        for (lo, hi), cum in zip(self.bands, self._tables):
            below = x >= hi
            out += np.where(below, cum[-1], 0.0)
            inside = (x > lo) & (x < hi)
            if np.any(inside):
                u = np.clip(1 - 2 * (x[inside] - lo) / (hi - lo), -1.0, 1.0)
                s = np.arccos(u) / np.pi
                part = np.zeros_like(out)
                part[inside] = np.interp(s, self._snodes, cum)
                out += part
        return out

    def __call__(self, x: Any) -> np.ndarray:
        """F(x) = mu((-inf, x]) (atoms at x included)."""
        x = np.asarray(x, dtype=float)
        out = self._ac(x)
        for loc, m in self.atoms:
            out = out + np.where(x >= loc, m, 0.0)
        return np.minimum(out, 1.0)

    def left(self, x: Any) -> np.ndarray:
        """Left limit ``F(x-) = mu((-inf, x))`` (atoms at x excluded), elementwise.

        Examples
        --------
        >>> import numpy as np, sympy as sp, freealg as fa
        >>> from freealg.montecarlo import TheoryCDF
        >>> B = TheoryCDF(fa.bernoulli(sp.Rational(1, 4)))      # masses 3/4 at 0, 1/4 at 1
        >>> B.left(np.array([0.0, 0.5, 1.0, 1.5])).tolist()
        [0.0, 0.75, 0.75, 1.0]
        >>> B(np.array([0.0, 0.5, 1.0, 1.5])).tolist()              # F(x) includes the atom at x
        [0.75, 0.75, 1.0, 1.0]

        Parameters
        ----------
        x : float or array_like
            Points.

        Returns
        -------
        ndarray
            ``F(x-)``, of the shape of ``x``.
        """
        x = np.asarray(x, dtype=float)
        out = self._ac(x)
        for loc, m in self.atoms:
            out = out + np.where(x > loc, m, 0.0)
        return np.minimum(out, 1.0)

    # ---------------------------------------------------------------------------------------
    def ac_quantile(self, p: Any) -> np.ndarray:
        """Quantiles of the normalised absolutely continuous part (p in [0, 1]).

        The atoms are left out and the continuous part is rescaled to mass 1; the quantile
        function is interpolated from the cumulative table.

        Examples
        --------
        >>> import math, freealg as fa
        >>> from freealg.montecarlo import TheoryCDF
        >>> A = TheoryCDF(fa.arcsine(-2, 2))
        >>> q = A.ac_quantile([0.0, 0.25, 0.5, 0.75, 1.0])
        >>> # closed form: F(x) = 1/2 + arcsin(x/2) / pi, so Q(p) = 2 sin(pi (p - 1/2))
        >>> [round(float(v), 10) + 0.0 for v in q]
        [-2.0, -1.4142135624, 0.0, 1.4142135624, 2.0]
        >>> abs(float(q[3]) - math.sqrt(2)) < 1e-10
        True

        Parameters
        ----------
        p : float or array_like
            Probabilities in [0, 1].

        Returns
        -------
        ndarray
            The quantiles, of the shape of ``p``.

        Raises
        ------
        InvalidParameterError
            If the law has no absolutely continuous part.
        """
        if not self.bands:
            raise InvalidParameterError("law", self, "has no absolutely continuous part")
        xs, cs = [], []
        acc = 0.0
        for (lo, hi), cum in zip(self.bands, self._tables):
            xs.append(lo + (hi - lo) * (1 - np.cos(np.pi * self._snodes)) / 2)
            cs.append(acc + cum)
            acc += cum[-1]
        X = np.concatenate(xs)
        C = np.concatenate(cs) / acc
        C, idx = np.unique(C, return_index=True)   # strictly increasing for interp
        return np.interp(np.asarray(p, dtype=float), C, X[idx])

    def support_hull(self) -> tuple[float, float]:
        """Smallest interval ``(lo, hi)`` holding every atom and band (floats).

        ``(0.0, 0.0)`` when there is neither (cannot happen for a probability law).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> from freealg.montecarlo import TheoryCDF
        >>> TheoryCDF(fa.free_poisson(sp.Rational(1, 4))).support_hull()   # atom 0, band to 9/4
        (0.0, 2.25)
        >>> TheoryCDF(fa.semicircle(1)).support_hull()
        (-2.0, 2.0)
        """
        pts = [a for a, _ in self.atoms] + [v for b in self.bands for v in b]
        return (min(pts), max(pts)) if pts else (0.0, 0.0)

    def __repr__(self):
        return f"TheoryCDF(atoms={self.atoms}, bands={self.bands})"


_CACHE: dict = {}


def theory_cdf(law: Any) -> TheoryCDF:
    """Cached :class:`TheoryCDF` (laws are hashable value objects; other objects by identity).

    A SpectralSolution is cached under its law tree. Objects that cannot be hashed get a fresh
    TheoryCDF every time.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.montecarlo import theory_cdf
    >>> F = theory_cdf(fa.semicircle(1))
    >>> F is theory_cdf(fa.semicircle(1))      # equal laws share one table
    True
    >>> round(float(F(0.0)), 12)               # symmetric law: F(0) = 1/2
    0.5

    Parameters
    ----------
    law : Law or SpectralSolution
        As for :class:`TheoryCDF`.

    Returns
    -------
    TheoryCDF
    """
    base = getattr(law, "law", law)      # a SpectralSolution delegates to its law tree
    try:
        key = ("law", base)
        hash(key)
    except TypeError:
        return TheoryCDF(law)
    cdf = _CACHE.get(key)
    if cdf is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        # built from the object passed: a SpectralSolution finds its bands at its own dps
        # (the table is float64 either way; the default 30 digits cost 20x for linearizations)
        cdf = _CACHE[key] = TheoryCDF(law)
    return cdf
