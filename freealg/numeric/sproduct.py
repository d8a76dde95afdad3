"""Edges of free multiplicative products of positive laws from the S-transform on the real axis.

For P = mu_1^{⊠k_1} ⊠ ... ⊠ mu_J^{⊠k_J} (n = k_1 + ... + k_J >= 2) whose factors have closed
Cauchy transforms and supports that are single intervals [a_j, b_j] of [0, inf) (one band of
the continuous part, atoms only inside it), and P itself without atoms:

* **The support of P is one interval [l, r].** The free multiplicative convolution of two
  measures on R_+ with connected supports has connected support (Belinschi, Bercovici and Ho,
  "On the support of free convolutions", arXiv:2408.06573, 2024; by induction for n factors),
  and P has no singular continuous part (Ji, arXiv:1903.02326, 2019).
* **Left end.** When some a_j = 0 (and 0 is not an atom), l = 0 exactly: for free positive
  a, b the operator a^{1/2} b a^{1/2} (law mu_a ⊠ mu_b) lies between 0 and ||b|| a, so its
  spectrum starts at 0 when that of a does. Kind: 'soft' when the density of every factor
  vanishes at 0 like a positive power (its own edge at 0 is soft), so that int x^{-1} dmu_j is
  finite and so is int x^{-1} dP = prod_j (int x^{-1} dmu_j)^{k_j} (tau((a^{1/2} b a^{1/2})^{-1})
  = tau(a^{-1}) tau(b^{-1}) for free a, b): the density of P cannot stay away from 0 there;
  else 'hard' (int x^{-1} dP is infinite). The exponent is not measured: a float64 slope of the
  density at 0 is pre-asymptotic (the tanh Jacobian's density still rises at 1e-7).
* **Right end.** With psi_j(x) = x G_j(x) - 1 (decreasing on (b_j, inf), from M_j to 0) and
  x_j(m) its inverse, S_j(m) = (1 + m)/(m x_j(m)) and S_P = prod_j S_j^{k_j} (Voiculescu 1987).
  On (0, m_+), m_+ = psi_P(r), the function

      X(m) = 1/chi_P(m) = ((1 + m)/m)^{1 - n} prod_j x_j(m)^{k_j}

  is the inverse of psi_P on (r, inf): it decreases from inf, and its first critical point is
  m_+, where X(m_+) = r (a square-root edge: psi_P' is infinite there). So r is the first local
  minimum of X on (0, min_j M_j); when X keeps decreasing up to min_j M_j (the edge of a factor
  is reached first) this module does not apply.

Numerics. psi_j is read in float64 from the factor's point masses (the nodes t_i and weights
W_i of its tanh-sinh rule, for a law given by quadrature pieces, atoms, or a mixture of both):
psi_j(x) = sum_i W_i t_i/(x - t_i), certified where the rule of twice the step agrees to 1e-9,
and from the factor's own G next to its support (or for a closed form). Each psi_j is
tabulated once on x = b_j (1 + d), d from 1e-12 to 1e8 (the part next to the support only when
the search reaches it); an inverse x_j(m) starts from the log-log interpolation in its table
bracket and is refined by Newton in log x inside the bracket (bisection where a step leaves
it), vectorised over m. The first minimum of F = log X is bracketed where
F'(m) = (n - 1)/(m (1 + m)) + sum_j k_j x_j'(m)/x_j(m), x_j' = 1/(G_j + x_j G_j'), first
turns positive on a geometric grid of m (16 points a decade, ascending), and located by the
Illinois variant of regula falsi. At ``dps`` digits m is refined by Newton steps on
F'(m) = 0 in mpmath (the float64 minimiser leaves F' ~ 1e-7 where the terms of F' cancel)
and each x_j(m) by Newton steps on x G_j(x) - 1 = m, at dps + 15 digits (a factor's G by
quadrature keeps ~9 digits less than its working precision), with G_j either

* the factor's Taylor series about the float64 x_j (:class:`_Local`: 17 moments from one
  quadrature pass, the remainder bounded; F'' exact), or, for a factor without point masses,
* its own G, until the steps converge quadratically (F'' ~ the float64 second difference).

The error of G_j, and the Newton step that would follow, bound the error of x_j, and
r = X(m) with the error bound

    |X(m) - r| <= X (sum_j k_j |dx_j|/x_j + F'(m)^2 / F''_low) + 10^-dps X

(X is convex at its minimum: X(m) - X(m_+) <= X'(m) (m - m_+), |m - m_+| <= |F'(m)|/F''_low,
F''_low half of the float64 second difference of F' there).

An engine module (duck typing): a factor law provides ``support()``, ``atoms()``, ``edges()``,
``_nunk`` and ``_g_dual`` on the float64 and mpmath back ends.

Examples
--------
>>> import sympy as sp, freealg as fa
>>> P = fa.free_product([(fa.free_poisson(1), 3)])    # Fuss-Catalan: [0, 4^4/3^3]
>>> left, right = product_edges(P._args[0], dps=20)
>>> left.location, left.kind
(0, 'hard')
>>> with mpmath.workdps(40):
...     bool(abs(right.location - mpmath.mpf(256) / 27) <= right.error < 1e-18)
True
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from ..kernels.backend import MP, NP
from ..kernels.dual import Dual
from .records import Edge
from .subordination import Context

__all__ = ["applies", "product_edges", "right_edge_float", "hull_float", "real_gdg",
           "FarSeries", "illinois", "far_moments_at"]


# --------------------------------------------------------------------------------------------
# the factors


def _band(law) -> tuple | None:
    """(a, b, a == 0) of a factor whose support is one interval [a, b] in [0, inf): one band of
    its continuous part and atoms only inside it; None when the factor does not qualify
    (unknowns, several bands, an atom outside the band, a symbolic support)."""
    def build():
        if getattr(law, "_nunk", 1) != 0:
            return None
        try:
            bands = law.support()
            if len(bands) != 1:
                return None
            a, b = float(sp.N(bands[0].lo, 20)), float(sp.N(bands[0].hi, 20))
            atoms = law.atoms()
        except Exception:  # noqa: BLE001 (symbolic or unavailable: not this module's case)
            return None
        if not (0 <= a < b < math.inf):
            return None
        # atoms inside [a, b] keep the support one interval (an atom at 0 would be one of the
        # product: ``applies`` refuses a product with atoms)
        for loc, _mass in atoms:
            if not a <= float(sp.N(loc, 20)) <= b:
                return None
        return (a, b, bool(sp.sympify(bands[0].lo) == 0))

    memo = getattr(law, "_memo", None)
    return build() if memo is None else memo("sproduct_band", build)


def applies(factors, law=None) -> bool:
    """Whether the edges of ``law`` = ⊠ ``factors`` ((law, multiplicity) pairs, at least two
    factors in all) come from this module: every factor qualifies (:func:`_band`) and the
    product has no atoms (checked on ``law`` when given).

    Examples
    --------
    >>> import freealg as fa
    >>> applies([(fa.free_poisson(1), 2)]), applies([(fa.free_poisson(1), 1)])
    (True, False)
    >>> applies([(fa.free_poisson(1, 1), 1), (fa.bernoulli(0.5), 1)])    # two points
    False
    """
    if sum(int(k) for _, k in factors) < 2:
        return False
    if not all(_band(f) is not None for f, _ in factors):
        return False
    return law is None or not law.atoms()


def real_gdg(law, x, be):
    """(G, G') of a law at real x off its support (a float array for NP, an mpf for MP),
    real parts.

    Examples
    --------
    >>> import freealg as fa
    >>> G, dG = real_gdg(fa.free_poisson(1), 8.0, MP)     # G = (x - sqrt(x^2 - 4x))/(2x)
    >>> print(mpmath.nstr(G, 12), mpmath.nstr(dG, 12))
    0.146446609407 -0.0220970869121
    """
    if be is NP:
        z = np.asarray(x, dtype=float) + 0j
        with np.errstate(all="ignore"):
            d = law._g_dual(Dual.variable(z, 0, 1), [], NP, Context())
        return np.real(np.asarray(d.v)), np.real(np.asarray(d.d[0]))
    d = law._g_dual(Dual.variable(mpmath.mpc(x), 0, 1), [], MP, Context())
    return mpmath.re(d.v), mpmath.re(d.d[0])


def _far_parts(law) -> list | None:
    """The law as a convex combination of parts whose point masses are known: a list of
    (weight, "model", quadrature model, scale, shift) (the part is the law of scale X + shift
    for X given by the model) and (mass, "atom", location, 1, 0) (sympy numbers), from a law
    answered by a quadrature model without atoms, an affine image or a mixture of such laws
    and atoms, or a purely atomic law; None otherwise (closed forms: their own G is cheap)."""
    def build():
        try:
            name = getattr(law, "name", None)
            if name == "mixture":
                out: list = []
                for sub, w in zip(*law._args):
                    parts = _far_parts(sub)
                    if parts is None:
                        return None
                    out += [(w * v, *rest) for v, *rest in parts]
                return out
            if name == "affine":
                mu, a, b = law._args
                parts = _far_parts(mu)
                if parts is None or a.free_symbols or b.free_symbols:
                    return None
                return [(v, kind, a * obj + b, s, t) if kind == "atom"
                        else (v, kind, obj, a * s, a * t + b) for v, kind, obj, s, t in parts]
            model = getattr(law, "_model", None)
            if callable(model) and hasattr(model(), "far_nodes"):
                return None if law.atoms() else [(sp.S.One, "model", model(), sp.S.One,
                                                  sp.S.Zero)]
            if law.continuous_mass() == 0:
                return [(a.mass, "atom", a.location, sp.S.One, sp.S.Zero) for a in law.atoms()]
        except Exception:  # noqa: BLE001 (symbolic or unavailable: the law's own G serves)
            return None
        return None

    memo = getattr(law, "_memo", None)
    return build() if memo is None else memo("sproduct_far_parts", build)


def _far_float(law) -> tuple | None:
    """Float64 point masses (t, W, W2) of a factor (:func:`_far_parts`; W2 the rule of twice
    the step, atoms in both), or None when the parts are unknown or their weights do not sum
    to 1 to 1e-10 (then the law's own G serves)."""
    parts = _far_parts(law)
    if parts is None:
        return None
    ts, Ws, W2s = [], [], []
    for w, kind, obj, a, b in parts:
        w = float(sp.N(w, 20))
        if kind == "atom":
            ts.append(np.array([float(sp.N(obj, 20))]))
            Ws.append(np.array([w]))
            W2s.append(np.array([w]))
        else:
            t, W, W2 = obj.far_nodes()
            if a != 1 or b != 0:
                t = float(sp.N(a, 20)) * t + float(sp.N(b, 20))
            ts.append(t)
            Ws.append(w * W)
            W2s.append(w * W2)
    t, W, W2 = np.concatenate(ts), np.concatenate(Ws), np.concatenate(W2s)
    if not (abs(np.sum(W) - 1) <= 1e-10 and np.all(np.isfinite(t))):
        return None
    return t, W, W2


def far_moments_at(law, pts, K) -> tuple | None:
    """(cs, err): for each real mpf x0 in ``pts`` (off the support, either side) the moments
    c_k = int (x0 - t)^-(k+1) dmu(t), k = 0..K, at the working precision, from one quadrature
    pass per model (:func:`_far_parts`), and the largest relative change of the last
    quadrature level (0 for atoms); None when the parts are unknown.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> law = fa.mixture([fa.dirac(1), fa.affine(fa.dirac(1), -2)], [sp.S(1) / 2, sp.S(1) / 2])
    >>> with mpmath.workdps(20):      # (delta_1 + delta_-2)/2 at 3: (1/2 + 1/5)/2 = 0.35
    ...     (c,), err = far_moments_at(law, [mpmath.mpf(3)], 1)
    ...     print(mpmath.nstr(c[0], 12), mpmath.nstr(c[1], 12), err)
    0.35 0.145 0.0
    """
    parts = _far_parts(law)
    if parts is None:
        return None
    dps = mpmath.mp.dps
    cs = [[mpmath.mpf(0)] * (K + 1) for _ in pts]
    err = mpmath.mpf(0)
    for w, kind, obj, a, b in parts:
        w = mpmath.mpf(sp.N(w, dps + 5))
        if kind == "atom":
            loc = mpmath.mpf(sp.N(obj, dps + 5))
            for c, x0 in zip(cs, pts):
                u = 1 / (x0 - loc)
                v = w * u
                for k in range(K + 1):
                    c[k] += v
                    v *= u
            continue
        # the part is a X + b: (x0 - a t - b)^-(k+1) = a^-(k+1) ((x0 - b)/a - t)^-(k+1)
        av, bv = mpmath.mpf(sp.N(a, dps + 5)), mpmath.mpf(sp.N(b, dps + 5))
        got, e = obj.far_moments([(x0 - bv) / av for x0 in pts], K)
        for c, d in zip(cs, got):
            for k in range(K + 1):
                c[k] += w * d[k] / av ** (k + 1)
        err = max(err, e)
    return cs, err


def _far_moments(law, x0, K) -> tuple | None:
    """(c, err) of :func:`far_moments_at` at one point x0."""
    got = far_moments_at(law, [x0], K)
    return None if got is None else (got[0][0], got[1])


class _Factor:
    """psi(x) = x G(x) - 1 of one factor on (b, inf) and its inverse x(m) in float64."""

    def __init__(self, law, k):
        self.law, self.k = law, int(k)
        self.a, self.b, self.zero = _band(law)
        # a table of psi on x = b (1 + d), d from 1e-12 to 1e8 (psi decreasing): the starts
        # and brackets of the inversions (built once per law: edges and hull share it)
        memo = getattr(law, "_memo", None)
        self.far = _far_float(law) if memo is None else memo("sproduct_far_float",
                                                              lambda: _far_float(law))

        # psi from the point masses where they are certified (far from the support: cheap),
        # from the law's G next to the support only when an inversion or the grid of m
        # reaches there (:meth:`fill`)
        def table():
            xt = self.b * (1.0 + np.geomspace(1e-12, 1e8, 241))
            p, _, ok = self._psi_far(xt)
            bad = np.nonzero(~ok)[0]
            k = 0 if bad.size == len(xt) else (int(bad[-1]) + 1 if bad.size else 0)
            if k >= len(xt) - 1 or k and not np.all(ok[k:]):
                k = 0       # not a prefix next to the support: the whole table at once
            if k == 0 and bad.size:
                p = self.psi(xt)[0]
            return xt, p, k

        xt, pt, k = table() if memo is None else memo("sproduct_psi_table", table)
        self._xall, self._pall, self._k = xt, pt, k
        self.xt, self.pt = xt[k:], pt[k:]
        self._check()

    def _check(self):
        if not (np.all(np.isfinite(self.pt)) and np.all(np.diff(self.pt) < 0)
                and self.pt[-1] > 0):
            raise ArithmeticError("psi of a factor is not positive and decreasing beyond its "
                                  "support in float64")

    @property
    def complete(self) -> bool:
        """Whether the table reaches down to x = b (1 + 1e-12)."""
        return self._k == 0

    def fill(self):
        """Extend the table down to x = b (1 + 1e-12), next to the support (the law's G)."""
        if self._k:
            k, law = self._k, self.law

            def near():
                return self.psi(self._xall[:k])[0]

            memo = getattr(law, "_memo", None)
            p = near() if memo is None else memo("sproduct_psi_near", near)
            self._k, self.xt = 0, self._xall
            self.pt = np.concatenate([p, self._pall[k:]])
            self._check()

    @property
    def M(self) -> float:
        """psi next to the support (x = b (1 + 1e-12)): the top of the range of m."""
        self.fill()
        return float(self.pt[0])

    def _psi_far(self, x):
        """(psi, psi', certified) from the point masses (:meth:`psi`); NaN where there are
        none."""
        if self.far is None or not x.size:
            return np.full(x.shape, np.nan), np.full(x.shape, np.nan), \
                np.zeros(x.shape, dtype=bool)
        t, W, W2 = self.far
        with np.errstate(all="ignore"):
            r = 1.0 / (x[:, None] - t[None, :])
            a = t[None, :] * r
            p1, p2 = a @ W, a @ W2
            a *= r
            d1, d2 = -(a @ W), -(a @ W2)
        # (x >= b (1 + 1e-3): closer, the rounding of the nodes t next to b, magnified by
        # t/(x - t), dominates the sums, as in :func:`freealg.numeric.quadrature.far_gdg`)
        ok = (np.abs(p1 - p2) <= 1e-9 * np.abs(p1)) & (np.abs(d1 - d2) <= 1e-9 * np.abs(d1)) \
            & np.isfinite(p1) & np.isfinite(d1) & (x >= self.b * (1 + 1e-3))
        return p1, d1, ok

    def psi(self, x):
        """(psi(x), psi'(x)) on a float array x > b: from the point masses at x >= b (1 + 1e-3)
        where the rule and the rule of twice the step agree to 1e-9 (the finer one then to
        ~1e-18: tanh-sinh squares its error when the step halves; the rounding of the nodes
        leaves ~1e-14), psi = sum W t/(x - t) and
        psi' = -sum W t/(x - t)^2 (positive terms on [0, inf): no cancellation, unlike
        x G - 1 far out); from the law's G elsewhere (near the support)."""
        x = np.asarray(x, dtype=float)
        psi, dpsi, ok = self._psi_far(x)
        todo = ~ok
        if np.any(todo):
            xx = x[todo]
            G, dG = real_gdg(self.law, xx, NP)
            psi[todo], dpsi[todo] = xx * G - 1.0, G + xx * dG
        return psi, dpsi

    def invert(self, m):
        """(x(m) > b, psi'(x(m))) on an array of m in (psi(x_max), M) (NaN elsewhere): Newton
        in log x inside the table's bracket (bisection where a step leaves it)."""
        m = np.asarray(m, dtype=float)
        if not self.complete and np.any(m >= self.pt[0]):
            self.fill()
        x = np.full(m.shape, np.nan)
        dpsi = np.full(m.shape, np.nan)
        # the bracket [xt[i], xt[i + 1]] with pt[i] >= m > pt[i + 1]
        i = np.searchsorted(-self.pt, -m, side="left") - 1
        ok = (i >= 0) & (i < len(self.xt) - 1) & np.isfinite(m)
        idx = np.nonzero(ok)[0]
        lo, hi = np.log(self.xt[i[idx]]), np.log(self.xt[i[idx] + 1])
        p0, p1 = np.log(self.pt[i[idx]]), np.log(self.pt[i[idx] + 1])
        lm = np.log(m[idx])
        t = lo + (hi - lo) * (lm - p0) / (p1 - p0)       # log-log interpolation
        for _ in range(60):
            if idx.size == 0:
                break
            xx = np.exp(t)
            p, dp = self.psi(xx)
            f = p - m[idx]
            # the bracket: psi(x) > m left of the root
            lo = np.where(f > 0, t, lo)
            hi = np.where(f > 0, hi, t)
            step = f / (dp * xx)                          # Newton in log x
            tn = t - step
            out = ~((tn > lo) & (tn < hi)) | ~np.isfinite(tn)
            tn = np.where(out, 0.5 * (lo + hi), tn)
            # a few ulps of log x (1e-15 absolute is below the spacing of doubles at
            # log x > 4.5: only an exact fixed point ended the loop there)
            tol = 4e-16 * np.maximum(1.0, np.abs(t))
            done = (np.abs(tn - t) <= tol) | (hi - lo <= tol)
            x[idx[done]], dpsi[idx[done]] = xx[done], dp[done]
            keep = ~done
            idx, t, lo, hi, xx, dp = idx[keep], tn[keep], lo[keep], hi[keep], xx[keep], dp[keep]
        # rounding noise in psi (x G - 1 far out, from the law's G) can keep Newton jittering
        # inside a bracket of 1e-8: accept a bracket below 1e-9 of log x (x to ~1e-8 relative
        # at worst; the mpmath stage polishes the x_j, the hull keeps its margin)
        fin = np.isfinite(t) & (hi - lo <= 1e-9 * np.maximum(1.0, np.abs(t)))
        if np.any(fin):
            x[idx[fin]], dpsi[idx[fin]] = xx[fin], dp[fin]
        return x, dpsi


def _factors(factors) -> list:
    return [_Factor(law, k) for law, k in factors]


def _F(fs, n, m):
    """(F(m) = log X(m), F'(m), xs) in float64 on an array m."""
    F = (1 - n) * np.log1p(1.0 / m)
    dF = (n - 1) / (m * (1.0 + m))
    xs = []
    for f in fs:
        x, dpsi = f.invert(m)
        F = F + f.k * np.log(x)
        dF = dF + f.k / (dpsi * x)
        xs.append(x)
    return F, dF, xs


def right_edge_float(factors) -> tuple | None:
    """(m_+, X(m_+), xs) of the first local minimum of X in float64 (module docstring), or None
    when X has no minimum before a factor's edge is reached.

    Examples
    --------
    >>> import freealg as fa
    >>> m, r, _ = right_edge_float([(fa.free_poisson(1), 2)])     # 3^3/2^2 at m = 1/2
    >>> round(m, 12), round(r, 12)
    (0.5, 6.75)
    """
    return _right_edge(_factors(factors))


def illinois(f, a: float, b: float, fa: float, fb: float, rtol: float,
             floor: float = 1.0) -> float | None:
    """The root of f in the float64 bracket [a, b] (f(a) and f(b) of opposite signs, or one
    of them 0) by the Illinois variant of regula falsi, until the bracket is below ``rtol``
    times max(floor, |root|), at most 100 steps; None where f is not finite at a step.

    Examples
    --------
    >>> r = illinois(lambda x: x * x - 2, 1.0, 2.0, -1.0, 2.0, 4e-16)
    >>> bool(abs(r - 2 ** 0.5) < 1e-15)
    True
    """
    side = 0
    m = b
    for _ in range(100):
        m = (a * fb - b * fa) / (fb - fa)
        if not min(a, b) < m < max(a, b):
            m = 0.5 * (a + b)
        d = f(m)
        if not math.isfinite(d):
            return None
        if (d > 0) == (fa > 0) and d != 0:
            a, fa = m, d
            if side == -1:
                fb *= 0.5
            side = -1
        else:
            b, fb = m, d
            if side == 1:
                fa *= 0.5
            side = 1
        if abs(b - a) <= rtol * max(floor, abs(m)) or d == 0:
            break
    return m


def _right_edge(fs) -> tuple | None:
    """:func:`right_edge_float` on built factors (each tabulates its psi once)."""
    n = sum(f.k for f in fs)
    bottom = max(f.pt[-1] for f in fs) * (1 + 1e-9)
    # ascending chunks of a geometric grid (16 points a decade) until F' turns positive: F' < 0
    # on (0, m_+) (X decreases), so the first sign change brackets m_+. The grid first stops
    # where the factors' tables from point masses stop, and goes on next to the supports (the
    # tables filled from the laws' G) only when no sign change came before
    prev = None
    bracket = None
    ended = False
    for full in (False, True):
        if full:
            if all(f.complete for f in fs):
                break
            for f in fs:
                f.fill()
        top = min(min(float(f.pt[0]) for f in fs) * (1 - 1e-9), 1e8)
        if not bottom < top:
            if full or all(f.complete for f in fs):
                return None
            continue
        grid = np.exp(np.arange(np.log(bottom), np.log(top), np.log(10) / 16))
        grid = np.append(grid, top)
        if prev is not None:
            grid = grid[grid > prev[0]]
        for start in range(0, len(grid), 24):
            ms = grid[start:start + 24]
            _, dF, _ = _F(fs, n, ms)
            bad = np.nonzero(~np.isfinite(dF))[0]
            ended = bool(bad.size)
            if ended:
                # float64 cannot resolve x_j(m) - b_j any more (m within 1e-9 of
                # psi_j(b_j)): the grid ends here
                ms, dF = ms[:bad[0]], dF[:bad[0]]
            turn = np.nonzero(dF > 0)[0]
            if turn.size:
                j = int(turn[0])
                if j == 0:
                    if prev is None:
                        return None       # X increasing from the start of the grid
                    bracket = (prev[0], ms[0], prev[1], dF[0])
                else:
                    bracket = (ms[j - 1], ms[j], dF[j - 1], dF[j])
                break
            if ended:
                break
            prev = (ms[-1], dF[-1])
        if bracket is not None or ended:
            break
    if bracket is None:
        return None     # X decreases on the whole grid: a factor's edge is reached first
    m = illinois(lambda m: float(_F(fs, n, np.array([m]))[1][0]), *bracket, 4e-16, 0.0)
    if m is None:
        return None
    Fm, _, xm = _F(fs, n, np.array([m]))
    return float(m), float(np.exp(Fm[0])), [float(x[0]) for x in xm]


#: guard digits of the mpmath stage: a factor's Cauchy transform by quadrature is accurate to
#: about 9 digits less than the working precision, so dps + 15 leaves 10^(-dps-5) relative
GUARD = 15


def _second(fs, n, m) -> float:
    """Half the float64 second difference of F at m (a lower bound of F'' near m)."""
    h = 1e-4 * m
    _, d, _ = _F(fs, n, np.array([m - h, m + h]))
    return 0.5 * float(d[1] - d[0]) / (2 * h)


def _polish(f, m, x0, dps):
    """x(m) to ``dps`` digits: Newton in mpmath from x0 (float64, or a polished x at a nearby
    m moved along the tangent) until the steps converge quadratically, at most 8 steps.

    Returns (x, its error bound, psi'(x)). The factor's G is accurate to about
    10^(-dps-5) |G| at the working precision dps + ``GUARD`` (an mpmath Cauchy transform by
    quadrature keeps ~9 digits less than its working precision), which moves the root by
    10^(-dps-5) |x G / psi'(x)| (the rounding term). Once a step s_k is below 1e-8 of the one
    before (the quadratic regime), the error left after it is about q s_k^2 with
    q = s_k / s_(k-1)^2 the observed Newton constant; the bound is 100 q s_k^2 plus the
    rounding term, and Newton stops once that is below 10^(-dps-3) x (two steps from a
    float64 start: s_1 ~ 1e-13, s_2 ~ 1e-26, a bound ~1e-50)."""
    x = mpmath.mpf(x0)
    steps: list = []
    floor = mpmath.mpf(10) ** (-dps - 3) * abs(x)
    for _ in range(8):
        G, dG = real_gdg(f.law, x, MP)
        dpsi = G + x * dG
        step = (x * G - 1 - m) / dpsi
        x -= step
        rounding = mpmath.mpf(10) ** (-dps - 5) * abs(x * G / dpsi)
        steps.append(abs(step))
        if steps[-1] <= rounding:
            return x, steps[-1] + rounding, dpsi
        if len(steps) > 1 and steps[-1] <= mpmath.mpf(10) ** -8 * steps[-2]:
            left = 100 * steps[-1] ** 3 / steps[-2] ** 2
            if left <= floor:
                return x, left + rounding, dpsi
    raise ArithmeticError("the Newton steps of a factor's inverse did not converge")


def _left_kind(fs) -> str:
    """The kind of the edge at 0: 'soft' when every factor's density vanishes at 0 like a
    positive power (its own edge at 0 is soft; a factor whose support starts above 0 has no
    mass there), else 'hard'."""
    for f in fs:
        if f.zero:
            first = min(f.law.edges(), key=lambda e: float(e.location))
            if first.kind != "soft":
                return "hard"
    return "soft"


def product_edges(factors, dps: int = 30, law=None) -> list | None:
    """[left, right] Edges of ⊠ ``factors`` ((law, multiplicity) pairs) as in the module
    docstring, or None when the module does not apply (a factor with an atom outside its band
    or several bands, no factor reaching 0, or a right edge at a factor's edge).

    Examples
    --------
    >>> import freealg as fa
    >>> left, right = product_edges([(fa.free_poisson(1), 2)], dps=25)    # 27/4
    >>> print(mpmath.nstr(right.location, 25), right.error < 1e-24, right.exponent)
    6.75 True 1/2
    """
    if not applies(factors, law):
        return None
    try:
        return _edges(factors, dps, law)
    except (ArithmeticError, ValueError):
        return None     # float64 could not tabulate or invert a factor: the caller's search


def hull_float(factors, law=None) -> tuple | None:
    """(lo, hi): float bounds of the support [0, r] of ⊠ ``factors`` when the module applies,
    hi the float64 X at its minimiser (X(m) >= X(m_+) = r) with a 1e-9 margin for rounding;
    None otherwise. Cheaper than bisecting every factor's psi on a grid of m. lo is the
    smallest normal float, so that the edge x = 0 itself is outside (a float64 solve at z = 0
    is singular; the density there is 0, or infinite at a hard edge, which no float shows).

    Examples
    --------
    >>> import freealg as fa
    >>> lo, hi = hull_float([(fa.free_poisson(1), 2)])                  # edge 27/4
    >>> 0 < lo < 1e-300, bool(6.75 <= hi <= 6.75 * (1 + 1e-8))
    (True, True)
    """
    if not applies(factors, law):
        return None
    try:
        fs, got = _float_minimum(factors, law)
    except (ArithmeticError, ValueError):
        return None
    r = _top_atoms_edge(fs) if any(f.zero for f in fs) else None
    if r is not None:
        return (float(np.finfo(float).tiny), float(r))
    return None if got is None else (float(np.finfo(float).tiny), got[1] * (1 + 1e-9))


def _float_minimum(factors, law=None) -> tuple:
    """(built factors, :func:`_right_edge` of them or None when no factor reaches 0), kept on
    ``law`` when given: the hull and the edges at every dps share one float64 minimisation."""

    def build():
        fs = _factors(factors)
        return fs, (_right_edge(fs) if any(f.zero for f in fs) else None)

    memo = getattr(law, "_memo", None)
    return build() if memo is None else memo("sproduct_float_minimum", build)


def _minimum_polish(fs, n, m0, xs0, curv, dps):
    """(X(m), its error bound) at the minimiser m of F refined from the float64 m0 (working
    precision dps + GUARD): every x_j(m) polished by Newton on the factor's own G
    (:func:`_polish`), m by Newton steps on F' with F'' ~ 2 ``curv``."""
    m = mpmath.mpf(m0)
    xs = [mpmath.mpf(x0) for x0 in xs0]
    for _ in range(6):
        logX = (1 - n) * mpmath.log((1 + m) / m)
        dF = (n - 1) / (m * (1 + m))
        rel = mpmath.mpf(0)
        dpsis = []
        for j, f in enumerate(fs):
            xs[j], err, dpsi = _polish(f, m, xs[j], dps)
            dpsis.append(dpsi)
            logX += f.k * mpmath.log(xs[j])
            dF += f.k / (dpsi * xs[j])
            rel += f.k * err / xs[j]
        # F'(m)^2 / F''_low bounds X(m)/X(m_+) - 1 to first order; one Newton step on
        # F' = 0 (F'' ~ 2 curv) squares it (the float64 minimiser leaves F' ~ 1e-7 where
        # the terms of F' cancel)
        if dF * dF / curv <= mpmath.mpf(10) ** (-dps - 3):
            break
        dm = -dF / (2 * curv)
        m += dm
        # x_j(m) moves by dm / psi_j'(x_j): the next polish starts O(dm^2) from its root
        xs = [x + dm / dp for x, dp in zip(xs, dpsis)]
    X = mpmath.exp(logX)
    err = X * (rel + dF * dF / mpmath.mpf(curv)) + mpmath.mpf(10) ** (-dps) * X
    return X, err


#: Taylor terms of a factor's G in the mpmath stage (:class:`_Local`)
TAYLOR = 16


class FarSeries:
    """G of a law on (-inf, b] near a real x0 > b from c_k = int (x0 - t)^-(k+1) dmu(t),
    k = 0..K: G(x0 + d) = sum_k c_k (-d)^k + R with |R| <= |d|^(K+1) c_K/(gap - |d|) for
    gap <= x0 - b (every term of c_K is positive). ``gap`` must be a lower bound of x0 - b.

    Examples
    --------
    >>> with mpmath.workdps(30):      # delta_0: c_k = 3^-(k+1), G(2.9) = 1/2.9; gap 2 <= 3
    ...     s = FarSeries([mpmath.mpf(3) ** -(k + 1) for k in range(17)], mpmath.mpf(3), 2)
    ...     G, G1, G2 = s.g(mpmath.mpf("2.9"))
    ...     bool(abs(G - 1 / mpmath.mpf("2.9")) <= s.remainder(mpmath.mpf("2.9")) < 1e-25)
    True
    """

    def __init__(self, c, x0, gap):
        self.c, self.x0, self.gap = c, x0, gap

    def g(self, x) -> tuple:
        """(G, G', G'') at x by the series (Horner in u = x0 - x)."""
        u = self.x0 - x
        G = G1 = G2 = mpmath.mpf(0)
        for k in range(len(self.c) - 1, -1, -1):
            G2 = G2 * u + G1 * 2
            G1 = G1 * u + G
            G = G * u + self.c[k]
        return G, -G1, G2

    def remainder(self, x):
        """The bound on the remainder at x (inf beyond half the gap)."""
        d = abs(x - self.x0)
        if not d < self.gap / 2:
            return mpmath.inf
        return d ** len(self.c) * self.c[-1] / (self.gap - d)


class _Local(FarSeries):
    """G of one factor near a real x0 beyond its support [a, b], from the moments
    c_k = int (x0 - t)^-(k+1) dmu(t) (:func:`_far_moments`, one quadrature pass):

        G(x0 + d) = sum_{k <= K} c_k (-d)^k + R,   |R| <= |d|^(K+1) c_K / (x0 - b - |d|)

    (mu sits on t <= b, and 1/(x0 + d - t) <= 1/(x0 - b - |d|) there). Every Newton step of
    the mpmath stage then costs a polynomial instead of a quadrature."""

    def __init__(self, f, x0, c, qerr):
        # b is a float64 of the exact end: a margin of 1e-15 of it keeps the gap a lower bound
        super().__init__(c, x0, x0 - mpmath.mpf(f.b) * (1 + mpmath.mpf(10) ** -15))
        self.qerr = qerr

    @classmethod
    def build(cls, f, x0) -> "_Local | None":
        got = _far_moments(f.law, x0, TAYLOR)
        return None if got is None else cls(f, x0, *got)

    def solve(self, m, x, dps):
        """(x(m), its error bound, psi'(x), psi''(x)): Newton on x G(x) - 1 = m with the
        series from x, to the working precision. The error bound is the series remainder and
        the quadrature's error (10^(-dps-5) relative, as :func:`_polish` assumes, or 100 times
        the square of the last level's change where that is larger), moved through psi', plus
        the last Newton step."""
        tol = mpmath.ldexp(abs(x), -mpmath.mp.prec + 6)
        for _ in range(60):
            G, G1, _ = self.g(x)
            dpsi = G + x * G1
            step = (x * G - 1 - m) / dpsi
            x -= step
            if abs(step) <= tol:
                break
        else:
            raise ArithmeticError("the Newton steps on a factor's series did not converge")
        G, G1, G2 = self.g(x)
        dpsi, d2psi = G + x * G1, 2 * G1 + x * G2
        eps = max(mpmath.mpf(10) ** (-dps - 5), 100 * self.qerr ** 2) * G + self.remainder(x)
        return x, eps * abs(x / dpsi) + abs(step), dpsi, d2psi


def _minimum_local(fs, n, m0, xs0, curv, dps):
    """:func:`_minimum_polish` with every factor's G from its series about the float64
    x_j(m0) (:class:`_Local`; rebuilt about the current x_j should it move beyond an eighth
    of the gap to the support), and Newton on F' with the exact F''; None when some factor's
    point masses are unknown."""
    xs = [mpmath.mpf(x0) for x0 in xs0]
    locs = []
    for f, x in zip(fs, xs):
        loc = _Local.build(f, x)
        if loc is None:
            return None
        locs.append(loc)
    m = mpmath.mpf(m0)
    for _ in range(30):
        logX = (1 - n) * mpmath.log((1 + m) / m)
        dF = (n - 1) / (m * (1 + m))
        d2F = -(n - 1) * (1 + 2 * m) / (m * (1 + m)) ** 2
        rel = mpmath.mpf(0)
        dpsis = []
        for j, f in enumerate(fs):
            if not abs(xs[j] - locs[j].x0) <= locs[j].gap / 8:
                locs[j] = _Local.build(f, xs[j])
            x, err, dp, d2p = locs[j].solve(m, xs[j], dps)
            xs[j] = x
            dpsis.append(dp)
            logX += f.k * mpmath.log(x)
            dF += f.k / (dp * x)
            # d/dm of 1/(psi' x), with dx/dm = 1/psi'
            d2F -= f.k * (d2p * x + dp) / (dp ** 3 * x * x)
            rel += f.k * err / x
        # F'(m)^2 / F''_low bounds X(m)/X(m_+) - 1 to first order (module docstring)
        if dF * dF / curv <= mpmath.mpf(10) ** (-dps - 3):
            break
        dm = -dF / (d2F if d2F > 0 else 2 * curv)
        m += dm
        xs = [x + dm / dp for x, dp in zip(xs, dpsis)]
    X = mpmath.exp(logX)
    return X, X * (rel + dF * dF / mpmath.mpf(curv)) + mpmath.mpf(10) ** (-dps) * X


def _top_atoms_edge(fs) -> sp.Expr | None:
    """r = prod_j b_j^(k_j) exactly when every factor has an atom of mass alpha_j at the top
    b_j of its band and the masses sum to exactly n - 1 (n = sum_j k_j): X(m) then decreases
    to that limit and has no minimum (the depth-2 ELU Jacobian: two atoms 1/2 at 1). None
    otherwise.

    Why. The product is at most prod_j b_j (the norm of a^(1/2) b a^(1/2) is at most
    ||a|| ||b||). And a_j >= b_j p_j, p_j the spectral projection of the atom (trace alpha_j),
    so the product dominates b_1 b_2 law(p_1 p_2 p_1) in the operator order: for free
    projections of traces alpha, beta the continuous part of law(p q p) lives on
    [lambda_-, lambda_+], lambda_+- = alpha + beta - 2 alpha beta +- 2 sqrt(alpha beta
    (1 - alpha)(1 - beta)) (Voiculescu), and 1 - lambda_+ = 0 exactly when
    alpha + beta = 1 ((1 - lambda_+)(1 - lambda_-) = (1 - alpha - beta)^2); when
    alpha + beta > 1 there is an atom alpha + beta - 1 at 1 instead. By induction over the
    factors (a partial product keeps an atom Sum alpha - (i - 1) at its top), the norm is
    prod_j b_j^(k_j) when Sum k_j alpha_j >= n - 1, with no atom at equality. The edge is
    'hard': near 1 the dominated law has density ~ (1 - x)^(-1/2), so the mass of the
    product within eps of r is at least ~ sqrt(eps): its density cannot vanish there. The
    exponent is not claimed."""
    n = sum(f.k for f in fs)
    total, top = sp.S.Zero, sp.S.One
    try:
        for f in fs:
            hi = sp.sympify(f.law.support()[0].hi)
            mass = [a.mass for a in f.law.atoms() if sp.simplify(sp.sympify(a.location) - hi) == 0]
            if len(mass) != 1:
                return None
            total += f.k * sp.sympify(mass[0])
            top *= hi ** f.k
    except Exception:  # noqa: BLE001 (symbolic or unavailable: not this case)
        return None
    if top.has(sp.Float) or total.has(sp.Float) or sp.simplify(total - (n - 1)) != 0:
        return None
    return sp.simplify(top)


def _edges(factors, dps, law=None):
    fs, got = _float_minimum(factors, law)
    r = _top_atoms_edge(fs) if any(f.zero for f in fs) else None
    if r is not None:
        return [Edge(sp.S.Zero, _left_kind(fs), 0, "left"), Edge(r, "hard", 0, "right")]
    if got is None:
        return None
    m0, _, xs0 = got
    n = sum(f.k for f in fs)
    curv = _second(fs, n, m0)
    if not curv > 0:
        return None
    with mpmath.workdps(dps + GUARD):
        got = _minimum_local(fs, n, m0, xs0, curv, dps)
        X, err = got if got is not None else _minimum_polish(fs, n, m0, xs0, curv, dps)
    with mpmath.workdps(dps):
        loc = +X
    left = Edge(sp.S.Zero, _left_kind(fs), 0, "left")
    right = Edge(loc, "soft", mpmath.mpf(mpmath.nstr(err, 3)) * (1 + mpmath.mpf(1) / 100),
                 "right", sp.Rational(1, 2))
    return [left, right]
