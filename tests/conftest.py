"""Shared fixtures. Tests never skip for a missing tool: the README's test command installs them all."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

ROOT = Path(__file__).resolve().parent.parent
CELLS = ROOT / "lstmsym" / "cells"


def need(tool: str) -> str:
    """Path of an external program; fail (not skip) when it is missing."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"'{tool}' is not installed; run: sh scripts/setup.sh test")
    return path


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
