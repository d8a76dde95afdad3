"""The mpmath continuation ends in bounded time at a point it cannot reach.

At a real point next to a hard edge at 0 (|G| ~ x^(-1/2) is huge) Newton cannot meet the
tolerance on the axis. The path used to retry the same height forever (the attention law of
fa.nn at x = 1e-12 hung the test suite); now it tries the last-resort Newton after a few dozen
steps and raises NoConvergence with the residual, and the float64 density does not send such a
point to the mpmath redo at all (that redo is for real points where G crosses 0).
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import pytest

import freealg as fa
from freealg.errors import NoConvergence


def test_path_at_a_hard_edge_point_ends_quickly():
    law = fa.nn.attention_spectrum(1, 2).law
    t = time.perf_counter()
    try:
        G = law._cauchy_mp(mpmath.mpc(1e-12), 16, "path")
    except NoConvergence as exc:
        assert exc.steps < 200
    else:
        # if it converges, G lies in the lower half plane (a Cauchy transform on the axis)
        assert mpmath.im(G) <= 0
    assert time.perf_counter() - t < 30


def test_float_density_next_to_the_hard_edge_is_fast_and_positive():
    law = fa.nn.attention_spectrum(1, 2).law
    x = np.array([1e-12, 1e-8, 1e-4])
    t = time.perf_counter()
    d = np.asarray(law.density(x), dtype=float)
    assert time.perf_counter() - t < 30
    # the density diverges like x^(-1/2) at the hard edge: d sqrt(x) has one limit (to 1e-3
    # between 1e-12 and 1e-8; the exact density at 1e-8 from the mpmath path, 16 digits)
    ref = float(law.density(mpmath.mpf("1e-8"), dps=16))
    assert d[1] == pytest.approx(ref, rel=1e-10)
    assert np.all(d > 0)
    assert d[0] * 1e-6 == pytest.approx(d[1] * 1e-4, rel=1e-3)
