"""Laws of the other independences, and laws from Jacobi parameters.

Boolean (Speicher-Woroudi 1997) and monotone (Muraki 2000, 2001) additive convolutions, Boolean
powers, the Bercovici-Pata bijection (Bercovici-Pata 1999) and laws given by their Jacobi
parameters. Formulas, curves and atoms: :mod:`freealg.numeric.boolean` and
:mod:`freealg.numeric.jacobi_law`.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import NP
from ..numeric import boolean as bo
from ..numeric import engines as eng
from ..numeric import jacobi_law as jl
from ..numeric.leaf import IntervalLeaf
from ..numeric.params import parameter
from .base import Law, check, numeric_value
from .catalog import Discrete
from .composite import _Composite
from .convolution import FreeAdditive
from .families import FreeMeixner

__all__ = ["BooleanAdditive", "MonotoneAdditive", "BooleanPower", "JacobiLaw",
           "boolean_additive", "monotone_additive", "boolean_power", "boolean_to_free",
           "from_jacobi", "jacobi_parameters", "boolean_cumulants", "eta_transform"]

_z, _G = sp.symbols("z G")


def _law(name, v):
    if not isinstance(v, Law):
        raise InvalidParameterError(name, v, "must be a freealg Law")
    return v


def _child_curve(law):
    c = law.curve()
    if c is None:
        c = eng.eliminated_curve(law) if isinstance(law, _Composite) else None
    if c is None and law.simplify() != law:
        c = law.simplify().curve()
    return c


class _Independent(_Composite):
    """Shared hooks: curve from the children's (``_combine``), atoms from the curve."""

    __slots__ = ()
    _hull_exact = False

    @property
    def _nunk(self):
        return sum(a._nunk for a in self._args if isinstance(a, Law))

    def _guess(self, zeta, be):
        return [g for a in self._args if isinstance(a, Law) for g in a._guess(zeta, be)]

    def _make_params(self, be):
        return tuple(numeric_value(a, be) for a in self._args if not isinstance(a, Law))

    def curve(self, z=None, G=None):
        def build():
            cs = [_child_curve(a) for a in self._args if isinstance(a, Law)]
            if any(c is None or c.free_symbols - set(c.gens) for c in cs) or \
                    sp.prod([c.total_degree() for c in cs]) > 64:
                return None
            K = 2 * int(sp.prod([c.total_degree() + 1 for c in cs])) + 6
            return self._combine(*cs, self.moments(K))

        P = self._memo("curve", build)
        if P is None or (z is None and G is None):
            return P
        return sp.Poly(P.as_expr().subs({_z: z if z is not None else _z,
                                         _G: G if G is not None else _G}, simultaneous=True),
                       G if G is not None else _G, z if z is not None else _z)

    def atoms(self):
        if self.free_symbols:
            raise UndeterminedError(f"the atoms of {self.name}", sorted(self.free_symbols, key=str))
        P = self.curve()
        if P is None:   # no algebraic curve: the zeros of F = 1/G on the real line, numerically
            return bo.scan_atoms(self, self._hull_float())
        return bo.curve_atoms(P, lambda q, dps: self.cauchy(q, dps=dps), self._scale)


class BooleanAdditive(_Independent):
    """Boolean additive convolution mu ⊎ nu: F = F_mu + F_nu - z, F = 1/G (Boolean cumulants
    add; Speicher-Woroudi 1997).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.boolean_additive(fa.semicircle(1), fa.semicircle(1)).moments(4)   # arcsine [-2, 2]
    [0, 2, 0, 6]
    """

    __slots__ = ()
    _argnames = ("mu", "nu")
    name = "boolean_additive"

    def __init__(self, mu: Law, nu: Law):
        self._init(_law("mu", mu), _law("nu", nu))

    def _moments_exact(self, n):
        mu, nu = self._args
        return bo.moments_from_boolean([a + b for a, b in zip(bo.boolean_cumulants(mu.moments(n)),
                                                              bo.boolean_cumulants(nu.moments(n)))])

    def cauchy_expr(self, z=None):
        g1, g2 = (a.cauchy_expr(z) for a in self._args)
        z = _z if z is None else sp.sympify(z)
        return None if g1 is None or g2 is None else 1 / (1 / g1 + 1 / g2 - z)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return bo.boolean_gpsi(*self._args, zeta, w, be, ctx)

    _combine = staticmethod(bo.boolean_curve)

    def _hull_float(self):
        (a, b), (c, d) = (x._hull_float() for x in self._args)
        return min(a, c, a + c), max(b, d, b + d)


class MonotoneAdditive(_Independent):
    """Monotone additive convolution mu ▷ nu: F = F_mu ∘ F_nu (Muraki 2000).

    Examples
    --------
    >>> import freealg as fa
    >>> a = fa.arcsine(-2, 2)                      # monotone Gaussian of variance 2
    >>> fa.monotone_additive(a, a).moments(4)      # arcsine of variance 4: 4, 3 * 4^2 / 2
    [0, 4, 0, 24]
    """

    __slots__ = ()
    _argnames = ("mu", "nu")
    name = "monotone_additive"

    def __init__(self, mu: Law, nu: Law):
        self._init(_law("mu", mu), _law("nu", nu))

    def _moments_exact(self, n):
        return bo.monotone_moments(self._args[0].moments(n), self._args[1].moments(n))

    def cauchy_expr(self, z=None):
        g2 = self._args[1].cauchy_expr(z)
        return None if g2 is None else self._args[0].cauchy_expr(1 / g2)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return bo.monotone_gpsi(*self._args, zeta, w, be, ctx)

    _combine = staticmethod(bo.monotone_curve)

    def _hull_float(self):
        (a, b), (c, d) = (x._hull_float() for x in self._args)
        return min(c, a + c), max(d, b + d)


class BooleanPower(_Independent):
    """Boolean power mu^{⊎t}, t >= 0: F = t F_mu + (1 - t) z (Boolean cumulants times t).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.boolean_power(fa.bernoulli(sp.Rational(1, 2)), 2).atoms()   # delta_0/3 + 2 delta_{3/2}/3
    [Atom(location=0, mass=1/3, error=0), Atom(location=3/2, mass=2/3, error=0)]
    """

    __slots__ = ()
    _argnames = ("mu", "t")
    name = "boolean_power"

    def __init__(self, mu: Law, t: Any):
        t_ = parameter("t", t)
        check("t", t_, lambda: t_ >= 0, "Boolean powers need t >= 0")
        self._init(_law("mu", mu), t_)

    def _moments_exact(self, n):
        mu, t = self._args
        return bo.moments_from_boolean([t * b for b in bo.boolean_cumulants(mu.moments(n))])

    def cauchy_expr(self, z=None):
        g = self._args[0].cauchy_expr(z)
        z = _z if z is None else sp.sympify(z)
        return None if g is None else 1 / (self._args[1] / g + (1 - self._args[1]) * z)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return bo.power_gpsi(self._args[0], self._params(be)[0], zeta, w, be, ctx)

    def _combine(self, P, moments):
        return bo.power_curve(P, self._args[1], moments)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        t = float(numeric_value(self._args[1], NP))
        return min(lo, t * lo), max(hi, t * hi)


class JacobiLaw(IntervalLeaf, Law):
    """The law with Jacobi parameters alphas, betas, the last of each repeated for ever (see
    :func:`from_jacobi`); G is a Moebius map of a semicircle transform (quadratic curve).

    Examples
    --------
    >>> import freealg as fa
    >>> mu = fa.from_jacobi([0, 1, 0], [1, 2, 1])
    >>> mu.moments(4), fa.jacobi_parameters(mu, 3)
    ([0, 1, 1, 4], ([0, 1, 0], [1, 2, 1]))
    """

    __slots__ = ()
    _argnames = ("alphas", "betas")
    name = "from_jacobi"

    def __init__(self, alphas: Any, betas: Any):
        self._init(*jl.check_jacobi(alphas, betas, "constant"))

    def _moments_exact(self, n):
        return jl.cf_moments(*self._args, "constant", n)

    def curve(self, z=None, G=None):
        P = self._memo("curve", lambda: jl.cf_curve(*self._args))
        return P if z is None and G is None else sp.Poly(
            P.as_expr().subs({_z: _z if z is None else z, _G: _G if G is None else G},
                             simultaneous=True), _G if G is None else G, _z if z is None else z)

    def _band(self):
        a, b = self._args[0][-1], self._args[1][-1]
        return a - 2 * sp.sqrt(b), a + 2 * sp.sqrt(b)

    def _edge_kinds(self):
        return jl.cf_edge_kinds(*self._args)

    def _make_params(self, be):
        al, bt = ([numeric_value(v, be) for v in seq] for seq in self._args)
        L = max(len(al), len(bt)) - 1
        return al, bt, L, al[-1], bt[-1], 2 * be.sqrt(bt[-1])

    def _g(self, z, be):
        return jl.cf_g(self._params(be), z, be, deriv=False)[0]

    def _dg(self, z, be):
        return jl.cf_g(self._params(be), z, be)[1]

    def atoms(self):
        def build():
            lo, hi = (float(v) for v in self._band())
            return bo.curve_atoms(self.curve(), lambda q, dps: self.cauchy(q, dps=dps),
                                  max(abs(lo), abs(hi), hi - lo))

        return self._memo("atoms", build)


def boolean_additive(mu: Law, nu: Law) -> BooleanAdditive:
    """Boolean additive convolution mu ⊎ nu (see :class:`BooleanAdditive`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> b = fa.discrete([-1, 1])                        # Boolean Gaussian
    >>> fa.boolean_additive(b, b).atoms()               # F = z - 2/z: atoms at -+sqrt 2
    [Atom(location=-sqrt(2), mass=1/2, error=0), Atom(location=sqrt(2), mass=1/2, error=0)]
    """
    return BooleanAdditive(mu, nu)


def monotone_additive(mu: Law, nu: Law) -> MonotoneAdditive:
    """Monotone additive convolution mu ▷ nu (see :class:`MonotoneAdditive`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.monotone_additive(fa.semicircle(1), fa.semicircle(1)).moments(4)
    [0, 2, 0, 7]
    """
    return MonotoneAdditive(mu, nu)


def boolean_power(mu: Law, t: Any) -> BooleanPower:
    """Boolean power mu^{⊎t}, t >= 0 (see :class:`BooleanPower`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.boolean_power(fa.semicircle(1), 2).moments(4)      # = sc ⊎ sc
    [0, 2, 0, 6]
    """
    return BooleanPower(mu, t)


def boolean_to_free(mu: Law) -> Law:
    """The Bercovici-Pata image: the law whose free cumulants are the Boolean cumulants of mu
    (Bercovici-Pata 1999), built as (mu ⊞ mu)^{⊎1/2} (Belinschi-Nica 2008: B_1).

    Examples
    --------
    >>> import freealg as fa
    >>> nu = fa.boolean_to_free(fa.discrete([-1, 1]))      # Boolean Gaussian -> semicircle
    >>> nu.moments(6), nu.free_cumulants(4)
    ([0, 1, 0, 2, 0, 5], [0, 1, 0, 0])
    """
    return BooleanPower(FreeAdditive(_law("mu", mu), mu), sp.Rational(1, 2))


def from_jacobi(alphas: Any, betas: Any, tail: str = "constant") -> Law:
    """The law with Jacobi parameters alpha_0, alpha_1, ... and beta_1, beta_2, ... > 0
    (x P_n = P_{n+1} + alpha_n P_n + beta_n P_{n-1}).

    ``tail="constant"``: the last alpha and the last beta repeat for ever (a band
    [alpha - 2 sqrt beta, alpha + 2 sqrt beta] and exact atoms); ``tail="finite"``: the sequence
    stops (``len(betas) == len(alphas) - 1``), a law with ``len(alphas)`` atoms.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.from_jacobi([0], [1])                          # the semicircle
    free_meixner(mean=0, variance=1, a=0, b=1)
    >>> fa.from_jacobi([0, 0], [1], tail="finite").atoms()
    [Atom(location=-1, mass=1/2, error=0), Atom(location=1, mass=1/2, error=0)]
    """
    al, bt = jl.check_jacobi(alphas, betas, tail)
    if tail == "finite":
        pts, ws = zip(*jl.gauss_rule(al, bt))
        return Discrete(pts, ws)
    if len(al) <= 2 and len(bt) <= 2:
        al2, bt2 = (al + al[-1:])[:2], (bt + bt[-1:])[:2]
        return FreeMeixner(al2[0], bt2[0], al2[1], bt2[1])
    return JacobiLaw(al, bt)


def jacobi_parameters(law: Law, n: int, dps: int | None = None) -> tuple:
    """The first n Jacobi parameters (alphas, betas) = ([alpha_0..alpha_{n-1}],
    [beta_1..beta_n]) of a law, by Chebyshev's algorithm on its moments: exact for exact
    moments (shorter lists when a beta vanishes: a law with finitely many atoms), else mpmath
    at ``dps`` digits.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.jacobi_parameters(fa.free_poisson(2), 3)         # (l, l+1, l+1; l, l, l)
    ([2, 3, 3], [2, 2, 2])
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidParameterError("n", n, "must be a positive integer")
    return jl.chebyshev(_law("law", law).moments(2 * n), n, dps)


def boolean_cumulants(law: Law, n: int) -> list:
    """Boolean cumulants b_1..b_n of a law: F(z) = 1/G(z) = z - sum_n b_n z^(1-n).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.boolean_cumulants(fa.semicircle(1), 6)
    [0, 1, 0, 1, 0, 2]
    """
    return bo.boolean_cumulants(_law("law", law).moments(n))


def eta_transform(law: Law, u: Any = None) -> Any:
    """The eta-transform eta(u) = 1 - u F(1/u) = sum_n b_n u^n (sympy; None without a closed
    form Cauchy transform).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.eta_transform(fa.discrete([-1, 1]))
    u**2
    """
    u = sp.Symbol("u") if u is None else sp.sympify(u)
    G = _law("law", law).cauchy_expr(1 / u)
    return None if G is None else sp.simplify(1 - u / G)
