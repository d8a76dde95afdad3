"""freealg: free probability as a computer-algebra extension (sympy + mpmath).

Examples
--------
>>> import freealg as fa
>>> rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
>>> rho.moments(3)
[1, 3, 8]
"""

from . import errors
from .errors import (BranchError, FreeAlgError, InvalidParameterError, NoConvergence,
                     NotFreeError, ReductionError, UndeterminedError)
from .laws import *  # noqa: F401,F403
from .laws import __all__ as _laws_all
from .printing import latex

__version__ = "0.1.0"

__all__ = list(_laws_all) + [
    "latex", "errors", "FreeAlgError", "InvalidParameterError", "NotFreeError", "ReductionError",
    "UndeterminedError", "NoConvergence", "BranchError",
]
