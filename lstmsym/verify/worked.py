"""A step with numbers: one step of the cell on a tiny fixed example (m = 3, n = 4, a fixed seed, weights
initialised as the frameworks do), every quantity in equation order, computed by the exported NumPy module's
trace() (the code the checks verify) and shown in the documents as numbers and as a colour strip."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..derive.derived import Derived
from .flow import framework_params
from .loader import numpy_module

SEED = 2024
SMALL = {"m": 3, "n": 4, "C": 1, "F": 2, "H": 3, "W": 3, "k": 3, "p": 2}
SHOWN = 12  # numbers shown per quantity (a feature map or a matrix state is cut, with "...")


def example_sizes(cell) -> dict[str, int]:
    sizes = dict(cell.size_rules.verify_sizes())
    trial = {k: SMALL.get(k, v) for k, v in sizes.items()}
    if cell.input_size in trial and cell.input_size not in SMALL:
        trial[cell.input_size] = 3
    try:
        cell.size_rules.check(trial)
        return trial
    except Exception:
        return sizes


def colour(value: float, scale: float) -> str:
    """A diverging strip colour: blue for negative, white at 0, red for positive (|value| = scale is full)."""
    t = max(-1.0, min(1.0, value / scale)) if scale else 0.0
    if t >= 0:
        rgb = (1.0, 1.0 - 0.75 * t, 1.0 - 0.75 * t)
    else:
        rgb = (1.0 + 0.75 * t, 1.0 + 0.75 * t, 1.0)
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _row(name: str, kind: str, value: np.ndarray, role: str) -> dict[str, Any]:
    flat = np.asarray(value, dtype=float).reshape(-1)
    shown = [float(f"{v:.3f}") + 0.0 for v in flat[:SHOWN]]
    scale = max(1.0, float(np.max(np.abs(flat)))) if flat.size else 1.0
    return {"name": name, "kind": kind, "shape": list(np.shape(value)), "values": shown, "more": int(flat.size > SHOWN),
            "colours": [colour(v, scale) for v in shown], "role": role}


def worked_step(derived: Derived) -> dict[str, Any]:
    """The example's sizes, and one row per input, previous state and equation."""
    cell = derived.cell
    sizes = example_sizes(cell)
    rng = np.random.default_rng(SEED)
    hidden = sizes.get("n") or max(sizes.values())
    params = framework_params(cell, sizes, rng, hidden)
    inputs = {i.name: rng.normal(size=(1,) + tuple(sizes[s] for s in i.shape)) for i in cell.inputs}
    for item in cell.side_inputs:
        inputs[item.name] = np.abs(inputs[item.name]) + 0.1
    state = {s.name: 0.5 * rng.normal(size=(1,) + tuple(sizes[d] for d in s.shape)) for s in cell.states}
    module = numpy_module(derived)
    side = {k: v for k, v in inputs.items() if k != cell.input}
    values = module.trace(params, inputs[cell.input], state, side or None)
    rows = [_row(i.name, "input", inputs[i.name][0], i.role or "input") for i in cell.inputs]
    rows += [_row(s.previous, "previous", state[s.name][0], f"previous {s.name}") for s in cell.states]
    rows += [_row(name, "equation", np.broadcast_to(values[name], np.shape(values[name]))[0] if np.ndim(values[name]) else values[name],
                  cell.role(name)) for name, _ in cell.equations]
    return {"sizes": sizes, "seed": SEED, "rows": rows}
