"""Rectangular models as square ones: the exact trace of polynomials in shaped generators.

A model whose generators have shapes (p, q) (in units of N) lives on the blocks of distinct
dimensions d_1 < ... < d_k. Put the blocks side by side in one square space of size D N,
D = d_1 + ... + d_k, with the orthogonal block projections P_i (trace t_i = d_i / D). A (p, q)
letter becomes P_p Y P_q with Y free from the block algebra span{P_i} (Nica-Shlyakhtenko-Speicher
2002: elements free from, and with, the diagonal algebra D are free with amalgamation over D;
Benaych-Georges 2009 for the rectangular setting):

* a Gaussian (p, q) matrix with entries of variance v/N is the corner of a Ginibre matrix of
  size D N with the same entries: Y circular of variance v D;
* a square generator of block d with free cumulants kappa_n (on its own block) becomes Y with
  kappa_n(Y) = t^(1 - n) kappa_n, t = d / D, because compressing by a free projection of trace t
  multiplies the n-th free cumulant by t^(n - 1) (Nica-Speicher Theorem 14.10). Y is a formal
  element (its cumulant sequence need not be a measure's); only its moments enter the trace.

The normalised trace on the expression's own block r is then tau_r(P) = tau(lowered P) / t_r.
When all letters live on one block (d, d) no projection is needed: each generator is replaced by
its law on its own block (a Gaussian (d, d) of entry variance v/N is circular of variance v d).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from .generators import Generator, Letter

__all__ = ["lower_shaped", "is_shaped", "square_generator", "BLOCK_FAMILY", "FormalCumulants",
           "SymmetricSquareRoot", "expand_deterministic", "has_deterministic"]

#: the family tag of the block projections (mutually orthogonal: the trace treats a monomial
#: in two different blocks as 0)
BLOCK_FAMILY = "__blocks__"


def is_shaped(expr) -> bool:
    """Whether some generator of ``expr`` has a shape other than (1, 1) (or is a deterministic
    rectangular generator, which the lowering expands)."""
    return (any(g.shape != (1, 1) or g.kind == "deterministic" for g in expr.generators)
            or expr.shape != (1, 1))


def has_deterministic(expr) -> bool:
    """Whether ``expr`` has a deterministic (singular-value) generator."""
    return any(g.kind == "deterministic" for g in expr.generators)


# --- deterministic rectangular generators ---------------------------------------------------
# A deterministic (p, q) generator A with squared singular values of law mu (on its block
# m = min(p, q)) is, in the Haar-rotated convention of freealg.deterministic, A = U h W* with
# U a (p, m) and W a (q, m) Haar isometry (U* U = W* W = 1 on the m block, independent) and h
# a self-adjoint element of the m block with h^2 ~ mu. The sign of h does not matter (a sign
# commuting with h is absorbed by W), so h is taken symmetric: odd moments 0, tau(h^(2k)) =
# m_k(mu). Then A A* = U h^2 U* has law (1 - m/p) delta_0 + (m/p) mu on the p block.


@dataclass(frozen=True)
class SymmetricSquareRoot:
    """The symmetric law whose square is ``law``: moments m_(2k) = m_k(law), odd moments 0.

    A formal parameter of a self-adjoint generator for the exact trace (only moments and free
    cumulants are used).

    Examples
    --------
    >>> import freealg as fa
    >>> SymmetricSquareRoot(fa.free_poisson(1)).moments(4)        # semicircle: 0, 1, 0, 2
    [0, 1, 0, 2]
    >>> SymmetricSquareRoot(fa.free_poisson(1)).free_cumulants(4)
    [0, 1, 0, 0]
    """

    law: Any

    def moments(self, n: int) -> list:
        m = [sp.sympify(v) for v in self.law.moments(n // 2)] if n >= 2 else []
        return [m[(k + 1) // 2 - 1] if k % 2 == 0 else sp.S.Zero for k in range(1, n + 1)]

    def free_cumulants(self, n: int) -> list:
        from ..transforms.cumulants import free_cumulants_from_moments

        return [sp.expand(c) for c in free_cumulants_from_moments(self.moments(n))]

    def __hash__(self):
        return hash(("SymmetricSquareRoot", self.law))


def _factor_generators(g: Generator) -> tuple:
    """(U, h, W) of the deterministic generator g (names derived from g's, shapes (p, m),
    (m, m), (q, m))."""
    p, q = g.shape
    m = min(p, q)
    law = g.params[0]
    U = Generator(f"{g.name}.U", "haar_unitary", shape=(p, m))
    W = Generator(f"{g.name}.W", "haar_unitary", shape=(q, m))
    h = Generator(f"{g.name}.h", "selfadjoint", (SymmetricSquareRoot(law),), shape=(m, m))
    return U, h, W


def expand_deterministic(expr):
    """``expr`` with every deterministic letter A written as U h W* (A* as W h U*).

    Examples
    --------
    >>> import freealg as fa
    >>> A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    >>> expand_deterministic(A * A.H)                     # W* W = 1 on the 1 block
    A.U*A.h*A.h*A.U.H
    """
    from .ncpoly import NCPoly

    if not has_deterministic(expr):
        return expr
    sub: dict = {}
    for g in expr.generators:
        if g.kind == "deterministic":
            U, h, W = _factor_generators(g)
            sub[g] = ((Letter(U), Letter(h), Letter(W, True)),
                      (Letter(W), Letter(h), Letter(U, True)))
    terms = []
    for w, co in expr.terms:
        word: list = []
        for L in w:
            if L.gen in sub:
                word += sub[L.gen][1 if L.star else 0]
            else:
                word.append(L)
        terms.append((tuple(word), co))
    return NCPoly(terms, expr.shape)


@dataclass(frozen=True)
class FormalCumulants:
    """The formal self-adjoint element with free cumulants t^(1 - n) kappa_n(law)."""

    law: Any
    t: sp.Rational

    def free_cumulants(self, n: int) -> list:
        k = list(self.law.free_cumulants(n))
        return [sp.expand(c * self.t ** (1 - i)) for i, c in enumerate(k, 1)]

    def moments(self, n: int) -> list:
        kap = self.free_cumulants(n)
        # M(z) = 1 + sum_s kappa_s z^s M(z)^s (moment-cumulant relation, NS Lecture 16)
        m = [sp.S.One]
        for k in range(1, n + 1):
            # m_k = sum_s kappa_s [z^(k - s)] M(z)^s, with M known to order k - 1
            val = sp.S.Zero
            Ms = [sp.S.One] + [sp.S.Zero] * (k - 1)      # M^0 to order k - 1
            for s in range(1, k + 1):
                Ms = [sp.expand(sum(Ms[i] * m[j - i] for i in range(j + 1))) for j in range(k)]
                val += kap[s - 1] * Ms[k - s]
            m.append(sp.expand(val))
        return m[1:]

    def __hash__(self):
        return hash(("FormalCumulants", self.law, self.t))


def square_generator(g: Generator, t) -> Generator:
    """The square (1, 1) generator standing for ``g`` on its own block (t = 1) or its formal
    lift to the ambient space (t = d / D)."""
    d = g.shape[0]
    if g.kind == "deterministic":
        raise InvalidParameterError("expr", g.name, "a deterministic generator is expanded "
                                    "(freealg.algebra.blocks.expand_deterministic) before lowering")
    if g.kind == "circular":
        v = g.params[0] * (d if t == 1 else d / t)
        return Generator(g.name, "circular", (v,) + tuple(g.params[1:]))
    if g.kind == "semicircular":
        return Generator(g.name, "semicircular", (g.params[0] / t,))
    if g.kind in ("haar_unitary", "haar_orthogonal"):
        if t != 1:
            raise InvalidParameterError("expr", g.name, "the exact trace of Haar matrices in a "
                                        "model with several block dimensions is not implemented; "
                                        "use fa.sample, or fa.spectrum for u A u* and u* A u")
        return Generator(g.name, g.kind)
    if g.family and t != 1:
        raise InvalidParameterError("expr", g.name, "commuting families in a model with several "
                                    "block dimensions are not implemented")
    if t == 1:
        return Generator(g.name, g.kind, g.params, g.family)
    return Generator(g.name, "selfadjoint", (FormalCumulants(g.law(), t),))


def lower_shaped(expr):
    """(square polynomial, t): tau_block(expr) = trace(square polynomial) / t.

    Examples
    --------
    >>> import freealg as fa
    >>> X = fa.gaussian("X", shape=(1, 2))
    >>> P, t = lower_shaped(X.H * X)
    >>> t
    2/3
    """
    from .ncpoly import NCPoly

    expr = expand_deterministic(expr)
    r, c = expr.shape
    if r != c:
        from ..errors import ShapeError

        raise ShapeError("trace", (expr.shape,), "the trace of a non-square expression is not "
                         "defined; use X * X.H or X.H * X")
    gens = expr.generators
    if any(g.kind in ("haar_unitary", "haar_orthogonal") for g in gens) and len(
            {d for g in gens for d in g.shape} | {r}) > 1:
        try:        # Haar letters on several block dimensions (freealg.algebra.haar_blocks)
            from .haar_blocks import lower_shaped_haar
        except ImportError:     # pragma: no cover - the module ships with the package
            pass
        else:
            return lower_shaped_haar(expr)
    for g in gens:
        if g.kind in ("haar_unitary", "haar_orthogonal") and not g.is_square:
            dims_all = {d for h in gens for d in h.shape} | {r}
            if len(dims_all) > 1:
                raise InvalidParameterError("expr", expr, "the exact trace of a rectangular Haar "
                                            "isometry is not implemented; use fa.sample, or "
                                            "fa.spectrum for V A V* and V* A V")
    dims = sorted({d for g in gens for d in g.shape} | {r})
    if len(dims) == 1:
        sub = {g: square_generator(g, 1) for g in gens}
        terms = [(tuple(Letter(sub[L.gen], L.star) for L in w), co) for w, co in expr.terms]
        return NCPoly(terms), sp.S.One
    D = sum(dims)
    t = {d: d / D for d in dims}
    P = {d: Letter(Generator(f"__block_{d}", "projection", (t[d],), BLOCK_FAMILY))
         for d in dims}
    sub = {g: square_generator(g, t[g.shape[0]] if g.is_square else 1) for g in gens}
    for g in gens:
        if not g.is_square and g.kind == "circular":
            sub[g] = Generator(g.name, "circular", (g.params[0] * D,) + tuple(g.params[1:]))
    terms = []
    for w, co in expr.terms:
        if not w:
            terms.append(((P[r],), co))
            continue
        word = []
        for L in w:
            rows, cols = L.shape
            word += [P[rows], Letter(sub[L.gen], L.star), P[cols]]
        terms.append((tuple(word), co))
    return NCPoly(terms), t[r]
