"""Cost per time step, derived from the symbolic cell: matrix-product multiply-adds, elementwise operations
by kind, and the activations BPTT keeps. Convention: one multiply-add counts as 2 FLOPs; elementwise
operations are counted one per element and reported by kind (nonlinearities, products, sums)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import sympy

from .backward import Backward
from .cell import Cell
from .counts import size_symbol
from .functions import ElementwiseBase
from .ir import MatTVec, Outer, SumUnits, Transposed

KINDS = ("nonlinear", "product", "sum")
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


def _size(cell: Cell, name: str) -> sympy.Expr:
    shape = cell.shapes.get(name, ())
    return size_symbol(shape[0]) if shape else sympy.S.One


def count_ops(expr: sympy.Expr) -> dict[str, int]:
    """Elementwise operations in one per-unit expression (matrix products and adjoint plumbing excluded)."""
    counts = dict.fromkeys(KINDS, 0)

    def walk(e: sympy.Expr) -> None:
        if e.is_Atom or isinstance(e, (MatTVec, Outer, Transposed)):
            return
        if isinstance(e, SumUnits):
            counts["sum"] += 1
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
            walk(arg)

    walk(expr)
    return counts


@dataclass
class Cost:
    """Per time step and per batch element, as formulas in the sizes."""

    cell: Cell
    forward_macs: sympy.Expr = sympy.S.Zero
    backward_input_macs: sympy.Expr = sympy.S.Zero
    backward_weight_macs: sympy.Expr = sympy.S.Zero
    forward_ops: dict[str, sympy.Expr] = field(default_factory=lambda: dict.fromkeys(KINDS, sympy.S.Zero))
    backward_ops: dict[str, sympy.Expr] = field(default_factory=lambda: dict.fromkeys(KINDS, sympy.S.Zero))

    @property
    def forward_flops(self) -> sympy.Expr:
        return 2 * self.forward_macs

    @property
    def backward_flops(self) -> sympy.Expr:
        return 2 * (self.backward_input_macs + self.backward_weight_macs)

    @property
    def matmul_flops(self) -> sympy.Expr:
        """Forward plus backward matrix-product FLOPs per step and batch element."""
        return sympy.expand(self.forward_flops + self.backward_flops)

    @cached_property
    def plan(self):
        from .export import ModulePlan

        return ModulePlan(self.cell)

    @cached_property
    def cached_per_step(self) -> sympy.Expr:
        """Elements the exported implementation keeps per step and batch element for BPTT (input included)."""
        cell = self.cell
        total = size_symbol(cell.input_size) + sum((size_symbol(s.size) for s in cell.states), sympy.S.Zero)
        return sympy.expand(total + sum((_size(cell, n) if "@" not in n else size_symbol(cell.shapes[cell.linear[n].matrix][0])
                                         for n in self.plan.cached), sympy.S.Zero))

    @cached_property
    def recomputed_per_step(self) -> sympy.Expr:
        """Elements the backward pass recomputes instead of storing (e.g. tanh(c) from c)."""
        seen: dict[sympy.Expr, sympy.Expr] = {}
        for st in self.plan.in_loop:
            for atom in st.expr.atoms(ElementwiseBase):
                if atom not in seen and all(not s.name.startswith("d_") for s in atom.free_symbols):
                    seen[atom] = max((_size(self.cell, s.name) for s in atom.free_symbols), key=sympy.default_sort_key,
                                     default=sympy.S.One)
        return sympy.expand(sum(seen.values(), sympy.S.Zero))

    def memory_bytes(self, steps: int, batch: int, sizes: dict[str, int], dtype: str = "float32",
                     recompute: bool = True) -> int:
        """Bytes of the BPTT cache for `steps` steps and `batch` sequences (initial states included)."""
        per_step = self.cached_per_step + (0 if recompute else self.recomputed_per_step)
        initial = sum((size_symbol(s.size) for s in self.cell.states), sympy.S.Zero)
        elements = batch * (steps * per_step + initial)
        return int(elements.subs({size_symbol(k): v for k, v in sizes.items()})) * DTYPE_BYTES[dtype]


@lru_cache(maxsize=None)
def derive_cost(cell: Cell) -> Cost:
    """Count everything once, from the equations; the result holds for every size."""
    cost = Cost(cell)
    back = Backward(cell)
    for term in cell.linear.values():
        macs = size_symbol(cell.shapes[term.matrix][0]) * _size(cell, term.vector)
        cost.forward_macs += macs
        cost.backward_input_macs += macs
        cost.backward_weight_macs += macs
    for node in cell.value_nodes:
        for kind, k in count_ops(node.expr).items():
            cost.forward_ops[kind] += k * _size(cell, node.name)
    exprs = [st.expr for st in back.statements if st.kind in ("node", "carry", "input")]
    targets = [st.of for st in back.statements if st.kind in ("node", "carry", "input")]
    temps, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("_c"), optimizations=None)
    for expr, of in zip(reduced, targets):
        for kind, k in count_ops(expr).items():
            cost.backward_ops[kind] += k * _size(cell, of)
    for symbol, value in temps:
        size = max((_size(cell, s.name.removeprefix("d_")) for s in value.free_symbols if not s.name.startswith("_c")),
                   key=sympy.default_sort_key, default=sympy.S.One)
        for kind, k in count_ops(value).items():
            cost.backward_ops[kind] += k * size
    for st in back.by_kind("param"):
        if cell.parameter(st.of).kind != "matrix":
            for kind, k in count_ops(st.expr).items():
                cost.backward_ops[kind] += k * _size(cell, st.of)
    cost.forward_macs, cost.backward_input_macs, cost.backward_weight_macs = (
        sympy.expand(cost.forward_macs), sympy.expand(cost.backward_input_macs), sympy.expand(cost.backward_weight_macs))
    return cost
