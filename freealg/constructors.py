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

import numbers
from typing import Any, Sequence

import numpy as np
import sympy as sp

from .errors import InvalidParameterError
from .laws.base import OPERATIONS, Law, check
from .laws.catalog import (Arcsine, Bernoulli, Dirac, Discrete, FreePoisson, Semicircle,
                           Uniform)
from .laws.continuous import FromDensity, GaussianPushforward
from .laws.convolution import FreeAdditive, FreeMultiplicative, FreePower
from .laws.derived import (Affine, FreeCompression, FreeProduct, Mixture,
                           MultiplicativeExponential)
from .laws.families import FreeBinomial, FreeMeixner, KestenMcKay, Wachter
from .laws.independences import BooleanAdditive, BooleanPower, JacobiLaw, MonotoneAdditive
from .numeric.jacobi_law import check_jacobi, gauss_rule
from .numeric.fnlaw import canonical_function
from .numeric.params import parameter
from .numeric.pushforward import plan

__all__ = [
    "semicircle", "free_poisson", "marchenko_pastur", "bernoulli", "dirac", "discrete",
    "empirical", "arcsine", "uniform", "free_meixner", "free_binomial", "kesten_mckay",
    "wachter", "free_additive", "free_multiplicative", "free_power", "free_product",
    "free_compression", "affine", "mixture", "multiplicative_exponential",
    "boolean_additive", "monotone_additive", "boolean_power", "boolean_to_free", "from_jacobi",
    "from_density", "gaussian_pushforward",
]


def semicircle(variance: Any = 1, mean: Any = 0) -> Semicircle:
    r"""Wigner's semicircle law of the given variance and mean.

    The law of a (free) semicircular element s with tau(s) = mean and
    tau((s - mean)^2) = variance: the limit spectral law of a Wigner matrix (Wigner 1958) and the
    free central limit (Voiculescu 1986). Density sqrt(4 v - (x - m)^2)/(2 pi v) on
    [m - 2 sqrt(v), m + 2 sqrt(v)]; R-transform R(w) = m + v w, so the free cumulants are
    kappa_1 = m, kappa_2 = v and 0 beyond (Nica-Speicher, Lecture 11). Note the convention:
    the parameter is the *variance* v (radius 2 sqrt(v)), not the radius.

    Parameters
    ----------
    variance : number or sympy expression, optional
        The variance v > 0 (default 1: the standard semicircle on [-2, 2]). Exact values
        (int, sympy Rational, symbols) keep every result exact; a float stays a float.
    mean : number or sympy expression, optional
        The mean m, real (default 0).

    Returns
    -------
    Semicircle
        The law; ``moments``, ``density``, ``edges``, ``cauchy`` and the transforms are
        methods of it.

    Raises
    ------
    InvalidParameterError
        If variance <= 0, the mean is not real, a value is NaN or infinite, or a parameter is
        a string (strings are never parsed: pass ``sympy.Rational`` or ``sympy.Symbol``).

    See Also
    --------
    free_meixner : the constant-recursion family that contains the semicircle.
    freealg.semicircular : the generator of the non-commutative algebra.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.semicircle(2)                   # variance 2: support [-2 sqrt 2, 2 sqrt 2]
    >>> mu.moments(4)
    [0, 2, 0, 8]
    >>> [e.location for e in mu.edges()]
    [-2*sqrt(2), 2*sqrt(2)]
    >>> v = sp.Symbol("v", positive=True)
    >>> fa.semicircle(v, 1).r_transform()      # R(w) = m + v w
    v*w + 1
    >>> float(fa.semicircle(1).density(0.0))   # 1/pi
    0.3183098861837907
    """
    return Semicircle(variance, mean)


def free_poisson(rate: Any = 1, jump: Any = 1) -> FreePoisson:
    r"""Free Poisson law pi(rate, jump): free cumulants kappa_n = rate * jump^n.

    The free analogue of the compound Poisson law with rate lambda and jump size alpha
    (Nica-Speicher, Lecture 12): an atom of mass max(0, 1 - lambda) at 0 and a band
    [alpha (1 - sqrt(lambda))^2, alpha (1 + sqrt(lambda))^2]. With jump 1 it is the
    Marchenko-Pastur law of ratio 1/rate. Mind the convention: ``rate`` is lambda, the
    reciprocal of the aspect ratio p/n of :func:`marchenko_pastur`.

    Parameters
    ----------
    rate : number or sympy expression, optional
        lambda > 0 (default 1). For lambda < 1 the law has an atom 1 - lambda at 0.
    jump : number or sympy expression, optional
        alpha > 0, the jump size (default 1); for a negative jump use :func:`affine`.

    Returns
    -------
    FreePoisson
        The law.

    Raises
    ------
    InvalidParameterError
        If rate <= 0 or jump <= 0, a value is NaN, infinite or a string.

    See Also
    --------
    marchenko_pastur : the same law parametrised by the aspect ratio p/n.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_poisson(1).moments(4)          # Catalan numbers
    [1, 2, 5, 14]
    >>> fa.free_poisson(2, 3).free_cumulants(3)   # rate * jump^n
    [6, 18, 54]
    >>> fa.free_poisson(sp.Rational(1, 2)).atoms()
    [Atom(location=0, mass=1/2, error=0)]
    """
    return FreePoisson(rate, jump)


def marchenko_pastur(ratio: Any, variance: Any = 1) -> FreePoisson:
    r"""Marchenko-Pastur law of (variance/n) X X^T, X of size p x n with iid N(0, 1), ratio p/n.

    The limit (p, n -> infinity, p/n -> ratio) of the eigenvalue distribution of the p x p
    sample covariance matrix (Marchenko-Pastur 1967). It equals
    ``free_poisson(rate=1/ratio, jump=ratio*variance)`` (the convention of
    docs/conventions.md, "Laws"): mean ``variance``, variance ``ratio * variance**2``, an atom
    1 - 1/ratio at 0 when ratio > 1, and the band
    [variance (1 - sqrt(ratio))^2, variance (1 + sqrt(ratio))^2].

    Parameters
    ----------
    ratio : number or sympy expression
        The aspect ratio c = p/n > 0.
    variance : number or sympy expression, optional
        The variance s > 0 of the entries of X (default 1).

    Returns
    -------
    FreePoisson
        The law, as a free Poisson law (its repr shows rate and jump).

    Raises
    ------
    InvalidParameterError
        If ratio <= 0 or variance <= 0, or a value is NaN, infinite or a string.

    See Also
    --------
    free_poisson : the same law by rate and jump.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mp_ = fa.marchenko_pastur(sp.Rational(1, 2))
    >>> mp_.moments(2), [e.location for e in mp_.edges()]
    ([1, 3/2], [3/2 - sqrt(2), sqrt(2) + 3/2])
    >>> fa.marchenko_pastur(sp.Rational(1, 4), 2)
    free_poisson(rate=4, jump=1/2)
    """
    c, s = parameter("ratio", ratio), parameter("variance", variance)
    check("ratio", ratio, lambda: c > 0, "the aspect ratio p/n must be > 0")
    check("variance", variance, lambda: s > 0, "the variance must be > 0")
    return FreePoisson(1 / c, c * s)


def bernoulli(t: Any) -> Bernoulli:
    r"""The law (1 - t) delta_0 + t delta_1 of a projection of trace t.

    Parameters
    ----------
    t : number or sympy expression
        The trace tau(p) of the projection, 0 <= t <= 1.

    Returns
    -------
    Bernoulli
        A two-atom :class:`~freealg.laws.catalog.Discrete` law (one atom when t is 0 or 1).

    Raises
    ------
    InvalidParameterError
        If t lies outside [0, 1], is NaN, infinite or a string.

    See Also
    --------
    free_binomial : bernoulli(p)^{⊞n}.
    wachter : bernoulli(alpha) ⊠ bernoulli(beta).
    freealg.projection : the generator of the non-commutative algebra.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.bernoulli(sp.Rational(1, 3)).atoms()
    [Atom(location=0, mass=2/3, error=0), Atom(location=1, mass=1/3, error=0)]
    >>> fa.bernoulli(sp.Rational(1, 2)).s_transform()
    (z + 1)/(z + 1/2)
    """
    return Bernoulli(t)


def dirac(a: Any) -> Dirac:
    r"""The point mass delta_a: the law of the constant a (a scalar multiple of the unit).

    Parameters
    ----------
    a : number or sympy expression
        The location, real.

    Returns
    -------
    Dirac
        A one-atom :class:`~freealg.laws.catalog.Discrete` law.

    Raises
    ------
    InvalidParameterError
        If a is not real, is NaN, infinite or a string.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.dirac(2).atoms()
    [Atom(location=2, mass=1, error=0)]
    >>> fa.dirac(sp.pi).moments(2)
    [pi, pi**2]
    """
    return Dirac(a)


def discrete(points: Sequence, weights: Sequence | None = None) -> Discrete:
    r"""Finite atomic law sum_i w_i delta_{a_i}.

    Points that are equal as numbers (``1`` and ``1.0``) are merged into one atom carrying both
    weights; the atoms are sorted. Exact inputs stay exact; float data are kept as floats.

    Parameters
    ----------
    points : sequence of numbers
        The locations a_i, real, at least one.
    weights : sequence of numbers, optional
        The masses w_i >= 0, one per point, summing to 1 (exactly for rational weights, to
        1e-9 sqrt(n) for floats). Default: uniform weights 1/n.

    Returns
    -------
    Discrete
        The law.

    Raises
    ------
    InvalidParameterError
        If points is empty or not a sequence of numbers (nested lists, strings), a point is not
        real, a weight is negative, the numbers of points and weights differ, or the weights
        do not sum to 1.

    See Also
    --------
    empirical : the uniform law on the entries of a numpy array of eigenvalues.
    mixture : a mixture of arbitrary laws.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.discrete([1, 2]).moments(2)
    [3/2, 5/2]
    >>> mu = fa.discrete([0, 1, 3], [sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(1, 4)])
    >>> mu.moments(2)
    [1, 5/2]
    >>> fa.discrete([0, 1, 1])           # equal points merge
    discrete(points=[0, 1], weights=[1/3, 2/3])
    """
    return Discrete(points, weights)


def empirical(eigenvalues: Any) -> Discrete:
    r"""Empirical spectral law (1/N) sum_i delta_{lambda_i} of data, e.g. numpy eigenvalues.

    Repeated values become one atom with the summed mass. Integer data stay exact; float data
    are stored as 17-digit sympy Floats (every double is represented exactly).

    Parameters
    ----------
    eigenvalues : array_like
        A non-empty one-dimensional array (or list) of real, finite numbers. A complex array
        whose imaginary parts are within 1e-10 (relative) of 0 is accepted and its real part
        used (the output of ``numpy.linalg.eigvals`` for a symmetric matrix).

    Returns
    -------
    Discrete
        The law with N atoms (fewer when values repeat), each of mass 1/N.

    Raises
    ------
    InvalidParameterError
        If the data are empty or not one-dimensional, have genuinely complex entries, or
        contain NaN or infinite values.

    See Also
    --------
    discrete : atoms with given weights.
    freealg.montecarlo.compare : a Monte Carlo comparison with a law.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> mu = fa.empirical(np.array([0.5, 1.5, 1.5, 2.0]))
    >>> mu.atoms()[1]
    Atom(location=1.5000000000000000, mass=1/2, error=0)
    >>> fa.empirical([1, 2, 3]).moments(2)
    [2, 14/3]
    """
    vals = np.asarray(eigenvalues)
    if vals.ndim != 1 or vals.size == 0:
        raise InvalidParameterError("eigenvalues", getattr(vals, "shape", vals),
                                    "need a non-empty 1-d array of real eigenvalues")
    if vals.dtype.kind not in "iufc":
        raise InvalidParameterError("eigenvalues", f"an array of dtype {vals.dtype}",
                                    "need a non-empty 1-d array of real numbers")
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
    r"""Arcsine law on [a, b]: density 1/(pi sqrt((x - a)(b - x))).

    The default [-2, 2] is the law of u + u^* for a Haar unitary u, and of the sum of two free
    symmetric Bernoulli variables (the Kesten-McKay law of degree 2).

    Parameters
    ----------
    a, b : number or sympy expression, optional
        The ends of the support, real, a < b (default -2 and 2).

    Returns
    -------
    Arcsine
        The law (inverse-square-root, "hard", edges at a and b).

    Raises
    ------
    InvalidParameterError
        If b <= a, or a value is NaN, infinite or a string.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.arcsine().moments(4)           # central binomial coefficients binom(2k, k)
    [0, 2, 0, 6]
    >>> fa.arcsine(0, 2).mean()
    1
    """
    return Arcsine(a, b)


def uniform(a: Any = 0, b: Any = 1) -> Uniform:
    r"""Uniform law on [a, b]: density 1/(b - a).

    Parameters
    ----------
    a, b : number or sympy expression, optional
        The ends of the support, real, a < b (default 0 and 1).

    Returns
    -------
    Uniform
        The law.

    Raises
    ------
    InvalidParameterError
        If b <= a, or a value is NaN, infinite or a string.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.uniform().moments(2)            # E x^k = 1/(k + 1)
    [1/2, 1/3]
    >>> fa.uniform(-1, 1).var()
    1/3
    """
    return Uniform(a, b)


def free_meixner(mean: Any = 0, variance: Any = None, a: Any = 0, b: Any = 1, *,
                 c: Any = None) -> FreeMeixner:
    r"""Law with the constant recursion formula (mean, variance; a, b), or the free Meixner law
    (a, b, c).

    The law whose monic orthogonal polynomials satisfy
    x P_n = P_{n+1} + alpha_n P_n + omega_n P_{n-1} with alpha_0 = mean, omega_1 = variance,
    alpha_n = a (n >= 1) and omega_n = b (n >= 2). Its Cauchy transform is
    G(z) = 1/(z - mean - variance H(z)), H the Cauchy transform of the semicircle law of mean a
    and variance b (Saitoh-Yoshida 2001); up to an affine map these are the free Meixner laws
    (Anshelevich 2003; Bozejko-Bryc 2006): a band [a - 2 sqrt(b), a + 2 sqrt(b)] and at most
    two atoms. The family contains the semicircle (a = mean, b = variance), the free Poisson
    laws, the free binomial laws and the Kesten-McKay laws.

    With the keyword ``c`` (and no mean or variance) the law is the free Meixner law (a, b, c)
    of density c sqrt(4b - (x - a)^2)/(2 pi ((1 - c) x^2 + a c x + b c^2)) on the band, the
    parametrisation of Saitoh-Yoshida 2001 used by PyPI's ``freealg`` package: the recursion
    (mean, variance; a, b) = (0, b c; a, b) [derived: the density of G = 1/(z - b c H)]. For
    a^2 >= 4 (1 - c) b the denominator has real roots and the law has up to two atoms (at the
    roots x with b (x/(b c))^2 < 1, exact).

    Parameters
    ----------
    mean : number or sympy expression, optional
        alpha_0, the mean (real; default 0).
    variance : number or sympy expression, optional
        omega_1 > 0, the variance (default 1; b c when ``c`` is given).
    a : number or sympy expression, optional
        alpha_n for n >= 1, real (default 0): the centre of the band.
    b : number or sympy expression, optional
        omega_n for n >= 2, b > 0 (default 1): a quarter of the squared band width.
    c : number or sympy expression, optional (keyword only)
        c > 0: the free Meixner parametrisation (a, b, c) above; not together with mean or
        variance.

    Returns
    -------
    FreeMeixner
        The law.

    Raises
    ------
    InvalidParameterError
        If variance <= 0 or b <= 0 (b = 0 is a two-point law: use :func:`discrete`), mean or
        a is not real, or a value is NaN, infinite or a string.

    See Also
    --------
    free_binomial, kesten_mckay, wachter : named members of the family.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_meixner(0, 1, 1, 2).moments(4)      # m_4 = 1 + b + a^2 (weighted Motzkin paths)
    [0, 1, 1, 4]
    >>> fa.free_meixner(1, 1, 2, 1).moments(3)      # free Poisson pi(1): Catalan numbers
    [1, 2, 5]
    >>> mu = fa.free_meixner(a=3, b=1, c=2)         # a^2 > 4 (1 - c) b: an atom
    >>> mu.args, mu.atoms()
    ((0, 2, 3, 1), [Atom(location=3 - sqrt(13), mass=3*sqrt(13)/13, error=0)])
    """
    if c is None:
        return FreeMeixner(mean, 1 if variance is None else variance, a, b)
    if variance is not None or not (isinstance(mean, int) and mean == 0):
        raise InvalidParameterError("c", c, "give either (mean, variance, a, b) or the free "
                                    "Meixner parameters (a, b, c), not both")
    c_, b_ = parameter("c", c), parameter("b", b)
    check("c", c, lambda: c_ > 0, "the free Meixner parameter c must be > 0")
    return FreeMeixner(0, b_ * c_, a, b_)


def free_binomial(n: Any, p: Any) -> FreeBinomial:
    r"""Free binomial law bernoulli(p)^{⊞n}, n > 1.

    For an integer n, the law of a sum of n free projections of trace p. Atoms at 0 and n of
    masses max(0, 1 - n p) and max(0, 1 - n (1 - p)) (Bercovici-Voiculescu 1998 for free
    powers); S(z) = (n + z)/(n (n p + z)).

    Parameters
    ----------
    n : number or sympy expression
        The power, n > 1 (need not be an integer: mu^{⊞t} exists for every real t >= 1).
    p : number or sympy expression
        The trace of the projection, 0 < p < 1.

    Returns
    -------
    FreeBinomial
        The law (a constant-recursion law, see :func:`free_meixner`).

    Raises
    ------
    InvalidParameterError
        If n <= 1 (n = 1 is :func:`bernoulli`), p outside (0, 1), or a value is NaN, infinite
        or a string.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> [(e.location, e.kind) for e in fa.free_binomial(2, sp.Rational(1, 2)).edges()]
    [(0, 'hard'), (2, 'hard')]
    >>> fa.free_binomial(3, sp.Rational(1, 4)).atoms()   # mass 1 - 3/4 at 0
    [Atom(location=0, mass=1/4, error=0)]
    """
    return FreeBinomial(n, p)


def kesten_mckay(d: Any) -> KestenMcKay:
    r"""Kesten-McKay law of degree d > 1: the spectral law of the d-regular tree.

    The law of the adjacency operator of the infinite d-regular tree at a vertex (Kesten 1959;
    McKay 1981), i.e. b^{⊞d} for the symmetric Bernoulli law b = (delta_{-1} + delta_1)/2.
    Density d sqrt(4 (d - 1) - x^2)/(2 pi (d^2 - x^2)) on |x| <= 2 sqrt(d - 1); for 1 < d < 2
    atoms at -d and d of mass 1 - d/2 each.

    Parameters
    ----------
    d : number or sympy expression
        The degree, d > 1 (need not be an integer).

    Returns
    -------
    KestenMcKay
        The law (a constant-recursion law with (mean, variance, a, b) = (0, d, 0, d - 1)).

    Raises
    ------
    InvalidParameterError
        If d <= 1 (d = 1 is the symmetric Bernoulli law), or d is NaN, infinite or a string.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.kesten_mckay(3).moments(6)      # closed walks on the 3-regular tree
    [0, 3, 0, 15, 0, 87]
    >>> float(fa.kesten_mckay(3).density(0.0))     # 3 sqrt(8)/(2 pi 9)
    0.15005271935951767
    """
    return KestenMcKay(d)


def wachter(alpha: Any, beta: Any) -> Wachter:
    r"""Wachter law: the law of p q p for free projections p, q of traces alpha, beta.

    Equal to bernoulli(alpha) ⊠ bernoulli(beta) (Wachter 1980; Collins 2005): atoms
    max(1 - alpha, 1 - beta) at 0 and max(0, alpha + beta - 1) at 1, and the density
    sqrt((l+ - x)(x - l-))/(2 pi x (1 - x)) on [l-, l+],
    l+- = alpha + beta - 2 alpha beta +- sqrt(4 alpha beta (1 - alpha)(1 - beta)). The law is
    symmetric in alpha and beta (the parameters are stored sorted).

    Parameters
    ----------
    alpha, beta : number or sympy expression
        The traces of the two projections, each in (0, 1).

    Returns
    -------
    Wachter
        The law.

    Raises
    ------
    InvalidParameterError
        If alpha or beta lies outside (0, 1) (for 0 or 1 use :func:`bernoulli`), or is NaN,
        infinite or a string.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> [e.location for e in fa.wachter(sp.Rational(1, 2), sp.Rational(1, 2)).edges()]
    [0, 1]
    >>> fa.wachter(sp.Rational(1, 2), sp.Rational(1, 3)).atoms()
    [Atom(location=0, mass=2/3, error=0)]
    """
    return Wachter(alpha, beta)


def _law(name: str, value: Any) -> Law:
    if not isinstance(value, Law):
        raise InvalidParameterError(name, value, "must be a freealg Law (e.g. fa.semicircle(1))")
    return value


def free_additive(mu: Law, nu: Law) -> Law:
    r"""Free additive convolution mu ⊞ nu: the law of a + b for free a ~ mu, b ~ nu.

    R-transforms (equivalently free cumulants) add, R_{mu⊞nu} = R_mu + R_nu (Voiculescu 1986).
    For large N it is the eigenvalue law of A + U B U^* with A, B deterministic of limit laws
    mu, nu and U Haar unitary. Atoms follow Bercovici-Voiculescu (1998): mu⊞nu has an atom at
    a + b exactly when mu({a}) + nu({b}) > 1, of mass mu({a}) + nu({b}) - 1. Numerics use the
    subordination equations; a closed form is used when one is known (``law.simplify()``).

    Parameters
    ----------
    mu, nu : Law
        The two laws (any laws, bounded or not, atoms allowed).

    Returns
    -------
    Law
        A :class:`~freealg.laws.convolution.FreeAdditive` law.

    Raises
    ------
    InvalidParameterError
        If mu or nu is not a freealg Law.

    See Also
    --------
    free_power : mu^{⊞t}, the free additive power.
    freealg.laws.base.Law.boxplus : the same as a method, ``mu.boxplus(nu)``.

    Examples
    --------
    >>> import freealg as fa
    >>> rho = fa.free_additive(fa.free_poisson(1), fa.free_poisson(2))
    >>> rho.free_cumulants(2)                # free cumulants add
    [3, 3]
    >>> fa.free_additive(fa.semicircle(1), fa.semicircle(2)).simplify()
    semicircle(variance=3, mean=0)
    """
    return FreeAdditive(mu, nu)


def free_multiplicative(mu: Law, nu: Law) -> Law:
    r"""Free multiplicative convolution mu ⊠ nu for laws on [0, inf): the law of a^{1/2} b a^{1/2}.

    S-transforms multiply, S_{mu⊠nu} = S_mu S_nu (Voiculescu 1987); the moments are those of
    the product ab of free a ~ mu, b ~ nu (tau is a trace). For large N it is the eigenvalue
    law of A^{1/2} U B U^* A^{1/2}. Atoms follow Belinschi (2003).

    Parameters
    ----------
    mu, nu : Law
        Laws supported on [0, inf), neither equal to delta_0 (whose S-transform does not
        exist). Positivity is checked where it can be decided.

    Returns
    -------
    Law
        A :class:`~freealg.laws.convolution.FreeMultiplicative` law.

    Raises
    ------
    InvalidParameterError
        If mu or nu is not a Law, has mass below 0, or is delta_0.

    See Also
    --------
    free_product : the product of many factors and powers in one system.
    freealg.laws.base.Law.boxtimes : the same as a method, ``mu.boxtimes(nu)``.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(sp.Rational(1, 2))).moments(2)
    [1/2, 3/4]
    >>> fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1)).moments(3)   # Fuss-Catalan
    [1, 3, 12]
    """
    return FreeMultiplicative(mu, nu)


def free_power(mu: Law, t: Any) -> Law:
    r"""Free additive power mu^{⊞t} for real t >= 1: the R-transform multiplied by t.

    For an integer t, the law of a sum of t free copies of a ~ mu; for real t >= 1 it exists
    for every mu (Nica-Speicher 1996). Atoms: mu^{⊞t}({t a}) = t mu({a}) - (t - 1) when
    positive (Bercovici-Voiculescu 1998). For 0 < t < 1 use :func:`free_compression`.

    Parameters
    ----------
    mu : Law
        Any law.
    t : number or sympy expression
        The power, t >= 1.

    Returns
    -------
    Law
        A :class:`~freealg.laws.convolution.FreePower` law.

    Raises
    ------
    InvalidParameterError
        If mu is not a Law, t < 1, or t is NaN, infinite or a string.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_power(fa.semicircle(1), 3).var()
    3
    >>> fa.free_power(fa.free_poisson(1), 2).free_cumulants(3)     # t kappa_n
    [2, 2, 2]
    """
    return FreePower(_law("mu", mu), t)


def free_product(factors: Sequence) -> Law:
    r"""Free multiplicative convolution of many laws, mu_1^{⊠k_1} ⊠ ... ⊠ mu_J^{⊠k_J}.

    S = prod_j S_j^{k_j} (Voiculescu 1987). The numerical system has one unknown per
    *distinct* factor, so the cost does not grow with the multiplicities: the spectrum of a
    depth-L network Jacobian J J^T is one small system for every L. Equal factors are merged.

    Parameters
    ----------
    factors : sequence of Law or (Law, int) pairs
        The factors, each a law on [0, inf) (not delta_0), optionally with a multiplicity
        k >= 1 (an integer). At least one factor.

    Returns
    -------
    Law
        A :class:`~freealg.laws.derived.FreeProduct` law.

    Raises
    ------
    InvalidParameterError
        If factors is empty or not a sequence, an item is neither a law nor a (law, k) pair, a
        multiplicity is not an integer >= 1, or a factor has mass below 0 or is delta_0.

    See Also
    --------
    free_multiplicative : two factors.
    multiplicative_exponential : the limit of many factors close to delta_1.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_product([fa.free_poisson(1), fa.free_poisson(1), fa.free_poisson(1)]).moments(2)
    [1, 4]
    >>> fa.free_product([(fa.free_poisson(1), 3)]).moments(2)   # the same, as (law, k)
    [1, 4]
    """
    if isinstance(factors, (str, bytes, Law)) or not hasattr(factors, "__iter__"):
        raise InvalidParameterError("factors", factors, "must be a list of laws or of "
                                                        "(law, multiplicity) pairs")
    items = []
    for item in factors:
        if isinstance(item, Law):
            items.append((item, 1))
            continue
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise InvalidParameterError("factors", item, "each factor must be a law or a "
                                                         "(law, multiplicity) pair")
        law, k = item
        if (isinstance(k, bool) or not isinstance(k, (numbers.Integral, sp.Integer))
                or int(k) < 1):
            raise InvalidParameterError("factors", item, "a multiplicity must be an integer "
                                                         ">= 1")
        items.append((_law("factors", law), int(k)))
    return FreeProduct(items)


def free_compression(mu: Law, t: Any, ambient: bool = False) -> Law:
    r"""Law of p a p for a projection p of trace t free from a ~ mu.

    In the compressed space (pAp, tau/t) the law is D_t(mu^{⊞1/t}), the dilation by t of the
    free power 1/t (Nica-Speicher 1996); for large N it is the eigenvalue law of the top-left
    tN x tN corner of U A U^*. With ``ambient=True`` it is the law in (A, tau),
    (1 - t) delta_0 + t D_t(mu^{⊞1/t}).

    Parameters
    ----------
    mu : Law
        Any law.
    t : number or sympy expression
        The trace of the projection, 0 < t <= 1 (t = 1 returns a law equal to mu).
    ambient : bool, optional
        False (default): the law in the compressed space, normalised by tau/t. True: the law
        in the ambient space, with the atom 1 - t at 0.

    Returns
    -------
    Law
        A :class:`~freealg.laws.derived.FreeCompression` law.

    Raises
    ------
    InvalidParameterError
        If mu is not a Law, t lies outside (0, 1], or ambient is not a bool.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_compression(fa.semicircle(1), sp.Rational(1, 4)).var()   # t * variance
    1/4
    >>> q = fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), sp.Rational(1, 2), ambient=True)
    >>> q.atoms()[0]
    Atom(location=0, mass=2/3, error=0)
    """
    if not isinstance(ambient, (bool, np.bool_)):
        raise InvalidParameterError("ambient", ambient, "must be True or False")
    return FreeCompression(_law("mu", mu), t, bool(ambient))


def affine(mu: Law, scale: Any = 1, shift: Any = 0) -> Law:
    r"""Law of scale * X + shift for X ~ mu.

    Parameters
    ----------
    mu : Law
        Any law.
    scale : number or sympy expression, optional
        A real, nonzero factor (default 1). A negative scale is supported for laws without
        unknowns of their own (closed forms, data) and for ⊞, free powers, affine maps,
        mixtures and compressions of such laws, not for ⊠ products.
    shift : number or sympy expression, optional
        A real shift (default 0).

    Returns
    -------
    Law
        An :class:`~freealg.laws.derived.Affine` law.

    Raises
    ------
    InvalidParameterError
        If mu is not a Law, scale is 0 or not real, shift is not real, a value is NaN, infinite
        or a string, or the scale is negative and mu has no reflection rule.

    See Also
    --------
    freealg.laws.base.Law.affine : the same as a method, ``mu.affine(scale, shift)``.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.affine(fa.bernoulli(sp.Rational(1, 2)), 2, -1).moments(2)   # symmetric +-1
    [0, 1]
    >>> fa.affine(fa.semicircle(1), 2, 1).moments(2)                 # mean 1, variance 4
    [1, 5]
    """
    return Affine(mu, scale, shift)


def mixture(laws: Sequence[Law], weights: Sequence) -> Law:
    r"""Classical mixture sum_i w_i mu_i (a convex combination, not a free operation).

    It is the law of a block-diagonal element whose blocks, of relative sizes w_i, have the
    laws mu_i.

    Parameters
    ----------
    laws : sequence of Law
        The laws, at least one.
    weights : sequence of numbers
        One weight w_i >= 0 per law, summing to 1 (to 1e-12 for floats).

    Returns
    -------
    Law
        A :class:`~freealg.laws.derived.Mixture` law.

    Raises
    ------
    InvalidParameterError
        If an item of laws is not a Law, laws is empty, the numbers of laws and weights
        differ, a weight is negative, NaN or a string, or the weights do not sum to 1.

    See Also
    --------
    discrete : a mixture of point masses.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.mixture([fa.dirac(0), fa.dirac(1)], [sp.Rational(1, 2), sp.Rational(1, 2)]).moments(2)
    [1/2, 1/2]
    >>> half = sp.Rational(1, 2)
    >>> fa.mixture([fa.semicircle(1), fa.dirac(3)], [half, half]).atoms()
    [Atom(location=3, mass=1/2, error=0)]
    """
    if isinstance(laws, (str, bytes, Law)) or not hasattr(laws, "__iter__"):
        raise InvalidParameterError("laws", laws, "must be a list of laws")
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
        raise InvalidParameterError("weights", weights, "must be a list of numbers")
    return Mixture([_law("laws", law) for law in laws], weights)


def multiplicative_exponential(sigma2: Any) -> MultiplicativeExponential:
    r"""The law on (0, inf) with S-transform S(m) = exp(-sigma2 m/(1 + m)): mean 1, variance sigma2.

    The limit of mu_L^{⊠L} when each factor tends to delta_1 like a projection of trace
    1 - sigma2/L rescaled to mean 1: the L -> infinity law of the Jacobian spectrum J J^T of
    deep hard-tanh networks near dynamical isometry (Pennington-Schoenholz-Ganguli 2018). It is
    free multiplicatively infinitely divisible. For sigma2 < 1 it has an atom of mass
    1 - sigma2 at e^{sigma2}.

    Parameters
    ----------
    sigma2 : number or sympy expression
        sigma^2 = m_2 - 1 > 0, real.

    Returns
    -------
    MultiplicativeExponential
        The law.

    Raises
    ------
    InvalidParameterError
        If sigma2 <= 0 (sigma2 = 0 is delta_1), is not real, or is NaN, infinite or a string.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mu = fa.multiplicative_exponential(sp.Rational(1, 2))
    >>> mu.s_transform()
    exp(-m/(2*(m + 1)))
    >>> mu.mean(), mu.var()                    # mean 1, variance sigma2
    (1, 1/2)
    >>> mu.atoms()                             # mass 1 - sigma2 at e^{sigma2}
    [Atom(location=exp(1/2), mass=1/2, error=0)]
    """
    return MultiplicativeExponential(sigma2)


# Boolean and monotone convolutions, Bercovici-Pata, Jacobi parameters (freealg.laws.independences)


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
    if not isinstance(mu, Law):
        raise InvalidParameterError("mu", mu, "must be a freealg Law")
    return BooleanPower(FreeAdditive(mu, mu), sp.Rational(1, 2))


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
    al, bt = check_jacobi(alphas, betas, tail)
    if tail == "finite":
        pts, ws = zip(*gauss_rule(al, bt))
        return Discrete(pts, ws)
    if len(al) <= 2 and len(bt) <= 2:
        al2, bt2 = (al + al[-1:])[:2], (bt + bt[-1:])[:2]
        return FreeMeixner(al2[0], bt2[0], al2[1], bt2[1])
    return JacobiLaw(al, bt)


def from_density(pdf: Any, a: Any, b: Any, breakpoints: Sequence = ()) -> FromDensity:
    """Absolutely continuous law on [a, b] from its density (see :class:`FromDensity`).

    The density is checked to be >= 0 and to integrate to 1 (exactly when sympy can do the
    integral, else numerically to 1e-8 relative). Moments are exact integrals where possible.

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> x = sp.Symbol("x")
    >>> sc = fa.from_density(sp.sqrt(4 - x**2) / (2 * sp.pi), -2, 2)
    >>> sc.moments(6)                       # Catalan numbers
    [0, 1, 0, 2, 0, 5]
    >>> [e.kind for e in sc.edges()]
    ['soft', 'soft']
    >>> abs(sc.cauchy(1j, dps=25) - fa.semicircle(1).cauchy(1j, dps=25)) < 1e-24
    True
    >>> u = fa.from_density(lambda t: np.full_like(t, 0.25), 0, 4)     # callable: uniform
    >>> round(float(u.moments(2)[1]), 12)
    5.333333333333
    >>> fa.from_density(x, 0, 1)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid pdf=x: the density must integrate to 1 ...
    (it integrates to 0.5)

    Parameters
    ----------
    pdf : sympy expression in one symbol, sympy Lambda, or callable
        The density (a callable may be numpy-vectorised or scalar; strings are refused).
    a, b : number or sympy expression
        The support interval, real and finite, b > a.
    breakpoints : sequence of numbers, optional
        Interior points of (a, b) where the pdf is not smooth (see :class:`FromDensity`).

    Returns
    -------
    FromDensity

    Raises
    ------
    InvalidParameterError
        b <= a, an infinite end, a breakpoint outside (a, b), a string or multi-symbol pdf, a
        negative pdf, or one that does not integrate to 1.
    """
    return FromDensity(pdf, a, b, breakpoints)


def gaussian_pushforward(f: Any, variance: Any) -> Law:
    """The law of f(h) for h ~ N(0, variance): atoms where f is flat, a density elsewhere.

    This is the law of the diagonal activation-derivative matrices D = diag(phi'(h)) of deep
    networks (Pennington-Schoenholz-Ganguli 2017): ReLU' gives bernoulli(1/2),
    hard-tanh' gives ``bernoulli(P(|h| < 1)) = bernoulli(erf(1/sqrt(2 q)))``, a smooth activation
    gives a density.

    Atoms are the values f takes on sets of positive Gaussian measure. For a symbolic f they
    are found exactly from its Piecewise/Heaviside/Min/Max/Abs structure (masses are exact erf
    expressions, symbolic variance allowed). For a callable they are detected heuristically:
    runs of >= 3 exactly equal values on a grid of 40001 points of [-9 sqrt q, 9 sqrt q],
    boundaries refined by bisection, masses >= 1e-12 (a function that merely rounds to a
    constant, e.g. ``1 - np.tanh(h)**2`` for ``|h| > 19``, can produce a spurious tiny atom; pass a
    sympy expression for exact results).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> h, q = sp.Symbol("h"), sp.Symbol("q", positive=True)
    >>> fa.gaussian_pushforward(sp.Heaviside(h), 1)                  # ReLU'
    bernoulli(t=1/2)
    >>> fa.gaussian_pushforward(sp.Piecewise((1, abs(h) < 1), (0, True)), q)   # hard-tanh'
    bernoulli(t=erf(sqrt(2)/(2*sqrt(q))))
    >>> mu = fa.gaussian_pushforward(1 - sp.tanh(h)**2, 1)           # tanh': a density on [0, 1]
    >>> type(mu).__name__, [e.kind for e in mu.edges()]
    ('GaussianPushforward', ['soft', 'hard'])
    >>> ht = fa.gaussian_pushforward(sp.Max(-1, sp.Min(1, h)), 1)    # hard-tanh: atoms at +-1
    >>> [(a.location, a.mass) for a in ht.atoms()]
    [(-1, 1/2 - erf(sqrt(2)/2)/2), (1, 1/2 - erf(sqrt(2)/2)/2)]
    >>> ht.moments(2)[1] == 1 - sp.sqrt(2) * sp.exp(-sp.S(1)/2) / sp.sqrt(sp.pi)
    True

    Parameters
    ----------
    f : sympy expression in one symbol, sympy Lambda, or callable
        A bounded real function.
    variance : positive number or symbol
        The variance q of h.

    Returns
    -------
    Law
        :class:`~freealg.laws.catalog.Bernoulli` (atoms within {0, 1}),
        :class:`~freealg.laws.catalog.Dirac` (one atom), :class:`~freealg.laws.catalog.Discrete`,
        :class:`GaussianPushforward` (no atoms) or a
        :class:`~freealg.laws.derived.Mixture` of Diracs and the continuous part.

    Raises
    ------
    InvalidParameterError
        variance <= 0, or f unbounded.
    UndeterminedError
        a callable f with a symbolic variance.
    """

    kind, fobj = canonical_function(f, "f")
    q = parameter("variance", variance)
    check("variance", variance, sp.Eq(sp.im(q), 0), "the variance must be real")
    check("variance", variance, q > 0, "the variance of h must be > 0")
    pl = plan(fobj, q)
    atoms = list(pl.atoms)
    if not pl.pieces:
        locs = [loc for loc, _ in atoms]
        if all(loc in (sp.S.Zero, sp.S.One) for loc in locs):
            t = sum((m for loc, m in atoms if loc == sp.S.One), sp.S.Zero)
            return Bernoulli(t)
        if len(atoms) == 1:
            return Dirac(atoms[0][0])
        return Discrete([loc for loc, _ in atoms], [m for _, m in atoms])
    cont = GaussianPushforward(fobj, q)
    if not atoms:
        return cont
    return Mixture([Dirac(loc) for loc, _ in atoms] + [cont], [m for _, m in atoms] + [pl.wc])


# the Law methods (mu.free_additive(nu), mu.affine(...)) call these through the registry
OPERATIONS.update(free_additive=free_additive, free_multiplicative=free_multiplicative,
                  affine=affine)
