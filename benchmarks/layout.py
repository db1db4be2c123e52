"""Layout quality of the gallery's diagrams, measured on dot's own coordinates.

Run: python benchmarks/layout.py [CELL ...] [--dir output]
For each cell's forward and gradient-flow diagram: edge-edge crossings, the fewest crossings any drawing with
the inputs and outputs outside can have (0 when that graph is planar, else 1), edges through a node's box,
state lines (thick edges) that are not left to right and straight; then the totals and the goals."""

from __future__ import annotations

import argparse
from pathlib import Path

import lstmsym
from lstmsym.render.layout_check import check_dot

SEED = ("rnn", "lstm", "peephole", "cifg", "gru", "gru_reset_after")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cells", nargs="*")
    parser.add_argument("--dir", default=str(ROOT / "output"), help="a gallery folder (reads <cell>/cell.dot, backward.dot)")
    args = parser.parse_args()
    names = args.cells or lstmsym.builtin_names()
    print(f"{'cell':24s} {'diagram':17s} {'crossings':>9s} {'least*':>6s} {'through box':>11s} {'state lines':>11s} {'not L->R/straight':>17s}")
    totals = {"crossings": 0, "floor": 0, "through": 0, "state_bad": 0}
    seed_ok, every_ok = True, True
    for name in names:
        for kind in ("cell", "backward", "unrolled", "unrolled_backward"):
            path = Path(args.dir) / name / f"{kind}.dot"
            if not path.exists():
                continue
            r = check_dot(f"{name}/{kind}", path.read_text(), kind, floor=True)
            print(f"{name:24s} {kind:17s} {r.crossings:9d} {r.floor:6d} {r.through_box:11d} {r.state_lines:11d} {r.state_bad:17d}")
            totals["crossings"] += r.crossings
            totals["through"] += r.through_box
            totals["state_bad"] += r.state_bad
            totals["floor"] += r.floor
            if name in SEED and (r.crossings > r.floor or r.through_box):
                seed_ok = False
            if r.through_box or r.state_bad:
                every_ok = False
    print(f"\ntotal: {totals['crossings']} crossings (least* summed: {totals['floor']}), {totals['through']} edges through a box, "
          f"{totals['state_bad']} state lines not left to right and straight")
    print("least*: the fewest crossings of any drawing with every input and output on its border (a drawing may go"
          " below it only by enclosing one, as lem's z line does)")
    print(f"goal, seed cells without avoidable crossings (least > 0: the graph is not planar) or edges through a box: {'met' if seed_ok else 'NOT met'}")
    print(f"goal, every cell with state lines left to right and no edge through a box: {'met' if every_ok else 'NOT met'}")


if __name__ == "__main__":
    main()
