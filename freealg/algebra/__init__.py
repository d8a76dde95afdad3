"""Noncommutative polynomials in free generators, and their exact traces."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ..laws.base import Law, check
from ..numeric.params import parameter
from .generators import Generator, Letter
from .ncpoly import NCPoly
from .trace import trace

__all__ = ["Generator", "Letter", "NCPoly", "trace", "semicircular", "circular", "haar_unitary",
           "haar_orthogonal", "projection", "selfadjoint", "activation", "commuting"]


def semicircular(name: str, variance: Any = 1) -> NCPoly:
    """A semicircular generator of the given variance (a GUE/GOE matrix of size N -> inf).

    Examples
    --------
    >>> import freealg as fa
    >>> x = fa.semicircular("x", 2)
    >>> fa.trace(x**4)                    # 2 v^2
    8
    """
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the variance of a semicircular must be > 0")
    return NCPoly.from_generator(Generator(name, "semicircular", (v,)))


def circular(name: str, variance: Any = 1) -> NCPoly:
    """A circular generator (Ginibre matrix): tau(c c*) = variance, not normal.

    Examples
    --------
    >>> import freealg as fa
    >>> c = fa.circular("c")
    >>> fa.trace((c*c.H)**2)              # Catalan: 2
    2
    """
    v = parameter("variance", variance)
    check("variance", variance, lambda: v > 0, "the variance of a circular must be > 0")
    return NCPoly.from_generator(Generator(name, "circular", (v,)))


def haar_unitary(name: str) -> NCPoly:
    """A Haar unitary: ``u u* = u* u = 1``, tau(u^k) = 0 for k != 0.

    Examples
    --------
    >>> import freealg as fa
    >>> u = fa.haar_unitary("u")
    >>> fa.trace(u * u), fa.trace(u * u.H)
    (0, 1)
    """
    return NCPoly.from_generator(Generator(name, "haar_unitary"))


def haar_orthogonal(name: str) -> NCPoly:
    """A Haar orthogonal matrix; in the large-N limit its ``*``-distribution is a Haar unitary's
    (``o* = o^T``).

    Examples
    --------
    >>> import freealg as fa
    >>> o = fa.haar_orthogonal("o")
    >>> o * o.H
    1
    """
    return NCPoly.from_generator(Generator(name, "haar_orthogonal"))


def projection(name: str, t: Any) -> NCPoly:
    """A projection of trace t (law bernoulli(t)); t may be symbolic.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> p = fa.projection("p", sp.Rational(1, 3))
    >>> p * p == p, fa.trace(p)
    (True, 1/3)
    """
    t = parameter("t", t)
    check("t", t, lambda: sp.And(t >= 0, t <= 1), "the trace of a projection must lie in [0, 1]")
    return NCPoly.from_generator(Generator(name, "projection", (t,)))


def selfadjoint(name: str, law: Law) -> NCPoly:
    """A self-adjoint (deterministic or diagonal) matrix with spectral law ``law``.

    Examples
    --------
    >>> import freealg as fa
    >>> a = fa.selfadjoint("a", fa.discrete([0, 1, 2]))
    >>> fa.trace(a**2)
    5/3
    """
    if not isinstance(law, Law):
        raise InvalidParameterError("law", law, "must be a freealg Law (e.g. fa.discrete(...))")
    return NCPoly.from_generator(Generator(name, "selfadjoint", (law,)))


def activation(name: str, phi: Any, variance: Any) -> NCPoly:
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
    """
    from ..laws import gaussian_pushforward

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
    return NCPoly.from_generator(Generator(name, "activation", (law, dphi, v)))


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
    tag = "{" + ",".join(sorted(g.name for g in gs)) + "}"
    for gen in gs:
        out.append(NCPoly.from_generator(Generator(gen.name, gen.kind, gen.params, tag)))
    return tuple(out)
