"""Optional back ends of :func:`~freealg.montecarlo.sample`: torch (GPU) and dask.distributed.

* ``torch``: the same models, generated and multiplied on a torch device (CUDA when available,
  else CPU) in float64/complex128; eigenvalues by ``torch.linalg.eigvalsh``. Each trial seeds a
  ``torch.Generator`` from its numpy ``SeedSequence`` (reproducible on one device; the numbers
  differ from numpy's). Diagonal laws (quantiles, activations) are drawn with numpy and moved.
* ``dask``: trials are independent tasks (numpy back end) on a ``dask.distributed`` client;
  the result equals the serial numpy result exactly (same seeds).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..deps import blas_threads, require
from .evaluate import evaluate, spectrum_of
from .samplers import realise

__all__ = ["TorchOps", "torch_trials", "dask_trials"]


class TorchOps:
    """The sampler's array operations on torch (see :class:`.samplers.NumpyOps`)."""

    name = "torch"

    def __init__(self, torch: Any, device: str, seedseq: np.random.SeedSequence):
        self.torch = torch
        self.device = device
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(int(seedseq.generate_state(1, dtype=np.uint64)[0] >> 1))

    def normal(self, shape, complex_):
        t = self.torch
        if complex_:
            g = t.randn(shape + (2,), generator=self.gen, device=self.device, dtype=t.float64)
            return t.complex(g[..., 0], g[..., 1]) / np.sqrt(2.0)
        return t.randn(shape, generator=self.gen, device=self.device, dtype=t.float64)

    def asarray(self, a):
        t = self.torch
        if isinstance(a, t.Tensor):
            return a
        return t.as_tensor(np.asarray(a, dtype=float), device=self.device)

    def to_numpy(self, a):
        if isinstance(a, self.torch.Tensor):
            return a.detach().cpu().numpy()
        return np.asarray(a)

    def haar(self, n, k, complex_):
        t = self.torch
        q, r = t.linalg.qr(self.normal((n, k), complex_))
        d = t.diagonal(r)
        ph = d / d.abs() if complex_ else t.sign(d)
        ph = t.where(ph == 0, t.ones_like(ph), ph)
        return q * ph[None, :]

    @staticmethod
    def adjoint(a):
        return a.conj().transpose(-2, -1)

    @staticmethod
    def matmul(a, b):
        if a.dtype != b.dtype:
            if a.is_complex():
                b = b.to(a.dtype)
            else:
                a = a.to(b.dtype)
        return a @ b

    def eigvalsh(self, a):
        return self.torch.linalg.eigvalsh(a)

    def svdvals(self, a):
        return self.torch.linalg.svdvals(a)

    def zeros(self, n, complex_):
        t = self.torch
        return t.zeros((n, n), dtype=t.complex128 if complex_ else t.float64, device=self.device)

    def add_diag(self, m, v):
        v = self.asarray(v).to(m.dtype)
        return m + self.torch.diag(v)


def torch_device(torch: Any, device: str | None) -> str:
    if device is not None:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def torch_trials(expr, n, children, complex_, selfadjoint, device, bar) -> list:
    torch = require("torch", "backend", "torch")
    dev = torch_device(torch, device)
    rows = []
    for ch in children:
        rng = np.random.default_rng(ch)
        ops = TorchOps(torch, dev, ch)
        real = realise(expr.generators, n, rng, complex_, ops)
        real.diag = {g: ops.asarray(v) for g, v in real.diag.items()}
        kind, m = evaluate(expr, real, ops)
        if kind == "diag":
            m = ops.to_numpy(m)
        rows.append(spectrum_of(kind, m, selfadjoint, ops))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return rows


def _threaded(one_trial, threads, *args):
    with blas_threads(threads):
        return one_trial(*args)


def dask_trials(one_trial, expr, n, children, complex_, selfadjoint, client, threads=None) -> list:
    require("dask", "backend", "dask")
    distributed = require("distributed", "backend", "dask")
    own = client is None
    if own:
        cluster = distributed.LocalCluster(processes=True, threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        futures = [client.submit(_threaded, one_trial, threads, expr, n, ch, complex_,
                                 selfadjoint, pure=False) for ch in children]
        return client.gather(futures)
    finally:
        if own:
            client.close()
            cluster.close()
