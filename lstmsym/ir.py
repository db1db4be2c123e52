"""Vector-level operations that appear in derived equations, as SymPy functions the printers know."""

from __future__ import annotations

import sympy
from sympy import Function


class MatVec(Function):
    """M v (in formulas a user writes for `check`; derived equations use MatTVec)."""

    nargs = 2


class MatTVec(Function):
    """M^T v: what the adjoint of u gains from a term M @ u (args: matrix symbol, vector expression)."""

    nargs = 2


class Outer(Function):
    """u v^T: a step's contribution to the gradient of M from a term M @ v (args: adjoint expr, vector)."""

    nargs = 2


class SumUnits(Function):
    """Sum over the units of a vector: how a scalar collects its adjoint from a vector expression."""

    nargs = 1


class Transposed(Function):
    """The transpose of a matrix-valued adjoint (for parameters used as W.T in a matrix expression)."""

    nargs = 1


class Next(Function):
    """Marks an expression evaluated at step t+1 (used when printing the BPTT recurrences)."""

    nargs = 1


class LossGrad(Function):
    """The gradient of the step's loss term with respect to an output (d l_t / d y_t)."""

    nargs = 1


VECTOR_OPS = (MatVec, MatTVec, Outer, SumUnits, Transposed, Next, LossGrad)


def has_vector_ops(expr: sympy.Expr) -> bool:
    return any(expr.has(op) for op in VECTOR_OPS)
