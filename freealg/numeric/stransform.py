"""S-transform engine: ⊠ products, compressions and scalings as one scalar equation.

A law mu on [0, inf) (mu != delta_0) has the S-transform S(m) = chi(m) (1 + m)/m, where chi is
the inverse of psi(u) = int ut/(1 - ut) dmu(t) (Voiculescu 1987). With m = z G(z) - 1,

    chi(m) = m S(m)/(1 + m) = 1/z,     i.e.     z(m) = (1 + m)/(m S(m)),        (*)

so G(z) = (1 + m)/z comes from ONE scalar equation in m, however deep the law tree is, as long
as every node is explicit in S:

* ⊠ multiplies S-transforms (Voiculescu 1987): ``s_product``, ``s_power``;
* scaling by c > 0 divides S by c: ``s_scale``;
* compression by a free projection p of trace t. In A (``ambient=True``) p a p has the moments
  of a^{1/2} p a^{1/2} (traciality), so its law is mu ⊠ ((1 - t) delta_0 + t delta_1) and
  S is multiplied by (1 + m)/(t + m) (Nica-Speicher, Lectures on the Combinatorics of Free
  Probability, 2006, Lecture 14 (compression by a free projection) and Lecture 18 (S-transform
  of a projection)). In the compressed algebra (pAp, tau/t) the law mu_t = D_t(mu^{⊞1/t})
  satisfies psi_amb(u) = t psi_t(u), hence chi_amb(m) = chi_t(m/t) and [derived]
  S_t(m) = S_mu(t m): ``s_compress``.

Leaves: free Poisson of rate lam and jump alpha, S = 1/(alpha (m + lam)); the projection
(Bernoulli) law of trace t, S = (1 + m)/(t + m); delta_c, S = 1/c.

The representation :class:`STransformForm` stores S = C * prod_j b_j(m)^{k_j} with distinct
bases b_j (monic irreducible polynomials in m, other sympy expressions, or callables) and real
multiplicities k_j, so a ⊠ product of L factors of which k are distinct costs O(k) per
evaluation: the ReLU Jacobian of depth L = 1000 is two linear bases with multiplicities
+-1000. Equation (*) is solved in logarithms, log m + log S(m) - log(1 + m) + log z = 0
(mod 2 pi i), by Newton continued from z = i*inf (where m ~ m_1/z) down to the target, the
branch fixed by continuity (never by choosing a root by size).

Edges are the critical points of z(m) on the real m axis (dz/dm = 0): along the physical real
branches, which map onto the real line outside the support, z decreases as m increases; the
arc starting at m = 0+ ends at the right edge, the arc starting at the pole m_p = -(1 - mu({0}))
of chi ends at the left edge (or runs into z < 0: the continuous part reaches 0). A critical
point at m = infinity is a hard edge (G diverges there).

Examples
--------
>>> import mpmath, sympy as sp
>>> from freealg.numeric.stransform import s_free_poisson, s_power, s_projection, s_scale
>>> fc = s_power(s_free_poisson(1), 2)                 # Fuss-Catalan, S = (1 + m)^-2
>>> fc.moments(4)                                       # binom(3n, n)/(2n + 1)
[1, 3, 12, 55]
>>> [(mpmath.nstr(e.location, 15), e.side, e.kind) for e in fc.edges(dps=20)]   # 27/4
[('0.0', 'left', 'hard'), ('6.75', 'right', 'soft')]
>>> relu = s_power(s_scale(s_projection(sp.Rational(1, 2)), 2), 10)   # 10 ReLU layers
>>> e = relu.edges(dps=30)[-1]
>>> print(mpmath.nstr(e.location, 25))                  # 10^10/9^9
25.81174791713197181990032
"""

from __future__ import annotations

import functools
import math
from typing import Any, Iterable, NamedTuple

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from .dispatch import check_dps, record

__all__ = ["M", "STransformForm", "SEdge", "s_free_poisson", "s_projection", "s_dirac",
           "s_product", "s_power", "s_scale", "s_compress"]

#: The variable of the S-transforms built here.
M = sp.Symbol("m")

_TWO_PI = 2.0 * math.pi


class SEdge(NamedTuple):
    """A support edge found from the S-transform.

    Examples
    --------
    >>> from freealg.numeric.stransform import s_free_poisson
    >>> s_free_poisson(4).edges(dps=15)[0]                  # (1 - sqrt 4)^2 = 1
    SEdge(location=mpf('1.0'), side='left', error=mpf('...'), kind='soft')

    Attributes
    ----------
    location : mpf
        The endpoint, at the requested precision.
    side : str
        ``'left'`` or ``'right'`` end of the band.
    error : mpf
        A bound of ``|location - true edge|`` (rounding to dps included).
    kind : str
        ``'soft'`` (simple critical point at finite m: square-root edge) or ``'hard'``
        (critical point at m = infinity, where G diverges, or the continuous part reaching 0).
    """

    location: Any
    side: str
    error: Any
    kind: str


class _CallableBase:
    """A factor given by callables f, f' (and optionally f''), evaluated at a*m."""

    __slots__ = ("f", "df", "d2f", "scale")

    def __init__(self, f, df, d2f=None, scale=1):
        self.f, self.df, self.d2f, self.scale = f, df, d2f, scale

    def key(self):
        return (id(self.f), id(self.df), id(self.d2f), self.scale)

    def scaled(self, t):
        return _CallableBase(self.f, self.df, self.d2f, self.scale * t)

    def __repr__(self):
        return f"<callable factor at {self.scale}*m>"


def _positive_number(name, value):
    try:
        v = sp.sympify(value)
    except (sp.SympifyError, TypeError) as exc:
        raise InvalidParameterError(name, value, "must be a positive number") from exc
    if not v.is_number or v.is_real is False or not bool(v > 0):
        raise InvalidParameterError(name, value, "must be a positive real number")
    return v


@functools.lru_cache(maxsize=1024)
def _exact(v: sp.Expr) -> sp.Expr:
    """A coefficient in exact form: float data become their exact rationals; an exact
    expression is kept as it is unless it vanishes to 25 digits, where nsimplify decides
    whether it is 0. (nsimplify runs PSLQ for ~25 ms a call, 24 calls a layer, only to
    restate an exact nonzero value such as 1 - erf(sqrt 2/2)^(n+1) of a hard-tanh layer.)"""
    if v.has(sp.Float):
        return sp.nsimplify(v, rational=True)
    if v.is_Rational:
        return v
    val = sp.N(v, 30)
    if val.is_number and abs(val) > 1e-25:
        return v
    return sp.nsimplify(v)


class STransformForm:
    """S(m) = const * prod_j b_j(m)^{k_j} of a law on [0, inf), solved as one scalar equation.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.numeric.stransform import M, STransformForm
    >>> mp = STransformForm([(1 / (M + 1), 1)])             # free Poisson of rate 1
    >>> mp.mean, mp.atom0
    (1, 0)
    >>> mpmath.nstr(mp.cauchy_mp(5, dps=20).real, 18)       # (5 - sqrt(5^2 - 4*5))/(2*5)
    '0.27639320225002103'
    >>> mpmath.nstr(mp.density_mp(2, dps=20), 18)           # sqrt(x(4 - x))/(2 pi x) = 1/(2 pi)
    '0.159154943091895336'

    Parameters
    ----------
    factors : iterable of (base, k)
        ``base`` a sympy expression in :data:`M` (a rational function is split into its monic
        irreducible factors, so equal factors of different leaves merge and cancel), or a tuple
        of callables ``(f, df)`` / ``(f, df, d2f)`` evaluating f(m) and its derivatives on
        numpy arrays and on mpmath numbers; ``k`` a real multiplicity.
    const : number, optional
        Constant factor C > 0.
    atom0 : number, optional
        mu({0}) in [0, 1). When omitted it is derived from S: the pole of chi closest to 0 in
        (-1, 0) is m_p = -(1 - mu({0})) (for polynomial bases only).

    Raises
    ------
    InvalidParameterError
        ``const`` not positive, ``atom0`` outside [0, 1) or inconsistent with S, S(0) not a
        positive number (the mean 1/S(0) of a law on [0, inf) is positive).
    """

    __slots__ = ("_const", "_bases", "_atom0", "_cache")

    def __init__(self, factors: Iterable = (), const: Any = 1, atom0: Any = None):
        c = _positive_number("const", const)
        bases: dict = {}
        factors = list(factors)
        for item in factors:
            try:
                base, k = item
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError("factors", item, "each factor is a pair "
                                            "(base, multiplicity)") from exc
            c = _add_factor(bases, c, base, k)
        self._const = sp.nsimplify(c) if c.is_Float else c
        self._bases = tuple((b, k) for b, k in bases.items() if k != 0)
        self._cache: dict = {}
        s0 = self._s0()
        if not (s0 > 0 and np.isfinite(s0)):
            raise InvalidParameterError("factors", factors, "S(0) must be a positive "
                                        "number (S(0) = 1/mean of a law on [0, inf))")
        derived = self._derive_atom0()
        if atom0 is None:
            if derived is None:
                raise InvalidParameterError("atom0", atom0, "cannot be derived for callable "
                                            "or non-polynomial factors; pass mu({0})")
            atom0 = derived
        a0 = sp.sympify(atom0)
        if not a0.is_number or not bool(a0 >= 0) or not bool(a0 < 1):
            raise InvalidParameterError("atom0", atom0, "the mass at 0 must lie in [0, 1)")
        if derived is not None and abs(float(a0) - float(derived)) > 1e-12:
            raise InvalidParameterError("atom0", atom0, f"inconsistent with S: the pole of chi "
                                        f"gives mu({{0}}) = {derived}")
        self._atom0 = a0

    # -- construction helpers ---------------------------------------------------------------
    @classmethod
    def _new(cls, bases: dict, const, atom0) -> "STransformForm":
        obj = cls.__new__(cls)
        obj._const = const
        obj._bases = tuple((b, k) for b, k in bases.items() if k != 0)
        obj._atom0 = sp.sympify(atom0)
        obj._cache = {}
        return obj

    def __reduce__(self):
        # the cache (lambdified functions) is rebuilt on demand, never pickled
        return (_rebuild, (dict(self._bases), self._const, self._atom0))

    @property
    def const(self):
        """The constant factor C."""
        return self._const

    @property
    def factors(self) -> tuple:
        """The distinct bases with their multiplicities, ((b_j, k_j), ...)."""
        return self._bases

    @property
    def atom0(self):
        """The mass mu({0}) of the atom at 0."""
        return self._atom0

    @property
    def mean(self):
        """The first moment 1/S(0) (exact when every base is a sympy expression)."""
        if any(isinstance(b, _CallableBase) for b, _ in self._bases):
            return 1.0 / self._s0()
        s0 = self._const
        for b, k in self._bases:
            s0 = s0 * b.subs(M, 0) ** k
        return sp.nsimplify(1 / s0) if (1 / s0).is_Float else sp.simplify(1 / s0)

    def s_expr(self):
        """S(m) as a sympy expression (sympy bases only).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.stransform import s_projection
        >>> s_projection(sp.Rational(1, 3)).s_expr()
        (m + 1)/(m + 1/3)
        """
        self._need_sympy("s_expr")
        out = self._const
        for b, k in self._bases:
            out = out * b**k
        return out

    def __repr__(self) -> str:
        parts = [f"({b})**{k}" for b, k in self._bases]
        return f"STransformForm(S = {self._const}*{'*'.join(parts) or '1'}, atom0={self._atom0})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, STransformForm):
            return NotImplemented
        def key(b):
            return b.key() if isinstance(b, _CallableBase) else b

        return (self._const == other._const and self._atom0 == other._atom0
                and {key(b): k for b, k in self._bases} == {key(b): k for b, k in other._bases})

    def __hash__(self) -> int:
        return hash((self._const, self._atom0, len(self._bases)))

    def _need_sympy(self, what):
        if any(isinstance(b, _CallableBase) for b, _ in self._bases):
            raise InvalidParameterError("factors", "callable", f"{what} needs sympy factors")

    # -- numerical evaluation ---------------------------------------------------------------
    def _compiled(self):
        """Linear bases m + c as arrays (c, k); the others as lambdified log-derivatives."""
        if "compiled" in self._cache:
            return self._cache["compiled"]
        lin_c, lin_k, gen = [], [], []
        for b, k in self._bases:
            if isinstance(b, _CallableBase):
                gen.append((b, float(k), None))
                continue
            p = _poly(b)
            if p is not None and p.degree() == 1 and p.LC() == 1:
                lin_c.append(p.nth(0))
                lin_k.append(k)
                continue
            lb = sp.expand_log(sp.log(b), force=True)
            d1 = sp.diff(lb, M)
            d2 = sp.diff(d1, M)
            gen.append((b, k, {
                "np": [sp.lambdify(M, e, "numpy") for e in (b, d1, d2)],
                "mp": [sp.lambdify(M, e, "mpmath") for e in (b, d1, d2)],
            }))
        comp = {
            "lin_c_sym": lin_c, "lin_k_sym": lin_k,
            "lin_c": np.array([complex(c) for c in lin_c], dtype=complex),
            "lin_k": np.array([float(k) for k in lin_k]),
            "gen": gen,
            "logC": float(sp.N(sp.log(self._const), 20)),
            # log S = log S0 + sum_j k_j log1p(m/c_j) (+ k log m for c_j = 0): no cancellation
            # between a huge log C and the bases' logs (2^-1000 for 1000 ReLU layers)
            "logS0": complex(sp.N(sp.log(self._const) + sum(
                (k * sp.log(c) for c, k in zip(lin_c, lin_k) if c != 0), sp.S.Zero), 30)),
        }
        if not gen:
            # g = d log z/dm near m = infinity, w = 1/m: g = -K w + w^2 sum_n A_n (-w)^n with
            # exact A_n = sum_j k_j c_j^(n+1) - 1 (no cancellation left for float rounding)
            A = [_exact(sp.sympify(sum((k * c ** (n + 1) for c, k in zip(lin_c, lin_k)),
                                       sp.S.Zero) - 1)) for n in range(24)]
            comp["K"] = _exact(sp.sympify(sum(lin_k, sp.S.Zero)))
            comp["A"] = np.array([float(a) for a in A])
            nz = [n for n, a in enumerate(A) if sp.simplify(a) != 0]
            comp["n0"] = nz[0] if nz else None
            comp["cmax"] = max([abs(complex(c)) for c in lin_c] + [1.0])
        self._cache["compiled"] = comp
        return comp

    def _logs_np(self, m, order=1):
        """log S, (log S)', (log S)'' (up to ``order``) on a complex ndarray."""
        comp = self._compiled()
        m = np.asarray(m, dtype=complex)
        out = [np.full(m.shape, comp["logS0"], dtype=complex)]
        if order >= 1:
            out.append(np.zeros(m.shape, dtype=complex))
        if order >= 2:
            out.append(np.zeros(m.shape, dtype=complex))
        c, k = comp["lin_c"], comp["lin_k"]
        with np.errstate(all="ignore"):
            if c.size:
                mc = m[..., None] + c
                nz = c != 0
                cs = np.where(nz, c, 1.0)
                lg = np.where(nz, np.log1p(m[..., None] / cs), np.log(mc))
                out[0] = out[0] + lg @ k
                if order >= 1:
                    inv = 1.0 / mc
                    out[1] = out[1] + inv @ k
                    if order >= 2:
                        out[2] = out[2] - (inv * inv) @ k
            for b, kk, fns in comp["gen"]:
                if fns is None:
                    a = b.scale
                    am = complex(a) * m
                    f = np.asarray(b.f(am), dtype=complex)
                    out[0] = out[0] + kk * np.log(f)
                    if order >= 1:
                        r = complex(a) * np.asarray(b.df(am), dtype=complex) / f
                        out[1] = out[1] + kk * r
                        if order >= 2:
                            if b.d2f is None:
                                out[2] = out[2] + np.nan
                            else:
                                r2 = complex(a) ** 2 * np.asarray(b.d2f(am), dtype=complex) / f
                                out[2] = out[2] + kk * (r2 - r * r)
                    continue
                fv = np.asarray(fns["np"][0](m), dtype=complex) * np.ones(m.shape)
                out[0] = out[0] + float(kk) * np.log(fv)
                if order >= 1:
                    out[1] = out[1] + float(kk) * np.asarray(fns["np"][1](m), dtype=complex)
                if order >= 2:
                    out[2] = out[2] + float(kk) * np.asarray(fns["np"][2](m), dtype=complex)
        return out

    def _logs_mp(self, m, order=1):
        """log S, (log S)', (log S)'' at an mpmath number (current working precision)."""
        comp = self._compiled()
        if "mp" not in self._cache or self._cache["mp"][0] != mpmath.mp.prec:
            cs = [mpmath.mpmathify(sp.N(c, mpmath.mp.dps + 5)) for c in comp["lin_c_sym"]]
            ks = [mpmath.mpmathify(sp.N(k, mpmath.mp.dps + 5)) for k in comp["lin_k_sym"]]
            logC = mpmath.log(mpmath.mpmathify(sp.N(self._const, mpmath.mp.dps + 5)))
            self._cache["mp"] = (mpmath.mp.prec, cs, ks, logC)
        _, cs, ks, logC = self._cache["mp"]
        l0, l1, l2 = logC, mpmath.mpf(0), mpmath.mpf(0)
        for c, k in zip(cs, ks):
            mc = m + c
            l0 += k * mpmath.log(mc)
            if order >= 1:
                inv = 1 / mc
                l1 += k * inv
                if order >= 2:
                    l2 -= k * inv * inv
        for b, kk, fns in comp["gen"]:
            k = mpmath.mpmathify(kk) if not isinstance(kk, sp.Basic) else \
                mpmath.mpmathify(sp.N(kk, mpmath.mp.dps + 5))
            if fns is None:
                a = mpmath.mpmathify(sp.N(b.scale, mpmath.mp.dps + 5)) \
                    if isinstance(b.scale, sp.Basic) else mpmath.mpmathify(b.scale)
                f = b.f(a * m)
                l0 += k * mpmath.log(f)
                if order >= 1:
                    r = a * b.df(a * m) / f
                    l1 += k * r
                    if order >= 2:
                        l2 = mpmath.nan if b.d2f is None else l2 + k * (a * a * b.d2f(a * m) / f
                                                                        - r * r)
                continue
            l0 += k * mpmath.log(fns["mp"][0](m))
            if order >= 1:
                l1 += k * fns["mp"][1](m)
            if order >= 2:
                l2 += k * fns["mp"][2](m)
        return [l0, l1, l2][:order + 1]

    def _s0(self) -> float:
        """S(0) = 1/mean as a float (NaN unless real and positive)."""
        s0 = complex(np.exp(self._logs_np(np.array([0.0]), 0)[0][0]))
        return s0.real if abs(s0.imag) <= 1e-12 * abs(s0) and s0.real > 0 else float("nan")

    def _derive_atom0(self):
        """mu({0}) = 1 + m_p, m_p the pole of chi = m S/(1 + m) in (-1, 0) nearest to 0."""
        if any(isinstance(b, _CallableBase) for b, _ in self._bases):
            return None
        best = None
        for b, k in self._bases:
            p = _poly(b)
            if p is None:
                return None
            if not bool(k < 0):
                continue
            for r in sp.Poly(p, M).real_roots() if p.degree() <= 4 else []:
                rv = float(r)
                if -1 < rv < 0 and (best is None or rv > float(best)):
                    best = r
        return sp.S.Zero if best is None else sp.nsimplify(1 + best)

    def _singular_points(self) -> list[float]:
        """Real zeros and poles of S, and 0, -1: the scans of the real m axis stop there."""
        if "sing" in self._cache:
            return self._cache["sing"]
        # exponent of (m - r) in z(m) = (1 + m) m^-1 / S(m) at each real root r; z is regular
        # (finite, nonzero) where the exponents cancel, e.g. at m = -1 for S = (1 + m)/(t + m)
        expo: dict = {sp.S.Zero: sp.S(-1), sp.S(-1): sp.S.One}
        pts = set()
        for b, k in self._bases:
            if isinstance(b, _CallableBase):
                continue
            p = _poly(b)
            if p is None:
                continue
            if p.degree() == 1:
                r = -p.nth(0)
                if r.is_real:
                    expo[r] = expo.get(r, 0) - k
                continue
            for r in np.roots([complex(c) for c in p.all_coeffs()]):
                if abs(r.imag) <= 1e-12 * max(1.0, abs(r)):
                    pts.add(float(r.real))
        pts |= {float(r) for r, e in expo.items() if e != 0}
        out = sorted(pts)
        self._cache["sing"] = out
        return out

    # -- the scalar equation ----------------------------------------------------------------
    def _phi_np(self, m, z):
        """log m + log S(m) - log(1 + m) + log z (mod 2 pi i) and its m-derivative."""
        l0, l1 = self._logs_np(m, 1)
        with np.errstate(all="ignore"):
            phi = np.log(m) + l0 - np.log1p(m) + np.log(z)
            phi = phi - 1j * _TWO_PI * np.round(phi.imag / _TWO_PI)
            dphi = 1.0 / m + l1 - 1.0 / (1.0 + m)
        return phi, dphi

    def _phi_mp(self, m, z):
        l0, l1 = self._logs_mp(m, 1)
        phi = mpmath.log(m) + l0 - mpmath.log(1 + m) + mpmath.log(z)
        tp = 2 * mpmath.pi
        phi = phi - mpmath.mpc(0, tp * mpmath.nint(mpmath.im(phi) / tp))
        return phi, 1 / m + l1 - 1 / (1 + m)

    def _radius(self) -> float:
        """A float upper estimate of the right end of the support (start height scale)."""
        if "radius" not in self._cache:
            try:
                r = float(self._right_end_float())
            except (NoConvergence, ValueError, ArithmeticError):
                r = float("nan")
            if not (np.isfinite(r) and r > 0):
                r = 1.0 / self._s0()
            self._cache["radius"] = max(r, 1e-300)
        return self._cache["radius"]

    def _moment2_float(self) -> float:
        s0 = self._s0()
        d = float(self._logs_np(np.array([0.0]), 1)[1][0].real) * s0  # S'(0)
        m1 = 1.0 / s0
        return m1 * m1 - m1**3 * d

    def _solve_m_np(self, z: np.ndarray) -> np.ndarray:
        """m(z) = z G(z) - 1 on the physical branch for z in the closed upper half-plane.

        Vectorised predictor-corrector continuation along z(s) = Re z + i y(s), y going
        geometrically from a height 4 R (R ~ the right edge) down to max(Im z, 1e-9 R) and then
        linearly to Im z (which may be 0: the limit from above). Each point has its own
        adaptive step; a step is accepted only when Newton converges from the tangent
        predictor, the correction is small against the step and Im m <= 0. NaN where the
        continuation stalls.
        """
        z = np.asarray(z, dtype=complex).ravel()
        n = z.size
        out = np.full(n, np.nan + 0j)
        if n == 0:
            return out
        R = self._radius()
        x, ytarget = z.real, z.imag
        top = 4.0 * R
        # the geometric part stops at a height small against R and against |x| (near x = 0 the
        # solution varies on the scale |x|), then a linear part reaches Im z exactly
        floor = np.maximum(np.minimum(1e-9 * R, 1e-4 * np.abs(x)), 1e-300)
        ytop = np.maximum(top, ytarget)
        ylow = np.maximum(np.minimum(ytarget, ytop), floor)
        m1 = 1.0 / self._s0()
        m2 = self._moment2_float()

        with np.errstate(all="ignore"):
            return self._continue_np(z, x, ytarget, ytop, ylow, m1, m2, out)

    def _continue_np(self, z, x, ytarget, ytop, ylow, m1, m2, out):
        n = z.size

        def yof(s, idx):
            s1 = np.minimum(s, 1.0)
            y = ytop[idx] ** (1.0 - s1) * ylow[idx] ** s1
            lin = np.clip(s - 1.0, 0.0, 1.0)
            return np.where(s <= 1.0, y, ylow[idx] + (ytarget[idx] - ylow[idx]) * lin)

        zc = x + 1j * ytop
        m = m1 / zc + m2 / zc**2
        for _ in range(60):  # Newton at the start point
            phi, d = self._phi_np(m, zc)
            m = m - phi / d
        phi, _ = self._phi_np(m, zc)
        # converged, and to the branch m ~ m_1/z (|z| >= 4 R: within a factor 1 +- 1/2)
        ok0 = (np.abs(phi) < 1e-10) & (np.abs(m * zc / m1 - 1.0) < 0.5)
        s = np.zeros(n)
        # at most about one decade of Im z per step on the geometric part
        hmax = np.minimum(0.1, 1.0 / np.maximum(np.log10(ytop / ylow), 1.0))
        h = hmax.copy()
        active = ok0.copy()
        done = np.zeros(n, dtype=bool)
        iters = 0
        while active.any() and iters < 400000:
            iters += 1
            idx = np.nonzero(active)[0]
            si, hi, mi = s[idx], h[idx], m[idx]
            snew = np.minimum(si + hi, 2.0)
            z0 = x[idx] + 1j * yof(si, idx)
            z1 = x[idx] + 1j * yof(snew, idx)
            _, d0 = self._phi_np(mi, z0)
            pred = mi - (np.log(z1) - np.log(z0)) / d0      # tangent: dPhi/dz = 1/z
            mk = pred.copy()
            conv = np.zeros(idx.size, dtype=bool)
            final = snew >= 2.0
            cap = np.where(final, 30, 6)    # Newton iterations allowed per point
            for it in range(30):
                upd = ~conv & (it < cap)
                if not upd.any():
                    break
                phi, d = self._phi_np(mk[upd], z1[upd])
                step = phi / d
                mk[upd] = mk[upd] - step
                # converged: a tiny step, or a residual at the rounding level of its terms
                small = ((np.abs(step) <= 1e-13 * np.maximum(np.abs(mk[upd]), 1e-300))
                         | (np.abs(phi) <= 2e-14 * (1.0 + np.abs(np.log(z1[upd])))))
                conv[upd] = small
            finite = np.isfinite(mk)
            allowed = 0.25
            smallcorr = np.abs(mk - pred) <= allowed * np.abs(pred - mi) + 1e-9 * np.abs(mi)
            # Im m <= 0 on the physical branch; on the real axis at an edge the double root
            # makes Im m uncertain at the level sqrt(eps) ~ 1e-8
            lower = mk.imag <= np.where(final & (ytarget[idx] == 0), 1e-7, 1e-9) * np.abs(mk)
            # the last step onto the real axis, from a height 1e-9 R (or 1e-4 |x|): m(x + i0)
            # has a square-root singularity at an edge, so the tangent predictor is useless
            # there; the roots Newton may pick are within sqrt(height) and both give the
            # density (complex pair: Im m <= 0 decides; real roots: density 0)
            onto_axis = final & (ytarget[idx] == 0) & (si >= 1.0)
            acc = conv & finite & (smallcorr | onto_axis) & lower
            ai = idx[acc]
            m[ai] = mk[acc]
            s[ai] = snew[acc]
            h[ai] = np.minimum(2.0 * hi[acc], hmax[ai])
            ri = idx[~acc]
            h[ri] = hi[~acc] / 4.0
            fin = s >= 2.0
            done |= fin & active
            active &= ~fin
            stalled = active & (h < 1e-9)
            active &= ~stalled
        out[done] = m[done]
        record(iterations=iters, note="s_transform continuation (float64)")
        return out

    # -- public numerics ----------------------------------------------------------------------
    def cauchy_np(self, z: Any) -> np.ndarray:
        """G(z) on an array (float64), NaN where the continuation did not converge.

        ``Im z < 0`` uses G(conj z) = conj G(z); real z gives the limit from above.

        Examples
        --------
        >>> import numpy as np
        >>> from freealg.numeric.stransform import s_free_poisson
        >>> g = s_free_poisson(1).cauchy_np(np.array([5.0, 2.0 + 1e-30j, -1.0]))
        >>> bool(abs(g[0] - (5 - np.sqrt(5)) / 10) < 1e-14), bool(abs(g[1] - (0.5 - 0.5j)) < 1e-14)
        (True, True)
        """
        z = _as_array(z, complex, "z")
        shape = z.shape
        zf = z.ravel()
        flip = zf.imag < 0
        zz = np.where(flip, np.conj(zf), zf)
        bad = (zz == 0) | ~np.isfinite(zz)
        m = np.full(zz.shape, np.nan + 0j)
        if (~bad).any():
            m[~bad] = self._solve_m_np(zz[~bad])
        with np.errstate(all="ignore"):
            G = (1.0 + m) / zz
        G = np.where(flip, np.conj(G), G)
        return G.reshape(shape)

    def density_np(self, x: Any) -> np.ndarray:
        """-Im G(x + i0)/pi on a real array (float64); NaN at 0 and where not converged.

        Examples
        --------
        >>> import numpy as np
        >>> from freealg.numeric.stransform import s_free_poisson
        >>> rho = s_free_poisson(1).density_np(np.array([1.0, 2.0, 5.0]))
        >>> ref = np.sqrt(np.array([3.0, 4.0, 0.0])) / (2 * np.pi * np.array([1.0, 2.0, 5.0]))
        >>> bool(np.allclose(rho, ref, rtol=1e-12, atol=1e-14))
        True
        """
        x = _as_array(x, float, "x")
        g = self.cauchy_np(x.astype(complex))
        rho = np.maximum(-g.imag / np.pi, 0.0)
        rho = np.where(np.isnan(g), np.nan, rho)
        return np.where(x == 0, np.nan, rho)

    def _polish(self, z, m0, dps):
        """Newton on the scalar equation at dps + 10 digits from m0; residual checked."""
        with mpmath.workdps(dps + 10):
            zz = mpmath.mpmathify(z)
            m = mpmath.mpmathify(m0)
            tol = mpmath.mpf(10) ** (-(dps + 8))
            steps = 0
            for _ in range(80):
                steps += 1
                phi, d = self._phi_mp(m, zz)
                step = phi / d
                m -= step
                if abs(step) <= tol * abs(m):
                    break
            phi, _ = self._phi_mp(m, zz)
            res = abs(phi)
            if not (res <= mpmath.mpf(10) ** (-(dps + 3))) or not (abs(step) <= tol * abs(m) * 10):
                raise NoConvergence("S-transform Newton polish", dps=dps, steps=steps,
                                    residual=res, point=z,
                                    advice="the point may be too close to an edge; move it "
                                           "off the real axis or raise dps")
            if mpmath.im(m) > mpmath.mpf(10) ** (-(dps + 2)) * (1 + abs(m)):
                raise NoConvergence("S-transform Newton polish", dps=dps, steps=steps,
                                    residual=res, point=z,
                                    advice="Newton left the physical branch (Im m > 0); move "
                                           "the point off the real axis")
            record(residual=float(res), iterations=steps)
            return m

    def _m_mp(self, z, dps):
        dps = check_dps(dps)
        with mpmath.workdps(dps + 10):
            z = mpmath.mpmathify(z)
        if not isinstance(z, (mpmath.mpc, mpmath.mpf)) or not mpmath.isfinite(z):
            raise InvalidParameterError("z", z, "must be a finite number")
        if z == 0:
            raise InvalidParameterError("z", z, "z = 0 is singular in chi(m) = 1/z; evaluate "
                                                "at z = i*y, y > 0")
        flip = mpmath.im(z) < 0
        with mpmath.workdps(dps + 10):
            zu = mpmath.conj(z) if flip else z
        m0 = self._solve_m_np(np.array([complex(zu)]))[0]
        if not np.isfinite(m0):
            raise NoConvergence("S-transform continuation", dps=dps, point=z,
                                advice="the float64 path stalled; move the point off the real "
                                       "axis")
        m = self._polish(zu, complex(m0), dps)
        with mpmath.workdps(dps + 10):
            return (mpmath.conj(m) if flip else m), zu, flip

    def cauchy_mp(self, z: Any, dps: int = 30) -> Any:
        """G(z) at ``dps`` digits: the float64 continuation polished by Newton at dps + 10.

        Examples
        --------
        >>> import mpmath
        >>> from freealg.numeric.stransform import s_free_poisson
        >>> g = s_free_poisson(1).cauchy_mp(mpmath.mpc(1, 1), dps=30)
        >>> with mpmath.workdps(40):     # (z - sqrt(z) sqrt(z - 4))/(2 z) (Marchenko-Pastur)
        ...     z = mpmath.mpc(1, 1)
        ...     ref = (z - mpmath.sqrt(z) * mpmath.sqrt(z - 4)) / (2 * z)
        ...     bool(abs(g - ref) < mpmath.mpf(10)**-29)
        True
        """
        m, _, _ = self._m_mp(z, dps)
        with mpmath.workdps(dps + 10):
            G = (1 + m) / mpmath.mpmathify(z)
        with mpmath.workdps(dps):
            return mpmath.mpc(+G.real, +G.imag)

    def density_mp(self, x: Any, dps: int = 30) -> Any:
        """-Im G(x + i0)/pi at ``dps`` digits (x real, x != 0).

        Examples
        --------
        >>> import mpmath
        >>> from freealg.numeric.stransform import s_free_poisson
        >>> r = s_free_poisson(1).density_mp(1, dps=30)          # sqrt(3)/(2 pi)
        >>> with mpmath.workdps(40):
        ...     bool(abs(r - mpmath.sqrt(3) / (2 * mpmath.pi)) < mpmath.mpf(10)**-29)
        True
        """
        dps = check_dps(dps)
        try:
            xv = mpmath.mpmathify(x)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError("x", x, "must be a real number") from exc
        if isinstance(xv, mpmath.mpc):
            if xv.imag != 0:
                raise InvalidParameterError("x", x, "must be real")
            xv = xv.real
        m, _, _ = self._m_mp(xv, dps)
        with mpmath.workdps(dps + 10):
            r = -mpmath.im(m) / (mpmath.pi * xv)
            r = max(r, mpmath.mpf(0))
        with mpmath.workdps(dps):
            return +r

    # -- edges --------------------------------------------------------------------------------
    def _zg_float(self, m: np.ndarray):
        """z(m) (complex, to test realness) and g = d log z/dm on a real grid."""
        m = np.asarray(m, dtype=float)
        l0, l1 = self._logs_np(m.astype(complex), 1)
        comp = self._compiled()
        with np.errstate(all="ignore"):
            lz = np.log((1.0 + m).astype(complex)) - np.log(m.astype(complex)) - l0
            z = np.exp(lz)
            g = (1.0 / (1.0 + m) - 1.0 / m - l1).real
            if not comp["gen"]:
                # linear bases only: in w = 1/m the 1/m terms cancel exactly (no rounding noise
                # at large |m|): g = -K w + w^2 (sum_j k_j c_j/(1 + c_j w) - 1/(1 + w))
                big = np.abs(m) > 1e3 * comp["cmax"]
                w = 1.0 / m[big]
                inner = np.polynomial.polynomial.polyval(-w, comp["A"])
                g[big] = -float(comp["K"]) * w + w * w * inner
        return z, g

    def _scan(self, grid: np.ndarray):
        """First index where the arc stops: g >= 0 (critical point) or z not real positive."""
        z, g = self._zg_float(grid)
        real = np.abs(z.imag) <= 1e-9 * np.abs(z)
        good = real & (z.real > 0) & np.isfinite(g)
        stop = ~good | (g >= 0)
        i = int(np.argmax(stop)) if stop.any() else -1
        return i, z, g, good

    def _right_end_float(self) -> float:
        info = self._right_arc()
        return info[1]

    def _right_arc(self):
        """Follow the arc from m = 0+ with increasing m (z decreasing from +inf).

        Returns ``(kind, xfloat, data)``: ``('crit', x, (a, b))`` a critical point bracketed
        in (a, b); ``('inf', x, None)`` a critical point at m = infinity; ``('none', 0, None)``
        the arc reaches the pole of chi: no continuous part.
        """
        if "right_arc" in self._cache:
            return self._cache["right_arc"]
        sing = self._singular_points()
        pos = [p for p in sing if p > 0]
        hi = pos[0] * (1 - 1e-12) if pos else 1e16
        grid = np.geomspace(1e-14, hi, 1800)
        i, z, g, good = self._scan(grid)
        if i == 0:
            raise NoConvergence("S-transform right-edge scan", point=float(grid[0]),
                                advice="z(m) is not decreasing at m = 0+: the S-form is not "
                                       "that of a law on [0, inf)")
        if i > 0:
            if not good[i]:
                raise NoConvergence("S-transform right-edge scan", point=float(grid[i]),
                                    advice="the real branch runs into a zero or pole of S")
            res = ("crit", float(z[i].real), (float(grid[i - 1]), float(grid[i])))
        elif pos:
            raise NoConvergence("S-transform right-edge scan", point=pos[0],
                                advice="the real branch runs into a zero or pole of S")
        else:
            res = self._through_infinity(z[-1].real, from_above=True)
        self._cache["right_arc"] = res
        return res

    def _through_infinity(self, zinf, from_above):
        """The arc reaches m = +-infinity: a critical point there, or continue beyond."""
        zi, gi = self._zg_float(np.array([-1e16 if from_above else 1e16]))
        zo = complex(zi[0])
        finite = np.isfinite(zo) and abs(zo.imag) <= 1e-9 * abs(zo) and zo.real > 0
        if not (np.isfinite(zinf) and zinf > 0 and finite
                and abs(zo.real - zinf) <= 1e-6 * abs(zinf)):
            raise NoConvergence("S-transform edge scan at m = infinity", point="infinity",
                                advice="z(m) has no finite positive limit at m = infinity")
        comp = self._compiled()
        if "n0" in comp and comp["K"] == 0 and comp["n0"] is not None:
            # g ~ A w^(n0 + 2) near w = 1/m = 0: it changes sign across w = 0 iff n0 is odd
            crit = comp["n0"] % 2 == 1
        else:
            crit = gi[0] >= 0 if from_above else gi[0] <= 0
        if crit:
            # with z > 0: dz/dm changes sign across m = infinity -> critical point there
            return ("inf", float(zinf), None)
        if not from_above:
            raise NoConvergence("S-transform left-edge scan", point="infinity",
                                advice="the left arc passes m = infinity; several bands are "
                                       "not supported")
        sing = self._singular_points()
        lo = sing[0]
        # m from -1e16 up to the most negative singular point
        grid = lo - np.geomspace(1e16, 1e-12 * max(1.0, abs(lo)), 1800)
        i, z, g, good = self._scan(grid)
        # (the float x is only a scale for the continuation's start: the larger of the edge and
        # z(infinity), an atom above the band)
        if i > 0 and good[i]:
            return ("crit", max(float(z[i].real), float(zinf)),
                    (float(grid[i - 1]), float(grid[i])))
        if i == -1 and abs(lo - float(-(1 - self._atom0))) <= 1e-12:
            return ("none", float(zinf), None)
        raise NoConvergence("S-transform right-edge scan", point=float(lo),
                            advice="the real branch beyond m = infinity ends in a singular point")

    def _left_arc(self):
        """Follow the arc from the pole m_p = -(1 - mu({0})) of chi with decreasing m."""
        if "left_arc" in self._cache:
            return self._cache["left_arc"]
        mp_ = -(1.0 - float(self._atom0))
        below = [p for p in self._singular_points() if p < mp_ - 1e-12 * max(1, abs(mp_))]
        lo = below[-1] if below else None
        span = (mp_ - lo) * (1 - 1e-12) if lo is not None else 1e16
        grid = mp_ - np.geomspace(1e-12 * max(1.0, abs(mp_)), span, 1800)
        i, z, g, good = self._scan(grid)
        if i != 0 and not self._physical(grid, z, i):
            i = 0
        if i == 0:
            res = ("zero", 0.0, None)      # no physical real branch below m_p: the band reaches 0
        elif i > 0:
            if not good[i]:
                res = ("zero", 0.0, None) if z[i].real <= 0 or not np.isfinite(z[i]) else None
                if res is None:
                    raise NoConvergence("S-transform left-edge scan", point=float(grid[i]),
                                        advice="the real branch stops being real")
            else:
                res = ("crit", float(z[i].real), (float(grid[i]), float(grid[i - 1])))
        elif lo is not None:
            raise NoConvergence("S-transform left-edge scan", point=lo,
                                advice="the real branch runs into a zero or pole of S")
        else:
            res = self._through_infinity(z[-1].real, from_above=False)
        self._cache["left_arc"] = res
        return res

    def _physical(self, grid, z, i) -> bool:
        """Is the real arc below m_p the physical branch? Compare with the continuation at a
        point x of the arc (0 < x < left edge): there m(x + i0) is real and equals the arc's m
        exactly when (0, x] lies outside the support."""
        end = i if i > 0 else grid.size
        zr = np.where(np.isfinite(z[:end].real), z[:end].real, 0.0)
        if end < 2 or not (zr.max() > 0):
            return False
        # the arc point whose x is about half the largest x reached, capped at the right end
        # (the left edge lies below it): away from 0 and from the edge
        target = 0.5 * min(zr.max(), self._radius())
        with np.errstate(all="ignore"):
            j = int(np.nanargmin(np.abs(np.log(np.where(zr > 0, zr, np.nan) / target))))
        xc = z[j].real
        if not (np.isfinite(xc) and xc > 0 and abs(z[j].imag) <= 1e-9 * abs(z[j])):
            return False
        mph = self._solve_m_np(np.array([complex(xc)]))[0]
        return bool(np.isfinite(mph) and abs(mph - grid[j]) <= 1e-6 * max(1.0, abs(grid[j])))

    def _g_mp(self, m, order):
        l = self._logs_mp(m, order + 1)
        g = 1 / (1 + m) - 1 / m - l[1]
        if order == 0:
            return g, None
        return g, -1 / (1 + m) ** 2 + 1 / m**2 - l[2]

    def _z_mp(self, m):
        l0 = self._logs_mp(m, 0)[0]
        return mpmath.re(mpmath.exp(mpmath.log(1 + m) - mpmath.log(m) - l0))

    def _refine_critical(self, a, b, dps):
        """Newton on g = d log z/dm = 0 in the bracket (a, b), safeguarded by bisection."""
        with mpmath.workdps(dps + 10):
            a, b = mpmath.mpf(a), mpmath.mpf(b)
            ga = self._g_mp(a, 0)[0]
            gb = self._g_mp(b, 0)[0]
            if ga * gb > 0:
                raise NoConvergence("S-transform edge refinement", dps=dps, point=(a + b) / 2,
                                    advice="the float bracket lost its sign change at dps")
            m = a - ga * (b - a) / (gb - ga)
            tol = mpmath.mpf(10) ** (-(dps + 8))
            last = b - a
            have2 = True
            steps = 0
            for _ in range(200):
                steps += 1
                gm, g2 = self._g_mp(m, 1)
                if mpmath.isnan(g2):
                    have2 = False
                if (gm < 0) == (ga < 0):
                    a, ga = m, gm
                else:
                    b, gb = m, gm
                if have2 and g2 != 0:
                    mn = m - gm / g2
                else:
                    mn = a - ga * (b - a) / (gb - ga)
                if not (min(a, b) < mn < max(a, b)):
                    mn = (a + b) / 2
                last = abs(mn - m)
                m = mn
                if last <= tol * abs(m) or abs(b - a) <= tol * abs(m):
                    break
            else:
                raise NoConvergence("S-transform edge refinement", dps=dps, steps=200,
                                    residual=self._g_mp(m, 0)[0], point=m)
            # certify a bracket of half-width d around m, then bound the error of z(m)
            d = 10 * last + mpmath.mpf(10) ** (-(dps + 6)) * abs(m)
            gl, gr = self._g_mp(m - d, 0)[0], self._g_mp(m + d, 0)[0]
            if gl * gr > 0:
                d = abs(b - a) + d
            x = self._z_mp(m)
            g2 = self._g_mp(m, 1)[1]
            if mpmath.isnan(g2):      # callable factor without f'': centred difference of g
                g2 = (gr - gl) / (2 * d)
            nk = 1 + sum(abs(float(k)) for _, k in self._bases)
            err = (abs(x * g2) * (2 * d) ** 2 + abs(x) * nk * mpmath.mpf(10) ** (-(dps + 8)))
            kind = "soft" if abs(g2) > 0 else "cusp"
            record(residual=float(abs(self._g_mp(m, 0)[0])), iterations=steps)
        with mpmath.workdps(dps):
            loc = +x
            err = err + abs(loc) * mpmath.eps
            return loc, +err, kind

    def _limit_at_infinity(self, dps):
        """z(+-infinity) = 1/C for monic polynomial bases of total degree 0; else sympy.limit."""
        self._need_sympy("an edge at m = infinity")
        K = 0
        allpoly = True
        for b, k in self._bases:
            p = _poly(b)
            if p is None:
                allpoly = False
                break
            K += p.degree() * k
        if allpoly and K == 0:
            val = 1 / self._const
        else:
            val = sp.limit((1 + M) / (M * self.s_expr()), M, sp.oo)
        if not val.is_number or not bool(val > 0) or val.has(sp.oo):
            raise NoConvergence("S-transform edge at m = infinity", dps=dps,
                                advice="z(m) has no finite positive limit")
        with mpmath.workdps(dps):
            loc = mpmath.mpmathify(sp.N(val, dps + 5))
            return loc, abs(loc) * mpmath.eps

    def edges(self, dps: int = 30) -> list[SEdge]:
        """Left and right ends of the continuous support, from dz/dm = 0 on the real m axis.

        The two ends of the hull of the absolutely continuous part (atoms are not edges; a gap
        inside the hull would not be reported: the rational S-forms built by this module's
        rules have one band).

        A bracketing scan of the two physical real arcs in float64 (O(#distinct bases) per
        point), then safeguarded Newton on d log z/dm = 0 at dps + 10 digits. ``error`` bounds
        ``abs(location - edge)``: the root is re-bracketed after Newton, and z is flat at a
        critical point, so the bound is ``abs(z g')`` (bracket width)^2 plus rounding. An empty
        list when the law has no continuous part (pure atoms).

        Examples
        --------
        >>> import sympy as sp, mpmath
        >>> from freealg.numeric.stransform import s_free_poisson
        >>> es = s_free_poisson(sp.Rational(1, 2)).edges(dps=25)    # (1 -+ sqrt(1/2))^2
        >>> [mpmath.nstr(e.location, 20) for e in es]
        ['0.085786437626904951198', '2.9142135623730950488']
        >>> all(e.error < mpmath.mpf(10)**-24 for e in es)
        True
        """
        dps = check_dps(dps)
        right = self._right_arc()
        if right[0] == "none":
            return []
        out = []
        left = self._left_arc()
        if left[0] == "zero":
            with mpmath.workdps(dps):
                out.append(SEdge(mpmath.mpf(0), "left", mpmath.mpf(0), "hard"))
        elif left[0] == "crit":
            a, b = left[2]
            loc, err, kind = self._refine_critical(a, b, dps)
            out.append(SEdge(loc, "left", err, kind))
        else:
            loc, err = self._limit_at_infinity(dps)
            out.append(SEdge(loc, "left", err, "hard"))
        if right[0] == "crit":
            a, b = right[2]
            loc, err, kind = self._refine_critical(a, b, dps)
            out.append(SEdge(loc, "right", err, kind))
        else:
            loc, err = self._limit_at_infinity(dps)
            out.append(SEdge(loc, "right", err, "hard"))
        if len(out) == 2 and abs(out[1].location - out[0].location) <= out[0].error + out[1].error:
            return []  # a band of width 0: the law is an atom there
        return out

    # -- exact moments --------------------------------------------------------------------------
    def moments(self, n: int) -> list:
        """Exact moments m_1..m_n by Lagrange inversion of chi (sympy bases only).

        psi = chi^{-1} and chi(m) = m/h(m) with h = (1 + m)/S, so [u^k] psi = [m^{k-1}] h^k / k
        (Lagrange inversion).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.stransform import s_compress, s_free_poisson
        >>> half = sp.Rational(1, 2)
        >>> s_compress(s_free_poisson(1), half, ambient=True).moments(3)   # free Poisson, rate 1/2
        [1/2, 3/4, 11/8]
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise InvalidParameterError("n", n, "must be a positive integer")
        self._need_sympy("moments")
        n = int(n)
        # coefficients l_1..l_{n-1} of log(S(m)/S(0)) (exact), then h = (1 + m) exp(-L)/S(0)
        lc = [sp.S.Zero] * n
        s0 = self._const
        for b, k in self._bases:
            p = _poly(b)
            b0 = b.subs(M, 0)
            s0 = s0 * b0**k
            if p is not None and p.degree() == 1 and p.LC() == 1:
                c = p.nth(0)              # log(1 + m/c) = sum_i (-1)^(i+1) (m/c)^i/i
                for i in range(1, n):
                    lc[i] += k * sp.S(-1) ** (i + 1) / (i * c**i)
            else:
                ser = sp.series(sp.log(b / b0), M, 0, n).removeO()
                for i in range(1, n):
                    lc[i] += k * ser.coeff(M, i)
        # E = exp(-L): e_0 = 1, e_j = (1/j) sum_{i=1}^{j} i (-l_i) e_{j-i}
        e = [sp.S.One] + [sp.S.Zero] * (n - 1)
        for j in range(1, n):
            e[j] = sp.expand(sum((-i * lc[i] * e[j - i] for i in range(1, j + 1)), sp.S.Zero) / j)
        h = [sp.expand((e[j] + (e[j - 1] if j else 0)) / s0) for j in range(n)]
        out = []
        power = [sp.S.One] + [sp.S.Zero] * (n - 1)
        for k in range(1, n + 1):
            power = [sp.expand(sum((power[i] * h[j - i] for i in range(j + 1)), sp.S.Zero))
                     for j in range(n)]
            val = sp.nsimplify(power[k - 1] / k) if (power[k - 1] / k).is_Float \
                else sp.simplify(power[k - 1] / k)
            out.append(val)
        return out


def _as_array(v, dtype, name) -> np.ndarray:
    try:
        return np.asarray(v, dtype=dtype)
    except (TypeError, ValueError) as exc:
        kind = "real" if dtype is float else "complex"
        raise InvalidParameterError(name, v, f"must be {kind} numbers") from exc


def _rebuild(bases: dict, const, atom0) -> STransformForm:
    return STransformForm._new(bases, const, atom0)


def _poly(b):
    try:
        p = sp.Poly(b, M)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if not all(c.is_number for c in p.all_coeffs()):
        return None
    return p


def _add_factor(bases: dict, const, base, k):
    """Split base^k into monic irreducible pieces, merge them into ``bases``; return const."""
    try:
        k = sp.sympify(k)
    except (sp.SympifyError, TypeError) as exc:
        raise InvalidParameterError("multiplicity", k, "must be a real number") from exc
    if not k.is_number or k.is_real is False:
        raise InvalidParameterError("multiplicity", k, "must be a real number")
    if isinstance(base, _CallableBase):
        key = base.key()
        for b in bases:
            if isinstance(b, _CallableBase) and b.key() == key:
                bases[b] += k
                return const
        bases[base] = bases.get(base, 0) + k
        return const
    if isinstance(base, tuple):
        if len(base) not in (2, 3) or not all(callable(f) for f in base):
            raise InvalidParameterError("factors", base, "a callable factor is (f, df) or "
                                        "(f, df, d2f)")
        return _add_factor(bases, const, _CallableBase(*base), k)
    try:
        e = sp.sympify(base)
    except (sp.SympifyError, TypeError) as exc:
        raise InvalidParameterError("factors", base, "a base is a sympy expression in m or "
                                    "a tuple of callables") from exc
    if not isinstance(e, sp.Expr) or not e.free_symbols <= {M}:
        raise InvalidParameterError("factors", base, "a base may depend on the symbol m only")
    if e.is_number:
        if not bool(e > 0):
            raise InvalidParameterError("factors", base, "constant factors must be positive")
        return const * e**k
    num, den = sp.fraction(sp.together(e))
    if _poly(num) is not None and _poly(den) is not None:
        for part, sign in ((num, 1), (den, -1)):
            coeff, fl = sp.factor_list(sp.Poly(part, M))
            const = const * sp.sympify(coeff) ** (sign * k)
            for fac, mult in fl:
                lc = fac.LC()
                monic = fac.monic().as_expr()
                const = const * lc ** (sign * k * mult)
                bases[monic] = bases.get(monic, 0) + sign * k * mult
        return const
    if isinstance(e, sp.Pow) and e.exp.is_number:
        return _add_factor(bases, const, e.base, k * e.exp)
    if isinstance(e, sp.Mul):
        for a in e.args:
            const = _add_factor(bases, const, a, k)
        return const
    bases[e] = bases.get(e, 0) + k
    return const


def _copy(a: STransformForm) -> dict:
    return dict(a._bases)


# -- builders ---------------------------------------------------------------------------------


def s_free_poisson(rate: Any, jump: Any = 1) -> STransformForm:
    """Free Poisson law of rate lam and jump alpha: S(m) = 1/(alpha (m + lam)).

    (Voiculescu 1987; Nica-Speicher 2006, Lecture 18.) mu({0}) = max(0, 1 - lam).

    Examples
    --------
    >>> from freealg.numeric.stransform import s_free_poisson
    >>> s_free_poisson(2, 3).moments(2)                     # lam alpha, lam alpha^2 (1 + lam)
    [6, 54]
    """
    lam = _positive_number("rate", rate)
    a = _positive_number("jump", jump)
    return STransformForm([(M + lam, -1)], const=1 / a, atom0=sp.Max(0, 1 - lam))


def s_projection(t: Any) -> STransformForm:
    """Law (1 - t) delta_0 + t delta_1 of a projection of trace t: S = (1 + m)/(t + m).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.stransform import s_projection
    >>> s_projection(sp.Rational(1, 4)).moments(3)
    [1/4, 1/4, 1/4]
    """
    t = _positive_number("t", t)
    if not bool(t <= 1):
        raise InvalidParameterError("t", t, "the trace of a projection must lie in (0, 1]")
    if t == 1:
        return STransformForm([], 1, 0)
    return STransformForm([(M + 1, 1), (M + t, -1)], 1, 1 - t)


def s_dirac(c: Any) -> STransformForm:
    """delta_c, c > 0: S = 1/c.

    Examples
    --------
    >>> from freealg.numeric.stransform import s_dirac
    >>> s_dirac(3).moments(2), s_dirac(3).edges()
    ([3, 9], [])
    """
    c = _positive_number("c", c)
    return STransformForm([], 1 / c, 0)


def _check_form(name, a):
    if not isinstance(a, STransformForm):
        raise InvalidParameterError(name, a, "must be an STransformForm")


def s_product(a: STransformForm, b: STransformForm) -> STransformForm:
    """S-form of mu ⊠ nu: S-transforms multiply (Voiculescu 1987); the atom at 0 is the larger
    one (Belinschi 2003).

    Examples
    --------
    >>> from freealg.numeric.stransform import s_free_poisson, s_product
    >>> s_product(s_free_poisson(1), s_free_poisson(1)).moments(3)     # binom(3n, n)/(2n + 1)
    [1, 3, 12]
    """
    _check_form("a", a)
    _check_form("b", b)
    bases = _copy(a)
    for base, k in b._bases:
        bases[base] = bases.get(base, 0) + k
    return STransformForm._new(bases, a._const * b._const, sp.Max(a._atom0, b._atom0))


def s_power(a: STransformForm, k: int) -> STransformForm:
    """S-form of mu^{⊠k}: S^k, at the cost of one factor (multiplicities scale).

    Examples
    --------
    >>> from freealg.numeric.stransform import s_free_poisson, s_power
    >>> s_power(s_free_poisson(1), 3).moments(3)                      # binom(4n, n)/(3n + 1)
    [1, 4, 22]
    """
    _check_form("a", a)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer, sp.Integer)) or int(k) < 1:
        raise InvalidParameterError("k", k, "the ⊠ power must be a positive integer")
    k = int(k)
    return STransformForm._new({b: kk * k for b, kk in a._bases}, a._const**k, a._atom0)


def s_scale(a: STransformForm, c: Any) -> STransformForm:
    """S-form of the law of c X, c > 0: S/c.

    Examples
    --------
    >>> from freealg.numeric.stransform import s_free_poisson, s_scale
    >>> s_scale(s_free_poisson(1), 2).moments(2)
    [2, 8]
    """
    _check_form("a", a)
    c = _positive_number("c", c)
    return STransformForm._new(_copy(a), a._const / c, a._atom0)


def s_compress(a: STransformForm, t: Any, ambient: bool = False) -> STransformForm:
    """S-form of p a p, p a free projection of trace t.

    ``ambient=True``: the law in A, mu ⊠ ((1 - t) delta_0 + t delta_1), S times (1 + m)/(t + m)
    (p a p has the moments of a^{1/2} p a^{1/2}; Nica-Speicher 2006, Lecture 14). ``ambient=False``:
    the law D_t(mu^{⊞1/t}) in (pAp, tau/t), S_t(m) = S(t m) [derived: psi_A = t psi_t].
    The mass at 0 is max(mu({0}), 1 - t) in A and max(0, (mu({0}) - 1 + t)/t) in pAp.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.stransform import s_compress, s_free_poisson
    >>> s_compress(s_free_poisson(1), sp.Rational(1, 2)).moments(3)   # free cumulants t^(n-1)
    [1, 3/2, 11/4]
    """
    _check_form("a", a)
    t = _positive_number("t", t)
    if not bool(t <= 1):
        raise InvalidParameterError("t", t, "the trace of the projection must lie in (0, 1]")
    if t == 1:
        return a
    if ambient:
        return s_product(a, s_projection(t))
    bases: dict = {}
    const = a._const
    for b, k in a._bases:
        if isinstance(b, _CallableBase):
            bases[b.scaled(t)] = k
        else:
            const = _add_factor(bases, const, b.subs(M, t * M), k)
    a0 = sp.Max(0, (a._atom0 - 1 + t) / t)
    return STransformForm._new(bases, const, a0)
