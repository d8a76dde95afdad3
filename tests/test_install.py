"""Installation (issue 17, item 1): one version, py.typed shipped, the notebooks extra brings
Jupyter, install hints that work, the PyPI name clash stated and detected at import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import freealg
from freealg import deps

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "freealg"

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    tomllib = None


def _pyproject() -> dict:
    if tomllib is None:
        pytest.skip("tomllib needs Python 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# --------------------------------------------------------------------------------------------
# metadata


def test_version_has_one_source():
    proj = _pyproject()
    assert "version" not in proj["project"] and "version" in proj["project"]["dynamic"]
    assert proj["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "freealg.__version__"}
    # setuptools reads the literal from the source, without importing freealg (the build
    # environment has no sympy)
    from setuptools.config.pyprojecttoml import read_configuration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # "[tool.setuptools] support is beta"
        conf = read_configuration(ROOT / "pyproject.toml", expand=True, dist=None)
    assert conf["project"]["version"] == freealg.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", freealg.__version__)
    # the only place the version string is written
    hits = [p for p in [ROOT / "pyproject.toml", *PKG.rglob("*.py"), ROOT / "docs" / "conf.py"]
            if f'"{freealg.__version__}"' in p.read_text()]
    assert hits == [PKG / "__init__.py"]


def test_py_typed_is_package_data():
    assert (PKG / "py.typed").is_file()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["freealg"]


def test_notebooks_extra_brings_jupyter():
    extra = _pyproject()["project"]["optional-dependencies"]["notebooks"]
    names = {re.split(r"[<>=\[ ;]", req)[0] for req in extra}
    assert {"jupyterlab", "nbconvert", "nbclient", "ipykernel", "matplotlib"} <= names


@pytest.mark.slow
def test_wheel_ships_py_typed_and_the_version(tmp_path):
    # a copy of the sources, so the build leaves nothing in the working tree
    import shutil
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(PKG, src / "freealg", ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                        str(tmp_path / "wheel"), str(src)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    (whl,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(whl) as z:
        assert "freealg/py.typed" in z.namelist()
        meta = z.read(next(n for n in z.namelist() if n.endswith("METADATA"))).decode()
    assert f"Version: {freealg.__version__}" in meta
    assert 'Requires-Dist: jupyterlab>=4; extra == "notebooks"' in meta


# --------------------------------------------------------------------------------------------
# install hints


# packages that the hints may name: real projects on PyPI (the optional dependencies)
REAL = {"matplotlib", "tqdm", "torch", "dask", "python-flint", "threadpoolctl", "jupyterlab",
        "nbconvert", "nbclient", "ipykernel", "hypothesis", "pytest"}
PIP = re.compile(r"pip install\s+(-e\s+)?('[^']*'|\"[^\"]*\"|[^\s'\"`);]+)")


def _bad_hints(text: str, extras: set[str]) -> list[str]:
    bad = []
    for m in PIP.finditer(text):
        editable, target = m.group(1), m.group(2).strip("'\"")
        if editable:   # from a clone: pip install -e . / -e ".[plot]" / -e "<path>"
            extra = re.fullmatch(r".*\[([\w,-]+)\]", target)
            if extra and not set(extra.group(1).split(",")) <= extras:
                bad.append(m.group(0))
            continue
        if target.startswith("{") or target.startswith("-"):   # a formatted name, an option
            continue
        if re.match(r"freealg-cas(\[[\w,-]+\])?\s+@\s+git\+", target):   # from the repository
            continue
        name = re.split(r"[\[<>=]", target)[0]
        if name not in REAL:
            bad.append(m.group(0))
    return bad


def test_hint_checker_catches_the_broken_hints():
    extras = set(_pyproject()["project"]["optional-dependencies"])
    assert _bad_hints("pip install 'freealg-cas[plot]'", extras) == [
        "pip install 'freealg-cas[plot]'"]
    assert _bad_hints("run pip install freealg", extras) == ["pip install freealg"]
    assert _bad_hints('pip install -e ".[nope]"', extras) == ['pip install -e ".[nope]"']
    assert _bad_hints('pip install matplotlib; pip install -e ".[plot]"', extras) == []
    assert _bad_hints('pip install "freealg-cas[plot] @ git+https://host/x.git"', extras) == []


FILES = sorted(p for p in PKG.rglob("*.py") if "pip install" in p.read_text())


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_install_hint_in_the_library_works(path):
    extras = set(_pyproject()["project"]["optional-dependencies"])
    assert _bad_hints(path.read_text(), extras) == []


def test_docs_state_the_name_clash():
    extras = set(_pyproject()["project"]["optional-dependencies"])
    for doc in (ROOT / "README.md", ROOT / "docs" / "getting_started.md"):
        text = doc.read_text()
        install = text[text.index("## Install"):]
        install = install[:install.index("\n## ", 5)]
        assert "Do not `pip install freealg`" in install, doc
        assert "pip install -e ." in install and "git+" in install, doc
        # every other pip line of the page works (the warning above is the one exception)
        assert _bad_hints(text.replace("Do not `pip install freealg`", ""), extras) == [], doc
    # the README puts it before the Quickstart, whose two commands stay as they are
    readme = (ROOT / "README.md").read_text()
    assert readme.index("## Install") < readme.index("## Quickstart")


# --------------------------------------------------------------------------------------------
# the other distribution named freealg


def _fake_dist(site: Path, name: str = "freealg", version: str = "9.9.9") -> Path:
    """A dist-info of another project that installs the package freealg (as PyPI's does)."""
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "RECORD").write_text("freealg/__init__.py,,\nfreealg/decompress.py,,\n")
    return site


def test_name_clash_found_from_metadata(tmp_path, monkeypatch):
    assert deps.name_clash() == []        # this environment: only freealg-cas
    monkeypatch.syspath_prepend(str(_fake_dist(tmp_path)))
    assert deps.name_clash() == ["freealg 9.9.9"]
    assert deps.name_clash(thorough=True) == ["freealg 9.9.9"]
    monkeypatch.setattr(deps, "_WARNED", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert deps.warn_name_clash() is True
        assert deps.warn_name_clash() is False       # once per session
    (w,) = caught
    assert issubclass(w.category, deps.NameClashWarning)
    msg = str(w.message)
    assert "freealg 9.9.9" in msg and "pip uninstall -y freealg" in msg
    assert f'pip install -e "{ROOT}"' in msg


def test_a_distribution_that_does_not_install_freealg_is_no_clash(tmp_path, monkeypatch):
    site = tmp_path
    info = site / "freealg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: freealg\nVersion: 1.0\n")
    (info / "RECORD").write_text("other_name/__init__.py,,\n")
    monkeypatch.syspath_prepend(str(site))
    assert deps.name_clash() == []


def test_import_warns_once_with_the_fix(tmp_path):
    site = _fake_dist(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    r = subprocess.run([sys.executable, "-c", "import freealg, importlib; "
                        "importlib.reload(freealg); print('imported')"],
                       capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path))
    assert r.returncode == 0 and "imported" in r.stdout, r.stderr[-2000:]
    assert r.stderr.count("NameClashWarning") == 1, r.stderr
    assert "pip uninstall -y freealg" in r.stderr
