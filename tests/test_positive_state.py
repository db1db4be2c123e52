"""A state declared `positive` is sampled positive by every check; anything else is an error with a location."""

import subprocess
import sys

import numpy as np

from lstmsym.model.loading import load_cell
from lstmsym.verify.sampling import STATE_FLOOR, random_states


def test_positive_state_is_sampled_positive_and_others_keep_their_sign():
    cell = load_cell("slstm")
    states = random_states(cell, {"m": 3, "n": 5}, 64, np.random.default_rng(0))
    assert (states["n"] >= STATE_FLOOR).all()
    assert (states["c"] < 0).any() and (np.abs(states["c"]) >= STATE_FLOOR).all()
    assert [s.name for s in load_cell("xlstm_slstm").states if s.positive] == ["n"]


def test_positive_must_be_a_boolean(tmp_path):
    spec = tmp_path / "bad.toml"
    spec.write_text('name = "bad"\n[sizes]\nm = "input"\nn = "hidden"\n[input]\nx = "m"\n'
                    '[state.h]\nsize = "n"\npositive = "yes"\n[parameters]\nW = "w"\n'
                    '[equations]\nh = "tanh(W @ x) + h_prev"\n')
    run = subprocess.run([sys.executable, "-m", "lstmsym.cli", "show", str(spec)], capture_output=True, text=True)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "bad.toml:9:" in run.stderr and "'positive' of state 'h' is a string" in run.stderr and "true or false" in run.stderr
