"""A safe parser for noncommutative polynomials and generator declarations.

The command line (``freealg spectrum "x*y + y*x" --law x=semicircle --law y=semicircle``) and
notebooks that read expressions from text use it. Nothing is evaluated: a tokenizer and a
recursive-descent parser build the NCPoly from the declared generators; every error names the
position of the offending character.

Grammar::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*          ('/' only by numbers)
    unary  := ('+' | '-') unary | power
    power  := atom (('**' | '^') INT)?
    atom   := NUMBER | 'I' | NAME ('.H' | "'")? | '(' expr ')' ('.H' | "'")?

Declarations (``NAME=SPEC``)::

    semicircle | semicircular [(variance)]   circular [(variance)]
    haar_unitary | haar_orthogonal           projection(t)
    any law of the catalog: bernoulli(t), dirac(a), discrete([points], [weights]),
    marchenko_pastur(ratio[, variance]), free_poisson(rate[, jump]), arcsine(a, b),
    uniform(a, b), semicircle_law(variance)  -> a self-adjoint generator with that law

Examples
--------
>>> from freealg.api.parse import parse_expr, parse_generator
>>> gens = dict(parse_generator(s) for s in ["x=semicircle", "y=semicircular(2)"])
>>> parse_expr("x*y + y*x - 1/2", gens)
-1/2 + x*y + y*x
>>> parse_expr("x*(y", gens)
Traceback (most recent call last):
...
freealg.api.parse.ParseError: expected ')' at position 4:
    x*(y
        ^
"""

from __future__ import annotations

import decimal
import re
from typing import Any, Callable

import sympy as sp

from ..algebra import (NCPoly, circular, haar_orthogonal, haar_unitary, projection,
                       selfadjoint, semicircular)
from ..errors import InvalidParameterError, SizeLimitError

__all__ = ["ParseError", "parse_expr", "parse_generator", "parse_number"]


class ParseError(InvalidParameterError):
    """A syntax error in user text, with its position.

    An :class:`~freealg.errors.InvalidParameterError` (so also a ``ValueError``); the message
    shows the text with a caret under the offending character.

    Examples
    --------
    >>> from freealg.api.parse import ParseError, parse_number
    >>> try:
    ...     parse_number("1/0")
    ... except ParseError as e:
    ...     err = e
    >>> err.pos, err.message, isinstance(err, ValueError)
    (1, 'division by zero', True)
    >>> print(err)
    division by zero at position 1:
        1/0
         ^

    Parameters
    ----------
    text : str
        The text that was parsed.
    pos : int
        0-based position of the offending character in ``text``.
    message : str
        What was wrong.
    """

    input: str | None = None    # which text of a command line ("expression", "law")

    def __init__(self, text: str, pos: int, message: str):
        self.text, self.pos, self.message = text, pos, message
        ValueError.__init__(self, f"{message} at position {pos}:\n    {text}\n    {' ' * pos}^")
        self.name, self.value, self.requirement = "text", text, message

    def __str__(self):
        return self.args[0]

    def one_line(self, width: int = 30) -> str:
        """The message on one line: the text near the position, marked with ``>>``.

        Examples
        --------
        >>> from freealg.api.parse import ParseError
        >>> print(ParseError("x*(y", 4, "expected ')'").one_line())
        expected ')' at position 4 of "x*(y>>" (at the end)
        >>> print(ParseError("x + z*y", 4, "unknown name 'z'").one_line())
        unknown name 'z' at position 4 of "x + >>z*y"

        Parameters
        ----------
        width : int
            Characters of context shown on each side of the position.

        Returns
        -------
        str
        """
        lo, hi = max(0, self.pos - width), min(len(self.text), self.pos + width)
        near = (("..." if lo else "") + self.text[lo:self.pos] + ">>" + self.text[self.pos:hi]
                + ("..." if hi < len(self.text) else ""))
        near = near.replace("\n", " ").replace("\r", " ").replace("\t", " ")
        where = " (at the end)" if self.pos >= len(self.text) else ""
        return f'{self.message} at position {self.pos} of "{near}"{where}'


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>\*\*|\.H|[-+*/^()',\[\]=])
""", re.VERBOSE)


def _tokens(text: str) -> list:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        assert kind is not None      # every alternative of _TOKEN is a named group
        if kind != "ws":
            out.append((kind, m.group(kind), pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


MAX_CHARS = 100_000     # longest expression accepted (characters)
MAX_NESTING = 100       # deepest nesting of parentheses accepted
MAX_NUMBER_CHARS = 100  # longest number literal accepted (characters)
MAX_EXPONENT10 = 300    # |x| of a non-zero number literal must lie in [1e-300, 1e300]


def _number(text: str, where: str, pos: int):
    """The exact value of a number literal (Rational, or Float with an exponent), refusing
    literals too long or too large/small for the float64 numerics."""
    if len(text) > MAX_NUMBER_CHARS:
        raise ParseError(where, pos, f"number longer than {MAX_NUMBER_CHARS} characters")
    d = decimal.Decimal(text)
    if d and abs(d.adjusted()) > MAX_EXPONENT10:
        raise ParseError(where, pos, f"number outside [1e-{MAX_EXPONENT10}, "
                                     f"1e{MAX_EXPONENT10}] (float64 range)")
    if "e" in text.lower():
        return sp.Float(text, max(15, len(d.as_tuple().digits)))
    return sp.Rational(text)


class _Parser:
    def __init__(self, text: str, names: dict):
        if not isinstance(text, str):
            raise InvalidParameterError("text", text, "expected a string")
        if len(text) > MAX_CHARS:
            raise SizeLimitError("text", text[:40] + "...", len(text), MAX_CHARS,
                                 "longer expressions are refused (parsing and compiling "
                                 "them would take too long)", unit="characters")
        self.text = text
        self.names = names
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, value):
        t = self.take()
        if t[1] != value:
            raise ParseError(self.text, t[2], f"expected {value!r}")
        return t

    def error(self, msg, tok=None):
        tok = tok or self.peek()
        return ParseError(self.text, tok[2], msg)

    # grammar ----------------------------------------------------------------------------
    def parse(self):
        if self.peek()[0] == "end":
            raise self.error("empty expression")
        try:
            e = self.expr(0)
        except RecursionError:      # belt and braces: the nesting limit comes first
            raise ParseError(self.text, 0, "expression nested too deeply") from None
        if self.peek()[0] != "end":
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return e

    def expr(self, depth):
        items = [self.term(depth)]
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            rhs = self.term(depth)
            items.append(rhs if op == "+" else -rhs)
        if len(items) == 1:
            return items[0]
        if not any(isinstance(v, NCPoly) for v in items):
            return sp.Add(*items)
        # one merge of all terms (adding one by one re-canonicalises the growing sum each
        # time: quadratic in the number of terms)
        return NCPoly([wc for v in items
                       for wc in (v if isinstance(v, NCPoly) else NCPoly.constant(v)).terms])

    def term(self, depth):
        val = self.unary(depth)
        while self.peek()[1] in ("*", "/"):
            op = self.take()
            rhs = self.unary(depth)
            if op[1] == "*":
                val = _mul(val, rhs)
            else:
                if isinstance(rhs, NCPoly):
                    raise ParseError(self.text, op[2], "division by a polynomial (only by "
                                                       "numbers)")
                if rhs == 0:
                    raise ParseError(self.text, op[2], "division by zero")
                val = val / rhs if isinstance(val, NCPoly) else val / rhs
        return val

    def unary(self, depth):
        negative = False
        while self.peek()[1] in ("+", "-"):       # a loop: no recursion per sign
            negative ^= self.take()[1] == "-"
        v = self.power(depth)
        return -v if negative else v

    def power(self, depth):
        base = self.atom(depth)
        if self.peek()[1] in ("**", "^"):
            self.take()                     # the operator
            t = self.take()
            if t[0] != "num" or not t[1].isdigit():
                raise ParseError(self.text, t[2], "exponents must be non-negative integers")
            if len(t[1].lstrip("0")) > 4:
                raise ParseError(self.text, t[2], "exponents above 64 are refused (the "
                                                  "polynomial would be huge)")
            k = int(t[1])
            if k > 64:
                raise ParseError(self.text, t[2], "exponents above 64 are refused (the "
                                                  "polynomial would be huge)")
            return base**k if isinstance(base, NCPoly) else sp.Pow(base, k)
        return base

    def atom(self, depth):
        t = self.take()
        kind, val, pos = t
        if kind == "num":
            return _number(val, self.text, pos)
        if kind == "name":
            if val == "I":
                out = sp.I
            elif val in self.names:
                out = self.names[val]
            else:
                known = ", ".join(sorted(self.names)) or "none"
                raise ParseError(self.text, pos, f"unknown name {val!r} (declared: {known}; "
                                                 f"declare it with --law {val}=semicircle)")
            return self.adjoint(out)
        if val == "(":
            if depth >= MAX_NESTING:
                raise ParseError(self.text, pos, f"parentheses nested deeper than "
                                                 f"{MAX_NESTING}")
            out = self.expr(depth + 1)
            self.expect(")")
            return self.adjoint(out)
        if kind == "end":
            raise ParseError(self.text, pos, "unexpected end of expression")
        raise ParseError(self.text, pos, f"unexpected {val!r}")

    def adjoint(self, out):
        while self.peek()[1] in (".H", "'"):
            self.take()
            out = out.H if isinstance(out, NCPoly) else sp.conjugate(out)
        return out


def _mul(a, b):
    if isinstance(a, NCPoly) or isinstance(b, NCPoly):
        return a * b
    return sp.Mul(a, b)


def parse_expr(text: str, generators: dict) -> NCPoly:
    """Parse ``text`` into an NCPoly over the declared ``generators`` (name -> NCPoly).

    Nothing is evaluated; the grammar is in the module docstring (``*``, ``+``, ``-``,
    division by numbers, integer powers with ``**`` or ``^``, adjoints with ``.H`` or ``'``,
    the imaginary unit ``I``).

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.api.parse import parse_expr
    >>> gens = {"x": fa.semicircular("x"), "u": fa.haar_unitary("u")}
    >>> parse_expr("(x - 1)^2", gens)
    1 - 2*x + x*x
    >>> parse_expr("u + u.H", gens) == gens["u"] + gens["u"].H
    True
    >>> parse_expr("3/4", {})                   # a constant polynomial
    3/4
    >>> parse_expr("x*z", gens)
    Traceback (most recent call last):
    ...
    freealg.api.parse.ParseError: unknown name 'z' (declared: u, x; ...) at position 2:
        x*z
          ^

    Parameters
    ----------
    text : str
        The expression (at most ``MAX_CHARS`` = 100000 characters, parentheses nested at
        most ``MAX_NESTING`` = 100 deep, number literals of at most 100 characters with
        magnitudes in [1e-300, 1e300]).
    generators : dict
        Declared names, ``{name: NCPoly}`` (e.g. from :func:`parse_generator`).

    Returns
    -------
    NCPoly

    Raises
    ------
    ParseError
        On a syntax error, an unknown name, a division by a polynomial or by zero, an
        exponent that is not an integer in [0, 64], parentheses nested too deeply, or a
        number literal too long or out of range.
    SizeLimitError
        On a text longer than ``MAX_CHARS``.
    """
    val = _Parser(text, generators).parse()
    return val if isinstance(val, NCPoly) else NCPoly.constant(val)


def parse_number(text: str) -> sp.Expr:
    """A number: integer, decimal, fraction a/b, optionally negative (exact where possible).

    Integers, decimals and fractions give exact sympy Rationals; a number with an exponent
    (``1e-3``) gives a sympy Float.

    Examples
    --------
    >>> from freealg.api.parse import parse_number
    >>> parse_number("1/3"), parse_number("-0.25"), parse_number(" 2 ")
    (1/3, -1/4, 2)
    >>> parse_number("1e-3")
    0.00100000000000000
    >>> parse_number("x")
    Traceback (most recent call last):
    ...
    freealg.api.parse.ParseError: expected a number (e.g. 2, 0.5, 1/3) at position 0:
        x
        ^

    Parameters
    ----------
    text : str
        The number, e.g. ``'2'``, ``'0.5'``, ``'-1/3'``.

    Returns
    -------
    sympy Rational or Float
    """
    m = re.fullmatch(r"\s*([-+]?)\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)\s*(?:/\s*(\d+))?\s*",
                     text)
    if m is None:
        raise ParseError(text, 0, "expected a number (e.g. 2, 0.5, 1/3)")
    sign, num, den = m.groups()
    v = _number(num, text, m.start(2))
    if den is not None:
        if len(den) > MAX_NUMBER_CHARS:
            raise ParseError(text, m.start(3), f"number longer than {MAX_NUMBER_CHARS} "
                                               "characters")
        if int(den) == 0:
            raise ParseError(text, text.index("/"), "division by zero")
        v = v / int(den)
    return -v if sign == "-" else v


_GEN = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*=\s*([A-Za-z_][A-Za-z_0-9]*)"
                  r"\s*(?:\((.*)\))?\s*$", re.S)


def _split_args(text: str) -> list:
    """Top-level comma split that keeps [...] lists together."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [a.strip() for a in out]


def _arg(text: str):
    if text.startswith("["):
        if not text.endswith("]"):
            raise ParseError(text, len(text), "expected ']'")
        inner = text[1:-1].strip()
        return [parse_number(x) for x in inner.split(",")] if inner else []
    return parse_number(text)


def parse_generator(spec: str) -> tuple[str, NCPoly]:
    """``NAME=KIND[(args)]`` -> (name, generator); see the module docstring for the kinds.

    The arguments are numbers (:func:`parse_number`) or bracketed lists of numbers. A law of
    the catalog gives a self-adjoint generator with that law.

    Examples
    --------
    >>> from freealg.api.parse import parse_generator
    >>> name, p = parse_generator("p=projection(1/3)")
    >>> name, p, p.generators[0].kind, p.generators[0].params
    ('p', p, 'projection', (1/3,))
    >>> name, d = parse_generator("d = discrete([-1, 1], [1/4, 3/4])")
    >>> d.generators[0].law()
    discrete(points=[-1, 1], weights=[1/4, 3/4])
    >>> parse_generator("x=gaussian")
    Traceback (most recent call last):
    ...
    freealg.api.parse.ParseError: unknown kind 'gaussian' (known: ...) at position 2:
        x=gaussian
          ^

    Parameters
    ----------
    spec : str
        The declaration, e.g. ``'x=semicircle'``, ``'y=semicircular(2)'``,
        ``'w=marchenko_pastur(1/2)'``.

    Returns
    -------
    tuple of (str, NCPoly)
        The name and the generator (a degree-1 NCPoly).
    """
    from .. import laws

    if not isinstance(spec, str):
        raise InvalidParameterError("law", spec, "expected NAME=SPEC, e.g. x=semicircle")
    m = _GEN.match(spec)
    if m is None:
        raise ParseError(spec, 0, "expected NAME=SPEC, e.g. x=semicircle or "
                                  "p=projection(1/3)")
    name, kind, argtext = m.groups()
    if name == "I":
        raise ParseError(spec, spec.index("I"), "'I' is the imaginary unit; choose another name")
    args = []
    cursor = m.start(3) if argtext else 0
    for a in (_split_args(argtext) if argtext else []):
        start = spec.find(a, cursor)
        try:
            args.append(_arg(a))
        except ParseError as e:             # the position in the whole declaration
            raise ParseError(spec, max(start, 0) + e.pos, e.message) from None
        cursor = max(start, cursor) + len(a)
    gens: dict[str, Callable[..., Any]] = {
        "semicircle": semicircular, "semicircular": semicircular, "circular": circular,
        "haar_unitary": haar_unitary, "haar_orthogonal": haar_orthogonal,
        "projection": projection}
    lawf: dict[str, Callable[..., Any]] = {
        "bernoulli": laws.bernoulli, "dirac": laws.dirac, "discrete": laws.discrete,
        "marchenko_pastur": laws.marchenko_pastur, "free_poisson": laws.free_poisson,
        "arcsine": laws.arcsine, "uniform": laws.uniform, "semicircle_law": laws.semicircle}
    try:
        if kind in gens:
            return name, gens[kind](name, *args)
        if kind in lawf:
            return name, selfadjoint(name, lawf[kind](*args))
    except TypeError as e:
        raise ParseError(spec, spec.index(kind), f"wrong arguments for {kind}: {e}") from None
    known = ", ".join(sorted(set(gens) | set(lawf)))
    raise ParseError(spec, spec.index(kind), f"unknown kind {kind!r} (known: {known})")
