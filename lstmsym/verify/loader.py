"""Load generated code (ours, generated from checked names) as a Python module."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from types import ModuleType

_DIR = Path(tempfile.mkdtemp(prefix="lstmsym-modules-"))


@lru_cache(maxsize=256)
def load_source(source: str) -> ModuleType:
    """Import generated source (cached by content)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = _DIR / f"cell_{digest}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"lstmsym_generated_{digest}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def numpy_module(derived) -> ModuleType:
    """The exported reference implementation of a cell, imported."""
    from ..render.numpy_module import export_numpy

    return load_source(export_numpy(derived))


def load_file(path: str | Path) -> ModuleType:
    """Import an exported module written to a file."""
    return load_source(Path(path).read_text())
