"""The verification record: what the suite established for each cell, keyed by a digest of what the checks
actually execute: the spec, the cell's generated NumPy module (which holds every derived forward and backward
statement as code) and the sources of the checking machinery (found by a table of modules, never by a glob over
the whole engine). An edit to a printer, a template of a document or a diagram leaves every entry valid; an edit
that changes a cell's derived code invalidates that cell only; an edit to the checks invalidates all of them."""

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
#: The checking machinery: the modules that run a kept check, and the model facts they interpret a cell with.
CHECK_SOURCES = ("verify/suite.py", "verify/numeric.py", "verify/symbolic.py", "verify/direct.py",
                 "verify/interpret.py", "verify/sampling.py", "verify/domains.py", "verify/flow.py",
                 "verify/worked.py", "verify/loader.py", "verify/record.py", "model/functions.py",
                 "model/vector_ops.py", "model/arrays.py", "model/along.py", "model/sizes.py", "derive/flow.py", "derive/gates.py")
#: What the record keeps of a suite run (the timing and the PyTorch part vary with the machine).
KEPT = ("symbolic", "finite_differences")


@lru_cache(maxsize=1)
def checks_digest() -> str:
    """sha256 over the checking machinery's sources."""
    digest = hashlib.sha256()
    for name in CHECK_SOURCES:
        digest.update(name.encode() + (PACKAGE / name).read_bytes())
    return digest.hexdigest()


def cell_digest(derived: Derived) -> str:
    """The spec's texts, the cell's generated code and the checks: what decides the cell's entry."""
    from ..render.numpy_module import export_numpy

    spec = derived.cell.spec
    text = spec.text.encode() + "".join(spec.base_texts).encode() + export_numpy(derived).encode()
    return hashlib.sha256(text + checks_digest().encode()).hexdigest()[:32]


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
