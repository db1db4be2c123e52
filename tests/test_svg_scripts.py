"""Scripts in dot's SVG, measured where a reader sees them: in Chromium, each sub- and superscript a label asks for
is smaller than its base and off its baseline (Graphviz 2.43 writes them full size on the baseline)."""

from __future__ import annotations

import html
import json
import re

import pytest

from browser import chromium
from conftest import derived_cell, need

KINDS = ("cell", "backward", "unrolled", "unrolled_backward")
#: Cells whose diagrams hold subscripts and superscripts (δh_t^in, U^T), dir=back edges and every node kind.
CELLS = ("lstm", "gru", "xlstm_mlstm")


def _diagram_sources(name: str, kind: str) -> tuple[str, dict, str]:
    """(DOT source, dot's JSON layout of it, SVG as written) of one diagram."""
    from lstmsym.render import figures, tools

    need("dot")
    source = figures.diagram_dot(derived_cell(name), kind)
    return source, json.loads(tools.render_dot(source, "json")), tools.render_dot(source, "svg").decode()


def _runs(label: str) -> list[tuple[str, str]]:
    """A Graphviz HTML label as its text runs, each 'base', 'sub' or 'super' (empty runs dropped)."""
    runs = []
    for match in re.finditer(r"<SUB>(.*?)</SUB>|<SUP>(.*?)</SUP>|([^<]+)|<[^>]*>", label):
        sub, sup, plain = match.groups()
        text, kind = (sub, "sub") if sub is not None else (sup, "super") if sup is not None else (plain, "base")
        if text is not None and text.strip():
            runs.append((html.unescape(text).strip(), kind))
    return runs


#: Each node and edge group of an SVG: its id, and every <text> with its content and rendered box.
BOXES_JS = """() => [...document.querySelectorAll('g.node, g.edge')].map(g => [g.id, g.querySelector('title').textContent,
  [...g.querySelectorAll('text')].map(t => { const r = t.getBoundingClientRect();
    return [t.textContent.trim(), r.top, r.bottom, r.height]; })])"""


@pytest.mark.dot
@pytest.mark.parametrize("name", CELLS)
def test_svg_scripts_are_smaller_and_off_the_baseline_in_chromium(name, tmp_path):
    """Each script a label's DOT asks for (h<SUB>t-1</SUB>, U<SUP>T</SUP>) is drawn by Chromium at most 0.85 of
    its base's height, its middle below the base's (a subscript) or above it (a superscript) by 0.15 of that height."""
    pages = {}
    labels: dict[tuple[str, str], list[list[tuple[str, str]]]] = {}  # (kind, SVG title) -> label runs, one per element
    for kind in KINDS:
        _, layout, svg = _diagram_sources(name, kind)
        (tmp_path / f"{kind}.svg").write_text(svg)
        pages[kind] = (tmp_path / f"{kind}.svg").as_uri()
        names = {obj["_gvid"]: obj["name"] for obj in layout.get("objects", [])}
        for obj in layout.get("objects", []):
            labels.setdefault((kind, obj["name"]), []).append(_runs(obj.get("label", "")))
        for edge in layout.get("edges", []):
            title = f"{names[edge['tail']]}->{names[edge['head']]}"
            labels.setdefault((kind, title), []).append(_runs(edge.get("label", "")))
    checked = 0
    with chromium() as browser:
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        for kind, uri in pages.items():
            tab.goto(uri)
            for _, title, texts in tab.evaluate(BOXES_JS):
                candidates = labels[(kind, title)]  # parallel edges: pair each group with a label of the same text
                runs = next((r for r in candidates if [t[0] for t in texts] == [x[0] for x in r]), None)
                assert runs is not None, (kind, title, texts, candidates)
                candidates.remove(runs)
                base = None
                for (text, top, bottom, height), (_, script) in zip(texts, runs):
                    if script == "base":
                        base = (top, bottom, height)
                        continue
                    assert base is not None, (kind, title, text)
                    assert height <= 0.85 * base[2], (kind, title, text, height, base)
                    centre, base_centre = (top + bottom) / 2, (base[0] + base[1]) / 2
                    if script == "sub":
                        assert centre > base_centre + 0.15 * base[2], (kind, title, text, "not lowered")
                    else:
                        assert centre < base_centre - 0.15 * base[2], (kind, title, text, "not raised")
                    checked += 1
    assert checked >= 20  # the cells chosen hold scripts of both kinds in every diagram


def _arrowheads_in_layout(edge: dict) -> int:
    """Arrowhead polygons dot draws for one edge (what its SVG, PNG and PDF renderers paint)."""
