"""Backpropagation through time in recurrence form: how adjoints cross from step t to step t-1, and
parameter gradients as sums over steps. Derived from the one-step equations, so its cost does not
depend on the number of steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from .backward import Backward, Statement
from .ir import LossGrad, Next
from .notation import incoming_name


@dataclass(frozen=True)
class Recurrence:
    """The adjoint arriving at `name` at step t: its loss term (if an output) plus what step t+1 hands back."""

    name: str
    incoming: str
    expr: sympy.Expr
    carried_from: str | None

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.incoming)


class BPTT:
    """Recurrences for the incoming adjoints, and the gradients as sums of one-step contributions."""

    def __init__(self, back: Backward) -> None:
        self.back = back
        self.cell = back.cell

    @cached_property
    def recurrences(self) -> list[Recurrence]:
        out = []
        states = {s.name: s for s in self.cell.states}
        names = list(self.cell.outputs) + [s for s in states if s not in self.cell.outputs]
        for name in names:
            terms = []
            if name in self.cell.outputs:
                terms.append(LossGrad(sympy.Symbol(name)))
            carried = None
            if name in states:
                carried = self.back.statement(f"d_{states[name].previous}")
                terms.append(Next(carried.expr))
            out.append(Recurrence(name, incoming_name(name), sympy.Add(*terms), carried.target if carried else None))
        return out

    @property
    def parameter_sums(self) -> list[Statement]:
        """Each parameter's one-step contribution; the gradient is its sum over t = 1..T."""
        return self.back.by_kind("param")

    @property
    def boundary(self) -> list[str]:
        """States whose incoming adjoint at t = T also receives dL/ds_T from a loss on the final state."""
        return [s.name for s in self.cell.states]
