"""What each CLI command does: load cells, call the library, print the report."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import sympy

from . import registry
from .cell import Cell
from .counts import CountQuery, count_formula, evaluate, factored
from .errors import UsageError
from .frameworks import mapping
from .reports import table
from .views import cell_view, formula_text


def sizes_from(args: argparse.Namespace, cell: Cell | None = None) -> dict[str, int]:
    """Sizes given on the command line, keyed by size name (m, n, p and any --size NAME=VALUE)."""
    sizes: dict[str, int] = {}
    input_name = cell.input_size if cell is not None else "m"
    for flag, name in (("input_size", input_name), ("hidden_size", "n"), ("proj_size", "p")):
        value = getattr(args, flag, None)
        if value is not None:
            sizes[name] = value
    for item in getattr(args, "size", []) or []:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise UsageError(f"--size expects NAME=VALUE with a positive integer, got '{item}'")
        sizes[name.strip()] = int(value)
    return sizes


def relevant(cell: Cell, sizes: dict[str, int]) -> dict[str, int]:
    """The given sizes that this cell has (compare and list pass one set of sizes to many cells)."""
    return {k: v for k, v in sizes.items() if k in cell.sizes}


def emit(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")


def query_from(args: argparse.Namespace) -> CountQuery:
    return CountQuery(args.convention, args.num_layers, args.bidirectional)


# -- list -------------------------------------------------------------------------
def run_list(args: argparse.Namespace) -> int:
    cells = [registry.cell(name) for name in registry.builtin_names()]
    if args.family:
        families = sorted({c.family for c in cells})
        cells = [c for c in cells if c.family == args.family]
        if not cells:
            raise UsageError(f"no cells of family '{args.family}'; families: {', '.join(families)}")
    sizes = sizes_from(args)
    rows = []
    for c in cells:
        formula = factored(c.parameter_count())
        present = relevant(c, sizes)
        total = evaluate(c, formula, present) if all(s.name in present for s in formula.free_symbols) and present else None
        rows.append({"name": c.name, "title": c.title, "family": c.family, "year": c.year,
                     "formula": formula_text(formula), "total": total, "aliases": list(c.spec.aliases)})
    rows.sort(key=_sort_key(args.sort))
    if args.json:
        emit(rows)
        return 0
    columns = ["name", "family", "year", "parameters (paper)"] + (["total"] if sizes else []) + ["title"]
    body = [[r["name"], r["family"], r["year"] or "", r["formula"]] + ([r["total"] if r["total"] is not None else "-"] if sizes else [])
            + [r["title"]] for r in rows]
    print(table(columns, body))
    print(f"\n{len(rows)} cells")
    return 0


def _sort_key(order: str):
    if order == "year":
        return lambda r: (r["year"] or 0, r["name"])
    if order == "params":
        return lambda r: (r["total"] if r["total"] is not None else float("inf"), r["name"])
    if order == "family":
        return lambda r: (r["family"], r["name"])
    return lambda r: r["name"]


# -- show -------------------------------------------------------------------------
def run_show(args: argparse.Namespace) -> int:
    cell = registry.cell(args.cell)
    view = cell_view(cell, bold=args.bold)
    if args.format == "json":
        emit(view)
        return 0
    if args.format == "latex":
        print(r"\begin{align*}")
        lines = [f"  {eq['latex_lhs']} &= {eq['latex']}" for eq in view["equations"]]
        print(" \\\\\n".join(lines))
        print(r"\end{align*}")
        return 0
    print(f"{cell.name}: {cell.title}" + (f" ({cell.year})" if cell.year else ""))
    print(f"  input {cell.input} ({cell.input_size}); state " + ", ".join(f"{s.name} ({s.size})" for s in cell.states)
          + "; outputs " + ", ".join(cell.outputs))
    for eq in view["equations"]:
        print(f"  {eq['name']} = {eq['text']}")
    print("  parameters: " + ", ".join(f"{p['name']} [{p['shape_text']}]" for p in view["parameters"]))
    print(f"  count (paper): {view['counts']['paper']['formula']}")
    return 0


# -- params -----------------------------------------------------------------------
def run_params(args: argparse.Namespace) -> int:
    cell = registry.cell(args.cell)
    query = query_from(args)
    expr = count_formula(cell, query)
    sizes = sizes_from(args, cell)
    total = evaluate(cell, expr, sizes, query) if sizes else None
    result: dict[str, Any] = {
        "cell": cell.name, "convention": query.convention, "num_layers": query.layers,
        "bidirectional": query.bidirectional, "formula": formula_text(factored(expr)),
        "expanded": formula_text(sympy.expand(expr)), "sizes": sizes,
    }
    if total is not None:
        result["total"] = total
    result["tensors"] = _tensors(cell, query.convention)
    if args.json:
        emit(result)
        return 0
    label = result["tensors"][0]["module"] if query.convention != "paper" else "the spec as written"
    print(f"{cell.name} — {query.convention} convention ({label}), {query.layers} layer(s), "
          f"{'bidirectional' if query.bidirectional else 'one direction'}")
    print(table(["tensor", "shape", "entries", "role"],
                [[t["name"], t["shape_text"], t["count"], t["role"]] for t in result["tensors"]]))
    print(f"total = {result['formula']}" + (f" = {total:,}  ({', '.join(f'{k}={v}' for k, v in sizes.items())})" if total is not None else ""))
    return 0


def _tensors(cell: Cell, convention: str) -> list[dict[str, str]]:
    """Per-tensor rows of one layer: the cell's parameters, or the framework's stacked tensors."""
    if convention == "paper":
        return [{"name": p.name, "shape_text": " x ".join(p.shape) or "scalar", "count": formula_text(p.size()),
                 "role": p.role, "module": ""} for p in cell.parameters]
    from .frameworks import tensor_shape

    result = mapping(cell, convention)
    assert result is not None
    rows = []
    for tensor in result.tensors:
        shape = tensor_shape(cell, result, tensor)
        blocks = " | ".join(", ".join(b or "0" for b in row) for row in tensor.rows)
        rows.append({"name": tensor.name + ("_l0" if convention == "pytorch" else ""),
                     "shape_text": " x ".join(formula_text(s) for s in shape),
                     "count": formula_text(sympy.factor(sympy.Mul(*shape))), "role": blocks, "module": result.label})
    return rows


# -- compare ----------------------------------------------------------------------
def run_compare(args: argparse.Namespace) -> int:
    from .compare import MEASURES, compare_rows

    names = args.cells or registry.builtin_names()
    base = registry.cell(args.base)
    cells = [registry.cell(n) for n in names]
    sizes = sizes_from(args, None)
    report = {kind: compare_rows(cells, base, query_from(args), sizes, kind) for kind in MEASURES}
    if args.json:
        emit({"base": base.name, "sizes": sizes, **report, "rows": report["parameters"]})
        return 0
    for kind, title in MEASURES.items():
        print(f"{title}:")
        columns = ["cell", "formula", f"/ {base.name} (exact)", "as n grows"]
        if sizes:
            columns[2:2] = ["value", f"/ {base.name}"]
        body = []
        for r in report[kind]:
            line = [r["cell"], r["formula"], r["ratio"], r["ratio_limit"]]
            if sizes:
                line[2:2] = [f"{r['total']:,}" if r["total"] is not None else "-", r["ratio_at_sizes"] or "-"]
            body.append(line)
        print(table(columns, body))
        print()
    return 0


# -- later stages -----------------------------------------------------------------
def run_grad(args: argparse.Namespace) -> int:
    from .grad_report import run

    return run(args)


def run_verify(args: argparse.Namespace) -> int:
    from .verify_report import run

    return run(args)


def run_check(args: argparse.Namespace) -> int:
    from .check import run

    return run(args)


def run_export(args: argparse.Namespace) -> int:
    from .export import run

    return run(args)


def run_build(args: argparse.Namespace) -> int:
    from .build import run

    return run(args)


def run_cost(args: argparse.Namespace) -> int:
    from .cost_report import run

    return run(args)


def run_new(args: argparse.Namespace) -> int:
    from .newspec import run

    return run(args)
