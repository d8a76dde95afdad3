"""A compiled System as a paper-ready LaTeX document.

:func:`system_display` prepares the equations of a System for people: floats that are known exact
numbers written exactly (display only), equalities between two unknowns (``G_2(z) = G_3(z)``)
substituted away, the remaining unknowns numbered consecutively, and a definition for every
symbol that appears. :func:`system_document` writes it as a standalone amsmath document whose
long equations break over lines (``multline*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from .laws import exact_float, law_latex, text_escape

__all__ = ["SystemDisplay", "system_display", "system_document"]

# width of a display line, in the units of _width (about one character of math): the text
# width of the article class at 10pt, with a margin
_LINE = 52
# a leaf law whose LaTeX is longer than this is named nu_k in the where list
_LEAF = 60


@dataclass(frozen=True)
class SystemDisplay:
    """The equations of a System as they are shown: see :func:`system_display`.

    Attributes
    ----------
    title : str
        LaTeX of the polynomial (empty when the System has none).
    equations : tuple of sympy Eq
        The equations, trivial equalities removed, unknowns renamed.
    asymptotics : tuple of sympy Eq
        The branch conditions (``G ~ 1/z`` at z -> i infinity), renamed alike.
    where : tuple of (str, str)
        (LaTeX of a symbol, its definition in LaTeX text mode) for every symbol, function and
        bound variable of ``equations`` and ``asymptotics``.
    renamed : dict
        Old name -> name shown, for every unknown whose name changed.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> d = fa.printing.system_display(fa.compile(x + y))
    >>> d.title, d.asymptotics
    ('x + y', (Eq(G, 1/z),))
    >>> sorted(d.renamed.items())       # the subordination functions numbered from 1
    [('omega_3', 'omega_1'), ('omega_4', 'omega_2')]
    >>> d.where[0][0]
    'z'
    """

    title: str
    equations: tuple
    asymptotics: tuple
    where: tuple
    renamed: dict


# floats -------------------------------------------------------------------------------------


def _exact_floats(e: Any) -> Any:
    if not isinstance(e, sp.Basic):
        return e
    floats = e.atoms(sp.Float)
    if not floats:
        return e
    return e.xreplace({f: exact_float(f) for f in floats})


# names --------------------------------------------------------------------------------------

_G_TOKEN = re.compile(r"(?<![A-Za-z\\])([GR])_(\d+)(?!\d)")
_OMEGA_TOKEN = re.compile(r"(?<![A-Za-z\\])omega_(\d+)(?!\d)")


def _rank(name: str) -> tuple:
    """Which of two equal unknowns keeps its name: G first, then the lowest index."""
    m = re.fullmatch(r"G_(\d+)", name)
    return (0 if name == "G" else 1 if m else 2, int(m.group(1)) if m else 0, name)


def _rename_expr(e: Any, rename) -> Any:
    """Rename applied undefined functions and symbols by ``rename(name) -> name``."""
    if not isinstance(e, sp.Basic):
        return e

    def fun(x):
        new = rename(x.func.__name__)
        return x if new == x.func.__name__ else sp.Function(new)(*x.args)

    e = e.replace(lambda x: isinstance(x, AppliedUndef), fun)
    subs = {}
    for s in e.atoms(sp.Symbol):
        new = rename(s.name)
        if new != s.name:
            subs[s] = sp.Symbol(new, **s.assumptions0)
    return e.xreplace(subs) if subs else e


def _trivial_pairs(eqs) -> list:
    """(name, name) of the equations F(args) = H(args) between two unknown functions."""
    out = []
    for eq in eqs:
        if not isinstance(eq, sp.Eq):
            continue
        lhs, rhs = eq.lhs, eq.rhs
        if (isinstance(lhs, AppliedUndef) and isinstance(rhs, AppliedUndef)
                and lhs.args == rhs.args):
            out.append((lhs.func.__name__, rhs.func.__name__))
    return out


# definitions --------------------------------------------------------------------------------


def _leaves(law) -> list:
    """The leaf laws of a law tree (laws without a law among their arguments), in order."""
    out: list = []

    def walk(x):
        if isinstance(x, (tuple, list)):
            for y in x:
                walk(y)
            return
        if not (hasattr(x, "_argnames") and hasattr(x, "args")):
            return
        kids: list = []
        _collect(x.args, kids)
        if not kids:
            if x not in out:
                out.append(x)
            return
        for k in kids:
            walk(k)

    walk(law)
    return out


def _collect(args, kids) -> None:
    for a in args:
        if isinstance(a, (tuple, list)):
            _collect(a, kids)
        elif hasattr(a, "_argnames") and hasattr(a, "args"):
            kids.append(a)


def _leaf_text(leaf, sym: str) -> str:
    """Definition of a leaf law written by a name: the law of f(h) for a Gaussian pushforward,
    the density of a law given by one, else the law itself."""
    kind = type(leaf).__name__
    f = leaf.args[0]
    if kind == "GaussianPushforward" and isinstance(f, sp.Lambda):
        h = sp.Symbol("h")
        body = _exact_floats(f.expr.xreplace({f.variables[0]: h}))
        q = _exact_floats(sp.sympify(leaf.args[1]))
        return (rf"the law of $f(h)$ for $h \sim \mathcal{{N}}(0, {sp.latex(q)})$ (its absolutely "
                rf"continuous part, normalised), where $f(h) = {sp.latex(body)}$")
    if kind == "FromDensity" and isinstance(f, sp.Lambda):
        x = sp.Symbol("x")
        body = _exact_floats(f.expr.xreplace({f.variables[0]: x}))
        a, b = (_exact_floats(sp.sympify(v)) for v in leaf.args[1:3])
        return (rf"the law with density ${sp.latex(body)}$ on "
                rf"$[{sp.latex(a)}, {sp.latex(b)}]$")
    return f"${sym} = {law_latex(leaf)}$"


def _generator_text(g, definer) -> str:
    kind, params = g.kind, g.params
    if kind == "semicircular":
        return rf"a semicircular element of variance ${sp.latex(params[0])}$"
    if kind == "circular":
        return "a circular element" + (rf" of variance ${sp.latex(params[0])}$" if params else "")
    if kind == "haar_unitary":
        return "a Haar unitary"
    if kind == "haar_orthogonal":
        return "a Haar orthogonal (a Haar unitary for the spectral law)"
    if kind == "projection":
        return rf"a projection of trace ${sp.latex(params[0])}$"
    law = g.law()
    if law is not None:
        return rf"a self-adjoint element with law ${definer.law_tex_of(law)}$"
    return "a generator"


class _Definer:
    """The definition of each symbol that appears, from the System's unknowns and generators."""

    def __init__(self, system, shown_of, shown: set):
        self.system = system
        self.shown = shown            # the names that appear
        self.owner: dict = {}         # shown name -> the old names it stands for
        self.table = {}
        for u in getattr(system, "numeric", ()):
            key = getattr(u.symbol, "name", None) or getattr(u.symbol, "__name__", "")
            self.table[key] = u
            self.owner.setdefault(shown_of(key), []).append(key)
        for olds in self.owner.values():
            olds.sort(key=_rank)
        self.given = {}
        for sym, text in getattr(system, "definitions", ()):
            key = getattr(sym, "name", None) or getattr(sym, "__name__", str(sym))
            self.given[key] = text
        self.names: dict = {}         # long leaf laws -> nu_k
        self.gens = {}
        expr = getattr(system, "expr", None)
        for g in getattr(expr, "generators", ()) or ():
            self.gens[g.name] = g

    def law_tex(self, shown: str) -> str | None:
        """LaTeX of the law whose Cauchy transform is the unknown shown as ``shown``."""
        for old in self.owner.get(shown, ()):
            u = self.table.get(old)
            if u is None:
                continue
            try:
                if u.kind == "cauchy":
                    law = u.law()
                elif u.kind == "function" and getattr(u.source, "key", None) == "G_c":
                    # G_c of a compression: the law of p a p in (pAp, tau/t), not the ambient one
                    amb = u.source.law() if callable(u.source.law) and not hasattr(
                        u.source.law, "_argnames") else u.source.law
                    law = type(amb)(amb.args[0], amb.args[1], False)
                else:
                    continue
                tex = self.law_tex_of(law)
            except Exception:  # noqa: BLE001 (a display must not fail on a lazy level law)
                return None
            return tex if len(tex) <= 600 else None
        return None

    def law_tex_of(self, law) -> str:
        """law_latex with every long leaf law named nu_k (defined once in the where list)."""
        for leaf in _leaves(law):
            if leaf not in self.names and len(law_latex(leaf)) > _LEAF:
                self.names[leaf] = rf"\nu_{{{len(self.names) + 1}}}"
        return law_latex(law, names=self.names)

    def leaf_entries(self) -> list:
        """(LaTeX of nu_k, its definition) for the named leaf laws."""
        out = []
        for leaf, sym in self.names.items():
            out.append((sym, _leaf_text(leaf, sym)))
        return out

    def of_law(self, g: str) -> str:
        """'of the law ...' for the Cauchy transform called g."""
        if g == "G":
            return "of the law of $P$" if getattr(self.system, "expr", None) is not None else \
                "of the law sought"
        tex = self.law_tex(g)
        return f"of ${tex}$" if tex is not None else "of an intermediate law of the reduction"

    def cauchy(self, shown: str) -> str:
        return "the Cauchy transform " + self.of_law(shown)

    def text(self, name: str, tex: str) -> str:
        """Definition of the symbol or function called ``name`` (shown as ``tex``)."""
        if name == "z":
            return r"the spectral variable, $z \in \mathbb{C}^{+}$ (the upper half-plane)"
        if name == "G":
            if getattr(self.system, "expr", None) is None:
                return "the Cauchy transform sought"
            return (r"the Cauchy transform of the law of $P$, $G(z) = \tau[(z - P)^{-1}]$, "
                    r"where $\tau$ is the trace")
        m = re.fullmatch(r"G_(\d+)", name)
        if m:
            return self.cauchy(name)
        m = re.fullmatch(r"G_\{?(c(?:_\d+)?)\}?", name)
        if m:
            return (self.cauchy(name) + r", the law of the compressed element in the compressed "
                    r"algebra, whose trace is $\tau(p)^{-1}\tau$ for the compressing "
                    r"projection $p$")
        m = re.fullmatch(r"R_\{?(\d+|c(?:_\d+)?)\}?", name)
        if m:
            sfx = m.group(1)
            gname = f"G_{sfx}" if "_" not in sfx else f"G_{{{sfx}}}"
            g = sp.latex(sp.Function(gname))
            rel = (rf", so that ${g}({tex}(w) + 1/w) = w$ for small $w$"
                   if gname in self.shown else "")
            return "the R-transform " + self.of_law(gname) + rel
        m = re.fullmatch(r"S_\{(G(?:_\d+)?)\}", name)
        if m:
            return "the S-transform " + self.of_law(m.group(1))
        if name == "m":
            return (r"the variable of the S-transforms: $S_F(m) = \frac{1 + m}{m}\,\chi_F(m)$, "
                    r"where $\chi_F$ is the inverse of $\psi_F(u) = u^{-1} F(u^{-1}) - 1$; the "
                    r"products of S-transforms hold at $m = z G(z) - 1$")
        if name == "w":
            return "the variable of the R-transforms"
        if re.fullmatch(r"omega_\d+", name):
            return (r"a subordination function (Biane 1998): analytic from $\mathbb{C}^{+}$ to "
                    r"$\mathbb{C}^{+}$, with $\omega(z)/z \to 1$ as $z \to i\infty$")
        if name == "varepsilon":
            return r"the regularisation, $\varepsilon \to 0^{+}$"
        if name == r"\Lambda":
            return (r"the matrix $\operatorname{diag}(z, i\varepsilon, \ldots, i\varepsilon)$ of "
                    r"the spectral variable")
        if name == "L":
            return (r"the linear pencil of $P$: $P$ is the Schur complement of its lower right "
                    r"block, so that $[(\Lambda - L)^{-1}]_{11} = (z - P)^{-1}$ at "
                    r"$\varepsilon = 0$")
        if name == r"\mathbf{G}":
            return (r"the matrix-valued Cauchy transform of the pencil, "
                    r"$\mathbf{G} = (\mathrm{id} \otimes \tau)"
                    r"[(\Lambda - L)^{-1}]$")
        if name == r"\mathbf{G}_{11}":
            return r"the upper left entry of $\mathbf{G}$"
        if name == "b_{0}":
            return "the constant coefficient of the pencil"
        m = re.fullmatch(r"b_\{(.+)\}", name)
        if m:
            return "a coefficient matrix of the pencil (of a generator, or of a free group of them)"
        m = re.fullmatch(r"\\Omega_\{(\d+)\}", name)
        if m:
            return (rf"the (matrix-valued) subordination function of free group {m.group(1)} of "
                    r"the generators")
        m = re.fullmatch(r"G_\{X_\{(\d+)\}\}.*", name)
        if m:
            return (rf"the matrix-valued Cauchy transform of free group {m.group(1)} of the "
                    r"generators, at its subordination function")
        m = re.fullmatch(r"\\mu_\{(\d+)\}", name)
        if m:
            return rf"the law of the generator of free group {m.group(1)}"
        if name == "theta":
            return r"the variable of integration over $[0, 2\pi]$ (the Haar measure)"
        if name == "t":
            return "the variable of integration"
        if name in self.gens:
            return _generator_text(self.gens[name], self)
        if name.endswith("^*") and name[:-2] in self.gens:
            return rf"the adjoint of ${sp.latex(sp.Symbol(name[:-2]))}$"
        law = getattr(self.system, "law", None)
        if law is not None and name in {str(s) for s in getattr(law, "free_symbols", ())}:
            return "a parameter"
        if name in self.given and "\\operatorname" not in self.given[name]:
            return "$" + self.given[name] + "$" if self.given[name].startswith("\\text") else \
                self.given[name]
        return "an auxiliary unknown of the reduction"


def _symbols_of(e: Any) -> dict:
    """name -> LaTeX of every symbol, undefined function and bound variable in e."""
    out: dict = {}
    if not isinstance(e, sp.Basic):
        return out
    for f in e.atoms(AppliedUndef):
        out.setdefault(f.func.__name__, sp.latex(f.func))
    for s in e.atoms(sp.Symbol):
        out.setdefault(s.name, sp.latex(s))
    for s in e.atoms(sp.MatrixSymbol):
        out.setdefault(s.name, sp.latex(s))
    for it in e.atoms(sp.Integral):
        for lim in it.limits:
            for s in lim:
                if isinstance(s, sp.Symbol):
                    out.setdefault(s.name, sp.latex(s))
    return out


def _order(name: str) -> tuple:
    first = {"z": 0, "G": 1}
    m = re.search(r"(\d+)", name)
    idx = int(m.group(1)) if m else 0
    fam = re.sub(r"[^A-Za-z]", "", name.split("_")[0])
    fams = ["G", "omega", "R", "S", "m", "w"]
    return (first.get(name, 2), fams.index(fam) if fam in fams else len(fams), fam, idx, name)


def system_display(system: Any) -> SystemDisplay:
    """The equations of a System, prepared for people.

    Floats that equal a simple exact number to their own precision (a rational with denominator
    up to 1000, its square root, a rational multiple of pi) are written exactly; this changes the
    display only, and any other float is kept as it is (``1.00000000745219`` stays). An equation
    ``F(z) = H(z)`` between two unknown functions is removed and H renamed F everywhere (F is the
    one with the lower index; G is kept). The indexed unknowns G_k (with their R_k and S_{G_k})
    and the subordination functions omega_k are then numbered 1, 2, ... in order. Every symbol,
    unknown function and bound variable that appears gets a definition.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> d = fa.printing.system_display(fa.compile(x + y))
    >>> d.equations[0]
    Eq(G(z), G_1(omega_1(z)))
    >>> [sym for sym, _ in d.where]
    ['z', 'G', 'G_{1}', 'G_{2}', '\\\\omega_{1}', '\\\\omega_{2}']

    Parameters
    ----------
    system : System
        A compiled System (``freealg.compile(expr)``).

    Returns
    -------
    SystemDisplay
    """
    eqs = [_exact_floats(eq) for eq in system.equations]
    asy = [_exact_floats(eq) for eq in getattr(system, "asymptotics", ())]
    # equalities between unknowns: union-find, each class named by its best member
    parent: dict = {}

    def find(a):
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for a, b in _trivial_pairs(eqs):
        ra, rb = find(a), find(b)
        if ra != rb:
            keep, drop = sorted((ra, rb), key=_rank)
            parent[drop] = keep
    alias = {n: find(n) for n in parent}
    eqs = [eq for eq in eqs if not _trivial_pairs([eq])
           and not (isinstance(eq, sp.Eq) and eq.lhs == eq.rhs) and eq is not sp.true]

    def unalias(name: str) -> str:
        if name in alias:
            return alias[name]

        def sub(m):  # S_{G_3} and R_3 follow G_3
            tgt = alias.get("G_" + m.group(2))
            if tgt == "G":
                return m.group(1)
            mm = re.fullmatch(r"G_(\d+)", tgt or "")
            return m.group(1) + "_" + mm.group(1) if mm else m.group(0)
        return _G_TOKEN.sub(sub, name)

    eqs = [_rename_expr(eq, unalias) for eq in eqs]
    asy = [_rename_expr(eq, unalias) for eq in asy]
    # consecutive numbers for G_k (R_k, S_{G_k}) and omega_k
    names: dict = {}
    for e in eqs + asy:
        names.update(_symbols_of(e))
    gidx = sorted({int(m.group(2)) for n in names for m in _G_TOKEN.finditer(n)})
    oidx = sorted({int(m.group(1)) for n in names for m in _OMEGA_TOKEN.finditer(n)})
    gmap = {k: i + 1 for i, k in enumerate(gidx)}
    omap = {k: i + 1 for i, k in enumerate(oidx)}

    def renumber(name: str) -> str:
        # an index that is not shown (an unknown used only by the numerics) gets a name that
        # no shown unknown has
        name = _G_TOKEN.sub(lambda m: f"{m.group(1)}_{gmap.get(int(m.group(2)), 'x' + m.group(2))}",
                            name)
        return _OMEGA_TOKEN.sub(lambda m: f"omega_{omap.get(int(m.group(1)), 'x' + m.group(1))}",
                                name)

    eqs = [_rename_expr(eq, renumber) for eq in eqs]
    asy = [_rename_expr(eq, renumber) for eq in asy]
    shown_names: dict = {}
    for e in eqs + asy:
        shown_names.update(_symbols_of(e))
    renamed = {}
    for old in set(names) | set(alias):
        if renumber(unalias(old)) != old:
            renamed[old] = renumber(unalias(old))
    definer = _Definer(system, lambda old: renumber(unalias(old)), set(shown_names))
    entries = [(tex, definer.text(name, tex))
               for name, tex in sorted(shown_names.items(), key=lambda kv: _order(kv[0]))]
    where = tuple(entries + definer.leaf_entries())
    expr = getattr(system, "expr", None)
    title = expr._latex() if expr is not None else ""
    return SystemDisplay(title, tuple(eqs), tuple(asy), where, renamed)


# layout -------------------------------------------------------------------------------------


def _width(tex: str) -> float:
    """A rough width of displayed LaTeX in characters of math (fractions count their longer
    line, matrices their longest row)."""
    t = re.sub(r"\\(left|right|big|Big|bigl|bigr|displaystyle)\b", "", tex)
    t = re.sub(r"\\begin\{[a-z]*matrix\}(.*?)\\end\{[a-z]*matrix\}",
               lambda m: "x" * int(max(_row_width(r) for r in m.group(1).split(r"\\"))), t)
    t = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}",
               lambda m: "x" * int(max(_width(m.group(1)), _width(m.group(2)))), t)
    t = re.sub(r"[\^_]\{([^{}]*)\}", lambda m: "x" * int(0.7 * _width(m.group(1)) + 0.5), t)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    t = re.sub(r"[{}\s&]|\\[,;:! ]", "", t)
    return float(len(t))


def _row_width(row: str) -> float:
    """Width of a matrix row: its cells and the space between columns (about two characters)."""
    return sum(_width(c) + 2 for c in row.split("&"))


def _terms_tex(rhs: sp.Expr) -> list:
    """The LaTeX of the terms of a sum, signs attached (``['a', '- b', '+ c']``), in the order
    in which sympy prints the sum."""
    out = []
    for i, term in enumerate(rhs.as_ordered_terms()):
        t = sp.latex(term)
        if isinstance(term, sp.Add):
            t = rf"\left({t}\right)"
        if t.startswith("-"):
            out.append("- " + t[1:].lstrip())
        else:
            out.append(t if i == 0 else "+ " + t)
    return out


def _fit(line: str) -> str:
    """A display line that may be too wide, scaled down by the ``\\fitwidth`` macro of the
    preamble only when it is wider than the line (short lines are left as they are)."""
    return line if _width(line) <= 0.6 * _LINE else "\\fitwidth{" + line + "}"


def _display(lhs_tex: str, rhs: Any, rel: str = "=") -> str:
    """One equation as a display: ``equation*``, or ``multline*`` with the terms of a long sum
    spread over lines; a line that still does not fit (a large matrix, one long term) is scaled
    to the width of the text."""
    rhs_tex = sp.latex(rhs)
    one = f"{lhs_tex} {rel} {rhs_tex}"
    if _width(one) <= _LINE or not isinstance(rhs, sp.Add):
        return "\\begin{equation*}\n" + _fit(one) + "\n\\end{equation*}"
    lines, cur = [], f"{lhs_tex} {rel}"
    for t in _terms_tex(rhs):
        if _width(cur) > len(lhs_tex) // 4 + 4 and _width(cur + " " + t) > _LINE:
            lines.append(cur)
            cur = "{} " + t
        else:
            cur = cur + " " + t
    lines.append(cur)
    return "\\begin{multline*}\n" + " \\\\\n".join(_fit(ln) for ln in lines) + \
        "\n\\end{multline*}"


# scales its argument (math, display style) down to the line width when it is wider
_FITWIDTH = (r"\newsavebox{\fitbox}" "\n"
             r"\newcommand{\fitwidth}[1]{\sbox{\fitbox}{$\displaystyle #1$}%" "\n"
             r"  \ifdim\wd\fitbox>0.95\linewidth\resizebox{0.95\linewidth}{!}{\usebox{\fitbox}}%"
             "\n"
             r"  \else\usebox{\fitbox}\fi}")


def _max_cols(eqs) -> int:
    cols = 0
    for e in eqs:
        for M in e.atoms(sp.MatrixBase) if isinstance(e, sp.Basic) else ():
            cols = max(cols, M.shape[1])
    return cols


def system_document(system: Any) -> str:
    """A standalone LaTeX document with the equations of a System, ready for a paper.

    It states the polynomial, the equations (each in its own display; a long sum breaks over
    lines with ``multline*``), the branch condition that selects the solution, and a "where"
    list that defines every symbol, unknown function and variable of integration that appears.
    Unknowns that are equal to another one are substituted away and floats that are exact
    simple numbers are printed exactly (see :func:`system_display`). It needs only the amsmath
    and amssymb packages, and graphicx when a display is wider than the text (a large matrix):
    such a display is scaled down to the text width.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> doc = fa.printing.system_document(fa.compile(x + y))
    >>> print(doc.splitlines()[0])
    \\documentclass{article}
    >>> "G_{1}{\\\\left(\\\\omega_{1}{\\\\left(z \\\\right)} \\\\right)}" in doc
    True

    Parameters
    ----------
    system : System
        A compiled System (``freealg.compile(expr)``).

    Returns
    -------
    str
        The document (pdflatex compiles it).
    """
    d = system_display(system)
    head = ["\\documentclass{article}", "\\usepackage{amsmath,amssymb}"]
    cols = _max_cols(d.equations)
    if cols > 10:
        head.append(f"\\setcounter{{MaxMatrixCols}}{{{cols}}}")
    body = ["\\begin{document}", "\\sloppy", "\\noindent"]
    if d.title:
        body.append(f"The spectral law of $P = {d.title}$ has the Cauchy transform $G$ given by "
                    "the following equations.")
    else:
        body.append("The Cauchy transform $G$ is given by the following equations.")
    for eq in d.equations:
        if isinstance(eq, sp.Eq):
            body.append(_display(sp.latex(eq.lhs), eq.rhs))
        else:
            body.append("\\begin{equation*}\n" + sp.latex(eq) + "\n\\end{equation*}")
    if d.asymptotics:
        conds = ", ".join(rf"${sp.latex(eq.lhs)} \sim {sp.latex(eq.rhs)}$" for eq in d.asymptotics
                          if isinstance(eq, sp.Eq))
        body.append(rf"\noindent The solution is the branch with {conds} as $z \to i\infty$.")
    if d.where:
        body.append("\n\\noindent Here")
        body.append("\\begin{itemize}")
        for tex, text in d.where:
            body.append(f"\\item ${tex}$: {text};")
        body[-1] = body[-1][:-1] + "."
        body.append("\\end{itemize}")
    refs = []
    for st in getattr(system, "steps", ()):
        ref = st.reference.split(":")[0].strip()
        if ref and ref not in refs:
            refs.append(ref)
    if refs:
        body.append("\\noindent References for the rules used: "
                    + "; ".join(text_escape(r) for r in refs) + ".")
    body.append("\\end{document}")
    if any("\\fitwidth{" in b for b in body):
        head[1:2] = ["\\usepackage{amsmath,amssymb,graphicx}", _FITWIDTH]
    return "\n".join(head + body) + "\n"
