"""The worked step as the documents show it: each row's values (a vector in brackets, whole), and the sentence
saying how the example was drawn (the spec's inits, the inputs' domains, the seed, and the gates it keeps acting)."""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.derived import Derived
from ..derive.gates import gates
from ..printing.latex import latex
from ..printing.notation import Notation
from ..printing.text import text
from .context import sizes_text

DEFAULT_PLAIN = "weights uniform in ±1/√n as the frameworks initialise them"


def values_text(row: dict[str, Any]) -> str:
    """'0.845' for a scalar, '[0.092, -0.573, 0.610]' for a vector (whole), ', ...' where a map or matrix is cut."""
    numbers = ", ".join(f"{v:.3f}" for v in row["values"]) + (", ..." if row["more"] else "")
    return numbers if not row["shape"] else f"[{numbers}]"


def _gate_names(derived: Derived, n: Notation, form) -> list[str]:
    """The gates, each as its quantity's name or (inside an equation) its expression, in `form` (latex or text)."""
    return [form(sympy.Symbol(g.node), n) if g.whole else form(g.expr, n) for g in gates(derived.cell)]


def _draws(derived: Derived) -> tuple[list[str], list[str]]:
    """'name: init' for each parameter with an init of its own, 'name: domain' for each input not real."""
    cell = derived.cell
    inits = [f"{p.name}: {p.init.text}" for p in cell.parameters if p.init is not None and p.init.kind != "default"]
    domains = [f"{i.name}: {i.domain.text}" for i in cell.inputs if i.domain.kind != "real"]
    return inits, domains


def setup_text(derived: Derived, worked: dict[str, Any], n: Notation) -> str:
    """How the example was drawn, in plain text (Markdown and HTML)."""
    inits, domains = _draws(derived)
    parts = [DEFAULT_PLAIN + (f", except {'; '.join(inits)}, as the cell's paper initialises them" if inits else "")]
    if domains:
        parts.append(f"inputs from their domains ({'; '.join(domains)})")
    names = _gate_names(derived, n, text)
    seed = f"every draw from seed {worked['seed']}"
    if names and not worked.get("stuck"):
        seed += f", the first seed from 2024 on at which no gate ({', '.join(names)}) is closed or saturated at every unit"
    elif worked.get("stuck"):
        seed += f"; no seed tried keeps every gate acting: {', '.join(worked['stuck'])} stays closed or saturated"
    return "; ".join(parts + [seed])


def worked_context(derived: Derived, entry: dict[str, Any], n: Notation) -> dict[str, Any]:
    """The record's worked step with what the templates print."""
    worked = dict(entry)
    inits, domains = _draws(derived)
    worked["sizes_text"] = sizes_text(worked["sizes"])
    worked["rows"] = [dict(row, latex=latex(sympy.Symbol(row["name"]), n), values_text=values_text(row),
                           colours_hex=[c.lstrip("#").upper() for c in row["colours"]]) for row in worked["rows"]]
    worked["setup_text"] = setup_text(derived, worked, n)
    worked["inits_text"] = "; ".join(inits)
    worked["domains_text"] = "; ".join(domains)
    worked["gates_latex"] = ", ".join(f"${g}$" for g in _gate_names(derived, n, latex))
    worked.setdefault("stuck", [])
    return worked
