#!/usr/bin/env python
"""Core density benchmark for freealg: time and accuracy side by side.

Laws
----
(1) semicircle(1) ⊞ MP(1/2)
(2) MP(1/2) ⊠ MP(1/3)

(MP(c) = Marchenko-Pastur law of (1/n) X X^T, X p x n, c = p/n; it is free Poisson with
rate 1/c and jump c.)

Methods
-------
(a) ``law.density(x)`` on a numpy grid (float64 path, one vectorised call);
(b) ``law.density(x_i, dps=30)`` point by point (mpmath path);
(c) Monte Carlo: numpy ``eigvalsh`` of an N x N random-matrix model, histogram density.

Accuracy reference
------------------
Independent of freealg's engine. Both laws have rational R- or S-transforms, so the Cauchy
transform solves a polynomial equation P(G, x) = 0:

* ⊞: K(w) = R(w) + 1/w = z with R = R_semicircle + R_MP, substituted w = G;
* ⊠: chi(m) = m S(m)/(1 + m) = 1/z with S = S_MP1 * S_MP2, substituted m = zG - 1.

Conventions used (written out here, not taken from freealg): semicircle(v): R(w) = v w;
free Poisson(rate lam, jump a): R(w) = lam a/(1 - a w), S(m) = 1/(a (m + lam)).

P is derived with sympy; at each grid point x its roots are found with ``mpmath.polyroots`` at
50 digits and the physical root is the one with Im G < 0.
Support edges are the real roots of Disc_G P (and of the leading coefficient). Rule 2 alone is
NOT enough: for the ⊠ law a conjugate pair also exists for x < -0.0251 on a non-physical sheet.
So every candidate interval is confirmed by rule 1 (follow the branch G ~ 1/z from x + 1e4 i
down to x + 1e-30 i with adaptive steps and an unambiguous-nearest-root test) before it is
accepted as a band. The reference is then validated by (i) total mass = 1 (both laws have no
atoms), (ii) the first two moments against values computed by hand from free cumulants / the
moment formula for free products, (iii) continuity of the selected root along the grid and
rule 1 = rule 2 on a sample of grid points. freealg's own ``edges()`` are compared with the
discriminant roots for information.

Usage
-----
    python benchmarks/bench_core.py            # full: dps=30 path on all 1000 points
    python benchmarks/bench_core.py --quick    # dps=30 path on a 50-point subsample (< ~60 s)

Run from the repository root (the package is imported from there).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field

# --blas-threads must act before numpy loads OpenBLAS/MKL
for _i, _a in enumerate(sys.argv):
    if _a.startswith("--blas-threads"):
        _n = _a.split("=", 1)[1] if "=" in _a else sys.argv[_i + 1]
        for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_v] = _n

import numpy as np
import mpmath
import sympy as sp

# run from the repository root or from benchmarks/
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import freealg as fa  # noqa: E402

REF_DPS = 50
G_, X_, W_, M_ = sp.symbols("G x w m")


# ------------------------------------------------------------------------------------------
# independent reference: algebraic equation P(G, x) = 0 from rational R / S transforms


def r_semicircle(v, w):
    return v * w


def r_free_poisson(lam, a, w):
    return lam * a / (1 - a * w)


def s_free_poisson(lam, a, m):
    return 1 / (a * (m + lam))


def mp_params(c):
    """Marchenko-Pastur ratio c -> (rate, jump) of the free Poisson law."""
    c = sp.Rational(c)
    return 1 / c, c


def poly_from_r(R):
    """P(G, x) from K(w) = R(w) + 1/w = x with w = G (numerator, primitive, squarefree)."""
    expr = sp.together(R.subs(W_, G_) + 1 / G_ - X_)
    return _clean(sp.numer(expr))


def poly_from_s(S):
    """P(G, x) from chi(m) = m S(m)/(1 + m) = 1/x with m = xG - 1."""
    chi = M_ * S / (1 + M_)
    expr = sp.together(chi.subs(M_, X_ * G_ - 1) - 1 / X_)
    return _clean(sp.numer(expr))


def _clean(num):
    """Drop factors free of G (e.g. powers of x) and keep the single factor that involves G."""
    _, factors = sp.factor_list(sp.expand(num), G_, X_)
    keep = [f for f, _ in factors if f.has(G_)]
    if len(keep) != 1:
        raise RuntimeError(f"expected one irreducible factor in G, got {keep}")
    return sp.Poly(keep[0], G_, X_)


@dataclass
class Reference:
    """Density from P(G, x) = 0 by polynomial roots at REF_DPS digits."""

    P: sp.Poly
    dps: int = REF_DPS
    coeff_fns: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    bands: list = field(default_factory=list)

    def __post_init__(self):
        pg = sp.Poly(self.P.as_expr(), G_)
        self.degree = pg.degree()
        # coefficients (highest first) as exact polynomials in x, evaluated in mpmath
        self._coeffs = [sp.Poly(c, X_) for c in pg.all_coeffs()]
        self._coeff_lists = [[sp.Rational(q) for q in c.all_coeffs()] for c in self._coeffs]
        self.disc = sp.Poly(sp.discriminant(pg.as_expr(), G_), X_)
        self.lead = self._coeffs[0]
        self._find_support()

    # roots --------------------------------------------------------------------------------
    def _coeffs_at(self, z):
        return [mpmath.polyval([mpmath.mpf(q.p) / q.q for q in cl], z) for cl in self._coeff_lists]

    def _polyroots(self, cs, init=None):
        """mpmath.polyroots (Durand-Kerner) at self.dps digits. Starting values: ``init`` or
        numpy's float roots, nudged off the real axis so that a conjugate pair can form; this
        only saves iterations: convergence is judged by mpmath at full precision."""
        while len(cs) > 1 and cs[0] == 0:       # degree drops (e.g. x = 0 for the ⊠ law)
            cs = cs[1:]
        if init is None:
            init = np.roots([complex(c) for c in cs])
        init = [mpmath.mpc(complex(r)) + mpmath.mpc(0, 1e-3 * (k + 1) * (-1) ** k)
                for k, r in enumerate(init)]
        try:
            return mpmath.polyroots(cs, maxsteps=400, extraprec=20, roots_init=init)
        except mpmath.libmp.NoConvergence:
            # (near) double root at a support edge: the roots are only determined to about
            # sqrt(working eps), and polyroots' tolerance is the caller's eps, so work at more
            # than twice the precision (Durand-Kerner is linear there: more steps too)
            return mpmath.polyroots(cs, maxsteps=5000, extraprec=2 * mpmath.mp.prec + 40,
                                    roots_init=init)

    def roots(self, x):
        with mpmath.workdps(self.dps):
            return self._polyroots(self._coeffs_at(mpmath.mpf(x)))

    def _pair_root(self, x):
        """The root with Im G < 0 when exactly one conjugate pair exists, else None."""
        with mpmath.workdps(self.dps):
            rs = self.roots(x)
            tiny = mpmath.mpf(10) ** (-(self.dps - 10))
            cplx = [r for r in rs if abs(mpmath.im(r)) > tiny * (1 + abs(r))]
            if len(cplx) == 0:
                return None
            if len(cplx) != 2:
                raise RuntimeError(f"{len(cplx)} non-real roots at x={x}: branch ambiguous")
            return min(cplx, key=lambda r: mpmath.im(r))   # Im G < 0 (rule 2)

    def G(self, x):
        """Boundary value G(x + i0) on the physical branch inside a validated band; None
        outside the support (there G is real and the density is 0)."""
        if not any(a < x < b for a, b in self.bands):
            return None
        return self._pair_root(x)

    def density(self, x):
        with mpmath.workdps(self.dps):
            g = self.G(x)
            return mpmath.mpf(0) if g is None else -mpmath.im(g) / mpmath.pi

    def track(self, x, y_end=None):
        """Follow the branch G ~ 1/z from z = x + iY down to x + i*y_end:
        geometric steps in Im z, accept a step only if the nearest root is unambiguous
        (distance ratio < 0.2), else halve the step. Independent of rule 2."""
        with mpmath.workdps(self.dps):
            y_end = mpmath.mpf(10) ** -30 if y_end is None else mpmath.mpf(y_end)
            x = mpmath.mpf(x)

            def roots_at(z):
                return self._polyroots(self._coeffs_at(z))

            y = mpmath.mpf(1e4)
            z = mpmath.mpc(x, y)
            g = min(roots_at(z), key=lambda r: abs(r - 1 / z))
            ratio = mpmath.mpf("0.5")
            steps = 0
            while y > y_end:
                y_new = max(y * ratio, y_end)
                rs = sorted(roots_at(mpmath.mpc(x, y_new)), key=lambda r: abs(r - g))
                d0, d1 = abs(rs[0] - g), abs(rs[1] - g)
                if d0 < mpmath.mpf("0.2") * d1:
                    g, y = rs[0], y_new
                    ratio = max(ratio * ratio, mpmath.mpf("1e-3"))   # speed up again
                else:
                    ratio = mpmath.sqrt(ratio)
                    if ratio > 1 - mpmath.mpf("1e-12"):
                        raise RuntimeError(f"branch tracking stalled at x={x}, y={y}")
                steps += 1
            return g, steps

    # support --------------------------------------------------------------------------------
    def _find_support(self):
        with mpmath.workdps(self.dps):
            cands = set()
            for poly in (self.disc, self.lead):
                if poly.degree() <= 0:
                    continue
                cs = [mpmath.mpf(sp.Rational(q).p) / sp.Rational(q).q for q in poly.all_coeffs()]
                for r in mpmath.polyroots(cs, maxsteps=400, extraprec=4 * self.dps):
                    if abs(mpmath.im(r)) < mpmath.mpf(10) ** (-(self.dps // 2)):
                        cands.add(mpmath.re(r))
            cands = sorted(cands)
            span = (cands[-1] - cands[0]) if len(cands) > 1 else 1
            # candidate intervals: a complex-conjugate pair exists (rule 2) ...
            bands, rejected = [], []
            for a, b in zip(cands[:-1], cands[1:]):
                mid = (a + b) / 2
                g2 = self._pair_root(mid)
                if g2 is None:
                    continue
                # ... and branch tracking from i*infinity lands on that root (rule 1)
                g1, _ = self.track(mid)
                if abs(g1 - g2) < mpmath.mpf(10) ** -20:
                    if bands and bands[-1][1] == a:
                        bands[-1] = (bands[-1][0], b)    # touching bands (cusp candidate)
                    else:
                        bands.append((a, b))
                else:
                    rejected.append((a, b))          # unphysical sheet (G is real there)
            # the two unbounded ends: a pair may exist there, but it must not be physical
            for xo, iv in ((cands[0] - span / 7, (-mpmath.inf, cands[0])),
                           (cands[-1] + span / 7, (cands[-1], mpmath.inf))):
                g2 = self._pair_root(xo)
                if g2 is not None:
                    g1, _ = self.track(xo)
                    if abs(g1 - g2) < mpmath.mpf(10) ** -20:
                        raise RuntimeError("physical conjugate pair outside the discriminant roots")
                    rejected.append(iv)
            self.edges = cands
            self.bands = bands
            self.rejected = rejected

    def moments(self, ks, lo, hi, dps=20):
        """int x^k rho(x) dx over [lo, hi] for k in ks (tanh-sinh quadrature at ``dps``; the
        density values are shared between the k's, since the nodes are the same)."""
        memo = {}

        def rho(t):
            key = mpmath.mpf(t)
            if key not in memo:
                memo[key] = self.density(key)
            return memo[key]

        with mpmath.workdps(dps):
            return [mpmath.quad(lambda t, k=k: t**k * rho(t), [lo, hi]) for k in ks]


def build_laws():
    """(name, freealg law, reference, exact m1, exact m2, Monte Carlo sampler)."""
    half, third = sp.Rational(1, 2), sp.Rational(1, 3)
    l1, a1 = mp_params(half)
    l2, a2 = mp_params(third)

    # (1) semicircle(1) ⊞ MP(1/2): free cumulants add.
    #     kappa(semicircle(1)) = (0, 1, 0, ...); kappa_n(MP(c)) = c^(n-1).
    #     m1 = kappa1 = 1, m2 = kappa2 + kappa1^2 = (1 + 1/2) + 1 = 5/2.
    R1 = r_semicircle(1, W_) + r_free_poisson(l1, a1, W_)
    P1 = poly_from_r(R1)
    law1 = fa.free_additive(fa.semicircle(1), fa.marchenko_pastur(half))

    # (2) MP(1/2) ⊠ MP(1/3): S-transforms multiply. For free a, b:
    #     m1(ab) = m1(a) m1(b) = 1;  m2 = m2(a) m1(b)^2 + m1(a)^2 m2(b) - m1(a)^2 m1(b)^2
    #     with m2(MP(c)) = 1 + c: m2 = 3/2 + 4/3 - 1 = 11/6.
    S2 = s_free_poisson(l1, a1, M_) * s_free_poisson(l2, a2, M_)
    P2 = poly_from_s(S2)
    law2 = fa.free_multiplicative(fa.marchenko_pastur(half), fa.marchenko_pastur(third))

    def sample1(N, rng):
        # GOE with off-diagonal variance 1/N (semicircle of variance 1) + Wishart (1/n) X X^T,
        # X of size N x n, N/n = 1/2.
        A = rng.standard_normal((N, N))
        H = (A + A.T) / np.sqrt(2 * N)
        n = 2 * N
        X = rng.standard_normal((N, n))
        W = X @ X.T / n
        return np.linalg.eigvalsh(H + W)

    def sample2(N, rng):
        # eig(W1 W2) = eig(L^T W2 L) with W1 = L L^T (Cholesky), W_i independent Wisharts,
        # ratios N/n1 = 1/2, N/n2 = 1/3.
        n1, n2 = 2 * N, 3 * N
        X1 = rng.standard_normal((N, n1))
        X2 = rng.standard_normal((N, n2))
        W1 = X1 @ X1.T / n1
        W2 = X2 @ X2.T / n2
        L = np.linalg.cholesky(W1)
        return np.linalg.eigvalsh(L.T @ W2 @ L)

    return [
        ("semicircle(1) ⊞ MP(1/2)", law1, Reference(P1), sp.Integer(1), sp.Rational(5, 2), sample1),
        ("MP(1/2) ⊠ MP(1/3)", law2, Reference(P2), sp.Integer(1), sp.Rational(11, 6), sample2),
    ]


# ------------------------------------------------------------------------------------------
# benchmark


@dataclass
class Row:
    law: str
    method: str
    npts: str          # points actually evaluated
    measured_s: float  # wall time actually measured for those points
    per_pt_ms: float | None
    grid_s: float | None   # time for the whole grid (measured, or extrapolated for (b))
    max_err: float | None
    failed: str
    note: str = ""


def fmt_err(e):
    if e is None:
        return "-"
    if isinstance(e, float) and np.isnan(e):
        return "nan"
    return f"{e:.2e}"


def timeit(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_law(name, law, ref, m1, m2, sampler, args, rows, checks):
    lo, hi = ref.bands[0][0], ref.bands[-1][1]
    npts = args.points
    lo_f, hi_f = float(lo), float(hi)
    # midpoint grid of npts cells covering [lo, hi] (edges excluded, nearest at half a cell)
    x = lo_f + (hi_f - lo_f) * (np.arange(npts) + 0.5) / npts

    # ---- reference ------------------------------------------------------------------------
    t0 = time.perf_counter()
    Gref = [ref.G(xi) for xi in x]
    t_ref = time.perf_counter() - t0
    with mpmath.workdps(REF_DPS):
        dref_mp = [mpmath.mpf(0) if g is None else -mpmath.im(g) / mpmath.pi for g in Gref]
    dref = np.array([float(d) for d in dref_mp])
    n_outside = sum(g is None for g in Gref)
    # checks on the reference
    mass, mom1, mom2 = ref.moments((0, 1, 2), lo, hi)
    with mpmath.workdps(REF_DPS):
        m1, m2 = (mpmath.mpf(sp.Rational(q).p) / sp.Rational(q).q for q in (m1, m2))
    jumps = [abs(complex(Gref[i + 1]) - complex(Gref[i])) for i in range(npts - 1)
             if Gref[i] is not None and Gref[i + 1] is not None]
    h = (hi_f - lo_f) / npts
    # rule 1 (branch tracking from i*infinity) against rule 2 (Im G < 0 root) on some grid points
    trk = 0.0
    for i in np.unique(np.round(np.linspace(0, npts - 1, args.track_points)).astype(int)):
        g1, _ = ref.track(x[i])
        g2 = Gref[i] if Gref[i] is not None else g1
        trk = max(trk, float(abs(g1 - g2)))
    # freealg's own support edges against the discriminant roots (information only)
    try:
        t0 = time.perf_counter()
        fe = [e.location for e in law.edges()]
        t_e = time.perf_counter() - t0
        with mpmath.workdps(REF_DPS):
            ref_e = [e for b in ref.bands for e in b]
            if len(fe) == len(ref_e):
                d = max(abs(mpmath.mpf(a) - b) for a, b in zip(sorted(fe), ref_e))
                edge_msg = (f"freealg edges() {len(fe)} found in {t_e:.2f} s, max |diff| vs "
                            f"reference {mpmath.nstr(d, 3)}")
            else:
                edge_msg = f"freealg edges() returned {fe} (reference: {len(ref_e)} edges)"
    except Exception as exc:  # noqa: BLE001
        edge_msg = f"freealg edges() raised {exc!r}"[:200]
    checks.append((name, ref, lo, hi, mass, mom1 - m1, mom2 - m2, max(jumps), n_outside,
                   trk, args.track_points, edge_msg))
    rows.append(Row(name, "reference: polyroots 50 dps", str(npts), t_ref, 1e3 * t_ref / npts,
                    t_ref, None, "-", "independent of freealg; checks below"))

    # ---- (a) float64 path -------------------------------------------------------------------
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        d_a = law.density(x)               # first call on this law object (cold caches)
        t_cold = time.perf_counter() - t0
        t_warm, d_a = timeit(lambda: law.density(x), args.repeat)
        G_a = law.cauchy(x.astype(complex))
    nan_d = int(np.sum(~np.isfinite(d_a)))
    nan_G = int(np.sum(~np.isfinite(G_a)))
    zero_inside = int(np.sum((d_a == 0) & (dref > 0)))
    err_a = float(np.nanmax(np.abs(d_a - dref))) if np.any(np.isfinite(d_a)) else float("nan")
    bad = np.isfinite(d_a) & (np.abs(d_a - dref) > 1e-9)
    note = f"best of {args.repeat} (cold first call {t_cold:.3f} s)"
    if bad.any():
        note += f"; {int(bad.sum())} pts err>1e-9"
    ok = t_warm < 0.2 and err_a < 1e-9 and nan_d == 0 and nan_G == 0 and zero_inside == 0
    note += f"; target <0.2 s & <1e-9: {'MET' if ok else 'MISSED'}"
    rows.append(Row(name, "(a) density(ndarray) float64", str(npts), t_warm, 1e3 * t_warm / npts,
                    t_warm, err_a, f"{nan_d}/{nan_G}/{zero_inside}", note))

    # (a') the same path on a grid 10% wider than the support on each side (zeros outside)
    wdt = hi_f - lo_f
    xw = np.linspace(lo_f - 0.1 * wdt, hi_f + 0.1 * wdt, npts)
    inside = (xw > lo_f) & (xw < hi_f)
    dref_w = np.array([float(ref.density(xi)) if ins else 0.0 for xi, ins in zip(xw, inside)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        law.density(xw)
        t_w, d_w = timeit(lambda: law.density(xw), args.repeat)
        G_w = law.cauchy(xw.astype(complex))
    err_w = float(np.nanmax(np.abs(d_w - dref_w)))
    rows.append(Row(name, "(a') same, grid 10% wider", str(npts), t_w, 1e3 * t_w / npts, t_w,
                    err_w, f"{int(np.sum(~np.isfinite(d_w)))}/{int(np.sum(~np.isfinite(G_w)))}/"
                    f"{int(np.sum((d_w == 0) & (dref_w > 0)))}",
                    f"{int((~inside).sum())} pts outside the support (density 0)"))

    # ---- (b) dps=30 path ----------------------------------------------------------------------
    k = npts if args.mp_points <= 0 else min(args.mp_points, npts)
    idx = np.unique(np.round(np.linspace(0, npts - 1, k)).astype(int))
    errs, fails = [], 0
    t0 = time.perf_counter()
    for i in idx:
        try:
            v = law.density(float(x[i]), dps=30)
        except Exception as exc:  # noqa: BLE001 -- a benchmark reports, it does not stop
            fails += 1
            if fails == 1:
                checks_fail.append((name, float(x[i]), repr(exc)[:200]))
            continue
        with mpmath.workdps(REF_DPS):
            errs.append(abs(mpmath.mpf(v) - dref_mp[i]))
    t_b = time.perf_counter() - t0
    per = t_b / len(idx)
    err_b = float(max(errs)) if errs else float("nan")
    if len(idx) < npts:
        note = (f"SUBSAMPLE of {len(idx)} evenly spaced grid pts; grid time EXTRAPOLATED "
                f"({npts} x per-point)")
    else:
        note = "all grid points"
    rows.append(Row(name, "(b) density(x_i, dps=30)", str(len(idx)), t_b, 1e3 * per, per * npts,
                    err_b, f"{fails} failed", note))

    # ---- (c) Monte Carlo ------------------------------------------------------------------------
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    ev = sampler(args.mc_n, rng)
    t_eig = time.perf_counter() - t0
    nb = args.bins
    if npts % nb:
        raise SystemExit("--bins must divide --points")
    edges = np.linspace(lo_f, hi_f, nb + 1)
    counts, _ = np.histogram(ev, bins=edges)
    hist = counts / (len(ev) * (edges[1] - edges[0]))
    t_mc = time.perf_counter() - t0
    # reference bin averages (midpoint rule on the npts/nb reference points inside each bin)
    dbin = dref.reshape(nb, npts // nb).mean(axis=1)
    err_c = float(np.max(np.abs(hist - dbin)))
    l1_c = float(np.sum(np.abs(hist - dbin)) * (edges[1] - edges[0]))
    outside = int(np.sum((ev < lo_f) | (ev > hi_f)))
    rows.append(Row(name, f"(c) Monte Carlo, N={args.mc_n}", f"{nb} bins", t_mc, None, None,
                    err_c, f"{outside} ev out",
                    f"sample+eigvalsh {t_eig:.2f} s; L1 err {l1_c:.3f}; vs bin-averaged reference"))


checks_fail: list = []


def machine_info():
    try:
        aff = len(os.sched_getaffinity(0))
    except AttributeError:
        aff = None
    import scipy

    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    lines = [
        f"machine : {platform.platform()} / {platform.machine()} / {platform.processor() or '?'}",
        f"CPUs    : os.cpu_count()={os.cpu_count()}, usable={aff}, load average {load}, "
        f"BLAS threads {blas}",
        f"python  : {platform.python_version()}   numpy {np.__version__}   mpmath {mpmath.__version__}"
        f" (backend {mpmath.libmp.BACKEND})   sympy {sp.__version__}   scipy {scipy.__version__}"
        f"   freealg {getattr(fa, '__version__', '?')}",
    ]
    return "\n".join(lines)


def print_table(rows):
    hdr = ("law", "method", "pts", "measured s", "ms/pt", "grid s", "max|err|", "NaN/fail",
           "notes")
    data = [(r.law, r.method, r.npts, f"{r.measured_s:.3f}",
             "-" if r.per_pt_ms is None else f"{r.per_pt_ms:.3f}",
             "-" if r.grid_s is None else f"{r.grid_s:.3f}", fmt_err(r.max_err), r.failed,
             r.note) for r in rows]
    w = [max(len(h), *(len(d[i]) for d in data)) for i, h in enumerate(hdr)]
    line = "  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)).rstrip()
    print(line)
    print("-" * len(line))
    prev = None
    for d in data:
        if prev is not None and d[0] != prev:
            print()
        prev = d[0]
        print("  ".join(d[i].ljust(w[i]) for i in range(len(hdr))).rstrip())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="dps=30 path on a 50-point subsample only (total < ~60 s)")
    ap.add_argument("--points", type=int, default=1000, help="grid points (default 1000)")
    ap.add_argument("--mp-points", type=int, default=None,
                    help="points for the dps=30 path (0 = all; default all, 50 with --quick)")
    ap.add_argument("--mc-n", type=int, default=2000, help="matrix size for Monte Carlo")
    ap.add_argument("--bins", type=int, default=40, help="histogram bins (must divide --points)")
    ap.add_argument("--repeat", type=int, default=5, help="repeats for the float64 timing")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="BLAS threads for the Monte Carlo (sets OPENBLAS/OMP/MKL_NUM_THREADS)")
    ap.add_argument("--track-points", type=int, default=None,
                    help="grid points where the reference branch is re-derived by tracking "
                         "from i*inf (default 20, 6 with --quick)")
    args = ap.parse_args(argv)
    if args.mp_points is None:
        args.mp_points = 50 if args.quick else 0
    if args.track_points is None:
        args.track_points = 6 if args.quick else 20

    t_start = time.perf_counter()
    print("freealg core density benchmark" + (" (--quick)" if args.quick else ""))
    print(machine_info())
    print()
    t0 = time.perf_counter()
    laws = build_laws()
    t_setup = time.perf_counter() - t0

    rows, checks = [], []
    for name, law, ref, m1, m2, sampler in laws:
        run_law(name, law, ref, m1, m2, sampler, args, rows, checks)

    print_table(rows)
    print()
    print(f"Reference checks (setup incl. sympy derivation + discriminant: {t_setup:.2f} s):")
    for name, ref, lo, hi, mass, e1, e2, jump, nout, trk, ntrk, edge_msg in checks:
        print(f"  {name}:  P(G, x) = {ref.P.as_expr()} = 0")
        print(f"    support [{mpmath.nstr(lo, 15)}, {mpmath.nstr(hi, 15)}] "
              f"(real roots of Disc_G P: {[mpmath.nstr(e, 12) for e in ref.edges]})")
        print(f"    |mass - 1| = {mpmath.nstr(abs(mass - 1), 3)}   |m1 - exact| = "
              f"{mpmath.nstr(abs(e1), 3)}   |m2 - exact| = {mpmath.nstr(abs(e2), 3)}")
        print(f"    continuity: max |G(x_i+1) - G(x_i)| on the grid = {jump:.3g};  rule 1 (tracking "
              f"from i*inf to Im z = 1e-30) vs rule 2 (Im G < 0 root) on {ntrk} pts: max diff "
              f"{trk:.1e};  grid pts outside support: {nout}")
        print(f"    {edge_msg}")
        if ref.rejected:
            print("    rejected (conjugate pair, but tracking stays on the real sheet): " +
                  ", ".join(f"({mpmath.nstr(a, 8)}, {mpmath.nstr(b, 8)})" for a, b in ref.rejected))
    for name, xf, msg in checks_fail:
        print(f"  first dps=30 failure for {name} at x={xf!r}: {msg}")
    print()
    print("Columns (see benchmarks/README.md): pts = points evaluated; measured s = wall time "
          "measured for them ((a): best of --repeat; (c): sampling + eigvalsh + histogram);")
    print("  grid s = time for the whole grid (measured, or EXTRAPOLATED from the subsample for "
          "(b)); max|err| = max abs density error vs the reference ((c): histogram vs the "
          "bin-averaged reference);")
    print("  NaN/fail for (a): NaNs in density / NaNs in cauchy(x+0j) / zeros where the "
          "reference is > 0;  (b): exceptions;  (c): eigenvalues outside the support.")
    try:
        load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    print(f"total wall time {time.perf_counter() - t_start:.1f} s  (load average at the end: "
          f"{load}; timings are wall-clock and suffer when other processes share the CPUs)")


if __name__ == "__main__":
    main()
