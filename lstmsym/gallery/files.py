"""The files of one cell's gallery entry, built in memory from its Derived facts (runs in a worker process)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import LstmsymError
from ..derive.derived import derived
from ..model.loading import load_cell
from ..render import documents, figures, references, site, tools
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


def planned_files(name: str, formats: tuple[str, ...], have: tools.Tools,
                  kinds: tuple[str, ...] = figures.DIAGRAM_KINDS) -> tuple[str, ...]:
    """The file names (relative to the cell's folder) a build with these formats, tools and diagrams writes."""
    files = [f"{kind}.dot" for kind in kinds]  # every diagram's DOT source, whatever the formats
    if have.dot:
        files += [f"{kind}.{fmt}" for kind in kinds for fmt in ("svg", "png") if fmt in formats]
    if "svg" in formats and have.matplotlib:
        files.append("flow.svg")
    files += [f"{name}.tex"] * ("tex" in formats) + ["README.md"] * ("md" in formats) + ["cell.json"] * ("json" in formats)
    if "pdf" in formats and have.dot and have.tex:
        files.append(f"{name}.pdf")
    if "tikz" in formats and have.tikz:
        files += [f"{kind}{suffix}" for kind in kinds for suffix in (".tikz", "-tikz.tex")]
    elif "pdf" in formats and have.dot:
        files += [f"{kind}.pdf" for kind in kinds]
    if "pdf" in formats and have.matplotlib:
        files.append("flow.pdf")
    return tuple(files)


def build_cell(spec: str, formats: tuple[str, ...], record: dict[str, Any], pdf_figures: bool = False,
               committed: str | None = None) -> CellOutput:
    """All files of one cell, stage after stage: derive, verify, draw, write, compile. `pdf_figures` also renders
    the PDF diagrams the handbook includes. With `committed` (a gallery folder, for `build --check`) the write-up
    is not compiled and the pictures are not drawn again where the committed ones were made from the same sources
    (tools.committed_pdf, tools.committed_picture): a committed PDF, SVG or PNG carries the digest of its sources."""
    d = derived(load_cell(spec))
    name, cited = d.cell.name, bool(d.cell.references)
    result = CellOutput(name)
    result.verification = records.status(d, record)
    have = figures.available()
    kinds = figures.diagram_kinds(d)
    pictures = figures.cell_pictures(d, kinds, formats, have, result.verification.get("flow"), pdf_figures,
                                     Path(committed) / name if committed else None)
    present = planned_files(name, formats, have, kinds)
    texts = documents.cell_documents(d, result.verification, formats, present, figures=have.dot,
                                     flow_figure="flow.pdf" in pictures.figures, tikz="cell.tikz" in pictures.figures)
    page = site.cell_page(d, result.verification, pictures.svgs, site.file_links(name, present)) if "html" in formats else ""
    result.figures, result.skipped = pictures.figures, pictures.skipped
    for rel, data in pictures.files.items():
        result.files[f"{name}/{rel}"] = data
    for rel, text in texts.items():
        if rel != f"{name}.tex" or "tex" in formats:
            result.files[f"{name}/{rel}"] = text.encode()
    if page:
        result.files[f"site/{name}.html"] = page.encode()
    if "pdf" in formats:
        _compile(result, texts[f"{name}.tex"], have, references.bib_text([d]) if cited else "", committed)
    return result


def _compile(result: CellOutput, tex_source: str, have: tools.Tools, bib: str, committed: str | None) -> None:
    """The write-up's PDF and the figures it includes, beside it (the committed write-up and handbook compile from
    the folder); a write-up LaTeX refuses is a problem said once, every other file is still written."""
    name = result.name
    result.files.update({f"{name}/{rel}": data for rel, data in result.figures.items()})
    if not have.tex:
        result.skipped.append("tex")
        return
    if not have.dot:
        return
    root_files = {"references.bib": bib.encode()} if bib else {}
    pdf = f"{name}/{name}.pdf"
    try:
        result.files[pdf] = tools.compile_pdf(tex_source, result.figures, name, name, root_files) if committed is None \
            else tools.committed_pdf(Path(committed) / pdf, tex_source, result.figures, root_files)
    except LstmsymError as exc:
        result.problems.append(str(exc))


def spec_key(spec: str) -> str:
    """How a cell is named in a manifest: a built-in name, or the absolute path of a user's spec."""
    path = Path(spec)
    return str(path.resolve()) if path.suffix == ".toml" or "/" in spec else spec
