"""The documentation site (issues 7 and 17).

* Every ``>>>`` block in docs/*.md is a doctest, so the pages cannot drift from the code.
* Nothing cites a file outside the repository (the design notes the project started from are
  not shipped: a reader cannot open them).
* The site builds offline: cross-reference inventories are stored in docs/_intersphinx,
  MathJax is copied into the site, and the copy button strips the prompts.
* The API reference lists the public API, and the engine table in docs/architecture.md
  names every engine module.
* The notebooks are part of the site (linked into docs/notebooks and in a toctree).
* (slow) ``sphinx -n -W`` builds the whole site clean, with the notebooks executed and their
  figures, MathJax served locally and inherited members on the class pages.
"""

from __future__ import annotations

import doctest
import importlib.util
import inspect
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if ">>>" in p.read_text(encoding="utf-8"))
PAGES.append(ROOT / "README.md")
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def test_pages_with_examples_exist():
    assert {p.name for p in PAGES} >= {"getting_started.md", "howto.md", "README.md"}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS,
                              raise_on_error=False, verbose=False)
    assert result.attempted > 0 and result.failed == 0, f"{page.name}: {result}"


def test_every_page_is_in_a_toctree():
    """Sphinx warns too, but this catches it without Sphinx installed."""
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([a-z_]+)$", index, flags=re.M))
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index", "README"}
    assert pages <= listed, pages - listed


# -- no reference to files outside the repository ------------------------------------------

OUTSIDE = re.compile(r"MATH\.md|ARCHITECTURE|STYLE\.md|API\.md|shared/design")


def _outside_refs(paths):
    hits = []
    for path in paths:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    return hits


def _files(*globs):
    return sorted(p for g in globs for p in ROOT.glob(g) if p.is_file())


def test_docs_and_readme_cite_no_file_outside_the_repository():
    paths = _files("docs/**/*.md", "docs/*.py", "README.md", "notebooks/*.ipynb",
                   "notebooks/*.py", "notebooks/*.md")
    assert paths
    assert _outside_refs(paths) == []


def test_library_cites_no_file_outside_the_repository():
    assert _outside_refs(_files("freealg/**/*.py")) == []


def test_the_outside_pattern_catches_the_old_citations():
    # the pattern itself, on the kinds of lines the docs once had
    for line in ("see MATH.md §3", "(ARCHITECTURE conventions)", "../shared/design/API.md"):
        assert OUTSIDE.search(line), line
    for line in ("see docs/numerics.md", "the architecture page", "the API reference"):
        assert not OUTSIDE.search(line), line


# -- the Sphinx configuration --------------------------------------------------------------

@pytest.fixture(scope="module")
def conf():
    """docs/conf.py's settings, read without leaving its side effects (sys.path and the
    PYTHONPATH it sets for the notebook kernels) in this process."""
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    try:
        return runpy.run_path(str(DOCS / "conf.py"))
    finally:
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_env


def test_intersphinx_inventories_are_stored_and_loadable(conf):
    pytest.importorskip("sphinx")
    from sphinx.util.inventory import InventoryFile

    mapping = conf["intersphinx_mapping"]
    assert set(mapping) >= {"python", "scipy", "sympy", "mpmath"}
    # one object each that the API pages link to (type hints and docstrings)
    expected = {"python": ("py:class", "argparse.ArgumentParser"),
                "scipy": ("py:function", "scipy.stats.kstest"),
                "sympy": ("py:class", "sympy.core.expr.Expr"),
                "mpmath": ("py:function", "mpmath.findroot")}
    for name, (url, inv) in mapping.items():
        assert url.startswith("https://") and url.endswith("/"), url
        assert isinstance(inv, str) and "://" not in inv, f"{name}: fetched at build time"
        path = DOCS / inv
        assert path.is_file(), path
        with open(path, "rb") as fh:
            loaded = InventoryFile.load(fh, url, lambda base, uri: base + uri)
        data = getattr(loaded, "data", loaded)   # Sphinx >= 8.2 wraps the dict
        kind, target = expected[name]
        assert target in data[kind], (name, target)


def test_site_assets_are_local(conf):
    ext = conf["extensions"]
    # MathJax from the site itself (no CDN), the copy button, the notebooks, intersphinx
    for name in ("sphinx-mathjax-offline", "sphinx_copybutton", "myst_nb",
                 "sphinx.ext.intersphinx"):
        assert name in ext, name
    assert conf["nitpicky"] is True
    assert "dollarmath" in conf["myst_enable_extensions"]


def test_copy_button_strips_prompts(conf):
    assert conf["copybutton_prompt_is_regexp"] is True
    assert conf["copybutton_only_copy_prompt_lines"] is True
    prompt = re.compile(conf["copybutton_prompt_text"])
    # the prompts of the doctests, of their continuation lines and of shell lines
    for line, code in ((">>> import freealg as fa", "import freealg as fa"),
                       ("...     print(x)", "    print(x)"),
                       ("$ pip install -e .", "pip install -e .")):
        m = prompt.match(line)
        assert m and line[m.end():] == code
    assert prompt.match("[0, 1, 0, 2]") is None       # output lines are not copied


def test_class_pages_show_inherited_members(conf):
    opts = conf["autodoc_default_options"]
    excluded = {s.strip() for s in opts["inherited-members"].split(",")}
    assert "object" in excluded
    # freealg's own base classes stay: Law's methods on Semicircle, DistributionMixin's on Law
    assert not excluded & {"Law", "DistributionMixin", "_Composite"}
    # private bases are replaced by their public bases in "Bases:"
    import freealg as fa
    shown = conf["_public_bases"](list(fa.FreeAdditive.__bases__))
    assert shown and all(not b.__name__.startswith("_") for b in shown)
    assert fa.Law in shown


def test_absolute_values_in_docstrings_are_not_substitutions(conf):
    # |x| in a plain-text formula is a reST substitution reference (a build error): escaped,
    # except in ``literals``, :math: roles, doctest blocks and table rows
    lines = ["on |x| <= 2 sqrt(d - 1)", "the defect |mass - 1|.", "``|x^0|^2/N`` and |z|",
             ":math:`|x|`", "| a | b |", ">>> abs(-1)", "|1|", "", "then |y|"]
    conf["_escape_bars"](None, "function", "f", None, {}, lines)
    assert lines == [r"on \|x\| <= 2 sqrt(d - 1)", r"the defect \|mass - 1\|.",
                     r"``|x^0|^2/N`` and \|z\|", ":math:`|x|`", "| a | b |", ">>> abs(-1)",
                     "|1|", "", r"then \|y\|"]


# -- the pages name the public API ---------------------------------------------------------

def _autosummary_names(text: str) -> set[str]:
    names, module = set(), None
    for block in re.findall(r"```\{eval-rst\}\n(.*?)```", text, flags=re.S):
        m = re.search(r"\.\. currentmodule:: (\S+)", block)
        module = m.group(1) if m else module
        for entry in re.findall(r"^   ([A-Za-z_][A-Za-z0-9_]*)$", block, flags=re.M):
            names.add(f"{module}.{entry}")
    return names


def test_api_page_lists_the_public_api():
    import freealg as fa
    import freealg.nn as fnn
    import freealg.plotting as fplot
    import freealg.printing as fprint

    listed = _autosummary_names((DOCS / "api.md").read_text(encoding="utf-8"))
    missing = []
    for prefix, mod in (("freealg", fa), ("freealg.nn", fnn), ("freealg.plotting", fplot),
                        ("freealg.printing", fprint)):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            if f"{prefix}.{name}" not in listed and not (
                    prefix == "freealg.printing" and f"freealg.{name}" in listed):
                missing.append(f"{prefix}.{name}")
    assert missing == [], "not in docs/api.md: " + ", ".join(missing)
    # every listed name exists (no stale entries)
    stale = [n for n in listed if _resolve(n) is None]
    assert stale == []


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = __import__(".".join(parts[:i]), fromlist=["_"])
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return None
        return obj
    return None


def test_engine_table_names_every_engine_module():
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if line.startswith("| `numeric/"))
    named = set()
    for cell in re.findall(r"^\| ([^|]*)\|", table, flags=re.M):
        named |= {Path(m).name for m in re.findall(r"`(?:numeric/)?([a-z_]+\.py)`", cell)}
    modules = {p.name for p in (ROOT / "freealg" / "numeric").glob("*.py")}
    engine = modules - {"__init__.py", "solution.py"}
    assert engine - named == set(), "add to the engine table in docs/architecture.md"
    assert named - modules == set(), "the engine table names modules that do not exist"


# -- formulas are math ---------------------------------------------------------------------

FORMULA_LIKE = re.compile(r"\^|sqrt|lim_|sum_|->|<=|>=|\btau\(|\bmu\b|\bchi\b|\bomega\b|"
                          r"\bkappa|\blambda\b|\bsigma_|\bpsi\b|\bdelta_")


@pytest.mark.parametrize("page", ["conventions.md", "numerics.md", "nn.md", "theory.md"])
def test_formulas_are_math_not_code(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)     # code blocks are code
    assert "$" in text
    code = re.findall(r"`([^`\n]+)`", text)
    # Python names and calls (`sqrt`, `free_power(mu, t)`) are code; anything else that reads
    # like a formula should be math
    python = re.compile(r"^[A-Za-z_][\w.]*(\(.*\))?$")
    formulas = [c for c in code if FORMULA_LIKE.search(c) and not python.match(c)]
    assert formulas == [], f"{page}: formulas in inline code: {formulas}"


# -- notebooks -----------------------------------------------------------------------------

def test_every_notebook_is_in_the_site():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        link = DOCS / "notebooks" / nb.name
        assert link.exists(), f"docs/notebooks/{nb.name} missing"
        assert link.resolve() == nb.resolve(), f"docs/notebooks/{nb.name} is not {nb}"
    page = (DOCS / "notebooks.md").read_text(encoding="utf-8")
    assert "```{toctree}" in page and "notebooks/*" in page


# -- the whole site ------------------------------------------------------------------------

def _have(*mods):
    return all(importlib.util.find_spec(m) for m in mods)


@pytest.mark.slow
@pytest.mark.skipif(not _have("sphinx", "myst_nb", "numpydoc", "sphinx_copybutton",
                              "matplotlib", "ipykernel"),
                    reason='needs the docs extra: pip install -e ".[docs]"')
@pytest.mark.skipif(importlib.util.find_spec("sphinx-mathjax-offline") is None,
                    reason='needs the docs extra: pip install -e ".[docs]"')
def test_site_builds_clean(tmp_path):
    out = tmp_path / "html"
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)    # the notebook kernels use their own (inline) back end
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-n", "-W", "--keep-going", "-E",
                           "-q", "-b", "html", str(DOCS), str(out)],
                          capture_output=True, text=True, env=env, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-6000:]
    # MathJax served by the site itself, no CDN
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert any((out / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    conventions = (out / "conventions.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in conventions
    assert "cdn.jsdelivr" not in conventions and "mathjax@" not in conventions
    assert r"\boxtimes" in conventions                         # formulas are math
    # the copy button is on every page
    assert (out / "_static" / "copybutton.js").is_file()
    # the notebooks, executed at build, carry their figures
    quick = (out / "notebooks" / "01_quickstart.html").read_text(encoding="utf-8")
    assert "<img" in quick
    # inherited members on class pages: Law's and the distribution methods on Semicircle
    semi = (out / "api" / "freealg.Semicircle.html").read_text(encoding="utf-8")
    for member in ("freealg.Semicircle.density", "freealg.Semicircle.edges",
                   "freealg.Semicircle.cdf"):
        assert f'id="{member}"' in semi, member
    # cross-references into the stored inventories became links (type hints: sympy's Symbol
    # on System, Python's built-in types on the law pages)
    system = (out / "api" / "freealg.System.html").read_text(encoding="utf-8")
    assert 'href="https://docs.sympy.org/1.11/' in system
    assert 'href="https://docs.python.org/3.11/' in semi
