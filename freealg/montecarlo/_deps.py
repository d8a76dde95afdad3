"""Optional dependencies of the Monte Carlo layer (tqdm, torch, dask.distributed).

Each is imported lazily; a missing package raises :class:`OptionalDependencyError`, which is an
:class:`~freealg.errors.InvalidParameterError` (so ``except ValueError`` works) and an
``ImportError`` (so ``except ImportError`` works), and names the pip extra to install.

Examples
--------
>>> from freealg.montecarlo._deps import OptionalDependencyError
>>> err = OptionalDependencyError("backend", "torch", "torch", "gpu")
>>> print(err)  # doctest: +ELLIPSIS
invalid backend='torch': needs the optional package 'torch', which is not installed; ...
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["OptionalDependencyError", "require", "have"]

#: pip extra that provides each optional package (see pyproject.toml)
EXTRAS = {"tqdm": "progress", "torch": "gpu", "dask": "dask", "distributed": "dask",
          "matplotlib": "plot"}


class OptionalDependencyError(InvalidParameterError, ImportError):
    """An option needs a package that is not installed; the message names the pip extra.

    Both an :class:`~freealg.errors.InvalidParameterError` (a ``ValueError``) and an
    ``ImportError``, so either ``except`` clause catches it.

    Examples
    --------
    >>> from freealg.montecarlo import OptionalDependencyError
    >>> err = OptionalDependencyError("backend", "torch", "torch", "gpu")
    >>> isinstance(err, ValueError), isinstance(err, ImportError)
    (True, True)
    >>> err.package, err.extra
    ('torch', 'gpu')
    >>> print(err)
    invalid backend='torch': needs the optional package 'torch', which is not installed;
    install it with pip install 'freealg-cas[gpu]' (or pip install torch)

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
                                      f"installed; install it with "
                                      f"pip install 'freealg-cas[{extra}]' (or pip install "
                                      f"{package})")


def have(module: str) -> bool:
    """Whether ``module`` can be imported (imports it)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def require(module: str, name: str, value: Any) -> Any:
    """Import ``module`` or raise :class:`OptionalDependencyError` for option ``name=value``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise OptionalDependencyError(name, value, top, EXTRAS.get(top, top)) from None


# --------------------------------------------------------------------------------------------
# BLAS threads (LAPACK's QR/eigvalsh slow down badly when their threads are oversubscribed)

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")


def _openblas_handles() -> list:
    import ctypes

    out = []
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
    """

    def __init__(self, threads: int | None):
        self.threads = threads
        self._undo = []

    def __enter__(self):
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
                self._undo.append(lambda s=set_, o=old: s(int(o)))
        return self

    def __exit__(self, *exc):
        for undo in reversed(self._undo):
            undo()
        self._undo = []
        return False
