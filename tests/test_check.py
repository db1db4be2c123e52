"""`lstmsym check` and `lstmsym grad`: right formulas accepted, wrong ones explained (missing and extra terms,
each with its own path), quickly; every formula `grad` prints is accepted back; mutated formulas are caught."""

from __future__ import annotations

import time

import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.model.vector_ops import MatTVec, MatVec, Outer
from lstmsym.printing.text import text
from lstmsym.render.facts import notation
from lstmsym.render.gradview import gradient_view
from lstmsym.verify.check import check_formula

SEED_CELLS = ["rnn", "lstm", "peephole", "cifg", "gru", "gru_reset_after"]


def verdict(cell: str, wrt: str, formula: str, bptt: bool = False):
    d = derived_cell(cell)
    return check_formula(d, notation(d), wrt, formula, bptt=bptt)


@pytest.mark.parametrize("wrt, formula", [
    ("c_prev", "(d_c_in + d_h_in * o * (1 - tanh(c)**2)) * f"),
    ("c_prev", "d_c * f"),
    ("f_bar", "d_c * c_prev * f * (1 - f)"),
    ("W_f", "outer((d_c_in + d_h_in * o * (1 - tanh(c) ** 2)) * c_prev * f * (1 - f), x)"),
    ("h_prev", "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar"),
    ("b_o", "d_h_in * tanh(c) * o * (1 - o)"),
])
def test_accepts_correct_formulas(wrt, formula, cli):
    code, out, err = cli("check", "lstm", "--wrt", wrt, "--formula", formula)
    assert code == 0, out + err
    assert out.startswith("equivalent: ")


def test_missing_tanh_path_with_counterexample(cli):
    code, out, _ = cli("check", "lstm", "--wrt", "c_prev", "--formula", "d_c_in * f")
    assert code == 1
    assert out.startswith("not equivalent: d_c_prev != d_c_in * f")
    assert "  missing: d_h_in * f * o * (1 - tanh(c) ** 2)  (path c_prev -> c -> h)\n" in out
    assert "extra:" not in out
    assert "counterexample:\n  sizes: m=3, n=5" in out and "your formula gives" in out and "the derived one gives" in out
    assert "correct formula:\n  d_c_prev = d_c * f" in out


@pytest.mark.parametrize("cell, wrt, formula, missing, extra", [
    # the examples, each answered as it should be
    ("gru", "z", "d_h_in * h_prev", ["-d_h_in * h_tilde  (path z -> h)"], []),
    ("lstm", "h_prev", "U_i.T @ d_i_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar", ["U_f.T @ d_f_bar  (path h_prev -> f -> c)"], []),
    ("antisymmetricrnn", "h_prev", "W.T @ d_h_bar - W @ d_h_bar + d_h_in", ["-gamma * d_h_bar  (path h_prev -> h)"], []),
    ("lstm", "h_prev", "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar + d_h_in", [], ["d_h_in"]),
    ("lstm", "d_h_in", "next(U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar)", ["dloss_h"], []),
])
def test_explanations(cell, wrt, formula, missing, extra):
    v = verdict(cell, wrt, formula)
    assert not v.equivalent
    assert v.missing == missing and v.extra == extra


def test_shape_is_checked_first_at_distinct_sizes():
    v = verdict("lstm", "W_f", "d_f_bar")
    assert v.reason == "shape mismatch: your formula is a vector of shape n, d_W_f is a matrix of shape n x m (sizes m=3, n=5)"
    v = verdict("lstm", "W_f", "outer(x, d_f_bar)")
    assert v.reason.startswith("shape mismatch: your formula is a matrix of shape m x n, d_W_f is a matrix of shape n x m")


@pytest.mark.parametrize("cell", lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("construct_*.toml")))
def test_every_printed_formula_is_accepted(cell):
    """Everything `grad` prints parses back and is equivalent to itself (incl. d(...) and matrix expressions)."""
    d = derived_cell(cell)
    view = gradient_view(d)
    for section in view["sections"]:
        for entry in section["entries"]:
            v = check_formula(d, notation(d), entry["target"], entry["text"], points=2)
            assert v.equivalent, (entry, v)
    for rec in view["recurrences"]:
        assert check_formula(d, notation(d), rec["target"], rec["text"], points=2).equivalent


def test_bptt_formulas_sum_over_time():
    assert verdict("lstm", "W_f", "outer(d_f_bar, x)", bptt=True).equivalent
    v = verdict("lstm", "W_f", "outer(d_f, x)", bptt=True)
    assert not v.equivalent and v.missing and v.extra == ["d_f . x"] or not v.equivalent


def mutations(d, statements):
    """(what, mutated formula, expected phrase) for dropping, duplicating and transposing each term."""
    n = notation(d)
    for st in statements:
        terms = list(sympy.Add.make_args(st.expr))
        for index, term in enumerate(terms):
            rest = sympy.Add(*(terms[:index] + terms[index + 1:]))
            if len(terms) > 1:
                yield st, text(rest, n), "missing", text(term, n)
            yield st, text(st.expr + term, n), "extra", text(term, n)
            flipped = term.replace(lambda e: isinstance(e, MatTVec), lambda e: MatVec(*e.args)) \
                .replace(lambda e: isinstance(e, Outer), lambda e: Outer(e.args[1], e.args[0]))
            if flipped != term:
                yield st, text(rest + flipped, n), "transposed", text(term, n)


@pytest.mark.parametrize("cell", SEED_CELLS + ["antisymmetricrnn", "slstm", "lstmp", "fastgrnn"])
def test_mutated_formulas_are_caught_and_named(cell):
    d = derived_cell(cell)
    n = notation(d)
    for st, formula, kind, term in mutations(d, d.backward.statements):
        v = check_formula(d, n, text(st.symbol, n), formula, points=2)
        assert not v.equivalent, (st.target, kind, formula)
        named = "\n".join(v.missing + v.extra)
        if kind == "missing":
            assert any(line.startswith(term) for line in v.missing), (formula, v)
        elif kind == "extra":
            assert any(line.startswith(term) for line in v.extra), (formula, v)
        else:
            assert v.reason.startswith("shape mismatch") or term.lstrip("-") in named or "@" in named, (formula, v)


def test_verdicts_are_quick():
    """Any verdict on any built-in cell in well under 2 s (the benchmark prints the slowest)."""
    slowest = 0.0
    for cell in ["lstm_fgr", "peephole", "slstm", "lstm_niaf"]:
        started = time.perf_counter()
        verdict(cell, "h_prev", "d_h_in")
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 2.0


def test_formula_errors_exit_2(cli):
    code, _, err = cli("check", "lstm", "--wrt", "c_prev", "--formula", "d_c * ff")
    assert code == 2
    assert err == "lstmsym: error: <formula>:1:7: unknown name 'ff'; expected a name listed by `lstmsym grad lstm`; did you mean 'f'?\n"
    code, _, err = cli("check", "lstm", "--wrt", "c_prve", "--formula", "f")
    assert code == 2 and "did you mean 'c_prev'?" in err


def test_grad_text_lists_names_and_recurrences(cli):
    out = cli("grad", "lstm")[1]
    assert "  d_c = d_c_in + d_h_in * o * (1 - tanh(c) ** 2)" in out
    assert "  d_c_prev = d_c * f" in out
    assert "  d_c_in = next(d_c * f)" in out
    assert "  incoming adjoints: d_h_in, d_c_in" in out


def test_grad_json_and_latex(cli, cli_json):
    view = cli_json("grad", "gru")
    assert view["schema"] == "lstmsym.grad/1" and view["cell"] == "gru" and view["incoming"][0]["name"] == "d_h_in"
    assert cli("grad", "gru", "--format", "json")[1] == cli("grad", "gru", "--json")[1]
    latex = cli("grad", "peephole", "--format", "latex")[1]
    assert r"\delta c_{t-1} &=" in latex and r"\sum_{t=1}^{T}" in latex


def test_verify_cli(cli):
    code, out, _ = cli("verify", "lstm", "--steps", "2", "--seed", "3")
    assert code == 0 and "lstm" in out and "1/1 cells verified" in out


def test_verify_exit_status_on_mismatch(monkeypatch, cli):
    from lstmsym.verify import suite, symbolic

    real = symbolic.symbolic_check

    def wrong(derived, **kwargs):
        result = real(derived, **kwargs)
        return symbolic.SymbolicResult(result.cell, result.sizes, result.steps, result.checked, 0.5, "W[0,0]")

    monkeypatch.setattr(suite, "symbolic_check", wrong)
    code, out, _ = cli("verify", "rnn")
    assert code == 1 and "MISMATCH" in out


def test_transposed_matrix_state_in_formulas(cli):
    """S.T @ q with a matrix state S (not square): q's adjoint is S dy, not S.T dy; .T works in formulas too."""
    spec = str(SPECS / "construct_matrix_transpose.toml")
    right = "S @ (d_y_in * (1 - tanh(S.T @ q) ** 2)) + S_prev @ (0.5 * d_y_in)"
    code, out, _ = cli("check", spec, "--wrt", "q", "--formula", right)
    assert code == 0 and out.startswith("equivalent"), out
    code, out, _ = cli("check", spec, "--wrt", "S_prev", "--formula", "f * d_S + 0.5 * outer(q, d_y_in)")
    assert code == 0 and out.startswith("equivalent"), out
    code, out, _ = cli("check", spec, "--wrt", "q", "--formula", right.replace("S @", "S.T @", 1))
    assert code == 1 and "correct formula" in out, out


def test_d_of_an_operand_the_backward_writes_out_is_a_one_line_error(cli):
    """`d(C @ q)` names an operand whose adjoint no quantity holds (the backward inlines it): it used to end in a
    KeyError traceback; it is an error at the d(...) that lists the adjoints a formula may name."""
    spec = str(SPECS / "construct_matrix_state.toml")
    code, out, err = cli("check", spec, "--wrt", "q", "--formula", "C.T @ d(C @ q)")
    assert code == 2 and "Traceback" not in err
    assert err.startswith("lstmsym: error: <formula>:1:7: d(C @ q) is written out by the backward") and "d(dot(z, q))" in err


def test_operations_along_the_units_in_formulas(cli):
    """cumsum's adjoint is the reversed cumulative sum (not the cumulative sum), softmax's s * (g - sum(s * g))."""
    spec = str(SPECS / "construct_cumulative.toml")
    right = "revcumsum(d_h_in * sigmoid(a) * (1 - tanh(cumsum(g)) ** 2))"
    code, out, _ = cli("check", spec, "--wrt", "g", "--formula", right)
    assert code == 0 and out.startswith("equivalent"), out
    code, out, _ = cli("check", spec, "--wrt", "g", "--formula", right.replace("revcumsum", "cumsum", 1))
    assert code == 1 and "correct formula" in out, out
    spec = str(SPECS / "construct_softmax.toml")
    s = "softmax(W @ x + U @ h_prev + b)"
    code, out, _ = cli("check", spec, "--wrt", "p", "--formula", "d_h_in * (1 - f) * (1 - tanh(p) ** 2)")
    assert code == 0, out
    code, out, _ = cli("check", spec, "--wrt", "W @ x + U @ h_prev + b", "--formula", f"{s} * (d_p - sum({s} * d_p))")
    assert code == 0 and out.startswith("equivalent"), out
    code, out, _ = cli("check", spec, "--wrt", "W @ x + U @ h_prev + b", "--formula", f"{s} * d_p")
    assert code == 1 and "correct formula" in out, out
