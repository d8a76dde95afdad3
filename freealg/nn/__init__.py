"""Neural-network spectra from an architecture (``fa.nn``): see :mod:`freealg.nn.mlp`."""

from .activations import ACTIVATIONS, activation_expr
from .meanfield import MeanField, critical_sigma_w
from .mlp import MLP

__all__ = ["MLP", "MeanField", "critical_sigma_w", "ACTIVATIONS", "activation_expr"]
