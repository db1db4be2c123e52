"""Examples that can happen (issue 20, part 5): inputs from their declared domains, every gate acting in the worked
example, vectors shown whole, and parameters initialised as the spec's `init` says, in the worked example, in the
gradient-survival profile and in the exported NumPy, PyTorch and JAX modules.

The answer keys are written here from the definitions, never read from lstmsym: the domains' sets, the gates each
paper names, the distributions each init stands for (checked with a Kolmogorov-Smirnov statistic of our own), and
the bounds r_min^T <= survival <= r_max^T that a diagonal recurrence scaled by r in [r_min, r_max] obeys."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import sympy

import lstmsym
from conftest import SPECS, derived_cell

TEST_SPECS = sorted(str(p) for folder in ("specs", "minimal", "equiv") for p in (SPECS.parent / folder).glob("*.toml"))
ALL = lstmsym.builtin_names() + TEST_SPECS
#: Asymptotic Kolmogorov-Smirnov critical value at significance 0.001: a sample of N passes when sqrt(N) D < 1.949.
KS_CRITICAL = 1.949


def worked(name: str) -> dict:
    from lstmsym.verify.worked import worked_step

    return worked_step(derived_cell(name))


def rows(step: dict) -> dict[str, np.ndarray]:
    return {r["name"]: np.asarray(r["values"]) for r in step["rows"]}


# -- input domains ------------------------------------------------------------------------------------------

#: What each domain word means, written out here: a test of membership for one value.
MEMBER = {
    "real": lambda v: np.isfinite(v),
    "positive": lambda v: v > 0,
    "nonnegative": lambda v: v >= 0,
    "binary": lambda v: v in (0.0, 1.0),
    "unit_interval": lambda v: 0 <= v <= 1,
    "count": lambda v: v >= 0 and float(v).is_integer(),
}


@pytest.mark.parametrize("name", ALL)
def test_worked_inputs_lie_in_their_domains(name):
    cell = derived_cell(name).cell
    values = rows(worked(name))
    for item in cell.inputs:
        member = MEMBER.get(item.domain.kind, lambda v, d=item.domain: d.low <= v <= d.high)
        assert all(member(float(v)) for v in values[item.name]), (item.name, item.domain, values[item.name])


def test_builtin_cells_declare_their_domains():
    """The values the papers feed: GRU-D's mask is 0/1 and its gaps are times; times and masses are never negative."""
    declared = {(c, i.name): i.domain.kind for c in lstmsym.builtin_names() for i in derived_cell(c).cell.side_inputs}
    assert declared == {("cfc", "t"): "nonnegative", ("gru_d", "mask"): "binary", ("gru_d", "delta"): "nonnegative", ("mc_lstm", "xm"): "nonnegative",
                        ("phased_lstm", "t"): "nonnegative", ("time_lstm", "dt"): "nonnegative"}
    assert set(rows(worked("gru_d"))["mask"]) <= {0.0, 1.0}


def test_gradient_checks_sample_the_hull_of_a_domain():
    """Verification draws gaps never negative, and gru_d's mask, now the condition of its where() selects, as exactly
    0 or 1 and both (a mask anywhere in [0, 1] would never take a select's other branch)."""
    from lstmsym.verify.sampling import random_inputs

    cell = derived_cell("gru_d").cell
    drawn = random_inputs(cell, {"m": 3, "n": 4}, 50, 2, np.random.default_rng(0))
    assert sorted(np.unique(drawn["mask"])) == [0.0, 1.0]
    assert np.all(drawn["delta"] >= 0) and np.any(drawn["x"] < 0)


BAD_SPECS = [
    ('mask = { size = "m", domain = "binery" }',
     "{f}:8:22: unknown domain 'binery' of input 'mask'; expected one of binary, count, nonnegative, positive, real, "
     "unit_interval, or an interval [low, high] with low < high, both finite; did you mean 'binary'?"),
    ('mask = { size = "m", domain = [1.0, 1.0] }',
     "{f}:8:22: no value can be drawn from the domain [1, 1] of input 'mask'; expected one of binary, count, nonnegative, "
     "positive, real, unit_interval, or an interval [low, high] with low < high, both finite"),
    ('mask = { size = "m", domain = 3 }',
     "{f}:8:22: the domain of input 'mask' is '3'; expected one of binary, count, nonnegative, positive, real, "
     "unit_interval, or an interval [low, high] with low < high, both finite"),
]
BAD_INITS = [
    ('{ ring = [0.9, 1.2] }', "{f}:14:23: no value can be drawn from init ring = [0.9, 1.2] of parameter 'nu' "
     "(0 <= r_min < r_max <= 1); expected init = { ring = [r_min, r_max] }"),
    ('{ uniform = [1, -1] }', "{f}:14:23: no value can be drawn from init uniform = [1, -1] of parameter 'nu' (low < high); "
     "expected init = { uniform = [low, high] }"),
    ('{ chrono = 2 }', "{f}:14:23: no value can be drawn from init chrono = 2 of parameter 'nu' (it must exceed 2); "
     "expected init = { chrono = T_max }"),
    ('"chrono"', "{f}:14:23: unknown initialisation 'chrono' of parameter 'nu'; expected " + "{all}"
     + "; 'chrono' needs numbers: init = { chrono = T_max }"),
    ('"orthogonal"', "{f}:14:23: init orthogonal of parameter 'nu' needs a matrix, and 'nu' has shape ['n']; "
     "expected orthogonal only on a matrix"),
    ('{ normal = 1.0, fan_in = 1 }', "{f}:14:23: 'fan_in' of parameter 'nu' only goes with normal, as true or false; "
     "expected init = { normal = std } or { normal = std, fan_in = true }"),
    ('{ constant = 1.0, uniform = [0, 1] }', "{f}:14:23: the init of parameter 'nu' has 'constant', 'uniform'; expected {all}"),
]
SPEC = """name = "bad"
[sizes]
m = "input size"
n = "hidden size"

[input]
x = "m"
{mask}
[state.h]
size = "n"

[parameters]
W = "w"
nu = {{ shape = ["n"], init = {init} }}

[equations]
h = "tanh(W @ (mask * x) + h_prev) * nu"
"""


def _error(tmp_path: Path, mask: str, init: str) -> str:
    from lstmsym.base.errors import SpecError
    from lstmsym.model.loading import load_cell

    path = tmp_path / "bad.toml"
    path.write_text(SPEC.format(mask=mask, init=init))
    with pytest.raises(SpecError) as caught:
        load_cell(str(path))
    return str(caught.value).replace(str(path), "{f}")


@pytest.mark.parametrize("mask, expected", BAD_SPECS)
def test_a_domain_nothing_can_be_drawn_from_is_an_error_at_its_place(tmp_path, mask, expected):
    assert _error(tmp_path, mask, '{ uniform = [0, 1] }') == expected


@pytest.mark.parametrize("init, expected", BAD_INITS)
def test_an_init_nothing_can_be_drawn_from_is_an_error_at_its_place(tmp_path, init, expected):
    from lstmsym.spec.inits import EXPECTED

    assert _error(tmp_path, 'mask = { size = "m", domain = "binary" }', init) == expected.replace("{all}", EXPECTED)


def test_a_ring_normalisation_reads_a_ring_declared_before_it(tmp_path):
    text = SPEC.format(mask='mask = "m"', init='{ ring_norm = "W" }')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    from lstmsym.base.errors import SpecError
    from lstmsym.model.loading import load_cell

    with pytest.raises(SpecError, match=r"bad.toml:14:23: init ring_norm of parameter 'nu' reads 'W', which is not a ring "
                       r"parameter declared before it with the same shape; expected a parameter with init = "):
        load_cell(str(path))


# -- every gate acts ----------------------------------------------------------------------------------------

#: The gates each paper names (a quantity kept in [0, 1] by a sigmoid, a decay or a time gate), written from the papers.
PAPER_GATES = {
    "rnn": set(), "lstm": {"i", "f", "o"}, "gru": {"r", "z"}, "peephole": {"i", "f", "o"},
    "gru_d": {"gamma_x", "gamma_h", "z", "r"}, "phased_lstm": {"i", "f", "o", "phi", "k"}, "lru": {"r"},
    "janet": {"c: Sigmoid(s)", "c: Sigmoid(-beta + s)"}, "time_lstm": {"f", "i", "o"},
}


@pytest.mark.parametrize("name", sorted(PAPER_GATES))
def test_the_gates_are_read_off_the_equations(name):
    from lstmsym.derive.gates import gates

    assert {g.label for g in gates(derived_cell(name).cell)} == PAPER_GATES[name]


def _operand(cell, key: str, values: dict[str, np.ndarray], params: dict[str, np.ndarray]) -> np.ndarray:
    """A quantity a gate reads: a printed row, or a matrix-vector product computed here from the parameters."""
    if key in values:
        return values[key]
    if key in params:
        return params[key]
    node = cell.node(key)
    assert node.op == "matvec" and not cell.parameter(node.args[0]).blocks, key
    return params[node.args[0]] @ _operand(cell, node.args[1], values, params)


def _gate_values(cell, gate, values: dict[str, np.ndarray], params: dict[str, np.ndarray]) -> np.ndarray:
    """A gate's units from the worked rows (the exported module's trace): the row itself, or its expression
    evaluated here on the rows' numbers (and products with the example's weights)."""
    if gate.whole and gate.node in values:
        return values[gate.node]
    expr = cell.node(gate.node).expr if gate.whole else gate.expr  # an operand (cumsum(sigmoid(...))) has no row
    operands = {s: (float(cell.constants[s.name]) if s.name in cell.constants else _operand(cell, s.name, values, params))
                for s in expr.free_symbols}
    shape = max((np.shape(v) for v in operands.values()), key=lambda s: (len(s), int(np.prod(s))))
    # a vector with a matrix applies along its rows (the language's rule, diag(v) M): entry (i, j) reads v_i
    spread = {s: np.broadcast_to(np.reshape(v, np.shape(v) + (1,) * (len(shape) - np.ndim(v))) if np.ndim(v) else v, shape)
              for s, v in operands.items()}
    out = []
    for k in range(int(np.prod(shape))):
        point = {s: sympy.Float(float(np.ravel(v)[k])) for s, v in spread.items()}
        out.append(float(expr.xreplace(point)))
    return np.asarray(out)


@pytest.mark.parametrize("name", ALL)
def test_no_gate_is_closed_or_saturated_at_every_unit(name):
    """In the worked example every gate has a unit more than 1e-3 away from both 0 and 1; the values come from the
    printed rows (the exported module's trace), not from the search that chose the seed."""
    from lstmsym.derive.gates import gates
    from lstmsym.verify.loader import numpy_module
    from lstmsym.verify.worked import draw_example

    d = derived_cell(name)
    step = worked(name)
    values = rows(step)
    params = draw_example(d.cell, numpy_module(d), step["sizes"], step["seed"]).params
    for gate in gates(d.cell):
        units = _gate_values(d.cell, gate, values, params)
        assert np.any((np.abs(units) > 1e-3) & (np.abs(units - 1) > 1e-3)), (gate.label, units, step["seed"])
    assert step["stuck"] == []


SATURATED = """name = "saturated"
[sizes]
m = "input size"
n = "hidden size"
[input]
x = "m"
[state.h]
size = "n"
[constants]
big = 12.0
[parameters]
W = "w"
U = "u"
b = "b"
[equations]
g = "sigmoid(W @ x + b + big)"
h = "g * tanh(U @ h_prev)"
"""


def test_a_gate_no_example_can_open_is_reported(tmp_path):
    """sigmoid(W x + b + 12) with weights in +-1/2 and three normal inputs stays above 0.9998: saturated at every unit
    for every seed, and the example says so instead of passing it off as acting."""
    from lstmsym.render.documents import readme_md
    from lstmsym.verify.record import run_checks

    path = tmp_path / "saturated.toml"
    path.write_text(SATURATED)
    step = worked(str(path))
    assert step["stuck"] == ["g"] and np.all(rows(step)["g"] > 0.999)
    assert "no seed tried keeps every gate acting: g stays closed or saturated" in readme_md(derived_cell(str(path)),
                                                                                              run_checks(derived_cell(str(path))))


def test_phased_lstm_time_gate_opens_for_some_unit_and_stays_shut_for_others():
    values = rows(worked("phased_lstm"))
    assert values["k"].max() > 0.05 and values["k"].min() < 0.002, values["k"]
    assert np.all((values["phi"] >= 0) & (values["phi"] < 1))


# -- vectors shown as vectors ---------------------------------------------------------------------------------

def test_per_unit_vectors_are_shown_whole_and_right():
    """lru's r, theta, gamma and phased_lstm's tau have one entry per unit, each computed here from the parameter rows."""
    step = worked("lru")
    values, n = rows(step), step["sizes"]["n"]
    assert all(len(values[q]) == n for q in ("r", "theta", "gamma", "nu_log", "theta_log", "gamma_log"))
    assert np.allclose(values["r"], np.exp(-np.exp(values["nu_log"])), atol=2e-3)
    assert np.allclose(values["theta"], np.exp(values["theta_log"]), atol=5e-3)
    step = worked("phased_lstm")
    values = rows(step)
    assert len(values["tau"]) == step["sizes"]["n"] and len(set(values["tau"].tolist())) == step["sizes"]["n"]
    assert np.allclose(values["tau"], np.exp(values["log_tau"]), rtol=2e-3)


def test_worked_parameters_follow_the_papers_init():
    """The per-unit parameters the documents print are drawn as the papers say (3 printed decimals)."""
    phased, janet, lru = rows(worked("phased_lstm")), rows(worked("janet")), rows(worked("lru"))
    assert np.all((phased["log_tau"] >= 1) & (phased["log_tau"] <= 3)) and np.all((phased["s"] >= 0) & (phased["s"] <= 100))
    assert np.all(janet["b_f"] >= 0) and np.all(janet["b_f"] <= math.log(783) + 1e-3) and np.all(janet["b_c"] == 0)
    assert np.allclose(lru["gamma"], np.sqrt(1 - lru["r"] ** 2), atol=5e-3)


def test_documents_print_every_entry_of_a_vector(tmp_path):
    from lstmsym.render.documents import readme_md, writeup_tex
    from lstmsym.verify.record import run_checks

    d = derived_cell("lru")
    entry = run_checks(d)
    r = entry["worked"]["rows"]
    expected = "[" + ", ".join(f"{v:.3f}" for v in next(row for row in r if row["name"] == "r")["values"]) + "]"
    assert len(expected.split(",")) == entry["worked"]["sizes"]["n"]
    md = readme_md(d, entry)
    assert f"| $r$ | {expected} |" in md
    tex = writeup_tex(d, entry)
    assert f"$r$ & {expected} &" in tex
    assert "nu\\_log: ring(0, 1)" in tex and "nu\\_log: ring(0, 1)" in md


# -- initialisation --------------------------------------------------------------------------------------------

def ks_statistic(sample: np.ndarray, cdf) -> float:
    """sqrt(N) times the largest distance between the sample's empirical CDF and `cdf`."""
    x = np.sort(np.asarray(sample, dtype=float).reshape(-1))
    f = np.asarray([cdf(v) for v in x])
    k = np.arange(1, x.size + 1)
    return math.sqrt(x.size) * max(np.max(k / x.size - f), np.max(f - (k - 1) / x.size))


def uniform_cdf(low, high):
    return lambda v: min(1.0, max(0.0, (v - low) / (high - low)))


def normal_cdf(std):
    return lambda v: 0.5 * (1 + math.erf(v / (std * math.sqrt(2))))


SIZES = {"m": 48, "n": 96, "k": 4}


def check_init_distributions(draws: list[dict[str, np.ndarray]], tol: float) -> None:
    """Every parameter of construct_inits against the distribution its `init` stands for, written out here."""
    pool = {name: np.concatenate([np.asarray(d[name], dtype=float).reshape(-1) for d in draws]) for name in draws[0]}
    m, n = SIZES["m"], SIZES["n"]
    for d in draws:
        w, u = np.asarray(d["W"], dtype=float), np.asarray(d["U"], dtype=float)
        assert np.allclose(w.T @ w, np.eye(m), atol=tol), "W (n x m, n > m) has orthonormal columns"
        for block in u:
            assert np.allclose(block @ block.T, np.eye(n // SIZES["k"]), atol=tol), "each head of U is orthogonal"
        r = np.exp(-np.exp(np.asarray(d["nu"], dtype=float)))
        assert np.allclose(np.exp(2 * np.asarray(d["g"], dtype=float)) + r ** 2, 1.0, atol=tol), "gamma = sqrt(1 - r^2)"
        assert np.all(np.asarray(d["c"]) == np.float32(0.25)), "constant"
    assert ks_statistic(pool["P"], normal_cdf(0.5 / math.sqrt(m))) < KS_CRITICAL, "P"
    uniform = {  # what is uniform, and on which interval: b itself, e^b_f, r^2 = e^(-2 e^nu), theta = e^th, and d
        "b": (pool["b"], -0.3, 0.7), "b_f": (np.exp(pool["b_f"]), 1.0, 49.0),
        "nu": (np.exp(-2 * np.exp(pool["nu"])), 0.25, 0.9025), "th": (np.exp(pool["th"]), 0.0, 3.0),
        "d": (pool["d"], -1 / math.sqrt(n), 1 / math.sqrt(n)),
    }
    for name, (sample, low, high) in uniform.items():
        assert ks_statistic(sample, uniform_cdf(low, high)) < KS_CRITICAL, name
        slack = 0.01 * (high - low)  # inside the interval, and reaching within 1% of both ends
        assert low - 1e-6 <= sample.min() < low + slack and high - slack < sample.max() <= high + 1e-6, name
    assert ks_statistic(pool["P"], normal_cdf(0.5)) > 10 * KS_CRITICAL, "the fan-in scaling is applied"


def _exported(to: str, tmp_path: Path, spec: str = "construct_inits"):
    import importlib.util

    path = tmp_path / f"{spec}_{to}.py"
    path.write_text(lstmsym.cell(str(SPECS / f"{spec}.toml")).export(to))
    loaded = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    return module


def test_numpy_module_init_follows_the_spec(tmp_path):
    module = _exported("numpy", tmp_path)
    check_init_distributions([module.init(SIZES, seed) for seed in range(12)], 1e-10)


@pytest.mark.torch
def test_torch_module_init_follows_the_spec(tmp_path):
    import torch

    module = _exported("torch", tmp_path)
    torch.manual_seed(0)
    draws = []
    for _ in range(12):
        layer = module.ConstructInits(SIZES["m"], SIZES["n"], k=SIZES["k"])
        draws.append({name: getattr(layer, name + "_l0").detach().numpy() for name in module.PARAMETERS})
    check_init_distributions(draws, 2e-5)


@pytest.mark.torch
def test_torch_layout_holds_the_initialised_parameters(tmp_path):
    """With torch.nn's two biases, the cell's bias (their sum) is the constant and its U is orthogonal."""
    import torch

    module = _exported("torch", tmp_path, "construct_layout_init")
    torch.manual_seed(0)
    layer = module.ConstructLayoutInit(5, 7, num_layers=2)
    for suffix in ("_l0", "_l1"):
        u = getattr(layer, "weight_hh" + suffix).detach().numpy()
        total = (getattr(layer, "bias_ih" + suffix) + getattr(layer, "bias_hh" + suffix)).detach().numpy()
        assert np.allclose(u @ u.T, np.eye(7), atol=1e-5) and np.allclose(total, 0.5)
        w = getattr(layer, "weight_ih" + suffix).detach().numpy()
        assert np.abs(w).max() <= 1 / math.sqrt(7) and np.abs(w).max() > 0.5 / math.sqrt(7)


def test_jax_module_init_follows_the_spec(tmp_path):
    import jax

    module = _exported("jax", tmp_path)
    keys = jax.random.split(jax.random.PRNGKey(0), 12)
    check_init_distributions([{k: np.asarray(v) for k, v in module.init(key, SIZES).items()} for key in keys], 2e-5)


# -- gradient survival follows the init ---------------------------------------------------------------------------

def _profile(name: str):
    from lstmsym.verify.flow import profile, profile_sizes

    d = derived_cell(name)
    return profile(d, profile_sizes(d.cell))


def test_lru_ring_bounds_its_gradient_survival(tmp_path):
    """x_t = r (rotation) x_{t-1} + ... per component, so ||(J_T...J_1)^T u|| lies in [r_min^T, r_max^T] for any unit
    u; with the ring [0.9, 0.99] that holds for every T of the profile, and the frameworks' uniform breaks it."""
    ring = tmp_path / "lru_ring.toml"
    ring.write_text('extends = "lru"\nname = "lru_ring"\n\n[parameters]\nnu_log = { role = "nu", init = { ring = [0.9, 0.99] } }\n')
    measured = _profile(str(ring))
    for t, low, high in zip(measured.steps, measured.low, measured.high):
        assert 0.9 ** t * (1 - 1e-9) <= low <= high <= 0.99 ** t * (1 + 1e-9), t
    plain = tmp_path / "lru_plain.toml"
    plain.write_text('extends = "lru"\nname = "lru_plain"\n\n[parameters]\nnu_log = "nu"\ngamma_log = "gamma"\n')
    assert _profile(str(plain)).at(50) < 0.9 ** 50


def test_lru_gradient_survives_where_rnn_vanishes():
    """lru's ring [0, 1]: r^2 uniform, so one step keeps sqrt(E r^2) = sqrt(1/2) of a gradient, and the components near
    |lambda| = 1 carry it through 200 steps; rnn's framework-uniform weights lose it exponentially."""
    lru, rnn = _profile("lru"), _profile("rnn")
    assert abs(lru.at(1) - math.sqrt(0.5)) < 0.1
    assert lru.at(200) > 1e-3 and rnn.at(200) < 1e-20
    assert all(a >= b for a, b in zip(lru.median, lru.median[1:])) and max(lru.high) <= 1.0
