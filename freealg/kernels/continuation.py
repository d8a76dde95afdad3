"""Newton continuation of holomorphic systems from z = x + iY down to the real axis.

A *residual system* has ``n`` complex unknowns w and residuals R(z, w) = 0 whose solution on the
physical branch is fixed by its asymptotics at z = i*infinity (``system.guess`` returns those
asymptotics). We start at Im z = Y where the asymptotic guess is accurate, and follow the solution
along Im z -> target with Newton steps, never choosing among roots by a heuristic such as "largest
imaginary part". The mpmath path is adaptive (a step is halved when Newton needs too many
iterations or leaves the admissible domain); the numpy path runs the whole grid on one geometric
schedule and re-runs the points that failed on a finer one. On a grid of
points x + i eta (one eta) only every ``GRID_STRIDE``-th point follows that path; the others
are continued along x, Newton starting from their solved neighbours, each result certified as
the physical root or else solved by the path (:func:`solve_np`).

The protocol a system implements:

``system.n``
    number of unknowns;
``system.scale``
    size of the problem (support radius plus one), sets Y;
``system.evaluate(z, w, be, args)``
    ``z`` and ``w`` are :class:`~freealg.kernels.dual.Dual`; returns ``(residuals, G)`` as Duals
    and appends to ``args`` every point at which a component Cauchy transform was evaluated
    (they must stay in the closed upper half plane);
``system.guess(z, be)``
    list of starting values for large Im z.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ..errors import NoConvergence
from .backend import MP, NP
from .dual import Dual

__all__ = ["solve_mp", "solve_np", "newton_mp", "polish_mp", "PathInfo", "GRID_MIN",
           "GRID_STRIDE"]


@dataclass
class PathInfo:
    """Diagnostics of one continuation run."""

    steps: int = 0
    newton_iterations: int = 0
    residual: Any = 0
    halvings: int = 0
    retried: int = 0
    failed: Any = field(default=None)
    #: points solved by grid continuation from their neighbours (not by the path)
    grid: int = 0


def _tangent_np(system, z, w):
    """dw/dz along the solution branch (implicit function theorem: -J^{-1} dR/dz), float64."""
    n = system.n
    wd = [Dual.variable(w[i], i, n + 1) for i in range(n)]
    zd = Dual.variable(z, n, n + 1)
    with np.errstate(all="ignore"):
        res, _ = system.evaluate(zd, wd, NP, [])
        J = [[r.d[j] for j in range(n)] for r in res]
        dRdz = [-r.d[n] for r in res]
        return NP.solve(J, dRdz)


def _evaluate(system, z, w, be):
    n = system.n
    wd = [Dual.variable(w[i], i, n) for i in range(n)]
    zd = Dual.constant(z, n)
    args: list = []
    res, G = system.evaluate(zd, wd, be, args)
    return res, G, args


def newton_mp(system, z, w0, tol, maxit=40, damping=True):
    """Newton's method for one point in mpmath (precision set by the caller).

    Returns ``(w, G, iterations, residual, ok)``; ``ok`` is False when the iteration did not
    reach ``tol`` or left the upper half plane.
    """
    n = system.n
    w = list(w0)
    last = None
    for it in range(1, maxit + 1):
        try:
            res, G, args = _evaluate(system, z, w, MP)
            F = [r.v for r in res]
            J = [[r.d[j] for j in range(n)] for r in res]
            dw = MP.solve(J, F)
        except ZeroDivisionError:
            return w, mpmath.nan, it, mpmath.inf, False
        # per-component relative step (unknowns can differ by many orders of magnitude)
        step = max(abs(d) / max(abs(q), mpmath.mpf(10) ** -300) for d, q in zip(dw, w))
        scale = 1
        if MP.norm(F) <= 16 * mpmath.eps and it > 1:
            # the (relative) residual is at rounding level: near a fold the step cannot shrink
            dw = [0 * d for d in dw]
            step = mpmath.mpf(0)
        if damping and last is not None and step > 2 * last and step > 1e-3 * scale:
            # Newton is not contracting; take a shorter step
            dw = [d / 4 for d in dw]
        w = [w[i] - dw[i] for i in range(n)]
        last = step
        if step <= tol * scale:
            try:
                res, G, args = _evaluate(system, z, w, MP)
            except ZeroDivisionError:
                return w, mpmath.nan, it, mpmath.inf, False
            # admissibility: arguments in the closed upper half plane, up to rounding that a
            # near-fold amplifies (condition ~ 1/sqrt(Im z)): allow sqrt(tol)
            adm = mpmath.sqrt(tol)
            ok = all(MP.imag(a) >= -adm * (1 + abs(a)) for a in args)
            return w, G.v, it, MP.norm([r.v for r in res]), ok
    res, G, args = _evaluate(system, z, w, MP)
    return w, G.v, maxit, MP.norm([r.v for r in res]), False


def _start_height(system, y_target):
    Y = 8 * (system.scale + 1)
    return max(Y, 2 * y_target)


def solve_mp(system, z, *, dps: int, guard: int = 10, ratio: float = 0.25, maxsteps: int = 4000,
             w_start=None, y_start=None):
    """Solve at one point z (closed upper half plane) in mpmath, by continuation in Im z.

    Returns ``(w, G, info)`` with values at precision ``dps + guard`` (the caller rounds).
    """
    with mpmath.workdps(dps + guard):
        z = mpmath.mpc(z)
        x, y_target = z.real, z.imag
        if y_target < 0:
            raise ValueError("z must lie in the closed upper half plane")
        tol = mpmath.mpf(10) ** (-(dps + guard - 4))
        if w_start is None:
            y = mpmath.mpf(_start_height(system, y_target))
            w = system.guess(mpmath.mpc(x, y), MP)
            w, G, its, resid, ok = newton_mp(system, mpmath.mpc(x, y), w, tol)
            if not ok:
                raise NoConvergence("subordination Newton at the start of the path", dps=dps,
                                    steps=its, residual=resid, point=mpmath.mpc(x, y))
        else:
            y = mpmath.mpf(y_start)
            w = list(w_start)
        info = PathInfo()
        r = mpmath.mpf(ratio)
        floor = mpmath.mpf(10) ** (-(dps + guard) // 2) * (system.scale + 1)
        jump_below = mpmath.mpf("1e-3") * (system.scale + 1)
        while y > y_target:
            if y <= jump_below:
                # near the axis, try to land on the target at once (fast in the bulk); the
                # solution in C+ is unique (Denjoy-Wolff), so admissibility certifies it
                w_new, G, its, resid, ok = newton_mp(system, z, w, tol, maxit=7)
                info.newton_iterations += its
                if ok:
                    w, y = w_new, y_target
                    info.residual = resid
                    info.steps += 1
                    break
            y_next = y * r
            if y_next < floor or y_next <= y_target:
                y_next = y_target
            z_next = mpmath.mpc(x, y_next)
            w_new, G, its, resid, ok = newton_mp(system, z_next, w, tol, maxit=25)
            info.newton_iterations += its
            info.steps += 1
            if ok and its <= 12:
                w, y = w_new, y_next
                info.residual = resid
                r = min(mpmath.mpf(ratio), r * 2) if its <= 6 else r
                continue
            # refine the step: take log-midpoints
            info.halvings += 1
            # (also when the failed step aimed at the axis itself: r must grow towards 1 so
            # that the last resort below is reached in a few dozen steps, not maxsteps)
            r = mpmath.sqrt(r)
            if y_next == y_target and y_next < floor and y > floor:
                # shrink towards the floor first (only while that still makes progress: once
                # y sits at the floor, a retry there would repeat forever)
                y_t = max(floor, y * mpmath.mpf("0.5"))
                w_new, G, its, resid, ok = newton_mp(system, mpmath.mpc(x, y_t), w, tol, maxit=25)
                if ok:
                    w, y = w_new, y_t
                    continue
            if r > 0.999 or info.steps > maxsteps:
                # last resort at a fold (an exact edge): Newton converges only linearly
                # (ratio ~1/2) at a double root, so allow ~3.5 iterations per digit
                w_new, G, its, resid, ok = newton_mp(system, z, w, tol,
                                                     maxit=int(3.5 * (dps + guard)) + 20)
                info.newton_iterations += its
                if ok:
                    w, y = w_new, y_target
                    break
                raise NoConvergence("subordination continuation", dps=dps, steps=info.steps,
                                    residual=resid, point=z_next,
                                    advice="increase dps, or evaluate at a point off the "
                                           "real axis (Im z > 0); the point may be an edge or "
                                           "an atom where the solution is singular")
        res, G, args = _evaluate(system, mpmath.mpc(x, y_target), w, MP)
        info.residual = MP.norm([q.v for q in res])
        return w, G.v, info


def polish_mp(system, z, *, dps: int, guard: int = 10):
    """Continue in float64, then polish by Newton in mpmath at ``dps + guard`` digits.

    Returns ``(G, info)``, or None when the float64 point is not safely inside the Newton basin
    of the physical root (its first Newton correction exceeds 1e-8 relative, Newton needs more
    than 6 iterations, or an argument leaves the closed upper half plane): the caller then runs
    the full mpmath path. Near a fold (edge) the float64 error grows like eps/sqrt(d) while the
    roots separate like sqrt(d), so the 1e-8 test keeps the polish on the physical branch.
    """
    zc = complex(z)
    if abs(zc.real) > 1e300 or not np.isfinite(zc.real) or not np.isfinite(zc.imag):
        return None
    w_np, _, info_np = solve_np(system, np.array([zc]))
    if info_np.failed.any():
        return None
    with mpmath.workdps(dps + guard):
        zz = mpmath.mpc(z)
        w0 = [mpmath.mpc(complex(wi.ravel()[0])) for wi in w_np]
        if not all(mpmath.isfinite(q) for q in w0):
            return None
        tol = mpmath.mpf(10) ** (-(dps + guard - 4))
        try:
            res, _, _ = _evaluate(system, zz, w0, MP)
            F = [r.v for r in res]
            J = [[r.d[j] for j in range(system.n)] for r in res]
            dw0 = MP.solve(J, F)
            first = max(abs(d) / max(abs(q), mpmath.mpf(10) ** -300) for d, q in zip(dw0, w0))
        except ZeroDivisionError:
            return None
        if first > 1e-8:
            return None
        w, G, its, resid, ok = newton_mp(system, zz, w0, tol, maxit=6, damping=False)
        if not ok:
            return None
        info = PathInfo(steps=info_np.steps, newton_iterations=its, residual=resid)
        return G, info


def solve_np(system, z, *, ratio: float = 0.25, tol: float = 1e-13, maxit: int = 12,
             grid: bool = True, retry: bool = True, _depth: int = 0):
    """Solve on an array of points z (closed upper half plane), vectorised in float64.

    All points follow one geometric schedule in Im z; once Im z is small, each step first tries
    to land on the target directly and retires the points that converge there admissibly (in
    the bulk this halves the work). Points that fail are re-run on finer schedules; those that
    still fail are NaN and listed in ``info.failed`` (a boolean mask).

    With ``grid`` (the default), a grid of at least ``GRID_MIN`` points x + i eta with one
    eta is solved by grid continuation along x (:func:`_solve_grid`): only every
    ``GRID_STRIDE``-th point follows the path from x + iY, the others start Newton from their
    solved neighbours. ``grid=False`` runs the path for every point; ``retry=False`` leaves
    the points that fail NaN instead of re-running them on finer schedules.
    """
    if grid and _depth == 0:
        got = _solve_grid(system, z, ratio=ratio, tol=tol, maxit=maxit)
        if got is not None:
            return got
    if _depth == 0 and getattr(system, "ratio", None):
        ratio = max(ratio, system.ratio)
    z = np.asarray(z, dtype=complex)
    shape = z.shape
    z = z.ravel()
    N = len(z)
    x, y_target = z.real, z.imag
    if np.any(y_target < 0):
        raise ValueError("z must lie in the closed upper half plane")
    n = system.n
    Y = _start_height(system, float(np.max(y_target)) if N else 0.0)
    y_floor = 1e-9 * (system.scale + 1)
    jump_below = 1e-2 * (system.scale + 1)
    nsteps = int(np.ceil(np.log(y_floor / Y) / np.log(ratio))) + 1
    info = PathInfo()
    ok = np.ones(N, dtype=bool)
    w = [np.asarray(g, dtype=complex) * np.ones(N) for g in system.guess(x + 1j * Y, NP)]
    # a point on the way (above its target) need only lie well inside the Newton basin of the
    # next step: it is solved to PATH_TOL (the residuals of a law whose G is a quadrature
    # amplify its ~1e-15 noise, e.g. by 1/|m| ~ |z| for a ⊠ product, and a path tolerance of
    # 1e-13 sent such points to the retries by chance); the target itself to ``tol``
    path_tol = max(tol, PATH_TOL)
    w, its, converged, _ = _newton_np(system, x + 1j * np.maximum(Y, y_target), w,
                                      np.where(Y > y_target, path_tol, tol), 3 * maxit)
    ok &= converged
    info.newton_iterations += its
    active = np.arange(N)
    for k in range(1, nsteps + 2):
        if active.size == 0:
            break
        level = Y * ratio ** k
        wa = [wi[active] for wi in w]
        if level <= jump_below and k <= nsteps:
            wj, its, conv, _, adm = _newton_np(system, z[active], wa, tol, 4, admissible=True)
            info.newton_iterations += its
            land = conv & adm
            if np.any(land):
                idx = active[land]
                for i in range(n):
                    w[i][idx] = wj[i][land]
                active = active[~land]
                wa = [wi[active] for wi in w]
                if active.size == 0:
                    break
        y_new = np.maximum(level, y_target[active]) if k <= nsteps else y_target[active]
        # Euler predictor along the branch in log w against log z, then Newton: far from the
        # support the unknowns are powers of z (G ~ 1/z, a subordination function ~ z, the
        # m of a ⊠ product ~ 1/z), for which this predictor is exact and the linear one
        # (w + w' dz) is not: with a step ratio of 1/4 it lands ~2x off, outside the Newton
        # basin of equations like W m = const (Newton diverged at every point of a ⊠ of ten
        # layer laws). Where w = 0, the power is not finite, or z is near the axis and 0
        # (see POWER_FROM), the linear predictor is used
        y_old = Y * ratio ** (k - 1) if k > 1 else np.full(active.size, Y)
        y_old = np.maximum(y_old, y_target[active])
        z_old = x[active] + 1j * y_old
        z_new = x[active] + 1j * y_new
        far = ((np.abs(z_new) >= POWER_FROM * system.scale)
               | (y_new >= POWER_HEIGHT * system.scale))
        pred = []
        with np.errstate(all="ignore"):
            log_ratio = np.log(z_new / z_old)
            for wi, ti in zip(wa, _tangent_np(system, z_old, wa)):
                power = wi * np.exp(z_old * ti / wi * log_ratio)
                linear = wi + ti * (z_new - z_old)
                pred.append(np.where(np.isfinite(power) & far, power, linear))
        pred = [np.where(np.isfinite(p), p, wi) for p, wi in zip(pred, wa)]
        tol_k = np.where(y_new > y_target[active], path_tol, tol)
        wn, its, conv, _ = _newton_np(system, z_new, pred, tol_k, maxit)
        if not np.all(conv):  # fall back to the plain start where the predictor misled
            bad = ~conv
            wb, itsb, convb, _ = _newton_np(system, x[active][bad] + 1j * np.broadcast_to(
                y_new, active.shape)[bad], [wi[bad] for wi in wa], tol_k[bad], maxit)
            for i in range(n):
                wn[i][bad] = wb[i]
            conv[bad] = convb
        for i in range(n):
            w[i][active] = wn[i]
        ok[active] &= conv
        info.steps += 1
        info.newton_iterations += its
    with np.errstate(all="ignore"):
        res, G, args = _evaluate(system, z, w, NP)
    for a in args:
        ok &= np.imag(a) >= -1e-9 * (1 + np.abs(a))
    resid = NP.norm([r.v for r in res])
    ok &= np.isfinite(resid) & (resid <= 1e-9)
    G = np.asarray(G.v, dtype=complex) * np.ones(N)
    if not np.all(ok) and retry and _depth < 2 and N:
        idx = np.nonzero(~ok)[0]
        w2, G2, info2 = solve_np(system, z[idx], ratio=ratio ** 0.35, tol=tol, maxit=maxit + 8,
                                 _depth=_depth + 1)
        good = ~info2.failed.ravel()
        G[idx[good]] = G2.ravel()[good]
        for i in range(n):
            w[i][idx[good]] = w2[i].ravel()[good]
        ok[idx[good]] = True
        info.retried = len(idx)
        resid = np.where(ok, resid, np.nan)
    G = np.where(ok, G, np.nan + 0j)
    info.residual = float(np.nanmax(resid)) if np.any(ok) else float("nan")
    info.failed = (~ok).reshape(shape)
    return [np.reshape(wi, shape) for wi in w], G.reshape(shape), info


def _newton_np(system, z, w, tol, maxit, admissible=False):
    n = system.n
    w = [np.array(wi, dtype=complex) for wi in w]
    done = np.zeros(len(z), dtype=bool)
    its = 0
    step = prev = np.full(len(z), np.inf)
    with np.errstate(all="ignore"):
        for its in range(1, maxit + 1):  # noqa: B007 (the count is returned)
            res, G, _ = _evaluate(system, z, w, NP)
            F = [r.v for r in res]
            # a (relative) residual at rounding level is converged (near a fold the step may
            # stagnate)
            done |= NP.norm(F) <= 64 * np.finfo(float).eps
            J = [[r.d[j] for j in range(n)] for r in res]
            dw = NP.solve(J, F)
            prev = np.where(done, prev, step)
            # per-component relative step (unknowns can differ by many orders of magnitude)
            step = NP.norm([np.abs(d) / np.maximum(np.abs(q), 1e-300) for d, q in zip(dw, w)])
            finite = np.isfinite(step)
            upd = ~done & finite
            for i in range(n):
                w[i] = np.where(upd, w[i] - dw[i], w[i])
            done |= finite & (step <= tol)
            if np.all(done | ~finite):
                break
        res, G, args = _evaluate(system, z, w, NP)
        resid = NP.norm([r.v for r in res])
        # the last update, when maxit ends the loop: converged where the (relative) residual
        # is at rounding level and the steps converge quadratically (the last s_k at most
        # 1e-3 of the one before, and the error left after it, ~ s_k^3 / s_(k-1)^2, below
        # tol): a jump to the axis typically ends with steps 1e-4, 1e-8 and a residual of
        # 1e-16. Near a singular point (an edge) Newton converges linearly: not accepted
        done |= ((resid <= 64 * np.finfo(float).eps) & (step <= 1e-3 * prev)
                 & (step ** 3 <= tol * prev ** 2))
    if admissible:
        adm = np.isfinite(resid)
        for a in args:
            adm &= np.imag(a) >= -1e-9 * (1 + np.abs(a))
        return w, its, done, resid, adm
    return w, its, done, resid


#: the Newton tolerance (relative step) at the points of a float64 path above its target
PATH_TOL = 1e-10
#: the predictor in log w against log z is used where |z| >= POWER_FROM * system.scale or
#: Im z >= POWER_HEIGHT * system.scale (used all the way to the axis next to a hard edge at 0, it
#: started Newton in the basin of a real root there)
POWER_FROM = 0.5
POWER_HEIGHT = 0.1

#: grid continuation along x: the fewest points (one Im z) for which it is used, and the spacing
#: (in grid points, a power of 2) of the points that follow the path from x + iY
GRID_MIN = 512
GRID_STRIDE = 32


def _solve_grid(system, z, *, ratio, tol, maxit):
    """Grid continuation along x, or None when z is not a grid (too few points, several Im z).

    The points are sorted by x; every ``GRID_STRIDE``-th (and the last) is solved by the path
    from x + iY (:func:`solve_np` with ``grid=False``). Every point between two such anchors
    starts Newton from the linear interpolation of their solutions, and the result is kept
    only where it is certified as the physical root (Newton converged within 6 iterations,
    residual <= 1e-9, and one of):

    * both anchors lie strictly inside a band (Im G < -1e-8 |G|) and so does the point, with
      every argument of a component Cauchy transform strictly inside C+ (Im a > 1e-8 (1 + |a|)),
      where the subordination fixed point is unique;
    * both anchors are real points off the bands (the arguments and G real), and so is the
      point, with F = 1/G increasing at least like x: F'(x) >= 1 (F'(x) = 1 + the integral of
      a positive measure against 1/(x - t)^2 off the support). At an edge the two real roots
      that meet have F' of opposite signs, so this keeps the physical one.

    Next to an edge (anchors of two kinds) Newton starts from the line through the two anchors
    on one side, then on the other, each result certified for that side's kind. Every other
    point (an anchor that failed, Newton failed, not certified) runs the path. A system without
    component Cauchy transforms (no arguments to certify) is not solved on a grid (None).
    """
    z = np.asarray(z, dtype=complex)
    shape = z.shape
    zf = z.ravel()
    N = zf.size
    if N < GRID_MIN or not np.all(zf.imag == zf.imag[0]) or not np.all(np.isfinite(zf)):
        return None
    n = system.n
    z1 = zf[:1] + 1j * _start_height(system, 0.0)
    with np.errstate(all="ignore"):
        if not _evaluate(system, z1, system.guess(z1, NP), NP)[2]:
            # no component Cauchy transform (e.g. one unknown with a closed-form equation):
            # nothing certifies a root inside the bands; the path for every point
            return None
    order = np.argsort(zf.real, kind="stable")
    zs = zf[order]
    x = zs.real
    info = PathInfo()
    w = [np.full(N, np.nan + 0j) for _ in range(n)]
    G = np.full(N, np.nan + 0j)
    ok = np.zeros(N, dtype=bool)      # solved, on the physical branch
    resid = np.full(N, np.nan)

    def run_path(idx, retry):
        wp, Gp, ip = solve_np(system, zs[idx], ratio=ratio, tol=tol, maxit=maxit, grid=False,
                              retry=retry)
        for i in range(n):
            w[i][idx] = wp[i]
        G[idx] = Gp
        ok[idx] = ~ip.failed
        info.steps += ip.steps
        info.newton_iterations += ip.newton_iterations
        info.retried += ip.retried
        resid[idx[~ip.failed]] = ip.residual  # the path reports its largest residual only

    anchors = np.unique(np.append(np.arange(0, N, GRID_STRIDE), N - 1))
    # no retries on finer schedules for the anchors: a point that fails (an atom, an edge, a
    # singular point) runs the path again below with its neighbours, retries included
    run_path(anchors, False)
    # the kind of each solved point: 1 strictly inside a band, -1 real (off the bands), 0 neither
    kind = np.zeros(N, dtype=int)
    with np.errstate(invalid="ignore"):
        band = ok & (G.imag < -1e-8 * np.abs(G))
        real = ok & (np.abs(G.imag) <= 1e-12 * np.abs(G))
        for wi in w:
            real &= np.abs(wi.imag) <= 1e-12 * (1 + np.abs(wi))
    kind[anchors] = np.where(band, 1, np.where(real, -1, 0))[anchors]

    def attempt(idx, start, want):
        """Newton from ``start`` at the points ``idx``; keeps the results certified as the
        physical root of the kind ``want`` (1 inside a band, -1 real); returns the mask."""
        wn, its, conv, res, adm = _newton_np(system, zs[idx], start, tol, 8, admissible=True)
        info.newton_iterations += its
        with np.errstate(all="ignore"):
            # G, its derivative dG/dz along the branch, and the arguments at the new points
            wd = [Dual.variable(wn[i], i, n + 1) for i in range(n)]
            args: list = []
            rd, Gd = system.evaluate(Dual.variable(zs[idx], n, n + 1), wd, NP, args)
            dw = NP.solve([[r.d[j] for j in range(n)] for r in rd], [-r.d[n] for r in rd])
            Gn = np.asarray(Gd.v, dtype=complex) * np.ones(idx.size)
            dG = Gd.d[n] + sum(Gd.d[i] * dw[i] for i in range(n))
            good = conv & adm & np.isfinite(res) & (res <= 1e-9)
            inner = (want == 1) & (Gn.imag < -1e-8 * np.abs(Gn))
            for a in args:
                inner &= np.imag(a) > 1e-8 * (1 + np.abs(a))
            outer = (want == -1) & (np.abs(Gn.imag) <= 1e-12 * np.abs(Gn))
            for wi in wn:
                outer &= np.abs(wi.imag) <= 1e-12 * (1 + np.abs(wi))
            outer &= np.real(-dG / (Gn * Gn)) >= 1 - 1e-6
            good &= inner | outer
        keep = idx[good]
        for i in range(n):
            w[i][keep] = wn[i][good]
        G[keep] = Gn[good]
        resid[keep] = res[good]
        ok[keep] = True
        kind[keep] = want[good]
        info.grid += int(keep.size)
        return good

    def from_side(idx, a, b):
        """Newton at ``idx`` from the line through the solutions at the points a and b (from
        the one at a when b is of another kind), certified for a's kind; the mask of the
        points solved."""
        done = np.zeros(idx.size, dtype=bool)
        use = kind[a] != 0
        if np.any(use):
            idx, a, b = idx[use], a[use], b[use]
            same = (kind[a] == kind[b]) & (a != b)
            t = np.where(same, (x[idx] - x[a]) / np.where(same, x[a] - x[b], 1.0), 0.0)
            good = attempt(idx, [wi[a] + t * (wi[a] - wi[b]) for wi in w], kind[a])
            done[np.nonzero(use)[0][good]] = True
        return done

    idx = np.setdiff1d(np.arange(N), anchors)
    pos = np.searchsorted(anchors, idx)
    left, right = anchors[pos - 1], anchors[pos]
    # between two anchors of one kind: Newton from the linear interpolation
    same = (kind[left] == kind[right]) & (kind[left] != 0)
    if np.any(same):
        i, lt, rt = idx[same], left[same], right[same]
        t = (x[i] - x[lt]) / np.maximum(x[rt] - x[lt], 1e-300)
        attempt(i, [wi[lt] + t * (wi[rt] - wi[lt]) for wi in w], kind[lt])
    # next to an edge (anchors of two kinds, or one that failed): Newton from the line through
    # the two anchors on one side, then on the other; each result certified for its own kind
    i, p = idx[~same], pos[~same]
    for side in (-1, 1):
        a = p - 1 if side < 0 else p
        done = from_side(i, anchors[a], anchors[np.clip(a + side, 0, anchors.size - 1)])
        i, p = i[~done], p[~done]
    # what is left (next to an edge or an atom): from the solved neighbours on either side
    i = np.nonzero(~ok)[0]
    for side in (-1, 1):
        done = from_side(i, np.clip(i + side, 0, N - 1), np.clip(i + 2 * side, 0, N - 1))
        i = i[~done]
    path = i
    if path.size:
        run_path(np.sort(path), True)
    inv = np.empty(N, dtype=int)
    inv[order] = np.arange(N)
    G = np.where(ok, G, np.nan + 0j)[inv]
    info.residual = float(np.nanmax(resid)) if np.any(ok) else float("nan")
    info.failed = (~ok)[inv].reshape(shape)
    return [wi[inv].reshape(shape) for wi in w], G.reshape(shape), info
