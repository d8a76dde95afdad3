"""Which strategy computes a quantity of a law, and which law runs it.

Every public numeric call of a law goes ``dispatch(law, quantity, method)`` -> (the law that
computes, the strategy, the method to pass it): the method name is validated against the
strategies that apply (:func:`freealg.numeric.dispatch.choose`), and ``'formula'`` on a tree
that is not a closed form itself runs on the equal closed-form law that ``simplify`` finds.

An engine module (duck typing): a law provides ``_strategies(quantity)`` (its own strategies,
the default first; the base class reads ``_cauchy_strategies`` and ``_edge_strategies``),
``_closed()`` (the memoised :func:`closed_law`), ``simplify()`` and ``_nunk``.

Examples
--------
>>> import freealg as fa
>>> from freealg.numeric.strategies import all_strategies, dispatch
>>> rho = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
>>> all_strategies(rho, "cauchy")[:2]          # the tree simplifies: 'formula' comes first
('formula', 'curve')
>>> dispatch(rho, "cauchy", None)[:2]
(semicircle(variance=3, mean=0), 'formula')
"""

from __future__ import annotations

from typing import Any

from ..errors import FreeAlgError
from .dispatch import choose

__all__ = ["own_strategies", "closed_law", "all_strategies", "route", "default_strategy",
           "dispatch"]

_POINT = ("cauchy", "density")
_EDGE = ("edges", "support")


def own_strategies(law: Any, quantity: str) -> tuple:
    """The strategies a law class declares for ``quantity`` (``_cauchy_strategies`` for
    cauchy/density, ``_edge_strategies`` for edges/support), the default first.

    Examples
    --------
    >>> import freealg as fa
    >>> own_strategies(fa.semicircle(1), "edges")
    ('formula',)
    """
    if quantity in _POINT:
        return law._cauchy_strategies
    if quantity in _EDGE:
        return law._edge_strategies
    return ()


def closed_law(law: Any) -> Any:
    """The simplified law when it differs from ``law`` and has a closed form, else None.

    Examples
    --------
    >>> import freealg as fa
    >>> closed_law(fa.free_additive(fa.semicircle(1), fa.semicircle(2)))
    semicircle(variance=3, mean=0)
    >>> print(closed_law(fa.semicircle(1)))
    None
    """
    try:
        simple = law.simplify()
    except FreeAlgError:
        return None
    if simple is law or simple == law or simple._nunk != 0 \
            or "formula" not in simple._strategies("cauchy"):
        return None
    return simple


def all_strategies(law: Any, quantity: str) -> tuple:
    """The law's strategies for ``quantity``, with 'formula' added when the tree simplifies to
    a closed form: first for cauchy/density (automatic for numbers), last for edges/support
    (on request only, since the closed form gives exact sympy locations where the numeric
    search gives mpf).

    Examples
    --------
    >>> import freealg as fa
    >>> rho = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    >>> all_strategies(rho, "edges")[-1]
    'formula'
    """
    own = law._strategies(quantity)
    if "formula" not in own and law._closed() is not None:
        return ("formula",) + tuple(own) if quantity in _POINT else tuple(own) + ("formula",)
    return own


def route(law: Any, quantity: str, strategy: str, method: str | None) -> tuple:
    """(law that computes, method to pass it): the closed form for 'formula' when ``law`` is
    not closed itself, else ``law`` and ``method``.

    Examples
    --------
    >>> import freealg as fa
    >>> route(fa.semicircle(1), "cauchy", "formula", "formula")
    (semicircle(variance=1, mean=0), 'formula')
    """
    if strategy == "formula" and "formula" not in law._strategies(quantity):
        return law._closed(), None
    return law, method


def default_strategy(law: Any, quantity: str) -> str | None:
    """The first (default) strategy the law declares for ``quantity`` (None: none).

    Examples
    --------
    >>> import freealg as fa
    >>> default_strategy(fa.free_additive(fa.semicircle(1), fa.free_poisson(1)), "cauchy")
    'curve'
    """
    names = law._strategies(quantity)
    return names[0] if names else None


def dispatch(law: Any, quantity: str, method: Any) -> tuple:
    """Validate ``method`` for ``quantity`` of ``law``: (law that computes, strategy, method
    to pass it). An unknown or inapplicable name raises
    :class:`~freealg.errors.InvalidParameterError` listing the known or applicable ones.

    Examples
    --------
    >>> import freealg as fa
    >>> dispatch(fa.semicircle(1), "density", None)
    (semicircle(variance=1, mean=0), 'formula', None)
    >>> dispatch(fa.semicircle(1), "density", "curve")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid method='curve': the density strategy 'curve'
    does not apply to this law; use one of 'formula'
    """
    strategy = choose(quantity, method, all_strategies(law, quantity))
    target, method = route(law, quantity, strategy, method)
    return target, strategy, method
