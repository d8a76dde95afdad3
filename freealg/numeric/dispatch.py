"""Strategy dispatch: validated ``method=`` and ``dps``, and per-call diagnostics.

Every public numeric call of a law (``cauchy``, ``density``, ``atoms``, ``edges``,
``support``) goes through this module: the precision and the method name are checked once,
here, an unknown method raises an error that lists the known ones, and the solvers report
residuals and iteration counts to the :class:`Diagnostics` record of the call in progress
(a context variable), never to the law object. This is an engine module: it knows nothing
about laws.

Examples
--------
>>> from freealg.numeric.dispatch import check_dps, choose
>>> check_dps(30)
30
>>> choose("cauchy", None, ("subordination", "polish", "path"))
'subordination'
>>> choose("cauchy", "nonsense", ("formula",))
Traceback (most recent call last):
...
freealg.errors.InvalidParameterError: invalid method='nonsense': unknown cauchy strategy;
the known ones are 'curve', 'formula', 'operator_valued', 'path', 'polish', 'quadrature',
's_transform', 'subordination'
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError

__all__ = ["Diagnostics", "STRATEGIES", "MAX_DPS", "check_dps", "choose", "collecting",
           "record", "current", "numeric_input"]

#: Largest precision accepted (digits). Beyond it a single Cauchy transform takes minutes
#: and tables of the quadrature rules hundreds of MB; the limit is refused up front.
MAX_DPS = 2000

#: The strategies of each quantity, by name (a law accepts the subset that applies to it).
STRATEGIES: dict[str, tuple[str, ...]] = {
    "cauchy": ("formula", "quadrature", "curve", "s_transform", "subordination", "polish",
               "path", "operator_valued"),
    "edges": ("formula", "curve", "s_transform", "fold"),
}
STRATEGIES["density"] = STRATEGIES["cauchy"]
STRATEGIES["support"] = STRATEGIES["edges"]

_DESCRIPTIONS = {
    "formula": "closed form",
    "quadrature": "Cauchy integral of the density by tanh-sinh quadrature",
    "curve": "root of the algebraic curve P(z, G) = 0, branch by continuity",
    "s_transform": "one scalar equation from the product of S-transforms",
    "subordination": "subordination equations, Newton continuation from z = i*inf",
    "polish": "float64 continuation, then Newton at dps + 10 digits",
    "path": "the whole continuation in mpmath",
    "operator_valued": "operator-valued subordination of the linearization",
    "fold": "fold Newton on the subordination system, bisection where there is none",
}


def check_dps(dps: Any, name: str = "dps") -> int:
    """The precision as an int, or an :class:`~freealg.errors.InvalidParameterError`.

    Examples
    --------
    >>> from freealg.numeric.dispatch import check_dps
    >>> check_dps(15)
    15
    >>> check_dps(0)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid dps=0: the precision must be a positive integer
    number of digits
    """
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < 1:
        raise InvalidParameterError(name, dps, "the precision must be a positive integer "
                                               "number of digits")
    if dps > MAX_DPS:
        raise InvalidParameterError(name, dps, f"at most {MAX_DPS} digits are supported (the "
                                               "solvers' cost grows like dps^2 to dps^3)")
    return int(dps)


def choose(quantity: str, method: Any, applicable: Sequence[str]) -> str:
    """Validate ``method`` for ``quantity`` and return the strategy to run.

    ``None`` gives the first applicable strategy (the default). An unknown name raises an
    error listing the known strategies; a known one that does not apply to this law raises
    an error listing the applicable ones.

    Examples
    --------
    >>> from freealg.numeric.dispatch import choose
    >>> choose("edges", None, ("curve", "fold"))
    'curve'
    >>> choose("edges", "formula", ("curve", "fold"))
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid method='formula': the edges strategy 'formula'
    does not apply to this law; use one of 'curve', 'fold'
    """
    known = STRATEGIES[quantity]
    if method is None:
        if not applicable:
            raise InvalidParameterError("method", method, f"no {quantity} strategy applies "
                                                          "to this law")
        return applicable[0]
    if not isinstance(method, str) or method not in known:
        names = ", ".join(repr(k) for k in sorted(known))
        raise InvalidParameterError("method", method, f"unknown {quantity} strategy; the "
                                                      f"known ones are {names}")
    if method not in applicable:
        names = ", ".join(repr(k) for k in applicable)
        raise InvalidParameterError("method", method, f"the {quantity} strategy {method!r} "
                                                      f"does not apply to this law; use one "
                                                      f"of {names}")
    return method


@dataclass
class Diagnostics:
    """What one numeric call did: the strategy, the precision and the solver's residuals.

    ``dps`` is None for the float64 path. ``residual`` is the largest residual of the
    equations at the returned solution(s) (None when the strategy has none, e.g. a closed
    form); ``iterations`` the Newton iterations and ``steps`` the continuation steps, summed
    over the solves of the call.

    Examples
    --------
    >>> import freealg as fa
    >>> _, d = fa.semicircle(1).cauchy(1j, full_output=True)
    >>> d.quantity, d.strategy, d.dps
    ('cauchy', 'formula', 30)
    """

    quantity: str
    strategy: str
    dps: int | None
    residual: Any = None
    iterations: int = 0
    steps: int = 0
    retried: int = 0
    notes: list = field(default_factory=list)

    @property
    def description(self) -> str:
        """What the strategy does, in words.

        Examples
        --------
        >>> from freealg.numeric.dispatch import Diagnostics
        >>> Diagnostics("cauchy", "curve", 30).description
        'root of the algebraic curve P(z, G) = 0, branch by continuity'
        """
        return _DESCRIPTIONS.get(self.strategy, self.strategy)

    def as_dict(self) -> dict:
        """The fields as a plain dict.

        Examples
        --------
        >>> from freealg.numeric.dispatch import Diagnostics
        >>> Diagnostics("density", "formula", None).as_dict()["strategy"]
        'formula'
        """
        return {"quantity": self.quantity, "strategy": self.strategy, "dps": self.dps,
                "residual": self.residual, "iterations": self.iterations,
                "steps": self.steps, "retried": self.retried, "notes": list(self.notes)}


_CURRENT: contextvars.ContextVar = contextvars.ContextVar("freealg_diagnostics", default=None)


def current() -> Diagnostics | None:
    """The Diagnostics of the call in progress (None outside a dispatched call).

    Examples
    --------
    >>> from freealg.numeric.dispatch import current
    >>> print(current())
    None
    """
    return _CURRENT.get()


@contextmanager
def collecting(quantity: str, strategy: str, dps: int | None) -> Iterator[Diagnostics]:
    """Open the Diagnostics record of a call; nested calls report to the outermost one.

    Examples
    --------
    >>> from freealg.numeric.dispatch import collecting, record
    >>> with collecting("cauchy", "path", 30) as d:
    ...     record(residual=1e-40, iterations=3)
    ...     record(residual=1e-35, iterations=2)
    >>> d.residual, d.iterations
    (1e-35, 5)
    """
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    d = Diagnostics(quantity, strategy, dps)
    token = _CURRENT.set(d)
    try:
        yield d
    finally:
        _CURRENT.reset(token)


def record(residual: Any = None, iterations: int = 0, steps: int = 0, retried: int = 0,
           note: str | None = None) -> None:
    """Report a solve to the call in progress (a no-op outside a dispatched call).

    The residual kept is the largest one reported.

    Examples
    --------
    >>> from freealg.numeric.dispatch import record
    >>> record(residual=1.0)       # nothing collects it: ignored
    """
    d = _CURRENT.get()
    if d is None:
        return
    if residual is not None:
        try:
            bigger = d.residual is None or residual > d.residual
        except TypeError:
            bigger = True
        if bigger:
            d.residual = residual
    d.iterations += int(iterations or 0)
    d.steps += int(steps or 0)
    d.retried += int(retried or 0)
    if note:
        d.notes.append(note)


def numeric_input(x: Any, name: str, complex_ok: bool, dps: int) -> tuple:
    """Classify a point argument: (NP, float/complex ndarray) or (MP, mpf/mpc).

    Lists, tuples and numpy arrays go to the float64 path; Python, numpy, mpmath and sympy
    numbers, and decimal strings such as ``"-1.7"`` (parsed by mpmath, never evaluated), to
    mpmath at ``dps + 10`` digits. Other strings, booleans, non-finite values and (when
    ``complex_ok`` is False) complex values raise :class:`InvalidParameterError`. The first
    element is ``"array"`` or ``"scalar"``.

    Examples
    --------
    >>> import mpmath
    >>> from freealg.numeric.dispatch import numeric_input
    >>> numeric_input([0.5, 1], "x", complex_ok=False, dps=15)
    ('array', array([0.5, 1. ]))
    >>> kind, v = numeric_input("-1.7", "x", complex_ok=False, dps=30)   # all digits kept
    >>> kind, mpmath.nstr(v, 40, min_fixed=-1)
    ('scalar', '-1.7')
    """
    kind = complex if complex_ok else float
    if isinstance(x, (np.ndarray, list, tuple)):
        arr = np.asarray(x)
        if arr.dtype == object or arr.dtype.kind not in "biufc" or arr.dtype.kind == "b":
            raise InvalidParameterError(name, x, "must be a number or an array of numbers")
        if not complex_ok and arr.dtype.kind == "c":
            if np.any(arr.imag != 0):
                raise InvalidParameterError(name, arr[arr.imag != 0].ravel()[:3],
                                            "must be real (use cauchy for complex points)")
            arr = arr.real
        arr = np.asarray(arr, dtype=kind)
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError(name, arr[~np.isfinite(arr)].ravel()[:3],
                                        "must be finite")
        return "array", arr
    if isinstance(x, (bool, np.bool_, bytes)) or x is None:
        raise InvalidParameterError(name, x, "must be a number or an array of numbers")
    if isinstance(x, sp.Basic) and not x.is_number:
        raise InvalidParameterError(name, x, "must be a number (substitute the symbols first)")
    with mpmath.workdps(dps + 10):
        try:
            if isinstance(x, sp.Basic):
                re_, im_ = (sp.Float(part.evalf(dps + 10), dps + 10)
                            for part in x.as_real_imag())
                v = mpmath.mpc(re_._to_mpmath(mpmath.mp.prec), im_._to_mpmath(mpmath.mp.prec))
            elif isinstance(x, str):
                # a decimal literal keeps all its digits; mpmath parses numbers only (no eval)
                v = mpmath.mpc(mpmath.mpf(x.strip()))
            else:
                v = mpmath.mpc(x)
        except (TypeError, ValueError, AttributeError):
            raise InvalidParameterError(name, x, "must be a number or an array of numbers") \
                from None
        if not mpmath.isfinite(v):
            raise InvalidParameterError(name, x, "must be finite")
        if complex_ok:
            return "scalar", v
        if v.imag != 0:
            raise InvalidParameterError(name, x, "must be real (use cauchy for complex points)")
        return "scalar", v.real
