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
    "OptionalDependencyError",
    "SizeLimitError",
    "LawArithmeticError",
    "ShapeError",
]


class FreeAlgError(Exception):
    """Base class of every error raised by freealg.

    Examples
    --------
    >>> import freealg as fa
    >>> try:
    ...     fa.semicircle(-1)
    ... except fa.FreeAlgError as err:
    ...     print(type(err).__name__)
    InvalidParameterError
    """


class InvalidParameterError(FreeAlgError, ValueError):
    """A parameter is surely invalid (a variance <= 0, a trace outside [0, 1], ...).

    Also a ``ValueError``. Raised only when the condition is definitely false: a symbolic
    parameter passes (its check is deferred until a number is needed).

    Examples
    --------
    >>> import freealg as fa
    >>> fa.semicircle(-1)
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid variance=-1: the variance of a semicircle
    must be > 0
    >>> err = fa.InvalidParameterError("t", 2, "must lie in [0, 1]")
    >>> err.name, err.value, isinstance(err, ValueError)
    ('t', 2, True)

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


class SizeLimitError(InvalidParameterError):
    """A request refused up front because it would not fit in time or memory.

    Raised before anything large is allocated or computed. It names what was asked for, the
    size it implies, the limit, and why the limit exists. It is also an
    :class:`InvalidParameterError` (and so a ``ValueError``).

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> (x + y) ** 40  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.SizeLimitError: invalid exponent=40: up to 1099511627776 terms, ...
    >>> err = fa.errors.SizeLimitError("n", 10**9, 10**9, 10**6, "memory")
    >>> err.size, err.limit, isinstance(err, ValueError)
    (1000000000, 1000000, True)

    Parameters
    ----------
    name : str
        The parameter that asks for too much.
    value : object
        Its value (or a short description of it).
    size : int or float
        The size the value implies, in the unit ``unit`` names.
    limit : int or float
        The largest size accepted.
    reason : str
        Why the limit exists (time or memory) and what to do instead.
    unit : str, optional
        What ``size`` counts (e.g. ``"terms"``, ``"bytes"``).
    """

    def __init__(self, name: str, value: Any, size: Any, limit: Any, reason: str,
                 unit: str = ""):
        self.size = size
        self.limit = limit
        self.reason = reason
        self.unit = unit
        u = f" {unit}" if unit else ""
        super().__init__(name, value, f"up to {size}{u}, over the limit of {limit}{u} "
                                      f"({reason})")


class ShapeError(InvalidParameterError):
    """Matrix shapes that do not fit: a product whose inner dimensions differ, a sum of
    different shapes, or a rectangular expression where a square one is needed.

    Shapes are (rows, columns) in units of the reference dimension N. It is also an
    :class:`InvalidParameterError` (and so a ``ValueError``).

    Examples
    --------
    >>> import freealg as fa
    >>> X, Y = fa.gaussian("X", shape=(1, 2)), fa.gaussian("Y", shape=(3, 1))
    >>> X * Y
    Traceback (most recent call last):
    ...
    freealg.errors.ShapeError: invalid shapes=((1, 2), (3, 1)): a product needs the columns of
    the left factor (2) to equal the rows of the right factor (3)

    Parameters
    ----------
    operation : str
        What was attempted (``"product"``, ``"sum"``, ``"spectrum"``, ...).
    shapes : tuple
        The shapes involved, each (rows, columns).
    requirement : str
        What the shapes must satisfy, in words.
    """

    def __init__(self, operation: str, shapes: Any, requirement: str):
        self.operation = operation
        self.shapes = tuple(shapes)
        super().__init__("shapes", self.shapes, requirement)


class NotFreeError(FreeAlgError):
    """Operands that a rule needs free are not (or not known to be) free.

    Examples
    --------
    >>> import freealg as fa
    >>> err = fa.NotFreeError("a and a**2", "they generate the same algebra")
    >>> print(err)
    a and a**2 are not free: they generate the same algebra

    Parameters
    ----------
    what : str
        The operands, in words.
    reason : str, optional
        Why they are not free.
    """

    def __init__(self, what: str, reason: str = ""):
        self.what = what
        self.reason = reason
        super().__init__(f"{what} are not free" + (f": {reason}" if reason else ""))


class ReductionError(FreeAlgError):
    """No compiler rule applies; ``tried`` lists the rules that were attempted.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> fa.compile(x*y + y*x, method="rules")       # the default falls back to linearization
    Traceback (most recent call last):
    ...
    freealg.errors.ReductionError: no rule reduces x*y + y*x; tried: constant/shift/scale, ...

    Parameters
    ----------
    expr : object
        The expression that no rule reduces.
    tried : sequence of str
        Names of the rules attempted.
    hint : str, optional
        What to do instead.
    """

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
    """A condition depends on symbols that must be given numbers first.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> v = sp.Symbol("v", positive=True)
    >>> fa.semicircle(v).density(0.0)
    Traceback (most recent call last):
    ...
    freealg.errors.UndeterminedError: cannot decide a law parameter: it depends on the
    symbol(s) v; ...
    >>> float(fa.semicircle(v).subs(v, 1).density(0.0))     # 1/pi
    0.3183098861837907

    Parameters
    ----------
    what : str
        What could not be decided.
    symbols : sequence, optional
        The symbols it depends on.
    """

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

    Examples
    --------
    >>> import freealg as fa
    >>> fa.nn.critical_sigma_w("relu", bracket=(0.1, 0.2))      # the root is sqrt(2)
    Traceback (most recent call last):
    ...
    freealg.errors.NoConvergence: critical sigma_w did not converge (dps=20, steps=0,
    residual=0.98); ...
    >>> try:
    ...     fa.nn.critical_sigma_w("relu", bracket=(0.1, 0.2))
    ... except fa.NoConvergence as err:
    ...     print(err.dps, err.steps, err.advice)
    20 0 chi - 1 does not change sign on sigma_w in (0.1, 0.2); widen the bracket or change sigma_b

    Parameters
    ----------
    what : str
        The computation.
    dps, steps : int, optional
        Precision and number of steps used.
    residual : number, optional
        The last residual.
    point : number, optional
        Where it failed.
    advice : str, optional
        What to change (a default advice otherwise).
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
        self.advice = advice or ("try a larger dps or more steps, or a point further from the "
                                 "real axis")
        msg = f"{what} did not converge"
        if parts:
            msg += " (" + ", ".join(parts) + ")"
        super().__init__(f"{msg}; {self.advice}")


class BranchError(FreeAlgError):
    """A branch of a multivalued function could not be selected unambiguously.

    Examples
    --------
    >>> import freealg as fa
    >>> print(fa.BranchError("subordination branch", point=1j, advice="move off the axis"))
    subordination branch at z=1j; move off the axis

    Parameters
    ----------
    what : str
        The function whose branch is ambiguous.
    point : number, optional
        Where.
    advice : str, optional
        What to do instead.
    """

    def __init__(self, what: str, point: Any = None, advice: str = ""):
        self.what = what
        self.point = point
        self.advice = advice
        msg = what + (f" at z={point}" if point is not None else "")
        if advice:
            msg += f"; {advice}"
        super().__init__(msg)


# ImportError types ``name`` as str | None; here it is the option's name, always a str
class OptionalDependencyError(InvalidParameterError, ImportError):  # type: ignore[misc]
    """An option needs a package that is not installed; the message names the pip extra.

    Both an :class:`InvalidParameterError` (a ``ValueError``) and an ``ImportError``, so either
    ``except`` clause catches it. Raised by :func:`freealg.deps.require`.

    Examples
    --------
    >>> from freealg.errors import OptionalDependencyError
    >>> err = OptionalDependencyError("backend", "torch", "torch", "gpu")
    >>> isinstance(err, ValueError), isinstance(err, ImportError)
    (True, True)
    >>> err.package, err.extra
    ('torch', 'gpu')
    >>> print(err)
    invalid backend='torch': needs the optional package 'torch', which is not installed;
    install it with pip install torch (or, from your clone of freealg, pip install -e ".[gpu]")

    Parameters
    ----------
    name : str
        The option that needs the package (e.g. ``'backend'``).
    value : object
        The value the option was given.
    package : str
        The missing package (importable name).
    extra : str
        The pip extra of freealg that installs it (``pyproject.toml``).
    """

    def __init__(self, name: str, value: Any, package: str, extra: str):
        self.package = package
        self.extra = extra
        super().__init__(name, value, f"needs the optional package {package!r}, which is not "
                                      f"installed; install it with pip install {package} (or, from "
                                      f'your clone of freealg, pip install -e ".[{extra}]")')


class LawArithmeticError(FreeAlgError, TypeError):
    """``+``, ``-``, ``*``, ``/`` or ``**`` applied to a law (deliberately not defined).

    For laws ``mu + nu`` could mean the free additive convolution or the classical one, and
    ``2 * mu`` a dilation or a mixture; the message names the explicit methods instead. Also a
    ``TypeError``, which Python raised here before.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.semicircle(1) + fa.semicircle(2)
    Traceback (most recent call last):
    ...
    freealg.errors.LawArithmeticError: '+' is not defined for laws: ...

    Parameters
    ----------
    op : str
        The operator.
    """

    def __init__(self, op: str):
        self.op = op
        super().__init__(
            f"{op!r} is not defined for laws: it is ambiguous (free or classical convolution; "
            "a dilation or a mixture). Use mu.boxplus(nu) for the free additive convolution, "
            "mu.boxtimes(nu) for the free multiplicative one, mu.affine(scale, shift) for "
            "scale * X + shift, or fa.mixture for a mixture")
