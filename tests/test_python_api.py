"""docs/python.md is run as written (doctest), and the notebook view degrades without dot."""

from __future__ import annotations

import doctest

import pytest
import re

from conftest import ROOT, need


def test_python_guide_runs_as_written():
    """Every ```python block of docs/python.md, run in order as one doctest session."""
    need("dot")
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "python.md", "docs/python.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 20


def test_notebook_view_without_dot(monkeypatch):
    import lstmsym
    from lstmsym.render import tools

    monkeypatch.setattr(tools, "dot_available", lambda: False)
    page = lstmsym.cell("gru")._repr_html_()
    assert "<math" in page and "<svg" not in page


def _column(value, shape):
    """One sequence's value as the matrix form holds it: a vector as an (n, 1) column, a matrix as is, a
    block-diagonal matrix (heads, stored as k blocks) as the dense matrix it stands for."""
    import numpy as np

    value = np.asarray(value, dtype=float)
    if value.ndim == 3 and len(shape) == 2:
        blocks, size = value.shape[0], value.shape[1]
        dense = np.zeros((blocks * size, blocks * size))
        for k in range(blocks):
            dense[k * size:(k + 1) * size, k * size:(k + 1) * size] = value[k]
        value = dense
    return value.reshape(shape) if shape else value.reshape(())


def _form_sizes(sizes: dict[str, int]) -> dict:
    """The matrix form's size symbols (n, and n_size where a quantity is also called n) at these sizes."""
    import sympy

    symbols = {sympy.Symbol(s, positive=True, integer=True): v for s, v in sizes.items()}
    return symbols | {sympy.Symbol(f"{s}_size", positive=True, integer=True): v for s, v in sizes.items()}


#: Cells of vectors and matrices (a cell with feature maps is written with plain symbols and conv(K, x): below).
#: With the test specs of the operators along the units (cumsum, cummax, softmax), which no built-in but on_lstm uses.
LAMBDIFY_CELLS = sorted(p.stem for p in (ROOT / "lstmsym" / "cells").glob("*.toml") if not p.stem.startswith("conv"))
LAMBDIFY_CELLS += [str(ROOT / "tests" / "specs" / f"construct_{name}.toml")
                   for name in ("cumulative", "softmax", "constant_matrices", "matrix_table", "nonlinear_operands")]


@pytest.mark.parametrize("name", LAMBDIFY_CELLS)
def test_sympy_lambdify_computes_every_equation(name):
    """docs/python.md promises that sympy.lambdify works on lstmsym.cell(...).equations: it raised SyntaxError on any
    nonlinearity (issue 22, item 4). Each equation, lambdified, must give the value the verified NumPy module's trace
    computes for it, from that trace's values of the names it reads."""
    import numpy as np
    import sympy

    import lstmsym
    from lstmsym.verify.loader import numpy_module
    from lstmsym.verify.sampling import concrete_sizes, random_inputs, random_params, random_states

    cell = lstmsym.cell(name)
    model = cell.model
    assert all(len(i.shape) <= 1 for i in model.inputs)
    sizes = concrete_sizes(model, 0, 2, 4)
    rng = np.random.default_rng(0)
    params = random_params(model, sizes, rng)
    states = random_states(model, sizes, 1, rng)
    inputs = {k: v[0] for k, v in random_inputs(model, sizes, 1, 1, rng).items()}
    for item in model.side_inputs:
        inputs[item.name] = np.abs(inputs[item.name]) + 0.1
    side = {k: v for k, v in inputs.items() if k != model.input} or None
    values = numpy_module(cell.derived).trace(params, inputs[model.input], states, side)
    known = {**params, **inputs, **{s.previous: states[s.name] for s in model.states}, **values}
    known |= {k: float(v) for k, v in model.constants.items()}
    sequence = {i.name for i in model.inputs} | {s.previous for s in model.states}
    batched = lambda key: key in sequence or (model.has_node(key) and model.is_batched(key))  # noqa: E731
    form_sizes = _form_sizes(sizes)
    for key, expr in cell.equations.items():
        expr = expr.subs(form_sizes) if hasattr(expr, "subs") else expr
        symbols = sorted(expr.free_symbols, key=str)
        function = sympy.lambdify(symbols, expr, "numpy")
        arguments = [_column(np.asarray(known[str(s)])[0] if batched(str(s)) else known[str(s)], getattr(s, "shape", ()))
                     for s in symbols]
        got = np.asarray(function(*arguments), dtype=float)
        want = np.asarray(values[key], dtype=float)[0] if batched(key) else np.asarray(values[key], dtype=float)
        assert np.allclose(got.reshape(want.shape), want, rtol=1e-10, atol=1e-12), (key, got, want)


@pytest.mark.parametrize("name", LAMBDIFY_CELLS)
def test_sympy_lambdify_computes_every_backward_statement(name):
    """Cell.backward() gives each statement as a matrix expression under the name `grad` prints. Lambdified, each
    must give what the verified per-unit interpreter computes for that statement at one random step, with every
    symbol it reads filed under a key of the same dict or of the forward values. It summed one column of a matrix
    state (gated_deltanet's d_alpha: 0.0999 for 0.438), raised NotImplementedError on on_lstm's revcumsum, and read
    internal names (d_arg_h_tilde_1) that no key held (issue 22, item 4)."""
    import numpy as np
    import sympy

    import lstmsym
    from lstmsym.printing.text import text
    from lstmsym.verify.interpret import NumericInterpreter
    from lstmsym.verify.sampling import concrete_sizes, random_inputs, random_params, random_states

    cell = lstmsym.cell(name)
    model, derived = cell.model, cell.derived
    sizes = concrete_sizes(model, 0, 2, 4)
    rng = np.random.default_rng(0)
    env = {"params": random_params(model, sizes, rng), "states": random_states(model, sizes, 1, rng),
           "inputs": {k: v[0, 0] for k, v in random_inputs(model, sizes, 1, 1, rng).items()}}
    for item in model.side_inputs:
        env["inputs"][item.name] = np.abs(env["inputs"][item.name]) + 0.1
    interpreter = NumericInterpreter(model, sizes)
    values = interpreter.forward_step(env["params"], env["inputs"], {k: v[0] for k, v in env["states"].items()})
    for rec in derived.bptt.recurrences:
        values[rec.incoming] = rng.normal(size=tuple(sizes[s] for s in model.shapes[rec.name]))
    for st in derived.backward.statements:
        values[st.target] = interpreter.evaluate(st.expr, values) if st.expr != 0 else 0
    backward = cell.backward()
    key_of = {cell._form.name(key): key for key in values if not key.startswith("size:")}
    form_sizes = _form_sizes(sizes)
    for st in derived.backward.statements:
        printed = text(st.symbol, cell._form.notation)
        named = printed if printed.isidentifier() else re.sub(r"\W+", "_", printed).strip("_")
        expr = backward[named] if named in backward else backward[f"{named}_1"]  # d(r * h_prev) is d_r_h_prev
        if expr == 0:
            continue
        expr = expr.xreplace(form_sizes)  # (subs left S_prev's shape (n, 2) inside a Sum)
        symbols = sorted(expr.free_symbols, key=str)
        assert all(str(s) in key_of for s in symbols), (printed, [str(s) for s in symbols if str(s) not in key_of])
        arguments = [_column(values[key_of[str(s)]], getattr(s, "shape", ())) for s in symbols]
        got = np.asarray(sympy.lambdify(symbols, expr, "numpy")(*arguments), dtype=float)
        want = np.asarray(values[st.target], dtype=float)
        want = _column(want, got.shape) if want.ndim == 3 and got.ndim == 2 else want  # a block-diagonal gradient, dense
        assert np.allclose(got.reshape(want.shape), want, rtol=1e-10, atol=1e-12), (printed, got, want)


@pytest.mark.parametrize("name", ["convlstm", "convgru"])
def test_a_cell_of_feature_maps_is_written_with_conv(name):
    """Feature maps have no SymPy matrix form: their equations use plain symbols and conv(K, x) (it printed internal
    names such as conv_W_hi_h_prev and treated a per-channel peephole as a matrix product)."""
    import sympy

    import lstmsym

    for key, expr in lstmsym.cell(name).equations.items():
        printed = sympy.srepr(expr)
        assert "MatrixSymbol" not in printed and "conv_" not in printed and ":" not in printed, (key, printed)
        sympy.lambdify(sorted(expr.free_symbols, key=str), expr, [{"conv": lambda k, x: x}, "numpy"])
    assert any(isinstance(e, sympy.Basic) and e.has(sympy.Function("conv")) for e in lstmsym.cell(name).equations.values())


def test_an_input_size_that_is_the_hidden_size_is_not_dropped():
    """show('parameters', input_size=4, hidden_size=6) for rglru (x = "n") showed the total at n = 6 and dropped
    the 4 silently, as did the Sphinx and MkDocs blocks that read the same options (issue 22, item 3)."""
    import lstmsym
    from lstmsym.base.errors import UsageError

    cell = lstmsym.cell("rglru")
    with pytest.raises(UsageError, match="reads an input of size 'n', its own 'n': hidden-size = 6 and n = 4 disagree"):
        cell.show("parameters", input_size=4, hidden_size=6)
    assert "<table" in cell.show("parameters", input_size=6, hidden_size=6)._repr_html_()
