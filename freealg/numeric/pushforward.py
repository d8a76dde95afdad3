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

import functools
import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import MP, NP, Backend
from .contourshift import ShiftedContour
from .evaluators import (callable_evaluator, complex_pair, critical_points, evaluator,
                         finite_difference, pair_evaluator, polish_critical)
from .fnlaw import X, QuadratureModel, body, prepare, to_sympy_number
from .leaf import to_backend
from .quadrature import Piece, far_moments, pieces_density, tanh_sinh_masses
from .records import Band, Edge

__all__ = ["check_bounded", "flat_parts", "monotone_spans", "gaussian_weight",
           "gaussian_pieces", "refine_spans", "gaussian_expectation", "tail_vanishes",
           "gauss_mass", "gauss_poly_moments", "Plan", "symbolic_plan", "numeric_plan", "plan",
           "continuous_on_line", "PushforwardModel"]


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
    if not np.all(np.isfinite(far)):
        raise InvalidParameterError("f", f, "f is not finite in float64 on [-180, 180] scale "
                                            "(an overflow, e.g. exp(-2 h) in h/(1 + exp(-2 h)): "
                                            "write it in an overflow-safe form such as "
                                            "h (1 + tanh(h))/2), or it grows as |h| -> oo")
    if near.size and np.max(np.abs(far)) > 10 * (1 + np.max(np.abs(near))):
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


def monotone_spans(intervals: Sequence[tuple], dXs: Sequence[Callable], q: float,
                   keep: Callable | None = None) -> list:
    """Monotone sub-intervals of f in float64, cut at the zeros of f', the Gaussian tails
    truncated where their mass is below 1e-20. ``keep(index, c)`` (optional) confirms a zero
    c of the float64 f' (a sign change from rounding is no critical point: cutting there
    would drop the tail beyond it).

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
    keep : callable, optional
        ``keep(index, c) -> bool``: whether a float64 zero c of f' is a true critical point
        (default: every one is).

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
        cps = [c for c in critical_points(dX, a, b)
               if a < c < b and (keep is None or keep(idx, c))]
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
    ~ exp(-h^2/2 + 4h) only decays beyond h = 8), or, where f' decays like exp(-a h)
    between those points, the same at h = 2 q a and 3 q a (the density
    ~ exp(-h^2/(2q) + a h) turns down at h = q a, which can be far beyond 12 sqrt(q)).

    Examples
    --------
    >>> import mpmath
    >>> with mpmath.workdps(60):      # tanh: the density ~ exp(-h^2/2 + 2h)/4 decays
    ...     tail_vanishes(mpmath.mpf(1), 1, lambda h: 1 / mpmath.cosh(h)**2, 5.0, 1.0)
    True
    >>> with mpmath.workdps(60):      # f' = exp(-h^2): the density ~ exp(h^2/2) grows
    ...     tail_vanishes(mpmath.mpf(1), 1, lambda h: mpmath.exp(-h**2), 5.0, 1.0)
    False
    >>> with mpmath.workdps(30):      # f' ~ exp(-2h), q = 45: turns down at h = 90
    ...     tail_vanishes(mpmath.mpf(45), 1, lambda h: mpmath.exp(-2 * h), 5.0, 1.0)
    True
    """
    sign = 1 if s > 0 else -1

    def logs(hs):
        out = []
        for h in hs:
            d = abs(dX(sign * h))
            out.append((-h * h / (2 * q) - mpmath.log(d)) if d != 0 else mpmath.inf)
        return out

    base = mpmath.log(mpmath.sqrt(2 * mpmath.pi * q) * abs(wc))
    sq = mpmath.sqrt(q)
    h1, h2 = 9 * sq, 12 * sq
    l1, l2 = logs([h1, h2])
    if l2 < l1 and l2 - base + mpmath.log(width) < mpmath.log(mpmath.mpf(10) ** -6):
        return True
    if not (mpmath.isfinite(l1) and mpmath.isfinite(l2)):
        return False
    # f' decaying like exp(-a h) (a from the two points) leaves the density
    # exp(-h^2/(2q) + a h) growing up to h = q a and vanishing beyond (sigmoid'(h)^2 at
    # q = 46: the density grows until x ~ e^-365): look beyond 2 q a, at the precision that
    # f' ~ e^(-a h) needs there; a faster decay (f' ~ e^(-h^2)) keeps the density growing
    a = (l2 - l1) / (h2 - h1) + (h1 + h2) / (2 * q)       # -(d/dh) log|f'|
    if not 0 < a < 1e4:
        return False
    h3 = max(2 * q * a, h2)
    h4 = 3 * h3 / 2
    with mpmath.workdps(mpmath.mp.dps + int(a * h4 / 2) + 10):
        l3, l4 = logs([mpmath.mpf(h3), mpmath.mpf(h4)])
    return bool(l4 < l3 and l4 - base + mpmath.log(width) < mpmath.log(mpmath.mpf(10) ** -6))


# ============================================================================================
# the plan of f (atoms and pieces) and the model of the continuous part


def gauss_mass(lo: Any, hi: Any, q: Any) -> sp.Expr:
    """P(lo < h < hi) for h ~ N(0, q), exact (erf).

    Examples
    --------
    >>> import sympy as sp
    >>> gauss_mass(-sp.oo, 0, 3)
    1/2
    """
    s = sp.sqrt(2 * q)
    return (sp.erf(sp.sympify(hi) / s) - sp.erf(sp.sympify(lo) / s)) / 2


def gauss_poly_moments(lo: Any, hi: Any, q: Any, kmax: int) -> list:
    """I_m = int_lo^hi h^m phi_q(h) dh, m = 0..kmax, exactly (integration by parts:
    I_m = (m-1) q I_{m-2} + q (lo^{m-1} phi(lo) - hi^{m-1} phi(hi))).

    Examples
    --------
    >>> import sympy as sp
    >>> gauss_poly_moments(-sp.oo, sp.oo, 2, 4)       # 1, 0, q, 0, 3 q^2
    [1, 0, 2, 0, 12]
    """
    lo, hi, q = sp.sympify(lo), sp.sympify(hi), sp.sympify(q)

    def phi(h):
        return sp.exp(-h**2 / (2 * q)) / sp.sqrt(2 * sp.pi * q)

    def bnd(h, m):  # h^m phi(h), 0 at infinity
        return sp.S.Zero if h.is_infinite else h**m * phi(h)

    out = [gauss_mass(lo, hi, q), q * (bnd(lo, 0) - bnd(hi, 0))]
    for m in range(2, kmax + 1):
        out.append(sp.expand((m - 1) * q * out[m - 2] + q * (bnd(lo, m - 1) - bnd(hi, m - 1))))
    return out[:kmax + 1]


@dataclass(frozen=True)
class Plan:
    """Atoms and non-flat pieces of f under N(0, q).

    Examples
    --------
    >>> Plan(((0, 1),), (), 0, True).wc         # f = 0: one atom, no continuous part
    0
    """

    atoms: tuple          # ((location, mass), ...)
    pieces: tuple         # ((lo_h, hi_h, expr or None), ...) -- expr None for callables
    wc: Any               # mass of the continuous part
    exact: bool           # atoms found from the symbolic structure


STEP_FUNCS = (sp.floor, sp.ceiling, sp.frac)


def _interval_pairs(e: sp.Piecewise) -> list | None:
    """``e.as_expr_set_pairs()`` up to points (which carry no Gaussian mass), fast, when every
    condition of ``e`` is built from relations linear in :data:`X` with numeric coefficients:
    the branch that holds on each interval between the breakpoints, decided at one rational
    point inside it, adjacent intervals with the same branch merged; None otherwise.

    sympy's own decomposition solves every inequality of every condition as a set: about 1 s
    for the square of the hard-tanh derivative (13 nested And/Or clauses), once per layer.

    Examples
    --------
    >>> import sympy as sp
    >>> e = sp.Piecewise((0, X < -1), (X**2, X <= 1), (1, True))
    >>> _interval_pairs(e)
    [(0, Interval(-oo, -1)), (_x**2, Interval(-1, 1)), (1, Interval(1, oo))]
    """
    cuts = set()
    for _ex, cond in e.args:
        for r in cond.atoms(sp.core.relational.Relational):
            d = sp.expand(r.lhs - r.rhs)
            if d.free_symbols != {X}:
                return None
            try:
                poly = sp.Poly(d, X)
            except sp.PolynomialError:
                return None
            if poly.degree() != 1 or not all(c.is_number and c.is_real for c in poly.all_coeffs()):
                return None
            a1, a0 = poly.all_coeffs()
            cuts.add(sp.nsimplify(-a0 / a1) if a0.is_Rational and a1.is_Rational else -a0 / a1)
    try:
        bps = sorted(cuts, key=float)
    except TypeError:
        return None
    ends = [-sp.oo, *bps, sp.oo]
    out: list = []
    for lo, hi in zip(ends[:-1], ends[1:]):
        if lo.is_finite and hi.is_finite:
            t = (lo + hi) / 2
        elif hi.is_finite:
            t = hi - 1
        elif lo.is_finite:
            t = lo + 1
        else:
            t = sp.S.Zero
        branch = None
        for ex, cond in e.args:
            v = cond.xreplace({X: t}) if cond not in (sp.true, sp.false) else cond
            if v is sp.true:
                branch = ex
                break
            if v is not sp.false:
                return None
        if branch is None:
            return None
        if out and out[-1][0] == branch:
            out[-1] = (branch, sp.Interval(out[-1][1].start, hi))
        else:
            out.append((branch, sp.Interval(lo, hi)))
    return out


def symbolic_plan(lam: sp.Lambda, q: sp.Expr) -> Plan | None:
    """Exact atoms from the Piecewise structure; None when sympy cannot decompose f.

    Examples
    --------
    >>> import sympy as sp
    >>> symbolic_plan(sp.Lambda(X, sp.Heaviside(X)), sp.S(1)).atoms     # ReLU'
    ((0, 1/2), (1, 1/2))
    >>> symbolic_plan(sp.Lambda(X, sp.floor(X)), sp.S(1)) is None
    True
    """
    e = prepare(body(lam))
    if e.has(*STEP_FUNCS):
        return None
    if e.has(sp.Piecewise) and not isinstance(e, sp.Piecewise):
        # c * Piecewise(...) (e.g. (sigma_w SELU')^2): fold into one Piecewise; the numeric
        # plan would put the end of the h < 0 piece at a float just above 0, on the other
        # branch, and give it the wrong range (float64 G of the SELU law off by 0.6)
        e = sp.piecewise_fold(e)
    if isinstance(e, sp.Piecewise):
        pairs = _interval_pairs(e)
        if pairs is None:
            try:
                pairs = e.as_expr_set_pairs()
            except Exception:  # noqa: BLE001
                return None
    elif e.has(sp.Piecewise):
        return None
    else:
        pairs = [(e, sp.Interval(-sp.oo, sp.oo))]
    atoms: dict = {}
    pieces = []
    for expr, st in pairs:
        parts = st.args if isinstance(st, sp.Union) else (st,)
        for part in parts:
            if isinstance(part, (sp.FiniteSet,)) or part is sp.S.EmptySet:
                continue
            if not isinstance(part, sp.Interval):
                return None
            lo, hi = part.start, part.end
            if expr.has(sp.Piecewise) or expr.has(sp.DiracDelta):
                return None
            if X not in expr.free_symbols:
                atoms[expr] = atoms.get(expr, sp.S.Zero) + gauss_mass(lo, hi, q)
            else:
                pieces.append((lo, hi, expr))
    pieces.sort(key=lambda p: float(p[0]) if p[0].is_finite else -math.inf)
    scale = 1.0 if q.free_symbols else math.sqrt(float(q))
    for lo, hi, expr in pieces:
        if lam.free_symbols:
            break  # symbolic parameters in f: boundedness cannot be tested numerically
        check_bounded(evaluator(expr, X, NP), float(lo), float(hi), scale, lam)
    atom_list = []
    for loc, m in atoms.items():
        m = sp.simplify(m) if m.free_symbols else m
        if m != 0:
            atom_list.append((loc, m))
    try:
        atom_list.sort(key=lambda lm: float(lm[0]))
    except TypeError:
        atom_list.sort(key=lambda lm: sp.default_sort_key(lm[0]))
    wc = sp.S.One - sp.Add(*[m for _, m in atom_list]) if pieces else sp.S.Zero
    return Plan(tuple(atom_list), tuple(pieces), wc, True)


def numeric_plan(fnp: Callable, q: float) -> Plan:
    """Heuristic atoms of a numeric f (:func:`flat_parts`).

    Examples
    --------
    >>> pl = numeric_plan(lambda h: np.clip(h, 0.0, 1.0), 1.0)   # P(h < 0), P(h > 1)
    >>> [(loc, round(float(m), 12)) for loc, m in pl.atoms]
    [(0, 0.5), (1, 0.158655253931)]
    """
    atoms, spans = flat_parts(fnp, q)
    pieces = tuple((lo, hi, None) for lo, hi in spans)
    atom_list = tuple(sorted(((sp.Integer(int(c)) if float(c).is_integer() else sp.Float(c, 17),
                               sp.Float(m, 17)) for c, m in atoms), key=lambda lm: float(lm[0])))
    wc = (sp.Float(1.0 - sum(m for _, m in atoms), 17) if pieces else sp.S.Zero)
    return Plan(atom_list, pieces, wc, False)


@functools.lru_cache(maxsize=256)
def _critical_value(e: sp.Expr, d1: sp.Expr, s: sp.Float) -> Any:
    """f = ``e`` at a closed-form candidate for its critical point near ``s`` (f' = ``d1``
    vanishes there exactly), or None. Kept per expression: the layers of an MLP share f and
    its critical points (in h), only the Gaussian variance differs. sympy's simplify is tried
    only when f' vanishes at the candidate to 40 digits: on a candidate that is not the
    critical point (SiLU's, a root of a transcendental equation, gives a 15-digit rational)
    it can run for minutes before giving up."""
    cand = sp.nsimplify(s, [sp.pi], tolerance=1e-12)
    dv = d1.xreplace({X: cand})
    if abs(sp.N(dv, 40)) < 1e-35 and sp.simplify(dv) == 0:
        return sp.simplify(e.xreplace({X: cand}))
    return None


@functools.lru_cache(maxsize=256)
def _simplified_at(e: sp.Expr, h: sp.Expr) -> sp.Expr:
    """f = ``e`` at the breakpoint ``h``, simplified (kept per expression, as above)."""
    return sp.simplify(e.xreplace({X: h}))


@functools.lru_cache(maxsize=128)
def plan(fobj: Any, q: sp.Expr) -> Plan:
    """The plan of f (a Lambda in X, or a callable) under N(0, q): exact from the Piecewise
    structure of a symbolic f, else heuristic (:func:`flat_parts`).

    Examples
    --------
    >>> import sympy as sp
    >>> p = plan(sp.Lambda(X, sp.Min(1, sp.Max(0, X))), sp.S(1))   # atoms P(h < 0), P(h > 1)
    >>> p.atoms, p.pieces == ((0, 1, X),), p.wc
    (((0, 1/2), (1, 1/2 - erf(sqrt(2)/2)/2)), True, erf(sqrt(2)/2)/2)
    """
    if isinstance(fobj, sp.Lambda):
        sp_ = symbolic_plan(fobj, q)
        if sp_ is not None:
            return sp_
        fnp = evaluator(prepare(body(fobj)), X, NP)
    else:
        fnp = callable_evaluator(fobj, NP)
    if q.free_symbols:
        raise UndeterminedError("the atoms of f(h) (numeric detection needs a numeric variance)",
                                sorted(q.free_symbols, key=str))
    return numeric_plan(fnp, float(q))


def _float_error(v: Any) -> Any:
    """The error of an edge value: 0 when exact, one unit in the last digit of a sympy Float
    (20 digits when sympy found no closed form, 15 for a callable f)."""
    if not isinstance(v, sp.Float):
        return 0
    return mpmath.mpf(10) ** (1 - mpmath.libmp.prec_to_dps(v._prec)) * abs(mpmath.mpf(v))


#: functions continuous on the whole real line (of a continuous argument)
_CONTINUOUS = (sp.exp, sp.erf, sp.erfc, sp.tanh, sp.sinh, sp.cosh, sp.sech, sp.sin, sp.cos,
               sp.atan, sp.Abs)


def continuous_on_line(expr: sp.Expr) -> bool:
    """Whether ``expr`` (in :data:`X`) is continuous on the real line by its structure: sums,
    products, non-negative integer powers and ``_CONTINUOUS`` functions of continuous
    expressions; other powers and logs only of positive (sympy decides, X real) ones. False
    when undecided.

    Examples
    --------
    >>> import sympy as sp
    >>> continuous_on_line(1 / (1 + sp.exp(-X))), continuous_on_line(sp.tanh(1 / X))
    (True, False)
    >>> continuous_on_line(sp.erf(X) * sp.exp(-X**2))
    True
    >>> continuous_on_line("exp(x)")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid expr='exp(x)': must be a sympy expression in X
    """
    xr = sp.Dummy("x", real=True)

    def ok(e) -> bool:
        if not e.has(xr):
            return bool(e.is_finite)
        if e == xr:
            return True
        if isinstance(e, (sp.Add, sp.Mul)):
            return all(ok(a) for a in e.args)
        if isinstance(e, sp.Pow):
            b, k = e.args
            if not (ok(b) and ok(k)):
                return False
            if k.is_Integer and k >= 0:
                return True
            return bool(b.is_positive) or bool(k.is_positive and not k.has(xr)
                                               and b.is_nonnegative)
        if isinstance(e, sp.log):
            return ok(e.args[0]) and bool(e.args[0].is_positive)
        if isinstance(e, _CONTINUOUS):
            return all(ok(a) for a in e.args)
        return False

    try:
        e = sp.sympify(expr, strict=True)     # never parses text
    except sp.SympifyError:
        raise InvalidParameterError("expr", expr, "must be a sympy expression in X") from None
    return ok(e.xreplace({X: xr}))


class PushforwardModel(QuadratureModel):
    """The model of the continuous part of the law of f(h), h ~ N(0, q): f a Lambda in X or a
    callable, ``name`` the law (for errors). Monotone pieces of f carry the Gaussian weight
    (float64 tails truncated where their mass is below 1e-20, mpmath ones below
    10^-(dps+10)); support and edges from the values of f at the piece ends, exact when sympy
    finds them.

    Examples
    --------
    >>> import sympy as sp
    >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "tanh(h)")
    >>> m.support(), [e.kind for e in m.edges()]
    ([Band(lo=-1, hi=1)], ['soft', 'soft'])
    """

    def __init__(self, f: Any, q: Any, name: str):
        super().__init__()
        self.f, self.q, self.name = f, q, name
        self.plan = plan(f, q)

    def _qv(self, be: Backend) -> Any:
        """The variance at ``be`` (UndeterminedError while f or q has symbols)."""
        for e in (self.q, self.f):
            if isinstance(e, sp.Basic) and e.free_symbols:
                raise UndeterminedError("numeric values of " + self.name,
                                        sorted(e.free_symbols, key=str))
        return to_backend(self.q, be)

    def _piece_exprs(self) -> list:
        """(lo_h, hi_h, expr, dexpr, d2expr) for symbolic f; expr None for callables."""

        def build():
            out = []
            for lo, hi, e in self.plan.pieces:
                if e is None:
                    out.append((lo, hi, None, None, None))
                else:
                    d1 = sp.diff(e, X)
                    out.append((lo, hi, e, d1, sp.diff(d1, X)))
            return out

        return self._memo("piece_exprs", build)

    def _maps(self, be: Backend) -> list:
        """Evaluators (X, dX, d2X, (X, X'), complex (X, X') or None) per piece."""

        def build():
            out = []
            for _lo, _hi, e, d1, d2 in self._piece_exprs():
                if e is None:
                    F = callable_evaluator(self.f, be)
                    out.append((F, finite_difference(F, be, 1), finite_difference(F, be, 2),
                                None, None))
                else:
                    out.append((evaluator(e, X, be), evaluator(d1, X, be), evaluator(d2, X, be),
                                pair_evaluator(e, d1, X, be), complex_pair(e, d1, X, be)))
            return out

        return self._memo(("maps", be.name), build)

    def _build_pieces(self, be: Backend) -> list:
        w, dw = gaussian_weight(self._qv(be), to_backend(self.plan.wc, be), be)
        if be is NP:
            spans = monotone_spans([(float(lo), float(hi)) for lo, hi, *_ in self._piece_exprs()],
                                   [m[1] for m in self._maps(NP)], float(self._qv(NP)),
                                   self._true_critical)
        else:
            exprs = self._piece_exprs()
            spans = refine_spans(self.pieces(NP), self._maps(MP),
                                 lambda i, k: to_backend(exprs[i][k], MP), self._qv(MP))
        return gaussian_pieces(spans, self._maps(be), w, dw)

    def nodes(self, h: float) -> tuple:
        """Float64 point masses (t, W): the tanh-sinh rule of step ``h`` on each monotone
        branch, kept per step. A branch on the whole line (softplus' sigmoid: both ends
        truncated tails) is cut at h = 0 first: its nodes would otherwise cluster at the
        tails, |h| ~ 9.6 sqrt(q), where there is no mass (E[s^3] of softplus' phi'^2 was 20 %
        off at step 1/8; cut, 1.6e-7).

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, 1 / (1 + sp.exp(-X))), sp.S(2), "sigmoid(h)")
        >>> t, W = m.nodes(1 / 8)                      # E[sigmoid(h)^3], h ~ N(0, 2)
        >>> ref = mpmath.quad(lambda h: mpmath.npdf(h, 0, mpmath.sqrt(2))
        ...                   / (1 + mpmath.exp(-h)) ** 3, [-mpmath.inf, 0, mpmath.inf])
        >>> bool(abs(np.sum(W * t ** 3) - ref) < 1e-7)        # uncut: 0.197 against 0.228
        True
        """
        def build():
            pieces = []
            for pc in self.pieces(NP):
                if pc.meta[1] and pc.meta[2] and pc.s0 < 0 < pc.s1:
                    pieces += [replace(pc, s1=0.0), replace(pc, s0=0.0)]
                else:
                    pieces.append(pc)
            return tanh_sinh_masses(pieces, float(h))

        return self._memo(("nodes", float(h)), build)

    def _true_critical(self, idx: int, c: float) -> bool:
        """Whether the float64 zero c of f' on piece idx is a sign change of f' (at
        c -+ 1e-6 (1 + |c|)) in mpmath, at 50, 100, ... digits until two precisions agree on
        the signs. A float64 f' can change sign by rounding alone, e.g. for
        GELU'(h) = (1 + erf(h/sqrt 2))/2 + h phi(h) near h = -8.8, where 1 + erf(h/sqrt 2)
        is below the float64 spacing at 1: a cut there dropped the Gaussian tail beyond it
        (a relative error 1e-5 in G). The same happens at any fixed precision further out
        (50 digits: h = -15.5), hence the agreement of two. A callable f cannot be checked:
        kept."""
        d1 = self._piece_exprs()[idx][3]
        if d1 is None:
            return True
        dX = self._maps(NP)[idx][1]
        dXm = self._maps(MP)[idx][1]

        def signs(dps):
            with mpmath.workdps(dps):
                dl = mpmath.mpf(1e-6) * (1 + abs(c))
                return (mpmath.sign(dXm(mpmath.mpf(c) - dl)),
                        mpmath.sign(dXm(mpmath.mpf(c) + dl)))

        fl = dX(np.array([c - 1e-6 * (1 + abs(c)), c + 1e-6 * (1 + abs(c))]))
        if fl[0] == 0 and fl[1] == 0:
            return False  # f' underflows on both sides: no evidence of a sign change
        prev, dps = signs(50), 100
        while dps <= 1600:
            cur = signs(dps)
            if cur == prev and 0 not in cur:
                return bool(cur[0] != cur[1])
            prev, dps = cur, 2 * dps
        return False  # f' below every precision tried: f is flat there, no cut needed

    def _contour(self) -> ShiftedContour | None:
        """The shifted-contour model of G (:mod:`freealg.numeric.contourshift`) when f is one
        symbolic piece on the whole line, entire or meromorphic; else None."""

        def build():
            pieces = self.plan.pieces
            if len(pieces) != 1 or pieces[0][2] is None:
                return None
            lo, hi, e = pieces[0]
            if lo != -sp.oo or hi != sp.oo:
                return None
            try:
                q, wc = float(self._qv(NP)), float(to_backend(self.plan.wc, NP))
            except (UndeterminedError, TypeError):
                return None
            spans = []
            for pc in self.pieces(NP):
                _idx, tr0, tr1, _c0, _c1, s0, s1 = pc.meta
                spans.append((-math.inf if tr0 else s0, math.inf if tr1 else s1))
            m = ShiftedContour(e, X, q, spans, wc)
            return m if m.usable else None

        return self._memo("contour", build)

    def far_moments(self, x0: Any, K: int) -> tuple:
        """:meth:`QuadratureModel.far_moments` with a branch that covers [-sqrt(q), sqrt(q)]
        cut at s = 0 (s is the pre-activation h ~ N(0, q)): a deep layer's monotone branch
        (softplus: one on the whole line) spans [-9.6 sqrt(q), 9.6 sqrt(q)] with its mass in
        the middle fifth, where the tanh-sinh nodes (clustered at the ends) are sparsest:
        4 times fewer levels' work at depth 10. ``x0`` may be a list of points (one pass).

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)**2), sp.S(4), "tanh(h)^2")
        >>> with mpmath.workdps(20):      # c_0 = G(2) = E[1/(2 - tanh(h)^2)], in (1/2, 1)
        ...     c, _ = m.far_moments(mpmath.mpf(2), 1)
        ...     bool(mpmath.mpf(1) / 2 < c[0] < 1)
        True
        """
        with mpmath.workprec(mpmath.mp.prec + 20):   # the pieces at the engine's precision
            pieces = self.pieces(MP)
            sq = mpmath.sqrt(self._qv(MP))
        split = []
        for pc in pieces:
            if not pc.ident and pc.s0 < -sq and pc.s1 > sq:
                split += [replace(pc, s1=mpmath.mpf(0), tab=None),
                          replace(pc, s0=mpmath.mpf(0), tab=None)]
            else:
                split.append(pc)
        return far_moments(split, x0, K)

    def _gdg_np(self, z: Any, want_d: bool) -> tuple:
        """(G(z), G'(z) or None) in float64 where the point masses are not certified: by the
        shifted contours where they apply (the points they cannot certify to 1e-13 by the
        quadrature of the base class).

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "law of tanh(h)")
        >>> G, _ = m.gdg(np.array([0.5 + 0j]), NP, False)    # Im G(x + i0) = -pi rho(x)
        >>> rho = np.exp(-np.arctanh(0.5)**2 / 2) / np.sqrt(2 * np.pi) / (1 - 0.5**2)
        >>> bool(abs(G[0].imag + np.pi * rho) < 1e-14)
        True
        """
        fast = self._contour()
        if fast is None:
            return super()._gdg_np(z, want_d)
        z = np.asarray(z, dtype=complex)
        flat = z.ravel()
        G, dG, _err, ok = fast.gdg(flat, want_d)
        if not ok.all():
            k = np.nonzero(~ok)[0]
            g, dg = super()._gdg_np(flat[k], want_d)
            G[k] = g
            if want_d:
                dG[k] = dg
        return G.reshape(z.shape), (dG.reshape(z.shape) if want_d else None)

    def density(self, x: Any, be: Backend) -> Any:
        """The density at x: sum over the pieces of phi_q(s)/|f'(s)|/w_c at f(s) = x.

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "law of tanh(h)")
        >>> d = m.density(np.array([0.0]), NP)[0]       # phi(0)/tanh'(0) = 1/sqrt(2 pi)
        >>> bool(abs(d - 1 / np.sqrt(2 * np.pi)) < 1e-14)
        True
        """
        return pieces_density(self.pieces(be), x, be)

    def moment(self, k: int) -> Any:
        """m_k: exact when every piece of a symbolic f is a polynomial (Gaussian moments on
        intervals), else 40-digit quadrature as a 30-digit sympy Float.

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.Min(1, sp.Max(-1, X))), sp.S(1), "law")
        >>> m.moment(2)          # E[h^2 ; |h| < 1]/P(|h| < 1), integration by parts
        -sqrt(2)*exp(-1/2)/(sqrt(pi)*erf(sqrt(2)/2)) + 1
        """

        def compute():
            pl, q = self.plan, self.q
            if pl.exact and all(e.is_polynomial(X) for _, _, e in pl.pieces):
                total = sp.S.Zero
                for lo, hi, e in pl.pieces:
                    poly = sp.Poly(sp.expand(e**k), X)
                    gm = gauss_poly_moments(lo, hi, q, poly.degree())
                    total += sum(cf * gm[m[0]] for m, cf in poly.terms())
                return sp.simplify(total / pl.wc)
            self._qv(MP)
            with mpmath.workdps(40):

                def end(v, inf):
                    return inf if not sp.sympify(v).is_finite else to_backend(v, MP)

                tot = gaussian_expectation(
                    [lambda s, F=m[0]: F(s) ** k for m in self._maps(MP)],
                    [(end(lo, -mpmath.inf), end(hi, mpmath.inf)) for lo, hi, *_ in
                     self._piece_exprs()], to_backend(q, MP))
                tot /= to_backend(pl.wc, MP)
            return to_sympy_number(tot)

        return self._memo(("moment", k), compute)

    def hull_float(self) -> tuple[float, float]:
        """The range of f over the pieces (tails truncated in float64).

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "law of tanh(h)")
        >>> lo, hi = m.hull_float()
        >>> bool(-1 < lo < -1 + 1e-7), bool(1 - 1e-7 < hi < 1)    # tanh(+-9.4)
        (True, True)
        """
        ps = self.pieces(NP)
        return min(float(p.lo) for p in ps), max(float(p.hi) for p in ps)

    def _exact_value(self, idx: int, s: float, tr: bool, crit: bool, end: int) -> Any:
        """The value of f at a piece end: exact when sympy finds it, else a 20-digit Float."""
        lo_h, hi_h, e, d1, _ = self._piece_exprs()[idx]
        if e is None:
            return sp.Float(float(self._maps(NP)[idx][0](np.array([s]))[0]), 15)
        hsym = lo_h if end == 0 else hi_h
        try:
            if tr:
                # the limit at +-oo; sympy's automatic evaluation at oo is instant where
                # sp.limit can take seconds; anything it cannot decide becomes a Float
                v = e.subs(X, hsym)
                if v.has(sp.AccumBounds, sp.nan, sp.zoo):
                    v = None
            elif crit:
                v = _critical_value(e, d1, sp.Float(s, 15))
            else:
                v = _simplified_at(e, hsym)
            if v is not None and v.is_number and v.is_finite and v.is_real:
                return v
        except Exception:  # noqa: BLE001 - sympy limits can fail in many ways
            pass
        with mpmath.workdps(30):
            if crit:
                maps = self._maps(MP)[idx]
                sv = polish_critical(maps[1], maps[2], s)
            else:
                sv = mpmath.mpf(s)
            return to_sympy_number(evaluator(e, X, MP)(sv), 20)

    def _tail_vanishes(self, idx: int, s: float, width: float) -> bool:
        """Whether the density vanishes along the Gaussian tail of piece idx (60 digits)."""
        with mpmath.workdps(60):
            return tail_vanishes(self._qv(MP), to_backend(self.plan.wc, MP),
                                 self._maps(MP)[idx][1], s, width)

    def _bands_and_edges(self) -> tuple[list, list, bool]:
        """The bands (overlapping piece ranges merged) and their edges: hard at a critical
        value of f or a finite end of its domain, or where the tail density does not vanish;
        and whether a merge relied on the merging tolerance (ranges 1e-12 apart)."""

        def build():
            segs, ends = [], []
            for pc in self.pieces(NP):
                idx, tr0, tr1, cr0, cr1, s0, s1 = pc.meta
                e0 = (self._exact_value(idx, s0, tr0, cr0, 0), tr0, cr0, s0)
                e1 = (self._exact_value(idx, s1, tr1, cr1, 1), tr1, cr1, s1)
                ends.append((pc, e0, e1))
                a, b = (e0, e1) if pc.sgn > 0 else (e1, e0)
                segs.append((float(pc.lo), float(pc.hi), a[0], b[0]))
            segs.sort(key=lambda t: t[0])
            bands: list = []
            loose = False        # a merge that only the tolerance made (bands_proven)
            for lo, hi, a, b in segs:
                if bands and lo <= bands[-1][1] + 1e-12 * (1 + abs(lo)):
                    loose |= lo > bands[-1][1]
                    if hi > bands[-1][1]:
                        bands[-1][1], bands[-1][3] = hi, b
                else:
                    bands.append([lo, hi, a, b])
            out_b, out_e = [], []
            for lo, hi, a, b in bands:
                out_b.append(Band(a, b))
                for loc, exact, side in ((lo, a, "left"), (hi, b, "right")):
                    hard = False
                    for pc, *es in ends:
                        for _val, tr, crit, s in es:
                            xv = float(pc.X(np.array([s]))[0])
                            if abs(xv - loc) > 1e-12 * (1 + abs(loc)):
                                continue
                            if crit or not tr:
                                hard = True
                            else:
                                hard |= not self._tail_vanishes(pc.meta[0], s, hi - lo)
                    out_e.append(Edge(exact, "hard" if hard else "soft", _float_error(exact),
                                      side))
            return out_b, out_e, loose

        return self._memo("bands_edges", build)

    def bands_proven(self) -> bool:
        """Whether the bands are the support by theorem, so that no mass audit is needed: the
        image of an interval under a continuous f is an interval, and the support of the law
        of f(h) on it is the closure of that image (every open set around a value taken
        contains the image of an interval of positive Gaussian mass). So the bands are the
        ranges of the pieces (merged where they meet) when every piece of a symbolic f is
        continuous on its interval (:func:`continuous_on_line`) and its monotone spans are
        right. The spans are checked on a grid of 4097 points each: f stays in the span's
        range (and is monotone) to 1e-12 of the range. A near-atom defeats the audit: the
        depth-10 GELU Jacobian's layer laws (2 GELU'(h))^2 (variance up to 2e3) carry half
        their mass within 1e-80 of 0 and of 4, inside the band [0, 5.1], which no float64
        contour resolves (the audit reported 55-88% of the mass missing).

        Examples
        --------
        >>> import sympy as sp
        >>> PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "tanh(h)").bands_proven()
        True
        >>> PushforwardModel(np.tanh, sp.S(1), "tanh(h)").bands_proven()   # a callable
        False
        """

        def build():
            if not self.plan.exact:
                return False
            if not all(e is not None and continuous_on_line(e) for _lo, _hi, e, *_ in
                       self._piece_exprs()):
                return False
            with np.errstate(all="ignore"):
                for pc in self.pieces(NP):
                    s0, s1 = pc.meta[5], pc.meta[6]
                    v = pc.X(np.linspace(s0, s1, 4097))
                    tol = 1e-12 * (1 + abs(pc.hi - pc.lo))
                    if not (np.all(np.isfinite(v)) and np.all(v >= pc.lo - tol)
                            and np.all(v <= pc.hi + tol)
                            and np.all(pc.sgn * np.diff(v) >= -tol)):
                        return False
            # pieces whose ranges only come within the merging tolerance of each other may
            # have a true gap between them: not proven
            return not self._bands_and_edges()[2]

        return bool(self._memo("bands_proven", build))

    def support(self) -> list:
        """The bands, with exact ends where sympy finds them.

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "law of tanh(h)")
        >>> m.support()
        [Band(lo=-1, hi=1)]
        """
        return self._bands_and_edges()[0]

    def edges(self) -> list:
        """The band edges and their kinds.

        Examples
        --------
        >>> import sympy as sp
        >>> m = PushforwardModel(sp.Lambda(X, sp.tanh(X)), sp.S(1), "law of tanh(h)")
        >>> [(e.location, e.kind) for e in m.edges()]       # the density vanishes at +-1
        [(-1, 'soft'), (1, 'soft')]
        """
        return self._bands_and_edges()[1]
