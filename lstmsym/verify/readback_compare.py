"""The derived side of a read-back, in the reader's vocabulary, and the comparison: every internal key the
printers show as an expression written out (Canon), linear operators normalised, and equality in SymPy. Also one
cell's printed formulas, read back (what `lstmsym verify` reports in its column "printed")."""

from __future__ import annotations

import re
from xml.dom import minidom

import sympy

from ..model.cell import Cell
from ..model.ir import MatrixExpr, Operator
from ..model.select import Where, as_indicator_sum
from ..model.vector_ops import ALONG_UNITS, BlockOuter, Conv, ConvT, ConvW, MatTVec, MatVec, Next, Outer, SumTrailing, SumUnits, Transposed, operator_form, row_sum
from .readback import ADJOINT_OF, BDIAG, CONV_WEIGHTS, ROW_SUM, SUM_POSITIONS, Names, ReadError, read_formula


# -- the derived side, in the same vocabulary ---------------------------------------------------------------
class Canon:
    """A derived expression with every internal key the printers show as an expression written out."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell

    def expansion(self, key: str) -> sympy.Expr | None:
        head = key.split(":")[0]
        if head in ("d", "in", "size") or head.startswith("pre") or ":" not in key or not self.cell.has_node(key):
            return None
        node = self.cell.node(key)
        if isinstance(node, Operator):
            return self(operator_form(node.op, *(self(sympy.Symbol(a)) for a in node.args)))
        if isinstance(node, MatrixExpr):
            return sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in node.terms])
        return self(self.cell.display[key])

    def __call__(self, expr: sympy.Expr) -> sympy.Expr:
        if expr.is_Symbol:
            key = expr.name
            if key.startswith("d:") and self.expansion(key[2:]) is not None:
                return ADJOINT_OF(self.expansion(key[2:]))
            expanded = self.expansion(key)
            return expanded if expanded is not None else expr
        if isinstance(expr, MatTVec):
            return MatVec(Transposed(self(expr.args[0])), self(expr.args[1]))
        if isinstance(expr, BlockOuter):
            return BDIAG(Outer(self(expr.args[0]), self(expr.args[1])))
        if isinstance(expr, SumTrailing):
            return (ROW_SUM if row_sum(expr) else SUM_POSITIONS)(self(expr.args[0]))
        if isinstance(expr, ConvW):
            return CONV_WEIGHTS(self(expr.args[0]), self(expr.args[1]))
        if isinstance(expr, ALONG_UNITS):
            return sympy.Function(expr.along)(*[self(a) for a in expr.args])
        if isinstance(expr, ConvT):
            return Conv(Transposed(self(expr.args[0])), self(expr.args[1]))
        if isinstance(expr, Next):
            return self.shift(self(expr.args[0]))
        if not expr.args:
            return expr
        return expr.func(*[self(a) for a in expr.args])

    def shift(self, expr: sympy.Expr) -> sympy.Expr:
        """One step later: every quantity with a time index moves on (h's previous value becomes h)."""
        previous = {s.previous: s.name for s in self.cell.states}
        mapping = {}
        for symbol in expr.free_symbols:
            base = symbol.name.split(":")[-1]
            if base in previous:
                mapping[symbol] = sympy.Symbol(symbol.name[: len(symbol.name) - len(base)] + previous[base])
            elif self._timed(base):
                mapping[symbol] = Next(symbol)
        return expr.xreplace(mapping)

    def _timed(self, base: str) -> bool:
        cell = self.cell
        if base in {i.name for i in cell.inputs}:
            return True
        return cell.has_node(base) and cell.is_batched(base)


LINEAR = (MatVec, Outer, SumUnits, Conv, CONV_WEIGHTS, Transposed, SUM_POSITIONS, ROW_SUM, sympy.Function("cumsum"),
          sympy.Function("revcumsum"))


def plain(expr: sympy.Expr) -> sympy.Expr:
    """Every symbol without assumptions (sizes are positive integers on the derived side only)."""
    return expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols})


def normal(expr: sympy.Expr, names: Names, seen: dict | None = None) -> sympy.Expr:
    """Linear operators spread over sums, with their scalar factors (numbers, scalar names) taken out:
    M (a + b) = M a + M b, (η h) hᵀ = η (h hᵀ). The printers may write either form. `seen` remembers what was
    normalised already (a Jacobian block repeats its subexpressions many times)."""
    seen = {} if seen is None else seen
    if expr in seen:
        return seen[expr]
    if not expr.args:
        return expr
    args = [normal(a, names, seen) for a in expr.args]
    out = expr.func(*args)
    if isinstance(expr, LINEAR):
        for position, arg in enumerate(args):
            expanded = sympy.expand(arg) if names.is_vector(arg) or names.is_matrix(arg) else arg
            rebuild = lambda part: normal(expr.func(*args[:position], part, *args[position + 1:]), names, seen)  # noqa: E731
            if expanded.is_Add:
                out = sympy.Add(*[rebuild(term) for term in expanded.args])
                break
            scalars = [f for f in expanded.args if not names.is_vector(f) and not names.is_matrix(f)] if expanded.is_Mul else []
            if scalars:
                out = sympy.Mul(*scalars) * rebuild(sympy.Mul(*[f for f in expanded.args if f not in scalars]))
                break
    seen[expr] = out
    return out


def equal(read: sympy.Expr, derived: sympy.Expr, names: Names) -> bool:
    """Equal as expressions: the same tree, or a difference that expands (or simplifies) to zero once linear
    operators are spread over their sums."""
    read, derived = plain(read), plain(derived)
    if read == derived or sympy.expand(read - derived) == 0:
        return True
    seen: dict = {}
    difference = sympy.expand(normal(read, names, seen) - normal(derived, names, seen))
    if difference.has(Where):
        difference = sympy.expand(as_indicator_sum(difference, {}))
    return difference == 0 or sympy.simplify(difference) == 0


# -- one cell's printed formulas --------------------------------------------------------------------------------
def printed_formulas(derived, notation=None) -> list[tuple]:
    """(kind, lhs, derived expression, LaTeX lhs, LaTeX rhs, MathML) for every equation, one-step gradient and BPTT
    recurrence, printed by the functions the documents use."""
    from ..printing.latex import latex
    from ..printing.mathml import equation
    from ..printing.notation import Notation

    n = notation or Notation(derived.cell)
    rows = []
    for key, expr in derived.cell.equations:
        symbol = sympy.Symbol(key)
        rows.append(("equation", symbol, expr, latex(symbol, n), latex(expr, n, keep_order=True),
                     equation(symbol, expr, n, keep_order=True)))
    for st in derived.backward.statements:
        rows.append(("gradient", st.symbol, st.expr, latex(st.symbol, n), latex(st.expr, n), equation(st.symbol, st.expr, n)))
    for rec in derived.bptt.recurrences:
        symbol = sympy.Symbol(rec.incoming)
        rows.append(("recurrence", symbol, rec.expr, latex(symbol, n), latex(rec.expr, n), equation(symbol, rec.expr, n)))
    return rows


def mathml_parts(markup: str) -> tuple[str, str, str] | None:
    """(lhs, relation, rhs) of a displayed MathML equation (relation = or +=), or None; a long one's lines (an
    <mtable> whose first row's first cell holds `lhs =`) are joined into one right-hand side."""
    body = markup.removeprefix('<math display="block">').removesuffix("</math>")
    if body.startswith("<mtable>"):
        kids = lambda node: [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]  # noqa: E731
        table = minidom.parseString(body).documentElement
        inner = "".join(item.toxml() for row in kids(table) for cell in kids(row) for item in kids(kids(cell)[0]))
    else:
        inner = body.removeprefix("<mrow>").removesuffix("</mrow>")
    parts = re.split(r"<mo>(=|\+=)</mo>", inner, maxsplit=1)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def mathml_sides(markup: str) -> tuple[str, str]:
    """The two sides of a displayed MathML equation."""
    lhs, _, rhs = mathml_parts(markup)
    return lhs, rhs


def read_back(derived, notation=None) -> tuple[int, list[str]]:
    """How many printed formulas were read (LaTeX and MathML count apart), and one line per formula that did not
    read back to the derived expression."""
    from ..printing.notation import Notation

    n = notation or Notation(derived.cell)
    names, canon = Names.of(derived.cell, n.time_letter), Canon(derived.cell)
    problems, count = [], 0
    for kind, lhs, expr, lhs_tex, rhs_tex, markup in printed_formulas(derived, n):
        lhs_ml, rhs_ml = mathml_sides(markup)
        for notation_name, left, right in (("latex", lhs_tex, rhs_tex), ("mathml", lhs_ml, rhs_ml)):
            count += 1
            try:
                ok = equal(read_formula(left, names, notation_name), canon(lhs), names) and \
                    equal(read_formula(right, names, notation_name), canon(expr), names)
            except (ReadError, TypeError, ValueError) as exc:
                ok, right = False, f"{right} ({exc})"
            if not ok:
                problems.append(f"{kind} {lhs} in {notation_name}: {left} = {right}")
    return count, problems


def printed_check(derived) -> dict:
    """The verification suite's entry: every printed formula reads back to the derived one."""
    count, problems = read_back(derived)
    return {"ok": not problems, "formulas": count, "problems": problems[:5]}
