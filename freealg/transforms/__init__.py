"""Exact transform algebra: moments, free cumulants, R/S-transform series."""
