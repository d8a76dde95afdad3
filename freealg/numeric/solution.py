"""SpectralSolution: the solved System of a self-adjoint polynomial."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..errors import UndeterminedError
from ..reduce import System, compile_expr

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
        self.dps = int(dps)

    def cauchy(self, z: Any, dps: int | None = None):
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
        z : complex, mpmath number or numpy array
            Point(s) with Im z >= 0.
        dps : int, optional
            Digits (default: the solution's ``dps``); ignored for numpy input.
        """
        return self.law.cauchy(z, dps=dps or self.dps)

    def density(self, x: Any, dps: int | None = None):
        """Density of the absolutely continuous part (numpy in -> float64 numpy out).

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
        x : float, numpy array or mpmath number
            Real point(s).
        dps : int, optional
            Digits for a scalar ``x`` (an mpmath result); None gives float64.
        """
        return self.law.density(x, dps=dps)

    def atoms(self):
        """Atoms (exact from the theorems when the inputs are exact).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p = fa.projection("p", sp.Rational(1, 2))
        >>> q = fa.projection("q", sp.Rational(1, 3))
        >>> fa.spectrum(p + q).atoms()     # tau(p ^ q') = 1/2 + 2/3 - 1 at 0, tau(p ^ q) = 0 at 2
        [Atom(location=0, mass=1/6, error=0), Atom(location=1, mass=1/6, error=0)]
        """
        return self.law.atoms()

    def edges(self):
        """Support edges with kind and error estimate, at ``dps`` digits.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> e = fa.spectrum(x + y).edges()[-1]
        >>> e.kind, e.side, mpmath.nstr(e.location, 25)      # 2 sqrt 2
        ('soft', 'right', '2.828427124746190097603377')
        """
        try:
            return self.law.edges(dps=self.dps)
        except TypeError:
            return self.law.edges()

    def support(self):
        """Bands of the absolutely continuous part.

        Examples
        --------
        >>> import freealg as fa
        >>> u = fa.haar_unitary("u")
        >>> fa.spectrum(u + u.H).support()           # arcsine law on [-2, 2]
        [Band(lo=-2, hi=2)]
        """
        try:
            return self.law.support(dps=self.dps)
        except TypeError:
            return self.law.support()

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

    @property
    def diagnostics(self) -> dict:
        """Strategy, dps, and the residuals/iterations of the last solves.

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> sol = fa.spectrum(x + y)
        >>> _ = sol.cauchy(1j)
        >>> d = sol.diagnostics
        >>> d["strategy"], d["dps"], d["rules"]
        ('subordination + Newton continuation', 30, ['free sum', 'generator', 'generator'])
        >>> d["mp"]["residual"] < 1e-30
        True
        """
        cache = getattr(self.law, "_cache", {})
        info_mp = cache.get("last_mp_info")
        info_np = cache.get("last_np_info")
        return {
            "strategy": getattr(self.law, "strategy_name", None) or (
                "subordination + Newton continuation" if self.law._nunk else "closed form"),
            "dps": self.dps,
            "unknowns": self.law._nunk,
            "rules": [s.rule for s in self.system.steps],
            "mp": None if info_mp is None else {"residual": info_mp.residual,
                                                "iterations": info_mp.newton_iterations,
                                                "steps": info_mp.steps},
            "float64": None if info_np is None else {"residual": info_np.residual,
                                                     "retried": info_np.retried},
        }

    def _latex(self, printer=None) -> str:
        atoms = ", ".join(f"{sp.latex(a.location)}\\,({sp.latex(a.mass)})" for a in self.atoms())
        return (rf"\text{{spectrum of }} {self.system.expr._latex()}:\ "
                rf"\text{{atoms }} \{{{atoms}\}}")

    def __repr__(self):
        return f"SpectralSolution({self.system.expr!r}, law={self.law!r})"


def spectrum(expr: Any, dps: int = 30, method: str | None = None) -> SpectralSolution:
    """Compile a self-adjoint polynomial and return its SpectralSolution.

    Symbolic parameters must be substituted first (``expr.subs(t, 1/2)``). ``method`` is
    passed to :func:`freealg.reduce.compile_expr`: None (rules, then linearization),
    ``"rules"`` or ``"linearization"``.

    Examples
    --------
    >>> import freealg as fa, sympy as sp
    >>> p, q = fa.projection("p", sp.Rational(1, 2)), fa.projection("q", sp.Rational(1, 3))
    >>> fa.spectrum(p*q*p).atoms()           # Wachter: max(1 - 1/2, 1 - 1/3) at 0
    [Atom(location=0, mass=2/3, error=0)]
    >>> t = sp.Symbol("t")
    >>> fa.spectrum(fa.projection("p", t) * q * fa.projection("p", t))
    Traceback (most recent call last):
    ...
    freealg.errors.UndeterminedError: cannot decide the spectrum of p*q*p: it depends on the symbol(s) t; substitute numbers first (.subs)
    """
    system = compile_expr(expr, method=method)
    params = system.parameters | set(getattr(system.expr, "free_symbols", set()))
    if params:
        raise UndeterminedError(f"the spectrum of {system.expr!r}", sorted(params, key=str))
    return SpectralSolution(system, dps)
