"""The documentation pages' examples run (issue 7): every ``>>>`` block in docs/*.md is a
doctest, so getting-started and how-to pages cannot drift from the code. The site itself is
built by .ci/run with ``sphinx -W`` (warnings are errors)."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p for p in DOCS.glob("*.md") if ">>>" in p.read_text(encoding="utf-8"))
PAGES.append(DOCS.parent / "README.md")
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
