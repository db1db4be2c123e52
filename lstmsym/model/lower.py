"""Lower checked syntax trees to the cell's graph: per-unit SymPy expressions, operators and reductions.

Each equation is lowered twice: once evaluated (the form everything derives from) and once as the author
wrote it (the form documents print). Operators, reductions and expression operands get internal keys
(see spec.naming), shared when the same product appears twice; a nonlinearity of an affine map gets its
pre-activation named, so derivatives read tanh(pre) rather than repeating the map."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..base.errors import SpecError
from ..spec.decls import Spec
from ..spec.naming import IDENTITY, auto_key, preactivation_key
from ..spec.syntax import BinOp, Call, Name, Neg, Node, Num, Transpose, calls_in, names_in
from . import functions
from .functions import ElementwiseBase
from .infer import MATRIX, is_constant, matrix_names
from .ir import STRUCTURAL, UNIT_OPERATORS, Elementwise, MatrixExpr, MatrixTerm, Node as GraphNode, Operator, Reduction, Shape
from .names import identity_available


@dataclass
class Lowered:
    nodes: list[GraphNode] = field(default_factory=list)
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


def operator_key(op: str, args: tuple[str, ...]) -> str:
    """Operators are keyed by what they compute, so W @ x used twice is computed once."""
    return f"{op}:{':'.join(args)}"


class Lowerer:
    """Builds nodes equation by equation."""

    def __init__(self, spec: Spec, shapes: dict[str, tuple[str, ...]]) -> None:
        self.spec = spec
        self.shapes: dict[str, Shape] = dict(shapes)
        self.evaluate = True
        self.auto: dict[tuple[str, int, str], str] = {}
        #: Operands already named, by value: the same expression in two equations is one quantity with one adjoint
        #: (two would both print as d(W @ x)).
        self.operands: dict[sympy.Expr, str] = {}
        self.counter: dict[tuple[str, str], int] = {}
        self.out = Lowered()
        self.by_key: dict[str, GraphNode] = {}
        self.matrices = matrix_names(spec)
        self.identity = identity_available(spec)
        self.unbatched = spec.fixed_names
        #: Reductions by what they reduce, so the same sum or mean written twice is one quantity.
        self.reductions: dict[tuple[sympy.Expr, bool], str] = {}

    # -- bookkeeping ----------------------------------------------------------------
    def add(self, node: GraphNode) -> GraphNode:
        if node.key not in self.by_key:
            self.out.nodes.append(node)
            self.by_key[node.key] = node
            self.shapes[node.key] = node.shape
        return self.by_key[node.key]

    def next_key(self, kind: str) -> str:
        index = self.counter.get((kind, self.eq.name), 0) + 1
        self.counter[(kind, self.eq.name)] = index
        return auto_key(kind, self.eq.name, index)

    def remembered(self, kind: str, node: Node, make) -> str:
        """The same auto key for the same piece of text in both lowerings."""
        slot = (self.eq.name, node.pos, kind)
        if slot not in self.auto:
            self.auto[slot] = make()
        return self.auto[slot]

    def batched(self, expr: sympy.Expr) -> bool:
        return any(s.name not in self.unbatched and (s.name not in self.by_key or self.by_key[s.name].batched)
                   for s in expr.free_symbols)

    def shape_of(self, expr: sympy.Expr) -> Shape:
        """The shape of a per-unit expression: that of its highest-rank quantity (checked to broadcast)."""
        shapes = [self.shapes[s.name] for s in expr.free_symbols if s.name in self.shapes]
        return max(shapes, key=len, default=())

    # -- equations --------------------------------------------------------------------
    def run(self) -> Lowered:
        for eq in self.spec.equations:
            self.eq = eq
            shape = self.shapes[eq.name]
            if eq.name in self.matrices:
                self.add(MatrixExpr(eq.name, shape, eq.name, "equation", batched=False, terms=self.matrix(eq.tree)))
                continue
            expr = self.value(eq.tree)
            self.add_value(eq.name, expr, shape)
            self.evaluate = False
            self.out.display[eq.name] = self.value(eq.tree)
            self.evaluate = True
        return self.out

    def add_value(self, key: str, expr: sympy.Expr, shape: Shape, origin: str = "equation") -> None:
        equation = self.eq.name
        if origin == "argument":  # an operand has no name of its own to give a pre-activation (it was arg:g:1_bar)
            self.add(Elementwise(key, shape, equation, origin, self.batched(expr), expr=expr))
            return
        if isinstance(expr, ElementwiseBase) and len(expr.args) == 1 and self.is_affine(expr.args[0]):
            pre = preactivation_key(key)
            inner = expr.args[0]
            self.add(Elementwise(pre, shape, equation, "preactivation", self.batched(inner), expr=inner))
            expr = expr.func(sympy.Symbol(pre))
        else:
            expr = self.name_inner_layers(key, expr, shape)
        self.add(Elementwise(key, shape, equation, origin, self.batched(expr), expr=expr))

    def is_affine(self, expr: sympy.Expr) -> bool:
        """Worth naming as a pre-activation: not a plain user quantity (an operator's result is)."""
        if expr.is_Symbol:
            node = self.by_key.get(expr.name)
            return isinstance(node, Operator)
        return True

    def name_inner_layers(self, key: str, expr: sympy.Expr, shape: Shape) -> sympy.Expr:
        """A nonlinearity of an affine map inside a larger expression gets its pre-activation named too."""
        calls = [e for e in sympy.preorder_traversal(expr) if isinstance(e, ElementwiseBase) and len(e.args) == 1
                 and not e.args[0].is_Symbol and any(isinstance(self.by_key.get(s.name), Operator) for s in e.args[0].free_symbols)]
        index = 1
        for call in dict.fromkeys(calls):
            while preactivation_key(key, index) in self.by_key:
                index += 1
            pre = preactivation_key(key, index)
            inner = call.args[0]
            self.add(Elementwise(pre, self.shape_of(inner) or shape, self.eq.name, "preactivation", self.batched(inner), expr=inner))
            expr = expr.xreplace({call: call.func(sympy.Symbol(pre))})
        return expr

    # -- value context ------------------------------------------------------------------
    def value(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            return sympy.Symbol(node.id)
        if isinstance(node, Call):
            if node.func in STRUCTURAL:
                return self.structural(node)
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
            transposed = isinstance(node.left, Transpose)
            matrix = node.left.operand if transposed else node.left
            if not isinstance(matrix, Name) and self.reads_sequence_matrix(matrix):  # (S_prev + outer(h, k)).T @ q
                return self.operator("tmatvec" if transposed else "matvec", (self.operand_name(matrix), self.operand_name(node.right)))
            if transposed and self.is_matrix_quantity(matrix):
                return self.operator("tmatvec", (matrix.id, self.operand_name(node.right)))
            return self.operator("matvec", (self.matrix_name(node.left), self.operand_name(node.right)))
        left, right = self.value(node.left), self.value(node.right)
        if not self.evaluate:
            return _unevaluated(node.op, left, right)
        return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                "/": lambda: left / right, "**": lambda: left**right}[node.op]()

    def reads_sequence_matrix(self, node: Node) -> bool:
        """Whether an expression is a matrix computed per sequence: it reads a matrix quantity or takes an outer
        product (a matrix of parameters and constants is a matrix expression instead)."""
        return any(self.is_matrix_quantity(name) for name in names_in(node)) or any(c.func == "outer" for c in calls_in(node))

    def is_matrix_quantity(self, node: Node) -> bool:
        """A matrix computed per sequence (a matrix-valued state or equation), not a parameter or I."""
        return isinstance(node, Name) and node.id not in self.spec.parameters and node.id != IDENTITY and node.id not in self.spec.matrices \
            and not isinstance(self.by_key.get(node.id), MatrixExpr) and len(self.shapes.get(node.id, ())) == 2

    def operator(self, op: str, args: tuple[str, ...]) -> sympy.Symbol:
        key = operator_key(op, args)
        if key not in self.by_key:
            shape = self.operator_shape(op, args)
            batched = any(self.by_key[a].batched if a in self.by_key else a not in self.unbatched for a in args)
            self.add(Operator(key, shape, self.eq.name, "operator", batched, op=op, args=args))
        return sympy.Symbol(key)

    def operator_shape(self, op: str, args: tuple[str, ...]) -> Shape:
        if op in UNIT_OPERATORS:
            return self.shapes[args[0]]
        first, second = (self.shapes[a] for a in args)
        if op == "matvec":
            return (first[0],)
        if op == "tmatvec":
            return (first[1],)
        if op == "outer":
            return (first[0], second[0])
        return (first[0],) + second[1:]

    def structural(self, node: Call) -> sympy.Expr:
        if node.func in ("sum", "mean", "dot"):
            def make() -> str:
                inner = self.value(node.args[0])
                if node.func == "dot":
                    inner = inner * self.value(node.args[1])
                same = self.reductions.get((inner, node.func == "mean"))
                if same is not None:  # mean(c) written twice is one quantity (one adjoint, computed once)
                    return same
                key = self.next_key("red")
                self.reductions[(inner, node.func == "mean")] = key
                self.add(Reduction(key, (), self.eq.name, "reduction", self.batched(inner), expr=inner,
                                   over=self.shape_of(inner), mean=node.func == "mean"))
                return key

            key = self.remembered("red", node, make)
            if not self.evaluate and key not in self.out.display:
                args = [self.value(a) for a in node.args]
                self.out.display[key] = sympy.Function(node.func)(*args)
            return sympy.Symbol(key)
        if node.func in UNIT_OPERATORS:
            return self.operator(node.func, (self.operand_name(node.args[0]),))
        if node.func == "cumax":  # ON-LSTM's cumax(v) = cumsum(softmax(v))
            return self.operator("cumsum", (self.operator("softmax", (self.operand_name(node.args[0]),)).name,))
        if node.func == "outer":
            return self.operator("outer", (self.operand_name(node.args[0]), self.operand_name(node.args[1])))
        kernel = node.args[0]
        assert isinstance(kernel, Name)
        return self.operator("conv", (kernel.id, self.operand_name(node.args[1])))

    def matrix_name(self, node: Node) -> str:
        """The matrix on the left of '@': a parameter, a matrix quantity, or an auto-named matrix expression."""
        if isinstance(node, Name) and not (node.id == IDENTITY and self.identity) and node.id not in self.spec.matrices:
            return node.id  # a constant matrix alone is a matrix expression of one term, as W - W.T is of two

        def make() -> str:
            terms = self.matrix(node)
            key = self.next_key("mat")
            self.add(MatrixExpr(key, self.matrix_shape(node, terms), self.eq.name, "matrix", batched=False, terms=terms))
            return key

        return self.remembered("mat", node, make)

    def matrix_shape(self, node: Node, terms: tuple[MatrixTerm, ...]) -> Shape:
        for term in terms:
            if term.source != IDENTITY:
                shape = self.shapes[term.source]
                return shape[::-1] if term.transposed else shape
        raise SpecError("a matrix expression made only of I", self.eq.origin.at(self.eq.text, node.pos),
                        expected="at least one parameter matrix")

    def operand_name(self, node: Node) -> str:
        """An operand of an operator: a name, or an expression given an auto key (an 'argument' node)."""
        if isinstance(node, Name):
            return node.id

        def make() -> str:
            expr = self.value(node)
            if not self.shape_of(expr) and not expr.free_symbols:  # B / B: a vector by its names, a number by value
                raise SpecError(f"this operand simplifies to the number {expr}", self.eq.origin.at(self.eq.text, node.pos),
                                expected="an operand that is a vector (a fixed matrix is declared in [constants], e.g. J = { matrix = \"ones\", shape = [\"n\", \"m\"] })")
            if expr in self.operands:
                return self.operands[expr]
            key = self.operands[expr] = self.next_key("arg")
            self.add_value(key, expr, self.shape_of(expr), origin="argument")
            return key

        key = self.remembered("arg", node, make)
        if not self.evaluate or key not in self.out.display:
            evaluate, self.evaluate = self.evaluate, False
            self.out.display[key] = self.value(node)
            self.evaluate = evaluate
        return key

    # -- matrix context --------------------------------------------------------------------
    def matrix(self, node: Node) -> tuple[MatrixTerm, ...]:
        where = self.eq.origin.at(self.eq.text, node.pos)
        if isinstance(node, Name):
            is_identity = node.id == IDENTITY and self.identity
            known = node.id in self.spec.parameters or node.id in self.spec.matrices or isinstance(self.by_key.get(node.id), MatrixExpr)
            if not is_identity and not known:
                raise SpecError(f"'{node.id}' in a matrix expression is not a parameter", where,
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
        raise SpecError("this is not a matrix expression", where, expected="sums of parameters, their transposes and constants times I")

    @staticmethod
    def scale(terms: tuple[MatrixTerm, ...], factor: sympy.Expr) -> tuple[MatrixTerm, ...]:
        return tuple(MatrixTerm(t.coef * factor, t.source, t.transposed) for t in terms)


def lower(spec: Spec, shapes: dict[str, tuple[str, ...]]) -> Lowered:
    """The node graph of a checked spec, in forward order."""
    return Lowerer(spec, shapes).run()


__all__ = ["Lowered", "lower", "operator_key", "MATRIX"]
