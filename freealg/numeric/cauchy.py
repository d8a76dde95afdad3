"""The Cauchy transform of a law: ``cauchy(law, z)`` -> strategy -> the law's solver or an engine.

The strategies ``'curve'`` (roots of the algebraic curve) and ``'s_transform'`` (one scalar
equation from a product of S-transforms) run on the engine forms the law supplies
(``_curve_engine()``, ``_s_form()``); every other strategy (formula, quadrature,
subordination, polish, path, operator_valued) is the law's own ``_cauchy_np(z, method)`` /
``_cauchy_mp(z, dps, method)``. When the strategy was chosen automatically, a point the engine
leaves without a value is solved again on the law's own path (recorded in the diagnostics),
so the automatic choice is never worse than the law's solver.

An engine module (duck typing; see :mod:`freealg.numeric.strategies` for the routing): a law
provides ``_strategies``, ``_closed``, ``_cauchy_np``, ``_cauchy_mp``, ``_curve_engine``,
``_s_form`` and, for the closed-form default, ``_g(z, be)``.

Examples
--------
>>> import freealg as fa, mpmath
>>> from freealg.numeric.cauchy import cauchy
>>> print(mpmath.nstr(cauchy(fa.semicircle(1), 1j, dps=20), 15))     # (i - i sqrt 5)/2
(0.0 - 0.618033988749895j)
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..errors import BranchError, FreeAlgError, InvalidParameterError, NoConvergence
from ..kernels.backend import MP, NP
from .dispatch import check_dps, collecting, numeric_input, record
from .params import exactified
from .stransform import M as S_VAR
from .stransform import STransformForm
from .strategies import default_strategy, dispatch

__all__ = ["cauchy", "cauchy_np_with", "cauchy_mp_with", "formula_np", "formula_mp",
           "engine", "leaf_s_form", "gpsi_dual", "EvalContext"]

ENGINES = ("s_transform", "curve")


class EvalContext:
    """Collects residuals and evaluation points while a Newton system is evaluated.

    Examples
    --------
    >>> ctx = EvalContext()
    >>> ctx.res, ctx.pts
    ([], [])
    """

    __slots__ = ("res", "pts")

    def __init__(self) -> None:
        self.res: list = []
        self.pts: list = []


def gpsi_dual(law: Any, zeta: Any, w: Any, be: Any, ctx: EvalContext) -> tuple:
    """(G, psi) of ``law`` at the Dual ``zeta`` as Duals, psi = zeta G - 1, evaluated through
    the law's ``_psi`` where it has one (free of the cancellation of zeta G - 1 at large
    |zeta|, which matters for ⊠), else from G.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.kernels.backend import NP
    >>> from freealg.kernels.dual import Dual
    >>> G, psi = gpsi_dual(fa.semicircle(1), Dual.constant(2j, 0), [], NP, EvalContext())
    >>> bool(abs(psi.v - (2j * G.v - 1)) < 1e-15)
    True
    """
    G = law._g_dual(zeta, w, be, ctx)
    ps = law._psi(zeta.v, be)
    if ps is None:
        return G, zeta * G - 1
    # d/dz (z G - 1) = G + z G' (inf/NaN on an atom of a discrete law: a pole)
    with np.errstate(invalid="ignore"):
        dpsi = G.v + zeta.v * law._dg(zeta.v, be)
    return G, zeta.apply(ps, dpsi)


def formula_np(law: Any, z: np.ndarray) -> np.ndarray:
    """G on an array from the law's closed form ``_g`` (float64).

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> g = formula_np(fa.semicircle(1), np.array([1j]))
    >>> bool(abs(g[0] - (1j - 1j * np.sqrt(5)) / 2) < 1e-15)      # (i - i sqrt 5)/2
    True
    """
    return np.asarray(law._g(z, NP), dtype=complex) * np.ones(z.shape)


def formula_mp(law: Any, z: Any, dps: int) -> Any:
    """G at one point from the law's closed form ``_g``, at ``dps`` (+ 10 guard) digits.

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> print(mpmath.nstr(formula_mp(fa.semicircle(1), 1j, 20), 15))
    (0.0 - 0.618033988749895j)
    """
    with mpmath.workdps(dps + 10):
        g = law._g(mpmath.mpc(z), MP)
    with mpmath.workdps(dps):
        return +g


def leaf_s_form(law: Any) -> STransformForm | None:
    """The S-transform engine form of a leaf law on [0, inf) with a closed-form S-transform
    (None when it has none or has symbolic parameters). Float parameters become the exact
    rationals they stand for (see :func:`~freealg.numeric.params.exactified`).

    Examples
    --------
    >>> import freealg as fa
    >>> leaf_s_form(fa.free_poisson(2)).moments(2)
    [2, 6]
    >>> print(leaf_s_form(fa.semicircle(1)))
    None
    """
    if law.free_symbols:
        return None
    try:
        exact = exactified(law)
        S = exact.s_transform(S_VAR)
        if S is None:
            return None
        a0 = sum((a.mass for a in exact.atoms() if a.location == 0), sp.S.Zero)
        return STransformForm([(S, 1)], atom0=a0)
    except (FreeAlgError, TypeError, ValueError, ZeroDivisionError):
        return None


def engine(law: Any, strategy: str) -> Any:
    """The engine form behind the strategy ``'s_transform'`` or ``'curve'``.

    Examples
    --------
    >>> import freealg as fa
    >>> type(engine(fa.free_poisson(2), "s_transform")).__name__
    'STransformForm'
    """
    return law._s_form() if strategy == "s_transform" else law._curve_engine()


def cauchy_np_with(law: Any, z: np.ndarray, strategy: str | None, method: str | None):
    """G on an array through ``strategy``: the engine strategies here, the law's own in
    ``_cauchy_np``. With ``method`` None a point the engine leaves NaN (off the real axis or
    not) is retried on the law's own path.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    >>> g = cauchy_np_with(rho, np.array([2j]), "curve", None)
    >>> h = cauchy_np_with(rho, np.array([2j]), "subordination", "subordination")
    >>> bool(abs(g - h)[0] < 1e-12)
    True
    """
    if strategy in ENGINES:
        G = np.asarray(engine(law, strategy).cauchy_np(z), dtype=complex)
        if method is None:
            bad = np.isnan(G)
            if np.any(bad):
                record(note=f"{int(bad.sum())} point(s) left NaN by the {strategy} engine "
                            "were solved by subordination")
                G = G.copy()
                G[bad] = law._cauchy_np(np.asarray(z)[bad], None)
        return G
    return law._cauchy_np(z, method)


def cauchy_mp_with(law: Any, z: Any, dps: int, strategy: str | None, method: str | None):
    """G at one point through ``strategy`` (see :func:`cauchy_np_with`): a NaN, a failed
    solve or a branch error of an automatically chosen engine falls back on the law's own
    path; a forced one raises.

    Examples
    --------
    >>> import freealg as fa, mpmath
    >>> rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
    >>> g = cauchy_mp_with(rho, mpmath.mpc(0, 2), 30, "curve", None)
    >>> h = cauchy_mp_with(rho, mpmath.mpc(0, 2), 30, "path", "path")
    >>> abs(g - h) < 1e-29
    True
    """
    if strategy in ENGINES:
        try:
            g = engine(law, strategy).cauchy_mp(z, dps)
            if not mpmath.isfinite(g):
                raise NoConvergence(f"the {strategy} engine", dps=dps, point=z,
                                    advice="use method='subordination'")
            with mpmath.workdps(dps):
                return +g
        except (NoConvergence, BranchError, ZeroDivisionError, ValueError):
            if method is not None:
                raise
            record(note=f"the {strategy} engine gave no value; solved by subordination")
        return law._cauchy_mp(z, dps, None)
    return law._cauchy_mp(z, dps, method)


def _upper(z: Any, bad: Any) -> None:
    if np.any(bad):
        shown = z[bad].ravel()[:3] if isinstance(z, np.ndarray) else z
        raise InvalidParameterError("z", shown, "must lie in the closed upper half plane; use "
                                                "G(conj z) = conj G(z) below the axis")


def cauchy(law: Any, z: Any, dps: int | None = 30, method: str | None = None,
           full_output: bool = False) -> Any:
    """The Cauchy transform G(z) of ``law`` for Im z >= 0 (see ``Law.cauchy``, which calls
    this): an array or list gives a complex ndarray (float64), a scalar an ``mpc`` at ``dps``.

    Examples
    --------
    >>> import freealg as fa
    >>> g, d = cauchy(fa.free_additive(fa.semicircle(1), fa.free_poisson(1)), 2j,
    ...               full_output=True)
    >>> d.strategy
    'curve'
    """
    dps = 30 if dps is None else check_dps(dps)
    target, strategy, method = dispatch(law, "cauchy", method)
    kind, z = numeric_input(z, "z", complex_ok=True, dps=dps)
    run = default_strategy(target, "cauchy") if method is None else strategy
    _upper(z, z.imag < 0)
    if kind == "array":
        # a real point on an atom is a pole of G: NaN there (the documented failed-point value),
        # without numpy's division warnings
        with collecting("cauchy", strategy, None) as diag, np.errstate(divide="ignore",
                                                                       invalid="ignore"):
            out = cauchy_np_with(target, z, run, method)
    else:
        with collecting("cauchy", strategy, dps) as diag:
            try:
                out = cauchy_mp_with(target, z, dps, run, method)
            except ZeroDivisionError:
                raise InvalidParameterError(
                    "z", z, "is a pole of G on the real axis (an atom of the law): evaluate at "
                    "z + i*eta with eta > 0, or read the mass from atoms()") from None
    return (out, diag) if full_output else out
