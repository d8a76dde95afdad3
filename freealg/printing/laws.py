"""LaTeX of laws in the notation of papers on free probability.

:func:`law_latex` writes a law tree as a paper would: ``\\mu \\boxplus \\nu``,
``\\mu \\boxtimes \\nu``, ``\\mu^{\\boxplus t}``, ``D_a`` for dilations, weighted sums of Dirac
masses for discrete laws, ``\\pi_{\\lambda, \\alpha}`` for free Poisson laws, ``\\sigma_v`` for
the semicircle. It dispatches on the class name of each node (``_LAW_PRINTERS``); a class it does
not know is written as an operator name with its parameters, never with a raw ``_`` or a Python
``True``.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import mpmath
import sympy as sp

__all__ = ["law_latex", "text_escape", "exact_float"]

# precedence of a printed node: a child is parenthesised when it binds more loosely than the
# place it is put in
_SUM = 1      # sums of measures: mixtures, discrete laws with several atoms, f(x) dx
_OP = 2       # binary free operations (the operator is recorded so that x ⊞ y ⊞ z needs none)
_PREFIX = 3   # an operator written before its argument: D_a mu, pushforwards
_ATOM = 4     # one symbol with sub/superscripts: sigma_v, delta_a, mu^{⊞ t}

_TEXT_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                 "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_UNICODE = {"⊞": r"$\boxplus$", "⊠": r"$\boxtimes$", "μ": r"$\mu$", "ν": r"$\nu$",
            "τ": r"$\tau$", "ω": r"$\omega$", "λ": r"$\lambda$", "σ": r"$\sigma$",
            "π": r"$\pi$", "–": "--", "—": "---", "’": "'", "≤": r"$\le$", "≥": r"$\ge$"}


def text_escape(s: str) -> str:
    """Text for LaTeX's text mode: special characters escaped, a few Unicode symbols of free
    probability as math, any other non-ASCII character replaced by ``?``.

    Examples
    --------
    >>> from freealg.printing import text_escape
    >>> print(text_escape("free_compression of mu^{⊞2}: 50% & more"))
    free\\_compression of mu\\^{}\\{$\\boxplus$2\\}: 50\\% \\& more
    """
    out = []
    for ch in str(s):
        if ch in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _simple(e: sp.Expr, dps: int) -> bool:
    """True when the exact form is much shorter than the float's digits (Occam's test: a
    15-digit float is not replaced by a fraction with 14 digits)."""
    n = sum(len(str(abs(int(q)))) for q in (e.as_numer_denom() if e.is_Rational else
                                          [r for a in e.atoms(sp.Rational) for r in (a.p, a.q)]))
    return n <= dps // 2


def exact_float(f: sp.Float) -> sp.Expr:
    """The exact number a Float stands for, for display: a rational with a small denominator,
    the square root of one, or a rational multiple of pi that equals the float to its own
    precision and is written with at most half as many digits; otherwise the Float itself.

    Only the display changes (1.0 is shown as 1, 0.333333333333333 as 1/3); a float that is
    not such a number, like 1.00000000745219, is kept.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.printing import exact_float
    >>> exact_float(sp.Float(1.0)), exact_float(sp.Float(1 / 3)), exact_float(sp.Float(2**0.5))
    (1, 1/3, sqrt(2))
    >>> exact_float(sp.Float("1.00000000745219")), exact_float(sp.Float("134188667.022802"))
    (1.00000000745219, 134188667.022802)
    """
    if not isinstance(f, sp.Float):
        return f
    if f == 0:
        return sp.S.Zero
    dps = mpmath.libmp.prec_to_dps(f._prec)
    tol = abs(f) * sp.Float(10, dps + 5) ** (2 - dps)
    cands = [sp.Rational(f).limit_denominator(1000)]
    r2 = sp.Rational(f * f).limit_denominator(1000)
    if r2 > 0:
        cands.append(sp.sign(f) * sp.sqrt(r2))
    rp = sp.Rational(f / sp.pi.evalf(dps + 5)).limit_denominator(100)
    if rp != 0:
        cands.append(rp * sp.pi)
    for c in cands:
        if _simple(c, dps) and abs(f - c.evalf(dps + 5)) <= tol:
            return c
    return f


def _exact_expr(e: Any) -> Any:
    floats = e.atoms(sp.Float) if isinstance(e, sp.Basic) else ()
    return e.xreplace({f: exact_float(f) for f in floats}) if floats else e


def _name_tex(name: str) -> str:
    """An identifier (a function's ``__name__``) as upright text, safe in math mode."""
    clean = re.sub(r"[^A-Za-z0-9_]", "", str(name)) or "f"
    return r"\mathrm{" + clean.replace("_", r"\_") + "}"


class _Tex:
    """A printed node: its LaTeX, its precedence and, for a binary operation, its operator."""

    __slots__ = ("tex", "prec", "op")

    def __init__(self, tex: str, prec: int, op: str = ""):
        self.tex, self.prec, self.op = tex, prec, op


def _num(x: Any, printer) -> str:
    """A parameter through sympy's printer (the caller's printer when there is one)."""
    e = _exact_expr(sp.sympify(x))
    return printer._print(e) if printer is not None else sp.latex(e)


def _coef(w: Any, printer) -> str:
    """A weight in front of a measure: parenthesised when it is a sum; 1 is omitted."""
    e = _exact_expr(sp.sympify(w))
    if e == 1:
        return ""
    t = _num(e, printer)
    return rf"\left({t}\right)" if isinstance(e, sp.Add) else t


def _times(w: Any, measure: str, pr) -> str:
    """``w mu``: a thin space after a symbolic weight or before a dilation D_a."""
    c = _coef(w, pr)
    sep = r"\," if c and (sp.sympify(w).free_symbols or measure.startswith("D_")) else ""
    return c + sep + measure


def _wrap(node: _Tex, need: int, op: str = "") -> str:
    """The node's LaTeX, parenthesised unless it binds at least as tightly as ``need``
    (a binary operation inside the same associative operation needs no parentheses)."""
    if node.prec > need or (node.prec == need and (need != _OP or node.op == op)):
        return node.tex
    return rf"\left({node.tex}\right)"


def _dirac_sum(points, weights, printer) -> _Tex:
    """sum_i w_i delta_{a_i}; at most four terms written out, else the first three and the last;
    equal weights factored out."""
    items = [(p, sp.sympify(w)) for p, w in zip(points, weights) if sp.sympify(w) != 0]
    if len(items) == 1:
        return _Tex(rf"\delta_{{{_num(items[0][0], printer)}}}", _ATOM)
    deltas = [rf"\delta_{{{_num(p, printer)}}}" for p, _ in items]
    ws = [w for _, w in items]
    n = len(items)
    if n > 4 and all(w == ws[0] for w in ws):
        inner = " + ".join(deltas[:3]) + r" + \cdots + " + deltas[-1]
        return _Tex(rf"{_coef(ws[0], printer)}\left({inner}\right)", _PREFIX)
    terms = [f"{_coef(w, printer)}{d}" for w, d in zip(ws, deltas)]
    if n > 4:
        terms = terms[:3] + [r"\cdots"] + terms[-1:]
    return _Tex(" + ".join(terms), _SUM)


def _body_of(fn: Any, var: sp.Symbol) -> sp.Expr | None:
    """The body of a one-variable Lambda in ``var`` (None for a Python callable)."""
    if isinstance(fn, sp.Lambda):
        return fn.expr.xreplace({fn.variables[0]: var})
    return None


# one printer per law class, by class name: (law, recurse, printer) -> _Tex -------------------


def _semicircle(law, rec, pr):
    v, m = law.args
    if m == 0:
        return _Tex(rf"\sigma_{{{_num(v, pr)}}}", _ATOM)
    return _Tex(rf"\mathcal{{S}}\left({_num(m, pr)}, {_num(v, pr)}\right)", _ATOM)


def _free_poisson(law, rec, pr):
    lam, a = law.args
    return _Tex(rf"\pi_{{{_num(lam, pr)}, {_num(a, pr)}}}", _ATOM)


def _discrete(law, rec, pr):
    return _dirac_sum(*law.args, pr)


def _bernoulli(law, rec, pr):
    t = sp.sympify(law.args[0])
    return _dirac_sum((0, 1), (1 - t, t), pr)


def _dirac(law, rec, pr):
    return _Tex(rf"\delta_{{{_num(law.args[0], pr)}}}", _ATOM)


def _interval_family(name):
    def show(law, rec, pr):
        a, b = law.args
        return _Tex(rf"\mathrm{{{name}}}_{{[{_num(a, pr)}, {_num(b, pr)}]}}", _ATOM)
    return show


def _binary(symbol):
    def show(law, rec, pr):
        mu, nu = (rec(x) for x in law.args)
        return _Tex(rf"{_wrap(mu, _OP, symbol)} {symbol} {_wrap(nu, _OP, symbol)}", _OP, symbol)
    return show


def _free_power(law, rec, pr):
    mu, t = law.args
    return _Tex(rf"{_wrap(rec(mu), _ATOM)}^{{\boxplus {_num(t, pr)}}}", _ATOM)


def _boolean_power(law, rec, pr):
    mu, t = law.args
    return _Tex(rf"{_wrap(rec(mu), _ATOM)}^{{\uplus {_num(t, pr)}}}", _ATOM)


def _free_product(law, rec, pr):
    parts = []
    for mu, k in law.args[0]:
        node = rec(mu)
        parts.append(_wrap(node, _OP, r"\boxtimes") if k == 1 else
                     rf"{_wrap(node, _ATOM)}^{{\boxtimes {_num(k, pr)}}}")
    if len(parts) == 1 and law.args[0][0][1] != 1:
        return _Tex(parts[0], _ATOM)
    return _Tex(r" \boxtimes ".join(parts), _OP, r"\boxtimes")


def _dilation(a, node: _Tex, pr) -> _Tex:
    return _Tex(rf"D_{{{_num(a, pr)}}}{_wrap(node, _PREFIX)}", _PREFIX)


def _affine(law, rec, pr):
    mu, a, b = law.args
    a, b = _exact_expr(sp.sympify(a)), _exact_expr(sp.sympify(b))
    node = rec(mu)
    if a != 1:
        node = _dilation(a, node, pr)
    if b != 0:
        # a shift by b is the free (and the classical) convolution with delta_b
        plus = r"\boxplus"
        node = _Tex(rf"{_wrap(node, _OP, plus)} {plus} \delta_{{{_num(b, pr)}}}", _OP, plus)
    return node


def _compression(law, rec, pr):
    # Nica-Speicher: p a p in (pAp, tau/t) has the law D_t(mu^{⊞ 1/t}); in the ambient algebra
    # it is (1 - t) delta_0 + t D_t(mu^{⊞ 1/t})
    mu, t, ambient = law.args
    t = _exact_expr(sp.sympify(t))
    inner = _Tex(rf"{_wrap(rec(mu), _ATOM)}^{{\boxplus {_num(1 / t, pr)}}}", _ATOM)
    node = _Tex(rf"D_{{{_num(t, pr)}}}\left({inner.tex}\right)", _PREFIX) if t != 1 else inner
    if not ambient or t == 1:
        return node
    zero = _times(1 - t, r"\delta_{0}", pr)
    return _Tex(f"{zero} + {_times(t, _wrap(node, _PREFIX), pr)}", _SUM)


def _mixture(law, rec, pr):
    laws, ws = law.args
    terms = [_times(w, _wrap(rec(mu), _PREFIX), pr) for mu, w in zip(laws, ws)]
    return _Tex(" + ".join(terms), _SUM)


def _multiplicative_exponential(law, rec, pr):
    return _Tex(rf"\mathrm{{ME}}_{{{_num(law.args[0], pr)}}}", _ATOM)


def _family(name):
    def show(law, rec, pr):
        return _Tex(rf"\mathrm{{{name}}}_{{" + ", ".join(_num(q, pr) for q in law.args) + "}",
                    _ATOM)
    return show


def _fn_name(fn) -> str:
    """A callable's name for display: ``f`` for lambdas and other non-identifiers."""
    name = getattr(fn, "__name__", "f")
    return name if name.isidentifier() else "f"


def _from_density(law, rec, pr):
    pdf, a, b = law.args[:3]
    x = sp.Symbol("x")
    body = _body_of(pdf, x)
    f = _num(body, pr) if body is not None else \
        _name_tex(_fn_name(pdf)) + r"\left(x\right)"
    if isinstance(body, sp.Add):
        f = rf"\left({f}\right)"
    return _Tex(rf"{f}\, \mathbf{{1}}_{{[{_num(a, pr)}, {_num(b, pr)}]}}(x)\, dx", _SUM)


def _gaussian_pushforward(law, rec, pr):
    f, q = law.args
    h = sp.Symbol("h")
    body = _body_of(f, h)
    ftex = _num(body, pr) if body is not None else \
        _name_tex(_fn_name(f)) + r"\left(h\right)"
    # the absolutely continuous part of the law of f(h), h ~ N(0, q), normalised
    return _Tex(rf"\left(h \mapsto {ftex}\right)_{{*}}^{{\mathrm{{ac}}}} "
                rf"\mathcal{{N}}\left(0, {_num(q, pr)}\right)", _PREFIX)


def _operator_valued(law, rec, pr):
    k = law.args[0].shape[0]
    return _Tex(rf"\operatorname{{Law}}\left(\text{{linear pencil of size }} {k}\right)", _ATOM)


def _block_operator_valued(law, rec, pr):
    k = law.args[0].shape[0]
    t = law.args[-1]
    return _Tex(rf"\operatorname{{Law}}_{{{_num(t, pr)}}}\left(\text{{linear pencil of size }} "
                rf"{k}\right)", _ATOM)


def _symmetric_square(law, rec, pr):
    # the law of Y^2 for Y of law mu: the pushforward by x -> x^2
    return _Tex(rf"\left(x \mapsto x^{{2}}\right)_{{*}}\left({rec(law.args[0]).tex}\right)",
                _PREFIX)


def _symmetric_root(law, rec, pr):
    # the symmetric law whose square has the law mu
    return _Tex(rf"\operatorname{{sym}}\sqrt{{{rec(law.args[0]).tex}}}", _PREFIX)


def _generic(law, rec, pr):
    """Any other law: an upright operator name with its parameters (laws printed as laws,
    booleans as the name of the flag when it is set)."""
    parts = []
    for name, a in zip(law._argnames or (), law.args):
        if isinstance(a, bool):
            if a:
                parts.append(_name_tex(name))
        elif hasattr(a, "_argnames") and hasattr(a, "args"):
            parts.append(rec(a).tex)
        elif isinstance(a, (tuple, list)):
            parts.append(r"\left(" + ", ".join(
                rec(b).tex if hasattr(b, "_argnames") else _num(b, pr) for b in a) + r"\right)")
        else:
            try:
                parts.append(_num(a, pr))
            except (sp.SympifyError, TypeError, ValueError):
                parts.append(_name_tex(getattr(a, "__name__", type(a).__name__)))
    name = r"\operatorname{" + re.sub(r"[^A-Za-z0-9_]", "", law.name).replace("_", r"\_") + "}"
    return _Tex(name + r"\left(" + ", ".join(parts) + r"\right)", _ATOM)


_LAW_PRINTERS: dict[str, Callable] = {
    "Semicircle": _semicircle,
    "FreePoisson": _free_poisson,
    "Discrete": _discrete,
    "Bernoulli": _bernoulli,
    "Dirac": _dirac,
    "Arcsine": _interval_family("Arcsine"),
    "Uniform": _interval_family("Unif"),
    "FreeAdditive": _binary(r"\boxplus"),
    "FreeMultiplicative": _binary(r"\boxtimes"),
    "FreePower": _free_power,
    "FreeProduct": _free_product,
    "Affine": _affine,
    "FreeCompression": _compression,
    "Mixture": _mixture,
    "MultiplicativeExponential": _multiplicative_exponential,
    "FreeMeixner": _family("FM"),
    "FreeBinomial": _family("FB"),
    "KestenMcKay": _family("KM"),
    "Wachter": _family("W"),
    "FromDensity": _from_density,
    "GaussianPushforward": _gaussian_pushforward,
    "OperatorValued": _operator_valued,
    "BlockOperatorValued": _block_operator_valued,
    "SymmetricSquare": _symmetric_square,
    "SymmetricRoot": _symmetric_root,
    "ResidualJacobian": _free_product,
    "BooleanAdditive": _binary(r"\uplus"),
    "MonotoneAdditive": _binary(r"\rhd"),
    "BooleanPower": _boolean_power,
    "JacobiLaw": _generic,
}


def _node(law: Any, printer, names: dict | None = None) -> _Tex:
    if names is not None and law in names:
        return _Tex(names[law], _ATOM)
    show = _LAW_PRINTERS.get(type(law).__name__, _generic)
    return show(law, lambda sub: _node(sub, printer, names), printer)


def law_latex(law: Any, printer: Any = None, *, names: dict | None = None) -> str:
    """LaTeX of a law in the notation of papers on free probability.

    Free convolutions are written ``\\mu \\boxplus \\nu`` and ``\\mu \\boxtimes \\nu``, free
    convolution powers ``\\mu^{\\boxplus t}``, dilations ``D_a \\mu`` (the law of a X), shifts
    ``\\mu \\boxplus \\delta_b``, the free compression by a projection of trace t
    ``D_t(\\mu^{\\boxplus 1/t})`` (Nica-Speicher 1996; in the ambient algebra
    ``(1 - t)\\delta_0 + t D_t(\\mu^{\\boxplus 1/t})``), mixtures and discrete laws as weighted sums
    ``\\sum_i w_i \\delta_{a_i}``, the semicircle ``\\sigma_v`` (``\\mathcal{S}(m, v)`` with a mean
    m), the free Poisson law ``\\pi_{\\lambda, \\alpha}`` (rate, jump size), the arcsine and uniform
    laws on ``[a, b]``, the free Meixner, free binomial, Kesten-McKay and Wachter families
    ``\\mathrm{FM}_{m, v, a, b}``, ``\\mathrm{FB}_{n, p}``, ``\\mathrm{KM}_d``,
    ``\\mathrm{W}_{\\alpha, \\beta}``, the multiplicative exponential ``\\mathrm{ME}_{\\sigma^2}``,
    a law given by its density ``f(x) 1_{[a, b]}(x) dx``, a Gaussian pushforward
    ``(h \\mapsto f(h))_*^{ac} N(0, q)`` (its absolutely continuous part) and the law of a
    linearized polynomial by the size of its pencil (with the block's trace as a subscript for
    a rectangular model), the law of Y^2 as the pushforward ``(x \\mapsto x^2)_*``. Operands
    are parenthesised only where the reading would be ambiguous. Parameters go through sympy's
    LaTeX printer.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.printing import law_latex
    >>> law_latex(fa.free_additive(fa.semicircle(1), fa.free_poisson(2)))
    '\\\\sigma_{1} \\\\boxplus \\\\pi_{2, 1}'
    >>> print(law_latex(fa.discrete([0, 2])))
    \\frac{1}{2}\\delta_{0} + \\frac{1}{2}\\delta_{2}
    >>> print(law_latex(fa.free_compression(fa.semicircle(1), sp.Rational(1, 2))))
    D_{\\frac{1}{2}}\\left(\\sigma_{1}^{\\boxplus 2}\\right)
    >>> print(law_latex(fa.affine(fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(
    ...     sp.Rational(1, 4))), 2, 1)))
    D_{2}\\left(\\pi_{1, 1} \\boxtimes \\left(\\frac{3}{4}\\delta_{0} + \\frac{1}{4}\\delta_{1}\\right)\\right) \\boxplus \\delta_{1}

    Parameters
    ----------
    law : Law
        Any law of freealg (a law tree).
    printer : sympy LatexPrinter, optional
        The printer whose settings format the parameters (sympy passes its own when
        ``sympy.latex`` meets a law); default: ``sympy.latex`` with default settings.
    names : dict, optional
        Laws to write by a name: ``{law: latex}`` (e.g. ``{mu: r"\\nu_{1}"}``), wherever they
        occur in the tree.

    Returns
    -------
    str
        The LaTeX, for math mode.
    """  # noqa: E501 (a doctest output line)
    return _node(law, printer, names).tex
