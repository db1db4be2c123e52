"""Gradient flow: the Jacobian blocks read off the derived backward are checked against torch.autograd's
Jacobian of one step of the spec interpreter (float64), for every cell; their structure is named; the
profile shows what a reader expects of the classic cells."""

from __future__ import annotations

import pytest

import lstmsym
from conftest import SPECS, derived_cell, need_module
from lstmsym.derive.flow import Flow
from lstmsym.verify.flow import check_blocks, profile, profile_sizes

CELLS = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("construct_*.toml"))


@pytest.mark.parametrize("cell", CELLS)
def test_blocks_equal_autograd_jacobians(cell):
    need_module("torch")
    checks = check_blocks(derived_cell(cell), seed=3)
    assert checks
    for c in checks:
        assert c.autograd_error < 1e-10, c
        assert c.chain_error is None or c.chain_error < 1e-10, c


def structure(cell: str) -> dict[tuple[str, str], str]:
    return {(b.row, b.col): b.structure for b in Flow(derived_cell(cell)).blocks}


def test_structures_are_named():
    lstm = structure("lstm")
    assert lstm[("c", "c")] == "diagonal, gated by f"
    assert lstm[("h", "h")] == "through U_f, U_g, U_i, U_o"
    assert structure("rnn")[("h", "h")] == "through U"
    assert structure("gru")[("h", "h")] == "diagonal, gated by z; through U_h, U_r, U_z"
    assert structure("mingru")[("h", "h")] == "diagonal, gated by z"
    assert structure("layernorm_lstm")[("c", "c")] == "diagonal, gated by f"
    assert structure("layernorm_lstm")[("h", "h")].startswith("through a reduction")
    assert structure("convlstm")[("h", "h")] == "through a convolution"


def test_lstm_cell_block_prints_as_the_seed_document_says(cli):
    code, out, _ = cli("flow", "lstm", "--steps", "5", "--seeds", "1")
    assert code == 0
    assert "d c / d c_prev = diag(f)\n      diagonal, gated by f" in out
    assert "d c / d h_prev = diag(f * (1 - f) * c_prev) @ U_f + diag((1 - g ** 2) * i) @ U_g + diag(g * i * (1 - i)) @ U_i" in out


def test_profile_decays_and_the_additive_path_helps():
    """At framework initialisation every cell here vanishes; an RNN faster than the cells with a gated
    additive path once the forget gate is open (f near 1 makes the carousel carry the gradient)."""
    rnn = profile(derived_cell("rnn"), profile_sizes(derived_cell("rnn").cell), (1, 10, 50), seeds=2)
    mingru = profile(derived_cell("mingru"), profile_sizes(derived_cell("mingru").cell), (1, 10, 50), seeds=2)
    assert rnn.at(1) > rnn.at(10) > rnn.at(50)
    assert all(0 < v < 10 for v in rnn.median[:2])
    assert mingru.at(50) > rnn.at(50)


def test_flow_bad_options(cli):
    code, _, err = cli("flow", "lstm", "--steps", "0")
    assert code != 0 and "--steps and --seeds must be positive" in err
