"""The optional-package helpers of :mod:`freealg.deps` under their earlier Monte Carlo path.

They live in :mod:`freealg.deps` (below every package, so that ``nn`` and ``plotting`` use them
without reaching into ``montecarlo``); this module re-exports them for code that imports them
from here.

Examples
--------
>>> from freealg.montecarlo._deps import blas_threads, have
>>> from freealg import deps
>>> blas_threads is deps.blas_threads, have("math")
(True, True)
"""

from ..deps import EXTRAS, blas_threads, have, require
from ..errors import OptionalDependencyError

__all__ = ["OptionalDependencyError", "require", "have", "blas_threads", "EXTRAS"]
