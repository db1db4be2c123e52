"""The printers: LaTeX (odot only between vectors, sigma, h_{t-1}, bold setting), text, NumPy, HTML labels."""

from __future__ import annotations

import pytest
import sympy

import lstmsym
from lstmsym.backward import Backward
from lstmsym.htmllabel import html, name_html
from lstmsym.latex import latex
from lstmsym.notation import Notation, split_name
from lstmsym.pycode import pycode, pyname
from lstmsym.textform import text

S = sympy.Symbol


@pytest.fixture(scope="module")
def lstm():
    cell = lstmsym.cell("lstm")
    return cell, Notation(cell), Backward(cell)


@pytest.mark.parametrize("name, expected", [
    ("W_f", ("W", "f")), ("h_tilde", (r"\tilde{h}", "")), ("h_tilde_bar", (r"\bar{\tilde{h}}", "")),
    ("alpha", (r"\alpha", "")), ("b_hh", ("b", "hh")), ("U_theta", ("U", r"\theta")),
])
def test_split_name(name, expected):
    assert split_name(name) == expected


def test_equations_in_latex(lstm):
    cell, notation, _ = lstm
    rows = {name: latex(expr, notation, keep_order=True) for name, expr in cell.equations}
    assert rows["f"] == r"\sigma\left(W_{f} x_{t} + U_{f} h_{t-1} + b_{f}\right)"
    assert rows["c"] == r"f_{t} \odot c_{t-1} + i_{t} \odot g_{t}"
    assert rows["h"] == r"o_{t} \odot \tanh(c_{t})"


def test_odot_only_between_vectors():
    cell = lstmsym.cell("cornn")
    notation = Notation(cell)
    tex = latex(cell.node("y").expr, notation)
    assert r"\odot" not in tex and r"\Delta" not in tex
    assert latex(S("dt") * S("z"), notation) == r"dt z_{t}"


def test_bold_vectors(lstm):
    cell, notation, _ = lstm
    assert latex(cell.equations[4][1], notation, keep_order=True, bold=True) == \
        r"\mathbf{f}_{t} \odot \mathbf{c}_{t-1} + \mathbf{i}_{t} \odot \mathbf{g}_{t}"


def test_derivatives_read_like_a_textbook(lstm):
    _, notation, back = lstm
    assert latex(back.statement("d_f_bar").expr, notation) == r"\delta f_{t} \odot f_{t} \odot \left(1 - f_{t}\right)"
    assert latex(back.statement("d_c").expr, notation) == \
        r"\delta c_{t}^{\mathrm{in}} + \delta h_{t}^{\mathrm{in}} \odot o_{t} \odot \left(1 - \tanh^{2}(c_{t})\right)"
    assert latex(back.statement("d_W_f").expr, notation) == r"\delta \bar{f}_{t}\, x_{t}^{\top}"
    assert text(back.statement("d_h_prev").expr, notation) == \
        "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar"


def test_numpy_code(lstm):
    _, _, back = lstm
    assert pycode(back.statement("d_f_bar").expr) == "d_f*f*(1 - f)"
    assert pyname("lambda") == "lambda_" and pyname("np") == "np_" and pyname("W@x") == "_W__x"


def test_html_labels(lstm):
    _, notation, back = lstm
    assert name_html("h_tilde", "t") == "h\u0303<SUB>t</SUB>"
    assert html(back.statement("d_c_prev").expr, notation) == "δc<SUB>t</SUB> ⊙ f<SUB>t</SUB>"


def test_notebook_display():
    cell = lstmsym.cell("rnn")
    assert cell._repr_latex_() == r"$$\begin{aligned} h_{t} &= \tanh\left(W x_{t} + U h_{t-1} + b\right) \end{aligned}$$"
    assert cell._repr_svg_().startswith("<?xml")
    from lstmsym import render

    assert render.diagram_dot(cell, "backward").startswith('digraph "rnn_backward"')
