"""The vector operators of derived equations, one table entry each (issue 23's operator registry, with model.along
for the operators along the units).

matvec, its transpose, the outer products, the sums, the transpose and the convolutions: an entry holds everything
lstmsym knows of one operator. Its layout in the math notations (model.layouts, rendered by the LaTeX, MathML and
HTML printers with one method each) and in the spec's own notation (the text printer, `check`'s formulas), its
value's rank and its interpreter (verify.interpret), its adjoint rule when a spec writes it (derive.backward), its
cost per unit, and what the gradient-flow analysis calls it. The SymPy classes are made from the entries; a new
operator is one entry here, plus the code each backend's printer writes for it and the names the independent
readers keep for themselves. Next (a time shift) and LossGrad (a leaf) are markers, not operators: the printers
keep their own rules for them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import sympy
from sympy import Function

from . import arrays
from .ir import Operator
from .along import CLASSES, SPEC_OPERATORS
from .layouts import Arg, Call, Label, Mark, Name, Node, Operand, Sub, Sup, UnderT, row

#: How the interpreter reads an argument: "matrix" (a parameter's dense matrix, or an expression of rank 2),
#: "vector" (rank 1), "map" (a feature map, rank 3), "kernel" (a parameter's array as stored), "value" (any rank),
#: "count" (an integer argument, not evaluated).
OPERAND_KINDS = ("matrix", "vector", "map", "kernel", "value", "count")
#: The slots of a layout in the spec notation: {a0} argument 0 as printed, {o0} as a factor (bracketed when a sum or
#: a product), {b0} bare (a call's argument), {m0} bracketed unless it is one symbol (before .T).
TEXT_SLOT = re.compile(r"\{([aobm])(\d)\}")


@dataclass(frozen=True)
class VectorOp:
    """One vector operator.

    symbol: the SymPy class's name. meaning: what it computes.
    operands: how the interpreter reads each argument (OPERAND_KINDS).
    interpret: the value from the arguments read so (model.arrays' reference forms).
    rank: the value's rank per unit (0 a scalar, 1 a vector, 2 a matrix, 3 a feature map, 4 a kernel); None: the
        first argument's rank less the second (SumTrailing).
    math: the layout in LaTeX, MathML and HTML (model.layouts), or a function of the expression giving it.
    text: the spec notation's format (TEXT_SLOT), or a function of the expression giving it.
    spec_op: the graph operator (model.ir.OPERATORS) it computes, for those a spec writes.
    adjoint: for a spec's operator, (index, upstream g, *arguments) -> what argument `index` gets.
    matrix_valued: whether its value is a matrix or kernel rather than per-unit.
    linear: whether it is linear in its first two arguments (M @ 0 = 0).
    flow: what the gradient-flow analysis says a gradient passes through, when it passes through this.
    counts: elementwise operations per unit it costs ("sum"...), beside the products the cost counts as MACs.
    """

    symbol: str
    meaning: str
    operands: tuple[str, ...]
    interpret: Callable[..., np.ndarray]
    rank: int | None
    math: Node | Callable[[sympy.Expr], Node]
    text: str | Callable[[sympy.Expr], str]
    spec_op: str | None = None
    adjoint: Callable[..., sympy.Expr] | None = None
    matrix_valued: bool = False
    linear: bool = True
    flow: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def cls(self) -> type:
        return OPERATORS[self.symbol]

    def layout(self, expr: sympy.Expr) -> Node:
        return self.math(expr) if callable(self.math) else self.math

    def text_layout(self, expr: sympy.Expr) -> str:
        return self.text(expr) if callable(self.text) else self.text


class VectorOpBase(Function):
    """The SymPy class of a vector operator (subclassed per entry): the printers dispatch on this class
    (_print_VectorOpBase) and read the entry."""

    entry_name: str = ""


def op(symbol: str) -> type:
    """The SymPy class of the table's operator `symbol` (for adjoint rules written before the classes exist)."""
    return OPERATORS[symbol]


def row_sum(expr: sympy.Expr) -> bool:
    """Whether a SumTrailing sums the columns of a matrix (printed rowsum) rather than a map's positions."""
    return expr.args[1] == 1


T = Mark("transpose")
_SUM_TRAILING = (Call(Name("rowsum"), Arg(0)), Call(Sub(Mark("sum_inline"), Label("pos")), Arg(0)))

#: The table. Adjoints (MatTVec, Outer, BlockOuter, ConvT, ConvW, the sums) are operators too: the backward pass
#: writes them, and every printer, the interpreter and the cost read them here.
TABLE: tuple[VectorOp, ...] = (
    VectorOp("MatVec", "M v: a matrix (a parameter, a matrix expression or a matrix-valued quantity) times a vector",
             ("matrix", "vector"), lambda m, v: m @ v, 1, row(Operand(0), Operand(1)), "{o0} @ {o1}",
             # the vector gets M^T dy; a matrix-valued quantity M gets dy v^T
             spec_op="matvec", adjoint=lambda i, g, m, v: op("MatTVec")(m, g) if i == 1 else op("Outer")(g, v)),
    VectorOp("MatTVec", "M^T v: what the adjoint of u gains from a term M @ u (args: matrix, vector expression)",
             ("matrix", "vector"), lambda m, v: m.T @ v, 1, row(Sup(Operand(0), T), Operand(1)), "{m0}.T @ {o1}",
             # y = M^T v (S.T @ q): the vector gets M dy; the matrix-valued quantity M gets v dy^T
             spec_op="tmatvec", adjoint=lambda i, g, m, v: op("MatVec")(m, g) if i == 1 else op("Outer")(v, g)),
    VectorOp("Outer", "u v^T: a step's contribution to the gradient of M from a term M @ v (args: adjoint, vector)",
             ("vector", "vector"), np.multiply.outer, 2, row(Operand(0), UnderT(1), thin=True), "outer({b0}, {b1})",
             # Y = a b^T: a gets dY b, b gets dY^T a
             spec_op="outer", adjoint=lambda i, g, a, b: op("MatVec")(g, b) if i == 0 else op("MatTVec")(g, a),
             matrix_valued=True, flow="an outer product"),
    VectorOp("BlockOuter", "u v^T kept to the diagonal blocks of block-diagonal matrix M (heads): its gradient keeps "
             "the blocks (args: adjoint, vector, M)", ("vector", "vector", "kernel"),
             lambda u, v, m: arrays.diagonal_blocks(np.multiply.outer(u, v), m.shape[0]), 2,
             Call(Name("bdiag"), row(Operand(0), UnderT(1), thin=True)), "blocks(outer({b0}, {b1}))",
             matrix_valued=True, flow="an outer product"),
    VectorOp("SumUnits", "the sum over every unit of a per-unit expression: how a scalar collects its adjoint",
             ("value",), np.sum, 0, Call(Mark("total"), Arg(0)), "sum({a0})", flow="a reduction",
             counts={"sum": 1}),
    VectorOp("SumTrailing", "the sum over the trailing k axes: a per-channel quantity collecting from a feature map "
             "(k = 2, the positions), or a per-row vector collecting from a matrix it was spread along (k = 1, the row "
             "sums)", ("value", "count"), arrays.sum_trailing, None,
             lambda e: _SUM_TRAILING[0 if row_sum(e) else 1],
             lambda e: "rowsum({a0})" if row_sum(e) else "sum_positions({a0})", flow="a reduction", counts={"sum": 1}),
    VectorOp("Transposed", "the transpose of a matrix-valued expression", ("value",), lambda a: np.asarray(a).T, 2,
             UnderT(0), "{m0}.T", matrix_valued=True, linear=False),
    VectorOp("Conv", "conv(K, x): the same-padded convolution of feature map x with kernel K", ("kernel", "map"),
             lambda k, x: arrays.conv2d(x, k), 3, row(Arg(0), Mark("conv"), Operand(1)), "conv({a0}, {a1})",
             # y = conv(K, x): the map gets the transposed convolution of dy
             spec_op="conv", adjoint=lambda i, g, k, x: op("ConvT")(k, g), flow="a convolution"),
    VectorOp("ConvT", "the adjoint of conv(K, .) applied to a feature map: the transposed convolution",
             ("kernel", "map"), lambda k, x: arrays.conv2d_transpose(x, k), 3,
             row(Sup(Arg(0), T), Mark("conv"), Operand(1)), "conv_transpose({a0}, {a1})", flow="a convolution"),
    VectorOp("ConvW", "the gradient of conv(K, x) with respect to K: the correlation of the adjoint with x (args: "
             "adjoint, x, K)", ("map", "map", "kernel"), lambda d, x, k: arrays.conv2d_weight(d, x, k.shape[-1]), 4,
             row(Operand(0), Mark("correlate"), Operand(1)), "conv_weight({a0}, {a1})", matrix_valued=True,
             linear=False),
)


def _make_class(entry: VectorOp) -> type:
    return type(entry.symbol, (VectorOpBase,), {"nargs": len(entry.operands), "entry_name": entry.symbol,
                                                    "__doc__": entry.meaning, "__module__": __name__})


#: Entries and SymPy classes by class name.
ENTRIES: dict[str, VectorOp] = {entry.symbol: entry for entry in TABLE}
OPERATORS: dict[str, type] = {entry.symbol: _make_class(entry) for entry in TABLE}
MatVec, MatTVec, Outer, BlockOuter, SumUnits, SumTrailing, Transposed, Conv, ConvT, ConvW = OPERATORS.values()


def entry_of(expr: sympy.Expr) -> VectorOp:
    """The table's entry for an applied operator."""
    return ENTRIES[type(expr).entry_name]


def fill_text(layout: str, slot: Callable[[str, sympy.Expr], str], expr: sympy.Expr) -> str:
    """A spec-notation layout with its slots filled: slot(kind, argument) prints one argument."""
    return TEXT_SLOT.sub(lambda m: slot(m.group(1), expr.args[int(m.group(2))]), layout)


class Next(Function):
    """Marks an expression evaluated at step t+1 (in the BPTT recurrences)."""

    nargs = 1


class LossGrad(Function):
    """The gradient of the step's loss term with respect to an output (d l_t / d y_t)."""

    nargs = 1


#: Operations whose value is a vector the length of their (first) argument, coupling its units.
ALONG_UNITS = tuple(CLASSES.values())
VECTOR_OPS = tuple(OPERATORS.values()) + (Next, LossGrad) + ALONG_UNITS
#: Operations whose value is a matrix (or kernel), not per-unit.
MATRIX_VALUED = tuple(entry.cls for entry in TABLE if entry.matrix_valued)
#: Operators linear in their first two arguments.
LINEAR = tuple(entry.cls for entry in TABLE if entry.linear)


#: Each graph operator (ir.OPERATORS) as the vector operation it computes: tmatvec is M^T v for a matrix
#: quantity M (S.T @ q with S a matrix-valued state); the unit operators take one vector.
OPERATOR_FORMS = {entry.spec_op: entry.cls for entry in TABLE if entry.spec_op} | {k: CLASSES[k] for k in SPEC_OPERATORS}
#: The adjoint rule of each graph operator written by the table (the operators along the units: model.along).
ADJOINTS = {entry.spec_op: entry.adjoint for entry in TABLE if entry.spec_op}


def operator_form(name: str, *operands: sympy.Expr) -> sympy.Expr:
    """The vector operation a graph operator computes, on its operands."""
    return OPERATOR_FORMS[name](*operands)


def node_form(node: Operator) -> sympy.Expr:
    """The vector operation an operator node of the graph computes, on the names it reads."""
    return operator_form(node.op, *[sympy.Symbol(a) for a in node.args])


def has_vector_ops(expr: sympy.Expr) -> bool:
    return any(expr.has(o) for o in VECTOR_OPS)


def transposed(expr: sympy.Expr) -> sympy.Expr:
    """The transpose, simplified: (a b^T)^T = b a^T, (A^T)^T = A, and through sums and scalar factors."""
    if isinstance(expr, Outer):
        return Outer(expr.args[1], expr.args[0])
    if isinstance(expr, Transposed):
        return expr.args[0]
    if expr.is_Add:
        return sympy.Add(*[transposed(a) for a in expr.args])
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        if coeff != 1:
            return coeff * transposed(rest)
    return Transposed(expr)
