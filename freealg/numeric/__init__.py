"""The numeric engine, and SpectralSolution (density, atoms, edges, support, moments).

The engine modules (``freealg.numeric.curve``, ...) know nothing about laws, polynomials or
the compiler: they work on plain numbers, sympy polynomials and callables, so the laws (a lower
layer) can use them. ``SpectralSolution`` and ``spectrum`` solve compiled Systems and sit above
the compiler; they are imported lazily here so that importing an engine module never imports
the compiler.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SpectralSolution", "spectrum"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import solution

        return getattr(solution, name)
    raise AttributeError(f"module 'freealg.numeric' has no attribute {name!r}")
