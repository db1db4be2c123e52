"""`lstmsym flow`: the state-to-state Jacobian in block form, its structure, and how much gradient survives T steps."""

from __future__ import annotations

import argparse

from ..base.errors import UsageError
from ..render.facts import notation
from ..render.flowview import flow_view
from ..verify.flow import STEPS, profile, profile_sizes
from .common import add_json, cell_argument, emit, load
from .tables import table

HELP = "gradient flow: state-to-state Jacobian blocks and the vanishing/exploding profile"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    p.add_argument("--steps", type=int, default=200, metavar="T", help="longest sequence of the profile (default 200)")
    p.add_argument("--seeds", type=int, default=3, metavar="S", help="random initialisations (default 3)")
    add_json(p)


def run(args: argparse.Namespace) -> int:
    if args.steps < 1 or args.seeds < 1:
        raise UsageError("--steps and --seeds must be positive integers")
    d = load(args.cell)
    steps = tuple(sorted({t for t in STEPS if t <= args.steps} | {args.steps}))
    measured = profile(d, profile_sizes(d.cell), steps, args.seeds)
    view = flow_view(d, notation(d), measured)
    if args.json:
        emit("flow", view)
        return 0
    print(f"{d.cell.name}: state-to-state Jacobian, one block per pair of states (d s_t / d s_prev)")
    for block in view["blocks"]:
        if block["zero"]:
            continue
        print(f"  d {block['row']} / d {block['col_text']} = {block['text']}")
        print(f"      {block['structure']}")
    zero = [f"d {b['row']} / d {b['col_text']}" for b in view["blocks"] if b["zero"]]
    if zero:
        print(f"  zero: {', '.join(zero)}")
    sizes = ", ".join(f"{k}={v}" for k, v in sorted(measured.sizes.items()))
    print(f"\ngradient surviving T steps, ||(J_T ... J_1)^T u|| for a random unit u over the states "
          f"(median and quartiles over {args.seeds} seeds x 4 sequences; {sizes}; weights uniform in +-1/sqrt(hidden size))")
    rows = [[str(t), f"{m:.3g}", f"{lo:.3g}", f"{hi:.3g}"] for t, m, lo, hi in
            zip(measured.steps, measured.median, measured.low, measured.high)]
    print(table(["T", "median", "25%", "75%"], rows))
    return 0
