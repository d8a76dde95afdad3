"""Block dimensions of rectangular models: exact positive rationals in units of N.

A (p, q) generator is a (pN) x (qN) matrix; the free (N -> inf) limit keeps p and q exact, so
that rank atoms such as the mass 1 - p/q at 0 of X^T A X come out as exact rationals.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["dimension", "shape_pair"]

_REQUIREMENT = ("a block dimension is a positive rational in units of N: an int, a sympy "
                "Rational, a fractions.Fraction, an exact string such as '3/2', or a float that "
                "is a short binary fraction (1.5); not a symbol, NaN or an inexact float (0.1: "
                "use sympy.Rational(1, 10) or '1/10')")


def dimension(name: str, value: Any) -> sp.Rational:
    """An exact positive rational from ``value``, or InvalidParameterError naming ``name``.

    Examples
    --------
    >>> dimension("p", "3/2"), dimension("q", 2), dimension("d", 0.25)
    (3/2, 2, 1/4)
    >>> dimension("p", 0)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid p=0: a block dimension must be > 0
    """
    if isinstance(value, bool):
        raise InvalidParameterError(name, value, _REQUIREMENT)
    r: Any
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Rational):
            raise InvalidParameterError(name, value, _REQUIREMENT)
        r = value
    elif isinstance(value, numbers.Integral):
        r = sp.Integer(int(value))
    elif isinstance(value, Fraction):
        r = sp.Rational(value.numerator, value.denominator)
    elif isinstance(value, str):
        try:
            f = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise InvalidParameterError(name, value, _REQUIREMENT) from None
        r = sp.Rational(f.numerator, f.denominator)
    elif isinstance(value, numbers.Real):
        x = float(value)
        if x != x or x in (float("inf"), float("-inf")):
            raise InvalidParameterError(name, value, _REQUIREMENT)
        f = Fraction(x)
        if f.denominator > 1024:
            raise InvalidParameterError(name, value, _REQUIREMENT)
        r = sp.Rational(f.numerator, f.denominator)
    else:
        raise InvalidParameterError(name, value, _REQUIREMENT)
    if not r > 0:
        raise InvalidParameterError(name, value, "a block dimension must be > 0")
    return r


def shape_pair(name: str, shape: Any) -> tuple:
    """(rows, columns) as exact positive rationals.

    Examples
    --------
    >>> shape_pair("shape", (1, "3/2"))
    (1, 3/2)
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
        raise InvalidParameterError(name, shape, "a shape is a pair (rows, columns) of positive "
                                    "rationals, in units of N")
    return (dimension(f"{name}[0]", shape[0]), dimension(f"{name}[1]", shape[1]))
