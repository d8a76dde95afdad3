"""Residual MLPs: x^l = x^{l-1} + alpha phi(W_l x^{l-1} + b_l).

The Jacobian is J = prod_l (I + alpha D_l W_l). I + alpha D W is not a free product of its
parts, so ``J J^T`` is compiled by the linearization (an operator-valued subordination). In
the mean-field limit the pre-activation h^l is N(0, q_l) with q_l = sigma_w^2 qhat_{l-1} +
sigma_b^2, where qhat_l = |x^l|^2/N and the coordinate mean m_l of x^l follow
(h^l independent of the coordinates of x^{l-1}, zero mean):

    m_l = m_{l-1} + alpha E phi(h^l),
    qhat_l = qhat_{l-1} + 2 alpha m_{l-1} E phi(h^l) + alpha^2 E phi(h^l)^2,

from m_0 = 0 (a centred input) and qhat_0 = q_0.

**The law of J J^T (orthogonal weights).** A_l = I + alpha D'_l O_l (D'_l = sigma_w D_l) is
A_l = alpha (1/alpha + T_l) with T_l = D'_l O_l R-diagonal (O_l Haar, free from D'_l; Haar
orthogonal and Haar unitary matrices have the same limit *-distribution), and the A_l of
different layers are *-free, so by trace cyclicity (tr((A_2 M A_2^*)^k) = tr((M A_2^* A_2)^k))

    law(J J^T) = nu_1 ⊠ ... ⊠ nu_L,    nu_l = law(A_l A_l^*) = law(A_l^* A_l).

For R-diagonal a, b *-free, the symmetrisation of |a + b| is sym|a| ⊞ sym|b|
(Haagerup-Larsen 2000, Prop. 3.5); 1/alpha + T has the *-law of T + u/alpha (u Haar unitary
free from T: T u has the law of T, and (T u + c)(T u + c)^* = (T + c u^*)(T + c u^*)^*), and
sym|u| is the symmetric Bernoulli law b on {-1, 1}. Hence

    nu_l = law(Y_l^2),    Y_l = sym(alpha |D'_l|) ⊞ b,

i.e. G_{nu_l}(z) = G_{Y_l}(sqrt z)/sqrt z, with G_{Y_l}(y) = G_b(omega'_l) = G_{S_l}(omega_l),
omega_l + omega'_l = y + 1/G_{Y_l}(y), G_b(w) = w/(w^2 - 1), S_l = sym(alpha |D'_l|). For a
linear layer (D'_l = sigma_w) Y_l^2 is the arcsine law on [(1 - a)^2, (1 + a)^2], a =
alpha sigma_w: the law of 1 + a^2 + 2 a cos(theta). The product is one Newton system of the law
tree (``freealg.free_product``: S-transforms multiply, Voiculescu 1987).

**Edges.** On the real axis beyond a layer's support, with t = omega_l > max S_l real:
g = G_{S_l}(t), omega'_l = (1 + sqrt(1 + 4 g^2))/(2 g), y = t + omega'_l - 1/g, and
m = y g - 1 = psi_{nu_l}(1/y^2), so chi_l(m) = 1/y^2 is explicit along t. The product has
chi(m) = prod_l chi_l(m) ((1 + m)/m)^(L - 1), and its right edge is 1/chi(m*) at the
maximum over m > 0 (dz/dm = 0 for z = 1/chi(m); Pennington-Schoenholz-Ganguli 2017). The left
edge comes the same way from the branch through the gap of Y_l at 0 (valid while E S_l^2 < 1: the
gap then closes with omega_l -> -infinity; otherwise the left edge is 0 where a layer is
singular (:func:`singular_layer`) and is left to the fold engine if not): omega_l = -tau,
tau > max S_l, g = -G_{S_l}(tau) and omega'_l = (1 - sqrt(1 + 4 g^2))/(2 g)
in (0, 1), m = y g - 1 < -1, and the left edge is 1/chi at the minimum over m < -1.
For finite layers (piecewise-linear activations) this runs in mpmath on the closed forms
(:class:`_Branch`); for smooth ones in float64, polished in mpmath from Taylor series of
G_{S_l} (:mod:`freealg.nn.residual_edges`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import FreeAlgError, InvalidParameterError
from ..laws.base import Law
from ..laws.derived import FreeProduct
from ..numeric.engines import merge_atoms
from .residual_edges import _branch_formulas, outer_edges

__all__: list[str] = []


def parse_alpha(alpha: Any):
    """alpha >= 0 as a sympy number (floats read as the decimal they print as).

    Examples
    --------
    >>> from freealg.nn.residual import parse_alpha
    >>> parse_alpha(0.5), parse_alpha("1/3")
    (1/2, 1/3)
    """
    if isinstance(alpha, bool):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0")
    try:
        a = sp.Rational(repr(alpha)) if isinstance(alpha, float) else sp.sympify(alpha)
    except (TypeError, ValueError, sp.SympifyError):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0"
                                    ) from None
    if not (a.is_number and a.is_real and a >= 0):
        raise InvalidParameterError("residual", alpha, "alpha must be a real number >= 0")
    return a


def residual_q(mean_field, q0, depth: int, alpha) -> list:
    """[q_1, ..., q_L] of the residual network (module docstring)."""
    mf = mean_field
    sw2, sb2 = mf.sigma_w_**2, mf.sigma_b_**2
    qh, m = sp.sympify(q0), sp.S.Zero
    out = []
    for _ in range(depth):
        q = sw2 * qh + sb2
        out.append(q)
        e1 = _mean_phi(mf, q)
        e2 = mf.qhat(q)
        qh = _compact(qh + 2 * alpha * m * e1 + alpha**2 * e2)
        m = _compact(m + alpha * e1)
    return out


def _compact(x):
    """x exact while it stays small; nested radicals (ReLU: E phi = sqrt(q/(2 pi)) at every
    layer) grow without bound, so past 40 operations x becomes a 50-digit Float."""
    x = sp.sympify(x)
    return sp.Float(sp.N(x, 50), 50) if sp.count_ops(x) > 40 else x


def _mean_phi(mf, q):
    """E phi(h), h ~ N(0, q): exact for odd phi (0) and ReLU (sqrt(q/(2 pi)))."""
    from .activations import H

    phi = mf.phi
    if phi == H or _odd(phi):
        return sp.S.Zero
    if phi == sp.Max(H, 0):
        return sp.sqrt(q / (2 * sp.pi))
    return sp.Float(mf._gauss(mf._fnp, q), 15)


def _odd(phi) -> bool:
    """phi(-h) = -phi(h): exactly (sympy), or else at 40 points of the real line to 1e-14
    (piecewise forms such as hard tanh do not simplify)."""
    import numpy as np

    from .activations import H, activation_numpy

    if sp.simplify(phi + phi.subs(H, -H)) == 0:
        return True
    f = activation_numpy(phi)[0]
    xs = np.linspace(0.05, 12.0, 40)
    with np.errstate(all="ignore"):
        v = np.asarray(f(xs), float) + np.asarray(f(-xs), float)
    return bool(np.all(np.abs(v) <= 1e-14 * (1 + np.abs(np.asarray(f(xs), float)))))


# --------------------------------------------------------------------------------------------
# the law of J J^T for orthogonal weights (module docstring)


def symmetric_abs(dlaw, alpha):
    """sym(alpha |D'|): the symmetric law whose absolute value is ``alpha |D'|`` (a Law), or
    None where it is not built (a non-finite law of D' that takes negative values).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import symmetric_abs
    >>> symmetric_abs(fa.bernoulli(sp.Rational(1, 2)), 2)      # ReLU: D' in {0, 1}
    discrete(points=[-2, 0, 2], weights=[1/4, 1/2, 1/4])
    """
    from ..laws import Discrete, affine, discrete, mixture
    from ..laws.operator_valued import discrete_points_weights

    half = sp.Rational(1, 2)
    if isinstance(dlaw, Discrete):
        pts, ws = discrete_points_weights(dlaw)
        points, weights = [], []
        for p, w in zip(pts, ws):
            a = sp.nsimplify(alpha * abs(p)) if isinstance(p, sp.Float) else alpha * abs(p)
            if a == 0:
                points.append(sp.S.Zero)
                weights.append(w)
            else:
                points += [-a, a]
                weights += [w * half, w * half]
        return discrete(points, weights)
    if dlaw.is_positive() is not True or alpha == 0:
        return None
    return mixture([affine(dlaw, alpha), affine(dlaw, -alpha)], [half, half])


def layer_law(dlaw, alpha, square=None):
    """Y_l = sym(alpha |D'_l|) ⊞ b (b symmetric Bernoulli on {-1, 1}), or None (see
    :func:`symmetric_abs`); law(A_l A_l^T) is the law of Y_l^2. Where D'_l takes negative values
    and has no finite law, ``square()`` (the law of D'_l^2, a callable) gives sym(alpha |D'_l|)
    as the :class:`SymmetricRoot` of the law of alpha^2 D'_l^2 (GELU, SiLU); None without it.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import layer_law
    >>> y = layer_law(fa.dirac(1), sp.Rational(1, 2))     # linear layer, alpha = 1/2
    >>> y.moments(4)                                      # Y^2: 1 + a^2 + 2 a cos(theta)
    [0, 5/4, 0, 33/16]
    """
    from ..laws import discrete, free_additive

    half = sp.Rational(1, 2)
    b = discrete([-1, 1], [half, half])
    if alpha == 0:
        return b
    s = symmetric_abs(dlaw, alpha)
    if s is None and square is not None:
        from ..laws import affine

        nu = square()
        s = SymmetricRoot(affine(nu, alpha**2)) if nu._nunk == 0 else None
    return None if s is None else free_additive(s, b)


class SymmetricRoot(Law):
    """The symmetric law S whose square has the law nu (nu >= 0, without unknowns):
    G_S(z) = z G_nu(z^2) and psi_S(z) = psi_nu(z^2). For Re z < 0, z^2 lies in C-, where
    G_nu(w) = conj G_nu(conj w). sym(alpha |D'|) needs only the law of D'^2, also where D'
    takes negative values (GELU, SiLU: the residual layer of :func:`layer_law`).

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.nn.residual import SymmetricRoot
    >>> s = SymmetricRoot(fa.free_poisson(1))          # S^2 ~ Marchenko-Pastur(1)
    >>> s.moments(4)                                   # the semicircle law: 0, 1, 0, 2
    [0, 1, 0, 2]
    >>> import mpmath
    >>> print(mpmath.nstr(s.cauchy(1j, dps=20), 12))   # G_sc(i) = i (1 - sqrt 5)/2
    (0.0 - 0.61803398875j)
    """

    __slots__ = ()
    _argnames = ("nu",)
    name = "symmetric_root"
    _hull_exact = False

    def __init__(self, nu):
        if not isinstance(nu, Law) or nu._nunk != 0 or nu.is_positive() is False:
            raise InvalidParameterError("nu", nu, "a law of a nonnegative variable without "
                                        "unknowns (a leaf, a mixture or an affine image)")
        self._init(nu)

    def _moments_exact(self, n):
        from ..algebra.blocks import SymmetricSquareRoot

        return SymmetricSquareRoot(self._args[0]).moments(n)

    def _gdg(self, z, be):
        """(G_S, G_S') at z from G_nu, G_nu' at z^2 (reflected into C+)."""
        import mpmath
        import numpy as np

        from ..kernels.dual import Dual
        from ..numeric.subordination import Context, conj

        w = z * z
        if be.name == "mpmath":
            flip = mpmath.im(w) < 0 or (mpmath.im(w) == 0 and mpmath.re(z) < 0)
            wc = conj(w, be) if flip else w
        else:
            flip = (np.imag(w) < 0) | ((np.imag(w) == 0) & (np.real(z) < 0))
            wc = np.where(flip, np.conj(w), w)
        d = self._args[0]._g_dual(Dual.variable(wc, 0, 1), [], be, Context())
        g, dg = d.v, d.d[0]
        if be.name == "mpmath":
            g, dg = (conj(g, be), conj(dg, be)) if flip else (g, dg)
        else:
            g, dg = np.where(flip, np.conj(g), g), np.where(flip, np.conj(dg), dg)
        return z * g, g + 2 * w * dg

    def _g(self, z, be):
        return self._gdg(z, be)[0]

    def _dg(self, z, be):
        return self._gdg(z, be)[1]

    def _g_dual(self, zeta, w, be, ctx):
        # G and G' from one evaluation of nu (the base class asks _g and _dg in turn)
        ctx.pts.append(zeta.v)
        return zeta.apply(*self._gdg(zeta.v, be))

    def _hull_float(self):
        hi = max(float(self._args[0]._hull_float()[1]), 0.0) ** 0.5
        return -hi, hi

    def _mean_float(self):
        return 0.0

    def is_positive(self):
        return False

    def atoms(self):
        out = []
        for a in self._args[0].atoms():
            if a.location == 0:
                out.append((sp.S.Zero, a.mass))
            else:
                r = sp.sqrt(a.location)
                out += [(-r, a.mass / 2), (r, a.mass / 2)]
        return merge_atoms(out)


class SymmetricSquare(Law):
    """Law of Y^2 for a symmetric law Y: G(z) = G_Y(sqrt z)/sqrt z and
    psi(z) = z G(z) - 1 = psi_Y(sqrt z) (principal root: C+ to the first quadrant). A node of
    the law tree of :class:`ResidualJacobian` (its unknowns are those of Y).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import SymmetricSquare
    >>> y = fa.free_additive(fa.bernoulli(sp.Rational(1, 2)).affine(2, -1),
    ...                      fa.bernoulli(sp.Rational(1, 2)).affine(2, -1))
    >>> SymmetricSquare(y).moments(2)              # Y: arcsine law on [-2, 2]
    [2, 6]
    """

    __slots__ = ()
    _argnames = ("mu",)
    name = "symmetric_square"
    _hull_exact = False

    def __init__(self, mu):
        self._init(mu)

    @property
    def _nunk(self):
        return self._args[0]._nunk

    def _moments_exact(self, n):
        return self._args[0].moments(2 * n)[1::2]

    def _gpsi_dual(self, zeta, w, be, ctx):
        r = be.sqrt(zeta.v)
        s = zeta.apply(r, 1 / (2 * r))
        gy, psy = self._args[0]._gpsi_dual(s, w, be, ctx)
        return gy / s, psy

    def _g_dual(self, zeta, w, be, ctx):
        return self._gpsi_dual(zeta, w, be, ctx)[0]

    def _guess(self, zeta, be):
        return self._args[0]._guess(be.sqrt(zeta), be)

    def _hull_float(self):
        lo, hi = self._args[0]._hull_float()
        return 0.0, max(lo * lo, hi * hi)

    def _mean_float(self):
        return float(self._args[0].moments(2)[1])

    def atoms(self):
        return merge_atoms((sp.expand(p.location**2), p.mass)
                           for p in self._args[0].atoms())

class ResidualJacobian(FreeProduct):
    """nu_1 ⊠ ... ⊠ nu_L with nu_l = law(Y_l^2) (module docstring). Its edges come from
    the S-transform product along the real axis (strategy ``'s_transform'``); ``'fold'``
    is the generic search of the law tree."""

    __slots__ = ()
    name = "residual_jacobian"

    def _cauchy_np(self, z, method=None):
        # the float64 continuation of this tree can end on a wrong real branch at a few points
        # of deep products (L >= 5): a real G strictly inside the outer edges, where the
        # density is positive; those points are redone in mpmath (15 digits)
        import mpmath
        import numpy as np

        G = super()._cauchy_np(z, method)
        fs = [f._args[0] for f, _ in self._args[0]]
        zz = np.asarray(z)
        if zz.ndim == 0 or not finite_layers(fs) or self._n < 4:
            return G
        lo, hi = (float(e.location) for e in self._edges(15, "s_transform"))
        Ga = np.array(G, dtype=complex, copy=True)
        bad = np.flatnonzero((np.abs(zz.imag) == 0) & (zz.real > lo) & (zz.real < hi)
                             & ~(Ga.imag < 0))
        for i in bad:
            with mpmath.workdps(15):
                Ga.flat[i] = complex(self._cauchy_mp(mpmath.mpf(float(zz.flat[i].real)), 15,
                                                     None))
        return Ga

    def _strategies(self, quantity: str) -> tuple:
        if quantity in ("edges", "support"):
            return ("s_transform", "fold")
        return super()._strategies(quantity)

    def _edges(self, dps: int, method: str | None = None):
        if method == "fold":
            return super()._edges(dps, method)
        return list(self._s_edges(dps)[0])

    def _s_edges(self, dps: int) -> tuple:
        ys = [(law._args[0], k) for law, k in self._args[0]]
        return self._memo(("s_edges", dps), lambda: product_edges(
            ys, dps, lambda: super(ResidualJacobian, self)._edges(dps, "fold")))

    def _bands_proven(self, dps: int, method: str | None = None) -> bool:
        # both outer edges from the real branches: no mass beyond them and none at 0 (the
        # module docstring), so the mass audit has nothing to find
        return method in (None, "s_transform") and self._s_edges(dps)[1]


def finite_layers(ys: list) -> bool:
    """Whether every S_l is a finite atomic law (piecewise-linear activations: ReLU, leaky
    ReLU, hard tanh, linear), where the edge curve is cheap; smooth activations give
    quadrature laws, whose edges are left to the fold search of the law tree.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import finite_layers, layer_law
    >>> finite_layers([layer_law(fa.bernoulli(sp.Rational(1, 2)), 1)])
    True
    """
    from ..laws import Discrete

    return all(not y._nunk or isinstance(y._args[0], Discrete) for y in ys)


def jacobian_law(ys: list):
    """law(J J^T) = ⊠_l law(Y_l^2) for the layer laws ``ys`` (identical layers merged into
    powers).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import jacobian_law, layer_law
    >>> y = layer_law(fa.dirac(1), sp.Rational(1, 2))
    >>> jacobian_law([y, y]).moments(2)            # (5/4)^2 and m_2 of the ⊠ square
    [25/16, 1025/256]
    """
    return ResidualJacobian([(SymmetricSquare(y), 1) for y in ys])


# --------------------------------------------------------------------------------------------
# edges along the real axis (module docstring, "Edges")


class _Branch:
    """One layer Y = S ⊞ b on one side: y, m and their t-derivatives along the real solutions
    of the subordination equations, t = |omega_S| > max |S| (side +1: beyond the support;
    side -1: through the gap of Y at 0)."""

    def __init__(self, y_law, side: int):
        import mpmath

        from ..laws import Discrete
        from ..laws.operator_valued import discrete_points_weights

        s_law = y_law._args[0] if y_law._nunk else None
        self.side = side
        self.smax = 0.0
        self.pw: tuple | None
        if s_law is None:               # alpha = 0: Y = b, S = delta_0
            self.pw = ((sp.S.Zero,), (sp.S.One,))
        elif isinstance(s_law, Discrete):
            self.pw = discrete_points_weights(s_law)
        else:
            self.pw = None
            self.law = s_law
        if self.pw is not None:
            self.smax = max(abs(float(p)) for p in self.pw[0])
            self.m2 = float(sum(w * p**2 for p, w in zip(*self.pw)))
        else:
            lo, hi = self.law._hull_float()
            self.smax = max(abs(lo), abs(hi))
            self.m2 = float(self.law.moments(2)[1])
        self.mp = mpmath

    def _g(self, t):
        mp = self.mp
        if self.pw is not None:
            g = dg = mp.mpf(0)
            for p, w in zip(*self._pw_mp()):
                r = 1 / (t - p)
                g += w * r
                dg -= w * r * r
            return g, dg
        from ..kernels.backend import MP
        from ..kernels.dual import Dual
        from ..numeric.subordination import Context

        d = self.law._g_dual(Dual.variable(mp.mpc(t), 0, 1), [], MP, Context())
        return mp.re(d.v), mp.re(d.d[0])

    def _pw_mp(self):
        key = self.mp.mp.dps
        cache = getattr(self, "_pwc", None)
        if cache is None or cache[0] != key:
            pts = [self.mp.mpf(sp.N(p, key + 5)) for p in self.pw[0]]
            ws = [self.mp.mpf(sp.N(w, key + 5)) for w in self.pw[1]]
            self._pwc = (key, (pts, ws))
        return self._pwc[1]

    def point(self, u):
        """(y, m, dy/du, dm/du) at t = smax + (1 + smax) e^u."""
        e = (1 + self.smax) * self.mp.exp(u)
        t = self.smax + e
        y, m, yt, mt, _, _ = _branch_formulas(self.side, t, *self._g(t))
        return y, m, yt * e, mt * e

    def fold(self):
        """(u*, m*, status): the end of the monotone branch. ``'fold'``: dy/du changes sign
        (the layer's own edge); ``'atom'``: no fold down to t - max|S| ~ 10^(-dps/3), and S
        has an atom at its end (y tends to max|S| +- 1); ``'end'``: the same without such an
        atom; ``'none'``: the left branch meets y = 0 (no gap of Y at 0 on this branch)."""
        mp = self.mp
        sgn = self.side  # dy/du has this sign for large t
        # below t - max|S| ~ 10^(-dps/3) the cancellation in dy/du eats a third of the digits
        umin = -mp.mp.dps / 3 * mp.log(10)
        us = [mp.mpf(k) / 4 for k in range(40, int(4 * umin) - 1, -1)]
        prev = us[0]
        for u in us[1:]:
            y, m, dy, dm = self.point(u)
            if self.side < 0 and y <= 0:
                return u, m, "none"
            if dy * sgn <= 0:
                a, b = u, prev          # dy/du changes sign in (a, b)
                for _ in range(int(3.4 * mp.mp.dps) + 10):
                    c = (a + b) / 2
                    if self.point(c)[2] * sgn > 0:
                        b = c
                    else:
                        a = c
                return b, self.point(b)[1], "fold"
            prev = u
        atom = self.pw is not None and any(abs(float(p)) == self.smax and w != 0
                                           for p, w in zip(*self.pw))
        return prev, self.point(prev)[1], "atom" if atom else "end"

    def solve(self, m, lo):
        """u with m(u) = m on (lo, inf), lo the fold (m(u) is monotone there)."""
        mp = self.mp
        a = lo
        b = lo + 1
        while (self.point(b)[1] - m) * (self.point(a)[1] - m) > 0:
            b += 2
            if b > 200:
                raise ArithmeticError("no bracket")
        fa_ = self.point(a)[1] - m
        u = (a + b) / 2
        tol = mp.mpf(10) ** (-mp.mp.dps + 3)
        for _ in range(400):
            y, mu, dy, dm = self.point(u)
            f = mu - m
            if (f > 0) == (fa_ > 0):
                a, fa_ = u, f
            else:
                b = u
            step = f / dm if dm != 0 else mp.inf
            un = u - step
            if not (min(a, b) < un < max(a, b)):
                un = (a + b) / 2
            if abs(un - u) < tol * (1 + abs(u)):
                return un
            u = un
        return u


def _objective(branches, n, m, folds):
    """F(m) = log chi(m) and F'(m) (module docstring): chi = prod chi_l ((1 + m)/m)^(n-1)."""
    import mpmath

    F = (n - 1) * mpmath.log((1 + m) / m)
    dF = (n - 1) * (1 / (1 + m) - 1 / m)
    for (br, k), f in zip(branches, folds):
        u = br.solve(m, f[0])
        y, _, dy, dm = br.point(u)
        F -= 2 * k * mpmath.log(abs(y))
        dF -= 2 * k * dy / (y * dm)
    return F, dF


def _side_edge(ys, side: int, dps: int):
    """The outer edge on one side (+1 right, -1 left) as an Edge, or None where the left
    branch does not apply."""
    import mpmath

    from ..numeric.records import Edge

    with mpmath.workdps(dps + 15):
        branches = [(_Branch(y, side), k) for y, k in ys]
        if side < 0 and any(br.m2 >= 1 for br, _ in branches):
            return None
        n = sum(k for _, k in ys)
        folds = [br.fold() for br, _ in branches]
        if any(f[2] == "none" for f in folds):
            return None
        # the admissible m: (0, min m*) on the right, (max m*, -1) on the left
        ends = [f[1] for f in folds]
        j = min(range(len(ends)), key=lambda i: side * ends[i])
        hard, exact = False, None
        if n == 1:
            br, f = branches[0][0], folds[0]
            x = br.point(f[0])[0] ** 2
            err = 0
            if f[2] == "atom":     # y -> max|S| +- 1: an arcsine-type hard edge
                smax = max(abs(p) for p in (br.pw or ((0,),))[0])
                exact = sp.expand((smax + 1) ** 2 if side > 0 else (1 - smax) ** 2)
                if side < 0 and not 1 - smax > 0:
                    return None
                hard = True
            elif f[2] == "end":
                hard = True
                err = abs(br.point(f[0] + 1)[0] ** 2 - x)
        else:
            # F'(m) = 0 in s = log m (right) or s = log(-1 - m) (left): F' > 0 on the side of
            # m = 0 (right) and of m = -1 (left); bisection, then secant
            def mof(s):
                return mpmath.exp(s) if side > 0 else -1 - mpmath.exp(s)

            def dF(s):
                return _objective(branches, n, mof(s), folds)[1]

            hi = mpmath.log(ends[j]) if side > 0 else mpmath.log(-1 - ends[j])
            hi = hi - mpmath.mpf(10) ** (-dps - 5)
            lo = hi - 1
            while dF(lo) <= 0:
                lo -= 2
                if lo < -200:
                    raise ArithmeticError("no bracket")
            if dF(hi) > 0:             # the extremum is the end of a layer's branch
                s = far = hi
                hard = folds[j][2] != "fold"
            else:
                a, b = lo, hi
                for _ in range(60):
                    c = (a + b) / 2
                    if dF(c) > 0:
                        a = c
                    else:
                        b = c
                s = mpmath.findroot(dF, ((a + b) / 2, b), solver="secant",
                                    tol=mpmath.mpf(10) ** (-2 * dps - 10))
                # x(s) is extremal at the root: a bracket end lies farther from it than s,
                # so |x(s) - x(end)| bounds the error of x(s)
                far = a if abs(a - s) > abs(b - s) else b
            x = mpmath.exp(-_objective(branches, n, mof(s), folds)[0])
            err = abs(mpmath.exp(-_objective(branches, n, mof(far), folds)[0]) - x)
        if exact is not None:
            return Edge(exact, "hard", 0, "right" if side > 0 else "left")
        err = max(err, mpmath.mpf(10) ** (-dps) * max(1, abs(x)))
    with mpmath.workdps(dps):
        loc = +x
    return Edge(loc, "hard" if hard else "soft", mpmath.mpf(float(err)),
                "right" if side > 0 else "left")


def product_edges(ys, dps: int, fold):
    """(edges, both): the two outer edges of ⊠_l law(Y_l^2) (``ys``: (Y_l, multiplicity)
    pairs), ``both`` whether both came from the real branches: exact
    branches for finite layers, the float64 search and series polish of
    :mod:`freealg.nn.residual_edges` for smooth ones; ``fold()`` gives the law tree's own
    edges on a side where neither applies (no gap of Y_l at 0, an extremum at a branch's
    end)."""
    singular = singular_layer(ys)
    if finite_layers([y for y, _ in ys]):
        right = _side_edge(ys, 1, dps)
        left = None if singular else _side_edge(ys, -1, dps)
    else:
        left, right = outer_edges(ys, dps)
    if singular:            # 0 lies in the spectrum of J J^T (singular_layer)
        from ..numeric.records import Edge

        left = Edge(sp.S.Zero, "hard", 0, "left")
    if left is None or right is None:
        keep = [e for e in fold() if e.side == ""
                or (e.side == "left" and left is None) or (e.side == "right" and right is None)]
        return sorted(keep + [e for e in (left, right) if e is not None],
                      key=lambda e: float(e.location)), False
    return [left, right], True


def singular_layer(ys) -> bool:
    """Whether some A_l = I + alpha D'_l O_l is not invertible, so that 0 lies in the spectrum
    of J J^T (the left edge is 0). With T = D'_l O_l R-diagonal, A_l = alpha (1/alpha + T) and
    the spectrum of T is the closed disc of radius ||T||_2 when T is not invertible and the
    annulus ||T^{-1}||_2^{-1} <= |z| <= ||T||_2 when it is (Haagerup-Larsen 2000, J. Funct.
    Anal. 176); in terms of S_l = sym(alpha |D'_l|): A_l is singular iff E S_l^2 >= 1 and
    (0 lies in the support of |S_l|, or E S_l^-2 >= 1). A product of free factors in a finite
    von Neumann algebra is invertible iff each factor is. Decided only where it is proven:
    exact moments of finite laws, and for smooth ones E S_l^2 >= 1 + 1e-12 with 0 in the
    support of the activation law (every smooth activation of the catalogue: phi' tends to
    0 or changes sign).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> from freealg.nn.residual import layer_law, singular_layer
    >>> half = sp.Rational(1, 2)
    >>> relu = fa.discrete([0, sp.sqrt(2)], [half, half])        # D' of ReLU: E S^2 = alpha^2
    >>> singular_layer([(layer_law(relu, 1), 1)]), singular_layer([(layer_law(relu, half), 1)])
    (True, False)
    """
    from ..laws import Discrete
    from ..laws.operator_valued import discrete_points_weights

    for y, _ in ys:
        if not y._nunk:
            continue
        s = y._args[0]
        if isinstance(s, Discrete):
            pts, ws = discrete_points_weights(s)
            m2 = sum(w * p**2 for p, w in zip(pts, ws))
            if bool(m2 >= 1) and (_touches_zero(s) or bool(
                    sum(w / p**2 for p, w in zip(pts, ws) if p != 0) >= 1)):
                return True
            continue
        try:
            m2 = float(sp.N(s.moments(2)[1], 20))
        except (FreeAlgError, NotImplementedError, TypeError, ValueError):
            continue
        if m2 >= 1 + 1e-12 and _touches_zero(s):
            return True
    return False


def _touches_zero(law) -> bool:
    """0 in the support of |X| for X ~ law, proven from the parts of the law: a point mass at
    0, or a Gaussian push-forward whose exact support starts at 0 (mixtures, symmetric roots
    and affine maps without shift pass it on)."""
    from ..laws import Discrete, Mixture
    from ..laws.continuous import GaussianPushforward
    from ..laws.derived import Affine

    if isinstance(law, Discrete):
        from ..laws.operator_valued import discrete_points_weights

        return any(p == 0 and w != 0 for p, w in zip(*discrete_points_weights(law)))
    if isinstance(law, Mixture):
        return any(w != 0 and _touches_zero(mu) for mu, w in zip(*law.args))
    if isinstance(law, Affine):
        mu, scale, shift = law.args
        return shift == 0 and scale != 0 and _touches_zero(mu)
    if isinstance(law, SymmetricRoot):
        return _touches_zero(law.args[0])
    if isinstance(law, GaussianPushforward):
        try:
            return any(b.lo <= 0 <= b.hi for b in law.support())
        except (FreeAlgError, NotImplementedError, TypeError, ValueError):
            return False
    return False


def residual_system(ys: list, expr: str, alpha):
    """The System of J J^T for orthogonal weights: per layer the subordination equations of
    Y_l = S_l ⊞ b and G_{nu_l}(z) = G_{Y_l}(sqrt z)/sqrt z, then the S-transform product.

    Examples
    --------
    >>> import freealg as fa
    >>> s = fa.nn.MLP(2, "relu", residual="1/2").jacobian_system()
    >>> s.equations[-1]                              # S-transforms multiply
    Eq(S_{G}(m), S_{\\nu_1}(m)*S_{\\nu_2}(m))
    >>> print(s.latex().splitlines()[1])
    G_{\\nu_1}{\\left(z \\right)} &= \\frac{G_{Y_1}{\\left(\\sqrt{z} \\right)}}{\\sqrt{z}} \\\\
    """
    from ..reduce import System
    from ..reduce.system import Step

    z, y, w, m = sp.symbols("z y w m")
    G = sp.Function("G")
    eqs, steps, unknowns, defs = [], [], [G], []
    S_factors = []
    gb = sp.Lambda(w, w / (w**2 - 1))
    for l, yl in enumerate(ys, 1):
        Gn, Gy, Gs = (sp.Function(f"G_{{{nm}_{l}}}") for nm in (r"\nu", "Y", "S"))
        om, omb = sp.Function(f"omega_{l}"), sp.Function(rf"\tilde{{\omega}}_{{{l}}}")
        layer = [sp.Eq(Gn(z), Gy(sp.sqrt(z)) / sp.sqrt(z)),
                 sp.Eq(Gy(y), Gs(om(y))),
                 sp.Eq(Gy(y), gb(omb(y))),
                 sp.Eq(om(y) + omb(y), y + 1 / Gy(y))]
        eqs += layer
        unknowns += [Gn, Gy, om, omb]
        s_law = yl._args[0] if yl._nunk else None
        defs.append((Gs, rf"\text{{Cauchy transform of }} S_{l} = "
                         rf"\operatorname{{sym}}(\alpha |D'_{l}|)"
                         + (rf" = {s_law._latex()}" if s_law is not None else r" = \delta_0")
                         + (rf",\ G_{{S_{l}}}(z) = z\,G_{{S_{l}^2}}(z^2)"
                            if isinstance(s_law, SymmetricRoot) else "")))
        steps.append(Step("residual layer", f"(1 + {alpha}*D{l}*O{l})*(1 + {alpha}*D{l}*O{l}).H",
                          f"symmetric_square({yl!r})", tuple(layer),
                          "Haagerup-Larsen 2000 (R-diagonal: sym|a + b| = sym|a| ⊞ sym|b|)"))
        S_factors.append(sp.Function(rf"S_{{\nu_{l}}}")(m))
    prod = sp.Eq(sp.Function("S_{G}")(m), sp.Mul(*S_factors))
    eqs.append(prod)
    steps.insert(0, Step("free product of layers", str(expr), "residual_jacobian",
                         (prod,), "Voiculescu 1987: S-transforms multiply"))
    defs.append((sp.Symbol("b"), r"\text{symmetric Bernoulli law on } \{-1, 1\}, "
                                 r"G_b(w) = w/(w^2 - 1)"))
    defs.append((m, r"\text{the variable of the S-transforms } S_{\mu}(m) = "
                    r"\frac{1 + m}{m}\,\psi_{\mu}^{-1}(m), \ \psi_{\mu}(1/z) = z G_{\mu}(z) - 1"))
    law = jacobian_law(ys)
    return System(z=z, target=G, unknowns=tuple(unknowns), equations=tuple(eqs),
                  definitions=tuple(defs), steps=tuple(steps), law=law, expr=_Text(expr),
                  asymptotics=(sp.Eq(sp.Symbol("G"), 1 / z),))


def product_right_edge(law, dps: int):
    """The right end of the support of a :class:`ResidualJacobian` law (its top edge; the
    atoms of these laws lie at or below it), as an mpmath number at ``dps`` digits."""
    import mpmath

    ys = [(f._args[0], k) for f, k in law._args[0]]
    e = _side_edge(ys, 1, dps)
    with mpmath.workdps(dps):
        return mpmath.mpf(sp.N(e.location, dps + 5)) if isinstance(e.location, sp.Basic) \
            else +e.location


class _Text(str):
    """A polynomial shown by its text (``System.expr`` of a residual network)."""

    def __repr__(self):
        return str(self)
