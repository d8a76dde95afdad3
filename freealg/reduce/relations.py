"""The numbers behind a System's equations.

Each compiler rule that writes an equation also writes, in the same place, how to compute
every unknown it introduces (an :class:`Unknown`) and where its equation is evaluated (a
:class:`Relation`: the point ``w`` or ``m`` of an R- or S-transform relation, and the start of
the inversion that evaluates a transform). :class:`Evaluator` then substitutes the solved
values into the displayed sympy equations, in mpmath: a function application such as
``G_1(omega_3(z))`` evaluates ``omega_3`` at z (the law tree's Newton solution) and then
``G_1`` at that value (the Cauchy transform of the piece), so the composition is really
checked. ``System.residual`` is built on it.

Kinds of :class:`Unknown` (``source`` in brackets):

* ``'cauchy'`` (a Law, or a zero-argument callable returning one): its Cauchy transform at
  any point off the real axis (lower half plane by G(conj z) = conj G(z));
* ``'function'`` (``f(point, dps)``): e.g. a subordination function from the law tree;
* ``'value'`` (``f(z, dps)``): a symbol or matrix symbol whose value depends only on z;
* ``'R'`` (the Cauchy transform's Function): R_f(u) = x - 1/u with G_f(x) = u;
* ``'S'`` (the Cauchy transform's Function): S_f(m) = (1 + m)/(m x) with x G_f(x) - 1 = m;
* ``'measure'`` (a Law): the measure of an integral ``Integral(f(t), (t, mu))``, evaluated as
  its atoms plus tanh-sinh quadrature of f times its density over its bands.

The last two are inverted by the secant method started at the relation's hint (the law tree's
subordination point), so they are the exact transforms wherever the hint lies in the basin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import NoConvergence, UndeterminedError

__all__ = ["Relation", "Unknown", "Evaluator", "Lazy", "TreeValue", "LawLeaf"]


@dataclass(frozen=True, eq=False)
class Relation:
    """A displayed equation with what evaluating it needs.

    Attributes
    ----------
    eq : sympy Eq
        The equation as displayed.
    at : tuple of (Symbol, expression)
        Values of its free variables other than z (e.g. ``(w, G_c(z))``), as expressions in z
        and the unknowns.
    hints : tuple of (Function, expression)
        For an R- or S-transform Function: where the inversion that evaluates it starts.
    numeric : bool
        False for an identity between operators (the pencil L), which has no numeric value.
    """

    eq: Any
    at: tuple = ()
    hints: tuple = ()
    numeric: bool = True


@dataclass(frozen=True, eq=False)
class Unknown:
    """How to compute one unknown of a System (see the module docstring for the kinds)."""

    symbol: Any
    kind: str
    source: Any
    _memo: dict = field(default_factory=dict, repr=False)

    def law(self):
        """The law of a ``'cauchy'`` unknown (built once when ``source`` is a callable)."""
        if "law" not in self._memo:
            src = self.source
            self._memo["law"] = src() if isinstance(src, Lazy) else src
        return self._memo["law"]


class Lazy:
    """``fn(*args)``, computed on the first call and kept (the laws of intermediate levels of a
    long word, which the compiler never builds otherwise). Picklable when fn and args are; the
    cached value is not pickled."""

    __slots__ = ("fn", "args", "_value")

    def __init__(self, fn, *args):
        self.fn, self.args, self._value = fn, args, None

    def __call__(self):
        if self._value is None:
            self._value = self.fn(*self.args)
        return self._value

    def __getstate__(self):
        return (self.fn, self.args)

    def __setstate__(self, state):
        self.fn, self.args = state
        self._value = None


class TreeValue:
    """``(point, dps) -> law._unknowns_mp(point, dps)[key]`` (``[index]`` of it when given): an
    unknown of the law tree's Newton solution. ``law`` may be a :class:`Lazy`."""

    __slots__ = ("law", "key", "index")

    def __init__(self, law, key: str, index: int | None = None):
        self.law, self.key, self.index = law, key, index

    def __call__(self, pt, dps):
        law = self.law() if isinstance(self.law, Lazy) else self.law
        v = law._unknowns_mp(pt, dps)[self.key]
        return v if self.index is None else v[self.index]

    def __getstate__(self):
        return (self.law, self.key, self.index)

    def __setstate__(self, state):
        self.law, self.key, self.index = state


class LawLeaf:
    """The Cauchy transform of a ``'cauchy'`` :class:`Unknown` as a leaf of a numeric form:
    ``value(w, be)`` and ``derivative(w, be)`` on the numpy back end (complex arrays) or the
    mpmath one (at the caller's precision), anywhere off the real axis (the lower half plane by
    G(conj w) = conj G(w)).

    A law with a formula uses it (``_g``, ``_dg``); any other law is evaluated by its own
    solver (``law.cauchy``) and differentiated by a central difference with a step well inside
    the distance to the real axis (the Jacobian only steers Newton; the residual is exact).
    The law is built on first use (a :class:`Lazy` source)."""

    __slots__ = ("unknown",)

    def __init__(self, unknown: Unknown):
        self.unknown = unknown

    def _eval(self, w, be, deriv: bool):
        law = self.unknown.law()
        if not be.is_array:
            w = mpmath.mpmathify(w)
            if not mpmath.isfinite(w) or mpmath.im(w) == 0:
                return mpmath.mpc(mpmath.nan, mpmath.nan)
            if mpmath.im(w) < 0:
                return mpmath.conj(self._eval(mpmath.conj(w), be, deriv))
            try:
                return law._dg(w, be) if deriv else law._g(w, be)
            except NotImplementedError:
                pass
            if not deriv:
                return mpmath.mpc(law.cauchy(w, dps=mpmath.mp.dps))
            h = min(mpmath.mpf(10) ** (-(mpmath.mp.dps // 3)) * max(1, abs(w)),
                    mpmath.im(w) / 8)
            return (self._eval(w + h, be, False) - self._eval(w - h, be, False)) / (2 * h)
        w = np.asarray(w, dtype=complex)
        bad = ~np.isfinite(w) | (w.imag == 0)
        flip = w.imag < 0
        ww = np.where(bad, 1j, np.where(flip, np.conj(w), w))
        try:
            out = law._dg(ww, be) if deriv else law._g(ww, be)
        except NotImplementedError:
            if not deriv:
                out = np.asarray(law.cauchy(ww.ravel()), dtype=complex).reshape(ww.shape)
            else:
                h = np.minimum(6e-6 * np.maximum(1, np.abs(ww)), ww.imag / 8)
                out = (self._eval(ww + h, be, False) - self._eval(ww - h, be, False)) / (2 * h)
        out = np.asarray(out, dtype=complex) * np.ones(ww.shape)
        return np.where(bad, np.nan, np.where(flip, np.conj(out), out))

    def value(self, w, be):
        """G(w)."""
        return self._eval(w, be, False)

    def derivative(self, w, be):
        """G'(w)."""
        return self._eval(w, be, True)


_FUNCS = {
    "exp": mpmath.exp, "log": mpmath.log, "sin": mpmath.sin, "cos": mpmath.cos,
    "tan": mpmath.tan, "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh,
    "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan, "asinh": mpmath.asinh,
    "acosh": mpmath.acosh, "atanh": mpmath.atanh, "Abs": abs, "re": mpmath.re,
    "im": mpmath.im, "conjugate": mpmath.conj,
}


class Evaluator:
    """Values of the unknowns and of the equations of one System at one point z, in mpmath.

    Works at the caller's mpmath precision (the caller sets ``workdps``); laws are evaluated
    at ``dps + 5`` digits. Values are cached per (unknown, point).
    """

    def __init__(self, table: dict, z: Any, dps: int):
        self.table = table
        self.z = z
        self.dps = int(dps)
        self.cache: dict = {}
        self.symbols: dict = {sp.Symbol("z"): z}
        self.hints: dict = {}

    # unknowns --------------------------------------------------------------------------------
    def _unknown(self, sym) -> Unknown:
        u = self.table.get(sym)
        if u is None:
            raise UndeterminedError(f"the value of {sym} (no rule gave it a numeric definition)",
                                    [sym])
        return u

    def cauchy(self, u: Unknown, pt):
        law = u.law()
        d = self.dps + 5
        if mpmath.im(pt) < 0:
            return mpmath.conj(law.cauchy(mpmath.conj(pt), dps=d))
        return mpmath.mpc(law.cauchy(pt, dps=d))

    def function(self, f, pt):
        """The unknown function ``f`` (a sympy Function class) at the point ``pt``."""
        key = (f, pt, self.hints.get(f))
        if key in self.cache:
            return self.cache[key]
        u = self._unknown(f)
        if u.kind == "cauchy":
            val = self.cauchy(u, pt)
        elif u.kind == "function":
            val = u.source(pt, self.dps)
        elif u.kind in ("R", "S"):
            val = self._transform(u, pt)
        else:
            raise UndeterminedError(f"{f}(...): a {u.kind!r} unknown is not a function", [f])
        self.cache[key] = val
        return val

    def _transform(self, u: Unknown, arg):
        base = u.source
        hint = self.hints.get(u.symbol)
        if hint is None:
            raise UndeterminedError(f"{u.symbol}: no start for its inversion", [u.symbol])
        x0 = self.scalar(hint)
        if u.kind == "R":
            def f(x):
                return self.function(base, x) - arg
        else:
            def f(x):
                return x * self.function(base, x) - 1 - arg
        x = _secant(f, x0, self.dps, max(1, abs(arg)))
        if x is None:
            raise NoConvergence(f"inverting {u.source} to evaluate {u.symbol}", dps=self.dps,
                                point=arg, advice="evaluate the System at another z")
        return x - 1 / arg if u.kind == "R" else (1 + arg) / (arg * x)

    def value(self, sym):
        """A ``'value'`` unknown (a symbol or matrix symbol fixed by z)."""
        key = (sym, None)
        if key not in self.cache:
            u = self._unknown(sym)
            if u.kind == "cauchy":
                self.cache[key] = self.cauchy(u, self.z)
            elif u.kind == "value":
                self.cache[key] = u.source(self.z, self.dps)
            else:
                raise UndeterminedError(f"{sym}: a {u.kind!r} unknown needs an argument", [sym])
        return self.cache[key]

    # expressions -----------------------------------------------------------------------------
    def scalar(self, e):
        """A scalar sympy expression in z, the relation's variables and the unknowns."""
        if isinstance(e, (int, float, complex)) or isinstance(e, (mpmath.mpf, mpmath.mpc)):
            return mpmath.mpmathify(e)
        if e.is_Integer:
            return mpmath.mpf(int(e))
        if e.is_Rational:
            return mpmath.mpf(int(e.p)) / int(e.q)
        if e is sp.I:
            return mpmath.mpc(0, 1)
        if e.is_Symbol:
            if e in self.symbols:
                return self.symbols[e]
            if e in self.table:
                return self.value(e)
            raise UndeterminedError("the residual", [e])
        if isinstance(e, AppliedUndef):
            (arg,) = e.args
            return self.function(e.func, self.scalar(arg))
        if e.is_Add:
            return mpmath.fsum(self.scalar(a) for a in e.args)
        if e.is_Mul:
            return mpmath.fprod(self.scalar(a) for a in e.args)
        if e.is_Pow:
            b, x = e.args
            if x.is_Integer:
                return self.scalar(b) ** int(x)
            return mpmath.power(self.scalar(b), self.scalar(x))
        name = type(e).__name__
        if name in _FUNCS and len(e.args) == 1:
            return _FUNCS[name](self.scalar(e.args[0]))
        if e.is_number:
            return e._to_mpmath(mpmath.mp.prec)
        raise UndeterminedError(f"the value of {e} (no numeric rule for {name})", [])

    def matrix(self, e):
        """A matrix expression (the operator-valued equations) as an ``mpmath.matrix``."""
        if _is_literal(e):
            M = e.matrix
            return mpmath.matrix([[self.scalar(M[i, j]) for j in range(M.cols)]
                                  for i in range(M.rows)])
        if isinstance(e, sp.ZeroMatrix):
            return mpmath.zeros(*e.shape)
        if isinstance(e, sp.MatrixSymbol):
            return self.value(e)
        if isinstance(e, sp.MatAdd):
            out = None
            for a in e.args:
                v = self.matrix(a)
                out = v if out is None else out + v
            return out
        if isinstance(e, sp.MatMul):
            c = mpmath.mpf(1)
            out = None
            for a in e.args:
                if getattr(a, "is_Matrix", False):
                    v = self.matrix(a)
                    out = v if out is None else out * v
                else:
                    c = c * self.scalar(a)
            return out * c
        if isinstance(e, sp.Inverse):
            return self.matrix(e.arg) ** -1
        if isinstance(e, sp.Adjoint):
            return self.matrix(e.arg).transpose_conj()
        if isinstance(e, sp.Integral):
            return self._integral(e)
        raise UndeterminedError(f"the value of {e} (no numeric rule for {type(e).__name__})", [])

    def _integral(self, e):
        (lim,) = e.limits
        memo: dict = {}

        def at(t):
            if t not in memo:
                self.symbols[var] = t
                try:
                    memo[t] = self.matrix(e.function)
                finally:
                    del self.symbols[var]
            return memo[t]

        if len(lim) == 2:
            # int f(t) dmu(t) against a 'measure' unknown (a generator's law): its atoms plus
            # tanh-sinh over each band of its density (independent of the law's own G)
            var, mu = lim
            law = self._unknown(mu).law()
            d = self.dps + 5
            dens = lambda t: mpmath.mpmathify(law.density(t, dps=d))  # noqa: E731
            out = None
            for atom in law.atoms():
                term = at(self.scalar(sp.sympify(atom.location))) * \
                    self.scalar(sp.sympify(atom.mass))
                out = term if out is None else out + term
            for band in law.support(d):
                blo, bhi = self.scalar(sp.sympify(band.lo)), self.scalar(sp.sympify(band.hi))
                r = (bhi - blo) / 2

                # t = lo + r (1 - cos theta) (written without cancellation near lo):
                # dt = r sin(theta) dtheta absorbs the inverse square roots a density may have
                # at its band edges (free Poisson at 0)
                def integrand(th, lo=blo, r=r):
                    t = lo + 2 * r * mpmath.sin(th / 2) ** 2
                    return at(t) * (dens(t) * r * mpmath.sin(th))

                part = _quad_matrix(integrand, [0, mpmath.pi / 2, mpmath.pi])
                out = part if out is None else out + part
            return out
        var, lo, hi = lim
        lo, hi = self.scalar(lo), self.scalar(hi)
        # an integrand over a period (the unitary groups): split where tanh-sinh likes it
        return _quad_matrix(at, [lo + (hi - lo) * j / 4 for j in range(5)])

    def side(self, e):
        """A side of an equation: an mpmath number or matrix."""
        return self.matrix(e) if _is_matrix(e) else self.scalar(e)

    def residual(self, rel: Relation):
        """|lhs - rhs| / max(1, |lhs|, |rhs|) of one relation (largest entry for matrices)."""
        self.hints = {f: h for f, h in rel.hints}
        saved = dict(self.symbols)
        try:
            for s, ex in rel.at:
                self.symbols[s] = self.scalar(ex)
            lhs, rhs = self.side(rel.eq.lhs), self.side(rel.eq.rhs)
        finally:
            self.symbols = saved
            self.hints = {}
        return _size(lhs - rhs) / max(mpmath.mpf(1), _size(lhs), _size(rhs))


def _secant(f, x0, dps: int, scale, maxsteps: int = 30):
    """A root of f by the secant method from x0 (the law tree's value, already close), or None.

    Stops when the step is below 10^-(dps+8) relative; accepts the root when |f| is below
    10^-(dps+3) scale (f is computed from laws evaluated at dps + 5 digits).
    """
    small = mpmath.mpf(10) ** -(dps + 8)
    x_prev, x = x0, x0 * (1 + small * 10**4) + small
    f_prev = f(x_prev)
    for _ in range(maxsteps):
        fx = f(x)
        if fx == f_prev:
            break
        x_prev, f_prev, x = x, fx, x - fx * (x - x_prev) / (fx - f_prev)
        if abs(x - x_prev) <= small * max(1, abs(x)):
            break
    ok = mpmath.isfinite(x) and abs(f(x)) <= mpmath.mpf(10) ** -(dps + 3) * scale
    return x if ok else None


def _quad_matrix(f, pts):
    """Entrywise tanh-sinh integral of a matrix-valued f over the points ``pts``."""
    memo: dict = {}

    def g(t):
        if t not in memo:
            memo[t] = f(t)
        return memo[t]

    first = g(pts[0])
    return mpmath.matrix([[mpmath.quad(lambda t, i=i, j=j: g(t)[i, j], pts)
                           for j in range(first.cols)] for i in range(first.rows)])


def _size(v):
    if isinstance(v, mpmath.matrix):
        return max(abs(v[i, j]) for i in range(v.rows) for j in range(v.cols))
    return abs(v)


def _is_literal(e) -> bool:
    return isinstance(getattr(e, "matrix", None), sp.MatrixBase)


def _is_matrix(e) -> bool:
    if isinstance(e, sp.Integral):
        return _is_matrix(e.function)
    return bool(getattr(e, "is_Matrix", False)) or _is_literal(e)
