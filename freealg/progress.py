"""Progress reporting for slow calls.

Slow public calls (:func:`freealg.sample`, :func:`freealg.freeness_test`, the constructor and
the slow methods of :class:`freealg.nn.MLP`) take ``progress=`` and open a reporter with
:func:`bar`:

* ``progress=True``: a tqdm bar on stderr when tqdm is installed (the ``progress`` extra),
  otherwise one ``[k/n] desc`` line per step on stderr;
* ``progress=False``: nothing;
* ``progress=None`` (the default): on only in interactive sessions (stderr is a terminal or an
  IPython kernel is running) and only for calls expected to be slow. Nothing is ever printed in
  non-interactive runs (tests, CI, scripts whose output is piped) unless ``progress=True``.

The reporter of the call in progress sits in a context variable, so engine code several calls
down can report without taking a ``progress`` argument: :func:`step` and :func:`stage` are
cheap no-ops when no reporter is active.

This module is a low layer: it imports only :mod:`freealg.errors`, :mod:`freealg.deps` and the
standard library.

Examples
--------
>>> import io
>>> from freealg import progress
>>> out = io.StringIO()
>>> with progress.bar(3, "demo", True, stream=out, style="lines") as rep:
...     for k in range(3):
...         progress.step()
>>> print(out.getvalue(), end="")
[1/3] demo
[2/3] demo
[3/3] demo
>>> progress.step()          # no reporter active: does nothing
"""

from __future__ import annotations

import os
import sys
from contextvars import ContextVar, Token
from typing import Any, TextIO

from .deps import require
from .errors import InvalidParameterError

__all__ = ["Reporter", "bar", "check", "interactive", "step", "stage", "active"]

_ACTIVE: ContextVar[Reporter | None] = ContextVar("freealg_progress", default=None)

STYLES = ("auto", "tqdm", "lines")


def check(progress: Any, name: str = "progress") -> bool | None:
    """Validate a ``progress=`` argument: True, False or None.

    Examples
    --------
    >>> check(None), check(True)
    (None, True)
    >>> check("yes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid progress='yes': must be True, False or None ...

    Parameters
    ----------
    progress : object
        The value to check (numpy bools are accepted).
    name : str
        Name of the argument in the error message.

    Returns
    -------
    bool or None

    Raises
    ------
    InvalidParameterError
        Anything else than True, False or None.
    """
    if progress is None or progress is True or progress is False:
        return progress
    if type(progress).__module__ == "numpy" and type(progress).__name__ in ("bool", "bool_"):
        return bool(progress)
    raise InvalidParameterError(name, progress, "must be True, False or None (on in "
                                                "interactive sessions)")


def interactive() -> bool:
    """Whether this is an interactive session: stderr is a terminal or an IPython kernel (a
    notebook) is running, and neither pytest nor a CI service (``CI`` set) is running.

    Examples
    --------
    >>> interactive()            # under pytest / doctest runs: never
    False

    Returns
    -------
    bool
    """
    if "PYTEST_CURRENT_TEST" in os.environ or os.environ.get("CI", "").lower() in (
            "1", "true", "yes"):
        return False
    ipython = sys.modules.get("IPython")
    if ipython is not None:
        try:
            shell = ipython.get_ipython()
        except Exception:  # pragma: no cover - a broken IPython install
            shell = None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            return True
    try:
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _tqdm_class() -> Any:
    """tqdm.auto.tqdm, or None when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


class Reporter:
    """The progress of one slow call: ``total`` steps, shown as a tqdm bar or as lines.

    Made by :func:`bar`; use it as a context manager (it then becomes the active reporter that
    :func:`step` and :func:`stage` advance). A disabled reporter shows nothing and hides any
    outer reporter from the engine code it runs.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with bar(2, "solve", True, stream=out, style="lines") as rep:
    ...     rep.stage("edges")
    ...     rep.stage("atoms")
    >>> print(out.getvalue(), end="")
    [1/2] solve: edges
    [2/2] solve: atoms
    """

    def __init__(self, total: int | None, desc: str, enabled: bool, stream: TextIO | None = None,
                 style: str = "auto"):
        self.total = total
        self.desc = desc
        self.enabled = enabled
        self.count = 0
        self._stream = stream
        self._tqdm: Any = None
        self._token: Token | None = None
        self._closed = False
        if enabled and style != "lines":
            cls = _tqdm_class() if style == "auto" else require("tqdm.auto", "progress",
                                                               True).tqdm
            if cls is not None:
                self._tqdm = cls(total=total, desc=desc, file=self.stream)

    @property
    def stream(self) -> TextIO:
        """Where the reporter writes (sys.stderr at the time of the write unless given)."""
        return self._stream if self._stream is not None else sys.stderr

    def step(self, n: int = 1, note: str | None = None) -> None:
        """Advance by ``n`` steps; ``note`` labels the step (``[k/n] desc: note``)."""
        self.count += n
        if not self.enabled or self._closed:
            return
        if self._tqdm is not None:
            if note is not None:
                self._tqdm.set_postfix_str(note, refresh=False)
            self._tqdm.update(n)
            return
        total = "?" if self.total is None else str(self.total)
        tail = f": {note}" if note else ""
        self.stream.write(f"[{self.count}/{total}] {self.desc}{tail}\n")
        self.stream.flush()

    def update(self, n: int = 1) -> None:
        """tqdm's name for :meth:`step`."""
        self.step(n)

    def stage(self, name: str) -> None:
        """Advance by one step named ``name`` (a stage of a call)."""
        self.step(1, name)

    def close(self) -> None:
        """Close the bar (idempotent)."""
        if self._tqdm is not None and not self._closed:
            self._tqdm.close()
        self._closed = True

    def __enter__(self) -> Reporter:
        self._token = _ACTIVE.set(self if self.enabled else None)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        self.close()


def bar(total: int | None, desc: str, enabled: bool | None = None, *, slow: bool = True,
        stream: TextIO | None = None, style: str = "auto") -> Reporter:
    """A progress reporter for a call of ``total`` steps.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with bar(2, "trials", None, stream=out) as rep:     # None: off outside a session
    ...     rep.step(2)
    >>> out.getvalue(), rep.count
    ('', 2)

    Parameters
    ----------
    total : int or None
        Number of steps (None: unknown, shown as ``[k/?]``).
    desc : str
        What is being done.
    enabled : bool or None
        True: always report; False: never; None: report when the session is
        :func:`interactive`, ``slow`` is true and no other reporter is active (the call
        runs inside a reported one).
    slow : bool
        Whether the caller expects the call to be slow (over about 2 s); used with
        ``enabled=None`` only.
    stream : file-like, optional
        Where to write (default: ``sys.stderr`` at the time of each write).
    style : {'auto', 'tqdm', 'lines'}
        'auto': tqdm when installed, else lines; 'tqdm' requires tqdm; 'lines': one
        ``[k/n] desc`` line per step.

    Returns
    -------
    Reporter

    Raises
    ------
    InvalidParameterError
        ``enabled`` not True, False or None; an unknown ``style``; ``total`` not a
        non-negative int or None.
    OptionalDependencyError
        ``style='tqdm'`` without tqdm installed.
    """
    enabled = check(enabled)
    if style not in STYLES:
        raise InvalidParameterError("style", style, f"must be one of {', '.join(STYLES)}")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)
                              or total < 0):
        raise InvalidParameterError("total", total, "must be a non-negative int or None")
    # None inside another reporter: the outer one reports (no nested bars)
    on = (interactive() and bool(slow) and _ACTIVE.get() is None) if enabled is None \
        else enabled
    return Reporter(total, desc, on, stream, style)


def active() -> Reporter | None:
    """The reporter of the call in progress, or None.

    Examples
    --------
    >>> active() is None
    True

    Returns
    -------
    Reporter or None
    """
    return _ACTIVE.get()


def step(n: int = 1, note: str | None = None) -> None:
    """Advance the active reporter by ``n`` steps (a no-op when none is active).

    Examples
    --------
    >>> step()                   # nothing active: nothing happens

    Parameters
    ----------
    n : int
        Number of steps done.
    note : str, optional
        Label of the step.
    """
    rep = _ACTIVE.get()
    if rep is not None:
        rep.step(n, note)


def stage(name: str) -> None:
    """Advance the active reporter by one step named ``name`` (a no-op when none is active).

    Examples
    --------
    >>> stage("edges")           # nothing active: nothing happens

    Parameters
    ----------
    name : str
        The stage just entered or finished.
    """
    rep = _ACTIVE.get()
    if rep is not None:
        rep.stage(name)
