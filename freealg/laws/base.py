"""The Law value object: a compactly supported probability law on the real line.

A Law is immutable and hashable; ``==`` is structural (same class, same arguments). Its
symbolic side (moments, free cumulants, R/S transforms, closed-form Cauchy transform, algebraic
curve) is exact sympy. Its numeric side (``cauchy``, ``density``, ``support``, ``edges``) is
dispatched by the engine (``freealg.numeric.cauchy``, ``.density``, ``.support``) to named
strategies (``method=``) and to the hooks below, with the branch fixed by the asymptotics
G(z) ~ 1/z (see ``docs/conventions.md``).

Internal numeric protocol (used by composite laws and the continuation solver): ``_nunk``, the
number of unknowns this law adds to a Newton system (0 for laws with a formula);
``_g_dual(zeta, w, be, args)``, the Cauchy transform at the Dual ``zeta`` using the unknowns
``w``, appending residuals to ``args.res`` and evaluation points to ``args.pts``;
``_guess(zeta, be)``, starting values of the unknowns for large Im zeta.
"""

from __future__ import annotations

import functools
import inspect
import types
from typing import TYPE_CHECKING, Any, Sequence

import mpmath
import numpy as np
import sympy as sp

from ..errors import FreeAlgError, InvalidParameterError, SizeLimitError, UndeterminedError
from .. import progress as _progress
from ..kernels.backend import MP, NP
from ..kernels.dual import Dual
from ..numeric import cauchy as engine_cauchy
from ..numeric import certify as engine_certify
from ..numeric import density as engine_density
from ..numeric import strategies as engine_strategies
from ..numeric import support as engine_support
from ..numeric.cauchy import EvalContext
from ..numeric.distribution import DistributionMixin
from ..numeric.params import (check, exactified, numeric_value, parameter_symbols,
                               substituted)
from ..numeric.records import Atom, Band, Edge
from ..transforms import cumulants as cm

__all__ = ["Law", "Atom", "Edge", "Band", "check", "numeric_value", "EvalContext"]

#: Printers registered by ``freealg.printing`` when it is imported (``"latex"``: a function
#: ``(law, printer) -> str``), so that this module does not import the printing layer.
PRINTERS: dict = {}

#: The free operations behind the convenience methods (``boxplus``, ``boxtimes``, ``affine``),
#: registered by ``freealg.laws.convolution`` when it is imported (the laws package always
#: imports it), so that this module does not import the module that builds on it.
OPERATIONS: dict = {}


#: The most exact moments a law computes: the moment-cumulant recursion costs O(n^3)
#: operations on exact numbers that grow with n (n = 500 takes minutes for a free Poisson law).
MAX_MOMENTS = 500


def _moment_count(n: Any, name: str) -> int:
    """A moment order or count: a non-negative int up to MAX_MOMENTS, else a freealg error."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) and not (
            isinstance(n, sp.Integer)):
        raise InvalidParameterError(name, n, "must be a non-negative integer")
    n = int(n)
    if n < 0:
        raise InvalidParameterError(name, n, "must be a non-negative integer")
    if n > MAX_MOMENTS:
        raise SizeLimitError(name, n, n, MAX_MOMENTS, "the exact moment-cumulant recursion costs "
                             "O(n^3) operations on numbers that grow with n; use the numeric "
                             "moments of fa.sample or integrate the density instead", "moments")
    return n


def _certifiable_atoms(own):
    """A subclass's ``atoms(self)`` as ``atoms(self, certify=False, dps=30)``, memoised.

    The wrapper gets the globals of ``own``'s module, so that the doctest finder still counts
    the method as that module's own (its examples keep running)."""
    cert = engine_certify.certify_atoms

    def atoms(self, certify: bool = False, dps: int = 30):
        out = list(self._memo("atoms", lambda: own(self)))
        return cert(out, dps, self) if certify else out

    wrapper = types.FunctionType(atoms.__code__, own.__globals__, "atoms", atoms.__defaults__,
                                 atoms.__closure__)
    functools.update_wrapper(wrapper, own)
    wrapper.__signature__ = inspect.signature(atoms)
    wrapper._memoised = True
    return wrapper


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

    def __init_subclass__(cls, **kwargs):
        # a subclass's own atoms(self) becomes atoms(self, certify=False, dps=30), memoised
        # (composite laws memoise it anyway: a deep tree asks each child more than once)
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("atoms")
        if own is not None and not getattr(own, "_memoised", False):
            cls.atoms = _certifiable_atoms(own)

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

    def plot(self, path: Any = None, **kwargs: Any) -> Any:
        """Plot the density, the atoms (stems on a mass axis) and the band edges.

        Delegates to :func:`freealg.plotting.plot` (keywords ``ax``, ``x``, ``log``, ``title``,
        ``grid``, ``caption``); needs matplotlib. The figure is built without pyplot, so the
        matplotlib back end of a notebook is never switched.

        Examples
        --------
        >>> import freealg as fa, sympy as sp
        >>> fig = fa.free_poisson(sp.Rational(1, 2)).plot()      # doctest: +SKIP

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting import plot

        return plot(self, path, **kwargs)

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
        return parameter_symbols(self._args)

    def subs(self, *args, **kwargs) -> "Law":
        """Substitute values for symbolic parameters (sympy ``subs`` semantics).

        Examples
        --------
        >>> import sympy as sp, freealg as fa
        >>> t = sp.Symbol("t")
        >>> fa.bernoulli(t).subs(t, sp.Rational(1, 3))
        bernoulli(t=1/3)
        """
        return type(self)(*substituted(self._args, *args, **kwargs))

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

        Raises
        ------
        InvalidParameterError
            if n is not a non-negative integer; SizeLimitError if n > MAX_MOMENTS (500): the
            exact recursion costs O(n^3) operations on numbers that grow with n.
        """
        n = _moment_count(n, "n")
        if n == 0:
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
        k = _moment_count(k, "k")
        return sp.S.One if k == 0 else self.moments(k)[k - 1]

    def free_cumulants(self, n: int) -> list:
        """Exact free cumulants [kappa_1, ..., kappa_n].

        Examples
        --------
        >>> import freealg as fa
        >>> fa.free_poisson(3, 2).free_cumulants(3)   # kappa_n = rate * jump^n
        [6, 12, 24]
        """
        n = _moment_count(n, "n")

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
        cancellation z G - 1 suffers at large |z| (it matters for ⊠, whose subordination
        functions live near u = 1/z = 0: Belinschi-Bercovici, Math. Z. 248 (2007))."""
        return None

    def _gpsi_dual(self, zeta: Dual, w: Sequence[Dual], be, ctx: EvalContext):
        """(G, psi) as Duals, psi = zeta G - 1 evaluated stably where the law knows how."""
        return engine_cauchy.gpsi_dual(self, zeta, w, be, ctx)

    def _guess(self, zeta, be) -> list:
        return []

    def _hull_float(self) -> tuple[float, float]:
        """Bounds (lo, hi) of the support including atoms, as floats."""
        raise NotImplementedError

    def _mean_float(self) -> float:
        return float(numeric_value(self.mean(), NP))

    @property
    def _scale(self) -> float:
        lo, hi = self._hull_float()
        return max(abs(lo), abs(hi), hi - lo)

    #: whether ``_hull_float`` is the exact support hull (a leaf law) rather than a bound
    _hull_exact = True

    def is_positive(self) -> bool | None:
        """True if surely supported in [0, inf), False if surely not, None if undetermined.

        True when the support hull starts at or above 0; False when it starts below 0 and is
        exact (leaf laws). Otherwise False only on proof of mass below 0: an atom below 0, or
        a shifted Hankel matrix of exact moments ``[m_{i+j+1}]`` that is not positive
        semidefinite (it is for every law on [0, inf): Stieltjes' moment problem). A hull that
        is only a norm bound (a linearized law's symmetric ``[-|P|, |P|]``) proves nothing by
        itself: such a law is None unless the moment test disproves positivity.

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
        if lo >= -1e-300:
            return True
        if self._hull_exact:
            return False
        try:
            if any(float(a.location) < 0 and float(a.mass) > 0 for a in self.atoms()):
                return False
        except (UndeterminedError, NotImplementedError, TypeError, ValueError):
            pass
        try:
            m = self.moments(5)  # cheap enough for any law (exact moments of a linearized
            # law are traces of words; order 9 can take a minute)
        except (UndeterminedError, NotImplementedError, FreeAlgError):
            return None
        if any(sp.sympify(v).free_symbols for v in m):
            return None
        for k in (2, 3):
            # H = [m_{i+j+1}]_{i,j<k} is positive semidefinite for every law on [0, inf)
            H = sp.Matrix(k, k, lambda i, j: m[i + j])
            if H.is_positive_semidefinite is False:
                return False
        return None

    # strategies (routing in freealg.numeric.strategies) ----------------------------------
    #: strategies of ``cauchy``/``density`` and of ``edges``/``support`` that this class
    #: implements, default first
    _cauchy_strategies: tuple = ("formula",)
    _edge_strategies: tuple = ("formula",)

    def _strategies(self, quantity: str) -> tuple:
        """The strategies of ``quantity`` that apply to this law, the default first."""
        return engine_strategies.own_strategies(self, quantity)

    def _default(self, quantity: str) -> str | None:
        return engine_strategies.default_strategy(self, quantity)

    def _closed(self) -> "Law | None":
        """The simplified law when it differs from this one and has a closed form."""
        return self._memo("closed", lambda: engine_strategies.closed_law(self)
                          if "simplify" in OPERATIONS else None)

    def simplify(self) -> "Law":
        """An equal law with a closed form where one is known, else the tree with simplified
        children (see :func:`freealg.rewrite.simplify` for the rules and theorems).

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

    def _s_form(self):
        """The S-transform engine form (None: none): a leaf on [0, inf) with a closed-form
        S-transform; ⊠ products, compressions and positive scalings override this."""
        return self._memo("s_form", lambda: engine_cauchy.leaf_s_form(self))

    def _curve_engine(self, eliminate: bool = False):
        """The algebraic-curve engine of this law (None: no usable curve; see
        ``freealg.laws.convolution``)."""
        return None

    def _exactified(self) -> "Law":
        """This law with every float parameter replaced by the exact rational it stores."""
        return exactified(self)

    # public numeric API (freealg.numeric.cauchy, .density, .support) ----------------------
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
        return engine_cauchy.cauchy(self, z, dps, method, full_output)

    def _cauchy_np(self, z, method=None):
        return engine_cauchy.formula_np(self, z)

    def _cauchy_mp(self, z, dps, method=None):
        return engine_cauchy.formula_mp(self, z, dps)

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
        return engine_density.density(self, x, dps, method, full_output)

    def _density_np(self, x):
        return engine_density.density_np(self, x)

    def _density_mp(self, x, dps):
        return engine_density.density_mp(self, x, dps)

    def _atoms_float(self) -> list:
        return engine_density.atoms_float(self)

    if TYPE_CHECKING:
        # subclasses override atoms(self); Law.__init_subclass__ adds certify and dps
        atoms: Any
    else:
        def atoms(self, certify: bool = False, dps: int = 30) -> list[Atom]:
            """Point masses, sorted by location (exact when the parameters are exact).

            Examples
            --------
            >>> import sympy as sp, freealg as fa
            >>> fa.bernoulli(sp.Rational(1, 3)).atoms()
            [Atom(location=0, mass=2/3, error=0), Atom(location=1, mass=1/3, error=0)]
            >>> fa.semicircle(1).atoms()
            []
            >>> a = fa.free_poisson(sp.Rational(1, 2)).atoms(certify=True)[0]   # needs python-flint
            >>> lo, hi = a.mass_enclosure
            >>> lo <= sp.Rational(1, 2) <= hi
            True

            Parameters
            ----------
            certify : bool, optional
                Attach ``enclosure`` (location) and ``mass_enclosure``: intervals ``(lo, hi)``
                guaranteed to contain the true values, from python-flint ball arithmetic (the
                ``certify`` extra; see ``freealg.numeric.certify``).
            dps : int, optional
                Digits of the enclosures: width below ``10**-(dps - 5)`` (relative above 1).

            Returns
            -------
            list of Atom

            Raises
            ------
            OptionalDependencyError
                ``certify=True`` without python-flint (``pip install -e ".[certify]"``).
            NoConvergence
                ``certify=True`` for atoms found numerically (not exact numbers).
            """
            return engine_certify.certify_atoms([], dps) if certify else []

    def support(self, dps: int = 30, method: str | None = None,
                progress: bool | None = None) -> list[Band]:
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
        progress : bool or None, optional
            Report the stages of a numeric search (density scan, each edge, mass audit) on
            stderr: True always, False never, None (default) only in interactive sessions and
            when the search is expected to be slow (see :mod:`freealg.progress`).

        Returns
        -------
        list of Band
            Maximal intervals: cusps and singular points inside a band do not split it (they
            are listed by :meth:`edges` and in ``Band.interior``).
        """
        return engine_support.support(self, dps, method, progress, _progress)

    def edges(self, dps: int = 30, method: str | None = None,
              progress: bool | None = None, certify: bool = False) -> list[Edge]:
        """All band endpoints and the special points inside bands, with their kind and local
        exponent (see :class:`Edge`).

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
        progress : bool or None, optional
            Report the stages of a numeric search on stderr (as for :meth:`support`).
        certify : bool, optional
            Attach to each edge an ``enclosure = (lo, hi)`` guaranteed to contain the true
            location, narrower than ``10**-(dps - 5)`` (relative above 1), from python-flint
            ball arithmetic: exact edge formulas evaluated in balls, or the certified real
            roots of the discriminant of the law's algebraic curve, each confirmed as a band
            end (see ``freealg.numeric.certify``). Needs the ``certify`` extra.

        Returns
        -------
        list of Edge
            Sorted by location: ``'soft'`` and ``'hard'`` band ends (side ``'left'`` or
            ``'right'``), ``'cusp'`` and ``'singular'`` points inside a band (side ``''``).

        Raises
        ------
        OptionalDependencyError
            ``certify=True`` without python-flint (``pip install -e ".[certify]"``).
        NoConvergence
            ``certify=True`` for a law with neither exact edges nor an exact algebraic curve.
        """
        if certify:
            engine_certify.check_certifiable(self)
            out = engine_support.edges(self, dps, method, progress, _progress)
            return engine_certify.certify_edges(self, out, dps)
        return engine_support.edges(self, dps, method, progress, _progress)

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
        return engine_support.continuous_mass(self)

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
