"""How PyTorch, Keras, Flax and ONNX lay out a cell's parameters, read from the spec's [pytorch]/[keras]/[flax]/[onnx] tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..base.errors import ConventionError, SpecError, one_of
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
