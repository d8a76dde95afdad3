"""Spectra of random MLPs from an architecture: Jacobians (dynamical isometry), the conditional
Fisher information / per-sample NTK, and the learning-rate threshold.

Model (equal widths N -> infinity): h^l = W^l x^{l-1} + b^l, x^l = phi(h^l), l = 1..L, weights
``"orthogonal"`` (W = sigma_w O, O Haar) or ``"gaussian"`` (entries N(0, sigma_w^2/N)), biases
N(0, sigma_b^2), input with ``|x^0|^2/N = q_0``. The pre-activations are N(0, q_l) (mean field,
:mod:`freealg.nn.meanfield`), so D_l = diag(phi'(h^l)) has the law of phi'(h), h ~ N(0, q_l).

* **Jacobian** J = D_L W_L ... D_1 W_1 (Pennington-Schoenholz-Ganguli 2017, 2018): written as
  the polynomial D'_L O_L ... D'_1 O_1 with D'_l = sigma_w D_l (orthogonal) or D'_l C_l with C_l
  circular (Gaussian), and compiled, so the S-transform product
  S_{JJ^T} = prod_l S_{sigma_w^2 D_l^2} (times the Marchenko-Pastur factor 1/(1+z) per Gaussian
  layer) comes out of the rules with its LaTeX. W_l and D_l are asymptotically free for Haar
  orthogonal W (Collins-Hayase 2023, arXiv:2103.13466).
* **Fisher information** of one sample (Hayase-Karakida 2021, arXiv:2006.07814) for the output
  h^L: with B_l = dh^L/dh^l, the per-sample FIM has the nonzero spectrum of
  ``H_L = sum_l (|x^{l-1}|^2/N) B_l B_l^T`` (the N x N dual of (1/N) J_theta^T J_theta, weight
  gradients; bias gradients add O(1/N)). It satisfies H_1 = qhat_0 and
  H_{l+1} = qhat_l + W_{l+1} D_l H_l D_l W_{l+1}^T, qhat_l = E[phi(h^l)^2] (qhat_0 = q_0), i.e.
  mu_{l+1} = delta_{qhat_l} * ((sigma_w^2 D_l^2) ⊠ mu_l) - again a polynomial, compiled.
* **Learning rate**: gradient descent on the loss ``1/2 |h^L - y|^2`` with step eta/N on the weights
  moves the output error by -eta H_L e, so it is stable only for eta < 2/lambda_max(H_L).

Examples
--------
>>> import freealg as fa
>>> net = fa.nn.MLP(depth=3, activation="relu")           # critical: sigma_w = sqrt(2)
>>> net.mean_field.regime()
'critical'
>>> sol = net.jacobian_spectrum()
>>> sol.moments(2)                                        # m_1 = chi^L = 1, m_2 = 1 + L
[1, 4]
>>> [(a.location, a.mass) for a in sol.atoms()]           # half of D_l^2 is 0 (Belinschi)
[(0, 1/2)]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..algebra import NCPoly, circular, haar_orthogonal
from ..algebra import activation as _activation_gen
from ..deps import blas_threads
from ..errors import InvalidParameterError
from ..progress import bar as progress_bar, check as check_progress
from ..numeric.display import escape, number_html, table_html
from ..numeric.solution import SpectralSolution
from ..reduce import compile_expr
from .activations import H, activation_expr, activation_numpy
from .meanfield import MeanField, critical_sigma_w
from .residual import (finite_layers, layer_law, parse_alpha, product_right_edge, residual_q,
                       residual_system)
from .widths import jacobian_law_system, parse_widths, weight_letter

__all__ = ["MLP"]


class MLP:
    """A random multilayer perceptron described by its architecture (module docstring).

    Examples
    --------
    >>> import freealg as fa
    >>> net = fa.nn.MLP(depth=2, activation="relu")
    >>> net                                     # sigma_w = sqrt(2): critical (chi = 1)
    MLP(depth=2, activation='relu', weights='orthogonal', sigma_w=sqrt(2), sigma_b=0)
    >>> net.jacobian_spectrum().moments(3)      # m_1 = chi^L = 1, m_2 = 1 + L
    [1, 3, 10]
    >>> wide = fa.nn.MLP(depth=2, activation="linear", widths=[1, "1/2", 2])
    >>> wide.jacobian_spectrum().atoms()        # 4 x a projection of rank N/2 in 2N
    [Atom(location=0, mass=3/4, error=0), Atom(location=4, mass=1/4, error=0)]
    >>> res = fa.nn.MLP(depth=1, activation="linear", residual="1/2")
    >>> res.jacobian_spectrum().moments(2)      # 1 + a^2 + 2a cos(theta): arcsine law
    [5/4, 33/16]

    Parameters
    ----------
    depth : int
        Number of layers L >= 1.
    activation : str, tuple or sympy expression
        "linear", "relu", "leaky_relu(alpha)", "hard_tanh", "tanh", "erf", "sigmoid",
        "silu"/"swish", "gelu", "softplus", "elu", "elu(alpha)", "selu", a (name, parameter)
        tuple or a sympy expression.
    weights : {"orthogonal", "gaussian"}
        Haar orthogonal or iid Gaussian weights.
    sigma_w : number, optional
        Weight scale; None picks the critical value chi = 1 for ``sigma_b`` (exact where a
        closed form exists: sqrt(2) for ReLU, 1 for linear and for tanh at sigma_b = 0; see
        :func:`~freealg.nn.critical_sigma_w`).
    sigma_b : number
        Bias standard deviation.
    q0 : number, optional
        Input norm ``|x^0|^2/N``; None starts at the fixed point q* (the setting of PSG 2017,
        where all layers share one law), or q0 = 1 where there is no isolated positive q*
        (q* = 0: the signal dies out; a continuum of fixed points).
    progress : bool or None
        Report the stages of the construction on stderr (critical sigma_w, fixed point); see
        :mod:`freealg.progress`. None: only in interactive sessions and for smooth
        activations.
    widths : sequence of rationals, optional
        Width ratios ``[n_0, ..., n_L]`` (layer l is ``n_l N x n_{l-1} N``); None: all equal.
        Gaussian weights have entries N(0, sigma_w^2/(n_{l-1} N)); orthogonal weights are
        rectangular Haar isometries scaled by sigma_w, and by sqrt(n_l/n_{l-1}) more on an
        expanding layer (n_l > n_{l-1}) so that their entries too have second moment
        sigma_w^2/(n_{l-1} N): the mean field (q_l, chi) is that of equal widths. J is
        ``n_L N x n_0 N`` and :meth:`jacobian_spectrum` is the law of J J^T on the ``n_L``
        block, with the exact rank atom at 0. The Fisher spectrum needs equal widths.
    residual : number, optional
        alpha >= 0 for a residual network ``x^l = x^{l-1} + alpha phi(W_l x^{l-1} + b_l)``
        (equal widths): J = prod_l (I + alpha D_l W_l). With orthogonal weights the law of
        J J^T is the ⊠ product of the layers' laws of (I + alpha D'_l O_l)(...)^T, each the
        square of sym(alpha |D'_l|) ⊞ b (b symmetric Bernoulli; :mod:`freealg.nn.residual`):
        exact moments, a float64 density of 200 points in well under a second at L <= 3
        (piecewise-linear activations; smooth ones pay for their quadrature laws; from
        about L = 5 points where the float64 path ends on a wrong real branch are redone in
        mpmath: about a minute at L = 10), and, for piecewise-linear activations,
        :meth:`max_singular_value` and the outer edges from the S-transform product.
        Gaussian weights (and smooth activations whose derivative changes sign) go through
        the linearization: exact moments, slow density, and SizeLimitError with advice
        beyond about L = 3. The pre-activation norms follow
        the residual mean field (:mod:`freealg.nn.residual`); ``q0`` defaults to 1.
    """

    def __init__(self, depth: int, activation: Any = "relu", weights: str = "orthogonal",
                 sigma_w: Any = None, sigma_b: Any = 0, q0: Any = None,
                 progress: bool | None = None, widths: Any = None, residual: Any = None):
        progress = check_progress(progress)
        if not isinstance(depth, (int, np.integer)) or isinstance(depth, bool) or depth < 1:
            raise InvalidParameterError("depth", depth, "the depth must be an integer >= 1")
        if weights not in ("orthogonal", "gaussian"):
            raise InvalidParameterError("weights", weights, "use 'orthogonal' (Haar) or "
                                                            "'gaussian'")
        self.depth = int(depth)
        self.widths = parse_widths(widths, self.depth)
        self.residual = None if residual is None else parse_alpha(residual)
        if self.residual is not None and self.widths is not None:
            raise InvalidParameterError("widths", widths, "residual networks need equal widths "
                                        "(x^{l-1} + ... adds vectors of one size)")
        self.activation = activation
        self.weights = weights
        self.phi = activation_expr(activation)
        sb = sp.sympify(sigma_b)
        with progress_bar(2, "freealg.nn.MLP", progress, slow=_smooth(self.phi)) as bar:
            if sigma_w is None:
                bar.stage("critical sigma_w")
                sigma_w = self._critical_sigma_w(sb)
            else:
                bar.step()
            bar.stage("mean field and q_l")
            self._init_mean_field(activation, sigma_w, sb, q0)
            if self.residual is not None:
                self._at_fixed_point = False
                self.q0 = sp.S.One if q0 is None else sp.sympify(q0)
                self.q = residual_q(self.mean_field, self.q0, self.depth, self.residual)
        self._cache: dict = {}

    def _init_mean_field(self, activation, sigma_w, sb, q0):
        self.mean_field = MeanField(activation, sigma_w, sb)
        self.sigma_w = self.mean_field.sigma_w_
        self.sigma_b = self.mean_field.sigma_b_
        if q0 is None:
            qs = self.mean_field.q_star
            if qs == 0:  # the signal dies out (q_l -> 0): follow it from |x^0|^2/N = 1
                qs = None
            self._at_fixed_point = qs is not None
            q0 = 1 if qs is None else None
            self.q = [qs] * self.depth if qs is not None else self.mean_field.q_sequence(
                q0, self.depth)
            self.q0 = (qs - self.sigma_b**2) / self.sigma_w**2 if qs is not None else sp.S.One
        else:
            q0s = sp.sympify(q0)
            if not (q0s.is_number and q0s.is_real and q0s > 0):
                raise InvalidParameterError("q0", q0, "the input norm |x|^2/N must be > 0")
            self._at_fixed_point = False
            self.q0 = q0s
            self.q = self.mean_field.q_sequence(q0s, self.depth)

    def _critical_sigma_w(self, sb):
        # exact where a closed form exists (sqrt 2 for ReLU, 1 for tanh at sigma_b = 0), else a
        # 15-digit Float (see critical_sigma_w)
        return critical_sigma_w(self.phi, sb, exact=True)

    def __repr__(self):
        w = "" if self.widths is None else f", widths=[{', '.join(map(str, self.widths))}]"
        w += "" if self.residual is None else f", residual={self.residual}"
        return (f"MLP(depth={self.depth}, activation={self.activation!r}, weights="
                f"{self.weights!r}, sigma_w={self.sigma_w}, sigma_b={self.sigma_b}{w})")

    def _repr_html_(self) -> str:
        rows = [["depth L", str(self.depth)],
                ["activation", f"<code>{escape(repr(self.activation))}</code>: "
                               f"phi(h) = <code>{escape(self.phi)}</code>"],
                ["weights", escape(self.weights)],
                ["sigma_w", number_html(self.sigma_w)],
                ["sigma_b", number_html(self.sigma_b)],
                ["q_0 = |x^0|^2/N", number_html(self.q0)],
                ["q_l (l = 1..L)", ", ".join(number_html(q) for q in self.q)]]
        try:
            mf = self.mean_field
            rows.append(["mean field", f"chi* = {mf.chi_star:.6g} ({escape(mf.regime())})"])
        except Exception as err:  # noqa: BLE001 - the rest of the display still shows
            rows.append(["mean field", escape(f"not available ({type(err).__name__}: {err})")])
        jac = self._residual_text() if self.residual is not None else self.jacobian_expr()
        rows.append(["Jacobian", f"<code>{escape(jac)}</code>"])
        return ('<div class="freealg-display"><strong>MLP</strong>'
                + table_html(None, rows) + "</div>")

    # the polynomials ------------------------------------------------------------------------
    def _d(self, l: int) -> NCPoly:
        """D'_l = sigma_w diag(phi'(h^l)), h^l ~ N(0, q_l) (1-based l)."""
        key = ("D", l)
        if key not in self._cache:
            dim = 1 if self.widths is None else self.widths[l]
            self._cache[key] = _activation_gen(f"D{l}", self.sigma_w * self.phi, self.q[l - 1],
                                               dim=dim)
        return self._cache[key]

    def _w(self, l: int) -> NCPoly:
        if self.widths is not None:
            name = ("O" if self.weights == "orthogonal" else "C") + str(l)
            return weight_letter(name, self.weights, self.widths[l], self.widths[l - 1])
        return haar_orthogonal(f"O{l}") if self.weights == "orthogonal" else circular(f"C{l}")

    def jacobian_expr(self) -> NCPoly:
        """J = D'_L W_L ... D'_1 W_1 as a polynomial (sigma_w absorbed in D').

        Examples
        --------
        >>> import freealg as fa
        >>> fa.nn.MLP(depth=2, activation="relu").jacobian_expr()
        D2*O2*D1*O1
        >>> fa.nn.MLP(depth=2, activation="relu", weights="gaussian").jacobian_expr()
        D2*C2*D1*C1
        """
        J = NCPoly.constant(1)
        for l in range(1, self.depth + 1):
            if self.residual is not None:
                J = (1 + self.residual * self._d(l) * self._w(l)) * J
            else:
                J = self._d(l) * self._w(l) * J
        return J

    def _residual_text(self) -> str:
        """J of a residual network as a short product (the expanded polynomial has 2^L
        words)."""
        return "*".join(f"(1 + {self.residual}*{self._d(l)}*{self._w(l)})"
                        for l in range(self.depth, 0, -1))

    def qhat(self) -> list:
        """[qhat_0, ..., qhat_{L-1}]: qhat_0 = q_0, qhat_l = E[phi(h^l)^2].

        Examples
        --------
        >>> import freealg as fa
        >>> fa.nn.MLP(depth=3, activation="relu", q0=4).qhat()     # q_l = 2 q_0, qhat = q/2
        [4, 4, 4]
        """
        return [self.q0] + [self.mean_field.qhat(q) for q in self.q[:-1]]

    def fisher_expr(self) -> NCPoly:
        """The dual FIM H_L as a polynomial: H_1 = qhat_0, ``H_{l+1} = qhat_l + W D'_l H D'_l W*``.

        For a residual network, K_L (``K_l = A_l K_{l-1} A_l^T + kappa_l D'_l^2``,
        :mod:`freealg.nn.residual_fisher`) with the D'_l one commuting family
        (:func:`freealg.commuting`), expanded (L <= 6: about 4^(L-1) words).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.nn.MLP(depth=2, activation="relu").fisher_expr()
        1 + O2*D1*D1*O2.H
        """
        if self.residual is not None:
            return self._residual_fisher_expr()
        qh = self.qhat()
        Hp = NCPoly.constant(qh[0])
        for l in range(1, self.depth):
            W, D = self._w(l + 1), self._d(l)
            Hp = qh[l] + W * D * Hp * D * W.H
        return Hp

    # systems and spectra --------------------------------------------------------------------
    def jacobian_system(self):
        """The System of J J^T (S-transform product, LaTeX via ``.latex()``).

        Examples
        --------
        >>> import freealg as fa
        >>> s = fa.nn.MLP(depth=2, activation="relu").jacobian_system()
        >>> s.equations[0]                          # S-transforms multiply
        Eq(S_{G}(m), S_{G_1}(m)*S_{G_2}(m))
        """
        if "jsys" not in self._cache:
            if self.widths is not None:
                ds = [self._d(l) for l in range(1, self.depth + 1)]
                self._cache["jsys"] = jacobian_law_system(ds, self.widths, self.weights)
                return self._cache["jsys"]
            ys = self._residual_layers()
            if ys is not None:      # no expansion: J J^T of depth L has 4^L words
                self._cache["jsys"] = residual_system(ys, self._residual_text() + " (...)^T",
                                                      self.residual)
                return self._cache["jsys"]
            J = self.jacobian_expr()
            self._cache["jsys"] = compile_expr(J * J.H)
        return self._cache["jsys"]

    def _residual_layers(self):
        """The layer laws Y_l of a residual network with orthogonal weights (the law of
        J J^T is the ⊠ product of the laws of Y_l^2, :mod:`freealg.nn.residual`), or None:
        not residual, Gaussian weights or an activation whose derivative takes negative
        values with no finite law (these go through the linearization)."""
        if self.residual is None or self.weights != "orthogonal":
            return None
        if "ys" not in self._cache:
            ys = []
            for l in range(1, self.depth + 1):
                y = layer_law(compile_expr(self._d(l)).law, self.residual,
                              lambda l=l: _square_law(self._d(l)))
                if y is None:
                    ys = None
                    break
                ys.append(y)
            self._cache["ys"] = ys
        return self._cache["ys"]

    def jacobian_spectrum(self, dps: int = 30) -> SpectralSolution:
        """SpectralSolution of J J^T: density, atoms (0 for ReLU-like), edges, moments.

        Examples
        --------
        >>> import freealg as fa
        >>> sol = fa.nn.MLP(depth=2, activation="relu").jacobian_spectrum()
        >>> sol.atoms()                              # (2 p)(2 q) for free projections of trace 1/2
        [Atom(location=0, mass=1/2, error=0)]
        >>> fa.nn.MLP(depth=4, activation="linear").jacobian_spectrum().moments(3)   # isometry
        [1, 1, 1]
        """
        return SpectralSolution(self.jacobian_system(), dps)

    def max_singular_value(self, dps: int = 30):
        """sqrt of the right end of the spectrum of J J^T (an edge or an atom).

        This is the edge of the limit law, the bulk of the singular values. A residual network
        whose activation has E phi(h) != 0 (ReLU, GELU, SiLU, ELU, ...) also carries one outlier
        above it in real networks, which grows with depth (ReLU, alpha = 1/2, L = 10, N = 800:
        bulk edge 107.9 of J J^T, the top eigenvalue 275): a rank-one effect of the mean of the
        residual stream, outside the free model. Odd activations (tanh) show none.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> s = fa.nn.MLP(depth=1, activation="relu").max_singular_value()   # J J^T ~ 2 p
        >>> print(mpmath.nstr(s, 25))               # sqrt 2
        1.414213562373095048801689
        """
        ys = self._residual_layers()
        if ys is not None and finite_layers(ys):
            # the right edge of the S-transform product (freealg.nn.residual)
            return _sqrt(product_right_edge(self.jacobian_system().law, dps), dps)
        return _sqrt(_right_end(self.jacobian_spectrum(dps), dps), dps)

    def limit_law(self):
        """The L -> infinity law of J J^T along networks whose layers tend to isometries.

        When every sigma_w^2 D_l^2 is a projection of trace 1 - e_l rescaled to mean 1 (hard
        tanh with q* -> 0: ``P(|h| < 1) -> 1``), S_l(m) = 1 - e_l m/(1+m) + O(e_l^2) and the product
        tends to S(m) = exp(-sigma0^2 m/(1+m)), sigma0^2 = sum_l (mu2_l/mu1_l^2 - 1)
        (Pennington-Schoenholz-Ganguli, AISTATS 2018): :func:`freealg.multiplicative_exponential`
        scaled by m_1 = prod_l mu1_l. It matches the network's m_1 and m_2 exactly; it is the
        limit only for orthogonal weights (a Gaussian layer contributes 1/(1+m), which does not
        tend to 1).

        Examples
        --------
        >>> import freealg as fa
        >>> net = fa.nn.MLP(depth=2, activation="relu")
        >>> law = net.limit_law()                   # sigma0^2 = 2 (2/1 - 1) for ReLU
        >>> law
        multiplicative_exponential(sigma2=2)
        >>> law.moments(2) == net.jacobian_spectrum().moments(2)
        True
        """
        from ..laws import affine, multiplicative_exponential

        if self.weights != "orthogonal":
            raise InvalidParameterError("weights", self.weights, "no L -> infinity limit: each "
                                        "Gaussian layer contributes a full Marchenko-Pastur "
                                        "factor; use weights='orthogonal'")
        self._equal_widths("limit_law")
        m1, s0 = sp.S.One, sp.S.Zero
        for l in range(1, self.depth + 1):
            a1, a2 = _square_law(self._d(l)).moments(2)
            m1 *= a1
            s0 += a2 / a1**2 - 1
        s0 = sp.nsimplify(s0) if s0.is_Rational else s0
        if s0 == 0:
            from ..laws import dirac

            return dirac(m1)
        law = multiplicative_exponential(s0)
        return law if m1 == 1 else affine(law, m1, 0)

    def _equal_widths(self, what: str, residual_ok: bool = False, fisher: bool = False):
        if self.residual is not None and not (residual_ok or fisher):
            raise InvalidParameterError("residual", self.residual, f"{what} is implemented "
                                        "for plain (non-residual) networks only; for the "
                                        "Jacobian use max_singular_value() and "
                                        "jacobian_spectrum()")
        if self.widths is not None:
            raise InvalidParameterError("widths", self.widths, f"{what} is implemented for "
                                        "equal widths only; use widths=None")

    def _residual_layer_atoms(self, what: str = "the Fisher information") -> list:
        """The finite laws of the diagonal entries of D'_l of a residual network (exact), or a
        clear refusal: the residual Fisher model averages over their joint (product) law."""
        from ..laws.operator_valued import discrete_points_weights

        if "fatoms" not in self._cache:
            out = []
            for l in range(1, self.depth + 1):
                try:
                    out.append(discrete_points_weights(self._d(l).generator.law()))
                except InvalidParameterError:
                    raise InvalidParameterError(
                        "activation", self.activation, f"{what} of a residual network is "
                        "modelled with the activation diagonals of all layers as one commuting "
                        "family (they meet along the skip path with no weight matrix between "
                        "them: classical independence, not freeness), averaged exactly over "
                        "their joint law; implemented for activations whose derivative takes "
                        "finitely many values (relu, leaky_relu, hard_tanh, linear). For "
                        "smooth ones use residual_fisher() and lambda_max() (quadrature over "
                        "the laws), or sample_fisher()") from None
            self._cache["fatoms"] = out
        return self._cache["fatoms"]

    def _residual_kappas(self) -> list:
        """kappa_l = alpha^2 (|x^{l-1}|^2/N)/sigma_w^2, with
        |x^{l-1}|^2/N = (q_l - sigma_b^2)/sigma_w^2 (exact)."""
        a = sp.sympify(self.residual)
        sw2, sb2 = self.sigma_w**2, self.mean_field.sigma_b_**2
        return [sp.simplify(a**2 * (q - sb2) / sw2**2) for q in self.q]

    def _residual_fisher_expr(self) -> NCPoly:
        from ..algebra import commuting

        self._residual_layer_atoms("the Fisher polynomial")
        if self.depth > 6:
            raise InvalidParameterError("depth", self.depth, "the expanded Fisher polynomial "
                                        "of a residual network has about 4^(L-1) words; it is "
                                        "built for L <= 6. Use residual_fisher() (the compact "
                                        "pencil: LaTeX, density, lambda_max) at any depth")
        Ds = commuting(*[self._d(l) for l in range(1, self.depth + 1)])
        K = NCPoly.constant(0)
        for l, kap in enumerate(self._residual_kappas(), start=1):
            D = Ds[l - 1]
            if l > 1:
                A = 1 + self.residual * D * self._w(l)
                K = A * K * A.H
            K = K + kap * D * D
        return K

    def residual_fisher(self, step: float | None = None, rule: str | None = None,
                        points: int | None = None, replicates: int | None = None,
                        seed: int = 0):
        """The Fisher information K_L of a residual network on its compact pencil (size 4L - 1).

        :class:`freealg.nn.residual_fisher.ResidualFisher`: ``latex()``, ``cauchy(z)``,
        ``density(x)`` (float64) and ``lambda_max(dps)``. The diagonals of all layers are one
        commuting family and the weights are free from them (freeness with amalgamation over the
        diagonal algebra); see that module for the equations. For activations whose derivative
        has a continuous law (tanh, GELU, ...):
        :class:`freealg.nn.residual_fisher_smooth.SmoothResidualFisher`, the same equations on
        the path form of the pencil, averaged by quadrature (``right_edge()`` gives
        lambda_max with its error; float64). Deep smooth networks, whose product rule would
        exceed 250,000 patterns (tanh from L = 5, SiLU and GELU from L = 4), are averaged over
        scrambled Sobol points instead (``rule="qmc"``), and the edge's error is then a
        99.9 % confidence bound from independent scramblings.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> rf = fa.nn.MLP(depth=2, activation="relu", residual="1/2").residual_fisher()
        >>> rf.k, rf.atoms_count
        (7, 4)
        >>> print(mpmath.nstr(rf.lambda_max(20), 15))
        0.912391562677772

        >>> tanh = fa.nn.MLP(depth=2, activation="tanh", residual="1/2").residual_fisher()
        >>> print(mpmath.nstr(tanh.lambda_max(), 10), tanh.right_edge().error < 1e-7)
        0.6523602988 True

        Parameters
        ----------
        step : float, optional
            Smooth activations only: the tanh-sinh step of the quadrature
            (:class:`freealg.nn.residual_fisher_smooth.SmoothResidualFisher`; default 1/16 at
            L <= 2, 1/8 beyond).
        rule : {None, "product", "qmc"}, optional
            Smooth activations only: the product of tanh-sinh rules, or scrambled Sobol
            points; None takes the product rule where it fits.
        points, replicates, seed : int, optional
            Smooth activations, ``rule="qmc"``: Sobol points per scrambling (a power of 2,
            default 4096), the number of scramblings (default 8) and the seed of the
            scramblings (default 0).

        Raises
        ------
        InvalidParameterError
            For a plain network, unequal widths, or a ``step``, ``rule``, ``points`` or
            ``replicates`` for finite laws (their average is an exact sum).
        SizeLimitError
            Smooth activations with ``rule="product"`` (or a ``step``) and more than 250,000
            quadrature patterns (e.g. tanh at L >= 5 at step 1/8).
        """
        from .residual_fisher import ResidualFisher

        if self.residual is None:
            raise InvalidParameterError("residual", None, "residual_fisher() is for residual "
                                        "networks; use fisher_spectrum()")
        self._equal_widths("the Fisher information", fisher=True)
        key = ("rfisher", step, rule, points, replicates, seed)
        if key not in self._cache:
            try:
                atoms = self._residual_layer_atoms()
            except InvalidParameterError:        # continuous laws: the path form
                from .residual_fisher_smooth import SmoothResidualFisher

                self._cache[key] = SmoothResidualFisher(
                    self.residual, self._residual_kappas(),
                    [self._d(l).generator.law() for l in range(1, self.depth + 1)],
                    self.weights, step, rule, points, replicates, seed)
            else:
                for name, value in (("step", step), ("rule", rule), ("points", points),
                                    ("replicates", replicates)):
                    if value is not None:
                        raise InvalidParameterError(name, value, "the quadrature options are "
                                                    "for activations whose derivative has a "
                                                    "continuous law; this network's layers "
                                                    "have finite laws, averaged exactly")
                self._cache[key] = ResidualFisher(self.residual, self._residual_kappas(),
                                                  atoms, self.weights)
        return self._cache[key]

    def fisher_system(self):
        """The System of the dual FIM H_L (shift and S-transform product per layer).

        For a residual network: the linearization of :meth:`fisher_expr` with the diagonals one
        commuting family (exact; pencil size 9 at L = 2, 31 at L = 3, refused with a
        SizeLimitError from L = 5). :meth:`residual_fisher` gives the same law on a pencil of
        size 4 L - 1 at any depth, with a fast float64 density.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.nn.MLP(depth=2, activation="relu").fisher_system()
        System(1 + O2*D1*D1*O2.H: 2 equations, unknowns (G, G_1, G_2))
        """
        if "fsys" not in self._cache:
            self._equal_widths("the Fisher spectrum", fisher=True)
            if self.residual is not None:   # one commuting family of diagonals: linearization
                self._cache["fsys"] = compile_expr(self.fisher_expr(), method="linearization")
            else:
                self._cache["fsys"] = compile_expr(self.fisher_expr())
        return self._cache["fsys"]

    def fisher_spectrum(self, dps: int = 30) -> SpectralSolution:
        """SpectralSolution of the per-sample FIM / NTK dual H_L (Hayase-Karakida 2021).

        For a residual network this solves :meth:`fisher_system` with the generic
        operator-valued engine: exact but slow (L = 2: about 20 s per density point); use
        ``residual_fisher().density(x)`` and :meth:`lambda_max` instead.

        Examples
        --------
        >>> import freealg as fa
        >>> sol = fa.nn.MLP(depth=2, activation="relu").fisher_spectrum()
        >>> sol.atoms()                              # 1 + 2 bernoulli(1/2)
        [Atom(location=1, mass=1/2, error=0), Atom(location=3, mass=1/2, error=0)]
        """
        return SpectralSolution(self.fisher_system(), dps)

    def lambda_max(self, dps: int = 30, method: str | None = None,
                   progress: bool | None = None):
        """Largest eigenvalue of H_L.

        ``method="spectrum"``: the right end (edge or atom) of :meth:`fisher_spectrum`.
        ``method="curve"`` (default when every sigma_w^2 D_l^2 has a closed-form S-transform,
        e.g. ReLU, leaky ReLU, hard-tanh, linear; orthogonal weights): the graph of
        chi_{mu_L} = psi_{mu_L}^{-1} is traced in closed form through the layers - a point
        (m, v) of chi_mu gives (m, v S_nu(m)) on chi_{mu ⊠ nu} (S-transforms multiply) and
        (m + q u (1 + m), u/(1 + q u)) after the shift by q (psi(1/z) = z G(z) - 1) - starting
        from chi_{delta_q}(m) = m/(q(1 + m)); lambda_max = 1/max_m v_L(m) (the edge is
        where psi stops being invertible, Pennington-Schoenholz-Ganguli 2017; a monotone v_L
        means an atom at the top).
        Independent of the spectrum path: the tests compare the two.
        ``method="fold"`` (residual networks, the default there): the right edge of
        :meth:`residual_fisher`, the first fold of its real branch, refined in mpmath
        (:mod:`freealg.nn.residual_fisher`).

        Examples
        --------
        >>> import freealg as fa
        >>> net = fa.nn.MLP(depth=2, activation="relu")       # H_2 = 1 + 2 bernoulli(1/2)
        >>> net.lambda_max(), net.lambda_max(method="spectrum")
        (mpf('3.0'), mpf('3.0'))

        Parameters
        ----------
        dps : int
            Digits of the result.
        method : {None, "curve", "spectrum", "fold"}
            See above.
        progress : bool or None
            Report the stages (S-transforms, curve or spectrum) on stderr; see
            :mod:`freealg.progress`. None: only in interactive sessions and for smooth
            activations.
        """
        progress = check_progress(progress)
        self._equal_widths("lambda_max (of the Fisher information)", fisher=True)
        if self.residual is not None:
            if method not in (None, "fold", "spectrum"):
                raise InvalidParameterError("method", method, "residual networks: use 'fold' "
                                            "(default) or 'spectrum'")
            if method == "spectrum":
                return _right_end(self.fisher_spectrum(dps), dps)
            with progress_bar(1, "freealg.nn.MLP.lambda_max", progress,
                              slow=self.depth > 6) as bar:
                bar.stage("fold of the compact pencil's equations")
                return self.residual_fisher().lambda_max(dps)
        if method not in (None, "curve", "spectrum"):
            raise InvalidParameterError("method", method, "use 'curve' or 'spectrum'")
        with progress_bar(2, "freealg.nn.MLP.lambda_max", progress,
                          slow=_smooth(self.phi)) as bar:
            bar.stage("S-transforms of the layers")
            Ss = self._s_transforms() if method != "spectrum" else None
            if method is None:
                method = "curve" if Ss is not None else "spectrum"
            if method == "spectrum":
                bar.stage("right end of the spectrum")
                return _right_end(self.fisher_spectrum(dps), dps)
            if Ss is None:
                raise InvalidParameterError("method", method, "the curve method needs "
                                            "closed-form S-transforms of sigma_w^2 D_l^2 and "
                                            "orthogonal weights (use method='spectrum')")
            bar.stage("maximum of the curve")
            return _lambda_max_curve([sp.sympify(q) for q in self.qhat()], Ss, dps)

    def _s_transforms(self):
        if self.weights != "orthogonal":
            return None
        m = sp.Symbol("m")
        out = []
        for l in range(1, self.depth):
            law = _square_law(self._d(l))
            if law is None:
                return None
            S = law.s_transform(m)
            if S is not None:
                out.append(sp.lambdify(m, S, "mpmath"))
                continue
            atoms = law.atoms()
            if not atoms or sp.simplify(sum(a.mass for a in atoms) - 1) != 0:
                return None  # a density: its S-transform ends at the edge; use the spectrum
            out.append(_discrete_s(atoms))
        return out

    def max_learning_rate(self, dps: int = 30):
        """eta_c = 2 / lambda_max(H_L) (module docstring).

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> eta = fa.nn.MLP(depth=2, activation="relu").max_learning_rate()
        >>> print(mpmath.nstr(eta, 20))             # 2/3
        0.66666666666666666667
        """
        import mpmath

        with mpmath.workdps(dps):
            return 2 / mpmath.mpf(self.lambda_max(dps))

    # Monte Carlo of the real network --------------------------------------------------------
    def _weights(self, n: int, rng, m: int | None = None) -> np.ndarray:
        """An n x m weight matrix (m = n by default; see the ``widths`` parameter)."""
        m = n if m is None else m
        sw = float(self.sigma_w)
        if self.weights == "gaussian":
            return rng.standard_normal((n, m)) * (sw / np.sqrt(m))
        k = max(n, m)
        Q, R = np.linalg.qr(rng.standard_normal((k, k)))
        Q = (Q * np.sign(np.diag(R)))[:n, :m]
        return sw * np.sqrt(max(1.0, n / m)) * Q

    def _dims(self, n: int) -> list[int]:
        """Layer dimensions [d_0, ..., d_L] for the reference dimension n."""
        if self.widths is None:
            return [n] * (self.depth + 1)
        return [max(1, int(round(float(w) * n))) for w in self.widths]

    def _forward(self, n: int, rng, x0=None):
        phi, dphi = activation_numpy(self.phi)
        dims = self._dims(n)
        if x0 is None:
            x0 = rng.standard_normal(dims[0])
            x0 *= np.sqrt(float(self.q0) * dims[0]) / np.linalg.norm(x0)
        Ws, hs, xs = [], [], [x0]
        for l in range(self.depth):
            d = dims[l + 1]
            W = self._weights(d, rng, dims[l])
            b = rng.standard_normal(d) * float(self.sigma_b)
            h = W @ xs[-1] + b
            Ws.append(W)
            hs.append(h)
            x = np.asarray(phi(h), dtype=float) * np.ones(d)
            if self.residual is not None:
                x = xs[-1] + float(self.residual) * x
            xs.append(x)
        ds = [np.asarray(dphi(h), dtype=float) * np.ones(len(h)) for h in hs]
        return Ws, hs, xs, ds

    def sample_jacobian(self, n: int = 1000, seed: int = 0, trials: int = 1,
                        threads: int | None = None,
                        progress: bool | None = None) -> np.ndarray:
        """Eigenvalues of J J^T for real networks of width n (forward pass, J = prod D_l W_l).

        ``threads`` caps the BLAS threads (1 is much faster on a loaded machine);
        ``progress`` reports each trial on stderr (None: only in interactive sessions and for
        runs expected to take over about 2 s; see :mod:`freealg.progress`).

        Examples
        --------
        >>> import freealg as fa
        >>> ev = fa.nn.MLP(depth=2, activation="relu").sample_jacobian(n=40, seed=0, trials=2)
        >>> ev.shape, bool(ev.min() > -1e-12)
        ((80,), True)
        """
        _check_n(n)
        progress = check_progress(progress)
        with progress_bar(trials, "freealg.nn.MLP.sample_jacobian", progress,
                          slow=self._slow_mc(n, trials)) as bar, blas_threads(threads):
            return self._sample_jacobian(n, seed, trials, bar)

    def _slow_mc(self, n, trials) -> bool:
        """A Monte Carlo run expected to take over about 2 s (trials L N^3 > 2e9 flops)."""
        return trials * self.depth * float(n) ** 3 > 2e9

    def _sample_jacobian(self, n, seed, trials, bar=None):
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(trials):
            Ws, _, _, ds = self._forward(n, rng)
            J = np.eye(Ws[0].shape[1])
            for W, d in zip(Ws, ds):
                if self.residual is not None:
                    J = J + float(self.residual) * (d[:, None] * (W @ J))
                else:
                    J = d[:, None] * (W @ J)
            if self.widths is None:
                out.append(np.linalg.svd(J, compute_uv=False) ** 2)
            else:  # all d_L eigenvalues of J J^T on the output side (rank zeros included)
                out.append(np.clip(np.linalg.eigvalsh(J @ J.T), 0, None))
            if bar is not None:
                bar.step()
        return np.concatenate(out)

    def sample_fisher(self, n: int = 500, seed: int = 0, trials: int = 1,
                      threads: int | None = None,
                      progress: bool | None = None) -> np.ndarray:
        """Eigenvalues of the per-sample FIM dual of real networks of width n.

        ``H_L = sum_l (|x^{l-1}|^2/n) B_l B_l^T`` with B_l = dh^L/dh^l by back-propagation. For a
        residual network the output is x^L and the dual is
        ``K_L = sum_l alpha^2 (|x^{l-1}|^2/n) (B_l D_l)(B_l D_l)^T`` with B_l = dx^L/dx^l =
        A_L ... A_{l+1}, A_l = I + alpha D_l W_l and D_l = diag(phi'(h^l)) (the gradient of x^L
        with respect to W_l is alpha B_l D_l (x^{l-1})^T). Its limit law is :meth:`residual_fisher`
        (exact sums for activations whose derivative takes finitely many values, quadrature for
        smooth ones); this Monte Carlo is the reference both are tested against.
        ``progress`` reports each trial on stderr (as in :meth:`sample_jacobian`).

        Examples
        --------
        >>> import freealg as fa
        >>> ev = fa.nn.MLP(depth=2, activation="linear", q0=1).sample_fisher(n=40, seed=0)
        >>> ev.shape, bool(ev.min() > 0)           # (|x^1|^2/n) I plus a PSD matrix
        ((40,), True)
        """
        _check_n(n)
        self._equal_widths("sample_fisher", residual_ok=True)
        progress = check_progress(progress)
        rng = np.random.default_rng(seed)
        out = []
        with progress_bar(trials, "freealg.nn.MLP.sample_fisher", progress,
                          slow=self._slow_mc(n, trials)) as bar, blas_threads(threads):
            for _ in range(trials):
                out.append(np.linalg.eigvalsh(self._fisher_matrix(n, rng)))
                bar.step()
        return np.concatenate(out)

    def _fisher_matrix(self, n, rng, net=None):
        Ws, _, xs, ds = net if net is not None else self._forward(n, rng)
        L = self.depth
        B = np.eye(n)
        Hm = np.zeros((n, n))
        if self.residual is not None:
            # K_L = sum_l alpha^2 |x^{l-1}|^2/n (B_l D_l)(B_l D_l)^T, B_l = A_L ... A_{l+1},
            # A_l = I + alpha D_l W_l (D_l = phi'(h^l))
            a = float(self.residual)
            for l in range(L, 0, -1):
                if l < L:
                    B = B + a * (B * ds[l][None, :]) @ Ws[l]
                C = B * ds[l - 1][None, :]
                Hm += (a * a * (xs[l - 1] @ xs[l - 1]) / n) * (C @ C.T)
            return Hm
        for l in range(L, 0, -1):  # B_L = I, B_l = B_{l+1} W_{l+1} D_l
            if l < L:
                B = (B @ Ws[l]) * ds[l - 1][None, :]
            Hm += (xs[l - 1] @ xs[l - 1] / n) * (B @ B.T)
        return Hm

    def learning_rate_experiment(self, factors=(0.5, 2.0), steps: int = 40, n: int = 200,
                                 seed: int = 0, dps: int = 15, online: bool = False,
                                 target_scale: float = 1e-3,
                                 threads: int | None = None,
                                 progress: bool | None = None) -> list[dict]:
        """Gradient descent of a real network (width n) on a regression target near its own
        output (y = f_teacher(x) with the teacher a copy of the initial network plus noise of
        relative size ``target_scale``: the regime of the local quadratic model, where the
        conditional FIM is the Hessian), with step eta = factor * 2/lambda_max on the weights
        (scaled by 1/n, the normalisation of H_L). ``online=False`` (default) repeats one
        input: the conditional FIM of that input is the Gauss-Newton matrix of its loss, so the
        error obeys
        e <- (I - eta H_L) e to first order and diverges exactly when eta > 2/lambda_max.
        ``online=True`` draws a fresh input every step (the setting of Hayase-Karakida's
        experiments, where the threshold is only indicative: each step sees another H_L).
        Returns, per factor: eta, the losses, ``unstable`` (the loss rose above its start: the
        local quadratic model is unstable) and ``diverged`` (non-finite, or grew 1e3-fold).
        Between 2/lambda_max and a few times it, real networks typically rise and then
        recover as the curvature drops (the "catapult" of Lewkowycz et al. 2020), so
        ``unstable`` is the observable of the threshold and ``diverged`` needs larger steps.
        Biases ``b_l ~ N(0, sigma_b^2)`` are drawn once and kept fixed (H_L is the Fisher
        information of the weights; bias gradients add O(1/n)). ``threads`` caps the BLAS
        threads; ``progress`` reports lambda_max and each factor's run on stderr (None: only
        in interactive sessions; see :mod:`freealg.progress`).

        Examples
        --------
        >>> import freealg as fa
        >>> net = fa.nn.MLP(depth=2, activation="relu")
        >>> runs = net.learning_rate_experiment(factors=(0.5, 2.0), steps=10, n=50, seed=0)
        >>> [(r["factor"], r["unstable"]) for r in runs]      # below / above 2/lambda_max
        [(0.5, False), (2.0, True)]
        """
        progress = check_progress(progress)
        factors = tuple(factors)
        with progress_bar(1 + len(factors), "freealg.nn.MLP.learning_rate_experiment",
                          progress) as bar:
            bar.stage("lambda_max")
            eta_c = float(self.max_learning_rate(dps))
            out = []
            with blas_threads(threads):
                for f in factors:
                    bar.stage(f"factor {f}")
                    out.append(self._descend(f * eta_c, f, steps, n, seed, online,
                                             target_scale))
            return out

    def _descend(self, eta, f, steps, n, seed, online, target_scale) -> dict:
        """One run of :meth:`learning_rate_experiment` at step ``eta``."""
        phi, dphi = activation_numpy(self.phi)
        rng = np.random.default_rng(seed)
        Ws = [self._weights(n, rng) for _ in range(self.depth)]
        teacher = [W + target_scale * float(self.sigma_w) / np.sqrt(n)
                   * rng.standard_normal((n, n)) for W in Ws]
        # fixed biases (sigma_b = 0 draws none, so the random stream is unchanged)
        bs = ([rng.standard_normal(n) * float(self.sigma_b) for _ in range(self.depth)]
              if self.sigma_b != 0 else [np.zeros(n)] * self.depth)
        losses = []
        x0 = rng.standard_normal(n)
        x0 *= np.sqrt(float(self.q0) * n) / np.linalg.norm(x0)
        for _ in range(steps):
            if online:
                x = rng.standard_normal(n)
                x *= np.sqrt(float(self.q0) * n) / np.linalg.norm(x)
            else:
                x = x0
            y = _pass(teacher, bs, x, phi)[0][-1]
            hs, xs = _pass(Ws, bs, x, phi)
            e = hs[-1] - y
            loss = 0.5 * float(e @ e) / n
            losses.append(loss)
            if not np.isfinite(loss) or loss > 1e12:
                break
            delta = e
            for l in range(self.depth - 1, -1, -1):
                grad = np.outer(delta, xs[l])
                if l > 0:
                    delta = (Ws[l].T @ delta) * (np.asarray(dphi(hs[l - 1]), float)
                                                 * np.ones(n))
                Ws[l] = Ws[l] - (eta / n) * grad
        first, last = losses[0], losses[-1]
        diverged = (not np.isfinite(last)) or last > 1e3 * first
        peak = max(losses) if np.all(np.isfinite(losses)) else float("inf")
        return {"factor": f, "eta": eta, "loss_first": first, "loss_last": last,
                "loss_max": peak, "unstable": bool(peak > 1.01 * first),
                "diverged": bool(diverged), "losses": losses}


def _pass(Ws, bs, x, phi):
    """Forward pass: pre-activations [h^1..h^L] and activations [x^0..x^L]."""
    hs, xs = [], [x]
    for W, b in zip(Ws, bs):
        hs.append(W @ xs[-1] + b)
        xs.append(np.asarray(phi(hs[-1]), dtype=float) * np.ones(len(b)))
    return hs, xs


def _smooth(phi) -> bool:
    """Whether an activation is smooth (not piecewise linear): its mean field and layer laws
    are computed numerically, which takes seconds."""
    return not (phi.is_polynomial(H) or phi.has(sp.Max, sp.Min, sp.Piecewise, sp.Heaviside,
                                                sp.Abs))


def _check_n(n):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise InvalidParameterError("n", n, "the width must be an integer >= 2")
    if n > 20000:
        raise InvalidParameterError("n", n, "widths above 20000 need several GB per matrix; "
                                            "use a smaller n or the GPU back end of fa.sample")


def _discrete_s(atoms):
    """S(m) of a finite atomic law on [0, inf): psi(v) = sum_i w_i a_i v/(1 - a_i v) = m is
    increasing on (0, 1/max a_i) from 0 to inf; solved by bisection then Newton (mpmath)."""
    import mpmath

    def S(m):
        prec = mpmath.mp.dps
        pts = [(mpmath.mpf(sp.N(a.location, prec + 5)), mpmath.mpf(sp.N(a.mass, prec + 5)))
               for a in atoms]
        top = max(a for a, _ in pts)

        def psi(v):
            return mpmath.fsum(w * a * v / (1 - a * v) for a, w in pts)

        lo, hi = mpmath.mpf(0), 1 / top
        for _ in range(int(3.33 * prec) + 10):  # bisection to the working precision
            mid = (lo + hi) / 2
            if psi(mid) < m:
                lo = mid
            else:
                hi = mid
        v = (lo + hi) / 2
        return (1 + m) * v / m

    return S


def _square_law(D: NCPoly):
    """Law of D^2 for an activation generator (the compiler's power rule)."""
    return compile_expr(D * D).law


def _lambda_max_curve(qhat: list, Ss: list, dps: int):
    import mpmath

    with mpmath.workdps(dps + 15):
        qs = [mpmath.mpf(sp.N(q, dps + 20)) for q in qhat]

        def v_of(logm):
            m = mpmath.exp(logm)
            v = m / (qs[0] * (1 + m))
            for q, S in zip(qs[1:], Ss):
                u = v * S(m)
                m, v = m + q * u * (1 + m), u / (1 + q * u)
            return v

        # log m from -20 to 2.4 (dps + 8): the monotone case converges like 1/m
        grid = [mpmath.mpf(k) / 4 for k in range(-80, int(4 * 2.4 * (dps + 8)))]
        vals = [v_of(t) for t in grid]
        k = max(range(len(vals)), key=lambda i: vals[i])
        if k == len(vals) - 1:
            vmax = vals[-1]  # monotone: the top of the spectrum is an atom (limit m -> inf)
        else:
            lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
            g = (mpmath.sqrt(5) - 1) / 2
            a, b = lo, hi
            for _ in range(int(3.5 * dps) + 60):  # golden section on the smooth maximum
                c, d = b - g * (b - a), a + g * (b - a)
                if v_of(c) > v_of(d):
                    b = d
                else:
                    a = c
            vmax = v_of((a + b) / 2)
        out = 1 / vmax
    with mpmath.workdps(dps):
        return +out


def _right_end(sol: SpectralSolution, dps: int):
    import mpmath

    edges = sol.edges()
    atoms = sol.atoms()
    cands = []
    with mpmath.workdps(dps):
        if edges:
            cands.append(mpmath.mpf(edges[-1].location))
        for a in atoms:
            cands.append(mpmath.mpf(sp.N(a.location, dps + 5)))
        if not cands:
            raise InvalidParameterError("law", sol.law, "has neither edges nor atoms")
        return max(cands)


def _sqrt(x, dps):
    import mpmath

    with mpmath.workdps(dps):
        return mpmath.sqrt(x)
