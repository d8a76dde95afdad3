"""Distribution methods shared by every law (summary statistics in the scipy.stats sense).

The methods are written against the public protocol of a law (``moment``, ``moments``,
``density``, ``atoms``, ``support``), so this engine module does not import ``freealg.laws``.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["DistributionMixin"]


class DistributionMixin:
    """Summary statistics of a law, from its exact moments."""

    __slots__ = ()

    @property
    def mean(self):
        """The first moment (exact).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2, 3).mean     # rate * jump
        6
        """
        return self.moment(1)

    @property
    def variance(self):
        """The variance m_2 - m_1^2 (exact).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2, 3).variance     # rate * jump^2
        18
        """
        m1, m2 = self.moments(2)
        return sp.simplify(m2 - m1**2)

