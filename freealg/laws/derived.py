"""Laws derived from the free convolutions: free products of many factors, affine maps,
mixtures, compressions by free projections, and the multiplicative exponential law.

Each is a composite law (see ``freealg.laws.composite``): its unknowns join the one Newton
system of the law tree, and the engines of ``freealg.numeric`` apply where they can.
"""

from __future__ import annotations

from typing import Any, Sequence

import mpmath
import sympy as sp

from ..errors import InvalidParameterError
from ..kernels.backend import NP
from ..numeric import subordination as sub
from ..numeric.engines import (Z, W, affine_bands, affine_edges, curve_from_s, merge_atoms,
                               positive, s_form_product)
from ..numeric.stransform import s_compress, s_scale
from ..numeric.sproduct import hull_float
from ..numeric.support import bands_of
from ..transforms import cumulants as cm
from ..numeric.params import parameter
from ..numeric.records import Atom
from .base import Law, check, numeric_value
from .catalog import Dirac
from .composite import _Composite
from .convolution import FreeAdditive, FreePower, _SProductEdges, _check_positive_factor

__all__ = ["FreeProduct", "Affine", "Mixture", "FreeCompression", "MultiplicativeExponential"]


class FreeProduct(_SProductEdges, _Composite):
    """Free multiplicative convolution of many laws, mu_1^{⊠k_1} ⊠ ... ⊠ mu_J^{⊠k_J}.

    S = prod_j S_j^{k_j} (Voiculescu 1987). With m = z G(z) - 1 and W_j defined by
    psi_j(W_j) = W_j G_j(W_j) - 1 = m (so chi_j(m) = 1/W_j), the product rule reads
    prod_j (W_j m/(1+m))^{k_j} = z m/(1+m) [derived from chi_P = prod_j chi_j ((1+m)/m)^{n-1},
    n = sum_j k_j]. The unknowns are m and one W_j per *distinct* factor, so the cost does not
    grow with the multiplicities: the layered Jacobian J J* of depth L is one 2-unknown system.
    The product equation is solved in logarithms, sum_j k_j log r_j - log(z m/(1+m)) = 0 (no
    overflow; the logarithms are continued from z = iY, where every r_j ~ m_1(mu_j) > 0).

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> d = fa.discrete([0, 2], [sp.Rational(1, 2), sp.Rational(1, 2)])   # 2 * ReLU'(h)^2
    >>> jj = fa.free_product([(d, 3)])
    >>> jj.moments(2), jj.atoms()
    ([1, 4], [Atom(location=0, mass=1/2, error=0)])
    """

    __slots__ = ()
    _argnames = ("factors",)
    name = "free_product"

    def __init__(self, factors):
        merged: dict = {}
        order = []
        for item in factors:
            law, k = (item, 1) if isinstance(item, Law) else item
            k = int(k)
            if k < 1:
                raise InvalidParameterError("factors", factors, "multiplicities must be >= 1")
            _check_positive_factor("factors", law)
            if law not in merged:
                order.append(law)
                merged[law] = 0
            merged[law] += k
        if not order:
            raise InvalidParameterError("factors", factors, "need at least one factor")
        self._init(tuple((law, merged[law]) for law in order))

    @property
    def _n(self) -> int:
        return sum(k for _, k in self._args[0])

    @property
    def _nunk(self):
        return 1 + sum(1 + law._nunk for law, _ in self._args[0])

    def _moments_exact(self, n):
        m = None
        for law, k in self._args[0]:
            for _ in range(k):
                m = law.moments(n) if m is None else cm.multiplicative_moments(m, law.moments(n))
        return m

    def s_transform(self, z=None):
        out = sp.S.One
        for law, k in self._args[0]:
            S = law.s_transform(z)
            if S is None:
                return None
            out *= S**k
        return sp.simplify(out)

    def curve(self, z=None, G=None):
        return curve_from_s(self.s_transform(W), z, G)

    def _make_params(self, be):
        logm1 = sum(k * float(mpmath.log(float(numeric_value(law.mean(), NP))))
                    for law, k in self._args[0])
        return (logm1,)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return sub.product_gpsi(self._args[0], self._n, zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return sub.product_guess(self._args[0], *self._params(NP), zeta, be)

    def _s_form(self):
        return s_form_product(self, self._args[0])

    def _curve_degree_bound(self) -> int | None:
        total = sum(abs(k) for _, k in self._args[0])
        return int(total) + 1 if sp.sympify(total).is_number else None

    def _hull_float(self):
        def build():
            # one band [0, r] by theorem where the S-transform edges apply: r from the float64
            # minimum of X (~3x cheaper than the bisection of every psi in product_hull)
            got = self._sproduct_route() and hull_float(self._args[0], self)
            return got or sub.product_hull(self._args[0], self._n)

        return self._memo("hull_float", build)

    def _sfactors(self):
        return self._args[0]

    @property
    def _path_ratio(self) -> float:
        # the product equation has degree ~n in m: its solution bends on a scale ~|z|/n, so
        # the continuation takes geometric steps of ratio 1 - 25/n (0.25 for small n)
        return max(0.25, 1.0 - 25.0 / self._n)

    @property
    def _scale(self) -> float:
        return sub.product_scale(self._args[0], self._n, self._params(NP)[0], self._hull_float())

    def atoms(self):
        # Belinschi 2003, iterated: the atom at 0 is the largest atom at 0 of a factor; a
        # product of nonzero atoms a_i carries sum_i mass_i - (n - 1) when positive
        factors = [law for law, k in self._args[0] for _ in range(k)]
        z0 = sp.Max(*[sum((a.mass for a in law.atoms() if a.location == 0), sp.S.Zero)
                      for law in factors])
        pairs = [(sp.S.Zero, z0)] if z0 != 0 else []
        combos = [(sp.S.One, sp.S.Zero)]
        for law in factors:
            nz = [a for a in law.atoms() if a.location != 0]
            combos = [(loc * a.location, mass + a.mass) for loc, mass in combos for a in nz]
            if not combos or len(combos) > 10000:
                combos = []
                break
        n = len(factors)
        for loc, mass in combos:
            mm = sp.simplify(mass - (n - 1))
            if positive(mm):
                pairs.append((loc, mm))
        return merge_atoms(pairs)

    def _edge_candidates(self):
        return [sp.S.Zero]

    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "m": z G(z) - 1, "W": (W_1, ...)}`` with psi_j(W_j) = m for each distinct
        factor (in the order of ``args[0]``), at ``dps + 10`` digits."""
        w, G = sub.unknowns(self, z, dps)
        Ws, k = [], 1
        for law, _ in self._args[0]:
            Ws.append(w[k])
            k += 1 + law._nunk
        return {"G": G, "m": w[0], "W": tuple(Ws)}


class Affine(_Composite):
    """Law of scale * X + shift for X ~ mu (scale != 0).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.affine(fa.semicircle(1), 2, 1).moments(2)
    [1, 5]
    """

    __slots__ = ()
    _argnames = ("mu", "scale", "shift")
    name = "affine"

    def __init__(self, mu: Law, scale: Any = 1, shift: Any = 0):
        if not isinstance(mu, Law):
            raise InvalidParameterError("mu", mu, "must be a freealg Law (affine(mu, scale, "
                                                  "shift) maps the law mu)")
        a, b = parameter("scale", scale), parameter("shift", shift)
        check("scale", scale, lambda: sp.Ne(a, 0), "the scale must be nonzero")
        check("scale", scale, lambda: sp.Eq(sp.im(a), 0), "the scale must be real")
        check("shift", shift, lambda: sp.Eq(sp.im(b), 0), "the shift must be real")
        try:
            if not (a.free_symbols or a > 0) and mu._nunk:
                _negated(mu)   # raises when there is no reflection rule
        except InvalidParameterError:
            raise InvalidParameterError("scale", scale, f"a negative scale is not supported for "
                                                        f"{mu.name} (no reflection rule)") from None
        self._init(mu, a, b)

    @property
    def _nunk(self):
        return self._args[0]._nunk

    def _moments_exact(self, n):
        mu, a, b = self._args
        m = [sp.S.One] + mu.moments(n)
        return [sp.expand(sum(sp.binomial(k, j) * a**j * m[j] * b ** (k - j) for j in range(k + 1)))
                for k in range(1, n + 1)]

    def r_transform(self, w=None):
        mu, a, b = self._args
        w = Z if w is None else sp.sympify(w)
        r = mu.r_transform(a * w)
        return None if r is None else sp.simplify(b + a * r)

    def _make_params(self, be):
        return numeric_value(self._args[1], be), numeric_value(self._args[2], be)

    def _negated_mu(self) -> Law:
        return self._memo("negated", lambda: _negated(self._args[0]))

    def _gpsi_dual(self, zeta, w, be, ctx):
        return sub.affine_gpsi(self._args[0], self._negated_mu, *self._params(be), zeta, w, be,
                               ctx)

    def _guess(self, zeta, be):
        return sub.affine_guess(self._args[0], self._negated_mu, *self._params(be), zeta, be)

    def _g(self, z, be):
        # for mu without unknowns: an affine image of a closed form can be reflected or mapped
        # again (an affine map of an affine map)
        return sub.affine_closed(self._args[0], *self._params(be), z, be)

    def _dg(self, z, be):
        return sub.affine_closed(self._args[0], *self._params(be), z, be, derivative=True)

    def _s_form(self):
        def build():
            mu, a, b = self._args
            f = mu._s_form()
            if f is None or b != 0 or a.free_symbols or not a > 0:
                return None
            return s_scale(f, a)

        return self._memo("s_form", build)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        a, b = (float(numeric_value(q, NP)) for q in self._args[1:])
        return tuple(sorted((a * lo + b, a * hi + b)))

    def atoms(self):
        mu, a, b = self._args
        return merge_atoms((a * p.location + b, p.mass) for p in mu.atoms())

    def _strategies(self, quantity: str) -> tuple:
        mu, a, b = self._args
        if quantity in ("edges", "support") and not (a.free_symbols or b.free_symbols):
            return mu._strategies(quantity)
        return super()._strategies(quantity)

    def _support(self, dps: int, method: str | None = None):
        """The bands of mu mapped by x -> a x + b (exact where mu's are).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.affine(fa.free_poisson(4), -1, 2).support()    # 2 - [1, 9]
        [Band(lo=-7, hi=1)]
        """
        mu, a, b = self._args
        if a.free_symbols or b.free_symbols:
            return super()._support(dps, method)
        return affine_bands(mu.support(dps) if method is None else mu.support(dps, method),
                            a, b, dps)

    def _edges(self, dps: int, method: str | None = None):
        """The edges of mu mapped by x -> a x + b: same kinds, sides swapped when a < 0, errors
        times ``|a|`` (no numeric search of its own).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.affine(fa.semicircle(1), -2, 1).edges()            # 1 - 2 [-2, 2]
        [Edge(location=-3, kind='soft', error=0, side='left'),
         Edge(location=5, kind='soft', error=0, side='right')]
        """
        mu, a, b = self._args
        if a.free_symbols or b.free_symbols:
            return super()._edges(dps, method)
        return affine_edges(mu.edges(dps) if method is None else mu.edges(dps, method),
                            a, b, dps)

    def _edge_candidates(self):
        mu, a, b = self._args
        cands = list(getattr(mu, "_edge_candidates", lambda: [])())
        cands += [e.location for e in mu.edges()] if mu._nunk == 0 else []
        return [sp.simplify(a * c + b) for c in cands]


def _negated(mu: Law) -> Law:
    """The law of -X with the same unknown layout as mu."""
    if isinstance(mu, Mixture):     # before the leaves: a mixture of leaves has no unknowns
        return Mixture([_negated(x) for x in mu.args[0]], mu.args[1])
    if mu._nunk == 0:
        return Affine(mu, -1, 0)
    if isinstance(mu, FreeAdditive):
        return FreeAdditive(_negated(mu.args[0]), _negated(mu.args[1]))
    if isinstance(mu, FreePower):
        return FreePower(_negated(mu.args[0]), mu.args[1])
    if isinstance(mu, Affine):
        return Affine(mu.args[0], -mu.args[1], -mu.args[2])
    if isinstance(mu, FreeCompression):
        return FreeCompression(_negated(mu.args[0]), mu.args[1], mu.args[2])
    raise InvalidParameterError("scale", -1, f"no reflection rule for {mu.name}")


class Mixture(_Composite):
    """Convex combination sum_i w_i mu_i (classical mixture, not a free operation).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> mx = fa.mixture([fa.dirac(0), fa.semicircle(1, 3)], [sp.Rational(1, 4), sp.Rational(3, 4)])
    >>> mx.atoms(), mx.moments(1)
    ([Atom(location=0, mass=1/4, error=0)], [9/4])
    """


    __slots__ = ()
    _argnames = ("laws", "weights")
    name = "mixture"

    def __init__(self, laws: Sequence[Law], weights: Sequence):
        laws = tuple(laws)
        ws = tuple(parameter("weights", w) for w in weights)
        if len(laws) != len(ws) or not laws:
            raise InvalidParameterError("weights", ws, "need one weight per law")
        for w in ws:
            check("weights", w, lambda w=w: w >= 0, "the weights must be >= 0")
        tot = sp.simplify(sp.Add(*ws))
        if not tot.free_symbols and abs(float(tot) - 1) > 1e-12:
            raise InvalidParameterError("weights", ws,
                                        f"the weights must sum to 1 (they sum to {tot})")
        self._init(laws, ws)

    @property
    def _nunk(self):
        return sum(law._nunk for law in self._args[0])

    def _moments_exact(self, n):
        laws, ws = self._args
        out = [sp.S.Zero] * n
        for law, w in zip(laws, ws):
            out = [o + w * m for o, m in zip(out, law.moments(n))]
        return [sp.expand(o) for o in out]

    def _make_params(self, be):
        return tuple(numeric_value(w, be) for w in self._args[1])

    def _gpsi_dual(self, zeta, w, be, ctx):
        return sub.mixture_gpsi(self._args[0], self._params(be), zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return sub.mixture_guess(self._args[0], zeta, be)

    def _density_np(self, x):
        return sub.mixture_density(self, x, None)

    def _density_mp(self, x, dps):
        return sub.mixture_density(self, x, dps)

    def _hull_float(self):
        hs = [law._hull_float() for law, w in zip(*self._args) if w != 0]
        return min(h[0] for h in hs), max(h[1] for h in hs)

    def atoms(self):
        laws, ws = self._args
        return merge_atoms((p.location, w * p.mass)
                            for law, w in zip(laws, ws) for p in law.atoms())

    def _edges(self, dps: int, method: str | None = None):
        parts = self._part_edges(dps) if method is None else None
        return parts if parts is not None else super()._edges(dps, method)

    def _part_edges(self, dps: int):
        """The edges of the components' continuous parts when the components are closed forms
        and their bands do not overlap (the density is w_i rho_i on each), else None."""
        if self._nunk != 0 or any(w.free_symbols for w in self._args[1]):
            return None
        found, spans = [], []
        for law, w in zip(*self._args):
            if w == 0 or law.continuous_mass() == 0:
                continue
            own = law.edges(dps)
            found += own
            spans += bands_of(own)
        spans.sort()
        if any(b[0] < a[1] for a, b in zip(spans, spans[1:])):
            return None
        return sorted(found, key=lambda e: (float(e.location), 0 if e.side == "right" else 1))

    def _edge_candidates(self):
        out = []
        for law in self._args[0]:
            out += [e.location for e in law.edges()] if law._nunk == 0 else \
                list(getattr(law, "_edge_candidates", lambda: [])())
        return out


class FreeCompression(_Composite):
    """Law of p a p for a projection p of trace t free from a ~ mu.

    ``ambient=False`` (default): the law in the compressed space (pAp, tau/t), which is
    D_t(mu^{⊞1/t}) (Nica-Speicher 1996; NS Lecture 14). ``ambient=True``: the law in A,
    (1 - t) delta_0 + t D_t(mu^{⊞1/t}).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> q = fa.free_compression(fa.bernoulli(sp.Rational(1, 2)), sp.Rational(1, 2))
    >>> q.atoms()                      # Wachter law in pAp: atom at 0 of mass 0
    []
    >>> fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), sp.Rational(1, 2)).atoms()
    [Atom(location=0, mass=1/3, error=0)]
    """

    __slots__ = ()
    _argnames = ("mu", "t", "ambient")
    name = "free_compression"

    def __init__(self, mu: Law, t: Any, ambient: Any = False):
        t = parameter("t", t)
        check("t", t, lambda: sp.And(t > 0, t <= 1),
              "the trace of the compressing projection must lie in (0, 1]")
        self._init(mu, t, bool(ambient))

    def _inner(self) -> Law:
        def build():
            mu, t, ambient = self._args
            comp = mu if t == 1 else Affine(FreePower(mu, 1 / t), t, 0)
            if ambient and t != 1:
                return Mixture([Dirac(0), comp], [1 - t, t])
            return comp

        return self._memo("inner", build)

    @property
    def _nunk(self):
        return self._inner()._nunk

    def _free_cumulants_exact(self, n):
        mu, t, ambient = self._args
        if ambient:
            return None
        return [sp.expand(t ** (k - 1) * c) for k, c in enumerate(mu.free_cumulants(n), start=1)]

    def _moments_exact(self, n):
        mu, t, ambient = self._args
        if not ambient:
            return None
        inner = FreeCompression(mu, t, False).moments(n)
        return [sp.expand(t * m) for m in inner]

    def _g_dual(self, zeta, w, be, ctx):
        return self._inner()._g_dual(zeta, w, be, ctx)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return self._inner()._gpsi_dual(zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return self._inner()._guess(zeta, be)

    def _s_form(self):
        def build():
            mu, t, ambient = self._args
            f = mu._s_form()
            if f is None or t.free_symbols:
                return None
            return s_compress(f, t, ambient=bool(ambient))

        return self._memo("s_form", build)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        return (min(lo, 0.0), max(hi, 0.0)) if self._args[2] else (lo, hi)

    def atoms(self):
        return self._inner().atoms()

    def _edge_candidates(self):
        return list(getattr(self._inner(), "_edge_candidates", lambda: [])())

    def _strategies(self, quantity: str) -> tuple:
        if quantity in ("cauchy", "density"):
            engines = ("s_transform",) if self._s_form() is not None else ()
            return engines + tuple(m for m in self._inner()._strategies(quantity)
                                   if m not in engines)
        return super()._strategies(quantity)

    def _cauchy_np(self, z, method=None):
        return self._inner()._cauchy_np(z, method)

    def _cauchy_mp(self, z, dps, method=None):
        return self._inner()._cauchy_mp(z, dps, method)


    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), "G_c": the Cauchy transform of D_t(mu^{⊞1/t}) (the law in (pAp, tau/t)),
        "omega": omega(z/t)}``, the subordination point of mu^{⊞1/t} at z/t (so that
        t G_c(z) = G_mu(omega); omega = z when t = 1), at ``dps + 10`` digits."""
        return sub.compression_unknowns(self, z, dps)


class MultiplicativeExponential(_Composite):
    """The law on (0, inf) with S-transform S(m) = exp(-sigma2 m/(1 + m)), mean 1.

    It is the limit of mu_L^{⊠L} when each factor tends to delta_1 like a projection of trace
    1 - sigma2/L rescaled to mean 1 (S = (1 - e)(1 + m)/(1 - e + m) = 1 - e m/(1 + m) + O(e^2),
    e = sigma2/L): the L -> infinity law of the Jacobian spectrum J J^T of deep hard-tanh
    networks near dynamical isometry (Pennington-Schoenholz-Ganguli, AISTATS 2018), a free
    multiplicative infinitely divisible law. m_2 = 1 + sigma2.

    No atom at 0 (chi has its pole at m = -1, so mu({0}) = 1 + (-1) = 0). For sigma2 < 1 an
    atom at e^{sigma2} of mass 1 - sigma2: chi(m) = m/(1 + m) exp(-sigma2 m/(1 + m)) tends to
    e^{-sigma2} (1 - (1 - sigma2)/m) as m -> inf, and an atom of mass beta at a makes
    psi(z) ~ beta/(1 - a z), i.e. chi(m) ~ (1 - beta/m)/a.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> mu = fa.multiplicative_exponential(1)
    >>> mu.moments(3)
    [1, 2, 9/2]
    >>> mu.atoms()
    []
    >>> fa.multiplicative_exponential(sp.Rational(1, 2)).atoms()
    [Atom(location=exp(1/2), mass=1/2, error=0)]
    """

    __slots__ = ()
    _argnames = ("sigma2",)
    name = "multiplicative_exponential"
    _nunk = 1

    def __init__(self, sigma2: Any):
        s = parameter("sigma2", sigma2)
        check("sigma2", sigma2, sp.Eq(sp.im(s), 0), "must be real")
        check("sigma2", sigma2, s > 0, "must be > 0 (sigma2 = 0 is delta_1)")
        self._init(s)

    def s_transform(self, z=None):
        m = sp.Symbol("m") if z is None else z
        return sp.exp(-self._args[0] * m / (1 + m))

    def _moments_exact(self, n):
        m = sp.Symbol("m")
        ser = sp.series(self.s_transform(m), m, 0, n).removeO()
        coeffs = [sp.simplify(ser.coeff(m, k)) for k in range(n)]
        return cm.moments_from_s_coefficients(coeffs)

    def atoms(self):
        s = self._args[0]
        mass = sp.Max(0, 1 - s)
        if mass == 0:
            return []
        return [Atom(sp.exp(s), mass)]

    def _make_params(self, be):
        return (numeric_value(self._args[0], be),)

    def _gpsi_dual(self, zeta, w, be, ctx):
        return sub.exponential_gpsi(*self._params(be), zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return [1 / zeta]

    def _mean_float(self):
        return 1.0

    def _s_form(self):
        return Law._s_form(self)

    def _hull_float(self):
        return sub.exponential_hull(float(self._args[0]))
