r"""Numerical tests of asymptotic freeness: :func:`freeness_test` and :class:`FreenessReport`.

What is measured
----------------
For each matrix size N and trial, the elements are centred with the *same realisation's* trace,
``A_k = a^k - tr_N(a^k) I`` and ``B_l = b^l - tr_N(b^l) I`` (``tr_N = Tr/N``; a negative power
``-k`` means ``(a*)^k``), and the alternating mixed moments

    tr_N(A_{k1} B_{l1} A_{k2} B_{l2} ... A_{km} B_{lm}),   m = 1..orders,

are computed for every choice of powers (words equal up to a cyclic rotation are listed once).
a and b are asymptotically free iff all of these tend to 0 (Voiculescu's definition).

Which statistic decays like 1/N
-------------------------------
For invariant ensembles a single realisation's mixed moment has *fluctuations* of order 1/N
(second-order freeness, Mingo–Speicher, Fields Monographs 35 (2017), ch. 5: N (tr_N - E tr_N)
converges to a Gaussian), while its *mean* is O(1/N^2) for complex (GUE/Haar unitary) models and
O(1/N) for real (GOE/Haar orthogonal) ones. The statistic fitted here is therefore the root mean
square over trials, ``rms_N = sqrt(mean_t |tr_N(word)|^2)``, which decays like ``N^-1`` for every
free pair, real or complex; the trial mean and its confidence interval are reported as well.
For a pair that is not free some word has a non-zero limit and ``rms_N`` stays of order one
(exponent about 0); classically independent commuting matrices give ``N^-1/2`` for the
length-two words and a non-zero limit for the length-four words.

The decay exponent of each word is the least-squares slope of ``log rms_N`` against ``log N``;
its standard error is the larger of the regression's and the one propagated from the sampling
error of each rms over the T trials (delta method on the trial values; ``1/sqrt(2T)`` for
centred Gaussian values). The aggregate statistic is the
root mean square over words of the rms divided by the product of the L2 norms of the word's
centred factors (so that no word dominates by its size). The threshold -1/2 lies half-way
between the free -1 and the non-free 0. Verdict: *not free* when some word (or the aggregate)
has exponent - 2 SE > -1/2 (clearly not decaying); otherwise *free* when the aggregate has
exponent + 2 SE < -1/2 (clearly decaying); *inconclusive* otherwise (use more trials or a wider
range of N). Single words are noisy with few trials (an rms over 10 trials is uncertain by about
20%), which is why the "free" side of the verdict rests on the aggregate.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..algebra import NCPoly
from ..deps import blas_threads
from ..errors import InvalidParameterError
from ..progress import bar as progress_bar, check as check_progress
from ..numeric.display import escape, table_html
from .evaluate import evaluate, needs_complex
from .samplers import NumpyOps, realise
from .sampling import _check_expr, _check_n, _check_seed, check_memory

__all__ = ["freeness_test", "FreenessReport", "fit_exponent"]

_THRESHOLD = -0.5


def fit_exponent(ns: Sequence[float], values: Sequence[float], trials: int = 0,
                 sigmas: Sequence[float] | None = None) -> tuple:
    """Least-squares slope of log(values) against log(ns), with its standard error.

    The error is the larger of the regression's (from the residuals) and the one propagated
    from ``sigmas``, the standard errors of log(values) (default ``1/sqrt(2 trials)``, that of
    the rms of ``trials`` centred Gaussian values).

    Examples
    --------
    >>> e, se = fit_exponent([100, 200, 400], [1e-2, 5e-3, 2.5e-3])
    >>> round(e, 6), round(se, 6)
    (-1.0, 0.0)
    """
    x = np.log(np.asarray(ns, dtype=float))
    y = np.log(np.maximum(np.asarray(values, dtype=float), 1e-300))
    if x.size < 2:
        return float("nan"), float("nan")
    xc = x - x.mean()
    sxx = float(np.sum(xc ** 2))
    slope = float(np.sum(xc * (y - y.mean())) / sxx)
    resid = y - y.mean() - slope * xc
    se_reg = math.sqrt(float(np.sum(resid ** 2)) / (x.size - 2) / sxx) if x.size > 2 else 0.0
    if sigmas is not None:
        se_prop = math.sqrt(float(np.sum(xc ** 2 * np.asarray(sigmas, dtype=float) ** 2))) / sxx
    else:
        se_prop = (1 / math.sqrt(2 * trials)) / math.sqrt(sxx) if trials else 0.0
    return slope, max(se_reg, se_prop)


def _label(sym: str, k: int) -> str:
    base = sym if k > 0 else sym + "*"
    return base if abs(k) == 1 else f"{base}^{abs(k)}"


@dataclass(frozen=True, eq=False)
class FreenessReport:
    """Mixed moments of centred elements over a range of N, fitted decay rates and a verdict.

    Made by :func:`~freealg.freeness_test`; ``print(report)`` gives a table and
    :func:`freealg.plotting.freeness` a plot.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> rep = fa.freeness_test(x, y, n_values=(40, 80, 160), trials=4, orders=1, seed=0)
    >>> rep.verdict, rep.words
    ('free', ('a b', 'a b^2', 'a^2 b', 'a^2 b^2'))
    >>> len(rep.rms["a b"]) == len(rep.n_values) == 3
    True

    Attributes
    ----------
    n_values : tuple of int
        The matrix sizes N.
    trials : int
        Realisations per N.
    words : tuple of str
        Labels such as ``"(a - tr a)(b^2 - tr b^2)"`` written compactly as ``"a b^2"``.
    mean, ci, rms : dict
        For each word, a tuple over ``n_values``: trial mean of the real part, its confidence
        half-width, root mean square of the modulus.
    exponents : dict
        For each word, its fitted decay exponent and standard error.
    exponent, exponent_se : float
        Fit of the root mean square over all words of the normalised rms (each word divided by
        the product of the L2 norms of its centred factors).
    aggregate : tuple of float
        That aggregate normalised rms, one value per N.
    verdict : str
        'free', 'not free' or 'inconclusive'.
    level : float
        Confidence level of ``ci``.
    notes : tuple of str
        Remarks (e.g. degenerate powers that were dropped).
    """

    n_values: tuple
    trials: int
    words: tuple
    mean: dict
    ci: dict
    rms: dict
    exponents: dict
    exponent: float
    exponent_se: float
    aggregate: tuple
    verdict: str
    level: float = 0.95
    notes: tuple = field(default=())

    @property
    def free(self) -> bool:
        """True when the verdict is ``'free'``.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> kw = dict(n_values=(40, 80, 160), trials=4, orders=1, seed=0)
        >>> fa.freeness_test(x, y, **kw).free, fa.freeness_test(x, x**2, **kw).free
        (True, False)
        """
        return self.verdict == "free"

    def __str__(self) -> str:
        lines = [f"freeness test: N in {list(self.n_values)}, {self.trials} trials per N; "
                 f"verdict: {self.verdict.upper()}",
                 f"  aggregate normalised rms decays like N^{self.exponent:.3f} "
                 f"(+- {self.exponent_se:.3f}); free pairs: -1, non-free: 0",
                 "  " + f"{'word':<22}" + "".join(f"{'rms N=' + str(n):>14}" for n in self.n_values)
                 + f"{'exponent':>18}"]
        for w in self.words:
            e, se = self.exponents[w]
            lines.append("  " + f"tr({w})"[:22].ljust(22)
                         + "".join(f"{r:>14.3e}" for r in self.rms[w])
                         + f"{e:>11.3f} +- {se:.2f}")
        lines.append(f"  trial means with {int(self.level * 100)}% confidence half-widths:")
        for w in self.words:
            lines.append("  " + f"tr({w})"[:22].ljust(22) + "".join(
                f"{m:>+11.2e}±{c:.1e}" for m, c in zip(self.mean[w], self.ci[w])))
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"FreenessReport({self.verdict}: rms ~ N^{self.exponent:.3f} "
                f"(+- {self.exponent_se:.3f}), N in {list(self.n_values)}, "
                f"{self.trials} trials, {len(self.words)} words)")

    def _repr_html_(self) -> str:
        color = {"free": "#070", "not free": "#b00"}.get(self.verdict, "#a60")
        head = (['<div class="freealg-display"><strong>freeness test</strong>: '
                 f"<strong style='color:{color}'>{escape(self.verdict.upper())}</strong> "
                 f"(N in {escape(list(self.n_values))}, {self.trials} trials per N)<br/>"
                 f"aggregate normalised rms decays like N<sup>{self.exponent:.3f}</sup> "
                 f"(± {self.exponent_se:.3f}); free pairs: N<sup>-1</sup>, non-free: "
                 "N<sup>0</sup>"])
        rows = []
        for w in self.words:
            e, se = self.exponents[w]
            rows.append([f"<code>tr({escape(w)})</code>"]
                        + [f"{r:.3e}" for r in self.rms[w]] + [f"{e:.3f} ± {se:.2f}"])
        rows.append(["aggregate (normalised)"] + [f"{r:.3e}" for r in self.aggregate]
                    + [f"{self.exponent:.3f} ± {self.exponent_se:.2f}"])
        head.append(table_html(["word"] + [f"rms N={n}" for n in self.n_values] + ["exponent"],
                               rows, caption="centred mixed moments"))
        means = [[f"<code>tr({escape(w)})</code>"]
                 + [f"{m:+.2e} ± {c:.1e}" for m, c in zip(self.mean[w], self.ci[w])]
                 for w in self.words]
        head.append(table_html(["word"] + [f"N={n}" for n in self.n_values], means,
                               caption=f"trial means, {int(self.level * 100)}% confidence"))
        head += [f"<p>note: {escape(n)}</p>" for n in self.notes]
        head.append("<details><summary>as text</summary><pre>" + escape(str(self))
                    + "</pre></details></div>")
        return "".join(head)


# --------------------------------------------------------------------------------------------
# producing (A, B) pairs


def _pairs_from_exprs(a: NCPoly, b: NCPoly, field_: str) -> Callable:
    gens = tuple(sorted(set(a.generators) | set(b.generators), key=lambda g: g.sort_key()))
    complex_ = needs_complex([a, b]) if field_ == "auto" else field_ == "complex"

    def draw(n, rng):
        check_memory([a, b], n, complex_, "n_values")
        ops = NumpyOps(rng)
        real = realise(gens, n, rng, complex_, ops)
        out = []
        for e in (a, b):
            kind, m = evaluate(e, real, ops)
            out.append(np.diag(m) if kind == "diag" else m)
        return tuple(out)
    return draw


def _as_matrix(m: Any, what: str) -> np.ndarray:
    m = np.asarray(m)
    if m.ndim == 1:           # a diagonal given as a vector
        m = np.diag(m)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.dtype.kind not in "iufc":
        raise InvalidParameterError(what, getattr(m, "shape", m), "must be a square numeric "
                                    "matrix (or a vector of diagonal entries)")
    if not np.all(np.isfinite(m)):
        raise InvalidParameterError(what, "non-finite entries", "all entries must be finite")
    return m


def _centred_powers(m: np.ndarray, powers: Sequence[int]) -> dict:
    n = m.shape[0]
    out = {}
    mh = m.conj().T
    for k in powers:
        base = m if k > 0 else mh
        p = base
        for _ in range(abs(k) - 1):
            p = p @ base
        p = p.copy() if p is base else p
        p = p.astype(complex if np.iscomplexobj(p) else float, copy=True)
        tr = np.trace(p) / n
        p[np.diag_indices(n)] -= tr
        out[k] = p
    return out


def _reversed(combo: tuple) -> tuple:
    """The word read backwards, rotated to start with an a-letter (tr(X*) for self-adjoint a, b)."""
    m = len(combo)
    return tuple((combo[(m - i) % m][0], combo[m - 1 - i][1]) for i in range(m))


def _nondegenerate(m: np.ndarray, powers: tuple, sym: str, notes: list) -> tuple:
    """Drop powers whose centred version vanishes (a multiple of the identity, e.g. b^2 = 1 for
    b = +-1): their words are round-off, which does not decay and would fake non-freeness."""
    n = m.shape[0]
    keep = []
    for k, c in _centred_powers(m, powers).items():
        base = np.linalg.matrix_power(m if k > 0 else m.conj().T, abs(k))
        if np.linalg.norm(c) <= 1e-9 * max(1.0, float(np.linalg.norm(base))):
            notes.append(f"{_label(sym, k)} is a multiple of the identity; its words are omitted")
        else:
            keep.append(k)
    if not keep:
        raise InvalidParameterError(sym, f"{n} x {n} matrix", "is a multiple of the identity "
                                                             "(a scalar is free from anything; "
                                                             "nothing to test)")
    return tuple(keep)


def _words(pa: Sequence[int], pb: Sequence[int], orders: int) -> list:
    """Alternating words up to cyclic rotation (and reversal when both are self-adjoint)."""
    words = []
    seen = set()
    sa = all(k > 0 for k in pa) and all(k > 0 for k in pb)
    for m in range(1, orders + 1):
        for combo in itertools.product(itertools.product(pa, pb), repeat=m):
            variants = [combo] + ([_reversed(combo)] if sa else [])
            key = min(c[i:] + c[:i] for c in variants for i in range(m))
            if key in seen:
                continue
            seen.add(key)
            words.append(combo)
    return words


def _word_values(A: dict, B: dict, words: list, n: int) -> tuple:
    """tr_N of each word and the product of the L2 norms of its factors."""
    pairs = {}
    for combo in words:
        for kl in combo:
            if kl not in pairs:
                pairs[kl] = A[kl[0]] @ B[kl[1]]
    norm = {("a", k): math.sqrt(float(np.sum(np.abs(v) ** 2)) / n) for k, v in A.items()}
    norm.update({("b", k): math.sqrt(float(np.sum(np.abs(v) ** 2)) / n) for k, v in B.items()})
    vals, scales = [], []
    for combo in words:
        if len(combo) == 1:
            v = np.trace(pairs[combo[0]]) / n
        else:
            prod = pairs[combo[0]]
            for kl in combo[1:-1]:
                prod = prod @ pairs[kl]
            v = np.sum(prod * pairs[combo[-1]].T) / n
        vals.append(complex(v))
        s = 1.0
        for k, l in combo:
            s *= norm[("a", k)] * norm[("b", l)]
        scales.append(s)
    return vals, scales


def _normalise_input(a, b, field_):
    """A function draw(n, rng) -> (A, B), or a dict n -> list of (A, B) for fixed data."""
    if isinstance(a, NCPoly) or isinstance(b, NCPoly):
        _check_expr(a, "a")
        _check_expr(b, "b")
        return _pairs_from_exprs(a, b, field_), None
    if callable(a) and b is None:
        def draw(n, rng):
            out = a(n, rng)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise InvalidParameterError("a", a, "a callable given alone must return a pair "
                                                    "(A, B) of n x n matrices")
            return out
        return draw, None
    if callable(a) and callable(b):
        return (lambda n, rng: (a(n, rng), b(n, rng))), None
    if isinstance(a, (np.ndarray, list, tuple)) and isinstance(b, (np.ndarray, list, tuple)):
        la = [a] if isinstance(a, np.ndarray) and np.asarray(a).ndim <= 2 else list(a)
        lb = [b] if isinstance(b, np.ndarray) and np.asarray(b).ndim <= 2 else list(b)
        if len(la) != len(lb):
            raise InvalidParameterError("b", f"{len(lb)} matrices", f"give as many matrices as "
                                                                  f"for a ({len(la)})")
        data: dict = {}
        for A, B in zip(la, lb):
            A, B = _as_matrix(A, "a"), _as_matrix(B, "b")
            if A.shape != B.shape:
                raise InvalidParameterError("b", B.shape, f"must have the shape of a {A.shape}")
            data.setdefault(A.shape[0], []).append((A, B))
        return None, data
    raise InvalidParameterError("a", type(a).__name__,
                                "give two NCPoly sub-expressions, two numpy arrays (or lists of "
                                "arrays, one per realisation), two callables f(n, rng) -> "
                                "matrix, or one callable f(n, rng) -> (A, B)")


def _is_selfadjoint(m: np.ndarray) -> bool:
    return bool(np.allclose(m, m.conj().T, atol=1e-10 * (1 + np.max(np.abs(m)))))


def freeness_test(a: Any, b: Any = None, n_values: Sequence[int] = (100, 200, 400, 800),
                  seed: Any = 0, trials: int = 10, orders: int = 2, *,
                  powers_a: Sequence[int] | None = None, powers_b: Sequence[int] | None = None,
                  level: float = 0.95, field: str = "auto",
                  threads: int | None = None, progress: bool | None = None) -> FreenessReport:
    """Test asymptotic freeness of a and b from mixed moments of centred elements over N.

    See the module docstring for the statistic (rms over trials, which decays like 1/N for
    free pairs) and the verdict.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> rep = freeness_test(x, y, n_values=(50, 100, 200, 400), trials=10, orders=1)
    >>> rep.free, -1.4 < rep.exponent < -0.6
    (True, True)
    >>> freeness_test(x, x**2, n_values=(50, 100, 200), trials=4, orders=2).verdict
    'not free'

    Parameters
    ----------
    a, b : NCPoly, numpy arrays, or callables
        * two NCPoly sub-expressions: realised *jointly* (generators shared by a and b are
          realised once per trial, with :func:`~freealg.montecarlo.sample`'s models);
        * two callables ``f(n, rng) -> n x n matrix``, or one callable ``f(n, rng) -> (A, B)``
          with ``b=None`` (``rng`` is a numpy Generator);
        * two numpy arrays (one realisation), or two lists of arrays (realisations, sizes may
          differ; n_values and trials then come from the data).
    n_values : sequence of int
        Matrix sizes (at least two for an exponent).
    seed : int, SeedSequence or Generator
        Reproducible: the trials of each N use spawned SeedSequences.
    trials : int
        Realisations per N (at least 2 for the confidence intervals).
    orders : int
        Longest alternation m of the words tr(A1 B1 ... Am Bm).
    powers_a, powers_b : sequence of int
        Powers used to generate the algebras; a negative power -k means (a*)^k. Default (1, 2)
        for self-adjoint elements and (1, -1) (the element and its adjoint) otherwise.
    level : float
        Confidence level of the intervals for the trial means (Student t).
    field : {'auto', 'real', 'complex'}
        For NCPoly inputs: the field of the random-matrix models.
    threads : int or None
        Limit the BLAS/LAPACK threads (see :func:`~freealg.montecarlo.sample`).
    progress : bool or None
        Report each trial of each N on stderr (a tqdm bar when tqdm is installed, else one
        ``[k/n]`` line per trial; see :mod:`freealg.progress`). None: only in interactive
        sessions and for runs expected to take over about 2 s.

    Returns
    -------
    FreenessReport
        ``.free``, ``.verdict``, ``.exponent``; a table as ``str(report)``; plot with
        :func:`freealg.plotting.freeness`.

    Raises
    ------
    InvalidParameterError
        Unsupported inputs, n_values or trials that are not positive ints, orders < 1, matrices
        that are not square or of different shapes, n too large for the memory, ``progress``
        not True, False or None.
    """
    progress = check_progress(progress)
    if not isinstance(orders, int) or isinstance(orders, bool) or orders < 1:
        raise InvalidParameterError("orders", orders, "must be an int >= 1")
    if not (0 < level < 1):
        raise InvalidParameterError("level", level, "must lie in (0, 1)")
    if field not in ("auto", "real", "complex"):
        raise InvalidParameterError("field", field, "must be 'auto', 'real' or 'complex'")
    draw, data = _normalise_input(a, b, field)
    if threads is not None:
        threads = _check_n(threads, "threads")
    with blas_threads(threads):
        return _freeness(draw, data, n_values, seed, trials, orders, powers_a, powers_b, level,
                         progress)


def _freeness(draw, data, n_values, seed, trials, orders, powers_a, powers_b, level,
              progress=False):
    seedseq = _check_seed(seed)
    if data is None:
        if isinstance(n_values, (int, np.integer)):
            n_values = (n_values,)
        try:
            given = list(n_values)
        except TypeError:
            raise InvalidParameterError("n_values", n_values, "must be a sequence of matrix "
                                                              "sizes (positive ints)") from None
        if not given:
            raise InvalidParameterError("n_values", n_values, "needs at least one matrix size "
                                        "(two or more to see the 1/N decay)")
        n_values = tuple(sorted({_check_n(n, "n_values") for n in given}))
        trials = _check_n(trials, "trials")
        children = seedseq.spawn(len(n_values))
    else:
        n_values = tuple(sorted(data))
        trials = min(len(v) for v in data.values())
    total = (trials * len(n_values) if data is None
             else sum(min(len(data[n]), trials) for n in n_values))
    # about 2 s of dense work: trials * sum N^3 > 2e9 (every word costs a few products)
    slow = data is None and trials * sum(float(n) ** 3 for n in n_values) * orders > 2e9
    with progress_bar(total, "freealg.freeness_test", progress, slow=slow) as bar:
        return _freeness_loop(draw, data, n_values, children if data is None else None, trials,
                              orders, powers_a, powers_b, level, bar)


def _freeness_loop(draw, data, n_values, children, trials, orders, powers_a, powers_b, level,
                   bar):
    from scipy import stats

    notes = []
    pa, pb = powers_a, powers_b
    words = None
    mean, ci, rms, agg = {}, {}, {}, []
    sig, agg_sig = {}, []
    for i, n in enumerate(n_values):
        if data is None:
            rngs = [np.random.default_rng(s) for s in children[i].spawn(trials)]
            samples = (draw(n, rng) for rng in rngs)
        else:
            samples = iter(data[n][:trials])
        vals_t, scales_t = [], []
        for A, B in samples:
            A, B = _as_matrix(A, "a"), _as_matrix(B, "b")
            if A.shape != (n, n) or B.shape != (n, n):
                raise InvalidParameterError("a", A.shape, f"the callable must return {n} x {n} "
                                                          f"matrices for n = {n}")
            if pa is None:
                pa = (1, 2) if _is_selfadjoint(A) else (1, -1)
            if pb is None:
                pb = (1, 2) if _is_selfadjoint(B) else (1, -1)
            if words is None:
                for p, nm in ((pa, "powers_a"), (pb, "powers_b")):
                    if not p or any(isinstance(k, bool) or not isinstance(k, (int, np.integer))
                                    or k == 0 for k in p):
                        raise InvalidParameterError(nm, p, "must be non-zero ints (-k = (a*)^k)")
                pa = _nondegenerate(A, tuple(pa), "a", notes)
                pb = _nondegenerate(B, tuple(pb), "b", notes)
                words = _words(pa, pb, orders)
            v, s = _word_values(_centred_powers(A, pa), _centred_powers(B, pb), words, n)
            vals_t.append(v)
            scales_t.append(s)
            bar.step(1, f"n={n}")
        V = np.asarray(vals_t)             # trials x words (complex)
        S = np.asarray(scales_t)
        T = V.shape[0]
        tq = stats.t.ppf(0.5 + level / 2, T - 1) if T > 1 else float("nan")
        for j, w in enumerate(words):
            lab = _word_label(w)
            re = V[:, j].real
            mean.setdefault(lab, []).append(float(np.mean(re)))
            ci.setdefault(lab, []).append(float(tq * np.std(re, ddof=1) / math.sqrt(T))
                                          if T > 1 else float("nan"))
            sq = np.abs(V[:, j]) ** 2
            rms.setdefault(lab, []).append(float(np.sqrt(np.mean(sq))))
            sig.setdefault(lab, []).append(_log_rms_se(sq))
        normed = np.abs(V) / np.maximum(S, 1e-300)
        q = np.mean(normed ** 2, axis=1)
        agg.append(float(np.sqrt(np.mean(q))))
        agg_sig.append(_log_rms_se(q))
    labels = tuple(_word_label(w) for w in words)
    exps = {lab: fit_exponent(n_values, rms[lab], trials, sig[lab]) for lab in labels}
    e, se = fit_exponent(n_values, agg, trials, agg_sig)
    if len(n_values) < 2:
        verdict = "inconclusive"
        notes.append("one matrix size only: no decay rate can be fitted; give several n")
    else:
        lows = [ex - 2 * s_ for ex, s_ in exps.values()] + [e - 2 * se]
        if any(lo > _THRESHOLD for lo in lows):
            verdict = "not free"
        elif e + 2 * se < _THRESHOLD:
            verdict = "free"
        else:
            verdict = "inconclusive"
    return FreenessReport(n_values=tuple(n_values), trials=trials, words=labels,
                          mean={k: tuple(v) for k, v in mean.items()},
                          ci={k: tuple(v) for k, v in ci.items()},
                          rms={k: tuple(v) for k, v in rms.items()}, exponents=exps,
                          exponent=e, exponent_se=se, aggregate=tuple(agg), verdict=verdict,
                          level=level, notes=tuple(notes))


def _log_rms_se(sq: np.ndarray) -> float:
    """Standard error of log sqrt(mean(sq)) from the trials (delta method); at least the
    Gaussian value's 1/sqrt(2T) scaled by 1/4 so that two identical trials do not claim 0."""
    T = sq.size
    m = float(np.mean(sq))
    if T < 2 or m <= 0:
        return float("inf") if T < 2 else 0.0
    return max(0.5 * float(np.std(sq, ddof=1)) / (math.sqrt(T) * m), 0.25 / math.sqrt(2 * T))


def _word_label(combo) -> str:
    return " ".join(_label("a", k) + " " + _label("b", l) for k, l in combo)
