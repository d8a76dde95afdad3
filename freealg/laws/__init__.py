"""Laws (probability distributions) as immutable value objects, and free convolutions."""

from .base import Atom, Band, Edge, Law
from .catalog import (Arcsine, Bernoulli, Dirac, Discrete, FreePoisson, Semicircle, Uniform,
                      arcsine, bernoulli, dirac, discrete, empirical, free_poisson,
                      marchenko_pastur, semicircle, uniform)
from .continuous import FromDensity, GaussianPushforward, from_density, gaussian_pushforward
from .convolution import (FreeAdditive, FreeMultiplicative, FreePower, free_additive,
                          free_multiplicative, free_power)
from .derived import (Affine, FreeCompression, FreeProduct, Mixture, MultiplicativeExponential,
                      affine, free_compression, free_product, mixture, multiplicative_exponential)
from .operator_valued import OperatorValued
from .families import free_binomial, free_meixner, kesten_mckay, wachter

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
]
