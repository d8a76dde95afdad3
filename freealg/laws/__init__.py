"""Laws (probability distributions) as immutable value objects, and free convolutions."""

from .base import Atom, Band, Edge, Law
from .catalog import Arcsine, Bernoulli, Dirac, Discrete, FreePoisson, Semicircle, Uniform
from .continuous import FromDensity, GaussianPushforward
from .convolution import FreeAdditive, FreeMultiplicative, FreePower
from .derived import Affine, FreeCompression, FreeProduct, Mixture, MultiplicativeExponential
from .operator_valued import OperatorValued
from .independences import BooleanAdditive, BooleanPower, JacobiLaw, MonotoneAdditive
# the constructor functions live in freealg.constructors (imported last: it imports the classes)
from ..constructors import (affine, arcsine, bernoulli, dirac, discrete, empirical,
                            free_additive, free_binomial, free_compression, free_meixner,
                            free_multiplicative, free_poisson, free_power, free_product,
                            kesten_mckay, marchenko_pastur, mixture, multiplicative_exponential,
                            semicircle, uniform, wachter)
from ..constructors import (boolean_additive, boolean_power, boolean_to_free, from_density,
                            from_jacobi, gaussian_pushforward, monotone_additive)

__all__ = [
    "Law", "Atom", "Edge", "Band",
    "Semicircle", "FreePoisson", "Discrete", "Bernoulli", "Dirac", "Arcsine", "Uniform",
    "FromDensity", "GaussianPushforward", "from_density", "gaussian_pushforward",
    "FreeAdditive", "FreeMultiplicative", "FreeProduct", "FreePower", "FreeCompression", "Affine",
    "Mixture",
    "semicircle", "free_poisson", "marchenko_pastur", "bernoulli", "dirac", "discrete",
    "empirical", "arcsine", "uniform", "free_additive", "free_multiplicative", "free_product",
    "free_power",
    "free_compression", "affine", "mixture", "MultiplicativeExponential", "OperatorValued",
    "multiplicative_exponential",
    "free_meixner", "free_binomial", "kesten_mckay", "wachter",
    "BooleanAdditive", "MonotoneAdditive", "BooleanPower", "JacobiLaw", "boolean_additive",
    "monotone_additive", "boolean_power", "boolean_to_free", "from_jacobi",
]
