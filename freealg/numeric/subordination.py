"""Subordination systems of law trees: residuals, starting values, and their numerics.

An engine module. A composite law (⊞, ⊠, powers, products, affine maps, mixtures) contributes
unknowns (subordination functions) to one Newton system of its whole tree, continued from
z = x + iY down to the real axis (``freealg.kernels.continuation``). This module writes the
residuals of each operation (``*_gpsi`` functions: append residuals to ``ctx.res`` and return
the pair (G, psi = z G - 1) as Duals) and their starting values at large Im z (``*_guess``),
and runs the composite law's numerics (:func:`cauchy_np`, :func:`cauchy_mp`, the engines of
edges). It works on any law-like object (duck typing) through ``_nunk``, ``_gpsi_dual``,
``_g_dual``, ``_g``, ``_dg``, ``_guess``, ``_mean_float``, ``_hull_float``, ``_psi``,
``_cauchy_np``, ``_scale``, ``_memo``; the law's parameters enter as numbers.

Equations (conventions of ``docs/conventions.md``):

* ⊞ (Voiculescu 1993; Biane 1998; Belinschi-Bercovici 2007):
  F_mu(w1) = F_nu(w2) = w1 + w2 - z,  G = G_mu(w1),  w_i ~ z at infinity.
* mu^{⊞t}, t >= 1 (from R_{mu^{⊞t}} = t R_mu): t w = z + (t - 1) F_mu(w),  G = G_mu(w).
* ⊠ in the z variable (Biane 1998; Belinschi-Bercovici 2007, with w -> 1/w): with
  eta_mu(w) = 1 - 1/(w G_mu(w)):  eta_mu(W1) = eta_nu(W2) = eta,  W1 W2 eta = z,
  z G(z) = W1 G_mu(W1),  W1 ~ z/m_1(nu), W2 ~ z/m_1(mu).
* ⊠ of many factors (Voiculescu 1987, S = prod_j S_j^{k_j}): with m = z G - 1 and
  psi_j(W_j) = m, prod_j (W_j m/(1+m))^{k_j} = z m/(1+m), solved in logarithms.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..errors import InvalidParameterError, NoConvergence
from ..kernels.backend import MP, NP
from ..kernels.continuation import newton_mp, polish_mp, solve_mp, solve_np
from ..kernels.dual import Dual
from .dispatch import record
from .unknowns import solve_unknowns_mp

__all__ = ["Context", "System", "norm_const", "dlog", "conj", "additive_gpsi", "additive_guess",
           "power_gpsi", "power_guess", "multiplicative_gpsi", "multiplicative_guess",
           "product_gpsi", "product_guess", "mixture_gpsi", "mixture_guess", "affine_gpsi",
           "affine_guess", "affine_closed", "exponential_gpsi", "closed_value", "closed_mp",
           "cauchy_np", "cauchy_mp", "mixture_density", "compression_unknowns",
           "cauchy_mp_at_zero", "unknowns", "s_edge_bound", "product_hull", "product_scale",
           "exponential_hull"]


class Context:
    """Collects residuals (``res``) and evaluation points (``pts``) of one evaluation."""

    __slots__ = ("res", "pts")

    def __init__(self):
        self.res: list = []
        self.pts: list = []


class System:
    """A composite law as a Newton system of ``freealg.kernels.continuation``.

    Examples
    --------
    >>> import freealg as fa
    >>> s = System(fa.free_additive(fa.semicircle(1), fa.free_poisson(1)))
    >>> s.n                                  # omega_1, omega_2
    2
    """

    def __init__(self, law: Any):
        self.law = law
        self.n = law._nunk
        self.scale = law._scale
        # laws whose solution bends quickly along the path ask for finer steps
        self.ratio = getattr(law, "_path_ratio", None)

    def evaluate(self, z: Dual, w, be, args):
        ctx = Context()
        G = self.law._g_dual(z, list(w), be, ctx)
        args.extend(ctx.pts)
        return ctx.res, G

    def guess(self, z, be):
        return self.law._guess(z, be)


# --------------------------------------------------------------------------------------------
# residuals and starting values of each operation


def norm_const(zeta, be):
    """1/(1 + |zeta|) as a plain number (not a Dual): a constant residual scale."""
    return 1 / (1 + be.abs(zeta.v))


def dlog(x: Dual, be) -> Dual:
    """log of a Dual."""
    return x.apply(be.log(x.v), 1 / x.v)


def conj(x, be):
    """Complex conjugate on either back end."""
    return np.conj(x) if be is NP else mpmath.conj(x)


def additive_gpsi(mu, nu, zeta, w, be, ctx):
    """mu ⊞ nu: unknowns (w1, w2, mu's, nu's); residuals F_mu(w1) - s, F_nu(w2) - s with
    s = w1 + w2 - z, normalised by 1 + |z| (Newton is invariant under that; the convergence
    test on the residual then means a relative accuracy). mu == nu: :func:`power_gpsi`, t = 2
    (the reduced equation: the full one is singular there)."""
    if mu == nu:
        return power_gpsi(mu, 2, zeta, w, be, ctx)
    na = mu._nunk
    o1, o2 = w[0], w[1]
    Ga, psa = mu._gpsi_dual(o1, w[2:2 + na], be, ctx)
    Gb = nu._g_dual(o2, w[2 + na:], be, ctx)
    s = o1 + o2 - zeta
    c = norm_const(zeta, be)
    ctx.res.append((1 / Ga - s) * c)
    ctx.res.append((1 / Gb - s) * c)
    # z G - 1 = psi_mu(w1) + (z - w1) G_mu(w1)
    return Ga, psa + (zeta - o1) * Ga


def additive_guess(mu, nu, zeta, be):
    """The subordination functions far out, omega_mu(z) = z - k_1(nu) - k_2(nu)/z + O(z^-2)
    (k_j the free cumulants: mean and variance), the variance term only where |z|^2 exceeds
    4 k_2. Without it psi_{mu ⊞ nu} = psi_mu(w1) + (z - w1) G_mu(w1) misses the variance of nu
    at the start, by a factor that a ⊠ of such sums did not recover from (two residual GELU
    layers)."""
    if mu == nu:
        return power_guess(mu, 2, zeta, be)
    o1 = zeta - nu._mean_float() - _variance_term(nu, zeta, be)
    o2 = zeta - mu._mean_float() - _variance_term(mu, zeta, be)
    return [o1, o2] + mu._guess(o1, be) + nu._guess(o2, be)


def _variance_term(law, zeta, be):
    """k_2/z where |z|^2 > 4 k_2, else 0 (k_2 = 0 where the moments are not numbers)."""
    def var():
        try:
            m1, m2 = law.moments(2)
            v = float(m2 - m1**2)
        except (TypeError, ValueError, NotImplementedError, ArithmeticError):
            return 0.0
        return v if v > 0 and np.isfinite(v) else 0.0

    v = law._memo("variance_float", var)
    if v == 0:
        return 0
    if be is NP:
        z = np.asarray(zeta, dtype=complex)
        return np.where(np.abs(z) ** 2 > 4 * v, v / np.where(z == 0, 1, z), 0)
    return v / zeta if abs(zeta) ** 2 > 4 * v else 0


def power_gpsi(mu, t, zeta, w, be, ctx):
    """mu^{⊞t}: unknowns (w, mu's); residual t w - z - (t - 1) F_mu(w)."""
    om = w[0]
    Ga, psa = mu._gpsi_dual(om, w[1:], be, ctx)
    ctx.res.append((t * om - zeta - (t - 1) / Ga) * norm_const(zeta, be))
    return Ga, psa + (zeta - om) * Ga


def power_guess(mu, t, zeta, be):
    om = zeta - (t - 1) * mu._mean_float()
    return [om] + mu._guess(om, be)


def multiplicative_gpsi(mu, nu, zeta, w, be, ctx):
    """mu ⊠ nu: unknowns (W1, W2, mu's, nu's) (W1 = W2 for mu == nu); eta = psi/(1 + psi)
    with psi = W G(W) - 1 evaluated stably by the children (1 - 1/(W G) cancels when W is
    large), and 1 + psi = W G taken from G itself (near z = 0, psi -> -1).

    The equations psi_mu(W1) = psi_nu(W2), W1 W2 psi = z (1 + psi) are written without
    division by psi or by 1 + psi, each row scaled by a constant (plain numbers from the
    current values: Newton's root and its quadratic convergence are unchanged). Both vanish
    at real points of a gap: 1 + psi = z G = 0 where G crosses 0 (then a W is 0), psi = 0
    where G = 1/z (then a W is infinite); the quotients were 0/0 there (e.g. H_3 of a ReLU
    network at 2.5).
    """
    if mu == nu:
        W = w[0]
        Ga, psa = mu._gpsi_dual(W, w[1:], be, ctx)
        WG = W * Ga
        ctx.res.append(_product_row(W * W * psa, WG, zeta, be))
        return WG / zeta, psa
    na = mu._nunk
    W1, W2 = w[0], w[1]
    Ga, psa = mu._gpsi_dual(W1, w[2:2 + na], be, ctx)
    _, psb = nu._gpsi_dual(W2, w[2 + na:], be, ctx)
    small = be.abs(psa.v + psb.v) < _SMALL * (1 + be.abs(psa.v) + be.abs(psb.v))
    ctx.res.append(_pick(small, lambda: (psa - psb) * (1 / (1 + be.abs(psa.v) + be.abs(psb.v))),
                         lambda: (psa - psb) / (psa + psb), be))
    WG = W1 * Ga
    ctx.res.append(_product_row(W1 * W2 * psa, WG, zeta, be))
    return WG / zeta, psa


#: below this size of psa + psb or of W G (relative), the ⊠ rows switch to the product form
_SMALL = 1e-3


def _product_row(top, WG, zeta, be):
    """top/(W G z) - 1, or where |W G| is small (1 + psi -> 0) the same equation as
    (top - W G z)/(|z| (1 + |W G|)) (a plain-number row scale)."""
    small = be.abs(WG.v) < _SMALL
    return _pick(small, lambda: (top - WG * zeta) * (1 / (be.abs(zeta.v) * (1 + be.abs(WG.v)))),
                 lambda: top / (WG * zeta) - 1, be)


def _pick(small, new, old, be):
    """``new()`` where ``small``, else ``old()`` (elementwise on the numpy back end)."""
    if be is not NP:
        return new() if small else old()
    sm = np.asarray(small)
    if not sm.any():
        return old()
    if sm.all():
        return new()
    with np.errstate(all="ignore"):
        a, b = new(), old()
    return Dual(np.where(sm, a.v, b.v), [np.where(sm, x, y) for x, y in zip(a.d, b.d)])


def multiplicative_guess(mu, nu, zeta, be):
    if mu == nu:
        W = zeta / mu._mean_float()
        return [W] + mu._guess(W, be)
    W1 = zeta / nu._mean_float()
    W2 = zeta / mu._mean_float()
    return [W1, W2] + mu._guess(W1, be) + nu._guess(W2, be)


def product_gpsi(factors, n, zeta, w, be, ctx):
    """⊠_j mu_j^{⊠k_j}, n = sum k_j: unknowns (m, then W_j and mu_j's per distinct factor)."""
    m = w[0]
    q = m / (1 + m)
    acc = -dlog(zeta * q, be)
    k = 1
    for law, mult in factors:
        W = w[k]
        _, ps = law._gpsi_dual(W, w[k + 1:k + 1 + law._nunk], be, ctx)
        k += 1 + law._nunk
        ctx.res.append(ps / m - 1)
        acc = acc + mult * dlog(W * q, be)
    # the product equation in logarithms (exp(...) - 1 makes Newton overshoot for large
    # multiplicities); the principal logs are continuous along the path from z = iY where
    # all r_j ~ m_1(mu_j) > 0, and the admissibility test rejects a jump
    ctx.res.append(acc * (1.0 / n))  # /n: rounding of a sum of n logs is ~ n eps
    return (1 + m) / zeta, m


def product_guess(factors, logm1, zeta, be):
    m = np.exp(logm1) / zeta
    out = [m]
    for law, _ in factors:
        W = law._mean_float() / m
        out += [W] + law._guess(W, be)
    return out


def mixture_gpsi(laws, weights, zeta, w, be, ctx):
    """sum_i w_i mu_i: G and psi are the weighted sums; the unknowns of each in turn."""
    G = psi = None
    k = 0
    for law, wt in zip(laws, weights):
        g, p = law._gpsi_dual(zeta, w[k:k + law._nunk], be, ctx)
        k += law._nunk
        G = g * wt if G is None else G + g * wt
        psi = p * wt if psi is None else psi + p * wt
    return G, psi


def mixture_guess(laws, zeta, be):
    out: list = []
    for law in laws:
        out += law._guess(zeta, be)
    return out


def mixture_density(law, x, dps):
    """Density of a mixture: the weighted sum of its components' (float64 on an array when
    ``dps`` is None, else mpmath at ``dps`` digits, computed with 5 more)."""
    laws = law._args[0]
    if dps is None:
        return sum(w * mu._density_np(x) for mu, w in zip(laws, law._params(NP)))
    with mpmath.workdps(dps + 5):
        out = mpmath.fsum(w * mu._density_mp(x, dps + 5) for mu, w in zip(laws, law._params(MP)))
    with mpmath.workdps(dps):
        return +out


def affine_gpsi(mu, negated, a, b, zeta, w, be, ctx):
    """a X + b for X ~ mu: G(z) = G_mu(xi)/a, xi = (z - b)/a. For a < 0, xi lies in C-:
    G_mu(xi) = conj G_mu(conj xi) for a leaf with a formula, and -G_{-X}(-xi) otherwise,
    holomorphic in the unknowns (``negated()`` gives the law of -X, same unknowns)."""
    arg = (zeta - b) / a
    if a > 0:
        Gx, psx = mu._gpsi_dual(arg, w, be, ctx)
        # z G - 1 = psi_X(xi) + (b/a) G_X(xi)
        return Gx / a, psx + (b / a) * Gx
    Gm = None
    if mu._nunk == 0:
        cz = conj(arg.v, be)
        try:
            g, dg = mu._g(cz, be), mu._dg(cz, be)
        except NotImplementedError:     # a composite without unknowns (a mixture of leaves)
            pass
        else:
            ctx.pts.append(cz)
            Gm = arg.apply(conj(g, be), conj(dg, be))
    if Gm is None:
        Gm = -negated()._g_dual(-arg, w, be, ctx)
    G = Gm / a
    return G, zeta * G - 1


def affine_guess(mu, negated, a, b, zeta, be):
    arg = (zeta - b) / a
    if a > 0:
        return mu._guess(arg, be)
    return [] if mu._nunk == 0 else negated()._guess(-arg, be)


def exponential_gpsi(s2, zeta, w, be, ctx):
    """The law with S(m) = exp(-s2 m/(1 + m)): one unknown m = z G - 1 with
    log z + log m - s2 m/(1 + m) - log(1 + m) = 0 (chi(m) = m S(m)/(1 + m) = 1/z)."""
    m = w[0]
    ctx.res.append(dlog(zeta, be) + dlog(m, be) - s2 * m / (1 + m) - dlog(1 + m, be))
    return (1 + m) / zeta, m


def closed_value(law, z, be):
    """G(z) of a law tree without unknowns (its own ``_g_dual`` at a constant point)."""
    return law._g_dual(Dual.constant(z, 0), [], be, Context()).v


# --------------------------------------------------------------------------------------------
# numerics of a composite law


def cauchy_np(law, z):
    """G on an array (float64 continuation of the law's Newton system; NaN where it failed)."""
    system = law._system()
    w, G, info = solve_np(system, z)
    record(residual=info.residual, iterations=info.newton_iterations, steps=info.steps,
           retried=info.retried)
    bad = np.isnan(G) & (np.asarray(z).imag > 0)
    # the vectorised float64 path gave up on a few points off the axis (e.g. an inner
    # subordination point near a factor's hard edge), or lost digits at a few real points
    # where the Jacobian is singular: redo those on the adaptive mpmath path at 16 digits,
    # which has its own convergence checks; what still fails keeps its float64 value (NaN
    # off the axis). (On the axis NaN marks atoms and edges for the callers: left alone.)
    for redo in (bad, _singular_np(system, np.asarray(z), w, G)):
        if redo.any() and redo.sum() <= 16:
            G = np.array(G, dtype=complex)
            for idx in zip(*np.nonzero(redo)):
                try:
                    G[idx] = complex(law._cauchy_mp(mpmath.mpc(complex(z[idx])), 16, "path"))
                except (NoConvergence, ZeroDivisionError, ValueError):
                    pass
    return G


def _singular_np(system, z, w, G) -> np.ndarray:
    """Mask of the real points where |z G| < 1e-6 and the system's Jacobian (columns scaled by
    1 + |w|) has condition number > 1e6, so that the float64 solution has lost more than 6
    digits (Newton converges linearly there: a real point of a gap where G crosses 0, e.g. a
    ReLU network's H_3 at 2.5, where float64 gave a density of 2e-8 instead of 0)."""
    G = np.asarray(G)
    out = np.zeros(G.shape, dtype=bool)
    zb = np.broadcast_to(z, G.shape)
    # only where z G = 1 + psi is near 0 (a G crossing 0); exact edges keep float64 accuracy
    # eps/sqrt(distance) as elsewhere (a redo at each would slow the edge scans)
    with np.errstate(all="ignore"):
        # (|G| small on the scale of the law too: near a hard edge at 0, z G is small because
        # z is, while G is large and the point is not a crossing)
        real = ((zb.imag == 0) & np.isfinite(G) & (np.abs(zb * G) < 1e-6)
                & (np.abs(G) * (system.scale + 1) < 1e-3))
    if not real.any() or system.n == 0:
        return out
    idx = np.nonzero(real)
    n = system.n
    zr = np.broadcast_to(z, G.shape)[idx]
    wr = [np.broadcast_to(np.asarray(wi), G.shape)[idx] for wi in w]
    with np.errstate(all="ignore"):
        res, _ = system.evaluate(Dual.constant(zr, n),
                                 [Dual.variable(wr[i], i, n) for i in range(n)], NP, [])
        J = np.empty((zr.size, n, n), dtype=complex)
        for i, r in enumerate(res):
            for j in range(n):
                # columns in the relative scale of the unknowns (Newton's own test)
                J[:, i, j] = np.broadcast_to(r.d[j], zr.shape) * (1 + np.abs(wr[j]))
        ok = np.all(np.isfinite(J), axis=(1, 2))
        cond = np.full(zr.size, np.inf)
        if ok.any():
            cond[ok] = np.linalg.cond(J[ok])
    out[idx] = ~(cond <= 1e6)
    return out


def cauchy_mp(law, z, dps, method=None):
    """G at one point. Strategies: 'polish' (float64 continuation, then Newton at dps + 10
    digits; falls back to 'path' when the float64 point is not well inside a Newton basin) or
    'path' (the whole continuation in mpmath)."""
    system = law._system()
    if method in (None, "subordination", "polish"):
        got = polish_mp(system, z, dps=dps)
        if got is not None:
            G, info = got
            record(residual=info.residual, iterations=info.newton_iterations, steps=info.steps)
            with mpmath.workdps(dps):
                return +G
        if method == "polish":
            raise NoConvergence("float64 start + Newton polish", dps=dps, point=z,
                                advice="use method='path'")
        record(note="polish left the Newton basin; continued in mpmath ('path')")
    w, G, info = solve_mp(system, z, dps=dps)
    record(residual=info.residual, iterations=info.newton_iterations, steps=info.steps)
    if mpmath.im(z) == 0:
        G = _refined_if_singular(system, z, w, G, dps)
    with mpmath.workdps(dps):
        return +G


def _refined_if_singular(system, z, w, G, dps: int):
    """G at a real z where G crosses 0 and the Jacobian of the system is (nearly) singular,
    at full precision.

    There Newton converges linearly and the path ends with only half the digits (the error
    of w is the square root of the residual), as at an exact edge: at a real point of a gap
    where G crosses 0, a ⊠ system has 1 + psi = 0 and a W at 0. When |z G| < 10^-(dps/2)
    (exact edges are left as they were) and the reciprocal
    condition number (columns scaled by 1 + |w|) is below 10^-(dps/2), Newton is rerun from
    ``w`` at 2 dps + 20 digits (about 3.5 iterations a digit); G keeps the path's value when
    that does not converge."""
    n = system.n
    with mpmath.workdps(dps + 10):
        zc = mpmath.mpc(z)
        if not abs(zc * G) < mpmath.mpf(10) ** (-(dps // 2)):
            return G          # not a crossing of G through 0 (see above)
        try:
            res, _ = system.evaluate(Dual.constant(zc, n),
                                     [Dual.variable(w[i], i, n) for i in range(n)], MP, [])
            J = mpmath.matrix([[r.d[j] * (1 + abs(w[j])) for j in range(n)] for r in res])
            rcond = 1 / (mpmath.mnorm(J, 1) * mpmath.mnorm(mpmath.inverse(J), 1))
        except ZeroDivisionError:
            rcond = mpmath.mpf(0)
        if rcond >= mpmath.mpf(10) ** (-(dps // 2)):
            return G
    work = 2 * dps + 20
    with mpmath.workdps(work):
        tol = mpmath.mpf(10) ** (-(work - 4))
        w2, G2, its, resid, ok = newton_mp(system, mpmath.mpc(z), [mpmath.mpc(q) for q in w],
                                           tol, maxit=int(3.5 * work) + 20)
    record(iterations=its, note="singular Jacobian at a real point: Newton rerun at "
                                f"{work} digits ({'converged' if ok else 'not converged'})")
    return G2 if ok else G


def cauchy_mp_at_zero(law, dps, method, solve):
    """G(0) of a ⊠ law (its equations divide by z): when 0 is outside the support, G is
    analytic there and equals its mean over a circle, G(conj w) = conj G(w); ``solve(w, dps,
    method)`` evaluates G off 0."""
    lo, hi = law._hull_float()
    if lo <= 0 <= hi:
        raise InvalidParameterError("z", 0, "z = 0 lies in the support hull of this ⊠ law; "
                                             "evaluate at z = i*y, y > 0 instead")
    r = 0.5 * min(abs(lo), abs(hi))
    n = max(32, 3 * dps)
    with mpmath.workdps(dps + 10):
        vals = [mpmath.re(solve(r * mpmath.expj(mpmath.pi * (k + mpmath.mpf(1) / 2) / n),
                                dps + 10, method)) for k in range(n)]
        G = mpmath.fsum(vals) / n
    with mpmath.workdps(dps):
        return mpmath.mpc(+G, 0)


def unknowns(law, z, dps: int) -> tuple[list, Any]:
    """The solution vector of the law's Newton system and G(z), at ``dps + 10`` digits (see
    ``freealg.numeric.unknowns.solve_unknowns_mp``)."""
    return solve_unknowns_mp(law._system(), z, dps)


def compression_unknowns(law, z, dps: int) -> dict:
    """The unknowns of a free compression (mu, t, ambient) at z: G, the Cauchy transform G_c of
    the law in the compressed space, D_t(mu^{⊞1/t}) (``law._inner()``, or its second mixture
    component when ``ambient``), and omega, its subordination point at z/t (z when t = 1)."""
    mu, t, ambient = law._args
    inner = law._inner()
    comp = inner._args[0][1] if ambient and t != 1 else inner
    G = unknowns(law, z, dps)[1] if law._nunk else law._cauchy_mp(z, dps + 10)
    if t == 1:
        Gc = mu._cauchy_mp(z, dps + 10)
        with mpmath.workdps(dps + 10):
            return {"G": G, "G_c": Gc, "omega": mpmath.mpc(z)}
    wc, Gc = unknowns(comp, z, dps)
    return {"G": G, "G_c": Gc, "omega": wc[0]}


# --------------------------------------------------------------------------------------------
# scales of products of many factors


def s_edge_bound(factors) -> float:
    """Upper bound of the right edge of ⊠_j mu_j^{⊠k_j} (positive laws) from S-transforms.

    With psi_j(t) = sum_n m_n(mu_j) t^n and x_j(m) > b_j (b_j the factor's hull bound) solving
    psi_j(1/x) = m, i.e. x G_j(x) - 1 = m, the factor's S-transform on the positive axis is
    S_j(m) = (1 + m)/(m x_j(m)) and that of the product is prod_j S_j^{k_j} (Voiculescu 1987).
    psi of the product is increasing on (0, 1/x_+), so every m reached there gives
    1/x_+ >= psi^{-1}(m) = m S(m)/(1 + m), i.e. x_+ <= (1 + m)/(m S(m)); the minimum over m is
    the soft edge itself. The norm bound prod_j b_j^{k_j} (2^1000 for 1000 ReLU layers) is
    replaced by ~ e L there. Evaluated in logarithms on a grid of m, with a 1e-8 margin.
    """
    xs = []
    for law, _ in factors:
        b = max(law._hull_float()[1], 1e-300)

        def psi(x, law=law):
            ps = law._psi(x, NP)
            if ps is None:
                ps = x * law._cauchy_np(np.asarray(x, dtype=complex)).real - 1.0
            return np.real(np.asarray(ps)).astype(float)

        x0 = b * (1.0 + 1e-9) + 1e-300
        mmax = float(psi(np.array([x0]))[0])
        if not (mmax > 0):
            raise ArithmeticError("psi not positive beyond the hull")
        xs.append((psi, x0, mmax))
    mtop = min(mm for _, _, mm in xs)
    ms = np.geomspace(1e-7, mtop * (1 - 1e-9), 400)
    logb = np.log1p(1.0 / ms)  # log((1+m)/m)
    for (psi, x0, _), (_, k) in zip(xs, factors):
        # invert the decreasing psi(x) = m on (x0, inf) by bisection in log x
        a = np.full_like(ms, np.log(x0))
        hi = np.log(x0) + 1.0
        while float(psi(np.array([np.exp(hi)]))[0]) > ms[0]:
            hi += 1.0 + (hi - np.log(x0))
        c = np.full_like(ms, hi)
        for _ in range(80):
            mid = 0.5 * (a + c)
            big = psi(np.exp(mid)) > ms
            a = np.where(big, mid, a)
            c = np.where(big, c, mid)
        logb = logb + k * (c - np.log1p(1.0 / ms))  # log x_j - log((1+m)/m), x_j <= exp(c)
    bound = float(np.exp(np.min(logb[np.isfinite(logb)])))
    if not np.isfinite(bound) or bound <= 0:
        raise ArithmeticError("no finite S-transform bound")
    return bound * (1.0 + 1e-8)


def product_hull(factors, n) -> tuple[float, float]:
    """Support hull of ⊠_j mu_j^{⊠k_j}: the norm bounds, the right one tightened by
    :func:`s_edge_bound` for n > 2 factors."""
    lo, hi = 1.0, 1.0
    for law, k in factors:
        a, b = law._hull_float()
        lo *= max(a, 0.0) ** k
        hi *= b**k
    if n > 2 and np.isfinite(hi):
        try:
            hi = min(hi, s_edge_bound(factors))
        except (ArithmeticError, ValueError, NotImplementedError):
            pass  # keep the norm bound
    return lo, hi


def product_scale(factors, n, logm1, hull) -> float:
    """Continuation scale of a product: the norm bound of the hull is astronomically loose for
    many factors (2^1000 for ReLU layers); the edge of mu^{⊠n} grows like n * m_1^n * spread
    (e.g. e n for the layered ReLU Jacobian), which sets the start height."""
    spread = max(law._hull_float()[1] / max(law._mean_float(), 1e-300) for law, _ in factors)
    est = 4.0 * n * spread * float(np.exp(logm1))
    lo, hi = hull
    return min(max(abs(lo), abs(hi), hi - lo), est)


def exponential_hull(s2: float) -> tuple[float, float]:
    """(0, right edge) of the law with S(m) = exp(-s2 m/(1 + m)): min over m > 0 of
    (1 + m)/(m S(m)), the upper bound attained at the soft edge (+1e-8 relative)."""
    ms = np.geomspace(1e-8, 1e8, 4001)
    f = np.log1p(1 / ms) + s2 * ms / (1 + ms)  # log((1+m)/(m S(m)))
    return 0.0, float(np.exp(f.min())) * (1 + 1e-8)


def affine_closed(mu, a, b, z, be, derivative: bool = False):
    """G(z) = G_mu(xi)/a (or G'(z) = G_mu'(xi)/a^2), xi = (z - b)/a, of a X + b for a law mu
    without unknowns; for a < 0, xi lies in C- and G_mu(xi) = conj G_mu(conj xi)."""
    xi = (z - b) / a
    f = mu._dg if derivative else mu._g
    div = a * a if derivative else a
    if a > 0:
        return f(xi, be) / div
    return conj(f(conj(xi, be), be), be) / div


def closed_mp(law, z, dps):
    """:func:`closed_value` at one point, ``dps`` digits (computed with 10 more)."""
    with mpmath.workdps(dps + 10):
        v = closed_value(law, mpmath.mpc(z), MP)
    with mpmath.workdps(dps):
        return +v
