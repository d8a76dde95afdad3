"""The memory budget of the engine: how many bytes one linearization or operator-valued system
may take, checked before anything of that size is allocated.

The budget is, in this order: the ``budget`` argument of :func:`memory_budget`, the environment
variable ``FREEALG_MEMORY_BUDGET`` (bytes, or with a suffix ``K``, ``M``, ``G``, ``T``: powers of
1024), else half the available memory (``MemAvailable`` on Linux).
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidParameterError, SizeLimitError
from ..kernels.resources import available_memory

__all__ = ["memory_budget", "check_memory_size", "ENV_VAR"]

ENV_VAR = "FREEALG_MEMORY_BUDGET"

_SUFFIX = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _parse(text: str) -> int:
    t = text.strip().upper().replace("IB", "").replace(" ", "")
    unit = t[-1] if t and t[-1] in _SUFFIX and not t[-1].isdigit() else ""
    num = t[:-1] if unit else t
    try:
        value = float(num)
    except ValueError:
        value = -1.0
    if not (value > 0 and value * _SUFFIX[unit] < 2.0 ** 62):
        raise InvalidParameterError(ENV_VAR, text, "a positive number of bytes, e.g. 4G, "
                                                   "512M or 1000000")
    return int(value * _SUFFIX[unit])


def memory_budget(budget: Any = None) -> int:
    """Bytes one engine system may take (module docstring).

    Examples
    --------
    >>> memory_budget("2G")
    2147483648
    >>> memory_budget() > 0
    True

    Parameters
    ----------
    budget : int or str, optional
        An explicit budget (bytes, or a string with a K/M/G/T suffix); None reads
        ``FREEALG_MEMORY_BUDGET``, else half the available memory.

    Returns
    -------
    int
        The budget in bytes.

    Raises
    ------
    InvalidParameterError
        When the budget (argument or environment variable) is not a positive size.
    """
    if budget is None:
        env = os.environ.get(ENV_VAR)
        if env is None or not env.strip():
            return max(1, available_memory() // 2)
        return _parse(env)
    if isinstance(budget, bool):
        raise InvalidParameterError("budget", budget, "a positive number of bytes")
    if isinstance(budget, str):
        return _parse(budget)
    try:
        value = int(budget)
    except (TypeError, ValueError):
        value = 0
    if value <= 0 or value != budget:
        raise InvalidParameterError("budget", budget, "a positive number of bytes")
    return value


def check_memory_size(need: int, name: str, value: Any, what: str, advice: str,
                      budget: Any = None) -> None:
    """Raise :class:`~freealg.errors.SizeLimitError` when ``need`` bytes exceed the budget.

    Examples
    --------
    >>> check_memory_size(10, "expr", "x", "a small system", "nothing to do", budget=100)
    >>> check_memory_size(10**12, "expr", "x", "a pencil of size 1000", "reduce the degree",
    ...                   budget="1G")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    freealg.errors.SizeLimitError: invalid expr='x': up to 1000000000000 bytes, over the limit ...

    Parameters
    ----------
    need : int
        Bytes the system would take.
    name, value : str, object
        The parameter that asks for it and its value (for the message).
    what : str
        What would be allocated (e.g. "a pencil of size 40: its Newton system ...").
    advice : str
        What to do instead.
    budget : int or str, optional
        See :func:`memory_budget`.
    """
    have = memory_budget(budget)
    if need > have:
        raise SizeLimitError(name, value, int(need), have,
                             f"{what}, over the memory budget (half the available memory, or "
                             f"{ENV_VAR}); {advice}", "bytes")
