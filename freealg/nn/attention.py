"""Spectra of softmax attention matrices in the Gaussian-equivalent (linear) regime.

Model (default conventions): ``X`` is ``n x d`` with iid N(0, 1) entries, ``ratio = n/d``;
``W_Q, W_K`` are ``d x d`` with iid N(0, 1/d) entries; the scores are
``S = beta (X W_Q)(X W_K)^T / sqrt(d)`` (entries of variance about ``beta^2``) and the attention
matrix is the row softmax ``A = softmax(S)``. ``A`` is row-stochastic: ``n A`` is the all-ones
matrix (one outlier singular value ``n``) plus a bulk of order ``sqrt(n)``, so the law below is
that of the eigenvalues of ``n A A^T`` with the single top outlier removed (the squared singular
values of ``sqrt(n) (A - 1 1^T / n)``).

**Gaussian equivalence** (Hayase-Collins-Karakida 2025, arXiv:2510.06685). The row sums of
``exp(S)`` concentrate at ``n exp(beta^2/2)``, so ``n A_ij = f(S_ij)`` up to a rank-one and a
vanishing correction, with ``f(s) = exp(s - beta^2/2)``. Expanding ``f`` in Hermite polynomials of
``s/beta``: the constant is the rank-one outlier, the linear coefficient is exactly 1 (Stein:
``E[f(s) s] = beta^2 E[f'(s)] = beta^2``) and the higher orders behave as independent noise of
variance ``alpha^2 = E f^2 - 1 - beta^2 = exp(beta^2) - 1 - beta^2``. The bulk is that of

    Y = (S + alpha Z) / sqrt(n),        Z iid N(0, 1), n x n.

**Free model.** Write ``X = sqrt(d) Xh`` (entries 1/d). The singular values of
``Xh W_Q W_K^T Xh^T`` only depend on ``W_K^T W W_K`` and ``W_Q^T W W_Q`` with ``W = Xh^T Xh``,
which are conjugated by independent Haar matrices (``W_K -> W_K O``), hence free; so ``X`` may be
replaced by an independent copy on one side. Then ``Y = [Xh | Zh] B`` is one Gaussian matrix of
size ``n x (d + n)`` times ``B``, and by its bi-invariance

    Y Y^T  ~  G (beta^2/c K + alpha^2/c) G^T,     K = Xh W_K W_Q^T W_Q W_K^T Xh^T,  c = ratio,

with ``G`` an ``n x n`` Gaussian of entry variance ``1/d``. This is a polynomial in rectangular
Gaussian generators that :func:`freealg.compile` reduces by its rules (compound Wishart,
products of rectangular Gaussians, shift, scale): :func:`attention_system` returns its System.

**Regime.** The limit holds at fixed ``beta`` as ``n, d -> infinity``. At finite ``n`` it needs the
softmax normaliser to self-average: ``sum_k exp(S_ik)`` is a sum of ``n`` log-normal terms whose
relative fluctuation is ``sqrt((exp(beta^2) - 1)/n)``. Measured against real softmax attention,
the Kolmogorov distance between the sampled spectrum and this law is about
``(exp(beta^2) - 1)/sqrt(n)`` (0.008 at beta = 1/2, 0.02-0.05 at beta = 1, 0.11 at beta = 3/2,
0.28 at beta = 2, all at n = 800). So the linear model describes attention on ``n`` tokens for
``beta`` below the threshold ``beta_n`` with ``exp(beta_n^2) - 1 = sqrt(n)/4``
(:func:`attention_threshold`; 1.45 at n = 800), i.e. ``beta^2 < log(n)/2`` to leading order; the
spectrum leaves the model beyond it (its mean falls below ``exp(beta^2) - 1`` as the softmax
concentrates on a few keys, the random-energy-model freezing at ``beta ~ sqrt(2 log n)``).
:func:`sample_attention` warns with :class:`AttentionRegimeWarning` beyond the threshold.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..algebra import gaussian
from ..errors import InvalidParameterError, SizeLimitError
from ..kernels.resources import available_memory
from ..numeric.params import parameter
from ..numeric.records import Edge
from ..numeric.solution import SpectralSolution
from ..reduce import compile_expr

__all__ = ["attention_spectrum", "attention_system", "attention_polynomial", "sample_attention",
           "AttentionRegimeWarning", "attention_threshold", "AttentionSpectrum"]

_INPUTS = ("gaussian", "orthonormal")


class AttentionRegimeWarning(UserWarning):
    """Warning category of :func:`sample_attention` when ``beta`` is beyond the linear regime
    for the sampled size (``beta > attention_threshold(n)``).

    Examples
    --------
    >>> import warnings, freealg as fa
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = fa.nn.sample_attention(50, ratio=1, beta=3, seed=0)
    >>> w[0].category is fa.nn.AttentionRegimeWarning
    True
    """


def _ratio_beta(ratio: Any, beta: Any, inputs: str = "gaussian") -> tuple[Any, Any]:
    if isinstance(ratio, (float, np.floating)) and math.isfinite(ratio):
        # block shapes are exact: a float ratio is read as the decimal it prints as (0.3 -> 3/10)
        ratio = sp.Rational(repr(float(ratio)))
    c = parameter("ratio", ratio)
    b = parameter("beta", beta)
    if not (c.is_real and c.is_positive):
        raise InvalidParameterError("ratio", ratio, "must be a real number > 0 (ratio = n/d)")
    if not (b.is_real and b.is_nonnegative):
        raise InvalidParameterError("beta", beta, "must be a real number >= 0 (inverse "
                                    "temperature)")
    if inputs not in _INPUTS:
        raise InvalidParameterError("inputs", inputs, f"must be one of {_INPUTS}")
    if inputs == "orthonormal" and bool(c > 1):
        raise InvalidParameterError("ratio", ratio, "must be <= 1 with orthonormal inputs "
                                    "(n orthonormal rows in dimension d)")
    return c, b


def attention_threshold(n: int) -> float:
    """The inverse temperature ``beta_n`` up to which the linear model describes softmax attention
    on ``n`` tokens: ``exp(beta_n^2) - 1 = sqrt(n)/4`` (module docstring).

    Examples
    --------
    >>> import freealg as fa
    >>> round(fa.nn.attention_threshold(800), 3)
    1.445
    """
    n = int(n)
    if n < 2:
        raise InvalidParameterError("n", n, "must be an integer >= 2")
    return math.sqrt(math.log1p(math.sqrt(n) / 4))


def attention_polynomial(ratio: Any, beta: Any, inputs: str = "gaussian") -> Any:
    """The free polynomial whose spectrum is the attention bulk law (module docstring).

    ``G (beta^2/c K + alpha^2/c) G^T`` with ``K = X W_K W_Q^T W_Q W_K^T X^T``, ``G`` a Gaussian of
    shape ``(c, c)``, ``X`` a Gaussian of shape ``(c, 1)``, ``W_Q, W_K`` Gaussians of shape
    ``(1, 1)``; ``c = ratio`` and
    ``alpha^2 = exp(beta^2) - 1 - beta^2``. With ``inputs="orthonormal"`` (the normalisation of
    Hayase-Collins-Karakida: orthonormal token rows, ``c <= 1``) ``X W_Q`` and ``X W_K`` are
    independent Gaussian matrices, so ``K = X X^T``.

    Examples
    --------
    >>> import freealg as fa
    >>> P = fa.nn.attention_polynomial(1, 1)
    >>> P.shape
    (1, 1)
    """
    c, b = _ratio_beta(ratio, beta, inputs)
    a2 = sp.exp(b**2) - 1 - b**2
    G = gaussian("G", shape=(c, c))
    X = gaussian("X", shape=(c, 1))
    if b == 0:                       # A = 1 1^T / n exactly: the bulk is delta_0
        return 0 * (G * G.H)
    if inputs == "orthonormal":
        K = X * X.H
    else:
        WQ, WK = gaussian("W_Q", shape=(1, 1)), gaussian("W_K", shape=(1, 1))
        K = X * WK * WQ.H * WQ * WK.H * X.H
    return G * ((b**2 / c) * K + a2 / c) * G.H


def attention_system(ratio: Any, beta: Any, inputs: str = "gaussian") -> Any:
    """The System (equations, LaTeX) of the attention bulk law: the compiled
    :func:`attention_polynomial` (``inputs`` as there).

    Examples
    --------
    >>> import freealg as fa
    >>> s = fa.nn.attention_system(1, 1)
    >>> [st.rule for st in s.steps][:2]
    ['scale', 'product']
    """
    return compile_expr(attention_polynomial(ratio, beta, inputs))


def _top_edge_curve(c: Any, b: Any, inputs: str, dps: int) -> Any:
    """The right edge of the attention law from its rational parametrisation (module docstring,
    "Edges"): the first critical value of ``z(u)`` for ``u > 0``; None if there is none."""
    u = sp.Symbol("u", positive=True)
    if inputs == "orthonormal":
        chi = u / ((1 + c * u) * (1 + u))
    else:
        chi = u / ((1 + c * u)**3 * (1 + u))
    s_, h = b**2 / c, (sp.exp(b**2) - 1 - b**2) / c
    z = c * (h + s_ / chi)**2 * (1 + u) * chi / s_
    num = sp.Poly(sp.numer(sp.together(sp.diff(z, u))), u)
    prec = dps + 15
    with mpmath.workdps(prec):
        coeffs = [mpmath.mpf(sp.N(x, prec)) for x in num.all_coeffs()]
        roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * prec)
        tol = mpmath.mpf(10) ** (-(dps + 5))
        pos = sorted(mpmath.re(r) for r in roots if abs(mpmath.im(r)) < tol and mpmath.re(r) > 0)
        if not pos:
            return None
        return sp.lambdify(u, z, "mpmath")(pos[0])


class AttentionSpectrum(SpectralSolution):
    """The :class:`~freealg.SpectralSolution` of :func:`attention_spectrum`, with its edges in
    closed form: the hard edge 0 (exponent -1/2, from the square Gaussian ``G``) and the right
    edge, the first critical value of the rational parametrisation of the law (module
    docstring, "Edges").

    Examples
    --------
    >>> import freealg as fa
    >>> sol = fa.nn.attention_spectrum(1, 1)
    >>> [(e.kind, e.side) for e in sol.edges(dps=15)]
    [('hard', 'left'), ('soft', 'right')]
    """

    def __init__(self, system: Any, dps: int, ratio: Any, beta: Any, inputs: str) -> None:
        super().__init__(system, dps)
        self.ratio, self.beta, self.inputs = ratio, beta, inputs

    def edges(self, dps: int | None = None, progress: bool | None = None,
              certify: bool = False):
        """Support edges (see :meth:`freealg.SpectralSolution.edges`): ``[0, right edge]`` in
        closed form; ``certify=True`` and ``beta = 0`` take the general path.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> e = fa.nn.attention_spectrum(1, 1).edges(dps=20)[-1]
        >>> e.kind, mpmath.nstr(e.location, 15)
        ('soft', '14.0613623364067')
        """
        d = self._dps(dps)
        if certify or self.beta == 0:
            return super().edges(dps=d, progress=progress, certify=certify)
        top = _top_edge_curve(self.ratio, self.beta, self.inputs, d)
        top2 = _top_edge_curve(self.ratio, self.beta, self.inputs, d + 10)
        if top is None or top2 is None:
            return super().edges(dps=d, progress=progress)
        with mpmath.workdps(d):
            err = abs(top2 - top) + mpmath.mpf(10) ** (-d) * abs(top2)
            loc, err = +top2, mpmath.mpf(mpmath.nstr(err, 2, strip_zeros=False))
        return [Edge(sp.Integer(0), "hard", 0, "left", sp.Rational(-1, 2)),
                Edge(loc, "soft", err, "right", sp.Rational(1, 2))]


def attention_spectrum(ratio: Any, beta: Any, dps: int = 30,
                       inputs: str = "gaussian") -> SpectralSolution:
    """Law of the squared singular values of the softmax attention matrix (linear regime).

    The limit law of the eigenvalues of ``n A A^T`` with the top outlier removed, for
    ``A = softmax(beta (X W_Q)(X W_K)^T / sqrt(d))``, ``X`` of size ``n x d`` with iid N(0, 1)
    entries, ``W_Q, W_K`` iid N(0, 1/d), ``n/d -> ratio``; or, with ``inputs="orthonormal"``,
    the normalisation of Hayase-Collins-Karakida 2025 (token rows ``sqrt(d)`` times
    orthonormal, ``ratio <= 1``: ``X W_Q`` and ``X W_K`` are then independent Gaussian
    matrices). Valid for fixed ``beta`` as
    ``n -> infinity``; at finite ``n`` for ``beta`` below :func:`attention_threshold` (about
    ``sqrt(log(n)/2)``). Its mean is ``exp(beta^2) - 1`` (the variance of the entries of
    ``exp(S - beta^2/2)``); the Marchenko-Pastur law of that variance is *not* the answer
    (the scores are correlated through ``X``, ``W_Q`` and ``W_K``).

    Parameters
    ----------
    ratio : number
        ``n/d`` (tokens per embedding dimension), > 0; a float is read as the decimal it prints
        as (``0.3`` is ``3/10``).
    beta : number
        Inverse temperature, >= 0.
    dps : int
        Working precision of the solution.
    inputs : {"gaussian", "orthonormal"}
        The token model (see above).

    Returns
    -------
    AttentionSpectrum
        A SpectralSolution; ``.system`` is the compiled System (``.latex()`` for its
        equations); ``.edges()`` comes in closed form.

    Raises
    ------
    InvalidParameterError
        ``ratio <= 0``, ``beta < 0``, an unknown ``inputs``, or ``ratio > 1`` with orthonormal
        inputs.

    Examples
    --------
    >>> import freealg as fa, mpmath, sympy as sp
    >>> sol = fa.nn.attention_spectrum(ratio=1, beta=1)
    >>> mpmath.nstr(sp.N(sol.law.moment(1), 20), 15)    # e - 1
    '1.71828182845905'
    >>> float(sol.density(1.0)) > 0
    True
    """
    c, b = _ratio_beta(ratio, beta, inputs)
    return AttentionSpectrum(attention_system(c, b, inputs), dps, c, b, inputs)


def sample_attention(n: int, ratio: Any, beta: Any, seed: Any = None,
                     inputs: str = "gaussian") -> np.ndarray:
    """Eigenvalues of ``n A A^T`` for one real softmax attention matrix, top outlier removed.

    Same conventions as :func:`attention_spectrum`: ``d = round(n / ratio)``, ``X`` (``n x d``)
    iid N(0, 1) (or ``sqrt(d)`` times orthonormal rows), ``W_Q, W_K`` iid N(0, 1/d),
    ``A = softmax(beta (X W_Q)(X W_K)^T / sqrt(d))`` row by row (max-subtracted, overflow-safe).

    Parameters
    ----------
    n : int
        Number of tokens (rows of ``A``), >= 2.
    ratio, beta
        As in :func:`attention_spectrum`.
    inputs : {"gaussian", "orthonormal"}
        ``"orthonormal"``: the rows of ``X`` are ``sqrt(d)`` times orthonormal vectors (needs
        ``ratio <= 1``; for experiments - :func:`attention_spectrum` models Gaussian ``X``).
    seed : int or numpy Generator, optional
        Random seed.

    Returns
    -------
    numpy.ndarray
        The ``n - 1`` eigenvalues, ascending.

    Raises
    ------
    InvalidParameterError
        Bad ``n``, ``ratio``, ``beta`` or ``inputs``.
    SizeLimitError
        When the matrices would not fit in half of the available memory.

    Warns
    -----
    AttentionRegimeWarning
        When ``beta > attention_threshold(n)``: the sample is outside the linear regime.

    Examples
    --------
    >>> import freealg as fa
    >>> ev = fa.nn.sample_attention(200, ratio=1, beta=0.5, seed=0)
    >>> ev.shape
    (199,)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise InvalidParameterError("n", n, "must be an integer >= 2")
    n = int(n)
    c, b = _ratio_beta(ratio, beta, inputs)
    cf, bf = float(c), float(b)
    d = max(1, int(round(n / cf)))
    need = 8 * (4 * n * n + 3 * n * d + 2 * d * d)
    limit = available_memory() // 2
    if need > limit:
        raise SizeLimitError("n", n, need, limit, "memory of the n x n attention matrix and its "
                             "SVD; use a smaller n", unit="bytes")
    if bf > attention_threshold(n):
        warnings.warn(f"beta={bf} is beyond the linear regime at n={n} (threshold "
                      f"{attention_threshold(n):.3g}): the spectrum deviates from "
                      "attention_spectrum",
                      AttentionRegimeWarning, stacklevel=2)
    rng = np.random.default_rng(seed)
    if inputs == "gaussian":
        X = rng.standard_normal((n, d))
    else:
        Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
        X = math.sqrt(d) * Q.T
    WQ = rng.standard_normal((d, d)) / math.sqrt(d)
    WK = rng.standard_normal((d, d)) / math.sqrt(d)
    S = (bf / math.sqrt(d)) * ((X @ WQ) @ (X @ WK).T)
    S -= S.max(axis=1, keepdims=True)
    np.exp(S, out=S)
    S /= S.sum(axis=1, keepdims=True)
    s = np.linalg.svd(math.sqrt(n) * S, compute_uv=False)
    ev = np.sort(s[1:] ** 2)
    return ev
