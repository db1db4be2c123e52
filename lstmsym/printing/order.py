"""Order and grouping shared by every printer: the order of the terms of a sum and the factors of a product,
and where brackets go. Text, LaTeX, MathML and diagram labels all ask this module, so they agree."""

from __future__ import annotations

import sympy

from ..model.functions import ElementwiseBase
from ..model.sizes import size_of_key
from ..model.vector_ops import VECTOR_OPS, LossGrad
from ..spec.naming import adjoint_base, incoming_base
from .notation import Notation


def _symbols(expr: sympy.Expr) -> list[str]:
    return sorted(s.name for s in expr.free_symbols)


def _base(name: str) -> str:
    return adjoint_base(name) or incoming_base(name) or name


def term_key(notation: Notation, term: sympy.Expr) -> tuple:
    """Sums follow the author's reading order: by the ranks of the names a term mentions."""
    if isinstance(term, LossGrad):
        return (0, (), sympy.default_sort_key(term))
    ranks = []
    for name in _symbols(term):
        glyph = notation.glyph(_base(name))
        ranks.append(glyph.rank + (0.5 if adjoint_base(name) is not None else 0))
    return (0 if term.is_Number else 1, tuple(sorted(ranks)), sympy.default_sort_key(term))


def factor_key(notation: Notation, factor: sympy.Expr) -> tuple:
    """Products read adjoint, parameter, gate, state, operator, then functions (f * c_prev, o * tanh(c))."""
    if factor.is_Number:
        return (-1, 0, sympy.default_sort_key(factor))
    base = factor.base if factor.is_Pow else factor
    is_function = isinstance(base, ElementwiseBase) or isinstance(base, VECTOR_OPS)
    names = _symbols(factor)
    if not names:
        return (9, 0, sympy.default_sort_key(factor))
    glyphs = [notation.glyph(_base(n)) for n in names]
    adjoint = any(adjoint_base(n) is not None or incoming_base(n) is not None for n in names)
    if adjoint:
        category = 0
    elif base.is_Add:
        category = max(g.category for g in glyphs)
    else:
        category = min(g.category for g in glyphs)
    has_function = is_function or any(isinstance(a, ElementwiseBase) for a in sympy.preorder_traversal(factor))
    # a sum of sizes after the single sizes, as counts are written (2n(m + n), as the write-up's LaTeX has it)
    last = base.is_Add and all(size_of_key(n) is not None for n in names)  # sizes only (constants share their category)
    return (category + (10 if has_function and not adjoint else 0), float("inf") if last else min(g.rank for g in glyphs),
            sympy.default_sort_key(factor))


def ordered_terms(notation: Notation, expr: sympy.Expr, keep_order: bool) -> list[sympy.Expr]:
    return list(expr.args) if keep_order else sorted(expr.args, key=lambda t: term_key(notation, t))


def is_vector(notation: Notation, expr: sympy.Expr) -> bool:
    """Whether an expression has one value per unit (it mentions a vector), not one per sequence."""
    return any(notation.is_vector(s.name) for s in expr.free_symbols)


def odot_before(notation: Notation, factors: list[sympy.Expr], position: int) -> bool:
    """Whether a ⊙ goes before factors[position]: it is a vector and a vector comes before it, whatever scalars
    stand between (ε δh ⊙ (1 − h̄²); β M has none). One rule for the LaTeX, MathML and HTML printers."""
    return is_vector(notation, factors[position]) and any(is_vector(notation, f) for f in factors[:position])


def ordered_factors(notation: Notation, factors, keep_order: bool) -> list[sympy.Expr]:
    """Scalars (numbers, constants, scalar parameters) before vectors, so the vectors stand together and one ⊙
    joins each pair: ε δh ⊙ (1 − h̄²), not δh ε (1 − h̄²) with the elementwise product hidden."""
    if keep_order:
        return list(factors)
    return sorted(factors, key=lambda f: (is_vector(notation, f), factor_key(notation, f)))


def print_sum(printer, expr: sympy.Expr, keep_order: bool = False, minus: str = " - ", plus: str = " + ") -> str:
    """A sum in reading order, subtracting negative terms; each term printed by `printer`."""
    text = ""
    for index, term in enumerate(ordered_terms(printer.notation, expr, keep_order)):
        if index and term.could_extract_minus_sign():
            text += minus
            term = -term
        elif index:
            text += plus
        text += printer._print(term)
    return text


def factor_needs_brackets(factor: sympy.Expr, position: int) -> bool:
    """A factor of a product is bracketed when it is a sum, or a negative quantity after the first factor:
    a ⊙ (1 − b), (1 − z) ⊙ h, a ⊙ (−b)."""
    inner = factor.args[0] if factor.func.__name__ == "Next" else factor
    if inner.is_Add:
        return True
    return position > 0 and inner.could_extract_minus_sign()


def base_needs_brackets(base: sympy.Expr) -> bool:
    """The base of a power is bracketed unless it is a single name or a function call: (1 − z)^2, (a b)^2."""
    return not (base.is_Symbol or isinstance(base, ElementwiseBase)) or base.could_extract_minus_sign()
