"""Layout quality, measured on dot's own output (`dot -Tjson`): edge-edge crossings, edges that pass through a
node's box, and state lines (the thick edges) that do not run left to right or are not straight."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from . import tools

#: Edges drawn this thick are state lines (STYLE["state"] in diagram.py).
STATE_PENWIDTH = 2.6
#: Points per cubic Bézier segment when an edge is turned into a polyline.
SAMPLES = 10
#: A box is shrunk by this much (points) before testing an edge against it: touching its border is fine.
MARGIN = 2.0
#: A state line may bend this much (points) and still count as straight.
STRAIGHT = 4.0


@dataclass(frozen=True)
class Report:
    name: str
    crossings: int
    through_box: int
    state_lines: int
    state_bad: int
    edges: int
    floor: int | None = None  # the fewest crossings any drawing can have (0 or 1), when asked for

    @property
    def clean(self) -> bool:
        return self.crossings == 0 and self.through_box == 0 and self.state_bad == 0


def _polyline(edge: dict) -> np.ndarray:
    points = []
    for op in edge.get("_draw_", []):
        if op["op"] not in ("b", "B"):
            continue
        ctrl = np.array(op["points"], dtype=float)
        for start in range(0, len(ctrl) - 3, 3):
            p0, p1, p2, p3 = ctrl[start:start + 4]
            t = np.linspace(0.0, 1.0, SAMPLES)[:, None]
            points.append((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)
    return np.concatenate(points) if points else np.zeros((0, 2))


def _segments_cross(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether polylines a and b properly intersect (vectorised over all segment pairs)."""
    if len(a) < 2 or len(b) < 2:
        return False
    if a[:, 0].max() < b[:, 0].min() or b[:, 0].max() < a[:, 0].min() or a[:, 1].max() < b[:, 1].min() or b[:, 1].max() < a[:, 1].min():
        return False
    p, r = a[:-1][:, None, :], (a[1:] - a[:-1])[:, None, :]
    q, s = b[:-1][None, :, :], (b[1:] - b[:-1])[None, :, :]
    cross = lambda u, v: u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]  # noqa: E731
    denominator = cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross(q - p, s) / denominator
        u = cross(q - p, r) / denominator
    hits = (np.abs(denominator) > 1e-9) & (t > 1e-6) & (t < 1 - 1e-6) & (u > 1e-6) & (u < 1 - 1e-6)
    return bool(hits.any())


def _through(line: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    x0, y0, x1, y1 = box
    inside = (line[:, 0] > x0) & (line[:, 0] < x1) & (line[:, 1] > y0) & (line[:, 1] < y1)
    return bool(inside.any())


def crossing_floor(layout: dict) -> int:
    """A lower bound on the crossings of any drawing of the diagram with its inputs and outputs (the plaintext
    nodes) on the outside, as a figure has them: 0 when the graph plus one vertex joined to every terminal is
    planar, else 1 (networkx's planarity test; networkx is a test dependency, imported only here)."""
    import networkx

    graph = networkx.Graph()
    graph.add_nodes_from(node["_gvid"] for node in layout.get("objects", []))
    graph.add_edges_from((edge["tail"], edge["head"]) for edge in layout.get("edges", []))
    graph.add_edges_from(("outside", node["_gvid"]) for node in layout.get("objects", []) if node.get("shape") == "plaintext")
    return 0 if networkx.check_planarity(graph)[0] else 1


def check(name: str, layout: dict, direction: int = 1, floor: bool = False) -> Report:
    """The report of one laid-out diagram (dot's JSON); state lines should run in `direction` (1: left to right,
    -1: right to left, as the gradient-flow diagram draws adjoints going back in time); with floor=True, also
    the least number of crossings possible (crossing_floor)."""
    boxes = {}
    for node in layout.get("objects", []):
        if "pos" not in node:
            continue
        x, y = (float(v) for v in node["pos"].split(","))
        w, h = float(node.get("width", 0)) * 72 / 2 - MARGIN, float(node.get("height", 0)) * 72 / 2 - MARGIN
        if node.get("shape") == "point" or w <= 0 or h <= 0:
            continue
        boxes[node["_gvid"]] = (x - w, y - h, x + w, y + h)
    edges = [(e["tail"], e["head"], _polyline(e), float(e.get("penwidth", 1))) for e in layout.get("edges", [])]
    crossings = 0
    for i in range(len(edges)):
        for j in range(i + 1, len(edges)):
            a, b = edges[i], edges[j]
            if {a[0], a[1]} & {b[0], b[1]}:
                continue
            crossings += _segments_cross(a[2], b[2])
    through = sum(1 for tail, head, line, _ in edges for gvid, box in boxes.items()
                  if gvid not in (tail, head) and len(line) and _through(line, box))
    state = [(line, tail, head) for tail, head, line, width in edges if width >= STATE_PENWIDTH]
    bad = 0
    for line, _, _ in state:
        if len(line) < 2:
            continue
        rightwards = (line[-1, 0] - line[0, 0]) * direction > 0
        straight = np.ptp(line[:, 1]) <= STRAIGHT
        bad += not (rightwards and straight)
    return Report(name, crossings, through, len(state), bad, len(edges), crossing_floor(layout) if floor else None)


def score(report: Report) -> tuple[int, int, int]:
    """How bad a layout is, worst first: edges through a box, bent or backward state lines, crossings."""
    return (report.through_box, report.state_bad, report.crossings)


#: The direction state lines run in, by diagram kind.
DIRECTIONS = {"cell": 1, "overview": 1, "backward": -1, "unrolled": 1, "unrolled_backward": 1}


def check_dot(name: str, source: str, kind: str = "cell", floor: bool = False) -> Report:
    """Lay the DOT source out with dot and report on it."""
    return check(name, json.loads(tools.render_dot(source, "json")), DIRECTIONS.get(kind, 1), floor)
