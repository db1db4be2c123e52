"""`export --to autograd` (HIPS autograd): for every cell and test spec, scan computes the NumPy module's forward,
and autograd.grad of scan equals the NumPy module's derived backward in float64. Not the cells with a running
maximum (cummax): autograd.numpy has no np.maximum.accumulate, the NumPy column's form of it."""

from __future__ import annotations

import numpy as np
import pytest

import lstmsym
from conftest import SPECS, derived_cell, need_module, reference_gradients


def runs_a_maximum(name: str) -> bool:
    from lstmsym.model.ir import Operator
    from lstmsym.model.loading import load_cell

    return any(isinstance(node, Operator) and node.op == "cummax" for node in load_cell(name).nodes)


CELLS = [n for n in lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("*.toml")) if not runs_a_maximum(n)]


@pytest.mark.parametrize("name", CELLS)
def test_autograd_grad_equals_the_derived_backward(name):
    autograd = need_module("autograd")
    need_module("autograd.numpy")
    from lstmsym.render.exports import TARGETS
    from lstmsym.verify.loader import load_source

    d = derived_cell(name)
    module = load_source(TARGETS["autograd"](d))
    case = reference_gradients(d)
    params, xs, state, inputs, dys, grads = case.params, case.xs, case.state, case.inputs, case.dys, case.grads
    out, _ = module.scan(params, xs, state, inputs or None)
    np.testing.assert_allclose(out, case.ys, rtol=1e-10, atol=1e-12)
    loss = lambda args: autograd.numpy.sum(module.scan(*args, inputs or None)[0] * dys)  # noqa: E731
    g_params, g_xs, g_state = autograd.grad(loss)((params, xs, state))
    for k in params:
        np.testing.assert_allclose(g_params[k], grads.params[k], atol=1e-11, rtol=1e-9, err_msg=k)
    np.testing.assert_allclose(g_xs, grads.xs, atol=1e-11, rtol=1e-9)
    for k in state:
        np.testing.assert_allclose(g_state[k], grads.state0[k], atol=1e-11, rtol=1e-9, err_msg=k)
