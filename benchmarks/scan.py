"""Parallel scans against the sequential loop, for every cell whose states all have a scan form.

Run: python benchmarks/scan.py [--cells mingru qrnn] [--steps 256 1024 4096] [--repeat 3]
B = 8, n = 256, m = 256, float32. Prints, per cell and T, the time of the sequential and the parallel path and
their ratio (sequential / parallel: above 1 the scan wins), for
  numpy  the exported module's forward (the backward is the derived sequential one, shared by both paths);
  torch  the generated layer with backward="derived", forward + backward;
  jax    jax.jit(jax.grad) of scan: lax.scan against lax.associative_scan, forward + backward.
All figures come from one run on this machine; the ratios divide figures of the same run."""

from __future__ import annotations

import argparse
import inspect
import statistics
import time
import warnings

import numpy as np

import lstmsym
from lstmsym.derive.derived import derived
from lstmsym.derive.scan import ScanForm
from lstmsym.model.loading import load_cell
from lstmsym.render.exports import TARGETS
from lstmsym.verify.loader import load_source, numpy_module
from lstmsym.verify.sampling import random_params

warnings.filterwarnings("ignore")
B, N, M = 8, 256, 256


def median_time(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def numpy_row(d, steps: int, repeat: int) -> tuple[float, float]:
    module = numpy_module(d)
    rng = np.random.default_rng(0)
    sizes = {s: N if s == "n" else M for s in d.cell.sizes}
    params = {k: np.asarray(v, np.float32) for k, v in random_params(d.cell, sizes, rng).items()}
    xs = rng.normal(size=(steps, B, M)).astype(np.float32)
    return (median_time(lambda: module.forward(params, xs), repeat),
            median_time(lambda: module.forward(params, xs, parallel=True), repeat))


def torch_row(d, steps: int, repeat: int) -> tuple[float, float]:
    import torch

    module = load_source(TARGETS["torch"](d))
    layer = next(getattr(module, k) for k in dir(module) if isinstance(getattr(module, k), type)
                 and issubclass(getattr(module, k), torch.nn.Module)
                 and "num_layers" in inspect.signature(getattr(module, k).__init__).parameters)
    seq, par = layer(M, N, backward="derived"), layer(M, N, backward="derived", parallel=True)
    par.load_state_dict(seq.state_dict())
    x = torch.randn(steps, B, M)

    def run(net):
        def go():
            net.zero_grad(set_to_none=True)
            out, _ = net(x.clone().requires_grad_(True))
            out.sum().backward()
        return go
    return median_time(run(seq), repeat), median_time(run(par), repeat)


def jax_row(d, steps: int, repeat: int) -> tuple[float, float]:
    import jax
    import jax.numpy as jnp

    module = load_source(TARGETS["jax"](d))
    sizes = {s: N if s == "n" else M for s in d.cell.sizes}
    params = module.init(jax.random.key(0), sizes)
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(steps, B, M)).astype(np.float32))
    state = {s.name: jnp.zeros((B,) + tuple(sizes[x] for x in s.shape), jnp.float32) for s in d.cell.states}

    def grad(parallel):
        fn = jax.jit(jax.grad(lambda p: jnp.sum(module.scan(p, xs, state, None, parallel)[0])))
        return lambda: jax.block_until_ready(fn(params))
    return median_time(grad(False), repeat), median_time(grad(True), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parallel = [n for n in lstmsym.builtin_names() if ScanForm(derived(load_cell(n))).parallel]
    parser.add_argument("--cells", nargs="*", default=parallel)
    parser.add_argument("--steps", nargs="*", type=int, default=[256, 1024, 4096])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"B={B} n={N} m={M} float32; cells with a parallel form: {', '.join(parallel)}")
    print(f"{'cell':12s} {'T':>5s} {'backend':8s} {'sequential ms':>14s} {'parallel ms':>12s} {'ratio':>7s}")
    for name in args.cells:
        d = derived(load_cell(name))
        for steps in args.steps:
            for backend, row in (("numpy", numpy_row), ("torch", torch_row), ("jax", jax_row)):
                try:
                    seq, par = row(d, steps, args.repeat)
                except ImportError:
                    continue
                print(f"{name:12s} {steps:5d} {backend:8s} {seq * 1e3:14.1f} {par * 1e3:12.1f} {seq / par:7.1f}", flush=True)


if __name__ == "__main__":
    main()
