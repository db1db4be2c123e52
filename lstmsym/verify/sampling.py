"""Random sizes, parameters, inputs and states for the numeric checks (shared by every check)."""

from __future__ import annotations

import random

import numpy as np
import sympy

from ..model.cell import Cell
from ..model.select import Where
from .domains import draw, hull


def concrete_sizes(cell: Cell, seed: int, low: int = 1, high: int = 4) -> dict[str, int]:
    """Random small sizes that obey the cell's size rules."""
    return cell.size_rules.sample(random.Random(seed), low, high)


def param_shape(cell: Cell, name: str, sizes: dict[str, int]) -> tuple[int, ...]:
    """A parameter's stored shape (a block-diagonal matrix is (blocks, rows / blocks, cols / blocks))."""
    p = cell.parameter(name)
    shape = tuple(sizes[s] for s in p.shape)
    if p.blocks:
        k = sizes[p.blocks]
        return (k, shape[0] // k, shape[1] // k)
    return shape


def random_params(cell: Cell, sizes: dict[str, int], rng: np.random.Generator, scale: float = 0.6) -> dict[str, np.ndarray]:
    params = {}
    for p in cell.parameters:
        shape = param_shape(cell, p.name, sizes)
        fan = int(np.prod(shape[1:])) if len(shape) >= 2 else 1
        params[p.name] = rng.normal(0.0, scale / np.sqrt(fan), size=shape)
    return params


def unit_shape(shape: tuple[str, ...], sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[s] for s in shape)


STATE_FLOOR = 0.1


def random_states(cell: Cell, sizes: dict[str, int], batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Initial states, normal(0, 0.5) with |value| >= STATE_FLOOR; a state declared `positive` (sLSTM's
    normaliser n, divided by in h = o * c / n) gets |value|, so no check samples a point its cell never reaches."""
    states = {}
    for s in cell.states:
        v = rng.normal(0.0, 0.5, size=(batch,) + unit_shape(s.shape, sizes))
        v = np.where(np.abs(v) < STATE_FLOOR, v + np.copysign(STATE_FLOOR, v), v)
        states[s.name] = np.abs(v) if s.positive else v
    return states


def select_conditions(cell: Cell) -> set[str]:
    """The inputs a where() reads as its condition (a mask): the select jumps where they cross 0."""
    return {s.name for node in cell.nodes for e in sympy.preorder_traversal(getattr(node, "expr", sympy.S.Zero))
            if isinstance(e, Where) for s in e.args[0].free_symbols}


def random_inputs(cell: Cell, sizes: dict[str, int], steps: int, batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every input over a sequence, (T, B, *shape), from its domain's hull, so derivatives are taken at generic
    points; a where() condition comes from the domain itself (a mask is 0 or 1), so both branches are taken.
    The first is the main input."""
    exact = select_conditions(cell)
    return {i.name: (draw if i.name in exact else hull)(i.domain, rng, (steps, batch) + unit_shape(i.shape, sizes))
            for i in cell.inputs}


def output_size(cell: Cell, sizes: dict[str, int]) -> int:
    return sum(int(np.prod(unit_shape(cell.shapes[o], sizes))) for o in cell.outputs)
