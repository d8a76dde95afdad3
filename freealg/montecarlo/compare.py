r"""Theory versus simulation: :func:`compare` and its :class:`ComparisonReport`.

Expected-error scale (how the verdict is derived)
-------------------------------------------------
Let ``N`` be the matrix size and ``T`` the number of pooled trials.

* **Unitarily/orthogonally invariant ensembles** (GUE/GOE, Ginibre, Haar, quantile diagonals
  conjugated by Haar). Eigenvalues are rigid: the counting function in the bulk deviates from
  ``N F`` by ``O(sqrt(log N))`` (Gustavsson 2005; Erdős–Schlein–Yau rigidity), the mean
  empirical CDF differs from the limit by ``O(1/N)`` (the 1/N correction of GOE, rank rounding
  ``round(t N)`` of projections and atoms, quantile discretisation), and a soft edge moves by
  ``O(N^{-2/3})``, which changes the CDF by ``O((N^{-2/3})^{3/2}) = O(1/N)``. Hence
  ``KS = O(log N / N)``; the bias does not average out over trials, so no ``1/sqrt(T)`` gain is
  claimed. Threshold term: ``C_RM (1 + ln N) / N`` with ``C_RM = 3``. Calibration (``docs/
  montecarlo.md``): for 15 expressions x 3 seeds at N = 250, 500, 1000 (and 6 expressions at
  N = 2000) the observed ``KS N / (1 + ln N)`` was at most 0.73; ``C_RM = 3`` leaves a margin
  of about four for expressions we did not try, and at N = 2000 the threshold (0.013) is still
  far below the KS distance of a law whose variance is off by a factor of two (about 0.1).
* **Classical randomness** (iid activation entries ``phi'(h)``, independently paired commuting
  diagonal families): the empirical law of ``N T`` iid draws has Kolmogorov fluctuations
  ``K / sqrt(N T)``; ``P(K > 1.95) = 0.001`` (Kolmogorov's distribution). Threshold term:
  ``C_CL / sqrt(N T)`` with ``C_CL = 1.95``, added when the sample says ``classical``.
* Moments ``m_k``: the same two regimes give ``|m_k - tau(a^k)| <= C_M R^k (k / N + 2 classical
  / sqrt(N T))`` with ``R = max|support|`` and ``C_M = 4``.
* Atom masses: rank rounding moves a mass by at most ``1/(2N)`` per generator; the scale is
  ``2/N`` plus ``3 sqrt(m (1 - m) / (N T))`` when classical.
* Edges (extreme eigenvalues) converge like ``N^{-2/3}`` but with a possibly tiny constant for
  deep products (the density is tiny near the edge); they are reported, not used in the verdict.

Eigenvalues within ``snap * max(1, R)`` (``snap = 1e-9``) of a theoretical atom are moved onto
the atom, so round-off around an exact eigenvalue (e.g. the zeros of ``p q p``) does not fake a
KS jump; the tolerance is far below any spacing ``~ 1/N`` of a continuous part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ..numeric.display import escape, table_html
from .cdf import theory_cdf

__all__ = ["compare", "ComparisonReport", "ks_threshold", "C_RM", "C_CL", "C_M"]

C_RM = 3.0     # invariant ensembles: KS <= C_RM (1 + ln N) / N
C_CL = 1.95    # classical (iid) part: Kolmogorov 0.999 quantile
C_M = 4.0      # moments


def ks_threshold(n: int, trials: int = 1, classical: bool = False) -> float:
    """Expected-error scale of the KS distance for N x N matrices pooled over ``trials``.

    Examples
    --------
    >>> round(ks_threshold(2000), 5)
    0.0129
    >>> round(ks_threshold(2000, classical=True), 5)
    0.0565
    """
    eps = C_RM * (1 + math.log(n)) / n
    if classical:
        eps += C_CL / math.sqrt(n * trials)
    return eps


@dataclass(frozen=True, eq=False)
class ComparisonReport:
    """Theory-vs-simulation numbers and a verdict (see the module docstring for the scales).

    Made by :func:`~freealg.compare`; ``print(report)`` gives a table.

    Examples
    --------
    >>> import freealg as fa
    >>> ev = fa.sample(fa.semicircular("x"), n=200, seed=0)
    >>> rep = fa.compare(fa.semicircle(1), ev, moments=2)
    >>> rep.agrees, rep.n, [k for k, *_ in rep.moments]
    (True, 200, [1, 2])
    >>> print(rep)                                   # doctest: +ELLIPSIS
    Monte Carlo vs theory: N=200, trials=1 (200 values)
      verdict: AGREES
    ...

    Attributes
    ----------
    n, trials, samples : int
        Matrix size, number of pooled trials, number of values.
    classical : bool
        Whether iid (classical) randomness is present.
    ks, ks_threshold, ks_at : float
        Kolmogorov-Smirnov distance, its expected-error scale, where the maximum occurs.
    w1, w1_scale : float
        Wasserstein-1 distance and ``ks_threshold * width of the support``.
    moments : tuple
        One ``(k, empirical, theory, error, scale)`` tuple per moment.
    atoms : tuple
        One ``(location, theory mass, empirical mass, error, scale)`` tuple per atom.
    edges : tuple
        One ``(side, theory, extreme eigenvalue, error, scale)`` tuple per edge.
    mass_defect : float
        Integral of the theoretical density minus the expected continuous mass (a check of
        the density; the CDF is renormalised when it exceeds 1e-6).
    agrees : bool
        KS within its threshold and every moment and atom mass within its scale.
    notes : tuple of str
        Remarks on the comparison.
    """

    n: int
    trials: int
    samples: int
    classical: bool
    ks: float
    ks_threshold: float
    ks_at: float
    w1: float
    w1_scale: float
    moments: tuple
    atoms: tuple
    edges: tuple
    mass_defect: float
    agrees: bool
    notes: tuple = field(default=())

    @property
    def failures(self) -> list:
        """Which checks failed (empty when ``agrees``).

        Examples
        --------
        >>> import freealg as fa
        >>> ev = fa.sample(fa.semicircular("x"), n=200, seed=0)
        >>> fa.compare(fa.semicircle(1), ev, moments=2).failures
        []
        >>> fa.compare(fa.semicircle(2), ev, moments=2).failures     # wrong variance
        ['KS ... > ...', 'moment m2: |... - 2| > ...']
        """
        out = []
        if not self.ks <= self.ks_threshold:
            out.append(f"KS {self.ks:.3g} > {self.ks_threshold:.3g}")
        out += [f"moment m{k}: |{e:.6g} - {t:.6g}| > {s:.3g}" for k, e, t, err, s in self.moments
                if not err <= s]
        out += [f"atom at {loc:.6g}: mass {em:.4g} vs {tm:.4g} (> {s:.3g})"
                for loc, tm, em, err, s in self.atoms if not err <= s]
        return out

    def __str__(self) -> str:
        lines = [f"Monte Carlo vs theory: N={self.n}, trials={self.trials} "
                 f"({self.samples} values{', classical iid part' if self.classical else ''})",
                 f"  verdict: {'AGREES' if self.agrees else 'DISAGREES'}",
                 f"  KS  = {self.ks:.4g}  (threshold {self.ks_threshold:.4g}, "
                 f"at x={self.ks_at:.4g})",
                 f"  W1  = {self.w1:.4g}  (scale {self.w1_scale:.4g})"]
        if self.moments:
            lines.append("   k   empirical        theory           error      scale")
            for k, e, t, err, s in self.moments:
                flag = "" if err <= s else "  <-"
                lines.append(f"  {k:2d}   {e:<15.8g}  {t:<15.8g}  {err:<9.3g}  {s:.3g}{flag}")
        for loc, tm, em, err, s in self.atoms:
            flag = "" if err <= s else "  <-"
            lines.append(f"  atom at {loc:.6g}: theory {tm:.6g}, empirical {em:.6g} "
                         f"(error {err:.3g}, scale {s:.3g}){flag}")
        for side, t, e, err, s in self.edges:
            lines.append(f"  {side} edge {t:.6g}: extreme eigenvalue {e:.6g} "
                         f"(error {err:.3g}, scale {s:.3g}; not in the verdict)")
        for note in self.notes:
            lines.append(f"  note: {note}")
        if not self.agrees:
            lines.append("  failed: " + "; ".join(self.failures))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ComparisonReport({'AGREES' if self.agrees else 'DISAGREES'}: N={self.n}, "
                f"trials={self.trials}, KS={self.ks:.4g} (threshold {self.ks_threshold:.4g}), "
                f"W1={self.w1:.4g} (scale {self.w1_scale:.4g}), {len(self.moments)} moments, "
                f"{len(self.atoms)} atoms)")

    def _repr_html_(self) -> str:
        def ok(good: bool) -> str:
            return "ok" if good else "<strong style='color:#b00'>fails</strong>"

        verdict = ("<span style='color:#070'>AGREES</span>" if self.agrees
                   else "<span style='color:#b00'>DISAGREES</span>")
        parts = ['<div class="freealg-display"><strong>Monte Carlo vs theory</strong>: '
                 f"<strong>{verdict}</strong> (N = {self.n}, {self.trials} trials, "
                 f"{self.samples} values{', classical iid part' if self.classical else ''})",
                 table_html(["statistic", "value", "threshold / scale", ""], [
                     ["KS", f"{self.ks:.4g} (at x = {self.ks_at:.4g})",
                      f"{self.ks_threshold:.4g}", ok(self.ks <= self.ks_threshold)],
                     ["W1", f"{self.w1:.4g}", f"{self.w1_scale:.4g}", "not in the verdict"]])]
        if self.moments:
            parts.append(table_html(["k", "empirical", "theory", "error", "scale", ""], [
                [str(k), f"{e:.8g}", f"{t:.8g}", f"{err:.3g}", f"{sc:.3g}", ok(err <= sc)]
                for k, e, t, err, sc in self.moments], caption="moments"))
        if self.atoms:
            parts.append(table_html(["atom at", "theory mass", "empirical", "error", "scale",
                                     ""], [
                [f"{loc:.6g}", f"{tm:.6g}", f"{em:.6g}", f"{err:.3g}", f"{sc:.3g}",
                 ok(err <= sc)] for loc, tm, em, err, sc in self.atoms], caption="atoms"))
        if self.edges:
            parts.append(table_html(["edge", "theory", "extreme eigenvalue", "error", "scale"], [
                [escape(side), f"{t:.6g}", f"{e:.6g}", f"{err:.3g}", f"{sc:.3g}"]
                for side, t, e, err, sc in self.edges],
                caption="edges (not in the verdict)"))
        parts += [f"<p>note: {escape(n)}</p>" for n in self.notes]
        if not self.agrees:
            parts.append("<p>failed: " + escape("; ".join(self.failures)) + "</p>")
        parts.append("<details><summary>as text</summary><pre>" + escape(str(self))
                     + "</pre></details></div>")
        return "".join(parts)


def _as_values(eigenvalues: Any) -> np.ndarray:
    try:
        v = np.asarray(eigenvalues)
    except Exception:  # noqa: BLE001
        raise InvalidParameterError("eigenvalues", type(eigenvalues).__name__,
                                    "must be a numeric array") from None
    if v.dtype.kind == "c":
        if v.size and np.max(np.abs(v.imag)) > 1e-8 * (1 + np.max(np.abs(v.real))):
            raise InvalidParameterError("eigenvalues", "complex data", "eigenvalues of a "
                                        "self-adjoint matrix must be real")
        v = v.real
    if v.dtype.kind not in "iuf" or v.size == 0:
        raise InvalidParameterError("eigenvalues", getattr(v, "shape", v),
                                    "need a non-empty real numeric array")
    v = np.asarray(v, dtype=float).ravel()
    if not np.all(np.isfinite(v)):
        raise InvalidParameterError("eigenvalues", "non-finite data", "all values must be finite")
    return np.sort(v)


def compare(sol: Any, eigenvalues: Any, moments: int = 6, *, n: int | None = None,
            trials: int | None = None, classical: bool | None = None,
            snap: float = 1e-9) -> ComparisonReport:
    """Compare sampled eigenvalues with a theoretical spectrum and give an honest verdict.

    Examples
    --------
    >>> import freealg as fa
    >>> from freealg.montecarlo import sample
    >>> x = fa.semicircular("x")
    >>> rep = compare(fa.semicircle(1), sample(x, n=400, seed=3), moments=4)
    >>> rep.agrees, rep.ks < rep.ks_threshold
    (True, True)
    >>> compare(fa.semicircle(2), sample(x, n=400, seed=3)).agrees     # wrong variance
    False

    Parameters
    ----------
    sol : SpectralSolution or Law
        Anything with ``density``, ``atoms``, ``support`` and ``moments`` (duck typing; this
        module never imports the solver).
    eigenvalues : array
        Sampled values, e.g. from :func:`~freealg.montecarlo.sample`; its ``.info`` supplies
        ``n``, ``trials`` and ``classical`` unless given.
    moments : int
        Number of moments to compare (0 for none).
    n, trials, classical : optional
        Matrix size, number of pooled trials, and whether iid (classical) randomness is present;
        defaults from ``eigenvalues.info``, else ``n = len(eigenvalues)``, ``trials = 1``,
        ``classical = False``.
    snap : float
        Relative tolerance for moving eigenvalues onto theoretical atoms.

    Returns
    -------
    ComparisonReport

    Raises
    ------
    InvalidParameterError
        Empty, complex or non-finite eigenvalues; a ``sol`` without the needed methods; bad n.
    """
    info = dict(getattr(eigenvalues, "info", {}) or {})
    ev = _as_values(eigenvalues)
    M = ev.size
    trials = int(trials if trials is not None else info.get("trials", 1))
    # a rectangular model's info names its smallest block (the size of its fluctuations)
    if n is None:
        n = info.get("n_effective", info.get("n", M // max(trials, 1)))
    n = int(n)  # type: ignore[arg-type]
    if n < 1 or trials < 1:
        raise InvalidParameterError("n", n, "the matrix size and trials must be >= 1")
    classical = bool(classical if classical is not None else info.get("classical", False))
    if not isinstance(moments, int) or moments < 0:
        raise InvalidParameterError("moments", moments, "must be a non-negative int")
    notes = []
    if info.get("quantity") == "singular values":
        notes.append("these are singular values s of a non-self-adjoint a; the theory must be "
                     "the law of s (compare s**2 with the spectrum of a a*)")
    F = theory_cdf(sol)
    lo, hi = F.support_hull()
    R = max(abs(lo), abs(hi), 1e-300)
    # snap eigenvalues onto atoms
    tol = snap * max(1.0, R)
    ev = ev.copy()
    for loc, _ in F.atoms:
        ev[np.abs(ev - loc) <= tol] = loc
    ev.sort()
    vals, counts = np.unique(ev, return_counts=True)
    cum = np.cumsum(counts) / M
    right = np.abs(cum - F(vals))
    left = np.abs(cum - counts / M - F.left(vals))
    i_r, i_l = int(np.argmax(right)), int(np.argmax(left))
    ks, ks_at = (right[i_r], vals[i_r]) if right[i_r] >= left[i_l] else (left[i_l], vals[i_l])
    thr = ks_threshold(n, trials, classical)
    # Wasserstein-1: integral of |F_emp - F| on a grid refined at the sample points
    a, b = min(lo, ev[0]), max(hi, ev[-1])
    grid = np.unique(np.concatenate([np.linspace(a, b, 8001), vals,
                                     [loc for loc, _ in F.atoms]]))
    mids = (grid[1:] + grid[:-1]) / 2
    fe = np.searchsorted(ev, mids, side="right") / M
    w1 = float(np.sum(np.abs(fe - F(mids)) * np.diff(grid)))
    w1_scale = thr * max(hi - lo, 1e-12) if (hi - lo) > 0 else thr * max(1.0, R)
    # moments
    mom = []
    if moments:
        th = [float(complex(m).real) for m in sol.moments(moments)]
        for k in range(1, moments + 1):
            emp = float(np.mean(ev ** k))
            iid = 2 / math.sqrt(n * trials) if classical else 0
            scale = C_M * max(R, 1e-12) ** k * (k / n + iid)
            mom.append((k, emp, th[k - 1], abs(emp - th[k - 1]), scale))
    # atoms
    at = []
    for loc, m in F.atoms:
        emp = counts[vals == loc].sum() / M if np.any(vals == loc) else 0.0
        scale = 2 / n + (3 * math.sqrt(m * (1 - m) / (n * trials)) if classical else 0)
        at.append((loc, m, float(emp), abs(float(emp) - m), scale))
    # edges (hull of the support, atoms included)
    ed = []
    if hi > lo:
        s = 3 * (hi - lo) * n ** (-2 / 3)
        ed.append(("lower", lo, float(ev[0]), abs(float(ev[0]) - lo), s))
        ed.append(("upper", hi, float(ev[-1]), abs(float(ev[-1]) - hi), s))
    if abs(F.mass_defect) > 1e-6:
        notes.append(f"the theoretical density integrates to {F.ac_mass + F.mass_defect:.8g} "
                     f"instead of {F.ac_mass:.8g}; the CDF was renormalised")
    agrees = bool(ks <= thr and all(err <= sc for *_, err, sc in mom)
                  and all(err <= sc for *_, err, sc in at))
    return ComparisonReport(n=n, trials=trials, samples=M, classical=classical, ks=float(ks),
                            ks_threshold=thr, ks_at=float(ks_at), w1=w1, w1_scale=w1_scale,
                            moments=tuple(mom), atoms=tuple(at), edges=tuple(ed),
                            mass_defect=float(F.mass_defect), agrees=agrees, notes=tuple(notes))
