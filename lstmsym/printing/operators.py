"""The operator table's layouts (model.layouts) rendered by a printer: one rule for every vector operator.

A printer that mixes in LayoutPrinter prints each operator of model.vector_ops by its entry's layout. The arguments
go through the printer's own rules (_print, _operand, _transposed); the rest through six small hooks a notation
defines (mark, word, script, side_by_side, call), so LaTeX, MathML and HTML differ only in how a mark or a row is
written, never in what an operator shows."""

from __future__ import annotations

import sympy

from ..base.errors import PrintError
from ..model.layouts import Arg, Call, Label, Mark, Name, Node, Operand, Row, Sub, Sup, UnderT
from ..model.vector_ops import entry_of
from .marks import MARKS


class LayoutPrinter:
    """Mixin: _print_VectorOpBase through the entry's layout."""

    def lay(self, node: Node, expr: sympy.Expr, script: bool = False):
        """One layout node for the applied operator `expr` (script: inside a super- or subscript)."""
        match node:
            case Operand(index):
                return self._operand(expr.args[index])
            case UnderT(index):
                return self._transposed(expr.args[index])
            case Arg(index):
                return self._print(expr.args[index])
            case Mark(name):
                return self.mark(MARKS[name], script)
            case Label(text):
                return self.word(text, label=True)
            case Name(text):
                return self.word(text, label=False)
            case Sup(base, top):
                return self.script(self.lay(base, expr), self.lay(top, expr, True), below=isinstance(node, Sub))
            case Row(items, thin):
                return self.side_by_side([self.lay(item, expr) for item in items], thin)
            case Call(head, inner):
                return self.call(self.lay(head, expr), self.lay(inner, expr))
        raise PrintError(f"{type(self).__name__} has no rule for the layout node {node!r}")

    def _print_VectorOpBase(self, expr: sympy.Expr):
        """Every operator of the table model.vector_ops, by its layout."""
        return self.lay(entry_of(expr).layout(expr), expr)
