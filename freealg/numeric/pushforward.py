"""Gaussian push-forwards f(h), h ~ N(0, q), cut into pieces for the quadrature engine.

The numeric side of ``gaussian_pushforward`` (it knows nothing about laws): the flat parts of a
numeric f (its atoms), the refusal of an unbounded f, the monotone spans of f between its
critical points with the Gaussian tails truncated, the Gaussian weight, and the
:class:`~freealg.numeric.quadrature.Piece` objects x = f(s) with weight phi_q(s)/w_c that
:func:`~freealg.numeric.quadrature.cauchy_transform` integrates in the smooth variable s.

Examples
--------
>>> import numpy as np
>>> atoms, spans = flat_parts(lambda h: np.maximum(np.tanh(h), 0.0), 1.0)   # an atom at 0
>>> atoms, [(abs(a) < 1e-20, b) for a, b in spans]      # the run ends where f leaves 0
([(0.0, 0.5)], [(True, inf)])
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import mpmath
import numpy as np

from ..errors import InvalidParameterError
from ..kernels.backend import NP, Backend
from .evaluators import critical_points, polish_critical
from .quadrature import Piece

__all__ = ["check_bounded", "flat_parts", "monotone_spans", "gaussian_weight",
           "gaussian_pieces", "refine_spans", "gaussian_expectation", "tail_vanishes"]


def check_bounded(fnp: Callable, lo: float, hi: float, scale: float, f: Any) -> None:
    """Refuse an f that grows along an infinite interval (the law of f(h) would not be
    compactly supported): compare max |f| on [-180, 180] scale with max |f| on [-9, 9] scale.

    Examples
    --------
    >>> import numpy as np
    >>> check_bounded(np.tanh, -np.inf, np.inf, 1.0, "tanh")
    >>> check_bounded(np.sinh, -np.inf, np.inf, 1.0, "sinh")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid f='sinh': f must be bounded ...
    """
    if math.isfinite(lo) and math.isfinite(hi):
        return
    with np.errstate(all="ignore"):
        near = fnp(np.linspace(max(lo, -9 * scale), min(hi, 9 * scale), 2001))
        far = fnp(np.linspace(max(lo, -180 * scale), min(hi, 180 * scale), 4001))
    near = near[np.isfinite(near)]
    if (not np.all(np.isfinite(far))) or (near.size and np.max(np.abs(far)) >
                                          10 * (1 + np.max(np.abs(near)))):
        raise InvalidParameterError("f", f, "f must be bounded (the law of f(h) must be "
                                            "compactly supported); f grows as |h| -> oo")


def flat_parts(fnp: Callable, q: float) -> tuple[list, list]:
    """Heuristic atoms of a numeric f under N(0, q), and the intervals where it is not flat.

    Runs of >= 3 exactly equal values on a grid of 40001 points of [-9 sqrt q, 9 sqrt q],
    boundaries refined by bisection; runs of Gaussian mass < 1e-12 are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> atoms, spans = flat_parts(lambda h: np.clip(h, -1.0, 1.0), 1.0)   # hard-tanh
    >>> [(c, round(m, 12)) for c, m in atoms], spans                     # P(h > 1) each
    ([(-1.0, 0.158655253931), (1.0, 0.158655253931)], [(-1.0, 1.0)])

    Parameters
    ----------
    fnp : callable
        f vectorised in float64.
    q : float
        The variance of h.

    Returns
    -------
    (atoms, spans)
        ``[(value, mass), ...]`` in order of appearance along h (masses of equal values
        summed), and the
        intervals ``[(lo, hi), ...]`` (ends may be infinite) between the flat runs.
    """
    from scipy.special import ndtr

    sq = math.sqrt(q)
    L0 = 9 * sq
    h = np.linspace(-L0, L0, 40001)
    v = fnp(h)
    if not np.all(np.isfinite(v)):
        raise InvalidParameterError("f", fnp, "f(h) must be finite for all real h")
    check_bounded(fnp, -math.inf, math.inf, sq, fnp)
    eq = v[1:] == v[:-1]
    runs = []
    i = 0
    n = len(eq)
    while i < n:
        if eq[i]:
            j = i
            while j + 1 < n and eq[j + 1]:
                j += 1
            if j > i:  # >= 3 equal points
                runs.append((i, j + 1))
            i = j + 1
        else:
            i += 1

    def refine(c, inside, outside):
        a, b = inside, outside
        for _ in range(80):
            m = 0.5 * (a + b)
            if m == a or m == b:
                break
            if fnp(np.array([m]))[0] == c:
                a = m
            else:
                b = m
        return 0.5 * (a + b)

    flats = []
    for i0, i1 in runs:
        c = float(v[i0])
        lo = -math.inf if i0 == 0 else float(refine(c, h[i0], h[i0 - 1]))
        hi = math.inf if i1 == len(h) - 1 else float(refine(c, h[i1], h[i1 + 1]))
        # P(lo < h < hi) from the tail that keeps relative accuracy
        mass = float(ndtr(hi / sq) - ndtr(lo / sq) if hi <= 0 else ndtr(-lo / sq) - ndtr(-hi / sq))
        if mass >= 1e-12:
            flats.append((lo, hi, c, mass))
    atoms: dict = {}
    for _lo, _hi, c, mass in flats:
        atoms[c] = atoms.get(c, 0.0) + mass
    spans = []
    start = -math.inf
    for lo, hi, _, _ in flats:
        if lo > start:
            spans.append((start, lo))
        start = hi
    if start < math.inf:
        spans.append((start, math.inf))
    return list(atoms.items()), spans


def monotone_spans(intervals: Sequence[tuple], dXs: Sequence[Callable], q: float) -> list:
    """Monotone sub-intervals of f in float64, cut at the zeros of f', the Gaussian tails
    truncated where their mass is below 1e-20.

    Examples
    --------
    >>> import numpy as np
    >>> spans = monotone_spans([(-np.inf, np.inf)], [lambda s: -2 * s], 1.0)  # f = -h^2
    >>> [(round(a, 3), round(b, 3), meta[:5]) for a, b, meta in spans]
    [(-9.597, 0.0, (0, True, False, False, True)), (0.0, 9.597, (0, False, True, True, False))]

    Parameters
    ----------
    intervals : sequence of (lo, hi)
        The non-flat intervals of f (floats, possibly infinite).
    dXs : sequence of callables
        f' on each interval, vectorised in float64.
    q : float
        The variance.

    Returns
    -------
    list of (s0, s1, meta)
        ``meta = (interval index, truncated at s0, truncated at s1, critical at s0,
        critical at s1, s0, s1)``.
    """
    L = math.sqrt(2 * q * 20 * math.log(10))
    out = []
    for idx, ((flo, fhi), dX) in enumerate(zip(intervals, dXs)):
        a, b = max(flo, -L), min(fhi, L)
        if not a < b:
            continue
        cps = [c for c in critical_points(dX, a, b) if a < c < b]
        cuts = [a] + cps + [b]
        for k, (s0, s1) in enumerate(zip(cuts[:-1], cuts[1:])):
            if s1 <= s0:
                continue
            tr0 = (k == 0 and flo < -L)
            tr1 = (k == len(cuts) - 2 and fhi > L)
            out.append((s0, s1, (idx, tr0, tr1, k > 0, k < len(cuts) - 2, s0, s1)))
    return out


def gaussian_weight(q: Any, wc: Any, be: Backend) -> tuple[Callable, Callable]:
    """The weight w(s) = phi_q(s)/w_c of the continuous part (mass w_c) and its derivative,
    in float64 (``NP``) or mpmath at the working precision (``MP``).

    Examples
    --------
    >>> from freealg.kernels.backend import NP
    >>> w, dw = gaussian_weight(1.0, 1.0, NP)
    >>> round(float(w(0.0)), 12), round(float(dw(1.0)), 12)      # 1/sqrt(2 pi), -e^-1/2/sqrt(2 pi)
    (0.398942280401, -0.241970724519)
    """
    if be is NP:
        c = 1.0 / (math.sqrt(2 * math.pi * q) * wc)

        def w(s):
            return c * np.exp(-np.asarray(s) ** 2 / (2 * q))

        def dw(s):
            return -np.asarray(s) / q * w(s)

        return w, dw
    cm = 1 / (mpmath.sqrt(2 * mpmath.pi * q) * wc)

    def wm(s):
        return cm * mpmath.exp(-s * s / (2 * q))

    def dwm(s):
        return -s / q * wm(s)

    return wm, dwm


def refine_spans(np_pieces: Sequence[Piece], maps: Sequence[tuple], end: Callable,
                 q: Any) -> list:
    """The spans of the float64 pieces at the working mpmath precision: truncated tails at
    the mpmath cut-off (Gaussian mass below 10^-(dps + 10)), critical points polished by
    Newton, other ends exact (``end(index, 0 or 1)``).

    Examples
    --------
    >>> import mpmath, numpy as np
    >>> from freealg.kernels.backend import NP
    >>> w, dw = gaussian_weight(1.0, 1.0, NP)
    >>> np_maps = [(lambda s: -s**2, lambda s: -2 * s, lambda s: -2 + 0 * s, None, None)]
    >>> pcs = gaussian_pieces(monotone_spans([(-np.inf, np.inf)], [np_maps[0][1]], 1.0),
    ...                       np_maps, w, dw)
    >>> mp_maps = [(lambda s: -s**2, lambda s: -2 * s, lambda s: -2 + 0 * s, None, None)]
    >>> with mpmath.workdps(20):      # the tails cut at sqrt(2 (20 + 10) log 10) = 11.754
    ...     [(mpmath.nstr(a, 5), mpmath.nstr(b, 5))
    ...      for a, b, _ in refine_spans(pcs, mp_maps, None, mpmath.mpf(1))]
    [('-11.754', '0.0'), ('0.0', '11.754')]
    """
    L = mpmath.sqrt(2 * q * (mpmath.mp.dps + 10) * mpmath.log(10))
    out = []
    for pc in np_pieces:
        idx, tr0, tr1, cr0, cr1, s0, s1 = pc.meta
        _X, dX, d2X = maps[idx][:3]
        a = -L if tr0 else (polish_critical(dX, d2X, s0) if cr0 else end(idx, 0))
        b = L if tr1 else (polish_critical(dX, d2X, s1) if cr1 else end(idx, 1))
        out.append((a, b, pc.meta))
    return out


def gaussian_pieces(spans: Sequence[tuple], maps: Sequence[tuple], w: Callable,
                    dw: Callable) -> list:
    """The pieces x = X(s), s in a span, with the weight w (float64 or mpmath, as the spans
    and the maps are); empty and numerically flat spans are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from freealg.kernels.backend import NP
    >>> w, dw = gaussian_weight(1.0, 1.0, NP)
    >>> maps = [(np.tanh, lambda s: 1 / np.cosh(s)**2, lambda s: -2 * np.tanh(s) / np.cosh(s)**2,
    ...          None, None)]
    >>> [pc.sgn for pc in gaussian_pieces([(-1.0, 1.0, (0,) * 7)], maps, w, dw)]
    [1]

    Parameters
    ----------
    spans : sequence of (s0, s1, meta)
        From :func:`monotone_spans` (float64) or :func:`refine_spans` (mpmath).
    maps : sequence of tuples
        Per interval index: (X, X', X'', (X, X') together or None, complex (X, X') or None).
    w, dw : callable
        The weight and its derivative (:func:`gaussian_weight`).
    """
    out = []
    for a, b, meta in spans:
        if not a < b:
            continue
        X, dX, d2X, XdX, XdXc = maps[meta[0]]
        if isinstance(a, float):
            x0, x1 = float(X(np.array([a]))[0]), float(X(np.array([b]))[0])
        else:
            x0, x1 = X(a), X(b)
        if x0 == x1:
            continue  # numerically flat
        sgn = 1 if x1 > x0 else -1
        out.append(Piece(a, b, min(x0, x1), max(x0, x1), False, w, dw=dw, X=X, dX=dX, d2X=d2X,
                         sgn=sgn, meta=meta, XdX=XdX, XdXc=XdXc))
    return out


def gaussian_expectation(g: Sequence[Callable], intervals: Sequence[tuple], q: Any) -> Any:
    """sum_i int_{I_i} g_i(h) phi_q(h) dh by ``mpmath.quad`` (split at 0), at the working
    precision; interval ends may be infinite.

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(30):                  # E[h^4] = 3 q^2 over the whole line
    ...     v = gaussian_expectation([lambda h: h**4], [(-mpmath.inf, mpmath.inf)], 2)
    ...     bool(abs(v - 12) < 1e-25)
    True
    """
    c = 1 / mpmath.sqrt(2 * mpmath.pi * q)
    tot = mpmath.mpf(0)
    for gi, (a, b) in zip(g, intervals):
        pts = [a, 0, b] if a < 0 < b else [a, b]
        tot += mpmath.quad(lambda s, gi=gi: c * mpmath.exp(-s * s / (2 * q)) * gi(s), pts)
    return tot


def tail_vanishes(q: Any, wc: Any, dX: Callable, s: float, width: float) -> bool:
    """Whether the density phi_q(h)/|f'(h)| / w_c tends to 0 along the Gaussian tail on the
    side of s: it must decrease from h = 9 sqrt(q) to 12 sqrt(q) and be below 1e-6/width
    there (evaluated at the working mpmath precision; e.g. for tanh'(h)^2 the density
    ~ exp(-h^2/2 + 4h) only decays beyond h = 8).

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(60):      # tanh: the density ~ exp(-h^2/2 + 2h)/4 decays
    ...     tail_vanishes(mpmath.mpf(1), 1, lambda h: 1 / mpmath.cosh(h)**2, 5.0, 1.0)
    True
    >>> with mpmath.workdps(60):      # f' = exp(-h^2): the density ~ exp(h^2/2) grows
    ...     tail_vanishes(mpmath.mpf(1), 1, lambda h: mpmath.exp(-h**2), 5.0, 1.0)
    False
    """
    sign = 1 if s > 0 else -1
    vals = []
    for c in (9, 12):
        h = sign * c * mpmath.sqrt(q)
        d = abs(dX(h))
        vals.append(mpmath.exp(-h * h / (2 * q)) / d if d != 0 else mpmath.inf)
    rho = vals[1] / (mpmath.sqrt(2 * mpmath.pi * q) * abs(wc))
    return bool(vals[1] < vals[0] and rho * width < 1e-6)
