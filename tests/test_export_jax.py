"""`export --to jax`: pure init/step/scan functions; jax.grad of scan under jit must equal the NumPy module's
derived backward in float64, for every cell."""

from __future__ import annotations

import random

import numpy as np
import pytest

import lstmsym
from conftest import SPECS, derived_cell, need_module
from lstmsym.verify.loader import numpy_module
from lstmsym.verify.sampling import random_inputs, random_params, random_states

CELLS = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("*.toml"))


@pytest.fixture(scope="module")
def jax64():
    jax = need_module("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
def test_jax_grad_equals_the_derived_backward(name, jax64):
    import jax
    import jax.numpy as jnp

    from lstmsym.render.jax_module import export_jax
    from lstmsym.verify.loader import load_source

    d = derived_cell(name)
    cell = d.cell
    module = load_source(export_jax(d))
    sizes = cell.size_rules.sample(random.Random(2), 2, 4)
    rng = np.random.default_rng(5)
    params = random_params(cell, sizes, rng)
    inputs = random_inputs(cell, sizes, 3, 2, rng)
    state = random_states(cell, sizes, 2, rng)
    xs = inputs.pop(cell.input)
    ours = numpy_module(d)
    ys, state_T, cache = ours.forward(params, xs, state, inputs)
    dys = rng.normal(size=ys.shape)
    grads = ours.backward(params, cache, dys)

    def loss(p, x, s, side):
        out, _ = module.scan(p, x, s, side or None)
        return jnp.sum(out * dys)

    value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2, 3)))
    as_jax = lambda tree: jax.tree_util.tree_map(jnp.asarray, tree)  # noqa: E731
    value, (g_params, g_xs, g_state, g_side) = value_and_grad(as_jax(params), jnp.asarray(xs), as_jax(state), as_jax(inputs))
    assert abs(float(value) - float(np.sum(ys * dys))) < 1e-9 * max(1.0, abs(float(value)))
    for k in params:
        assert np.allclose(g_params[k], grads.params[k], atol=1e-11, rtol=1e-9), k
    assert np.allclose(g_xs, grads.xs, atol=1e-11, rtol=1e-9)
    for k in state:
        assert np.allclose(g_state[k], grads.state0[k], atol=1e-11, rtol=1e-9), k
    for k in inputs:
        assert np.allclose(g_side[k], grads.inputs[k], atol=1e-11, rtol=1e-9), k


def test_init_and_step(jax64, cli, tmp_path):
    import jax

    assert cli("export", "gru", "--to", "jax", "-o", tmp_path / "gru_jax.py")[0] == 0
    from lstmsym.verify.loader import load_file

    module = load_file(tmp_path / "gru_jax.py")
    params = module.init(jax.random.PRNGKey(0), {"m": 3, "n": 4})
    assert {k: v.shape for k, v in params.items()}["U_r"] == (4, 4)
    state, out = jax.jit(module.step)(params, jax.numpy.ones((2, 3)), {"h": jax.numpy.zeros((2, 4))})
    assert out.shape == (2, 4) and state["h"].shape == (2, 4)
    assert "import numpy" not in (tmp_path / "gru_jax.py").read_text()


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
def test_scan_without_a_state_starts_at_zero(name, jax64):
    """scan(params, xs) with state None starts every state at zero, as the PyTorch layer does without hx (it
    needed the state; issue 21, item 1): equal to scan with explicit zeros, where the sizes can be read off."""
    import jax.numpy as jnp

    from lstmsym.render.jax_module import export_jax
    from lstmsym.verify.loader import load_source

    d = derived_cell(name)
    cell, module = d.cell, load_source(export_jax(d))
    sizes = cell.size_rules.sample(random.Random(2), 2, 4)
    rng = np.random.default_rng(5)
    params = {k: jnp.asarray(v) for k, v in random_params(cell, sizes, rng).items()}
    inputs = {k: jnp.asarray(v) for k, v in random_inputs(cell, sizes, 3, 2, rng).items()}
    xs = inputs.pop(cell.input)
    zeros = {s.name: jnp.zeros((2,) + tuple(sizes[x] for x in s.shape)) for s in cell.states}
    fixed = module._known_sizes(params, xs)
    if not all(x in fixed for s in cell.states for x in s.shape):
        with pytest.raises(ValueError, match="pass the state"):
            module.scan(params, xs, None, inputs or None)
        return
    ys, state_T = module.scan(params, xs, None, inputs or None)
    want_ys, want_T = module.scan(params, xs, zeros, inputs or None)
    assert np.array_equal(ys, want_ys) and all(np.array_equal(state_T[k], want_T[k]) for k in zeros)
