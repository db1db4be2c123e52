"""The generated PyTorch and JAX modules against torch.nn, a plain eager PyTorch cell, and each other.

Run: python benchmarks/frameworks.py [--cells lstm gru ...] [--all] [--repeat 6] [--quick]
Forward plus backward of a loss on every output, float32, T=100, B=32, m=128, n=256 (other sizes at the
cell's reference values), on this machine's CPU; every figure is a median over interleaved runs measured in
this one run, and every ratio divides two figures of the same run.

Tables:
1. generated module against torch.nn.LSTM/GRU on PyTorch's default CPU path (oneDNN): the generated loop
   (kernel="derived", autograd) and the default kernel="auto", which runs torch's fused kernel through the
   cell's [pytorch] mapping; goal <= 1.1.
2. generated module against a plain eager cell "written from the paper": every equation evaluated as written,
   one matrix product per term per step, autograd for the backward (lstmsym's spec interpreter in PyTorch,
   which is what hand-written cell libraries do); goal <= 1.0 for every cell (--all for the whole zoo).
3. the derived BPTT backward (autograd.Function) against autograd on the same module: time, and memory per
   step and sequence: what autograd saves (counted by saved-tensor hooks), what the derived backward saves,
   and lstmsym's memory formula (`lstmsym cost`).
4. JAX: the exported scan under jit against PyTorch's default path.
5. the NumPy export against PyTorch with oneDNN on and off.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import lstmsym
from lstmsym.derive.derived import derived
from lstmsym.interop import to_torch
from lstmsym.model.loading import load_cell
from lstmsym.render.exports import TARGETS
from lstmsym.verify.loader import load_source, numpy_module
from lstmsym.verify.sampling import random_params
from lstmsym.verify.torch_spec import SpecInterpreter

warnings.filterwarnings("ignore")
T, B, M, N = 100, 32, 128, 256
TORCH_NN = {"lstm": torch.nn.LSTM, "gru_reset_after": torch.nn.GRU, "rnn": torch.nn.RNN}


def timed(functions: dict, repeat: int, block: int = 2, pause: float = 0.2) -> dict[str, float]:
    """Median seconds of each function, measured in alternating blocks (drift hits all alike) after a pause
    (idle OpenMP threads of one library do not compete with the next)."""
    times: dict[str, list[float]] = {k: [] for k in functions}
    for _ in range(max(1, repeat // block)):
        for key, fn in functions.items():
            time.sleep(pause)
            fn()
            for _ in range(block):
                start = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


#: Feature-map cells at a size a 2-core machine runs in seconds (T x B maps of 16 x 16).
MAP_SIZES = {"C": 8, "F": 16, "H": 16, "W": 16, "k": 3}


def sizes_for(cell) -> dict[str, int]:
    sizes = cell.size_rules.reference_sizes()
    if len(cell.inputs[0].shape) == 3:
        return {k: MAP_SIZES.get(k, v) for k, v in sizes.items()}
    trial = dict(sizes)
    trial.update({k: v for k, v in ((cell.input_size, M), ("n", N)) if k in trial})
    try:
        cell.size_rules.check(trial)
        return trial
    except Exception:
        return sizes


def generated(name: str):
    source = TARGETS["torch"](derived(load_cell(name)))
    return load_source(source)


def layer_class(module):
    """The generated layer over sequences: the nn.Module whose constructor takes num_layers."""
    import inspect

    return next(getattr(module, k) for k in dir(module) if isinstance(getattr(module, k), type)
                and issubclass(getattr(module, k), torch.nn.Module)
                and "num_layers" in inspect.signature(getattr(module, k).__init__).parameters)


class Case:
    """One cell at benchmark sizes: random float32 weights, inputs, and the runs to compare."""

    def __init__(self, name: str, seed: int = 0) -> None:
        self.name, self.cell = name, load_cell(name)
        self.sizes = sizes_for(self.cell)
        rng = np.random.default_rng(seed)
        self.params = {k: np.asarray(v * 0.3, dtype=np.float32) for k, v in random_params(self.cell, self.sizes, rng).items()}
        shape = lambda item: tuple(self.sizes[s] for s in item.shape)  # noqa: E731
        self.xs = torch.from_numpy(rng.normal(size=(T, B) + shape(self.cell.inputs[0])).astype(np.float32))
        self.side = {i.name: torch.from_numpy(np.abs(rng.normal(size=(T, B) + shape(i))).astype(np.float32) + 0.1)
                     for i in self.cell.inputs[1:]}
        self.module = generated(name)
        cls = layer_class(self.module)
        size = lambda key: self.sizes[getattr(self.module, key)] if getattr(self.module, key) else None  # noqa: E731
        extra = {k: v for k, v in self.sizes.items() if k not in (self.module.INPUT_SIZE, self.module.HIDDEN_SIZE)}
        # "autograd" and "derived": the generated loop with either backward; "fused": kernel="auto" (torch's kernel
        # where the cell is torch.nn's, else the loop again).
        modes = {"autograd": dict(kernel="derived"), "derived": dict(backward="derived"), "fused": dict(kernel="auto")}
        self.layers = {mode: cls(size("INPUT_SIZE"), size("HIDDEN_SIZE"), **options, **extra) for mode, options in modes.items()}
        for layer in self.layers.values():
            load_weights(layer, self.module, self.params)

    def run_generated(self, mode: str):
        layer = self.layers[mode]

        def run():
            layer.zero_grad(set_to_none=True)
            xs = self.xs.clone().requires_grad_(True)
            out, _ = layer(xs, inputs=self.side or None)
            out.sum().backward()
        return run

    def run_eager(self):
        params = {k: torch.as_tensor(np.asarray(v)).requires_grad_(True) for k, v in self.params.items()}
        cell = self.cell

        def run():
            for p in params.values():
                p.grad = None
            interpreter = SpecInterpreter(cell, params, self.sizes, dtype=torch.float32)
            prev = {s.name: torch.zeros((B,) + tuple(self.sizes[d] for d in s.shape)) for s in cell.states}
            xs = self.xs.clone().requires_grad_(True)
            total = 0.0
            for t in range(T):
                step_inputs = {cell.input: xs[t], **{k: v[t] for k, v in self.side.items()}}
                env = interpreter.step(step_inputs, prev)
                prev = {s.name: env[s.name].tensor for s in cell.states}
                total = total + sum(env[o].tensor.sum() for o in cell.outputs)
            total.backward()
        return run


def load_weights(layer, module, params: dict) -> None:
    """Put the cell's parameters into a generated layer (torch.nn tensors where the cell has a layout)."""
    with torch.no_grad():
        if module.LAYOUT:
            for key, value in to_torch(module.NAME, params).items():
                getattr(layer, key).copy_(value)
        else:
            for key, value in params.items():
                getattr(layer, f"{key}_l0").copy_(torch.as_tensor(np.asarray(value)).reshape(getattr(layer, f"{key}_l0").shape))


def saved_bytes(fn) -> int:
    """Bytes autograd keeps for the backward while fn's forward runs (distinct storages)."""
    seen: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(seen.values())


def table_torch_nn(names, repeat):
    print("\n1. generated module against torch.nn on PyTorch's default CPU path (oneDNN); goal <= 1.1")
    print(f"{'cell':18s} {'loop ms':>8s} {'ratio':>6s} {'kernel=auto ms':>15s} {'ratio':>6s} {'torch.nn ms':>12s}")
    for name in names:
        if name not in TORCH_NN:
            continue
        case = Case(name)
        net = TORCH_NN[name](M, N)
        load_weights(net, case.module, case.params)

        def run_nn():
            net.zero_grad(set_to_none=True)
            out, _ = net(case.xs.clone().requires_grad_(True))
            out.sum().backward()
        t = timed({"gen": case.run_generated("autograd"), "fused": case.run_generated("fused"), "nn": run_nn}, repeat)
        print(f"{name:18s} {t['gen'] * 1e3:8.1f} {t['gen'] / t['nn']:6.2f} {t['fused'] * 1e3:15.1f} "
              f"{t['fused'] / t['nn']:6.2f} {t['nn'] * 1e3:12.1f}")


def table_eager(names, repeat):
    print("\n2. generated module (autograd) against a plain eager cell from the paper; goal <= 1.0")
    print(f"{'cell':24s} {'sizes':28s} {'generated ms':>13s} {'eager ms':>9s} {'ratio':>6s}")
    ratios = []
    for name in names:
        try:
            case = Case(name)
            t = timed({"gen": case.run_generated("autograd"), "eager": case.run_eager()}, repeat)
        except Exception as error:  # a benchmark reports and goes on
            print(f"{name:24s} failed: {type(error).__name__}: {error}", flush=True)
            continue
        ratios.append(t["gen"] / t["eager"])
        shown = " ".join(f"{k}={v}" for k, v in sorted(case.sizes.items()))
        print(f"{name:24s} {shown[:28]:28s} {t['gen'] * 1e3:13.1f} {t['eager'] * 1e3:9.1f} {ratios[-1]:6.2f}", flush=True)
    print(f"{len(ratios)} cells: ratio median {statistics.median(ratios):.2f}, worst {max(ratios):.2f}, "
          f"{sum(r <= 1.0 for r in ratios)} at or below 1.0")


def table_derived(names, repeat):
    print("\n3. derived BPTT backward (autograd.Function) against autograd; memory in bytes per step and sequence")
    print(f"{'cell':18s} {'autograd ms':>12s} {'derived ms':>11s} {'ratio':>6s} {'autograd mem':>13s} "
          f"{'derived mem':>12s} {'formula':>8s}")
    for name in names:
        case = Case(name)
        t = timed({"auto": case.run_generated("autograd"), "derived": case.run_generated("derived")}, repeat)
        formula = derived(case.cell).cost.memory_bytes(1, 1, case.sizes) - derived(case.cell).cost.memory_bytes(0, 1, case.sizes)
        mem = {mode: (saved_bytes(case.run_generated(mode))) / (T * B) for mode in ("autograd", "derived")}
        print(f"{name:18s} {t['auto'] * 1e3:12.1f} {t['derived'] * 1e3:11.1f} {t['derived'] / t['auto']:6.2f} "
              f"{mem['autograd']:13.0f} {mem['derived']:12.0f} {formula:8d}")


def table_jax(names, repeat):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("\n4. JAX: not installed")
        return
    print(f"\n4. JAX scan under jit (jax {jax.__version__}) against PyTorch's default path (torch.nn where it has the "
          "cell, else the generated module)")
    print(f"{'cell':18s} {'jax ms':>8s} {'torch ms':>9s} {'ratio':>6s}")
    for name in names:
        case = Case(name)
        source = TARGETS["jax"](derived(case.cell))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "cell.py"
            path.write_text(source)
            module = load_source(source)
        params = {k: jnp.asarray(v) for k, v in case.params.items()}
        xs = jnp.asarray(case.xs.numpy())
        side = {k: jnp.asarray(v.numpy()) for k, v in case.side.items()}
        zeros = {s.name: jnp.zeros((B,) + tuple(case.sizes[d] for d in s.shape), jnp.float32) for s in case.cell.states}

        def loss(p, x):
            ys, _ = module.scan(p, x, zeros, side or None)
            return ys.sum()
        step = jax.jit(jax.grad(loss, argnums=(0, 1)))

        def run_jax():
            jax.block_until_ready(step(params, xs))
        if name in TORCH_NN:
            net = TORCH_NN[name](M, N)
            load_weights(net, case.module, case.params)

            def run_torch():
                net.zero_grad(set_to_none=True)
                out, _ = net(case.xs.clone().requires_grad_(True))
                out.sum().backward()
        else:
            run_torch = case.run_generated("autograd")
        t = timed({"jax": run_jax, "torch": run_torch}, repeat)
        print(f"{name:18s} {t['jax'] * 1e3:8.1f} {t['torch'] * 1e3:9.1f} {t['jax'] / t['torch']:6.2f}")


def table_numpy(names, repeat):
    print("\n5. NumPy export (the reference) against torch.nn with oneDNN on and off")
    print(f"{'cell':18s} {'numpy ms':>9s} {'torch ms':>9s} {'ratio':>6s} {'oneDNN off ms':>14s} {'ratio':>6s}")
    for name in names:
        if name not in TORCH_NN:
            continue
        case = Case(name)
        module = numpy_module(derived(case.cell))
        xs = case.xs.numpy()
        dys = np.ones((T, B, N), np.float32)

        def run_numpy():
            _, _, cache = module.forward(case.params, xs)
            module.backward(case.params, cache, dys)
        net = TORCH_NN[name](M, N)
        load_weights(net, case.module, case.params)

        def run_nn():
            net.zero_grad(set_to_none=True)
            out, _ = net(case.xs.clone().requires_grad_(True))
            out.sum().backward()
        on = timed({"np": run_numpy, "nn": run_nn}, repeat)
        with torch.backends.mkldnn.flags(enabled=False):
            off = timed({"np": run_numpy, "nn": run_nn}, repeat)
        print(f"{name:18s} {on['np'] * 1e3:9.1f} {on['nn'] * 1e3:9.1f} {on['np'] / on['nn']:6.2f} "
              f"{off['nn'] * 1e3:14.1f} {off['np'] / off['nn']:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", nargs="*", default=["lstm", "gru_reset_after", "rnn", "gru", "mgu", "peephole"])
    parser.add_argument("--all", action="store_true", help="table 2 over every built-in cell")
    parser.add_argument("--start", default="", help="with --all: begin at this cell name (resume)")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--tables", default="12345")
    args = parser.parse_args()
    print(f"T={T} B={B} m={M} n={N} float32; torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"numpy {np.__version__}; lstmsym {lstmsym.__version__}; python {sys.version.split()[0]}")
    names = args.cells
    if "1" in args.tables:
        table_torch_nn(names, args.repeat)
    if "2" in args.tables:
        table_eager([n for n in lstmsym.builtin_names() if n >= args.start] if args.all else names, args.repeat)
    if "3" in args.tables:
        table_derived(names, args.repeat)
    if "4" in args.tables:
        table_jax(names, args.repeat)
    if "5" in args.tables:
        table_numpy(names, args.repeat)


if __name__ == "__main__":
    main()
