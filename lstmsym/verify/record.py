"""The verification record: what `lstmsym verify` established for each cell, keyed by a digest of the
spec and of the code that derives and checks it, so a build reports it without re-running unchanged checks."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .cell import Cell

PACKAGE = Path(__file__).resolve().parent
SYMBOLIC_SIZES = {"p": 1}
SYMBOLIC_STEPS = 2
FD_STEPS = 3
FD_SEEDS = (0, 1)


#: The code that decides what a cell computes and how it is checked; documents and the CLI are not in it.
ENGINE = ("functions.py", "syntax.py", "parser.py", "locate.py", "spec.py", "inherit.py", "names.py", "shapes.py",
          "infer.py", "lower.py", "cell.py", "ir.py", "backward.py", "bptt.py", "pycode.py", "export.py", "verify/*.py")


@lru_cache(maxsize=1)
def engine_digest() -> str:
    """sha256 over the derivation and verification sources and the NumPy module template: a change to
    any of them invalidates every record."""
    from .templating import templates_dir

    digest = hashlib.sha256()
    paths = sorted({p for pattern in ENGINE for p in PACKAGE.glob(pattern)})
    for path in paths + [templates_dir() / "numpy_module.py.j2"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cell_digest(cell: Cell) -> str:
    source = Path(cell.spec.source)
    text = source.read_bytes() if source.is_file() else cell.spec.name.encode()
    text += "".join(cell.spec.base_texts).encode()
    return hashlib.sha256(text + engine_digest().encode()).hexdigest()[:32]


def run_checks(cell: Cell) -> dict[str, Any]:
    """The symbolic and finite-difference checks, with fixed sizes and seeds (deterministic outcome)."""
    from .verify.numeric import TOLERANCE as FD_TOL
    from .verify.numeric import finite_difference_check
    from .verify.symbolic import TOLERANCE as SYM_TOL
    from .verify.symbolic import symbolic_check

    sizes = {name: SYMBOLIC_SIZES.get(name, 2) for name in cell.sizes}
    sym = symbolic_check(cell, sizes=sizes, steps=SYMBOLIC_STEPS, seed=0)
    fds = [finite_difference_check(cell, seed=seed, steps=FD_STEPS) for seed in FD_SEEDS]
    return {
        "digest": cell_digest(cell),
        "symbolic": {"ok": sym.ok, "sizes": sym.sizes, "steps": sym.steps, "entries": sym.checked,
                     "tolerance": f"{float(SYM_TOL):.0e}"},
        "finite_differences": {"ok": all(r.ok for r in fds), "sizes": [r.sizes for r in fds], "steps": FD_STEPS,
                               "entries": sum(r.checked for r in fds), "tolerance": f"{FD_TOL:.0e}"},
    }


def load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def status(cell: Cell, record: dict[str, Any]) -> dict[str, Any]:
    """The cell's entry, from the record when its digest still matches, else freshly checked."""
    entry = record.get(cell.name)
    if entry is None or entry.get("digest") != cell_digest(cell):
        entry = run_checks(cell)
    return json.loads(json.dumps(entry, sort_keys=True))


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(dict(sorted(record.items())), indent=2, sort_keys=True) + "\n"
