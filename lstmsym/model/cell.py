"""The symbolic cell: a spec turned into a dimension-generic graph of SymPy quantities, parameters and states.
Everything lstmsym derives starts from this object; it holds no per-cell code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..base.errors import SpecError
from ..spec.matrices import entry
from ..spec.decls import Reference, Spec
from ..spec.domains import Domain
from ..spec.inits import InitDecl
from .infer import infer_shapes
from .inits import check_inits
from .ir import Elementwise, MatrixExpr, Node, Operator, Reduction, Shape
from .lower import lower
from .names import check_functions, check_names, check_unused
from .sizes import Rule, SizeRules, size_symbol


@dataclass(frozen=True)
class Parameter:
    """A learned tensor: its shape as size names, what it does, whether its shape was declared, and the
    number of diagonal blocks (heads) when it is a block-diagonal matrix."""

    name: str
    shape: Shape
    role: str
    declared: bool
    blocks: str | None = None
    init: InitDecl | None = None

    @property
    def kind(self) -> str:
        return ("scalar", "vector", "matrix", "map", "kernel")[len(self.shape)]

    def size(self) -> sympy.Expr:
        """Number of learned entries, as a formula in the sizes (a block-diagonal matrix keeps 1/k of them)."""
        count = sympy.Mul(*[size_symbol(s) for s in self.shape])
        return count / size_symbol(self.blocks) if self.blocks else count


@dataclass(frozen=True)
class State:
    name: str
    previous: str
    shape: Shape
    role: str
    positive: bool = False

    @property
    def size(self) -> str:
        return self.shape[0] if self.shape else "1"


@dataclass(frozen=True)
class Input:
    name: str
    shape: Shape
    role: str
    domain: Domain = Domain("real")


class Cell:
    """A checked, lowered cell. Built once per spec; the derivation reads it and never changes it."""

    def __init__(self, spec: Spec) -> None:
        check_names(spec)
        check_functions(spec)
        self.spec = spec
        self.shapes: dict[str, Shape] = infer_shapes(spec)
        check_unused(spec)
        check_inits(spec, self.shapes)
        lowered = lower(spec, self.shapes)
        self.nodes: list[Node] = lowered.nodes
        self.display: dict[str, sympy.Expr] = lowered.display
        self._by_key = {node.key: node for node in self.nodes}
        for node in self.nodes:
            self.shapes.setdefault(node.key, node.shape)
        self._check_sizes()

    # -- metadata ------------------------------------------------------------------
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

    @cached_property
    def inputs(self) -> tuple[Input, ...]:
        return tuple(Input(d.name, d.shape, d.role, d.domain) for d in self.spec.inputs.values())

    @property
    def input(self) -> str:
        """The main input (what a stacked layer reads from the layer below)."""
        return self.inputs[0].name

    @property
    def input_size(self) -> str:
        shape = self.inputs[0].shape
        return shape[0] if shape else "1"

    @property
    def side_inputs(self) -> tuple[Input, ...]:
        return self.inputs[1:]

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.spec.outputs

    @property
    def sizes(self) -> dict[str, str]:
        return {name: decl.role for name, decl in self.spec.sizes.items()}

    @cached_property
    def states(self) -> tuple[State, ...]:
        return tuple(State(s.name, s.previous, s.shape, s.role, s.positive) for s in self.spec.states.values())

    @cached_property
    def state_of_previous(self) -> dict[str, State]:
        return {s.previous: s for s in self.states}

    @cached_property
    def constants(self) -> dict[str, sympy.Rational]:
        return {c.name: sympy.Rational(c.value.numerator, c.value.denominator) for c in self.spec.constants.values()}

    # -- the graph ---------------------------------------------------------------------
    @cached_property
    def equations(self) -> tuple[tuple[str, sympy.Expr], ...]:
        """The user's equations as the author wrote them (operators appear as symbols with internal keys)."""
        return tuple((eq.name, self.display[eq.name]) for eq in self.spec.equations if eq.name in self.display)

    def node(self, key: str) -> Node:
        return self._by_key[key]

    def has_node(self, key: str) -> bool:
        return key in self._by_key

    @cached_property
    def value_nodes(self) -> tuple[Node, ...]:
        """Quantities computed per step (everything except matrix expressions of parameters)."""
        return tuple(n for n in self.nodes if not isinstance(n, MatrixExpr))

    @cached_property
    def matrix_nodes(self) -> tuple[MatrixExpr, ...]:
        return tuple(n for n in self.nodes if isinstance(n, MatrixExpr))

    @cached_property
    def operators(self) -> tuple[Operator, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Operator))

    def role(self, equation: str) -> str:
        return next((eq.role for eq in self.spec.equations if eq.name == equation), "")

    def constant_matrices(self, sizes: dict[str, int]) -> dict[str, list[list[sympy.Rational]]]:
        """Every constant matrix's entries at these sizes (spec.matrices.entry), by name, exact."""
        out = {}
        for decl in self.spec.matrices.values():
            rows, cols = (sizes[s] for s in decl.shape)
            out[decl.name] = [[sympy.Rational(entry(decl.kind, i, j, rows, cols, decl.table)) for j in range(cols)]
                              for i in range(rows)]
        return out

    def is_batched(self, key: str) -> bool:
        """True for quantities that differ per sequence (inputs, states and what depends on them)."""
        if key in self._by_key:
            return self._by_key[key].batched
        return key not in self._fixed_names

    @cached_property
    def _fixed_names(self) -> set[str]:
        return self.spec.fixed_names

    # -- parameters ------------------------------------------------------------------------
    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        return tuple(Parameter(p.name, self.shapes[p.name], p.role or self._infer_role(p.name), p.shape is not None, p.blocks,
                               p.init) for p in self.spec.parameters.values())

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    def is_parameter(self, name: str) -> bool:
        return name in self.spec.parameters

    def _infer_role(self, name: str) -> str:
        """A short description of what a parameter does, read off where it is used (in the user's own names)."""
        for op in self.operators:
            if op.args[0] == name:
                where = self._consumer_equation(op.key)
                vector = op.args[1]
                what = "kernel" if op.op == "conv" else "weights"
                if vector == self.input:
                    return f"input {what} of {where}"
                if vector in self.state_of_previous:
                    return f"recurrent {what} of {where}"
                if vector in self.spec.inputs:
                    return f"{what} applied to the input {vector} in {where}"
                shown = vector if ":" not in vector else "an expression"
                return f"{what} applied to {shown} in {where}"
        for node in self.matrix_nodes:
            if any(t.source == name for t in node.terms):
                return f"weights in the matrix of {node.equation}"
        symbol = sympy.Symbol(name)
        for node in self.value_nodes:
            expr = getattr(node, "expr", None)
            if expr is not None and symbol in expr.free_symbols:
                slope = sympy.diff(expr, symbol)
                if slope in (1, -1):
                    return f"bias of {node.equation}"
                kind = "scalar" if len(self.shapes[name]) == 0 else "elementwise weights"
                return f"{kind} in {node.equation}"
        return ""

    def _consumer_equation(self, key: str) -> str:
        symbol = sympy.Symbol(key)
        for node in self.nodes:
            expr = getattr(node, "expr", None)
            if (expr is not None and symbol in expr.free_symbols) or (isinstance(node, Operator) and key in node.args):
                return node.equation
        return "?"

    def parameter_count(self) -> sympy.Expr:
        """Number of learned scalars in the spec as written, as a polynomial in the sizes."""
        return sympy.Add(*[p.size() for p in self.parameters])

    # -- sizes -------------------------------------------------------------------------------
    @cached_property
    def size_rules(self) -> SizeRules:
        """The spec's own rules, plus those the operators imply (heads divide their matrix, kernels fit the map)."""
        rules = []
        for decl in self.spec.sizes.values():
            rules += [Rule("less", decl.name, other) for other in decl.less_than]
            rules += [Rule("divides", decl.name, other) for other in decl.divides]
        for p in self.parameters:
            if p.blocks:
                rules += [Rule("divides", p.blocks, s) for s in p.shape]
        kernels = []
        for op in self.operators:
            if op.op == "conv":
                kernel = self.shapes[op.args[0]][2]
                kernels.append(kernel)
                rules += [Rule("within", kernel, s) for s in self.shapes[op.args[1]][1:]]
        declared = tuple(s.name for s in self.spec.sizes.values() if s.kernel)
        return SizeRules(self.spec, rules, tuple(dict.fromkeys(kernels + list(declared))))

    def _check_sizes(self) -> None:
        used = {s for shape in self.shapes.values() for s in shape} | {p.blocks for p in self.spec.parameters.values() if p.blocks}
        for decl in self.spec.sizes.values():
            if decl.name not in used:
                raise SpecError(f"unused size '{decl.name}'", decl.location, expected="every declared size used in a shape",
                                suggestion="remove it from [sizes], or give an input, state or parameter that shape")
        for p in self.parameters:
            if p.blocks and len(p.shape) != 2:
                raise SpecError(f"parameter '{p.name}' has blocks but is {p.kind}", self.spec.parameters[p.name].location,
                                expected="blocks only on a matrix used on the left of '@'")
        self.size_rules.verify_sizes()
        self.size_rules.reference_sizes()

    def __repr__(self) -> str:
        return f"<Cell {self.name}: {len(self.parameters)} parameters, state {', '.join(s.name for s in self.states)}>"


__all__ = ["Cell", "Parameter", "State", "Input", "Elementwise", "Reduction", "Operator", "MatrixExpr"]
