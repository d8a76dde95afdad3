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

   When Q is not positive (an indefinite A) ⊠ is not available, and l Q l* for a Gaussian l
   is the free compound Poisson law with rate c/r and jump law law(v r Q) (Nica-Speicher
   Lecture 12; its Cauchy transform solves the Marchenko-Pastur-Silverstein equation, which
   holds for any real Q): z G = 1 - c/r + (c/r) G_Q(1/(v r G))/(v r G). It is compiled as the
   square model sum_i x_i a_i x_i on the r block (x_i free semicirculars of variance v r, a_i
   free copies of Q, the last one padded with zeros to the fractional part of c/r: x a x is
   compound Poisson with rate 1, Nica-Speicher Proposition 12.18; rates add under ⊞), solved
   by linearization.

4. ``information plus noise``: P = (a A + s Z)(a A + s Z)* with A deterministic (given by the
   law mu of its squared singular values, :func:`freealg.deterministic`) and Z Gaussian of the
   same shape (r, k). G solves the Dozier-Silverstein equation (Dozier-Silverstein 2007,
   J. Multivariate Anal. 98, Theorem 1.1, with c = r/k, noise variance v k, H = law_r(A A*)):
   G(z) = alpha G_H(alpha^2 z - alpha v (k - r)), alpha = 1 - v r G(z). It is compiled as a
   square model: for r <= k (after rotations A = [A_1, 0], A_1 square) the columns split,
   (A + Z)(A + Z)* = (A_1 + Z_1)(A_1 + Z_1)* + Z_2 Z_2*, free pieces; the first is the square
   of h + x with h symmetric, h^2 ~ mu, and x semicircular of variance v r (for square
   matrices the symmetrised singular-value law of a sum of bi-unitarily invariant matrices is
   the ⊞ of the symmetrised laws: Haagerup-Larsen 2000, Benaych-Georges 2009), the second
   free Poisson with rate (k - r)/r and jump v r. For r > k the law is
   (1 - k/r) delta_0 + (k/r) law_k((A + Z)* (A + Z)) (exact rank atom).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..algebra.blocks import (expand_deterministic, has_deterministic, is_shaped,
                              square_generator)
from ..algebra.generators import Generator, Letter
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
    if len(shapes) != 1 or has_deterministic(P):
        return None
    (shape,) = shapes
    if shape[0] != shape[1]:
        return None
    sub = {g: square_generator(g, 1) for g in gens}
    return NCPoly([(tuple(Letter(sub[L.gen], L.star) for L in w), c) for w, c in P.terms])


#: the hint of the rules' ReductionError when no rule reduces a shaped expression
_FALLBACK_HINT = ("fa.compile(P) without method='rules' falls back to the linearization (of the "
                  "embedding in the largest block when the blocks differ); fa.sample gives its "
                  "Monte Carlo")


class _RectCompiler(_Compiler):
    """The rule compiler with the rectangular rules in front (module docstring)."""

    def reduce(self, P: NCPoly, G) -> Law:
        if has_deterministic(P):
            law = self._signal_noise(P, G)
            if law is not None:
                self._bind(Unknown(G, "cauchy", law))
                return law
        # (deterministic letters of shape (1, 1) count as shaped: A = U h W* is not square in
        # the rule compiler's sense; square_model returns None for them)
        sq = square_model(P) if is_shaped(P) else P
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
        raise ReductionError(P, tried, hint=_FALLBACK_HINT)

    def _gram(self, P, g, r, c, a, G):
        """P = a l l*: a scaled free Poisson (Gaussian l) or Bernoulli (Haar isometry) law."""
        z = _z
        base = _gram_law(g, r, c)
        if base is None or not _real_number(a):
            return None
        law = base if a == 1 else affine(base, a, 0)
        ce = law.cauchy_expr(z) if hasattr(law, "cauchy_expr") else None
        names = {"circular": "Marchenko-Pastur", "deterministic": "singular values"}
        refs = {"circular": "X X* of a (r, c) Gaussian X with entries of variance v/N is free "
                            "Poisson with rate c/r and jump v r (Marchenko-Pastur 1967)",
                "deterministic": "A A* = U S^2 U* has the law of the squared singular values "
                                 "padded with the rank atom 1 - min(r, c)/r at 0"}
        self._step(names.get(g.kind, "Haar isometry"), P, repr(law),
                   [_eq(G(z), ce)] if ce is not None else [],
                   refs.get(g.kind, "V V* = 1 or a projection of trace c/r"))
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
                          "selfadjoint", "activation", "deterministic"):
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
            return self._compound_poisson(P, g, r, c, law_q, Gq, G, at)
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


    # indefinite compound Wishart (rule 3, Q not positive) ------------------------------------
    def _compound_poisson(self, P, g, r, c, law_q, Gq, G, at):
        """l Q l* for a Gaussian l of shape (r, c) and an indefinite Q: the free compound
        Poisson law with rate c/r and jump law law(v r Q) (module docstring)."""
        z = _z
        lam = c / r
        beta = g.params[0] * r
        n_full = int(sp.floor(lam))
        frac = lam - n_full
        if n_full + (frac != 0) > _MAX_COMPOUND_TERMS:
            raise ReductionError(P, ["rectangular product l Q l* (compound Poisson)"],
                                 hint=f"the rate c/r = {lam} needs more than "
                                 f"{_MAX_COMPOUND_TERMS} free copies in the linearization; "
                                 "use fa.sample, or write the model with a wider first factor")
        poly = _compound_poisson_poly(f"{g.name}.cp", lam, beta, law_q)
        from .linearize import linearization_system

        law = linearization_system(poly).law
        w = 1 / (beta * G(z))
        eq = _eq(z * G(z), 1 - lam + lam * Gq(w) * w)
        self._step("compound Poisson", P, f"free compound Poisson(rate {lam}, jump law({beta} "
                   f"{_short(NCPoly([(wd[1:-1], co) for wd, co in P.terms], (c, c)), 30)}))",
                   [eq],
                   "X Q X* with X of shape (r, c), entries of variance v/N, Q free and "
                   "self-adjoint (any sign): free compound Poisson with rate c/r and jump law "
                   "law(v r Q) (Nica-Speicher Lecture 12; the Marchenko-Pastur-Silverstein "
                   "equation, Silverstein-Bai 1995); compiled as sum_i x_i a_i x_i "
                   "(Nica-Speicher Proposition 12.18) by linearization", at=at)
        return law

    # information plus noise (rule 4) --------------------------------------------------------
    def _signal_noise(self, P: NCPoly, G):
        """(a A + s Z)(a A + s Z)* for A deterministic and Z Gaussian (module docstring), or
        None when P does not have that form."""
        z = _z
        form = _gram_pair(P)
        if form is None:
            return None
        D, Z, a, s = form
        r, k = D.shape
        # a A + s Z = A' + Z' with squared singular values a^2 mu and noise variance |s|^2 v
        scale = a ** 2
        mu = _scaled_atomic(D.gen.params[0], scale)
        sig2 = sp.Abs(s) ** 2 * Z.gen.params[0]
        h_law = None if mu is None else _symmetric_sqrt(mu)
        if h_law is None:
            raise ReductionError(P, ["information plus noise"], hint="the information-plus-"
                                 "noise rule needs a finite atomic law of squared singular "
                                 "values (fa.discrete); use fa.sample for other laws")
        m = min(r, k)
        H = mu if m == r else _pad_zero(mu, m / r)
        lo, hi = (r, k) if r <= k else (k, r)      # the square model lives on the smaller block
        x = NCPoly.from_generator(Generator(f"{D.gen.name}.x", "semicircular", (sig2 * lo,)))
        hh = NCPoly.from_generator(Generator(f"{D.gen.name}.h", "selfadjoint", (h_law,)))
        poly = (hh + x) * (hh + x)
        if hi != lo:
            # free Poisson((hi - lo)/lo, sig2 lo) as one law letter: its closed-form Cauchy
            # transform in the linearization (measured ~100x faster per density point than
            # sum x_i b_i x_i with a Bernoulli b, a second discrete group)
            y = Generator(f"{D.gen.name}.y", "selfadjoint",
                          (free_poisson((hi - lo) / lo, sig2 * lo),))
            poly = poly + NCPoly.from_generator(y)
        from .linearize import linearization_system

        law_sq = linearization_system(poly).law
        law = law_sq if r <= k else _pad_zero(law_sq, k / r)
        eqs: list = []
        Gb = G
        GH, Gs = sp.Function("G_{H}"), self._gfun()
        self.unknowns.append(GH)
        self._bind(Unknown(GH, "cauchy", H))
        self._bind(Unknown(Gs, "cauchy", law_sq))
        alpha = 1 - sig2 * r * Gb(z)
        eqs += [_eq(Gb(z), alpha * GH(alpha ** 2 * z - alpha * sig2 * (k - r))),
                _eq(Gb(z), Gs(z) if r <= k else (1 - k / r) / z + (k / r) * Gs(z))]
        self.definitions.append((GH, r"\text{Cauchy transform of } H = \text{law of } A A^{*}"))
        self.definitions.append((Gs, r"\text{Cauchy transform of the square model } (h + x)^{2}"
                                     + (r" + y" if hi != lo else "")))
        self._step("information plus noise", P, f"law of (A + Z)(A + Z)* with entries of Z of "
                   f"variance v/N, v = {sig2}, H = {H!r}", eqs,
                   "Dozier-Silverstein 2007 (J. Multivariate Anal. 98), Theorem 1.1; square "
                   "model (h + x)^2 (+ free Poisson) by Haagerup-Larsen 2000 / Benaych-Georges "
                   "2009, solved by linearization")
        return law


_MAX_COMPOUND_TERMS = 8


def _compound_poisson_poly(tag: str, lam, beta, law) -> NCPoly:
    """sum_i x_i a_i x_i: free compound Poisson with rate lam and jump law law(beta a) (x_i
    free semicirculars of variance beta, a_i free copies of ``law``, the last one padded with
    zeros to the fractional part of lam; law=None is delta_1, i.e. free Poisson(lam, beta)).
    x a x is compound Poisson with rate 1 and jump law law(a) (Nica-Speicher Prop. 12.18);
    rates add under ⊞."""
    from ..laws import bernoulli

    n_full = int(sp.floor(lam))
    frac = lam - n_full
    parts = [law] * n_full
    if frac != 0:
        parts.append(bernoulli(frac) if law is None else _pad_zero(law, frac))
    poly = NCPoly([])
    for k, law_k in enumerate(parts):
        x = NCPoly.from_generator(Generator(f"{tag}.x{k}", "semicircular", (beta,)))
        if law_k is None:
            poly = poly + x * x
        else:
            a = NCPoly.from_generator(Generator(f"{tag}.a{k}", "selfadjoint", (law_k,)))
            poly = poly + x * a * x
    return poly


def _scaled_atomic(mu: Law, scale):
    """The finite atomic law mu with its points multiplied by ``scale`` (None if mu is not
    finite atomic)."""
    from ..laws import discrete
    from ..laws.operator_valued import discrete_points_weights

    try:
        pts, ws = discrete_points_weights(mu)
    except InvalidParameterError:
        return None
    return mu if scale == 1 else discrete([scale * x for x in pts], list(ws))


def _symmetric_sqrt(mu: Law):
    """The symmetric discrete law whose square is ``mu`` (None unless mu is finite atomic)."""
    from ..laws import discrete
    from ..laws.operator_valued import discrete_points_weights

    try:
        pts, ws = discrete_points_weights(mu)
    except InvalidParameterError:
        return None
    out_p, out_w = [], []
    for x, w in zip(pts, ws):
        if x == 0:
            out_p.append(sp.S.Zero)
            out_w.append(w)
        else:
            rt = sp.sqrt(x)
            out_p += [-rt, rt]
            out_w += [w / 2, w / 2]
    return discrete(out_p, out_w)


def _gram_pair(P: NCPoly):
    """(D, Z, a, s) when P = (a D + s Z)(a D + s Z)* with D a deterministic letter and Z a
    Gaussian letter of the same shape (a > 0 real, s complex), else None."""
    terms = dict(P.terms)
    if not terms or any(len(w) != 2 for w in terms):
        return None
    firsts = {w[0] for w in terms}
    if len(firsts) != 2 or {w[1] for w in terms} != {L.adjoint for L in firsts}:
        return None
    D = next((L for L in firsts if L.gen.kind == "deterministic"), None)
    Z = next((L for L in firsts if L.gen.kind == "circular"), None)
    if D is None or Z is None or D.shape != Z.shape:
        return None
    zero = sp.S.Zero
    cdd = terms.get((D, D.adjoint), zero)
    czz = terms.get((Z, Z.adjoint), zero)
    czd = terms.get((Z, D.adjoint), zero)
    cdz = terms.get((D, Z.adjoint), zero)
    if not (cdd.is_number and czz.is_number and czd.is_number and cdz.is_number):
        return None
    if not (_real_number(cdd) and cdd > 0):
        return None
    a = sp.sqrt(cdd)
    s = czd / a
    if sp.simplify(cdz - sp.conjugate(s) * a) != 0 or sp.simplify(czz - sp.Abs(s) ** 2) != 0:
        return None
    if s == 0:
        return None
    return D, Z, a, s


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
    if g.kind == "deterministic":
        # A = U h W*: l l* = U h^2 U* (or W h^2 W*), rank m = min(r, c) of r
        m = min(r, c)
        return g.params[0] if m == r else _pad_zero(g.params[0], m / r)
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
    if has_deterministic(expr) and method == "linearization":
        # A = U h W* with Haar U, W and h of the singular-value law: a polynomial in ordinary
        # generators, which the linearization handles
        return _compile_expanded(expr, method)
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
        if has_deterministic(expr):
            try:
                law = comp.reduce(expr, G)
            except ReductionError as exc:
                if method == "rules":
                    raise
                return _compile_expanded(expr, None, exc)
        elif sq is not None and method is None:
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


def _compile_expanded(expr: NCPoly, method: Any, failed: ReductionError | None = None):
    """Compile ``expr`` with its deterministic letters written as U h W* (Haar U, W; h with
    the symmetric square root of the squared-singular-value law): no rule handles the
    deterministic letter itself, the expanded polynomial goes through the compiler again
    (its rules, then the linearization)."""
    from ..algebra.blocks import SymmetricSquareRoot
    from .rules import compile_expr

    P = expand_deterministic(expr)
    sub = {}
    for g in P.generators:
        if g.kind == "selfadjoint" and isinstance(g.params[0], SymmetricSquareRoot):
            h_law = _symmetric_sqrt(g.params[0].law)
            if h_law is None:
                # the rules' own reason first (e.g. a rule that needs atoms; not their advice
                # to fall back, which is this very fallback), then why the expansion does not
                # apply
                first = ((failed.hint + "; ") if failed is not None and failed.hint
                         and failed.hint != _FALLBACK_HINT else "")
                tried = (list(failed.tried) if failed is not None else ["rectangular rules"])
                raise ReductionError(expr, tried + ["U h W* expansion"],
                                     hint=first + "only a deterministic letter with a discrete "
                                          "law of squared singular values (fa.discrete) "
                                          "expands into Haar factors for the linearization; "
                                          "fa.trace gives its moments exactly, fa.sample "
                                          "its Monte Carlo")
            sub[g] = Generator(g.name, "selfadjoint", (h_law,), shape=g.shape)
    if sub:
        P = NCPoly([(tuple(Letter(sub.get(L.gen, L.gen), L.star) for L in w), c)
                    for w, c in P.terms], P.shape)
    return compile_expr(P, method)


register_shaped_compiler(compile_rectangular)
