"""The engines of a composite law: its algebraic curve, and its edges from the curve or the
S-transform; exact helpers (curves from R- and S-transforms, merged atoms).

An engine module: it works on any law-like object (duck typing) through ``curve()``,
``moments(n)``, ``atoms()``, ``continuous_mass()``, ``free_symbols``, ``_exactified()``,
``_curve_degree_bound()``, ``_eliminate``, ``_args``, ``_s_form()``, ``_density_np``,
``_scale`` and ``_memo``.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..errors import FreeAlgError, NoConvergence
from .curve import AlgebraicCurve
from .dispatch import record
from .edges import curve_density, edge_exponent, edge_kind, numeric_edges
from .records import Atom, Band, Edge
from .stransform import s_power, s_product

__all__ = ["Z", "G", "W", "curve_from_r", "curve_from_s", "merge_atoms", "positive", "atom_pairs",
           "curve_engine", "eliminated_curve", "edges", "edges_curve", "edges_s_transform",
           "CURVE_MAX_DEGREE", "affine_edges", "affine_bands", "s_form_product"]

Z, G, W = sp.symbols("z G w")

#: largest degree in G of a curve the curve engine solves (companion matrices of that size per
#: point); beyond it subordination is faster
CURVE_MAX_DEGREE = 8


def _primitive(expr, g, z):
    """Drop constant factors and powers of z, G that divide the whole polynomial."""
    poly = sp.Poly(expr, g, z)
    _, poly = poly.primitive()
    f = sp.factor_list(poly.as_expr())
    out = sp.S.One
    for fac, mult in f[1]:
        if fac.free_symbols and sp.Poly(fac, g, z).total_degree() > 0 and fac not in (g, z):
            out *= fac**mult
    out = sp.expand(out) if out != 1 else poly.as_expr()
    return -out if sp.Poly(out, g, z).LC() < 0 else out


def _curve_of(expr, g, z):
    num = sp.numer(sp.together(expr))
    if not num.is_polynomial(g, z):
        return None
    return sp.Poly(_primitive(sp.expand(num), g, z), g, z)


def curve_from_r(R, z=None, g=None):
    """The curve R(G) + 1/G = z of a law with R-transform ``R`` (in the symbol ``w``), or None.

    Examples
    --------
    >>> import sympy as sp
    >>> curve_from_r(W).as_expr()            # the semicircle law of variance 1
    G**2 - G*z + 1
    """
    if R is None:
        return None
    z = Z if z is None else sp.sympify(z)
    g = G if g is None else sp.sympify(g)
    return _curve_of(R.subs(W, g) + 1 / g - z, g, z)


def curve_from_s(S, z=None, g=None):
    """The curve chi(m) = m S(m)/(1 + m) = 1/z, m = z G - 1, of a law with S-transform ``S``
    (in the symbol ``w``), or None.

    Examples
    --------
    >>> curve_from_s(1 / (W + 1)).as_expr()   # the free Poisson law of rate 1
    G**2*z - G*z + 1
    """
    if S is None:
        return None
    z = Z if z is None else sp.sympify(z)
    g = G if g is None else sp.sympify(g)
    m = z * g - 1
    return _curve_of(m * S.subs(W, m) / (1 + m) - 1 / z, g, z)


def merge_atoms(pairs) -> list[Atom]:
    """Atoms from (location, mass) pairs: equal locations merged, zero masses dropped, sorted.

    Examples
    --------
    >>> import sympy as sp
    >>> merge_atoms([(1, sp.Rational(1, 4)), (0, sp.Rational(1, 2)), (1, sp.Rational(1, 4))])
    [Atom(location=0, mass=1/2, error=0), Atom(location=1, mass=1/2, error=0)]
    """
    acc: dict = {}
    for loc, mass in pairs:
        loc = sp.nsimplify(loc) if isinstance(loc, int) else sp.sympify(loc)
        acc[loc] = acc.get(loc, sp.S.Zero) + mass
    out = [Atom(loc, sp.simplify(m) if sp.sympify(m).free_symbols else m)
           for loc, m in acc.items() if sp.sympify(m) != 0]
    try:
        out.sort(key=lambda a: float(a.location))
    except TypeError:
        pass
    return out


def positive(x) -> bool:
    """True when x > 0 surely (symbolic parameters: when sympy can decide).

    Examples
    --------
    >>> import sympy as sp
    >>> positive(sp.Rational(1, 3)), positive(sp.Symbol("t")), positive(0)
    (True, False, False)
    """
    v = sp.sympify(x)
    if v.free_symbols:
        return bool((v > 0) == sp.true)
    return bool(v > 0)


def atom_pairs(mu, nu, combine, skip_zero: bool = False) -> list:
    """(combine(a, b), mu({a}) + nu({b}) - 1) over the pairs of atoms of two laws (without
    atoms at 0 when ``skip_zero``): by the atom theorems of ⊞ (Bercovici-Voiculescu 1998) and ⊠
    (Belinschi 2003) a pair with a positive mass is an atom, one with mass 0 a hard edge.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> b = fa.bernoulli(sp.Rational(2, 3))
    >>> atom_pairs(b, b, sp.Add)
    [(0, -1/3), (1, 0), (1, 0), (2, 1/3)]
    """
    return [(combine(p.location, q.location), sp.simplify(p.mass + q.mass - 1))
            for p in mu.atoms() for q in nu.atoms()
            if not (skip_zero and (p.location == 0 or q.location == 0))]


def eliminated_curve(law):
    """The curve of a binary law (⊞, ⊠) from its children's curves by a resultant of the
    subordination equations (``law._eliminate``; the factor the exact moments select), or None."""
    if law._eliminate is None:
        return None
    def child_curve(child):
        # a child without its own curve may simplify to a law with one (an affine map of a
        # semicircle is a semicircle): the same law, so the same curve
        c = child.curve()
        if c is None and hasattr(child, "simplify"):
            simple = child.simplify()
            if simple is not child and simple != child:
                c = simple.curve()
        return c

    a, b = (child_curve(child) for child in law._args)
    if a is None or b is None or a.total_degree() * b.total_degree() > 64:
        return None
    deg = a.degree(a.gens[0]) * b.degree(b.gens[0])
    return type(law)._eliminate(a, b, moments=law.moments(2 * deg + 4))


def curve_engine(law, eliminate: bool = False):
    """The :class:`~freealg.numeric.curve.AlgebraicCurve` of the law's curve, or None when it
    has none, it has symbols, or its degree exceeds ``CURVE_MAX_DEGREE``. With ``eliminate`` a
    law whose ``curve()`` is None tries :func:`eliminated_curve` (0.1-1 s, memoised; for edges).
    """
    def build():
        bound = law._curve_degree_bound()
        if law.free_symbols or (bound is not None and bound > CURVE_MAX_DEGREE):
            return None
        if eliminate:
            got = curve_engine(law, False)
            if got is not None:
                return got
        try:
            # float parameters as the exact rationals they store (sympy's 15-digit float
            # arithmetic in curve() would perturb the law)
            exact = law._exactified()
            P = eliminated_curve(exact) if eliminate else exact.curve()
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
        return curve if curve.degree <= CURVE_MAX_DEGREE else None

    return law._memo("curve_engine_e" if eliminate else "curve_engine", build)


def s_form_product(law, factors):
    """The S-transform form of ⊠_j mu_j^{⊠k_j} for ``factors`` = ((mu_j, k_j), ...), or None
    when a factor has none (memoised on ``law``)."""
    def build():
        out = None
        for mu, k in factors:
            f = mu._s_form()
            if f is None:
                return None
            f = s_power(f, k)
            out = f if out is None else s_product(out, f)
        return out

    return law._memo("s_form", build)


def edges(law, dps: int, strategy: str | None, forced: bool) -> list[Edge]:
    """Band endpoints of a composite law through ``strategy`` ('curve', 's_transform' or
    'fold'); ``forced``: the caller named the strategy (no fallback from 's_transform')."""
    if strategy == "curve":
        return edges_curve(law, dps)
    if strategy == "s_transform":
        got = edges_s_transform(law, dps)
        if got is not None or forced:
            return got if got is not None else []
    return numeric_edges(law, dps)


def edges_curve(law, dps: int) -> list[Edge]:
    """Edges from the real roots of the discriminant of the curve (and of its leading
    coefficient), each confirmed by the density vanishing on exactly one side."""
    curve = curve_engine(law, eliminate=True)
    atoms = [a.location for a in law.atoms()]
    found = curve.edges(dps, atoms=atoms, density=curve_density(curve, law))
    sides = [e.side for e in found]
    if (not found and float(law.continuous_mass()) > 1e-12) or \
            sides != ["left", "right"] * (len(sides) // 2):
        record(note="the curve's edges did not pair into bands; used the fold search")
        return numeric_edges(law, dps)
    out = []
    for e in found:
        if e.exponent is not None:
            kind = edge_kind(float(e.exponent))
        else:
            inward = 1 if e.side == "left" else -1
            kind = edge_kind(edge_exponent(law, float(e.location), inward, law._scale))
        out.append(Edge(e.location, kind, e.error, e.side))
    return out


def edges_s_transform(law, dps: int) -> Any:
    """The two ends of the band from the critical points of the inverse of chi (one real
    unknown, O(#distinct factors) per evaluation), confirmed: the S-transform engine returns
    the hull of the continuous part, so it is accepted only when the density is positive on a
    grid inside it (else None: no single band, use the fold search)."""
    form = law._s_form()
    try:
        found = form.edges(dps)
    except (NoConvergence, ZeroDivisionError, ValueError):
        return None
    if len(found) != 2:
        return None if found else []
    lo, hi = float(found[0].location), float(found[1].location)
    inner = lo + (hi - lo) * (0.5 + 0.5 * np.cos(np.linspace(0.02, 0.98, 64) * np.pi))
    dens = form.density_np(inner)
    if not np.all(np.isfinite(dens) & (dens > 0)):
        return None
    return [Edge(e.location, e.kind, e.error, e.side) for e in found]


def _affine_map(x, a, b, dps):
    """a x + b: exact for exact x, else in mpmath at ``dps`` (+ guard digits)."""
    if isinstance(x, sp.Basic):
        return sp.simplify(a * x + b)
    with mpmath.workdps(dps + 10):
        return mpmath.mpf(sp.N(a, dps + 10)) * x + mpmath.mpf(sp.N(b, dps + 10))


def affine_bands(bands, a, b, dps: int) -> list[Band]:
    """The bands of X mapped by x -> a x + b (exact where they are exact), sorted."""
    out = [Band(*sorted((_affine_map(bd.lo, a, b, dps), _affine_map(bd.hi, a, b, dps)),
                        key=float)) for bd in bands]
    return sorted(out, key=lambda bd: float(bd.lo))


def affine_edges(found, a, b, dps: int) -> list[Edge]:
    """The edges of X mapped by x -> a x + b: same kinds, sides swapped when a < 0, errors
    times ``|a|``, sorted."""
    swap = {"left": "right", "right": "left"} if bool(a < 0) else {}
    out = [Edge(_affine_map(e.location, a, b, dps), e.kind,
                e.error * abs(float(a)) if e.error else e.error, swap.get(e.side, e.side))
           for e in found]
    return sorted(out, key=lambda e: float(e.location))
