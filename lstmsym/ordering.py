"""The order in which printers write the terms of a sum and the factors of a product."""

from __future__ import annotations

import sympy

from .functions import ElementwiseBase
from .ir import VECTOR_OPS, LossGrad
from .notation import Notation, adjoint_base


def _symbols(expr: sympy.Expr) -> list[str]:
    return sorted(s.name for s in expr.free_symbols)


def term_key(notation: Notation, term: sympy.Expr) -> tuple:
    """Sums follow the author's reading order: by the ranks of the names a term mentions."""
    if isinstance(term, LossGrad):
        return (0, (), sympy.default_sort_key(term))
    ranks = []
    for name in _symbols(term):
        glyph = notation.glyph(adjoint_base(name))
        ranks.append(glyph.rank + (0 if name.startswith("d_") and name.endswith("_in") else 0.5 * name.startswith("d_")))
    return (0 if term.is_Number else 1, tuple(sorted(ranks)), sympy.default_sort_key(term))


def factor_key(notation: Notation, factor: sympy.Expr) -> tuple:
    """Products read adjoint, parameter, gate, state, matrix term, then functions (f * c_prev, o * tanh(c))."""
    if factor.is_Number:
        return (-1, 0, sympy.default_sort_key(factor))
    base = factor.base if factor.is_Pow else factor
    is_function = isinstance(base, ElementwiseBase) or isinstance(base, VECTOR_OPS)
    names = _symbols(factor)
    if not names:
        return (9, 0, sympy.default_sort_key(factor))
    glyphs = [notation.glyph(adjoint_base(n)) for n in names]
    adjoint = any(n.startswith("d_") for n in names)
    if adjoint:
        category = 0
    elif base.is_Add:
        category = max(g.category for g in glyphs)
    else:
        category = min(g.category for g in glyphs)
    has_function = is_function or any(isinstance(a, ElementwiseBase) for a in sympy.preorder_traversal(factor))
    return (category + (10 if has_function and not adjoint else 0), min(g.rank for g in glyphs),
            sympy.default_sort_key(factor))


def print_sum(printer, expr: sympy.Expr, keep_order: bool = False, minus: str = " - ") -> str:
    """A sum in reading order, subtracting negative terms; each term printed by `printer`."""
    terms = list(expr.args) if keep_order else sorted(expr.args, key=lambda t: term_key(printer.notation, t))
    text = ""
    for index, term in enumerate(terms):
        if index and term.could_extract_minus_sign():
            text += minus
            term = -term
        elif index:
            text += " + "
        text += printer._print(term)
    return text
