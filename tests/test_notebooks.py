"""Every notebook in notebooks/ executes and its assertions hold (issue 7), and the executed
notebooks keep their figures (issue 17). Needs nbclient and ipykernel (in the test extra);
slow: run by .ci/run's second step.

The kernel runs as Jupyter runs it: no MPLBACKEND is forced, so ipykernel picks its inline back
end (headless: it renders PNGs without a display). The notebooks never choose a back end
themselves, so a figure must reach the executed notebook as an image output.
"""

from pathlib import Path

import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))

# figures each notebook shows (with matplotlib installed): 01 histogram; 02 the Wachter law;
# 04 the user's own pyplot loss curves; 05 two freeness plots; 06 histogram
MIN_IMAGES = {"01_quickstart.ipynb": 1, "02_closed_forms.ipynb": 1,
              "04_fisher_information.ipynb": 1, "05_freeness_tests.ipynb": 2,
              "06_general_polynomials.ipynb": 1, "07_fitting_spectra.ipynb": 1,
              "08_learning_rate_real_data.ipynb": 1}


def _images(nb) -> int:
    return sum(1 for cell in nb.cells if cell.get("cell_type") == "code"
               for out in cell.get("outputs", [])
               if "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {}))


def _execute(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel is a subprocess: let it import this checkout even when it is not installed
    import os

    root = str(NB_DIR.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get(
        "PYTHONPATH")])))
    monkeypatch.delenv("MPLBACKEND", raising=False)   # the kernel's own (inline) back end
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NB_DIR)}})
    client.execute()  # raises CellExecutionError (with the traceback) when an assert fails
    return nb


def test_notebooks_never_choose_a_backend():
    # matplotlib.use('Agg') in a notebook replaced Jupyter's inline back end: no figures
    for path in NOTEBOOKS:
        text = path.read_text()
        assert "matplotlib.use" not in text and "%matplotlib" not in text, path.name
    assert "matplotlib.use" not in (NB_DIR / "_build.py").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    nb = _execute(path, monkeypatch)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert _images(nb) >= MIN_IMAGES.get(path.name, 0), (
        f"{path.name}: {_images(nb)} image outputs, expected {MIN_IMAGES.get(path.name, 0)}")
