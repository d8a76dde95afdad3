"""Random-matrix models of the generators (one N x N realisation per trial).

=================  ==========================================================================
kind               model (``field`` real / complex)
=================  ==========================================================================
semicircular(v)    GOE / GUE: ``sqrt(v/N) (G + G*)/sqrt 2``, off-diagonal ``E|x_ij|^2 = v/N``
circular(v)        real / complex Ginibre, ``E|c_ij|^2 = v/N``
haar_unitary       QR of a complex Ginibre matrix, columns multiplied by ``R_jj/|R_jj|``
haar_orthogonal    QR of a real Ginibre matrix, columns multiplied by ``sign(R_jj)``
                   (Mezzadri, Notices AMS 54 (2007): the phase fix makes Q exactly Haar)
projection(t)      rank ``round(t N)``: ``Q Q*`` with Q the orthonormal basis of an N x k
                   Ginibre matrix (the range of a Haar-rotated diagonal projection)
selfadjoint(law)   diagonal of quantiles ``F^-1((i - 1/2)/m)`` of the continuous part; atoms
                   get the exact multiplicities ``round(mass N)`` (largest remainder)
activation(law)    ``diag(phi'(h))`` with ``h ~ N(0, q)`` iid (a real forward pass); when the
                   law is atomic the generator no longer knows phi', and the entries are the
                   monotone step function of ``h`` with the same law (the same distribution)
=================  ==========================================================================

Rectangular models: a generator of shape (p, q) is realised as a ``round(p N) x round(q N)``
matrix (Gaussian entries of variance v/N; Haar isometries are the first columns, or rows, of a
Haar matrix of the larger size), and a diagonal generator of dimension d as a ``round(d N)``
vector; the spectrum of a square expression then has ``round(r N)`` eigenvalues, its law
normalised on its own block.

Diagonal kinds are grouped in *families*: a :func:`freealg.commuting` family is one family
(its members are drawn jointly with independent entries: quantile vectors are independently
permuted, activations use independent Gaussians), every other diagonal generator is a family of
its own. Distinct families are free, so all families but one are conjugated by independent Haar
matrices (orthogonal in the real field, unitary in the complex one); two free diagonal matrices
would commute, which is classical independence, not freeness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, UndeterminedError
from ..laws import GaussianPushforward, Mixture
from .cdf import theory_cdf

__all__ = ["NumpyOps", "Realisation", "realise", "atom_counts", "quantile_vector",
           "activation_sampler", "DIAGONAL_KINDS"]

DIAGONAL_KINDS = ("selfadjoint", "activation", "projection")


# --------------------------------------------------------------------------------------------
# array back ends (numpy here; torch in backends.py implements the same methods)


class NumpyOps:
    """The handful of array operations the sampler needs, on numpy."""

    name = "numpy"

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def normal(self, shape: tuple, complex_: bool):
        if complex_:
            g = self.rng.standard_normal(shape + (2,))
            return (g[..., 0] + 1j * g[..., 1]) / np.sqrt(2.0)
        return self.rng.standard_normal(shape)

    def asarray(self, a):
        return np.asarray(a)

    def to_numpy(self, a) -> np.ndarray:
        return np.asarray(a)

    def haar(self, n: int, k: int, complex_: bool):
        """First k columns of a Haar unitary/orthogonal N x N matrix."""
        q, r = np.linalg.qr(self.normal((n, k), complex_))
        d = np.diagonal(r)
        ph = d / np.abs(d) if complex_ else np.sign(d)
        ph = np.where(ph == 0, 1, ph)
        return q * ph[None, :]

    @staticmethod
    def adjoint(a):
        return a.conj().T

    @staticmethod
    def matmul(a, b):
        return a @ b

    @staticmethod
    def eigvalsh(a) -> np.ndarray:
        return np.linalg.eigvalsh(a)

    @staticmethod
    def svdvals(a) -> np.ndarray:
        return np.linalg.svd(a, compute_uv=False)

    @staticmethod
    def zeros(n: int, complex_: bool):
        return np.zeros((n, n), dtype=complex if complex_ else float)

    @staticmethod
    def add_diag(m, v):
        if np.iscomplexobj(v) and not np.iscomplexobj(m):
            m = m.astype(complex)
        idx = np.arange(m.shape[0])
        m[idx, idx] += v
        return m


# --------------------------------------------------------------------------------------------
# diagonal laws


def _f(v: Any, what: str) -> float:
    e = sp.sympify(v)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    return float(e)


def atom_counts(masses: list, n: int) -> list:
    """Multiplicities ``round(mass n)`` that sum to ``round(sum(masses) n)`` (largest remainder).

    Examples
    --------
    >>> atom_counts([1/3, 1/3, 1/3], 10)
    [4, 3, 3]
    """
    want = np.asarray(masses, dtype=float) * n
    total = int(round(float(np.sum(want))))
    base = np.floor(want).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(want - base), kind="stable")
    for i in order[:max(rest, 0)]:
        base[i] += 1
    return [int(b) for b in base]


def quantile_vector(law: Any, n: int) -> np.ndarray:
    """n deterministic eigenvalues whose empirical law approximates ``law`` (sorted).

    Atoms get exact multiplicities, the continuous part the midpoint quantiles.

    Examples
    --------
    >>> import freealg as fa
    >>> quantile_vector(fa.discrete([0, 1, 2]), 6).tolist()
    [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    """
    F = theory_cdf(law)
    counts = atom_counts([m for _, m in F.atoms] + [F.ac_mass], n)
    parts = [np.full(c, loc) for (loc, _), c in zip(F.atoms, counts[:-1])]
    m = n - sum(counts[:-1])
    if m > 0:
        if not F.bands:  # rounding left a slot for a (numerically) empty continuous part
            big = int(np.argmax([mm for _, mm in F.atoms]))
            parts.append(np.full(m, F.atoms[big][0]))
        else:
            parts.append(F.ac_quantile((np.arange(m) + 0.5) / m))
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0)


def _gp_component(law: Any):
    if isinstance(law, GaussianPushforward):
        return law
    if isinstance(law, Mixture):
        for sub in law.args[0]:
            if isinstance(sub, GaussianPushforward):
                return sub
    return None


_H = sp.Symbol("h_freealg_sampler")


def _float64_function(f: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``f`` (a one-variable sympy Lambda or a Python callable) on a float64 array, elementwise;
    complex values (a real function written through complex intermediates) keep their real part
    when the imaginary part is round-off, else give nan."""
    if isinstance(f, sp.Lambda):
        # lambdify in a plain Symbol: the Lambda's own variable may be a Dummy
        fn = sp.lambdify(_H, f.expr.xreplace({f.variables[0]: _H}), modules=["numpy", "scipy"])
    else:
        fn = f

    def values(h: np.ndarray) -> np.ndarray:
        try:
            v = np.asarray(fn(h))
        except (TypeError, ValueError, AttributeError):     # a callable that takes scalars only
            v = np.asarray([fn(float(t)) for t in h])
        if v.dtype.kind == "c":
            v = np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
        return np.broadcast_to(v, h.shape).astype(float)
    return values


def activation_sampler(law: Any) -> Callable[[np.random.Generator, int], np.ndarray]:
    """``draw(rng, n)``: n iid entries phi'(h), h ~ N(0, q), for an activation generator's law.

    Examples
    --------
    >>> import numpy as np, sympy as sp, freealg as fa
    >>> h = sp.Symbol("h")
    >>> d = fa.activation("d", sp.tanh(h), 1).generator
    >>> v = activation_sampler(d.params[0])(np.random.default_rng(0), 100000)
    >>> round(float(np.mean(v**2)), 2)                 # E[tanh'(h)^2] = 0.4644...
    0.46
    """
    gp = _gp_component(law)
    if gp is not None:
        f, q = gp.args
        qf = _f(q, "the pre-activation variance")
        fn = _float64_function(f)

        def draw(rng, n):
            h = rng.standard_normal(n) * np.sqrt(qf)
            with np.errstate(all="ignore"):
                return fn(h)
        return draw
    # atomic law (e.g. ReLU' -> bernoulli(1/2)): phi' is not kept; use the monotone step
    # function g(h) with g(h) ~ law for h ~ N(0, 1) (same distribution as phi'(h)).
    from scipy.special import ndtr

    F = theory_cdf(law)
    if F.bands:
        raise InvalidParameterError("activation", law, "cannot realise this activation law")
    locs = np.array([a for a, _ in F.atoms])
    cum = np.cumsum([m for _, m in F.atoms])

    def draw_step(rng, n):
        u = ndtr(rng.standard_normal(n))
        return locs[np.minimum(np.searchsorted(cum, u, side="right"), len(locs) - 1)]
    return draw_step


# --------------------------------------------------------------------------------------------
# realisation of a set of generators


@dataclass
class Realisation:
    """One realisation: ``dense[gen]`` N x N matrices and ``diag[gen]`` diagonal vectors."""

    n: int
    complex_: bool
    dense: dict
    diag: dict

    def size(self, d: Any = 1) -> int:
        """The number of rows of a block of dimension d (in units of N)."""
        return block_size(d, self.n)


def block_size(d: Any, n: int) -> int:
    """``round(d n)``, at least 1: the size of a block of dimension d (in units of N)."""
    return max(1, int(round(float(d) * n)))


def families(gens) -> list[list]:
    """Diagonal generators grouped by commuting family (sorted, deterministic order)."""
    fam: dict = {}
    for g in gens:
        if g.kind in DIAGONAL_KINDS:
            key = g.family or ("", g.name, g.kind)
            fam.setdefault(key, []).append(g)
    return [sorted(v, key=lambda g: g.sort_key())
            for _, v in sorted(fam.items(), key=lambda kv: str(kv[0]))]


def _keep_diagonal(fams: list[list]) -> int:
    """Index of the one family left diagonal: prefer activations (the forward-pass picture),
    then families of several members, then the first; -1 when there are none."""
    if not fams:
        return -1
    def score(i):
        f = fams[i]
        return (any(g.kind == "activation" for g in f), len(f) > 1, -i)
    return max(range(len(fams)), key=score)


def _diag_entries(g, n: int, rng: np.random.Generator, permute: bool) -> np.ndarray:
    if g.kind == "activation":
        return activation_sampler(g.params[0])(rng, n)
    if g.kind == "projection":
        t = _f(g.params[0], f"the trace of the projection {g.name}")
        k = int(round(t * n))
        v = np.zeros(n)
        v[:k] = 1.0
    else:
        v = quantile_vector(g.params[0], n)
    return rng.permutation(v) if permute else v


def realise(gens, n: int, rng: np.random.Generator, complex_: bool, ops: Any = None) -> Realisation:
    """Realise every generator in ``gens`` once (shared between the expressions that use them)."""
    ops = ops or NumpyOps(rng)
    dense: dict = {}
    diag: dict = {}
    for g in gens:
        rows, cols = block_size(g.shape[0], n), block_size(g.shape[1], n)
        if g.kind == "semicircular":
            v = _f(g.params[0], f"the variance of {g.name}")
            a = ops.normal((rows, rows), complex_)
            dense[g] = (a + ops.adjoint(a)) * np.sqrt(v / (2.0 * n))
        elif g.kind == "circular":
            v = _f(g.params[0], f"the variance of {g.name}")
            dense[g] = ops.normal((rows, cols), complex_) * np.sqrt(v / n)
        elif g.kind in ("haar_unitary", "haar_orthogonal"):
            q = ops.haar(max(rows, cols), min(rows, cols), g.kind == "haar_unitary")
            dense[g] = q if rows >= cols else ops.adjoint(q)
        elif g.kind == "deterministic":
            dense[g] = _deterministic_matrix(g, rows, cols, ops, complex_)
    fams = families(gens)
    keep = _keep_diagonal(fams)
    for i, fam in enumerate(fams):
        several = len(fam) > 1
        m = block_size(fam[0].shape[0], n)
        vecs = {g: _diag_entries(g, m, rng, permute=several) for g in fam}
        if i == keep:
            diag.update({g: ops.asarray(v) for g, v in vecs.items()})
            continue
        if len(fam) == 1 and fam[0].kind == "projection":
            k = int(vecs[fam[0]].sum())
            q = ops.haar(m, k, complex_) if k else None
            dense[fam[0]] = ops.matmul(q, ops.adjoint(q)) if k else ops.zeros(m, complex_)
            continue
        V = ops.haar(m, m, complex_)
        Vh = ops.adjoint(V)
        for g, vec in vecs.items():
            dense[g] = ops.matmul(V * ops.asarray(vec)[None, :], Vh)
    return Realisation(n, complex_, dense, diag)


def _deterministic_matrix(g, rows: int, cols: int, ops: Any, complex_: bool):
    """U diag(s) W* for a deterministic generator: the m = min(rows, cols) squared singular
    values s^2 are fixed (the midpoint quantiles of its law, atoms with exact multiplicities),
    U and W independent Haar isometries (the rotation convention of freealg.deterministic)."""
    m = min(rows, cols)
    s = np.sqrt(np.maximum(quantile_vector(g.params[0], m), 0.0))
    U = ops.haar(rows, m, complex_)
    W = ops.haar(cols, m, complex_)
    return ops.matmul(U * ops.asarray(s)[None, :], ops.adjoint(W))


def has_classical_randomness(gens) -> bool:
    """Whether the realisation has iid diagonal entries (activations, commuting families):
    their empirical laws fluctuate like 1/sqrt(N), not like the O(1/N) of invariant ensembles."""
    fams = families(gens)
    return any(g.kind == "activation" for f in fams for g in f) or any(len(f) > 1 for f in fams)
