"""Every public function, class, method and property of freealg has a docstring with an example.

docstrings are tested examples. The doctests themselves run through pytest's
``--doctest-modules`` (pyproject.toml); this test makes sure that none is missing.

What is walked
--------------
* the names in ``freealg.__all__`` and ``freealg.nn.__all__``, the public functions defined
  in :mod:`freealg.plotting`, and the ``__all__`` (or public functions) of the other modules
  that the API reference (docs/api.md) documents: ``freealg.reduce``, ``freealg.montecarlo``,
  ``freealg.laws.spectral``, ``freealg.transforms.cumulants``, ``freealg.api.parse``,
  ``freealg.cli`` (submodules such as ``fa.nn`` and ``fa.errors`` are not items);
* for each public class, the public methods, static and class methods and properties defined
  in the body of the class or of any freealg base class in its MRO (the members of a private
  base class count as the public class's own members).

Exemption rule
--------------
* A member that overrides a member of the same name on a freealg base class whose docstring
  has an example is exempt: the documentation shows the base method (e.g.
  ``Semicircle.r_transform`` overriding ``Law.r_transform``). A docstring of its own, when it
  has one, is still welcome (and still tested by the doctest run).
* Members that freealg does not write are exempt: names starting with ``_`` (dunders, including
  those that ``dataclass`` generates), members inherited from outside freealg (``object``,
  ``Exception``, ``tuple``, ...) and non-callable class attributes (dataclass fields, slots,
  constants).
* Module-level data (e.g. ``fa.nn.ACTIVATIONS``, a dict) cannot carry a docstring of its own; it
  must instead be named in its module's docstring.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys

import pytest

import freealg as fa
import freealg.api.parse as fparse
import freealg.cli as fcli
import freealg.laws.families as ffam
import freealg.laws.spectral as fspectral
import freealg.montecarlo as fmc
import freealg.nn as fnn
import freealg.numeric.lower as flower
import freealg.plotting as fplot
import freealg.printing as fprint
import freealg.reduce as freduce
import freealg.transforms.cumulants as fcum

# modules of the API reference besides fa and fa.nn: (prefix, module)
REFERENCE_MODULES = (("fa.plotting", fplot), ("freealg.reduce", freduce),
                     ("freealg.montecarlo", fmc), ("freealg.laws.spectral", fspectral),
                     ("freealg.transforms.cumulants", fcum), ("freealg.api.parse", fparse),
                     ("freealg.cli", fcli), ("freealg.printing", fprint),
                     ("freealg.numeric.lower", flower),
                     ("freealg.laws.families", ffam))

# documented on the API pages but still without an example: the owners of these files have the
# text to add (listed here so that the gap is visible, not hidden: remove a name once it has one)
PENDING_EXAMPLES: set[str] = set()


def _doc(obj) -> str:
    # the object's own docstring: inspect.getdoc would fall back to a base class's
    return inspect.cleandoc(getattr(obj, "__doc__", None) or "")


def _unwrap(attr):
    """The function behind a class attribute, or None for a non-callable attribute."""
    if isinstance(attr, (staticmethod, classmethod)):
        return attr.__func__
    if isinstance(attr, property):
        return attr.fget
    if isinstance(attr, functools.cached_property):
        return attr.func
    if inspect.isfunction(attr):
        return attr
    return None


def _is_freealg(cls) -> bool:
    return cls.__module__.split(".")[0] == "freealg"


def _has_example(obj) -> bool:
    return ">>>" in _doc(obj)


def _module_items():
    """(qualified name, object, module) for the public module-level names."""
    nn_names = getattr(fnn, "__all__", None) or [n for n in dir(fnn) if not n.startswith("_")]
    groups = [("fa", fa, fa.__all__), ("fa.nn", fnn, nn_names)]
    for prefix, mod in REFERENCE_MODULES:
        names = getattr(mod, "__all__", None) or [
            n for n, o in vars(mod).items() if not n.startswith("_") and inspect.isfunction(o)
            and o.__module__ == mod.__name__]
        groups.append((prefix, mod, names))
    for prefix, mod, names in groups:
        for n in names:
            yield f"{prefix}.{n}", getattr(mod, n), mod


def _collect():
    """(name, object) pairs to check, and (name, short name, object) for module-level data."""
    items, data, seen = [], [], set()

    def add(name, obj):
        if id(obj) not in seen:
            seen.add(id(obj))
            items.append((name, obj))

    for qual, obj, _mod in _module_items():
        if inspect.ismodule(obj):
            continue
        if not (inspect.isclass(obj) or callable(obj)):
            data.append((qual, qual.rsplit(".", 1)[1], obj))
            continue
        add(qual, obj)
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not _is_freealg(klass):
                continue
            for an, attr in vars(klass).items():
                fn = _unwrap(attr)
                if an.startswith("_") or fn is None:
                    continue
                if any(_is_freealg(b) and an in vars(b)
                       and _has_example(_unwrap(vars(b)[an]) or vars(b)[an])
                       for b in klass.__mro__[1:]):
                    continue  # exempt: a base member of that name has an example
                add(f"{klass.__module__}.{klass.__qualname__}.{an}", fn)
    return items, data


ITEMS, DATA = _collect()


def test_walk_finds_the_api():
    names = {n for n, _ in ITEMS}
    # a few anchors, so that a broken walk cannot pass vacuously
    for anchor in ("fa.semicircle", "fa.Law", "freealg.laws.base.Law.cauchy", "fa.nn.MLP",
                   "fa.spectrum", "fa.plotting.histogram", "fa.InvalidParameterError"):
        assert anchor in names
    assert len(ITEMS) > 150


def _pending(name, obj, pending):
    mark = pytest.mark.xfail(reason="docstring text handed to the file's owner", strict=False)
    return pytest.param(name, obj, id=name, marks=[mark] if name in pending else [])


@pytest.mark.parametrize("name,obj", [_pending(n, o, PENDING_EXAMPLES) for n, o in ITEMS])
def test_docstring_has_example(name, obj):
    doc = _doc(obj)
    assert doc, f"{name} has no docstring"
    assert ">>>" in doc, f"{name} has a docstring but no example (>>>)"
    assert "Examples\n--------" in doc, f"{name}: the example is not under an Examples section"


@pytest.mark.parametrize("qual,name,obj", DATA, ids=[q for q, _, _ in DATA])
def test_module_data_is_named_in_a_module_docstring(qual, name, obj):
    # module-level data cannot carry its own docstring: a freealg module that binds it (where it
    # is defined, or a package that re-exports it) names it in its docstring
    docs = [_doc(m) for m in list(sys.modules.values())
            if getattr(m, "__name__", "").startswith("freealg")
            and getattr(m, name, None) is obj]
    assert any(name in d for d in docs), f"{qual} is not described in a module docstring"


# -- full numpydoc sections on the core API ------------------------------------------------
# The functions a new user calls first document every parameter, what they return and what
# they raise. PENDING_SECTIONS: the owners of those files have the text to add (remove a name
# once its docstring is complete).
CORE_API = ("spectrum", "compile", "sample", "compare", "freeness_test",
            "semicircle", "free_poisson", "marchenko_pastur", "bernoulli", "dirac", "discrete",
            "empirical", "arcsine", "uniform", "from_density", "free_additive",
            "free_multiplicative", "free_product", "free_power", "free_compression", "affine",
            "mixture", "multiplicative_exponential", "free_meixner", "free_binomial",
            "kesten_mckay", "wachter", "semicircular", "circular", "haar_unitary",
            "haar_orthogonal", "projection", "selfadjoint", "activation", "commuting", "trace",
            "linearize", "gaussian")
PENDING_SECTIONS: set = set()


def _sections(doc: str) -> list[str]:
    return re.findall(r"^([A-Z][A-Za-z ]+)\n-{3,}$", doc, flags=re.M)


@pytest.mark.parametrize("name,obj", [_pending(n, getattr(fa, n), PENDING_SECTIONS)
                                      for n in CORE_API])
def test_core_api_has_full_numpydoc_sections(name, obj):
    doc = _doc(obj)
    found = _sections(doc)
    for section in ("Examples", "Parameters", "Returns", "Raises"):
        assert section in found, f"fa.{name}: no {section} section"
    # every parameter of the signature is described
    params = [p for p in inspect.signature(obj).parameters.values()
              if p.kind not in (p.VAR_KEYWORD,)]
    block = doc.split("Parameters\n----------", 1)[1].split("\nReturns\n", 1)[0]
    described = set(re.findall(r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\b.*:", block, flags=re.M))
    described |= {n.strip("* ") for line in re.findall(r"^([A-Za-z_*][\w*, ]*) :", block,
                                                        flags=re.M) for n in line.split(",")}
    missing = [p.name for p in params if p.name not in described]
    assert missing == [], f"fa.{name}: parameters not described: {missing}"


def test_section_parser_reads_numpydoc():
    # the helper above, on a known docstring
    doc = "Summary.\n\nExamples\n--------\n>>> 1\n1\n\nParameters\n----------\n" \
          "a, b : int\n    Two.\n\nReturns\n-------\nint\n\nRaises\n------\nValueError\n"
    assert _sections(doc) == ["Examples", "Parameters", "Returns", "Raises"]
