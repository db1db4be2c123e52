"""Every kind of spec mistake gets a SpecError naming file, line, column, what was found and what was expected."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lstmsym
from lstmsym.errors import SpecError

RNN_H = 'h = "tanh(W @ x + U @ h_prev + b)"'

CASES = {
    "toml syntax": (("[sizes]", "[sizes"),),
    "unknown function": ((RNN_H, 'h = "tanh(W @ x + U @ h_prev + sigmod(b))"'),),
    "unknown name": ((RNN_H, 'h = "tanh(W @ x + U @ h_pre + b)"'),),
    "shape mismatch": ((RNN_H, 'h = "tanh(W @ x + W @ h_prev + b)"'), ('U = "hidden-to-hidden (recurrent) weights"\n', "")),
    "used before defined": ((RNN_H, 'h = "tanh(a + b)"\na = "W @ x + U @ h_prev"'),),
    "cycle": ((RNN_H, 'a = "tanh(W @ x + U @ h_prev + q)"\nq = "b * a"\nh = "a"'),),
    "state never updated": ((RNN_H, 'a = "tanh(W @ x + U @ h_prev + b)"'), ('outputs = ["h"]', 'outputs = ["a"]')),
    "unused parameter": (('b = "bias"\n', 'b = "bias"\nV = "extra"\n'),),
    "duplicate definition": ((RNN_H, RNN_H + "\n" + 'h = "b"'),),
    "duplicate across tables": (('b = "bias"\n', 'b = "bias"\nx = "a clash"\n'),),
    "self reference": ((RNN_H, 'h = "tanh(W @ x + U @ h + b)"'),),
    "state never read": (("U @ h_prev", "U @ x"), ('U = "hidden-to-hidden (recurrent) weights"', 'U = { shape = ["n", "m"] }')),
    "declared shape": (('W = "input-to-hidden weights"', 'W = { shape = ["n", "n"] }'),),
    "unknown size": (('x = "m"', 'x = "k"'),),
    "bad key": (('summary =', 'sumary = "x"\nsummary ='),),
}

EXPECTED = {
    "toml syntax": "cell.toml:17:7: TOML syntax error: Expected ']' at the end of a table declaration; expected valid TOML (https://toml.io)",
    "unknown function": "cell.toml:35:32: unknown function 'sigmod'; expected one of exp, hard_sigmoid, identity, log, max, min, "
                        "relu, sigmoid, softplus, sqrt, tanh; did you mean 'sigmoid'?",
    "unknown name": "cell.toml:35:23: unknown name 'h_pre'; expected one of U, W, b, h, h_prev, x; did you mean 'h_prev'?",
    "shape mismatch": "cell.toml:34:21: shape mismatch in '@': 'W' is a matrix of shape (unknown) x m, 'h_prev' is a vector of size n; "
                      "expected a matrix with as many columns as the vector on the right has entries",
    "used before defined": "cell.toml:35:11: 'a' is used before it is defined; expected 'a' defined above 'h'; "
                           "move the equation of 'a' above 'h'",
    "cycle": "cell.toml:35:32: cycle: a -> q -> a; expected equations that can be computed in order",
    "state never updated": "cell.toml:24:1: state 'h' is never updated; expected an equation 'h = ...' under [equations]",
    "unused parameter": "cell.toml:33:1: unused parameter 'V'; expected every declared parameter used in an equation; "
                        "remove it from [parameters] or use it",
    "duplicate definition": "cell.toml:36:1: duplicate definition of 'h'; expected each key once per table; remove or rename one of them",
    "duplicate across tables": "cell.toml:33:1: duplicate definition: 'x' is defined as a parameter and as the input (cell.toml:22:1); "
                               "expected each name defined once",
    "self reference": "cell.toml:35:23: cycle: h -> h; expected equations that can be computed in order; "
                      "for the previous step's value of 'h' write 'h_prev'",
    "state never read": "cell.toml:24:1: state 'h' never reads its previous value 'h_prev'; expected a state that recurs; "
                        "a quantity that does not recur is an equation, not a state: remove [state.h]",
    "declared shape": "cell.toml:35:13: shape mismatch in '@': 'W' is a matrix of shape n x n, 'x' is a vector of size m; "
                      "expected a matrix with as many columns as the vector on the right has entries",
    "unknown size": "cell.toml:22:6: unknown size 'k'; expected one of m, n",
    "bad key": "cell.toml:5:1: unknown key 'sumary'; expected one of aliases, constants, equations, extends, family, input, keras, "
               "name, notes, outputs, parameters, pytorch, references, remove, roles, sizes, source, state, summary, title, year; "
               "did you mean 'summary'?",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_message(case, spec_file):
    path = spec_file("rnn", *CASES[case])
    with pytest.raises(SpecError) as info:
        lstmsym.cell(path)
    assert str(info.value) == EXPECTED[case].replace("cell.toml", str(path))


@pytest.mark.parametrize("case", ["unknown function", "shape mismatch", "unknown name"])
def test_cli_exit_2_without_traceback(case, spec_file):
    path = spec_file("rnn", *CASES[case])
    result = subprocess.run([sys.executable, "-m", "lstmsym.cli", "show", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"lstmsym: error: {EXPECTED[case].replace('cell.toml', str(path))}\n"
    assert "Traceback" not in result.stderr


def test_unknown_cell_lists_names():
    result = subprocess.run([sys.executable, "-m", "lstmsym.cli", "show", "lstn"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown cell 'lstn'; expected a spec file path or one of: " in result.stderr
    assert "gru_reset_after" in result.stderr and "did you mean 'lstm'?" in result.stderr


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(SpecError, match="is a directory; expected a .toml spec file"):
        lstmsym.cell(tmp_path / "dir.toml" if (tmp_path / "dir.toml").mkdir() is None else None)
    with pytest.raises(SpecError, match="cannot read the file"):
        lstmsym.cell(tmp_path / "missing.toml")
