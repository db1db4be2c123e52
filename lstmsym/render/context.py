"""Everything the document templates show about a cell, prepared as plain values (templates hold no logic)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy

from . import __version__
from .cell import Cell
from .counts import CountQuery, at_sizes, count_formula, evaluate
from .gradview import gradient_view
from .latex import latex
from .notation import Notation
from .views import equations_view, formula_latex, parameters_view

#: Sizes at which the gallery states parameter counts (and, later, costs).
REFERENCE_SIZES = {"m": 128, "n": 256, "p": 128, "k": 64}
CONVENTION_LABELS = {"paper": "the spec as written", "pytorch": "PyTorch", "keras": "Keras"}
MAX_LINE_WIDTH = 62


def visible_width(tex: str) -> float:
    """A rough count of the characters a LaTeX formula shows (sub- and superscripts count half)."""
    import re

    text = re.sub(r"\\(left|right|mathrm|operatorname|quad)\b", "", tex)
    text = re.sub(r"\\[a-zA-Z]+", "x", text)
    scripts = sum(len(m) for m in re.findall(r"[_^]\{([^{}]*)\}", text))
    text = re.sub(r"[{}_^ ]", "", text)
    return len(text) - scripts / 2


def split_latex(expr: sympy.Expr, notation: Notation, bold: bool = False) -> list[str]:
    """A long sum as several LaTeX lines, packed greedily under MAX_LINE_WIDTH, so pages do not overflow."""
    from .ordering import term_key

    whole = latex(expr, notation, bold=bold)
    if not expr.is_Add or visible_width(whole) <= MAX_LINE_WIDTH:
        return [whole]
    terms = sorted(expr.args, key=lambda t: term_key(notation, t))
    chunks: list[list[sympy.Expr]] = [[]]
    for term in terms:
        trial = chunks[-1] + [term]
        if chunks[-1] and visible_width(latex(sympy.Add(*trial, evaluate=False), notation, keep_order=True)) > MAX_LINE_WIDTH:
            chunks.append([term])
        else:
            chunks[-1] = trial
    lines = []
    for index, chunk in enumerate(chunks):
        text = latex(sympy.Add(*chunk, evaluate=False), notation, bold=bold, keep_order=True)
        if index and not text.startswith("-"):
            text = "+ " + text
        lines.append(text)
    return lines


def align_rows(entries: list[tuple[str, str, list[str]]]) -> list[dict[str, str]]:
    """Rows of an align* block from (lhs, relation, rhs lines): continuation lines, separators on all but the last."""
    rows = []
    for lhs, relation, lines in entries:
        for index, line in enumerate(lines):
            rows.append({"lhs": lhs if index == 0 else "", "op": relation if index == 0 else r"\quad", "rhs": line,
                         "sep": " \\\\"})
    if rows:
        rows[-1]["sep"] = ""
    return rows


def _shape_latex(shape: list[str]) -> str:
    return r" \times ".join(shape) if shape else r"\text{scalar}"


def counts_context(cell: Cell) -> list[dict[str, Any]]:
    """Each convention's formula (from views.counts_view) with its total at the reference sizes."""
    from .views import counts_view

    rows = []
    sizes = {k: v for k, v in REFERENCE_SIZES.items() if k in cell.sizes}
    for convention, view in counts_view(cell).items():
        total = evaluate(cell, count_formula(cell, CountQuery(convention)), sizes, CountQuery(convention))
        rows.append({"convention": convention, "label": view["module"] or CONVENTION_LABELS[convention],
                     "latex": view["latex"], "text": view["formula"], "total": total, "total_text": f"{total:,}"})
    return rows


REFERENCE_BATCH, REFERENCE_STEPS = 32, 100


def cost_context(cell: Cell) -> dict[str, Any]:
    """The cost section: formulas per step and batch element, values at the reference sizes."""
    from .cost import KINDS, derive_cost

    cost = derive_cost(cell)
    sizes = reference_sizes(cell)
    rows = [("Forward, matrix products (FLOPs)", cost.forward_flops),
            ("Backward, input and state adjoints (FLOPs)", 2 * cost.backward_input_macs),
            ("Backward, weight gradients (FLOPs)", 2 * cost.backward_weight_macs)]
    rows += [(f"Forward, elementwise {k}", cost.forward_ops[k]) for k in KINDS]
    rows += [(f"Backward, elementwise {k}", cost.backward_ops[k]) for k in KINDS]
    rows += [("BPTT cache (elements)", cost.cached_per_step), ("Recomputed in the backward pass (elements)", cost.recomputed_per_step)]
    memory = cost.memory_bytes(REFERENCE_STEPS, REFERENCE_BATCH, sizes, "float32")
    memory_full = cost.memory_bytes(REFERENCE_STEPS, REFERENCE_BATCH, sizes, "float32", recompute=False)
    return {
        "rows": [{"label": label, "latex": formula_latex(sympy.factor(expr)), "value": f"{int(at_sizes(expr, sizes)):,}"} for label, expr in rows],
        "memory_text": f"{memory / 2**20:.1f} MiB", "memory_full_text": f"{memory_full / 2**20:.1f} MiB",
        "batch": REFERENCE_BATCH, "steps": REFERENCE_STEPS,
    }


def reference_sizes(cell: Cell) -> dict[str, int]:
    return {k: v for k, v in REFERENCE_SIZES.items() if k in cell.sizes}


@lru_cache(maxsize=None)
def cell_context(cell: Cell, verification_key: str = "") -> dict[str, Any]:
    """All values a write-up, README or cell.json needs; text stays raw (templates escape it)."""
    notation = Notation(cell)
    grads = gradient_view(cell)
    back_lines = {}
    from .backward import Backward

    back = Backward(cell)
    for st in back.statements:
        back_lines[st.target] = split_latex(st.expr, notation)
    for section in grads["sections"]:
        relation = r"\mathrel{+}=" if section["key"] == "params" else "="
        section["rows"] = align_rows([(e["latex_lhs"], relation, back_lines[e["target"]]) for e in section["entries"]])
    from .bptt import BPTT

    grads["recurrence_rows"] = align_rows([(e["latex_lhs"], "=", split_latex(rec.expr, notation))
                                           for rec, e in zip(BPTT(back).recurrences, grads["recurrences"])])
    grads["sum_rows"] = align_rows([(s["latex_lhs"], "=", [s["latex"]]) for s in grads["sums"][:3]])
    params = parameters_view(cell)
    for p in params:
        p["latex"] = latex(sympy.Symbol(p["name"]), notation)
        p["shape_latex"] = _shape_latex(p["shape"])
    sizes = reference_sizes(cell)
    return {
        "name": cell.name, "title": cell.title, "family": cell.family, "year": cell.year, "summary": cell.summary,
        "source": cell.spec.notes, "aliases": list(cell.spec.aliases),
        "references": [ref.__dict__ for ref in cell.references],
        "sizes": [{"name": k, "role": v, "latex": k} for k, v in cell.sizes.items()],
        "input": {"name": cell.input, "latex": latex(sympy.Symbol(cell.input), notation), "size": cell.input_size},
        "states": [{"name": s.name, "latex": latex(sympy.Symbol(s.name), notation), "size": s.size, "role": s.role,
                    "previous_latex": latex(sympy.Symbol(s.previous), notation)} for s in cell.states],
        "outputs": list(cell.outputs),
        "constants": [{"name": k, "latex": latex(sympy.Symbol(k), notation), "value": str(v)} for k, v in cell.constants.items()],
        "equations": equations_view(cell, notation),
        "equation_rows": align_rows([(e["latex_lhs"], "=", [e["latex"]]) for e in equations_view(cell, notation)]),
        "parameters": params,
        "counts": counts_context(cell),
        "reference_sizes": sizes,
        "reference_sizes_text": ", ".join(f"{k} = {v}" for k, v in sizes.items()),
        "gradients": grads,
        "cost": cost_context(cell),
        "version": __version__,
    }
