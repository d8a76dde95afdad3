"""`freealg spectrum`: the safe parser and the command line (issue 7: malformed inputs get clear
messages and a non-zero exit status; --json is machine-readable)."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import freealg as fa
from freealg.api.parse import ParseError, parse_expr, parse_generator
from freealg.cli import main

GENS = dict(parse_generator(s) for s in ["x=semicircle", "y=semicircular(2)", "u=haar_unitary",
                                         "p=projection(1/3)", "a=discrete([0,1,3],[1/4,1/4,1/2])"])


def test_parser_builds_the_same_polynomials():
    x, y, u, p, a = (GENS[k] for k in "xyupa")
    assert parse_expr("x*y + y*x", GENS) == x * y + y * x
    assert parse_expr("I*(x*y - y*x)", GENS) == sp.I * (x * y - y * x)
    assert parse_expr("u + u.H", GENS) == u + u.H
    assert parse_expr("p*a*p - 1/2 + 2*x^2", GENS) == p * a * p - sp.Rational(1, 2) + 2 * x * x
    assert parse_expr("(x + y)**3", GENS) == (x + y) ** 3
    assert parse_expr("-(x*y)' + 0.25", GENS) == -(x * y).H + sp.Rational(1, 4)


MALFORMED = [
    # (argv, text expected in the message)
    (["x*(y", "--law", "x=semicircle", "--law", "y=semicircle"], "expected ')' at position 4"),
    (["x + ", "--law", "x=semicircle"], "unexpected end"),
    (["x*z", "--law", "x=semicircle"], "unknown name 'z'"),
    (["x @ x", "--law", "x=semicircle"], "unexpected character '@'"),
    (["x / x", "--law", "x=semicircle"], "division by a polynomial"),
    (["x**y", "--law", "x=semicircle", "--law", "y=semicircle"], "non-negative integers"),
    (["x", "--law", "x=nosuchlaw"], "unknown kind 'nosuchlaw'"),
    (["p", "--law", "p=projection(2)"], "trace of a projection"),
    (["x", "--law", "x=semicircle(-1)"], "variance"),
    (["x", "--law", "x semicircle"], "expected NAME=SPEC"),
    (["x*u", "--law", "x=semicircle", "--law", "u=haar_unitary"], "not self-adjoint"),
    (["x", "--law", "x=semicircle", "--law", "x=semicircle"], "declared twice"),
    (["x", "--law", "x=semicircle", "--dps", "0"], "dps"),
    (["__import__('os').system('true')", "--law", "x=semicircle"], "unexpected character '.'"),
    (["__import__", "--law", "x=semicircle"], "unknown name '__import__'"),
]


@pytest.mark.parametrize("argv, needle", MALFORMED, ids=[m[1] for m in MALFORMED])
def test_malformed_input_exits_nonzero_with_a_clear_message(argv, needle, capsys):
    assert main(["spectrum", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("freealg: error:") and needle in err, err


def test_json_output(capsys, tmp_path):
    tex = tmp_path / "s.tex"
    argv = ["spectrum", "p*q*p", "--law", "p=projection(1/2)", "--law", "q=projection(1/3)",
            "--json", "--grid", "5", "--dps", "20", "--latex", str(tex)]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    # Wachter law (Wachter 1980): atom 2/3 at 0 for tau(p) = 1/2, tau(q) = 1/3
    assert [(a["location"], a["exact"]) for a in doc["atoms"]] == [(0.0, "2/3")]
    assert len(doc["density"]["x"]) == 5 and all(v >= 0 for v in doc["density"]["y"])
    assert doc["moments"][0] == "1/6"  # tau(pqp) = tau(p) tau(q)
    # the edges 1/2 -+ sqrt(2)/3 (Wachter 1980) to all 20 requested digits, not a double's 16
    exact = [sp.Rational(1, 2) - sp.sqrt(2) / 3, sp.Rational(1, 2) + sp.sqrt(2) / 3]
    for e, ref in zip(doc["edges"], exact):
        assert abs(sp.Float(e["digits"], 25) - ref) < sp.Float(10) ** -20
    assert tex.read_text().lstrip().startswith("\\documentclass")


def test_parse_error_is_an_invalid_parameter_error():
    with pytest.raises(fa.InvalidParameterError):
        parse_expr("x*", GENS)
    with pytest.raises(ParseError) as e:
        parse_expr("(x", GENS)
    assert e.value.pos == 2


def test_demo_progress_bar(monkeypatch):
    """The demo's stage progress goes to stderr: tqdm when installed, else [k/n] lines."""
    import io
    import sys

    from freealg.cli import _Progress

    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: the plain fallback
    buf = io.StringIO()
    bar = _Progress(3, stream=buf)
    bar.stage("solve")
    bar.stage("sample")
    bar.close()
    assert buf.getvalue().splitlines() == ["[1/3] solve ...", "[2/3] sample ..."]
    quiet = io.StringIO()
    bar = _Progress(3, enabled=False, stream=quiet)
    bar.stage("solve")
    bar.close()
    assert quiet.getvalue() == ""
    from freealg.cli import build_parser

    assert build_parser().parse_args(["demo", "--no-progress"]).no_progress is True


def test_demo_progress_bar_with_tqdm():
    import io

    pytest.importorskip("tqdm")
    from freealg.cli import _Progress

    buf = io.StringIO()
    bar = _Progress(2, stream=buf)
    bar.stage("solve")
    bar.stage("sample")
    bar.close()
    assert "freealg demo" in buf.getvalue() and "sample" in buf.getvalue()


@pytest.mark.parametrize("argv, needle", [(["--dps", "0"], "invalid dps=0"),
                                          (["--points", "0"], "invalid points=0")])
def test_demo_bad_parameters_exit_nonzero(argv, needle, capsys, tmp_path):
    """freealg demo validates its numbers before any work (it printed a traceback)."""
    assert main(["demo", "--no-progress", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("freealg: error:") and needle in err, err
