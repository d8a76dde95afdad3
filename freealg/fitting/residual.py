"""The Cauchy transform of a law with symbolic parameters as the root of a residual.

For a law tree with free symbols theta, :func:`residual` writes one sympy expression
F(z, G; theta) that vanishes at G = G(z; theta), the law's Cauchy transform. The numbers
G(z; theta) come from the engine (``law.subs(theta).cauchy(z)``, float64, vectorised); the
exact parameter derivative then follows from the implicit function theorem,

    dG/dtheta = -F_theta / F_G   at (z, G(z; theta)),

with F_G and F_theta the sympy derivatives of the same expression, compiled once. The rules
(each an identity of free probability):

* a leaf with a closed-form Cauchy transform g(z; theta), or a mixture sum_i w_i mu_i of
  such laws (g = sum_i w_i g_i): F = G - g(z);
* a leaf with an algebraic curve P(z, G; theta) = 0: F = P;
* ``affine(mu, s, b)`` (the law of s X + b): G(z) = G_mu((z - b)/s)/s, so
  F = F_mu((z - b)/s, s G);
* ``free_additive(mu, nu)`` with an R-transform R_nu known: the subordination
  G(z) = G_mu(z - R_nu(G(z))) (Biane), so F = F_mu(z - R_nu(G), G);
* ``free_multiplicative(mu, free_poisson(lam, j))``: with c = 1/lam and
  zeta = 1 - c + c z G, G(z) = G_nu(z/zeta)/zeta for nu the law of j lam X, X ~ mu (the
  Marchenko-Pastur / Silverstein equation for T^(1/2) W T^(1/2), W Wishart of ratio c:
  Silverstein and Bai, J. Multivariate Anal. 54 (1995), eq. (1.4), written for G = -m), so
  F = G - G_mu(z/(j lam zeta))/(j lam zeta).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import UndeterminedError
from ..laws import Law
from ..laws.convolution import FreeAdditive, FreeMultiplicative
from ..laws.catalog import FreePoisson
from ..laws.derived import Affine, Mixture

__all__ = ["residual", "r_transform"]


def r_transform(law: Law, w: Any) -> Any:
    """The R-transform of ``law`` at w as a sympy expression, or None when unknown.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> w, s = sp.symbols("w s")
    >>> r_transform(fa.affine(fa.semicircle(1), s, 2), w)
    s**2*w + 2
    """
    if isinstance(law, Affine):
        mu, s, b = law.args
        inner = r_transform(mu, s * w)
        return None if inner is None else b + s * inner
    try:
        return law.r_transform(w)
    except (NotImplementedError, UndeterminedError):
        return None


def residual(law: Law, z: Any, G: Any) -> Any:
    """A sympy expression F(z, G) that vanishes at the Cauchy transform of ``law``.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> z, G, a, v = sp.symbols("z G a v")
    >>> residual(fa.free_additive(fa.dirac(a), fa.semicircle(v)), z, G)
    G - 1/(-G*v - a + z)

    Parameters
    ----------
    law : Law
        May hold free sympy symbols.
    z, G : sympy expressions
        The spectral variable and the value of the Cauchy transform.

    Returns
    -------
    sympy expression

    Raises
    ------
    UndeterminedError
        when no rule above applies (for instance a free product of two laws that have neither
        an R-transform nor a free Poisson factor).
    """
    if isinstance(law, Affine):
        mu, s, b = law.args
        return residual(mu, (z - b) / s, s * G)
    if isinstance(law, FreeAdditive):
        mu, nu = law.args
        for first, second in ((mu, nu), (nu, mu)):
            R = r_transform(second, G)
            if R is not None:
                try:
                    return residual(first, z - R, G)
                except UndeterminedError:
                    continue
        R1, R2 = r_transform(mu, G), r_transform(nu, G)
        if R1 is not None and R2 is not None:
            return z - 1 / G - R1 - R2
    if isinstance(law, FreeMultiplicative):
        mu, nu = law.args
        for first, second in ((mu, nu), (nu, mu)):
            if isinstance(second, FreePoisson):
                lam, j = second.args
                w = sp.Dummy("w")
                g = _explicit(first, w)
                if g is None:
                    continue
                zeta = 1 - 1 / lam + z * G / lam
                arg = j * lam * zeta
                return G - g.xreplace({w: z / arg}) / arg
    g = _explicit(law, z)
    if g is not None:
        return G - g
    try:
        P = law.curve(z, G)
    except (NotImplementedError, UndeterminedError):
        P = None
    if P is not None:
        return P.as_expr() if hasattr(P, "as_expr") else P
    raise UndeterminedError(f"a residual equation for the Cauchy transform of {law} (fitting "
                            "supports closed forms, algebraic curves, affine maps, free sums "
                            "with a known R-transform and free products with a free Poisson "
                            "law)", sorted(law.free_symbols, key=str))


def _explicit(law: Law, z: Any) -> Any:
    """A closed-form Cauchy transform in z, or None: the law's own, an affine map of one
    (G(z) = G_mu((z - b)/s)/s) or a mixture of them (sum_i w_i G_i(z))."""
    if isinstance(law, Affine):
        mu, s, b = law.args
        g = _explicit(mu, (z - b) / s)
        return None if g is None else g / s
    if isinstance(law, Mixture):
        laws, weights = law.args
        parts = [_explicit(m, z) for m in laws]
        if any(g is None for g in parts):
            return None
        return sp.Add(*[w * g for w, g in zip(weights, parts)])
    if isinstance(law, (FreeAdditive, FreeMultiplicative)):
        return None
    try:
        return law.cauchy_expr(z)
    except (NotImplementedError, UndeterminedError, TypeError):
        return None
