"""Evaluate a polynomial on a realisation: its N x N matrix, then eigenvalues or singular values.

A word is multiplied left to right; diagonal factors stay vectors (a diagonal times a dense
matrix scales rows or columns, O(N^2)), so only dense-times-dense products cost O(N^3), and
nothing larger than N x N is ever built. The same code runs on every array back end (numpy
here, torch in :mod:`.backends`) through the ``ops`` object.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ..algebra import NCPoly
from ..errors import UndeterminedError
from .samplers import NumpyOps, Realisation

__all__ = ["evaluate", "spectrum_of", "coefficient", "needs_complex"]


def coefficient(c: Any) -> complex:
    """A sympy coefficient as a Python number (symbols must be substituted first)."""
    c = sp.sympify(c)
    if c.free_symbols:
        raise UndeterminedError("a Monte Carlo realisation", sorted(c.free_symbols, key=str))
    v = complex(c)
    return v.real if v.imag == 0 else v


def needs_complex(exprs) -> bool:
    """Complex field iff a Haar unitary or circular generator or a non-real coefficient occurs."""
    for e in exprs:
        if any(g.kind == "haar_unitary" or (g.kind == "circular" and "real" not in g.params[1:])
               for g in e.generators):
            return True
        if any(isinstance(coefficient(c), complex) for _, c in e.terms):
            return True
    return False


def evaluate(expr: NCPoly, real: Realisation, ops: Any = None):
    """The N x N matrix of ``expr`` (or a diagonal vector, when every term is diagonal).

    Returns ``(kind, array)`` with kind 'diag' or 'dense'.
    """
    ops = ops or NumpyOps(np.random.default_rng(0))     # evaluating draws nothing
    n = real.size(expr.shape[0])         # rows of the expression (N x (its row dimension))
    acc_dense = None
    acc_diag = None
    for word, c in expr.terms:
        cv = coefficient(c)
        kind, cur = "diag", None          # None = identity
        for L in word:
            g = L.gen
            if g in real.diag:
                v = real.diag[g]
                if kind == "diag":
                    cur = v if cur is None else cur * v
                else:
                    cur = cur * v[None, :]
            else:
                m = real.dense[g]
                if L.star:
                    m = ops.adjoint(m)
                if kind == "diag":
                    cur = m if cur is None else cur[:, None] * m
                    kind = "dense"
                else:
                    cur = ops.matmul(cur, m)
        if kind == "diag":
            term = (np.ones(n) if cur is None else cur) * cv
            acc_diag = term if acc_diag is None else acc_diag + term
        else:
            assert cur is not None      # a dense factor was seen
            term = cur * cv
            acc_dense = term if acc_dense is None else acc_dense + term
    if acc_dense is None:
        if acc_diag is None:
            acc_diag = np.zeros(n)
        return "diag", acc_diag
    if acc_diag is not None:
        acc_dense = ops.add_diag(acc_dense, acc_diag)   # acc_dense is a fresh array
    return "dense", acc_dense


def spectrum_of(kind: str, m, selfadjoint: bool, ops: Any) -> np.ndarray:
    """Eigenvalues (self-adjoint) or singular values of an evaluated matrix, sorted ascending."""
    if kind == "diag":
        v = np.asarray(ops.to_numpy(m))
        return np.sort(v.real if selfadjoint else np.abs(v))
    if selfadjoint:
        m = (m + ops.adjoint(m)) / 2
        return np.sort(np.asarray(ops.to_numpy(ops.eigvalsh(m)), dtype=float))
    return np.sort(np.asarray(ops.to_numpy(ops.svdvals(m)), dtype=float))
