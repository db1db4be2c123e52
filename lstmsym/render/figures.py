"""A cell's pictures: its diagrams (which kinds it gets, each as a Diagram and as DOT) and, for one gallery entry,
every file made from them (SVG, PNG, PDF, TikZ) and its gradient-flow plot, each tool called once for all of them.

Why one place: the gallery build used to walk diagram → dot → TikZ → dot again for each kind in turn; here each
kind's DOT is written once, dot runs once over all the (kind, format) pairs, TikZ reads dot's JSON layouts, and
build_cell receives the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..derive.derived import Derived
from . import plots, tikz, tools
from .diagram import Diagram, to_dot
from .diagram_backward import backward_diagram
from .diagram_forward import forward_diagram
from .diagram_overview import has_overview, overview_diagram
from .diagram_unrolled import unrolled_diagram
from .facts import notation

#: The diagrams every cell gets (a large cell also gets an overview: diagram_kinds).
DIAGRAM_KINDS = ("cell", "backward", "unrolled", "unrolled_backward")


def available() -> tools.Tools:
    """The optional tools present now."""
    dot = tools.dot_available()
    return tools.Tools(dot, tools.tex_available(), dot and tools.tikz_available(), plots.matplotlib_available())


def diagram(derived: Derived, kind: str = "cell") -> Diagram:
    """The forward diagram ('cell'), the gradient-flow diagram ('backward'), three steps of either ('unrolled',
    'unrolled_backward'), or a large cell's overview ('overview')."""
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
    """DOT source of one of the cell's diagrams."""
    return to_dot(diagram(derived, kind))


@dataclass
class Pictures:
    """One gallery entry's pictures: `files` (relative to the cell's folder), `figures` (what the write-up
    includes, by file name), `svgs` (what its site page inlines, by kind), and the tools that were missing."""

    files: dict[str, bytes] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    svgs: dict[str, bytes] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def cell_pictures(derived: Derived, kinds: tuple[str, ...], formats: tuple[str, ...], have: tools.Tools,
                  flow: dict[str, Any] | None, pdf_figures: bool, committed: Path | None = None) -> Pictures:
    """Every picture of a cell a build with these formats and tools makes; `flow` is the verification record's
    gradient-flow profile (plotted where matplotlib is), `pdf_figures` asks for the PDF figures the write-up
    includes whatever the formats. With `committed` (the cell's folder, for `build --check`) a committed picture
    that carries the digest of what it is drawn from stands in for drawing it (tools.STAMPED)."""
    out = Pictures()
    diagrams = {kind: diagram(derived, kind) for kind in kinds}
    dots = {kind: to_dot(d) for kind, d in diagrams.items()}
    use_tikz = "tikz" in formats and have.tikz
    wanted = [fmt for fmt in ("svg", "png") if fmt in formats] + ["svg"] * ("html" in formats and "svg" not in formats) \
        + ["json"] * use_tikz + ["pdf"] * (not use_tikz and ("pdf" in formats or pdf_figures))
    rendered = tools.render_all(dots, wanted, committed) if have.dot else {}
    tikz_files = tikz.figure_files(diagrams, rendered["json"]) if use_tikz else {}
    if not have.dot and any(f in formats for f in ("svg", "png", "pdf", "tikz")):
        out.skipped.append("dot")
    if flow:
        _flow_plot(derived, formats, have, flow, pdf_figures, out, committed)
    for kind in kinds:  # each kind's DOT, pictures and TikZ, as a reader lists them
        out.files[f"{kind}.dot"] = dots[kind].encode()
        for fmt in ("svg", "png"):
            if fmt in formats and fmt in rendered:
                out.files[f"{kind}.{fmt}"] = rendered[fmt][kind]
        if "html" in formats and rendered:
            out.svgs[kind] = rendered["svg"][kind]
        if "pdf" in rendered:
            out.figures[f"{kind}.pdf"] = rendered["pdf"][kind]
        if f"{kind}.tikz" in tikz_files:
            out.figures[f"{kind}.tikz"] = out.files[f"{kind}.tikz"] = tikz_files[f"{kind}.tikz"].encode()
            out.files[f"{kind}-tikz.tex"] = tikz_files[f"{kind}-tikz.tex"].encode()
    return out


def _flow_plot(derived: Derived, formats: tuple[str, ...], have: tools.Tools, flow: dict[str, Any], pdf_figures: bool,
               out: Pictures, committed: Path | None) -> None:
    """The gradient-flow plot, drawn once for SVG (the page, the svg format) and PDF (the write-up), or the
    committed files that carry its digest."""
    if not have.matplotlib:
        if any(f in formats for f in ("svg", "pdf", "html")):
            out.skipped.append("matplotlib")
        return
    wanted = tuple(f for f, wants in (("svg", "svg" in formats or "html" in formats), ("pdf", "pdf" in formats or pdf_figures)) if wants)
    cell = derived.cell
    digest = plots.flow_digest(cell.name, cell.family, flow) if committed else ""
    kept = {fmt: tools.committed_picture(committed / f"flow.{fmt}", digest) for fmt in wanted} if committed else {}
    drawn = kept if kept and all(kept.values()) else plots.flow_figure(cell.name, cell.family, flow, wanted) if wanted else {}
    if "svg" in drawn:
        out.svgs["flow"] = drawn["svg"]
        if "svg" in formats:
            out.files["flow.svg"] = drawn["svg"]
    if "pdf" in drawn:
        out.figures["flow.pdf"] = drawn["pdf"]
