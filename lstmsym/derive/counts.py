"""Exact parameter counts as polynomials in the sizes, for the paper's, PyTorch's and Keras's parametrisations,
over stacked layers and both directions, with every tensor listed so the rows add up to the total."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..base.errors import ConventionError, UsageError, one_of
from ..model.cell import Cell
from ..model.sizes import at_sizes, size_symbol
from .frameworks import CONVENTIONS, block_shape, mapping, no_counterpart, tensor_shape


def output_size(cell: Cell) -> sympy.Expr:
    """Size of what one layer passes to the next: the sum of the outputs' sizes."""
    return sympy.Add(*[sympy.Mul(*[size_symbol(s) for s in cell.shapes[name]]) for name in cell.outputs])


def has_counterpart(cell: Cell, convention: str) -> bool:
    return convention == "paper" or mapping(cell, convention) is not None


@dataclass(frozen=True)
class CountQuery:
    """What to count: convention, layers and direction."""

    convention: str = "paper"
    layers: int = 1
    bidirectional: bool = False

    def check(self) -> None:
        if self.convention not in CONVENTIONS:
            raise ConventionError(f"unknown convention '{self.convention}'; expected {one_of(CONVENTIONS)}")
        if self.layers < 1:
            raise UsageError(f"number of layers must be at least 1, got {self.layers}")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def label(self) -> str:
        layers = f"{self.layers} layer{'s' if self.layers > 1 else ''}"
        return f"{layers}, {'bidirectional' if self.bidirectional else 'one direction'}"


@dataclass(frozen=True)
class TensorRow:
    """One tensor of one layer and direction: its name, shape and size as formulas, and what it holds."""

    name: str
    shape: tuple[sympy.Expr, ...]
    holds: str

    @property
    def count(self) -> sympy.Expr:
        return sympy.Mul(*self.shape)


def _layer_tensors(cell: Cell, convention: str) -> list[tuple[str, tuple[sympy.Expr, ...], str]]:
    """(name, shape, what it holds) of one layer in one direction, reading the first input at size m."""
    if convention == "paper":
        out = []
        for p in cell.parameters:
            shape = tuple(size_symbol(s) for s in p.shape)
            if p.blocks:
                k = size_symbol(p.blocks)
                shape = (k, shape[0] / k, shape[1] / k)
            out.append((p.name, shape, p.role))
        return out
    result = mapping(cell, convention)
    if result is None:
        raise ConventionError(no_counterpart(cell, convention))
    return [(t.name, tensor_shape(cell, result, t), " | ".join(", ".join(b or "0" for b in row) for row in t.rows))
            for t in result.tensors]


def _tensor_name(name: str, convention: str, query: CountQuery, layer: int, reverse: bool) -> str:
    """How a tensor of one layer and direction is named: PyTorch's weight_ih_l1_reverse, else 'layer 2 backward: W'."""
    if convention == "pytorch":
        return f"{name}_l{layer}" + ("_reverse" if reverse else "")
    if query.layers == 1 and not query.bidirectional:
        return name
    direction = (" backward" if reverse else " forward") if query.bidirectional else ""
    return f"layer {layer + 1}{direction}: {name}"


def _output_sizes(cell: Cell) -> set[str]:
    return {size for o in cell.outputs for size in cell.shapes[o]}


def tensors(cell: Cell, query: CountQuery = CountQuery()) -> list[TensorRow]:
    """Every tensor of the stack, layer by layer and direction by direction (later layers read D * output)."""
    query.check()
    one = _layer_tensors(cell, query.convention)
    first_input = size_symbol(cell.input_size)
    later_input = query.directions * output_size(cell)
    if query.layers > 1 and sympy.simplify(later_input - first_input) != 0 and cell.input_size in _output_sizes(cell):
        raise UsageError(f"cell '{cell.name}' reads an input of its own output size ({cell.input_size}): a layer cannot read "
                         f"the {later_input} outputs of a bidirectional layer below it; use --num-layers 1 or drop --bidirectional")
    rows = []
    for layer in range(query.layers):
        for reverse in ([False, True] if query.bidirectional else [False]):
            for name, shape, holds in one:
                if layer > 0:
                    shape = tuple(sympy.sympify(s).subs(first_input, later_input) for s in shape)
                rows.append(TensorRow(_tensor_name(name, query.convention, query, layer, reverse), shape, holds))
    return rows


def count_formula(cell: Cell, query: CountQuery = CountQuery()) -> sympy.Expr:
    """Total parameters of the stack, as a polynomial in the sizes: the sum of its tensors."""
    return sympy.expand(sympy.Add(*[row.count for row in tensors(cell, query)]))


def layer_count(cell: Cell, convention: str) -> sympy.Expr:
    """Parameters of one layer in one direction, under `convention`."""
    return count_formula(cell, CountQuery(convention))


def factored(expr: sympy.Expr) -> sympy.Expr:
    """The count shown factored, e.g. 4*n*(m + n + 1)."""
    return sympy.factor(expr)


def evaluate(cell: Cell, expr: sympy.Expr, sizes: dict[str, int]) -> int:
    """The formula at given sizes (and the spec's fixed ones); the sizes must obey the cell's rules and cover it."""
    sizes = {**cell.size_rules.fixed, **sizes}
    cell.size_rules.check(sizes)
    missing = sorted(s.name for s in sympy.sympify(expr).free_symbols if s.name not in sizes)
    if missing:
        raise UsageError(f"sizes needed for a total: {', '.join(missing)} (cell '{cell.name}' has sizes {', '.join(cell.sizes)})")
    return int(at_sizes(expr, sizes))


def ratio(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """a / b simplified, as a rational function of the sizes."""
    return sympy.cancel(a / b)


def asymptotic_ratio(a: sympy.Expr, b: sympy.Expr, grow: str = "n") -> sympy.Expr:
    """Limit of a / b as size `grow` goes to infinity with every other size fixed."""
    return sympy.limit(ratio(a, b), size_symbol(grow), sympy.oo)


__all__ = ["CountQuery", "TensorRow", "count_formula", "tensors", "evaluate", "factored", "layer_count", "block_shape"]
