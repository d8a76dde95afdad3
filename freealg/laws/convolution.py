"""Free convolutions and derived laws, composable to any depth.

Every composite law contributes unknowns (subordination functions) to one Newton system that
is continued from z = x + iY down to the real axis (``freealg.kernels.continuation``), so that
((mu ⊠ nu) ⊞ rho) ⊠ sigma is solved as a single system with a single, continuously tracked
branch; no nested solves.

Subordination equations used (conventions of ``docs/conventions.md``):

* ⊞ (Voiculescu 1993; Biane 1998; Belinschi-Bercovici 2007):
  F_mu(w1) = F_nu(w2) = w1 + w2 - z,  G = G_mu(w1),  w_i ~ z at infinity.
* mu^{⊞t}, t >= 1 (from R_{mu^{⊞t}} = t R_mu): t w = z + (t - 1) F_mu(w),  G = G_mu(w).
* ⊠ in the z variable (Biane 1998; Belinschi-Bercovici 2007, with w -> 1/w): with
  eta_mu(w) = 1 - 1/(w G_mu(w)):  eta_mu(W1) = eta_nu(W2) = eta,  W1 W2 eta = z,
  z G(z) = W1 G_mu(W1),  W1 ~ z/m_1(nu), W2 ~ z/m_1(mu).
* compression by a free projection of trace t (Nica-Speicher 1996): D_t(mu^{⊞1/t}).

Atoms come from the exact theorems (Bercovici-Voiculescu 1998 for ⊞; Belinschi 2003 for ⊠;
their consequence for powers: mu^{⊞t}({t a}) = t mu({a}) - (t - 1)).
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from ..errors import InvalidParameterError
from ..kernels.backend import NP
from ..numeric.curve import eliminate_additive, eliminate_multiplicative
from ..numeric.stransform import s_product
from ..transforms import cumulants as cm
from .base import OPERATIONS, Law, check, numeric_value
from .catalog import Dirac
from .composite import (_G, _Composite, _curve_from_r, _merge_atoms, _positive, _primitive, _w,
                        _z)

__all__ = ["FreeAdditive", "FreeMultiplicative", "FreePower", "free_additive",
           "free_multiplicative", "free_power"]

def _paren(law) -> str:
    """LaTeX of a law, parenthesised when it is a binary operation (``_infix`` laws)."""
    t = law._latex(None)
    return rf"\left({t}\right)" if getattr(law, "_infix", False) else t


class FreeAdditive(_Composite):
    """Free additive convolution mu ⊞ nu (law of a + b for free a, b).

    Examples
    --------
    >>> import freealg as fa
    >>> rho = fa.free_additive(fa.semicircle(1), fa.semicircle(2))
    >>> rho.moments(4)                       # semicircle of variance 3
    [0, 3, 0, 18]
    >>> float(rho.density(0.0))              # 1/(pi sqrt 3)
    0.18377629847393068
    """

    _infix = True

    __slots__ = ()
    _argnames = ("mu", "nu")
    name = "free_additive"

    def __init__(self, mu: Law, nu: Law):
        for nm, law in (("mu", mu), ("nu", nu)):
            if not isinstance(law, Law):
                raise InvalidParameterError(nm, law, "must be a freealg Law")
        self._init(mu, nu)

    @property
    def _symmetric(self):
        return self._args[0] == self._args[1]

    @property
    def _nunk(self):
        mu, nu = self._args
        if self._symmetric:
            return 1 + mu._nunk
        return 2 + mu._nunk + nu._nunk

    def _latex(self, printer=None):
        return rf"{_paren(self._args[0])} \boxplus {_paren(self._args[1])}"

    def _free_cumulants_exact(self, n):
        mu, nu = self._args
        return [sp.expand(a + b) for a, b in zip(mu.free_cumulants(n), nu.free_cumulants(n))]

    def r_transform(self, w=None):
        a, b = (law.r_transform(w) for law in self._args)
        return None if a is None or b is None else sp.simplify(a + b)

    def curve(self, z=None, G=None):
        """Algebraic curve from the R-transform: G(R(G) + 1/G) = G, i.e. R(G) + 1/G = z.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_additive(fa.semicircle(1), fa.free_poisson(1)).curve().as_expr()
        G**3 - G**2*z - G**2 + G*z - 1
        """
        return _curve_from_r(self.r_transform(_w), z, G)

    def _g_dual(self, zeta, w, be, ctx):
        return self._gpsi_dual(zeta, w, be, ctx)[0]

    def _gpsi_dual(self, zeta, w, be, ctx):
        mu, nu = self._args
        if self._symmetric:  # mu ⊞ mu = mu^{⊞2}: the reduced equation (MATH.md §2 pitfall)
            return _power_dual(mu, 2, zeta, w, be, ctx)
        na = mu._nunk
        o1, o2 = w[0], w[1]
        Ga, psa = mu._gpsi_dual(o1, w[2:2 + na], be, ctx)
        Gb = nu._g_dual(o2, w[2 + na:], be, ctx)
        s = o1 + o2 - zeta
        # residuals normalised by the constant 1 + |z| (Newton is invariant under that; the
        # convergence test on |F| then means a relative accuracy)
        c = _norm_const(zeta, be)
        ctx.res.append((1 / Ga - s) * c)
        ctx.res.append((1 / Gb - s) * c)
        # z G - 1 = psi_mu(w1) + (z - w1) G_mu(w1)
        return Ga, psa + (zeta - o1) * Ga

    def _guess(self, zeta, be):
        mu, nu = self._args
        if self._symmetric:
            return _power_guess(mu, 2, zeta, be)
        o1 = zeta - nu._mean_float()
        o2 = zeta - mu._mean_float()
        return [o1, o2] + mu._guess(o1, be) + nu._guess(o2, be)

    _eliminate = staticmethod(eliminate_additive)

    def _hull_float(self):
        (a, b), (c, d) = self._args[0]._hull_float(), self._args[1]._hull_float()
        return a + c, b + d

    def atoms(self):
        # Bercovici-Voiculescu 1998: mu⊞nu({a+b}) = mu({a}) + nu({b}) - 1 when positive
        mu, nu = self._args
        pairs = []
        for p in mu.atoms():
            for q in nu.atoms():
                m = sp.simplify(p.mass + q.mass - 1)
                if _positive(m):
                    pairs.append((p.location + q.location, m))
        return _merge_atoms(pairs)

    def _edge_candidates(self):
        # hard edges where atom masses sum to exactly 1 (boundary case of the atom theorem)
        mu, nu = self._args
        out = []
        for p in mu.atoms():
            for q in nu.atoms():
                if sp.simplify(p.mass + q.mass - 1) == 0:
                    out.append(p.location + q.location)
        return out


    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "omega": (omega_mu(z), omega_nu(z))}`` with G = G_mu(omega_mu) =
        G_nu(omega_nu) (equal omegas for mu ⊞ mu), at ``dps + 10`` digits."""
        from ..numeric.unknowns import solve_unknowns_mp

        w, G = solve_unknowns_mp(self._system(), z, dps)
        return {"G": G, "omega": (w[0], w[0]) if self._symmetric else (w[0], w[1])}

def _norm_const(zeta, be):
    """1/(1 + |zeta|) as a plain number (not a Dual): a constant residual scale."""
    return 1 / (1 + be.abs(zeta.v))


def _power_dual(mu, t, zeta, w, be, ctx):
    om = w[0]
    Ga, psa = mu._gpsi_dual(om, w[1:], be, ctx)
    ctx.res.append((t * om - zeta - (t - 1) / Ga) * _norm_const(zeta, be))
    return Ga, psa + (zeta - om) * Ga


def _power_guess(mu, t, zeta, be):
    om = zeta - (t - 1) * mu._mean_float()
    return [om] + mu._guess(om, be)


class FreePower(_Composite):
    """Free additive power mu^{⊞t}, t >= 1 (R_{mu^{⊞t}} = t R_mu).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_power(fa.bernoulli(sp.Rational(1, 2)), 2).moments(3)   # arcsine on [0, 2]
    [1, 3/2, 5/2]
    """

    __slots__ = ()
    _argnames = ("mu", "t")
    name = "free_power"

    def __init__(self, mu: Law, t: Any):
        t = sp.sympify(t)
        check("t", t, lambda: t >= 1, "free additive powers mu^{⊞t} need t >= 1 (use "
                                      "free_compression for 0 < t < 1)")
        self._init(mu, t)

    @property
    def _nunk(self):
        return 1 + self._args[0]._nunk

    def _latex(self, printer=None):
        mu, t = self._args
        return rf"\left({mu._latex(None)}\right)^{{\boxplus {sp.latex(t)}}}"

    def _free_cumulants_exact(self, n):
        mu, t = self._args
        return [sp.expand(t * k) for k in mu.free_cumulants(n)]

    def r_transform(self, w=None):
        r = self._args[0].r_transform(w)
        return None if r is None else self._args[1] * r

    def _make_params(self, be):
        return (numeric_value(self._args[1], be),)

    def _g_dual(self, zeta, w, be, ctx):
        return self._gpsi_dual(zeta, w, be, ctx)[0]

    def _gpsi_dual(self, zeta, w, be, ctx):
        (t,) = self._params(be)
        return _power_dual(self._args[0], t, zeta, w, be, ctx)

    def _guess(self, zeta, be):
        (t,) = self._params(be)
        return _power_guess(self._args[0], t, zeta, be)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        t = float(numeric_value(self._args[1], NP))
        return t * lo, t * hi

    def atoms(self):
        mu, t = self._args
        pairs = []
        for p in mu.atoms():
            m = sp.simplify(t * p.mass - (t - 1))
            if _positive(m):
                pairs.append((sp.simplify(t * p.location), m))
        return _merge_atoms(pairs)

    def _edge_candidates(self):
        mu, t = self._args
        return [sp.simplify(t * p.location) for p in mu.atoms()
                if sp.simplify(t * p.mass - (t - 1)) == 0]


    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "omega": omega(z)}`` with t omega = z + (t - 1)/G_mu(omega) and
        G = G_mu(omega), at ``dps + 10`` digits."""
        from ..numeric.unknowns import solve_unknowns_mp

        w, G = solve_unknowns_mp(self._system(), z, dps)
        return {"G": G, "omega": w[0]}

class FreeMultiplicative(_Composite):
    """Free multiplicative convolution mu ⊠ nu of laws on [0, inf) (law of a^{1/2} b a^{1/2}).

    Examples
    --------
    >>> import freealg as fa
    >>> fc = fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1))
    >>> fc.moments(4)                        # Fuss-Catalan: binom(3n, n)/(2n + 1)
    [1, 3, 12, 55]
    >>> fa.free_multiplicative(fa.semicircle(1), fa.free_poisson(1))
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid mu=semicircle(variance=1, mean=0): ⊠ needs laws
    supported on [0, inf); this one has mass below 0
    """

    _infix = True

    __slots__ = ()
    _argnames = ("mu", "nu")
    name = "free_multiplicative"

    def __init__(self, mu: Law, nu: Law):
        for nm, law in (("mu", mu), ("nu", nu)):
            _check_positive_factor(nm, law)
        self._init(mu, nu)

    @property
    def _symmetric(self):
        return self._args[0] == self._args[1]

    @property
    def _nunk(self):
        mu, nu = self._args
        if self._symmetric:
            return 1 + mu._nunk
        return 2 + mu._nunk + nu._nunk

    def _latex(self, printer=None):
        return rf"{_paren(self._args[0])} \boxtimes {_paren(self._args[1])}"

    def _moments_exact(self, n):
        mu, nu = self._args
        return cm.multiplicative_moments(mu.moments(n), nu.moments(n))

    def s_transform(self, z=None):
        a, b = (law.s_transform(z) for law in self._args)
        return None if a is None or b is None else sp.simplify(a * b)

    def curve(self, z=None, G=None):
        """Algebraic curve from the S-transform: chi(m) = m S(m)/(1 + m) = 1/z, m = zG - 1.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_multiplicative(fa.free_poisson(1), fa.free_poisson(1)).curve().as_expr()
        G**3*z**2 - G*z + 1
        """
        S = self.s_transform(_w)
        if S is None:
            return None
        z = _z if z is None else sp.sympify(z)
        G = _G if G is None else sp.sympify(G)
        m = z * G - 1
        expr = sp.together(m * S.subs(_w, m) / (1 + m) - 1 / z)
        num = sp.numer(expr)
        if not num.is_polynomial(G, z):
            return None
        return sp.Poly(_primitive(sp.expand(num), G, z), G, z)

    def _g_dual(self, zeta, w, be, ctx):
        return self._gpsi_dual(zeta, w, be, ctx)[0]

    def _gpsi_dual(self, zeta, w, be, ctx):
        # eta = psi/(1 + psi) with psi = W G(W) - 1 evaluated stably by the children (the
        # form 1 - 1/(W G) cancels catastrophically when W is large, e.g. small means)
        mu, nu = self._args
        # (1 + psi = W G is taken from G itself: near z = 0, psi -> -1 and 1 + psi would cancel)
        if self._symmetric:  # symmetric reduction W1 = W2 (MATH.md §3)
            W = w[0]
            Ga, psa = mu._gpsi_dual(W, w[1:], be, ctx)
            WG = W * Ga
            ctx.res.append(W * W * psa / (WG * zeta) - 1)
            return WG / zeta, psa
        na = mu._nunk
        W1, W2 = w[0], w[1]
        Ga, psa = mu._gpsi_dual(W1, w[2:2 + na], be, ctx)
        _, psb = nu._gpsi_dual(W2, w[2 + na:], be, ctx)
        ctx.res.append((psa - psb) / (psa + psb))
        WG = W1 * Ga
        ctx.res.append(W1 * W2 * psa / (WG * zeta) - 1)
        return WG / zeta, psa

    def _cauchy_mp(self, z, dps, method=None):
        if z != 0:
            return super()._cauchy_mp(z, dps, method)
        # z = 0 is singular in the ⊠ equations (they divide by z). When 0 is outside the
        # support, G is analytic there: mean value over a circle, G(conj w) = conj G(w)
        lo, hi = self._hull_float()
        if lo <= 0 <= hi:
            raise InvalidParameterError("z", z, "z = 0 lies in the support hull of this ⊠ law; "
                                                "evaluate at z = i*y, y > 0 instead")
        r = 0.5 * min(abs(lo), abs(hi))
        n = max(32, 3 * dps)
        with mpmath.workdps(dps + 10):
            vals = [mpmath.re(super(FreeMultiplicative, self)._cauchy_mp(
                r * mpmath.expj(mpmath.pi * (k + mpmath.mpf(1) / 2) / n), dps + 10, method))
                for k in range(n)]
            G = mpmath.fsum(vals) / n
        with mpmath.workdps(dps):
            return mpmath.mpc(+G, 0)

    def _guess(self, zeta, be):
        mu, nu = self._args
        if self._symmetric:
            W = zeta / mu._mean_float()
            return [W] + mu._guess(W, be)
        W1 = zeta / nu._mean_float()
        W2 = zeta / mu._mean_float()
        return [W1, W2] + mu._guess(W1, be) + nu._guess(W2, be)

    def _s_form(self):
        def build():
            a, b = (law._s_form() for law in self._args)
            return None if a is None or b is None else s_product(a, b)

        return self._memo("s_form", build)

    _eliminate = staticmethod(eliminate_multiplicative)

    def _hull_float(self):
        (a, b), (c, d) = self._args[0]._hull_float(), self._args[1]._hull_float()
        return max(0.0, a * c), b * d

    def atoms(self):
        # Belinschi 2003: mu⊠nu({0}) = max(mu({0}), nu({0})); ab (a, b > 0) iff masses sum > 1
        mu, nu = self._args
        am, an = mu.atoms(), nu.atoms()
        z0 = sp.Max(sum((p.mass for p in am if p.location == 0), sp.S.Zero),
                    sum((q.mass for q in an if q.location == 0), sp.S.Zero))
        pairs = [(sp.S.Zero, z0)] if z0 != 0 else []
        for p in am:
            for q in an:
                if p.location == 0 or q.location == 0:
                    continue
                m = sp.simplify(p.mass + q.mass - 1)
                if _positive(m):
                    pairs.append((p.location * q.location, m))
        return _merge_atoms(pairs)

    def _edge_candidates(self):
        mu, nu = self._args
        out = [sp.S.Zero]
        for p in mu.atoms():
            for q in nu.atoms():
                if sp.simplify(p.mass + q.mass - 1) == 0:
                    out.append(p.location * q.location)
        return out


    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "W": (W_mu, W_nu)}``, the subordination points with
        psi(z) = psi_mu(W_mu) = psi_nu(W_nu) (psi(z) = z G(z) - 1), at ``dps + 10`` digits."""
        from ..numeric.unknowns import solve_unknowns_mp

        w, G = solve_unknowns_mp(self._system(), z, dps)
        return {"G": G, "W": (w[0], w[0]) if self._symmetric else (w[0], w[1])}


def _check_positive_factor(nm, law):
    if not isinstance(law, Law):
        raise InvalidParameterError(nm, law, "must be a freealg Law")
    if law.is_positive() is False:
        raise InvalidParameterError(nm, law, "⊠ needs laws supported on [0, inf); this one "
                                             "has mass below 0")
    if isinstance(law, Dirac) and law.args[0] == 0:
        raise InvalidParameterError(nm, law, "⊠ with delta_0 is trivial (delta_0); the "
                                             "S-transform is undefined")


# factories ------------------------------------------------------------------------------------


def free_additive(mu: Law, nu: Law) -> Law:
    """mu ⊞ nu, the law of a + b for free a ~ mu, b ~ nu.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_additive(fa.free_poisson(1), fa.free_poisson(2)).free_cumulants(2)
    [3, 3]
    """
    return FreeAdditive(mu, nu)


def free_multiplicative(mu: Law, nu: Law) -> Law:
    """mu ⊠ nu for laws on [0, inf): the law of a^{1/2} b a^{1/2}.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> fa.free_multiplicative(fa.free_poisson(1), fa.bernoulli(sp.Rational(1, 2))).moments(2)
    [1/2, 3/4]
    """
    return FreeMultiplicative(mu, nu)


def free_power(mu: Law, t: Any) -> Law:
    """mu^{⊞t} for t >= 1.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.free_power(fa.semicircle(1), 3).variance
    3
    """
    return FreePower(mu, t)


OPERATIONS.update(free_additive=free_additive, free_multiplicative=free_multiplicative)
