"""The pictures tell cells apart and speak one language: two built-in cells whose equations differ never get the
same forward picture (the PNG dot draws from the DOT); every figure has a legend and an arrow for the direction of
time; every forward diagram is drawn one way, colah's: the state lines on top, running left to right."""

from __future__ import annotations

import hashlib
import subprocess
from functools import lru_cache

import pytest

import lstmsym
from conftest import need
from dot_reader import parse_dot
from test_diagram_readback import SpecText
from dot_reader import canon


@lru_cache(maxsize=None)
def dot_of(name: str, kind: str) -> str:
    return lstmsym.cell(name).dot(kind)


def equations_of(name: str) -> dict:
    """The cell's equations as written, in one normal form (names as the spec spells them)."""
    text = SpecText(lstmsym.cell(name))
    return {eq: canon(text.equation(eq)) for eq in text.trees}


def picture(source: str) -> str:
    return hashlib.sha256(subprocess.run(["dot", "-Tpng"], input=source.encode(), capture_output=True, check=True).stdout).hexdigest()


@pytest.mark.dot
def test_different_cells_get_different_pictures():
    """Over every pair of built-in cells: the same forward picture only for the same equations (none today)."""
    need("dot")
    seen: dict[str, str] = {}
    for name in lstmsym.builtin_names():
        key = picture(dot_of(name, "cell"))
        if key in seen:
            assert equations_of(seen[key]) == equations_of(name), f"{seen[key]} and {name} differ but are drawn alike"
        seen[key] = name
