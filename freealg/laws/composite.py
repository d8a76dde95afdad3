"""The base class of composite laws: one Newton system per law tree, and the choice of engines.

A composite law (⊞, ⊠, powers, compressions, affine maps, mixtures) contributes unknowns
(subordination functions) to one Newton system of its tree; the residuals, the continuation
and the engines live in ``freealg.numeric.subordination`` and ``freealg.numeric.engines``.
:class:`_Composite` keeps the hooks the dispatcher calls and chooses among the engines: the
algebraic curve (``'curve'``), the S-transform form (``'s_transform'``) and subordination.
"""

from __future__ import annotations

import functools
from typing import Any

from ..kernels.backend import NP
from ..numeric import engines as eng
from ..numeric import subordination as sub
from ..numeric.edges import bands_from_edges
from .base import Law


class _Composite(Law):
    """Shared numeric hooks of laws defined through a Newton system."""

    __slots__ = ()
    _edge_strategies = ("fold",)
    _hull_exact = False  # the hull of a composite law is a bound from its children's hulls
    #: for a binary law (⊞, ⊠): its curve from its children's, ``f(P_mu, P_nu, moments=...)``
    _eliminate: Any = None

    def __init_subclass__(cls, **kwargs):
        # atoms() of a composite law combines its children's atoms (the atom theorems); it is
        # memoised, or a deep tree (an MLP's Fisher law, 20 nested ⊠ and affine maps) asks
        # each child more than once per level: 2^depth calls
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("atoms")
        if own is not None and not getattr(own, "_memoised", False):
            @functools.wraps(own)
            def atoms(self, _own=own):
                return list(self._memo("atoms", lambda: _own(self)))

            atoms._memoised = True
            cls.atoms = atoms

    def _system(self):
        return self._memo("system", lambda: sub.System(self))

    def _strategies(self, quantity: str) -> tuple:
        engines = ("s_transform",) if self._s_form() is not None else ()
        if quantity in ("cauchy", "density"):
            if self._nunk == 0:
                return ("formula",)
            curve = ("curve",) if self._curve_engine() is not None else ()
            return curve + engines + ("subordination", "polish", "path")
        if quantity in ("edges", "support"):
            curve = ("curve",) if self._curve_engine(eliminate=True) is not None else ()
            return curve + engines + self._edge_strategies
        return super()._strategies(quantity)

    def _s_form(self):
        return None

    def _curve_engine(self, eliminate: bool = False):
        return eng.curve_engine(self, eliminate)

    def _eliminated_curve(self):
        return eng.eliminated_curve(self)

    def _curve_degree_bound(self) -> int | None:
        """A cheap upper bound of the curve's degree in G (None: unknown), checked before the
        curve is derived (a product of L factors has degree ~L; deriving it costs ~L^3)."""
        return None

    def _cauchy_np(self, z, method=None):
        # a tree without unknowns (affine maps, mixtures of closed forms) is a closed form
        return sub.closed_value(self, z, NP) if self._nunk == 0 else sub.cauchy_np(self, z)

    def _cauchy_mp(self, z, dps, method=None):
        if self._nunk == 0:
            return sub.closed_mp(self, z, dps)
        return sub.cauchy_mp(self, z, dps, method)

    def _make_params(self, be):
        return ()

    def _support(self, dps: int, method: str | None = None):
        """Bands of the absolutely continuous part: between the edges of :meth:`_edges`."""
        return bands_from_edges(self._edges(dps, method))

    def _edges(self, dps: int, method: str | None = None):
        """Band endpoints, refined to ``dps`` digits where the edge is a regular fold."""
        return eng.edges(self, dps, method or self._default("edges"), method is not None)

    def _g_dual(self, zeta, w, be, ctx):
        return self._gpsi_dual(zeta, w, be, ctx)[0]


class _Binary(_Composite):
    """mu ⊞ nu or mu ⊠ nu: two subordination points (one when mu == nu, the reduced equation),
    residuals ``_gpsi``, starting values ``_start`` (``freealg.numeric.subordination``)."""

    __slots__ = ()
    _argnames = ("mu", "nu")
    _gpsi: Any = None
    _start: Any = None
    #: the name of the subordination points in :meth:`_unknowns_mp`
    _unknowns_key = "omega"

    @property
    def _symmetric(self):
        return self._args[0] == self._args[1]

    @property
    def _nunk(self):
        mu, nu = self._args
        return 1 + mu._nunk if self._symmetric else 2 + mu._nunk + nu._nunk

    def _gpsi_dual(self, zeta, w, be, ctx):
        return type(self)._gpsi(*self._args, zeta, w, be, ctx)

    def _guess(self, zeta, be):
        return type(self)._start(*self._args, zeta, be)

    def _unknowns_mp(self, z, dps: int) -> dict:
        """The unknowns of this law's Newton solution at z, for ``System.residual``:
        ``{"G": G(z), key: (w_mu, w_nu)}`` at ``dps + 10`` digits (equal for mu = nu), key
        ``"omega"`` for ⊞ (G = G_mu(omega_mu) = G_nu(omega_nu)) and ``"W"`` for ⊠
        (psi(z) = psi_mu(W_mu) = psi_nu(W_nu), psi(z) = z G(z) - 1)."""
        w, G = sub.unknowns(self, z, dps)
        return {"G": G, self._unknowns_key: (w[0], w[0]) if self._symmetric else (w[0], w[1])}
