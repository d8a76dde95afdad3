"""The System: the equations a free probabilist writes for the law of a polynomial.

A System is produced by the compiler (``freealg.reduce.rules``) and consumed by the numeric
layer. It holds the sympy equations (subordination / R- / S-transform relations), the unknowns,
the provenance (which rule produced which equation) and the law tree that the numeric engine
solves (``System.law``). Each rule also records how to compute the unknowns it introduces
(``freealg.reduce.relations``), so that :meth:`System.residual` can substitute the solution
back into the displayed equations.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from ..algebra.trace import trace
from ..errors import InvalidParameterError, ReductionError, UndeterminedError
from ..numeric.lower import Leaf, NumericForm, lower
from .relations import Evaluator, LawLeaf, Relation

__all__ = ["System", "Step"]

# The compiler that System.subs calls to recompile a substituted polynomial. The rules module
# (which imports this one) registers its compile_expr at import, so this module needs no import
# of the compiler: the package's imports stay acyclic (system <- linearize <- rules).
_COMPILER: Callable | None = None


# System -> its NumericForm (or the UndeterminedError saying why it has none), per instance:
# a System is frozen and hashed by identity, and a replaced copy (dataclasses.replace) gets its
# own entry; nothing compiled is pickled with a System
_FORMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _register_compiler(fn: Callable) -> None:
    """Set the function :meth:`System.subs` recompiles with (called once by ``rules``)."""
    global _COMPILER
    _COMPILER = fn


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
    # what evaluating each equation needs, aligned with ``equations`` (see reduce.relations)
    relations: tuple = field(default=(), repr=False, compare=False)


#: Document writers registered by ``freealg.printing`` when it is imported (``"latex"``: a
#: function ``System -> str``), so that this module does not import the printing layer.
DOCUMENT: dict = {}


@dataclass(frozen=True, eq=False)
class System:
    """Equations for the spectral law of a self-adjoint polynomial.

    Made by :func:`freealg.compile`; :func:`freealg.spectrum` solves it; :meth:`residual`
    checks that the solution satisfies the displayed equations.

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
    asymptotics : tuple of sympy Eq
        The behaviour at z -> i infinity that fixes the branch (G ~ 1/z); :meth:`residual`
        checks it.
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
    # how to compute each unknown (reduce.relations.Unknown), written by the rules
    numeric: tuple = field(default=(), repr=False)

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
        """  # noqa: E501 (a doctest output line)
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
        >>> s3.parameters, s3.law.var()
        (set(), 4)
        """
        if _COMPILER is None:
            raise ReductionError(self.expr, [], hint="no compiler is registered; import "
                                 "freealg.reduce (its rules register one)")
        return _COMPILER(self.expr.subs(*args, **kwargs))

    def _relations(self) -> list:
        """(rule, Relation) for every displayed equation, in order."""
        out = []
        for st in self.steps:
            for rel in st.relations or tuple(Relation(eq) for eq in st.equations):
                out.append((st.rule, rel))
        return out

    def numeric_form(self) -> NumericForm:
        """The System lowered to a frozen numeric form (built once per System).

        The residual components are compiled from the displayed equations themselves (the
        same Relation objects the rules wrote), so the numbers and the equations cannot drift.
        R- and S-transform relations are lowered through their inversion points (the hints:
        ``R_q(a) = omega - 1/a`` with ``G_q(omega) = a``, ``S_f(m) = (1 + m)/(m W)`` with
        ``W G_f(W) - 1 = m``); a Cauchy transform applied away from z is a leaf evaluated from
        its law. Each Cauchy-transform unknown starts as ``1/(z - mean)`` far up the imaginary
        axis, each subordination function as ``z``.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> form = fa.compile(p * x * p).numeric_form()
        >>> form.unknowns
        (G(z), G_c(z), omega_{G_c}(z))
        >>> form.provenance[-1]
        'compression (inversion of R_1 at omega_{G_c}(z))'

        Returns
        -------
        NumericForm

        Raises
        ------
        UndeterminedError
            if the System has no numeric form: a linearization (matrix-valued equations, the
            pencil, integrals against a measure), symbolic parameters, or a function applied
            away from z with no law to evaluate it. :meth:`residual` then evaluates the
            equations directly.
        """
        hit = _FORMS.get(self)
        if hit is None:
            try:
                hit = self._lower()
            except UndeterminedError as err:
                hit = err
            _FORMS[self] = hit
        if isinstance(hit, UndeterminedError):
            raise hit
        return hit

    def _lower(self) -> NumericForm:
        if self.parameters:
            raise UndeterminedError("a numeric form", sorted(self.parameters, key=str))
        table = {u.symbol: u for u in self.numeric}
        leaves, transforms, asym = {}, {}, {}
        for sym, u in table.items():
            if u.kind == "cauchy":
                ll = LawLeaf(u)
                leaves[sym] = Leaf(sym, ll.value, ll.derivative)
                asym[sym] = _leading(u, self.z)
            elif u.kind in ("R", "S"):
                transforms[sym] = (u.kind, u.source)
        try:
            scale = float(mpmath.sqrt(abs(complex(sp.N(self._second_moment())))))
        except (NotImplementedError, TypeError, ValueError):
            scale = 1.0
        return lower(self._relations(), z=self.z, leaves=leaves, transforms=transforms,
                     asymptotics=asym, scale=scale)

    def residual(self, z: Any, dps: int = 30) -> mpmath.mpf:
        """How well the solved unknowns satisfy the displayed equations at z.

        Every unknown (G, each G_i, each subordination function omega_i, G_c, the matrix
        unknowns of a linearization) is computed from the law tree's Newton solution at z and
        substituted into every equation of :attr:`equations`, evaluated in mpmath at
        ``dps + 10`` digits. A function application is evaluated as written: in
        ``G(z) = G_1(omega_3(z))`` the value omega_3(z) comes from the solution of the sum and
        G_1 is then the Cauchy transform of the piece at that point, so the composition is
        checked, not assumed.

        Where the System has a :meth:`numeric_form` (rules: sums, shifts, scales, Haar
        conjugation, compressions, products), the residual is that form's residual
        (:meth:`NumericForm.sides`), compiled from the displayed equations: an R- or
        S-transform relation is checked at the law tree's inversion point (the subordination
        point omega_{G_c} or W), together with that point's own equation (``G_q(omega) =
        t G_c(z)``, ``W G_f(W) - 1 = z G(z) - 1``). Where it has none (a linearization: matrix
        equations, integrals against a measure), the equations are evaluated term by term
        (``reduce.relations.Evaluator``), each transform by inverting its Cauchy transform
        from the hint; the pencil ``L = ...`` is an identity between operators and is not
        evaluated (``Linearization.check`` verifies it exactly).

        Each equation contributes ``abs(lhs - rhs) / max(1, abs(lhs), abs(rhs))`` (largest entry
        for matrices): a relative error where the values exceed 1, an absolute one below. The
        :attr:`asymptotics` (the branch condition G ~ 1/z at z -> i infinity) are checked too,
        at Z = i Y, Y = 4 (1 + sqrt(m_2)): what the relative deviation
        ``abs(lhs - rhs)/abs(rhs) = abs(Z G(Z) - 1)`` exceeds the bound sqrt(m_2)/Y that every
        probability law satisfies (``abs(Z - t) >= Y`` and Cauchy-Schwarz), which is <= 0 on the
        physical branch. The result is the largest of all these.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> r = fa.compile(x + y).residual(0.5 + 0.1j, dps=30)
        >>> bool(r < 1e-25)
        True

        Parameters
        ----------
        z : complex, mpmath mpc or sympy number
            The point, Im z > 0.
        dps : int
            Decimal digits of the solution and of the check.

        Returns
        -------
        mpmath mpf
            The largest residual.

        Raises
        ------
        InvalidParameterError
            if z is not a number in the upper half plane or dps is not a positive integer.
        UndeterminedError
            if the System still has symbolic parameters (substitute them with :meth:`subs`).
        NoConvergence
            if the law tree's Newton solution (or the inversion of a transform) fails at z.
        """
        if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < 1:
            raise InvalidParameterError("dps", dps, "must be a positive integer")
        dps = int(dps)
        if self.parameters:
            raise UndeterminedError("the residual", sorted(self.parameters, key=str))
        try:
            form: NumericForm | None = self.numeric_form()
        except UndeterminedError:
            form = None
        with mpmath.workdps(dps + 10):
            zz = _point(z, dps + 10)
            table = {u.symbol: u for u in self.numeric}
            ev = Evaluator(table, zz, dps)
            worst = mpmath.mpf(0)
            if form is not None:
                u = [ev.function(a.func, zz) for a in form.unknowns]
                lhs, rhs = form.sides(zz, u)
                for a, b in zip(lhs, rhs):
                    a, b = mpmath.mpmathify(a), mpmath.mpmathify(b)
                    worst = max(worst, abs(a - b) / max(mpmath.mpf(1), abs(a), abs(b)))
            else:
                for _, rel in self._relations():
                    if rel.numeric:
                        worst = max(worst, ev.residual(rel))
            if self.asymptotics:
                # |Z G(Z) - 1| = |int t/(Z - t) dmu| <= sqrt(m_2)/Im Z (|Z - t| >= Im Z and
                # Cauchy-Schwarz): the physical branch never exceeds that bound
                r2 = mpmath.sqrt(abs(_point(self._second_moment() + sp.I, dps + 10) - 1j))
                Y = 4 * (1 + r2)
                far = Evaluator(table, mpmath.mpc(0, Y), dps)
                for eq in self.asymptotics:
                    lhs, rhs = far.side(eq.lhs), far.side(eq.rhs)
                    worst = max(worst, abs(lhs - rhs) / abs(rhs) - r2 / Y)
        with mpmath.workdps(dps):
            return +worst

    def _second_moment(self):
        """m_2 of the law: the law's exact moment, else tau(P^2) of the polynomial."""
        try:
            return self.law.moments(2)[1]
        except NotImplementedError:
            if self.expr is None:
                raise
            return trace(self.expr * self.expr)

    def to_tex(self, path: str) -> str:
        """Write a standalone LaTeX document with the equations, ready for a paper; returns
        the path.

        The document (see :func:`freealg.printing.system_document`) states the polynomial,
        one display per equation (long sums break over lines), the branch condition, and a
        "where" list defining every symbol; unknowns equal to another are substituted away.

        Examples
        --------
        >>> import os, tempfile, freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> path = fa.compile(x + y).to_tex(os.path.join(tempfile.mkdtemp(), "eqs.tex"))
        >>> print(open(path).read().splitlines()[0])
        \\documentclass{article}

        Parameters
        ----------
        path : str or path-like
            Where to write the ``.tex`` file.

        Returns
        -------
        str
            ``path``.
        """
        writer = DOCUMENT.get("latex")
        if writer is not None:
            doc = writer(self)
        else:  # freealg.printing not imported: the plain amsmath document
            title = self.expr._latex() if self.expr is not None else ""
            doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"
                   "\\begin{document}\n"
                   f"Spectral equations for ${title}$:\n\\[\n{self.latex()}\n\\]\n"
                   "\\end{document}\n")
        with open(path, "w") as fh:
            fh.write(doc)
        return path

    def __repr__(self):
        return f"System({self.expr!r}: {len(self.equations)} equations, unknowns {self.unknowns})"


def _point(z: Any, dps: int) -> Any:
    """z as an mpmath mpc at the working precision; InvalidParameterError unless Im z > 0."""
    try:
        if isinstance(z, sp.Basic):
            if z.free_symbols:
                raise TypeError
            v = sp.N(z, dps)
            prec = mpmath.mp.prec
            zz = mpmath.mpc(sp.re(v)._to_mpmath(prec), sp.im(v)._to_mpmath(prec))
        elif isinstance(z, (bool, str)):
            raise TypeError
        else:
            zz = mpmath.mpmathify(z)
            zz = mpmath.mpc(zz)
    except (TypeError, ValueError, AttributeError):
        raise InvalidParameterError("z", z, "must be a number in the upper half plane "
                                            "(Im z > 0)") from None
    if not mpmath.isfinite(zz) or not zz.imag > 0:
        raise InvalidParameterError("z", z, "must lie in the upper half plane (Im z > 0): the "
                                            "equations hold for the Cauchy transform there")
    return zz


def _leading(u, z) -> Any:
    """1/(z - mean) for a 'cauchy' unknown whose law has a numeric mean, else 1/z (a start far
    up the imaginary axis; the mean keeps m = z G - 1 away from 0 there, which the S-transform
    inversions need)."""
    try:
        mean = sp.sympify(u.law().mean())
        if mean.is_number and mean.is_real:
            return 1 / (z - sp.nsimplify(mean) if mean.is_Float else z - mean)
    except (NotImplementedError, AttributeError, TypeError, ValueError):
        pass
    return 1 / z
