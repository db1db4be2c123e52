"""Weights in and out of PyTorch, Keras, Flax linen and ONNX, in the forms those libraries hand them over.

Every function takes the cell (a built-in name, a spec path or a loaded cell) and returns or accepts a stack:
the cell's parameters per layer and direction, keyed 'l0', 'l0_reverse', 'l1', ... (a dict of one layer's
parameters is accepted as layer 0). None of these imports a framework except to_torch, which returns tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping as MappingType

import numpy as np

from ..base.errors import LayoutError
from ..spec.catalogue import cells_with
from ..model.cell import Cell
from ..model.loading import load_cell
from ..derive.frameworks import Layout
from .stack import Stack, as_stack, from_framework, shape_of, slot, to_framework

CellLike = Cell | str | Path


def _cell(cell: CellLike) -> Cell:
    if isinstance(cell, Cell):
        return cell
    return getattr(cell, "model", None) or load_cell(cell)


def read(cell: CellLike, framework: str, tensors: MappingType[str, Any], sizes: dict[str, int] | None = None) -> Stack:
    """A stack from a framework's flat tensors; on a mismatch, the error names the cells the tensors fit."""
    model = _cell(cell)
    try:
        return from_framework(model, framework, tensors, sizes)
    except LayoutError as error:
        fits = [name for name in cells_with(framework) if name != model.name and _fits(name, framework, tensors)]
        if fits:
            labels = ", ".join(f"'{n}' ({Layout(load_cell(n), framework).label})" for n in fits)
            raise LayoutError(f"{error}; these tensors fit cell {labels}") from None
        raise


def _fits(name: str, framework: str, tensors: MappingType[str, Any]) -> bool:
    try:
        from_framework(load_cell(name), framework, tensors)
    except LayoutError:
        return False
    return True


# -- PyTorch --------------------------------------------------------------------------------------------
def from_torch(cell: CellLike, state_dict: MappingType[str, Any], sizes: dict[str, int] | None = None) -> Stack:
    """From an nn.RNN/LSTM/GRU state dict (any layers, directions, proj_size): the bias pair is summed."""
    return read(cell, "pytorch", state_dict, sizes)


def to_torch(cell: CellLike, weights: MappingType[str, Any]) -> dict[str, Any]:
    """A state dict for the matching torch.nn module (bias_hh is zero where the cell has one bias)."""
    import torch

    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in to_framework(_cell(cell), "pytorch", weights).items()}


# -- Keras ----------------------------------------------------------------------------------------------
def from_keras(cell: CellLike, weights: MappingType[str, Any] | list, bidirectional: bool = False,
               sizes: dict[str, int] | None = None) -> Stack:
    """From a Keras layer's get_weights() list (a Bidirectional's: forward then backward), or named tensors
    (kernel_l0, ...)."""
    model = _cell(cell)
    if isinstance(weights, (list, tuple)):
        names = Layout(model, "keras").names
        parts = 2 if bidirectional else 1
        if len(weights) != parts * len(names):
            raise LayoutError(f"{len(weights)} Keras weights for cell '{model.name}'; expected {parts * len(names)}: "
                              + ", ".join(names) + (" for each direction" if bidirectional else ""))
        weights = {f"{name}_{slot(0, index >= len(names))}": value
                   for index, (name, value) in enumerate(zip(names * parts, weights))}
    return read(model, "keras", weights, sizes)


def to_keras(cell: CellLike, weights: MappingType[str, Any]) -> dict[str, np.ndarray]:
    """Named Keras tensors (kernel_l0, recurrent_kernel_l0_reverse, ...); keras_weights() orders them."""
    return to_framework(_cell(cell), "keras", weights)


def keras_weights(cell: CellLike, weights: MappingType[str, Any], layer: int = 0) -> list[np.ndarray]:
    """The list one Keras layer's set_weights() takes (a Bidirectional's when the stack has both directions)."""
    model = _cell(cell)
    stack = as_stack(model, weights)
    _, bidirectional = shape_of(stack)
    tensors = to_framework(model, "keras", {k: v for k, v in stack.items() if k.startswith(slot(layer))})
    return [tensors[f"{name}_{slot(layer, reverse)}"] for reverse in ((False, True) if bidirectional else (False,))
            for name in Layout(model, "keras").names]


# -- Flax linen -----------------------------------------------------------------------------------------
def from_flax(cell: CellLike, params: MappingType[str, Any], sizes: dict[str, int] | None = None) -> Stack:
    """From a Flax linen cell's variables ({'params': {...}} or the params tree itself)."""
    tree = params.get("params", params)
    flat = {}
    for dense, leaves in tree.items():
        if not isinstance(leaves, MappingType):
            raise LayoutError(f"Flax parameter '{dense}' is not a Dense's {{kernel, bias}}; expected a tree such as "
                              "{'ii': {'kernel': ...}}")
        for leaf, value in leaves.items():
            flat[f"{dense}/{leaf}"] = value
    return read(cell, "flax", flat, sizes)


def to_flax(cell: CellLike, weights: MappingType[str, Any], layer: str = "l0") -> dict[str, Any]:
    """A Flax linen cell's variables {'params': {dense: {kernel, bias}}} for one layer and direction."""
    model = _cell(cell)
    stack = as_stack(model, weights)
    packed = Layout(model, "flax").pack(stack[layer])
    tree: dict[str, dict[str, np.ndarray]] = {}
    for path, value in packed.items():
        dense, _, leaf = path.partition("/")
        tree.setdefault(dense, {})[leaf] = value
    return {"params": tree}


# -- ONNX -----------------------------------------------------------------------------------------------
def from_onnx(cell: CellLike, initializers: MappingType[str, Any], sizes: dict[str, int] | None = None) -> Stack:
    """From an ONNX LSTM/GRU/RNN operator's W, R, B (and P) inputs, one set per layer (W_l0, ...)."""
    return read(cell, "onnx", initializers, sizes)


def to_onnx(cell: CellLike, weights: MappingType[str, Any]) -> dict[str, np.ndarray]:
    """W_l0, R_l0, B_l0 (and P_l0), with the leading num_directions axis, for one operator per layer."""
    return to_framework(_cell(cell), "onnx", weights)


def onnx_attributes(cell: CellLike, hidden_size: int, bidirectional: bool = False) -> dict[str, Any]:
    """The operator's attributes: hidden_size, direction and the spec's options (linear_before_reset, ...)."""
    layout = Layout(_cell(cell), "onnx")
    attributes: dict[str, Any] = {"hidden_size": hidden_size, "direction": "bidirectional" if bidirectional else "forward"}
    attributes.update(layout.mapping.options)
    if bidirectional and "activations" in attributes:  # ONNX lists the activations of each direction in turn
        attributes["activations"] = list(attributes["activations"]) * 2
    return {"op": layout.mapping.cls, **attributes}
