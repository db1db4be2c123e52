"""Finite differences (float64, central) against the exported module's backward pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..derive.derived import Derived
from .loader import numpy_module
from .sampling import check_sizes, random_inputs, random_params, random_states, select_conditions

EPS = 1e-6
TOLERANCE = 1e-6  # on |analytic - numeric| / max(1, |numeric|), far above central-difference error (~1e-9)


@dataclass(frozen=True)
class NumericResult:
    cell: str
    sizes: dict
    steps: int
    batch: int
    max_error: float
    checked: int
    worst: str

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.max_error)) and self.max_error <= TOLERANCE


def run_module(module, params, inputs: dict[str, np.ndarray], main: str, state, dys, dstate):
    """L = sum(ys * dys) + sum over states of sum(state_T * dstate): its value, and the module's gradients."""
    side = {k: v for k, v in inputs.items() if k != main}
    with np.errstate(all="raise"):
        ys, state_T, cache = module.forward(params, inputs[main], state, side)
        value = float(np.sum(ys * dys) + sum(np.sum(state_T[k] * dstate[k]) for k in dstate))
        return value, module.backward(params, cache, dys, dstate)


#: The entries checked per array: all of a dense cell's at verify's sizes; a sample of a convolution's kernels and
#: maps, whose entries each take a full forward and backward pass twice.
ENTRIES = 40


def finite_difference_check(derived: Derived, seed: int = 0, steps: int = 3, batch: int = 2,
                            sizes: dict | None = None, limit: int | None = ENTRIES) -> NumericResult:
    """Compare the gradient entries (parameters, inputs, initial state) with central differences: every entry
    of an array of up to `limit` entries, `limit` of them drawn at random from a larger one (None: all)."""
    cell = derived.cell
    rng = np.random.default_rng(seed)
    sizes = sizes or check_sizes(cell, seed)
    module = numpy_module(derived)
    params = random_params(cell, sizes, rng)
    inputs = random_inputs(cell, sizes, steps, batch, rng)
    state = random_states(cell, sizes, batch, rng)
    ys, state_T, _ = module.forward(params, inputs[cell.input], state, {k: v for k, v in inputs.items() if k != cell.input})
    dys = rng.normal(0.0, 1.0, size=ys.shape)
    dstate = {k: rng.normal(0.0, 1.0, size=v.shape) for k, v in state.items()}
    _, grads = run_module(module, params, inputs, cell.input, state, dys, dstate)

    def loss() -> float:
        return run_module(module, params, inputs, cell.input, state, dys, dstate)[0]

    worst, where, checked = 0.0, "", 0
    jumps = select_conditions(cell)  # a where() condition at 0 sits on the select's jump: no derivative there
    targets = [(f"d_{k}", params[k], grads.params[k]) for k in params]
    targets += [(f"d_{cell.input}", inputs[cell.input], grads.xs)]
    targets += [(f"d_{k}", inputs[k], grads.inputs[k]) for k in inputs if k != cell.input]
    targets += [(f"d_{k}_0", state[k], grads.state0[k]) for k in state]
    for label, array, analytic in targets:
        indices = list(np.ndindex(array.shape))
        if limit is not None and len(indices) > limit:
            picks = np.random.default_rng(seed + 7).choice(len(indices), size=limit, replace=False)
            indices = [indices[i] for i in sorted(picks)]
        for index in indices:
            original = array[index]
            if label[2:] in jumps and original == 0:
                continue
            array[index] = original + EPS
            up = loss()
            array[index] = original - EPS
            down = loss()
            array[index] = original
            numeric = (up - down) / (2 * EPS)
            error = abs(float(np.asarray(analytic)[index]) - numeric) / max(1.0, abs(numeric))
            checked += 1
            if not error <= worst:
                worst, where = error, f"{label}{list(index)}"
    return NumericResult(cell.name, sizes, steps, batch, worst, checked, where)
