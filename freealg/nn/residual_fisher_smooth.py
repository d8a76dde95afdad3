"""The Fisher information of residual MLPs whose activation derivative has a continuous law.

The equations are those of :mod:`freealg.nn.residual_fisher` (the weights free from the
commutative algebra of all layers' diagonals, G = E_d[(P_det(d) - R(G))^{-1}]); what changes is
the average over d = (d_1, ..., d_L), now an integral over the product of continuous laws.

**The path form.** Once each weight is replaced by its R-transform terms (diagonal entries), the
pencil's graph is the path 0 - C_L - E_L - C_{L-1} - E_{L-1} - ... - C_1 - E_1 (off-diagonal
entries +-1) with a pendant E_l - M2_l - M1_l for l >= 2. Eliminating the pendant leaves E_l the
diagonal entry -s_l c_l with s_l = d_l^2 and c_l = kappa_l + alpha^2 g_l (g_l the (M2, M2) entry of
the pendant's inverse; c_1 = kappa_1). So the integrand depends on d_l only through s_l, each
s_l sits in one diagonal entry of a tridiagonal matrix, and its diagonal inverse entries are two
continued fractions (O(L) per pattern instead of a dense solve).

**The last layer exactly.** s_L enters one diagonal entry linearly, so each entry of G is a
Moebius function of s_L (Sherman-Morrison: G_ii(s) = G_ii + c G_ie^2 t/(1 - beta t) with
t = s - s_ref, beta = c G_ee), and its average is exact through the Cauchy transform of the law of
s_L: E[t/(1 - beta t)] = -1/beta + G_{s_L}(1/beta + s_ref)/beta^2 (a direct sum when 1/beta is far
from the support, where the closed form would cancel). The series' moments come from one fine
rule (step 1/64) whatever the step of the other layers, so the two forms agree where they meet.

**The other layers by tanh-sinh.** Layers 1..L-1 are averaged by the product of tanh-sinh rules
of step h on the pieces of their laws (:func:`freealg.numeric.quadrature.tanh_sinh_masses`),
equal nodes merged and negligible masses away from the top dropped (``_merged``): the
nodes cluster doubly exponentially at the support ends and at the critical values of a
push-forward, which is where the integrand becomes nearly singular as z reaches the top of the
spectrum. A Gauss-Hermite rule in the pre-activation (nodes spaced evenly there) converges like a
power of the number of nodes instead: for tanh, L = 2, it gave lambda_max = 0.555, 0.611, 0.638,
0.648 at 10, 20, 40, 80 nodes; this rule gives 0.652293, 0.6523603092 and 0.652360298829147 at
steps 1/4, 1/8 and 1/16 (and the same 15 digits at 1/32). A branch of phi'^2 that is monotone
on the whole line (softplus) is cut at h = 0: uncut, its nodes cluster at the truncated
Gaussian tails, and the rule of step 1/8 missed E[s^3] by 20 %.

**Deep networks: Sobol rules.** The product rule has n^(L-1) patterns. Where that exceeds
250,000 (tanh from L = 5, SiLU, GELU and softplus from L = 4), layers 1..L-1 are averaged
over scrambled Sobol points instead, each mapped through the inverse distribution functions
of the layers' laws, with weights 1/P: positive weights, so everything below works unchanged.
Averages over a scrambled rule are unbiased, and independent scramblings are independent, so
the edge is solved on R of them and the Student t half-width of their mean is its error.

**The edge.** ``right_edge`` marches down the real axis with the rule of step 2h to the first
fold of the real branch, or to the first pinch: a pattern's pencil becoming singular, which,
the determinant being affine in each s_l, happens first at a corner of the box of the laws'
hulls (softplus, SELU). Where the march stops short of a fold, the branch is continued down to
its end, and Moore-Spence started there. It solves the edge again with step h and reports the
difference as the error. The edge is checked against the physical solution (continued from
Im z > 0): it must have no density at 1.001 lambda_max.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp
from scipy.special import ndtr, ndtri

from ..constructors import dirac, mixture
from ..errors import InvalidParameterError, NoConvergence, SizeLimitError
from ..laws.catalog import Dirac
from ..laws.continuous import GaussianPushforward
from ..laws.derived import Mixture
from ..kernels.backend import NP
from ..numeric.memory import check_memory_size, memory_budget
from ..numeric.pushforward import PushforwardModel
from ..numeric.records import Edge
from .residual_fisher import _TINY, ResidualFisher, _path_diag

__all__ = ["SmoothResidualFisher"]

_MAX_PATTERNS = 250_000
_NEGLIGIBLE = 1e-18        # a node's mass dropped in the lower half of a layer's hull
_POINTS = 4096             # Sobol patterns per scrambling (rule="qmc")
_REPLICATES = 8            # independent scramblings (rule="qmc")
_MAX_POINTS = 2 ** 18      # per scrambling, also for rtol
_CONFIDENCE = 0.999        # two-sided level of the Student t error of rule="qmc"
_MAX_CORNER_LAYERS = 16    # 2^16 corners of the box of the laws' hulls


def _merged(t: np.ndarray, w: np.ndarray, hull: tuple) -> tuple:
    """The point masses (t, w) of a layer with equal nodes merged, and nodes of mass below
    1e-18 in the lower half of the hull dropped.

    The integrand depends on d_l only through s_l = d_l^2, so equal nodes (the two branches of
    an even phi', and the nodes that round to a support end) add their masses exactly. Above
    the spectrum no pattern in the box of the hulls is singular, and the only pattern that can
    become singular first is a corner (see ``_physical``): the top corner for every activation
    seen. The integrand is bounded away from the top, so dropping masses of 1e-18 there moves
    an average by about 1e-18 of its largest term; near the top nothing is dropped, since a
    pinch makes the integrand there as large as 1/(distance to the corner).
    """
    u, inv = np.unique(t, return_inverse=True)
    W = np.bincount(inv, weights=w)
    keep = (W >= _NEGLIGIBLE) | (u > 0.5 * (hull[0] + hull[1]))
    return u[keep], W[keep]


def _squared(law: Any) -> Any:
    """The law of d^2 from the law of d (a Dirac, a Gaussian push-forward, or a mixture)."""
    if isinstance(law, Dirac):
        return dirac(sp.sympify(law.args[0]) ** 2)
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        if not isinstance(f, sp.Lambda):
            raise InvalidParameterError("laws", law, "a Gaussian push-forward needs a sympy "
                                        "function (Lambda) here")
        return GaussianPushforward(sp.Lambda(f.variables, f.expr ** 2), q)
    if isinstance(law, Mixture):
        laws, weights = law.args
        return mixture([_squared(c) for c in laws], list(weights))
    raise InvalidParameterError("laws", law, "each layer's law must be a dirac, a "
                                "gaussian_pushforward or a mixture of these (the law of "
                                "sigma_w phi'(h))")


def _nodes(law: Any, h: float) -> tuple:
    """Float64 point masses (t, w) of a law of d^2: atoms, and the tanh-sinh rule of step h
    on the pieces of each push-forward part."""
    if isinstance(law, Dirac):
        return np.array([float(law.args[0])]), np.ones(1)
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        t, w = PushforwardModel(f, q, repr(law)).nodes(h)   # a whole-line branch cut at 0
        return t, w / np.sum(w)         # the rule's mass error (below 1e-15) renormalised
    laws, weights = law.args
    parts = [_nodes(c, h) for c in laws]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([float(wt) * p[1] for p, wt in zip(parts, weights)]))


def _top(law: Any) -> Any:
    """The top of the support of a law of d^2 (bands and atoms), exact where the law is."""
    tops = [b.hi for b in law.support()] + [a.location for a in law.atoms()]
    return max(tops, key=lambda v: float(sp.N(v)))


def _parts(law: Any, wt: float = 1.0) -> list:
    """The law of d^2 as ("atom", weight, location) and ("model", weight, float64 model)."""
    if isinstance(law, Dirac):
        return [("atom", wt, float(law.args[0]))]
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        return [("model", wt, PushforwardModel(f, q, repr(law)))]
    laws, weights = law.args
    return [p for c, w in zip(laws, weights) for p in _parts(c, wt * float(w))]


def _by_intervals(parts: list) -> Callable:
    """u -> s for parts [(width, fn), ...] whose widths sum to 1: part k takes the k-th
    consecutive interval of [0, 1) and maps its rescaled point v in [0, 1) by fn."""
    def sample(u: np.ndarray) -> np.ndarray:
        out, start = np.empty(u.shape), 0.0
        for k, (width, fn) in enumerate(parts):
            sel = (u >= start) if k == len(parts) - 1 else (u >= start) & (u < start + width)
            out[sel] = fn(np.clip((u[sel] - start) / width, 0.0, 1 - 2 ** -53))
            start += width
        return out

    return sample


def _sampler(law: Any) -> Callable:
    """u -> s: the inverse distribution function of a law of d^2 on points u in [0, 1). A
    mixture's components take consecutive intervals of u (their weights); a Gaussian
    push-forward's continuous part maps u to h ~ N(0, q) restricted to the pieces where f is not
    constant (each piece an interval of u of its Gaussian mass), then to f(h)."""
    if isinstance(law, Dirac):
        v = float(law.args[0])
        return lambda u: np.full(u.shape, v)
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        model = PushforwardModel(f, q, repr(law))
        sq = math.sqrt(float(q))
        ends = [(ndtr(float(lo) / sq), ndtr(float(hi) / sq), maps[0])
                for (lo, hi, *_), maps in zip(model._piece_exprs(), model._maps(NP))]
        total = sum(b - a for a, b, _ in ends)

        def piece(a: float, b: float, fn: Callable) -> Callable:
            def push(v: np.ndarray) -> np.ndarray:
                with np.errstate(all="ignore"):
                    return fn(sq * ndtri(np.clip(a + v * (b - a), 1e-300, 1 - 2 ** -53)))
            return push

        return _by_intervals([((b - a) / total, piece(a, b, fn)) for a, b, fn in ends])
    laws, weights = law.args
    return _by_intervals([(float(w), _sampler(c)) for c, w in zip(laws, weights)])


def _sobol(d: int, m: int, seed: Any) -> np.ndarray:
    """2^m scrambled Sobol points in [0, 1)^d (scipy's linear matrix scrambling with a
    digital shift: each point is uniform on the cube, so averages over them are unbiased),
    reproducible from ``seed`` (a sequence of integers)."""
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    try:                                  # scipy >= 1.15 names the generator rng
        engine = qmc.Sobol(d, scramble=True, rng=rng)
    except TypeError:
        engine = qmc.Sobol(d, scramble=True, seed=rng)
    return engine.random_base2(m)


class SmoothResidualFisher(ResidualFisher):
    """The residual Fisher information K_L for continuous laws of the diagonals (path form).

    Same methods as :class:`freealg.nn.residual_fisher.ResidualFisher` (``latex``, ``cauchy``,
    ``density``, ``lambda_max``) and :meth:`right_edge` (the edge with its error). Float64: the
    quadrature over the layers' laws limits ``lambda_max`` to about 12 digits.

    Examples
    --------
    >>> import freealg as fa
    >>> rf = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher()
    >>> rf
    SmoothResidualFisher(L=2, alpha=1/2, weights=orthogonal, 54 patterns at step 1/16)
    >>> e = rf.right_edge()
    >>> print(f"{float(e.location):.12f}", e.error < 1.1e-8)   # steps 1/8, 1/16 differ by 1e-8
    0.652360298829 True
    >>> e                                   # the error shown rounded up
    Edge(location=0.652360299, kind='soft', error=1.1e-8, side='right')
    >>> deep = fa.nn.MLP(depth=5, activation="elu", residual="1/2").residual_fisher()
    >>> deep.rule, deep.S.shape                  # 33^4 product patterns would be too many
    ('qmc', (4096, 4))

    Parameters
    ----------
    alpha : number
        The residual weight alpha >= 0.
    kappas : sequence
        kappa_1, ..., kappa_L.
    laws : sequence of Law
        For each layer, the law of the diagonal entries of S_l = D'_l: a ``dirac``, a
        ``gaussian_pushforward`` or a ``mixture`` of these (what ``MLP`` builds).
    weights : {"orthogonal", "gaussian"}
        Haar orthogonal or Ginibre weight matrices.
    step : float, optional
        The tanh-sinh step h of the rule over layers 1..L-1 (``right_edge`` also solves at 2h).
        Default 1/16 for L <= 2 and 1/8 beyond. Equal nodes are merged (the two branches of
        an even phi', nodes that round to a support end), so a layer has 28 nodes at step 1/8
        for tanh, 22 for sigmoid, 135 for GELU, and the patterns number their product over
        layers 1..L-1. More than 250,000 are refused with ``rule="product"``: tanh at L = 5
        has 614,656 at step 1/8. A pinch (softplus, SELU) needs a step of 1/8 or less
        (``right_edge``).
    rule : {None, "product", "qmc"}
        The product of tanh-sinh rules, or scrambled Sobol points (each mapped through the
        inverse distribution functions of the layers' laws, weight 1/points). None: the
        product rule where its patterns are within the limit and the memory budget (or a
        ``step`` is given), else Sobol points (or ``points``/``replicates`` are given).
    points : int, optional
        Sobol points per scrambling, a power of 2 in [64, 2^18] (default 4096).
    replicates : int, optional
        Independent scramblings, 4 to 64 (default 8): ``right_edge`` solves the edge on each
        and reports their mean, with the Student t half-width (level 0.999) as its error.
        ``cauchy`` and ``density`` use the first.
    seed : int
        The seed of the scramblings (default 0): results are reproducible, and differ
        between seeds within the error.
    """

    _dense_off_axis = False     # no dense pencils: the path form everywhere
    _march_stop = 1e-3          # Moore-Spence converges from there; each march step costs more
    _no_fold = ("the real branch met neither a fold nor a pinch (a pole of the average at a "
                "corner of the layers' laws) that the physical solution confirms; try "
                "another step, density(x) and cauchy(z), or sample_fisher()")

    def __init__(self, alpha: Any, kappas: Sequence, laws: Sequence,
                 weights: str = "orthogonal", step: float | None = None,
                 rule: str | None = None, points: int | None = None,
                 replicates: int | None = None, seed: int = 0):
        self._common(alpha, kappas, "laws", laws, weights)
        L = self.L
        if step is not None and not (isinstance(step, (int, float)) and 0 < step <= 0.5):
            raise InvalidParameterError("step", step, "the tanh-sinh step must lie in (0, 1/2]")
        if rule not in (None, "product", "qmc"):
            raise InvalidParameterError("rule", rule, 'must be "product", "qmc" or None (the '
                                        "product rule where its patterns fit, else qmc)")
        if points is not None and not (isinstance(points, int) and not isinstance(points, bool)
                                       and 64 <= points <= _MAX_POINTS
                                       and points & (points - 1) == 0):
            raise InvalidParameterError("points", points, f"must be a power of 2 in [64, "
                                        f"{_MAX_POINTS}] (Sobol points come in powers of 2)")
        if replicates is not None and not (isinstance(replicates, int)
                                           and not isinstance(replicates, bool)
                                           and 4 <= replicates <= 64):
            raise InvalidParameterError("replicates", replicates, "must be an integer in "
                                        "[4, 64] (the error is a Student t bound over them)")
        if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
            raise InvalidParameterError("seed", seed, "must be an integer >= 0")
        self.d_laws = list(laws)
        self.s_laws = [_squared(law) for law in laws]
        self.k = 4 * L - 1
        self.n = 2 * L + 1
        self.nI = 2 * (L - 1)
        self.nu = self.nI + (L - 1 if self.haar else 0)
        self._smax = [float(sp.N(_top(law))) for law in self.s_laws]
        self._lastparts = _parts(self.s_laws[-1])
        hulls = []
        for law, top in zip(self.s_laws, self._smax):
            lows = [b.lo for b in law.support()] + [a.location for a in law.atoms()]
            hulls.append((min(float(sp.N(v)) for v in lows), top))
        self._hulls = hulls
        # the corners of the box of the laws' hulls (s_1..s_L): see _physical
        if L > _MAX_CORNER_LAYERS:     # 2^L corner determinants at every step of the march
            raise SizeLimitError("layers", L, L, _MAX_CORNER_LAYERS,
                                 f"time and memory: the edge search watches the 2^L = "
                                 f"{2 ** L} corners of the layers' laws at every step; use "
                                 "sample_fisher() for deeper networks", "layers")
        self._corners = np.array(list(itertools.product(*hulls)), float)
        self._corner_sign = np.ones(len(self._corners))
        self._rules: dict = {}
        self._layer_rules: dict = {}
        self._ex: dict = {}
        qmc_args = points is not None or replicates is not None
        if rule is None:         # true error about 1e-15 at L = 2, 1e-8 at L = 3
            default = 1 / 16 if L <= 2 else 1 / 8
            rule = ("product" if step is not None or (not qmc_args and self._fits(default))
                    else "qmc")
        if rule == "product" and qmc_args:
            raise InvalidParameterError("points" if points is not None else "replicates",
                                        points if points is not None else replicates,
                                        "points and replicates are for rule='qmc'")
        if rule == "qmc" and step is not None:
            raise InvalidParameterError("step", step, "the step is for rule='product'; "
                                        "rule='qmc' takes points and replicates")
        self.rule = rule
        self.step: float | None
        self.points: int | None
        self.replicates: int | None
        if rule == "product":
            self.step = float(step) if step is not None else (1 / 16 if L <= 2 else 1 / 8)
            self.points = self.replicates = None
            self._key: Any = self.step
        else:
            self.step = None
            self.points = points or _POINTS
            self.replicates = replicates or _REPLICATES
            self._key = ("qmc", self.points, 0)
        self.seed = seed
        self._last_moments()
        self.atoms_count = self._rule(self._key)[0].shape[0]
        self._use(self._key)

    def __repr__(self) -> str:
        head = (f"SmoothResidualFisher(L={self.L}, alpha={self.alpha}, weights="
                f"{'orthogonal' if self.haar else 'gaussian'}, ")
        if self.rule == "qmc":
            return (head + f"{self.points} patterns per scrambled Sobol rule, "
                    f"{self.replicates} scramblings)")
        return head + f"{self.atoms_count} patterns at step {sp.nsimplify(self.step)})"

    # the rule ---------------------------------------------------------------------------------
    def _layers(self, h: float) -> list:
        """The merged tanh-sinh rules (t, w) of layers 1..L-1 at step h, kept per step."""
        if h not in self._layer_rules:
            rules = [_nodes(law, h) for law in self.s_laws[:-1]]
            self._layer_rules[h] = [_merged(t, w, hull)
                                    for (t, w), hull in zip(rules, self._hulls[:-1])]
        return self._layer_rules[h]

    def _fits(self, h: float) -> bool:
        """Whether the product rule of step h is within the pattern limit and the memory
        budget (the default, rule=None, takes it then, else the Sobol rules)."""
        npat = math.prod(len(t) for t, _ in self._layers(h))
        return npat <= _MAX_PATTERNS and 16 * 24 * npat * self.n <= memory_budget()

    def _rule(self, key: Any) -> tuple:
        """(S, W): the patterns of s_1..s_{L-1} and their weights, kept per key: the product
        rule of step h (key h), or the scrambled Sobol rule r of P points
        (key ("qmc", P, r))."""
        if key in self._rules:
            return self._rules[key]
        if self.L == 1:
            self._rules[key] = (np.zeros((1, 0)), np.ones(1))
            return self._rules[key]
        if isinstance(key, tuple):
            _, P, r = key
            check_memory_size(16 * 24 * P * self.n, "points", P, f"{P} Sobol patterns of a "
                              f"path of {self.n} nodes", "use fewer points")
            U = _sobol(self.L - 1, int(P).bit_length() - 1, [self.seed, r])
            S = np.stack([_sampler(law)(U[:, j])
                          for j, law in enumerate(self.s_laws[:-1])], axis=1)
            self._rules[key] = (S, np.full(P, 1.0 / P))
            return self._rules[key]
        h = key
        parts = self._layers(h)
        npat = math.prod(len(p[0]) for p in parts)
        check_memory_size(16 * 24 * npat * self.n, "layers", f"{self.L} layers",
                          f"{npat} quadrature patterns of a path of {self.n} nodes",
                          "use fewer layers or a larger step (coarser rule), rule='qmc', or "
                          "sample the network with sample_fisher()")
        if npat > _MAX_PATTERNS:     # each solve would take many minutes
            raise SizeLimitError("step", h, npat, _MAX_PATTERNS,
                                 f"time: each solve averages over every pattern of layers "
                                 f"1..{self.L - 1}; use a larger step (a coarser rule; "
                                 "right_edge reports the larger error), rule='qmc' (scrambled "
                                 "Sobol points) or sample_fisher()", "quadrature patterns")
        grids = np.meshgrid(*[p[0] for p in parts], indexing="ij")
        wgrid = np.meshgrid(*[p[1] for p in parts], indexing="ij")
        S = np.stack([g.ravel() for g in grids], axis=1)
        W = np.prod(np.stack([g.ravel() for g in wgrid], axis=1), axis=1)
        self._rules[key] = (S, W)
        return self._rules[key]

    def _use(self, key: Any) -> None:
        self.S, self.W = self._rule(key)
        # a branch that fails next to a corner's zero ends there (a pinch) when the corner's
        # determinant is below this fraction of the largest: on a Sobol rule a point can fall
        # within 1e-5 of a law's top, and its pole then ends the branch just above the zero
        self._pinch_evidence = 1e-4 if isinstance(key, tuple) else 1e-6

    def _last_moments(self) -> None:
        """The last layer's nodes (tL, wL), s_ref = E[s_L], the spread max |s - s_ref| over
        the hull, and E[(s_L - s_ref)^k] for k < 24 (the series of ``_moebius_means``), all
        from the rule of step 1/64 whatever the step of the other layers: the series must
        agree with the Cauchy transform where they meet, and at step 1/4 the moments can be
        off by 4 % (sigmoid: E[s^2] 2.643 against 2.553), which cut the real branch where the
        two met."""
        t, w = _nodes(self.s_laws[-1], 1 / 64)
        self.tL, self.wL = tL, wL = _merged(t, w, self._hulls[-1])
        sref = float(np.sum(wL * tL))
        lo, hi = self._hulls[-1]
        self.sref = sref
        self._spread = max(hi - sref, sref - lo, 1e-300)
        # E[(s - s_ref)^k] up to the order where (spread/8)^k is below rounding
        self._tmoments = np.array([float(np.sum(wL * (tL - sref) ** k)) for k in range(24)])

    def cauchy(self, z: Any, steps: int = 30) -> np.ndarray:
        """G_K(z) in float64 for Im z >= 0 (continued from Im z = 10 ||K|| in ``steps`` steps).

        Too few steps can land on an unphysical solution without any warning (GELU and ELU,
        L = 2, at 6 steps: G off by 3 to 4 on the real axis; 8 to 60 steps agree to 1e-14), so
        the default keeps a wide margin.

        Examples
        --------
        >>> import freealg as fa, numpy as np
        >>> rf = fa.nn.MLP(depth=1, activation="tanh", residual=1).residual_fisher()
        >>> law = rf.s_laws[0]                      # K = kappa_1 tanh'(h)^2: G_K(z) = G(z/k)/k
        >>> k = float(rf.kappas[0])
        >>> bool(abs(rf.cauchy(0.3 + 0.2j)[0] - law.cauchy((0.3 + 0.2j) / k, dps=None) / k) < 1e-12)
        True

        Raises
        ------
        NoConvergence
            When a point's residual stays above 1e-9 (raise ``steps``).
        """
        return super().cauchy(z, steps)

    def _newton(self, u, z, eps, maxit=20, tol=1e-11):
        # the averages sum thousands of patterns: rounding puts the Newton steps' floor near
        # 1e-13 relative, so stop at 1e-11 (the results are float64 to about that anyway)
        return super()._newton(u, z, eps, maxit, tol)

    def _sup_abs_d(self) -> list:
        """sup |d_l| per layer, from the tops of the laws of d_l^2.

        Examples
        --------
        >>> import freealg as fa
        >>> rf = fa.nn.MLP(depth=1, activation="tanh", residual=1).residual_fisher()
        >>> rf._sup_abs_d(), rf.norm_bound() == float(rf.kappas[0])    # K <= kappa_1
        ([1.0], True)
        """
        return [math.sqrt(max(s, 0.0)) for s in self._smax]

    # the path ---------------------------------------------------------------------------------
    def _GLd(self, w: np.ndarray) -> tuple:
        """(G, G') of the law of s_L at points w off its support (G(conj w) = conj G(w)):
        atoms exactly, push-forward parts by their float64 models."""
        lower = w.imag < 0
        v = np.where(lower, np.conj(w), w)
        G, dG = np.zeros_like(v), np.zeros_like(v)
        for kind, wt, obj in self._lastparts:
            if kind == "atom":
                G += wt / (v - obj)
                dG -= wt / (v - obj) ** 2
            else:
                g, dg = obj.gdg(v, NP, True)
                G += wt * np.asarray(g, complex)
                dG += wt * np.asarray(dg, complex)
        return np.where(lower, np.conj(G), G), np.where(lower, np.conj(dG), dG)

    def _moebius_means(self, beta: np.ndarray, nb: int, real: bool = False) -> tuple:
        """(E[1/(1 - beta t)], E[t/(1 - beta t)]) over t = s_L - s_ref for beta of shape
        (B, P): the moment series where |beta| spread < 1/8 (the closed form would cancel
        there), the Cauchy transform of the law of s_L elsewhere. Rows from nb on are
        perturbed copies of rows r mod nb (finite-difference and complex steps): there G is
        continued linearly from its base row, G(w) = G(w0) + (w - w0) G'(w0), which is exact
        to rounding for complex steps and to O(step^2) for forward differences."""
        B = beta.shape[0]
        E1, Et = np.empty_like(beta), np.empty_like(beta)
        far = np.tile(np.abs(beta[:nb]) * self._spread < 0.125, (B // nb, 1))
        if np.any(far):
            b = beta[far]
            E1[far] = _horner(self._tmoments, b)         # sum_k b^k E[t^k]
            Et[far] = _horner(self._tmoments[1:], b)     # sum_k b^k E[t^(k+1)]
        near = ~far
        if np.any(near):
            nb_near = near[:nb]
            w0 = np.zeros(beta[:nb].shape, complex)
            G0, dG0 = np.zeros_like(w0), np.zeros_like(w0)
            w0[nb_near] = 1.0 / beta[:nb][nb_near] + self.sref
            G0[nb_near], dG0[nb_near] = self._GLd(w0[nb_near])
            if real:       # a real point inside the support: no real solution there
                wr = w0.real
                lo, hi = self._hulls[-1]
                inside = nb_near & (wr >= lo) & (wr <= hi)
                G0[inside] = np.nan
            reps = B // nb
            w0, G0, dG0 = np.tile(w0, (reps, 1)), np.tile(G0, (reps, 1)), np.tile(dG0, (reps, 1))
            b = beta[near]
            w = 1.0 / b + self.sref
            G = G0[near] + (w - w0[near]) * dG0[near]
            E1[near] = G / b
            Et[near] = -1.0 / b + G / b ** 2
        return E1, Et

    def _expect(self, u: np.ndarray, z: np.ndarray, eps: np.ndarray,
                nb: int | None = None, real: bool = False) -> np.ndarray:
        """E_d of the unknowns' entries (C_{l-1}, M1_l for l = 2..L) and of G_11: (B, nI + 1)."""
        B, L, nI = u.shape[0], self.L, self.nI
        a2 = float(self.alpha) ** 2
        kap = [float(q) for q in self.kappas]
        out = np.zeros((B, nI + 1), complex)
        P = self.S.shape[0]
        chunk = max(1, int(2e6 // max(B * self.n, 1)))
        e = self._pos_E(L)
        for p0 in range(0, P, chunk):
            S, W = self.S[p0:p0 + chunk], self.W[p0:p0 + chunk]
            # the last layer at s_ref; its deviation t = s_L - s_ref by Sherman-Morrison below
            Sf = np.concatenate([S, np.full((S.shape[0], 1), self.sref)], axis=1)
            A, c, detp, aM2 = self._path_matrix(u, z, 1j * np.asarray(eps, float), Sf, kap, a2)
            Lf, Rf, Gd = _path_diag(A, _TINY)
            # G_ie / G_ee along the path (products first, then squared: no overflow)
            ratio = np.ones_like(A)
            ratio[..., 0] = 1.0 / (Lf[..., 0] * Lf[..., 1])
            ratio[..., 1] = -1.0 / Lf[..., 1]
            for i in range(e + 1, self.n):
                r = Rf[..., i]
                ratio[..., i] = -ratio[..., i - 1] / np.where(r == 0, _TINY, r)
            g = Gd[..., e]
            cL = c[:, L - 1, None]
            beta = cL * g
            E1, Et = self._moebius_means(beta, nb or B, real)
            EGd = Gd + (cL * g ** 2 * Et)[..., None] * ratio ** 2
            # E[s_L G_EE(s_L)] = g E[(s_ref + t)/(1 - beta t)]
            cols = self._path_columns(EGd, Sf, detp, aM2, a2, g * (self.sref * E1 + Et))
            out += np.einsum("p,bpc->bc", W, cols)
        return out

    # display ----------------------------------------------------------------------------------
    def _laws_latex(self) -> str:
        return ", ".join(f"d_{{{l + 1}}} \\sim {_display(law)}"
                         for l, law in enumerate(self.d_laws))

    # lambda_max -------------------------------------------------------------------------------
    def _corner_dets(self, u: np.ndarray, x: float, corners: Any = None) -> np.ndarray:
        """det of the path matrix (real u, x; eps = 0) at each corner s of the box of the
        laws' hulls (or at the rows of ``corners``): the three-term recurrence
        D_i = A_i D_{i-1} - D_{i-2} (no divisions)."""
        V = self._corners if corners is None else corners
        kap = [float(q) for q in self.kappas]
        A = self._path_matrix(np.asarray(u, float)[None].astype(complex), np.array([x + 0j]), 0,
                              V, kap, float(self.alpha) ** 2)[0][0].real
        prev, D = np.ones(V.shape[0]), A[:, 0]
        for i in range(1, self.n):
            prev, D = D, A[:, i] * D - prev
        return D

    def _reference(self, u, x) -> None:
        s = np.sign(self._corner_dets(u, x))
        self._corner_sign = s

    def _physical(self, u, x, skip: int | None = None) -> bool:
        """Whether no pattern's pencil is singular at the real solution u at x.

        Each s_l sits in one diagonal entry, so the determinant is affine in each s_l and its
        extremes over the box of the laws' hulls lie at the corners. Above the spectrum no
        pattern is singular (the signs of ``_reference``); the first pattern that becomes
        singular as x comes down is a corner, and the physical solution leaves the real axis
        there (a pinch) unless a fold comes first. ``skip``: a corner left out (the one a
        pinch makes singular)."""
        ok = (self._corner_sign * self._corner_dets(u, x) > 0) | (self._corner_sign == 0)
        if skip is not None:
            ok[skip] = True
        return bool(np.all(ok))

    def _corrected(self, u, x):
        """Newton on the real branch at x from u: (u, J, Fz), or None without convergence."""
        scale = 1 + np.max(np.abs(u))
        with np.errstate(all="ignore"):
            for _ in range(10):
                F, J, Fz = self._real(u, x)
                if not (np.all(np.isfinite(F)) and np.all(np.isfinite(J))):
                    return None
                try:
                    du = np.linalg.solve(J, F)
                except np.linalg.LinAlgError:
                    return None
                u = u - du
                if np.max(np.abs(du)) < 1e-13 * scale:
                    break
            F, J, Fz = self._real(u, x)
        if not (np.max(np.abs(F)) < 1e-10 * scale and np.all(np.isfinite(J))):   # NaN too
            return None
        return u, J, Fz

    def _pinch_np(self, u, x):
        """Continue the physical real branch down from (u, x) to where it ends: (u, x, why),
        x within 2e-13 x above the end when why is 'pinch' (the first corner whose pencil is
        singular) or 'fold', and 'none' when the continuation stopped otherwise.

        Steps beyond a pinch either converge to a real solution with a corner's determinant
        of the wrong sign, or fail (where the corner is the last layer's: its exact average
        has no real value there). Steps beyond a fold converge to the other side (det J of
        the other sign) or fail. A failure counts as the end only with evidence at the last
        solution: a corner's determinant below 1e-6 of the largest corner's (a pinch; 1e-4
        on Sobol rules, see ``_use``), or a physical fold within 1e-6 x below, solved by
        Moore-Spence from there."""
        sol = self._corrected(u, x)
        if sol is None or not self._physical(sol[0], x):
            return u, x, "none"
        u, J, Fz = sol
        sign = np.sign(np.linalg.det(J))
        dx, why = 1e-3 * x, "none"
        for _ in range(400):
            if dx < 1e-13 * x or x - dx <= 0:
                break
            xn = x - dx
            r = self._corrected(u - dx * np.linalg.solve(J, -Fz), xn)
            if r is None:
                why, dx = "fail", dx / 2
            elif np.sign(np.linalg.det(r[1])) != sign:
                why, dx = "fold", dx / 2
            elif not self._physical(r[0], xn):
                why, dx = "pinch", dx / 2
            else:
                (u, J, Fz), x = r, xn
                dx = min(2 * dx, 0.05 * x)
        if dx >= 1e-13 * x:
            return u, x, "none"
        if why == "fail":
            D = np.abs(self._corner_dets(u, x))
            if np.min(D) < self._pinch_evidence * np.max(D):
                return u, x, "pinch"
            fold = self._physical_fold(u, x, J)   # a fold just below, found from here
            if fold is not None and 0 <= x - fold[0][self.nu] <= 1e-6 * x:
                return fold[0][:self.nu], float(fold[0][self.nu]), "fold"
            return u, x, "none"
        return u, x, why

    def _pinch_newton(self, u, x):
        """The pinch on the current rule from a nearby pinch (u, x) of another rule: Newton on
        F(u, x) = 0 and D_c(u, x) = T, D_c the determinant of the corner c nearest to singular
        at (u, x) (scaled by the largest corner's) and T its value 2e-13 x above the corner's
        zero along the branch (at the zero itself the last layer's average can be infinite,
        e.g. SELU's atom at the top). Returns (u, x), or None when Newton fails, another
        corner changes sign, or det J changes sign on the way (a fold first). A few Jacobians
        instead of a continuation down to the corner's zero."""
        D0 = np.abs(self._corner_dets(u, x))
        c = int(np.argmin(D0))
        corner, sc = self._corners[c:c + 1], self._corner_sign[c]
        scale_D = float(np.max(D0)) or 1.0
        n = self.nu
        try:           # the sign of det J on this rule's branch above both pinches
            sign = np.sign(np.linalg.det(self._above(u, x)[2]))
        except NoConvergence:
            return None

        def det_c(w):
            return self._corner_dets(w[:n], w[n], corner)[0] / scale_D

        with np.errstate(all="ignore"):
            for _ in range(16):
                F, J, Fz = self._real(u, x)
                w = np.append(u, x)
                D = det_c(w)
                hs = 1e-7 * (1 + np.abs(w))
                row = np.array([(det_c(w + hs[k] * (np.arange(n + 1) == k)) - D) / hs[k]
                                for k in range(n + 1)])
                M = np.zeros((n + 1, n + 1))
                M[:n, :n], M[:n, n], M[n] = J, Fz, row
                if not (np.all(np.isfinite(M)) and np.all(np.isfinite(F))):
                    return None
                try:
                    slope = row[n] - row[:n] @ np.linalg.solve(J, Fz)    # dD_c/dx on the branch
                    A, rs, cs = self._equilibrated(M)
                    target = sc * abs(slope) * 2e-13 * x
                    dw = np.linalg.solve(A, np.append(F, D - target) / rs) / cs
                except np.linalg.LinAlgError:
                    return None
                for _ in range(8):         # a step past the corner's zero: shorten it
                    if np.all(np.isfinite(self._real_F(u - dw[:n], x - dw[n]))):
                        break
                    dw = dw / 2
                else:
                    return None
                u, x = u - dw[:n], x - dw[n]
                if np.max(np.abs(dw) / (1 + np.abs(np.append(u, x)))) < 1e-14:
                    break
            F = self._real_F(u, x)
        if not (np.all(np.isfinite(F)) and np.max(np.abs(F)) < 1e-10 * (1 + np.max(np.abs(u)))
                and x > 0):
            return None
        if not self._physical(u, x, skip=c):
            return None
        above = self._corrected(u, x * (1 + 1e-6))
        if above is None or np.sign(np.linalg.det(above[1])) != sign:
            return None
        return u, float(x)

    def _physical_fold(self, u=None, x=None, J=None, start=None):
        """The fold (w, ell) by Moore-Spence from ``start`` (a nearby fold's (w, ell)) or from
        the real solution (u, x, J) near it, or None when Newton fails or the fold is not
        physical (a corner's pencil singular there)."""
        try:
            w, ell = self._fold_np(start if start is not None else self._fold_start(u, x, J))
        except NoConvergence:
            return None
        return (w, ell) if self._physical(w[:self.nu], w[self.nu]) else None

    def _edge_on_rule(self, u, x, J):
        """("fold", x, (w, ell)), ("pinch", x, u) or ("end", x, u) on the current rule, from a
        real solution (u, x, J) just above the edge (the end of the march): the fold by
        Moore-Spence if it is physical, else the end of the branch (a pinch, or a fold that
        Moore-Spence missed) by continuing it down."""
        fold = self._physical_fold(u, x, J)
        if fold is not None:
            return "fold", float(fold[0][self.nu]), fold
        up, xp, why = self._pinch_np(u, x)
        if why == "none":
            raise NoConvergence("residual Fisher: the right edge", point=float(xp),
                                advice=self._no_fold)
        return ("pinch" if why == "pinch" else "end"), xp, up

    def _above(self, u, x):
        """A physical real solution (u, x, J) on the current rule a little above x, Newton
        from the solution u of another rule (the rules' branches differ by their error)."""
        for delta in (2e-3, 1e-2, 5e-2, 0.25):
            r = self._corrected(u, x * (1 + delta))
            if r is not None and self._physical(r[0], x * (1 + delta)):
                return r[0], x * (1 + delta), r[1]
        raise NoConvergence("residual Fisher: the right edge on the finer rule", point=x,
                            advice="the rules of steps 2h and h disagree: use a smaller step")

    def right_edge(self, rtol: float | None = None) -> Edge:
        """The right edge of the law of K_L with its error.

        Product rule: solved at step 2h (marching down from above the spectrum), then at step
        h (from there); the error is their difference (tanh-sinh converges doubly
        exponentially, so the finer value is far closer than that) plus 1e-12 relative. With
        ``rtol``, the step is halved (each rule solved from the last one's edge) until the
        error is below rtol |edge|.

        Sobol rules (``rule="qmc"``): solved on each of the R scramblings (the first by the
        march, the others from its edge); the edge is their mean and the error the Student t
        half-width of the mean at level 0.999 (two-sided) plus 1e-12 relative: a confidence
        bound. With ``rtol``, the points are multiplied by 4 until the error is below
        rtol |edge|.

        The edge is the first of two events met by the real branch as x comes down:

        * a **fold** (square-root edge), solved by Moore-Spence (tanh, erf, sigmoid, SiLU,
          GELU, ELU), whose steps are shortened where they would leave the domain of the
          real branch (a pattern's pole inside the last layer's support). Where the march
          stops short of it (sigmoid at L = 3, tanh at L = 4: the fold sits near a corner's
          zero and the branch bends sharply), the branch is continued down to within
          1e-13 relative of its end and Moore-Spence started there;
        * a **pinch**: a pattern's pencil becomes singular, so a pole of the average enters
          the support of the layers' laws and the physical solution leaves the real axis. The
          determinant is affine in each s_l = d_l^2, so this happens first at a corner of the
          box of the laws' hulls. Softplus (phi' reaches its supremum only at infinity: the
          density then vanishes faster than any power) and SELU (a jump at the top of the law
          of phi'^2) end this way. The branch is continued to the corner's zero within
          1e-13 relative. On a finer rule or another scrambling, the pinch is solved by Newton
          on the equations and the corner's determinant from the last rule's pinch (a few
          Jacobians), checked like the continuation's (no other corner changes sign, det J
          keeps its sign), and continued as above if that fails.

        Either way the density of the physical solution (continued from Im z > 0) must vanish
        at 1.001 lambda_max, or the edge is refused. The kind is 'soft' (the density
        vanishes); the exponent is not measured.

        Examples
        --------
        >>> import freealg as fa
        >>> e = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher().right_edge()
        >>> e.kind, e.side, bool(e.error < 1e-7)
        ('soft', 'right', True)
        >>> e = fa.nn.MLP(depth=2, activation="selu", residual="1/2").residual_fisher().right_edge()
        >>> print(f"{float(e.location):.10f}", bool(e.error < 1e-9))    # a pinch
        1.9127861998 True
        >>> rf = fa.nn.MLP(depth=2, activation="softplus", residual="1/2").residual_fisher()
        >>> e = rf.right_edge(rtol=1e-11)     # steps 1/16 and 1/32 (and 1/64)
        >>> print(f"{float(e.location):.12f}", bool(e.error < 1e-11 * float(e.location)))
        0.683579679887 True
        >>> deep = fa.nn.MLP(depth=5, activation="tanh", residual="1/2").residual_fisher()
        >>> deep.rule, deep.points, deep.replicates    # 28^4 product patterns: too many
        ('qmc', 4096, 8)

        Parameters
        ----------
        rtol : float, optional
            The relative error wanted, at least 1e-11: the step is halved until the error
            claim is below it (each halving about doubles the nodes per smooth layer); Sobol
            rules multiply their points by 4 instead.

        Raises
        ------
        NoConvergence
            When the march, the fold's Newton iteration or the continuation fails, the
            physical solution has density above the edge found, ``rtol`` would need more
            than 250,000 patterns (2^18 Sobol points per scrambling), or the edge is a pinch
            on a product rule coarser than step 1/8 (where the difference of two rules has
            bounded nothing).
        """
        if rtol is not None and not (isinstance(rtol, (int, float)) and 1e-11 <= rtol < 1):
            raise InvalidParameterError("rtol", rtol, "must be a number in [1e-11, 1) (the "
                                        "float64 claim has a floor of 1e-12 relative)")
        key = ("edge", rtol)
        if key not in self._ex:
            if self.norm_bound() == 0:
                self._ex[key] = Edge(0, "hard", 0, "right")
            elif self.L == 1:              # K = kappa_1 S_1^2: the top of its support
                top = self.kappas[0] * _top(self.s_laws[0])
                self._ex[key] = Edge(top, "hard", 0, "right")
            elif self.rule == "qmc":
                self._ex[key] = self._solve_edge_qmc(rtol)
            else:
                self._ex[key] = self._solve_edge(rtol)
        return self._ex[key]

    def _solve_edge_qmc(self, rtol):
        """The edge on each of R scramblings of the Sobol rule (the first by the march, the
        others from its edge), their mean, and the Student t half-width of the mean at level
        0.999 (two-sided) as the error. With ``rtol`` the points are multiplied by 4 until the
        error is below rtol |edge|."""
        from scipy.stats import t as student

        P, R = self.points, self.replicates
        quantile = float(student.ppf(0.5 + _CONFIDENCE / 2, R - 1))
        first = None
        try:
            while True:
                self._use(("qmc", P, 0))
                if first is None:
                    kind, x0, state0 = self._edge_on_rule(*self._march())
                else:
                    kind, x0, state0 = self._edge_again(*first)
                xs = [x0]
                for r in range(1, R):
                    self._use(("qmc", P, r))
                    xs.append(self._edge_again(kind, x0, state0)[1])
                xf = float(np.mean(xs))
                err = quantile * float(np.std(xs, ddof=1)) / math.sqrt(R) + 1e-12 * abs(xf)
                if rtol is None or err <= rtol * abs(xf):
                    break
                if 4 * P > _MAX_POINTS:
                    raise NoConvergence("residual Fisher: the right edge to rtol", point=xf,
                                        residual=err / abs(xf), advice=f"the edge is {xf!r} "
                                        f"+- {err:.2g} with {P} Sobol points per scrambling, "
                                        f"and more than {_MAX_POINTS} are not allowed: use a "
                                        "larger rtol")
                P, first = 4 * P, (kind, x0, state0)
            self._use(("qmc", P, 0))      # the first scrambling's branch, above its own edge
            self._check_no_mass_above(max(xf, x0))
        finally:
            self._use(self._key)
        return Edge(sp.Float(xf, 17), "soft", err, "right")

    def _solve_edge(self, rtol):
        try:       # the coarse rule from the march, then the finer ones from there
            self._use(2 * self.step)
            kind, xc, state = self._edge_on_rule(*self._march())
            self._use(self._key)
            kind, xf, state = self._edge_again(kind, xc, state)
            err = abs(xf - xc) + 1e-12 * abs(xf)
            h = self.step
            while rtol is not None and err > rtol * abs(xf):
                h /= 2
                try:
                    self._use(h)
                except SizeLimitError:
                    raise NoConvergence("residual Fisher: the right edge to rtol", point=xf,
                                        residual=err / abs(xf), advice=f"the edge is {xf!r} "
                                        f"+- {err:.2g} at step {2 * h:g}, and a finer rule "
                                        "needs more patterns than allowed: use a larger "
                                        "rtol") from None
                kind, xn, state = self._edge_again(kind, xf, state)
                err, xf = abs(xn - xf) + 1e-12 * abs(xn), xn
        finally:
            self._use(self._key)
        if kind == "pinch" and self.step > 1 / 8:
            raise NoConvergence("residual Fisher: the right edge", point=xf,
                                advice="a pinch needs a step of 1/8 or less: the integrand is "
                                "nearly singular at a corner of the laws' hulls, and on "
                                "coarser rules the difference of two rules is no safe error "
                                f"bound; the edge here is about {xf:.6g}; use the default "
                                "step, rule='qmc' or sample_fisher()")
        self._check_no_mass_above(xf)
        return Edge(sp.Float(xf, 17), "soft", err, "right")

    def _edge_again(self, kind, x, state):
        """The edge on the current rule, from another rule's (kind, x, state): the fold by
        Moore-Spence from that fold, if physical; else whichever edge the branch meets from a
        physical point a little above x."""
        if kind == "fold":
            fold = self._physical_fold(start=state)
            if fold is not None:
                return "fold", float(fold[0][self.nu]), fold
            u = state[0][:self.nu]
        else:
            u = state
        D = np.abs(self._corner_dets(u, x))
        if kind == "pinch" or np.min(D) < 1e-2 * np.max(D):   # a pinch, or a fold next to one
            pinch = self._pinch_newton(u, x)                  # (erf at L = 5)
            if pinch is not None:
                return "pinch", pinch[1], pinch[0]
        return self._edge_on_rule(*self._above(u, x))

    def _check_no_mass_above(self, x: float) -> None:
        """An edge (fold or pinch) of the real branch is the edge of the spectrum only if the
        physical solution (continued from Im z > 0) has no density just above it. The check
        knows nothing of folds or corners, so it guards both (a pinch missed between the
        corners' signs, a branch of the wrong rule)."""
        d = float(self.density(np.array([1.001 * x]))[0])
        if d > 1e-8 / x:          # inside the support of the physical solution
            raise NoConvergence("residual Fisher: the right edge", point=1.001 * x,
                                residual=d, advice=self._no_fold)

    def lambda_max(self, dps: int = 30) -> Any:
        """The right edge of the law of K_L as an mpmath number, correct to its error
        (:meth:`right_edge`; float64, about 12 digits, whatever ``dps`` asks beyond that; on
        Sobol rules the error is a 99.9 % confidence bound).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> rf = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher()
        >>> print(mpmath.nstr(rf.lambda_max(), 10))
        0.6523602988
        """
        e = self.right_edge()
        with mpmath.workdps(dps):
            return +mpmath.mpf(str(sp.N(e.location, 17 if e.error else dps + 5)))


def _horner(coeffs: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum_k coeffs[k] b^k (Horner), element-wise in b."""
    out = np.full(b.shape, coeffs[-1], complex)
    for c in coeffs[-2::-1]:
        out = out * b + c
    return out


def _display(law: Any) -> str:
    """LaTeX of a law of d: a dirac, a Gaussian push-forward (the function and the variance of
    h) or a mixture of these."""
    if isinstance(law, Dirac):
        return rf"\delta_{{{sp.latex(sp.sympify(law.args[0]))}}}"
    if isinstance(law, GaussianPushforward):
        f, q = law.args
        h = sp.Symbol("h")
        return (rf"\left({sp.latex(f(h))}\right)_{{*}} \mathcal{{N}}\!\left(0, "
                rf"{sp.latex(sp.sympify(q))}\right)")
    laws, weights = law.args
    return " + ".join(rf"{sp.latex(sp.sympify(w))}\,{_display(c)}" for c, w in zip(laws, weights))
