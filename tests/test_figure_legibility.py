"""Figures a reader can read: every label at 6 pt or more in every PDF (read from the PDFs, text matrix included),
the drawing scaled and not the text, and an arrowhead on every directed edge."""

from __future__ import annotations

import ctypes
import math
import re

import pytest

import lstmsym
from conftest import ROOT, derived_cell, need_module

KINDS = ("cell", "backward", "unrolled", "unrolled_backward")
#: The smallest size a character may have: a 6 pt label's sub- or superscript, which Computer Modern sets at 5 pt.
SMALLEST_SCRIPT = 5.0


@pytest.mark.parametrize("name", lstmsym.builtin_names())
def test_every_directed_edge_has_an_arrowhead_and_text_is_not_scaled(name):
    """unrolled_backward.tikz had no arrowheads: its edges run backwards (dir=back) and dot draws their heads as
    tail arrows. And `transform shape` scaled labels down with the drawing (3.5 pt): labels now take a document size
    of their own, never below \\tiny. Read from the committed TikZ (test_build.test_committed_gallery_is_current
    holds it to what the build writes today): every drawn edge is followed by its filled head, a triangle with a
    corner at one of the edge's ends."""
    for kind in KINDS:
        lines = (ROOT / "output" / name / f"{kind}.tikz").read_text().splitlines()
        edges = [k for k, line in enumerate(lines) if line.startswith(r"\draw[") and ".. controls" in line]
        assert edges, (name, kind)
        for k in edges:
            ends = [tuple(map(float, p)) for p in re.findall(r"\(([-\d.]+),([-\d.]+)\)", lines[k])]
            head = lines[k + 1] if k + 1 < len(lines) else ""
            corners = [tuple(map(float, p)) for p in re.findall(r"\(([-\d.]+),([-\d.]+)\)", head)]
            assert head.startswith(r"\fill[") and head.endswith("-- cycle;") and len(corners) == 3, (name, kind, lines[k])
            assert min(math.dist(c, e) for c in corners for e in (ends[0], ends[-1])) < 12, (name, kind, lines[k], head)
        tikz = "\n".join(lines)
        assert "transform shape" not in tikz
        fonts = set(re.findall(r"font=(\\[a-z]+)", tikz))
        assert fonts and fonts <= {r"\tiny", r"\scriptsize", r"\footnotesize", r"\small", r"\normalsize"}, fonts


def character_sizes(path) -> list[float]:
    """Every non-blank character's size as printed: the font size times the scale of its text matrix."""
    pdfium = need_module("pypdfium2")
    raw = pdfium.raw
    document, matrix, sizes = pdfium.PdfDocument(str(path)), raw.FS_MATRIX(), []
    for index in range(len(document)):
        text = document[index].get_textpage()
        for k in range(text.count_chars()):
            if chr(raw.FPDFText_GetUnicode(text, k)).isspace():
                continue
            raw.FPDFText_GetMatrix(text, k, ctypes.byref(matrix))
            sizes.append(raw.FPDFText_GetFontSize(text, k) * math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)))
    return sizes


def test_every_pdf_of_the_gallery_sets_its_smallest_text_at_a_readable_size():
    """The committed handbook and every cell's write-up: no character below a 6 pt label's script (5 pt). Before,
    the handbook's smallest text was 0.8 pt and lstm.pdf's 2.3 pt."""
    pdfs = [ROOT / "output" / "handbook.pdf"] + sorted((ROOT / "output").glob("*/*.pdf"))
    pdfs = [p for p in pdfs if p.stem == p.parent.name or p.name == "handbook.pdf"]
    assert len(pdfs) > 70
    small = {p.name: round(min(character_sizes(p)), 2) for p in pdfs}
    assert all(size >= SMALLEST_SCRIPT - 0.05 for size in small.values()), {k: v for k, v in small.items() if v < SMALLEST_SCRIPT}


def test_handbook_front_matter():
    """The handbook: a table of contents of parts (one per family) and chapters only (it was 22 pages with every
    section), PDF metadata, a notation chapter, and a caption on every plot."""
    from lstmsym.render.documents import handbook_tex

    cells = [derived_cell(name) for name in ("rnn", "lstm", "gru", "mingru")]
    tex = handbook_tex(cells, {}, with_plots=True, flow_plot=True)
    assert r"\setcounter{tocdepth}{0}" in tex and tex.count(r"\part{") == 3
    assert re.search(r"\\hypersetup\{pdftitle=\{[^}]+\}, pdfauthor=", tex)
    assert r"\chapter{Notation}" in tex and r"$a \odot b$" in tex
    figures = re.findall(r"\\begin\{figure\}.*?\\end\{figure\}", tex, re.S)
    plots = [f for f in figures if "plots/" in f]
    assert len(plots) == 4 and all(r"\caption{" in f for f in plots)


def test_no_pdf_claims_to_be_from_1970():
    """The fixed build date (SOURCE_DATE_EPOCH=0, for byte-identical files) was written into every PDF's
    information as 1 January 1970; a date is now left out, as pdfTeX's \\pdfinfoomitdate does."""
    pdfium = need_module("pypdfium2")
    pdfs = [ROOT / "output" / "handbook.pdf", ROOT / "output" / "lstm" / "lstm.pdf"]
    for path in pdfs:
        metadata = pdfium.PdfDocument(str(path)).get_metadata_dict()
        assert metadata.get("Title") and not metadata.get("CreationDate") and not metadata.get("ModDate"), (path, metadata)


def test_curve_names_on_a_log_plot_are_spread_so_none_overlaps():
    """lstm's and gru_reset_after's names overlapped at the end of the parameters plot: names closer than a third
    of a decade are pushed apart evenly; names far apart stay where their curves end."""
    from lstmsym.render.plots import NAME_GAP, spread

    values = [3.6e7, 2.6e7, 8.0e6, 1.0e3]
    placed = spread(values)
    ranked = sorted(placed)
    assert all(b / a >= NAME_GAP * 0.999 for a, b in zip(ranked, ranked[1:]))
    assert placed[3] == 1.0e3 and placed[0] > values[0] and placed[1] < values[1]
    assert spread([1.0, 10.0, 100.0]) == [1.0, 10.0, 100.0]
