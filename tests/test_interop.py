"""Weights in and out of PyTorch, Keras, Flax linen and ONNX, each checked against the real library's forward
output: the converted weights run through lstmsym's exported NumPy module (every layer and direction) must
give what the library gives, and converting back must load into the library and give the same again."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import derived_cell, need_module
from lstmsym.base.errors import LayoutError
from lstmsym.interop import (from_flax, from_keras, from_onnx, from_torch, keras_weights, onnx_attributes, to_flax,
                             to_onnx, to_torch)
from lstmsym.interop.files import read_weights
from lstmsym.model.loading import load_cell
from lstmsym.verify.sampling import random_params
from lstmsym.verify.stack import run_stack

M, N, T, B = 4, 5, 6, 2


def reference(cell: str, stack, xs):
    return run_stack(derived_cell(cell), stack, xs)


def random_stack(cell: str, layers: int, bidirectional: bool, seed: int = 0, proj: int | None = None):
    model, rng = load_cell(cell), np.random.default_rng(seed)
    stack = {}
    for layer in range(layers):
        for reverse in (False, True) if bidirectional else (False,):
            out = (proj or N) * (2 if bidirectional else 1)
            sizes = {"m": M if layer == 0 else out, "n": N, "p": proj or N}
            stack[f"l{layer}" + ("_reverse" if reverse else "")] = random_params(model, sizes, rng)
    return stack


# -- PyTorch -------------------------------------------------------------------------------------------
TORCH = [("lstm", "LSTM", {}), ("gru_reset_after", "GRU", {}), ("rnn", "RNN", {}),
         ("rnn_relu", "RNN", {"nonlinearity": "relu"}), ("lstmp", "LSTM", {"proj_size": 3})]


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell,cls,options", TORCH, ids=[c[0] for c in TORCH])
def test_torch_both_ways(cell, cls, options, layers, bidirectional):
    torch = need_module("torch")
    torch.manual_seed(0)
    module = getattr(torch.nn, cls)(M, N, num_layers=layers, bidirectional=bidirectional, **options).double()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_()
    xs = torch.randn(T, B, M, dtype=torch.float64)
    expected = module(xs)[0].detach().numpy()
    stack = from_torch(cell, module.state_dict())
    assert len(stack) == layers * (2 if bidirectional else 1)
    assert np.abs(reference(cell, stack, xs.numpy()) - expected).max() < 1e-12
    fresh = getattr(torch.nn, cls)(M, N, num_layers=layers, bidirectional=bidirectional, **options).double()
    fresh.load_state_dict(to_torch(cell, stack))
    assert np.abs(fresh(xs)[0].detach().numpy() - expected).max() < 1e-12


# -- Keras ---------------------------------------------------------------------------------------------
KERAS = [("lstm", "LSTM", {}), ("gru", "GRU", {"reset_after": False}), ("gru_reset_after", "GRU", {"reset_after": True}),
         ("rnn", "SimpleRNN", {}), ("rnn_relu", "SimpleRNN", {"activation": "relu"})]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell,cls,options", KERAS, ids=[c[0] for c in KERAS])
def test_keras_both_ways(cell, cls, options, bidirectional):
    keras = need_module("keras")

    def make():
        layer = getattr(keras.layers, cls)(N, return_sequences=True, **options)
        return keras.layers.Bidirectional(layer) if bidirectional else layer

    xs = np.random.default_rng(1).normal(size=(B, T, M)).astype("float32")
    stack = random_stack(cell, 1, bidirectional)
    layer = make()
    layer(xs)
    layer.set_weights([w.astype("float32") for w in keras_weights(cell, stack)])
    expected = keras.ops.convert_to_numpy(layer(xs))
    ours = reference(cell, stack, xs.transpose(1, 0, 2).astype("float64")).transpose(1, 0, 2)
    assert np.abs(ours - expected).max() < 1e-5
    back = from_keras(cell, layer.get_weights(), bidirectional=bidirectional)
    assert all(np.allclose(back[k][p], stack[k][p], atol=1e-6) for k in stack for p in stack[k])


def test_keras_gru_with_the_wrong_reset_after_names_the_bias():
    keras = need_module("keras")
    layer = keras.layers.GRU(N, reset_after=True)
    layer(np.zeros((1, 2, M), "float32"))
    with pytest.raises(LayoutError) as info:
        from_keras("gru", layer.get_weights())
    assert str(info.value).startswith("bias_l0 has shape (2, 15); expected (3n,) = (15,) for cell 'gru' "
                                      "(Keras GRU(reset_after=False)); these tensors fit cell 'gru_reset_after'")


# -- Flax linen ----------------------------------------------------------------------------------------
FLAX = [("lstm", "LSTMCell"), ("lstm", "OptimizedLSTMCell"), ("gru_reset_after", "GRUCell"), ("rnn", "SimpleCell")]


@pytest.mark.parametrize("cell,cls", FLAX, ids=[c[1] for c in FLAX])
def test_flax_both_ways(cell, cls):
    jax = need_module("jax")
    linen = need_module("flax.linen")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    module = getattr(linen, cls)(features=N, param_dtype=jnp.float64)
    xs = np.random.default_rng(2).normal(size=(T, B, M))
    carry = jax.tree_util.tree_map(lambda a: jnp.zeros(a.shape, jnp.float64),
                                   module.initialize_carry(jax.random.key(0), (B, M)))

    def run(variables):
        state, ys = carry, []
        for t in range(T):
            state, y = module.apply(variables, state, xs[t])
            ys.append(np.asarray(y))
        return np.stack(ys)

    variables = module.init(jax.random.key(1), carry, xs[0])
    leaves, tree = jax.tree_util.tree_flatten(variables)
    rng = np.random.default_rng(3)
    variables = jax.tree_util.tree_unflatten(tree, [rng.normal(size=leaf.shape) for leaf in leaves])
    expected = run(variables)
    stack = from_flax(cell, variables)
    assert np.abs(reference(cell, stack, xs) - expected).max() < 1e-12
    assert np.abs(run(to_flax(cell, stack)) - expected).max() < 1e-12


def test_flax_tree_with_an_extra_bias_is_named():
    stack = random_stack("lstm", 1, False)
    tree = to_flax("lstm", stack)
    tree["params"]["ii"]["bias"] = np.zeros(N)
    with pytest.raises(LayoutError) as info:
        from_flax("lstm", tree)
    assert str(info.value).startswith("unexpected tensor ii/bias of shape (5,): Flax linen LSTMCell for cell 'lstm' "
                                      "has only ii/kernel,")


# -- ONNX ----------------------------------------------------------------------------------------------
ONNX = ["lstm", "peephole", "gru", "gru_reset_after", "rnn", "rnn_relu"]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ONNX)
def test_onnx_operator_in_onnxruntime(cell, bidirectional):
    onnx = need_module("onnx")
    ort = need_module("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    stack = random_stack(cell, 1, bidirectional)
    tensors = to_onnx(cell, stack)
    attributes = onnx_attributes(cell, N, bidirectional)
    op = attributes.pop("op")
    names = [k for k in ("W", "R", "B", "P") if f"{k}_l0" in tensors]
    inputs = ["X", "W", "R", "B"] + (["", "", "", "P"] if "P" in names else [])
    graph = helper.make_graph(
        [helper.make_node(op, inputs, ["Y"], **attributes)], "cell",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, M])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 2 if bidirectional else 1, B, N])],
        [numpy_helper.from_array(tensors[f"{k}_l0"].astype(np.float32), k) for k in names])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    xs = np.random.default_rng(4).normal(size=(T, B, M))
    y = session.run(None, {"X": xs.astype(np.float32)})[0]
    expected = np.concatenate([y[:, k] for k in range(y.shape[1])], axis=-1)
    assert np.abs(reference(cell, stack, xs) - expected).max() < 1e-5
    back = from_onnx(cell, tensors)
    assert all(np.array_equal(back[k][p], stack[k][p]) for k in stack for p in stack[k])


# -- mistakes ------------------------------------------------------------------------------------------
def torch_state(cls: str, **options):
    torch = need_module("torch")
    return getattr(torch.nn, cls)(M, 16, **options).state_dict()


def test_state_dict_of_another_cell():
    with pytest.raises(LayoutError) as info:
        from_torch("lstm", torch_state("GRU"))
    assert str(info.value) == ("weight_ih_l0 has shape (48, 4); expected (4n, m) = (64, 4) for cell 'lstm' "
                               "(PyTorch nn.LSTM); these tensors fit cell 'gru_reset_after' (PyTorch nn.GRU)")


def test_wrong_hidden_size():
    with pytest.raises(LayoutError) as info:
        from_torch("lstm", torch_state("LSTM"), sizes={"n": 20})
    assert str(info.value) == ("weight_ih_l0 has shape (64, 4); expected (4n, m) = (80, 4) for cell 'lstm' "
                               "(PyTorch nn.LSTM) (given n=20)")


def test_missing_tensor():
    state = torch_state("LSTM", num_layers=2)
    del state["bias_hh_l1"]
    with pytest.raises(LayoutError) as info:
        from_torch("lstm", state)
    assert str(info.value) == ("missing tensor bias_hh_l1: PyTorch nn.LSTM for cell 'lstm' has weight_ih_l1, "
                               "weight_hh_l1, bias_ih_l1, bias_hh_l1; expected shape (4n,) = (64,)")


def test_cell_without_a_layout():
    with pytest.raises(LayoutError, match="cell 'mgu' has no pytorch counterpart"):
        from_torch("mgu", torch_state("LSTM"))


def test_nonzero_block_the_cell_lacks_is_refused():
    tensors = to_onnx("gru", random_stack("gru", 1, False))
    tensors["B_l0"][0, 3 * N:] = 1.0  # ONNX GRU's Rb, which the reset-before GRU folds into Wb: fine
    from_onnx("gru", tensors)
    tensors = to_onnx("lstm", random_stack("lstm", 1, False))
    tensors["P_l0"] = np.ones((1, 3 * N))
    with pytest.raises(LayoutError, match="unexpected tensor P_l0"):
        from_onnx("lstm", tensors)


# -- the command -----------------------------------------------------------------------------------------
def test_convert_round_trip_through_every_layout(cli, tmp_path):
    torch = need_module("torch")
    module = torch.nn.LSTM(M, N, num_layers=2, bidirectional=True)
    start = tmp_path / "torch.npz"
    np.savez(start, **{k: v.detach().numpy() for k, v in module.state_dict().items()})
    xs = torch.randn(T, B, M)
    expected = module(xs)[0].detach().numpy()
    for layout in ("keras", "flax", "onnx", "lstmsym"):
        there, back = tmp_path / f"{layout}.npz", tmp_path / f"{layout}-back.npz"
        assert cli("convert", "--from", "pytorch", "--to", layout, "lstm", str(start), str(there))[0] == 0
        assert cli("convert", "--from", layout, "--to", "pytorch", "lstm", str(there), str(back))[0] == 0
        fresh = torch.nn.LSTM(M, N, num_layers=2, bidirectional=True)
        fresh.load_state_dict({k: torch.from_numpy(v) for k, v in read_weights(back).items()})
        assert np.abs(fresh(xs)[0].detach().numpy() - expected).max() < 1e-6, layout
    first = (tmp_path / "keras.npz").read_bytes()
    cli("convert", "--from", "pytorch", "--to", "keras", "lstm", str(start), str(tmp_path / "again.npz"))
    assert (tmp_path / "again.npz").read_bytes() == first


def test_convert_errors_are_one_line(cli, tmp_path):
    state = tmp_path / "gru.npz"
    np.savez(state, **{k: v.numpy() for k, v in torch_state("GRU").items()})
    code, _, err = cli("convert", "--from", "pytorch", "--to", "keras", "lstm", str(state), str(tmp_path / "out.npz"))
    assert code == 2 and "Traceback" not in err
    assert err.strip().startswith("lstmsym: error: weight_ih_l0 has shape (48, 4); expected (4n, m)")
    assert not (tmp_path / "out.npz").exists()
    code, _, err = cli("convert", "--from", "pytorch", "--to", "keras", "lstm", str(tmp_path / "none.npz"), str(tmp_path / "o.npz"))
    assert code != 0 and "no such file" in err
