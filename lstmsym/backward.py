"""Reverse mode over a cell's equation graph, at vector level: one step's adjoint equations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

import sympy

from .cell import Cell
from .ir import MatTVec, Outer, SumUnits, Transposed
from .lower import CellNode
from .notation import adjoint_name, incoming_name

S = sympy.Symbol


@dataclass(frozen=True)
class Statement:
    """target = expr for one step. kind: 'node' (an intermediate adjoint), 'carry' (adjoint of a previous
    state, handed to step t-1), 'input' (adjoint of the input), 'matrix' (adjoint of a matrix node, this
    step), 'param' (this step's contribution to a parameter gradient)."""

    target: str
    expr: sympy.Expr
    kind: str
    of: str

    @property
    def symbol(self) -> sympy.Symbol:
        return S(self.target)


@dataclass(frozen=True)
class Use:
    """`consumer` reads `name`; the local partial derivative, written with forward quantities."""

    consumer: str
    partial: sympy.Expr


class Backward:
    """The one-step backward equations of a cell, derived once for symbolic sizes."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.uses: dict[str, list[Use]] = defaultdict(list)
        self.adjoint: dict[str, sympy.Expr] = {}
        self.statements: list[Statement] = []
        self._local_partials()
        self._derive()

    # -- local derivatives -------------------------------------------------------
    @cached_property
    def rewrites(self) -> dict[sympy.Expr, sympy.Symbol]:
        """Subexpressions that equal a named forward quantity (sigma(f_bar) -> f)."""
        return {node.expr: node.symbol for node in self.cell.value_nodes if node.expr is not None and not node.expr.is_Symbol}

    def _local_partials(self) -> None:
        for node in self.cell.value_nodes:
            assert node.expr is not None
            for symbol in sorted(node.expr.free_symbols, key=lambda s: s.name):
                partial = sympy.diff(node.expr, symbol).xreplace(self.rewrites)
                if partial != 0:
                    self.uses[symbol.name].append(Use(node.name, partial))

    @cached_property
    def incoming(self) -> tuple[str, ...]:
        """Adjoints given to a step: one per state, and per output that is not a state."""
        names = [s.name for s in self.cell.states] + [o for o in self.cell.outputs if o not in {s.name for s in self.cell.states}]
        return tuple(incoming_name(n) for n in names)

    # -- reverse sweep -----------------------------------------------------------
    def contribution(self, name: str, use: Use) -> sympy.Expr:
        upstream = self.adjoint[use.consumer] * use.partial
        consumer_vector = len(self.cell.shapes[use.consumer]) == 1
        mine_vector = len(self.cell.shapes.get(name, ("?",))) == 1 or name in self.cell.linear
        return SumUnits(upstream) if consumer_vector and not mine_vector else upstream

    def linear_adjoint(self, key: str) -> sympy.Expr:
        return sympy.Add(*[self.contribution(key, use) for use in self.uses[key]])

    def gather(self, name: str) -> sympy.Expr:
        terms = [self.contribution(name, use) for use in self.uses[name]]
        for key, term in self.cell.linear.items():
            if term.vector == name:
                terms.append(MatTVec(S(term.matrix), self.linear_adjoint(key)))
        if name in self.cell.outputs or name in {s.name for s in self.cell.states}:
            terms.insert(0, S(incoming_name(name)))
        return sympy.Add(*terms)

    def _derive(self) -> None:
        for node in reversed(self.cell.value_nodes):
            total = self.gather(node.name)
            if total.is_Symbol:
                self.adjoint[node.name] = total
                continue
            self.adjoint[node.name] = S(adjoint_name(node.name))
            self.statements.append(Statement(adjoint_name(node.name), total, "node", node.name))
        for state in self.cell.states:
            self._leaf(state.previous, "carry")
        self._leaf(self.cell.input, "input")
        self._matrices()
        self._parameters()

    def _leaf(self, name: str, kind: str) -> None:
        total = self.gather(name)
        self.adjoint[name] = S(adjoint_name(name))
        self.statements.append(Statement(adjoint_name(name), total, kind, name))

    def matrix_gradient(self, name: str) -> sympy.Expr:
        """Sum of outer products from every term `name @ u`, plus what matrix nodes pass down."""
        terms = [Outer(self.linear_adjoint(key), S(t.vector)) for key, t in self.cell.linear.items() if t.matrix == name]
        for node in self.cell.matrix_nodes:
            for term in node.terms:
                if term.source == name:
                    upstream = S(adjoint_name(node.name))
                    terms.append(term.coef * (Transposed(upstream) if term.transposed else upstream))
        return sympy.Add(*terms)

    def _matrices(self) -> None:
        for node in reversed(self.cell.matrix_nodes):
            self.statements.append(Statement(adjoint_name(node.name), self.matrix_gradient(node.name), "matrix", node.name))

    def _parameters(self) -> None:
        for param in self.cell.parameters:
            if param.kind == "matrix":
                total = self.matrix_gradient(param.name)
            else:
                total = sympy.Add(*[self.contribution(param.name, use) for use in self.uses[param.name]])
            self.statements.append(Statement(adjoint_name(param.name), total, "param", param.name))

    # -- views -------------------------------------------------------------------
    def by_kind(self, *kinds: str) -> list[Statement]:
        return [s for s in self.statements if s.kind in kinds]

    def statement(self, target: str) -> Statement:
        return next(s for s in self.statements if s.target == target)

    def node_of(self, name: str) -> CellNode:
        return self.cell.node(name)
