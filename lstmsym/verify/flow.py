"""The gradient-flow blocks, evaluated: against torch.autograd's Jacobian of the spec interpreter's step
(float64), and the vanishing/exploding profile over T = 1..200 steps from the exported NumPy module.

The profile is ||(J_T ⋯ J_1)ᵀ u|| for a random unit vector u over all states, with the weights a fresh layer has
(the spec's `init`, else uniform in ±1/sqrt(hidden size)) and inputs from their domains: how much of a gradient that reaches the last state
survives back to the first. Reported as the median over seeds and sequences, with the quartiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..derive.derived import Derived
from ..derive.flow import V, Block, Flow
from .interpret import NumericInterpreter
from .loader import numpy_module
from .domains import draw, hull
from .sampling import concrete_sizes, random_params

STEPS = (1, 2, 5, 10, 20, 50, 100, 200)
TOLERANCE = 1e-10


def _point(derived: Derived, sizes: dict[str, int], seed: int):
    cell = derived.cell
    rng = np.random.default_rng(seed)
    params = random_params(cell, sizes, rng)
    inputs = {i.name: hull(i.domain, rng, tuple(sizes[s] for s in i.shape)) for i in cell.inputs}
    prev = {s.name: rng.normal(size=tuple(sizes[d] for d in s.shape)) * 0.5 for s in cell.states}
    return params, inputs, prev


def block_matrix(interpreter: NumericInterpreter, block: Block, env: dict, sizes: dict[str, int], cell) -> np.ndarray:
    """J_ij as a dense matrix (rows: units of state i, columns: units of state j), from its adjoint form."""
    row = tuple(sizes[d] for d in _state(cell, block.row).shape)
    col = tuple(sizes[d] for d in _state(cell, block.col).shape)
    out = np.zeros((int(np.prod(row)), int(np.prod(col))))
    if block.zero:
        return out
    for k in range(out.shape[0]):
        unit = np.zeros(out.shape[0])
        unit[k] = 1.0
        local = dict(env)
        local[V.name] = unit.reshape(row)
        out[k] = np.broadcast_to(interpreter.evaluate(block.adjoint, local, len(col)), col).reshape(-1)
    return out


def chain_matrix(interpreter: NumericInterpreter, block: Block, env: dict, sizes: dict[str, int]) -> np.ndarray | None:
    """J_ij from its printed chains (diag(a) M ...), or None when the block has no chain form."""
    if block.chains is None:
        return None
    cell = interpreter.cell
    shape = tuple(sizes[d] for d in _state(cell, block.row).shape)
    rows = int(np.prod(shape))
    total = None
    for chain in block.chains:
        product = None
        for factor in chain:
            if factor.kind == "diag":
                value = np.asarray(interpreter.evaluate(factor.coef, env), dtype=float).reshape(-1)
                if 1 < value.size < rows:  # a gate vector on a matrix state applies along its rows: diag(a) S
                    value = np.broadcast_to(value.reshape((-1,) + (1,) * (len(shape) - 1)), shape).reshape(-1)
                matrix = np.diag(value) if value.size > 1 else value.reshape(1, 1)
            else:
                matrix = interpreter.matrix(factor.matrix, env)
                matrix = matrix.T if factor.transposed else matrix
            product = matrix if product is None else _times(product, matrix)
        if product.shape == (1, 1) and rows > 1:
            product = product[0, 0] * np.eye(rows)
        total = product if total is None else total + product
    return total


def _times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape == (1, 1):
        return a[0, 0] * b
    if b.shape == (1, 1):
        return a * b[0, 0]
    return a @ b


@dataclass(frozen=True)
class BlockCheck:
    row: str
    col: str
    autograd_error: float
    chain_error: float | None


def check_blocks(derived: Derived, seed: int = 0, sizes: dict[str, int] | None = None) -> list[BlockCheck]:
    """Every block, from its adjoint form and its chains, against torch.autograd.functional.jacobian of one step
    of the spec interpreter (float64)."""
    import torch

    from .torch_spec import SpecInterpreter

    cell = derived.cell
    sizes = sizes or concrete_sizes(cell, seed, 2, 4)
    params, inputs, prev = _point(derived, sizes, seed)
    interpreter = NumericInterpreter(cell, sizes)
    env = interpreter.forward_step(params, inputs, prev)
    flow = Flow(derived)
    spec = SpecInterpreter(cell, {k: torch.tensor(v) for k, v in params.items()}, sizes)
    t_inputs = {k: torch.tensor(v)[None] for k, v in inputs.items()}
    out = []
    for block in flow.blocks:
        col_shape = tuple(sizes[d] for d in _state(cell, block.col).shape)
        row_shape = tuple(sizes[d] for d in _state(cell, block.row).shape)

        def step(value, block=block):
            state = {k: torch.tensor(v)[None] for k, v in prev.items()}
            state[block.col] = value.reshape((1,) + col_shape)
            result = spec.step(t_inputs, state)[block.row].tensor
            return result.expand((1,) + row_shape).reshape(-1)

        reference = torch.autograd.functional.jacobian(step, torch.tensor(prev[block.col]).reshape(-1)).numpy()
        ours = block_matrix(interpreter, block, env, sizes, cell)
        chains = chain_matrix(interpreter, block, env, sizes)
        scale = max(1.0, float(np.max(np.abs(reference))))
        out.append(BlockCheck(block.row, block.col, float(np.max(np.abs(ours - reference))) / scale,
                              None if chains is None else float(np.max(np.abs(chains - reference))) / scale))
    return out


@dataclass(frozen=True)
class Profile:
    steps: tuple[int, ...]
    median: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    sizes: dict

    def at(self, steps: int) -> float:
        return self.median[self.steps.index(steps)]


def initial_params(module, sizes: dict[str, int], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The parameters as a fresh layer has them: the exported module's init, which follows the spec's `init` and is
    uniform in ±1/sqrt(hidden size) elsewhere, as torch.nn's recurrent layers initialise theirs."""
    return module.init(sizes, rng, np.float64)


def profile(derived: Derived, sizes: dict[str, int], steps: tuple[int, ...] = STEPS, seeds: int = 3,
            batch: int = 4) -> Profile:
    """The gradient norm surviving T steps, for each T in `steps` (median and quartiles over seeds x batch)."""
    cell = derived.cell
    module = numpy_module(derived)
    norms = {t: [] for t in steps}
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        params = initial_params(module, sizes, rng)
        longest = max(steps)
        xs = draw(cell.inputs[0].domain, rng, (longest, batch) + tuple(sizes[s] for s in cell.inputs[0].shape))
        side = {i.name: draw(i.domain, rng, (longest, batch) + tuple(sizes[s] for s in i.shape)) for i in cell.side_inputs}
        units = {s.name: rng.normal(size=(batch,) + tuple(sizes[d] for d in s.shape)) for s in cell.states}
        total = np.sqrt(sum(np.sum(u.reshape(batch, -1) ** 2, axis=1) for u in units.values()))
        units = {k: u / total.reshape((batch,) + (1,) * (u.ndim - 1)) for k, u in units.items()}
        for t in steps:
            ys, _, cache = module.forward(params, xs[:t], None, {k: v[:t] for k, v in side.items()} or None)
            grads = module.backward(params, cache, np.zeros_like(ys), units)
            state0 = grads[2] if isinstance(grads, tuple) else grads.state0
            norm = np.sqrt(sum(np.sum(np.asarray(v).reshape(batch, -1) ** 2, axis=1) for v in state0.values()))
            norms[t].extend(norm.tolist())
    median = tuple(float(np.median(norms[t])) for t in steps)
    low = tuple(float(np.percentile(norms[t], 25)) for t in steps)
    high = tuple(float(np.percentile(norms[t], 75)) for t in steps)
    return Profile(tuple(steps), median, low, high, dict(sizes))


def profile_sizes(cell) -> dict[str, int]:
    """Sizes for the profile: n = 32 and m = 16 where the cell has them, small maps for convolutions."""
    sizes = cell.size_rules.reference_sizes()
    small = {"n": 32, cell.input_size: 16, "C": 2, "F": 4, "H": 5, "W": 5, "k": 3}
    trial = {k: small.get(k, min(v, 8)) for k, v in sizes.items()}
    try:
        cell.size_rules.check(trial)
        return trial
    except Exception:
        return cell.size_rules.verify_sizes()


def _state(cell, name: str):
    return next(s for s in cell.states if s.name == name)
