"""Which quantities of a cell are gates, read off its equations: a gate is a quantity its equations keep within
[0, 1] (a sigmoid, a decay exp(-relu(...)), a time gate), found by interval arithmetic over the functions' ranges,
the constants and the inputs' declared domains. A worked example is chosen so that no gate is stuck: all its
units within STUCK of 0 or of 1 (closed or saturated everywhere, so it never acts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import sympy

from ..model.cell import Cell
from ..model.function_classes import ElementwiseBase
from ..model.piecewise import Mod
from ..model.ir import Elementwise, Reduction

Interval = tuple[float, float]
REAL: Interval = (-math.inf, math.inf)
#: How far outside [0, 1] a gate's range may reach (phased LSTM's time gate leaks alpha * phi past it).
SLACK = 0.01
#: A gate is stuck when every unit is this close to 0 or to 1.
STUCK = 1e-3


def _safe(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(x: float) -> float:
        try:
            return f(x)
        except (OverflowError, ValueError):
            return math.inf if x > 0 else -math.inf
    return g


def _sigmoid(x: float) -> float:
    return 0.0 if x == -math.inf else 1.0 if x == math.inf else 0.5 * (1.0 + math.tanh(0.5 * x))


#: Non-decreasing functions: the range is the function at the ends.
MONOTONE: dict[str, Callable[[float], float]] = {
    "sigmoid": _sigmoid, "tanh": math.tanh, "relu": lambda x: max(x, 0.0), "exp": _safe(math.exp),
    "log": lambda x: -math.inf if x <= 0 else (math.inf if x == math.inf else math.log(x)),
    "sqrt": lambda x: math.sqrt(max(x, 0.0)), "softplus": lambda x: x if x > 30 else math.log1p(math.exp(x)),
    "hard_sigmoid": lambda x: min(1.0, max(0.0, x / 6 + 0.5)), "hard_tanh": lambda x: min(1.0, max(-1.0, x)),
    "softsign": lambda x: math.copysign(1.0, x) if math.isinf(x) else x / (1 + abs(x)),
    "elu": lambda x: x if x > 0 else (-1.0 if x == -math.inf else math.expm1(x)),
    "floor": lambda x: x if math.isinf(x) else float(math.floor(x)), "step": lambda x: 1.0 if x > 0 else 0.0,
    "sign": lambda x: float((x > 0) - (x < 0)),
}


def _times(a: float, b: float) -> float:
    return 0.0 if a == 0 or b == 0 else a * b


def _product(a: Interval, b: Interval) -> Interval:
    ends = [_times(x, y) for x in a for y in b]
    return (min(ends), max(ends))


def _sum(parts: list[Interval]) -> Interval:
    low = -math.inf if any(p[0] == -math.inf for p in parts) else sum(p[0] for p in parts)
    high = math.inf if any(p[1] == math.inf for p in parts) else sum(p[1] for p in parts)
    return (low, high)


class Ranges:
    """The interval every quantity of a cell can take, whatever its parameters and previous states."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.known: dict[str, Interval] = {i.name: i.domain.bounds for i in cell.inputs}
        self.known.update({s.previous: (0.0, math.inf) if s.positive else REAL for s in cell.states})
        self.known.update({k: (float(v), float(v)) for k, v in cell.constants.items()})

    def of_key(self, key: str) -> Interval:
        if key not in self.known:
            node = self.cell.node(key) if self.cell.has_node(key) else None
            if isinstance(node, Elementwise) or (isinstance(node, Reduction) and node.mean):
                self.known[key] = self.of(node.expr)
            else:
                self.known[key] = REAL
        return self.known[key]

    def of(self, expr: sympy.Expr) -> Interval:
        if expr.is_Number:
            return (float(expr), float(expr))
        if expr.is_Symbol:
            return self.of_key(expr.name)
        if expr.is_Add:
            return _sum([self.of(a) for a in expr.args])
        if expr.is_Mul:
            return self._mul(list(expr.args))
        if expr.is_Pow and expr.exp.is_Number:
            return self._pow(self.of(expr.base), float(expr.exp))
        if isinstance(expr, ElementwiseBase):
            return self._call(expr.spec_name, [self.of(a) for a in expr.args])
        return REAL

    def _mul(self, factors: list[sympy.Expr]) -> Interval:
        """A product; mod(a, b) / b is in [0, 1) whatever b (mod takes the sign of its divisor)."""
        result: Interval = (1.0, 1.0)
        for f in list(factors):
            if isinstance(f, Mod) and (1 / f.args[1]) in factors and f in factors:
                factors.remove(f)
                factors.remove(1 / f.args[1])
                result = _product(result, (0.0, 1.0))
        for f in factors:
            result = _product(result, self.of(f))
        return result

    @staticmethod
    def _pow(base: Interval, exponent: float) -> Interval:
        low, high = base
        if exponent.is_integer() and exponent > 0:
            ends = [low ** exponent, high ** exponent]
            if exponent % 2 == 0 and low < 0 < high:
                return (0.0, max(ends))
            return (min(ends), max(ends))
        if exponent < 0 and (low > 0 or high < 0):
            inverse = sorted([1 / high if high != math.inf else 0.0, 1 / low if low != -math.inf else 0.0])
            return Ranges._pow((inverse[0], inverse[1]), -exponent) if exponent != -1 else (inverse[0], inverse[1])
        if exponent > 0 and low >= 0:
            return (low ** exponent, high ** exponent)
        return REAL

    @staticmethod
    def _call(name: str, args: list[Interval]) -> Interval:
        if name in MONOTONE:
            f = MONOTONE[name]
            return (f(args[0][0]), f(args[0][1]))
        if name == "where":
            return (min(args[1][0], args[2][0]), max(args[1][1], args[2][1]))
        (low, high), other = args[0], (args[1] if len(args) > 1 else REAL)
        if name == "abs":
            return (low, high) if low >= 0 else ((-high, -low) if high <= 0 else (0.0, max(-low, high)))
        if name in ("sin", "cos"):
            return (-1.0, 1.0)
        if name in ("max", "min"):
            pick = max if name == "max" else min
            return (pick(low, other[0]), pick(high, other[1]))
        if name == "mod":
            return (0.0, other[1]) if other[0] > 0 else ((other[0], 0.0) if other[1] < 0 else REAL)
        if name == "leaky_relu" and other[0] >= 0:
            return (min(low, _times(other[0], low)), max(high, _times(other[1], high)))
        return REAL


@dataclass(frozen=True)
class Gate:
    """A gate: the node it is (or is inside of), and its expression in the node's symbols."""

    node: str
    expr: sympy.Expr
    whole: bool

    @property
    def label(self) -> str:
        return self.node if self.whole else f"{self.node}: {self.expr}"


def _learned(cell: Cell, expr: sympy.Expr) -> bool:
    """Whether the expression reads a parameter, a state or a quantity made from them (not only inputs)."""
    plain = {i.name for i in cell.inputs} | set(cell.constants)
    return any(s.name not in plain for s in expr.free_symbols)


def _bounded(interval: Interval) -> bool:
    return -SLACK <= interval[0] and interval[1] <= 1 + SLACK


def gates(cell: Cell) -> list[Gate]:
    """Every gate of the cell, in graph order: whole elementwise quantities bounded in [0, 1], and the function
    calls inside the other quantities that are (janet's sigmoid(s) in its cell update), each once; a remainder
    mod(a, 1) is a phase, not a gate."""
    ranges, out, seen = Ranges(cell), [], set()
    for node in cell.nodes:
        if not isinstance(node, Elementwise) or node.expr.is_Number or not _learned(cell, node.expr):
            continue
        if _bounded(ranges.of_key(node.key)):
            out.append(Gate(node.key, node.expr, True))
            seen.add(node.expr)
            continue
        for sub in sympy.preorder_traversal(node.expr):
            call = isinstance(sub, ElementwiseBase) and not isinstance(sub, Mod)  # a remainder is a phase, not a gate
            if call and sub not in seen and _learned(cell, sub) and _bounded(ranges.of(sub)):
                seen.add(sub)
                out.append(Gate(node.key, sub, False))
    return out


def stuck(values) -> bool:
    """Closed or saturated at every unit: each value within STUCK of 0 or of 1."""
    import numpy as np

    flat = np.asarray(values, dtype=float).reshape(-1)
    return bool(np.all((np.abs(flat) <= STUCK) | (np.abs(flat - 1.0) <= STUCK)))
