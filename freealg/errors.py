"""The freealg error hierarchy.

Every exception keeps its inputs as attributes and builds its message from them, so a caller
can react to the values (retry with more ``dps``, a different start point, ...) instead of
parsing text.

Examples
--------
>>> from freealg.errors import NoConvergence, FreeAlgError
>>> err = NoConvergence("subordination Newton", dps=30, steps=40, residual=1e-3)
>>> isinstance(err, FreeAlgError), err.dps
(True, 30)
>>> print(err)  # doctest: +ELLIPSIS
subordination Newton did not converge (dps=30, steps=40, residual=0.001); ...
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = [
    "FreeAlgError",
    "InvalidParameterError",
    "NotFreeError",
    "ReductionError",
    "UndeterminedError",
    "NoConvergence",
    "BranchError",
]


class FreeAlgError(Exception):
    """Base class of every error raised by freealg."""


class InvalidParameterError(FreeAlgError, ValueError):
    """A parameter is surely invalid (a variance <= 0, a trace outside [0, 1], ...).

    Parameters
    ----------
    name : str
        The parameter's name.
    value : object
        The offending value.
    requirement : str
        What the value must satisfy, in words.
    """

    def __init__(self, name: str, value: Any, requirement: str):
        self.name = name
        self.value = value
        self.requirement = requirement
        super().__init__(f"invalid {name}={value!r}: {requirement}")


class NotFreeError(FreeAlgError):
    """Operands that a rule needs free are not (or not known to be) free."""

    def __init__(self, what: str, reason: str = ""):
        self.what = what
        self.reason = reason
        super().__init__(f"{what} are not free" + (f": {reason}" if reason else ""))


class ReductionError(FreeAlgError):
    """No compiler rule applies; ``tried`` lists the rules that were attempted."""

    def __init__(self, expr: Any, tried: Sequence[str] = (), hint: str = ""):
        self.expr = expr
        self.tried = tuple(tried)
        self.hint = hint
        msg = f"no rule reduces {expr}"
        if self.tried:
            msg += "; tried: " + ", ".join(self.tried)
        if hint:
            msg += f". {hint}"
        super().__init__(msg)


class UndeterminedError(FreeAlgError):
    """A condition depends on symbols that must be given numbers first."""

    def __init__(self, what: str, symbols: Sequence[Any] = ()):
        self.what = what
        self.symbols = tuple(symbols)
        msg = f"cannot decide {what}"
        if self.symbols:
            names = ", ".join(str(s) for s in self.symbols)
            msg += f": it depends on the symbol(s) {names}; substitute numbers first (.subs)"
        super().__init__(msg)


class NoConvergence(FreeAlgError):
    """An iterative solver did not reach its tolerance.

    The message names what to change (``dps``, ``steps``, the start point).
    """

    def __init__(
        self,
        what: str,
        dps: int | None = None,
        steps: int | None = None,
        residual: Any = None,
        point: Any = None,
        advice: str = "",
    ):
        self.what = what
        self.dps = dps
        self.steps = steps
        self.residual = residual
        self.point = point
        parts = []
        if dps is not None:
            parts.append(f"dps={dps}")
        if steps is not None:
            parts.append(f"steps={steps}")
        if residual is not None:
            try:
                parts.append(f"residual={float(abs(residual)):.3g}")
            except (TypeError, ValueError):
                parts.append(f"residual={residual}")
        if point is not None:
            parts.append(f"at z={point}")
        self.advice = advice or "try a larger dps or more steps, or a point further from the real axis"
        msg = f"{what} did not converge"
        if parts:
            msg += " (" + ", ".join(parts) + ")"
        super().__init__(f"{msg}; {self.advice}")


class BranchError(FreeAlgError):
    """A branch of a multivalued function could not be selected unambiguously."""

    def __init__(self, what: str, point: Any = None, advice: str = ""):
        self.what = what
        self.point = point
        self.advice = advice
        msg = what + (f" at z={point}" if point is not None else "")
        if advice:
            msg += f"; {advice}"
        super().__init__(msg)
