"""The exported NumPy module: interface, dtypes, shapes, side inputs, and that it imports only numpy."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.render.numpy_module import export_numpy
from lstmsym.verify.loader import load_file, numpy_module
from lstmsym.verify.sampling import output_size, param_shape, random_inputs, random_params

CELLS = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("construct_*.toml"))


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
def test_imports_only_numpy(name):
    tree = ast.parse(export_numpy(derived_cell(name)))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported <= {"numpy", "namedtuple"}


@pytest.mark.parametrize("name", CELLS, ids=lambda n: n.split("/")[-1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("steps, batch", [(1, 1), (4, 3)])
def test_interface_and_dtypes(name, dtype, steps, batch):
    d = derived_cell(name)
    cell = d.cell
    module = numpy_module(d)
    sizes = cell.size_rules.verify_sizes()
    rng = np.random.default_rng(0)
    params = {k: v.astype(dtype) for k, v in random_params(cell, sizes, rng).items()}
    assert module.PARAMETERS == {p.name: p.shape for p in cell.parameters}
    assert tuple(module.STATE) == tuple(s.name for s in cell.states)
    inputs = {k: v.astype(dtype) for k, v in random_inputs(cell, sizes, steps, batch, rng).items()}
    xs = inputs.pop(cell.input)
    state = {s.name: np.zeros((batch,) + tuple(sizes[x] for x in s.shape), dtype=dtype) for s in cell.states}
    ys, state_T, cache = module.forward(params, xs, state, inputs)
    assert ys.shape == (steps, batch, output_size(cell, sizes)) and ys.dtype == dtype
    assert set(state_T) == set(module.STATE)
    grads = module.backward(params, cache, np.ones_like(ys))
    assert grads.xs.shape == xs.shape and grads.xs.dtype == dtype
    for k, v in grads.params.items():
        assert v.shape == param_shape(cell, k, sizes) and v.dtype == dtype, k
    for k, v in inputs.items():
        assert grads.inputs[k].shape == v.shape
    for s in cell.states:
        assert grads.state0[s.name].shape == state[s.name].shape


def test_float32_matches_float64():
    d = derived_cell("lstm")
    module = numpy_module(d)
    rng = np.random.default_rng(1)
    params = random_params(d.cell, {"m": 5, "n": 7}, rng)
    xs = rng.normal(size=(6, 4, 5))
    ys64, _, cache64 = module.forward(params, xs)
    ys32, _, cache32 = module.forward({k: v.astype(np.float32) for k, v in params.items()}, xs.astype(np.float32))
    assert np.allclose(ys32, ys64, atol=1e-5)
    d64 = module.backward(params, cache64, np.ones_like(ys64)).params
    d32 = module.backward(params, cache32, np.ones_like(ys32)).params
    assert all(np.allclose(d32[k], d64[k], atol=1e-4) for k in d64)


def test_initial_state_and_side_inputs_are_checked():
    d = derived_cell("gru")
    module = numpy_module(d)
    rng = np.random.default_rng(2)
    params = random_params(d.cell, {"m": 2, "n": 3}, rng)
    xs = rng.normal(size=(2, 1, 2))
    h0 = {"h": rng.normal(size=(1, 3))}
    assert not np.allclose(module.forward(params, xs, h0)[0], module.forward(params, xs)[0])
    with pytest.raises(ValueError, match="state 'h' has shape"):
        module.forward(params, xs, {"h": np.zeros((2, 3))})
    side = numpy_module(derived_cell(str(SPECS / "construct_side_inputs.toml")))
    with pytest.raises(ValueError, match="the side input 'dt' is missing"):
        side.forward(random_params(derived_cell(str(SPECS / "construct_side_inputs.toml")).cell, {"m": 2, "n": 3}, rng), xs)


def test_cli_writes_the_module(tmp_path, cli):
    out = tmp_path / "lstm_ref.py"
    assert cli("export", "lstm", "--to", "numpy", "-o", out)[0] == 0
    module = load_file(out)
    assert tuple(module.STATE) == ("h", "c") and module.NAME == "lstm"


def test_every_backward_line_comes_from_a_printed_statement():
    """The loop of the exported backward pass assigns exactly the derived statements (and nothing else)."""
    d = derived_cell("lstm")
    source = export_numpy(d)
    loop = source.split("for t in range(T - 1, -1, -1):")[1].split("dparams = {}")[0]
    assigned = [line.split(" = ")[0].strip() for line in loop.splitlines() if " = " in line]
    from lstmsym.printing.numpy_code import pyname

    targets = [pyname(st.target) for st in d.backward.by_kind("node", "carry")]
    assert all(assigned.count(target) == 1 for target in targets), assigned
    forward = {pyname(n.key) for n in d.cell.value_nodes} | {pyname(s.previous) for s in d.cell.states}
    loads = forward | {pyname(k) for k in d.backward.incoming} | {f"d_carry_{s.name}" for s in d.cell.states}
    others = [name for name in assigned if name not in targets]
    assert all(name in loads or name.startswith("_") for name in others), sorted(set(others) - loads)


def test_named_constants_are_printed_as_numbers_and_non_real_values_refused():
    """A derivative written with sympy.pi printed a bare `pi`, a NameError in the generated module: named constants
    are float64 literals in every backend, and a value no array can hold is a CodeError naming it."""
    import math

    import sympy

    from lstmsym.base.errors import CodeError
    from lstmsym.printing.numpy_code import CodeContext, pycode

    ctx = CodeContext(rank=lambda key: 1, batched=lambda key: True)
    x = sympy.Symbol("x")
    code = pycode(sympy.pi * x + sympy.E, ctx)
    assert "pi" not in code.replace(repr(math.pi), "") and repr(math.pi) in code and repr(math.e) in code
    assert math.isclose(eval(code, {"x": 2.0}), 2 * math.pi + math.e)  # noqa: S307 (our own generated code)
    with pytest.raises(CodeError, match="cannot hold I"):
        pycode(sympy.I * x, ctx)


def test_an_export_is_written_once_per_derived_cell(monkeypatch):
    """Each export target keeps a Derived object's source (render/once.py): asked again, the same text without
    writing it again; a cell derived afresh (a new Derived object, as after a patched rule) is written afresh."""
    from lstmsym.derive.derived import Derived
    from lstmsym.model.loading import load_cell
    from lstmsym.render import numpy_module, torch_module

    for module, cls, export in ((numpy_module, numpy_module.NumpyModule, numpy_module.export_numpy),
                                (torch_module, torch_module.TorchModule, torch_module.export_torch)):
        calls, render = [], cls.render
        monkeypatch.setattr(cls, "render", lambda self, render=render: calls.append(1) or render(self))
        d = Derived(load_cell("rnn"))
        first = export(d)
        assert export(d) is first and len(calls) == 1, module.__name__
        assert export(Derived(load_cell("rnn"))) == first and len(calls) == 2, module.__name__
