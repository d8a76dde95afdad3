"""Sphinx configuration of the freealg documentation site.

Build (warnings are errors, as in CI):
    pip install -e ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import importlib.util
import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # document this checkout even when not installed

import freealg  # noqa: E402

project = "freealg"
author = "the freealg developers"
copyright = "2026, the freealg developers"
release = freealg.__version__
version = release

extensions = [
    "myst_parser",             # the pages are Markdown
    "sphinx.ext.autodoc",      # API reference from the docstrings
    "sphinx.ext.autosummary",
    "numpydoc",                # numpydoc sections (Examples, Parameters, Returns)
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
templates_path = ["_templates"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_typehints = "signature"   # numpydoc writes the Parameters section
autodoc_member_order = "bysource"
numpydoc_show_class_members = False    # members are listed by autodoc, not by numpydoc tables
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()     # docstring completeness is tests/test_docstrings.py's job

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"freealg {release}"
