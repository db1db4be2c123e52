"""Reverse mode over a cell's graph, at vector level: one step's adjoint statements.

These statements are the one derivation of the cell. `grad` prints them, the documents and gradient-flow
diagrams show them, the code generators turn them into code, and the symbolic check evaluates them; no
other path computes a gradient. The local rules live in RULES (elementwise and reductions through
SymPy's own derivatives, operators through their adjoints), which is also the seam tests patch."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import sympy

from ..model.along import ALONG, SPEC_OPERATORS
from ..model.cell import Cell
from ..model.function_classes import Log
from ..model.ir import Elementwise, Operator, Reduction
from ..model.select import fold_selects
from ..model.sizes import size_in_expr
from ..model.vector_ops import ADJOINTS, BlockOuter, ConvW, Outer, SumTrailing, SumUnits, transposed
from ..spec.naming import adjoint_key, incoming_key

S = sympy.Symbol
KINDS = ("node", "carry", "input", "param")


def size_factor(shape: tuple[str, ...]) -> sympy.Expr:
    """The number of units of a shape, written with the size symbols (for mean())."""
    return sympy.Mul(*[size_in_expr(s) for s in shape])


@dataclass(frozen=True)
class Statement:
    """target = expr for one step. kind 'node' (an intermediate adjoint), 'carry' (the adjoint of a previous
    state, handed to step t-1), 'input' (the adjoint of an input), 'param' (this step's contribution to a
    parameter gradient, summed over steps and sequences)."""

    target: str
    expr: sympy.Expr
    kind: str
    of: str

    @property
    def symbol(self) -> sympy.Symbol:
        return S(self.target)


@dataclass(frozen=True)
class Use:
    """`consumer` (elementwise or a reduction) reads a quantity; `partial` is the local derivative per unit."""

    consumer: str
    partial: sympy.Expr


def table_rule(cell: Cell, op: Operator, index: int, upstream: sympy.Expr) -> sympy.Expr:
    """y = matvec, tmatvec, outer or conv of its operands: the adjoint rule of the operator's entry in
    model.vector_ops."""
    return ADJOINTS[op.op](index, upstream, *[S(a) for a in op.args])


def along_rule(cell: Cell, op: Operator, index: int, upstream: sympy.Expr) -> sympy.Expr:
    """y = f(v) along the units (cumsum, cummax, softmax, ...): the adjoint rule of f's entry in model.along."""
    return ALONG[op.op].adjoint(upstream, S(op.args[0]), S(op.key), SumUnits)


def weight_rule(cell: Cell, op: Operator, upstream: sympy.Expr) -> sympy.Expr:
    """What a parameter on the left of an operator gets: an outer product (blocks kept for heads), or for a
    kernel the correlation of the adjoint with the map."""
    if op.op == "conv":
        return ConvW(upstream, S(op.args[1]), S(op.args[0]))
    name = op.args[0]
    if cell.is_parameter(name) and cell.parameter(name).blocks:
        return BlockOuter(upstream, S(op.args[1]), S(name))
    return Outer(upstream, S(op.args[1]))


#: The adjoint rule of each operator for a batched operand, and the rule for a parameter operand.
RULES: dict[str, Callable[..., sympy.Expr]] = (dict.fromkeys(ADJOINTS, table_rule) | {"weight": weight_rule}
                                               | dict.fromkeys(SPEC_OPERATORS, along_rule))


class Backward:
    """The one-step backward statements of a cell, derived once for symbolic sizes."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.uses: dict[str, list[Use]] = defaultdict(list)
        self.operand_of: dict[str, list[tuple[Operator, int]]] = defaultdict(list)
        self.adjoint: dict[str, sympy.Expr] = {}
        self.statements: list[Statement] = []
        #: Where each term of each adjoint comes from: key -> [(term, consumer key or 'in')].
        self.provenance: dict[str, list[tuple[sympy.Expr, str]]] = {}
        self._local_partials()
        self._derive()

    # -- local derivatives ---------------------------------------------------------------
    @cached_property
    def rewrites(self) -> dict[sympy.Expr, sympy.Symbol]:
        """Subexpressions that equal a named forward quantity (sigma(pre_i) -> i)."""
        return {node.expr: node.symbol for node in self.cell.value_nodes
                if isinstance(node, Elementwise) and not node.expr.is_Symbol}

    def _local_partials(self) -> None:
        for node in self.cell.value_nodes:
            if isinstance(node, (Elementwise, Reduction)):
                for symbol in sorted(node.expr.free_symbols, key=lambda s: s.name):
                    partial = sympy.diff(node.expr, symbol).replace(sympy.log, Log).xreplace(self.rewrites)
                    if partial != 0:
                        self.uses[symbol.name].append(Use(node.key, partial))
            elif isinstance(node, Operator):
                for index, arg in enumerate(node.args):
                    self.operand_of[arg].append((node, index))

    @cached_property
    def incoming(self) -> tuple[str, ...]:
        """Adjoints given to a step: one per state, and per output that is not a state."""
        names = [s.name for s in self.cell.states] + [o for o in self.cell.outputs if o not in {s.name for s in self.cell.states}]
        return tuple(incoming_key(n) for n in names)

    # -- reverse sweep ---------------------------------------------------------------------
    def contribution(self, key: str, use: Use) -> sympy.Expr:
        """adjoint(consumer) * partial, summed down to the shape of `key` where it broadcast; through a select
        the adjoint is selected (where(c, g, 0)), not multiplied by an indicator."""
        consumer = self.cell.node(use.consumer)
        upstream = fold_selects(self.adjoint[use.consumer] * use.partial)
        if isinstance(consumer, Reduction):
            if consumer.mean:
                upstream = upstream / size_factor(consumer.over)
            units = consumer.over
        else:
            units = consumer.shape
        mine = self.cell.shapes.get(key, ())
        if len(mine) == len(units):
            return upstream
        if not mine:
            return SumUnits(upstream)
        return SumTrailing(upstream, sympy.Integer(len(units) - len(mine)))

    def gather(self, key: str) -> sympy.Expr:
        """The adjoint of `key`: everything its consumers hand back."""
        sourced = [(self.contribution(key, use), use.consumer) for use in self.uses[key]]
        for op, index in self.operand_of[key]:
            if (index == 0 and op.op in ("matvec", "conv") and not self.cell.is_batched(key)) or self.adjoint[op.key] == 0:
                continue
            sourced.append((RULES[op.op](self.cell, op, index, self.adjoint[op.key]), op.key))
        if key in self.cell.outputs or key in {s.name for s in self.cell.states}:
            sourced.insert(0, (S(incoming_key(key)), "in"))
        self.provenance[key] = sourced
        return sympy.Add(*[term for term, _ in sourced])

    def _derive(self) -> None:
        for node in reversed(self.cell.value_nodes):
            total = self.gather(node.key)
            if total.is_Symbol or total == 0 or isinstance(node, Operator):
                self.adjoint[node.key] = total
                continue
            self.adjoint[node.key] = S(adjoint_key(node.key))
            self.statements.append(Statement(adjoint_key(node.key), total, "node", node.key))
        for state in self.cell.states:
            self._leaf(state.previous, "carry")
        for item in self.cell.inputs:
            self._leaf(item.name, "input")
        for param in self.cell.parameters:
            self.statements.append(Statement(adjoint_key(param.name), self.parameter_gradient(param.name), "param", param.name))

    def _leaf(self, name: str, kind: str) -> None:
        total = self.gather(name)
        self.adjoint[name] = S(adjoint_key(name))
        self.statements.append(Statement(adjoint_key(name), total, kind, name))

    def matrix_gradient(self, name: str) -> sympy.Expr:
        """What a parameter or matrix expression on the left of operators gets, plus what the matrix
        expressions it appears in pass down (transposed where it appears transposed)."""
        terms = [RULES["weight"](self.cell, op, self.adjoint[op.key]) for op, index in self.operand_of[name]
                 if index == 0 and self.adjoint[op.key] != 0]
        for node in self.cell.matrix_nodes:
            for term in node.terms:
                if term.source == name:
                    upstream = self.matrix_gradient(node.key)
                    terms.append(term.coef * (transposed(upstream) if term.transposed else upstream))
        return sympy.Add(*terms)

    def parameter_gradient(self, name: str) -> sympy.Expr:
        elementwise = [self.contribution(name, use) for use in self.uses[name]]
        return sympy.Add(self.matrix_gradient(name), *elementwise)

    # -- views -----------------------------------------------------------------------------
    def by_kind(self, *kinds: str) -> list[Statement]:
        return [s for s in self.statements if s.kind in kinds]

    def statement(self, target: str) -> Statement:
        return next(s for s in self.statements if s.target == target)

    def statement_of(self, key: str) -> Statement | None:
        return next((s for s in self.statements if s.of == key), None)

    @cached_property
    def targets(self) -> set[str]:
        return {s.target for s in self.statements}
