"""Laws of the other independences, and laws from Jacobi parameters.

Boolean (Speicher-Woroudi 1997) and monotone (Muraki 2000, 2001) additive convolutions, Boolean
powers, the Bercovici-Pata bijection (Bercovici-Pata 1999) and laws given by their Jacobi
parameters. Formulas, curves and atoms: :mod:`freealg.numeric.boolean` and
:mod:`freealg.numeric.jacobi_law`; constructors in :mod:`freealg.constructors`.
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
from .composite import _Composite

__all__ = ["BooleanAdditive", "MonotoneAdditive", "BooleanPower", "JacobiLaw"]

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
            if self.free_symbols:
                return None
            exact = self._exactified()   # float parameters as the rationals they store
            if exact is not self:
                return exact.curve()
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
        b1, b2 = (bo.boolean_from_moments(x.moments(n)) for x in self._args)
        return bo.moments_from_boolean([a + b for a, b in zip(b1, b2)])

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
        return bo.moments_from_boolean([t * b for b in bo.boolean_from_moments(mu.moments(n))])

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
        P = self._memo("curve", lambda: jl.cf_curve(*self._exactified()._args))
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
