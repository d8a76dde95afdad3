"""fa.nn.sweep (serial and dask back ends) and fa.nn.phase_diagram."""

import sys

import mpmath
import numpy as np
import pytest

import freealg as fa
from freealg.deps import have
from freealg.errors import InvalidParameterError, OptionalDependencyError
from freealg.nn import PhaseDiagram, SweepResult, phase_diagram, sweep

HAVE_DASK = have("dask") and have("distributed")


def _noisy(a, b, seed):
    """A deterministic function of its point (its own random stream): the dask run must match
    the serial one bit for bit."""
    rng = np.random.default_rng(seed)
    return a * float(rng.standard_normal(4) @ rng.standard_normal(4)) + b


GRID = {"a": [0.5, 1.0, 2.0], "b": [0, 1], "seed": [1, 2]}


def test_serial_values_are_aligned_with_the_grid():
    res = sweep(lambda a, b: 10 * a + b, {"a": [1, 2, 3], "b": (4, 5)}, progress=False)
    assert isinstance(res, SweepResult)
    assert res.names == ("a", "b") and res.shape == (3, 2)
    # exact integers: values[i, j] = 10 a_i + b_j
    assert np.array_equal(res.values, np.array([[14, 15], [24, 25], [34, 35]]))
    recs = res.to_records()
    assert len(recs) == 6
    for rec in recs:
        assert rec["value"] == 10 * rec["a"] + rec["b"]
    assert recs[1] == {"a": 1, "b": 5, "value": 15}


def test_array_and_object_values():
    res = sweep(lambda n: np.arange(3) * n, {"n": np.array([1, 2])}, progress=False)
    assert res.values.shape == (2, 3)
    assert np.array_equal(res.values[1], [0, 2, 4])
    res = sweep(lambda n: {"n": n}, {"n": [1, 2]}, progress=False)
    assert res.values.dtype == object and res.values[1] == {"n": 2}


def test_progress_reports_each_point(capsys):
    sweep(lambda x: x, {"x": [1, 2, 3]}, progress=True)
    assert "freealg.nn.sweep" in capsys.readouterr().err


@pytest.mark.parametrize("grid", [{}, {"a": []}, {"a": 3}, {"a": "abc"}, [1, 2], {1: [1]}])
def test_bad_grid(grid):
    with pytest.raises(InvalidParameterError, match="grid"):
        sweep(lambda a: a, grid)


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="backend"):
        sweep(lambda a: a, {"a": [1]}, backend="spark")
    with pytest.raises(InvalidParameterError, match="fn"):
        sweep(3, {"a": [1]})
    with pytest.raises(InvalidParameterError, match="client"):
        sweep(lambda a: a, {"a": [1]}, client="tcp://127.0.0.1:8786")
    with pytest.raises(InvalidParameterError, match="progress"):
        sweep(lambda a: a, {"a": [1]}, progress="yes")


def test_dask_missing_names_the_extra(monkeypatch):
    # simulate an install without the dask extra: importing dask / distributed fails
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(OptionalDependencyError, match=r"pip install -e \"\.\[dask\]\""):
        sweep(lambda a: a, {"a": [1]}, backend="dask")


def test_fn_errors_propagate():
    def bad(a):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        sweep(bad, {"a": [1]})


@pytest.mark.skipif(not HAVE_DASK, reason="dask.distributed (the dask extra) is not installed")
def test_dask_equals_serial():
    distributed = pytest.importorskip("distributed")
    serial = sweep(_noisy, GRID, progress=False)
    # the default: a local in-process cluster made (and closed) by the sweep
    local = sweep(_noisy, GRID, backend="dask", progress=False)
    assert np.array_equal(local.values, serial.values)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        # a scheduler address, as for a real cluster
        byaddr = sweep(_noisy, GRID, backend="dask", client=cluster.scheduler_address,
                       progress=False)
        with distributed.Client(cluster) as client:
            byclient = sweep(_noisy, GRID, backend="dask", client=client, progress=True)
            assert client.status == "running"          # a client we gave stays open
    assert np.array_equal(byaddr.values, serial.values)
    assert np.array_equal(byclient.values, serial.values)
    with pytest.raises(InvalidParameterError, match="client"):
        sweep(_noisy, GRID, backend="dask", client=42)


# --------------------------------------------------------------------------------------------
# phase diagram: chi = sigma_w^2 E[phi'(h)^2], h ~ N(0, q*), q* = sigma_w^2 E[phi(h)^2] + sigma_b^2
# (Poole et al. 2016; Schoenholz et al. 2017). The reference below is independent of freealg:
# mpmath.quad over the normal density and mpmath.findroot.

def _gauss(f, q):
    s = mpmath.sqrt(q)
    return mpmath.quad(lambda z: f(s * z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])


def _tanh_critical(sigma_b):
    """(sigma_w, q*) solving q = sw^2 E[tanh^2] + sb^2 and sw^2 E[sech^4] = 1 (chi = 1)."""
    def F(sw, q):
        return (sw**2 * _gauss(lambda h: mpmath.tanh(h)**2, q) + sigma_b**2 - q,
                sw**2 * _gauss(lambda h: mpmath.sech(h)**4, q) - 1)

    return mpmath.findroot(F, (mpmath.mpf("1.2"), mpmath.mpf("0.3")))


def _tanh_chi(sw, sb):
    # q* is the unique fixed point for sigma_b > 0, in [sb^2, sw^2 + sb^2] since tanh^2 < 1
    q = mpmath.findroot(lambda q: sw**2 * _gauss(lambda h: mpmath.tanh(h)**2, q) + sb**2 - q,
                        (sb**2, sw**2 + sb**2), solver="anderson")
    return sw**2 * _gauss(lambda h: mpmath.sech(h)**4, q)


def test_phase_diagram_critical_line_is_chi_1():
    sb = [0.0, 0.3]
    sw = [0.8, 1.5, 2.5]
    pd = phase_diagram("tanh", sw, sb, progress=False)
    assert isinstance(pd, PhaseDiagram) and pd.values.shape == (3, 2)
    assert pd.critical[0] == 1.0                 # tanh at sigma_b = 0: exactly 1 (Poole 2016)
    with mpmath.workdps(20):
        for j, b in enumerate(sb[1:], 1):
            sw_c, _ = _tanh_critical(mpmath.mpf(b))
            assert abs(pd.critical[j] - float(sw_c)) < 1e-9
        # chi itself at two grid points, one on each side of the line
        for i, j in ((0, 1), (2, 1)):
            ref = _tanh_chi(mpmath.mpf(sw[i]), mpmath.mpf(sb[j]))
            assert abs(pd.values[i, j] - float(ref)) < 1e-9 * float(ref)
    # the line separates chi < 1 (below) from chi > 1 (above) in every column
    for j in range(2):
        below = np.asarray(sw) < pd.critical[j]
        assert np.all((pd.values[:, j] < 1) == below)


def test_phase_diagram_erf_and_errors():
    pd = phase_diagram("erf", [1.0], [0.0], progress=False)
    # erf at sigma_b = 0: phi'(0) = 2/sqrt(pi), so chi -> sigma_w^2 4/pi and sigma_w_c = sqrt(pi)/2
    assert abs(pd.critical[0] - float(mpmath.sqrt(mpmath.pi) / 2)) < 1e-15
    with pytest.raises(InvalidParameterError, match="quantity"):
        phase_diagram("tanh", [1.0], [0.0], quantity="lyapunov")
    with pytest.raises(InvalidParameterError, match="depth"):
        phase_diagram("tanh", [1.0], [0.0], quantity="max_singular_value")
    with pytest.raises(InvalidParameterError, match="sigma_w"):
        phase_diagram("tanh", [], [0.0])


def test_phase_diagram_singular_value_relu():
    # ReLU, one orthogonal layer: J = D W with D = diag(1[h > 0]) half ones, W W^T = sigma_w^2,
    # so J J^T = sigma_w^2 D has law sigma_w^2 Bernoulli(1/2): s_max = sigma_w (any sigma_b)
    pd = phase_diagram("relu", [1.0, 2.0], [0.0], quantity="max_singular_value", depth=1,
                       progress=False)
    assert np.allclose(pd.values[:, 0], [1.0, 2.0], rtol=1e-12)


def test_phase_diagram_plot():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    pd = phase_diagram("tanh", [0.8, 1.2, 1.6], [0.0, 0.2], progress=False)
    ax = pd.plot()
    assert ax.get_xlabel() == "sigma_b"
    assert fa.nn.phase_diagram is phase_diagram


@pytest.mark.skipif(not HAVE_DASK, reason="dask.distributed (the dask extra) is not installed")
def test_phase_diagram_dask_equals_serial():
    sw, sb = [0.8, 1.2, 1.6], [0.0, 0.2]
    serial = phase_diagram("relu", sw, sb, progress=False)
    dask = phase_diagram("relu", sw, sb, backend="dask", progress=False)
    assert np.array_equal(dask.values, serial.values)
    # ReLU: chi = sigma_w^2 / 2 at any sigma_b (E[1(h > 0)] = 1/2)
    assert np.allclose(serial.values, np.square(sw)[:, None] / 2 * np.ones(2), rtol=1e-14)
