"""The M_k-valued Cauchy transforms of the free groups of letters of a linearization.

An engine module used by ``freealg.numeric.operator_valued`` (see its docstring for the
equations): each group X of letters has G_X(w) = E[(w - X)^{-1}] for w in M_k. Each transform
is written once against a matrix context of ``freealg.numeric.matrices``: :data:`NPM` (a batch
of float64 matrices, with the derivative dG_X/dw as a k^2 x k^2 matrix for the Jacobian) or
:data:`MPM` (one matrix at the working mpmath precision). ``g(ctx, w, want_d)`` returns
``(G, dG or None, error)``, the error being the estimated quadrature error (0 for the exact
transforms; per matrix in float64).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import sympy as sp

from .matrices import NPM, kron_rows

__all__ = ["DiscreteGroup", "LawGroup", "UnitaryGroup"]


class _Group:
    """Constants per context (and per mpmath precision), computed once."""

    def __init__(self, k: int):
        self.k = k
        self._data: dict = {}

    def _consts(self, ctx: Any) -> Any:
        key = ctx.key
        if key not in self._data:
            self._data[key] = self._prepare(ctx)
        return self._data[key]

    def _prepare(self, ctx: Any) -> Any:
        raise NotImplementedError

    def g(self, ctx: Any, w: Any, want_d: bool = False) -> tuple:
        raise NotImplementedError

    def _fd(self, w: np.ndarray) -> np.ndarray:
        """dG_X/dw (float64, k^2 x k^2 per matrix): G_X is holomorphic in the entries of w;
        central differences along the k^2 directions (error ~ 1e-10 relative: enough for a
        Newton Jacobian)."""
        n, k, _ = w.shape
        h = 1e-5 * (1 + np.max(np.abs(w), axis=(1, 2)))[None, :, None, None]
        E = np.eye(k * k).reshape(k * k, 1, k, k)             # the directions, row-major
        wp = np.concatenate([w[None] + h * E, w[None] - h * E]).reshape(-1, k, k)
        Gp = self.g(NPM, wp)[0].reshape(2, k * k, n, k * k)   # all 2 k^2 shifts in one batch
        return np.moveaxis((Gp[0] - Gp[1]) / (2 * h[0, :, :, 0]), 0, 2)


class DiscreteGroup(_Group):
    """sum_f t_f b_f over a finite joint law (one discrete letter or a commuting family):
    G_X(w) = sum_a p_a (w - M_a)^{-1}, M_a = sum_f t_{a,f} b_f.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.matrices import NPM
    >>> from freealg.numeric.operator_groups import DiscreteGroup
    >>> g = DiscreteGroup((sp.ImmutableMatrix([[1]]),), (((0,), sp.Rational(1, 2)),
    ...                                                  ((1,), sp.Rational(1, 2))), 1)
    >>> g.g(NPM, np.array([[[2.0 + 0j]]]))[0]          # 1/(2 w) + 1/(2 (w - 1)) at w = 2
    array([[[0.75+0.j]]])

    Parameters
    ----------
    betas : tuple of sympy matrices
        The coefficient b_f of each letter of the family.
    atoms : tuple
        ``((t_1, ..., t_f), weight)`` pairs of the joint law (exact).
    k : int
        Size of the pencil.
    """

    def __init__(self, betas, atoms, k):
        super().__init__(k)
        self.betas = betas
        self.atoms = atoms

    def _prepare(self, ctx):
        bs = [ctx.const(b) for b in self.betas]
        out = []
        for ts, p in self.atoms:
            M = ctx.zeros_like(bs[0])
            for t, b in zip(ts, bs):
                M = M + ctx.num(t) * b
            out.append((M, ctx.num(p)))
        return out

    def g(self, ctx, w, want_d=False):
        G, D = ctx.zeros_like(w), 0
        for M, p in self._consts(ctx):
            R = ctx.inv(w - M)
            G = G + p * R
            if want_d:
                D = D - p * kron_rows(R, np.swapaxes(R, 1, 2))
        return G, (D if want_d else None), 0


class LawGroup(_Group):
    """t b for one letter with a continuous scalar law mu, exact through G_mu: with
    b = Q Sigma Q^* (rank r) and Woodbury, G_X(w) = w^{-1} + w^{-1} Q V diag(phi(d_j)) V^{-1}
    Sigma Q^* w^{-1}, Sigma Q^* w^{-1} Q = V diag(d) V^{-1}, phi(d) = (G_mu(1/d)/d - 1)/d (a
    moment series for small d).

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.matrices import NPM
    >>> from freealg.numeric.operator_groups import LawGroup
    >>> g = LawGroup(sp.ImmutableMatrix([[1]]), 1, lambda z: 1 / z, None,
    ...              lambda n: [0] * n, lambda: (0.0, 0.0))     # the law delta_0
    >>> g.g(NPM, np.array([[[2j]]]))[0]
    array([[[0.-0.5j]]])

    The law enters only through callables: ``cauchy_np(zeta)`` (float64 G_mu on an array in
    C+), ``cauchy_mp(zeta, dps)`` (G_mu at one point of C+), ``moments(n)`` (the exact moments
    [m_1, ..., m_n]) and ``hull()`` (float bounds (lo, hi) of the support).
    """

    def __init__(self, beta, k: int, cauchy_np: Callable, cauchy_mp: Callable,
                 moments: Callable, hull: Callable):
        super().__init__(k)
        self.beta = beta
        self.cauchy_np = cauchy_np
        self.cauchy_mp = cauchy_mp
        self.moments = moments
        self.hull = hull

    def _prepare(self, ctx):
        ev, U = ctx.eigh(ctx.const(self.beta))
        cut = ctx.rank_cut() * max(1, max(abs(e) for e in ev))
        cols = [j for j in range(len(ev)) if abs(ev[j]) > cut]
        lo, hi = self.hull()
        return (ctx.columns(U, cols), ev[cols], [ctx.num(x) for x in self.moments(8)],
                max(abs(lo), abs(hi), 1))

    def _phi(self, ctx, d, m, R):
        """phi(d) = (G_mu(1/d)/d - 1)/d = sum_j m_{j+1} d^j, elementwise."""
        flat = d.ravel()
        small = np.abs(flat) * R < ctx.series_cut()
        out = np.empty_like(flat)
        ds = flat[small]
        acc = np.zeros_like(ds)
        for j in range(len(m) - 1, -1, -1):
            acc = acc * ds + m[j]
        out[small] = acc
        dl = flat[~small]
        if dl.size:
            out[~small] = (ctx.cauchy((self.cauchy_np, self.cauchy_mp), 1 / dl) / dl - 1) / dl
        return out.reshape(d.shape)

    def g(self, ctx, w, want_d=False):
        Q, s, m, R = self._consts(ctx)
        wi = ctx.inv(w)
        d, V = ctx.eig(ctx.diag(s) @ (ctx.H(Q) @ wi @ Q))
        mid = V @ ctx.diag(self._phi(ctx, d, m, R)) @ ctx.inv(V) @ ctx.diag(s)
        G = wi + wi @ (Q @ mid @ ctx.H(Q)) @ wi
        return G, (self._fd(w) if want_d else None), 0


class UnitaryGroup(_Group):
    """b u + b^* u^* for a Haar unitary u, exact (no quadrature) by residues on the unit circle.

    With b = L R^* (exact full-rank factorisation, rank r) and F = [L, R], X = F D F^* with
    D = [[0, zeta],[1/zeta, 0]] (blocks r x r) on |zeta| = 1, D^2 = 1. With tau = -i/2
    (W = w - tau F F^* has Im W >= Im w + F F^*/2, so it is invertible where w need not be,
    e.g. w = 0 on the real axis), Woodbury and (D - tau)^{-1} = (D + tau)/(1 - tau^2) give
    G_X(w) = W^{-1} + (1 - tau^2) W^{-1} F K F^* W^{-1}, K = (1/2 pi) int (D - Gamma)^{-1} dt,
    Gamma = (1 - tau^2) F^* W^{-1} F - tau. Multiplying the second block row by zeta gives the
    linear pencil T(zeta) = A_0 + zeta A_1 with (D - Gamma)^{-1} = T^{-1} diag(1, zeta), hence
    K = (1/2 pi i) oint T(zeta)^{-1} diag(1/zeta, 1) dzeta, a sum of residues. The Moebius map
    zeta = (xi + s)/(1 + s xi) (|s| < 1, the disc onto itself) makes A_0 + s A_1 invertible;
    with N = (A_0 + s A_1)^{-1} (s A_0 + A_1) = V diag(nu) V^{-1} (poles at xi = -1/nu, inside
    the disc when |nu| > 1),

        K = V [diag(a) Y P_1 + diag(c) Y P_2],   Y = V^{-1} (A_0 + s A_1)^{-1},
        a = (1 - s^2)/(1 - s nu) [|nu| < 1],     c = (1 - s^2)/(nu - s) [|nu| > 1].

    On the boundary (w real where a pole lies on the circle) the side is that of the limit
    from Im w > 0: the sign of d|nu|/dy along w + i y 1, by first-order perturbation.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.matrices import NPM
    >>> from freealg.numeric.operator_groups import UnitaryGroup
    >>> g = UnitaryGroup(sp.ImmutableMatrix([[1]]), 1)    # X = u + u^*: arcsine law on [-2, 2]
    >>> w = np.array([[[3j]], [[1.0 + 0j]]])              # G = 1/sqrt(w^2 - 4), also on the axis
    >>> G, _, err = g.g(NPM, w)
    >>> bool(np.allclose(G[:, 0, 0], 1 / np.sqrt(w[:, 0, 0] - 2) / np.sqrt(w[:, 0, 0] + 2),
    ...                  rtol=1e-14, atol=0))
    True

    Parameters
    ----------
    beta : sympy matrix
        The coefficient b of u (b^* multiplies u^*).
    k : int
        Size of the pencil.
    """

    SHIFT = sp.Rational(2, 7)     # s
    TAU = -sp.I / 2

    def __init__(self, beta, k):
        super().__init__(k)
        self.beta = beta

    def _prepare(self, ctx):
        L, Rh = sp.Matrix(self.beta).rank_decomposition()
        r, s = L.shape[1], self.SHIFT
        one, zero = sp.eye(r), sp.zeros(r)
        P1, P2 = sp.diag(one, zero), sp.diag(zero, one)
        E0, E1 = sp.BlockMatrix([[zero, zero], [one, zero]]).as_explicit(), \
            sp.BlockMatrix([[zero, one], [zero, zero]]).as_explicit()
        F = L.row_join(Rh.H)
        tau = self.TAU
        c = [ctx.lift(ctx.const(sp.ImmutableMatrix(M))) for M in
             (F, F.H, P1 + s * P2, s * P1 + P2, E0 + s * E1, s * E0 + E1, P1, P2, tau * F * F.H,
              tau * sp.eye(2 * r))]
        return c, ctx.num(s), ctx.num(1 - tau ** 2)

    def g(self, ctx, w, want_d=False):
        (F, FH, Q0, Q1, C0, C1, P1, P2, tFF, tI), s, t2 = self._consts(ctx)
        wi = ctx.inv(w - tFF)
        WF, FW = wi @ F, FH @ wi
        Gam = (FH @ WF) * t2 - tI
        A0i = ctx.inv(C0 - Q0 @ Gam)                          # (A_0 + s A_1)^{-1}
        N = A0i @ (C1 - Q1 @ Gam)
        nu, V = ctx.eig(N)
        Vi = ctx.inv(V)
        mod = np.abs(nu)
        near = np.abs(mod - 1) < ctx.boundary_tol()
        inside = mod > 1                                      # pole -1/nu inside the disc
        if np.any(near):
            # a pole on the circle: its side in the limit along w + i y 1, y -> 0+, from
            # d nu = diag(V^{-1} dN V) (first-order perturbation)
            dGam = (FW @ WF) * (-1j * t2)
            dnu = ctx.diagonal(Vi @ (A0i @ (Q0 @ dGam @ N - Q1 @ dGam)) @ V)
            inside = np.where(near, ctx.real(np.conj(nu) * dnu) > 0, inside)
        one = 1 - s * s
        a = np.where(inside, 0, one / np.where(inside, 2, 1 - s * nu))
        c = np.where(inside, one / np.where(inside, nu - s, 1), 0)
        Y = Vi @ A0i
        K = V @ (ctx.diag(a) @ Y @ P1 + ctx.diag(c) @ Y @ P2)
        G = wi + (WF @ K @ FW) * t2
        return G, (self._fd(w) if want_d else None), 0
