"""Laws with a constant recursion formula (Jacobi parameters constant from n = 2 on): exact
moments and atoms, and the closed forms of G and of the density written once for both back ends.

A law whose monic orthogonal polynomials satisfy

    x P_n = P_{n+1} + alpha_n P_n + omega_n P_{n-1},
    alpha_0 = mean, omega_1 = variance, alpha_n = a (n >= 1), omega_n = b (n >= 2)

(the functions below write (a0, w1, a, b) for (mean, variance, a, b)) has the continued
fraction G(z) = 1/(z - mean - variance H(z)), H the Cauchy transform of the semicircle law of
mean a and variance b (Saitoh-Yoshida 2001, "laws with a constant recursion formula"; up to an
affine map these are the free Meixner laws of Anshelevich 2003 and Bozejko-Bryc 2006). On the
band [a - 2 sqrt b, a + 2 sqrt b] the density is

    rho(x) = variance sqrt(4b - (x - a)^2) / (2 pi Q(x)),
    Q(x) = (b - variance) y^2 - variance (mean - a) y + variance^2,   y = x - mean,

[derived: Q = b |D|^2 with D = z - mean - variance H]; the atoms are the real roots x of Q with
b (x - mean)^2 < variance^2 (the root lies on the physical sheet, where |H| < 1/sqrt b), of mass
(1 - b h^2)/(1 + (variance - b) h^2), h = (x - mean)/variance (the residue 1/D'(x)) [derived].
A band end where Q vanishes is a hard edge (the density diverges like an inverse square root).

This engine module works on sympy values and plain numbers: it does not import
``freealg.laws``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import UndeterminedError
from ..kernels.backend import Backend
from .leaf import on, rsqrt, where
from .records import Atom

__all__ = ["truth", "is_zero", "tidy", "jacobi_moments", "jacobi_atoms", "primitive_poly",
           "jacobi_params", "jacobi_gh", "jacobi_density"]


def truth(cond: Any) -> bool | None:
    """Three-valued truth of a sympy condition: True, False, or None when undetermined.

    Examples
    --------
    >>> import sympy as sp
    >>> v = sp.Symbol("v")
    >>> truth(sp.sqrt(2) > 1), truth(sp.S(1) < 0), truth(v > 0)
    (True, False, None)
    """
    try:
        c = sp.sympify(cond)
    except (TypeError, sp.SympifyError):
        return None
    if c is sp.true:
        return True
    if c is sp.false:
        return False
    return None


def is_zero(x: Any) -> bool | None:
    """Three-valued test x == 0 for an exact sympy expression.

    Examples
    --------
    >>> import sympy as sp
    >>> v = sp.Symbol("v")
    >>> is_zero(sp.sqrt(2) * sp.sqrt(3) - sp.sqrt(6)), is_zero(sp.Rational(1, 3)), is_zero(v)
    (True, False, None)
    """
    x = sp.sympify(x)
    if x == 0:
        return True
    z = x.is_zero
    if z is not None:
        return z
    if x.free_symbols:
        s = sp.simplify(x)
        return True if s == 0 else s.is_zero
    return bool(x.equals(0))


def tidy(x: Any) -> Any:
    """simplify an exact value that has symbols or powers; other values as they are.

    Examples
    --------
    >>> import sympy as sp
    >>> tidy(sp.sqrt(2) ** 2 + sp.sqrt(8) - 2 * sp.sqrt(2))
    2
    """
    x = sp.sympify(x)
    return sp.simplify(x) if x.free_symbols or x.has(sp.Pow) else x


def jacobi_moments(a0, w1, a, b, n: int) -> list:
    """Exact moments m_1..m_n of the law with recursion (alpha_0, omega_1) = (a0, w1) and
    constant (alpha_n, omega_n) = (a, b) afterwards: x^k written in the orthogonal basis,
    m_k = its P_0 coefficient (Favard / Chebyshev algorithm, exact arithmetic).

    Examples
    --------
    >>> jacobi_moments(0, 1, 0, 1, 6)        # semicircle: Catalan numbers
    [0, 1, 0, 2, 0, 5]
    """
    c = [sp.S.One]
    out = []
    for k in range(1, n + 1):
        nxt = [sp.S.Zero] * (len(c) + 1)
        for j, cj in enumerate(c):
            if cj == 0:
                continue
            nxt[j + 1] += cj
            nxt[j] += (a0 if j == 0 else a) * cj
            if j >= 1:
                nxt[j - 1] += (w1 if j == 1 else b) * cj
        keep = n - k + 1  # only coefficients that can still reach P_0
        c = [sp.expand(v) for v in nxt[:keep]]
        out.append(c[0])
    return out


def jacobi_atoms(a0, w1, a, b) -> list:
    """Exact atoms (location, mass) of the constant-recursion law (see the module docstring).

    Raises UndeterminedError when whether a root of Q is an atom depends on a symbol.

    Examples
    --------
    >>> import sympy as sp
    >>> jacobi_atoms(sp.Rational(1, 2), sp.Rational(1, 2), sp.Rational(3, 2), sp.Rational(1, 2))
    [Atom(location=0, mass=1/2, error=0)]
    """
    c2, c1, c0 = b - w1, -w1 * (a0 - a), w1**2
    syms = sorted(sp.sympify(c2 + c1 + c0 + a0).free_symbols, key=str)

    def undetermined():
        return UndeterminedError("the atoms of a constant-recursion law", syms)

    z2 = is_zero(c2)
    if z2 is None:
        raise undetermined()
    if z2:
        z1 = is_zero(c1)
        if z1 is None:
            raise undetermined()
        ys = [] if z1 else [-c0 / c1]
    else:
        disc = sp.expand(c1**2 - 4 * c2 * c0)
        pos = truth(disc > 0)
        if pos is None:
            if is_zero(disc):
                pos = False
            else:
                raise undetermined()
        ys = [(-c1 - sp.sqrt(disc)) / (2 * c2), (-c1 + sp.sqrt(disc)) / (2 * c2)] if pos else []
    out = []
    for y in ys:
        h = y / w1
        phys = truth(b * h**2 < 1)
        if phys is None:
            raise undetermined()
        if phys:
            mass = (1 - b * h**2) / (1 + (w1 - b) * h**2)
            out.append(Atom(tidy(a0 + y), tidy(mass)))
    try:
        out.sort(key=lambda at: float(at.location))
    except TypeError:
        out.sort(key=lambda at: sp.default_sort_key(at.location))
    return out


def primitive_poly(expr: Any, G: Any, z: Any) -> sp.Poly:
    """The polynomial expr in (G, z), without a common monomial factor and content, leading
    coefficient > 0 (when G and z are symbols and the coefficients are numbers).

    Examples
    --------
    >>> import sympy as sp
    >>> G, z = sp.symbols("G z")
    >>> primitive_poly(-2 * G**2 * z + 4 * G * z, G, z).as_expr()
    G - 2
    """
    poly = sp.Poly(sp.expand(expr), G, z)
    if not (isinstance(G, sp.Symbol) and isinstance(z, sp.Symbol)):
        return poly
    _, poly = poly.terms_gcd()  # drop a common factor G^i z^j
    if not poly.free_symbols - {G, z}:
        _, poly = poly.primitive()
        if poly.LC() < 0:
            poly = -poly
    return poly


def jacobi_params(a0: Any, w1: Any, a: Any, b: Any, be: Backend, num: Any) -> tuple:
    """Numeric parameters (a0, w1, a, b, 2 sqrt b, band ends, lead, roots of Q) at ``be``;
    Q(x) = lead * prod (x - root), the factored form being accurate next to its real roots.
    ``num(value, be)`` converts an exact value.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.kernels.backend import NP
    >>> p = jacobi_params(0, 1, 0, 1, NP, lambda q, be: float(sp.sympify(q)))
    >>> p[5:8], p[8]          # the semicircle: band [-2, 2], Q = 1
    ((-2.0, 2.0, 1.0), [])
    """
    c2, c1 = b - w1, -w1 * (a0 - a)
    if is_zero(c2):
        lead, roots = (c1, [a0 - w1**2 / c1]) if not is_zero(c1) else (w1**2, [])
    else:
        disc = c1**2 - 4 * c2 * w1**2
        roots = [a0 + (-c1 - sp.sqrt(disc)) / (2 * c2), a0 + (-c1 + sp.sqrt(disc)) / (2 * c2)]
        lead = c2
    r = 2 * sp.sqrt(b)
    return (tuple(num(q, be) for q in (a0, w1, a, b, r, a - r, a + r, lead))
            + ([num(q, be) for q in roots],))


def _q(params: tuple, x: Any) -> Any:
    *_, lead, roots = params
    q = lead
    for rt in roots:
        q = q * (x - rt)
    return q


def jacobi_gh(params: tuple, z: Any, be: Backend) -> tuple:
    """(G, H, zeta, s) of the continued fraction at z: zeta = z - a,
    s = sqrt(zeta - 2 sqrt b) sqrt(zeta + 2 sqrt b), H = 2/(zeta + s), G = 1/(z - a0 - w1 H).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.kernels.backend import NP
    >>> p = jacobi_params(0, 1, 0, 1, NP, lambda q, be: float(sp.sympify(q)))
    >>> complex(jacobi_gh(p, 2.5 + 0j, NP)[0])       # semicircle: (z - sqrt(z^2 - 4))/2 = 1/2
    (0.5+0j)
    """
    a0, w1, a, b, r, *_ = params
    zeta = z - a
    s = be.sqrt(zeta - r) * be.sqrt(zeta + r)
    H = 2 / (zeta + s)
    D = z - a0 - w1 * H
    # next to an atom D -> 0 cancels: there D = Q/(b Dt) with Dt on the other sheet
    # (D Dt = Q/b), Q in factored form; used where |D| < |Dt|
    Dt = z - a0 - w1 * (zeta + s) / (2 * b)
    G = where(abs(D) < abs(Dt), lambda: b * Dt / _q(params, z), lambda: 1 / D, be)
    return G, H, zeta, s


def jacobi_density(params: tuple, x: Any, be: Backend) -> Any:
    """w1 sqrt((hi - x)(x - lo))/(2 pi Q(x)) on the band, 0 elsewhere.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from freealg.kernels.backend import NP
    >>> p = jacobi_params(0, 1, 0, 1, NP, lambda q, be: float(sp.sympify(q)))
    >>> jacobi_density(p, np.array([0.0, 3.0]), NP)         # 1/pi at 0
    array([0.31830989, 0.        ])
    """
    a0, w1, a, b, r, lo, hi, *_ = params
    return on((x > lo) & (x < hi), lambda t: w1 * rsqrt((hi - t) * (t - lo), be)
              / (2 * be.pi * be.real(_q(params, t))), x, be)
