"""The law printer (freealg.printing.law_latex) and the paper-ready System document.

The notation checked here is the one of the free probability literature: mu ⊞ nu and mu ⊠ nu
(Voiculescu), mu^{⊞t} (Nica-Speicher 1996), the free compression D_t(mu^{⊞1/t}) (Nica-Speicher,
Lectures on the Combinatorics of Free Probability, Lecture 14), sum_i w_i delta_{a_i} for discrete
laws. The documents are compiled with pdflatex when it is installed, and their logs must have
no "Overfull" box and no "Undefined control sequence".
"""

from __future__ import annotations

import functools
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

import freealg as fa
from freealg.nn.residual import SymmetricRoot, SymmetricSquare
from freealg.laws.base import PRINTERS, Law
from freealg.printing import (exact_float, law_latex, system_display, system_document,
                              text_escape)
from freealg.printing.laws import _LAW_PRINTERS
from freealg.reduce import System

R = sp.Rational
_v, _lam, _al, _t = sp.symbols("v lambda alpha t", positive=True)
_h, _x = sp.Symbol("h"), sp.Symbol("x")


def my_pdf(x):
    return 1.0


def soft_clip(x):
    return math.tanh(x) ** 2


@functools.lru_cache(maxsize=1)
def _examples() -> tuple:
    """At least one law of every public Law class, with numeric and symbolic parameters."""
    sc, mp = fa.semicircle(1), fa.free_poisson(2)
    b4 = fa.bernoulli(R(1, 4))
    x, y = fa.semicircular("x"), fa.semicircular("y")
    return (
        fa.semicircle(1), fa.semicircle(2, 3), fa.semicircle(_v),
        fa.free_poisson(2), fa.free_poisson(_lam, _al),
        fa.discrete([0, 2]), fa.empirical([1, 2, 3, 4, 5, 6]),
        fa.discrete([-3, -1, 0, 1, 2, 5], [R(1, 10), R(1, 10), R(1, 5), R(1, 5), R(1, 5),
                                           R(1, 5)]),
        fa.bernoulli(R(1, 3)), fa.bernoulli(_t / 2), fa.dirac(-2),
        fa.arcsine(), fa.uniform(0, 1),
        fa.free_additive(sc, mp), fa.free_additive(fa.free_additive(sc, mp), fa.arcsine()),
        fa.free_multiplicative(mp, b4), fa.free_additive(fa.free_multiplicative(mp, b4), sc),
        fa.free_power(fa.bernoulli(R(1, 2)), 3),
        fa.free_power(fa.free_additive(mp, fa.bernoulli(R(1, 2))), R(5, 2)),
        fa.free_product([mp, mp, fa.bernoulli(R(1, 2))]),
        fa.affine(sc, 2, 1), fa.affine(fa.free_multiplicative(mp, b4), 3, 0), fa.affine(sc, -1, _v),
        fa.free_compression(fa.bernoulli(R(1, 2)), R(1, 3)),
        fa.free_compression(sc, _t, ambient=True),
        fa.mixture([fa.dirac(0), fa.semicircle(1, 3)], [R(1, 4), R(3, 4)]),
        fa.mixture([fa.free_additive(sc, mp), fa.dirac(1)], [R(1, 2), R(1, 2)]),
        fa.multiplicative_exponential(R(1, 2)),
        fa.free_meixner(0, 1, 1, 2), fa.free_binomial(3, R(1, 3)), fa.kesten_mckay(3),
        fa.wachter(R(1, 3), R(1, 2)),
        fa.boolean_additive(sc, mp), fa.monotone_additive(sc, b4), fa.boolean_power(sc, R(1, 2)),
        fa.from_jacobi([0, 1, 2], [1, 2, 3]),
        fa.from_density(sp.Lambda(_x, 6 * _x * (1 - _x)), 0, 1), fa.from_density(my_pdf, 0, 1),
        fa.gaussian_pushforward(sp.Lambda(_h, (1 - sp.tanh(_h) ** 2) ** 2), 1),
        fa.gaussian_pushforward(soft_clip, 2),
        fa.compile(x * y + y * x, method="linearization").law,
        fa.compile(fa.gaussian("X", shape=(1, 2)) * fa.gaussian("X", shape=(1, 2)).H,
                   method="linearization").law,
        fa.nn.MLP(depth=2, activation="linear", residual="1/2").jacobian_spectrum().law,
        SymmetricSquare(fa.arcsine()),
        SymmetricRoot(fa.free_poisson(1)),
    )


def _public_law_classes() -> set:
    out, todo = set(), [Law]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            todo.append(s)
            if not s.__name__.startswith("_"):
                out.add(s.__name__)
    return out


def _pdflatex(tex: str) -> str:
    """Compile with pdflatex in a temporary folder; the log (fails on a LaTeX error)."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "doc.tex").write_text(tex)
        r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                           cwd=d, capture_output=True, text=True, timeout=120)
        log = Path(d, "doc.log").read_text(errors="replace")
    assert r.returncode == 0, log[-3000:]
    return log


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed")


# the law printer ----------------------------------------------------------------------------


def test_every_law_class_has_a_printer_and_an_example():
    classes = _public_law_classes()
    assert classes <= set(_LAW_PRINTERS), classes - set(_LAW_PRINTERS)
    assert classes <= {type(law).__name__ for law in _examples()}


def test_no_stray_subscripts_or_python_values():
    for law in _examples():
        tex = law_latex(law)
        assert not re.search(r"(?<!\\)_(?!\{)", tex), tex        # every _ is _{...} or \_
        assert "True" not in tex and "False" not in tex, tex
        assert "operatorname{free" not in tex and "discrete" not in tex, tex
        assert tex.count("{") == tex.count("}"), tex
        assert tex.count(r"\left") == tex.count(r"\right"), tex


def test_standard_notation():
    sc, mp = fa.semicircle(1), fa.free_poisson(2)
    assert law_latex(sc) == r"\sigma_{1}"
    assert law_latex(fa.semicircle(2, 3)) == r"\mathcal{S}\left(3, 2\right)"   # mean 3, var 2
    assert law_latex(fa.free_poisson(_lam, _al)) == r"\pi_{\lambda, \alpha}"
    assert law_latex(fa.free_additive(sc, mp)) == r"\sigma_{1} \boxplus \pi_{2, 1}"
    # ⊞ is associative: no parentheses in a chain; ⊠ inside ⊞ is parenthesised
    assert law_latex(fa.free_additive(fa.free_additive(sc, mp), fa.arcsine())) == \
        r"\sigma_{1} \boxplus \pi_{2, 1} \boxplus \mathrm{Arcsine}_{[-2, 2]}"
    assert law_latex(fa.free_additive(fa.free_multiplicative(mp, fa.dirac(2)), sc)) == \
        r"\left(\pi_{2, 1} \boxtimes \delta_{2}\right) \boxplus \sigma_{1}"
    assert law_latex(fa.discrete([0, 2])) == r"\frac{1}{2}\delta_{0} + \frac{1}{2}\delta_{2}"
    assert law_latex(fa.bernoulli(R(1, 3))) == r"\frac{2}{3}\delta_{0} + \frac{1}{3}\delta_{1}"
    assert law_latex(fa.dirac(-2)) == r"\delta_{-2}"
    assert law_latex(fa.free_power(fa.bernoulli(R(1, 2)), 3)) == \
        r"\left(\frac{1}{2}\delta_{0} + \frac{1}{2}\delta_{1}\right)^{\boxplus 3}"
    # Nica-Speicher: the compression by a projection of trace t is D_t(mu^{⊞ 1/t})
    assert law_latex(fa.free_compression(sc, R(1, 2))) == \
        r"D_{\frac{1}{2}}\left(\sigma_{1}^{\boxplus 2}\right)"
    assert law_latex(fa.free_compression(sc, _t, ambient=True)) == \
        r"\left(1 - t\right)\,\delta_{0} + t\,D_{t}\left(\sigma_{1}^{\boxplus \frac{1}{t}}\right)"
    assert law_latex(fa.affine(sc, 2, 1)) == r"D_{2}\sigma_{1} \boxplus \delta_{1}"
    assert law_latex(fa.free_product([mp, mp, fa.dirac(3)])) == \
        r"\pi_{2, 1}^{\boxtimes 2} \boxtimes \delta_{3}"
    assert law_latex(fa.mixture([fa.free_additive(sc, mp), fa.dirac(1)], [R(1, 2), R(1, 2)])) \
        == r"\frac{1}{2}\left(\sigma_{1} \boxplus \pi_{2, 1}\right) + \frac{1}{2}\delta_{1}"
    # many atoms: the first three and the last; equal weights factored out
    assert law_latex(fa.empirical([1, 2, 3, 4, 5, 6])) == \
        r"\frac{1}{6}\left(\delta_{1} + \delta_{2} + \delta_{3} + \cdots + \delta_{6}\right)"
    assert law_latex(fa.from_density(my_pdf, 0, 1)) == \
        r"\mathrm{my\_pdf}\left(x\right)\, \mathbf{1}_{[0, 1]}(x)\, dx"


def test_registered_and_used_by_sympy_printer():
    assert PRINTERS["latex"] is law_latex
    # classes without their own _latex go through the registry, also from sympy.latex
    mu = fa.mixture([fa.dirac(0), fa.uniform(0, 1)], [R(1, 4), R(3, 4)])
    assert mu._latex() == law_latex(mu) == sp.latex(mu)
    # the printer's settings format the parameters
    half = fa.semicircle(R(1, 2))
    assert law_latex(half, LatexPrinter({"fold_short_frac": True})) == r"\sigma_{1 / 2}"
    # laws named in the tree
    nu = fa.free_poisson(2)
    assert law_latex(fa.free_additive(fa.semicircle(1), nu), names={nu: r"\nu"}) == \
        r"\sigma_{1} \boxplus \nu"


def test_exact_float():
    assert exact_float(sp.Float(1.0)) == 1 and isinstance(exact_float(sp.Float(1.0)), sp.Integer)
    assert exact_float(sp.Float(1 / 3)) == R(1, 3)
    assert exact_float(sp.Float(-(2 ** 0.5))) == -sp.sqrt(2)
    assert exact_float(sp.Float(math.pi / 4)) == sp.pi / 4
    # not exact simple numbers: kept (1 + 7.45e-9 from an MLP; a 15-digit float is not a
    # 14-digit fraction)
    for s in ("1.00000000745219", "134188667.022802", "7.45219415459336e-9"):
        assert exact_float(sp.Float(s)) == sp.Float(s)
        assert isinstance(exact_float(sp.Float(s)), sp.Float)


def test_text_escape():
    assert text_escape("a_b & 50% #1 {x} ~ ^") == \
        r"a\_b \& 50\% \#1 \{x\} \~{} \^{}"
    assert text_escape("mu⊞nu é") == r"mu$\boxplus$nu ?"


@needs_pdflatex
def test_all_laws_compile_without_overfull():
    body = "\n".join("\\begin{equation*}\n" + law_latex(law) + "\n\\end{equation*}"
                     for law in _examples())
    doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
           + body + "\n\\end{document}\n")
    log = _pdflatex(doc)
    assert "Overfull" not in log
    assert "Undefined control sequence" not in log


# the System document ------------------------------------------------------------------------


def _systems() -> dict:
    x, y = fa.semicircular("x"), fa.semicircular("y")
    p, u = fa.projection("p", R(1, 2)), fa.haar_unitary("u")
    w = fa.semicircular("w")
    a = fa.selfadjoint("a", fa.discrete([-1, 1, 3], [R(1, 4), R(1, 2), R(1, 4)]))
    mlp = fa.nn.MLP(3, "relu")
    return {
        "x + y": fa.compile(x + y),
        "x y x": fa.compile(x * y * x),
        "p x p": fa.compile(p * x * p),
        "u + u*": fa.compile(u + u.H),
        "u + u* (linearization)": fa.compile(2 * u + 2 * u.H, method="linearization"),
        "x y + y x": fa.compile(x * y + y * x),
        "a x a + x": fa.compile(a * x * a + x),
        "MLP Jacobian": mlp.jacobian_system(),
        "MLP Fisher": mlp.fisher_system(),
        # a pencil of size 19: its matrices are wider than the text and are scaled down
        "big pencil": fa.compile(x * y * x * y * x * y + y * x * y * x * y * x
                                 + w * x * w * y * w + w * y * w * x * w),
    }


def _shown_symbols(e) -> set:
    """LaTeX of every symbol, unknown function, matrix symbol and bound variable of e, parsed
    from the sympy expression."""
    out = {sp.latex(f.func) for f in e.atoms(AppliedUndef)}
    out |= {sp.latex(s) for s in e.atoms(sp.Symbol)}
    out |= {sp.latex(s) for s in e.atoms(sp.MatrixSymbol)}
    for it in e.atoms(sp.Integral):
        out |= {sp.latex(s) for lim in it.limits for s in lim if isinstance(s, sp.Symbol)}
    return out


def test_every_symbol_is_defined_and_trivial_equalities_are_gone():
    for name, s in _systems().items():
        d = system_display(s)
        defined = [sym for sym, _ in d.where]
        assert len(defined) == len(set(defined)), name
        for eq in d.equations + d.asymptotics:
            missing = _shown_symbols(eq) - set(defined)
            assert not missing, (name, eq, missing)
            # no equality between two unknown functions at the same point is left
            assert not (isinstance(eq.lhs, AppliedUndef) and isinstance(eq.rhs, AppliedUndef)
                        and eq.lhs.args == eq.rhs.args), (name, eq)
        # names of laws introduced in the definitions (nu_k) are defined as well
        for _, text in d.where:
            for nu in re.findall(r"\\nu_\{\d+\}", text):
                assert nu in defined, (name, nu)
            assert "operatorname{discrete" not in text and "l\\,Q" not in text, (name, text)


def test_mlp_equalities_substituted():
    # the relu MLP Jacobian: G_2 = G_3 and G_5 = G_6 are equalities between unknowns
    s = fa.nn.MLP(3, "relu").jacobian_system()
    pairs = [eq for eq in s.equations if isinstance(eq.lhs, AppliedUndef)
             and isinstance(eq.rhs, AppliedUndef) and eq.lhs.args == eq.rhs.args]
    assert len(pairs) == 2
    d = system_display(s)
    assert len(d.equations) == len(s.equations) - 2
    # the S-transform products follow the renaming: S_G = S_1 S_2, S_2 = S_3 S_4
    S = {k: sp.Function(f"S_{{{k}}}") for k in ("G", "G_1", "G_2", "G_3", "G_4")}
    m = sp.Symbol("m")
    assert d.equations == (sp.Eq(S["G"](m), S["G_1"](m) * S["G_2"](m)),
                           sp.Eq(S["G_2"](m), S["G_3"](m) * S["G_4"](m)))
    # the laws behind the renamed unknowns: D_3^2 (relu: (delta_0 + delta_2)/2) times the law
    # of the inner layers, which is itself a ⊠ product of the two layers' D^2
    where = dict(d.where)
    two_point = r"\frac{1}{2}\delta_{0} + \frac{1}{2}\delta_{2}"
    assert where["S_{G_1}"] == f"the S-transform of ${two_point}$"
    assert where["S_{G_2}"] == (rf"the S-transform of $\left({two_point}\right) \boxtimes "
                                rf"\left({two_point}\right)$")
    assert where["S_{G_3}"] == where["S_{G_4}"] == where["S_{G_1}"]


def test_floats_displayed_exactly_only_when_exact():
    z = sp.Symbol("z")
    G, G1, G2 = (sp.Function(n) for n in ("G", "G_1", "G_2"))
    eqs = (sp.Eq(G(z), sp.Float(1.0) * G1(sp.Float(1.0) * z)),
           sp.Eq(G1(z), G2(z - sp.Float(0.5))),
           sp.Eq(G2(z), sp.Float("1.00000000745219") / z))
    s = System(z=z, target=sp.Symbol("G"), unknowns=(G, G1, G2), equations=eqs,
               definitions=(), steps=(), law=None)
    d = system_display(s)
    # G = 1.0 G_1(1.0 z) is G = G_1(z): removed, G_1 renamed G; G_2 renumbered G_1
    assert d.equations == (sp.Eq(G(z), G1(z - R(1, 2))),
                           sp.Eq(G1(z), sp.Float("1.00000000745219") / z))
    assert d.renamed == {"G_1": "G", "G_2": "G_1"}


def _check_compiles(systems: dict) -> None:
    for name, s in systems.items():
        log = _pdflatex(system_document(s))
        assert "Overfull" not in log, (name, [ln for ln in log.splitlines() if "Overfull" in ln])
        assert "Undefined control sequence" not in log, name


@needs_pdflatex
def test_system_documents_compile_without_overfull():
    x, y = fa.semicircular("x"), fa.semicircular("y")
    _check_compiles({"x + y": fa.compile(x + y),
                     "MLP Jacobian": fa.nn.MLP(3, "relu").jacobian_system()})


@needs_pdflatex
@pytest.mark.slow
def test_all_system_documents_compile_without_overfull():
    _check_compiles(_systems())


def _long_system() -> System:
    z = sp.Symbol("z")
    G, G1 = sp.Function("G"), sp.Function("G_1")
    rhs = sum(k * G1(z) ** k / (z - k) for k in range(1, 13)) + sp.sqrt(z**2 - 4) / (2 * z)
    return System(z=z, target=sp.Symbol("G"), unknowns=(G, G1), equations=(sp.Eq(G(z), rhs),),
                  definitions=(), steps=(), law=None, asymptotics=(sp.Eq(sp.Symbol("G"), 1 / z),))


def test_long_equation_breaks_over_lines():
    doc = system_document(_long_system())
    assert "\\begin{multline*}" in doc
    body = doc[doc.index("\\begin{multline*}"):doc.index("\\end{multline*}")]
    assert body.count("\\\\") >= 2      # 13 terms do not fit on one or two lines


@needs_pdflatex
def test_long_equation_compiles_without_overfull():
    log = _pdflatex(system_document(_long_system()))
    assert "Overfull" not in log and "Undefined control sequence" not in log
