"""Exact trace of rectangular models with Haar isometries on several block dimensions.

The lowering of :mod:`freealg.algebra.blocks` puts the blocks d_1 < ... < d_k side by side in one
square space of size D N (D = d_1 + ... + d_k) with orthogonal block projections P_i of trace
t_i = d_i / D, and writes a (p, q) letter as P_p Y P_q with Y free from span{P_i}. This module
adds Haar letters to it.

A (p, q) Haar isometry V with m = max(p, q) is a compression of a square Haar unitary W on the
m block: V = E W (p <= q, E the co-isometry keeping the first p N of the q N rows) or V = W E*
(p > q). W is the compression to the m block of an element Y free from the block algebra whose
*-free cumulants are those of a Haar unitary multiplied by s^(1 - n), s = t_m: compressing by a
free projection of trace s multiplies the n-th free cumulant by s^(n - 1) (Nica-Speicher,
Theorem 14.10), and the only nonzero *-cumulants of a Haar unitary are
kappa_2n(u, u*, ..., u, u*) = (-1)^(n-1) Catalan(n - 1) (Nica-Speicher, Proposition 15.1).
So V is lowered to P_p Y P_q.

The rows of E (the block p inside the block q) need not be written. In the free moment-cumulant
formula the projections between two letters fall into the blocks of the Kreweras complement, and
a block of a nonzero cumulant joins only gaps of one block dimension (a cumulant of Y pairs V,
whose right side is q, with V*, whose left side is q, and so on; a square letter has one block on
both sides). So every product of projections that occurs is a power of one P_i, and the trace
depends on the traces t_i only, not on how the projections sit in the ambient space: the
orthogonal blocks give the same numbers as nested ones (P_p <= P_q), in which P_p Y P_q is
exactly E W.

Y is a formal element: it is not a unitary (Y Y* != 1), only its moments enter the trace. In
the tracer it is a Haar generator whose parameter is s.

The other letters: a Gaussian (p, q) matrix is P_p C P_q with C circular of variance v D (the
corner of a Ginibre matrix of size D N); a semicircular generator of block d is P_d S P_d with S
of variance v D / d; any other square generator A of block d is W Lambda W* with W the formal
Haar unitary of the block d (one per commuting family) and Lambda a diagonal element with the
law of A on P_d, in one commuting family with the block projections (classically independent,
which the argument above allows): conjugation by a free Haar unitary makes A free from
everything else (Voiculescu 1991). The lowering imports nothing from
:mod:`freealg.algebra.blocks`, which may call it.
"""

from __future__ import annotations

import sympy as sp

from .generators import UNITARY_KINDS, Generator, Letter

__all__ = ["needs_haar_lowering", "lower_shaped_haar", "formal_haar_cumulant",
           "HAAR_BLOCK_FAMILY"]

#: the commuting family of the block projections and diagonal generators of this lowering
#: (classically independent: only the traces matter, module docstring)
HAAR_BLOCK_FAMILY = "__haar_blocks__"

_KINDS = ("semicircular", "circular", "haar_unitary", "haar_orthogonal", "projection",
          "selfadjoint", "activation")


def needs_haar_lowering(expr) -> bool:
    """Whether ``expr`` has a Haar generator and more than one block dimension.

    Examples
    --------
    >>> import freealg as fa
    >>> V = fa.haar_unitary("V", shape=(1, 2))
    >>> needs_haar_lowering(V.H * V), needs_haar_lowering(fa.haar_unitary("u") * 2)
    (True, False)
    """
    gens = expr.generators
    if not any(g.kind in UNITARY_KINDS for g in gens):
        return False
    if any(g.kind not in _KINDS for g in gens):
        return False        # other kinds are expanded by freealg.algebra.blocks first
    dims = {d for g in gens for d in g.shape} | set(expr.shape)
    return len(dims) > 1


def formal_haar_cumulant(n: int, s) -> sp.Rational:
    """kappa_n(Y, Y*, ..., Y, Y*) of the formal element Y of a Haar letter with block weight s
    (module docstring): (-1)^(m-1) Catalan(m - 1) s^(1 - n) for n = 2 m, 0 for odd n.

    Examples
    --------
    >>> formal_haar_cumulant(2, sp.Rational(1, 3)), formal_haar_cumulant(4, 1)
    (3, -1)
    """
    if n % 2:
        return sp.S.Zero
    m = n // 2
    return (-1) ** (m - 1) * sp.catalan(m - 1) * sp.sympify(s) ** (1 - n)


def lower_shaped_haar(expr):
    """(square polynomial, t): tau_block(expr) = trace(square polynomial) / t, for a square
    expression with Haar letters on several block dimensions (module docstring).

    Examples
    --------
    >>> import freealg as fa
    >>> V = fa.haar_unitary("V", shape=(1, 2))
    >>> P, t = lower_shaped_haar(V.H * V)          # the 2 block: V* V is a projection of trace 1/2
    >>> t, fa.trace(P) / t
    (2/3, 1/2)
    """
    from .ncpoly import NCPoly

    r = expr.shape[0]
    gens = expr.generators
    dims = sorted({d for g in gens for d in g.shape} | {r})
    D = sum(dims)
    t = {d: d / D for d in dims}
    P = {d: Letter(Generator(f"__block_{d}", "projection", (t[d],), HAAR_BLOCK_FAMILY))
         for d in dims}
    sub: dict = {}
    for g in gens:
        d = g.shape[0]
        if g.kind in UNITARY_KINDS:
            sub[g] = (Letter(Generator(g.name, g.kind, (t[max(g.shape)],))),)
        elif g.kind == "circular":
            # the corner of a Ginibre matrix of size D N with the same entries
            sub[g] = (Letter(Generator(g.name, "circular",
                                       (g.params[0] * D,) + tuple(g.params[1:]))),)
        elif g.kind == "semicircular":
            # compressing a semicircular of variance s by a free projection of trace t gives
            # variance s t (Nica-Speicher, Lecture 14)
            sub[g] = (Letter(Generator(g.name, "semicircular", (g.params[0] / t[d],))),)
        else:
            # a square self-adjoint generator of block d: W Lambda W* with Lambda diagonal (in
            # the commuting family of the block projections, law(g) on P_d) and W a Haar
            # unitary of the block d (one per commuting family of the model)
            rot = Generator(f"__rot_{g.family or g.name}", "haar_unitary", (t[d],))
            lam = Generator(g.name, g.kind, g.params, HAAR_BLOCK_FAMILY)
            sub[g] = (Letter(rot), P[d], Letter(lam), P[d], Letter(rot, True))
    terms = []
    for w, co in expr.terms:
        if not w:
            terms.append(((P[r],), co))
            continue
        word: list = []
        for L in w:
            rows, cols = L.shape
            inner = sub[L.gen]
            if L.star and len(inner) == 1:
                inner = (inner[0].adjoint,)
            word += [P[rows], *inner, P[cols]]
        terms.append((tuple(word), co))
    return NCPoly(terms), t[r]
