"""Two numeric back ends with one interface: mpmath scalars (any precision) and numpy arrays.

Formulas for Cauchy transforms are written once against this interface (``be.sqrt``,
``be.log``, ...) and run at arbitrary precision or vectorised in float64.

All branch cuts are principal. The numpy back end normalises a negative zero imaginary part
to +0 before ``sqrt``/``log`` so that a value on the real axis is always the boundary value
from the upper half plane (the convention of ``docs/conventions.md``).

Examples
--------
>>> import numpy as np
>>> NP.sqrt(np.array([complex(-4.0, -0.0)]))      # boundary value from C+, not -2j
array([0.+2.j])
>>> with MP.workdps(20):
...     print(MP.sqrt(MP.mpc(-4)))
(0.0 + 2.0j)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import mpmath
import numpy as np

__all__ = ["MP", "NP", "Backend", "backend_for"]


class Backend:
    """The interface both back ends implement: elementwise functions of mpmath scalars
    (:data:`MP`) or of numpy arrays (:data:`NP`), with the same names.

    Examples
    --------
    >>> isinstance(MP, Backend), NP.is_array, MP.is_array
    (True, True, False)
    >>> float(MP.abs(MP.mpc(3, 4))), float(NP.abs(NP.mpc(3.0, 4.0)))
    (5.0, 5.0)
    """

    name = "abstract"
    is_array = False
    pi: Any
    mpc: Callable[..., Any]
    mpf: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    log: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    atan: Callable[[Any], Any]
    imag: Callable[[Any], Any]
    real: Callable[[Any], Any]
    abs: Callable[[Any], Any]
    asarray: Callable[[Any], Any]
    eps: Callable[[], Any]
    solve: Callable[[Sequence[Sequence[Any]], Sequence[Any]], list]
    norm: Callable[[Sequence[Any]], Any]


class _MPBackend(Backend):
    """mpmath scalars; callers hold the precision with ``MP.workdps``."""

    name = "mpmath"
    is_array = False
    mp = mpmath.mp
    mpc = staticmethod(mpmath.mpc)
    mpf = staticmethod(mpmath.mpf)
    pi = property(lambda self: mpmath.mp.pi)
    sqrt = staticmethod(mpmath.sqrt)
    log = staticmethod(mpmath.log)
    exp = staticmethod(mpmath.exp)
    atan = staticmethod(mpmath.atan)
    workdps = staticmethod(mpmath.workdps)

    @staticmethod
    def imag(x):
        return mpmath.im(x)

    @staticmethod
    def real(x):
        return mpmath.re(x)

    @staticmethod
    def abs(x):
        return abs(x)

    @staticmethod
    def asarray(x):
        return mpmath.mpmathify(x)

    @staticmethod
    def eps():
        return mpmath.eps

    @staticmethod
    def solve(J: Sequence[Sequence[Any]], F: Sequence[Any]) -> list:
        n = len(F)
        if n == 1:
            return [F[0] / J[0][0]]
        if n == 2:
            a, b = J[0]
            c, d = J[1]
            det = a * d - b * c
            return [(d * F[0] - b * F[1]) / det, (a * F[1] - c * F[0]) / det]
        x = mpmath.lu_solve(mpmath.matrix([[J[i][j] for j in range(n)] for i in range(n)]),
                            mpmath.matrix(list(F)))
        return [x[i] for i in range(n)]

    @staticmethod
    def norm(vs: Sequence[Any]):
        return max((abs(v) for v in vs), default=mpmath.mpf(0))


class _NPBackend(Backend):
    """numpy complex128 arrays, vectorised over a grid of points."""

    name = "numpy"
    is_array = True
    pi = np.pi

    @staticmethod
    def sqrt(x):
        return np.sqrt(np.asarray(x, dtype=complex) + 0j)

    @staticmethod
    def log(x):
        return np.log(np.asarray(x, dtype=complex) + 0j)

    exp = staticmethod(np.exp)
    atan = staticmethod(np.arctan)
    imag = staticmethod(np.imag)
    real = staticmethod(np.real)
    abs = staticmethod(np.abs)

    @staticmethod
    def mpc(x, y=0.0):
        return complex(x, y)

    @staticmethod
    def mpf(x):
        return float(x)

    @staticmethod
    def asarray(x):
        return np.asarray(x, dtype=complex)

    @staticmethod
    def eps():
        return np.finfo(float).eps

    @staticmethod
    def solve(J: Sequence[Sequence[Any]], F: Sequence[Any]) -> list:
        n = len(F)
        shape = np.broadcast_shapes(*[np.shape(a) for a in F],
                                    *[np.shape(J[i][j]) for i in range(n) for j in range(n)])
        if n == 1:
            with np.errstate(divide="ignore", invalid="ignore"):
                return [np.broadcast_to(F[0] / J[0][0], shape)]
        if n == 2:
            a, b = J[0]
            c, d = J[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                det = a * d - b * c
                return [np.broadcast_to((d * F[0] - b * F[1]) / det, shape),
                        np.broadcast_to((a * F[1] - c * F[0]) / det, shape)]
        A = np.empty(shape + (n, n), dtype=complex)
        B = np.empty(shape + (n,), dtype=complex)
        for i in range(n):
            B[..., i] = F[i]
            for j in range(n):
                A[..., i, j] = J[i][j]
        try:
            X = np.linalg.solve(A, B[..., None])[..., 0]
        except np.linalg.LinAlgError:
            X = np.empty_like(B)
            for idx in np.ndindex(shape):
                try:
                    X[idx] = np.linalg.solve(A[idx], B[idx])
                except np.linalg.LinAlgError:
                    X[idx] = np.nan
        return [X[..., i] for i in range(n)]

    @staticmethod
    def norm(vs: Sequence[Any]):
        out = 0.0
        for v in vs:
            out = np.maximum(out, np.abs(v))
        return out


MP = _MPBackend()
NP = _NPBackend()


def backend_for(z: Any) -> Backend:
    """numpy back end for arrays, mpmath otherwise."""
    return NP if isinstance(z, np.ndarray) else MP
