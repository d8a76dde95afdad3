"""Exact moment / free-cumulant combinatorics and transform series (sympy).

All functions work on lists of sympy expressions (exact rationals, symbols allowed).
Moments are always indexed from 1: ``moments[0]`` is m_1.

References: Speicher, Math. Ann. 298 (1994); Nica-Speicher, *Lectures on the Combinatorics of
Free Probability* (2006), Lectures 11, 14, 18.

Examples
--------
>>> from freealg.transforms.cumulants import moments_from_free_cumulants
>>> moments_from_free_cumulants([0, 1, 0, 0, 0, 0])   # standard semicircle: Catalan numbers
[0, 1, 0, 2, 0, 5]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import sympy as sp

__all__ = [
    "moments_from_free_cumulants",
    "free_cumulants_from_moments",
    "series_power_coefficients",
    "s_transform_coefficients",
    "moments_from_s_coefficients",
    "multiplicative_moments",
    "additive_moments",
    "noncrossing_partitions",
]


def _s(x):
    return sp.sympify(x)


def series_power_coefficients(coeffs: Sequence, power: int, order: int) -> list:
    """Coefficients c_0..c_order of (sum_j coeffs[j] t^j)^power, truncated.

    Examples
    --------
    >>> series_power_coefficients([1, 1], 3, 4)
    [1, 3, 3, 1, 0]
    """
    base = [_s(c) for c in coeffs][: order + 1]
    base += [sp.S.Zero] * (order + 1 - len(base))
    out = [sp.S.One] + [sp.S.Zero] * order
    for _ in range(power):
        new = [sp.S.Zero] * (order + 1)
        for i, a in enumerate(out):
            if a == 0:
                continue
            for j in range(order + 1 - i):
                if base[j] != 0:
                    new[i + j] += a * base[j]
        out = [sp.expand(c) for c in new]
    return out


def _exact_rationals(values: Sequence):
    """Python Fractions when every value is a rational number (fast exact arithmetic), else
    None."""
    out = []
    for v in values:
        if isinstance(v, (sp.Integer, sp.Rational)):
            out.append(Fraction(int(v.p), int(v.q)))
        else:
            return None
    return out


class _PowerTable:
    """Coefficients ``C[s][j] = [t^j] M(t)^s`` of the powers of M(t) = 1 + sum_k m_k t^k,
    filled one order at a time as the moments become known: order k needs only m_0..m_k, and
    each new entry is one convolution, so n orders cost O(n^3) operations in all (recomputing
    each power from scratch costs O(n^4))."""

    def __init__(self, zero, one, clean):
        self.m = [one]
        self.C: list = [[one]]  # C[0] = M^0 = 1
        self.zero, self.clean = zero, clean

    def coefficient(self, s: int, j: int):
        """[t^j] M^s, given m_0..m_j (entries are computed on demand, each once)."""
        C, m, zero = self.C, self.m, self.zero
        while len(C) <= s:
            C.append([])
        for p in range(s + 1):  # rows in order: row p needs row p - 1 up to the same j
            row = C[p]
            while len(row) <= j:
                i = len(row)
                if p == 0:
                    row.append(zero if i else m[0])
                    continue
                below = C[p - 1]
                acc = zero
                for r in range(i + 1):
                    if m[r] != 0 and below[i - r] != 0:
                        acc = acc + m[r] * below[i - r]
                row.append(self.clean(acc))
        return C[s][j]


def _convert(values: Sequence):
    """(values in the fastest exact arithmetic, zero, one, clean, back-conversion)."""
    q = _exact_rationals(values)
    if q is not None:
        return q, Fraction(0), Fraction(1), (lambda x: x), (lambda x: sp.Rational(x.numerator,
                                                                                   x.denominator))
    return list(values), sp.S.Zero, sp.S.One, sp.expand, (lambda x: x)


def moments_from_free_cumulants(kappas: Sequence) -> list:
    """Moments m_1..m_n from free cumulants kappa_1..kappa_n.

    Uses the functional equation M(t) = 1 + sum_s kappa_s t^s M(t)^s, i.e.
    m_n = sum_{s=1}^n kappa_s [t^{n-s}] M(t)^s (Speicher 1994; NS Lecture 11), with the powers
    of M built up one order at a time (O(n^3) operations), in exact rational arithmetic when the
    cumulants are numbers.

    Examples
    --------
    >>> import sympy as sp
    >>> lam = sp.Symbol("lam")
    >>> moments_from_free_cumulants([lam, lam, lam])   # free Poisson
    [lam, lam**2 + lam, lam**3 + 3*lam**2 + lam]
    """
    kap, zero, one, clean, back = _convert([_s(k) for k in kappas])
    n = len(kap)
    table = _PowerTable(zero, one, clean)
    for k in range(1, n + 1):
        total = zero
        for s in range(1, k + 1):
            if kap[s - 1] != 0:
                total = total + kap[s - 1] * table.coefficient(s, k - s)
        table.m.append(clean(total))
    return [back(x) for x in table.m[1:]]


def free_cumulants_from_moments(moments: Sequence) -> list:
    """Free cumulants kappa_1..kappa_n from moments m_1..m_n (inverse of the above).

    Examples
    --------
    >>> free_cumulants_from_moments([0, 1, 0, 2, 0, 5])
    [0, 1, 0, 0, 0, 0]
    """
    mom, zero, one, clean, back = _convert([_s(x) for x in moments])
    n = len(mom)
    table = _PowerTable(zero, one, clean)
    table.m.extend(mom)
    kap: list = []
    for k in range(1, n + 1):
        # m_k = kappa_k * [t^0] M^k (= kappa_k) + sum_{s<k} kappa_s [t^{k-s}] M^s
        rest = zero
        for s in range(1, k):
            if kap[s - 1] != 0:
                rest = rest + kap[s - 1] * table.coefficient(s, k - s)
        kap.append(clean(mom[k - 1] - rest))
    return [back(x) for x in kap]


def additive_moments(moments_a: Sequence, moments_b: Sequence) -> list:
    """Moments of mu ⊞ nu: free cumulants add (Voiculescu 1986).

    Examples
    --------
    >>> additive_moments([0, 1, 0, 2], [0, 1, 0, 2])   # semicircle(1) ⊞ semicircle(1)
    [0, 2, 0, 8]

    The moments of semicircle(2): 0, 2, 0, 2 * 2^2 = 8.
    """
    ka = free_cumulants_from_moments(moments_a)
    kb = free_cumulants_from_moments(moments_b)
    return moments_from_free_cumulants([sp.expand(x + y) for x, y in zip(ka, kb)])


def _series_inverse(coeffs: Sequence, order: int) -> list:
    """Compositional inverse of f(t) = sum_{j>=1} coeffs[j-1] t^j (coeffs[0] != 0), to t^order."""
    a = [_s(c) for c in coeffs]
    a1 = a[0]
    if a1 == 0:
        raise ZeroDivisionError("series has zero linear coefficient; not invertible")
    # b: inverse coefficients b_1..b_order, solve f(g(t)) = t order by order
    b = [1 / a1]
    for k in range(2, order + 1):
        g = [sp.S.Zero] + b + [sp.S.Zero]  # g_0..g_k with unknown g_k = 0 for now
        total = sp.S.Zero
        for j in range(1, k + 1):
            if j - 1 < len(a):
                total += a[j - 1] * series_power_coefficients(g, j, k)[k]
        # coefficient of t^k in f(g) must vanish; unknown b_k enters as a1 * b_k
        b.append(sp.expand(-total / a1))
    return b


def s_transform_coefficients(moments: Sequence) -> list:
    """Coefficients s_0..s_{n-1} of the S-transform S(z) = sum s_k z^k from m_1..m_n.

    psi(u) = sum m_n u^n, chi = psi^{-1}, S(z) = chi(z)(1 + z)/z (Voiculescu 1987).
    Requires m_1 != 0.

    Examples
    --------
    >>> s_transform_coefficients([1, 2, 5])   # free Poisson(1): S(z) = 1/(1+z)
    [1, -1, 1]
    """
    mom = [_s(x) for x in moments]
    n = len(mom)
    chi = _series_inverse(mom, n)  # chi_1..chi_n
    # chi(z)(1+z)/z = sum_k (chi_{k+1} + chi_k) z^k
    out = []
    for k in range(n):
        c = chi[k] + (chi[k - 1] if k >= 1 else 0)
        out.append(sp.simplify(sp.expand(c)) if c.free_symbols else sp.expand(c))
    return out


def moments_from_s_coefficients(s_coeffs: Sequence) -> list:
    """Inverse of :func:`s_transform_coefficients`.

    Examples
    --------
    >>> moments_from_s_coefficients([1, -1, 1])
    [1, 2, 5]
    """
    s = [_s(x) for x in s_coeffs]
    n = len(s)
    # chi(z) = z S(z)/(1+z) = z * S(z) * sum (-z)^j
    inv1pz = [(-1) ** j for j in range(n)]
    prod = [sp.expand(sum(s[i] * inv1pz[k - i] for i in range(k + 1))) for k in range(n)]
    chi = prod  # chi_1..chi_n (coefficient of z^{k+1})
    return [sp.expand(c) for c in _series_inverse(chi, n)]


def multiplicative_moments(moments_a: Sequence, moments_b: Sequence) -> list:
    """Moments of mu ⊠ nu from the S-transform product (Voiculescu 1987).

    Examples
    --------
    >>> multiplicative_moments([1, 2, 5, 14], [1, 2, 5, 14])   # Fuss-Catalan: binom(3n,n)/(2n+1)
    [1, 3, 12, 55]
    """
    sa = s_transform_coefficients(moments_a)
    sb = s_transform_coefficients(moments_b)
    n = min(len(sa), len(sb))
    prod = [sp.expand(sum(sa[i] * sb[k - i] for i in range(k + 1))) for k in range(n)]
    return moments_from_s_coefficients(prod)


def noncrossing_partitions(n: int):
    """Yield the non-crossing partitions of {0..n-1} as tuples of sorted blocks.

    Their number is the Catalan number C_n.

    Examples
    --------
    >>> sum(1 for _ in noncrossing_partitions(4))
    14
    """

    def rec(elements):
        if not elements:
            yield ()
            return
        first, rest = elements[0], elements[1:]
        # choose the block of `first`: first plus a subset of rest such that the gaps are
        # closed (non-crossing): recurse on the gaps between consecutive block members.
        m = len(rest)
        for mask in range(1 << m):
            chosen = [rest[i] for i in range(m) if mask >> i & 1]
            block = (first, *chosen)
            positions = [-1] + [i for i in range(m) if mask >> i & 1] + [m]
            gaps = [rest[positions[j] + 1 : positions[j + 1]] for j in range(len(positions) - 1)]
            yield from _combine(block, gaps)

    def _combine(block, gaps):
        if not gaps:
            yield (block,)
            return
        for head in rec(gaps[0]):
            for tail in _combine(block, gaps[1:]):
                yield head + tail

    for part in rec(tuple(range(n))):
        yield tuple(sorted(part))
