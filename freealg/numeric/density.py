"""The density of the absolutely continuous part of a law: -Im G(x + i0)/pi.

``density(law, x)`` validates the call, picks the strategy (see
:mod:`freealg.numeric.strategies`) and runs the law's ``_density_np`` / ``_density_mp`` (closed
forms override them; the defaults here go through the Cauchy transform) or, for a forced
method, the same core through that Cauchy strategy. The core:

* outside the hull of the support the density is 0 (no solve, and no singular point such as
  z = 0 for ⊠ laws);
* -Im G/pi below the solver accuracy (1e-11 relative in float64, 10^-(dps+5) in mpmath) is 0,
  and a point where the solver failed stays NaN (float64), never a silent number;
* exactly on an atom G has a pole: the value there is the mean of the density at a -+ delta
  (the default path only);
* at an exact edge, where the boundary equation is singular (NoConvergence), the mpmath path
  takes Im z = 10^-(2 dps + 20), which changes the density by far less than 10^-dps;
* where that fails too (a cusp, where the continuation does not converge near the axis) the
  value is read off the law's algebraic curve when it has one
  (:func:`freealg.numeric.corners.curve_point_density`): 0 at a cusp.

An engine module (duck typing): a law provides what :mod:`freealg.numeric.cauchy` uses, and
``_density_np``, ``_density_mp``, ``_hull_float``, ``_scale``, ``_default``, ``atoms()`` and
``_memo``.

Examples
--------
>>> import freealg as fa, numpy as np
>>> from freealg.numeric.density import density
>>> density(fa.semicircle(1), np.array([0.0, 3.0]))      # 1/pi inside, 0 outside
array([0.31830989, 0.        ])
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..errors import NoConvergence, UndeterminedError
from ..kernels.backend import NP
from .cauchy import cauchy_mp_with, cauchy_np_with
from .corners import at_branch_point, curve_point_density
from .dispatch import check_dps, collecting, numeric_input
from .params import numeric_value
from .records import at_atom
from .strategies import dispatch

__all__ = ["density", "density_np", "density_mp", "density_np_from", "density_mp_off",
           "atoms_float"]


def atoms_float(law: Any) -> list:
    """The atoms as float (location, mass) pairs (memoised; [] when they are symbolic).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> atoms_float(fa.bernoulli(sp.Rational(1, 4)))
    [(0.0, 0.75), (1.0, 0.25)]
    """
    def build():
        try:
            return [(float(numeric_value(a.location, NP)), float(numeric_value(a.mass, NP)))
                    for a in law.atoms()]
        except UndeterminedError:
            return []

    return law._memo("atoms_float", build)


def _hull(law: Any) -> tuple:
    """``law._hull_float()``, memoised on the law when it has ``_memo`` (an immutable law: the
    float bounds of a ⊞/⊠ tree cost sympy evaluations of every leaf at each call).

    Examples
    --------
    >>> import freealg as fa
    >>> _hull(fa.semicircle(1))
    (-2.0, 2.0)
    """
    memo = getattr(law, "_memo", None)
    return law._hull_float() if memo is None else memo("density_hull", law._hull_float)


def density_np_from(law: Any, x: Any, strategy: str | None, method: str | None) -> tuple:
    """(-Im G/pi on the float64 array ``x`` through the Cauchy ``strategy``, the mask of the
    points inside the hull of the support).

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> d, inside = density_np_from(fa.semicircle(1), np.array([0.0, 3.0]), "formula", None)
    >>> d, inside
    (array([0.31830989, 0.        ]), array([ True, False]))
    """
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    lo, hi = _hull(law)
    inside = (x >= lo) & (x <= hi)
    if np.any(inside):
        G = cauchy_np_with(law, x[inside] + 0j, strategy, method)
        d = -np.imag(G) / np.pi
        out[inside] = np.where(np.isnan(d) | (d > 1e-11 * np.abs(G)), d, 0.0)
    return out, inside


def density_np(law: Any, x: Any) -> np.ndarray:
    """The default float64 density (the law's default strategy; atoms averaged over).

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> rho = fa.free_additive(fa.semicircle(1), fa.semicircle(3))    # semicircle(4)
    >>> bool(abs(density_np(rho, np.array([0.0]))[0] - 1 / (2 * np.pi)) < 1e-12)
    True
    """
    x = np.asarray(x, dtype=float)
    out, inside = density_np_from(law, x, law._default("density"), None)
    if np.any(inside):
        for loc, _mass in law._atoms_float():
            at = inside & at_atom(x, loc)
            if np.any(at):
                delta = 1e-6 * (1 + law._scale)
                side = law._density_np(np.array([loc - delta, loc + delta]))
                out[at] = 0.5 * float(np.sum(side))
    return out


def density_mp_off(law: Any, x: Any, dps: int, method: str | None = None) -> Any:
    """The mpmath density at a point that is not an atom, through ``method`` or the default
    strategy (with the exact-edge retry at Im z = 10^-(2 dps + 20)).

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> print(mpmath.nstr(density_mp_off(fa.semicircle(1), mpmath.mpf(0), 20), 15))   # 1/pi
    0.318309886183791
    """
    strategy = method or law._default("density")
    if method is None and at_branch_point(law, x, dps):
        try:  # a cusp: the solvers do not converge there, the curve gives the value at once
            return curve_point_density(law, x, dps)
        except NoConvergence:
            pass
    try:
        with mpmath.workdps(dps + 10):  # mpc() rounds to the working precision
            zx = mpmath.mpc(x, 0)
        G = cauchy_mp_with(law, zx, dps + 10, strategy, method)
    except NoConvergence as first:
        try:
            with mpmath.workdps(dps + 10):
                eps = mpmath.mpf(10) ** (-(2 * dps + 20))
                G = cauchy_mp_with(law, mpmath.mpc(x, eps), dps + 10, strategy, method)
        except NoConvergence:
            # a cusp or another branch point: read it off the algebraic curve, if any
            try:
                return curve_point_density(law, x, dps)
            except NoConvergence:
                raise first from None
    with mpmath.workdps(dps):
        d = -mpmath.im(G) / mpmath.pi
        noise = mpmath.mpf(10) ** (-(dps + 5)) * abs(G)
        return +d if d > noise else mpmath.mpf(0)


def density_mp(law: Any, x: Any, dps: int, method: str | None = None) -> Any:
    """The mpmath density at ``x``: 0 outside the hull; with ``method`` None on an atom the
    mean of its values at x -+ delta, exact up to delta^2 f'' ~ 10^-(dps+6) where f is smooth.

    Examples
    --------
    >>> import sympy as sp, freealg as fa, mpmath
    >>> mu = fa.free_poisson(sp.Rational(1, 2))            # atom 1/2 at 0, outside the band
    >>> density_mp(mu, mpmath.mpf(0), 20)
    mpf('0.0')
    """
    lo, hi = _hull(law)
    if x < lo or x > hi:
        return mpmath.mpf(0)
    if method is not None:
        return density_mp_off(law, x, dps, method)
    for loc, _ in law._atoms_float():
        if at_atom(float(x), loc):
            with mpmath.workdps(dps + 10):
                delta = mpmath.mpf(10) ** (-(dps + 6) // 2) * (1 + abs(x))
                left = density_mp_off(law, x - delta, dps + 4) if x - delta >= lo else 0
                right = density_mp_off(law, x + delta, dps + 4) if x + delta <= hi else 0
                d = (left + right) / 2
            with mpmath.workdps(dps):
                return +d
    return density_mp_off(law, x, dps)


def density(law: Any, x: Any, dps: int | None = None, method: str | None = None,
            full_output: bool = False) -> Any:
    """The density of the absolutely continuous part of ``law`` at real x (see
    ``Law.density``, which calls this): an array or list gives a float64 ndarray, a scalar an
    ``mpf`` at ``dps`` (30 when None).

    Examples
    --------
    >>> import freealg as fa
    >>> d, diag = density(fa.free_additive(fa.semicircle(1), fa.free_poisson(1)), 1.0,
    ...                   full_output=True)
    >>> diag.strategy, d > 0
    ('curve', True)
    """
    dps = 30 if dps is None else check_dps(dps)
    target, strategy, method = dispatch(law, "density", method)
    kind, xx = numeric_input(x, "x", complex_ok=False, dps=dps)
    if kind == "array":
        with collecting("density", strategy, None) as diag:
            out = (target._density_np(xx) if method is None
                   else density_np_from(target, xx, method, method)[0])
    else:
        with collecting("density", strategy, dps) as diag:
            out = (target._density_mp(xx, dps) if method is None
                   else density_mp(target, xx, dps, method))
    return (out, diag) if full_output else out
