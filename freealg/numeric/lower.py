"""Lowering: displayed equations -> a frozen numeric form that can be solved on its own.

A compiler rule writes a sympy equation (``G(z) = G_1(omega_3(z))``) together with what
evaluating it needs (the values of its free variables, the start of the inversion of an R- or
S-transform). :func:`lower` turns such equations into a :class:`NumericForm`: the unknowns
(function applications at z, such as ``G(z)`` or ``omega_3(z)``, plus the points where R- and
S-transforms are inverted), one residual component per equation, compiled once from the very
same sympy expressions (float64 vectorised with numpy, mpmath at any precision), its exact
Jacobian (the sympy derivative of the same expressions, compiled too), the behaviour at
z -> i infinity that fixes the branch, a scale and the provenance of every component.

The lowering of the transforms is the textbook one:

* ``R_f(a)`` with an inversion point x (``G_f(x) = a``) is ``x - 1/a``;
* ``S_f(a)`` with an inversion point x (``x G_f(x) - 1 = a``) is ``(1 + a)/(a x)``.

The inversion point is z itself when the relation's hint is z and the inversion equation holds
identically (``R_c(G_c(z))``, ``S(z G(z) - 1)``); otherwise it is a new unknown (the hint, a
subordination point such as ``omega_{G_c}(z)`` or ``W_{G_1}(z)``) and its inversion equation
becomes an *auxiliary* residual component. So the compression rule
``R_c(w) = R_1(w/2), w = G_c(z)`` lowers to the subordination system
``z - 1/G_c = omega - 2/G_c, G_1(omega) = G_c/2``.

A function that is applied at a point other than z (``G_1`` in ``G_1(omega_3(z))``) is a
*leaf*: its values are supplied by the caller (:class:`Leaf`, the Cauchy transform of a law,
with its derivative). Every other function application at z is an unknown. This module works on
plain sympy objects and callables; it imports nothing from the law or compiler layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from ..errors import InvalidParameterError, NoConvergence, UndeterminedError
from ..kernels.backend import MP, NP, Backend

__all__ = ["Leaf", "NumericForm", "lower"]


@dataclass(frozen=True, eq=False)
class Leaf:
    """A function supplied by the caller: ``value(w, be)`` and ``derivative(w, be)``.

    ``be`` is :data:`freealg.kernels.backend.NP` (w a complex ndarray) or
    :data:`~freealg.kernels.backend.MP` (w an mpmath number at the working precision).

    Examples
    --------
    >>> import sympy as sp
    >>> from freealg.kernels.backend import NP
    >>> leaf = Leaf(sp.Function("G_1"), lambda w, be: 1 / w, lambda w, be: -1 / w**2)
    >>> complex(leaf.value(2.0, NP)), complex(leaf.derivative(2.0, NP))
    ((0.5+0j), (-0.25+0j))
    """

    function: Any
    value: Callable[[Any, Backend], Any]
    derivative: Callable[[Any, Backend], Any]


@dataclass(frozen=True, eq=False)
class NumericForm:
    """Unknowns, residual, Jacobian, start and provenance of a system of equations in z.

    Made by :func:`lower` (``System.numeric_form()`` for a compiled System). Immutable; the
    compiled functions are built on first use and kept.

    Examples
    --------
    >>> import freealg as fa
    >>> x, y = fa.semicircular("x"), fa.semicircular("y")
    >>> form = fa.compile(x + y).numeric_form()
    >>> form.unknowns
    (G(z), omega_3(z), omega_4(z))
    >>> form.provenance[:3]
    ('free sum', 'free sum', 'free sum')
    >>> G = form.solve(0.5 + 0.1j, dps=20)[0]     # semicircle of variance 2
    >>> print(mpmath.nstr(G, 15))
    (0.120512854648197 - 0.671433869418632j)
    >>> with mpmath.workdps(20):
    ...     z = mpmath.mpc(0.5, 0.1)
    ...     bool(abs(G - (z - mpmath.sqrt(z**2 - 8)) / 4) < 1e-18)
    True

    Attributes
    ----------
    z : sympy Symbol
        The spectral variable.
    unknowns : tuple
        The function applications solved for (``G(z)``, ``omega_3(z)``, inversion points).
    equations : tuple of sympy Eq
        The displayed equations the form was lowered from (the same objects).
    lowered : tuple of (lhs, rhs)
        One pair of sympy expressions per residual component, in z, the unknowns and the leaves:
        first the lowered displayed equations (in the order of ``equations``), then the
        auxiliary inversion equations.
    provenance : tuple of str
        For each residual component, the rule that wrote its equation.
    leaves : tuple of Leaf
        The functions evaluated through the caller's callables.
    asymptotics : tuple of sympy expressions
        For each unknown its behaviour as z -> i infinity (``1/(z - mean)`` for a Cauchy
        transform, ``z`` for a subordination function), or None for an inversion point (then
        its inversion equation gives the start). This is what fixes the branch.
    scale : float
        A length of the problem (the spread of the law); continuation starts at
        Im z = 3 (1 + scale).
    """

    z: Any
    unknowns: tuple
    equations: tuple
    lowered: tuple
    provenance: tuple
    leaves: tuple
    asymptotics: tuple
    scale: float
    _cache: dict = field(default_factory=dict, repr=False, init=False)

    # compiled functions ---------------------------------------------------------------------
    def _compiled(self, be: Backend) -> tuple:
        key = be.name
        if key not in self._cache:
            self._cache[key] = _compile(self, be)
        return self._cache[key]

    def _args(self, z, u) -> list:
        u = list(u)
        if len(u) != len(self.unknowns):
            raise InvalidParameterError("u", u, f"must hold {len(self.unknowns)} values, one per "
                                                "unknown")
        return [z] + u

    def sides(self, z: Any, u: Sequence[Any], be: Backend = MP) -> tuple[list, list]:
        """Both sides of every residual component at z and the unknowns' values u.

        Examples
        --------
        >>> import freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> lhs, rhs = form.sides(1j, [0.5, 1j, 1j], NP)
        >>> complex(lhs[2]), complex(rhs[2])     # omega_3 + omega_4 = z + 1/G
        (2j, (2+1j))

        Parameters
        ----------
        z, u :
            The point and one value per unknown (mpmath numbers with ``MP``, numbers or
            ndarrays with ``NP``).
        be : Backend
            :data:`~freealg.kernels.backend.MP` (at the caller's working precision) or
            :data:`~freealg.kernels.backend.NP`.

        Returns
        -------
        (list, list)
            Left and right sides, one entry per component of ``lowered``.
        """
        L, R = self._compiled(be)[0](*self._args(z, u))
        return list(L), list(R)

    def residual(self, z: Any, u: Sequence[Any], be: Backend = MP) -> list:
        """The vector lhs - rhs of all residual components (see :meth:`sides`).

        Examples
        --------
        >>> import freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> r = form.residual(1j, [0.5, 1j, 1j], NP)   # G_1(i) = (i - i sqrt 5)/2
        >>> [complex(round(v.real, 12), round(v.imag, 12)) for v in map(complex, r[:3])]
        [(0.5+0.61803398875j), (0.5+0.61803398875j), (-2+1j)]
        """
        lhs, rhs = self.sides(z, u, be)
        return [a - b for a, b in zip(lhs, rhs)]

    def jacobian(self, z: Any, u: Sequence[Any], be: Backend = MP) -> list:
        """The exact Jacobian d(lhs - rhs)/du: a list of rows, one per residual component.

        Compiled from the sympy derivative of the same expressions as :meth:`residual` (the
        leaves contribute their ``derivative``).

        Examples
        --------
        >>> import freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> [complex(d) for d in form.jacobian(1j, [0.5, 1j, 1j], NP)[2]]   # 1 + 1/G^2, 1, 1
        [(4+0j), (1+0j), (1+0j)]
        """
        rows = self._compiled(be)[1](*self._args(z, u))[2]
        return [list(r) for r in rows]

    def start(self, z: Any, be: Backend = MP) -> list:
        """Starting values of the unknowns at z far up the imaginary axis, from
        :attr:`asymptotics` (an inversion point by a few Newton steps on its own equation).

        Examples
        --------
        >>> import freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> [complex(v) for v in form.start(100j, NP)]
        [-0.01j, 100j, 100j]
        """
        return _start(self, z, be)

    def solve(self, z: Any, dps: int | None = None) -> list:
        """The unknowns at z, by Newton continuation from z + i Y down to z.

        Starts at Im z = Y = 3 (1 + scale) from :attr:`asymptotics` (which fix the branch),
        follows Im z down to the target in float64 (an Euler predictor, then Newton; Im z at
        most divided by 4 per step, the step halved where Newton fails or leaves the physical
        branch: a Cauchy transform with Im >= 0, a subordination function or inversion point
        with Im <= 0) and, when ``dps`` is given, polishes with Newton in mpmath at ``dps + 10``
        digits until the step is below 10^-(dps+5) relative. When more components involve the
        unknowns than there are unknowns, Newton uses an independent subset (pivoted QR of the
        Jacobian at the start).

        Examples
        --------
        >>> import numpy as np, freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> G = form.solve(np.array([0.5 + 0.1j, 3 + 1j]))[0]
        >>> exact = (np.array([0.5 + 0.1j, 3 + 1j]) - np.sqrt(np.array([0.5 + 0.1j, 3 + 1j])**2
        ...                                                  - 8 + 0j)) / 4
        >>> bool(np.max(np.abs(G - exact)) < 1e-13)
        True

        Parameters
        ----------
        z : number, mpmath mpc or ndarray
            The point(s), Im z > 0. An ndarray is solved vectorised in float64 (``dps`` must
            then be None).
        dps : int, optional
            Decimal digits; None gives float64 (complex128) values.

        Returns
        -------
        list
            One value per unknown (in the order of :attr:`unknowns`): complex128 numbers or
            arrays when ``dps`` is None, mpmath mpc at ``dps`` digits otherwise.

        Raises
        ------
        InvalidParameterError
            if z is not in the upper half plane or dps is not a positive integer.
        NoConvergence
            if Newton fails along the path or in the polish (with the residual reached).
        """
        return _solve(self, z, dps)

    @property
    def active(self) -> tuple:
        """Indices of the residual components that involve the unknowns (the others check a
        leaf against its displayed closed form, e.g. ``G_1(z) = z/2 - ...``).

        Examples
        --------
        >>> import freealg as fa
        >>> form = fa.compile(fa.semicircular("x") + fa.semicircular("y")).numeric_form()
        >>> form.active, len(form.lowered)
        ((0, 1, 2), 5)
        """
        return self._compiled(NP)[2]

    def __getstate__(self) -> dict:
        # the compiled functions are rebuilt after unpickling
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (f"NumericForm({len(self.unknowns)} unknowns {self.unknowns}, "
                f"{len(self.lowered)} residual components)")


# ---------------------------------------------------------------------------------------------
# lowering


def lower(relations: Sequence[Any], *, z: Any, leaves: Mapping[Any, Leaf],
          transforms: Mapping[Any, tuple] | None = None,
          asymptotics: Mapping[Any, Any] | None = None,
          scale: float = 1.0) -> NumericForm:
    """Lower displayed equations to a :class:`NumericForm`.

    Examples
    --------
    >>> import sympy as sp
    >>> from types import SimpleNamespace as NS
    >>> z = sp.Symbol("z")
    >>> G, G1, om = sp.Function("G"), sp.Function("G_1"), sp.Function("omega")
    >>> # mu ⊞ mu for mu = dirac(1), G_1(w) = 1/(w - 1): G = G_1(omega), 2 omega = z + 1/G
    >>> rels = [("sum", NS(eq=sp.Eq(G(z), G1(om(z))), at=(), hints=(), numeric=True)),
    ...         ("sum", NS(eq=sp.Eq(2 * om(z), z + 1 / G(z)), at=(), hints=(), numeric=True))]
    >>> leaf = Leaf(G1, lambda w, be: 1 / (w - 1), lambda w, be: -1 / (w - 1)**2)
    >>> form = lower(rels, z=z, leaves={G1: leaf}, asymptotics={G: 1 / z, om: z})
    >>> form.unknowns
    (G(z), omega(z))
    >>> G, w = form.solve(3j, dps=20)          # dirac(2): G = 1/(z - 2), omega = z - 1
    >>> print(mpmath.nstr(G, 20), mpmath.nstr(w, 20))
    (-0.15384615384615384615 - 0.23076923076923076923j) (-1.0 + 3.0j)

    Parameters
    ----------
    relations : sequence of (str, relation)
        The rule's name and a relation: an object with ``eq`` (a sympy Eq, as displayed),
        ``at`` (pairs (symbol, expression) giving free variables other than z), ``hints``
        (pairs (transform function, start of its inversion)) and ``numeric`` (False for an
        identity that has no numeric value).
    z : sympy Symbol
        The spectral variable.
    leaves : mapping
        Function class -> :class:`Leaf` for every function that may be applied at a point other
        than z.
    transforms : mapping
        R- or S-transform function class -> ``("R" | "S", base function class)``.
    asymptotics : mapping
        Function class -> its leading behaviour as a sympy expression in z (default ``z``
        for a function whose name starts with ``omega``, else ``1/z``).
    scale : float
        Spread of the law (e.g. the square root of its second moment).

    Returns
    -------
    NumericForm

    Raises
    ------
    UndeterminedError
        if an equation is not a scalar equation in z, the unknowns, leaves and transforms
        (matrix equations, integrals, identities between operators, symbolic parameters), or
        if a needed leaf is missing.
    """
    z = sp.sympify(z)
    transforms = dict(transforms or {})
    leaves = dict(leaves)
    asym = dict(asymptotics or {})
    equations: list = []
    lowered: list = []
    prov: list = []
    aux: list = []
    aux_prov: list = []
    hint_unknowns: list = []
    for rule, rel in relations:
        eq = rel.eq
        if not getattr(rel, "numeric", True):
            raise UndeterminedError(f"a numeric form of {eq} (an identity between operators)",
                                    [])
        if not isinstance(eq, sp.Eq) or _has_matrix(eq):
            raise UndeterminedError(f"a numeric form of {eq} (not a scalar equation)", [])
        sides = []
        for side in (eq.lhs, eq.rhs):
            e = _lower_transforms(side, rel, z, transforms, aux, aux_prov, rule, hint_unknowns)
            e = e.xreplace(dict(rel.at)) if rel.at else e
            sides.append(e)
        equations.append(eq)
        lowered.append(tuple(sides))
        prov.append(rule)
    comps = lowered + aux
    prov += aux_prov
    # leaves: functions applied at a point other than z; unknowns: every other application
    apps: set = set()
    for pair in comps:
        for e in pair:
            apps |= e.atoms(AppliedUndef)
    leaf_funcs = {a.func for a in apps if a.args != (z,)}
    unknowns = sorted({a for a in apps if a.func not in leaf_funcs} | set(hint_unknowns),
                      key=_order)
    missing = [f for f in leaf_funcs if f not in leaves]
    if missing:
        raise UndeterminedError("a numeric form (no callable for the functions applied off z: "
                                + ", ".join(sorted(map(str, missing))) + ")", missing)
    other = set()
    for pair in comps:
        for e in pair:
            other |= {s for s in e.free_symbols if s != z}
    if other:
        raise UndeterminedError("a numeric form (symbols other than z remain)",
                                sorted(other, key=str))
    hint_set = set(hint_unknowns)
    starts: list = []
    for u in unknowns:
        if u in hint_set:
            starts.append(None)
        elif u.func in asym:
            starts.append(sp.sympify(asym[u.func]))
        else:
            starts.append(z if u.func.__name__.startswith("omega") else 1 / z)
    return NumericForm(z, tuple(unknowns), tuple(equations), tuple(comps), tuple(prov),
                       tuple(leaves[f] for f in sorted(leaf_funcs, key=str)), tuple(starts),
                       float(scale))


def _order(a) -> tuple:
    """Unknowns in a stable order: G first, then by name."""
    name = a.func.__name__
    return (0 if name == "G" else 1, name)


def _has_matrix(eq) -> bool:
    for side in (eq.lhs, eq.rhs):
        if getattr(side, "is_Matrix", False) or side.has(sp.Integral) or \
                side.atoms(sp.MatrixSymbol):
            return True
    return False


def _lower_transforms(e, rel, z, transforms, aux, aux_prov, rule, hint_unknowns):
    """Replace every R_f(a) / S_f(a) in e by its value at an inversion point (module doc)."""
    hints = dict(rel.hints)
    at = dict(rel.at)

    def repl(app):
        kind, base = transforms[app.func]
        (a,) = app.args
        h = hints.get(app.func)
        if h is None:
            raise UndeterminedError(f"a numeric form of {app} (no start for its inversion)",
                                    [app.func])
        a_val = a.xreplace(at)
        x = sp.sympify(h)
        lhs = base(x) if kind == "R" else x * base(x) - 1
        if x != z or sp.expand(lhs - a_val) != 0:
            if x != z:
                if not (isinstance(x, AppliedUndef) and x.args == (z,)):
                    raise UndeterminedError(f"a numeric form of {app} (its inversion starts at "
                                            f"{x}, not an unknown of z)", [app.func])
                if x not in hint_unknowns:
                    hint_unknowns.append(x)
            key = (lhs, a_val)
            if key not in [tuple(p) for p in aux]:
                aux.append(key)
                aux_prov.append(f"{rule} (inversion of {app.func} at {x})")
        return x - 1 / a if kind == "R" else (1 + a) / (a * x)

    return e.replace(lambda s: isinstance(s, AppliedUndef) and s.func in transforms, repl)


# ---------------------------------------------------------------------------------------------
# compiling


def _compile(form: NumericForm, be: Backend) -> tuple:
    """``sides(z, *u) -> (L, R)``, ``full(z, *u) -> (L, R, J)`` for the back end (one
    function each, so a leaf applied in several places is evaluated once), and the indices of
    the components that involve the unknowns."""
    z = form.z
    n = len(form.unknowns)
    us = sp.symbols(f"u0:{n}") if n else ()
    sub = dict(zip(form.unknowns, us))
    ns: dict = {}
    classes: dict = {}
    for k, leaf in enumerate(form.leaves):
        dname, name = f"dL{k}", f"L{k}"
        dcls = sp.Function(dname)

        def fdiff(self, argindex=1, _d=dcls):
            return _d(self.args[0])

        classes[leaf.function] = type(name, (sp.Function,), {"fdiff": fdiff})
        ns[name] = (lambda w, _l=leaf: _l.value(w, be))
        ns[dname] = (lambda w, _l=leaf: _l.derivative(w, be))

    def prep(e):
        e = e.xreplace(sub)
        return e.replace(lambda s: isinstance(s, AppliedUndef) and s.func in classes,
                         lambda s: classes[s.func](*s.args))

    L = [prep(a) for a, _ in form.lowered]
    R = [prep(b) for _, b in form.lowered]
    J = [[sp.diff(a - b, u) for u in us] for a, b in zip(L, R)]
    Fz = [sp.diff(a - b, z) for a, b in zip(L, R)]
    involved = tuple(i for i, row in enumerate(J) if any(d != 0 for d in row))
    if be is MP:
        modules: list = [ns, "mpmath"]
    else:
        modules = [ns, {"sqrt": NP.sqrt, "log": NP.log}, "numpy"]
    args = (z,) + tuple(us)
    sides = sp.lambdify(args, (L, R), modules=modules, cse=True)
    full = sp.lambdify(args, (L, R, J), modules=modules, cse=True)
    if be is NP:
        # d(lhs - rhs)/dz with the Jacobian: the Euler predictor of the continuation
        tangent = sp.lambdify(args, (J, Fz), modules=modules, cse=True)
        return sides, full, involved, tangent
    return sides, full, involved


# ---------------------------------------------------------------------------------------------
# solving


def _start(form: NumericForm, z, be: Backend) -> list:
    zs = form.z
    vals: list = []
    for a in form.asymptotics:
        if a is None:
            vals.append(None)
        else:
            f = sp.lambdify(zs, a, modules="mpmath" if be is MP else "numpy")
            v = f(z)
            vals.append(v if be is MP else np.asarray(v, dtype=complex) * np.ones_like(z))
    # inversion points: their own equation, by Newton on the reciprocal (1/G_f(x) or
    # 1/(x G_f(x) - 1) is close to linear in x far out), from x = z
    pending = [i for i, v in enumerate(vals) if v is None]
    if pending:
        full = form._compiled(be)[1]
        for i in pending:
            vals[i] = z * 1 if be is MP else np.array(z, dtype=complex)
        for _ in range(2):
            for i in pending:
                row = _aux_row(form, i)
                x = vals[i]
                for _k in range(30):
                    vals[i] = x
                    L, R, J = full(z, *vals)
                    lv, rv, dl = L[row], R[row], J[row][i]
                    # g(x) = 1/rhs - 1/lhs(x), g'(x) = lhs'(x)/lhs(x)^2
                    with np.errstate(all="ignore"):
                        step = (1 / rv - 1 / lv) * lv ** 2 / dl
                    x = x - step
                    if be is NP:
                        done = np.all(np.abs(step) <= 1e-12 * np.maximum(1, np.abs(x)))
                    else:
                        done = abs(step) <= mpmath.eps * 100 * max(1, abs(x))
                    if done:
                        break
                vals[i] = x
    return vals


def _aux_row(form: NumericForm, i: int) -> int:
    """The auxiliary component that defines inversion point number i."""
    u = form.unknowns[i]
    for k, prov in enumerate(form.provenance):
        if k >= len(form.equations) and prov.endswith(f" at {u})"):
            return k
    raise UndeterminedError(f"the start of {u} (no inversion equation)", [u])


def _check_dps(dps) -> int | None:
    if dps is None:
        return None
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < 1:
        raise InvalidParameterError("dps", dps, "must be a positive integer or None")
    return int(dps)


def _point(z) -> Any:
    """z as complex128 (scalar or ndarray), Im z > 0 checked."""
    if isinstance(z, (bool, str)) or z is None:
        raise InvalidParameterError("z", z, "must be a number in the upper half plane")
    try:
        if isinstance(z, sp.Basic):
            z = complex(sp.N(z))
        arr = np.asarray(complex(z) if isinstance(z, (mpmath.mpc, mpmath.mpf)) else z,
                         dtype=complex)
    except (TypeError, ValueError):
        raise InvalidParameterError("z", z, "must be a number in the upper half plane") \
            from None
    if not np.all(np.isfinite(arr)) or not np.all(arr.imag > 0):
        raise InvalidParameterError("z", z, "must lie in the upper half plane (Im z > 0)")
    return arr


def _newton_np(form, z, u, rows, maxit=10, tol=1e-13):
    """Vectorised Newton on the components ``rows``; returns (u, converged mask)."""
    full = form._compiled(NP)[1]
    n = len(u)
    shape = np.shape(z)
    ok = np.zeros(shape, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(maxit):
            L, R, Jf = full(z, *u)
            F = [np.broadcast_to(L[i] - R[i], shape) for i in rows]
            Jm = [[np.broadcast_to(np.asarray(Jf[i][j], dtype=complex), shape)
                   for j in range(n)] for i in rows]
            dx = NP.solve(Jm, F)
            u = [u[j] - dx[j] for j in range(n)]
            ok = NP.norm(dx) <= tol * np.maximum(1, NP.norm(u))
            if np.all(ok):
                break
    ok = ok & np.all([np.isfinite(v) for v in u], axis=0)
    # the branch guard: a Cauchy transform has Im < 0, a subordination function or an
    # inversion point Im > 0 (both map C+ into C+); a Newton step that lands elsewhere has
    # jumped to another solution of the equations
    for v, sgn in zip(u, _signs(form)):
        if sgn:
            ok = ok & (sgn * np.imag(v) > 0)
    return u, ok


def _signs(form: NumericForm) -> tuple:
    """Sign of Im of each unknown on the physical branch: that of its asymptotics at z = i
    (-1 for 1/(z - mean), +1 for z), +1 for an inversion point."""
    key = "signs"
    if key not in form._cache:
        out = []
        for a in form.asymptotics:
            if a is None:
                out.append(1)
                continue
            v = complex(sp.N(sp.sympify(a).subs(form.z, sp.I * 10**6)))
            out.append(int(np.sign(v.imag)))
        form._cache[key] = tuple(out)
    return form._cache[key]


def _predict(form, z0, z1, u, rows) -> list:
    """u at z1 from u at z0 by one Euler step of du/dz = -J^-1 dF/dz (u itself where the
    step is not finite)."""
    tangent = form._compiled(NP)[3]
    n = len(u)
    shape = np.shape(z0)
    with np.errstate(all="ignore"):
        Jf, Fz = tangent(z0, *u)
        Jm = [[np.broadcast_to(np.asarray(Jf[i][j], dtype=complex), shape) for j in range(n)]
              for i in rows]
        dz = [np.broadcast_to(np.asarray(Fz[i], dtype=complex), shape) * (z1 - z0)
              for i in rows]
        du = NP.solve(Jm, dz)
        out = [u[j] - du[j] for j in range(n)]
    return [np.where(np.isfinite(out[j]), out[j], u[j]) for j in range(n)]


def _select_rows(form, z0, u0) -> list:
    """n independent components among those that involve the unknowns (pivoted QR of the
    Jacobian's transpose at the start point)."""
    import scipy.linalg

    involved = list(form.active)
    n = len(form.unknowns)
    if len(involved) < n:
        raise UndeterminedError(f"a solution ({len(involved)} equations involve the "
                                f"{n} unknowns)", list(form.unknowns))
    if len(involved) == n:
        return involved
    Jf = form.jacobian(z0, u0, NP)
    A = np.array([[complex(np.ravel(Jf[i][j])[0]) for j in range(n)] for i in involved])
    _, _, piv = scipy.linalg.qr(A.T, pivoting=True)
    return sorted(involved[k] for k in piv[:n])


def _solve(form: NumericForm, z, dps):
    dps = _check_dps(dps)
    arr = _point(z)
    if dps is not None and arr.ndim:
        raise InvalidParameterError("dps", dps, "must be None for an array of points "
                                                "(float64); solve scalars one at a time at dps")
    n = len(form.unknowns)
    if n == 0:
        return []
    shape = arr.shape
    zt = arr.ravel()
    y1 = zt.imag
    y0 = np.maximum(3.0 * (1.0 + form.scale), y1)
    z0 = zt.real + 1j * y0
    u = [np.asarray(v, dtype=complex) * np.ones(zt.shape) for v in form.start(z0, NP)]
    rows = _select_rows(form, z0[:1], [v[:1] for v in u])
    u, ok = _newton_np(form, z0, u, rows, maxit=40)
    if not np.all(ok):
        k = int(np.flatnonzero(~ok)[0])
        _fail(form, "Newton at the start z + i Y", z0[k], dps, [v[k] for v in u], rows)
    # continuation in log Im z, one step size for all points: halved when Newton fails
    # anywhere, grown when it succeeds
    zc = z0
    span = float(np.max(np.log(y0 / y1))) or 1.0
    t, h = 0.0, min(1.0, math.log(2.0) / span)   # first step: Im z halved
    hmax = math.log(4.0) / span                     # never more than divided by 4
    while t < 1.0:
        h = min(h, 1.0 - t, hmax)
        tn = t + h
        zk = zt.real + 1j * np.exp((1 - tn) * np.log(y0) + tn * np.log(y1))
        # Euler predictor du = -J^-1 dF/dz dz, then Newton; intermediate points only need to
        # stay in the basin, the last is solved fully
        up = _predict(form, zc, zk, u, rows)
        un, ok = _newton_np(form, zk, up, rows, maxit=8 if tn == 1.0 else 10,
                            tol=1e-13 if tn == 1.0 else 1e-7)
        if np.all(ok):
            t, u, h, zc = tn, un, h * 2, zk
        else:
            h /= 2
            if h < 1e-5:
                k = int(np.flatnonzero(~ok)[0])
                _fail(form, "the continuation from z + i Y", zk[k], dps, [v[k] for v in un],
                      rows)
    if dps is None:
        out = [v.reshape(shape) for v in u]
        return [complex(v) for v in out] if not shape else out
    return _polish(form, z, [complex(v[0]) for v in u], rows, dps)


def _polish(form, z, u, rows, dps):
    """Newton at dps + 10 digits from the float64 solution: the first step with the exact
    Jacobian, the next ones reusing it (each gains about the float64 solution's digits again,
    and a leaf's derivative is not recomputed)."""
    n = len(form.unknowns)
    sides, full, _ = form._compiled(MP)
    with mpmath.workdps(dps + 10):
        if isinstance(z, sp.Basic):
            v = sp.N(z, dps + 10)
            zz = mpmath.mpc(sp.re(v)._to_mpmath(mpmath.mp.prec),
                            sp.im(v)._to_mpmath(mpmath.mp.prec))
        else:
            zz = mpmath.mpc(mpmath.mpmathify(z))
        x = [mpmath.mpc(v) for v in u]
        tol = mpmath.mpf(10) ** -(dps + 5)
        Jm = None
        F: list = []
        steps = 8 + dps // 10
        for _ in range(steps):
            if Jm is None:
                L, R, Jf = full(zz, *x)
                Jm = [[mpmath.mpmathify(Jf[i][j]) for j in range(n)] for i in rows]
            else:
                L, R = sides(zz, *x)
            F = [L[i] - R[i] for i in rows]
            try:
                dx = MP.solve(Jm, F)
            except ZeroDivisionError:
                break
            x = [x[j] - dx[j] for j in range(n)]
            if max(abs(d) for d in dx) <= tol * max(1, max(abs(v) for v in x)):
                break
        else:
            res = max(abs(f) for f in F)
            with mpmath.workdps(dps):
                raise NoConvergence("Newton polish of the numeric form", dps=dps, steps=steps,
                                    residual=+res, point=zz,
                                    advice="raise dps or move z away from the real axis")
        if not all(mpmath.isfinite(v) for v in x):
            _fail(form, "Newton polish", complex(zz), dps)
    with mpmath.workdps(dps):
        return [+v for v in x]


def _fail(form, where, pt, dps, u=None, rows=()):
    """NoConvergence at pt, with the largest |lhs - rhs| of the Newton components at the last
    iterate u (when given)."""
    res = None
    if u is not None:
        with np.errstate(all="ignore"):
            r = form.residual(np.asarray([pt]), [np.asarray([v]) for v in u], NP)
            res = float(np.max([np.abs(np.ravel(r[i])[0]) for i in rows]))
    raise NoConvergence(f"{where} of the numeric form ({len(form.unknowns)} unknowns)",
                        dps=dps, point=complex(pt), residual=res,
                        advice="move z away from the real axis or solve with the law tree "
                               "(law.cauchy)")
