"""Plain text in the spec notation itself, so every printed formula can be pasted back as input to `check`."""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import MatrixExpr, Operator, Reduction
from ..model.vector_ops import entry_of, fill_text, node_form
from ..spec.naming import adjoint_base, parts
from .strict import check_call
from .notation import Notation
from .order import base_needs_brackets, factor_needs_brackets, ordered_factors, print_sum


class CellTextPrinter(StrPrinter):
    """Prints per-unit expressions as `sigmoid(W_f @ x + b_f)`, `*` elementwise, `U.T @ d`."""

    def _print(self, expr, **kwargs):
        """The notation's functions print through _print_ElementwiseBase, whatever SymPy's printer knows of
        functions with the same class name (Abs, Mod, Sqrt...)."""
        if isinstance(expr, ElementwiseBase):
            return self._print_ElementwiseBase(expr, **kwargs)
        return super()._print(expr, **kwargs)

    printmethod = "_lstmsym_text"
    _default_settings = dict(StrPrinter._default_settings, notation=None, keep_order=False)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    # -- names and the expressions internal keys stand for ---------------------------------
    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        key = expr.name
        base = adjoint_base(key)
        if base is not None and self.notation.is_expression(base):
            return f"d({self.expression(base, outer=False)})"
        if self.notation.is_expression(key):
            return self.expression(key)
        return self.notation.text_name(key) or key

    def expression(self, key: str, outer: bool = True) -> str:
        """The text an expression-like key stands for (brackets around sums and products when `outer`)."""
        cell = self.notation.cell
        node = cell.node(key)
        if isinstance(node, Operator):  # by the operator table's layout, as in a derived equation
            return self._print(node_form(node))
        if isinstance(node, MatrixExpr):
            text = self.matrix_text(node.terms)
            simple = len(node.terms) == 1 and node.terms[0].coef == 1
            return f"({text})" if outer and not simple else text
        if isinstance(node, Reduction) or parts(key)[0] == "red":
            return self.kept(cell.display[key])
        text = self.kept(cell.display[key])
        return f"({text})" if outer and not cell.display[key].is_Symbol else text

    def kept(self, expr: sympy.Expr) -> str:
        """An expression printed in the author's order."""
        keep = self._settings["keep_order"]
        self._settings["keep_order"] = True
        try:
            return self._print(expr)
        finally:
            self._settings["keep_order"] = keep

    def matrix_text(self, terms) -> str:
        from ..model.vector_ops import Transposed

        return self._print(sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source))
                                       for t in terms]))

    # -- arithmetic --------------------------------------------------------------------------
    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=self._settings["keep_order"], minus=" - ")

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative and not self._settings["keep_order"]:
            rest = sympy.Mul(-coeff, *factors, evaluate=False)
            inner = self._print_Mul(rest) if rest.is_Mul else self._print(rest)
            return "-" + (f"({inner})" if rest.is_Add else inner)
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        numer = ordered_factors(self.notation, numer, self._settings["keep_order"])
        parts_ = [] if coeff == 1 else ["-1" if coeff == -1 else self._print(coeff)]
        for factor in numer:
            text = self._print(factor)
            needs = factor_needs_brackets(factor, len(parts_)) or (factor.is_Symbol and self._is_product(factor))
            parts_.append(f"({text})" if needs else text)
        text = " * ".join(parts_) or "1"
        if denom:
            bottom = sympy.Mul(*denom)
            simple = bottom.is_Symbol and not self._is_product(bottom) or isinstance(bottom, ElementwiseBase)
            text += " / " + (self._print(bottom) if simple else f"({self._print(bottom)})")
        return text

    def _is_product(self, symbol: sympy.Symbol) -> bool:
        """A key printed as `M @ v` binds looser than '*' and needs brackets as a factor."""
        key = symbol.name
        return self.notation.is_expression(key) and isinstance(self.notation.cell.node(key), Operator) \
            and self.notation.cell.node(key).op in ("matvec", "tmatvec")

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        base = self._print(expr.base)
        if base_needs_brackets(expr.base) or (expr.base.is_Symbol and self._is_product(expr.base)):
            base = f"({base})"
        exponent = self._print(expr.exp)
        return f"{base} ** {exponent if expr.exp.is_Atom and not expr.exp.is_negative else f'({exponent})'}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({expr.p}/{expr.q})" if expr.q != 1 else str(expr.p)

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        return f"{info_of(expr).name}({', '.join(self.bare(a) for a in expr.args)})"

    # -- vector operations ----------------------------------------------------------------------
    def _operand(self, expr: sympy.Expr) -> str:
        text = self._print(expr)
        return f"({text})" if expr.is_Add or expr.is_Mul else text

    def bare(self, expr: sympy.Expr) -> str:
        """An argument of a call: an expression-like key without its own brackets."""
        if expr.is_Symbol and self.notation.is_expression(expr.name):
            return self.expression(expr.name, outer=False)
        return self._print(expr)

    def slot(self, kind: str, expr: sympy.Expr) -> str:
        """One argument of a spec-notation layout (model.vector_ops.TEXT_SLOT)."""
        if kind == "o":
            return self._operand(expr)
        if kind == "b":
            return self.bare(expr)
        printed = self._print(expr)
        return f"({printed})" if kind == "m" and not expr.is_Symbol else printed

    def _print_VectorOpBase(self, expr: sympy.Expr) -> str:
        """Every operator of the table model.vector_ops, by its spec-notation layout."""
        return fill_text(entry_of(expr).text_layout(expr), self.slot, expr)

    def _print_along(self, expr: sympy.Expr) -> str:
        """cumsum(v), cummax(v), softmax(v) as the spec writes them; revcumsum(g), cummaxgrad(g, v) for adjoints."""
        return f"{expr.along}({', '.join(self.bare(a) for a in expr.args)})"

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_Next(self, expr: sympy.Expr) -> str:
        return f"next({self._print(expr.args[0])})"

    def _print_LossGrad(self, expr: sympy.Expr) -> str:
        return f"dloss_{self._print(expr.args[0])}"

    def _print_Function(self, expr: sympy.Expr) -> str:
        check_call(self, expr)
        return f"{expr.func.__name__}({', '.join(self._print(a) for a in expr.args)})"


def text(expr: sympy.Expr, notation: Notation, *, keep_order: bool = False) -> str:
    """The expression in the spec notation."""
    return CellTextPrinter(dict(notation=notation, keep_order=keep_order)).doprint(expr)
