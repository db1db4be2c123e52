"""Printers are strict (issue 23): every vector operator of the notation is printed by every printer, and a node a
printer has no rule for is a PrintError naming it. The HTML printer once wrote an operator it lacked as
Conv(K_i, x_t), and the others would print any stray SymPy function by its class name."""

from __future__ import annotations

import pytest
import sympy

import lstmsym
from lstmsym.base.errors import PrintError
from lstmsym.model.ir import STRUCTURAL
from lstmsym.model.vector_ops import VECTOR_OPS
from lstmsym.printing.html import html
from lstmsym.printing.latex import latex
from lstmsym.printing.mathml import mathml
from lstmsym.printing.notation import Notation
from lstmsym.printing.text import text

PRINTERS = {"latex": latex, "mathml": mathml, "html": html, "text": text}


@pytest.fixture(scope="module")
def notation():
    return Notation(lstmsym.cell("convlstm").model)


def operands(op, notation):
    """Symbols of the cell standing for the operator's arguments (a kernel, a map, a matrix...)."""
    h, x, w = sympy.Symbol("h"), sympy.Symbol("x"), sympy.Symbol("W_hi")
    nargs = sorted(op.nargs)[0]
    if op.__name__ == "SumTrailing":
        return (h, sympy.Integer(2))
    if op.__name__ == "BlockOuter":
        return (h, x, w)
    if op.__name__ == "ConvW":
        return (h, x, w)
    return (w, h)[-nargs:] if nargs <= 2 else (h,) * nargs


@pytest.mark.parametrize("printer", sorted(PRINTERS))
@pytest.mark.parametrize("op", VECTOR_OPS, ids=lambda o: o.__name__)
def test_every_operator_is_printed_by_every_printer(op, printer, notation):
    out = PRINTERS[printer](op(*operands(op, notation)), notation)
    assert out and op.__name__ not in out, out  # a rule of its own, not the class name


@pytest.mark.parametrize("printer", sorted(PRINTERS))
def test_an_unknown_node_is_a_print_error(printer, notation):
    with pytest.raises(PrintError, match="has no rule for Mystery"):
        PRINTERS[printer](sympy.Function("Mystery")(sympy.Symbol("h")), notation)
    for name, (arity, _) in STRUCTURAL.items():  # the named calls of the structural table are printed
        assert PRINTERS[printer](sympy.Function(name)(*[sympy.Symbol("h")] * arity), notation)


@pytest.mark.parametrize("printer", sorted(PRINTERS))
def test_a_count_prints_in_one_order_whatever_was_printed_before(printer):
    """The sizes' order in a printed sum is the spec's (m + 7mn + 11n), not the order the printer first met them in:
    a one-process build printed hgrn's count on the index pages as 11n + 7nm + m after its cell page."""
    from lstmsym.model.sizes import SIZE_PREFIX

    cell = lstmsym.cell("hgrn").model
    m, n = sympy.Symbol(SIZE_PREFIX + "m"), sympy.Symbol(SIZE_PREFIX + "n")
    count = m + 7 * m * n + 11 * n
    fresh, used = Notation(cell), Notation(cell)
    PRINTERS[printer](n, used), PRINTERS[printer](m, used)  # n met first
    assert PRINTERS[printer](count, used) == PRINTERS[printer](count, fresh)
    assert PRINTERS[printer](count, fresh).index("7") < PRINTERS[printer](count, fresh).index("11")


@pytest.mark.parametrize("op", [o for o in VECTOR_OPS if o.__name__ not in ("Next", "LossGrad")], ids=lambda o: o.__name__)
def test_every_operator_is_generated_by_the_code_printer(op, notation):
    """The NumPy code printer (whose helpers every backend defines under the same names) has a rule for every vector
    operator; Next and LossGrad never reach it (the generated loop reads step t+1's values and the loss gradients
    from arrays of their own)."""
    from lstmsym.printing.numpy_code import CodeContext, pycode

    ctx = CodeContext(rank=lambda key: 4 if key == "W_hi" else 3, batched=lambda key: key != "W_hi")
    out = pycode(op(*operands(op, notation)), ctx)
    assert out and op.__name__ not in out, out


def test_the_code_printer_refuses_an_unknown_node():
    """Strict, as SymPy's code printers are: a node without a rule is an error, never code that guesses."""
    from sympy.printing.codeprinter import PrintMethodNotImplementedError

    from lstmsym.printing.numpy_code import CodeContext, pycode

    with pytest.raises(PrintMethodNotImplementedError, match="Mystery"):
        pycode(sympy.Function("Mystery")(sympy.Symbol("h")), CodeContext(rank=lambda key: 1, batched=lambda key: True))


@pytest.mark.parametrize("printer", ["latex", "mathml", "html"])
def test_a_count_writes_the_single_sizes_before_a_sum_of_sizes(printer):
    """2n(m + n), as the write-up's counts (SymPy's LaTeX) have it; the site wrote (m + n) n."""
    from lstmsym.model.sizes import SIZE_PREFIX

    m, n = sympy.Symbol(SIZE_PREFIX + "m"), sympy.Symbol(SIZE_PREFIX + "n")
    import re

    out = re.sub(r"<[^>]+>|\\left|\\right", "", PRINTERS[printer](2 * n * (m + n), Notation(lstmsym.cell("atr").model)))
    assert out.replace(" ", "") == "2n(m+n)", out
