"""Exported NumPy forward+backward against PyTorch CPU autograd (nn.LSTM, nn.GRU), float32.

Run: python benchmarks/numpy_vs_torch.py [--steps 100 --batch 32 --input 128 --hidden 256 --repeat 5]
Prints the median time of each and the ratio NumPy / PyTorch (goal: <= 1.0), against PyTorch's default
CPU path (which runs nn.LSTM/nn.GRU through oneDNN's fused RNN kernels when it can) and with oneDNN off
(PyTorch's own per-step implementation)."""

from __future__ import annotations

import argparse
import statistics
import time

import warnings

import numpy as np
import torch

import lstmsym
from lstmsym.interop import to_torch
from lstmsym.verify.loader import numpy_module
from lstmsym.verify.sampling import random_params

warnings.filterwarnings("ignore", message="TF32 acceleration")
PAIRS = [("lstm", torch.nn.LSTM), ("gru_reset_after", torch.nn.GRU)]


def interleaved(first, second, repeat: int, block: int = 3, pause: float = 0.3) -> tuple[float, float]:
    """Median times of two functions, measured in alternating blocks so that drift in machine speed hits
    both alike, with a pause before each block so that neither library's idle worker threads (OpenBLAS,
    OpenMP spin before sleeping) compete with the other's."""
    a, b = [], []
    for _ in range(max(1, repeat // block)):
        for fn, times in ((first, a), (second, b)):
            time.sleep(pause)
            fn()  # warm-up after the pause
            for _ in range(block):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--input", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"T={args.steps} B={args.batch} m={args.input} n={args.hidden} float32, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, numpy {np.__version__}")
    print(f"{'cell':16s} {'numpy (ms)':>11s} {'torch (ms)':>11s} {'ratio':>7s}   {'torch, oneDNN off (ms)':>22s} {'ratio':>7s}")
    rng = np.random.default_rng(0)
    for name, module_class in PAIRS:
        cell = lstmsym.cell(name)
        module = numpy_module(cell)
        params = {k: v.astype(np.float32) for k, v in random_params(cell, {"m": args.input, "n": args.hidden}, rng).items()}
        xs = rng.normal(size=(args.steps, args.batch, args.input)).astype(np.float32)
        dys = rng.normal(size=(args.steps, args.batch, args.hidden)).astype(np.float32)

        def run_numpy():
            _, _, cache = module.forward(params, xs)
            module.backward(params, cache, dys)

        net = module_class(args.input, args.hidden)
        with torch.no_grad():
            for key, value in to_torch(cell, params).items():
                getattr(net, key).copy_(value)
        x_t, dy_t = torch.from_numpy(xs).requires_grad_(True), torch.from_numpy(dys)

        def run_torch():
            net.zero_grad(set_to_none=True)
            out, _ = net(x_t)
            out.backward(dy_t)

        t_np, t_torch = interleaved(run_numpy, run_torch, args.repeat)
        with torch.backends.mkldnn.flags(enabled=False):
            t_np2, t_plain = interleaved(run_numpy, run_torch, args.repeat)
        print(f"{name:16s} {t_np * 1e3:11.1f} {t_torch * 1e3:11.1f} {t_np / t_torch:7.2f}   "
              f"{t_plain * 1e3:22.1f} {t_np2 / t_plain:7.2f}")


if __name__ == "__main__":
    main()
