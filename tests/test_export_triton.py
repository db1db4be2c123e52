"""`export --to triton`: every built-in cell the fused kernels serve, run by Triton's interpreter on the CPU
(TRITON_INTERPRET=1, in subprocesses: it must be set before triton is imported) in float32 and float64 against the
exported PyTorch layer with autograd (outputs, final states, every parameter, input and initial-state gradient);
the refusals, word for word; the fallback above MAX_UNITS; and the core never importing triton or torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import lstmsym
from conftest import ROOT, derived_cell

pytestmark = pytest.mark.torch
RUNNER = ROOT / "tests" / "fused_runner.py"
TOLERANCE = {"float32": 2e-5, "float64": 1e-12}
BATCHES = 2


def served() -> list[str]:
    from lstmsym.render.triton_support import fused_refusal

    return [name for name in lstmsym.builtin_names() if fused_refusal(derived_cell(name)) is None]


def run_runner(*args: str) -> dict:
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    done = subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("batch", range(BATCHES))
@pytest.mark.slow
def test_fused_kernels_match_autograd_under_the_interpreter(batch):
    names = served()[batch::BATCHES]
    results = run_runner(*names)
    failures = []
    for name in names:
        for dtype, tolerance in TOLERANCE.items():
            error = results[name].get(dtype, results[name].get("export"))
            if isinstance(error, str) or error > tolerance:
                failures.append(f"{name} {dtype}: {error}")
    assert not failures, "\n".join(failures)


def test_every_vector_state_cell_is_served():
    """What is refused is refused for its construct: convolutions, matrix states and a softmax along the units."""
    refused = ["convgru", "convlstm", "deltanet", "fast_weights", "gated_deltanet", "gateloop", "mamba2_ssm", "mamba_ssm", "on_lstm", "retnet",
               "xlstm_mlstm"]
    assert sorted(set(lstmsym.builtin_names()) - set(served())) == refused


@pytest.mark.parametrize("name, construct", [
    ("convlstm", "the convolution conv(W_hc, h_prev) (feature-map states)"),
    ("convgru", "the convolution conv(U_h, arg:h_tilde:1) (feature-map states)"),
    ("xlstm_mlstm", "the matrix-valued state C (n x n per sequence): a 16-row batch tile holds 16 n^2 values, past a "
                    "program's registers (64 K 32-bit per SM on an H200) above n = 32; matrix states are not implemented"),
    ("fast_weights", "the matrix-valued state A (n x n per sequence): a 16-row batch tile holds 16 n^2 values, past a "
                     "program's registers (64 K 32-bit per SM on an H200) above n = 32; matrix states are not implemented"),
])
def test_refusals_name_the_construct(name, construct, cli):
    from lstmsym.render.triton_support import SERVES, FusedUnsupported, fused_shape

    with pytest.raises(FusedUnsupported) as info:
        fused_shape(derived_cell(name))
    assert str(info.value) == f"{name}: the fused Triton kernel cannot serve {construct}; it serves {SERVES}"
    code, out, err = cli("export", name, "--to", "triton")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and construct in err


def test_export_is_deterministic_and_the_core_imports_neither_triton_nor_torch():
    from lstmsym.derive.derived import Derived
    from lstmsym.model.loading import load_cell
    from lstmsym.render.triton_module import export_triton

    first = export_triton(derived_cell("xlstm_slstm"))
    assert first == export_triton(Derived(load_cell("xlstm_slstm")))  # derived afresh: not the kept source
    assert "tl.dot" in first and "class FusedXlstmSlstm(XlstmSlstm)" in first
    code = ("import sys, lstmsym.render.exports, lstmsym.cli.main; "
            "assert not {'triton', 'torch'} & set(sys.modules), sorted({'triton', 'torch'} & set(sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_sizes_past_the_chip_fall_back_once_with_a_warning():
    result = run_runner("--fallback")
    assert result == {"warnings": [f"FusedLstm: n per head is 136 > MAX_UNITS = 128: the recurrent tiles do not fit "
                                   f"on-chip; running the PyTorch path (derived backward)"], "error": result["error"]}
    assert result["error"] < 1e-12
