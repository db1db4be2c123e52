"""Plain data views of a cell (equations, parameters, counts): what `show --json`, cell.json and the
templates share. One schema, lstmsym.cell/1, documented in docs/json.md."""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.counts import CountQuery, factored, tensors
from ..derive.derived import Derived
from ..derive.frameworks import CONVENTION_LABELS, mapping
from ..printing.latex import latex as to_latex
from ..printing.text import text as to_text
from .facts import notation

TIMES = " x "


def formula_text(expr: sympy.Expr) -> str:
    return sympy.sstr(expr)


def formula_latex(expr: sympy.Expr) -> str:
    return sympy.latex(expr, mul_symbol=None)


def shape_text(shape: tuple[str, ...]) -> str:
    return TIMES.join(shape) if shape else "scalar"


def equations_view(derived: Derived, bold: bool = False) -> list[dict[str, str]]:
    cell, n = derived.cell, notation(derived)
    return [{"name": name, "text": to_text(expr, n, keep_order=True), "latex_lhs": to_latex(sympy.Symbol(name), n, bold=bold),
             "latex": to_latex(expr, n, keep_order=True, bold=bold), "role": cell.role(name)} for name, expr in cell.equations]


def parameters_view(derived: Derived) -> list[dict[str, Any]]:
    return [{"name": p.name, "shape": list(p.shape), "shape_text": shape_text(p.shape) + (f" in {p.blocks} blocks" if p.blocks else ""),
             "kind": p.kind, "role": p.role, "count": formula_text(p.size()), "declared": p.declared, "blocks": p.blocks,
             "init": None if p.init is None else {"kind": p.init.kind, "args": list(p.init.args), "fan_in": p.init.fan_in}}
            for p in derived.cell.parameters]


def counts_view(derived: Derived) -> dict[str, dict[str, str]]:
    """The one-layer count formula for every convention the cell has."""
    out = {}
    for convention in derived.conventions:
        expr = derived.count(CountQuery(convention))
        result = mapping(derived.cell, convention) if convention != "paper" else None
        out[convention] = {"formula": formula_text(factored(expr)), "expanded": formula_text(sympy.expand(expr)),
                           "latex": formula_latex(factored(expr)), "module": result.label if result else CONVENTION_LABELS[convention]}
    return out


def tensors_view(derived: Derived, query: CountQuery) -> list[dict[str, Any]]:
    """Every tensor of a stack (all layers and directions), with its shape and count as formulas."""
    return [{"name": row.name, "shape": [formula_text(s) for s in row.shape], "shape_text": " x ".join(formula_text(s) for s in row.shape) or "scalar",
             "count": formula_text(sympy.factor(row.count)), "holds": row.holds} for row in tensors(derived.cell, query)]


def cell_view(derived: Derived, bold: bool = False) -> dict[str, Any]:
    """Everything `show --json` reports about a cell (and the core of cell.json)."""
    cell = derived.cell
    return {
        "name": cell.name, "title": cell.title, "family": cell.family, "year": cell.year, "summary": cell.summary,
        "source": cell.spec.notes, "aliases": list(cell.spec.aliases),
        "references": [dict(ref.__dict__, key=ref.key) for ref in cell.references],
        "sizes": cell.sizes, "size_rules": cell.size_rules.describe(),
        "inputs": [{"name": i.name, "shape": list(i.shape), "role": i.role,
                    "domain": {"kind": i.domain.kind, "low": i.domain.low, "high": i.domain.high}} for i in cell.inputs],
        "state": [{"name": s.name, "previous": s.previous, "shape": list(s.shape), "role": s.role} for s in cell.states],
        "outputs": list(cell.outputs),
        "constants": {k: str(v) for k, v in cell.constants.items()},
        "constant_matrices": [{"name": m.name, "kind": m.kind, "shape": list(m.shape), "role": m.role,
                               **({"rows": [[int(v) if v.denominator == 1 else float(v) for v in row] for row in m.table]}
                                  if m.table else {})}
                              for m in cell.spec.matrices.values()],
        "parameters": parameters_view(derived),
        "equations": equations_view(derived, bold),
        "counts": counts_view(derived),
    }
