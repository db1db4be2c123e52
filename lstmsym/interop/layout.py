"""One layer and direction of a cell's parameters packed into, and unpacked from, a framework's tensors.

The spec's [pytorch]/[keras]/[flax]/[onnx] table says which parameter each block of each tensor holds; this
module does the arithmetic for any such table: blocks stacked on the rows (or side by side for an (in, out)
kernel), bias rows stacked or concatenated, and a blank block (the framework has it, the cell does not)
written as zeros and, on the way back, added to the block it duplicates. Sizes are solved from the shapes,
so every mismatch is reported against the expected shape of the tensor that shows it.
"""

from __future__ import annotations

from typing import Any, Mapping as MappingType

import numpy as np
import sympy

from ..base.errors import LayoutError
from ..derive.counts import no_counterpart
from ..derive.frameworks import LAYOUTS, Tensor, block_shape, is_transposed, mapping, tensor_shape
from ..model.cell import Cell
from ..model.sizes import size_symbol

#: One layer and direction of a cell's parameters, by parameter name.
Weights = dict[str, np.ndarray]


class Layout:
    """A cell's layout in one framework, able to pack and unpack one layer and direction."""

    def __init__(self, cell: Cell, framework: str) -> None:
        found = mapping(cell, framework)
        if found is None:
            raise LayoutError(no_counterpart(cell, framework))
        self.cell, self.framework, self.mapping = cell, framework, found

    @property
    def label(self) -> str:
        return self.mapping.label

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.mapping.tensors)

    def symbolic(self, tensor: Tensor) -> tuple[sympy.Expr, ...]:
        return tensor_shape(self.cell, self.mapping, tensor)

    def shape(self, tensor: Tensor, sizes: dict[str, int]) -> tuple[int, ...]:
        subs = {size_symbol(k): v for k, v in sizes.items()}
        return tuple(int(sympy.sympify(d).subs(subs)) for d in self.symbolic(tensor))

    def shown(self, tensor: Tensor, sizes: dict[str, int] | None = None) -> str:
        """'(4n, m)', or '(4n, m) = (80, 3)' when the sizes are known."""
        text = _tuple(_compact(d) for d in self.symbolic(tensor))
        if sizes and all(str(s) in sizes for d in self.symbolic(tensor) for s in sympy.sympify(d).free_symbols):
            numbers = self.shape(tensor, sizes)
            text += " = " + _tuple(map(str, numbers))
        return text

    # -- cell -> framework ------------------------------------------------------------------
    def pack(self, weights: MappingType[str, Any]) -> dict[str, np.ndarray]:
        """The framework's tensors for one layer and direction; blank blocks are zeros."""
        missing = [p.name for p in self.cell.parameters if p.name not in weights]
        if missing:
            raise LayoutError(f"cell '{self.cell.name}' weights lack {', '.join(missing)}; "
                              f"expected every parameter: {', '.join(p.name for p in self.cell.parameters)}")
        sizes = self._sizes_of_weights(weights)
        return {tensor.name: self._pack_tensor(tensor, weights, sizes) for tensor in self.mapping.tensors}

    def _pack_tensor(self, tensor: Tensor, weights: MappingType[str, Any], sizes: dict[str, int]) -> np.ndarray:
        rows = []
        dtype = np.result_type(*[_numpy(weights[p.name]) for p in self.cell.parameters])
        for r, row in enumerate(tensor.rows):
            blocks = []
            for k, name in enumerate(row):
                shape = tuple(sizes[s] for s in block_shape(self.cell, self.mapping, tensor, r, k))
                blocks.append(_numpy(weights[name]).astype(dtype) if name else np.zeros(shape, dtype))
            stacked = np.concatenate(blocks, axis=0)
            rows.append(stacked.T if is_transposed(self.framework, tensor.name) else stacked)
        if len(rows) == 1:
            return np.ascontiguousarray(rows[0])
        if tensor.name in LAYOUTS[self.framework].get("concatenated", ()):
            return np.concatenate(rows, axis=0)
        return np.stack(rows)

    def _sizes_of_weights(self, weights: MappingType[str, Any]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for p in self.cell.parameters:
            actual = np.shape(weights[p.name])
            expected = p.shape
            if len(actual) != len(expected):
                raise LayoutError(f"parameter {p.name} has shape {tuple(actual)}; expected ({', '.join(expected)},)")
            for size, value in zip(expected, actual):
                if sizes.setdefault(size, int(value)) != int(value):
                    raise LayoutError(f"parameter {p.name} has shape {tuple(actual)}; expected ({', '.join(expected)}) "
                                      f"with {size}={sizes[size]} as the other parameters have it")
        return sizes

    # -- framework -> cell ------------------------------------------------------------------
    def unpack(self, tensors: MappingType[str, Any], where: str = "", sizes: dict[str, int] | None = None,
               fold: bool = True) -> Weights:
        """The cell's parameters from one layer and direction of framework tensors.

        `where` names the layer and direction in messages (e.g. '_l1_reverse'); `sizes` are sizes the caller
        knows (a hidden size given on the command line). A blank block is added to the block it duplicates
        (fold=True: PyTorch's bias_hh into bias_ih) or left out (fold=False: for gradients, equal in both).
        """
        arrays = {name: _numpy(value) for name, value in tensors.items()}
        self._check_names(arrays, where)
        solved = self.solve_sizes(arrays, where, dict(sizes or {}))
        weights: Weights = {}
        blanks = []
        for tensor in self.mapping.tensors:
            for (r, k, name), block in self._split(tensor, arrays[tensor.name], solved):
                if name:
                    weights[name] = block
                else:
                    blanks.append((tensor, r, k, block))
        for tensor, r, k, block in blanks:
            self._fold(tensor, r, k, block, weights, where, fold)
        return {p.name: weights[p.name] for p in self.cell.parameters}

    def _check_names(self, arrays: dict[str, np.ndarray], where: str) -> None:
        sizes: dict[str, int] = {}
        for tensor in self.mapping.tensors:
            if tensor.name in arrays:
                self._solve_from(tensor, arrays[tensor.name], sizes, exact=True)
        for tensor in self.mapping.tensors:
            if tensor.name not in arrays:
                raise LayoutError(f"missing tensor {tensor.name}{where}: {self.label} for cell '{self.cell.name}' "
                                  f"has {', '.join(n + where for n in self.names)}; expected shape "
                                  f"{self.shown(tensor, sizes)}")
        extra = sorted(set(arrays) - set(self.names))
        if extra:
            raise LayoutError(f"unexpected tensor {extra[0]}{where} of shape {tuple(arrays[extra[0]].shape)}: "
                              f"{self.label} for cell '{self.cell.name}' has only {', '.join(n + where for n in self.names)}")

    def solve_sizes(self, arrays: dict[str, np.ndarray], where: str, sizes: dict[str, int]) -> dict[str, int]:
        """Every size from the tensors' shapes; the first tensor that disagrees is the error."""
        given = dict(sizes)
        for exact in (True, False):
            for _ in range(len(self.mapping.tensors) + 1):
                for tensor in self.mapping.tensors:
                    self._solve_from(tensor, arrays[tensor.name], sizes, exact)
        for tensor in self.mapping.tensors:
            actual = tuple(arrays[tensor.name].shape)
            known = all(str(s) in sizes for d in self.symbolic(tensor) for s in sympy.sympify(d).free_symbols)
            if not known or actual != self.shape(tensor, sizes):
                told = f" (given {', '.join(f'{k}={v}' for k, v in sorted(given.items()))})" if given else ""
                raise LayoutError(f"{tensor.name}{where} has shape {actual}; expected {self.shown(tensor, sizes)} "
                                  f"for cell '{self.cell.name}' ({self.label}){told}")
        return sizes

    def _solve_from(self, tensor: Tensor, array: np.ndarray, sizes: dict[str, int], exact: bool) -> None:
        """Sizes read off dimensions that are one size (exact) or a multiple of one size (4n, then)."""
        expected = self.symbolic(tensor)
        if array.ndim != len(expected):
            return
        for dim, actual in zip(expected, array.shape):
            dim = sympy.sympify(dim)
            free = dim.free_symbols
            if len(free) != 1:
                continue
            symbol = free.pop()
            coefficient = dim / symbol
            if exact and coefficient != 1:
                continue
            if str(symbol) not in sizes and coefficient.is_Integer and actual % int(coefficient) == 0:
                sizes[str(symbol)] = actual // int(coefficient)

    def _split(self, tensor: Tensor, array: np.ndarray, sizes: dict[str, int]):
        """((row, block index, parameter name or ''), block as the cell holds it) for every block."""
        count = len(tensor.rows)
        if count == 1:
            rows = [array]
        elif tensor.name in LAYOUTS[self.framework].get("concatenated", ()):
            rows = np.split(array, count, axis=0)
        else:
            rows = list(array)
        for r, (row, data) in enumerate(zip(tensor.rows, rows)):
            data = data.T if is_transposed(self.framework, tensor.name) else data
            start = 0
            for k, name in enumerate(row):
                height = sizes[block_shape(self.cell, self.mapping, tensor, r, k)[0]]
                yield (r, k, name), np.array(data[start:start + height])
                start += height

    def _fold(self, tensor: Tensor, r: int, k: int, block: np.ndarray, weights: Weights, where: str, fold: bool) -> None:
        partner = self._partner(tensor, r, k)
        if partner:
            if fold:
                weights[partner] = weights[partner] + block
            return
        if np.any(block != 0):
            raise LayoutError(f"{tensor.name}{where} holds nonzero values in block {k + 1} (row {r + 1}), which cell "
                              f"'{self.cell.name}' does not have; expected zeros there, or a cell whose equations use it")

    def _partner(self, tensor: Tensor, r: int, k: int) -> str:
        partner_name = LAYOUTS[self.framework]["partner"].get(tensor.name)
        partner = self.mapping.tensor(partner_name) if partner_name else None
        if partner is not None:
            return partner.rows[0][k]
        return tensor.rows[0][k] if r > 0 else ""


def _tuple(parts) -> str:
    parts = list(parts)
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _compact(dim: Any) -> str:
    return str(dim).replace("*", "")


def _numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    return array if array.dtype.kind == "f" else array.astype(float)
