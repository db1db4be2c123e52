"""How PyTorch, Keras, Flax and ONNX lay out a cell's parameters, read from the spec's [pytorch]/[keras]/[flax]/[onnx]
tables, and the machinery that applies those facts beside them (issue 23: the two lived in derive/frameworks.py and
interop/layout.py, and a build went back and forth between them seven times).

Layout packs one layer and direction of a cell's parameters into a framework's tensors and unpacks them: blocks
stacked on the rows (or side by side for an (in, out) kernel), bias rows stacked or concatenated, and a blank
block (the framework has it, the cell does not) written as zeros and, on the way back, added to the block it
duplicates. Sizes are solved from the shapes, so every mismatch is reported against the expected shape of the
tensor that shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping as MappingType

import numpy as np
import sympy

from ..base.errors import ConventionError, LayoutError, SpecError, one_of
from ..spec.catalogue import cells_with, family_of
from ..model.cell import Cell
from ..model.sizes import size_symbol

#: Framework facts (not cell facts): which tensors a layer holds, and which tensor a blank block copies
#: its shape from ("" marks a block the framework has but the cell does not, e.g. PyTorch's bias_hh).
LAYOUTS: dict[str, dict[str, Any]] = {
    "pytorch": {
        "class_key": "module",
        "tensors": ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"),
        "partner": {"bias_hh": "bias_ih", "bias_ih": "bias_hh"},
        "label": "PyTorch nn.{cls}",
    },
    "keras": {
        "class_key": "layer",
        "tensors": ("kernel", "recurrent_kernel", "bias"),
        "partner": {},
        "transposed": ("kernel", "recurrent_kernel"),
        "label": "Keras {cls}",
    },
    # Flax linen: one Dense per gate and source, named "<dense>/kernel" or "<dense>/bias"; kernels are (in, out).
    "flax": {
        "class_key": "module",
        "tensors": None,
        "suffixes": ("kernel", "bias"),
        "partner": {},
        "transposed": ("*/kernel",),
        "label": "Flax linen {cls}",
    },
    # ONNX operators: blocks stacked on the rows; a bias's two rows (Wb, Rb) are concatenated, and every tensor
    # has a leading num_directions axis.
    "onnx": {
        "class_key": "op",
        "tensors": ("W", "R", "B", "P"),
        "partner": {},
        "concatenated": ("B",),
        "directions": True,
        "label": "ONNX {cls}",
    },
}
#: Whose parametrisation a count follows: the spec as written, or a framework's layout.
CONVENTIONS = ("paper", "pytorch", "keras")
CONVENTION_LABELS = {"paper": "the spec as written", "pytorch": "PyTorch", "keras": "Keras"}


@dataclass(frozen=True)
class Tensor:
    """One framework tensor: its name and its row blocks (rows of blocks for a 2-D Keras bias)."""

    name: str
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Mapping:
    """A cell's layout in one framework."""

    framework: str
    cls: str
    options: dict[str, Any]
    tensors: tuple[Tensor, ...]

    @property
    def label(self) -> str:
        text = LAYOUTS[self.framework]["label"].format(cls=self.cls)
        if self.options:
            text += "(" + ", ".join(f"{k}={_py(v)}" for k, v in sorted(self.options.items())) + ")"
        return text

    def tensor(self, name: str) -> Tensor | None:
        return next((t for t in self.tensors if t.name == name), None)


def _py(value: Any) -> str:
    return repr(value) if not isinstance(value, bool) else str(value)


def mapping(cell: Cell, framework: str) -> Mapping | None:
    """The cell's layout in `framework`, or None when it has no counterpart there."""
    if framework not in LAYOUTS:
        raise ConventionError(f"unknown framework '{framework}'; expected {one_of(LAYOUTS)}")
    raw = cell.spec.frameworks.get(framework)
    if raw is None:
        return None
    layout = LAYOUTS[framework]
    where = cell.spec.where(framework, layout["class_key"])
    cls = raw.get(layout["class_key"])
    if not isinstance(cls, str):
        raise SpecError(f"[{framework}] lacks '{layout['class_key']}'", where, expected="the class name, e.g. \"LSTM\"")
    names = layout["tensors"] or tuple(k for k in raw if k not in (layout["class_key"], "options"))
    tensors = []
    for name in names:
        if name in raw:
            tensors.append(Tensor(name, _rows(raw[name], framework, name, cell)))
    for key in raw:
        if key in (layout["class_key"], "options"):
            continue
        if layout["tensors"] is None and key.rpartition("/")[2] not in layout["suffixes"]:
            raise SpecError(f"unknown key '{key}' in [{framework}]", cell.spec.where(framework, key),
                            expected="a tensor path ending in " + " or ".join(f"/{x}" for x in layout["suffixes"]))
        if layout["tensors"] is not None and key not in layout["tensors"]:
            raise SpecError(f"unknown key '{key}' in [{framework}]", cell.spec.where(framework, key),
                            expected=one_of(layout["tensors"] + (layout["class_key"], "options")))
    result = Mapping(framework, cls, dict(raw.get("options", {})), tuple(tensors))
    _check_complete(cell, result)
    return result


def _rows(value: Any, framework: str, name: str, cell: Cell) -> tuple[tuple[str, ...], ...]:
    rows = value if value and isinstance(value[0], list) else [value]
    for row in rows:
        if not isinstance(row, list) or not all(isinstance(b, str) for b in row):
            raise SpecError(f"[{framework}] {name} is not a list of parameter names", cell.spec.where(framework, name),
                            expected="a list such as [\"W_i\", \"W_f\"], with \"\" for blocks the cell lacks")
    return tuple(tuple(row) for row in rows)


def _check_complete(cell: Cell, result: Mapping) -> None:
    """Every parameter of the cell appears exactly once in the mapping."""
    seen: list[str] = [b for t in result.tensors for row in t.rows for b in row if b]
    names = [p.name for p in cell.parameters]
    for block in seen:
        if block not in names:
            raise SpecError(f"[{result.framework}] names '{block}', which is not a parameter",
                            cell.spec.where(result.framework, "weight_ih"), expected=one_of(names))
    missing = [n for n in names if n not in seen]
    twice = sorted({b for b in seen if seen.count(b) > 1})
    if missing or twice:
        raise SpecError(f"[{result.framework}] must place every parameter once (missing: {missing}, twice: {twice})",
                        cell.spec.where(result.framework, LAYOUTS[result.framework]["class_key"]),
                        expected="each of " + ", ".join(names) + " in one tensor")


def block_shape(cell: Cell, result: Mapping, tensor: Tensor, row: int, index: int) -> tuple[str, ...]:
    """Shape of one block; a blank block takes the shape of its partner block."""
    name = tensor.rows[row][index]
    if name:
        return cell.parameter(name).shape
    partner_name = LAYOUTS[result.framework]["partner"].get(tensor.name)
    if partner_name is not None and result.tensor(partner_name) is not None:
        return block_shape(cell, result, result.tensor(partner_name), 0, index)  # type: ignore[arg-type]
    if row > 0:
        return block_shape(cell, result, tensor, 0, index)
    raise SpecError(f"blank block {index} of {tensor.name} has nothing to copy its shape from",
                    cell.spec.where(result.framework, tensor.name), expected="a parameter name")


def tensor_shape(cell: Cell, result: Mapping, tensor: Tensor) -> tuple:
    """The framework tensor's shape as SymPy sizes: blocks stacked along the first axis (Keras: the last)."""
    size = size_symbol
    shapes = [block_shape(cell, result, tensor, 0, k) for k in range(len(tensor.rows[0]))]
    stacked = sympy.Add(*[size(shape[0]) for shape in shapes])
    rest = tuple(size(s) for s in shapes[0][1:])
    shape = (stacked,) + rest
    if is_transposed(result.framework, tensor.name):
        shape = shape[::-1]
    if len(tensor.rows) > 1 and tensor.name in LAYOUTS[result.framework].get("concatenated", ()):
        shape = (len(tensor.rows) * shape[0],) + shape[1:]
    elif len(tensor.rows) > 1:
        shape = (sympy.Integer(len(tensor.rows)),) + shape
    return shape


def is_transposed(framework: str, tensor: str) -> bool:
    """Whether the framework stores this tensor's blocks as (in, out): blocks then sit side by side."""
    for pattern in LAYOUTS[framework].get("transposed", ()):
        if tensor == pattern or (pattern.startswith("*/") and tensor.endswith(pattern[1:])):
            return True
    return False


def no_counterpart(cell: Cell, convention: str) -> str:
    """The error text for a cell without a framework counterpart, naming the cells that have one."""
    have = cells_with(convention)
    family = [name for name in have if family_of(name) == cell.family]
    hint = f"; in the same family: {', '.join(family)}" if family else ""
    return (f"cell '{cell.name}' has no {convention} counterpart{hint}; "
            f"cells with a {convention} counterpart: {', '.join(have)}")


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
