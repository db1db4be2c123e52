"""The exported NumPy module: interface, dtypes, shapes, and that it imports only numpy."""

from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest

import lstmsym
from lstmsym.export import export_numpy
from lstmsym.verify.loader import load_file, numpy_module
from lstmsym.verify.sampling import output_size, random_params

CELLS = lstmsym.builtin_names()


@pytest.mark.parametrize("name", CELLS)
def test_imports_only_numpy(name):
    tree = ast.parse(export_numpy(lstmsym.cell(name)))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported == {"numpy"}


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("steps, batch", [(1, 1), (4, 3)])
def test_interface_and_dtypes(name, dtype, steps, batch):
    cell = lstmsym.cell(name)
    module = numpy_module(cell)
    sizes = {s: 3 for s in cell.sizes}
    if "p" in sizes:
        sizes["p"] = 2
    rng = np.random.default_rng(0)
    params = {k: v.astype(dtype) for k, v in random_params(cell, sizes, rng).items()}
    assert module.PARAMETERS == {p.name: p.shape for p in cell.parameters}
    assert module.STATE == tuple(s.name for s in cell.states)
    xs = rng.normal(size=(steps, batch, sizes[cell.input_size])).astype(dtype)
    ys, state_T, cache = module.forward(params, xs)
    assert ys.shape == (steps, batch, output_size(cell, sizes)) and ys.dtype == dtype
    assert set(state_T) == set(module.STATE)
    dys = np.ones_like(ys)
    dparams, dxs, dstate0 = module.backward(params, cache, dys)
    assert dxs.shape == xs.shape and dxs.dtype == dtype
    for k, v in dparams.items():
        assert v.shape == params[k].shape and v.dtype == dtype, k
    for s in cell.states:
        assert dstate0[s.name].shape == (batch, sizes[s.size])


def test_float32_matches_float64():
    cell = lstmsym.cell("lstm")
    module = numpy_module(cell)
    rng = np.random.default_rng(1)
    params = random_params(cell, {"m": 5, "n": 7}, rng)
    xs = rng.normal(size=(6, 4, 5))
    ys64, _, cache64 = module.forward(params, xs)
    ys32, _, cache32 = module.forward({k: v.astype(np.float32) for k, v in params.items()}, xs.astype(np.float32))
    assert np.allclose(ys32, ys64, atol=1e-5)
    d64 = module.backward(params, cache64, np.ones_like(ys64))[0]
    d32 = module.backward(params, cache32, np.ones_like(ys32))[0]
    assert all(np.allclose(d32[k], d64[k], atol=1e-4) for k in d64)


def test_initial_state_is_used():
    cell = lstmsym.cell("gru")
    module = numpy_module(cell)
    rng = np.random.default_rng(2)
    params = random_params(cell, {"m": 2, "n": 3}, rng)
    xs = rng.normal(size=(2, 1, 2))
    h0 = {"h": rng.normal(size=(1, 3))}
    assert not np.allclose(module.forward(params, xs, h0)[0], module.forward(params, xs)[0])
    with pytest.raises(ValueError, match="state 'h' has shape"):
        module.forward(params, xs, {"h": np.zeros((2, 3))})


def test_cli_writes_the_module(tmp_path):
    out = tmp_path / "lstm_ref.py"
    subprocess.run([sys.executable, "-m", "lstmsym.cli", "export", "lstm", "--to", "numpy", "-o", str(out)], check=True)
    module = load_file(out)
    assert module.STATE == ("h", "c") and module.NAME == "lstm"
