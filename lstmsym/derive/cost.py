"""Cost per time step, derived from the graph and the backward statements: operator multiply-adds, elementwise
operations by kind, and the activations BPTT keeps (from the sequence plan). One multiply-add counts as
2 FLOPs; elementwise operations are counted one per element and reported by kind."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..model.along import ALONG, SPEC_OPERATORS
from ..model.functions import ElementwiseBase
from ..model.ir import Elementwise, Operator, Reduction
from ..model.sizes import at_sizes, size_symbol
from ..model.vector_ops import MATRIX_VALUED, VECTOR_OPS, MatTVec, MatVec, VectorOpBase, entry_of
from ..spec.naming import value_key

KINDS = ("nonlinear", "product", "sum")
#: Per unit, what each operator along the units does (its table entry, model.along): a cumulative sum one
#: addition, a running maximum one comparison (counted as a nonlinearity), softmax one exponential, one addition
#: and one division.
UNIT_OP_COUNTS = {name: dict(ALONG[name].counts) for name in SPEC_OPERATORS}
#: Bytes per element of each dtype lstmsym reports memory in.
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


def count_ops(expr: sympy.Expr) -> dict[str, int]:
    """Elementwise operations in one per-unit expression (operators and adjoint plumbing excluded)."""
    counts = dict.fromkeys(KINDS, 0)

    def walk(e: sympy.Expr) -> None:
        if e.is_Atom:
            return
        if isinstance(e, VectorOpBase):
            for kind, n in entry_of(e).counts.items():
                counts[kind] += n
        elif isinstance(e, VECTOR_OPS):
            pass
        elif isinstance(e, ElementwiseBase):
            counts["nonlinear"] += 1
        elif e.is_Add:
            counts["sum"] += len(e.args) - 1
        elif e.is_Mul:
            coeff, factors = e.as_coeff_mul()
            counts["product"] += len(factors) - 1 + (0 if abs(coeff) == 1 else 1)
        elif e.is_Pow:
            if e.exp.is_Integer and e.exp > 0:
                counts["product"] += int(e.exp) - 1
            elif e.exp == -1:
                counts["product"] += 1
            else:
                counts["nonlinear"] += 1
        for arg in e.args:
            if not isinstance(arg, sympy.Integer) or not isinstance(e, VectorOpBase):
                walk(arg)

    walk(expr)
    return counts


def units(shape: tuple[str, ...]) -> sympy.Expr:
    return sympy.Mul(*[size_symbol(s) for s in shape])


@dataclass
class Cost:
    """Per time step and sequence, as formulas in the sizes."""

    forward_macs: sympy.Expr = sympy.S.Zero
    backward_input_macs: sympy.Expr = sympy.S.Zero
    backward_weight_macs: sympy.Expr = sympy.S.Zero
    forward_ops: dict[str, sympy.Expr] = field(default_factory=lambda: dict.fromkeys(KINDS, sympy.S.Zero))
    backward_ops: dict[str, sympy.Expr] = field(default_factory=lambda: dict.fromkeys(KINDS, sympy.S.Zero))
    cached_per_step: sympy.Expr = sympy.S.Zero
    recomputed_per_step: sympy.Expr = sympy.S.Zero
    initial_state: sympy.Expr = sympy.S.Zero

    @property
    def forward_flops(self) -> sympy.Expr:
        return 2 * self.forward_macs

    @property
    def backward_flops(self) -> sympy.Expr:
        return 2 * (self.backward_input_macs + self.backward_weight_macs)

    @property
    def matmul_flops(self) -> sympy.Expr:
        """Forward plus backward operator FLOPs per step and sequence."""
        return sympy.expand(self.forward_flops + self.backward_flops)

    def memory_bytes(self, steps: int, batch: int, sizes: dict[str, int], dtype: str = "float32",
                     recompute: bool = True) -> int:
        """Bytes of the BPTT cache for `steps` steps and `batch` sequences (initial states included)."""
        per_step = self.cached_per_step + (0 if recompute else self.recomputed_per_step)
        elements = batch * (steps * per_step + self.initial_state)
        return int(at_sizes(elements, sizes)) * DTYPE_BYTES[dtype]


def operator_macs(cell, op: Operator) -> sympy.Expr:
    """Multiply-adds of one operator application (forward), per sequence."""
    if len(op.args) == 1:
        return sympy.S.Zero  # cumsum, cummax, softmax: no products (their additions are counted in derive_cost)
    first, second = (cell.shapes[a] for a in op.args)
    if op.op in ("matvec", "tmatvec"):
        macs = units(first)
        matrix = op.args[0]
        if cell.is_parameter(matrix) and cell.parameter(matrix).blocks:
            macs = macs / size_symbol(cell.parameter(matrix).blocks)
        return macs
    if op.op == "conv":
        return units(first) * units(second[1:])
    return sympy.S.Zero


def derive_cost(derived) -> Cost:
    """Count everything once, from the equations; the result holds for every size."""
    cell, back, plan = derived.cell, derived.backward, derived.plan
    cost = Cost()
    for op in cell.operators:
        macs = operator_macs(cell, op)
        cost.forward_macs += macs
        if len(op.args) == 1:
            for kind, k in UNIT_OP_COUNTS[op.op].items():
                cost.forward_ops[kind] += k * units(op.shape)
            continue
        if op.op == "outer":
            cost.forward_ops["product"] += units(op.shape)
            cost.backward_input_macs += 2 * units(op.shape)
        elif cell.is_batched(op.args[0]):
            cost.backward_input_macs += 2 * macs
        else:
            cost.backward_input_macs += macs
            cost.backward_weight_macs += macs
    for node in cell.value_nodes:
        if isinstance(node, Elementwise):
            for kind, k in count_ops(node.expr).items():
                cost.forward_ops[kind] += k * units(node.shape)
        elif isinstance(node, Reduction):
            for kind, k in count_ops(node.expr).items():
                cost.forward_ops[kind] += k * units(node.over)
            cost.forward_ops["sum"] += units(node.over) - 1  # N entries take N - 1 additions
            cost.forward_ops["product"] += 1 if node.mean else 0  # and a mean one division by N
    loop = back.by_kind("node", "carry", "input")
    temps, reduced = sympy.cse([st.expr for st in loop], symbols=sympy.numbered_symbols("_c"), optimizations=None)
    for expr, st in zip(reduced, loop):
        for kind, k in count_ops(expr).items():
            cost.backward_ops[kind] += k * units(cell.shapes.get(st.of, ()))
    for _, value in temps:
        keys = [value_key(s.name) for s in value.free_symbols if not s.name.startswith("_c")]
        size = max((units(cell.shapes.get(k, ())) for k in keys), key=sympy.default_sort_key, default=sympy.S.One)
        for kind, k in count_ops(value).items():
            cost.backward_ops[kind] += k * size
    for st in back.by_kind("param"):
        if not any(st.expr.has(op) for op in MATRIX_VALUED):
            for kind, k in count_ops(st.expr).items():
                cost.backward_ops[kind] += k * units(cell.shapes[st.of])
    memory(cost, cell, plan)
    cost.forward_macs, cost.backward_input_macs, cost.backward_weight_macs = (
        sympy.expand(cost.forward_macs), sympy.expand(cost.backward_input_macs), sympy.expand(cost.backward_weight_macs))
    return cost


def memory(cost: Cost, cell, plan) -> None:
    """What the plan keeps per step (inputs, states, cached quantities) and what it recomputes instead."""
    per_step = sum((units(i.shape) for i in cell.inputs), sympy.S.Zero)
    per_step += sum((units(s.shape) for s in cell.states), sympy.S.Zero)
    per_step += sum((units(cell.shapes[name]) for name in plan.cached), sympy.S.Zero)
    cost.cached_per_step = sympy.expand(per_step)
    cost.initial_state = sympy.expand(sum((units(s.shape) for s in cell.states), sympy.S.Zero))
    seen: dict[sympy.Expr, sympy.Expr] = {}
    for st in plan.in_loop:
        for atom in st.expr.atoms(ElementwiseBase):
            names = [s.name for s in atom.free_symbols]
            if atom not in seen and all(value_key(n) == n for n in names):
                seen[atom] = max((units(cell.shapes.get(n, ())) for n in names), key=sympy.default_sort_key, default=sympy.S.One)
    cost.recomputed_per_step = sympy.expand(sum(seen.values(), sympy.S.Zero))


__all__ = ["Cost", "KINDS", "DTYPE_BYTES", "count_ops", "derive_cost", "MatVec", "MatTVec"]
