"""lstmsym's generated layers on a GPU, against cuDNN, torch.compile, JAX and FlashRNN, in one run.

Run on the GPU machine (CUDA, PyTorch, optionally JAX and flashrnn):
    python benchmarks/gpu.py                       # every cell and size below, about 4 minutes
    python benchmarks/gpu.py --cells lstm --sizes small --no-compile
    python benchmarks/gpu.py --check               # on a CPU: builds every contender, runs each once, times nothing
                                                   # (the fused kernels under TRITON_INTERPRET=1, at T = 4)

Forward plus backward of a loss on every output, float32, T = 100, at B = 32 / n = 256 ("small") and
B = 256 / n = 1024 ("large"), input size = n, and FlashRNN's configuration, 4 heads x 64 at B = 32 ("heads": an
LSTM with block-diagonal recurrent matrices, and xlstm_slstm). Every figure is a median of interleaved, CUDA-synchronised runs of
this one run; every ratio divides two figures of the same run. Contenders, where they apply:
  cudnn      torch.nn.LSTM / GRU / RNN (the cells `lstmsym equiv` proves equal to them)
  eager      the exported PyTorch layer's generated loop (kernel="derived"), autograd backward
  derived    the exported PyTorch layer, lstmsym's derived BPTT backward
  torch      the exported PyTorch layer with kernel="torch": torch's fused kernel through the [pytorch] mapping
  compiled   the eager layer under torch.compile (compile time reported apart; --no-compile skips it)
  jax        the exported JAX scan under jax.jit (value_and_grad)
  flashrnn   FlashRNN's triton_fused kernel (LSTM, GRU, sLSTM; heads of 64), when `flashrnn` is installed
  fused      the generated Triton kernels (`lstmsym export CELL --to triton`, layer Fused<Cell>), for FUSED cells,
             when triton is installed; a size past MAX_UNITS units per head is reported as a fallback, not timed"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import statistics
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
T = 100
SIZES = {"small": (32, 256), "large": (256, 1024)}
CELLS = ("lstm", "gru_reset_after", "slstm", "mingru", "xlstm_mlstm", "lru")
FUSED = ("lstm", "gru_reset_after", "slstm", "mingru", "lstm_heads", "xlstm_slstm")
#: FlashRNN's configuration: B = 32, n = 256 as 4 heads of 64 (block-diagonal recurrent matrices).
HEADS = {"batch": 32, "n": 256, "k": 4, "cells": ("lstm_heads", "xlstm_slstm")}
FLASH_OF = {"lstm_heads": "lstm", "xlstm_slstm": "slstm"}
#: The LSTM with FlashRNN's heads: lstm.toml's equations with U_* block-diagonal (k blocks).
LSTM_HEADS = """name = "lstm_heads"
title = "LSTM with block-diagonal recurrent matrices (FlashRNN's heads)"
family = "lstm"
outputs = ["h"]

[sizes]
m = "input size"
n = "hidden size"
k = { role = "heads", divides = "n", verify = 2 }

[input]
x = "m"

[state.h]
size = "n"
previous = "h_prev"

[state.c]
size = "n"
previous = "c_prev"

[parameters]
""" + "".join(f'W_{g} = {{ role = "input weights" }}\nU_{g} = {{ blocks = "k" }}\nb_{g} = {{ role = "bias" }}\n' for g in "ifgo") + """
[equations]
i = "sigmoid(W_i @ x + U_i @ h_prev + b_i)"
f = "sigmoid(W_f @ x + U_f @ h_prev + b_f)"
g = "tanh(W_g @ x + U_g @ h_prev + b_g)"
o = "sigmoid(W_o @ x + U_o @ h_prev + b_o)"
c = "f * c_prev + i * g"
h = "o * tanh(c)"
"""
TORCH_NN = {"lstm": "LSTM", "gru_reset_after": "GRU", "rnn": "RNN"}
FLASHRNN = {"lstm": "lstm", "gru_reset_after": "gru", "slstm": "slstm", "rnn": "elman"}


def synced(torch, fn):
    def run():
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
    return run


def timed(functions: dict, repeat: int) -> dict[str, float]:
    """Median milliseconds of each function, in alternating rounds after one warm-up call each."""
    for fn in functions.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in functions}
    for _ in range(repeat):
        for key, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[key].append(1000 * (time.perf_counter() - start))
    return {k: statistics.median(v) for k, v in times.items()}


def torch_contenders(torch, name: str, batch: int, n: int, device: str, compile_: bool) -> dict:
    import lstmsym
    from lstmsym.verify.loader import load_source

    cell = lstmsym.cell(name)
    module = load_source(cell.export("torch"))
    layer_class = next(v for k, v in vars(module).items() if k + "Cell" in vars(module) and isinstance(v, type))
    xs = torch.randn(T, batch, n, device=device, requires_grad=True)
    side = {i.name: torch.rand((T, batch) + tuple(n for _ in i.shape), device=device) + 0.1 for i in cell.model.side_inputs}
    out: dict = {}

    def step(layer):
        def run():
            ys, _ = layer(xs, inputs=side or None) if side else layer(xs)
            ys.float().sum().backward()
        return run

    for mode in ("autograd", "derived"):
        layer = layer_class(n, n, backward=mode, kernel="derived").to(device)
        out["eager" if mode == "autograd" else "derived"] = synced(torch, step(layer))
    if module.FUSED:
        out["torch"] = synced(torch, step(layer_class(n, n, kernel="torch").to(device)))
    if compile_:
        layer = torch.compile(layer_class(n, n, kernel="derived").to(device))
        started = time.perf_counter()
        step(layer)()
        out["compiled"] = synced(torch, step(layer))
        out["_compile_seconds"] = time.perf_counter() - started
    if name in TORCH_NN:
        reference = getattr(torch.nn, TORCH_NN[name])(n, n).to(device)
        out["cudnn"] = synced(torch, lambda: reference(xs)[0].sum().backward())
    return out


def spec_of(name: str):
    import lstmsym

    return lstmsym.cell(LSTM_HEADS if name == "lstm_heads" else name)


def fused_contender(torch, name: str, batch: int, n: int, device: str, heads: int | None, steps: int):
    """The generated Triton layer, or the reason it falls back at this size (then it is not timed)."""
    from lstmsym.verify.loader import load_source

    cell = spec_of(name)
    module = load_source(cell.export("triton"))
    extra = {module.HEADS: heads} if module.HEADS else {}
    layer = module.LAYER(n, n, **extra).to(device)
    xs = torch.randn(steps, batch, n, device=device, requires_grad=True)
    reason = module.fused_refusal(layer.layers[0].sizes, xs)
    if reason is not None:
        return reason

    def run():
        ys, _ = layer(xs)
        ys.sum().backward()
    return synced(torch, run)


def jax_contender(name: str, batch: int, n: int):
    import jax
    import jax.numpy as jnp

    import lstmsym
    from lstmsym.verify.loader import load_source

    cell = lstmsym.cell(name)
    module = load_source(cell.export("jax"))
    params = module.init(jax.random.PRNGKey(0), {s: n for s in cell.model.sizes} | {"k": 4})
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(T, batch, n)), jnp.float32)
    side = {i.name: jnp.ones((T, batch) + tuple(n for _ in i.shape), jnp.float32) for i in cell.model.side_inputs} or None
    loss = jax.jit(jax.value_and_grad(lambda p, x: jnp.sum(module.scan(p, x, None, side)[0]), argnums=(0, 1)))

    def run():
        value, grads = loss(params, xs)
        jax.block_until_ready(grads)
    return run


def flashrnn_contender(torch, name: str, batch: int, n: int):
    from flashrnn import flashrnn

    heads, head = n // 64, 64
    gates = {"lstm": 4, "gru": 3, "elman": 1, "slstm": 4}[FLASHRNN[name]]
    wx = torch.randn(batch, T, gates, heads, head, device="cuda", requires_grad=True)
    r = torch.randn(gates, heads, head, head, device="cuda", requires_grad=True)
    b = torch.randn(gates, heads, head, device="cuda", requires_grad=True)

    def run():
        out = flashrnn(wx, r, b, function=FLASHRNN[name], backend="triton_fused", dtype="float32")
        (out[0] if isinstance(out, tuple) else out).sum().backward()
    return synced(torch, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="*", default=list(CELLS) + list(HEADS["cells"]))
    parser.add_argument("--sizes", nargs="*", default=list(SIZES) + ["heads"], choices=list(SIZES) + ["heads"])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (about 150 s per cell)")
    parser.add_argument("--check", action="store_true", help="run each contender once, small sizes, on the CPU")
    args = parser.parse_args()
    if args.check and "triton" not in sys.modules:
        os.environ.setdefault("TRITON_INTERPRET", "1")  # before triton is imported: the fused kernels on the CPU
    import torch

    device = "cuda" if torch.cuda.is_available() and not args.check else "cpu"
    has_jax = importlib.util.find_spec("jax") is not None
    has_flash = importlib.util.find_spec("flashrnn") is not None and device == "cuda"
    print(f"device {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'CPU'}), torch {torch.__version__}, "
          f"jax {'yes' if has_jax else 'no'}, flashrnn {'yes' if has_flash else 'no'}; T = {T}, float32, fwd + bwd, ms")
    fused_ok = importlib.util.find_spec("triton") is not None and (device == "cuda" or os.environ.get("TRITON_INTERPRET") == "1")
    if not fused_ok:
        print("fused: skipped (" + ("triton is not installed" if importlib.util.find_spec("triton") is None else
                                   "no CUDA device and TRITON_INTERPRET is not 1") + ")")
    for size in args.sizes:
        batch, n = (2, 64) if args.check else (HEADS["batch"], HEADS["n"]) if size == "heads" else SIZES[size]
        cells = [c for c in args.cells if (c in HEADS["cells"]) == (size == "heads")]
        for name in cells:
            if name in HEADS["cells"]:
                contenders = {}
            else:
                contenders = torch_contenders(torch, name, batch, n, device, compile_=not args.no_compile and not args.check)
            compile_seconds = contenders.pop("_compile_seconds", None)
            if has_jax and name not in HEADS["cells"]:
                contenders["jax"] = jax_contender(name, batch, n)
            flash = FLASH_OF.get(name, name if name not in HEADS["cells"] else None)
            if has_flash and flash in FLASHRNN:
                contenders["flashrnn"] = flashrnn_contender(torch, flash, batch, n)
            note = ""
            if fused_ok and name in FUSED:
                steps = 4 if args.check else T
                found = fused_contender(torch, name, batch, n, device, HEADS["k"] if name in HEADS["cells"] else None, steps)
                if isinstance(found, str):
                    note = f"  [fused falls back: {found}]"
                else:
                    contenders["fused"] = found
            result = timed(contenders, 1 if args.check else args.repeat)
            base = result.get("cudnn") or result.get("flashrnn")
            row = "  ".join(f"{k} {v:8.2f}" + (f" ({v / base:5.2f}x)" if base else "") for k, v in result.items())
            print(f"{size:5s} B={batch:<4d} n={n:<5d} {name:16s} {row}"
                  + (f"  [compile {compile_seconds:.0f} s]" if compile_seconds else "") + note)

if __name__ == "__main__":
    main()
