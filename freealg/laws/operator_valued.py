"""The law of a self-adjoint polynomial from its linearization: operator-valued subordination.

A self-adjoint pencil L = b_0 ⊗ 1 + sum_i b_i ⊗ x_i (b_i in M_k self-adjoint, see
``freealg.reduce.linearize``) gives the Cauchy transform of the polynomial P as

    G_P(z) = lim_{eps -> 0+} [ E((Lambda_eps - L)^{-1}) ]_{11},   Lambda_eps = diag(z, i eps, ..).

:class:`OperatorValued` is the value object: the pencil's exact matrices, the free groups of
its letters, the candidate atoms and a norm bound, with the exact hooks (moments from the
compiler, atoms from Linnell-type theorems). The solver (the M_k-valued Cauchy transforms of
the groups, Belinschi-Mai-Speicher subordination, float64 continuation and mixed-precision
Newton, the confirmation of atoms) lives in the engine module
``freealg.numeric.operator_valued``; the law hands it matrices and the Cauchy transforms of
its generators' laws as callables.
"""

from __future__ import annotations

import pickle
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence, UndeterminedError
from ..kernels.backend import NP
from ..numeric import operator_valued as ov
from ..numeric.dispatch import record
from ..numeric.edges import numeric_edges, numeric_support
from .base import Law, numeric_value
from .catalog import Bernoulli, Dirac, Discrete

__all__ = ["OperatorValued", "discrete_points_weights"]


def discrete_points_weights(law: Law) -> tuple[tuple, tuple]:
    """(points, weights) of a finite atomic law (Discrete, Bernoulli, Dirac).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> discrete_points_weights(fa.bernoulli(sp.Rational(1, 3)))
    ((0, 1), (2/3, 1/3))

    Parameters
    ----------
    law : Law
        A finite atomic law.

    Returns
    -------
    tuple
        ``(points, weights)``, exact.

    Raises
    ------
    InvalidParameterError
        When the law is not finite atomic.
    """
    if isinstance(law, Bernoulli):
        return law._pw
    if isinstance(law, Dirac):
        return (law.args[0],), (sp.S.One,)
    if isinstance(law, Discrete):
        return law.args
    raise InvalidParameterError("law", law, "is not a finite atomic law")


def _picklable(fn: Any) -> bool:
    try:
        pickle.dumps(fn)
    except Exception:  # local functions, lambdas, closures over unpicklable state
        return False
    return True


def _rebuild(args: tuple, moments_fn: Callable | None) -> "OperatorValued":
    b0, semis, groups, cands, bound, atomless = args
    return OperatorValued(b0, semis, groups, cands, bound, atomless, moments_fn=moments_fn)


class OperatorValued(Law):
    """Law of a self-adjoint polynomial given by a linear pencil (see the module docstring and
    ``freealg.numeric.operator_valued``).

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

    Parameters
    ----------
    b0 : sympy ImmutableMatrix
        The constant coefficient (k x k, self-adjoint).
    semicirculars : tuple
        Pairs (b_i, v_i): the self-adjoint coefficient matrix of a semicircular letter and its
        variance.
    groups : tuple
        Free groups of the other letters: ``('discrete', (b_f, ...), (((t_f, ...), weight),
        ...))``, ``('law', b, Law)`` or ``('unitary', b)``.
    atom_candidates : tuple
        Exact candidate atom locations (confirmed numerically, see :meth:`atoms`).
    bound : sympy number
        An upper bound of the norm of the polynomial.
    atomless : bool
        True when a theorem excludes atoms (polynomials in semicirculars and Haar unitaries,
        see :meth:`atoms`).
    moments_fn : callable, optional
        ``n -> [m_1, ..., m_n]``, the exact moments (the compiler passes tau(P^j)); kept by
        pickling when it is picklable itself.
    """

    __slots__ = ()
    _argnames = ("b0", "semicirculars", "groups", "atom_candidates", "bound", "atomless")
    strategy_name = "linearization + operator-valued subordination (Belinschi-Mai-Speicher)"
    name = "operator_valued"

    def __init__(self, b0, semicirculars=(), groups=(), atom_candidates=(), bound=1,
                 atomless=False, moments_fn=None):
        b0 = sp.ImmutableMatrix(b0)
        if b0.shape[0] != b0.shape[1] or b0 != b0.H:
            raise InvalidParameterError("b0", b0, "must be a self-adjoint square matrix")
        sem = tuple((sp.ImmutableMatrix(b), sp.sympify(v)) for b, v in semicirculars)
        for b, _ in sem:
            if b.shape != b0.shape or b != b.H:
                raise InvalidParameterError("semicirculars", b, "coefficients must be "
                                            "self-adjoint and of the size of b0")
        grps = []
        for g in groups:
            kind = g[0]
            if kind == "discrete":
                grps.append(("discrete", tuple(sp.ImmutableMatrix(b) for b in g[1]),
                             tuple((tuple(sp.sympify(t) for t in ts), sp.sympify(w))
                                   for ts, w in g[2])))
            elif kind == "law":
                if not isinstance(g[2], Law):
                    raise InvalidParameterError("groups", g, "a 'law' group needs a Law")
                grps.append(("law", sp.ImmutableMatrix(g[1]), g[2]))
            elif kind == "unitary":
                grps.append(("unitary", sp.ImmutableMatrix(g[1])))
            else:
                raise InvalidParameterError("groups", g, "kinds are 'discrete', 'law', 'unitary'")
        self._init(b0, sem, tuple(grps), tuple(sp.sympify(a) for a in atom_candidates),
                   sp.sympify(bound), bool(atomless))
        if moments_fn is not None:
            self._cache["moments_fn"] = moments_fn

    def __reduce__(self):
        # the compiler's moment function travels with the law when it can be pickled (a
        # module-level function or callable object); a local closure cannot, and is dropped
        fn = self._cache.get("moments_fn")
        if fn is not None and self._memo("moments_fn_picklable", lambda: _picklable(fn)):
            return (_rebuild, (self.args, fn))
        return (OperatorValued, self.args)

    def __repr__(self):
        k = self.args[0].shape[0]
        return (f"operator_valued(k={k}, semicirculars={len(self.args[1])}, "
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
        out: set = set(self.args[0].free_symbols) | set(sp.sympify(self.args[4]).free_symbols)
        for b, v in self.args[1]:
            out |= b.free_symbols | v.free_symbols
        for g in self.args[2]:
            if g[0] == "discrete":
                for b in g[1]:
                    out |= b.free_symbols
                for ts, w in g[2]:
                    out |= w.free_symbols
                    for t in ts:
                        out |= t.free_symbols
            elif g[0] == "law":
                out |= g[1].free_symbols | g[2].free_symbols
            else:
                out |= g[1].free_symbols
        return out

    @property
    def k(self) -> int:
        """Size k of the linearization (the pencil's matrices are k x k).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> fa.compile(p*x*p, method="linearization").law.k
        3
        """
        return self.args[0].shape[0]

    # numeric set-up ------------------------------------------------------------------------
    def _problem(self) -> ov.Problem:
        def build():
            if self.free_symbols:
                raise UndeterminedError("the operator-valued Cauchy transform",
                                        sorted(self.free_symbols, key=str))
            b0, sem, grps = self.args[0], self.args[1], self.args[2]
            k = b0.shape[0]
            objs: list = []
            for g in grps:
                if g[0] == "discrete":
                    objs.append(ov.DiscreteGroup(g[1], g[2], k))
                elif g[0] == "law":
                    law = g[2]
                    objs.append(ov.LawGroup(g[1], k, law._cauchy_np, law._cauchy_mp,
                                            law.moments, law._hull_float))
                else:
                    objs.append(ov.UnitaryGroup(g[1], k))
            return ov.Problem(b0, sem, objs, k, max(1.0, self._bound_float()))

        return self._memo("problem", build)

    def _bound_float(self) -> float:
        return float(numeric_value(self.args[4], NP))

    def _hull_float(self):
        r = self._bound_float()
        return -r, r

    # Cauchy transform -------------------------------------------------------------------------
    _cauchy_strategies = ("operator_valued",)

    def _cauchy_np(self, z, method=None):
        G, res, retried = ov.cauchy_np(self._problem(), z)
        record(residual=res, retried=retried)
        return G

    def _cauchy_mp(self, z, dps, method=None):
        g, res, iters = ov.cauchy_mp(self._problem(), z, int(dps))
        record(residual=res, iterations=iters, steps=1)
        return g

    def _g(self, z, be):
        if be is NP:
            return self._cauchy_np(np.asarray(z, dtype=complex))
        return self._cauchy_mp(z, mpmath.mp.dps)

    def _dg(self, z, be):
        # G'(z) = -tau((z - P)^{-2}): a centred difference of the analytic G (used only when the
        # law is nested inside another composite law)
        if be is NP:
            h = 1e-5 * (1 + np.abs(z))
            return (self._g(z + h, be) - self._g(z - h, be)) / (2 * h)
        h = mpmath.mpf(10) ** (-(mpmath.mp.dps // 2))
        return (self._g(z + h, be) - self._g(z - h, be)) / (2 * h)

    # symbolic side ---------------------------------------------------------------------------
    def _moments_exact(self, n):
        fn = self._cache.get("moments_fn")
        if fn is None:
            return None
        return list(self._memo(("mfn", n), lambda: fn(n)))

    _edge_strategies = ("fold",)

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

    # atoms -----------------------------------------------------------------------------------
    def atoms(self) -> list:
        """Atoms: candidate locations (from the compiler) confirmed by lim i y G(a + i y).

        For each candidate a, m(y) = Re(i y G(a + i y)) is computed at y = 10^-2 2^-j (times the
        scale) until the polynomial extrapolation to y = 0 (Neville) settles; a candidate is
        an atom when the limit exceeds 10^-6. The mass is then *identified* on the lattice
        (1/L) Z + sum_i n_i w_i, L the common denominator of the rational weights of the
        discrete generators and w_i their irrational weights (integer relation by PSLQ with
        the coefficient of the mass equal to +-1), which is where masses of polynomials in free
        projections lie in the cases covered by Linnell's Atiyah-type theorems; the
        identification is kept only if it agrees with the limit within 10 times its error
        estimate. ``Atom.error`` is ``|identified - numeric limit|`` (or the error estimate of
        an unidentified limit, returned as a Float); :meth:`atom_report` says which atoms are
        identified. With ``atomless`` (polynomials in semicircular, circular and Haar
        elements only) there are no atoms (Mai-Speicher-Weber 2017, Adv. Math. 304;
        Linnell 1993 for the free group).

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
        """The atoms with how each mass was found: a list of (Atom, method) pairs.

        ``method`` starts with ``'identified'`` (an exact mass recognised by PSLQ, see
        :meth:`atoms`) or ``'numeric'`` (a Float).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> p, x = fa.projection("p", sp.Rational(1, 2)), fa.semicircular("x")
        >>> law = fa.compile(p*x*p, method="linearization").law
        >>> [(a.location, a.mass, how.split()[0]) for a, how in law.atom_report()]  # 1 - tau(p)
        [(0, 1/2, 'identified')]
        """
        def build():
            if self.args[5] or not self.args[3]:
                return []
            weights = [w for g in self.args[2] if g[0] == "discrete" for _, w in g[2]]
            return ov.atom_report(self._cauchy_np, self._cauchy_mp, self.args[3], weights,
                                  max(1.0, self._bound_float()))

        return list(self._memo("atom_report", build))

    def _unknowns_mp(self, z, dps: int) -> dict:
        """Every unknown of the operator-valued equations at z (for ``System.residual``).

        See ``freealg.numeric.operator_valued.unknowns_mp``: ``{"G": G_P(z), "Gmat": the
        M_k-valued G, "Omega": [Omega_j], "G_X": [G_{X_j}(Omega_j)], "eps": eps}``.
        """
        return ov.unknowns_mp(self._problem(), z, dps)
