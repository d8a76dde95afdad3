"""Forward-mode derivatives for holomorphic residual systems.

A :class:`Dual` carries a value and its partial derivatives with respect to the unknowns of a
Newton system. The same code runs on mpmath scalars and on numpy arrays (vectorised over a
grid), because only ``+ - * /`` and user-supplied derivatives are used.

Examples
--------
>>> w = Dual.variable(2.0, 0, 2)          # unknown number 0 of 2, value 2
>>> f = w * w + 3 / w
>>> f.v, f.d[0]                            # 4 + 1.5, derivative 2w - 3/w^2 = 3.25
(5.5, 3.25)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = ["Dual", "lift"]


class Dual:
    """A value ``v`` with gradient ``d`` (a tuple, one entry per unknown)."""

    __slots__ = ("v", "d")

    def __init__(self, v: Any, d: Sequence[Any]):
        self.v = v
        self.d = tuple(d)

    @classmethod
    def constant(cls, v: Any, n: int) -> "Dual":
        return cls(v, (0,) * n)

    @classmethod
    def variable(cls, v: Any, index: int, n: int) -> "Dual":
        return cls(v, tuple(1 if i == index else 0 for i in range(n)))

    def apply(self, f_value: Any, f_deriv: Any) -> "Dual":
        """Chain rule: the Dual of f(self) given f(v) and f'(v)."""
        return Dual(f_value, tuple(f_deriv * di for di in self.d))

    # arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, Dual):
            return Dual(self.v + other.v, tuple(a + b for a, b in zip(self.d, other.d)))
        return Dual(self.v + other, self.d)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.v, tuple(-a for a in self.d))

    def __sub__(self, other):
        if isinstance(other, Dual):
            return Dual(self.v - other.v, tuple(a - b for a, b in zip(self.d, other.d)))
        return Dual(self.v - other, self.d)

    def __rsub__(self, other):
        return Dual(other - self.v, tuple(-a for a in self.d))

    def __mul__(self, other):
        if isinstance(other, Dual):
            return Dual(
                self.v * other.v,
                tuple(a * other.v + self.v * b for a, b in zip(self.d, other.d)),
            )
        return Dual(self.v * other, tuple(a * other for a in self.d))

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Dual):
            inv = 1 / other.v
            q = self.v * inv
            return Dual(q, tuple((a - q * b) * inv for a, b in zip(self.d, other.d)))
        inv = 1 / other
        return Dual(self.v * inv, tuple(a * inv for a in self.d))

    def __rtruediv__(self, other):
        inv = 1 / self.v
        q = other * inv
        return Dual(q, tuple(-q * inv * a for a in self.d))

    def __repr__(self) -> str:
        return f"Dual({self.v!r}, {self.d!r})"


def lift(x: Any, n: int) -> Dual:
    """Return ``x`` as a Dual (constants get a zero gradient)."""
    return x if isinstance(x, Dual) else Dual.constant(x, n)


def chain(f: Callable[[Any], Any], df: Callable[[Any], Any], x: Dual) -> Dual:
    """Apply a scalar holomorphic function with known derivative to a Dual."""
    return x.apply(f(x.v), df(x.v))
