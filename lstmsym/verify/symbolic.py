"""Symbolic check: at explicit small sizes, SymPy differentiates the unrolled loss directly, and the
derived vector formulas, instantiated at those sizes, must give the same gradient (compared at a random
rational point with 40 significant digits)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy

from ..backward import Backward
from ..cell import Cell
from .direct import DirectDerivative
from .interpret import run_backward, run_forward

DIGITS = 40
TOLERANCE = sympy.Float("1e-25")


@dataclass(frozen=True)
class SymbolicResult:
    cell: str
    sizes: dict
    steps: int
    checked: int
    max_error: float
    worst: str
    nonzero: int = 0

    @property
    def ok(self) -> bool:
        return self.max_error <= float(TOLERANCE)


def _rational(rng: random.Random, scale: int = 1) -> sympy.Rational:
    return sympy.Rational(rng.randint(-60, 60), 64 * scale)


class Unrolled:
    """Symbols for every parameter, input and initial-state entry, and a point to evaluate at."""

    def __init__(self, cell: Cell, sizes: dict[str, int], steps: int, rng: random.Random) -> None:
        self.cell, self.sizes, self.steps = cell, sizes, steps
        self.symbols: list[sympy.Symbol] = []
        self.params = {p.name: self.tensor(p.name, tuple(sizes[s] for s in p.shape)) for p in cell.parameters}
        self.xs = [self.tensor(f"x{t}", (sizes[cell.input_size],)) for t in range(steps)]
        self.initial = {s.name: self.tensor(f"{s.name}0", (sizes[s.size],)) for s in cell.states}
        self.point = {s: self.value(s, rng) for s in self.symbols}
        self.dys = [{o: [_rational(rng) for _ in range(sizes[cell.shapes[o][0]])] for o in cell.outputs} for _ in range(steps)]
        self.dstate = {s.name: [_rational(rng) for _ in range(sizes[s.size])] for s in cell.states}

    def value(self, symbol: sympy.Symbol, rng: random.Random) -> sympy.Rational:
        fan = max(1, self.sizes.get(self.cell.input_size, 1))
        return _rational(rng, 1 if not symbol.name[0].isupper() else fan)

    def tensor(self, name: str, shape: tuple[int, ...]):
        if len(shape) == 0:
            symbol = sympy.Symbol(name)
            self.symbols.append(symbol)
            return symbol
        if len(shape) == 1:
            entries = [sympy.Symbol(f"{name}[{i}]") for i in range(shape[0])]
            self.symbols.extend(entries)
            return entries
        matrix = sympy.Matrix(shape[0], shape[1], lambda i, j: sympy.Symbol(f"{name}[{i},{j}]"))
        self.symbols.extend(matrix)
        return matrix

    def loss(self) -> sympy.Expr:
        """sum_t dys_t . y_t + sum_s dstate_s . s_T, with every entry a symbol."""
        envs = run_forward(self.cell, self.params, self.xs, self.initial, self.sizes)
        total = sympy.S.Zero
        for t, env in enumerate(envs):
            for o in self.cell.outputs:
                total += sum(w * y for w, y in zip(self.dys[t][o], env[o]))
        for s in self.cell.states:
            total += sum(w * v for w, v in zip(self.dstate[s.name], envs[-1][s.name]))
        return total

    def numeric(self, value):
        floats = {s: sympy.Float(v, DIGITS) for s, v in self.point.items()}
        if isinstance(value, list):
            return [self.numeric(v) for v in value]
        return value.xreplace(floats)


def flatten(value) -> list:
    if isinstance(value, sympy.MatrixBase):
        return list(value)
    if isinstance(value, list):
        return [e for v in value for e in flatten(v)]
    return [value]


def symbolic_check(cell: Cell, sizes: dict[str, int] | None = None, steps: int = 2, seed: int = 0) -> SymbolicResult:
    rng = random.Random(seed)
    sizes = sizes or {name: (1 if name == "p" else 2) for name in cell.sizes}
    problem = Unrolled(cell, sizes, steps, rng)
    loss = problem.loss()
    floats = {s: sympy.Float(v, DIGITS) for s, v in problem.point.items()}
    engine = DirectDerivative(floats)
    direct = {s: engine.value(engine.derivative(loss, s)) for s in problem.symbols}

    params = {k: problem.numeric(v) for k, v in problem.params.items()}
    xs = [problem.numeric(x) for x in problem.xs]
    initial = {k: problem.numeric(v) for k, v in problem.initial.items()}
    envs = run_forward(cell, params, xs, initial, sizes)
    derived = run_backward(cell, Backward(cell), envs, problem.dys, problem.dstate)

    pairs = []
    for p in cell.parameters:
        pairs += list(zip(flatten(problem.params[p.name]), flatten(derived["params"][p.name])))
    for t in range(steps):
        pairs += list(zip(problem.xs[t], flatten(derived["xs"][t])))
    for s in cell.states:
        pairs += list(zip(problem.initial[s.name], flatten(derived["state0"][s.name])))
    worst, where, nonzero = sympy.S.Zero, "", 0
    for symbol, value in pairs:
        exact = direct[symbol]
        nonzero += bool(abs(sympy.N(exact, DIGITS)) > sympy.Float("1e-30"))
        error = abs(sympy.N(value - exact, DIGITS)) / max(1, abs(sympy.N(exact, DIGITS)))
        if error > worst:
            worst, where = error, symbol.name
    return SymbolicResult(cell.name, sizes, steps, len(pairs), float(worst), where, int(nonzero))
