"""The compiler: self-adjoint polynomial in free generators -> System (equations + law tree).

Rules, tried in this order on each (sub)polynomial P; each cites the theorem it uses:

1. ``constant``/``shift``/``scale``: P = a Q + b -> law(Q) mapped by x -> a x + b.
2. ``free sum``: P splits into self-adjoint pieces that are free (disjoint generator families,
   or a piece u B u* with a Haar unitary u that occurs nowhere else) -> ⊞ of their laws
   (Voiculescu 1986: R-transforms add; subordination of Biane 1998).
3. ``Haar conjugation``: P = u B u* with u Haar, u not in B -> law(B) (unitary invariance).
4. ``generator``: P = x a self-adjoint generator -> its law; x^2 for a semicircular x -> free
   Poisson(1, v) (NS Lecture 12); powers of diagonal/discrete generators -> pushforward laws.
5. ``u + u*``: u Haar unitary -> arcsine law on [-2, 2] (NS Lecture 1 exercise; Haagerup-Larsen);
   more generally c W + conj(c) W* for a nonempty reduced word W in free Haar unitaries
   (u^2, u v, u v u*: W is again Haar) -> arcsine on [-2|c|, 2|c|].
6. ``circular``: c c* and c* c -> free Poisson(1, v) (Marchenko-Pastur; NS Lecture 11).
7. ``compression``: P = p A p, p a projection free from A -> (1 - t) delta_0 + t D_t(mu^{⊞1/t})
   (Nica-Speicher 1996).
8. ``product``: P = l Q l* with l the first letter of every term, Q self-adjoint and l* l free
   from Q -> law(l* l) ⊠ law(Q), because tau((l Q l*)^n) = tau((Q l* l)^n) (traciality) and
   S-transforms multiply (Voiculescu 1987). This peels the layered Jacobian
   J J* = D_L W_L ... D_1 W_1 W_1* D_1 ... W_L* D_L one factor at a time:
   S_{J J*} = prod_l S_{D_l^2} (Pennington-Schoenholz-Ganguli 2017), W_l dropping out by rule 3.

When nothing applies, ``ReductionError`` lists the rules tried.
"""

from __future__ import annotations

import sys
from typing import Any

import sympy as sp

from ..algebra.blocks import is_shaped
from ..algebra.generators import Letter
from ..algebra.ncpoly import NCPoly
from ..algebra.trace import check_names
from ..errors import InvalidParameterError, ReductionError
from ..laws import (Law, affine, arcsine, bernoulli, dirac, discrete, free_additive,
                    free_compression, free_multiplicative, free_poisson, gaussian_pushforward)
from ..laws.catalog import Discrete
from ..laws.convolution import FreeAdditive, FreeMultiplicative
from ..laws.derived import FreeProduct
from .linearize import linearization_system
from .relations import Lazy, Relation, TreeValue, Unknown
from .system import Step, System, _register_compiler

__all__ = ["compile_expr", "is_free", "power_law"]

_z = sp.Symbol("z")


def _eq(lhs, rhs):
    """An unevaluated sympy equation (sympy's Eq would try to decide it: slow and pointless)."""
    return sp.Eq(lhs, rhs, evaluate=False)


# ---------------------------------------------------------------------------------------------
# freeness and structure helpers


def _fam(L: Letter) -> str:
    return L.gen.family or L.gen.name


def _families(P: NCPoly) -> set:
    return {_fam(L) for w, _ in P.terms for L in w}


def _conjugator(P: NCPoly):
    """u if P = u B u* for a Haar unitary u that does not occur in B, else None."""
    u = None
    for w, _ in P.terms:
        if len(w) < 2:
            return None
        a, b = w[0], w[-1]
        if not a.gen.is_unitary or a.gen != b.gen or a.star == b.star:
            return None
        if u is None:
            u = a
        elif a != u:
            return None
        name = a.gen.name
        if any(L.gen.name == name for L in w[1:-1]):
            return None
    return u


def _strip(P: NCPoly, k: int = 1) -> NCPoly:
    if len(P.terms) == 1:
        # an interior slice of a reduced word is reduced: no re-canonicalisation needed
        (w, c), = P.terms
        return NCPoly._new(((w[k:len(w) - k], c),))
    return NCPoly([(w[k:len(w) - k], c) for w, c in P.terms])


def _selfadjoint(P: NCPoly) -> bool:
    if len(P.terms) == 1:
        (w, c), = P.terms
        # symbols are real parameters (NCPoly convention): conjugation only flips I
        if c.is_real is not True and c.subs(sp.I, -sp.I) != c:
            return False
        n = len(w)
        return all(w[n - 1 - i] == w[i].adjoint for i in range((n + 1) // 2))
    return P.is_selfadjoint


class _ShortWord:
    """The short form of the word w[lo:hi] (as :func:`_short` prints it), without copying a
    long interior."""

    __slots__ = ("w", "lo", "hi", "n")

    def __init__(self, w, lo, hi, n=80):
        self.w, self.lo, self.hi, self.n = w, lo, hi, n

    def __str__(self):
        w, lo, hi = self.w, self.lo, self.hi
        if hi - lo > 24:
            head = "*".join(repr(L) for L in w[lo:lo + 6])
            tail = "*".join(repr(L) for L in w[hi - 4:hi])
            return f"{head}*...({hi - lo - 10} letters)...*{tail}"
        P = NCPoly._new(((w[lo:hi], sp.S.One),)) if hi > lo else NCPoly.constant(1)
        return _short(P, self.n)

    __repr__ = __str__


def _short(P, n: int = 80) -> str:
    if isinstance(P, _ShortWord):
        return str(P)
    if len(P.terms) == 1 and len(P.terms[0][0]) > 24:
        (w, c), = P.terms
        head = "*".join(repr(L) for L in w[:6])
        tail = "*".join(repr(L) for L in w[-4:])
        pre = "" if c == 1 else f"{c}*"
        return f"{pre}{head}*...({len(w) - 10} letters)...*{tail}"
    r = repr(P)
    return r if len(r) <= n else r[: n - 20] + " ... " + r[-15:]


def is_free(A: NCPoly, B: NCPoly) -> bool:
    """Sufficient test that A and B are free: disjoint generator families, or one of them is
    u X u* with a Haar unitary u occurring nowhere else (u X u* is free from any Y when u is
    free from {X, Y}: NS Lecture 5, Haar unitaries and freeness).

    Examples
    --------
    >>> import freealg as fa
    >>> x, y, u = fa.semicircular("x"), fa.semicircular("y"), fa.haar_unitary("u")
    >>> is_free(x, y), is_free(x, x*x), is_free(x, u*x*u.H)
    (True, False, True)
    """
    if not (_families(A) & _families(B)):
        return True
    for X, Y in ((A, B), (B, A)):
        u = _conjugator(X)
        if u is not None and u.gen.name not in {L.gen.name for w, _ in Y.terms for L in w}:
            return True
    return False


def _normalised(P: NCPoly, lead) -> NCPoly:
    """P / lead with the leading coefficient exactly 1 (with Float coefficients c/c can come
    back as 1.0000000000000002, and the scale rule would recurse forever)."""
    Q = P / lead
    (w0, c0), *rest = Q.terms
    if c0 != 1:
        Q = NCPoly._new(((w0, sp.S.One),) + tuple(rest))
    return Q


def _real_number(c) -> bool:
    return c.is_number and c.is_real is not False and sp.im(c) == 0


# ---------------------------------------------------------------------------------------------


class _Compiler:
    def __init__(self):
        self.steps: list = []
        self.definitions: list = []
        self.unknowns: list = []
        self.numeric: dict = {}  # unknown -> reduce.relations.Unknown (how to compute it)
        self._n = 0
        self._ncomp = 0

    def _bind(self, unknown: Unknown) -> None:
        self.numeric.setdefault(unknown.symbol, unknown)

    def _new(self):
        self._n += 1
        return self._n

    def _gfun(self):
        k = self._new()
        f = sp.Function(f"G_{k}")
        self.unknowns.append(f)
        return f

    # the recursion --------------------------------------------------------------------------
    def reduce(self, P: NCPoly, G) -> Law:
        """Return the law of P; equations describe G (a sympy function of z) in terms of the
        Cauchy transforms of the pieces."""
        terms = P.terms
        law = None
        if len(terms) == 1 and terms[0][1] == 1 and len(terms[0][0]) > 2:
            law = self._reduce_word(terms[0][0], G)
        if law is None:
            law = self._reduce_rules(P, G)
        self._bind(Unknown(G, "cauchy", law))  # G is the Cauchy transform of law(P)
        return law

    def _reduce_rules(self, P: NCPoly, G) -> Law:
        z = _z
        tried = []
        terms = P.terms
        if not terms:
            self._step("constant", P, "dirac(0)", [_eq(G(z), 1 / z)])
            return dirac(0)
        # 1. constants, shifts and scales
        c0 = P.constant_term()
        if len(terms) == 1 and not terms[0][0]:
            self._step("constant", P, f"dirac({c0})", [_eq(G(z), 1 / (z - c0))])
            return dirac(c0)
        if c0 != 0:
            if not _real_number(c0) and c0.free_symbols == set():
                raise InvalidParameterError("expr", P, "a self-adjoint polynomial has a real "
                                                       "constant term")
            Gq = self._gfun()
            self._step("shift", P, f"law(P - {c0}) shifted by {c0}",
                       [_eq(G(z), Gq(z - c0))])
            return affine(self.reduce(P - c0, Gq), 1, c0)
        lead = terms[0][1]
        # symbols are real parameters (NCPoly convention): a symbolic scale stays symbolic
        if lead != 1 and (_real_number(lead) if lead.is_number else lead.is_real is not False):
            Gq = self._gfun()
            self._step("scale", P, f"{lead} * law(P/{lead})", [_eq(G(z), Gq(z / lead) / lead)])
            return affine(self.reduce(_normalised(P, lead), Gq), lead, 0)
        tried.append("constant/shift/scale")
        # 2. free sum
        pieces = self._free_pieces(P)
        if len(pieces) > 1:
            return self._free_sum(P, pieces, G)
        tried.append("free sum")
        # 3. Haar conjugation
        u = _conjugator(P)
        if u is not None:
            B = _strip(P)
            if _selfadjoint(B):
                Gb = self._gfun()
                self._step("Haar conjugation", P, f"law({_short(B)})", [_eq(G(z), Gb(z))],
                           "unitary invariance of the trace")
                return self.reduce(B, Gb)
        tried.append("Haar conjugation")
        # 4./6. single words: generators, squares, circular
        if len(terms) == 1 and terms[0][1] == 1:
            law = self._word_law(terms[0][0], P, G)
            if law is not None:
                return law
        tried.append("generator / power of a generator / c c*")
        # 5. u + u*
        law = self._unitary_sum(P, G)
        if law is not None:
            return law
        tried.append("u + u*")
        # 7./8. peel the first letter
        law = self._peel(P, G)
        if law is not None:
            return law
        tried.append("compression p A p")
        tried.append("product l Q l* (S-transform)")
        raise ReductionError(P, tried, hint="fa.compile(P) without method='rules' (or "
                                            "method='linearization') handles any self-adjoint "
                                            "polynomial by linearization")

    # single words in linear time ------------------------------------------------------------
    def _reduce_word(self, w: tuple, G):
        """The rules on one self-adjoint word w, applied level by level on index views.

        Peeling ``l Q l*`` or ``u B u*`` from a word of length n by the general rules copies and
        rescans the interior at every level: O(n^2) for a depth-L Jacobian. Here the interior
        is w[lo:hi] and the questions the rules ask (does u occur inside? are the families of
        l* l and Q disjoint?) are answered from occurrence counts updated as the ends are
        removed, so the whole word costs O(n). The rules, their order and the steps recorded
        are those of :meth:`_reduce_rules` (a level they do not cover is handed to it), and a
        chain of products is flattened into one FreeProduct at the end. Returns None when w is
        not self-adjoint (the general rules then report it).
        """
        z = _z
        n = len(w)
        if any(w[n - 1 - i] != w[i].adjoint for i in range((n + 1) // 2)):
            return None
        names: dict = {}
        fams: dict = {}
        for L in w:
            names[L.gen.name] = names.get(L.gen.name, 0) + 1
            f = _fam(L)
            fams[f] = fams.get(f, 0) + 1
        distinct = len(names)

        def drop(L):
            nonlocal distinct
            names[L.gen.name] -= 1
            if not names[L.gen.name]:
                distinct -= 1
            fams[_fam(L)] -= 1

        def view(lo, hi):
            return NCPoly._new(((w[lo:hi], sp.S.One),)) if hi > lo else NCPoly.constant(1)

        wraps: list = []  # (kind, data) from the outside in
        lo, hi = 0, n
        while hi - lo > 2 and distinct > 1:
            l = w[lo]
            name = l.gen.name
            inner_has_l = names[name] > 2  # both ends count once each
            if l.gen.is_unitary and not inner_has_l:
                # 3. Haar conjugation
                Gb = self._gfun()
                self._step("Haar conjugation", _ShortWord(w, lo, hi),
                           f"law({_ShortWord(w, lo + 1, hi - 1)})", [_eq(G(z), Gb(z))],
                           "unitary invariance of the trace")
                wraps.append(("haar", G))
                drop(w[lo]), drop(w[hi - 1])
                lo, hi, G = lo + 1, hi - 1, Gb
                continue
            if l.gen.is_projection:
                if inner_has_l:
                    break  # the general rules report it
                # 7. compression
                Gq = self._gfun()
                wraps.append(("compression", (l.gen.params[0], G, Gq, len(self.steps), lo, hi)))
                drop(w[lo]), drop(w[hi - 1])
                lo, hi, G = lo + 1, hi - 1, Gq
                continue
            # 8. product l Q l*: is l* l free from Q = w[lo+1:hi-1]?
            LL = NCPoly([((l.adjoint, l), 1)])
            drop(w[lo]), drop(w[hi - 1])
            ll_fams = {_fam(L) for t, _ in LL.terms for L in t}
            free = not any(fams.get(f, 0) for f in ll_fams)
            if not free and hi - lo - 2 >= 2:
                a = w[lo + 1]
                free = (a.gen.is_unitary and names[a.gen.name] == 2
                        and a.gen.name not in {L.gen.name for t, _ in LL.terms for L in t})
            if not free:
                # restore the counts and let the general rules report it
                for L in (w[lo], w[hi - 1]):
                    if not names[L.gen.name]:
                        distinct += 1
                    names[L.gen.name] += 1
                    fams[_fam(L)] += 1
                break
            Gl, Gq = self._gfun(), self._gfun()
            at = len(self.steps)
            law_l = self.reduce(LL, Gl)  # l* l >= 0 by construction: no positivity check
            rel, S, Ws = self._product_relation(G, Gl, Gq)
            self._step("product", _ShortWord(w, lo, hi),
                       f"free_multiplicative(law({LL}), law({_ShortWord(w, lo + 1, hi - 1, 40)}))",
                       [rel],
                       "tau((l Q l*)^n) = tau((Q l* l)^n); Voiculescu 1987: S-transforms "
                       "multiply", at=at)
            wraps.append(("product", (law_l, S, lo, hi, G, Gq, Ws)))
            lo, hi, G = lo + 1, hi - 1, Gq
        law = self._reduce_rules(view(lo, hi), G) if (lo, hi) != (0, n) else None
        if law is None:
            return None  # nothing was peeled: the general rules take the whole word
        self._bind(Unknown(G, "cauchy", law))
        # unwind from the inside out; runs of products become one flattened FreeProduct. The
        # law of each level is bound lazily (building them all would cost O(depth^2))
        run: list = []
        for kind, data in reversed(wraps):
            if kind == "haar":
                self._bind(Unknown(data, "cauchy", Lazy(_product_run, tuple(run), law)))
                continue
            if kind == "product":
                law_l, S, plo, phi, Gout, Gq, Ws = data
                if not run:
                    if law.is_positive() is False:
                        raise ReductionError(view(plo, phi), ["product l Q l*"], hint="the factor "
                                             "Q is not positive; ⊠ needs laws on [0, inf)")
                law_q = Lazy(_product_run, tuple(run), law)
                run.append(law_l)
                self._bind(Unknown(Gq, "cauchy", law_q))
                self._bind(Unknown(Gout, "cauchy", Lazy(_product_run, tuple(run), law)))
                self._bind_product(Ws, law_l, law_q)
                self.definitions.append((S, r"\text{S-transform of the product } l\,Q\,l^{*}"))
                continue
            law = _product_run(run, law)
            run = []
            t, Gc_of, Gq, at, clo, chi = data
            lawq = law
            self._bind(Unknown(Gq, "cauchy", lawq))
            law = free_compression(lawq, t, ambient=True)
            self._bind(Unknown(Gc_of, "cauchy", law))
            self._step("compression", _ShortWord(w, clo, chi),
                       f"free_compression({lawq.name}, {t})",
                       self._compression_relations(law, t, Gc_of, Gq),
                       "Nica-Speicher 1996: pAp has law D_t(mu^{⊞1/t}) in (pAp, tau/t)", at=at)
        return _product_run(run, law)

    def _compression_relations(self, law, t, G, Gq) -> list:
        """The equations of the compression rule (R_c(w) = R_q(t w), G = (1 - t)/z + t G_c)
        and, in the same place, how to compute G_c, R_c and R_q: G_c and the subordination point
        omega (t G_c(z) = G_q(omega)) from the law's Newton solution; R_c, R_q by inverting
        G_c, G_q at w = G_c(z), starting from z and omega."""
        z = _z
        self._ncomp += 1
        sfx = "c" if self._ncomp == 1 else f"{{c_{self._ncomp}}}"
        Rc, Rq = sp.Function(f"R_{sfx}"), sp.Function("R" + Gq.__name__[1:])
        Gc = sp.Function(f"G_{sfx}")
        om = sp.Function(f"omega_{{{Gc.__name__}}}")  # not displayed: the inversion's start
        wv = sp.Symbol("w")
        self.unknowns.extend([Gc])
        self._bind(Unknown(Gc, "function", TreeValue(law, "G_c")))
        self._bind(Unknown(om, "function", TreeValue(law, "omega")))
        self._bind(Unknown(Rc, "R", Gc))
        self._bind(Unknown(Rq, "R", Gq))
        self.definitions.append((Gc, r"\text{Cauchy transform of } pAp \text{ in } "
                                     r"(pAp, \tau/t)\text{, whose R-transform is } R_" + sfx))
        return [Relation(_eq(Rc(wv), Rq(t * wv)), at=((wv, Gc(z)),),
                         hints=((Rc, z), (Rq, om(z)))),
                Relation(_eq(G(z), (1 - t) / z + t * Gc(z)))]

    def _product_relation(self, G, Gl, Gq):
        """The equation of the product rule, S(m) = S_l(m) S_q(m) at m = z G(z) - 1, and how to
        compute its S-transforms: by inverting psi_l, psi_q at m, starting from the
        subordination points W_l, W_q of the two-factor ⊠ law (bound by :meth:`_bind_product`
        once the factors' laws are known)."""
        z = _z
        m = sp.Symbol("m")
        S, Sl, Sq = (sp.Function(f"S_{{{k}}}") for k in (G.__name__, Gl.__name__, Gq.__name__))
        Wl, Wq = (sp.Function(f"W_{{{k}}}") for k in (Gl.__name__, Gq.__name__))  # not shown
        for f, g in ((S, G), (Sl, Gl), (Sq, Gq)):
            self._bind(Unknown(f, "S", g))
        rel = Relation(_eq(S(m), Sl(m) * Sq(m)), at=((m, z * G(z) - 1),),
                       hints=((S, z), (Sl, Wl(z)), (Sq, Wq(z))))
        return rel, S, (Wl, Wq)

    def _bind_product(self, Ws, law_l, law_q) -> None:
        two = Lazy(_two_factors, law_l, law_q)
        for j, f in enumerate(Ws):
            self._bind(Unknown(f, "function", TreeValue(two, "W", j)))

    # rules -----------------------------------------------------------------------------------
    def _free_pieces(self, P: NCPoly) -> list:
        """Split P into self-adjoint pieces that are free from each other (or return [P])."""
        terms = list(P.terms)
        n = len(terms)
        if n < 2:
            return [P]
        parent = list(range(n))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i, j):
            parent[find(i)] = find(j)

        # footprint of a term: its generator families, or only its conjugating Haar unitary
        # (u W u* with u not in W is free from everything that does not involve u)
        feet = []
        for w, _ in terms:
            u = _conjugator(NCPoly([(w, 1)]))
            feet.append({"conj:" + u.gen.name} if u is not None else {_fam(L) for L in w})
        for i in range(n):
            for j in range(i + 1, n):
                if feet[i] & feet[j]:
                    union(i, j)
        groups: dict = {}
        for i in range(n):
            groups.setdefault(find(i), []).append(terms[i])
        pieces = [NCPoly(g) for g in groups.values()]
        if len(pieces) < 2 or not all(_selfadjoint(q) for q in pieces):
            return [P]
        # pairwise freeness must hold for the fold
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                if not is_free(pieces[i], pieces[j]):
                    return [P]
        return pieces

    def _free_sum(self, P, pieces, G):
        z = _z
        at = len(self.steps)  # the sum's own step is listed before its pieces' steps
        laws = []
        subs = []
        for q in pieces:
            Gq = self._gfun()
            laws.append(self.reduce(q, Gq))
            subs.append(Gq)
        law = laws[0]
        for other in laws[1:]:
            law = free_additive(law, other)
        omegas = [sp.Function(f"omega_{self._new()}") for _ in pieces]
        self.unknowns.extend(omegas)
        # omega_i from the Newton solutions of the left fold ((l_0 ⊞ l_1) ⊞ l_2) ⊞ ...
        prefix = [laws[0]]
        for other in laws[1:]:
            prefix.append(FreeAdditive(prefix[-1], other))
        for i, om in enumerate(omegas):
            self._bind(Unknown(om, "function", _SumOmega(tuple(prefix), i)))
        eqs = [_eq(G(z), Gq(om(z))) for Gq, om in zip(subs, omegas)]
        eqs.append(_eq(sp.Add(*[om(z) for om in omegas]), (len(pieces) - 1) * z + 1 / G(z)))
        self._step("free sum", P, "free_additive(" + ", ".join(l.name for l in laws) + ")", eqs,
                   "Voiculescu 1986: R-transforms add", at=at)
        return law

    def _word_law(self, w, P, G):
        z = _z
        if len(w) == 1 and w[0].gen.is_selfadjoint:
            law = w[0].gen.law()
            self.definitions.append((G, rf"\text{{Cauchy transform of }} {law._latex()}"))
            ce = law.cauchy_expr(z)
            eqs = [_eq(G(z), ce)] if ce is not None and len(sp.srepr(ce)) < 400 else []
            self._step("generator", P, repr(law), eqs)
            return law
        gens = {L.gen for L in w}
        if len(gens) == 1:
            g = w[0].gen
            k = len(w)
            if g.kind == "circular" and k == 2 and w[0].star != w[1].star:
                law = free_poisson(1, g.params[0])
                self._step("circular", P, repr(law), [_eq(G(z), law.cauchy_expr(z))],
                           "c c* of a circular c is free Poisson (NS Lecture 11)")
                return law
            if g.kind == "semicircular" and k == 2:
                law = free_poisson(1, g.params[0])
                self._step("square of a semicircular", P, repr(law),
                           [_eq(G(z), law.cauchy_expr(z))], "x^2 ~ free Poisson(1, v) "
                           "(NS Lecture 12)")
                return law
            if g.is_selfadjoint:
                law = power_law(g, k)
                if law is not None:
                    self.definitions.append((G, rf"\text{{Cauchy transform of }} {law._latex()}"))
                    self._step("power of a generator", P, repr(law), [])
                    return law
        return None

    def _unitary_sum(self, P, G):
        z = _z
        terms = P.terms
        if len(terms) != 2:
            return None
        (w1, c1), (w2, c2) = terms
        # c W + conj(c) W* for a nonempty reduced word W in free Haar unitaries (u, u^2, u v,
        # u v u*, ...): W^n is a nontrivial reduced word for n >= 1 (free groups are torsion
        # free), so tau(W^n) = 0 and W is itself a Haar unitary (NS Lectures 1 and 5); c W has
        # the *-distribution of |c| W (rotation invariance), and 2 Re(c W) is arcsine on
        # [-2|c|, 2|c|]
        if not w1 or w2 != tuple(L.adjoint for L in reversed(w1)):
            return None
        if not all(L.gen.is_unitary and not L.gen.family for L in w1):
            return None
        if sp.simplify(c1 - sp.conjugate(c2)) != 0:
            return None
        r = sp.simplify(sp.Abs(c1))
        if not (r.is_number and r.is_positive):
            return None
        law = arcsine(-2 * r, 2 * r)
        what = "u + u*" if len(w1) == 1 and r == 1 else "c W + conj(c) W*, W a Haar word"
        self._step("u + u*", P, repr(law), [_eq(G(z), law.cauchy_expr(z))],
                   f"{what}: 2 Re of a Haar unitary has the arcsine law on [-2, 2] "
                   "(NS Lecture 1); a nontrivial reduced word in free Haar unitaries is Haar "
                   "(NS Lecture 5)")
        return law

    def _peel(self, P, G):
        terms = P.terms
        if any(not w for w, _ in terms):
            return None  # a constant term is not of the form l Q l*
        first = {w[0] for w, _ in terms}
        last = {w[-1] for w, _ in terms}
        if len(first) != 1 or len(last) != 1:
            return None
        (l,) = first
        (r,) = last
        if r != l.adjoint:
            return None
        short = [c for w, c in terms if len(w) < 2]
        if short and not l.gen.is_projection:
            return None  # l Q l* has words of length >= 2
        # a projection p is p 1 p (p^2 = p is reduced away in the words): the compression of
        # q + X by p written out is q p + p X p, as in the Fisher recursion
        # H_{l+1} = q + W D H D W* with projections D (Hayase-Karakida 2021)
        Q = _strip(P) if not short else NCPoly([(w[1:len(w) - 1], c) if len(w) > 1 else ((), c)
                                               for w, c in terms])
        if not _selfadjoint(Q) or all(not w for w, _ in Q.terms):
            return None  # (Q a scalar: P = c l l* is not a product of two simpler pieces)
        if l.gen.is_projection:
            if l.gen.name in {L.gen.name for w, _ in Q.terms for L in w}:
                return None
            t = l.gen.params[0]
            Gq = self._gfun()
            at = len(self.steps)
            lawq = self.reduce(Q, Gq)
            if short and lawq.is_positive() is True:
                # a recursion step q p + p X p (Fisher / NTK): law(p) ⊠ law(q + X), the same
                # law as the compression (Nica-Speicher 1996: law(p A p) = law(p) ⊠ law(A) in
                # the ambient algebra), in the form fa.nn compiles (S-transforms multiply)
                return self._projection_product(P, l, Q, G, Gq, lawq, at)
            law = free_compression(lawq, t, ambient=True)
            self._step("compression", P, f"free_compression({lawq.name}, {t})",
                       self._compression_relations(law, t, G, Gq),
                       "Nica-Speicher 1996: pAp has law D_t(mu^{⊞1/t}) in (pAp, tau/t)", at=at)
            return law
        LL = NCPoly([((l.adjoint, l), 1)])
        if not is_free(LL, Q):
            return None
        Gl, Gq = self._gfun(), self._gfun()
        at = len(self.steps)
        law_l = self.reduce(LL, Gl)
        law_q = self.reduce(Q, Gq)
        # l* l >= 0 by construction (its hull may be only a norm bound): only Q is checked
        if law_q.is_positive() is False:
            raise ReductionError(P, ["product l Q l*"], hint="the factor Q is not positive; ⊠ "
                                 "needs laws on [0, inf)")
        law = _product(law_l, law_q)
        rel, S, Ws = self._product_relation(G, Gl, Gq)
        self._bind_product(Ws, law_l, law_q)
        self._step("product", P, f"free_multiplicative(law({LL}), law({_short(Q, 40)}))",
                   [rel],
                   "tau((l Q l*)^n) = tau((Q l* l)^n); Voiculescu 1987: S-transforms multiply",
                   at=at)
        self.definitions.append((S, r"\text{S-transform of the product } l\,Q\,l^{*}"))
        return law

    def _projection_product(self, P, l, Q, G, Gq, law_q, at):
        """The product rule for P = p Q p with p a projection (p* p = p): law(p) ⊠ law(Q)."""
        LL = NCPoly([((l,), 1)])
        Gl = self._gfun()
        law_l = self.reduce(LL, Gl)
        law = _product(law_l, law_q)
        rel, S, Ws = self._product_relation(G, Gl, Gq)
        self._bind_product(Ws, law_l, law_q)
        self._step("product", P, f"free_multiplicative(law({LL}), law({_short(Q, 40)}))",
                   [rel],
                   "tau((p Q p)^n) = tau((Q p)^n), p* p = p; Voiculescu 1987: S-transforms "
                   "multiply", at=at)
        self.definitions.append((S, r"\text{S-transform of the product } p\,Q\,p"))
        return law

    def _step(self, rule, P, result, eqs, ref="", at=None):
        """Record a rule application; ``eqs`` holds sympy equations or Relations (an equation
        with the point its R- or S-transforms are evaluated at, see ``reduce.relations``)."""
        rels = tuple(e if isinstance(e, Relation) else Relation(e) for e in eqs)
        step = Step(rule, _short(P), result, tuple(r.eq for r in rels), ref, relations=rels)
        if at is None:
            self.steps.append(step)
        else:
            # insert before the steps of the pieces (top-down reading order)
            self.steps.insert(at, step)


def _two_factors(law_l: Law, law_q) -> Law:
    """law_l ⊠ law_q as a two-factor law (law_q may be Lazy): its subordination points start
    the S-transform inversions of the product rule's residual."""
    return FreeMultiplicative(law_l, law_q() if isinstance(law_q, Lazy) else law_q)


class _SumOmega:
    """(point, dps) -> omega_i, the subordination function of piece i of the left fold
    prefix[-1] = ((l_0 ⊞ l_1) ⊞ ...) ⊞ l_n: the right argument's omega at its own level,
    composed with the left arguments' omegas of the levels above."""

    __slots__ = ("prefix", "i")

    def __init__(self, prefix: tuple, i: int):
        self.prefix, self.i = prefix, i

    def __call__(self, pt, dps):
        prefix = self.prefix
        for j in range(len(prefix) - 1, 0, -1):
            o_left, o_right = prefix[j]._unknowns_mp(pt, dps)["omega"]
            if j == self.i:
                return o_right
            pt = o_left
        return pt

    def __getstate__(self):
        return (self.prefix, self.i)

    def __setstate__(self, state):
        self.prefix, self.i = state


def _factors(law) -> list:
    if isinstance(law, FreeProduct):
        return list(law.args[0])
    if isinstance(law, FreeMultiplicative):
        return _factors(law.args[0]) + _factors(law.args[1])
    return [(law, 1)]


def _product_run(outer: list, inner: Law) -> Law:
    """l_1 ⊠ (l_2 ⊠ (... ⊠ inner)) for the laws ``outer`` listed from the inside out, flattened
    once (building it level by level would copy a growing factor list: O(L^2))."""
    if not outer:
        return inner
    return _from_factors([f for law in reversed(outer) for f in _factors(law)] + _factors(inner))


def _from_factors(fs: list) -> Law:
    """⊠ of (law, multiplicity) factors; point masses delta_a (e.g. W W^T = sigma^2 for
    orthogonal layers) only scale: delta_a ⊠ mu = law of a X (S_{delta_a} = 1/a)."""
    scale = sp.S.One
    rest = []
    for law, k in fs:
        if isinstance(law, Discrete) and len(law.atoms()) == 1:
            scale *= law.atoms()[0].location ** k
        else:
            rest.append((law, k))
    if not rest:
        return dirac(scale)
    if len(rest) == 1 and rest[0][1] == 1:
        core = rest[0][0]
    elif len(rest) == 2 and rest[0][1] == rest[1][1] == 1:
        core = free_multiplicative(rest[0][0], rest[1][0])
    else:
        core = FreeProduct(rest)
    return core if scale == 1 else affine(core, scale, 0)


def _product(a: Law, b: Law) -> Law:
    """a ⊠ b, flattened: chains of ⊠ (the layered Jacobian) become one FreeProduct whose
    Newton system has one unknown per distinct factor, whatever the depth."""
    return _from_factors(_factors(a) + _factors(b))


def power_law(g, k: int):
    """Law of g^k for a self-adjoint generator g with a discrete (or Bernoulli) law, a law
    with a ``power`` method, or an activation derivative; None when no rule gives it.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> p = fa.projection("p", sp.Rational(1, 3))
    >>> (g,) = p.generators
    >>> power_law(g, 2)                                # p^2 = p
    bernoulli(t=1/3)
    """
    law = g.law()
    if g.kind == "projection":
        return law
    if isinstance(law, Discrete):
        pts = [a.location ** k for a in law.atoms()]
        ws = [a.mass for a in law.atoms()]
        out = discrete(pts, ws)
        if len(out.atoms()) <= 2 and {a.location for a in out.atoms()} <= {0, 1}:
            masses = {a.location: a.mass for a in out.atoms()}
            return bernoulli(masses.get(sp.S.One, 0))
        return out
    power = getattr(law, "power", None)
    if callable(power):
        return power(k)
    if g.kind == "activation" and len(g.params) == 3:
        # D = diag(phi'(h)): D^k = diag(phi'(h)^k), the pushforward of (phi')^k
        _, dphi, var = g.params
        if isinstance(dphi, sp.Lambda):
            (hv,) = dphi.variables
            return gaussian_pushforward(sp.Lambda(hv, dphi.expr**k), var)
        return gaussian_pushforward(lambda h, f=dphi: f(h) ** k, var)
    return None


def compile_expr(expr: Any, method: str | None = None) -> System:
    """Compile a self-adjoint polynomial into a System (see the module docstring).

    The System holds the law of ``expr`` (with respect to the normalised trace) as a tree of
    laws, the equations that determine its Cauchy transform G(z), and the rewriting steps
    that produced them (``system.steps``, printable with ``system.to_tex()``). Nothing is
    solved numerically here: :func:`freealg.spectrum` does that.

    Parameters
    ----------
    expr : NCPoly or number
        A self-adjoint polynomial in freealg generators; a number is a constant polynomial.
        Coefficients and law parameters may be symbols (they stay symbolic in the System).
    method : {None, 'rules', 'linearization'}, optional
        None (default) tries the structural rules (free sums and products, compressions,
        known closed forms) and falls back to the automatic linearization with
        operator-valued subordination (``freealg.reduce.linearize``) when no rule applies;
        ``'rules'`` uses the rules only; ``'linearization'`` forces the linearization path.

    Returns
    -------
    System
        The compiled system; ``system.law`` is the law of ``expr``.

    Raises
    ------
    InvalidParameterError
        If expr is not a freealg polynomial or a number, is not self-adjoint (for singular
        values pass ``a * a.H``), two different generators share a name, or method is
        unknown.
    SizeLimitError
        If the linearization would not fit in memory (a subclass of InvalidParameterError).
    ReductionError
        If ``method='rules'`` and no rule reduces expr.

    See Also
    --------
    freealg.spectrum : compile and solve.
    freealg.linearize : the linear pencil of the linearization path.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y", 2)
    >>> s = fa.compile(x + y)
    >>> s.law.moments(2)
    [0, 3]
    >>> fa.compile(x*y + y*x).steps[0].rule          # no rule applies: linearization
    'linearization'
    >>> fa.compile(x*y + y*x, method="rules")
    Traceback (most recent call last):
    ...
    freealg.errors.ReductionError: no rule reduces x*y + y*x; tried: ...
    """
    if method not in (None, "rules", "linearization"):
        raise InvalidParameterError("method", method, "choose None (rules, then linearization), "
                                    "'rules' or 'linearization'")
    if not isinstance(expr, NCPoly):
        if isinstance(expr, (int, float, sp.Expr)):
            expr = NCPoly.constant(expr)
        else:
            raise InvalidParameterError("expr", expr, "compile needs a freealg polynomial (build "
                                        "it from fa.semicircular, fa.projection, ...)")
    check_names(expr)
    if is_shaped(expr):
        # shaped generators, or deterministic ones (U S W^T with Haar U, W): the law on the
        # expression's own block (reduce.rectangular, registered when freealg.reduce is
        # imported)
        assert _SHAPED_COMPILER is not None, "freealg.reduce.rectangular is not imported"
        return _SHAPED_COMPILER(expr, method)
    if not expr.is_selfadjoint:
        raise InvalidParameterError("expr", expr, "is not self-adjoint; its spectrum is not a law "
                                    "on the real line. For singular values pass a * a.H")
    if method == "linearization":
        return linearization_system(expr)
    c = _Compiler()
    G = sp.Function("G")
    # the rules recurse once per peeled factor: deep products (Jacobians of depth 1000) need
    # a deeper stack than Python's default
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20 * expr.degree + 2000))
    try:
        law = c.reduce(expr, G)
    except ReductionError:
        if method == "rules":
            raise
        return linearization_system(expr)
    finally:
        sys.setrecursionlimit(limit)
    return System(z=_z, target=sp.Symbol("G"), unknowns=tuple([G] + c.unknowns),
                  equations=tuple(eq for st in c.steps for eq in st.equations),
                  definitions=tuple(c.definitions),
                  steps=tuple(c.steps), law=law, expr=expr,
                  asymptotics=(_eq(sp.Symbol("G"), 1 / _z),),
                  numeric=tuple(c.numeric.values()) + (Unknown(sp.Symbol("G"), "cauchy", law),))


#: the compiler of rectangular models (set by freealg.reduce.rectangular at import)
_SHAPED_COMPILER: Any = None


def register_shaped_compiler(fn: Any) -> None:
    """Set the compiler :func:`compile_expr` hands expressions in shaped generators to.

    Examples
    --------
    >>> from freealg.reduce import rules, rectangular
    >>> rules._SHAPED_COMPILER is rectangular.compile_rectangular
    True
    """
    global _SHAPED_COMPILER
    _SHAPED_COMPILER = fn


_power_law = power_law  # the former private name (freealg.nn.mlp still imports it)
_register_compiler(compile_expr)
