"""Algebraic curves P(G, z) = 0: Cauchy transforms, support edges and free convolutions.

Many laws are *algebraic*: their Cauchy transform G(z) solves a polynomial equation
P(G, z) = 0, and it is the branch with G ~ 1/z as z -> i*infinity, mapping C+ into C-. This
module works on the curve alone (a sympy polynomial in two generators, the first one playing
G and the second z); it knows nothing about laws.

* :class:`AlgebraicCurve` evaluates G on many points at once in float64 (all roots of P(., z)
  from stacked companion matrices, one ``numpy.linalg.eigvals`` call; closed forms up to
  degree 3, each cubic's roots certified by Vieta's formulas) and fixes the branch by
  *continuity*: the points are sorted, one point is anchored on the physical branch (by
  following x + iy from large y down, where G ~ 1/z singles the branch out), and the grid is
  followed with a first-order predictor, each step accepted only when the nearest root is
  unambiguous. Points where that test fails are re-anchored along their own vertical path;
  what stays ambiguous is NaN, never a guess. In mpmath (``cauchy_mp``) the float64 value is
  polished by Newton's method at the requested precision and accepted only when the other
  roots are far away.
* :meth:`AlgebraicCurve.edge_candidates` and :meth:`AlgebraicCurve.edges`: support edges from
  the real roots of the discriminant of P in G (and of its leading coefficient), each one
  confirmed by the density being zero on one side and positive on the other.
* :func:`eliminate_additive`, :func:`eliminate_multiplicative`: the curve of a free additive or
  multiplicative convolution from the curves of its two factors (resultants of the
  subordination equations), with the factor satisfied by the true G picked by its Laurent
  expansion at infinity (the moments).

References
----------
Voiculescu, J. Funct. Anal. 66 (1986) (R-transform); J. Operator Theory 18 (1987)
(S-transform). Anderson, arXiv:1406.6664 (algebraicity is preserved by free convolutions).
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral
from typing import Any, Callable, NamedTuple, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import BranchError, InvalidParameterError

__all__ = [
    "AlgebraicCurve",
    "CurveEdge",
    "eliminate_additive",
    "eliminate_multiplicative",
]

# step acceptance: the nearest root must be this much closer than the second nearest, and the
# first-order move of the root must stay this small against its distance to the other roots
_RATIO = 0.25
# the leading coefficient counts as zero below this fraction of the largest coefficient
_LEAD_TOL = 1e-24
# a float64 root with Im G above this (relative) is not on the physical sheet
_IM_TOL = 1e-12
_MAX_PATH_STEPS = 600
# NaN in both parts, so that -Im G / pi is NaN too
_CNAN = complex(np.nan, np.nan)


def _check_dps(dps: Any) -> int:
    if isinstance(dps, bool) or not isinstance(dps, Integral) or int(dps) <= 0:
        raise InvalidParameterError("dps", dps, "must be a positive integer")
    return int(dps)


def _sym_to_mp(c: sp.Expr) -> Any:
    """An exact (or float) sympy number as an mpf/mpc at the current mpmath precision."""
    c = sp.sympify(c)
    if c.is_Rational:
        return mpmath.mpf(int(c.p)) / int(c.q)
    if c.is_Float:
        return mpmath.mpf(c._mpf_) if hasattr(c, "_mpf_") else mpmath.mpf(str(c))
    re, im = c.as_real_imag()
    digits = mpmath.mp.dps + 5
    re_v = mpmath.mpf(str(sp.N(re, digits)))
    im_v = mpmath.mpf(str(sp.N(im, digits)))
    return re_v if im_v == 0 else mpmath.mpc(re_v, im_v)


def _companion_roots(first: np.ndarray) -> np.ndarray:
    """All roots (N, n) of the monic polynomials whose companion matrices have the first rows
    ``first`` (N, n) (one stacked ``numpy.linalg.eigvals`` call)."""
    N, n = first.shape
    M = np.zeros((N, n, n), dtype=first.dtype)
    M[:, 0, :] = first
    idx = np.arange(n - 1)
    M[:, idx + 1, idx] = 1.0
    return np.linalg.eigvals(M).astype(complex, copy=False)


_SQRT3_2 = math.sqrt(3.0) / 2
_OMEGA = complex(-0.5, _SQRT3_2)           # exp(2 pi i / 3)
# a cubic's closed-form roots are kept when they reproduce its coefficients (Vieta) to this
# fraction of the sums of products of their moduli
_VIETA_TOL = 1e-13


def _cubic_roots(b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple:
    """The roots (N, 3) of G^3 + b G^2 + c G + d, vectorised, and where they are certified.

    Cardano's formula on the depressed cubic t^3 + p t + q (G = t - b/3), the cube root taken
    of the larger of -q/2 +- sqrt(q^2/4 + p^3/27) (no cancellation); for real coefficients in
    real arithmetic (Viete's trigonometric form for three real roots), so that real roots are
    real and complex ones come in exact conjugate pairs, as from the real eigenvalue solver.
    Certified: the roots reproduce b, c, d through Vieta's formulas to ``_VIETA_TOL`` times
    the same sums of products of their moduli, i.e. they are the exact roots of a cubic whose
    coefficients are that close to the given ones (a backward error bound). Rows that fail get
    one Newton step on each root (kept where it lowers |P|) and a second test; where that fails
    too the caller falls back on the companion matrix.
    """
    with np.errstate(all="ignore"):
        return _cubic_roots_raw(b, c, d)


def _cubic_roots_raw(b: np.ndarray, c: np.ndarray, d: np.ndarray) -> tuple:
    N = b.shape[0]
    R = np.empty((N, 3), dtype=complex)
    a3 = b / 3
    p3 = (c - b * a3) / 3
    h = (a3 * (2 * a3 * a3 - c) + d) / 2
    if not np.iscomplexobj(b):
        disc = h * h + p3 * p3 * p3
        one = disc > 0                                  # one real root and a conjugate pair
        if one.any():
            hh, pp, aa = h[one], p3[one], a3[one]
            u = np.cbrt(-(hh + np.copysign(np.sqrt(disc[one]), hh)))
            v = np.where(u != 0, -pp / np.where(u != 0, u, 1.0), 0.0)
            re = -(u + v) / 2 - aa
            im = _SQRT3_2 * (u - v)
            R[one, 0] = u + v - aa
            R[one, 1] = re + 1j * im
            R[one, 2] = re - 1j * im
        three = ~one                                    # three real roots (or NaN)
        if three.any():
            m = np.sqrt(-p3[three])
            m3 = m * m * m
            cos3 = np.clip(-h[three] / np.where(m3 != 0, m3, 1.0), -1.0, 1.0)
            phi = np.arccos(cos3) / 3
            aa = a3[three]
            for j in range(3):
                R[three, j] = 2 * m * np.cos(phi - 2 * np.pi * j / 3) - aa
    else:
        sq = np.sqrt(h * h + p3 * p3 * p3)
        sq = np.where((h.conj() * sq).real >= 0, sq, -sq)
        u = (-(h + sq)) ** (1 / 3)
        v = np.where(u != 0, -p3 / np.where(u != 0, u, 1.0), 0)
        R[:, 0] = u + v - a3
        R[:, 1] = _OMEGA * u + _OMEGA.conjugate() * v - a3
        R[:, 2] = _OMEGA.conjugate() * u + _OMEGA * v - a3
    cert = _vieta_ok(R, b, c, d)
    bad = np.nonzero(~cert)[0]
    if bad.size:
        # one Newton step on each root of the rows that fail, kept where it lowers |P|
        Rb = R[bad]
        bb, cc, dd = b[bad, None], c[bad, None], d[bad, None]
        P = ((Rb + bb) * Rb + cc) * Rb + dd
        Rn = Rb - P / ((3 * Rb + 2 * bb) * Rb + cc)
        Pn = ((Rn + bb) * Rn + cc) * Rn + dd
        Rb = np.where(np.isfinite(Rn) & (np.abs(Pn) < np.abs(P)), Rn, Rb)
        R[bad] = Rb
        cert[bad] = _vieta_ok(Rb, b[bad], c[bad], d[bad])
    return R, cert


def _vieta_ok(R: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Whether the roots R (N, 3) reproduce b, c, d of G^3 + b G^2 + c G + d (Vieta) to
    ``_VIETA_TOL`` times the same symmetric functions of their moduli."""
    r0, r1, r2 = R[:, 0], R[:, 1], R[:, 2]
    m0, m1, m2 = np.abs(r0), np.abs(r1), np.abs(r2)
    return ((np.abs(r0 + r1 + r2 + b) <= _VIETA_TOL * (m0 + m1 + m2))
            & (np.abs(r0 * r1 + r0 * r2 + r1 * r2 - c)
               <= _VIETA_TOL * (m0 * m1 + m0 * m2 + m1 * m2))
            & (np.abs(r0 * r1 * r2 + d) <= _VIETA_TOL * (m0 * m1 * m2)))


class CurveEdge(NamedTuple):
    """A confirmed support edge of an algebraic law.

    Examples
    --------
    >>> import mpmath
    >>> from freealg.numeric.curve import CurveEdge
    >>> e = CurveEdge(mpmath.mpf(2), "right", mpmath.mpf("1e-30"), None)
    >>> e.side, float(e.location)
    ('right', 2.0)

    Parameters
    ----------
    location : mpf
        Where the edge is.
    side : {'left', 'right'}
        'left' when the density is positive to the right of the edge (a band starts there),
        'right' when it is positive to the left (a band ends there).
    error : mpf
        A bound on ``|location - true edge|``.
    exponent : sympy Rational or None
        The local exponent a of the density ~ |x - edge|^a (1/2 soft edge, -1/2 hard edge, 1/3
        cusp), when a rational with a small denominator fits the measured slope; else None.
    """

    location: Any
    side: str
    error: Any
    exponent: Any = None


class AlgebraicCurve:
    """The algebraic curve P(G, z) = 0 of a Cauchy transform, ready for fast evaluation.

    Built once from a sympy ``Poly`` whose first generator is G and second z (exact or float
    coefficients, no free parameters). Immutable: it caches numpy coefficient arrays (the
    coefficient of G^k as a polynomial in z) for vectorised evaluation, and the exact
    coefficients for mpmath.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from freealg.numeric.curve import AlgebraicCurve
    >>> G, z = sp.symbols("G z")
    >>> sc = AlgebraicCurve(sp.Poly(G**2 - z*G + 1, G, z))       # semicircle of variance 1
    >>> sc.degree
    2
    >>> g = sc.cauchy_np(np.array([0.0, 1.0, 3.0]))
    >>> np.allclose(g, [-1j, (1 - np.sqrt(3)*1j)/2, (3 - np.sqrt(5))/2])
    True
    >>> import mpmath
    >>> print(mpmath.nstr(sc.cauchy_mp(1, dps=20), 20))            # (1 - i sqrt(3))/2
    (0.5 - 0.86602540378443864676j)
    >>> [float(e.location) for e in sc.edges(dps=20)]
    [-2.0, 2.0]

    Parameters
    ----------
    poly : sympy.Poly or sympy expression
        P(G, z); an expression needs ``G`` and ``z``.
    G, z : sympy.Symbol, optional
        The generators when ``poly`` is an expression.

    Raises
    ------
    InvalidParameterError
        When P is not a polynomial in two generators with numeric coefficients, or has degree
        0 in G.
    """

    __slots__ = ("poly", "degree", "_coef", "_np", "_np_dz", "_exact", "_real", "_cache")
    poly: sp.Poly
    degree: int
    _coef: tuple
    _np: np.ndarray
    _np_dz: np.ndarray
    _exact: bool
    _real: bool
    _cache: dict

    def __init__(self, poly: Any, G: Any = None, z: Any = None):
        if not isinstance(poly, sp.Poly):
            if G is None or z is None:
                raise InvalidParameterError(
                    "poly", poly, "an expression needs the generators G and z")
            try:
                poly = sp.Poly(poly, G, z)
            except sp.PolynomialError as err:
                raise InvalidParameterError(
                    "poly", poly, f"must be a polynomial in {G}, {z}") from err
        if len(poly.gens) != 2:
            raise InvalidParameterError("poly", poly, "must have exactly two generators (G, z)")
        if poly.free_symbols - set(poly.gens):
            raise InvalidParameterError(
                "poly", poly, "has free parameters; substitute numbers first (.subs)")
        n = poly.degree(poly.gens[0])
        if n < 1:
            raise InvalidParameterError("poly", poly, "must have degree >= 1 in G")
        Gs, zs = poly.gens
        coef = []
        for k in range(n + 1):
            ck = sp.Poly(poly.as_expr().coeff(Gs, k) if k else poly.as_expr().subs(Gs, 0), zs)
            coef.append(ck)
        dz = max([c.degree() for c in coef if not c.is_zero] + [0])
        arr = np.zeros((n + 1, dz + 1), dtype=complex)
        for k, ck in enumerate(coef):
            if ck.is_zero:
                continue
            for (e,), v in ck.terms():
                arr[k, dz - e] = complex(v)
        # z-derivative coefficients (descending powers, one shorter)
        if dz > 0:
            darr = arr[:, :-1] * np.arange(dz, 0, -1)[None, :]
        else:
            darr = np.zeros((n + 1, 1), complex)
        exact = poly.domain.is_QQ or poly.domain.is_ZZ
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError("poly", poly, "has coefficients that overflow float64")
        s = object.__setattr__
        s(self, "poly", poly)
        s(self, "degree", n)
        s(self, "_coef", tuple(coef))
        s(self, "_np", arr)
        s(self, "_np_dz", darr)
        s(self, "_exact", exact)
        s(self, "_real", bool(np.all(arr.imag == 0)))
        s(self, "_cache", {})

    def __setattr__(self, name, value):
        raise AttributeError("AlgebraicCurve is immutable")

    def __repr__(self) -> str:
        return f"AlgebraicCurve({self.poly.as_expr()}, gens={self.poly.gens})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, AlgebraicCurve) and self.poly == other.poly

    def __hash__(self) -> int:
        return hash(("AlgebraicCurve", self.poly))

    def __reduce__(self):
        return (AlgebraicCurve, (self.poly,))

    # ------------------------------------------------------------------------------------
    # float64 evaluation

    def _coeffs_np(self, z: np.ndarray, deriv: bool = False) -> np.ndarray:
        """Coefficients a_k(z) (or a_k'(z)) of G^k, shape (degree + 1, len(z)); real for a real
        ``z`` (which only a curve with real coefficients gets)."""
        arr = self._np_dz if deriv else self._np
        if not np.iscomplexobj(z):
            arr = arr.real
        out = np.empty((arr.shape[0], z.size), dtype=arr.dtype)
        out[:] = arr[:, :1]
        for j in range(1, arr.shape[1]):
            out *= z[None, :]
            out += arr[:, j:j + 1]
        return out

    def _roots_np(self, z: np.ndarray, coeffs: bool = False):
        """All roots (N, n), the dG/dz of each (N, n), and a mask of usable points (and the
        coefficient columns (n + 1, N) at z when ``coeffs``)."""
        n = self.degree
        # real arithmetic for a real curve on the real axis
        zr = z.real if self._real and not np.any(z.imag) else z
        A = self._coeffs_np(zr)
        lead = A[n]
        scale = np.max(np.abs(A), axis=0)
        good = np.isfinite(scale) & (np.abs(lead) > _LEAD_TOL * scale) & np.isfinite(z)
        lead_safe = np.where(good, lead, 1.0)
        with np.errstate(all="ignore"):
            if n == 1:
                R = (-A[0] / lead_safe).astype(complex)[:, None]
            elif n == 2:
                b = (A[1] / lead_safe).astype(complex, copy=False)
                c = (A[0] / lead_safe).astype(complex, copy=False)
                sq = np.sqrt(b * b - 4 * c)
                sq = np.where((b.conj() * sq).real >= 0, sq, -sq)
                q = -(b + sq) / 2
                q_safe = np.where(q == 0, 1.0, q)
                r2 = np.where(q == 0, 0.0, c / q_safe)
                R = np.stack([q, r2], axis=1)
            else:
                first = -(A[n - 1::-1] / lead_safe).T    # real: LAPACK's real path
                # a quotient that overflows (a tiny but admissible leading coefficient) makes
                # the point unusable rather than the whole batch
                good &= np.all(np.isfinite(first), axis=1)
                if n == 3:
                    # closed form, kept where the roots are certified; the rest by eigenvalues
                    R, cert = _cubic_roots(-first[:, 0], -first[:, 1], -first[:, 2])
                    redo = np.nonzero(good & ~cert)[0]
                else:
                    R = np.empty((z.size, n), dtype=complex)
                    redo = np.nonzero(good)[0]
                if redo.size:
                    R[redo] = _companion_roots(first[redo])
            R[~good] = _CNAN
            D = self._dgdz(A, self._coeffs_np(zr, deriv=True), R)
        return (R, D, good, A) if coeffs else (R, D, good)

    def _horner(self, A: np.ndarray, G: np.ndarray):
        """P and dP/dG at G (shape (N,)) with coefficient columns A (n+1, N)."""
        n = self.degree
        P = A[n].astype(complex)
        dP = np.zeros_like(P)
        for k in range(n - 1, -1, -1):
            dP = dP * G + P
            P = P * G + A[k]
        return P, dP

    def _dgdz(self, A, Ad, R):
        """dG/dz = -P_z / P_G at every root (one Horner pass for both)."""
        n = self.degree
        PG = n * A[n][:, None] + 0 * R
        Pz = Ad[n][:, None] * R + Ad[n - 1][:, None]
        for k in range(n - 1, 0, -1):
            PG = PG * R + k * A[k][:, None]
            Pz = Pz * R + Ad[k - 1][:, None]
        return -Pz / PG

    def _polish(self, z: np.ndarray, G: np.ndarray, A: np.ndarray | None = None) -> np.ndarray:
        """Two guarded Newton steps on the selected roots (``A``: the coefficient columns at z,
        when already known)."""
        ok = np.isfinite(G)
        if not ok.any():
            return G
        everywhere = bool(ok.all())
        GG = G if everywhere else G[ok]
        if A is None:
            A = self._coeffs_np(z if everywhere else z[ok])
        elif not everywhere:
            A = A[:, ok]
        with np.errstate(all="ignore"):
            P, dP = self._horner(A, GG)
            for _ in range(2):
                Gn = GG - P / dP
                Pn, dPn = self._horner(A, Gn)
                better = np.isfinite(Gn) & (np.abs(Pn) < np.abs(P))
                GG = np.where(better, Gn, GG)
                P = np.where(better, Pn, P)
                dP = np.where(better, dPn, dP)
        if everywhere:
            return GG
        out = G.copy()
        out[ok] = GG
        return out

    @staticmethod
    def _mingap(R):
        """Distance from each root to the nearest other root at the same point, (N, n)."""
        n = R.shape[1]
        out = np.full(R.shape, np.inf)
        # one pass per pair of columns (n is small; an (N, n, n) array costs ten times more)
        for i in range(n):
            for j in range(i + 1, n):
                d = np.abs(R[:, i] - R[:, j])
                np.minimum(out[:, i], d, out=out[:, i])
                np.minimum(out[:, j], d, out=out[:, j])
        return out

    @staticmethod
    def _match(Gj, Dj, J, Rp, Rn, Dn, dz, diag, gaps=None):
        """Nearest root at the next point to each first-order prediction, and whether it is
        unambiguous: the nearest root is much nearer than the second nearest, and both the
        prediction error and the trapezoid mismatch |G_n - G_p - (G'_p + G'_n) dz/2| (second
        order: large when the step is long for the local curvature, or when the pairing joins
        two different sheets) are small against the distance from the followed root to the
        other roots, at both ends. ``gaps``: the ``_mingap`` of Rp and Rn when known."""
        n = Rp.shape[1]
        pred = Gj + Dj * dz                                       # (N, m)
        dist = np.abs(Rn[:, None, :] - pred[:, :, None])          # (N, m, n)
        k = np.argmin(dist, axis=2)
        if n == 1:
            d1 = dist[:, :, 0]
            return k, np.isfinite(d1)
        # nearest and second nearest distance (a NaN anywhere in a row makes d1 NaN: not ok)
        if n == 2:
            a, b = dist[:, :, 0], dist[:, :, 1]
            d1, d2 = np.minimum(a, b), np.maximum(a, b)
        elif n == 3:
            a, b, c = dist[:, :, 0], dist[:, :, 1], dist[:, :, 2]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            d1, d2 = np.minimum(lo, c), np.maximum(lo, np.minimum(hi, c))
        else:
            ds = np.sort(dist, axis=2)                            # NaN sorts last
            d1 = np.where(np.isnan(ds[:, :, -1]), np.nan, ds[:, :, 0])
            d2 = ds[:, :, 1]
        rows = np.arange(k.shape[0])[:, None]
        Rk = Rn[rows, k]
        if gaps is not None:
            gap = np.minimum(gaps[0], gaps[1][rows, k])
        else:
            cols = np.arange(n)
            gp = np.abs(Gj[:, :, None] - Rp[:, None, :])
            if diag:
                gp[:, cols, cols] = np.inf
            else:
                gp[J[:, :, None] == cols] = np.inf
            gap = gp.min(axis=2)
            # ... and the distance from the chosen root to the others at the new point (near a
            # pole several roots grow like c/(z - a) and their gap shrinks along the step)
            gn = np.abs(Rk[:, :, None] - Rn[:, None, :])
            gn[k[:, :, None] == cols] = np.inf
            gap = np.minimum(gap, gn.min(axis=2))
        trap = np.abs(Rk - Gj - 0.5 * (Dj + Dn[rows, k]) * dz)
        return k, ((d1 <= _RATIO * d2) & (d1 <= _RATIO * gap) & (trap <= _RATIO * gap)
                   & np.isfinite(d1))

    def _step(self, Rp, Dp, zp, Rn, Dn, zn, sel=None, gaps=None):
        """Follow roots from points zp to points zn (rows).

        Follows every root (``sel`` None; results (N, n)) or root ``sel[i]`` of row i (results
        (N,)). Returns (target index, ok): the followed root continues to root k at zn, and the
        step is unambiguous: the segment stays inside the disc around zp free of the points where
        the physical branch can be singular (so the continuation along the segment exists and is
        unique, and its Taylor series converges on the step), and the first-order prediction
        picks one root clearly (see ``_match``), either in G or, where it fails, in 1/G (near a
        pole, where roots grow like c/(z - a), the prediction is far better in 1/G).
        """
        N, n = Rp.shape
        r = np.arange(N)
        if sel is None:
            J = np.broadcast_to(np.arange(n), (N, n))
            Gj, Dj = Rp, Dp
        else:
            J = sel[:, None]
            Gj, Dj = Rp[r, sel][:, None], Dp[r, sel][:, None]
        dz = (zn - zp)[:, None]
        B = self._singular_np()
        with np.errstate(all="ignore"):
            if B.size:
                rho = np.min(np.abs(zp[:, None] - B[None, :]), axis=1)[:, None]
            else:
                rho = np.full((N, 1), np.inf)
            k, ok = self._match(Gj, Dj, J, Rp, Rn, Dn, dz, sel is None, gaps)
            redo = np.nonzero(~ok.all(axis=1))[0]
            if redo.size and n > 1:
                Gr = Gj[redo]
                Rr = Rn[redo]
                kh, okh = self._match(1 / Gr, -Dj[redo] / (Gr * Gr), J[redo], 1 / Rp[redo],
                                      1 / Rr, -Dn[redo] / (Rr * Rr), dz[redo], sel is None)
                okr = ok[redo]
                k[redo] = np.where(okr, k[redo], kh)
                ok[redo] = (okr | okh) & ~(okr & okh & (k[redo] != kh))
            ok &= (np.abs(dz) <= 0.9 * rho) & np.isfinite(Dj * dz)
        if sel is not None:
            return k[:, 0], ok[:, 0]
        return k, ok

    def _scale(self) -> float:
        """1 + the largest |branch point| (roots of the discriminant and leading coefficient)."""
        c = self._cache
        if "scale" not in c:
            pts = self._branch_points_np()
            c["scale"] = 1.0 + (float(np.max(np.abs(pts))) if pts.size else 0.0)
        return c["scale"]

    def _branch_points_np(self) -> np.ndarray:
        c = self._cache
        if "bp" not in c:
            pts = []
            for q in (self._discriminant(), self._coef[-1]):
                raw = q.all_coeffs() if q.degree() > 0 else []
                # normalised exactly first: huge exact coefficients would overflow float64
                top = max((abs(v) for v in raw), default=1) or 1
                coeffs = [complex(v / top) for v in raw]
                if len(coeffs) > 1:
                    r = np.roots(coeffs)
                    pts.extend(r[np.isfinite(r)])
            c["bp"] = np.asarray(pts, dtype=complex)
        return c["bp"]

    def _singular_np(self) -> np.ndarray:
        """Branch points and poles on or below the real axis.

        The physical branch is analytic in C+ (a Cauchy transform), so branch points in C+
        belong to other sheets and cannot stop its continuation; across the support it continues
        into C- on another sheet, whose singularities count.
        """
        c = self._cache
        if "sing" not in c:
            B = self._branch_points_np()
            c["sing"] = B[B.imag <= 1e-9 * self._scale()]
        return c["sing"]

    def _discriminant(self) -> sp.Poly:
        c = self._cache
        if "disc" not in c:
            Gs, zs = self.poly.gens
            if self.degree == 1:
                d = sp.Poly(1, zs)
            else:
                d = sp.Poly(sp.discriminant(self.poly, Gs), zs)
                if d.is_zero:
                    raise InvalidParameterError(
                        "poly", self.poly, "must be squarefree in G (its discriminant vanishes "
                        "identically); pass its squarefree part")
            c["disc"] = d
        return c["disc"]

    def _anchor_vertical(self, zt: np.ndarray, Rt: np.ndarray, Dt: np.ndarray) -> np.ndarray:
        """Physical root index at each target point, following x + i(y + s) from large s down.

        Batched over the points, each with its own adaptive step factor. -1 where the branch
        cannot be fixed unambiguously (NaN in the result).
        """
        m = zt.size
        out = np.full(m, -1, dtype=int)
        if m == 0:
            return out
        n = self.degree
        S0 = 2.0 * self._scale()
        s = np.full(m, S0)
        # start: the root nearest 1/z at z = x + i(y + S0), raising S0 until unambiguous
        cur_R = np.empty((m, n), complex)
        cur_D = np.empty((m, n), complex)
        cur_k = np.full(m, -1, dtype=int)
        pending = np.arange(m)
        floor = 1e-15 * self._scale()
        pre = None
        for it in range(8):
            if pending.size == 0:
                break
            zs = zt[pending] + 1j * s[pending]
            if it == 0:
                # the ladders below the start points (see _ladder) in the same root call: they
                # serve when every start is unambiguous at S0, the common case
                lay = self._ladder_layout(zt, s, pending, floor)
                Ra, Da, ga = self._roots_np(np.concatenate([zs, lay[-1]]))
                R, D, good = Ra[:m], Da[:m], ga[:m]
                pre = (lay, Ra[m:], Da[m:], ga[m:])
            else:
                pre = None
                R, D, good = self._roots_np(zs)
            with np.errstate(all="ignore"):
                dist = np.abs(R - 1 / zs[:, None])
            order = np.argsort(dist, axis=1)
            d1 = np.take_along_axis(dist, order[:, :1], axis=1)[:, 0]
            d2 = (np.take_along_axis(dist, order[:, 1:2], axis=1)[:, 0] if n > 1
                  else np.full(d1.shape, np.inf))
            okp = good & (d1 <= 0.1 * d2) & np.isfinite(d1)
            idx = pending[okp]
            cur_R[idx], cur_D[idx], cur_k[idx] = R[okp], D[okp], order[okp, 0]
            pending = pending[~okp]
            s[pending] *= 4.0
        active = cur_k >= 0
        if active.any():
            self._ladder(zt, Rt, Dt, s, cur_R, cur_D, cur_k, active, out, floor,
                         pre if active.all() else None)
        q = np.full(m, 1.0 / 8)
        streak = np.zeros(m, dtype=int)
        for _ in range(_MAX_PATH_STEPS):
            ids = np.nonzero(active)[0]
            if ids.size == 0:
                break
            # one batch: try to land on the target, and compute the next level down
            s_new = s[ids] * q[ids]
            stuck = s_new < floor                 # last chance to land, then ambiguous
            L = ids.size
            zc = zt[ids] + 1j * s[ids]
            zn = zt[ids] + 1j * s_new
            Rn, Dn, good = self._roots_np(zn)
            Rc, Dc, sel = cur_R[ids], cur_D[ids], cur_k[ids]
            k, ok = self._step(np.concatenate([Rc, Rc]), np.concatenate([Dc, Dc]),
                               np.concatenate([zc, zc]), np.concatenate([Rt[ids], Rn]),
                               np.concatenate([Dt[ids], Dn]), np.concatenate([zt[ids], zn]),
                               np.concatenate([sel, sel]))
            land = ok[:L]
            out[ids[land]] = k[:L][land]
            active[ids[land]] = False
            active[ids[stuck & ~land]] = False
            acc = ok[L:] & good & ~land & ~stuck
            a = ids[acc]
            cur_R[a], cur_D[a], cur_k[a] = Rn[acc], Dn[acc], k[L:][acc]
            s[a] = s_new[acc]
            # after two accepted steps in a row the factor may shrink again
            grow = a[streak[a] >= 1]
            q[grow] = np.maximum(q[grow] ** 1.5, 1.0 / 64)
            streak[a] += 1
            rej = ids[~acc & ~land & ~stuck]
            q[rej] = np.sqrt(q[rej])
            streak[rej] = 0
            dead = rej[q[rej] > 1 - 1e-6]
            active[dead] = False
        return out

    def _ladder_layout(self, zt, s, ids, floor):
        """Rows of the vertical paths of points ``ids`` (see :meth:`_ladder`): (depth, owner,
        start, level, heights, z) with level l = 1..depth_i of path i at x + i s_i 4^-l, down to
        a quarter of the target's distance to the nearest singular point."""
        B = self._singular_np()
        with np.errstate(all="ignore"):
            if B.size:
                rho = np.min(np.abs(zt[ids, None] - B[None, :]), axis=1)
            else:
                rho = np.full(ids.size, np.inf)
            depth = np.log(s[ids] / np.maximum(0.25 * rho, floor)) / np.log(4.0)
        depth = np.clip(np.ceil(np.where(np.isfinite(depth), depth, 1.0)), 1, 30).astype(int)
        owner = np.repeat(np.arange(ids.size), depth)
        start = np.concatenate([[0], np.cumsum(depth)[:-1]])
        level = np.arange(owner.size) - start[owner] + 1
        heights = s[ids][owner] * 4.0 ** (-level)
        return depth, owner, start, level, heights, zt[ids][owner] + 1j * heights

    def _ladder(self, zt, Rt, Dt, s, cur_R, cur_D, cur_k, active, out, floor, pre=None):
        """All levels of the vertical paths at once: s, s/4, s/16, ... down to a quarter of the
        target's distance to the nearest singular point, in one root call and one step call.

        Each path is then walked level by level (plain lists), landing on the target from the
        highest level where that is unambiguous. Paths that land are done (``out``); a path
        whose step fails stops at its last good level (``cur_*`` and ``s`` updated, ``active``
        kept) for the adaptive loop. ``pre``: the layout and roots of all the rows, computed
        beforehand for these very points and heights.
        """
        ids = np.nonzero(active)[0]
        # rows: level l = 1..depth_i of path i; the step into row r starts at the row before
        # (level 0 is the start point)
        if pre is None:
            lay = self._ladder_layout(zt, s, ids, floor)
            Rl, Dl, good = self._roots_np(lay[-1])
        else:
            lay, Rl, Dl, good = pre
        depth, owner, start, level, heights, zl = lay
        first = level == 1
        Rp = np.where(first[:, None], cur_R[ids][owner], np.roll(Rl, 1, axis=0))
        Dp = np.where(first[:, None], cur_D[ids][owner], np.roll(Dl, 1, axis=0))
        zp = np.where(first, zt[ids][owner] + 1j * s[ids][owner], np.roll(zl, 1))
        # steps down the ladder, and landings from every level (the start included)
        nrow = owner.size
        top = start                                           # landing from level 0 of path i
        k, ok = self._step(np.concatenate([Rp, Rl, cur_R[ids]]),
                           np.concatenate([Dp, Dl, cur_D[ids]]),
                           np.concatenate([zp, zl, zt[ids] + 1j * s[ids]]),
                           np.concatenate([Rl, Rt[ids][owner], Rt[ids]]),
                           np.concatenate([Dl, Dt[ids][owner], Dt[ids]]),
                           np.concatenate([zl, zt[ids][owner], zt[ids]]))
        ok[:nrow] &= good[:, None]
        ks, oks = k[:nrow].tolist(), ok[:nrow].tolist()
        kl, okl = k[nrow:2 * nrow].tolist(), ok[nrow:2 * nrow].tolist()
        k0, ok0 = k[2 * nrow:].tolist(), ok[2 * nrow:].tolist()
        for i, p in enumerate(ids.tolist()):
            j = int(cur_k[p])
            if ok0[i][j]:
                out[p], active[p] = k0[i][j], False
                continue
            last = -1
            for r in range(top[i], top[i] + depth[i]):
                if not oks[r][j]:
                    break
                j, last = ks[r][j], r
                if okl[r][j]:
                    out[p], active[p] = kl[r][j], False
                    break
            if active[p] and last >= 0:               # hand the deepest good level over
                cur_R[p], cur_D[p], cur_k[p] = Rl[last], Dl[last], j
                s[p] = heights[last]

    def cauchy_np(self, z: Any, anchor: Callable[[complex], complex] | None = None) -> np.ndarray:
        """The Cauchy transform G(z) on many points at once (float64), branch fixed by continuity.

        All roots of P(., z) come from one stacked companion-matrix eigenvalue call (a closed
        form for degree <= 2; for degree 3 Cardano's, kept where it is certified). The points
        are sorted; the first is anchored on the physical branch, by following x + iy from
        large y (where G ~ 1/z) or by ``anchor``; the grid is then followed, taking at each
        point the root that continues the previous one (first-order predictor). Where a step is
        ambiguous (two roots too close for the step, e.g. next to an edge), the point is
        re-anchored along its own vertical path from large y. The selected roots get two guarded
        Newton steps.

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> from freealg.numeric.curve import AlgebraicCurve
        >>> G, z = sp.symbols("G z")
        >>> fp = AlgebraicCurve(sp.Poly(z*G**2 - z*G + 1, G, z))        # free Poisson(1)
        >>> x = np.array([1.0, 2.0, 5.0])        # density sqrt(4x - x^2)/(2 pi x) on [0, 4]
        >>> rho = np.sqrt(np.maximum(4*x - x*x, 0)) / (2*np.pi*x)
        >>> np.allclose(-fp.cauchy_np(x).imag / np.pi, rho)
        True

        Parameters
        ----------
        z : array_like of complex
            Points with Im z >= 0 (any shape); on the real axis the boundary value from C+ is
            returned.
        anchor : callable, optional
            ``anchor(z0) -> G(z0)``: an approximate value of G at the first sorted point (e.g. one
            subordination solve), used instead of the vertical path when it picks a root
            unambiguously.

        Returns
        -------
        numpy.ndarray of complex
            G(z), same shape as ``z``; NaN where the leading coefficient vanishes (a pole: an atom
            of the law, or a root escaping to infinity) or the root choice stays ambiguous.

        Raises
        ------
        InvalidParameterError
            When a point has Im z < 0 or ``z`` is not numeric.
        """
        try:
            zin = np.asarray(z, dtype=complex)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError("z", z, "must be numeric (complex numbers)") from err
        shape = zin.shape
        zf = zin.ravel()
        if np.any(zf.imag < 0):
            raise InvalidParameterError("z", z, "must lie in the closed upper half plane Im z >= 0")
        G = self._cauchy_flat(zf, anchor)[0]
        return G.reshape(shape)

    @staticmethod
    def _follow(hard: np.ndarray, sel: np.ndarray, k: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """The followed root index at every point of a sorted grid: a hard point keeps its own
        (-1: unknown), any other continues the previous point through the step map ``k``
        (row i maps the roots at point i to those at point i + 1; ``moved[i]``: row i - 1 is
        not the identity), -1 after an unknown one."""
        change = np.nonzero(hard | moved)[0]          # hard[0] is True: change[0] == 0
        vals = []
        cur = -1
        for p, h, v in zip(change.tolist(), hard[change].tolist(), sel[change].tolist()):
            if h:
                cur = v
            elif cur >= 0:
                cur = int(k[p - 1, cur])
            vals.append(cur)
        last = np.searchsorted(change, np.arange(sel.size), side="right") - 1
        return np.asarray(vals, dtype=int)[last]

    def _cauchy_flat(self, zf: np.ndarray, anchor=None):
        """G on a flat array, plus all the roots (N, n) at the points (for certification)."""
        N = zf.size
        G = np.full(N, _CNAN)
        Rall = np.full((N, self.degree), _CNAN)
        fin = np.isfinite(zf)
        if not fin.any():
            return G, Rall
        ids = np.nonzero(fin)[0]
        zs_ = zf[ids]
        order = np.lexsort((zs_.imag, zs_.real))
        ids = ids[order]
        zs = zf[ids]
        R, D, good, A = self._roots_np(zs, coeffs=True)
        Rall[ids] = R
        n, M = self.degree, zs.size
        if M > 1:
            mg = self._mingap(R) if n > 1 else None
            k, ok = self._step(R[:-1], D[:-1], zs[:-1], R[1:], D[1:], zs[1:],
                               gaps=None if mg is None else (mg[:-1], mg[1:]))
            hard = np.concatenate([[True], ~ok.all(axis=1) | ~good[1:] | ~good[:-1]])
        else:
            k = np.zeros((0, n), dtype=int)
            hard = np.array([True])
        sel = np.full(M, -1, dtype=int)
        # anchor the first point with the caller's value when it is unambiguous
        if anchor is not None and good[0]:
            try:
                g0 = complex(anchor(complex(zs[0])))
            except Exception:  # noqa: BLE001 - an unusable anchor only costs the vertical path
                g0 = complex("nan")
            if np.isfinite(g0):
                dist = np.abs(R[0] - g0)
                o = np.argsort(dist)
                if n == 1 or dist[o[0]] <= 0.1 * dist[o[1]]:
                    sel[0] = o[0]
        todo = np.nonzero(hard & (sel < 0) & good)[0]
        if todo.size:
            sel[todo] = self._anchor_vertical(zs[todo], R[todo], D[todo])
        # follow the grid from each anchored point: between points where a step permutes the
        # roots (few: the root order of the eigenvalue solver rarely changes along a grid) the
        # followed index is constant
        if M > 1:
            moved = np.concatenate([[False], (k != np.arange(n)).any(axis=1)])
        else:
            moved = np.zeros(1, dtype=bool)
        for _ in range(M):
            sel = self._follow(hard, sel, k, moved)
            need_a = np.nonzero(~hard & (sel < 0) & good)[0]
            if not need_a.size:
                break
            hard[need_a] = True
            sel[need_a] = self._anchor_vertical(zs[need_a], R[need_a], D[need_a])
        chosen = np.where(sel >= 0, R[np.arange(M), np.maximum(sel, 0)], _CNAN)
        chosen = self._polish(zs, chosen, A)
        # the physical branch maps C+ into C-: clear float noise on the axis, reject the rest
        with np.errstate(invalid="ignore"):
            tol = _IM_TOL * np.maximum(1.0, np.abs(chosen))
            wrong = chosen.imag > tol
            chosen = np.where(chosen.imag > 0, chosen.real + 0j, chosen)
        chosen[wrong] = _CNAN
        G[ids] = chosen
        return G, Rall

    def density_np(self, x: Any) -> np.ndarray:
        """Density -Im G(x + i0)/pi of the law on a float64 grid (NaN at atoms and ambiguities).

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> from freealg.numeric.curve import AlgebraicCurve
        >>> G, z = sp.symbols("G z")
        >>> AlgebraicCurve(sp.Poly(G**2 - z*G + 1, G, z)).density_np([0.0, 3.0]) * np.pi
        array([1., 0.])

        Parameters
        ----------
        x : array_like of float
            Real points.

        Returns
        -------
        numpy.ndarray of float
        """
        try:
            xa = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError("x", x, "must be real numbers") from err
        return -self.cauchy_np(xa.astype(complex)).imag / np.pi + 0.0

    # ------------------------------------------------------------------------------------
    # mpmath evaluation

    def _coef_mp(self, dps: int) -> list:
        key = ("mp", dps)
        c = self._cache
        if key not in c:
            with mpmath.workdps(dps):
                out = []
                for q in self._coef:
                    cs = q.all_coeffs() if not q.is_zero else [0]
                    out.append([_sym_to_mp(v) for v in cs])
            c[key] = out
        return c[key]

    def _eval_mp(self, coef: list, z: Any, G: Any):
        """P, dP/dG at (G, z) in mpmath (precision set by the caller)."""
        A = [mpmath.polyval(cs, z) for cs in coef]
        P = A[-1]
        dP = mpmath.mpf(0)
        for a in reversed(A[:-1]):
            dP = dP * G + P
            P = P * G + a
        return P, dP, A

    def cauchy_mp(self, z: Any, dps: int = 30, guess: Any = None) -> Any:
        """The Cauchy transform G(z) in mpmath at ``dps`` digits (scalar or list of points).

        The float64 value from :meth:`cauchy_np` (or ``guess``) is polished by Newton's method at
        dps + 10 digits and accepted only when it moved far less than the distance to every other
        root of P(., z) (so Newton stayed on the branch the float64 continuation fixed). Where the
        float64 branch is ambiguous, the branch is followed from above in mpmath (roots by
        ``mpmath.polyroots``). A point where it stays ambiguous, or a pole, gives mpc NaN.

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.curve import AlgebraicCurve
        >>> G, z = sp.symbols("G z")
        >>> sc = AlgebraicCurve(sp.Poly(G**2 - z*G + 1, G, z))
        >>> import mpmath
        >>> print(mpmath.nstr(sc.cauchy_mp(3, dps=25), 25))       # (3 - sqrt(5))/2
        (0.3819660112501051517954132 + 0.0j)
        >>> len(sc.cauchy_mp([0, 1j], dps=15))
        2

        Parameters
        ----------
        z : number or sequence of numbers
            Points with Im z >= 0.
        dps : int
            Decimal digits.
        guess : complex or sequence of complex, optional
            float64 values of G at the points (computed with :meth:`cauchy_np` if omitted).

        Returns
        -------
        mpc, or list of mpc for a sequence input

        Raises
        ------
        InvalidParameterError
            When ``dps`` is not a positive integer or a point has Im z < 0.
        """
        dps = _check_dps(dps)
        scalar = not isinstance(z, (list, tuple, np.ndarray))
        if scalar:
            pts = [z]
        elif isinstance(z, np.ndarray):
            pts = list(z.astype(object).ravel())
        else:
            pts = list(z)
        wp = dps + 10
        with mpmath.workdps(wp):
            try:
                zm = [mpmath.mpmathify(p) for p in pts]
            except (TypeError, ValueError) as err:
                raise InvalidParameterError("z", z, "must be numeric") from err
            if any(mpmath.im(p) < 0 for p in zm):
                raise InvalidParameterError(
                    "z", z, "must lie in the closed upper half plane Im z >= 0")
            zc = np.array([complex(p) for p in zm], dtype=complex)
            if guess is None:
                Gnp, Rall = self._cauchy_flat(zc)
            else:
                Gnp = np.asarray(guess, dtype=complex).ravel()
                if Gnp.size != zc.size:
                    raise InvalidParameterError("guess", guess, "must have one value per point")
                Rall = self._roots_np(zc)[0]
            coef = self._coef_mp(wp)
            out = []
            for i, zi in enumerate(zm):
                g = self._newton_mp(coef, zi, Gnp[i], Rall[i], wp)
                if g is None:
                    g = self._track_mp(coef, zi, wp)
                if g is None:
                    out.append(mpmath.mpc(mpmath.nan, mpmath.nan))
                    continue
                if mpmath.im(g) > 0:
                    # the branch maps C+ into C-: rounding noise on the axis is cleared, a
                    # root clearly in C+ is not the physical one
                    if mpmath.im(g) > mpmath.mpf(10) ** (-(wp - 8)) * max(1, mpmath.fabs(g)):
                        out.append(mpmath.mpc(mpmath.nan, mpmath.nan))
                        continue
                    g = mpmath.mpc(mpmath.re(g), 0)
                out.append(g)
        with mpmath.workdps(dps):
            out = [+g for g in out]
        return out[0] if scalar else out

    def _newton_mp(self, coef, z, g0, roots, wp):
        """Newton from a float64 value, certified against the other float64 roots."""
        if not np.isfinite(g0):
            return None
        others = roots[np.isfinite(roots)]
        if others.size:
            d = np.abs(others - g0)
            d = np.sort(d)
            # the float value must be one of the roots, and the others far from it
            if d[0] > 1e-6 * max(1.0, abs(g0)):
                return None
            gap = d[1] if d.size > 1 else np.inf
        else:
            gap = np.inf
        g = mpmath.mpc(g0)
        tol = mpmath.mpf(10) ** (-(wp - 3)) * max(1, mpmath.fabs(g))
        for _ in range(40):
            P, dP, _ = self._eval_mp(coef, z, g)
            if dP == 0:
                return None
            step = P / dP
            g -= step
            if mpmath.fabs(step) <= tol:
                break
        else:
            return None
        moved = float(mpmath.fabs(g - mpmath.mpc(g0)))
        if not moved <= 1e-3 * gap:
            return None
        return g

    def _roots_mp(self, coef, z):
        A = [mpmath.polyval(cs, z) for cs in coef]
        lead = A[-1]
        big = max(mpmath.fabs(a) for a in A)
        if mpmath.fabs(lead) <= mpmath.mpf(10) ** (-(mpmath.mp.dps - 5)) * big:
            return None
        n = self.degree
        if n == 1:
            return [-A[0] / A[1]]
        try:
            return mpmath.polyroots(list(reversed(A)), maxsteps=200, extraprec=2 * mpmath.mp.prec)
        except mpmath.libmp.NoConvergence:
            return None

    def _track_mp(self, coef, zt, wp):
        """Follow the branch from zt + i*S down to zt in mpmath (slow path, adaptive steps)."""
        rt = self._roots_mp(coef, zt)
        if rt is None:
            return None
        S = mpmath.mpf(1e3 * self._scale())
        s = S
        zc = zt + 1j * s
        rc = self._roots_mp(coef, zc)
        if rc is None:
            return None
        dist = sorted(range(len(rc)), key=lambda j: mpmath.fabs(rc[j] - 1 / zc))
        if len(rc) > 1 and not (mpmath.fabs(rc[dist[0]] - 1 / zc)
                                <= 0.1 * mpmath.fabs(rc[dist[1]] - 1 / zc)):
            return None
        g = rc[dist[0]]
        q = mpmath.mpf(0.25)
        floor = mpmath.mpf(10) ** (-(wp - 5)) * S
        dcoef = [_dpoly(cs) for cs in coef]
        # singular points at working precision: the real ones refined (edge candidates), the
        # ones below the axis in float64 (they are never approached closely from C+)
        B = self._singular_np()
        sing = [loc for loc, _ in self._candidates(wp)]
        sing += [mpmath.mpc(b) for b in B[B.imag < -1e-9 * self._scale()]]

        def slope(zv, gv):
            """dG/dz = -P_z/P_G at the root gv of P(., zv)."""
            _, dP, _ = self._eval_mp(coef, zv, gv)
            Pz = mpmath.mpf(0)
            for cs in reversed(dcoef):
                Pz = Pz * gv + mpmath.polyval(cs, zv)
            return -Pz / dP

        def match(roots, cur_roots, prev, dprev, dz, slope_n):
            """The root continuing prev when unambiguous (the tests of ``_match``), else None."""
            pred = prev + dprev * dz
            ds = sorted((mpmath.fabs(r - pred), i) for i, r in enumerate(roots))
            if len(ds) == 1:
                return ds[0][1]
            gaps = sorted(mpmath.fabs(r - prev) for r in cur_roots)
            i = ds[0][1]
            best = roots[i]
            gap_n = min(mpmath.fabs(r - best) for j, r in enumerate(roots) if j != i)
            gap = min(gaps[1], gap_n)                            # gaps[0]: prev itself
            if not (ds[0][0] <= _RATIO * ds[1][0] and ds[0][0] <= _RATIO * gap):
                return None
            trap = mpmath.fabs(best - prev - (dprev + slope_n(i)) * dz / 2)
            return i if trap <= _RATIO * gap else None

        def pick(roots, cur_roots, prev, zp, zn, dgdz):
            """The root continuing prev from zp to zn, or None when ambiguous."""
            dz = zn - zp
            rho = min((mpmath.fabs(zp - b) for b in sing), default=mpmath.inf)
            if not mpmath.fabs(dz) <= 0.9 * rho:
                return None
            i = match(roots, cur_roots, prev, dgdz, dz, lambda j: slope(zn, roots[j]))
            if i is None and prev != 0 and all(r != 0 for r in roots):
                # near a pole: follow 1/G instead, H' = -G'/G^2
                inv = [1 / r for r in roots]
                inv_cur = [1 / r if r != 0 else mpmath.inf for r in cur_roots]
                i = match(inv, inv_cur, 1 / prev, -dgdz / prev**2, dz,
                          lambda j: -slope(zn, roots[j]) / roots[j] ** 2)
            return None if i is None else roots[i]

        for _ in range(_MAX_PATH_STEPS):
            dgdz = slope(zc, g)
            hit = pick(rt, rc, g, zc, zt, dgdz)
            if hit is not None:
                return hit
            s_new = s * q
            if s_new < floor:
                return None
            zn = zt + 1j * s_new
            rn = self._roots_mp(coef, zn)
            nxt = None if rn is None else pick(rn, rc, g, zc, zn, dgdz)
            if nxt is None:
                q = mpmath.sqrt(q)
                if q > 1 - mpmath.mpf(1e-6):
                    return None
                continue
            g, zc, rc, s = nxt, zn, rn, s_new
            q = max(q * q, mpmath.mpf(1) / 16)
        return None

    # ------------------------------------------------------------------------------------
    # edges

    def _candidates(self, dps: int):
        """[(location mpf, error mpf)] of the real roots of Disc_G P and of the leading coeff."""
        key = ("cand", dps)
        c = self._cache
        if key in c:
            return c[key]
        zs = self.poly.gens[1]
        polys = [self._discriminant(), self._coef[-1]]
        found: list = []
        with mpmath.workdps(dps + 10):
            for q in polys:
                if q.degree() <= 0:
                    continue
                if self._exact:
                    sq = sp.Poly(q.as_expr(), zs, domain="QQ").sqf_part()
                    ivs = sq.intervals()
                    for (a, b), _m in ivs:
                        a, b = sp.Rational(a), sp.Rational(b)
                        if a != b:
                            width = sp.Rational(1, 10 ** (dps + 2)) * max(1, abs(a), abs(b))
                            a, b = sq.refine_root(a, b, eps=width)
                            a, b = sp.Rational(a), sp.Rational(b)
                        mid = (a + b) / 2
                        loc = _sym_to_mp(mid)
                        err = _sym_to_mp((b - a) / 2)
                        found.append((loc, err))
                else:
                    coeffs = [_sym_to_mp(v) for v in q.all_coeffs()]
                    try:
                        rts = mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * mpmath.mp.prec)
                    except mpmath.libmp.NoConvergence:
                        continue
                    dq = [coeffs[i] * (len(coeffs) - 1 - i) for i in range(len(coeffs) - 1)]
                    for r in rts:
                        sc = max(1, mpmath.fabs(r))
                        if mpmath.fabs(mpmath.im(r)) > 1e-8 * sc:
                            continue
                        x = mpmath.re(r)
                        noise = 1e-15 * sum(mpmath.fabs(v) * mpmath.fabs(x) ** (len(coeffs) - 1 - i)
                                            for i, v in enumerate(coeffs))
                        slope = mpmath.fabs(mpmath.polyval(dq, x)) if dq else 0
                        err = noise / slope if slope else mpmath.sqrt(1e-15) * sc
                        found.append((x, err))
            found.sort(key=lambda t: t[0])
            uniq: list = []
            for loc, err in found:
                if uniq and mpmath.fabs(loc - uniq[-1][0]) <= max(err, uniq[-1][1]) * 4:
                    uniq[-1] = (uniq[-1][0], max(err, uniq[-1][1]))
                    continue
                uniq.append((loc, err))
        with mpmath.workdps(dps):
            res = [(+loc, +err) for loc, err in uniq]
        c[key] = res
        return res

    def edge_candidates(self, dps: int = 30) -> list:
        """Real roots of the discriminant of P in G and of its leading coefficient in z.

        Every support edge of the law is among them (the physical root collides with another
        root, or escapes to infinity); most other candidates are collisions off the physical
        sheet. Exact (rational isolating intervals refined by sympy) for rational coefficients,
        ``mpmath.polyroots`` otherwise.

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.curve import AlgebraicCurve
        >>> G, z = sp.symbols("G z")
        >>> AlgebraicCurve(sp.Poly(G**2 - z*G + 1, G, z)).edge_candidates(dps=15)
        [mpf('-2.0'), mpf('2.0')]

        Parameters
        ----------
        dps : int
            Decimal digits of the locations.

        Returns
        -------
        list of mpf
            Sorted, without repetitions.

        Raises
        ------
        InvalidParameterError
            When ``dps`` is not a positive integer.
        """
        dps = _check_dps(dps)
        return [loc for loc, _ in self._candidates(dps)]

    def edges(self, dps: int = 30, density: Callable[[np.ndarray], np.ndarray] | None = None,
              atoms: Sequence[Any] = ()) -> list:
        """Support edges: candidates where the density is zero on one side, positive on the other.

        Each candidate c is tested at c +- h for two offsets h (1e-4 and 1e-6 of the scale, and
        below a quarter of the distance to the nearest other candidate or atom); both offsets
        must agree. The local exponent is the slope of log density between them.

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.curve import AlgebraicCurve
        >>> G, z = sp.symbols("G z")
        >>> mp4 = AlgebraicCurve(sp.Poly(G**2*z - G*z - sp.Rational(3, 4)*G + 1, G, z))  # FP(1/4)
        >>> [(float(e.location), e.side, e.exponent) for e in mp4.edges(dps=20)]
        [(0.25, 'left', 1/2), (2.25, 'right', 1/2)]

        Parameters
        ----------
        dps : int
            Decimal digits of the locations.
        density : callable, optional
            ``density(x: ndarray) -> ndarray``; by default -Im G(x + i0)/pi from this curve.
        atoms : sequence of numbers, optional
            Atom locations of the law (the density is not sampled across them).

        Returns
        -------
        list of CurveEdge
            Sorted by location; ``error`` bounds ``abs(location - edge)``.

        Raises
        ------
        InvalidParameterError
            When ``dps`` is not a positive integer.
        """
        dps = _check_dps(dps)
        cands = self._candidates(dps)
        if not cands:
            return []
        dens = density if density is not None else self.density_np
        locs = np.array([float(c) for c, _ in cands])
        others = np.concatenate([locs, np.array([float(a) for a in atoms], dtype=float)])
        sc = np.maximum(1.0, np.abs(locs))
        steps = []
        for i, x in enumerate(locs):
            d = np.abs(others - x)
            d = d[d > 0]
            lim = d.min() / 4 if d.size else np.inf
            h1 = min(1e-4 * sc[i], lim)
            steps.append((h1, h1 * 1e-2))
        hs = np.asarray(steps)
        pts = np.concatenate([locs - hs[:, 0], locs - hs[:, 1], locs + hs[:, 1], locs + hs[:, 0]])
        rho = np.asarray(dens(pts), dtype=float)
        m = locs.size
        L1, L2, R2, R1 = rho[:m], rho[m:2 * m], rho[2 * m:3 * m], rho[3 * m:]
        zero_tol = 1e-10
        out = []
        with mpmath.workdps(dps):
            for i in range(m):
                vals = (L1[i], L2[i], R2[i], R1[i])
                if not all(np.isfinite(v) for v in vals):
                    continue
                thr = zero_tol
                lpos = L1[i] > thr and L2[i] > thr
                lzero = abs(L1[i]) <= thr and abs(L2[i]) <= thr
                rpos = R1[i] > thr and R2[i] > thr
                rzero = abs(R1[i]) <= thr and abs(R2[i]) <= thr
                if lzero and rpos:
                    side, a, b = "left", R1[i], R2[i]
                elif rzero and lpos:
                    side, a, b = "right", L1[i], L2[i]
                else:
                    continue
                alpha = math.log(a / b) / math.log(hs[i, 0] / hs[i, 1])
                fr = Fraction(alpha).limit_denominator(4)
                expo = (sp.Rational(fr.numerator, fr.denominator)
                        if abs(alpha - float(fr)) < 0.03 else None)
                loc, err = cands[i]
                rounding = mpmath.fabs(loc) * mpmath.eps * 2
                out.append(CurveEdge(+loc, side, +(err + rounding), expo))
        return out


def _dpoly(cs: list) -> list:
    """Coefficients (descending) of the derivative of the polynomial with coefficients cs."""
    n = len(cs) - 1
    if n <= 0:
        return [0]
    return [cs[i] * (n - i) for i in range(n)]


# ----------------------------------------------------------------------------------------
# curves of free convolutions


def _exact_number(v: Any) -> sp.Expr:
    """A moment as an exact sympy number (floats become the rationals they equal)."""
    e = sp.sympify(v)
    if e.is_Float:
        return sp.Rational(e)
    return e


def _select_factor(expr: sp.Expr, G: sp.Symbol, z: sp.Symbol, moments: Sequence[Any] | None,
                   check: tuple | None, what: str) -> sp.Poly:
    """The factor of expr satisfied by the true Cauchy transform."""
    _, facs = sp.factor_list(sp.expand(expr), G, z)
    cands = [sp.Poly(f, G, z) for f, _ in facs if f.has(G) and f.has(z)]
    cands = [c for c in cands if c.degree(G) >= 1]
    if not cands:
        raise BranchError(f"{what}: no factor of the eliminant involves G and z")
    if moments is not None:
        ms = [sp.S.One] + [_exact_number(m) for m in moments]
        K = len(ms) - 1
        t = sp.Dummy("t")
        Gser = sum(ms[k] * t ** (k + 1) for k in range(K + 1))
        keep = []
        for c in cands:
            dz = c.degree(z)
            ft = sp.Poly(sp.expand(c.as_expr().subs(z, 1 / t) * t ** dz), G, t)
            # F~(G(t), t) truncated at t^(K+2): all lower coefficients vanish on the true branch
            acc = sp.Poly(0, t)
            Gp = sp.Poly(Gser, t)
            powG = [sp.Poly(1, t)]
            for _ in range(ft.degree(G)):
                nxt = powG[-1] * Gp
                nxt = sp.Poly(sum(cf * t ** e for (e,), cf in nxt.terms() if e <= K + 1), t) \
                    if not nxt.is_zero else nxt
                powG.append(nxt)
            for (eG, et), cf in ft.terms():
                acc += powG[eG] * sp.Poly(cf * t ** et, t)
            low = [cf for (e,), cf in acc.terms() if e <= K + 1 and cf != 0]
            if not low:
                keep.append(c)
        if len(keep) != 1:
            raise BranchError(
                f"{what}: {len(keep)} factors of the eliminant match the {K} moments given",
                advice="give more moments" if keep else "check the moments")
        best = keep[0]
    elif check is not None:
        z0, g0 = complex(check[0]), complex(check[1])
        res = []
        for c in cands:
            terms = [complex(cf) * g0 ** eG * z0 ** ez for (eG, ez), cf in c.terms()]
            res.append(abs(sum(terms)) / max(sum(abs(v) for v in terms), 1e-300))
        order = np.argsort(res)
        if res[order[0]] > 1e-8 or (len(res) > 1 and res[order[1]] < 1e3 * res[order[0]]):
            raise BranchError(f"{what}: the check value does not single out one factor",
                              point=z0, advice="give the moments instead, or a more accurate value")
        best = cands[int(order[0])]
    else:
        if len(cands) != 1:
            raise InvalidParameterError(
                "moments", None, f"{what}: the eliminant has {len(cands)} factors; "
                "give the moments (or a check value) to pick the one of the true G")
        best = cands[0]
    _, best = best.primitive()
    if best.LC() < 0:
        best = -best
    return best


def _gens(P: Any, name: str):
    if not isinstance(P, sp.Poly) or len(P.gens) != 2:
        raise InvalidParameterError(name, P, "must be a sympy Poly in (G, z)")
    if P.free_symbols - set(P.gens):
        raise InvalidParameterError(name, P, "has free parameters; substitute numbers first")
    return P.gens


def eliminate_additive(P_mu: sp.Poly, P_nu: sp.Poly, moments: Sequence[Any] | None = None,
                       check: tuple | None = None) -> sp.Poly:
    """The curve of mu ⊞ nu from the curves of mu and nu (resultant of the subordination).

    With K_mu the inverse of G_mu (P_mu(w, K_mu(w)) = 0) the R-transforms add, so
    K(w) = K_mu(w) + K_nu(w) - 1/w (Voiculescu 1986): G solves P_mu(G, z1) = 0,
    P_nu(G, z + 1/G - z1) = 0 for some z1 (z1 = omega_1(z), the subordination function). The
    resultant in z1 is a polynomial in (G, z); its factor satisfied by the true G is picked by
    the Laurent expansion G = sum m_k z^(-k-1) (``moments``), or by a numeric ``check`` value,
    or is the only factor.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.curve import eliminate_additive
    >>> G, z = sp.symbols("G z")
    >>> sc = sp.Poly(G**2 - z*G + 1, G, z)                  # semicircle of variance 1
    >>> eliminate_additive(sc, sc, moments=[0, 2, 0, 8]).as_expr()     # variance 2
    2*G**2 - G*z + 1

    Parameters
    ----------
    P_mu, P_nu : sympy.Poly
        Curves in (G, z) of the two laws (the result uses the generators of ``P_mu``).
    moments : sequence, optional
        Exact moments m_1, m_2, ... of mu ⊞ nu (a few more than the degree of the result).
    check : (z0, G0), optional
        A point and an accurate value of G there.

    Returns
    -------
    sympy.Poly
        Primitive, with positive leading coefficient.

    Raises
    ------
    InvalidParameterError
        Bad curves, or several factors and nothing to choose with.
    BranchError
        When the moments or the check value do not single out one factor.
    """
    G, z = _gens(P_mu, "P_mu")
    G2, z2 = _gens(P_nu, "P_nu")
    w = sp.Dummy("w")
    A = sp.Poly(P_mu.as_expr().subs(z, w), G, w)
    B = sp.numer(sp.together(P_nu.as_expr().subs({G2: G, z2: z + 1 / G - w}, simultaneous=True)))
    res = sp.resultant(A.as_expr(), sp.expand(B), w)
    return _select_factor(res, G, z, moments, check, "free additive convolution")


def eliminate_multiplicative(P_mu: sp.Poly, P_nu: sp.Poly, moments: Sequence[Any] | None = None,
                             check: tuple | None = None) -> sp.Poly:
    """The curve of mu ⊠ nu from the curves of mu and nu (resultant of the S-transform product).

    With m = zG - 1 = psi(1/z), each law gives chi(m) = 1/z_i and S = chi (1 + m)/m
    (Voiculescu 1987), so G_i = (1 + m)/z_i solves P_i(., z_i) = 0, and S_mu S_nu = S gives
    z1 z2 = z (1 + m)/m. Eliminating z1 by a resultant leaves a polynomial in (G, z); its factor
    satisfied by the true G is picked as in :func:`eliminate_additive`. Both laws must live on
    [0, inf) with nonzero mean.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.curve import eliminate_multiplicative
    >>> G, z = sp.symbols("G z")
    >>> fp = sp.Poly(z*G**2 - z*G + 1, G, z)                # free Poisson(1)
    >>> eliminate_multiplicative(fp, fp, moments=[1, 3, 12, 55, 273]).as_expr()  # Fuss-Catalan
    G**3*z**2 - G*z + 1

    Parameters
    ----------
    P_mu, P_nu : sympy.Poly
        Curves in (G, z) of the two laws (the result uses the generators of ``P_mu``).
    moments : sequence, optional
        Exact moments m_1, m_2, ... of mu ⊠ nu.
    check : (z0, G0), optional
        A point and an accurate value of G there.

    Returns
    -------
    sympy.Poly
        Primitive, with positive leading coefficient.

    Raises
    ------
    InvalidParameterError
        Bad curves, or several factors and nothing to choose with.
    BranchError
        When the moments or the check value do not single out one factor.
    """
    G, z = _gens(P_mu, "P_mu")
    G2, z2 = _gens(P_nu, "P_nu")
    w, m = sp.Dummy("w"), sp.Dummy("m")
    A = sp.numer(sp.together(P_mu.as_expr().subs({G: (1 + m) / w, z: w}, simultaneous=True)))
    B = sp.numer(sp.together(P_nu.as_expr().subs({G2: m * w / z, z2: z * (1 + m) / (m * w)},
                                                  simultaneous=True)))
    res = sp.resultant(sp.expand(A), sp.expand(B), w)
    res = sp.expand(sp.numer(sp.together(res.subs(m, z * G - 1))))
    return _select_factor(res, G, z, moments, check, "free multiplicative convolution")
