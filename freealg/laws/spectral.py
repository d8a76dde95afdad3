"""Numeric support, edges, atom confirmation, mass and moment checks (a re-export).

The algorithms live in the engine module :mod:`freealg.numeric.edges`; this module keeps the
documented import path ``freealg.laws.spectral``.

Examples
--------
>>> import freealg.numeric.edges
>>> from freealg.laws.spectral import numeric_support
>>> numeric_support is freealg.numeric.edges.numeric_support
True
"""

from __future__ import annotations

from ..numeric.edges import (confirm_atoms, contour_moments, mass_check, numeric_edges,
                             numeric_support)

__all__ = ["numeric_support", "numeric_edges", "confirm_atoms", "mass_check",
           "contour_moments"]
