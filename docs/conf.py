"""Sphinx configuration of the freealg documentation site.

Build (nitpicky, warnings are errors, as tests/test_docs.py runs it):
    pip install -e ".[docs]"
    python -m sphinx -n -W --keep-going -b html docs docs/_build/html

Everything the site needs comes from the repository and the ``docs`` extra, so the build and
the rendered site work offline:

* cross-references to Python, SciPy, SymPy and mpmath resolve through inventories stored in
  ``docs/_intersphinx/`` (see the README there: where they come from, how to refresh them);
  no inventory is fetched at build time;
* MathJax is served from the site itself (``sphinx-mathjax-offline``), not from a CDN;
* the notebooks of ``notebooks/`` are executed at build time by myst-nb, with a cache in
  ``docs/_build/.jupyter_cache`` (a rebuild re-executes only notebooks that changed).
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)  # document this checkout even when it is not installed
# the notebooks run in a kernel subprocess, which inherits the environment: let it import this
# checkout too
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))

import freealg  # noqa: E402

project = "freealg"
author = "the freealg developers"
copyright = "2026, the freealg developers"
release = freealg.__version__
version = release

extensions = [
    "myst_nb",                 # Markdown pages (MyST) and the notebooks, executed
    "sphinx.ext.autodoc",      # API reference from the docstrings
    "sphinx.ext.autosummary",
    "numpydoc",                # numpydoc sections (Examples, Parameters, Returns)
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into the site: formulas render offline
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "_intersphinx", "README.md", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- notebooks (myst-nb) -------------------------------------------------------------------
# docs/notebooks/*.ipynb are links to the repository's notebooks/ (stored without outputs);
# they are executed here, and a failing cell fails the build
nb_execution_mode = "cache"
nb_execution_cache_path = os.path.join(os.path.dirname(__file__), "_build", ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- API reference -------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
# class pages show inherited members (Law's density/edges/moments on Semicircle, the
# distribution methods, ...), but not those of Python's own base classes
_BUILTIN_BASES = ("object, BaseException, Exception, ValueError, ArithmeticError, RuntimeError, "
                  "TypeError, tuple, dict, Warning, UserWarning, FutureWarning, ndarray")
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True,
                           "inherited-members": _BUILTIN_BASES}
autodoc_typehints = "signature"   # numpydoc writes the Parameters section
autodoc_member_order = "bysource"
numpydoc_show_class_members = False    # members are listed by autodoc, not by numpydoc tables
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()     # docstring completeness is tests/test_docstrings.py's job
numpydoc_xref_param_type = False

# -- cross-references ----------------------------------------------------------------------
# Inventories stored in the repository (docs/_intersphinx/README.md): the build never touches
# the network. Each URL is the documentation of the version its inventory was taken from
# (mpmath: its current documentation, the only one published).
intersphinx_mapping = {
    "python": ("https://docs.python.org/3.11/", "_intersphinx/python.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy-1.10.1/", "_intersphinx/scipy.inv"),
    "sympy": ("https://docs.sympy.org/1.11/", "_intersphinx/sympy.inv"),
    "mpmath": ("https://mpmath.org/doc/current/", "_intersphinx/mpmath.inv"),
}
intersphinx_timeout = 1
nitpicky = True
nitpick_ignore_regex = [
    # No inventory of NumPy's or Matplotlib's documentation can be stored: they are fetched only
    # from their web sites, which this project's machines cannot reach, and no package registry
    # that they can reach ships them (Debian 12 has no numpy or matplotlib doc package). Their
    # names stay plain text instead of links.
    (r"py:.*", r"(numpy|np|matplotlib)(\..*)?"),
    (r"py:.*", r"(ndarray|ArrayLike|NDArray|Figure|Axes)"),
    # mpmath documents its number types in prose only: its inventory has no target for them
    (r"py:.*", r"mpmath\.(ctx_mp_python\.)?(mpf|mpc|mpmathify|ctx_mp\.MPContext)"),
    (r"py:.*", r"(mpf|mpc)"),
]


def _public_bases(bases: list) -> list:
    """A private base class (``_Composite``, ``_QuadratureLaw``) is an implementation detail
    without a page: show its public bases instead (its members are on the class page, since
    inherited members are shown)."""
    out: list = []
    for b in bases:
        if inspect.isclass(b) and b.__name__.startswith("_") and b.__module__.startswith(
                "freealg"):
            for pb in _public_bases(list(b.__bases__)):
                if pb not in out:
                    out.append(pb)
        elif b not in out:
            out.append(b)
    return out


def _process_bases(app, name, obj, options, bases):
    bases[:] = _public_bases(list(bases))


# -- references to freealg objects under another name ------------------------------------
# The API pages document each object once, under the name users import it by (fa.sample is
# documented as freealg.sample, not freealg.montecarlo.sampling.sample). Type hints and
# docstrings name objects where they are defined (freealg.montecarlo.sample, Wachter, System):
# such a reference is resolved to the page of the same object. A reference to a freealg object
# that exists but has no page (an internal module or helper) is shown as code without a link;
# a name that does not exist still warns, so typos fail the nitpicky build.

def _import_path(path: str):
    """The object at a dotted path, or None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:  # noqa: BLE001 - not a module: try a shorter prefix
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _documented(env) -> dict:
    """id(object) -> the documented name, for every object on the API pages."""
    cache = getattr(env, "_freealg_documented", None)
    if cache is None:
        cache = {}
        for name, entry in sorted(env.get_domain("py").objects.items()):
            obj = _import_path(name)
            if obj is not None and not isinstance(obj, (int, float, str, tuple, type(None))):
                cache.setdefault(id(obj), (name, obj, entry.objtype))
        env._freealg_documented = cache
    return cache


def _missing_reference(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    module, klass = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates[:0] = [f"{module}.{klass}.{target}" if klass else None, f"{module}.{target}"]
        owner = _import_path(f"{module}.{klass}") if klass else None
        home = getattr(owner, "__module__", None) or ""
        if home.startswith("freealg"):      # the module that defines the documented class
            candidates += [f"{home}.{owner.__qualname__}.{target}", f"{home}.{target}"]
    py = env.get_domain("py")
    suffix = [n for n, entry in py.objects.items() if n.endswith("." + target)
              and n.startswith("freealg.") and not entry.aliased]
    if len(suffix) == 1:                    # a short name (Wachter) with one documented match
        candidates.append(suffix[0])
    for cand in candidates:
        if not cand or not cand.startswith("freealg."):
            continue                        # never import a module by a bare name
        obj = _import_path(cand)
        if obj is None or (inspect.ismodule(obj) and not obj.__name__.startswith("freealg")):
            continue
        hit = _documented(env).get(id(obj))
        if hit is not None and hit[1] is obj:
            return py.resolve_xref(env, node["refdoc"], app.builder, "obj", hit[0], node,
                                   contnode)
        if cand in py.objects:
            return py.resolve_xref(env, node["refdoc"], app.builder, "obj", cand, node,
                                   contnode)
        return contnode                     # exists, but has no page: code without a link
    return None


# -- absolute values in docstrings ---------------------------------------------------------
# The docstrings write formulas as plain text, and an absolute value such as |x| or
# |mass - 1| is, to reST, a substitution reference (an error). Outside ``literals``, :math:
# roles and doctest blocks, such a pair of bars is escaped and shown as written. Table rows
# (| a | b |, bars next to spaces) are left alone.
_BARS = re.compile(r"(?<![\w`\\|])\|(?=\S)([^|`\n]*?\S)\|(?![\w`|])")


def _escape_bars(app, what, name, obj, options, lines):
    in_doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>>"):
            in_doctest = True
        elif not stripped:
            in_doctest = False
        if in_doctest or "|" not in line:
            continue
        parts = line.split("``")
        for j in range(0, len(parts), 2):          # outside ``literal`` spans
            parts[j] = _BARS.sub(r"\\|\1\\|", parts[j])
        lines[i] = "``".join(parts)


def setup(app):
    app.connect("autodoc-process-bases", _process_bases)
    app.connect("missing-reference", _missing_reference)
    app.connect("autodoc-process-docstring", _escape_bars, priority=600)  # after numpydoc


# -- HTML ----------------------------------------------------------------------------------
# the copy button copies the code without the >>> / ... / $ prompts and without output lines
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_exclude = ".linenos, .gp, .go"

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"freealg {release}"
