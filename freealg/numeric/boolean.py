"""Boolean and monotone additive convolutions: exact moments, algebraic curves, atoms and the
Newton-system hooks, on duck-typed laws (anything with ``moments``, ``curve``, ``_gpsi_dual``).

With F = 1/G the reciprocal Cauchy transform (F(z) = z - B(z), B the B-transform, also called
the self-energy; eta(u) = 1 - u F(1/u) is the eta-transform):

* Boolean convolution (Speicher-Woroudi 1997): F_{mu ⊎ nu}(z) = F_mu(z) + F_nu(z) - z, so the
  Boolean cumulants b_n (F(z) = z - sum_n b_n z^(1-n)) add;
* Boolean powers: F_{mu^{⊎t}} = t F_mu + (1 - t) z, t >= 0 (b_n multiply by t);
* monotone convolution (Muraki 2000, 2001): F_{mu ▷ nu} = F_mu ∘ F_nu, so
  G_{mu ▷ nu}(z) = G_mu(F_nu(z)) = sum_k m_k(mu) G_nu(z)^(k+1).

Moments and Boolean cumulants: M(u) = 1/(1 - B(u)) with M(u) = sum_n m_n u^n and
B(u) = sum_n b_n u^n, i.e. m_n = sum_{k=1}^n b_k m_{n-k} (a sum over interval partitions).

Support hulls [derived]: for real x right of the hulls of mu and nu, F_mu(x) >= x - hi_mu (as
G_mu(x) <= 1/(x - hi_mu)) and F' >= 1 there (Cauchy-Schwarz), so F_{mu ⊎ nu} has no zero and
the law no mass right of max(hi_mu, hi_nu, hi_mu + hi_nu); likewise for the other side, for
powers (max(hi, t hi)) and for mu ▷ nu (max(hi_nu, hi_mu + hi_nu)).

Atoms of a law with algebraic curve P(z, G) = sum_k a_k(z) G^k of degree d in G: the true branch
has a pole at x0 (an atom) only where a_d(x0) = 0; at a simple root, with a_{d-1}(x0) != 0, the
branch through G = infinity has the residue -a_{d-1}(x0)/a_d'(x0) [derived: F = 1/G solves
F^d P(z, 1/F) = 0 and F(x0) = 0]. That the true branch is the one with the pole is confirmed
numerically from the law's own G (:func:`curve_atoms`).

This engine module works on sympy values, plain numbers and duck-typed laws: it does not import
``freealg.laws``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import FreeAlgError, InvalidParameterError
from .curve import _select_factor
from .jacobi import primitive_poly, tidy
from .records import Atom

__all__ = ["boolean_cumulants", "boolean_from_moments", "moments_from_boolean",
           "monotone_moments", "boolean_gpsi",
           "monotone_gpsi", "power_gpsi", "boolean_curve", "monotone_curve", "power_curve",
           "curve_atoms", "scan_atoms", "eta_transform"]

_G, _z = sp.symbols("G z")


def boolean_from_moments(moments: Sequence[Any]) -> list:
    """Boolean cumulants b_1..b_n from the moments m_1..m_n (exact when these are).

    Examples
    --------
    >>> boolean_from_moments([0, 1, 0, 2, 0, 5])    # semicircle: b_{2k+2} = Catalan(k)
    [0, 1, 0, 1, 0, 2]
    """
    m = [sp.S.One] + [sp.sympify(v) for v in moments]
    b: list = []
    for n in range(1, len(m)):
        b.append(sp.expand(m[n] - sum(b[k - 1] * m[n - k] for k in range(1, n))))
    return b


def moments_from_boolean(b: Sequence[Any]) -> list:
    """Moments m_1..m_n from the Boolean cumulants b_1..b_n: m_n = sum_k b_k m_{n-k}.

    Examples
    --------
    >>> moments_from_boolean([0, 1, 0, 0])       # Bernoulli +-1: b_2 = 1 only
    [0, 1, 0, 1]
    """
    m = [sp.S.One]
    for n in range(1, len(b) + 1):
        m.append(sp.expand(sum(sp.sympify(b[k - 1]) * m[n - k] for k in range(1, n + 1))))
    return m[1:]


def monotone_moments(m_mu: Sequence[Any], m_nu: Sequence[Any]) -> list:
    """Moments of mu ▷ nu from those of mu and nu (same length n): the coefficients of
    G(z) = sum_k m_k(mu) G_nu(z)^(k+1) in u = 1/z.

    Examples
    --------
    >>> monotone_moments([0, 1, 0, 2], [0, 1, 0, 2])     # semicircle ▷ semicircle
    [0, 2, 0, 7]
    """
    n = len(m_mu)
    u = sp.Symbol("u")
    g_nu = sp.Poly(u + sum(sp.sympify(m) * u ** (k + 2) for k, m in enumerate(m_nu)), u)
    mm = [sp.S.One] + [sp.sympify(v) for v in m_mu]

    def trunc(p):
        return sp.Poly(sum(c * u**e for (e,), c in p.terms() if e <= n + 1), u)

    acc, power = sp.Poly(0, u), g_nu
    for k in range(n + 1):
        acc += power * mm[k]
        power = trunc(power * g_nu)
    return [sp.expand(acc.coeff_monomial(u ** (k + 2))) for k in range(n)]


def _check_law(name: str, law: Any) -> Any:
    if not (hasattr(law, "moments") and hasattr(law, "cauchy_expr")):
        raise InvalidParameterError(name, law, "must be a freealg Law")
    return law


def boolean_cumulants(law: Any, n: int) -> list:
    """Boolean cumulants b_1..b_n of a law: F(z) = 1/G(z) = z - sum_n b_n z^(1-n) (exact for
    exact moments; Speicher-Woroudi 1997).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.boolean_cumulants(fa.semicircle(1), 6)
    [0, 1, 0, 1, 0, 2]
    """
    return boolean_from_moments(_check_law("law", law).moments(n))


def eta_transform(law: Any, u: Any = None) -> Any:
    """The eta-transform eta(u) = 1 - u F(1/u) = sum_n b_n u^n of a law (sympy; None when the
    law has no closed-form Cauchy transform).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.eta_transform(fa.discrete([-1, 1]))                 # the Boolean Gaussian
    u**2
    """
    u = sp.Symbol("u") if u is None else sp.sympify(u)
    G = _check_law("law", law).cauchy_expr(1 / u)
    return None if G is None else sp.simplify(1 - u / G)


# --------------------------------------------------------------------------------------------
# Newton-system hooks: (G, psi) as Duals, children's unknowns in turn


def boolean_gpsi(mu: Any, nu: Any, zeta: Any, w: Sequence[Any], be: Any, ctx: Any) -> tuple:
    """mu ⊎ nu: G = 1/(1/G_mu + 1/G_nu - zeta), psi = zeta G - 1."""
    k = mu._nunk
    g1 = mu._gpsi_dual(zeta, w[:k], be, ctx)[0]
    g2 = nu._gpsi_dual(zeta, w[k:k + nu._nunk], be, ctx)[0]
    with np.errstate(divide="ignore", invalid="ignore"):   # G_mu = 0 or a pole on the axis
        G = 1 / (1 / g1 + 1 / g2 - zeta)
    return G, zeta * G - 1


def power_gpsi(mu: Any, t: Any, zeta: Any, w: Sequence[Any], be: Any, ctx: Any) -> tuple:
    """mu^{⊎t}: G = 1/(t/G_mu + (1 - t) zeta), psi = zeta G - 1."""
    g = mu._gpsi_dual(zeta, w, be, ctx)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        G = 1 / (t / g + (1 - t) * zeta)
    return G, zeta * G - 1


def monotone_gpsi(mu: Any, nu: Any, zeta: Any, w: Sequence[Any], be: Any, ctx: Any) -> tuple:
    """mu ▷ nu: G = G_mu(F_nu(zeta)), F_nu = 1/G_nu (in the closed upper half plane)."""
    k = mu._nunk
    g2 = nu._gpsi_dual(zeta, w[k:k + nu._nunk], be, ctx)[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        G = mu._gpsi_dual(1 / g2, w[:k], be, ctx)[0]
    return G, zeta * G - 1


# --------------------------------------------------------------------------------------------
# algebraic curves


def _pick(expr: Any, moments: Sequence[Any], what: str) -> sp.Poly:
    return primitive_poly(_select_factor(sp.expand(expr), _G, _z, moments, None, what).as_expr(),
                          _G, _z)


def _std(P: sp.Poly) -> sp.Expr:
    g, z = P.gens
    return P.as_expr().subs({g: _G, z: _z}, simultaneous=True)


def boolean_curve(P_mu: sp.Poly, P_nu: sp.Poly, moments: Sequence[Any]) -> sp.Poly:
    """Curve of mu ⊎ nu in (G, z): 1/G = 1/g1 + 1/g2 - z with P_mu(g1, z) = P_nu(g2, z) = 0
    (resultant in g1; the factor the exact ``moments`` select).

    Examples
    --------
    >>> import sympy as sp
    >>> G, z = sp.symbols("G z")
    >>> sc = sp.Poly(G**2 - z*G + 1, G, z)
    >>> boolean_curve(sc, sc, [0, 2, 0, 6, 0, 20]).as_expr()      # arcsine on [-2, 2]
    G**2*z**2 - 4*G**2 - 1
    """
    g1 = sp.Dummy("g1")
    A = _std(P_mu).subs(_G, g1)
    # g2 = 1/(1/G - 1/g1 + z) = G g1/(g1 - G + z G g1)
    B = sp.numer(sp.together(_std(P_nu).subs(_G, _G * g1 / (g1 - _G + _z * _G * g1))))
    return _pick(sp.resultant(sp.expand(A), sp.expand(B), g1), moments,
                 "Boolean convolution")


def monotone_curve(P_mu: sp.Poly, P_nu: sp.Poly, moments: Sequence[Any]) -> sp.Poly:
    """Curve of mu ▷ nu in (G, z): P_mu(G, 1/g2) = 0 with P_nu(g2, z) = 0 (resultant in g2).

    Examples
    --------
    >>> import sympy as sp
    >>> G, z = sp.symbols("G z")
    >>> arc = sp.Poly(G**2*z**2 - 4*G**2 - 1, G, z)         # arcsine on [-2, 2], variance 2
    >>> monotone_curve(arc, arc, [0, 4, 0, 24]).as_expr()    # arcsine of variance 4 (Muraki)
    G**2*z**2 - 8*G**2 - 1
    """
    g2 = sp.Dummy("g2")
    A = sp.numer(sp.together(_std(P_mu).subs(_z, 1 / g2)))
    B = _std(P_nu).subs(_G, g2)
    return _pick(sp.resultant(sp.expand(A), sp.expand(B), g2), moments, "monotone convolution")


def power_curve(P_mu: sp.Poly, t: Any, moments: Sequence[Any]) -> sp.Poly:
    """Curve of mu^{⊎t}: G_mu = t G/(1 - (1 - t) z G) substituted into P_mu.

    Examples
    --------
    >>> import sympy as sp
    >>> G, z = sp.symbols("G z")
    >>> sc = sp.Poly(G**2 - z*G + 1, G, z)
    >>> power_curve(sc, 2, [0, 2, 0, 6]).as_expr()             # sc ⊎ sc
    G**2*z**2 - 4*G**2 - 1
    """
    expr = sp.numer(sp.together(_std(P_mu).subs(_G, t * _G / (1 - (1 - t) * _z * _G))))
    return _pick(expr, moments, "Boolean power")


# --------------------------------------------------------------------------------------------
# atoms


def _residue(sub: sp.Poly, dlead: sp.Poly, x0: Any) -> Any:
    """-sub(x0)/dlead(x0) exactly (None if dlead(x0) = 0): for an algebraic x0 given as a
    ``CRootOf`` of the irreducible f, as a polynomial in x0 of degree < deg f (the inverse of
    dlead modulo f), which stays short where simplifying the quotient is slow."""
    if not isinstance(x0, sp.CRootOf):
        dv = dlead.eval(x0)
        return None if dv == 0 else tidy(-sub.eval(x0) / dv)
    f = x0.poly
    x = f.gen
    D = sp.Poly(dlead.as_expr().subs(dlead.gen, x), x).rem(f)
    if D.is_zero:
        return None
    N = sp.Poly(-sub.as_expr().subs(sub.gen, x), x)
    r = (N * sp.Poly(sp.invert(D.as_expr(), f.as_expr(), x), x)).rem(f)
    return r.as_expr().subs(x, x0)


def curve_atoms(P: sp.Poly, cauchy: Callable[[Any, int], Any], scale: float = 1.0) -> list:
    """Atoms of the law whose Cauchy transform solves the curve ``P`` in (G, z) (see the module
    docstring): each real simple root x0 of the leading coefficient a_d with residue
    m = -a_{d-1}(x0)/a_d'(x0) in (0, 1] is kept when the law's own ``cauchy(z, dps)`` confirms
    the pole (i y G(x0 + i y) = m to 1e-6 m at y = 1e-10 scale, 50 digits). Exact locations
    (radicals or ``CRootOf``) and masses.

    Examples
    --------
    >>> import sympy as sp
    >>> G, z = sp.symbols("G z")
    >>> P = sp.Poly((z**2 - 1) * G - z, G, z)                  # (delta_-1 + delta_1)/2
    >>> curve_atoms(P, lambda q, dps: q / (q**2 - 1))
    [Atom(location=-1, mass=1/2, error=0), Atom(location=1, mass=1/2, error=0)]
    """
    g, z = P.gens
    d = P.degree(g)
    coeffs = [sp.Poly(P.as_expr().coeff(g, k), z) for k in range(d + 1)]
    lead, sub = coeffs[d], coeffs[d - 1]
    if lead.degree() < 1:
        return []
    dlead = lead.diff(z)
    roots = lead.real_roots()
    out = [(r, roots.count(r)) for r in dict.fromkeys(roots)]
    atoms = []
    for x0, mult in out:
        if mult != 1:
            continue
        mass = _residue(sub, dlead, x0)
        if mass is None:
            continue
        try:
            mf = float(sp.N(mass, 30))
        except TypeError:
            continue
        if not (1e-300 < mf <= 1 + 1e-12):
            continue
        with mpmath.workdps(50):
            xf = mpmath.mpf(str(sp.N(x0, 60)))
            # y well above the float64 error of laws with float parameters (their poles move
            # by ~1e-17): i y G = m (1 + O(delta/y)) + O(y) near a pole, O(y) elsewhere
            y = mpmath.mpf(10) ** -10 * max(scale, 1e-10)
            try:
                val = mpmath.mpc(0, y) * cauchy(mpmath.mpc(xf, y), 50)
            except (FreeAlgError, ZeroDivisionError, ValueError):
                continue
            if abs(val - mf) > 1e-6 * mf:
                continue
        atoms.append(Atom(x0, mass))
    atoms.sort(key=lambda a: float(sp.N(a.location)))
    return atoms


def scan_atoms(law: Any, hull: tuple, dps: int = 30, n: int = 4001) -> list:
    """Atoms of a law without an algebraic curve, found numerically: the real zeros of
    F = 1/G(x + i0) where G is real (outside the bands), bracketed by a sign change from - to +
    on an ``n``-point grid over ``hull`` (F increases through a zero: F' = 1/mass > 0), then
    bisected on the law's own ``cauchy`` at ``dps`` digits. The mass is the residue
    i y G(x0 + i y) = m + O(y^2) at y = 10^-(dps/2) (the error: its change from
    y = 10^-(dps/3), at least 10^-dps); the location is bisected to 10^-(dps+2). Two
    singularities of F closer than the grid step can hide an atom: ``support()``'s mass audit
    catches the missing mass.

    Examples
    --------
    >>> import numpy as np
    >>> class Two:                          # (delta_-1 + delta_1)/2: G = z/(z^2 - 1)
    ...     def _cauchy_np(self, z):
    ...         return z / (z * z - 1)
    ...     def cauchy(self, z, dps=30):
    ...         return z / (z * z - 1)
    >>> [(float(a.location), float(a.mass)) for a in scan_atoms(Two(), (-1, 1))]
    [(-1.0, 0.5), (1.0, 0.5)]
    """
    lo, hi = (float(v) for v in hull)
    width = max(hi - lo, 1e-12)
    x = np.linspace(lo - 1e-3 * width, hi + 1e-3 * width, n)
    with np.errstate(all="ignore"):
        G = np.asarray(law._cauchy_np(x + 0j), dtype=complex)
        F = 1 / G
        real = np.abs(G.imag) <= 1e-9 * np.abs(G) + 1e-300
        Fr = np.where(real, F.real, np.nan)
    out = []
    for i in range(n - 1):
        a, b = Fr[i], Fr[i + 1]
        if not (np.isfinite(a) or np.isfinite(b)) or np.isnan(a) or np.isnan(b):
            if not (np.isinf(G[i]) or np.isinf(G[i + 1])):
                continue
        if np.isinf(G[i]) and i > 0:
            continue          # counted with the cell that ends at this grid point
        if not (a < 0 <= b or np.isinf(G[i + 1]) or np.isinf(G[i])):
            continue
        found = _refine(law, mpmath.mpf(x[i]), mpmath.mpf(x[i + 1]), dps, width)
        if found is not None:
            out.append(found)
    return out


def _refine(law: Any, a: Any, b: Any, dps: int, width: float) -> Any:
    wp = dps + 10
    with mpmath.workdps(wp):
        def f(t):
            return mpmath.re(1 / law.cauchy(mpmath.mpc(t, 0), wp))

        fa_, fb = f(a), f(b)
        if not (fa_ <= 0 <= fb):
            return None
        tol = mpmath.mpf(10) ** (-dps - 2) * max(width, 1)
        for _ in range(4 * wp):
            if b - a < tol:
                break
            mid = (a + b) / 2
            fm = f(mid)
            if fm < 0:
                a = mid
            else:
                b = mid
        x0 = (a + b) / 2

        def residue(y):
            return mpmath.re(mpmath.mpc(0, y) * law.cauchy(mpmath.mpc(x0, y), wp))

        # i y G(x0 + i y) = m + O(y^2) in its real part (G = m/(z - x0) + analytic)
        s = max(width, 1)
        m1 = residue(mpmath.mpf(10) ** (-(dps // 3)) * s)
        m = residue(mpmath.mpf(10) ** (-(dps // 2)) * s)
        err = max(abs(m1 - m), mpmath.mpf(10) ** -dps)
        if not (0 < m <= 1 + err) or abs(m1 - m) > 1e-3 * m:
            return None
    with mpmath.workdps(dps):
        return Atom(+x0, +m, float(err))
