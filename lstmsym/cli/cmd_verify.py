"""`lstmsym verify`: run the three independent gradient checks and print a table of max errors."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from typing import Any

from . import registry
from .cell import Cell
from .errors import UsageError
from .frameworks import mapping
from .reports import table
from .verify.numeric import TOLERANCE as FD_TOL
from .verify.numeric import finite_difference_check
from .verify.symbolic import TOLERANCE as SYM_TOL
from .verify.symbolic import symbolic_check
from .verify.torch_check import TOLERANCE as TORCH_TOL


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def verify_cell(cell: Cell, steps: int = 3, seed: int = 0, use_torch: bool | None = None) -> dict[str, Any]:
    """All checks for one cell; 'ok' is False if any check fails."""
    started = time.perf_counter()
    sizes = {name: (1 if name == "p" else 2) for name in cell.sizes}
    sym = symbolic_check(cell, sizes=sizes, steps=min(steps, 2), seed=seed)
    fds = [finite_difference_check(cell, seed=seed + k, steps=steps) for k in range(2)]
    row: dict[str, Any] = {
        "cell": cell.name,
        "symbolic": {"max_error": sym.max_error, "entries": sym.checked, "sizes": sym.sizes, "steps": sym.steps, "ok": sym.ok},
        "finite_differences": {"max_error": max(r.max_error for r in fds), "entries": sum(r.checked for r in fds),
                               "sizes": [r.sizes for r in fds], "steps": steps, "ok": all(r.ok for r in fds)},
        "pytorch": None,
    }
    if (use_torch if use_torch is not None else torch_available()) and mapping(cell, "pytorch") is not None:
        from .verify.torch_check import torch_check

        results = [torch_check(cell, seed=seed + k, steps=max(steps, 2)) for k in range(2)]
        row["pytorch"] = {"module": results[0].module, "max_error": max(r.max_error for r in results), "ok": all(r.ok for r in results)}
    row["ok"] = all(part["ok"] for part in (row["symbolic"], row["finite_differences"], row["pytorch"]) if part)
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row


def _fmt(part: dict | None) -> str:
    if part is None:
        return "n/a"
    return f"{part['max_error']:.1e}" + ("" if part["ok"] else " FAIL")


def run(args: argparse.Namespace) -> int:
    if args.all == bool(args.cell):
        raise UsageError("give one CELL or --all")
    if args.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {args.steps}")
    names = registry.builtin_names() if args.all else [args.cell]
    started = time.perf_counter()
    rows = [verify_cell(registry.cell(name), args.steps, args.seed) for name in names]
    elapsed = time.perf_counter() - started
    if args.json:
        json.dump({"rows": rows, "seconds": round(elapsed, 2)}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table(["cell", "symbolic", "finite diff.", "pytorch", "entries", "result"],
                    [[r["cell"], _fmt(r["symbolic"]), _fmt(r["finite_differences"]), _fmt(r["pytorch"]),
                      r["symbolic"]["entries"] + r["finite_differences"]["entries"], "ok" if r["ok"] else "MISMATCH"]
                     for r in rows]))
        print(f"\n{sum(r['ok'] for r in rows)}/{len(rows)} cells verified in {elapsed:.1f} s. Max relative error allowed: "
              f"symbolic {float(SYM_TOL):.0e} (40-digit arithmetic), finite differences {FD_TOL:.0e} (float64), "
              f"PyTorch {TORCH_TOL:.0e} (float64)." + ("" if torch_available() else " PyTorch is not installed."))
    return 0 if all(r["ok"] for r in rows) else 1
