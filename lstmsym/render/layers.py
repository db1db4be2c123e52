"""Layers as the forward diagram draws them: one affine map and at most one nonlinearity per box, read off a
per-unit expression. Everything else the expression does (a product of two computed vectors, a weight-free
function of an input, a reset applied after a recurrent product) stays outside the box as its own operation,
so a box never hides one. The label names the weights and how each is applied ("σ: W_f, U_f")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from ..model.cell import Cell
from ..model.functions import BY_CLASS, ElementwiseBase
from ..model.ir import MatrixExpr
from ..model.vector_ops import Conv, MatVec, Transposed
from ..printing.html import html
from ..printing.latex import latex
from ..printing.marks import CONV, ODOT
from ..printing.notation import Notation

#: How a weight is applied, as (HTML, LaTeX) written after its name in a layer's label: a matrix product
#: (nothing), a convolution, an elementwise (diagonal, peephole) weight, a block-diagonal matrix (heads).
WEIGHT_MARKS = {"matvec": ("", ""), "conv": (CONV.html, CONV.latex), "diag": (ODOT.html, ODOT.latex), "blocks": ("⊞", r"\boxplus")}
#: Between a layer's function and its weights.
LABEL_COLON = (": ", r"\colon ")


@dataclass(frozen=True)
class Weighted:
    """coef * M applied to a vector (op: 'matvec' or 'conv'; key: the operator's key in the cell)."""

    coef: sympy.Expr
    key: str


@dataclass(frozen=True)
class Affine:
    """func(sum of weighted products + sum of coef * operand + bias): one layer box. func is None for an affine
    map alone; operands are per-unit expressions added elementwise, scaled by a coefficient free of the step."""

    func: type | None
    weights: tuple[Weighted, ...]
    operands: tuple[tuple[sympy.Expr, sympy.Expr], ...]
    bias: sympy.Expr


def affine_form(expr: sympy.Expr, cell: Cell, unfold: Callable[[sympy.Expr], sympy.Expr],
                is_scalar: Callable[[sympy.Expr], bool]) -> Affine | None:
    """expr as one layer, or None when it is not f(affine map with at least one weight matrix or kernel).
    `unfold` writes a pre-activation out; `is_scalar` tells coefficients (parameters, constants) from values."""
    func, body = None, expr
    if isinstance(expr, ElementwiseBase) and len(expr.args) == 1:
        func, body = type(expr), expr.args[0]
    body = unfold(body)
    scale, rest = body.as_coeff_Mul() if body.is_Mul else (sympy.S.One, body)
    if scale != 1 and rest.is_Add:
        body = rest
    else:
        scale = sympy.S.One
    weights, operands, bias = [], [], []
    ops = {op.key: op for op in cell.operators}
    for term in sympy.Add.make_args(body):
        factors = sympy.Mul.make_args(term)
        coef = scale * sympy.Mul(*[f for f in factors if is_scalar(f)])
        value = sympy.Mul(*[f for f in factors if not is_scalar(f)])
        if value == 1:
            bias.append(scale * term)
        elif value.is_Symbol and value.name in ops and is_weight(cell, ops[value.name]):
            weights.append(Weighted(coef, value.name))
        else:
            operands.append((coef, value))
    if not weights:
        return None
    return Affine(func, tuple(weights), tuple(operands), sympy.Add(*bias))


def is_weight(cell: Cell, op) -> bool:
    """A matrix product or convolution whose matrix is learned (a parameter or a matrix of parameters)."""
    return op.op in ("matvec", "conv") and not cell.is_batched(op.args[0])


def matrix_expr(cell: Cell, name: str) -> sympy.Expr:
    """A weight as an expression: a parameter's symbol, or a matrix expression written out (W - W^T - γI)."""
    node = cell.node(name) if cell.has_node(name) else None
    if isinstance(node, MatrixExpr):
        return sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source))
                           for t in node.terms])
    return sympy.Symbol(name)


def applied(cell: Cell, weight: Weighted, vector: sympy.Expr) -> sympy.Expr:
    """The weighted product coef * (M @ vector) or coef * conv(K, vector), for a node's semantics."""
    op = cell.node(weight.key)
    matrix = matrix_expr(cell, op.args[0])
    return weight.coef * (Conv(matrix, vector) if op.op == "conv" else MatVec(matrix, vector))


def _mark(cell: Cell, op) -> str:
    if op.op == "conv":
        return "conv"
    return "blocks" if is_blocked(cell, op.args[0]) else "matvec"


def is_blocked(cell: Cell, name: str) -> bool:
    """Whether a matrix is block-diagonal (one block per head)."""
    return bool(cell.is_parameter(name) and cell.parameter(name).blocks)


def matrix_html(cell: Cell, matrix: sympy.Expr, notation: Notation) -> tuple[str, str]:
    """(HTML, LaTeX) of a matrix in a label, marked ⊞ when it is block-diagonal."""
    mark = WEIGHT_MARKS["blocks"] if matrix.is_Symbol and is_blocked(cell, matrix.name) else ("", "")
    return html(matrix, notation) + mark[0], latex(matrix, notation) + mark[1]


def layer_label(form: Affine, cell: Cell, notation: Notation) -> tuple[str, str]:
    """(HTML, LaTeX) of a layer box: its function, then each weight with how it is applied and the bias ("σ: W_f,
    U_f, b_f", "σ: W_xi∗, W_hi∗, W_ci⊙, b_i"); an affine map alone shows its parameters only."""
    html_parts, tex_parts = [], []
    for weight in form.weights:
        op = cell.node(weight.key)
        matrix = weight.coef * matrix_expr(cell, op.args[0])
        mark = WEIGHT_MARKS[_mark(cell, op)]
        html_parts.append(html(matrix, notation) + mark[0])
        tex_parts.append(latex(matrix, notation) + mark[1])
    for coef, _ in form.operands:
        if coef != 1:
            html_parts.append(html(coef, notation) + WEIGHT_MARKS["diag"][0])
            tex_parts.append(latex(coef, notation) + WEIGHT_MARKS["diag"][1])
    for term in sympy.Add.make_args(form.bias) if form.bias != 0 else ():  # the bias too: gru2 is gru1 without it
        html_parts.append(html(term, notation))
        tex_parts.append(latex(term, notation))
    weights_html, weights_tex = ", ".join(html_parts), ", ".join(tex_parts)
    if form.func is None:
        return weights_html, weights_tex
    info = BY_CLASS[form.func]
    return info.html + LABEL_COLON[0] + weights_html, info.label_latex + LABEL_COLON[1] + weights_tex
