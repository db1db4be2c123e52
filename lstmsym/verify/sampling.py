"""Random sizes, parameters, inputs and states for the numeric checks (shared by every check)."""

from __future__ import annotations

import random

import numpy as np
import sympy

from ..base.errors import UsageError
from ..model.cell import Cell
from ..model.select import Where
from .domains import draw, hull


def concrete_sizes(cell: Cell, seed: int, low: int = 1, high: int = 4) -> dict[str, int]:
    """Random small sizes that obey the cell's size rules."""
    return cell.size_rules.sample(random.Random(seed), low, high)


#: The sizes verify's numeric checks draw from: at least 2 (two heads, a sum or mean over two units at least).
CHECK_LOW, CHECK_HIGH = 2, 5
#: The kernel width they use: a kernel of width 1 is its own flip, so a convolution's adjoint could drop the flip.
#: A convolutional cell's other sizes (channels, height, width) stay at most CHECK_HIGH_CONV: every entry of a
#: kernel 3 wide is already a different path through the map.
CHECK_KERNEL, CHECK_HIGH_CONV = 3, 3


def check_sizes(cell: Cell, seed: int) -> dict[str, int]:
    """Sizes for verify's numeric checks that exercise every construct: every size at least CHECK_LOW (so at least
    two heads and two units under a reduction), kernels CHECK_KERNEL wide, and the sizes distinct where the rules
    allow (non-square matrices, so a missing transpose fails to multiply or gives another value)."""
    rng = random.Random(seed)
    kernels = set(cell.size_rules.kernel_sizes)
    names = [name for name in cell.sizes if name not in kernels]
    high = CHECK_HIGH_CONV if kernels else CHECK_HIGH
    for attempt in range(400):
        sizes = {name: CHECK_KERNEL if name in kernels else rng.randint(CHECK_LOW, high) for name in cell.sizes}
        if attempt < 300 and len({sizes[n] for n in names}) < min(len(names), high - CHECK_LOW + 1):
            continue
        try:
            cell.size_rules.check(sizes)
            return sizes
        except UsageError:
            continue
    return cell.size_rules.verify_sizes()


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
