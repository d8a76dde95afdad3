"""Absolutely continuous laws: a law from its density, and Gaussian push-forwards.

* :func:`from_density` -- the law on [a, b] with a given density (sympy expression, sympy
  ``Lambda`` or Python callable);
* :func:`gaussian_pushforward` -- the law of f(h) for h ~ N(0, q). This is how activation
  derivatives enter deep-learning spectra (Pennington-Schoenholz-Ganguli 2017, MATH.md §8): the
  diagonal D = diag(phi'(h)) has the law of phi'(h). Atoms (f constant on a set of positive
  Gaussian measure) are found exactly from the Piecewise/Heaviside/Min/Max structure of a
  symbolic f, heuristically for a callable; the rest is a density.

Numerics (both laws). The density is a sum over *pieces*: either the density p(t) itself on an
interval (``from_density``; the support is cut at breakpoints), or a monotone branch x = X(s) of
f carried by the Gaussian weight w(s) = phi_q(s)/w_c (``gaussian_pushforward``), so that no root
finding is needed at the quadrature nodes and the inverse-square-root edges of the push-forward
(critical values of f) are integrated in the smooth variable s. The Cauchy transform uses
singularity subtraction::

    G(z) = sum_pieces  int (w(s) - c0 |X'(s)|) / (z - X(s)) ds + c0 (log(z - lo) - log(z - hi)),

with x0 = Re z clipped into the piece's range [lo, hi], s* = X^{-1}(x0) and c0 = the piece's
density at x0 (0 where it is infinite). Principal logs give the boundary value PV - i pi rho(x)
on the real axis. The integral is split at s*; each half is integrated by tanh-sinh quadrature
(Takahasi-Mori 1974) after the graded map d = y_e (e^v - 1) of the distance d to s*, where y_e
is the distance of the near-pole of 1/(z - X(s)) (``|z - x0|/|X'(s*)|``, or the quadratic estimate
next to a critical point) or of an edge across s*; two well separated scales get two graded
segments. Distances to s* and, for a density, to the support ends are formed without
cancellation, and a sympy density is evaluated near a and b as pdf(a + d), pdf(b - d) with the
vanishing factors expanded: sqrt and inverse-sqrt edges keep the working precision.

The mpmath path halves the tanh-sinh step until a level changes the sum by less than the square
root of the target accuracy (the next level would square that error: the convergence is doubly
exponential); the target leaves 30 bits of the caller's guard digits. The numpy path uses fixed
rules vectorised over z (h = 1/16, u in [-3.9, 3.9] for densities; h = 1/40, u in [-3.2, 3.2]
for push-forward branches), about 1e-15 relative except within 1e-9 of a critical value, where
z - X(s) cancels in float64. The derivative G'(z) uses a second-order subtraction
(c0 + c1 (x - x0)) in the same pass; it only feeds Newton Jacobians (about 1e-6 relative in
float64 near edges, better elsewhere).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import MP, NP
from .base import Atom, Band, Edge, Law, check, numeric_value
from .catalog import Bernoulli, Dirac, Discrete

__all__ = ["FromDensity", "GaussianPushforward", "from_density", "gaussian_pushforward"]

# The canonical variable of stored sympy functions: a Dummy with a fixed index, so that two
# laws built from the same expression in different symbols are equal, hash equally and pickle
# (the index travels with the pickle).
_X = sp.Dummy("x", dummy_index=7_432_019_311, real=True)
_XP = sp.Symbol("x")          # for printing only
_D = sp.Dummy("d", dummy_index=7_432_019_312, nonnegative=True)

_NP_H = 1.0 / 16              # numpy tanh-sinh step
_NP_UMAX = 3.9                # numpy tanh-sinh range: nodes reach 1e-33 of an interval's end
_MP_JMIN, _MP_JMAX = 3, 10    # mpmath tanh-sinh levels (h = 2^-j)


# ============================================================================================
# canonical functions and numeric evaluators


def _canonical_function(f: Any, what: str) -> tuple[str, Any]:
    """Return ('sympy', Lambda(_X, expr)) or ('callable', f); strings are refused."""
    if isinstance(f, (str, bytes)):
        raise InvalidParameterError(what, f, "strings are never evaluated; pass a sympy "
                                             "expression, a sympy Lambda or a Python callable")
    if isinstance(f, sp.Lambda):
        if len(f.variables) != 1:
            raise InvalidParameterError(what, f, "the Lambda must take exactly one variable")
        expr = f.expr.xreplace({f.variables[0]: _X})
    elif isinstance(f, sp.FunctionClass):
        expr = f(_X)
    elif isinstance(f, (sp.Basic, int, float)) and not isinstance(f, bool):
        expr = sp.sympify(f)
        if not isinstance(expr, sp.Expr):
            raise InvalidParameterError(what, f, "must be a sympy expression in one symbol")
        syms = expr.free_symbols
        if len(syms) > 1:
            raise InvalidParameterError(what, f, "the expression has several symbols "
                                                 f"{sorted(map(str, syms))}; pass a sympy "
                                                 "Lambda to say which one is the variable")
        if syms:
            expr = expr.xreplace({syms.pop(): _X})
    elif callable(f):
        try:
            hash(f)
        except TypeError:
            raise InvalidParameterError(what, f, "a callable must be hashable (laws are "
                                                 "hashable value objects)") from None
        return "callable", f
    else:
        raise InvalidParameterError(what, f, "must be a sympy expression, a sympy Lambda or a "
                                             "Python callable")
    if expr.has(sp.I):
        raise InvalidParameterError(what, f, "must be real-valued")
    return "sympy", sp.Lambda(_X, expr)


def _body(lam: sp.Lambda) -> sp.Expr:
    """The body of a one-variable Lambda in the canonical variable (sympy may substitute its
    own Dummy, e.g. Lambda(x, x) is the IdentityFunction singleton)."""
    v = lam.variables[0]
    return lam.expr if v == _X else lam.expr.xreplace({v: _X})


def _prepare(expr: sp.Expr) -> sp.Expr:
    """Rewrite step-like functions as Piecewise (for lambdify, diff and piece detection)."""
    types = (sp.Heaviside, sp.Min, sp.Max, sp.Abs, sp.sign)
    if expr.has(*types):
        expr = expr.replace(lambda e: isinstance(e, types), lambda e: e.rewrite(sp.Piecewise))
        expr = sp.piecewise_fold(expr)
    return expr


_LAM = sp.Symbol("x_freealg_arg")


def _lambdify(expr: Any, modules: Any, cse: bool = False) -> Callable:
    """lambdify in the canonical variable (through a plain Symbol: lambdify mishandles a bare
    Dummy expression)."""
    return sp.lambdify(_LAM, sp.sympify(expr).xreplace({_X: _LAM}) if not isinstance(expr, tuple)
                       else tuple(e.xreplace({_X: _LAM}) for e in expr), modules=modules, cse=cse)


def _np_from_expr(expr: sp.Expr) -> Callable:
    """float64 evaluator (callers hold ``np.errstate``)."""
    fn = _lambdify(expr, ["numpy", "scipy"])

    def f(t):
        t = np.asarray(t, dtype=float)
        v = np.asarray(fn(t))
        if v.dtype.kind == "c":
            v = np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
        if v.shape != t.shape:
            v = np.broadcast_to(v, t.shape)
        return v if v.dtype.kind == "f" else v.astype(float)

    return f


def _mp_from_expr(expr: sp.Expr) -> Callable:
    fn = _lambdify(expr, "mpmath")

    def f(t):
        try:
            v = fn(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            return mpmath.nan
        if isinstance(v, mpmath.mpc):
            if abs(v.imag) > mpmath.eps * 1e3 * (1 + abs(v.real)):
                return mpmath.nan
            v = v.real
        return mpmath.mpf(v)

    return f


def _np_pair_from_exprs(e: sp.Expr, d: sp.Expr) -> Callable:
    """(e, d) evaluated together in float64, common subexpressions once."""
    fn = _lambdify((e, d), ["numpy", "scipy"], cse=True)
    fe, fd = _np_from_expr(e), _np_from_expr(d)

    def f(t):
        t = np.asarray(t, dtype=float)
        a, b = fn(t)
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype.kind == "c" or b.dtype.kind == "c":
            return fe(t), fd(t)
        return np.broadcast_to(a, t.shape).astype(float), np.broadcast_to(b, t.shape).astype(float)

    return f


def _mp_pair_from_exprs(e: sp.Expr, d: sp.Expr) -> Callable:
    """(e, d) evaluated together in mpmath, common subexpressions once."""
    fn = _lambdify((e, d), "mpmath", cse=True)
    fe, fd = _mp_from_expr(e), _mp_from_expr(d)

    def f(t):
        try:
            a, b = fn(t)
        except (ZeroDivisionError, ValueError, OverflowError):
            return fe(t), fd(t)
        if isinstance(a, mpmath.mpc) or isinstance(b, mpmath.mpc):
            return fe(t), fd(t)
        return mpmath.mpf(a), mpmath.mpf(b)

    return f


def _complex_pair(e: sp.Expr, d: sp.Expr, modules: Any) -> Callable:
    """(e, d) at complex arguments (raw lambdify; callers check finiteness)."""
    return _lambdify((e, d), modules, cse=True)


def _np_from_callable(fn: Callable) -> Callable:
    def f(t):
        t = np.asarray(t, dtype=float)
        try:
            with np.errstate(all="ignore"):
                v = np.asarray(fn(t), dtype=float)
            if v.shape == t.shape:
                return v
            if v.shape == ():
                return np.full(t.shape, float(v))
        except (TypeError, ValueError, AttributeError):
            pass
        flat = [float(fn(float(s))) for s in t.ravel()]
        return np.asarray(flat, dtype=float).reshape(t.shape)

    return f


def _mp_from_callable(fn: Callable) -> Callable:
    """mpmath evaluation; callables that only take floats are used in double precision."""

    def f(t):
        try:
            try:
                v = fn(t)
            except (ZeroDivisionError, OverflowError):
                raise
            except Exception:  # noqa: BLE001 - numpy-only callables reject mpf
                v = fn(float(t))
        except (ZeroDivisionError, OverflowError, ValueError):
            return mpmath.nan
        if isinstance(v, np.ndarray):
            v = v.item()
        if isinstance(v, (np.floating, np.integer)):
            v = float(v)
        if isinstance(v, (complex, mpmath.mpc)):
            return mpmath.nan
        return mpmath.mpf(v)

    return f


def _edge_local(expr: sp.Expr, end: sp.Expr, sign: int) -> sp.Expr:
    """expr(end + sign*d) with the sums that vanish at d = 0 expanded, so that factors such as
    (x - a) or (4 - x**2) are evaluated without cancellation near the end."""
    e = expr.xreplace({_X: end + sign * _D})

    def vanishing(a):
        if not (a.is_Add and a.has(_D)):
            return False
        try:
            return sp.expand(a.xreplace({_D: 0})) == 0
        except Exception:  # noqa: BLE001
            return False

    try:
        return e.replace(vanishing, lambda a: sp.expand(a))
    except Exception:  # noqa: BLE001
        return e


def _to_sympy_number(v: Any, dps: int = 30) -> sp.Expr:
    with mpmath.workdps(dps + 5):
        return sp.Float(mpmath.mpf(v), dps)


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
# tanh-sinh rules


@functools.lru_cache(maxsize=8)
def _ts_np(h: float = _NP_H, umax: float = _NP_UMAX):
    """Nodes on [0, 1]: sigma (distance from 0), tau = 1 - sigma, weights omega (incl. h)."""
    n = int(math.ceil(umax / h))
    u = h * np.arange(-n, n + 1)
    e = np.pi * np.sinh(u)
    sig = 1.0 / (1.0 + np.exp(-e))
    tau = 1.0 / (1.0 + np.exp(e))
    om = h * np.pi * np.cosh(u) * sig * tau
    return sig, tau, om


_MP_NODES: dict = {}


def _ts_mp_level(j: int) -> list:
    """New nodes of level j (h = 2^-j) at the current precision: list of (sigma, tau, weight/h)."""
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
        out = []
        for k in range(-n, n + 1):
            if j > 0 and k % 2 == 0:
                continue
            u = k * h
            e = mpmath.pi * mpmath.sinh(u)
            sig = 1 / (1 + mpmath.exp(-e))
            tau = 1 / (1 + mpmath.exp(e))
            out.append((sig, tau, mpmath.pi * mpmath.cosh(u) * sig * tau))
    if len(_MP_NODES) > 200:
        _MP_NODES.clear()
    _MP_NODES[key] = out
    return out


def _ts_mp_sum(F: Callable, ncomp: int, rel: Any) -> tuple[list, Any]:
    """Adaptive tanh-sinh sum of F(sigma, tau) (a list of ``ncomp`` values) over [0, 1].

    Stops when successive levels of the first component agree to ``rel`` times the L1 size of
    the sum (the error of the last level is then about rel^2: the convergence is
    doubly exponential). Returns (sums, error estimate of the first component).
    """
    S = None
    L1 = mpmath.mpf(0)
    err = mpmath.inf
    for j in range(_MP_JMAX + 1):
        h = mpmath.ldexp(1, -j)
        acc = [mpmath.mpf(0)] * ncomp
        a1 = mpmath.mpf(0)
        for sg, ta, wf in _ts_mp_level(j):
            vals = F(sg, ta)
            for i in range(ncomp):
                acc[i] += vals[i] * wf
            a1 += abs(vals[0]) * wf
        if S is None:
            S = [h * a for a in acc]
            L1 = h * a1
            continue
        new = [s / 2 + h * a for s, a in zip(S, acc)]
        L1 = L1 / 2 + h * a1
        err = abs(new[0] - S[0])
        S = new
        if j >= _MP_JMIN and err <= rel * (L1 + mpmath.mpf(10) ** (-mpmath.mp.dps * 2)):
            break
    return S, err


# ============================================================================================
# pieces: one monotone branch of the density


@dataclass
class _Piece:
    """Numeric data of one piece for one back end/precision (internal, mutable on purpose)."""

    s0: Any
    s1: Any
    lo: Any
    hi: Any
    ident: bool
    w: Callable                    # weight in s (density for ident pieces)
    dw: Callable | None = None     # its derivative
    X: Callable | None = None      # the map (None: identity)
    dX: Callable | None = None
    d2X: Callable | None = None
    sgn: int = 1
    A: Any = None                  # support ends for the edge-local evaluators (ident only)
    B: Any = None
    wL: Callable | None = None     # w(A + d)
    wR: Callable | None = None     # w(B - d)
    meta: tuple = ()               # push-forward: (piece index, truncated0, truncated1,
    #                                 critical0, critical1, s0 float, s1 float)
    XdX: Callable | None = None    # (X, X') together (common subexpressions once)
    XdXc: Callable | None = None   # the same for complex s (symbolic f only), for poles
    crit_lo: bool = False          # the density is infinite at lo / hi (critical value of X)
    crit_hi: bool = False
    trunc_lo: bool = False         # lo / hi is the image of a truncated Gaussian tail
    trunc_hi: bool = False
    tab: Any = None                # (x increasing, s) table for inverting X

    def __post_init__(self):
        if not self.ident and self.XdX is None:
            X, dX = self.X, self.dX
            self.XdX = lambda s: (X(s), dX(s))
        if not self.ident and self.meta:
            tr0, tr1, cr0, cr1 = self.meta[1:5]
            self.crit_lo, self.crit_hi = (cr0, cr1) if self.sgn > 0 else (cr1, cr0)
            self.trunc_lo, self.trunc_hi = (tr0, tr1) if self.sgn > 0 else (tr1, tr0)

    @property
    def nosub_lo(self) -> bool:
        """No subtraction when x0 is clipped to lo: the density is infinite there (critical
        value) or may be huge (the truncation point of a tail, e.g. erf(h) near 1)."""
        return self.crit_lo or self.trunc_lo

    @property
    def nosub_hi(self) -> bool:
        return self.crit_hi or self.trunc_hi


def _rho_ident_np(pc: _Piece, x):
    da = x - pc.A
    db = pc.B - x
    return np.where(da <= db, pc.wL(np.maximum(da, 0.0)), pc.wR(np.maximum(db, 0.0)))


def _rho_ident_mp(pc: _Piece, x):
    da = x - pc.A
    db = pc.B - x
    return pc.wL(max(da, 0)) if da <= db else pc.wR(max(db, 0))


def _table_np(pc: _Piece, n: int = 257):
    """Inversion table of a monotone piece: nodes clustered at both ends (critical points)."""
    if pc.tab is None:
        t = 0.5 * (1 - np.cos(np.pi * np.arange(n) / (n - 1)))
        sg = pc.s0 + (pc.s1 - pc.s0) * t
        xg = pc.X(sg)
        if pc.sgn < 0:
            xg, sg = xg[::-1], sg[::-1]
        pc.tab = (np.maximum.accumulate(xg), sg)
    return pc.tab


def _inv_np(pc: _Piece, x0):
    """Vectorised inverse of X on the monotone piece: the bracket from a table, then Newton
    safeguarded by bisection, to machine precision."""
    x0 = np.asarray(x0, dtype=float)
    tx, ts = _table_np(pc)
    k = np.clip(np.searchsorted(tx, x0), 1, len(tx) - 1)
    sa, sb = ts[k - 1], ts[k]
    xa, xb = tx[k - 1], tx[k]
    lo_s, hi_s = np.minimum(sa, sb), np.maximum(sa, sb)
    with np.errstate(all="ignore"):
        t = np.where(xb > xa, (x0 - xa) / (xb - xa), 0.5)
        s = sa + np.clip(t, 0, 1) * (sb - sa)
        # at or beyond the ends the root is the end itself (possibly a critical point)
        end = (x0 <= tx[0]) | (x0 >= tx[-1])
        s = np.where(x0 <= tx[0], ts[0], np.where(x0 >= tx[-1], ts[-1], s))
        lo_s = np.where(end, s, lo_s)
        hi_s = np.where(end, s, hi_s)
        for _ in range(60):
            g = pc.sgn * (pc.X(s) - x0)
            hi_s = np.where(g > 0, s, hi_s)
            lo_s = np.where(g <= 0, s, lo_s)
            step = g / (pc.sgn * pc.dX(s))
            s_new = s - step
            bad = ~np.isfinite(s_new) | (s_new <= lo_s) | (s_new >= hi_s)
            s_new = np.where(bad, 0.5 * (lo_s + hi_s), s_new)
            s_new = np.where(end, s, s_new)
            tol = 4e-16 * (1 + np.abs(s))
            done = (np.abs(s_new - s) <= tol) | (hi_s - lo_s <= tol)
            s = s_new
            if np.all(done):
                break
    return s


def _inv_mp(pc: _Piece, x0):
    """Inverse of X on the monotone piece (mpmath): a bracket from a table, then safeguarded
    Newton to the working precision."""
    if x0 <= pc.lo:
        return pc.s0 if (pc.sgn > 0) else pc.s1
    if x0 >= pc.hi:
        return pc.s1 if (pc.sgn > 0) else pc.s0
    if pc.tab is None:
        n = 65
        sg = [pc.s0 + (pc.s1 - pc.s0) * (1 - mpmath.cos(mpmath.pi * i / (n - 1))) / 2
              for i in range(n)]
        pc.tab = ([pc.X(v) for v in sg], sg)
    xs, ss = pc.tab
    # bisect the table (x increasing along s when sgn > 0)
    i, j = 0, len(ss) - 1
    while j - i > 1:
        m = (i + j) // 2
        if (xs[m] < x0) == (pc.sgn > 0):
            i = m
        else:
            j = m
    a, b = ss[i], ss[j]
    s = (a + b) / 2
    tol = mpmath.ldexp(1, -mpmath.mp.prec + 4) * (1 + abs(s))
    for _ in range(200):
        fs = pc.X(s) - x0
        if fs == 0:
            return s
        if (fs > 0) == (pc.sgn > 0):
            b = s
        else:
            a = s
        d = pc.dX(s)
        step = fs / d if d != 0 else mpmath.inf
        s_new = s - step
        if not (a < s_new < b):
            s_new = (a + b) / 2
            step = s - s_new
        s = s_new
        if abs(step) <= tol or b - a <= tol:
            break
    return s


def _pole_np(pc: _Piece, z, x0, dz):
    """Complex Newton for X(s) = z, started at X^{-1}(x0 moved into the range by |z - x0|).
    Returns (s_p, ok); ok where it converged to within 1e-3 |z - x0| (a grading scale needs
    no more)."""
    inward = np.where(x0 >= pc.hi, -1.0, np.where(x0 <= pc.lo, 1.0, 0.0))
    xm = np.clip(x0 + inward * np.minimum(dz, 0.5 * (pc.hi - pc.lo)), pc.lo, pc.hi)
    # start off the axis on the side of the pole (X(s + i e) ~ X(s) + i e X'(s)): Newton on a
    # real function stays real from a real start
    side = pc.sgn * np.where(z.imag < 0, -1.0, 1.0)
    s = _inv_np(pc, xm) + 0.25j * side * min(1.0, pc.s1 - pc.s0)
    with np.errstate(all="ignore"):
        for _ in range(40):
            Xs, d = pc.XdXc(s)
            step = (Xs - z) / d
            big = np.abs(step) > 0.5          # damped: X can grow fast off the axis
            step = np.where(big, 0.5 * step / np.abs(step), step)
            s = np.where(np.isfinite(step), s - step, s)
        Xs, _ = pc.XdXc(s)
        ok = np.isfinite(s) & (np.abs(Xs - z) <= 1e-3 * dz) & \
            (np.abs(s.imag) < pc.s1 - pc.s0)
    return s, ok


def _pole_mp(pc: _Piece, z, x0, dz):
    """mpmath version of :func:`_pole_np` (scalar); None when Newton does not converge."""
    inward = -1 if x0 >= pc.hi else (1 if x0 <= pc.lo else 0)
    xm = min(max(x0 + inward * min(dz, (pc.hi - pc.lo) / 2), pc.lo), pc.hi)
    side = pc.sgn * (-1 if z.imag < 0 else 1)
    s = mpmath.mpc(_inv_mp(pc, xm), side * min(1, pc.s1 - pc.s0) / 4)
    try:
        for _ in range(60):
            Xs, d = pc.XdXc(s)
            step = (Xs - z) / d
            if abs(step) > 0.5:
                step = step / abs(step) / 2
            s -= step
            if abs(step) < mpmath.mpf(10) ** -8 * (1 + abs(s)):
                break
        Xs, _ = pc.XdXc(s)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    if not (mpmath.isfinite(s.real) and mpmath.isfinite(s.imag)):
        return None
    if abs(Xs - z) > dz / 1000 or abs(s.imag) >= pc.s1 - pc.s0:
        return None
    return s


def _segment_plan(W, other, ys):
    """Graded segments of one half [0, W] (distance from s*): a list of (d0, d1, scale).

    The features of the integrand near s* sit at the near-pole distance ``ys`` and at the
    distance ``other`` of the piece's other end (an edge singularity across s*). One graded
    segment resolves one scale; two well separated scales get two segments.
    """
    sc = sorted(v for v in (ys, other if other > W * 1e-13 else 0) if 0 < v < W)
    if len(sc) == 2 and sc[1] < W / 2 and sc[0] < sc[1] / 8:
        return [(0, sc[1], sc[0]), (sc[1], W, sc[1])]
    return [(0, W, sc[0] if sc else W)]


def _graded_np(W, d0, d1, ye, sig, tau, om):
    """Graded tanh-sinh nodes on [d0, d1] within a half [0, W] (rows x nodes): the map
    d = d0 + ye (e^v - 1), v in [0, log(1 + (d1 - d0)/ye)], spreads a feature at distance ~ye
    from d0 over O(1) in v. Returns (distance to s*, distance to the half's far end, weight)."""
    with np.errstate(all="ignore"):
        Wd = d1 - d0
        ye = np.where(ye > 0, ye, 1.0)
        V = np.log1p(Wd / ye)
        g = ye * np.expm1(V * sig)
        dn = d0 + g
        df = (W - d1) + (Wd + ye) * -np.expm1(-V * tau)
        wt = V * om * (g + ye)
    return dn, df, wt


def _piece_gdg_np(pc: _Piece, z, want_d: bool):
    """Cauchy transform of one piece and its derivative on an array z (shape (m,))."""
    # map pieces: the Gaussian weight is smooth at the ends, but X can squeeze many x-scales
    # into a short s-range (exponential tails): a finer, shorter rule
    sig, tau, om = _ts_np() if pc.ident else _ts_np(1.0 / 40, 3.2)
    xr, y = z.real, z.imag
    x0 = np.clip(xr, pc.lo, pc.hi)
    inside = (x0 > pc.lo) & (x0 < pc.hi)
    G = np.zeros(z.shape, dtype=complex)
    I2 = np.zeros(z.shape, dtype=complex)
    with np.errstate(all="ignore"):
        sstar = x0 if pc.ident else _inv_np(pc, x0)
        wl = np.maximum(sstar - pc.s0, 0.0)
        wr = np.maximum(pc.s1 - sstar, 0.0)
        if pc.ident:
            dxs = np.ones_like(x0)
            c0 = _rho_ident_np(pc, x0)
            c1 = pc.dw(x0) if want_d else np.zeros_like(x0)
        else:
            dxs = pc.dX(sstar)
            c0 = pc.w(sstar) / np.abs(dxs)
            if want_d:
                c1 = pc.sgn * (pc.dw(sstar) * dxs - pc.w(sstar) * pc.d2X(sstar)) / dxs**3
            else:
                c1 = np.zeros_like(x0)
        at_crit = ((x0 <= pc.lo) & pc.nosub_lo) | ((x0 >= pc.hi) & pc.nosub_hi)
        c0 = np.where(at_crit, 0.0, _finite_np(c0))
        c1 = np.where(inside, _finite_np(c1), 0.0)
        # distance (in s) of the near-pole of 1/(z - X(s)) from s*: a grading scale (linear
        # estimate, or the quadratic one next to a critical point)
        dz = np.abs(z - x0)
        ys = dz / np.abs(dxs)
        if not pc.ident:
            yq = np.sqrt(2 * dz / np.abs(pc.d2X(sstar)))
            ys = np.where(np.isfinite(yq) & (yq < ys), yq, ys)
        ys = np.where(np.isfinite(ys), ys, 0.0)
        if not pc.ident and pc.XdXc is not None:
            # where X' varies over the feature (compressed tails), locate the pole s_p of
            # 1/(z - X(s)) by complex Newton: split at Re s_p, grade with |Im s_p|
            with np.errstate(all="ignore"):
                shaky = (dz > 0) & ~(np.abs(pc.d2X(sstar)) * ys <= 0.5 * np.abs(dxs))
            if np.any(shaky):
                k = np.nonzero(shaky)[0]
                sp_, ok = _pole_np(pc, z[k], x0[k], dz[k])
                k, sp_ = k[ok], sp_[ok]
                sstar = np.array(sstar, dtype=float)
                ys = np.array(ys)
                re = np.clip(sp_.real, pc.s0, pc.s1)
                tiny = 1e-12 * (pc.s1 - pc.s0)
                re = np.where(re - pc.s0 < tiny, pc.s0, np.where(pc.s1 - re < tiny, pc.s1, re))
                sstar[k] = re
                ys[k] = np.abs(sp_.imag) + np.abs(sp_.real - re)
                c0 = np.array(c0)
                c1 = np.array(c1)
                c0[k] = 0.0
                c1[k] = 0.0
                wl = np.maximum(sstar - pc.s0, 0.0)
                wr = np.maximum(pc.s1 - sstar, 0.0)
        dmin = 1.5e-8 * (pc.s1 - pc.s0)

        def accumulate(rows, side, W, other):
            """Add the graded-segment sums of one half for the given rows."""
            W, other, ysr = W[rows], other[rows], ys[rows]
            inf = np.inf
            a = np.where((ysr > 0) & (ysr < W), ysr, inf)
            # an edge across s* closer than 1e-13 W has no weight worth grading for
            b = np.where((other > 1e-13 * W) & (other < W), other, inf)
            small, big = np.minimum(a, b), np.maximum(a, b)
            split = (big < W / 2) & (small < big / 8)
            scale1 = np.where(np.isfinite(small), small, W)
            d1 = np.where(split, big, W)
            segs = [(np.zeros_like(W), d1, scale1, slice(None))]
            if np.any(split):
                k = np.nonzero(split)[0]
                segs.append((big[k], W[k], big[k], k))
            for d0s, d1s, yes, sub in segs:
                r = rows[sub]
                dn, df, wt = _graded_np(W[sub][:, None], d0s[:, None], d1s[:, None],
                                        yes[:, None], sig, tau, om)
                x0r, c0r, c1r = x0[r][:, None], c0[r][:, None], c1[r][:, None]
                if pc.ident:
                    if side < 0:
                        off_a = (pc.s0 - pc.A) + df
                        off_b = (pc.B - pc.s1) + wr[r][:, None] + dn
                    else:
                        off_a = (pc.s0 - pc.A) + wl[r][:, None] + dn
                        off_b = (pc.B - pc.s1) + df
                    val = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
                    DX = side * dn                                  # X(s) - x0
                    D = (xr[r] - x0[r])[:, None] - DX + 1j * y[r][:, None]
                    adX = 1.0
                else:
                    sv = sstar[r][:, None] + side * dn
                    Xs, adX = pc.XdX(sv)
                    adX = np.abs(adX)
                    val = pc.w(sv)
                    DX = Xs - x0r
                    D = z[r][:, None] - Xs
                num = val - c0r * adX
                t1 = wt * num / D
                G[r] += np.sum(np.where(np.isfinite(t1), t1, 0.0), axis=1)
                if want_d:
                    t2 = wt * (num - c1r * DX * adX) / (D * D)
                    # nodes within sqrt(eps) of s* carry rounding noise eps/d^2 (true size
                    # O(rho'' d)): drop them
                    ok = np.isfinite(t2) & (dn > dmin)
                    I2[r] += np.sum(np.where(ok, t2, 0.0), axis=1)

        for side, W, other in ((-1, wl, wr), (1, wr, wl)):
            rows = np.nonzero(W > 0)[0]
            if rows.size:
                accumulate(rows, side, W, other)
        Lz = NP.log(z - pc.lo) - NP.log(z - pc.hi)
        G = G + np.where(c0 != 0, c0 * Lz, 0.0)
        if not want_d:
            return G, None
        R = 1 / (z - pc.hi) - 1 / (z - pc.lo)
        dG = -(I2 + np.where(c0 != 0, c0 * R, 0.0)
               + np.where(c1 != 0, c1 * ((z - x0) * R - Lz), 0.0))
    return G, dG


def _piece_gdg_mp(pc: _Piece, z, want_d: bool, rel):
    """Cauchy transform of one piece and its derivative at one point z (mpmath)."""
    xr, y = z.real, z.imag
    x0 = min(max(xr, pc.lo), pc.hi)
    inside = pc.lo < x0 < pc.hi
    sstar = x0 if pc.ident else _inv_mp(pc, x0)
    wl = max(sstar - pc.s0, 0)
    wr = max(pc.s1 - sstar, 0)
    zero = mpmath.mpf(0)
    if pc.ident:
        dxs = mpmath.mpf(1)
        c0 = _rho_ident_mp(pc, x0)
        c1 = pc.dw(x0) if (want_d and inside) else zero
    else:
        dxs = pc.dX(sstar)
        c0 = pc.w(sstar) / abs(dxs) if dxs != 0 else mpmath.inf
        if want_d and inside and dxs != 0:
            c1 = pc.sgn * (pc.dw(sstar) * dxs - pc.w(sstar) * pc.d2X(sstar)) / dxs**3
        else:
            c1 = zero
    c0 = c0 if mpmath.isfinite(c0) else zero
    c1 = c1 if mpmath.isfinite(c1) else zero
    if (x0 <= pc.lo and pc.nosub_lo) or (x0 >= pc.hi and pc.nosub_hi):
        c0 = zero
    # grading scale: distance of the near-pole of 1/(z - X(s)) from s* (linear estimate, or
    # the quadratic one next to a critical point)
    dz = abs(z - x0)
    ys = dz / abs(dxs) if dxs != 0 else mpmath.inf
    if not pc.ident:
        d2 = abs(pc.d2X(sstar))
        if d2 != 0 and mpmath.isfinite(d2):
            ys = min(ys, mpmath.sqrt(2 * dz / d2))
    if not mpmath.isfinite(ys):
        ys = zero
    if not pc.ident and pc.XdXc is not None and dz > 0:
        d2 = abs(pc.d2X(sstar))
        if not (d2 * ys <= abs(dxs) / 2):
            # X' varies over the feature (compressed tails): locate the pole of 1/(z - X(s))
            spole = _pole_mp(pc, z, x0, dz)
            if spole is not None:
                re = min(max(spole.real, pc.s0), pc.s1)
                tiny = (pc.s1 - pc.s0) * mpmath.mpf(10) ** -12
                re = pc.s0 if re - pc.s0 < tiny else (pc.s1 if pc.s1 - re < tiny else re)
                ys = abs(spole.imag) + abs(spole.real - re)
                sstar, c0, c1 = re, zero, zero
                wl, wr = sstar - pc.s0, pc.s1 - sstar
    segs = []
    for side, W, other in ((-1, wl, wr), (1, wr, wl)):
        if W == 0:
            continue
        for d0, d1, ye in _segment_plan(W, other, ys):
            segs.append((side, W, d0, d1, ye, mpmath.log1p((d1 - d0) / ye)))
    iy = mpmath.mpc(0, y)
    dxr = xr - x0
    # nodes within sqrt(eps) of s* carry rounding noise eps/d^2 in the G' integrand
    dmin = mpmath.ldexp(1, -mpmath.mp.prec // 2) * (pc.s1 - pc.s0)
    sa = pc.s0 - pc.A if pc.ident else None
    sb = pc.B - pc.s1 if pc.ident else None

    def F(sg, ta):
        out0, out1 = zero, zero
        for side, W, d0, d1, ye, V in segs:
            g = ye * _expm1(V * sg)
            dn = d0 + g
            df = (W - d1) + (d1 - d0 + ye) * -_expm1(-V * ta)
            wt = V * (g + ye)
            if pc.ident:
                if side < 0:
                    off_a, off_b = sa + df, sb + wr + dn
                else:
                    off_a, off_b = sa + wl + dn, sb + df
                v = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
                DX = side * dn
                D = dxr - DX + iy
                num = v - c0
                adX = 1
            else:
                s = sstar + side * dn
                Xs, adX = pc.XdX(s)
                adX = abs(adX)
                num = pc.w(s) - c0 * adX
                DX = Xs - x0
                D = z - Xs
            if not mpmath.isfinite(num) or D == 0:
                continue  # s rounded onto s* (map pieces): a node of negligible weight
            out0 += wt * num / D
            if want_d and dn > dmin:
                out1 += wt * (num - c1 * DX * adX) / (D * D)
        return out0, out1

    (S0, S1), err = _ts_mp_sum(F, 2, rel)
    G, dG = S0, None
    if c0 != 0 or c1 != 0:
        Lz = mpmath.log(z - pc.lo) - mpmath.log(z - pc.hi)
    if c0 != 0:
        G += c0 * Lz
    if want_d:
        dG = -S1
        if c0 != 0 or c1 != 0:
            R = 1 / (z - pc.hi) - 1 / (z - pc.lo)
            dG -= c0 * R + c1 * ((z - x0) * R - Lz)
    return G, dG, err


# ============================================================================================
# the shared quadrature law


class _QuadratureLaw(Law):
    """A law with a density given as a sum of pieces (see the module docstring)."""

    __slots__ = ()

    # subclasses implement _build_pieces_np(), _build_pieces_mp() (at the current mpmath
    # precision), support() and edges()

    def _pieces(self, be) -> list:
        if be is NP:
            return self._memo("pieces_np", self._build_pieces_np)
        key = ("pieces_mp", mpmath.mp.prec)
        return self._memo(key, self._build_pieces_mp)

    def _build_pieces_np(self) -> list:
        raise NotImplementedError

    def _build_pieces_mp(self) -> list:
        raise NotImplementedError

    # Cauchy transform -------------------------------------------------------------------
    def _gdg(self, z, be, want_d: bool):
        if be is NP:
            return self._gdg_np(z, want_d)
        # tanh-sinh doubles the digits per level: stop when a level changes the sum by less
        # than sqrt(tol), tol = the entry precision less 30 bits (of the caller's guard digits)
        rel = mpmath.ldexp(1, -(mpmath.mp.prec - 30) // 2)
        with mpmath.workprec(mpmath.mp.prec + 20):
            z = mpmath.mpc(z)
            pieces = self._pieces(MP)
            G, dG = mpmath.mpc(0), mpmath.mpc(0)
            errs = []
            for pc in pieces:
                g, dg, err = _piece_gdg_mp(pc, z, want_d, rel)
                G += g
                errs.append(err)
                if want_d:
                    dG += dg
            self._cache["last_quadrature_error"] = max(errs, default=0)
        return (+G, (+dG if want_d else None))

    def _gdg_np(self, z, want_d):
        z = np.asarray(z, dtype=complex)
        shape = z.shape
        flat = z.ravel()
        pieces = self._pieces(NP)
        G = np.zeros(flat.shape, dtype=complex)
        dG = np.zeros(flat.shape, dtype=complex) if want_d else None
        nodes = 2 * len(_ts_np(1.0 / 40, 3.2)[0])
        chunk = max(1, 400_000 // max(1, nodes))     # bounds the (points x nodes) arrays
        with np.errstate(all="ignore"):
            for s in range(0, len(flat), chunk):
                zc = flat[s:s + chunk]
                for pc in pieces:
                    g, dg = _piece_gdg_np(pc, zc, want_d)
                    G[s:s + chunk] += g
                    if want_d:
                        dG[s:s + chunk] += dg
        return G.reshape(shape), (dG.reshape(shape) if want_d else None)

    def _g(self, z, be):
        return self._gdg(z, be, False)[0]

    def _dg(self, z, be):
        return self._gdg(z, be, True)[1]

    def _g_dual(self, zeta, w, be, ctx):
        ctx.pts.append(zeta.v)
        g, dg = self._gdg(zeta.v, be, True)
        return zeta.apply(g, dg)

    # numeric integrals ------------------------------------------------------------------
    def _integrate_mp(self, g: Callable, dps: int = 30) -> Any:
        """int g(x) rho(x) dx over the support, at ``dps`` digits (g analytic)."""
        with mpmath.workdps(dps + 10):
            total = mpmath.mpf(0)
            rel = mpmath.mpf(10) ** (-(dps // 2) - 1)
            for pc in self._pieces(MP):
                if pc.ident:
                    sa, sb = pc.s0 - pc.A, pc.B - pc.s1
                    width = pc.s1 - pc.s0

                    def F(sg, ta, pc=pc, sa=sa, sb=sb, width=width):
                        off_a, off_b = sa + width * sg, sb + width * ta
                        v = pc.wL(off_a) if off_a <= off_b else pc.wR(off_b)
                        t = pc.s0 + width * sg
                        r = width * v * g(t)
                        return (r if mpmath.isfinite(r) else mpmath.mpf(0),)
                else:
                    width = pc.s1 - pc.s0

                    def F(sg, ta, pc=pc, width=width):
                        s = pc.s0 + width * sg
                        return (width * pc.w(s) * g(pc.X(s)),)
                (S,), _ = _ts_mp_sum(F, 1, rel)
                total += S
        with mpmath.workdps(dps):
            return +total

    def _integrate_np(self, g: Callable) -> float:
        sig, tau, om = _ts_np()
        total = 0.0
        for pc in self._pieces(NP):
            width = pc.s1 - pc.s0
            with np.errstate(all="ignore"):
                if pc.ident:
                    off_a = (pc.s0 - pc.A) + width * sig
                    off_b = (pc.B - pc.s1) + width * tau
                    v = np.where(off_a <= off_b, pc.wL(off_a), pc.wR(off_b))
                    t = pc.s0 + width * sig
                    terms = width * om * v * g(t)
                else:
                    s = pc.s0 + width * sig
                    terms = width * om * pc.w(s) * g(pc.X(s))
            total += float(np.sum(_finite_np(terms)))
        return total

    def _mean_float(self) -> float:
        return self._memo("mean_float", lambda: self._integrate_np(lambda t: t))

    def _params(self, be):  # no numeric parameters through the base protocol
        return ()

    def atoms(self) -> list[Atom]:
        return []


# ============================================================================================
# FromDensity


@functools.lru_cache(maxsize=256)
def _exact_integral(expr: sp.Expr, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    """int_a^b expr dx by sympy's fast manual integrator; None when it leaves an Integral."""
    try:
        r = sp.integrate(expr, (_X, a, b), manual=True)
    except Exception:  # noqa: BLE001 - sympy raises many things on hard integrals
        return None
    if r.has(sp.Integral) or r.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return r


class FromDensity(_QuadratureLaw):
    """Absolutely continuous law on [a, b] with density ``pdf``.

    ``pdf`` is a sympy expression in one symbol, a sympy ``Lambda`` (which may carry extra
    symbolic parameters) or a Python callable (numpy-vectorised or scalar). It is checked to be
    >= 0 on a grid and to integrate to 1: exactly when sympy's manual integrator can do the
    integral (and the pdf has exact coefficients), else numerically to 1e-8 relative.
    Moments are exact sympy integrals where possible, else 30-digit quadrature (sympy Floats).
    The Cauchy transform is computed by subtracted tanh-sinh quadrature (module docstring);
    for a sympy pdf the nodes near a and b evaluate pdf(a + d), pdf(b - d) with the vanishing
    factors expanded, so sqrt and inverse-sqrt edges cost no accuracy. A callable that only
    accepts floats limits the mpmath path to double precision.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> x = sp.Symbol("x")
    >>> mu = FromDensity(3 * x**2 / 2, -1, 1)
    >>> mu.moments(4)
    [0, 3/5, 0, 3/7]
    >>> mu == FromDensity(sp.Lambda(sp.Symbol("t"), 3 * sp.Symbol("t")**2 / 2), -1, 1)
    True
    >>> mu.cauchy(2.0, dps=20)              # 3z^2/2 log((z+1)/(z-1)) - 3z = 6 log 3 - 6
    mpc(real='0.59167373200865815', imag='0.0')

    Parameters
    ----------
    pdf : sympy expression, sympy Lambda or callable
        The density on [a, b] (values outside are ignored).
    a, b : number
        The support interval, b > a.
    breakpoints : sequence of numbers, optional
        Interior points where the pdf is not smooth (kinks, jumps, integrable singularities);
        the quadrature is split there. Piecewise/Abs/Heaviside breakpoints of a sympy pdf are
        found automatically.

    Raises
    ------
    InvalidParameterError
        b <= a, a string pdf, a negative pdf or one that does not integrate to 1.
    """

    __slots__ = ()
    _argnames = ("pdf", "a", "b", "breakpoints")
    name = "from_density"

    def __init__(self, pdf: Any, a: Any, b: Any, breakpoints: Sequence = ()):
        kind, fobj = _canonical_function(pdf, "pdf")
        a, b = sp.sympify(a), sp.sympify(b)
        for nm, v in (("a", a), ("b", b)):
            if v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
                raise InvalidParameterError(nm, v, "the support must be a bounded interval "
                                                   "(freealg laws are compactly supported)")
            check(nm, v, sp.Eq(sp.im(v), 0), "the support ends must be real")
        check("b", b, b > a, "the interval [a, b] must have b > a")
        bps = tuple(sorted({sp.sympify(p) for p in breakpoints},
                           key=lambda p: (float(p) if p.is_number else 0, sp.default_sort_key(p))))
        for p in bps:
            check("breakpoints", bps, sp.And(p > a, p < b), "breakpoints must lie inside (a, b)")
        self._init(fobj, a, b, bps)
        self._validate()

    # value protocol ---------------------------------------------------------------------
    @property
    def _is_symbolic(self) -> bool:
        return isinstance(self._args[0], sp.Lambda)

    @property
    def free_symbols(self) -> set:
        """Symbols of the pdf's parameters, the interval ends and the breakpoints.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, k = sp.symbols("x k", positive=True)
        >>> FromDensity(sp.Lambda(x, (k + 1) * x**k), 0, 1).free_symbols
        {k}
        """
        pdf, a, b, bps = self._args
        out = set(a.free_symbols) | set(b.free_symbols)
        for p in bps:
            out |= p.free_symbols
        if isinstance(pdf, sp.Lambda):
            out |= pdf.free_symbols
        return out

    def subs(self, *args, **kwargs) -> "FromDensity":
        """Substitute values for symbolic parameters (pdf parameters and interval ends).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, k = sp.symbols("x k", positive=True)
        >>> mu = FromDensity(sp.Lambda(x, (k + 1) * x**k), 0, 1)
        >>> mu.subs(k, 2).moments(2)
        [3/4, 3/5]
        """
        pdf, a, b, bps = self._args
        if isinstance(pdf, sp.Lambda):
            pdf = pdf.subs(*args, **kwargs)
        return FromDensity(pdf, a.subs(*args, **kwargs), b.subs(*args, **kwargs),
                           tuple(p.subs(*args, **kwargs) for p in bps))

    def _display_pdf(self) -> Any:
        pdf = self._args[0]
        if isinstance(pdf, sp.Lambda):
            return _body(pdf).xreplace({_X: _XP})
        return getattr(pdf, "__name__", None) or repr(pdf)

    def __repr__(self):
        pdf, a, b, bps = self._args
        extra = f", breakpoints={list(bps)}" if bps else ""
        return f"from_density({self._display_pdf()}, {a}, {b}{extra})"

    def _latex(self, printer=None) -> str:
        pdf, a, b, _ = self._args
        body = sp.latex(_body(pdf).xreplace({_X: _XP})) if isinstance(pdf, sp.Lambda) else \
            r"\mathrm{" + str(self._display_pdf()).replace("_", r"\_") + "}(x)"
        return (rf"\operatorname{{from\_density}}\left({body},\ "
                rf"[{sp.latex(a)}, {sp.latex(b)}]\right)")

    # numeric functions --------------------------------------------------------------------
    def _expr(self) -> sp.Expr:
        return self._memo("expr", lambda: _prepare(_body(self._args[0])))

    def _numeric_ok(self) -> bool:
        return not self.free_symbols

    def _require_numeric(self):
        if not self._numeric_ok():
            raise UndeterminedError("numeric values of " + repr(self),
                                    sorted(self.free_symbols, key=str))

    def _breaks(self) -> list:
        """All interior breakpoints (exact), sorted."""

        def build():
            pdf, a, b, bps = self._args
            pts = set(bps)
            if self._is_symbolic:
                e = self._expr()
                if e.has(sp.Piecewise):
                    for pw in e.atoms(sp.Piecewise):
                        try:
                            for _, st in pw.as_expr_set_pairs():
                                for part in (st.args if isinstance(st, sp.Union) else [st]):
                                    if isinstance(part, sp.Interval):
                                        pts |= {part.start, part.end}
                                    elif isinstance(part, sp.FiniteSet):
                                        pts |= set(part.args)
                        except Exception:  # noqa: BLE001 - conditions sympy cannot solve
                            pass
            out = []
            for p in pts:
                p = sp.sympify(p)
                if p.is_finite is False or p.free_symbols:
                    continue
                if sp.sympify(p > a) == sp.true and sp.sympify(p < b) == sp.true:
                    out.append(p)
            return sorted(set(out), key=lambda p: float(p))

        return self._memo("breaks", build)

    def _fns(self, be) -> dict:
        """Numeric evaluators: pdf, its derivative, and the edge-local forms."""

        def build_np():
            pdf, a, b, _ = self._args
            if self._is_symbolic:
                e = self._expr()
                fa_, fb_ = float(a), float(b)
                out = {"p": _np_from_expr(e),
                       "wL": _np_from_expr(_edge_local(e, a, 1).xreplace({_D: _X})),
                       "wR": _np_from_expr(_edge_local(e, b, -1).xreplace({_D: _X}))}
                try:
                    out["dp"] = _np_from_expr(sp.diff(e, _X))
                except Exception:  # noqa: BLE001
                    out["dp"] = _fd_np(out["p"], fb_ - fa_)
                return out
            p = _np_from_callable(pdf)
            fa_, fb_ = float(a), float(b)
            return {"p": p, "wL": lambda d: p(fa_ + d), "wR": lambda d: p(fb_ - d),
                    "dp": _fd_np(p, fb_ - fa_)}

        def build_mp():
            pdf, a, b, _ = self._args
            if self._is_symbolic:
                e = self._expr()
                A, B = numeric_value(a, MP), numeric_value(b, MP)
                out = {"p": _mp_from_expr(e),
                       "wL": _mp_from_expr(_edge_local(e, a, 1).xreplace({_D: _X})),
                       "wR": _mp_from_expr(_edge_local(e, b, -1).xreplace({_D: _X}))}
                try:
                    out["dp"] = _mp_from_expr(sp.diff(e, _X))
                except Exception:  # noqa: BLE001
                    out["dp"] = _fd_mp(out["p"])
                return out
            p = _mp_from_callable(pdf)
            A, B = numeric_value(a, MP), numeric_value(b, MP)
            return {"p": p, "wL": lambda d: p(A + d), "wR": lambda d: p(B - d), "dp": _fd_mp(p)}

        if be is NP:
            return self._memo("fns_np", build_np)
        return self._memo("fns_mp", build_mp)

    def _build_pieces_np(self) -> list:
        self._require_numeric()
        _, a, b, _ = self._args
        f = self._fns(NP)
        A, B = float(a), float(b)
        cuts = [A] + [float(p) for p in self._breaks()] + [B]
        return [_Piece(s0, s1, s0, s1, True, f["p"], dw=f["dp"], A=A, B=B, wL=f["wL"], wR=f["wR"])
                for s0, s1 in zip(cuts[:-1], cuts[1:])]

    def _build_pieces_mp(self) -> list:
        self._require_numeric()
        _, a, b, _ = self._args
        f = self._fns(MP)
        A, B = numeric_value(a, MP), numeric_value(b, MP)
        cuts = [A] + [numeric_value(p, MP) for p in self._breaks()] + [B]
        return [_Piece(s0, s1, s0, s1, True, f["p"], dw=f["dp"], A=A, B=B, wL=f["wL"], wR=f["wR"])
                for s0, s1 in zip(cuts[:-1], cuts[1:])]

    # validation ---------------------------------------------------------------------------
    def _validate(self) -> None:
        pdf, a, b, _ = self._args
        if self._is_symbolic:
            e = self._expr()
            if self.free_symbols:
                # symbolic parameters: only an exact normalisation check is possible
                total = _exact_integral(e, a, b)
                if total is not None:
                    d = sp.simplify(total - 1)
                    if d.is_zero is False and not d.free_symbols:
                        raise InvalidParameterError("pdf", self._display_pdf(),
                                                    f"the density must integrate to 1 over "
                                                    f"[{a}, {b}] (it integrates to {total})")
                return
        A, B = float(a), float(b)
        p = self._fns(NP)["p"]
        grid = A + (B - A) * (np.arange(512) + 0.5) / 512
        vals = p(grid)
        fin = np.isfinite(vals)
        if not np.any(fin):
            raise InvalidParameterError("pdf", self._display_pdf(),
                                        f"the density cannot be evaluated on ({a}, {b})")
        scale = float(np.max(np.abs(vals[fin])))
        neg = fin & (vals < -1e-12 * max(scale, 1e-300))
        if np.any(neg):
            i = int(np.argmax(neg))
            raise InvalidParameterError("pdf", self._display_pdf(),
                                        f"the density must be >= 0 (pdf({grid[i]:.6g}) = "
                                        f"{vals[i]:.6g})")
        total = self._integrate_np(lambda t: 1.0)
        if not (abs(total - 1) <= 1e-8):
            total = float(self._integrate_mp(lambda t: 1, dps=20))
        if not (abs(total - 1) <= 1e-8):
            raise InvalidParameterError("pdf", self._display_pdf(),
                                        f"the density must integrate to 1 over [{a}, {b}] (it "
                                        f"integrates to {total:.12g})")
        if self._is_symbolic and not self._expr().has(sp.Float):
            # exact coefficients: the integral must be exactly 1 when sympy can do it
            exact = _exact_integral(self._expr(), a, b)
            if exact is not None:
                d = sp.simplify(exact - 1)
                if d != 0 and d.is_number and abs(complex(d.evalf(50))) > 1e-40:
                    raise InvalidParameterError("pdf", self._display_pdf(),
                                                f"the density must integrate to exactly 1 "
                                                f"(it integrates to {sp.simplify(exact)})")

    # symbolic side -------------------------------------------------------------------------
    def _moment_k(self, k: int):
        """m_k: sympy's manual integrator when it succeeds (cross-checked against 20-digit
        quadrature), else 30-digit quadrature as a sympy Float."""

        def compute():
            pdf, a, b, _ = self._args
            if self._is_symbolic:
                ex = _exact_integral(self._expr() * _X**k, a, b)
                if ex is not None:
                    ex = sp.simplify(ex)
                    if ex.free_symbols:
                        return ex
                    # guard against wrong sympy results (they are O(1) wrong, not 1e-15)
                    num = self._integrate_mp(lambda t: t**k, dps=20)
                    if abs(complex(ex.evalf(30)) - complex(num)) <= 1e-12 * (1 + abs(num)):
                        return ex
            self._require_numeric()
            return _to_sympy_number(self._integrate_mp(lambda t: t**k, dps=30))

        return self._memo(("moment", k), compute)

    def _moments_exact(self, n: int) -> list:
        return [self._moment_k(k) for k in range(1, n + 1)]

    # numeric public hooks -----------------------------------------------------------------
    def _density_np(self, x):
        self._require_numeric()
        _, a, b, _ = self._args
        A, B = float(a), float(b)
        x = np.asarray(x, dtype=float)
        f = self._fns(NP)
        with np.errstate(all="ignore"):
            da, db = x - A, B - x
            v = np.where(da <= db, f["wL"](np.maximum(da, 0)), f["wR"](np.maximum(db, 0)))
        return np.where((x > A) & (x < B) & np.isfinite(v), v, 0.0)

    def _density_mp(self, x, dps):
        self._require_numeric()
        with mpmath.workdps(dps + 5):
            _, a, b, _ = self._args
            A, B = numeric_value(a, MP), numeric_value(b, MP)
            x = mpmath.mpf(x)
            if not (A < x < B):
                out = mpmath.mpf(0)
            else:
                f = self._fns(MP)
                out = f["wL"](x - A) if x - A <= B - x else f["wR"](B - x)
        with mpmath.workdps(dps):
            return +out

    def _hull_float(self):
        _, a, b, _ = self._args
        return float(numeric_value(a, NP)), float(numeric_value(b, NP))

    def support(self, dps: int = 30) -> list[Band]:
        _, a, b, _ = self._args
        return [Band(a, b)]

    def _edge_kind(self, end: str) -> str:
        pdf, a, b, _ = self._args
        e = a if end == "left" else b
        if self._is_symbolic:
            v = self._expr().xreplace({_X: e})
            if v.is_number and v.is_finite:
                return "soft" if v == 0 else "hard"
        if not self._numeric_ok():
            return "hard"
        with mpmath.workdps(30):
            f = self._fns(MP)
            d = mpmath.mpf(10) ** -20 * (numeric_value(b, MP) - numeric_value(a, MP))
            try:
                v = f["wL"](d) if end == "left" else f["wR"](d)
            except (ValueError, ZeroDivisionError, OverflowError):
                return "hard"
            width = numeric_value(b - a, MP)
            return "soft" if mpmath.isfinite(v) and abs(v) * width < 1e-8 else "hard"

    def edges(self, dps: int = 30) -> list[Edge]:
        _, a, b, _ = self._args
        return self._memo("edges", lambda: [Edge(a, self._edge_kind("left"), 0, "left"),
                                            Edge(b, self._edge_kind("right"), 0, "right")])


def _fd_np(p: Callable, width: float) -> Callable:
    h = 1e-5 * width

    def dp(t):
        return (p(t + h) - p(t - h)) / (2 * h)

    return dp


def _fd_mp(p: Callable) -> Callable:
    def dp(t):
        try:
            return mpmath.diff(p, t)
        except Exception:  # noqa: BLE001
            return mpmath.mpf(0)

    return dp


def from_density(pdf: Any, a: Any, b: Any, breakpoints: Sequence = ()) -> FromDensity:
    """Absolutely continuous law on [a, b] from its density (see :class:`FromDensity`).

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> x = sp.Symbol("x")
    >>> sc = fa.from_density(sp.sqrt(4 - x**2) / (2 * sp.pi), -2, 2)
    >>> sc.moments(6)                       # Catalan numbers
    [0, 1, 0, 2, 0, 5]
    >>> [e.kind for e in sc.edges()]
    ['soft', 'soft']
    >>> abs(sc.cauchy(1j, dps=25) - fa.semicircle(1).cauchy(1j, dps=25)) < 1e-24
    True
    >>> u = fa.from_density(lambda t: np.full_like(t, 0.25), 0, 4)     # callable: uniform
    >>> round(float(u.moments(2)[1]), 12)
    5.333333333333
    >>> fa.from_density(x, 0, 1)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid pdf=x: the density must integrate to 1 ...
    (it integrates to 0.5)

    Parameters
    ----------
    pdf : sympy expression in one symbol, sympy Lambda, or callable
        The density.
    a, b : number
        Support interval.
    breakpoints : sequence, optional
        Interior non-smooth points of the pdf (see :class:`FromDensity`).

    Returns
    -------
    FromDensity
    """
    return FromDensity(pdf, a, b, breakpoints)


# ============================================================================================
# Gaussian push-forward


def _gauss_mass(lo: Any, hi: Any, q: Any) -> sp.Expr:
    """P(lo < h < hi) for h ~ N(0, q), exact (erf)."""
    s = sp.sqrt(2 * q)
    return (sp.erf(sp.sympify(hi) / s) - sp.erf(sp.sympify(lo) / s)) / 2


def _gauss_poly_moments(lo: Any, hi: Any, q: Any, kmax: int) -> list:
    """I_m = int_lo^hi h^m phi_q(h) dh, m = 0..kmax, exactly (integration by parts:
    I_m = (m-1) q I_{m-2} + q (lo^{m-1} phi(lo) - hi^{m-1} phi(hi)))."""
    lo, hi, q = sp.sympify(lo), sp.sympify(hi), sp.sympify(q)

    def phi(h):
        return sp.exp(-h**2 / (2 * q)) / sp.sqrt(2 * sp.pi * q)

    def bnd(h, m):  # h^m phi(h), 0 at infinity
        return sp.S.Zero if h.is_infinite else h**m * phi(h)

    out = [_gauss_mass(lo, hi, q), q * (bnd(lo, 0) - bnd(hi, 0))]
    for m in range(2, kmax + 1):
        out.append(sp.expand((m - 1) * q * out[m - 2] + q * (bnd(lo, m - 1) - bnd(hi, m - 1))))
    return out[:kmax + 1]


@dataclass(frozen=True)
class _Plan:
    """Atoms and non-flat pieces of f under N(0, q) (internal)."""

    atoms: tuple          # ((location, mass), ...)
    pieces: tuple         # ((lo_h, hi_h, expr or None), ...) -- expr None for callables
    wc: Any               # mass of the continuous part
    exact: bool           # atoms found from the symbolic structure


_STEP_FUNCS = (sp.floor, sp.ceiling, sp.frac)


def _symbolic_plan(lam: sp.Lambda, q: sp.Expr) -> _Plan | None:
    """Exact atoms from the Piecewise structure; None when sympy cannot decompose f."""
    e = _prepare(_body(lam))
    if e.has(*_STEP_FUNCS):
        return None
    if isinstance(e, sp.Piecewise):
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
            if _X not in expr.free_symbols:
                atoms[expr] = atoms.get(expr, sp.S.Zero) + _gauss_mass(lo, hi, q)
            else:
                pieces.append((lo, hi, expr))
    pieces.sort(key=lambda p: float(p[0]) if p[0].is_finite else -math.inf)
    scale = 1.0 if q.free_symbols else math.sqrt(float(q))
    for lo, hi, expr in pieces:
        if lam.free_symbols:
            break  # symbolic parameters in f: boundedness cannot be tested numerically
        _check_bounded(_np_from_expr(expr), float(lo), float(hi), scale, lam)
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
    return _Plan(tuple(atom_list), tuple(pieces), wc, True)


def _check_bounded(fnp: Callable, lo: float, hi: float, scale: float, f: Any) -> None:
    """Refuse an f that grows along an infinite piece (the law would not be compactly
    supported): compare max |f| on [-180, 180] sqrt(q) with max |f| on [-9, 9] sqrt(q)."""
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


def _numeric_plan(fnp: Callable, q: float) -> _Plan:
    """Heuristic atoms of a numeric f: runs of >= 3 exactly equal values on a fine grid of
    [-9 sqrt q, 9 sqrt q] (40001 points), boundaries refined by bisection; runs of Gaussian
    mass < 1e-12 are ignored."""
    from scipy.special import ndtr

    sq = math.sqrt(q)
    L0 = 9 * sq
    h = np.linspace(-L0, L0, 40001)
    v = fnp(h)
    if not np.all(np.isfinite(v)):
        raise InvalidParameterError("f", fnp, "f(h) must be finite for all real h")
    _check_bounded(fnp, -math.inf, math.inf, sq, fnp)
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
        lo = -math.inf if i0 == 0 else refine(c, h[i0], h[i0 - 1])
        hi = math.inf if i1 == len(h) - 1 else refine(c, h[i1], h[i1 + 1])
        # P(lo < h < hi) from the tail that keeps relative accuracy
        mass = float(ndtr(hi / sq) - ndtr(lo / sq) if hi <= 0 else ndtr(-lo / sq) - ndtr(-hi / sq))
        if mass >= 1e-12:
            flats.append((lo, hi, c, mass))
    atoms: dict = {}
    for _lo, _hi, c, mass in flats:
        loc = sp.Integer(int(c)) if float(c).is_integer() else sp.Float(c, 17)
        atoms[loc] = atoms.get(loc, 0.0) + mass
    pieces = []
    start = -math.inf
    for lo, hi, _, _ in flats:
        if lo > start:
            pieces.append((start, lo, None))
        start = hi
    if start < math.inf:
        pieces.append((start, math.inf, None))
    atom_list = tuple(sorted(((loc, sp.Float(m, 17)) for loc, m in atoms.items()),
                             key=lambda lm: float(lm[0])))
    wc = (sp.Float(1.0 - sum(m for m in atoms.values()), 17) if pieces else sp.S.Zero)
    return _Plan(atom_list, tuple(pieces), wc, False)


@functools.lru_cache(maxsize=128)
def _plan(fobj: Any, q: sp.Expr) -> _Plan:
    if isinstance(fobj, sp.Lambda):
        p = _symbolic_plan(fobj, q)
        if p is not None:
            return p
        fnp = _np_from_expr(_prepare(_body(fobj)))
    else:
        fnp = _np_from_callable(fobj)
    if q.free_symbols:
        raise UndeterminedError("the atoms of f(h) (numeric detection needs a numeric variance)",
                                sorted(q.free_symbols, key=str))
    return _numeric_plan(fnp, float(q))


def _crit_points_np(dX: Callable, s0: float, s1: float) -> list:
    """Sign changes of X' on a grid of (s0, s1), refined by brentq."""
    from scipy.optimize import brentq

    g = np.linspace(s0, s1, 4001)[1:-1]
    d = dX(g)
    out = []
    sg = np.sign(d)
    for i in range(len(g) - 1):
        if sg[i] == 0 and (not out or out[-1] != g[i]):
            out.append(float(g[i]))
        elif sg[i] * sg[i + 1] < 0:
            try:
                out.append(brentq(lambda t: float(dX(np.array([t]))[0]), g[i], g[i + 1],
                                  xtol=1e-15, rtol=1e-15))
            except ValueError:
                out.append(0.5 * (g[i] + g[i + 1]))
    return out


class GaussianPushforward(_QuadratureLaw):
    """Absolutely continuous part of the law of f(h), h ~ N(0, variance), normalised.

    The density is ``rho(x) = sum_{h: f(h) = x} phi_q(h)/|f'(h)| / w_c`` over the pieces of the
    real line where f is not constant (w_c = their Gaussian mass). Use
    :func:`gaussian_pushforward`, which also returns the atoms; this class is its continuous
    component (the whole law when f has no flat parts).

    Numerics are done in the h variable (module docstring): the inverse-square-root edges at
    critical values of f cost no accuracy. The Gaussian tails are truncated where their mass is
    below 10^-(dps+10) (mpmath) or 1e-20 (numpy). Moments are exact when every non-flat piece of
    a symbolic f is a polynomial (Gaussian moments on intervals by integration by parts),
    otherwise 30-digit quadrature (sympy Floats).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> h = sp.Symbol("h")
    >>> mu = GaussianPushforward((1 - sp.tanh(h)**2)**2, 1)
    >>> mu.support()[0].lo, mu.support()[0].hi
    (0, 1)
    >>> [e.kind for e in mu.edges()]             # vanishing at 0, inverse-sqrt at 1
    ['soft', 'hard']
    >>> round(float(mu.moments(1)[0]), 10)        # E[tanh'(h)^2]
    0.4644029024

    Parameters
    ----------
    f : sympy expression in one symbol, sympy Lambda, or callable
        The function; it must be bounded.
    variance : positive number or symbol
        The variance q of h.
    """

    __slots__ = ()
    _argnames = ("f", "variance")
    name = "gaussian_pushforward_ac"

    def __init__(self, f: Any, variance: Any):
        kind, fobj = _canonical_function(f, "f")
        q = sp.sympify(variance)
        check("variance", variance, sp.Eq(sp.im(q), 0), "the variance must be real")
        check("variance", variance, q > 0, "the variance of h must be > 0")
        self._init(fobj, q)
        plan = self._plan()
        if not plan.pieces:
            raise InvalidParameterError("f", self._display_f(), "f is constant almost "
                                        "everywhere: the law is atomic (use "
                                        "gaussian_pushforward)")

    # value protocol -----------------------------------------------------------------------
    @property
    def free_symbols(self) -> set:
        """Symbols of f's parameters and of the variance.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> h, q = sp.Symbol("h"), sp.Symbol("q", positive=True)
        >>> GaussianPushforward(sp.tanh(h), q).free_symbols
        {q}
        """
        f, q = self._args
        out = set(q.free_symbols)
        if isinstance(f, sp.Lambda):
            out |= f.free_symbols
        return out

    def subs(self, *args, **kwargs) -> "GaussianPushforward":
        f, q = self._args
        if isinstance(f, sp.Lambda):
            f = f.subs(*args, **kwargs)
        return GaussianPushforward(f, q.subs(*args, **kwargs))

    def _display_f(self) -> Any:
        f = self._args[0]
        if isinstance(f, sp.Lambda):
            return _body(f).xreplace({_X: sp.Symbol("h")})
        return getattr(f, "__name__", None) or repr(f)

    def __repr__(self):
        return f"{self.name}({self._display_f()}, variance={self._args[1]})"

    def _latex(self, printer=None) -> str:
        f, q = self._args
        hh = sp.Symbol("h")
        body = sp.latex(_body(f).xreplace({_X: hh})) if isinstance(f, sp.Lambda) else \
            r"\mathrm{" + str(self._display_f()).replace("_", r"\_") + "}(h)"
        return (rf"\operatorname{{law}}_{{\mathrm{{ac}}}}\left({body},\ h \sim "
                rf"\mathcal{{N}}(0, {sp.latex(q)})\right)")

    # structure ----------------------------------------------------------------------------
    def _plan(self) -> _Plan:
        return _plan(self._args[0], self._args[1])

    def _q(self, be):
        q = self._args[1]
        if q.free_symbols:
            raise UndeterminedError("numeric values of " + repr(self),
                                    sorted(q.free_symbols, key=str))
        if self._args[0].free_symbols if isinstance(self._args[0], sp.Lambda) else False:
            raise UndeterminedError("numeric values of " + repr(self),
                                    sorted(self._args[0].free_symbols, key=str))
        return numeric_value(q, be)

    def _piece_exprs(self) -> list:
        """(lo_h, hi_h, expr, dexpr, d2expr) for symbolic f; expr None for callables."""

        def build():
            out = []
            for lo, hi, e in self._plan().pieces:
                if e is None:
                    out.append((lo, hi, None, None, None))
                else:
                    d1 = sp.diff(e, _X)
                    out.append((lo, hi, e, d1, sp.diff(d1, _X)))
            return out

        return self._memo("piece_exprs", build)

    def _np_maps(self):
        """Float64 evaluators (X, dX, d2X) per piece."""

        def build():
            out = []
            f = self._args[0]
            for _lo, _hi, e, d1, d2 in self._piece_exprs():
                if e is None:
                    X = _np_from_callable(f)
                    out.append((X, _fd1_np(X), _fd2_np(X), None, None))
                else:
                    out.append((_np_from_expr(e), _np_from_expr(d1), _np_from_expr(d2),
                                _np_pair_from_exprs(e, d1),
                                _complex_pair(e, d1, ["numpy", "scipy"])))
            return out

        return self._memo("np_maps", build)

    def _mp_maps(self):
        def build():
            out = []
            f = self._args[0]
            for _lo, _hi, e, d1, d2 in self._piece_exprs():
                if e is None:
                    X = _mp_from_callable(f)
                    out.append((X, _fd_mp(X), lambda s, X=X: _mp_diff2(X, s), None, None))
                else:
                    out.append((_mp_from_expr(e), _mp_from_expr(d1), _mp_from_expr(d2),
                                _mp_pair_from_exprs(e, d1), _complex_pair(e, d1, "mpmath")))
            return out

        return self._memo("mp_maps", build)

    def _monotone_np(self) -> list:
        """Monotone sub-pieces in float64: (s0, s1, piece index, end flags), with the tails
        truncated where the Gaussian mass is below 1e-20."""

        def build():
            q = float(self._q(NP))
            L = math.sqrt(2 * q * 20 * math.log(10))
            out = []
            for idx, ((lo, hi, *_), (_X0, dX, *_)) in enumerate(zip(self._piece_exprs(),
                                                                self._np_maps())):
                flo, fhi = float(lo), float(hi)
                a, b = max(flo, -L), min(fhi, L)
                if not a < b:
                    continue
                cps = [c for c in _crit_points_np(dX, a, b) if a < c < b]
                cuts = [a] + cps + [b]
                for k, (s0, s1) in enumerate(zip(cuts[:-1], cuts[1:])):
                    if s1 <= s0:
                        continue
                    tr0 = (k == 0 and flo < -L)
                    tr1 = (k == len(cuts) - 2 and fhi > L)
                    out.append((s0, s1, idx, tr0, tr1, k > 0, k < len(cuts) - 2))
            return out

        return self._memo("monotone_np", build)

    def _build_pieces_np(self) -> list:
        q = float(self._q(NP))
        wc = float(numeric_value(self._plan().wc, NP))
        c = 1.0 / (math.sqrt(2 * math.pi * q) * wc)

        def w(s):
            return c * np.exp(-np.asarray(s) ** 2 / (2 * q))

        def dw(s):
            return -np.asarray(s) / q * w(s)

        out = []
        maps = self._np_maps()
        for s0, s1, idx, tr0, tr1, cr0, cr1 in self._monotone_np():
            X, dX, d2X, XdX, XdXc = maps[idx]
            x0, x1 = float(X(np.array([s0]))[0]), float(X(np.array([s1]))[0])
            if x0 == x1:
                continue  # numerically flat
            sgn = 1 if x1 > x0 else -1
            out.append(_Piece(s0, s1, min(x0, x1), max(x0, x1), False, w, dw=dw, X=X, dX=dX,
                              d2X=d2X, sgn=sgn, meta=(idx, tr0, tr1, cr0, cr1, s0, s1), XdX=XdX,
                              XdXc=XdXc))
        return out

    def _build_pieces_mp(self) -> list:
        q = self._q(MP)
        wc = numeric_value(self._plan().wc, MP)
        c = 1 / (mpmath.sqrt(2 * mpmath.pi * q) * wc)
        L = mpmath.sqrt(2 * q * (mpmath.mp.dps + 10) * mpmath.log(10))

        def w(s):
            return c * mpmath.exp(-s * s / (2 * q))

        def dw(s):
            return -s / q * w(s)

        out = []
        maps = self._mp_maps()
        exprs = self._piece_exprs()
        for pc_np in self._pieces(NP):
            idx, tr0, tr1, cr0, cr1, s0, s1 = pc_np.meta
            X, dX, d2X, XdX, XdXc = maps[idx]
            lo_h, hi_h = exprs[idx][0], exprs[idx][1]
            a = -L if tr0 else (_polish_crit(dX, d2X, s0) if cr0 else numeric_value(lo_h, MP))
            b = L if tr1 else (_polish_crit(dX, d2X, s1) if cr1 else numeric_value(hi_h, MP))
            if not a < b:
                continue
            x0, x1 = X(a), X(b)
            if x0 == x1:
                continue
            sgn = 1 if x1 > x0 else -1
            out.append(_Piece(a, b, min(x0, x1), max(x0, x1), False, w, dw=dw, X=X, dX=dX,
                              d2X=d2X, sgn=sgn, meta=pc_np.meta, XdX=XdX, XdXc=XdXc))
        return out

    # symbolic side -------------------------------------------------------------------------
    def _moments_exact(self, n: int) -> list:
        return [self._moment_k(k) for k in range(1, n + 1)]

    def _moment_k(self, k: int):
        def compute():
            plan = self._plan()
            q = self._args[1]
            if plan.exact and all(e.is_polynomial(_X) for _, _, e in plan.pieces):
                total = sp.S.Zero
                for lo, hi, e in plan.pieces:
                    poly = sp.Poly(sp.expand(e**k), _X)
                    gm = _gauss_poly_moments(lo, hi, q, poly.degree())
                    total += sum(cf * gm[m[0]] for m, cf in poly.terms())
                return sp.simplify(total / plan.wc)
            self._q(MP)
            with mpmath.workdps(40):
                qq = numeric_value(q, MP)
                c = 1 / mpmath.sqrt(2 * mpmath.pi * qq)
                tot = mpmath.mpf(0)
                maps = self._mp_maps()
                for (lo, hi, *_), (X, *_) in zip(self._piece_exprs(), maps):
                    a = -mpmath.inf if not sp.sympify(lo).is_finite else numeric_value(lo, MP)
                    b = mpmath.inf if not sp.sympify(hi).is_finite else numeric_value(hi, MP)
                    pts = [a, 0, b] if a < 0 < b else [a, b]
                    tot += mpmath.quad(lambda s: c * mpmath.exp(-s * s / (2 * qq)) * X(s) ** k,
                                       pts)
                tot /= numeric_value(plan.wc, MP)
            return _to_sympy_number(tot)

        return self._memo(("moment", k), compute)

    # numeric public hooks -----------------------------------------------------------------
    def _density_np(self, x):
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        for pc in self._pieces(NP):
            inside = (x > pc.lo) & (x < pc.hi)
            if not np.any(inside):
                continue
            xs = x[inside]
            s = _inv_np(pc, xs)
            with np.errstate(all="ignore"):
                r = pc.w(s) / np.abs(pc.dX(s))
            out[inside] += _finite_np(r)
        return out

    def _density_mp(self, x, dps):
        with mpmath.workdps(dps + 5):
            x = mpmath.mpf(x)
            out = mpmath.mpf(0)
            for pc in self._pieces(MP):
                if pc.lo < x < pc.hi:
                    s = _inv_mp(pc, x)
                    d = pc.dX(s)
                    if d != 0:
                        out += pc.w(s) / abs(d)
        with mpmath.workdps(dps):
            return +out

    def _hull_float(self):
        ps = self._pieces(NP)
        return min(float(p.lo) for p in ps), max(float(p.hi) for p in ps)

    def _exact_value(self, idx: int, s: float, tr: bool, crit: bool, end: int) -> Any:
        """The value of f at a piece end: exact when sympy finds it, else a 20-digit Float."""
        lo_h, hi_h, e, d1, _ = self._piece_exprs()[idx]
        if e is None:
            return sp.Float(float(self._np_maps()[idx][0](np.array([s]))[0]), 15)
        hsym = lo_h if end == 0 else hi_h
        try:
            if tr:
                # the limit at +-oo; sympy's automatic evaluation at oo is instant where
                # sp.limit can take seconds; anything it cannot decide becomes a Float
                v = e.subs(_X, hsym)
                if v.has(sp.AccumBounds, sp.nan, sp.zoo):
                    v = None
            elif crit:
                cand = sp.nsimplify(sp.Float(s, 15), [sp.pi], tolerance=1e-12)
                v = sp.simplify(e.xreplace({_X: cand})) \
                    if sp.simplify(d1.xreplace({_X: cand})) == 0 else None
            else:
                v = sp.simplify(e.xreplace({_X: hsym}))
            if v is not None and v.is_number and v.is_finite and v.is_real:
                return v
        except Exception:  # noqa: BLE001 - sympy limits can fail in many ways
            pass
        with mpmath.workdps(30):
            if crit:
                maps = self._mp_maps()[idx]
                sv = _polish_crit(maps[1], maps[2], s)
            else:
                sv = mpmath.mpf(s)
            return _to_sympy_number(_mp_from_expr(e)(sv), 20)

    def _bands_and_edges(self):
        def build():
            pcs = self._pieces(NP)
            segs = []
            ends = []
            for pc in pcs:
                idx, tr0, tr1, cr0, cr1, s0, s1 = pc.meta
                e0 = (self._exact_value(idx, s0, tr0, cr0, 0), tr0, cr0, s0)
                e1 = (self._exact_value(idx, s1, tr1, cr1, 1), tr1, cr1, s1)
                ends.append((pc, e0, e1))
                a, b = (e0, e1) if pc.sgn > 0 else (e1, e0)
                segs.append((float(pc.lo), float(pc.hi), a[0], b[0]))
            segs.sort(key=lambda t: t[0])
            bands: list = []
            for lo, hi, a, b in segs:
                if bands and lo <= bands[-1][1] + 1e-12 * (1 + abs(lo)):
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
                    out_e.append(Edge(exact, "hard" if hard else "soft", 0, side))
            return out_b, out_e

        return self._memo("bands_edges", build)

    def _tail_vanishes(self, idx: int, s: float, width: float) -> bool:
        """Whether the density phi_q(h)/|f'(h)| tends to 0 along a Gaussian tail: it must
        decrease from h = 9 sqrt(q) to 12 sqrt(q) and be small there (60-digit evaluation;
        e.g. for tanh'(h)^2 the density ~ exp(-h^2/2 + 4h) only decays beyond h = 8)."""
        with mpmath.workdps(60):
            q = self._q(MP)
            X, dX = self._mp_maps()[idx][:2]
            sign = 1 if s > 0 else -1
            vals = []
            for c in (9, 12):
                h = sign * c * mpmath.sqrt(q)
                d = abs(dX(h))
                vals.append(mpmath.exp(-h * h / (2 * q)) / d if d != 0 else mpmath.inf)
            wc = abs(numeric_value(self._plan().wc, MP))
            rho = vals[1] / (mpmath.sqrt(2 * mpmath.pi * q) * wc)
            return bool(vals[1] < vals[0] and rho * width < 1e-6)

    def support(self, dps: int = 30) -> list[Band]:
        return self._bands_and_edges()[0]

    def edges(self, dps: int = 30) -> list[Edge]:
        return self._bands_and_edges()[1]


def _fd1_np(X: Callable) -> Callable:
    def d(s):
        s = np.asarray(s, dtype=float)
        h = 1e-6 * (1 + np.abs(s))
        return (X(s + h) - X(s - h)) / (2 * h)

    return d


def _fd2_np(X: Callable) -> Callable:
    def d2(s):
        s = np.asarray(s, dtype=float)
        h = 1e-4 * (1 + np.abs(s))
        return (X(s + h) - 2 * X(s) + X(s - h)) / (h * h)

    return d2


def _mp_diff2(X: Callable, s):
    try:
        return mpmath.diff(X, s, 2)
    except Exception:  # noqa: BLE001
        return mpmath.mpf(0)


def _polish_crit(dX: Callable, d2X: Callable, s: float):
    """Newton on X'(s) = 0 at the current precision, from a float estimate."""
    s = mpmath.mpf(s)
    for _ in range(60):
        d2 = d2X(s)
        if d2 == 0:
            break
        step = dX(s) / d2
        s -= step
        if abs(step) <= mpmath.ldexp(1, -mpmath.mp.prec + 6) * (1 + abs(s)):
            break
    return s


def gaussian_pushforward(f: Any, variance: Any) -> Law:
    """The law of f(h) for h ~ N(0, variance): atoms where f is flat, a density elsewhere.

    This is the law of the diagonal activation-derivative matrices D = diag(phi'(h)) of deep
    networks (MATH.md §8; Pennington-Schoenholz-Ganguli 2017): ReLU' gives bernoulli(1/2),
    hard-tanh' gives ``bernoulli(P(|h| < 1)) = bernoulli(erf(1/sqrt(2 q)))``, a smooth activation
    gives a density.

    Atoms are the values f takes on sets of positive Gaussian measure. For a symbolic f they
    are found exactly from its Piecewise/Heaviside/Min/Max/Abs structure (masses are exact erf
    expressions, symbolic variance allowed). For a callable they are detected heuristically:
    runs of >= 3 exactly equal values on a grid of 40001 points of [-9 sqrt q, 9 sqrt q],
    boundaries refined by bisection, masses >= 1e-12 (a function that merely rounds to a
    constant, e.g. ``1 - np.tanh(h)**2`` for ``|h| > 19``, can produce a spurious tiny atom; pass a
    sympy expression for exact results).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> h, q = sp.Symbol("h"), sp.Symbol("q", positive=True)
    >>> fa.gaussian_pushforward(sp.Heaviside(h), 1)                  # ReLU'
    bernoulli(t=1/2)
    >>> fa.gaussian_pushforward(sp.Piecewise((1, abs(h) < 1), (0, True)), q)   # hard-tanh'
    bernoulli(t=erf(sqrt(2)/(2*sqrt(q))))
    >>> mu = fa.gaussian_pushforward(1 - sp.tanh(h)**2, 1)           # tanh': a density on [0, 1]
    >>> type(mu).__name__, [e.kind for e in mu.edges()]
    ('GaussianPushforward', ['soft', 'hard'])
    >>> ht = fa.gaussian_pushforward(sp.Max(-1, sp.Min(1, h)), 1)    # hard-tanh: atoms at +-1
    >>> [(a.location, a.mass) for a in ht.atoms()]
    [(-1, 1/2 - erf(sqrt(2)/2)/2), (1, 1/2 - erf(sqrt(2)/2)/2)]
    >>> ht.moments(2)[1] == 1 - sp.sqrt(2) * sp.exp(-sp.S(1)/2) / sp.sqrt(sp.pi)
    True

    Parameters
    ----------
    f : sympy expression in one symbol, sympy Lambda, or callable
        A bounded real function.
    variance : positive number or symbol
        The variance q of h.

    Returns
    -------
    Law
        :class:`~freealg.laws.catalog.Bernoulli` (atoms within {0, 1}),
        :class:`~freealg.laws.catalog.Dirac` (one atom), :class:`~freealg.laws.catalog.Discrete`,
        :class:`GaussianPushforward` (no atoms) or a
        :class:`~freealg.laws.convolution.Mixture` of Diracs and the continuous part.

    Raises
    ------
    InvalidParameterError
        variance <= 0, or f unbounded.
    UndeterminedError
        a callable f with a symbolic variance.
    """
    from .convolution import Mixture

    kind, fobj = _canonical_function(f, "f")
    q = sp.sympify(variance)
    check("variance", variance, sp.Eq(sp.im(q), 0), "the variance must be real")
    check("variance", variance, q > 0, "the variance of h must be > 0")
    plan = _plan(fobj, q)
    atoms = list(plan.atoms)
    if not plan.pieces:
        locs = [loc for loc, _ in atoms]
        if all(loc in (sp.S.Zero, sp.S.One) for loc in locs):
            t = sum((m for loc, m in atoms if loc == sp.S.One), sp.S.Zero)
            return Bernoulli(t)
        if len(atoms) == 1:
            return Dirac(atoms[0][0])
        return Discrete([loc for loc, _ in atoms], [m for _, m in atoms])
    cont = GaussianPushforward(fobj, q)
    if not atoms:
        return cont
    return Mixture([Dirac(loc) for loc, _ in atoms] + [cont], [m for _, m in atoms] + [plan.wc])
