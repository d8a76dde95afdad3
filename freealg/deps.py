"""Optional packages (tqdm, torch, dask.distributed, matplotlib) and the BLAS thread pool.

Optional packages are imported lazily, where an option needs them; a missing one raises
:class:`~freealg.errors.OptionalDependencyError`, which names the pip extra to install.
:class:`blas_threads` limits LAPACK's threads around dense linear algebra (the Monte Carlo
sampler, the neural-network spectra).

Examples
--------
>>> from freealg.deps import have, require
>>> have("numpy"), have("no_such_package_here")
(True, False)
>>> require("no_such_package_here", "backend", "x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
freealg.errors.OptionalDependencyError: invalid backend='x': needs the optional package ...
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable

from .errors import OptionalDependencyError

__all__ = ["EXTRAS", "have", "require", "blas_threads"]

#: pip extra that provides each optional package (see pyproject.toml)
EXTRAS = {"tqdm": "progress", "torch": "gpu", "dask": "dask", "distributed": "dask",
          "matplotlib": "plot"}


def have(module: str) -> bool:
    """Whether ``module`` can be imported (imports it).

    Examples
    --------
    >>> have("math")
    True

    Parameters
    ----------
    module : str
        Importable module name.

    Returns
    -------
    bool
    """
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def require(module: str, name: str, value: Any) -> ModuleType:
    """Import ``module``, or raise :class:`~freealg.errors.OptionalDependencyError` for the
    option ``name=value`` that needs it.

    Examples
    --------
    >>> require("math", "backend", "numpy").sqrt(4.0)
    2.0

    Parameters
    ----------
    module : str
        Importable module name (``'tqdm.auto'``); its top-level package names the extra.
    name, value : str, object
        The option that needs the module, for the message.

    Returns
    -------
    module

    Raises
    ------
    OptionalDependencyError
        The module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise OptionalDependencyError(name, value, top, EXTRAS.get(top, top)) from None


# --------------------------------------------------------------------------------------------
# BLAS threads (LAPACK's QR/eigvalsh slow down badly when their threads are oversubscribed)

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")


def _openblas_handles() -> list[tuple[Any, Any]]:
    import ctypes

    out: list[tuple[Any, Any]] = []
    try:
        with open("/proc/self/maps") as fh:
            paths = {ln.split()[-1] for ln in fh if "openblas" in ln.lower() and "/" in ln}
    except OSError:
        return out
    for p in sorted(paths):
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        for s in _SETTERS:
            if hasattr(lib, s):
                get = getattr(lib, s.replace("set_num_threads", "get_num_threads"), None)
                out.append((getattr(lib, s), get))
                break
    return out


def _restorer(set_: Any, old: int) -> Callable[[], Any]:
    def restore() -> Any:
        return set_(old)
    return restore


class blas_threads:
    """Context manager limiting the BLAS/LAPACK thread pool (``None``: leave it alone).

    Uses threadpoolctl when installed, otherwise OpenBLAS's own setter through ctypes (numpy's
    wheels bundle OpenBLAS); silently does nothing when neither is available.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float(np.linalg.eigvalsh(np.eye(3))[0])
    1.0

    Parameters
    ----------
    threads : int or None
        The thread limit inside the ``with`` block.
    """

    def __init__(self, threads: int | None):
        self.threads = threads
        self._undo: list[Callable[[], Any]] = []

    def __enter__(self) -> blas_threads:
        if self.threads is None:
            return self
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            threadpool_limits = None
        if threadpool_limits is not None:
            ctl = threadpool_limits(limits=self.threads, user_api="blas")
            self._undo.append(ctl.restore_original_limits)
            return self
        for set_, get in _openblas_handles():
            old = get() if get is not None else None
            set_(int(self.threads))
            if old is not None:
                self._undo.append(_restorer(set_, int(old)))
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo = []
