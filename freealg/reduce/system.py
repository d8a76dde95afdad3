"""The System: the equations a free probabilist writes for the law of a polynomial.

A System is produced by the compiler (``freealg.reduce.rules``) and consumed by the numeric
layer. It holds the sympy equations (subordination / R- / S-transform relations), the unknowns,
the provenance (which rule produced which equation) and the law tree that the numeric engine
solves (``System.law``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

__all__ = ["System", "Step"]


@dataclass(frozen=True)
class Step:
    """One rule application: the rule's name, the polynomial it applied to and what it gave.

    A :class:`System` keeps its Steps in ``System.steps``; :meth:`System.explain` prints them.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> st = fa.compile(x + y).steps[0]
    >>> st.rule, st.expr, st.result
    ('free sum', 'x + y', 'free_additive(semicircle, semicircle)')
    >>> st.reference
    'Voiculescu 1986: R-transforms add'
    >>> len(st.equations)          # G = G_1(omega_1), G = G_2(omega_2), omega_1 + omega_2 = z + 1/G
    3
    >>> from freealg.reduce import Step
    >>> Step("free sum", "x + y", "free_additive(semicircle, semicircle)")
    Step(rule='free sum', expr='x + y', result='free_additive(semicircle, semicircle)',
         equations=(), reference='')

    Attributes
    ----------
    rule : str
        The name of the rule (e.g. ``'free sum'``, ``'linearization'``).
    expr : str
        The polynomial the rule applied to, as text.
    result : str
        What the rule gave (a law tree, a pencil, ...), as text.
    equations : tuple of sympy Eq
        The equations the rule contributed to the System.
    reference : str
        The literature the rule rests on (empty when none is cited).
    """

    rule: str
    expr: str
    result: str
    equations: tuple = ()
    reference: str = ""


@dataclass(frozen=True, eq=False)
class System:
    """Equations for the spectral law of a self-adjoint polynomial.

    Made by :func:`freealg.compile`; :func:`freealg.spectrum` solves it.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> s = fa.compile(x + y)
    >>> s
    System(x + y: 5 equations, unknowns (G, G_1, G_2, omega_3, omega_4))
    >>> s.equations[2]                          # subordination: omega_1 + omega_2 = z + 1/G
    Eq(omega_3(z) + omega_4(z), z + 1/G(z))
    >>> s.law.moments(2)
    [0, 2]

    Attributes
    ----------
    z : sympy Symbol
        The spectral variable.
    target : sympy Symbol
        The Cauchy transform of the polynomial, G(z).
    unknowns : tuple
        All unknown functions (Cauchy transforms, subordination functions, m = zG - 1).
    equations : tuple of sympy Eq
        The equations, in the order the rules produced them.
    definitions : tuple
        (symbol, description) pairs for the symbols used in the equations.
    steps : tuple of Step
        The provenance: which rule gave which equations.
    law : Law
        The law tree solved numerically.
    expr : NCPoly
        The polynomial.
    """

    z: sp.Symbol
    target: sp.Symbol
    unknowns: tuple
    equations: tuple
    definitions: tuple
    steps: tuple
    law: Any
    expr: Any = None
    asymptotics: tuple = ()

    @property
    def parameters(self) -> set:
        """Free symbols that must be given numbers before solving.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> v = sp.Symbol("v", positive=True)
        >>> fa.compile(fa.semicircular("x", v) + fa.semicircular("y")).parameters
        {v}
        """
        out = set(self.law.free_symbols) if self.law is not None else set()
        return out

    def latex(self) -> str:
        """Paste-ready LaTeX: an ``aligned`` block of the equations, then the definitions.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> s = fa.compile(x + y)
        >>> print(s.latex().splitlines()[0])
        \\begin{aligned}
        """
        lines = []
        for eq in self.equations:
            lhs, rhs = sp.latex(eq.lhs), sp.latex(eq.rhs)
            lines.append(f"{lhs} &= {rhs}")
        body = " \\\\\n".join(lines)
        out = "\\begin{aligned}\n" + body + "\n\\end{aligned}"
        if self.definitions:
            defs = " \\\\\n".join(f"{sp.latex(sym)} &: {d}" for sym, d in self.definitions)
            out += "\n\\quad\\text{where}\\quad\n\\begin{aligned}\n" + defs + "\n\\end{aligned}"
        return out

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def _latex(self, printer=None) -> str:
        return self.latex()

    def explain(self) -> str:
        """Which rule produced which equation, in the order applied.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> print(fa.compile(x + y).explain().splitlines()[0])
        free sum: x + y -> free_additive(semicircle, semicircle)  [Voiculescu 1986: R-transforms add]
        """
        out = []
        for st in self.steps:
            ref = f"  [{st.reference}]" if st.reference else ""
            out.append(f"{st.rule}: {st.expr} -> {st.result}{ref}")
            for eq in st.equations:
                out.append(f"    {sp.sstr(eq)}")
        return "\n".join(out)

    def curve(self, z: Any = None, G: Any = None):
        """Algebraic curve P(z, G) = 0 when the law is algebraic with rational R or S
        transforms along the tree (None otherwise).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.compile(x + y).curve()                # semicircle of variance 2: 2 G^2 - z G + 1
        Poly(2*G**2 - G*z + 1, G, z, domain='ZZ')

        Parameters
        ----------
        z, G : sympy Symbol, optional
            The variables (default: the System's ``z`` and ``target``).
        """
        return self.law.curve(z if z is not None else self.z, G if G is not None else self.target)

    def subs(self, *args, **kwargs) -> "System":
        """Substitute parameter values (returns a new System, recompiled).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> v = sp.Symbol("v", positive=True)
        >>> s = fa.compile(fa.semicircular("x", v) + fa.semicircular("y"))
        >>> s3 = s.subs(v, 3)
        >>> s3.parameters, s3.law.variance
        (set(), 4)
        """
        from .rules import compile_expr

        return compile_expr(self.expr.subs(*args, **kwargs))

    def to_tex(self, path: str) -> str:
        """Write a standalone amsmath document with the equations; returns the path.

        Examples
        --------
        >>> import os, tempfile, freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> path = fa.compile(x + y).to_tex(os.path.join(tempfile.mkdtemp(), "eqs.tex"))
        >>> print(open(path).read().splitlines()[0])
        \\documentclass{article}
        """
        title = self.expr._latex() if self.expr is not None else ""
        doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
               f"Spectral equations for ${title}$:\n\\[\n{self.latex()}\n\\]\n"
               "\\end{document}\n")
        with open(path, "w") as fh:
            fh.write(doc)
        return path

    def __repr__(self):
        return f"System({self.expr!r}: {len(self.equations)} equations, unknowns {self.unknowns})"
