"""Parallel-scan forms: states whose update is s_t = a_t ⊙ s_{t-1} + b_t, with a_t and b_t independent of
every state not yet known for all steps.

States are resolved in turn. A state that reads no previous state at all (QRNN's remembered input) is known
for every step at once (a_t = 0). A state linear in its own previous value, whose a_t and b_t read only inputs
and states resolved before it, is known for every step by one linear scan over (a_t, b_t):
(a, b) ∘ (a', b') = (a a', a' b + b'), an associative operator, so the T steps take O(log T) rounds.
States that are linear only together (LRU's real and imaginary parts, a rotation) resolve as a group: per unit,
s_t = A_t s_{t-1} + b_t with a k x k block A_t, scanned with (A, b) ∘ (A', b') = (A' A, A' b + b'). A state
that resolves alone is never put in a group. When every state resolves, the forward pass runs without a loop
over time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..model.ir import Elementwise
from ..model.select import Where, as_indicator_sum
from .flow import tidy


@dataclass(frozen=True)
class LinearState:
    """s_t = a ⊙ s_{t-1} + b, resolved in round `order` (a = 0: the state reads no previous state)."""

    state: str
    previous: str
    a: sympy.Expr
    b: sympy.Expr
    order: int


@dataclass(frozen=True)
class LinearGroup:
    """Per unit, s_t = A s_{t-1} + b for the states' vector s: a[i][j] = d state_i / d previous_j, resolved in
    round `order`."""

    states: tuple[str, ...]
    previous: tuple[str, ...]
    a: tuple[tuple[sympy.Expr, ...], ...]
    b: tuple[sympy.Expr, ...]
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
    def resolved(self) -> tuple[LinearState | LinearGroup, ...]:
        """Single states and groups in the rounds they resolve (singles first within a round)."""
        resolved: list[LinearState | LinearGroup] = []
        remaining = [s for s in self.cell.states]
        order = 0
        while remaining:
            known = {p for r in resolved for p in _previous_names(r)}
            found: list[LinearState | LinearGroup] = [
                ls for ls in (self._linear(s, known, order) for s in remaining) if ls is not None]
            single = {ls.state for ls in found}
            for group in self._coupled([s for s in remaining if s.name not in single], known):
                block = self._block(group, known, order)
                if block is not None:
                    found.append(block)
            if not found:
                break
            resolved += found
            names = {n for r in found for n in _state_names(r)}
            remaining = [s for s in remaining if s.name not in names]
            order += 1
        return tuple(resolved)

    @property
    def states(self) -> tuple[LinearState, ...]:
        """The states that resolve one at a time, s_t = a ⊙ s_{t-1} + b."""
        return tuple(r for r in self.resolved if isinstance(r, LinearState))

    @property
    def groups(self) -> tuple[LinearGroup, ...]:
        """The states that resolve only together, with a k x k block per unit."""
        return tuple(r for r in self.resolved if isinstance(r, LinearGroup))

    @property
    def parallel(self) -> bool:
        """Every state resolves: the forward pass needs no loop over time."""
        return len(self.linear_names) == len(self.cell.states)

    @property
    def linear_names(self) -> list[str]:
        return [n for r in self.resolved for n in _state_names(r)]

    def _coupled(self, remaining, known: set[str]) -> list[list]:
        """The groups of two or more remaining states that read each other's previous values, directly or in a
        cycle (strongly connected), with equal shapes; each in the cell's state order."""
        prev_of = {s.name: s.previous for s in remaining}
        reads = {s.name: {n for n, p in prev_of.items() if p in self.depends.get(s.name, frozenset())} for s in remaining}
        reach = {n: set(r) for n, r in reads.items()}
        for _ in remaining:
            for n in reach:
                reach[n] |= {m for r in list(reach[n]) for m in reach[r]}
        groups, seen = [], set()
        for s in remaining:
            members = [t for t in remaining if t.name == s.name or (t.name in reach[s.name] and s.name in reach[t.name])]
            if len(members) > 1 and s.name not in seen and len({tuple(t.shape) for t in members}) == 1:
                groups.append(members)
            seen |= {t.name for t in members}
        return groups

    def _block(self, group, known: set[str], order: int) -> LinearGroup | None:
        """The group as s_t = A s_{t-1} + b when every state of it is jointly linear in the group's previous
        values, with A and b reading no previous value still unknown."""
        prevs = [s.previous for s in group]
        symbols = [sympy.Symbol(p) for p in prevs]
        unknown = set(self.cell.state_of_previous) - known
        rows, offsets = [], []
        for state in group:
            node = self.cell.node(state.name)
            start = node.expr if isinstance(node, Elementwise) else sympy.Symbol(state.name)
            expr = self._inline(start, prevs[0], unknown - {prevs[0]})
            if expr is None:
                return None
            row = [sympy.expand(sympy.diff(expr, p)) for p in symbols]
            b = sympy.expand(expr - sum(a * p for a, p in zip(row, symbols)))
            if any(b.has(p) for p in symbols):
                b = _affine_rest(expr, row, symbols)
            if b is None:
                return None
            reads = set().union(b.free_symbols, *(a.free_symbols for a in row))
            if any(str(x) in unknown for x in reads):
                return None
            rows.append(tuple(tidy(a) if a != 0 else a for a in row))
            offsets.append(tidy(b) if b != 0 else b)
        return LinearGroup(tuple(s.name for s in group), tuple(prevs), tuple(rows), tuple(offsets), order)

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
        if b.has(symbol):
            b = _affine_rest(expr, [a], [symbol])
        if b is None or any(str(s) in unknown for s in (a.free_symbols | b.free_symbols)):
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


def _affine_rest(expr: sympy.Expr, coefficients, symbols) -> sympy.Expr | None:
    """expr at symbols = 0, when expr = Σ coefficient * symbol + that rest through a select: where(c, u, v) is
    c u + (1 - c) v for a 0/1 indicator c, so the identity is checked with c a free symbol (both branches at once).
    None when it does not hold."""
    rest = expr.xreplace({s: 0 for s in symbols})
    if not expr.has(Where):
        return None
    indicator: dict = {}
    gap = as_indicator_sum(expr, indicator) - as_indicator_sum(rest, indicator) - sum(
        as_indicator_sum(a, indicator) * s for a, s in zip(coefficients, symbols))
    return rest if sympy.expand(gap) == 0 else None


def _state_names(r: LinearState | LinearGroup) -> tuple[str, ...]:
    return r.states if isinstance(r, LinearGroup) else (r.state,)


def _previous_names(r: LinearState | LinearGroup) -> tuple[str, ...]:
    return r.previous if isinstance(r, LinearGroup) else (r.previous,)


def _reads(node) -> list[str]:
    expr = getattr(node, "expr", None)
    if expr is not None:
        return [s.name for s in expr.free_symbols]
    return list(getattr(node, "args", ()))


def scan_form(derived) -> ScanForm:
    return ScanForm(derived)
