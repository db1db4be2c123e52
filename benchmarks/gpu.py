"""lstmsym's generated layers on a GPU, against cuDNN, torch.compile, JAX and FlashRNN, in one run.

Run on the GPU machine (CUDA, PyTorch, optionally JAX and flashrnn):
    python benchmarks/gpu.py                       # every cell and size below, about 4 minutes
    python benchmarks/gpu.py --cells lstm --sizes small --no-compile
    python benchmarks/gpu.py --check               # on a CPU: builds every contender, runs each once, times nothing

Forward plus backward of a loss on every output, float32, T = 100, at B = 32 / n = 256 ("small") and
B = 256 / n = 1024 ("large"), input size = n. Every figure is a median of interleaved, CUDA-synchronised runs of
this one run; every ratio divides two figures of the same run. Contenders, where they apply:
  cudnn      torch.nn.LSTM / GRU / RNN (the cells `lstmsym equiv` proves equal to them)
  eager      the exported PyTorch layer's generated loop (kernel="derived"), autograd backward
  derived    the exported PyTorch layer, lstmsym's derived BPTT backward
  torch      the exported PyTorch layer with kernel="torch": torch's fused kernel through the [pytorch] mapping
  compiled   the eager layer under torch.compile (compile time reported apart; --no-compile skips it)
  jax        the exported JAX scan under jax.jit (value_and_grad)
  flashrnn   FlashRNN's triton_fused kernel (LSTM, GRU, sLSTM; heads of 64), when `flashrnn` is installed
The fused kernel of issue 21 (Triton, generated from the spec) joins as `fused` once it exists."""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")
T = 100
SIZES = {"small": (32, 256), "large": (256, 1024)}
CELLS = ("lstm", "gru_reset_after", "slstm", "mingru", "xlstm_mlstm", "lru")
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
    parser.add_argument("--cells", nargs="*", default=list(CELLS))
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (about 150 s per cell)")
    parser.add_argument("--check", action="store_true", help="run each contender once, small sizes, on the CPU")
    args = parser.parse_args()
    import torch

    device = "cuda" if torch.cuda.is_available() and not args.check else "cpu"
    has_jax = importlib.util.find_spec("jax") is not None
    has_flash = importlib.util.find_spec("flashrnn") is not None and device == "cuda"
    print(f"device {device} ({torch.cuda.get_device_name() if device == 'cuda' else 'CPU'}), torch {torch.__version__}, "
          f"jax {'yes' if has_jax else 'no'}, flashrnn {'yes' if has_flash else 'no'}; T = {T}, float32, fwd + bwd, ms")
    for size in args.sizes:
        batch, n = (2, 64) if args.check else SIZES[size]
        for name in args.cells:
            contenders = torch_contenders(torch, name, batch, n, device, compile_=not args.no_compile and not args.check)
            compile_seconds = contenders.pop("_compile_seconds", None)
            if has_jax:
                contenders["jax"] = jax_contender(name, batch, n)
            if has_flash and name in FLASHRNN:
                contenders["flashrnn"] = flashrnn_contender(torch, name, batch, n)
            result = timed(contenders, 1 if args.check else args.repeat)
            base = result.get("cudnn") or result.get("flashrnn")
            row = "  ".join(f"{k} {v:8.2f}" + (f" ({v / base:5.2f}x)" if base else "") for k, v in result.items())
            print(f"{size:5s} B={batch:<4d} n={n:<5d} {name:16s} {row}"
                  + (f"  [compile {compile_seconds:.0f} s]" if compile_seconds else ""))


if __name__ == "__main__":
    main()
