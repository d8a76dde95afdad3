"""The Fisher information of residual MLPs whose activation derivative has a continuous law.

The equations are those of :mod:`freealg.nn.residual_fisher` (the weights free from the
commutative algebra of all layers' diagonals, G = E_d[(P_det(d) - R(G))^{-1}]); what changes is
the average over d = (d_1, ..., d_L), now an integral over the product of continuous laws.

**The path form.** Once each weight is replaced by its R-transform terms (diagonal entries), the
pencil's graph is the path 0 - C_L - E_L - C_{L-1} - E_{L-1} - ... - C_1 - E_1 (off-diagonal
entries +-1) with a pendant E_l - M2_l - M1_l for l >= 2. Eliminating the pendant leaves E_l the
diagonal entry -s_l c_l with s_l = d_l^2 and c_l = kappa_l + alpha^2 g_l (g_l the (M2, M2) entry of
the pendant's inverse; c_1 = kappa_1). So the integrand depends on d_l only through s_l, each
s_l sits in one diagonal entry of a tridiagonal matrix, and its diagonal inverse entries are two
continued fractions (O(L) per pattern instead of a dense solve).

**The last layer exactly.** s_L enters one diagonal entry linearly, so each entry of G is a
Moebius function of s_L (Sherman-Morrison: G_ii(s) = G_ii + c G_ie^2 t/(1 - beta t) with
t = s - s_ref, beta = c G_ee), and its average is exact through the Cauchy transform of the law of
s_L: E[t/(1 - beta t)] = -1/beta + G_{s_L}(1/beta + s_ref)/beta^2 (a direct sum when 1/beta is far
from the support, where the closed form would cancel).

**The other layers by tanh-sinh.** Layers 1..L-1 are averaged by the product of tanh-sinh rules
of step h on the pieces of their laws (:func:`freealg.numeric.quadrature.tanh_sinh_masses`): the
nodes cluster doubly exponentially at the support ends and at the critical values of a
push-forward, which is where the integrand becomes nearly singular as z reaches the top of the
spectrum. A Gauss-Hermite rule in the pre-activation (nodes spaced evenly there) converges like a
power of the number of nodes instead: for tanh, L = 2, it gave lambda_max = 0.555, 0.611, 0.638,
0.648 at 10, 20, 40, 80 nodes; this rule gives 0.652293, 0.6523603092 and 0.652360298829147 at
steps 1/4, 1/8 and 1/16 (and the same 15 digits at 1/32).

**The edge.** ``right_edge`` marches down the real axis with the rule of step 2h to the first
fold of the real branch, solves the fold again with step h, and reports the difference as the
error. A real point of the last layer's law is no solution of the march, and the edge is checked
against the physical solution (continued from Im z > 0): it must have no density at
1.001 lambda_max. Where a pole of the average meets a layer's law before any fold (softplus,
SELU) the edge is refused with that reason.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..constructors import dirac, mixture
from ..errors import InvalidParameterError, NoConvergence, SizeLimitError
from ..laws.catalog import Dirac
from ..laws.continuous import GaussianPushforward
from ..laws.derived import Mixture
from ..kernels.backend import NP
from ..numeric.memory import check_memory_size
from ..numeric.pushforward import PushforwardModel
from ..numeric.records import Edge
from .residual_fisher import ResidualFisher

__all__ = ["SmoothResidualFisher"]

_TINY = 1e-300
_MAX_PATTERNS = 250_000


def _squared(law: Any) -> Any:
    """The law of d^2 from the law of d (a Dirac, a Gaussian push-forward, or a mixture)."""
    if isinstance(law, Dirac):
        return dirac(sp.sympify(law.args[0]) ** 2)
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        if not isinstance(f, sp.Lambda):
            raise InvalidParameterError("laws", law, "a Gaussian push-forward needs a sympy "
                                        "function (Lambda) here")
        return GaussianPushforward(sp.Lambda(f.variables, f.expr ** 2), q)
    if isinstance(law, Mixture):
        laws, weights = law.args
        return mixture([_squared(c) for c in laws], list(weights))
    raise InvalidParameterError("laws", law, "each layer's law must be a dirac, a "
                                "gaussian_pushforward or a mixture of these (the law of "
                                "sigma_w phi'(h))")


def _nodes(law: Any, h: float) -> tuple:
    """Float64 point masses (t, w) of a law of d^2: atoms, and the tanh-sinh rule of step h
    on the pieces of each push-forward part."""
    if isinstance(law, Dirac):
        return np.array([float(law.args[0])]), np.ones(1)
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        t, w = PushforwardModel(f, q, repr(law)).nodes(h)
        return t, w / np.sum(w)         # the rule's mass error (below 1e-15) renormalised
    laws, weights = law.args
    parts = [_nodes(c, h) for c in laws]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([float(wt) * p[1] for p, wt in zip(parts, weights)]))


def _top(law: Any) -> Any:
    """The top of the support of a law of d^2 (bands and atoms), exact where the law is."""
    tops = [b.hi for b in law.support()] + [a.location for a in law.atoms()]
    return max(tops, key=lambda v: float(sp.N(v)))


def _parts(law: Any, wt: float = 1.0) -> list:
    """The law of d^2 as ("atom", weight, location) and ("model", weight, float64 model)."""
    if isinstance(law, Dirac):
        return [("atom", wt, float(law.args[0]))]
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        return [("model", wt, PushforwardModel(f, q, repr(law)))]
    laws, weights = law.args
    return [p for c, w in zip(laws, weights) for p in _parts(c, wt * float(w))]


class SmoothResidualFisher(ResidualFisher):
    """The residual Fisher information K_L for continuous laws of the diagonals (path form).

    Same methods as :class:`freealg.nn.residual_fisher.ResidualFisher` (``latex``, ``cauchy``,
    ``density``, ``lambda_max``) and :meth:`right_edge` (the edge with its error). Float64: the
    quadrature over the layers' laws limits ``lambda_max`` to about 12 digits.

    Examples
    --------
    >>> import freealg as fa
    >>> rf = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher()
    >>> rf
    SmoothResidualFisher(L=2, alpha=1/2, weights=orthogonal, 210 patterns at step 1/16)
    >>> e = rf.right_edge()
    >>> print(f"{float(e.location):.12f}", e.error < 1.1e-8)   # steps 1/8, 1/16 differ by 1e-8
    0.652360298829 True
    >>> e                                   # the error shown rounded up
    Edge(location=0.652360299, kind='soft', error=1.1e-8, side='right')

    Parameters
    ----------
    alpha : number
        The residual weight alpha >= 0.
    kappas : sequence
        kappa_1, ..., kappa_L.
    laws : sequence of Law
        For each layer, the law of the diagonal entries of S_l = D'_l: a ``dirac``, a
        ``gaussian_pushforward`` or a ``mixture`` of these (what ``MLP`` builds).
    weights : {"orthogonal", "gaussian"}
        Haar orthogonal or Ginibre weight matrices.
    step : float, optional
        The tanh-sinh step h of the rule over layers 1..L-1 (``right_edge`` also solves at 2h).
        Default 1/16 for L <= 2 and 1/8 beyond. The number of patterns grows like
        (13/h)^(L-1) per smooth branch of the law; more than 250,000 are refused (tanh at
        L = 4 has 1.2 million at step 1/8, and at step 1/4 the march's rule of step 1/2 is too
        coarse to find the fold).
    """

    _march_stop = 1e-3          # Moore-Spence converges from there; each march step costs more
    _no_fold = ("the right end is not a fold of the real branch: where a pole of the average "
                "meets the law of phi'^2 first (e.g. softplus, whose derivative reaches its "
                "supremum only at infinity, or SELU), the physical solution leaves the real "
                "axis there; density(x) and cauchy(z) still apply, or use sample_fisher()")

    def __init__(self, alpha: Any, kappas: Sequence, laws: Sequence,
                 weights: str = "orthogonal", step: float | None = None):
        self._common(alpha, kappas, "laws", laws, weights)
        L = self.L
        if step is None:   # true error about 1e-15 at L = 2, 1e-8 at L = 3
            step = 1 / 16 if L <= 2 else 1 / 8
        if not (isinstance(step, (int, float)) and 0 < step <= 0.5):
            raise InvalidParameterError("step", step, "the tanh-sinh step must lie in (0, 1/2]")
        self.d_laws = list(laws)
        self.s_laws = [_squared(law) for law in laws]
        self.step = float(step)
        self.k = 4 * L - 1
        self.n = 2 * L + 1
        self.nI = 2 * (L - 1)
        self.nu = self.nI + (L - 1 if self.haar else 0)
        self._smax = [float(sp.N(_top(law))) for law in self.s_laws]
        self._lastparts = _parts(self.s_laws[-1])
        last = self.s_laws[-1]
        ends = [b.lo for b in last.support()] + [a.location for a in last.atoms()]
        self._shull = (min(float(sp.N(v)) for v in ends), self._smax[-1])
        self._rules: dict = {}
        self._ex: dict = {}
        self.atoms_count = self._rule(self.step)[0].shape[0]
        self._use(self.step)

    def __repr__(self) -> str:
        return (f"SmoothResidualFisher(L={self.L}, alpha={self.alpha}, weights="
                f"{'orthogonal' if self.haar else 'gaussian'}, {self.atoms_count} patterns "
                f"at step {sp.nsimplify(self.step)})")

    # the rule ---------------------------------------------------------------------------------
    def _rule(self, h: float) -> tuple:
        """(S, W): the product rule over layers 1..L-1 (patterns of s_1..s_{L-1}, weights),
        and the last layer's nodes (for sums far from its support), kept per step."""
        if h not in self._rules:
            parts = [_nodes(law, h) for law in self.s_laws]
            sizes = [len(p[0]) for p in parts[:-1]]
            npat = math.prod(sizes)
            check_memory_size(16 * 24 * npat * self.n, "layers", f"{self.L} layers",
                              f"{npat} quadrature patterns of a path of {self.n} nodes",
                              "use fewer layers or a larger step (coarser rule), or sample "
                              "the network with sample_fisher()")
            if npat > _MAX_PATTERNS:     # each solve would take many minutes
                raise SizeLimitError("step", h, npat, _MAX_PATTERNS,
                                     f"time: each solve averages over every pattern of layers "
                                     f"1..{self.L - 1}; use a larger step (a coarser rule; "
                                     "right_edge reports the larger error) or sample_fisher()",
                                     "quadrature patterns")
            if self.L > 1:
                grids = np.meshgrid(*[p[0] for p in parts[:-1]], indexing="ij")
                wgrid = np.meshgrid(*[p[1] for p in parts[:-1]], indexing="ij")
                S = np.stack([g.ravel() for g in grids], axis=1)
                W = np.prod(np.stack([g.ravel() for g in wgrid], axis=1), axis=1)
            else:
                S, W = np.zeros((1, 0)), np.ones(1)
            tL, wL = parts[-1]
            sref = float(np.sum(wL * tL))
            spread = max(float(np.max(np.abs(tL - sref))), 1e-300)
            # E[(s - s_ref)^k] up to the order where (spread/8)^k is below rounding
            tmom = np.array([float(np.sum(wL * (tL - sref) ** k)) for k in range(24)])
            self._rules[h] = (S, W, tL, wL, sref, spread, tmom)
        return self._rules[h]

    def _use(self, h: float) -> None:
        (self.S, self.W, self.tL, self.wL, self.sref, self._spread,
         self._tmoments) = self._rule(h)

    def cauchy(self, z: Any, steps: int = 30) -> np.ndarray:
        """G_K(z) in float64 for Im z >= 0 (continued from Im z = 10 ||K|| in ``steps`` steps).

        Too few steps can land on an unphysical solution without any warning (GELU and ELU,
        L = 2, at 6 steps: G off by 3 to 4 on the real axis; 8 to 60 steps agree to 1e-14), so
        the default keeps a wide margin.

        Examples
        --------
        >>> import freealg as fa, numpy as np
        >>> rf = fa.nn.MLP(depth=1, activation="tanh", residual=1).residual_fisher()
        >>> law = rf.s_laws[0]                      # K = kappa_1 tanh'(h)^2: G_K(z) = G(z/k)/k
        >>> k = float(rf.kappas[0])
        >>> bool(abs(rf.cauchy(0.3 + 0.2j)[0] - law.cauchy((0.3 + 0.2j) / k, dps=None) / k) < 1e-12)
        True

        Raises
        ------
        NoConvergence
            When a point's residual stays above 1e-9 (raise ``steps``).
        """
        return super().cauchy(z, steps)

    def _newton(self, u, z, eps, maxit=20, tol=1e-11):
        # the averages sum thousands of patterns: rounding puts the Newton steps' floor near
        # 1e-13 relative, so stop at 1e-11 (the results are float64 to about that anyway)
        return super()._newton(u, z, eps, maxit, tol)

    def _sup_abs_d(self) -> list:
        """sup |d_l| per layer, from the tops of the laws of d_l^2.

        Examples
        --------
        >>> import freealg as fa
        >>> rf = fa.nn.MLP(depth=1, activation="tanh", residual=1).residual_fisher()
        >>> rf._sup_abs_d(), rf.norm_bound() == float(rf.kappas[0])    # K <= kappa_1
        ([1.0], True)
        """
        return [math.sqrt(max(s, 0.0)) for s in self._smax]

    # the path ---------------------------------------------------------------------------------
    def _pos_C(self, l: int) -> int:
        return 2 * (self.L - l) + 1

    def _pos_E(self, l: int) -> int:
        return 2 * (self.L - l) + 2

    def _GLd(self, w: np.ndarray) -> tuple:
        """(G, G') of the law of s_L at points w off its support (G(conj w) = conj G(w)):
        atoms exactly, push-forward parts by their float64 models."""
        lower = w.imag < 0
        v = np.where(lower, np.conj(w), w)
        G, dG = np.zeros_like(v), np.zeros_like(v)
        for kind, wt, obj in self._lastparts:
            if kind == "atom":
                G += wt / (v - obj)
                dG -= wt / (v - obj) ** 2
            else:
                g, dg = obj.gdg(v, NP, True)
                G += wt * np.asarray(g, complex)
                dG += wt * np.asarray(dg, complex)
        return np.where(lower, np.conj(G), G), np.where(lower, np.conj(dG), dG)

    def _moebius_means(self, beta: np.ndarray, nb: int, real: bool = False) -> tuple:
        """(E[1/(1 - beta t)], E[t/(1 - beta t)]) over t = s_L - s_ref for beta of shape
        (B, P): the moment series where |beta| spread < 1/8 (the closed form would cancel
        there), the Cauchy transform of the law of s_L elsewhere. Rows from nb on are
        perturbed copies of rows r mod nb (finite-difference and complex steps): there G is
        continued linearly from its base row, G(w) = G(w0) + (w - w0) G'(w0), which is exact
        to rounding for complex steps and to O(step^2) for forward differences."""
        B = beta.shape[0]
        E1, Et = np.empty_like(beta), np.empty_like(beta)
        far = np.tile(np.abs(beta[:nb]) * self._spread < 0.125, (B // nb, 1))
        if np.any(far):
            b = beta[far]
            E1[far] = _horner(self._tmoments, b)         # sum_k b^k E[t^k]
            Et[far] = _horner(self._tmoments[1:], b)     # sum_k b^k E[t^(k+1)]
        near = ~far
        if np.any(near):
            nb_near = near[:nb]
            w0 = np.zeros(beta[:nb].shape, complex)
            G0, dG0 = np.zeros_like(w0), np.zeros_like(w0)
            w0[nb_near] = 1.0 / beta[:nb][nb_near] + self.sref
            G0[nb_near], dG0[nb_near] = self._GLd(w0[nb_near])
            if real:       # a real point inside the support: no real solution there
                wr = w0.real
                inside = nb_near & (wr >= self._shull[0]) & (wr <= self._shull[1])
                G0[inside] = np.nan
            reps = B // nb
            w0, G0, dG0 = np.tile(w0, (reps, 1)), np.tile(G0, (reps, 1)), np.tile(dG0, (reps, 1))
            b = beta[near]
            w = 1.0 / b + self.sref
            G = G0[near] + (w - w0[near]) * dG0[near]
            E1[near] = G / b
            Et[near] = -1.0 / b + G / b ** 2
        return E1, Et

    def _expect(self, u: np.ndarray, z: np.ndarray, eps: np.ndarray,
                nb: int | None = None, real: bool = False) -> np.ndarray:
        """E_d of the unknowns' entries (C_{l-1}, M1_l for l = 2..L) and of G_11: (B, nI + 1)."""
        B, L, n, nI = u.shape[0], self.L, self.n, self.nI
        a2 = float(self.alpha) ** 2
        kap = np.array([float(q) for q in self.kappas])
        R = self._R(u)
        RC, RM = R[:, 0::2], R[:, 1::2]          # R at C_{l-1} and at M1_l, l = 2..L
        ie = 1j * eps
        aM1 = -RM + ie[:, None]                              # (B, L-1)
        aM2 = ie[:, None]
        detp = aM2 * aM1 - 1.0
        gp = aM1 / detp
        c = np.empty((B, L), complex)
        c[:, 0] = kap[0]
        c[:, 1:] = kap[None, 1:] + a2 * gp
        out = np.zeros((B, nI + 1), complex)
        P = self.S.shape[0]
        chunk = max(1, int(2e6 // max(B * n, 1)))
        e = self._pos_E(L)
        for p0 in range(0, P, chunk):
            S, W = self.S[p0:p0 + chunk], self.W[p0:p0 + chunk]
            A = np.empty((B, S.shape[0], n), complex)
            A[:, :, 0] = z[:, None]
            A[:, :, self._pos_C(L)] = ie[:, None]
            for l in range(1, L):
                A[:, :, self._pos_C(l)] = (-RC[:, l - 1] + ie)[:, None]
                A[:, :, self._pos_E(l)] = ie[:, None] - S[None, :, l - 1] * c[:, l - 1, None]
            A[:, :, e] = (ie - self.sref * c[:, L - 1])[:, None]
            Lf, Rf = np.empty_like(A), np.empty_like(A)
            Lf[..., 0] = A[..., 0]
            for i in range(1, n):
                prev = Lf[..., i - 1]
                Lf[..., i] = A[..., i] - 1.0 / np.where(prev == 0, _TINY, prev)
            Rf[..., n - 1] = A[..., n - 1]
            for i in range(n - 2, -1, -1):
                nxt = Rf[..., i + 1]
                Rf[..., i] = A[..., i] - 1.0 / np.where(nxt == 0, _TINY, nxt)
            Gd = 1.0 / (Lf + Rf - A)
            # G_ie / G_ee along the path (products first, then squared: no overflow)
            ratio = np.ones_like(A)
            ratio[..., 0] = 1.0 / (Lf[..., 0] * Lf[..., 1])
            ratio[..., 1] = -1.0 / Lf[..., 1]
            for i in range(e + 1, n):
                r = Rf[..., i]
                ratio[..., i] = -ratio[..., i - 1] / np.where(r == 0, _TINY, r)
            g = Gd[..., e]
            cL = c[:, L - 1, None]
            beta = cL * g
            E1, Et = self._moebius_means(beta, nb or B, real)
            EGd = Gd + (cL * g ** 2 * Et)[..., None] * ratio ** 2
            cols = []
            for l in range(2, L + 1):
                cols.append(EGd[..., self._pos_C(l - 1)])
                if l < L:
                    GE = EGd[..., self._pos_E(l)]
                    sl = S[None, :, l - 1]
                else:                  # E[s_L G_EE(s_L)] = g E[(s_ref + t)/(1 - beta t)]
                    GE, sl = g * (self.sref * E1 + Et), 1.0
                d = detp[:, l - 2, None]
                cols.append(aM2 / d + a2 * sl * GE / d ** 2)
            cols.append(EGd[..., 0])
            out += np.einsum("p,bpc->bc", W, np.stack(cols, axis=-1))
        return out

    def _eval(self, u, z, eps, jac=True):
        """Residuals F (nz, nu), Jacobian dF/du (nz, nu, nu), dF/dz (nz, nu), G_11 (nz).

        The Jacobian by complex steps where u, z are real and eps = 0 (the march to the edge:
        exact to rounding), by forward differences elsewhere (F is holomorphic in u and z)."""
        nz, nI, nu = u.shape[0], self.nI, self.nu
        eps = np.asarray(eps, float)
        if not jac or nu == 0:
            EG = self._expect(u, z, eps)
            F = self._assemble(u, EG[:, :nI])[0]
            if not jac:
                return F, None, None, EG[:, nI]
            return F, np.zeros((nz, 0, 0), complex), np.zeros((nz, 0), complex), EG[:, nI]
        real = (np.all(u.imag == 0) and np.all(z.imag == 0) and np.all(eps == 0))
        scale = 1.0 + np.abs(u)
        if real:           # complex steps: exact to rounding
            hs, hz = 1e-30 * scale, 1e-30 * (1.0 + np.abs(z))
            steps = [(c, 1j * hs[:, c]) for c in range(nu)] + [(nu, 1j * hz)]
        else:              # forward differences (the Newton iteration needs no more)
            hs, hz = 1e-7 * scale, 1e-7 * (1.0 + np.abs(z))
            steps = [(c, hs[:, c]) for c in range(nu)] + [(nu, hz)]
        U, Z = [u], [z]
        for c, h in steps:
            uu, zz = u.copy(), z
            if c < nu:
                uu[:, c] += h
            else:
                zz = z + h
            U.append(uu)
            Z.append(zz)
        Ub, Zb = np.concatenate(U), np.concatenate(Z)
        EG = self._expect(Ub, Zb, np.tile(eps, len(U)), nz, real)
        Fb = self._assemble(Ub, EG[:, :nI])[0].reshape(len(U), nz, nu)
        F, G11 = Fb[0], EG[:nz, nI]
        J = np.empty((nz, nu, nu), complex)
        for c in range(nu):
            J[:, :, c] = (Fb[1 + c].imag / hs[:, c, None] if real
                          else (Fb[1 + c] - F) / hs[:, c, None])
        Fz = Fb[1 + nu].imag / hz[:, None] if real else (Fb[1 + nu] - F) / hz[:, None]
        return F, J, Fz, G11

    # display ----------------------------------------------------------------------------------
    def _laws_latex(self) -> str:
        return ", ".join(f"d_{{{l + 1}}} \\sim {_display(law)}"
                         for l, law in enumerate(self.d_laws))

    # lambda_max -------------------------------------------------------------------------------
    def right_edge(self) -> Edge:
        """The right edge of the law of K_L with its error: the fold solved with the product
        rule at step 2h (marching down from above the spectrum), then at step h (Newton from
        there); the error is their difference (tanh-sinh converges doubly exponentially, so the
        finer value is far closer than that) plus 1e-12 relative.

        Examples
        --------
        >>> import freealg as fa
        >>> e = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher().right_edge()
        >>> e.kind, e.side, bool(e.error < 1e-7)
        ('soft', 'right', True)

        Raises
        ------
        NoConvergence
            When the march or the fold's Newton iteration fails (with the residual).
        """
        if "edge" not in self._ex:
            if self.norm_bound() == 0:
                self._ex["edge"] = Edge(0, "hard", 0, "right")
            elif self.L == 1:              # K = kappa_1 S_1^2: the top of its support
                top = self.kappas[0] * _top(self.s_laws[0])
                self._ex["edge"] = Edge(top, "hard", 0, "right")
            else:
                try:       # march on the coarse rule, then Newton on the fine one
                    self._use(2 * self.step)
                    wc, ell = self._fold_np()
                    self._use(self.step)
                    wf, _ = self._fold_np((wc, ell))
                finally:
                    self._use(self.step)
                xs = [float(wc[self.nu]), float(wf[self.nu])]
                self._check_no_mass_above(xs[1])
                err = abs(xs[1] - xs[0]) + 1e-12 * abs(xs[1])
                self._ex["edge"] = Edge(sp.Float(xs[1], 17), "soft", err, "right")
        return self._ex["edge"]

    def _check_no_mass_above(self, x: float) -> None:
        """The fold is the edge only if the physical solution (continued from Im z > 0) has no
        density just above it. A pole of the average can meet the law of a quadrature layer
        before the fold (softplus, SELU): the real branch then goes on, unphysical, and this
        check refuses it."""
        d = float(self.density(np.array([1.001 * x]))[0])
        if d > 1e-8 / x:          # inside the support of the physical solution
            raise NoConvergence("residual Fisher: the right edge", point=1.001 * x,
                                residual=d, advice=self._no_fold)

    def lambda_max(self, dps: int = 30) -> Any:
        """The right edge of the law of K_L as an mpmath number, correct to its error
        (:meth:`right_edge`; float64, about 12 digits, whatever ``dps`` asks beyond that).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> rf = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher()
        >>> print(mpmath.nstr(rf.lambda_max(), 10))
        0.6523602988
        """
        e = self.right_edge()
        with mpmath.workdps(dps):
            return +mpmath.mpf(str(sp.N(e.location, 17 if e.error else dps + 5)))


def _horner(coeffs: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_k coeffs[k] b^k (Horner), element-wise in b."""
    out = np.full(b.shape, coeffs[-1], complex)
    for c in coeffs[-2::-1]:
        out = out * b + c
    return out


def _display(law: Any) -> str:
    """LaTeX of a law of d: a dirac, a Gaussian push-forward (the function and the variance of
    h) or a mixture of these."""
    if isinstance(law, Dirac):
        return rf"\delta_{{{sp.latex(sp.sympify(law.args[0]))}}}"
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        h = sp.Symbol("h")
        return (rf"\left({sp.latex(f(h))}\right)_{{*}} \mathcal{{N}}\!\left(0, "
                rf"{sp.latex(sp.sympify(q))}\right)")
    laws, weights = law.args
    return " + ".join(rf"{sp.latex(sp.sympify(w))}\,{_display(c)}" for c, w in zip(laws, weights))
