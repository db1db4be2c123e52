"""Every kind of spec mistake gets a SpecError naming file, line, column, what was found and what was expected."""

from __future__ import annotations

import re

import subprocess
import sys

import pytest

import lstmsym
from lstmsym.base.errors import SpecError
from lstmsym.model.names import CALLABLE

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
    # the calls a spec may make, from their tables (the function table and the structural calls): a new function
    # or operator is not a new line here
    "unknown function": f"cell.toml:35:32: unknown function 'sigmod'; expected one of {', '.join(sorted(CALLABLE))}; "
                        "did you mean 'sigmoid'?",
    "unknown name": "cell.toml:35:23: unknown name 'h_pre'; expected one of U, W, b, h, h_prev, x; did you mean 'h_prev'?",
    "shape mismatch": "cell.toml:34:21: shape mismatch in '@': 'W' is a matrix of shape ? x m, 'h_prev' is a vector of size n; "
                      "size m (from cell.toml:34:13) disagrees with n here; "
                      "expected a matrix with as many columns as the vector on the right has entries",
    "used before defined": "cell.toml:35:11: 'a' is used before it is defined; expected 'a' defined above 'h'; "
                           "move the equation of 'a' above 'h'",
    "cycle": "cell.toml:35:32: cycle: a -> q -> a; expected equations that can be computed in order",
    "state never updated": "cell.toml:24:1: state 'h' is never updated; expected an equation 'h = ...' under [equations]",
    "unused parameter": "cell.toml:33:1: unused parameter 'V'; expected every declared parameter used in an equation; "
                        "remove it from [parameters] or use it",
    "duplicate definition": "cell.toml:36:1: duplicate definition of 'h'; expected each key once per table; remove or rename one of them",
    "duplicate across tables": "cell.toml:33:1: duplicate definition: 'x' is defined as a parameter and as an input (cell.toml:22:1); "
                               "expected each name defined once",
    "self reference": "cell.toml:35:23: cycle: h -> h; expected equations that can be computed in order; "
                      "for the previous step's value of 'h' write 'h_prev'",
    "state never read": "cell.toml:24:1: state 'h' never reads its previous value 'h_prev'; expected a state that recurs; "
                        "a quantity that does not recur is an equation, not a state: remove [state.h]",
    "declared shape": "cell.toml:35:13: shape mismatch in '@': 'W' is a matrix of shape n x n, 'x' is a vector of size m; "
                      "size n (from cell.toml:30:1) disagrees with m here; "
                      "expected a matrix with as many columns as the vector on the right has entries",
    "unknown size": "cell.toml:22:6: unknown size 'k'; expected one of m, n",
    "bad key": "cell.toml:5:1: unknown key 'sumary'; expected one of aliases, constants, display, equations, extends, family, flax, input, keras, "
               "name, notes, onnx, outputs, overview, parameters, pytorch, references, remove, roles, sizes, source, state, summary, title, year; "
               "did you mean 'summary'?",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_message(case, spec_file):
    path = spec_file("rnn", *CASES[case])
    with pytest.raises(SpecError) as info:
        lstmsym.cell(path)
    assert str(info.value) == EXPECTED[case].replace("cell.toml", str(path))


@pytest.mark.parametrize("case", ["unknown function", "shape mismatch", "unknown name"])
def test_cli_exit_2_without_traceback(case, spec_file, cli):
    path = spec_file("rnn", *CASES[case])
    code, out, err = cli("show", path)
    assert code == 2 and out == ""
    assert err == f"lstmsym: error: {EXPECTED[case].replace('cell.toml', str(path))}\n"


def test_cli_subprocess_exit_status_and_no_traceback(spec_file):
    """The console entry point itself, once as a real process."""
    path = spec_file("rnn", *CASES["unknown name"])
    result = subprocess.run([sys.executable, "-m", "lstmsym.cli", "show", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_unknown_cell_lists_names_and_folds_case(cli):
    code, _, err = cli("show", "lstn")
    assert code == 2
    assert "unknown cell 'lstn'; expected a spec file path or one of: " in err
    assert "gru_reset_after" in err and "did you mean 'lstm'?" in err
    assert "did you mean 'lstm'?" in cli("show", "LSTM")[2]
    assert "did you mean 'gru'?" in cli("params", "GRU")[2]


def test_folder_and_missing_file(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(SpecError, match="is a folder; expected a .toml spec file"):
        lstmsym.cell(tmp_path / "dir.toml")
    with pytest.raises(SpecError, match="cannot read the file"):
        lstmsym.cell(tmp_path / "missing.toml")


MINIMAL = """name = "mine"
parameters = ["W", "U", "b"]
[sizes]
m = "input"
n = "hidden"
[input]
x = "m"
[state.h]
size = "n"
[equations]
h = "tanh(W @ x + U @ h_prev + b)"
"""


def test_missing_keys_come_together(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[sizes]\nn = "hidden"\n')
    with pytest.raises(SpecError) as info:
        lstmsym.cell(path)
    assert str(info.value) == (f"{path}: missing required keys 'input' (the inputs), 'state' (the recurrent state), "
                               "'equations' (the equations); expected the keys name, sizes, input, state, equations "
                               "(title, summary, outputs and roles are optional)")


def test_minimal_spec_has_defaults():
    cell = lstmsym.cell(text=MINIMAL)
    assert cell.title == "mine" and cell.model.outputs == ("h",) and cell.model.summary == ""


@pytest.mark.parametrize("name", ["y_in", "h_in", "d_x", "h_bar", "T", "t", "I", "d_h_in"])
def test_paper_names_are_allowed(name):
    text = MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', f'{name} = "W @ x + U @ h_prev + b"\nh = "tanh({name})"')
    cell = lstmsym.cell(text=text)
    assert name in [n for n, _ in cell.model.equations]
    assert cell.verify()["ok"]


def test_unused_size_is_an_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL.replace('n = "hidden"', 'n = "hidden"\nk = "unused"'))
    with pytest.raises(SpecError) as info:
        lstmsym.cell(path)
    assert str(info.value) == (f"{path}:6:1: unused size 'k'; expected every declared size used in a shape; "
                               "remove it from [sizes], or give an input, state or parameter that shape")


def test_extends_finds_a_spec_beside_it(tmp_path):
    (tmp_path / "mycell.toml").write_text(MINIMAL.replace('name = "mine"', 'name = "mycell"'))
    child = tmp_path / "child.toml"
    child.write_text('name = "child"\nextends = "mycell"\n[equations]\nh = "relu(W @ x + U @ h_prev + b)"\n')
    cell = lstmsym.cell(child)
    assert "relu" in str(cell.model.equations[0][1]).lower()


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert lstmsym.cell(path).name == "mine"


def test_text_given_positionally_is_read_as_a_spec():
    assert lstmsym.cell(MINIMAL).name == "mine"


CONV = """name = "conv"
[sizes]
C = "channels"
H = "height"
k = { role = "kernel", kernel = true }
[input]
x = ["C", "H", "H"]
[state]
h = { shape = ["C", "H", "H"] }
[parameters]
K = { shape = ["C", "C", "k", "k"] }
[equations]
h = "tanh(conv(K, EXPR) + h_prev)"
"""
CONSTRUCT_ERRORS = {
    "cumulative sum of a scalar": (MINIMAL.replace("+ b)", "+ b) * cumsum(sum(x))"),
                                   "11:37: cumsum() of a scalar; expected a vector: cumsum() runs along the units of a vector "
                                   "(a scalar has one unit, and a matrix or feature map has no single order)"),
    "softmax of a matrix": (MINIMAL.replace("+ b)", "+ b) * softmax(outer(x, h_prev))"),
                            "11:37: softmax() of a matrix of shape m x n; expected a vector: softmax() runs along the units "
                            "of a vector (a scalar has one unit, and a matrix or feature map has no single order)"),
    "cumax with two arguments": (MINIMAL.replace("+ b)", "+ b) * cumax(x, h_prev)"),
                                 "11:37: cumax() takes 1 argument, found 2; expected cumax(a)"),
    "reduction of a scalar": (MINIMAL.replace("+ b)", "+ b) * sum(1)"),
                              "11:37: sum() of a scalar; expected a vector, matrix or feature map to reduce "
                              "(the result is a per-sequence scalar)"),
    "outer product used as a vector": (MINIMAL.replace("U @ h_prev", "U @ outer(h_prev, x)"),
                                       "11:21: shape mismatch in '@': 'U' is a matrix of shape ? x ?, the right operand "
                                       "is a matrix of shape n x m; expected a matrix with as many columns as the vector "
                                       "on the right has entries"),
    "mod by zero": (MINIMAL.replace("+ b)", "+ mod(b, 0))"), "11:39: mod() by zero; expected a non-zero divisor"),
    "select on a learned condition": (MINIMAL.replace('"tanh(W @ x + U @ h_prev + b)"', '"where(h_prev, tanh(W @ x + U @ h_prev + b), h_prev)"'),
                                      "11:12: the condition of where() reads 'h_prev', which is not an input; expected a mask "
                                      "input, e.g. where(mask, x, 0) (the select passes no gradient to its condition)"),
    "transpose of a vector": (MINIMAL.replace("U @ h_prev", "U @ h_prev + h_prev.T @ x"),
                              "11:38: '.T' on 'h_prev', a vector; expected a matrix before '.T' (a vector has no transpose "
                              "here: write W.T @ v, or outer(u, v) for u v^T)"),
    "select with two arguments": (MINIMAL.replace('"tanh(W @ x + U @ h_prev + b)"', '"where(x, tanh(W @ x + U @ h_prev + b))"'),
                                  "11:6: where() takes 3 arguments, found 2; expected where(x, y, z)"),
    "operand that is a number by value": (MINIMAL.replace("U @ h_prev", "U @ (h_prev / h_prev)"),
                                          "11:31: this operand simplifies to the number 1; expected an operand that is a "
                                          "vector (a fixed matrix is declared in [constants], e.g. J = { matrix = \"ones\", "
                                          "shape = [\"n\", \"m\"] })"),
    "convolution on a vector": (CONV.replace('x = ["C", "H", "H"]', 'x = "C"').replace("EXPR", "x"),
                                "13:19: conv() on a vector of size C; expected a feature map (channels x height x "
                                "width), e.g. x = [\"C\", \"H\", \"W\"]"),
}


@pytest.mark.parametrize("case", CONSTRUCT_ERRORS)
def test_new_construct_errors(case, tmp_path, cli):
    text, expected = CONSTRUCT_ERRORS[case]
    path = tmp_path / "cell.toml"
    path.write_text(text)
    code, out, err = cli("show", path)
    assert code == 2 and err.strip() == f"lstmsym: error: {path}:{expected}"


def test_heads_that_do_not_divide_n(tmp_path, cli):
    path = tmp_path / "heads.toml"
    path.write_text(MINIMAL.replace('n = "hidden"', 'n = "hidden"\nk = { role = "heads", divides = "n" }')
                    .replace('parameters = ["W", "U", "b"]', "")
                    .replace("[equations]", '[parameters]\nW = "w"\nU = { shape = ["n", "n"], blocks = "k" }\nb = "b"\n[equations]'))
    assert cli("params", path, "-m", "3", "-n", "4", "--size", "k=2")[0] == 0
    code, _, err = cli("params", path, "-m", "3", "-n", "4", "--size", "k=3")
    assert code != 0 and err.strip() == "lstmsym: error: sizes k = 3, n = 4 break the rule k divides n of cell 'mine'"


def test_kernel_larger_than_the_map(tmp_path, cli):
    path = tmp_path / "conv.toml"
    path.write_text(CONV.replace("EXPR", "x"))
    assert cli("params", path, "--size", "H=5", "--size", "k=3", "--size", "C=2")[0] == 0
    code, _, err = cli("params", path, "--size", "H=3", "--size", "k=5", "--size", "C=2")
    assert code != 0 and err.strip() == "lstmsym: error: sizes k = 5, H = 3 break the rule k <= H of cell 'conv'"


def test_log_of_a_pre_activation_gets_a_domain_explanation(tmp_path, cli):
    path = tmp_path / "logcell.toml"
    path.write_text(MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "tanh(log(W @ x + U @ h_prev + b))"'))
    code, out, err = cli("verify", path)
    assert code == 2 and "Traceback" not in err
    assert re.match(rf"lstmsym: error: {re.escape(str(path))}:\d+:\d+: cell 'mine': every sampled point left a function's domain "
                    r"\(invalid value encountered in log\)", err), err  # at the equation, with file, line and column
    assert "keep their arguments inside it, e.g. log(softplus(a))" in err
    path.write_text(MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "tanh(log(softplus(W @ x + U @ h_prev + b)))"'))
    assert cli("verify", path)[0] == 0


def test_a_variable_exponent_on_a_base_that_can_be_negative_gets_a_domain_explanation(tmp_path, cli):
    """x ** y with y a quantity is e^(y log x): a base that may be negative leaves the domain at every point."""
    path = tmp_path / "power.toml"
    path.write_text(MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "tanh(W @ x) ** sigmoid(U @ h_prev + b)"'))
    code, out, err = cli("verify", path)
    assert code == 2 and "Traceback" not in err
    assert re.match(rf"lstmsym: error: {re.escape(str(path))}:\d+:\d+: cell 'mine': every sampled point left", err), err
    assert "and x ** y with a variable exponent (a positive base x): keep their arguments inside it" in err
    path.write_text(MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "sigmoid(W @ x) ** sigmoid(U @ h_prev + b)"'))
    assert cli("verify", path)[0] == 0


def test_a_constant_exponent_must_be_a_number(tmp_path, cli):
    path = tmp_path / "power.toml"
    path.write_text(MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "tanh(W @ x + U @ h_prev + b) ** (2 * 3)"'))
    code, out, err = cli("show", path)
    assert code == 2 and err.strip() == (f"lstmsym: error: {path}:11:35: the exponent of '**' is not a number; expected a number, "
                                         "as in x ** 2, or a quantity, as in x ** y (x positive)")


def test_a_log_of_a_positive_input_verifies_and_an_impossible_domain_is_placed(tmp_path, cli):
    """h = tanh(..) * log(dt) with dt declared positive failed verify: the exact check drew dt as a signed rational,
    ignoring the declared domain. A domain log can never take still fails, at the equation's file, line and column."""
    spec = MINIMAL.replace('h = "tanh(W @ x + U @ h_prev + b)"', 'h = "tanh(W @ x + U @ h_prev + b) * log(dt)"')
    spec = spec.replace('[state.h]', 'dt = { size = "n", domain = "positive", role = "gap" }\n\n[state.h]', 1)
    path = tmp_path / "gap.toml"
    path.write_text(spec)
    code, out, err = cli("verify", path)
    assert code == 0, err + out
    path.write_text(spec.replace('domain = "positive"', 'domain = [-2.0, -1.0]'))
    code, out, err = cli("verify", path)
    assert code == 2 and re.match(rf"lstmsym: error: {re.escape(str(path))}:\d+:\d+: cell 'mine': every sampled point", err), err
