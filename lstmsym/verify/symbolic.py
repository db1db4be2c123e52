"""Symbolic check: at explicit small sizes, SymPy differentiates the unrolled loss directly, and the derived
statements (the very objects `grad` prints), evaluated at those sizes, must give the same gradient. Compared
at a random rational point in 40-digit arithmetic."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import sympy

from ..derive.derived import Derived
from .direct import DirectDerivative
from .interpret import SymbolicInterpreter
from .sampling import param_shape, unit_shape

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


def _in_domain(value: sympy.Rational, domain) -> sympy.Rational:
    """A drawn value moved into an input's declared domain (its hull, as the numeric checks draw): a positive time
    gap stays positive, so log(dt) is defined (a signed draw left every point outside log's domain)."""
    low, high = domain.bounds
    unit = (value + 1) / 2 * sympy.Rational(62, 64) + sympy.Rational(1, 64)  # in (0, 1)
    if low == -math.inf and high == math.inf:
        return value
    if high == math.inf:
        return sympy.Rational(low) + 2 * unit
    return sympy.Rational(low) + unit * (sympy.Rational(high) - sympy.Rational(low))


class Unrolled:
    """Symbols for every parameter, input and initial-state entry, and a point to evaluate at."""

    def __init__(self, derived: Derived, sizes: dict[str, int], steps: int, rng: random.Random) -> None:
        cell = derived.cell
        self.cell, self.sizes, self.steps = cell, sizes, steps
        self.symbols: list[sympy.Symbol] = []
        self.params = {p.name: self.tensor(p.name, param_shape(cell, p.name, sizes)) for p in cell.parameters}
        self.xs = [{i.name: self.tensor(f"{i.name}{t}", unit_shape(i.shape, sizes)) for i in cell.inputs} for t in range(steps)]
        self.domains = {entry: i.domain for step in self.xs for i in cell.inputs for entry in np.ravel(step[i.name])}
        self.initial = {s.name: self.tensor(f"{s.name}0", unit_shape(s.shape, sizes)) for s in cell.states}
        self.point = {s: self.value(s, rng) for s in self.symbols}
        self.dys = [{o: self.weights(cell.shapes[o], rng) for o in cell.outputs} for _ in range(steps)]
        self.dstate = {s.name: self.weights(s.shape, rng) for s in cell.states}

    def weights(self, shape: tuple[str, ...], rng: random.Random) -> np.ndarray:
        dims = unit_shape(shape, self.sizes)
        return np.array([_rational(rng) for _ in range(int(np.prod(dims)))], dtype=object).reshape(dims)

    def value(self, symbol: sympy.Symbol, rng: random.Random) -> sympy.Rational:
        fan = max(1, self.sizes.get(self.cell.input_size, 1))
        value = _rational(rng, 1 if not symbol.name[0].isupper() else fan)
        return _in_domain(value, self.domains[symbol]) if symbol in self.domains else value

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        entries = [sympy.Symbol(f"{name}[{','.join(map(str, index))}]") for index in np.ndindex(shape)] if shape \
            else [sympy.Symbol(name)]
        self.symbols.extend(entries)
        return np.array(entries, dtype=object).reshape(shape)

    def loss(self, interpreter: SymbolicInterpreter) -> sympy.Expr:
        """sum_t dys_t . y_t + sum_s dstate_s . s_T, with every entry a symbol."""
        envs = interpreter.run_forward(self.params, self.xs, self.initial)
        total = sympy.S.Zero
        for t, env in enumerate(envs):
            for o in self.cell.outputs:
                total += sympy.Add(*np.ravel(self.dys[t][o] * np.asarray(env[o], dtype=object)))
        for s in self.cell.states:
            total += sympy.Add(*np.ravel(self.dstate[s.name] * np.asarray(envs[-1][s.name], dtype=object)))
        return total

    def numeric(self, value: np.ndarray) -> np.ndarray:
        floats = {s: sympy.Float(v, DIGITS) for s, v in self.point.items()}
        return np.vectorize(lambda e: sympy.sympify(e).xreplace(floats), otypes=[object])(value)


def symbolic_check(derived: Derived, sizes: dict[str, int] | None = None, steps: int = 2, seed: int = 0) -> SymbolicResult:
    cell = derived.cell
    rng = random.Random(seed)
    sizes = sizes or cell.size_rules.verify_sizes()
    interpreter = SymbolicInterpreter(cell, sizes)
    problem = Unrolled(derived, sizes, steps, rng)
    loss = problem.loss(interpreter)
    floats = {s: sympy.Float(v, DIGITS) for s, v in problem.point.items()}
    engine = DirectDerivative(floats)
    direct = {s: engine.value(engine.derivative(loss, s)) for s in problem.symbols}

    params = {k: problem.numeric(v) for k, v in problem.params.items()}
    xs = [{k: problem.numeric(v) for k, v in step.items()} for step in problem.xs]
    initial = {k: problem.numeric(v) for k, v in problem.initial.items()}
    envs = interpreter.run_forward(params, xs, initial)
    derived_grads = interpreter.run_backward(derived, envs, problem.dys, problem.dstate)

    pairs = []
    for p in cell.parameters:
        value = derived_grads["params"].get(p.name, 0)
        pairs += list(zip(np.ravel(problem.params[p.name]), np.ravel(np.broadcast_to(np.asarray(value, dtype=object), problem.params[p.name].shape))))
    for t in range(steps):
        for item in cell.inputs:
            grad = np.broadcast_to(np.asarray(derived_grads["inputs"][item.name][t], dtype=object), problem.xs[t][item.name].shape)
            pairs += list(zip(np.ravel(problem.xs[t][item.name]), np.ravel(grad)))
    for s in cell.states:
        grad = np.broadcast_to(np.asarray(derived_grads["state0"][s.name], dtype=object), problem.initial[s.name].shape)
        pairs += list(zip(np.ravel(problem.initial[s.name]), np.ravel(grad)))
    worst, where, nonzero = sympy.S.Zero, "", 0
    for symbol, value in pairs:
        exact = direct[symbol]
        nonzero += bool(abs(sympy.N(exact, DIGITS)) > sympy.Float("1e-30"))
        error = abs(sympy.N(sympy.sympify(value) - exact, DIGITS)) / max(1, abs(sympy.N(exact, DIGITS)))
        if error > worst:
            worst, where = error, symbol.name
    return SymbolicResult(cell.name, sizes, steps, len(pairs), float(worst), where, int(nonzero))
