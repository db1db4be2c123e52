"""Runs exported fused Triton layers under TRITON_INTERPRET=1 (set before triton is imported, so this runs in a
subprocess of test_export_triton) against the exported PyTorch layer with autograd: outputs, final states and every
parameter, input and initial-state gradient. Prints one JSON object: cell -> {dtype: largest relative error}."""

from __future__ import annotations

import json
import os
import random
import sys
import warnings

os.environ["TRITON_INTERPRET"] = "1"

T, B = 5, 3


def sizes_of(cell, module):
    """Small sizes the rules allow; a unit size of 8 leaves half of each 16-wide tile masked off."""
    sizes = cell.size_rules.sample(random.Random(1), 2, 4)
    for name in sizes:
        if name in module.UNITS or name == module.HIDDEN_SIZE:
            sizes[name] = 8 if not module.HEADS else sizes[name]
    if module.HEADS:
        sizes[module.HEADS] = 2
        for unit in module.UNITS:
            sizes[unit] = 2 * 8
    return sizes


def _weights(value):
    """Fixed loss weights of a value's shape (the same for both layers)."""
    import torch

    return torch.sin(torch.arange(value.numel(), dtype=value.dtype)).reshape(value.shape)


def modules(name: str):
    """The cell and its exported Triton module (twice: the file holds the whole exported PyTorch module, whose
    layer with backward="autograd" is the reference, besides the fused layer)."""
    from lstmsym.cli.common import load
    from lstmsym.render.triton_module import export_triton
    from lstmsym.verify.loader import load_source

    d = load(name)
    module = load_source(export_triton(d))
    return d.cell, module, module


def compare(cell, fused, plain, dtype_name: str) -> float:
    import torch

    dtype = getattr(torch, dtype_name)
    sizes = sizes_of(cell, fused)
    extra = {k: v for k, v in sizes.items() if k not in (fused.HIDDEN_SIZE, fused.INPUT_SIZE)}
    make = lambda cls, **kw: cls(sizes[fused.INPUT_SIZE], sizes[fused.HIDDEN_SIZE], **kw, **extra).to(dtype)  # noqa: E731
    torch.manual_seed(0)
    reference = make(next(v for k, v in vars(plain).items() if k + "Cell" in vars(plain) and isinstance(v, type)),
                     backward="autograd")
    layer = make(fused.LAYER)
    layer.load_state_dict(reference.state_dict())
    xs = torch.randn((T, B) + tuple(sizes[s] for s in cell.inputs[0].shape), dtype=dtype)
    side = {i.name: torch.rand((T, B) + tuple(sizes[s] for s in i.shape), dtype=dtype) + 0.5 for i in cell.side_inputs}
    state = {s.name: 0.5 * torch.randn((1, B) + tuple(sizes[x] for x in s.shape), dtype=dtype) for s in cell.states}
    results = []
    for module in (reference, layer):
        x = xs.clone().requires_grad_()
        ins = {k: v.clone().requires_grad_() for k, v in side.items()}
        st = {k: v.clone().requires_grad_() for k, v in state.items()}
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Fused")  # a fallback to the PyTorch path is a failure
            out, finals = module(x, st, inputs=ins or None) if ins else module(x, st)
        finals = finals if isinstance(finals, tuple) else (finals,)
        loss = sum((v * _weights(v)).sum() for v in (out, *finals))
        tensors = [x, *ins.values(), *st.values(), *module.parameters()]
        grads = torch.autograd.grad(loss, tensors, allow_unused=True)
        results.append([out, *finals] + [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, tensors)])
    worst = 0.0
    for a, b in zip(*results):
        scale = max(1.0, float(a.detach().abs().max()))
        worst = max(worst, float((a - b).detach().abs().max()) / scale)
    return worst


def main(names: list[str]) -> None:
    out = {}
    for name in names:
        out[name] = {}
        try:
            found = modules(name)
        except Exception as exc:  # reported, with the cell's name, by the test
            out[name] = {"export": f"{type(exc).__name__}: {exc}"}
            continue
        for dtype_name in ("float32", "float64"):
            try:
                out[name][dtype_name] = compare(*found, dtype_name)
            except Exception as exc:  # reported, with the cell's name, by the test
                out[name][dtype_name] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out))


def fallback() -> None:
    """lstm with 136 units (past MAX_UNITS): the fused layer warns once, then runs the PyTorch path."""
    import torch

    cell, module, _ = modules("lstm")
    torch.manual_seed(0)
    layer, reference = module.LAYER(3, 136).double(), module.Lstm(3, 136, backward="autograd").double()
    reference.load_state_dict(layer.state_dict())
    xs = torch.randn(4, 2, 3, dtype=torch.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outs = [layer(xs)[0] for _ in range(2)]
    error = max(float((out - reference(xs)[0]).detach().abs().max()) for out in outs)
    print(json.dumps({"warnings": [str(w.message) for w in caught if "Fused" in str(w.message)], "error": error}))


if __name__ == "__main__":
    fallback() if sys.argv[1:] == ["--fallback"] else main(sys.argv[1:])
