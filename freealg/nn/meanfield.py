"""Mean-field signal propagation of a random MLP (Poole et al. 2016; Schoenholz et al. 2017).

For h^l = W^l x^{l-1} + b^l, x^l = phi(h^l), weights of variance sigma_w^2/N and biases of
variance sigma_b^2, the pre-activations are asymptotically N(0, q_l) with

    q_1 = sigma_w^2 q_0 + sigma_b^2,      q_{l+1} = sigma_w^2 qhat(q_l) + sigma_b^2,
    qhat(q) = E[phi(h)^2],  h ~ N(0, q),

``q_0 = |x^0|^2 / N`` the input norm. The fixed point q* of q -> sigma_w^2 qhat(q) + sigma_b^2 and
chi = sigma_w^2 E[phi'(h)^2] at q* decide the regime: chi < 1 ordered (gradients vanish),
chi > 1 chaotic (they explode), chi = 1 critical (PSG 2017 §2: m_1(J J^T) = chi^L).

Gaussian expectations are computed in float64 by composite Gauss-Legendre quadrature split at
the kinks of phi, with the panels halved until two results agree to 1e-14 relative
(:func:`freealg.numeric.activation.gaussian_expectation`), on overflow-safe forms of phi and
phi' (:func:`~freealg.nn.activations.activation_numpy`); ReLU, leaky ReLU and linear use their
closed forms, so exact inputs stay exact. The fixed point q* is found by iterating the variance
map a few steps from q = 1, then by bracketing and Brent's method on the fixed-point equation.

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

import numpy as np
import sympy as sp

from ..errors import InvalidParameterError, NoConvergence
from ..numeric.display import escape, number_html, table_html
from ..numeric.activation import gaussian_expectation
from .activations import H, activation_expr, activation_numpy

__all__ = ["MeanField", "critical_sigma_w"]


def _npdf(t: float) -> float:
    return math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


@functools.lru_cache(maxsize=256)
def _compiled(expr: sp.Expr) -> tuple:
    """(phi', kinks, phi and phi' as overflow-safe vectorised numpy functions), cached per
    activation expression."""
    fnp, dfnp = activation_numpy(expr)
    return sp.diff(expr, H), _kinks(expr), fnp, dfnp


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
        """E[f(h)], h ~ N(0, q), in float64 (composite Gauss-Legendre split at the kinks of
        phi, module docstring; the mean-field quantities enter the laws as 15-digit numbers)."""
        s = float(q) ** 0.5
        if s == 0.0:  # the limit q -> 0: one-sided values average at a kink at 0 (ReLU': 1/2)
            tiny = np.array([-1e-300, 1e-300])
            return float(np.mean(f(tiny)))
        return float(gaussian_expectation([f], float(q), self._breaks)[0][0])

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
        if sb2.is_number and float(sb2) == 0.0:
            sb2 = sp.S.Zero              # a float bias 0.0 is the unbiased network (Float(0) != 0)
        hom = self._exact_second_moment(sp.Symbol("q", positive=True))
        if hom is not None:
            # qhat(q) = c q: the map q -> sw2 c q + sb2 is affine
            c = sp.simplify(hom / sp.Symbol("q", positive=True))
            slope = sw2 * c
            if slope < 1:
                return sb2 / (1 - slope) if sb2 != 0 else sp.S.Zero
            return None
        from scipy.optimize import brentq

        fnp = self._fnp

        def g(v):
            return float(sw2) * self._gauss(lambda h: fnp(h) ** 2, v) + float(sb2) - v

        # q = 0 is a fixed point when sigma_b = 0 and phi(0) = 0
        zero_fixed = sb2 == 0 and abs(float(self._fnp(np.array([0.0]))[0])) < 1e-300
        q = 1.0
        for _ in range(12):  # a few steps of the map towards the attracting fixed point
            qn = g(q) + q
            if zero_fixed and qn < 1e-30:
                return sp.S.Zero
            if not (1e-300 < qn < 1e12):
                return None
            if abs(qn - q) <= 1e-14 * qn:
                return sp.Float(qn, 15)
            q = qn
        # slow (slope near 1): the map moves q in the direction of sign(g); follow that
        # direction to the first sign change of g and solve it there
        up = g(q) > 0
        a = b = q                       # g(a) has the sign `up`
        for _ in range(200):
            b = b * 2 if up else b / 2
            if up and b > 1e12:
                return None                  # no finite fixed point: q_l grows without bound
            if not up and b < 1e-30:
                if zero_fixed:
                    return sp.S.Zero         # algebraic decay q_l ~ c/l to the fixed point 0
                break
            gb = g(b)
            # g is computed to about 1e-14 relative to q: a sign counts only above that
            # rounding (else a drift g -> const > 0 at large q, or g = O(q) near the fixed
            # point 0, could fake a root)
            if abs(gb) <= 1e-10 * b:
                continue
            if (gb > 0) != up:
                return sp.Float(brentq(g, min(a, b), max(a, b), xtol=1e-300, rtol=1e-15), 15)
            a = b
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
                     bracket: tuple = (0.05, 20.0), exact: bool = False) -> Any:
    """The sigma_w with chi(q*) = 1 for the given sigma_b (edge of chaos).

    With ``u(q) = E[phi(h)^2]`` and ``v(q) = E[phi'(h)^2]`` (h ~ N(0, q)), a fixed point q* of the
    variance map at which chi = 1 satisfies ``q* = sigma_w^2 u(q*) + sigma_b^2`` and
    ``sigma_w^2 v(q*) = 1``, i.e. ``F(q*) = u(q*)/v(q*) + sigma_b^2 - q* = 0`` and
    ``sigma_w = v(q*)^(-1/2)``; chi < 1 at a fixed point q exactly when F(q) > 0. So:

    * piecewise-linear homogeneous activations (linear, ReLU, leaky ReLU) have chi independent
      of q: ``sigma_w = v^(-1/2)`` exactly (sqrt 2 for ReLU);
    * otherwise the roots of F on q > sigma_b^2 (a logarithmic scan of [1e-8, 1e6] and Brent's
      method, float64 Gaussian expectations to about 1e-14: sigma_w to about 1e-13) that are
      attracting fixed points (slope of the variance map < 1); the smallest sigma_w if several;
    * with no such root the transition is at an end of the range of q*: at q* -> 0 when
      sigma_b = 0, phi(0) = 0 and F < 0 (tanh, erf, silu, gelu, elu, selu; Poole et al. 2016:
      tanh at sigma_b = 0 is critical at sigma_w = 1), where chi = sigma_w^2 (phi'(0-)^2 +
      phi'(0+)^2)/2; at q* -> oo when F > 0 for large q (softplus), where chi ->
      sigma_w^2 (phi'(-oo)^2 + phi'(oo)^2)/2. These limits are exact sympy numbers.

    Examples
    --------
    >>> round(critical_sigma_w("relu"), 10)      # sigma_w^2 = 2 (He initialisation)
    1.4142135624
    >>> critical_sigma_w("tanh", exact=True), critical_sigma_w("erf", exact=True)
    (1, sqrt(pi)/2)
    >>> round(critical_sigma_w("tanh", 0.05), 12)   # mpmath findroot: 1.1225390047695756
    1.12253900477

    Parameters
    ----------
    activation : str, tuple or sympy expression
        See :func:`~freealg.nn.activation_expr`.
    sigma_b : number
        Bias standard deviation, >= 0.
    dps : int
        Kept for the API (the method above works in float64).
    bracket : tuple of two numbers
        The range searched for sigma_w.
    exact : bool
        Return a sympy number (exact where a closed form exists, else a 15-digit Float)
        instead of a float.

    Returns
    -------
    float or sympy number

    Raises
    ------
    NoConvergence
        No sigma_w in ``bracket`` gives chi = 1 (residual: the smaller |chi - 1| at the ends).
    """
    v = _critical_sigma_w(activation_expr(activation), sp.sympify(sigma_b), dps, tuple(bracket))
    return v if exact else float(v)


@functools.lru_cache(maxsize=64)
def _critical_sigma_w(activation, sigma_b, dps, bracket):
    sw = _critical_exact_or_numeric(activation, sigma_b)
    a, b = (float(x) for x in bracket)
    if sw is not None and a <= float(sw) <= b:
        return sw
    fa_, fb = (MeanField(activation, e, sigma_b, dps).chi_star - 1 for e in (a, b))
    if sw is None:
        raise NoConvergence("critical sigma_w", dps, 0, min(abs(fa_), abs(fb)), None,
                            "chi = 1 is reached at no attracting fixed point q* for this "
                            "sigma_b (the ordered fixed point disappears in a saddle-node "
                            "bifurcation, or q* runs off); give sigma_w explicitly")
    raise NoConvergence("critical sigma_w", dps, 0, min(abs(fa_), abs(fb)), None,
                        f"chi - 1 does not change sign on sigma_w in {bracket}; widen the "
                        "bracket or change sigma_b")


def _critical_exact_or_numeric(phi: sp.Expr, sigma_b: sp.Expr):
    """The method of :func:`critical_sigma_w`; None when chi = 1 is not reached."""
    mf = MeanField(phi, 1, sigma_b)
    sb2 = float(sigma_b) ** 2
    hom = mf._exact_second_moment(sp.Symbol("q", positive=True))
    if hom is not None:            # chi = sigma_w^2 v, v = E[phi'^2] constant
        vv = sp.nsimplify(mf.dphi_second_moment(1), rational=True) if mf.phi != H else sp.S.One
        return sp.sqrt(1 / vv)
    from scipy.optimize import brentq

    f2, d2 = (lambda h: mf._fnp(h) ** 2), (lambda h: mf._dfnp(h) ** 2)
    br = mf._breaks

    def uv(q):
        return gaussian_expectation([f2, d2], q, br)[0]

    def F(q):
        u, v = uv(q)
        return u / v + sb2 - q

    def F_scan(q):
        # an oscillating activation (sin) at q ~ 1e6 defeats the quadrature, and a user
        # expression can overflow there (h/(1 + exp(-2 h)): exp(768)); such grid points are
        # skipped (NaN), the sign changes are looked for between the others
        try:
            return F(q)
        except (NoConvergence, InvalidParameterError):
            return math.nan

    qs = np.logspace(-8, 6, 141)
    qs = qs[qs > sb2 * (1 + 1e-9)]
    Fs = [F_scan(q) for q in qs]
    keep = [k for k, v in enumerate(Fs) if math.isfinite(v)]
    qs, Fs = qs[keep], [Fs[k] for k in keep]
    found = []
    for k in range(len(qs) - 1):
        if (Fs[k] > 0) != (Fs[k + 1] > 0):
            qc = brentq(F, qs[k], qs[k + 1], xtol=1e-300, rtol=1e-15)
            sw2 = 1 / uv(qc)[1]
            # attracting: slope of the map, sigma_w^2 u'(q), below 1 (centred difference)
            dq = 1e-5 * qc
            slope = sw2 * (uv(qc + dq)[0] - uv(qc - dq)[0]) / (2 * dq)
            if slope < 1 - 1e-7:
                found.append(sw2 ** 0.5)
    if found:
        return sp.Float(min(found), 15)
    # F(q) = u/v - q at q = 1e-8 is O(q^2) or O(q^3) (odd phi), at the rounding of u ~ q:
    # "F <= 0" to 1e-12 of q (sin: F = tanh q - q = -3e-25 came out as +1.7e-24)
    if sb2 == 0 and phi.subs(H, 0) == 0 and Fs and Fs[0] <= 1e-12 * qs[0]:
        pair = _one_sided(phi, mf._dfnp, 0, 1e-300)
    elif Fs and Fs[-1] > 0:
        pair = _one_sided(phi, mf._dfnp, sp.oo, 1e300)
    else:
        return None
    lim = (pair[0] ** 2 + pair[1] ** 2) / 2
    lim = sp.N(lim, 30) if phi.atoms(sp.Float) else lim   # sympy evaluates exact numbers
    if not (lim.is_number and lim.is_finite and lim > 0):
        return None
    out = 1 / sp.sqrt(lim)
    return sp.Float(out, 15) if out.atoms(sp.Float) else out


def _one_sided(phi: sp.Expr, dfnp, at: Any, num: float) -> list:
    """(phi'(at-), phi'(at+)) for at = 0 (``at = oo``: phi'(-oo), phi'(oo)): sympy limits when
    they agree with the float values at -+num to 1e-12, else 15-digit Floats of those."""
    d = sp.diff(phi, H)
    vals = [float(v) for v in dfnp(np.array([-num, num]))]
    out: list = []
    if phi.has(sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.Abs):
        # sympy's limits of piecewise derivatives are slow or wrong: the float values,
        # exact when they are integers
        return [sp.Integer(int(v)) if float(v).is_integer() else sp.Float(v, 15) for v in vals]
    for side, v in zip(("-", "+"), vals):
        try:
            ex = sp.limit(d, H, at, side) if at == 0 else sp.limit(d, H, -at if side == "-"
                                                                   else at)
            ok = ex.is_number and ex.is_finite and abs(float(ex) - v) <= 1e-12 * (1 + abs(v))
        except Exception:  # noqa: BLE001 - sympy limits of piecewise expressions can fail
            ok = False
        out.append(ex if ok else sp.Float(v, 15))
    return out
