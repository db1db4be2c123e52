"""Cells from names, paths or text, cached while the file is unchanged."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..spec.catalogue import resolve
from ..spec.files import load_spec, spec_from_text
from .cell import Cell


@lru_cache(maxsize=256)
def _load(path: str, stamp: tuple[int, int]) -> Cell:
    return Cell(load_spec(path))


@lru_cache(maxsize=64)
def _from_text(text: str, source: str) -> Cell:
    return Cell(spec_from_text(text, source))


def load_cell(name_or_path: str | Path) -> Cell:
    """A built-in cell by name (or alias), or a cell from a spec file path."""
    path = resolve(name_or_path)
    try:
        info = path.stat()
    except OSError:
        return Cell(load_spec(path))
    return _load(str(path), (info.st_mtime_ns, info.st_size))


def cell_from_text(text: str, source: str = "<text>") -> Cell:
    """A cell from spec text (TOML)."""
    return _from_text(text, source)
