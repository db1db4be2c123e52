"""`lstmsym grad`: print the derived backward equations as text, LaTeX or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from .gradview import gradient_view
from .registry import cell as load


def text_report(view: dict) -> str:
    lines = [f"{view['cell']}: backward equations for one step t (d_q is the adjoint dL/dq)", "given:"]
    lines += [f"  {item['name']}: {item['meaning']}" for item in view["incoming"]]
    for section in view["sections"]:
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
    lines = [r"\begin{align*}"]
    rows = []
    for section in view["sections"]:
        op = r"\mathrel{+}=" if section["key"] == "params" else "="
        rows += [f"  {e['latex_lhs']} &{op} {e['latex']}" for e in section["entries"]]
    rows += [f"  {r['latex_lhs']} &= {r['latex']}" for r in view["recurrences"]]
    rows += [f"  {s['latex_lhs']} &= {s['latex']}" for s in view["sums"]]
    lines.append(" \\\\\n".join(rows))
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    view = gradient_view(load(args.cell), bold=args.bold)
    if args.format == "json":
        json.dump(view, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(latex_report(view) if args.format == "latex" else text_report(view))
    return 0
