"""Printed formulas read back to the cell: every equation and gradient, in LaTeX and in MathML, is read by a
reader of the printed grammar (lstmsym.verify.readback, which imports no printer) and must equal the derived
expression with the spec's names. Also the naming rules the reader relies on, and the clash warnings."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import sympy

from conftest import CELLS, ROOT, SPECS

BUILT_IN = sorted(p.stem for p in CELLS.glob("*.toml"))
TEST_SPECS = sorted(str(p) for p in SPECS.glob("*.toml"))
#: A spec whose equations are long enough to be broken into lines in both documents.
LONG = str(SPECS / "construct_long_equations.toml")


def read_back_problems(name: str) -> tuple[int, list[str]]:
    """Read back with a fresh Notation, so a patched printing rule applies (the documents use the same class)."""
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.verify.readback_compare import read_back

    return read_back(derived(load_cell(name)))


@pytest.mark.parametrize("name", BUILT_IN + TEST_SPECS)
def test_every_printed_formula_reads_back(name):
    count, problems = read_back_problems(name)
    assert count >= 2
    assert not problems, "\n".join(problems[:5])


def test_read_back_counts_every_formula_of_the_gallery():
    """The number the closing note quotes: every equation, gradient and recurrence, in both notations."""
    total = sum(read_back_problems(name)[0] for name in BUILT_IN)
    assert total > 3000


# -- the reader catches what a printer gets wrong -------------------------------------------------------------
def greek_subscripts(name, form=None):
    """The old rule, which made W_xi print as W_ξ."""
    from lstmsym.spec.display import GREEK, default_form

    form = form or default_form(name)
    return form.main_latex, form.main_text, [GREEK.get(p.latex, (p.latex,))[0] for p in form.subs], \
        [GREEK.get(p.text, (None, p.text))[1] for p in form.subs]


def test_a_greek_subscript_does_not_read_back(monkeypatch):
    import lstmsym.printing.notation as notation_module

    assert not read_back_problems("convlstm")[1]
    monkeypatch.setattr(notation_module, "split_name", greek_subscripts)
    problems = read_back_problems("convlstm")[1]
    assert problems and any("W_{\\xi}" in p or "W_xi" in p for p in problems)


def test_a_lost_bracket_does_not_read_back(monkeypatch):
    from lstmsym.printing.latex import CellLatexPrinter

    assert not read_back_problems("phased_lstm")[1]
    monkeypatch.setattr(CellLatexPrinter, "_operand", lambda self, expr: self._print(expr))
    problems = read_back_problems("phased_lstm")[1]
    assert any("bmod" in p for p in problems)


def test_a_wrong_function_head_does_not_read_back(monkeypatch):
    from lstmsym.model import functions

    info = functions.FUNCTIONS["tanh"]
    monkeypatch.setitem(functions.FUNCTIONS, "tanh", type(info)(**{**info.__dict__, "latex": r"\sigma"}))
    monkeypatch.setitem(functions.BY_CLASS, info.cls, functions.FUNCTIONS["tanh"])
    assert read_back_problems("lstm")[1]


# -- names ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, latex, text, subs", [
    ("W_xi", "W", "W", ("xi",)), ("gamma_f", r"\gamma", "γ", ("f",)), ("alpha", r"\alpha", "α", ()),
    ("h_tilde", r"\tilde{h}", "h̃", ()), ("x_nu", "x", "x", ("nu",)), ("eps", r"\mathit{eps}", "eps", ()),
    ("c_short_hat", r"\hat{c}", "c\u0302", ("short",)),
])
def test_a_name_is_written_by_its_own_letters(name, latex, text, subs):
    from lstmsym.spec.display import default_form

    form = default_form(name)
    assert (form.main_latex, form.main_text, tuple(p.text for p in form.subs)) == (latex, text, subs)


def spec_text(extra: str = "", equations: str = 'h = "tanh(W_xi @ x + U @ h_prev)"', inputs: str = 'x = "m"',
              parameters: str = '"W_xi", "U"') -> str:
    return f"""name = "probe"
parameters = [{parameters}]
[sizes]
m = "input size"
n = "hidden size"
[input]
{inputs}
[state.h]
size = "n"
[equations]
{equations}
{extra}"""


def load(tmp_path: Path, text: str):
    from lstmsym.model.loading import load_cell

    path = tmp_path / "probe.toml"
    path.write_text(text)
    return load_cell(str(path))


def test_convlstm_prints_w_xi_as_its_paper_does():
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.render.facts import notation
    from lstmsym.render.views import equations_view

    printed = " ".join(row["latex"] for row in equations_view(derived(load_cell("convlstm"))))
    assert "W_{xi}" in printed and r"\xi" not in printed
    n = notation(derived(load_cell("convlstm")))
    assert "ξ" not in "".join(g.html + "".join(g.html_subs) for g in n.glyphs.values())


def test_a_display_form_is_used_everywhere(tmp_path):
    from lstmsym.derive.derived import derived
    from lstmsym.printing.html import html
    from lstmsym.printing.latex import latex
    from lstmsym.printing.mathml import mathml
    from lstmsym.printing.notation import Notation

    cell = load(tmp_path, spec_text('[display]\nW_xi = "W_{x,\\\\xi}"\nh = "\\\\tilde{h}"'))
    n = Notation(cell)
    expr = dict(cell.equations)["h"]
    assert r"W_{x,\xi}" in latex(expr, n) and r"\tilde{h}_{t-1}" in latex(expr, n)
    assert "<mi>x,&#958;</mi>" in mathml(expr, n) and "<mi>h&#771;</mi>" in mathml(expr, n)
    assert "W<SUB>x,ξ</SUB>" in html(expr, n)
    from lstmsym.verify.readback import Names, read_formula
    from lstmsym.verify.readback_compare import Canon, equal

    names = Names.of(cell)
    assert equal(read_formula(latex(expr, n), names), Canon(cell)(expr), names)


@pytest.mark.parametrize("form, column, found", [
    ("W_", 11, "found the end"), ("\\\\log\\\\tau", 9, "'\\\\log' where a symbol belongs"), ("\\\\tilde{h}_{x y", 24, "found the end"),
    ("W_{a+b}", 13, "'+' in a subscript"),
])
def test_a_bad_display_form_is_an_error_with_its_place(tmp_path, form, column, found):
    from lstmsym.base.errors import SpecError

    with pytest.raises(SpecError) as info:
        load(tmp_path, spec_text(f'[display]\nW_xi = "{form}"'))
    message = str(info.value)
    assert re.search(rf"probe.toml:13:{column}: display form of 'W_xi': ", message), message
    assert found in message and "expected a display form" in message


def test_a_display_form_for_an_unknown_name_is_an_error(tmp_path):
    from lstmsym.base.errors import SpecError

    with pytest.raises(SpecError, match=r"probe.toml:13:1: a display form for 'W_x', which the spec does not define.*did you mean 'W_xi'"):
        load(tmp_path, spec_text('[display]\nW_x = "W"'))


def test_an_input_named_t_moves_the_step_index_to_j(tmp_path):
    from lstmsym.printing.latex import latex
    from lstmsym.printing.notation import Notation

    cell = load(tmp_path, spec_text(inputs='x = "m"\nt = "n"', equations='h = "tanh(W_xi @ x + U @ h_prev) * t"'))
    n = Notation(cell)
    printed = latex(dict(cell.equations)["h"], n)
    assert "t_{j}" in printed and "h_{j-1}" in printed and "_{t" not in printed


def test_a_quantity_named_sigma_makes_the_sigmoid_spelled_out(tmp_path):
    from lstmsym.printing.latex import latex
    from lstmsym.printing.mathml import mathml
    from lstmsym.printing.notation import Notation

    cell = load(tmp_path, spec_text(equations='sigma = "sigmoid(W_xi @ x)"\nh = "sigma * tanh(U @ h_prev)"'))  # noqa
    n = Notation(cell)
    assert latex(dict(cell.equations)["sigma"], n).startswith(r"\operatorname{sigmoid}")
    assert "<mi>sigmoid</mi>" in mathml(dict(cell.equations)["sigma"], n)
    assert latex(sympy.Symbol("sigma"), n) == r"\sigma_{t}"


def test_names_that_print_alike_are_warned_about_by_name(tmp_path, cli):
    text = spec_text('[display]\nW_x_i = "W_{xi}"', equations='h_in = "W_xi @ x + W_x_i @ x"\nh = "tanh(h_in + U @ h_prev)"',
                     parameters='"W_xi", "W_x_i", "U"')
    path = tmp_path / "probe.toml"
    path.write_text(text)
    code, out, err = cli("show", str(path))
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("lstmsym: warning:")]
    assert any("'W_x_i'" in line and "'W_xi'" in line and "W_xi" in line for line in lines), err
    assert any("adjoint of 'h_in'" in line and "adjoint arriving at 'h'" in line and "d_h_in_1" in line for line in lines), err


def test_no_built_in_cell_has_names_that_print_alike():
    from lstmsym.model.loading import load_cell
    from lstmsym.printing.clashes import clashes
    from lstmsym.printing.notation import Notation

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = {name: clashes(Notation(load_cell(name))) for name in BUILT_IN}
    assert not {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("name", ["tests/specs/construct_matrix_state.toml", "tests/specs/construct_reductions.toml",
                                  "tests/specs/construct_matrix_both_ways.toml", "xlstm_mlstm", "layernorm_lstm", "lstm"])
def test_python_api_equations_print_with_the_specs_names_only(name):
    """sympy.latex of lstmsym.cell(...).equations: no internal names (outer_{arg S 1 k}, red_beta_1) and no
    notation class names (Sigmoid) leak into a user's SymPy objects."""
    import lstmsym

    path = str(CELLS.parent.parent / name) if name.startswith("tests/") else name
    for key, expr in lstmsym.cell(path).equations.items():
        printed = sympy.latex(expr)
        assert not re.search(r"\b(arg|red|mat|outer|matvec)_|Sigmoid|:", printed), (key, printed)


# -- whole documents: the write-up's align* rows and the page's MathML, as the templates laid them out ------------
def document_report(name: str):
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.verify.readback_documents import read_documents

    return read_documents(derived(load_cell(name)))


def committed_report(name: str):
    """A built-in cell's committed write-up and site page, read back: test_committed_gallery_is_current proves they
    are what a build writes today, so they are read as they lie (rendering them again here was 30 s of the suite).
    A test spec is rendered in memory."""
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.verify.readback_documents import read_texts

    if name not in BUILT_IN:
        return document_report(name)
    output = ROOT / "output"
    return read_texts(derived(load_cell(name)), (output / name / f"{name}.tex").read_text(),
                      (output / "site" / f"{name}.html").read_text())


@pytest.mark.parametrize("name", BUILT_IN + TEST_SPECS)
def test_every_displayed_formula_of_the_documents_reads_back(name):
    reports = committed_report(name)
    for notation, report in reports.items():
        assert not report.problems, f"{notation}: " + "\n".join(report.problems[:3])
        assert report.compared >= 2
        assert not report.skipped, report.skipped[:3]  # Jacobian blocks too: Jᵀ applied to δs_t, against the backward


def test_a_split_diagonal_keeps_its_brackets_and_odot():
    """lstm_cifg's dh_t/dh_{t-1} has a diagonal too long for a line; its second line was '1 - tanh^2(c_t) + ...',
    a sum printed without brackets or ⊙, which reads as another matrix."""
    report = document_report("lstm_cifg")["latex"]
    assert not report.problems and report.compared > 30


def test_a_line_break_that_loses_a_term_does_not_read_back(monkeypatch):
    import lstmsym.render.context as context

    # (the unbroken write-up reads back: test_every_displayed_formula_of_the_documents_reads_back[...long_equations])
    original = context.split_latex

    def lossy(*args, **kwargs):
        lines = original(*args, **kwargs)
        return lines[:-1] if len(lines) > 1 else lines

    monkeypatch.setattr(context, "split_latex", lossy)
    context.cell_context.cache_clear()
    try:
        assert document_report(LONG)["latex"].problems
    finally:
        context.cell_context.cache_clear()


def test_the_adjoint_of_a_name_written_delta_is_bracketed():
    """GRU-D's time gap `delta` is written δ_t, as its paper does; its adjoint read δδ_t. It is δ(δ_t) everywhere."""
    import sympy

    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.printing.html import html
    from lstmsym.printing.latex import latex
    from lstmsym.printing.mathml import mathml
    from lstmsym.printing.notation import Notation

    d = derived(load_cell("gru_d"))
    n, adjoint = Notation(d.cell), sympy.Symbol("d:delta")
    assert latex(adjoint, n) == r"\delta\left(\delta_{t}\right)" and html(adjoint, n) == "δ(δ<SUB>t</SUB>)"
    assert "<mo>(</mo><msub><mi>&#948;</mi>" in mathml(adjoint, n)
    assert latex(sympy.Symbol("d:x"), n) == r"\delta x_{t}"  # others unbracketed


def test_a_mathml_line_break_that_loses_a_term_does_not_read_back(monkeypatch):
    """The site breaks a long equation into an <mtable> of lines (printing.mathml_lines); a line lost there is seen."""
    import lstmsym.printing.mathml_lines as lines

    # (the unbroken page reads back: test_every_displayed_formula_of_the_documents_reads_back[...long_equations])
    original = lines._lines
    monkeypatch.setattr(lines, "_lines", lambda *a: (lambda got: got[:-1] if len(got) > 1 else got)(original(*a)))
    assert document_report(LONG)["mathml"].problems


def test_a_long_mathml_equation_is_broken_before_an_operator_into_lines_that_fit():
    from xml.dom import minidom

    from lstmsym.printing.mathml_lines import LINE_EM, display, width

    terms = "<mo>+</mo>".join(f"<msub><mi>W</mi><mi>{k}</mi></msub><msub><mi>x</mi><mi>t</mi></msub>" for k in range(40))
    out = display("<mi>h</mi>", "=", f"<mrow><mi>σ</mi><mrow><mo>(</mo><mrow>{terms}</mrow><mo>)</mo></mrow></mrow>")
    table = minidom.parseString(out).documentElement.firstChild
    assert table.tagName == "mtable" and len(table.childNodes) >= 3
    for row in table.childNodes:
        assert sum(width(cell) for cell in row.childNodes) <= LINE_EM
        assert row.childNodes[1].toxml().count("<msub>") >= 2  # no line is a lone operand
    assert out.count("<mi>W</mi>") == 40 and out.count("<mo>+</mo>") == 39
    assert display("<mi>h</mi>", "=", "<mi>x</mi>") == '<math display="block"><mrow><mi>h</mi><mo>=</mo><mi>x</mi></mrow></math>'
    wide = display("<mi>h</mi>", "=", f"<mfrac><mrow>{terms}</mrow><mi>n</mi></mfrac>")  # sLSTM's Jacobian scrolled
    assert "<mfrac>" not in wide and "<mo>/</mo>" in wide and wide.count("<mtr>") >= 3


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_count_formula_is_written_in_sizes_never_states(name):
    """The parameter formulas of slstm, mlstm and the xLSTM cells printed the sizes m, n as their states m_t, n_t
    (4(1+m_t+n_t)⊙n_t for 4n(m+n+1)): a count is a formula in the sizes, which carry no step index and no ⊙."""
    from lstmsym.derive.counts import factored
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell
    from lstmsym.render.facts import notation
    from lstmsym.render.site import count_mathml

    d = derived(load_cell(name))
    printed = str(count_mathml(d, factored(d.cell.parameter_count()), notation(d)))
    assert "<msub>" not in printed and "&#8857;" not in printed and "⊙" not in printed, printed
