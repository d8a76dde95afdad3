"""The Law value object: a compactly supported probability law on the real line.

A Law is immutable and hashable; ``==`` is structural (same class, same arguments). Its
symbolic side (moments, free cumulants, R/S transforms, closed-form Cauchy transform, algebraic
curve) is exact sympy; its numeric side evaluates the Cauchy transform on the closed upper half
plane at any precision (mpmath) or vectorised (numpy), with the branch fixed by the asymptotics
G(z) ~ 1/z (see ``docs/conventions.md``).

Public methods dispatch to named strategies (``method=``): see each method.

Internal numeric protocol (used by composite laws and the continuation solver):

``_nunk``
    number of unknowns this law adds to a Newton system (0 for laws with a formula);
``_g_dual(zeta, w, be, args)``
    Cauchy transform at the Dual ``zeta`` using the unknowns ``w`` (a list of Duals of length
    ``_nunk``), appending residuals to ``args.res`` and evaluation points to ``args.pts``;
``_guess(zeta, be)``
    starting values of the unknowns for large Im zeta.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import (BranchError, FreeAlgError, InvalidParameterError, NoConvergence,
                      UndeterminedError)
from ..kernels.backend import MP, NP
from ..kernels.dual import Dual
from ..numeric.dispatch import check_dps, choose, collecting, record
from ..numeric.dispatch import numeric_input as _numeric_input
from ..numeric.distribution import DistributionMixin
from ..numeric.stransform import M as S_VAR
from ..numeric.stransform import STransformForm
from ..numeric.records import Atom, Band, Edge, at_atom
from ..transforms import cumulants as cm

__all__ = ["Law", "Atom", "Edge", "Band", "check", "numeric_value", "EvalContext"]


# --------------------------------------------------------------------------------------------
# three-valued checks and numeric conversion


def check(name: str, value: Any, condition: Any, requirement: str) -> None:
    """Raise InvalidParameterError only when ``condition`` is definitely false.

    ``condition`` may be a callable (evaluated here, so that comparisons that sympy cannot make,
    e.g. with NaN or a complex number, become a clear error). NaN and infinite values are
    always rejected; a condition that depends on a symbol passes (three-valued check).

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> check("variance", s, lambda: s > 0, "> 0")
    >>> check("variance", -1, lambda: sp.S(-1) > 0, "must be > 0")
    Traceback (most recent call last):
    ...
    freealg.errors.InvalidParameterError: invalid variance=-1: must be > 0
    """
    for v in (value if isinstance(value, (tuple, list)) else (value,)):
        try:
            sv = sp.sympify(v)
        except (sp.SympifyError, TypeError):
            raise InvalidParameterError(name, value, requirement) from None
        if isinstance(sv, sp.Basic) and sv.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
            raise InvalidParameterError(name, value, "must be finite (not NaN or infinite); "
                                                     + requirement)
    try:
        cond = sp.sympify(condition() if callable(condition) else condition)
    except TypeError:
        raise InvalidParameterError(name, value, requirement) from None
    if cond is sp.false or cond == False:  # noqa: E712 (sympy booleans)
        raise InvalidParameterError(name, value, requirement)


def numeric_value(expr: Any, be, what: str = "a law parameter") -> Any:
    """Convert an exact value to the back end's number type; symbols raise UndeterminedError."""
    e = sp.sympify(expr)
    if e.free_symbols:
        raise UndeterminedError(what, sorted(e.free_symbols, key=str))
    if be is NP:
        return float(e) if e.is_real else complex(e)
    return e.evalf(mpmath.mp.dps + 5)._to_mpmath(mpmath.mp.prec + 20)


#: Printers registered by ``freealg.printing`` when it is imported (``"latex"``: a function
#: ``(law, printer) -> str``), so that this module does not import the printing layer.
PRINTERS: dict = {}

#: The free operations behind the convenience methods (``boxplus``, ``boxtimes``, ``affine``),
#: registered by ``freealg.laws.convolution`` when it is imported (the laws package always
#: imports it), so that this module does not import the module that builds on it.
OPERATIONS: dict = {}


def _flat(args: Any) -> Iterable:
    for a in args:
        if isinstance(a, tuple):
            yield from _flat(a)
        elif isinstance(a, Law):
            yield from _flat(a._args)
        else:
            yield a


class EvalContext:
    """Collects residuals and evaluation points while a Newton system is evaluated."""

    __slots__ = ("res", "pts")

    def __init__(self):
        self.res: list = []
        self.pts: list = []


# --------------------------------------------------------------------------------------------


class Law(DistributionMixin):
    """Base class of all laws. Subclasses set ``_argnames`` and implement the hooks.

    Examples
    --------
    >>> import freealg as fa
    >>> mu = fa.semicircle(1)
    >>> mu == fa.semicircle(1), hash(mu) == hash(fa.semicircle(1))
    (True, True)
    >>> mu.moments(4)
    [0, 1, 0, 2]
    """

    __slots__ = ("_args", "_cache")
    _args: tuple
    _cache: dict
    _argnames: tuple = ()
    _nunk = 0
    name = "law"

    def _init(self, *args):
        object.__setattr__(self, "_args", tuple(args))
        object.__setattr__(self, "_cache", {})

    def __setattr__(self, key, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    # value-object protocol -------------------------------------------------------------
    @property
    def args(self) -> tuple:
        """The constructor arguments: ``type(law)(*law.args) == law``.

        Examples
        --------
        >>> import freealg as fa
        >>> mu = fa.semicircle(2, 1)
        >>> mu.args
        (2, 1)
        >>> type(mu)(*mu.args) == mu
        True
        """
        return self._args

    def __eq__(self, other):
        if self is other:
            return True
        return type(self) is type(other) and self._args == other._args

    def __hash__(self):
        # cached: generators carry laws, and words of thousands of letters hash them often
        h = self._cache.get("__hash__")
        if h is None:
            h = hash((type(self).__name__, self._args))
            self._cache["__hash__"] = h
        return h

    def __reduce__(self):
        return (type(self), self._args)

    def __repr__(self):
        inner = ", ".join(f"{k}={v}" for k, v in zip(self._argnames, self._args))
        return f"{self.name}({inner})"

    def _latex(self, printer=None) -> str:
        custom = PRINTERS.get("latex")
        if custom is not None:
            return custom(self, printer)
        inner = ", ".join(sp.latex(a) if not isinstance(a, Law) else a._latex(printer)
                          for a in self._args)
        return rf"\operatorname{{{self.name}}}\left({inner}\right)"

    def _repr_latex_(self) -> str:
        return f"${self._latex()}$"

    def _sympystr(self, printer=None) -> str:
        return repr(self)

    def _memo(self, key, fn):
        c = self._cache
        if key not in c:
            c[key] = fn()
        return c[key]

    @property
    def free_symbols(self) -> set:
        """The sympy symbols that the law's parameters depend on.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> v = sp.Symbol("v", positive=True)
        >>> fa.free_additive(fa.semicircle(v), fa.bernoulli(sp.Rational(1, 2))).free_symbols
        {v}
        """

        def syms(a) -> set:
            if isinstance(a, Law):
                return a.free_symbols
            if isinstance(a, (tuple, list)):
                out: set = set()
                for b in a:
                    out |= syms(b)
                return out
            if isinstance(a, (bool, int, float)):
                return set()
            return getattr(sp.sympify(a), "free_symbols", set())

        return syms(self._args)

    def subs(self, *args, **kwargs) -> "Law":
        """Substitute values for symbolic parameters (sympy ``subs`` semantics).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> t = sp.Symbol("t")
        >>> fa.bernoulli(t).subs(t, sp.Rational(1, 3))
        bernoulli(t=1/3)
        """

        def sub(a):
            if isinstance(a, Law):
                return a.subs(*args, **kwargs)
            if isinstance(a, tuple):
                return tuple(sub(b) for b in a)
            return sp.sympify(a).subs(*args, **kwargs)

        return type(self)(*[sub(a) for a in self._args])

    # symbolic side ---------------------------------------------------------------------
    def _moments_exact(self, n: int) -> list | None:
        return None

    def _free_cumulants_exact(self, n: int) -> list | None:
        return None

    def moments(self, n: int) -> list:
        """Exact moments [m_1, ..., m_n] (sympy).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(2).moments(3)
        [2, 6, 22]
        """
        n = int(n)
        if n <= 0:
            return []

        def compute():
            m = self._moments_exact(n)
            if m is None:
                k = self._free_cumulants_exact(n)
                if k is None:
                    raise NotImplementedError(f"no exact moments for {self!r}")
                m = cm.moments_from_free_cumulants(k)
            return [sp.nsimplify(x) if isinstance(x, float) else sp.simplify(x)
                    if sp.sympify(x).free_symbols else sp.sympify(x) for x in m]

        return list(self._memo(("moments", n), compute))

    def moment(self, k: int):
        """Exact k-th moment m_k (m_0 = 1).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(1).moment(6)     # Catalan number C_3
        5
        >>> fa.semicircle(1).moment(0)
        1
        """
        return sp.S.One if k == 0 else self.moments(k)[k - 1]

    def free_cumulants(self, n: int) -> list:
        """Exact free cumulants [kappa_1, ..., kappa_n].

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(3, 2).free_cumulants(3)   # kappa_n = rate * jump^n
        [6, 12, 24]
        """
        n = int(n)

        def compute():
            k = self._free_cumulants_exact(n)
            if k is None:
                k = cm.free_cumulants_from_moments(self.moments(n))
            return [sp.simplify(x) if sp.sympify(x).free_symbols else sp.sympify(x) for x in k]

        return list(self._memo(("cumulants", n), compute))

    def cauchy_expr(self, z: Any = None):
        """Closed-form Cauchy transform as a sympy expression in ``z`` (None if unknown).

        Square roots are written sqrt(z - a) sqrt(z - b), the branch analytic off [a, b].

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(1).cauchy_expr()
        z/2 - sqrt(z - 2)*sqrt(z + 2)/2
        >>> fa.arcsine(-1, 1).cauchy_expr(3)     # 1/sqrt(3^2 - 1)
        sqrt(2)/4

        Parameters
        ----------
        z : sympy expression or number, optional
            Where to evaluate; the symbol ``z`` if omitted.
        """
        return None

    def curve(self, z: Any = None, G: Any = None):
        """Algebraic curve P(z, G) = 0 satisfied by the Cauchy transform (sympy Poly) or None.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(1).curve().as_expr()
        G**2 - G*z + 1
        """
        return None

    def r_transform(self, w: Any = None):
        """R-transform R(w) = sum kappa_{n+1} w^n as a sympy expression (None if unknown).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(3, 1).r_transform()     # mean + variance * w
        3*w + 1
        >>> fa.free_poisson(1).r_transform()
        1/(1 - w)

        Parameters
        ----------
        w : sympy expression or number, optional
            Where to evaluate; the symbol ``w`` if omitted.
        """
        return None

    def s_transform(self, z: Any = None):
        """S-transform (sympy) for laws on [0, inf) with nonzero mean (None if unknown).

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(1).s_transform()     # 1/(jump (z + rate))
        1/(z + 1)
        >>> fa.semicircle(1).s_transform() is None     # not supported in [0, inf)
        True

        Parameters
        ----------
        z : sympy expression or number, optional
            Where to evaluate; the symbol ``z`` if omitted.
        """
        return None

    # numeric hooks -----------------------------------------------------------------------
    def _params(self, be) -> tuple:
        """Numeric parameters for the back end (cached per precision)."""
        key = ("params", be.name, mpmath.mp.prec if be is MP else 0)
        return self._memo(key, lambda: self._make_params(be))

    def _make_params(self, be) -> tuple:
        return tuple(numeric_value(a, be) for a in self._args)

    def _g(self, z, be):
        """Cauchy transform for laws with a formula (z in the closed upper half plane)."""
        raise NotImplementedError

    def _dg(self, z, be):
        """Its derivative."""
        raise NotImplementedError

    def _g_dual(self, zeta: Dual, w: Sequence[Dual], be, ctx: EvalContext) -> Dual:
        ctx.pts.append(zeta.v)
        return zeta.apply(self._g(zeta.v, be), self._dg(zeta.v, be))

    def _psi(self, z, be):
        """psi(1/z) = z G(z) - 1 = sum_n m_n z^-n; leaves override with formulas free of the
        cancellation z G - 1 suffers at large |z| (it matters for ⊠, MATH.md §3)."""
        return None

    def _gpsi_dual(self, zeta: Dual, w: Sequence[Dual], be, ctx: EvalContext):
        """(G, psi) as Duals, psi = zeta G - 1 evaluated stably where the law knows how."""
        G = self._g_dual(zeta, w, be, ctx)
        ps = self._psi(zeta.v, be)
        if ps is None:
            return G, zeta * G - 1
        # d/dz (z G - 1) = G + z G' (inf/NaN on an atom of a discrete law: a pole)
        with np.errstate(invalid="ignore"):
            dps_ = G.v + zeta.v * self._dg(zeta.v, be)
        return G, zeta.apply(ps, dps_)

    def _guess(self, zeta, be) -> list:
        return []

    def _hull_float(self) -> tuple[float, float]:
        """Bounds (lo, hi) of the support including atoms, as floats."""
        raise NotImplementedError

    def _mean_float(self) -> float:
        return float(numeric_value(self.mean, NP))

    @property
    def _scale(self) -> float:
        lo, hi = self._hull_float()
        return max(abs(lo), abs(hi), hi - lo)

    def is_positive(self) -> bool | None:
        """True if surely supported in [0, inf), False if surely not, None if undetermined.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> fa.free_poisson(2).is_positive(), fa.semicircle(1).is_positive()
        (True, False)
        >>> print(fa.semicircle(sp.Symbol("v", positive=True)).is_positive())
        None
        """
        try:
            lo, _ = self._hull_float()
        except UndeterminedError:
            return None
        return lo >= -1e-300

    # public numeric API ------------------------------------------------------------------
    #: strategies of ``cauchy``/``density`` that this class implements, default first
    _cauchy_strategies: tuple = ("formula",)

    def _strategies(self, quantity: str) -> tuple:
        """The strategies of ``quantity`` that apply to this law, the default first."""
        if quantity in ("cauchy", "density"):
            return self._cauchy_strategies
        if quantity in ("edges", "support"):
            return self._edge_strategies
        return ()

    def simplify(self) -> "Law":
        """An equal law with a closed form where one is known, else the tree with simplified
        children (see :func:`freealg.laws.simplify.simplify` for the rules and theorems).

        ``cauchy`` and ``density`` use the closed form automatically (strategy ``'formula'``)
        when the whole tree simplifies to one; ``edges(method='formula')`` and
        ``support(method='formula')`` then give its exact edges.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> fa.free_additive(fa.semicircle(1), fa.semicircle(2)).simplify()
        semicircle(variance=3, mean=0)
        >>> fa.free_compression(fa.bernoulli(sp.Rational(1, 3)), sp.Rational(1, 2),
        ...                     ambient=True).simplify()
        wachter(alpha=1/3, beta=1/2)

        Returns
        -------
        Law
        """
        return self._memo("simplified", lambda: OPERATIONS["simplify"](self))

    def _closed(self) -> "Law | None":
        """The simplified law when it differs from this one and has a closed form."""
        def build():
            if "simplify" not in OPERATIONS:
                return None
            try:
                law = self.simplify()
            except FreeAlgError:
                return None
            if law is self or law == self or law._nunk != 0 or law._closed_strategy() is None:
                return None
            return law

        return self._memo("closed", build)

    def _closed_strategy(self) -> str | None:
        return "formula" if "formula" in self._strategies("cauchy") else None

    def _all_strategies(self, quantity: str) -> tuple:
        """This law's strategies, with 'formula' first when the tree simplifies to a closed
        form (see :meth:`simplify`)."""
        own = self._strategies(quantity)
        if "formula" not in own and self._closed() is not None:
            # automatic for numbers; for edges/support only on request, since the closed
            # form gives exact sympy locations where the numeric search gives mpf
            return (("formula",) + tuple(own) if quantity in ("cauchy", "density")
                    else tuple(own) + ("formula",))
        return own

    def _route(self, quantity: str, strategy: str, method: str | None) -> tuple:
        """(law that computes, method to pass it): the closed form for 'formula' when this law
        is not closed itself, else this law."""
        if strategy == "formula" and "formula" not in self._strategies(quantity):
            return self._closed(), None
        return self, method

    def _default(self, quantity: str) -> str | None:
        names = self._strategies(quantity)
        return names[0] if names else None

    def _s_form(self):
        """The S-transform engine form of this law (None when it has none): a leaf on
        [0, inf) with a closed-form S-transform; ⊠ products, compressions and positive
        scalings of such laws override this."""
        def build():
            if self.free_symbols:
                return None
            try:
                # float parameters become the exact rationals they stand for, so that the
                # engine's exact algebra reproduces the law the other strategies solve (to
                # any dps; sympy's 15-digit float arithmetic would not)
                law = self._exactified()
                S = law.s_transform(S_VAR)
                if S is None:
                    return None
                a0 = sum((a.mass for a in law.atoms() if a.location == 0), sp.S.Zero)
                return STransformForm([(S, 1)], atom0=a0)
            except (FreeAlgError, TypeError, ValueError, ZeroDivisionError):
                return None

        return self._memo("s_form", build)

    def _curve_engine(self, eliminate: bool = False):
        """The algebraic-curve engine of this law (None: no usable curve; see
        ``freealg.laws.convolution``)."""
        return None

    def _exactified(self) -> "Law":
        """This law with every float parameter replaced by the exact rational it stores."""
        def conv(a):
            if isinstance(a, Law):
                return a._exactified()
            if isinstance(a, tuple):
                return tuple(conv(b) for b in a)
            e = sp.sympify(a)
            return e.xreplace({f: sp.Rational(f) for f in e.atoms(sp.Float)})

        floats = any(isinstance(a, sp.Basic) and a.atoms(sp.Float) for a in _flat(self._args))
        return type(self)(*[conv(a) for a in self._args]) if floats else self

    def _engine(self, strategy: str):
        """The numeric engine behind the strategy 's_transform' or 'curve'."""
        return self._s_form() if strategy == "s_transform" else self._curve_engine()

    def _cauchy_np_with(self, z, strategy, method):
        """G on an array through ``strategy``: the engine strategies run here, the law's own
        (formula, quadrature, subordination, ...) in ``_cauchy_np``. With ``method`` None a
        point the engine leaves NaN (off the real axis or not) is retried on the law's own
        path, so the automatic choice is never worse than the law's solver."""
        if strategy in ("s_transform", "curve"):
            G = np.asarray(self._engine(strategy).cauchy_np(z), dtype=complex)
            if method is None:
                bad = np.isnan(G)
                if np.any(bad):
                    record(note=f"{int(bad.sum())} point(s) left NaN by the {strategy} engine "
                                "were solved by subordination")
                    G = G.copy()
                    G[bad] = self._cauchy_np(np.asarray(z)[bad], None)
            return G
        return self._cauchy_np(z, method)

    def _cauchy_mp_with(self, z, dps, strategy, method):
        """G at one point through ``strategy`` (see :meth:`_cauchy_np_with`)."""
        if strategy in ("s_transform", "curve"):
            try:
                g = self._engine(strategy).cauchy_mp(z, dps)
                if not mpmath.isfinite(g):
                    raise NoConvergence(f"the {strategy} engine", dps=dps, point=z,
                                        advice="use method='subordination'")
                with mpmath.workdps(dps):
                    return +g
            except (NoConvergence, BranchError, ZeroDivisionError, ValueError):
                if method is not None:
                    raise
                record(note=f"the {strategy} engine gave no value; solved by subordination")
            return self._cauchy_mp(z, dps, None)
        return self._cauchy_mp(z, dps, method)

    def cauchy(self, z: Any, dps: int | None = 30, method: str | None = None,
               full_output: bool = False):
        """Cauchy transform G(z) = E[1/(z - X)] for z in the closed upper half plane.

        On the real axis the boundary value G(x + i0) is returned. A numpy array or a list
        gives a numpy array (float64 path, ``dps`` ignored); a scalar gives an mpmath ``mpc``
        with ``dps`` significant digits.

        Examples
        --------
        >>> import freealg as fa, mpmath
        >>> print(mpmath.nstr(fa.semicircle(1).cauchy(1j, dps=25), 22))   # (i - i sqrt 5)/2
        (0.0 - 0.6180339887498948482046j)
        >>> rho = fa.free_additive(fa.semicircle(1), fa.free_poisson(1))
        >>> g, d = rho.cauchy(2j, full_output=True)      # a root of its cubic curve
        >>> d.strategy
        'curve'
        >>> h, d = rho.cauchy(2j, method="subordination", full_output=True)
        >>> d.strategy, d.residual < 1e-30, abs(g - h) < 1e-29
        ('subordination', True, True)

        Parameters
        ----------
        z : complex, mpmath number, list or numpy array
            Point(s) with Im z >= 0.
        dps : int, optional
            Significant digits of a scalar result (default 30).
        method : str, optional
            The strategy (see ``freealg.numeric.dispatch.STRATEGIES``); None chooses the
            default for this law. An unknown or inapplicable name raises.
        full_output : bool, optional
            Also return the :class:`~freealg.numeric.dispatch.Diagnostics` of this call.

        Returns
        -------
        mpmath.mpc or numpy.ndarray, and Diagnostics when ``full_output``
        """
        dps = 30 if dps is None else check_dps(dps)
        strategy = choose("cauchy", method, self._all_strategies("cauchy"))
        law, method = self._route("cauchy", strategy, method)
        kind, z = _numeric_input(z, "z", complex_ok=True, dps=dps)
        if kind == "array":
            if np.any(z.imag < 0):
                raise InvalidParameterError("z", z[z.imag < 0].ravel()[:3],
                                            "must lie in the closed upper half plane; use "
                                            "G(conj z) = conj G(z) below the axis")
            with collecting("cauchy", strategy, None) as diag:
                out = law._cauchy_np_with(z, law._default("cauchy") if method is None else
                                          strategy, method)
        else:
            if z.imag < 0:
                raise InvalidParameterError("z", z, "must lie in the closed upper half plane; "
                                            "use G(conj z) = conj G(z) below the axis")
            with collecting("cauchy", strategy, dps) as diag:
                out = law._cauchy_mp_with(z, dps, law._default("cauchy") if method is None else
                                          strategy, method)
        return (out, diag) if full_output else out

    def _cauchy_np(self, z, method=None):
        return np.asarray(self._g(z, NP), dtype=complex) * np.ones(z.shape)

    def _cauchy_mp(self, z, dps, method=None):
        with mpmath.workdps(dps + 10):
            g = self._g(mpmath.mpc(z), MP)
        with mpmath.workdps(dps):
            return +g

    def density(self, x: Any, dps: int | None = None, method: str | None = None,
                full_output: bool = False):
        """Density of the absolutely continuous part at real x (atoms excluded).

        A numpy array or a list gives a float64 numpy array (NaN marks a point where the
        solver failed, never a silent number); a scalar gives an mpmath ``mpf`` with ``dps``
        significant digits (30 when None).

        Examples
        --------
        >>> import numpy as np, freealg as fa, mpmath
        >>> fa.semicircle(1).density([0.0, 1.0])                  # sqrt(4 - x^2)/(2 pi)
        array([0.31830989, 0.27566445])
        >>> print(mpmath.nstr(fa.semicircle(1).density(0), 25))  # 1/pi
        0.3183098861837906715377675
        >>> float(fa.semicircle(1).density(0.0))
        0.3183098861837907

        Parameters
        ----------
        x : float, mpmath number, list or numpy array
            Real point(s).
        dps : int, optional
            Significant digits of a scalar result (default 30).
        method : str, optional
            The strategy of the Cauchy transform behind the density (see :meth:`cauchy`).
        full_output : bool, optional
            Also return the :class:`~freealg.numeric.dispatch.Diagnostics` of this call.

        Returns
        -------
        mpmath.mpf or numpy.ndarray, and Diagnostics when ``full_output``
        """
        dps = 30 if dps is None else check_dps(dps)
        strategy = choose("density", method, self._all_strategies("density"))
        law, method = self._route("density", strategy, method)
        kind, xx = _numeric_input(x, "x", complex_ok=False, dps=dps)
        if kind == "array":
            with collecting("density", strategy, None) as diag:
                out = (law._density_np(xx) if method is None
                       else law._density_np_method(xx, method))
        else:
            with collecting("density", strategy, dps) as diag:
                out = (law._density_mp(xx, dps) if method is None
                       else law._density_mp_method(xx, dps, method))
        return (out, diag) if full_output else out

    def _density_np_method(self, x, method):
        """-Im G/pi through a forced Cauchy strategy (float64; no averaging at atoms)."""
        return self._density_np_from(x, method, method)[0]

    def _density_mp_method(self, x, dps, method):
        """-Im G/pi through a forced Cauchy strategy (mpmath; no averaging at atoms)."""
        lo, hi = self._hull_float()
        if x < lo or x > hi:
            return mpmath.mpf(0)
        return self._density_mp_off(x, dps, method)

    def _density_np_from(self, x, strategy, method):
        """(-Im G/pi on x through ``strategy``, the mask of points inside the hull)."""
        x = np.asarray(x, dtype=float)
        out = np.zeros(x.shape)
        # outside the hull of the support the density is 0: no solve (and no singular point
        # such as z = 0 for ⊠ laws)
        lo, hi = self._hull_float()
        inside = (x >= lo) & (x <= hi)
        if np.any(inside):
            G = self._cauchy_np_with(x[inside] + 0j, strategy, method)
            d = -np.imag(G) / np.pi
            # Im G below the solver accuracy (1e-11 relative, e.g. next to an atom) is 0; a
            # failed point stays NaN
            out[inside] = np.where(np.isnan(d) | (d > 1e-11 * np.abs(G)), d, 0.0)
        return out, inside

    def _density_np(self, x):
        x = np.asarray(x, dtype=float)
        out, inside = self._density_np_from(x, self._default("density"), None)
        if np.any(inside):
            # exactly at an atom G has a pole; the absolutely continuous density there is the
            # mean of its values at a +- delta (0 for an atom outside the bands)
            for loc, _mass in self._atoms_float():
                at = inside & at_atom(x, loc)
                if np.any(at):
                    delta = 1e-6 * (1 + self._scale)
                    side = self._density_np(np.array([loc - delta, loc + delta]))
                    out[at] = 0.5 * float(np.sum(side))
        return out

    def _atoms_float(self) -> list:
        def build():
            try:
                return [(float(numeric_value(a.location, NP)), float(numeric_value(a.mass, NP)))
                        for a in self.atoms()]
            except UndeterminedError:
                return []

        return self._memo("atoms_float", build)

    def _density_mp(self, x, dps):
        lo, hi = self._hull_float()
        if x < lo or x > hi:
            return mpmath.mpf(0)
        for loc, _ in self._atoms_float():
            if at_atom(float(x), loc):
                # at an atom G has a pole (continuing onto it does not converge): the density
                # of the absolutely continuous part is the mean of its values at a -+ delta,
                # exact up to delta^2 f'' ~ 10^-(dps+6) where f is smooth at a
                with mpmath.workdps(dps + 10):
                    delta = mpmath.mpf(10) ** (-(dps + 6) // 2) * (1 + abs(x))
                    left = self._density_mp_off(x - delta, dps + 4) if x - delta >= lo else 0
                    right = self._density_mp_off(x + delta, dps + 4) if x + delta <= hi else 0
                    d = (left + right) / 2
                with mpmath.workdps(dps):
                    return +d
        return self._density_mp_off(x, dps)

    def _density_mp_off(self, x, dps, method=None):
        """_density_mp at a point that is not an atom (through ``method``, or the default)."""
        strategy = method or self._default("density")
        try:
            with mpmath.workdps(dps + 10):  # mpc() rounds to the working precision
                zx = mpmath.mpc(x, 0)
            G = self._cauchy_mp_with(zx, dps + 10, strategy, method)
        except NoConvergence:
            # at an exact edge the boundary equation is singular: take Im z = 10^-(2 dps + 20),
            # which changes the density by far less than 10^-dps
            with mpmath.workdps(dps + 10):
                eps = mpmath.mpf(10) ** (-(2 * dps + 20))
                G = self._cauchy_mp_with(mpmath.mpc(x, eps), dps + 10, strategy, method)
        with mpmath.workdps(dps):
            d = -mpmath.im(G) / mpmath.pi
            noise = mpmath.mpf(10) ** (-(dps + 5)) * abs(G)
            return +d if d > noise else mpmath.mpf(0)

    def atoms(self) -> list[Atom]:
        """Point masses, sorted by location (exact when the parameters are exact).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> fa.bernoulli(sp.Rational(1, 3)).atoms()
        [Atom(location=0, mass=2/3, error=0), Atom(location=1, mass=1/3, error=0)]
        >>> fa.semicircle(1).atoms()
        []
        """
        return []

    #: strategies of ``edges``/``support`` that this class implements, default first
    _edge_strategies: tuple = ("formula",)

    def support(self, dps: int = 30, method: str | None = None) -> list[Band]:
        """Bands of the absolutely continuous part, sorted (atoms excluded).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> fa.free_poisson(sp.Rational(1, 4)).support()     # [(1 -+ sqrt(1/4))^2]; atom at 0
        [Band(lo=1/4, hi=9/4)]
        >>> fa.dirac(1).support()
        []

        Parameters
        ----------
        dps : int, optional
            Precision (significant digits) of endpoints found numerically.
        method : str, optional
            The edge strategy (see :meth:`edges`).

        Returns
        -------
        list of Band
        """
        dps = check_dps(dps)
        law, method = self._route("support", choose("support", method,
                                                    self._all_strategies("support")), method)
        return law._support(dps, method)

    def edges(self, dps: int = 30, method: str | None = None) -> list[Edge]:
        """All band endpoints with their kind (see :class:`Edge`).

        Examples
        --------
        >>> import freealg as fa
        >>> [(e.location, e.kind) for e in fa.free_poisson(1).edges()]     # 1/sqrt x at 0
        [(0, 'hard'), (4, 'soft')]

        Parameters
        ----------
        dps : int, optional
            Precision (significant digits) of edges found numerically.
        method : str, optional
            ``'formula'`` (exact, catalogue laws and affine maps of them), ``'fold'`` (a
            Newton solve of the fold system of the subordination equations, bisection where
            there is none), ...; None chooses the default for this law. An unknown or
            inapplicable name raises.

        Returns
        -------
        list of Edge
        """
        dps = check_dps(dps)
        law, method = self._route("edges", choose("edges", method,
                                                  self._all_strategies("edges")), method)
        return law._edges(dps, method)

    def _support(self, dps: int, method: str | None = None) -> list[Band]:
        raise NotImplementedError(f"{type(self).__name__} has no support")

    def _edges(self, dps: int, method: str | None = None) -> list[Edge]:
        raise NotImplementedError(f"{type(self).__name__} has no edges")

    def continuous_mass(self):
        """Mass of the absolutely continuous part, 1 - sum of atom masses.

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> fa.free_poisson(sp.Rational(1, 4)).continuous_mass()     # = rate
        1/4
        """
        return sp.S.One - sum((a.mass for a in self.atoms()), sp.S.Zero)

    # convenience --------------------------------------------------------------------------
    def boxplus(self, other: "Law") -> "Law":
        """Free additive convolution ``self ⊞ other`` (see :func:`free_additive`).

        Examples
        --------
        >>> import freealg as fa
        >>> rho = fa.semicircle(1).boxplus(fa.semicircle(2))
        >>> rho.free_cumulants(3)     # free cumulants add
        [0, 3, 0]
        """
        return OPERATIONS["free_additive"](self, other)

    def boxtimes(self, other: "Law") -> "Law":
        """Free multiplicative convolution ``self ⊠ other`` (see :func:`free_multiplicative`).

        Examples
        --------
        >>> import freealg as fa
        >>> rho = fa.free_poisson(1).boxtimes(fa.free_poisson(1))
        >>> rho.moments(3)     # Fuss-Catalan numbers binom(3n, n)/(2n + 1)
        [1, 3, 12]
        """
        return OPERATIONS["free_multiplicative"](self, other)

    def affine(self, scale: Any = 1, shift: Any = 0) -> "Law":
        """Law of ``scale * X + shift``.

        Examples
        --------
        >>> import freealg as fa
        >>> fa.semicircle(1).affine(2, 1).moments(2)     # mean 1, variance 4
        [1, 5]
        """
        return OPERATIONS["affine"](self, scale, shift)


def exact_or_float(values: Iterable[Any]) -> tuple:
    """Sympify a sequence, keeping exact numbers exact."""
    return tuple(sp.nsimplify(v) if isinstance(v, int) else sp.sympify(v) for v in values)
