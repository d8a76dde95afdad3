"""Stage reports of slow numeric searches, without importing the progress layer.

Engine modules (a low layer) do not import :mod:`freealg.progress`. A caller above them opens a
reporter and installs its ``stage`` method here with :func:`reporting`; engine code reports with
:func:`stage`, a cheap no-op when nothing is installed.

Examples
--------
>>> from freealg.numeric.stages import reporting, stage
>>> seen = []
>>> with reporting(seen.append):
...     stage("scan")
>>> stage("ignored")          # nothing installed: does nothing
>>> seen
['scan']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["reporting", "stage"]

_HOOK: ContextVar[Callable[[str], None] | None] = ContextVar("freealg_numeric_stage",
                                                             default=None)


@contextmanager
def reporting(hook: Callable[[str], None] | None) -> Iterator[None]:
    """Install ``hook`` (called with the name of each stage; None: none) for the block.

    Examples
    --------
    >>> with reporting(print):
    ...     stage("edges")
    edges

    Parameters
    ----------
    hook : callable or None
        Called as ``hook(name)`` by :func:`stage`.
    """
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)


def stage(name: str) -> None:
    """Report the stage ``name`` to the installed hook (a no-op when none is installed).

    Examples
    --------
    >>> stage("mass audit")

    Parameters
    ----------
    name : str
        The stage entered.
    """
    hook = _HOOK.get()
    if hook is not None:
        hook(name)
