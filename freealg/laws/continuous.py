"""Absolutely continuous laws: a law from its density, and Gaussian push-forwards.

* :class:`FromDensity` (built by :func:`~freealg.constructors.from_density`): the law on
  [a, b] with a given density (sympy expression, sympy ``Lambda`` or Python callable);
* :class:`GaussianPushforward` (built by :func:`~freealg.constructors.gaussian_pushforward`):
  the law of f(h) for h ~ N(0, q). This is how activation derivatives enter deep-learning
  spectra (Pennington-Schoenholz-Ganguli 2017): the diagonal D = diag(phi'(h)) has the law of
  phi'(h). Atoms (f constant on a set of positive Gaussian measure) are found exactly from the
  Piecewise/Heaviside/Min/Max structure of a symbolic f, heuristically for a callable; the
  rest is a density.

The laws hold their parameters (the function in canonical form) and exact hooks; numerics are
done by their models in the engine (:mod:`freealg.numeric.fnlaw`,
:mod:`freealg.numeric.pushforward`, :mod:`freealg.numeric.quadrature`): the density is a sum of
pieces, either the density p(t) itself on an interval (``from_density``; the support is cut at
breakpoints; a sympy density is evaluated near a and b as pdf(a + d), pdf(b - d) with the
vanishing factors expanded, so sqrt and inverse-sqrt edges keep the working precision), or a
monotone branch x = X(s) of f carried by the Gaussian weight w(s) = phi_q(s)/w_c
(``gaussian_pushforward``: no root finding at the quadrature nodes, and the inverse-square-root
edges at critical values of f are integrated in the smooth variable s). The Cauchy transform is
subtracted, graded tanh-sinh quadrature.
"""

from __future__ import annotations

from typing import Any, Sequence

import sympy as sp

from ..errors import InvalidParameterError
from ..numeric.fnlaw import X as _X
from ..numeric.fnlaw import DensityModel, QuadratureHooks, canonical_function
from ..numeric.fnlaw import body as _body
from ..numeric.pushforward import PushforwardModel, plan
from ..numeric.params import parameter
from .base import Law, check

__all__ = ["FromDensity", "GaussianPushforward"]

_XP = sp.Symbol("x")          # for printing only


class _QuadratureLaw(QuadratureHooks, Law):
    """A law whose numerics are answered by a quadrature model (``_make_model``) and whose
    arguments are numbers, tuples of numbers, sympy functions (Lambda) or callables."""

    __slots__ = ()
    _cauchy_strategies = ("quadrature",)

    @property
    def free_symbols(self) -> set:
        """Symbols of the parameters: of a sympy function (not its variable), of the numbers
        (interval ends, breakpoints, variance).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, k = sp.symbols("x k", positive=True)
        >>> FromDensity(sp.Lambda(x, (k + 1) * x**k), 0, 1).free_symbols
        {k}
        >>> h, q = sp.Symbol("h"), sp.Symbol("q", positive=True)
        >>> GaussianPushforward(sp.tanh(h), q).free_symbols
        {q}
        """
        out: set = set()
        for a in self._args:
            for v in (a if isinstance(a, tuple) else (a,)):
                out |= v.free_symbols if isinstance(v, sp.Basic) else set()
        return out

    def subs(self, *args, **kwargs) -> "_QuadratureLaw":
        """Substitute values for symbolic parameters (of a sympy function, of the numbers).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> x, k = sp.symbols("x k", positive=True)
        >>> mu = FromDensity(sp.Lambda(x, (k + 1) * x**k), 0, 1)
        >>> mu.subs(k, 2).moments(2)
        [3/4, 3/5]
        """

        def one(v):
            if isinstance(v, tuple):
                return tuple(one(u) for u in v)
            return v.subs(*args, **kwargs) if isinstance(v, sp.Basic) else v

        return type(self)(*[one(a) for a in self._args])


class FromDensity(_QuadratureLaw):
    """Absolutely continuous law on [a, b] with density ``pdf``.

    ``pdf`` is a sympy expression in one symbol, a sympy ``Lambda`` (which may carry extra
    symbolic parameters) or a Python callable (numpy-vectorised or scalar). It is checked to be
    >= 0 on a grid and to integrate to 1: exactly when sympy's manual integrator can do the
    integral (and the pdf has exact coefficients), else numerically to 1e-8 relative.
    Moments are exact sympy integrals where possible, else 30-digit quadrature (sympy Floats).
    The Cauchy transform is computed by subtracted tanh-sinh quadrature (module docstring);
    for a sympy pdf the nodes near a and b evaluate pdf(a + d), pdf(b - d) with the vanishing
    factors expanded, so sqrt and inverse-sqrt edges cost no accuracy. A callable that only
    accepts floats limits the mpmath path to double precision.

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> x = sp.Symbol("x")
    >>> mu = FromDensity(3 * x**2 / 2, -1, 1)
    >>> mu.moments(4)
    [0, 3/5, 0, 3/7]
    >>> mu == FromDensity(sp.Lambda(sp.Symbol("t"), 3 * sp.Symbol("t")**2 / 2), -1, 1)
    True
    >>> mu.cauchy(2.0, dps=20)              # 3z^2/2 log((z+1)/(z-1)) - 3z = 6 log 3 - 6
    mpc(real='0.59167373200865815', imag='0.0')

    Parameters
    ----------
    pdf : sympy expression, sympy Lambda or callable
        The density on [a, b] (values outside are ignored).
    a, b : number
        The support interval, b > a.
    breakpoints : sequence of numbers, optional
        Interior points where the pdf is not smooth (kinks, jumps, integrable singularities);
        the quadrature is split there. Piecewise/Abs/Heaviside breakpoints of a sympy pdf are
        found automatically.

    Raises
    ------
    InvalidParameterError
        b <= a, a string pdf, a negative pdf or one that does not integrate to 1.
    """

    __slots__ = ()
    _argnames = ("pdf", "a", "b", "breakpoints")
    name = "from_density"

    def __init__(self, pdf: Any, a: Any, b: Any, breakpoints: Sequence = ()):
        kind, fobj = canonical_function(pdf, "pdf")
        a, b = parameter("a", a), parameter("b", b)
        for nm, v in (("a", a), ("b", b)):
            if v.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
                raise InvalidParameterError(nm, v, "the support must be a bounded interval "
                                                   "(freealg laws are compactly supported)")
            check(nm, v, sp.Eq(sp.im(v), 0), "the support ends must be real")
        check("b", b, b > a, "the interval [a, b] must have b > a")
        bps = tuple(sorted({parameter("breakpoints", p) for p in breakpoints},
                           key=lambda p: (float(p) if p.is_number else 0, sp.default_sort_key(p))))
        for p in bps:
            check("breakpoints", bps, sp.And(p > a, p < b), "breakpoints must lie inside (a, b)")
        self._init(fobj, a, b, bps)
        self._model().validate()

    # value protocol ---------------------------------------------------------------------
    def _display_pdf(self) -> Any:
        pdf = self._args[0]
        if isinstance(pdf, sp.Lambda):
            return _body(pdf).xreplace({_X: _XP})
        return getattr(pdf, "__name__", None) or repr(pdf)

    def __repr__(self):
        pdf, a, b, bps = self._args
        extra = f", breakpoints={list(bps)}" if bps else ""
        return f"from_density({self._display_pdf()}, {a}, {b}{extra})"

    def _breaks(self) -> list:
        return self._model().breaks()

    def _make_model(self) -> DensityModel:
        pdf, a, b, bps = self._args
        return DensityModel(pdf, a, b, bps, self._display_pdf(), repr(self),
                            sorted(self.free_symbols, key=str))


class GaussianPushforward(_QuadratureLaw):
    """Absolutely continuous part of the law of f(h), h ~ N(0, variance), normalised.

    The density is ``rho(x) = sum_{h: f(h) = x} phi_q(h)/|f'(h)| / w_c`` over the pieces of the
    real line where f is not constant (w_c = their Gaussian mass). Use
    :func:`gaussian_pushforward`, which also returns the atoms; this class is its continuous
    component (the whole law when f has no flat parts).

    Numerics are done in the h variable (module docstring): the inverse-square-root edges at
    critical values of f cost no accuracy. The Gaussian tails are truncated where their mass is
    below 10^-(dps+10) (mpmath) or 1e-20 (numpy). Moments are exact when every non-flat piece of
    a symbolic f is a polynomial (Gaussian moments on intervals by integration by parts),
    otherwise 30-digit quadrature (sympy Floats).

    Examples
    --------
    >>> import sympy as sp, freealg as fa
    >>> h = sp.Symbol("h")
    >>> mu = GaussianPushforward((1 - sp.tanh(h)**2)**2, 1)
    >>> mu.support()[0].lo, mu.support()[0].hi
    (0, 1)
    >>> [e.kind for e in mu.edges()]             # vanishing at 0, inverse-sqrt at 1
    ['soft', 'hard']
    >>> round(float(mu.moments(1)[0]), 10)        # E[tanh'(h)^2]
    0.4644029024

    Parameters
    ----------
    f : sympy expression in one symbol, sympy Lambda, or callable
        The function; it must be bounded.
    variance : positive number or symbol
        The variance q of h.
    """

    __slots__ = ()
    _argnames = ("f", "variance")
    name = "gaussian_pushforward_ac"

    def __init__(self, f: Any, variance: Any):
        kind, fobj = canonical_function(f, "f")
        q = parameter("variance", variance)
        check("variance", variance, sp.Eq(sp.im(q), 0), "the variance must be real")
        check("variance", variance, q > 0, "the variance of h must be > 0")
        self._init(fobj, q)
        if not plan(fobj, q).pieces:
            raise InvalidParameterError("f", self._display_f(), "f is constant almost "
                                        "everywhere: the law is atomic (use "
                                        "gaussian_pushforward)")

    # value protocol -----------------------------------------------------------------------
    def _display_f(self) -> Any:
        f = self._args[0]
        if isinstance(f, sp.Lambda):
            return _body(f).xreplace({_X: sp.Symbol("h")})
        return getattr(f, "__name__", None) or repr(f)

    def __repr__(self):
        return f"{self.name}({self._display_f()}, variance={self._args[1]})"

    def _make_model(self) -> PushforwardModel:
        f, q = self._args
        return PushforwardModel(f, q, repr(self))
