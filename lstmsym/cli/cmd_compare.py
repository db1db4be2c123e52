"""`lstmsym compare`: parameters, FLOPs and BPTT memory of cells against a base cell, exactly and as n grows."""

from __future__ import annotations

import argparse

from ..derive.compare import MEASURES, compare_rows
from ..derive.counts import has_counterpart
from ..spec.catalogue import builtin_names
from .common import add_counting, add_json, add_sizes, emit, given_sizes, load, query_from, sizes_for
from .tables import table

HELP = "compare cells: parameters, FLOPs and memory, exactly and as the hidden size grows"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cells", nargs="*", help="cells to compare (default: all built-in cells)")
    p.add_argument("--base", default="rnn", help="the cell ratios are taken against (default rnn)")
    add_sizes(p)
    add_counting(p)
    add_json(p)


def run(args: argparse.Namespace) -> int:
    query = query_from(args)
    base = load(args.base)
    cells = [load(n) for n in (args.cells or builtin_names())]
    without = [d.cell.name for d in cells if not has_counterpart(d.cell, query.convention)]
    cells = [d for d in cells if has_counterpart(d.cell, query.convention)]
    sizes = given_sizes(args)
    for d in cells + [base]:
        sizes_for(d.cell, sizes, strict=False)
    if not has_counterpart(base.cell, query.convention):
        from ..base.errors import ConventionError
        from ..derive.frameworks import no_counterpart

        raise ConventionError(no_counterpart(base.cell, query.convention))
    report = {kind: compare_rows(cells, base, query, sizes, kind) for kind in MEASURES}
    if args.json:
        emit("compare", {"base": base.cell.name, "convention": query.convention, "num_layers": query.layers,
                         "bidirectional": query.bidirectional, "sizes": sizes, "without_counterpart": without, **report})
        return 0
    for kind, title in MEASURES.items():
        print(f"{title} ({query.convention} convention, {query.label}):")
        columns = ["cell", "formula", f"/ {base.cell.name} (exact)", "as n grows"]
        if sizes:
            columns[2:2] = ["value", f"/ {base.cell.name}"]
        body = []
        for r in report[kind]:
            line = [r["cell"], r["formula"], r["ratio"], r["ratio_limit"]]
            if sizes:
                line[2:2] = [f"{r['total']:,}" if r["total"] is not None else "-", r["ratio_at_sizes"] if r["ratio_at_sizes"] is not None else "-"]
            body.append(line)
        print(table(columns, body))
        print()
    if without:
        print(f"no {query.convention} counterpart (left out): {', '.join(without)}")
    return 0
