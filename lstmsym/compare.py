"""Compare cells against a base cell: parameter counts exactly, at given sizes, and as n grows."""

from __future__ import annotations

from typing import Any

import sympy

from .cell import Cell
from .counts import CountQuery, asymptotic_ratio, count_formula, evaluate, factored, ratio, size_symbol
from .views import formula_text


def _limit_text(value: sympy.Expr) -> str:
    return formula_text(value) if value.free_symbols else (formula_text(value) if value.is_Integer else f"{formula_text(value)} = {float(value):.4g}")


def compare_rows(cells: list[Cell], base: Cell, query: CountQuery, sizes: dict[str, int]) -> list[dict[str, Any]]:
    """One row per cell: formula, total at sizes, exact ratio to the base, its limit as n grows."""
    base_expr = count_formula(base, query)
    rows = []
    for cell in cells:
        expr = count_formula(cell, query)
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
            total = evaluate(cell, expr, {k: v for k, v in given.items() if k in cell.sizes}, query)
            base_total = evaluate(base, base_expr, {k: v for k, v in given.items() if k in base.sizes}, query)
            row["total"] = total
            row["ratio_at_sizes"] = f"{total / base_total:.4f}"
        rows.append(row)
    return rows


def _grow(exact: sympy.Expr) -> sympy.Expr:
    """The ratio as the hidden size n grows with the other sizes fixed (exact)."""
    n = size_symbol("n")
    return sympy.limit(exact, n, sympy.oo) if n in exact.free_symbols else exact


__all__ = ["compare_rows", "asymptotic_ratio", "size_symbol"]
