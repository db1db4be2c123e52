"""Compare cells against a base cell: parameter counts exactly, at given sizes, and as n grows."""

from __future__ import annotations

from typing import Any

import sympy

from .cell import Cell
from .counts import CountQuery, asymptotic_ratio, at_sizes, count_formula, factored, ratio, size_symbol
from .views import formula_text


def _limit_text(value: sympy.Expr) -> str:
    return formula_text(value) if value.free_symbols else (formula_text(value) if value.is_Integer else f"{formula_text(value)} = {float(value):.4g}")


MEASURES = {
    "parameters": "parameters (one layer)",
    "flops": "matrix-product FLOPs per step, forward + backward",
    "memory": "BPTT cache, elements per step",
}


def measure(cell: Cell, kind: str, query: CountQuery) -> sympy.Expr:
    """One of the three costs of a cell, as a formula in the sizes."""
    if kind == "parameters":
        return count_formula(cell, query)
    from .cost import derive_cost

    cost = derive_cost(cell)
    return cost.matmul_flops if kind == "flops" else cost.cached_per_step


def compare_rows(cells: list[Cell], base: Cell, query: CountQuery, sizes: dict[str, int],
                 kind: str = "parameters") -> list[dict[str, Any]]:
    """One row per cell: formula, value at sizes, exact ratio to the base, its limit as n grows."""
    base_expr = measure(base, kind, query)
    rows = []
    for cell in cells:
        expr = measure(cell, kind, query)
        exact = ratio(expr, base_expr)
        row: dict[str, Any] = {
            "cell": cell.name,
            "formula": formula_text(factored(expr)),
            "ratio": formula_text(sympy.factor(exact)),
            "ratio_limit": _limit_text(_grow(exact)),
            "total": None,
            "ratio_at_sizes": None,
        }
        given = {k: v for k, v in sizes.items() if k in cell.sizes or k in base.sizes}
        needed = {s.name for s in expr.free_symbols} | {s.name for s in base_expr.free_symbols}
        if sizes and needed <= set(given):
            total = int(at_sizes(expr, given))
            base_total = int(at_sizes(base_expr, given))
            row["total"] = total
            row["ratio_at_sizes"] = f"{total / base_total:.4f}"
        rows.append(row)
    return rows


def _grow(exact: sympy.Expr) -> sympy.Expr:
    """The ratio as the hidden size n grows with the other sizes fixed (exact)."""
    n = size_symbol("n")
    return sympy.limit(exact, n, sympy.oo) if n in exact.free_symbols else exact


__all__ = ["compare_rows", "asymptotic_ratio", "size_symbol"]
