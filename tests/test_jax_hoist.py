"""The JAX export's scan leaves out of the loop what does not change over time (issue 21, item 4): the stacked
and transposed matrices are made once and the input projection is one matrix product over (T, B, m) before
lax.scan, so the scanned body holds only the recurrent product. Counted in the jaxpr; values and gradients are
checked against the NumPy reference for every cell in test_export_jax.py."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import derived_cell, need_module

#: cell -> dot_general count of the scanned body: one stacked recurrent product per step.
CELLS = {"lstm": 1, "gru_reset_after": 1, "phased_lstm": 1, "rnn": 1}


@pytest.fixture(scope="module")
def jax64():
    jax = need_module("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def generated(name: str):
    from lstmsym.render.jax_module import export_jax
    from lstmsym.verify.loader import load_source

    return load_source(export_jax(derived_cell(name)))


def counts(jaxpr, inside: bool = False) -> dict[str, int]:
    """Primitive name -> count, either outside every scan or inside the scans' bodies (nested jaxprs of pjit
    and custom_jvp calls are walked into)."""
    found: dict[str, int] = {}
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "scan":
            if inside:
                for key, value in counts(eqn.params["jaxpr"].jaxpr).items():
                    found[key] = found.get(key, 0) + value
            continue
        if not inside:
            found[eqn.primitive.name] = found.get(eqn.primitive.name, 0) + 1
        for param in eqn.params.values():
            sub = getattr(param, "jaxpr", None)
            if sub is not None and hasattr(sub, "eqns"):
                for key, value in counts(sub, inside).items():
                    found[key] = found.get(key, 0) + value
    return found


def arguments(name: str):
    import jax.numpy as jnp

    from lstmsym.verify.sampling import random_inputs, random_params, random_states

    cell = derived_cell(name).cell
    sizes = cell.size_rules.sample(__import__("random").Random(2), 3, 5)
    rng = np.random.default_rng(1)
    inputs = {k: jnp.asarray(v) for k, v in random_inputs(cell, sizes, 7, 2, rng).items()}
    xs = inputs.pop(cell.input)
    params = {k: jnp.asarray(v) for k, v in random_params(cell, sizes, rng).items()}
    state = {k: jnp.asarray(v) for k, v in random_states(cell, sizes, 2, rng).items()}
    return params, xs, state, inputs or None


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_scanned_body_holds_only_the_recurrent_product(name, jax64):
    import jax

    module = generated(name)
    params, xs, state, inputs = arguments(name)
    hoisted = jax.make_jaxpr(lambda p, x, s: module.scan(p, x, s, inputs))(params, xs, state).jaxpr
    body, outside = counts(hoisted, inside=True), counts(hoisted)
    assert body.get("dot_general", 0) == CELLS[name], body
    assert body.get("concatenate", 0) == 0 and body.get("transpose", 0) == 0, body
    assert outside.get("dot_general", 0) == 1  # the input projection of every step, at once

    def per_step(p, x, s):  # the scan as it was: step() inside lax.scan, nothing hoisted (the count's control)
        return jax.lax.scan(lambda c, seq: module.step(p, seq[0], c, seq[1]), s, (x, inputs))

    before = counts(jax.make_jaxpr(per_step)(params, xs, state).jaxpr, inside=True)
    assert before.get("dot_general", 0) == CELLS[name] + 1 and before.get("transpose", 0) >= 1, before
    ys, state_T = module.scan(params, xs, state, inputs)
    ref_T, ref_ys = per_step(params, xs, state)
    assert np.allclose(ys, ref_ys.reshape(ys.shape), atol=1e-12, rtol=0)
    assert all(np.allclose(state_T[k], ref_T[k], atol=1e-12, rtol=0) for k in state)
