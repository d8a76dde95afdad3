"""`freealg spectrum`: the safe parser and the command line (issue 7: malformed inputs get clear
messages and a non-zero exit status; --json is machine-readable)."""

from __future__ import annotations

import json
import math
import re
import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import freealg as fa
from freealg.api.parse import ParseError, parse_expr, parse_generator
from freealg.cli import UsageError, main

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


# --------------------------------------------------------------------------------------------
# Issue 17 (CLI): every malformed input exits 2 with one line (or a JSON error object) within
# seconds, options are validated before any computation, --mc always gives the verdict, and
# text shows digits only as far as the error.

X = ["--law", "x=semicircle"]
XY = ["--law", "x=semicircle", "--law", "y=semicircle"]

# (argv after "spectrum", text expected in the one-line message); all are refused before
# anything is compiled (checked by making compile_expr fail the test)
UP_FRONT = [
    (["x", *X, "--dps", "0"], "invalid dps=0"),
    (["x", *X, "--dps", "-3"], "invalid dps=-3"),
    (["x", *X, "--dps", "1.5"], "invalid int value: '1.5'"),
    (["x", *X, "--dps", "abc"], "invalid int value: 'abc'"),
    (["x", *X, "--dps", "1000000"], "1 <= dps <= 1000"),
    (["x", *X, "--grid", "0"], "invalid grid=0"),
    (["x", *X, "--grid", "1e3"], "invalid int value: '1e3'"),
    (["x", *X, "--grid", "1001"], "1 <= grid <= 1000"),
    (["x", *X, "--mc", "-1"], "invalid mc=-1"),
    (["x", *X, "--mc", "5"], "10 <= N <= 5000"),
    (["x", *X, "--mc", "1000000"], "10 <= N <= 5000"),
    (["x", *X, "--mc", "abc"], "invalid int value: 'abc'"),
    (["x", *X, "--seed", "-1"], "invalid seed=-1"),
    (["x", *X, "--method", "foo"], "invalid choice: 'foo'"),
    (["x", *X, "--bogus"], "unrecognized arguments: --bogus"),
    ([], "required: expr"),
    (["-x", *X], "goes after '--'"),
    (["x", *X, "--plot", "{tmp}/a.txt"], "extension must be one of .png"),
    (["x", *X, "--plot", "{tmp}/nodir/a.png"], "does not exist"),
    (["x", *X, "--plot", "{tmp}"], "extension must be one of"),
    (["x", *X, "--plot", "{tmp}/dir.png"], "is a folder"),
    (["x", *X, "--plot", "/dev/null/a.png"], "/dev/null"),
    (["x", *X, "--plot", "/proc/freealg-probe.png"], "/proc"),
    (["x", *X, "--latex", "{tmp}/a.txt"], "extension must be .tex"),
    (["x", *X, "--latex", "{tmp}/nodir/a.tex"], "does not exist"),
    (["x", *X, "--latex", "{tmp}/dir.tex"], "is a folder"),
    (["x", *X, "--latex", "/proc/freealg-probe.tex"], "/proc"),
    (["x"], "unknown name 'x'"),
    (["(" * 5000 + "x" + ")" * 5000, *X], "nested deeper than 100"),
    (["x" + "+x" * 60000, *X], "over the limit of 100000 characters"),
    (["x^1000000", *X], "exponents above 64"),
    (["x^65", *X], "exponents above 64"),
    (["x**-1", *X], "non-negative integers"),
    (["x**2.5", *X], "non-negative integers"),
    (["x**True", *X], "non-negative integers"),
    (["x^", *X], "non-negative integers"),
    (["1/0", *X], "division by zero"),
    (["", *X], "empty expression"),
    (["   ", *X], "empty expression"),
    (["x×x", *X], "unexpected character '×'"),
    (["x; import os", *X], "unexpected character ';'"),
    (["__import__('os').system('true')", *X], "unexpected character '.'"),
    (["x[0]", *X], "unexpected '['"),
    (["(x))", *X], "unexpected ')'"),
    (["x x", *X], "unexpected 'x'"),
    (["x*z", *X], "unknown name 'z'"),
    (["x*1e400", *X], "float64 range"),
    (["x*" + "9" * 5000, *X], "number longer than 100"),
    (["x", "--law", "x=semicircle("], "expected NAME=SPEC"),
    (["x", "--law", "x=semicircle(abc)"], "expected a number"),
    (["x", "--law", "x=discrete([0,1],[1/2])"], "one weight per point"),
    (["x", "--law", "x=discrete([[0]],[1])"], "expected a number"),
    (["x", "--law", "x=discrete([0,1],[1/2,1/2]"], "expected NAME=SPEC"),
    (["x", "--law", "x=bernoulli(2)"], "trace of a projection"),
    (["x", "--law", "x=semicircle(1e400)"], "float64 range"),
    (["x", "--law", "x=projection(1e-400)"], "float64 range"),
    (["x", "--law", "x=semicircle(" + "9" * 5000 + ")"], "number longer than 100"),
    (["x", "--law", "x=uniform(2,1)"], "must have b > a"),
    (["x", "--law", "1x=semicircle"], "expected NAME=SPEC"),
    (["x", "--law", "x="], "expected NAME=SPEC"),
    (["x", "--law", "x=semicircle(1,2,3,4)"], "wrong arguments for semicircle"),
    (["x", "--law", "x=gaussian"], "unknown kind 'gaussian'"),
    (["I", "--law", "I=semicircle"], "imaginary unit"),
    (["x", *X, *X], "declared twice"),
]

# refused by the compiler (fast: no solve)
AT_COMPILE = [
    (["x*y", *XY], "not self-adjoint"),
    (["I*x", *X], "not self-adjoint"),
    (["c", "--law", "c=circular"], "not self-adjoint"),
    (["u", "--law", "u=haar_unitary"], "not self-adjoint"),
    (["(x+y)^64", *XY], "over the limit of 100000 terms"),
]


def _argv(argv, tmp_path):
    (tmp_path / "dir.png").mkdir(exist_ok=True)
    (tmp_path / "dir.tex").mkdir(exist_ok=True)
    return ["spectrum", *[a.replace("{tmp}", str(tmp_path)) for a in argv]]


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if anything is compiled: the option must be refused before any computation."""
    import freealg.reduce

    def refuse(*a, **k):
        raise AssertionError("compiled before the options were validated")

    monkeypatch.setattr(freealg.reduce, "compile_expr", refuse)


@pytest.mark.parametrize("argv, needle", UP_FRONT, ids=[f"{i}:{n}" for i, (_, n) in
                                                        enumerate(UP_FRONT)])
def test_probe_refused_up_front_one_line(argv, needle, capsys, tmp_path, no_compile):
    t0 = time.perf_counter()
    assert main(_argv(argv, tmp_path)) == 2
    assert time.perf_counter() - t0 < 5
    cap = capsys.readouterr()
    assert cap.out == ""                                    # nothing printed before the error
    lines = cap.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("freealg: error: "), cap.err
    assert needle in lines[0], lines[0]
    assert "Traceback" not in cap.err


@pytest.mark.parametrize("argv, needle", AT_COMPILE, ids=[n for _, n in AT_COMPILE])
def test_probe_refused_by_the_compiler_one_line(argv, needle, capsys, tmp_path):
    t0 = time.perf_counter()
    assert main(_argv(argv, tmp_path)) == 2
    assert time.perf_counter() - t0 < 10
    cap = capsys.readouterr()
    lines = cap.err.splitlines()
    assert cap.out == "" and len(lines) == 1 and needle in lines[0], cap.err


@pytest.mark.parametrize("argv, needle", UP_FRONT + AT_COMPILE,
                         ids=[f"{i}:{n}" for i, (_, n) in enumerate(UP_FRONT + AT_COMPILE)])
def test_probe_json_error_object(argv, needle, capsys, tmp_path):
    """With --json every error is one JSON object on stdout, exit 2, nothing on stderr."""
    assert main([*_argv(argv, tmp_path), "--json"]) == 2
    cap = capsys.readouterr()
    assert cap.err == ""
    doc = json.loads(cap.out)
    assert set(doc) == {"error"}
    err = doc["error"]
    assert set(err) == {"type", "message", "position", "input"}
    assert needle in err["message"] and "\n" not in err["message"]
    assert err["position"] is None or isinstance(err["position"], int)


def test_json_error_positions(capsys):
    """The position is the offset in the text it names (the expression or the --law spec)."""
    assert main(["spectrum", "x + 2*z", *X, "--json"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert (err["type"], err["position"], err["input"]) == ("ParseError", 6, "expression")
    assert main(["spectrum", "x", "--json", "--law", "x=discrete([0, 1], [1/2, 1e999])"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    spec = "x=discrete([0, 1], [1/2, 1e999])"
    assert (err["position"], err["input"]) == (spec.index("1/2"), "law")
    assert main(["spectrum", "x*y", *XY, "--json"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["position"] is None and err["type"] == "InvalidParameterError"


@pytest.mark.parametrize("out, needle", [("/dev/null/x", "is not a folder"),
                                         ("{file}", "exists and is not a folder"),
                                         ("/proc/freealg-probe", "/proc")])
def test_demo_bad_out_refused_before_the_demo_runs(out, needle, capsys, tmp_path, monkeypatch):
    import freealg.cli as cli

    f = tmp_path / "a file"
    f.write_text("")
    monkeypatch.setattr(cli, "_demo_stages", lambda *a: (_ for _ in ()).throw(
        AssertionError("the demo ran before --out was checked")))
    assert main(["demo", "--no-progress", "--out", out.replace("{file}", str(f))]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.splitlines()) == 1 and needle in cap.err, cap.err


def test_parser_nesting_and_signs_without_recursion_error():
    x = GENS["x"]
    deep = "(" * 5000 + "x" + ")" * 5000
    with pytest.raises(ParseError, match="nested deeper than 100"):
        parse_expr(deep, GENS)
    assert parse_expr("(" * 100 + "x" + ")" * 100, GENS) == x          # the limit itself
    assert parse_expr("-" * 5001 + "x", GENS) == -x                    # a loop, not recursion
    assert parse_expr("+-" * 3000 + "x", GENS) == x
    with pytest.raises(fa.errors.SizeLimitError):
        parse_expr("x" + "+x" * 60000, GENS)


def test_usage_error_is_a_freealg_error():
    from freealg.cli import build_parser

    with pytest.raises(UsageError, match="invalid int value"):
        build_parser().parse_args(["spectrum", "x", "--grid", "2.5"])
    assert issubclass(UsageError, fa.FreeAlgError)


def test_internal_error_is_one_line_exit_1(capsys, monkeypatch):
    """A bug (an unexpected exception) is one line with exit 1, not a traceback; memory
    exhaustion is a clean error with exit 2."""
    import freealg.reduce

    monkeypatch.setattr(freealg.reduce, "compile_expr",
                        lambda *a, **k: (_ for _ in ()).throw(TypeError("boom")))
    assert main(["spectrum", "x", *X]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (TypeError: boom)" in err
    monkeypatch.setattr(freealg.reduce, "compile_expr",
                        lambda *a, **k: (_ for _ in ()).throw(MemoryError()))
    assert main(["spectrum", "x", *X, "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "MemoryError"


def test_json_with_latex_on_stdout_is_valid_json(capsys):
    assert main(["spectrum", "x + y", *XY, "--json", "--latex", "--grid", "1",
                 "--dps", "15"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["latex"].startswith("\\begin{aligned}")


def _plus_minus(text):
    v, e = text.split(" ± ")
    return v, mpmath.mpf(e)


def test_text_digits_stop_at_the_error(capsys):
    """x + y is the semicircle of variance 2: edges +-2 sqrt 2, density sqrt(8 - x^2)/(4 pi)
    (Voiculescu 1986). Every shown value lies within its shown error of the closed form, and
    no more than one guard digit follows the error's leading digit."""
    assert main(["spectrum", "x + y", *XY, "--grid", "3", "--dps", "20"]) == 0
    out = capsys.readouterr().out
    shown = []
    edges = re.search(r"^edges +: (.*)$", out, re.M).group(1)
    for part, sign in zip(edges.split(", "), (-1, 1)):
        v, e = _plus_minus(part.rsplit(" (", 1)[0])
        with mpmath.workdps(40):
            shown.append((v, e, sign * mpmath.sqrt(8)))
    for line in re.findall(r"^density +: (.*)$", out, re.M):
        x, rest = line.split(None, 1)
        v, e = _plus_minus(rest)
        with mpmath.workdps(40):
            ref = mpmath.sqrt(8 - mpmath.mpf(x) ** 2) / (4 * mpmath.pi)
        shown.append((v, e, ref))
    assert len(shown) == 5
    with mpmath.workdps(40):
        for v, e, ref in shown:
            assert abs(mpmath.mpf(v) - ref) <= e, (v, e, ref)
            decimals = len(v.split(".")[1]) if "." in v else 0
            assert decimals <= math.ceil(-math.log10(float(e))) + 1, (v, e)
            assert e < mpmath.mpf(10) ** -17          # and the error is small (dps = 20)


def test_json_full_digits_and_errors(capsys):
    """--json keeps all --dps digits with the error: Wachter law (Wachter 1980), edges
    1/2 -+ sqrt(2)/3, atom 2/3 at 0."""
    assert main(["spectrum", "p*q*p", "--law", "p=projection(1/2)", "--law",
                 "q=projection(1/3)", "--json", "--grid", "2", "--dps", "25"]) == 0
    doc = json.loads(capsys.readouterr().out)
    exact = [sp.Rational(1, 2) - sp.sqrt(2) / 3, sp.Rational(1, 2) + sp.sqrt(2) / 3]
    for e, ref in zip(doc["edges"], exact):
        assert len(e["digits"].replace("0.", "", 1).lstrip("0")) >= 24
        assert abs(sp.Float(e["digits"], 30) - ref) <= max(e["error"], 1e-25)
    assert doc["atoms"][0]["exact"] == "2/3" and doc["atoms"][0]["error"] == 0.0
    d = doc["density"]
    assert len(d["x"]) == len(d["digits"]) == len(d["error"]) == 2
    assert all(err is not None and 0 < err < 1e-20 for err in d["error"])
    for x, digits in zip(d["x"], d["digits"]):
        # Wachter density of pqp in A: the atom 2/3 at 0 plus (1/3) of the compressed law;
        # by the free compression (Nica-Speicher) the band density is
        # sqrt((x - a)(b - x)) / (2 pi x (1 - x)) with a, b the edges above
        a, b = (float(v) for v in exact)
        ref = math.sqrt((x - a) * (b - x)) / (2 * math.pi * x * (1 - x))
        assert float(digits) == pytest.approx(ref, rel=1e-12)


def test_mc_prints_the_verdict_without_plot(capsys):
    """--mc N always compares: KS and W1 against the closed-form semicircle CDF
    F(x) = 1/2 + x sqrt(4 - x^2)/(4 pi) + arcsin(x/2)/pi, recomputed here from the same GOE
    sample, with the N-derived KS threshold 3 (1 + ln N)/N (eigenvalue rigidity)."""
    n = 200
    assert main(["spectrum", "x", *X, "--mc", str(n), "--grid", "1", "--dps", "15"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^monte carlo: AGREES \(N = 200, seed 0\): KS = .* \(threshold 0\.0945\)",
                     text, re.M), text
    assert main(["spectrum", "x", *X, "--mc", str(n), "--json", "--grid", "1"]) == 0
    mc = json.loads(capsys.readouterr().out)["monte_carlo"]
    assert mc["ks_threshold"] == pytest.approx(3 * (1 + math.log(n)) / n, rel=1e-12)
    ev = np.sort(np.asarray(fa.sample(GENS["x"], n=n, seed=0), dtype=float))

    def F(t):
        t = np.clip(t, -2, 2)
        return 0.5 + t * np.sqrt(4 - t * t) / (4 * np.pi) + np.arcsin(t / 2) / np.pi

    Fe = F(ev)
    ks = max(np.max(np.arange(1, n + 1) / n - Fe), np.max(Fe - np.arange(n) / n))
    assert mc["ks"] == pytest.approx(ks, abs=1e-6)
    grid = np.linspace(min(-2, ev[0]), max(2, ev[-1]), 400001)
    mids = (grid[1:] + grid[:-1]) / 2
    w1 = np.sum(np.abs(np.searchsorted(ev, mids, side="right") / n - F(mids)) * np.diff(grid))
    assert mc["w1"] == pytest.approx(w1, rel=1e-3)
    assert mc["agrees"] is (ks <= mc["ks_threshold"] and not mc["failures"])


def test_plot_with_mc_writes_the_figure_and_the_verdict(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "d.png"
    assert main(["spectrum", "x", *X, "--plot", str(png), "--mc", "100", "--grid", "1",
                 "--dps", "15"]) == 0
    out = capsys.readouterr().out
    assert "monte carlo: AGREES (N = 100" in out and f"wrote      : {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failed_high_precision_density_is_reported_not_hidden(capsys, monkeypatch):
    """When the dps solve fails at a point, the float64 value is shown with six digits and
    'error not estimated' (text), digits/error null (JSON); never NaN in JSON."""
    from freealg.numeric.solution import SpectralSolution

    real = SpectralSolution.density

    def density(self, x, dps=None, method=None):
        if np.ndim(x) == 0:
            raise fa.NoConvergence("density probe", dps=dps, steps=1, residual=1.0)
        return real(self, x, dps=dps, method=method)

    monkeypatch.setattr(SpectralSolution, "density", density)
    assert main(["spectrum", "x", *X, "--grid", "1", "--dps", "15"]) == 0
    line = re.search(r"^density +: (.*)$", capsys.readouterr().out, re.M).group(1)
    # semicircle density at 0 is 1/pi = 0.318309886...
    assert line.split()[:2] == ["0", "0.31831"] and "error not estimated" in line
    assert main(["spectrum", "x", *X, "--grid", "1", "--dps", "15", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)["density"]
    assert d["digits"] == [None] and d["error"] == [None]
    assert d["y"][0] == pytest.approx(1 / math.pi, rel=1e-12)


def test_json_never_writes_nan():
    from freealg.cli import _finite

    doc = _finite({"a": [1.0, float("nan")], "b": {"c": float("inf")}, "d": "nan"})
    assert json.dumps(doc, allow_nan=False) == '{"a": [1.0, null], "b": {"c": null}, "d": "nan"}'


def test_long_sum_parses_in_linear_time():
    """A 100000-character sum of distinct words (the text limit) parses in well under a
    second per 10^4 terms (it was quadratic: 8 s for 20000 characters)."""
    import itertools

    words = ["*".join(w) for k in range(1, 14) for w in itertools.product("xy", repeat=k)]
    text, used = "", 0
    for w in words:
        if len(text) + len(w) + 1 > 100_000:
            break
        text, used = text + ("+" if text else "") + w, used + 1
    t0 = time.perf_counter()
    poly = parse_expr(text, GENS)
    assert time.perf_counter() - t0 < 10
    assert len(poly.terms) == used and all(c == 1 for _, c in poly.terms)
    x, y = GENS["x"], GENS["y"]
    assert parse_expr("x - y*x + 2 - x + 1/2", GENS) == -y * x + sp.Rational(5, 2)
    from freealg.algebra import NCPoly

    assert parse_expr("1 + 2 - 1/2", GENS) == NCPoly.constant(sp.Rational(5, 2))


def test_no_command_help_and_other_commands(capsys):
    assert main([]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1 and "choose a command" in cap.err
    assert main(["--help"]) == 0 and "usage: freealg" in capsys.readouterr().out
    assert main(["demo", "--json"]) == 2              # --json belongs to spectrum only
    cap = capsys.readouterr()
    assert cap.out == "" and "unrecognized arguments: --json" in cap.err
