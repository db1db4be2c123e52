"""A cell's documents as text: the LaTeX write-up, the Markdown page, cell.json, and the gallery's index
and handbook. Diagrams and the files drawn from them are in figures.py; external tools in tools.py."""

from __future__ import annotations

from typing import Any

from ..base.jsonio import dumps, tagged
from ..base.version import __version__
from ..derive.counts import evaluate, factored
from ..derive.derived import Derived
from .checked import verification_context
from .context import cell_context
from .gradview import gradient_view
from .templating import environment
from .views import cell_view, formula_latex

#: What a Markdown page may link to, by build format: file name patterns ({name} is the cell's name).
PAGE_FILES = {"svg": ("overview.svg", "cell.svg", "backward.svg", "flow.svg", "unrolled.svg", "unrolled_backward.svg"), "pdf": ("{name}.pdf",), "tex": ("{name}.tex",), "json": ("cell.json",),
              "dot": ("cell.dot", "backward.dot")}


def cell_documents(derived: Derived, verification: dict[str, Any] | None, formats: tuple[str, ...],
                   present: tuple[str, ...], figures: bool, flow_figure: bool, tikz: bool) -> dict[str, str]:
    """A gallery entry's text documents, by file name: the write-up always (its PDF compiles from it), the
    Markdown page and cell.json where the formats ask. Each reads the one verification view."""
    view = verification_context(derived, verification)
    cell = cell_context(derived)
    out = {f"{cell['name']}.tex": _writeup(cell, view, figures, flow_figure, "../references", tikz)}
    if "md" in formats:
        out["README.md"] = _readme(cell, view, present)
    if "json" in formats:
        out["cell.json"] = _cell_json(derived, view)
    return out


def writeup_tex(derived: Derived, verification: dict[str, Any] | None = None, figures: bool = True,
                flow_figure: bool = False, bibliography: str = "../references", tikz: bool = False) -> str:
    """The LaTeX write-up; `figures` includes the diagrams (cell.pdf, backward.pdf), `flow_figure` flow.pdf;
    citations come from `bibliography`.bib (the gallery's references.bib, one folder up)."""
    return _writeup(cell_context(derived), verification_context(derived, verification), figures, flow_figure, bibliography, tikz)


def readme_md(derived: Derived, verification: dict[str, Any] | None = None, files: tuple[str, ...] = ()) -> str:
    """The Markdown page; it links and embeds only the files in `files` (those the build writes)."""
    return _readme(cell_context(derived), verification_context(derived, verification), files)


def cell_json(derived: Derived, verification: dict[str, Any] | None = None) -> str:
    """cell.json: the lstmsym.cell/1 view with the gradients and the verification record."""
    return _cell_json(derived, verification_context(derived, verification))


def _writeup(cell: dict[str, Any], view: dict[str, Any], figures: bool, flow_figure: bool, bibliography: str,
             tikz: bool) -> str:
    return environment("latex").get_template("writeup.tex.j2").render(
        cell=cell, verification=view, figures=figures, flow_figure=flow_figure, bibliography=bibliography, tikz=tikz)


def _readme(cell: dict[str, Any], view: dict[str, Any], files: tuple[str, ...]) -> str:
    present = set(files)
    return environment("markdown").get_template("readme.md.j2").render(cell=cell, verification=view,
                                                                       has=lambda rel: rel.format(name=cell["name"]) in present)


def _cell_json(derived: Derived, view: dict[str, Any]) -> str:
    data = cell_view(derived)
    grads = gradient_view(derived)
    data["gradients"] = {
        "incoming": grads["incoming"],
        "one_step": [{"target": e["target"], "kind": e["kind"], "text": e["text"], "latex": e["latex"]}
                     for section in grads["sections"] for e in section["entries"]],
        "bptt": [{"target": r["target"], "text": r["text"], "latex": r["latex"]} for r in grads["recurrences"]],
    }
    data["reference_sizes"] = derived.cell.size_rules.reference_sizes()
    data["verification"] = view
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
