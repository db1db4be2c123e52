"""Parallel-scan forms: detected symbolically, and the parallel path of every export equal to the sequential
one (forward and gradients, float64) for every cell found linear."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import lstmsym
from conftest import derived_cell, need_module
from lstmsym.derive.scan import LinearGroup, ScanForm
from lstmsym.render.exports import TARGETS
from lstmsym.verify.loader import load_source, numpy_module
from lstmsym.verify.sampling import concrete_sizes, random_params, random_states

PARALLEL = [n for n in lstmsym.builtin_names() if ScanForm(derived_cell(n)).parallel]
BLOCK_SPEC = str(Path(__file__).parent / "specs" / "construct_block_scan.toml")
#: every cell found parallel, and a spec whose 2 x 2 block comes from two gates (not a rotation like lru's)
SCANNED = PARALLEL + [BLOCK_SPEC]


def test_detection():
    assert PARALLEL == ["gateloop", "hgrn", "lru", "mamba2_ssm", "mamba_ssm", "mingru", "minlstm", "qrnn", "qrnn2", "retnet", "rglru", "rwkv4", "typed_gru", "typed_lstm", "typed_rnn"]
    mingru = ScanForm(derived_cell("mingru")).states[0]
    assert (mingru.state, str(mingru.a), str(mingru.b)) == ("h", "1 - z", "h_tilde*z")
    qrnn2 = ScanForm(derived_cell("qrnn2")).states
    assert [(s.state, s.order) for s in qrnn2] == [("x_last", 0), ("c", 1)]
    partial = ScanForm(derived_cell("gru_d"))
    assert not partial.parallel and partial.linear_names == ["x_last"]
    for name in ("lstm", "gru", "rnn", "sru", "indrnn"):
        assert not ScanForm(derived_cell(name)).parallel, name
    # single states never form a group: the cells served one state at a time keep exactly their forms
    assert not any(ScanForm(derived_cell(name)).groups for name in PARALLEL if name not in ("lru", "hgrn"))


def test_coupled_pairs_are_one_group():
    lru = ScanForm(derived_cell("lru"))
    assert lru.parallel and lru.states == () and lru.linear_names == ["x_re", "x_im"]
    (group,) = lru.groups
    assert (group.states, group.previous, group.order) == (("x_re", "x_im"), ("x_re_prev", "x_im_prev"), 0)
    assert [[str(a) for a in row] for row in group.a] == [["r*Cos(theta)", "-r*Sin(theta)"], ["r*Sin(theta)", "r*Cos(theta)"]]
    assert [str(b) for b in group.b] == ["gamma*matvec:B_re:u", "gamma*matvec:B_im:u"]
    (block,) = ScanForm(derived_cell(BLOCK_SPEC)).groups
    assert block == LinearGroup(("p", "q"), ("p_prev", "q_prev"), block.a, block.b, 0)
    assert [[str(a) for a in row] for row in block.a] == [["f", "-g/2"], ["g", "1 - f"]]


NOT_JOINTLY_LINEAR = """name = "product_pair"
outputs = ["y"]
[sizes]
m = "input size"
n = "hidden size"
[input]
x = "m"
[state.p]
size = "n"
[state.q]
size = "n"
[parameters]
W = "input weights"
[equations]
f = "sigmoid(W @ x)"
p = "f * q_prev + {p}"
q = "f * p_prev + W @ x"
y = "p + q"
"""


@pytest.mark.parametrize("term, parallel", [("0.5 * p_prev * q_prev", False), ("0.5 * p_prev", True), ("sin(p_prev)", False)])
def test_pairs_not_jointly_linear_are_refused(tmp_path, term, parallel):
    spec = tmp_path / "product_pair.toml"
    spec.write_text(NOT_JOINTLY_LINEAR.format(p=term))
    form = ScanForm(derived_cell(str(spec)))
    assert form.parallel == parallel and form.linear_names == (["p", "q"] if parallel else [])


def sample(name: str, steps: int = 41):
    d = derived_cell(name)
    rng = np.random.default_rng(5)
    sizes = concrete_sizes(d.cell, 3, 2, 5)
    params = random_params(d.cell, sizes, rng)
    state = random_states(d.cell, sizes, 3, rng)
    xs = rng.normal(size=(steps, 3, sizes[d.cell.input_size]))
    return d, params, state, xs


@pytest.mark.parametrize("name", SCANNED)
def test_numpy_parallel_equals_sequential(name):
    d, params, state, xs = sample(name)
    module = numpy_module(d)
    seq, par = module.forward(params, xs, state), module.forward(params, xs, state, parallel=True)
    assert np.abs(seq[0] - par[0]).max() < 1e-12
    assert all(np.abs(np.asarray(seq[2][k]) - np.asarray(par[2][k])).max() < 1e-12 for k in seq[2])
    dys = np.random.default_rng(1).normal(size=seq[0].shape)
    g_seq, g_par = module.backward(params, seq[2], dys), module.backward(params, par[2], dys)
    assert all(np.abs(g_seq.params[k] - g_par.params[k]).max() < 1e-12 for k in params)


@pytest.mark.parametrize("name", SCANNED)
def test_torch_parallel_equals_sequential(name):
    torch = need_module("torch")
    module = load_source(TARGETS["torch"](derived_cell(name)))
    layer = next(getattr(module, k) for k in dir(module) if isinstance(getattr(module, k), type)
                 and issubclass(getattr(module, k), torch.nn.Module)
                 and "num_layers" in inspect.signature(getattr(module, k).__init__).parameters)
    torch.manual_seed(0)
    # a cell whose input has the hidden size (rglru) takes m = n and refuses a bidirectional stack
    # and a size besides m and n (retnet's key size d) is given by name
    cell = derived_cell(name).cell
    own = cell.input_size == "n"
    m, both = (6, False) if own else (4, True)
    extra = {k: v for k, v in cell.size_rules.verify_sizes().items() if k not in ("m", "n")}
    seq = layer(m, 6, backward="derived", bidirectional=both, **extra).double()
    par = layer(m, 6, backward="derived", bidirectional=both, parallel=True, **extra).double()
    par.load_state_dict(seq.state_dict())
    x = torch.randn(29, 2, m, dtype=torch.float64, requires_grad=True)
    outs = [m(x)[0] for m in (seq, par)]
    assert (outs[0] - outs[1]).abs().max().item() < 1e-12
    grads = [torch.autograd.grad((o ** 2).sum(), [x] + list(m.parameters())) for o, m in zip(outs, (seq, par))]
    assert max((a - b).abs().max().item() for a, b in zip(*grads)) < 1e-12


@pytest.mark.parametrize("name", SCANNED)
def test_jax_parallel_equals_sequential(name):
    jax = need_module("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    d, params, state, xs = sample(name)
    module = load_source(TARGETS["jax"](d))
    params = {k: jnp.asarray(v) for k, v in params.items()}
    state = {k: jnp.asarray(v) for k, v in state.items()}

    def loss(p, parallel):
        ys = module.scan(p, jnp.asarray(xs), state, None, parallel)[0]
        return jnp.sum(ys ** 2), ys

    # one compilation per path gives its outputs and its gradient (compiled: hgrn's parallel gradient took 11 s op
    # by op, 2 s jitted; the outputs and the gradient compiled apart were four compilations a cell, now two)
    grad = jax.jit(jax.value_and_grad(loss, has_aux=True), static_argnums=1)
    (_, seq), g_seq = grad(params, False)
    (_, par), g_par = grad(params, True)
    assert float(jnp.abs(seq - par).max()) < 1e-12
    scale = max(1.0, max(float(jnp.abs(g).max()) for g in g_seq.values()))
    assert max(float(jnp.abs(g_seq[k] - g_par[k]).max()) for k in g_seq) / scale < 1e-12


def test_parallel_refused_where_there_is_no_scan_form():
    d, params, state, xs = sample("lstm")
    with pytest.raises(ValueError, match="lstm has no parallel-scan form"):
        numpy_module(d).forward(params, xs, state, parallel=True)


def test_list_shows_the_scan_column(cli):
    code, out, _ = cli("list")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("qrnn2 "))
    assert "x_last, c" in line
    assert "scan" in out.splitlines()[0]


def test_list_shows_a_coupled_group(cli):
    code, out, _ = cli("list")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("lru "))
    assert "(x_re, x_im) (all)" in line
    code, out, _ = cli("list", "--json")
    lru = next(c for c in json.loads(out)["cells"] if c["name"] == "lru")
    assert (lru["scan"], lru["scan_groups"], lru["parallel"]) == (["x_re", "x_im"], [["x_re", "x_im"]], True)
