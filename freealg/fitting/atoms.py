"""Atom (rank) estimation: fit a discrete law A = sum_i w_i delta_{a_i} behind a spectrum.

Two models (Hayase, arXiv:1804.03154, sections 4 and 6):

* ``'signal_plus_noise'``: the eigenvalues of A + sigma S, S a GOE/Wigner matrix of variance 1
  (semicircle on [-2, 2]); their law is law(A) ⊞ semicircle(sigma^2);
* ``'compound_wishart'``: the eigenvalues of the sample covariance (1/n) A^(1/2) Z Z^T A^(1/2)
  of n Gaussian vectors with population covariance A (p x p, Z p x n standard Gaussian),
  ratio c = p/n; their law is law(A) ⊠ marchenko_pastur(c) (the free compound Poisson law of
  rate 1/c and jump law c law(A)).

For k = 1, ..., max_atoms the atoms and weights are fitted by the Cauchy noise loss
(:func:`freealg.fitting.fit`), in unconstrained coordinates (weights by softmax, positive atoms
and sigma by their logarithm); k is chosen by the Bayesian information criterion
BIC_k = 2 N L_k + d_k log N, L_k the Cauchy noise loss (a negative mean log-likelihood of the
Cauchy-smoothed model) and d_k = 2k - 1 free parameters (+1 when sigma is fitted). BIC rather
than a held-out loss: the eigenvalues of one matrix cannot be split into independent halves
(interleaved halves are almost identical, so a held-out loss never penalises extra atoms),
while BIC's log N per parameter dominates the O(1) gain an extra atom buys on a sample of a
k-atom model and is beaten by the O(N) gain of a missing atom.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .. import progress as _progress
from ..errors import InvalidParameterError
from ..laws import discrete, free_additive, free_multiplicative, marchenko_pastur, semicircle
from .core import Objective, _check_data, _check_gamma

__all__ = ["fit_atoms", "AtomsResult"]

MODELS = ("signal_plus_noise", "compound_wishart")


@dataclass(eq=False)
class AtomsResult:
    """The result of :func:`fit_atoms`.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> H = np.random.default_rng(0).standard_normal((100, 100))
    >>> ev = np.linalg.eigvalsh((H + H.T) / np.sqrt(200)) + 3     # dirac(3) ⊞ semicircle(1)
    >>> res = fa.fit_atoms(ev, max_atoms=1, sigma=1)
    >>> res.k, round(res.atoms[0][0], 1), res.atoms[0][1]
    (1, 3.0, 1.0)

    Attributes
    ----------
    atoms : list of (float, float)
        (location, weight) of the chosen fit, by location.
    k : int
        The number of atoms chosen.
    sigma : float or None
        The noise level (signal plus noise).
    table : list of dict
        One row per k: ``k``, ``loss``, ``bic``, ``atoms``, ``sigma``, ``converged``.
    law : Law
        The fitted law of the data.
    gamma, n, model, criterion, seconds
        The Cauchy scale, the number of points, the model, ``"bic"`` and the wall time.
    """

    atoms: list
    k: int
    sigma: float | None
    table: list
    law: Any
    gamma: float
    n: int
    model: str
    criterion: str = "bic"
    seconds: float = 0.0
    data: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        at = ", ".join(f"({a:.4g}, {w:.3g})" for a, w in self.atoms)
        sg = "" if self.sigma is None else f", sigma={self.sigma:.4g}"
        return f"AtomsResult(k={self.k}, atoms=[{at}]{sg}; {self.model}, N={self.n})"

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr><td>{k}{star}</td><td>{loss:.6g}</td><td>{bic:.6g}</td><td>{at}</td></tr>"
            .format(star=" *" if r["k"] == self.k else "", at=", ".join(
                f"({a:.4g}, {w:.3g})" for a, w in r["atoms"]), **r) for r in self.table)
        return ("<table><caption>fit_atoms ({m}, N = {n}): k chosen by BIC</caption>"
                "<tr><th>k</th><th>loss</th><th>BIC</th><th>atoms (location, weight)</th></tr>"
                "{rows}</table>").format(m=self.model, n=self.n, rows=rows)

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Histogram of the data against the fitted density (needs matplotlib).

        Examples
        --------
        >>> import numpy as np, freealg as fa
        >>> H = np.random.default_rng(0).standard_normal((100, 100))
        >>> ev = np.linalg.eigvalsh((H + H.T) / np.sqrt(200)) + 3
        >>> fa.fit_atoms(ev, max_atoms=1, sigma=1).plot().axes[0].get_title()
        'signal_plus_noise: k = 1, N = 100'
        """
        from ..plotting import histogram

        kwargs.setdefault("title", f"{self.model}: k = {self.k}, N = {self.n}")
        return histogram(self.law, self.data, path, **kwargs)


def _model(model: str, k: int, ratio: Any, sigma: Any):
    a = sp.symbols(f"a1:{k + 1}", real=True)
    w = sp.symbols(f"w1:{k}", real=True) if k > 1 else ()
    weights = list(w) + [1 - sum(w)]
    A = discrete(list(a), weights) if k > 1 else discrete([a[0]], [1])
    s = None
    if model == "signal_plus_noise":
        if sigma is None:
            s = sp.Symbol("sigma", positive=True)
            law = free_additive(A, semicircle(s ** 2))
        else:
            law = free_additive(A, semicircle(sp.nsimplify(float(sigma)) ** 2))
    else:
        law = free_multiplicative(A, marchenko_pastur(sp.nsimplify(ratio)))
    return law, list(a), list(w), s


def _fit_k(data, gamma, model, k, ratio, sigma, init_sigma, maxiter):
    import scipy.optimize

    law, a, w, s = _model(model, k, ratio, sigma)
    symbols = a + w + ([s] if s is not None else [])
    obj = Objective(law, symbols, data, gamma)
    pos = model == "compound_wishart"
    q = np.quantile(data, (np.arange(k) + 0.5) / k)
    if pos:
        q = np.maximum(q, 1e-3 * max(float(np.max(data)), 1e-12))
    u0 = list(np.log(q) if pos else q) + [0.0] * k + ([math.log(init_sigma)] if s else [])

    def theta_of(u):
        u = np.asarray(u, dtype=float)
        loc = np.exp(u[:k]) if pos else u[:k]
        b = u[k:2 * k] - np.max(u[k:2 * k])
        p = np.exp(b) / np.sum(np.exp(b))
        th = list(loc) + list(p[:k - 1]) + ([math.exp(u[2 * k])] if s else [])
        # d theta / d u
        J = np.zeros((len(th), len(u)))
        J[np.arange(k), np.arange(k)] = loc if pos else 1.0
        dp = np.diag(p) - np.outer(p, p)
        J[k:2 * k - 1, k:2 * k] = dp[:k - 1]
        if s:
            J[-1, -1] = th[-1]
        return np.array(th), J, p

    def fg(u):
        th, J, _ = theta_of(u)
        loss, grad = obj.guarded(th)
        return loss, J.T @ grad

    res = scipy.optimize.minimize(fg, np.array(u0), jac=True, method="L-BFGS-B",
                                  options={"maxiter": maxiter})
    th, _, p = theta_of(res.x)
    loss = obj.evaluate(th)[0]
    atoms = sorted(zip(map(float, th[:k]), map(float, p)))
    return {"k": k, "loss": loss, "atoms": atoms,
            "sigma": float(th[-1]) if s else (None if sigma is None else float(sigma)),
            "converged": bool(res.success), "law": obj.law_at(th)}


def fit_atoms(data: Any, model: str = "signal_plus_noise", ratio: Any = None,
              max_atoms: int = 4, sigma: Any = None, gamma: float | None = None,
              progress: bool | None = None, maxiter: int = 200) -> AtomsResult:
    """Estimate the atoms (and their number) of A from a spectrum, by the Cauchy noise loss.

    See the module documentation for the two models and the choice of k by BIC.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> rng = np.random.default_rng(0)
    >>> N = 200
    >>> H = rng.standard_normal((N, N)); H = (H + H.T) / np.sqrt(2 * N)
    >>> A = np.repeat([-2.0, 2.0], N // 2)
    >>> res = fa.fit_atoms(np.linalg.eigvalsh(np.diag(A) + 0.5 * H), max_atoms=2, sigma=0.5)
    >>> res.k, [round(a, 1) for a, w in res.atoms]
    (2, [-2.0, 2.0])

    Parameters
    ----------
    data : array of real numbers
        The eigenvalues.
    model : {'signal_plus_noise', 'compound_wishart'}
    ratio : number
        c = p/n for ``'compound_wishart'`` (required there).
    max_atoms : int
        The largest k tried (1 <= max_atoms <= 8).
    sigma : float, optional
        The noise level of ``'signal_plus_noise'`` when known; fitted otherwise.
    gamma : float, optional
        The Cauchy scale (default :func:`freealg.fitting.default_gamma`).
    progress : bool, optional
        Progress bar over k (tqdm when installed).
    maxiter : int
        Iteration limit of each L-BFGS-B fit.

    Returns
    -------
    AtomsResult

    Raises
    ------
    InvalidParameterError
        bad data (as :func:`freealg.fitting.fit`), an unknown model, a missing or
        non-positive ratio, max_atoms out of range, a non-positive sigma.
    """
    t0 = time.perf_counter()
    if model not in MODELS:
        raise InvalidParameterError("model", model, f"must be one of {', '.join(MODELS)}")
    x = _check_data(data, "eigenvalues")
    g = _check_gamma(gamma, x)
    if isinstance(max_atoms, bool) or not isinstance(max_atoms, (int, np.integer)) \
            or not 1 <= max_atoms <= 8:
        raise InvalidParameterError("max_atoms", max_atoms, "must be an integer in 1..8")
    if model == "compound_wishart":
        try:
            c = float(ratio)
        except (TypeError, ValueError):
            raise InvalidParameterError("ratio", ratio, "compound_wishart needs ratio = p/n "
                                                        "> 0") from None
        if not c > 0 or not math.isfinite(c):
            raise InvalidParameterError("ratio", ratio, "must be a positive number p/n")
        if np.any(x < -1e-9 * max(1.0, float(np.max(np.abs(x))))):
            raise InvalidParameterError("data", "negative eigenvalues", "a sample covariance "
                                        "is positive semi-definite")
    if sigma is not None:
        try:
            sg = float(sigma)
        except (TypeError, ValueError):
            raise InvalidParameterError("sigma", sigma, "must be a positive number") from None
        if not sg > 0 or not math.isfinite(sg):
            raise InvalidParameterError("sigma", sigma, "must be a positive number")
    rows = []
    n = x.size
    init_sigma = 0.5 * float(np.std(x)) or 1.0
    with _progress.bar(int(max_atoms), f"fit_atoms ({model})", progress) as rep:
        for k in range(1, int(max_atoms) + 1):
            r = _fit_k(x, g, model, k, ratio, sigma, init_sigma, maxiter)
            d = 2 * k - 1 + (1 if (model == "signal_plus_noise" and sigma is None) else 0)
            r["bic"] = 2 * n * r["loss"] + d * math.log(n)
            rows.append(r)
            rep.step(note=f"k = {k}")
    best = min(rows, key=lambda r: r["bic"])
    table = [{key: v for key, v in r.items() if key != "law"} for r in rows]
    return AtomsResult(atoms=best["atoms"], k=best["k"], sigma=best["sigma"], table=table,
                       law=best["law"], gamma=g, n=n, model=model,
                       seconds=time.perf_counter() - t0, data=x)
