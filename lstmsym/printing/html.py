"""Graphviz HTML-like labels for names and expressions: h<SUB>t-1</SUB>, σ, ⊙, Uᵀ. Text is escaped here,
through the one escaping table for HTML; brackets follow the shared rules in order.py."""

from __future__ import annotations

import unicodedata

import sympy
from sympy.printing.str import StrPrinter

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import MatrixExpr, Operator
from ..model.vector_ops import node_form
from ..spec.naming import adjoint_base, incoming_base
from .escape import html_text
from .operators import LayoutPrinter
from .marks import ODOT, TRANSPOSE, Mark
from .strict import check_call
from .notation import ADJOINT_GLYPH, INCOMING_MARK, Notation
from .order import base_needs_brackets, factor_needs_brackets, odot_before, ordered_factors, print_sum


MACRON = "\u0304"


def stacked(text: str) -> str:
    """A symbol with two accents (h̃ with the pre-activation's bar): Graphviz's PNG renderer draws only one of
    two combining marks, so the outer bar becomes an overline (<O>, text-decoration in SVG)."""
    marks = [ch for ch in text if unicodedata.combining(ch)]
    if len(marks) >= 2 and text.endswith(MACRON):
        return f"<O>{html_text(text[:-1])}</O>"
    return html_text(text)


def _signed(text: str) -> str:
    return "−" + text[1:] if text.startswith("-") else text


class HtmlPrinter(LayoutPrinter, StrPrinter):
    """Expressions as Graphviz HTML: f ⊙ c<SUB>t-1</SUB>, U<SUB>i</SUB><SUP>T</SUP> δī<SUB>t</SUB>."""

    def _print(self, expr, **kwargs):
        """The notation's functions print through _print_ElementwiseBase, whatever SymPy's printer knows of
        functions with the same class name (Abs, Mod, Sqrt...)."""
        if isinstance(expr, ElementwiseBase):
            return self._print_ElementwiseBase(expr, **kwargs)
        return super()._print(expr, **kwargs)

    _default_settings = dict(StrPrinter._default_settings, notation=None, shift=0)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    def glyph_html(self, key: str) -> str:
        glyph = self.notation.glyph(key)
        subs = list(glyph.html_subs)
        if glyph.time is not None:
            offset = self._settings["shift"] - (glyph.time == "prev")
            subs.append(self.notation.time_label(offset).replace("-", "−"))
        return stacked(glyph.html) + (f"<SUB>{','.join(html_text(s) for s in subs)}</SUB>" if subs else "")

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        key = expr.name
        base = incoming_base(key)
        if base is not None:
            return ADJOINT_GLYPH[1] + self._print_Symbol(sympy.Symbol(base)) + f"<SUP>{INCOMING_MARK}</SUP>"
        base = adjoint_base(key)
        if base is not None:
            inner = self._print_Symbol(sympy.Symbol(base))
            return ADJOINT_GLYPH[1] + (f"({inner})" if self.notation.adjoint_bracketed(base) and not self.notation.is_expression(base) else inner)
        if self.notation.is_expression(key):
            return self.expression(key)
        if key == "I" and not self.notation.cell.has_node(key):
            return "I"
        return self.glyph_html(key)

    def expression(self, key: str) -> str:
        cell = self.notation.cell
        node = cell.node(key)
        if isinstance(node, Operator):  # by the operator table's layout, as in a derived equation
            return self._print(node_form(node))
        if isinstance(node, MatrixExpr):
            from ..model.vector_ops import Transposed

            terms = [t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in node.terms]
            return f"({self._print(sympy.Add(*terms))})"
        display = cell.display[key]
        return self._print(display) if display.is_Symbol or display.is_Function else f"({self._print(display)})"

    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=False, minus=" − ")

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative:
            rest = sympy.Mul(-coeff, *factors, evaluate=False)
            inner = self._print_Mul(rest) if rest.is_Mul else self._print(rest)
            return "−" + (f"({inner})" if rest.is_Add else inner)
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        parts = [] if coeff == 1 else [self._print(coeff)]
        numer = ordered_factors(self.notation, numer, False)
        for position, f in enumerate(numer):
            text = self._print(f)
            text = f"({text})" if factor_needs_brackets(f, len(parts)) else text
            parts.append(f"{ODOT.html} {text}" if odot_before(self.notation, numer, position) else text)
        text = " ".join(parts) or "1"
        if denom:
            bottom = sympy.Mul(*denom)
            text += " / " + (self._print(bottom) if bottom.is_Symbol or isinstance(bottom, ElementwiseBase) else f"({self._print(bottom)})")
        return text

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        base = self._print(expr.base)
        base = f"({base})" if base_needs_brackets(expr.base) else base
        return f"{base}<SUP>{self._print(expr.exp)}</SUP>"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        """A number's sign is the minus sign (−), as the printed operators', never a hyphen (the diagrams read × -1)."""
        return _signed(f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p))

    _print_Integer = _print_Rational

    def _print_Float(self, expr: sympy.Float) -> str:
        return _signed(super()._print_Float(expr))

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        info = info_of(expr)
        args = ", ".join(self._print(a) for a in expr.args)
        if info.name == "abs":
            return f"|{args}|"
        clash = self.notation.function_head(info.name)
        return f"{html_text(clash[1]) if clash else info.html}({args})"

    def _print_Function(self, expr: sympy.Expr) -> str:
        check_call(self, expr)
        return f"{html_text(expr.func.__name__)}({', '.join(self._print(a) for a in expr.args)})"

    def _operand(self, expr: sympy.Expr) -> str:
        inner = self._print(expr)
        return f"({inner})" if expr.is_Add or expr.is_Mul else inner

    def _transposed(self, expr: sympy.Expr) -> str:
        """An operand under a transpose: bracketed unless one symbol, so (W u)^T never reads as W u^T."""
        inner = self._print(expr)
        return f"{inner if self.notation.one_name(expr) else f'({inner})'}<SUP>{TRANSPOSE.html}</SUP>"

    # -- the operator table's layouts (printing.operators) ------------------------------------------------------
    def mark(self, mark: Mark, script: bool) -> str:
        return mark.html

    def word(self, text: str, label: bool) -> str:
        return html_text(text)

    def script(self, base: str, script: str, below: bool) -> str:
        return f"{base}<SUB>{script}</SUB>" if below else f"{base}<SUP>{script}</SUP>"

    def side_by_side(self, items: list[str], thin: bool) -> str:
        return " ".join(items)

    def call(self, head: str, inner: str) -> str:
        return f"{head}({inner})"

    def _print_along(self, expr: sympy.Expr) -> str:
        """cumsum, cummax, softmax along the units, and their adjoints."""
        return f"{expr.along}({', '.join(self._print(a) for a in expr.args)})"

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_LossGrad(self, expr: sympy.Expr) -> str:
        return f"∂ℓ<SUB>{self.notation.time_label(self._settings['shift'])}</SUB>/∂{self._print(expr.args[0])}"

    def _print_Next(self, expr: sympy.Expr) -> str:
        self._settings["shift"] += 1
        try:
            return self._print(expr.args[0])
        finally:
            self._settings["shift"] -= 1


def html(expr: sympy.Expr, notation: Notation, shift: int = 0) -> str:
    """A Graphviz HTML label of an expression, `shift` steps after t (the unrolled views' t-1, t, t+1)."""
    return HtmlPrinter(dict(notation=notation, shift=shift)).doprint(expr)
