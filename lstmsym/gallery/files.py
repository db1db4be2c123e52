"""The files of one cell's gallery entry, built in memory from its Derived facts (runs in a worker process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import LstmsymError
from ..derive.derived import derived
from ..model.loading import load_cell
from ..render import documents, plots, references, site, tools
from ..render.diagram import to_dot
from ..render.tikz import diagram_tikz, standalone_tex
from ..verify import record as records

#: The gallery's formats, each with how the names of its files end: `--format`'s choices, the default, and how
#: `build --check` tells a committed file's format (a file of a format not asked for is not judged) all read it.
FORMAT_SUFFIXES = {"tex": (".tex",), "pdf": (".pdf",), "md": (".md",), "svg": (".svg",), "png": (".png",),
                   "json": (".json",), "html": (".html",), "tikz": (".tikz", "-tikz.tex")}
FORMATS = tuple(FORMAT_SUFFIXES)
DEFAULT_FORMATS = ",".join(FORMATS)


@dataclass
class CellOutput:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: What could not be made (a write-up LaTeX refuses), said once; every other file is still written.
    problems: list[str] = field(default_factory=list)


def planned_files(name: str, formats: tuple[str, ...], dot: bool, tex: bool,
                  kinds: tuple[str, ...] = documents.DIAGRAM_KINDS) -> tuple[str, ...]:
    """The file names (relative to the cell's folder) a build with these formats, tools and diagrams writes."""
    files = [f"{kind}.dot" for kind in kinds]  # every diagram's DOT source, whatever the formats
    if dot:
        files += [f"{kind}.{fmt}" for kind in kinds for fmt in ("svg", "png") if fmt in formats]
    if "svg" in formats and plots.matplotlib_available():
        files.append("flow.svg")
    files += [f"{name}.tex"] * ("tex" in formats) + ["README.md"] * ("md" in formats) + ["cell.json"] * ("json" in formats)
    if "pdf" in formats and dot and tex:
        files.append(f"{name}.pdf")
    if "tikz" in formats and dot and tools.tikz_available():
        files += [f"{kind}{suffix}" for kind in kinds for suffix in (".tikz", "-tikz.tex")]
    elif "pdf" in formats and dot:
        files += [f"{kind}.pdf" for kind in kinds]
    if "pdf" in formats and plots.matplotlib_available():
        files.append("flow.pdf")
    return tuple(files)


def build_cell(spec: str, formats: tuple[str, ...], record: dict[str, Any], figures: bool = False,
               committed: str | None = None) -> CellOutput:
    """All files of one cell; `figures` also renders the PDF diagrams the handbook includes. With `committed` (a
    gallery folder, for `build --check`) the write-up is not compiled: the committed PDF stands in for it when it
    was compiled from the same sources (tools.committed_pdf)."""
    d = derived(load_cell(spec))
    cell = d.cell
    result = CellOutput(cell.name)
    result.verification = records.status(d, record)
    prefix = f"{cell.name}/"
    dot, tex = tools.dot_available(), tools.tex_available()
    kinds = documents.diagram_kinds(d)
    diagrams = {kind: documents.diagram(d, kind) for kind in kinds}
    dots = {kind: to_dot(diagram) for kind, diagram in diagrams.items()}
    use_tikz = "tikz" in formats and dot and tools.tikz_available()
    for kind, source in dots.items():
        result.files[f"{prefix}{kind}.dot"] = source.encode()
    wants_images = any(f in formats for f in ("svg", "png", "pdf", "tikz"))
    svgs: dict[str, bytes] = {}
    if dot:
        for kind, source in dots.items():
            for fmt in ("svg", "png"):
                if fmt in formats:
                    result.files[f"{prefix}{kind}.{fmt}"] = tools.render_dot(source, fmt)
            if "html" in formats:
                svgs[kind] = result.files.get(f"{prefix}{kind}.svg") or tools.render_dot(source, "svg")
            if use_tikz:
                tikz = diagram_tikz(diagrams[kind]).encode()
                result.figures[f"{kind}.tikz"] = tikz
                result.files[f"{prefix}{kind}.tikz"] = tikz
                result.files[f"{prefix}{kind}-tikz.tex"] = standalone_tex(f"{kind}.tikz").encode()
            elif "pdf" in formats or figures:
                result.figures[f"{kind}.pdf"] = tools.render_dot(source, "pdf")
    elif wants_images:
        result.skipped.append("dot")
    flow = result.verification.get("flow")
    if flow and not plots.matplotlib_available() and any(f in formats for f in ("svg", "pdf", "html")):
        result.skipped.append("matplotlib")
    if flow and plots.matplotlib_available():
        wanted = tuple(f for f, wants in (("svg", "svg" in formats or "html" in formats), ("pdf", "pdf" in formats or figures)) if wants)
        drawn = plots.flow_figure(cell.name, cell.family, flow, wanted) if wanted else {}
        if "svg" in drawn:
            svgs["flow"] = drawn["svg"]
        if "svg" in formats:
            result.files[f"{prefix}flow.svg"] = svgs["flow"]
        if "pdf" in drawn:
            result.figures["flow.pdf"] = drawn["pdf"]
    tex_source = documents.writeup_tex(d, result.verification, figures=dot, flow_figure="flow.pdf" in result.figures, tikz=use_tikz)
    if "tex" in formats:
        result.files[f"{prefix}{cell.name}.tex"] = tex_source.encode()
    if "md" in formats:
        present = planned_files(cell.name, formats, dot, tex, kinds)
        result.files[f"{prefix}README.md"] = documents.readme_md(d, result.verification, present).encode()
    if "json" in formats:
        result.files[f"{prefix}cell.json"] = documents.cell_json(d, result.verification).encode()
    if "html" in formats:
        present = planned_files(cell.name, formats, dot, tex, kinds)
        links = {label: f"../{cell.name}/{rel}" for label, rel in (("write-up (PDF)", f"{cell.name}.pdf"), ("LaTeX", f"{cell.name}.tex"),
                                                                    ("Markdown", "README.md"), ("cell.json", "cell.json")) if rel in present}
        result.files[f"site/{cell.name}.html"] = site.cell_page(d, result.verification, svgs, links).encode()
    if "pdf" in formats:
        # The figures the .tex includes, beside it: the committed write-up and handbook compile from the folder.
        result.files.update({f"{prefix}{rel}": data for rel, data in result.figures.items()})
        if not tex:
            result.skipped.append("tex")
        elif dot:
            bib = {"references.bib": references.bib_text([d]).encode()} if cell.references else {}
            try:
                pdf = f"{prefix}{cell.name}.pdf"
                result.files[pdf] = tools.compile_pdf(tex_source, result.figures, cell.name, cell.name, bib) if committed is None \
                    else tools.committed_pdf(Path(committed) / pdf, tex_source, result.figures, bib)
            except LstmsymError as exc:
                result.problems.append(str(exc))
    return result


def spec_key(spec: str) -> str:
    """How a cell is named in a manifest: a built-in name, or the absolute path of a user's spec."""
    path = Path(spec)
    return str(path.resolve()) if path.suffix == ".toml" or "/" in spec else spec
