"""Shared fixtures. Tests never skip for a missing tool: the README's test command installs them all."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("KERAS_BACKEND", "torch")
# XLA compiles each JAX test's small programs once and runs them on a handful of numbers: compiling is nearly all
# of the time. Without LLVM's expensive passes and at optimisation level 0 the JAX tests take about 30 % less
# (hgrn's, rwkv4's, lru's and rglru's parallel-scan tests: 13.1 s -> 9.0 s); the results agree to the tests' 1e-12.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true")

# The suite draws one fixed sequence of Hypothesis examples, so a run (CI's above all) cannot pass or fail by the
# draw; LSTMSYM_HYPOTHESIS=explore draws fresh examples each run, for hunting.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("LSTMSYM_HYPOTHESIS", "fixed"))

ROOT = Path(__file__).resolve().parent.parent
# Every `python -m lstmsym.cli` a test starts imports this checkout, not whatever lstmsym is installed (an
# editable install made in another folder once sent 32 subprocess tests to a missing copy).
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
CELLS = ROOT / "lstmsym" / "cells"
SPECS = Path(__file__).resolve().parent / "specs"


def pytest_collection_modifyitems(config, items):
    """The slow end-to-end tests start first on both workers. Under xdist's worksteal scheduling (pyproject's
    addopts) each of the two workers starts on one contiguous half of the collection, and a worker that runs out
    steals the tail of the other's queue; so the slow tests are put at the head of each half, alternately. Left
    where they fall, a 100-second test could start last and run alone; put all at the front, one worker got all
    eight (measured: 557 s against 521 s)."""
    slow = [item for item in items if item.get_closest_marker("slow")]
    if not slow:
        return
    rest = [item for item in items if not item.get_closest_marker("slow")]
    first, second = slow[0::2], slow[1::2]
    half = max(0, len(items) // 2 - len(first))
    items[:] = first + rest[:half] + second + rest[half:]


@pytest.fixture
def sympy_cache_cleared():
    """For a test that patches a derivation rule: SymPy's global cache is emptied before and after (request this
    fixture before monkeypatch, so it is torn down after the patch is undone). Without it a derivative taken under
    the wrong rule stays cached, and a later test in the same worker derives the cell wrong (softplus's
    derivative under a patched fdiff failed the spec interpreter's check, only when xdist put them together)."""
    from sympy.core.cache import clear_cache

    clear_cache()
    yield
    clear_cache()


def need(tool: str) -> str:
    """Path of an external program; fail (not skip) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"'{tool}' is not installed; run: sh scripts/setup.sh test")
    return path


def need_module(name: str):
    """A Python module the suite needs, imported; fail (not skip) when it is missing."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.fail(f"Python module '{name}' is not installed; run: sh scripts/setup.sh test")


def derived_cell(name: str):
    """The Derived facts of a built-in cell or a spec path."""
    from lstmsym.derive.derived import derived
    from lstmsym.model.loading import load_cell

    return derived(load_cell(name))


def reference_gradients(derived, seed: int = 5):
    """A sampled case of a cell (sizes 2 to 4, 3 steps, a batch of 2, random parameters, inputs and states), the
    NumPy module's forward on it and its derived backward for a random output gradient `dys`: what a framework's
    automatic differentiation of an exported module is held to."""
    import random
    from types import SimpleNamespace

    import numpy as np

    from lstmsym.verify.loader import numpy_module
    from lstmsym.verify.sampling import random_inputs, random_params, random_states

    cell = derived.cell
    sizes = cell.size_rules.sample(random.Random(2), 2, 4)
    rng = np.random.default_rng(seed)
    params = random_params(cell, sizes, rng)
    inputs = random_inputs(cell, sizes, 3, 2, rng)
    state = random_states(cell, sizes, 2, rng)
    xs = inputs.pop(cell.input)
    ours = numpy_module(derived)
    ys, state_T, cache = ours.forward(params, xs, state, inputs)
    dys = rng.normal(size=ys.shape)
    return SimpleNamespace(params=params, xs=xs, state=state, inputs=inputs, ys=ys, dys=dys,
                           grads=ours.backward(params, cache, dys))


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: cli('show', 'lstm') -> (exit status, stdout, stderr)."""
    from lstmsym.cli.main import main

    def run(*argv: str):
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def cli_json(cli):
    def run(*argv: str) -> dict:
        code, out, err = cli(*argv, "--json")
        assert code in (0, 1), err
        return json.loads(out)

    return run


@pytest.fixture
def spec_file(tmp_path: Path):
    """Write a spec derived from a built-in one, with (old, new) text replacements applied."""

    def make(base: str = "rnn", *replacements: tuple[str, str], name: str = "cell.toml") -> Path:
        text = (CELLS / f"{base}.toml").read_text()
        for old, new in replacements:
            assert old in text, f"{old!r} not in {base}.toml"
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path

    return make

