"""Numeric kernels: back ends, forward-mode derivatives, Newton continuation."""
