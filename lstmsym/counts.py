"""Exact parameter counts as polynomials in the sizes, for the paper's, PyTorch's and Keras's parametrisations."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

import sympy

from .cell import Cell
from .errors import ConventionError, UsageError, one_of
from .frameworks import CONVENTIONS, block_shape, cells_with, mapping


def size_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True, integer=True)


def at_sizes(expr: sympy.Expr, sizes: dict[str, int]) -> sympy.Expr:
    """A formula in the sizes with the given sizes substituted (a number once every size is given)."""
    return expr.subs({size_symbol(k): v for k, v in sizes.items()})


def _shape_size(shape: tuple[str, ...]) -> sympy.Expr:
    return sympy.Mul(*[size_symbol(s) for s in shape])


def output_size(cell: Cell) -> sympy.Expr:
    """Size of what one layer passes to the next: the sum of the outputs' sizes."""
    return sympy.Add(*[size_symbol(cell.shapes[name][0]) for name in cell.outputs])


def layer_count(cell: Cell, convention: str) -> sympy.Expr:
    """Parameters of one layer in one direction, under `convention`."""
    if convention not in CONVENTIONS:
        raise ConventionError(f"unknown convention '{convention}'; expected {one_of(CONVENTIONS)}")
    if convention == "paper":
        return cell.parameter_count()
    result = mapping(cell, convention)
    if result is None:
        raise ConventionError(no_counterpart(cell, convention))
    total = sympy.S.Zero
    for tensor in result.tensors:
        for r, row in enumerate(tensor.rows):
            for k in range(len(row)):
                total += _shape_size(block_shape(cell, result, tensor, r, k))
    return total


def no_counterpart(cell: Cell, convention: str) -> str:
    """The error text for a cell without a framework counterpart, naming the cells that have one."""
    from .registry import builtin_paths

    specs = {}
    for name, path in builtin_paths().items():
        with path.open("rb") as handle:
            specs[name] = tomllib.load(handle)
    have = cells_with(convention, specs)
    family = [name for name in have if specs[name].get("family") == cell.family]
    hint = f"; in the same family: {', '.join(family)}" if family else ""
    return (f"cell '{cell.name}' has no {convention} counterpart{hint}; "
            f"cells with a {convention} counterpart: {', '.join(have)}")


@dataclass(frozen=True)
class CountQuery:
    """What to count: convention, layers and direction."""

    convention: str = "paper"
    layers: int = 1
    bidirectional: bool = False


def count_formula(cell: Cell, query: CountQuery = CountQuery()) -> sympy.Expr:
    """Total parameters of a stack of layers, as a polynomial in the sizes (later layers read D * output)."""
    if query.layers < 1:
        raise UsageError(f"number of layers must be at least 1, got {query.layers}")
    one = layer_count(cell, query.convention)
    directions = 2 if query.bidirectional else 1
    first_input = size_symbol(cell.input_size)
    later = one.subs(first_input, directions * output_size(cell))
    return sympy.expand(directions * (one + (query.layers - 1) * later))


def factored(expr: sympy.Expr) -> sympy.Expr:
    """The count shown factored, e.g. 4*n*(m + n + 1)."""
    return sympy.factor(expr)


def evaluate(cell: Cell, expr: sympy.Expr, sizes: dict[str, int], query: CountQuery = CountQuery()) -> int:
    """The count at given sizes; every size in the formula must be given."""
    check_sizes(cell, sizes, query)
    missing = sorted(s.name for s in expr.free_symbols if s.name not in sizes)
    if missing:
        raise UsageError(f"sizes needed for a total: {', '.join(missing)} (cell '{cell.name}' has sizes {', '.join(cell.sizes)})")
    return int(at_sizes(expr, sizes))


def check_sizes(cell: Cell, sizes: dict[str, int], query: CountQuery) -> None:
    for name, value in sizes.items():
        if name not in cell.sizes:
            raise UsageError(f"cell '{cell.name}' has no size '{name}'; its sizes: {', '.join(cell.sizes)}")
        if value < 1:
            raise UsageError(f"size {name} must be positive, got {value}")
    if query.convention == "pytorch" and "p" in sizes and "n" in sizes and sizes["p"] >= sizes["n"]:
        raise UsageError(f"proj_size ({sizes['p']}) must be smaller than hidden_size ({sizes['n']}), as PyTorch requires")


def ratio(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """a / b simplified, as a rational function of the sizes."""
    return sympy.cancel(a / b)


def asymptotic_ratio(a: sympy.Expr, b: sympy.Expr, grow: str = "n") -> sympy.Expr:
    """Limit of a / b as size `grow` goes to infinity with every other size fixed."""
    return sympy.limit(ratio(a, b), size_symbol(grow), sympy.oo)
