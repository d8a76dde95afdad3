"""Fitting free models to observed spectra by the Cauchy noise loss (Hayase,
arXiv:1804.03154): :func:`fit` for models with symbolic parameters, :func:`fit_atoms` for the
atoms of a discrete law behind a signal-plus-noise or compound Wishart spectrum."""

from .atoms import AtomsResult, fit_atoms
from .core import (FitResult, IdentifiabilityWarning, Objective, cauchy_noise_loss,
                   default_gamma, fit)
from .residual import r_transform, residual

__all__ = ["fit", "fit_atoms", "FitResult", "AtomsResult", "IdentifiabilityWarning",
           "cauchy_noise_loss", "default_gamma", "residual", "r_transform", "Objective"]
