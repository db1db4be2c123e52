"""Read a formula written in the spec notation (as `grad` prints it) into the derivation's vector-level
expressions: names as `grad` shows them, `A @ v` and `A.T @ v` for any matrix expression, outer(), sum(),
d(expression) for the adjoint of an auto-named operand, next() and dloss_y for BPTT recurrences."""

from __future__ import annotations

import sympy

from ..base.errors import SpecError, did_you_mean
from ..derive.derived import Derived
from ..model import functions
from ..model.ir import MatrixExpr
from ..model.sizes import SIZE_PREFIX
from ..model.along import ALONG, CLASSES
from ..model.vector_ops import (BlockOuter, Conv, ConvT, ConvW, LossGrad, MatTVec, MatVec, Next, Outer, SumTrailing, SumUnits,
                                Transposed, transposed)
from ..printing.notation import Notation
from ..printing.text import text
from ..spec.naming import IDENTITY, adjoint_key
from ..spec.parser import Origin, parse_expression
from ..spec.syntax import BinOp, Call, Name, Neg, Node, Num, Transpose

ORIGIN = Origin("<formula>")
#: Calls a formula may make besides the notation's functions: name -> arity.
FORMULA_CALLS = {"outer": 2, "sum": 1, "mean": 1, "dot": 2, "conv": 2, "sum_positions": 1, "rowsum": 1, "step": 1, "floor": 1, "d": 1, "next": 1,
                 "conv_transpose": 2, "conv_weight": 2, "blocks": 1} | {name: entry.arity for name, entry in ALONG.items()}
MAX_EXPONENT = 16


class FormulaReader:
    """Turns a formula into an expression over the cell's keys."""

    def __init__(self, derived: Derived, notation: Notation, source: str) -> None:
        self.derived, self.cell, self.notation, self.text = derived, derived.cell, notation, source
        self.names = dict(notation.key_of_text)
        cell = self.cell
        keys = [n.key for n in cell.value_nodes] + [i.name for i in cell.inputs] + [s.previous for s in cell.states]
        keys += [p.name for p in cell.parameters] + list(cell.constants) + [n.key for n in cell.matrix_nodes]
        keys += [st.target for st in derived.backward.statements] + list(derived.backward.incoming)
        for key in keys:
            shown = notation.text_name(key)
            if shown is not None:
                self.names.setdefault(shown, key)
        self.names.update({f"dloss_{o}": f"dloss:{o}" for o in cell.outputs})
        if any(t.source == IDENTITY for m in cell.matrix_nodes for t in m.terms):
            self.names.setdefault(IDENTITY, IDENTITY)
        for matrix in cell.spec.matrices:
            self.names.setdefault(matrix, matrix)
        for size in cell.sizes:
            self.names.setdefault(size, SIZE_PREFIX + size)
        self.expressions = {unwrap(text(sympy.Symbol(key), notation)): key for key in keys if notation.is_expression(key)}

    def fail(self, node: Node, message: str, expected: str, suggestion: str | None = None) -> SpecError:
        return SpecError(message, ORIGIN.at(self.text, node.pos), expected=expected, suggestion=suggestion)

    def read(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Neg):
            return -self.read(node.operand)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Transpose):
            return transposed(self.matrix(node.operand))
        return self.binop(node)

    def name(self, node: Name) -> sympy.Expr:
        key = self.names.get(node.id)
        if key is None:
            raise self.fail(node, f"unknown name '{node.id}'", f"a name listed by `lstmsym grad {self.cell.name}`",
                            did_you_mean(node.id, self.names))
        if key.startswith("dloss:"):
            return LossGrad(sympy.Symbol(key[len("dloss:"):]))
        return sympy.Symbol(key)

    def call(self, node: Call) -> sympy.Expr:
        arity = FORMULA_CALLS.get(node.func) or (functions.FUNCTIONS[node.func].arity if node.func in functions.FUNCTIONS else None)
        if arity is None:
            known = list(functions.SPEC_FUNCTIONS) + list(FORMULA_CALLS)
            raise self.fail(node, f"unknown function '{node.func}'", "one of " + ", ".join(sorted(known)), did_you_mean(node.func, known))
        if len(node.args) != arity:
            raise self.fail(node, f"{node.func}() takes {arity} argument(s), found {len(node.args)}", f"{arity} argument(s)")
        if node.func == "d":
            return self.adjoint_of(node)
        if node.func == "blocks":
            inner = self.read(node.args[0])
            if not isinstance(inner, Outer):
                raise self.fail(node, "blocks() of something that is not outer()", "blocks(outer(u, v))")
            matrix = next((op.args[0] for op in self.cell.operators if self.cell.is_parameter(op.args[0])
                           and self.cell.parameter(op.args[0]).blocks), None)
            return BlockOuter(*inner.args, sympy.Symbol(matrix or "?"))
        if node.func in ("sum", "mean", "dot"):
            reduction = self.reduction(node)
            if reduction is not None:
                return reduction
            if node.func != "sum":
                raise self.fail(node, f"{node.func}(...) is not a reduction of cell '{self.cell.name}'",
                                "one of " + (", ".join(k for k in self.expressions if k.startswith(node.func + "(")) or "none"))
        args = [self.read(a) for a in node.args]
        calls = {"outer": lambda: Outer(*args), "sum": lambda: SumUnits(args[0]), "next": lambda: Next(args[0]),
                 "sum_positions": lambda: SumTrailing(args[0], sympy.Integer(2)),
                 "rowsum": lambda: SumTrailing(args[0], sympy.Integer(1)),
                 "conv": lambda: Conv(*args), "conv_transpose": lambda: ConvT(*args), "conv_weight": lambda: ConvW(*args, sympy.Symbol(self.kernel_for(args)))}
        if node.func in calls:
            return calls[node.func]()
        if node.func in CLASSES:  # an operator along the units or its adjoint
            return CLASSES[node.func](*args)
        return functions.apply(node.func, args)

    def reduction(self, node: Call) -> sympy.Expr | None:
        """sum/mean/dot written as the cell writes one of its reductions: that reduction's value."""
        written = unwrap(self.text[node.pos:self.closing(self.text.index("(", node.pos)) + 1])
        try:
            shown = unwrap(text(sympy.Function(node.func)(*[self.read(a) for a in node.args]), self.notation, keep_order=True))
        except SpecError:
            shown = written
        for form in (shown, written):
            if form in self.expressions:
                return sympy.Symbol(self.expressions[form])
        return None

    def kernel_for(self, args) -> str:
        return next((op.args[0] for op in self.cell.operators if op.op == "conv"), "?")

    def adjoint_of(self, node: Call) -> sympy.Expr:
        """d(expression): the adjoint of the auto-named operand or reduction that expression is."""
        inner = node.args[0]
        opening = self.text.index("(", node.pos)
        written = self.text[opening + 1:self.closing(opening)].strip()
        candidates = self.expressions
        try:
            shown = unwrap(text(self.read(inner), self.notation, keep_order=True))
        except SpecError:
            shown = written
        computed = {st.target for st in self.derived.backward.statements} | set(self.derived.backward.incoming)
        named = {form: key for form, key in candidates.items() if adjoint_key(key) in computed}
        for form in (shown, written):
            if form in named:
                return sympy.Symbol(adjoint_key(named[form]))
        why = "is written out by the backward (no quantity holds it)" if shown in candidates or written in candidates \
            else "is not the adjoint of a quantity"
        raise self.fail(node, f"d({written}) {why} of cell '{self.cell.name}'",
                        "d(...) of an operand as `grad` prints it, e.g. " + (", ".join(f"d({k})" for k in named) or "none"))

    def closing(self, opening: int) -> int:
        depth, index = 0, opening
        while index < len(self.text):
            if self.text[index] == "(":
                depth += 1
            elif self.text[index] == ")":
                depth -= 1
                if depth == 0:
                    return index
            index += 1
        return len(self.text)

    def matrix(self, node: Node) -> sympy.Expr:
        """A matrix: a parameter or matrix quantity by name, or an expression of them (matched to the cell's
        matrix expressions where one is the same)."""
        expr = self.read(node)
        for m in self.cell.matrix_nodes:
            if sympy.expand(expr - self.matrix_value(m)) == 0:
                return sympy.Symbol(m.key)
        return expr

    @staticmethod
    def matrix_value(node: MatrixExpr) -> sympy.Expr:
        return sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in node.terms])

    def binop(self, node: BinOp) -> sympy.Expr:
        if node.op == "@":
            if isinstance(node.left, Transpose):
                return MatTVec(self.matrix(node.left.operand), self.read(node.right))
            return MatVec(self.matrix(node.left), self.read(node.right))
        if node.op == "**":
            exponent = node.right.operand if isinstance(node.right, Neg) else node.right
            if not isinstance(exponent, Num):
                raise self.fail(node, "the exponent of '**' is not a number", "a numeric exponent such as x ** 2")
            if abs(exponent.value.numerator) > MAX_EXPONENT or exponent.value.denominator > MAX_EXPONENT:
                raise self.fail(node, f"the exponent {exponent.value} of '**' is out of range",
                                f"a small exponent: a fraction p/q with |p| and q at most {MAX_EXPONENT}")
        left, right = self.read(node.left), self.read(node.right)
        return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                "/": lambda: left / right, "**": lambda: left**right}[node.op]()


def unwrap(shown: str) -> str:
    """'(a + b)' -> 'a + b' when the outer brackets enclose everything; 'f(x)' and '(a) * (b)' unchanged."""
    while shown.startswith("(") and shown.endswith(")"):
        depth = 0
        for index, char in enumerate(shown):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and index < len(shown) - 1:
                return shown
        shown = shown[1:-1].strip()
    return shown


def read_formula(derived: Derived, notation: Notation, source: str) -> sympy.Expr:
    """Parse and read a formula; SpecError with the column on any mistake."""
    return FormulaReader(derived, notation, source).read(parse_expression(source, ORIGIN))
