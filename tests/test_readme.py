"""The README's Quickstart and .ci/run stay in sync (the brief: CI runs the README's test
command)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quickstart_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\s+```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands():
    cmds = _quickstart_commands()
    assert len(cmds) == 2
    assert "demo" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    test_cmd = _quickstart_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in [line.strip() for line in ci]


def test_demo_command_runs_in_process(tmp_path):
    import io

    from freealg.cli import main

    assert main(["--version"]) == 0
    from freealg.cli import demo

    buf = io.StringIO()
    assert demo(dps=15, points=2, out=buf, outdir=str(tmp_path)) == 0
    out = buf.getvalue()
    # the dynamical-isometry example: ReLU depth 3, atom 1/2 at 0 (Belinschi 2003) and edge
    # 27/4 = L^L/(L-1)^(L-1); a standalone .tex is written (and a PNG where matplotlib exists)
    assert "0 (mass 1/2)" in out and (tmp_path / "jacobian_system.tex").exists()
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "pip install matplotlib" in out     # a hint that works
    else:
        png = tmp_path / "jacobian_density.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the demo prints exact atoms and the Fuss-Catalan edge 27/4 (Penson-Zyczkowski 2011)
    assert "0 (mass 2/3)" in out
    assert "6.75" in out
