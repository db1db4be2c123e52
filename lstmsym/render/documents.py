"""A cell's documents as text: the LaTeX write-up, the Markdown page, cell.json, and the gallery's index
and handbook. Diagrams are in diagram.py; external tools in tools.py."""

from __future__ import annotations

from typing import Any

from ..base.jsonio import dumps, tagged
from ..base.version import __version__
from ..derive.counts import evaluate, factored
from ..derive.derived import Derived
from ..derive.frameworks import mapping
from .context import cell_context, sizes_text
from .diagram import to_dot
from .diagram_backward import backward_diagram
from .diagram_forward import forward_diagram
from .diagram_overview import has_overview, overview_diagram
from .diagram_unrolled import unrolled_diagram
from .facts import notation
from .gradview import gradient_view
from .templating import environment
from .views import cell_view, formula_latex
from .worked import draws_phrase, worked_context

#: The diagrams every cell gets (a large cell also gets an overview: diagram_kinds).
DIAGRAM_KINDS = ("cell", "backward", "unrolled", "unrolled_backward")
#: The sequence lengths the documents tabulate from the gradient-survival profile.
FLOW_STEPS_SHOWN = (1, 10, 50, 200)
#: What a Markdown page may link to, by build format: file name patterns ({name} is the cell's name).
PAGE_FILES = {"svg": ("overview.svg", "cell.svg", "backward.svg", "flow.svg", "unrolled.svg", "unrolled_backward.svg"), "pdf": ("{name}.pdf",), "tex": ("{name}.tex",), "json": ("cell.json",),
              "dot": ("cell.dot", "backward.dot")}


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


def diagram(derived: Derived, kind: str = "cell"):
    """The forward diagram ('cell'), the gradient-flow diagram ('backward'), or three steps of either
    ('unrolled', 'unrolled_backward')."""
    n = notation(derived)
    if kind == "overview":
        return overview_diagram(derived, n)
    if kind.startswith("unrolled"):
        return unrolled_diagram(derived, n, backward=kind.endswith("backward"))
    return (forward_diagram if kind == "cell" else backward_diagram)(derived, n)


def diagram_kinds(derived: Derived) -> tuple[str, ...]:
    """The diagrams a cell gets: the overview first where it has one (diagram_overview.has_overview)."""
    return (("overview",) if has_overview(derived, notation(derived)) else ()) + DIAGRAM_KINDS


def diagram_dot(derived: Derived, kind: str = "cell") -> str:
    """DOT source of the forward diagram ('cell') or the gradient-flow diagram ('backward')."""
    return to_dot(diagram(derived, kind))


def writeup_tex(derived: Derived, verification: dict[str, Any] | None = None, figures: bool = True,
                flow_figure: bool = False, bibliography: str = "../references", tikz: bool = False) -> str:
    """The LaTeX write-up; `figures` includes the diagrams (cell.pdf, backward.pdf), `flow_figure` flow.pdf;
    citations come from `bibliography`.bib (the gallery's references.bib, one folder up)."""
    return environment("latex").get_template("writeup.tex.j2").render(
        cell=cell_context(derived), verification=verification_context(derived, verification), figures=figures,
        flow_figure=flow_figure, bibliography=bibliography, tikz=tikz)


def readme_md(derived: Derived, verification: dict[str, Any] | None = None, files: tuple[str, ...] = ()) -> str:
    """The Markdown page; it links and embeds only the files in `files` (those the build writes)."""
    ctx = cell_context(derived)
    present = set(files)
    return environment("markdown").get_template("readme.md.j2").render(
        cell=ctx, verification=verification_context(derived, verification),
        has=lambda rel: rel.format(name=ctx["name"]) in present)


def cell_json(derived: Derived, verification: dict[str, Any] | None = None) -> str:
    """cell.json: the lstmsym.cell/1 view with the gradients and the verification record."""
    data = cell_view(derived)
    grads = gradient_view(derived)
    data["gradients"] = {
        "incoming": grads["incoming"],
        "one_step": [{"target": e["target"], "kind": e["kind"], "text": e["text"], "latex": e["latex"]}
                     for section in grads["sections"] for e in section["entries"]],
        "bptt": [{"target": r["target"], "text": r["text"], "latex": r["latex"]} for r in grads["recurrences"]],
    }
    data["reference_sizes"] = derived.cell.size_rules.reference_sizes()
    data["verification"] = verification_context(derived, verification)
    data["lstmsym"] = __version__
    return dumps(tagged("cell", data))


def index_rows(cells: list[Derived]) -> list[dict[str, Any]]:
    base = next((c for c in cells if c.cell.name == "rnn"), None)
    base_total = evaluate(base.cell, base.cell.parameter_count(), base.cell.size_rules.reference_sizes()) if base else None
    rows = []
    for d in cells:
        ctx = cell_context(d)
        total = evaluate(d.cell, d.cell.parameter_count(), ctx["reference_sizes"])
        rows.append({"name": d.cell.name, "title": d.cell.title, "family": d.cell.family, "year": d.cell.year or "",
                     "formula_latex": formula_latex(factored(d.cell.parameter_count())), "total_text": f"{total:,}",
                     "ratio_text": f"{total / base_total:.2f}" if base_total else ""})
    return rows


def gallery_sizes_text() -> str:
    return "m = 128, n = 256, p = 128"


def index_md(cells: list[Derived], with_plots: bool = False, flow_plot: bool = False) -> str:
    plots = {k: f"plots/{k}.svg" for k in ("parameters", "flops", "memory")} if with_plots else {}
    if with_plots and flow_plot:
        plots["flow"] = "plots/flow.svg"
    return environment("markdown").get_template("index.md.j2").render(
        cells=index_rows(cells), sizes_text=gallery_sizes_text(), version=__version__, plots=plots)


#: The handbook's parts: one per family, in this order, then any other family by name.
FAMILY_PARTS = {"rnn": "Simple recurrent networks", "lstm": "The LSTM family", "gru": "The GRU family",
                "other": "Other cells"}
#: What each comparison plot shows, as its caption.
PLOT_CAPTIONS = {
    "parameters": "Parameters of one layer against the hidden size, every cell (log scales).",
    "flops": "Matrix-product FLOPs of one step, forward and backward, against the hidden size.",
    "memory": "Activations the derived backward keeps per step, against the hidden size.",
    "flow": "Median gradient surviving T steps of backpropagation, per cell, with each spec's initialisation.",
}


def handbook_tex(cells: list[Derived], verifications: dict[str, dict[str, Any]], with_plots: bool = False,
                 flow_plot: bool = False, tikz: bool = False) -> str:
    """The handbook: notation, the comparison, then one part per family with a chapter per cell (the table of
    contents lists parts and chapters only)."""
    order = list(FAMILY_PARTS) + sorted({c.cell.family for c in cells} - set(FAMILY_PARTS))
    parts = [{"title": FAMILY_PARTS.get(family, f"The {family} family"),
              "cells": [cell_context(c) for c in cells if c.cell.family == family]} for family in order]
    plots = (["parameters", "flops", "memory"] + ["flow"] * flow_plot) if with_plots else []
    return environment("latex").get_template("handbook.tex.j2").render(
        parts=[part for part in parts if part["cells"]], cell_count=len(cells), rows=index_rows(cells),
        sizes_text=gallery_sizes_text(), version=__version__,
        verifications={c.cell.name: verification_context(c, verifications.get(c.cell.name)) for c in cells},
        sub="\\section", width="0.8", plots=[(plot, PLOT_CAPTIONS[plot]) for plot in plots],
        figures=True,
        flow_figure=False, tikz=tikz)
