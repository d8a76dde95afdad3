"""The catalogue of laws with closed-form Cauchy transforms.

Each law cites the source of its formulas. Branch convention: every square root is written
sqrt(z - a) * sqrt(z - b) with principal roots (analytic off [a, b], ~ z at infinity); logs as
log(z - a) - log(z - b). On the real axis these give the boundary value from C+.
"""

from __future__ import annotations

from typing import Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError
from ..numeric.leaf import (ClosedFormDensity, IntervalLeaf, atom_sum, fsum, log1p, merge_atoms,
                            on, rsqrt, to_float, where)
from ..numeric.params import parameter
from .base import Atom, Law, check, numeric_value

__all__ = ["Semicircle", "FreePoisson", "Discrete", "Bernoulli", "Dirac", "Arcsine", "Uniform"]

_z, _G, _w = sp.symbols("z G w")


def _sym(z, default):
    return default if z is None else sp.sympify(z)


class Semicircle(ClosedFormDensity, IntervalLeaf, Law):
    """Wigner semicircle law of variance v and mean m: density sqrt(4v - (x-m)^2)/(2 pi v).

    R(w) = m + v w (Voiculescu 1986); G = (z - m - sqrt(z-m-2sqrt v) sqrt(z-m+2sqrt v))/(2v).

    Examples
    --------
    >>> import freealg as fa
    >>> mu = fa.semicircle(2)
    >>> [e.location for e in mu.edges()]
    [-2*sqrt(2), 2*sqrt(2)]
    >>> mu.moments(4)
    [0, 2, 0, 8]
    """

    __slots__ = ()
    _argnames = ("variance", "mean")
    name = "semicircle"

    def __init__(self, variance: Any = 1, mean: Any = 0):
        v, m = parameter("variance", variance), parameter("mean", mean)
        check("variance", variance, lambda: v > 0, "the variance of a semicircle must be > 0")
        check("mean", mean, lambda: sp.Eq(sp.im(m), 0), "the mean must be real")
        self._init(v, m)

    def _free_cumulants_exact(self, n):
        v, m = self._args
        return [m, v] + [sp.S.Zero] * (n - 2) if n >= 2 else [m][:n]

    def r_transform(self, w=None):
        v, m = self._args
        return m + v * _sym(w, _w)

    def cauchy_expr(self, z=None):
        v, m = self._args
        z = _sym(z, _z)
        r = 2 * sp.sqrt(v)
        return (z - m - sp.sqrt(z - m - r) * sp.sqrt(z - m + r)) / (2 * v)

    def curve(self, z=None, G=None):
        v, m = self._args
        z, G = _sym(z, _z), _sym(G, _G)
        return sp.Poly(v * G**2 - (z - m) * G + 1, G, z)

    def s_transform(self, z=None):
        v, m = self._args
        lo = m - 2 * sp.sqrt(v)
        if sp.sympify(lo >= 0) is not sp.true:
            return None
        z = _sym(z, _z)
        # S R(zS) = 1 (NS Lecture 18): v z S^2 + m S - 1 = 0, branch S(0) = 1/m
        return (-m + sp.sqrt(m**2 + 4 * v * z)) / (2 * v * z)

    def _make_params(self, be):
        v, m = self._args
        r = 2 * sp.sqrt(v)
        return numeric_value(v, be), numeric_value(m, be), numeric_value(r, be)

    def _g(self, z, be):
        v, m, r = self._params(be)
        zeta = z - m
        # 2/(zeta + s) = (zeta - s)/(2v) without cancellation at large |zeta|
        return 2 / (zeta + be.sqrt(zeta - r) * be.sqrt(zeta + r))

    def _dg(self, z, be):
        v, m, r = self._params(be)
        zeta = z - m
        s = be.sqrt(zeta - r) * be.sqrt(zeta + r)
        return -2 * (1 + zeta / s) / (zeta + s) ** 2

    def _psi(self, z, be):
        # z G - 1 = (zeta - s + 2m)/(zeta + s) and zeta - s = 4v/(zeta + s)
        v, m, r = self._params(be)
        zeta = z - m
        q = zeta + be.sqrt(zeta - r) * be.sqrt(zeta + r)
        return (2 * m + 4 * v / q) / q

    def _rho(self, x, be):
        v, m, r = self._params(be)
        return rsqrt(r * r - (x - m) ** 2, be) / (2 * be.pi * v)

    def _band(self):
        v, m = self._args
        return m - 2 * sp.sqrt(v), m + 2 * sp.sqrt(v)


class FreePoisson(ClosedFormDensity, IntervalLeaf, Law):
    """Free Poisson law pi(rate, jump): free cumulants kappa_n = rate * jump^n.

    Atom max(0, 1 - rate) at 0; bulk [jump(1 - sqrt rate)^2, jump(1 + sqrt rate)^2]
    (Marchenko-Pastur 1967; Nica-Speicher Lecture 12).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.free_poisson(sp.Rational(1, 2))
    >>> mu.atoms()
    [Atom(location=0, mass=1/2, error=0)]
    >>> mu.s_transform()
    1/(z + 1/2)
    """

    __slots__ = ()
    _argnames = ("rate", "jump")
    name = "free_poisson"

    def __init__(self, rate: Any = 1, jump: Any = 1):
        lam, a = parameter("rate", rate), parameter("jump", jump)
        check("rate", rate, lambda: lam > 0, "the rate of a free Poisson law must be > 0")
        check("jump", jump, lambda: a > 0,
              "the jump size must be > 0 (use affine() for negative jumps)")
        self._init(lam, a)

    _edge_value = staticmethod(sp.simplify)

    def _band(self):
        lam, a = self._args
        return a * (1 - sp.sqrt(lam)) ** 2, a * (1 + sp.sqrt(lam)) ** 2

    def _edge_kinds(self):
        return "hard" if self._args[0] == 1 else "soft", "soft"

    def _free_cumulants_exact(self, n):
        lam, a = self._args
        return [lam * a**k for k in range(1, n + 1)]

    def r_transform(self, w=None):
        lam, a = self._args
        return lam * a / (1 - a * _sym(w, _w))

    def s_transform(self, z=None):
        lam, a = self._args
        return 1 / (a * (_sym(z, _z) + lam))

    def cauchy_expr(self, z=None):
        lam, a = self._args
        lo, hi = self._band()
        z = _sym(z, _z)
        return (z + a * (1 - lam) - sp.sqrt(z - lo) * sp.sqrt(z - hi)) / (2 * a * z)

    def curve(self, z=None, G=None):
        lam, a = self._args
        z, G = _sym(z, _z), _sym(G, _G)
        return sp.Poly(a * z * G**2 - (z + a * (1 - lam)) * G + 1, G, z)

    def _make_params(self, be):
        lam, a = self._args
        lo, hi = self._band()
        return tuple(numeric_value(q, be) for q in (lam, a, lo, hi))

    def _g(self, z, be):
        lam, a, lo, hi = self._params(be)
        s = be.sqrt(z - lo) * be.sqrt(z - hi)
        # 2/(N + s) = (N - s)/(2 a z), N = z + a(1 - lam): no cancellation at large |z|
        return 2 / (z + a * (1 - lam) + s)

    def _dg(self, z, be):
        lam, a, lo, hi = self._params(be)
        s = be.sqrt(z - lo) * be.sqrt(z - hi)
        ds = (z - (lo + hi) / 2) / s
        return -2 * (1 + ds) / (z + a * (1 - lam) + s) ** 2

    def _psi(self, z, be):
        # z G - 1 = (4 a z/(N + s) - 2 a (1 - lam))/(N + s), N = z + a(1 - lam), N - s = 4az/(N+s)
        lam, a, lo, hi = self._params(be)
        q = z + a * (1 - lam) + be.sqrt(z - lo) * be.sqrt(z - hi)
        return (4 * a * z / q - 2 * a * (1 - lam)) / q

    def _rho(self, x, be):
        lam, a, lo, hi = self._params(be)
        return on((x > lo) & (x < hi),
                  lambda t: rsqrt((hi - t) * (t - lo), be) / (2 * be.pi * a * t), x, be)

    def atoms(self):
        lam, _ = self._args
        mass = sp.Max(0, 1 - lam)
        if mass == 0:
            return []
        return [Atom(sp.S.Zero, mass)]


def _merge_equal(pts: list, ws: list) -> tuple[list, list]:
    """Points that are equal as numbers (1 and 1.0) become one atom carrying both weights."""
    out_p: list = []
    out_w: list = []
    for p, w in zip(pts, ws):
        for i, q in enumerate(out_p):
            if (p - q).is_zero:
                out_w[i] = out_w[i] + w
                break
        else:
            out_p.append(p)
            out_w.append(w)
    return out_p, out_w


class Discrete(ClosedFormDensity, Law):
    """Finite atomic law sum_i w_i delta_{a_i} (uniform weights if none are given).

    Exact inputs stay exact. Float data (e.g. thousands of eigenvalues) are kept as floats and
    evaluated with numpy/mpmath sums.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.discrete([0, 1, 3], [sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 4)])
    >>> mu.moments(2)
    [1, 5/2]
    >>> fa.discrete([0, 1], [1, 1])
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid weights=(1, 1): the weights must sum to 1
    (they sum to 2)
    """

    __slots__ = ()
    _argnames: tuple = ("points", "weights")
    name = "discrete"

    def __init__(self, points: Sequence, weights: Sequence | None = None):
        if isinstance(points, (str, bytes)) or not hasattr(points, "__iter__"):
            raise InvalidParameterError("points", points, "must be a sequence of numbers")
        pts = [parameter("points", p) for p in points]
        if not pts:
            raise InvalidParameterError("points", points, "a discrete law needs at least one point")
        if weights is None:
            ws = [sp.Rational(1, len(pts))] * len(pts)
        else:
            if isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
                raise InvalidParameterError("weights", weights, "must be a sequence of numbers")
            ws = [parameter("weights", w) for w in weights]
            if len(ws) != len(pts):
                raise InvalidParameterError("weights", tuple(weights),
                                            f"need one weight per point ({len(pts)})")
        pts, ws = _merge_equal(pts, ws)
        for p in pts:
            check("points", p, lambda p=p: sp.Eq(sp.im(p), 0), "the points must be real")
        for w in ws:
            check("weights", w, lambda w=w: w >= 0, "the weights must be >= 0")
        total = sp.Add(*ws)
        if not total.free_symbols:
            if all(w.is_Rational for w in ws):
                if total != 1:
                    raise InvalidParameterError("weights", tuple(ws),
                                                f"the weights must sum to 1 (they sum to {total})")
            elif abs(float(total) - 1) > 1e-9 * len(ws) ** 0.5 + 1e-12:
                raise InvalidParameterError(
                    "weights", tuple(ws)[:5],
                    f"the weights must sum to 1 (they sum to {float(total)})")
        items = merge_atoms(zip(pts, ws))     # equal points merged, sorted
        self._init(tuple(p for p, _ in items), tuple(w for _, w in items))

    def _points_weights(self) -> tuple:
        return self._args

    def _moments_exact(self, n):
        pts, ws = self._points_weights()
        return [sp.expand(sp.Add(*[w * p**k for p, w in zip(pts, ws)])) for k in range(1, n + 1)]

    def cauchy_expr(self, z=None):
        pts, ws = self._points_weights()
        z = _sym(z, _z)
        return sp.Add(*[w / (z - p) for p, w in zip(pts, ws)])

    def curve(self, z=None, G=None):
        pts, ws = self._points_weights()
        if len(pts) > 40:
            return None
        z, G = _sym(z, _z), _sym(G, _G)
        den = sp.Mul(*[(z - p) for p in pts])
        num = sp.expand(sp.cancel(self.cauchy_expr(z) * den))
        return sp.Poly(sp.expand(den) * G - num, G, z)

    def s_transform(self, z=None):
        pts, ws = self._points_weights()
        if len(pts) == 2 and pts[0] == 0:
            # (1-t) delta_0 + t delta_a: psi = t a u/(1 - a u); S = (1+z)/(a(t+z))
            t, a = ws[1], pts[1]
            return (1 + _sym(z, _z)) / (a * (t + _sym(z, _z)))
        if len(pts) == 1:
            return 1 / pts[0] if pts[0] != 0 else None
        return None

    def _make_params(self, be):
        pts, ws = self._points_weights()
        if be.is_array:
            return (np.array([float(p) for p in pts]), np.array([float(w) for w in ws]))
        return ([numeric_value(p, be) for p in pts], [numeric_value(w, be) for w in ws])

    def _g(self, z, be):
        return atom_sum(z, *self._params(be), 1, be)

    def _dg(self, z, be):
        return -atom_sum(z, *self._params(be), 2, be)

    def _psi(self, z, be):
        # z G - 1 = sum_i w_i a_i/(z - a_i)
        a, w = self._params(be)
        return atom_sum(z, a, w * a if be.is_array else [p * q for p, q in zip(a, w)], 1, be)

    def _rho(self, x, be):
        return on(False, None, x, be)

    def atoms(self):
        return [Atom(p, w) for p, w in zip(*self._points_weights())]

    def _hull_float(self):
        pts, _ = self._points_weights()
        return to_float(pts[0]), to_float(pts[-1])

    def _support(self, dps: int, method: str | None = None):
        return []

    def _edges(self, dps: int, method: str | None = None):
        return []

    def __repr__(self):
        pts, ws = self._points_weights()
        if len(pts) > 6:
            return f"discrete(<{len(pts)} atoms in [{float(pts[0]):.4g}, {float(pts[-1]):.4g}]>)"
        return f"discrete(points={list(pts)}, weights={list(ws)})"


class Bernoulli(Discrete):
    """Law of a projection of trace t: (1 - t) delta_0 + t delta_1.

    R(w) = (w - 1 + sqrt((1 - w)^2 + 4 t w))/(2w), S(z) = (1 + z)/(t + z) (NS Lecture 12).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.bernoulli(sp.Rational(1, 3)).atoms()
    [Atom(location=0, mass=2/3, error=0), Atom(location=1, mass=1/3, error=0)]
    >>> fa.bernoulli(2)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid t=2: the trace of a projection must lie in [0, 1]
    """

    __slots__ = ()
    name = "bernoulli"
    _argnames = ("t",)

    def __init__(self, t: Any):
        t = parameter("t", t)
        check("t", t, lambda: sp.And(t >= 0, t <= 1),
              "the trace of a projection must lie in [0, 1]")
        super().__init__([0, 1], [1 - t, t])
        # keep args as (t,) for the value-object protocol; points/weights in the cache
        object.__setattr__(self, "_cache", {"pw": self._args})
        object.__setattr__(self, "_args", (t,))

    @property
    def _pw(self):
        return self._cache["pw"]

    def _points_weights(self) -> tuple:
        return self._pw

    def __reduce__(self):
        return (Bernoulli, self._args)

    def r_transform(self, w=None):
        t = self._args[0]
        w = _sym(w, _w)
        return (w - 1 + sp.sqrt((1 - w) ** 2 + 4 * t * w)) / (2 * w)

    def s_transform(self, z=None):
        t = self._args[0]
        z = _sym(z, _z)
        return (1 + z) / (t + z)

    def _make_params(self, be):
        t = numeric_value(self._args[0], be)
        if be.is_array:
            return np.array([0.0, 1.0]), np.array([1 - t, t])
        return [be.mpf(0), be.mpf(1)], [1 - t, t]

    def _hull_float(self):
        return 0.0, 1.0

    def subs(self, *args, **kwargs):
        return Bernoulli(self._args[0].subs(*args, **kwargs))

    def __repr__(self):
        return f"bernoulli(t={self._args[0]})"


class Dirac(Discrete):
    """Point mass at a.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.dirac(3).moments(3)
    [3, 9, 27]
    """

    __slots__ = ()
    name = "dirac"
    _argnames = ("a",)

    def __init__(self, a: Any):
        a = parameter("a", a)
        super().__init__([a], [1])
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_args", (a,))

    def _points_weights(self) -> tuple:
        return (self._args[0],), (sp.S.One,)

    def __reduce__(self):
        return (Dirac, self._args)

    def _free_cumulants_exact(self, n):
        a = self._args[0]
        return [a] + [sp.S.Zero] * (n - 1)

    def r_transform(self, w=None):
        return self._args[0]

    def subs(self, *args, **kwargs):
        return Dirac(self._args[0].subs(*args, **kwargs))

    def __repr__(self):
        return f"dirac({self._args[0]})"


class Arcsine(ClosedFormDensity, IntervalLeaf, Law):
    """Arcsine law on [a, b]: density 1/(pi sqrt((x - a)(b - x))), G = 1/(sqrt(z-a) sqrt(z-b)).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.arcsine().moments(4)            # central binomial coefficients
    [0, 2, 0, 6]
    """

    __slots__ = ()
    _argnames = ("a", "b")
    name = "arcsine"

    def __init__(self, a: Any = -2, b: Any = 2):
        a, b = parameter("a", a), parameter("b", b)
        check("b", b, lambda: b > a, "the interval [a, b] must have b > a")
        self._init(a, b)

    def _moments_exact(self, n):
        a, b = self._args
        c, r = (a + b) / 2, (b - a) / 2
        # E X^j for X arcsine on [-1, 1]: binom(j, j/2)/2^j for even j
        std = [sp.binomial(j, j // 2) / sp.S(2) ** j if j % 2 == 0 else sp.S.Zero
               for j in range(n + 1)]
        return [sp.expand(sum(sp.binomial(k, j) * c ** (k - j) * r**j * std[j]
                              for j in range(k + 1))) for k in range(1, n + 1)]

    def r_transform(self, w=None):
        a, b = self._args
        c, r = (a + b) / 2, (b - a) / 2
        w = _sym(w, _w)
        return c + (sp.sqrt(1 + r**2 * w**2) - 1) / w

    def cauchy_expr(self, z=None):
        a, b = self._args
        z = _sym(z, _z)
        return 1 / (sp.sqrt(z - a) * sp.sqrt(z - b))

    def curve(self, z=None, G=None):
        a, b = self._args
        z, G = _sym(z, _z), _sym(G, _G)
        return sp.Poly((z - a) * (z - b) * G**2 - 1, G, z)

    def _g(self, z, be):
        a, b = self._params(be)
        return 1 / (be.sqrt(z - a) * be.sqrt(z - b))

    def _dg(self, z, be):
        a, b = self._params(be)
        s = be.sqrt(z - a) * be.sqrt(z - b)
        return -(z - (a + b) / 2) / (s * s * s)

    def _rho(self, x, be):
        a, b = self._params(be)
        return on((x > a) & (x < b), lambda t: 1 / (be.pi * rsqrt((t - a) * (b - t), be)), x, be)

    def _band(self):
        return self._args

    def _edge_kinds(self):
        return "hard", "hard"


class Uniform(ClosedFormDensity, IntervalLeaf, Law):
    """Uniform law on [a, b]: G(z) = (log(z - a) - log(z - b))/(b - a).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.uniform(0, 1).moments(3)
    [1/2, 1/3, 1/4]
    """

    __slots__ = ()
    _argnames = ("a", "b")
    name = "uniform"

    def __init__(self, a: Any = 0, b: Any = 1):
        a, b = parameter("a", a), parameter("b", b)
        check("b", b, lambda: b > a, "the interval [a, b] must have b > a")
        self._init(a, b)

    def _moments_exact(self, n):
        a, b = self._args
        return [sp.simplify((b ** (k + 1) - a ** (k + 1)) / ((k + 1) * (b - a)))
                for k in range(1, n + 1)]

    def cauchy_expr(self, z=None):
        a, b = self._args
        z = _sym(z, _z)
        return (sp.log(z - a) - sp.log(z - b)) / (b - a)

    def _g(self, z, be):
        a, b = self._params(be)
        # far from [a, b]: log1p((b - a)/(z - b)) avoids the cancellation of the two logs (the
        # ratio (z - a)/(z - b) then has positive real part, away from the branch cut)
        return where(be.abs(z - b) > 2 * (b - a), lambda: log1p((b - a) / (z - b), be) / (b - a),
                     lambda: (be.log(z - a) - be.log(z - b)) / (b - a), be)

    def _psi(self, z, be):
        # far away: sum_k m_k z^-k (geometric, ratio <= 1/3); else z G - 1 directly
        a, b = self._params(be)
        z = be.asarray(z)
        n = 60 if be.is_array else int(mpmath.mp.dps * 2.2) + 10

        def series():
            return fsum([(b ** (k + 1) - a ** (k + 1)) / ((k + 1) * (b - a)) / z**k
                         for k in range(1, n)], be)

        return where(be.abs(z) > 3 * max(abs(a), abs(b)), series, lambda: z * self._g(z, be) - 1,
                     be)

    def _dg(self, z, be):
        a, b = self._params(be)
        return (1 / (z - a) - 1 / (z - b)) / (b - a)

    def _rho(self, x, be):
        a, b = self._params(be)
        return on((x > a) & (x < b), lambda t: 1 / (b - a), x, be)

    def _band(self):
        return self._args

    def _edge_kinds(self):
        return "hard", "hard"
