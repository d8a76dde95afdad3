"""The compiler for rectangular models: square self-adjoint polynomials in shaped generators.

Conventions (see the docs page "Rectangular matrices"): a generator of shape (p, q) is a
(pN) x (qN) matrix; a Gaussian one has iid entries of variance v/N; the law of a square
expression of shape (r, r) is its eigenvalue distribution normalised on its own block (the
trace divides by rN).

Rules, each on the expression's own block, tried after the square rules (a model that lives on
one block (d, d) is the square model with every generator replaced by its law on that block):

1. ``shift``/``scale``: P = a Q + b (b times the identity of the block).
2. ``free sum``: pieces with disjoint generator families are free -> ⊞ (R-transforms add).
3. ``rectangular product``: P = l Q l* with l the first letter of every term, l of shape
   (r, c), Q on the block c and free from l. The nonzero eigenvalues of l Q l* are those of
   Q^(1/2) l* l Q^(1/2) (N (c/r) of them on the r block: traciality, tau_r((l Q l*)^n) =
   (c/r) tau_c((l* l Q)^n)), so

   * c <= r: law_r = (1 - c/r) delta_0 + (c/r) (law_c(l* l) ⊠ law_c(Q)); for a Gaussian l of
     entry variance v/N, l* l is free Poisson with rate r/c and jump v c (Marchenko-Pastur
     1967); for a Haar isometry l* l = 1;
   * c > r: l is the compression of a square (c, c) matrix Z by r/c (the first rN rows), so
     law_r = the free compression by r/c of law_c(Z Q Z*) (Nica-Speicher 1996), with
     law_c(Z Q Z*) = free Poisson(1, v c) ⊠ law_c(Q) for a Gaussian Z and law_c(Q) for a Haar
     unitary Z.

   With Q = A and l = X^T for X of shape (p, q) this is the compound Wishart law:
   X^T A X = (1 - p/q) delta_0 + (p/q) (law(A) ⊠ free Poisson(q/p, v p)) for q >= p, the
   Marchenko-Pastur-Silverstein law (Silverstein-Bai 1995). The atom at 0 is exact.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..algebra.blocks import square_generator
from ..algebra.generators import Letter
from ..algebra.ncpoly import NCPoly
from ..errors import InvalidParameterError, ReductionError, ShapeError
from ..laws import Law, affine, dirac, free_compression, free_poisson, mixture
from .relations import Relation, Unknown
from .rules import (_Compiler, _eq, _normalised, _product, _real_number, _short, _z,
                    register_shaped_compiler)

__all__ = ["compile_rectangular", "square_model"]


def square_model(P: NCPoly):
    """The square (1, 1) polynomial with the law of ``P`` on its block when every letter of P
    is a square generator of one block (d, d), else None.

    Examples
    --------
    >>> import freealg as fa
    >>> Y = fa.gaussian("Y", shape=(2, 2))
    >>> square_model(Y * Y.H)                   # circular of variance 2 on its own block
    Y*Y.H
    >>> square_model(Y * Y.H).generators[0].params
    (2, 'real')
    """
    gens = P.generators
    shapes = {g.shape for g in gens} | {P.shape}
    if len(shapes) != 1:
        return None
    (shape,) = shapes
    if shape[0] != shape[1]:
        return None
    sub = {g: square_generator(g, 1) for g in gens}
    return NCPoly([(tuple(Letter(sub[L.gen], L.star) for L in w), c) for w, c in P.terms])


class _RectCompiler(_Compiler):
    """The rule compiler with the rectangular rules in front (module docstring)."""

    def reduce(self, P: NCPoly, G) -> Law:
        sq = square_model(P) if (P.shape != (1, 1) or any(g.shape != (1, 1)
                                                           for g in P.generators)) else P
        if sq is not None:
            return super().reduce(sq, G)
        law = self._reduce_shaped(P, G)
        self._bind(Unknown(G, "cauchy", law))
        return law

    def _reduce_shaped(self, P: NCPoly, G) -> Law:
        z = _z
        terms = P.terms
        if not terms:
            self._step("constant", P, "dirac(0)", [_eq(G(z), 1 / z)])
            return dirac(0)
        c0 = P.constant_term()
        if c0 != 0:
            if not _real_number(c0):
                raise InvalidParameterError("expr", P, "a self-adjoint polynomial has a real "
                                                       "constant term")
            Gq = self._gfun()
            self._step("shift", P, f"law(P - {c0}) shifted by {c0}", [_eq(G(z), Gq(z - c0))])
            rest = NCPoly([(w, c) for w, c in terms if w])
            return affine(self.reduce(rest, Gq), 1, c0)
        lead = terms[0][1]
        if lead != 1 and _real_number(lead):
            Gq = self._gfun()
            self._step("scale", P, f"{lead} * law(P/{lead})", [_eq(G(z), Gq(z / lead) / lead)])
            return affine(self.reduce(_normalised(P, lead), Gq), lead, 0)
        tried = ["constant/shift/scale"]
        pieces = self._free_pieces(P)
        if len(pieces) > 1:
            return self._free_sum(P, pieces, G)
        tried.append("free sum")
        law = self._rect_peel(P, G)
        if law is not None:
            return law
        tried.append("rectangular product l Q l*")
        raise ReductionError(P, tried, hint="rectangular models are compiled by rules only "
                                            "(no linearization yet): write the expression as "
                                            "sums and products l Q l*, or use fa.sample")

    def _gram(self, P, g, r, c, a, G):
        """P = a l l*: a scaled free Poisson (Gaussian l) or Bernoulli (Haar isometry) law."""
        z = _z
        base = _gram_law(g, r, c)
        if base is None or not _real_number(a):
            return None
        law = base if a == 1 else affine(base, a, 0)
        ce = law.cauchy_expr(z) if hasattr(law, "cauchy_expr") else None
        self._step("Marchenko-Pastur" if g.kind == "circular" else "Haar isometry", P, repr(law),
                   [_eq(G(z), ce)] if ce is not None else [],
                   "X X* of a (r, c) Gaussian X with entries of variance v/N is free Poisson "
                   "with rate c/r and jump v r (Marchenko-Pastur 1967)" if g.kind == "circular"
                   else "V V* = 1 or a projection of trace c/r")
        return law

    def _rect_peel(self, P: NCPoly, G):
        z = _z
        terms = P.terms
        if any(len(w) < 2 for w, _ in terms):
            return None
        first = {w[0] for w, _ in terms}
        last = {w[-1] for w, _ in terms}
        if len(first) != 1 or len(last) != 1:
            return None
        (l,) = first
        (rl,) = last
        if rl != l.adjoint:
            return None
        g = l.gen
        r, c = l.shape
        inner = [(w[1:-1], co) for w, co in terms]
        Q = NCPoly(inner, (c, c))
        if not Q.is_selfadjoint:
            return None
        if g.name in {L.gen.name for w, _ in Q.terms for L in w}:
            return None         # l and Q are not free
        if g.kind not in ("circular", "haar_unitary", "haar_orthogonal", "projection",
                          "selfadjoint", "activation"):
            return None
        if not any(w for w, _ in Q.terms) and g.kind != "projection":
            return self._gram(P, g, r, c, Q.constant_term(), G)
        if g.kind not in ("circular", "haar_unitary", "haar_orthogonal"):
            return None     # square letters on one block: the square rules handle them
        at = len(self.steps)
        Gq = self._gfun()
        law_q = self.reduce(Q, Gq)
        gauss = g.kind == "circular"
        if gauss and law_q.is_positive() is False:
            raise ReductionError(P, ["rectangular product l Q l*"], hint="the factor Q is not "
                                 "positive; ⊠ needs laws on [0, inf)")
        ref = ("a Gaussian (r, c) matrix is a square (k, k) Gaussian with rows or columns cut "
               "(k = max(r, c)); Q padded with zeros to the r block has law (1 - c/r) delta_0 + "
               "(c/r) law(Q); the square Gram law is free Poisson(1, v k) (Marchenko-Pastur "
               "1967); S-transforms multiply (Voiculescu 1987)" if gauss else
               "a Haar isometry is a Haar unitary with rows or columns cut (unitary invariance)")
        if c <= r:
            # l = Z E: E embeds the c block into the r block, Z is square on the r block
            t = c / r
            if t == 1:
                padded, Gp = law_q, Gq
            else:
                Gp = self._gfun()
                padded = _pad_zero(law_q, t)
                self._bind(Unknown(Gp, "cauchy", padded))
                self._step("zero padding", Q, repr(padded),
                           [_eq(Gp(z), (1 - t) / z + t * Gq(z))],
                           "E Q E* has rank c N of r N", at=at)
            if not gauss:
                self._step("rectangular Haar conjugation", P, repr(padded), [_eq(G(z), Gp(z))],
                           ref, at=at)
                return padded
            law_l = free_poisson(1, g.params[0] * r)
            Gl = self._gfun()
            self._bind(Unknown(Gl, "cauchy", law_l))
            law = _product(law_l, padded)
            rel, S, Ws = self._product_relation(G, Gl, Gp)
            self._bind_product(Ws, law_l, padded)
            self._step("rectangular product", P, f"free_poisson(1, {law_l.args[1]}) ⊠ "
                       f"law(E {_short(Q, 40)} E*)",
                       [rel, Relation(_eq(Gl(z), law_l.cauchy_expr(z)))], ref, at=at)
            return law
        # c > r: l = E* Z, Z square on the c block; l Q l* is E* (Z Q Z*) E, a compression
        t = r / c
        if gauss:
            law_l = free_poisson(1, g.params[0] * c)
            Gl, Gc = self._gfun(), self._gfun()
            self._bind(Unknown(Gl, "cauchy", law_l))
            core = _product(law_l, law_q)
            self._bind(Unknown(Gc, "cauchy", core))
            rel, S, Ws = self._product_relation(Gc, Gl, Gq)
            self._bind_product(Ws, law_l, law_q)
            rels = [rel, Relation(_eq(Gl(z), law_l.cauchy_expr(z)))]
        else:
            core, Gc, rels = law_q, Gq, []
        amb = free_compression(core, t, ambient=True)
        Ga = self._gfun()
        self._bind(Unknown(Ga, "cauchy", amb))
        rels += self._compression_relations(amb, t, Ga, Gc)
        Gcomp = self.unknowns[-1]
        law = free_compression(core, t)
        rels.append(Relation(_eq(G(z), Gcomp(z))))
        self._step("rectangular compression", P, f"free_compression(law(Z {_short(Q, 40)} Z*), "
                   f"{t})", rels, ref + "; Nica-Speicher 1996: pAp has law D_t(mu^{⊞1/t}) in "
                   "(pAp, tau/t)", at=at)
        return law


def _pad_zero(law: Law, t) -> Law:
    """(1 - t) delta_0 + t law: a discrete law stays discrete (one atom list)."""
    from ..laws import discrete
    from ..laws.catalog import Discrete

    if isinstance(law, Discrete):
        pts = [a.location for a in law.atoms()] + [sp.S.Zero]
        ws = [t * a.mass for a in law.atoms()] + [1 - t]
        return discrete(pts, ws)
    return mixture([dirac(0), law], [1 - t, t])


def _gram_law(g, r, c):
    """Law of l l* on the r block for a letter l of shape (r, c) (None if no closed form)."""
    if g.kind == "circular":
        # Marchenko-Pastur 1967: rN x cN entries of variance v/N; rate c/r, jump v r
        return free_poisson(c / r, g.params[0] * r)
    if g.kind in ("haar_unitary", "haar_orthogonal"):
        from ..laws import bernoulli

        # l l* = 1 (c >= r) or a projection of trace c/r (c < r)
        return dirac(1) if c >= r else bernoulli(c / r)
    return None


def compile_rectangular(expr: NCPoly, method: Any = None):
    """Compile a square self-adjoint polynomial in shaped generators into a System whose law
    is normalised on the expression's own block.

    Examples
    --------
    >>> import freealg as fa
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> fa.compile(X.H * X).law                  # Marchenko-Pastur: rank N of 2N
    free_poisson(rate=1/2, jump=2)
    >>> A = fa.selfadjoint("A", fa.discrete([1, 3]))
    >>> fa.compile(X.H * A * X).law.atoms()[0]      # compound Wishart: exact rank atom
    Atom(location=0, mass=1/2, error=0)
    """
    import sys

    from .system import System

    r, c = expr.shape
    if r != c:
        raise ShapeError("spectrum", (expr.shape,), f"the spectrum of a non-square expression "
                         f"of shape ({r}, {c}) is not defined; use X * X.H or X.H * X (singular "
                         "values squared)")
    if not expr.is_selfadjoint:
        raise InvalidParameterError("expr", expr, "is not self-adjoint; its spectrum is not a law "
                                    "on the real line. For singular values pass a * a.H")
    if method == "linearization":
        sq = square_model(expr)
        if sq is None:      # several block dimensions: the embedding in the largest block
            from .blocks_linearize import block_linearization_system

            return block_linearization_system(expr)
        from .linearize import linearization_system

        return linearization_system(sq)
    comp = _RectCompiler()
    G = sp.Function("G")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * expr.degree + 2000))
    try:
        sq = square_model(expr)
        if sq is not None and method is None:
            try:
                law = comp.reduce(sq, G)
            except ReductionError:
                from .linearize import linearization_system

                return linearization_system(sq)
        elif sq is None and method is None:
            try:
                law = comp.reduce(expr, G)
            except ReductionError as exc:   # several block dimensions: blocks_linearize
                from .blocks_linearize import block_fallback

                return block_fallback(expr, exc)
        else:
            law = comp.reduce(expr, G)
    finally:
        sys.setrecursionlimit(limit)
    return System(z=_z, target=sp.Symbol("G"), unknowns=tuple([G] + comp.unknowns),
                  equations=tuple(eq for st in comp.steps for eq in st.equations),
                  definitions=tuple(comp.definitions), steps=tuple(comp.steps), law=law,
                  expr=expr, asymptotics=(_eq(sp.Symbol("G"), 1 / _z),),
                  numeric=tuple(comp.numeric.values()) + (Unknown(sp.Symbol("G"), "cauchy",
                                                                  law),))


register_shaped_compiler(compile_rectangular)
