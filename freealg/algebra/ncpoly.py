"""Noncommutative polynomials in free generators (immutable, canonical at construction).

A polynomial is a tuple of (word, coefficient) pairs; a word is a tuple of
:class:`~freealg.algebra.generators.Letter`. Words are reduced by the relations of their
generators (``p p = p``, ``u u* = u* u = 1``); terms are sorted, equal words merged and zero
coefficients dropped, so ``==`` is structural. Coefficients are exact sympy expressions;
symbols are treated as *real* parameters (the adjoint conjugates ``I`` only).

Examples
--------
>>> import freealg as fa
>>> x, y = fa.semicircular("x"), fa.semicircular("y")
>>> p = x*y + y*x
>>> p, p.H == p
(x*y + y*x, True)
>>> u = fa.haar_unitary("u")
>>> u * u.H
1
>>> import sympy as sp
>>> q = fa.projection("q", sp.Rational(1, 2))
>>> q * q == q
True

Polynomials track matrix shapes (rows, columns), in units of the reference dimension N:
products must chain, sums need equal shapes, ``.H`` transposes, and scalars act on any square
block (a scalar added to a non-square expression is an error).

>>> X = fa.gaussian("X", shape=(1, 2))
>>> (X.H * X).shape, (X * X.H).shape, X.H.shape
((2, 2), (1, 1), (2, 1))
"""

from __future__ import annotations

from typing import Any, Iterable

import numbers

import mpmath
import sympy as sp

from ..errors import InvalidParameterError, ShapeError, SizeLimitError
from ..numeric.params import parameter
from .generators import Generator, Letter

__all__ = ["NCPoly", "reduce_word"]


def reduce_word(word: Iterable[Letter]) -> tuple:
    """Reduce a word by the generator relations (stack algorithm, one pass).

    Examples
    --------
    >>> import freealg as fa
    >>> u = fa.haar_unitary("u").generator
    >>> reduce_word([Letter(u), Letter(u, True), Letter(u)])
    (u,)
    """
    out: list = []
    for L in word:
        if out:
            prev = out[-1]
            if prev.gen == L.gen:
                g = L.gen
                if g.is_projection:
                    continue  # p p = p
                if g.is_unitary and prev.star != L.star and _cancels(g, prev.star):
                    out.pop()  # u u* = u* u = 1
                    continue
        out.append(L)
    return tuple(out)


def _cancels(g: Generator, first_star: bool) -> bool:
    """Whether ``u u*`` (``first_star`` False) or ``u* u`` (True) is an identity for the Haar
    generator ``g``: a (p, q) isometry has u* u = 1_q when q <= p and u u* = 1_p when p <= q."""
    r, c = g.shape
    return bool(c <= r) if first_star else bool(r <= c)


def _word_shape(word: tuple) -> tuple:
    """(rows, columns) of a nonempty word, checking that its letters chain."""
    shape = word[0].shape
    for L in word[1:]:
        s = L.shape
        if s[0] != shape[1]:
            raise ShapeError("product", (shape, s), _chain_message(shape, s))
        shape = (shape[0], s[1])
    return shape


def _chain_message(a: tuple, b: tuple) -> str:
    return (f"a product needs the columns of the left factor ({a[1]}) to equal the rows of the "
            f"right factor ({b[0]})")


def _norm_shape(shape, has_words: bool):
    """The stored shape: a constant polynomial on the unit block is a plain scalar (None)."""
    if shape is None or has_words:
        return shape
    return None if shape == (1, 1) else shape


def _join(w1: tuple, w2: tuple) -> tuple:
    """Product of two reduced words: only the junction can cancel (cost O(cancellations) plus
    one C-level concatenation, so building a depth-L Jacobian word is not quadratic)."""
    i, j = len(w1), 0
    while i and j < len(w2):
        prev, L = w1[i - 1], w2[j]
        if prev.gen != L.gen:
            break
        g = L.gen
        if g.is_projection:
            j += 1  # p p = p
            continue
        if g.is_unitary and prev.star != L.star and _cancels(g, prev.star):
            i -= 1  # u u* = u* u = 1
            j += 1
            continue
        break
    return w1[:i] + w2[j:] if (i < len(w1) or j) else w1 + w2


def _latex_word(word: tuple) -> str:
    """LaTeX of a word, runs of one letter as powers: ``x x y`` -> ``x^{2} y``, ``u* u*`` ->
    ``\\left(u^{*}\\right)^{2}``."""
    out, i = [], 0
    while i < len(word):
        j = i
        while j + 1 < len(word) and word[j + 1] == word[i]:
            j += 1
        k, tex = j - i + 1, word[i].latex()
        if k > 1:
            tex = rf"\left({tex}\right)^{{{k}}}" if word[i].star else f"{tex}^{{{k}}}"
        out.append(tex)
        i = j + 1
    return " ".join(out)


def _fmt(shape) -> str:
    return f"({shape[0]}, {shape[1]})"


def _word_key(word):
    return (len(word), tuple(L.sort_key() for L in word))


#: The longest word (in letters) a polynomial may hold: the compiler, the trace and the
#: linearization work letter by letter, and longer words only arise by mistake (``x**10**6``).
MAX_DEGREE = 10_000
#: The most terms an expansion may produce; each term is an exact sympy coefficient.
MAX_TERMS = 100_000

_SCALAR_REQUIREMENT = ("coefficients must be finite numbers (int, float, complex, numpy or mpmath "
                       "scalars) or sympy expressions; strings are not parsed (use "
                       "sympy.Symbol or sympy.Rational)")


def _sym(c):
    """An exact sympy coefficient from a scalar; anything else is a clear error (no parsing).

    The conversion is :func:`freealg.numeric.params.parameter`'s (numpy and mpmath scalars,
    strings never parsed); arrays, even 0-d ones, are not coefficients."""
    if isinstance(c, (bool, str, bytes)) or not isinstance(
            c, (sp.Basic, numbers.Number, mpmath.mpf, mpmath.mpc)):
        raise InvalidParameterError("coefficient", c, _SCALAR_REQUIREMENT)
    e = parameter("coefficient", c)
    if not isinstance(e, sp.Expr):
        raise InvalidParameterError("coefficient", c, _SCALAR_REQUIREMENT)
    if e.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
        raise InvalidParameterError("coefficient", c, "must be finite (not NaN or infinite)")
    return e


def _check_constant(terms, shape) -> None:
    if shape is not None and shape[0] != shape[1] and terms and not terms[0][0]:
        raise ShapeError("sum", (shape,), "a scalar acts on square blocks only: it cannot be "
                         "added to a non-square expression")


def _is_scalar(other) -> bool:
    return (isinstance(other, (sp.Expr, numbers.Number, mpmath.mpf, mpmath.mpc))
            and not isinstance(other, bool))


class NCPoly:
    """Immutable noncommutative polynomial (see the module docstring).

    Users build polynomials from generators (:func:`~freealg.semicircular`,
    :func:`~freealg.projection`, ...) with ``+``, ``-``, ``*``, ``**`` and scalars rather than
    from terms.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> p = 2*x*y + 3
    >>> p
    3 + 2*x*y
    >>> p.H, p.degree
    (3 + 2*y*x, 2)
    >>> fa.NCPoly(*p.args) == p                     # round trip through the terms
    True

    Parameters
    ----------
    terms : iterable of (word, coefficient) pairs, or a dict word -> coefficient
        A word is a tuple of :class:`~freealg.algebra.generators.Letter`; the words are
        reduced, equal words merged and zero coefficients dropped.
    shape : pair of positive rationals, optional
        (rows, columns) in units of N. Needed only for a constant on a block other than the
        unit one (it is otherwise read off the words); all words must have this shape.

    Raises
    ------
    ShapeError
        The letters of a word do not chain, the words have different shapes, or a nonzero
        constant sits in a non-square polynomial.
    """

    __slots__ = ("_terms", "_hash", "_shape")
    _terms: tuple
    _hash: int | None
    _shape: tuple | None

    def __init__(self, terms: Any = (), shape: Any = None):
        acc: dict = {}
        items = terms.items() if isinstance(terms, dict) else terms
        for word, coeff in items:
            w = reduce_word(word)
            acc[w] = acc.get(w, sp.S.Zero) + _sym(coeff)
        clean = []
        for w, c in acc.items():
            c = sp.expand(c)
            if c != 0:
                clean.append((w, c))
        clean.sort(key=lambda wc: _word_key(wc[0]))
        if shape is not None:
            shape = tuple(shape)
            if len(shape) != 2 or not all(isinstance(d, (int, sp.Rational)) and d > 0
                                          for d in shape):
                raise InvalidParameterError("shape", shape, "a pair of positive rationals")
            shape = (sp.Rational(shape[0]), sp.Rational(shape[1]))
        found = None
        for w, _ in clean:
            if w:
                ws = _word_shape(w)
                if found is not None and ws != found:
                    raise ShapeError("sum", (found, ws), "a sum needs terms of equal shapes")
                found = ws
        if found is not None and shape is not None and found != shape:
            raise ShapeError("polynomial", (shape, found), "the words do not have the given "
                             "shape")
        shape = found if found is not None else shape
        _check_constant(clean, shape)
        object.__setattr__(self, "_terms", tuple(clean))
        object.__setattr__(self, "_hash", None)
        object.__setattr__(self, "_shape", _norm_shape(shape, found is not None))

    @classmethod
    def _from_reduced(cls, pairs, shape=None) -> "NCPoly":
        """Merge, clean and sort (word, coefficient) pairs whose words are already reduced."""
        acc: dict = {}
        for w, c in pairs:
            acc[w] = acc.get(w, sp.S.Zero) + c
        clean = [(w, c) for w, c in ((w, sp.expand(c)) for w, c in acc.items()) if c != 0]
        clean.sort(key=lambda wc: _word_key(wc[0]))
        return cls._new(tuple(clean), shape)

    @classmethod
    def _new(cls, terms: tuple, shape=None) -> "NCPoly":
        """Trusted constructor for already-canonical terms (whose words chain and share one
        shape); ``shape`` is used only when there is no nonempty word."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "_terms", terms)
        object.__setattr__(obj, "_hash", None)
        found = None
        for w, _ in terms:
            if w:
                found = (w[0].shape[0], w[-1].shape[1])
                break
        object.__setattr__(obj, "_shape",
                           _norm_shape(found if found is not None else shape, found is not None))
        return obj

    @classmethod
    def from_generator(cls, gen: Generator) -> "NCPoly":
        """The polynomial consisting of the single letter ``gen``.

        Examples
        --------
        >>> import freealg as fa
        >>> x = fa.semicircular("x")
        >>> fa.NCPoly.from_generator(x.generator) == x
        True
        """
        return cls._new((((Letter(gen),), sp.S.One),))

    @classmethod
    def constant(cls, c: Any) -> "NCPoly":
        """The constant polynomial ``c`` (a multiple of the identity).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.NCPoly.constant(3) == 3, fa.NCPoly.constant(0)
        (True, 0)
        """
        return cls([((), c)])

    def __setattr__(self, key, value):
        raise AttributeError("NCPoly is immutable")

    # value protocol ----------------------------------------------------------------------
    @property
    def terms(self) -> tuple:
        """The canonical ((word, coefficient), ...) pairs, sorted by degree then letters.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> (2*x*y + 3).terms
        (((), 3), ((x, y), 2))
        """
        return self._terms

    @property
    def args(self) -> tuple:
        """Constructor arguments: ``NCPoly(*p.args) == p``.

        Examples
        --------
        >>> import freealg as fa
        >>> x = fa.semicircular("x")
        >>> p = x**2 - 1
        >>> fa.NCPoly(*p.args) == p
        True
        """
        if self._shape is not None and all(not w for w, _ in self._terms):
            return (self._terms, self._shape)
        return (self._terms,)

    def __reduce__(self):
        return (NCPoly, self.args)

    @property
    def shape(self) -> tuple:
        """(rows, columns) in units of the reference dimension N; (1, 1) for the square model
        and for plain scalars (which act on any square block).

        Examples
        --------
        >>> import freealg as fa
        >>> X = fa.gaussian("X", shape=(2, 3))
        >>> X.shape, (X.H * X).shape, (2 * X).shape
        ((2, 3), (3, 3), (2, 3))
        """
        return self._shape if self._shape is not None else (sp.S.One, sp.S.One)

    @property
    def is_square(self) -> bool:
        """Whether rows == columns.

        Examples
        --------
        >>> import freealg as fa
        >>> X = fa.gaussian("X", shape=(1, 2))
        >>> X.is_square, (X * X.H).is_square
        (False, True)
        """
        s = self.shape
        return bool(s[0] == s[1])

    def __eq__(self, other):
        if isinstance(other, NCPoly):
            return self._terms == other._terms and self._shape == other._shape
        if isinstance(other, (int, sp.Expr, float)) and not isinstance(other, bool):
            # a scalar acts on any square block: compare the terms only
            return self._terms == NCPoly.constant(other)._terms
        return NotImplemented

    def __hash__(self):
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(("NCPoly", self._terms)))
        return self._hash

    # structure ----------------------------------------------------------------------------
    @property
    def generators(self) -> tuple:
        """The generators that occur, sorted by name.

        Examples
        --------
        >>> import freealg as fa
        >>> x, u = fa.semicircular("x"), fa.haar_unitary("u")
        >>> (u * x * u.H).generators
        (u, x)
        """
        gens = {L.gen for w, _ in self._terms for L in w}
        return tuple(sorted(gens, key=lambda g: g.sort_key()))

    @property
    def generator(self) -> Generator:
        """The generator of a polynomial that is a single generator letter.

        Examples
        --------
        >>> import freealg as fa
        >>> x = fa.semicircular("x", 2)
        >>> x.generator.kind, x.generator.params
        ('semicircular', (2,))
        >>> (2*x).generator
        Traceback (most recent call last):
        ...
        freealg.errors.InvalidParameterError: invalid poly=2*x: is not a single generator

        Raises
        ------
        InvalidParameterError
            The polynomial is not a single letter with coefficient 1.
        """
        if len(self._terms) == 1 and len(self._terms[0][0]) == 1 and self._terms[0][1] == 1:
            return self._terms[0][0][0].gen
        raise InvalidParameterError("poly", self, "is not a single generator")

    @property
    def is_generator(self) -> bool:
        """True for a single (non-adjoint) generator letter with coefficient 1.

        Examples
        --------
        >>> import freealg as fa
        >>> u = fa.haar_unitary("u")
        >>> u.is_generator, u.H.is_generator, (2*u).is_generator
        (True, False, False)
        """
        return (len(self._terms) == 1 and len(self._terms[0][0]) == 1
                and self._terms[0][1] == 1 and not self._terms[0][0][0].star)

    @property
    def free_symbols(self) -> set:
        """Symbols in the coefficients and in the generators' parameters.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> t, s = sp.symbols("t s")
        >>> sorted((t * fa.semicircular("x") + fa.projection("p", s)).free_symbols, key=str)
        [s, t]
        """
        out: set = set()
        for w, c in self._terms:
            out |= c.free_symbols
            for L in w:
                out |= L.gen.free_symbols
        return out

    @property
    def degree(self) -> int:
        """Length of the longest word (0 for a constant).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> (x*y*x + y).degree, fa.NCPoly.constant(5).degree
        (3, 0)
        """
        return max((len(w) for w, _ in self._terms), default=0)

    def constant_term(self):
        """The coefficient of the empty word (the multiple of the identity).

        Examples
        --------
        >>> import freealg as fa
        >>> u = fa.haar_unitary("u")
        >>> ((u + 1) * (u + 1).H).constant_term()     # u u* = 1
        2
        """
        for w, c in self._terms:
            if not w:
                return c
        return sp.S.Zero

    # algebra -------------------------------------------------------------------------------
    #: numpy must not broadcast a polynomial into an object array (``np.ones(3) * x``): its
    #: operators return NotImplemented, and the polynomial's own operator raises a clear error
    __array_ufunc__ = None

    @staticmethod
    def _coerce(other) -> "NCPoly":
        if isinstance(other, NCPoly):
            return other
        if _is_scalar(other):
            return NCPoly.constant(other)
        if isinstance(other, (bool, str, bytes)) or hasattr(other, "__array__"):
            raise InvalidParameterError("operand", other, _SCALAR_REQUIREMENT)
        return NotImplemented

    def __add__(self, other):
        o = self._coerce(other)
        if o is NotImplemented:
            return o
        s1, s2 = self._shape, o._shape
        if s1 is not None and s2 is not None and s1 != s2:
            raise ShapeError("sum", (s1, s2), f"a sum needs equal shapes (got {_fmt(s1)} and "
                             f"{_fmt(s2)})")
        return NCPoly(list(self._terms) + list(o._terms), s1 if s1 is not None else s2)

    __radd__ = __add__

    def __neg__(self):
        return NCPoly._new(tuple((w, -c) for w, c in self._terms), self._shape)

    def __sub__(self, other):
        o = self._coerce(other)
        if o is NotImplemented:
            return o
        return self + (-o)

    def __rsub__(self, other):
        o = self._coerce(other)
        if o is NotImplemented:
            return o
        return o + (-self)

    def __mul__(self, other):
        o = self._coerce(other)
        if o is NotImplemented:
            return o
        n = len(self._terms) * len(o._terms)
        if n > 100 * MAX_TERMS:
            raise SizeLimitError("product", f"{len(self._terms)} terms times {len(o._terms)}",
                                 n, 100 * MAX_TERMS, "every pair of terms is formed and stored; "
                                 "factor the expression instead of expanding it", "pairs")
        if self.degree + o.degree > MAX_DEGREE:
            raise SizeLimitError("product", "a word", self.degree + o.degree, MAX_DEGREE,
                                 "the compiler, trace and linearization work letter by letter",
                                 "letters")
        s1, s2 = self._shape, o._shape
        if s1 is not None and s2 is not None:
            if s1[1] != s2[0]:
                raise ShapeError("product", (s1, s2), _chain_message(s1, s2))
            shape = (s1[0], s2[1])
        else:
            shape = s1 if s1 is not None else s2
        pairs = [(_join(w1, w2), c1 * c2) for w1, c1 in self._terms for w2, c2 in o._terms]
        if len(pairs) == 1:
            # one reduced word times one reduced word: already canonical after the junction
            (w, c), = pairs
            c = sp.expand(c)
            return NCPoly._new(((w, c),) if c != 0 else (), shape)
        return NCPoly._from_reduced(pairs, shape)

    def __rmul__(self, other):
        o = self._coerce(other)
        if o is NotImplemented:
            return o
        return o * self

    def __truediv__(self, other):
        if isinstance(other, NCPoly):
            raise InvalidParameterError("divisor", other, "only division by scalars is defined")
        return self * (sp.S.One / _sym(other))

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
            raise InvalidParameterError("exponent", k, "powers must be non-negative integers")
        k = int(k)
        if not self.is_square:
            raise ShapeError("power", (self.shape,), "powers need a square expression")
        if k and self.degree * k > MAX_DEGREE:
            raise SizeLimitError("exponent", k, self.degree * k, MAX_DEGREE,
                                 "the compiler, trace and linearization work letter by letter",
                                 "letters")
        nterms = len(self._terms)
        letters = {L for w, _ in self._terms for L in w}
        if k > 1 and nterms > 1 and not any(L.gen.is_projection or L.gen.is_unitary
                                             for L in letters):
            # no relation shortens a word: the distinct words of length <= degree*k in the
            # letters that occur (and nterms^k) bound the result
            g = len(letters)
            d = self.degree * k
            words = d + 1 if g <= 1 else (g ** (d + 1) - 1) // (g - 1)
            bound = min(nterms ** k, words)
            if bound > MAX_TERMS:
                raise SizeLimitError("exponent", k, bound, MAX_TERMS,
                                     "every term is stored with an exact coefficient; use the "
                                     "factored product, or fa.trace of a smaller power",
                                     "terms")
        out = NCPoly._new((((), sp.S.One),), self._shape)
        base = self
        while k:
            if k & 1:
                out = out * base
            k >>= 1
            if k:
                base = base * base
        return out

    @property
    def H(self) -> "NCPoly":
        """Adjoint: reversed words, adjoint letters, conjugated coefficients (symbols real).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, y, c = fa.semicircular("x"), fa.semicircular("y"), fa.circular("c")
        >>> (sp.I * x * y).H
        -I*y*x
        >>> (c * x).H
        x*c.H
        """
        s = self._shape
        return NCPoly([(tuple(L.adjoint for L in reversed(w)), c.subs(sp.I, -sp.I))
                       for w, c in self._terms], None if s is None else (s[1], s[0]))

    def adjoint(self) -> "NCPoly":
        """Same as :attr:`H`.

        Examples
        --------
        >>> import freealg as fa
        >>> u = fa.haar_unitary("u")
        >>> (2 * u).adjoint() == 2 * u.H
        True
        """
        return self.H

    @property
    def is_selfadjoint(self) -> bool:
        """Whether ``p.H == p`` (structurally, after canonicalisation).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> (x*y).is_selfadjoint, (x*y + y*x).is_selfadjoint
        (False, True)
        """
        return self == self.H

    def subs(self, *args, **kwargs) -> "NCPoly":
        """Substitute values for symbolic coefficients and generator parameters.

        Examples
        --------
        >>> import freealg as fa, sympy as sp
        >>> t = sp.Symbol("t")
        >>> x = fa.semicircular("x")
        >>> (t * x).subs(t, 2)
        2*x
        """
        def gsub(g: Generator) -> Generator:
            params = tuple(p.subs(*args, **kwargs) if hasattr(p, "subs") else p for p in g.params)
            return Generator(g.name, g.kind, params, g.family, g.shape)

        return NCPoly([(tuple(Letter(gsub(L.gen), L.star) for L in w),
                        c.subs(*args, **kwargs)) for w, c in self._terms], self._shape)

    # printing -------------------------------------------------------------------------------
    def __repr__(self):
        return self._str()

    def _str(self) -> str:
        if not self._terms:
            return "0"
        parts = []
        for w, c in self._terms:
            word = "*".join(repr(L) for L in w)
            if not w:
                parts.append(str(c))
            elif c == 1:
                parts.append(word)
            elif c == -1:
                parts.append("-" + word)
            else:
                cs = str(c)
                if isinstance(c, sp.Add):
                    cs = f"({cs})"
                parts.append(f"{cs}*{word}")
        s = " + ".join(parts)
        return s.replace("+ -", "- ")

    def _sympystr(self, printer=None) -> str:
        return self._str()

    def _latex(self, printer=None) -> str:
        if not self._terms:
            return "0"
        parts = []
        for w, c in self._terms:
            word = _latex_word(w)
            if not w:
                parts.append(sp.latex(c))
            elif c == 1:
                parts.append(word)
            elif c == -1:
                parts.append("-" + word)
            else:
                cl = sp.latex(c)
                if isinstance(c, sp.Add):
                    cl = rf"\left({cl}\right)"
                parts.append(f"{cl} {word}")
        return " + ".join(parts).replace("+ -", "- ")

    def _repr_latex_(self) -> str:
        return f"${self._latex()}$"

    def as_expr(self) -> sp.Expr:
        """A sympy noncommutative expression (for printing and sympy interop).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> e = (x*y).as_expr()
        >>> e, e.is_commutative, e - (y*x).as_expr()
        (x*y, False, x*y - y*x)
        """
        out = sp.S.Zero
        for w, c in self._terms:
            term = c
            for L in w:
                term = term * sp.Symbol(repr(L), commutative=False)
            out += term
        return out
