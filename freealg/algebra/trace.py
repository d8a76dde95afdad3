"""Exact normalised trace of polynomials in free generators.

tau(a_1 ... a_n) = sum over non-crossing partitions pi of prod_{B in pi} kappa_B, and mixed free
cumulants vanish (Speicher 1994; Nica-Speicher Lectures 11, 14), so only partitions whose
blocks stay inside one free family contribute. The sum is organised by the block B of the first
letter: the gaps between consecutive elements of B are contiguous subwords, whose traces are
computed recursively and memoised:

    tau(w) = sum_{B containing position 0, letters of one family} kappa(w_B) prod_gaps tau(gap).

Cumulants inside a family:

* semicircular of variance v: kappa_2 = v, all others 0;
* circular of variance v: kappa_2(c, c*) = kappa_2(c*, c) = v, all others 0 (NS Lecture 11);
* Haar unitary (and Haar orthogonal, its large-N limit): only alternating words of even length
  2n, kappa_2n(u, u*, ..., u, u*) = (-1)^(n-1) Catalan(n-1) (NS Proposition 15.1);
* a self-adjoint generator with law mu (projections: bernoulli(t)): kappa_n(mu);
* a commuting family (classically independent diagonal matrices): cumulants from the joint
  moments tau(prod_g g^(k_g)) = prod_g m_(k_g)(g) by Moebius inversion.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .generators import Letter

__all__ = ["trace", "word_trace"]


def _family(L: Letter) -> str:
    return L.gen.family or ("#" + L.gen.name)


class _Tracer:
    """Memoised traces and cumulants. One shared instance: words and generators are immutable
    values, so results stay valid (the caches are bounded by clearing when large)."""

    _LIMIT = 200_000

    def __init__(self):
        self.moments: dict = {}
        self.cumulants: dict = {}
        self.law_cumulants: dict = {}

    def trim(self):
        if len(self.moments) > self._LIMIT:
            self.moments.clear()
            self.cumulants.clear()

    # cumulants -----------------------------------------------------------------------------
    def _law_kappa(self, gen, n):
        key = (gen, n)
        if key not in self.law_cumulants:
            law = gen.law()
            self.law_cumulants[key] = law.free_cumulants(n)[n - 1]
        return self.law_cumulants[key]

    def kappa(self, letters: tuple):
        n = len(letters)
        gens = {L.gen for L in letters}
        if len(gens) > 1:
            return self._kappa_commuting(letters)
        g = letters[0].gen
        kind = g.kind
        if kind == "semicircular":
            return g.params[0] if n == 2 else sp.S.Zero
        if kind == "circular":
            return g.params[0] if n == 2 and letters[0].star != letters[1].star else sp.S.Zero
        if kind in ("haar_unitary", "haar_orthogonal"):
            if n % 2:
                return sp.S.Zero
            if any(letters[i].star == letters[i + 1].star for i in range(n - 1)):
                return sp.S.Zero
            m = n // 2
            return sp.S(-1) ** (m - 1) * sp.catalan(m - 1)
        return self._law_kappa(g, n)

    def _family_moment(self, letters: tuple):
        """Moment of a word inside one commuting family (independent classical variables)."""
        counts: dict = {}
        for L in letters:
            counts[L.gen] = counts.get(L.gen, 0) + 1
        out = sp.S.One
        for g, k in counts.items():
            if g.kind == "semicircular":
                # a semicircular generator cannot sit in a commuting family of diagonals
                raise InvalidParameterError("family", g.family, "commuting families may contain "
                                            "self-adjoint diagonal generators only")
            law = g.law()
            out *= law.moment(k)
        return out

    def _kappa_commuting(self, letters: tuple):
        if letters in self.cumulants:
            return self.cumulants[letters]
        # kappa(w) = m(w) - sum over blocks B of position 0 other than everything
        n = len(letters)
        total = self._family_moment(letters)
        for B in _subsets_with_zero(n):
            if len(B) == n:
                continue
            term = self._kappa_commuting(tuple(letters[i] for i in B))
            for a, b in _gaps(B, n):
                term *= self._family_moment(letters[a:b]) if b > a else 1
            total -= term
        total = sp.expand(total)
        self.cumulants[letters] = total
        return total

    # moments -------------------------------------------------------------------------------
    def moment(self, word: tuple):
        if not word:
            return sp.S.One
        if word in self.moments:
            return self.moments[word]
        fam0 = _family(word[0])
        same = [i for i in range(1, len(word)) if _family(word[i]) == fam0]
        terms = []
        # enumerate blocks {0} + S, S a subset of `same`, pruning where the cumulant is surely 0
        g0 = word[0].gen
        maxlen = 2 if g0.kind in ("semicircular", "circular") and not g0.family else len(word)
        for S in _subsets(same, maxlen - 1):
            B = (0,) + S
            letters = tuple(word[i] for i in B)
            k = self.kappa(letters)
            if k == 0:
                continue
            term = k
            for a, b in _gaps(B, len(word)):
                if b > a:
                    term *= self.moment(word[a:b])
                    if term == 0:
                        break
            terms.append(term)
        total = _simplify_sum(terms)
        self.moments[word] = total
        return total


def _simplify_sum(terms):
    total = sp.Add(*terms)
    return total if total.is_Number else sp.expand(total)


def _subsets(items, maxsize):
    """All subsets (as sorted tuples) of `items` with at most `maxsize` elements."""
    out = [()]
    for it in items:
        out += [s + (it,) for s in out if len(s) < maxsize]
    return out


def _subsets_with_zero(n):
    return [(0,) + s for s in _subsets(list(range(1, n)), n)]


def _gaps(B, n):
    """Contiguous gaps between consecutive block elements, and after the last one."""
    out = []
    for i in range(len(B)):
        a = B[i] + 1
        b = B[i + 1] if i + 1 < len(B) else n
        out.append((a, b))
    return out


_SHARED = _Tracer()


def word_trace(word: tuple):
    """Exact trace of one reduced word (see the module docstring)."""
    _SHARED.trim()
    return _SHARED.moment(tuple(word))


def trace(expr: Any):
    """Exact normalised trace tau(expr) of a polynomial in free generators (sympy).

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
    _check_names(expr)
    _SHARED.trim()
    return sp.expand(sp.Add(*[c * _SHARED.moment(w) for w, c in expr.terms]))


def _check_names(expr) -> None:
    seen: dict = {}
    for g in expr.generators:
        if g.name in seen and seen[g.name] != g:
            raise InvalidParameterError("expr", expr, f"two different generators are named "
                                        f"{g.name!r} (e.g. one declared commuting and one not); "
                                        "use the generators returned by fa.commuting")
        seen[g.name] = g
