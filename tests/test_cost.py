"""Cost per step: matrix-product FLOPs against PyTorch's FLOP counter, BPTT memory against the real cache."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
import sympy

import lstmsym
from lstmsym.cost import derive_cost
from lstmsym.counts import size_symbol
from lstmsym.verify.loader import numpy_module
from lstmsym.verify.sampling import random_params

TORCH_CELLS = {"rnn": "RNN", "lstm": "LSTM", "gru_reset_after": "GRU", "rnn_relu": "RNN"}


def at(expr, sizes):
    return int(expr.subs({size_symbol(k): v for k, v in sizes.items()}))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
def test_matmul_flops_match_pytorch_flop_counter(name):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from lstmsym.verify.torch_check import build_module

    cell = lstmsym.cell(name)
    cost = derive_cost(cell)
    for (m, n), batch, steps in itertools.product([(3, 5), (8, 4), (16, 32)], [1, 4], [1, 7]):
        module = build_module(cell, {"m": m, "n": n})
        x = torch.randn(steps, batch, m, dtype=torch.float64, requires_grad=True)
        states = [torch.randn(1, batch, n, dtype=torch.float64, requires_grad=True) for _ in cell.states]
        hx = states[0] if len(states) == 1 else tuple(states)
        with FlopCounterMode(display=False) as forward:
            out, _ = module(x, hx)
        with FlopCounterMode(display=False) as backward:
            out.sum().backward()
        sizes = {"m": m, "n": n}
        assert forward.get_total_flops() == batch * steps * at(cost.forward_flops, sizes), (m, n, batch, steps)
        assert backward.get_total_flops() == batch * steps * at(cost.backward_flops, sizes), (m, n, batch, steps)


@pytest.mark.parametrize("name", lstmsym.builtin_names())
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_memory_formula_equals_the_exported_cache(name, dtype):
    cell = lstmsym.cell(name)
    cost = derive_cost(cell)
    rng = np.random.default_rng(len(name))
    for steps, batch in [(1, 1), (5, 3)]:
        sizes = {s: int(rng.integers(2, 6)) for s in cell.sizes}
        if "p" in sizes:
            sizes["p"] = sizes["n"] - 1
        params = {k: v.astype(dtype) for k, v in random_params(cell, sizes, rng).items()}
        xs = rng.normal(size=(steps, batch, sizes[cell.input_size])).astype(dtype)
        _, _, cache = numpy_module(cell).forward(params, xs)
        assert sum(a.nbytes for a in cache.values()) == cost.memory_bytes(steps, batch, sizes, dtype)
    assert at(cost.recomputed_per_step, sizes) >= 0


def test_lstm_costs_four_rnns():
    lstm, rnn = derive_cost(lstmsym.cell("lstm")), derive_cost(lstmsym.cell("rnn"))
    assert sympy.simplify(lstm.matmul_flops / rnn.matmul_flops) == 4
    assert sympy.factor(lstm.matmul_flops) == 24 * size_symbol("n") * (size_symbol("m") + size_symbol("n"))


def test_compare_shows_three_kinds_of_cost():
    out = subprocess.run([sys.executable, "-m", "lstmsym.cli", "compare", "lstm", "gru_reset_after", "rnn",
                          "--input-size", "128", "--hidden-size", "256", "--json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert {r["cell"]: r["ratio"] for r in data["flops"]}["lstm"] == "4"
    assert {r["cell"]: r["ratio_limit"] for r in data["memory"]}["lstm"] == "6"
    assert {r["cell"]: r["total"] for r in data["parameters"]}["lstm"] == 394240


def test_cost_cli():
    out = subprocess.run([sys.executable, "-m", "lstmsym.cli", "cost", "lstm", "-m", "128", "-n", "256", "--batch", "32",
                          "--steps", "100", "--json"], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["total_matmul_flops"] == 24 * 256 * (128 + 256) * 32 * 100
    assert data["bptt_memory_bytes"] == 4 * 32 * (100 * (128 + 6 * 256) + 2 * 256)
