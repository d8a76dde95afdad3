"""Certified enclosures of support edges and atoms with python-flint balls (arb/acb).

``Law.edges(dps, certify=True)`` and ``Law.atoms(certify=True)`` (and the same methods of
:class:`~freealg.numeric.solution.SpectralSolution`) call :func:`certify_edges` and
:func:`certify_atoms`, which attach to each record an ``enclosure = (lo, hi)``: two exact
dyadic rationals (sympy ``Rational``) that are guaranteed to contain the true value, and whose width
is below ``10**-(dps - 5)`` times ``max(1, |value|)``. The balls are computed at a working
precision that is doubled until they are that tight, else :class:`~freealg.errors.NoConvergence`
names what to change. python-flint is the ``certify`` extra; it is imported only here, and only
when a certificate is asked for.

How the enclosures are obtained
-------------------------------
* **Exact values** (edges of laws without an algebraic curve, atoms from the atom theorems
  of Bercovici-Voiculescu and Belinschi, masses such as ``1 - lambda``): the sympy
  expression is evaluated in ball arithmetic (:func:`enclose`); rational numbers, radicals,
  ``pi``, ``exp``/``log``/trigonometric functions, ``Max``/``Min`` and real ``CRootOf`` roots
  are supported.
* **Edges of algebraic laws** (⊞, ⊠, compressions, ... of laws with exact parameters), whose
  Cauchy transform solves P(G, x) = 0 with rational coefficients: every edge is a real root of
  D(x) = Disc_G P * lc_G P. The real roots of D are isolated by arb (exact integer polynomial,
  the real roots come back as balls with zero imaginary part, each containing exactly one
  root). Between two consecutive roots the roots of P(., x) stay distinct and the boundary
  value G(x + i0) follows one of them, so the density is either zero on the whole interval or
  positive on the whole interval (the two unbounded intervals included); it is decided at a
  rational point s of the interval from the exact polynomial P(., s): all of its roots real
  (certified) means density 0, none real means density > 0. When both kinds of roots occur
  (degree >= 3), the density is positive (certified) if no real root can be G(s) on a gap:
  there G(s) would lie in [1/(s - r_i), 1/(s - r_{i-1})] (the law sits outside the gap
  (r_{i-1}, r_i)) and satisfy G'(s) <= -G(s)^2 (Cauchy-Schwarz), with G' = -P_x/P_G in balls.
  Otherwise the branch is followed in ball arithmetic from the upper half-plane
  (``_track``): at a start z0 = x0 + iY, G(z0) lies in the disk with diameter [0, -i/Y]
  (|G|^2 <= -Im G / Im z by Cauchy-Schwarz, for any probability measure) and must be the only
  root of P(., z0) there (all roots isolated, Braess-Hadeler); along the path to s + iY and down
  to s, Krawczyk's test isolates one root in a box valid for every z of each piece, so G stays
  in it; at y = 0 the box holds exactly one root of P(., s), which is G(s + i0), real or not.
  If no path succeeds, NoConvergence: a status is never guessed. ``_Analysis.how`` records
  which test decided each interval. A root of D with zero density on one side and a positive
  density on the other is a band end. The engine's edges must match these one to one
  (interior cusps and singular points must sit on a root of D with positive density on both
  sides), else NoConvergence. The enclosure of an edge is its certified root ball, also when
  the engine's location is an exact number, a closed form included (which must lie in that
  ball); only exact edges of laws without an algebraic curve are enclosed from their formula.
  Interior points and the atoms of Boolean/monotone/Jacobi laws (poles picked by the engine's
  G) are certified too: see ``_Analysis.confirm_interior`` and :func:`certify_atoms`.

Examples
--------
>>> import sympy as sp, freealg as fa
>>> e = fa.free_poisson(sp.Rational(1, 2)).edges(dps=30, certify=True)[-1]
>>> lo, hi = e.enclosure                     # (1 + sqrt(1/2))^2
>>> lo < (1 + sp.sqrt(sp.Rational(1, 2)))**2 < hi, float(hi - lo) < 1e-25
(True, True)
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterator

import mpmath
import sympy as sp

from ..errors import FreeAlgError, NoConvergence, OptionalDependencyError, UndeterminedError
from .params import exactified
from .records import Edge

__all__ = ["enclose", "certify_edges", "certify_atoms", "check_certifiable", "flint_module"]

# doublings of the working precision before giving up
_MAX_DOUBLINGS = 6


def flint_module(option: str = "certify", value: Any = True) -> Any:
    """The ``flint`` module (python-flint), or :class:`~freealg.errors.OptionalDependencyError`
    naming the ``certify`` extra.

    Examples
    --------
    >>> from freealg.numeric.certify import flint_module
    >>> flint_module().__name__
    'flint'

    Parameters
    ----------
    option, value : str, object, optional
        The option that asked for it (shown in the error).

    Returns
    -------
    module

    Raises
    ------
    OptionalDependencyError
        When python-flint is not installed: ``pip install -e ".[certify]"``.
    """
    try:
        return importlib.import_module("flint")
    except ImportError:
        raise OptionalDependencyError(option, value, "python-flint", "certify") from None


def check_certifiable(law: Any) -> None:
    """Raise before any work when ``certify=True`` cannot succeed: python-flint missing
    (:class:`~freealg.errors.OptionalDependencyError`, naming the extra) or a law that depends
    on symbols (:class:`~freealg.errors.UndeterminedError`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.numeric.certify import check_certifiable
    >>> check_certifiable(fa.semicircle(1)) is None
    True
    >>> check_certifiable(fa.semicircle(sp.Symbol("v", positive=True)))
    Traceback (most recent call last):
    ...
    freealg.errors.UndeterminedError: cannot decide a certified enclosure: it depends on the
    symbol(s) v; substitute numbers first (.subs)

    Parameters
    ----------
    law : Law
        The law (anything with ``free_symbols``).
    """
    flint_module()
    _no_symbols(law, [])


@contextmanager
def _precision(fl: Any, bits: int) -> Iterator[None]:
    """flint's working precision set to ``bits`` for the block, restored after it."""
    old = fl.ctx.prec
    fl.ctx.prec = int(bits)
    try:
        yield
    finally:
        fl.ctx.prec = old


def _start_bits(dps: int) -> int:
    return int(3.33 * dps) + 32


def _tol(dps: int, size: Any) -> mpmath.mpf:
    with mpmath.workdps(20):
        return mpmath.mpf(10) ** (5 - dps) * max(1, abs(mpmath.mpf(size)))


def _to_mpf(x: Any) -> mpmath.mpf:
    """An exact arb (radius 0) as an exact mpf."""
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    with mpmath.workprec(max(53, man.bit_length() + 8)):
        return mpmath.mpf((man, exp))


def _bounds(x: Any) -> tuple:
    """(lo, hi) exact mpf bounds of a real arb ball (rounded outwards to the ball's own
    precision, not to flint's current one); see :func:`_exact_pair` for the records."""
    fl = flint_module()
    with _precision(fl, max(fl.ctx.prec, x.bits() + 16)):
        return _to_mpf(x.lower()), _to_mpf(x.upper())


def _rational(x: mpmath.mpf) -> sp.Rational:
    """An mpf as the exact sympy Rational (a dyadic number)."""
    f = _frac(x)
    return sp.Rational(f.numerator, f.denominator)


def _exact_pair(pair: tuple) -> tuple:
    return tuple(_rational(v) for v in pair)


def _frac(x: mpmath.mpf) -> Fraction:
    """An mpf as an exact Fraction."""
    sign, man, exp, _bc = x._mpf_
    return Fraction((-1) ** sign * int(man)) * Fraction(2) ** int(exp)


class _Unsupported(Exception):
    pass


_FUNCS = {sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
          sp.atan: "atan", sp.asin: "asin", sp.acos: "acos", sp.sinh: "sinh",
          sp.cosh: "cosh", sp.tanh: "tanh"}


def _ball(fl: Any, e: Any) -> Any:
    """The exact number ``e`` (sympy) as an acb ball at flint's current precision."""
    acb, arb = fl.acb, fl.arb
    if isinstance(e, bool):
        raise _Unsupported(e)
    if isinstance(e, int):
        return acb(e)
    if isinstance(e, Fraction):
        return acb(fl.fmpq(e.numerator, e.denominator))
    e = sp.sympify(e)
    if e.is_Integer:
        return acb(int(e))
    if e.is_Rational:
        return acb(fl.fmpq(int(e.p), int(e.q)))
    if e.is_Float:                         # the binary number the Float stores, exactly
        sign, man, exp, _bc = e._mpf_
        if not man:
            return acb(0)
        return acb(arb(fl.fmpz((-1) ** sign * int(man))) * arb(2) ** int(exp))
    if e is sp.pi:
        return acb(arb.pi())
    if e is sp.E:
        return acb(arb.const_e())
    if e is sp.EulerGamma:
        return acb(arb.const_euler())
    if e is sp.I:
        return acb(0, 1)
    if e.is_Add:
        out = acb(0)
        for a in e.args:
            out += _ball(fl, a)
        return out
    if e.is_Mul:
        out = acb(1)
        for a in e.args:
            out *= _ball(fl, a)
        return out
    if e.is_Pow:
        base, ex = e.args
        b = _ball(fl, base)
        if ex.is_Integer:
            return b ** int(ex)
        if ex.is_Rational:
            if base.is_zero:
                return acb(0)
            if ex.q == 2 and base.is_positive:
                return b.sqrt() ** int(ex.p)
            return b ** acb(fl.fmpq(int(ex.p), int(ex.q)))     # principal branch, as sympy
        return b ** _ball(fl, ex)
    if isinstance(e, (sp.Max, sp.Min)):
        vals = [_ball(fl, a) for a in e.args]
        if not all(v.imag.contains(0) for v in vals):
            raise _Unsupported(e)
        out = vals[0].real
        for v in vals[1:]:
            out = out.max(v.real) if isinstance(e, sp.Max) else out.min(v.real)
        return acb(out)
    if isinstance(e, sp.Abs):
        return acb(abs(_ball(fl, e.args[0])))
    if isinstance(e, sp.CRootOf):
        return _crootof(fl, e)
    for f, name in _FUNCS.items():
        if isinstance(e, f):
            return getattr(_ball(fl, e.args[0]), name)()
    raise _Unsupported(e)


def _crootof(fl: Any, e: Any) -> Any:
    """A real CRootOf (sympy's index k < number of real roots is the k-th real root in
    increasing order) from arb's isolation of the roots of its polynomial."""
    poly = sp.Poly(e.expr, e.poly.gens[0], domain="QQ")
    _, ip = poly.clear_denoms()
    coeffs = [int(c) for c in reversed(ip.all_coeffs())]
    roots = fl.fmpz_poly(coeffs).complex_roots()
    real = sorted((r.real for r, _m in roots if r.imag.is_zero()), key=lambda r: float(r.mid()))
    if e.index >= len(real):
        raise _Unsupported(e)
    return fl.acb(real[int(e.index)])


def _real_ball(fl: Any, e: Any, what: str) -> Any:
    b = _ball(fl, e)
    if not b.imag.contains(0):
        raise NoConvergence(f"certified enclosure of {what}", advice=f"{e} is not real")
    return b.real


def _doubling(dps: int, fn, what: str):
    """Run ``fn(bits) -> (result, width_ok)`` at doubling precision until ``width_ok``."""
    fl = flint_module()
    bits = _start_bits(dps)
    width = None
    for _step in range(_MAX_DOUBLINGS):
        with _precision(fl, bits):
            res, ok, width = fn(fl, bits)
        if ok:
            return res
        bits *= 2
    raise NoConvergence(f"certified enclosure of {what}", dps=dps, steps=_MAX_DOUBLINGS,
                        residual=width, advice=f"the ball stayed wider than 1e-{dps - 5} up to "
                        f"{bits // 2} bits; ask for fewer digits (a smaller dps)")


def _exact(v: Any) -> bool:
    """Whether v is an exact number (not an mpf or a sympy Float)."""
    if isinstance(v, (int, Fraction)) and not isinstance(v, bool):
        return True
    if isinstance(v, sp.Basic):
        return bool(v.is_number) and not v.has(sp.Float)
    return False


def enclose(expr: Any, dps: int = 30) -> tuple:
    """A certified interval ``(lo, hi)`` containing the real number ``expr`` (exact sympy).

    The expression is evaluated in arb ball arithmetic, the precision doubled until the width is
    below ``10**-(dps - 5) * max(1, |expr|)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.certify import enclose
    >>> lo, hi = enclose((1 + sp.sqrt(2))**2, dps=30)
    >>> lo < 3 + 2*sp.sqrt(2) < hi, float(hi - lo) < 1e-25
    (True, True)

    Parameters
    ----------
    expr : sympy expression, int or Fraction
        A real number without symbols or floats-from-nowhere (a sympy Float counts as the
        binary number it stores).
    dps : int, optional
        Decimal digits: the width is below ``10**-(dps - 5)`` relative to ``max(1, |expr|)``.

    Returns
    -------
    tuple of sympy.Rational
        Exact (dyadic) endpoints ``lo <= expr <= hi``; compare them with sympy, or convert
        them with ``mpmath.mpf`` at a working precision above ``dps``.

    Raises
    ------
    OptionalDependencyError
        Without python-flint (the ``certify`` extra).
    NoConvergence
        When the expression is not a real number that arb can evaluate, or stays too wide.
    """
    if not isinstance(dps, int) or isinstance(dps, bool) or dps < 6:
        from ..errors import InvalidParameterError
        raise InvalidParameterError("dps", dps, "must be an integer >= 6 for a certificate")
    flint_module()

    def run(fl, bits):
        try:
            x = _real_ball(fl, expr, str(expr))
        except _Unsupported as err:
            raise NoConvergence(f"certified enclosure of {expr}", dps=dps, advice=(
                f"ball arithmetic does not support {err.args[0]}; certificates cover rational "
                "numbers, radicals, pi, exp/log/trigonometric functions, Max/Min and real "
                "CRootOf")) from None
        if not x.is_finite():
            return None, False, None
        lo, hi = _bounds(x)
        w = hi - lo
        return (lo, hi), w <= _tol(dps, lo), w
    return _exact_pair(_doubling(dps, run, str(expr)))


# ---------------------------------------------------------------------------------------
# algebraic curves

def _curve(law: Any) -> Any:
    """The law's algebraic curve engine with rational coefficients, or None."""
    from .curve import AlgebraicCurve
    eng = None
    try:
        get = getattr(law, "_curve_engine", None)
        eng = get(eliminate=True) if get is not None else None
        if eng is None:
            P = law.curve()
            if P is None:
                P = _derived_curve(law)
            eng = AlgebraicCurve(P) if P is not None else None
    except (FreeAlgError, NotImplementedError, sp.PolynomialError):
        return None
    if eng is None or not eng._exact:
        return None
    return eng


def _derived_curve(law: Any) -> sp.Poly | None:
    """A polynomial vanishing on the curve of a free power mu^{⊞t} or a free compression of
    an algebraic law mu (duck-typed by the law's ``name`` and ``args``), or None.

    With G_mu(omega) = u: mu^{⊞t} has G = u at z = t omega - (t - 1)/u (the subordination
    relation of the power), so P_mu(G, (z + (t - 1)/G)/t) = 0. The compression by a projection
    of trace t is D_t(mu^{⊞1/t}) (Nica-Speicher, Lecture 14): P_mu(t G, z + (1 - t)/(t G)) = 0;
    in the ambient algebra G_amb = (1 - t)/z + t G. The numerator may carry extra factors (they
    only add candidates; the classification reads all roots of P(., x), see the module
    docstring); factors free of G, and powers of G, are dropped.
    """
    name, args = getattr(law, "name", ""), tuple(getattr(law, "args", ()))
    if name not in ("free_power", "free_compression") or not args:
        return None
    inner = _curve(args[0])
    if inner is None:
        return None
    t = sp.nsimplify(args[1])
    if not t.is_Rational:
        return None
    Gi, zi = inner.poly.gens
    G, z = sp.symbols("G z")
    if name == "free_power":
        expr = inner.poly.as_expr().subs({Gi: G, zi: (z + (t - 1) / G) / t}, simultaneous=True)
    else:
        Gc = (G - (1 - t) / z) / t if (len(args) > 2 and args[2]) else G
        expr = inner.poly.as_expr().subs({Gi: t * Gc, zi: z + (1 - t) / (t * Gc)},
                                         simultaneous=True)
    num = sp.numer(sp.together(expr))
    keep = sp.Integer(1)
    for f, _m in sp.factor_list(sp.expand(num), G, z)[1]:
        fp = sp.Poly(f, G, z)
        if fp.degree(G) >= 1 and not (fp.is_monomial and fp.total_degree() == fp.degree(G)):
            keep *= f
    P = sp.Poly(keep, G, z, domain="QQ")
    return P if P.degree(G) >= 1 else None


def _int_coeffs(q: sp.Poly) -> list:
    """Ascending integer coefficients of a multiple of the rational polynomial q."""
    _, ip = q.clear_denoms()
    return [int(c) for c in reversed(ip.all_coeffs())]


class _Analysis:
    """Certified real roots of D = Disc_G P * lc_G P and the density's status around each."""

    def __init__(self, law: Any, eng: Any, dps: int):
        self.law, self.eng, self.dps = law, eng, dps
        z = eng.poly.gens[1]
        D = (eng._discriminant() * eng._coef[-1]).as_expr()
        self.D = sp.Poly(D, z, domain="QQ").sqf_part()
        self.roots: list = []          # real arb balls, increasing
        self.status: list = []         # len(roots) + 1 entries: 'zero' or 'positive'
        self.how: list = []
        self._coefs: list = []

    def isolate(self) -> None:
        dps = self.dps
        coeffs = _int_coeffs(self.D)

        def run(fl, bits):
            if self.D.degree() <= 0:
                return [], True, None
            rts = [r.real for r, _m in fl.fmpz_poly(coeffs).complex_roots() if r.imag.is_zero()]
            rts.sort(key=lambda r: float(r.mid()))
            widths = [_bounds(r)[1] - _bounds(r)[0] for r in rts]
            ok = all(w <= _tol(dps, _bounds(r)[0]) for w, r in zip(widths, rts))
            return rts, ok, max(widths, default=None)
        self.roots = _doubling(dps, run, "the real roots of the discriminant of the curve")

    def _samples(self, i: int) -> list:
        """Simple rationals strictly inside interval i (between root i - 1 and root i; the
        outer intervals are unbounded), the simplest first."""
        n = len(self.roots)
        if n == 0:
            return [Fraction(0), Fraction(1, 3), Fraction(-2, 7)]
        if i == 0:
            lo = _frac(_bounds(self.roots[0])[0])
            base = Fraction(math.floor(lo)) - 1
            return [base, base - Fraction(1, 3), base - Fraction(5, 7)]
        if i == n:
            hi = _frac(_bounds(self.roots[-1])[1])
            base = Fraction(math.ceil(hi)) + 1
            return [base, base + Fraction(1, 3), base + Fraction(5, 7)]
        lo = _frac(_bounds(self.roots[i - 1])[1])
        hi = _frac(_bounds(self.roots[i])[0])
        out = []
        for t in (Fraction(1, 2), Fraction(1, 3), Fraction(2, 3)):
            mid = lo + t * (hi - lo)
            pick = mid
            for den in (1, 2, 4, 10, 100, 10 ** 4, 10 ** 8):
                f = mid.limit_denominator(den)
                if lo < f < hi:
                    pick = f
                    break
            if pick not in out:
                out.append(pick)
        return out

    def prepare(self, fl: Any) -> None:
        """The coefficients of P(., z) and their z-derivatives as acb polynomials in z."""
        if not self._coefs:
            self._coefs = [(q, q.derivative()) for q in
                           (_acb_poly_q(fl, c) for c in self.eng._coef)]

    def classify(self) -> None:
        """The density's status on every interval between consecutive roots of D, the two
        unbounded ones included (each decided in ball arithmetic, never assumed)."""
        fl = flint_module()
        n = len(self.roots)
        self.status = [""] * (n + 1)
        self.how = [""] * (n + 1)
        with _precision(fl, 128):
            self.prepare(fl)
            for i in range(n + 1):
                self.status[i], self.how[i] = self._status_at(fl, i)

    def _no_gap_root(self, fl: Any, s: Fraction, i: int, reals: list) -> bool:
        """Whether no real root of P(., s) can be G(s) on a gap (r_{i-1}, r_i): then the
        density is positive there (certified).

        On a gap the whole law sits left of r_{i-1} or right of r_i (edges and atoms are roots
        of D), so G(s) = int dmu(t)/(s - t) lies in [1/(s - r_i), 1/(s - r_{i-1})], and
        G'(s) = -int dmu/(s - t)^2 <= -G(s)^2 (Cauchy-Schwarz); G' = -P_x/P_G on the branch.
        """
        eng = self.eng
        Gs, zs = eng.poly.gens
        dG = sp.Poly(eng.poly.diff(Gs), Gs, zs)
        dz = sp.Poly(eng.poly.diff(zs), Gs, zs)
        sa = fl.arb(fl.fmpq(s.numerator, s.denominator))
        lo = (1 / (sa - self.roots[i])).lower()
        hi = (1 / (sa - self.roots[i - 1])).upper()
        for g in reals:
            if g.upper() < lo or g.lower() > hi:
                continue                                  # outside the range a gap allows
            pg = _poly_ball(fl, dG, g, sa)
            px = _poly_ball(fl, dz, g, sa)
            if pg.contains(0):
                return False
            slope = -px / pg + g * g
            if not slope.lower() > 0:                     # G' <= -G^2 not excluded
                return False
        return True

    def _status_at(self, fl: Any, i: int) -> tuple:
        """('zero' | 'positive', how it was decided) on interval i."""
        eng = self.eng
        z = eng.poly.gens[1]
        samples = self._samples(i)
        for s in samples:
            sv = sp.Rational(s.numerator, s.denominator)
            a = [sp.Rational(c.as_expr().subs(z, sv)) for c in eng._coef]
            q = fl.fmpq_poly([fl.fmpq(int(c.p), int(c.q)) for c in a])
            roots = [r for r, _m in q.complex_roots()]
            real = [r.imag.is_zero() for r in roots]
            if not all(x or not r.imag.contains(0) for x, r in zip(real, roots)):
                continue                      # a root neither certified real nor non-real
            if all(real):
                return "zero", "all roots of P(., x) real"
            if not any(real):
                return "positive", "no root of P(., x) real"
            if 0 < i < len(self.roots) and self._no_gap_root(
                    fl, s, i, [r.real for r, x in zip(roots, real) if x]):
                return "positive", "no real root of P(., x) can be G on a gap"
            phys = self._track_any(fl, s, roots)
            if phys is not None:
                return (("zero" if real[phys] else "positive"),
                        "branch of G tracked from the upper half-plane")
        raise NoConvergence(
            "certified classification of the density between "
            + self._where(i), dps=self.dps, advice=(
                f"P(., x) has real and non-real roots at x = {float(samples[0]):.6g} and the "
                "branch of G(x + i0) could not be followed down from the upper half-plane with "
                "isolated roots (a branch point of the curve near the path); certified edges "
                "are not available for this law"))

    def confirm_interior(self, k: int, kind: str) -> str:
        """Certify that root k of D (positive density on both sides) is the engine's interior
        point of ``kind``: for 'cusp' that G(x + i0) tends to a real value at r (the density
        tends to 0), for 'singular' that |G(x + i0)| tends to infinity; else NoConvergence.

        A rational x0 left of r is taken with no other root of D in B = [x0, r + (r - x0)];
        G(x0 + i0) is the root of P(., x0) found by :func:`_track`. Every root of P(., x0)
        whose branch stays simple over all of B is followed along B by Krawczyk boxes
        (:func:`_follow`; conjugate pairs kept together); the branch of G must not be one of
        them (else it is analytic through r: no special point). Cusp: lc(r) != 0, so r is a
        root of Disc_G P and P(., r) has a multiple root, not among the m boxed simple roots;
        when the m others number 2 or 3 (a multiset closed under conjugation holding a
        multiple root), they are all real, and the limit of G, one of them, is real.
        Singular: lc(r) = 0 (exactly) and the boxes hold all the finite roots of P(., r), so
        G, outside them, tends to infinity.
        """
        fl = flint_module()
        what = f"certified {kind} point near {mpmath.nstr(_bounds(self.roots[k])[0], 12)}"
        with _precision(fl, max(256, _start_bits(self.dps) * 2)):
            self.prepare(fl)
            got = self._interior(fl, k, kind)
        if got is not None:
            raise NoConvergence(what, dps=self.dps, advice=got)
        return "interior point certified"

    def _interior(self, fl: Any, k: int, kind: str) -> str | None:
        """None when certified (see :meth:`confirm_interior`), else why not."""
        r = self.roots[k]
        lo, hi = (_frac(v) for v in _bounds(r))
        room = [lo - _frac(_bounds(self.roots[k - 1])[1])] if k > 0 else []
        room += [_frac(_bounds(self.roots[k + 1])[0]) - hi] if k + 1 < len(self.roots) else []
        delta = min(room + [max(Fraction(1), abs(lo))]) / 4      # far from other branch points
        x0 = lo - delta
        x1 = hi + (lo - x0)
        z = self.eng.poly.gens[1]
        a = [sp.Rational(c.as_expr().subs(z, sp.Rational(x0.numerator, x0.denominator)))
             for c in self.eng._coef]
        q = fl.fmpq_poly([fl.fmpq(int(c.p), int(c.q)) for c in a])
        roots = [rt for rt, _m in q.complex_roots()]
        phys = self._track_any(fl, x0, roots)
        if phys is None:
            return ("the branch of G next to it could not be followed from the upper "
                    "half-plane")
        boxed = {j for j, rt in enumerate(roots)
                 if _follow(fl, self._coefs, rt, (x0, Fraction(0)), (x1, Fraction(0)))
                 is not None}
        zb = _box(fl, x0, x1, Fraction(0), Fraction(0))
        if phys in boxed:
            return ("G(x + i0) is analytic through this root of the discriminant (its branch "
                    f"stays a simple root of P(., x)): there is no {kind} there; the engine and "
                    "the certified analysis disagree (report this)")
        changed = True
        while changed:                        # keep conjugate pairs of boxed roots together
            changed = False
            for j in sorted(boxed):
                if roots[j].imag.is_zero():
                    continue
                c = roots[j].conjugate()           # the ball holding conj(root j)
                near = [i for i in range(len(roots)) if roots[i].overlaps(c)]
                if len(near) != 1 or near[0] not in boxed:
                    boxed.discard(j)
                    changed = True
        n = len(self._coefs) - 1
        lc_zero = bool(self._coefs[-1][0](zb).contains(0)) and \
            self._vanishes(fl, self.eng._coef[-1], k)
        if kind == "cusp":
            if self._coefs[-1][0](zb).contains(0):
                return ("the leading coefficient of P(., x) may vanish there; a cusp needs "
                        "a bounded G")
            if n - len(boxed) not in (2, 3):
                return (f"{n - len(boxed)} roots of P(., x) are not isolated near it; the limit "
                        "of G cannot be shown to be real")
            return None
        if kind == "singular":
            if not lc_zero:
                return "G stays bounded there (the leading coefficient does not vanish)"
            finite = n
            while finite > 0 and self._vanishes(fl, self.eng._coef[finite], k):
                finite -= 1
            if finite == 0 and self._vanishes(fl, self.eng._coef[0], k):
                return "P(., x) vanishes identically there; the curve has a factor free of G"
            if len(boxed) != finite:
                return (f"{finite - len(boxed)} finite roots of P(., x) at it are not "
                        "isolated; G cannot be shown to diverge")
            return None
        if kind == "atom":
            # one branch escapes at a simple root of lc with a_{n-1} != 0 (Newton polygon), a
            # simple pole; G, not boxed, is that branch: G = m/(z - r) + analytic
            if not lc_zero:
                return "G stays bounded there (the leading coefficient does not vanish): no atom"
            z = self.eng.poly.gens[1]
            if self._vanishes(fl, sp.Poly(self.eng._coef[-1].as_expr().diff(z), z), k) or \
                    self._vanishes(fl, self.eng._coef[-2], k):
                return "the pole there is not simple; its mass is not certified"
            if len(boxed) != n - 1:
                return (f"{n - 1 - len(boxed)} finite roots of P(., x) at it are not isolated; "
                        "the pole of G is not certified")
            return None
        return f"unknown kind {kind!r}"

    def confirm_atom(self, k: int) -> tuple:
        """Certify that G has a simple pole at root k of D (see :meth:`_interior`); its mass
        is the residue -a_{n-1}(r)/a_n'(r), returned as exact (lo, hi) bounds."""
        fl = flint_module()
        what = f"certified atom near {mpmath.nstr(_bounds(self.roots[k])[0], 12)}"
        with _precision(fl, max(256, _start_bits(self.dps) * 2)):
            self.prepare(fl)
            got = self._interior(fl, k, "atom")
            if got is not None:
                raise NoConvergence(what, dps=self.dps, advice=got)
            z = self.eng.poly.gens[1]
            lead = _acb_poly_q(fl, sp.Poly(self.eng._coef[-1].as_expr().diff(z), z))
            sub = _acb_poly_q(fl, self.eng._coef[-2])
            r = fl.acb(self.roots[k])
            m = -sub(r) / lead(r)
            return _bounds(m.real)

    def _vanishes(self, fl: Any, c: Any, k: int) -> bool:
        """Whether the rational polynomial c(z) vanishes exactly at root k of D: a real root
        of gcd(c, D) (a root of D) whose ball meets root k's ball and no other."""
        z = self.eng.poly.gens[1]
        g = sp.gcd(sp.Poly(c.as_expr(), z, domain="QQ"), self.D)
        if g.degree() <= 0:
            return False
        for rt, _m in fl.fmpz_poly(_int_coeffs(g)).complex_roots():
            if not rt.imag.is_zero():
                continue
            x = rt.real
            hits = [i for i, r in enumerate(self.roots) if x.overlaps(r)]
            if hits == [k]:
                return True
        return False

    def _track_any(self, fl: Any, s: Fraction, roots: list) -> int | None:
        """:func:`_track` at flint's current precision, then once more at 384 bits (the
        coefficients rebuilt at that precision) when it fails."""
        got = _track(fl, self._coefs, s, roots, self._height())
        if got is None:
            with _precision(fl, max(384, fl.ctx.prec)):
                coefs = [(q, q.derivative()) for q in
                         (_acb_poly_q(fl, c) for c in self.eng._coef)]
                got = _track(fl, coefs, s, roots, self._height())
        return got

    def _height(self) -> Fraction:
        """A starting height Y above every real root of D (a power of 2)."""
        m = max((abs(float(r.mid())) for r in self.roots), default=0.0)
        return Fraction(2) ** max(2, math.ceil(math.log2(4 * (1 + m))))

    def _where(self, i: int) -> str:
        n = len(self.roots)
        left = "-oo" if i == 0 else mpmath.nstr(_bounds(self.roots[i - 1])[0], 8)
        right = "+oo" if i == n else mpmath.nstr(_bounds(self.roots[i])[0], 8)
        return f"{left} and {right}"


_MAX_SEGMENTS = 2000


def _acb_poly_q(fl: Any, c: Any) -> Any:
    """A rational univariate sympy Poly as an acb_poly (ascending coefficients)."""
    if c.is_zero:
        return fl.acb_poly([0])
    coeffs = [sp.Rational(v) for v in reversed(c.all_coeffs())]
    return fl.acb_poly([fl.acb(fl.fmpq(int(v.p), int(v.q))) for v in coeffs])


def _isolating_disks(fl: Any, coefs: list, zb: Any) -> list | None:
    """Disjoint disks (center, radius), one per root of P(., z), each containing exactly one
    root of P(., z) for EVERY z in the ball ``zb``; None when they cannot be separated.

    Braess-Hadeler (1973): for a polynomial p of degree n with leading coefficient l and
    distinct points z_1..z_n, every root lies in the union of the disks |w - z_i| <= n |W_i|,
    W_i = p(z_i) / (l prod_{j != i} (z_i - z_j)), and a connected component made of m disks
    holds exactly m roots. Here p = P(., z) and p(z_i) is enclosed for all z in ``zb`` by the
    mean-value form P(z_i, c) + (zb - c) P_z(z_i, zb) (c the centre of ``zb``), l by l(zb); the
    radii so bound n |W_i(z)| for each z in ``zb``, and pairwise disjoint disks hold one root
    each.
    """
    zc = zb.mid()
    cs = [q(zc) for q, _dq in coefs]
    ds = [dq(zb) for _q, dq in coefs]
    n = len(cs) - 1
    lc = coefs[-1][0](zb)
    if n < 1 or lc.contains(0):
        return None
    try:
        approx = [r.mid() for r in fl.acb_poly([c.mid() for c in cs]).roots()]
    except ValueError:
        return None
    P, Pz, dz = fl.acb_poly(cs), fl.acb_poly(ds), zb - zc
    disks = []
    for i, zi in enumerate(approx):
        den = lc
        for j, zj in enumerate(approx):
            if j != i:
                den *= zi - zj
        if den.contains(0):
            return None
        w = abs((P(zi) + dz * Pz(zi)) / den) * n
        if not w.is_finite():
            return None
        disks.append((zi, fl.arb(w.upper())))
    for i in range(n):
        for j in range(i):
            if not abs(disks[i][0] - disks[j][0]) > disks[i][1] + disks[j][1]:
                return None
    return disks


def _inside(fl: Any, ball: Any, radius: Any, disk: tuple) -> bool:
    """Whether the disk (or acb ball) centred at ``ball`` with extra ``radius`` lies in
    ``disk``."""
    return bool((abs(ball - disk[0]) + radius).upper() <= disk[1].lower())


def _box(fl: Any, x0: Fraction, x1: Fraction, y0: Fraction, y1: Fraction) -> Any:
    """The acb ball containing the box [x0, x1] + i [y0, y1] (exact dyadic/rational ends)."""
    def iv(a: Fraction, b: Fraction) -> Any:
        m, r = (a + b) / 2, abs(b - a) / 2
        mid = fl.arb(fl.fmpq(m.numerator, m.denominator))
        return mid if not r else fl.arb(mid, fl.arb(fl.fmpq(r.numerator, r.denominator)))
    return fl.acb(iv(x0, x1), iv(y0, y1))


def _track(fl: Any, coefs: list, s: Fraction, roots_s: list, Y: Fraction) -> int | None:
    """The index in ``roots_s`` (certified roots of P(., s)) of G(s + i0), or None.

    G is followed along a path in the upper half-plane from a start z0 = x0 + iY, first
    horizontally to s + iY, then down to s. At z0 all roots of P(., z0) are isolated by disjoint
    disks (:func:`_isolating_disks`); G(z0) lies in the closed disk with diameter [0, -i/Y]:
    |G|^2 <= int dmu/|z - t|^2 = -Im G / Y (Cauchy-Schwarz, mu a probability measure), and G
    is the root of the only disk that meets it (a few x0 and Y are tried: other branches fall
    outside that disk at some of them). Along each leg, :func:`_follow` keeps G in Krawczyk
    boxes, each holding exactly one root for every z of its piece of the path; G is analytic
    in the upper half-plane, so it stays the root in the box. At y = 0 the last box holds
    exactly one root of the exact P(., s); G(s + i0) is its limit, that root.
    """
    span = max(Y / 4, Fraction(1))
    starts = []
    for x0 in (s, Fraction(0), span, -span, 2 * span, -2 * span):
        if x0 not in starts:
            starts.append(x0)
    for x0 in starts:
        for _ in range(3):
            got = _track_from(fl, coefs, s, roots_s, x0, Y)
            if got != "start":
                break
            Y *= 4
        if isinstance(got, int):
            return got
    return None


def _krawczyk(fl: Any, coefs: list, X: Any, zb: Any) -> Any:
    """K(X) when it lies in the interior of the box X, else None; then, for EVERY z in the
    ball ``zb``, P(., z) has exactly one root in X, and it lies in K(X).

    Krawczyk's operator K(X) = c - y p(c) + (1 - y p'(X)) (X - c), c the centre of X, y an
    approximation of 1/p'(c) (Krawczyk 1969, Moore 1977; for an analytic p the mean value
    enclosure p(a) - p(b) in p'(X)(a - b) holds for the convex box X). p(c) is enclosed for all
    z in ``zb`` by the mean-value form P(c, m) + (zb - m) P_z(c, zb), m the centre of ``zb``.
    """
    c, m = X.mid(), zb.mid()
    at_m = fl.acb_poly([q(m) for q, _dq in coefs])
    dz = fl.acb_poly([dq(zb) for _q, dq in coefs])
    pc = at_m(c) + (zb - m) * dz(c)
    dX = at_m.derivative()(X) + (zb - m) * dz.derivative()(X)        # mean-value form too
    dc = at_m.derivative()(c).mid()
    if dc == 0:
        return None
    y = (1 / dc).mid()
    K = c - y * pc + (1 - y * dX) * (X - c)
    inside = (K.real.lower() > X.real.lower() and K.real.upper() < X.real.upper()
              and K.imag.lower() > X.imag.lower() and K.imag.upper() < X.imag.upper())
    return K if inside else None


def _square(fl: Any, center: Any, radius: float) -> Any:
    """The box centre +- radius (each coordinate)."""
    c, r = center.mid(), fl.arb(radius)
    return fl.acb(fl.arb(c.real.mid(), r), fl.arb(c.imag.mid(), r))


def _newton(fl: Any, coefs: list, g: Any, z: Any) -> Any:
    """A few Newton steps (midpoint arithmetic) for the root of P(., z) near g, or None."""
    p = fl.acb_poly([q(z) for q, _dq in coefs])
    dp = p.derivative()
    for _ in range(60):
        d = dp(g).mid()
        if d == 0:
            return None
        step = (p(g) / d).mid()
        g = (g - step).mid()
        if abs(complex(step)) <= 1e-30 * (1 + abs(complex(g))):
            return g
    return None


def _contains_box(inner: Any, outer: Any) -> bool:
    """Whether the acb ball ``inner`` lies in the interior of the box ``outer``."""
    return bool(inner.real.lower() > outer.real.lower()
                and inner.real.upper() < outer.real.upper()
                and inner.imag.lower() > outer.imag.lower()
                and inner.imag.upper() < outer.imag.upper())


def _track_from(fl: Any, coefs: list, s: Fraction, roots_s: list, x0: Fraction,
                Y: Fraction) -> Any:
    """:func:`_track` from x0 + iY: the index, None (the path failed) or 'start' (not exactly
    one root meets the Cauchy-Schwarz disk at the start)."""
    top = _isolating_disks(fl, coefs, _box(fl, x0, x0, Y, Y))
    if top is None:
        return "start"
    rc = fl.arb(fl.fmpq(Y.denominator, 2 * Y.numerator))
    c = fl.acb(0, -rc)
    hits = [d for d in top if not abs(d[0] - c) > d[1] + rc]
    if len(hits) != 1:
        return "start"
    g0, r0 = hits[0]
    cur = fl.acb(fl.arb(g0.real, r0), fl.arb(g0.imag, r0))     # holds G(z0), no other root
    if x0 != s:
        cur = _follow(fl, coefs, cur, (x0, Y), (s, Y))
        if cur is None:
            return None

    def last(X: Any) -> Any:                   # X holds exactly one root of P(., s)
        at_s = [k for k, r in enumerate(roots_s) if _contains_box(r, X)]
        return at_s[0] if len(at_s) == 1 else None
    return _follow(fl, coefs, cur, (s, Y), (s, Fraction(0)), last)


def _follow(fl: Any, coefs: list, cur: Any, a: tuple, b: tuple, last: Any = None) -> Any:
    """Follow the root of P(., z) in the box ``cur`` (which holds no other root) along the
    segment from z = a to z = b ((x, y) pairs of Fractions), in pieces: on each, a Krawczyk box
    X holds exactly one root for every z of the piece and contains the current box, so it holds
    the followed root all along the piece; at the piece's end the root is isolated again in a
    tiny box. Returns that box at b, or ``last(X)`` for the final piece's X when given (the
    piece is shortened while it returns None); None when the pieces get too short."""
    (xa, ya), (xb, yb) = a, b
    t, h = Fraction(0), Fraction(1, 8)                  # parameter along the segment, 0 -> 1
    for _ in range(_MAX_SEGMENTS):
        if h < Fraction(1, 2 ** 40):
            return None
        t_up = min(Fraction(1), t + h)
        x_a, y_a = xa + t * (xb - xa), ya + t * (yb - ya)
        x_b, y_b = xa + t_up * (xb - xa), ya + t_up * (yb - ya)
        z_end = _box(fl, x_b, x_b, y_b, y_b)
        g = cur.mid()
        g1 = _newton(fl, coefs, g, z_end)
        if g1 is None:
            h /= 2
            continue
        tiny = 2.0 ** -80 * (1 + abs(complex(g1)))
        rad_cur = float(max(cur.real.rad(), cur.imag.rad()))
        X = _square(fl, (g + g1) / 2, 1.25 * abs(complex(g1 - g)) + 2 * rad_cur + 8 * tiny)
        seg = _box(fl, min(x_a, x_b), max(x_a, x_b), min(y_a, y_b), max(y_a, y_b))
        if _krawczyk(fl, coefs, X, seg) is None or not _contains_box(cur, X):
            h /= 2
            continue
        if t_up == 1 and last is not None:
            got = last(X)
            if got is not None:
                return got
            h /= 2
            continue
        X1 = _square(fl, g1, 4 * tiny)
        K1 = _krawczyk(fl, coefs, X1, z_end)
        if K1 is None or not _contains_box(X1, X):
            h /= 2
            continue
        if t_up == 1:
            return K1
        cur, t, h = K1, t_up, 2 * h                  # the root at z_end is the one in X1
    return None


def _poly_ball(fl: Any, P: sp.Poly, g: Any, x: Any) -> Any:
    """P(g, x) in ball arithmetic for a rational polynomial P(G, z) and real balls g, x."""
    out = fl.arb(0)
    for (i, j), c in P.terms():
        c = sp.Rational(c)
        out += fl.arb(fl.fmpq(int(c.p), int(c.q))) * g ** i * x ** j
    return out


def _analysis(law: Any, dps: int) -> _Analysis | None:
    eng = _curve(law)
    if eng is None:
        return None
    an = _Analysis(law, eng, dps)
    an.isolate()
    an.classify()
    return an


def _value(loc: Any, dps: int) -> mpmath.mpf:
    """An exact or numeric location as an mpf of dps + 15 digits."""
    with mpmath.workdps(dps + 15):
        if isinstance(loc, sp.Basic):
            return mpmath.mpf(sp.Float(sp.N(loc, dps + 15), dps + 15)._mpf_)
        if isinstance(loc, Fraction):
            return mpmath.mpf(loc.numerator) / loc.denominator
        return mpmath.mpf(loc)


def _near(ball: Any, loc: Any, err: Any, dps: int) -> bool:
    """Whether an engine location (with its error) is compatible with a root ball."""
    lo, hi = _bounds(ball)
    x = _value(loc, dps)
    with mpmath.workdps(dps + 10):
        slack = 10 * mpmath.mpf(err or 0) + _tol(dps, x)
        return lo - slack <= x <= hi + slack


def _located(edge: Edge, ball: Any, dps: int) -> Edge:
    lo, hi = _bounds(ball)
    if _exact(edge.location):
        loc, err = edge.location, edge.error
    else:
        with mpmath.workdps(dps):
            loc = +((lo + hi) / 2)
        with mpmath.workdps(dps + 10):
            err = max(loc - lo, hi - loc)
        with mpmath.workdps(3):
            err = +mpmath.mpf(err) * (1 + mpmath.mpf(2) ** -8)      # rounded up
    return dataclasses.replace(edge, location=loc, error=err, enclosure=_exact_pair((lo, hi)))


def certify_edges(law: Any, edges: list, dps: int) -> list:
    """The engine's ``edges`` of ``law`` with certified ``enclosure`` fields.

    Exact locations are enclosed by :func:`enclose`; numeric ones by the certified analysis of
    the law's algebraic curve (see the module docstring), which must find the same band ends.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.numeric.certify import certify_edges
    >>> law = fa.semicircle(1).boxplus(fa.free_poisson(sp.Rational(1, 2)))
    >>> [e.side for e in certify_edges(law, law.edges(dps=30), 30)]
    ['left', 'right']

    Parameters
    ----------
    law : Law
        Any object with ``curve()`` (and optionally ``_curve_engine``) and ``cauchy``.
    edges : list of Edge
        What ``law.edges(dps)`` returned.
    dps : int
        Decimal digits: enclosures narrower than ``10**-(dps - 5)`` (relative to the edge
        when it exceeds 1).

    Returns
    -------
    list of Edge
        Each with ``enclosure = (lo, hi)``; numeric locations are replaced by the midpoint
        of the certified ball, and their ``error`` bounds the distance to either end.

    Raises
    ------
    OptionalDependencyError
        Without python-flint (the ``certify`` extra).
    NoConvergence
        When an edge has no exact formula and the law no exact algebraic curve, or when the
        certified analysis and the engine disagree.
    UndeterminedError
        When the law or an edge depends on symbols.
    """
    flint_module()
    _no_symbols(law, [e.location for e in edges])
    law, edges = _exact_law(law, edges, lambda ex: ex.edges(dps))
    out: list = []
    # an exact-looking location with a nonzero error was identified numerically: not a formula
    numeric = [e for e in edges if not _exact(e.location) or e.error]
    # every edge of a law with an exact algebraic curve (closed forms included) is checked
    # against the certified analysis and enclosed by its root ball, and no band end of the
    # analysis may be missing (also when the engine found no edge); only laws without a curve
    # (uniform, mixtures, ...) have their exact edges enclosed from the formula alone
    an = _analysis(law, dps)
    if numeric and an is None:
        raise NoConvergence("certified edges", dps=dps, advice=(
            "this law has neither exact edge formulas nor an algebraic curve with rational "
            "coefficients; use exact (sympy Rational) parameters, or a law built by "
            "⊞ / ⊠ / compression from catalogue laws"))
    for e in edges:
        exact = _exact(e.location) and not e.error
        if an is not None:
            if e.side:
                want = (("zero", "positive") if e.side == "left" else ("positive", "zero"))
            else:
                want = ("positive", "positive")
            hits = [i for i, r in enumerate(an.roots)
                    if (an.status[i], an.status[i + 1]) == want
                    and _near(r, e.location, e.error, dps)]
            if len(hits) != 1:
                raise NoConvergence(
                    f"certified edge near {mpmath.nstr(_value(e.location, dps), 12)}", dps=dps,
                    advice=(f"{len(hits)} certified roots of the discriminant with the density "
                            f"{want[0]} on the left and {want[1]} on the right match it; the "
                            "engine's edge and the certified analysis disagree (report this)"))
            if not e.side:
                an.confirm_interior(hits[0], e.kind)
        if exact and an is None:                    # a closed form, no curve to check it
            lo, hi = enclose(e.location, dps)
            out.append(dataclasses.replace(e, enclosure=(lo, hi)))
        elif exact:
            # a composite law's exact edge (a snapped candidate such as a + b) is a value the
            # engine recognised, not a theorem: the enclosure is the certified root ball of D,
            # and the exact value must lie in it
            assert an is not None
            lo, hi = _exact_pair(_bounds(an.roots[hits[0]]))
            elo, ehi = enclose(e.location, dps)
            if ehi < lo or elo > hi:
                raise NoConvergence(
                    f"certified edge {e.location}", dps=dps, advice=(
                        f"the certified root of the discriminant is in [{float(lo)!r}, "
                        f"{float(hi)!r}], which excludes the engine's exact value; the engine "
                        "and the certified analysis disagree (report this)"))
            out.append(dataclasses.replace(e, enclosure=(lo, hi)))
        else:
            assert an is not None
            out.append(_located(e, an.roots[hits[0]], dps))
    if an is not None:
        ends = {i for i in range(len(an.roots)) if an.status[i] != an.status[i + 1]}
        covered = {i for i in ends if any(_near(an.roots[i], e.location, e.error, dps)
                                          for e in edges)}
        if ends - covered:
            miss = ", ".join(mpmath.nstr(_bounds(an.roots[i])[0], 12)
                             for i in sorted(ends - covered))
            raise NoConvergence("certified edges", dps=dps, advice=(
                f"the certified analysis of the curve finds band ends at {miss} that the "
                "engine did not report (report this)"))
    return out


def _no_symbols(law: Any, values: list) -> None:
    syms: set = set(getattr(law, "free_symbols", set()) or set())
    for v in values:
        if isinstance(v, sp.Basic):
            syms |= v.free_symbols
    if syms:
        raise UndeterminedError("a certified enclosure", sorted(syms, key=str))


def _exact_law(law: Any, records: list, recompute) -> tuple:
    """A law with float parameters is certified as the exact law its floats store (the law the
    numeric strategies solve): its records are recomputed from that law."""
    if law is None or all(_exact(v) for r in records for v in _numbers(r)):
        return law, records
    try:
        ex = exactified(law)
    except (AttributeError, TypeError):
        return law, records
    if ex is law:
        return law, records
    return ex, recompute(ex)


def _numbers(r: Any) -> tuple:
    if isinstance(r, Edge):
        return (r.location,)
    return (r.location, r.mass)


def certify_atoms(atoms: list, dps: int = 30, law: Any = None) -> list:
    """``atoms`` with certified ``enclosure`` (location) and ``mass_enclosure`` fields.

    Atoms of catalogue laws and those of the atom theorems (Bercovici-Voiculescu for ⊞,
    Belinschi for ⊠, Nica-Speicher for compressions) are exact sympy numbers; they are
    enclosed by :func:`enclose`. Atoms of Boolean and monotone convolutions and of Jacobi
    laws are poles of a branch of the curve that the engine's G picked; each is certified as a
    simple pole of G (G followed to it in ball arithmetic, the other branches boxed across
    it), its enclosures being the root ball of the discriminant and the residue ball.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.numeric.certify import certify_atoms
    >>> a = certify_atoms(fa.free_poisson(sp.Rational(1, 2)).atoms(), 30)[0]
    >>> a.mass_enclosure[0] <= sp.Rational(1, 2) <= a.mass_enclosure[1]
    True

    Parameters
    ----------
    atoms : list of Atom
        What ``law.atoms()`` returned.
    dps : int, optional
        Decimal digits of the enclosures.
    law : Law, optional
        The law they belong to: a law with float parameters is certified as the exact law its
        floats store (its atoms are recomputed from it).

    Returns
    -------
    list of Atom

    Raises
    ------
    OptionalDependencyError
        Without python-flint (the ``certify`` extra).
    NoConvergence
        For an atom found numerically (its location or mass is not an exact number).
    UndeterminedError
        When the law or an atom depends on symbols.
    """
    flint_module()
    _no_symbols(law, [v for a in atoms for v in (a.location, a.mass)])
    law, atoms = _exact_law(law, atoms, lambda ex: ex.atoms())
    out = []
    for a in atoms:
        # an atom with a nonzero error was found numerically (an exact-looking mass may be a
        # PSLQ identification, not a theorem): not certified
        if not (_exact(a.location) and _exact(a.mass)) or a.error:
            raise NoConvergence(f"certified atom near {a.location}", dps=dps, advice=(
                "its location or mass was found numerically; certificates need exact atoms "
                "(exact parameters, and a law whose atoms follow from the atom theorems)"))
        loc, mass = enclose(a.location, dps), enclose(a.mass, dps)
        if getattr(law, "name", "") in _POLE_ATOM_LAWS:
            loc, mass = _pole_atom(law, a, loc, mass, dps)
        out.append(dataclasses.replace(a, enclosure=loc, mass_enclosure=mass))
    return out


# laws whose atoms are poles of the curve's branches chosen by the engine's G (the poles of
# boolean.curve_atoms), not atom theorems: each is certified as a simple pole of G
_POLE_ATOM_LAWS = ("boolean_additive", "monotone_additive", "boolean_power", "from_jacobi")


def _pole_atom(law: Any, atom: Any, loc: tuple, mass: tuple, dps: int) -> tuple:
    """(location, mass) enclosures of an atom certified as a simple pole of G: the root ball of
    D at the atom and the residue ball (:meth:`_Analysis.confirm_atom`); the exact values
    must lie in them."""
    what = f"certified atom near {float(loc[0]):.12g}"
    eng = _curve(law)
    if eng is None:
        raise NoConvergence(what, dps=dps, advice=(
            "its existence was decided numerically and the law has no exact algebraic curve "
            "to certify the pole of G; use exact (sympy Rational) parameters"))
    an = _Analysis(law, eng, dps)
    an.isolate()
    lo, hi = (sp.Rational(v) for v in loc)
    ks = [k for k, r in enumerate(an.roots)
          if not (_rational(_bounds(r)[1]) < lo or _rational(_bounds(r)[0]) > hi)]
    if len(ks) != 1:
        raise NoConvergence(what, dps=dps, advice=(
            "the atom is not at one root of the discriminant of the curve; the engine and the "
            "certified analysis disagree (report this)"))
    m_lo, m_hi = (_rational(v) for v in an.confirm_atom(ks[0]))
    if float(m_hi - m_lo) > float(_tol(dps, 1)):
        raise NoConvergence(what, dps=dps, residual=float(m_hi - m_lo), advice=(
            f"the certified residue ball is wider than 1e-{dps - 5}; ask for fewer digits"))
    if mass[1] < m_lo or mass[0] > m_hi:
        raise NoConvergence(what, dps=dps, advice=(
            f"the certified residue of G there is in [{float(m_lo)!r}, {float(m_hi)!r}], which "
            "excludes the engine's mass; the engine and the certified analysis disagree "
            "(report this)"))
    return _exact_pair(_bounds(an.roots[ks[0]])), (m_lo, m_hi)
