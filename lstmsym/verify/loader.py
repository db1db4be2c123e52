"""Load a generated NumPy module as a Python module (the code is ours, generated from checked names)."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from ..cell import Cell
from ..export import export_numpy

_DIR = Path(tempfile.mkdtemp(prefix="lstmsym-modules-"))


@lru_cache(maxsize=128)
def _load(source: str) -> ModuleType:
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = _DIR / f"cell_{digest}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"lstmsym_generated_{digest}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def numpy_module(cell: Cell) -> ModuleType:
    """The exported reference implementation of `cell`, imported."""
    return _load(export_numpy(cell))


def load_file(path: str | Path) -> ModuleType:
    """Import an exported module written to a file."""
    return _load(Path(path).read_text())
