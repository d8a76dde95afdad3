"""The support-hull walk of the edge scan must not contour-check a float rounding gap.

A product of many factors has a lower hull bound such as 2e-32 (the product of the factors'
bounds). Walking in from that end towards the mean c, the first grid point c + (end - c)
rounds to 0.0, which differs from ``end`` only by rounding; the walk then asked for a contour
integral of G around [0, 2e-32] next to a hard edge (85 s for the tanh Jacobian at L = 3).
The reference here is exact: a uniform density on [0, 1], so the hull must stay as given.
"""
import numpy as np
import pytest

from freealg.numeric import edges as E


class _Uniform:
    """The uniform law on [0, 1] with a lower hull bound that rounds away next to the mean."""

    _scale = 1.0

    def _hull_float(self):
        return 2e-32, 1.0

    def _mean_float(self):
        return 0.5

    def _atoms_float(self):
        return []

    def _density_np(self, x):
        x = np.asarray(x, dtype=float)
        return np.where((x >= 0) & (x <= 1), 1.0, 0.0)


@pytest.fixture
def calls(monkeypatch):
    """The (cut, end) pairs the walk asks the contour check about (each answered "no mass")."""
    seen = []

    def no_mass(law, cut, end, width):
        seen.append((cut, end))
        return True

    monkeypatch.setattr(E, "_no_mass_between", no_mass)
    return seen


def test_rounding_gap_is_not_contour_checked(calls):
    assert 0.5 + (2e-32 - 0.5) == 0.0          # the rounding this test is about
    lo, hi = E._tight_hull(_Uniform())
    assert (lo, hi) == (2e-32, 1.0)
    assert calls == []


def test_real_gap_is_still_checked(calls):
    """Control: a hull end well away from the density is still checked by the contour."""

    class Loose(_Uniform):
        def _hull_float(self):
            return -1.0, 1.0

    lo, hi = E._tight_hull(Loose())
    assert calls and calls[0][1] == -1.0
    assert -1.0 < lo <= 0.0
