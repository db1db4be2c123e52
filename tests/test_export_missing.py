"""Missing values marked NaN, as data sets mark them: GRU-D reads x only through where(mask, x, ...), so a NaN at
a masked-out entry reaches no output and no gradient. Each exported module (NumPy, PyTorch with both backward
modes, JAX) is run from the user's side twice, once with NaN at the missing entries and once with 0 there; the
runs must agree exactly (the zero-filled run is the answer key) and be finite. The paper's own arithmetic form,
mask * x + (1 - mask) * (...), fails the same check, which shows the check can fail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import derived_cell, need_module
from lstmsym.verify.loader import load_source, numpy_module

GRU_D = Path(__file__).resolve().parent.parent / "lstmsym" / "cells" / "gru_d.toml"
ARITHMETIC = {  # the equations before where(): the paper's m x + (1 - m) (...) form
    'x_hat = "where(mask, x, gamma_x * x_last_prev + (1 - gamma_x) * x_mean)"':
        'x_hat = "mask * x + (1 - mask) * (gamma_x * x_last_prev + (1 - gamma_x) * x_mean)"',
    'x_last = "where(mask, x, x_last_prev)"': 'x_last = "mask * x + (1 - mask) * x_last_prev"',
}
M, N, T, B = 3, 4, 5, 2


def data(seed: int = 0):
    """Values, a 0/1 mask with entries missing at every step, gaps, and the values with NaN and with 0 there."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, B, M))
    mask = (rng.uniform(size=(T, B, M)) < 0.6).astype(float)
    mask[:, 0, 0] = 0.0
    mask[0, 1, :] = 1.0
    delta = np.abs(rng.normal(size=(T, B, M))) + 0.1
    return np.where(mask == 0, np.nan, x), np.where(mask == 0, 0.0, x), mask, delta


def arithmetic_spec(tmp_path: Path) -> str:
    text = GRU_D.read_text()
    for new, old in ARITHMETIC.items():
        assert new in text
        text = text.replace(new, old)
    path = tmp_path / "gru_d_arithmetic.toml"
    path.write_text(text)
    return str(path)


def numpy_run(spec: str, xs: np.ndarray, mask: np.ndarray, delta: np.ndarray):
    """Outputs and every gradient of the exported NumPy module, for fixed parameters, state and loss weights."""
    from lstmsym.verify.sampling import random_params, random_states

    d = derived_cell(spec)
    module = numpy_module(d)
    rng = np.random.default_rng(1)
    sizes = {"m": M, "n": N}
    params, state = random_params(d.cell, sizes, rng), random_states(d.cell, sizes, B, rng)
    ys, _, cache = module.forward(params, xs, state, {"mask": mask, "delta": delta})
    grads = module.backward(params, cache, rng.normal(size=ys.shape))
    return {"ys": ys, "d_x": grads.xs, **{f"d_{k}": v for k, v in grads.params.items()},
            **{f"d_{k}_0": v for k, v in grads.state0.items()}, **{f"d_{k}": v for k, v in grads.inputs.items()}}


def assert_same_and_finite(with_nan: dict, zero_filled: dict) -> None:
    assert with_nan.keys() == zero_filled.keys()
    for name in zero_filled:
        assert np.all(np.isfinite(with_nan[name])), f"{name} is not finite"
        assert np.array_equal(with_nan[name], zero_filled[name]), name


def test_gru_d_numpy_module_ignores_nan_at_missing_entries():
    with_nan, zero_filled, mask, delta = data()
    nan_run, zero_run = (numpy_run("gru_d", xs, mask, delta) for xs in (with_nan, zero_filled))
    assert len(zero_run) == 2 + 17 + 2 + 2  # outputs, input, 17 parameters, 2 initial states, 2 side inputs
    assert_same_and_finite(nan_run, zero_run)


def test_gru_d_written_with_mask_arithmetic_spreads_nan(tmp_path):
    """The check above fails on the old equations: m * x with x = NaN is NaN whatever m."""
    with_nan, zero_filled, mask, delta = data()
    spec = arithmetic_spec(tmp_path)
    nan_run = numpy_run(spec, with_nan, mask, delta)
    assert not np.any(np.isfinite(nan_run["ys"][-1]))
    assert not np.all(np.isfinite(nan_run["d_W_z"]))
    with pytest.raises(AssertionError, match="not finite"):
        assert_same_and_finite(nan_run, numpy_run(spec, zero_filled, mask, delta))


def torch_run(layer, xs: np.ndarray, mask: np.ndarray, delta: np.ndarray) -> dict:
    import torch

    layer.zero_grad()
    x = torch.tensor(xs, requires_grad=True)
    side = {"mask": torch.tensor(mask), "delta": torch.tensor(delta)}
    out, _ = layer(x, None, side)
    weights = torch.from_numpy(np.random.default_rng(2).normal(size=tuple(out.shape)))
    (out * weights).sum().backward()
    grads = {f"d_{name}": p.grad.numpy().copy() for name, p in layer.named_parameters()}
    return {"ys": out.detach().numpy(), "d_x": x.grad.numpy(), **grads}


@pytest.mark.torch
@pytest.mark.parametrize("mode", ["autograd", "derived"])
def test_gru_d_torch_layer_ignores_nan_at_missing_entries(mode):
    torch = need_module("torch")
    from lstmsym.render.torch_module import export_torch

    module = load_source(export_torch(derived_cell("gru_d")))
    cls = next(v for k, v in vars(module).items() if k + "Cell" in vars(module) and isinstance(v, type))
    torch.manual_seed(0)
    layer = cls(M, N, backward=mode).double()
    with_nan, zero_filled, mask, delta = data()
    nan_run, zero_run = torch_run(layer, with_nan, mask, delta), torch_run(layer, zero_filled, mask, delta)
    assert len(zero_run) == 2 + 17
    assert_same_and_finite(nan_run, zero_run)


def test_gru_d_jax_export_ignores_nan_at_missing_entries():
    jax = need_module("jax")
    import jax.numpy as jnp

    from lstmsym.render.jax_module import export_jax
    from lstmsym.verify.sampling import random_params, random_states

    jax.config.update("jax_enable_x64", True)
    d = derived_cell("gru_d")
    module = load_source(export_jax(d))
    rng = np.random.default_rng(1)
    params, state = random_params(d.cell, {"m": M, "n": N}, rng), random_states(d.cell, {"m": M, "n": N}, B, rng)
    weights = rng.normal(size=(T, B, N))

    def loss(p, x, side):
        out, _ = module.scan(p, x, state, side)
        return jnp.sum(out * weights), out

    with_nan, zero_filled, mask, delta = data()
    runs = []
    for xs in (with_nan, zero_filled):
        (_, out), (g_params, g_x) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(
            params, jnp.asarray(xs), {"mask": jnp.asarray(mask), "delta": jnp.asarray(delta)})
        runs.append({"ys": np.asarray(out), "d_x": np.asarray(g_x), **{f"d_{k}": np.asarray(v) for k, v in g_params.items()}})
    assert len(runs[1]) == 2 + 17
    assert_same_and_finite(*runs)
