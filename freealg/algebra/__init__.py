"""Noncommutative polynomials in free generators, and their exact traces."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ..laws.base import Law, check
from ..numeric.params import parameter
from .generators import Generator, Letter
from .ncpoly import NCPoly
from .shapes import dimension, shape_pair
from .trace import trace

__all__ = ["Generator", "Letter", "NCPoly", "trace", "semicircular", "circular", "haar_unitary",
           "haar_orthogonal", "projection", "selfadjoint", "activation", "commuting",
           "gaussian"]


def semicircular(name: str, variance: Any = 1) -> NCPoly:
    """A semicircular generator of the given variance (a GUE/GOE matrix of size N -> inf).

    Examples
    --------
    >>> import freealg as fa
    >>> x = fa.semicircular("x", 2)
    >>> fa.trace(x**4)                    # 2 v^2
    8

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    variance : number or sympy expression, optional
        tau(x^2) > 0 (default 1); the matrix entries have variance ``variance/N``.

    Returns
    -------
    NCPoly
        The single-letter polynomial ``x`` (shape (1, 1)).

    Raises
    ------
    InvalidParameterError
        The variance is surely <= 0, or not a number/expression.
    """
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the variance of a semicircular must be > 0")
    return NCPoly.from_generator(Generator(name, "semicircular", (v,)))


def circular(name: str, variance: Any = 1) -> NCPoly:
    """A circular generator (Ginibre matrix): tau(c c*) = variance, not normal.

    The same generator as ``fa.gaussian(name, (1, 1), variance, field="complex")``.

    Examples
    --------
    >>> import freealg as fa
    >>> c = fa.circular("c")
    >>> fa.trace((c*c.H)**2)              # Catalan: 2
    2
    >>> c == fa.gaussian("c", field="complex")
    True

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    variance : number or sympy expression, optional
        tau(c c*) > 0 (default 1); the complex entries have variance ``variance/N``.

    Returns
    -------
    NCPoly
        The single-letter polynomial ``c`` (shape (1, 1)).

    Raises
    ------
    InvalidParameterError
        The variance is surely <= 0, or not a number/expression.
    """
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the variance of a circular must be > 0")
    return NCPoly.from_generator(Generator(name, "circular", (v,)))


def gaussian(name: str, shape: Any = (1, 1), variance: Any = 1, field: str = "real") -> NCPoly:
    """A rectangular Gaussian matrix of size (pN) x (qN) with iid entries of variance
    ``variance/N``.

    ``shape = (p, q)`` holds positive rationals in units of the reference dimension N. In the
    free limit (N -> inf) X X^T, of shape (p, p), is free Poisson with rate q/p and jump
    ``variance * p`` on its own block (Marchenko-Pastur 1967); see :doc:`/rectangular`. The real
    and complex fields have the same limit; ``field`` matters for :func:`freealg.sample`. Shape
    (1, 1) with the complex field is :func:`circular`.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> X.shape, fa.trace(X * X.H), fa.trace(X.H * X)     # q v and p v
    ((1, 2), 2, 1)
    >>> fa.spectrum(X.H * X).atoms()                        # rank N of 2N: mass 1 - 1/2
    [Atom(location=0, mass=1/2, error=0)]

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    shape : pair of positive rationals, optional
        (rows, columns) in units of N (default (1, 1)): ints, sympy Rationals, fractions,
        exact strings such as ``"3/2"``.
    variance : number or sympy expression, optional
        N times the variance of one entry (default 1).
    field : {"real", "complex"}, optional
        Real (default) or complex entries.

    Returns
    -------
    NCPoly
        The single-letter polynomial ``X`` of the given shape.

    Raises
    ------
    InvalidParameterError
        A shape entry that is not a positive rational, a variance surely <= 0, or an unknown
        field.
    """
    dims = shape_pair("shape", shape)
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the variance of a Gaussian matrix must be > 0")
    if field not in ("real", "complex"):
        raise InvalidParameterError("field", field, "choose 'real' or 'complex'")
    params = (v,) if field == "complex" else (v, "real")
    return NCPoly.from_generator(Generator(name, "circular", params, shape=dims))


def haar_unitary(name: str, shape: Any = (1, 1)) -> NCPoly:
    """A Haar unitary: ``u u* = u* u = 1``, tau(u^k) = 0 for k != 0; with a rectangular
    ``shape`` a Haar isometry (a (pN) x (qN) truncation of a Haar unitary of the larger size).

    A (p, q) isometry has ``u* u = 1`` when q <= p and ``u u* = 1`` when p <= q.

    Examples
    --------
    >>> import freealg as fa
    >>> u = fa.haar_unitary("u")
    >>> fa.trace(u * u), fa.trace(u * u.H)
    (0, 1)
    >>> V = fa.haar_unitary("V", shape=(2, 1))
    >>> V.H * V, fa.spectrum(V * V.H).atoms()      # V V* is a projection of trace 1/2
    (1, [Atom(location=0, mass=1/2, error=0), Atom(location=1, mass=1/2, error=0)])

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    shape : pair of positive rationals, optional
        (rows, columns) in units of N (default (1, 1), a square Haar unitary).

    Returns
    -------
    NCPoly
        The single-letter polynomial ``u``.

    Raises
    ------
    InvalidParameterError
        A shape entry that is not a positive rational.
    """
    return NCPoly.from_generator(Generator(name, "haar_unitary",
                                           shape=shape_pair("shape", shape)))


def haar_orthogonal(name: str, shape: Any = (1, 1)) -> NCPoly:
    """A Haar orthogonal matrix (``o* = o^T``); in the large-N limit its ``*``-distribution is a
    Haar unitary's. A rectangular ``shape`` gives a real Haar isometry.

    Examples
    --------
    >>> import freealg as fa
    >>> o = fa.haar_orthogonal("o")
    >>> o * o.H
    1
    >>> W = fa.haar_orthogonal("W", shape=(1, 3))
    >>> W * W.H, fa.spectrum(W.H * W).atoms()[0]
    (1, Atom(location=0, mass=2/3, error=0))

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    shape : pair of positive rationals, optional
        (rows, columns) in units of N (default (1, 1)).

    Returns
    -------
    NCPoly
        The single-letter polynomial ``o``.

    Raises
    ------
    InvalidParameterError
        A shape entry that is not a positive rational.
    """
    return NCPoly.from_generator(Generator(name, "haar_orthogonal",
                                           shape=shape_pair("shape", shape)))


def projection(name: str, t: Any, dim: Any = 1) -> NCPoly:
    """A projection of trace t (law bernoulli(t)); t may be symbolic.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> p = fa.projection("p", sp.Rational(1, 3))
    >>> p * p == p, fa.trace(p)
    (True, 1/3)
    >>> fa.projection("q", sp.Rational(1, 2), dim=2).shape
    (2, 2)

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    t : number or sympy expression
        The normalised trace (rank / size), in [0, 1].
    dim : positive rational, optional
        The size in units of N (default 1): a (dim N) x (dim N) matrix.

    Returns
    -------
    NCPoly
        The single-letter polynomial ``p`` of shape (dim, dim).

    Raises
    ------
    InvalidParameterError
        t surely outside [0, 1], or dim not a positive rational.
    """
    t = parameter("t", t)
    check("t", t, lambda: sp.And(t >= 0, t <= 1), "the trace of a projection must lie in [0, 1]")
    d = dimension("dim", dim)
    return NCPoly.from_generator(Generator(name, "projection", (t,), shape=(d, d)))


def selfadjoint(name: str, law: Law, dim: Any = 1) -> NCPoly:
    """A self-adjoint (deterministic or diagonal) matrix with spectral law ``law``.

    Examples
    --------
    >>> import freealg as fa
    >>> a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    >>> fa.trace(a**2)
    5/3
    >>> fa.selfadjoint("A", fa.discrete([1, 2]), dim=3).shape
    (3, 3)

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    law : Law
        Its spectral law, normalised on its own dimension.
    dim : positive rational, optional
        The size in units of N (default 1).

    Returns
    -------
    NCPoly
        The single-letter polynomial ``a`` of shape (dim, dim).

    Raises
    ------
    InvalidParameterError
        ``law`` is not a freealg Law, or dim not a positive rational.
    """
    if not isinstance(law, Law):
        raise InvalidParameterError("law", law, "must be a freealg Law (e.g. fa.discrete(...))")
    d = dimension("dim", dim)
    return NCPoly.from_generator(Generator(name, "selfadjoint", (law,), shape=(d, d)))


def activation(name: str, phi: Any, variance: Any, dim: Any = 1) -> NCPoly:
    """Diagonal activation-derivative matrix diag(phi'(h)), h ~ N(0, variance).

    ``phi`` is a sympy expression/Lambda of one variable (its derivative is taken
    symbolically) or a callable *derivative* phi'. The law is
    ``gaussian_pushforward(phi', variance)``.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> h = sp.Symbol("h")
    >>> d = fa.activation("d", sp.Max(h, 0), 1)        # ReLU: phi' in {0, 1}, each w.p. 1/2
    >>> fa.trace(d**2)
    1/2

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    phi : sympy expression or Lambda, or callable
        The activation (differentiated symbolically), or a callable giving its derivative.
    variance : number or sympy expression
        The variance of the pre-activations h (> 0).
    dim : positive rational, optional
        The layer width in units of N (default 1).

    Returns
    -------
    NCPoly
        The single-letter polynomial ``d`` of shape (dim, dim).

    Raises
    ------
    InvalidParameterError
        A variance surely <= 0, a sympy ``phi`` without exactly one variable, a ``phi`` that is
        neither sympy nor callable, or dim not a positive rational.
    """
    from ..laws import gaussian_pushforward

    d = dimension("dim", dim)
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the pre-activation variance must be > 0")
    if isinstance(phi, sp.Lambda):
        var = phi.variables[0]
        dphi = sp.Lambda(var, sp.diff(phi.expr, var))
    elif isinstance(phi, sp.Expr):
        syms = sorted(phi.free_symbols, key=str)
        if len(syms) != 1:
            raise InvalidParameterError("phi", phi, "a sympy activation needs exactly one variable")
        dphi = sp.Lambda(syms[0], sp.diff(phi, syms[0]))
    elif callable(phi):
        dphi = phi
    else:
        raise InvalidParameterError("phi", phi, "give a sympy expression or a callable phi'")
    law = gaussian_pushforward(dphi, v)
    # (law, phi', variance): powers D^k are the pushforwards of (phi')^k (compiler rule 4)
    return NCPoly.from_generator(Generator(name, "activation", (law, dphi, v), shape=(d, d)))


def commuting(*gens: NCPoly) -> tuple:
    """Declare a classically commuting family (e.g. the diagonal activation matrices of
    different layers, with independent entries); returns the tagged generators.

    Distinct generators are otherwise free. Use the returned generators::

        d1, d2 = fa.commuting(d1, d2)

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> a, b = fa.commuting(fa.selfadjoint("a", fa.bernoulli(sp.Rational(1, 2))),
    ...                     fa.selfadjoint("b", fa.bernoulli(sp.Rational(1, 2))))
    >>> fa.trace(a*b*a*b)                  # classical: E[a^2] E[b^2] = 1/4 (free: 3/16)
    1/4

    Parameters
    ----------
    *gens : NCPoly
        Self-adjoint diagonal generators (selfadjoint, activation, projection) of one shape.

    Returns
    -------
    tuple of NCPoly
        The same generators, tagged with their family.

    Raises
    ------
    InvalidParameterError
        An argument that is not such a generator, or generators of different shapes.
    """
    out = []
    gs = []
    for g in gens:
        if not isinstance(g, NCPoly) or not g.is_generator:
            raise InvalidParameterError("gens", g, "commuting() takes generators")
        gen = g.generator
        if not gen.is_selfadjoint or gen.kind == "semicircular":
            raise InvalidParameterError("gens", g, "commuting families are self-adjoint "
                                                   "diagonal generators (selfadjoint, activation, "
                                                   "projection)")
        gs.append(gen)
    if len({gen.shape for gen in gs}) > 1:
        raise InvalidParameterError("gens", gens, "a commuting family lives on one block: its "
                                    "generators need equal shapes")
    tag = "{" + ",".join(sorted(g.name for g in gs)) + "}"
    for gen in gs:
        out.append(NCPoly.from_generator(Generator(gen.name, gen.kind, gen.params, tag,
                                                   gen.shape)))
    return tuple(out)
