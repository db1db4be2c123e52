"""`lstmsym check`: is a hand-derived gradient formula right? If not, what is missing or extra, and where."""

from __future__ import annotations

import argparse

from ..base.errors import UsageError
from ..render.facts import notation
from ..verify.check import check_formula
from .common import add_json, cell_argument, emit, load

HELP = "check a hand-derived gradient formula against the derived one"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    p.add_argument("--wrt", required=True, metavar="NAME", help="what the formula is the adjoint of (c_prev, W_f, d_h_in, ...)")
    p.add_argument("--formula", required=True, metavar="EXPR", help="the formula, in the notation `grad` prints")
    p.add_argument("--bptt", action="store_true", help="compare through T steps: a parameter's gradient summed over t, "
                                                        "or a recurrence with next() and dloss_y")
    p.add_argument("--points", type=int, default=6, metavar="N", help="random points to compare at (default 6)")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    add_json(p)


def run(args: argparse.Namespace) -> int:
    if args.points < 1:
        raise UsageError(f"--points must be at least 1, got {args.points}")
    d = load(args.cell)
    verdict = check_formula(d, notation(d), args.wrt, args.formula, args.seed, args.points, args.bptt)
    if args.json:
        emit("check", {"cell": d.cell.name, "wrt": args.wrt, "formula": args.formula, **verdict.__dict__})
        return 0 if verdict.equivalent else 1
    if verdict.equivalent:
        print(f"equivalent: {verdict.target} = {args.formula}\n  {verdict.reason}")
        return 0
    print(f"not equivalent: {verdict.target} != {args.formula}\n  {verdict.reason}")
    for line in verdict.missing:
        print(f"  missing: {line}")
    for line in verdict.extra:
        print(f"  extra: {line}")
    if verdict.counterexample:
        print("counterexample:\n" + "\n".join("  " + line for line in verdict.counterexample.splitlines()))
    print(f"correct formula:\n  {verdict.target} = {verdict.correct}")
    return 1
