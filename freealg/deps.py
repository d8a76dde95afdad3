"""Optional packages (tqdm, torch, dask.distributed, matplotlib), the BLAS thread pool, and
the check for another distribution that installs the import name ``freealg``.

Optional packages are imported lazily, where an option needs them; a missing one raises
:class:`~freealg.errors.OptionalDependencyError`, which names the pip extra to install.
:class:`blas_threads` limits LAPACK's threads around dense linear algebra (the Monte Carlo
sampler, the neural-network spectra). :func:`name_clash` finds other installed distributions
that own the import name ``freealg`` (the PyPI project ``freealg`` is a different package);
``import freealg`` warns once with :class:`NameClashWarning` when there is one.

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
import importlib.metadata as _metadata
import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from .errors import OptionalDependencyError

__all__ = ["EXTRAS", "DISTRIBUTION", "have", "require", "blas_threads", "NameClashWarning",
           "name_clash", "warn_name_clash"]

#: this project's distribution name; the import name is ``freealg``
DISTRIBUTION = "freealg-cas"

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


# --------------------------------------------------------------------------------------------
# another distribution that owns the import name ``freealg``


class NameClashWarning(UserWarning):
    """Another installed distribution also provides the import name ``freealg``.

    The PyPI project ``freealg`` ("free decompression") is a different package with the same
    import name; installing it overwrites (or shadows) this one. The message gives the fix.

    Examples
    --------
    >>> from freealg.deps import NameClashWarning
    >>> issubclass(NameClashWarning, UserWarning)
    True
    """


def _normalise(name: str) -> str:
    # PEP 503 normalisation: freealg_cas, FreeAlg.CAS and freealg-cas are one name
    return re.sub(r"[-_.]+", "-", name).lower()


def _owns(dist: Any, package: str) -> bool:
    """Whether the distribution's metadata lists the top-level package ``package``."""
    top = dist.read_text("top_level.txt")
    if top is not None and package in top.split():
        return True
    # the raw RECORD first: ``dist.files`` can drop entries (some environments filter it to
    # files that exist, or patch it), the file list itself is what the installer wrote
    record = dist.read_text("RECORD") or ""
    names = [line.split(",", 1)[0] for line in record.splitlines() if line.strip()]
    names += [str(f) for f in dist.files or ()]
    for name in names:
        parts = Path(name).parts
        if parts and parts[0] in (package, package + ".py"):
            return True
    return False


def name_clash(package: str = "freealg", thorough: bool = False) -> list[str]:
    """Installed distributions other than ``freealg-cas`` that provide the import name ``package``.

    The default, cheap check (run at ``import freealg``) looks at the distribution whose name is
    the import name itself (the PyPI project ``freealg``) and confirms from its metadata
    (``top_level.txt`` or its file list) that it installs that package. With ``thorough``
    every installed distribution's metadata is checked (about 0.5 s).

    Examples
    --------
    >>> from freealg.deps import name_clash
    >>> name_clash("no_such_package_here")
    []

    Parameters
    ----------
    package : str
        The top-level import name.
    thorough : bool
        Scan all installed distributions, not only the one named ``package``.

    Returns
    -------
    list of str
        ``'name version'`` of each other distribution that owns ``package``, sorted.
    """
    found: set[str] = set()
    if thorough:
        # every installed distribution, read with _owns (top_level.txt, then the RECORD text):
        # packages_distributions() infers from ``dist.files``, which the importlib_metadata
        # backport (loaded by some packages, e.g. dask) filters to files that exist
        for dist in _metadata.distributions():
            name = dist.metadata["Name"]
            if name and _normalise(name) != DISTRIBUTION and _owns(dist, package):
                found.add(f"{name} {dist.version}")
        return sorted(found)
    try:
        dist = _metadata.distribution(package)
    except _metadata.PackageNotFoundError:
        return []
    name = dist.metadata["Name"] or package
    if _normalise(name) != DISTRIBUTION and _owns(dist, package):
        found.add(f"{name} {dist.version}")
    return sorted(found)


def _fix(others: list[str]) -> str:
    root = Path(__file__).resolve().parents[1]
    names = " ".join(o.split()[0] for o in others)
    if (root / "pyproject.toml").exists():
        reinstall = f'pip install -e "{root}"'
    else:
        reinstall = "pip install -e . (from your clone of freealg-cas)"
    return f"pip uninstall -y {names} && {reinstall}"


_WARNED = False


def warn_name_clash(others: list[str] | None = None) -> bool:
    """Warn once (:class:`NameClashWarning`) if another distribution owns the import name.

    Called by ``import freealg``. The message names the other distribution and the fix: uninstall
    it, then reinstall this package from its clone (``pip install -e <clone>``); the PyPI name
    ``freealg`` is the other project.

    Examples
    --------
    >>> import warnings
    >>> from freealg import deps
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     deps.warn_name_clash([])
    False

    Parameters
    ----------
    others : list of str, optional
        The clashing distributions (default: :func:`name_clash`).

    Returns
    -------
    bool
        Whether a warning was issued now (only the first clash in a session warns).
    """
    global _WARNED
    if others is None:
        try:
            others = name_clash()
        except Exception:  # noqa: BLE001 - broken metadata must never break the import
            return False
    if not others or _WARNED:
        return False
    _WARNED = True
    warnings.warn(
        f"another installed distribution ({', '.join(others)}) also provides the import name "
        f"'freealg' and can overwrite or shadow this package (freealg-cas, free probability as "
        f"a computer-algebra extension; PyPI's 'freealg' is a different project). Fix: "
        f"{_fix(others)}", NameClashWarning, stacklevel=3)
    return True
