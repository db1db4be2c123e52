"""Vector-level operations that appear in derived equations (and in formulas given to `check`), as SymPy
functions the printers, code generators and evaluators know. Elementwise arithmetic stays SymPy's own."""

from __future__ import annotations

import sympy
from sympy import Function

from .along import CLASSES, SPEC_OPERATORS


class MatVec(Function):
    """M v: a matrix (a parameter, a matrix expression or a matrix-valued quantity) times a vector."""

    nargs = 2


class MatTVec(Function):
    """M^T v: what the adjoint of u gains from a term M @ u (args: matrix, vector expression)."""

    nargs = 2


class Outer(Function):
    """u v^T: a step's contribution to the gradient of M from a term M @ v (args: adjoint, vector)."""

    nargs = 2


class BlockOuter(Function):
    """u v^T kept to the diagonal blocks of block-diagonal matrix M (heads): its gradient keeps the blocks
    (args: adjoint, vector, M)."""

    nargs = 3


class SumUnits(Function):
    """The sum over every unit of a per-unit expression: how a scalar collects its adjoint."""

    nargs = 1


class SumTrailing(Function):
    """The sum over the trailing `k` axes: a per-channel quantity collecting from a feature map (k = 2, the
    positions), or a per-row vector collecting from a matrix it was spread along (k = 1, the row sums)."""

    nargs = 2


def row_sum(expr: SumTrailing) -> bool:
    """Whether a SumTrailing sums the columns of a matrix (printed rowsum) rather than a map's positions."""
    return expr.args[1] == 1


class Transposed(Function):
    """The transpose of a matrix-valued expression."""

    nargs = 1


class Conv(Function):
    """conv(K, x): the same-padded convolution of feature map x with kernel K."""

    nargs = 2


class ConvT(Function):
    """The adjoint of conv(K, .) applied to a feature map: the transposed convolution."""

    nargs = 2


class ConvW(Function):
    """The gradient of conv(K, x) with respect to K: the correlation of the adjoint with x (args: adjoint, x, K)."""

    nargs = 3


class Next(Function):
    """Marks an expression evaluated at step t+1 (in the BPTT recurrences)."""

    nargs = 1


class LossGrad(Function):
    """The gradient of the step's loss term with respect to an output (d l_t / d y_t)."""

    nargs = 1


#: Operations whose value is a vector the length of their (first) argument, coupling its units.
ALONG_UNITS = tuple(CLASSES.values())
VECTOR_OPS = (MatVec, MatTVec, Outer, BlockOuter, SumUnits, SumTrailing, Transposed, Conv, ConvT, ConvW, Next, LossGrad) + ALONG_UNITS
#: Operations whose value is a matrix (or kernel), not per-unit.
MATRIX_VALUED = (Outer, BlockOuter, Transposed, ConvW)


#: Each graph operator (ir.OPERATORS) as the vector operation it computes: tmatvec is M^T v for a matrix
#: quantity M (S.T @ q with S a matrix-valued state); the unit operators take one vector.
OPERATOR_FORMS = {"matvec": MatVec, "tmatvec": MatTVec, "conv": Conv, "outer": Outer} | {k: CLASSES[k] for k in SPEC_OPERATORS}


def operator_form(op: str, *operands: sympy.Expr) -> sympy.Expr:
    """The vector operation a graph operator computes, on its operands."""
    return OPERATOR_FORMS[op](*operands)


def has_vector_ops(expr: sympy.Expr) -> bool:
    return any(expr.has(op) for op in VECTOR_OPS)


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
