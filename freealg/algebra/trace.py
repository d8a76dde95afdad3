"""Exact normalised trace of polynomials in free generators.

tau(a_1 ... a_n) = sum over non-crossing partitions pi of prod_{B in pi} kappa_B, and mixed free
cumulants vanish (Speicher 1994; Nica-Speicher Lectures 11, 14), so only partitions whose
blocks stay inside one free family contribute.

Cumulants inside a family:

* semicircular of variance v: kappa_2 = v, all others 0;
* circular of variance v: kappa_2(c, c*) = kappa_2(c*, c) = v, all others 0 (NS Lecture 11);
* Haar unitary (and Haar orthogonal, its large-N limit): only alternating words of even length
  2n, kappa_2n(u, u*, ..., u, u*) = (-1)^(n-1) Catalan(n-1) (NS Proposition 15.1); a Haar
  generator with a parameter s is the formal lift of a Haar letter of a model with several block
  dimensions (freealg.algebra.haar_blocks): the same cumulants times s^(1 - 2n), and no
  cyclic cancellation u X u* -> X;
* a self-adjoint generator with law mu (projections: bernoulli(t)): kappa_n(mu);
* a commuting family (classically independent diagonal matrices): the joint moments
  tau(prod_g g^(k_g)) = prod_g m_(k_g)(g); this family is summed on the *moment* side (below).

Algorithm: an interval dynamic programme over the positions of a word w_0 ... w_(n-1).
Let M[i][j] = tau(w_i ... w_(j-1)). The block B of an NC partition that contains position i cuts
(i, j) into contiguous gaps, and blocks never cross B, so

    M[i][j] = sum_{B = {i = b_1 < ... < b_k} same family} kappa(w_B)
                  * M[b_1+1][b_2] ... M[b_(k-1)+1][b_k] * M[b_k+1][j].

The block is built one element at a time: H_k(b, j) = kappa_k M[b+1][j] + sum_(b' > b)
M[b+1][b'] H_(k+1)(b', j), M[i][j] = H_1(i, j). For a single generator the cumulant of a block
depends only on its size (semicircular, self-adjoint laws, projections) or on its size and
the alternation of stars (circular, Haar; the star of the last element is that of its position),
so the state (k, last position) suffices: O(n^2 m^2) operations for a word of length n with at
most m letters of one generator.

Commuting families are summed on the moment side instead, as in the Kreweras-complement formula
tau(a_1 b_1 ... a_n b_n) = sum_pi kappa_pi[a] tau_K(pi)[b] (NS Lecture 14) with the roles of
cumulants and moments exchanged. For a commuting family F, group the NC partitions of
w_i ... w_(j-1) by the set V of F-positions that no block of another family encloses (the
*uncovered* ones): the F-blocks on V form an arbitrary NC partition of V, so summing them gives
the moment tau_F(w_V) = prod_g m_(k_g)(g) (moment-cumulant formula, Speicher 1994); every other
block lies in a gap between consecutive elements of V, and each gap is a subword all of whose
F-letters are covered. With C_F[i][j] = the sum over the partitions of w_i ... w_(j-1) whose
F-letters are all covered:

* w_i in F (uncovered, so i is in V): M[i][j] = sum_(V = {i < v_2 < ...}) tau_F(w_V)
  C_F[i+1][v_2] ... C_F[v_k+1][j], built one element at a time with the state (exponent vector
  of the monomial so far, last position); C_F[i][j] = 0;
* otherwise: C_F[i][j] = M[i][j] - sum_(v >= i in F) C_F[i][v] M[v][j] (split off the first
  uncovered F-letter v).

Consecutive letters of one commuting family are first merged into one monomial. The cost is
polynomial in the word length for a fixed number of generators per family: the exponent vectors
of a family of r generators number at most (n+1)^r, so a family costs O(n^3 (n+1)^r) in the worst
case and far less when the gaps vanish (e.g. between Haar layers), plus one table C_F per family.

Words are canonicalised before the programme runs: cyclically reduced (tau(p X p) = tau(p X),
tau(u X u*) = tau(X)) and rotated to a minimal rotation (traciality), so equal traces share one
cache entry; a word is 0 at once when a gauge symmetry forbids it (u -> e^(i theta) u for Haar
unitaries and circulars, x -> -x for semicirculars). The words of one polynomial are evaluated
together along a trie: the columns M[.][j] depend only on the prefix w_0 ... w_(j-1), so words with
a common prefix share them; intervals whose letters of other generators violate a gauge symmetry
are skipped (they vanish). Arithmetic is exact: when every cumulant involved is rational the
programme runs on Python integers (each generator's table kappa_k c^k with the least integer scale
c, the word's trace being the final integer over the product of its letters' scales, returned as a
Fraction); otherwise on elements of a sympy polynomial / fraction-field domain (symbolic parameters
such as the trace t of a projection). Results are sympy numbers or expressions.
"""

from __future__ import annotations

from bisect import bisect_right
from fractions import Fraction
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .generators import Letter

__all__ = ["trace", "word_trace"]

_CUM, _MOM = 0, 1
_SHIFT = 24                       # bits per generator in a packed exponent vector
_MASK = (1 << _SHIFT) - 1
_FAMILY_KINDS = ("projection", "selfadjoint", "activation")


def _as_frac(v):
    """An exact sympy/python rational as int or Fraction (for the rational fast path)."""
    if isinstance(v, int):
        return v
    v = sp.sympify(v)
    p, q = int(v.p), int(v.q)
    return p if q == 1 else Fraction(p, q)


def _to_sympy(v):
    if isinstance(v, (int, Fraction)):
        return sp.Rational(v.numerator, v.denominator)
    return v


_BERNOULLI: list = [[0, 1]]     # kappa_(n+1) of bernoulli(t): integer coefficients in t


def _projection_cumulants(t, N: int) -> list:
    """[kappa_1, ..., kappa_N] of bernoulli(t): R(w) = sum kappa_(n+1) w^n solves
    w R^2 + (1 - w) R - t = 0 (the R-transform of a projection, Nica-Speicher 2006), so
    r_0 = t, r_n = r_(n-1) - sum_(i+j=n-1) r_i r_j; universal integer polynomials in t."""
    R = _BERNOULLI
    while len(R) < N:
        n = len(R)
        nxt = list(R[n - 1]) + [0] * n
        for i in range(n):
            a, b = R[i], R[n - 1 - i]
            for x, ca in enumerate(a):
                if ca:
                    for y, cb in enumerate(b):
                        nxt[x + y] -= ca * cb
        while nxt and not nxt[-1]:
            nxt.pop()
        R.append(nxt)
    t = sp.sympify(t)
    if t.is_Rational:
        tf = _as_frac(t)
        out = []
        for c in R[:N]:
            v = 0
            for ck in reversed(c):
                v = v * tf + ck
            out.append(sp.Rational(v.numerator, v.denominator))
        return out
    return [sp.Add(*[ck * t**k for k, ck in enumerate(c) if ck]) for c in R[:N]]


def _cumulants_from_rational_moments(m: list) -> list:
    """[kappa_1, ..., kappa_N] from exact rational moments [1, m_1, ..., m_N] (int/Fraction):
    m_n = sum_(s=1)^n kappa_s [z^(n-s)] M(z)^s (Speicher 1994), with the
    powers M^s computed once, O(N^3)."""
    N = len(m) - 1
    powers: list[Any] = [None, m[:N + 1]]             # powers[s] = M^s up to z^(N-s)
    for s in range(2, N + 1):
        prev, top = powers[-1], N - s
        powers.append([sum(prev[i] * m[d - i] for i in range(d + 1)) for d in range(top + 1)])
    kappa = [0] * (N + 1)
    for n in range(1, N + 1):
        kappa[n] = m[n] - sum(kappa[s] * powers[s][n - s] for s in range(1, n))
    return kappa[1:]


def _integer_scale(values) -> int:
    """The least c >= 1 with values[k-1] * c^k an integer for every k (rationals)."""
    need: dict = {}
    for k, v in enumerate(values, 1):
        q = v.denominator if isinstance(v, Fraction) else 1
        if q != 1:
            # bounded effort: a composite left over is used as if prime (still a valid scale)
            for p, e in sp.factorint(q, limit=10**5).items():
                need[p] = max(need.get(p, 0), -(-e // k))
    c = 1
    for p, e in need.items():
        c *= p**e
    return c


class _RationalDomain:
    zero = 0
    one = 1
    rational = True

    @staticmethod
    def conv(v):
        return _as_frac(v)

    @staticmethod
    def out(x):
        return x if isinstance(x, Fraction) else int(x)


class _SympyDomain:
    rational = False

    def __init__(self, values):
        from sympy.polys.constructor import construct_domain
        from sympy.polys.polyerrors import BasePolynomialError

        values = [sp.sympify(v) for v in values] or [sp.S.One]
        try:
            K, _ = construct_domain(values, extension=True)
        except (BasePolynomialError, NotImplementedError):  # pragma: no cover
            K = sp.EX
        self.K = K
        self.zero = K.zero
        self.one = K.one

    def conv(self, v):
        return self.K.from_sympy(sp.sympify(v))

    def out(self, x):
        v = self.K.to_sympy(x)
        if v.is_Rational:
            return _as_frac(v)
        return sp.expand(v)


class _Tracer:
    """Interned letters/tokens, per-generator cumulants and moments, and the bounded cache of
    word traces. One shared instance: generators are immutable values, so results stay valid
    (everything is cleared together when the cache grows past ``_LIMIT`` entries)."""

    _LIMIT = 100_000

    def __init__(self):
        self.clear()

    def clear(self):
        self.letters: dict = {}       # id(Letter) -> (Letter, info)
        self.gens: list = []          # generator index -> Generator
        self.gen_index: dict = {}
        self.fams: list = []          # family index -> list of member generator indices
        self.fam_index: dict = {}     # tag -> family index
        self.fam_member: list = []    # family index -> {generator index: member slot}
        self.tok_index: dict = {}     # token key -> token id
        self.tok_kind: list = []
        self.tok_gen: list = []       # generator index (free letter) or family index
        self.tok_star: list = []
        self.tok_e: list = []         # packed exponent vector (family monomial)
        self.tok_charge: list = []    # gauge charge: None, (generator, +-1) or (generator, 0)
        self.values: dict = {}        # generator index -> sympy values, index 1..N
        self.domains: dict = {}       # generators and table lengths -> sympy domain
        self.results: dict = {(): 1}  # canonical word -> int/Fraction or sympy expression

    def trim(self):
        if max(len(self.results), len(self.tok_kind), len(self.letters)) > self._LIMIT:
            self.clear()

    # interning ------------------------------------------------------------------------------
    def _gen(self, g) -> int:
        i = self.gen_index.get(g)
        if i is None:
            i = self.gen_index[g] = len(self.gens)
            self.gens.append(g)
        return i

    def _token(self, key) -> int:
        t = self.tok_index.get(key)
        if t is None:
            t = self.tok_index[key] = len(self.tok_kind)
            kind, gi, star, e = key
            self.tok_kind.append(kind)
            self.tok_gen.append(gi)
            self.tok_star.append(star)
            self.tok_e.append(e)
            charge = None
            if kind == _CUM:
                gk = self.gens[gi].kind
                if gk == "semicircular":
                    charge = (gi, 0)                      # x -> -x: parity
                elif gk in ("circular", "haar_unitary", "haar_orthogonal"):
                    charge = (gi, 1 if star else -1)      # u -> e^(i theta) u
            self.tok_charge.append(charge)
        return t

    def _letter(self, L: Letter):
        hit = self.letters.get(id(L))
        if hit is not None and hit[0] is L:
            return hit[1]
        g = L.gen
        gi = self._gen(g)
        if g.family:
            if g.kind not in _FAMILY_KINDS:
                raise InvalidParameterError("family", g.family, "commuting families may contain "
                                            "self-adjoint diagonal generators only (selfadjoint, "
                                            "activation, projection)")
            f = self.fam_index.get(g.family)
            if f is None:
                f = self.fam_index[g.family] = len(self.fams)
                self.fams.append([])
                self.fam_member.append({})
            slot = self.fam_member[f].get(gi)
            if slot is None:
                slot = self.fam_member[f][gi] = len(self.fams[f])
                self.fams[f].append(gi)
            info: tuple = (_MOM, f, 1 << (_SHIFT * slot))
        else:
            star = bool(L.star) and not g.is_selfadjoint
            info = (_CUM, self._token((_CUM, gi, star, 0)))
        # keeping L alive in the table guarantees that its id is not reused
        self.letters[id(L)] = (L, info)
        return info

    def _mom_token(self, f, e) -> int:
        return self._token((_MOM, f, False, e))

    def tokens(self, word) -> list:
        """Letters -> tokens; runs of one commuting family are merged into one monomial."""
        out = []
        run_f, run_e = -1, 0
        letters = self.letters
        for L in word:
            hit = letters.get(id(L))
            info = hit[1] if hit is not None and hit[0] is L else self._letter(L)
            if info[0] == _MOM:
                if info[1] == run_f:
                    run_e += info[2]
                    continue
                if run_f >= 0:
                    out.append(self._mom_token(run_f, run_e))
                run_f, run_e = info[1], info[2]
            else:
                if run_f >= 0:
                    out.append(self._mom_token(run_f, run_e))
                    run_f = -1
                out.append(info[1])
        if run_f >= 0:
            out.append(self._mom_token(run_f, run_e))
        return out

    def canonical(self, word):
        """Canonical token tuple with the trace of ``word``, or None when it is surely 0."""
        w = self.tokens(word)
        kind, tgen, tstar, te = self.tok_kind, self.tok_gen, self.tok_star, self.tok_e
        gens = self.gens
        while len(w) >= 2:                       # cyclic reduction (traciality)
            x, y = w[0], w[-1]
            if tgen[x] != tgen[y] or kind[x] != kind[y]:
                break
            if kind[x] == _MOM:
                w[0] = self._mom_token(tgen[x], te[x] + te[y])
                w.pop()
                continue
            g = gens[tgen[x]]
            if g.kind == "projection":
                w.pop()
                continue
            if g.is_unitary and not g.params and tstar[x] != tstar[y]:
                w.pop()
                w.pop(0)
                continue
            break
        # gauge symmetries: u -> e^(i theta) u (Haar, circular), x -> -x (semicircular)
        bal: dict = {}
        charges = self.tok_charge
        for t in w:
            ch = charges[t]
            if ch is not None:
                gi, d = ch
                bal[gi] = bal.get(gi, 0) + d if d else bal.get(gi, 0) ^ 1
        if any(bal.values()):
            return None
        t = tuple(w)
        if len(t) > 1:                           # least rotation (traciality)
            m = min(t)
            t = min(t[i:] + t[:i] for i, x in enumerate(t) if x == m)
        return t

    # cumulants and moments -----------------------------------------------------------------
    def gen_values(self, gi: int, N: int) -> list:
        """[None, v_1, ..., v_N] (sympy or int): free cumulants of a free generator, moments of
        a member of a commuting family."""
        have = self.values.get(gi)
        if have is not None and len(have) > N:
            return have
        g = self.gens[gi]
        # grow geometrically, so that words of increasing length cost O(N) law evaluations
        N = max(N, 4, 2 * (len(have) - 1) if have is not None else 0)
        if g.family:
            vals = [None] + list(g.law().moments(N))
        elif g.kind in ("semicircular", "circular"):
            vals = [None, sp.S.Zero, g.params[0]]
        elif g.kind in ("haar_unitary", "haar_orthogonal") and g.params:
            # the formal lift of a Haar letter in a model with several block dimensions
            from .haar_blocks import formal_haar_cumulant

            vals = [None] + [formal_haar_cumulant(k, g.params[0]) for k in range(1, N + 1)]
        elif g.kind in ("haar_unitary", "haar_orthogonal"):
            vals = [None]
            for k in range(1, N + 1):
                if k % 2:
                    vals.append(0)
                else:
                    m = k // 2
                    vals.append((-1) ** (m - 1) * int(sp.catalan(m - 1)))
        elif g.kind == "projection":
            vals = [None] + _projection_cumulants(g.params[0], N)
        else:
            vals = [None] + self._law_cumulants(g.law(), N)
        if have is None or len(vals) > len(have):
            self.values[gi] = vals
        return self.values[gi]

    @staticmethod
    def _law_cumulants(law, N: int) -> list:
        """Free cumulants of a law: closed form for Bernoulli laws, a fast exact inversion of
        rational moments, else the law's own (symbolic) free_cumulants."""
        from ..laws.catalog import Bernoulli
        from .blocks import FormalCumulants

        if isinstance(law, FormalCumulants):
            return law.free_cumulants(N)
        if isinstance(law, Bernoulli):
            return _projection_cumulants(law.args[0], N)
        moms = [sp.sympify(v) for v in law.moments(N)]
        if all(v.is_Rational for v in moms):
            kap = _cumulants_from_rational_moments([1] + [_as_frac(v) for v in moms])
            return [sp.Rational(k.numerator, k.denominator) for k in kap]
        return list(law.free_cumulants(N))

    # evaluation ------------------------------------------------------------------------------
    def compute(self, words) -> None:
        """Evaluate the canonical words not yet cached and store their traces."""
        words = [w for w in set(words) if w not in self.results]
        if words:
            self.results.update(self.evaluate(words))

    def evaluate(self, words) -> dict:
        """Traces (int, Fraction or sympy) of token words, grouped by arithmetic domain and by
        the commuting families they contain, each group evaluated along one trie."""
        out: dict = {}
        kind, tgen, te = self.tok_kind, self.tok_gen, self.tok_e
        need: dict = {}
        for w in words:
            cnt: dict = {}
            for t in w:
                if kind[t] == _CUM:
                    cnt[tgen[t]] = cnt.get(tgen[t], 0) + 1
                else:
                    members = self.fams[tgen[t]]
                    e = te[t]
                    for slot, gi in enumerate(members):
                        k = (e >> (_SHIFT * slot)) & _MASK
                        if k:
                            cnt[gi] = cnt.get(gi, 0) + k
            for gi, k in cnt.items():
                if need.get(gi, 0) < k:
                    need[gi] = k
        rational = {}
        for gi, N in need.items():
            vals = self.gen_values(gi, N)
            rational[gi] = all(isinstance(v, int) or sp.sympify(v).is_Rational
                               for v in vals[1:])
        groups: dict = {}
        for w in words:
            gis = set()
            fams = set()
            for t in w:
                if kind[t] == _CUM:
                    gis.add(tgen[t])
                else:
                    fams.add(tgen[t])
                    gis.update(gi for slot, gi in enumerate(self.fams[tgen[t]])
                               if (te[t] >> (_SHIFT * slot)) & _MASK)
            rat = all(rational[gi] for gi in gis)
            key = (rat, tuple(sorted(fams)))
            grp = groups.setdefault(key, ([], set()))
            grp[0].append(w)
            grp[1].update(gis)
        for (rat, fams), (ws, gis) in groups.items():
            dom: Any
            if rat:
                dom = _RationalDomain
            else:
                dkey = tuple((gi, len(self.values[gi])) for gi in sorted(gis))
                dom = self.domains.get(dkey)
                if dom is None:
                    dom = _SympyDomain([v for gi in gis for v in self.values[gi][1:]])
                    self.domains[dkey] = dom
            res = self._evaluate(ws, dom, fams, {gi: need[gi] for gi in gis})
            for w, v in res.items():
                out[w] = dom.out(v)
        return out

    def word_value(self, word):
        key = self.canonical(word)
        if key is None:
            return 0
        self.compute([key])
        return self.results[key]

    def _evaluate(self, words, dom, fams, need) -> dict:
        """The interval programme (module docstring) along the trie of ``words``."""
        zero, one, conv = dom.zero, dom.one, dom.conv
        # per-generator tables in the domain; rational tables are scaled to integers:
        # kappa_k c^k (or m_k c^k) is an integer for the scale c of the generator, so the
        # programme runs on Python ints and a word's trace is divided by prod(letter scales)
        kap: dict = {}
        alt: dict = {}
        mvals: dict = {}
        scale: dict = {}
        for gi, N in need.items():
            g = self.gens[gi]
            vals = self.values[gi]
            top = N if g.family or g.kind not in ("semicircular", "circular") else 2
            table = [conv(v) for v in vals[1:top + 1]]
            c = _integer_scale(table) if dom.rational else 1
            if c != 1:
                table = [int(v * c**k) for k, v in enumerate(table, 1)]
            scale[gi] = c
            if g.family:
                mvals[gi] = [one] + table
            else:
                kap[gi] = [zero] + table
                alt[gi] = g.kind in ("circular", "haar_unitary", "haar_orthogonal")
        slot = {f: i + 1 for i, f in enumerate(fams)}   # cols[j][slot[f]] = C_f column
        moments: dict = {f: {} for f in fams}
        from .blocks import BLOCK_FAMILY

        blocks = {f for f in fams if self.gens[self.fams[f][0]].family == BLOCK_FAMILY}

        def mom(f, e):
            tab = moments[f]
            v = tab.get(e)
            if v is None:
                if f in blocks and sum(1 for s in range(len(self.fams[f]))
                                       if (e >> (_SHIFT * s)) & _MASK) > 1:
                    tab[e] = zero       # orthogonal block projections: P_i P_j = 0
                    return zero
                v = one
                for s, gi in enumerate(self.fams[f]):
                    k = (e >> (_SHIFT * s)) & _MASK
                    if k:
                        v = v * mvals[gi][k]
                tab[e] = v
            return v

        # gauge charges: #u* - #u (Haar, circular), #x mod 2 (semicircular); an interval whose
        # letters of other generators do not balance has M = C_f = H = E = 0
        gauge: dict = {}
        for gi in need:
            kd = self.gens[gi].kind
            if kd in ("semicircular", "circular", "haar_unitary", "haar_orthogonal"):
                gauge[gi] = (len(gauge), kd == "semicircular")
        ctx = _Context(self, kap, alt, mom, slot, zero, one, gauge)
        out: dict = {}
        prev: tuple = ()
        for w in sorted(words):
            lcp = 0
            m = min(len(prev), len(w))
            while lcp < m and prev[lcp] == w[lcp]:
                lcp += 1
            ctx.truncate(lcp)                       # backtrack in the trie
            for t in w[lcp:]:
                ctx.push(t)
            v = ctx.cols[len(w)][0][0]
            if dom.rational and v:
                den = 1
                for t in w:
                    if self.tok_kind[t] == _CUM:
                        den *= scale[self.tok_gen[t]]
                    else:
                        for s, gi in enumerate(self.fams[self.tok_gen[t]]):
                            k = (self.tok_e[t] >> (_SHIFT * s)) & _MASK
                            if k:
                                den *= scale[gi] ** k
                if den != 1:
                    v = Fraction(v, den)
            out[w] = v
            prev = w
        return out


class _Context:
    """State of the interval programme along one path of the trie: the prefix ``tok`` and, for
    every j <= len(tok), the column cols[j] = [M[.][j], C_f[.][j] for each family f]."""

    def __init__(self, tracer, kap, alt, mom, slot, zero, one, gauge):
        self.kind, self.tgen = tracer.tok_kind, tracer.tok_gen
        self.tstar, self.te = tracer.tok_star, tracer.tok_e
        self.kap, self.alt, self.mom, self.slot = kap, alt, mom, slot
        self.zero, self.one = zero, one
        self.tok: list = []
        self.cols: list = [[[one]] * (1 + len(slot))]
        self.reach: list = []       # reach[p] = exponent vectors of monomials ending at p
        self.rank: list = []        # index of position p in its generator's / family's list
        self.gpos: dict = {}        # generator -> positions; (generator, star) -> positions
        self.fpos: dict = {f: [] for f in slot}     # family -> positions
        self.gauge = gauge          # generator -> (charge slot, parity only)
        c0 = (0,) * len(gauge)
        self.charge: list = [c0]    # charge[j] = charges of the prefix of length j
        self.charge_wo: list = [[c0] * len(gauge)]   # ... with one slot set to 0

    def truncate(self, n):
        kind, tgen, tstar = self.kind, self.tgen, self.tstar
        while len(self.tok) > n:
            t = self.tok.pop()
            self.cols.pop()
            self.charge.pop()
            self.charge_wo.pop()
            self.reach.pop()
            self.rank.pop()
            if kind[t] == _CUM:
                self.gpos[tgen[t]].pop()
                self.gpos[(tgen[t], tstar[t])].pop()
            else:
                self.fpos[tgen[t]].pop()

    def push(self, t):
        """Append token t at position p = len(tok) and compute the column j = p + 1."""
        tok, cols = self.tok, self.cols
        p = len(tok)
        tok.append(t)
        c = self.charge[-1]
        gs = self.gauge.get(self.tgen[t]) if self.kind[t] == _CUM else None
        if gs is not None:
            c = list(c)
            if gs[1]:
                c[gs[0]] ^= 1
            else:
                c[gs[0]] += 1 if self.tstar[t] else -1
            c = tuple(c)
            self.charge_wo.append([c[:i] + (0,) + c[i + 1:] for i in range(len(c))])
        else:
            self.charge_wo.append(self.charge_wo[-1])
        self.charge.append(c)
        if self.kind[t] == _CUM:
            lst = self.gpos.setdefault(self.tgen[t], [])
            self.rank.append(len(lst))
            lst.append(p)
            self.gpos.setdefault((self.tgen[t], self.tstar[t]), []).append(p)
            self.reach.append(None)
        else:
            # exponent vectors of the monomials w_V, V = {.. < p} with covered gaps C_f != 0
            f = self.tgen[t]
            lst = self.fpos[f]
            self.rank.append(len(lst))
            u = self.te[t]
            cf = cols[p][self.slot[f]]
            reach = self.reach
            st = {u}
            for p0 in lst:
                if cf[p0 + 1]:
                    st.update([e + u for e in reach[p0]])
            reach.append(st)
            lst.append(p)
        cols.append(self._column(p + 1))

    def _column(self, j):
        """M[i][j] and C_f[i][j] for all i <= j (module docstring)."""
        kind, tgen, tstar, te = self.kind, self.tgen, self.tstar, self.te
        tok, cols, rank, reach = self.tok, self.cols, self.rank, self.reach
        zero, one, kap, mom = self.zero, self.one, self.kap, self.mom
        gpos, fpos = self.gpos, self.fpos
        fams = [(f, s, fpos[f]) for f, s in self.slot.items()]
        M = [zero] * j + [one]
        col = [M] + [[zero] * j + [one] for _ in fams]
        H: dict = {}        # H[b] = [_, H_1(b, j), H_2(b, j), ...]
        E: dict = {}        # E[b] = {exponent vector e: E(e, b, j)}
        charge, charge_wo, gauge = self.charge, self.charge_wo, self.gauge
        cj, cwj = charge[j], charge_wo[j]
        for a in range(j - 1, -1, -1):
            t = tok[a]
            a1 = a + 1
            if kind[t] == _CUM:
                gi = tgen[t]
                gs = gauge.get(gi)
                if (charge[a] != cj) if gs is None else (charge_wo[a][gs[0]] != cwj[gs[0]]):
                    H[a] = ()       # unbalanced outside the block's generator: all zero
                    continue
                kp = kap[gi]
                kmax = min(rank[a] + 1, len(kp) - 1)
                if self.alt[gi]:
                    lst = gpos.get((gi, not tstar[t]), ())
                    plist = lst[bisect_right(lst, a):]
                else:
                    plist = gpos[gi][rank[a] + 1:]
                nxt = M[a1]
                if nxt:
                    vals = [zero] + [kk * nxt if kk else zero for kk in kp[1:kmax + 1]]
                else:
                    vals = [zero] * (kmax + 1)
                for p in plist:
                    mg = cols[p][0][a1]
                    if not mg:
                        continue
                    hp = H[p]
                    for k in range(1, min(kmax, len(hp) - 2) + 1):
                        h = hp[k + 1]
                        if h:
                            vals[k] = vals[k] + mg * h
                H[a] = vals
                M[a] = vals[1]
                fa = -1
            else:
                if charge[a] != cj:
                    E[a] = None
                    continue
                fa = tgen[t]
                s = self.slot[fa]
                cf = col[s]
                nxt = cf[a1]
                gaps = []
                for p in fpos[fa][rank[a] + 1:]:
                    gp = cols[p][s][a1]
                    if gp and E[p] is not None:
                        gaps.append((E[p], te[tok[p]], gp))
                Ea = {}
                for e in reach[a]:
                    v = mom(fa, e) * nxt if nxt else zero
                    for Ep, up, gp in gaps:
                        v = v + gp * Ep[e + up]
                    Ea[e] = v
                E[a] = Ea
                M[a] = Ea[te[t]]
            # C_f[a][j] = M[a][j] - sum_{v in F positions, a <= v < j} C_f[a][v] M[v][j]
            ma = M[a]
            for f, s, lst in fams:
                if f == fa:
                    continue            # an uncovered letter of f: C_f[a][j] = 0
                v = ma
                for q in lst[bisect_right(lst, a - 1):]:
                    c = cols[q][s][a]
                    if c:
                        mq = M[q]
                        if mq:
                            v = v - c * mq
                col[s][a] = v
        return col


_SHARED = _Tracer()


def word_trace(word: tuple):
    """Exact trace of one word (a tuple of Letters; see the module docstring).

    Examples
    --------
    >>> import freealg as fa
    >>> x = fa.semicircular("x")
    >>> word_trace((x**4).terms[0][0])
    2
    """
    from .ncpoly import reduce_word

    _SHARED.trim()
    return _to_sympy(_SHARED.word_value(reduce_word(tuple(word))))


def _program_trace(word: tuple):
    """The interval programme on ``word`` exactly as given: no canonical rotation, no cyclic
    reduction, no cache (a check of the programme itself, e.g. of traciality)."""
    _SHARED.trim()
    toks = tuple(_SHARED.tokens(tuple(word)))
    if not toks:
        return sp.S.One
    return _to_sympy(_SHARED.evaluate([toks])[toks])


def trace(expr: Any):
    """Exact normalised trace tau(expr) of a polynomial in free generators.

    tau is the tracial state with tau(1) = 1 (the limit of (1/N) Tr for the random-matrix
    models). It is computed exactly from the free moment-cumulant formula: a sum over
    non-crossing partitions whose blocks stay inside one free family, mixed free cumulants
    vanishing (Speicher 1994; Nica-Speicher, Lectures 11 and 14). The generators of one
    commuting family are classically independent: their joint moments factor.

    Parameters
    ----------
    expr : NCPoly or number
        A polynomial in freealg generators, self-adjoint or not (tau(a) is defined for every
        a); coefficients and law parameters may be symbols. A number c gives c.

    Returns
    -------
    sympy.Expr
        tau(expr), exact: a sympy Rational when the coefficients and the generators' moments
        are rational, else an expanded sympy expression (complex in general when expr is not
        self-adjoint).

    Raises
    ------
    InvalidParameterError
        If expr is not a freealg polynomial or a number, or two different generators share a
        name (e.g. one declared commuting and one not).

    See Also
    --------
    freealg.spectrum : the whole distribution of a self-adjoint polynomial.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> fa.trace((x*y + y*x)**2)          # 2 tau(x^2)tau(y^2) = 2
    2
    >>> u = fa.haar_unitary("u")
    >>> fa.trace((u + u.H)**4)            # central binomial coefficient binom(4, 2)
    6
    >>> t = sp.Symbol("t")
    >>> p, q = fa.projection("p", t), fa.projection("q", sp.Rational(1, 2))
    >>> fa.trace(p*q*p)
    t/2
    """
    from .ncpoly import NCPoly

    if not isinstance(expr, NCPoly):
        if isinstance(expr, (int, float, sp.Expr)):
            return sp.sympify(expr)
        raise InvalidParameterError("expr", expr, "trace needs a freealg polynomial")
    check_names(expr)
    from .blocks import is_shaped, lower_shaped

    if is_shaped(expr):
        # a rectangular model: the trace on the expression's own block (see algebra.blocks;
        # Haar letters on several block dimensions: algebra.haar_blocks)
        from .haar_blocks import lower_shaped_haar, needs_haar_lowering

        if expr.shape[0] == expr.shape[1] and needs_haar_lowering(expr):
            square, t = lower_shaped_haar(expr)
        else:
            square, t = lower_shaped(expr)
        return sp.expand(trace(square) / t)
    _SHARED.trim()
    terms = expr.terms
    keys = [_SHARED.canonical(w) for w, _ in terms]
    _SHARED.compute([k for k in keys if k is not None])
    results = _SHARED.results
    exact = Fraction(0)
    rest = []
    for key, (_, c) in zip(keys, terms):
        if key is None:
            continue
        v = results[key]
        if isinstance(v, (int, Fraction)) and c.is_Rational:
            exact += Fraction(int(c.p), int(c.q)) * v
        else:
            rest.append(c * _to_sympy(v))
    out = sp.Rational(exact.numerator, exact.denominator)
    if rest:
        out = sp.expand(sp.Add(out, *rest))
    return out


def check_names(expr) -> None:
    """Refuse two different generators with one name (e.g. one declared commuting and one not).

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.algebra.trace import check_names
    >>> x = fa.semicircular("x")
    >>> check_names(x * x + x)            # one generator named x: fine
    >>> check_names(x + fa.semicircular("x", 2))
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid expr=...: two different generators ...
    """
    letters = {id(L): L for w, _ in expr.terms for L in w}     # dedupe without hashing Letters
    seen: dict = {}
    for L in letters.values():
        g = L.gen
        h = seen.get(g.name)
        if h is None:
            seen[g.name] = g
        elif h is not g and h != g:
            raise InvalidParameterError("expr", expr, f"two different generators are named "
                                        f"{g.name!r} (e.g. one declared commuting and one not); "
                                        "use the generators returned by fa.commuting")


_check_names = check_names  # the name used before it was public
