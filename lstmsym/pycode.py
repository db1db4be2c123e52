"""NumPy code for per-unit expressions: a SymPy NumPyPrinter subclass that knows the cell's names."""

from __future__ import annotations

import builtins
import keyword

import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import precedence

from .functions import BY_CLASS, ElementwiseBase

#: Local names the generated module uses itself; a cell name equal to one of them gets a trailing '_'.
TEMPLATE_LOCALS = {
    "np", "params", "xs", "state", "cache", "dys", "dstate", "dparams", "dxs", "dstate0", "T", "B", "t", "dtype",
    "ys", "state_T", "CONSTANTS", "PARAMETERS", "STATE", "SIZES", "INPUT", "OUTPUTS",
}


def pyname(name: str) -> str:
    """A Python identifier for a cell name ('W@x' terms become '_W__x'; keywords get a trailing '_')."""
    if "@" in name:
        matrix, vector = name.split("@")
        return f"_{matrix}__{vector}"
    if name.startswith("_"):
        return name
    if keyword.iskeyword(name) or name in TEMPLATE_LOCALS or hasattr(builtins, name):
        return name + "_"
    return name


def sizename(size: str) -> str:
    """The variable holding a size in generated code (kept apart from quantities: a state may be called n)."""
    return f"_size_{size}"


class CellNumPyPrinter(NumPyPrinter):
    """Prints expressions over batch-major arrays: vectors are (..., units), matrices (rows, cols)."""

    _default_settings = dict(NumPyPrinter._default_settings, names=None, fully_qualified_modules=False)

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        names = self._settings["names"] or {}
        return names.get(expr.name, pyname(expr.name))

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        info = BY_CLASS[type(expr)]
        return f"{info.numpy}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, precedence(expr), strict=True)
        if expr.exp == -1:
            return f"(1/{base})"
        if expr.exp.is_Integer and expr.exp < 0:
            return f"(1/{base}**{-expr.exp})"
        if expr.exp == sympy.Rational(1, 2):
            return f"np.sqrt({self._print(expr.base)})"
        return f"{base}**{self._print(expr.exp)}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({expr.p}/{expr.q})" if expr.q != 1 else str(expr.p)

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(expr.p)

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        matrix, vector = expr.args
        return f"({self._print(vector)}) @ {self._print(matrix)}"

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        return f"np.sum({self._print(expr.args[0])}, axis=-1, keepdims=True)"

    def _print_Outer(self, expr: sympy.Expr) -> str:
        return f"_outer_sum({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Transposed(self, expr: sympy.Expr) -> str:
        return f"({self._print(expr.args[0])}).T"


def pycode(expr: sympy.Expr, names: dict[str, str] | None = None) -> str:
    """NumPy source for an expression; `names` overrides how particular symbols are written."""
    return CellNumPyPrinter({"names": names or {}}).doprint(expr)
