"""Small dense complex matrices in two contexts, so matrix algorithms are written once.

:data:`NPM` holds a batch of n matrices as a numpy complex128 array of shape (n, k, k)
(constant matrices are plain (k, k) arrays and broadcast); :data:`MPM` holds one matrix at the
working mpmath precision as an :class:`MPMatrix` (a list of rows: mpmath.matrix's LU is ~30x
slower for the k <= 20 matrices of a linearization). Both support ``+``, ``-``, ``@`` and
multiplication by a scalar; the context supplies the rest (``inv``, ``eig``, ``diag``, ``lam``,
``maxabs``, ...), as mpmath writes one algorithm for its fp and mp contexts. Vectors of the
mpmath context (eigenvalues) are numpy object arrays of mpc, so elementwise code is shared too.

Examples
--------
>>> import numpy as np, mpmath, sympy as sp
>>> from freealg.numeric.matrices import MPM, NPM
>>> A = sp.ImmutableMatrix([[2, 1], [0, 1]])
>>> def resolvent(ctx, z, eps):              # written once: (diag(z, i eps) - A)^{-1}
...     return ctx.inv(ctx.lam(z, eps, 2) - ctx.const(A))
>>> resolvent(NPM, np.array([3.0 + 0j]), np.array([0.0]))[0].real
array([[ 1., -1.],
       [ 0., -1.]])
>>> with mpmath.workdps(20):
...     print(resolvent(MPM, mpmath.mpc(3), 0).to_np()[0, 1])
(-1+0j)
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..errors import UndeterminedError

__all__ = ["MPM", "NPM", "MPMatrix", "exact_value", "kron_rows"]


def exact_value(x: Any, mp: bool, what: str = "a coefficient of the linearization") -> Any:
    """An exact sympy value as a float/complex (``mp=False``) or an mpf/mpc at the working
    mpmath precision (``mp=True``).

    Examples
    --------
    >>> import sympy as sp
    >>> exact_value(sp.Rational(1, 4), False), exact_value(1 + sp.I, False)
    (0.25, (1+1j))

    Parameters
    ----------
    x : sympy number or number
        The value.
    mp : bool
        mpmath (True) or float64 (False).
    what : str
        Its description, for the error.

    Returns
    -------
    number
        float/complex or mpf/mpc.

    Raises
    ------
    UndeterminedError
        When ``x`` has free symbols.
    """
    e = sp.sympify(x)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    if not mp:
        return float(e) if e.is_real else complex(e)
    return e.evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 20)


def kron_rows(A: np.ndarray, Bt: np.ndarray) -> np.ndarray:
    """Batched row-major Kronecker product: vec_r(A X B) = kron_rows(A, B^T) vec_r(X).

    Examples
    --------
    >>> A = np.arange(4.0).reshape(1, 2, 2); X = np.array([[1.0, 2], [3, 4]])
    >>> K = kron_rows(A, A.transpose(0, 2, 1))[0]
    >>> bool(np.allclose(K @ X.ravel(), (A[0] @ X @ A[0]).ravel()))
    True
    """
    n, k, _ = A.shape
    return np.einsum("nij,nlm->niljm", A, Bt).reshape(n, k * k, k * k)


class MPMatrix:
    """A small dense mpmath complex matrix stored as a list of rows.

    Examples
    --------
    >>> import mpmath
    >>> A = MPMatrix([[mpmath.mpc(2), mpmath.mpc(1)], [mpmath.mpc(0), mpmath.mpc(4)]])
    >>> (A @ A.inv()).to_np().real
    array([[1., 0.],
           [0., 1.]])
    """

    __slots__ = ("a", "rows", "cols")

    def __init__(self, a: list):
        self.a = a
        self.rows = len(a)
        self.cols = len(a[0]) if a else 0

    @staticmethod
    def zeros(r: int, c: int | None = None) -> "MPMatrix":
        z = mpmath.mpc(0)
        return MPMatrix([[z] * (r if c is None else c) for _ in range(r)])

    def __getitem__(self, ij):
        return self.a[ij[0]][ij[1]]

    def __setitem__(self, ij, v):
        self.a[ij[0]][ij[1]] = v

    def __add__(self, o):
        return MPMatrix([[x + y for x, y in zip(r, q)] for r, q in zip(self.a, o.a)])

    def __sub__(self, o):
        return MPMatrix([[x - y for x, y in zip(r, q)] for r, q in zip(self.a, o.a)])

    def __neg__(self):
        return MPMatrix([[-x for x in r] for r in self.a])

    def __matmul__(self, o):
        cols = list(zip(*o.a))
        return MPMatrix([[mpmath.fdot(r, c) for c in cols] for r in self.a])

    def __mul__(self, c):
        return MPMatrix([[x * c for x in r] for r in self.a])

    __rmul__ = __mul__

    def __truediv__(self, c):
        return MPMatrix([[x / c for x in r] for r in self.a])

    def inv(self) -> "MPMatrix":
        """Gauss-Jordan with partial pivoting; ZeroDivisionError when singular."""
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
        return MPMatrix([r[n:] for r in A])

    def to_np(self) -> np.ndarray:
        return np.array([[complex(x) for x in r] for r in self.a])

    @staticmethod
    def from_np(A: Any) -> "MPMatrix":
        return MPMatrix([[mpmath.mpc(complex(x)) for x in r] for r in A])

    def to_mpmath(self) -> Any:
        return mpmath.matrix(self.a)


class _NPContext:
    """Batches of float64 matrices, shape (n, k, k); per-matrix results have shape (n,)."""

    name = "numpy"
    mp = False
    key = "np"

    def num(self, x: Any) -> Any:
        return exact_value(x, False)

    def const(self, M: Any) -> np.ndarray:
        return np.array([[complex(exact_value(M[i, j], False)) for j in range(M.shape[1])]
                         for i in range(M.shape[0])], dtype=complex)

    def lift(self, a: np.ndarray) -> np.ndarray:
        """A constant as a batch of one (numpy's matmul broadcasts (1, k, k) faster)."""
        return a[None]

    def inv(self, a: np.ndarray) -> np.ndarray:
        """Batched inverse that marks singular members NaN instead of raising (a Newton iterate
        can land exactly on a singular point; the continuation then drops that point)."""
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

    def eye(self, k: int) -> np.ndarray:
        return np.eye(k, dtype=complex)

    def zeros_like(self, a: np.ndarray) -> np.ndarray:
        return np.zeros_like(a)

    def lam(self, z: Any, eps: Any, k: int) -> np.ndarray:
        """diag(z, i eps, ..., i eps) for arrays z, eps of shape (n,)."""
        L = np.zeros((z.shape[0], k, k), dtype=complex)
        L[:, 0, 0] = z
        for j in range(1, k):
            L[:, j, j] = 1j * eps
        return L

    def H(self, a: np.ndarray) -> np.ndarray:
        return np.swapaxes(a.conj(), -1, -2)

    def maxabs(self, a: np.ndarray) -> np.ndarray:
        return np.max(np.abs(a), axis=(-2, -1))

    def diag(self, v: np.ndarray) -> np.ndarray:
        return v[..., :, None] * np.eye(v.shape[-1])

    def eig(self, a: np.ndarray) -> tuple:
        return np.linalg.eig(a)

    def eigh(self, a: np.ndarray) -> tuple:
        return np.linalg.eigh(a)

    def columns(self, U: np.ndarray, cols: list) -> np.ndarray:
        return U[:, cols]

    def expj(self, t: Any) -> Any:
        return np.exp(1j * t)

    def cauchy(self, fns: tuple, zeta: np.ndarray) -> np.ndarray:
        """A scalar Cauchy transform (``fns = (float64 version, mpmath version)``) on any
        complex points, by G(conj zeta) = conj G(zeta) below the axis."""
        out = np.empty_like(zeta)
        up = zeta.imag >= 0
        if np.any(up):
            out[up] = fns[0](zeta[up])
        if np.any(~up):
            out[~up] = np.conj(fns[0](np.conj(zeta[~up])))
        return out

    def diagonal(self, a: np.ndarray) -> np.ndarray:
        return np.diagonal(a, axis1=-2, axis2=-1)

    def real(self, v: np.ndarray) -> np.ndarray:
        return np.real(v)

    def boundary_tol(self) -> float:
        return 1e-6

    def rank_cut(self) -> float:
        return 1e-13

    def series_cut(self) -> float:
        return 1e-3

    def quad_tol(self) -> float:
        return 1e-14


class _MPContext:
    """One :class:`MPMatrix` at the working mpmath precision; scalars are mpf/mpc."""

    name = "mpmath"
    mp = True

    @property
    def key(self) -> tuple:
        return ("mp", mpmath.mp.prec)

    def num(self, x: Any) -> Any:
        return exact_value(x, True)

    def const(self, M: Any) -> MPMatrix:
        return MPMatrix([[mpmath.mpc(exact_value(M[i, j], True)) for j in range(M.shape[1])]
                         for i in range(M.shape[0])])

    def lift(self, a: MPMatrix) -> MPMatrix:
        return a

    def inv(self, a: MPMatrix) -> MPMatrix:
        return a.inv()

    def eye(self, k: int) -> MPMatrix:
        M = MPMatrix.zeros(k)
        for i in range(k):
            M.a[i][i] = mpmath.mpc(1)
        return M

    def zeros_like(self, a: MPMatrix) -> MPMatrix:
        return MPMatrix.zeros(a.rows, a.cols)

    def lam(self, z: Any, eps: Any, k: int) -> MPMatrix:
        L = MPMatrix.zeros(k)
        L[0, 0] = mpmath.mpc(z)
        for j in range(1, k):
            L[j, j] = mpmath.mpc(0, eps)
        return L

    def H(self, a: MPMatrix) -> MPMatrix:
        return MPMatrix([[mpmath.conj(x) for x in c] for c in zip(*a.a)])

    def maxabs(self, a: MPMatrix) -> Any:
        return max(abs(x) for r in a.a for x in r)

    def diag(self, v: Any) -> MPMatrix:
        M = MPMatrix.zeros(len(v))
        for i, x in enumerate(v):
            M.a[i][i] = mpmath.mpc(x)
        return M

    def eig(self, a: MPMatrix) -> tuple:
        d, V = mpmath.eig(a.to_mpmath())
        return (np.array(d, dtype=object),
                MPMatrix([[mpmath.mpc(V[i, j]) for j in range(V.cols)] for i in range(V.rows)]))

    def eigh(self, a: MPMatrix) -> tuple:
        ev, U = mpmath.eighe(a.to_mpmath())
        return (np.array(ev, dtype=object),
                MPMatrix([[mpmath.mpc(U[i, j]) for j in range(U.cols)] for i in range(U.rows)]))

    def columns(self, U: MPMatrix, cols: list) -> MPMatrix:
        return MPMatrix([[r[j] for j in cols] for r in U.a])

    def expj(self, t: Any) -> Any:
        return mpmath.expj(t)

    def cauchy(self, fns: tuple, zeta: Any) -> Any:
        """As for :data:`NPM`, point by point through the mpmath version at the working dps."""
        dps = mpmath.mp.dps
        return np.array([fns[1](x, dps) if mpmath.im(x) >= 0
                         else mpmath.conj(fns[1](mpmath.conj(x), dps)) for x in zeta],
                        dtype=object)

    def diagonal(self, a: MPMatrix) -> Any:
        return np.array([a.a[i][i] for i in range(a.rows)], dtype=object)

    def real(self, v: Any) -> np.ndarray:
        return np.array([mpmath.re(x) for x in np.ravel(v)], dtype=object).reshape(np.shape(v))

    def boundary_tol(self) -> Any:
        return mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))

    def rank_cut(self) -> Any:
        return mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))

    def series_cut(self) -> Any:
        return mpmath.mpf(10) ** (-(mpmath.mp.dps // 4 + 2))

    def quad_tol(self) -> Any:
        return mpmath.mpf(10) ** (-(mpmath.mp.dps - 3))


NPM = _NPContext()
MPM = _MPContext()
