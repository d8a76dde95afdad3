"""Neural-network spectra from an architecture (``fa.nn``): see :mod:`freealg.nn.mlp`."""

from .activations import ACTIVATIONS, activation_expr
from .meanfield import MeanField, critical_sigma_w
from .mlp import MLP
from .attention import (AttentionRegimeWarning, attention_polynomial, attention_spectrum,
                        attention_system, attention_threshold, sample_attention)
from .projection import (free_random_projection, free_random_projection_kernel_spectrum,
                         random_word, average_kernel_law)
from .residual_fisher import ResidualFisher
from .residual_fisher_smooth import SmoothResidualFisher
from .sweeps import PhaseDiagram, SweepResult, phase_diagram, sweep

__all__ = ["MLP", "MeanField", "critical_sigma_w", "ACTIVATIONS", "activation_expr"]
__all__ += ["attention_spectrum", "attention_system", "attention_polynomial", "sample_attention",
            "attention_threshold", "AttentionRegimeWarning", "free_random_projection",
            "free_random_projection_kernel_spectrum", "random_word"]
__all__ += ["sweep", "SweepResult", "phase_diagram", "PhaseDiagram"]
__all__ += ["average_kernel_law", "ResidualFisher", "SmoothResidualFisher"]
