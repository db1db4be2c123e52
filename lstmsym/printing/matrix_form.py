"""The cell's expressions as SymPy matrix expressions (MatrixSymbol, MatMul, HadamardProduct, elementwise
functions), for users who want standard SymPy objects: sympy.latex, subs and lambdify work on them."""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from ..model.cell import Cell
from ..model.functions import ElementwiseBase, info_of
from ..model.ir import MatrixExpr, Operator, Reduction
from ..model.sizes import size_of_key, size_symbol
from ..model.vector_ops import MatTVec, MatVec, Outer, SumUnits, Transposed
from ..spec.naming import value_key
from .notation import Notation


class MatrixForm:
    """Converts one cell's per-unit expressions (keys as symbols) to matrix expressions (names as symbols)."""

    def __init__(self, cell: Cell, notation: Notation) -> None:
        self.cell, self.notation = cell, notation

    def name(self, key: str) -> str:
        return self.notation.text_name(key) or key.replace(":", "_")

    def dims(self, key: str) -> tuple:
        shape = self.cell.shapes.get(key, ())
        sizes = [size_symbol(s) for s in shape]
        if len(sizes) == 1:
            return sizes[0], 1
        if len(sizes) == 2:
            return sizes[0], sizes[1]
        return None

    def symbol(self, key: str):
        size = size_of_key(key)
        if size is not None:
            return size_symbol(size)
        base = value_key(key)
        node = self.cell.node(key) if self.cell.has_node(key) else None
        if isinstance(node, Operator) and node.op == "matvec":
            return sympy.MatMul(self.symbol(node.args[0]), self.symbol(node.args[1]))
        if isinstance(node, Operator) and node.op == "outer":
            return sympy.MatMul(self.symbol(node.args[0]), self.symbol(node.args[1]).T)
        if isinstance(node, Reduction) or (node is not None and key.startswith("red:")):
            return self.convert(self.cell.display[key])
        if isinstance(node, MatrixExpr):
            return sympy.MatAdd(*[t.coef * (self.symbol(t.source).T if t.transposed else self.symbol(t.source)) for t in node.terms])
        if node is not None and node.origin == "argument":
            return self.convert(self.cell.display[key])
        dims = self.dims(base)
        if key == "I" and not self.cell.has_node("I") and not self.cell.is_parameter("I"):
            return sympy.Identity(size_symbol("n"))
        return sympy.MatrixSymbol(self.name(key), *dims) if dims else sympy.Symbol(self.name(key))

    def convert(self, expr: sympy.Expr):
        """A per-unit expression as a matrix expression."""
        if expr.is_Symbol:
            return self.symbol(expr.name)
        if expr.is_Number:
            return expr
        if isinstance(expr, ElementwiseBase):
            arg = self.convert(expr.args[0])
            if not isinstance(arg, sympy.MatrixExpr):
                return type(expr).standard(*[self.convert(a) for a in expr.args])
            x = sympy.Dummy("x")
            return ElementwiseApplyFunction(sympy.Lambda(x, type(expr).standard(x) if info_of(expr).name != "sigmoid" else 1 / (1 + sympy.exp(-x))), arg)
        if isinstance(expr, MatTVec):
            return sympy.MatMul(self.convert(expr.args[0]).T, self.convert(expr.args[1]))
        if isinstance(expr, MatVec):
            return sympy.MatMul(self.convert(expr.args[0]), self.convert(expr.args[1]))
        if isinstance(expr, Outer):
            return sympy.MatMul(self.convert(expr.args[0]), self.convert(expr.args[1]).T)
        if isinstance(expr, Transposed):
            return self.convert(expr.args[0]).T
        if isinstance(expr, SumUnits):
            inner = self.convert(expr.args[0])
            if isinstance(inner, sympy.MatrixExpr):
                return (sympy.OneMatrix(1, inner.shape[0]) * inner)[0, 0]
            return inner
        args = [self.convert(a) for a in expr.args]
        if isinstance(expr, sympy.Function) and expr.func.__name__ in ("sum", "mean", "dot"):
            return self.reduction(expr.func.__name__, args)
        if expr.is_Add:
            return sympy.Add(*args) if not any(isinstance(a, sympy.MatrixExpr) for a in args) else self.matrix_sum(args)
        if expr.is_Mul:
            matrices = [a for a in args if isinstance(a, sympy.MatrixExpr)]
            scalars = [a for a in args if not isinstance(a, sympy.MatrixExpr)]
            product = sympy.HadamardProduct(*matrices) if len(matrices) > 1 else (matrices[0] if matrices else sympy.S.One)
            return sympy.Mul(*scalars) * product if matrices else sympy.Mul(*scalars)
        if expr.is_Pow and isinstance(args[0], sympy.MatrixExpr):
            return sympy.HadamardPower(args[0], args[1])
        return expr.func(*args)

    @staticmethod
    def reduction(name: str, args: list):
        """sum(a) = 1ᵀa, mean(a) = 1ᵀa / n, dot(a, b) = aᵀb, as scalars."""
        first = args[0]
        if not isinstance(first, sympy.MatrixExpr):
            return first * args[1] if name == "dot" else first
        if name == "dot":
            return (first.T * args[1])[0, 0]
        total = (sympy.OneMatrix(1, first.shape[0]) * first * sympy.OneMatrix(first.shape[1], 1))[0, 0]
        return total / (first.shape[0] * first.shape[1]) if name == "mean" else total

    def matrix_sum(self, args):
        shape = next(a.shape for a in args if isinstance(a, sympy.MatrixExpr))
        return sympy.MatAdd(*[a if isinstance(a, sympy.MatrixExpr) else a * sympy.OneMatrix(*shape) for a in args])
