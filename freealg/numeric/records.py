"""Result records of the numeric engine: atoms, support edges and bands.

They are plain frozen value objects (``Atom`` hashes, ``Edge`` and ``Band`` compare by
identity since they may hold inexact numbers), shared by the laws and the engine modules; they
are re-exported as ``freealg.Atom``, ``freealg.Edge`` and ``freealg.Band``.

Their ``repr`` shows each number at its own precision (an mpmath number with the digits it was
computed with, or those its error justifies; exact values exactly), not as ``mpf('...')``; the
reprs are for reading, not for ``eval``. In Jupyter they render as HTML and LaTeX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

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
    enclosure, mass_enclosure : tuple or None, optional
        Certified intervals ``(lo, hi)`` that contain the true location and mass (set by
        ``atoms(certify=True)``, see ``freealg.numeric.certify``; None otherwise). They do
        not take part in ``==`` and ``hash``.
    """

    location: Any
    mass: Any
    error: Any = 0
    enclosure: Any = field(default=None, compare=False)
    mass_enclosure: Any = field(default=None, compare=False)

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
    """A support endpoint, or a special point inside a band, with its kind and local exponent.

    ``kind`` (the density behaves like ``|x - location|^exponent`` next to the point):

    * ``'soft'``: a band end where the density vanishes (generically a square root, exponent
      1/2);
    * ``'hard'``: a band end where it does not vanish: a jump (exponent 0) or an integrable
      divergence (exponent in (-1, 0), e.g. -1/2 for the arcsine law);
    * ``'cusp'``: a point inside a band where the density vanishes (generically exponent 1/3,
      where two bands touch);
    * ``'singular'``: a point inside a band where the density diverges, integrably (exponent in
      (-1, 0)).

    Band ends have ``side`` ``'left'`` or ``'right'``; cusps and singular points have side
    ``''`` and do not split the support (:meth:`freealg.Law.support` returns maximal
    intervals). ``exponent`` is a sympy Rational when a fraction with a small denominator fits
    the measured slope of log density, a sympy Float of the measured slope otherwise, or None
    when not measured (symbolic parameters). The ``repr`` shows the exponent of the points
    inside a band only.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.semicircle(1).edges()
    [Edge(location=-2, kind='soft', error=0, side='left'),
     Edge(location=2, kind='soft', error=0, side='right')]
    >>> [(e.kind, e.exponent) for e in fa.arcsine(0, 1).edges()]     # 1/sqrt at both ends
    [('hard', -1/2), ('hard', -1/2)]
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> fa.spectrum(x + y, dps=20).edges()[1]         # 2 sqrt 2: 20 digits and their error
    Edge(location=2.8284271247461900976, kind='soft', error=1.2e-20, side='right')
    >>> fa.Edge(0, "cusp", 0, "", fa.Edge.exponent_of(1 / 3))
    Edge(location=0, kind='cusp', error=0, side='', exponent=1/3)

    Parameters
    ----------
    location : sympy expression or number
        The point (exact when known).
    kind : str
        ``'soft'``, ``'hard'``, ``'cusp'`` or ``'singular'``.
    error : number, optional
        Error bound of a numerically found location (0 when exact).
    side : str, optional
        ``'left'`` or ``'right'`` end of its band (``''`` for a point inside a band).
    exponent : sympy number or None, optional
        The local exponent of the density at the point.
    enclosure : tuple or None, optional
        A certified interval ``(lo, hi)`` that contains the true location (set by
        ``edges(certify=True)``, see ``freealg.numeric.certify``; None otherwise).
    """

    location: Any
    kind: str
    error: Any = 0
    side: str = ""  # 'left' or 'right' end of its band ('' inside a band: cusp, singular)
    exponent: Any = None
    enclosure: Any = None

    #: the kinds of points, in the order of the conventions page
    KINDS = ("soft", "hard", "cusp", "singular")

    @staticmethod
    def exponent_of(alpha: Any, tol: float = 0.02, max_den: int = 6) -> Any:
        """A measured exponent as a record field: the nearest fraction p/q (q <= ``max_den``)
        when it lies within ``tol``, else a 4-digit sympy Float; None for None or NaN.

        Examples
        --------
        >>> from freealg.numeric.records import Edge
        >>> Edge.exponent_of(0.3329), Edge.exponent_of(-0.4991), Edge.exponent_of(0.45)
        (1/3, -1/2, 0.4500)
        """
        if alpha is None:
            return None
        try:
            a = float(alpha)
        except (TypeError, ValueError):
            return None
        if not np.isfinite(a):
            return None
        frac = sp.Rational(a).limit_denominator(max_den)
        if abs(float(frac) - a) <= tol:
            return frac
        return sp.Float(a, 4)

    def __repr__(self) -> str:
        loc, err = shown(self.location, self.error)
        tail = f", exponent={self.exponent}" if (self.exponent is not None
                                                 and not self.side) else ""
        return (f"Edge(location={loc}, kind={self.kind!r}, error={err or 0}, "
                f"side={self.side!r}{tail})")

    def _repr_html_(self) -> str:
        where = f", {escape(self.side)} end" if self.side else " inside a band"
        expo = ("" if self.exponent is None else
                f", density ~ |x - x0|^{escape(str(self.exponent))}")
        return (f"{escape(self.kind)} {'edge' if self.side else 'point'} at "
                f"{number_html(self.location, self.error)}{where}{expo}")

    def _repr_latex_(self) -> str:
        side = f", {self.side}" if self.side else ""
        expo = "" if self.exponent is None else \
            rf",\ \rho \sim |x - x_0|^{{{sp.latex(self.exponent)}}}"
        return (rf"$x = {number_latex(self.location, self.error)}\quad"
                rf"\text{{({self.kind}{side})}}{expo}$")


@dataclass(frozen=True, slots=True, eq=False)
class Band:
    """A closed interval [lo, hi] of the absolutely continuous support (a maximal one).

    ``interior`` lists the locations of the cusps and singular points inside the band (see
    :class:`Edge`); they do not split it.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_poisson(4).support()     # [(1 - sqrt 4)^2, (1 + sqrt 4)^2]
    [Band(lo=1, hi=9)]
    >>> fa.Band(-1, 1, (0,))
    Band(lo=-1, hi=1, interior=(0,))

    Parameters
    ----------
    lo, hi : sympy expression or number
        The endpoints, ``lo <= hi``.
    interior : tuple, optional
        Locations of the cusps and singular points inside the band.
    """

    lo: Any
    hi: Any
    interior: tuple = ()

    def __repr__(self) -> str:
        inner = ""
        if self.interior:
            pts = ", ".join(shown(p)[0] for p in self.interior)
            inner = f", interior=({pts}{',' if len(self.interior) == 1 else ''})"
        return f"Band(lo={shown(self.lo)[0]}, hi={shown(self.hi)[0]}{inner})"

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
