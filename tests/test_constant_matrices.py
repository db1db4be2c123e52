"""Constant matrices in [constants] (issue 22): identity, lower- and upper-triangular ones, ones, the repeat map and
a given table (over sizes fixed at its dimensions), declared by kind and shape, used on the left of '@'. Each is held to NumPy's own constructors, the exported layers
to a forward written here, and the documents must say what each matrix is."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell, need_module
from lstmsym.spec.matrices import MATRIX_KINDS, NAMED_KINDS, entry
from lstmsym.render.torch_module import export_torch
from lstmsym.verify.loader import load_source, numpy_module

SPEC = str(SPECS / "construct_constant_matrices.toml")
TABLE_SPEC = str(SPECS / "construct_matrix_table.toml")
#: The tables construct_matrix_table.toml gives, as its text writes them.
P = np.array([[0.8, -0.6], [0.6, 0.8]])
M = np.array([[1, 0, -1], [0.5, 2, 0.25]])

#: NumPy's constructors, the outside answer for each kind (r x c).
NUMPY = {
    "identity": lambda r, c: np.eye(r, c),
    "lower": lambda r, c: np.tril(np.ones((r, c))),
    "upper": lambda r, c: np.triu(np.ones((r, c))),
    "ones": lambda r, c: np.ones((r, c)),
    "repeat": lambda r, c: np.kron(np.eye(c), np.ones((r // c, 1))),
}


@pytest.mark.parametrize("kind", sorted(NAMED_KINDS))
def test_each_kind_is_numpys_matrix(kind):
    assert sorted(NUMPY) == sorted(NAMED_KINDS) and sorted(MATRIX_KINDS) == sorted(NAMED_KINDS + ("table",))
    for r, c in [(4, 4), (6, 3), (6, 2)] if not MATRIX_KINDS[kind].square else [(3, 3), (5, 5)]:
        ours = np.array([[entry(kind, i, j, r, c) for j in range(c)] for i in range(r)])
        assert np.array_equal(ours, NUMPY[kind](r, c)), (kind, r, c)
        code = MATRIX_KINDS[kind].code["numpy"]  # the generated modules' code, run here on its own
        built = eval(code, {"np": np}, {"r": r, "c": c, "dtype": np.float64})  # noqa: S307 (our own table, not input)
        assert np.array_equal(built, NUMPY[kind](r, c)), (kind, r, c)


def reference(params, xs, sizes):
    """construct_constant_matrices written out with NumPy's matrices."""
    n, m, k = sizes["n"], sizes["m"], sizes["k"]
    L, T, J = np.tril(np.ones((n, n))), np.triu(np.ones((n, n))), np.ones((n, m))
    R = np.kron(np.eye(k), np.ones((n // k, 1)))
    W, U, V, b = (params[p] for p in "WUVb")
    out = np.zeros((xs.shape[0], xs.shape[1], n))
    for s in range(xs.shape[1]):
        h = np.zeros(n)
        for t in range(xs.shape[0]):
            x = xs[t, s]
            g = 1 / (1 + np.exp(-(R @ (V @ x) + J @ x)))
            h = g * np.tanh(L @ (W @ x) + (U - 0.5 * T.T + 0.5 * np.eye(n)) @ h + b)
            out[t, s] = h
    return out


def test_the_export_equals_a_forward_written_with_numpys_matrices():
    module = numpy_module(derived_cell(SPEC))
    sizes = {"m": 3, "n": 6, "k": 2}
    rng = np.random.default_rng(5)
    params = {name: rng.normal(size=tuple(sizes[s] for s in shape)) for name, shape in module.PARAMETERS.items()}
    xs = rng.normal(size=(4, 2, 3))
    ours = module.forward(params, xs, None, {})[0]
    assert np.abs(ours - reference(params, xs, sizes)).max() < 1e-12


def test_a_given_table_is_its_rows_in_the_spec_the_checks_and_the_export():
    cell = lstmsym.cell(TABLE_SPEC)
    exact = {name: [[sympy.Rational(str(v)) for v in row] for row in table.tolist()] for name, table in (("P", P), ("M", M))}
    assert cell.model.constant_matrices({"m": 3, "d": 2, "q": 3}) == exact  # exact: 0.8 is 4/5, as the checks need
    assert entry("table", 1, 0, 2, 2, ((1, 2), (3, 4))) == 3
    code = MATRIX_KINDS["table"].code["numpy"]
    built = eval(code, {"np": np}, {"rows": M.tolist(), "dtype": np.float64})  # noqa: S307 (our own table, not input)
    assert np.array_equal(built, M)
    module = numpy_module(derived_cell(TABLE_SPEC))
    rng = np.random.default_rng(3)
    params = {"W": rng.normal(size=(2, 3)), "V": rng.normal(size=(3, 3)), "b": rng.normal(size=2)}
    xs = rng.normal(size=(5, 2, 3))
    ours = module.forward(params, xs, None, {})[0]
    for s in range(2):
        z = np.zeros(2)
        for t in range(5):
            z = np.tanh(P @ z + M @ np.tanh(params["V"] @ xs[t, s]) + params["W"] @ xs[t, s] + params["b"])
            assert np.abs(ours[t, s] - z).max() < 1e-12


def test_fixed_sizes_need_not_be_given_and_take_no_other_value(cli):
    code, out, err = cli("params", TABLE_SPEC, "-m", "4")
    assert code == 0 and "total = d*m + d + m*q = 22  (d=2, q=3, m=4)" in out, out + err
    code, out, err = cli("params", TABLE_SPEC, "-m", "4", "--size", "d=3")
    assert code == 2 and "size d of cell 'construct_matrix_table' is fixed at 2 (the spec's value), got 3" in err, err
    torch = need_module("torch")
    layer_module = load_source(export_torch(derived_cell(TABLE_SPEC)))
    with pytest.raises(ValueError, match="size d of construct_matrix_table is fixed at 2, got 3"):
        layer_module.ConstructMatrixTable(4, 3)
    assert layer_module.ConstructMatrixTable(4, 2)(torch.zeros(5, 1, 4, dtype=torch.float32))[0].shape == (5, 1, 2)


def test_the_documents_print_a_tables_rows_and_the_fixed_sizes():
    text = lstmsym.cell(TABLE_SPEC).md()
    assert "$P$ of shape $d \\times d$, the given table with rows (0.8, -0.6), (0.6, 0.8)" in text, text[:1500]
    assert "$M$ of shape $d \\times q$, the given table with rows (1, 0, -1), (0.5, 2, 0.25)" in text


# The PyTorch and JAX layers of the spec are held to the spec's interpreter by test_export_torch.py and
# test_export_jax.py, which run every spec of tests/specs.


def test_constant_matrices_are_not_parameters_and_the_documents_define_them():
    cell = lstmsym.cell(SPEC)
    assert sorted(p.name for p in cell.model.parameters) == ["U", "V", "W", "b"]
    assert cell.count(m=3, n=6, k=2) == 6 * 3 + 6 * 6 + 2 * 3 + 6
    text = cell.md()
    for line in ("$L$ of shape $n \\times n$, ones on and below the diagonal",
                 "$R$ of shape $n \\times k$, the repeat map, so R v repeats each entry of v n/k times (k divides n)"):
        assert line in text, text[:2000]
    assert "d_L" not in cell.backward() and "d_R" not in cell.backward()


ERRORS = {
    "unknown kind": ('L = { matrix = "lower", shape = ["n", "n"], role = "running sums" }',
                     'L = { matrix = "lowr", shape = ["n", "n"] }',
                     f"unknown kind of constant matrix 'lowr'; expected one of {', '.join(NAMED_KINDS)}, or a table's rows "
                     "(matrix = [[1, 0], [0, 1]]); did you mean 'lower'?"),
    "not square": ('T = { matrix = "upper", shape = ["n", "n"] }', 'T = { matrix = "upper", shape = ["n", "m"] }',
                   "a upper matrix of shape ['n', 'm']; expected a square matrix shape of two sizes, e.g. [\"n\", \"n\"]"),
    "no shape": ('E = { matrix = "identity", shape = ["n", "n"] }', 'E = { matrix = "identity" }',
                 "constant matrix 'E' has no shape; expected shape = [\"n\", \"n\"]"),
    "repeat without divides": ('k = { role = "chunks", divides = "n" }', 'k = "chunks"',
                               "a repeat matrix of shape ['n', 'k'], but size 'k' is not declared to divide 'n'; "
                               "expected k = { role = \"...\", divides = \"n\" } in [sizes]"),
    "unknown key": ('J = { matrix = "ones", shape = ["n", "m"] }', 'J = { matrix = "ones", shape = ["n", "m"], value = 1 }',
                    "unknown key 'value' in constant matrix 'J'; expected matrix, shape and role"),
}


TABLE_ERRORS = {
    "ragged rows": ("[[0.8, -0.6], [0.6, 0.8]]", "[[0.8, -0.6], [0.6]]",
                    "the table of 'P' is not a list of rows of equal length; expected matrix = [[0, -1], [1, 0]]"),
    "not a number": ("[[0.8, -0.6], [0.6, 0.8]]", '[[0.8, -0.6], [0.6, "x"]]',
                     "the table of 'P' holds 'x'; expected numbers of magnitude at most 1e+09"),
    "size not fixed": ('d = { role = "state pair", value = 2 }', 'd = "state pair"',
                       "the table of 'P' is 2 x 2, and its shape ['d', 'd'] is not two sizes fixed at those values; "
                       "expected d = { role = \"...\", value = 2 } and d = { role = \"...\", value = 2 } in [sizes]"),
    "wrong dimensions": ('q = { role = "mixed channels", value = 3 }', 'q = { role = "mixed channels", value = 4 }',
                         "the table of 'M' is 2 x 3, and its shape ['d', 'q'] is not two sizes fixed at those values"),
    "a table kind by name": ("matrix = [[0.8, -0.6], [0.6, 0.8]]", 'matrix = "table"',
                             f"constant matrix 'P' is 'table'; expected a kind ({', '.join(NAMED_KINDS)}) or a "  # the table's
                             "table's rows, matrix = [[1, 0], [0, 1]]"),
    "fixed and verified": ('d = { role = "state pair", value = 2 }', 'd = { role = "state pair", value = 2, verify = 3 }',
                           "size 'd' is fixed at 2, so it takes no 'verify'; expected either value = ... (a fixed size) "
                           "or verify/reference/kernel"),
}


@pytest.mark.parametrize("spec, errors, case", [(SPEC, ERRORS, c) for c in sorted(ERRORS)]
                         + [(TABLE_SPEC, TABLE_ERRORS, c) for c in sorted(TABLE_ERRORS)])
def test_mistakes_are_one_line_errors(spec, errors, case, tmp_path, cli):
    right, wrong, message = errors[case]
    text = open(spec).read()
    assert text.count(right) == 1
    path = tmp_path / "cell.toml"
    path.write_text(text.replace(right, wrong))
    code, out, err = cli("show", path)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert re.match(rf"lstmsym: error: {re.escape(str(path))}:\d+:\d+: ", err), err  # file, line and column


def test_lambdify_builds_a_given_table_itself():
    equation = lstmsym.cell(TABLE_SPEC).equations["z"]
    symbols = sorted(equation.free_symbols, key=str)
    rng = np.random.default_rng(1)
    values = {"d": 2, "q": 3, "W": rng.normal(size=(2, 3)), "b": rng.normal(size=(2, 1)), "u": rng.normal(size=(3, 1)),
              "x": rng.normal(size=(3, 1)), "z_prev": rng.normal(size=(2, 1))}
    ours = sympy.lambdify(symbols, equation, "numpy")(*[values[str(s)] for s in symbols])
    want = np.tanh(P @ values["z_prev"] + M @ values["u"] + values["W"] @ values["x"] + values["b"])
    assert np.abs(ours - want).max() < 1e-12
