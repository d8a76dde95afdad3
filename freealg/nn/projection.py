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

**Averaged kernel** (``average=True``). The kernel random matrix of the authors' spectral
experiments (their public code, github.com/ThayaFluss/frp_rl, ``spectrum/``: the average of the
products of length ``l`` of ``n`` base Haar matrices, normalised by ``n^(-l/2)``, compared with a
quarter-circle law) is built from

    A = n^(-l/2) sum_{|w| = l} lambda(w) = (s / sqrt(n))^l,      s = O_1 + ... + O_n,

the sum over the ``n^l`` positive words of length ``l``; the projection is
``P = sigma T_2 A T_1`` and the kernel ``P P^T``. (The paper's own text could not be read; the
definition follows that code.) ``s`` is R-diagonal and ``|s|^2/n`` has the S-transform
``(1 + z/n)/(1 + z)``, i.e. the law with constant recursion (mean 1, variance ``(n-1)/n``;
``a = 2(n-1)/n``, ``b = ((n-1)/n)^2``) on ``[0, 4(n-1)/n]`` (derived from ``psi`` of that
S-transform; ``n = 2`` is the arcsine law of ``1 + cos``); the second moment ``2 - 1/n`` counts
the reduced words ``O_i^T O_j O_j^T O_i``. For R-diagonal ``s`` the S-transform of
``|s^l|^2`` is the ``l``-th power (Haagerup-Larsen 2000), so ``A^T A`` has the law
``K_l = (law of |s|^2/n)^{⊠ l}`` - as ``n -> infinity`` the free Poisson power whose square
root for ``l = 1`` is the quarter-circle law of the code's comparison. ``A`` is R-diagonal and
free from ``T_1, T_2``, so ``P P^T`` is ``sigma^2`` times the compression by ``b`` of
``p K_l p`` (``p`` of trace ``a``): the single-word (Wachter) law is the case ``K_l = delta_1``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..algebra import haar_orthogonal, selfadjoint
from ..constructors import dirac, free_meixner, free_product
from ..errors import InvalidParameterError, SizeLimitError
from ..kernels.resources import available_memory
from ..numeric.params import parameter
from ..numeric.solution import SpectralSolution
from ..reduce import compile_expr

__all__ = ["free_random_projection", "free_random_projection_kernel_spectrum", "random_word",
           "average_kernel_law"]


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


def _generators_length(generators: Any, length: Any) -> tuple[int, int]:
    for name, v in (("generators", generators), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InvalidParameterError(name, v, "must be an integer >= 1")
    return int(generators), int(length)


def average_kernel_law(generators: int = 2, length: int = 4) -> Any:
    """The law ``K_l`` of ``A^T A``, ``A = (n^(-1/2) sum_i O_i)^l`` for ``n`` free Haar
    orthogonal (or unitary) ``O_i`` and ``l = length`` (module docstring).

    ``(law of |s|^2/n)^{⊠ l}``, the law of ``|s|^2/n`` being the constant-recursion law
    (mean 1, variance ``(n-1)/n``; ``a = 2(n-1)/n``, ``b = ((n-1)/n)^2``), of S-transform
    ``(1 + z/n)/(1 + z)``.

    Parameters
    ----------
    generators : int
        ``n >= 1``, the number of base Haar matrices.
    length : int
        ``l >= 1``, the word length.

    Returns
    -------
    Law
        ``dirac(1)``-like for ``n = 1`` (then ``A`` is orthogonal).

    Raises
    ------
    InvalidParameterError
        ``generators`` or ``length`` not an integer >= 1.

    Examples
    --------
    >>> import freealg as fa
    >>> fa.nn.average_kernel_law(2, 1).moments(3)        # 1 + cos: arcsine law on [0, 2]
    [1, 3/2, 5/2]
    >>> fa.nn.average_kernel_law(2, 2).moments(2)        # the S-transform squared
    [1, 2]
    """
    n, ell = _generators_length(generators, length)
    if n == 1:
        return dirac(1)
    r = sp.Rational(n - 1, n)
    mu = free_meixner(1, r, 2 * r, r**2)
    return mu if ell == 1 else free_product([(mu, ell)])


def free_random_projection(d_in: int, d_out: int, seed: Any = None, *, generators: int = 2,
                           length: int = 4, sigma: float = 1.0, hidden: int | None = None,
                           word: Sequence[int] | None = None,
                           average: bool = False) -> np.ndarray:
    """The ``d_out x d_in`` free random projection ``sigma T_2 lambda(w) T_1`` (module docstring).

    With ``average=True``: ``sigma T_2 A T_1`` with ``A = n^(-l/2) sum_{|w| = l} lambda(w)``, the
    average over all ``n^l`` positive words of length ``l = length`` in ``n = generators``
    letters (the averaged kernel of the module docstring; ``A = ((O_1 + ... + O_n)/sqrt(n))^l``).

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
    average : bool
        Average over all positive words of length ``length`` instead of one random word (then
        the rows are no longer orthonormal; ``word`` must not be given).

    Returns
    -------
    numpy.ndarray
        The matrix; with ``hidden = d_in >= d_out`` its rows are orthonormal up to ``sigma``.

    Raises
    ------
    InvalidParameterError
        Non-positive dimensions, ``hidden`` too small, a bad word, ``sigma <= 0``, ``word``
        together with ``average=True``.
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
    if average:
        if word is not None:
            raise InvalidParameterError("word", word, "is not used with average=True (the "
                                        "average runs over all positive words)")
        n, ell = _generators_length(generators, length)
        S = sum(_haar_orthogonal(rng, int(D)) for _ in range(n)) / math.sqrt(n)
        A = np.linalg.matrix_power(S, ell)
        return s * A[: int(d_out), : int(d_in)]
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
                                           sigma: Any = 1, dps: int = 30, *,
                                           average: bool = False, generators: int = 2,
                                           length: int = 4) -> SpectralSolution:
    """Limit law of the kernel matrix ``P P^T`` of a free random projection (module docstring).

    ``P = sigma T_2 lambda(w) T_1`` with ``d_in/D -> ratio_in`` and ``d_out/D -> ratio_out``
    (``D`` the hidden dimension), any non-empty reduced word ``w``. The law lives on the
    ``d_out`` block. With ``average=True``, ``lambda(w)`` is replaced by the average ``A`` over
    all positive words of length ``length`` in ``generators`` letters (the averaged kernel of
    the module docstring, as sampled by ``free_random_projection(..., average=True)``): the
    compression by ``ratio_out`` of ``p K_l p`` (:func:`average_kernel_law`).

    Parameters
    ----------
    ratio_in, ratio_out : number
        ``d_in/D`` and ``d_out/D``, in (0, 1]; a float is read as the decimal it prints as.
    sigma : number
        The scale (> 0).
    dps : int
        Working precision.
    average : bool
        The averaged kernel instead of one word.
    generators, length : int
        ``n`` and ``l`` of the averaged kernel (used only with ``average=True``).

    Returns
    -------
    SpectralSolution

    Raises
    ------
    InvalidParameterError
        Ratios outside (0, 1], ``sigma <= 0``, ``generators`` or ``length`` not an integer
        >= 1.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> sol = fa.nn.free_random_projection_kernel_spectrum(sp.Rational(1, 2), sp.Rational(1, 4))
    >>> sol.moments(2)                       # a, a (a + b - a b)
    [1/2, 5/16]
    >>> avg = fa.nn.free_random_projection_kernel_spectrum(average=True, generators=2, length=2)
    >>> avg.moments(3)                       # |(O_1 + O_2)^2|^2 / 4
    [1, 2, 19/4]
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
    if average:
        # P P^T = T_2 A T_1 T_1^T A^T T_2^T ~ T_2 (p K p) T_2^T: p K p padded from the
        # compression T_1^T K T_1 by an independent isometry T_3 (module docstring)
        K = selfadjoint("K_l", average_kernel_law(generators, length))
        T3 = haar_orthogonal("T_3", shape=(1, a))
        Q = T2 * T3 * (T1.H * K * T1) * T3.H * T2.H
        expr = Q if s == 1 else (s**2) * Q
    else:
        P = T2 * T1
        expr = P * P.H if s == 1 else (s**2) * (P * P.H)
    return SpectralSolution(compile_expr(expr), dps)
