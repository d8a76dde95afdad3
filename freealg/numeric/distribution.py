r"""Distribution methods shared by every law, in the scipy.stats sense.

:class:`DistributionMixin` gives a law ``cdf``, ``ppf``, ``rvs``, ``interval``, ``median``,
``mean()``, ``var()``, ``std()`` and ``entropy()``. The methods are written against the public
protocol of a law (``moment``, ``moments``, ``density(x, dps)``, ``atoms()``, ``support(dps)``,
``edges(dps)``), so this engine module does not import the laws.

Return rule (as for ``density``): a scalar argument gives an mpmath ``mpf`` with ``dps``
significant digits (30 when None); a list or an array gives a float64 ndarray.

How the CDF is computed
-----------------------
F(x) = (masses of the atoms at or left of x) + (the integral of the density up to x). The bands
of the support are split at cusps, singular points and atoms inside them into *pieces*; on each
piece the density is integrated by the tanh-sinh rule, whose nodes crowd doubly exponentially at
the ends of the interval, so the edge singularities x^{-1/2} (hard edges), x^{1/2} (soft edges) and
x^{-2/3}, x^{1/3} (cusps) sit at the ends and are integrated without special cases.

* **Scalars** (mpmath, ``dps`` digits): the integral from the nearer end of the piece (the
  other end's singularity stays at distance >= half the piece), with the error bound of
  :func:`~freealg.numeric.tanhsinh.tanh_sinh`. The piece masses plus the atom masses must sum to
  1 within their accuracy (plus 10^-(dps - 5), or 1e-8 when an edge was found numerically):
  otherwise a band, an atom or the density is wrong and :class:`~freealg.errors.NoConvergence`
  is raised rather than a CDF that does not reach 1. The reported error (``full_output``) is the
  quadrature error plus that mass defect. Partial integrals start from the band's midpoint
  (its mass is cached) unless x lies within 1/64 of the band's width from an edge.
* **Scalars of laws whose edges were found numerically** (compositions): a solved density is
  slow next to an edge (about a second per point within 1e-10 of it), so F(x) comes from the
  Cauchy transform instead, by a contour integral along x + iy (see :func:`_cdf_cauchy`; it
  agrees with the band integrals to about 1e-32 on the catalogue laws), away from atoms; the
  float64 table checks the total mass.
* **Arrays** (float64): each piece is mapped to s in [0, 1] by x = lo + (hi - lo) sin^2(pi s/2)
  and cut into cells; a table holds the cumulative mass at the cell boundaries (a fixed
  tanh-sinh rule per cell), and F(x) adds the integral from the nearer cell boundary.
* **ppf**: arrays invert the table by a safeguarded Newton iteration on the exact partial
  integrals (the same rule), so ``cdf(ppf(q)) == q`` to about 1e-13; scalars start from the
  float64 value and take Newton steps F(x) -> F(x) + (integral from x to x'), each one an
  mpmath quadrature, until |F(x) - q| is below 10^-(dps + 2).
* **rvs**: inverse-CDF sampling of uniform numbers through the float64 ``ppf`` (atoms included:
  a uniform that falls in an atom's jump returns the atom).

Free entropy
------------
``entropy()`` is Voiculescu's free entropy of one variable (Voiculescu 1993, "The analogues of
entropy and of Fisher's information measure in free probability theory I", Prop. 4.5)::

    chi(mu) = int int log|s - t| dmu(s) dmu(t) + 3/4 + log(2 pi)/2,

-inf when mu has an atom. The constant makes chi of the semicircle law of variance v equal to
log(2 pi e v)/2, the classical entropy of the Gaussian of the same variance. The double integral
is computed in float64: the inner integral U(s) = int log|s - t| dmu(t) is split at s (the
logarithm's singularity) and both halves, and the outer integral, use the tanh-sinh rule.

Arithmetic
----------
``mu + nu`` and ``2 * mu`` raise :class:`LawArithmeticError`: for laws ``+`` could be the free
(⊞) or the classical convolution, and ``2 * mu`` a dilation or a (non-normalised) mixture. Use
``mu.boxplus(nu)``, ``mu.boxtimes(nu)``, ``mu.affine(2, 0)`` or ``fa.mixture``.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any, Callable, cast

import mpmath
import numpy as np
import sympy as sp

from ..errors import (FreeAlgError, InvalidParameterError, LawArithmeticError, NoConvergence,
                      UndeterminedError)
from .dispatch import check_dps, numeric_input
from .tanhsinh import tanh_sinh, tanh_sinh_rule

__all__ = ["DistributionMixin", "LawArithmeticError", "DeprecatedValue"]

_CELLS = 16                   # cells per piece of the float64 table
_RULE = (1.0 / 8, 3.2)        # float64 tanh-sinh rule per cell (53 nodes, ~1e-16 for analytic g)
_MASS_TOL_NP = 1e-8           # float64 table: largest tolerated |sum of masses - 1|


_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_PASS_DIRS = tuple(os.path.dirname(os.path.abspath(str(m.__file__))) + os.sep
                   for m in (sp, mpmath, np) if getattr(m, "__file__", None))


def _warn(message: str) -> None:
    """FutureWarning attributed to the first caller outside sympy/mpmath/numpy; silent when that
    caller is freealg's own code (its call sites are migrated; users should not see them)."""
    f: Any = sys._getframe(3)        # _warn <- DeprecatedValue._v <- the dunder <- its caller
    level = 4
    while f is not None and f.f_code.co_filename.startswith(_PASS_DIRS):
        f = f.f_back
        level += 1
    if f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        return
    warnings.warn(message, FutureWarning, stacklevel=level)


# ============================================================================================
# deprecated properties: a value that warns when used, and gives the value when called


class DeprecatedValue:
    """The value of a deprecated property (``law.mean``, ``law.variance``).

    Calling it returns the exact value (``law.mean()`` is the new spelling); using it as a value
    (arithmetic, comparison, ``float``, ``sympify``, ``repr``, attribute access) still works for
    this release and issues a ``FutureWarning`` that names the method to call. (A
    ``FutureWarning`` rather than a ``DeprecationWarning``: the warning is meant for the users
    of notebooks and scripts, and Python shows it to them by default.)

    Examples
    --------
    >>> import warnings, freealg as fa
    >>> mu = fa.free_poisson(2, 3)
    >>> mu.mean()                      # the method: exact, no warning
    6
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     value = mu.mean + 1        # the old property, used as a value
    >>> value, w[0].category.__name__
    (7, 'FutureWarning')

    Parameters
    ----------
    fn : callable
        Computes the value.
    name, new : str
        The deprecated property and the method to use instead.
    warn_on_call : bool
        Whether calling also warns (``law.variance()``: the method is ``var()``).
    """

    __slots__ = ("_fn", "_name", "_new", "_warn_on_call")

    def __init__(self, fn: Callable[[], Any], name: str, new: str, warn_on_call: bool = False):
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_new", new)
        object.__setattr__(self, "_warn_on_call", warn_on_call)

    def _v(self) -> Any:
        _warn(f"law.{self._name} as a property is deprecated and will be removed in the next "
              f"release; call law.{self._new}() (an exact sympy value)")
        return self._fn()

    def __call__(self) -> Any:
        if self._warn_on_call:
            return self._v()
        return self._fn()

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return getattr(self._v(), key)

    def __setattr__(self, key, value):
        raise AttributeError("read-only")

    def _sympy_(self):
        return sp.sympify(self._v())

    def __repr__(self):
        return repr(self._v())

    def __str__(self):
        return str(self._v())

    def __format__(self, spec):
        return format(self._v(), spec)

    def _repr_latex_(self):
        return f"${sp.latex(self._v())}$"

    def __float__(self):
        return float(self._v())

    def __int__(self):
        return int(self._v())

    def __complex__(self):
        return complex(self._v())

    def __bool__(self):
        return bool(self._v())

    def __hash__(self):
        return hash(self._v())

    def __eq__(self, other):
        return self._v() == other

    def __ne__(self, other):
        return self._v() != other

    def __lt__(self, other):
        return self._v() < other

    def __le__(self, other):
        return self._v() <= other

    def __gt__(self, other):
        return self._v() > other

    def __ge__(self, other):
        return self._v() >= other

    def __neg__(self):
        return -self._v()

    def __pos__(self):
        return +self._v()

    def __abs__(self):
        return abs(self._v())

    def __add__(self, other):
        return self._v() + other

    def __radd__(self, other):
        return other + self._v()

    def __sub__(self, other):
        return self._v() - other

    def __rsub__(self, other):
        return other - self._v()

    def __mul__(self, other):
        return self._v() * other

    def __rmul__(self, other):
        return other * self._v()

    def __truediv__(self, other):
        return self._v() / other

    def __rtruediv__(self, other):
        return other / self._v()

    def __pow__(self, other):
        return self._v() ** other

    def __rpow__(self, other):
        return other ** self._v()


# ============================================================================================
# helpers


def _mp(v: Any) -> Any:
    """A number (sympy, mpmath, Python) as an mpf at the working precision."""
    if isinstance(v, sp.Basic):
        return mpmath.mpf(sp.re(v).evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 16))
    if isinstance(v, mpmath.mpc):
        return +v.real
    return mpmath.mpf(v)


def _exact(v: Any) -> bool:
    return isinstance(v, (int, sp.Rational)) or (isinstance(v, sp.Basic) and v.is_number
                                                 and not v.has(sp.Float))


def _check_q(q: Any, dps: int) -> tuple:
    kind, v = numeric_input(q, "q", complex_ok=False, dps=dps)
    bad = (v < 0) | (v > 1) if kind == "array" else not 0 <= v <= 1
    if np.any(bad):
        raise InvalidParameterError("q", q, "probabilities must lie in [0, 1]")
    return kind, v


class _Pieces:
    """Atoms and pieces (bands split at cusps, singular points and interior atoms) of a law, at
    one precision (``dps``; None for float64)."""

    def __init__(self, law: Any, dps: int | None):
        syms = getattr(law, "free_symbols", None)
        if syms:
            raise UndeterminedError(f"the distribution of {law!r}", sorted(syms, key=str))
        conv = (lambda v: float(_mp(v))) if dps is None else _mp
        wdps = 20 if dps is None else dps + 10
        with mpmath.workdps(wdps):
            self.atoms = sorted((conv(a.location), conv(a.mass), conv(getattr(a, "error", 0)))
                                for a in law.atoms())
            bands = list(law.support(dps=max(20, (dps or 15) + 5)))
            self.numeric_edges = any(not (_exact(b.lo) and _exact(b.hi)) for b in bands)
            cuts = []
            try:
                cuts = [conv(e.location) for e in law.edges(dps=max(20, (dps or 15) + 5))
                        if getattr(e, "kind", "") in ("cusp", "singular")]
            except (NotImplementedError, FreeAlgError):
                pass
            cuts += [a[0] for a in self.atoms]
            # the edges of the components of a mixture are jumps or kinks inside a band
            for arg in getattr(law, "args", ()):
                if isinstance(arg, (tuple, list)):
                    for comp in arg:
                        if callable(getattr(comp, "edges", None)):
                            try:
                                cuts += [conv(e.location) for e in comp.edges(dps=max(
                                    20, (dps or 15) + 5))]
                            except (NotImplementedError, FreeAlgError):
                                pass
            self.pieces = []
            for b in bands:
                lo, hi = conv(b.lo), conv(b.hi)
                if not hi > lo:
                    continue
                inner = sorted({c for c in cuts if lo < c < hi})
                ends = [lo] + inner + [hi]
                self.pieces += [(a, c) for a, c in zip(ends[:-1], ends[1:]) if c > a]


# ============================================================================================
# float64: the cumulative table on each piece


def _s_nodes(a, b, sig, tau):
    """Rule nodes on [a, b] (arrays of shape (n, 1)) as (s, 1 - s), each formed directly."""
    L = b - a
    s = a + L * sig
    t = (1 - b) + L * tau
    return s, t


def _x_of(lo, W, s, t):
    """x(s) = lo + W sin^2(pi s / 2) and its Jacobian, formed from the nearer end.

    Within 64 ulps of a nonzero end x would round onto the end (where a hard edge's density is
    infinite): there s is held at the last resolvable value. The integrand in s is bounded and
    smooth at hard and soft edges, so this changes an integral by about 1e-13 of the mass."""
    hi = lo + W
    eps = 64 * np.finfo(float).eps
    for end, v in ((abs(lo), s), (abs(hi), t)):
        if end > 0:
            vmin = 2 / np.pi * math.asin(min(1.0, math.sqrt(eps * end / W)))
            np.maximum(v, vmin, out=v)
    left = s <= t
    x = np.where(left, lo + W * np.sin(np.pi * s / 2) ** 2, hi - W * np.sin(np.pi * t / 2) ** 2)
    # dx/ds = pi sqrt((x - lo)(hi - x)), from the rounded x: the node moves by the rounding
    # but density and Jacobian stay consistent (a hard edge's 1/sqrt cancels exactly)
    jac = np.pi * np.sqrt(np.maximum(x - lo, 0.0) * np.maximum(hi - x, 0.0))
    return x, jac


class _Table:
    """Float64 cumulative masses of a law (see the module docstring)."""

    def __init__(self, law: Any):
        self.law = law
        P = _Pieces(law, None)
        self.atoms = [(loc, m) for loc, m, _ in P.atoms]
        self.pieces = P.pieces
        self.sb = np.linspace(0.0, 1.0, _CELLS + 1)
        self.cum = []
        for lo, hi in self.pieces:
            masses = self._integral(lo, hi, self.sb[:-1], self.sb[1:])
            self.cum.append(np.concatenate([[0.0], np.cumsum(masses)]))
        self.masses = [float(c[-1]) for c in self.cum]
        total = sum(self.masses) + sum(m for _, m in self.atoms)
        self.defect = total - 1.0
        if not abs(self.defect) <= _MASS_TOL_NP:
            raise NoConvergence(
                "cdf: the bands and atoms of the law", residual=self.defect,
                advice=f"the density integrates to {sum(self.masses):.12g} over the bands "
                       f"{self.pieces} and the atoms carry {sum(m for _, m in self.atoms):.12g};"
                       " together they should make 1 (a band, an atom or the density is off)")
        # the components in order of location: ('atom', loc, mass) and ('piece', index)
        comps: list = [(loc, 0, ("atom", loc, m)) for loc, m in self.atoms]
        comps += [(lo, 1, ("piece", i)) for i, (lo, hi) in enumerate(self.pieces)]
        self.comps = [c for _, _, c in sorted(comps, key=lambda c: (c[0], c[1]))]

    def _density(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            d = np.asarray(self.law.density(x.ravel()), dtype=float).reshape(x.shape)
        return np.where(np.isfinite(d), d, 0.0)

    def _integral(self, lo, hi, a, b):
        """Integrals of the density over s in [a_k, b_k] (arrays) of the piece [lo, hi]."""
        sig, tau, w = tanh_sinh_rule(*_RULE)
        a = np.asarray(a, dtype=float)[:, None]
        b = np.asarray(b, dtype=float)[:, None]
        s, t = _s_nodes(a, b, sig[None, :], tau[None, :])
        x, jac = _x_of(lo, hi - lo, s, t)
        g = self._density(x) * jac
        # next to an end of the piece the density solver may give 0 or NaN (a hard edge at
        # 1e-12 of the end): g(s) is bounded and smooth there, so such a node takes the value
        # of the nearest node further in where g is positive (a soft edge's g ~ s^2 is tiny
        # either way). That applies to the leading run of such nodes, and to any such node
        # within 1e-9 of the width from the end, where float64 does not resolve the point
        # (scattered zeros among good values were seen at 1e-18 of a hard edge at 0)
        near = np.minimum(x - lo, hi - x) < 1e-9 * (hi - lo)
        for rows, g_, nr in ((a[:, 0] == 0, g, near), (b[:, 0] == 1, g[:, ::-1], near[:, ::-1])):
            if np.any(rows):
                sub = g_[rows]
                ok = sub > 0
                n = sub.shape[1]
                k = np.arange(n)[None, :]
                first = np.argmax(ok, axis=1)
                bad = ~ok & ((k < first[:, None]) | nr[rows])
                # index of the next good node at or after each position (n where none)
                nxt = np.minimum.accumulate(np.where(ok, k, n)[:, ::-1], axis=1)[:, ::-1]
                held = np.take_along_axis(sub, np.minimum(nxt, n - 1), axis=1)
                g_[rows] = np.where(bad & (nxt < n), held, sub)
        return np.sum(g * w[None, :], axis=1) * (b - a)[:, 0]

    def _s_of(self, lo, hi, x):
        W = hi - lo
        left = (x - lo) <= (hi - x)
        sl = 2 / np.pi * np.arcsin(np.sqrt(np.clip((x - lo) / W, 0, 1)))
        tr = 2 / np.pi * np.arcsin(np.sqrt(np.clip((hi - x) / W, 0, 1)))
        return np.where(left, sl, 1 - tr)

    def _partial(self, i: int, s: np.ndarray) -> np.ndarray:
        """Mass of piece i from its lower end up to s (array)."""
        lo, hi = self.pieces[i]
        cum = self.cum[i]
        j = np.clip(np.floor(s * _CELLS).astype(int), 0, _CELLS - 1)
        sa, sb = self.sb[j], self.sb[j + 1]
        # from the nearer cell boundary, but never from an end of the piece (the edge's
        # quadrature is done once, in the table: partial integrals then vary smoothly with s)
        from_left = np.where(j == 0, False, np.where(j == _CELLS - 1, True,
                                                     (s - sa) <= (sb - s)))
        out = np.where(from_left, cum[j], cum[j + 1])
        if s.size:
            a = np.where(from_left, sa, s)
            b = np.where(from_left, s, sb)
            inc = self._integral(lo, hi, a, b)
            out = out + np.where(from_left, inc, -inc)
        return out

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        flat = x.ravel()
        out = np.zeros(flat.shape)
        for loc, m in self.atoms:
            out += np.where(flat >= loc, m, 0.0)
        for i, (lo, hi) in enumerate(self.pieces):
            out += np.where(flat >= hi, self.masses[i], 0.0)
            inside = (flat > lo) & (flat < hi)
            if np.any(inside):
                part = np.zeros(flat.shape)
                part[inside] = self._partial(i, self._s_of(lo, hi, flat[inside]))
                out += part
        return np.clip(out, 0.0, 1.0).reshape(x.shape)

    def _g_at(self, lo, hi, s: np.ndarray) -> np.ndarray:
        """The integrand g(s) = density(x(s)) dx/ds of the piece [lo, hi]."""
        x, jac = _x_of(lo, hi - lo, s.copy(), 1 - s)
        return self._density(x) * jac

    def _invert_piece(self, i: int, t: np.ndarray) -> np.ndarray:
        """x in piece i with partial mass t (0 < t <= mass), by safeguarded Newton in s.

        The first value F(s0) is the exact partial integral (the tanh-sinh rule from the
        nearer cell boundary); each Newton step adds the integral from s to s' by 8-point
        Gauss-Legendre (s and s' are interior and close: g is smooth between them)."""
        lo, hi = self.pieces[i]
        W = hi - lo
        cum = self.cum[i]
        j = np.clip(np.searchsorted(cum, t, side="left") - 1, 0, _CELLS - 1)
        a, b = self.sb[j].copy(), self.sb[j + 1].copy()
        ca, cb = cum[j], cum[j + 1]
        s = a + (b - a) * np.clip((t - ca) / np.where(cb > ca, cb - ca, 1.0), 0, 1)
        gl_x, gl_w = np.polynomial.legendre.leggauss(8)
        for _ in range(4):
            # restart from the exact partial integral until it confirms the root (the
            # Gauss-Legendre increments are inexact where g is singular, next to an edge)
            F = self._partial(i, s)
            if np.all(np.abs(F - t) <= 1e-14):
                break
            a, b, s = self._newton(lo, hi, t, a, b, s, F, gl_x, gl_w)
        t_ = 1 - s
        return np.where(s <= t_, lo + W * np.sin(np.pi * s / 2) ** 2,
                        hi - W * np.sin(np.pi * t_ / 2) ** 2)

    def _newton(self, lo, hi, t, a, b, s, F, gl_x, gl_w) -> tuple:
        active = np.ones(t.shape, dtype=bool)
        for _ in range(60):
            if not np.any(active):
                break
            sa = s[active]
            f = F[active] - t[active]
            g = self._g_at(lo, hi, sa)
            A, B = a[active], b[active]
            A = np.where(f < 0, sa, A)
            B = np.where(f > 0, sa, B)
            with np.errstate(all="ignore"):
                step = np.where(g > 0, f / g, np.inf)
            new = sa - step
            bad = ~((new >= A) & (new <= B))
            new = np.where(bad, (A + B) / 2, new)
            new = np.where(f == 0, sa, new)
            done = (np.abs(new - sa) <= 4e-16 * np.maximum(1.0, np.abs(sa))) \
                | (np.abs(f) <= 2e-16) | (B - A <= 4e-16)
            move = ~done
            Fn = F[active]
            if np.any(move):
                mid, half = (new[move] + sa[move]) / 2, (new[move] - sa[move]) / 2
                nodes = mid[:, None] + half[:, None] * gl_x[None, :]
                inc = np.sum(self._g_at(lo, hi, nodes) * gl_w[None, :], axis=1) * half
                Fn[move] = Fn[move] + inc
            a[active], b[active], s[active], F[active] = A, B, new, Fn
            idx = np.flatnonzero(active)
            active[idx[done]] = False
        return a, b, s

    def ppf(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        flat = q.ravel()
        out = np.full(flat.shape, np.nan)
        acc = 0.0
        first = last = None
        for comp in self.comps:
            if comp[0] == "atom":
                _, loc, m = comp
                sel = (flat > acc) & (flat <= acc + m) & np.isnan(out)
                out[sel] = loc
                acc += m
                lo_c = hi_c = loc
            else:
                i = comp[1]
                m = self.masses[i]
                lo_c, hi_c = self.pieces[i]
                sel = (flat > acc) & (flat <= acc + m) & np.isnan(out)
                if np.any(sel):
                    out[sel] = self._invert_piece(i, np.minimum(flat[sel] - acc, m))
                acc += m
            first = lo_c if first is None else first
            last = hi_c
        out[flat <= 0] = first
        out[(flat >= 1) | np.isnan(out)] = last      # q at or above the total: the upper end
        return out.reshape(q.shape)


# ============================================================================================
# mpmath: scalars with an error bound


class _MPData:
    """Pieces and piece masses at ``dps`` digits, with the mass check."""

    def __init__(self, law: Any, dps: int):
        self.dps = dps
        P = _Pieces(law, dps)
        self.law = law
        self.atoms = P.atoms
        self.pieces = P.pieces
        self.masses, self.errors = [], []
        self.left_halves: list = []
        for lo, hi in self.pieces:
            with mpmath.workdps(dps + 15):
                v, e = self._piece_mass(lo, hi)
            self.masses.append(v)
            self.errors.append(e)
        with mpmath.workdps(dps + 10):
            total = mpmath.fsum(self.masses) + mpmath.fsum(m for _, m, _ in self.atoms)
            self.defect = abs(total - 1)
            err = mpmath.fsum(self.errors) + mpmath.fsum(e for _, _, e in self.atoms)
            tol = mpmath.mpf(10) ** (5 - dps)
            if P.numeric_edges:
                # a numerically found edge with error d misses a mass ~ d^(1/2) at a hard edge
                tol = max(tol, mpmath.mpf("1e-8"))
            if not self.defect <= 10 * err + tol:
                raise NoConvergence(
                    "cdf: the bands and atoms of the law", dps=dps, residual=total - 1,
                    advice=f"the density integrates to {mpmath.nstr(mpmath.fsum(self.masses), 15)}"
                           f" over the bands and the atoms carry "
                           f"{mpmath.nstr(mpmath.fsum(m for _, m, _ in self.atoms), 15)}; "
                           "together they should make 1 (a band, an atom or the density is off)")
            self.error = err + self.defect

    def f(self, t):
        return self.law.density(t, dps=self.dps + 5)

    def _g(self, lo, hi, v, from_hi: bool):
        """The integrand in s (or t = 1 - s): x = lo + W sin^2(pi s / 2) from the end ``lo``
        (``hi`` when ``from_hi``); dx/ds = pi sqrt((x - lo)(hi - x)) is formed from the rounded
        x, so a hard edge's 1/sqrt cancels exactly. Within 10^-(working digits - 5) of a nonzero
        end x would round onto the end: v is held at the last resolvable value there."""
        W = hi - lo
        end = abs(hi if from_hi else lo)
        if end:
            vmin = 2 / mpmath.pi * mpmath.asin(mpmath.sqrt(
                min(mpmath.mpf(1), mpmath.mpf(10) ** (-(self.dps + 5)) * end / W)))
            v = max(v, vmin)
        d = W * mpmath.sin(mpmath.pi * v / 2) ** 2
        x = hi - d if from_hi else lo + d
        jac = mpmath.pi * mpmath.sqrt((x - lo) * (hi - x))
        if not jac:
            return mpmath.mpf(0)
        # x = end + d loses the digits of d / end: the density gets them back
        extra = max(0, int(-mpmath.log10(d / end))) if end else 0
        return self.law.density(x, dps=self.dps + 5 + extra) * jac

    def _half(self, lo, hi, v, from_hi: bool) -> tuple:
        """Integral of the density from the end (lo, or hi when ``from_hi``) over v in [0, v]."""
        if v <= 0:
            return mpmath.mpf(0), mpmath.mpf(0)
        return tanh_sinh(lambda u: self._g(lo, hi, u, from_hi), 0, v, dps=self.dps + 5)

    def _piece_mass(self, lo, hi) -> tuple:
        half = mpmath.mpf(1) / 2
        a, ea = self._half(lo, hi, half, False)
        b, eb = self._half(lo, hi, half, True)
        self.left_halves.append((a, ea))      # the mass below the midpoint (s = 1/2)
        return a + b, ea + eb

    def partial(self, k: int, x) -> tuple:
        """Mass of piece k below x (lo < x < hi), from the nearer end, with its error."""
        lo, hi = self.pieces[k]
        W = hi - lo
        if min(x - lo, hi - x) > W / 64:
            # from the midpoint, whose mass is known: no evaluation next to an edge (where a
            # solved density is slow); the edges stay at least W/64 from the interval
            v, e = self.integral(lo + W / 2, x)
            a, ea = self.left_halves[k]
            return a + v, ea + e
        if x - lo <= hi - x:
            s = 2 / mpmath.pi * mpmath.asin(mpmath.sqrt((x - lo) / W))
            return self._half(lo, hi, s, False)
        t = 2 / mpmath.pi * mpmath.asin(mpmath.sqrt((hi - x) / W))
        p, e = self._half(lo, hi, t, True)
        return self.masses[k] - p, e + self.errors[k]

    def integral(self, a, b) -> tuple:
        if a == b:
            return mpmath.mpf(0), mpmath.mpf(0)
        if a < b:
            return tanh_sinh(self.f, a, b, dps=self.dps + 5)
        v, e = tanh_sinh(self.f, b, a, dps=self.dps + 5)
        return -v, e

    def below(self, k: int) -> tuple:
        """Mass (and error) of every component left of piece k's lower end, atoms included."""
        lo = self.pieces[k][0]
        v = mpmath.fsum(m for loc, m, _ in self.atoms if loc <= lo)
        e = mpmath.fsum(err for loc, _, err in self.atoms if loc <= lo)
        v += mpmath.fsum(self.masses[i] for i, (_, hi) in enumerate(self.pieces) if hi <= lo)
        e += mpmath.fsum(self.errors[i] for i, (_, hi) in enumerate(self.pieces) if hi <= lo)
        return v, e

    def cdf(self, x) -> tuple:
        with mpmath.workdps(self.dps + 10):
            v = mpmath.fsum(m for loc, m, _ in self.atoms if loc <= x)
            e = mpmath.fsum(err for loc, _, err in self.atoms if loc <= x)
            for k, ((lo, hi), m, me) in enumerate(zip(self.pieces, self.masses, self.errors)):
                if x >= hi:
                    v, e = v + m, e + me
                elif x > lo:
                    p, pe = self.partial(k, x)
                    v, e = v + p, e + pe
            v = min(max(v, mpmath.mpf(0)), mpmath.mpf(1))
            return v, e + self.defect


def _cdf_cauchy(law: Any, atoms: list, x: Any, dps: int) -> tuple:
    """F(x) from the Cauchy transform alone (no density next to an edge, no band masses).

    With mu_c = mu - sum m_j delta_{a_j} (mass c), L_c(z) = int log(z - t) dmu_c(t) has
    L_c' = G_c = G - sum m_j / (z - a_j) and L_c(z) - c log z -> 0, so on the vertical line
    z = x + iy::

        pi mu_c((x, inf)) = Im L_c(x + i0)
                          = c arg(x + iT) - Re int_0^T G_c dy - Re int_T^inf (G_c - c/z) dy,

    the last integral from the exact moments (a series in 1/(x + iT), 12 terms, T so far out
    that the next term is below 10^-(dps + 5)). [0, Y] is integrated in y and [Y, T] in log y
    (Y = 1 + |x|). Returns (F, error bound)."""
    w = dps + 10
    with mpmath.workdps(w):
        X = mpmath.mpf(x)
        c = 1 - mpmath.fsum(m for _, m, _ in atoms)
        K = 12
        mom = [_mp(v) for v in law.moments(K)]
        R = max([mpmath.mpf(1)] + [abs(mk) ** (mpmath.mpf(1) / (k + 1))
                                   for k, mk in enumerate(mom)])
        T = 4 * (R + abs(X)) * mpmath.mpf(10) ** (mpmath.mpf(dps + 5) / K)
        Y = 1 + abs(X)
        momc = [mk - mpmath.fsum(m * a ** (k + 1) for a, m, _ in atoms)
                for k, mk in enumerate(mom)]

        def gc(y):
            z = mpmath.mpc(X, y)
            g = law.cauchy(z, dps=dps + 8)
            for a, m, _ in atoms:
                g -= m / (z - a)
            return mpmath.re(g)

        I1, e1 = tanh_sinh(gc, 0, Y, dps=dps + 5)
        I2, e2 = tanh_sinh(lambda v: gc(mpmath.exp(v)) * mpmath.exp(v), mpmath.log(Y),
                           mpmath.log(T), dps=dps + 5)
        zT = mpmath.mpc(X, T)
        # int_T^inf z^-n dy = zT^(1-n) / (i (n - 1)) for z = x + iy
        terms = [momc[n - 2] * zT ** (1 - n) / (1j * (n - 1)) for n in range(2, K + 2)]
        tail = mpmath.re(mpmath.fsum(terms[:-1]))
        e3 = 2 * abs(terms[-1])
        im_L = c * mpmath.arg(zT) - I1 - I2 - tail
        above = mpmath.fsum(m for a, m, _ in atoms if a > X)
        F = 1 - im_L / mpmath.pi - above
        err = (e1 + e2 + e3) / mpmath.pi + mpmath.fsum(e for _, _, e in atoms) \
            + mpmath.mpf(10) ** (-(dps + 5))
        F = min(max(F, mpmath.mpf(0)), mpmath.mpf(1))
    return F, err


# ============================================================================================


class DistributionMixin:
    """scipy.stats-style methods of a law (see the module docstring).

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> mu = fa.semicircle(1)
    >>> mu.cdf([-2.0, 0.0, 2.0])
    array([0. , 0.5, 1. ])
    >>> mu.mean(), mu.var(), mu.std()
    (0, 1, 1)
    """

    __slots__ = ()

    # exact summary statistics ------------------------------------------------------------
    @property
    def mean(self) -> DeprecatedValue:
        """The mean: call ``law.mean()`` for the exact first moment.

        Using ``law.mean`` as a value (the property of earlier releases) still works and warns.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2, 3).mean()     # rate * jump
        6
        """
        law: Any = self
        return DeprecatedValue(lambda: law.moment(1), "mean", "mean")

    @property
    def variance(self) -> DeprecatedValue:
        """Deprecated: use ``law.var()`` (the variance m_2 - m_1^2, exact).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2, 3).var()     # rate * jump^2
        18
        """
        return DeprecatedValue(self.var, "variance", "var", warn_on_call=True)

    def var(self) -> Any:
        """The variance m_2 - m_1^2 (exact sympy).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(3, 1).var()
        3
        """
        law: Any = self
        m1, m2 = law.moments(2)
        return sp.simplify(m2 - m1**2)

    def jacobi(self, n: int, dps: int | None = None) -> tuple:
        """The first n Jacobi parameters ([alpha_0..alpha_{n-1}], [beta_1..beta_n]): the
        recurrence x P_k = P_{k+1} + alpha_k P_k + beta_k P_{k-1} of the monic orthogonal
        polynomials (see :func:`freealg.numeric.jacobi_law.jacobi_parameters`).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.kesten_mckay(3).jacobi(3)
        ([0, 0, 0], [3, 2, 2])
        """
        from .jacobi_law import jacobi_parameters
        return jacobi_parameters(self, n, dps)

    def std(self) -> Any:
        """The standard deviation sqrt(var) (exact sympy).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2).std()
        sqrt(2)
        """
        return sp.sqrt(self.var())

    # arithmetic is not defined ----------------------------------------------------------
    def __add__(self, other):
        raise LawArithmeticError("+")

    __radd__ = __add__

    def __sub__(self, other):
        raise LawArithmeticError("-")

    __rsub__ = __sub__

    def __mul__(self, other):
        raise LawArithmeticError("*")

    __rmul__ = __mul__

    def __truediv__(self, other):
        raise LawArithmeticError("/")

    __rtruediv__ = __truediv__

    def __pow__(self, other):
        raise LawArithmeticError("**")

    # tables -----------------------------------------------------------------------------
    def _dist(self, key: Any, build: Callable[[], Any]) -> Any:
        memo = getattr(self, "_memo", None)
        return memo(("distribution", key), build) if memo is not None else build()

    def _table(self) -> _Table:
        return self._dist("table", lambda: _Table(self))

    def _mpdata(self, dps: int) -> _MPData:
        return self._dist(("mp", dps), lambda: _MPData(self, dps))

    def _pieces(self, dps: int) -> _Pieces:
        return self._dist(("pieces", dps), lambda: _Pieces(self, dps))

    def _use_cauchy(self, x, dps: int) -> bool:
        """Whether a scalar F(x) comes from the Cauchy transform (:func:`_cdf_cauchy`): for
        laws whose edges were found numerically (a solved density is slow next to an edge),
        away from the atoms (where G has poles). The float64 table still checks the mass."""
        P = self._pieces(dps)
        if not P.numeric_edges or not callable(getattr(self, "cauchy", None)):
            return False
        if any(abs(x - a) <= mpmath.mpf("1e-6") * (1 + abs(a)) for a, _, _ in P.atoms):
            return False
        try:
            cast(Any, self).moments(12)       # the tail of the contour integral
        except (NotImplementedError, FreeAlgError):
            return False
        self._table()
        return True

    # cdf, ppf, rvs ------------------------------------------------------------------------
    def cdf(self, x: Any, dps: int | None = None, full_output: bool = False) -> Any:
        """Cumulative distribution function F(x) = mu((-inf, x]) (atoms at x included).

        A scalar gives an mpmath ``mpf`` with ``dps`` significant digits (30 when None); a list
        or an array gives a float64 ndarray (about 1e-13).

        Examples
        --------
        >>> import mpmath, freealg as fa
        >>> F = fa.arcsine(0, 1).cdf(0.25)        # (2/pi) asin(sqrt(x)) = 1/3
        >>> print(mpmath.nstr(F, 25))
        0.3333333333333333333333333
        >>> fa.free_poisson(0.5).cdf([0.0, 10.0])    # the atom 1/2 at 0 is included
        array([0.5, 1. ])

        Parameters
        ----------
        x : float, mpmath number, sympy number, list or ndarray
            Real point(s).
        dps : int, optional
            Significant digits of a scalar result (default 30).
        full_output : bool, optional
            For a scalar, also return an error bound: the quadrature errors plus the defect
            |mass of the bands + mass of the atoms - 1|.

        Returns
        -------
        mpmath.mpf or numpy.ndarray (and the error bound when ``full_output``)

        Raises
        ------
        NoConvergence
            The bands and atoms do not carry mass 1 (a band, an atom or the density is off).
        """
        dps = 30 if dps is None else check_dps(dps)
        kind, v = numeric_input(x, "x", complex_ok=False, dps=dps)
        if kind == "array":
            return self._table().cdf(v)
        if self._use_cauchy(v, dps):
            F, err = _cdf_cauchy(self, self._pieces(dps).atoms, v, dps)
        else:
            F, err = self._mpdata(dps).cdf(v)
        with mpmath.workdps(dps):
            F = +F
            err = err + abs(F) * mpmath.eps          # the rounding to dps digits
        return (F, err) if full_output else F

    def ppf(self, q: Any, dps: int | None = None, full_output: bool = False) -> Any:
        """Quantile function: the least x with F(x) >= q.

        ``ppf(0)`` and ``ppf(1)`` are the ends of the support; a q that falls in an atom's jump
        gives the atom. A scalar gives an mpmath ``mpf`` with ``dps`` digits (30 when None); a
        list or an array gives a float64 ndarray.

        Examples
        --------
        >>> import mpmath, freealg as fa
        >>> x = fa.arcsine(0, 1).ppf(0.5)         # sin^2(pi q / 2) = 1/2
        >>> print(mpmath.nstr(x, 25))
        0.5
        >>> fa.free_poisson(0.5).ppf([0.25, 0.5])    # inside the atom at 0
        array([0., 0.])

        Parameters
        ----------
        q : float, mpmath number, sympy number, list or ndarray
            Probabilities in [0, 1].
        dps : int, optional
            Significant digits of a scalar result (default 30).
        full_output : bool, optional
            For a scalar, also return an error bound of x.

        Returns
        -------
        mpmath.mpf or numpy.ndarray (and the error bound when ``full_output``)

        Raises
        ------
        InvalidParameterError
            q outside [0, 1].
        """
        dps = 30 if dps is None else check_dps(dps)
        kind, v = _check_q(q, dps)
        if kind == "array":
            return self._table().ppf(v)
        x, err = self._ppf_mp(v, dps)
        with mpmath.workdps(dps):
            x = +x
            err = err + abs(x) * mpmath.eps          # the rounding to dps digits
        return (x, err) if full_output else x

    def _ppf_cauchy(self, q, dps: int) -> tuple | None:
        """ppf by Newton steps on the Cauchy-transform CDF (laws with numeric edges); None
        where that does not apply (q at an end or in an atom's jump)."""
        if q <= 0 or q >= 1:
            return None
        P = self._pieces(dps)
        x0 = float(self._table().ppf(np.array([float(q)]))[0])
        with mpmath.workdps(dps + 10):
            piece = [(lo, hi) for lo, hi in P.pieces if lo < x0 < hi]
            if not piece or not self._use_cauchy(mpmath.mpf(x0), dps):
                return None
            a, b = piece[0]
            x = mpmath.mpf(x0)
            Fx, ferr = _cdf_cauchy(self, P.atoms, x, dps)

            def f(t):
                return self.density(t, dps=dps + 5)

            tol = mpmath.mpf(10) ** (-(dps + 2))
            for _ in range(40):
                r = Fx - q
                if r < 0:
                    a = x
                elif r > 0:
                    b = x
                if abs(r) <= tol:
                    break
                d = f(x)
                new = x - r / d if d > 0 else (a + b) / 2
                if not a < new < b:
                    new = (a + b) / 2
                inc, ie = tanh_sinh(f, min(x, new), max(x, new), dps=dps + 5)
                x, Fx, ferr = new, Fx + (inc if new > x else -inc), ferr + ie
            else:
                raise NoConvergence("ppf", dps=dps, residual=Fx - q, point=q,
                                    advice="the density may vanish inside the band")
            d = f(x)
            cerr = abs(Fx - q) + ferr
            return x, (cerr / d if d > 0 else b - a)

    def _ppf_mp(self, q, dps: int) -> tuple:
        out = self._ppf_cauchy(q, dps)
        if out is not None:
            return out
        D = self._mpdata(dps)
        with mpmath.workdps(dps + 10):
            comps: list = sorted([(loc, 0, ("atom", loc, m, e)) for loc, m, e in D.atoms]
                           + [(lo, 1, ("piece", k)) for k, (lo, _) in enumerate(D.pieces)],
                           key=lambda c: (c[0], c[1]))
            comps = [c for _, _, c in comps]
            if q == 0:
                c = comps[0]
                return (c[1] if c[0] == "atom" else D.pieces[c[1]][0]), mpmath.mpf(0)
            acc = mpmath.mpf(0)
            for c in comps:
                m = c[2] if c[0] == "atom" else D.masses[c[1]]
                if q <= acc + m:
                    break
                acc += m
            if c[0] == "atom":
                return c[1], mpmath.mpf(0)
            k = c[1]
            lo, hi = D.pieces[k]
            base, base_err = D.below(k)
            t = q - base                       # the mass wanted inside the piece
            if t >= D.masses[k]:
                return hi, D.error
            x = mpmath.mpf(float(self._table().ppf(np.array([float(q)]))[0]))
            if not lo < x < hi:
                x = (lo + hi) / 2
            Fx, ferr = D.partial(k, x)          # from the nearer end
            a, b = lo, hi
            tol = mpmath.mpf(10) ** (-(dps + 2))
            for _ in range(40):
                r = Fx - t
                if r < 0:
                    a = x
                elif r > 0:
                    b = x
                if abs(r) <= tol:
                    break
                d = D.f(x)
                new = x - r / d if d > 0 else (a + b) / 2
                if not a < new < b:
                    new = (a + b) / 2
                inc, ie = D.integral(x, new)
                x, Fx, ferr = new, Fx + inc, ferr + ie
            else:
                raise NoConvergence("ppf", dps=dps, residual=Fx - t, point=q,
                                    advice="the density may vanish inside the band")
            d = D.f(x)
            cerr = abs(Fx - t) + ferr + base_err + D.defect
            err = cerr / d if d > 0 else b - a
            return x, err

    def rvs(self, size: Any = None, seed: Any = None) -> Any:
        """Random draws by inverse-CDF sampling (float64; atoms included).

        Uniform numbers from ``numpy.random.default_rng(seed)`` are mapped through the float64
        ``ppf`` (a table of the CDF refined by Newton steps on its exact partial integrals).

        Examples
        --------
        >>> import numpy as np, freealg as fa
        >>> x = fa.semicircle(1).rvs(1000, seed=0)
        >>> x.shape, bool(np.all(np.abs(x) <= 2))
        ((1000,), True)
        >>> isinstance(fa.semicircle(1).rvs(seed=1), float)
        True

        Parameters
        ----------
        size : int or tuple of int, optional
            Shape of the output; None gives one float.
        seed : int, numpy Generator or None, optional
            Seed of ``numpy.random.default_rng``, or a Generator to draw from.

        Returns
        -------
        float or numpy.ndarray

        Raises
        ------
        InvalidParameterError
            A negative or non-integer size, or a bad seed.
        """
        shape: tuple | None
        if size is None:
            shape = None
        else:
            dims = size if isinstance(size, tuple) else (size,)
            if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
                       for d in dims):
                raise InvalidParameterError("size", size, "must be a non-negative integer or a "
                                                          "tuple of them")
            shape = tuple(int(d) for d in dims)
        try:
            rng = np.random.default_rng(seed)
        except (TypeError, ValueError) as err:
            raise InvalidParameterError("seed", seed, f"must be an integer, a numpy Generator or"
                                                      f" None ({err})") from None
        u = rng.random(1 if shape is None else shape)
        # 1 - u lies in (0, 1]: q = 0 would give the lower end, an event of probability zero
        x = self._table().ppf(1.0 - u)
        return float(x.ravel()[0]) if shape is None else x

    def interval(self, confidence: Any, dps: int | None = None) -> tuple:
        """Central interval (ppf((1 - c)/2), ppf((1 + c)/2)) holding probability c.

        Examples
        --------
        >>> import mpmath, freealg as fa
        >>> lo, hi = fa.arcsine(-1, 1).interval(0.5)     # sin(pi (q - 1/2)) at q = 1/4, 3/4
        >>> print(mpmath.nstr(lo, 20), mpmath.nstr(hi, 20))
        -0.7071067811865475244 0.7071067811865475244

        Parameters
        ----------
        confidence : float or number
            The probability c in (0, 1).
        dps : int, optional
            Significant digits (default 30).

        Returns
        -------
        tuple of mpmath.mpf

        Raises
        ------
        InvalidParameterError
            c not in (0, 1).
        """
        dps = 30 if dps is None else check_dps(dps)
        kind, c = numeric_input(confidence, "confidence", complex_ok=False, dps=dps)
        if kind == "array" or not 0 < c < 1:
            raise InvalidParameterError("confidence", confidence, "must be a number in (0, 1)")
        with mpmath.workdps(dps + 10):
            a, b = (1 - c) / 2, (1 + c) / 2
        return self.ppf(a, dps=dps), self.ppf(b, dps=dps)

    def median(self, dps: int | None = None) -> Any:
        """The median ppf(1/2) (mpmath ``mpf``, ``dps`` digits, default 30).

        Examples
        --------
        >>> import mpmath, freealg as fa
        >>> print(mpmath.nstr(fa.arcsine(0, 4).median(), 25))   # 4 sin^2(pi/4) = 2
        2.0
        """
        dps = 30 if dps is None else check_dps(dps)
        return self.ppf(mpmath.mpf(1) / 2, dps=dps)

    def entropy(self) -> float:
        r"""Voiculescu's free entropy chi(mu) (float64; -inf when mu has an atom).

        chi(mu) = int int log|s - t| dmu(s) dmu(t) + 3/4 + log(2 pi)/2 (Voiculescu 1993); the
        semicircle law of variance v has chi = log(2 pi e v)/2. Accurate to about 1e-10.

        Examples
        --------
        >>> import math, freealg as fa
        >>> chi = fa.semicircle(2).entropy()
        >>> abs(chi - 0.5 * math.log(2 * math.pi * math.e * 2)) < 1e-10
        True
        >>> fa.free_poisson(0.5).entropy()         # an atom at 0
        -inf

        Returns
        -------
        float
        """
        T = self._table()
        if any(m > 0 for _, m in T.atoms):
            return -math.inf
        return _log_energy(T) + 0.75 + 0.5 * math.log(2 * math.pi)


def _log_energy(T: _Table) -> float:
    """int int log|s - t| dmu dmu for the absolutely continuous law of the table T.

    Both integrals run in the variable s of each piece (x = lo + W sin^2(pi s / 2), so the edge
    singularities are bounded); the inner one is split at the outer node, and there
    |x(s) - x(t)| = W sin(pi (s + t) / 2) sin(pi |s - t| / 2) is formed from the node distances.
    """
    sig, tau, w = tanh_sinh_rule(1.0 / 16, 3.2)
    sg, ta, wt = sig[None, :], tau[None, :], w[None, :]
    total = 0.0
    for k, (lo, hi) in enumerate(T.pieces):
        W = hi - lo
        s, sc = sig.copy(), tau.copy()                     # s and 1 - s
        x, jac = _x_of(lo, W, s.copy(), sc.copy())
        ws = w * T._density(x) * jac
        U = np.zeros(s.shape)
        for k2, (lo2, hi2) in enumerate(T.pieces):
            W2 = hi2 - lo2
            halves: list
            if k2 == k:
                halves = [(np.zeros(s.shape), s, True), (s, np.ones(s.shape), False)]
            else:
                halves = [(np.zeros(s.shape), np.ones(s.shape), None)]
            for a, b, left in halves:
                L = (b - a)[:, None]
                t = a[:, None] + L * sg                     # inner nodes and 1 - t
                tc = (1 - b)[:, None] + L * ta
                xt, jt = _x_of(lo2, W2, t.copy(), tc.copy())
                if left is None:
                    dist = np.abs(x[:, None] - xt)
                else:
                    d = L * (ta if left else sg)            # |s - t|
                    y = np.minimum(s[:, None] + t, sc[:, None] + tc)
                    dist = W * np.sin(np.pi * y / 2) * np.sin(np.pi * d / 2)
                with np.errstate(all="ignore"):
                    f = T._density(xt) * jt * np.log(dist) * wt * L
                U += np.sum(np.where(np.isfinite(f), f, 0.0), axis=1)
        total += float(np.sum(ws * U))
    return total
