"""Layer widths of an MLP: exact ratios and the Jacobian law of a network with unequal widths.

Layer l maps the ``n_{l-1} N``-dimensional space to the ``n_l N``-dimensional one. With
``M = J_{l-1} J_{l-1}^T`` on the ``n_{l-1}`` block, ``J_l J_l^T = D'_l W_l M W_l^T D'_l`` on the
``n_l`` block, so (laws normalised on their own blocks; S-transforms multiply, Voiculescu 1987)

    mu_l = law(D'_l^2) ⊠ law_{n_l}(W_l M W_l^T),

and ``law_{n_l}(W M W^T)`` is the rectangular rule of the compiler: for a Gaussian W of shape
(r, c) it is ``pi_{1, v r} ⊠ ((1 - c/r) delta_0 + (c/r) mu_M)`` (c <= r) or the free
compression of ``pi_{1, v c} ⊠ mu_M`` to trace r/c (c > r) (Marchenko-Pastur 1967, Nica-Speicher
1996); for a Haar isometry the same without the Marchenko-Pastur factor. The zero padding
carries the rank atom exactly.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError

__all__: list[str] = []


def parse_widths(widths: Any, depth: int) -> list | None:
    """[n_0, ..., n_L] as positive sympy Rationals, or None for equal widths.

    Examples
    --------
    >>> from freealg.nn.widths import parse_widths
    >>> parse_widths([1, "3/2", 0.5], 2)
    [1, 3/2, 1/2]
    >>> parse_widths([2, 2, 2], 2) is None
    True
    """
    if widths is None:
        return None
    try:
        ws = list(widths)
    except TypeError:
        raise InvalidParameterError("widths", widths, "give a list [n_0, ..., n_L] of positive "
                                                      "rationals") from None
    if len(ws) != depth + 1:
        raise InvalidParameterError("widths", widths, f"a depth-{depth} network needs "
                                    f"{depth + 1} widths [n_0, ..., n_L], got {len(ws)}")
    out = []
    for w in ws:
        out.append(_rational(w, widths))
    if all(w == out[0] for w in out):
        return None
    return out


def _rational(w, widths):
    if isinstance(w, bool):
        raise InvalidParameterError("widths", widths, "widths are positive rationals")
    try:
        if isinstance(w, float):
            r = sp.Rational(repr(w))        # a float is read as the decimal it prints as
        elif isinstance(w, Fraction):
            r = sp.Rational(w.numerator, w.denominator)
        else:
            r = sp.Rational(w) if isinstance(w, (int, str)) else sp.sympify(w)
    except (TypeError, ValueError, sp.SympifyError):
        raise InvalidParameterError("widths", widths, "widths are positive rationals "
                                    "(ints, Fractions, exact strings such as '3/2')") from None
    if not (isinstance(r, sp.Rational) and r > 0):
        raise InvalidParameterError("widths", widths, "widths are positive rationals")
    return r


def weight_letter(name: str, kind: str, rows, cols):
    """The weight W_l of shape (rows, cols) with sigma_w absorbed in D': a Gaussian with entries
    of variance 1/(cols N), or a Haar isometry scaled by sqrt(max(1, rows/cols)) (entries of
    second moment 1/(cols N) as well, so the mean field is that of equal widths)."""
    from ..algebra import gaussian, haar_orthogonal

    if kind == "gaussian":
        return gaussian(name, shape=(rows, cols), variance=sp.S.One / cols)
    V = haar_orthogonal(name, shape=(rows, cols))
    return V if rows <= cols else sp.sqrt(rows / cols) * V


def jacobian_law_system(ds: list, widths: list, kind: str):
    """The System of J J^T on the n_L block, built layer by layer (module docstring).

    ``ds`` are the activation generators D'_l (on the n_l blocks)."""
    from ..algebra import selfadjoint
    from ..laws import dirac
    from ..reduce import compile_expr

    law = dirac(1)
    sysm = None
    for l in range(1, len(widths)):
        r, c = widths[l], widths[l - 1]
        M = selfadjoint(f"M{l}", law, dim=c)
        W = weight_letter(f"W{l}", kind, r, c)
        nu = compile_expr(W * M * W.H).law
        Nl = selfadjoint(f"N{l}", nu, dim=r)
        D = ds[l - 1]
        sysm = compile_expr(D * Nl * D)
        law = sysm.law
    return sysm
