"""Cost per step: operator FLOPs against PyTorch's FLOP counter; BPTT memory against what the exported module
actually keeps (its cache arrays' bytes, an independent oracle: the module, not the formula, is measured)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.model.sizes import at_sizes, size_symbol
from lstmsym.verify.loader import numpy_module
from lstmsym.verify.sampling import random_inputs, random_params

TORCH_CELLS = {"rnn": "RNN", "lstm": "LSTM", "gru_reset_after": "GRU", "rnn_relu": "RNN"}
ALL = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("construct_*.toml"))


def at(expr, sizes):
    return int(at_sizes(expr, sizes))


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(TORCH_CELLS))
def test_operator_flops_match_pytorch_flop_counter(name):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from lstmsym.verify.torch_nn import build_module

    d = derived_cell(name)
    cost = d.cost
    for (m, n), batch, steps in itertools.product([(3, 5), (8, 4), (16, 32)], [1, 4], [1, 7]):
        module = build_module(d.cell, {"m": m, "n": n})
        x = torch.randn(steps, batch, m, dtype=torch.float64, requires_grad=True)
        states = [torch.randn(1, batch, n, dtype=torch.float64, requires_grad=True) for _ in d.cell.states]
        hx = states[0] if len(states) == 1 else tuple(states)
        with FlopCounterMode(display=False) as forward:
            out, _ = module(x, hx)
        with FlopCounterMode(display=False) as backward:
            out.sum().backward()
        sizes = {"m": m, "n": n}
        assert forward.get_total_flops() == batch * steps * at(cost.forward_flops, sizes), (m, n, batch, steps)
        assert backward.get_total_flops() == batch * steps * at(cost.backward_flops, sizes), (m, n, batch, steps)


@pytest.mark.parametrize("name", ALL, ids=lambda n: n.split("/")[-1])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_memory_formula_equals_the_exported_cache(name, dtype):
    d = derived_cell(name)
    cost = d.cost
    rng = np.random.default_rng(len(name))
    import random

    for steps, batch in [(1, 1), (5, 3)]:
        sizes = d.cell.size_rules.sample(random.Random(steps), 2, 5)
        params = {k: v.astype(dtype) for k, v in random_params(d.cell, sizes, rng).items()}
        inputs = {k: v.astype(dtype) for k, v in random_inputs(d.cell, sizes, steps, batch, rng).items()}
        main = inputs.pop(d.cell.input)
        state = {s.name: np.zeros((batch,) + tuple(sizes[x] for x in s.shape), dtype=dtype) for s in d.cell.states}
        _, _, cache = numpy_module(d).forward(params, main, state, inputs)
        assert sum(a.nbytes for a in cache.values()) == cost.memory_bytes(steps, batch, sizes, dtype), sizes
        assert at(cost.recomputed_per_step, sizes) >= 1 or not any(str(a).startswith("_tanh") for a in d.plan.in_loop)


def test_lstm_costs_four_rnns():
    lstm, rnn = derived_cell("lstm").cost, derived_cell("rnn").cost
    assert sympy.simplify(lstm.matmul_flops / rnn.matmul_flops) == 4
    assert sympy.factor(lstm.matmul_flops) == 24 * size_symbol("n") * (size_symbol("m") + size_symbol("n"))


def test_conv_and_heads_costs():
    conv = derived_cell(str(SPECS / "construct_conv.toml")).cost
    C, F, H, W, k = (size_symbol(s) for s in "CFHWk")
    # conv(K_x, x) appears twice in the spec and is computed once
    assert sympy.expand(conv.forward_macs - (F * C * k**2 * H * W + F * F * k**2 * H * W)) == 0
    heads = derived_cell(str(SPECS / "construct_heads.toml")).cost
    n, m = size_symbol("n"), size_symbol("m")
    assert sympy.simplify(heads.forward_macs - (n * m + n**2 / size_symbol("k"))) == 0


def test_compare_shows_three_kinds_of_cost(cli_json):
    data = cli_json("compare", "lstm", "gru_reset_after", "rnn", "--input-size", "128", "--hidden-size", "256")
    assert {r["cell"]: r["ratio"] for r in data["flops"]}["lstm"] == "4"
    assert {r["cell"]: r["ratio_limit"] for r in data["memory"]}["lstm"] == "6"
    assert {r["cell"]: r["total"] for r in data["parameters"]}["lstm"] == 394240


def test_cost_cli(cli_json, cli):
    data = cli_json("cost", "lstm", "-m", "128", "-n", "256", "--batch", "32", "--steps", "100")
    assert data["schema"] == "lstmsym.cost/1"
    assert data["total_operator_flops"] == 24 * 256 * (128 + 256) * 32 * 100
    assert data["bptt_memory_bytes"] == 4 * 32 * (100 * (128 + 6 * 256) + 2 * 256)
    stacked = cli_json("cost", "lstm", "-m", "128", "-n", "256", "--batch", "32", "--steps", "100", "--num-layers", "2", "--bidirectional")
    assert stacked["bptt_memory_bytes"] == 4 * data["bptt_memory_bytes"]
    assert stacked["stack"]["operator_flops_per_step"] == "48*n*(m + 4*n)"
    assert "MiB in float32" in cli("cost", "lstm", "-m", "128", "-n", "256")[1]


@pytest.mark.parametrize("reduction, products", [("sum", 0), ("mean", 1)])
def test_reduction_costs_counted_by_hand(tmp_path, reduction, products):
    """h = tanh(W @ x + sum(h_prev)): the sum of n entries takes n - 1 additions and adding the scalar to W @ x
    n more (2n - 1); a mean divides once more; W @ x is m n multiply-adds; tanh is n nonlinear operations."""
    spec = tmp_path / "r.toml"
    spec.write_text('name = "r"\n[sizes]\nm = "input size"\nn = "hidden size"\n[input]\nx = "m"\n[state.h]\nsize = "n"\n'
                    f'[parameters]\nW = "weights"\n[equations]\nh = "tanh(W @ x + {reduction}(h_prev))"\n')
    cost = derived_cell(str(spec)).cost
    m, n = size_symbol("m"), size_symbol("n")
    assert sympy.expand(cost.forward_ops["sum"] - (2 * n - 1)) == 0
    assert cost.forward_ops["product"] == products
    assert cost.forward_ops["nonlinear"] == n and cost.forward_macs == m * n
