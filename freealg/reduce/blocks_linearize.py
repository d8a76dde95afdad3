"""The linearization of rectangular models with several block dimensions.

A model whose generators have shapes (p, q) lives on blocks of dimensions d_1 < ... < d_k = M
(in units of N). It is embedded in one square space: the largest block, of size M N, with the
other blocks as projections P_d of trace t_d = d / M (P_M = 1), and every letter of shape
(p, q) becomes P_p Y P_q:

* a Gaussian (p, q) matrix with entries of variance v/N is the corner of a Ginibre matrix of
  size M N with the same entries: Y circular of variance v M, free from the P_d;
* a semicircular generator of block d with variance v on its block: Y semicircular of variance
  v M / d (compressing a semicircular of variance s by a free projection of trace t gives one
  of variance s t; Nica-Speicher, Lecture 14);
* a Haar isometry (p, q) with max(p, q) = M: Y = U a Haar unitary of the whole space, so that
  P_p U (q = M) has orthonormal rows and U P_q (p = M) orthonormal columns;
* any other generator of the block M: itself;
* a generator with a finite atomic law (fa.discrete, a projection) on a block d < M: a diagonal
  matrix lambda_d that commutes with the block projections (one commuting family, its members
  classically independent), so that P_d lambda_d has the law of the generator on P_d. The
  Gaussians and Haar letters stay free from this commutative algebra (asymptotic freeness of
  unitarily invariant matrices from deterministic ones; Voiculescu 1991).

Elements free from the block algebra are free with amalgamation over it (Nica-Shlyakhtenko-
Speicher 2002), which is Benaych-Georges' rectangular freeness (2009); so the embedded
polynomial is a square polynomial in free generators and one commuting family, and the existing
linearization (operator-valued subordination over M_k(C), the block projections entering as a
discrete group) computes its law. Only the traces t_d of the projections matter, not how they
sit: in the free moment-cumulant formula the projections between letters fall into the blocks of
the Kreweras complement, and each such block joins gaps of one block dimension (a cumulant pairs
Y, whose right side is q, with Y*, whose left side is q; a square letter has one block on both
sides). That is why classically independent projections (the product measure of the family)
give the right answer, and why the generators of one block d < M must be simultaneously
diagonal: at most one non-Gaussian generator per block d < M.

The output expression of shape (r, r) is P_r E P_r in the embedding, whose law is
(1 - t_r) delta_0 + t_r law_r; the law on the expression's own block is therefore

    G_r(z) = (G(z) - (1 - t_r)/z) / t_r,

read off the pencil's Cauchy transform G (:class:`BlockOperatorValued`). Its moments are the
exact traces fa.trace(expr^n) on the block r (the block-projection lowering of the exact trace).
"""

from __future__ import annotations

import itertools
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..algebra.generators import UNITARY_KINDS, Generator, Letter
from ..algebra.ncpoly import NCPoly
from ..algebra.trace import trace
from ..errors import InvalidParameterError, ReductionError
from ..kernels.backend import NP
from ..laws import discrete
from ..laws.operator_valued import OperatorValued, discrete_points_weights
from ..numeric import operator_valued as ov
from .relations import Relation, Unknown
from .system import Step, System

__all__ = ["ambient_model", "block_linearization_system", "BlockOperatorValued"]

#: the family tag of the block projections and diagonal generators of the embedding
NESTED_FAMILY = "__nested_blocks__"

_HINT = ("the linearization of models with several block dimensions embeds every block in the "
         "largest one; ")


def _refuse(expr, why: str):
    return ReductionError(expr, ["rules", "linearization with block projections"],
                          hint=_HINT + why + "; use fa.sample, or fa.trace for exact moments")


def ambient_model(expr: NCPoly) -> tuple:
    """(square polynomial E, t_r, joint atoms): the embedding of a square rectangular model
    in its largest block (module docstring), t_r = r / M the trace of the output block, and the
    joint law of the commuting family (``{tag: [({generator: value}, weight), ...]}``, for
    :func:`freealg.reduce.linearize.linearization_system`).

    The law of E is (1 - t_r) delta_0 + t_r law_r(expr). Consecutive letters of the commuting
    family (block projections, diagonal generators) are merged into one generator each, their
    product, so that the pencil stays small.

    Examples
    --------
    >>> import freealg as fa
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> E, t, joint = ambient_model(X * X.H)
    >>> E, t
    (__P_1*X*X.H*__P_1, 1/2)
    >>> sorted(w for _, w in joint["__nested_blocks__"])      # P_1 = 0 or 1
    [1/2, 1/2]
    >>> [g.params for g in E.generators if g.name == "X"]    # circular of variance v M = 2
    [(2, 'real')]

    Raises
    ------
    ReductionError
        For a letter the embedding cannot write exactly: a Haar isometry whose larger side is
        not the largest block, a generator with a continuous law on a smaller block, two
        non-Gaussian generators on one smaller block.
    """
    r, c = expr.shape
    gens = expr.generators
    dims = sorted({d for g in gens for d in g.shape} | {r})
    M = dims[-1]
    t = {d: d / M for d in dims}
    # the commuting family: block projections P_d (d < M) and diagonal generators, as keys
    # ("P", d) / ("L", name) with their finite laws (classically independent)
    base: dict = {("P", d): ((sp.S.Zero, sp.S.One), (1 - t[d], t[d])) for d in dims[:-1]}
    P: dict = {M: None}
    for d in dims[:-1]:
        P[d] = ("P", d)
    sub: dict = {}
    diag: dict = {}                 # block d < M -> the one generator made diagonal there
    for g in sorted(gens, key=lambda g: g.name):
        p, q = g.shape
        if g.kind == "circular":
            sub[g] = Generator(g.name, "circular", (g.params[0] * M,) + tuple(g.params[1:]))
        elif g.kind in UNITARY_KINDS:
            if max(p, q) != M:
                raise _refuse(expr, f"the Haar letter {g.name} of shape ({p}, {q}) is not a "
                              f"corner of a Haar unitary of the largest block ({M})")
            sub[g] = Generator(g.name, g.kind)
        elif g.kind == "semicircular":
            sub[g] = Generator(g.name, "semicircular", (g.params[0] / t[p],))
        elif p == M:
            sub[g] = Generator(g.name, g.kind, g.params, g.family)
        else:
            if g.family:
                raise _refuse(expr, f"the commuting family of {g.name} lives on the block {p}, "
                              f"smaller than the largest block {M}")
            law = g.law()
            try:
                discrete_points_weights(law)
            except InvalidParameterError:
                raise _refuse(expr, f"{g.name} has a continuous law on the block {p}, smaller "
                              f"than the largest block {M} (only finite atomic laws there)") \
                    from None
            if p in diag:
                raise _refuse(expr, f"{diag[p].name} and {g.name} are two free non-Gaussian "
                              f"generators of the block {p}, smaller than the largest block "
                              f"{M}") from None
            diag[p] = g
            base[("L", g.name)] = discrete_points_weights(law)
            sub[g] = ("L", g.name)
    monos: dict = {}            # monomial of the family (sorted (key, power)) -> Generator

    def mono(run: list):
        pw: dict = {}
        for key in run:
            pw[key] = 1 if key[0] == "P" else pw.get(key, 0) + 1
        m = tuple(sorted(pw.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))))
        if m not in monos:
            name = "*".join((f"P_{k[1]}" if k[0] == "P" else k[1]) + (f"^{e}" if e > 1 else "")
                            for k, e in m)
            monos[m] = None, name
        return m

    terms = []
    for w, co in expr.terms:
        items: list = []
        if not w:
            items = [P[r]] if P[r] is not None else []
        for L in w:
            rows, cols = L.shape
            x = sub[L.gen]
            items += [P[rows], x if isinstance(x, tuple) else Letter(x, L.star), P[cols]]
        word: list = []
        run: list = []
        for x in items + [None]:
            if isinstance(x, tuple):
                run.append(x)
                continue
            if run:             # consecutive family letters: one commuting monomial
                word.append(mono(run))
                run = []
            if x is not None:
                word.append(x)
        terms.append((word, co))
    # the monomials as generators of one commuting family with their joint atoms
    keys = sorted(base, key=lambda k: (k[0], str(k[1])))
    joint_base = []
    for combo in itertools.product(*[list(zip(*base[k])) for k in keys]):
        joint_base.append(({k: v for k, (v, _) in zip(keys, combo)},
                           sp.Mul(*[wt for _, wt in combo])))
    gens_m: dict = {}
    for m, (_, name) in monos.items():
        vals: dict = {}
        for val, wt in joint_base:
            v = sp.Mul(*[val[k] ** e for k, e in m])
            vals[v] = vals.get(v, sp.S.Zero) + wt
        pts = sorted(vals, key=float)
        gens_m[m] = Generator(f"__{name}", "selfadjoint",
                              (discrete(pts, [vals[v] for v in pts]),), NESTED_FAMILY)
    joint = [({gens_m[m]: sp.Mul(*[val[k] ** e for k, e in m]) for m in monos}, wt)
             for val, wt in joint_base]
    out = [(tuple(Letter(gens_m[x]) if isinstance(x, tuple) else x for x in word), co)
           for word, co in terms]
    return NCPoly(out), t[r], ({NESTED_FAMILY: joint} if monos else {})


class BlockOperatorValued(OperatorValued):
    """The law on its own block of a rectangular model computed by the linearization of its
    embedding in the largest block: G_r(z) = (G(z) - (1 - t)/z) / t with G the Cauchy
    transform of the pencil and t the trace of the output block (module docstring).

    The arguments are those of :class:`freealg.laws.operator_valued.OperatorValued` and
    ``block_weight`` = t.

    Examples
    --------
    >>> import freealg as fa
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> law = fa.compile(X * X.H, method="linearization").law
    >>> law.block_weight, law.moments(3)                       # free Poisson(2): 2, 6, 22
    (1/2, [2, 6, 22])
    >>> bool(abs(law.cauchy(1.5 + 0.5j) - fa.free_poisson(2).cauchy(1.5 + 0.5j)) < 1e-12)
    True
    """

    __slots__ = ()
    _argnames = OperatorValued._argnames + ("block_weight",)  # type: ignore[assignment]
    name = "block_operator_valued"
    strategy_name = ("linearization of the embedding in the largest block + operator-valued "
                     "subordination (Belinschi-Mai-Speicher)")

    def __init__(self, b0, semicirculars=(), groups=(), atom_candidates=(), bound=1,
                 atomless=False, block_weight=1, moments_fn=None):
        super().__init__(b0, semicirculars, groups, atom_candidates, bound, atomless)
        t = sp.sympify(block_weight)
        if not (t.is_Rational and 0 < t <= 1):
            raise InvalidParameterError("block_weight", block_weight, "the trace of the output "
                                        "block is a rational in (0, 1]")
        object.__setattr__(self, "_args", self._args + (t,))
        if moments_fn is not None:
            self._cache["moments_fn"] = moments_fn

    def __reduce__(self):
        fn = self._cache.get("moments_fn")
        return (_rebuild_block, (self.args, fn))

    def __repr__(self):
        return (f"block_operator_valued(k={self.k}, block_weight={self.block_weight}, "
                f"groups={[g[0] for g in self.args[2]]})")

    @property
    def block_weight(self):
        """t = r / M: the trace of the output block in the largest one."""
        return self.args[6]

    def ambient(self) -> OperatorValued:
        """The law of the embedded polynomial, (1 - t) delta_0 + t law (module docstring).

        Examples
        --------
        >>> import freealg as fa
        >>> X = fa.gaussian("X", shape=(1, 2))
        >>> law = fa.compile(X * X.H, method="linearization").law
        >>> law.ambient().k == law.k
        True
        """
        return self._memo("ambient", lambda: OperatorValued(*self.args[:6]))

    def atom_report(self) -> list:
        """Atoms of the law on the output block: the candidates of the embedded polynomial,
        confirmed by lim i y G_r(a + i y) of this law's own G_r and identified on the lattice
        of the block traces (see ``freealg.numeric.operator_valued.atom_report``); the mass
        1 - t of the embedding's zero block never enters.

        Examples
        --------
        >>> import freealg as fa, sympy as sp
        >>> X = fa.gaussian("X", shape=(2, 1))
        >>> law = fa.compile(X.H * X, method="linearization").law   # free Poisson(2): none
        >>> law.atom_report()      # doctest: +SKIP
        []

        (Skipped in the doctest run: the float64 continuation down to 0 takes about a minute
        for this pencil of size 9.)
        """
        _, _, grps, cands, _, atomless = self.args[:6]
        weights = [w for g in grps if g[0] == "discrete" for _, w in g[2]]
        weights.append(self.block_weight)
        return list(self._memo("atom_report", lambda: [] if not cands else
                               ov.atom_report(self._cauchy_np, self._cauchy_mp, cands, weights,
                                              max(1.0, self._bound_float()))))

    def _cauchy_np(self, z, method=None):
        z = np.asarray(z, complex)
        G = super()._cauchy_np(z, method)
        t = float(self.block_weight)
        return (G - (1 - t) / z) / t

    def _cauchy_mp(self, z, dps, method=None):
        G = super()._cauchy_mp(z, dps, method)
        with mpmath.workdps(int(dps) + 5):
            t = mpmath.mpf(self.block_weight.p) / self.block_weight.q
            return (G - (1 - t) / z) / t

    def _dg(self, z, be):
        d = super()._dg(z, be)
        if be is NP:
            t = float(self.block_weight)
            return (d + (1 - t) / np.asarray(z, complex) ** 2) / t
        t = mpmath.mpf(self.block_weight.p) / self.block_weight.q
        return (d + (1 - t) / z**2) / t

    def _unknowns_mp(self, z, dps: int) -> dict:
        out = dict(super()._unknowns_mp(z, dps))
        out["G_block"] = self._cauchy_mp(z, dps)
        return out


def _rebuild_block(args: tuple, moments_fn) -> BlockOperatorValued:
    b0, sem, grps, cands, bound, atomless, t = args
    return BlockOperatorValued(b0, sem, grps, cands, bound, atomless, t, moments_fn=moments_fn)


class _BlockMoments:
    """m_1..m_n of a rectangular expression on its own block, exact (picklable)."""

    def __init__(self, expr: NCPoly):
        self.expr = expr

    def __call__(self, n: int) -> list:
        out = []
        Pk = self.expr
        for k in range(n):
            out.append(trace(Pk))
            if k + 1 < n:
                Pk = Pk * self.expr
        return out


def block_linearization_system(expr: NCPoly) -> System:
    """The System of a square self-adjoint rectangular model by the linearization of its
    embedding in the largest block (module docstring); the law is normalised on the
    expression's own block.

    Examples
    --------
    >>> import freealg as fa
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> s = block_linearization_system(X * X.H)
    >>> [st.rule for st in s.steps]
    ['block embedding', 'linearization', 'operator-valued subordination', 'block normalisation']
    >>> s.law.moments(2)
    [2, 6]

    Raises
    ------
    ReductionError
        When the embedding cannot write a letter exactly (see :func:`ambient_model`).
    """
    from .linearize import linearization_system

    E, t, joint = ambient_model(expr)
    amb = linearization_system(E, joint_atoms=joint)
    law_amb = OperatorValued(*amb.law.args)     # (E's own trace treats its family as free)
    moments_fn = _BlockMoments(expr)
    z = amb.z
    G = sp.Symbol("G")
    first = Step("block embedding", str(expr), str(E), (),
                 "blocks as projections P_d of trace d/M in the largest block M; letters "
                 "P_p Y P_q with Y free from the P_d (Nica-Shlyakhtenko-Speicher 2002; "
                 "Benaych-Georges 2009)")
    if t == 1:
        law = OperatorValued(*law_amb.args[:6], moments_fn=moments_fn)  # type: ignore[misc]
        numeric1 = tuple(Unknown(u.symbol, u.kind, law) if u.kind == "cauchy" and u.symbol == G
                         else u for u in amb.numeric)
        return System(z=z, target=amb.target, unknowns=amb.unknowns, equations=amb.equations,
                      definitions=amb.definitions, steps=(first,) + tuple(amb.steps), law=law,
                      expr=expr, asymptotics=amb.asymptotics, numeric=numeric1)
    Ga = sp.Symbol(r"G_{\mathrm{emb}}")
    rename = {G: Ga}

    def ren(eq):
        return eq.xreplace(rename)

    steps = [first]
    for st in amb.steps:
        rels = tuple(Relation(ren(rl.eq), tuple((a, ren(b)) for a, b in rl.at),
                              tuple((a, ren(b)) for a, b in rl.hints), rl.numeric)
                     for rl in st.relations)
        steps.append(Step(st.rule, st.expr, st.result, tuple(ren(e) for e in st.equations),
                          st.reference, relations=rels))
    norm = sp.Eq(G, (Ga - (1 - t) / z) / t, evaluate=False)
    steps.append(Step("block normalisation", str(expr), f"law on the block of trace {t}",
                      (norm,), "the embedding P_r E P_r has law (1 - t) delta_0 + t law_r",
                      relations=(Relation(norm),)))
    b0, sem, grps, cands, bound, atomless = law_amb.args
    law = BlockOperatorValued(b0, sem, grps, cands, bound, atomless, t, moments_fn=moments_fn)
    numeric: list[Any] = [Unknown(G, "cauchy", law)]
    for u in amb.numeric:
        if u.symbol == G:
            numeric.append(Unknown(Ga, "cauchy", law_amb))
        else:
            numeric.append(u)
    eqs = tuple(e for st in steps for e in st.equations)
    defs = tuple(amb.definitions) + ((Ga, r"\text{Cauchy transform of the embedded polynomial}"),)
    return System(z=z, target=G, unknowns=(G, Ga) + tuple(amb.unknowns[1:]), equations=eqs,
                  definitions=defs, steps=tuple(steps), law=law, expr=expr,
                  asymptotics=(sp.Eq(G, 1 / z, evaluate=False),), numeric=tuple(numeric))


def block_fallback(expr: NCPoly, exc: ReductionError) -> System:
    """:func:`block_linearization_system` after the rectangular rules failed with ``exc``; when
    the embedding cannot write the model either, a ReductionError naming both attempts.

    Examples
    --------
    >>> import freealg as fa
    >>> X, Y = fa.gaussian("X", shape=(1, 2)), fa.gaussian("Y", shape=(1, 3))
    >>> P = X * X.H * Y * Y.H + Y * Y.H * X * X.H      # no rule: the linearization
    >>> [st.rule for st in fa.compile(P).steps][0]
    'block embedding'
    """
    try:
        return block_linearization_system(expr)
    except ReductionError as exc2:
        raise ReductionError(expr, tuple(exc.tried) + tuple(exc2.tried[1:]),
                             hint=exc2.hint) from None
