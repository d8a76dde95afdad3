"""Gaussian expectations of activation functions, fast and with an error estimate.

The mean-field quantities of a random network are expectations E[f(h)], h ~ N(0, q), of
functions of one activation (phi^2, phi'^2, ...). They are computed here by composite
Gauss-Legendre quadrature in t = h/sqrt(q), vectorised over the nodes:

* the line is cut at t = +-38.5 (the standard normal density is below 1e-322 beyond) and at
  the kinks of f (given in h);
* panels have width at most ``width`` in t (twice that where |t| > 10) and ``width`` in h
  inside |h| <= 30 (an activation varies on the scale 1 of h, whatever q), ``n`` nodes each;
* the rule is applied with the panels halved until two successive results agree to ``rtol``
  relative to the larger of E|f| and ``atol`` (E|f|, not |E f|: where the mean cancels, e.g.
  E selu(h) = -6e-5 at q = 0.9993, rounding of the O(1) terms alone is 1e-16 of E|f|, more
  than 1e-14 of |E f|); the difference of the last two results
  is returned as the error estimate of the finer one (Gauss-Legendre converges geometrically
  for functions analytic on each panel, so the finer result is far more accurate than that
  difference).

This module knows nothing about networks or laws (low layer): it takes numpy callables.

Examples
--------
>>> import numpy as np
>>> val, err = gaussian_expectation([lambda h: h**2, lambda h: np.abs(h)], 4.0, breaks=[0.0])
>>> [round(float(v), 14) for v in val]                      # q and sqrt(2 q/pi)
[4.0, 1.59576912160573]
>>> bool(err < 1e-13)
True
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ..errors import InvalidParameterError, NoConvergence

__all__ = ["gaussian_expectation"]

_T = 38.5
_RULES: dict = {}


def _rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _RULES:
        _RULES[n] = np.polynomial.legendre.leggauss(n)
    return _RULES[n]


def _nodes(cuts: Sequence[float], s: float, width: float, n: int) -> tuple:
    """Composite Gauss-Legendre nodes t and weights (times the normal density) on the cuts."""
    x, w = _rule(n)
    ts, ws = [], []
    zones = {c for c in (-30.0 / s, 30.0 / s, -10.0, 10.0) if cuts[0] < c < cuts[-1]}
    cuts = sorted(set(cuts) | zones)
    for a, b in zip(cuts[:-1], cuts[1:]):
        # width in t: `width` (twice that beyond |t| = 10, where the weight is < 1e-22), and
        # `width` in h (= width/s in t) inside |h| <= 30, where activations have their features
        near = max(a, -30.0 / s) < min(b, 30.0 / s)
        wt = min(width, width / s) if near else (2 * width if min(abs(a), abs(b)) >= 10
                                                  else width)
        k = max(1, int(math.ceil((b - a) / wt)))
        e = np.linspace(a, b, k + 1)
        mid, half = (e[:-1] + e[1:]) / 2, (e[1:] - e[:-1]) / 2
        ts.append((mid[:, None] + half[:, None] * x[None, :]).ravel())
        ws.append((half[:, None] * w[None, :]).ravel())
    t = np.concatenate(ts)
    return t, np.concatenate(ws) * np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


def gaussian_expectation(fs: Sequence[Callable], q: float, breaks: Sequence[float] = (),
                         rtol: float = 1e-14, atol: float = 1e-300, width: float = 1.0,
                         n: int = 20, max_halvings: int = 6) -> tuple[np.ndarray, float]:
    """E[f(h)] for each f in ``fs``, h ~ N(0, q), and an error estimate (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> val, err = gaussian_expectation([lambda h: np.tanh(h) ** 2], 1.0)
    >>> round(float(val[0]), 12), bool(err < 1e-14)     # mpmath.quad: 0.39429449039784117
    (0.394294490398, True)

    Parameters
    ----------
    fs : sequence of callables
        Vectorised numpy functions of h.
    q : float
        The variance, > 0.
    breaks : sequence of float
        Points (in h) where some f is not smooth.
    rtol, atol : float
        Stop when successive results agree to rtol * max(E|f|, atol).
    width, n : float, int
        Initial panel width and nodes per panel.
    max_halvings : int
        Most halvings of the panels.

    Returns
    -------
    (numpy.ndarray, float)
        The expectations and the largest error estimate.

    Raises
    ------
    InvalidParameterError
        q <= 0, or some f is not finite where the Gaussian weight is positive (an overflow).
    NoConvergence
        The results do not settle within ``max_halvings`` halvings.
    """
    q = float(q)
    if not (q > 0 and math.isfinite(q)):
        raise InvalidParameterError("q", q, "the variance must be a finite number > 0")
    s = math.sqrt(q)
    cuts = sorted({-_T, _T} | {float(b) / s for b in breaks if -_T < float(b) / s < _T})
    prev = None
    err = math.inf
    for k in range(max_halvings + 1):
        t, wt = _nodes(cuts, s, width / 2**k, n)
        h = s * t
        vals, sizes = [], []
        for f in fs:
            with np.errstate(all="ignore"):
                y = np.asarray(f(h), dtype=float) * np.ones_like(h)
            bad = ~np.isfinite(y) & (wt > 0)
            if bad.any():
                raise InvalidParameterError("f", f, "is not finite at h = "
                                            f"{float(h[bad][0]):.6g} (an overflow?), where "
                                            f"the N(0, {q:.6g}) weight is positive")
            vals.append(float(np.dot(np.where(wt > 0, y, 0.0), wt)))
            sizes.append(float(np.dot(np.where(wt > 0, np.abs(y), 0.0), wt)))
        cur = np.array(vals)
        if prev is not None:
            diff = np.abs(cur - prev)
            err = float(np.max(diff))
            if np.all(diff <= rtol * np.maximum(np.array(sizes), atol)):
                return cur, err
        prev = cur
    raise NoConvergence("Gaussian expectation", 15, max_halvings, err, None,
                        "the integrand is not smooth between the given breaks; pass its kinks "
                        "as breaks")
