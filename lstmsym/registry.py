"""Find cells: built-in spec files shipped with the package, aliases, or a path to a user's spec."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from .cell import Cell
from .errors import UnknownCellError, did_you_mean
from .spec import load_spec

CELLS_DIR = Path(__file__).resolve().parent / "cells"


def builtin_paths() -> dict[str, Path]:
    """Built-in cell name -> spec file, sorted by name."""
    return {path.stem: path for path in sorted(CELLS_DIR.glob("*.toml"))}


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Alias -> built-in cell name, read from the specs' `aliases` lists."""
    found: dict[str, str] = {}
    for name, path in builtin_paths().items():
        with path.open("rb") as handle:
            for alias in tomllib.load(handle).get("aliases", []):
                found[alias] = name
    return found


def builtin_names() -> list[str]:
    return list(builtin_paths())


def resolve(name_or_path: str | Path) -> Path:
    """The spec file for a built-in name, an alias, or a path; UnknownCellError lists the valid names."""
    text = str(name_or_path)
    paths = builtin_paths()
    if text in paths:
        return paths[text]
    if text in aliases():
        return paths[aliases()[text]]
    path = Path(text)
    if path.suffix == ".toml" or path.exists() or "/" in text:
        return path
    names = sorted(paths) + sorted(aliases())
    hint = did_you_mean(text, names)
    raise UnknownCellError(
        f"unknown cell '{text}'; expected a spec file path or one of: {', '.join(sorted(paths))}"
        + (f"; {hint}" if hint else "")
    )


@lru_cache(maxsize=256)
def _load(path: str, stamp: tuple[int, int]) -> Cell:
    return Cell(load_spec(path))


def cell(name_or_path: str | Path) -> Cell:
    """A built-in cell by name (or alias), or a cell from a spec file path (cached while the file is unchanged)."""
    path = resolve(name_or_path)
    try:
        info = path.stat()
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        return Cell(load_spec(path))
    return _load(str(path), stamp)


def canonical(name: str) -> str:
    """The built-in name behind an alias (or the name itself)."""
    return aliases().get(name, name)
