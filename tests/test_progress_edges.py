"""progress= on the numeric edge and support searches (Law.edges / Law.support and the
SpectralSolution methods): stages reported with progress=True, nothing with False or None
(tests are never interactive), identical results either way."""

from __future__ import annotations

import re

import pytest
import sympy as sp

import freealg as fa
from freealg import progress
from freealg.errors import InvalidParameterError

LINE = re.compile(r"^\[(\d+)/\?\] (freealg\.(?:edges|support))(?:: (.+))?$")


@pytest.fixture
def lines(monkeypatch):
    """The plain-line fallback (as without tqdm) so that the stages can be read."""
    monkeypatch.setattr(progress, "_tqdm_class", lambda: None)


def _law():
    # a fresh law each time (results are cached per law object): free Poisson ⊞ semicircle,
    # searched by the fold strategy (a density scan, float64 brackets, fold Newton per edge)
    return fa.free_additive(fa.free_poisson(1), fa.semicircle(1))


def _stages(err: str, desc: str) -> list[tuple[int, str]]:
    out = []
    for ln in err.splitlines():
        m = LINE.match(ln)
        if m and m.group(2) == desc:
            out.append((int(m.group(1)), m.group(3) or ""))
    return out


def test_edges_report_stages_and_same_numbers(capsys, lines):
    law = _law()
    quiet = law.edges(dps=20, method="fold")
    assert capsys.readouterr().err == ""               # None: never in a test run
    loud = _law().edges(dps=20, method="fold", progress=True)
    steps = _stages(capsys.readouterr().err, "freealg.edges")
    # counted in order: the scan, one stage per edge bracket (one band: two ends), the audit
    assert [k for k, _ in steps] == list(range(1, len(steps) + 1))
    notes = [n for _, n in steps]
    assert notes[0].startswith("float64 scan")
    assert sum(n.startswith("edge ") for n in notes) == 2 and "mass audit" in notes
    for a, c in zip(quiet, loud):      # identical records, not just close
        assert (a.location, a.kind, a.error, a.side) == (c.location, c.kind, c.error, c.side)
    law.support(dps=20, method="fold", progress=False)
    assert capsys.readouterr().err == ""


def test_support_reports_and_solution_passes_it_on(capsys, lines):
    x, p = fa.semicircular("x"), fa.projection("p", sp.Rational(1, 2))
    sol = fa.spectrum(x + p, dps=20)          # edges from the algebraic curve, then the audit
    quiet = sol.support(progress=False)
    assert capsys.readouterr().err == ""
    sol2 = fa.spectrum(x + p, dps=20)
    loud = sol2.support(progress=True)
    assert [s for _, s in _stages(capsys.readouterr().err, "freealg.support")] == ["mass audit"]
    assert [(b.lo, b.hi) for b in quiet] == [(b.lo, b.hi) for b in loud]
    # cached now: nothing left to report
    assert [e.location for e in sol2.edges(progress=True)] == [e.location for e in sol.edges()]


def test_closed_forms_and_cached_results_are_not_slow(capsys, lines):
    # a closed form is never reported with None; True still reports (the bar opens and closes)
    fa.semicircle(1).edges()
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", ["yes", 1, 0.0, [True]])
def test_bad_progress_values_raise(bad):
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.semicircle(1).edges(progress=bad)
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.semicircle(1).support(progress=bad)
    x = fa.semicircular("x")
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.spectrum(x).support(progress=bad)
