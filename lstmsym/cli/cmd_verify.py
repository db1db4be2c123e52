"""`lstmsym verify`: the verification suite on one cell or all of them, as a table of maximum errors."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from ..base.errors import UsageError
from ..spec.catalogue import builtin_names
from ..verify.numeric import TOLERANCE as FD_TOL
from ..verify.suite import run_suite, torch_available
from ..verify.symbolic import TOLERANCE as SYM_TOL
from .common import Progress, add_json, emit, load
from .tables import table

HELP = "verify a cell's derived gradients (symbolic, finite differences, PyTorch)"
TORCH_TOL = 1e-10


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", nargs="?", help="built-in cell name or path to a spec file")
    p.add_argument("--all", action="store_true", help="every built-in cell")
    p.add_argument("--steps", type=int, default=3, metavar="T", help="sequence length for the numeric checks (default 3)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    add_json(p)


def _verify_one(job: tuple[str, int, int]) -> dict:
    name, steps, seed = job
    return run_suite(load(name), steps, seed)


def _verify_all(names: list[str], steps: int, seed: int):
    """The suite on each cell, in order; several cells run in parallel, one process per core (each check is
    seeded, so the rows are the same as one after the other)."""
    jobs = [(name, steps, seed) for name in names]
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2:
        yield from map(_verify_one, jobs)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_verify_one, jobs)


def _fmt(part: dict | None) -> str:
    if part is None:
        return "n/a"
    return f"{part['max_error']:.1e}" + ("" if part["ok"] else " FAIL")


def _printed(part: dict) -> str:
    read = part["formulas"] - (0 if part["ok"] else len(part["problems"]))
    return f"{read}/{part['formulas']}" + ("" if part["ok"] else " FAIL")


def run(args: argparse.Namespace) -> int:
    if args.all == bool(args.cell):
        raise UsageError("give one CELL or --all")
    if args.steps < 1:
        raise UsageError(f"--steps must be at least 1, got {args.steps}")
    names = builtin_names() if args.all else [args.cell]
    started = time.perf_counter()
    progress = Progress(len(names))
    rows = []
    for name, row in zip(names, _verify_all(names, args.steps, args.seed)):
        progress.step(name)
        rows.append(row)
    progress.close()
    elapsed = time.perf_counter() - started
    if args.json:
        emit("verify", {"rows": rows, "ok": all(r["ok"] for r in rows), "seconds": round(elapsed, 2)})
    else:
        print(table(["cell", "symbolic", "finite diff.", "autograd (spec)", "torch.nn", "entries", "printed", "result"],
                    [[r["cell"], _fmt(r["symbolic"]), _fmt(r["finite_differences"]), _fmt(r["autograd"]), _fmt(r["pytorch"]),
                      r["symbolic"]["entries"] + r["finite_differences"]["entries"], _printed(r["printed"]),
                      "ok" if r["ok"] else "MISMATCH"] for r in rows]))
        for r in rows:
            for check in ("symbolic", "finite_differences", "autograd"):
                if r[check] and r[check].get("reason"):
                    print(f"{r['cell']}: {check.replace('_', ' ')} failed: {r[check]['reason']}")
            for problem in r["printed"]["problems"]:
                print(f"{r['cell']}: printed formula does not read back: {problem}")
        print(f"\n{sum(r['ok'] for r in rows)}/{len(rows)} cells verified in {elapsed:.1f} s. Max relative error allowed: "
              f"symbolic {float(SYM_TOL):.0e} (40-digit arithmetic), finite differences {FD_TOL:.0e} (float64), "
              f"PyTorch autograd through the spec and torch.nn {TORCH_TOL:.0e} (float64); printed: the LaTeX and MathML formulas "
              f"that read back to the derived ones." + ("" if torch_available() else " PyTorch is not installed."))
    return 0 if all(r["ok"] for r in rows) else 1
