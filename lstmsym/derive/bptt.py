"""Backpropagation through time in recurrence form: how adjoints cross from step t to step t-1, and
parameter gradients as sums over steps. Derived from the one-step statements, so its cost does not
depend on the number of steps; the code generators build each step's incoming adjoints from these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..model.vector_ops import LossGrad, Next
from ..spec.naming import adjoint_key, incoming_key
from .backward import Backward, Statement


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
                carried = self.back.statement(adjoint_key(states[name].previous))
                terms.append(Next(carried.expr))
            out.append(Recurrence(name, incoming_key(name), sympy.Add(*terms), carried.target if carried else None))
        return out

    @property
    def parameter_sums(self) -> list[Statement]:
        """Each parameter's one-step contribution; the gradient is its sum over t = 1..T (and the batch)."""
        return self.back.by_kind("param")

    @property
    def boundary(self) -> list[str]:
        """States whose incoming adjoint at t = T also receives dL/ds_T from a loss on the final state."""
        return [s.name for s in self.cell.states]
