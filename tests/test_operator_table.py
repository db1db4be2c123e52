"""The table of operators along the units (model/along.py, issue 23): every entry is printed by every printer, has
code in every backend that needs it, is drawn, counted and interpreted, and each backend's code agrees with the
interpreter and with the operator's definition written here (not taken from the table)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import lstmsym
from conftest import need_module
from lstmsym.derive.cost import UNIT_OP_COUNTS
from lstmsym.model.along import ALONG, SPEC_OPERATORS, TABLE
from lstmsym.model.ir import STRUCTURAL, UNIT_OPERATORS
from lstmsym.model.vector_ops import ALONG_UNITS, VECTOR_OPS
from lstmsym.printing.html import html
from lstmsym.printing.latex import latex
from lstmsym.printing.mathml import mathml
from lstmsym.printing.notation import Notation
from lstmsym.printing.numpy_code import CodeContext, pycode
from lstmsym.printing.text import text
from lstmsym.render.diagram import GLYPHS
from lstmsym.render.helpers import helper_rows
from lstmsym.verify.interpret import numpy_functions

#: Each operator from its definition, one vector at a time (the oracle: written here, not read from the table).
DEFINITIONS = {
    "cumsum": lambda v: np.array([sum(v[: i + 1]) for i in range(len(v))]),
    "revcumsum": lambda g: np.array([sum(g[i:]) for i in range(len(g))]),
    "cummax": lambda v: np.array([max(v[: i + 1]) for i in range(len(v))]),
    "cummaxgrad": lambda g, v: np.array([sum(g[i] for i in range(len(v)) if max(range(i + 1), key=lambda j: (v[j], j)) == k)
                                         for k in range(len(v))]),
    "softmax": lambda v: np.exp(v) / np.sum(np.exp(v)),
}


def vectors(entry, rng):
    return [rng.standard_normal(6) for _ in range(entry.arity)]


def test_the_spec_language_and_the_vector_operators_come_from_the_table():
    assert UNIT_OPERATORS == SPEC_OPERATORS == tuple(e.name for e in TABLE if e.meaning)
    assert all(STRUCTURAL[name] == (ALONG[name].arity, ALONG[name].meaning) for name in SPEC_OPERATORS)
    assert set(ALONG_UNITS) == {e.cls for e in TABLE} and set(ALONG_UNITS) <= set(VECTOR_OPS)


@pytest.mark.parametrize("name", list(ALONG))
def test_every_operator_is_printed_drawn_counted_and_generated(name):
    entry, notation = ALONG[name], Notation(lstmsym.cell("lstm").model)
    expr = entry.cls(*[sympy.Symbol(s) for s in ("h", "c")[: entry.arity]])
    for printer in (latex, mathml, html, text):
        assert name in printer(expr, notation) and entry.symbol not in printer(expr, notation)
    ctx = CodeContext(rank=lambda key: 1, batched=lambda key: True)
    assert pycode(expr, ctx).startswith(f"_{name}(")
    backends = {"numpy", "torch", "matrix"} | ({"jax"} if entry.meaning else set())  # JAX differentiates by itself
    assert backends <= set(entry.code)
    for backend in backends - {"matrix"}:
        assert (entry.helper, entry.code[backend], entry.parameters) in helper_rows(backend)
    if entry.meaning:  # a spec's operator: drawn, counted, differentiated
        assert GLYPHS[name][0] == name and entry.adjoint is not None and UNIT_OP_COUNTS[name]


@pytest.mark.parametrize("name", list(ALONG))
def test_the_interpreter_and_the_numpy_code_follow_the_definition(name):
    entry, rng = ALONG[name], np.random.default_rng(1)
    namespace = {"np": np}  # the helpers call each other (cummaxgrad calls _cummax): one namespace for all
    for e in TABLE:  # our own table's code, never a spec's text
        namespace[e.helper] = eval(f"lambda {e.parameters}: {e.code['numpy']}", namespace)
    helper = namespace[entry.helper]
    for _ in range(5):
        args = vectors(entry, rng)
        expected = DEFINITIONS[name](*args)
        np.testing.assert_allclose(entry.interpret(numpy_functions(), True, *args), expected, rtol=1e-12)
        np.testing.assert_allclose(helper(*[a[None, :] for a in args])[0], expected, rtol=1e-12)  # batch-major


@pytest.mark.torch
@pytest.mark.parametrize("name", list(ALONG))
def test_the_torch_code_follows_the_definition(name):
    torch = need_module("torch")
    entry, rng = ALONG[name], np.random.default_rng(2)
    helper = eval(f"lambda {entry.parameters}: {entry.code['torch']}", {"torch": torch})
    for _ in range(5):
        args = vectors(entry, rng)
        out = helper(*[torch.tensor(a[None, :]) for a in args])[0].numpy()
        np.testing.assert_allclose(out, DEFINITIONS[name](*args), rtol=1e-12)


@pytest.mark.parametrize("name", SPEC_OPERATORS)
def test_the_jax_code_follows_the_definition(name):
    jax = need_module("jax")
    jax.config.update("jax_enable_x64", True)
    entry, rng = ALONG[name], np.random.default_rng(3)
    helper = eval(f"lambda {entry.parameters}: {entry.code['jax']}", {"jax": jax, "jnp": jax.numpy})
    for _ in range(3):
        args = vectors(entry, rng)
        out = np.asarray(helper(*[jax.numpy.asarray(a[None, :]) for a in args]))[0]
        np.testing.assert_allclose(out, DEFINITIONS[name](*args), rtol=1e-12)
