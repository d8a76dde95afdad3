"""Absolutely continuous laws: a law from its density, and Gaussian push-forwards.

* :func:`from_density` -- the law on [a, b] with a given density (sympy expression, sympy
  ``Lambda`` or Python callable);
* :func:`gaussian_pushforward` -- the law of f(h) for h ~ N(0, q). This is how activation
  derivatives enter deep-learning spectra (Pennington-Schoenholz-Ganguli 2017): the
  diagonal D = diag(phi'(h)) has the law of phi'(h). Atoms (f constant on a set of positive
  Gaussian measure) are found exactly from the Piecewise/Heaviside/Min/Max structure of a
  symbolic f, heuristically for a callable; the rest is a density.

Numerics (both laws) are done by the engine (:mod:`freealg.numeric.quadrature`,
:mod:`freealg.numeric.pushforward`): the density is a sum of pieces, either the density p(t)
itself on an interval (``from_density``; the support is cut at breakpoints; a sympy density is
evaluated near a and b as pdf(a + d), pdf(b - d) with the vanishing factors expanded, so sqrt
and inverse-sqrt edges keep the working precision), or a monotone branch x = X(s) of f carried
by the Gaussian weight w(s) = phi_q(s)/w_c (``gaussian_pushforward``: no root finding at the
quadrature nodes, and the inverse-square-root edges at critical values of f are integrated in
the smooth variable s). The Cauchy transform is subtracted, graded tanh-sinh quadrature.
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
from ..numeric.evaluators import (callable_evaluator, complex_pair, edge_local, evaluator,
                                  finite_difference, pair_evaluator, polish_critical)
from ..numeric.pushforward import (check_bounded, flat_parts, gaussian_expectation,
                                   gaussian_pieces, gaussian_weight, monotone_spans,
                                   refine_spans, tail_vanishes)
from ..numeric.quadrature import (Piece, cauchy_transform, check_density, edge_kind, integrate,
                                  pieces_density, support_density)
from .base import Atom, Band, Edge, Law, check, numeric_value
from .derived import Mixture
from .catalog import Bernoulli, Dirac, Discrete

__all__ = ["FromDensity", "GaussianPushforward", "from_density", "gaussian_pushforward"]

# The canonical variable of stored sympy functions: a Dummy with a fixed index, so that two
# laws built from the same expression in different symbols are equal, hash equally and pickle
# (the index travels with the pickle).
_X = sp.Dummy("x", dummy_index=7_432_019_311, real=True)
_XP = sp.Symbol("x")          # for printing only


# ============================================================================================
# canonical functions


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



def _to_sympy_number(v: Any, dps: int = 30) -> sp.Expr:
    with mpmath.workdps(dps + 5):
        return sp.Float(mpmath.mpf(v), dps)


# ============================================================================================
# the shared quadrature law


class _QuadratureLaw(Law):
    """A law with a density given as a sum of pieces (see the module docstring)."""

    __slots__ = ()

    # subclasses implement _build_pieces(be) (for MP at the current mpmath precision),
    # _support() and _edges()

    _cauchy_strategies = ("quadrature",)

    def _pieces(self, be) -> list:
        key = "pieces_np" if be is NP else ("pieces_mp", mpmath.mp.prec)
        return self._memo(key, lambda: self._build_pieces(be))

    def _build_pieces(self, be) -> list:
        raise NotImplementedError

    # Cauchy transform (the engine: freealg.numeric.quadrature) ----------------------------
    def _gdg(self, z, be, want_d: bool):
        if be is NP:
            G, dG, _ = cauchy_transform(self._pieces(NP), z, NP, want_d)
            return G, dG
        with mpmath.workprec(mpmath.mp.prec + 20):   # the pieces at the engine's precision
            pieces = self._pieces(MP)
        G, dG, _ = cauchy_transform(pieces, z, MP, want_d)
        return G, dG

    def _g(self, z, be):
        return self._gdg(z, be, False)[0]

    def _dg(self, z, be):
        return self._gdg(z, be, True)[1]

    def _g_dual(self, zeta, w, be, ctx):
        ctx.pts.append(zeta.v)
        g, dg = self._gdg(zeta.v, be, True)
        return zeta.apply(g, dg)

    # numeric integrals ------------------------------------------------------------------
    def _integrate(self, g: Callable, be, dps: int = 30) -> Any:
        """int g(x) rho(x) dx over the support: float64, or ``dps`` digits (g analytic)."""
        if be is NP:
            return integrate(self._pieces(NP), g, NP)
        with mpmath.workdps(dps + 10):
            pieces = self._pieces(MP)
        return integrate(pieces, g, MP, dps)

    def _mean_float(self) -> float:
        return self._memo("mean_float", lambda: self._integrate(lambda t: t, NP))

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

        def build():
            pdf, a, b, _ = self._args
            if self._is_symbolic:
                e = self._expr()
                out = {"p": evaluator(e, _X, be),
                       "wL": evaluator(edge_local(e, _X, a, 1), _X, be),
                       "wR": evaluator(edge_local(e, _X, b, -1), _X, be)}
                try:
                    out["dp"] = evaluator(sp.diff(e, _X), _X, be)
                except Exception:  # noqa: BLE001
                    out["dp"] = finite_difference(out["p"], be, width=float(b) - float(a))
                return out
            p = callable_evaluator(pdf, be)
            A, B = numeric_value(a, be), numeric_value(b, be)
            return {"p": p, "wL": lambda d: p(A + d), "wR": lambda d: p(B - d),
                    "dp": finite_difference(p, be, width=float(b) - float(a))}

        return self._memo(("fns", be.name), build)

    def _build_pieces(self, be) -> list:
        self._require_numeric()
        _, a, b, _ = self._args
        f = self._fns(be)
        A, B = numeric_value(a, be), numeric_value(b, be)
        cuts = [A] + [numeric_value(p, be) for p in self._breaks()] + [B]
        return [Piece.density(f["p"], s0, s1, dp=f["dp"], wL=f["wL"], wR=f["wR"], A=A, B=B)
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
        check_density(self._fns(NP)["p"], a, b, self._display_pdf())
        total = self._integrate(lambda t: 1.0, NP)
        if not (abs(total - 1) <= 1e-8):
            total = float(self._integrate(lambda t: 1, MP, dps=20))
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
                    num = self._integrate(lambda t: t**k, MP, dps=20)
                    if abs(complex(ex.evalf(30)) - complex(num)) <= 1e-12 * (1 + abs(num)):
                        return ex
            self._require_numeric()
            return _to_sympy_number(self._integrate(lambda t: t**k, MP, dps=30))

        return self._memo(("moment", k), compute)

    def _moments_exact(self, n: int) -> list:
        return [self._moment_k(k) for k in range(1, n + 1)]

    # numeric public hooks -----------------------------------------------------------------
    def _density_np(self, x):
        return support_density(self._support_piece(NP), x, NP)

    def _density_mp(self, x, dps):
        with mpmath.workdps(dps + 5):
            out = support_density(self._support_piece(MP), mpmath.mpf(x), MP)
        with mpmath.workdps(dps):
            return +out

    def _support_piece(self, be) -> Piece:
        """The density on the whole support [a, b] (evaluated from the nearer end)."""
        self._require_numeric()
        _, a, b, _ = self._args
        f = self._fns(be)
        return Piece.density(f["p"], numeric_value(a, be), numeric_value(b, be), wL=f["wL"],
                             wR=f["wR"])

    def _hull_float(self):
        _, a, b, _ = self._args
        return float(numeric_value(a, NP)), float(numeric_value(b, NP))

    def _support(self, dps: int, method: str | None = None) -> list[Band]:
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
            return edge_kind(self._support_piece(MP), end)

    def _edges(self, dps: int, method: str | None = None) -> list[Edge]:
        _, a, b, _ = self._args
        return self._memo("edges", lambda: [Edge(a, self._edge_kind("left"), 0, "left"),
                                            Edge(b, self._edge_kind("right"), 0, "right")])



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
        check_bounded(evaluator(expr, _X, NP), float(lo), float(hi), scale, lam)
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


def _numeric_plan(fnp: Callable, q: float) -> _Plan:
    """Heuristic atoms of a numeric f (:func:`~freealg.numeric.pushforward.flat_parts`)."""
    atoms, spans = flat_parts(fnp, q)
    pieces = tuple((lo, hi, None) for lo, hi in spans)
    atom_list = tuple(sorted(((sp.Integer(int(c)) if float(c).is_integer() else sp.Float(c, 17),
                               sp.Float(m, 17)) for c, m in atoms), key=lambda lm: float(lm[0])))
    wc = (sp.Float(1.0 - sum(m for _, m in atoms), 17) if pieces else sp.S.Zero)
    return _Plan(atom_list, pieces, wc, False)


@functools.lru_cache(maxsize=128)
def _plan(fobj: Any, q: sp.Expr) -> _Plan:
    if isinstance(fobj, sp.Lambda):
        p = _symbolic_plan(fobj, q)
        if p is not None:
            return p
        fnp = evaluator(_prepare(_body(fobj)), _X, NP)
    else:
        fnp = callable_evaluator(fobj, NP)
    if q.free_symbols:
        raise UndeterminedError("the atoms of f(h) (numeric detection needs a numeric variance)",
                                sorted(q.free_symbols, key=str))
    return _numeric_plan(fnp, float(q))



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

    def _maps(self, be):
        """Evaluators (X, dX, d2X, (X, X'), complex (X, X') or None) per piece."""

        def build():
            out = []
            f = self._args[0]
            for _lo, _hi, e, d1, d2 in self._piece_exprs():
                if e is None:
                    X = callable_evaluator(f, be)
                    out.append((X, finite_difference(X, be, 1), finite_difference(X, be, 2),
                                None, None))
                else:
                    out.append((evaluator(e, _X, be), evaluator(d1, _X, be),
                                evaluator(d2, _X, be), pair_evaluator(e, d1, _X, be),
                                complex_pair(e, d1, _X, be)))
            return out

        return self._memo(("maps", be.name), build)

    def _build_pieces(self, be) -> list:
        """Monotone pieces of f with the Gaussian weight (:mod:`freealg.numeric.pushforward`);
        float64 tails truncated where their mass is below 1e-20, mpmath ones below
        10^-(dps+10)."""
        w, dw = gaussian_weight(self._q(be), numeric_value(self._plan().wc, be), be)
        if be is NP:
            spans = monotone_spans([(float(lo), float(hi)) for lo, hi, *_ in self._piece_exprs()],
                                   [m[1] for m in self._maps(NP)], float(self._q(NP)))
        else:
            exprs = self._piece_exprs()
            spans = refine_spans(self._pieces(NP), self._maps(MP),
                                 lambda i, k: numeric_value(exprs[i][k], MP), self._q(MP))
        return gaussian_pieces(spans, self._maps(be), w, dw)

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

                def end(v, inf):
                    return inf if not sp.sympify(v).is_finite else numeric_value(v, MP)

                tot = gaussian_expectation(
                    [lambda s, X=m[0]: X(s) ** k for m in self._maps(MP)],
                    [(end(lo, -mpmath.inf), end(hi, mpmath.inf)) for lo, hi, *_ in
                     self._piece_exprs()], numeric_value(q, MP))
                tot /= numeric_value(plan.wc, MP)
            return _to_sympy_number(tot)

        return self._memo(("moment", k), compute)

    # numeric public hooks -----------------------------------------------------------------
    def _density_np(self, x):
        return pieces_density(self._pieces(NP), x, NP)

    def _density_mp(self, x, dps):
        with mpmath.workdps(dps + 5):
            out = pieces_density(self._pieces(MP), mpmath.mpf(x), MP)
        with mpmath.workdps(dps):
            return +out

    def _hull_float(self):
        ps = self._pieces(NP)
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
                maps = self._maps(MP)[idx]
                sv = polish_critical(maps[1], maps[2], s)
            else:
                sv = mpmath.mpf(s)
            return _to_sympy_number(evaluator(e, _X, MP)(sv), 20)

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
        """Whether the density vanishes along the Gaussian tail of piece idx (60 digits)."""
        with mpmath.workdps(60):
            return tail_vanishes(self._q(MP), numeric_value(self._plan().wc, MP),
                                 self._maps(MP)[idx][1], s, width)

    def _support(self, dps: int, method: str | None = None) -> list[Band]:
        return self._bands_and_edges()[0]

    def _edges(self, dps: int, method: str | None = None) -> list[Edge]:
        return self._bands_and_edges()[1]



def gaussian_pushforward(f: Any, variance: Any) -> Law:
    """The law of f(h) for h ~ N(0, variance): atoms where f is flat, a density elsewhere.

    This is the law of the diagonal activation-derivative matrices D = diag(phi'(h)) of deep
    networks (Pennington-Schoenholz-Ganguli 2017): ReLU' gives bernoulli(1/2),
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
        :class:`~freealg.laws.derived.Mixture` of Diracs and the continuous part.

    Raises
    ------
    InvalidParameterError
        variance <= 0, or f unbounded.
    UndeterminedError
        a callable f with a symbolic variance.
    """

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
