"""Brown measures by hermitization: an engine module on top of operator-valued subordination.

For an element T and lambda in C, the hermitization H_lambda = [[0, T - lambda],
[(T - lambda)^*, 0]] is self-adjoint in M_2(A) (Belinschi-Sniady-Speicher 2018, Linear Algebra
Appl. 537, section 4). Its M_2-valued Cauchy transform at i eps,

    G(lambda, eps) = (id ⊗ tau)[(i eps - H_lambda)^{-1}]
                   = [[-i eps tau((eps^2 + X X^*)^{-1}),  -tau(X (eps^2 + X^* X)^{-1})],
                      [-tau(X^* (eps^2 + X X^*)^{-1}),    -i eps tau((eps^2 + X^* X)^{-1})]],

X = T - lambda, carries the Brown measure (Brown 1986): with the log-potential
f(lambda) = tau(log|T - lambda|^2) (the regularised one tau(log(X X^* + eps^2)) as eps -> 0),
G_21 = -d f / d lambda and

    mu_T = (1/pi) d G_21 / d conj(lambda)    (eps -> 0, as distributions),

so that the mass of a region R is (1/2 pi i) oint_{boundary R} G_21 d lambda (Stokes).

A pencil of H_lambda (built by the caller, e.g. ``freealg.reduce.brown``) is a self-adjoint
pencil L = b_0 ⊗ 1 + sum_l beta_l ⊗ l of size k whose rows 0 and 1 carry H_lambda as a Schur
complement; lambda enters b_0 at the entries (0, 1) (as -lambda) and (1, 0) (as -conj lambda).
:class:`HermitizedProblem` is the :class:`~freealg.numeric.operator_valued.Problem` of that
pencil with lambda given per point: its equations are the operator-valued subordination
equations of ``operator_valued`` (the same residuals, the same continuation), with
Lambda = diag(i y, i y, i eps, ..., i eps) - [[0, -lambda], [-conj lambda, 0]] ⊕ 0. The float64
batch encodes the index of each point's lambda in Re z (the continuation keeps Re z and moves
Im z = y and eps together to 0).

**The limit eps = 0, solved exactly.** At Lambda = 0 the equations are invariant under
G -> D G D, D = diag(s, 1/s, (1/s) I, s I) (D L D = L for every coefficient of the pencil), so
on the support of the Brown measure (where G_11 != 0) the solutions form a one-parameter family
on which G_21 is constant, and the Newton Jacobian is singular. For every eps > 0,
G_11 = G_22 (tau f(X X^*) = tau f(X^* X) in a tracial algebra), which fixes the gauge: the
eps = 0 point is computed by Gauss-Newton on the equations plus the constraint G_11 = G_22
(a consistent overdetermined system of full column rank, solved by QR), started from the
continuation at eps ~ 1e-7. The density is then the analytic derivative

    d G_21 / d conj(lambda) = d G_21 / d X * dX / d conj(lambda),   J_b dX = -d R / d conj(lambda)

(implicit function theorem on the same bordered system; R is affine in lambda, so
dR/d conj(lambda) is an exact central difference of step 1), and its imaginary part (zero in
exact arithmetic: the Laplacian of a real potential) is part of the error estimate.

At ``dps`` digits the float64 point is refined by mixed-precision Gauss-Newton (mpmath
residuals, float64 bordered Jacobian: ~13 digits a step) and the implicit-function system is
solved by iterative refinement with mpmath Jacobian-vector products (central differences of the
residual at 2 dps + 20 working digits, step 10^-(dps+10)).

Examples
--------
>>> import numpy as np, sympy as sp
>>> from freealg.numeric.operator_valued import problem
>>> from freealg.numeric.brown import HermitizedProblem, solve_np
>>> r = 1 / sp.sqrt(2)           # T = c = (s_1 + i s_2)/sqrt 2, two free semicirculars
>>> b1 = sp.ImmutableMatrix([[0, r], [r, 0]])
>>> b2 = sp.ImmutableMatrix([[0, sp.I * r], [-sp.I * r, 0]])
>>> hp = HermitizedProblem.of(problem(sp.zeros(2, 2), ((b1, 1), (b2, 1)), (), 4.0))
>>> out = solve_np(hp, np.array([0.5, 2.0]))
>>> np.round(out["density"] * np.pi, 12)          # uniform on the unit disc: 1/pi inside
array([1., 0.])
>>> np.round(out["G"][:, 1, 0].real, 12)     # G_21 = conj(lambda) inside, 1/lambda outside
array([0.5, 0.5])
"""

from __future__ import annotations

import copy
from typing import Any

import mpmath
import numpy as np

from ..errors import InvalidParameterError, NoConvergence
from .matrices import MPM, NPM, MPMatrix, kron_rows
from .operator_groups import DiscreteGroup
from .operator_valued import Problem, _batch_size, _solve_batch

__all__ = ["HermitizedProblem", "solve_np", "solve_mp"]


class _LambdaContext:
    """A matrix context whose ``lam`` is the hermitization's Lambda for the problem's lambdas;
    everything else is the wrapped context's."""

    __slots__ = ("_ctx", "_hp")

    def __init__(self, ctx: Any, hp: "HermitizedProblem"):
        self._ctx = ctx
        self._hp = hp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def lam(self, z: Any, eps: Any, k: int) -> Any:
        hp = self._hp
        if self._ctx.mp:
            i = int(mpmath.re(z))
            M = MPMatrix.zeros(k)
            for j in range(k):
                M[j, j] = mpmath.mpc(0, mpmath.im(z) if j < 2 else eps)
            M[0, 1] = M[0, 1] + hp._up_mp[i]
            M[1, 0] = M[1, 0] + hp._dn_mp[i]
            return M
        n = z.shape[0]
        idx = np.rint(z.real).astype(int)
        L = np.zeros((n, k, k), dtype=complex)
        d = np.arange(k)
        L[:, d[:2], d[:2]] = 1j * z.imag[:, None]
        L[:, d[2:], d[2:]] = 1j * np.broadcast_to(np.asarray(eps, dtype=float), (n,))[:, None]
        L[:, 0, 1] += hp._up[idx]
        L[:, 1, 0] += hp._dn[idx]
        return L


class HermitizedProblem(Problem):
    """The operator-valued problem of a pencil of the hermitization, lambda per point.

    Made from the :class:`~freealg.numeric.operator_valued.Problem` of the pencil at
    lambda = 0 by :meth:`of`; :meth:`at` gives a view with the points' lambdas (the view shares
    the constants and the groups). See the module docstring for the equations.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from freealg.numeric.operator_valued import problem
    >>> b = sp.ImmutableMatrix([[0, 1], [1, 0]])     # T = s, a semicircular (T = T^*)
    >>> hp = HermitizedProblem.of(problem(sp.zeros(2, 2), ((b, 1),), (), 2.0))
    >>> hp.k, hp.at(np.array([1j]))._up
    (2, array([0.+1.j]))
    """

    _up: np.ndarray
    _dn: np.ndarray
    _up_mp: tuple
    _dn_mp: tuple

    @classmethod
    def of(cls, prob: Problem) -> "HermitizedProblem":
        """The hermitized problem of ``prob`` (a pencil whose rows 0, 1 carry H_lambda).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.numeric.operator_valued import problem
        >>> b = sp.ImmutableMatrix([[0, 1], [1, 0]])
        >>> HermitizedProblem.of(problem(sp.zeros(2, 2), ((b, 1),), (), 2.0)).m
        0
        """
        if prob.k < 2:
            raise InvalidParameterError("k", prob.k, "a pencil of a hermitization has size >= 2")
        hp = cls(prob.b0_s, prob.semis_s, prob.groups, prob.k, prob.scale)
        hp._up = hp._dn = np.zeros(0, dtype=complex)
        hp._up_mp = hp._dn_mp = ()
        return hp

    def at(self, lam: Any, dn: Any = None) -> "HermitizedProblem":
        """A view at the points ``lam`` (float64 array, or a list of mpc for mpmath):
        b_0 gets -lam at (0, 1) and -conj(lam) (or -dn) at (1, 0).

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> from freealg.numeric.operator_valued import problem
        >>> b = sp.ImmutableMatrix([[0, 1], [1, 0]])
        >>> hp = HermitizedProblem.of(problem(sp.zeros(2, 2), ((b, 1),), (), 2.0))
        >>> hp.at(np.array([1 + 2j]))._dn
        array([1.-2.j])
        """
        view = copy.copy(self)
        if isinstance(lam, np.ndarray):
            view._up = lam.astype(complex)
            view._dn = np.conj(view._up) if dn is None else np.asarray(dn, dtype=complex)
        else:
            view._up_mp = tuple(mpmath.mpc(v) for v in lam)
            view._dn_mp = tuple(mpmath.conj(v) for v in view._up_mp) if dn is None else \
                tuple(mpmath.mpc(v) for v in dn)
        return view

    def equations(self, ctx, X, z, eps, want_j=False):
        """:meth:`Problem.equations` with the hermitization's Lambda (see the class)."""
        return super().equations(_LambdaContext(ctx, self), X, z, eps, want_j)

    def res_jac_np(self, X, z, eps, want_j=True):
        """:meth:`Problem.res_jac_np`; for a purely semicircular pencil the Jacobian is
        assembled as kron(W, I) - (I ⊗ G^T) E with E = sum_i v_i b_i ⊗ b_i^T (the same
        matrix as the base class's sum over letters, in one product)."""
        if self.m or not want_j or not self.semis_s:
            return super().res_jac_np(X, z, eps, want_j)
        R, G, _, qerr = self.equations(NPM, [X[:, 0]], z, eps, False)
        n, k = X.shape[0], self.k
        G = X[:, 0]
        b = _LambdaContext(NPM, self).lam(z, eps, k) - self._consts(NPM)[0]
        W = b - (self.E[None] @ G.reshape(n, -1)[..., None]).reshape(n, k, k)
        ident = np.broadcast_to(np.eye(k, dtype=complex), (n, k, k))
        J = kron_rows(W, ident) - kron_rows(ident, np.swapaxes(G, 1, 2)) @ self.E[None]
        return np.stack(R, axis=1), J, qerr, G

    def _guess_np(self, z, eps):
        b = _LambdaContext(NPM, self).lam(z, eps, self.k) - self._consts(NPM)[0]
        if self.m == 0:
            return NPM.inv(b)[:, None]
        return np.repeat(b[:, None], self.m, axis=1).copy()


# --------------------------------------------------------------------------------------------
# float64


def _g0_np(h: HermitizedProblem, X: np.ndarray, want_d: bool) -> tuple:
    """The M_k-valued G at the unknowns, and dG/dX_0 (k^2 x k^2, row-major) when asked."""
    n, k = X.shape[0], h.k
    if h.m == 0:
        D = np.broadcast_to(np.eye(k * k, dtype=complex), (n, k * k, k * k)) if want_d else None
        return X[:, 0], D
    G, D, _ = h.groups[0].g(NPM, X[:, 0], want_d)
    return G, D


def _bordered_np(h: HermitizedProblem, X: np.ndarray, z: np.ndarray) -> tuple:
    """(J_b, r_b, G): the equations at Lambda = 0 with the gauge row G_11 - G_22 appended."""
    n, k = X.shape[0], h.k
    with np.errstate(all="ignore"):
        R, J, _, _ = h.res_jac_np(X, z, np.zeros(n), want_j=True)
        G, D = _g0_np(h, X, True)
    row = np.zeros((n, 1, J.shape[2]), dtype=complex)
    row[:, 0, :k * k] = D[:, 0, :] - D[:, k + 1, :]
    Jb = np.concatenate([J, row], axis=1)
    rb = np.concatenate([R.reshape(n, -1), (G[:, 0, 0] - G[:, 1, 1])[:, None]], axis=1)
    return Jb, rb, G


def _lstsq(Jb: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Least squares of a batch of full-column-rank systems by QR (NaN where singular)."""
    with np.errstate(all="ignore"):
        ok = np.all(np.isfinite(Jb), axis=(1, 2))
        Jc = np.where(ok[:, None, None], Jb, 0)
        Jc[~ok] = np.eye(Jb.shape[1], Jb.shape[2])
        Q, Rr = np.linalg.qr(Jc)
        y = (np.conj(np.swapaxes(Q, 1, 2)) @ np.where(ok[:, None], rb, 0)[..., None])[..., 0]
        d = _solve_batch(Rr, y)
    d[~ok] = np.nan
    return d


def _polish_np(h: HermitizedProblem, X: np.ndarray, z: np.ndarray, maxit: int = 25) -> tuple:
    """Gauss-Newton at Lambda = 0 with the gauge constraint; returns (X, converged): converged
    when the step is below 1e-13 or the residual of the bordered system below 1e-14 (relative
    to |X|; a Jacobian from finite differences and an ill-conditioned point stall at a step of
    cond * 1e-16 while the residual is at rounding level)."""
    X = X.copy()
    n = X.shape[0]
    act = np.ones(n, dtype=bool)
    conv = np.zeros(n, dtype=bool)
    last = np.full(n, np.inf)
    for it in range(maxit + 1):
        idx = np.nonzero(act)[0]
        if idx.size == 0:
            break
        Jb, rb, _ = _bordered_np(h, X[idx], z[idx])
        ref = 1 + np.max(np.abs(X[idx]), axis=(1, 2, 3))
        small = np.max(np.abs(rb), axis=1) <= 1e-14 * ref
        conv[idx[small]] = True
        if it == maxit:
            break
        d = _lstsq(Jb, rb)
        d[small] = 0
        X[idx] -= d.reshape(X[idx].shape)
        size = np.max(np.abs(d), axis=1)
        done = small | (size <= 1e-13 * ref)
        bad = ~np.isfinite(size) | ((size > 0.9 * last[idx]) & (it > 8))
        conv[idx[done]] = True
        act[idx[done | bad]] = False
        last[idx] = size
    return X, conv


def _continue(h: HermitizedProblem, z: np.ndarray) -> tuple:
    """Continuation of the float64 grid towards Im z = eps = 0, retried with finer schedules
    where it stops above 1e-4 scale. On the support the gauge mode softens as eps -> 0 (its
    singular value ~ eps) and the plain Newton stops near eps ~ 1e-6; the gauge-fixed
    Gauss-Newton (:func:`_polish_np`) takes it from there. The continuation stops at
    t = 1e-7 scale, before its final plain Newton at eps = 0: on the support that Newton's
    Jacobian is singular and it can land on the branch G_11 = 0 of the point outside (seen
    2e-5 inside the boundary of u + c), which the gauge-fixed polish would keep."""
    X, _, tr = h.solve_np(z, to_zero=False)
    tmin = 1e-4 * h.scale
    for steps in (80, 240):
        bad = np.nonzero(tr > tmin)[0]
        if bad.size == 0:
            break
        X2, _, tr2 = h.solve_np(z[bad], steps=steps, to_zero=False)
        better = tr2 < tr[bad]
        X[bad[better]], tr[bad[better]] = X2[better], tr2[better]
    return X, tr <= tmin


def _fd_groups(h: HermitizedProblem) -> bool:
    """Whether a group's float64 Jacobian is a finite difference (~1e-10 relative)."""
    return any(not isinstance(g, DiscreteGroup) for g in h.groups)


def solve_np(hp: HermitizedProblem, lam: Any) -> dict:
    """The eps -> 0 hermitization at the points ``lam`` (float64, vectorised).

    Returns a dict of arrays over the flattened points: ``"G"`` (n, 2, 2), the top 2 x 2 block
    of the M_k-valued Cauchy transform at eps = 0 (NaN where the solver failed); ``"dG21"``,
    d G_21 / d conj(lambda); ``"density"`` = Re(dG21)/pi (>= 0 clipped to 0 below
    -error); ``"error"``, an estimate of the density's error (|Im dG21|/pi, plus the
    conditioning of the bordered system times the rounding or finite-difference error);
    ``"ok"``.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from freealg.numeric.operator_valued import problem
    >>> r = 1 / sp.sqrt(2)                      # the circular element, as in the module
    >>> b1 = sp.ImmutableMatrix([[0, r], [r, 0]])
    >>> b2 = sp.ImmutableMatrix([[0, sp.I * r], [-sp.I * r, 0]])
    >>> hp = HermitizedProblem.of(problem(sp.zeros(2, 2), ((b1, 1), (b2, 1)), (), 4.0))
    >>> out = solve_np(hp, np.array([0.6j]))
    >>> bool(abs(out["G"][0, 0, 0] + 0.8j) < 1e-12)     # -i sqrt(1 - |lambda|^2)
    True

    Parameters
    ----------
    hp : HermitizedProblem
        The problem of the pencil.
    lam : array_like
        Complex points.

    Returns
    -------
    dict
        As described above.
    """
    lam = np.asarray(lam, dtype=complex).ravel()
    n = lam.size
    chunk = max(1, _batch_size(hp) // 2)
    if n > chunk:
        parts = [solve_np(hp, lam[i:i + chunk]) for i in range(0, n, chunk)]
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    h = hp.at(lam)
    k, nb = h.k, h.nblk
    z = np.arange(n) + 0j
    out = {"G": np.full((n, 2, 2), np.nan + 0j), "dG21": np.full(n, np.nan + 0j),
           "density": np.full(n, np.nan), "error": np.full(n, np.nan),
           "ok": np.zeros(n, dtype=bool)}
    if n == 0:
        return out
    X, ok = _continue(h, z)
    X, conv = _polish_np(h, X, z)
    Jb, rb, G = _bordered_np(h, X, z)
    res = np.max(np.abs(rb), axis=1)
    ok &= conv & np.isfinite(res) & (res < 1e-9 * (1 + np.max(np.abs(X), axis=(1, 2, 3))))
    ok &= np.imag(G[:, 0, 0]) <= 1e-9 * (1 + np.abs(G[:, 0, 0]))
    # implicit function theorem: J_b dX = -(dR/d conj(lambda), 0); R is affine in lambda
    with np.errstate(all="ignore"):
        Rp = h.at(lam, np.conj(lam) + 1).res_jac_np(X, z, np.zeros(n), want_j=False)[0]
        Rm = h.at(lam, np.conj(lam) - 1).res_jac_np(X, z, np.zeros(n), want_j=False)[0]
        rhs = np.concatenate([((Rp - Rm) / 2).reshape(n, -1), np.zeros((n, 1))], axis=1)
        dX = -_lstsq(Jb, rhs).reshape(n, nb, k, k)
        _, D = _g0_np(h, X, True)
        dG = (D @ dX[:, 0].reshape(n, -1)[..., None])[..., 0].reshape(n, k, k)
        sv = np.linalg.svd(np.where(np.isfinite(Jb), Jb, 0), compute_uv=False)
        cond = sv[:, 0] / np.maximum(sv[:, -1], 1e-300)
    d21 = dG[:, 1, 0]
    rel = 1e-15 + (1e-10 if _fd_groups(h) else 0.0)
    err = (np.abs(d21.imag) + rel * cond * (1 + np.abs(d21))) / np.pi
    ok &= np.isfinite(d21) & np.isfinite(err)
    dens = d21.real / np.pi
    out["G"][ok] = G[ok, :2, :2]
    out["dG21"][ok] = d21[ok]
    out["density"][ok] = np.where(dens[ok] < 0, np.maximum(dens[ok], 0), dens[ok])
    out["error"][ok] = err[ok] + np.where(dens[ok] < 0, -dens[ok], 0)
    out["ok"] = ok
    return out


# --------------------------------------------------------------------------------------------
# mpmath


def _flat(blocks: list) -> list:
    return [x for B in blocks for row in B.a for x in row]


def _unflat(v: list, nb: int, k: int) -> list:
    return [MPMatrix([list(v[j * k * k + i * k: j * k * k + (i + 1) * k]) for i in range(k)])
            for j in range(nb)]


def _resid_mp(h: HermitizedProblem, X: list) -> tuple:
    """Residual blocks, the M_k-valued G and the gauge residual at Lambda = 0 (mpmath)."""
    R = h.equations(MPM, X, mpmath.mpc(0), 0)[0]
    G = X[0] if h.m == 0 else h.groups[0].g(MPM, X[0])[0]
    return R, G, G[0, 0] - G[1, 1]


def solve_mp(hp: HermitizedProblem, lam: Any, dps: int) -> dict:
    """The eps -> 0 hermitization at one point to ``dps`` digits.

    Returns ``{"G": 2 x 2 mpmath matrix, "dG21": mpc, "density": mpf, "error": mpf}`` (at
    ``dps`` digits; ``error`` estimates the density's error). See the module docstring.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.numeric.operator_valued import problem
    >>> r = 1 / sp.sqrt(2)                      # the circular element: density 1/pi
    >>> b1 = sp.ImmutableMatrix([[0, r], [r, 0]])
    >>> b2 = sp.ImmutableMatrix([[0, sp.I * r], [-sp.I * r, 0]])
    >>> hp = HermitizedProblem.of(problem(sp.zeros(2, 2), ((b1, 1), (b2, 1)), (), 4.0))
    >>> out = solve_mp(hp, mpmath.mpc("0.25", "0.5"), 30)
    >>> with mpmath.workdps(30):
    ...     bool(abs(out["density"] - 1 / mpmath.pi) < mpmath.mpf(10) ** -28)
    True

    Parameters
    ----------
    hp : HermitizedProblem
        The problem of the pencil.
    lam : number
        The point.
    dps : int
        Digits.

    Returns
    -------
    dict
        As described above.

    Raises
    ------
    NoConvergence
        When the float64 start or the mixed-precision Gauss-Newton fails (e.g. on the boundary
        of the support, where the gauge-fixed system is singular).
    """
    dps = int(dps)
    with mpmath.workdps(dps + 10):
        lm = mpmath.mpc(lam)
    lam64 = np.array([complex(lm)])
    h64 = hp.at(lam64)
    z64 = np.zeros(1, dtype=complex)
    X, ok = _continue(h64, z64)
    X, conv = _polish_np(h64, X, z64)
    if not (ok[0] and conv[0]):
        raise NoConvergence("hermitization (float64 start at eps = 0)", dps=dps, point=lam,
                            advice="the point may lie on the boundary of the support; move it "
                                   "slightly")
    k, nb = hp.k, hp.nblk
    work = 2 * dps + 20
    with mpmath.workdps(work):
        h = hp.at([lm])
        Xm = [MPMatrix.from_np(X[0, j]) for j in range(nb)]
        Jb = _bordered_np(h64, X, z64)[0]
        tol = mpmath.mpf(10) ** (-(dps + 12))
        last = None
        for it in range(40):
            R, G, c = _resid_mp(h, Xm)
            rb = np.array([complex(x) for x in _flat(R)] + [complex(c)])
            d = _lstsq(Jb, rb[None])[0]
            if not np.all(np.isfinite(d)):
                break
            Xm = [Xm[j] - MPMatrix.from_np(d[j * k * k:(j + 1) * k * k].reshape(k, k))
                  for j in range(nb)]
            size = float(np.max(np.abs(d)))
            ref = 1 + max(float(MPM.maxabs(B)) for B in Xm)
            if size <= tol * ref:
                break
            if last is not None and size > 0.5 * last:
                Jb = _bordered_np(h64, np.array([[B.to_np() for B in Xm]]), z64)[0]
                if it > 10:
                    raise NoConvergence("hermitization (mixed-precision Gauss-Newton)",
                                        dps=dps, steps=it, residual=size, point=lam)
            last = size
        else:
            raise NoConvergence("hermitization (mixed-precision Gauss-Newton)", dps=dps,
                                steps=40, point=lam)
        R, G, c = _resid_mp(h, Xm)
        # implicit function theorem, refined with mpmath Jacobian-vector products
        Rp = h.at([lm], [mpmath.conj(lm) + 1]).equations(MPM, Xm, mpmath.mpc(0), 0)[0]
        Rm = h.at([lm], [mpmath.conj(lm) - 1]).equations(MPM, Xm, mpmath.mpc(0), 0)[0]
        rhs = [-(p - q) / 2 for p, q in zip(_flat(Rp), _flat(Rm))] + [mpmath.mpc(0)]
        step = mpmath.mpf(10) ** (-(dps + 10))
        xs = _flat(Xm)

        def jv(v: list) -> list:
            s = step / (1 + max(abs(x) for x in v))
            Rp_, _, cp = _resid_mp(h, _unflat([a + s * b for a, b in zip(xs, v)], nb, k))
            Rm_, _, cm = _resid_mp(h, _unflat([a - s * b for a, b in zip(xs, v)], nb, k))
            return [(p - q) / (2 * s) for p, q in zip(_flat(Rp_) + [cp], _flat(Rm_) + [cm])]

        dx = [mpmath.mpc(0)] * (nb * k * k)
        corr = mpmath.inf
        for it in range(max(4, dps // 6 + 4)):
            r = rhs if it == 0 else [a - b for a, b in zip(rhs, jv(dx))]
            d = _lstsq(Jb, np.array([[complex(x) for x in r]]))[0]
            dx = [a + mpmath.mpc(complex(b)) for a, b in zip(dx, d)]
            corr = mpmath.mpf(float(np.max(np.abs(d))))
            if corr <= mpmath.mpf(10) ** (-(dps + 6)) * (1 + max(abs(x) for x in dx)):
                break
        dX = _unflat(dx, nb, k)
        if h.m == 0:
            dG = dX[0]
        else:
            s = step / (1 + max(abs(x) for x in dx))
            gp = h.groups[0].g(MPM, Xm[0] + dX[0] * s)[0]
            gm = h.groups[0].g(MPM, Xm[0] - dX[0] * s)[0]
            dG = (gp - gm) / (2 * s)
        d21 = dG[1, 0]
        err = (abs(mpmath.im(d21)) + corr * (1 + abs(d21)) + mpmath.mpf(10) ** (-(dps + 3))) \
            / mpmath.pi
        dens = mpmath.re(d21) / mpmath.pi
    with mpmath.workdps(dps):
        if dens < 0:
            err, dens = err - dens, mpmath.mpf(0)
        return {"G": mpmath.matrix([[+G[i, j] for j in range(2)] for i in range(2)]),
                "dG21": +d21, "density": +dens, "error": +err}

