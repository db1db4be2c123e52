"""The symbolic cell: a spec turned into dimension-generic SymPy equations, parameters and state."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from .infer import infer_shapes
from .lower import CellNode, LinearTerm, lower
from .names import check_names, check_unused
from .spec import Reference, Spec


@dataclass(frozen=True)
class Parameter:
    """A learned tensor: its shape as size names, what it does, and whether its shape was declared."""

    name: str
    shape: tuple[str, ...]
    role: str
    declared: bool

    @property
    def kind(self) -> str:
        return ("scalar", "vector", "matrix")[len(self.shape)]

    def size(self) -> sympy.Expr:
        """Number of entries, as a product of size symbols."""
        return sympy.Mul(*[sympy.Symbol(s, positive=True, integer=True) for s in self.shape])


@dataclass(frozen=True)
class State:
    name: str
    previous: str
    size: str
    role: str


class Cell:
    """Everything lstmsym derives is computed from this object; it holds no per-cell code."""

    def __init__(self, spec: Spec) -> None:
        check_names(spec)
        self.spec = spec
        self.shapes = infer_shapes(spec)
        check_unused(spec)
        lowered = lower(spec, self.shapes)
        self.nodes: list[CellNode] = lowered.nodes
        self.linear: dict[str, LinearTerm] = lowered.linear
        self._display = lowered.display
        for node in self.nodes:
            self.shapes.setdefault(node.name, node.shape)

    # -- metadata --------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def year(self) -> int | None:
        return self.spec.year

    @property
    def summary(self) -> str:
        return self.spec.summary

    @property
    def references(self) -> tuple[Reference, ...]:
        return self.spec.references

    @property
    def input(self) -> str:
        return next(iter(self.spec.inputs))

    @property
    def input_size(self) -> str:
        return self.spec.inputs[self.input]

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.spec.outputs

    @property
    def sizes(self) -> dict[str, str]:
        return dict(self.spec.sizes)

    @cached_property
    def states(self) -> tuple[State, ...]:
        return tuple(State(s.name, s.previous, s.size, s.role) for s in self.spec.states.values())

    @cached_property
    def constants(self) -> dict[str, sympy.Rational]:
        return {c.name: sympy.Rational(c.value.numerator, c.value.denominator) for c in self.spec.constants.values()}

    # -- equations -------------------------------------------------------------
    @cached_property
    def equations(self) -> tuple[tuple[str, sympy.Expr], ...]:
        """The user's equations as per-unit SymPy expressions (linear terms appear as symbols 'W@x')."""
        return tuple((eq.name, self._display[eq.name]) for eq in self.spec.equations if eq.name in self._display)

    @cached_property
    def matrix_nodes(self) -> tuple[CellNode, ...]:
        return tuple(node for node in self.nodes if node.kind == "matrix")

    @cached_property
    def value_nodes(self) -> tuple[CellNode, ...]:
        return tuple(node for node in self.nodes if node.kind != "matrix")

    def node(self, name: str) -> CellNode:
        return next(node for node in self.nodes if node.name == name)

    def role(self, equation: str) -> str:
        return next((eq.role for eq in self.spec.equations if eq.name == equation), "")

    # -- parameters ------------------------------------------------------------
    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        return tuple(
            Parameter(p.name, self.shapes[p.name], p.role or self._infer_role(p.name), p.shape is not None)
            for p in self.spec.parameters.values()
        )

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    def _infer_role(self, name: str) -> str:
        """A short description of what a parameter does, read off where it is used."""
        for term in self.linear.values():
            if term.matrix == name:
                where = self._consumer(term.symbol)
                if term.vector == self.input:
                    return f"input weights of {where}"
                if any(s.previous == term.vector for s in self.states):
                    return f"recurrent weights of {where}"
                return f"weights applied to {term.vector} in {where}"
        for node in self.nodes:
            if node.kind == "matrix" and any(t.source == name for t in node.terms):
                return f"weights in the matrix of {node.equation}"
        symbol = sympy.Symbol(name)
        for node in self.value_nodes:
            if node.expr is not None and symbol in node.expr.free_symbols:
                slope = sympy.diff(node.expr, symbol)
                if slope in (1, -1):
                    return f"bias of {node.equation}"
                kind = "scalar" if len(self.shapes[name]) == 0 else "elementwise weights"
                return f"{kind} in {node.equation}"
        return ""

    def _consumer(self, symbol: sympy.Symbol) -> str:
        return next(node.equation for node in self.value_nodes if node.expr is not None and symbol in node.expr.free_symbols)

    def parameter_count(self) -> sympy.Expr:
        """Number of learned scalars in the spec as written, as a polynomial in the sizes."""
        return sympy.Add(*[p.size() for p in self.parameters])

    # -- notebooks ---------------------------------------------------------------
    def _repr_latex_(self) -> str:
        """The forward equations, for Jupyter."""
        from .notation import Notation
        from .views import equations_view

        rows = " \\\\ ".join(f"{e['latex_lhs']} &= {e['latex']}" for e in equations_view(self, Notation(self)))
        return f"$$\\begin{{aligned}} {rows} \\end{{aligned}}$$"

    def _repr_svg_(self) -> str:
        """The forward diagram, for Jupyter (needs Graphviz's dot)."""
        from .render import diagram_svg

        return diagram_svg(self).decode()

    def __repr__(self) -> str:
        return f"<Cell {self.name}: {len(self.parameters)} parameters, state {', '.join(s.name for s in self.states)}>"
