"""Run a stack of layers and directions through the cell's exported NumPy module: the reference every
framework's multi-layer, bidirectional output is compared with (directions concatenated on the features,
as torch.nn, Keras Bidirectional and ONNX do)."""

from __future__ import annotations

from typing import Any, Mapping as MappingType

import numpy as np

from ..derive.derived import Derived
from ..interop.stack import as_stack, shape_of, slot
from .loader import numpy_module


def run_stack(derived: Derived, weights: MappingType[str, Any], xs: np.ndarray) -> np.ndarray:
    """The last layer's outputs (T, B, features) for inputs xs (T, B, m), every state starting at zero."""
    module = numpy_module(derived)
    stack = as_stack(derived.cell, weights)
    layers, bidirectional = shape_of(stack)
    for layer in range(layers):
        outs = []
        for reverse in (False, True) if bidirectional else (False,):
            inputs = xs[::-1] if reverse else xs
            ys = _forward(module, derived, stack[slot(layer, reverse)], inputs)
            outs.append(ys[::-1] if reverse else ys)
        xs = np.concatenate(outs, axis=-1)
    return xs


def _forward(module, derived: Derived, params: dict, xs: np.ndarray) -> np.ndarray:
    cell = derived.cell
    sizes = {}
    for p in cell.parameters:
        sizes.update(zip(p.shape, np.shape(params[p.name])))
    batch = xs.shape[1]
    state = {s.name: np.zeros((batch,) + tuple(sizes[d] for d in s.shape), dtype=xs.dtype) for s in cell.states}
    ys, _, _ = module.forward({k: np.asarray(v, dtype=xs.dtype) for k, v in params.items()}, xs, state)
    return ys
