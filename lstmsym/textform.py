"""Plain text in the spec notation itself (so printed formulas can be pasted back as input)."""

from __future__ import annotations

import sympy
from sympy.printing.precedence import precedence
from sympy.printing.str import StrPrinter

from .functions import BY_CLASS, ElementwiseBase
from .notation import Notation
from .ordering import factor_key, print_sum


class CellTextPrinter(StrPrinter):
    """Prints per-unit expressions as `sigmoid(W_f @ x + b_f)`, `*` elementwise, `U.T @ d`."""

    printmethod = "_lstmsym_text"
    _default_settings = dict(StrPrinter._default_settings, notation=None, keep_order=False)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        if "@" in expr.name:
            matrix, vector = expr.name.split("@")
            return f"{matrix} @ {self._print_Symbol(sympy.Symbol(vector))}"
        node = next((n for n in self.notation.cell.nodes if n.name == expr.name), None)
        if node is not None and node.origin == "matrix":
            return "(" + self.matrix_text(node.terms) + ")"
        if node is not None and node.origin == "argument":
            keep = self._settings["keep_order"]
            self._settings["keep_order"] = True
            try:
                return "(" + self._print(self.notation.cell._display[expr.name]) + ")"
            finally:
                self._settings["keep_order"] = keep
        return expr.name

    def matrix_text(self, terms) -> str:
        from .ir import Transposed

        return self._print(sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source))
                                       for t in terms]))

    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=self._settings["keep_order"], minus=" - ")

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative and not self._settings["keep_order"]:
            return "-" + self.parenthesize(sympy.Mul(-coeff, *factors, evaluate=False), precedence(expr))
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        if not self._settings["keep_order"]:
            numer = sorted(numer, key=lambda f: factor_key(self.notation, f))
        parts = [] if coeff == 1 else ["-1" if coeff == -1 else self._print(coeff)]
        parts += [f"({self._print(f)})" if f.is_Symbol and "@" in f.name else self.parenthesize(f, precedence(expr))
                  for f in numer]
        text = " * ".join(parts) or "1"
        if denom:
            bottom = sympy.Mul(*denom)
            text += " / " + (self._print(bottom) if bottom.is_Symbol or bottom.is_Function else f"({self._print(bottom)})")
        return text

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        return f"{self.parenthesize(expr.base, precedence(expr), strict=True)} ** {self._print(expr.exp)}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({expr.p}/{expr.q})" if expr.q != 1 else str(expr.p)

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        return f"{BY_CLASS[type(expr)].name}({', '.join(self._print(a) for a in expr.args)})"

    def _matrix_times(self, expr: sympy.Expr, transpose: str) -> str:
        matrix, vector = expr.args
        inner = self._print(vector)
        return f"{self._print(matrix)}{transpose} @ " + (f"({inner})" if vector.is_Add or vector.is_Mul else inner)

    def _print_MatVec(self, expr: sympy.Expr) -> str:
        return self._matrix_times(expr, "")

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        return self._matrix_times(expr, ".T")

    def _print_Outer(self, expr: sympy.Expr) -> str:
        return f"outer({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        return f"sum({self._print(expr.args[0])})"

    def _print_Transposed(self, expr: sympy.Expr) -> str:
        inner = self._print(expr.args[0])
        return f"{inner}.T" if expr.args[0].is_Symbol else f"({inner}).T"

    def _print_Next(self, expr: sympy.Expr) -> str:
        return f"next({self._print(expr.args[0])})"

    def _print_LossGrad(self, expr: sympy.Expr) -> str:
        return f"dloss_{self._print(expr.args[0])}"


def text(expr: sympy.Expr, notation: Notation, *, keep_order: bool = False) -> str:
    """The expression in the spec notation."""
    return CellTextPrinter(dict(notation=notation, keep_order=keep_order)).doprint(expr)
