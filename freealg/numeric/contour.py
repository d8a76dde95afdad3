"""Mass of a law in an interval from its Cauchy transform on a circle (float64).

An engine module (duck typing): the law provides ``_cauchy_np(z)``.

Examples
--------
>>> import freealg as fa
>>> from freealg.numeric.contour import contour_mass
>>> m, err = contour_mass(fa.semicircle(1), -3.0, 3.0)
>>> bool(abs(m - 1) <= err + 1e-12)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["contour_mass"]


def contour_mass(law: Any, a: float, b: float) -> tuple[float, float]:
    """Mass of ``law`` in [a, b] from the Cauchy transform on the circle through a and b.

    ``a`` and ``b`` must lie outside the support (and away from atoms): the integrand is then
    analytic and periodic and the midpoint rule converges geometrically; the node count is
    tripled (nested rules) until two agree.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> law = fa.free_additive(fa.bernoulli(sp.Rational(1, 2)), fa.semicircle(sp.Rational(1, 100)))
    >>> m, err = contour_mass(law, -0.5, 0.5)       # the band around 0 carries mass 1/2
    >>> bool(abs(m - 0.5) <= err + 1e-12)
    True

    Parameters
    ----------
    law : Law
        Any law (it needs the float64 Cauchy transform ``_cauchy_np``).
    a, b : float
        The ends, a < b, outside the support.

    Returns
    -------
    (float, float)
        The mass and the difference of the last two rules.
    """
    c, r = 0.5 * (a + b), 0.5 * (b - a)
    prev: float | None = None
    diff = float("inf")
    total = 0.0
    done: dict = {}
    for n in (81, 243, 729, 2187, 6561, 19683):
        th = np.pi * (np.arange(n) + 0.5) / n
        # nested: the midpoints of n/3 intervals are every third midpoint of n intervals
        new = np.ones(n, dtype=bool)
        if prev is not None:
            new[1::3] = False
        e = np.exp(1j * th[new])
        g = np.asarray(law._cauchy_np(c + r * e), dtype=complex)
        vals = np.real(g * e)
        if not np.all(np.isfinite(vals)):
            return float("nan"), float("inf")
        total = (done.get("sum", 0.0) + float(np.sum(vals)))
        done["sum"] = total
        m = r * total / n
        if prev is not None:
            diff = abs(m - prev)
            if diff <= 1e-12:
                return m, diff
        prev = m
    return float("nan") if prev is None else prev, diff
