"""Generators of the noncommutative algebra: semicircular, circular, Haar unitary/orthogonal,
projection, self-adjoint with a given law, activation diagonals.

A generator is an immutable value; its relations follow from its kind:
``x* = x`` (self-adjoint kinds), ``p = p* = p^2`` (projections), ``u u* = u* u = 1`` (Haar
unitaries and orthogonals). Distinct generators are free unless they belong to one
commuting family (see :func:`freealg.algebra.commuting`).

A generator has a ``shape`` (rows, columns) in units of the reference dimension N: positive
rationals, (1, 1) for the square generators of the original square model. A rectangular Haar
isometry of shape (p, q) satisfies only one of the two relations: ``u* u = 1`` when q <= p
(orthonormal columns), ``u u* = 1`` when p <= q (orthonormal rows).

A ``deterministic`` generator of shape (p, q) is a (pN) x (qN) matrix given by the law of its
m = min(p, q) N squared singular values (``params = (law,)``), Haar-rotated on both sides (see
:func:`freealg.deterministic`); it has no relation of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["Generator", "Letter", "KINDS", "SELF_ADJOINT_KINDS", "UNITARY_KINDS"]

KINDS = ("semicircular", "circular", "haar_unitary", "haar_orthogonal", "projection",
         "selfadjoint", "activation", "deterministic")
SELF_ADJOINT_KINDS = ("semicircular", "projection", "selfadjoint", "activation")
UNITARY_KINDS = ("haar_unitary", "haar_orthogonal")


@dataclass(frozen=True, slots=True)
class Generator:
    """A free generator: ``name``, ``kind`` (one of KINDS) and its parameters.

    ``params`` holds sympy numbers/symbols (variance, trace t) or a Law (selfadjoint,
    activation). ``family`` names a classically commuting family ('' = its own).
    """

    name: str
    kind: str
    params: tuple = ()
    family: str = ""
    shape: tuple = (sp.S.One, sp.S.One)
    _hash: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InvalidParameterError("kind", self.kind, f"unknown generator kind; known: "
                                                           f"{', '.join(KINDS)}")
        if not isinstance(self.name, str) or not self.name:
            raise InvalidParameterError("name", self.name, "a generator needs a non-empty name")
        shape = tuple(sp.Integer(d) if isinstance(d, int) and not isinstance(d, bool) else d
                      for d in self.shape)
        if len(shape) != 2 or not all(isinstance(d, sp.Rational) and d > 0 for d in shape):
            raise InvalidParameterError("shape", self.shape, "a generator's shape is a pair of "
                                        "positive sympy Rationals (use fa.gaussian(..., shape=))")
        object.__setattr__(self, "shape", shape)
        h = (self.name, self.kind, self.params, self.family)
        if shape != (1, 1):
            h = h + (shape,)
        object.__setattr__(self, "_hash", hash(h))

    # explicit (the dataclass would rehash the parameter laws on every call: words of
    # thousands of letters compare and hash their generators constantly)
    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        if self is other:
            return True
        if type(other) is not Generator:
            return NotImplemented
        return (self._hash == other._hash and self.name == other.name and self.kind == other.kind
                and self.params == other.params and self.family == other.family
                and self.shape == other.shape)

    def __reduce__(self):
        return (Generator, (self.name, self.kind, self.params, self.family, self.shape))

    @property
    def is_square(self) -> bool:
        return self.shape[0] == self.shape[1]

    @property
    def is_selfadjoint(self) -> bool:
        return self.kind in SELF_ADJOINT_KINDS

    @property
    def is_unitary(self) -> bool:
        return self.kind in UNITARY_KINDS

    @property
    def is_projection(self) -> bool:
        return self.kind == "projection"

    @property
    def free_symbols(self) -> set:
        out: set = set()
        for p in self.params:
            out |= getattr(p, "free_symbols", set())
        return out

    def law(self):
        """Spectral law of a self-adjoint generator (None for non-self-adjoint kinds)."""
        from ..laws import bernoulli, semicircle

        if self.kind == "semicircular":
            return semicircle(self.params[0])
        if self.kind == "projection":
            return bernoulli(self.params[0])
        if self.kind in ("selfadjoint", "activation"):
            return self.params[0]
        return None

    def sort_key(self):
        return (self.name, self.kind)

    def __repr__(self):
        return self.name


@dataclass(frozen=True, slots=True)
class Letter:
    """A generator or its adjoint (``star``); self-adjoint generators never carry a star."""

    gen: Generator
    star: bool = False

    @property
    def adjoint(self) -> "Letter":
        if self.gen.is_selfadjoint:
            return self
        return Letter(self.gen, not self.star)

    @property
    def shape(self) -> tuple:
        """(rows, columns) of the letter: the generator's shape, transposed for an adjoint."""
        r, c = self.gen.shape
        return (c, r) if self.star else (r, c)

    def sort_key(self):
        return (self.gen.name, self.gen.kind, self.star)

    def __repr__(self):
        return self.gen.name + (".H" if self.star else "")

    def latex(self) -> str:
        base = sp.latex(sp.Symbol(self.gen.name))
        return base + ("^{*}" if self.star else "")
