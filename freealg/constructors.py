"""The public constructors of laws and of the free operations on them.

Each function checks its arguments and returns a law value object of :mod:`freealg.laws`
(the classes hold the formulas; these functions are the documented way to build them). All are
re-exported as ``freealg.NAME`` and ``freealg.laws.NAME``.

Conventions used throughout (see also docs/conventions.md): a law is the distribution of a
self-adjoint element of a tracial W*-probability space (M, tau) with tau(1) = 1, that is the
normalised trace; in the random-matrix picture tau = (1/N) Tr and the law is the limit of the
empirical eigenvalue distribution. Parameters are exact by default: integers, sympy
``Rational`` and sympy symbols stay exact (moments and transforms are exact sympy expressions),
Python floats are kept as given.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from .errors import InvalidParameterError
from .laws.base import OPERATIONS, Law, check
from .laws.catalog import (Arcsine, Bernoulli, Dirac, Discrete, FreePoisson, Semicircle,
                           Uniform)
from .laws.convolution import FreeAdditive, FreeMultiplicative, FreePower
from .laws.derived import (Affine, FreeCompression, FreeProduct, Mixture,
                           MultiplicativeExponential)
from .laws.families import FreeBinomial, FreeMeixner, KestenMcKay, Wachter
from .numeric.params import parameter

__all__ = [
    "semicircle", "free_poisson", "marchenko_pastur", "bernoulli", "dirac", "discrete",
    "empirical", "arcsine", "uniform", "free_meixner", "free_binomial", "kesten_mckay",
    "wachter", "free_additive", "free_multiplicative", "free_power", "free_product",
    "free_compression", "affine", "mixture", "multiplicative_exponential",
]


def semicircle(variance: Any = 1, mean: Any = 0) -> Semicircle:
    """Semicircle law (see :class:`Semicircle`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.semicircle(1).r_transform()
    w
    """
    return Semicircle(variance, mean)


def free_poisson(rate: Any = 1, jump: Any = 1) -> FreePoisson:
    """Free Poisson law with the given rate and jump size (see :class:`FreePoisson`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_poisson(1).moments(4)     # Catalan numbers
    [1, 2, 5, 14]
    """
    return FreePoisson(rate, jump)


def marchenko_pastur(ratio: Any, variance: Any = 1) -> FreePoisson:
    """Marchenko-Pastur law of (variance/n) X X^T, X of size p x n with iid N(0,1), ratio p/n.

    Equal to free_poisson(rate=1/ratio, jump=ratio*variance) (the convention of
    docs/conventions.md, "Laws").

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mp_ = fa.marchenko_pastur(sp.Rational(1, 2))
    >>> mp_.moments(2), [e.location for e in mp_.edges()]
    ([1, 3/2], [3/2 - sqrt(2), sqrt(2) + 3/2])
    """
    c, s = parameter("ratio", ratio), parameter("variance", variance)
    check("ratio", ratio, lambda: c > 0, "the aspect ratio p/n must be > 0")
    check("variance", variance, lambda: s > 0, "the variance must be > 0")
    return FreePoisson(1 / c, c * s)


def bernoulli(t: Any) -> Bernoulli:
    """Law (1 - t) delta_0 + t delta_1 of a projection of trace t (see :class:`Bernoulli`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.bernoulli(sp.Rational(1, 2)).s_transform()
    (z + 1)/(z + 1/2)
    """
    return Bernoulli(t)


def dirac(a: Any) -> Dirac:
    """Point mass at ``a``.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.dirac(2).atoms()
    [Atom(location=2, mass=1, error=0)]
    """
    return Dirac(a)


def discrete(points: Sequence, weights: Sequence | None = None) -> Discrete:
    """Finite atomic law (see :class:`Discrete`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.discrete([1, 2]).moments(1)
    [3/2]
    """
    return Discrete(points, weights)


def empirical(eigenvalues: Any) -> Discrete:
    """Empirical spectral law (uniform weights) of data, e.g. numpy eigenvalues.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> mu = fa.empirical(np.array([0.5, 1.5, 1.5, 2.0]))
    >>> mu.atoms()[1]
    Atom(location=1.5000000000000000, mass=1/2, error=0)
    """
    vals = np.asarray(eigenvalues)
    if vals.ndim != 1 or vals.size == 0:
        raise InvalidParameterError("eigenvalues", getattr(vals, "shape", vals),
                                    "need a non-empty 1-d array of real eigenvalues")
    if np.iscomplexobj(vals):
        if np.max(np.abs(vals.imag)) > 1e-10 * (1 + np.max(np.abs(vals.real))):
            raise InvalidParameterError("eigenvalues", "complex data",
                                        "the eigenvalues of a self-adjoint matrix must be real")
        vals = vals.real
    if not np.all(np.isfinite(vals)):
        raise InvalidParameterError("eigenvalues", "non-finite data", "all values must be finite")
    if vals.dtype.kind in "iu":
        return Discrete([int(v) for v in vals])
    return Discrete([sp.Float(float(v), 17) for v in vals])


def arcsine(a: Any = -2, b: Any = 2) -> Arcsine:
    """Arcsine law on [a, b] (see :class:`Arcsine`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.arcsine(0, 2).mean()
    1
    """
    return Arcsine(a, b)


def uniform(a: Any = 0, b: Any = 1) -> Uniform:
    """Uniform law on [a, b] (see :class:`Uniform`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.uniform(-1, 1).var()
    1/3
    """
    return Uniform(a, b)


def free_meixner(mean: Any = 0, variance: Any = 1, a: Any = 0, b: Any = 1) -> FreeMeixner:
    """Law with the constant recursion formula (mean, variance; a, b) (see :class:`FreeMeixner`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_meixner(0, 1, 1, 2).moments(4)      # m_4 = 1 + b + a^2 (weighted Motzkin paths)
    [0, 1, 1, 4]
    """
    return FreeMeixner(mean, variance, a, b)


def free_binomial(n: Any, p: Any) -> FreeBinomial:
    """Free binomial law bernoulli(p)^{⊞n}, n > 1 (see :class:`FreeBinomial`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> [(e.location, e.kind) for e in fa.free_binomial(2, sp.Rational(1, 2)).edges()]
    [(0, 'hard'), (2, 'hard')]
    """
    return FreeBinomial(n, p)


def kesten_mckay(d: Any) -> KestenMcKay:
    """Kesten-McKay law of degree d > 1 (see :class:`KestenMcKay`).

    Examples
    --------
    >>> import freealg as fa
    >>> float(fa.kesten_mckay(3).density(0.0))     # 3 sqrt(8)/(2 pi 9)
    0.15005271935951767
    """
    return KestenMcKay(d)


def wachter(alpha: Any, beta: Any) -> Wachter:
    """Wachter law of p q p, free projections of traces alpha, beta (see :class:`Wachter`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> [e.location for e in fa.wachter(sp.Rational(1, 2), sp.Rational(1, 2)).edges()]
    [0, 1]
    """
    return Wachter(alpha, beta)


def free_additive(mu: Law, nu: Law) -> Law:
    """mu ⊞ nu, the law of a + b for free a ~ mu, b ~ nu.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_additive(fa.free_poisson(1), fa.free_poisson(2)).free_cumulants(2)
    [3, 3]
    """
    return FreeAdditive(mu, nu)


def free_multiplicative(mu: Law, nu: Law) -> Law:
    """mu ⊠ nu for laws on [0, inf): the law of a^{1/2} b a^{1/2}.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(sp.Rational(1, 2))).moments(2)
    [1/2, 3/4]
    """
    return FreeMultiplicative(mu, nu)


def free_power(mu: Law, t: Any) -> Law:
    """mu^{⊞t} for t >= 1.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_power(fa.semicircle(1), 3).var()
    3
    """
    return FreePower(mu, t)


def free_product(factors) -> Law:
    """mu_1^{⊠k_1} ⊠ ... ⊠ mu_J^{⊠k_J} from a list of laws or (law, multiplicity) pairs
    (see :class:`FreeProduct`).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_product([fa.free_poisson(1), fa.free_poisson(1), fa.free_poisson(1)]).moments(2)
    [1, 4]
    """
    return FreeProduct(factors)


def free_compression(mu: Law, t: Any, ambient: bool = False) -> Law:
    """Law of p a p, p a free projection of trace t (see :class:`FreeCompression`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_compression(fa.semicircle(1), sp.Rational(1, 4)).var()   # t * variance
    1/4
    """
    return FreeCompression(mu, t, ambient)


def affine(mu: Law, scale: Any = 1, shift: Any = 0) -> Law:
    """Law of scale * X + shift.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.affine(fa.bernoulli(sp.Rational(1, 2)), 2, -1).moments(2)   # symmetric +-1
    [0, 1]
    """
    return Affine(mu, scale, shift)


def mixture(laws: Sequence[Law], weights: Sequence) -> Law:
    """Classical mixture sum_i w_i mu_i.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.mixture([fa.dirac(0), fa.dirac(1)], [sp.Rational(1, 2), sp.Rational(1, 2)]).moments(2)
    [1/2, 1/2]
    """
    return Mixture(laws, weights)


def multiplicative_exponential(sigma2: Any) -> MultiplicativeExponential:
    """The law with S(m) = exp(-sigma2 m/(1+m)) (see :class:`MultiplicativeExponential`).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.multiplicative_exponential(sp.Rational(1, 2))
    >>> mu.s_transform()
    exp(-m/(2*(m + 1)))
    >>> mu.mean(), mu.var()                    # mean 1, variance sigma2
    (1, 1/2)

    Parameters
    ----------
    sigma2 : positive real number or symbol
        The parameter sigma^2 = m_2 - 1.
    """
    return MultiplicativeExponential(sigma2)


# the Law methods (mu.free_additive(nu), mu.affine(...)) call these through the registry
OPERATIONS.update(free_additive=free_additive, free_multiplicative=free_multiplicative,
                  affine=affine)
