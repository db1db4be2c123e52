"""Infer the shape of every parameter and equation from how it is used, and check declared shapes."""

from __future__ import annotations

from .errors import Location, SpecError
from .functions import FUNCTIONS
from .names import IDENTITY
from .shapes import SCALAR, Dims, Shape, ShapeClash, broadcast, describe, matvec, resolved, transpose
from .spec import Equation, Spec
from .syntax import BinOp, Call, Name, Neg, Node, Num, Transpose

MATRIX, VALUE = "matrix", "value"
MAX_EXPONENT = 16


def is_constant(node: Node, spec: Spec) -> bool:
    """True for numbers, named constants and arithmetic of them (the coefficients allowed on matrices)."""
    if isinstance(node, Num):
        return True
    if isinstance(node, Name):
        return node.id in spec.constants
    if isinstance(node, Neg):
        return is_constant(node.operand, spec)
    if isinstance(node, BinOp) and node.op != "@":
        return is_constant(node.left, spec) and is_constant(node.right, spec)
    return False


def matrix_names(spec: Spec) -> set[str]:
    """Names used as matrices: left of '@' or transposed, directly or through a matrix equation."""
    found: set[str] = set()

    def walk(node: Node, as_matrix: bool) -> None:
        if isinstance(node, Name):
            if as_matrix:
                found.add(node.id)
        elif isinstance(node, BinOp) and node.op == "@":
            walk(node.left, True)
            walk(node.right, False)
        elif isinstance(node, BinOp) and as_matrix and node.op in ("*", "/"):
            for side in (node.left, node.right):
                walk(side, not is_constant(side, spec))
        elif isinstance(node, BinOp):
            walk(node.left, as_matrix)
            walk(node.right, as_matrix and node.op != "**")
        elif isinstance(node, Transpose):
            walk(node.operand, True)
        elif isinstance(node, Neg):
            walk(node.operand, as_matrix)
        elif isinstance(node, Call):
            for arg in node.args:
                walk(arg, False)

    for eq in reversed(spec.equations):
        walk(eq.tree, eq.name in found)
    return found


class ShapeChecker:
    """Walks each equation once, in order, unifying sizes; reports clashes at the operator."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.dims = Dims()
        self.shapes: dict[str, Shape] = {}
        self.first_use: dict[str, Location] = {}
        self.matrices = matrix_names(spec)
        for name, size in spec.inputs.items():
            self.shapes[name] = Shape((self.dims.fresh(size),))
        for state in spec.states.values():
            self.shapes[state.previous] = Shape((self.dims.fresh(state.size),))
        for const in spec.constants:
            self.shapes[const] = SCALAR
        for param in spec.parameters.values():
            if param.shape is not None:
                self.shapes[param.name] = Shape(tuple(self.dims.fresh(s) for s in param.shape))

    # -- entry ---------------------------------------------------------------
    def run(self) -> dict[str, tuple[str, ...]]:
        for eq in self.spec.equations:
            self.eq = eq
            shape = self.check(eq.tree, MATRIX if eq.name in self.matrices else VALUE)
            if eq.name in self.spec.states:
                self.check_state(eq, shape)
            self.shapes[eq.name] = shape
        return self.resolve()

    def check_state(self, eq: Equation, shape: Shape) -> None:
        state = self.spec.states[eq.name]
        if shape.rank != 1:
            raise SpecError(f"equation '{eq.name}' is {describe(shape, self.dims)} but state '{eq.name}' is a vector",
                            eq.location, expected=f"a vector of size {state.size}")
        try:
            self.dims.unify(shape.dims[0], self.dims.fresh(state.size))
        except ShapeClash:
            raise SpecError(f"shape mismatch: equation '{eq.name}' is {describe(shape, self.dims)} "
                            f"but state '{eq.name}' has size {state.size}", eq.location,
                            expected=f"a vector of size {state.size}") from None

    def resolve(self) -> dict[str, tuple[str, ...]]:
        out = {}
        for name, shape in self.shapes.items():
            names = resolved(shape, self.dims)
            if names is None:
                where = self.first_use.get(name) or self.spec.where("equations", name)
                raise SpecError(f"cannot infer the shape of '{name}' ({describe(shape, self.dims)})", where,
                                expected="sizes fixed by how it is used",
                                suggestion=f"declare it: {name} = {{ shape = [...] }} under [parameters]")
            out[name] = names
        return out

    # -- expressions -----------------------------------------------------------
    def at(self, node: Node) -> Location:
        return self.eq.origin.at(self.eq.text, node.pos)

    @staticmethod
    def label(node: Node, side: str) -> str:
        """How an operand is named in a message: by its name when it is one."""
        return f"'{node.id}'" if isinstance(node, Name) else f"the {side} operand"

    def clash(self, node: Node, what: str, shapes: list[tuple[str, Shape]], expected: str) -> SpecError:
        parts = ", ".join(f"{label} is {describe(shape, self.dims)}" for label, shape in shapes)
        return SpecError(f"shape mismatch in {what}: {parts}", self.at(node), expected=expected)

    def check(self, node: Node, want: str) -> Shape:
        if isinstance(node, Num):
            return SCALAR
        if isinstance(node, Name):
            return self.name(node, want)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Neg):
            return self.check(node.operand, want)
        if isinstance(node, Transpose):
            inner = self.check(node.operand, MATRIX)
            if inner.rank != 2:
                raise self.clash(node, "'.T'", [("the operand", inner)], "a matrix")
            return transpose(inner)
        return self.binop(node, want)

    def name(self, node: Name, want: str) -> Shape:
        if node.id == IDENTITY:
            if want != MATRIX:
                raise SpecError("the identity 'I' appears outside a matrix expression", self.at(node),
                                expected="I inside a matrix expression such as (W - W.T - gamma * I) @ h_prev")
            var = self.dims.fresh()
            return Shape((var, var))
        if node.id not in self.shapes:
            self.first_use[node.id] = self.at(node)
            rank = 2 if want == MATRIX else 1
            self.shapes[node.id] = Shape(tuple(self.dims.fresh() for _ in range(rank)))
        shape = self.shapes[node.id]
        if want == MATRIX and shape.rank == 1:
            raise self.clash(node, f"'{node.id}'", [(f"'{node.id}'", shape)], "a matrix here")
        if want == VALUE and shape.rank == 2:
            raise self.clash(node, f"'{node.id}'", [(f"'{node.id}'", shape)],
                             "a vector or scalar here (a matrix is used on the left of '@')")
        return shape

    def call(self, node: Call) -> Shape:
        info = FUNCTIONS[node.func]
        if len(node.args) != info.arity:
            raise SpecError(f"{node.func}() takes {info.arity} argument{'s' if info.arity > 1 else ''}, found {len(node.args)}",
                            self.at(node), expected=f"{node.func}(" + ", ".join("x" * 1 for _ in range(info.arity)) + ")")
        shapes = [self.check(arg, VALUE) for arg in node.args]
        result = shapes[0]
        for shape in shapes[1:]:
            try:
                result = broadcast(result, shape, self.dims)
            except ShapeClash:
                raise self.clash(node, f"{node.func}()", [("the first argument", shapes[0]), ("the second", shape)],
                                 "arguments of the same size") from None
        return result

    def binop(self, node: BinOp, want: str) -> Shape:
        if node.op == "@":
            return self.matmul(node)
        if node.op == "**":
            if not isinstance(node.right, Num) and not (isinstance(node.right, Neg) and isinstance(node.right.operand, Num)):
                raise SpecError("the exponent of '**' is not a number", self.at(node), expected="a numeric exponent such as x ** 2")
            value = node.right.value if isinstance(node.right, Num) else node.right.operand.value
            if abs(value.numerator) > MAX_EXPONENT or value.denominator > MAX_EXPONENT:
                raise SpecError(f"the exponent {value} of '**' is out of range", self.at(node),
                                expected=f"a small exponent: a fraction p/q with |p| and q at most {MAX_EXPONENT}")
            base = self.check(node.left, VALUE)
            return base
        if want == MATRIX and node.op in ("*", "/"):
            return self.scaled_matrix(node)
        left = self.check(node.left, want)
        right = self.check(node.right, want)
        if 2 in (left.rank, right.rank) and 0 in (left.rank, right.rank):
            raise self.clash(node, f"'{node.op}'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "a matrix plus a matrix (a scalar only multiplies a matrix)")
        try:
            return broadcast(left, right, self.dims)
        except ShapeClash:
            raise self.clash(node, f"'{node.op}'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "operands of the same size, or a scalar") from None

    def scaled_matrix(self, node: BinOp) -> Shape:
        """A constant times a matrix, or a matrix divided by a constant."""
        if node.op == "/" or is_constant(node.right, self.spec):
            matrix, scale = node.left, node.right
        else:
            matrix, scale = node.right, node.left
        if not is_constant(scale, self.spec):
            raise SpecError("a matrix is scaled by something that is not a constant", self.at(node),
                            expected="numbers or names from [constants] as the factor of a matrix")
        self.check(scale, VALUE)
        return self.check(matrix, MATRIX)

    def matmul(self, node: BinOp) -> Shape:
        left = self.check(node.left, MATRIX)
        right = self.check(node.right, VALUE)
        try:
            return matvec(left, right, self.dims)
        except ShapeClash:
            raise self.clash(node, "'@'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "a matrix with as many columns as the vector on the right has entries") from None


def infer_shapes(spec: Spec) -> dict[str, tuple[str, ...]]:
    """Shape (as size names) of every input, previous state, constant, parameter and equation."""
    shapes = ShapeChecker(spec).run()
    for param in spec.parameters.values():
        if param.shape is not None and shapes[param.name] != param.shape:
            raise SpecError(f"parameter '{param.name}' is declared with shape {list(param.shape)} but used as {list(shapes[param.name])}",
                            param.location, expected=f"shape = {list(shapes[param.name])}")
    return shapes
