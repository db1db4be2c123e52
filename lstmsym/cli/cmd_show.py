"""`lstmsym show`: a cell's forward equations, as text, LaTeX or JSON."""

from __future__ import annotations

import argparse

from ..render.views import cell_view
from .common import add_format, cell_argument, emit, load, wants_json

HELP = "show a cell's equations"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    add_format(p, ("text", "latex", "json"))
    p.add_argument("--bold", action="store_true", help="bold vectors in LaTeX")


def run(args: argparse.Namespace) -> int:
    d = load(args.cell)
    view = cell_view(d, bold=args.bold)
    if wants_json(args):
        emit("cell", view)
        return 0
    if args.format == "latex":
        print(r"\begin{align*}")
        print(" \\\\\n".join(f"  {eq['latex_lhs']} &= {eq['latex']}" for eq in view["equations"]))
        print(r"\end{align*}")
        return 0
    cell = d.cell
    print(f"{cell.name}: {cell.title}" + (f" ({cell.year})" if cell.year else ""))
    inputs = ", ".join(f"{i['name']} ({' x '.join(i['shape']) or 'scalar'})" for i in view["inputs"])
    states = ", ".join(f"{s['name']} ({' x '.join(s['shape']) or 'scalar'})" for s in view["state"])
    print(f"  input{'s' if len(view['inputs']) > 1 else ''} {inputs}; state {states}; outputs {', '.join(cell.outputs)}")
    for eq in view["equations"]:
        print(f"  {eq['name']} = {eq['text']}")
    print("  parameters: " + ", ".join(f"{p['name']} [{p['shape_text']}]" for p in view["parameters"]))
    print(f"  count (paper): {view['counts']['paper']['formula']}")
    if view["size_rules"]:
        print(f"  size rules: {', '.join(view['size_rules'])}")
    return 0
