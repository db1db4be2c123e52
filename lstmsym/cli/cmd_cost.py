"""`lstmsym cost`: compute and memory per time step, as formulas and at given sizes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import sympy

from .commands import sizes_from
from .cost import DTYPE_BYTES, KINDS, derive_cost
from .counts import at_sizes
from .errors import UsageError
from .registry import cell as load
from .reports import table
from .views import formula_text


def _value(expr: sympy.Expr, sizes: dict[str, int]) -> int | None:
    """The formula's value, or None while some size it needs is not given."""
    value = at_sizes(expr, sizes)
    return int(value) if value.is_number else None


def cost_view(cell, sizes: dict[str, int], batch: int, steps: int, dtype: str) -> dict[str, Any]:
    cost = derive_cost(cell)
    rows = {
        "forward matrix-product FLOPs": cost.forward_flops,
        "backward matrix-product FLOPs (input adjoints)": 2 * cost.backward_input_macs,
        "backward matrix-product FLOPs (weight gradients)": 2 * cost.backward_weight_macs,
        **{f"forward elementwise {k}": cost.forward_ops[k] for k in KINDS},
        **{f"backward elementwise {k}": cost.backward_ops[k] for k in KINDS},
        "BPTT cache, elements per step": cost.cached_per_step,
        "recomputed in backward, elements per step": cost.recomputed_per_step,
    }
    view: dict[str, Any] = {
        "cell": cell.name, "convention": "per time step and batch element; 1 multiply-add = 2 FLOPs",
        "sizes": sizes, "batch": batch, "steps": steps, "dtype": dtype,
        "per_step": {k: {"formula": formula_text(sympy.factor(v)), "value": _value(v, sizes)} for k, v in rows.items()},
        "matmul_flops_per_step": formula_text(sympy.factor(cost.matmul_flops)),
    }
    if all(s in sizes for s in cell.sizes):
        total = _value(cost.matmul_flops, sizes)
        view["total_matmul_flops"] = total * batch * steps
        view["bptt_memory_bytes"] = cost.memory_bytes(steps, batch, sizes, dtype)
        view["bptt_memory_bytes_without_recompute"] = cost.memory_bytes(steps, batch, sizes, dtype, recompute=False)
    return view


def run(args: argparse.Namespace) -> int:
    cell = load(args.cell)
    if args.batch < 1 or args.steps < 1:
        raise UsageError("--batch and --steps must be at least 1")
    if args.dtype not in DTYPE_BYTES:
        raise UsageError(f"unknown dtype {args.dtype}; expected one of {', '.join(DTYPE_BYTES)}")
    view = cost_view(cell, sizes_from(args, cell), args.batch, args.steps, args.dtype)
    if args.json:
        json.dump(view, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"{cell.name}: cost {view['convention']}")
    print(table(["quantity", "formula", "value"],
                [[k, v["formula"], "" if v["value"] is None else f"{v['value']:,}"] for k, v in view["per_step"].items()]))
    if "total_matmul_flops" in view:
        print(f"T={args.steps}, B={args.batch}: matrix-product FLOPs forward+backward {view['total_matmul_flops']:,}; "
              f"BPTT cache {view['bptt_memory_bytes']:,} bytes in {args.dtype} "
              f"({view['bptt_memory_bytes_without_recompute']:,} if recomputed quantities were stored too)")
    return 0
