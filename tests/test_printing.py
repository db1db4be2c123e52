"""The printers: LaTeX (odot only between vectors, sigma, h_{t-1}, bold), text, MathML, NumPy, HTML labels; and
one rule for brackets that every printer follows: a ⊙ (1 − b), (1 − z) ⊙ h, −(a − b), (a + b)²."""

from __future__ import annotations

import re

import pytest
import sympy

import lstmsym
from conftest import ROOT, derived_cell
from lstmsym.printing.html import html
from lstmsym.printing.latex import latex
from lstmsym.printing.mathml import mathml
from lstmsym.printing.notation import split_name
from lstmsym.printing.numpy_code import pyname
from lstmsym.printing.text import text
from lstmsym.render.facts import notation

S = sympy.Symbol
#: What an internal key or an old auto name looks like in output.
INTERNAL = re.compile(r"(?<![A-Za-z])(d|in|pre\d*|arg|mat|red|matvec|conv|outer|size):[A-Za-z]|_v1\b|_M1\b")


@pytest.fixture(scope="module")
def lstm():
    d = derived_cell("lstm")
    return d, notation(d), d.backward


@pytest.mark.parametrize("name, expected", [
    ("W_f", ("W", "W", ["f"], ["f"])), ("h_tilde", (r"\tilde{h}", "h\u0303", [], [])),
    ("h_tilde_bar", (r"\bar{\tilde{h}}", "h\u0303\u0304", [], [])), ("alpha", (r"\alpha", "α", [], [])),
    ("b_hh", ("b", "b", ["hh"], ["hh"])), ("U_theta", ("U", "U", ["theta"], ["theta"])),
])
def test_split_name(name, expected):
    assert split_name(name) == expected


def test_equations_in_latex(lstm):
    d, n, _ = lstm
    rows = {name: latex(expr, n, keep_order=True) for name, expr in d.cell.equations}
    assert rows["f"] == r"\sigma\left(W_{f} x_{t} + U_{f} h_{t-1} + b_{f}\right)"
    assert rows["c"] == r"f_{t} \odot c_{t-1} + i_{t} \odot g_{t}"
    assert rows["h"] == r"o_{t} \odot \tanh(c_{t})"


def test_odot_only_between_vectors():
    d = derived_cell("cornn")
    n = notation(d)
    tex = latex(d.cell.node("y").expr, n)
    assert r"\odot" not in tex and r"\Delta" not in tex
    assert latex(S("dt") * S("z"), n) == r"\mathit{dt} z_{t}"


def test_bold_vectors(lstm):
    d, n, _ = lstm
    assert latex(d.cell.equations[4][1], n, keep_order=True, bold=True) == \
        r"\mathbf{f}_{t} \odot \mathbf{c}_{t-1} + \mathbf{i}_{t} \odot \mathbf{g}_{t}"


def test_derivatives_read_like_a_textbook(lstm):
    _, n, back = lstm
    assert latex(back.statement("d:pre:f").expr, n) == r"\delta f_{t} \odot f_{t} \odot \left(1 - f_{t}\right)"
    assert latex(back.statement("d:c").expr, n) == \
        r"\delta c_{t}^{\mathrm{in}} + \delta h_{t}^{\mathrm{in}} \odot o_{t} \odot \left(1 - \tanh^{2}(c_{t})\right)"
    assert latex(back.statement("d:W_f").expr, n) == r"\delta \bar{f}_{t}\, x_{t}^{\top}"
    assert text(back.statement("d:h_prev").expr, n) == "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar"


@pytest.mark.parametrize("expr, as_text, as_latex, as_html", [
    (S("a") * (1 - S("b")), "a * (1 - b)", r"a_{t} \odot \left(1 - b_{t}\right)", "a<SUB>t</SUB> ⊙ (1 − b<SUB>t</SUB>)"),
    ((1 - S("z")) * S("h"), "(1 - z) * h", r"\left(1 - z_{t}\right) \odot h_{t}", "(1 − z<SUB>t</SUB>) ⊙ h<SUB>t</SUB>"),
    (-(S("a") - S("b")), "-a + b", r"-a_{t} + b_{t}", "−a<SUB>t</SUB> + b<SUB>t</SUB>"),
    (sympy.Mul(-1, S("a") - S("b"), evaluate=False), "-(a - b)", r"-\left(a_{t} - b_{t}\right)", "−(a<SUB>t</SUB> − b<SUB>t</SUB>)"),
    ((S("a") + S("b")) ** 2, "(a + b) ** 2", r"\left(a_{t} + b_{t}\right)^{2}", "(a<SUB>t</SUB> + b<SUB>t</SUB>)<SUP>2</SUP>"),
    (S("a") * (-S("b")) * S("c") ** 2, "-a * b * c ** 2", r"-a_{t} \odot b_{t} \odot c_{t}^{2}", "−a<SUB>t</SUB> ⊙ b<SUB>t</SUB> ⊙ c<SUB>t</SUB><SUP>2</SUP>"),
])
def test_brackets_agree_across_printers(expr, as_text, as_latex, as_html):
    d = lstmsym.cell(text='''name = "p"
parameters = ["W"]
[sizes]
n = "n"
[input]
x = "n"
[state.h]
size = "n"
[equations]
a = "W @ x"
b = "tanh(a)"
z = "sigmoid(a)"
c = "a * b"
h = "a + b + c + z + h_prev"
''').derived
    n = notation(d)
    assert text(expr, n) == as_text
    assert latex(expr, n) == as_latex
    assert html(expr, n) == as_html
    assert mathml(expr, n).count("<mo>(</mo>") == as_text.count("(")


def test_gradient_flow_labels_keep_brackets(cli):
    """The issue's example: ⊙ (1 − g²), not ⊙ 1 − g²."""
    from lstmsym.render.figures import diagram_dot

    dot = diagram_dot(derived_cell("lstm"), "backward")
    assert "⊙ (1 − g<SUB>t</SUB><SUP>2</SUP>)" in dot and "⊙ 1 −" not in dot
    gru = diagram_dot(derived_cell("gru"), "backward")
    assert "⊙ (1 − z<SUB>t</SUB>)" in gru and "⊙ (h<SUB>t−1</SUB> − h̃<SUB>t</SUB>)" in gru


def test_numpy_names(lstm):
    assert pyname("lambda") == "lambda_" and pyname("np") == "np_" and pyname("matvec:W:x") == "matvec__W__x"


def test_html_labels(lstm):
    _, n, back = lstm
    assert html(sympy.Symbol("c"), n) == "c<SUB>t</SUB>" and html(sympy.Symbol("c_prev"), n) == "c<SUB>t−1</SUB>"
    assert html(sympy.Symbol("c"), n, shift=1) == "c<SUB>t+1</SUB>"
    assert html(back.statement("d:c_prev").expr, n) == "δc<SUB>t</SUB> ⊙ f<SUB>t</SUB>"


def test_mathml_is_well_formed(lstm):
    import xml.dom.minidom

    d, n, back = lstm
    for st in back.statements:
        xml.dom.minidom.parseString(f"<math>{mathml(st.expr, n)}</math>")
    assert "<mi>&#963;</mi>" in mathml(d.cell.equations[0][1], n, keep_order=True)


def test_notebook_display():
    cell = lstmsym.cell("rnn")
    page = cell._repr_html_()
    assert "<math" in page and "<svg" in page
    assert repr(cell).startswith("<Cell rnn: Elman recurrent network>\n  h = tanh(W @ x + U @ h_prev + b)")
    assert cell.dot("backward").startswith('digraph "rnn_backward"')


def test_internal_names_never_print(cli):
    """No ':' key, no auto name (h_M1, h_tilde_v1) in what the commands print."""
    for cell in ["gru", "antisymmetricrnn", "lstmp", "fastgrnn"]:
        for argv in (["show", cell], ["grad", cell], ["params", cell], ["show", cell, "--json"], ["grad", cell, "--json"]):
            out = cli(*argv)[1]
            assert not INTERNAL.search(out), (argv, INTERNAL.search(out))


@pytest.mark.parametrize("keep_order", [False, True])
def test_odot_joins_vectors_across_a_scalar(keep_order):
    """epsilon * d_h_in * (1 - h_bar^2) in antisymmetricrnn: the two vectors are joined by one ⊙ whatever the order
    of the factors (a scalar between them must not hide the elementwise product); sorted, the scalar leads."""
    d = derived_cell("antisymmetricrnn")
    n = notation(d)
    s = sympy.Symbol
    expr = sympy.Mul(s("in:h"), s("epsilon"), 1 - s("h") ** 2, evaluate=False)
    tex, mml = latex(expr, n, keep_order=keep_order), mathml(expr, n, keep_order=keep_order)
    assert tex.count(r"\odot") == 1 and mml.count("&#8857;") == 1, (tex, mml)
    if not keep_order:
        assert tex.startswith(r"\epsilon \delta h_{t}^{\mathrm{in}} \odot")


def test_html_labels_follow_the_same_odot_rule_and_transpose():
    """The diagrams' HTML labels: ⊙ only between two vectors (ε δh ⊙ (1 − h̄²), β M with no ⊙), and a transposed
    matrix as Mᵀ, never SymPy's name for it (the Lipschitz RNN's (β M_W − β M_Wᵀ ...)ᵀ)."""
    from lstmsym.model.vector_ops import Transposed

    d = derived_cell("antisymmetricrnn")
    n = notation(d)
    label = html(sympy.Mul(S("in:h"), S("epsilon"), 1 - S("h") ** 2, evaluate=False), n)
    assert label.count("⊙") == 1 and label.startswith("ε δh"), label
    lipschitz = lstmsym.cell(str(ROOT / "tests" / "minimal" / "lipschitz_rnn.toml"))
    ln = notation(lipschitz.derived)
    assert html(S("beta") * S("M_W"), ln) == "β M<SUB>W</SUB>"
    assert html(Transposed(S("M_W")), ln) == "M<SUB>W</SUB><SUP>T</SUP>"
    assert "Transposed" not in lipschitz.dot("backward")


def test_gradient_flow_labels_multiply_by_a_scalar_without_odot():
    """antisymmetricrnn's δh_{t-1} takes −γ δh̄: the edge reads '−γ' (⊙ is for two vectors); a vector factor
    keeps its ⊙ ('⊙ ε (1 − tanh(h̄)²)'). The same in the TikZ labels."""
    cell = lstmsym.cell("antisymmetricrnn")
    dot = cell.dot("backward")
    assert "label=<−γ>" in dot and "⊙ (−γ)" not in dot
    assert "label=<⊙ ε (1 − tanh(h̄<SUB>t</SUB>)<SUP>2</SUP>)>" in dot
    from lstmsym.render.figures import diagram

    tex = [e.tex for e in diagram(cell.derived, "backward").edges]
    assert r"-\gamma" in tex and not any(r"\odot" in t and r"\gamma" in t for t in tex), tex
