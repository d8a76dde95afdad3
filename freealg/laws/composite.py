"""The machinery shared by composite laws: one Newton system per law tree, and the engines.

A composite law (⊞, ⊠, powers, compressions, affine maps, mixtures) contributes unknowns
(subordination functions) to one Newton system that is continued from z = x + iY down to the
real axis (``freealg.kernels.continuation``). :class:`_Composite` also chooses among the
engines of ``freealg.numeric``: the algebraic curve (``'curve'``), the S-transform form
(``'s_transform'``) and the subordination solver itself.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..errors import FreeAlgError, NoConvergence
from ..kernels.continuation import polish_mp, solve_mp, solve_np
from ..kernels.dual import Dual
from ..numeric.curve import AlgebraicCurve
from ..numeric.dispatch import record
from ..numeric.edges import edge_exponent as _edge_exponent
from ..numeric.edges import edge_kind as _edge_kind
from ..numeric.edges import bands_from_edges, numeric_edges
from .base import Atom, Edge, EvalContext, Law

_z, _G, _w = sp.symbols("z G w")


def _primitive(expr, G, z):
    """Drop constant factors and powers of z, G that divide the whole polynomial."""
    poly = sp.Poly(expr, G, z)
    _, poly = poly.primitive()
    f = sp.factor_list(poly.as_expr())
    out = sp.S.One
    for fac, mult in f[1]:
        if fac.free_symbols and sp.Poly(fac, G, z).total_degree() > 0 and fac not in (G, z):
            out *= fac**mult
    out = sp.expand(out) if out != 1 else poly.as_expr()
    return -out if sp.Poly(out, G, z).LC() < 0 else out


def _curve_from_r(R, z=None, G=None):
    if R is None:
        return None
    z = _z if z is None else sp.sympify(z)
    G = _G if G is None else sp.sympify(G)
    expr = sp.together(R.subs(_w, G) + 1 / G - z)
    num = sp.numer(expr)
    if not num.is_polynomial(G, z):
        return None
    return sp.Poly(_primitive(sp.expand(num), G, z), G, z)


def _merge_atoms(pairs) -> list[Atom]:
    acc: dict = {}
    for loc, mass in pairs:
        loc = sp.nsimplify(loc) if isinstance(loc, (int,)) else sp.sympify(loc)
        acc[loc] = acc.get(loc, sp.S.Zero) + mass
    out = [Atom(loc, sp.simplify(m) if sp.sympify(m).free_symbols else m)
           for loc, m in acc.items() if sp.sympify(m) != 0]
    try:
        out.sort(key=lambda a: float(a.location))
    except TypeError:
        pass
    return out


def _positive(x) -> bool:
    """True when x > 0 surely (symbolic parameters: when sympy can decide)."""
    v = sp.sympify(x)
    if v.free_symbols:
        return bool((v > 0) == sp.true)
    return bool(v > 0)


class _Composite(Law):
    """Shared numeric machinery of laws defined through a Newton system."""

    __slots__ = ()

    def _system(self):
        return self._memo("system", lambda: _RootSystem(self))

    _edge_strategies = ("fold",)

    def _strategies(self, quantity: str) -> tuple:
        engines = ("s_transform",) if self._s_form() is not None else ()
        if quantity in ("cauchy", "density"):
            if self._nunk == 0:
                return ("formula",)
            curve = ("curve",) if self._curve_engine() is not None else ()
            return curve + engines + ("subordination", "polish", "path")
        if quantity in ("edges", "support"):
            curve = ("curve",) if self._curve_engine(eliminate=True) is not None else ()
            return curve + engines + self._edge_strategies
        return super()._strategies(quantity)

    def _s_form(self):
        return None

    #: largest degree in G of a curve the engine solves (companion matrices of that size per
    #: point); beyond it subordination is faster
    _CURVE_MAX_DEGREE = 8

    def _curve_engine(self, eliminate: bool = False):
        """The algebraic-curve engine (``freealg.numeric.curve``) of this law's curve, or
        None when it has none, it has symbols, or its degree exceeds ``_CURVE_MAX_DEGREE``.
        With ``eliminate`` a law whose ``curve()`` is None tries the resultant of its
        children's curves (0.1-1 s, memoised; used for edges)."""
        def build():
            bound = self._curve_degree_bound()
            if self.free_symbols or (bound is not None and bound > self._CURVE_MAX_DEGREE):
                return None
            if eliminate:
                got = self._curve_engine(False)
                if got is not None:
                    return got
            try:
                # float parameters as the exact rationals they store (sympy's 15-digit float
                # arithmetic in curve() would perturb the law)
                law = self._exactified()
                P = law._eliminated_curve() if eliminate else law.curve()
                if P is None:
                    return None
                expr = sp.sympify(P.as_expr())
                expr = expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})
                P = sp.Poly(expr, *P.gens)
                top = max((abs(c) for c in P.coeffs()), default=1)
                if top != 0 and top.is_Rational:
                    P = P.to_field().mul_ground(1 / top)   # exact; huge ones overflow floats
                curve = AlgebraicCurve(P)
            except (FreeAlgError, sp.PolynomialError, NotImplementedError, TypeError,
                    ValueError, ZeroDivisionError):
                return None
            return curve if curve.degree <= self._CURVE_MAX_DEGREE else None

        return self._memo("curve_engine_e" if eliminate else "curve_engine", build)

    #: for a binary law (⊞, ⊠): its curve from its children's, ``f(P_mu, P_nu, moments=...)``
    _eliminate: Any = None

    def _eliminated_curve(self):
        """The curve from the children's curves by a resultant of the subordination
        equations (the factor that the exact moments select); None when not binary."""
        if self._eliminate is None:
            return None
        a, b = (law.curve() for law in self._args)
        if a is None or b is None or a.total_degree() * b.total_degree() > 64:
            return None
        deg = a.degree(a.gens[0]) * b.degree(b.gens[0])
        return type(self)._eliminate(a, b, moments=self.moments(2 * deg + 4))

    def _curve_degree_bound(self) -> int | None:
        """A cheap upper bound of the curve's degree in G (None: unknown), checked before the
        curve is derived (a product of L factors has degree ~L; deriving it costs ~L^3)."""
        return None

    def _edges_curve(self, dps: int):
        """Edges from the real roots of the discriminant of the curve (and of its leading
        coefficient), each confirmed by the density vanishing on exactly one side."""
        curve = self._curve_engine(eliminate=True)
        atoms = [a.location for a in self.atoms()]
        out = []
        scale = self._scale
        # the law's own float64 density: the curve's, with the points it leaves NaN (next to
        # poles and branch points) solved by subordination
        found = curve.edges(dps, atoms=atoms, density=self._density_np)
        sides = [e.side for e in found]
        if (not found and float(self.continuous_mass()) > 1e-12) or \
                sides != ["left", "right"] * (len(sides) // 2):
            # the confirmed edges do not pair into bands: let the fold search decide
            record(note="the curve's edges did not pair into bands; used the fold search")
            return numeric_edges(self, dps)
        for e in found:
            if e.exponent is not None:
                kind = _edge_kind(float(e.exponent))
            else:
                inward = 1 if e.side == "left" else -1
                kind = _edge_kind(_edge_exponent(self, float(e.location), inward, scale))
            out.append(Edge(e.location, kind, e.error, e.side))
        return out

    def _cauchy_np(self, z, method=None):
        _, G, info = solve_np(self._system(), z)
        record(residual=info.residual, iterations=info.newton_iterations, steps=info.steps,
               retried=info.retried)
        bad = np.isnan(G) & (np.asarray(z).imag > 0)
        if bad.any() and bad.sum() <= 16:
            # the vectorised float64 path gave up on a few points off the axis (e.g. an inner
            # subordination point near a factor's hard edge): redo those on the adaptive mpmath
            # path at 16 digits, which has its own convergence checks; what still fails stays
            # NaN. (On the axis NaN marks atoms and edges for the callers: left alone.)
            G = np.array(G, dtype=complex)
            for idx in zip(*np.nonzero(bad)):
                try:
                    G[idx] = complex(self._cauchy_mp(mpmath.mpc(complex(z[idx])), 16, "path"))
                except (NoConvergence, ZeroDivisionError, ValueError):
                    pass
        return G

    def _cauchy_mp(self, z, dps, method=None):
        """Strategies: 'polish' (float64 continuation, then Newton at dps + 10 digits; falls
        back to 'path' when the float64 point is not well inside a Newton basin) or 'path'
        (the whole continuation in mpmath)."""
        if method in (None, "subordination", "polish"):
            got = polish_mp(self._system(), z, dps=dps)
            if got is not None:
                G, info = got
                record(residual=info.residual, iterations=info.newton_iterations,
                       steps=info.steps)
                with mpmath.workdps(dps):
                    return +G
            if method == "polish":
                raise NoConvergence("float64 start + Newton polish", dps=dps, point=z,
                                    advice="use method='path'")
            record(note="polish left the Newton basin; continued in mpmath ('path')")
        _, G, info = solve_mp(self._system(), z, dps=dps)
        record(residual=info.residual, iterations=info.newton_iterations, steps=info.steps)
        with mpmath.workdps(dps):
            return +G

    def _make_params(self, be):
        return ()

    def _support(self, dps: int, method: str | None = None):
        """Bands of the absolutely continuous part: between the edges of :meth:`_edges`."""
        return bands_from_edges(self._edges(dps, method))

    def _edges(self, dps: int, method: str | None = None):
        """Band endpoints, refined to ``dps`` digits where the edge is a regular fold."""
        strategy = method or self._default("edges")
        if strategy == "curve":
            return self._edges_curve(dps)
        if strategy == "s_transform":
            got = self._edges_s_transform(dps)
            if got is not None or method is not None:
                return got if got is not None else []
        return numeric_edges(self, dps)

    def _edges_s_transform(self, dps: int):
        """The two ends of the band from the critical points of the inverse of chi (one real
        unknown, O(#distinct factors) per evaluation), confirmed: the S-transform engine
        returns the hull of the continuous part, so it is accepted only when the density is
        positive on a grid inside it (else None: no single band, use the fold search)."""
        try:
            found = self._s_form().edges(dps)
        except (NoConvergence, ZeroDivisionError, ValueError):
            return None
        if len(found) != 2:
            return None if found else []
        lo, hi = float(found[0].location), float(found[1].location)
        inner = lo + (hi - lo) * (0.5 + 0.5 * np.cos(np.linspace(0.02, 0.98, 64) * np.pi))
        dens = self._s_form().density_np(inner)
        if not np.all(np.isfinite(dens) & (dens > 0)):
            return None
        return [Edge(e.location, e.kind, e.error, e.side) for e in found]


class _RootSystem:
    """Adapter from a composite law to the continuation protocol."""

    def __init__(self, law: Law):
        self.law = law
        self.n = law._nunk
        self.scale = law._scale
        # laws whose solution bends quickly along the path ask for finer steps
        self.ratio = getattr(law, "_path_ratio", None)

    def evaluate(self, z: Dual, w, be, args):
        ctx = EvalContext()
        G = self.law._g_dual(z, list(w), be, ctx)
        args.extend(ctx.pts)
        return ctx.res, G

    def guess(self, z, be):
        return self.law._guess(z, be)
