"""Parallel-scan forms: states whose update is s_t = a_t ⊙ s_{t-1} + b_t, with a_t and b_t independent of
every state not yet known for all steps.

States are resolved in turn. A state that reads no previous state at all (QRNN's remembered input) is known
for every step at once (a_t = 0). A state linear in its own previous value, whose a_t and b_t read only inputs
and states resolved before it, is known for every step by one linear scan over (a_t, b_t):
(a, b) ∘ (a', b') = (a a', a' b + b'), an associative operator, so the T steps take O(log T) rounds.
When every state resolves, the whole forward pass runs without a loop over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..model.ir import Elementwise
from .flow import tidy


@dataclass(frozen=True)
class LinearState:
    """s_t = a ⊙ s_{t-1} + b, resolved in round `order` (a = 0: the state reads no previous state)."""

    state: str
    previous: str
    a: sympy.Expr
    b: sympy.Expr
    order: int


class ScanForm:
    """Which states of a cell have a parallel-scan form, and in what order they resolve."""

    def __init__(self, derived) -> None:
        self.derived, self.cell = derived, derived.cell

    @cached_property
    def depends(self) -> dict[str, frozenset[str]]:
        """For each quantity, the previous states it reads, directly or through other quantities."""
        prevs = set(self.cell.state_of_previous)
        out: dict[str, frozenset[str]] = {}
        for node in self.cell.nodes:
            reads = _reads(node)
            found = {r for r in reads if r in prevs}
            for r in reads:
                found |= out.get(r, frozenset())
            out[node.key] = frozenset(found)
        return out

    @cached_property
    def states(self) -> tuple[LinearState, ...]:
        resolved: list[LinearState] = []
        remaining = [s for s in self.cell.states]
        order = 0
        while remaining:
            known = {r.previous for r in resolved}
            found = [ls for ls in (self._linear(s, known, order) for s in remaining) if ls is not None]
            if not found:
                break
            resolved += found
            names = {ls.state for ls in found}
            remaining = [s for s in remaining if s.name not in names]
            order += 1
        return tuple(resolved)

    @property
    def parallel(self) -> bool:
        """Every state resolves: the forward pass needs no loop over time."""
        return len(self.states) == len(self.cell.states)

    @property
    def linear_names(self) -> list[str]:
        return [ls.state for ls in self.states]

    def _linear(self, state, known: set[str], order: int) -> LinearState | None:
        prev = state.previous
        unknown = set(self.cell.state_of_previous) - known - {prev}
        node = self.cell.node(state.name)
        start = node.expr if isinstance(node, Elementwise) else sympy.Symbol(state.name)
        expr = self._inline(start, prev, unknown)
        if expr is None:
            return None
        symbol = sympy.Symbol(prev)
        a = sympy.expand(sympy.diff(expr, symbol))
        if a.has(symbol):
            return None
        b = sympy.expand(expr - a * symbol)
        if b.has(symbol) or any(str(s) in unknown for s in (a.free_symbols | b.free_symbols)):
            return None
        return LinearState(state.name, prev, tidy(a) if a != 0 else a, tidy(b) if b != 0 else b, order)

    def _inline(self, expr: sympy.Expr, prev: str, unknown: set[str]) -> sympy.Expr | None:
        """expr with every quantity that reads `prev` (or an unknown previous state) replaced by its definition;
        None when such a quantity is not elementwise (a product by a matrix mixes the units)."""
        for _ in range(len(self.cell.nodes) + 1):
            changed = False
            subs = {}
            for symbol in expr.free_symbols:
                key = str(symbol)
                deps = self.depends.get(key)
                if deps is None or not (deps & ({prev} | unknown)):
                    continue
                node = self.cell.node(key)
                if not isinstance(node, Elementwise):
                    return None
                subs[symbol] = node.expr
                changed = True
            if not changed:
                return expr
            expr = expr.xreplace(subs)
        return None


def _reads(node) -> list[str]:
    expr = getattr(node, "expr", None)
    if expr is not None:
        return [s.name for s in expr.free_symbols]
    return list(getattr(node, "args", ()))


def scan_form(derived) -> ScanForm:
    return ScanForm(derived)
