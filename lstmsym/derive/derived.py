"""Derive once: one object per cell holding everything derived from it (backward statements, BPTT, the
sequence plan, counts, cost). Every command and renderer reads this object; none derives again."""

from __future__ import annotations

from functools import cached_property
from weakref import WeakKeyDictionary

import sympy

from ..model.cell import Cell
from .backward import Backward
from .bptt import BPTT
from .counts import CountQuery, count_formula, has_counterpart
from .frameworks import CONVENTIONS
from .plan import Plan


class Derived:
    """A cell and its derived facts, each computed the first time it is asked for."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell

    @cached_property
    def backward(self) -> Backward:
        return Backward(self.cell)

    @cached_property
    def bptt(self) -> BPTT:
        return BPTT(self.backward)

    @cached_property
    def plan(self) -> Plan:
        return Plan(self.cell, self.backward, self.bptt)

    @cached_property
    def cost(self):
        from .cost import derive_cost

        return derive_cost(self)

    @cached_property
    def conventions(self) -> tuple[str, ...]:
        """The conventions this cell can be counted in (paper, and the frameworks it has a layout for)."""
        return tuple(c for c in CONVENTIONS if has_counterpart(self.cell, c))

    def count(self, query: CountQuery = CountQuery()) -> sympy.Expr:
        key = (query.convention, query.layers, query.bidirectional)
        if key not in self._counts:
            self._counts[key] = count_formula(self.cell, query)
        return self._counts[key]

    @cached_property
    def _counts(self) -> dict:
        return {}


_CACHE: "WeakKeyDictionary[Cell, Derived]" = WeakKeyDictionary()


def derived(cell: Cell) -> Derived:
    """The one Derived object of a cell."""
    found = _CACHE.get(cell)
    if found is None:
        found = _CACHE[cell] = Derived(cell)
    return found
