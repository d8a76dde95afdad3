"""freealg: free probability as a computer-algebra extension (sympy + mpmath).

Examples
--------
>>> import freealg as fa
>>> rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
>>> rho.moments(3)
[1, 3, 8]
"""

from . import errors
from .errors import (BranchError, FreeAlgError, InvalidParameterError, LawArithmeticError,
                     NoConvergence, NotFreeError, ReductionError, SizeLimitError,
                     UndeterminedError)
from .errors import ShapeError  # noqa: E402
from .laws import *  # noqa: F401,F403
from .laws import __all__ as _laws_all
from . import rewrite as _rewrite  # noqa: F401  (registers the rules of Law.simplify)
from .numeric.boolean import boolean_cumulants, eta_transform  # noqa: E402
from .numeric.jacobi_law import jacobi_parameters  # noqa: E402
from .printing import latex
from .reduce import System, compile_expr, linearize
from .reduce import compile_expr as compile  # noqa: A001 (the API name)
from .numeric.solution import SpectralSolution, spectrum
from .reduce.brown import BrownMeasure, BrownSupport, brown_measure  # noqa: E402
from .algebra import (NCPoly, activation, circular, commuting, haar_orthogonal, haar_unitary,
                      projection, selfadjoint, semicircular, trace)
from .algebra import gaussian  # noqa: E402  (rectangular Gaussian matrices)
from .algebra.deterministic import deterministic  # noqa: E402  (rectangular deterministic)
from . import nn  # noqa: E402  (fa.nn.MLP: neural-network spectra, the top layer)
from .fitting import AtomsResult, FitResult, fit, fit_atoms  # noqa: E402  (Cauchy noise loss)
from . import plotting  # noqa: E402  (matplotlib imported lazily, in the plot extra)
from .montecarlo import (ComparisonReport, FreenessReport, SampledSpectrum,  # noqa: E402
                         compare, freeness_test, sample)

# the one place the version is written (pyproject.toml reads it: [tool.setuptools.dynamic])
__version__ = "0.1.0"

# the PyPI project "freealg" is a different package with the same import name: warn once
from .deps import warn_name_clash as _warn_name_clash  # noqa: E402

_warn_name_clash()

__all__ = list(_laws_all) + [
    "latex", "compile", "compile_expr", "System", "spectrum", "SpectralSolution", "NCPoly",
    "semicircular", "circular", "gaussian", "deterministic", "haar_unitary", "haar_orthogonal",
    "projection", "selfadjoint", "activation", "commuting", "trace", "linearize", "nn", "plotting",
    "sample", "compare", "freeness_test",
    "fit", "fit_atoms", "FitResult", "AtomsResult",
    "ComparisonReport", "FreenessReport", "SampledSpectrum", "errors", "FreeAlgError",
    "LawArithmeticError", "SizeLimitError", "ShapeError",
    "InvalidParameterError", "NotFreeError", "ReductionError",
    "UndeterminedError", "NoConvergence", "BranchError",
    "boolean_cumulants", "eta_transform", "jacobi_parameters",
    "brown_measure", "BrownMeasure", "BrownSupport",
]
