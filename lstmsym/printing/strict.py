"""Printers are strict, as SymPy's code printers are with strict=True: a function node a printer has no rule for
is a PrintError naming the node and the printer, never printed as a guess (the HTML printer once wrote any
unknown operator as Name(args)). What reaches the generic rule by design is a named call of the notation's
structural table (sum, mean, dot, outer, conv, cumsum, ...): the display form of a reduction, a formula's call
shown back to its writer."""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from ..base.errors import PrintError
from ..model.ir import STRUCTURAL


def check_call(printer: object, expr: sympy.Expr) -> None:
    """Raise PrintError unless `expr` is a named call of the structural table."""
    name = type(expr).__name__
    if isinstance(expr, AppliedUndef) and name in STRUCTURAL:
        return
    raise PrintError(f"{type(printer).__name__} has no rule for {name}(...) in {expr}; expected one of the notation's "
                     f"functions, vector operators or the calls {', '.join(sorted(STRUCTURAL))}")
