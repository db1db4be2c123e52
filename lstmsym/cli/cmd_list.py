"""`lstmsym list`: the built-in cells, with their parameter formula and (at given or reference sizes) totals."""

from __future__ import annotations

import argparse

from ..base.errors import UsageError
from ..derive.counts import evaluate, factored
from ..model.sizes import at_sizes
from ..render.views import formula_text
from ..spec.catalogue import builtin_names
from ..derive.scan import ScanForm
from .common import Progress, add_json, add_sizes, emit, given_sizes, load, sizes_for
from .tables import table

HELP = "list the built-in cells"
SORTS = ("name", "year", "params", "family")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--family", help="only cells of this family (lstm, gru, rnn, other)")
    p.add_argument("--sort", default="name", choices=SORTS, help="sort order (params: by the total at the sizes given, "
                                                                 "or at each cell's reference sizes)")
    add_json(p)
    add_sizes(p)


def run(args: argparse.Namespace) -> int:
    names = builtin_names()
    progress = Progress(len(names))
    cells = []
    for name in names:
        progress.step(name)
        cells.append(load(name))
    progress.close()
    if args.family:
        families = sorted({d.cell.family for d in cells})
        cells = [d for d in cells if d.cell.family == args.family]
        if not cells:
            raise UsageError(f"no cells of family '{args.family}'; families: {', '.join(families)}")
    sizes = given_sizes(args)
    rows = []
    for d in cells:
        c = d.cell
        formula = factored(c.parameter_count())
        present = sizes_for(c, sizes, strict=False)
        reference = c.size_rules.reference_sizes()
        total = evaluate(c, formula, present) if sizes and all(s.name in present for s in formula.free_symbols) else None
        scan = ScanForm(d)
        rows.append({"name": c.name, "title": c.title, "family": c.family, "year": c.year, "formula": formula_text(formula),
                     "total": total, "reference_total": int(at_sizes(formula, reference)), "aliases": list(c.spec.aliases),
                     "scan": scan.linear_names, "scan_groups": [list(g.states) for g in scan.groups], "parallel": scan.parallel})
    by_reference = args.sort == "params" and not sizes
    rows.sort(key=_sort_key(args.sort, by_reference))
    if args.json:
        emit("list", {"sizes": sizes, "sorted_by": args.sort, "cells": rows})
        return 0
    if by_reference:
        print("sorted by the parameter count at each cell's reference sizes (give -m/-n to sort at your sizes)")
    columns = ["name", "family", "year", "parameters (paper)"] + (["total"] if sizes else []) + ["scan", "title"]
    body = [[r["name"], r["family"], r["year"] or "", r["formula"]] + ([r["total"] if r["total"] is not None else "-"] if sizes else [])
            + [_scan_cell(r), r["title"]] for r in rows]
    print(table(columns, body))
    print(f"\n{len(rows)} cells; scan: states of the form s_t = a_t * s_prev + b_t, (a, b) a coupled group scanned "
          "together (s_t = A_t s_prev + b_t, a k x k block per unit), (all) when the whole forward pass runs as linear "
          "scans (export ... parallel=True)")
    return 0


def _scan_cell(row: dict) -> str:
    """The scan column: the scanned states, a coupled group in parentheses, then (all) when every state is."""
    grouped = {g[0]: g for g in row["scan_groups"]}
    inside = {n for g in row["scan_groups"] for n in g}
    names = [f"({', '.join(grouped[n])})" if n in grouped else n for n in row["scan"] if n in grouped or n not in inside]
    return (", ".join(names) + (" (all)" if row["parallel"] else "")) if names else ""


def _sort_key(order: str, by_reference: bool):
    if order == "year":
        return lambda r: (r["year"] or 0, r["name"])
    if order == "params":
        field = "reference_total" if by_reference else "total"
        return lambda r: (r[field] if r[field] is not None else float("inf"), r["name"])
    if order == "family":
        return lambda r: (r["family"], r["name"])
    return lambda r: r["name"]
