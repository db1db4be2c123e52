"""The worked step as the documents show it: each row's values (a vector in brackets, whole), and the sentence
saying how the example was drawn (the spec's inits, the inputs' domains, the seed, and the gates it keeps acting),
in plain text and in LaTeX from one routine."""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.derived import Derived
from ..derive.gates import gates
from ..printing.escape import latex_text
from ..printing.latex import latex
from ..printing.notation import Notation
from ..printing.text import text
from .context import sizes_text

#: The frameworks' default, as plain text and as LaTeX.
DEFAULT = {"text": "uniformly from ±1/√n", "latex": r"uniformly from $\pm 1/\sqrt{n}$"}


def values_text(row: dict[str, Any]) -> str:
    """'0.845' for a scalar, '[0.092, -0.573, 0.610]' for a vector (whole), ', ...' where a map or matrix is cut."""
    numbers = ", ".join(f"{v:.3f}" for v in row["values"]) + (", ..." if row["more"] else "")
    return numbers if not row["shape"] else f"[{numbers}]"


def _gate_names(derived: Derived, n: Notation, form) -> list[str]:
    """The gates, each as its quantity's name or (inside an equation) its expression, in `form` (latex or text)."""
    return [form(sympy.Symbol(g.node), n) if g.whole else form(g.expr, n) for g in gates(derived.cell)]


def _draws(derived: Derived) -> tuple[list[str], list[str], bool]:
    """'name: init' for each parameter with an init of its own, 'name: domain' for each input not real, and
    whether some parameter keeps the default."""
    cell = derived.cell
    own = [p for p in cell.parameters if p.init is not None and p.init.kind != "default"]
    domains = [f"{i.name}: {i.domain.text}" for i in cell.inputs if i.domain.kind != "real"]
    return [f"{p.name}: {p.init.text}" for p in own], domains, len(own) < len(cell.parameters)


def draws_phrase(derived: Derived, form: str) -> str:
    """How the weights and the inputs are drawn, as plain text (form 'text': Markdown and HTML) or LaTeX ('latex');
    the worked step and the gradient-survival profile draw them alike."""
    words = latex_text if form == "latex" else str
    inits, domains, rest = _draws(derived)
    weights = f"weights drawn {DEFAULT[form]} as the frameworks initialise them"
    if inits:
        weights = (f"weights drawn as the spec's init says, after the cell's paper ({words('; '.join(inits))})"
                   + (f", the others {DEFAULT[form]} as the frameworks initialise them" if rest else ""))
    inputs = f"inputs drawn from their domains ({words('; '.join(domains))}), the others normal" if domains else "inputs normal"
    return f"{weights}; {inputs}"


def setup_sentence(derived: Derived, worked: dict[str, Any], n: Notation, form: str) -> str:
    """How the example was drawn: the weights and inputs, the seed, and the gates it keeps acting."""
    words = latex_text if form == "latex" else str
    parts = [draws_phrase(derived, form)]
    names = [f"${g}$" if form == "latex" else g for g in _gate_names(derived, n, latex if form == "latex" else text)]
    seed = f"every draw from seed {worked['seed']}"
    if worked.get("stuck"):
        seed += f"; no seed tried keeps every gate acting: {words(', '.join(worked['stuck']))} stays closed or saturated"
    elif names:
        seed += f", the first seed from 2024 on at which no gate ({', '.join(names)}) is closed or saturated at every unit"
    return "; ".join(parts + [seed])


def worked_context(derived: Derived, entry: dict[str, Any], n: Notation) -> dict[str, Any]:
    """The record's worked step with what the templates print."""
    worked = dict(entry)
    worked.setdefault("stuck", [])
    worked["sizes_text"] = sizes_text(worked["sizes"])
    worked["rows"] = [dict(row, latex=latex(sympy.Symbol(row["name"]), n), values_text=values_text(row),
                           colours_hex=[c.lstrip("#").upper() for c in row["colours"]]) for row in worked["rows"]]
    worked["setup_text"] = setup_sentence(derived, worked, n, "text")
    worked["setup_latex"] = setup_sentence(derived, worked, n, "latex")
    return worked
