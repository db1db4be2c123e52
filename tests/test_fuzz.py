"""Fuzzing: generated spec files and formulas, broken at the character and at the grammar level.

Nothing may raise anything but lstmsym's own errors. The normal suite runs a few hundred cases per test;
the dedicated run uses LSTMSYM_FUZZ_EXAMPLES (e.g. 10000):
    LSTMSYM_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -q"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CELLS, SPECS
from conftest import derived_cell
from lstmsym.base.errors import LstmsymError
from lstmsym.derive.derived import Derived
from lstmsym.model.cell import Cell
from lstmsym.model.names import CALLABLE
from lstmsym.render.facts import notation
from lstmsym.render.numpy_module import export_numpy
from lstmsym.spec.files import spec_from_text
from lstmsym.verify.formula import read_formula

EXAMPLES = int(os.environ.get("LSTMSYM_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES < 1000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
BASE = (CELLS / "gru.toml").read_text()
H_LINE = 'h = "z * h_prev + (1 - z) * h_tilde"'
NAMES = ["x", "h_prev", "z", "r", "h_tilde", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h", "W_z", "U_z", "b_z", "I",
         "q", "h", "alpha", "_x", "W__x", "d_x", "x_bar", "T"]
#: Every call the language knows (the function table and the structural calls, so a new one is fuzzed the day it
#: is added), and names it does not (a misspelling, a Python builtin, d and next from `check` formulas).
FUNCS = sorted(CALLABLE) + ["sigmod", "eval", "d", "next"]
ALPHABET = st.sampled_from(list("abcxyzhWU_0123456789 +-*/@().,=[]{}'\"\\#$%&|:;<>?!~`^\n\t") + ["\x00", "é"])


def load(text: str) -> None:
    """Everything a spec goes through: read, check, derive, export. Only our errors may escape."""
    try:
        export_numpy(Derived(Cell(spec_from_text(text, "fuzz.toml"))))
    except LstmsymError:
        pass


@st.composite
def expressions(draw, depth: int = 0):
    if depth > 3 or draw(st.booleans()) and depth > 0:
        return draw(st.one_of(st.sampled_from(NAMES), st.sampled_from(["0", "1", "0.5", "2", "1e-3", "1e40", "-1"])))
    kind = draw(st.sampled_from(["binop", "call", "neg", "paren", "transpose", "power"]))
    if kind == "binop":
        op = draw(st.sampled_from(["+", "-", "*", "/", "@"]))
        return f"{draw(expressions(depth + 1))} {op} {draw(expressions(depth + 1))}"
    if kind == "call":
        func = draw(st.sampled_from(FUNCS))
        args = draw(st.lists(expressions(depth + 1), min_size=1, max_size=3))
        return f"{func}({', '.join(args)})"
    if kind == "neg":
        return f"-{draw(expressions(depth + 1))}"
    if kind == "transpose":
        return f"{draw(st.sampled_from(NAMES))}.T @ {draw(expressions(depth + 1))}"
    if kind == "power":
        return f"({draw(expressions(depth + 1))}) ** {draw(st.sampled_from(['2', '0.5', '-1', '3', '100', 'x']))}"
    return f"({draw(expressions(depth + 1))})"


@FUZZ
@given(position=st.floats(0, 1), junk=st.lists(st.one_of(ALPHABET, st.sampled_from(["**", ".T", "@", "sigmoid("])), min_size=1, max_size=8).map("".join), replace=st.integers(0, 8))
def test_character_level(position, junk, replace):
    at = int(position * len(BASE))
    load(BASE[:at] + junk + BASE[at + replace:])


@FUZZ
@given(expr=expressions(), which=st.sampled_from(["h_tilde", "h", "z"]))
def test_grammar_level(expr, which):
    lines = {"h": H_LINE, "z": 'z = "sigmoid(W_z @ x + U_z @ h_prev + b_z)"',
             "h_tilde": 'h_tilde = "tanh(W_h @ x + U_h @ (r * h_prev) + b_h)"'}
    load(BASE.replace(lines[which], f"{which} = '{expr}'"))


@FUZZ
@given(expr=expressions())
def test_formulas(expr):
    d = derived_cell("lstm")
    try:
        read_formula(d, notation(d), expr)
    except LstmsymError:
        pass


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    load(text)


CONSTRUCTS = sorted(SPECS.glob("construct_*.toml"))


@FUZZ
@given(which=st.sampled_from(CONSTRUCTS), line=st.integers(0, 50), expr=expressions(),
       extra=st.lists(st.sampled_from(["C", "A", "q", "k", "K", "s", "v", "mu", "var", "t", "dt", "blocks"]), max_size=3))
def test_grammar_level_new_constructs(which, line, expr, extra):
    """The new grammar (reductions, side inputs, heads, matrix states, outer products, convolutions): any
    equation of a construct spec replaced by a generated expression over its own names and the usual ones."""
    import re

    text = which.read_text()
    equations = [m for m in re.finditer(r'^(\w+) = "(.*)"$', text.split("[equations]", 1)[1], re.M)]
    if not equations:
        return
    target = equations[line % len(equations)]
    for name in extra:
        expr = f"{expr} * {name}" if line % 2 else f"sum({name}) + {expr}"
    head, tail = text.split("[equations]", 1)
    load(head + "[equations]" + tail.replace(target.group(0), f"{target.group(1)} = '{expr}'", 1))
