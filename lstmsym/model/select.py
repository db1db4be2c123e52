"""The elementwise select where(c, a, b) as a SymPy class, and the folding that keeps the derivatives it
produces selects: a gradient that reaches a through the select is where(c, g, 0), never g times an
indicator, so a NaN in the branch that was not taken never reaches a gradient (0 * NaN is NaN)."""

from __future__ import annotations

import sympy
from sympy import S

from .function_classes import ElementwiseBase


class Where(ElementwiseBase):
    """where(c, a, b): a where c != 0, else b. The derivative with respect to a is the indicator of c,
    where(c, 1, 0); with respect to b its complement, where(c, 0, 1); with respect to c zero (the select jumps
    where c crosses 0, so c is meant to be a mask input, not a learned quantity)."""

    nargs = 3

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        condition = self.args[0]
        if argindex == 1:
            return S.Zero
        return Where(condition, S.One, S.Zero) if argindex == 2 else Where(condition, S.Zero, S.One)

    @classmethod
    def eval(cls, condition, a, b):
        if condition.is_zero is not None and condition.is_number:
            return b if condition.is_zero else a
        if a == b:
            return a
        return None

    @classmethod
    def numeric(cls, condition, a, b):
        return a if condition != 0 else b

    @classmethod
    def standard(cls, condition, a, b):
        return sympy.Piecewise((a, sympy.Ne(condition, 0)), (b, True))


def _indicator(factor: sympy.Expr) -> bool:
    """where(c, 1, 0) or where(c, 0, 1): the derivative of a select with respect to a branch."""
    return isinstance(factor, Where) and factor.args[1:] in ((S.One, S.Zero), (S.Zero, S.One))


def fold_selects(expr: sympy.Expr) -> sympy.Expr:
    """g * where(c, 1, 0) -> where(c, g, 0) (and the complement likewise), term by term: the gradient is
    selected, not multiplied by an indicator."""
    if expr.is_Add:
        return sympy.Add(*[fold_selects(term) for term in expr.args])
    if expr.is_Mul:
        for factor in expr.args:
            if _indicator(factor):
                rest = fold_selects(sympy.Mul(*[f for f in expr.args if f is not factor]))
                condition, taken = factor.args[0], factor.args[1] == S.One
                return Where(condition, rest, S.Zero) if taken else Where(condition, S.Zero, rest)
    return expr


def as_indicator_sum(expr: sympy.Expr, indicator: dict) -> sympy.Expr:
    """expr with each where(c, u, v) written c' u + (1 - c') v, c' = indicator[c] a 0/1 symbol (made on first use,
    one per condition), so two selects on the same condition compare branch by branch under expand()."""
    for w in sorted(expr.atoms(Where), key=sympy.default_sort_key):
        c = indicator.setdefault(w.args[0], sympy.Dummy(f"c{len(indicator)}"))
        expr = expr.xreplace({w: c * w.args[1] + (1 - c) * w.args[2]})
    return expr
