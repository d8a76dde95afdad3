"""The tanh-sinh rule (Takahasi-Mori 1974), one node formula for float64 and mpmath.

The nodes of x = (1 + tanh(pi/2 sinh u))/2 on [0, 1] are kept as their distances sigma from 0
and tau from 1, both formed directly (down to 1e-300 of an end), so integrable end
singularities are resolved. Float64: fixed rules (:func:`tanh_sinh_rule`), vectorised by the
callers. mpmath: levels h = 2^-j whose new nodes are cached per precision, summed until a
level changes the sum by less than the square root of the target (the convergence is doubly
exponential, so the next level squares that error). :func:`tanh_sinh` integrates a function
over [a, b] with an error bound; the Cauchy transforms of :mod:`freealg.numeric.quadrature`
sum graded integrands with the same nodes.

Examples
--------
>>> import mpmath
>>> v, err = tanh_sinh(lambda t: 1 / mpmath.sqrt(t), 0, 1, dps=30)   # = 2
>>> with mpmath.workdps(30):
...     bool(abs(v - 2) <= err < mpmath.mpf(10) ** -10)
True
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Sequence

import mpmath
import numpy as np

from ..errors import InvalidParameterError, NoConvergence

__all__ = ["tanh_sinh_rule", "tanh_sinh"]

_NP_H = 1.0 / 16              # float64 tanh-sinh step
_NP_UMAX = 3.9                # float64 tanh-sinh range: nodes reach 1e-33 of an interval's end
_MP_JMIN, _MP_JMAX = 3, 10    # mpmath tanh-sinh levels (h = 2^-j)


def _expm1(x):
    """exp(x) - 1 without cancellation (mpmath's expm1 goes through a slow exact sum)."""
    if not x:
        return mpmath.mpf(0)
    m = mpmath.mag(x)
    if m > -1:
        return mpmath.exp(x) - 1
    with mpmath.workprec(mpmath.mp.prec - m + 10):
        r = mpmath.exp(x) - 1
    return +r


def _finite_np(v):
    return np.where(np.isfinite(v), v, 0.0)


# ============================================================================================
# the tanh-sinh rule


def _nodes(m: Any, u: Any, h: Any) -> tuple:
    """Tanh-sinh nodes at u (``m`` is numpy or mpmath): distance sigma from 0, tau = 1 - sigma
    from 1 (both formed directly), and the weight h dx/du."""
    e = m.pi * m.sinh(u)
    sig = 1 / (1 + m.exp(-e))
    tau = 1 / (1 + m.exp(e))
    return sig, tau, h * m.pi * m.cosh(u) * sig * tau


@functools.lru_cache(maxsize=16)
def tanh_sinh_rule(h: float = _NP_H, umax: float = _NP_UMAX) -> tuple:
    """The float64 tanh-sinh rule on [0, 1] with step ``h`` and u in [-umax, umax].

    Returns arrays (sigma, tau, weight): the nodes as distances from 0 and from 1 (both exact
    to rounding, down to 1e-300 of an end, so integrable end singularities are resolved) and the
    weights (including h).

    Examples
    --------
    >>> sig, tau, w = tanh_sinh_rule(1 / 8, 4.5)
    >>> len(w), float(min(sig)) < 1e-60, round(float(sum(w)), 14)
    (73, True, 1.0)

    Parameters
    ----------
    h : float
        The step in u.
    umax : float
        The range of u (the last node is at distance ~exp(-pi/2 e^umax) of the ends).

    Returns
    -------
    tuple of ndarray
    """
    n = int(math.ceil(umax / h))
    return _nodes(np, h * np.arange(-n, n + 1), h)


_MP_NODES: dict = {}


def _mp_level(j: int) -> list:
    """New nodes of level j (h = 2^-j) at the current precision: (sigma, tau, weight/h),
    u up to where the nodes reach 10^-(2 dps + 10) of the ends."""
    prec = mpmath.mp.prec
    key = (j, prec)
    out = _MP_NODES.get(key)
    if out is not None:
        return out
    with mpmath.workprec(prec + 20):
        digits = prec * 0.30103
        umax = mpmath.asinh(mpmath.log(10) * (2 * digits + 10) / mpmath.pi)
        h = mpmath.ldexp(1, -j)
        n = int(mpmath.floor(umax / h))
        out = [_nodes(mpmath, k * h, 1) for k in range(-n, n + 1) if j == 0 or k % 2]
    if len(_MP_NODES) > 200:
        _MP_NODES.clear()
    _MP_NODES[key] = out
    return out


def _adaptive_sum(F: Callable, ncomp: int, rel: Any, floor: Any = 0,
                  drivers: tuple = (0,)) -> tuple[list, Any, Any]:
    """Adaptive mpmath tanh-sinh sum of F(sigma, tau) (a list of ``ncomp`` values) over [0, 1].

    Stops when successive levels of each component in ``drivers`` (the first by default)
    agree to ``rel`` times its L1 size (the error of the last level is then about rel^2: the
    convergence is doubly exponential), or to the absolute ``floor`` (an accuracy that is
    enough for the caller, e.g. when the sum is a small correction to a closed-form part).
    Returns (sums, |difference of the last two levels|, L1 size), the last two of the driver
    with the largest ratio of the two.
    """
    S: list = []
    L1 = [mpmath.mpf(0)] * len(drivers)
    err = [mpmath.inf] * len(drivers)
    tiny = mpmath.mpf(10) ** (-mpmath.mp.dps * 2)
    for j in range(_MP_JMAX + 1):
        h = mpmath.ldexp(1, -j)
        acc = [mpmath.mpf(0)] * ncomp
        a1 = [mpmath.mpf(0)] * len(drivers)
        for sg, ta, wf in _mp_level(j):
            vals = F(sg, ta)
            for i in range(ncomp):
                acc[i] += vals[i] * wf
            for i, d in enumerate(drivers):
                a1[i] += abs(vals[d]) * wf
        if j == 0:
            S = [h * a for a in acc]
            L1 = [h * a for a in a1]
            continue
        new = [s / 2 + h * a for s, a in zip(S, acc)]
        L1 = [v / 2 + h * a for v, a in zip(L1, a1)]
        err = [abs(new[d] - S[d]) for d in drivers]
        S = new
        if j >= _MP_JMIN and all(e <= rel * (v + tiny) or e <= floor
                                 for e, v in zip(err, L1)):
            break
    i = max(range(len(drivers)), key=lambda i: err[i] / (L1[i] + tiny))
    return S, err[i], L1[i]


def _tail(terms: Sequence[Any], isfinite: Callable) -> Any:
    """Bound of what one side of a tanh-sinh sum leaves out beyond its outermost finite term
    (terms ordered from that end inwards): the term itself where it is the outermost node
    (truncation of the rule's range), 8 times it where nodes beyond it were dropped (f not
    finite where the node rounded onto the end: an integrable end singularity d^-alpha,
    alpha < 1, leaves out less than that)."""
    for i, t in enumerate(terms):
        if isfinite(t):
            return abs(t) * (1 if i == 0 else 8)
    return math.inf


def tanh_sinh(f: Callable, a: Any, b: Any, dps: int | None = None) -> tuple[Any, Any]:
    """Integral of f over [a, b] by the tanh-sinh rule, with an error bound.

    Integrable singularities at the ends (x^-1/2, log x, sqrt(1 - x), ...) are resolved: the
    nodes approach the ends doubly exponentially (to 1e-61 of the width in float64,
    10^-(2 dps + 10) in mpmath) and are formed as ``a + d`` or ``b - d`` from the nearer end.
    Where such a node rounds onto the end and f is not finite there, the node counts as 0 and
    the error bound says what that leaves out.

    Float64 (``dps=None``; f is called on arrays): the step is halved from 1/8 to 1/128 until
    two levels agree to 1e-14 of the L1 norm. mpmath (``dps`` digits, f called on mpf scalars,
    computed at dps + 10): the step is halved until a level changes the sum by less than
    10^-(dps/2 + 2) of the L1 norm, after which the next level has squared that error.

    The returned error is the change between the last two levels (which bounds the error of
    the coarser level, and the last level's with it while the convergence is doubly
    exponential), plus the rounding, plus a bound of what lies beyond the outermost finite
    nodes (the truncation of the rule's range, or nodes dropped at a singular end).

    Examples
    --------
    >>> import mpmath, numpy as np
    >>> v, err = tanh_sinh(np.sqrt, 0, 1)                      # 2/3
    >>> bool(abs(v - 2 / 3) <= err <= 1e-12)
    True
    >>> v, err = tanh_sinh(lambda t: mpmath.log(t), 0, 1, dps=50)   # -1
    >>> with mpmath.workdps(50):
    ...     bool(abs(v + 1) <= err < mpmath.mpf(10) ** -20)
    True

    Parameters
    ----------
    f : callable
        The integrand (vectorised over numpy arrays when ``dps`` is None).
    a, b : number
        Finite ends, a < b.
    dps : int or None
        None: float64; else the precision in significant digits.

    Returns
    -------
    (value, error)
        floats, or mpf at ``dps`` digits.

    Raises
    ------
    InvalidParameterError
        Ends that are not finite numbers with a < b, or dps not a positive integer.
    NoConvergence
        The levels do not settle (the integrand is not integrable or not smooth inside).
    """
    if dps is not None and (isinstance(dps, bool) or not isinstance(dps, (int, np.integer))
                            or dps <= 0):
        raise InvalidParameterError("dps", dps, "the precision must be a positive integer")
    if dps is None:
        try:
            A, B = float(a), float(b)
        except (TypeError, ValueError):
            raise InvalidParameterError("a, b", (a, b), "the ends must be real numbers") \
                from None
        if not (math.isfinite(A) and math.isfinite(B) and A < B):
            raise InvalidParameterError("a, b", (a, b), "the ends must be finite with a < b")
        W = B - A
        prev, change = math.nan, math.inf
        for h in (1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128):
            sig, tau, w = tanh_sinh_rule(h, 4.5)
            with np.errstate(all="ignore"):
                x = np.where(sig <= tau, A + W * sig, B - W * tau)
                raw = W * w * np.asarray(f(x), dtype=float)
            t = _finite_np(raw)
            val = float(np.sum(t))
            l1 = float(np.sum(np.abs(t)))
            change = abs(val - prev)          # nan at the first level
            if change <= 1e-14 * l1:
                break
            prev = val
        else:
            raise NoConvergence("tanh-sinh quadrature (float64)", residual=change,
                                advice="split the interval at interior singularities or "
                                       "pass dps for an adaptive mpmath rule")
        tails = _tail(raw, np.isfinite) + _tail(raw[::-1], np.isfinite)
        return val, change + 1e-15 * l1 + tails / h
    dps = int(dps)
    with mpmath.workdps(dps + 10):
        try:
            A, B = mpmath.mpf(a), mpmath.mpf(b)
        except (TypeError, ValueError):
            raise InvalidParameterError("a, b", (a, b), "the ends must be real numbers") \
                from None
        if not (mpmath.isfinite(A) and mpmath.isfinite(B) and A < B):
            raise InvalidParameterError("a, b", (a, b), "the ends must be finite with a < b")
        W = B - A

        def raw(sg, ta):
            try:
                return W * f(A + W * sg if sg <= ta else B - W * ta)
            except (ZeroDivisionError, ValueError, OverflowError):
                return mpmath.nan

        def F(sg, ta):
            v = raw(sg, ta)
            return (v if mpmath.isfinite(v) else mpmath.mpf(0),)

        rel = mpmath.mpf(10) ** (-(dps // 2) - 2)
        (S,), diff, L1 = _adaptive_sum(F, 1, rel)
        if not diff <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2)):
            raise NoConvergence("tanh-sinh quadrature", dps=dps, residual=diff,
                                advice="split the interval at interior singularities")
        # what lies beyond the outermost finite nodes, from the coarsest level (step 1)
        terms = [raw(sg, ta) * wt for sg, ta, wt in _mp_level(0)]
        tails = _tail(terms, mpmath.isfinite) + _tail(terms[::-1], mpmath.isfinite)
        err = diff + mpmath.mpf(10) ** (-dps - 8) * L1 + tails
    with mpmath.workdps(dps):
        return +S, +err
