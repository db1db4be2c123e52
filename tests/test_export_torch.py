"""`export --to torch`: the generated PyTorch file, for every cell, against autograd through the spec
interpreter (both backward modes, float64); against the real torch.nn modules (state dicts load as they are);
under torch.compile; and the derived backward's memory against the formula."""

from __future__ import annotations

import random

import pytest

import lstmsym
from conftest import SPECS, derived_cell

pytestmark = pytest.mark.torch
CELLS = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("*.toml"))


def generated(name: str):
    from lstmsym.render.torch_module import export_torch
    from lstmsym.verify.loader import load_source

    return load_source(export_torch(derived_cell(name)))


def layer_class(module):
    return next(v for k, v in vars(module).items() if k + "Cell" in vars(module) and isinstance(v, type))


def spec_reference(cell, params, sizes, xs, side, state, batch):
    """The forward equations run by the spec interpreter (an independent implementation)."""
    import torch

    from lstmsym.verify.torch_spec import SpecInterpreter

    interpreter = SpecInterpreter(cell, params, sizes)
    prev, outs = dict(state), []
    for t in range(xs.shape[0]):
        env = interpreter.step({cell.input: xs[t], **{k: v[t] for k, v in side.items()}}, prev)
        prev = {s.name: env[s.name].tensor.expand((batch,) + tuple(sizes[x] for x in s.shape)) for s in cell.states}
        outs.append(torch.cat([env[o].tensor.expand((batch,) + tuple(sizes[x] for x in cell.shapes[o])).reshape(batch, -1)
                               for o in cell.outputs], -1))
    return torch.stack(outs)


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
@pytest.mark.parametrize("mode", ["autograd", "derived"])
def test_generated_module_against_autograd_through_the_spec(name, mode):
    import torch

    d = derived_cell(name)
    cell, module = d.cell, generated(name)
    sizes = cell.size_rules.sample(random.Random(1), 2, 4)
    extra = {k: v for k, v in sizes.items() if k not in (module.HIDDEN_SIZE, module.INPUT_SIZE)}
    layer = layer_class(module)(sizes[module.INPUT_SIZE], sizes[module.HIDDEN_SIZE], backward=mode, **extra).double()
    T, B = 3, 2
    torch.manual_seed(3)
    xs = torch.randn((T, B) + tuple(sizes[s] for s in cell.inputs[0].shape), dtype=torch.float64, requires_grad=True)
    side = {i.name: torch.randn((T, B) + tuple(sizes[s] for s in i.shape), dtype=torch.float64, requires_grad=True)
            for i in cell.side_inputs}
    state = {s.name: (0.5 * torch.randn((1, B) + tuple(sizes[x] for x in s.shape), dtype=torch.float64)).requires_grad_()
             for s in cell.states}
    out, _ = layer(xs, tuple(state.values()) if len(state) > 1 else next(iter(state.values())), side or None)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    params = {k: v.detach().clone().requires_grad_() for k, v in layer.layers[0].values(layer).items()}
    xs_ref = xs.detach().clone().requires_grad_()
    state_ref = {k: v[0].detach().clone().requires_grad_() for k, v in state.items()}
    ref = spec_reference(cell, params, sizes, xs_ref, {k: v.detach() for k, v in side.items()}, state_ref, B)
    (ref * weights).sum().backward()
    assert (out - ref).abs().max().item() < 1e-11
    assert (xs.grad - xs_ref.grad).abs().max().item() < 1e-11
    for k in state:
        assert (state[k].grad[0] - state_ref[k].grad).abs().max().item() < 1e-11


@pytest.mark.parametrize("name, cls, options", [
    ("lstm", "LSTM", {}), ("gru_reset_after", "GRU", {}), ("rnn", "RNN", {}), ("rnn_relu", "RNN", {"nonlinearity": "relu"}),
    ("lstmp", "LSTM", {"proj_size": 3}),
])
@pytest.mark.parametrize("layers, bidirectional, batch_first", [(1, False, False), (2, True, True)])
@pytest.mark.parametrize("mode", ["autograd", "derived"])
def test_loads_torch_nn_state_dicts_and_matches(name, cls, options, layers, bidirectional, batch_first, mode):
    import torch

    module = generated(name)
    torch.manual_seed(0)
    ref = getattr(torch.nn, cls)(4, 5, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, **options).double()
    extra = {"proj_size": options["proj_size"]} if "proj_size" in options else {}
    ours = layer_class(module)(4, 5, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, backward=mode,
                               **extra).double()
    ours.load_state_dict(ref.state_dict())
    x = torch.randn((2, 6, 4) if batch_first else (6, 2, 4), dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    a, ha = ref(x1)
    b, hb = ours(x2)
    assert (a - b).abs().max().item() < 1e-12
    ha, hb = (ha,) if not isinstance(ha, tuple) else ha, (hb,) if not isinstance(hb, tuple) else hb
    assert all((p - q).abs().max().item() < 1e-12 for p, q in zip(ha, hb))
    (a.sum() + ha[0].sum()).backward()
    (b.sum() + hb[0].sum()).backward()
    assert (x1.grad - x2.grad).abs().max().item() < 1e-12
    for (n1, p1), (n2, p2) in zip(ref.named_parameters(), ours.named_parameters()):
        assert n1 == n2 and (p1.grad - p2.grad).abs().max().item() < 1e-12, n1


def test_works_under_torch_compile():
    import torch

    module = generated("gru_reset_after")
    torch.manual_seed(0)
    layer = layer_class(module)(3, 4).double()
    compiled = torch.compile(layer, backend="aot_eager")
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    eager, _ = layer(x)
    out, _ = compiled(x)
    assert (eager - out).abs().max().item() < 1e-12


def test_derived_backward_keeps_what_the_memory_formula_counts():
    import torch

    d = derived_cell("lstm")
    module = generated("lstm")
    layer = layer_class(module)(16, 32, backward="derived")
    x = torch.randn(10, 4, 16)
    params = layer.layers[0].values(layer)
    _, _, cache = module.forward({k: v.detach() for k, v in params.items()}, x)
    kept = sum(t.numel() * t.element_size() for t in cache.values())
    assert kept == d.cost.memory_bytes(10, 4, {"m": 16, "n": 32}, "float32")


def test_cli_exports_torch(tmp_path, cli):
    assert cli("export", "lstm", "--to", "torch", "-o", tmp_path / "lstm_torch.py")[0] == 0
    text = (tmp_path / "lstm_torch.py").read_text()
    assert "import torch" in text and "import numpy" not in text and "class Lstm(nn.Module)" in text


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
@pytest.mark.parametrize("mode", ["autograd", "derived"])
def test_generated_module_runs_where_its_input_lives(name, mode):
    """CI has no GPU. The meta device fails exactly where CUDA fails: a tensor made without the input's device
    ('Expected all tensors to be on the same device'). Every cell, both backward modes, a two-layer stack with side
    inputs, forward and backward on meta (issue 21, item 1); and the same layer in bfloat16 on the CPU."""
    import torch

    d = derived_cell(name)
    cell, module = d.cell, generated(name)
    sizes = cell.size_rules.sample(random.Random(1), 2, 4)
    extra = {k: v for k, v in sizes.items() if k not in (module.HIDDEN_SIZE, module.INPUT_SIZE)}
    T, B = 3, 2
    for device, dtype in (("meta", torch.float32), ("cpu", torch.bfloat16)):
        layer = layer_class(module)(sizes[module.INPUT_SIZE], sizes[module.HIDDEN_SIZE], backward=mode, **extra)
        layer = layer.to(device=device, dtype=dtype)
        make = lambda shape: torch.rand(shape, device=device, dtype=dtype) + 0.5  # noqa: E731 (positive: time gaps)
        xs = make((T, B) + tuple(sizes[s] for s in cell.inputs[0].shape)).requires_grad_()
        side = {i.name: make((T, B) + tuple(sizes[s] for s in i.shape)) for i in cell.side_inputs}
        ys, state = layer(xs, inputs=side or None)
        ys.float().sum().backward()
        assert ys.device.type == device and ys.dtype == dtype
        assert all(p.grad is not None and p.grad.device.type == device for p in layer.parameters())
        finals = state.values() if isinstance(state, dict) else state if isinstance(state, tuple) else (state,)
        assert all(v.device.type == device for v in finals)


def test_side_inputs_reach_every_layer():
    """Cfc(4, 6, num_layers=2)(x, inputs={"t": ts}) said the side input t was missing: layer 1 never got it. Each
    layer of a stack equals the one-layer module run on the layer below's output, with the same side input."""
    import torch

    module = generated(str(SPECS / "construct_time_input.toml"))
    cls = layer_class(module)
    torch.manual_seed(0)
    stack = cls(4, 6, num_layers=2).double()
    xs, ts = torch.randn(5, 3, 4, dtype=torch.float64), torch.rand(5, 3, dtype=torch.float64) + 0.1
    ys, _ = stack(xs, inputs={"t": ts})
    first, second = cls(4, 6).double(), cls(6, 6).double()
    with torch.no_grad():
        for target, suffix in ((first, "_l0"), (second, "_l1")):
            for name, p in target.named_parameters():
                p.copy_(dict(stack.named_parameters())[name.replace("_l0", suffix)])
    mid, _ = first(xs, inputs={"t": ts})
    want, _ = second(mid, inputs={"t": ts})
    assert torch.allclose(ys, want, atol=1e-12)


def test_a_side_input_of_the_input_size_cannot_be_stacked():
    module = generated(str(SPECS / "construct_side_inputs.toml"))
    with pytest.raises(ValueError, match="side input\\(s\\) mask have the input size 'm'"):
        layer_class(module)(4, 6, num_layers=2)


def test_an_input_of_the_hidden_size():
    """Rglru(4, 6) ignored the 4, then failed with a raw matmul error; num_layers=2, bidirectional=True failed on a
    stack (issue 22, item 3). The layer now says what it needs, and stacks where it can."""
    import torch

    cls = layer_class(generated(str(SPECS / "construct_hidden_input.toml")))
    with pytest.raises(ValueError, match=r"input has the hidden size \(n\): input_size \(4\) must equal hidden_size \(6\)"):
        cls(4, 6)
    with pytest.raises(ValueError, match="bidirectional layer below"):
        cls(6, 6, num_layers=2, bidirectional=True)
    ys, h = cls(6, 6, num_layers=3)(torch.randn(5, 2, 6))
    assert ys.shape == (5, 2, 6) and h.shape == (3, 2, 6)
    cell = getattr(generated(str(SPECS / "construct_hidden_input.toml")), "ConstructHiddenInputCell")
    with pytest.raises(ValueError, match=r"input has the hidden size \(n\): input_size \(4\) must equal hidden_size \(6\)"):
        cell(4, 6)  # the one-step cell took the 4 and failed in a matmul at the first step


@pytest.mark.parametrize("name, call, message", [
    ("cfc", "Cfc(4, 6, num_layers=2)", r"Cfc needs its size\(s\) p \(backbone width.*\): Cfc\(input_size, hidden_size, p=\.\.\.\)"),
    ("lstmp", "Lstmp(4, 6)", r"Lstmp needs its size\(s\) p \(projection size\): Lstmp\(input_size, hidden_size, p=\.\.\.\)"),
    ("on_lstm", "OnLstmCell(4, 6)", r"OnLstm needs its size\(s\) k \("),
])
def test_a_size_the_layer_needs_is_asked_for_by_name(name, call, message):
    """Cfc(4, 6, num_layers=2) raised KeyError: 'p' from inside the module (issue 22, item 2, as a user met it)."""
    module = generated(name)
    class_name, _, _ = call.partition("(")
    with pytest.raises(TypeError, match=message):
        getattr(module, class_name)(4, 6, num_layers=2) if "num_layers" in call else getattr(module, class_name)(4, 6)


def test_a_side_input_of_the_wrong_rank_is_refused():
    """A scalar side input given as (T, B, 1) broadcast silently into an output three times too wide."""
    import torch

    layer = layer_class(generated(str(SPECS / "construct_time_input.toml")))(4, 6)
    with pytest.raises(ValueError, match=r"side input 't' has shape \(5, 3, 1\); expected \(T, B\) \+ \(\), 2 axes"):
        layer(torch.randn(5, 3, 4), inputs={"t": torch.rand(5, 3, 1)})
