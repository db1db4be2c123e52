"""Plain data views of a cell's derived gradients (one step and BPTT), for the CLI, JSON and templates.
Every entry is printed from the derived statements themselves."""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.derived import Derived
from ..model.functions import SPEC_FUNCTIONS
from ..printing.latex import TOTAL_LOSS, latex
from ..printing.notation import Notation
from ..printing.text import text
from ..spec.naming import incoming_base
from .facts import notation as notation_of

SECTIONS = (
    ("step", ("node",), "Adjoints within the step, from the outputs back to the pre-activations"),
    ("carry", ("carry",), "Adjoints handed to step t-1"),
    ("input", ("input",), "Adjoints of the inputs"),
    ("params", ("param",), "This step's contribution to each parameter gradient"),
)
#: Vector-level operations a `check` formula may use besides the notation's functions.
FORMULA_OPERATIONS = ("outer(u, v)", "sum(v)", "step(x)", "d(expression)")


def _entry(n: Notation, lhs: sympy.Expr, rhs: sympy.Expr, bold: bool, **extra: Any) -> dict[str, Any]:
    return {"target": text(lhs, n), "text": text(rhs, n), "latex_lhs": latex(lhs, n, bold=bold), "latex": latex(rhs, n, bold=bold),
            **extra}


def incoming_view(derived: Derived, n: Notation, bold: bool) -> list[dict[str, str]]:
    cell, out = derived.cell, []
    states = {s.name for s in cell.states}
    for key in derived.backward.incoming:
        base = incoming_base(key) or key
        what = "the loss at this step plus step t+1" if base in cell.outputs and base in states \
            else ("the loss at this step" if base in cell.outputs else "step t+1")
        out.append({"name": text(sympy.Symbol(key), n), "latex": latex(sympy.Symbol(key), n, bold=bold),
                    "meaning": f"adjoint arriving at {base} from {what}"})
    return out


def gradient_view(derived: Derived, bold: bool = False) -> dict[str, Any]:
    """Everything `grad` prints: sections of one-step equations, BPTT recurrences and sums, a glossary."""
    back, n = derived.backward, notation_of(derived)
    view: dict[str, Any] = {"cell": derived.cell.name, "incoming": incoming_view(derived, n, bold), "sections": []}
    for key, kinds, title in SECTIONS:
        entries = [_entry(n, st.symbol, st.expr, bold, kind=st.kind, of=text(sympy.Symbol(st.of), n)) for st in back.by_kind(*kinds)]
        view["sections"].append({"key": key, "title": title, "entries": entries})
    bptt = derived.bptt
    view["recurrences"] = [_entry(n, r.symbol, r.expr, bold, state=r.name,
                                  carried_from=text(sympy.Symbol(r.carried_from), n) if r.carried_from else "")
                           for r in bptt.recurrences]
    view["sums"] = [{"param": st.of, "text": f"sum over t of ({text(st.expr, n)})",
                     "latex_lhs": rf"\frac{{\partial {TOTAL_LOSS}}}{{\partial {latex(sympy.Symbol(st.of), n, bold=bold)}}}",
                     "latex": rf"\sum_{{{n.time_letter}=1}}^{{T}} {latex(st.expr, n, bold=bold)}"} for st in bptt.parameter_sums]
    view["boundary"] = [{"state": s, "latex": latex(sympy.Symbol(f"in:{s}"), n, bold=bold).replace(f"_{{{n.time_letter}}}", "_{T}", 1)}
                        for s in bptt.boundary]
    view["glossary"] = glossary(derived)
    return view


def glossary(derived: Derived) -> dict[str, list[str]]:
    """The names a `check` formula may use, as `grad` prints them."""
    cell, back, n = derived.cell, derived.backward, notation_of(derived)
    shown = lambda keys: [name for name in (n.text_name(k) for k in keys) if name is not None]  # noqa: E731
    forward = [node.key for node in cell.value_nodes] + [i.name for i in cell.inputs] + [s.previous for s in cell.states]
    return {
        "forward quantities": shown(forward),
        "parameters": [p.name for p in cell.parameters],
        "constants": list(cell.constants),
        "incoming adjoints": shown(back.incoming),
        "derived adjoints": [text(st.symbol, n) for st in back.statements if st.kind in ("node", "carry", "input")],
        "functions": list(SPEC_FUNCTIONS) + list(FORMULA_OPERATIONS),
    }
