"""Automatic self-adjoint linearization of a self-adjoint noncommutative polynomial.

For a self-adjoint polynomial P in free generators this module builds a self-adjoint linear
pencil (Anderson 2013, Ann. Probab. 41; Helton-Mai-Speicher 2018, JFA 274; Mingo-Speicher 2017,
Ch. 10)

    L = b_0 ⊗ 1 + sum_l beta_l ⊗ l,        L = [[a, u], [u^*, Q]],      P = a - u Q^{-1} u^*,

with exact sympy matrices b_0, beta_l of size k, so that for z in C+

    G_P(z) = lim_{eps -> 0+} [ E_{M_k}((Lambda_eps - L)^{-1}) ]_{11},
    Lambda_eps = diag(z, i eps, ..., i eps).

Construction (all entries of L are affine in the letters):

* the constant and degree-1 terms go into the (1,1) entry a;
* the words of degree >= 2 are split as P - a = A + A^* (one word of each pair {w, w^*}, half
  of each self-adjoint word);
* A is realised on the *prefix trie* of its words, A = e N^{-1} s with N = I - S nilpotent
  (S moves a prefix pi to pi l, e starts the length-1 prefixes, s ends a word);
  the prefix tries of A and of A^* (= the suffix trie of A) are both built and the smaller is
  kept, so common prefixes (or suffixes) are shared;
* with T = -N^*, Q = [[0, T], [T^*, 0]] and u = (e, s^*):
  -u Q^{-1} u^* = e N^{-1} s + s^* N^{-*} e^* = A + A^*.

The size is k = 1 + 2 m, m the number of trie states (k = 3 for x y + y x).

Circular generators are replaced first by (s_1 + i s_2)/sqrt 2 with two free semicirculars of
the same variance (so c c^* has the right law); Haar unitaries/orthogonals keep their letters
u, u^* with coefficients beta and beta^* (their M_k-valued Cauchy transform is an integral over
the unit circle, see ``freealg.numeric.operator_groups``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from ..algebra.generators import Generator, Letter
from ..algebra.ncpoly import NCPoly
from ..algebra.trace import trace
from ..errors import InvalidParameterError, UndeterminedError
from ..kernels.backend import NP
from ..numeric.memory import check_memory_size
from ..laws.base import numeric_value
from ..laws.operator_valued import OperatorValued, discrete_points_weights
from .relations import Relation, Unknown
from .system import Step, System

__all__ = ["Linearization", "linearize", "decircularize"]


def _adj_word(w: tuple) -> tuple:
    return tuple(L.adjoint for L in reversed(w))


def decircularize(P: NCPoly) -> NCPoly:
    """Replace every circular generator c of variance v by (s_1 + i s_2)/sqrt 2 with two free
    semicirculars s_1, s_2 of variance v (named ``c.re``, ``c.im``).

    Examples
    --------
    >>> import freealg as fa
    >>> c = fa.circular("c")
    >>> decircularize(c * c.H)
    1/2*c.im*c.im + I/2*c.im*c.re - I/2*c.re*c.im + 1/2*c.re*c.re
    """
    subs: dict = {}
    for g in P.generators:
        if g.kind == "circular":
            v = g.params[0]
            s1 = NCPoly.from_generator(Generator(g.name + ".re", "semicircular", (v,)))
            s2 = NCPoly.from_generator(Generator(g.name + ".im", "semicircular", (v,)))
            r = 1 / sp.sqrt(2)
            subs[g] = (r * s1 + sp.I * r * s2, r * s1 - sp.I * r * s2)
    if not subs:
        return P
    out = NCPoly.constant(0)
    for w, c in P.terms:
        t = NCPoly.constant(c)
        for L in w:
            if L.gen in subs:
                t = t * subs[L.gen][1 if L.star else 0]
            else:
                t = t * NCPoly._new((((L,), sp.S.One),))
        out = out + t
    return out


# entries of L: dict {Letter or None (scalar): coefficient}


def _add(entry: dict, letter, coeff) -> None:
    entry[letter] = entry.get(letter, sp.S.Zero) + coeff


def _entry_adjoint(entry: dict) -> dict:
    return {(None if L is None else L.adjoint): sp.conjugate(c) for L, c in entry.items()}


def _trie(words: list) -> tuple[list, dict]:
    """States (proper prefixes of length >= 1) of the words, in creation order."""
    states: list = []
    index: dict = {}
    for w, _ in words:
        for j in range(1, len(w)):
            pre = w[:j]
            if pre not in index:
                index[pre] = len(states)
                states.append(pre)
    return states, index


@dataclass(frozen=True, eq=False)
class Linearization:
    """A self-adjoint linear pencil ``L = b_0 ⊗ 1 + sum_l beta_l ⊗ l`` of a polynomial.

    Made by :func:`linearize`. Written ``L = [[a, u], [u^*, Q]]`` in blocks (``a`` the (1, 1)
    entry), it reproduces the polynomial as the Schur complement ``P = a - u Q^{-1} u^*``
    (:meth:`check` recomputes it); see the module docstring for the construction.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.reduce import linearize
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> lin = linearize(x*y + y*x)
    >>> lin.k                                   # 1 + 2 * (one trie state)
    3
    >>> lin.matrix()
    Matrix([
    [0,  x,  y],
    [x,  0, -1],
    [y, -1,  0]])
    >>> lin.b0
    Matrix([
    [0,  0,  0],
    [0,  0, -1],
    [0, -1,  0]])
    >>> [letter for letter, beta in lin.coefficients]
    [x, y]
    >>> lin.check() == x*y + y*x         # a - u Q^{-1} u^*: a = 0, u = (x, y), Q^{-1} = Q
    True

    Attributes
    ----------
    k : int
        The matrix size.
    b0 : sympy ImmutableMatrix
        The scalar part.
    coefficients : tuple of (Letter, sympy ImmutableMatrix)
        ``beta_l`` for every letter, sorted by letter (for a Haar unitary ``u`` both ``u`` and
        ``u^*`` appear, with ``beta_{u^*}`` the conjugate transpose of ``beta_u``).
    expr : NCPoly
        The polynomial (after replacing circular generators, see :func:`decircularize`).
    entries : tuple of tuples of dict
        L entry by entry, ``{letter or None: coefficient}`` (``None`` for the scalar part).
    """

    k: int
    b0: Any
    coefficients: tuple
    expr: Any
    entries: tuple

    def matrix(self) -> sp.Matrix:
        """L as a sympy matrix of (noncommutative) symbols, for printing.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> linearize(x*y + y*x).matrix()
        Matrix([
        [0,  x,  y],
        [x,  0, -1],
        [y, -1,  0]])
        """
        def sym(L: Letter):
            name = L.gen.name + ("^*" if L.star else "")
            return sp.Symbol(name, commutative=False)

        rows = []
        for row in self.entries:
            rr = []
            for ent in row:
                e = sp.S.Zero
                def order(lc):
                    return (lc[0] is not None, lc[0].sort_key() if lc[0] else ())

                for L, c in sorted(ent.items(), key=order):
                    e += c if L is None else c * sym(L)
                rr.append(e)
            rows.append(rr)
        return sp.Matrix(rows)

    def check(self) -> NCPoly:
        """The polynomial a - u Q^{-1} u^* recomputed from the pencil (exact; for tests).

        Q is inverted by its Neumann series (its letter part is nilpotent by construction).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> lin = linearize(x*y*x + y)
        >>> lin.check() == x*y*x + y, lin.k
        (True, 3)
        """
        k = self.k

        def poly(ent: dict) -> NCPoly:
            out = NCPoly.constant(0)
            for L, c in ent.items():
                out = out + (NCPoly.constant(c) if L is None else
                             c * NCPoly._new((((L,), sp.S.One),)))
            return out

        M = [[poly(self.entries[i][j]) for j in range(k)] for i in range(k)]
        m = k - 1
        if m == 0:
            return M[0][0]
        # Q = Q0 + Q1, Q0 the scalar part (invertible), Q1 letters (Q0^{-1} Q1 nilpotent)
        Q0 = sp.Matrix(m, m, lambda i, j: self.entries[i + 1][j + 1].get(None, 0))
        Q0i = Q0.inv()
        Q0iP = [[NCPoly.constant(Q0i[i, j]) for j in range(m)] for i in range(m)]
        Q1 = [[M[i + 1][j + 1] - NCPoly.constant(Q0[i, j]) for j in range(m)] for i in range(m)]

        def mul(A, B):
            return [[sum((A[i][t] * B[t][j] for t in range(len(B))), NCPoly.constant(0))
                     for j in range(len(B[0]))] for i in range(len(A))]

        # Q^{-1} = sum_n (-Q0^{-1} Q1)^n Q0^{-1}
        X = [[-1 * v for v in row] for row in mul(Q0iP, Q1)]
        term = Q0iP
        Qinv = Q0iP
        for _ in range(2 * m + 2):
            term = mul(X, term)
            if all(v == 0 for row in term for v in row):
                break
            Qinv = [[Qinv[i][j] + term[i][j] for j in range(m)] for i in range(m)]
        u = [M[0][1:]]
        us = [[M[i][0]] for i in range(1, k)]
        return M[0][0] - mul(mul(u, Qinv), us)[0][0]

    def latex(self) -> str:
        """LaTeX of the pencil L: sympy's LaTeX of :meth:`matrix` (a bracketed ``matrix``).

        Examples
        --------
        >>> import freealg as fa
        >>> from freealg.reduce import linearize
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> print(linearize(x*y + y*x).latex())
        \\left[\\begin{matrix}0 & x & y\\\\x & 0 & -1\\\\y & -1 & 0\\end{matrix}\\right]
        """
        return sp.latex(self.matrix())


def _realise(A: list) -> tuple[list, dict, list]:
    """Prefix-trie realisation of A = sum c_w w (words of degree >= 2)."""
    states, index = _trie(A)
    return states, index, A


def linearize(P: NCPoly) -> Linearization:
    """Self-adjoint linearization of a self-adjoint polynomial (see the module docstring).

    Returns a linear pencil L = b_0 ⊗ 1 + sum_l beta_l ⊗ l with exact k x k sympy matrices,
    L = [[a, u], [u^*, Q]] in blocks, whose Schur complement a - u Q^{-1} u^* is P (Anderson
    2013; Helton-Mai-Speicher 2018; Mingo-Speicher 2017, Ch. 10). The Cauchy transform of P is
    then the (1, 1) entry of an operator-valued Cauchy transform of L, which is how
    :func:`freealg.spectrum` treats a polynomial that no structural rule reduces. Circular
    generators are first written as (s_1 + i s_2)/sqrt(2) with free semicirculars.

    Parameters
    ----------
    P : NCPoly
        A self-adjoint polynomial in freealg generators, with exact, float or symbolic
        coefficients (they appear as such in the pencil).

    Returns
    -------
    Linearization
        ``k`` (the size, 1 + 2 m for m prefix-trie states), ``b0``, ``coefficients`` (pairs
        (letter, beta)), ``matrix()`` and ``check()`` (recomputes P from the pencil).

    Raises
    ------
    InvalidParameterError
        If P is not a freealg polynomial, or is not self-adjoint (its spectrum is not a law on
        the real line: pass a a^* for singular values).

    See Also
    --------
    freealg.compile : ``method='linearization'`` builds the System from this pencil.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> lin = linearize(x*y + y*x)
    >>> lin.k, lin.b0.tolist()
    (3, [[0, 0, 0], [0, 0, -1], [0, -1, 0]])
    >>> [(str(L), m.tolist()) for L, m in lin.coefficients][0]
    ('x', [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> lin.check() == x*y + y*x
    True
    """
    if not isinstance(P, NCPoly):
        raise InvalidParameterError("expr", P, "linearize needs a freealg polynomial")
    if not P.is_selfadjoint:
        raise InvalidParameterError("expr", P, "is not self-adjoint; its spectrum is not a law on "
                                    "the real line. For singular values pass a * a.H")
    Q = decircularize(P)
    a: dict = {}
    pairs = []
    pals = []  # self-adjoint words w = A mid A^* (mid a self-adjoint letter or None), real c
    seen = set()
    for w, c in Q.terms:
        if len(w) <= 1:
            _add(a, w[0] if w else None, c)
            continue
        if w in seen:
            continue
        wa = _adj_word(w)
        seen.add(w)
        seen.add(wa)
        if wa == w:
            h = len(w) // 2
            pals.append((w[:h], w[h] if len(w) % 2 else None, c))
        else:
            pairs.append((w, c))
    # prefix trie of A or of A^* (the suffix trie of A): keep the smaller. The halves A of the
    # self-adjoint words are states too (with all their prefixes).
    pal_words = [(A + (None,), c) for A, _, c in pals]
    A1 = pairs
    A2 = [(_adj_word(w), sp.conjugate(c)) for w, c in pairs]
    best = min((A1, A2), key=lambda A: len(_trie(A + pal_words)[0]))
    states, index = _trie(best + pal_words)
    m = len(states)
    k = 1 + 2 * m
    E: list[list[dict]] = [[dict() for _ in range(k)] for _ in range(k)]
    E[0][0] = a
    # e: row 0 -> length-1 prefixes (block r: 1 .. m)
    # s: column of the words' last letters with their coefficients; s^* in row 0, block 1+m ..
    # S: pi -> pi l ; T = -I + S^* sits in block (r, s): E[1 + i][1 + m + j] = T[i, j]
    # D (block (s, s)): c mid (or c) at the state A of a self-adjoint word A mid A^*, since
    # with Q = [[0, T], [T^*, D]]: -u Q^{-1} u^* = A + A^* + e N^{-1} D N^{-*} e^*
    s_col: list[dict] = [dict() for _ in range(m)]
    for pre, i in index.items():
        if len(pre) == 1:
            _add(E[0][1 + i], pre[0], sp.S.One)
    S: list[list[dict]] = [[dict() for _ in range(m)] for _ in range(m)]
    for pre, i in index.items():
        if len(pre) >= 2:
            S[index[pre[:-1]]][i] = {pre[-1]: sp.S.One}
    for w, c in best:
        _add(s_col[index[w[:-1]]], w[-1], c)
    for A, mid, c in pals:
        i = index[A]
        _add(E[1 + m + i][1 + m + i], mid, c)
    for i in range(m):
        E[0][1 + m + i] = _entry_adjoint(s_col[i])
        for j in range(m):
            T = _entry_adjoint(S[j][i])
            if i == j:
                _add(T, None, sp.S.NegativeOne)
            E[1 + i][1 + m + j] = T
    return _self_adjoint_pencil(E, k, Q)


def _self_adjoint_pencil(E: list, k: int, Q: Any) -> "Linearization":
    """The Linearization of the upper triangle ``E`` (k x k entries {letter: coefficient},
    None for the constant): the lower triangle by adjoint, zeros dropped, one coefficient
    matrix per letter."""
    for i in range(k):
        for j in range(i + 1, k):
            E[j][i] = _entry_adjoint(E[i][j])
    for i in range(k):
        for j in range(k):
            E[i][j] = {L: sp.nsimplify(c) if isinstance(c, float) else sp.expand(c)
                       for L, c in E[i][j].items() if sp.expand(c) != 0}
    letters = sorted({L for row in E for ent in row for L in ent if L is not None},
                     key=lambda L: L.sort_key())
    b0 = sp.ImmutableMatrix(k, k, lambda i, j: E[i][j].get(None, sp.S.Zero))
    coeffs = tuple((L, sp.ImmutableMatrix(k, k, lambda i, j, L=L: E[i][j].get(L, sp.S.Zero)))
                   for L in letters)
    return Linearization(k=k, b0=b0, coefficients=coeffs, expr=Q,
                         entries=tuple(tuple(row) for row in E))


# ---------------------------------------------------------------------------------------------
# the System of the linearization path

_ATOMLESS_KINDS = ("semicircular", "circular", "haar_unitary", "haar_orthogonal")


def _norm_bound(P: NCPoly):
    """sum |c| prod ||l||: an upper bound of the operator norm (sympy)."""
    def norm(g: Generator):
        if g.kind in ("semicircular", "circular"):
            return 2 * sp.sqrt(g.params[0]) * (2 if g.kind == "circular" else 1)
        if g.kind in ("haar_unitary", "haar_orthogonal", "projection"):
            return sp.S.One
        try:
            lo, hi = g.params[0]._hull_float()
            return sp.Float(max(abs(lo), abs(hi)), 17)
        except UndeterminedError:
            return sp.S.One
    total = sp.S.Zero
    for w, c in P.terms:
        t = sp.Abs(c)
        for L in w:
            t *= norm(L.gen)
        total += t
    try:
        return sp.Float(float(numeric_value(total, NP)) * (1 + 1e-12) + 1e-12, 17)
    except UndeterminedError:
        return total


def _atomic_values(g: Generator):
    """The atoms of a generator's law (None when the law has a continuous part)."""
    if g.kind == "projection":
        return (sp.S.Zero, sp.S.One)
    if g.kind in ("selfadjoint", "activation"):
        try:
            return tuple(discrete_points_weights(g.params[0])[0])
        except InvalidParameterError:
            return None
    return None


def atom_candidates(P: NCPoly, limit: int = 4096) -> tuple:
    """Candidate atom locations: the constants P takes when some atomic generators (projections,
    discrete laws) are replaced by one of their atoms (restriction of P to a joint eigenspace;
    the numeric layer keeps a candidate only if lim i y G confirms it).

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> p, q = fa.projection("p", sp.Rational(1, 3)), fa.projection("q", sp.Rational(1, 4))
    >>> atom_candidates(p*q*p)
    (0, 1)
    """
    gens = [g for g in P.generators if _atomic_values(g) is not None]
    options = [(None,) + _atomic_values(g) for g in gens]
    total = 1
    for o in options:
        total *= len(o)
    if total > limit:
        options = [o[1:] for o in options]  # only full assignments
    out = set()
    for choice in itertools.product(*options):
        val = dict((g, v) for g, v in zip(gens, choice) if v is not None)
        const = sp.S.Zero
        ok = True
        acc: dict = {}
        for w, c in P.terms:
            rest = []
            coef = c
            for L in w:
                if L.gen in val:
                    coef = coef * val[L.gen]
                else:
                    rest.append(L)
            if coef == 0:
                continue
            if rest:
                key = tuple(rest)
                acc[key] = acc.get(key, sp.S.Zero) + coef
            else:
                const += coef
        for c in acc.values():
            if sp.expand(c) != 0:
                ok = False
                break
        if ok:
            out.add(sp.nsimplify(sp.expand(const)))
    return tuple(sorted(out, key=lambda v: float(v) if not v.free_symbols else 0))


class _ExactMoments:
    """m_1..m_n of a polynomial as exact traces (picklable, unlike a closure)."""

    def __init__(self, P: NCPoly):
        self.P = P

    def __call__(self, n: int) -> list:
        out = []
        Pk = NCPoly.constant(1)
        for _ in range(n):
            Pk = Pk * self.P
            out.append(trace(Pk))
        return out


def operator_valued_law(P: NCPoly, lin: Linearization | None = None, moments_fn=None,
                        joint_atoms: dict | None = None):
    """The OperatorValued law of a self-adjoint polynomial (groups of free letters).

    ``joint_atoms`` maps a commuting family's tag to the atoms of its joint law, a list of
    ``({generator: value}, weight)``; the families not in it are classically independent
    (the product of the members' laws)."""
    lin = lin or linearize(P)
    semis: list[tuple] = []
    groups: list[tuple] = []
    fams: dict = {}
    for L, beta in lin.coefficients:
        g = L.gen
        if g.kind == "semicircular":
            semis.append((beta, g.params[0]))
        elif g.kind in ("haar_unitary", "haar_orthogonal"):
            if not L.star:
                groups.append(("unitary", beta))
            elif Letter(g) not in dict(lin.coefficients):
                groups.append(("unitary", beta.H))
        elif g.kind in ("projection", "selfadjoint", "activation"):
            if g.family:
                fams.setdefault(g.family, []).append((g, beta))
                continue
            law = g.law()
            try:
                pts, ws = discrete_points_weights(law)
                groups.append(("discrete", (beta,), tuple(((t,), w) for t, w in zip(pts, ws))))
            except InvalidParameterError:
                groups.append(("law", beta, law))
        else:
            raise InvalidParameterError("expr", P, f"generators of kind {g.kind!r} are not "
                                        "supported by the linearization")
    for fam, members in sorted(fams.items()):
        if joint_atoms and fam in joint_atoms:
            atoms = [(tuple(val[g] for g, _ in members), wt) for val, wt in joint_atoms[fam]]
            groups.append(("discrete", tuple(b for _, b in members), tuple(atoms)))
            continue
        pws = []
        for g, _ in members:
            try:
                pws.append(discrete_points_weights(g.law()))
            except InvalidParameterError:
                raise InvalidParameterError(
                    "expr", P, f"the commuting family {fam} has a member {g.name} with a "
                    "continuous law; the linearization handles commuting families of discrete "
                    "laws (projections, fa.discrete) only") from None
        atoms = []
        for combo in itertools.product(*[list(zip(pts, ws)) for pts, ws in pws]):
            wt = sp.S.One
            for _, w in combo:
                wt *= w
            atoms.append((tuple(t for t, _ in combo), wt))
        groups.append(("discrete", tuple(b for _, b in members), tuple(atoms)))
    kinds = {g.kind for g in lin.expr.generators}
    atomless = bool(kinds) and kinds <= set(_ATOMLESS_KINDS)
    cands = () if atomless else atom_candidates(lin.expr)
    return OperatorValued(lin.b0, tuple(semis), tuple(groups), cands, _norm_bound(lin.expr),
                          atomless, moments_fn=moments_fn)


class MatrixLiteral(sp.Basic):
    """An explicit sympy matrix inside an equation, printed as a ``pmatrix`` (rows joined by
    ``\\`` and a space). ``.matrix`` is the sympy ImmutableMatrix."""

    def __new__(cls, M):
        return sp.Basic.__new__(cls, sp.ImmutableMatrix(M))

    @property
    def matrix(self) -> sp.ImmutableMatrix:
        return self.args[0]

    def _latex(self, printer):
        M = self.args[0]
        rows = [" & ".join(printer._print(M[i, j]) for j in range(M.cols)) for i in range(M.rows)]
        return r"\begin{pmatrix} " + r" \\ ".join(rows) + r" \end{pmatrix}"

    def _sympystr(self, printer):
        return printer._print(self.args[0])


def _check_pencil_size(k: int, what: str, bound: str = "") -> None:
    """Refuse a pencil whose Newton Jacobian (k^2 x k^2 complex entries per point) would not fit
    in the memory budget (:func:`freealg.numeric.memory.memory_budget`: half the available
    memory, or ``FREEALG_MEMORY_BUDGET``), before anything of that size is built."""
    check_memory_size(16 * (k * k) ** 2, "expr", what,
                      f"its linearization has size k {bound or '='} {k} and the solver's Newton "
                      "system is k^2 x k^2 complex per point",
                      "reduce the degree, compile a form the rules reduce (fa.compile_expr(P)."
                      "explain() shows which rule failed), raise the budget, or sample the "
                      "matrix with fa.sample")


def linearization_system(P: NCPoly, joint_atoms: dict | None = None):
    """The System of the linearization path: pencil, matrix-valued equations, law.

    ``joint_atoms``: the joint laws of commuting families whose members are not independent
    (see ``operator_valued_law`` in this module).

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> s = linearization_system(x*y + y*x)
    >>> s.law.k, [st.rule for st in s.steps]
    (3, ['linearization', 'operator-valued semicircle'])
    """
    # a linearization has size at least the degree (the pencil of a word of length d has d + 1
    # rows); refuse from that bound before linearizing, then from the exact size
    _check_pencil_size(max(P.degree, 1), f"a polynomial of degree {P.degree}", ">=")
    lin = linearize(P)
    k = lin.k
    _check_pencil_size(k, f"a polynomial of degree {P.degree}")
    z, eps = sp.symbols("z varepsilon")
    Gs = sp.Symbol("G")

    moments_fn = _ExactMoments(P)

    law = operator_valued_law(P, lin, moments_fn, joint_atoms)
    Gm = sp.MatrixSymbol(r"\mathbf{G}", k, k)
    Lam = sp.MatrixSymbol(r"\Lambda", k, k)
    Lsym = sp.MatrixSymbol("L", k, k)
    b0 = sp.MatrixSymbol("b_{0}", k, k)
    eqs = [sp.Eq(Gs, sp.Symbol(r"\mathbf{G}_{11}"), evaluate=False),
           sp.Eq(Lam, MatrixLiteral(sp.diag(z, *([sp.I * eps] * (k - 1)))), evaluate=False),
           sp.Eq(Lsym, MatrixLiteral(lin.matrix()), evaluate=False)]
    defs = [(z, r"\text{spectral variable}"),
            (eps, r"\text{regularisation, } \varepsilon \to 0^{+}"),
            (Gm, r"\mathbb{E}\left[(\Lambda - L)^{-1}\right] \text{ (} M_{%d}"
                 r"\text{-valued Cauchy transform of the pencil)}" % k)]
    steps = [Step("linearization", str(P), f"pencil of size {k}", tuple(eqs),
                  "Anderson 2013; Helton-Mai-Speicher 2018: P = a - u Q^{-1} u^*",
                  relations=_relations(eqs, skip=(Lsym,)))]
    eta = sp.ZeroMatrix(k, k)
    coef_eqs = [sp.Eq(b0, MatrixLiteral(lin.b0), evaluate=False)]
    for L, beta in lin.coefficients:
        if L.gen.kind == "semicircular":
            bs = sp.MatrixSymbol(f"b_{{{L.gen.name}}}", k, k)
            eta = eta + L.gen.params[0] * bs * Gm * bs
            coef_eqs.append(sp.Eq(bs, MatrixLiteral(beta), evaluate=False))
    groups = law.args[2]
    if not groups:
        eq = sp.Eq(Gm, sp.Inverse(Lam - b0 - eta), evaluate=False)
        steps.append(Step("operator-valued semicircle", str(P), "G = (Lambda - b_0 - eta(G))^{-1}",
                          tuple([eq] + coef_eqs),
                          "Helton-Rashidi Far-Speicher 2007, eq. (1.1)",
                          relations=_relations([eq] + coef_eqs)))
        eqs = eqs + [eq] + coef_eqs
    else:
        m = len(groups)
        measures = []  # the generators' laws the integrals are taken against
        Om = [sp.MatrixSymbol(rf"\Omega_{{{j + 1}}}", k, k) for j in range(m)]
        Gx = [sp.MatrixSymbol(rf"G_{{X_{{{j + 1}}}}}\left(\Omega_{{{j + 1}}}\right)", k, k)
              for j in range(m)]
        sub = []
        for j in range(m):
            sub.append(sp.Eq(Gm, Gx[j], evaluate=False))
        for j in range(m):
            rhs = Lam - b0 - eta if eta != sp.ZeroMatrix(k, k) else Lam - b0
            for i in range(m):
                if i != j:
                    rhs = rhs + sp.Inverse(Gx[i]) - Om[i]
            sub.append(sp.Eq(Om[j], rhs, evaluate=False))
        for j, g in enumerate(groups):
            W = Om[j]
            if g[0] == "discrete":
                bsyms = [sp.MatrixSymbol(f"b_{{{j + 1},{f + 1}}}", k, k) for f in range(len(g[1]))]
                expr = sp.ZeroMatrix(k, k)
                for ts, w in g[2]:
                    M = sp.ZeroMatrix(k, k)
                    for t, bsm in zip(ts, bsyms):
                        if t != 0:
                            M = M + t * bsm
                    expr = expr + w * sp.Inverse(W - M) if M != sp.ZeroMatrix(k, k) else \
                        expr + w * sp.Inverse(W)
                sub.append(sp.Eq(Gx[j], expr, evaluate=False))
                for bsm, bv in zip(bsyms, g[1]):
                    coef_eqs.append(sp.Eq(bsm, MatrixLiteral(bv), evaluate=False))
            elif g[0] == "unitary":
                bsm = sp.MatrixSymbol(f"b_{{{j + 1}}}", k, k)
                th = sp.Symbol("theta")
                integrand = sp.Inverse(W - sp.exp(sp.I * th) * bsm
                                       - sp.exp(-sp.I * th) * sp.Adjoint(bsm)) / (2 * sp.pi)
                sub.append(sp.Eq(Gx[j], sp.Integral(integrand, (th, 0, 2 * sp.pi)),
                                 evaluate=False))
                coef_eqs.append(sp.Eq(bsm, MatrixLiteral(g[1]), evaluate=False))
            else:
                bsm = sp.MatrixSymbol(f"b_{{{j + 1}}}", k, k)
                t = sp.Symbol("t")
                mu = sp.Symbol(rf"\mu_{{{j + 1}}}")
                sub.append(sp.Eq(Gx[j], sp.Integral(sp.Inverse(W - t * bsm), (t, mu)),
                                 evaluate=False))
                measures.append(Unknown(mu, "measure", g[2]))
                coef_eqs.append(sp.Eq(bsm, MatrixLiteral(g[1]), evaluate=False))
                defs.append((mu, r"\text{the law of the generator}"))
        steps.append(Step("operator-valued subordination", str(P),
                          f"{m} free groups" + (" + semicircular part" if law.args[1] else ""),
                          tuple(sub + coef_eqs),
                          "Belinschi-Mai-Speicher 2017, Thm 2.2",
                          relations=_relations(sub + coef_eqs)))
        eqs = eqs + sub + coef_eqs
        defs += [(Om[j], r"\text{subordination function of group %d}" % (j + 1))
                 for j in range(m)]
    # how to compute every unknown: the law's operator-valued Newton solution at z, once per z
    solved = _Solved(law)
    numeric = [Unknown(Gs, "cauchy", law),
               Unknown(sp.Symbol(r"\mathbf{G}_{11}"), "value", _Entry(solved, "Gmat", (0, 0))),
               Unknown(Gm, "value", _Entry(solved, "Gmat")),
               Unknown(eps, "value", _Entry(solved, "eps")),
               Unknown(Lam, "value", _Entry(solved, "Lambda"))]
    numeric += [Unknown(eq.lhs, "value", _Literal(eq.rhs.matrix)) for eq in coef_eqs]
    if groups:
        numeric += [Unknown(Om[j], "value", _Entry(solved, "Omega", j))
                    for j in range(len(groups))]
        numeric += [Unknown(Gx[j], "value", _Entry(solved, "G_X", j))
                    for j in range(len(groups))]
        numeric += measures
    return System(z=z, target=Gs, unknowns=(Gs, Gm), equations=tuple(eqs),
                  definitions=tuple(defs), steps=tuple(steps), law=law, expr=P,
                  asymptotics=(sp.Eq(Gs, 1 / z, evaluate=False),), numeric=tuple(numeric))


def _relations(eqs, skip=()) -> tuple:
    """The equations as Relations; those whose left side is in ``skip`` are not numeric (the
    pencil L has operator entries)."""
    return tuple(Relation(eq, numeric=eq.lhs not in skip) for eq in eqs)


class _Solved:
    """(z, dps) -> ``law._unknowns_mp(z, dps)`` plus ``"Lambda"`` = diag(z, i eps, ...), solved
    once per (z, dps) (the last one is kept; not pickled)."""

    __slots__ = ("law", "_last")

    def __init__(self, law):
        self.law, self._last = law, None

    def __call__(self, z, dps):
        if self._last is None or self._last[0] != (z, dps):
            vals = dict(self.law._unknowns_mp(z, dps))
            vals["Lambda"] = mpmath.diag([z] + [1j * vals["eps"]] * (self.law.k - 1))
            self._last = ((z, dps), vals)
        return self._last[1]

    def __getstate__(self):
        return self.law

    def __setstate__(self, law):
        self.law, self._last = law, None


class _Entry:
    """(z, dps) -> ``solved(z, dps)[key]`` (``[index]`` of it when given)."""

    __slots__ = ("solved", "key", "index")

    def __init__(self, solved: _Solved, key: str, index=None):
        self.solved, self.key, self.index = solved, key, index

    def __call__(self, z, dps):
        v = self.solved(z, dps)[self.key]
        return v if self.index is None else v[self.index]

    def __getstate__(self):
        return (self.solved, self.key, self.index)

    def __setstate__(self, state):
        self.solved, self.key, self.index = state


class _Literal:
    """(z, dps) -> the exact sympy matrix M as an mpmath matrix at the working precision."""

    __slots__ = ("M",)

    def __init__(self, M):
        self.M = M

    def __call__(self, z, dps):
        M, prec = self.M, mpmath.mp.prec
        return mpmath.matrix([[sp.sympify(M[i, j])._to_mpmath(prec) for j in range(M.cols)]
                              for i in range(M.rows)])

    def __getstate__(self):
        return self.M

    def __setstate__(self, M):
        self.M = M
