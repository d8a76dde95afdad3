"""Laws from their Jacobi parameters (recurrence coefficients), and Jacobi parameters of a law.

The monic orthogonal polynomials of a law satisfy x P_n = P_{n+1} + alpha_n P_n + beta_n P_{n-1}
(alpha_0, alpha_1, ...; beta_1, beta_2, ... > 0), and the Cauchy transform is the continued
fraction (Stieltjes; Akhiezer, "The classical moment problem", 1965, ch. 1)

    G(z) = 1/(z - alpha_0 - beta_1/(z - alpha_1 - beta_2/(z - alpha_2 - ...))).

A finite list is closed in one of two ways (``tail``):

* ``"constant"``: the last alpha and the last beta repeat for ever. From the level L where both
  have become constant the fraction is the Cauchy transform H of the semicircle law of mean
  alpha and variance beta, beta H^2 - (z - alpha) H + 1 = 0; so G = (a + b H)/(c + d H) with
  polynomials a, b, c, d in z (a Moebius map of H) and G is algebraic of degree 2: one band
  [alpha - 2 sqrt(beta), alpha + 2 sqrt(beta)] and finitely many atoms, at the real zeros of
  c + d H on the physical sheet (module :mod:`freealg.numeric.boolean` for the residues).
* ``"finite"``: the fraction stops after alpha_{p-1} (p alphas, p - 1 betas): a law with p atoms,
  the zeros of P_p, with the Gauss-Christoffel weights Q(x_j)/P_p'(x_j), G = Q/P_p (Gautschi,
  "Orthogonal polynomials: computation and approximation", 2004, section 1.4).

The Jacobi parameters of a law come from its moments by Chebyshev's algorithm (Gautschi 2004,
Algorithm 2.1), exact for exact moments (a law with k atoms stops with beta_k = 0) and in mpmath
otherwise (it loses about n digits: run with ``dps + 2 n``).

This engine module works on sympy values and plain numbers: it does not import
``freealg.laws``.
"""

from __future__ import annotations

from typing import Any, Sequence

import mpmath
import sympy as sp

from ..errors import InvalidParameterError
from .jacobi import is_zero, primitive_poly, tidy, truth
from .params import parameter

__all__ = ["jacobi_parameters", "chebyshev", "check_jacobi", "cf_moments", "cf_mobius",
           "cf_curve", "cf_g", "gauss_rule", "cf_edge_kinds"]

_z, _G = sp.symbols("z G")


def chebyshev(moments: Sequence[Any], n: int, dps: int | None = None) -> tuple:
    """(alphas, betas): alpha_0..alpha_{n-1} and beta_1..beta_n from m_1..m_{2n} (m_0 = 1), by
    Chebyshev's algorithm; exact for exact moments, else mpmath at ``dps`` (+ 2n guard digits).
    Stops early (shorter lists, ``len(betas) == len(alphas) - 1``) when a beta vanishes
    exactly: the law then has ``len(alphas)`` atoms.

    Examples
    --------
    >>> chebyshev([0, 1, 0, 2, 0, 5], 3)        # semicircle: alpha = 0, beta = 1
    ([0, 0, 0], [1, 1, 1])
    >>> chebyshev([0, 1, 0, 1], 2)              # (delta_-1 + delta_1)/2: two atoms
    ([0, 0], [1])
    """
    exact = dps is None and all(not sp.sympify(m).has(sp.Float) for m in moments)
    if exact:
        mu = [sp.S.One] + [sp.sympify(m) for m in moments[:2 * n]]
        num = sp.expand

        def iszero(v):
            return is_zero(v) is True
    else:
        prec = (dps or 30) + 2 * n + 10
        with mpmath.workdps(prec):
            mu = [mpmath.mpf(1)] + [mpmath.mpf(sp.N(m, prec)) if not isinstance(m, mpmath.mpf)
                                    else m for m in moments[:2 * n]]

        def num(v):
            return v

        def iszero(v):
            return v == 0
    if len(mu) < 2 * n + 1:
        raise InvalidParameterError("moments", len(moments), f"need {2 * n} moments")
    ctx = mpmath.workdps((dps or 30) + 2 * n + 10)
    with ctx:
        alphas: list = [num(mu[1] / mu[0])]
        betas: list = []
        prev = [sp.S.Zero if exact else mpmath.mpf(0)] * (2 * n + 1)
        cur = list(mu)
        for k in range(1, n + 1):
            nxt = [sp.S.Zero if exact else mpmath.mpf(0)] * (2 * n + 1)
            for ll in range(k, 2 * n - k + 1):
                nxt[ll] = num(cur[ll + 1] - alphas[k - 1] * cur[ll]
                              - (betas[k - 2] if k >= 2 else 0) * prev[ll]) \
                    if ll + 1 <= 2 * n else num(0)
            beta = num(nxt[k] / cur[k - 1])
            if iszero(beta):
                break
            betas.append(beta)
            if k < n:
                alphas.append(num(nxt[k + 1] / nxt[k] - cur[k] / cur[k - 1]))
            prev, cur = cur, nxt
    if exact:
        return [tidy(a) for a in alphas], [tidy(b) for b in betas]
    with mpmath.workdps(dps or 30):
        return [+a for a in alphas], [+b for b in betas]


def jacobi_parameters(law: Any, n: int, dps: int | None = None) -> tuple:
    """The first n Jacobi parameters (alphas, betas) = ([alpha_0..alpha_{n-1}],
    [beta_1..beta_n]) of a law, by Chebyshev's algorithm on its moments m_1..m_{2n}: exact for
    exact moments (shorter lists when a beta vanishes: a law with finitely many atoms), else
    mpmath at ``dps`` digits.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.jacobi_parameters(fa.free_poisson(2), 3)         # (l, l+1, l+1; l, l, l)
    ([2, 3, 3], [2, 2, 2])
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidParameterError("n", n, "must be a positive integer")
    if not hasattr(law, "moments"):
        raise InvalidParameterError("law", law, "must be a freealg Law")
    return chebyshev(law.moments(2 * n), n, dps)


def check_jacobi(alphas: Any, betas: Any, tail: str) -> tuple:
    """Validated (alphas, betas) as tuples of sympy numbers for ``tail`` in {'constant',
    'finite'}: alphas real, betas > 0; 'constant' needs at least one of each, 'finite'
    ``len(betas) == len(alphas) - 1``. Raises InvalidParameterError.

    Examples
    --------
    >>> check_jacobi([0], [1], "constant")
    ((0,), (1,))
    """
    if tail not in ("constant", "finite"):
        raise InvalidParameterError("tail", tail, "must be 'constant' or 'finite'")
    for name, seq in (("alphas", alphas), ("betas", betas)):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise InvalidParameterError(name, seq, "must be a sequence of numbers")
    al = tuple(parameter("alphas", a) for a in alphas)
    be = tuple(parameter("betas", b) for b in betas)
    for a in al:
        if truth(sp.Eq(sp.im(a), 0)) is False:
            raise InvalidParameterError("alphas", alphas, "the alphas must be real")
    for b in be:
        if truth(b > 0) is False or is_zero(b) is True:
            raise InvalidParameterError("betas", betas, "the betas must be > 0 (a zero beta "
                                        "ends the sequence: use tail='finite')")
    if tail == "constant" and (not al or not be):
        raise InvalidParameterError("alphas", alphas, "tail='constant' needs at least one "
                                    "alpha and one beta (they repeat for ever)")
    if tail == "finite" and (len(be) != len(al) - 1 or not al):
        raise InvalidParameterError("betas", betas, f"tail='finite' needs len(betas) == "
                                    f"len(alphas) - 1 (got {len(al)} and {len(be)})")
    return al, be


def _full(alphas: tuple, betas: tuple, tail: str, n: int) -> tuple:
    """alpha_0..alpha_n, beta_1..beta_{n+1} (0 after the end of a finite list)."""
    if tail == "constant":
        al = list(alphas) + [alphas[-1]] * max(0, n + 1 - len(alphas))
        be = list(betas) + [betas[-1]] * max(0, n + 1 - len(betas))
    else:
        al = list(alphas) + [sp.S.Zero] * max(0, n + 1 - len(alphas))
        be = list(betas) + [sp.S.Zero] * max(0, n + 1 - len(betas))
    return al, be


def cf_moments(alphas: tuple, betas: tuple, tail: str, n: int) -> list:
    """Exact moments m_1..m_n: m_k = (J^k)_{00} for the Jacobi matrix J (weighted Motzkin
    paths: level steps alpha_i, down steps from level i to i - 1 weighted beta_i; Flajolet 1980).

    Examples
    --------
    >>> cf_moments((0,), (1,), "constant", 6)               # semicircle: Catalan numbers
    [0, 1, 0, 2, 0, 5]
    """
    al, be = _full(alphas, betas, tail, n)
    v = [sp.S.One] + [sp.S.Zero] * n
    out = []
    for k in range(1, n + 1):
        w = [sp.S.Zero] * (n + 1)
        top = min(k, n - k)  # higher levels cannot come back to 0 in time
        for i in range(top + 1):
            s = al[i] * v[i]
            if i + 1 <= n:
                s += be[i] * v[i + 1]
            if i >= 1:
                s += v[i - 1]
            w[i] = sp.expand(s)
        v = w
        out.append(v[0])
    return out


def cf_mobius(alphas: tuple, betas: tuple) -> tuple:
    """(a, b, c, d, alpha, beta): G = (a + b H)/(c + d H) with a, b, c, d sympy expressions in
    the symbol z, H the Cauchy transform of the semicircle of mean alpha, variance beta (the
    constant tail).

    Examples
    --------
    >>> cf_mobius((1, 0), (2, 1))        # G = 1/(z - 1 - 2 H)
    (1, 0, z - 1, -2, 0, 1)
    """
    alpha, beta = alphas[-1], betas[-1]
    L = max(len(alphas) - 1, len(betas) - 1)
    al, be = _full(alphas, betas, "constant", L + 1)
    a, b, c, d = sp.S.Zero, sp.S.One, sp.S.One, sp.S.Zero   # G_L = H
    for k in range(L - 1, -1, -1):
        # G_k = 1/(z - al_k - be_{k+1} G_{k+1}) = (c + d H)/((z - al_k)(c + d H) - be (a + b H))
        a, b, c, d = (c, d, sp.expand((_z - al[k]) * c - be[k] * a),
                      sp.expand((_z - al[k]) * d - be[k] * b))
    return a, b, c, d, alpha, beta


def cf_curve(alphas: tuple, betas: tuple) -> sp.Poly:
    """The quadratic curve of the constant-tail law: H = (a - c G)/(d G - b) in
    beta H^2 - (z - alpha) H + 1 = 0, times (d G - b)^2.

    Examples
    --------
    >>> cf_curve((0,), (1,)).as_expr()                       # the semicircle
    G**2 - G*z + 1
    """
    a, b, c, d, alpha, beta = cf_mobius(alphas, betas)
    num, den = a - c * _G, d * _G - b
    return primitive_poly(beta * num**2 - (_z - alpha) * num * den + den**2, _G, _z)


def cf_edge_kinds(alphas: tuple, betas: tuple) -> tuple:
    """'hard' at a band end where the denominator c + d H vanishes (G blows up like an inverse
    square root there), else 'soft'.

    Examples
    --------
    >>> cf_edge_kinds((0,), (1,))
    ('soft', 'soft')
    """
    a, b, c, d, alpha, beta = cf_mobius(alphas, betas)
    r = sp.sqrt(beta)
    out = []
    for x, h in ((alpha - 2 * r, -1 / r), (alpha + 2 * r, 1 / r)):
        out.append("hard" if is_zero((c + d * h).subs(_z, x)) is True else "soft")
    return tuple(out)


def cf_g(params: tuple, z: Any, be: Any, deriv: bool = True) -> tuple:
    """(G, G') of the constant-tail fraction at z in the closed upper half plane (G' None
    unless ``deriv``);
    ``params`` = (alphas, betas, L, alpha, beta, 2 sqrt(beta)) as numbers of the back end.

    Examples
    --------
    >>> from freealg.kernels.backend import NP
    >>> g, dg = cf_g(([0.0], [1.0], 0, 0.0, 1.0, 2.0), 2.5 + 0j, NP)   # semicircle at 5/2
    >>> complex(g), complex(dg)
    ((0.5+0j), (-0.3333333333333333+0j))
    """
    al, bt, L, alpha, beta, r = params
    zeta = z - alpha
    s = be.sqrt(zeta - r) * be.sqrt(zeta + r)
    G = 2 / (zeta + s)
    dG = -G * G * (1 + zeta / s) / 2 if deriv else None
    for k in range(L - 1, -1, -1):
        ak = al[k] if k < len(al) else alpha
        bk = bt[k] if k < len(bt) else beta
        G = 1 / (z - ak - bk * G)
        dG = -G * G * (1 - bk * dG) if deriv else None
    return G, dG


def gauss_rule(alphas: tuple, betas: tuple) -> list:
    """(node, weight) pairs of the finite fraction G = Q/P_p: nodes the zeros of P_p (exact:
    rationals, radicals or ``CRootOf``), weights Q(x_j)/P_p'(x_j).

    Examples
    --------
    >>> gauss_rule((0, 0), (1,))
    [(-1, 1/2), (1, 1/2)]
    """
    p = len(alphas)
    P_prev, P = sp.S.One, _z - alphas[0]              # P_0, P_1
    Q_prev, Q = sp.S.Zero, sp.S.One                   # numerators: Q_0 = 0, Q_1 = 1
    for k in range(1, p):
        P_prev, P = P, sp.expand((_z - alphas[k]) * P - betas[k - 1] * P_prev)
        Q_prev, Q = Q, sp.expand((_z - alphas[k]) * Q - betas[k - 1] * Q_prev)
    Pp = sp.Poly(P, _z)
    dP = Pp.diff(_z)
    Qp = sp.Poly(Q, _z)
    out = []
    for x in Pp.all_roots():
        out.append((x, tidy(Qp.eval(x) / dP.eval(x))))
    return out
