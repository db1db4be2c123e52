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
#: The box a figure is scaled into (points): 0.8 of an A4 text width, 0.42 of its height, as the PDFs had.
FIT = (370.0, 290.0)
#: Font sizes (dot points) -> LaTeX size commands, so labels keep their relative sizes.
SIZES = ((15, r"\large"), (13, r"\normalsize"), (11.5, r"\small"), (0, r"\footnotesize"))


def _font(size: str) -> str:
    value = float(size or 14)
    return next(cmd for limit, cmd in SIZES if value >= limit)


def _colour(table: dict[str, str], hex_colour: str | None) -> str | None:
    if not hex_colour or not hex_colour.startswith("#"):
        return None
    key = hex_colour.lower()
    if key not in table:
        table[key] = f"lstmsym{len(table)}"
    return table[key]


def tikz_context(diagram: Diagram, layout: dict[str, Any]) -> dict[str, Any]:
    """Everything the template draws, in dot's coordinates (points)."""
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
            "label": tex_of.get(obj["name"], ""), "font": _font(obj.get("fontsize", "14")),
        })
    edges = []
    for edge in sorted(layout.get("edges", []), key=lambda e: e["_gvid"]):
        curves = [op["points"] for op in edge.get("_draw_", []) if op["op"] in ("b", "B")]
        heads = [op["points"] for op in edge.get("_hdraw_", []) if op["op"] in ("P", "p")]
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
        })
    if diagram.legend[1] and "lp" in layout:  # the legend: the graph's own label, where dot set it
        x, y = (float(v) for v in layout["lp"].split(","))
        nodes.append({"id": "legend", "x": x, "y": y, "shape": "plaintext", "width": 0.0, "height": 0.0, "rounded": False,
                      "filled": False, "fill": None, "draw": None, "label": diagram.legend[1], "font": _font("11")})
    x0, y0, x1, y1 = (float(v) for v in layout.get("bb", "0,0,1,1").split(","))
    scale = min(1.0, FIT[0] / max(x1 - x0, 1.0), FIT[1] / max(y1 - y0, 1.0))
    return {"colours": sorted(((name, hex_colour.lstrip("#").upper()) for hex_colour, name in colours.items())),
            "nodes": nodes, "edges": edges, "scale": f"{scale:.3f}"}


def diagram_tikz(diagram: Diagram) -> str:
    """The tikzpicture of a diagram (to \\input into a document)."""
    layout = json.loads(tools.render_dot(to_dot(diagram), "json"))
    return environment("latex").get_template("diagram.tikz.j2").render(**tikz_context(diagram, layout))


def standalone_tex(tikz_file: str) -> str:
    """A document that compiles one .tikz file alone."""
    return environment("latex").get_template("diagram_standalone.tex.j2").render(tikz_file=tikz_file)
