"""Compare the exported module's gradients with PyTorch autograd on the real torch.nn module (float64)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..derive.derived import Derived
from ..derive.frameworks import Layout
from ..interop.libraries import from_torch, to_torch
from ..interop.stack import from_framework
from ..model.cell import Cell
from .loader import numpy_module
from .sampling import concrete_sizes, random_params, random_states

TOLERANCE = 1e-10  # relative, float64


@dataclass(frozen=True)
class TorchResult:
    cell: str
    module: str
    max_error: float
    worst: str

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.max_error)) and self.max_error <= TOLERANCE


def build_module(cell: Cell, sizes: dict[str, int]):
    """The torch.nn module matching the cell, in float64."""
    import torch

    spec = Layout(cell, "pytorch").mapping
    options = dict(spec.options)
    rows = lambda tensor: sizes[cell.parameter(next(b for b in spec.tensor(tensor).rows[0] if b)).shape[0]]  # noqa: E731
    if spec.tensor("weight_hr") is not None:
        options["proj_size"] = rows("weight_hr")
    module = getattr(torch.nn, spec.cls)(sizes[cell.input_size], rows("weight_hh"), **options)
    return module.double()


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def torch_check(derived: Derived, seed: int = 0, steps: int = 5, batch: int = 3, sizes: dict | None = None) -> TorchResult:
    """The exported module against the matching torch.nn module's autograd, in float64."""
    import torch

    cell = derived.cell
    rng = np.random.default_rng(seed)
    sizes = sizes or concrete_sizes(cell, seed, 2, 6)
    module = build_module(cell, sizes)
    params = random_params(cell, sizes, rng)
    with torch.no_grad():
        for name, value in to_torch(cell, params).items():
            getattr(module, name).copy_(value)
    assert all(np.allclose(from_torch(cell, dict(module.named_parameters()))["l0"][k], params[k]) for k in params)
    xs = rng.normal(size=(steps, batch, sizes[cell.input_size]))
    state = random_states(cell, sizes, batch, rng)
    ours = numpy_module(derived)
    ys, state_T, cache = ours.forward(params, xs, state)
    dys = rng.normal(size=ys.shape)
    dstate = {k: rng.normal(size=v.shape) for k, v in state.items()}
    dparams, dxs, dstate0, _ = ours.backward(params, cache, dys, dstate)

    x_t = torch.tensor(xs, requires_grad=True)
    s_t = {k: torch.tensor(v[None], requires_grad=True) for k, v in state.items()}
    names = [s.name for s in cell.states]
    hx = s_t[names[0]] if len(names) == 1 else tuple(s_t[n] for n in names)
    out, final = module(x_t, hx)
    final = (final,) if len(names) == 1 else final
    loss = (out * torch.tensor(dys)).sum() + sum((f[0] * torch.tensor(dstate[n])).sum() for n, f in zip(names, final))
    loss.backward()

    errors = {"ys": relative(ys, out.detach().numpy()), "d_xs": relative(dxs, x_t.grad.numpy())}
    for n in names:
        errors[f"d_{n}_0"] = relative(dstate0[n], s_t[n].grad.numpy()[0])
    grads = {name: p.grad for name, p in module.named_parameters()}
    mapped = _gradients_by_parameter(cell, grads)
    for k in params:
        errors[f"d_{k}"] = relative(dparams[k], mapped[k])
    worst = max(errors, key=errors.get)
    return TorchResult(cell.name, f"torch.nn.{Layout(cell, 'pytorch').mapping.cls}", errors[worst], worst)


def _gradients_by_parameter(cell: Cell, grads) -> dict[str, np.ndarray]:
    """A parameter's gradient is its own block's (a bias split in ih + hh has the same gradient in each)."""
    return from_framework(cell, "pytorch", grads, fold=False)["l0"]
