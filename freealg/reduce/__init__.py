"""The compiler: polynomials -> Systems of subordination / R- / S-transform equations."""

from .linearize import Linearization, atom_candidates, linearization_system, linearize
from .rules import compile_expr, is_free
from .system import Step, System
from . import rectangular  # noqa: F401,E402  (registers the compiler of rectangular models)

__all__ = ["compile_expr", "is_free", "System", "Step", "Linearization", "linearize",
           "linearization_system", "atom_candidates"]
