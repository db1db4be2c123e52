"""Parallel-scan forms: detected symbolically, and the parallel path of every export equal to the sequential
one (forward and gradients, float64) for every cell found linear."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import lstmsym
from conftest import derived_cell
from lstmsym.derive.scan import ScanForm
from lstmsym.render.exports import TARGETS
from lstmsym.verify.loader import load_source, numpy_module
from lstmsym.verify.sampling import concrete_sizes, random_params, random_states

PARALLEL = [n for n in lstmsym.builtin_names() if ScanForm(derived_cell(n)).parallel]


def test_detection():
    assert PARALLEL == ["mamba2_ssm", "mingru", "minlstm", "qrnn", "qrnn2", "retnet", "rglru", "rwkv4", "typed_gru", "typed_lstm", "typed_rnn"]
    mingru = ScanForm(derived_cell("mingru")).states[0]
    assert (mingru.state, str(mingru.a), str(mingru.b)) == ("h", "1 - z", "h_tilde*z")
    qrnn2 = ScanForm(derived_cell("qrnn2")).states
    assert [(s.state, s.order) for s in qrnn2] == [("x_last", 0), ("c", 1)]
    partial = ScanForm(derived_cell("gru_d"))
    assert not partial.parallel and partial.linear_names == ["x_last"]
    for name in ("lstm", "gru", "rnn", "sru", "indrnn", "lru"):
        assert not ScanForm(derived_cell(name)).parallel, name


def sample(name: str, steps: int = 41):
    d = derived_cell(name)
    rng = np.random.default_rng(5)
    sizes = concrete_sizes(d.cell, 3, 2, 5)
    params = random_params(d.cell, sizes, rng)
    state = random_states(d.cell, sizes, 3, rng)
    xs = rng.normal(size=(steps, 3, sizes[d.cell.input_size]))
    return d, params, state, xs


@pytest.mark.parametrize("name", PARALLEL)
def test_numpy_parallel_equals_sequential(name):
    d, params, state, xs = sample(name)
    module = numpy_module(d)
    seq, par = module.forward(params, xs, state), module.forward(params, xs, state, parallel=True)
    assert np.abs(seq[0] - par[0]).max() < 1e-12
    assert all(np.abs(np.asarray(seq[2][k]) - np.asarray(par[2][k])).max() < 1e-12 for k in seq[2])
    dys = np.random.default_rng(1).normal(size=seq[0].shape)
    g_seq, g_par = module.backward(params, seq[2], dys), module.backward(params, par[2], dys)
    assert all(np.abs(g_seq.params[k] - g_par.params[k]).max() < 1e-12 for k in params)


@pytest.mark.parametrize("name", PARALLEL)
def test_torch_parallel_equals_sequential(name):
    torch = pytest.importorskip("torch")
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


@pytest.mark.parametrize("name", PARALLEL)
def test_jax_parallel_equals_sequential(name):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    d, params, state, xs = sample(name)
    module = load_source(TARGETS["jax"](d))
    params = {k: jnp.asarray(v) for k, v in params.items()}
    state = {k: jnp.asarray(v) for k, v in state.items()}

    def loss(p, parallel):
        return jnp.sum(module.scan(p, jnp.asarray(xs), state, None, parallel)[0] ** 2)

    seq = module.scan(params, jnp.asarray(xs), state)[0]
    par = jax.jit(lambda p: module.scan(p, jnp.asarray(xs), state, None, True)[0])(params)
    assert float(jnp.abs(seq - par).max()) < 1e-12
    g_seq, g_par = jax.grad(loss)(params, False), jax.grad(loss)(params, True)
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
