"""The M_k-valued Cauchy transforms of the free groups of letters of a linearization.

An engine module used by ``freealg.numeric.operator_valued`` (see its docstring for the
equations): each group X of letters has G_X(w) = E[(w - X)^{-1}] for w in M_k, evaluated in
float64 on a batch of matrices (with the derivative dG_X/dw as a k^2 x k^2 matrix) and at
the working mpmath precision on one matrix. The mpmath side works on ``_M``, a small dense
complex matrix written with lists (mpmath.matrix's LU is ~30x slower for the k <= 20
matrices of a linearization).
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from ..errors import NoConvergence, UndeterminedError

__all__ = ["DiscreteGroup", "LawGroup", "UnitaryGroup"]


def _numval(x: Any, mp: bool, what: str = "a coefficient of the linearization") -> Any:
    """An exact value as a float/complex (``mp=False``) or an mpf/mpc at the working precision."""
    e = sp.sympify(x)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    if not mp:
        return float(e) if e.is_real else complex(e)
    return e.evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 20)


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

def _num(x, be):
    return _numval(x, be == "mp")


def _np_matrix(M) -> np.ndarray:
    k = M.shape[0]
    return np.array([[complex(_num(M[i, j], "np")) for j in range(M.shape[1])] for i in range(k)],
                    dtype=complex)


def _mp_matrix(M) -> "_M":
    return _M([[mpmath.mpc(_num(M[i, j], "mp")) for j in range(M.shape[1])]
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


class DiscreteGroup:
    """sum_f t_f b_f over a finite joint law (one discrete letter or a commuting family).

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_groups import DiscreteGroup
    >>> g = DiscreteGroup((sp.ImmutableMatrix([[1]]),), (((0,), sp.Rational(1, 2)),
    ...                                                  ((1,), sp.Rational(1, 2))), 1)
    >>> g.mean_np()                                    # E[t] b for a Bernoulli(1/2) letter
    array([[0.5+0.j]])

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
        self.k = k
        self.betas = betas
        self.atoms = atoms  # ((t_1, ..., t_f), weight)
        self._np = None
        self._mp = {}

    def _prep_np(self):
        if self._np is None:
            bs = [_np_matrix(b) for b in self.betas]
            Ms = np.array([sum(float(_num(t, "np")) * b for t, b in zip(ts, bs))
                           for ts, _ in self.atoms])
            ws = np.array([float(_num(w, "np")) for _, w in self.atoms])
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
                    M += _num(t, "mp") * b
                Ms.append((M, _num(p, "mp")))
            self._mp[key] = Ms
        G = _M.zeros(self.k, self.k)
        for M, p in self._mp[key]:
            G += p * _inv(w - M)
        return G


class LawGroup:
    """t b for one letter with a continuous scalar law mu (exact through G_mu, see module doc).

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_groups import LawGroup
    >>> g = LawGroup(sp.ImmutableMatrix([[1]]), 1, lambda z: 1 / z, None,
    ...              lambda n: [0] * n, lambda: (0.0, 0.0))     # the law delta_0
    >>> g.g_np(np.array([[[2j]]]))[0]
    array([[0.-0.5j]])

    The law enters only through callables: ``cauchy_np(zeta)`` (float64 G_mu on an array in
    C+), ``cauchy_mp(zeta, dps)`` (G_mu at one point of C+), ``moments(n)`` (the exact moments
    [m_1, ..., m_n]) and ``hull()`` (float bounds (lo, hi) of the support).
    """

    def __init__(self, beta, k: int, cauchy_np: Callable, cauchy_mp: Callable,
                 moments: Callable, hull: Callable):
        self.k = k
        self.beta = beta
        self.cauchy_np = cauchy_np
        self.cauchy_mp = cauchy_mp
        self.moments = moments
        self.hull = hull
        self._np: Any = None
        self._mp: dict = {}

    def _prep_np(self):
        if self._np is None:
            b = _np_matrix(self.beta)
            ev, U = np.linalg.eigh(b)
            keep = np.abs(ev) > 1e-13 * max(1.0, np.max(np.abs(ev)))
            m = [float(_num(x, "np")) for x in self.moments(8)]
            lo, hi = self.hull()
            self._np = (U[:, keep], ev[keep], m, max(abs(lo), abs(hi)), b)
        return self._np

    def mean_np(self):
        Q, s, m, R, b = self._prep_np()
        return m[0] * b

    def _scalar_np(self, zeta):
        out = np.empty_like(zeta)
        up = zeta.imag >= 0
        if np.any(up):
            out[up] = self.cauchy_np(zeta[up])
        if np.any(~up):
            out[~up] = np.conj(self.cauchy_np(np.conj(zeta[~up])))
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
            ms = [_num(x, "mp") for x in self.moments(8)]
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
        lo, hi = self.hull()
        R = max(abs(lo), abs(hi), 1)
        phis = []
        for dj in d:
            if abs(dj) * R < mpmath.mpf(10) ** (-(mpmath.mp.dps // 4 + 2)):
                phis.append(sum(ms[j] * dj**j for j in range(len(ms))))
            else:
                zeta = 1 / dj
                dps = mpmath.mp.dps
                if mpmath.im(zeta) >= 0:
                    g = self.cauchy_mp(zeta, dps)
                else:
                    g = mpmath.conj(self.cauchy_mp(mpmath.conj(zeta), dps))
                phis.append((g / dj - 1) / dj)
        mid = _M.zeros(r, r)
        for i in range(r):
            for j in range(r):
                mid[i, j] = sum(V[i, t] * phis[t] * Vi[t, j] for t in range(r)) * s[j]
        return wi + wi * Q * mid * Q.H * wi


class UnitaryGroup:
    """b u + b^* u^* for a Haar unitary u: trapezoid rule on the unit circle.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_groups import UnitaryGroup
    >>> g = UnitaryGroup(sp.ImmutableMatrix([[1]]), 1)    # X = u + u^*: arcsine law on [-2, 2]
    >>> G, _, err = g.gd_np(np.array([[[3j]]]), want_d=False)
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
