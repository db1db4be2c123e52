"""Constant matrices in [constants] (issue 22): identity, lower- and upper-triangular ones, ones and the repeat map,
declared by kind and shape, used on the left of '@'. Each is held to NumPy's own constructors, the exported layers
to a forward written here, and the documents must say what each matrix is."""

from __future__ import annotations

import re

import numpy as np
import pytest

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.spec.matrices import MATRIX_KINDS, entry
from lstmsym.verify.loader import numpy_module

SPEC = str(SPECS / "construct_constant_matrices.toml")

#: NumPy's constructors, the outside answer for each kind (r x c).
NUMPY = {
    "identity": lambda r, c: np.eye(r, c),
    "lower": lambda r, c: np.tril(np.ones((r, c))),
    "upper": lambda r, c: np.triu(np.ones((r, c))),
    "ones": lambda r, c: np.ones((r, c)),
    "repeat": lambda r, c: np.kron(np.eye(c), np.ones((r // c, 1))),
}


@pytest.mark.parametrize("kind", sorted(MATRIX_KINDS))
def test_each_kind_is_numpys_matrix(kind):
    assert sorted(NUMPY) == sorted(MATRIX_KINDS)
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
                     f"unknown kind of constant matrix 'lowr'; expected one of {', '.join(MATRIX_KINDS)}; did you mean 'lower'?"),
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


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_mistakes_are_one_line_errors(case, tmp_path, cli):
    right, wrong, message = ERRORS[case]
    text = open(SPEC).read()
    assert text.count(right) == 1
    path = tmp_path / "cell.toml"
    path.write_text(text.replace(right, wrong))
    code, out, err = cli("show", path)
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert re.match(rf"lstmsym: error: {re.escape(str(path))}:\d+:\d+: ", err), err  # file, line and column
