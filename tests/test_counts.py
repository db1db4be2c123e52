"""Parameter counts: formulas, the issue's worked examples, and the real PyTorch and Keras layers over a grid."""

from __future__ import annotations

import itertools
import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.base.errors import ConventionError, UsageError
from lstmsym.derive.counts import CountQuery, count_formula, evaluate, factored
from lstmsym.derive.frameworks import mapping
from lstmsym.model.loading import load_cell

GRID = [(m, n) for m, n in itertools.product((1, 3, 10, 17), (1, 4, 20))]
LAYERS = [(1, False), (2, False), (1, True), (3, True)]


@pytest.mark.parametrize(
    "cell, convention, total",
    [("lstm", "pytorch", 2560), ("lstm", "keras", 2480), ("gru_reset_after", "pytorch", 1920),
     ("gru_reset_after", "keras", 1920), ("gru", "keras", 1860), ("rnn", "pytorch", 640), ("rnn", "keras", 620),
     ("lstm", "paper", 2480), ("peephole", "paper", 2540)],
)
def test_worked_examples_through_cli(cell, convention, total, cli_json):
    result = cli_json("params", cell, "--input-size", "10", "--hidden-size", "20", "--convention", convention)
    assert result["schema"] == "lstmsym.params/1"
    assert result["cell"] == cell and result["convention"] == convention
    assert result["total"] == total
    assert sum(row["total"] for row in result["tensors"]) == total


@pytest.mark.parametrize(
    "cell, formula",
    [("rnn", "n*(m + n + 1)"), ("lstm", "4*n*(m + n + 1)"), ("gru", "3*n*(m + n + 1)"),
     ("gru_reset_after", "n*(3*m + 3*n + 4)"), ("peephole", "n*(4*m + 4*n + 7)"), ("cifg", "3*n*(m + n + 1)")],
)
def test_paper_formulas(cell, formula):
    assert sympy.sstr(factored(load_cell(cell).parameter_count())) == formula


def test_no_counterpart_names_the_cell_that_has_one():
    with pytest.raises(ConventionError) as info:
        count_formula(load_cell("gru"), CountQuery("pytorch"))
    assert str(info.value).startswith("cell 'gru' has no pytorch counterpart; in the same family: gru_reset_after;")


def test_sizes_are_checked():
    cell = load_cell("lstm")
    with pytest.raises(UsageError, match="sizes needed for a total: n"):
        evaluate(cell, count_formula(cell), {"m": 3})
    with pytest.raises(UsageError, match="cell 'lstm' has no size 'p'"):
        evaluate(cell, count_formula(cell), {"m": 3, "n": 4, "p": 2})
    lstmp = load_cell("lstmp")
    with pytest.raises(UsageError, match="sizes p = 4, n = 4 break the rule p < n of cell 'lstmp'"):
        evaluate(lstmp, count_formula(lstmp), {"m": 3, "n": 4, "p": 4})


def test_every_tensor_of_the_stack_is_listed(cli_json):
    """The issue's example: 2 layers, both directions, PyTorch: 16 tensors whose rows add up to 15,040."""
    data = cli_json("params", "lstm", "-m", "10", "-n", "20", "--convention", "pytorch", "--num-layers", "2", "--bidirectional")
    names = [row["name"] for row in data["tensors"]]
    assert len(names) == 16 and "weight_ih_l1_reverse" in names and "bias_hh_l0_reverse" in names
    assert data["total"] == 15040 == sum(row["total"] for row in data["tensors"])
    rows = {row["name"]: row for row in data["tensors"]}
    assert rows["weight_ih_l1"]["shape"] == ["4*n", "2*n"]


def test_heads_divide_the_count():
    cell = derived_cell("tests/specs/construct_heads.toml").cell
    assert sympy.sstr(sympy.factor(count_formula(cell))) == "n*(k*m + k + n)/k"
    assert evaluate(cell, count_formula(cell), {"m": 4, "n": 8, "k": 2}) == 8 * 4 + 8 + 64 // 2
    with pytest.raises(UsageError, match="break the rule k divides n"):
        evaluate(cell, count_formula(cell), {"m": 4, "n": 9, "k": 2})


def torch_count(cell_name: str, m: int, n: int, layers: int, bidirectional: bool) -> int:
    import torch

    spec = mapping(load_cell(cell_name), "pytorch")
    module = getattr(torch.nn, spec.cls)(m, n, num_layers=layers, bidirectional=bidirectional, **spec.options)
    return sum(p.numel() for p in module.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru_reset_after"])
def test_against_pytorch(cell_name):
    cell = load_cell(cell_name)
    for (m, n), (layers, bidirectional) in itertools.product(GRID, LAYERS):
        query = CountQuery("pytorch", layers, bidirectional)
        ours = evaluate(cell, count_formula(cell, query), {"m": m, "n": n})
        assert ours == torch_count(cell_name, m, n, layers, bidirectional), (cell_name, m, n, layers, bidirectional)


def keras_count(cell_name: str, m: int, n: int, layers: int, bidirectional: bool) -> int:
    import keras

    spec = mapping(load_cell(cell_name), "keras")
    stack = []
    for _ in range(layers):
        layer = getattr(keras.layers, spec.cls)(n, return_sequences=True, **spec.options)
        stack.append(keras.layers.Bidirectional(layer) if bidirectional else layer)
    model = keras.Sequential([keras.Input((None, m))] + stack)
    return model.count_params()


@pytest.mark.keras
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru", "gru_reset_after"])
def test_against_keras(cell_name):
    cell = load_cell(cell_name)
    for (m, n), (layers, bidirectional) in itertools.product(GRID[::3], LAYERS):
        query = CountQuery("keras", layers, bidirectional)
        ours = evaluate(cell, count_formula(cell, query), {"m": m, "n": n})
        assert ours == keras_count(cell_name, m, n, layers, bidirectional), (cell_name, m, n, layers, bidirectional)


def test_every_builtin_mapping_places_each_parameter_once():
    for name in lstmsym.builtin_names():
        cell = load_cell(name)
        for framework in ("pytorch", "keras"):
            result = mapping(cell, framework)
            if result is None:
                continue
            placed = sorted(b for t in result.tensors for row in t.rows for b in row if b)
            assert placed == sorted(p.name for p in cell.parameters)


def test_compare_shows_about_four_times(cli_json):
    rows = {r["cell"]: r for r in cli_json("compare", "lstm", "gru_reset_after", "rnn")["parameters"]}
    assert rows["lstm"]["ratio"] == "4" and rows["lstm"]["ratio_limit"] == "4"
    assert rows["gru_reset_after"]["ratio"] == "(3*m + 3*n + 4)/(m + n + 1)"
    assert rows["gru_reset_after"]["ratio_limit"] == "3"


def test_compare_lists_cells_without_a_counterpart(cli_json, cli):
    data = cli_json("compare", "--convention", "pytorch", "--num-layers", "2", "--bidirectional", "-m", "10", "-n", "20")
    assert "gru" in data["without_counterpart"] and "lstm" not in data["without_counterpart"]
    assert {r["cell"]: r["total"] for r in data["parameters"]}["lstm"] == 15040
    text = cli("compare", "lstm", "rnn", "--num-layers", "2")[1]
    assert "parameters (paper convention, 2 layers, one direction)" in text


def test_list_sorted_by_params_without_sizes_says_how(cli):
    code, out, _ = cli("list", "--sort", "params")
    assert code == 0 and out.startswith("sorted by the parameter count at each cell's reference sizes")
    names = [line.split()[0] for line in out.splitlines()[3:-2]]
    assert names.index("rnn") < names.index("lstm")


@pytest.mark.parametrize("name", lstmsym.builtin_names() + ["tests/specs/construct_heads.toml"])
def test_documents_count_what_the_counter_counts(name):
    """The count pages, write-ups and `list` print (Cell.parameter_count, per parameter) equals the counter's
    formula (counts.count_formula, from the stored shapes); for heads both keep 1/k of each block matrix."""
    cell = derived_cell(name).cell
    assert sympy.expand(cell.parameter_count() - count_formula(cell)) == 0
    if name.endswith("construct_heads.toml"):
        assert sympy.sstr(sympy.factor(cell.parameter_count())) == "n*(k*m + k + n)/k"


def test_a_cell_reading_its_hidden_size_counts_as_it_can_be_stacked(cli):
    """x = "n" (RG-LRU): `params --num-layers 2 --bidirectional` counted a 2n-wide second layer, and -m 4 was
    dropped silently (issue 22, item 3)."""
    spec = str(SPECS / "construct_hidden_input.toml")
    code, out, err = cli("params", spec, "-m", "4", "-n", "6")
    assert code == 2 and "the input size 4 and n = 6 disagree" in err
    code, out, err = cli("params", spec, "-n", "6", "--num-layers", "2", "--bidirectional")
    assert code == 2 and "cannot read the 2*n outputs of a bidirectional layer" in err
    code, out, err = cli("params", spec, "-n", "6", "--num-layers", "2")
    assert code == 0 and "total = 4*n*(n + 1) = 168" in out  # 2 layers x (2 n x n + 2 n), each n wide
