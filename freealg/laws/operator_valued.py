"""The law of a self-adjoint polynomial from its linearization: :class:`OperatorValued` is the
value object (the pencil b_0 ⊗ 1 + sum_i b_i ⊗ x_i of ``freealg.reduce.linearize``, the free
groups of its letters, candidate atoms, a norm bound, exact moments); all numerics live in the
engine module ``freealg.numeric.operator_valued``.
"""

from __future__ import annotations

import pickle
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..kernels.backend import NP
from ..numeric import operator_valued as ov
from ..numeric.dispatch import record
from ..numeric.edges import numeric_edges, numeric_support
from .base import Law, numeric_value
from .catalog import Bernoulli, Dirac, Discrete

__all__ = ["OperatorValued", "discrete_points_weights"]


def discrete_points_weights(law: Law) -> tuple[tuple, tuple]:
    """(points, weights) of a finite atomic law (Discrete, Bernoulli, Dirac), exact; raises
    InvalidParameterError for any other law.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> discrete_points_weights(fa.bernoulli(sp.Rational(1, 3)))
    ((0, 1), (2/3, 1/3))
    """
    if isinstance(law, Bernoulli):
        return law._pw
    if isinstance(law, Dirac):
        return (law.args[0],), (sp.S.One,)
    if isinstance(law, Discrete):
        return law.args
    raise InvalidParameterError("law", law, "is not a finite atomic law")


def _rebuild(args: tuple, moments_fn: Callable | None) -> "OperatorValued":
    b0, semis, groups, cands, bound, atomless = args
    return OperatorValued(b0, semis, groups, cands, bound, atomless, moments_fn=moments_fn)


class OperatorValued(Law):
    """Law of a self-adjoint polynomial given by a linear pencil (see the module docstring).

    Usually made by the compiler (``fa.compile(expr).law`` when no rule applies, or with
    ``method="linearization"``) rather than by hand.

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> from freealg.laws.operator_valued import OperatorValued
    >>> b0 = sp.ImmutableMatrix([[0, 0, 0], [0, 0, -1], [0, -1, 0]])
    >>> bx = sp.ImmutableMatrix([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> by = sp.ImmutableMatrix([[0, 0, 1], [0, 0, 0], [1, 0, 0]])
    >>> law = OperatorValued(b0, ((bx, 1), (by, 1)), (), (), 4, True)   # x y + y x
    >>> print(mpmath.nstr(law.cauchy(2j, dps=20), 15))
    (0.0 - 0.376085889442093j)
    >>> law.k
    3

    Parameters
    ----------
    b0 : sympy ImmutableMatrix
        The constant coefficient (k x k, self-adjoint).
    semicirculars, groups : tuple
        (b_i, v_i) pairs of the semicircular letters (coefficient, variance); the free groups
        of the other letters (formats in ``freealg.numeric.operator_valued.problem``).
    atom_candidates, bound, atomless
        Exact candidate atoms (see :meth:`atoms`); a bound of the norm of the polynomial; True
        when a theorem excludes atoms (semicircular, circular and Haar letters only:
        Mai-Speicher-Weber 2017, Adv. Math. 304; Linnell 1993).
    moments_fn : callable, optional
        ``n -> [m_1, ..., m_n]`` exactly (the compiler's tau(P^j)); pickled when picklable.
    """

    __slots__ = ()
    _argnames = ("b0", "semicirculars", "groups", "atom_candidates", "bound", "atomless")
    strategy_name = "linearization + operator-valued subordination (Belinschi-Mai-Speicher)"
    name = "operator_valued"
    _cauchy_strategies = ("operator_valued",)
    _edge_strategies = ("fold",)
    _hull_exact = False  # [-|P|, |P|] is a norm bound, not the support

    def __init__(self, b0, semicirculars=(), groups=(), atom_candidates=(), bound=1,
                 atomless=False, moments_fn=None):
        b0, sem, grps = ov.pencil(b0, semicirculars, groups, lambda mu: isinstance(mu, Law))
        self._init(b0, sem, tuple(grps), tuple(sp.sympify(a) for a in atom_candidates),
                   sp.sympify(bound), bool(atomless))
        if moments_fn is not None:
            self._cache["moments_fn"] = moments_fn

    def __reduce__(self):
        # the compiler's moment function travels with the law when it can be pickled (a
        # module-level function or callable object, not a local closure)
        fn = self._cache.get("moments_fn")
        try:
            return (_rebuild, (self.args, fn)) if fn is not None and pickle.dumps(fn) else \
                (OperatorValued, self.args)
        except Exception:
            return (OperatorValued, self.args)

    def __repr__(self):
        return (f"operator_valued(k={self.k}, semicirculars={len(self.args[1])}, "
                f"groups={[g[0] for g in self.args[2]]})")

    @property
    def free_symbols(self) -> set:
        """Symbols in the pencil's matrices, variances, group laws and weights, and the bound.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> t, v = sp.symbols("t v", positive=True)
        >>> p, x = fa.projection("p", t), fa.semicircular("x", v)
        >>> sorted(fa.compile(p*x*p, method="linearization").law.free_symbols, key=str)
        [t, v]
        """
        return ov.symbols_of((self.args[0], self.args[1], self.args[2], self.args[4]))

    @property
    def k(self) -> int:
        """Size k of the linearization (the pencil's matrices are k x k).

        Examples
        --------
        >>> import freealg as fa
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.compile(x*y + y*x).law.k      # 1 + 2 * (one prefix-trie state)
        3
        """
        return self.args[0].shape[0]

    # numerics: all in the engine ---------------------------------------------------------------
    def _problem(self) -> ov.Problem:
        return self._memo("problem", lambda: ov.problem(self.args[0], self.args[1],
                                                        self.args[2], self._bound_float()))

    def _bound_float(self) -> float:
        return float(numeric_value(self.args[4], NP))

    def _hull_float(self):
        return -self._bound_float(), self._bound_float()

    def _cauchy_np(self, z, method=None):
        G, res, retried = ov.cauchy_np(self._problem(), z)
        record(residual=res, retried=retried)
        return G

    def _cauchy_mp(self, z, dps, method=None):
        g, res, iters = ov.cauchy_mp(self._problem(), z, int(dps))
        record(residual=res, iterations=iters, steps=1)
        return g

    def _g(self, z, be):
        return self._cauchy_np(np.asarray(z, complex)) if be is NP else \
            self._cauchy_mp(z, mpmath.mp.dps)

    def _dg(self, z, be):
        # used only when the law is nested inside another composite law
        return ov.cauchy_derivative(self._problem(), z, None if be is NP else mpmath.mp.dps)

    def _unknowns_mp(self, z, dps: int) -> dict:
        """Every unknown of the equations at z (for ``System.residual``); see
        ``freealg.numeric.operator_valued.unknowns_mp``."""
        return ov.unknowns_mp(self._problem(), z, dps)

    def _moments_exact(self, n):
        fn = self._cache.get("moments_fn")
        return None if fn is None else list(self._memo(("mfn", n), lambda: fn(n)))

    def _support(self, dps: int, method: str | None = None):
        return numeric_support(self, dps)

    def _edges(self, dps: int, method: str | None = None):
        return numeric_edges(self, dps)

    def _system(self):
        # no scalar fold system: soft edges are refined by bisection (numeric.edges)
        raise NoConvergence("fold system of an operator-valued law",
                            advice="edges are bisected instead")

    def _edge_candidates(self):
        return [a.location for a in self.atoms()]

    # atoms -------------------------------------------------------------------------------------
    def atoms(self) -> list:
        """Atoms: the compiler's candidate locations, confirmed by lim i y G(a + i y), their
        masses identified on the lattice of the discrete generators' weights (see
        ``freealg.numeric.operator_valued.atom_report``); none when ``atomless``.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> fa.compile(p*x*p, method="linearization").law.atoms()   # doctest: +ELLIPSIS
        [Atom(location=0, mass=1/2, error=...)]
        >>> x, y = fa.semicircular("x"), fa.semicircular("y")
        >>> fa.compile(x*y + y*x).law.atoms()          # atomless: semicirculars only
        []
        """
        return [a for a, _ in self.atom_report()]

    def atom_report(self) -> list:
        """:meth:`atoms` as (Atom, method) pairs, method starting with ``'identified'`` (an
        exact mass recognised by PSLQ) or ``'numeric'`` (a Float).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> law = fa.compile(p*x*p, method="linearization").law
        >>> [(a.location, a.mass, how.split()[0]) for a, how in law.atom_report()]  # 1 - tau(p)
        [(0, 1/2, 'identified')]
        """
        _, _, grps, cands, _, atomless = self.args
        weights = [w for g in grps if g[0] == "discrete" for _, w in g[2]]
        return list(self._memo("atom_report", lambda: [] if atomless or not cands else
                               ov.atom_report(self._cauchy_np, self._cauchy_mp, cands, weights,
                                              max(1.0, self._bound_float()))))
