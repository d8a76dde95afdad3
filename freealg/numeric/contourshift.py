"""Cauchy transform of a Gaussian push-forward by a shifted contour and its residues.

The law of x = f(h), h ~ N(0, q), has the Cauchy transform

    G(z) = int_R phi_q(h) / (z - f(h)) dh,        phi_q(h) = exp(-h^2/(2q)) / sqrt(2 pi q).

For f analytic in a strip |Im h| < a, the integrand is analytic there except at the roots h_k of
f(h) = z (simple poles, the preimages of z). Near the real axis of z those poles come close to
the real h-line and any fixed rule fails on R. Moving the line to R + i d (Cauchy's theorem; the
Gaussian weight is entire and decays along the strip):

    G(z) = int_{R + i d} phi_q/(z - f) dh + 2 pi i sum_{0 < Im h_k < d} Res_k          (d > 0)
         = int_{R - i d} phi_q/(z - f) dh - 2 pi i sum_{-d < Im h_k < 0} Res_k,
    Res_k = -phi_q(h_k) / f'(h_k),

and G'(z) the same with -phi_q/(z - f)^2 and the double-pole residues
(phi_q' f' - phi_q f'')/f'^3 at h_k. On the shifted lines the integrand is analytic at distance
>= d' from the line (d' = the distance to the nearest pole or singularity of f), so the
trapezoidal rule of step s converges like exp(-2 pi d'/s): a fixed rule works at every z.

Each point is computed on both lines, +d and -d (the poles each crosses are disjoint sets), and
each line with the trapezoidal rule of steps s and 2 s (nested nodes). The error estimate of a
point is the largest of the two step differences and of the difference between the two lines;
a missed pole shows there as a jump 2 pi i Res_k. Points whose estimate exceeds the tolerance
are reported as not done (the caller computes them another way).

The poles are found by complex Newton from the real preimages of Re z on every monotone span of
f (and from both square-root starts at its critical points), then deduplicated.

This engine module works on sympy expressions in one variable and floats (low layer).

Examples
--------
>>> import numpy as np, sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> m = ShiftedContour(x**2, x, 1.0, [(-np.inf, 0.0), (0.0, np.inf)])   # chi-square(1)
>>> z = np.array([0.5 + 0j, 2.0 + 0.5j])
>>> G, dG, err, ok = m.gdg(z)
>>> # G of chi^2_1 on the real axis: Im G(x + i0) = -pi rho(x) = -pi e^{-x/2}/sqrt(2 pi x)
>>> bool(abs(G[0].imag + np.pi * np.exp(-0.25) / np.sqrt(np.pi)) < 1e-14), bool(ok.all())
(True, True)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import sympy as sp

__all__ = ["ShiftedContour", "meromorphic"]

_EPS = 2.2e-16
_TWO_PI_I = 2j * math.pi


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for a few columns b, by products and sums (no BLAS: on a loaded machine the
    threads a BLAS starts for these small products make them many times slower)."""
    return np.stack([np.einsum("pn,n->p", a, np.ascontiguousarray(b[:, k]))
                     for k in range(b.shape[1])], axis=1)


def _complex_fns(expr: sp.Expr, var: sp.Symbol, order: int = 2):
    """(f, f', ...) up to the derivative of ``order`` at complex numpy arrays, evaluated
    together (common subexpressions once)."""
    es = [expr]
    for _ in range(order):
        es.append(sp.diff(es[-1], var))
    t = sp.Symbol("t_cshift")
    fn = sp.lambdify(t, tuple(e.xreplace({var: t}) for e in es),
                     modules=["numpy", "scipy"], cse=True)

    def f(h):
        h = np.asarray(h, dtype=complex)
        with np.errstate(all="ignore"):
            out = fn(h)
        return tuple(np.broadcast_to(np.asarray(v, dtype=complex), h.shape) for v in out)

    return f


#: sympy functions that are entire or meromorphic (no branch cut can hide between two lines)
_MEROMORPHIC = (sp.exp, sp.sin, sp.cos, sp.tan, sp.cot, sp.sinh, sp.cosh, sp.tanh, sp.coth,
                sp.sec, sp.csc, sp.sech, sp.csch, sp.erf, sp.erfc)


def meromorphic(expr: sp.Expr) -> bool:
    """Whether ``expr`` is built from numbers, its variable, +, *, integer powers and entire or
    meromorphic functions only (then the integrand of G has no singularity in the band between
    the two lines but the roots of f(h) = z, which are counted).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> meromorphic((1 - sp.tanh(x)**2)**2), meromorphic(sp.sqrt(1 + x**2))
    (True, False)
    """
    for node in sp.preorder_traversal(expr):
        if node.is_Atom:
            if node.is_number and not (node.is_real and node.is_finite):
                return False
            continue
        if isinstance(node, (sp.Add, sp.Mul)):
            continue
        if isinstance(node, sp.Pow):
            if not (node.exp.is_Integer or not node.base.free_symbols):
                return False
            continue
        if isinstance(node, _MEROMORPHIC):
            continue
        return False
    return True


class ShiftedContour:
    """G and G' of the law of f(h), h ~ N(0, q) (times 1/wc), f a real sympy expression in
    ``var`` (entire or meromorphic, :func:`meromorphic`), by the shifted contours of the module
    docstring. ``spans`` are the monotone spans (h0, h1) of f (ends may be infinite; the
    critical points of f are their finite ends).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> m = ShiftedContour(sp.tanh(x), x, 1.0, [(-np.inf, np.inf)])
    >>> G, dG, err, ok = m.gdg(np.array([3.0 + 0j]))     # real outside the range: real G
    >>> bool(ok[0]), bool(abs(G[0].imag) < 1e-17)
    (True, True)
    """

    #: the lines are tried at these fractions of the height d (a point not done at one goes to
    #: the next; a level is skipped where a root found lies within 0.7 of its height of a line:
    #: there the coarse rule cannot reach 1e-14)
    LEVELS = (1.0, 0.6, 0.35, 0.2, 0.12)

    def __init__(self, expr: sp.Expr, var: sp.Symbol, q: float, spans: Sequence[tuple],
                 wc: float = 1.0, rtol: float = 1e-13):
        self.q = float(q)
        self.wc = float(wc)
        self.rtol = rtol
        sq = math.sqrt(self.q)
        self.usable = meromorphic(expr) and var in expr.free_symbols
        if not self.usable:
            return
        self.fc = _complex_fns(expr, var)
        self.f1 = _complex_fns(expr, var, 1)
        # the Gaussian weight is below 2.6e-18 of its peak beyond |h| = 9 sqrt(q) (4.3e-18 after
        # the factor exp(d^2/(2q)) <= e^(1/2) it gains on a shifted line); the tails beyond are
        # bounded and added to the error estimate
        self.T = 9.0 * sq
        # line heights: d <= sqrt(q) (that factor), <= 1 (the scale of an activation's features)
        self.d0 = min(sq, 1.0)
        self.rules = []
        for frac in self.LEVELS:
            d = self.d0 * frac
            # trapezoidal step s = d/16: the coarse rule (step 2 s) converges like
            # exp(-2 pi c/(2 s)) = e^(-16 pi c/d) when the nearest singularity is c away from
            # the line (e^-35 at c = 0.7 d), the fine rule like its square
            m = int(math.ceil(self.T / (d / 16.0)))
            m += (-m) % 8          # 2 m + 1 nodes: the coarse rule of stride 4 takes every 8th
            nodes = np.linspace(-self.T, self.T, 2 * m + 1)
            self.rules.append((d, self._line_data(nodes, self.T / m, d),
                               self._line_data(nodes, self.T / m, -d)))
        gx, gw = np.polynomial.legendre.leggauss(12)
        self.gl = (gx, gw)
        # Newton starts: a real point inside each span (a preimage table), the critical points
        self.tables = []
        for h0, h1 in spans:
            lo, hi = max(float(h0), -self.T), min(float(h1), self.T)
            if not lo < hi:
                continue
            hs = np.linspace(lo, hi, 257)
            fs = self.fc(hs)[0].real
            if fs[-1] < fs[0]:
                hs, fs = hs[::-1], fs[::-1]
            self.tables.append((np.maximum.accumulate(fs), hs))
        crit = sorted({float(c) for h0, h1 in spans for c in (h0, h1)
                       if math.isfinite(float(c)) and abs(float(c)) < self.T})
        vals = self.fc(np.array(crit, dtype=float))
        self.crit = [(c, v, d2) for c, v, d2 in zip(crit, vals[0], vals[2]) if d2 != 0]

    # ------------------------------------------------------------------------------------
    def _phi(self, h):
        return np.exp(-h * h / (2 * self.q)) / math.sqrt(2 * math.pi * self.q)

    def _starts(self, z):
        """Newton starts, shape (points, k)."""
        cols = []
        for fs, hs in self.tables:
            cols.append(np.interp(np.clip(z.real, fs[0], fs[-1]), fs, hs) + 0j)
        for c, fcv, d2 in self.crit:
            r = np.sqrt(2 * (z - fcv) / d2)
            cols += [c + r, c - r]
        return np.stack(cols, axis=1)

    def _poles(self, z):
        """Roots of f(h) = z near the real line: (roots, valid), shape (points, k)."""
        h = self._starts(z).ravel()
        zz = np.repeat(z, h.size // max(z.size, 1))
        lim = 0.5 * self.d0
        act = np.arange(h.size)
        with np.errstate(all="ignore"):
            for _ in range(40):
                if not act.size:
                    break
                ha, za = h[act], zz[act]
                f, d1 = self.f1(ha)
                step = (f - za) / d1
                a = np.abs(step)
                step = np.where(a > lim, step * (lim / a), step)
                ha = ha - step
                h[act] = ha
                # stop the converged, the lost (non-finite) and those far from the band
                keep = (np.isfinite(ha) & (np.abs(step) > 1e-15 * (1 + np.abs(ha)))
                        & (np.abs(ha.imag) < 3 * self.d0) & (np.abs(ha.real) < self.T + 3))
                act = act[keep]
            f, d1 = self.f1(h)
            valid = (np.isfinite(h) & (np.abs(f - zz) <= 1e-12 * (1.0 + np.abs(zz)))
                     & (np.abs(h.imag) < 1.5 * self.d0) & (np.abs(h.real) < self.T)
                     & (d1 != 0))
        h, valid = h.reshape(z.size, -1), valid.reshape(z.size, -1)
        # one root found from several starts counts once
        for j in range(1, h.shape[1]):
            dup = np.zeros(h.shape[0], dtype=bool)
            for i in range(j):
                dup |= valid[:, i] & (np.abs(h[:, j] - h[:, i]) <= 1e-7 * (1 + np.abs(h[:, i])))
            valid[:, j] &= ~dup
        return h, valid

    def _line_data(self, nodes, step, shift):
        """What the sums on R + i shift need, independent of z, for the nested rules of steps
        k s, k = 4, 2, 1 (node subsets): per k, f on the subset and the weights (columns) of G
        with steps k s and 2 k s and of the log-derivative integral int f'/(f - z) dh with the
        same steps (trapezoidal: half weights at the ends), and the tail factor."""
        h = nodes + 1j * shift
        f, d1, _ = self.fc(h)
        w = self._phi(h) * step
        ends = np.ones(h.shape)
        ends[0] = ends[-1] = 0.5
        lg = -d1 * step * ends
        out = {}
        for k in (4, 2, 1):
            wk, lk = k * w[::k], k * lg[::k]
            e2 = np.zeros(wk.shape)
            e2[::2] = 2.0
            out[k] = (f[::k], np.stack([wk, wk * e2, lk, lk * e2], axis=1),
                      (abs(wk[0]) + abs(wk[-1])) * self.q / (self.T * k * step))
        return out

    @staticmethod
    def _line(z, data, want_d):
        """Sums on one line: columns (G with steps s and 2 s, log with s and 2 s), columns
        (G' with s and 2 s) or None, and the tail bound (the Gaussian tails beyond +-T: below
        the end terms times q/(T s))."""
        f, M, tail = data
        inv = 1.0 / (z[:, None] - f[None, :])
        A = _matmul(inv, M)
        B = -_matmul(inv * inv, M[:, :2]) if want_d else None
        return A, B, tail * np.maximum(np.abs(inv[:, 0]), np.abs(inv[:, -1]))

    @staticmethod
    def _estimate(g, top, bot):
        """The error estimate of the fine sums (columns: steps s and 2 s of each line): the
        change from the coarse rule, where it is below 1e-14 |g| (the fine rule converges
        geometrically, halving the step squares the error, so the coarse rule's error bounds
        the fine one's), else infinite."""
        d1 = np.maximum(np.abs(top[:, 0] - top[:, 1]), np.abs(bot[:, 0] - bot[:, 1]))
        return np.where(d1 <= 1e-14 * np.abs(g), d1, np.inf)

    def _side(self, z, x, d):
        """int_{-d}^{d} f'/(f - z) at x + i t dt (Gauss-Legendre, 12 nodes)."""
        gx, gw = self.gl
        f, d1, _ = self.fc(x + 1j * d * gx)
        with np.errstate(all="ignore"):
            return d * ((gw * d1)[None, :] / (f[None, :] - z[:, None])).sum(axis=1)

    def _level(self, z, todo, roots, valid, side, res, dres, d, top_d, bot_d, want_d, G, dG,
               err, done):
        """Both lines at height d with one rule for the points ``todo``; fills G, dG, err and
        done where the point is certified and returns that mask."""
        zt, rt, vt, st = z[todo], roots[todo], valid[todo], side[todo]
        up = vt & (st > 0) & (rt.imag < d)
        dn = vt & (st < 0) & (rt.imag > -d)
        with np.errstate(all="ignore"):
            tA, tD, t_tail = self._line(zt, top_d, want_d)
            bA, bD, b_tail = self._line(zt, bot_d, want_d)
            tL, tLc, bL, bLc = tA[:, 2], tA[:, 3], bA[:, 2], bA[:, 3]
            # the argument principle: the number of roots of f = z between the lines
            cnt = (bL - tL + 1j * (self._side(zt, self.T, d) - self._side(zt, -self.T, d))) \
                / _TWO_PI_I
            found = (up | dn).sum(axis=1)
            count_ok = ((np.abs(cnt - found) < 0.05)
                        & (np.abs((bLc - tLc) - (bL - tL)) < 0.05 * 2 * math.pi))
            rp = _TWO_PI_I * np.where(up, res[todo], 0).sum(axis=1)
            rm = -_TWO_PI_I * np.where(dn, res[todo], 0).sum(axis=1)
            Gp, Gm = tA[:, 0] + rp, bA[:, 0] + rm
            g = 0.5 * (Gp + Gm)
            e = self._estimate(g, tA[:, :2], bA[:, :2]) + np.abs(Gp - Gm) + t_tail + b_tail
            ok = count_ok & np.isfinite(g) & (e <= self.rtol * np.abs(g))
            if want_d:
                rp2 = -_TWO_PI_I * np.where(up, dres[todo], 0).sum(axis=1)
                rm2 = _TWO_PI_I * np.where(dn, dres[todo], 0).sum(axis=1)
                dGp, dGm = tD[:, 0] + rp2, bD[:, 0] + rm2
                dg = 0.5 * (dGp + dGm)
                de = self._estimate(dg, tD, bD) + np.abs(dGp - dGm)
                ok &= np.isfinite(dg) & (de <= self.rtol * np.abs(dg))
                e = np.maximum(e, de)
        k = todo[ok]
        G[k], err[k], done[k] = g[ok], e[ok], True
        if want_d:
            dG[k] = dg[ok]
        return ok

    def gdg(self, z: Any, want_d: bool = True) -> tuple:
        """(G, G' or None, error estimate, done) on a complex array z (shape (m,)); G and G'
        are meaningful where ``done`` (the estimate is within rtol of |G| and |G'|, and the
        roots of f(h) = z between the two lines were all found).

        Examples
        --------
        >>> import numpy as np, sympy as sp
        >>> x = sp.Symbol("x", real=True)
        >>> m = ShiftedContour(x, x, 1.0, [(-np.inf, np.inf)])       # the Gaussian itself
        >>> G, dG, err, ok = m.gdg(np.array([0j]))                   # G(i0) = -i sqrt(pi/2)
        >>> bool(abs(G[0] + 1j * np.sqrt(np.pi / 2)) < 1e-14), bool(ok[0])
        (True, True)
        """
        z = np.asarray(z, dtype=complex).ravel()
        G = np.full(z.shape, np.nan + 0j)
        dG = np.full(z.shape, np.nan + 0j)
        err = np.full(z.shape, np.inf)
        done = np.zeros(z.shape, dtype=bool)
        if not self.usable or z.size == 0:
            return G, (dG if want_d else None), err, done
        roots, valid = self._poles(z)
        with np.errstate(all="ignore"):
            f, d1, d2 = self.fc(roots)
            ph = self._phi(roots)
            res = -ph / d1
            dres = (-roots / self.q * ph * d1 - ph * d2) / d1 ** 3
            # which side of R each pole lies on (a real pole: the boundary value from the side
            # of z, Im h_k = Im z / f'(h_k) to first order)
            yz = np.where(z.imag < 0, -1.0, 1.0)[:, None]
            side = np.where(roots.imag != 0, np.sign(roots.imag), np.sign(d1.real) * yz)
        todo = np.arange(z.size)
        for d, top_d, bot_d in self.rules:
            if not todo.size:
                break
            near = (valid[todo] & (np.abs(np.abs(roots[todo].imag) - d) < 0.7 * d)).any(axis=1)
            wait, todo = todo[near], todo[~near]
            # the nested rules: a point done with 1/4 (1/2) of the nodes is not summed again
            for stride in (4, 2, 1):
                if not todo.size:
                    break
                ok = self._level(z, todo, roots, valid, side, res, dres, d, top_d[stride],
                                 bot_d[stride], want_d, G, dG, err, done)
                todo = todo[~ok]
            todo = np.concatenate([wait, todo])
        return G / self.wc, (dG / self.wc if want_d else None), err / self.wc, done
