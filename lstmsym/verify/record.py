"""The verification record: what the suite established for each cell, keyed by a digest of the spec and of
every file of the engine (found by glob, never by a hand list), so a build reports it without re-running
unchanged checks and a change anywhere in the engine invalidates every entry."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..base.jsonio import dumps
from ..derive.derived import Derived
from .suite import run_suite

PACKAGE = Path(__file__).resolve().parent.parent
#: The engine: everything that decides what a cell computes, how it is turned into code, and how it is checked.
ENGINE_GLOBS = ("base/*.py", "spec/*.py", "model/*.py", "derive/*.py", "verify/*.py", "interop/*.py",
                "printing/numpy_code.py", "render/numpy_module.py", "render/numpy_forward.py", "render/functional.py",
                "render/helpers.py", "render/templating.py", "render/inits.py")
ENGINE_TEMPLATES = ("numpy_module.py.j2", "numpy_helpers.py.j2", "init_helpers.py.j2")
#: What the record keeps of a suite run (the timing and the PyTorch part vary with the machine).
KEPT = ("symbolic", "finite_differences")


@lru_cache(maxsize=1)
def engine_digest() -> str:
    """sha256 over the engine's sources and the code templates."""
    from ..render.templating import templates_dir

    digest = hashlib.sha256()
    paths = sorted({p for pattern in ENGINE_GLOBS for p in PACKAGE.glob(pattern)})
    for path in paths + [templates_dir() / name for name in ENGINE_TEMPLATES]:
        digest.update(path.relative_to(path.parent.parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cell_digest(derived: Derived) -> str:
    spec = derived.cell.spec
    text = spec.text.encode() + "".join(spec.base_texts).encode()
    return hashlib.sha256(text + engine_digest().encode()).hexdigest()[:32]


def run_checks(derived: Derived) -> dict[str, Any]:
    """The record entry of a cell: the suite with fixed sizes and seeds (a deterministic outcome)."""
    row = run_suite(derived, use_torch=False)
    entry = {key: {k: v for k, v in row[key].items() if k != "max_error"} for key in KEPT}
    entry["flow"] = flow_entry(derived)
    entry["worked"] = worked_entry(derived)
    entry["digest"] = cell_digest(derived)
    return entry


def worked_entry(derived: Derived) -> dict[str, Any]:
    """One step on a tiny fixed example, every quantity in equation order (numbers to 3 decimals)."""
    from .worked import worked_step

    return worked_step(derived)


def flow_entry(derived: Derived) -> dict[str, Any]:
    """The gradient-survival profile (3 significant digits: what the documents print and plot)."""
    from .flow import profile, profile_sizes

    measured = profile(derived, profile_sizes(derived.cell))
    return {"steps": list(measured.steps), "median": [float(f"{v:.3g}") for v in measured.median],
            "low": [float(f"{v:.3g}") for v in measured.low], "high": [float(f"{v:.3g}") for v in measured.high],
            "sizes": measured.sizes}


def load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def status(derived: Derived, record: dict[str, Any]) -> dict[str, Any]:
    """The cell's entry, from the record when its digest still matches, else freshly checked."""
    entry = record.get(derived.cell.name)
    if entry is None or entry.get("digest") != cell_digest(derived):
        entry = run_checks(derived)
    return json.loads(json.dumps(entry, sort_keys=True))


def record_text(record: dict[str, Any]) -> str:
    return dumps(json.loads(json.dumps(dict(sorted(record.items())), sort_keys=True)))


def passed(entry: dict[str, Any]) -> bool:
    return bool(entry and entry["symbolic"]["ok"] and entry["finite_differences"]["ok"])
