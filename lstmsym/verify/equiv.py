"""The equivalence verdict, checked with numbers: the mapped parameters run through both cells' exported
NumPy modules; a counterexample when the cells differ; and the mapping applied to a file of weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from ..derive.derived import Derived
from ..derive.equiv import B_PREFIX, Mapping, Verdict, match_names
from ..model.vector_ops import Transposed
from .loader import numpy_module
from .domains import draw
from .sampling import concrete_sizes, param_shape, random_params, random_states

TOLERANCE = 1e-10


def apply_mapping(mapping: Mapping, weights: dict[str, np.ndarray], target, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    """B's parameters from A's weights: each mapped expression evaluated (sums, signs, transposes, 0)."""
    out = {}
    for p in target.parameters:
        expr = mapping.get(sympy.Symbol(B_PREFIX + p.name), sympy.S.Zero)
        out[p.name] = _evaluate(expr, weights, param_shape(target, p.name, sizes))
    return out


def _evaluate(expr: sympy.Expr, weights: dict[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    if expr == 0:
        return np.zeros(shape)
    if expr.is_Add:
        return sum(_evaluate(a, weights, shape) for a in expr.args)
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        return float(coeff) * _evaluate(rest, weights, shape)
    if isinstance(expr, Transposed):
        return np.asarray(weights[expr.args[0].name.split(".", 1)[1]]).T
    if expr.is_Symbol:
        return np.asarray(weights[expr.name.split(".", 1)[1]])
    raise ValueError(f"a mapping lstmsym cannot evaluate: {expr}")


def pairs(a, b) -> tuple[list, list]:
    """(A's input, B's input) and (A's state, B's state) pairs, matched as the symbolic search matches them; an input
    or state of A that B lacks is paired with None."""
    rename, _ = match_names(a, b)
    inputs = [(x, next((y for y in b.inputs if rename.get(y.name) == x.name), None)) for x in a.inputs]
    states = [(x, next((y for y in b.states if rename.get(y.name) == x.name), None)) for x in a.states]
    return inputs, states


def comparable(a, b) -> bool:
    """Whether two cells take the same inputs and carry the same states (so one input sequence runs through both)."""
    inputs, states = pairs(a, b)
    return len(a.inputs) == len(b.inputs) and len(a.states) == len(b.states) and \
        all(y is not None for _, y in inputs + states)


def _sizes_for(a: Derived, b: Derived, seed: int) -> tuple[dict[str, int], dict[str, int]]:
    sizes_a = concrete_sizes(a.cell, seed, 2, 4)
    sizes_b = concrete_sizes(b.cell, seed, 2, 4)
    inputs, states = pairs(a.cell, b.cell)
    for x, y in inputs + states:
        for sa, sb in zip(x.shape, y.shape):
            sizes_b[sb] = sizes_a[sa]
    return sizes_a, sizes_b


@dataclass(frozen=True)
class Run:
    max_difference: float
    first: tuple[int, int, int] | None   # (step, sequence, unit) of the first output that differs
    inputs: Any = None
    a_output: float = 0.0
    b_output: float = 0.0


def compare(a: Derived, b: Derived, mapping: Mapping | None, seed: int = 0, steps: int = 4, batch: int = 2) -> Run:
    """Both cells on the same inputs and initial states; B's parameters from the mapping (or, without one, by
    name where both cells have the parameter, else random)."""
    rng = np.random.default_rng(seed)
    sizes_a, sizes_b = _sizes_for(a, b, seed)
    params_a = random_params(a.cell, sizes_a, rng)
    if mapping is not None:
        params_b = apply_mapping(mapping, params_a, b.cell, sizes_b)
    else:
        params_b = random_params(b.cell, sizes_b, rng)
        for name in params_b:
            if name in params_a and np.shape(params_a[name]) == np.shape(params_b[name]):
                params_b[name] = params_a[name]
    inputs, states = pairs(a.cell, b.cell)
    state_a = random_states(a.cell, sizes_a, batch, rng)
    state_b = {y.name: state_a[x.name] for x, y in states}
    xs = rng.normal(size=(steps, batch) + tuple(sizes_a[s] for s in a.cell.inputs[0].shape))
    side = {x.name: draw(x.domain, rng, (steps, batch) + tuple(sizes_a[s] for s in x.shape)) for x in a.cell.side_inputs}
    side_b = {y.name: side[x.name] for x, y in inputs if x.name in side}
    ys_a, final_a, _ = numpy_module(a).forward(params_a, xs, state_a, side or None)
    ys_b, final_b, _ = numpy_module(b).forward(params_b, xs, state_b, side_b or None)
    if ys_a.shape != ys_b.shape:
        return Run(float("inf"), None, xs)
    difference = np.abs(ys_a - ys_b)
    finals = max((float(np.max(np.abs(final_a[x.name] - final_b[y.name]))) for x, y in states), default=0.0)
    if finals > difference.max() and not np.any(difference > TOLERANCE):
        return Run(finals, None, xs)
    where = np.argwhere(difference > TOLERANCE * max(1.0, float(np.abs(ys_a).max())))
    first = tuple(int(i) for i in where[0]) if len(where) else None
    values = (float(ys_a[first]), float(ys_b[first])) if first else (0.0, 0.0)
    return Run(float(difference.max()), first, xs, *values)


def check(verdict: Verdict, a: Derived, b: Derived, seed: int = 0) -> dict[str, Any]:
    """The numbers behind a verdict: the mappings reproduce the other cell; or a counterexample."""
    out: dict[str, Any] = {}
    if verdict.alias:
        return out
    if verdict.forward is not None:
        out["b_from_a"] = compare(a, b, verdict.forward, seed).max_difference
    if verdict.backward is not None:
        out["a_from_b"] = compare(b, a, verdict.backward, seed).max_difference
    if not verdict.equivalent and comparable(a.cell, b.cell):
        run = compare(a, b, None, seed)
        out["counterexample"] = {"max_difference": run.max_difference, "first": list(run.first) if run.first else None,
                                 "a_output": run.a_output, "b_output": run.b_output}
    return out
