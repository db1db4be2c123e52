"""Randomised verification at scale: (cell, sizes, steps, batch, seed) drawn at random, derived gradients
against float64 finite differences. The normal suite runs a sample; the dedicated run uses
LSTMSYM_RANDOM_CASES (e.g. 1000):  LSTMSYM_RANDOM_CASES=1000 python -m pytest tests/test_random_verification.py -q"""

from __future__ import annotations

import os
import random

import lstmsym
from conftest import SPECS, derived_cell
from lstmsym.verify.numeric import finite_difference_check

CASES = int(os.environ.get("LSTMSYM_RANDOM_CASES", "60"))


def draw_cases(count: int, seed: int = 20261125) -> list[tuple]:
    rng = random.Random(seed)
    names = lstmsym.builtin_names() + sorted(str(p) for p in SPECS.glob("construct_*.toml"))
    cases = []
    for index in range(count):
        name = rng.choice(names)
        sizes = derived_cell(name).cell.size_rules.sample(rng)
        cases.append((index, name, sizes, rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 10**6)))
    return cases


def test_random_cases_against_finite_differences():
    mismatches = []
    for index, name, sizes, steps, batch, seed in draw_cases(CASES):
        result = finite_difference_check(derived_cell(name), seed=seed, steps=steps, batch=batch, sizes=sizes)
        if not result.ok:
            mismatches.append((index, name, sizes, steps, batch, seed, result.max_error, result.worst))
    print(f"{CASES} random cases, {len(mismatches)} mismatches")
    assert not mismatches, mismatches
