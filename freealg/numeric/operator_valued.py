"""Operator-valued subordination for the linearization of a self-adjoint polynomial.

An engine module: it works on exact sympy matrices and numbers and on callables (the Cauchy
transform of a generator's law), never on law objects. A self-adjoint pencil
L = b_0 ⊗ 1 + sum_i b_i ⊗ x_i (b_i in M_k self-adjoint) gives the Cauchy transform of the
polynomial P as

    G_P(z) = lim_{eps -> 0+} [ E((Lambda_eps - L)^{-1}) ]_{11},   Lambda_eps = diag(z, i eps, ..).

The letters fall into free groups, each with an M_k-valued Cauchy transform
G_X(w) = E[(w - X)^{-1}]:

* all semicircular letters together form one M_k-valued semicircular S with covariance
  eta(B) = sum_i v_i b_i B b_i (Helton-Rashidi Far-Speicher 2007, IMRN, eq. (1.1));
* a letter with a discrete law (projections: bernoulli(t)) or a commuting family of such
  letters (independent diagonal entries: the product measure), :class:`DiscreteGroup`: the
  exact finite sum G_X(w) = sum_a p_a (w - sum_f t_{a,f} b_f)^{-1};
* a letter with any other scalar law mu, :class:`LawGroup`: with b = Q Sigma Q^* (rank r) and
  Woodbury, int (w - t b)^{-1} dmu(t) = w^{-1} + w^{-1} Q V diag(phi(d_j)) V^{-1} Sigma Q^* w^{-1},
  Sigma Gamma = V diag(d) V^{-1}, Gamma = Q^* w^{-1} Q, phi(d) = (G_mu(1/d)/d - 1)/d: exact,
  through the scalar Cauchy transform of mu (no quadrature);
* a Haar unitary (or orthogonal) u enters as X = b u + b^* u^*, :class:`UnitaryGroup`; u is
  normal with the uniform law on the unit circle, so
  G_X(w) = (1/2 pi) int_0^{2 pi} (w - b e^{it} - b^* e^{-it})^{-1} dt, computed by the periodic
  trapezoid rule (geometric convergence for an analytic periodic integrand), with the number
  of nodes doubled until two rules agree.

The groups are combined by operator-valued subordination (Belinschi-Mai-Speicher 2017,
J. reine angew. Math. 732, Thm 2.2 and its iteration over several summands): with
h_X(w) = G_X(w)^{-1} - w, b = Lambda - b_0 and the semicircular part as in Biane's
omega = z - t G,

    G = G_{X_j}(omega_j) (all j),     omega_j = b - eta(G) + sum_{i != j} h_{X_i}(omega_i),

(with no scalar-law group: G = (b - eta(G))^{-1}). The unknowns (G, or the omega_j) are k x k
complex matrices. :meth:`Problem.solve_np` continues them from Im z = Y large (where
omega_j ~ b) down to the target, shrinking Im z and eps together to *their own* targets, with
Newton steps (analytic Jacobian via Kronecker products, vectorised over the grid in float64).
At a given precision the float64 solution is then refined by Newton with the float64 Jacobian
and residuals evaluated in mpmath (mixed-precision iterative refinement: each step gains ~13
digits), so dps = 30 costs a few mpmath residuals per point. Failure raises NoConvergence
(mpmath) or gives NaN (float64).

Examples
--------
>>> import sympy as sp, numpy as np, mpmath
>>> from freealg.numeric.operator_valued import Problem, cauchy_np, cauchy_mp
>>> b0 = sp.ImmutableMatrix([[0, 0, 0], [0, 0, -1], [0, -1, 0]])   # x y + y x
>>> bx = sp.ImmutableMatrix([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
>>> by = sp.ImmutableMatrix([[0, 0, 1], [0, 0, 0], [1, 0, 0]])
>>> prob = Problem(b0, ((bx, 1), (by, 1)), (), 3, 4.0)
>>> print(mpmath.nstr(cauchy_mp(prob, 2j, 20)[0], 15))
(0.0 - 0.376085889442093j)
>>> G, res, retried = cauchy_np(prob, np.array([2j]))
>>> bool(abs(G[0] - complex(cauchy_mp(prob, 2j, 20)[0])) < 1e-13)
True
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import NoConvergence
from .operator_groups import (DiscreteGroup, LawGroup, UnitaryGroup, _inv, _inv_np, _kron, _M,
                              _mp_matrix, _mp_max, _mp_to_np, _np_matrix, _np_to_mp, _num,
                              _numval)
from .records import Atom

__all__ = ["Problem", "DiscreteGroup", "LawGroup", "UnitaryGroup", "cauchy_np", "cauchy_mp",
           "unknowns_mp", "atom_report"]



# --------------------------------------------------------------------------------------------
# the coupled equations


class Problem:
    """Numeric form of the pencil: b_0, the semicircular covariance, the other groups.

    Solved by :func:`cauchy_np`, :func:`cauchy_mp` and :func:`unknowns_mp` (see the module
    docstring for the equations and the continuation).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.numeric.operator_valued import Problem
    >>> one = sp.ImmutableMatrix([[1]])                 # the 1 x 1 pencil of x: P = x
    >>> Problem(0 * one, ((one, 1),), (), 1, 2.0).nblk
    1

    Parameters
    ----------
    b0 : sympy matrix
        The constant coefficient (k x k, self-adjoint).
    semis : tuple
        ``(b_i, v_i)``: coefficient and variance of each semicircular letter.
    groups : sequence
        :class:`DiscreteGroup`, :class:`LawGroup` and :class:`UnitaryGroup` objects.
    k : int
        Size of the pencil.
    scale : float
        A bound of the norm of the polynomial (>= 1), the scale of the continuation.
    """

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
        self.sem = [(_np_matrix(b), float(_num(v, "np"))) for b, v in semis]
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
        if tmin >= t0:
            # every point is already far above the spectrum (Im z >= 2 t0): Newton from the
            # start guess at z + i t0 reaches z directly (G ~ 1/z, omega_j ~ b)
            ts = [0.0]
        else:
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
            self._mp[key] = (_mp_matrix(self.b0_s), [(_mp_matrix(b), _num(v, "mp"))
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
                rho = 1.0
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
                    # refresh the float64 Jacobian when the last step contracted poorly
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



# --------------------------------------------------------------------------------------------
# public entry points


def cauchy_np(prob: Problem, z: Any) -> tuple[np.ndarray, float, int]:
    """G_P on an array of points of the closed upper half plane, float64, vectorised.

    Returns ``(G, residual, retried)``: G of the shape of ``z`` (NaN where the continuation
    did not converge or the final residual exceeds 1e-8), the largest residual of the
    equations, and how many points needed a finer continuation schedule.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_valued import Problem, cauchy_np
    >>> one = sp.ImmutableMatrix([[1]])                 # the 1 x 1 pencil of x: P = x
    >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
    >>> z = np.array([1j, 1000j])                       # G = 2/(z + sqrt(z - 2) sqrt(z + 2))
    >>> exact = 2 / (z + np.sqrt(z - 2) * np.sqrt(z + 2))
    >>> G, res, retried = cauchy_np(prob, z)
    >>> bool(np.allclose(G, exact, rtol=1e-13, atol=0)), retried
    (True, 0)

    Parameters
    ----------
    prob : Problem
        The numeric form of the pencil.
    z : array_like
        Points with Im z >= 0.

    Returns
    -------
    tuple
        ``(G, residual, retried)``.
    """
    z = np.asarray(z, dtype=complex)
    flat = z.ravel()
    X, ok, _ = prob.solve_np(flat)
    bad = np.nonzero(~ok)[0]
    retried = 0
    if bad.size:
        # a finer schedule for the points that failed
        retried = int(bad.size)
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
    return G.reshape(z.shape), float(np.nanmax(res)) if res.size else 0.0, retried


def cauchy_mp(prob: Problem, z: Any, dps: int) -> tuple[Any, Any, int]:
    """G_P(z) at ``dps`` digits: ``(G, error estimate, Newton iterations)``.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.numeric.operator_valued import Problem, cauchy_mp
    >>> one = sp.ImmutableMatrix([[1]])                 # the 1 x 1 pencil of x: P = x
    >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
    >>> G, err, its = cauchy_mp(prob, mpmath.mpc(0.5, 1), 30)
    >>> with mpmath.workdps(30):
    ...     z = mpmath.mpc(0.5, 1)
    ...     bool(abs(G - (z - mpmath.sqrt(z - 2) * mpmath.sqrt(z + 2)) / 2) < mpmath.mpf(10)**-28)
    True

    Parameters
    ----------
    prob : Problem
        The numeric form of the pencil.
    z : number
        A point with Im z >= 0.
    dps : int
        Digits.

    Returns
    -------
    tuple
        ``(G, error estimate, iterations)``; G an mpc at ``dps`` digits.

    Raises
    ------
    NoConvergence
        When the continuation or the mixed-precision Newton fails (on an atom, an edge).
    """
    g, est, iters = prob.solve_mp(z, int(dps))
    with mpmath.workdps(dps):
        return +g, est, iters


def _float_start(prob: Problem, z: Any, dps: int) -> np.ndarray:
    """The float64 continuation of the whole system to z (finer schedules if needed)."""
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
    return X0


def unknowns_mp(prob: Problem, z: Any, dps: int) -> dict:
    """Every unknown of the operator-valued equations at z, polished to ``dps`` digits.

    The float64 continuation of the whole system is polished by mixed-precision Newton at
    ``dps + 10`` digits (mpmath residual, float64 Jacobian), at the regularisation
    eps = 10^-(dps+10) (1 + scale). Returns ``{"G": G_P(z), "Gmat": the M_k-valued G,
    "Omega": [Omega_j], "G_X": [G_{X_j}(Omega_j)], "eps": eps}`` (matrices as
    ``mpmath.matrix``; ``Omega`` and ``G_X`` are empty for a purely semicircular pencil).

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.numeric.operator_valued import Problem, unknowns_mp
    >>> one = sp.ImmutableMatrix([[1]])                 # the 1 x 1 pencil of x: P = x
    >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
    >>> u = unknowns_mp(prob, 2j, 20)
    >>> with mpmath.workdps(20):                        # G = (z - sqrt(z^2 - 4))/2
    ...     bool(abs(u["G"] - (2j - mpmath.sqrt(-8)) / 2) < mpmath.mpf(10)**-20)
    True

    Parameters
    ----------
    prob : Problem
        The numeric form of the pencil.
    z : number
        A point of the upper half plane.
    dps : int
        Digits.

    Returns
    -------
    dict
        The unknowns, as described above.

    Raises
    ------
    NoConvergence
        When the continuation or the Newton polish fails.
    """
    X0 = _float_start(prob, z, dps)
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


def atom_report(cauchy_np: Callable, cauchy_mp: Callable, candidates: Sequence,
                weights: Sequence, scale: float) -> list:
    """Confirm candidate atoms by lim i y G(a + i y) and identify their masses.

    For each candidate a, m(y) = Re(i y G(a + i y)) is computed at y = 10^-2 2^-j (times the
    scale), first screened in float64 with ``cauchy_np`` (an array function), then with
    ``cauchy_mp(z, dps)`` until the polynomial extrapolation to y = 0 (Neville) settles;
    a candidate is an atom when the limit exceeds 10^-6. The mass
    is then identified on the lattice (1/L) Z + sum_i n_i w_i, L the common denominator of the
    rational ``weights`` and w_i the irrational ones (integer relation by PSLQ with the
    coefficient of the mass equal to +-1), kept only if it agrees with the limit within 10
    times its error estimate.

    Examples
    --------
    >>> import numpy as np, mpmath, sympy as sp
    >>> from freealg.numeric.operator_valued import atom_report
    >>> gnp = lambda z: 0.25 / z + 0.75 / (z - 1)          # (1/4) delta_0 + (3/4) delta_1
    >>> gmp = lambda z, dps: mpmath.mpf(1) / 4 / z + mpmath.mpf(3) / 4 / (z - 1)
    >>> rep = atom_report(gnp, gmp, (0, 1), (sp.Rational(1, 4),), 1.0)
    >>> [(a.location, a.mass, how.split()[0]) for a, how in rep]
    [(0, 1/4, 'identified'), (1, 3/4, 'identified')]

    Parameters
    ----------
    cauchy_np : callable
        Float64 Cauchy transform on an array of points of C+ (NaN where it fails).
    cauchy_mp : callable
        ``(z, dps) -> G(z)`` at one point; may raise NoConvergence.
    candidates : sequence
        Exact candidate locations.
    weights : sequence
        Exact weights of the discrete generators (the lattice of the masses).
    scale : float
        Scale of the law (the first height y is scale/100).

    Returns
    -------
    list
        ``(Atom, how)`` pairs sorted by location; ``how`` starts with ``'identified'`` or
        ``'numeric'``.
    """
    lcm = 1
    basis: list = []
    for v in (sp.sympify(w) for w in weights):
        if v.is_Rational:
            lcm = int(sp.ilcm(lcm, v.q))
        elif v not in basis and (1 - v) not in basis:
            basis.append(v)
    out = []
    for loc in candidates:
        # float64 screening (vectorised): m(y) ~ y away from atoms
        af = float(_numval(loc, False, "an atom candidate"))
        yf = scale / 100 / 2.0 ** np.arange(12)
        with np.errstate(all="ignore"):
            mf = np.real(1j * yf * np.asarray(cauchy_np(af + 1j * yf)))
        fin = np.isfinite(mf)
        nfin = int(np.argmin(fin)) if not fin.all() else fin.size  # leading finite run
        mf = mf[:nfin]
        if mf.size >= 3 and (mf[-1] < 1e-7 or mf[-1] < 0.6 * mf[-2]):
            continue
        with mpmath.workdps(40):
            found = _atom_limit(cauchy_mp, _numval(loc, True), scale, nfin)
            if found is None:
                continue
            m2, err = found
            exact = None
            if err < mpmath.mpf(10) ** -6:
                vec = [m2, 1 / mpmath.mpf(lcm)] + [_numval(bb, True) for bb in basis]
                rel = mpmath.pslq(vec, maxcoeff=10**4, maxsteps=20000,
                                  tol=max(10 * err, mpmath.mpf(10) ** -25))
                if rel is not None and abs(rel[0]) == 1:
                    cand = -(sp.Rational(rel[1], lcm)
                             + sum(rr * bb for rr, bb in zip(rel[2:], basis))) / sp.Integer(rel[0])
                    cand = sp.nsimplify(cand)
                    if abs(_numval(cand, True) - m2) < 10 * err:
                        exact = cand
            if exact is not None:
                dev = float(abs(_numval(exact, True) - m2)) + 1e-30
                out.append((Atom(loc, exact, sp.Float(dev, 3)),
                            "identified (PSLQ on i y G extrapolated to y = 0)"))
            else:
                out.append((Atom(loc, sp.Float(mpmath.nstr(m2, 15), 15), sp.Float(float(err), 3)),
                            "numeric (i y G extrapolated to y = 0)"))
    out.sort(key=lambda ap: float(_numval(ap[0].location, False)))
    return out


def _atom_limit(cauchy_mp: Callable, a: Any, scale: float, nfin: int):
    """(limit, error) of m(y) = Re(i y G(a + i y)) as y -> 0, or None when a is no atom."""
    # m(y) at y = 10^-2 2^-j; Neville extrapolation to y = 0 (m is analytic in y at an atom
    # isolated from the bulk): first where the float64 path reaches the axis (cheap), then,
    # if the limit is not settled, further down with the mpmath continuation (slow)
    ys: list = []
    ms: list = []
    err = None
    for j in range(14):
        yj = mpmath.mpf(scale) / 100 / mpmath.mpf(2) ** j
        if j >= max(nfin, 5) and err is not None and err < mpmath.mpf(10) ** -12:
            break
        try:
            G = cauchy_mp(mpmath.mpc(a, yj), 20)
        except NoConvergence:
            break
        ys.append(yj)
        ms.append(mpmath.re(1j * yj * G))
        if len(ms) >= 3 and ms[-1] < 0.6 * ms[-2]:
            break  # m(y) ~ y: no atom
        if len(ys) >= 5:
            _, err = _neville0(ys, ms)
            if err < mpmath.mpf(10) ** -18:
                break
    if len(ys) < 5:
        return None
    m2, err = _neville0(ys, ms)
    if m2 < mpmath.mpf(10) ** -6 or err > mpmath.mpf(10) ** -4 * m2:
        return None
    return m2, err
