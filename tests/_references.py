"""Reference formulas shared by several test files (independent of freealg's engine)."""

import sympy as sp


def wachter_edges(alpha, beta):
    """lambda_pm = alpha + beta - 2 alpha beta +- sqrt(4 alpha beta (1-alpha)(1-beta))
    (Wachter 1980; Collins 2005)."""
    a, b = sp.sympify(alpha), sp.sympify(beta)
    c = a + b - 2 * a * b
    r = sp.sqrt(4 * a * b * (1 - a) * (1 - b))
    return c - r, c + r
