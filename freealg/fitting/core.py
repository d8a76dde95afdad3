"""Fitting free models with symbolic parameters to observed spectra: the Cauchy noise loss.

The Cauchy noise loss (Hayase, arXiv:1804.03154) of a law mu with parameters theta on data
x_1, ..., x_N is

    L(theta) = -(1/N) sum_i log p_gamma(x_i; theta),   p_gamma(x) = -Im G(x + i gamma)/pi,

the negative log-likelihood of the data under mu convolved with a Cauchy law of scale gamma:
a smooth, everywhere positive density that the Cauchy transform gives directly. Its gradient is
exact: dG/dtheta by the implicit function theorem on the residual F(z, G; theta) = 0 of
:mod:`freealg.fitting.residual`, so dL/dtheta = -(1/N) sum_i Im(dG/dtheta)/Im G at the points
z_i = x_i + i gamma.
"""

from __future__ import annotations

import html
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from .. import progress as _progress
from ..errors import InvalidParameterError, NoConvergence
from ..laws import Law
from .residual import residual

__all__ = ["fit", "FitResult", "IdentifiabilityWarning", "default_gamma", "cauchy_noise_loss"]

KINDS = ("eigenvalues", "singular_values")
METHODS = ("L-BFGS-B", "TNC", "SLSQP", "trust-constr")


class IdentifiabilityWarning(UserWarning):
    """A fitted parameter has (almost) no effect on the loss: its value is not determined by
    the data (a zero score column or a null direction of the Hessian)."""


def default_gamma(data: Any) -> float:
    """The default Cauchy scale: gamma = s N^(-1/2), s a robust spread of the data.

    s is the interquartile range divided by 1.349 (the standard deviation for Gaussian data),
    or the standard deviation when the IQR vanishes (data concentrated on an atom). Why
    N^(-1/2): the model side is smoothed exactly, so gamma only trades resolution (atoms and
    edges closer than about gamma blur together) against noise (the empirical Stieltjes
    transform at height gamma fluctuates by about 1/(N gamma) relative to the local density, the
    local law); gamma = s N^(-1/2) makes both go to zero as N grows, relative error
    N^(-1/2)/s from the noise and resolution s N^(-1/2).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-1, 1, 400)       # IQR = 1, N^(-1/2) = 1/20
    >>> round(default_gamma(x) * 20 * 1.349, 6)
    1.0
    """
    x = np.asarray(data, dtype=float)
    q75, q25 = np.percentile(x, [75, 25])
    s = (q75 - q25) / 1.349
    if not s > 0:
        s = float(np.std(x))
    if not s > 0:
        s = max(1.0, float(np.max(np.abs(x))))
    return float(s / math.sqrt(x.size))


def _check_data(data: Any, kind: str) -> np.ndarray:
    if kind not in KINDS:
        raise InvalidParameterError("kind", kind, f"must be one of {', '.join(KINDS)}")
    try:
        arr = np.asarray(data)
    except Exception:  # noqa: BLE001
        raise InvalidParameterError("data", data, "must be a 1-d array of real numbers") \
            from None
    if arr.dtype == object or arr.dtype.kind not in "biuf" or arr.dtype == bool:
        if arr.dtype.kind == "c":
            raise InvalidParameterError("data", "complex array", "must be real (eigenvalues "
                                        "of a self-adjoint matrix or singular values); pass "
                                        "np.real(data) if the imaginary parts are round-off")
        raise InvalidParameterError("data", type(data).__name__, "must be a 1-d array of real "
                                                                 "numbers")
    arr = np.ravel(arr).astype(float)
    if arr.size < 10:
        raise InvalidParameterError("data", f"{arr.size} points", "must hold at least 10 "
                                    "points (the Cauchy noise loss needs a spectrum)")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InvalidParameterError("data", f"{int(bad.sum())} non-finite values (NaN or inf)",
                                    "must be finite; drop them first")
    if kind == "singular_values":
        if np.any(arr < 0):
            raise InvalidParameterError("data", "negative singular values",
                                        "singular values must be >= 0")
        arr = arr ** 2
    return arr


def _check_gamma(gamma: Any, data: np.ndarray) -> float:
    if gamma is None:
        return default_gamma(data)
    try:
        g = float(gamma)
    except (TypeError, ValueError):
        raise InvalidParameterError("gamma", gamma, "must be a positive number") from None
    if isinstance(gamma, bool) or not math.isfinite(g) or g <= 0:
        raise InvalidParameterError("gamma", gamma, "must be a positive finite number (the "
                                                    "scale of the Cauchy noise)")
    return g


def _model_law(model: Any) -> Law:
    if isinstance(model, Law):
        return model
    from ..algebra import NCPoly

    if isinstance(model, NCPoly):
        from ..reduce import compile_expr

        return compile_expr(model).law
    raise InvalidParameterError("model", model, "must be a freealg Law or a self-adjoint "
                                                "NCPoly with free sympy symbols")


class Objective:
    """The Cauchy noise loss of a law with symbolic parameters and its exact gradient.

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> v = sp.Symbol("v", positive=True)
    >>> obj = Objective(fa.semicircle(v), [v], np.linspace(-1.5, 1.5, 50), 0.1)
    >>> loss, grad, scores = obj.evaluate(np.array([1.0]))
    >>> h = 1e-6                                     # the exact gradient against a difference
    >>> fd = (obj.evaluate(np.array([1 + h]))[0] - obj.evaluate(np.array([1 - h]))[0]) / (2 * h)
    >>> bool(abs(grad[0] - fd) < 1e-6), scores.shape
    (True, (50, 1))

    Parameters
    ----------
    law : Law
        The model, free symbols = ``symbols``.
    symbols : list of sympy Symbol
    data : ndarray
        The (squared, for singular values) observations.
    gamma : float
    """

    def __init__(self, law: Law, symbols: Sequence[Any], data: np.ndarray, gamma: float,
                 copies: int | None = None, seed: int = 0):
        self.law = law
        self.symbols = list(symbols)
        self.data = data
        self.gamma = gamma
        self.copies = noise_copies(data.size) if copies is None else int(copies)
        self.z = noisy_points(data, gamma, self.copies, seed) + 1j * gamma
        zs, Gs = sp.Symbol("z"), sp.Symbol("G")
        F = residual(law, zs, Gs)
        self.F = F
        args = [zs, Gs] + self.symbols
        mods = ["numpy"]
        self._F = sp.lambdify(args, F, modules=mods, cse=True)
        self._FG = sp.lambdify(args, sp.diff(F, Gs), modules=mods, cse=True)
        self._Ft = sp.lambdify(args, [sp.diff(F, t) for t in self.symbols], modules=mods,
                               cse=True)
        self.evaluations = 0
        self._last: tuple | None = None   # (theta, (loss, gradient)) of the last guarded call

    def law_at(self, theta: np.ndarray) -> Law:
        """The model with the parameters replaced by the floats ``theta``."""
        return self.law.subs({s: sp.Float(float(v)) for s, v in zip(self.symbols, theta)})

    def cauchy(self, theta: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """G(z; theta) (float64, vectorised), polished by Newton on the residual."""
        z = self.z if z is None else z
        G = np.asarray(self.law_at(theta).cauchy(z), dtype=complex)
        th = [float(v) for v in theta]
        with np.errstate(all="ignore"):
            for _ in range(2):
                step = np.asarray(self._F(z, G, *th) / self._FG(z, G, *th), dtype=complex)
                ok = np.isfinite(step) & (np.abs(step) < 1e-3 * np.abs(G))
                G = np.where(ok, G - step, G)
            res = np.abs(np.asarray(self._F(z, G, *th) / self._FG(z, G, *th)))
        if not np.all(res <= 1e-6 * np.abs(G) + 1e-12):
            k = int(np.argmax(res / np.abs(G)))
            raise NoConvergence("the Cauchy transform of the fitted model", dps=None,
                                point=complex(z[k]), residual=float(res[k]),
                                advice="the engine's value does not satisfy the model's "
                                       "residual equation; check the parameter bounds")
        return G

    def scores(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-point losses l_i = -log p_gamma(x_i), their gradients (N x d) and G."""
        self.evaluations += 1
        G = self.cauchy(theta)
        th = [float(v) for v in theta]
        with np.errstate(all="ignore"):
            FG = np.asarray(self._FG(self.z, G, *th), dtype=complex)
            Ft = self._Ft(self.z, G, *th)
            dG = np.stack([np.broadcast_to(-np.asarray(f, dtype=complex) / FG, G.shape)
                           for f in Ft], axis=1) if Ft else np.zeros((G.size, 0))
        p = -G.imag / math.pi
        if not np.all(p > 0):
            raise NoConvergence("the Cauchy noise loss", dps=None, residual=float(np.min(p)),
                                advice="the smoothed density is not positive at every data "
                                       "point; check the model and its parameter bounds")
        k = self.copies
        losses = np.mean(-np.log(p).reshape(-1, k), axis=1)
        grads = np.mean((-dG.imag / G.imag[:, None]).reshape(-1, k, dG.shape[1]), axis=1)
        return losses, grads, G

    def evaluate(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Mean loss, its gradient and the per-point gradients."""
        losses, grads, _ = self.scores(theta)
        return float(np.mean(losses)), np.mean(grads, axis=0), grads

    def guarded(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """(loss, gradient) for the optimiser; a trial point where the model cannot be
        evaluated (the engine fails, or its value misses the residual equation) gets the loss
        1e6 and a zero gradient, so that the line search steps back. The last point is kept:
        the solver's callback asks again for the point it has just evaluated."""
        key = tuple(float(v) for v in theta)
        hit = self._last
        if hit is not None and hit[0] == key:
            return hit[1]
        try:
            loss, grad, _ = self.evaluate(theta)
        except (NoConvergence, InvalidParameterError, ZeroDivisionError, OverflowError):
            loss, grad = 1e6, np.zeros(len(self.symbols))
        if not (math.isfinite(loss) and np.all(np.isfinite(grad))):
            loss, grad = 1e6, np.zeros(len(self.symbols))
        self._last = (key, (loss, grad))
        return loss, grad

    def loss_only(self, theta: np.ndarray) -> float:
        """The mean loss alone (engine values, no derivative)."""
        G = self.law_at(theta).cauchy(self.z)
        return float(np.mean(-np.log(-np.asarray(G).imag / math.pi)))


def noise_copies(n: int) -> int:
    """Cauchy noise draws per data point: K = min(24, max(4, ceil(6000/N))).

    About 6000 noisy points in all: the Monte Carlo error of the fitted parameters is then
    a few 1e-3 relative (measured on signal plus noise at N = 1000 against K = 32), below the
    sampling error of the spectrum itself.

    Examples
    --------
    >>> noise_copies(1000), noise_copies(61), noise_copies(10**5)
    (6, 24, 4)
    """
    return int(min(24, max(4, math.ceil(6000 / max(n, 1)))))


def noisy_points(data: np.ndarray, gamma: float, copies: int, seed: int = 0) -> np.ndarray:
    """x_i + gamma T_ik, k < copies: stratified Cauchy noise, T_ik = tan(pi (u_ik - 1/2)) with
    u_ik = (k + v_i)/copies and v_i uniform (a fixed seed, so the loss is a deterministic
    function of theta). Row-major: the copies of x_0 first.

    Examples
    --------
    >>> y = noisy_points(np.zeros(3), 1.0, 4)
    >>> y.shape, bool(np.all(np.isfinite(y)))
    ((12,), True)
    """
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.0, 1.0, size=(data.size, 1))
    u = (np.arange(copies)[None, :] + v) / copies
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return (data[:, None] + gamma * np.tan(np.pi * (u - 0.5))).ravel()


def cauchy_noise_loss(law: Law, data: Any, gamma: float | None = None) -> float:
    """The Cauchy noise loss -mean log p_gamma(x_i) of a numeric law on data.

    Examples
    --------
    >>> import numpy as np, freealg as fa
    >>> x = np.linspace(-1.9, 1.9, 200)
    >>> l1 = cauchy_noise_loss(fa.semicircle(1), x, gamma=0.1)
    >>> l2 = cauchy_noise_loss(fa.semicircle(4), x, gamma=0.1)
    >>> bool(l1 < l2)
    True

    Parameters
    ----------
    law : Law
        A law without free symbols.
    data : array of real numbers
    gamma : float, optional
        The Cauchy scale (default :func:`default_gamma`).

    Returns
    -------
    float
    """
    x = _check_data(data, "eigenvalues")
    g = _check_gamma(gamma, x)
    y = noisy_points(x, g, noise_copies(x.size))
    G = np.asarray(law.cauchy(y + 1j * g), dtype=complex)
    return float(np.mean(-np.log(-G.imag / math.pi)))


@dataclass(eq=False)
class FitResult:
    """The result of :func:`fit`.

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> v = sp.Symbol("v", positive=True)
    >>> rng = np.random.default_rng(0)
    >>> H = rng.standard_normal((400, 400)); H = (H + H.T) / np.sqrt(2 * 400)
    >>> res = fa.fit(fa.semicircle(v), np.linalg.eigvalsh(4 * H), {v: 1})   # true v = 16
    >>> abs(res.params[v] - 16) < 0.5, res.converged
    (True, True)

    Attributes
    ----------
    params : dict
        Symbol -> fitted value (float).
    stderr : dict
        Symbol -> standard error from the sandwich estimator H^-1 S H^-1 / N, H the Hessian of
        the mean loss (central differences of the exact gradient), S the covariance of the
        per-point score vectors. It treats the data points as independent; for the eigenvalues
        of one random matrix (whose linear statistics fluctuate by O(1/N), not O(N^-1/2)) it
        is conservative.
    stderr_method : str
        ``"sandwich"``.
    loss : float
        The Cauchy noise loss at the fit.
    converged : bool
        Whether scipy.optimize reported success.
    history : list of (float, dict)
        The loss and the parameters after every iteration.
    law : Law
        The model with the fitted values substituted.
    gamma : float
        The Cauchy scale used.
    n : int
        Number of data points.
    data : ndarray
        The data fitted (squared for ``kind='singular_values'``).
    method, message : str
        The scipy solver and its message.
    evaluations : int
        Loss-and-gradient evaluations.
    seconds : float
        Wall time of the fit.
    """

    params: dict
    stderr: dict
    loss: float
    converged: bool
    history: list
    law: Any
    gamma: float
    n: int
    data: np.ndarray = field(repr=False)
    method: str = "L-BFGS-B"
    message: str = ""
    evaluations: int = 0
    seconds: float = 0.0
    stderr_method: str = "sandwich"
    kind: str = "eigenvalues"

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Histogram of the data against the fitted density (:func:`freealg.plotting.histogram`).

        Returns the matplotlib Figure (or the path it was saved to); needs matplotlib.

        Examples
        --------
        >>> import numpy as np, sympy as sp, freealg as fa
        >>> v = sp.Symbol("v", positive=True)
        >>> H = np.random.default_rng(0).standard_normal((100, 100))
        >>> ev = np.linalg.eigvalsh((H + H.T) / np.sqrt(200))
        >>> fig = fa.fit(fa.semicircle(v), ev, {v: 1}).plot()
        >>> fig.axes[0].get_title()
        'Cauchy noise loss fit, N = 100'
        """
        from ..plotting import histogram

        kwargs.setdefault("title", f"Cauchy noise loss fit, N = {self.n}")
        return histogram(self.law, self.data, path, **kwargs)

    def _rows(self) -> list[tuple[str, str, str]]:
        return [(str(s), f"{v:.6g}", f"{self.stderr.get(s, float('nan')):.2g}")
                for s, v in self.params.items()]

    def __repr__(self) -> str:
        ps = ", ".join(f"{n}={v} ± {e}" for n, v, e in self._rows())
        return (f"FitResult({ps}; loss={self.loss:.6g}, converged={self.converged}, "
                f"N={self.n}, gamma={self.gamma:.3g})")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{v}</td><td>{e}</td></tr>"
                       for n, v, e in self._rows())
        return ("<table><caption>Cauchy noise loss fit: N = {n}, gamma = {g:.3g}, loss = "
                "{loss:.6g}, {c}</caption><tr><th>parameter</th><th>value</th>"
                "<th>stderr (sandwich)</th></tr>{rows}</table>").format(
                    n=self.n, g=self.gamma, loss=self.loss, rows=rows,
                    c="converged" if self.converged else "NOT converged")


def _bounds(symbols: list, x0: np.ndarray, bounds: Any) -> list:
    out = []
    given = dict(bounds or {})
    for s in given:
        if s not in symbols:
            raise InvalidParameterError("bounds", s, "names a symbol that is not fitted")
    for s, v in zip(symbols, x0):
        if s in given:
            lo, hi = given[s]
            out.append((None if lo is None else float(lo), None if hi is None else float(hi)))
        elif s.is_positive or s.is_nonnegative:
            out.append((1e-6 * max(abs(v), 1e-3), None))
        else:
            out.append((None, None))
    return out


def fit(model: Any, data: Any, params: Mapping[Any, Any], gamma: float | None = None,
        kind: str = "eigenvalues", bounds: Mapping[Any, tuple] | None = None,
        method: str | None = None, progress: bool | None = None,
        maxiter: int = 200) -> FitResult:
    """Fit the free symbols of a model to observed eigenvalues by the Cauchy noise loss.

    Minimises L(theta) = -(1/N) sum_i log p_gamma(x_i; theta), p_gamma(x) = -Im G(x + i gamma)/pi
    (Hayase, arXiv:1804.03154), with the exact gradient (implicit function theorem on the
    model's residual equation; no finite differences) and scipy.optimize (L-BFGS-B by default,
    with the bounds; a symbol declared positive gets a positive lower bound).

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> lam = sp.Symbol("lam", positive=True)
    >>> rng = np.random.default_rng(1)
    >>> X = rng.standard_normal((300, 600))          # p/n = 1/2: free Poisson of rate 2
    >>> ev = np.linalg.eigvalsh(X @ X.T / 600) * 2   # jump 1: (1/p) X X^T
    >>> res = fa.fit(fa.free_poisson(lam), ev, {lam: 1.0})
    >>> abs(res.params[lam] - 2) < 0.1
    True

    Parameters
    ----------
    model : Law or NCPoly
        With free sympy symbols, e.g. ``fa.free_poisson(lam)`` or ``a + s*x`` with
        ``x = fa.semicircular("x")``. An NCPoly must be self-adjoint.
    data : array of real numbers
        Eigenvalues (``kind='eigenvalues'``) or singular values s_i
        (``kind='singular_values'``: the model is then the law of M M^T and the data fitted are
        s_i^2; for an NCPoly pass ``m * m.H``).
    params : dict
        Every free symbol of the model -> its initial value.
    gamma : float, optional
        The Cauchy scale; default :func:`default_gamma` (the data's robust spread times
        N^(-1/2)).
    kind : {'eigenvalues', 'singular_values'}
    bounds : dict, optional
        Symbol -> (lo, hi) (None for no bound).
    method : str, optional
        A scipy.optimize.minimize method that uses gradients and bounds: 'L-BFGS-B' (default),
        'TNC', 'SLSQP', 'trust-constr'.
    progress : bool, optional
        Progress bar (tqdm when installed); None: on in interactive sessions.
    maxiter : int
        Iteration limit of the solver.

    Returns
    -------
    FitResult

    Raises
    ------
    InvalidParameterError
        data with NaN/inf, complex data, fewer than 10 points, gamma <= 0, a symbol in params
        that is not in the model, a free symbol of the model missing from params, an unknown
        kind or method.
    UndeterminedError
        the model has no residual equation (see :mod:`freealg.fitting.residual`).

    Warns
    -----
    IdentifiabilityWarning
        a parameter has no effect on the loss (zero score column or Hessian null direction).
    """
    import scipy.optimize

    t0 = time.perf_counter()
    x = _check_data(data, kind)
    g = _check_gamma(gamma, x)
    law = _model_law(model)
    if not isinstance(params, Mapping) or not params:
        raise InvalidParameterError("params", params, "must be a non-empty dict symbol -> "
                                                      "initial value")
    free = law.free_symbols
    symbols = []
    for s in params:
        s_ = sp.Symbol(s) if isinstance(s, str) else s
        match = [f for f in free if f == s_ or (isinstance(s, str) and f.name == s)]
        if not match:
            raise InvalidParameterError("params", s, "is not a free symbol of the model (its "
                                        "free symbols: " + ", ".join(sorted(map(str, free)))
                                        + ")")
        symbols.append(match[0])
    missing = free - set(symbols)
    if missing:
        raise InvalidParameterError("params", sorted(map(str, missing)), "the model's free "
                                    "symbols must all be given initial values")
    try:
        x0 = np.array([float(v) for v in params.values()])
    except (TypeError, ValueError):
        raise InvalidParameterError("params", params, "initial values must be real "
                                                      "numbers") from None
    if not np.all(np.isfinite(x0)):
        raise InvalidParameterError("params", params, "initial values must be finite")
    method = "L-BFGS-B" if method is None else method
    if method not in METHODS:
        raise InvalidParameterError("method", method, f"must be one of {', '.join(METHODS)}")
    bnds = _bounds(symbols, x0, bounds)
    obj = Objective(law, symbols, x, g)
    history: list = []

    fg = obj.guarded

    with _progress.bar(maxiter, "fit (Cauchy noise loss)", progress) as rep:
        def callback(theta, *args):
            history.append((obj.guarded(theta)[0],
                            {s: float(v) for s, v in zip(symbols, theta)}))
            rep.step()

        res = scipy.optimize.minimize(fg, x0, jac=True, method=method, bounds=bnds,
                                      callback=callback, options={"maxiter": maxiter})
    theta = np.asarray(res.x, dtype=float)
    loss, grad, scores = obj.evaluate(theta)
    se = _sandwich(obj, theta, scores, symbols, bnds)
    fitted = obj.law_at(theta)
    return FitResult(params={s: float(v) for s, v in zip(symbols, theta)}, stderr=se,
                     loss=loss, converged=bool(res.success), history=history, law=fitted,
                     gamma=g, n=int(x.size), data=x, method=method, message=str(res.message),
                     evaluations=obj.evaluations, seconds=time.perf_counter() - t0, kind=kind)


def hessian(obj: Objective, theta: np.ndarray, bnds: list | None = None) -> np.ndarray:
    """Hessian of the mean loss by central differences of the exact gradient (one-sided
    where a bound is closer than the step)."""
    d = theta.size
    H = np.zeros((d, d))
    for j in range(d):
        h = 1e-4 * max(abs(theta[j]), 1e-2)
        lo, hi = (bnds[j] if bnds else (None, None))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        if lo is not None and dn[j] <= lo:
            dn = theta.copy()
        if hi is not None and up[j] >= hi:
            up = theta.copy()
        H[:, j] = (obj.evaluate(up)[1] - obj.evaluate(dn)[1]) / (up[j] - dn[j])
    return (H + H.T) / 2


def _sandwich(obj: Objective, theta: np.ndarray, scores: np.ndarray, symbols: list,
              bnds: list) -> dict:
    n = scores.shape[0]
    H = hessian(obj, theta, bnds)
    S = np.cov(scores, rowvar=False).reshape(theta.size, theta.size)
    col = np.sqrt(np.mean(scores ** 2, axis=0))
    # the Hessian scaled to unit diagonal: a smallest eigenvalue near 0 is a direction the
    # loss does not see (central differences leave about 1e-6 there)
    dg = np.sqrt(np.abs(np.diag(H)))
    with np.errstate(all="ignore"):
        C = H / np.outer(dg, dg)
    ev = np.linalg.eigvalsh(C) if np.all(np.isfinite(C)) else np.array([0.0])
    weak = [str(s) for s, c in zip(symbols, col) if not c > 1e-10]
    if weak or not ev[0] > 1e-4:
        which = ", ".join(weak) if weak else "a combination of " + ", ".join(map(str, symbols))
        warnings.warn(f"{which}: no effect on the Cauchy noise loss (a null direction of its "
                      "Hessian); the value is not determined by the data", IdentifiabilityWarning,
                      stacklevel=3)
    try:
        Hi = np.linalg.inv(H)
        V = Hi @ S @ Hi / n
        se = np.sqrt(np.abs(np.diag(V)))
    except np.linalg.LinAlgError:
        se = np.full(theta.size, np.inf)
    return {s: float(e) if np.isfinite(e) else float("inf") for s, e in zip(symbols, se)}
