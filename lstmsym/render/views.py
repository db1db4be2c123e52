"""Plain data views of a cell (equations, parameters, counts) that the CLI, JSON and templates share."""

from __future__ import annotations

from typing import Any

import sympy

from .cell import Cell
from .counts import CountQuery, count_formula, factored
from .errors import ConventionError
from .frameworks import mapping
from .latex import latex as to_latex
from .notation import Notation
from .textform import text as to_text

TIMES = " x "


def formula_text(expr: sympy.Expr) -> str:
    return sympy.sstr(expr)


def formula_latex(expr: sympy.Expr) -> str:
    return sympy.latex(expr, mul_symbol=None)


def equations_view(cell: Cell, notation: Notation | None = None, bold: bool = False) -> list[dict[str, str]]:
    notation = notation or Notation(cell)
    out = []
    for name, expr in cell.equations:
        out.append({
            "name": name,
            "text": to_text(expr, notation, keep_order=True),
            "latex_lhs": to_latex(sympy.Symbol(name), notation, bold=bold),
            "latex": to_latex(expr, notation, keep_order=True, bold=bold),
            "role": cell.role(name),
        })
    return out


def shape_text(shape: tuple[str, ...]) -> str:
    return TIMES.join(shape) if shape else "scalar"


def parameters_view(cell: Cell) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "shape": list(p.shape), "shape_text": shape_text(p.shape), "kind": p.kind, "role": p.role,
         "count": formula_text(p.size()), "declared": p.declared}
        for p in cell.parameters
    ]


def counts_view(cell: Cell) -> dict[str, dict[str, str]]:
    """The one-layer count formula for every convention the cell has."""
    out = {}
    for convention in ("paper", "pytorch", "keras"):
        try:
            expr = count_formula(cell, CountQuery(convention))
        except ConventionError:
            continue
        result = mapping(cell, convention) if convention != "paper" else None
        out[convention] = {
            "formula": formula_text(factored(expr)),
            "expanded": formula_text(sympy.expand(expr)),
            "latex": formula_latex(factored(expr)),
            "module": result.label if result else "",
        }
    return out


def cell_view(cell: Cell, bold: bool = False) -> dict[str, Any]:
    """Everything `show --format json` reports about a cell."""
    notation = Notation(cell)
    return {
        "name": cell.name,
        "title": cell.title,
        "family": cell.family,
        "year": cell.year,
        "summary": cell.summary,
        "source": cell.spec.notes,
        "aliases": list(cell.spec.aliases),
        "references": [ref.__dict__ for ref in cell.references],
        "sizes": cell.sizes,
        "input": {"name": cell.input, "size": cell.input_size},
        "state": [{"name": s.name, "previous": s.previous, "size": s.size, "role": s.role} for s in cell.states],
        "outputs": list(cell.outputs),
        "constants": {k: str(v) for k, v in cell.constants.items()},
        "parameters": parameters_view(cell),
        "equations": equations_view(cell, notation, bold),
        "counts": counts_view(cell),
    }
