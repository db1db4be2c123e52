"""HTML pieces of a cell (equations as MathML, no JavaScript), for notebooks and the HTML handbook."""

from __future__ import annotations

import sympy

from ..derive.derived import Derived
from ..printing.mathml import equation
from .facts import notation


def equations_html(derived: Derived) -> str:
    """The forward equations, one MathML block each."""
    n = notation(derived)
    return "".join(equation(sympy.Symbol(name), expr, n, keep_order=True) for name, expr in derived.cell.equations)
