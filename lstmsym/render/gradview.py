"""Plain data views of a cell's derived gradients (one step and BPTT), for the CLI, JSON and templates."""

from __future__ import annotations

from typing import Any

import sympy

from .backward import Backward
from .bptt import BPTT
from .cell import Cell
from .ir import LossGrad
from .latex import TOTAL_LOSS, latex
from .notation import Notation
from .textform import text

SECTIONS = (
    ("step", ("node",), "Adjoints within the step, from the outputs back to the pre-activations"),
    ("carry", ("carry",), "Adjoints handed to step t-1"),
    ("input", ("input",), "Adjoint of the input"),
    ("params", ("matrix", "param"), "This step's contribution to each parameter gradient"),
)


def _entry(notation: Notation, lhs: sympy.Expr, rhs: sympy.Expr, bold: bool, **extra: Any) -> dict[str, Any]:
    return {
        "target": lhs.name if lhs.is_Symbol else str(lhs),
        "text": text(rhs, notation),
        "latex_lhs": latex(lhs, notation, bold=bold),
        "latex": latex(rhs, notation, bold=bold),
        **extra,
    }


def incoming_view(cell: Cell, back: Backward, notation: Notation, bold: bool) -> list[dict[str, str]]:
    out = []
    for name in back.incoming:
        base = name[2:-3]
        what = "loss at this step plus step t+1" if base in cell.outputs and base in {s.name for s in cell.states} \
            else ("the loss at this step" if base in cell.outputs else "step t+1")
        out.append({"name": name, "latex": latex(sympy.Symbol(name), notation, bold=bold),
                    "meaning": f"adjoint arriving at {base} from {what}"})
    return out


def gradient_view(cell: Cell, bold: bool = False) -> dict[str, Any]:
    """Everything `grad` prints: sections of one-step equations, BPTT recurrences and sums, a glossary."""
    back = Backward(cell)
    notation = Notation(cell)
    view: dict[str, Any] = {"cell": cell.name, "incoming": incoming_view(cell, back, notation, bold), "sections": []}
    for key, kinds, title in SECTIONS:
        entries = [_entry(notation, st.symbol, st.expr, bold, kind=st.kind, of=st.of) for st in back.by_kind(*kinds)]
        view["sections"].append({"key": key, "title": title, "entries": entries})
    bptt = BPTT(back)
    view["recurrences"] = [
        _entry(notation, r.symbol, r.expr, bold, state=r.name, carried_from=r.carried_from or "") for r in bptt.recurrences
    ]
    view["sums"] = [
        {"param": st.of, "text": f"sum over t of ({text(st.expr, notation)})",
         "latex_lhs": rf"\frac{{\partial {TOTAL_LOSS}}}{{\partial {latex(sympy.Symbol(st.of), notation, bold=bold)}}}",
         "latex": rf"\sum_{{t=1}}^{{T}} {latex(st.expr, notation, bold=bold)}"}
        for st in bptt.parameter_sums
    ]
    view["boundary"] = [
        {"state": s, "latex": latex(sympy.Symbol(f"d_{s}_in"), notation, bold=bold).replace("_{t}", "_{T}", 1)}
        for s in bptt.boundary
    ]
    view["glossary"] = glossary(cell, back)
    return view


def glossary(cell: Cell, back: Backward) -> dict[str, list[str]]:
    """The names a `check` formula may use."""
    forward = [n.name for n in cell.nodes if n.kind != "matrix"] + [cell.input] + [s.previous for s in cell.states]
    return {
        "forward quantities": forward,
        "parameters": [p.name for p in cell.parameters],
        "constants": list(cell.constants),
        "incoming adjoints": list(back.incoming),
        "derived adjoints": [st.target for st in back.statements if st.kind in ("node", "carry", "input")],
        "functions": ["sigmoid", "tanh", "relu", "exp", "log", "sqrt", "softplus", "hard_sigmoid", "max", "min",
                      "step", "outer(u, v)", "sum(v)"],
    }


__all__ = ["gradient_view", "LossGrad"]
