"""Brown measures of non-normal polynomials, by hermitization (Belinschi-Sniady-Speicher).

For a polynomial T in free generators, :func:`brown_measure` builds a self-adjoint pencil of the
hermitization H_lambda = [[0, T - lambda], [(T - lambda)^*, 0]] (:func:`hermitization`), solves
its M_2-valued Cauchy transform at the spectral parameter 0 by operator-valued subordination
(``freealg.numeric.brown``, on ``freealg.numeric.operator_valued``) and returns a
:class:`BrownMeasure`: the density (1/pi) d G_21 / d conj(lambda), masses of discs and
rectangles (Stokes: (1/2 pi i) of the contour integral of G_21), the support and a plot.

The pencil: with T = a + A (a the constant and degree-1 part, A the words of degree >= 2,
realised on their prefix trie as A = e N^{-1} s, N = I - S nilpotent, exactly as in
:func:`freealg.linearize`), Q = [[0, -N^*], [-N, 0]] and u = [[e, 0], [0, s^*]],

    L = [[ [[0, a - lambda], [(a - lambda)^*, 0]],  u ],
         [ u^*,                                      Q ]],     -u Q^{-1} u^* = [[0, A], [A^*, 0]],

so the Schur complement of L on its first two rows is H_lambda (size 2 + 2 m, m the number of
trie states). Circular generators are first written as (s_1 + i s_2)/sqrt 2.

Examples
--------
>>> import numpy as np, freealg as fa
>>> bm = fa.brown_measure(fa.circular("c"))
>>> np.round(bm.density(np.array([0.5, 0.5j, 1.5])) * np.pi, 10)   # uniform on the disc
array([1., 1., 0.])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..algebra.ncpoly import NCPoly
from ..algebra.trace import trace
from ..errors import InvalidParameterError, ShapeError, UndeterminedError
from ..numeric.brown import HermitizedProblem, solve_mp, solve_np
from ..numeric.operator_valued import problem
from .linearize import (Linearization, _add, _entry_adjoint, _norm_bound, _self_adjoint_pencil,
                        _trie,
                        decircularize, operator_valued_law)

__all__ = ["BrownMeasure", "BrownSupport", "brown_measure", "hermitization"]

_ROTATABLE = ("circular", "haar_unitary", "haar_orthogonal")


def hermitization(T: NCPoly) -> Linearization:
    """A self-adjoint pencil whose Schur complement on rows 0, 1 is [[0, T], [T^*, 0]].

    The spectral parameter lambda of the Brown measure enters at the entries (0, 1) and (1, 0)
    of ``b0`` (as -lambda, -conj(lambda)); see the module docstring for the construction.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> lin = hermitization(x * y)
    >>> lin.k
    4
    >>> lin.matrix()
    Matrix([
    [0, 0, x,  0],
    [0, 0, 0,  y],
    [x, 0, 0, -1],
    [0, y, -1, 0]])

    Parameters
    ----------
    T : NCPoly
        A square polynomial (any, normal or not).

    Returns
    -------
    Linearization
        ``k``, ``b0``, ``coefficients`` (letter, beta) and ``entries``, as for
        :func:`freealg.linearize` (``expr`` is T with circular generators replaced).
    """
    Q = decircularize(T)
    a: dict = {}
    words = []
    for w, c in Q.terms:
        if len(w) <= 1:
            _add(a, w[0] if w else None, c)
        else:
            words.append((w, c))
    states, index = _trie(words)
    m = len(states)
    k = 2 + 2 * m
    E: list[list[dict]] = [[dict() for _ in range(k)] for _ in range(k)]
    E[0][1] = dict(a)
    s_col: list[dict] = [dict() for _ in range(m)]
    S: list[list[dict]] = [[dict() for _ in range(m)] for _ in range(m)]
    for pre, i in index.items():
        if len(pre) == 1:
            _add(E[0][2 + i], pre[0], sp.S.One)           # e
        else:
            S[index[pre[:-1]]][i] = {pre[-1]: sp.S.One}   # pi -> pi l
    for w, c in words:
        _add(s_col[index[w[:-1]]], w[-1], c)              # s: the last letter of each word
    for i in range(m):
        E[1][2 + m + i] = _entry_adjoint(s_col[i])        # s^*
        for j in range(m):
            ent = _entry_adjoint(S[j][i])                 # -N^* = -I + S^*
            if i == j:
                _add(ent, None, sp.S.NegativeOne)
            E[2 + i][2 + m + j] = ent
    return _self_adjoint_pencil(E, k, Q)


def _is_normal(T: NCPoly) -> bool:
    """T T^* = T^* T: structurally, or tau((T T^* - T^* T)^2) = 0 (tau is faithful) when
    that trace is cheap."""
    C = T * T.H - T.H * T
    if not C.terms:
        return True
    if len(C.terms) > 64 or C.degree > 8:
        return False
    try:
        return bool(sp.simplify(trace(C * C)) == 0)
    except Exception:  # noqa: BLE001 - an undecidable trace: treat T as non-normal
        return False


def _rotation_invariant(T: NCPoly) -> bool:
    """A sufficient condition for T ~ e^{i theta} T: charges q_g of the circular and Haar
    generators with sum over each word (+q for g, -q for g^*) equal to 1; g -> e^{i q_g theta} g
    preserves the joint *-distribution of free rotation-invariant generators."""
    gens = sorted({L.gen for w, _ in T.terms for L in w if L.gen.kind in _ROTATABLE},
                  key=lambda g: g.sort_key())
    if not gens or any(not w for w, _ in T.terms):
        return False
    pos = {g: i for i, g in enumerate(gens)}
    rows = []
    for w, _ in T.terms:
        row = [0] * len(gens)
        for L in w:
            if L.gen in pos:
                row[pos[L.gen]] += -1 if L.star else 1
        rows.append(row)
    try:
        sp.Matrix(rows).gauss_jordan_solve(sp.ones(len(rows), 1))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class BrownSupport:
    """The support of a Brown measure: an annulus (rotation-invariant laws) or a sampled outer
    boundary curve.

    Examples
    --------
    >>> import freealg as fa
    >>> s = fa.brown_measure(fa.circular("c")).support()
    >>> s.rotation_invariant, round(s.inner, 6), round(s.outer, 6)
    (True, 0.0, 1.0)

    Attributes
    ----------
    center : complex
        tau(T), the centre of the rays (0 for a rotation-invariant law).
    inner, outer : float
        Radii of the annulus inner <= |z| <= outer (rotation-invariant laws); for other laws
        the smallest and largest distance of the boundary curve from ``center``.
    curve : numpy.ndarray or None
        The outer boundary sampled along rays from ``center`` (complex), None for an annulus.
    rotation_invariant : bool
        Whether T and e^{i theta} T have the same ``*``-distribution (a sufficient test, see
        :func:`brown_measure`).
    error : float
        Width of the final bisection bracket (radius units).
    method : str
        How the boundary was found.
    """

    center: complex
    inner: float
    outer: float
    curve: Any
    rotation_invariant: bool
    error: float
    method: str

    @property
    def radius(self) -> float:
        """The outer radius (about ``center``): the radius of the support's disc or annulus.

        Examples
        --------
        >>> import freealg as fa
        >>> round(fa.brown_measure(fa.circular("c", 4)).support().radius, 6)
        2.0
        """
        return self.outer

    def __repr__(self) -> str:
        if self.rotation_invariant:
            return (f"BrownSupport(annulus {self.inner:.10g} <= |z| <= {self.outer:.10g}, "
                    f"error={self.error:.2g})")
        return (f"BrownSupport(curve of {len(self.curve)} points about {self.center:.6g}, "
                f"radii in [{self.inner:.6g}, {self.outer:.6g}], error={self.error:.2g})")


class BrownMeasure:
    """The Brown measure of a non-normal polynomial (made by :func:`brown_measure`).

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> c1, c2 = fa.circular("c1"), fa.circular("c2")
    >>> bm = fa.brown_measure(c1 * c2)         # Haagerup-Larsen: mu(|z| <= r) = r
    >>> bm
    BrownMeasure(c1*c2, pencil size 6, rotation-invariant)
    >>> np.round(bm.radial_cdf(np.array([0.25, 0.5, 2.0])), 10)
    array([0.25, 0.5 , 1.  ])
    """

    def __init__(self, expr: NCPoly, lin: Linearization, hp: HermitizedProblem, bound: float,
                 center: complex, rotation_invariant: bool, dps: int | None):
        self.expr = expr
        self.pencil = lin
        self.problem = hp
        self.bound = bound
        self.center = center
        self.rotation_invariant = rotation_invariant
        self.dps = dps
        self.method = ("hermitization (Belinschi-Sniady-Speicher 2018): M_2-valued "
                       "subordination at eps = 0 with the gauge G_11 = G_22, density by the "
                       "implicit function theorem")

    def __repr__(self) -> str:
        kind = "rotation-invariant" if self.rotation_invariant else "not rotation-invariant"
        return f"BrownMeasure({self.expr}, pencil size {self.pencil.k}, {kind})"

    # -- evaluation ----------------------------------------------------------------------------
    def _dps(self, dps: int | None) -> int:
        d = dps if dps is not None else (self.dps if self.dps is not None else 15)
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 500:
            raise InvalidParameterError("dps", d, "digits must be an int in [1, 500]")
        return d

    def _solve(self, z: np.ndarray) -> dict:
        return solve_np(self.problem, z)

    def _g21(self, z: np.ndarray) -> np.ndarray:
        """G_21 on a flat array; a point where the solver fails (on the boundary of the
        support, where the gauge-fixed system is singular) takes the mean of two points
        1e-7 (1 + |z|) to either side (G_21 is continuous: the error is of that order)."""
        G = self._solve(z)["G"][:, 1, 0]
        bad = np.nonzero(~np.isfinite(G))[0]
        if bad.size:
            h = 1e-7 * (1 + np.abs(z[bad]))
            both = self._solve(np.concatenate([z[bad] + h, z[bad] - h]))["G"][:, 1, 0]
            G[bad] = np.nanmean(both.reshape(2, bad.size), axis=0)
        return G

    def density(self, z: Any, dps: int | None = None, error: bool = False) -> Any:
        """The density of the Brown measure at complex ``z`` (w.r.t. area dx dy).

        An array or list in gives a float64 array of the same shape (NaN where the solver
        failed, e.g. exactly on the boundary of the support); a scalar gives an mpmath ``mpf``
        at ``dps`` digits (default: the measure's ``dps``, else 15).

        Examples
        --------
        >>> import numpy as np, mpmath, freealg as fa
        >>> bm = fa.brown_measure(fa.circular("c"))
        >>> print(mpmath.nstr(bm.density(0.5 + 0.25j, dps=25), 20))   # 1/pi
        0.31830988618379067154
        >>> d, err = bm.density(np.array([0.3]), error=True)
        >>> bool(abs(d[0] - 1 / np.pi) <= err[0] + 1e-15)
        True

        Parameters
        ----------
        z : complex, list or numpy array
            Points of the complex plane.
        dps : int, optional
            Digits of a scalar result.
        error : bool, optional
            Also return an error estimate (same shape).

        Returns
        -------
        mpmath.mpf or numpy.ndarray, or a pair with the error estimate
        """
        if np.ndim(z) == 0 and not isinstance(z, (list, tuple, np.ndarray)):
            d = self._dps(dps)
            with mpmath.workdps(d + 5):
                zm = mpmath.mpc(z)
            if float(abs(zm)) > self.bound:
                val, err = mpmath.mpf(0), mpmath.mpf(0)
            else:
                out = solve_mp(self.problem, zm, d)
                val, err = out["density"], out["error"]
            return (val, err) if error else val
        arr = np.asarray(z, dtype=complex)
        flat = arr.ravel()
        dens = np.zeros(flat.size)
        errs = np.zeros(flat.size)
        inside = np.abs(flat) <= self.bound   # the spectrum lies in the disc of radius ||T||
        if np.any(inside):
            out = self._solve(flat[inside])
            dens[inside], errs[inside] = out["density"], out["error"]
        shaped, eshaped = dens.reshape(arr.shape), errs.reshape(arr.shape)
        return (shaped, eshaped) if error else shaped

    def hermitized(self, z: Any) -> np.ndarray:
        """The 2 x 2 Cauchy transform of the hermitization at eps -> 0, float64.

        ``G[..., 1, 0]`` = -tau((T - z)^* |T^* - z^*|^{-2}) (the log-potential's derivative
        -d/dz tau log|T - z|^2), ``G[..., 0, 0]`` = -i pi times the density at 0 of the
        symmetrised singular values of T - z (0 off the support).

        Examples
        --------
        >>> import numpy as np, freealg as fa
        >>> G = fa.brown_measure(fa.circular("c")).hermitized(np.array([0.6, 2.0]))
        >>> np.round(G[:, 1, 0].real, 12), np.round(np.abs(G[:, 0, 0]), 12)
        (array([0.6, 0.5]), array([0.8, 0. ]))

        Parameters
        ----------
        z : complex or array_like
            Points.

        Returns
        -------
        numpy.ndarray
            Shape ``np.shape(z) + (2, 2)``.
        """
        arr = np.asarray(z, dtype=complex)
        return self._solve(arr.ravel())["G"].reshape(arr.shape + (2, 2))

    def radial_cdf(self, r: Any, center: complex = 0, n: int = 64) -> np.ndarray:
        """mu(|z - center| <= r), by Stokes: the mean of Re(G_21(z) (z - center)) over the
        circle (trapezoidal rule with ``n`` nodes; one point for a rotation-invariant law
        about 0, where G_21(z) z = mu(|w| <= |z|) exactly).

        Examples
        --------
        >>> import numpy as np, freealg as fa
        >>> bm = fa.brown_measure(fa.circular("c"))
        >>> np.round(bm.radial_cdf(np.array([0.5, 0.9, 3.0])), 10)      # r^2 up to 1
        array([0.25, 0.81, 1.  ])

        Parameters
        ----------
        r : float or array_like
            Radii > 0.
        center : complex, optional
            Centre of the discs.
        n : int, optional
            Nodes on each circle (not rotation-invariant laws).

        Returns
        -------
        numpy.ndarray
        """
        rr = np.atleast_1d(np.asarray(r, dtype=float))
        if np.any(rr <= 0):
            raise InvalidParameterError("r", r, "radii must be > 0")
        c = complex(center)
        if self.rotation_invariant and c == 0:
            G = self._g21(rr.astype(complex))
            return np.clip((G * rr).real, 0, 1).reshape(np.shape(r))
        th = 2 * np.pi * np.arange(n) / n
        w = (rr[:, None] * np.exp(1j * th)[None, :]).ravel()
        G = self._g21(c + w)
        return np.mean((G * w).real.reshape(rr.size, n), axis=1).reshape(np.shape(r))

    def mass(self, x0: float, x1: float, y0: float, y1: float, n: int = 24) -> float:
        """mu of the rectangle [x0, x1] x [y0, y1]: (1/2 pi i) oint G_21 dz around it
        (Stokes), Gauss-Legendre with ``n`` nodes per side.

        Examples
        --------
        >>> import freealg as fa
        >>> bm = fa.brown_measure(fa.circular("c"))
        >>> round(bm.mass(0, 2, 0, 2), 3)               # a quarter of the disc
        0.25

        Parameters
        ----------
        x0, x1, y0, y1 : float
            The rectangle (x0 < x1, y0 < y1).
        n : int, optional
            Nodes per side.

        Returns
        -------
        float
        """
        if not (x0 < x1 and y0 < y1):
            raise InvalidParameterError("rectangle", (x0, x1, y0, y1), "needs x0 < x1, y0 < y1")
        t, wt = np.polynomial.legendre.leggauss(n)
        s, ws = (t + 1) / 2, wt / 2
        corners = [complex(x0, y0), complex(x1, y0), complex(x1, y1), complex(x0, y1)]
        pts, dz = [], []
        for a, b in zip(corners, corners[1:] + corners[:1]):
            pts.append(a + (b - a) * s)
            dz.append((b - a) * ws)
        G = self._g21(np.concatenate(pts))
        return float((np.sum(G * np.concatenate(dz)) / (2j * np.pi)).real)

    # -- support -------------------------------------------------------------------------------
    def _inside(self, z: np.ndarray) -> np.ndarray:
        """1 on the support (G_11 != 0), 0 off it, NaN where the solver failed."""
        G = self._solve(z)["G"]
        # off the support G_11 is 0 up to rounding times the conditioning (up to ~1e-9 within
        # 1e-7 of the boundary); inside it is pi times the singular-value density of T - z at
        # 0, ~ sqrt(distance) near a soft boundary (a location error ~ 1e-12 at the threshold)
        big = np.abs(G[:, 0, 0]) > 1e-6 * (1 + np.abs(G[:, 1, 0]))
        return np.where(np.isfinite(G[:, 0, 0]), big.astype(float), np.nan)

    def _bisect(self, c: complex, dirs: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                want_inside_at_lo: bool, rounds: int, per: int) -> tuple:
        """Shrink brackets [lo, hi] along rays c + t dirs where the indicator changes."""
        for _ in range(rounds):
            frac = np.arange(1, per + 1) / (per + 1)
            t = lo[:, None] + (hi - lo)[:, None] * frac[None, :]
            ind = self._inside((c + t * dirs[:, None]).ravel()).reshape(t.shape)
            ind = np.where(np.isnan(ind), 1.0 if want_inside_at_lo else 0.0, ind)
            if want_inside_at_lo:
                # outer boundary: the last point inside (the solver's failure mode is a
                # spurious "outside", the trivial branch G_11 = 0, never a spurious inside)
                inside = ind > 0.5
                run = np.where(inside.any(axis=1), per - np.argmax(inside[:, ::-1], axis=1), 0)
            else:
                # inner boundary: the first point inside
                run = np.cumprod(ind < 0.5, axis=1).sum(axis=1)
            new_lo = np.where(run > 0, t[np.arange(t.shape[0]), np.maximum(run - 1, 0)], lo)
            new_hi = np.where(run < per, t[np.arange(t.shape[0]), np.minimum(run, per - 1)], hi)
            lo, hi = new_lo, new_hi
        return lo, hi

    def support(self, n: int = 64, grid: int = 24) -> BrownSupport:
        """The support: the annulus inner <= |z| <= outer of a rotation-invariant law, else
        the outer boundary sampled along ``n`` rays from tau(T).

        A point is in the support when |G_11| (pi times the density at 0 of the singular values
        of T - z) exceeds 1e-6 (1 + |G_21|); each ray is scanned on ``grid`` points and its
        change bracketed by four rounds of 8-point bisection (the boundary curve assumes the
        support star-shaped about tau(T)). Where the density vanishes inside the support
        (u + c near 0) G_11 is small: an inner radius below 1e-4 times the norm bound is
        reported as 0.

        Examples
        --------
        >>> import freealg as fa
        >>> u, c = fa.haar_unitary("u"), fa.circular("c")
        >>> s = fa.brown_measure(u + c).support()       # Haagerup-Larsen: ||u + c||_2 = sqrt 2
        >>> round(s.outer, 5)
        1.41421

        Parameters
        ----------
        n : int, optional
            Rays (laws that are not rotation-invariant).
        grid : int, optional
            Scan points per ray.

        Returns
        -------
        BrownSupport
        """
        R = self.bound + abs(self.center)
        if self.rotation_invariant:
            c, dirs = 0j, np.array([1.0 + 0j])
            rounds, per = 6, 12
        else:
            c = self.center
            dirs = np.exp(2j * np.pi * np.arange(n) / n)
            rounds, per = 4, 8
        ts = R * np.arange(1, grid + 1) / grid
        ind = self._inside((c + ts[None, :] * dirs[:, None]).ravel()).reshape(dirs.size, grid)
        ind = np.where(np.isnan(ind), 0.0, ind)
        has = ind.max(axis=1) > 0.5
        last = np.where(has, grid - 1 - np.argmax(ind[:, ::-1] > 0.5, axis=1), 0)
        lo = np.where(has, ts[last], 0.0)
        hi = np.where(has, np.where(last + 1 < grid, ts[np.minimum(last + 1, grid - 1)], R), 0)
        lo, hi = self._bisect(c, dirs, lo, hi, True, rounds, per)
        outer = (lo + hi) / 2
        err = float(np.max(hi - lo) / 2) if hi.size else 0.0
        if self.rotation_invariant:
            # inner radius: where the support starts from the centre
            first = int(np.argmax(ind[0] > 0.5))
            tiny = np.array([1e-6 * R])
            if not has[0] or self._inside(tiny.astype(complex))[0] == 1:
                inner = 0.0
            elif first == 0:
                lo2, hi2 = self._bisect(0j, dirs, tiny.copy(), np.array([ts[0]]), False,
                                        rounds, per)
                inner = float((lo2[0] + hi2[0]) / 2)
                inner = 0.0 if inner < 1e-4 * R else inner
                err = max(err, float((hi2[0] - lo2[0]) / 2))
            else:
                lo2 = np.array([ts[first - 1]])
                hi2 = np.array([ts[first]])
                lo2, hi2 = self._bisect(0j, dirs, lo2, hi2, False, rounds, per)
                inner = float((lo2[0] + hi2[0]) / 2)
                err = max(err, float((hi2[0] - lo2[0]) / 2))
            return BrownSupport(0j, inner, float(outer[0]), None, True, err,
                                "bisection of G_11 != 0 along a ray (rotation-invariant)")
        curve = c + outer * dirs
        return BrownSupport(complex(c), float(outer.min()), float(outer.max()), curve, False,
                            err, f"bisection of G_11 != 0 along {n} rays from tau(T)")

    def plot(self, path: Any = None, *, ax: Any = None, grid: int = 81,
             extent: Any = None) -> Any:
        """A figure of the density on a ``grid`` x ``grid`` mesh (see
        :func:`freealg.reduce.brown_plot.plot_brown`).

        Examples
        --------
        >>> import freealg as fa
        >>> fig = fa.brown_measure(fa.circular("c")).plot(grid=21)
        >>> fig.axes[0].get_title()
        'Brown measure of c'
        """
        from .brown_plot import plot_brown

        return plot_brown(self, path, ax=ax, grid=grid, extent=extent)


def brown_measure(expr: Any, dps: int | None = None) -> BrownMeasure:
    """The Brown measure of a non-normal polynomial in free generators.

    The Brown measure (Brown 1986) of T is the Laplacian (1/2 pi) Delta tau(log|T - lambda|),
    the limit of the eigenvalue distribution of the non-normal random-matrix model of T when it
    converges (Ginibre's circular law, Haagerup-Larsen's R-diagonal laws). It is computed by
    hermitization: the 2 x 2 matrix-valued Cauchy transform of
    [[0, T - lambda], [(T - lambda)^*, 0]] at the spectral parameter 0 (Belinschi-Sniady-Speicher
    2018), by operator-valued subordination on a linear pencil, the limit eps -> 0 solved
    exactly with the gauge G_11 = G_22; the density is (1/pi) d G_21 / d conj(lambda), from the
    implicit function theorem (see ``freealg.numeric.brown``).

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> bm = fa.brown_measure(fa.circular("c"))
    >>> np.round(bm.density(np.array([0.0, 0.9, 1.1])), 12)        # 1/pi on the unit disc
    array([0.31830989, 0.31830989, 0.        ])
    >>> fa.brown_measure(fa.semicircular("x"))
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid expr=x: is self-adjoint, hence normal: its
    Brown measure is its spectral distribution on the real line; use fa.spectrum(expr)

    Parameters
    ----------
    expr : NCPoly
        A square, non-normal polynomial in free generators (circular, Haar unitary,
        semicircular, projections, self-adjoint generators with a law) with numeric
        coefficients.
    dps : int, optional
        Digits of scalar results (default 15); arrays are evaluated in float64.

    Returns
    -------
    BrownMeasure
        ``density``, ``radial_cdf``, ``mass``, ``hermitized``, ``support`` and ``plot``.

    Raises
    ------
    InvalidParameterError
        If ``expr`` is not a polynomial, is normal (self-adjoint, unitary, ...: use
        :func:`freealg.spectrum`), or has generators the solver does not handle.
    ShapeError
        If ``expr`` or one of its generators is not square.
    UndeterminedError
        If a coefficient is symbolic.

    References
    ----------
    L. G. Brown, Lidskii's theorem in the type II case, 1986. U. Haagerup and F. Larsen,
    R-diagonal elements and Brown measures, J. Funct. Anal. 176 (2000). S. Belinschi,
    P. Sniady and R. Speicher, Eigenvalues of non-Hermitian random matrices and Brown measure of
    non-normal operators: Hermitian reduction and linearization method, Linear Algebra Appl. 537
    (2018).
    """
    if not isinstance(expr, NCPoly):
        raise InvalidParameterError("expr", expr, "brown_measure needs a freealg polynomial "
                                    "(built from fa.circular, fa.haar_unitary, ...)")
    if not expr.is_square:
        raise ShapeError("brown_measure", (expr.shape,), "a Brown measure needs a square "
                         "expression")
    if any(g.shape != (1, 1) for g in expr.generators):
        raise InvalidParameterError("expr", expr, "Brown measures of expressions with "
                                    "rectangular generators are not supported yet")
    if expr.free_symbols:
        raise UndeterminedError("the Brown measure", sorted(expr.free_symbols, key=str))
    if expr.is_selfadjoint:
        raise InvalidParameterError("expr", expr, "is self-adjoint, hence normal: its Brown "
                                    "measure is its spectral distribution on the real line; use "
                                    "fa.spectrum(expr)")
    if _is_normal(expr):
        raise InvalidParameterError("expr", expr, "is normal (T T^* = T^* T): its Brown "
                                    "measure is its spectral distribution, singular on the "
                                    "plane; use fa.spectrum on a self-adjoint function of it")
    if dps is not None and (not isinstance(dps, int) or isinstance(dps, bool)
                            or not 1 <= dps <= 500):
        raise InvalidParameterError("dps", dps, "digits must be an int in [1, 500]")
    lin = hermitization(expr)
    law = operator_valued_law(lin.expr, lin)
    bound = float(_norm_bound(lin.expr))
    hp = HermitizedProblem.of(problem(law.args[0], law.args[1], law.args[2], 2 * bound + 1))
    center = complex(sp.N(trace(expr), 17))
    return BrownMeasure(expr, lin, hp, bound, center, _rotation_invariant(expr), dps)
