"""The pictures tell cells apart and speak one language: two built-in cells whose equations differ never get the
same forward picture (the PNG dot draws from the DOT); every figure has a legend and an arrow for the direction of
time; every forward diagram is drawn one way, colah's: the state lines on top, running left to right."""

from __future__ import annotations

import hashlib
import subprocess
from functools import lru_cache

import pytest

import lstmsym
from conftest import ROOT, need
from dot_reader import parse_dot
from test_diagram_readback import SpecText
from dot_reader import canon


@lru_cache(maxsize=None)
def dot_of(name: str, kind: str) -> str:
    """A built-in cell's committed DOT: what `lstmsym.cell(name).dot(kind)` gives, as
    test_build.test_committed_gallery_is_current holds every committed file to the build's output."""
    return (ROOT / "output" / name / f"{kind}.dot").read_text()


def equations_of(name: str) -> dict:
    """The cell's equations as written, in one normal form (names as the spec spells them)."""
    text = SpecText(lstmsym.cell(name))
    return {eq: canon(text.equation(eq)) for eq in text.trees}


def picture(name: str, kind: str = "cell") -> str:
    """A committed picture's digest (test_build.test_committed_gallery_is_current holds every committed PNG to what
    dot draws from the cell's DOT today, so the pictures are not drawn a second time here)."""
    return hashlib.sha256((ROOT / "output" / name / f"{kind}.png").read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["cell", "backward"])
def test_different_cells_get_different_pictures(kind):
    """Over every pair of built-in cells: the same forward or gradient-flow picture only for the same equations
    (none today; GRU1's and GRU2's gradient flows were alike, their biases' gradients not drawn)."""
    seen: dict[str, str] = {}
    for name in lstmsym.builtin_names():
        key = picture(name, kind)
        if key in seen:
            assert equations_of(seen[key]) == equations_of(name), f"{seen[key]} and {name} differ but are drawn alike"
        seen[key] = name
    assert len(seen) == len(lstmsym.builtin_names())


KINDS = ("cell", "backward", "unrolled", "unrolled_backward")
#: Where no layout keeps the state lines straight with the gates in order, the gates go free (and the test says so).
GATES_FREE = {"lstm_fgr"}
#: The gate order by family, written out here (not read from the code under test).
FAMILY_ORDER = {"lstm": ("f", "f_tilde", "i", "i_tilde", "i_s", "g", "c_tilde", "z", "h_hat", "o"),
                "gru": ("r", "z", "c", "h_tilde", "n")}


def layout(source: str) -> dict:
    import json

    return json.loads(subprocess.run(["dot", "-Tjson"], input=source.encode(), capture_output=True, check=True).stdout)


def positions(source: str) -> dict[str, tuple[float, float]]:
    return {o["name"]: tuple(float(v) for v in o["pos"].split(",")) for o in layout(source).get("objects", []) if "pos" in o}


@pytest.mark.dot
@pytest.mark.parametrize("name", lstmsym.builtin_names())
def test_every_figure_has_a_legend_with_the_direction_of_time(name):
    """Each of the four figures carries a legend (the graph's label, under the drawing) that names its marks and
    has an arrow for time: forward ⟶ in the forward views, ⟵ in backpropagation."""
    import re

    for kind in KINDS:
        source = dot_of(name, kind)
        found = re.search(r"\n  label=<(<TABLE.*</TABLE>)>;\n", source)
        assert found, f"{name}/{kind} has no legend"
        arrow = "⟵" if "backward" in kind else "⟶"
        assert arrow in found.group(1) and "time" in found.group(1), f"{name}/{kind}: no arrow of time in its legend"


@pytest.mark.dot
@pytest.mark.parametrize("name", lstmsym.builtin_names())
def test_one_orientation_state_lines_on_top(name):
    """colah's picture for every cell: drawn upwards, a state line across the top, or with none (rnn) the previous
    state in at the top left and the state out at the top right; above every layer box and every
    input that is not on a line and does not read one (a second line may sit lower, where the first reads it: coRNN's
    y over z; a readout of the states, RWKV's W_o, may stand above them)."""
    need("dot")
    source = dot_of(name, "cell")
    assert 'rankdir="BT"' in source
    graph, at = parse_dot(source), positions(source)
    line = {e.tail for e in graph.edges if e.attrs.get("penwidth") == "2.6"} | {e.head for e in graph.edges if e.attrs.get("penwidth") == "2.6"}
    readout = reach(graph, line, forward=True) - reach(graph, line, forward=False)  # reads the lines, feeds none
    below = [n for n, node in graph.nodes.items() if n not in readout
             and (node.attrs.get("shape") == "box" or (not graph.into(n) and n not in line))]
    if line and below:
        assert max(at[n][1] for n in line) > max(at[n][1] for n in below), f"{name}: no state line on top"
    boxes = [at[n][1] for n, node in graph.nodes.items() if node.attrs.get("shape") == "box"]
    for state in lstmsym.cell(name).states if not line else ():  # no line (rnn): as colah's RNN, the previous
        (px, py), (sx, sy) = at[f"in_{state.previous}"], at[f"out_{state.name}"]  # state enters at the top left
        assert px < sx and min(py, sy) >= max(boxes), f"{name}: {state.name} does not run along the top"  # (was below)


def reach(graph, start: set[str], forward: bool) -> set[str]:
    """The nodes reachable from `start` along the edges (against them when not `forward`), start excluded."""
    seen, todo = set(), list(start)
    while todo:
        node = todo.pop()
        for edge in graph.edges:
            tail, head = (edge.tail, edge.head) if forward else (edge.head, edge.tail)
            if tail == node and head not in seen and head not in start:
                seen.add(head)
                todo.append(head)
    return seen


@pytest.mark.dot
@pytest.mark.parametrize("name", [n for n in lstmsym.builtin_names() if lstmsym.cell(n).model.family in FAMILY_ORDER])
def test_gates_in_the_family_order(name):
    """The gates of one row stand left to right in their family's order (lstm f, i, g, o as colah draws it; gru
    r, z, h̃)."""
    need("dot")
    order = FAMILY_ORDER[lstmsym.cell(name).model.family]
    at = positions(dot_of(name, "cell"))
    gates = [(g, at[f"layer_{g}"]) for g in order if f"layer_{g}" in at]
    rows: dict[float, list[tuple[str, float]]] = {}
    for gate, (x, y) in gates:
        rows.setdefault(round(y), []).append((gate, x))
    in_order = all(all(a[1] < b[1] for a, b in zip(row, row[1:])) for row in rows.values())
    assert in_order == (name not in GATES_FREE), f"{name}: gates {gates}"


@pytest.mark.dot
@pytest.mark.parametrize("name", lstmsym.builtin_names())
def test_unrolled_views_show_every_input_and_the_cell_in_small(name):
    """Each step box of both unrolled views is fed by every input the cell reads (x, and mask, δ, t where it has
    them) and holds a miniature of the cell: one cell per layer box of the forward diagram."""
    cell = lstmsym.cell(name)
    layers = sum(1 for node in parse_dot(dot_of(name, "cell")).nodes.values() if node.attrs.get("shape") == "box")
    fill = 'BGCOLOR="#f6d365"'
    for kind in ("unrolled", "unrolled_backward"):
        graph = parse_dot(dot_of(name, kind))
        steps = [n for n in graph.nodes if n.startswith("step_")]
        assert len(steps) == 3
        for step in steps:
            fed = [e.tail for e in graph.edges if e.head == step and graph.nodes[e.tail].attrs.get("shape") == "plaintext"
                   and e.attrs.get("penwidth") != "2.6"]
            assert len(fed) == len(cell.model.inputs), f"{name}/{kind} {step}: inputs {fed}"
            assert graph.nodes[step].attrs["label"].count(fill) == layers, f"{name}/{kind}: the miniature misses layers"
