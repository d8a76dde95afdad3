"""Mean-field signal propagation of a random MLP (Poole et al. 2016; Schoenholz et al. 2017).

For h^l = W^l x^{l-1} + b^l, x^l = phi(h^l), weights of variance sigma_w^2/N and biases of
variance sigma_b^2, the pre-activations are asymptotically N(0, q_l) with

    q_1 = sigma_w^2 q_0 + sigma_b^2,      q_{l+1} = sigma_w^2 qhat(q_l) + sigma_b^2,
    qhat(q) = E[phi(h)^2],  h ~ N(0, q),

``q_0 = |x^0|^2 / N`` the input norm. The fixed point q* of q -> sigma_w^2 qhat(q) + sigma_b^2 and
chi = sigma_w^2 E[phi'(h)^2] at q* decide the regime: chi < 1 ordered (gradients vanish),
chi > 1 chaotic (they explode), chi = 1 critical (PSG 2017 §2: m_1(J J^T) = chi^L).

Gaussian expectations are computed in float64 by adaptive quadrature split at the kinks of phi
(about 1e-13 relative; these numbers only parametrise the laws); ReLU, leaky ReLU and linear use
their closed forms, so exact inputs stay exact.

Examples
--------
>>> import sympy as sp
>>> from freealg.nn.meanfield import MeanField
>>> mf = MeanField("relu", sigma_w=sp.sqrt(2), sigma_b=0)
>>> mf.chi(1)                         # sigma_w^2 E[relu'(h)^2] = 2 * 1/2
1.0
>>> round(MeanField("tanh", sigma_w=1.0, sigma_b=0.05).chi_star, 6) < 1
True
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..numeric.display import escape, number_html, table_html
from .activations import H, activation_expr

__all__ = ["MeanField", "critical_sigma_w"]


def _npdf(t: float) -> float:
    return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


@functools.lru_cache(maxsize=256)
def _compiled(expr: sp.Expr) -> tuple:
    """(phi', kinks, phi and phi' as float functions), cached per activation expression."""
    d = sp.diff(expr, H)
    mods: list[Any] = ["math", {"erf": math.erf, "Heaviside": lambda x, h0=0.5: (
        1.0 if x > 0 else (h0 if x == 0 else 0.0))}]
    return d, _kinks(expr), sp.lambdify(H, expr, mods), sp.lambdify(H, d, mods)


def _kinks(expr: sp.Expr) -> list:
    """Points where a piecewise activation changes formula (integration breakpoints): zeros of
    Heaviside/Abs arguments, boundaries of Piecewise conditions, crossings of Max/Min args."""
    eqs = [sp.Eq(f.args[0], 0) for f in expr.atoms(sp.Heaviside, sp.Abs)]
    # Max/Min (nested too) as Piecewise: their kinks are the boundaries of the conditions
    pw = expr.rewrite(sp.Piecewise) if expr.has(sp.Max, sp.Min) else expr
    for f in pw.atoms(sp.Piecewise):
        for _, c in f.args:
            eqs += [sp.Eq(r.lhs, r.rhs) for r in c.atoms(sp.core.relational.Relational)]
    out: set[float] = set()
    for eq in eqs:
        if eq is sp.true or eq is sp.false or not eq.has(H):
            continue
        try:
            sols = sp.solve(eq, H)
        except (NotImplementedError, TypeError):
            continue
        out.update(float(v) for v in sols if v.is_real)
    return sorted(out)


@dataclass(frozen=True)
class MeanField:
    """Variance map, fixed point and criticality of an MLP (module docstring).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.nn import MeanField
    >>> mf = MeanField("relu", sigma_w=1, sigma_b=1)
    >>> mf.q_star, mf.chi_star, mf.regime()     # q* = 1/(1 - 1/2); chi = 1/2
    (2, 0.5, 'ordered')
    >>> MeanField("relu", sigma_w=sp.sqrt(2)).regime()     # He initialisation
    'critical'

    Parameters
    ----------
    activation : str, tuple or sympy expression
        A name, a (name, parameter) tuple or an expression in one variable (see
        :func:`~freealg.nn.activation_expr`).
    sigma_w, sigma_b : number
        Weight and bias standard deviations (weights have variance sigma_w^2/N).
    dps : int
        Kept for the API (mean-field numbers are float64, see the module docstring).
    """

    activation: Any
    sigma_w: Any = 1
    sigma_b: Any = 0
    dps: int = 20
    # derived in __post_init__ (not compared, not shown)
    phi: Any = field(init=False, repr=False, compare=False)
    dphi: Any = field(init=False, repr=False, compare=False)
    sigma_w_: Any = field(init=False, repr=False, compare=False)
    sigma_b_: Any = field(init=False, repr=False, compare=False)
    _breaks: list = field(init=False, repr=False, compare=False)
    _fnp: Callable[[float], float] = field(init=False, repr=False, compare=False)
    _dfnp: Callable[[float], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        phi = activation_expr(self.activation)
        dphi, kinks, fnp, dfnp = _compiled(phi)
        object.__setattr__(self, "phi", phi)
        object.__setattr__(self, "dphi", dphi)
        for nm in ("sigma_w", "sigma_b"):
            v = sp.sympify(getattr(self, nm))
            if not v.is_number or not v.is_real or v < 0 or (nm == "sigma_w" and v == 0):
                raise InvalidParameterError(nm, getattr(self, nm), "must be a real number, "
                                            "> 0 for sigma_w and >= 0 for sigma_b")
            object.__setattr__(self, nm + "_", v)
        object.__setattr__(self, "_breaks", kinks)
        object.__setattr__(self, "_fnp", fnp)
        object.__setattr__(self, "_dfnp", dfnp)

    def _repr_html_(self) -> str:
        rows = [["activation", f"<code>{escape(repr(self.activation))}</code>: "
                               f"phi(h) = <code>{escape(self.phi)}</code>"],
                ["sigma_w", number_html(self.sigma_w_)],
                ["sigma_b", number_html(self.sigma_b_)]]
        try:
            q = self.q_star
            rows.append(["q*", "none (no isolated fixed point)" if q is None
                         else number_html(q)])
            rows.append(["chi*", f"{self.chi_star:.6g} ({escape(self.regime())})"])
        except Exception as err:  # noqa: BLE001 - the parameters still show
            rows.append(["q*", escape(f"not available ({type(err).__name__}: {err})")])
        return ('<div class="freealg-display"><strong>MeanField</strong>'
                + table_html(None, rows) + "</div>")

    # Gaussian expectations ------------------------------------------------------------------
    def _gauss(self, f, q) -> float:
        """E[f(h)], h ~ N(0, q), in float64 (adaptive quadrature split at the kinks of phi;
        the mean-field quantities need no more: they enter the laws as 15-digit numbers)."""
        from scipy.integrate import quad

        s = float(q) ** 0.5
        if s == 0.0:  # the limit q -> 0: one-sided values average at a kink at 0 (ReLU': 1/2)
            tiny = 1e-300
            return 0.5 * (float(f(-tiny)) + float(f(tiny)))
        cuts = [-40.0] + [b / s for b in self._breaks if -40 < b / s < 40] + [40.0]
        tot = 0.0
        for a, b in zip(cuts[:-1], cuts[1:]):
            val, _ = quad(lambda t: float(f(s * t)) * _npdf(t), a, b, epsabs=1e-15,
                          epsrel=1e-13, limit=200)
            tot += val
        return tot

    def qhat(self, q: Any):
        """E[phi(h)^2] for h ~ N(0, q) (exact sympy for linear/ReLU/leaky ReLU).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.nn import MeanField
        >>> MeanField("relu").qhat(sp.Symbol("q"))
        q/2
        >>> MeanField("erf").qhat(1)               # (2/pi) asin(2q/(1 + 2q)) = (2/pi) asin(2/3)
        0.464559054397540
        """
        exact = self._exact_second_moment(sp.sympify(q))
        if exact is not None:
            return exact
        return sp.Float(self._gauss(lambda h: self._fnp(h) ** 2, q), 15)

    def _exact_second_moment(self, q):
        phi = self.phi
        if phi == H:
            return q
        if phi == sp.Max(H, 0):
            return q / 2
        if isinstance(phi, sp.Max) and len(phi.args) == 2 and all(a.is_Mul or a == H
                                                                  for a in phi.args):
            c = [a.coeff(H) if a != H else sp.S.One for a in phi.args]
            if all(ci.is_number for ci in c):
                a = min(c, key=float)
                return (1 + a**2) * q / 2
        return None

    def dphi_second_moment(self, q: Any):
        """E[phi'(h)^2] for h ~ N(0, q).

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("relu").dphi_second_moment(1)       # P(h > 0)
        0.500000000000000
        >>> MeanField("erf").dphi_second_moment(1)        # 4/(pi sqrt(1 + 4q))
        0.569410034733742
        """
        if self.phi == H:
            return sp.S.One
        return sp.Float(self._gauss(lambda h: self._dfnp(h) ** 2, q), 15)

    # recursion ---------------------------------------------------------------------------
    def next_q(self, q: Any):
        """The variance map q -> sigma_w^2 qhat(q) + sigma_b^2.

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("relu", sigma_w=1, sigma_b=1).next_q(4)     # 4/2 + 1
        3
        """
        return self.sigma_w_**2 * self.qhat(q) + self.sigma_b_**2

    def q_sequence(self, q0: Any, depth: int) -> list:
        """[q_1, ..., q_L] from the input norm ``q_0 = |x^0|^2/N`` (x^0 is not passed through phi).

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("relu", sigma_w=1, sigma_b=1).q_sequence(4, 3)   # 4 + 1, 5/2 + 1, 7/4 + 1
        [5, 7/2, 11/4]
        """
        q = self.sigma_w_**2 * sp.sympify(q0) + self.sigma_b_**2
        out = [q]
        for _ in range(depth - 1):
            q = self.next_q(q)
            out.append(q)
        return out

    @property
    def q_star(self):
        """The attracting fixed point q* of the variance map (a sympy Float, or exact for
        linear/ReLU-type maps): 0 when the signal dies out (sigma_b = 0, phi(0) = 0 and
        q_l -> 0, e.g. tanh with sigma_w <= 1), None when there is no finite one or a continuum
        of them (ReLU at sigma_w^2 = 2, sigma_b = 0: every q is fixed).

        Examples
        --------
        >>> import sympy as sp
        >>> from freealg.nn import MeanField
        >>> MeanField("relu", sigma_w=1, sigma_b=1).q_star       # sigma_b^2/(1 - sigma_w^2/2)
        2
        >>> print(MeanField("relu", sigma_w=sp.sqrt(2)).q_star)  # every q is fixed
        None
        >>> MeanField("tanh", sigma_w=1).q_star                  # q_l -> 0 (like 1/(2l))
        0
        >>> MeanField("tanh", sigma_w=1).chi_star                # sigma_w^2 phi'(0)^2: critical
        1.0
        """
        cache = self.__dict__.setdefault("_cache", {})
        if "q_star" not in cache:
            cache["q_star"] = self._find_q_star()
        return cache["q_star"]

    def _find_q_star(self):
        sw2, sb2 = self.sigma_w_**2, self.sigma_b_**2
        hom = self._exact_second_moment(sp.Symbol("q", positive=True))
        if hom is not None:
            # qhat(q) = c q: the map q -> sw2 c q + sb2 is affine
            c = sp.simplify(hom / sp.Symbol("q", positive=True))
            slope = sw2 * c
            if slope < 1:
                return sb2 / (1 - slope) if sb2 != 0 else sp.S.Zero
            return None
        from scipy.optimize import brentq

        def g(v):
            return float(sw2) * self._gauss(lambda h: self._fnp(h) ** 2, v) + float(sb2) - v

        # q = 0 is a fixed point when sigma_b = 0 and phi(0) = 0; it attracts when the map's
        # slope there, sigma_w^2 phi'(0)^2, is <= 1 and the iterates decay towards it
        zero_fixed = sb2 == 0 and abs(float(self._fnp(0.0))) < 1e-300
        q = 1.0
        for _ in range(200):  # iterate towards the attracting fixed point
            qn = g(q) + q
            if zero_fixed and qn < 1e-30:
                return sp.S.Zero
            if not (1e-300 < qn < 1e12):
                return None
            if abs(qn - q) <= 1e-13 * qn:
                return sp.Float(qn, 15)
            q = qn
        if zero_fixed and q < 1.0 and self.chi(0) <= 1 + 1e-12:
            return sp.S.Zero  # algebraic decay q_l ~ c/l at a marginal slope (tanh, sigma_w = 1)
        # slow (chi near 1): bracket the root of g around the iterate and solve it
        lo, hi = q, q
        for _ in range(60):
            lo, hi = lo / 1.5, hi * 1.5
            if g(lo) * g(hi) < 0:
                return sp.Float(brentq(g, lo, hi, xtol=1e-15, rtol=1e-14), 15)
        raise NoConvergence("q* fixed point", 15, 200, abs(g(q)), None,
                            "the variance map has no isolated fixed point near the iterate; "
                            "give q0 explicitly")

    def chi(self, q: Any) -> float:
        """chi = sigma_w^2 E[phi'(h)^2] at variance q (a float).

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("relu", sigma_w=2).chi(1)      # 4 * 1/2
        2.0
        """
        return float(self.sigma_w_**2 * self.dphi_second_moment(q))

    @property
    def chi_star(self) -> float:
        """chi at q* (at q = 1 when q* is not unique, e.g. ReLU with sigma_b = 0).

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("linear", sigma_w=2).chi_star
        4.0
        """
        q = self.q_star
        return self.chi(q if q is not None else 1)

    def regime(self, tol: float = 1e-6) -> str:
        """'critical', 'ordered' (chi < 1: vanishing gradients) or 'chaotic' (chi > 1).

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("linear", sigma_w=2).regime(), MeanField("linear", sigma_w=1).regime()
        ('chaotic', 'critical')

        Parameters
        ----------
        tol : float
            ``|chi* - 1| <= tol`` counts as critical.
        """
        c = self.chi_star
        if abs(c - 1) <= tol:
            return "critical"
        return "ordered" if c < 1 else "chaotic"

    def advice(self) -> str:
        """Where the network sits relative to criticality and how to reach it.

        Examples
        --------
        >>> from freealg.nn import MeanField
        >>> MeanField("relu", sigma_w=1, sigma_b=1).advice()
        'chi = 0.5 (ordered); chi = 1 at sigma_w = 1.4142136 for sigma_b = 1'
        """
        c = self.chi_star
        msg = f"chi = {c:.6g} ({self.regime()})"
        if self.regime() != "critical":
            try:
                sw = critical_sigma_w(self.activation, self.sigma_b_, dps=self.dps)
                msg += f"; chi = 1 at sigma_w = {sw:.8g} for sigma_b = {float(self.sigma_b_):g}"
            except (NoConvergence, ValueError):
                msg += "; no sigma_w reaches chi = 1 for this sigma_b"
        return msg


def critical_sigma_w(activation: Any, sigma_b: Any = 0, dps: int = 20,
                     bracket: tuple = (0.05, 20.0)) -> float:
    """The sigma_w with chi(q*) = 1 for the given sigma_b (edge of chaos).

    Examples
    --------
    >>> round(critical_sigma_w("relu"), 10)      # sigma_w^2 = 2 (He initialisation)
    1.4142135624
    """
    return _critical_sigma_w(activation_expr(activation), sp.sympify(sigma_b), dps,
                             tuple(bracket))


@functools.lru_cache(maxsize=64)
def _critical_sigma_w(activation, sigma_b, dps, bracket) -> float:
    def f(sw):
        return MeanField(activation, sw, sigma_b, dps).chi_star - 1

    from scipy.optimize import brentq

    a, b = bracket
    fa_, fb = f(a), f(b)
    if fa_ * fb > 0:
        raise NoConvergence("critical sigma_w", dps, 0, min(abs(fa_), abs(fb)), None,
                            f"chi - 1 does not change sign on sigma_w in {bracket}; widen the "
                            "bracket or change sigma_b")
    return float(brentq(f, a, b, xtol=1e-12))
