"""Shared test configuration.

* Precision is local: library code must use ``mpmath.workdps`` and never assign
  ``mpmath.mp.dps``. The autouse fixture below records the global precision before each test,
  restores it afterwards (so one faulty test cannot poison the others) and fails the test if it
  changed.
* Hypothesis: one profile with no per-example deadline (the numeric solvers have a large
  first-call cost), few examples and a fixed seed, so the property tests stay fast and
  reproducible; no example database and no "explain" phase (which writes patch files).
"""

from __future__ import annotations

import os
import tempfile

import mpmath
import pytest

# hypothesis keeps its example database and failure patches outside the working tree
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "freealg-hypothesis"))

try:
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile(
        "freealg",
        deadline=None,
        max_examples=10,
        derandomize=True,
        database=None,  # write nothing into the working tree
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    settings.load_profile("freealg")
except ImportError:  # pragma: no cover - hypothesis is a test extra
    pass


@pytest.fixture(autouse=True)
def _mpmath_precision_is_local():
    """Assert that a test leaves mpmath's global precision unchanged, and reset it."""
    dps0, prec0 = mpmath.mp.dps, mpmath.mp.prec
    pretty0 = mpmath.mp.pretty
    yield
    dps1, prec1, pretty1 = mpmath.mp.dps, mpmath.mp.prec, mpmath.mp.pretty
    # restore first, so that a failure here does not leak into later tests; this fixture is the
    # one place allowed to assign the global precision
    mpmath.mp.prec = prec0
    mpmath.mp.pretty = pretty0
    assert (dps1, prec1) == (dps0, prec0), (
        f"mpmath.mp.dps changed from {dps0} to {dps1} during the test: precision must be "
        f"local (use mpmath.workdps)")
    assert pretty1 == pretty0, "mpmath.mp.pretty changed during the test"
