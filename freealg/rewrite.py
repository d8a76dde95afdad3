"""Symbolic simplification of law trees into equal laws with closed forms (``Law.simplify``).

A rewriting layer above the law value objects: it knows every law class and registers
:func:`simplify` as ``Law.simplify``'s rule set when it is imported (``import freealg`` does).

:func:`simplify` rewrites a tree of free convolutions, powers, compressions, affine maps and
mixtures bottom-up. A node is replaced only by a law that is provably the same law (equal free
cumulants or moments for every value of the parameters that makes the input valid); exact
sympy parameters stay exact and symbolic parameters pass through. A rule whose side condition
cannot be decided (a sign that depends on a symbol) is not applied.

Most rules work inside the constant-recursion family of ``freealg.laws.families``: a law with
Jacobi parameters (mean, variance) followed by constant (a, b) has the R-transform

    R(w) = mean + variance F(w),  F(w) = 2w/(1 + d w + sqrt((1 + d w)^2 - 4 c w^2)),

d = mean - a, c = b - variance, so free sums of members with equal (d, c) are members (add mean
and variance), and the family is closed under free powers (R -> t R), compressions (free
compression by trace t is D_t(mu^{⊞1/t}), Nica-Speicher 1996) and affine maps. Two-point laws
are the members with b = 0; semicircle and free Poisson laws are members.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from .errors import InvalidParameterError
from .laws.base import OPERATIONS, Law
from .laws.catalog import Arcsine, Dirac, Discrete, FreePoisson, Semicircle, Uniform
from .laws.convolution import FreeAdditive, FreeMultiplicative, FreePower
from .laws.derived import Affine, FreeCompression, FreeProduct, Mixture
from .laws.families import (ConstantRecursion, FreeBinomial, FreeMeixner, KestenMcKay, Wachter,
                            is_zero, truth)
from .numeric.jacobi import tidy as _tidy

__all__ = ["simplify"]


def simplify(law: Law) -> Law:
    """An equal law with a closed form where one is known, else the tree with simplified children.

    Rules (bottom-up; each applies only when its side condition provably holds):

    * ⊞ of laws with a constant recursion formula and equal (mean - a, b - variance): semicircle
      (v1, m1) ⊞ semicircle(v2, m2) = semicircle(v1 + v2, m1 + m2) (Voiculescu 1986: R-transforms
      add); free Poisson laws with one jump add their rates (NS Lecture 12); free binomial laws
      with one p add their powers;
    * mu^{⊞t} (R -> t R): semicircle, free Poisson, free binomial, Kesten-McKay; free powers of
      two-point laws are free binomial / Kesten-McKay laws (Kesten 1959; McKay 1981: the
      d-regular tree is the Cayley graph of d free symmetries); (mu^{⊞s})^{⊞t} = mu^{⊞st};
    * free compressions (law of p a p; Nica-Speicher 1996): of a Bernoulli law, in the ambient
      space, the Wachter law (Wachter 1980); else D_t(mu^{⊞1/t}) in the family;
    * bernoulli(t) ⊠ mu is the law of p a p (ambient compression; used when it gives a closed
      form), so bernoulli(alpha) ⊠ bernoulli(beta) = Wachter(alpha, beta);
    * delta_c ⊞ mu = mu + c; delta_c ⊠ mu = c mu; delta_1 factors of ⊠ products drop;
    * affine maps: nested maps collapse, the identity drops; affine images of members (the
      recursion maps to (s mean + t, s^2 variance, s a + t, s^2 b)), of point masses, of
      discrete, arcsine and uniform laws are laws of the same kind;
    * mixtures: zero weights and repeated components merge; a mixture of discrete laws is
      discrete; a one-component mixture is that component.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.rewrite import simplify
    >>> simplify(fa.free_additive(fa.semicircle(1), fa.semicircle(2, 1)))
    semicircle(variance=3, mean=1)
    >>> simplify(fa.free_power(fa.discrete([-1, 1]), 3))
    kesten_mckay(d=3)
    >>> simplify(fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), sp.Rational(1, 2),
    ...                              ambient=True))
    wachter(alpha=1/3, beta=1/2)
    >>> v = sp.Symbol("v", positive=True)
    >>> simplify(fa.affine(fa.free_power(fa.semicircle(v), 2), 3, 1))
    semicircle(variance=18*v, mean=1)

    Parameters
    ----------
    law : Law
        Any law (a tree of free operations or a leaf).

    Returns
    -------
    Law
        A law equal to ``law`` (same moments), ``law`` itself when no rule applies.

    Raises
    ------
    InvalidParameterError
        If ``law`` is not a freealg Law.

    References
    ----------
    Voiculescu, J. Funct. Anal. 66 (1986); Nica-Speicher, Amer. J. Math. 118 (1996) and
    Lectures on the Combinatorics of Free Probability (2006); Saitoh-Yoshida, Probab. Math.
    Statist. 21 (2001); Kesten, Trans. AMS 92 (1959); McKay, Linear Algebra Appl. 40 (1981);
    Wachter, Ann. Probab. 8 (1980).
    """
    if not isinstance(law, Law):
        raise InvalidParameterError("law", law, "must be a freealg Law")
    return _simp(law)


def _simp(law: Law) -> Law:
    """The rule of the law's class applied to the law with simplified children."""
    rule = _RULES.get(type(law))
    if rule is None:
        return law
    args = _simp_args(law.args)
    return rule(law if args == law.args else type(law)(*args))


def _simp_args(args):
    return tuple(_simp(a) if isinstance(a, Law) else _simp_args(a) if isinstance(a, tuple)
                 else a for a in args)


# --------------------------------------------------------------------------------------------
# the constant-recursion family


def _jacobi(law: Law):
    """(mean, variance, a, b) of a member of the family, b = 0 for two-point laws; else None."""
    if isinstance(law, Semicircle):
        v, m = law.args
        return m, v, m, v
    if isinstance(law, FreePoisson):
        lam, s = law.args
        return lam * s, lam * s**2, s * (1 + lam), lam * s**2
    if isinstance(law, ConstantRecursion) and not isinstance(law, Wachter):
        return law._jacobi()
    two = _two_point(law)
    if two is not None:
        (p1, q1), (p2, q2) = two
        mean = q1 * p1 + q2 * p2
        return mean, q1 * q2 * (p2 - p1) ** 2, p1 + p2 - mean, sp.S.Zero
    return None


def _two_point(law: Law):
    """((p1, w1), (p2, w2)) for a discrete law with two atoms of surely positive mass."""
    if not isinstance(law, Discrete) or isinstance(law, Dirac):
        return None
    ats = law.atoms()
    if len(ats) != 2 or not all(truth(sp.sympify(a.mass) > 0) for a in ats):
        return None
    if truth(sp.Ne(ats[0].location, ats[1].location)) is not True:
        return None
    return tuple((sp.sympify(a.location), sp.sympify(a.mass)) for a in ats)


def _point(law: Law):
    """c when law is a point mass delta_c, else None."""
    if isinstance(law, Discrete):
        ats = law.atoms()
        if len(ats) == 1 and sp.sympify(ats[0].mass) == 1:
            return sp.sympify(ats[0].location)
    return None


def _same(x, y) -> bool:
    return is_zero(sp.sympify(x) - sp.sympify(y)) is True


def _member(mean, var, a, b):
    """The canonical law with recursion (mean, var, a, b), b != 0 provably; else None."""
    mean, var, a, b = (_tidy(q) for q in (mean, var, a, b))
    if is_zero(b) is not False or truth(var > 0) is False:
        return None
    c, d = _tidy(b - var), _tidy(mean - a)
    if is_zero(c):
        if is_zero(d):
            return Semicircle(var, mean)
        jump = -d
        if truth(jump > 0) and _same(mean, var / jump):
            return FreePoisson(_tidy(var / jump**2), _tidy(jump))
        return FreeMeixner(mean, var, a, b)
    if is_zero(mean) and is_zero(a) and _same(c, -1) and truth(var > 1):
        return KestenMcKay(var)
    p = _tidy((1 + d) / 2)
    if truth(p > 0) and truth(p < 1) and _same(c, -p * (1 - p)):
        n = _tidy(mean / p)
        if truth(n > 1) and _same(var, n * p * (1 - p)) and _same(a, 1 + (n - 2) * p):
            return FreeBinomial(n, p)
    return FreeMeixner(mean, var, a, b)


# --------------------------------------------------------------------------------------------
# rules; each takes simplified children


def _affine(mu: Law, s, t) -> Law:
    s, t = sp.sympify(s), sp.sympify(t)
    if s == 1 and t == 0:
        return mu
    if isinstance(mu, Affine):  # s (s1 X + t1) + t
        inner, s1, t1 = mu.args
        return _affine(inner, _tidy(s * s1), _tidy(s * t1 + t))
    c = _point(mu)
    if c is not None:
        return Dirac(_tidy(s * c + t))
    if isinstance(mu, Discrete):
        ats = mu.atoms()
        return Discrete([_tidy(s * at.location + t) for at in ats], [at.mass for at in ats])
    if isinstance(mu, (Arcsine, Uniform)):
        lo, hi = mu.args
        pos = truth(s > 0)
        if pos is not None:
            ends = (s * lo + t, s * hi + t) if pos else (s * hi + t, s * lo + t)
            return type(mu)(*(_tidy(e) for e in ends))
    jac = _jacobi(mu)
    if jac is not None:
        mean, var, a, b = jac
        got = _member(s * mean + t, s**2 * var, s * a + t, s**2 * b)
        if got is not None:
            return got
    return Affine(mu, s, t)


def _power(mu: Law, t) -> Law | None:
    """mu^{⊞t} in closed form, or None."""
    t = sp.sympify(t)
    if t == 1:
        return mu
    c = _point(mu)
    if c is not None:
        return Dirac(_tidy(t * c))
    if isinstance(mu, FreePower):  # (nu^{⊞s})^{⊞t} = nu^{⊞st}
        nu, s = mu.args
        return _power(nu, s * t) or FreePower(nu, _tidy(s * t))
    jac = _jacobi(mu)
    if jac is None:
        return None
    mean, var, a, b = jac
    if is_zero(b) and truth(t > 1) is not True:
        return None
    return _member(t * mean, t * var, a + (t - 1) * mean, b + (t - 1) * var)


def _compress(mu: Law, t, ambient: bool) -> Law | None:
    """The law of p a p (trace t) in closed form, or None."""
    t = sp.sympify(t)
    if t == 1:
        return mu
    c = _point(mu)
    if c is not None:
        if not ambient:
            return Dirac(c)
        return Dirac(0) if c == 0 else Discrete([0, c], [1 - t, t])
    if ambient:
        two = _two_point(mu)
        if two is not None and two[0][0] == 0 and two[1][0] == 1 and truth(t < 1):
            return Wachter(t, two[1][1])
        inner = _compress(mu, t, False)
        if inner is None:
            return None
        return _mixture((Dirac(0), inner), (1 - t, t))
    jac = _jacobi(mu)
    if jac is None:
        return None
    mean, var, a, b = jac
    if is_zero(b) and truth(t < 1) is not True:
        return None
    # D_t(mu^{⊞1/t}) (Nica-Speicher 1996)
    return _member(mean, t * var, t * a + (1 - t) * mean, t**2 * b + t * (1 - t) * var)


def _mixture(laws, weights) -> Law:
    acc: dict = {}
    for law, w in zip(laws, weights):
        if sp.sympify(w) == 0:
            continue
        acc[law] = acc.get(law, sp.S.Zero) + w
    if len(acc) == 1:
        return next(iter(acc))
    if all(isinstance(law, Discrete) for law in acc):
        pts, ws = [], []
        for law, w in acc.items():
            for at in law.atoms():
                pts.append(at.location)
                ws.append(_tidy(w * at.mass))
        return Discrete(pts, ws)
    return Mixture(tuple(acc), tuple(_tidy(w) for w in acc.values()))


def _rule_additive(law: FreeAdditive) -> Law:
    mu, nu = law.args
    for x, y in ((mu, nu), (nu, mu)):
        c = _point(x)
        if c is not None:  # delta_c ⊞ y = y + c
            return _affine(y, 1, c)
    if mu == nu:
        got = _power(mu, 2)
        if got is not None:
            return got
    j1, j2 = _jacobi(mu), _jacobi(nu)
    if j1 is not None and j2 is not None:
        (m1, v1, a1, b1), (m2, v2, a2, b2) = j1, j2
        d, c = m1 - a1, b1 - v1
        if _same(d, m2 - a2) and _same(c, b2 - v2):
            mean, var = m1 + m2, v1 + v2
            got = _member(mean, var, mean - d, c + var)
            if got is not None:
                return got
    return law


def _rule_power(law: FreePower) -> Law:
    return _power(*law.args) or law


def _rule_compression(law: FreeCompression) -> Law:
    return _compress(*law.args) or law


def _rule_affine(law: Affine) -> Law:
    return _affine(*law.args)


def _rule_mixture(law: Mixture) -> Law:
    got = _mixture(*law.args)
    return law if got == law else got


def _projection_trace(law: Law):
    two = _two_point(law)
    if two is not None and two[0][0] == 0 and two[1][0] == 1:
        return two[1][1]
    return None


def _closed(law: Law) -> bool:
    return law._nunk == 0


def _rule_multiplicative(law: FreeMultiplicative) -> Law:
    mu, nu = law.args
    for x, y in ((mu, nu), (nu, mu)):
        c = _point(x)
        if c is not None:  # delta_c ⊠ y = c y
            return _affine(y, c, 0)
    for x, y in ((mu, nu), (nu, mu)):
        t = _projection_trace(x)
        if t is not None:  # law of p y p (Nica-Speicher 1996), when that has a closed form
            got = _compress(y, t, True)
            if got is not None and _closed(got):
                return got
    return law


def _rule_product(law: FreeProduct) -> Law:
    scale = sp.S.One
    factors = []
    for x, k in law.args[0]:
        c = _point(x)
        if c is not None:
            scale *= c**k
        else:
            factors.append((x, k))
    if not factors:
        return Dirac(_tidy(scale))
    pair = None
    if len(factors) == 1 and factors[0][1] == 1:
        core = factors[0][0]
    else:
        if len(factors) == 2 and factors[0][1] == factors[1][1] == 1:
            pair = (factors[0][0], factors[1][0])
        elif len(factors) == 1 and factors[0][1] == 2:
            pair = (factors[0][0], factors[0][0])
        got = _rule_multiplicative(FreeMultiplicative(*pair)) if pair else None
        core = got if got is not None and _closed(got) else FreeProduct(factors)
        if core == law and scale == 1:
            return law
    return _affine(core, _tidy(scale), 0)


#: the rule of each class; it receives the law with simplified children
_RULES: dict[type, Any] = {
    FreeAdditive: _rule_additive, FreePower: _rule_power, FreeCompression: _rule_compression,
    Affine: _rule_affine, Mixture: _rule_mixture, FreeMultiplicative: _rule_multiplicative,
    FreeProduct: _rule_product}

OPERATIONS["simplify"] = simplify
