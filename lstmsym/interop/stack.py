"""Layers and directions: every framework's tensors named as torch.nn names them (weight_ih_l1_reverse).

A stack is the cell's parameters for each layer and direction, keyed 'l0', 'l0_reverse', 'l1', ...; a flat
dict of parameters is layer 0. ONNX keeps both directions in one tensor (a leading num_directions axis), so
its tensors are named per layer only (W_l0).
"""

from __future__ import annotations

import re
from typing import Any, Mapping as MappingType

import numpy as np

from ..base.errors import LayoutError
from ..derive.frameworks import LAYOUTS
from ..model.cell import Cell
from ..derive.frameworks import Layout, Weights

#: Parameters per layer and direction: 'l0', 'l0_reverse', 'l1', ...
Stack = dict[str, Weights]
SUFFIX = re.compile(r"^(?P<name>.+)_l(?P<layer>\d+)(?P<reverse>_reverse)?$")


def slot(layer: int, reverse: bool = False) -> str:
    return f"l{layer}" + ("_reverse" if reverse else "")


def as_stack(cell: Cell, weights: MappingType[str, Any]) -> Stack:
    """A stack from a stack or from one layer's parameters."""
    names = {p.name for p in cell.parameters}
    if weights and all(k in names for k in weights):
        return {"l0": dict(weights)}
    bad = [k for k in weights if not re.fullmatch(r"l\d+(_reverse)?", k)]
    if bad or not weights:
        raise LayoutError(f"weights for cell '{cell.name}' must be keyed by parameter ({', '.join(sorted(names))}) or by "
                          f"layer and direction (l0, l0_reverse, l1, ...); found {', '.join(map(str, bad or ['nothing']))}")
    return dict(weights)


def shape_of(stack: Stack) -> tuple[int, bool]:
    """(number of layers, bidirectional), checking every layer has the same directions."""
    layers = sorted({int(SUFFIX.match("x_" + k).group("layer")) for k in stack})
    if layers != list(range(len(layers))):
        raise LayoutError(f"layers {layers} are not numbered 0 to {len(layers) - 1}; expected l0, l1, ...")
    bidirectional = any(k.endswith("_reverse") for k in stack)
    for layer in layers:
        for reverse in (False, True) if bidirectional else (False,):
            if slot(layer, reverse) not in stack:
                raise LayoutError(f"missing {slot(layer, reverse)}: a bidirectional stack needs both directions of "
                                  f"every layer")
    return len(layers), bidirectional


def to_framework(cell: Cell, framework: str, weights: MappingType[str, Any]) -> dict[str, np.ndarray]:
    """The framework's tensors for every layer and direction, named <tensor>_l<k>[_reverse]."""
    layout = Layout(cell, framework)
    stack = as_stack(cell, weights)
    layers, bidirectional = shape_of(stack)
    out: dict[str, np.ndarray] = {}
    for layer in range(layers):
        packed = {reverse: layout.pack(stack[slot(layer, reverse)]) for reverse in ((False, True) if bidirectional else (False,))}
        for name in layout.names:
            if LAYOUTS[framework].get("directions"):
                out[f"{name}_{slot(layer)}"] = np.stack([packed[r][name] for r in sorted(packed)])
            else:
                for reverse, tensors in packed.items():
                    out[f"{name}_{slot(layer, reverse)}"] = tensors[name]
    return out


def from_framework(cell: Cell, framework: str, tensors: MappingType[str, Any],
                   sizes: dict[str, int] | None = None, fold: bool = True) -> Stack:
    """The cell's parameters for every layer and direction held in the framework's tensors."""
    layout = Layout(cell, framework)
    groups = _groups(tensors)
    suffixed = any(SUFFIX.match(k) for k in tensors)
    stack: Stack = {}
    for key, group in sorted(groups.items()):
        layer = int(key[1:].removesuffix("_reverse"))
        where = f"_{key}" if suffixed else ""
        known = dict(sizes or {})
        if layer > 0:
            known.pop(cell.input_size, None)
        if LAYOUTS[framework].get("directions"):
            for reverse, part in _directions(group, where):
                stack[slot(layer, reverse)] = layout.unpack(part, where, known, fold)
        else:
            stack[key] = layout.unpack(group, where, known, fold)
    shape_of(stack)
    return stack


def _groups(tensors: MappingType[str, Any]) -> dict[str, dict[str, Any]]:
    """Tensors grouped by layer and direction; names without a suffix are layer 0."""
    if not any(SUFFIX.match(k) for k in tensors):
        return {"l0": dict(tensors)}
    groups: dict[str, dict[str, Any]] = {}
    for key, value in tensors.items():
        found = SUFFIX.match(key)
        if found is None:
            raise LayoutError(f"tensor '{key}' has no layer suffix while others do; expected <tensor>_l<k>[_reverse], "
                              "as torch.nn names them (weight_ih_l0)")
        groups.setdefault(slot(int(found["layer"]), bool(found["reverse"])), {})[found["name"]] = value
    return groups


def _directions(group: dict[str, Any], where: str):
    """ONNX: split the leading num_directions axis into (reverse, tensors) pairs."""
    arrays = {k: np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in group.items()}
    counts = {k: a.shape[0] if a.ndim else 0 for k, a in arrays.items()}
    if len(set(counts.values())) != 1 or next(iter(counts.values())) not in (1, 2):
        raise LayoutError(f"tensors{where} disagree on num_directions (the first axis): "
                          + ", ".join(f"{k} has {v}" for k, v in sorted(counts.items())) + "; expected 1 or 2 in every one")
    for index in range(next(iter(counts.values()))):
        yield bool(index), {k: a[index] for k, a in arrays.items()}


def flatten(stack: Stack) -> dict[str, np.ndarray]:
    """lstmsym's own file layout: every parameter as <parameter>_l<k>[_reverse] (W_i_l0)."""
    return {f"{name}_{key}": np.asarray(value) for key, weights in stack.items() for name, value in weights.items()}


def unflatten(cell: Cell, arrays: MappingType[str, Any]) -> Stack:
    """The stack held in lstmsym's file layout; unknown or missing parameters are errors."""
    names = [p.name for p in cell.parameters]
    stack: Stack = {}
    for key, group in _groups(arrays).items():
        extra = sorted(set(group) - set(names))
        missing = [n for n in names if n not in group]
        if extra or missing:
            raise LayoutError(f"weights for cell '{cell.name}' ({key}): " + "; ".join(
                part for part in (f"unknown {', '.join(extra)}" if extra else "",
                                  f"missing {', '.join(missing)}" if missing else "") if part)
                + f"; expected {', '.join(names)}")
        stack[key] = {n: np.asarray(group[n]) for n in names}
    shape_of(stack)
    return stack
