"""Fold Newton for the edges of operator-valued (linearized) laws.

An engine module: it works on a :class:`freealg.numeric.operator_valued.Problem`.

At a soft edge x_e of the law of P, the solution X(x) of the operator-valued equations
F(X, x) = 0 (``Problem.equations`` at z = x real, with no regularisation: eps = 0) continued
from outside the support meets another branch: X(x) has a square-root branch point and the
Jacobian dF/dX is singular there. The edge is therefore a regular solution of the fold system

    F(X, x) = 0,    det (dF/dX)(X, x) = 0

in the unknowns (X, x) (n = blocks * k^2 complex entries and x), both equations analytic.
It is solved by Newton over the complex numbers, seeded from the float64 edge bracket (X from
the mixed-precision solution at a real point just outside). dF/dX is taken by central
differences of the analytic F and the Newton matrix of the fold system by differences of those,
at three times the working digits, so both are accurate to far more than the requested
precision. x_e comes out real up to rounding; the error reported is 10 times the last Newton
step in x plus |Im x|, and the caller confirms it (density 0 just outside, > 0 just inside).

A purely semicircular pencil (no other groups) has the equation G = (b - eta(G))^{-1}, and
eta(G) lies in the image of the covariance map eta, usually of dimension r far below k^2
(x^2 + y^2 + w^2 + u^2: k = 9, r = 10). The fold is then solved in the r coordinates y of
Y = eta(G) in that image: F(y, x) = coords(eta((b - Y)^{-1})) - y, a smooth change of the
unknowns (b - Y is invertible at an edge outside the spectrum of the pencil's lower block), so
det dF/dy vanishes exactly where det dF/dX does. The cap on the unknowns applies to r.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..errors import NoConvergence
from .matrices import MPM, MPMatrix

__all__ = ["fold_edge"]

_MAX_UNKNOWNS = 32


def _vec(X: list) -> list:
    return [X[j][r, c] for j in range(len(X)) for r in range(X[j].rows) for c in range(X[j].cols)]


def _unvec(v: list, nb: int, k: int) -> list:
    out = []
    for j in range(nb):
        out.append(MPMatrix([[v[j * k * k + r * k + c] for c in range(k)] for r in range(k)]))
    return out


def fold_edge(prob: Any, x0: Any, dps: int, maxit: int = 30) -> tuple:
    """The soft edge of the law of ``prob`` next to ``x0`` (a real point just outside the
    support), to ``dps`` digits: ``(x_e, error)`` (module docstring).

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.numeric.operator_valued import Problem
    >>> one = sp.ImmutableMatrix([[1]])                 # P = x semicircular: edges -2, 2
    >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
    >>> x, err = fold_edge(prob, 2.001, 30)
    >>> print(mpmath.nstr(x, 25), bool(abs(x - 2) <= err < 1e-28))
    2.0 True

    Parameters
    ----------
    prob : Problem
        The numeric form of the pencil.
    x0 : float
        A real point outside the support, near the edge (within about 1e-3 of the scale).
    dps : int
        Digits of the edge.
    maxit : int
        Most Newton steps.

    Returns
    -------
    tuple
        ``(x_e, error)`` as mpf at ``dps`` digits.

    Raises
    ------
    NoConvergence
        When the start fails or Newton does not converge (no fold near ``x0``).
    """
    from .operator_valued import _refine_mp

    dps = int(dps)
    D = dps + 10
    k, nb = prob.k, prob.nblk
    red = _Reduced(prob) if prob.m == 0 and prob.semis_s else None
    n = red.r if red is not None else nb * k * k
    if n > _MAX_UNKNOWNS:
        # each step takes about 2 n^2 evaluations of the equations: past this size the
        # caller's bisection is cheaper
        raise NoConvergence(f"fold Newton ({n} unknowns, more than {_MAX_UNKNOWNS})", dps=dps,
                            point=x0, advice="the edge is bisected instead")
    with mpmath.workdps(D):
        X0, _, _, _ = _refine_mp(prob, mpmath.mpf(x0), dps)
    with mpmath.workdps(3 * D):
        v = (red.coords(red.eta(X0[0])) if red is not None else _vec(X0)) + [mpmath.mpc(x0)]
        hin = mpmath.mpf(10) ** (-D)          # central differences: error ~ hin^2
        hout = mpmath.mpf(10) ** (-(D // 2 + 5))

        def F(w):
            try:
                if red is not None:
                    return red.residual(w[:n], w[n])
                R = prob.equations(MPM, _unvec(w[:n], nb, k), w[n], 0)[0]
            except ZeroDivisionError:
                raise NoConvergence("fold Newton (singular resolvent)", dps=dps,
                                    point=x0) from None
            return _vec(R)

        def aug(w):
            F0 = F(w)
            cols = []
            for j in range(n):
                wp, wm = list(w), list(w)
                wp[j] += hin
                wm[j] -= hin
                Fp, Fm = F(wp), F(wm)
                cols.append([(a - b) / (2 * hin) for a, b in zip(Fp, Fm)])
            J = mpmath.matrix([[cols[j][i] for j in range(n)] for i in range(n)])
            return F0 + [mpmath.det(J)]

        last = None
        v = [mpmath.mpc(a) for a in v]
        for it in range(maxit):
            A0 = aug(v)
            M = mpmath.matrix(n + 1, n + 1)
            for j in range(n + 1):
                vp = list(v)
                hj = hout * (1 + abs(v[j]))
                vp[j] += hj
                Ap = aug(vp)
                for i in range(n + 1):
                    M[i, j] = (Ap[i] - A0[i]) / hj
            try:
                dv = mpmath.lu_solve(M, mpmath.matrix(A0))
            except ZeroDivisionError:
                raise NoConvergence("fold Newton (singular fold system)", dps=dps,
                                    steps=it, point=x0) from None
            v = [v[i] - dv[i] for i in range(n + 1)]
            step = abs(dv[n])
            if not mpmath.isfinite(step):
                raise NoConvergence("fold Newton", dps=dps, steps=it, point=x0)
            tol = mpmath.mpf(10) ** (-(dps + 8)) * (1 + abs(v[n]))
            if last is not None and step < tol:
                break
            if it > 8 and last is not None and step > last:
                raise NoConvergence("fold Newton", dps=dps, steps=it, residual=step, point=x0)
            last = step
        else:
            raise NoConvergence("fold Newton", dps=dps, steps=maxit, residual=last, point=x0)
        x = v[n]
        if not np.isfinite(float(mpmath.re(x))):
            raise NoConvergence("fold Newton", dps=dps, point=x0)
        err = 10 * step + abs(mpmath.im(x))
    with mpmath.workdps(dps):
        return +mpmath.re(x), +err


class _Reduced:
    """Coordinates of the image of the covariance map eta of a purely semicircular pencil
    (module docstring): r pivot columns of its matrix as the basis, r pivot rows to read the
    coordinates, both chosen by QR with column pivoting in float64 (the rank at 1e-10 of the
    largest pivot); the numbers at the working precision."""

    def __init__(self, prob: Any):
        import scipy.linalg

        self.prob, self.k = prob, prob.k
        E = np.asarray(prob.E)
        _, R, piv = scipy.linalg.qr(E, pivoting=True)
        diag = np.abs(np.diag(R))
        r = int(np.sum(diag > 1e-10 * max(diag[0], 1e-300)))
        self.cols = [int(c) for c in piv[:r]]
        _, _, piv2 = scipy.linalg.qr(E[:, self.cols].T, pivoting=True)
        self.rows = [int(c) for c in piv2[:r]]
        self.r = r
        self._num: dict = {}

    def _consts(self) -> tuple:
        key = mpmath.mp.prec
        if key not in self._num:
            k = self.k
            basis = []
            for c in self.cols:
                M = MPMatrix.zeros(k)
                M[c // k, c % k] = mpmath.mpc(1)
                basis.append(self.eta(M))
            sub = mpmath.matrix([[basis[a][i // k, i % k] for a in range(self.r)]
                                 for i in self.rows])
            self._num[key] = (basis, mpmath.inverse(sub))
        return self._num[key]

    def eta(self, G: Any) -> Any:
        _, sem = self.prob._consts(MPM)
        out = MPM.zeros_like(G)
        for bb, v in sem:
            out = out + v * (bb @ G @ bb)
        return out

    def coords(self, Y: Any) -> list:
        k = self.k
        _, inv = self._consts()
        yv = [Y[i // k, i % k] for i in self.rows]
        return [mpmath.fsum(inv[a, j] * yv[j] for j in range(self.r)) for a in range(self.r)]

    def residual(self, y: list, x: Any) -> list:
        basis, _ = self._consts()
        k = self.k
        Y = MPMatrix([[mpmath.fsum(basis[a][r, c] * y[a] for a in range(self.r))
                       for c in range(k)] for r in range(k)])
        b0, _ = self.prob._consts(MPM)
        G = (MPM.lam(x, 0, k) - b0 - Y).inv()
        return [a - b for a, b in zip(self.coords(self.eta(G)), y)]
