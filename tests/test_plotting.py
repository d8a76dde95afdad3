"""freealg.plotting: what is drawn equals the theory (issue 17, item 5), figures never touch
pyplot or the matplotlib back end (item 2), and bad input is refused before any work.

The figures are inspected through their artists (line data, stem segments), never through
pyplot; the references are closed forms from the literature, exact atoms, and counts computed
here from the sample.
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError

pytest.importorskip("matplotlib")
from freealg import plotting  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
Band = namedtuple("Band", "lo hi")
AtomT = namedtuple("AtomT", "location mass")


class TwoBands:
    """A law-like object written here: uniform density 1/2 on [-2, -1] and on [1, 2]."""

    def atoms(self):
        return []

    def support(self):
        return [Band(-2.0, -1.0), Band(1.0, 2.0)]

    def density(self, x):
        x = np.asarray(x, dtype=float)
        return np.where((np.abs(x) >= 1) & (np.abs(x) <= 2), 0.5, 0.0)


class Exploding:
    """Law-like, but any computation fails: shows that validation comes first."""

    def atoms(self):
        raise RuntimeError("computed")

    support = density = atoms


def _stems(fig):
    """(location, mass) of the atom stems on the right-hand axis."""
    out = []
    for ax in fig.axes[1:]:
        for c in ax.collections:
            if c.get_label() == "atoms":
                out += [(float(s[0][0]), float(s[1][1])) for s in c.get_segments()]
    return out


def _edges(ax):
    return sorted(float(s[0][0]) for c in ax.collections if c.get_label() == "support edges"
                  for s in c.get_segments())


# --------------------------------------------------------------------------------------------
# plot: density, atoms, edges against closed forms


def test_plot_semicircle_density_is_wigner():
    fig = plotting.plot(fa.semicircle(1))
    ax = fig.axes[0]
    assert len(fig.axes) == 1                        # no atoms, no atom axis
    xs, ys = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    # Wigner's semicircle law: sqrt(4 - x^2) / (2 pi) on [-2, 2]
    np.testing.assert_allclose(ys, np.sqrt(4 - xs**2) / (2 * np.pi), rtol=1e-8, atol=1e-12)
    assert xs.min() > -2 and xs.max() < 2 and xs.min() < -2 + 1e-4   # clustered at the edges
    assert _edges(ax) == [-2.0, 2.0]
    assert ax.get_title() == "semicircle(variance=1, mean=0)"


def test_plot_free_poisson_half_atom_stem_and_density():
    lam = sp.Rational(1, 2)
    fig = plotting.plot(fa.free_poisson(lam))
    # free Poisson with rate 1/2 < 1: atom 1 - 1/2 at 0 (Nica-Speicher, Lecture 12)
    assert _stems(fig) == [(0.0, 0.5)]
    ax = fig.axes[0]
    xs, ys = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    # density sqrt(4 lam - (x - 1 - lam)^2) / (2 pi x) on [(1 - sqrt lam)^2, (1 + sqrt lam)^2]
    exact = np.sqrt(np.maximum(0.0, 4 * 0.5 - (xs - 1.5) ** 2)) / (2 * np.pi * xs)
    np.testing.assert_allclose(ys, exact, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(_edges(ax), [(1 - math.sqrt(0.5)) ** 2, (1 + math.sqrt(0.5)) ** 2],
                               rtol=1e-12)
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert labels == ["1/2"]                           # the exact mass, written at the stem
    assert fig.axes[1].get_ylabel() == "atom mass"


def test_plot_purely_atomic_law():
    fig = plotting.plot(fa.bernoulli(sp.Rational(1, 4)))
    assert _stems(fig) == [(0.0, 0.75), (1.0, 0.25)]   # Bernoulli(1/4): 3/4 at 0, 1/4 at 1
    assert len(fig.axes[0].lines) == 0 and _edges(fig.axes[0]) == []


def test_plot_given_points_and_log_scale():
    x = [1.5, -1.0, 0.0, 3.0]            # unsorted, one point outside the support
    fig = plotting.plot(fa.semicircle(1), x=x, log=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    xs, ys = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert xs.tolist() == sorted(x)
    exact = np.sqrt(np.maximum(0, 4 - xs**2)) / (2 * np.pi)
    np.testing.assert_allclose(ys[:3], exact[:3], rtol=1e-10)
    assert np.isnan(ys[3])               # density 0 outside: left out of a log axis, not clipped


def test_plot_spectral_solution_title_and_caption():
    sol = fa.spectrum(fa.semicircular("x") + fa.semicircular("y"))
    fig = plotting.plot(sol, caption="free sum of two semicirculars")
    assert fig.axes[0].get_title() == "spectrum of x + y"
    assert [t.get_text() for t in fig.texts] == ["free sum of two semicirculars"]
    xs, ys = fig.axes[0].lines[0].get_xdata(), fig.axes[0].lines[0].get_ydata()
    # semicircle of variance 2: sqrt(8 - x^2) / (4 pi)
    np.testing.assert_allclose(ys, np.sqrt(8 - xs**2) / (4 * np.pi), rtol=1e-8, atol=1e-12)


def test_plot_into_user_axes_and_save(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert plotting.plot(fa.arcsine(-2, 2), ax=ax, title="arcsine") is fig
    assert ax.get_title() == "arcsine"
    for ext in ("png", "svg", "pdf"):
        out = plotting.plot(fa.semicircle(1), tmp_path / f"s.{ext}")
        assert out == tmp_path / f"s.{ext}" and out.stat().st_size > 1000
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------------------------
# Jupyter: a Figure without pyplot that shows itself


def test_figure_shows_itself_and_pickles():
    fig = plotting.plot(fa.semicircle(1))
    assert type(fig).__name__ == "Figure" and type(fig).__module__ == "freealg.plotting"
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    again = pickle.loads(pickle.dumps(fig))
    assert again.axes[0].get_title() == fig.axes[0].get_title()


def test_plotting_never_touches_pyplot_or_the_backend():
    # the user's back end (here "svg", as a notebook's inline back end would be) stays chosen,
    # and pyplot is never imported (the old code called matplotlib.use("Agg"))
    code = (
        "import sys, matplotlib\n"
        "matplotlib.use('svg')\n"
        "import numpy as np, freealg as fa\n"
        "fa.plotting.plot(fa.semicircle(1))\n"
        "fa.plotting.histogram(fa.semicircle(1), np.linspace(-1.9, 1.9, 50))\n"
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "print('ok')\n")
    import os

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MPLBACKEND", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env=env, cwd=str(ROOT))
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


# --------------------------------------------------------------------------------------------
# histogram: bins and the singular part


def test_histogram_support_bins_never_straddle_an_edge():
    rng = np.random.default_rng(0)
    n = 2000
    ev = rng.uniform(1, 2, n) * rng.choice([-1, 1], n)     # a sample of TwoBands
    fig = plotting.histogram(TwoBands(), ev)
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    lefts = np.array([b.get_x() for b in bars])
    rights = lefts + np.array([b.get_width() for b in bars])
    heights = np.array([b.get_height() for b in bars])
    for e in (-2.0, -1.0, 1.0, 2.0):
        assert not np.any((lefts < e - 1e-12) & (rights > e + 1e-12))   # no bin straddles e
        assert np.any(np.isclose(lefts, e) | np.isclose(rights, e))      # e is a bin edge
    assert np.sum(heights * (rights - lefts)) == pytest.approx(1.0, abs=1e-12)   # area = mass
    # bin width: Freedman-Diaconis, 2 IQR n^(-1/3) (Freedman and Diaconis 1981), rounded so
    # that each band holds a whole number of bins
    q75, q25 = np.percentile(ev, [75, 25])
    h = 2 * (q75 - q25) * n ** (-1 / 3)
    assert np.allclose(rights - lefts, 1.0 / math.ceil(1.0 / h))
    counts = np.array([np.sum((ev >= lo) & (ev < hi)) for lo, hi in zip(lefts, rights)])
    np.testing.assert_allclose(heights, counts / (n * (rights - lefts)), rtol=1e-9, atol=1)
    line = ax.lines[0]
    assert np.all(line.get_ydata() == 0.5)


def test_histogram_fd_and_numpy_bins():
    rng = np.random.default_rng(1)
    ev = rng.uniform(1, 2, 500)
    q75, q25 = np.percentile(ev, [75, 25])
    n_fd = math.ceil(np.ptp(ev) / (2 * (q75 - q25) * 500 ** (-1 / 3)))
    assert len(plotting.histogram(TwoBands(), ev, bins="fd").axes[0].patches) == n_fd
    assert len(plotting.histogram(TwoBands(), ev, bins=7).axes[0].patches) == 7


def test_histogram_singular_part_apart():
    p = fa.projection("p", sp.Rational(1, 2))
    q = fa.projection("q", sp.Rational(1, 3))
    sol = fa.spectrum(p * q * p)
    ev = fa.sample(p * q * p, n=300, seed=0)
    fig = plotting.histogram(sol, ev)
    # Wachter (1980): atom 1 - min(1/2, 1/3) = 2/3 at 0
    assert _stems(fig) == [(0.0, pytest.approx(2 / 3, abs=1e-15))]
    zeros = np.abs(np.asarray(ev)) <= 1e-9 * 1.0
    (marker,) = [ln for ln in fig.axes[1].lines if ln.get_label() == "atoms (sample)"]
    assert marker.get_ydata().tolist() == [zeros.mean()]
    ax = fig.axes[0]
    area = sum(b.get_height() * b.get_width() for b in ax.patches)
    assert area == pytest.approx(1 - zeros.mean(), abs=1e-12)   # the atom is not in the bars
    # band of p q p: (sqrt(a(1-b)) -+ sqrt(b(1-a)))^2 = 1/2 -+ sqrt(2)/3 (Wachter 1980)
    np.testing.assert_allclose(_edges(ax), [0.5 - math.sqrt(2) / 3, 0.5 + math.sqrt(2) / 3],
                               rtol=1e-10)
    lefts = [b.get_x() for b in ax.patches]
    assert min(abs(v - (0.5 - math.sqrt(2) / 3)) for v in lefts) < 1e-12


def test_histogram_without_sample_is_the_theory():
    fig = plotting.histogram(fa.semicircle(1), [])
    assert len(fig.axes[0].patches) == 0 and len(fig.axes[0].lines) == 1


# --------------------------------------------------------------------------------------------
# bad input: a freealg error, before anything is computed


@pytest.mark.parametrize("kwargs, match", [
    ({"path": "fig.txt"}, "extension"),
    ({"path": "/no/such/folder/fig.png"}, "does not exist"),
    ({"grid": 1}, "grid"),
    ({"grid": 2.5}, "grid"),
    ({"grid": True}, "grid"),
])
def test_plot_rejects_bad_options_before_computing(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        plotting.plot(Exploding(), **kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        plotting.histogram(Exploding(), [0.0], **kwargs)


def test_bad_input(tmp_path):
    folder = tmp_path / "dir.png"
    folder.mkdir()
    with pytest.raises(InvalidParameterError, match="folder"):
        plotting.plot(fa.semicircle(1), folder)
    with pytest.raises(InvalidParameterError, match="Law or SpectralSolution"):
        plotting.plot("semicircle")
    with pytest.raises(InvalidParameterError, match="finite"):
        plotting.plot(fa.semicircle(1), x=[])
    with pytest.raises(InvalidParameterError, match="finite"):
        plotting.plot(fa.semicircle(1), x=[0.0, np.nan])
    with pytest.raises(InvalidParameterError, match="finite"):
        plotting.histogram(fa.semicircle(1), [0.0, np.inf])
    with pytest.raises(InvalidParameterError, match="real numbers"):
        plotting.histogram(fa.semicircle(1), ["a", "b"])
    with pytest.raises(InvalidParameterError, match="bins"):
        plotting.histogram(fa.semicircle(1), [0.0, 0.5], bins="nonsense")
    with pytest.raises(InvalidParameterError, match="Axes"):
        plotting.plot(fa.semicircle(1), ax="not axes")
    with pytest.raises(AttributeError):
        plotting.NoSuchThing  # noqa: B018


def test_law_and_solution_plot_methods_delegate():
    # law.plot() and sol.plot() draw what plotting.plot draws: the free Poisson(1/2) atom at 0
    # with mass 1/2 (Marchenko-Pastur) as a stem
    pytest.importorskip("matplotlib")
    import sympy as sp

    fig = fa.free_poisson(sp.Rational(1, 2)).plot()
    density_ax, mass_ax = fig.axes
    assert mass_ax.get_ylabel() == "atom mass"
    assert any(np.allclose(line.get_xydata(), [[0.0, 0.5]]) for line in mass_ax.lines)
    # a semicircle has no atoms: one axis only
    fig = fa.spectrum(fa.semicircular("x")).plot()
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "density"
