"""Infer the shape of every parameter and equation from how it is used, and check declared shapes.

A name used for the first time takes the shape its use needs: left of '@' a matrix, right of '@' a vector,
elementwise the shape of what it is combined with (a diagonal weight), in conv() a kernel. Scalars are
declared. A clash is reported at the use that broke it, naming where the other size was fixed."""

from __future__ import annotations

from ..base.errors import Location, SpecError
from ..spec.decls import Equation, Spec
from ..spec.naming import IDENTITY
from ..spec.syntax import BinOp, Call, Name, Neg, Node, Num, Transpose, names_in
from .functions import FUNCTIONS
from .ir import STRUCTURAL, UNIT_OPERATORS
from .names import identity_available
from .shapes import SCALAR, Dims, Shape, ShapeClash, broadcast, describe, matvec, resolved, transpose

MATRIX, VALUE = "matrix", "value"
MAX_EXPONENT = 16
REDUCTIONS = ("sum", "mean", "dot")
ORDINALS = ("the first argument", "the second", "the third")


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


def static_equations(spec: Spec) -> set[str]:
    """Equations made only of parameters, constants, numbers and I (the same at every step)."""
    fixed = spec.fixed_names | ({IDENTITY} if identity_available(spec) else set())
    found: set[str] = set()
    for eq in spec.equations:
        if all(ref.id in fixed | found for ref in names_in(eq.tree)):
            found.add(eq.name)
    return found


def matrix_names(spec: Spec) -> set[str]:
    """Parameters and parameter-only equations used as matrices: left of '@' or transposed."""
    found: set[str] = set()
    static = static_equations(spec)

    def walk(node: Node, as_matrix: bool) -> None:
        if isinstance(node, Name):
            if as_matrix and (node.id in spec.parameters or node.id in static or node.id in spec.matrices):
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
            for index, arg in enumerate(node.args):
                walk(arg, node.func == "conv" and index == 0)

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
        self.identity = identity_available(spec)
        self.kernels: list[tuple[str, Shape]] = []
        for name, decl in spec.inputs.items():
            self.shapes[name] = self.declared(decl.shape, decl.location)
        for state in spec.states.values():
            self.shapes[state.previous] = self.declared(state.shape, state.location)
        for const in spec.constants:
            self.shapes[const] = SCALAR
        for matrix in spec.matrices.values():
            self.shapes[matrix.name] = self.declared(matrix.shape, matrix.location)
        for param in spec.parameters.values():
            if param.shape is not None:
                self.shapes[param.name] = self.declared(param.shape, param.location)

    def declared(self, shape: tuple[str, ...], where: Location) -> Shape:
        return Shape(tuple(self.dims.fresh(s, where) for s in shape))

    # -- entry ---------------------------------------------------------------------
    def run(self) -> dict[str, tuple[str, ...]]:
        for eq in self.spec.equations:
            self.eq = eq
            shape = self.check(eq.tree, MATRIX if eq.name in self.matrices else VALUE)
            if eq.name in self.spec.states:
                self.check_state(eq, shape)
            self.shapes[eq.name] = shape
        self.bind_kernels()
        return self.resolve()

    def check_state(self, eq: Equation, shape: Shape) -> None:
        state = self.spec.states[eq.name]
        want = Shape(tuple(self.dims.fresh(s, state.location) for s in state.shape))
        words = describe(want, self.dims)
        if shape.rank != want.rank:
            raise SpecError(f"equation '{eq.name}' is {describe(shape, self.dims)} but state '{eq.name}' is {words}",
                            eq.location, expected=words)
        try:
            for a, b in zip(shape.dims, want.dims):
                self.dims.unify(a, b, eq.location)
        except ShapeClash as clash:
            raise SpecError(f"shape mismatch: equation '{eq.name}' is {describe(shape, self.dims)} but state "
                            f"'{eq.name}' is {words}" + self.fixed_at(clash), eq.location, expected=words) from None

    def bind_kernels(self) -> None:
        """Kernel sizes left open by conv() take the spec's one size marked kernel = true."""
        kernel_sizes = [s.name for s in self.spec.sizes.values() if s.kernel]
        for _, shape in self.kernels:
            for var in shape.dims[2:]:
                if self.dims.name(var) is None and len(kernel_sizes) == 1:
                    self.dims.unify(var, self.dims.fresh(kernel_sizes[0]))

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

    # -- messages -------------------------------------------------------------------
    def at(self, node: Node) -> Location:
        return self.eq.origin.at(self.eq.text, node.pos)

    @staticmethod
    def label(node: Node, side: str) -> str:
        """How an operand is named in a message: by its name when it is one."""
        return f"'{node.id}'" if isinstance(node, Name) else f"the {side} operand"

    @staticmethod
    def fixed_at(clash: ShapeClash) -> str:
        if clash.first and clash.second and clash.first != "rank":
            where = f" (from {clash.where})" if clash.where else ""
            return f"; size {clash.first}{where} disagrees with {clash.second} here"
        return ""

    def clash(self, node: Node, what: str, shapes: list[tuple[str, Shape]], expected: str,
              reason: ShapeClash | None = None) -> SpecError:
        parts = ", ".join(f"{label} is {describe(shape, self.dims)}" for label, shape in shapes)
        detail = self.fixed_at(reason) if reason is not None else ""
        return SpecError(f"shape mismatch in {what}: {parts}{detail}", self.at(node), expected=expected)

    # -- expressions -------------------------------------------------------------------
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
            operand = node.operand
            known = isinstance(operand, Name) and operand.id in self.shapes and self.shapes[operand.id].rank != 2
            inner = self.shapes[operand.id] if known else self.check(operand, MATRIX)  # type: ignore[union-attr]
            if inner.rank != 2:
                what = (f"'{operand.id}', " if isinstance(operand, Name) else "") + ("a vector" if inner.rank == 1 else describe(inner, self.dims))
                raise SpecError(f"'.T' on {what}", self.at(node),
                                expected="a matrix before '.T' (a vector has no transpose here: write W.T @ v, or outer(u, v) for u v^T)")
            return transpose(inner)
        return self.binop(node, want)

    def name(self, node: Name, want: str, rank: int | None = None) -> Shape:
        if node.id == IDENTITY and self.identity:
            if want != MATRIX:
                raise SpecError("the identity 'I' appears outside a matrix expression", self.at(node),
                                expected="I inside a matrix expression such as (W - W.T - gamma * I) @ h_prev")
            var = self.dims.fresh()
            return Shape((var, var))
        if node.id not in self.shapes:
            self.first_use[node.id] = self.at(node)
            rank = rank if rank is not None else (2 if want == MATRIX else 1)
            self.shapes[node.id] = Shape(tuple(self.dims.fresh() for _ in range(rank)))
        shape = self.shapes[node.id]
        if want == MATRIX and shape.rank != 2:
            raise self.clash(node, f"'{node.id}'", [(f"'{node.id}'", shape)], "a matrix here (left of '@')")
        return shape

    def fresh(self, node: Node) -> bool:
        """A name not seen yet (its shape will come from what it is combined with)."""
        return isinstance(node, Name) and node.id not in self.shapes and not (node.id == IDENTITY and self.identity)

    def like(self, node: Name, other: Shape, other_node: Node) -> Shape:
        """A first use of `node` elementwise with something of shape `other`: it takes that rank (a vector
        beside a number or a constant, as a bias or a diagonal weight is)."""
        rank = 1 if is_constant(other_node, self.spec) else other.rank
        self.first_use[node.id] = self.at(node)
        self.shapes[node.id] = Shape(tuple(self.dims.fresh() for _ in range(rank)))
        return self.shapes[node.id]

    def pair(self, left: Node, right: Node) -> tuple[Shape, Shape]:
        """The shapes of two elementwise operands, a first-seen name taking the other's rank."""
        if self.fresh(left) and not self.fresh(right):
            right_shape = self.check(right, VALUE)
            return self.like(left, right_shape, right), right_shape  # type: ignore[arg-type]
        left_shape = self.check(left, VALUE)
        right_shape = self.like(right, left_shape, left) if self.fresh(right) else self.check(right, VALUE)  # type: ignore[arg-type]
        return left_shape, right_shape

    def call(self, node: Call) -> Shape:
        if node.func in STRUCTURAL:
            return self.structural(node)
        info = FUNCTIONS[node.func]
        if len(node.args) != info.arity:
            raise SpecError(f"{node.func}() takes {info.arity} argument{'s' if info.arity > 1 else ''}, found {len(node.args)}",
                            self.at(node), expected=f"{node.func}(" + ", ".join("xyz"[:info.arity]) + ")")
        if info.constant_second and not is_constant(node.args[1], self.spec):
            raise SpecError(f"the second argument of {node.func}() is not a constant", self.at(node.args[1]),
                            expected="a number or a name from [constants], e.g. leaky_relu(x, 0.01)")
        if info.nonzero_second and is_constant(node.args[1], self.spec) and self.constant_value(node.args[1]) == 0:
            raise SpecError(f"{node.func}() by zero", self.at(node.args[1]), expected="a non-zero divisor")
        if info.mask_first:
            self.mask_condition(node)
        shapes = list(self.pair(*node.args[-2:])) if len(node.args) >= 2 else [self.check(node.args[0], VALUE)]
        if info.mask_first:
            shapes.insert(0, self.check(node.args[0], VALUE))
        result = shapes[0]
        for index, shape in enumerate(shapes[1:], start=1):
            try:
                result = broadcast(result, shape, self.dims, self.at(node))
            except ShapeClash as reason:
                raise self.clash(node, f"{node.func}()", [("the first argument", shapes[0]), (ORDINALS[index], shape)],
                                 "arguments of the same shape, or a scalar", reason) from None
        return result

    def mask_condition(self, node: Call) -> None:
        """where()'s condition passes no gradient (the select jumps where it crosses 0): inputs only."""
        for name in names_in(node.args[0]):
            if name.id not in self.spec.inputs and name.id not in self.spec.constants:
                raise SpecError(f"the condition of {node.func}() reads '{name.id}', which is not an input", self.at(name),
                                expected=f"a mask input, e.g. {node.func}(mask, x, 0) (the select passes no gradient to its condition)")

    def constant_value(self, node: Node):
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            return self.spec.constants[node.id].value
        if isinstance(node, Neg):
            return -self.constant_value(node.operand)
        return None

    def structural(self, node: Call) -> Shape:
        arity, _ = STRUCTURAL[node.func]
        if len(node.args) != arity:
            raise SpecError(f"{node.func}() takes {arity} argument{'s' if arity > 1 else ''}, found {len(node.args)}",
                            self.at(node), expected=f"{node.func}(" + ", ".join("ab"[:arity]) + ")")
        if node.func in ("sum", "mean"):
            shape = self.check(node.args[0], VALUE)
            if shape.rank == 0:
                raise SpecError(f"{node.func}() of a scalar", self.at(node),
                                expected="a vector, matrix or feature map to reduce (the result is a per-sequence scalar)")
            return SCALAR
        if node.func == "dot":
            left, right = self.pair(node.args[0], node.args[1])
            if left.rank == 0 or right.rank == 0:
                raise SpecError("dot() of a scalar", self.at(node), expected="two vectors (or maps) of the same shape")
            try:
                if left.rank != right.rank:
                    raise ShapeClash("rank")
                broadcast(left, right, self.dims, self.at(node))
            except ShapeClash as reason:
                raise self.clash(node, "dot()", [("the first argument", left), ("the second", right)],
                                 "two quantities of the same shape", reason) from None
            return SCALAR
        if node.func in UNIT_OPERATORS + ("cumax",):
            shape = self.check(node.args[0], VALUE)
            if shape.rank != 1:
                raise SpecError(f"{node.func}() of {describe(shape, self.dims)}", self.at(node),
                                expected=f"a vector: {node.func}() runs along the units of a vector (a scalar has one unit, and "
                                         "a matrix or feature map has no single order)")
            return shape
        if node.func == "outer":
            left, right = self.check(node.args[0], VALUE), self.check(node.args[1], VALUE)
            if left.rank != 1 or right.rank != 1:
                raise self.clash(node, "outer()", [("the first argument", left), ("the second", right)], "two vectors")
            return Shape((left.dims[0], right.dims[0]))
        return self.conv(node)

    def conv(self, node: Call) -> Shape:
        kernel_node, map_node = node.args
        feature = self.check(map_node, VALUE)
        if feature.rank != 3:
            raise SpecError(f"conv() on {describe(feature, self.dims)}", self.at(map_node),
                            expected="a feature map (channels x height x width), e.g. x = [\"C\", \"H\", \"W\"]")
        if not isinstance(kernel_node, Name) or kernel_node.id not in self.spec.parameters:
            raise SpecError("the kernel of conv() is not a parameter", self.at(kernel_node),
                            expected="conv(K, x) with K declared under [parameters]")
        kernel = self.name(kernel_node, VALUE, rank=4)
        if kernel.rank != 4:
            raise self.clash(node, "conv()", [("the kernel", kernel)], "a kernel of shape out x in x k x k")
        try:
            self.dims.unify(kernel.dims[1], feature.dims[0], self.at(node))
            self.dims.unify(kernel.dims[2], kernel.dims[3], self.at(node))
        except ShapeClash as reason:
            raise self.clash(node, "conv()", [("the kernel", kernel), ("the map", feature)],
                             "a square kernel whose second dimension is the map's channels", reason) from None
        self.kernels.append((kernel_node.id, kernel))
        return Shape((kernel.dims[0], feature.dims[1], feature.dims[2]))

    def binop(self, node: BinOp, want: str) -> Shape:
        if node.op == "@":
            return self.matmul(node)
        if node.op == "**":
            return self.power(node)
        if want == MATRIX and node.op in ("*", "/"):
            return self.scaled_matrix(node)
        if want == MATRIX:
            left, right = self.check(node.left, want), self.check(node.right, want)
        else:
            left, right = self.pair(node.left, node.right)
        if 2 in (left.rank, right.rank) and 0 in (left.rank, right.rank) and want == MATRIX:
            raise self.clash(node, f"'{node.op}'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "a matrix plus a matrix (a scalar only multiplies a matrix)")
        try:
            return broadcast(left, right, self.dims, self.at(node))
        except ShapeClash as reason:
            raise self.clash(node, f"'{node.op}'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "operands of the same shape, or a scalar", reason) from None

    def power(self, node: BinOp) -> Shape:
        exponent = node.right.operand if isinstance(node.right, Neg) else node.right
        if not is_constant(exponent, self.spec):  # x ** y with y a quantity: x^y = e^(y log x), for x > 0
            left, right = self.pair(node.left, node.right)
            try:
                return broadcast(left, right, self.dims, self.at(node))
            except ShapeClash as reason:
                raise self.clash(node, "'**'", [("the base", left), ("the exponent", right)],
                                 "a base and an exponent of the same shape, or a scalar", reason) from None
        if not isinstance(exponent, Num):
            raise SpecError("the exponent of '**' is not a number", self.at(node), expected="a number, as in x ** 2, or a quantity, as in x ** y (x positive)")
        value = exponent.value
        if abs(value.numerator) > MAX_EXPONENT or value.denominator > MAX_EXPONENT:
            raise SpecError(f"the exponent {value} of '**' is out of range", self.at(node),
                            expected=f"a small exponent: a fraction p/q with |p| and q at most {MAX_EXPONENT}")
        return self.check(node.left, VALUE)

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
            return matvec(left, right, self.dims, self.at(node))
        except ShapeClash as reason:
            raise self.clash(node, "'@'", [(self.label(node.left, "left"), left), (self.label(node.right, "right"), right)],
                             "a matrix with as many columns as the vector on the right has entries", reason) from None


def infer_shapes(spec: Spec) -> dict[str, tuple[str, ...]]:
    """Shape (as size names) of every input, previous state, constant, parameter and equation."""
    shapes = ShapeChecker(spec).run()
    for param in spec.parameters.values():
        if param.shape is not None and shapes[param.name] != param.shape:
            raise SpecError(f"parameter '{param.name}' is declared with shape {list(param.shape)} but used as {list(shapes[param.name])}",
                            param.location, expected=f"shape = {list(shapes[param.name])}")
    return shapes
