"""How a cell runs over a sequence, worked out once from its graph and its backward statements: which products
share an operand (one stacked product per step, as cuDNN does), what can be computed before the loop, what
the forward pass must keep for BPTT, and how each parameter gradient's terms are collected after the loop.
The code generators and the memory formula read this; it contains no code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy

from ..model.cell import Cell
from ..model.ir import Elementwise, MatrixExpr, Operator, Reduction
from ..model.vector_ops import MatTVec, Outer
from ..spec.naming import adjoint_base, incoming_base
from .backward import Backward, Statement
from .bptt import BPTT


@dataclass
class Group:
    """Matrix-vector products that multiply the same vector by fixed matrices: one stacked product per step."""

    vector: str
    ops: list[Operator] = field(default_factory=list)
    index: int = 0

    @property
    def key(self) -> str:
        return f"g{self.index}"

    @property
    def matrices(self) -> list[str]:
        return [op.args[0] for op in self.ops]


class Plan:
    """The sequence-level structure of a cell's forward and backward passes."""

    def __init__(self, cell: Cell, back: Backward, bptt: BPTT) -> None:
        self.cell = cell
        self.back = back
        self.bptt = bptt
        self.groups: dict[str, Group] = {}
        for op in cell.operators:
            if self.stackable(op):
                group = self.groups.setdefault(op.args[1], Group(op.args[1], index=len(self.groups)))
                group.ops.append(op)
        self.group_of_op = {op.key: g for g in self.groups.values() for op in g.ops}

    def stackable(self, op: Operator) -> bool:
        """A product by a fixed dense matrix (parameter or matrix expression) of a per-sequence vector."""
        if op.op != "matvec" or not op.batched:
            return False
        matrix = op.args[0]
        if self.cell.is_batched(matrix):
            return False
        return not (self.cell.is_parameter(matrix) and self.cell.parameter(matrix).blocks)

    # -- what can leave the loop -------------------------------------------------------
    @cached_property
    def invariant(self) -> list[str]:
        """Quantities made of parameters and constants only: computed once, in both passes."""
        return [n.key for n in self.cell.value_nodes if not n.batched]

    @cached_property
    def static(self) -> list[str]:
        """Quantities that depend on the inputs but not on the state: computed for all steps before the loop."""
        # matrix expressions too: (W + V) @ x and a constant matrix R @ (V @ x) are input-only (their products are
        # hoisted with the input groups, so their consumers must read the hoisted arrays)
        fixed = self.cell.spec.fixed_names | set(self.invariant) | {m.key for m in self.cell.matrix_nodes}
        found = [i.name for i in self.cell.inputs]
        for node in self.cell.value_nodes:
            if node.key in self.invariant:
                continue
            # An outer product for all steps at once would hold T matrices per sequence: it stays in the loop.
            if isinstance(node, Operator) and node.op == "outer":
                continue
            if set(self.reads(node)) <= fixed | set(found):
                found.append(node.key)
        return found

    def reads(self, node) -> list[str]:
        if isinstance(node, (Elementwise, Reduction)):
            return sorted(s.name for s in node.expr.free_symbols if not s.name.startswith("size:"))
        if isinstance(node, Operator):
            return list(node.args)
        return []

    @cached_property
    def in_loop(self) -> list[Statement]:
        return self.back.by_kind("node", "carry")

    @cached_property
    def post(self) -> list[Statement]:
        """Statements evaluated after the loop over whole sequences: input adjoints and parameter gradients."""
        return self.back.by_kind("input", "param")

    # -- what the backward pass reads -----------------------------------------------------
    def forward_reads(self, exprs) -> list[str]:
        """Forward quantities (not adjoints, parameters, constants or sizes) the expressions read, in graph order."""
        fixed = self.cell.spec.fixed_names
        found = set()
        for expr in exprs:
            for symbol in expr.free_symbols:
                name = symbol.name
                if adjoint_base(name) is None and incoming_base(name) is None and name not in fixed and not name.startswith(("size:", "_")):
                    found.add(name)
        order = [i.name for i in self.cell.inputs] + [s.previous for s in self.cell.states] + [n.key for n in self.cell.value_nodes]
        return [n for n in order if n in found]

    def op_adjoints(self) -> list[sympy.Expr]:
        return [self.back.adjoint[op.key] for op in self.cell.operators if op.key in self.back.adjoint]

    @cached_property
    def post_reads(self) -> list[str]:
        return self.forward_reads([s.expr for s in self.post])

    @cached_property
    def cached(self) -> list[str]:
        """Forward quantities the forward pass keeps per step for BPTT (besides inputs and state histories)."""
        loop_exprs = [s.expr for s in self.in_loop] + self.op_adjoints()
        needed = set(self.forward_reads(loop_exprs)) | set(self.post_reads)
        needed |= {g.vector for g in self.groups.values()} | set(self.cell.outputs)
        skip = {s.name for s in self.cell.states} | set(self.cell.state_of_previous) | {i.name for i in self.cell.inputs}
        skip |= set(self.invariant)
        return [n.key for n in self.cell.value_nodes if n.key in needed and n.key not in skip]

    @cached_property
    def post_adjoints(self) -> list[str]:
        """Adjoints (statement targets or incoming ones) that the after-loop statements read."""
        return sorted({s.name for st in self.post for s in st.expr.free_symbols
                       if adjoint_base(s.name) is not None or incoming_base(s.name) is not None})

    # -- stacked adjoints -------------------------------------------------------------------
    def group_args(self, group: Group) -> tuple[sympy.Expr, ...]:
        """The adjoint of each product in the group (the blocks of the stacked adjoint)."""
        return tuple(self.back.adjoint[op.key] for op in group.ops)

    @cached_property
    def emission_order(self) -> list[Group]:
        """Groups in the order the backward loop stacks their adjoints: those whose vector is a quantity the
        loop computes the adjoint of first (in statement order), then the rest."""
        first = [self.groups[st.of] for st in self.in_loop if st.of in self.groups]
        return first + [g for g in self.groups.values() if g not in first]

    @cached_property
    def shared_args(self) -> dict[str, str]:
        """Group key -> key of an earlier group with the same adjoint blocks (stacked and stored once)."""
        seen: dict[tuple, str] = {}
        out = {}
        for group in self.emission_order:
            args = self.group_args(group)
            if args in seen:
                out[group.key] = seen[args]
            else:
                seen[args] = group.key
        return out

    def strip_group(self, expr: sympy.Expr, vector: str) -> tuple[sympy.Expr, Group | None]:
        """The terms M_k^T a_k of `vector`'s group removed from a sum (they are one stacked product)."""
        group = self.groups.get(vector)
        if group is None:
            return expr, None
        blocks = {(sympy.Symbol(op.args[0]), self.back.adjoint[op.key]) for op in group.ops}
        terms = sympy.Add.make_args(expr)
        kept = [t for t in terms if not (isinstance(t, MatTVec) and tuple(t.args) in blocks)]
        if len(kept) == len(terms):
            return expr, None
        return sympy.Add(*kept), group

    def outer_block(self, term: sympy.Expr) -> tuple[Group, int, bool] | None:
        """Outer(a, v) (or its transpose Outer(v, a)) where a is block k of v's group: (group, k, transposed)."""
        if not isinstance(term, Outer):
            return None
        for transposed, (adjoint, vector) in ((False, term.args), (True, term.args[::-1])):
            if vector.is_Symbol and vector.name in self.groups:
                group = self.groups[vector.name]
                for index, arg in enumerate(self.group_args(group)):
                    if arg == adjoint:
                        return group, index, transposed
        return None

    @cached_property
    def matrix_nodes(self) -> list[MatrixExpr]:
        return list(self.cell.matrix_nodes)


__all__ = ["Plan", "Group"]
