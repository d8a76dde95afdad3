"""Rich display (issue 17, item 2): HTML/LaTeX reprs whose numbers show their own precision.

References used below (never the code's own output):
* x + y, x, y free standard semicirculars: the semicircle of variance 2, edges +-2 sqrt 2
  (Voiculescu's free central limit / R-transforms add: R(z) = 2z).
* free_poisson(lambda), lambda < 1: atom 1 - lambda at 0, bulk [(1 - sqrt lambda)^2,
  (1 + sqrt lambda)^2] (Marchenko-Pastur 1967; Nica-Speicher, Lecture 12).
* p q p, tau(p) = 1/2, tau(q) = 1/3 free projections: atom max(1 - 1/2, 1 - 1/3) = 2/3 at 0 and
  bulk edges 1/2 -+ sqrt(2)/3 (Wachter 1980); m_1 = tau(p) tau(q) = 1/6.
* digits of sqrt 2 (OEIS A002193) and pi (OEIS A000796), typed in.
* ReLU with sigma_w = sqrt 2, sigma_b = 0 is critical: chi = sigma_w^2 E[phi'(h)^2] = 2 * 1/2 = 1
  (He et al. 2015; Poole et al. 2016).
"""

from __future__ import annotations

import base64
import re
import sys
from html.parser import HTMLParser

import mpmath
import pytest
import sympy as sp

import freealg as fa
from freealg.numeric import display
from freealg.numeric.display import error_text, number_text, shown

SQRT2 = "1.41421356237309504880168872420969807856967187537694807317667973799"  # OEIS A002193
PI = "3.14159265358979323846264338327950288419716939937510582097494459230"     # OEIS A000796


def _rounded(literal: str, digits: int) -> str:
    """A typed-in reference rounded to ``digits`` significant digits."""
    with mpmath.workdps(80):
        return mpmath.nstr(mpmath.mpf(literal), digits)
VOID = {"br", "img", "hr", "meta", "input", "link"}


class _Page(HTMLParser):
    """Collects the text of every ``span.fa-num`` (and the ``± error`` after it), checks that
    the tags nest, and records the text and image sources."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.nums: list[list] = []      # [digits, error text or None]
        self.text: list[str] = []
        self.imgs: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "span" and a.get("class") in ("fa-num", "fa-err"):
            self._in = a["class"]

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        self._in = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in == "fa-num":
            self.nums.append([data, None])
        elif self._in == "fa-err" and data.startswith("± ") and self.nums:
            self.nums[-1][1] = data[2:]


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    assert p.stack == [], f"unclosed tags {p.stack}"
    return p


def _sig_digits(text: str) -> int:
    return len(re.sub(r"^[-+0.]*", "", text.split("e")[0]).replace(".", ""))


# --------------------------------------------------------------------------------------------
# numbers at their own precision


def test_mpf_shows_the_digits_it_was_computed_with():
    with mpmath.workdps(30):
        r = mpmath.sqrt(2)
    assert shown(r) == (_rounded(SQRT2, 30), None)      # 30 significant digits, not 15
    assert _rounded(SQRT2, 30) == "1.41421356237309504880168872421"
    with mpmath.workdps(50):
        r50 = mpmath.sqrt(2)
    assert shown(r50) == (_rounded(SQRT2, 50), None)
    assert shown(r50, dps=12)[0] == "1.41421356237"     # at most dps digits when asked


@pytest.mark.parametrize("k", [5, 12, 20, 33])
def test_shown_error_bounds_the_shown_digits(k):
    """If |x - pi| <= err then |shown(x) - pi| <= shown error (the error shown is honest)."""
    with mpmath.workdps(60):
        true = mpmath.mpf(PI)
        err = mpmath.mpf(10) ** -k * 3
        for x in (true + 0.9 * err, true - 0.7 * err, true):
            text, etext = shown(+x, error=err)
            assert etext is not None
            assert abs(mpmath.mpf(text) - true) <= mpmath.mpf(etext)
            assert mpmath.mpf(etext) >= err
            # the digits stop near the error: no more than two beyond its leading digit
            assert _sig_digits(text) <= k + 3


@pytest.mark.parametrize("e", ["1e-30", "1.1196e-30", "9.99e-7", "0.00031", "5"])
def test_error_text_rounds_up(e):
    assert mpmath.mpf(error_text(mpmath.mpf(e))) >= mpmath.mpf(e) * (1 - 2**-40)
    assert mpmath.mpf(error_text(mpmath.mpf(e))) <= mpmath.mpf(e) * 1.11


def test_exact_values_stay_exact():
    assert shown(sp.Rational(1, 2)) == ("1/2", None)
    assert shown(2 * sp.sqrt(2)) == ("2*sqrt(2)", None)
    assert number_text(sp.Integer(3)) == "3"
    # and irrational ones get their digits in HTML, equal to sqrt 2 to the requested dps
    frag = display.number_html(sp.sqrt(2), dps=25)
    assert _rounded(SQRT2, 25) in frag


# --------------------------------------------------------------------------------------------
# records


def test_record_reprs_are_short_and_keep_exact_text():
    assert repr(fa.semicircle(1).edges()) == ("[Edge(location=-2, kind='soft', error=0, "
                                              "side='left'), Edge(location=2, kind='soft', "
                                              "error=0, side='right')]")
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x + y, dps=30)
    edges = sol.edges()
    text = repr(edges) + repr(sol.support())
    assert "mpf(" not in text
    m = re.search(r"Edge\(location=([-0-9.]+), kind='soft', error=([-0-9.e]+), side='right'\)",
                  text)
    assert m, text
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(m.group(1)) - mpmath.sqrt(8)) <= mpmath.mpf(m.group(2))
    assert _sig_digits(m.group(1)) >= 29


def test_atom_displays_of_free_poisson_half():
    (atom,) = fa.free_poisson(sp.Rational(1, 2)).atoms()   # mass 1 - 1/2 at 0
    assert repr(atom) == "Atom(location=0, mass=1/2, error=0)"
    page = _parse(atom._repr_html_())
    assert [n for n, _ in page.nums] == ["0", "1/2"] and "exact" in "".join(page.text)
    assert atom._repr_latex_() == r"$\frac{1}{2}\,\delta_{0}$"


def test_edge_and_band_latex():
    e = fa.Edge(sp.sqrt(2), "soft", 0, "right")
    assert e._repr_latex_() == r"$x = \sqrt{2}\quad\text{(soft, right)}$"
    assert fa.Band(1, 9)._repr_latex_() == r"$\left[1, 9\right]$"
    assert "hard edge at" in fa.Edge(0, "hard", 0, "left")._repr_html_()


# --------------------------------------------------------------------------------------------
# SpectralSolution


@pytest.mark.parametrize("dps", [30, 50])
def test_spectrum_html_shows_edges_to_the_requested_digits(dps):
    x, y = fa.semicircular("x"), fa.semicircular("y")
    page = _parse(fa.spectrum(x + y, dps=dps)._repr_html_())
    with mpmath.workdps(dps + 20):
        edge = mpmath.sqrt(8)                           # +-2 sqrt 2
        ref = mpmath.nstr(edge, dps)
        near = [(t, e) for t, e in page.nums
                if abs(abs(mpmath.mpf(t)) - edge) < mpmath.mpf(10) ** (2 - dps)]
        assert len(near) >= 4                           # two edges, one band (lo, hi)
        for t, e in near:
            assert e is not None                        # a numerically found edge: its error
            assert abs(abs(mpmath.mpf(t)) - edge) <= mpmath.mpf(e)
            assert _sig_digits(t) >= dps - 1
            assert mpmath.mpf(e) < mpmath.mpf(10) ** (2 - dps)
    assert ref in "".join(page.text)
    txt = "".join(page.text)
    nums = [t for t, _ in page.nums]
    moments = ["0", "2", "0", "8", "0", "40"]           # 2^(k/2) Catalan(k/2), exact
    assert any(nums[i:i + 6] == moments for i in range(len(nums))) and "m6" in txt
    assert "curve" in txt or "formula" in txt            # the strategy is shown


def test_spectrum_html_exact_atoms_and_exact_edges():
    p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
    page = _parse(fa.spectrum(p * q * p, dps=20)._repr_html_())
    nums = [t for t, _ in page.nums]
    assert "2/3" in nums and "1/6" in nums             # Wachter atom; m_1 = tau(p) tau(q)
    with mpmath.workdps(40):
        half, r = mpmath.mpf(1) / 2, mpmath.sqrt(2) / 3
        for edge in (half - r, half + r):
            hits = [(t, e) for t, e in page.nums if "/" not in t
                    and abs(mpmath.mpf(t) - edge) < 1e-15]
            assert hits and all(abs(mpmath.mpf(t) - edge) <= mpmath.mpf(e) for t, e in hits)
    # free_poisson(1/2): exact edges 3/2 -+ sqrt 2 with their digits at the requested dps
    mp_page = _parse(display.spectrum_html(fa.free_poisson(sp.Rational(1, 2)), 25,
                                           title="MP", plot=False))
    txt = "".join(mp_page.text)
    assert "1/2" in [t for t, _ in mp_page.nums] and "3/2 - sqrt(2)" in txt
    with mpmath.workdps(40):
        assert mpmath.nstr(mpmath.mpf(3) / 2 + mpmath.sqrt(2), 25) in txt


def test_spectrum_latex():
    p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
    tex = fa.spectrum(p * q * p, dps=15)._repr_latex_()
    assert tex.startswith("$") and tex.endswith("$")
    assert r"\frac{2}{3}\,\delta_{0}" in tex and r"\frac{1}{6}" in tex
    assert "\t" not in tex and r"\text{support: }" in tex


def test_html_escapes_names():
    a, b = fa.semicircular("a<b"), fa.semicircular("x&y")
    page = fa.spectrum(a + b, dps=15)._repr_html_()
    parsed = _parse(page)
    assert "a&lt;b" in page and "x&amp;y" in page and "a<b" not in page.replace("a&lt;b", "")
    assert "a<b + x&y" in "".join(parsed.text) or "a<b" in "".join(parsed.text)


class _Broken:
    """A law-like object whose parts fail with messages that need escaping."""

    def atoms(self):
        raise fa.InvalidParameterError("x", "<script>", "a & b")

    def edges(self, dps):
        return []

    def support(self, dps):
        return []

    def moments(self, n):
        return [sp.Rational(1, 3)] * n


def test_a_failing_part_shows_its_escaped_error():
    page = display.spectrum_html(_Broken(), 20, title="<T&>", items=[("<k>", "v")])
    parsed = _parse(page)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;T&amp;&gt;" in page
    txt = "".join(parsed.text)
    assert "not available (InvalidParameterError" in txt and "1/3" in txt


def test_plot_with_and_without_matplotlib(monkeypatch):
    x, y = fa.semicircular("x"), fa.semicircular("y")
    sol = fa.spectrum(x + y, dps=15)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    page = _parse(sol._repr_html_())
    assert page.imgs == []
    assert "2.82842712474619" in "".join(page.text)
    monkeypatch.undo()
    pytest.importorskip("matplotlib")
    page = _parse(sol._repr_html_())
    assert len(page.imgs) == 1
    src = page.imgs[0]
    assert src.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    assert "<svg" in svg and "density" in svg


def test_plot_does_not_touch_pyplot_or_backend():
    mpl = pytest.importorskip("matplotlib")
    backend = mpl.get_backend()
    had_pyplot = "matplotlib.pyplot" in sys.modules
    mu = fa.free_poisson(sp.Rational(1, 2))
    assert display.density_image(mu, mu.support(), mu.atoms(), mu.edges())
    assert mpl.get_backend() == backend
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


# --------------------------------------------------------------------------------------------
# reports and networks


def test_comparison_report_display():
    from freealg.montecarlo import compare, sample

    x = fa.semicircular("x")
    rep = compare(fa.semicircle(1), sample(x, n=150, seed=1), moments=3)
    r = repr(rep)
    assert len(r) < 200 and r.startswith("ComparisonReport(") and "KS=" in r
    page = _parse(rep._repr_html_())
    txt = "".join(page.text)
    assert ("AGREES" in txt) == rep.agrees and "KS" in txt and "<pre>" in rep._repr_html_()


def test_freeness_report_display():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    rep = fa.freeness_test(x, y, n_values=(20, 40), trials=3, orders=1, seed=0)
    r = repr(rep)
    assert len(r) < 200 and rep.verdict in r
    page = _parse(rep._repr_html_())
    txt = "".join(page.text)
    assert "tr(a b)" in txt and rep.verdict.upper() in txt


def test_mlp_display():
    net = fa.nn.MLP(depth=2, activation="relu")
    page = _parse(net._repr_html_())
    txt = "".join(page.text)
    assert "sqrt(2)" in txt and "critical" in txt and "D2*O2*D1*O1" in txt
    assert repr(net) == ("MLP(depth=2, activation='relu', weights='orthogonal', "
                         "sigma_w=sqrt(2), sigma_b=0)")
    mf = _parse(fa.nn.MeanField("relu", sigma_w=1, sigma_b=1)._repr_html_())
    assert "0.5 (ordered)" in "".join(mf.text)         # chi = 1 * 1/2
