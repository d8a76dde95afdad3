"""Laws given by a function: canonical function parameters, and the quadrature model of a law
with a density on [a, b].

A law parameter that is a function (a density, an activation) is stored canonically: a sympy
``Lambda`` in the variable :data:`X` (a Dummy with a fixed index, so that two laws built from the
same expression in different symbols are equal, hash equally and pickle), or a hashable Python
callable. :class:`QuadratureModel` holds the quadrature pieces of a law's density per back end
and precision and answers G, G', integrals and the density; :class:`DensityModel` is the model
of ``from_density`` (breakpoints, evaluators, validation, moments, edge kinds). This engine
module works on sympy expressions and callables (duck typing): it does not import
``freealg.laws``.

Examples
--------
>>> import sympy as sp
>>> m = DensityModel(sp.Lambda(X, 3 * X**2 / 2), sp.S(-1), sp.S(1), (), "3 x^2/2", "law", [])
>>> m.moment(2), [e.kind for e in m.edges()]
(3/5, ['hard', 'hard'])
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import MP, NP, Backend
from .evaluators import callable_evaluator, edge_local, evaluator, finite_difference
from .leaf import ClosedFormDensity, to_backend
from .quadrature import (Piece, cauchy_transform, check_density, edge_kind, far_gdg,
                         far_levels, far_moments, far_nodes_of, integrate,
                         tanh_sinh_masses,
                         support_density)
from .records import Band, Edge

__all__ = ["X", "canonical_function", "body", "prepare", "to_sympy_number", "exact_integral",
           "QuadratureModel", "QuadratureHooks", "DensityModel"]

#: The canonical variable of stored sympy functions (fixed index: equal laws hash equally and
#: the index travels with a pickle).
X = sp.Dummy("x", dummy_index=7_432_019_311, real=True)


def canonical_function(f: Any, what: str) -> tuple[str, Any]:
    """('sympy', Lambda(X, expr)) or ('callable', f) for a function parameter ``what`` of a
    law; strings are refused (never evaluated).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> kind, lam = canonical_function(t**2, "f")
    >>> kind, lam == sp.Lambda(X, X**2)
    ('sympy', True)
    >>> canonical_function("t**2", "f")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid f='t**2': strings are never evaluated; ...
    """
    if isinstance(f, (str, bytes)):
        raise InvalidParameterError(what, f, "strings are never evaluated; pass a sympy "
                                             "expression, a sympy Lambda or a Python callable")
    if isinstance(f, sp.Lambda):
        if len(f.variables) != 1:
            raise InvalidParameterError(what, f, "the Lambda must take exactly one variable")
        expr = f.expr.xreplace({f.variables[0]: X})
    elif isinstance(f, sp.FunctionClass):
        expr = f(X)
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
            expr = expr.xreplace({syms.pop(): X})
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
    return "sympy", sp.Lambda(X, expr)


def body(lam: sp.Lambda) -> sp.Expr:
    """The body of a one-variable Lambda in the canonical variable (sympy may substitute its
    own Dummy, e.g. Lambda(x, x) is the IdentityFunction singleton).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> body(sp.Lambda(t, t)) == X
    True
    """
    v = lam.variables[0]
    return lam.expr if v == X else lam.expr.xreplace({v: X})


def prepare(expr: sp.Expr) -> sp.Expr:
    """Rewrite step-like functions as Piecewise (for lambdify, diff and piece detection).

    Examples
    --------
    >>> import sympy as sp
    >>> prepare(sp.Max(0, X)) == sp.Piecewise((0, X <= 0), (X, True))
    True
    """
    return _prepared(expr)


@functools.lru_cache(maxsize=256)
def _prepared(expr: sp.Expr) -> sp.Expr:
    """:func:`prepare`, kept per expression (every layer of an MLP rewrites the same
    derivative, 0.2 s each for hard-tanh's)."""
    types = (sp.Heaviside, sp.Min, sp.Max, sp.Abs, sp.sign)
    if expr.has(*types):
        expr = expr.replace(lambda e: isinstance(e, types), lambda e: e.rewrite(sp.Piecewise))
        expr = sp.piecewise_fold(expr)
    return expr


def to_sympy_number(v: Any, dps: int = 30) -> sp.Expr:
    """An mpmath value as a sympy Float of ``dps`` digits.

    Examples
    --------
    >>> with mpmath.workdps(40):
    ...     to_sympy_number(mpmath.pi, 25)
    3.141592653589793238462643
    """
    with mpmath.workdps(dps + 5):
        return sp.Float(mpmath.mpf(v), dps)


@functools.lru_cache(maxsize=256)
def exact_integral(expr: sp.Expr, a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    """int_a^b expr dX by sympy's fast manual integrator; None when it leaves an Integral.

    Examples
    --------
    >>> exact_integral(3 * X**2 / 2, -1, 1)
    1
    """
    try:
        r = sp.integrate(expr, (X, a, b), manual=True)
    except Exception:  # noqa: BLE001 - sympy raises many things on hard integrals
        return None
    if r.has(sp.Integral) or r.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return r


class QuadratureModel:
    """The density of a law as quadrature pieces (:mod:`freealg.numeric.quadrature`), cached per
    back end and precision, with G, G', integrals and the mean. Subclasses build the pieces.

    Examples
    --------
    >>> import numpy as np
    >>> class Flat(QuadratureModel):
    ...     def _build_pieces(self, be):
    ...         return [Piece.density(lambda t: 0.5 + 0 * t, be.mpf(-1), be.mpf(1))]
    >>> G, _ = Flat().gdg(np.array([2.0 + 0j]), NP, False)        # log(3)/2
    >>> bool(abs(G[0] - np.log(3) / 2) < 1e-14), abs(Flat().mean_float()) < 1e-15
    (True, True)
    """

    def __init__(self) -> None:
        self._cache: dict = {}

    def _memo(self, key: Any, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def _build_pieces(self, be: Backend) -> list:
        raise NotImplementedError

    def pieces(self, be: Backend) -> list:
        """The pieces for ``be`` (mpmath: at the working precision).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> [(p.lo, p.hi) for p in m.pieces(NP)]
        [(-1.0, 1.0)]
        """
        key = "pieces_np" if be is NP else ("pieces_mp", mpmath.mp.prec)
        return self._memo(key, lambda: self._build_pieces(be))

    def gdg(self, z: Any, be: Backend, want_d: bool) -> tuple:
        """(G(z), G'(z) or None).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> with mpmath.workdps(20):      # (log(z + 1) - log(z - 1))/2 at z = 3: log(2)/2
        ...     G, dG = m.gdg(mpmath.mpc(3), MP, True)
        ...     bool(abs(G - mpmath.log(2) / 2) < 1e-18), bool(abs(dG + mpmath.mpf(1) / 8) < 1e-18)
        (True, True)
        """
        if be is NP:
            # point masses where they are certified (off the support: no quadrature of a
            # near-pole), the quadrature of the pieces elsewhere
            z = np.asarray(z, dtype=complex)
            G, dG, ok = far_gdg(self._far_levels(), z, want_d, *self._far_span())
            if not ok.all():
                k = ~ok
                g, dg = self._gdg_np(z[k], want_d)
                G[k] = g
                if want_d:
                    dG[k] = dg
            return G, dG
        with mpmath.workprec(mpmath.mp.prec + 20):   # the pieces at the engine's precision
            pieces = self.pieces(MP)
        G, dG, _ = cauchy_transform(pieces, z, MP, want_d)
        return G, dG

    def _gdg_np(self, z: Any, want_d: bool) -> tuple:
        """(G, G' or None) in float64 where the point masses are not certified: the
        quadrature of the pieces (a model may use a faster certified method first)."""
        G, dG, _ = cauchy_transform(self.pieces(NP), z, NP, want_d)
        return G, dG

    def far_nodes(self) -> tuple:
        """Float64 point masses (t, W, W2) of the density: the tanh-sinh rule and the rule of
        twice the step (:func:`freealg.numeric.quadrature.far_nodes`), kept.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> t, W, W2 = m.far_nodes()
        >>> round(float(sum(W)), 14), round(float(sum(W2)), 14)
        (1.0, 1.0)
        """
        return self._memo("far_nodes", lambda: far_nodes_of(self._far_levels()))

    def nodes(self, h: float) -> tuple:
        """Float64 point masses (t, W) of the density: the tanh-sinh rule of step ``h`` on each
        piece (:func:`freealg.numeric.quadrature.tanh_sinh_masses`), kept per step.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> t, W = m.nodes(1 / 8)
        >>> len(t), round(float(sum(W)), 14)
        (65, 1.0)
        """
        return self._memo(("nodes", float(h)), lambda: tanh_sinh_masses(self.pieces(NP),
                                                                         float(h)))

    def _far_levels(self) -> tuple:
        """The leveled point masses (:func:`freealg.numeric.quadrature.far_levels`), kept:
        :meth:`gdg` and :meth:`far_nodes` share them."""
        return self._memo("far_levels", lambda: far_levels(self.pieces(NP)))

    def _far_span(self) -> tuple:
        """(lo, hi): the float64 segment that carries the pieces, kept."""
        def span():
            pcs = self.pieces(NP)
            return (min((float(p.lo) for p in pcs), default=0.0),
                    max((float(p.hi) for p in pcs), default=0.0))

        return self._memo("far_span", span)

    def far_moments(self, x0: Any, K: int) -> tuple:
        """(c, err): c_k = int rho(t) (x0 - t)^-(k+1) dt, k = 0..K, at a real x0 beyond the
        support, at the working precision (:func:`freealg.numeric.quadrature.far_moments`;
        a list of points off the support gives a list of moment lists from one pass).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> with mpmath.workdps(20):      # c_1 = -G'(3) = 1/8
        ...     c, _ = m.far_moments(mpmath.mpf(3), 1)
        ...     bool(abs(c[1] - mpmath.mpf(1) / 8) < 1e-18)
        True
        """
        with mpmath.workprec(mpmath.mp.prec + 20):   # the pieces at the engine's precision
            pieces = self.pieces(MP)
        return far_moments(pieces, x0, K)

    def integrate(self, g: Callable, be: Backend, dps: int = 30) -> Any:
        """int g(x) rho(x) dx over the support: float64, or ``dps`` digits (g analytic).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> mpmath.nstr(m.integrate(lambda t: t**2, MP, dps=20), 20)      # 1/3
        '0.33333333333333333333'
        """
        if be is NP:
            return integrate(self.pieces(NP), g, NP)
        with mpmath.workdps(dps + 10):
            pieces = self.pieces(MP)
        return integrate(pieces, g, MP, dps)

    def mean_float(self) -> float:
        """The mean in float64 (cached).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> abs(m.mean_float()) < 1e-15
        True
        """
        return self._memo("mean_float", lambda: self.integrate(lambda t: t, NP))


class QuadratureHooks(ClosedFormDensity):
    """Mixin: the numeric hooks of a law (G, G', the density, moments, mean, hull, support,
    edges) answered by its :class:`QuadratureModel`, built once by ``_make_model()`` and kept
    in the law's cache (``_memo``).

    Examples
    --------
    >>> import sympy as sp
    >>> class Law3x2(QuadratureHooks):
    ...     def _memo(self, key, fn):
    ...         return fn()
    ...     def _make_model(self):
    ...         return DensityModel(sp.Lambda(X, 3 * X**2 / 2), -1, 1, (), "pdf", "law", [])
    >>> Law3x2()._moments_exact(2), Law3x2()._hull_float()
    ([0, 3/5], (-1.0, 1.0))
    """

    __slots__ = ()

    def _make_model(self) -> QuadratureModel:
        raise NotImplementedError

    def _model(self) -> Any:
        return self._memo("model", self._make_model)   # type: ignore[attr-defined]

    def _g(self, z: Any, be: Backend) -> Any:
        return self._model().gdg(z, be, False)[0]

    def _dg(self, z: Any, be: Backend) -> Any:
        return self._model().gdg(z, be, True)[1]

    def _g_dual(self, zeta: Any, w: Any, be: Backend, ctx: Any) -> Any:
        ctx.pts.append(zeta.v)
        return zeta.apply(*self._model().gdg(zeta.v, be, True))

    def _rho(self, x: Any, be: Backend) -> Any:
        return self._model().density(x, be)

    def _moments_exact(self, n: int) -> list:
        return [self._model().moment(k) for k in range(1, n + 1)]

    def _mean_float(self) -> float:
        return self._model().mean_float()

    def _hull_float(self) -> tuple[float, float]:
        return self._model().hull_float()

    def _support(self, dps: int, method: str | None = None) -> list:
        return self._model().support()

    def _bands_proven(self, dps: int, method: str | None = None) -> bool:
        # the support by theorem (a model that proves its bands, e.g. a continuous push-forward)
        proven = getattr(self._model(), "bands_proven", None)
        return bool(proven is not None and proven())

    def _edges(self, dps: int, method: str | None = None) -> list:
        return self._model().edges()

    def _params(self, be: Backend) -> tuple:  # no numeric parameters through the base protocol
        return ()


class DensityModel(QuadratureModel):
    """The model of the law on [a, b] with density ``pdf`` (a Lambda in :data:`X` or a
    callable) and interior breakpoints ``bps``; ``shown`` names the pdf in errors, ``name`` the
    law, ``free`` lists the law's free symbols. The density is cut at the breakpoints (exact ones,
    and those of Piecewise/Abs/Heaviside in a sympy pdf); near a and b a sympy pdf is evaluated
    as pdf(a + d), pdf(b - d) with the vanishing factors expanded.

    Examples
    --------
    >>> import sympy as sp
    >>> m = DensityModel(sp.Lambda(X, sp.sqrt(1 - X**2) * 2 / sp.pi), -1, 1, (), "pdf", "law", [])
    >>> m.moment(2), m.edge_kind("right")          # semicircle of variance 1/4
    (1/4, 'soft')
    """

    def __init__(self, pdf: Any, a: Any, b: Any, bps: tuple, shown: Any, name: str,
                 free: list):
        super().__init__()
        self.pdf, self.a, self.b, self.bps, self.shown = pdf, a, b, bps, shown
        self.name, self.free = name, free
        self.symbolic = isinstance(pdf, sp.Lambda)

    def _expr(self) -> sp.Expr:
        return self._memo("expr", lambda: prepare(body(self.pdf)))

    def _require_numeric(self) -> None:
        if self.free:
            raise UndeterminedError("numeric values of " + self.name, self.free)

    def breaks(self) -> list:
        """All interior breakpoints (exact), sorted: the given ones and those of the
        Piecewise/Abs/Heaviside structure of a sympy pdf.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, 1 - sp.Abs(X)), -1, 1, (), "1 - |x|", "law", [])
        >>> m.breaks()
        [0]
        """

        def build():
            pts = set(self.bps)
            if self.symbolic and self._expr().has(sp.Piecewise):
                for pw in self._expr().atoms(sp.Piecewise):
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
            for p in map(sp.sympify, pts):
                if p.is_finite is False or p.free_symbols:
                    continue
                if sp.sympify(p > self.a) == sp.true and sp.sympify(p < self.b) == sp.true:
                    out.append(p)
            return sorted(set(out), key=lambda p: float(p))

        return self._memo("breaks", build)

    def _fns(self, be: Backend) -> dict:
        """Numeric evaluators: pdf, its derivative, and the edge-local forms."""

        def build():
            a, b = self.a, self.b
            if self.symbolic:
                e = self._expr()
                out = {"p": evaluator(e, X, be), "wL": evaluator(edge_local(e, X, a, 1), X, be),
                       "wR": evaluator(edge_local(e, X, b, -1), X, be)}
                try:
                    out["dp"] = evaluator(sp.diff(e, X), X, be)
                except Exception:  # noqa: BLE001
                    out["dp"] = finite_difference(out["p"], be, width=float(b) - float(a))
                return out
            p = callable_evaluator(self.pdf, be)
            A, B = to_backend(a, be), to_backend(b, be)
            return {"p": p, "wL": lambda d: p(A + d), "wR": lambda d: p(B - d),
                    "dp": finite_difference(p, be, width=float(b) - float(a))}

        return self._memo(("fns", be.name), build)

    def _build_pieces(self, be: Backend) -> list:
        self._require_numeric()
        f = self._fns(be)
        A, B = to_backend(self.a, be), to_backend(self.b, be)
        cuts = [A] + [to_backend(p, be) for p in self.breaks()] + [B]
        return [Piece.density(f["p"], s0, s1, dp=f["dp"], wL=f["wL"], wR=f["wR"], A=A, B=B)
                for s0, s1 in zip(cuts[:-1], cuts[1:])]

    def _support_piece(self, be: Backend) -> Piece:
        """The density on the whole support [a, b] (evaluated from the nearer end)."""
        self._require_numeric()
        f = self._fns(be)
        return Piece.density(f["p"], to_backend(self.a, be), to_backend(self.b, be), wL=f["wL"],
                             wR=f["wR"])

    def validate(self) -> None:
        """Refuse a pdf that is negative or does not integrate to 1 (exactly when sympy's
        manual integrator does the integral and the pdf has exact coefficients, else to 1e-8
        numerically; with symbolic parameters only the exact check).

        Examples
        --------
        >>> import sympy as sp
        >>> DensityModel(sp.Lambda(X, X), 0, 1, (), "x", "law", []).validate()
        Traceback (most recent call last):
        ...
        freealg.errors.InvalidParameterError: invalid pdf='x': the density must integrate to 1 ...
        """
        a, b, shown = self.a, self.b, self.shown

        def refuse(total):
            raise InvalidParameterError("pdf", shown, f"the density must integrate to 1 over "
                                                      f"[{a}, {b}] (it integrates to {total})")

        if self.symbolic and self.free:
            total = exact_integral(self._expr(), a, b)
            if total is not None:
                d = sp.simplify(total - 1)
                if d.is_zero is False and not d.free_symbols:
                    refuse(total)
            return
        check_density(self._fns(NP)["p"], a, b, shown)
        total = self.integrate(lambda t: 1.0, NP)
        if not (abs(total - 1) <= 1e-8):
            total = float(self.integrate(lambda t: 1, MP, dps=20))
        if not (abs(total - 1) <= 1e-8):
            refuse(f"{total:.12g}")
        if self.symbolic and not self._expr().has(sp.Float):
            exact = exact_integral(self._expr(), a, b)
            if exact is not None:
                d = sp.simplify(exact - 1)
                if d != 0 and d.is_number and abs(complex(d.evalf(50))) > 1e-40:
                    raise InvalidParameterError("pdf", shown, f"the density must integrate to "
                                                              f"exactly 1 (it integrates to "
                                                              f"{sp.simplify(exact)})")

    def moment(self, k: int) -> Any:
        """m_k: sympy's manual integrator when it succeeds (cross-checked against 20-digit
        quadrature), else 30-digit quadrature as a sympy Float.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> m.moment(2)
        1/3
        """

        def compute():
            if self.symbolic:
                ex = exact_integral(self._expr() * X**k, self.a, self.b)
                if ex is not None:
                    ex = sp.simplify(ex)
                    if ex.free_symbols:
                        return ex
                    # guard against wrong sympy results (they are O(1) wrong, not 1e-15)
                    num = self.integrate(lambda t: t**k, MP, dps=20)
                    if abs(complex(ex.evalf(30)) - complex(num)) <= 1e-12 * (1 + abs(num)):
                        return ex
            self._require_numeric()
            return to_sympy_number(self.integrate(lambda t: t**k, MP, dps=30))

        return self._memo(("moment", k), compute)

    def density(self, x: Any, be: Backend) -> Any:
        """The density at x (float64 array or one mpf), 0 outside [a, b].

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> m.density([0.0, 2.0], NP)
        array([0.5, 0. ])
        """
        return support_density(self._support_piece(be), x, be)

    def edge_kind(self, end: str) -> str:
        """'soft' where the density vanishes at the ``end`` ('left' or 'right'), else 'hard'.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> m.edge_kind("left")
        'hard'
        """
        e = self.a if end == "left" else self.b
        if self.symbolic:
            v = self._expr().xreplace({X: e})
            if v.is_number and v.is_finite:
                return "soft" if v == 0 else "hard"
        if self.free:
            return "hard"
        with mpmath.workdps(30):
            return edge_kind(self._support_piece(MP), end)

    def hull_float(self) -> tuple[float, float]:
        """(a, b) as floats.

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> m.hull_float()
        (-1.0, 1.0)
        """
        return float(to_backend(self.a, NP)), float(to_backend(self.b, NP))

    def support(self) -> list:
        """[Band(a, b)].

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> m.support()
        [Band(lo=-1, hi=1)]
        """
        return [Band(self.a, self.b)]

    def edges(self) -> list:
        """The two edges with their kinds (cached).

        Examples
        --------
        >>> import sympy as sp
        >>> m = DensityModel(sp.Lambda(X, sp.S(1) / 2), -1, 1, (), "1/2", "uniform", [])
        >>> [(e.location, e.kind) for e in m.edges()]
        [(-1, 'hard'), (1, 'hard')]
        """
        return self._memo("edges", lambda: [Edge(self.a, self.edge_kind("left"), 0, "left"),
                                           Edge(self.b, self.edge_kind("right"), 0, "right")])
