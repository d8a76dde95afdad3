"""Free random projections (Hayase-Collins-Inoue 2025, arXiv:2504.06983).

A free random projection is the ``d_out x d_in`` matrix ``P = sigma T_2 lambda(w) T_1``: ``w`` is a
random reduced word in the free group ``F_k`` on ``k`` generators, ``lambda`` sends the generator
``g_i`` to an independent Haar orthogonal matrix ``O_i`` of size ``D`` (the hidden dimension,
``D >= d_in, d_out``) and ``g_i^{-1}`` to ``O_i^T``, ``T_1`` is the ``D x d_in`` rectangular
identity (embedding) and ``T_2`` the ``d_out x D`` rectangular identity (truncation). With
``D = d_in >= d_out`` the rows of ``P`` are orthonormal up to ``sigma``.

**Kernel (Gram) spectrum.** For a non-empty reduced word, ``lambda(w)`` is in the limit a Haar
unitary free from the constant matrices (in the free group factor ``tau(lambda(w)^m) = 0`` for
``m != 0``, and the group algebra is free from the matrices; Voiculescu 1991), so the law of the
kernel matrix ``P P^T`` does not depend on the word: it is ``sigma^2`` times the law of
``p u q u^* p`` in the compressed space of ``p``, with ``p, q`` projections of traces
``b = d_out/D`` and ``a = d_in/D`` - the free compression of Bernoulli(a) by ``b``
(Nica-Speicher 1996), a Wachter (Jacobi) law. :func:`free_random_projection_kernel_spectrum`
compiles it from ``T_2 T_1`` written with rectangular Haar isometries. Its first moments are
``m_1 = sigma^2 a`` and ``m_2 = sigma^4 a (a + b - a b)``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..algebra import haar_orthogonal
from ..errors import InvalidParameterError, SizeLimitError
from ..kernels.resources import available_memory
from ..numeric.params import parameter
from ..numeric.solution import SpectralSolution
from ..reduce import compile_expr

__all__ = ["free_random_projection", "free_random_projection_kernel_spectrum", "random_word"]


def _haar_orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Haar orthogonal n x n matrix (QR of a Gaussian with the sign of R's diagonal fixed)."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def random_word(length: int, generators: int = 2, seed: Any = None) -> list[int]:
    """A uniformly random reduced word of the free group: letters ``+i`` / ``-i`` (``g_i`` and its
    inverse, ``i = 1..generators``), no letter followed by its inverse.

    Examples
    --------
    >>> import freealg as fa
    >>> w = fa.nn.random_word(5, generators=2, seed=0)
    >>> len(w), all(a != -b for a, b in zip(w, w[1:]))
    (5, True)
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise InvalidParameterError("length", length, "must be an integer >= 1")
    if isinstance(generators, bool) or not isinstance(generators, (int, np.integer)) \
            or generators < 1:
        raise InvalidParameterError("generators", generators, "must be an integer >= 1")
    rng = np.random.default_rng(seed)
    letters = [i for g in range(1, int(generators) + 1) for i in (g, -g)]
    word: list[int] = []
    for _ in range(int(length)):
        allowed = [x for x in letters if not word or x != -word[-1]]
        word.append(int(allowed[rng.integers(len(allowed))]))
    return word


def _check_word(word: Sequence[int], generators: int) -> list[int]:
    w = [int(x) for x in word]
    if not w:
        raise InvalidParameterError("word", word, "must be a non-empty reduced word")
    for x in w:
        if x == 0 or abs(x) > generators:
            raise InvalidParameterError("word", word, f"letters must be +-1..+-{generators}")
    if any(a == -b for a, b in zip(w, w[1:])):
        raise InvalidParameterError("word", word, "must be reduced (no letter next to its "
                                    "inverse)")
    return w


def free_random_projection(d_in: int, d_out: int, seed: Any = None, *, generators: int = 2,
                           length: int = 4, sigma: float = 1.0, hidden: int | None = None,
                           word: Sequence[int] | None = None) -> np.ndarray:
    """The ``d_out x d_in`` free random projection ``sigma T_2 lambda(w) T_1`` (module docstring).

    Parameters
    ----------
    d_in, d_out : int
        Input and output dimensions.
    seed : int or numpy Generator, optional
        Random seed (for the word and the Haar matrices).
    generators : int
        Number ``k`` of free generators.
    length : int
        Length of the random reduced word (ignored when ``word`` is given).
    sigma : float
        The scale.
    hidden : int, optional
        Hidden dimension ``D >= max(d_in, d_out)`` (default ``max(d_in, d_out)``).
    word : sequence of int, optional
        A reduced word (letters ``+i``/``-i``) instead of a random one.

    Returns
    -------
    numpy.ndarray
        The matrix; with ``hidden = d_in >= d_out`` its rows are orthonormal up to ``sigma``.

    Raises
    ------
    InvalidParameterError
        Non-positive dimensions, ``hidden`` too small, a bad word, ``sigma <= 0``.
    SizeLimitError
        When the ``D x D`` Haar matrices would not fit in half of the available memory.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> P = fa.nn.free_random_projection(6, 3, seed=0, sigma=2.0)
    >>> P.shape, np.allclose(P @ P.T, 4 * np.eye(3))
    ((3, 6), True)
    """
    for name, v in (("d_in", d_in), ("d_out", d_out)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidParameterError(name, v, "must be an integer >= 1")
    D = max(int(d_in), int(d_out)) if hidden is None else hidden
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < max(d_in, d_out):
        raise InvalidParameterError("hidden", hidden, "must be an integer >= max(d_in, d_out)")
    s = float(sigma)
    if not (math.isfinite(s) and s > 0):
        raise InvalidParameterError("sigma", sigma, "must be a finite number > 0")
    need = 8 * 4 * int(D) ** 2
    limit = available_memory() // 2
    if need > limit:
        raise SizeLimitError("hidden", D, need, limit, "memory of the Haar matrices; use a "
                             "smaller dimension", unit="bytes")
    rng = np.random.default_rng(seed)
    w = (_check_word(word, int(generators)) if word is not None
         else random_word(length, generators, rng))
    Os: dict[int, np.ndarray] = {}
    M = np.eye(int(D))[:, : int(d_in)]                    # T_1
    for x in reversed(w):                                  # lambda(w) T_1, right to left
        g = abs(x)
        if g not in Os:
            Os[g] = _haar_orthogonal(rng, int(D))
        M = (Os[g] if x > 0 else Os[g].T) @ M
    return s * M[: int(d_out), :]                         # sigma T_2 (...)


def free_random_projection_kernel_spectrum(ratio_in: Any = 1, ratio_out: Any = 1,
                                           sigma: Any = 1, dps: int = 30) -> SpectralSolution:
    """Limit law of the kernel matrix ``P P^T`` of a free random projection (module docstring).

    ``P = sigma T_2 lambda(w) T_1`` with ``d_in/D -> ratio_in`` and ``d_out/D -> ratio_out``
    (``D`` the hidden dimension), any non-empty reduced word ``w``. The law lives on the
    ``d_out`` block.

    Parameters
    ----------
    ratio_in, ratio_out : number
        ``d_in/D`` and ``d_out/D``, in (0, 1]; a float is read as the decimal it prints as.
    sigma : number
        The scale (> 0).
    dps : int
        Working precision.

    Returns
    -------
    SpectralSolution

    Raises
    ------
    InvalidParameterError
        Ratios outside (0, 1], ``sigma <= 0``.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> sol = fa.nn.free_random_projection_kernel_spectrum(sp.Rational(1, 2), sp.Rational(1, 4))
    >>> sol.moments(2)                       # a, a (a + b - a b)
    [1/2, 5/16]
    """
    def exact(x: Any) -> Any:
        # block shapes are exact: a float ratio is read as the decimal it prints as
        if isinstance(x, (float, np.floating)) and math.isfinite(x):
            return sp.Rational(repr(float(x)))
        return x

    a, b, s = (parameter("ratio_in", exact(ratio_in)), parameter("ratio_out", exact(ratio_out)),
               parameter("sigma", sigma))
    for name, v, raw in (("ratio_in", a, ratio_in), ("ratio_out", b, ratio_out)):
        if not (v.is_real and v.is_positive and bool(v <= 1)):
            raise InvalidParameterError(name, raw, "must be a real number in (0, 1]")
    if not (s.is_real and s.is_positive):
        raise InvalidParameterError("sigma", sigma, "must be a real number > 0")
    T2 = haar_orthogonal("T_2", shape=(b, 1))
    T1 = haar_orthogonal("T_1", shape=(1, a))
    P = T2 * T1
    expr = P * P.H if s == 1 else (s**2) * (P * P.H)
    return SpectralSolution(compile_expr(expr), dps)
