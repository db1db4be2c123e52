"""The overview of a large cell reads back to the spec: one box per block, every equation in exactly one box,
every edge carrying exactly what its head's equations read from its tail, every output and state leaving the box
that computes it. The oracle is the spec's TOML read here with tomllib and the independent expression reader of
tests/dot_reader.py; the drawing is read from its DOT alone."""

from __future__ import annotations

import tomllib

import pytest

import lstmsym
from conftest import ROOT, derived_cell
from dot_reader import names_in, parse_dot, parse_expr

#: The cells the issue names as too large for one legible view: over 30 drawn operations, or a spec that names
#: its blocks.
LARGE = ("hgrn", "layernorm_lstm", "layernorm_lstm_pytorch", "phased_lstm", "xlstm_mlstm")


def spec_data(name: str) -> dict:
    return tomllib.loads((ROOT / "lstmsym" / "cells" / f"{name}.toml").read_text())


def expected_reads(data: dict) -> dict[str, set[str]]:
    """Each equation's quantities read (inputs, previous states, other equations), from the spec text alone."""
    sources = set(data["input"]) | {st.get("previous", f"{s}_prev") for s, st in data["state"].items()} | set(data["equations"])
    return {eq: (names_in(parse_expr(text)) & sources) - {eq} for eq, text in data["equations"].items()}


def overview_graph(name: str):
    from lstmsym.render import figures
    from lstmsym.render.diagram import to_dot

    return parse_dot(to_dot(figures.diagram(derived_cell(name), "overview")))


@pytest.mark.parametrize("name", LARGE)
def test_the_overview_reads_back_to_the_spec(name):
    data, graph = spec_data(name), overview_graph(name)
    reads = expected_reads(data)
    computes = {n: set(node.attrs.get("quantity", "").split()) for n, node in graph.nodes.items()}
    boxes = {n: q for n, q in computes.items() if n.startswith("block")}
    assert sorted(eq for q in boxes.values() for eq in q) == sorted(data["equations"])  # each in exactly one box
    if "overview" in data:
        assert len(boxes) == len(data["overview"]) + len(set(data["equations"]) - {e for m in data["overview"].values() for e in m})
    for box, members in boxes.items():
        wanted = set().union(*[reads[eq] for eq in members]) - members
        drawn = [(e.tail, e.attrs["carries"].split()) for e in graph.edges if e.head == box]
        assert sorted(n for _, names in drawn for n in names) == sorted(wanted), box
        for tail, names in drawn:
            assert set(names) <= computes[tail], (box, tail, names)
    results = list(data.get("outputs", [])) + [s for s in data["state"] if s not in data.get("outputs", [])]
    for name_out in results or ["h"]:
        into = [e for e in graph.edges if e.head == f"out_{name_out}"]
        assert len(into) == 1 and name_out in computes[into[0].tail] and into[0].tail.startswith("block")


def test_the_large_cells_get_an_overview_and_the_small_ones_do_not():
    from lstmsym.render.figures import diagram_kinds

    assert diagram_kinds(derived_cell("lstm"))[0] == "cell"
    assert all(diagram_kinds(derived_cell(name))[0] == "overview" for name in LARGE)


def test_a_named_block_is_labelled_with_its_name_and_what_it_passes_on():
    graph = overview_graph("phased_lstm")
    labels = {n.attrs.get("quantity"): n for n in graph.nodes.values()}
    gate = labels["tau phi closed k"]
    assert "time gate" in gate.attrs["label"] and "φ" not in gate.attrs["label"].split("<BR/>")[-1]


@pytest.mark.parametrize("table, message", [
    ('"time gate" = ["phi", "kk"]', "block 'time gate' names 'kk', which is not an equation"),
    ('a = ["phi"]\nb = ["phi", "k"]', "equation 'phi' is in blocks 'a' and 'b'"),
    ('"time gate" = "phi"', "block 'time gate' is a string"),
])
def test_a_wrong_overview_table_is_an_error_at_its_place(tmp_path, cli, table, message):
    text = (ROOT / "lstmsym" / "cells" / "phased_lstm.toml").read_text().split("\n[overview]")[0]
    spec = tmp_path / "mine.toml"
    spec.write_text(text + "\n[overview]\n" + table + "\n")
    code, out, err = cli("params", str(spec))
    assert code != 0 and "Traceback" not in err
    line = len(text.splitlines()) + 3 + table.count("\n")
    assert err.startswith(f"lstmsym: error: {spec}:{line}:") and message in err, err


def test_builtins_over_thirty_operations_name_their_blocks():
    """A large built-in's overview names its blocks (layer norm, time gate, stabiliser) rather than one box per
    equation."""
    for name in lstmsym.builtin_names():
        if name in LARGE:
            assert "overview" in spec_data(name), name


def test_the_legends_time_arrow_uses_the_cells_step_index():
    """Phased LSTM reads an input named t, so its step index is j: every legend's time arrow says j−1 ⟶ j (it said
    t−1 ⟶ t beside h_{j−1}); LSTM's says t."""
    from lstmsym.render import figures

    for kind in ("overview", "cell", "backward", "unrolled", "unrolled_backward"):
        legend = figures.diagram(derived_cell("phased_lstm"), kind).legend
        assert "j−1" in legend[0] and "t−1" not in legend[0] and "j{-}1" in legend[1], kind
    assert "t−1 ⟶ t" in figures.diagram(derived_cell("lstm"), "cell").legend[0]
