"""Progress reporting of slow calls (freealg.progress): the reporter, the engine hooks, and the
``progress=`` keyword of sample, freeness_test and nn.MLP.

The counts are checked against the number of steps each call makes by construction (trials,
trials x matrix sizes, the stages); results must be identical with and without reporting.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import freealg as fa
from freealg import progress
from freealg.errors import InvalidParameterError

LINE = re.compile(r"^\[(\d+)/(\d+|\?)\] (.+)$")


@pytest.fixture
def lines(monkeypatch):
    """Force the plain-line fallback (as without tqdm) so the output can be counted."""
    monkeypatch.setattr(progress, "_tqdm_class", lambda: None)


def _steps(err: str, desc: str) -> list[tuple[int, str]]:
    out = []
    for ln in err.splitlines():
        m = LINE.match(ln)
        if m and m.group(3).startswith(desc):
            out.append((int(m.group(1)), m.group(2)))
    return out


def test_lines_count_and_hooks(capsys, lines):
    with progress.bar(4, "work", True) as rep:
        assert progress.active() is rep
        progress.step()
        progress.step(2, "two at once")
        progress.stage("last")
    assert progress.active() is None
    err = capsys.readouterr().err.splitlines()
    assert err == ["[1/4] work", "[3/4] work: two at once", "[4/4] work: last"]
    progress.step()  # nothing active: nothing printed
    progress.stage("x")
    assert capsys.readouterr().err == ""


def test_disabled_and_automatic_print_nothing(capsys):
    # progress=None outside an interactive session (pytest: never interactive)
    assert not progress.interactive()
    for enabled in (None, False):
        with progress.bar(3, "quiet", enabled) as rep:
            assert progress.active() is None   # engine hooks are no-ops
            progress.step(3)
            rep.step(3)
        assert rep.count == 3 and not rep.enabled
    assert capsys.readouterr().err == ""


def test_disabled_inner_hides_outer(capsys, lines):
    with progress.bar(1, "outer", True):
        with progress.bar(5, "inner", False):
            progress.step(5)  # goes to the (silent) inner reporter
        progress.step()
    assert capsys.readouterr().err.splitlines() == ["[1/1] outer"]


def test_tqdm_style(capsys):
    pytest.importorskip("tqdm")
    with progress.bar(3, "bar", True, style="tqdm") as rep:
        for _ in range(3):
            rep.step()
    assert "bar" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["yes", 1, 0, 1.0, "True", [True]])
def test_bad_values_raise(bad):
    with pytest.raises(InvalidParameterError, match="progress"):
        progress.check(bad)
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.sample(fa.semicircular("x"), n=5, progress=bad)
    x, y = fa.semicircular("x"), fa.semicircular("y")
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.freeness_test(x, y, n_values=(5, 10), trials=2, progress=bad)
    with pytest.raises(InvalidParameterError, match="progress"):
        fa.nn.MLP(depth=1, progress=bad)
    net = fa.nn.MLP(depth=1)
    for call in (lambda: net.sample_jacobian(n=5, progress=bad),
                 lambda: net.sample_fisher(n=5, progress=bad),
                 lambda: net.lambda_max(progress=bad)):
        with pytest.raises(InvalidParameterError, match="progress"):
            call()


def test_bar_validates_style_and_total():
    with pytest.raises(InvalidParameterError, match="style"):
        progress.bar(1, "x", True, style="fancy")
    with pytest.raises(InvalidParameterError, match="total"):
        progress.bar(-1, "x", True)


def test_numpy_bool_accepted():
    assert progress.check(np.bool_(True)) is True


def test_sample_reports_each_trial_and_same_numbers(capsys, lines):
    x = fa.semicircular("x")
    quiet = fa.sample(x, n=30, trials=3, seed=4)
    assert capsys.readouterr().err == ""           # None in a non-interactive run
    loud = fa.sample(x, n=30, trials=3, seed=4, progress=True)
    steps = _steps(capsys.readouterr().err, "freealg.sample")
    assert steps == [(1, "3"), (2, "3"), (3, "3")]
    np.testing.assert_array_equal(quiet, loud)     # identical, not just close


def test_freeness_test_reports_trials_per_n(capsys, lines):
    x, y = fa.semicircular("x"), fa.semicircular("y")
    kw = dict(n_values=(10, 20), trials=3, orders=1, seed=2)
    quiet = fa.freeness_test(x, y, **kw)
    assert capsys.readouterr().err == ""
    loud = fa.freeness_test(x, y, progress=True, **kw)
    err = capsys.readouterr().err
    steps = _steps(err, "freealg.freeness_test")
    assert [k for k, _ in steps] == list(range(1, 7)) and {t for _, t in steps} == {"6"}
    assert err.count("n=10") == 3 and err.count("n=20") == 3
    assert quiet.exponent == loud.exponent and quiet.verdict == loud.verdict
    assert str(quiet) == str(loud)


def test_freeness_test_data_mode_counts_given_realisations(capsys, lines):
    rng = np.random.default_rng(0)
    data_a = [rng.standard_normal((6, 6)) for _ in range(2)]
    data_b = [rng.standard_normal((6, 6)) for _ in range(2)]
    fa.freeness_test(data_a, data_b, progress=True)
    assert [k for k, _ in _steps(capsys.readouterr().err, "freealg.freeness_test")] == [1, 2]


def test_mlp_stages_and_methods(capsys, lines):
    quiet = fa.nn.MLP(depth=2, activation="relu")
    assert capsys.readouterr().err == ""
    net = fa.nn.MLP(depth=2, activation="relu", progress=True)
    err = capsys.readouterr().err
    assert [k for k, _ in _steps(err, "freealg.nn.MLP")] == [1, 2]
    assert "critical sigma_w" in err
    assert (net.sigma_w, net.q) == (quiet.sigma_w, quiet.q)
    # lambda_max: H_2 = 1 + 2 bernoulli(1/2) for ReLU at criticality, top atom at 3
    assert net.lambda_max(dps=15, progress=True) == 3
    assert len(_steps(capsys.readouterr().err, "freealg.nn.MLP.lambda_max")) == 2
    a = net.sample_jacobian(n=12, trials=2, seed=1, progress=True)
    assert len(_steps(capsys.readouterr().err, "freealg.nn.MLP.sample_jacobian")) == 2
    np.testing.assert_array_equal(a, quiet.sample_jacobian(n=12, trials=2, seed=1))
    f = net.sample_fisher(n=12, trials=3, seed=1, progress=True)
    assert len(_steps(capsys.readouterr().err, "freealg.nn.MLP.sample_fisher")) == 3
    np.testing.assert_array_equal(f, quiet.sample_fisher(n=12, trials=3, seed=1))
    assert capsys.readouterr().err == ""
