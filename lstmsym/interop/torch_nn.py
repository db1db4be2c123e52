"""Map a cell's parameters to and from the tensors of the matching single-layer PyTorch module."""

from __future__ import annotations

from typing import Any, Mapping as MappingType

import numpy as np

from ..base.errors import ConventionError
from ..derive.counts import no_counterpart
from ..derive.frameworks import LAYOUTS, Mapping, Tensor, block_shape, mapping
from ..model.cell import Cell


def torch_mapping(cell: Cell) -> Mapping:
    result = mapping(cell, "pytorch")
    if result is None:
        raise ConventionError(no_counterpart(cell, "pytorch"))
    return result


def _blocks(cell: Cell, result: Mapping, tensor: Tensor, sizes: dict[str, int]) -> list[tuple[str, int, int]]:
    """(parameter name or '', start row, stop row) of each block of a (one-row) PyTorch tensor."""
    out, start = [], 0
    for k, name in enumerate(tensor.rows[0]):
        rows = sizes[block_shape(cell, result, tensor, 0, k)[0]]
        out.append((name, start, start + rows))
        start += rows
    return out


def _sizes(cell: Cell, arrays: MappingType[str, Any]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for p in cell.parameters:
        if p.name in arrays:
            for axis, size in enumerate(p.shape):
                sizes[size] = int(np.shape(arrays[p.name])[axis])
    return sizes


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def to_torch(cell: Cell, params: MappingType[str, Any]) -> dict[str, Any]:
    """PyTorch tensors (weight_ih_l0, ...) holding the cell's parameters; a blank block is zeros."""
    import torch

    result = torch_mapping(cell)
    sizes = _sizes(cell, params)
    out = {}
    for tensor in result.tensors:
        parts = []
        for name, start, stop in _blocks(cell, result, tensor, sizes):
            if name:
                parts.append(_numpy(params[name]))
            else:
                partner = _partner_block(cell, result, tensor, sizes, start, stop)
                parts.append(np.zeros_like(partner))
        out[f"{tensor.name}_l0"] = torch.from_numpy(np.ascontiguousarray(np.concatenate(parts, axis=0)))
    return out


def _partner_block(cell, result, tensor, sizes, start, stop) -> np.ndarray:
    shape = [stop - start]
    template = next((b for b in tensor.rows[0] if b), None)
    if template is not None:
        shape += [sizes[s] for s in cell.parameter(template).shape[1:]]
    return np.zeros(shape)


def split_blocks(cell: Cell, tensors: MappingType[str, Any]) -> tuple[dict[str, np.ndarray], list]:
    """The named blocks of a module's tensors by parameter, and the blank blocks as (tensor, start, stop, array)."""
    result = torch_mapping(cell)
    arrays = {key.removesuffix("_l0"): _numpy(value) for key, value in tensors.items()}
    sizes = _sizes_from_tensors(cell, result, arrays)
    params: dict[str, np.ndarray] = {}
    blanks = []
    for tensor in result.tensors:
        for name, start, stop in _blocks(cell, result, tensor, sizes):
            block = arrays[tensor.name][start:stop]
            if name:
                params[name] = np.array(block)
            else:
                blanks.append((tensor, start, stop, block))
    return params, blanks


def from_torch(cell: Cell, tensors: MappingType[str, Any]) -> dict[str, np.ndarray]:
    """The cell's parameters from a module's tensors; a blank block is added to its partner's parameter."""
    result = torch_mapping(cell)
    params, blanks = split_blocks(cell, tensors)
    arrays = {key.removesuffix("_l0"): _numpy(value) for key, value in tensors.items()}
    sizes = _sizes_from_tensors(cell, result, arrays)
    for tensor, start, stop, block in blanks:
        partner = result.tensor(LAYOUTS["pytorch"]["partner"][tensor.name])
        for name, s0, s1 in _blocks(cell, result, partner, sizes):
            if (s0, s1) == (start, stop) and name:
                params[name] = params[name] + block
    return {p.name: np.array(params[p.name]) for p in cell.parameters}


def _sizes_from_tensors(cell: Cell, result: Mapping, arrays: dict[str, np.ndarray]) -> dict[str, int]:
    """Solve the sizes from the tensors' shapes (each block's rows are one size; columns another)."""
    sizes: dict[str, int] = {}
    for _ in range(3):
        for tensor in result.tensors:
            names = [b for b in tensor.rows[0] if b]
            shapes = [cell.parameter(n).shape for n in names]
            array = arrays[tensor.name]
            if shapes and len(shapes[0]) == 2 and array.ndim == 2:
                sizes[shapes[0][1]] = array.shape[1]
            row_sizes = {s[0] for s in shapes}
            if len(row_sizes) == 1:
                sizes[row_sizes.pop()] = array.shape[0] // len(tensor.rows[0])
    return sizes
