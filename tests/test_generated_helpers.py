"""Generated modules contain only the helpers they call (issue 23): lstm's PyTorch file used to define conv2d,
outer products and every function of the notation whether it called them or not."""

from __future__ import annotations

import ast

import pytest

from conftest import derived_cell
from lstmsym.render.jax_module import export_jax
from lstmsym.render.numpy_module import export_numpy
from lstmsym.render.prune import keep_called
from lstmsym.render.torch_module import export_torch

EXPORTS = {"numpy": export_numpy, "torch": export_torch, "jax": export_jax}
#: One cell per construct: plain gates, peepholes, a conv cell, a matrix memory, a scan, along-the-units operators.
CELLS = ["lstm", "peephole", "convlstm", "deltanet", "mamba_ssm", "on_lstm", "lru", "gru_d"]


def private_functions(source: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(source)
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("_")}


def uncalled(source: str) -> set[str]:
    """Private top-level functions no other part of the module names (read independently of render.prune)."""
    functions = private_functions(source)
    tree = ast.parse(source)
    used = set()
    for node in tree.body:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        own = node.name if isinstance(node, ast.FunctionDef) else None
        used |= names - {own}
    return set(functions) - used


@pytest.mark.parametrize("backend", sorted(EXPORTS))
@pytest.mark.parametrize("name", CELLS)
def test_every_helper_of_a_generated_module_is_called(name, backend):
    source = EXPORTS[backend](derived_cell(name))
    assert uncalled(source) == set(), (name, backend)
    compile(source, f"{name}_{backend}.py", "exec")


def test_lstm_modules_carry_no_convolution_or_scan_helpers():
    for backend, export in EXPORTS.items():
        helpers = set(private_functions(export(derived_cell("lstm"))))
        assert not {h for h in helpers if "conv" in h or h in ("_outer", "_block_scan", "_cumsum", "_softmax")}, (backend, helpers)
        assert "_sigmoid" in helpers or "_tanh" in helpers, (backend, helpers)


def test_pruning_keeps_what_helpers_call_and_drops_the_rest():
    source = ("import numpy as np\n\n\ndef _a(x):\n    return _b(x)\n\n\ndef _b(x):\n    return x\n\n\n"
              "def _unused(x):\n    return _b(x)\n\n\ndef forward(x):\n    return _a(x)\n")
    assert set(private_functions(keep_called(source))) == {"_a", "_b"}
