"""LaTeX for a cell's expressions: a SymPy LatexPrinter subclass driven by the cell's Notation."""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import MatrixExpr, Operator
from ..model.vector_ops import Next, Transposed, node_form
from ..spec.naming import adjoint_base, incoming_base, parts
from .strict import check_call
from .notation import ADJOINT_GLYPH, INCOMING_MARK, Glyph, Notation
from .operators import LayoutPrinter
from .marks import ODOT, TRANSPOSE, Mark
from .order import base_needs_brackets, factor_needs_brackets, odot_before, ordered_factors, print_sum

LOSS = r"\ell"
TOP = TRANSPOSE.latex
TOTAL_LOSS = r"\mathcal{L}"
STRUCTURAL_LATEX = {"sum": r"\operatorname{sum}", "mean": r"\operatorname{mean}"}


def superscript(tex: str, script: str) -> str:
    """tex^{script}, braced when tex already ends in a superscript (no double superscripts)."""
    depth, top_level_sup = 0, False
    for char in tex:
        depth += char == "{"
        depth -= char == "}"
        if char == "^" and depth == 0:
            top_level_sup = True
    return f"{{{tex}}}^{{{script}}}" if top_level_sup else f"{tex}^{{{script}}}"


def time_label(offset: int) -> str:
    """0 -> 't', -1 -> 't-1', 1 -> 't+1'."""
    return "t" if offset == 0 else f"t{offset:+d}"


class CellLatexPrinter(LayoutPrinter, LatexPrinter):
    """Prints per-unit expressions as vector equations: odot between vectors, sigma, h_{t-1}, W^T."""

    def _print(self, expr, **kwargs):
        """The notation's functions print through _print_ElementwiseBase, whatever SymPy's printer knows of
        functions with the same class name (Abs, Mod, Sqrt...)."""
        if isinstance(expr, ElementwiseBase):
            return self._print_ElementwiseBase(expr, **kwargs)
        return super()._print(expr, **kwargs)

    printmethod = "_lstmsym_latex"
    _default_settings = dict(LatexPrinter._default_settings, notation=None, shift=0, bold=False, keep_order=False)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    # -- names -------------------------------------------------------------------------
    def glyph_tex(self, glyph: Glyph, extra: str = "") -> str:
        main = glyph.latex
        if len(main) > 1 and main.isalnum():
            main = rf"\mathit{{{main}}}"
        if self._settings["bold"] and glyph.vector:
            main = rf"\boldsymbol{{{main}}}" if main.startswith("\\") else rf"\mathbf{{{main}}}"
        subs = list(glyph.subs)
        if glyph.time is not None:
            subs.append(self.notation.time_label(self._settings["shift"] - (glyph.time == "prev")))
        return main + (f"_{{{','.join(subs)}}}" if subs else "") + extra

    def name_tex(self, key: str) -> str:
        base = incoming_base(key)
        if base is not None:
            return rf"{ADJOINT_GLYPH[0]} {self.name_tex(base)}^{{\mathrm{{{INCOMING_MARK}}}}}"
        base = adjoint_base(key)
        if base is not None:
            if self.notation.is_expression(base):
                return rf"{ADJOINT_GLYPH[0]}\left({self.expression(base, outer=False)}\right)"
            if self.notation.adjoint_bracketed(base):
                return rf"{ADJOINT_GLYPH[0]}\left({self.name_tex(base)}\right)"
            return rf"{ADJOINT_GLYPH[0]} {self.name_tex(base)}"
        if self.notation.is_expression(key):
            return self.expression(key)
        if key == "I" and not self.notation.cell.has_node(key):
            return "I"
        return self.glyph_tex(self.notation.glyph(key))

    def expression(self, key: str, outer: bool = True) -> str:
        """The LaTeX an expression-like key stands for (or the name it was given, when it is long)."""
        if key in self.notation.latex_aliases:
            return self.notation.latex_aliases[key]
        cell = self.notation.cell
        node = cell.node(key)
        if isinstance(node, Operator):  # by the operator table's layout, as in a derived equation
            return self._print(node_form(node))
        if isinstance(node, MatrixExpr):
            text = self.matrix_tex(node.terms)
            simple = len(node.terms) == 1 and node.terms[0].coef == 1
            return rf"\left({text}\right)" if outer and not simple else text
        text = self.kept(cell.display[key])
        if parts(key)[0] == "red" or not outer or cell.display[key].is_Symbol:
            return text
        return rf"\left({text}\right)"

    def kept(self, expr: sympy.Expr) -> str:
        keep = self._settings["keep_order"]
        self._settings["keep_order"] = True
        try:
            return self._print(expr)
        finally:
            self._settings["keep_order"] = keep

    def matrix_tex(self, terms) -> str:
        expr = sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in terms])
        return self._print(expr)

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        return self.name_tex(expr.name)

    # -- arithmetic ----------------------------------------------------------------------
    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=self._settings["keep_order"], minus=" - ")

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative and not self._settings["keep_order"]:
            rest = sympy.Mul(-coeff, *factors, evaluate=False)
            inner = self._print_Mul(rest) if rest.is_Mul else self._print(rest)
            return "-" + (rf"\left({inner}\right)" if rest.is_Add else inner)
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        if denom:
            top = self._print_Mul(sympy.Mul(coeff, *numer)) if (numer or coeff != 1) else "1"
            return rf"\frac{{{top}}}{{{self._print(sympy.Mul(*denom))}}}"
        numer = ordered_factors(self.notation, numer, self._settings["keep_order"])
        parts_: list[str] = [] if coeff == 1 else ["-" if coeff == -1 else self._print(coeff)]
        for position, factor in enumerate(numer):
            tex = self._print(factor)
            if factor_needs_brackets(factor, len(parts_)) or (self._settings["keep_order"] and factor.is_Mul and position):
                tex = rf"\left({tex}\right)"
            if odot_before(self.notation, numer, position):
                parts_.append(ODOT.latex)
            parts_.append(tex)
        return " ".join(parts_).replace("- ", "-", 1) if parts_[:1] == ["-"] else " ".join(parts_)

    def _print_Pow(self, expr: sympy.Expr) -> str:
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        if isinstance(expr.base, ElementwiseBase) and info_of(expr.base).name not in ("sqrt", "abs"):
            return self._print_ElementwiseBase(expr.base, exp=self._print(expr.exp))
        base = self._print(expr.base)
        if base_needs_brackets(expr.base) or "^" in base or isinstance(expr.base, ElementwiseBase):
            base = rf"\left({base}\right)"
        return f"{base}^{{{self._print(expr.exp)}}}"

    # -- functions -----------------------------------------------------------------------------
    def _print_ElementwiseBase(self, expr: ElementwiseBase, exp: str | None = None) -> str:
        info = info_of(expr)
        args = ", ".join(self._print(a) for a in expr.args)
        power = f"^{{{exp}}}" if exp is not None else ""
        if info.name == "step":
            return rf"[{args} > 0]{power}"
        if info.name == "floor":
            return rf"\left\lfloor {args} \right\rfloor{power}"
        if info.name == "sqrt":
            return rf"\sqrt{{{args}}}"
        if info.name == "abs":
            return rf"\left\lvert {args} \right\rvert"
        if info.name == "mod":
            left, right = (self._operand(a) if a.is_Add or a.could_extract_minus_sign() else self._print(a) for a in expr.args)
            return rf"\left({left} \bmod {right}\right){power}"
        head = (self.notation.function_head(info.name) or (info.latex,))[0] + power
        return rf"{head}\left({args}\right)" if len(expr.args) > 1 or not expr.args[0].is_Symbol else rf"{head}({args})"

    def _print_Function(self, expr: sympy.Expr, exp: str | None = None) -> str:
        check_call(self, expr)
        name = expr.func.__name__
        if name == "dot":
            left, right = (self._print(a) for a in expr.args)
            return rf"{left} \cdot {right}"
        if name in STRUCTURAL_LATEX:
            return rf"{STRUCTURAL_LATEX[name]}\left({self._print(expr.args[0])}\right)"
        return super()._print_Function(expr, exp)

    def _operand(self, expr: sympy.Expr) -> str:
        inner = self._print(expr)
        return rf"\left({inner}\right)" if expr.is_Add or expr.is_Mul else inner

    def _transposed(self, expr: sympy.Expr) -> str:
        """An operand under a transpose: bracketed unless one symbol, so (W u)^T never reads as W u^T."""
        inner = self._print(expr)
        return superscript(inner, TOP) if self.notation.one_name(expr) else rf"\left({inner}\right)^{{{TOP}}}"

    # -- the operator table's layouts (printing.operators) ------------------------------------------------------
    def mark(self, mark: Mark, script: bool) -> str:
        return mark.latex

    def word(self, text: str, label: bool) -> str:
        return rf"\mathrm{{{text}}}" if label else rf"\operatorname{{{text}}}"

    def script(self, base: str, script: str, below: bool) -> str:
        return f"{base}_{{{script}}}" if below else superscript(base, script)

    def side_by_side(self, items: list[str], thin: bool) -> str:
        return (r"\, " if thin else " ").join(items)

    def call(self, head: str, inner: str) -> str:
        return rf"{head}\left({inner}\right)"

    def _print_along(self, expr: sympy.Expr) -> str:
        """cumsum, cummax, softmax along the units, and their adjoints: an operator name and its arguments."""
        args = ", ".join(self.expression(a.name, outer=False) if a.is_Symbol and self.notation.is_expression(a.name)
                         else self._print(a) for a in expr.args)
        return rf"\operatorname{{{expr.along}}}\left({args}\right)"

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_Next(self, expr: sympy.Expr) -> str:
        self._settings["shift"] += 1
        try:
            return self._print(expr.args[0])
        finally:
            self._settings["shift"] -= 1

    def _print_LossGrad(self, expr: sympy.Expr) -> str:
        return rf"\frac{{\partial {LOSS}_{{{self.notation.time_label(self._settings['shift'])}}}}}{{\partial {self._print(expr.args[0])}}}"


def latex(expr: sympy.Expr, notation: Notation, *, shift: int = 0, bold: bool = False, keep_order: bool = False) -> str:
    """LaTeX of a per-unit expression of the cell `notation` describes."""
    return CellLatexPrinter(dict(notation=notation, shift=shift, bold=bold, keep_order=keep_order)).doprint(expr)


__all__ = ["CellLatexPrinter", "latex", "time_label", "LOSS", "TOTAL_LOSS", "Next"]
