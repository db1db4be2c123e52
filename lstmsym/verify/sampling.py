"""Random parameters, inputs and states for the numeric checks (shared by every check)."""

from __future__ import annotations

import numpy as np

from ..cell import Cell


def concrete_sizes(cell: Cell, rng: np.random.Generator, low: int = 1, high: int = 4) -> dict[str, int]:
    """Random small sizes; a projection size p stays below n (as PyTorch requires)."""
    sizes = {name: int(rng.integers(low, high + 1)) for name in cell.sizes}
    if "p" in sizes and "n" in sizes:
        sizes["n"] = max(sizes["n"], 2)
        sizes["p"] = int(rng.integers(1, sizes["n"]))
    return sizes


def random_params(cell: Cell, sizes: dict[str, int], rng: np.random.Generator, scale: float = 0.6) -> dict[str, np.ndarray]:
    params = {}
    for p in cell.parameters:
        shape = tuple(sizes[s] for s in p.shape)
        fan = shape[-1] if len(shape) == 2 else 1
        params[p.name] = rng.normal(0.0, scale / np.sqrt(fan), size=shape)
    return params


def random_states(cell: Cell, sizes: dict[str, int], batch: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {s.name: rng.normal(0.0, 0.5, size=(batch, sizes[s.size])) for s in cell.states}


def output_size(cell: Cell, sizes: dict[str, int]) -> int:
    return sum(sizes[cell.shapes[o][0]] for o in cell.outputs)
