"""Derived gradients, checked three ways: symbolically at small sizes, by finite differences, by PyTorch."""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lstmsym
from lstmsym.backward import Backward, Statement
from lstmsym.verify import symbolic
from lstmsym.verify.direct import DirectDerivative
from lstmsym.verify.numeric import finite_difference_check
from lstmsym.verify.symbolic import Unrolled, symbolic_check

CELLS = lstmsym.builtin_names()
SEED_CELLS = ["rnn", "lstm", "peephole", "cifg", "gru", "gru_reset_after"]
TORCH_CELLS = [n for n in CELLS if "pytorch" in lstmsym.cell(n).spec.frameworks]


@pytest.mark.parametrize("name", CELLS)
def test_symbolic_small_sizes(name):
    result = symbolic_check(lstmsym.cell(name), steps=2)
    assert result.ok, result
    assert result.checked >= 10 and result.nonzero >= result.checked // 2


@pytest.mark.parametrize("name", SEED_CELLS)
@pytest.mark.parametrize("sizes, steps", [({"m": 3, "n": 3}, 2), ({"m": 1, "n": 3}, 1), ({"m": 3, "n": 1}, 2)])
def test_symbolic_up_to_three(name, sizes, steps):
    result = symbolic_check(lstmsym.cell(name), sizes=sizes, steps=steps, seed=7)
    assert result.ok, result


def test_direct_derivative_equals_sympy_diff():
    """The memoised differentiation used by the symbolic check gives what sympy.diff gives."""
    cell = lstmsym.cell("gru")
    problem = Unrolled(cell, {"m": 1, "n": 2}, 2, random.Random(3))
    loss = problem.loss()
    floats = {s: sympy.Float(v, 40) for s, v in problem.point.items()}
    engine = DirectDerivative(floats)
    for symbol in problem.symbols[::3]:
        ours = engine.value(engine.derivative(loss, symbol))
        theirs = sympy.diff(loss, symbol).xreplace(floats)
        assert abs(sympy.N(ours - theirs, 40)) < sympy.Float("1e-35")


def test_symbolic_check_catches_a_missing_path(monkeypatch):
    """Drop the tanh path from the LSTM's total delta-c: the symbolic check must fail."""
    original = Backward._derive

    def broken(self):
        original(self)
        for index, statement in enumerate(self.statements):
            if statement.target == "d_c":
                self.statements[index] = Statement("d_c", sympy.Symbol("d_c_in"), statement.kind, statement.of)

    monkeypatch.setattr(Backward, "_derive", broken)
    result = symbolic.symbolic_check(lstmsym.cell("lstm"))
    assert not result.ok and result.max_error > 1e-3


@pytest.mark.parametrize("name", CELLS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), steps=st.integers(1, 5), batch=st.integers(1, 3))
def test_finite_differences(name, seed, steps, batch):
    result = finite_difference_check(lstmsym.cell(name), seed=seed, steps=steps, batch=batch)
    assert result.ok, result


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_CELLS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pytorch_autograd(name, seed):
    from lstmsym.verify.torch_check import torch_check

    result = torch_check(lstmsym.cell(name), seed=seed, steps=6, batch=3)
    assert result.max_error < 1e-12, result


def test_torch_cells_include_the_seed_ones():
    assert {"rnn", "lstm", "gru_reset_after"} <= set(TORCH_CELLS)


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_CELLS)
def test_interop_round_trip(name):
    import torch

    from lstmsym.interop import from_torch, to_torch
    from lstmsym.verify.sampling import random_params
    from lstmsym.verify.torch_check import build_module

    cell = lstmsym.cell(name)
    sizes = {"m": 4, "n": 5, "p": 3}
    sizes = {k: v for k, v in sizes.items() if k in cell.sizes}
    params = random_params(cell, sizes, np.random.default_rng(0))
    tensors = to_torch(cell, params)
    module = build_module(cell, sizes)
    assert sorted(tensors) == sorted(n for n, _ in module.named_parameters())
    for key, value in tensors.items():
        assert tuple(value.shape) == tuple(getattr(module, key).shape)
    back = from_torch(cell, tensors)
    assert all(np.array_equal(back[k], params[k]) for k in params)
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.normal_()
    summed = from_torch(cell, dict(module.named_parameters()))
    bias_ih, bias_hh = module.bias_ih_l0.detach().numpy(), module.bias_hh_l0.detach().numpy()
    first_bias = next(p.name for p in cell.parameters if p.kind == "vector")
    rows = params[first_bias].shape[0]
    assert np.allclose(summed[first_bias], bias_ih[:rows] + bias_hh[:rows])
