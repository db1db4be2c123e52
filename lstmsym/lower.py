"""Lower checked syntax trees to the symbolic cell's nodes: per-unit SymPy expressions and linear maps."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from . import functions
from .errors import SpecError
from .functions import ElementwiseBase
from .infer import MATRIX, is_constant, matrix_names
from .names import IDENTITY
from .spec import Equation, Spec
from .syntax import BinOp, Call, Name, Neg, Node, Num, Transpose


@dataclass(frozen=True)
class LinearTerm:
    """`matrix @ vector` inside an elementwise expression, standing there as one per-unit symbol."""

    symbol: sympy.Symbol
    matrix: str
    vector: str


@dataclass(frozen=True)
class MatrixTerm:
    """coef * source (transposed or not); source is a parameter, a matrix node, or I."""

    coef: sympy.Expr
    source: str
    transposed: bool


@dataclass
class CellNode:
    """One computed quantity. kind 'vector'/'scalar' carry a per-unit expression; 'matrix' a sum of terms."""

    name: str
    kind: str
    shape: tuple[str, ...]
    equation: str
    origin: str
    expr: sympy.Expr | None = None
    terms: tuple[MatrixTerm, ...] = ()

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.name)


@dataclass
class Lowered:
    nodes: list[CellNode] = field(default_factory=list)
    linear: dict[str, LinearTerm] = field(default_factory=dict)
    display: dict[str, sympy.Expr] = field(default_factory=dict)


def _unevaluated(op: str, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
    """The author's operation, kept in the author's order (for display only)."""
    if op == "+":
        return sympy.Add(left, right, evaluate=False)
    if op == "-":
        return sympy.Add(left, sympy.Mul(-1, right, evaluate=False), evaluate=False)
    if op == "*":
        return sympy.Mul(left, right, evaluate=False)
    if op == "/":
        return sympy.Mul(left, sympy.Pow(right, -1, evaluate=False), evaluate=False)
    return sympy.Pow(left, right, evaluate=False)


def linear_symbol(matrix: str, vector: str) -> sympy.Symbol:
    return sympy.Symbol(f"{matrix}@{vector}")


class Lowerer:
    """Builds nodes equation by equation; auto-named nodes hold matrix expressions and '@' arguments."""

    def __init__(self, spec: Spec, shapes: dict[str, tuple[str, ...]]) -> None:
        self.spec = spec
        self.evaluate = True
        self.auto: dict[tuple[str, int], str] = {}
        self.shapes = shapes
        self.out = Lowered()
        self.matrices = matrix_names(spec)
        self.taken = set(shapes) | set(spec.states)

    def fresh(self, base: str) -> str:
        k = 1
        while f"{base}{k}" in self.taken:
            k += 1
        self.taken.add(f"{base}{k}")
        return f"{base}{k}"

    def run(self) -> Lowered:
        for eq in self.spec.equations:
            self.eq = eq
            shape = self.shapes[eq.name]
            if eq.name in self.matrices:
                self.out.nodes.append(CellNode(eq.name, "matrix", shape, eq.name, "equation", terms=self.matrix(eq.tree)))
                continue
            expr = self.value(eq.tree)
            self.add_value(eq.name, expr, shape)
            self.evaluate = False
            self.out.display[eq.name] = self.value(eq.tree)
            self.evaluate = True
        return self.out

    def add_value(self, name: str, expr: sympy.Expr, shape: tuple[str, ...], origin: str = "equation") -> None:
        kind = "vector" if len(shape) == 1 else "scalar"
        equation = self.eq.name
        if isinstance(expr, ElementwiseBase) and len(expr.args) == 1 and (
                not expr.args[0].is_Symbol or expr.args[0].name in self.out.linear):
            pre = f"{name}_bar"
            self.taken.add(pre)
            self.out.nodes.append(CellNode(pre, kind, shape, equation, "preactivation", expr=expr.args[0]))
            expr = expr.func(sympy.Symbol(pre))
        else:
            expr = self.name_inner_layers(name, expr, kind, shape, equation)
        self.out.nodes.append(CellNode(name, kind, shape, equation, origin, expr=expr))

    def name_inner_layers(self, name: str, expr: sympy.Expr, kind: str, shape: tuple[str, ...], equation: str) -> sympy.Expr:
        """A nonlinearity of an affine map inside a larger expression gets its pre-activation named too
        (name_bar), so derivatives read tanh(h_bar) rather than repeating the whole affine map."""
        calls = [e for e in sympy.preorder_traversal(expr) if isinstance(e, ElementwiseBase) and len(e.args) == 1
                 and not e.args[0].is_Symbol and any(s.name in self.out.linear for s in e.args[0].free_symbols)]
        for index, call in enumerate(dict.fromkeys(calls)):
            pre = f"{name}_bar" if index == 0 and f"{name}_bar" not in self.taken else self.fresh(f"{name}_bar")
            self.taken.add(pre)
            self.out.nodes.append(CellNode(pre, kind, shape, equation, "preactivation", expr=call.args[0]))
            expr = expr.xreplace({call: call.func(sympy.Symbol(pre))})
        return expr

    # -- value context ---------------------------------------------------------
    def value(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            return sympy.Symbol(node.id)
        if isinstance(node, Call):
            return functions.apply(node.func, [self.value(a) for a in node.args], evaluate=self.evaluate)
        if isinstance(node, Neg):
            operand = self.value(node.operand)
            return -operand if self.evaluate else sympy.Mul(-1, operand, evaluate=False)
        if isinstance(node, BinOp):
            return self.binop(node)
        raise SpecError("a transpose outside a matrix expression", self.eq.origin.at(self.eq.text, node.pos),
                        expected="'.T' only on the left of '@'")

    def binop(self, node: BinOp) -> sympy.Expr:
        if node.op == "@":
            return self.matmul(node)
        left, right = self.value(node.left), self.value(node.right)
        if not self.evaluate:
            return _unevaluated(node.op, left, right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return left / right
        return left**right

    def matmul(self, node: BinOp) -> sympy.Expr:
        matrix = self.matrix_name(node.left)
        vector = self.vector_name(node.right)
        symbol = linear_symbol(matrix, vector)
        self.out.linear.setdefault(symbol.name, LinearTerm(symbol, matrix, vector))
        return symbol

    def matrix_name(self, node: Node) -> str:
        if isinstance(node, Name) and node.id != IDENTITY:
            return node.id
        if not self.evaluate:
            return self.auto[(self.eq.name, node.pos)]
        name = self.fresh(f"{self.eq.name}_M")
        self.auto[(self.eq.name, node.pos)] = name
        shape = self.matrix_shape(node)
        self.out.nodes.append(CellNode(name, "matrix", shape, self.eq.name, "matrix", terms=self.matrix(node)))
        return name

    def matrix_shape(self, node: Node) -> tuple[str, ...]:
        for term in self.matrix(node):
            if term.source != IDENTITY:
                shape = self.shapes[term.source]
                return shape[::-1] if term.transposed else shape
        raise SpecError("a matrix expression made only of I", self.eq.origin.at(self.eq.text, node.pos),
                        expected="at least one parameter matrix")

    def vector_name(self, node: Node) -> str:
        if isinstance(node, Name):
            return node.id
        if not self.evaluate:
            return self.auto[(self.eq.name, node.pos)]
        expr = self.value(node)
        name = self.fresh(f"{self.eq.name}_v")
        self.auto[(self.eq.name, node.pos)] = name
        size = self.vector_size(expr)
        self.add_value(name, expr, (size,), origin="argument")
        self.evaluate = False
        self.out.display[name] = self.value(node)
        self.evaluate = True
        return name

    def vector_size(self, expr: sympy.Expr) -> str:
        for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
            if symbol.name in self.out.linear:
                term = self.out.linear[symbol.name]
                return self.shapes[term.matrix][0] if term.matrix in self.shapes else self.node_shape(term.matrix)[0]
            shape = self.shapes.get(symbol.name) or self.node_shape(symbol.name)
            if len(shape) == 1:
                return shape[0]
        raise SpecError("the right operand of '@' is a scalar", self.eq.location, expected="a vector")

    def node_shape(self, name: str) -> tuple[str, ...]:
        return next(node.shape for node in self.out.nodes if node.name == name)

    # -- matrix context --------------------------------------------------------
    def matrix(self, node: Node) -> tuple[MatrixTerm, ...]:
        if isinstance(node, Name):
            if node.id != IDENTITY and node.id not in self.spec.parameters and not self.is_matrix_node(node.id):
                raise SpecError(f"'{node.id}' in a matrix expression is not a parameter", self.eq.origin.at(self.eq.text, node.pos),
                                expected="matrix expressions of parameters, I and constants")
            return (MatrixTerm(sympy.S.One, node.id, False),)
        if isinstance(node, Transpose):
            return tuple(MatrixTerm(t.coef, t.source, not t.transposed and t.source != IDENTITY) for t in self.matrix(node.operand))
        if isinstance(node, Neg):
            return self.scale(self.matrix(node.operand), sympy.S.NegativeOne)
        if isinstance(node, BinOp) and node.op in ("+", "-"):
            right = self.matrix(node.right)
            return self.matrix(node.left) + (self.scale(right, sympy.S.NegativeOne) if node.op == "-" else right)
        if isinstance(node, BinOp) and node.op in ("*", "/"):
            if node.op == "/" or is_constant(node.right, self.spec):
                matrix, scale = node.left, self.value(node.right)
            else:
                matrix, scale = node.right, self.value(node.left)
            return self.scale(self.matrix(matrix), 1 / scale if node.op == "/" else scale)
        raise SpecError("this is not a matrix expression", self.eq.origin.at(self.eq.text, node.pos),
                        expected="sums of parameters, their transposes and constants times I")

    def is_matrix_node(self, name: str) -> bool:
        return any(node.name == name and node.kind == "matrix" for node in self.out.nodes)

    @staticmethod
    def scale(terms: tuple[MatrixTerm, ...], factor: sympy.Expr) -> tuple[MatrixTerm, ...]:
        return tuple(MatrixTerm(t.coef * factor, t.source, t.transposed) for t in terms)


def lower(spec: Spec, shapes: dict[str, tuple[str, ...]]) -> Lowered:
    """The node graph of a checked spec, in forward order."""
    return Lowerer(spec, shapes).run()


__all__ = ["CellNode", "LinearTerm", "Lowered", "MatrixTerm", "lower", "MATRIX", "Equation"]
