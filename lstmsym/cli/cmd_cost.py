"""`lstmsym cost`: compute and memory per time step and sequence, as formulas and at given sizes."""

from __future__ import annotations

import argparse
from typing import Any

import sympy

from ..base.errors import UsageError
from ..derive.compare import measure
from ..derive.cost import DTYPE_BYTES, KINDS
from ..model.sizes import at_sizes
from ..render.views import formula_text
from .common import add_counting, add_json, add_sizes, cell_argument, emit, given_sizes, load, query_from, sizes_for
from .tables import table

HELP = "compute and memory per time step"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    add_sizes(p)
    add_counting(p)
    p.add_argument("--batch", type=int, default=1, metavar="B", help="sequences in a batch (default 1)")
    p.add_argument("--steps", type=int, default=1, metavar="T", help="time steps (default 1)")
    p.add_argument("--dtype", default="float32", choices=tuple(DTYPE_BYTES))
    add_json(p)


def _value(expr: sympy.Expr, sizes: dict[str, int]) -> int | None:
    value = at_sizes(expr, sizes)
    return int(value) if value.is_number else None


def cost_view(d, sizes: dict[str, int], batch: int, steps: int, dtype: str, query) -> dict[str, Any]:
    cost = d.cost
    rows = {
        "forward operator FLOPs": cost.forward_flops,
        "backward operator FLOPs (input and state adjoints)": 2 * cost.backward_input_macs,
        "backward operator FLOPs (weight gradients)": 2 * cost.backward_weight_macs,
        **{f"forward elementwise {k}": cost.forward_ops[k] for k in KINDS},
        **{f"backward elementwise {k}": cost.backward_ops[k] for k in KINDS},
        "BPTT cache, elements": cost.cached_per_step,
        "recomputed in backward, elements": cost.recomputed_per_step,
    }
    view: dict[str, Any] = {
        "cell": d.cell.name, "per": "one layer, one direction, per time step and sequence; 1 multiply-add = 2 FLOPs",
        "sizes": sizes, "batch": batch, "steps": steps, "dtype": dtype, "num_layers": query.layers,
        "bidirectional": query.bidirectional,
        "per_step": [{"quantity": k, "formula": formula_text(sympy.factor(v)), "value": _value(v, sizes)} for k, v in rows.items()],
        "stack": {"operator_flops_per_step": formula_text(sympy.factor(measure(d, "flops", query))),
                  "cache_elements_per_step": formula_text(sympy.factor(measure(d, "memory", query)))},
    }
    if all(s in sizes for s in d.cell.sizes):
        stack_flops = _value(measure(d, "flops", query), sizes)
        view["total_operator_flops"] = stack_flops * batch * steps
        factor = query.directions * query.layers
        memory = cost.memory_bytes(steps, batch, sizes, dtype) * factor
        full = cost.memory_bytes(steps, batch, sizes, dtype, recompute=False) * factor
        view["bptt_memory_bytes"], view["bptt_memory_bytes_without_recompute"] = memory, full
        view["bptt_memory_mib"] = round(memory / 2**20, 3)
    return view


def run(args: argparse.Namespace) -> int:
    d = load(args.cell)
    if args.batch < 1 or args.steps < 1:
        raise UsageError("--batch and --steps must be at least 1")
    query = query_from(args)
    sizes = sizes_for(d.cell, given_sizes(args))
    view = cost_view(d, sizes, args.batch, args.steps, args.dtype, query)
    if args.json:
        emit("cost", view)
        return 0
    print(f"{d.cell.name}: cost {view['per']}")
    print(table(["quantity", "formula", "value"],
                [[r["quantity"], r["formula"], "" if r["value"] is None else f"{r['value']:,}"] for r in view["per_step"]]))
    if "total_operator_flops" in view:
        print(f"T={args.steps}, B={args.batch}, {query.label}: operator FLOPs forward+backward {view['total_operator_flops']:,}; "
              f"BPTT cache {view['bptt_memory_mib']:.1f} MiB in {args.dtype} "
              f"({view['bptt_memory_bytes_without_recompute'] / 2**20:.1f} MiB if recomputed quantities were stored too)")
    return 0
