"""Parameter counts: formulas, the issue's worked examples, and the real PyTorch and Keras layers over a grid."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest
import sympy

import lstmsym
from lstmsym.counts import CountQuery, count_formula, evaluate, factored
from lstmsym.errors import ConventionError, UsageError
from lstmsym.frameworks import mapping

GRID = [(m, n) for m, n in itertools.product((1, 3, 10, 17), (1, 4, 20))]
LAYERS = [(1, False), (2, False), (1, True), (3, True)]


def cli_params(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "lstmsym.cli", "params", *argv, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize(
    "cell, convention, total",
    [("lstm", "pytorch", 2560), ("lstm", "keras", 2480), ("gru_reset_after", "pytorch", 1920),
     ("gru_reset_after", "keras", 1920), ("gru", "keras", 1860), ("rnn", "pytorch", 640), ("rnn", "keras", 620),
     ("lstm", "paper", 2480), ("peephole", "paper", 2540)],
)
def test_worked_examples_through_cli(cell, convention, total):
    result = cli_params(cell, "--input-size", "10", "--hidden-size", "20", "--convention", convention)
    assert result["cell"] == cell and result["convention"] == convention
    assert result["total"] == total
    assert isinstance(result["formula"], str)


@pytest.mark.parametrize(
    "cell, formula",
    [("rnn", "n*(m + n + 1)"), ("lstm", "4*n*(m + n + 1)"), ("gru", "3*n*(m + n + 1)"),
     ("gru_reset_after", "n*(3*m + 3*n + 4)"), ("peephole", "n*(4*m + 4*n + 7)"), ("cifg", "3*n*(m + n + 1)")],
)
def test_paper_formulas(cell, formula):
    assert sympy.sstr(factored(lstmsym.cell(cell).parameter_count())) == formula


def test_no_counterpart_names_the_cell_that_has_one():
    with pytest.raises(ConventionError) as info:
        count_formula(lstmsym.cell("gru"), CountQuery("pytorch"))
    assert str(info.value).startswith("cell 'gru' has no pytorch counterpart; in the same family: gru_reset_after;")


def test_sizes_are_checked():
    cell = lstmsym.cell("lstm")
    with pytest.raises(UsageError, match="sizes needed for a total: n"):
        evaluate(cell, count_formula(cell), {"m": 3})
    with pytest.raises(UsageError, match="cell 'lstm' has no size 'p'"):
        evaluate(cell, count_formula(cell), {"m": 3, "n": 4, "p": 2})


def torch_count(cell_name: str, m: int, n: int, layers: int, bidirectional: bool) -> int:
    import torch

    spec = mapping(lstmsym.cell(cell_name), "pytorch")
    module = getattr(torch.nn, spec.cls)(m, n, num_layers=layers, bidirectional=bidirectional, **spec.options)
    return sum(p.numel() for p in module.parameters())


@pytest.mark.torch
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru_reset_after"])
def test_against_pytorch(cell_name):
    cell = lstmsym.cell(cell_name)
    for (m, n), (layers, bidirectional) in itertools.product(GRID, LAYERS):
        query = CountQuery("pytorch", layers, bidirectional)
        ours = evaluate(cell, count_formula(cell, query), {"m": m, "n": n}, query)
        assert ours == torch_count(cell_name, m, n, layers, bidirectional), (cell_name, m, n, layers, bidirectional)


def keras_count(cell_name: str, m: int, n: int, layers: int, bidirectional: bool) -> int:
    import keras

    spec = mapping(lstmsym.cell(cell_name), "keras")
    stack = []
    for _ in range(layers):
        layer = getattr(keras.layers, spec.cls)(n, return_sequences=True, **spec.options)
        stack.append(keras.layers.Bidirectional(layer) if bidirectional else layer)
    model = keras.Sequential([keras.Input((None, m))] + stack)
    return model.count_params()


@pytest.mark.keras
@pytest.mark.parametrize("cell_name", ["rnn", "lstm", "gru", "gru_reset_after"])
def test_against_keras(cell_name):
    cell = lstmsym.cell(cell_name)
    for (m, n), (layers, bidirectional) in itertools.product(GRID[::3], LAYERS):
        query = CountQuery("keras", layers, bidirectional)
        ours = evaluate(cell, count_formula(cell, query), {"m": m, "n": n}, query)
        assert ours == keras_count(cell_name, m, n, layers, bidirectional), (cell_name, m, n, layers, bidirectional)


def test_every_builtin_mapping_places_each_parameter_once():
    for name in lstmsym.builtin_names():
        cell = lstmsym.cell(name)
        for framework in ("pytorch", "keras"):
            result = mapping(cell, framework)
            if result is None:
                continue
            placed = sorted(b for t in result.tensors for row in t.rows for b in row if b)
            assert placed == sorted(p.name for p in cell.parameters)


def test_compare_shows_about_four_times():
    out = subprocess.run([sys.executable, "-m", "lstmsym.cli", "compare", "lstm", "gru_reset_after", "rnn", "--json"],
                         capture_output=True, text=True, check=True)
    rows = {r["cell"]: r for r in json.loads(out.stdout)["rows"]}
    assert rows["lstm"]["ratio"] == "4" and rows["lstm"]["ratio_limit"] == "4"
    assert rows["gru_reset_after"]["ratio"] == "(3*m + 3*n + 4)/(m + n + 1)"
    assert rows["gru_reset_after"]["ratio_limit"] == "3"
