"""Free convolutions: ⊞, free additive powers and ⊠ (two factors).

Each law keeps its parameters and exact hooks (moments, free cumulants, R/S transforms, curve,
the atom theorems: Bercovici-Voiculescu 1998 for ⊞, Belinschi 2003 for ⊠, and their
consequence for powers, mu^{⊞t}({t a}) = t mu({a}) - (t - 1)); its unknowns join the one
Newton system of the law tree, whose subordination equations are written in
``freealg.numeric.subordination``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import InvalidParameterError
from ..kernels.backend import NP
from ..numeric import sproduct, subordination as sub
from ..numeric.curve import eliminate_additive, eliminate_multiplicative
from ..numeric.engines import (W, atom_pairs, curve_from_r, curve_from_s, merge_atoms, positive,
                               s_form_product)
from ..transforms import cumulants as cm
from ..numeric.params import parameter
from .base import Law, check, numeric_value
from .catalog import Dirac
from .composite import _Binary, _Composite

__all__ = ["FreeAdditive", "FreeMultiplicative", "FreePower"]


class FreeAdditive(_Binary):
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

    __slots__ = ()
    name = "free_additive"
    _gpsi = staticmethod(sub.additive_gpsi)
    _start = staticmethod(sub.additive_guess)

    def __init__(self, mu: Law, nu: Law):
        for nm, law in (("mu", mu), ("nu", nu)):
            if not isinstance(law, Law):
                raise InvalidParameterError(nm, law, "must be a freealg Law")
        self._init(mu, nu)

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
        return curve_from_r(self.r_transform(W), z, G)

    _eliminate = staticmethod(eliminate_additive)

    def _hull_float(self):
        (a, b), (c, d) = self._args[0]._hull_float(), self._args[1]._hull_float()
        return a + c, b + d

    def atoms(self):
        # Bercovici-Voiculescu 1998: mu⊞nu({a+b}) = mu({a}) + nu({b}) - 1 when positive
        return merge_atoms(p for p in atom_pairs(*self._args, sp.Add) if positive(p[1]))

    def _edge_candidates(self):
        # hard edges where atom masses sum to exactly 1 (boundary case of the atom theorem)
        return [loc for loc, m in atom_pairs(*self._args, sp.Add) if m == 0]


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
        t = parameter("t", t)
        check("t", t, lambda: t >= 1, "free additive powers mu^{⊞t} need t >= 1 (use "
                                      "free_compression for 0 < t < 1)")
        self._init(mu, t)

    @property
    def _nunk(self):
        return 1 + self._args[0]._nunk

    def _free_cumulants_exact(self, n):
        mu, t = self._args
        return [sp.expand(t * k) for k in mu.free_cumulants(n)]

    def r_transform(self, w=None):
        r = self._args[0].r_transform(w)
        return None if r is None else self._args[1] * r

    def _make_params(self, be):
        return (numeric_value(self._args[1], be),)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return sub.power_gpsi(self._args[0], *self._params(be), zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return sub.power_guess(self._args[0], *self._params(be), zeta, be)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        t = float(numeric_value(self._args[1], NP))
        return t * lo, t * hi

    def atoms(self):
        mu, t = self._args
        pairs = []
        for p in mu.atoms():
            m = sp.simplify(t * p.mass - (t - 1))
            if positive(m):
                pairs.append((sp.simplify(t * p.location), m))
        return merge_atoms(pairs)

    def _edge_candidates(self):
        mu, t = self._args
        return [sp.simplify(t * p.location) for p in mu.atoms()
                if sp.simplify(t * p.mass - (t - 1)) == 0]

    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "omega": omega(z)}`` with t omega = z + (t - 1)/G_mu(omega) and
        G = G_mu(omega), at ``dps + 10`` digits."""
        w, G = sub.unknowns(self, z, dps)
        return {"G": G, "omega": w[0]}


class _SProductEdges(Law):
    """Edges of ⊠ products of one-band positive laws from the S-transform on the real axis
    (:mod:`freealg.numeric.sproduct`: one band by theorem, no density scan); the class lists
    its factors as (law, multiplicity) pairs in ``_sfactors``."""

    __slots__ = ()

    def _sfactors(self):
        raise NotImplementedError

    def _sproduct_route(self, method: str | None = None) -> bool:
        """Whether the S-transform module is the route (the default fold strategy)."""
        return method is None and self._default("edges") == "fold"

    def _curve_edges(self, dps: int, method: str | None):
        """The two edges from the S-transform on the real axis (:mod:`freealg.numeric.sproduct`:
        one band by theorem) for the default fold strategy, None where that does not apply."""
        if not self._sproduct_route(method):
            return None
        return self._memo(("sproduct_edges", dps),
                          lambda: sproduct.product_edges(self._sfactors(), dps, self))

    def _edges(self, dps: int, method: str | None = None):
        got = self._curve_edges(dps, method)
        return list(got) if got is not None else super()._edges(dps, method)

    def _bands_proven(self, dps: int, method: str | None = None) -> bool:
        # one band by theorem, no atoms: the mass audit has nothing to find
        return self._curve_edges(dps, method) is not None

    def _exponent_unmeasured(self, edge) -> bool:
        # the left end 0: a float64 slope of the density there is pre-asymptotic (the tanh
        # Jacobian's density still rises at 1e-7 and vanishes at 0) and costs minutes
        return edge.side == "left" and edge.location == 0 and any(
            v for k, v in self._cache.items() if isinstance(k, tuple) and k[0] == "sproduct_edges")


class FreeMultiplicative(_SProductEdges, _Binary):
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

    __slots__ = ()
    name = "free_multiplicative"
    _gpsi = staticmethod(sub.multiplicative_gpsi)
    _start = staticmethod(sub.multiplicative_guess)
    _unknowns_key = "W"

    def __init__(self, mu: Law, nu: Law):
        for nm, law in (("mu", mu), ("nu", nu)):
            _check_positive_factor(nm, law)
        self._init(mu, nu)

    def _sfactors(self):
        return ((self._args[0], 1), (self._args[1], 1))

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
        return curve_from_s(self.s_transform(W), z, G)

    def _cauchy_mp(self, z, dps, method=None):
        if z != 0:
            return super()._cauchy_mp(z, dps, method)
        # z = 0 is singular in the ⊠ equations (they divide by z)
        return sub.cauchy_mp_at_zero(self, dps, method, super()._cauchy_mp)

    def _s_form(self):
        return s_form_product(self, ((law, 1) for law in self._args))

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
        pairs += [p for p in atom_pairs(mu, nu, sp.Mul, skip_zero=True) if positive(p[1])]
        return merge_atoms(pairs)

    def _edge_candidates(self):
        return [sp.S.Zero] + [loc for loc, m in atom_pairs(*self._args, sp.Mul) if m == 0]


def _check_positive_factor(nm, law):
    if not isinstance(law, Law):
        raise InvalidParameterError(nm, law, "must be a freealg Law")
    if law.is_positive() is False:
        raise InvalidParameterError(nm, law, "⊠ needs laws supported on [0, inf); this one "
                                             "has mass below 0")
    if isinstance(law, Dirac) and law.args[0] == 0:
        raise InvalidParameterError(nm, law, "⊠ with delta_0 is trivial (delta_0); the "
                                             "S-transform is undefined")
