"""`lstmsym check` and `lstmsym grad`: accepting right formulas, rejecting wrong ones with a counterexample."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from lstmsym import verify_report
from lstmsym.verify import symbolic


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmsym.cli", *argv], capture_output=True, text=True)


@pytest.mark.parametrize(
    "wrt, formula",
    [
        ("c_prev", "(d_c_in + d_h_in * o * (1 - tanh(c)**2)) * f"),
        ("c_prev", "d_c * f"),
        ("f_bar", "d_c * c_prev * f * (1 - f)"),
        ("W_f", "outer((d_c_in + d_h_in * o * (1 - tanh(c) ** 2)) * c_prev * f * (1 - f), x)"),
        ("h_prev", "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar + U_o.T @ d_o_bar"),
        ("b_o", "d_h_in * tanh(c) * o * (1 - o)"),
    ],
)
def test_accepts_correct_formulas(wrt, formula):
    result = cli("check", "lstm", "--wrt", wrt, "--formula", formula)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("equivalent: ")


def test_rejects_missing_tanh_path_with_counterexample():
    result = cli("check", "lstm", "--wrt", "c_prev", "--formula", "d_c_in * f")
    assert result.returncode == 1
    out = result.stdout
    assert out.startswith("not equivalent: d_c_prev != d_c_in * f")
    assert "missing term: d_h_in * f * o * (1 - tanh(c) ** 2) (carried by the adjoint arriving at h; path c_prev -> c -> h)" in out
    assert "counterexample:\n  sizes: " in out and "your formula gives" in out and "the derived one gives" in out
    assert "correct formula:\n  d_c_prev = d_c * f" in out
    assert "d_c_prev = (d_c_in + d_h_in * o * (1 - tanh(c) ** 2)) * f" in out


def test_rejects_numerically_when_not_elementwise():
    result = cli("check", "lstm", "--wrt", "h_prev", "--formula", "U_i.T @ d_i_bar + U_f.T @ d_f_bar + U_g.T @ d_g_bar")
    assert result.returncode == 1 and "missing term: U_o.T @ (d_h_in * o * (1 - o) * tanh(c))" in result.stdout


def test_formula_errors_exit_2():
    result = cli("check", "lstm", "--wrt", "c_prev", "--formula", "d_c * ff")
    assert result.returncode == 2
    assert result.stderr == "lstmsym: error: <formula>:1:7: unknown name 'ff'; expected a name listed by `lstmsym grad lstm`; did you mean 'f'?\n"
    result = cli("check", "lstm", "--wrt", "c_prve", "--formula", "f")
    assert result.returncode == 2 and "did you mean 'c_prev'?" in result.stderr


def test_grad_text_lists_names_and_recurrences():
    out = cli("grad", "lstm").stdout
    assert "  d_c = d_c_in + d_h_in * o * (1 - tanh(c) ** 2)" in out
    assert "  d_c_prev = d_c * f" in out
    assert "  d_c_in = next(d_c * f)" in out
    assert "  incoming adjoints: d_h_in, d_c_in" in out


def test_grad_json_and_latex():
    view = json.loads(cli("grad", "gru", "--format", "json").stdout)
    assert view["cell"] == "gru" and view["incoming"][0]["name"] == "d_h_in"
    latex = cli("grad", "peephole", "--format", "latex").stdout
    assert r"\delta c_{t-1} &=" in latex and r"\sum_{t=1}^{T}" in latex


def test_verify_cli_passes_for_seed_cells():
    result = cli("verify", "lstm", "--steps", "2", "--seed", "3")
    assert result.returncode == 0, result.stdout
    assert "lstm" in result.stdout and "ok" in result.stdout


def test_verify_exit_status_on_mismatch(monkeypatch, capsys):
    real = symbolic.symbolic_check

    def wrong(cell, **kwargs):
        result = real(cell, **kwargs)
        return symbolic.SymbolicResult(result.cell, result.sizes, result.steps, result.checked, 0.5, "W[0,0]")

    monkeypatch.setattr(verify_report, "symbolic_check", wrong)
    args = argparse.Namespace(cell="rnn", all=False, steps=2, seed=0, json=False)
    assert verify_report.run(args) == 1
    assert "MISMATCH" in capsys.readouterr().out
