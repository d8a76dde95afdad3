"""The memory guard: a linearization or operator-valued system larger than the budget is refused
with a SizeLimitError naming its size, before it is allocated (never MemoryError)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.errors import InvalidParameterError, SizeLimitError
from freealg.numeric import operator_valued as ov
from freealg.numeric.memory import ENV_VAR, check_memory_size, memory_budget

lin = importlib.import_module("freealg.reduce.linearize")


def test_budget_sources(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert memory_budget() > 0
    monkeypatch.setenv(ENV_VAR, "3M")
    assert memory_budget() == 3 * 2 ** 20
    assert memory_budget(1000) == 1000 and memory_budget("1K") == 1024
    for bad in ("-1", "lots", "0"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(InvalidParameterError):
            memory_budget()
    for bad in (0, -5, 1.5, True, "x"):
        with pytest.raises(InvalidParameterError):
            memory_budget(bad)


def test_linearization_refused_before_the_solver_is_built(monkeypatch):
    """x y + y x has a pencil of size 3: its Newton system takes 16 * 3^4 = 1296 bytes. With a
    budget of 1000 bytes the compiler refuses it after linearizing (a few sympy entries) and
    before the operator-valued law or its Problem exist."""
    x, y = fa.semicircular("x"), fa.semicircular("y")
    monkeypatch.setenv(ENV_VAR, "1000")

    def never(*args, **kwargs):
        raise AssertionError("allocated past the guard")

    monkeypatch.setattr(lin, "operator_valued_law", never)
    with pytest.raises(SizeLimitError) as err:
        fa.compile_expr(x * y + y * x, method="linearization")
    assert err.value.size == 1296 and err.value.limit == 1000 and err.value.unit == "bytes"
    assert ENV_VAR in str(err.value) and "fa.sample" in str(err.value)
    assert not isinstance(err.value, MemoryError)


def test_degree_bound_refused_before_linearizing(monkeypatch):
    """A word of degree 40 has a pencil of size >= 40: 16 * 40^4 = 40960000 bytes, refused from
    the degree alone (linearize is never called)."""
    xs = [fa.semicircular(f"x{i}") for i in range(4)]
    w = xs[0]
    for i in range(1, 20):
        w = w * xs[i % 4]
    P = w + w.H
    monkeypatch.setenv(ENV_VAR, "1M")
    monkeypatch.setattr(lin, "linearize", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("linearized past the guard")))
    with pytest.raises(SizeLimitError) as err:
        lin.linearization_system(P)
    assert err.value.size >= 16 * P.degree ** 4 and err.value.limit == 2 ** 20


def test_operator_valued_problem_refused(monkeypatch):
    """A Problem with one semicircular letter and a 12 x 12 pencil: its float64 Newton system is
    16 * 4 * 144^2 bytes (+ the k^4 covariance map), refused at a 1 MB budget before the
    covariance map is allocated."""
    k = 12
    b0 = sp.zeros(k, k)
    b = sp.eye(k)
    monkeypatch.setenv(ENV_VAR, "1M")
    calls = []
    real_zeros = np.zeros

    def spy(shape, *a, **kw):
        calls.append(shape)
        return real_zeros(shape, *a, **kw)

    monkeypatch.setattr(ov.np, "zeros", spy)
    with pytest.raises(SizeLimitError) as err:
        ov.Problem(sp.ImmutableMatrix(b0), ((sp.ImmutableMatrix(b), 1),), (), k, 2.0)
    assert err.value.size == 16 * 4 * (k * k) ** 2 + 16 * k ** 4
    assert calls == []
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setattr(ov.np, "zeros", real_zeros)
    ov.Problem(sp.ImmutableMatrix(b0), ((sp.ImmutableMatrix(b), 1),), (), k, 2.0)


def test_check_memory_size_message():
    with pytest.raises(SizeLimitError, match="over the memory budget"):
        check_memory_size(2048, "expr", "P", "a pencil of size 3", "reduce the degree",
                          budget=1024)
    check_memory_size(1024, "expr", "P", "a pencil of size 3", "reduce the degree",
                      budget=1024)
