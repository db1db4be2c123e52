"""`lstmsym params`: exact parameter counts, every tensor of every layer and direction, as formulas and numbers."""

from __future__ import annotations

import argparse

import sympy

from ..derive.counts import evaluate, factored, tensors
from ..derive.frameworks import CONVENTION_LABELS, mapping
from ..model.sizes import at_sizes
from ..render.views import formula_text, tensors_view
from .common import add_counting, add_json, add_sizes, cell_argument, emit, given_sizes, load, query_from, sizes_for
from .tables import table

HELP = "count a cell's parameters"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    add_sizes(p)
    add_counting(p)
    add_json(p)


def run(args: argparse.Namespace) -> int:
    d = load(args.cell)
    cell = d.cell
    query = query_from(args)
    expr = d.count(query)
    sizes = sizes_for(cell, given_sizes(args))
    sizes = {**cell.size_rules.fixed, **sizes} if sizes else sizes
    total = evaluate(cell, expr, sizes) if sizes else None
    rows = tensors_view(d, query)
    for row, tensor in zip(rows, tensors(cell, query)):
        value = at_sizes(tensor.count, sizes)
        row["total"] = int(value) if sizes and value.is_number else None
    result_map = mapping(cell, query.convention) if query.convention != "paper" else None
    label = result_map.label if result_map else CONVENTION_LABELS["paper"]
    data = {"cell": cell.name, "convention": query.convention, "module": label, "num_layers": query.layers,
            "bidirectional": query.bidirectional, "formula": formula_text(factored(expr)),
            "expanded": formula_text(sympy.expand(expr)), "sizes": sizes, "total": total, "tensors": rows}
    if args.json:
        emit("params", data)
        return 0
    print(f"{cell.name}: {query.convention} convention ({label}), {query.label}")
    columns = ["tensor", "shape", "entries"] + (["total"] if total is not None else []) + ["holds"]
    body = [[r["name"], r["shape_text"], r["count"]] + ([f"{r['total']:,}"] if total is not None else []) + [r["holds"]] for r in rows]
    print(table(columns, body))
    print(f"total = {data['formula']}" + (f" = {total:,}  ({', '.join(f'{k}={v}' for k, v in sizes.items())})" if total is not None else ""))
    return 0
