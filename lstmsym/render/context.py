"""Everything the document templates show about a cell, prepared as plain values (templates hold no logic).
Every formula comes from the cell's Derived facts; nothing is derived here."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sympy

from ..base.version import __version__
from ..derive.cost import KINDS
from ..derive.counts import CountQuery, evaluate
from ..derive.derived import Derived
from ..model.sizes import at_sizes
from ..model.vector_ops import MatTVec, MatVec, Next
from ..printing.latex import latex
from ..printing.notation import Notation
from ..printing.order import is_vector, term_key
from ..spec.matrices import MATRIX_KINDS, table_text
from .diagram_overview import blocks, has_overview
from .facts import notation as notation_of
from .gradview import gradient_view
from .linebreak import break_line
from .views import counts_view, equations_view, formula_latex, parameters_view

MAX_LINE_WIDTH = 50
#: The left-hand side MAX_LINE_WIDTH leaves room for (δc_t, h̃_t); a longer one (δ(W_mi x_t + U_mi h_{t-1} + b_mi))
#: takes its excess from every line of its align* block, down to MIN_LINE_WIDTH.
SHORT_LHS, MIN_LINE_WIDTH = 8, 24
REFERENCE_BATCH, REFERENCE_STEPS = 32, 100


def visible_width(tex: str) -> float:
    """A rough count of the characters a LaTeX formula shows (sub- and superscripts count half)."""
    text = re.sub(r"\\(left|right|mathrm|operatorname|quad)\b", "", tex)
    text = re.sub(r"\\(odot|ast|times|cdot)\b", "xx", text)  # a binary operator and its spaces: about two
    text = re.sub(r"\\[a-zA-Z]+", "x", text)
    scripts = sum(len(m) for m in re.findall(r"[_^]\{([^{}]*)\}", text))
    text = re.sub(r"[{}_^ ]", "", text)
    return len(text) - scripts / 2


def spread(expr: sympy.Expr, n: Notation) -> sympy.Expr:
    """The same expression with its linear operators (next(), M @, Mᵀ @, sums) spread over the sums they hold,
    and over-long products of a sum expanded: more terms, each short enough for a line (layout only)."""
    def too_wide(term: sympy.Expr) -> bool:
        return visible_width(latex(term, n)) > 0.75 * MAX_LINE_WIDTH

    out = []
    for term in sympy.Add.make_args(expr):
        if isinstance(term, (Next, MatVec, MatTVec)) and term.args[-1].is_Add and too_wide(term):
            head = term.args[:-1]
            out += [spread(type(term)(*head, t), n) for t in term.args[-1].args]
        elif term.is_Mul and too_wide(term) and any(f.is_Add for f in term.args):
            out += [spread(t, n) for t in sympy.Add.make_args(sympy.expand(term, deep=False, mul=True))]
        else:
            out.append(term)
    return sympy.Add(*out, evaluate=False) if len(out) > 1 else out[0]


def split_latex(expr: sympy.Expr, n: Notation, bold: bool = False, keep_order: bool = False) -> list[str]:
    """A long sum as several LaTeX lines, packed greedily under MAX_LINE_WIDTH, so pages do not overflow."""
    whole = latex(expr, n, bold=bold, keep_order=keep_order)
    if visible_width(whole) > MAX_LINE_WIDTH:
        spreaded = spread(expr, n)
        if spreaded.is_Add and len(spreaded.args) > len(sympy.Add.make_args(expr)):
            expr, keep_order = spreaded, True
    if keep_order:
        expr = flatten_sum(expr)
    if not expr.is_Add or visible_width(whole) <= MAX_LINE_WIDTH:
        return [whole]
    terms = list(expr.args) if keep_order else sorted(expr.args, key=lambda t: term_key(n, t))
    chunks: list[list[sympy.Expr]] = [[]]
    for term in terms:
        trial = chunks[-1] + [term]
        if chunks[-1] and visible_width(latex(sympy.Add(*trial, evaluate=False), n, keep_order=True)) > MAX_LINE_WIDTH:
            chunks.append([term])
        else:
            chunks[-1] = trial
    lines = []
    for index, chunk in enumerate(chunks):
        text = latex(sympy.Add(*chunk, evaluate=False), n, bold=bold, keep_order=True)
        lines.append(text if not index or text.startswith("-") else "+ " + text)
    return lines


MATRIX_NAME_WIDTH = 24


def name_long_matrices(derived: Derived, n: Notation) -> list[tuple[str, str, list[str]]]:
    """Give each long matrix expression a name (A_1, A_2, ...) so the equations that use it fit the page; the
    rows that define the names. Names are calligraphic, apart from the user's own."""
    rows = []
    for node in derived.cell.matrix_nodes:
        if node.key in n.latex_aliases or not node.key.startswith("mat:"):
            continue
        tex = latex(sympy.Symbol(node.key), n)
        if visible_width(tex) > MATRIX_NAME_WIDTH:
            name = rf"\mathcal{{A}}_{{{len(n.latex_aliases) + 1}}}"
            n.latex_aliases[node.key] = name
            rows.append((name, "=", [tex.removeprefix(r"\left(").removesuffix(r"\right)")]))
    return rows


def flatten_sum(expr: sympy.Expr) -> sympy.Expr:
    """An unevaluated sum of sums (as the author wrote a + b + c) as one flat unevaluated sum."""
    if not expr.is_Add:
        return expr
    terms = []
    for arg in expr.args:
        terms.extend(flatten_sum(arg).args if flatten_sum(arg).is_Add else [arg])
    return sympy.Add(*terms, evaluate=False)


#: A left-hand side wider than this (a reduction's adjoint, δ(mean(...))) gets an align* of its own, so it does
#: not widen the left column of every other row.
WIDE_LHS = 12


def align_blocks(entries: list[tuple[str, str, list[str]]]) -> list[list[dict[str, str]]]:
    """align* blocks: one for all entries, or one per entry when some left-hand side is wide."""
    if any(visible_width(lhs) > WIDE_LHS for lhs, _, _ in entries):
        return [align_rows([entry]) for entry in entries]
    return [align_rows(entries)] if entries else []


def align_rows(entries: list[tuple[str, str, list[str]]]) -> list[dict[str, str]]:
    """Rows of an align* block from (lhs, relation, rhs lines): continuation lines, separators on all but the last."""
    rows = []
    widest = max((visible_width(lhs) for lhs, _, _ in entries), default=0.0)
    width = max(MIN_LINE_WIDTH, MAX_LINE_WIDTH - max(0.0, widest - SHORT_LHS))  # align* sets every line after the widest lhs
    for lhs, relation, lines in entries:
        lines = [part for line in lines for part in break_line(line, width, visible_width)]
        for index, line in enumerate(lines):
            rows.append({"lhs": lhs if index == 0 else "", "op": relation if index == 0 else r"\quad", "rhs": line, "sep": " \\\\"})
    if rows:
        rows[-1]["sep"] = ""
    return rows


def split_sum(expr: sympy.Expr, n: Notation, width: int) -> list[str]:
    """A long sum packed greedily under `width`, later lines starting with their sign."""
    if not expr.is_Add:
        return [latex(expr, n)]
    chunks: list[list[sympy.Expr]] = [[]]
    for term in expr.args:
        trial = chunks[-1] + [term]
        if chunks[-1] and visible_width(latex(sympy.Add(*trial, evaluate=False), n, keep_order=True)) > width:
            chunks.append([term])
        else:
            chunks[-1] = trial
    lines = [latex(sympy.Add(*chunk, evaluate=False), n, keep_order=True) for chunk in chunks]
    return [line if k == 0 or line.startswith("-") else "+ " + line for k, line in enumerate(lines)]


def split_product(expr: sympy.Expr, n: Notation, width: int = MAX_LINE_WIDTH) -> list[str]:
    """A long product (or sum) as several LaTeX lines, factors packed greedily under `width`."""
    if expr.is_Add:
        return split_sum(expr, n, width)
    whole = latex(expr, n)
    if not expr.is_Mul or visible_width(whole) <= width:
        return [whole]
    if any(f.is_Add and visible_width(latex(f, n)) > width for f in expr.args):
        return split_sum(sympy.expand(expr), n, width)
    chunks: list[list[sympy.Expr]] = [[]]
    for factor in sympy.Mul.make_args(expr):
        trial = chunks[-1] + [factor]
        if chunks[-1] and visible_width(latex(sympy.Mul(*trial, evaluate=False), n)) > width:
            chunks.append([factor])
        else:
            chunks[-1] = trial
    lines = []
    for index, chunk in enumerate(chunks):
        text = latex(sympy.Mul(*chunk, evaluate=False), n)
        if len(chunk) == 1 and (chunk[0].is_Add or (index and chunk[0].could_extract_minus_sign())):
            text = rf"\left({text}\right)"
        vectors = is_vector(n, sympy.Mul(*chunk)) and any(is_vector(n, f) for c in chunks[:index] for f in c)
        lines.append(rf"\odot {text}" if vectors else text)
    return lines


#: A Jacobian block longer than this many lines is named, not printed (`lstmsym flow` prints it).
MAX_FLOW_LINES = 12
#: Narrower than MAX_LINE_WIDTH: a chain's lines carry "+" and an indent.
CHAIN_WIDTH = 36


def chain_lines(chain, n: Notation) -> list[str]:
    """One chain diag(a) M ... of a Jacobian block as align* lines: its factors (a long diagonal split in pieces)
    packed greedily under MAX_LINE_WIDTH."""
    from .flowview import factor_latex

    pieces: list[str] = []
    for factor in chain:
        parts = split_product(factor.coef, n, CHAIN_WIDTH) if factor.kind == "diag" and factor.coef != 1 else []
        if len(parts) > 1:
            pieces += [r"\operatorname{diag}\Big(" + parts[0]] + parts[1:-1] + [parts[-1] + r"\Big)"]
        else:
            pieces.append(factor_latex(factor, n))
    lines = [""]
    for piece in pieces:
        trial = (lines[-1] + " " + piece).strip()
        if lines[-1] and visible_width(trial) > CHAIN_WIDTH:
            lines.append(piece)
        else:
            lines[-1] = trial
    return [line if k == 0 else r"\quad " + line for k, line in enumerate(lines)]


def scan_context(derived: Derived, n) -> dict[str, Any]:
    """The states with a parallel-scan form s_t = a_t ⊙ s_{t-1} + b_t, with a and b in LaTeX and text."""
    from ..derive.scan import ScanForm
    from ..printing.text import text

    form = ScanForm(derived)
    states = []
    for ls in form.states:
        state = next(s for s in derived.cell.states if s.name == ls.state)
        states.append({"name": ls.state, "latex": latex(sympy.Symbol(ls.state), n), "previous_latex": latex(sympy.Symbol(ls.previous), n),
                       "a_latex": latex(ls.a, n), "b_latex": latex(ls.b, n), "a_text": text(ls.a, n), "b_text": text(ls.b, n),
                       "previous": state.previous, "round": ls.order + 1, "input_only": ls.a == 0})
    groups, rows = [], []
    for group in form.groups:
        groups.append({"names": list(group.states), "round": group.order + 1,
                       "vector_latex": r"\left(" + ", ".join(latex(sympy.Symbol(x), n) for x in group.states) + r"\right)"})
        for name, coefficients, b in zip(group.states, group.a, group.b):
            rows.append(group_row(name, group.previous, coefficients, b, n))
    others = [s.name for s in derived.cell.states if s.name not in form.linear_names]
    rounds = {s["round"] for s in states} | {g["round"] for g in groups}
    return {"states": states, "parallel": form.parallel, "others": others, "rounds": len(rounds), "groups": groups,
            "group_rows": rows}


def group_row(name: str, previous, coefficients, b, n) -> dict[str, str]:
    """One state of a coupled group as its own equation, s_i = Σ_j a_ij ⊙ s_j,t-1 + b_i (zero entries left out), in
    LaTeX and text."""
    from ..printing.text import text

    terms = [(a, p) for a, p in zip(coefficients, previous) if a != 0]
    tex = [rf"\left({latex(a, n)}\right) \odot {latex(sympy.Symbol(p), n)}" for a, p in terms]
    plain = [f"({text(a, n)}) * {p}" for a, p in terms]
    if b != 0:
        tex.append(rf"\left({latex(b, n)}\right)")
        plain.append(f"({text(b, n)})")
    return {"name": name, "latex": latex(sympy.Symbol(name), n), "rhs_latex": " + ".join(tex), "rhs_text": " + ".join(plain)}


def flow_context(derived: Derived, n) -> dict[str, Any]:
    """The state-to-state Jacobian blocks as align* rows (the adjoint form Jᵀv where a block has no chains)."""
    from ..derive.flow import V, Flow
    from .flowview import applied_to, flow_view

    view = flow_view(derived, n)
    view["long"] = []
    entries = []
    for block, shown in zip(Flow(derived).blocks, view["blocks"]):
        if block.zero:
            continue
        frac = rf"\frac{{\partial {shown['row_latex']}}}{{\partial {shown['col_latex']}}}"
        if block.chains is None:
            lines = split_latex(block.adjoint.xreplace({V: applied_to(block)}), n)
            lhs = rf"\left({frac}\right)^{{\top}} {latex(applied_to(block), n)}"
        else:
            lines, lhs = [], frac
            for index, chain in enumerate(block.chains):
                part = chain_lines(chain, n)
                lines += [("+ " if index and k == 0 else "") + line for k, line in enumerate(part)]
        if len(lines) > MAX_FLOW_LINES or any(visible_width(lhs) + visible_width(line) > 1.2 * MAX_LINE_WIDTH for line in lines):
            view["long"].append(shown)
            continue
        entries.append((lhs, "=", lines))
    view["align"] = align_blocks(entries)
    view["zero"] = [b for b in view["blocks"] if b["zero"]]
    return view


def _shape_latex(shape: list[str]) -> str:
    return r" \times ".join(shape) if shape else r"\text{scalar}"


def counts_context(derived: Derived) -> list[dict[str, Any]]:
    """Each convention's formula with its total at the reference sizes."""
    rows, sizes = [], derived.cell.size_rules.reference_sizes()
    for convention, view in counts_view(derived).items():
        total = evaluate(derived.cell, derived.count(CountQuery(convention)), sizes)
        rows.append({"convention": convention, "label": view["module"], "latex": view["latex"], "text": view["formula"],
                     "total": total, "total_text": f"{total:,}"})
    return rows


def cost_context(derived: Derived) -> dict[str, Any]:
    """The cost section: formulas per step and sequence, values at the reference sizes."""
    cost = derived.cost
    sizes = derived.cell.size_rules.reference_sizes()
    rows = [("Forward, operator products (FLOPs)", cost.forward_flops),
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


def sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in sizes.items())


@lru_cache(maxsize=None)
def cell_context(derived: Derived) -> dict[str, Any]:
    """All values a write-up, page or cell.json needs; text stays raw (templates escape it)."""
    cell, n = derived.cell, notation_of(derived)
    where = name_long_matrices(derived, n)
    grads = gradient_view(derived)
    lines = {st.target: split_latex(st.expr, n) for st in derived.backward.statements}
    for section, (key, kinds, _) in zip(grads["sections"], (("step", ("node",), ""), ("carry", ("carry",), ""),
                                                              ("input", ("input",), ""), ("params", ("param",), ""))):
        relation = r"\mathrel{+}=" if key == "params" else "="
        statements = derived.backward.by_kind(*kinds)
        rows = [(e["latex_lhs"], relation, lines[st.target]) for e, st in zip(section["entries"], statements)]
        section["rows"], section["blocks"] = align_rows(rows), align_blocks(rows)
    recurrences = [(e["latex_lhs"], "=", split_latex(rec.expr, n)) for rec, e in zip(derived.bptt.recurrences, grads["recurrences"])]
    grads["recurrence_rows"], grads["recurrence_blocks"] = align_rows(recurrences), align_blocks(recurrences)
    grads["sum_rows"] = align_rows([(s["latex_lhs"], "=", [s["latex"]]) for s in grads["sums"][:3]])
    params = parameters_view(derived)
    for p in params:
        p["latex"] = latex(sympy.Symbol(p["name"]), n)
        p["shape_latex"] = _shape_latex(p["shape"]) + (rf"\text{{ in {p['blocks']} blocks}}" if p["blocks"] else "")
    sizes = cell.size_rules.reference_sizes()
    equations = equations_view(derived)
    return {
        "name": cell.name, "title": cell.title, "family": cell.family, "year": cell.year, "summary": cell.summary,
        "source": cell.spec.notes, "aliases": list(cell.spec.aliases),
        "references": [dict(ref.__dict__, key=ref.key) for ref in cell.references],
        "sizes": [{"name": k, "role": v, "latex": k} for k, v in cell.sizes.items()],
        "size_rules": cell.size_rules.describe(),
        "inputs": [{"name": i.name, "latex": latex(sympy.Symbol(i.name), n), "shape": _shape_latex(list(i.shape)),
                    "role": i.role} for i in cell.inputs],
        "input": {"name": cell.input, "latex": latex(sympy.Symbol(cell.input), n), "size": cell.input_size},
        "states": [{"name": s.name, "latex": latex(sympy.Symbol(s.name), n), "size": _shape_latex(list(s.shape)), "role": s.role,
                    "previous_latex": latex(sympy.Symbol(s.previous), n)} for s in cell.states],
        "outputs": list(cell.outputs),
        "constants": [{"name": k, "latex": latex(sympy.Symbol(k), n), "value": str(v)} for k, v in cell.constants.items()],
        "matrices": [{"name": m.name, "latex": latex(sympy.Symbol(m.name), n), "shape": _shape_latex(list(m.shape)),
                      "shape_text": " × ".join(m.shape), "kind": m.kind,
                      "words": MATRIX_KINDS[m.kind].words.format(name=m.name, r=m.shape[0], c=m.shape[1],
                                                                         rows=table_text(m.table))}
                     for m in cell.spec.matrices.values()],
        "equations": equations,
        "has_roles": any(e["role"] for e in equations),
        "equation_rows": align_rows([(e["latex_lhs"], "=", split_latex(expr, n, keep_order=True))
                                     for e, (_, expr) in zip(equations, cell.equations)] + where),
        "parameters": params,
        "counts": counts_context(derived),
        "reference_sizes": sizes,
        "reference_sizes_text": sizes_text(sizes),
        "gradients": grads,
        "flow": flow_context(derived, n),
        "scan": scan_context(derived, n),
        "cost": cost_context(derived),
        "version": __version__,
        "time": n.time_letter,
        "overview": [{"name": title, "equations": list(members)} for title, members in blocks(cell)]
                    if has_overview(derived, n) else [],
    }
