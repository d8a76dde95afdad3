"""Monte Carlo: random-matrix realisations of polynomials, theory-vs-simulation reports and
numerical tests of asymptotic freeness.

This layer never imports the numeric solver (:mod:`freealg.numeric`), so the cross-check is
independent: :func:`compare` takes a SpectralSolution (or a Law) by duck typing.

Examples
--------
>>> import freealg as fa
>>> from freealg.montecarlo import sample, compare
>>> u = fa.haar_unitary("u")
>>> ev = sample(u + u.H, n=300, seed=0)
>>> compare(fa.arcsine(-2, 2), ev).agrees
True
"""

from ..errors import OptionalDependencyError
from .cdf import TheoryCDF, theory_cdf
from .compare import ComparisonReport, compare, ks_threshold
from .freeness import FreenessReport, freeness_test
from .sampling import SampledSpectrum, sample

__all__ = ["sample", "compare", "freeness_test", "ComparisonReport", "FreenessReport",
           "SampledSpectrum", "TheoryCDF", "theory_cdf", "ks_threshold",
           "OptionalDependencyError"]
