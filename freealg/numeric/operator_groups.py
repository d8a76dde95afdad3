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

import mpmath
import numpy as np

from ..errors import NoConvergence
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
        if not want_d:
            return G, None, 0
        # float64 only: G is holomorphic in the entries of w; central differences along the
        # k^2 directions
        n, k, _ = w.shape
        h = 1e-5 * (1 + np.max(np.abs(w), axis=(1, 2)))
        D = np.empty((n, k * k, k * k), dtype=complex)
        for a in range(k):
            for b in range(k):
                E = np.zeros((k, k))
                E[a, b] = 1
                dG = self.g(NPM, w + h[:, None, None] * E)[0] - \
                    self.g(NPM, w - h[:, None, None] * E)[0]
                D[:, :, a * k + b] = (dG / (2 * h[:, None, None])).reshape(n, k * k)
        return G, D, 0


class UnitaryGroup(_Group):
    """b u + b^* u^* for a Haar unitary u: G_X(w) = (1/2 pi) int (w - b e^{it} - b^* e^{-it})^{-1}
    dt by nested periodic trapezoid rules (geometric convergence for an analytic periodic
    integrand), doubled until two rules agree: to 1e-14 or 1024 nodes in float64 (the error is
    returned per matrix), to 10^-(dps - 3) or NoConvergence at 8192 nodes in mpmath.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.matrices import NPM
    >>> from freealg.numeric.operator_groups import UnitaryGroup
    >>> g = UnitaryGroup(sp.ImmutableMatrix([[1]]), 1)    # X = u + u^*: arcsine law on [-2, 2]
    >>> G, _, err = g.g(NPM, np.array([[[3j]]]))
    >>> bool(abs(G[0, 0, 0] - 1 / np.sqrt(3j - 2) / np.sqrt(3j + 2)) < 1e-14)
    True

    Parameters
    ----------
    beta : sympy matrix
        The coefficient b of u (b^* multiplies u^*).
    k : int
        Size of the pencil.
    """

    NMAX_NP = 1024
    NMAX_MP = 8192

    def __init__(self, beta, k):
        super().__init__(k)
        self.beta = beta

    def _prepare(self, ctx):
        b = ctx.const(self.beta)
        return b, ctx.H(b)

    def _resolvents(self, ctx, w, js, N):
        """(w - b e^{i t_j} - b^* e^{-i t_j})^{-1} at t_j = 2 pi j / N: a stacked
        (n, len(js), k, k) array, or a list of matrices."""
        b, bh = self._consts(ctx)
        if ctx.mp:
            es = [ctx.expj(2 * mpmath.pi * j / N) for j in js]
            return [ctx.inv(w - (e * b + mpmath.conj(e) * bh)) for e in es]
        e = np.exp(2j * np.pi * np.asarray(js) / N)[:, None, None]
        return ctx.inv(w[:, None] - (e * b + np.conj(e) * bh)[None])

    def g(self, ctx, w, want_d=False):
        def total(Rs):
            return sum(Rs[1:], Rs[0]) if ctx.mp else Rs.sum(axis=1)

        N = 16
        parts = [self._resolvents(ctx, w, range(N), N)]
        S = total(parts[0])
        G = S / N
        nmax = self.NMAX_MP if ctx.mp else self.NMAX_NP
        while True:
            # the rule 2N adds the odd nodes to the rule N; the N/2 -> N difference
            # (~2 |c_{N/2}|) bounds the error of the N-point rule (~2 |c_N|)
            parts.append(self._resolvents(ctx, w, range(1, 2 * N, 2), 2 * N))
            S = S + total(parts[-1])
            N *= 2
            G2 = S / N
            err = ctx.maxabs(G2 - G) / (1 + ctx.maxabs(G2))
            G = G2
            if np.all(err < ctx.quad_tol()) or (not ctx.mp and N >= nmax):
                break
            if N >= nmax:
                raise NoConvergence("the unit-circle integral of a Haar unitary's M_k-valued "
                                    "Cauchy transform", dps=mpmath.mp.dps, steps=N,
                                    residual=err,
                                    advice="the point is too close to the spectrum; move it "
                                           "further from the real axis")
        D = None
        if want_d:
            R = np.concatenate(parts, axis=1)
            n, k = w.shape[0], self.k
            D = -np.einsum("pnij,pnml->piljm", R, R).reshape(n, k * k, k * k) / N
        return G, D, err

