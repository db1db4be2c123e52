"""The exported PyTorch layer on torch's fused kernel (kernel="torch", the default "auto" where the cell is
torch.nn's cell) against the generated loop (kernel="derived"): outputs, final states and every gradient agree in
float64 over stacks, directions and batch_first; a cell without a [pytorch] mapping is refused in one line
(issue 21, item 3)."""

from __future__ import annotations

import pytest

import lstmsym
from conftest import derived_cell

pytestmark = pytest.mark.torch
#: Every built-in cell whose [pytorch] mapping names torch.nn.LSTM, GRU or RNN.
MAPPED = {"lstm": {}, "gru_reset_after": {}, "rnn": {}, "rnn_relu": {}, "lstmp": {"proj_size": 3}}
CONFIGS = [(1, False, False), (2, False, False), (1, True, False), (2, True, True)]


def generated(name: str):
    from lstmsym.render.torch_module import export_torch
    from lstmsym.verify.loader import load_source

    return load_source(export_torch(derived_cell(name)))


def layer_class(module):
    return next(v for k, v in vars(module).items() if k + "Cell" in vars(module) and isinstance(v, type))


def test_the_mapped_cells_are_the_built_in_cells_with_a_pytorch_mapping():
    from lstmsym.derive.frameworks import mapping

    found = {n for n in lstmsym.builtin_names() if mapping(derived_cell(n).cell, "pytorch") is not None}
    assert found == set(MAPPED)


def run(layer, x, hx):
    """Output, final states and the gradients of a loss on both, for every parameter, the input and hx."""
    import torch

    x = x.clone().requires_grad_()
    hx = tuple(h.clone().requires_grad_() for h in hx)
    out, finals = layer(x, hx if len(hx) > 1 else hx[0])
    finals = finals if isinstance(finals, tuple) else (finals,)
    torch.manual_seed(7)
    loss = (out * torch.randn_like(out)).sum() + sum((f * torch.randn_like(f)).sum() for f in finals)
    layer.zero_grad(set_to_none=True)
    loss.backward()
    grads = {name: p.grad for name, p in layer.named_parameters()}
    return out, finals, grads, x.grad, tuple(h.grad for h in hx)


@pytest.mark.parametrize("name", sorted(MAPPED))
@pytest.mark.parametrize("layers, bidirectional, batch_first", CONFIGS)
@pytest.mark.parametrize("loop", ["autograd", "derived"])
def test_fused_kernel_equals_the_generated_loop(name, layers, bidirectional, batch_first, loop):
    import torch

    module = generated(name)
    cls = layer_class(module)
    options = dict(num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, **MAPPED[name])
    torch.manual_seed(0)
    fused = cls(4, 5, kernel="torch", **options).double()
    reference = cls(4, 5, kernel="derived", backward=loop, **options).double()
    reference.load_state_dict(fused.state_dict())
    assert fused.fused == module.FUSED and reference.fused == ""
    T, B = 6, 3
    x = torch.randn((B, T, 4) if batch_first else (T, B, 4), dtype=torch.float64)
    sizes = fused.layers[0].sizes
    hx = tuple(0.5 * torch.randn((layers * (2 if bidirectional else 1), B) + tuple(sizes[s] for s in shape),
                                 dtype=torch.float64) for shape in module.STATE.values())
    a, b = run(fused, x, hx), run(reference, x, hx)
    close = lambda p, q: (p - q).abs().max().item() < 1e-10  # noqa: E731
    assert close(a[0], b[0])
    assert all(close(p, q) for p, q in zip(a[1], b[1])) and len(a[1]) == len(module.STATE)
    assert a[2].keys() == b[2].keys() and all(close(a[2][k], b[2][k]) for k in a[2]), name
    assert close(a[3], b[3]) and all(close(p, q) for p, q in zip(a[4], b[4]))


def test_auto_takes_the_fused_kernel_only_where_the_options_allow():
    lstm, gru = layer_class(generated("lstm")), layer_class(generated("gru"))
    assert lstm(3, 4).fused == "lstm"
    assert lstm(3, 4, backward="derived").fused == ""
    assert lstm(3, 4, kernel="derived").fused == ""
    assert gru(3, 4).fused == ""


def test_a_cell_without_a_mapping_is_refused_in_one_line():
    gru = layer_class(generated("gru"))
    with pytest.raises(ValueError) as error:
        gru(3, 4, kernel="torch")
    assert str(error.value) == ('kernel=\'torch\': gru has no [pytorch] mapping to torch.nn.LSTM, GRU or RNN, so torch '
                                'has no fused kernel for it; use kernel="derived" or "auto"')


def test_bad_kernel_options_are_refused():
    lstm = layer_class(generated("lstm"))
    with pytest.raises(ValueError, match=r"^kernel must be 'auto', 'torch' or 'derived', not 'cudnn'$"):
        lstm(3, 4, kernel="cudnn")
    with pytest.raises(ValueError, match=r"^kernel='torch' runs torch's own backward"):
        lstm(3, 4, kernel="torch", backward="derived")


def test_fused_kernel_follows_the_input_dtype_and_checks_the_state_shape():
    import torch

    lstm = layer_class(generated("lstm"))(3, 4, kernel="torch").double()
    out, (h, c) = lstm(torch.randn(5, 2, 3, dtype=torch.float32))
    assert out.dtype == h.dtype == c.dtype == torch.float32
    with pytest.raises(ValueError, match=r"^state 'h' has shape \(2, 2, 4\), expected \(1, 2, 4\)$"):
        lstm(torch.randn(5, 2, 3, dtype=torch.float64), (torch.zeros(2, 2, 4), torch.zeros(1, 2, 4)))
