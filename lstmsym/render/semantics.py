"""What a diagram's node computes, written on the node itself so the drawing can be executed.

Every node of a forward or gradient-flow diagram carries a `sem` attribute (Graphviz ignores attributes it does
not know, so the rendered picture is unchanged) holding one expression in the spec's own grammar: names as the
spec spells them, `@` for a matrix product, `W.T`, `conv(K, v)`, `outer(u, v)`, `sum`, `mean`, the spec's
function names. The node's operands are its incoming edges: an edge carries `arg="k"` and the expression reads
it as `#k`; a junction's value is `concat(...)` of its operands and a consumer reads its j-th part as `#k.j`.
Input nodes hold the name they stand for; a node that computes a named quantity lists the names in `quantity`.
Why: a reader of the DOT alone can rebuild the cell's equations and check them (tests/dot_reader.py does)."""

from __future__ import annotations

import sympy
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from ..model.functions import ElementwiseBase, info_of
from ..model.vector_ops import entry_of, fill_text

#: How an operand reference is written: the k-th incoming edge, or part j of what it carries.
REF_PREFIX = "#"


def ref(arg: int, part: int | None = None) -> sympy.Symbol:
    """The symbol that stands for a node's k-th operand (or for part j of it, when it is a junction's bundle)."""
    return sympy.Symbol(f"{REF_PREFIX}{arg}" + (f".{part}" if part is not None else ""))


class Mean(sympy.Function):
    """mean(v): the mean over every unit (a reduction node's value)."""

    nargs = 1


class Concat(sympy.Function):
    """concat(a, b, ...): the values a junction bundles, in order."""


class SemPrinter(StrPrinter):
    """Prints node semantics in the spec grammar, with raw names (no notation: the reader needs the spec's names)."""

    def _print(self, expr, **kwargs):
        if isinstance(expr, ElementwiseBase):
            return f"{info_of(expr).name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return expr.name

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        if expr.exp == -1:
            return f"1/{self.parenthesize(expr.base, PRECEDENCE['Pow'])}"
        return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}**{self.parenthesize(expr.exp, PRECEDENCE['Pow'])}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({expr.p}/{expr.q})" if expr.q != 1 else str(expr.p)

    def _operand(self, expr: sympy.Expr) -> str:
        text = self._print(expr)
        return f"({text})" if expr.is_Add or expr.is_Mul or expr.is_Pow or expr.is_Number else text

    def _print_MatVec(self, expr: sympy.Expr) -> str:  # in brackets: '@' binds as '*' does, and a factor may follow
        return f"({self._operand(expr.args[0])} @ {self._operand(expr.args[1])})"

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        return f"({self._operand(expr.args[0])}.T @ {self._operand(expr.args[1])})"

    def _print_Transposed(self, expr: sympy.Expr) -> str:
        return f"{self._operand(expr.args[0])}.T"

    def _call(self, name: str, expr: sympy.Expr) -> str:
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Conv(self, expr: sympy.Expr) -> str:
        return self._call("conv", expr)

    def _print_ConvT(self, expr: sympy.Expr) -> str:
        return self._call("convT", expr)

    def _print_Outer(self, expr: sympy.Expr) -> str:
        return self._call("outer", expr)

    def _print_along(self, expr: sympy.Expr) -> str:
        return self._call(expr.along, expr)

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        return self._call("sum", expr)

    def _print_SumTrailing(self, expr: sympy.Expr) -> str:
        return self._call("sumtrail", expr)

    def slot(self, kind: str, expr: sympy.Expr) -> str:
        printed = self._print(expr)
        if kind == "o":
            return self._operand(expr)
        return f"({printed})" if kind == "m" and not expr.is_Symbol else printed

    def _print_VectorOpBase(self, expr: sympy.Expr) -> str:
        """Any other operator of the table model.vector_ops: its spec-notation layout."""
        return fill_text(entry_of(expr).text_layout(expr), self.slot, expr)

    def _print_Mean(self, expr: sympy.Expr) -> str:
        return self._call("mean", expr)

    def _print_Concat(self, expr: sympy.Expr) -> str:
        return self._call("concat", expr)


def sem_text(expr: sympy.Expr) -> str:
    """A node's semantics as text (see the module docstring for the grammar)."""
    return SemPrinter(dict(order="none")).doprint(expr)
