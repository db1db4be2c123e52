"""The verification record's entry of a cell as the documents print it: the write-up, the Markdown page,
cell.json and the site page all read this one view."""

from __future__ import annotations

from typing import Any

from ..derive.derived import Derived
from ..derive.frameworks import mapping
from .context import sizes_text
from .facts import notation
from .worked import draws_phrase, worked_context

#: The sequence lengths the documents tabulate from the gradient-survival profile.
FLOW_STEPS_SHOWN = (1, 10, 50, 200)


def verification_context(derived: Derived, entry: dict[str, Any] | None) -> dict[str, Any]:
    """The verification entry of the record, with the phrases the documents print (None: not verified)."""
    if not entry:
        return {"available": False}
    symbolic = dict(entry["symbolic"])
    symbolic["sizes_text"] = sizes_text(symbolic["sizes"])
    torch_map = mapping(derived.cell, "pytorch")
    out = {"available": True, "symbolic": symbolic, "finite_differences": dict(entry["finite_differences"]),
           "pytorch": f"torch.nn.{torch_map.cls}" if torch_map is not None else ""}
    if entry.get("worked"):
        out["worked"] = worked_context(derived, entry["worked"], notation(derived))
    if entry.get("flow"):
        flow = entry["flow"]
        shown = [k for k, t in enumerate(flow["steps"]) if t in FLOW_STEPS_SHOWN]
        out["flow"] = dict(flow, sizes_text=sizes_text(flow["sizes"]), draws_text=draws_phrase(derived, "text"),
                           draws_latex=draws_phrase(derived, "latex"),
                           rows=[{"steps": flow["steps"][k], "median": _g(flow["median"][k]), "low": _g(flow["low"][k]),
                                  "high": _g(flow["high"][k])} for k in shown])
    return out


def _g(value: float) -> str:
    """3 significant digits, as a page prints a measured norm."""
    return f"{value:.3g}"
