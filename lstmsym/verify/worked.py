"""A step with numbers: one step of the cell on a tiny example (m = 3, n = 4), every quantity in equation order,
computed by the exported NumPy module's trace() (the code the checks verify) and shown in the documents as numbers
and as a colour strip.

The example is one that can happen: parameters as a fresh layer has them (the spec's `init`, else the frameworks'
uniform), inputs drawn from their declared domains (a mask is 0 or 1, a time positive), and, of the seeds tried
in order from SEED, the first where no gate (derive/gates.py) is closed or saturated at every unit, so that every
gate acts. Vectors are shown whole, parameters made per step or per unit alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.errors import DomainError
from ..derive.derived import Derived
from ..derive.gates import gates, stuck
from .domains import draw
from .flow import initial_params
from .interpret import NumericInterpreter
from .loader import numpy_module

SEED = 2024
#: Seeds tried, in order from SEED, for an example where every gate acts (the first such one is shown).
TRIES = 64
SMALL = {"m": 3, "n": 4, "C": 1, "F": 2, "H": 3, "W": 3, "k": 3, "p": 2}
SHOWN = 12  # numbers shown of a feature map or a matrix (cut with "..."); vectors are shown whole


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
    limit = flat.size if np.ndim(value) <= 1 else SHOWN
    shown = [float(f"{v:.3f}") + 0.0 for v in flat[:limit]]
    scale = max(1.0, float(np.max(np.abs(flat)))) if flat.size else 1.0
    return {"name": name, "kind": kind, "shape": list(np.shape(value)), "values": shown, "more": int(flat.size > limit),
            "colours": [colour(v, scale) for v in shown], "role": role}


@dataclass(frozen=True)
class Example:
    """One drawn example: its seed, parameters, inputs and previous states (a batch of one)."""

    seed: int
    params: dict[str, np.ndarray]
    inputs: dict[str, np.ndarray]
    state: dict[str, np.ndarray]


def draw_example(cell, module, sizes: dict[str, int], seed: int) -> Example:
    """Parameters from the module's init, inputs from their domains, previous states normal(0, 0.5) (|.| if positive)."""
    rng = np.random.default_rng(seed)
    params = initial_params(module, sizes, rng)
    inputs = {i.name: draw(i.domain, rng, (1,) + tuple(sizes[s] for s in i.shape)) for i in cell.inputs}
    state = {}
    for s in cell.states:
        value = 0.5 * rng.normal(size=(1,) + tuple(sizes[d] for d in s.shape))
        state[s.name] = np.abs(value) if s.positive else value
    return Example(seed, params, inputs, state)


def stuck_gates(derived: Derived, sizes: dict[str, int], example: Example) -> list[str]:
    """The gates closed or saturated at every unit in this example, by label (evaluated by the spec interpreter)."""
    cell = derived.cell
    interpreter = NumericInterpreter(cell, sizes)
    with np.errstate(all="raise"):
        env = interpreter.forward_step(example.params, {k: v[0] for k, v in example.inputs.items()},
                                       {k: v[0] for k, v in example.state.items()})
        return [g.label for g in gates(cell) if stuck(interpreter.evaluate(g.expr, env))]


def choose_example(derived: Derived, sizes: dict[str, int], module) -> tuple[Example, list[str]]:
    """The first example from SEED on where every gate acts; else the one with the fewest stuck gates."""
    best: tuple[Example, list[str]] | None = None
    for seed in range(SEED, SEED + TRIES):
        example = draw_example(derived.cell, module, sizes, seed)
        try:
            bad = stuck_gates(derived, sizes, example)
        except (DomainError, FloatingPointError):
            continue
        if not bad:
            return example, []
        if best is None or len(bad) < len(best[1]):
            best = (example, bad)
    return best if best is not None else (draw_example(derived.cell, module, sizes, SEED), ["(no example in the domain)"])


def _per_unit(cell, example: Example) -> list[dict[str, Any]]:
    """Rows for the parameters that are scalars or vectors (per-unit weights, biases, periods), with their init."""
    rows = []
    for p in cell.parameters:
        if len(p.shape) <= 1 and not p.blocks:
            how = f" (init: {p.init.text})" if p.init is not None else ""
            rows.append(_row(p.name, "parameter", example.params[p.name], (p.role or "parameter") + how))
    return rows


def worked_step(derived: Derived) -> dict[str, Any]:
    """The example's sizes and seed, the gates left stuck (none, when an example was found), and one row per
    input, previous state, per-unit parameter and equation."""
    cell = derived.cell
    sizes = example_sizes(cell)
    module = numpy_module(derived)
    example, bad = choose_example(derived, sizes, module)
    side = {k: v for k, v in example.inputs.items() if k != cell.input}
    values = module.trace(example.params, example.inputs[cell.input], example.state, side or None)
    rows = [_row(i.name, "input", example.inputs[i.name][0], i.role or "input") for i in cell.inputs]
    rows += [_row(s.previous, "previous", example.state[s.name][0], f"previous {s.name}") for s in cell.states]
    rows += _per_unit(cell, example)
    for name, _ in cell.equations:
        value = values[name]
        shown = np.asarray(value)[0] if cell.is_batched(name) and np.ndim(value) else value
        rows.append(_row(name, "equation", shown, cell.role(name)))
    return {"sizes": sizes, "seed": example.seed, "rows": rows, "gates": [g.label for g in gates(cell)], "stuck": bad}
