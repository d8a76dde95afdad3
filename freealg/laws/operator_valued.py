"""The law of a self-adjoint polynomial from its linearization: operator-valued subordination.

A self-adjoint pencil L = b_0 ⊗ 1 + sum_i b_i ⊗ x_i (b_i in M_k self-adjoint, see
``freealg.reduce.linearize``) gives the Cauchy transform of the polynomial P as

    G_P(z) = lim_{eps -> 0+} [ E((Lambda_eps - L)^{-1}) ]_{11},   Lambda_eps = diag(z, i eps, ..).

The letters fall into free groups, each with an M_k-valued Cauchy transform G_X(w) = E[(w - X)^{-1}]:

* all semicircular letters together form one M_k-valued semicircular S with covariance
  eta(B) = sum_i v_i b_i B b_i (Helton-Rashidi Far-Speicher 2007, IMRN, eq. (1.1));
* a letter with a discrete law (projections: bernoulli(t)) or a commuting family of such
  letters (independent diagonal entries: the product measure): the exact finite sum
  G_X(w) = sum_a p_a (w - sum_f t_{a,f} b_f)^{-1};
* a letter with any other scalar law mu: with b = Q Sigma Q^* (rank r) and Woodbury,
  int (w - t b)^{-1} dmu(t) = w^{-1} + w^{-1} Q V diag(phi(d_j)) V^{-1} Sigma Q^* w^{-1},
  Sigma Gamma = V diag(d) V^{-1}, Gamma = Q^* w^{-1} Q, phi(d) = (G_mu(1/d)/d - 1)/d: exact,
  through the scalar Cauchy transform of mu (no quadrature);
* a Haar unitary (or orthogonal) u enters as X = b u + b^* u^*; u is normal with the uniform
  law on the unit circle, so G_X(w) = (1/2 pi) int_0^{2 pi} (w - b e^{it} - b^* e^{-it})^{-1} dt,
  computed by the periodic trapezoid rule (geometric convergence for an analytic periodic
  integrand), with the number of nodes doubled until two rules agree.

The groups are combined by operator-valued subordination (Belinschi-Mai-Speicher 2017,
J. reine angew. Math. 732, Thm 2.2 and its iteration over several summands): with
h_X(w) = G_X(w)^{-1} - w, b = Lambda - b_0 and the semicircular part as in Biane's
omega = z - t G,

    G = G_{X_j}(omega_j) (all j),     omega_j = b - eta(G) + sum_{i != j} h_{X_i}(omega_i),

(with no scalar-law group: G = (b - eta(G))^{-1}). The unknowns (G, or the omega_j) are k x k
complex matrices. They are continued from Im z = Y large (where omega_j ~ b) down to the target,
shrinking Im z and eps together to *their own* targets, with Newton steps (analytic Jacobian via
Kronecker products, vectorised over the grid in float64). At a given precision the float64
solution is then refined by Newton with the float64 Jacobian and residuals evaluated in mpmath
(mixed-precision iterative refinement: each step gains ~13 digits), so dps = 30 costs a few
mpmath residuals per point. Failure raises NoConvergence (mpmath) or gives NaN (float64).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence, UndeterminedError
from ..kernels.backend import MP, NP
from ..numeric.edges import numeric_edges, numeric_support
from ..numeric.dispatch import record
from .base import Atom, Law, numeric_value
from .catalog import Bernoulli, Dirac, Discrete

__all__ = ["OperatorValued", "discrete_points_weights"]



def _inv_np(a):
    """Batched matrix inverse that marks singular members NaN instead of raising: a Newton
    iterate can land exactly on a singular point (an atom of a projection at t = 0); the
    continuation then treats that point as not converged."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        if a.ndim == 2:
            return np.full_like(a, np.nan)
        out = np.empty_like(a)
        for idx in np.ndindex(a.shape[:-2]):
            try:
                out[idx] = np.linalg.inv(a[idx])
            except np.linalg.LinAlgError:
                out[idx] = np.nan
        return out

def discrete_points_weights(law: Law) -> tuple[tuple, tuple]:
    """(points, weights) of a finite atomic law (Discrete, Bernoulli, Dirac)."""
    if isinstance(law, Bernoulli):
        return law._cache["pw"]
    if isinstance(law, Dirac):
        return (law._args[0],), (sp.S.One,)
    if isinstance(law, Discrete):
        return law._args
    raise InvalidParameterError("law", law, "is not a finite atomic law")


def _num(x, be):
    return numeric_value(x, be, "a coefficient of the linearization")


def _np_matrix(M) -> np.ndarray:
    k = M.shape[0]
    return np.array([[complex(_num(M[i, j], NP)) for j in range(M.shape[1])] for i in range(k)],
                    dtype=complex)


def _mp_matrix(M) -> "_M":
    return _M([[mpmath.mpc(_num(M[i, j], MP)) for j in range(M.shape[1])]
               for i in range(M.shape[0])])


class _M:
    """A small dense mpmath complex matrix as lists (mpmath.matrix's LU is ~30x slower for the
    k <= 20 matrices of a linearization)."""

    __slots__ = ("a", "rows", "cols")

    def __init__(self, a):
        self.a = a
        self.rows = len(a)
        self.cols = len(a[0]) if a else 0

    @staticmethod
    def zeros(r, c=None):
        z = mpmath.mpc(0)
        return _M([[z] * (r if c is None else c) for _ in range(r)])

    @staticmethod
    def eye(k):
        M = _M.zeros(k)
        one = mpmath.mpc(1)
        for i in range(k):
            M.a[i][i] = one
        return M

    def copy(self):
        return _M([list(r) for r in self.a])

    def __getitem__(self, ij):
        return self.a[ij[0]][ij[1]]

    def __setitem__(self, ij, v):
        self.a[ij[0]][ij[1]] = v

    def __add__(self, o):
        return _M([[x + y for x, y in zip(r, q)] for r, q in zip(self.a, o.a)])

    def __sub__(self, o):
        return _M([[x - y for x, y in zip(r, q)] for r, q in zip(self.a, o.a)])

    def __neg__(self):
        return _M([[-x for x in r] for r in self.a])

    def __mul__(self, o):
        if isinstance(o, _M):
            cols = list(zip(*o.a))
            return _M([[mpmath.fdot(r, c) for c in cols] for r in self.a])
        return _M([[x * o for x in r] for r in self.a])

    def __rmul__(self, c):
        return _M([[c * x for x in r] for r in self.a])

    def __truediv__(self, c):
        return _M([[x / c for x in r] for r in self.a])

    @property
    def H(self):
        return _M([[mpmath.conj(x) for x in c] for c in zip(*self.a)])

    def inv(self):
        n = self.rows
        A = [list(r) + [mpmath.mpc(1) if i == j else mpmath.mpc(0) for j in range(n)]
             for i, r in enumerate(self.a)]
        for c in range(n):
            piv = max(range(c, n), key=lambda r: A[r][c].real ** 2 + A[r][c].imag ** 2)
            if A[piv][c] == 0:
                raise ZeroDivisionError("singular matrix")
            A[c], A[piv] = A[piv], A[c]
            inv = 1 / A[c][c]
            rowc = [x * inv for x in A[c]]
            A[c] = rowc
            for r in range(n):
                if r != c:
                    f = A[r][c]
                    if f != 0:
                        A[r] = [x - f * y for x, y in zip(A[r], rowc)]
        return _M([r[n:] for r in A])

    def maxabs(self):
        return max(abs(x) for r in self.a for x in r)

    def to_np(self):
        return np.array([[complex(x) for x in r] for r in self.a])

    @staticmethod
    def from_np(A):
        return _M([[mpmath.mpc(complex(x)) for x in r] for r in A])

    def to_mpmath(self):
        return mpmath.matrix(self.a)

    @staticmethod
    def from_mpmath(M):
        return _M([[mpmath.mpc(M[i, j]) for j in range(M.cols)] for i in range(M.rows)])


def _inv(M):
    return M.inv()


def _kron(A, Bt):
    """Batched row-major Kronecker: vec_r(A X B) = _kron(A, B^T) vec_r(X)."""
    n, k, _ = A.shape
    return np.einsum("nij,nlm->niljm", A, Bt).reshape(n, k * k, k * k)


def _mp_to_np(M) -> np.ndarray:
    return M.to_np()


def _np_to_mp(A) -> "_M":
    return _M.from_np(A)


def _mp_max(M) -> Any:
    return M.maxabs()


# --------------------------------------------------------------------------------------------
# groups: M_k-valued Cauchy transforms


class _DiscreteGroup:
    """sum_f t_f b_f over a finite joint law (one discrete letter or a commuting family)."""

    def __init__(self, betas, atoms, k):
        self.k = k
        self.betas = betas
        self.atoms = atoms  # ((t_1, ..., t_f), weight)
        self._np = None
        self._mp = {}

    def _prep_np(self):
        if self._np is None:
            bs = [_np_matrix(b) for b in self.betas]
            Ms = np.array([sum(float(_num(t, NP)) * b for t, b in zip(ts, bs))
                           for ts, _ in self.atoms])
            ws = np.array([float(_num(w, NP)) for _, w in self.atoms])
            self._np = (Ms, ws)
        return self._np

    def mean_np(self):
        Ms, ws = self._prep_np()
        return np.einsum("a,aij->ij", ws, Ms)

    def gd_np(self, w, want_d=True):
        Ms, ws = self._prep_np()
        n, k, _ = w.shape
        G = np.zeros_like(w)
        D = np.zeros((n, k * k, k * k), dtype=complex) if want_d else None
        for M, p in zip(Ms, ws):
            R = _inv_np(w - M[None])
            G += p * R
            if want_d:
                D -= p * _kron(R, np.swapaxes(R, 1, 2))
        return G, D, np.zeros(n)

    def g_mp(self, w):
        key = mpmath.mp.prec
        if key not in self._mp:
            bs = [_mp_matrix(b) for b in self.betas]
            Ms = []
            for ts, p in self.atoms:
                M = _M.zeros(self.k, self.k)
                for t, b in zip(ts, bs):
                    M += _num(t, MP) * b
                Ms.append((M, _num(p, MP)))
            self._mp[key] = Ms
        G = _M.zeros(self.k, self.k)
        for M, p in self._mp[key]:
            G += p * _inv(w - M)
        return G


class _LawGroup:
    """t b for one letter with a continuous scalar law (exact through G_mu, see module doc)."""

    def __init__(self, beta, law, k):
        self.k = k
        self.beta = beta
        self.law = law
        self._np = None
        self._mp = {}

    def _prep_np(self):
        if self._np is None:
            b = _np_matrix(self.beta)
            ev, U = np.linalg.eigh(b)
            keep = np.abs(ev) > 1e-13 * max(1.0, np.max(np.abs(ev)))
            m = [float(_num(x, NP)) for x in self.law.moments(8)]
            lo, hi = self.law._hull_float()
            self._np = (U[:, keep], ev[keep], m, max(abs(lo), abs(hi)), b)
        return self._np

    def mean_np(self):
        Q, s, m, R, b = self._prep_np()
        return m[0] * b

    def _scalar_np(self, zeta):
        out = np.empty_like(zeta)
        up = zeta.imag >= 0
        if np.any(up):
            out[up] = self.law._cauchy_np(zeta[up])
        if np.any(~up):
            out[~up] = np.conj(self.law._cauchy_np(np.conj(zeta[~up])))
        return out

    def _phi_np(self, d, m, R):
        small = np.abs(d) * R < 1e-3
        out = np.zeros_like(d)
        ds = d[small]
        acc = np.zeros_like(ds)
        for j in range(len(m) - 1, -1, -1):
            acc = acc * ds + m[j]
        out[small] = acc
        dl = d[~small]
        if dl.size:
            out[~small] = (self._scalar_np(1 / dl) / dl - 1) / dl
        return out

    def g_np(self, w):
        Q, s, m, R, _ = self._prep_np()
        wi = _inv_np(w)
        Gam = np.einsum("ai,nab,bj->nij", Q.conj(), wi, Q)
        M = s[None, :, None] * Gam
        d, V = np.linalg.eig(M)
        phi = self._phi_np(d.ravel(), m, R).reshape(d.shape)
        mid = V @ (phi[:, :, None] * _inv_np(V)) * s[None, None, :]
        return wi + wi @ (Q[None] @ mid @ Q.conj().T[None]) @ wi

    def gd_np(self, w, want_d=True):
        G = self.g_np(w)
        if not want_d:
            return G, None, np.zeros(w.shape[0])
        n, k, _ = w.shape
        # holomorphic in the entries of w: central differences along the k^2 directions
        h = 1e-5 * (1 + np.max(np.abs(w), axis=(1, 2)))
        D = np.empty((n, k * k, k * k), dtype=complex)
        for a in range(k):
            for b in range(k):
                E = np.zeros((k, k))
                E[a, b] = 1
                dG = (self.g_np(w + h[:, None, None] * E) - self.g_np(w - h[:, None, None] * E))
                D[:, :, a * k + b] = (dG / (2 * h[:, None, None])).reshape(n, k * k)
        return G, D, np.zeros(n)

    def g_mp(self, w):
        key = mpmath.mp.prec
        if key not in self._mp:
            b = _mp_matrix(self.beta).to_mpmath()
            ev, U = mpmath.eighe(b)
            mx = max(abs(e) for e in ev)
            cut = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2)) * max(1, mx)
            cols = [j for j in range(len(ev)) if abs(ev[j]) > cut]
            Q = _M.zeros(self.k, len(cols))
            for c, j in enumerate(cols):
                for i in range(self.k):
                    Q[i, c] = mpmath.mpc(U[i, j])
            s = [ev[j] for j in cols]
            ms = [_num(x, MP) for x in self.law.moments(8)]
            self._mp[key] = (Q, s, ms)
        Q, s, ms = self._mp[key]
        r = len(s)
        wi = _inv(w)
        Gam = Q.H * wi * Q
        M = mpmath.matrix(r, r)
        for i in range(r):
            for j in range(r):
                M[i, j] = s[i] * Gam[i, j]
        d, V = mpmath.eig(M)
        V = _M.from_mpmath(V)
        Vi = _inv(V)
        lo, hi = self.law._hull_float()
        R = max(abs(lo), abs(hi), 1)
        phis = []
        for dj in d:
            if abs(dj) * R < mpmath.mpf(10) ** (-(mpmath.mp.dps // 4 + 2)):
                phis.append(sum(ms[j] * dj**j for j in range(len(ms))))
            else:
                zeta = 1 / dj
                dps = mpmath.mp.dps
                if mpmath.im(zeta) >= 0:
                    g = self.law._cauchy_mp(zeta, dps)
                else:
                    g = mpmath.conj(self.law._cauchy_mp(mpmath.conj(zeta), dps))
                phis.append((g / dj - 1) / dj)
        mid = _M.zeros(r, r)
        for i in range(r):
            for j in range(r):
                mid[i, j] = sum(V[i, t] * phis[t] * Vi[t, j] for t in range(r)) * s[j]
        return wi + wi * Q * mid * Q.H * wi


class _UnitaryGroup:
    """b u + b^* u^* for a Haar unitary u: trapezoid rule on the unit circle."""

    NMAX_NP = 1024
    NMAX_MP = 8192

    def __init__(self, beta, k):
        self.k = k
        self.beta = beta
        self._np = None
        self._mp = {}

    def mean_np(self):
        return np.zeros((self.k, self.k), dtype=complex)

    def _X_np(self, N):
        if self._np is None:
            self._np = {"b": _np_matrix(self.beta)}
        if N not in self._np:
            b = self._np["b"]
            th = 2 * np.pi * np.arange(N) / N  # nested rules: the even nodes are the N/2 rule
            e = np.exp(1j * th)
            self._np[N] = e[:, None, None] * b[None] + np.conj(e)[:, None, None] * b.conj().T[None]
        return self._np[N]

    def gd_np(self, w, want_d=True):
        n, k, _ = w.shape
        N = 32
        while True:
            X = self._X_np(N)
            R = _inv_np(w[:, None] - X[None])
            G = R.mean(axis=1)
            Gh = R[:, ::2].mean(axis=1)
            err = np.max(np.abs(G - Gh), axis=(1, 2)) / (1 + np.max(np.abs(G), axis=(1, 2)))
            if np.all(err < 1e-14) or N >= self.NMAX_NP:
                break
            N *= 2
        D = None
        if want_d:
            D = -np.einsum("pnij,pnml->piljm", R, R).reshape(n, k * k, k * k) / N
        return G, D, err

    def g_mp(self, w):
        key = mpmath.mp.prec
        if key not in self._mp:
            self._mp[key] = {"b": _mp_matrix(self.beta)}
        cache = self._mp[key]
        b = cache["b"]
        bh = b.H
        tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - 3))
        N = 32
        vals = {}

        def node(j, N):
            e = mpmath.expj(2 * mpmath.pi * j / N)
            return _inv(w - e * b - mpmath.conj(e) * bh)

        # nested rules (nodes j/N): the rule 2N adds the odd nodes to the rule N. The N/2 -> N
        # difference (~2 |c_{N/2}|) bounds the error of the N-point rule (~2 |c_N|).
        S = _M.zeros(self.k, self.k)
        for j in range(N):
            S += node(j, N)
        G = S / N
        while True:
            N2 = 2 * N
            for j in range(1, N2, 2):
                S += node(j, N2)
            G2 = S / N2
            if _mp_max(G2 - G) <= tol * (1 + _mp_max(G2)):
                return G2
            if N2 >= self.NMAX_MP:
                raise NoConvergence("the unit-circle integral of a Haar unitary's M_k-valued "
                                    "Cauchy transform", dps=mpmath.mp.dps, steps=N2,
                                    residual=_mp_max(G2 - G),
                                    advice="the point is too close to the spectrum; move it "
                                           "further from the real axis")
            G, N = G2, N2


# --------------------------------------------------------------------------------------------
# the coupled equations


class _Problem:
    """Numeric form of the pencil: b_0, the semicircular covariance, the other groups."""

    def __init__(self, b0, semis, groups, k, scale):
        self.k = k
        self.scale = scale
        self.b0_s = b0
        self.semis_s = semis
        self.groups = groups
        self.m = len(groups)
        self.nblk = max(self.m, 1)
        b0n = _np_matrix(b0)
        self.b0 = b0n
        self.sem = [(_np_matrix(b), float(_num(v, NP))) for b, v in semis]
        E = np.zeros((k * k, k * k), dtype=complex)
        for b, v in self.sem:
            E += v * np.kron(b, b.T)
        self.E = E
        self._mp = {}

    # float64 ------------------------------------------------------------------------------
    def eta_np(self, G):
        out = np.zeros_like(G)
        for b, v in self.sem:
            out += v * (b[None] @ G @ b[None])
        return out

    def lam_np(self, z, eps):
        n = z.shape[0]
        k = self.k
        L = np.zeros((n, k, k), dtype=complex)
        L[:, 0, 0] = z
        for j in range(1, k):
            L[:, j, j] = 1j * eps
        return L - self.b0[None]

    def guess_np(self, z, eps):
        b = self.lam_np(z, eps)
        if self.m == 0:
            return _inv_np(b)[:, None]
        return np.repeat(b[:, None], self.m, axis=1).copy()

    def G_of(self, X, want_d=False):
        if self.m == 0:
            return X[:, 0]
        return self.groups[0].gd_np(X[:, 0], want_d=False)[0]

    def res_jac_np(self, X, z, eps, want_j=True):
        """Residuals (n, nblk, k, k), Jacobians (n, nblk k^2, nblk k^2), quadrature errors."""
        n = X.shape[0]
        k = self.k
        kk = k * k
        b = self.lam_np(z, eps)
        I = np.eye(k)[None]
        if self.m == 0:
            G = X[:, 0]
            W = b - self.eta_np(G)
            R = (W @ G - I)[:, None]
            if not want_j:
                return R, None, np.zeros(n)
            J = _kron(W, np.broadcast_to(np.eye(k), W.shape))
            for bb, v in self.sem:
                B = np.broadcast_to(bb, W.shape)
                J -= v * _kron(B, np.swapaxes(B @ G, 1, 2))
            return R, J, np.zeros(n)
        Gs, Ds, Fs, Hs = [], [], [], []
        qerr = np.zeros(n)
        for j, grp in enumerate(self.groups):
            Gj, Dj, ej = grp.gd_np(X[:, j], want_d=want_j)
            qerr = np.maximum(qerr, ej)
            Fj = _inv_np(Gj)
            Gs.append(Gj)
            Fs.append(Fj)
            Ds.append(Dj)
            Hs.append(Fj - X[:, j])
        bp = b - self.eta_np(Gs[0])
        R = np.empty_like(X)
        hsum = sum(Hs)
        for j in range(self.m):
            R[:, j] = X[:, j] - bp - (hsum - Hs[j])
        if not want_j:
            return R, None, qerr
        m = self.m
        J = np.zeros((n, m * kk, m * kk), dtype=complex)
        Ikk = np.eye(kk)[None]
        Hmat = [-(_kron(Fs[i], np.swapaxes(Fs[i], 1, 2)) @ Ds[i]) - Ikk for i in range(m)]
        ED = self.E[None] @ Ds[0] if self.sem else None
        for j in range(m):
            for i in range(m):
                blk = Ikk.repeat(n, 0).astype(complex) if i == j else -Hmat[i]
                if i == 0 and ED is not None:
                    blk = blk + ED
                J[:, j * kk:(j + 1) * kk, i * kk:(i + 1) * kk] = blk
        return R, J, qerr

    def admissible_np(self, X, z, eps, tol=1e-9):
        G = self.G_of(X)
        ok = np.imag(G[:, 0, 0]) <= tol * (1 + np.abs(G[:, 0, 0]))
        if self.m:
            dg = np.imag(np.diagonal(X, axis1=2, axis2=3))  # (n, m, k)
            ok &= np.all(dg >= -tol * (1 + np.max(np.abs(X), axis=(2, 3)))[:, :, None], axis=(1, 2))
        return ok & np.all(np.isfinite(X), axis=(1, 2, 3))

    def newton_np(self, X, z, eps, maxit=12, tol=1e-12):
        n = X.shape[0]
        conv = np.zeros(n, dtype=bool)
        act = np.ones(n, dtype=bool)
        X = X.copy()
        for _ in range(maxit):
            idx = np.nonzero(act)[0]
            if idx.size == 0:
                break
            with np.errstate(all="ignore"):
                R, J, _ = self.res_jac_np(X[idx], z[idx], eps[idx])
                try:
                    dX = np.linalg.solve(J, R.reshape(idx.size, -1, 1))
                except np.linalg.LinAlgError:
                    dX = np.full((idx.size, J.shape[1], 1), np.nan, dtype=complex)
                    for t in range(idx.size):
                        try:
                            dX[t] = np.linalg.solve(J[t], R[t].reshape(-1, 1))
                        except np.linalg.LinAlgError:
                            pass
            dX = dX.reshape(X[idx].shape)
            X[idx] = X[idx] - dX
            size = np.max(np.abs(dX), axis=(1, 2, 3))
            ref = 1 + np.max(np.abs(X[idx]), axis=(1, 2, 3))
            done = size <= tol * ref
            bad = ~np.isfinite(size)
            conv[idx[done]] = True
            act[idx[done | bad]] = False
        return X, conv

    def solve_np(self, z, eps_t=0.0, steps=None):
        """Continuation of the whole grid; returns (X, ok, t_reached)."""
        z = np.asarray(z, dtype=complex).ravel()
        n = z.size
        y = np.maximum(z.imag, 0)
        t0 = 8.0 * self.scale + 4.0
        tmin = 1e-7 * self.scale
        ymin = float(np.min(y)) if n else 0.0
        if ymin > 0.5 * self.scale:
            tmin = max(tmin, 0.5 * ymin)
        nsteps = steps or int(math.ceil(math.log(t0 / tmin) / math.log(4.0)))
        ts = list(np.geomspace(t0, tmin, nsteps)) + [0.0]
        zt = z.real + 1j * y
        X = self.guess_np(zt + 1j * t0, np.full(n, eps_t + t0))
        ok = np.ones(n, dtype=bool)
        treached = np.full(n, np.inf)
        for t in ts:
            idx = np.nonzero(ok)[0]
            if idx.size == 0:
                break
            zz = zt[idx] + 1j * t
            ee = np.full(idx.size, eps_t + t)
            Xn, conv = self.newton_np(X[idx], zz, ee, maxit=20 if t == 0 else 10,
                                      tol=1e-12)
            adm = self.admissible_np(Xn, zz, ee)
            good = conv & adm
            X[idx[good]] = Xn[good]
            treached[idx[good]] = t
            ok[idx[~good]] = False
        return X, ok, treached

    # mpmath -------------------------------------------------------------------------------
    def _mpdata(self):
        key = mpmath.mp.prec
        if key not in self._mp:
            self._mp[key] = (_mp_matrix(self.b0_s), [(_mp_matrix(b), _num(v, MP))
                                                    for b, v in self.semis_s])
        return self._mp[key]

    def res_mp(self, X, z, eps):
        b0, sem = self._mpdata()
        k = self.k
        Lam = _M.zeros(k, k)
        Lam[0, 0] = z
        for j in range(1, k):
            Lam[j, j] = 1j * eps
        b = Lam - b0

        def eta(G):
            out = _M.zeros(k, k)
            for bb, v in sem:
                out += v * (bb * G * bb)
            return out

        if self.m == 0:
            G = X[0]
            return [(b - eta(G)) * G - _M.eye(k)], G
        Gs = [grp.g_mp(X[j]) for j, grp in enumerate(self.groups)]
        Hs = [_inv(Gs[j]) - X[j] for j in range(self.m)]
        bp = b - eta(Gs[0])
        out = []
        for j in range(self.m):
            r = X[j] - bp
            for i in range(self.m):
                if i != j:
                    r -= Hs[i]
            out.append(r)
        return out, Gs[0]

    def solve_mp(self, z, dps):
        """G_P(z) at dps digits: float64 continuation, then mixed-precision refinement."""
        zc = complex(z)
        X0, ok, tr = self.solve_np(np.array([zc]))
        for steps in (80, 240):
            if ok[0]:
                break
            # finer schedules (near atoms the solution changes on the scale of Im z)
            X1, ok1, tr1 = self.solve_np(np.array([zc]), steps=steps)
            if tr1[0] < tr[0]:
                X0, ok, tr = X1, ok1, tr1
        k, nb = self.k, self.nblk
        t_start = float(tr[0]) if np.isfinite(tr[0]) else None
        work = dps + 10
        with mpmath.workdps(work):
            zm = mpmath.mpc(z)
            y = mpmath.im(zm)
            eps_t = mpmath.mpf(10) ** (-(dps + 10)) * (1 + self.scale)
            if t_start is None:
                raise NoConvergence("operator-valued subordination (start at large Im z)",
                                    dps=dps, point=z)
            if t_start == 0:
                ts = [mpmath.mpf(0)]
            else:
                ts = [mpmath.mpf(t) for t in np.geomspace(t_start, 1e-12 * self.scale, 60)[1:]]
                ts.append(mpmath.mpf(0))
            X = [_np_to_mp(X0[0, j]) for j in range(nb)]
            iters = 0
            est = None
            for t in ts:
                final = t == 0
                tol = mpmath.mpf(10) ** (-(dps + 6)) if final else mpmath.mpf(10) ** -10
                zz = mpmath.mpc(mpmath.re(zm), y + t)
                ee = eps_t + t
                last = None
                J = None
                for it in range(40):
                    try:
                        R, _ = self.res_mp(X, zz, ee)
                    except ZeroDivisionError:
                        raise NoConvergence(
                            "operator-valued subordination (singular resolvent)", dps=dps,
                            steps=iters, point=z,
                            advice="the point is (numerically) an atom of a discrete generator "
                                   "or of the law; evaluate the density slightly off it or "
                                   "off the real axis, or use the float64 path") from None
                    if J is None or (last is not None and rho > 1e-3):
                        # the float64 Jacobian at the current iterate (mixed-precision Newton)
                        Xn = np.array([[_mp_to_np(Xj) for Xj in X]])
                        with np.errstate(all="ignore"):
                            _, J, _ = self.res_jac_np(Xn, np.array([complex(zz)]),
                                                      np.array([float(ee)]))
                    Rn = np.concatenate([_mp_to_np(r).ravel() for r in R])
                    try:
                        d = np.linalg.solve(J[0], Rn)
                    except np.linalg.LinAlgError:
                        raise NoConvergence("operator-valued subordination (singular Jacobian)",
                                            dps=dps, steps=iters, point=z,
                                            advice="the point is a support edge or a cusp; "
                                                   "move it off the real axis") from None
                    iters += 1
                    d = d.reshape(nb, k, k)
                    dm = [_np_to_mp(d[j]) for j in range(nb)]
                    for j in range(nb):
                        X[j] = X[j] - dm[j]
                    size = max(_mp_max(q) for q in dm)
                    ref = 1 + max(_mp_max(Xj) for Xj in X)
                    if not mpmath.isfinite(size):
                        raise NoConvergence("operator-valued subordination (mixed-precision "
                                            "Newton)", dps=dps, steps=iters, point=z)
                    rho = float(size / last) if last else 1.0
                    # contraction: the error after this update is <= rho/(1 - rho) |d|
                    est = size * rho / (1 - rho) if rho < 0.5 else size
                    if size <= tol * ref or (last is not None and rho < 1e-4 and est <= tol * ref):
                        break
                    if last is not None and it > 6 and size > 0.5 * last:
                        raise NoConvergence("operator-valued subordination (mixed-precision "
                                            "Newton)", dps=dps, steps=iters, residual=size,
                                            point=z)
                    last = size
                else:
                    raise NoConvergence("operator-valued subordination (mixed-precision Newton)",
                                        dps=dps, steps=iters, residual=size, point=z)
            G = X[0] if self.m == 0 else self.groups[0].g_mp(X[0])
            return G[0, 0], est, iters


def _neville0(ys, ms):
    """Polynomial extrapolation of (y_j, m_j) to y = 0: (value, |last - previous order|)."""
    def at0(n):
        P = list(ms[:n])
        for lev in range(1, n):
            for i in range(n - 1, lev - 1, -1):
                P[i] = (ys[i - lev] * P[i] - ys[i] * P[i - 1]) / (ys[i - lev] - ys[i])
        return P[n - 1]
    v1, v0 = at0(len(ys)), at0(len(ys) - 1)
    return v1, abs(v1 - v0) + mpmath.mpf(10) ** -30


class _Info:
    __slots__ = ("residual", "newton_iterations", "steps", "retried")

    def __init__(self, residual, newton_iterations, steps, retried=0):
        self.residual = residual
        self.newton_iterations = newton_iterations
        self.steps = steps
        self.retried = retried


class OperatorValued(Law):
    """Law of a self-adjoint polynomial given by a linear pencil (see the module docstring).

    Usually made by the compiler (``fa.compile(expr).law`` when no rule applies, or with
    ``method="linearization"``) rather than by hand.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.laws.operator_valued import OperatorValued
    >>> b0 = sp.ImmutableMatrix([[0, 0, 0], [0, 0, -1], [0, -1, 0]])
    >>> bx = sp.ImmutableMatrix([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> by = sp.ImmutableMatrix([[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    >>> law = OperatorValued(b0, ((bx, 1), (by, 1)), (), (), 4, True)   # x y + y x
    >>> print(mpmath.nstr(law.cauchy(2j, dps=20), 15))
    (0.0 - 0.376085889442093j)

    Parameters
    ----------
    b0 : sympy ImmutableMatrix
        The constant coefficient (k x k, self-adjoint).
    semicirculars : tuple
        Pairs (b_i, v_i): the self-adjoint coefficient matrix of a semicircular letter and its
        variance.
    groups : tuple
        Free groups of the other letters: ``('discrete', (b_f, ...), (((t_f, ...), weight),
        ...))``, ``('law', b, Law)`` or ``('unitary', b)``.
    atom_candidates : tuple
        Exact candidate atom locations (confirmed numerically, see :meth:`atoms`).
    bound : sympy number
        An upper bound of the norm of the polynomial.
    atomless : bool
        True when a theorem excludes atoms (polynomials in semicirculars and Haar unitaries,
        see :meth:`atoms`).
    """

    __slots__ = ()
    _argnames = ("b0", "semicirculars", "groups", "atom_candidates", "bound", "atomless")
    strategy_name = "linearization + operator-valued subordination (Belinschi-Mai-Speicher)"
    name = "operator_valued"

    def __init__(self, b0, semicirculars=(), groups=(), atom_candidates=(), bound=1,
                 atomless=False, moments_fn=None):
        b0 = sp.ImmutableMatrix(b0)
        if b0.shape[0] != b0.shape[1] or b0 != b0.H:
            raise InvalidParameterError("b0", b0, "must be a self-adjoint square matrix")
        sem = tuple((sp.ImmutableMatrix(b), sp.sympify(v)) for b, v in semicirculars)
        for b, _ in sem:
            if b.shape != b0.shape or b != b.H:
                raise InvalidParameterError("semicirculars", b, "coefficients must be "
                                            "self-adjoint and of the size of b0")
        grps = []
        for g in groups:
            kind = g[0]
            if kind == "discrete":
                grps.append(("discrete", tuple(sp.ImmutableMatrix(b) for b in g[1]),
                             tuple((tuple(sp.sympify(t) for t in ts), sp.sympify(w))
                                   for ts, w in g[2])))
            elif kind == "law":
                if not isinstance(g[2], Law):
                    raise InvalidParameterError("groups", g, "a 'law' group needs a Law")
                grps.append(("law", sp.ImmutableMatrix(g[1]), g[2]))
            elif kind == "unitary":
                grps.append(("unitary", sp.ImmutableMatrix(g[1])))
            else:
                raise InvalidParameterError("groups", g, "kinds are 'discrete', 'law', 'unitary'")
        self._init(b0, sem, tuple(grps), tuple(sp.sympify(a) for a in atom_candidates),
                   sp.sympify(bound), bool(atomless))
        if moments_fn is not None:
            self._cache["moments_fn"] = moments_fn

    def __reduce__(self):
        return (OperatorValued, self._args)

    def __repr__(self):
        k = self._args[0].shape[0]
        return (f"operator_valued(k={k}, semicirculars={len(self._args[1])}, "
                f"groups={[g[0] for g in self._args[2]]})")

    @property
    def free_symbols(self) -> set:
        """Symbols in the pencil's matrices, variances, group laws and weights, and the bound.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> t, v = sp.symbols("t v", positive=True)
        >>> p, x = fa.projection("p", t), fa.semicircular("x", v)
        >>> sorted(fa.compile(p*x*p, method="linearization").law.free_symbols, key=str)
        [t, v]
        """
        out: set = set(self._args[0].free_symbols) | set(sp.sympify(self._args[4]).free_symbols)
        for b, v in self._args[1]:
            out |= b.free_symbols | v.free_symbols
        for g in self._args[2]:
            if g[0] == "discrete":
                for b in g[1]:
                    out |= b.free_symbols
                for ts, w in g[2]:
                    out |= w.free_symbols
                    for t in ts:
                        out |= t.free_symbols
            elif g[0] == "law":
                out |= g[1].free_symbols | g[2].free_symbols
            else:
                out |= g[1].free_symbols
        return out

    @property
    def k(self) -> int:
        """Size k of the linearization (the pencil's matrices are k x k).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> fa.compile(p*x*p, method="linearization").law.k
        3
        """
        return self._args[0].shape[0]

    # numeric set-up ------------------------------------------------------------------------
    def _problem(self) -> _Problem:
        def build():
            if self.free_symbols:
                raise UndeterminedError("the operator-valued Cauchy transform",
                                        sorted(self.free_symbols, key=str))
            b0, sem, grps = self._args[0], self._args[1], self._args[2]
            k = b0.shape[0]
            objs = []
            for g in grps:
                if g[0] == "discrete":
                    objs.append(_DiscreteGroup(g[1], g[2], k))
                elif g[0] == "law":
                    objs.append(_LawGroup(g[1], g[2], k))
                else:
                    objs.append(_UnitaryGroup(g[1], k))
            return _Problem(b0, sem, objs, k, max(1.0, self._bound_float()))

        return self._memo("problem", build)

    def _bound_float(self) -> float:
        return float(numeric_value(self._args[4], NP))

    def _hull_float(self):
        r = self._bound_float()
        return -r, r

    # Cauchy transform -------------------------------------------------------------------------
    _cauchy_strategies = ("operator_valued",)

    def _cauchy_np(self, z, method=None):
        z = np.asarray(z, dtype=complex)
        prob = self._problem()
        flat = z.ravel()
        X, ok, _ = prob.solve_np(flat)
        bad = np.nonzero(~ok)[0]
        retried = 0
        if bad.size:
            # a finer schedule for the points that failed
            retried = bad.size
            for steps in (80, 240):
                X2, ok2, _ = prob.solve_np(flat[bad], steps=steps)
                X[bad[ok2]] = X2[ok2]
                ok[bad[ok2]] = True
                bad = bad[~ok2]
                if bad.size == 0:
                    break
        with np.errstate(all="ignore"):
            G = prob.G_of(X)[:, 0, 0]
            R, _, qerr = prob.res_jac_np(X, flat.real + 1j * np.maximum(flat.imag, 0),
                                         np.zeros(flat.size), want_j=False)
        res = np.max(np.abs(R), axis=(1, 2, 3))
        ok &= np.isfinite(res) & (res < 1e-8) & (qerr < 1e-10)
        G = np.where(ok, G, np.nan + 0j)
        record(residual=float(np.nanmax(res)) if res.size else 0.0, retried=retried)
        return G.reshape(z.shape)

    def _cauchy_mp(self, z, dps, method=None):
        prob = self._problem()
        g, res, iters = prob.solve_mp(z, int(dps))
        record(residual=res, iterations=iters, steps=1)
        with mpmath.workdps(dps):
            return +g

    def _g(self, z, be):
        if be is NP:
            return self._cauchy_np(np.asarray(z, dtype=complex))
        return self._cauchy_mp(z, mpmath.mp.dps)

    def _dg(self, z, be):
        # G'(z) = -tau((z - P)^{-2}): a centred difference of the analytic G (used only when the
        # law is nested inside another composite law)
        if be is NP:
            h = 1e-5 * (1 + np.abs(z))
            return (self._g(z + h, be) - self._g(z - h, be)) / (2 * h)
        h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))
        return (self._g(z + h, be) - self._g(z - h, be)) / (2 * h)

    # symbolic side ---------------------------------------------------------------------------
    def _moments_exact(self, n):
        fn = self._cache.get("moments_fn")
        if fn is None:
            return None
        return list(self._memo(("mfn", n), lambda: fn(n)))

    def support(self, dps: int = 30):
        return numeric_support(self, dps)

    def edges(self, dps: int = 30):
        return numeric_edges(self, dps)

    def _system(self):
        # no scalar fold system: soft edges are refined by bisection (numeric.edges)
        raise NoConvergence("fold system of an operator-valued law",
                            advice="edges are bisected instead")

    def _edge_candidates(self):
        return [a.location for a in self.atoms()]

    # atoms -----------------------------------------------------------------------------------
    def atoms(self) -> list:
        """Atoms: candidate locations (from the compiler) confirmed by lim i y G(a + i y).

        For each candidate a, m(y) = Re(i y G(a + i y)) is computed at y = 10^-2 2^-j (times the
        scale) until the polynomial extrapolation to y = 0 (Neville) settles; a candidate is
        an atom when the limit exceeds 10^-6. The mass is then *identified* on the lattice
        (1/L) Z + sum_i n_i w_i, L the common denominator of the rational weights of the
        discrete generators and w_i their irrational weights (integer relation by PSLQ with
        the coefficient of the mass equal to +-1), which is where masses of polynomials in free
        projections lie in the cases covered by Linnell's Atiyah-type theorems; the
        identification is kept only if it agrees with the limit within 10 times its error
        estimate. ``Atom.error`` is ``|identified - numeric limit|`` (or the error estimate of
        an unidentified limit, returned as a Float); :meth:`atom_report` says which atoms are
        identified. With ``atomless`` (polynomials in semicircular, circular and Haar
        elements only) there are no atoms (Mai-Speicher-Weber 2017, Adv. Math. 304;
        Linnell 1993 for the free group).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> fa.compile(p*x*p, method="linearization").law.atoms()   # doctest: +ELLIPSIS
        [Atom(location=0, mass=1/2, error=...)]
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.compile(x*y + y*x).law.atoms()          # atomless: semicirculars only
        []
        """
        return [a for a, _ in self.atom_report()]

    def atom_report(self) -> list:
        """The atoms with how each mass was found: a list of (Atom, method) pairs.

        ``method`` starts with ``'identified'`` (an exact mass recognised by PSLQ, see
        :meth:`atoms`) or ``'numeric'`` (a Float).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> law = fa.compile(p*x*p, method="linearization").law
        >>> [(a.location, a.mass, how.split()[0]) for a, how in law.atom_report()]  # 1 - tau(p)
        [(0, 1/2, 'identified')]
        """
        def build():
            if self._args[5] or not self._args[3]:
                return []
            basis_vals = []
            for g in self._args[2]:
                if g[0] == "discrete":
                    for _, w in g[2]:
                        basis_vals.append(sp.sympify(w))
            # rational weights: the lattice (1/lcm) Z; irrational or algebraic weights: PSLQ
            lcm = 1
            basis = []
            for v in basis_vals:
                if v.is_Rational:
                    lcm = int(sp.ilcm(lcm, v.q))
                elif v not in basis and (1 - v) not in basis:
                    basis.append(v)
            out = []
            scale = max(1.0, self._bound_float())
            for loc in self._args[3]:
                # float64 screening (vectorised): m(y) ~ y away from atoms
                af = float(numeric_value(loc, NP))
                yf = scale / 100 / 2.0 ** np.arange(12)
                with np.errstate(all="ignore"):
                    mf = np.real(1j * yf * self._cauchy_np(af + 1j * yf))
                fin = np.isfinite(mf)
                nfin = int(np.argmin(fin)) if not fin.all() else fin.size  # leading finite run
                mf = mf[:nfin]
                if mf.size >= 3 and (mf[-1] < 1e-7 or mf[-1] < 0.6 * mf[-2]):
                    continue
                with mpmath.workdps(40):
                    a = numeric_value(loc, MP)
                    # m(y) = i y G(a + i y) at y = 10^-2 2^-j; Neville extrapolation to y = 0
                    # (m is analytic in y at an atom isolated from the bulk)
                    ys, ms = [], []
                    m2, err = None, None
                    # first where the float64 path reaches the axis (cheap), then, if the
                    # limit is not settled, further down with mpmath continuation (slow)
                    for j in range(14):
                        yj = mpmath.mpf(scale) / 100 / mpmath.mpf(2) ** j
                        if j >= max(nfin, 5) and err is not None and err < mpmath.mpf(10) ** -12:
                            break
                        try:
                            G = self._cauchy_mp(mpmath.mpc(a, yj), 20)
                        except NoConvergence:
                            break
                        ys.append(yj)
                        ms.append(mpmath.re(1j * yj * G))
                        if len(ms) >= 3 and ms[-1] < 0.6 * ms[-2]:
                            break  # m(y) ~ y: no atom
                        if len(ys) >= 5:
                            m2, err = _neville0(ys, ms)
                            if err < mpmath.mpf(10) ** -18:
                                break
                    if len(ys) < 5:
                        continue
                    m2, err = _neville0(ys, ms)
                    if m2 < mpmath.mpf(10) ** -6 or err > mpmath.mpf(10) ** -4 * m2:
                        continue
                    exact = None
                    if err < mpmath.mpf(10) ** -6:
                        vec = [m2, 1 / mpmath.mpf(lcm)] + [numeric_value(bb, MP) for bb in basis]
                        rel = mpmath.pslq(vec, maxcoeff=10**4, maxsteps=20000,
                                          tol=max(10 * err, mpmath.mpf(10) ** -25))
                        if rel is not None and abs(rel[0]) == 1:
                            cand = -(sp.Rational(rel[1], lcm) + sum(rr * bb for rr, bb in
                                                                    zip(rel[2:], basis))) \
                                / sp.Integer(rel[0])
                            cand = sp.nsimplify(cand)
                            if abs(numeric_value(cand, MP) - m2) < 10 * err:
                                exact = cand
                    if exact is not None:
                        out.append((Atom(loc, exact, sp.Float(float(abs(numeric_value(exact, MP)
                                                                            - m2)) + 1e-30, 3)),
                                    "identified (PSLQ on i y G extrapolated to y = 0)"))
                    else:
                        out.append((Atom(loc, sp.Float(mpmath.nstr(m2, 15), 15),
                                         sp.Float(float(err), 3)),
                                    "numeric (i y G extrapolated to y = 0)"))
            out.sort(key=lambda ap: float(numeric_value(ap[0].location, NP)))
            return out

        return list(self._memo("atom_report", build))

    def _unknowns_mp(self, z, dps: int) -> dict:
        """Every unknown of the operator-valued equations at z (for ``System.residual``).

        The float64 continuation of the whole system (the start of :meth:`_cauchy_mp` too) is
        polished by the same mixed-precision Newton at ``dps + 10`` digits (mpmath residual,
        float64 Jacobian), at the regularisation eps = 10^-(dps+10) (1 + scale) of the mpmath
        solver. Returns ``{"G": G_P(z), "Gmat": the M_k-valued G, "Omega": [Omega_j],
        "G_X": [G_{X_j}(Omega_j)], "eps": eps}`` (matrices as ``mpmath.matrix``; ``Omega`` and
        ``G_X`` are empty for a purely semicircular pencil).
        """
        prob = self._problem()
        zc = complex(z)
        X0, ok, tr = prob.solve_np(np.array([zc]))
        for steps in (80, 240):
            if ok[0] and tr[0] == 0:
                break
            X1, ok1, tr1 = prob.solve_np(np.array([zc]), steps=steps)
            if ok1[0] and tr1[0] == 0:
                X0, ok, tr = X1, ok1, tr1
        if not (ok[0] and tr[0] == 0):
            raise NoConvergence("operator-valued subordination (float64 continuation)", dps=dps,
                                point=z, advice="move the point off the real axis")
        k, nb = prob.k, prob.nblk
        with mpmath.workdps(dps + 10):
            zm = mpmath.mpc(z)
            eps = mpmath.mpf(10) ** (-(dps + 10)) * (1 + prob.scale)
            X = [_np_to_mp(X0[0, j]) for j in range(nb)]
            tol = mpmath.mpf(10) ** (-(dps + 6))
            for _ in range(60):
                R, _ = prob.res_mp(X, zm, eps)
                Xn = np.array([[_mp_to_np(Xj) for Xj in X]])
                with np.errstate(all="ignore"):
                    _, J, _ = prob.res_jac_np(Xn, np.array([complex(zm)]), np.array([float(eps)]))
                Rn = np.concatenate([_mp_to_np(r).ravel() for r in R])
                d = np.linalg.solve(J[0], Rn).reshape(nb, k, k)
                dm = [_np_to_mp(d[j]) for j in range(nb)]
                X = [X[j] - dm[j] for j in range(nb)]
                if max(_mp_max(q) for q in dm) <= tol * (1 + max(_mp_max(Xj) for Xj in X)):
                    break
            else:
                raise NoConvergence("operator-valued subordination (mixed-precision Newton)",
                                    dps=dps, point=z)
            if prob.m == 0:
                Gm, Om, GX = X[0], [], []
            else:
                GX = [grp.g_mp(X[j]) for j, grp in enumerate(prob.groups)]
                Gm, Om = GX[0], X
            return {"G": Gm[0, 0], "Gmat": Gm.to_mpmath(), "Omega": [O.to_mpmath() for O in Om],
                    "G_X": [g.to_mpmath() for g in GX], "eps": eps}
