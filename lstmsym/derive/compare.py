"""Compare cells against a base cell: parameters, operator FLOPs and BPTT memory, exactly, at given sizes,
and as the hidden size grows."""

from __future__ import annotations

from typing import Any

import sympy

from ..model.sizes import at_sizes, size_symbol
from .counts import CountQuery, factored, ratio
from .derived import Derived

MEASURES = {
    "parameters": "parameters",
    "flops": "operator FLOPs per step and sequence, forward + backward",
    "memory": "BPTT cache, elements per step and sequence",
}


def measure(derived: Derived, kind: str, query: CountQuery) -> sympy.Expr:
    """One of the three costs of a cell over the queried stack, as a formula in the sizes."""
    if kind == "parameters":
        return derived.count(query)
    cost = derived.cost
    one = cost.matmul_flops if kind == "flops" else cost.cached_per_step
    if query.layers == 1 and not query.bidirectional:
        return one
    cell = derived.cell
    later = one.subs(size_symbol(cell.input_size), query.directions * sum(size_symbol(cell.shapes[o][0]) for o in cell.outputs))
    return sympy.expand(query.directions * (one + (query.layers - 1) * later))


def _grow(exact: sympy.Expr) -> sympy.Expr:
    """The ratio as the hidden size n grows with the other sizes fixed (exact)."""
    n = size_symbol("n")
    return sympy.limit(exact, n, sympy.oo) if n in exact.free_symbols else exact


def limit_text(value: sympy.Expr) -> str:
    text = sympy.sstr(value)
    return text if value.free_symbols or value.is_Integer else f"{text} = {float(value):.4g}"


def compare_rows(cells: list[Derived], base: Derived, query: CountQuery, sizes: dict[str, int],
                 kind: str = "parameters") -> list[dict[str, Any]]:
    """One row per cell: formula, value at sizes, exact ratio to the base, its limit as n grows."""
    base_expr = measure(base, kind, query)
    rows = []
    for d in cells:
        expr = measure(d, kind, query)
        exact = ratio(expr, base_expr)
        row: dict[str, Any] = {"cell": d.cell.name, "formula": sympy.sstr(factored(expr)), "ratio": sympy.sstr(sympy.factor(exact)),
                               "ratio_limit": limit_text(_grow(exact)), "total": None, "ratio_at_sizes": None}
        needed = {s.name for s in expr.free_symbols} | {s.name for s in base_expr.free_symbols}
        if sizes and needed <= set(sizes):
            total, base_total = int(at_sizes(expr, sizes)), int(at_sizes(base_expr, sizes))
            row["total"] = total
            row["ratio_at_sizes"] = round(total / base_total, 4)
        rows.append(row)
    return rows
