"""``sample``: eigenvalues (or singular values) of random-matrix realisations of a polynomial.

Trial ``i`` realises every generator (:mod:`.samplers`) with ``SeedSequence(seed).spawn(trials)
[i]``, evaluates the polynomial (:mod:`.evaluate`) and takes its spectrum, on numpy or on one of
the optional back ends (:mod:`.backends`: torch, dask.distributed).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..algebra import NCPoly
from ..deps import blas_threads
from ..kernels.resources import available_memory
from ..errors import InvalidParameterError, UndeterminedError
from ..progress import bar as progress_bar, check as check_progress
from .backends import dask_trials, torch_trials
from .evaluate import evaluate, needs_complex, spectrum_of
from .samplers import NumpyOps, block_size, has_classical_randomness, realise

__all__ = ["sample", "SampledSpectrum", "memory_estimate", "check_memory"]

BACKENDS = ("numpy", "torch", "dask")


class SampledSpectrum(np.ndarray):
    """A numpy array of sampled eigenvalues (or singular values) that remembers how it was made.

    ``info`` holds ``n``, ``trials``, ``quantity`` ('eigenvalues' or 'singular values'),
    ``classical`` (iid diagonal entries present), ``field``, ``seed`` and ``backend``.
    :func:`~freealg.montecarlo.compare` reads ``info`` to set its expected-error scale.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> ev = fa.sample(fa.semicircular("x"), n=100, trials=2, seed=0)
    >>> isinstance(ev, np.ndarray), ev.shape
    (True, (200,))
    >>> ev.info["n"], ev.info["trials"], ev.info["quantity"], ev.info["field"]
    (100, 2, 'eigenvalues', 'real')

    Parameters
    ----------
    values : array_like
        The sampled values (stored as float64).
    info : dict
        How they were made (copied).
    """

    def __new__(cls, values: Any, info: dict):
        obj = np.asarray(values, dtype=float).view(cls)
        obj.info = dict(info)
        return obj

    def __array_finalize__(self, obj):
        self.info = dict(getattr(obj, "info", {}) or {})

    def __reduce__(self):
        return (SampledSpectrum, (np.asarray(self), self.info))


# --------------------------------------------------------------------------------------------
# memory


def memory_estimate(exprs, n: int, complex_: bool) -> int:
    """Bytes one realisation needs: a dense N x N matrix per non-diagonal generator, plus four
    work matrices (a running product, the accumulator, a temporary and LAPACK's copy)."""
    gens = {g for e in exprs for g in e.generators}
    dense = len(gens)   # diagonal families are conjugated into dense matrices (all but one)
    item = 16 if complex_ else 8
    return (dense + 4) * n * n * item


def _check_n(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise InvalidParameterError(name, n, "must be a positive integer (the matrix size N)")
    if n < 1:
        raise InvalidParameterError(name, n, "must be >= 1 (the matrix size N)")
    return int(n)


def _check_seed(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63)))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError("seed", seed, "must be a non-negative int, a "
                                                  "numpy.random.SeedSequence or a "
                                                  "numpy.random.Generator")
    return np.random.SeedSequence(int(seed))


def _check_expr(expr: Any, name: str = "expr") -> NCPoly:
    if not isinstance(expr, NCPoly):
        raise InvalidParameterError(name, type(expr).__name__,
                                    "must be a freealg NCPoly built from generators "
                                    "(fa.semicircular, fa.haar_unitary, ...); strings are "
                                    "never evaluated")
    syms = expr.free_symbols
    if syms:
        raise UndeterminedError(f"a Monte Carlo realisation of {expr!r}", sorted(syms, key=str))
    return expr


def check_memory(exprs, n: int, complex_: bool, name: str = "n") -> None:
    need = memory_estimate(exprs, n, complex_)
    have = available_memory()
    if need > have:
        raise InvalidParameterError(
            name, n, f"one realisation needs about {need / 2**30:.3g} GiB but only "
                     f"{have / 2**30:.3g} GiB of memory are available; use a smaller n "
                     f"(at most about {int(math.sqrt(have / max(need / n / n, 1)))})")


# --------------------------------------------------------------------------------------------


def _one_trial(expr: NCPoly, n: int, seedseq: np.random.SeedSequence, complex_: bool,
               selfadjoint: bool) -> np.ndarray:
    rng = np.random.default_rng(seedseq)
    ops = NumpyOps(rng)
    real = realise(expr.generators, n, rng, complex_, ops)
    kind, m = evaluate(expr, real, ops)
    return spectrum_of(kind, m, selfadjoint, ops)


def _slow(trials: int, n: int) -> bool:
    """Whether a run is expected to take over about 2 s (trials * N^3 > 2e9 flops of dense
    work): the threshold of ``progress=None`` in interactive sessions."""
    return trials * float(n) ** 3 > 2e9


def sample(expr: NCPoly, n: int = 1000, seed: Any = 0, trials: int = 1, backend: str = "numpy",
           progress: bool | None = None, *, field: str = "auto", per_trial: bool = False,
           device: str | None = None, client: Any = None,
           threads: int | None = None) -> SampledSpectrum:
    """Eigenvalues (self-adjoint ``expr``) or singular values (otherwise) of an N x N
    random-matrix realisation of ``expr``, concatenated over ``trials`` independent trials.

    Every generator gets its random-matrix model (see :mod:`freealg.montecarlo.samplers`): GOE/
    GUE semicirculars, Ginibre circulars, Haar unitaries/orthogonals (QR with the phase fix),
    projections of rank ``round(t N)`` in a Haar-random position, self-adjoint laws by quantiles
    with exact atom multiplicities, activation diagonals ``phi'(h)`` from Gaussian
    pre-activations. Free diagonal families are made free by independent Haar conjugations (all
    but one). The field is real (GOE, Haar orthogonal, real Ginibre) unless a Haar unitary, a
    circular or a complex coefficient occurs (``field='auto'``).

    Examples
    --------
    >>> import freealg as fa
    >>> x = fa.semicircular("x")
    >>> ev = sample(x, n=200, seed=1)
    >>> ev.shape, ev.info["quantity"], bool(abs(ev.mean()) < 0.1)
    ((200,), 'eigenvalues', True)
    >>> c = fa.circular("c")
    >>> sample(c, n=50, trials=2, per_trial=True).shape     # singular values, one row per trial
    (2, 50)

    Parameters
    ----------
    expr : NCPoly
        A polynomial in freealg generators with numeric coefficients.
    n : int
        The matrix size N >= 1. The empirical law approaches the free-probability law
        typically at rate about 1/N in the bulk and N^{-2/3} at soft edges; memory grows like
        N^2 per generator.
    seed : int, numpy SeedSequence or Generator
        Trial ``i`` uses ``SeedSequence(seed).spawn(trials)[i]``: the same numbers on every back
        end that runs on the CPU (numpy, dask).
    trials : int
        Number of independent realisations.
    backend : {'numpy', 'torch', 'dask'}
        'torch' runs on a GPU when one is available (``device=`` to force, e.g. 'cpu');
        'dask' spreads the trials over a ``dask.distributed`` cluster (``client=`` or a
        LocalCluster).
    progress : bool or None
        Report each trial on stderr (a tqdm bar when tqdm is installed, else one ``[k/n]``
        line per trial; see :mod:`freealg.progress`). None: only in interactive sessions and
        for runs expected to take over about 2 s.
    field : {'auto', 'real', 'complex'}
        Real or complex models.
    per_trial : bool
        Return a (trials, n) array instead of the concatenation.
    device : str or None
        ``backend='torch'`` only: the torch device, e.g. ``'cpu'``, ``'cuda'`` or
        ``'cuda:1'`` (None: CUDA when available, else the CPU). The draws are reproducible on
        one device but differ from the numpy back end's. Ignored by the other back ends.
    client : dask.distributed.Client or None
        ``backend='dask'`` only: the client of the cluster that runs the trials (None: a
        LocalCluster with one single-threaded worker process per core, started and closed by
        this call). Ignored by the other back ends.
    threads : int or None
        Limit the BLAS/LAPACK threads while sampling (None: leave them alone). LAPACK's QR and
        eigvalsh can be many times slower when their threads compete with other processes;
        ``threads=1`` is the fastest choice on a busy machine.

    Returns
    -------
    SampledSpectrum
        A float64 numpy array (sorted within each trial) with ``.info`` (n, trials, quantity,
        classical, field, seed, backend).

    Raises
    ------
    InvalidParameterError
        ``expr`` not an NCPoly; ``n``, ``trials`` or ``threads`` not a positive int; a bad
        ``seed``, ``field`` or ``progress`` (``field='real'`` for an expression that needs
        complex matrices); ``n`` too large for the available memory; an unknown back end or
        one whose package is not installed (:class:`~freealg.errors.OptionalDependencyError`,
        naming the pip extra).
    UndeterminedError
        Symbolic coefficients or parameters (substitute numbers with ``.subs`` first).
    """
    expr = _check_expr(expr)
    n = _check_n(n)
    trials = _check_n(trials, "trials")
    seedseq = _check_seed(seed)
    progress = check_progress(progress)
    if backend not in BACKENDS:
        raise InvalidParameterError("backend", backend, f"must be one of {', '.join(BACKENDS)}")
    if field not in ("auto", "real", "complex"):
        raise InvalidParameterError("field", field, "must be 'auto', 'real' or 'complex'")
    if threads is not None:
        threads = _check_n(threads, "threads")
    if field == "real" and needs_complex([expr]):
        raise InvalidParameterError("field", field, f"{expr!r} needs complex matrices (a Haar "
                                                    "unitary, a circular or a complex "
                                                    "coefficient)")
    complex_ = needs_complex([expr]) if field == "auto" else field == "complex"
    selfadjoint = expr.is_selfadjoint
    check_memory([expr], n, complex_)
    children = seedseq.spawn(trials)
    info = {"n": n, "trials": trials, "quantity": "eigenvalues" if selfadjoint else
            "singular values", "classical": has_classical_randomness(expr.generators),
            "field": "complex" if complex_ else "real", "seed": seed if isinstance(seed, int)
            else None, "backend": backend}
    dims = {d for g in expr.generators for d in g.shape} | set(expr.shape)
    if dims != {1}:
        # a rectangular model: round(r N) eigenvalues per trial; the smallest block sets the
        # size of the fluctuations (fa.compare reads n_effective)
        info["size"] = block_size(expr.shape[0], n)
        info["n_effective"] = min(block_size(d, n) for d in dims)
    if backend == "numpy":
        rows = []
        with progress_bar(trials, "freealg.sample", progress, slow=_slow(trials, n)) as bar, \
                blas_threads(threads):
            for ch in children:
                rows.append(_one_trial(expr, n, ch, complex_, selfadjoint))
                bar.step()
    elif backend == "torch":
        with progress_bar(trials, "freealg.sample", progress, slow=_slow(trials, n)) as bar:
            rows = torch_trials(expr, n, children, complex_, selfadjoint, device, bar)
    else:  # the trials run on the cluster: one step when they are all back
        with progress_bar(1, "freealg.sample (dask)", progress, slow=_slow(trials, n)) as bar:
            rows = dask_trials(_one_trial, expr, n, children, complex_, selfadjoint, client,
                               threads)
            bar.step()
    out = np.stack(rows) if per_trial else np.concatenate(rows)
    return SampledSpectrum(out, info)
