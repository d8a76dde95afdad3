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
  G_X(w) = (1/2 pi) int_0^{2 pi} (w - b e^{it} - b^* e^{-it})^{-1} dt, computed exactly as a
  sum of residues of a linear pencil of size 2 rank(b) (see its docstring), also on the real
  axis.

The groups are combined by operator-valued subordination (Belinschi-Mai-Speicher 2017,
J. reine angew. Math. 732, Thm 2.2 and its iteration over several summands): with
h_X(w) = G_X(w)^{-1} - w, b = Lambda - b_0 and the semicircular part as in Biane's
omega = z - t G,

    G = G_{X_j}(omega_j) (all j),     omega_j = b - eta(G) + sum_{i != j} h_{X_i}(omega_i),

(with no scalar-law group: G = (b - eta(G))^{-1}). The unknowns (G, or the omega_j) are k x k
complex matrices. :meth:`Problem.equations` writes their residuals once for both matrix
contexts of ``freealg.numeric.matrices`` (float64 batches, mpmath). :meth:`Problem.solve_np`
continues them from Im z = Y large (where
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
import os
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence, UndeterminedError
from ..kernels.resources import available_memory
from .memory import ENV_VAR, check_memory_size, memory_budget
from .matrices import MPM, NPM, MPMatrix, exact_value, kron_rows
from .operator_groups import DiscreteGroup, LawGroup, UnitaryGroup
from .records import Atom

__all__ = ["Problem", "DiscreteGroup", "LawGroup", "UnitaryGroup", "pencil", "problem",
           "symbols_of",
           "cauchy_np", "cauchy_mp", "cauchy_derivative", "unknowns_mp", "atom_report"]


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
        m = max(len(groups), 1)
        # before anything is allocated: the float64 Newton system of one point is
        # (m k^2) x (m k^2) complex (with a few work copies), the covariance map k^2 x k^2
        check_memory_size(16 * 4 * (m * k * k) ** 2 + 16 * k ** 4, "k", k,
                          f"an operator-valued system of {m} block(s) of size {k} x {k} "
                          f"(Newton Jacobian ({m} k^2)^2 complex entries per point)",
                          "reduce the degree of the polynomial (the pencil size) or the number "
                          "of free groups, raise the budget, or sample the matrix with "
                          "fa.sample", budget=_budget())
        self.k = k
        self.scale = scale
        self.b0_s = b0
        self.semis_s = semis
        self.groups = groups
        self.m = len(groups)
        self.nblk = max(self.m, 1)
        self._data: dict = {}
        b0n, sem = self._consts(NPM)
        E = np.zeros((k * k, k * k), dtype=complex)
        for b, v in sem:
            E += v * np.kron(b[0], b[0].T)
        self.E = E

    def _consts(self, ctx):
        if ctx.key not in self._data:
            self._data[ctx.key] = (ctx.const(self.b0_s), [(ctx.lift(ctx.const(b)), ctx.num(v))
                                                          for b, v in self.semis_s])
        return self._data[ctx.key]

    def equations(self, ctx, X, z, eps, want_j=False):
        """The residuals of the coupled equations at the unknowns ``X`` (a list of ``nblk``
        matrices of the context ``ctx``): ``(R, G, J, qerr)``, R the list of residual blocks,
        G the M_k-valued Cauchy transform, J the Jacobian (float64 only, with ``want_j``),
        qerr the quadrature error of the groups.

        Examples
        --------
        >>> import sympy as sp, numpy as np, mpmath
        >>> from freealg.numeric.matrices import MPM, NPM
        >>> one = sp.ImmutableMatrix([[1]])             # P = x: G = (z - sqrt(z^2 - 4))/2
        >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
        >>> G = (2j - np.sqrt(-8 + 0j)) / 2
        >>> R, _, _, _ = prob.equations(NPM, [np.array([[[G]]])], np.array([2j]), np.zeros(1))
        >>> bool(abs(R[0][0, 0, 0]) < 1e-15)
        True
        >>> with mpmath.workdps(30):
        ...     Gm = (2j - mpmath.sqrt(-8)) / 2
        ...     R, _, _, _ = prob.equations(MPM, [MPM.diag([Gm])], mpmath.mpc(0, 2), 0)
        ...     bool(abs(R[0][0, 0]) < mpmath.mpf(10) ** -29)
        True
        """
        b0, sem = self._consts(ctx)
        b = ctx.lam(z, eps, self.k) - b0
        ident = ctx.eye(self.k)

        def eta(G):
            out = ctx.zeros_like(G)
            for bb, v in sem:
                out = out + v * (bb @ G @ bb)
            return out

        if self.m == 0:
            G = X[0]
            W = b - eta(G)
            J = None
            if want_j:
                J = kron_rows(W, np.broadcast_to(ident, W.shape))
                for bb, v in sem:
                    B = np.broadcast_to(bb, W.shape)
                    J -= v * kron_rows(B, np.swapaxes(B @ G, 1, 2))
            return [W @ G - ident], G, J, 0
        out = [grp.g(ctx, X[j], want_j) for j, grp in enumerate(self.groups)]
        qerr = 0
        for o in out:
            qerr = np.maximum(qerr, o[2])
        Fs = [ctx.inv(o[0]) for o in out]
        Hs = [Fs[j] - X[j] for j in range(self.m)]
        bp = b - eta(out[0][0])
        hsum = sum(Hs[1:], Hs[0])
        R = [X[j] - bp - (hsum - Hs[j]) for j in range(self.m)]
        J = self._jacobian_np(Fs, [o[1] for o in out]) if want_j else None
        return R, out[0][0], J, qerr

    def _jacobian_np(self, Fs, Ds):
        n, kk, m = Fs[0].shape[0], self.k * self.k, self.m
        J = np.zeros((n, m * kk, m * kk), dtype=complex)
        Ikk = np.eye(kk)[None]
        Hmat = [-(kron_rows(Fs[i], np.swapaxes(Fs[i], 1, 2)) @ Ds[i]) - Ikk for i in range(m)]
        ED = self.E[None] @ Ds[0] if self.semis_s else None
        for j in range(m):
            for i in range(m):
                blk = Ikk.repeat(n, 0).astype(complex) if i == j else -Hmat[i]
                if i == 0 and ED is not None:
                    blk = blk + ED
                J[:, j * kk:(j + 1) * kk, i * kk:(i + 1) * kk] = blk
        return J

    # float64 continuation (vectorised over the grid) -------------------------------------
    def res_jac_np(self, X, z, eps, want_j=True):
        """:meth:`equations` on stacked unknowns X (n, nblk, k, k): ``(R, J, qerr, G)``."""
        R, G, J, qerr = self.equations(NPM, [X[:, j] for j in range(self.nblk)], z, eps,
                                       want_j)
        return np.stack(R, axis=1), J, qerr, G

    def _guess_np(self, z, eps):
        b = NPM.lam(z, eps, self.k) - self._consts(NPM)[0]
        if self.m == 0:
            return NPM.inv(b)[:, None]
        return np.repeat(b[:, None], self.m, axis=1).copy()

    def _admissible_np(self, X, G, tol=1e-9):
        ok = np.imag(G[:, 0, 0]) <= tol * (1 + np.abs(G[:, 0, 0]))
        if self.m:
            dg = np.imag(np.diagonal(X, axis1=2, axis2=3))  # (n, m, k)
            ok &= np.all(dg >= -tol * (1 + np.max(np.abs(X), axis=(2, 3)))[:, :, None], axis=(1, 2))
        return ok & np.all(np.isfinite(X), axis=(1, 2, 3))

    def _newton_np(self, X, z, eps, maxit=12, tol=1e-12):
        n = X.shape[0]
        conv = np.zeros(n, dtype=bool)
        act = np.ones(n, dtype=bool)
        G = np.full((n, self.k, self.k), np.nan, dtype=complex)
        X = X.copy()
        for _ in range(maxit):
            idx = np.nonzero(act)[0]
            if idx.size == 0:
                break
            with np.errstate(all="ignore"):
                # G at the last iterate before the (converged, tiny) final step: enough for
                # the admissibility test
                R, J, _, G[idx] = self.res_jac_np(X[idx], z[idx], eps[idx])
                dX = _solve_batch(J, R.reshape(idx.size, -1)).reshape(X[idx].shape)
            X[idx] = X[idx] - dX
            size = np.max(np.abs(dX), axis=(1, 2, 3))
            done = size <= tol * (1 + np.max(np.abs(X[idx]), axis=(1, 2, 3)))
            bad = ~np.isfinite(size)
            conv[idx[done]] = True
            act[idx[done | bad]] = False
        return X, conv, G

    def solve_np(self, z, eps_t=0.0, steps=None, to_zero=True):
        """Continuation of the whole grid; returns (X, ok, t_reached). ``to_zero=False``
        stops at the last positive t (1e-7 scale) instead of taking the final Newton at t = 0
        (where a singular point may attract Newton to another branch)."""
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
            ts = list(np.geomspace(t0, tmin, nsteps)) + ([0.0] if to_zero else [])
        zt = z.real + 1j * y
        X = self._guess_np(zt + 1j * t0, np.full(n, eps_t + t0))
        ok = np.ones(n, dtype=bool)
        treached = np.full(n, np.inf)
        for t in ts:
            idx = np.nonzero(ok)[0]
            if idx.size == 0:
                break
            zz = zt[idx] + 1j * t
            ee = np.full(idx.size, eps_t + t)
            Xn, conv, G = self._newton_np(X[idx], zz, ee, maxit=20 if t == 0 else 10, tol=1e-12)
            good = conv & self._admissible_np(Xn, G)
            X[idx[good]] = Xn[good]
            treached[idx[good]] = t
            ok[idx[~good]] = False
        return X, ok, treached


def _solve_batch(J, R):
    """Solve J d = R for a batch, NaN for the singular members."""
    try:
        return np.linalg.solve(J, R[..., None])[..., 0]
    except np.linalg.LinAlgError:
        d = np.full(R.shape, np.nan, dtype=complex)
        for t in range(R.shape[0]):
            try:
                d[t] = np.linalg.solve(J[t], R[t])
            except np.linalg.LinAlgError:
                pass
        return d


def _continue_np(prob: Problem, z: np.ndarray) -> tuple:
    """The float64 continuation of the flat array z, retried with finer schedules (80, 240
    steps: near atoms the solution changes on the scale of Im z) where it stopped short;
    returns ``(X, ok, t_reached, retried)``."""
    X, ok, tr = prob.solve_np(z)
    bad = np.nonzero(~ok)[0]
    retried = int(bad.size)
    for steps in (80, 240):
        if bad.size == 0:
            break
        X2, ok2, tr2 = prob.solve_np(z[bad], steps=steps)
        better = tr2 < tr[bad]
        X[bad[better]], tr[bad[better]], ok[bad[better]] = X2[better], tr2[better], ok2[better]
        bad = bad[~ok[bad]]
    return X, ok, tr, retried


def _refine_mp(prob: Problem, z: Any, dps: int) -> tuple:
    """The unknowns at z to ``dps`` digits (call at ``dps + 10`` working digits): float64
    continuation as far as it goes, then mixed-precision Newton (mpmath residuals, float64
    Jacobian refreshed when a step contracts poorly; each step gains ~13 digits) down the rest
    of the path, at the regularisation eps = 10^-(dps+10) (1 + scale). Returns ``(X, error
    estimate, iterations, eps)``."""
    X0, ok, tr, _ = _continue_np(prob, np.array([complex(z)]))
    if not np.isfinite(tr[0]):
        raise NoConvergence("operator-valued subordination (start at large Im z)", dps=dps,
                            point=z)
    k, nb, t_start = prob.k, prob.nblk, float(tr[0])
    zm = mpmath.mpc(z)
    y = mpmath.im(zm)
    eps_t = mpmath.mpf(10) ** (-(dps + 10)) * (1 + prob.scale)
    ts = [mpmath.mpf(0)]
    if t_start > 0:
        ts = [mpmath.mpf(t) for t in np.geomspace(t_start, 1e-12 * prob.scale, 60)[1:]] + ts
    X = [MPMatrix.from_np(X0[0, j]) for j in range(nb)]
    iters, est = 0, None
    for t in ts:
        tol = mpmath.mpf(10) ** (-(dps + 6)) if t == 0 else mpmath.mpf(10) ** -10
        zz = mpmath.mpc(mpmath.re(zm), y + t)
        ee = eps_t + t
        last, rho, J = None, 1.0, None
        for it in range(40):
            try:
                R = prob.equations(MPM, X, zz, ee)[0]
            except ZeroDivisionError:
                raise NoConvergence(
                    "operator-valued subordination (singular resolvent)", dps=dps, steps=iters,
                    point=z, advice="the point is (numerically) an atom of a discrete generator "
                                    "or of the law; evaluate the density slightly off it or "
                                    "off the real axis, or use the float64 path") from None
            if J is None or (last is not None and rho > 1e-3):
                Xn = np.array([[Xj.to_np() for Xj in X]])
                with np.errstate(all="ignore"):
                    J = prob.res_jac_np(Xn, np.array([complex(zz)]), np.array([float(ee)]))[1]
            Rn = np.concatenate([r.to_np().ravel() for r in R])
            try:
                d = np.linalg.solve(J[0], Rn).reshape(nb, k, k)
            except np.linalg.LinAlgError:
                raise NoConvergence("operator-valued subordination (singular Jacobian)",
                                    dps=dps, steps=iters, point=z,
                                    advice="the point is a support edge or a cusp; move it off "
                                           "the real axis") from None
            iters += 1
            dm = [MPMatrix.from_np(d[j]) for j in range(nb)]
            X = [X[j] - dm[j] for j in range(nb)]
            size = max(MPM.maxabs(q) for q in dm)
            ref = 1 + max(MPM.maxabs(Xj) for Xj in X)
            if not mpmath.isfinite(size):
                raise NoConvergence("operator-valued subordination (mixed-precision Newton)",
                                    dps=dps, steps=iters, point=z)
            rho = float(size / last) if last else 1.0
            # contraction: the error after this update is <= rho/(1 - rho) |d|
            est = size * rho / (1 - rho) if rho < 0.5 else size
            if size <= tol * ref or (last is not None and rho < 1e-4 and est <= tol * ref):
                break
            if last is not None and it > 6 and size > 0.5 * last:
                raise NoConvergence("operator-valued subordination (mixed-precision Newton)",
                                    dps=dps, steps=iters, residual=size, point=z)
            last = size
        else:
            raise NoConvergence("operator-valued subordination (mixed-precision Newton)",
                                dps=dps, steps=iters, residual=size, point=z)
    return X, est, iters, eps_t


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


def pencil(b0: Any, semis: Any, groups: Any, is_law: Callable) -> tuple:
    """The pencil's data checked and in canonical form: ``(b0, semis, groups)`` with sympy
    ImmutableMatrix coefficients and sympified numbers (see :func:`problem` for the groups;
    ``is_law`` tells a scalar law).

    Examples
    --------
    >>> import sympy as sp
    >>> b0, sem, grps = pencil([[0]], [([[1]], 2)], [("unitary", [[1]])], lambda mu: False)
    >>> b0, sem, grps
    (Matrix([[0]]), ((Matrix([[1]]), 2),), (('unitary', Matrix([[1]])),))

    Raises
    ------
    InvalidParameterError
        When a coefficient is not self-adjoint or of the wrong size, or a group is malformed.
    """
    b0 = sp.ImmutableMatrix(b0)
    if b0.shape[0] != b0.shape[1] or b0 != b0.H:
        raise InvalidParameterError("b0", b0, "must be a self-adjoint square matrix")
    sem = tuple((sp.ImmutableMatrix(b), sp.sympify(v)) for b, v in semis)
    if any(b.shape != b0.shape or b != b.H for b, _ in sem):
        raise InvalidParameterError("semicirculars", sem, "coefficients must be self-adjoint "
                                    "and of the size of b0")
    grps: list = []
    for g in groups:
        if g[0] == "discrete":
            grps.append(("discrete", tuple(sp.ImmutableMatrix(b) for b in g[1]),
                         tuple((tuple(sp.sympify(t) for t in ts), sp.sympify(w))
                               for ts, w in g[2])))
        elif g[0] == "law" and is_law(g[2]):
            grps.append(("law", sp.ImmutableMatrix(g[1]), g[2]))
        elif g[0] == "unitary":
            grps.append(("unitary", sp.ImmutableMatrix(g[1])))
        else:
            raise InvalidParameterError("groups", g, "kinds are ('discrete', betas, atoms), "
                                        "('law', b, Law) and ('unitary', b)")
    return b0, sem, tuple(grps)


def symbols_of(data: Any) -> set:
    """The free symbols of nested tuples of sympy objects and scalar laws (strings skipped).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> symbols_of((sp.ImmutableMatrix([[t]]), (("unitary", sp.ImmutableMatrix([[1]])),)))
    {t}
    """
    if isinstance(data, (tuple, list)):
        return set().union(set(), *[symbols_of(a) for a in data])
    return set() if isinstance(data, str) else set(getattr(data, "free_symbols", ()))


def problem(b0: Any, semis: Sequence, groups: Sequence, scale: float) -> Problem:
    """The :class:`Problem` of a pencil from its exact data.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_valued import problem, cauchy_np
    >>> one = sp.ImmutableMatrix([[1]])                 # u + u^*: the arcsine law on [-2, 2]
    >>> prob = problem(0 * one, (), (("unitary", one),), 2.0)
    >>> bool(abs(cauchy_np(prob, np.array([2j]))[0][0] - 1 / np.sqrt(-8 + 0j)) < 1e-14)
    True

    Parameters
    ----------
    b0 : sympy matrix
        The constant coefficient (k x k, self-adjoint).
    semis : sequence
        ``(b_i, v_i)`` pairs of the semicircular letters.
    groups : sequence
        ``('discrete', (b_f, ...), (((t_f, ...), weight), ...))``, ``('unitary', b)`` or
        ``('law', b, mu)`` where ``mu`` provides ``_cauchy_np``, ``_cauchy_mp``, ``moments``
        and ``_hull_float`` (a scalar law, used through these callables only).
    scale : float
        A bound of the norm of the polynomial (raised to 1 if smaller).

    Returns
    -------
    Problem

    Raises
    ------
    UndeterminedError
        When the data has free symbols.
    """
    syms = symbols_of((b0, tuple(semis), tuple(groups)))
    if syms:
        raise UndeterminedError("the operator-valued Cauchy transform", sorted(syms, key=str))
    k = b0.shape[0]
    objs: list = []
    for g in groups:
        if g[0] == "discrete":
            objs.append(DiscreteGroup(g[1], g[2], k))
        elif g[0] == "law":
            mu = g[2]
            objs.append(LawGroup(g[1], k, mu._cauchy_np, mu._cauchy_mp, mu.moments,
                                 mu._hull_float))
        else:
            objs.append(UnitaryGroup(g[1], k))
    return Problem(b0, tuple(semis), objs, k, max(1.0, float(scale)))


def _batch_size(prob: Problem) -> int:
    """Points per float64 batch: the Newton Jacobian of one point is (m k^2)^2 complex entries
    (m unknown blocks of size k x k), with a few work copies; a batch uses at most half the
    available memory."""
    k, m = int(prob.k), int(prob.nblk)
    per_point = 16 * 4 * (m * k * k) ** 2 + 1
    return max(1, min(1 << 16, _budget() // per_point))


def _budget() -> int:
    """The memory budget: ``FREEALG_MEMORY_BUDGET`` when set, else half the available
    memory."""
    if os.environ.get(ENV_VAR, "").strip():
        return memory_budget()
    return max(1, available_memory() // 2)


def cauchy_np(prob: Problem, z: Any) -> tuple[np.ndarray, float, int]:
    """G_P on an array of points of the closed upper half plane, float64, vectorised.

    Returns ``(G, residual, retried)``: G of the shape of ``z`` (NaN where the continuation
    did not converge, the final residual exceeds 1e-8 or the quadrature error of a group
    exceeds 1e-10), the largest residual of the equations, and how many points needed a
    finer continuation schedule.

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
    chunk = _batch_size(prob)
    if flat.size > chunk:
        # the float64 Newton holds an (m k^2) x (m k^2) complex Jacobian per point: solve in
        # batches that fit in half the available memory (x^64 asked for 53 GiB at once)
        parts = [cauchy_np(prob, flat[i:i + chunk]) for i in range(0, flat.size, chunk)]
        G = np.concatenate([p[0] for p in parts]).reshape(z.shape)
        return G, max(p[1] for p in parts), sum(p[2] for p in parts)
    X, ok, _, retried = _continue_np(prob, flat)
    with np.errstate(all="ignore"):
        R, _, qerr, G = prob.res_jac_np(X, flat.real + 1j * np.maximum(flat.imag, 0),
                                        np.zeros(flat.size), want_j=False)
    res = np.max(np.abs(R), axis=(1, 2, 3))
    ok &= np.isfinite(res) & (res < 1e-8) & (qerr < 1e-10)
    # a failed point is NaN in both parts (an imaginary part 0 would read as density 0)
    G = np.where(ok, G[:, 0, 0], complex(np.nan, np.nan))
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
    dps = int(dps)
    with mpmath.workdps(dps + 10):
        X, est, iters, _ = _refine_mp(prob, z, dps)
        G = X[0] if prob.m == 0 else prob.groups[0].g(MPM, X[0])[0]
    with mpmath.workdps(dps):
        return +G[0, 0], est, iters


def cauchy_derivative(prob: Problem, z: Any, dps: int | None = None) -> Any:
    """G_P'(z) = -tau((z - P)^{-2}) by a centred difference of the analytic G_P: on a float64
    array with h = 1e-5 (1 + |z|) (``dps`` None), else at one point with h = 10^-(dps // 2).

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> from freealg.numeric.operator_valued import Problem, cauchy_derivative
    >>> one = sp.ImmutableMatrix([[1]])                 # P = x: G' = -G^2/(1 - G^2) ...
    >>> prob = Problem(0 * one, ((one, 1),), (), 1, 2.0)
    >>> G = (2j - np.sqrt(-8 + 0j)) / 2                 # ... from G^2 - z G + 1 = 0
    >>> bool(abs(cauchy_derivative(prob, np.array([2j]))[0] - G / (2 * G - 2j)) < 1e-9)
    True
    """
    if dps is None:
        z = np.asarray(z, dtype=complex)
        h = 1e-5 * (1 + np.abs(z))
        return (cauchy_np(prob, z + h)[0] - cauchy_np(prob, z - h)[0]) / (2 * h)
    h = mpmath.mpf(10) ** (-(dps // 2))
    return (cauchy_mp(prob, z + h, dps)[0] - cauchy_mp(prob, z - h, dps)[0]) / (2 * h)


def unknowns_mp(prob: Problem, z: Any, dps: int) -> dict:
    """Every unknown of the operator-valued equations at z, polished to ``dps`` digits.

    The same solver as :func:`cauchy_mp` (float64 continuation, mixed-precision Newton at
    ``dps + 10`` digits, regularisation eps = 10^-(dps+10) (1 + scale)). Returns
    ``{"G": G_P(z), "Gmat": the M_k-valued G, "Omega": [Omega_j], "G_X": [G_{X_j}(Omega_j)],
    "eps": eps}`` (matrices as ``mpmath.matrix``; ``Omega`` and ``G_X`` are empty for a purely
    semicircular pencil).

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
    with mpmath.workdps(dps + 10):
        X, _, _, eps = _refine_mp(prob, z, dps)
        if prob.m == 0:
            Gm, Om, GX = X[0], [], []
        else:
            GX = [grp.g(MPM, X[j])[0] for j, grp in enumerate(prob.groups)]
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
        af = float(exact_value(loc, False, "an atom candidate"))
        yf = scale / 100 / 2.0 ** np.arange(12)
        with np.errstate(all="ignore"):
            mf = np.real(1j * yf * np.asarray(cauchy_np(af + 1j * yf)))
        fin = np.isfinite(mf)
        nfin = int(np.argmin(fin)) if not fin.all() else fin.size  # leading finite run
        mf = mf[:nfin]
        if mf.size >= 3 and (mf[-1] < 1e-7 or mf[-1] < 0.6 * mf[-2]):
            continue
        with mpmath.workdps(40):
            found = _atom_limit(cauchy_mp, exact_value(loc, True, "an atom candidate"), scale, nfin)
            if found is None:
                continue
            m2, err = found
            exact = None
            if err < mpmath.mpf(10) ** -6:
                vec = [m2, 1 / mpmath.mpf(lcm)] + [exact_value(bb, True) for bb in basis]
                rel = mpmath.pslq(vec, maxcoeff=10**4, maxsteps=20000,
                                  tol=max(10 * err, mpmath.mpf(10) ** -25))
                if rel is not None and abs(rel[0]) == 1:
                    cand = -(sp.Rational(rel[1], lcm)
                             + sum(rr * bb for rr, bb in zip(rel[2:], basis))) / sp.Integer(rel[0])
                    cand = sp.nsimplify(cand)
                    if abs(exact_value(cand, True) - m2) < 10 * err:
                        exact = cand
            if exact is not None:
                dev = float(abs(exact_value(exact, True) - m2)) + 1e-30
                out.append((Atom(loc, exact, sp.Float(dev, 3)),
                            "identified (PSLQ on i y G extrapolated to y = 0)"))
            else:
                out.append((Atom(loc, sp.Float(mpmath.nstr(m2, 15), 15), sp.Float(float(err), 3)),
                            "numeric (i y G extrapolated to y = 0)"))
    out.sort(key=lambda ap: float(exact_value(ap[0].location, False)))
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
