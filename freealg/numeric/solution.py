"""SpectralSolution: the solved System of a self-adjoint polynomial."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import UndeterminedError
from ..reduce import System, compile_expr
from . import display
from .dispatch import check_dps

__all__ = ["SpectralSolution", "spectrum"]


class SpectralSolution:
    """Density, atoms, edges, support and moments of a compiled polynomial.

    The numbers come from the law tree of the System (``sol.law``), solved by subordination
    and Newton continuation at ``dps`` digits (scalar inputs) or in float64 (numpy arrays).

    Examples
    --------
    >>> import freealg as fa
    >>> u = fa.haar_unitary("u")
    >>> sol = fa.spectrum(u + u.H)           # arcsine law on [-2, 2]
    >>> [e.location for e in sol.edges()], sol.moments(4)
    ([-2, 2], [0, 2, 0, 6])
    """

    def __init__(self, system: System, dps: int = 30):
        self.system = system
        self.law = system.law
        self.dps = check_dps(dps)
        self._calls: dict = {}

    def _dps(self, dps: Any) -> int:
        return self.dps if dps is None else check_dps(dps)

    def _run(self, quantity: str, fn, *args, **kwargs):
        out, diag = fn(*args, full_output=True, **kwargs)
        self._calls[quantity] = diag
        self._calls["last"] = diag
        return out

    def cauchy(self, z: Any, dps: int | None = None, method: str | None = None):
        """G(z) on the closed upper half plane (see :meth:`freealg.Law.cauchy`).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> sol = fa.spectrum(x + y)                 # semicircle of variance 2
        >>> print(mpmath.nstr(sol.cauchy(2j).imag, 20))   # (1 - sqrt 3)/2
        -0.36602540378443864676

        Parameters
        ----------
        z : complex, mpmath number, list or numpy array
            Point(s) with Im z >= 0.
        dps : int, optional
            Digits (default: the solution's ``dps``); ignored for array input.
        method : str, optional
            The strategy (see :meth:`freealg.Law.cauchy`).

        Returns
        -------
        mpmath.mpc or numpy.ndarray
        """
        return self._run("cauchy", self.law.cauchy, z, dps=self._dps(dps), method=method)

    def density(self, x: Any, dps: int | None = None, method: str | None = None):
        """Density of the absolutely continuous part (array or list in -> float64 array out).

        A scalar gives an mpmath ``mpf`` at ``dps`` digits (the solution's ``dps`` when None).

        Examples
        --------
        >>> import numpy as np, mpmath, freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> sol = fa.spectrum(x + y)
        >>> sol.density(np.array([0.0, 3.0]))        # sqrt(8)/(4 pi) at 0; 3 > 2 sqrt 2
        array([0.22507908, 0.        ])
        >>> print(mpmath.nstr(sol.density(0, dps=20), 18))
        0.225079079039276517

        Parameters
        ----------
        x : float, mpmath number, list or numpy array
            Real point(s).
        dps : int, optional
            Digits of a scalar result (default: the solution's ``dps``).
        method : str, optional
            The strategy of the Cauchy transform (see :meth:`freealg.Law.cauchy`).

        Returns
        -------
        mpmath.mpf or numpy.ndarray
        """
        return self._run("density", self.law.density, x, dps=self._dps(dps), method=method)

    def atoms(self, certify: bool = False, dps: int | None = None):
        """Atoms (exact from the theorems when the inputs are exact).

        ``certify=True`` attaches certified ``enclosure`` and ``mass_enclosure`` intervals of
        ``dps`` digits (see :meth:`freealg.Law.atoms`).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p = fa.projection("p", sp.Rational(1, 2))
        >>> q = fa.projection("q", sp.Rational(1, 3))
        >>> fa.spectrum(p + q).atoms()     # tau(p ^ q') = 1/2 + 2/3 - 1 at 0, tau(p ^ q) = 0 at 2
        [Atom(location=0, mass=1/6, error=0), Atom(location=1, mass=1/6, error=0)]
        >>> lo, hi = fa.spectrum(p + q).atoms(certify=True)[0].mass_enclosure
        >>> lo <= sp.Rational(1, 6) <= hi
        True
        """
        if certify:
            return self.law.atoms(certify=True, dps=self._dps(dps))
        return self.law.atoms()

    def edges(self, dps: int | None = None, progress: bool | None = None,
              certify: bool = False):
        """Support edges with kind and error estimate, at ``dps`` digits (default: the solution's).

        ``progress`` reports the stages of a slow numeric search on stderr (see
        :meth:`freealg.Law.edges`); ``certify=True`` attaches certified enclosures (see
        :meth:`freealg.Law.edges`).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> e = fa.spectrum(x + y).edges()[-1]
        >>> e.kind, e.side, mpmath.nstr(e.location, 25)      # 2 sqrt 2
        ('soft', 'right', '2.828427124746190097603377')
        >>> mpmath.nstr(fa.spectrum(x + y).edges(dps=40)[-1].location, 35)
        '2.8284271247461900976033774484193962'
        """
        if certify:
            return self.law.edges(dps=self._dps(dps), progress=progress, certify=True)
        return self.law.edges(dps=self._dps(dps), progress=progress)

    def support(self, dps: int | None = None, progress: bool | None = None):
        """Bands of the absolutely continuous part, at ``dps`` digits (default: the solution's).

        ``progress`` reports the stages of a slow numeric search on stderr (see
        :meth:`freealg.Law.support`).

        Examples
        --------
        >>> import freealg as fa
        >>> u = fa.haar_unitary("u")
        >>> fa.spectrum(u + u.H).support()           # arcsine law on [-2, 2]
        [Band(lo=-2, hi=2)]
        """
        return self.law.support(dps=self._dps(dps), progress=progress)

    def moments(self, n: int) -> list:
        """Exact moments m_1..m_n (from the law tree; equal to ``fa.trace(expr**k)``).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.spectrum(x + y).moments(6)            # 2^k Catalan numbers
        [0, 2, 0, 8, 0, 40]
        >>> [fa.trace((x + y)**k) for k in (2, 4, 6)]
        [2, 8, 40]
        """
        return self.law.moments(n)

    # distribution methods: the law's, at the solution's dps ------------------------------------
    def cdf(self, x: Any, dps: int | None = None) -> Any:
        """The cumulative distribution function (see :meth:`freealg.Law.cdf`).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> print(mpmath.nstr(fa.spectrum(x + y).cdf(0), 15))     # symmetric law
        0.5
        """
        return self.law.cdf(x, dps=self._dps(dps))

    def ppf(self, q: Any, dps: int | None = None) -> Any:
        """The quantile function, inverse of :meth:`cdf` (see :meth:`freealg.Law.ppf`).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> abs(fa.spectrum(x + y).ppf(0.5)) < 1e-20
        True
        """
        return self.law.ppf(q, dps=self._dps(dps))

    def rvs(self, size: Any = None, seed: Any = None) -> Any:
        """Samples from the law (see :meth:`freealg.Law.rvs`).

        Examples
        --------
        >>> import freealg as fa
        >>> x = fa.semicircular("x")
        >>> fa.spectrum(x).rvs(3, seed=0).shape
        (3,)
        """
        return self.law.rvs(size=size, seed=seed)

    def interval(self, confidence: Any, dps: int | None = None) -> tuple:
        """The central interval holding ``confidence`` of the mass (see
        :meth:`freealg.Law.interval`).

        Examples
        --------
        >>> import freealg as fa
        >>> lo, hi = fa.spectrum(fa.semicircular("x")).interval(0.5)   # symmetric law
        >>> abs(lo + hi) < 1e-20 and 0 < hi < 2
        True
        """
        return self.law.interval(confidence, dps=self._dps(dps))

    def median(self, dps: int | None = None) -> Any:
        """The median (see :meth:`freealg.Law.median`).

        Examples
        --------
        >>> import freealg as fa
        >>> abs(fa.spectrum(fa.semicircular("x")).median()) < 1e-20
        True
        """
        return self.law.median(dps=self._dps(dps))

    def mean(self) -> Any:
        """The exact mean tau(P).

        Examples
        --------
        >>> import freealg as fa, sympy as sp
        >>> fa.spectrum(fa.projection("p", sp.Rational(1, 3))).mean()
        1/3
        """
        return self.law.mean()

    def var(self) -> Any:
        """The exact variance tau(P^2) - tau(P)^2.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.spectrum(x + y).var()
        2
        """
        return self.law.var()

    def std(self) -> Any:
        """The exact standard deviation.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.spectrum(x + y).std()
        sqrt(2)
        """
        return self.law.std()

    def entropy(self) -> float:
        """Voiculescu's free entropy of the law (see :meth:`freealg.Law.entropy`).

        Examples
        --------
        >>> import freealg as fa, math
        >>> chi = fa.spectrum(fa.semicircular("x")).entropy()
        >>> abs(chi - 0.5 * math.log(2 * math.pi * math.e)) < 1e-12   # (1/2) log(2 pi e v)
        True
        """
        return self.law.entropy()

    @property
    def diagnostics(self) -> dict:
        """What the solves of this solution did: the strategy, dps, residuals, iterations.

        ``"calls"`` maps each quantity computed so far (``"cauchy"``, ``"density"``) to the
        :class:`~freealg.numeric.dispatch.Diagnostics` of its latest call on this solution;
        ``"mp"``/``"float64"`` summarise the latest call on each path. Nothing is stored on
        the law, so two solutions never see each other's diagnostics.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, p = fa.semicircular("x"), fa.projection("p", sp.Rational(1, 2))
        >>> sol = fa.spectrum(x + p)
        >>> _ = sol.cauchy(1j)
        >>> d = sol.diagnostics
        >>> d["strategy"], d["dps"], d["rules"]
        ('subordination', 30, ['free sum', 'generator', 'generator'])
        >>> d["mp"]["residual"] < 1e-30
        True
        >>> y = fa.semicircular("y")
        >>> s2 = fa.spectrum(x + y)               # semicircle ⊞ semicircle: a closed form
        >>> _ = s2.density(0.5)
        >>> s2.diagnostics["strategy"], s2.diagnostics["description"]
        ('formula', 'closed form')
        """
        last = self._calls.get("last")
        mp_calls = [d for d in self._calls.values() if d.dps is not None]
        np_calls = [d for d in self._calls.values() if d.dps is None]
        default = self.law._strategies("cauchy")
        return {
            "strategy": last.strategy if last is not None else (default[0] if default else None),
            "description": last.description if last is not None else None,
            "dps": self.dps,
            "unknowns": self.law._nunk,
            "rules": [s.rule for s in self.system.steps],
            "calls": {k: v for k, v in self._calls.items() if k != "last"},
            "mp": None if not mp_calls else {"residual": mp_calls[-1].residual,
                                             "iterations": mp_calls[-1].iterations,
                                             "steps": mp_calls[-1].steps},
            "float64": None if not np_calls else {"residual": np_calls[-1].residual,
                                                  "retried": np_calls[-1].retried},
        }

    def _latex(self, printer=None) -> str:
        atoms = ", ".join(f"{sp.latex(a.location)}\\,({sp.latex(a.mass)})" for a in self.atoms())
        return (rf"\text{{spectrum of }} {self.system.expr._latex()}:\ "
                rf"\text{{atoms }} \{{{atoms}\}}")

    def _repr_latex_(self) -> str:
        r"""LaTeX for Jupyter: the law, its atoms, support and first moments at ``dps`` digits.

        The moments m_1 = tau(p) tau(q) = 1/6 and m_2 = tau(p)^2 tau(q) + tau(p) tau(q)^2
        - tau(p)^2 tau(q)^2 = 1/9 below are those of free p, q.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
        >>> print(fa.spectrum(p*q*p, dps=12)._repr_latex_())     # Wachter: 1/2 -+ sqrt(2)/3
        $\begin{array}{l}\text{spectrum of } p q p \\
        \mu = ... \\
        \text{atoms: } \frac{2}{3}\,\delta_{0} \\
        \text{support: } [0.028595479209 \pm 4.0 \times 10^{-14}, 0.971404520791 \pm ...] \\
        \text{moments: } \frac{1}{6}, \frac{1}{9}, \frac{1}{12}, \frac{43}{648}
        \end{array}$
        """
        lines = [rf"\text{{spectrum of }} {self.system.expr._latex()}"]
        try:
            lines.append(rf"\mu = {sp.latex(self.law)}")
        except Exception:  # noqa: BLE001 - the display goes on without the law's LaTeX
            pass
        dps = self.dps
        try:
            atoms = self.atoms()
            lines.append(r"\text{atoms: } " + (" + ".join(
                rf"{display.number_latex(a.mass)}\,\delta_{{"
                rf"{display.number_latex(a.location, a.error, dps)}}}" for a in atoms)
                or r"\text{none}"))
        except Exception as err:  # noqa: BLE001
            lines.append(rf"\text{{atoms: not available ({type(err).__name__})}}")
        try:
            bands = self.support()
            errs = display.band_errors(bands, self.edges())
            lines.append(r"\text{support: } " + (r" \cup ".join(
                f"[{display.number_latex(b.lo, elo, dps)}, "
                f"{display.number_latex(b.hi, ehi, dps)}]"
                for b, (elo, ehi) in zip(bands, errs)) or r"\emptyset"))
        except Exception as err:  # noqa: BLE001
            lines.append(rf"\text{{support: not available ({type(err).__name__})}}")
        try:
            lines.append(r"\text{moments: } "
                         + ", ".join(display.number_latex(m) for m in self.moments(4)))
        except Exception as err:  # noqa: BLE001
            lines.append(rf"\text{{moments: not available ({type(err).__name__})}}")
        return "$\\begin{array}{l}" + " \\\\\n".join(lines) + "\n\\end{array}$"

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Plot the density, the atoms (stems on a mass axis) and the band edges.

        Delegates to :func:`freealg.plotting.plot` (keywords ``ax``, ``x``, ``log``, ``title``,
        ``grid``, ``caption``); needs matplotlib. The figure is built without pyplot.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fig = fa.spectrum(x + y).plot()      # doctest: +SKIP

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting import plot

        return plot(self, path, **kwargs)

    def _repr_html_(self) -> str:
        """HTML for Jupyter: the expression, the law, atoms, edges with their errors, the
        support bands, the first moments, the strategy used and a small density plot (when
        matplotlib is installed), every number at the solution's ``dps`` digits.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> page = fa.spectrum(x + y, dps=25)._repr_html_()
        >>> with mpmath.workdps(25):                    # the edges are +-2 sqrt 2
        ...     mpmath.nstr(mpmath.sqrt(8), 25) in page
        True
        """
        diag = self.diagnostics
        strategy = diag["strategy"] or "-"
        if diag["description"]:
            strategy += f" ({diag['description']})"
        items = [("expression", f"<code>{display.escape(self.system.expr)}</code>"),
                 ("law", f"<code>{display.escape(repr(self.law))}</code>"),
                 ("strategy", display.escape(strategy)),
                 ("rules", display.escape(", ".join(diag["rules"]) or "-")),
                 ("dps", str(self.dps))]
        return display.spectrum_html(self.law, self.dps, title="SpectralSolution", items=items)

    def __repr__(self):
        return f"SpectralSolution({self.system.expr!r}, law={self.law!r})"


def spectrum(expr: Any, dps: int = 30, method: str | None = None) -> SpectralSolution:
    """The spectral distribution of a self-adjoint polynomial in free generators.

    ``expr`` is compiled (:func:`freealg.compile`) into a System of subordination equations
    whose solution is the distribution of ``expr`` with respect to the normalised trace tau
    (tau(1) = 1): the limit, as N -> infinity, of the eigenvalue distribution of the N x N
    random-matrix model of ``expr`` (see :func:`freealg.sample`). Compiling is symbolic and
    fast; the numbers are computed when a method of the result is called. Atoms and edges
    are exact sympy numbers where a closed form is known.

    Parameters
    ----------
    expr : NCPoly or number
        A self-adjoint polynomial built from generators (:func:`freealg.semicircular`,
        :func:`freealg.projection`, ...) with numeric coefficients; a number is the constant
        polynomial (a point mass).
    dps : int, optional
        Decimal digits of the results for scalar inputs (default 30; 1 <= dps <= 2000). Array
        inputs are evaluated in float64. Each method of the result also takes a ``dps``.
    method : {None, 'rules', 'linearization'}, optional
        How to compile. None (default): the structural rules (free convolutions,
        compressions, closed forms), else the linearization; ``'rules'``: the rules only;
        ``'linearization'``: always the self-adjoint linearization (Anderson 2013;
        Helton-Mai-Speicher 2018) with operator-valued subordination.

    Returns
    -------
    SpectralSolution
        ``density``, ``cauchy``, ``atoms``, ``edges``, ``support`` and ``moments``;
        ``sol.law`` is the law, ``sol.system`` the compiled System.

    Raises
    ------
    InvalidParameterError
        If expr is not a freealg polynomial or not self-adjoint (for singular values pass
        ``a * a.H``), two different generators share a name, or dps or method is invalid.
    SizeLimitError
        If the linearization would not fit in memory (a subclass of InvalidParameterError).
    ReductionError
        If ``method='rules'`` and no rule applies.
    UndeterminedError
        If a coefficient or a law parameter is a symbol (substitute numbers first, ``.subs``).

    See Also
    --------
    freealg.compile : the compiled System, without solving.
    freealg.sample : eigenvalues of a random-matrix realisation, to compare with.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> fa.spectrum(x + y).moments(4)        # a semicircle of variance 2
    [0, 2, 0, 8]
    >>> p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
    >>> fa.spectrum(p*q*p).atoms()           # Wachter: max(1 - 1/2, 1 - 1/3) at 0
    [Atom(location=0, mass=2/3, error=0)]
    >>> t = sp.Symbol("t")
    >>> fa.spectrum(fa.projection("p", t) * q * fa.projection("p", t))
    Traceback (most recent call last):
    ...
    freealg.errors.UndeterminedError: cannot decide the spectrum of p*q*p: it depends on the
    symbol(s) t; substitute numbers first (.subs)
    """
    system = compile_expr(expr, method=method)
    params = system.parameters | set(getattr(system.expr, "free_symbols", set()))
    if params:
        raise UndeterminedError(f"the spectrum of {system.expr!r}", sorted(params, key=str))
    return SpectralSolution(system, dps)
