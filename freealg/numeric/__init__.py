"""Solving Systems: SpectralSolution (density, atoms, edges, support, moments, diagnostics)."""

from .solution import SpectralSolution, spectrum

__all__ = ["SpectralSolution", "spectrum"]
