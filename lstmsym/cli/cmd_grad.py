"""`lstmsym grad`: the derived backward statements, one step and through time, as text, LaTeX or JSON."""

from __future__ import annotations

import argparse

from ..render.gradview import gradient_view
from .common import add_format, cell_argument, emit, load, wants_json

HELP = "print a cell's one-step and BPTT backward equations"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    add_format(p, ("text", "latex", "json"))
    p.add_argument("--bold", action="store_true", help="bold vectors in LaTeX")


def text_report(view: dict) -> str:
    lines = [f"{view['cell']}: backward equations for one step t (d_q is the adjoint dL/dq)", "given:"]
    lines += [f"  {item['name']}: {item['meaning']}" for item in view["incoming"]]
    for section in view["sections"]:
        if section["entries"]:
            lines.append(section["title"].lower() + ":")
            op = "+=" if section["key"] == "params" else "="
            lines += [f"  {e['target']} {op} {e['text']}" for e in section["entries"]]
    lines.append("BPTT, for t = T, ..., 1 (next(...) is evaluated at step t+1; dloss_y is dl_t/dy_t):")
    lines += [f"  {r['target']} = {r['text']}" for r in view["recurrences"]]
    lines.append("  at t = T the carried part is the adjoint of the final state (zero if the loss ignores it)")
    lines += [f"  dL/d{s['param']} = {s['text']}" for s in view["sums"]]
    lines.append("names a formula for `lstmsym check` may use:")
    lines += [f"  {kind}: {', '.join(names) or '-'}" for kind, names in view["glossary"].items()]
    return "\n".join(lines)


def latex_report(view: dict) -> str:
    rows = []
    for section in view["sections"]:
        op = r"\mathrel{+}=" if section["key"] == "params" else "="
        rows += [f"  {e['latex_lhs']} &{op} {e['latex']}" for e in section["entries"]]
    rows += [f"  {r['latex_lhs']} &= {r['latex']}" for r in view["recurrences"]]
    rows += [f"  {s['latex_lhs']} &= {s['latex']}" for s in view["sums"]]
    return "\n".join([r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"])


def run(args: argparse.Namespace) -> int:
    view = gradient_view(load(args.cell), bold=args.bold)
    if wants_json(args):
        emit("grad", view)
    else:
        print(latex_report(view) if args.format == "latex" else text_report(view))
    return 0
