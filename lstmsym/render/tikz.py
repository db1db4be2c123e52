"""Diagrams as TikZ: positions, sizes and edge curves from dot's own layout (`dot -Tjson`), labels as real
LaTeX math from lstmsym's printer, colours from the diagrams' style table. A .tikz file \\input's into any
document (\\usepackage{tikz}, \\usetikzlibrary{shapes.geometric}); a standalone .tex compiles it alone.

Why not dot2tex: it reads labels from a texlbl attribute and redraws edges from its own spline parsing; the
JSON dot writes already holds every curve and arrowhead, and one template turns them into TikZ directly."""

from __future__ import annotations

import json
from typing import Any

from . import tools
from .diagram import Diagram, to_dot
from .templating import environment

PT_PER_INCH = 72.0
#: The boxes a figure may be scaled into (points, on A4 with 2.3 cm margins), in order of preference: in the text
#: (0.8 of the text width, 0.42 of its height), a page of its own, a page of its own turned sideways.
FITS = (("inline", 370.0, 290.0), ("page", 430.0, 580.0), ("sideways", 580.0, 410.0))
#: A figure is drawn in the text while this scale or more fits it there; otherwise on a page of its own.
INLINE_SCALE = 0.45
#: Labels are set at the document size nearest dot's size times the scale, never below \tiny (6 pt in an 11 pt
#: document): the drawing is scaled, the text is not (it was scaled with `transform shape`, down to 3.5 pt).
SIZES = ((10.5, r"\normalsize"), (9.5, r"\small"), (8.5, r"\footnotesize"), (7.0, r"\scriptsize"), (0.0, r"\tiny"))


def _font(size: str, scale: float) -> str:
    value = float(size or 14) * scale
    return next(command for limit, command in SIZES if value >= limit)


def placement(width: float, height: float) -> tuple[str, float]:
    """Where a figure of dot's size (points) goes and at what scale: in the text when it stays readable there,
    else on its own page, upright or sideways, whichever is larger."""
    scales = {name: min(1.0, w / max(width, 1.0), h / max(height, 1.0)) for name, w, h in FITS}
    if scales["inline"] >= INLINE_SCALE:
        return "inline", scales["inline"]
    best = max(("page", "sideways"), key=lambda name: scales[name])
    return best, scales[best]


def _colour(table: dict[str, str], hex_colour: str | None) -> str | None:
    if not hex_colour or not hex_colour.startswith("#"):
        return None
    key = hex_colour.lower()
    if key not in table:
        table[key] = f"lstmsym{len(table)}"
    return table[key]


#: Where a node's LaTeX label breaks into lines (an overview box: its block's name over what it passes on); the
#: printers never write a newline, so it cannot be confused with a matrix's row break.
LINE_BREAK = "\n"


def tikz_context(diagram: Diagram, layout: dict[str, Any]) -> dict[str, Any]:
    """Everything the template draws, in dot's coordinates (points)."""
    x0, y0, x1, y1 = (float(v) for v in layout.get("bb", "0,0,1,1").split(","))
    where, scale = placement(x1 - x0, y1 - y0)
    tex_of = {n.name: n.tex for n in diagram.nodes}
    edge_tex: dict[tuple[str, str], list[str]] = {}
    for e in diagram.edges:
        edge_tex.setdefault((e.tail, e.head), []).append(e.tex)
    colours: dict[str, str] = {}
    nodes, by_gvid = [], {}
    for obj in layout.get("objects", []):
        if "pos" not in obj:
            continue
        by_gvid[obj["_gvid"]] = obj["name"]
        x, y = (float(v) for v in obj["pos"].split(","))
        style = obj.get("style", "")
        shape = obj.get("shape", "box")
        nodes.append({
            "id": f"n{obj['_gvid']}", "x": x, "y": y, "shape": shape,
            "width": float(obj.get("width", 0.5)) * PT_PER_INCH, "height": float(obj.get("height", 0.5)) * PT_PER_INCH,
            "rounded": "rounded" in style, "filled": "filled" in style,
            "fill": _colour(colours, obj.get("fillcolor")), "draw": _colour(colours, obj.get("color")),
            "label": tex_of.get(obj["name"], ""), "lines": tex_of.get(obj["name"], "").split(LINE_BREAK), "font": _font(obj.get("fontsize", "14"), scale),
        })
    edges = []
    for edge in sorted(layout.get("edges", []), key=lambda e: e["_gvid"]):
        curves = [op["points"] for op in edge.get("_draw_", []) if op["op"] in ("b", "B")]
        # the arrowhead: at the head, or at the tail for an edge drawn backwards (dir=back, the gradient flow)
        heads = [op["points"] for key in ("_hdraw_", "_tdraw_") for op in edge.get(key, []) if op["op"] in ("P", "p")]
        style = edge.get("style", "")
        pending = edge_tex.get((by_gvid.get(edge["tail"]), by_gvid.get(edge["head"])), [])
        label = pending.pop(0) if pending else ""
        lp = edge.get("lp")
        edges.append({
            "curves": [[(float(p[0]), float(p[1])) for p in c] for c in curves],
            "head": [(float(p[0]), float(p[1])) for p in heads[0]] if heads else [],
            "colour": _colour(colours, edge.get("color")) or "black", "width": float(edge.get("penwidth", 1.0)) * 0.8,
            "dashed": "dashed" in style,
            "label": label, "label_at": tuple(float(v) for v in lp.split(",")) if lp and label else None,
            "label_colour": _colour(colours, edge.get("fontcolor")) or "black",
            "font": _font(edge.get("fontsize", "11"), scale),
        })
    if diagram.legend[1] and "lp" in layout:  # the legend: the graph's own label, where dot set it
        x, y = (float(v) for v in layout["lp"].split(","))
        items = [rf"${item.strip()}$" for item in diagram.legend[1].split(r"\quad")]
        nodes.append({"id": "legend", "x": x, "y": y, "shape": "legend", "width": x1 - x0, "height": 0.0,
                      "rounded": False, "filled": False, "fill": None, "draw": None, "label": r"\quad ".join(items),
                      "font": _font("11", scale)})
    for node in nodes:  # shapes shrink with the drawing (the text does not: a node grows to hold its label)
        node["width"], node["height"] = node["width"] * scale, node["height"] * scale
    return {"colours": sorted(((name, hex_colour.lstrip("#").upper()) for hex_colour, name in colours.items())),
            "nodes": nodes, "edges": edges, "scale": f"{scale:.3f}", "sideways": where == "sideways"}


def diagram_tikz(diagram: Diagram) -> str:
    """The tikzpicture of a diagram (to \\input into a document)."""
    return _picture(diagram, tools.render_dot(to_dot(diagram), "json"))


def figure_files(diagrams: dict[str, Diagram], layouts: dict[str, bytes]) -> dict[str, str]:
    """Each diagram's TikZ files, by file name: NAME.tikz (its tikzpicture, from dot's JSON layout of it by the
    same name) and NAME-tikz.tex (a document that compiles it alone)."""
    files = {}
    for name, diagram in diagrams.items():
        files[f"{name}.tikz"] = _picture(diagram, layouts[name])
        files[f"{name}-tikz.tex"] = standalone_tex(f"{name}.tikz")
    return files


def _picture(diagram: Diagram, layout: bytes) -> str:
    return environment("latex").get_template("diagram.tikz.j2").render(**tikz_context(diagram, json.loads(layout)))


def standalone_tex(tikz_file: str) -> str:
    """A document that compiles one .tikz file alone."""
    return environment("latex").get_template("diagram_standalone.tex.j2").render(tikz_file=tikz_file)
