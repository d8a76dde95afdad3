"""LaTeX and text rendering through sympy's printer protocol (objects carry ``_latex``)."""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["latex"]


def latex(obj: Any, **settings) -> str:
    """LaTeX for freealg objects (laws, ...) and sympy expressions.

    Objects that implement ``_latex`` are rendered by it; anything else goes to
    ``sympy.latex``. Importing freealg changes no sympy printer setting.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.latex(fa.free_additive(fa.semicircle(1), fa.free_poisson(2)))
    '\\\\sigma_{1} \\\\boxplus \\\\pi_{2, 1}'
    >>> fa.latex(fa.semicircle(1).r_transform())
    'w'
    """
    if hasattr(obj, "_latex") and not isinstance(obj, sp.Basic):
        return obj._latex(None)
    return sp.latex(obj, **settings)
