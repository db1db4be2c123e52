"""The table of vector operators (model/vector_ops.py, issue 23): every entry is printed by every printer through
its one layout (no printer keeps a rule of its own for an entry), the three math notations read alike, the
interpreter follows each operator's definition written here, and each adjoint rule is the adjoint of its operator
(<g, f(..., dx, ...)> = <adjoint(g), dx>), checked on numbers, not on the table's own forms."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

import lstmsym
from lstmsym.derive.cost import count_ops
from lstmsym.model.vector_ops import ADJOINTS, ENTRIES, MATRIX_VALUED, OPERATOR_FORMS, TABLE, VECTOR_OPS, entry_of
from lstmsym.printing.html import HtmlPrinter, html
from lstmsym.printing.latex import CellLatexPrinter, latex
from lstmsym.printing.mathml import CellMathMLPrinter, mathml
from lstmsym.printing.notation import Notation
from lstmsym.printing.text import CellTextPrinter, text
from lstmsym.render.semantics import SemPrinter, sem_text

PRINTERS = (CellLatexPrinter, CellMathMLPrinter, HtmlPrinter, CellTextPrinter, SemPrinter)


@pytest.fixture(scope="module")
def notation():
    return Notation(lstmsym.cell("convlstm").model)


def applied(entry) -> sympy.Expr:
    """The operator on symbols of convlstm (a kernel, maps, a matrix), with a count for SumTrailing."""
    symbols = {"matrix": sympy.Symbol("W_hi"), "vector": sympy.Symbol("h"), "map": sympy.Symbol("x"),
               "kernel": sympy.Symbol("W_hi"), "value": sympy.Symbol("h") + sympy.Symbol("x"), "count": sympy.Integer(2)}
    return entry.cls(*[symbols[kind] for kind in entry.operands])


@pytest.mark.parametrize("symbol", list(ENTRIES))
def test_every_entry_is_printed_by_its_layout_in_every_printer(symbol, notation):
    entry = ENTRIES[symbol]
    for printer in PRINTERS:  # by construction: the one rule _print_VectorOpBase reads the entry
        assert not hasattr(printer, f"_print_{symbol}") or printer is SemPrinter, (printer.__name__, symbol)
    expr = applied(entry)
    for out in (latex(expr, notation), mathml(expr, notation), html(expr, notation), text(expr, notation), sem_text(expr)):
        assert out and symbol not in out, out
    assert entry_of(expr) is entry and type(expr).__name__ == symbol


def readable(markup: str) -> str:
    """What a reader sees of HTML or MathML: the text, its marks made one."""
    from html import unescape

    seen = unescape(re.sub(r"<[^>]+>", "", markup)).replace(" ", "")
    return seen.translate(str.maketrans({"T": "⊤", "∑": "Σ"}))


@pytest.mark.parametrize("symbol", list(ENTRIES))
def test_the_math_notations_read_alike(symbol, notation):
    """HTML (the diagrams) and MathML (the site) show the same characters for every operator: the two once
    bracketed a transpose's operand by different rules."""
    expr = applied(ENTRIES[symbol])
    assert readable(html(expr, notation)) == readable(mathml(expr, notation))
    nested = ENTRIES[symbol].cls(*[sympy.Symbol("W_hi") * a if a.is_Symbol else a for a in expr.args])
    assert readable(html(nested, notation)) == readable(mathml(nested, notation))


def test_a_transpose_brackets_what_is_not_one_name(notation):
    W, h = sympy.Symbol("W_hi"), sympy.Symbol("h")
    T = ENTRIES["Transposed"].cls
    M = ENTRIES["MatVec"].cls
    assert latex(T(M(W, h)), notation) == r"\left(W_{hi} h_{t}\right)^{\top}"
    assert html(T(M(W, h)), notation) == "(W<SUB>hi</SUB> h<SUB>t</SUB>)<SUP>T</SUP>"  # read W h^T before
    assert latex(T(W), notation) == r"W_{hi}^{\top}" and text(T(M(W, h)), notation) == "(W_hi @ h).T"


# -- the interpreter against definitions written here -------------------------------------------------------------
def conv_definition(x, kernel):
    """Same-padded cross-correlation, one output at a time."""
    f, c, k, _ = kernel.shape
    p, (_, height, width) = k // 2, x.shape
    out = np.zeros((f, height, width))
    for o in range(f):
        for i in range(height):
            for j in range(width):
                for ci in range(c):
                    for a in range(k):
                        for b in range(k):
                            y, z = i + a - p, j + b - p
                            if 0 <= y < height and 0 <= z < width:
                                out[o, i, j] += kernel[o, ci, a, b] * x[ci, y, z]
    return out


def test_the_interpreter_follows_each_definition():
    rng = np.random.default_rng(3)
    m, u, v = rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal(3)
    value = lambda symbol, *args: ENTRIES[symbol].interpret(*args)  # noqa: E731
    np.testing.assert_allclose(value("MatVec", m, v), [sum(m[i, j] * v[j] for j in range(3)) for i in range(4)])
    np.testing.assert_allclose(value("MatTVec", m, u), [sum(m[i, j] * u[i] for i in range(4)) for j in range(3)])
    np.testing.assert_allclose(value("Outer", u, v), [[a * b for b in v] for a in u])
    blocks = value("BlockOuter", np.arange(4.0), np.arange(6.0), np.zeros((2, 2, 3)))
    np.testing.assert_allclose(blocks[1], [[a * b for b in (3.0, 4.0, 5.0)] for a in (2.0, 3.0)])
    t = rng.standard_normal((2, 3, 4))
    assert value("SumUnits", t) == pytest.approx(sum(t.flat))
    np.testing.assert_allclose(value("SumTrailing", t, 2), [sum(t[i].flat) for i in range(2)])
    np.testing.assert_allclose(value("Transposed", m), [[m[i, j] for i in range(4)] for j in range(3)])
    x, kernel = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 2, 3, 3))
    np.testing.assert_allclose(value("Conv", kernel, x), conv_definition(x, kernel))


def test_the_convolutions_adjoints_are_adjoint():
    """<conv(K, x), d> = <x, convT(K, d)> = <K, convW(d, x, K)>, with a 3 x 3 kernel on a non-square map."""
    rng = np.random.default_rng(4)
    x, kernel, d = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal((3, 5, 4))
    forward = np.sum(conv_definition(x, kernel) * d)
    assert np.sum(x * ENTRIES["ConvT"].interpret(kernel, d)) == pytest.approx(forward)
    assert np.sum(kernel * ENTRIES["ConvW"].interpret(d, x, kernel)) == pytest.approx(forward)


def evaluate(expr: sympy.Expr, env: dict) -> np.ndarray:
    if expr.is_Symbol:
        return env[expr.name]
    return entry_of(expr).interpret(*[evaluate(a, env) for a in expr.args])


SHAPES = {"matvec": ((4, 3), (3,), (4,)), "tmatvec": ((4, 3), (4,), (3,)), "outer": ((4,), (3,), (4, 3)),
          "conv": ((3, 2, 3, 3), (2, 5, 4), (3, 5, 4))}


@pytest.mark.parametrize("op", sorted(ADJOINTS))
def test_each_adjoint_rule_is_the_adjoint_of_its_operator(op):
    """For y = f(a, b) bilinear: <g, f(da, b)> = <rule_0(g), da> and <g, f(a, db)> = <rule_1(g), db>."""
    rng = np.random.default_rng(5)
    a_shape, b_shape, y_shape = SHAPES[op]
    env = {"a": rng.standard_normal(a_shape), "b": rng.standard_normal(b_shape), "g": rng.standard_normal(y_shape)}
    a, b, g = sympy.symbols("a b g")
    forward = OPERATOR_FORMS[op]
    for index in (0, 1) if op != "conv" else (1,):  # a kernel's gradient is the weight rule's (ConvW, above)
        direction = rng.standard_normal(a_shape if index == 0 else b_shape)
        moved = dict(env, **{"ab"[index]: direction})
        left = np.sum(env["g"] * evaluate(forward(a, b), moved))
        right = np.sum(evaluate(ADJOINTS[op](index, g, a, b), env) * direction)
        assert left == pytest.approx(right), (op, index)


def test_matrix_values_counts_and_the_operator_list_come_from_the_table():
    assert set(MATRIX_VALUED) == {ENTRIES[s].cls for s in ("Outer", "BlockOuter", "Transposed", "ConvW")}
    assert {e.cls for e in TABLE} <= set(VECTOR_OPS)
    h = sympy.Symbol("h")
    assert count_ops(ENTRIES["SumUnits"].cls(h))["sum"] == 1 and count_ops(ENTRIES["MatVec"].cls(h, h)) == dict.fromkeys(("nonlinear", "product", "sum"), 0)
