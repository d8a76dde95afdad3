"""The Fisher information of residual MLPs: freeness with amalgamation over the diagonals.

For a residual network x^l = x^{l-1} + alpha phi(W_l x^{l-1} + b_l) with output x^L and the
weights as parameters, the per-sample Fisher information (the dual of the NTK) is

    K_L = sum_l kappa_l (B_l S_l)(B_l S_l)^T,    B_l = A_L ... A_{l+1},   A_l = I + alpha S_l W_l,

with S_l = D'_l = sigma_w diag(phi'(h^l)), W_l = O_l (Haar orthogonal) or C_l (Ginibre,
entries of variance 1/N), and kappa_l = alpha^2 (|x^{l-1}|^2/N)/sigma_w^2 from the mean field
(|x^{l-1}|^2/N = (q_l - sigma_b^2)/sigma_w^2). Equivalently K_1 = kappa_1 S_1^2 and
K_l = A_l K_{l-1} A_l^T + kappa_l S_l^2.

**Why it is not a free product of layers.** Along the skip path the diagonals of different
layers meet with no weight matrix between them (K_2 contains kappa_1 S_1^2 + kappa_2 S_2^2).
The S_l are independent *commuting* diagonal matrices, which is classical independence, not
freeness. The weights are free from the whole diagonal algebra 𝒟 (and from each other), so the
right model keeps 𝒟 commutative: with the activation generators of all layers declared one
commuting family (:func:`freealg.commuting`), the linearization of K_L is exact. Measured on
ReLU, L = 2, alpha = 1/2: the model has gaps at (0.05, 0.15) and (0.24, 0.31) and an atom of mass
1/4 at 0, like real networks; a free-layer model has no atom there.

**The compact pencil.** With e_L = y, e_{l-1} = A_l^T e_l (so e_l = B_l^T y) and T e = E y
(T = I - N, N_{l-1, l} = A_l^T), K = E^T T^{-T} Sigma T^{-1} E with Sigma = diag(kappa_l S_l^2),
so that the (1, 1) entry of the inverse of the self-adjoint block matrix

    P = [[z, E^T, 0], [E, 0, T], [0, T^T, -Sigma]]

is (z - K)^{-1} (a Schur complement; the inverse of [[0, T], [T^T, -Sigma]] has
T^{-T} Sigma T^{-1} as its first block). Each product -alpha O_l^T S_l of T is split by two more
blocks (m1, m2) with [[0, -1], [-1, 0]] between them. P has size 4L - 1, linear in the O_l
(P[C_{l-1}, m1_l] = O_l^T) and in 𝒟 otherwise: P = Lambda - c(d) - V with V = sum_l V_l.

**The equations.** c(d) lies in M_k(𝒟) and every V_l in M_k(W*(O_l)); O_l is free from 𝒟, so
the V_l and c are free with amalgamation over M_k(C) (Belinschi-Mai-Speicher 2017), and

    G = E_d[(P_det(d) - R(G))^{-1}],     G_K(z) = G_{11},

the expectation taken over the product law of the layers' diagonal entries d = (d_1, ..., d_L)
(exact finite sums for activations whose derivative takes finitely many values; continuous laws:
:mod:`freealg.nn.residual_fisher_smooth`). V_l is the
hermitization [[0, -O_l^T], [-O_l, 0]] on the index pair (i, j) = (C_{l-1}, m1_l); its
M_k-valued R-transform only sees G_ii and G_jj (R-diagonal elements,
Nica-Shlyakhtenko-Speicher 2001):

* Haar: R_ii = G_jj rho_l, R_jj = G_ii rho_l, with x_l rho_l^2 + rho_l - 1 = 0 and x_l = G_ii G_jj
  (rho = sum_n (-1)^{n-1} Cat_{n-1} x^{n-1}, the free cumulants of a Haar unitary);
* Ginibre (circular): R_ii = G_jj, R_jj = G_ii.

So the unknowns are 2(L - 1) diagonal entries of G (and the L - 1 rho_l), whatever the pencil
size: one Newton system of 3(L - 1) complex unknowns, continued from Im z and a regularising
i eps on the pencil's other diagonal entries (both large, where G ~ Lambda^{-1}) down to the
target. The compiler's linearization of the expanded polynomial with the same commuting family
(``MLP.fisher_system``) is an independent check (the tests compare them): its pencil grows like
4^L, this one like 4 L.

**lambda_max.** Above the spectrum the unknowns are real; the right edge is the first fold of
the real branch met from the right, where the Jacobian J of the equations becomes singular. It is
located by marching down the real axis, then solved as the regular system (Moore-Spence 1980)
F(u, x) = 0, J(u, x) v = 0, l.v = 1 by Newton, and refined at ``dps`` digits with residuals in
mpmath and the float64 Jacobian (each step gains about 13 digits).

**The path form.** With the weights replaced by their R-terms (diagonal entries) the pencil is
a path with pendants, and the diagonal of its inverse two continued fractions, O(L) per
pattern (``_path_diag``, ``_path_average``; one element-wise code for complex float64 batches
and mpmath object arrays). It serves the march and the fold on the real axis (Jacobians and
J v by complex steps, exact to rounding; the march's corrector takes chord steps on residuals
alone) and the mpmath residuals. Off the real axis (``cauchy``, ``density``) each pattern's
pencil is solved densely with the analytic Jacobian: forward differences there stall Newton
near the edge at large alpha. The tests check the two evaluations against each other.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..numeric.memory import check_memory_size

__all__ = ["ResidualFisher"]

_NO_FOLD = ("the right end is not a square-root edge of the real branch (e.g. linear "
            "activations, whose edges are arcsine-like, or an atom at the top); use "
            "lambda_max(method='spectrum') or sample_fisher()")


_TINY = 1e-300


def _path_diag(A, tiny):
    """(Lf, Rf, Gd) for symmetric tridiagonal matrices with diagonals A (..., n) and
    off-diagonal products 1: the continued fractions from the left and from the right, and the
    diagonal of the inverse, Gd_i = 1/(Lf_i + Rf_i - A_i). A zero pivot becomes ``tiny`` (an
    exact zero of ReLU's d_l = 0). Element-wise: complex arrays or mpmath object arrays."""
    n = A.shape[-1]
    At = np.ascontiguousarray(np.moveaxis(A, -1, 0))    # path position first: contiguous rows
    Lf, Rf = np.empty_like(At), np.empty_like(At)
    Lf[0] = At[0]
    for i in range(1, n):
        Lf[i] = At[i] - 1 / np.where(Lf[i - 1] == 0, tiny, Lf[i - 1])
    Rf[n - 1] = At[n - 1]
    for i in range(n - 2, -1, -1):
        Rf[i] = At[i] - 1 / np.where(Rf[i + 1] == 0, tiny, Rf[i + 1])
    Gd = 1 / (Lf + Rf - At)
    return np.moveaxis(Lf, 0, -1), np.moveaxis(Rf, 0, -1), np.moveaxis(Gd, 0, -1)


class ResidualFisher:
    """The residual Fisher information K_L of the module docstring, solved on its compact pencil.

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.nn.residual_fisher import ResidualFisher
    >>> relu = ((0, sp.sqrt(2)), (sp.Rational(1, 2), sp.Rational(1, 2)))   # D' = sqrt 2 phi'
    >>> rf = ResidualFisher(sp.Rational(1, 2), [sp.Rational(1, 8)] * 2, [relu, relu])
    >>> rf.k, rf.atoms_count                    # pencil size 4 L - 1, 2^L diagonal patterns
    (7, 4)
    >>> print(mpmath.nstr(rf.lambda_max(20), 15))
    0.850926257571973

    Parameters
    ----------
    alpha : number
        The residual weight alpha >= 0.
    kappas : sequence
        kappa_1, ..., kappa_L (exact numbers).
    layers : sequence
        For each layer, ``(points, weights)``: the finite law of the diagonal entries of
        S_l = D'_l (exact numbers).
    weights : {"orthogonal", "gaussian"}
        Haar orthogonal or Ginibre weight matrices.
    """

    _march_stop = 1e-4          # relative step at which the march hands over to Moore-Spence
    _no_fold = _NO_FOLD
    # float64 evaluations: on the real axis (the march, the fold) by the path form with
    # complex-step Jacobians (exact to rounding); off the axis by dense solves per pattern
    # with the analytic Jacobian (forward differences there stall Newton near the edge at
    # large alpha). _dense = True: dense everywhere (the reference in the tests).
    _dense = False
    _dense_off_axis = True

    def __init__(self, alpha: Any, kappas: Sequence, layers: Sequence,
                 weights: str = "orthogonal"):
        self._common(alpha, kappas, "layers", layers, weights)
        L = self.L
        self.layers = [(tuple(sp.sympify(p) for p in pts), tuple(sp.sympify(w) for w in ws))
                       for pts, ws in layers]
        for pts, ws in self.layers:
            if (len(pts) != len(ws) or not pts or not all(v.is_number and v.is_real for v in pts)
                    or not all(w.is_number and w >= 0 for w in ws)
                    or abs(float(sum(ws)) - 1) > 1e-12):
                raise InvalidParameterError("layers", layers, "each layer is (points, weights): "
                                            "real points, weights >= 0 summing to 1")
        self.k = 4 * L - 1
        npat = 1
        for pts, _ in self.layers:
            npat *= len(pts)
        # one point needs the pencils of every pattern and a few work copies (complex128)
        check_memory_size(6 * 16 * npat * self.k ** 2, "layers", f"{L} layers, {npat} "
                          "diagonal patterns", f"the pencils of {npat} patterns of size {self.k}",
                          "use fewer layers or activations with fewer derivative values, or "
                          "sample the network with sample_fisher()")
        combos = list(itertools.product(*[list(zip(p, w)) for p, w in self.layers]))
        self.atoms_count = len(combos)
        self._s = [[c[0] for c in combo] for combo in combos]          # exact values
        self._w = [sp.Mul(*[c[1] for c in combo]) for combo in combos]
        s = np.array([[float(v) for v in row] for row in self._s]).reshape(len(combos), L)
        self.weights_np = np.array([float(w) for w in self._w])
        self.P_np = self._pencil(s, [float(q) for q in self.kappas], float(self.alpha), np)
        idx = []
        for l in range(2, L + 1):
            idx += [self._C(l - 1), self._M1(l)]
        self.nI = len(idx)
        self.I = np.array(idx + [0], int)        # the unknowns' indices, then the (1, 1) entry
        self.nu = self.nI + (L - 1 if self.haar else 0)
        self._mp: dict = {}

    def _common(self, alpha: Any, kappas: Sequence, name: str, layers: Sequence,
                weights: str) -> None:
        """Check and set L, haar, alpha and kappas (shared with the smooth variant)."""
        L = len(layers)
        if L < 1 or len(kappas) != L:
            raise InvalidParameterError(name, layers, "need one law and one kappa per layer")
        if weights not in ("orthogonal", "gaussian"):
            raise InvalidParameterError("weights", weights, "use 'orthogonal' or 'gaussian'")
        self.L, self.haar = L, weights == "orthogonal"
        self.alpha = sp.sympify(alpha)
        if not (self.alpha.is_number and self.alpha.is_real and self.alpha >= 0):
            raise InvalidParameterError("alpha", alpha, "must be a real number >= 0")
        self.kappas = [sp.sympify(q) for q in kappas]
        if not all(q.is_number and q.is_real and q >= 0 for q in self.kappas):
            raise InvalidParameterError("kappas", kappas, "must be real numbers >= 0")

    def __repr__(self) -> str:
        return (f"ResidualFisher(L={self.L}, alpha={self.alpha}, weights="
                f"{'orthogonal' if self.haar else 'gaussian'}, pencil {self.k} x {self.k}, "
                f"{self.atoms_count} diagonal patterns)")

    # the pencil -------------------------------------------------------------------------------
    def _C(self, l):
        return l

    def _E(self, l):
        return self.L + l

    def _M1(self, l):
        return 2 * self.L + 1 + 2 * (l - 2)

    def _M2(self, l):
        return 2 * self.L + 2 + 2 * (l - 2)

    def _pencil(self, s, kap, a, lib):
        """P_det(d) at z = 0 for every diagonal pattern (rows of s), as an (nd, k, k) array."""
        L, k, nd = self.L, self.k, len(s)
        P = np.zeros((nd, k, k), dtype=object if lib is not np else float)
        if lib is not np:
            P[...] = 0
        for n in range(nd):
            Q = P[n]
            Q[0, self._C(L)] = Q[self._C(L), 0] = 1
            for l in range(1, L + 1):
                Q[self._C(l), self._E(l)] = Q[self._E(l), self._C(l)] = 1
                Q[self._E(l), self._E(l)] = -kap[l - 1] * s[n][l - 1] ** 2
            for l in range(2, L + 1):
                Q[self._C(l - 1), self._E(l)] = Q[self._E(l), self._C(l - 1)] = -1
                Q[self._M1(l), self._M2(l)] = Q[self._M2(l), self._M1(l)] = -1
                Q[self._M2(l), self._E(l)] = Q[self._E(l), self._M2(l)] = -a * s[n][l - 1]
        return P

    def pencil(self) -> sp.Matrix:
        """The symbolic pencil P_det + O-terms (d_l the diagonal entries of S_l), for display.

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> rf = ResidualFisher(1, [1], [((1,), (1,))])
        >>> rf.pencil()                             # (1, 1) entry of the inverse: 1/(z - d_1^2)
        Matrix([
        [z, 1,         0],
        [1, 0,         1],
        [0, 1, -d_1**2]])
        """
        z = sp.Symbol("z")
        ds = [[sp.Symbol(f"d_{l}") for l in range(1, self.L + 1)]]
        ks = [sp.Symbol(f"kappa_{l}") if q != 1 else 1 for l, q in
              zip(range(1, self.L + 1), self.kappas)]
        a = sp.Symbol("alpha") if self.alpha != 1 else 1
        P = sp.Matrix(self._pencil(ds, ks, a, sp)[0].tolist())
        P[0, 0] = z
        for l in range(2, self.L + 1):
            O = sp.Symbol(f"O_{l}", commutative=False)
            P[self._C(l - 1), self._M1(l)] = sp.Symbol(f"O_{l}^T", commutative=False)
            P[self._M1(l), self._C(l - 1)] = O
        return P

    def latex(self) -> str:
        """The equations as LaTeX (the pencil, the subordination and the R-transforms).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> relu = ((0, sp.sqrt(2)), (sp.Rational(1, 2), sp.Rational(1, 2)))
        >>> tex = ResidualFisher(sp.Rational(1, 2), [sp.Rational(1, 8)] * 2, [relu] * 2).latex()
        >>> r"\\mathbb{E}_{d}" in tex and r"\\rho_{2}" in tex
        True
        >>> tex.startswith(r"\\begin{gathered}")     # math mode, as fa.latex(rf) gives it
        True
        """
        rows = [r"G_{K}(z) = \mathbf{G}_{11}, \quad \mathbf{G} = \mathbb{E}_{d}\left[\left("
                r"P_{\det}(d) + i\varepsilon (1 - e_{11}) - R(\mathbf{G})\right)^{-1}\right],"
                r"\ \varepsilon \to 0^{+}",
                r"P = " + sp.latex(self.pencil()) + r" = P_{\det}(d) + (O\text{-terms})"]
        for l in range(2, self.L + 1):
            i, j = self._C(l - 1) + 1, self._M1(l) + 1
            gi, gj = rf"\mathbf{{G}}_{{{i}{i}}}", rf"\mathbf{{G}}_{{{j}{j}}}"
            if self.haar:
                rows.append(rf"R_{{{i}{i}}} = {gj}\,\rho_{{{l}}},\ R_{{{j}{j}}} = {gi}\,"
                            rf"\rho_{{{l}}},\ {gi}{gj}\,\rho_{{{l}}}^{{2}} + \rho_{{{l}}} - 1 = 0")
            else:
                rows.append(rf"R_{{{i}{i}}} = {gj},\ R_{{{j}{j}}} = {gi}")
        rows.append(r"\text{independent: } " + self._laws_latex())
        if any(q != 1 for q in self.kappas):
            rows.append(", ".join(rf"\kappa_{{{l + 1}}} = {sp.latex(q)}"
                                  for l, q in enumerate(self.kappas)))
        if self.alpha != 1:
            rows.append(rf"\alpha = {sp.latex(self.alpha)}")
        return r"\begin{gathered} " + r" \\ ".join(rows) + r" \end{gathered}"

    def _laws_latex(self) -> str:
        return ", ".join(f"d_{{{l + 1}}} \\sim " + " + ".join(
            f"{sp.latex(w)}\\,\\delta_{{{sp.latex(p)}}}" for p, w in zip(*self.layers[l]))
            for l in range(self.L))

    def _latex(self, printer=None) -> str:
        return self.latex()

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    # float64 ----------------------------------------------------------------------------------
    def _R(self, u):
        nI = self.nI
        R = np.empty(u.shape[:-1] + (nI,), dtype=u.dtype)
        gi, gj = u[..., 0:nI:2], u[..., 1:nI:2]
        if self.haar:
            rho = u[..., nI:]
            R[..., 0::2], R[..., 1::2] = gj * rho, gi * rho
        else:
            R[..., 0::2], R[..., 1::2] = gj, gi
        return R

    # the path form ------------------------------------------------------------------------
    def _pos_C(self, l: int) -> int:
        return 2 * (self.L - l) + 1

    def _pos_E(self, l: int) -> int:
        return 2 * (self.L - l) + 2

    def _path_matrix(self, u, z, ie, S, kap, a2):
        """The path form's diagonal A (B, P, n) for the rows u (B, nu) at z (B,), the patterns
        S (P, L) of s_l = d_l^2 and the shift ie = i eps (B,) (0 on the real axis), with the
        pendant's determinant and (M2, M2) entry: (A, c, detp, aM2). Element-wise numpy only:
        complex float64 batches, or mpmath object arrays (B = 1, eps = 0)."""
        B, L, n = u.shape[0], self.L, 2 * self.L + 1
        R = self._R(u)
        RC, RM = R[:, 0::2], R[:, 1::2]          # R at C_{l-1} and at M1_l, l = 2..L
        ie = np.asarray(ie)[:, None] if np.ndim(ie) else ie
        aM1 = -RM + ie                                       # (B, L-1)
        aM2 = ie
        detp = aM2 * aM1 - 1
        dtype = object if u.dtype == object else complex
        c = np.empty((B, L), dtype=dtype)
        c[:, 0] = kap[0]
        for l in range(2, L + 1):
            c[:, l - 1] = kap[l - 1] + a2 * (aM1[:, l - 2] / detp[:, l - 2])
        A = np.empty((B, S.shape[0], n), dtype=dtype)
        A[:, :, 0] = np.asarray(z).reshape(B, 1)
        A[:, :, self._pos_C(L)] = ie
        for l in range(1, L):
            A[:, :, self._pos_C(l)] = -RC[:, l - 1, None] + ie
        for l in range(1, L + 1):
            A[:, :, self._pos_E(l)] = ie - S[None, :, l - 1] * c[:, l - 1, None]
        return A, c, detp, aM2

    def _path_average(self, u, z, ie, S, W, kap, a2, tiny):
        """E over the patterns (rows of S, weights W) of the unknowns' entries (C_{l-1} and
        M1_l, l = 2..L) and of G_11: (B, nI + 1). The last layer is one more column of S."""
        A, _, detp, aM2 = self._path_matrix(u, z, ie, S, kap, a2)
        _, _, Gd = _path_diag(A, tiny)
        return (self._path_columns(Gd, S, detp, aM2, a2) * W[None, :, None]).sum(axis=1)

    def _path_columns(self, Gd, S, detp, aM2, a2, sGE_last=None):
        """Per pattern, the unknowns' entries and G_11 from the path's inverse diagonal Gd
        (B, P, n): G at C_{l-1}, and G at M1_l = aM2/detp + alpha^2 s_l G_{E_l}/detp^2 (the
        pendant), l = 2..L; (B, P, nI + 1). ``sGE_last`` replaces s_L G_{E_L} (the smooth
        variant's exact average over the last layer)."""
        cols = []
        for l in range(2, self.L + 1):
            cols.append(Gd[..., self._pos_C(l - 1)])
            sGE = (S[None, :, l - 1] * Gd[..., self._pos_E(l)] if l < self.L or sGE_last is None
                   else sGE_last)
            d = detp[:, l - 2, None]
            cols.append(aM2 / d + a2 * sGE / d ** 2)
        cols.append(Gd[..., 0])
        return np.stack(cols, axis=-1)

    def _expect(self, u, z, eps, nb=None, real=False):
        """E_d of the unknowns' entries and of G_11 in float64 (the path form, all patterns)."""
        if "s2" not in self._mp:
            self._mp["s2"] = np.array([[float(v ** 2) for v in row] for row in self._s])
            self._mp["kap"] = [float(q) for q in self.kappas]
        return self._path_average(u, z, 1j * np.asarray(eps, float), self._mp["s2"],
                                  self.weights_np, self._mp["kap"], float(self.alpha) ** 2,
                                  _TINY)

    def _eval(self, u, z, eps, jac=True):
        """Residuals F (nz, nu), Jacobian dF/du (nz, nu, nu), dF/dz (nz, nu), G_11 (nz), on the
        path form (``_expect``) or, for finite laws off the real axis, the dense pencils.

        The Jacobian by complex steps where u, z are real and eps = 0 (the march to the edge:
        exact to rounding), by forward differences elsewhere (F is holomorphic in u and z)."""
        eps = np.asarray(eps, float)
        real = (np.all(u.imag == 0) and np.all(z.imag == 0) and np.all(eps == 0))
        if self._dense or (self._dense_off_axis and not real):
            return self._eval_dense(u, z, eps, jac)
        nz, nI, nu = u.shape[0], self.nI, self.nu
        if not jac or nu == 0:
            EG = self._expect(u, z, eps, None, real)
            F = self._assemble(u, EG[:, :nI])[0]
            if not jac:
                return F, None, None, EG[:, nI]
            return F, np.zeros((nz, 0, 0), complex), np.zeros((nz, 0), complex), EG[:, nI]
        scale = 1.0 + np.abs(u)
        if real:           # complex steps: exact to rounding
            hs, hz = 1e-30 * scale, 1e-30 * (1.0 + np.abs(z))
            steps = [(c, 1j * hs[:, c]) for c in range(nu)] + [(nu, 1j * hz)]
        else:              # forward differences (the Newton iteration needs no more)
            hs, hz = 1e-7 * scale, 1e-7 * (1.0 + np.abs(z))
            steps = [(c, hs[:, c]) for c in range(nu)] + [(nu, hz)]
        U, Z = [u], [z]
        for c, h in steps:
            uu, zz = u.copy(), z
            if c < nu:
                uu[:, c] += h
            else:
                zz = z + h
            U.append(uu)
            Z.append(zz)
        Ub, Zb = np.concatenate(U), np.concatenate(Z)
        EG = self._expect(Ub, Zb, np.tile(eps, len(U)), nz, real)
        Fb = self._assemble(Ub, EG[:, :nI])[0].reshape(len(U), nz, nu)
        F, G11 = Fb[0], EG[:nz, nI]
        J = np.empty((nz, nu, nu), complex)
        for c in range(nu):
            J[:, :, c] = (Fb[1 + c].imag / hs[:, c, None] if real
                          else (Fb[1 + c] - F) / hs[:, c, None])
        Fz = Fb[1 + nu].imag / hz[:, None] if real else (Fb[1 + nu] - F) / hz[:, None]
        return F, J, Fz, G11

    def _eval_dense(self, u, z, eps, jac=True):
        """``_eval`` on the compact pencil: a dense solve per pattern, with the analytic
        Jacobian (the reference for the path form; ``_dense = True`` selects it)."""
        nz, k, nI = u.shape[0], self.k, self.nI
        M = np.empty((nz,) + self.P_np.shape, complex)
        M[...] = self.P_np[None]
        M[:, :, 0, 0] += z[:, None]
        d = np.arange(1, k)
        M[:, :, d, d] += 1j * eps[:, None, None]
        Ii = self.I[:nI]
        M[:, :, Ii, Ii] -= self._R(u)[:, None, :]
        rhs = np.zeros((k, nI + 1), complex)
        rhs[self.I, np.arange(nI + 1)] = 1
        with np.errstate(all="ignore"):
            try:
                X = np.linalg.solve(M, np.broadcast_to(rhs, M.shape[:2] + rhs.shape))
            except np.linalg.LinAlgError:  # an exactly singular pattern: not a solution here
                X = np.full(M.shape[:2] + rhs.shape, np.nan, complex)
        GI = X[:, :, self.I, :]                         # G[I', I'] per pattern
        w = self.weights_np
        EG = np.einsum("d,zdab->zab", w, GI)
        G11 = EG[:, nI, nI]
        EGd = np.einsum("zaa->za", EG[:, :nI, :nI])
        if not jac:
            return self._assemble(u, EGd)[0], None, None, G11
        Jr = np.einsum("d,zdac,zdca->zac", w, GI[:, :, :nI, :nI], GI[:, :, :nI, :nI])
        F, J = self._assemble(u, EGd, Jr)
        Fz = np.zeros((nz, self.nu), complex)     # dG/dz = -G e11 G
        Fz[:, :nI] = np.einsum("d,zda,zda->za", w, GI[:, :, :nI, nI], GI[:, :, nI, :nI])
        return F, J, Fz, G11

    def _assemble(self, u, EGd, Jr=None):
        """The residuals F (nz, nu) and, given Jr, dF/du (nz, nu, nu) from the averages
        EGd = E_d[G_aa] (nz, nI) and Jr = E_d[G_ac G_ca] (nz, nI, nI) (dG_aa/dR_c). Element-wise
        and matmul only, so one code serves complex float64 batches and mpmath object arrays."""
        nz, nI, nu = u.shape[0], self.nI, self.nu
        F = np.empty((nz, nu), dtype=u.dtype)
        F[:, :nI] = u[:, :nI] - EGd
        if self.haar:
            rho = u[:, nI:]
            F[:, nI:] = u[:, 0:nI:2] * u[:, 1:nI:2] * rho ** 2 + rho - 1
        if Jr is None:
            return F, None
        dR = np.zeros((nz, nI, nu), dtype=u.dtype)       # dR/du
        J = np.zeros((nz, nu, nu), dtype=u.dtype)
        for p in range(nI // 2):
            i, j = 2 * p, 2 * p + 1
            if self.haar:
                r = nI + p
                dR[:, i, j] = dR[:, j, i] = u[:, r]
                dR[:, i, r], dR[:, j, r] = u[:, j], u[:, i]
                J[:, r, i] = u[:, j] * u[:, r] ** 2
                J[:, r, j] = u[:, i] * u[:, r] ** 2
                J[:, r, r] = 2 * u[:, i] * u[:, j] * u[:, r] + 1
            else:
                dR[:, i, j] = dR[:, j, i] = 1
        for a in range(nI):
            J[:, a, a] = 1
        J[:, :nI, :] -= Jr @ dR
        return F, J

    def _newton(self, u, z, eps, maxit=20, tol=1e-13):
        if self.nu == 0:                 # one layer: no weight matrix, G is a finite sum
            return u, np.zeros(u.shape[0]), self._eval(u, z, eps, jac=False)[3]
        for _ in range(maxit):
            F, J, _, _ = self._eval(u, z, eps)
            with np.errstate(all="ignore"):
                du = np.linalg.solve(J, F[..., None])[..., 0]
            u = u - du
            if not np.all(np.isfinite(u)):
                break
            if np.max(np.abs(du) / (1 + np.abs(u))) < tol:
                break
        F, _, _, G11 = self._eval(u, z, eps, jac=False)
        return u, np.max(np.abs(F), axis=1), G11

    def _continue(self, z, steps):
        """(u, residual, G_11) at the points z, continued from Im z = eps = 10 ||K|| (where
        G ~ Lambda^{-1}: u = -i/scale, rho = 1) down to Im z and eps = 0 in ``steps``
        geometric steps, with Newton at each."""
        scale = 10.0 * max(self.norm_bound(), 1.0)
        u = np.zeros((z.size, self.nu), complex)
        u[:, :self.nI] = -1j / scale
        if self.haar:
            u[:, self.nI:] = 1
        for t in list(np.geomspace(1.0, 1e-12, steps)) + [0.0]:
            zt = z.real + 1j * (z.imag + (scale - z.imag) * t)
            u, res, G = self._newton(u, zt, np.full(z.size, scale * t))
        return u, res, G

    def _sup_abs_d(self) -> list:
        """sup |d_l| per layer."""
        return [max(abs(float(p)) for p in pts) for pts, _ in self.layers]

    def norm_bound(self) -> float:
        """An upper bound of ||K_L|| (||O|| = 1, ||C|| = 2).

        Examples
        --------
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> ResidualFisher(1, [1], [((2,), (1,))]).norm_bound()    # K = d^2 = 4
        4.0
        """
        a, nw = float(self.alpha), (1.0 if self.haar else 2.0)
        smax = self._sup_abs_d()
        out = 0.0
        for l in range(self.L):
            g = 1.0
            for m in range(l + 1, self.L):
                g *= (1 + a * nw * smax[m]) ** 2
            out += float(self.kappas[l]) * smax[l] ** 2 * g
        return out

    def cauchy(self, z: Any, steps: int = 60) -> np.ndarray:
        """G_K(z) in float64 for Im z >= 0 (continued from Im z = 10 ||K|| down to the target).

        Examples
        --------
        >>> import numpy as np
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> rf = ResidualFisher(1, [1], [((0, 1), (0.5, 0.5))])    # K = d^2: bernoulli(1/2)
        >>> complex(rf.cauchy(2j)[0]) == complex(0.5 / 2j + 0.5 / (2j - 1))
        True

        Raises
        ------
        NoConvergence
            When a point's residual stays above 1e-9 (the result would not be the solution).
        """
        z = np.atleast_1d(np.asarray(z, complex)).ravel()
        if np.any(z.imag < 0) or not np.all(np.isfinite(z)):
            raise InvalidParameterError("z", z, "points need finite values with Im z >= 0 "
                                        "(G(conj z) = conj G(z))")
        out = np.empty(z.size, complex)
        chunk = max(1, int(4e7 // (16 * self.atoms_count * self.k * self.k)))
        for a in range(0, z.size, chunk):
            zz = z[a:a + chunk]
            u, res, G = self._continue(zz, steps)
            bad = ~(res < 1e-9)
            if np.any(bad):
                raise NoConvergence("residual Fisher Cauchy transform", steps=steps,
                                    residual=float(np.nanmax(np.where(bad, res, 0)) if
                                                   np.any(np.isfinite(res)) else np.inf),
                                    point=complex(zz[bad][0]),
                                    advice="move the point off the real axis (a small Im z) "
                                           "or raise steps")
            out[a:a + chunk] = G
        return out

    def density(self, x: Any) -> np.ndarray:
        """The density -Im G_K(x + i 0)/pi at real points (float64; atoms excluded).

        Examples
        --------
        >>> import numpy as np
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> rf = ResidualFisher(1, [1], [((1,), (1,))])     # K = 1: no density off the atom
        >>> rf.density(np.array([0.5, 2.0]))
        array([0., 0.])
        """
        x = np.asarray(x, float)
        G = self.cauchy(x.ravel() + 0j)
        return np.maximum(-G.imag / np.pi, 0.0).reshape(x.shape)

    # lambda_max -------------------------------------------------------------------------------
    def _real_solution(self, x0):
        u, res, _ = self._continue(np.array([x0 + 0j]), 30)
        big = 1 + np.max(np.abs(u))
        if not res[0] < 1e-9 * big or np.max(np.abs(u.imag)) > 1e-8 * big:
            raise NoConvergence("residual Fisher: real solution above the spectrum",
                                residual=float(res[0]), point=x0)
        return u[0].real

    def _real(self, u, x):
        F, J, Fz, _ = self._eval(u[None].astype(complex), np.array([x + 0j]), np.zeros(1))
        return F[0].real, J[0].real, Fz[0].real

    def _real_F(self, u, x):
        """F alone at real (u, x), eps = 0."""
        return self._eval(u[None].astype(complex), np.array([x + 0j]), np.zeros(1),
                          jac=False)[0][0].real

    def _march(self):
        """The last real solution before the fold, met from the right: (u, x, J).

        Predictor (the tangent du/dx = -J^{-1} dF/dx) and a chord corrector (Newton with the last
        point's J: residuals only, each a fraction of a Jacobian's cost) down the real axis;
        a step is accepted only when the corrector converges in a few iterations, moves u by
        little compared with the predicted change, and det J keeps its sign (so the march
        never jumps past the fold onto another branch). The steps shrink as du/dx blows up at
        the fold."""
        B = max(self.norm_bound(), 1e-300)
        x = 1.02 * B + 1e-12
        u = self._real_solution(x)
        self._reference(u, x)
        F, J, Fz = self._real(u, x)
        sign = np.sign(np.linalg.det(J))
        h = B / 4
        for _ in range(4000):
            t = -np.linalg.solve(J, Fz)                 # du/dx
            scale_u = 1 + np.max(np.abs(u))
            h = min(h, 0.05 * scale_u / max(np.max(np.abs(t)), 1e-300))
            if h < self._march_stop * max(x, B * 1e-6) or x < 0:   # near enough: Moore-Spence
                break
            xn, un = x - h, u - h * t
            ok, Jc, last = False, J, np.inf
            for _ in range(10):    # chord iterations: F alone (cheap), J renewed if slow
                Fn = self._real_F(un, xn)
                if not np.all(np.isfinite(Fn)):
                    break
                try:
                    du = np.linalg.solve(Jc, Fn)
                except np.linalg.LinAlgError:
                    break
                un = un - du
                size = np.max(np.abs(du))
                if size < 1e-12 * scale_u:
                    ok = True
                    break
                if size > 0.1 * last:     # contraction too slow: Newton's J at this iterate
                    Jc = self._real(un, xn)[1]
                    if not np.all(np.isfinite(Jc)):
                        break
                last = size
            if ok:
                Fn, Jn, Fzn = self._real(un, xn)
                ok = (np.max(np.abs(Fn)) < 1e-10 * scale_u and np.sign(np.linalg.det(Jn)) == sign
                      and np.max(np.abs(un - (u - h * t))) < 0.2 * h * np.max(np.abs(t))
                      + 1e-10 * scale_u and self._physical(un, xn))
            if ok:
                u, x, J, Fz = un, xn, Jn, Fzn
                h *= 2
            else:
                h /= 4
        return u, x, J

    def _reference(self, u, x) -> None:
        """Hook: note the real solution above the spectrum where the march starts."""

    def _physical(self, u, x) -> bool:
        """Hook: whether the real solution u at x may still be the physical one (the march
        rejects a step that fails this). Finite laws: always (their poles give folds)."""
        return True

    def _aug(self, w, ell, ev):
        """Moore-Spence residual at w = (u, x, v): F, J v, ell.v - 1 (evaluator ``ev``)."""
        n = self.nu
        u, x, v = w[:n], w[n], w[n + 1:]
        F, J, _ = ev(u, x)
        return np.concatenate([F, J @ v, [ell @ v - 1]])

    def _fold_np(self, start=None):
        """The fold (w = (u, x, v), ell) by Moore-Spence Newton, from the end of the march or
        from ``start`` = (w, ell) (a nearby fold, e.g. of a coarser quadrature)."""
        if start is None:
            w, ell = self._fold_start(*self._march())
        else:
            w, ell = np.array(start[0], float), start[1]
        with np.errstate(all="ignore"):
            for _ in range(40):
                r = self._aug(w, ell, self._real)
                Ja = self._aug_jac(w, ell)
                if not (np.all(np.isfinite(r)) and np.all(np.isfinite(Ja))):
                    break
                A, rs, cs = self._equilibrated(Ja)
                try:
                    dw = np.linalg.lstsq(A, r / rs, rcond=None)[0] / cs
                except np.linalg.LinAlgError:
                    break
                for _ in range(3):       # a step off the real branch's domain: shorten it
                    wn = w - dw
                    if np.all(np.isfinite(self._real_F(wn[:self.nu], wn[self.nu]))):
                        break
                    dw = dw / 4
                else:                    # Newton points out of the domain: no fold near
                    break
                w = w - dw
                if np.max(np.abs(dw)) < 1e-14 * (1 + np.max(np.abs(w))):
                    break
            r = self._aug(w, ell, self._real)
        if not np.max(np.abs(r)) < 1e-10 * (1 + np.max(np.abs(w[:self.nu]))):   # NaN too
            raise NoConvergence("residual Fisher: the fold (right edge)", residual=float(
                np.max(np.abs(r))), point=float(w[self.nu]),
                advice=self._no_fold)
        return w, ell

    def _fold_start(self, u, x, J):
        """Moore-Spence's start (w, ell) from the end of the march: the null vector of J."""
        if not x > 0 or not np.all(np.isfinite(u)):
            raise NoConvergence("residual Fisher: the fold (right edge)", point=float(x),
                                advice=self._no_fold)
        _, _, Vt = np.linalg.svd(J)
        v = Vt[-1]
        return np.concatenate([u, [x], v]), v / (v @ v)

    @staticmethod
    def _equilibrated(Ja):
        """(A, rs, cs) with A = diag(1/rs) Ja diag(1/cs) of unit max-norm rows and columns:
        the unknowns (x ~ lambda_max, the entries of G) can differ by orders of magnitude, and
        the unscaled system is then far worse conditioned than the problem."""
        cs = np.max(np.abs(Ja), axis=0)
        cs[cs == 0] = 1
        A = Ja / cs
        rs = np.max(np.abs(A), axis=1)
        rs[rs == 0] = 1
        return A / rs[:, None], rs, cs

    def _aug_jac(self, w, ell, central=False):
        n = self.nu
        u, x, v = w[:n], w[n], w[n + 1:]
        _, J, Fz = self._real(u, x)
        Ja = np.zeros((2 * n + 1, 2 * n + 1))
        Ja[:n, :n], Ja[:n, n] = J, Fz
        Ja[n:2 * n, n + 1:] = J
        rel = 1e-5 if central else 1e-7
        floor = 1e-8 * np.max(np.abs(w[:n + 1]))
        if not self._dense:
            Ja[n:2 * n, :n + 1] = self._dJv(u, x, v, rel, floor, central)
            Ja[2 * n, n + 1:] = ell
            return Ja
        Jv = J @ v
        for c in range(n + 1):           # d(J v)/d(u, x) by finite differences
            h = rel * (abs(w[c]) + floor)      # a step on the scale of each unknown
            e = np.zeros(n + 1)
            e[c] = h
            Jp = self._real(u + e[:n], x + e[n])[1] @ v
            if central:                  # error h^2: the mpmath refinement's contraction
                Ja[n:2 * n, c] = (Jp - self._real(u - e[:n], x - e[n])[1] @ v) / (2 * h)
            else:
                Ja[n:2 * n, c] = (Jp - Jv) / h
        Ja[2 * n, n + 1:] = ell
        return Ja

    def _dJv(self, u, x, v, rel, floor, central):
        """d(J v)/d(u, x) at real (u, x) on the path form, in one batch: J v by a complex step
        along v at (u, x) and at each point shifted by a finite-difference step h_c (of the
        scale of its unknown), the shifted points' G continued linearly from their base rows
        (exact for complex steps). The same differences as the dense route, without a full
        Jacobian per shift."""
        n = self.nu
        base = np.tile(np.concatenate([u, [x]]), (2 * n + 3 if central else n + 2, 1))
        hs = rel * (np.abs(np.concatenate([u, [x]])) + floor)
        for c in range(n + 1):
            base[1 + c, c] += hs[c]
            if central:
                base[n + 2 + c, c] -= hs[c]
        nb = base.shape[0]
        hv = 1e-30 * (1 + np.max(np.abs(u))) / max(np.max(np.abs(v)), 1e-300)
        U = np.concatenate([base[:, :n], base[:, :n] + 1j * hv * v[None, :]]).astype(complex)
        Z = np.concatenate([base[:, n], base[:, n]]).astype(complex)
        EG = self._expect(U, Z, np.zeros(2 * nb), nb, True)
        Jv = self._assemble(U, EG[:, :self.nI])[0][nb:].imag / hv       # (nb, n)
        if central:
            return ((Jv[1:n + 2] - Jv[n + 2:]) / (2 * hs[:, None])).T
        return ((Jv[1:n + 2] - Jv[0]) / hs[:, None]).T

    def _path_mp(self, u, x):
        """F at real x (eps = 0) in mpmath by the path form of the pencil: with each weight
        replaced by its R-terms the graph is the path 0 - C_L - E_L - ... - C_1 - E_1 (entries
        +-1) with a pendant E_l - M2_l - M1_l, which leaves E_l the entry -s_l c_l
        (s_l = d_l^2, c_l = kappa_l + alpha^2 R_{M1_l}) and gives G_{M1_l} = alpha^2 s_l G_{E_l};
        the diagonal of a tridiagonal inverse is two continued fractions (O(L) per pattern).
        ``u`` may be complex (complex steps)."""
        key = ("path", mpmath.mp.prec)
        if key not in self._mp:
            s = np.array([[mpmath.mpf(sp.N(v**2, mpmath.mp.dps + 10)) for v in row]
                          for row in self._s], dtype=object).reshape(len(self._s), self.L)
            kap = [mpmath.mpf(sp.N(q, mpmath.mp.dps + 10)) for q in self.kappas]
            a2 = mpmath.mpf(sp.N(self.alpha**2, mpmath.mp.dps + 10))
            ws = np.array([mpmath.mpf(sp.N(w, mpmath.mp.dps + 10)) for w in self._w],
                          dtype=object)
            self._mp[key] = (s, kap, a2, ws)
        s, kap, a2, ws = self._mp[key]
        U = np.array([u], dtype=object)
        tiny = mpmath.mpf(10) ** (-3 * mpmath.mp.dps)     # an exact zero pivot (d_l = 0)
        EG = self._path_average(U, np.array([x], dtype=object), 0, s, ws, kap, a2, tiny)
        return self._assemble(U, EG[:, :self.nI])[0][0]

    def _path_F_Jv_mp(self, u, x, v):
        """(F, J v) at real (u, x) in mpmath: J v by a complex step of size 10^-dps along v
        (F is analytic in u; no cancellation, error of order the step squared)."""
        h = mpmath.mpf(10) ** (-mpmath.mp.dps)
        F = self._path_mp(u, x)
        Fi = self._path_mp([a + mpmath.mpc(0, 1) * h * b for a, b in zip(u, v)], x)
        return list(F), [mpmath.im(f) / h for f in Fi]

    def lambda_max(self, dps: int = 30) -> Any:
        """The right edge of the law of K_L (the fold of the real branch), at ``dps`` digits.

        Examples
        --------
        >>> import sympy as sp, mpmath
        >>> from freealg.nn.residual_fisher import ResidualFisher
        >>> relu = ((0, sp.sqrt(2)), (sp.Rational(1, 2), sp.Rational(1, 2)))
        >>> rf = ResidualFisher(sp.Rational(1, 2), [sp.Rational(1, 8)] * 3, [relu] * 3)
        >>> a, b = rf.lambda_max(30), rf.lambda_max(40)   # each refined in its own precision
        >>> abs(a - b) < 1e-29
        True

        Raises
        ------
        NoConvergence
            When the march or the Newton refinement fails (with the residual).
        """
        if self.norm_bound() == 0:   # K = 0 (alpha = 0, or every S_l = 0)
            with mpmath.workdps(dps):
                return mpmath.mpf(0)
        if self.L == 1:              # K = kappa_1 S_1^2: a finite law, its top atom
            with mpmath.workdps(dps):
                return +max(mpmath.mpf(sp.N(self.kappas[0] * p**2, dps + 5))
                            for p in self.layers[0][0])
        w, ell = self._fold_np()
        n = self.nu
        if dps <= 15:
            with mpmath.workdps(dps):
                return +mpmath.mpf(float(w[n]))
        A, rs, cs = self._equilibrated(self._aug_jac(w, ell, central=True))
        Ainv = np.linalg.inv(A)
        with mpmath.workdps(dps + 10):
            W = [mpmath.mpf(float(t)) for t in w]
            L_ = [mpmath.mpf(float(t)) for t in ell]
            last = None
            for it in range(12):
                u, x, v = W[:n], W[n], W[n + 1:]
                F, Jv = self._path_F_Jv_mp(u, x, v)
                r = F + Jv + [mpmath.fsum(L_[b] * v[b] for b in range(n)) - 1]
                rn = np.array([float(t) for t in r])
                dw = (Ainv @ (rn / rs)) / cs
                W = [W[t] - mpmath.mpf(float(dw[t])) for t in range(len(W))]
                step = float(np.max(np.abs(dw)))
                # linear convergence (float64 Jacobian): the next step is about
                # step * (step / last); stop when ten times that is below the target
                tol = 10.0 ** (-dps - 3) * (1 + abs(float(W[n])))
                if step < tol or (last is not None and it >= 1
                                  and 10 * step * step / max(last, 1e-300) < tol):
                    break
                last = step
            else:
                raise NoConvergence("residual Fisher lambda_max (mpmath refinement)", dps=dps,
                                    steps=12, residual=float(np.max(np.abs(rn))),
                                    advice="lower dps")
            out = W[n]
        with mpmath.workdps(dps):
            return +out
