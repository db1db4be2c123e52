"""Finite differences (float64, central) against the exported module's backward pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell import Cell
from .loader import numpy_module
from .sampling import concrete_sizes, output_size, random_params, random_states

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


def loss_and_grads(module, params, xs, state, dys, dstate):
    """L = sum(ys * dys) + sum over states of sum(state_T * dstate): its value, and the module's gradients."""
    ys, state_T, cache = module.forward(params, xs, state)
    value = float(np.sum(ys * dys) + sum(np.sum(state_T[k] * dstate[k]) for k in dstate))
    return value, module.backward(params, cache, dys, dstate)


def finite_difference_check(cell: Cell, seed: int = 0, steps: int = 3, batch: int = 2, sizes: dict | None = None) -> NumericResult:
    """Compare every gradient entry (parameters, inputs, initial state) with central differences."""
    rng = np.random.default_rng(seed)
    sizes = sizes or concrete_sizes(cell, rng)
    module = numpy_module(cell)
    params = random_params(cell, sizes, rng)
    xs = rng.normal(0.0, 1.0, size=(steps, batch, sizes[cell.input_size]))
    state = random_states(cell, sizes, batch, rng)
    dys = rng.normal(0.0, 1.0, size=(steps, batch, output_size(cell, sizes)))
    dstate = {k: rng.normal(0.0, 1.0, size=v.shape) for k, v in state.items()}
    _, (dparams, dxs, dstate0) = loss_and_grads(module, params, xs, state, dys, dstate)

    def loss() -> float:
        return loss_and_grads(module, params, xs, state, dys, dstate)[0]

    worst, where, checked = 0.0, "", 0
    targets = [(f"d_{k}", params[k], dparams[k]) for k in params] + [("d_xs", xs, dxs)]
    targets += [(f"d_{k}_0", state[k], dstate0[k]) for k in state]
    for label, array, analytic in targets:
        for index in np.ndindex(array.shape):
            original = array[index]
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
