"""Support, edges and continuous mass of a law: validated calls routed to a strategy.

``support(law, dps, method)`` and ``edges(law, dps, method)`` check the precision, validate
the method against the law's edge strategies (see :mod:`freealg.numeric.strategies`; an
exact closed form is offered as ``'formula'`` when the tree simplifies to one) and run the
law's ``_support(dps, method)`` / ``_edges(dps, method)``. The numeric searches themselves live
in :mod:`freealg.numeric.edges`.

An engine module (duck typing): a law provides ``_strategies``, ``_closed``, ``_support``,
``_edges`` and ``atoms()``.

Every support is audited (:mod:`freealg.numeric.audit`): the continuous mass of the bands plus
the atom masses must be 1 within the quadrature's error; missing mass is searched for (hidden
bands are added), and a support that still does not carry mass 1 raises ``NoConvergence``.

Examples
--------
>>> import freealg as fa
>>> from freealg.numeric.support import support
>>> support(fa.free_poisson(1))          # Marchenko-Pastur ratio 1: [0, 4]
[Band(lo=0, hi=4)]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .audit import complete_support
from .edges import curve_interior, with_exponents
from .records import Band, Edge
from .dispatch import check_dps
from .stages import reporting, stage
from .strategies import dispatch

__all__ = ["support", "edges", "continuous_mass"]


@contextmanager
def _reported(target: Any, quantity: str, strategy: str, dps: int, progress: Any,
              reporter: Any) -> Iterator[None]:
    """Report the stages of an edges/support call through ``reporter`` (the
    :mod:`freealg.progress` module, passed in by the caller: engine modules do not import it):
    the numeric searches (scans, fold solves, bisections, the mass audit) report their stages
    through :func:`freealg.numeric.stages.stage`. ``progress=None`` shows them only in
    interactive sessions and only when the call is expected to be slow (a numeric strategy
    whose result is not cached yet)."""
    if reporter is None:
        yield
        return
    cache = getattr(target, "_cache", None)
    cached = cache is not None and any(isinstance(k, tuple) and k[:2] == ("support_audited", dps)
                                       for k in cache)
    slow = strategy != "formula" and not cached
    with reporter.bar(None, f"freealg.{quantity}", progress, slow=slow) as rep:
        with reporting(rep.stage if rep.enabled else None):
            yield


def support(law: Any, dps: int = 30, method: str | None = None, progress: Any = None,
            reporter: Any = None) -> list:
    """The bands of the absolutely continuous part of ``law`` (see ``Law.support``).

    Examples
    --------
    >>> import freealg as fa
    >>> support(fa.semicircle(1), method="fold")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid method='fold': the support strategy 'fold'
    does not apply to this law; use one of 'formula'
    """
    dps = check_dps(dps)
    progress = progress if reporter is None else reporter.check(progress)
    target, strategy, method = dispatch(law, "support", method)
    with _reported(target, "support", strategy, dps, progress, reporter):
        return list(_audited(target, dps, method)[0])


def _audited(target: Any, dps: int, method: str | None) -> tuple:
    """(bands, edges of hidden bands): the law's bands completed by the mass audit (bands +
    atoms = 1), cached on the law."""

    def run():
        extra: list = []
        bands = target._support(dps, method)
        proven = getattr(target, "_bands_proven", None)
        if proven is not None and proven(dps, method):
            return bands, extra        # the bands are the support by theorem (no atoms)
        inner = _curve_points(target, method, bands, dps)
        if inner:
            bands = [Band(b.lo, b.hi, tuple(sorted(
                set(b.interior) | {e.location for e in inner
                                   if float(b.lo) < float(e.location) < float(b.hi)},
                key=float))) for b in bands]
        stage("mass audit")
        bands = complete_support(target, bands, dps, extra)
        return bands, extra

    memo = getattr(target, "_memo", None)
    return run() if memo is None else memo(("support_audited", dps, method), run)


def edges(law: Any, dps: int = 30, method: str | None = None, progress: Any = None,
          reporter: Any = None) -> list:
    """The band endpoints of ``law`` with their kind (see ``Law.edges``).

    Examples
    --------
    >>> import freealg as fa
    >>> [e.location for e in edges(fa.semicircle(1))]
    [-2, 2]
    """
    dps = check_dps(dps)
    progress = progress if reporter is None else reporter.check(progress)
    target, strategy, method = dispatch(law, "edges", method)
    with _reported(target, "edges", strategy, dps, progress, reporter):
        found = list(target._edges(dps, method))
        # records at numeric locations (symbolic parameters: returned as they come)
        records = all(isinstance(e, Edge) and _is_number(e.location) for e in found)
        if records:
            found += _curve_points(target, method, found, dps)
        try:
            starget, _, smethod = dispatch(law, "support", method)
        except InvalidParameterError:  # no support strategy of that name: no audit
            extra = []
        else:
            extra = list(_audited(starget, dps, smethod)[1])
        if not (records and all(_is_number(e.location) for e in extra)):
            return found + extra
        found = with_exponents(target, found + extra)
    return sorted(found, key=lambda e: (float(e.location), 0 if e.side == "right" else 1))


def bands_of(found: list) -> list:
    """Float (lo, hi) pairs of the bands between sorted band ends ('left' opens, 'right' closes).

    Examples
    --------
    >>> import freealg as fa
    >>> bands_of(fa.semicircle(1).edges())
    [(-2.0, 2.0)]
    """
    out, start = [], None
    for e in sorted((e for e in found if e.side), key=lambda e: float(e.location)):
        if e.side == "left":
            start = float(e.location)
        elif start is not None:
            out.append((start, float(e.location)))
            start = None
    return out


def _is_number(v: Any) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _curve_points(target: Any, method: str | None, found: list, dps: int) -> list:
    """Cusps and singular points inside the bands (given as Band records or as the band
    ends ``found``) when the edges came from the algebraic curve (whose edge search reports
    band ends only); cached on the law."""
    strategy = method or target._default("edges")
    if strategy != "curve" or not hasattr(target, "_memo") or not found:
        return []
    if all(isinstance(b, Band) for b in found):
        if not all(_is_number(b.lo) and _is_number(b.hi) for b in found):
            return []
        pairs = [(float(b.lo), float(b.hi)) for b in found]
    elif all(isinstance(e, Edge) and _is_number(e.location) for e in found):
        pairs = bands_of(found)
    else:
        return []
    return list(target._memo(("curve_interior", dps, tuple(pairs)),
                             lambda: curve_interior(target, pairs, dps)))


def continuous_mass(law: Any) -> Any:
    """1 - the sum of the atom masses of ``law`` (exact when they are).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> continuous_mass(fa.bernoulli(sp.Rational(1, 3)))
    0
    """
    return sp.S.One - sum((a.mass for a in law.atoms()), sp.S.Zero)
