"""The gradient-flow blocks as text and LaTeX, for `lstmsym flow`, the write-ups and the pages."""

from __future__ import annotations

from typing import Any

import sympy

from ..derive.flow import V, Block, Factor, Flow
from ..printing.latex import latex
from ..printing.mathml import mathml
from ..printing.notation import Notation
from ..printing.text import text
from ..spec.naming import adjoint_key


def _factor_text(factor: Factor, n: Notation) -> str:
    if factor.kind == "diag":
        return f"diag({text(factor.coef, n)})" if factor.coef != 1 else "I"
    return text(sympy.Symbol(factor.matrix), n) + (".T" if factor.transposed else "")


def factor_latex(factor: Factor, n: Notation) -> str:
    if factor.kind == "diag":
        return r"\operatorname{diag}\left(" + latex(factor.coef, n) + r"\right)" if factor.coef != 1 else "I"
    return latex(sympy.Symbol(factor.matrix), n) + (r"^{\top}" if factor.transposed else "")


def applied_to(block: Block) -> sympy.Symbol:
    """What a block's adjoint form is applied to: the adjoint of its row state at step t (δC_t), a symbol the
    notation knows the shape of, so it can never be taken for a spec name such as xLSTM's v."""
    return sympy.Symbol(adjoint_key(block.row))


def block_text(block: Block, n: Notation) -> str:
    """J as a sum of chains, or its adjoint form (J^T d_s = ...) when it has no chain form."""
    if block.zero:
        return "0"
    if block.chains is None:
        return f"J^T {text(applied_to(block), n)} = {text(block.adjoint.xreplace({V: applied_to(block)}), n)}"
    return " + ".join(" @ ".join(_factor_text(f, n) for f in chain) for chain in block.chains)


def block_latex(block: Block, n: Notation) -> str:
    if block.zero:
        return "0"
    if block.chains is None:
        return rf"J^{{\top}} {latex(applied_to(block), n)} = " + latex(block.adjoint.xreplace({V: applied_to(block)}), n)
    return " + ".join(" ".join(factor_latex(f, n) for f in chain) for chain in block.chains)


def block_lines(block: Block, n: Notation) -> list[str]:
    """The right-hand side for an align* block: one chain per line (a sum's later lines start with +)."""
    if block.zero or block.chains is None:
        return [latex(block.adjoint.xreplace({V: applied_to(block)}), n)] if not block.zero else ["0"]
    return [("+ " if k else "") + " ".join(factor_latex(f, n) for f in chain) for k, chain in enumerate(block.chains)]


def structure_in(block: Block, n: Notation, name: Any) -> str:
    """The block's structure with each name written by `name(symbol)`: the spec's names in the document's notation
    (U_f as U_{f}, a matrix expression as W - Wᵀ), never the spec's raw keys or an internal key such as mat:h:1."""
    return "; ".join(words + ", ".join(name(sympy.Symbol(k)) for k in names) for words, names in block.parts)


def flow_view(derived, n: Notation, profile=None) -> dict[str, Any]:
    """Everything a page or the CLI shows about gradient flow."""
    flow = Flow(derived)
    state_latex = {s.name: (latex(sympy.Symbol(s.name), n), latex(sympy.Symbol(s.previous), n)) for s in derived.cell.states}
    blocks = []
    for block in flow.blocks:
        blocks.append({"row": block.row, "col": block.col, "text": block_text(block, n), "latex": block_latex(block, n),
                       "structure": structure_in(block, n, lambda s: text(s, n)), "gates": list(block.gates), "zero": block.zero,
                       "structure_latex": structure_in(block, n, lambda s: f"${latex(s, n)}$"),
                       "structure_html": structure_in(block, n, lambda s: f'<math>{mathml(s, n)}</math>'),
                       "row_latex": state_latex[block.row][0], "col_latex": state_latex[block.col][1],
                       "lines": block_lines(block, n), "adjoint_form": block.chains is None,
                       "col_text": text(sympy.Symbol(next(s.previous for s in derived.cell.states if s.name == block.col)), n)})
    view: dict[str, Any] = {"cell": derived.cell.name, "blocks": blocks}
    if profile is not None:
        view["profile"] = {"steps": list(profile.steps), "median": [float(f"{v:.3g}") for v in profile.median],
                           "low": [float(f"{v:.3g}") for v in profile.low], "high": [float(f"{v:.3g}") for v in profile.high],
                           "sizes": profile.sizes}
    return view
