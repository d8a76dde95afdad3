"""All the unknowns of a subordination Newton system at one point, at a given precision.

The composite laws solve their Newton systems (``freealg.kernels.continuation``) for the Cauchy
transform only; the compiler's residual check (``System.residual``) needs every unknown (the
subordination functions) as well. :func:`solve_unknowns_mp` runs the same solvers and returns
the whole solution vector. Engine layer: it works on any object with the continuation protocol
(``n``, ``scale``, ``evaluate``, ``guess``) and imports nothing above ``freealg.kernels``.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np

from ..kernels.continuation import newton_mp, solve_mp, solve_np

__all__ = ["solve_unknowns_mp"]


def solve_unknowns_mp(system: Any, z: Any, dps: int, guard: int = 10) -> tuple[list, Any]:
    """Solution vector ``w`` and Cauchy transform ``G`` of a Newton system at ``z`` (in C+).

    The float64 continuation gives a start that Newton polishes at ``dps + guard`` digits, as
    the laws' own ``'polish'`` strategy does; when that start is not safely in the Newton basin
    (the polish moves it by more than 1e-8 relative, or Newton fails) the whole continuation
    runs in mpmath. Values are returned at ``dps + guard`` digits (the caller rounds).

    Examples
    --------
    >>> import mpmath, sympy as sp, freealg as fa
    >>> law = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    >>> w, G = solve_unknowns_mp(law._system(), mpmath.mpc(0.5, 1), 20)
    >>> len(w)                                   # omega_1, omega_2
    2
    >>> bool(abs(G - law.cauchy(mpmath.mpc(0.5, 1), dps=20)) < 1e-19)
    True

    Parameters
    ----------
    system : object
        A Newton system with the continuation protocol (``law._system()``).
    z : complex or mpmath mpc
        The point, Im z > 0.
    dps : int
        Decimal digits wanted.
    guard : int
        Extra digits carried.

    Returns
    -------
    (list of mpmath mpc, mpmath mpc)
        The unknowns in the system's layout, and G(z).
    """
    zc = complex(z)
    try:
        with np.errstate(all="ignore"):
            w_np, _, info = solve_np(system, np.array([zc]))
        ok = not bool(np.any(info.failed))
    except (ZeroDivisionError, ValueError, FloatingPointError, np.linalg.LinAlgError):
        ok = False
    if ok:
        with mpmath.workdps(dps + guard):
            zz = mpmath.mpc(z)
            w0 = [mpmath.mpc(complex(wi.ravel()[0])) for wi in w_np]
            if all(mpmath.isfinite(q) for q in w0):
                tol = mpmath.mpf(10) ** (-(dps + guard - 4))
                w, G, _, _, good = newton_mp(system, zz, w0, tol, maxit=8, damping=False)
                tiny = mpmath.mpf(10) ** -300
                if good and all(abs(a - b) <= 1e-8 * max(abs(b), tiny) for a, b in zip(w, w0)):
                    return list(w), G
    w, G, _ = solve_mp(system, z, dps=dps, guard=guard)
    return list(w), G
