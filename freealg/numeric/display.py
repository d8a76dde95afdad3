"""Rich display: numbers at their own precision, and HTML/LaTeX for results in Jupyter.

Engine layer: it works on plain numbers (Python, numpy, mpmath, sympy) and on duck-typed
objects with ``atoms()``, ``edges(dps=)``, ``support(dps=)``, ``moments(n)`` and
``density(array)``, so the records, SpectralSolution, the reports and the networks can all use
it without this module importing them.

How a number is shown
---------------------
* exact sympy values (``1/2``, ``2*sqrt(2)``) exactly; in HTML an irrational one also gets its
  value to the requested digits (``≈``);
* an mpmath ``mpf`` with the digits it carries: the bits of its mantissa give the precision it
  was computed at (an mpf from ``dps=30`` shows 30 digits, not the 15 of mpmath's global
  context), fewer when an error bound justifies fewer (one guard digit beyond the error's
  leading digit), and at most ``dps`` when a display precision is asked for;
* the error shown bounds the error of the *shown* digits: the computed error plus the rounding
  of the display, rounded up to two significant digits;
* Python and numpy floats as their shortest round-trip text.

Examples
--------
>>> import mpmath, sympy as sp
>>> from freealg.numeric.display import shown
>>> with mpmath.workdps(30):
...     r = mpmath.sqrt(8)
>>> shown(r)                                  # 30 digits, although mpmath.mp.dps is 15
('2.82842712474619009760337744842', None)
>>> shown(r, error=mpmath.mpf("1e-10"))       # the digits the error justifies, and the error
('2.82842712475', '1.1e-10')
>>> shown(sp.sqrt(8))                         # exact values stay exact
('2*sqrt(2)', None)
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp
from mpmath.libmp import prec_to_dps

__all__ = ["shown", "number_text", "error_text", "number_html", "number_latex", "table_html",
           "spectrum_html", "density_image", "escape", "band_errors"]

_STYLE = ("<style>.freealg-display table{border-collapse:collapse;margin:2px 0 6px 0}"
          ".freealg-display th,.freealg-display td{padding:1px 8px;text-align:left;"
          "font-variant-numeric:tabular-nums}.freealg-display .fa-err{color:#666}"
          ".freealg-display caption{text-align:left;font-weight:bold}</style>")


def escape(text: Any) -> str:
    """HTML-escape ``str(text)`` (``<``, ``>``, ``&`` and quotes).

    Examples
    --------
    >>> from freealg.numeric.display import escape
    >>> escape("p<q & r")
    'p&lt;q &amp; r'

    Parameters
    ----------
    text : object
        Anything; its ``str`` is escaped.

    Returns
    -------
    str
    """
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------------------------
# numbers


def _is_mpf(x: Any) -> bool:
    return isinstance(x, mpmath.mpf)


def _own_digits(x: mpmath.mpf) -> int:
    """Decimal digits carried by the mantissa of an mpf (its working precision)."""
    bc = x._mpf_[3]
    return max(1, prec_to_dps(bc)) if bc else 1


def _round_up_2(e: mpmath.mpf) -> str:
    """``e > 0`` rounded *up* to two significant digits, as text ('1.2e-30')."""
    with mpmath.workprec(64):
        k = int(mpmath.floor(mpmath.log10(e)))
        m = int(mpmath.ceil(e / mpmath.mpf(10) ** (k - 1) - mpmath.mpf(2) ** -40))
        if m <= 9:                     # log10 rounded down one decade too far
            k, m = k - 1, int(mpmath.ceil(e / mpmath.mpf(10) ** (k - 2)))
        if m >= 100:
            k, m = k + 1, 10
        return f"{m // 10}.{m % 10}e{k:+03d}".replace("e+0", "e+").replace("e-0", "e-")


def error_text(error: Any) -> str | None:
    """An error bound as text, rounded up to two significant digits (None when it is 0).

    Examples
    --------
    >>> import mpmath
    >>> from freealg.numeric.display import error_text
    >>> error_text(mpmath.mpf("1.1196e-30")), error_text(0.00031), error_text(0)
    ('1.2e-30', '3.1e-4', None)

    Parameters
    ----------
    error : number or None
        A non-negative error bound (its absolute value is used).

    Returns
    -------
    str or None
        Two significant digits, never below ``error`` (up to a relative 2^-40 that absorbs
        the binary representation of a decimal bound such as 1e-10).
    """
    if error is None:
        return None
    e = mpmath.mpf(abs(error)) if not isinstance(error, sp.Basic) else mpmath.mpf(
        abs(sp.Float(error, 20)))
    if not e:
        return None
    if not mpmath.isfinite(e):
        return str(e)
    return _round_up_2(e)


def _mpf_shown(x: mpmath.mpf, error: Any, dps: int | None) -> tuple[str, str | None]:
    bc = x._mpf_[3]
    with mpmath.workprec(max(bc, 64) + 40):
        err = mpmath.mpf(abs(error)) if error else mpmath.mpf(0)
        if not mpmath.isfinite(x):
            return str(x), error_text(err)
        n = _own_digits(x)
        if dps is not None:
            n = min(n, int(dps))
        if err and x:
            mag = int(mpmath.floor(mpmath.log10(abs(x))))
            places = int(mpmath.ceil(-mpmath.log10(err))) + 1  # one guard digit
            n = max(1, min(n, mag + 1 + places))
        elif not err and dps is None and bc:
            # a short binary fraction (2.75): show it exactly when a few digits do
            exact = mpmath.nstr(x, n + 3)
            if mpmath.mpf(exact) == x:
                return exact, None
        text = mpmath.nstr(x, n)
        rounding = abs(mpmath.mpf(text) - x)
        total = err + rounding if err else mpmath.mpf(0)
        return text, error_text(total) if total else None


def shown(x: Any, error: Any = 0, dps: int | None = None) -> tuple[str, str | None]:
    """The text of ``x`` at its own precision, and the text of the error of that text.

    Parameters
    ----------
    x : number
        An mpmath ``mpf``/``mpc``, a sympy number, a Python or numpy number.
    error : number, optional
        An absolute error bound of ``x`` (0: none known, or exact).
    dps : int, optional
        Show at most this many significant digits (an mpf shows the digits it carries when
        None).

    Returns
    -------
    (str, str or None)
        The digits, and an error bound of the shown digits (None when the value is shown
        exactly or no error is known).

    Examples
    --------
    >>> import mpmath, sympy as sp
    >>> from freealg.numeric.display import shown
    >>> with mpmath.workdps(40):
    ...     v = +mpmath.pi
    >>> shown(v, dps=20)                      # 20 of its 40 digits
    ('3.1415926535897932385', None)
    >>> shown(v, error=mpmath.mpf("1e-35"), dps=20)   # the error now covers the rounding
    ('3.1415926535897932385', '3.8e-20')
    >>> shown(sp.Rational(1, 2)), shown(0.1), shown(mpmath.mpf(2.75))
    (('1/2', None), ('0.1', None), ('2.75', None))
    """
    if isinstance(x, bool):
        return str(x), None
    if _is_mpf(x):
        return _mpf_shown(x, error, dps)
    if isinstance(x, mpmath.mpc):
        re, ere = _mpf_shown(x.real, error, dps)
        im, eim = _mpf_shown(x.imag, error, dps)
        sign = "-" if im.startswith("-") else "+"
        e = max((v for v in (ere, eim) if v), key=lambda s: float(s), default=None)
        return f"({re} {sign} {im.lstrip('-')}j)", e
    if isinstance(x, sp.Basic):
        if isinstance(x, sp.Float):
            if not error and dps is None:      # sympy's own digits (its precision)
                return str(x), None
            with mpmath.workprec(max(x._prec, mpmath.mp.prec)):   # all of its digits
                return _mpf_shown(mpmath.mpf(x._mpf_), error, dps)
        return str(x), error_text(error)
    if isinstance(x, (float, np.floating)):
        if error and math.isfinite(float(x)):
            return _mpf_shown(mpmath.mpf(float(x)), error, min(dps or 17, 17))
        return repr(float(x)), None
    if isinstance(x, (complex, np.complexfloating)):
        return repr(complex(x)), error_text(error)
    if isinstance(x, numbers.Integral):
        return str(int(x)), error_text(error)
    return str(x), error_text(error)


def number_text(x: Any, error: Any = 0, dps: int | None = None) -> str:
    """``x`` as plain text at its own precision, with ``± error`` when one is known.

    Examples
    --------
    >>> import mpmath
    >>> from freealg.numeric.display import number_text
    >>> with mpmath.workdps(25):
    ...     number_text(mpmath.sqrt(2), error=mpmath.mpf("1e-12"))
    '1.4142135623731 ± 1.1e-12'

    Parameters
    ----------
    x, error, dps
        As for :func:`shown`.

    Returns
    -------
    str
    """
    text, err = shown(x, error, dps)
    return text if err is None else f"{text} ± {err}"


def _approx(x: Any, dps: int | None) -> str | None:
    """Digits of an exact irrational sympy number (None for rationals and non-sympy values)."""
    if not isinstance(x, sp.Basic) or isinstance(x, (sp.Rational, sp.Float)):
        return None
    if not getattr(x, "is_number", False):
        return None
    try:
        v = sp.N(x, dps or 15)
    except (TypeError, ValueError, ArithmeticError):
        return None
    return str(v) if isinstance(v, (sp.Float, sp.Add, sp.Mul)) and v.is_number else None


def number_html(x: Any, error: Any = 0, dps: int | None = None) -> str:
    """``x`` as an HTML fragment: its digits, ``± error``, and for exact irrationals ``≈``.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.display import number_html
    >>> number_html(sp.sqrt(2), dps=10)
    '<span class="fa-num">sqrt(2)</span> <span class="fa-err">≈ 1.414213562</span>'

    Parameters
    ----------
    x, error, dps
        As for :func:`shown`; ``dps`` also sets the digits after ``≈`` (15 when None).

    Returns
    -------
    str
        Escaped HTML: ``<span class="fa-num">`` with the digits, then ``<span
        class="fa-err">`` with ``± error`` or ``≈ digits``.
    """
    text, err = shown(x, error, dps)
    out = f'<span class="fa-num">{escape(text)}</span>'
    if err is not None:
        out += f' <span class="fa-err">± {escape(err)}</span>'
    else:
        approx = _approx(x, dps)
        if approx is not None and approx != text:
            out += f' <span class="fa-err">≈ {escape(approx)}</span>'
    return out


def _latex_digits(text: str) -> str:
    if "e" in text and not text.startswith("("):
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def number_latex(x: Any, error: Any = 0, dps: int | None = None) -> str:
    r"""``x`` as LaTeX: exact sympy values through sympy's printer, digits otherwise.

    Examples
    --------
    >>> import mpmath, sympy as sp
    >>> from freealg.numeric.display import number_latex
    >>> number_latex(sp.sqrt(8))
    '2 \\sqrt{2}'
    >>> number_latex(mpmath.mpf(0.5), error=mpmath.mpf("2e-40"))
    '0.5 \\pm 2.0 \\times 10^{-40}'

    Parameters
    ----------
    x, error, dps
        As for :func:`shown`.

    Returns
    -------
    str
        Math-mode LaTeX without ``$``.
    """
    if isinstance(x, sp.Basic) and not isinstance(x, sp.Float):
        return sp.latex(x)
    text, err = shown(x, error, dps)
    out = _latex_digits(text)
    return out if err is None else rf"{out} \pm {_latex_digits(err)}"


# --------------------------------------------------------------------------------------------
# tables and the spectrum summary


def table_html(header: Sequence[str] | None, rows: Sequence[Sequence[str]],
               caption: str = "") -> str:
    """An HTML table; ``header`` and ``caption`` are escaped, ``rows`` are HTML fragments.

    Parameters
    ----------
    header : sequence of str or None
        Column titles (plain text); None for a table without a header row.
    rows : sequence of sequences of str
        The cells, already HTML (escape plain text with :func:`escape`).
    caption : str, optional
        Plain text above the table.

    Returns
    -------
    str

    Examples
    --------
    >>> from freealg.numeric.display import table_html
    >>> table_html(["a<b"], [["1"]])
    '<table><thead><tr><th>a&lt;b</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>'
    >>> table_html(None, [["k", "v"]])
    '<table><tbody><tr><td>k</td><td>v</td></tr></tbody></table>'
    """
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    head = ("<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead>"
            if header is not None else "")
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{cap}{head}<tbody>{body}</tbody></table>"


def _safe(fn: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run one part of a display: (value, None), or (None, the error as escaped text)."""
    try:
        return fn(), None
    except Exception as err:  # noqa: BLE001 - one failing part must not hide the others
        return None, escape(f"not available ({type(err).__name__}: {err})")


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float(sp.N(x))


def density_image(law: Any, bands: Sequence, atoms: Sequence, edges: Sequence = (),
                  title: str = "", points: int = 241) -> str | None:
    """A small SVG density plot as an HTML ``<img>`` (None without matplotlib or bands/atoms).

    Built with :class:`matplotlib.figure.Figure` (never pyplot, never a back-end switch): the
    float64 density over the bands, atoms as stems on a second axis, edges dotted.

    Examples
    --------
    >>> import freealg as fa
    >>> mu = fa.semicircle(1)
    >>> img = density_image(mu, mu.support(), mu.atoms(), mu.edges())
    >>> img is None or img.startswith('<img alt="density plot" src="data:image/svg+xml;base64,')
    True

    Parameters
    ----------
    law : object
        Anything whose ``density`` takes a float64 array.
    bands, atoms, edges : sequences of Band, Atom, Edge
        What to draw.
    title : str, optional
        Axes title.
    points : int, optional
        Density evaluations in all (split over the bands).

    Returns
    -------
    str or None
    """
    try:
        from matplotlib import rc_context
        from matplotlib.figure import Figure
    except ImportError:
        return None
    los = [_float(b.lo) for b in bands] + [_float(a.location) for a in atoms]
    his = [_float(b.hi) for b in bands] + [_float(a.location) for a in atoms]
    if not los:
        return None
    lo, hi = min(los), max(his)
    pad = 0.06 * (hi - lo) if hi > lo else 1.0
    with rc_context({"svg.fonttype": "none", "font.size": 8}):
        fig = Figure(figsize=(4.2, 2.1))
        ax = fig.add_subplot()
        for b in bands:
            a, c = _float(b.lo), _float(b.hi)
            xs = np.linspace(a, c, max(points // max(len(bands), 1), 21))
            ys = np.asarray(law.density(xs), dtype=float)
            ax.plot(xs, ys, color="C0", lw=1.2)
            ax.fill_between(xs, np.nan_to_num(ys), color="C0", alpha=0.15, lw=0)
        for e in edges:
            ax.axvline(_float(e.location), color="0.5", lw=0.6, ls=":")
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("density")
        if atoms:
            ax2 = ax.twinx()
            locs = [_float(a.location) for a in atoms]
            ms = [_float(a.mass) for a in atoms]
            ax2.vlines(locs, 0, ms, color="C3", lw=1.6)
            ax2.plot(locs, ms, "o", color="C3", ms=3)
            ax2.set_ylim(0, 1.05 * max(ms))
            ax2.set_ylabel("atom mass", color="C3")
        if title:
            ax.set_title(title, fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="density plot" src="data:image/svg+xml;base64,{data}"/>'


def spectrum_html(law: Any, dps: int, *, title: str, items: Sequence[tuple[str, str]] = (),
                  moments: int = 6, plot: bool = True) -> str:
    """An HTML summary of a law-like object at ``dps`` digits.

    Shows ``items`` (already HTML: e.g. the expression, the law, the strategy), the atoms
    with mass and error, the edges with kind and error, the support bands, the first
    ``moments`` moments, and a density plot when matplotlib is installed. A part that fails
    shows its error instead of hiding the others.

    Parameters
    ----------
    law : object
        Anything with ``atoms()``, ``edges(dps=)``, ``support(dps=)``, ``moments(n)`` and
        ``density(array)``.
    dps : int
        Digits of the numerically found edges and bands.
    title : str
        Plain text (escaped).
    items : sequence of (str, str)
        (label, HTML) rows shown first; the labels are escaped.
    moments : int
        Number of exact moments shown.
    plot : bool
        Whether to add the density plot.

    Returns
    -------
    str

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.numeric.display import spectrum_html
    >>> page = spectrum_html(fa.free_poisson(sp.Rational(1, 2)), 20, title="MP", plot=False)
    >>> 'mass</th>' in page and '<td><span class="fa-num">1/2</span></td>' in page
    True
    """
    parts = [_STYLE, '<div class="freealg-display">', f"<strong>{escape(title)}</strong>"]
    rows = [[escape(k), v] for k, v in items]
    if rows:
        parts.append(table_html(None, rows))
    atoms, err = _safe(law.atoms)
    if err:
        parts.append(f"<p>atoms: {err}</p>")
    elif atoms:
        parts.append(table_html(["atom at", "mass"], [
            [number_html(a.location, getattr(a, "error", 0), dps),
             number_html(a.mass, getattr(a, "error", 0) if _inexact(a.mass) else 0, dps)]
            for a in atoms], caption="atoms"))
    else:
        parts.append("<p>atoms: none</p>")
    edges, err = _safe(lambda: law.edges(dps=dps))
    if err:
        parts.append(f"<p>edges: {err}</p>")
    elif edges:
        parts.append(table_html(["edge", "kind", "side"], [
            [number_html(e.location, e.error, dps), escape(e.kind), escape(e.side or "-")]
            for e in edges], caption="edges"))
    bands, err = _safe(lambda: law.support(dps=dps))
    if err:
        parts.append(f"<p>support: {err}</p>")
    elif bands:
        errs = band_errors(bands, edges or ())
        parts.append(table_html(["from", "to"], [
            [number_html(b.lo, elo, dps), number_html(b.hi, ehi, dps)]
            for b, (elo, ehi) in zip(bands, errs)],
            caption="support (absolutely continuous part)"))
    else:
        parts.append("<p>support: no absolutely continuous part</p>")
    if moments:
        ms, err = _safe(lambda: law.moments(moments))
        if err:
            parts.append(f"<p>moments: {err}</p>")
        else:
            parts.append(table_html([f"m{k}" for k in range(1, len(ms) + 1)],
                                    [[number_html(m, 0, dps) for m in ms]],
                                    caption="moments (exact)"))
    if plot and (bands or atoms):
        img, err = _safe(lambda: density_image(law, bands or (), atoms or (), edges or ()))
        if img:
            parts.append(f"<div>{img}</div>")
    parts.append("</div>")
    return "".join(parts)


def _inexact(x: Any) -> bool:
    return isinstance(x, (mpmath.mpf, mpmath.mpc, float, np.floating, sp.Float))


def _key(x: Any) -> Any:
    try:
        hash(x)
    except TypeError:
        return id(x)
    return x


def band_errors(bands: Sequence, edges: Sequence) -> list[tuple[Any, Any]]:
    """The error of each band end: that of the edge at the same (inexact) number, else 0.

    Examples
    --------
    >>> import mpmath, freealg as fa
    >>> from freealg.numeric.display import band_errors
    >>> a, b = mpmath.mpf(1) / 3, mpmath.mpf(2) / 3
    >>> band_errors([fa.Band(a, b)], [fa.Edge(a, "soft", 1e-20, "left")])
    [(1e-20, 0)]

    Parameters
    ----------
    bands : sequence of Band
        Records with ``lo`` and ``hi``.
    edges : sequence of Edge
        Records with ``location`` and ``error``.

    Returns
    -------
    list of (error of lo, error of hi)
    """
    errs: dict = {}
    for e in edges:
        if _inexact(e.location) and e.error:
            errs[_key(e.location)] = e.error
    return [(errs.get(_key(b.lo), 0), errs.get(_key(b.hi), 0)) for b in bands]
