"""Result records of the numeric engine: atoms, support edges and bands.

They are plain frozen value objects (``Atom`` hashes, ``Edge`` and ``Band`` compare by
identity since they may hold inexact numbers), shared by the laws and the engine modules; they
are re-exported as ``freealg.Atom``, ``freealg.Edge`` and ``freealg.Band``.

Their ``repr`` shows each number at its own precision (an mpmath number with the digits it was
computed with, or those its error justifies; exact values exactly), not as ``mpf('...')``; the
reprs are for reading, not for ``eval``. In Jupyter they render as HTML and LaTeX.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .display import escape, number_html, number_latex, shown

__all__ = ["Atom", "Edge", "Band"]


@dataclass(frozen=True, slots=True)
class Atom:
    """A point mass: ``location``, ``mass`` (exact sympy when known) and ``error`` (0 if exact).

    Unpacks as ``(location, mass)``.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_poisson(sp.Rational(1, 4)).atoms()     # mass 1 - rate at 0
    [Atom(location=0, mass=3/4, error=0)]
    >>> location, mass = fa.Atom(0, sp.Rational(3, 4))
    >>> mass
    3/4

    Parameters
    ----------
    location : sympy expression or number
        Where the mass sits.
    mass : sympy expression or number
        Its weight, in (0, 1].
    error : number, optional
        Error bound of a numerically found atom (0 when exact).
    """

    location: Any
    mass: Any
    error: Any = 0

    def __iter__(self):
        return iter((self.location, self.mass))

    def __repr__(self) -> str:
        loc, err = shown(self.location, self.error)
        mass, _ = shown(self.mass)
        return f"Atom(location={loc}, mass={mass}, error={err or 0})"

    def _repr_html_(self) -> str:
        return (f"atom at {number_html(self.location, self.error)}, mass "
                f"{number_html(self.mass)}" + ("" if self.error else " (exact)"))

    def _repr_latex_(self) -> str:
        loc = number_latex(self.location, self.error)
        return rf"${number_latex(self.mass)}\,\delta_{{{loc}}}$"


@dataclass(frozen=True, slots=True, eq=False)
class Edge:
    """A support endpoint with its kind.

    ``kind`` is ``'soft'`` (square-root vanishing), ``'hard'`` (the density does not vanish:
    jump or divergence) or ``'cusp'`` (two bands touching).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.semicircle(1).edges()
    [Edge(location=-2, kind='soft', error=0, side='left'),
     Edge(location=2, kind='soft', error=0, side='right')]
    >>> [e.kind for e in fa.arcsine(0, 1).edges()]     # 1/sqrt divergence at both ends
    ['hard', 'hard']
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> fa.spectrum(x + y, dps=20).edges()[1]         # 2 sqrt 2: 20 digits and their error
    Edge(location=2.8284271247461900976, kind='soft', error=1.2e-20, side='right')

    Parameters
    ----------
    location : sympy expression or number
        The endpoint (exact when known).
    kind : str
        ``'soft'``, ``'hard'`` or ``'cusp'``.
    error : number, optional
        Error bound of a numerically found edge (0 when exact).
    side : str, optional
        ``'left'`` or ``'right'`` end of its band (``''`` for a cusp).
    """

    location: Any
    kind: str
    error: Any = 0
    side: str = ""  # 'left' or 'right' end of its band ('' for a cusp)

    def __repr__(self) -> str:
        loc, err = shown(self.location, self.error)
        return f"Edge(location={loc}, kind={self.kind!r}, error={err or 0}, side={self.side!r})"

    def _repr_html_(self) -> str:
        where = f", {escape(self.side)} end" if self.side else ""
        return f"{escape(self.kind)} edge at {number_html(self.location, self.error)}{where}"

    def _repr_latex_(self) -> str:
        side = f", {self.side}" if self.side else ""
        return (rf"$x = {number_latex(self.location, self.error)}\quad"
                rf"\text{{({self.kind}{side})}}$")


@dataclass(frozen=True, slots=True, eq=False)
class Band:
    """A closed interval [lo, hi] of the absolutely continuous support.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_poisson(4).support()     # [(1 - sqrt 4)^2, (1 + sqrt 4)^2]
    [Band(lo=1, hi=9)]

    Parameters
    ----------
    lo, hi : sympy expression or number
        The endpoints, ``lo <= hi``.
    """

    lo: Any
    hi: Any

    def __repr__(self) -> str:
        return f"Band(lo={shown(self.lo)[0]}, hi={shown(self.hi)[0]})"

    def _repr_html_(self) -> str:
        return f"band [{number_html(self.lo)}, {number_html(self.hi)}]"

    def _repr_latex_(self) -> str:
        return rf"$\left[{number_latex(self.lo)}, {number_latex(self.hi)}\right]$"

    @property
    def width(self):
        """Length ``hi - lo`` of the band.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(2).support()[0].width     # 4 sqrt(variance)
        4*sqrt(2)
        """
        return self.hi - self.lo


def at_atom(x, loc: float):
    """Whether x (a float or a float array) is at the atom location ``loc``, relative 1e-12:
    where the density paths stop solving (G has a pole) and average the two sides instead."""
    return np.abs(x - loc) <= 1e-12 * (1 + abs(loc))


_at_atom = at_atom  # the name used before it was public
