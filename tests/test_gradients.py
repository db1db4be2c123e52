"""Derived gradients, checked three ways: symbolically at small sizes, by finite differences, by PyTorch; and
proof that the checks read the printed statements (a wrong rule injected through the public seam fails)."""

from __future__ import annotations

import json
import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tomllib

import lstmsym
from conftest import ROOT, SPECS, derived_cell
from dot_reader import calls_in, parse_expr
from lstmsym.derive import backward
from lstmsym.derive.derived import Derived
from lstmsym.model.functions import FUNCTIONS, SPEC_FUNCTIONS
from lstmsym.model.ir import STRUCTURAL
from lstmsym.model import vector_ops
from lstmsym.model.loading import load_cell
from lstmsym.verify.direct import DirectDerivative
from lstmsym.verify.interpret import SymbolicInterpreter
from lstmsym.verify.numeric import finite_difference_check
from lstmsym.verify.record import cell_digest
from lstmsym.verify.suite import run_suite
from lstmsym.verify.symbolic import Unrolled, symbolic_check

CELLS = lstmsym.builtin_names()
SEED_CELLS = ["rnn", "lstm", "peephole", "cifg", "gru", "gru_reset_after"]
TEST_SPECS = sorted(str(p) for p in SPECS.glob("*.toml"))
TORCH_CELLS = [n for n in CELLS if "pytorch" in load_cell(n).spec.frameworks]


def fresh(name: str) -> Derived:
    """Derived facts made anew (not the cached object), for tests that change a rule."""
    return Derived(load_cell(name))


RECORD = json.loads((ROOT / "output" / "verification.json").read_text())


def recorded(name: str, check: str) -> dict | None:
    """The committed verification record's entry of a check for a built-in cell, when the record was made from
    exactly today's spec, generated code and checking machinery (its digest); None otherwise. The record is the
    same check with fixed sizes and seeds, and test_build.test_committed_gallery_is_current reruns any entry whose
    digest no longer matches, so a cell whose derivation changed is checked here again, not trusted."""
    entry = RECORD.get(name)
    return entry[check] if entry and entry["digest"] == cell_digest(derived_cell(name)) else None


@pytest.mark.parametrize("name", CELLS)
def test_symbolic_small_sizes(name):
    entry = recorded(name, "symbolic")
    if entry is not None:
        assert entry["ok"] and entry["entries"] >= 10 and entry["steps"] == 2, entry
        return
    result = symbolic_check(derived_cell(name), steps=2)
    assert result.ok, result
    assert result.checked >= 10 and result.nonzero >= result.checked // 2


@pytest.mark.parametrize("name", [n for n in CELLS if n not in SEED_CELLS])
def test_finite_differences_on_the_record(name):
    """Finite differences at two drawn sizes over 3 steps, from the record when its digest matches (else run)."""
    entry = recorded(name, "finite_differences")
    if entry is not None:
        assert entry["ok"] and entry["entries"] >= 10 and len(entry["sizes"]) == 2, entry
        return
    from lstmsym.verify.suite import run_suite

    assert run_suite(derived_cell(name), use_torch=False)["finite_differences"]["ok"]


@pytest.mark.parametrize("name", SEED_CELLS)
@pytest.mark.parametrize("sizes, steps", [({"m": 3, "n": 3}, 2), ({"m": 1, "n": 3}, 1), ({"m": 3, "n": 1}, 2)])
def test_symbolic_up_to_three(name, sizes, steps):
    assert symbolic_check(derived_cell(name), sizes=sizes, steps=steps, seed=7).ok


def test_direct_derivative_equals_sympy_diff():
    """The memoised differentiation used by the symbolic check gives what sympy.diff gives."""
    d = derived_cell("gru")
    problem = Unrolled(d, {"m": 1, "n": 2}, 2, random.Random(3))
    loss = problem.loss(SymbolicInterpreter(d.cell, {"m": 1, "n": 2}))
    floats = {s: sympy.Float(v, 40) for s, v in problem.point.items()}
    engine = DirectDerivative(floats)
    for symbol in problem.symbols[::3]:
        ours = engine.value(engine.derivative(loss, symbol))
        theirs = sympy.diff(loss, symbol).xreplace(floats)
        assert abs(sympy.N(ours - theirs, 40)) < sympy.Float("1e-35")


@pytest.mark.parametrize("name", SEED_CELLS)
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**16), steps=st.integers(1, 5), batch=st.integers(1, 3))
def test_finite_differences(name, seed, steps, batch):
    """Drawn seeds, sequence lengths and batches on the seed cells (every other built-in cell: from the record
    above; test_random_verification draws random cases over all of them)."""
    result = finite_difference_check(derived_cell(name), seed=seed, steps=steps, batch=batch)
    assert result.ok, result


@pytest.mark.parametrize("path", TEST_SPECS, ids=lambda p: p.split("/")[-1][:-5])
def test_every_construct_and_function_verifies(path):
    """The test-only specs: one per function of the table and per construct of the language."""
    row = run_suite(derived_cell(path), use_torch=False)
    assert row["ok"], row


def test_every_function_has_a_test_spec():
    """Adding a function to the table without a spec that exercises it fails here."""
    called = set()
    for path in TEST_SPECS:  # the calls the specs' equations make, parsed (not substrings: "elu(" is in "relu(")
        for text in tomllib.loads(open(path).read())["equations"].values():
            called |= calls_in(parse_expr(text))
    missing = [name for name in SPEC_FUNCTIONS if name not in called]
    assert not missing, f"functions without a test spec in tests/specs: {missing}"
    assert set(SPEC_FUNCTIONS) <= set(FUNCTIONS)
    # and every structural call (sum, outer, conv, the operators along the units of model.along, ...)
    missing = [name for name in STRUCTURAL if name not in called]
    assert not missing, f"structural calls without a test spec in tests/specs: {missing}"


@pytest.mark.torch
@pytest.mark.parametrize("name", TORCH_CELLS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pytorch_autograd(name, seed):
    from lstmsym.verify.torch_nn import torch_check

    result = torch_check(derived_cell(name), seed=seed, steps=6, batch=3)
    assert result.max_error < 1e-12, result


def test_torch_cells_include_the_seed_ones():
    assert {"rnn", "lstm", "gru_reset_after"} <= set(TORCH_CELLS)


# -- what is printed is what is verified ------------------------------------------------------
def test_a_wrong_matrix_rule_fails_verify(sympy_cache_cleared, monkeypatch):
    """The vector a matrix-vector product reads gets M v instead of M^T v: the statements `grad` prints
    change, and verify fails on the symbolic check and on finite differences."""
    monkeypatch.setitem(backward.RULES, "matvec", lambda cell, op, index, up: vector_ops.MatVec(sympy.Symbol(op.args[0]), up)
                        if index == 1 else vector_ops.Outer(up, sympy.Symbol(op.args[1])))
    row = run_suite(fresh("antisymmetricrnn"), use_torch=False)
    assert not row["symbolic"]["ok"] and not row["finite_differences"]["ok"]


def test_the_antisymmetric_weight_gradient_is_checked(sympy_cache_cleared, monkeypatch):
    """Drop the transpose in what a matrix expression passes down (the issue's injected bug): verify fails."""
    monkeypatch.setattr(backward, "transposed", lambda expr: expr)
    d = fresh("antisymmetricrnn")
    assert "outer(d_h_bar, h_prev) - outer(h_prev, d_h_bar)" not in str(d.backward.statement("d:W").expr)
    row = run_suite(d, use_torch=False)
    assert not row["symbolic"]["ok"] and not row["finite_differences"]["ok"]


def test_a_dropped_loss_term_in_the_recurrence_fails(sympy_cache_cleared, monkeypatch):
    """The printed BPTT recurrence builds each step's incoming adjoint in the code and the symbolic check."""
    from lstmsym.derive import bptt

    real = bptt.BPTT.recurrences.func

    def without_loss(self):
        return [bptt.Recurrence(r.name, r.incoming, r.expr - sum(t for t in sympy.Add.make_args(r.expr)
                                                                if isinstance(t, bptt.LossGrad)), r.carried_from) for r in real(self)]

    monkeypatch.setattr(bptt.BPTT, "recurrences", property(without_loss))
    row = run_suite(fresh("lstm"), use_torch=False)
    assert not row["symbolic"]["ok"] and not row["finite_differences"]["ok"]


def test_a_wrong_function_derivative_fails(sympy_cache_cleared, monkeypatch):
    from lstmsym.model import functions

    monkeypatch.setattr(functions.Softplus, "fdiff", lambda self, argindex=1: functions.Tanh(self.args[0]))
    row = run_suite(fresh(str(SPECS / "fn_softplus.toml")), use_torch=False)
    assert not row["ok"]


def test_a_select_that_drops_its_second_branch_fails(sympy_cache_cleared, monkeypatch):
    """where()'s gradient to b lost: caught only because a mask is drawn as 0 or 1 (drawn from [0, 1], every mask
    entry is non-zero, b is never selected and its zero gradient would look right)."""
    from lstmsym.model.select import Where
    from lstmsym.verify import numeric, sampling

    real = Where.fdiff
    monkeypatch.setattr(Where, "fdiff", lambda self, argindex=1: sympy.S.Zero if argindex == 3 else real(self, argindex))
    path = str(SPECS / "fn_where.toml")
    assert not run_suite(fresh(path), use_torch=False)["finite_differences"]["ok"]
    monkeypatch.setattr(sampling, "select_conditions", lambda cell: set())
    monkeypatch.setattr(numeric, "select_conditions", lambda cell: set())
    assert finite_difference_check(fresh(path)).ok


MINIMAL = sorted(str(p) for p in (SPECS.parent / "minimal").glob("*.toml"))


@pytest.mark.torch
@pytest.mark.parametrize("name", CELLS + TEST_SPECS + MINIMAL, ids=lambda n: n.split("/")[-1])
def test_autograd_through_the_spec_interpreter(name):
    """PyTorch runs the forward equations as parsed (not the derived graph); its autograd must match the
    derived backward of the exported module, for every cell and construct."""
    from lstmsym.verify.torch_spec import spec_torch_check

    for seed in (0, 1):
        result = spec_torch_check(derived_cell(name), seed=seed)
        assert result.max_error < 1e-11, result


def test_verify_draws_sizes_that_exercise_every_construct():
    """verify's numeric checks never draw a degenerate size: kernels 3 wide (a width-1 kernel is its own flip), at
    least two heads and two units under a reduction, and distinct sizes where the rules allow (non-square)."""
    from lstmsym.verify.sampling import check_sizes

    for name in lstmsym.builtin_names():
        cell = derived_cell(name).cell
        for seed in (0, 1):
            sizes = check_sizes(cell, seed)
            kernels = set(cell.size_rules.kernel_sizes)
            assert all(sizes[k] == 3 for k in kernels) and all(v >= 2 for v in sizes.values()), (name, sizes)
            others = [v for k, v in sizes.items() if k not in kernels]
            assert len(set(others)) == min(len(others), 2 if kernels else 4) or len(others) > 4, (name, sizes)


def test_verify_catches_a_convolution_adjoint_without_its_flip(monkeypatch):
    """An injected bug, the generated transposed convolution without its kernel flip, passed `verify` on convgru,
    convlstm and the conv test spec while the checks drew kernels of width 1; with kernels 3 wide the numeric check
    fails (on the smallest of them, with a sample of each array's entries)."""
    from lstmsym.render.numpy_module import export_numpy
    from lstmsym.verify import numeric
    from lstmsym.verify.loader import load_source

    d = derived_cell(str(SPECS / "construct_conv.toml"))
    source = export_numpy(d)
    broken = source.replace("np.flip(kernel, (-2, -1)).swapaxes(0, 1)", "kernel.swapaxes(0, 1)")
    assert broken != source
    with monkeypatch.context() as patch:
        patch.setattr(numeric, "numpy_module", lambda derived: load_source(broken))
        assert not numeric.finite_difference_check(d, seed=0, limit=8).ok
    assert numeric.finite_difference_check(d, seed=0, limit=8).ok
