"""LaTeX and text rendering through sympy's printer protocol (objects carry ``_latex``).

Importing this package registers :func:`law_latex` as the LaTeX printer of laws
(``freealg.laws.base.PRINTERS["latex"]``) and :func:`system_document` as the writer of
``System.to_tex`` (``freealg.reduce.system.DOCUMENT["latex"]``); it changes no sympy printer
setting.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..laws.base import PRINTERS
from ..reduce.system import DOCUMENT
from .laws import exact_float, law_latex, text_escape
from .system import SystemDisplay, system_display, system_document

__all__ = ["latex", "law_latex", "text_escape", "exact_float", "SystemDisplay", "system_display",
           "system_document"]

PRINTERS["latex"] = law_latex
DOCUMENT["latex"] = system_document


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

    Parameters
    ----------
    obj : object
        A law, a polynomial, a System, or anything ``sympy.latex`` prints.
    **settings
        Settings of ``sympy.latex`` (used for sympy objects).

    Returns
    -------
    str
        The LaTeX, for math mode.
    """
    if hasattr(obj, "_latex") and not isinstance(obj, sp.Basic):
        return obj._latex(None)
    return sp.latex(obj, **settings)
