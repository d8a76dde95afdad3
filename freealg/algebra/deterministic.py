"""Deterministic rectangular matrices given by the law of their squared singular values.

The generator kind ``deterministic`` (shape (p, q), ``params = (law,)``); the exact trace
expands it as U h W* (:func:`freealg.algebra.blocks.expand_deterministic`), the compiler knows
its Gram matrices and the information-plus-noise law (``freealg.reduce.rectangular``), and
:func:`freealg.sample` realises it with fixed singular values.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterError
from ..laws.base import Law
from .generators import Generator
from .ncpoly import NCPoly
from .shapes import shape_pair

__all__ = ["deterministic"]


def deterministic(name: str, law: Law, shape: Any = (1, 1)) -> NCPoly:
    r"""A deterministic (pN) x (qN) matrix given by the law of its squared singular values.

    ``law`` is the law of the m = min(p, q) N squared singular values (the eigenvalue law of
    A A^T on the p block when p <= q, of A^T A on the q block when q <= p). On the larger block
    the Gram matrix carries the rank atom: A A^T on the p block has law
    (1 - m/p) delta_0 + (m/p) law. The matrix is **Haar-rotated** on both sides, A = U S W^T
    with fixed singular values S and independent Haar isometries U, W, in the exact trace, the
    compiler and :func:`freealg.sample` alike. The rotation makes several deterministic
    generators of one model free, as the free model assumes; in a model whose other letters are
    Gaussian it does not change the law at all (a Gaussian Z is bi-orthogonally invariant:
    U S W^T + Z = U (S + U^T Z W) W^T with U^T Z W again Gaussian). The compiler knows
    A A^T and the information-plus-noise law of (A + sigma Z)(A + sigma Z)^T (Dozier-Silverstein
    2007; see :doc:`/rectangular`).

    Parameters
    ----------
    name : str
        The generator's name; distinct names are free.
    law : Law
        The law of the squared singular values, on [0, inf).
    shape : pair of positive rationals, optional
        (rows, columns) in units of N (default (1, 1)).

    Returns
    -------
    NCPoly
        The single-letter (non-self-adjoint) polynomial ``A`` of the given shape.

    Raises
    ------
    InvalidParameterError
        ``law`` is not a Law or has mass below 0, or a shape entry is not a positive rational.

    Examples
    --------
    >>> import freealg as fa
    >>> A = fa.deterministic("A", fa.discrete([1, 4]), shape=(1, 2))
    >>> A.shape, fa.spectrum(A * A.H).law
    ((1, 2), discrete(points=[1, 4], weights=[1/2, 1/2]))
    >>> fa.spectrum(A.H * A).law                       # rank N of 2N: the atom 1/2 at 0
    discrete(points=[0, 1, 4], weights=[1/2, 1/4, 1/4])
    >>> B = fa.deterministic("B", fa.discrete([1, 4]))       # square: the exact trace
    >>> fa.trace((B * B.H)**2), fa.trace(B * B)              # (1 + 16)/2; Haar-rotated
    (17/2, 0)
    """
    if not isinstance(law, Law):
        raise InvalidParameterError("law", law, "must be a freealg Law: the law of the squared "
                                    "singular values (e.g. fa.discrete([1, 4]))")
    if law.is_positive() is False:
        raise InvalidParameterError("law", law, "squared singular values are >= 0; this law "
                                    "has mass below 0")
    dims = shape_pair("shape", shape)
    return NCPoly.from_generator(Generator(name, "deterministic", (law,), shape=dims))
