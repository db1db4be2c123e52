"""`export --to jax`: pure init/step/scan functions. For every cell, scan computes the NumPy module's forward (and
starts at zero without a state); jax.grad of scan under jit equals the NumPy module's derived backward in float64,
for a set of cells that together use every function, operator, reduction and construct (each cell's own
compilation was most of the suite's JAX time, and what JAX differentiates per cell is its forward, checked for
every cell: what could differ by cell, a function's derivative at a kink or a construct's gradient, is covered).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell, need_module, reference_gradients
from lstmsym.verify.loader import numpy_module
from lstmsym.verify.sampling import random_inputs, random_params, random_states

CELLS = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("*.toml"))


def constructs(name: str) -> set[str]:
    """What a cell's graph uses, read off its model: each function, operator and reduction, the ranks of its
    parameters and states, heads, side inputs, constant matrices and several states."""
    from lstmsym.model.functions import ElementwiseBase
    from lstmsym.model.ir import Elementwise, Operator, Reduction
    from lstmsym.model.loading import load_cell

    cell, found = load_cell(name), set()
    for node in cell.nodes:
        found.add(type(node).__name__)
        if isinstance(node, Operator):
            found.add(f"op:{node.op}:" + "-".join(str(len(cell.shapes.get(a, ()))) for a in node.args))
        if isinstance(node, Reduction):
            found.add(f"reduce:{'mean' if node.mean else 'sum'}:{len(node.over)}")
        if isinstance(node, (Elementwise, Reduction)):
            found |= {f"fn:{type(e).__name__}" for e in sympy.preorder_traversal(node.expr) if isinstance(e, ElementwiseBase)}
            found |= {"pow" for e in sympy.preorder_traversal(node.expr) if e.is_Pow and not e.exp.is_Integer}
    found |= {f"param:{len(p.shape)}" + (":heads" if p.blocks else "") for p in cell.parameters}
    found |= {f"state:{len(s.shape)}" for s in cell.states} | {f"input:{len(i.shape)}" for i in cell.inputs}
    found |= {flag for flag, present in (("side", cell.side_inputs), ("states:2+", len(cell.states) > 1)) if present}
    found |= {f"matrix:{decl.kind}" for decl in cell.spec.matrices.values()}
    return found


def covering(names: list[str], first: tuple[str, ...] = ("rnn", "lstm", "gru")) -> list[str]:
    """A few cells that together use everything the given cells use: the three seed cells, then greedily the cell
    with the most constructs not yet used."""
    left = {name: constructs(name) for name in names}
    wanted, chosen = set().union(*left.values()), list(first)
    for name in first:
        wanted -= left.pop(name)
    while wanted:
        best = max(left, key=lambda n: (len(left[n] & wanted), -names.index(n)))
        chosen.append(best)
        wanted -= left.pop(best)
    return sorted(chosen, key=names.index)


GRAD_CELLS = covering(CELLS)


@pytest.fixture(scope="module")
def jax64():
    jax = need_module("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def test_the_gradient_cells_use_everything_the_cells_use():
    assert set().union(*map(constructs, GRAD_CELLS)) == set().union(*map(constructs, CELLS))
    assert {"lstm", "gru", "rnn"} <= set(GRAD_CELLS) and len(GRAD_CELLS) < len(CELLS)


@pytest.mark.parametrize("name", GRAD_CELLS, ids=lambda n: n.split("/")[-1])
def test_jax_grad_equals_the_derived_backward(name, jax64):
    import jax
    import jax.numpy as jnp

    from lstmsym.render.jax_module import export_jax
    from lstmsym.verify.loader import load_source

    d = derived_cell(name)
    module = load_source(export_jax(d))
    case = reference_gradients(d)
    params, xs, state, inputs, ys, dys, grads = case.params, case.xs, case.state, case.inputs, case.ys, case.dys, case.grads

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
    """scan computes the NumPy module's forward; and scan(params, xs) with state None starts every state at zero,
    as the PyTorch layer does without hx (it needed the state; issue 21, item 1): equal to scan with explicit
    zeros, where the sizes can be read off."""
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
    # the JAX forward is the NumPy module's (what jax.grad differentiates, for every cell)
    state = random_states(cell, sizes, 2, rng)
    ys, state_T, _ = numpy_module(d).forward({k: np.asarray(v) for k, v in params.items()}, np.asarray(xs), state,
                                             {k: np.asarray(v) for k, v in inputs.items()})
    scan = jax64.jit(module.scan)  # one compilation for a given state and for zeros (the same shapes)
    jax_ys, jax_T = scan(params, xs, {k: jnp.asarray(v) for k, v in state.items()}, inputs or None)
    assert np.allclose(jax_ys, ys, rtol=1e-9, atol=1e-11)
    assert all(np.allclose(jax_T[k], state_T[k], rtol=1e-9, atol=1e-11) for k in state)
    fixed = module._known_sizes(params, xs)
    if not all(x in fixed for s in cell.states for x in s.shape):
        with pytest.raises(ValueError, match="pass the state"):
            scan(params, xs, None, inputs or None)
        return
    ys, state_T = scan(params, xs, None, inputs or None)
    want_ys, want_T = scan(params, xs, zeros, inputs or None)
    assert np.array_equal(ys, want_ys) and all(np.array_equal(state_T[k], want_T[k]) for k in zeros)
