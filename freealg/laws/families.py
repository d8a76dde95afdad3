"""Closed-form laws with a constant recursion formula: free Meixner, free binomial, Kesten-McKay,
and the Wachter law of a product of two free projections.

A law whose monic orthogonal polynomials satisfy x P_n = P_{n+1} + alpha_n P_n + omega_n P_{n-1}
with alpha_0 = mean, omega_1 = variance, alpha_n = a (n >= 1), omega_n = b (n >= 2) has
G(z) = 1/(z - mean - variance H(z)), H the Cauchy transform of the semicircle law of mean a and
variance b (Saitoh-Yoshida 2001; up to an affine map the free Meixner laws of Anshelevich 2003
and Bozejko-Bryc 2006). Its density, atoms and edges are derived in :mod:`freealg.numeric.jacobi`.

The family contains the semicircle (a = mean, b = variance), the free Poisson law pi(l, s)
(mean l s, variance l s^2, a = s (1 + l), b = l s^2), the free binomial laws
((1 - p) delta_0 + p delta_1)^{⊞n}, the Kesten-McKay laws (Kesten 1959; McKay 1981) and, up to an
atom at 0, the Wachter law (Wachter 1980). It is closed under affine maps, free additive powers
and free compressions, which ``freealg.rewrite`` uses.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ..errors import UndeterminedError
from ..numeric.jacobi import (is_zero, jacobi_atoms, jacobi_density, jacobi_gh, jacobi_moments,
                              jacobi_params, primitive_poly, truth)
from ..numeric.jacobi import tidy as _tidy
from ..numeric.leaf import ClosedFormDensity, IntervalLeaf, merge_atoms
from ..numeric.params import parameter
from .base import Atom, Law, check, numeric_value

__all__ = ["ConstantRecursion", "FreeMeixner", "FreeBinomial", "KestenMcKay", "Wachter"]

_z, _G, _w = sp.symbols("z G w")


def _sym(z, default):
    return default if z is None else sp.sympify(z)


class _ConstantRecursion(ClosedFormDensity, IntervalLeaf, Law):
    """Shared closed forms of the laws with a constant recursion formula (base class).

    Their Jacobi parameters are (mean, variance) followed by the constants (a, b); subclasses
    give ``_jacobi()`` = (mean, variance, a, b), exact. The family is closed under free sums of
    members with equal (mean - a, b - variance), free powers, compressions and affine maps,
    which ``freealg.rewrite`` uses.

    Examples
    --------
    >>> import freealg as fa
    >>> mu = fa.kesten_mckay(3)
    >>> isinstance(mu, ConstantRecursion), mu.moments(4)   # closed walks on the 3-regular tree
    (True, [0, 3, 0, 15])
    """

    __slots__ = ()
    _rho_guard = 10
    _edge_value = staticmethod(_tidy)

    def _jacobi(self) -> tuple:
        raise NotImplementedError

    def _band(self):
        _, _, a, b = self._jacobi()
        r = 2 * sp.sqrt(b)
        return a - r, a + r

    def _moments_exact(self, n):
        return jacobi_moments(*self._jacobi(), n)

    def r_transform(self, w=None):
        a0, w1, a, b = self._jacobi()
        w = _sym(w, _w)
        d, c = a0 - a, b - w1
        if is_zero(c):
            return a0 + w1 * w / (1 + d * w)
        # R = a0 + u, c G u^2 - w1 (1 + d G) u + w1^2 G = 0, u ~ w1 G at 0 [derived from the
        # continued fraction], written without cancellation
        return a0 + 2 * w1 * w / (1 + d * w + sp.sqrt((1 + d * w) ** 2 - 4 * c * w**2))

    def s_transform(self, z=None):
        # for a law on [0, inf): with x = chi(m) = m S/(1 + m) the curve becomes
        # A S^2 + B S + C = 0, A = m Q(0), B = w1 (1 + m) a0 + w1 a m - 2 b m a0,
        # C = b m - w1 (1 + m); the branch S(0) = 1/mean, written without cancellation [derived]
        try:
            lo = min([self._band()[0]] + [at.location for at in self.atoms()],
                     key=lambda q: float(q))
        except (TypeError, UndeterminedError):
            return None
        if truth(lo >= 0) is not True or is_zero(self._jacobi()[0]) is not False:
            return None
        a0, w1, a, b = self._jacobi()
        m = _sym(z, _z)
        A = m * (b * a0**2 - w1 * a * a0 + w1**2)
        B = w1 * (1 + m) * a0 + w1 * a * m - 2 * b * m * a0
        C = b * m - w1 * (1 + m)
        if is_zero(b * a0**2 - w1 * a * a0 + w1**2):
            return sp.simplify(-C / B)
        return -2 * C / (B + sp.sqrt(B**2 - 4 * A * C))

    def cauchy_expr(self, z=None):
        a0, w1, a, b = self._jacobi()
        z = _sym(z, _z)
        r = 2 * sp.sqrt(b)
        H = (z - a - sp.sqrt(z - a - r) * sp.sqrt(z - a + r)) / (2 * b)
        return 1 / (z - a0 - w1 * H)

    def curve(self, z=None, G=None):
        a0, w1, a, b = self._jacobi()
        z, G = _sym(z, _z), _sym(G, _G)
        u = (z - a0) * G - 1
        # H = u/(w1 G) solves b H^2 - (z - a) H + 1 = 0; times w1^2 G^2
        return primitive_poly(b * u**2 - w1 * (z - a) * G * u + w1**2 * G**2, G, z)

    def _make_params(self, be):
        return jacobi_params(*self._jacobi(), be, numeric_value)

    def _g(self, z, be):
        return jacobi_gh(self._params(be), z, be)[0]

    def _dg(self, z, be):
        G, H, zeta, s = jacobi_gh(self._params(be), z, be)
        dH = -2 * (1 + zeta / s) / (zeta + s) ** 2
        return -(1 - self._params(be)[1] * dH) * G * G

    def _psi(self, z, be):
        # z G - 1 = (z - D)/D = (mean + variance H) G: no cancellation at large |z|
        a0, w1, *_ = self._params(be)
        G, H, _, _ = jacobi_gh(self._params(be), z, be)
        return (a0 + w1 * H) * G

    def _rho(self, x, be):
        return jacobi_density(self._params(be), x, be)

    def atoms(self):
        return self._memo("atoms", lambda: jacobi_atoms(*self._jacobi()))

    def _edge_kinds(self):
        # a band end where Q vanishes is a hard edge (module docstring)
        a0, w1, a, b = self._jacobi()
        Q = [sp.expand((b - w1) * y**2 - w1 * (a0 - a) * y + w1**2)
             for y in (x - a0 for x in self._band())]
        return tuple("hard" if is_zero(q) else "soft" for q in Q)


def _real(name, value):
    check(name, value, lambda: sp.Eq(sp.im(sp.sympify(value)), 0), "must be real")


#: the public name of the constant-recursion base class (used by ``freealg.rewrite``)
ConstantRecursion = _ConstantRecursion


class FreeMeixner(_ConstantRecursion):
    """Law with a constant recursion formula: orthogonal polynomials with Jacobi parameters
    alpha_0 = mean, omega_1 = variance, alpha_n = a, omega_n = b (n >= 1, resp. n >= 2).

    G(z) = 1/(z - mean - variance H(z)), H the semicircle transform of mean a and variance b
    (Saitoh-Yoshida 2001); up to an affine map the free Meixner laws of Anshelevich (2003) and
    Bozejko-Bryc (2006), whose standard form (mean 0, variance 1, a, 1 + b') has density
    sqrt(4(1 + b') - (x - a)^2)/(2 pi (b' x^2 + a x + 1)). Up to two atoms, at real roots of
    that quadratic (see ``freealg.laws.families``).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.free_meixner(0, 1, 0, 1)           # the standard semicircle
    >>> mu.moments(4), mu.edges()[1].location
    ([0, 1, 0, 2], 2)
    >>> fa.free_meixner(1, 1, 2, 1).moments(3)     # free Poisson pi(1): Catalan numbers
    [1, 2, 5]
    """

    __slots__ = ()
    _argnames = ("mean", "variance", "a", "b")
    name = "free_meixner"

    def __init__(self, mean: Any = 0, variance: Any = 1, a: Any = 0, b: Any = 1):
        m, v, a_, b_ = (parameter(nm, q) for nm, q in (("mean", mean), ("variance", variance),
                                                        ("a", a), ("b", b)))
        _real("mean", m)
        _real("a", a_)
        check("variance", v, lambda: v > 0, "the variance must be > 0")
        check("b", b_, lambda: b_ > 0, "the recursion coefficient b must be > 0 "
                                       "(b = 0 is a two-point law: use discrete)")
        self._init(m, v, a_, b_)

    def _jacobi(self):
        return self._args


class FreeBinomial(_ConstantRecursion):
    """Free binomial law ((1 - p) delta_0 + p delta_1)^{⊞n}, n > 1: the law of a sum of n free
    projections of trace p when n is an integer.

    Recursion (mean, variance, a, b) = (n p, n p (1 - p), 1 + (n - 2) p, (n - 1) p (1 - p))
    (the power of the Bernoulli recursion (p, p(1 - p), 1 - p, 0); R_{mu^{⊞n}} = n R_mu).
    Atoms at 0 and n of masses max(0, 1 - n p) and max(0, 1 - n (1 - p)) (Bercovici-Voiculescu
    1998 for powers); S(z) = (n + z)/(n (n p + z)) (S_{mu^{⊞n}}(z) = S_mu(z/n)/n).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.free_binomial(3, sp.Rational(1, 4))
    >>> mu.atoms()
    [Atom(location=0, mass=1/4, error=0)]
    >>> mu.moments(3) == fa.free_power(fa.bernoulli(sp.Rational(1, 4)), 3).moments(3)
    True
    """

    __slots__ = ()
    _argnames = ("n", "p")
    name = "free_binomial"

    def __init__(self, n: Any, p: Any):
        n_, p_ = parameter("n", n), parameter("p", p)
        check("n", n_, lambda: n_ > 1, "the free binomial power must be > 1 (n = 1 is bernoulli)")
        check("p", p_, lambda: sp.And(p_ > 0, p_ < 1), "the trace p must lie in (0, 1)")
        self._init(n_, p_)

    def _jacobi(self):
        n, p = self._args
        return n * p, n * p * (1 - p), 1 + (n - 2) * p, (n - 1) * p * (1 - p)

    def s_transform(self, z=None):
        n, p = self._args
        z = _sym(z, _z)
        return (n + z) / (n * (n * p + z))


class KestenMcKay(_ConstantRecursion):
    """Kesten-McKay law of degree d > 1: the spectral law of the adjacency operator of the
    d-regular tree (Kesten 1959; McKay 1981), i.e. b^{⊞d} for the symmetric Bernoulli law
    b = (delta_{-1} + delta_1)/2 (the tree is the Cayley graph of the free product of d copies of
    Z/2, whose generators are free symmetries).

    Density d sqrt(4(d - 1) - x^2)/(2 pi (d^2 - x^2)) on |x| <= 2 sqrt(d - 1); for 1 < d < 2
    atoms at -+d of mass 1 - d/2. Recursion (0, d, 0, d - 1).

    Examples
    --------
    >>> import freealg as fa
    >>> km = fa.kesten_mckay(3)
    >>> km.moments(6)                  # closed walks on the 3-regular tree
    [0, 3, 0, 15, 0, 87]
    >>> [e.location for e in km.edges()]
    [-2*sqrt(2), 2*sqrt(2)]
    """

    __slots__ = ()
    _argnames = ("d",)
    name = "kesten_mckay"

    def __init__(self, d: Any):
        d_ = parameter("d", d)
        check("d", d_, lambda: d_ > 1, "the degree d must be > 1 (d = 1 is the symmetric "
                                       "Bernoulli law)")
        self._init(d_)

    def _jacobi(self):
        d = self._args[0]
        return sp.S.Zero, d, sp.S.Zero, d - 1


class Wachter(_ConstantRecursion):
    """Wachter law: the law of p q p for free projections p, q of traces alpha, beta in (0, 1),
    i.e. bernoulli(alpha) ⊠ bernoulli(beta) (Wachter 1980; Collins 2005).

    Atoms max(1 - alpha, 1 - beta) at 0 and max(0, alpha + beta - 1) at 1; density
    sqrt((l+ - x)(x - l-))/(2 pi x (1 - x)) on [l-, l+], l+- = alpha + beta - 2 alpha beta
    +- sqrt(4 alpha beta (1 - alpha)(1 - beta)). It is (1 - alpha) delta_0 + alpha C with C
    the law of p q p in (pAp, tau/alpha), a constant-recursion law with (mean, variance, a, b)
    = (beta, alpha beta (1 - beta), alpha + beta - 2 alpha beta, alpha (1 - alpha) beta
    (1 - beta)) (Nica-Speicher 1996 compression). S(z) = (1 + z)^2/((alpha + z)(beta + z)).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> W = fa.wachter(sp.Rational(1, 2), sp.Rational(1, 3))
    >>> W.atoms()
    [Atom(location=0, mass=2/3, error=0)]
    >>> W.moments(2)
    [1/6, 1/9]
    """

    __slots__ = ()
    _argnames = ("alpha", "beta")
    name = "wachter"

    def __init__(self, alpha: Any, beta: Any):
        al, be = parameter("alpha", alpha), parameter("beta", beta)
        for nm, v in (("alpha", al), ("beta", be)):
            check(nm, v, lambda v=v: sp.And(v > 0, v < 1),
                  "the trace of a projection must lie in (0, 1) here (use bernoulli for 0, 1)")
        # canonical order (the law is symmetric in alpha, beta)
        try:
            swap = bool(be < al)
        except TypeError:
            swap = sp.default_sort_key(be) < sp.default_sort_key(al)
        self._init(*((be, al) if swap else (al, be)))

    def _jacobi(self):
        al, be = self._args
        return be, al * be * (1 - be), al + be - 2 * al * be, al * (1 - al) * be * (1 - be)

    def _moments_exact(self, n):
        al = self._args[0]
        return [sp.expand(al * m) for m in super()._moments_exact(n)]

    def r_transform(self, w=None):
        return None

    def s_transform(self, z=None):
        al, be = self._args
        z = _sym(z, _z)
        return (1 + z) ** 2 / ((al + z) * (be + z))

    def cauchy_expr(self, z=None):
        al = self._args[0]
        z = _sym(z, _z)
        return (1 - al) / z + al * super().cauchy_expr(z)

    def curve(self, z=None, G=None):
        al = self._args[0]
        z, G = _sym(z, _z), _sym(G, _G)
        gc = sp.Symbol("_gc")
        inner = super().curve(z, gc).as_expr()
        # G_C = (z G - (1 - alpha))/(alpha z); times (alpha z)^2
        expr = sp.expand(inner.subs(gc, (z * G - (1 - al)) / (al * z)) * (al * z) ** 2)
        return primitive_poly(sp.cancel(expr), G, z)

    def _g(self, z, be):
        al = self._al(be)
        return (1 - al) / z + al * super()._g(z, be)

    def _dg(self, z, be):
        al = self._al(be)
        return -(1 - al) / (z * z) + al * super()._dg(z, be)

    def _psi(self, z, be):
        return self._al(be) * super()._psi(z, be)

    def _al(self, be):
        return self._memo(("alpha", be.name, 0 if be.is_array else mpmath.mp.prec),
                          lambda: numeric_value(self._args[0], be))

    def _rho(self, x, be):
        return self._al(be) * super()._rho(x, be)

    def atoms(self):
        def build():
            al = self._args[0]
            pairs = [(sp.S.Zero, 1 - al)] + [(at.location, al * at.mass)
                                             for at in jacobi_atoms(*self._jacobi())]
            return [Atom(loc, _tidy(m))
                    for loc, m in merge_atoms(pairs, lambda m: is_zero(m) is not True)]

        return self._memo("atoms", build)
