"""Shared test configuration.

* Precision is local: library code must use ``mpmath.workdps`` and never assign
  ``mpmath.mp.dps``. The autouse fixture below records the global precision before each test,
  restores it afterwards (so one faulty test cannot poison the others) and fails the test if it
  changed.
* Hypothesis: one profile with no per-example deadline (the numeric solvers have a large
  first-call cost), few examples and a fixed seed, so the property tests stay fast and
  reproducible; no example database and no "explain" phase (which writes patch files).
* linecache.checkcache tolerates entries that vanish while it runs (below).
"""

from __future__ import annotations

import linecache
import os
import sys
import tempfile

import mpmath
import pytest

if sys.version_info < (3, 13):
    # sympy's lambdify puts each generated function's source in linecache and deletes the entry
    # from a weakref finalizer when the function is collected. A collection that lands inside
    # linecache.checkcache (between its list(cache.keys()) and cache[filename]) raised
    # KeyError: '<lambdifygenerated-N>' from doctest's pdb reset (seen once in CI, in the
    # doctest of freealg.errors.BranchError). The same loop, tolerant of an entry that has
    # vanished in between, as later CPython versions have it.
    def _checkcache(filename=None):
        if filename is None:
            filenames = list(linecache.cache.keys())
        elif filename in linecache.cache:
            filenames = [filename]
        else:
            return
        for name in filenames:
            entry = linecache.cache.get(name)
            if entry is None or len(entry) == 1:
                continue        # gone meanwhile, or a lazy entry (left lazy)
            size, mtime, _, fullname = entry
            if mtime is None:
                continue        # loaded via a __loader__ (or lambdify): no file to check
            try:
                stat = os.stat(fullname)
            except OSError:
                linecache.cache.pop(name, None)
                continue
            if size != stat.st_size or mtime != stat.st_mtime:
                linecache.cache.pop(name, None)

    linecache.checkcache = _checkcache

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
