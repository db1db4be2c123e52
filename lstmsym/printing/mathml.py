"""Presentation MathML for a cell's expressions: a SymPy MathMLPresentationPrinter subclass driven by the
cell's Notation, so browsers draw h_{t-1}, σ, ⊙ and W^T natively, with no JavaScript."""

from __future__ import annotations

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import MatrixExpr, Operator
from ..model.vector_ops import Transposed, node_form
from ..spec.naming import adjoint_base, incoming_base
from .strict import check_call
from .operators import LayoutPrinter
from .marks import ODOT, TRANSPOSE, Mark
from .mathml_lines import display
from .notation import ADJOINT_GLYPH, INCOMING_MARK, Notation
from .order import base_needs_brackets, factor_needs_brackets, odot_before, ordered_factors, ordered_terms



class CellMathMLPrinter(LayoutPrinter, MathMLPresentationPrinter):
    """Per-unit expressions as vector equations in MathML."""

    def _print(self, expr, **kwargs):
        """The notation's functions print through _print_ElementwiseBase, whatever SymPy's printer knows of
        functions with the same class name (Abs, Mod, Sqrt...)."""
        if isinstance(expr, ElementwiseBase):
            return self._print_ElementwiseBase(expr, **kwargs)
        return super()._print(expr, **kwargs)

    printmethod = "_lstmsym_mathml"
    _default_settings = dict(MathMLPresentationPrinter._default_settings, notation=None, shift=0, keep_order=False)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    # -- small builders -------------------------------------------------------------------
    def el(self, tag: str, *children, text: str | None = None):
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def mo(self, text: str):
        return self.el("mo", text=text)

    def mi(self, text: str):
        return self.el("mi", text=text)

    def row(self, *children):
        return self.el("mrow", *children)

    @staticmethod
    def _bracketed(node) -> bool:
        """Whether an mrow already reads ( ... )."""
        kids = [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]
        return len(kids) == 3 and kids[0].tagName == "mo" and kids[0].firstChild.data == "(" and kids[2].tagName == "mo"

    def bracketed(self, child):
        return self.row(self.mo("("), child, self.mo(")"))

    # -- names ------------------------------------------------------------------------------
    def glyph(self, key: str):
        glyph = self.notation.glyph(key)
        main = self.mi(glyph.html)
        subs = list(glyph.html_subs)
        if glyph.time is not None:
            offset = self._settings["shift"] - (glyph.time == "prev")
            subs.append(self.notation.time_label(offset).replace("-", "−"))
        if not subs:
            return main
        return self.el("msub", main, self.el("mi", text=",".join(subs)))

    def _print_Symbol(self, sym, style: str = "plain"):
        key = sym.name
        base = incoming_base(key)
        if base is not None:
            return self.el("msup", self.row(self.mi(ADJOINT_GLYPH[1]), self._print_Symbol(sympy.Symbol(base))), self.mi(INCOMING_MARK))
        base = adjoint_base(key)
        if base is not None:
            inner = self._print_Symbol(sympy.Symbol(base))
            if self.notation.is_expression(base) and inner.tagName == "mrow" and not self._bracketed(inner):
                inner = self.bracketed(inner)
            elif not self.notation.is_expression(base) and self.notation.adjoint_bracketed(base):
                inner = self.bracketed(inner)  # δ(δ_t), not δδ_t
            return self.row(self.mi(ADJOINT_GLYPH[1]), inner)
        if self.notation.is_expression(key):
            return self.expression(key)
        if key == "I" and not self.notation.cell.has_node(key):
            return self.mi("I")
        return self.glyph(key)

    def expression(self, key: str):
        cell = self.notation.cell
        node = cell.node(key)
        if isinstance(node, Operator):  # by the operator table's layout, as in a derived equation
            return self._print(node_form(node))
        if isinstance(node, MatrixExpr):
            terms = [t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in node.terms]
            return self.bracketed(self._print(sympy.Add(*terms)))
        display = cell.display[key]
        keep = self._settings["keep_order"]
        self._settings["keep_order"] = True
        try:
            inner = self._print(display)
        finally:
            self._settings["keep_order"] = keep
        return inner if display.is_Symbol or display.is_Function else self.bracketed(inner)

    # -- arithmetic ----------------------------------------------------------------------------
    def _print_Add(self, expr, order=None):
        out = self.row()
        for index, term in enumerate(ordered_terms(self.notation, expr, self._settings["keep_order"])):
            if index and term.could_extract_minus_sign():
                out.appendChild(self.mo("−"))
                term = -term
            elif index:
                out.appendChild(self.mo("+"))
            out.appendChild(self._print(term))
        return out

    def _print_Mul(self, expr):
        coeff, factors = expr.as_coeff_mul()
        out = self.row()
        if coeff.is_negative and not self._settings["keep_order"]:
            out.appendChild(self.mo("−"))
            rest = sympy.Mul(-coeff, *factors, evaluate=False)
            out.appendChild(self.bracketed(self._print(rest)) if rest.is_Add else self._print_Mul(rest) if rest.is_Mul else self._print(rest))
            return out
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        if denom:
            top = self._print(sympy.Mul(coeff, *numer)) if (numer or coeff != 1) else self.el("mn", text="1")
            return self.el("mfrac", top, self._print(sympy.Mul(*denom)))
        if coeff == -1:
            out.appendChild(self.mo("−"))
        elif coeff != 1:
            out.appendChild(self._print(coeff))
        numer = ordered_factors(self.notation, numer, self._settings["keep_order"])
        for position, factor in enumerate(numer):
            if odot_before(self.notation, numer, position):
                out.appendChild(self.mo(ODOT.mathml))
            printed = self._print(factor)
            out.appendChild(self.bracketed(printed) if factor_needs_brackets(factor, position + (coeff != 1)) else printed)
        return out

    def _print_Pow(self, expr):
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        base = self._print(expr.base)
        if base_needs_brackets(expr.base) and not isinstance(expr.base, ElementwiseBase):
            base = self.bracketed(base)
        return self.el("msup", base, self._print(expr.exp))

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self.el("mn", text=str(expr.p))
        return self.el("mfrac", self.el("mn", text=str(expr.p)), self.el("mn", text=str(expr.q)))

    def _print_ElementwiseBase(self, expr):
        info = info_of(expr)
        args = self.row()
        for index, a in enumerate(expr.args):
            if index:
                args.appendChild(self.mo(","))
            args.appendChild(self._print(a))
        if info.name == "abs":
            return self.row(self.mo("|"), args, self.mo("|"))
        if info.name == "sqrt":
            return self.el("msqrt", args)
        if info.name == "floor":
            return self.row(self.mo("⌊"), args, self.mo("⌋"))
        if info.name == "step":
            return self.row(self.mo("["), args, self.mo(">"), self.el("mn", text="0"), self.mo("]"))
        if info.name == "mod":
            left, right = (self._operand(a) for a in expr.args)
            return self.bracketed(self.row(left, self.mo("mod"), right))
        clash = self.notation.function_head(info.name)
        head = self.mi(clash[1] if clash else info.html.split("<")[0])
        if info.name == "hard_sigmoid" and not clash:
            head = self.el("msub", head, self.mi("hard"))
        return self.row(head, self.bracketed(args))

    def _print_Function(self, expr):
        check_call(self, expr)
        if expr.func.__name__ == "dot":
            return self.row(self._operand(expr.args[0]), self.mo("⋅"), self._operand(expr.args[1]))
        args = self.row()
        for index, a in enumerate(expr.args):
            if index:
                args.appendChild(self.mo(","))
            args.appendChild(self._print(a))
        return self.row(self.mi(expr.func.__name__), self.bracketed(args))

    def _operand(self, expr):
        printed = self._print(expr)
        return self.bracketed(printed) if expr.is_Add or expr.is_Mul else printed

    def _transposed(self, expr):
        """An operand under a transpose: bracketed unless one symbol, so (W u)^T never reads as W u^T."""
        under = self._print(expr) if self.notation.one_name(expr) else self.bracketed(self._print(expr))
        return self.el("msup", under, self.mi(TRANSPOSE.mathml))

    # -- the operator table's layouts (printing.operators): a mark is an operator (<mo>), an identifier (<mi>) in a script
    def mark(self, mark: Mark, script: bool):
        return (self.mi if script else self.mo)(mark.mathml)

    def word(self, text: str, label: bool):
        return self.mi(text)

    def script(self, base, script, below: bool):
        return self.el("msub" if below else "msup", base, script)

    def side_by_side(self, items: list, thin: bool):
        return self.row(*items)

    def call(self, head, inner):
        return self.row(head, self.bracketed(inner))

    def _print_along(self, expr):
        """cumsum, cummax, softmax along the units, and their adjoints: an operator name and its arguments."""
        args = self.row()
        for index, a in enumerate(expr.args):
            if index:
                args.appendChild(self.mo(","))
            args.appendChild(self._print(a))
        return self.row(self.mi(expr.along), self.bracketed(args))

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_Next(self, expr):
        self._settings["shift"] += 1
        try:
            return self._print(expr.args[0])
        finally:
            self._settings["shift"] -= 1

    def _print_LossGrad(self, expr):
        loss = self.el("msub", self.mi("ℓ"), self.mi(self.notation.time_label(self._settings["shift"])))
        return self.el("mfrac", self.row(self.mo("∂"), loss), self.row(self.mo("∂"), self._print(expr.args[0])))


def mathml(expr: sympy.Expr, notation: Notation, *, keep_order: bool = False) -> str:
    """The expression as a MathML fragment (without the <math> element)."""
    return CellMathMLPrinter(dict(notation=notation, keep_order=keep_order)).doprint(expr)


def equation(lhs: sympy.Expr, rhs: sympy.Expr, notation: Notation, relation: str = "=", keep_order: bool = False) -> str:
    """One displayed equation: <math display="block"> lhs relation rhs </math>."""
    return display(mathml(lhs, notation), relation, mathml(rhs, notation, keep_order=keep_order))


def jacobian(row: str, column: str, chains, notation: Notation) -> str:
    """∂row_t/∂column_{t-1} = Σ diag(a) M ... as a displayed MathML equation; `chains` holds, per chain, factors as
    ('diag', coefficient) or ('matrix', key, transposed)."""
    printer = CellMathMLPrinter(dict(notation=notation))
    partial = lambda key: printer.row(printer.mo("∂"), printer._print(sympy.Symbol(key)))  # noqa: E731
    rhs = printer.row()
    for index, chain in enumerate(chains):
        if index:
            rhs.appendChild(printer.mo("+"))
        for factor in chain:
            if factor[0] == "diag" and factor[1] == 1:
                rhs.appendChild(printer.mi("I"))
            elif factor[0] == "diag":
                rhs.appendChild(printer.row(printer.mi("diag"), printer.bracketed(printer._print(factor[1]))))
            else:
                matrix = printer._print(sympy.Symbol(factor[1]))
                rhs.appendChild(printer.el("msup", matrix, printer.mi(TRANSPOSE.mathml)) if factor[2] else matrix)
    if not chains:
        rhs.appendChild(printer.el("mn", text="0"))
    lhs = printer.el("mfrac", partial(row), partial(column))
    return display(lhs.toxml(), "=", rhs.toxml())


def adjoint_form(row: str, column: str, applied: sympy.Symbol, expr: sympy.Expr, notation: Notation) -> str:
    """(∂row_t/∂column_{t-1})ᵀ δrow_t = expr: a Jacobian block given by what it does to the row's adjoint."""
    printer = CellMathMLPrinter(dict(notation=notation))
    partial = lambda key: printer.row(printer.mo("∂"), printer._print(sympy.Symbol(key)))  # noqa: E731
    lhs = printer.row(printer.el("msup", printer.bracketed(printer.el("mfrac", partial(row), partial(column))), printer.mi(TRANSPOSE.mathml)),
                      printer._print(applied))
    return display(lhs.toxml(), "=", printer._print(expr).toxml())
