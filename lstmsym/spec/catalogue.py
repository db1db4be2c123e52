"""The built-in cells: spec files shipped with the package, their aliases, and how a name or path is resolved.
Nothing here builds a cell; it only finds spec files."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from ..base.errors import UnknownCellError, did_you_mean

CELLS_DIR = Path(__file__).resolve().parent.parent / "cells"


@lru_cache(maxsize=1)
def builtin_paths() -> dict[str, Path]:
    """Built-in cell name -> spec file, sorted by name."""
    return {path.stem: path for path in sorted(CELLS_DIR.glob("*.toml"))}


@lru_cache(maxsize=1)
def raw_specs() -> dict[str, dict]:
    """Every built-in spec's raw TOML data (for listings that need no derivation)."""
    out = {}
    for name, path in builtin_paths().items():
        with path.open("rb") as handle:
            out[name] = tomllib.load(handle)
    return out


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Alias -> built-in cell name, read from the specs' `aliases` lists."""
    return {alias: name for name, data in raw_specs().items() for alias in data.get("aliases", [])}


def builtin_names() -> list[str]:
    return list(builtin_paths())


def canonical(name: str) -> str:
    """The built-in name behind an alias (or the name itself)."""
    return aliases().get(name, name)


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
    raise UnknownCellError(f"unknown cell '{text}'; expected a spec file path or one of: {', '.join(sorted(paths))}"
                           + (f"; {hint}" if hint else ""))


def cells_with(framework: str) -> list[str]:
    """Names of the built-in cells that have a counterpart in `framework` (a [pytorch] or [keras] table)."""
    return sorted(name for name, data in raw_specs().items() if framework in data)


def family_of(name: str) -> str:
    return raw_specs().get(name, {}).get("family", "other")
