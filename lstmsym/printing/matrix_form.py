"""The cell's expressions as SymPy matrix expressions (MatrixSymbol, MatMul, HadamardProduct, elementwise
functions), for users who want standard SymPy objects: sympy.latex, subs and lambdify work on them."""

from __future__ import annotations

import re

import sympy
from sympy.core.symbol import Str
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.hadamard import HadamardPower
from sympy.matrices.expressions.matexpr import MatrixElement

from ..model.along import ALONG
from ..model.cell import Cell
from ..model.functions import ElementwiseBase, info_of
from ..model.ir import UNIT_OPERATORS, MatrixExpr, Operator, Reduction
from ..model.sizes import size_of_key
from ..model.vector_ops import ALONG_UNITS, BlockOuter, MatTVec, MatVec, Outer, SumTrailing, SumUnits, Transposed
from ..spec.matrices import MATRIX_KINDS, table_code
from ..spec.naming import value_key
from .notation import Notation
from .text import text


class ElementwiseMap(ElementwiseApplyFunction):
    """f applied to every entry of a matrix expression, as SymPy's ElementwiseApplyFunction, with the code SymPy's
    NumPy printer lacks, so sympy.lambdify(args, expr) works on a cell's equations (it raised SyntaxError)."""

    def _numpycode(self, printer) -> str:
        variable = self.function.variables[0]
        return f"(lambda {printer._print(variable)}: {printer._print(self.function.expr)})({printer._print(self.expr)})"

    _pythoncode = _numpycode


class ElementwiseCall(sympy.MatrixExpr):
    """f applied entry by entry to several matrices of one shape (max(a, b), mod(t - s, tau)): SymPy's
    ElementwiseApplyFunction takes one. Printed as f(A, B) in LaTeX and as a lambda call for lambdify."""

    def __new__(cls, function: sympy.Lambda, *matrices):
        return sympy.Basic.__new__(cls, function, *matrices)

    @property
    def shape(self):
        return next(a.shape for a in self.args[1:] if isinstance(a, sympy.MatrixExpr))

    def _latex(self, printer) -> str:
        name = self.args[0].expr.func.__name__.lower()
        return rf"\operatorname{{{name}}}\left({', '.join(printer._print(a) for a in self.args[1:])}\right)"

    def _numpycode(self, printer) -> str:
        function = self.args[0]
        variables = ", ".join(printer._print(v) for v in function.variables)
        operands = ", ".join(printer._print(a) for a in self.args[1:])
        return f"(lambda {variables}: {printer._print(function.expr)})({operands})"

    _pythoncode = _numpycode


class Power(HadamardPower):
    """A ** b entry by entry, with the code SymPy's NumPy printer lacks."""

    def _numpycode(self, printer) -> str:
        return f"{printer._module_format(printer._module + '.power')}({printer._print(self.args[0])}, {printer._print(self.args[1])})"


def _integer(value):
    """A dimension as SymPy holds it (xreplace puts plain ints in a rebuilt expression's arguments)."""
    return sympy.Integer(value) if isinstance(value, int) else value


class _Computed(sympy.MatrixExpr):
    """A matrix expression lstmsym computes with its own NumPy code (_numpycode), for lambdify, also as plain
    Python code; an entry of it is a MatrixElement (a sum over all entries indexes it)."""

    def _pythoncode(self, printer) -> str:
        return self._numpycode(printer)

    def _entry(self, i, j, **kwargs):
        return MatrixElement(self, i, j)


class AlongUnits(_Computed):
    """cumsum, cummax or softmax along the units of a column vector (the rows), and their adjoints revcumsum(g) and
    cummaxgrad(g, v): a matrix expression of the first operand's shape, printed as name(v) in LaTeX and with NumPy's
    running sum, running maximum and a stable softmax for lambdify (an undefined function of that name raised
    NameError, and an adjoint inside a product raised NotImplementedError)."""

    def __new__(cls, name: str | Str, *matrices):
        return sympy.Basic.__new__(cls, name if isinstance(name, Str) else Str(name), *matrices)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer) -> str:
        return rf"\operatorname{{{self.args[0].name}}}\left({', '.join(printer._print(a) for a in self.args[1:])}\right)"

    def _sympystr(self, printer) -> str:
        return f"{self.args[0].name}({', '.join(printer._print(a) for a in self.args[1:])})"

    def _numpycode(self, printer) -> str:
        numpy = printer._module_format(printer._module)
        return ALONG[self.args[0].name].code["matrix"].format(np=numpy, **{f"a{k}": printer._print(a) for k, a in enumerate(self.args[1:])})


class BlockDiagonalPart(_Computed):
    """The k diagonal blocks of a matrix, zero elsewhere: the gradient of a block-diagonal parameter (heads) as the
    dense matrix it stands for (args: matrix, k)."""

    def __new__(cls, matrix, blocks):
        return sympy.Basic.__new__(cls, matrix, _integer(blocks))

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer) -> str:
        return rf"\operatorname{{bdiag}}_{{{printer._print(self.args[1])}}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"bdiag({printer._print(self.args[0])}, {printer._print(self.args[1])})"

    def _numpycode(self, printer) -> str:
        np_ = printer._module_format(printer._module)
        return (f"(lambda M, k: M * {np_}.kron({np_}.eye(k), {np_}.ones((M.shape[0] // k, M.shape[1] // k))))"
                f"({printer._print(self.args[0])}, {printer._print(self.args[1])})")


class IdentityOf(sympy.Identity):
    """The identity matrix of a symbolic size, with the code SymPy's NumPy printer lacks (numpy.eye(n))."""

    def _numpycode(self, printer) -> str:
        return f"{printer._module_format(printer._module + '.eye')}({printer._print(self.args[0])})"


class ConstantMatrix(_Computed):
    """A spec's constant matrix (spec.matrices): printed by its name, computed for lambdify by the kind's NumPy code
    (so a lambdified equation needs no value for it)."""

    def __new__(cls, name: str | Str, kind: str | Str, rows: sympy.Expr, cols: sympy.Expr, table: str | Str = ""):
        as_str = lambda s: s if isinstance(s, Str) else Str(s)  # noqa: E731 (doit rebuilds from the Str args)
        return sympy.Basic.__new__(cls, as_str(name), as_str(kind), _integer(rows), _integer(cols), as_str(table))

    @property
    def shape(self):
        return self.args[2], self.args[3]

    def _latex(self, printer) -> str:
        return printer._print(sympy.Symbol(self.args[0].name))

    def _sympystr(self, printer) -> str:
        return self.args[0].name

    def _numpycode(self, printer) -> str:
        code = re.sub(r"np\.(\w+)", lambda m: printer._module_format(f"{printer._module}.{m.group(1)}"),
                      MATRIX_KINDS[self.args[1].name].code["numpy"])
        values = {"r": printer._print(self.args[2]), "c": printer._print(self.args[3]), "dtype": "float",
                  "rows": self.args[4].name}
        return re.sub(r"\b(r|c|dtype|rows)\b(?!\s*=)", lambda m: f"({values[m.group(1)]})", code)


class MatrixForm:
    """Converts one cell's per-unit expressions (keys as symbols) to matrix expressions (names as symbols)."""

    def __init__(self, cell: Cell, notation: Notation) -> None:
        self.cell, self.notation = cell, notation
        spec = cell.spec
        quantities = set(spec.inputs) | set(spec.parameters) | set(spec.constants) | {e.name for e in spec.equations}
        quantities |= set(spec.states) | {s.previous for s in spec.states.values()}
        #: A size with the name of a quantity (xLSTM's size n and normaliser n) is written n_size here, so that
        #: the two are different symbols for lambdify.
        self.size_names = {s: f"{s}_size" if s in quantities else s for s in cell.spec.sizes}
        self.feature_maps = any(len(shape) >= 3 for shape in cell.shapes.values())
        #: Identifiers given to the adjoints of expressions (name()), by key.
        self.identifiers: dict[str, str] = {}

    def size(self, name: str) -> sympy.Symbol:
        return sympy.Symbol(self.size_names.get(name, name), positive=True, integer=True)

    def name(self, key: str) -> str:
        """A quantity's symbol name: as `grad` prints it, and for the adjoint of an expression, which `grad` prints
        d(r * h_prev), an identifier spelled from that text (d_r_h_prev), so that lambdify takes it; never one of
        the spec's names or another's (it was the internal d_arg_h_tilde_1)."""
        shown = self.notation.text_name(key)
        if shown is not None:
            return shown
        if key not in self.identifiers:
            words = re.sub(r"\W+", "_", text(sympy.Symbol(key), self.notation)).strip("_") or "q"
            taken = set(self.identifiers.values()) | set(self.notation.text_names.values()) | self.notation.user_names
            name, index = words, 1
            while name in taken:
                name, index = f"{words}_{index}", index + 1
            self.identifiers[key] = name
        return self.identifiers[key]

    def dims(self, key: str) -> tuple:
        """A vector's or matrix's dimensions; None for scalars, and for every quantity of a cell with feature maps
        (a tensor has no SymPy matrix form: such a cell's equations are written with plain symbols and conv(K, x))."""
        if self.feature_maps:
            return None
        shape = self.cell.shapes.get(key, ())
        sizes = [self.size(s) for s in shape]
        if len(sizes) == 1:
            return sizes[0], 1
        if len(sizes) == 2:
            return sizes[0], sizes[1]
        return None

    def symbol(self, key: str):
        size = size_of_key(key)
        if size is not None:
            return self.size(size)
        base = value_key(key)
        node = self.cell.node(key) if self.cell.has_node(key) else None
        if isinstance(node, Operator) and node.op == "matvec":
            return sympy.MatMul(self.symbol(node.args[0]), self.symbol(node.args[1]))
        if isinstance(node, Operator) and node.op == "tmatvec":
            return sympy.MatMul(self.symbol(node.args[0]).T, self.symbol(node.args[1]))
        if isinstance(node, Operator) and node.op == "conv":
            return sympy.Function("conv")(*[self.symbol(a) for a in node.args])
        if isinstance(node, Operator) and node.op in UNIT_OPERATORS:
            return AlongUnits(node.op, self.symbol(node.args[0]))
        if isinstance(node, Operator) and len(node.args) == 1:
            return sympy.Function(node.op)(self.symbol(node.args[0]))
        if isinstance(node, Operator) and node.op == "outer":
            return sympy.MatMul(self.symbol(node.args[0]), self.symbol(node.args[1]).T)
        if isinstance(node, Reduction) or (node is not None and key.startswith("red:")):
            return self.convert(self.cell.display[key])
        if isinstance(node, MatrixExpr) and len(node.terms) == 1 and node.terms[0].coef == 1:
            term = node.terms[0]
            return self.symbol(term.source).T if term.transposed else self.symbol(term.source)
        if isinstance(node, MatrixExpr):
            return sympy.MatAdd(*[t.coef * (self.symbol(t.source).T if t.transposed else self.symbol(t.source)) for t in node.terms])
        if node is not None and node.origin == "argument":
            return self.convert(self.cell.display[key])
        dims = self.dims(base)
        if key == "I" and not self.cell.has_node("I") and not self.cell.is_parameter("I"):
            return IdentityOf(self.size("n"))
        if key in self.cell.spec.matrices:
            decl = self.cell.spec.matrices[key]
            return ConstantMatrix(self.name(key), decl.kind, *(self.size(s) for s in decl.shape), table_code(decl.table))
        return sympy.MatrixSymbol(self.name(key), *dims) if dims else sympy.Symbol(self.name(key))

    def convert(self, expr: sympy.Expr):
        """A per-unit expression as a matrix expression."""
        if expr.is_Symbol:
            return self.symbol(expr.name)
        if expr.is_Number:
            return expr
        if isinstance(expr, ElementwiseBase):
            return self.elementwise(expr)
        if isinstance(expr, MatTVec):
            return sympy.MatMul(self.convert(expr.args[0]).T, self.convert(expr.args[1]))
        if isinstance(expr, MatVec):
            return sympy.MatMul(self.convert(expr.args[0]), self.convert(expr.args[1]))
        if isinstance(expr, Outer):
            return sympy.MatMul(self.convert(expr.args[0]), self.convert(expr.args[1]).T)
        if isinstance(expr, BlockOuter) and not self.feature_maps:
            full = sympy.MatMul(self.convert(expr.args[0]), self.convert(expr.args[1]).T)
            return BlockDiagonalPart(full, self.size(self.cell.parameter(expr.args[2].name).blocks))
        if isinstance(expr, Transposed):
            return self.convert(expr.args[0]).T
        if isinstance(expr, ALONG_UNITS) and not self.feature_maps:
            return AlongUnits(expr.along, *[self.convert(a) for a in expr.args])
        if isinstance(expr, SumTrailing):  # row sums of a matrix a vector was spread along: M 1
            inner = self.convert(expr.args[0])
            return sympy.MatMul(inner, sympy.OneMatrix(inner.shape[1], 1)) if isinstance(inner, sympy.MatrixExpr) else inner
        if isinstance(expr, SumUnits):
            inner = self.convert(expr.args[0])
            if isinstance(inner, sympy.MatrixExpr):  # every entry: both sides' ones for a matrix (a column sum was 0.0999 for 0.438)
                rows, cols = inner.shape
                total = sympy.OneMatrix(1, rows) * inner
                return (total * sympy.OneMatrix(cols, 1) if cols != 1 else total)[0, 0]
            return inner
        args = [self.convert(a) for a in expr.args]
        if isinstance(expr, sympy.Function) and expr.func.__name__ in ("sum", "mean", "dot"):
            return self.reduction(expr.func.__name__, args)
        if expr.is_Add:
            return sympy.Add(*args) if not any(isinstance(a, sympy.MatrixExpr) for a in args) else self.matrix_sum(args)
        if expr.is_Mul:
            matrices = [a for a in args if isinstance(a, sympy.MatrixExpr)]
            scalars = [a for a in args if not isinstance(a, sympy.MatrixExpr)]
            return sympy.Mul(*scalars) * self.hadamard(matrices) if matrices else sympy.Mul(*scalars)
        if expr.is_Pow and isinstance(args[0], sympy.MatrixExpr):
            return Power(args[0], args[1])
        return expr.func(*args)

    def elementwise(self, expr: ElementwiseBase):
        """A function of the notation applied to scalars (SymPy's standard form), to one matrix (ElementwiseMap) or
        to several (ElementwiseCall)."""
        args = [self.convert(a) for a in expr.args]
        standard = (lambda x: 1 / (1 + sympy.exp(-x))) if info_of(expr).name == "sigmoid" else type(expr).standard
        matrices = [k for k, a in enumerate(args) if isinstance(a, sympy.MatrixExpr)]
        if not matrices:
            return standard(*args)
        variables = [sympy.Dummy(f"x{k}") for k in matrices]
        inner = list(args)
        for k, v in zip(matrices, variables):
            inner[k] = v
        function = sympy.Lambda(tuple(variables), standard(*inner))
        if len(matrices) == 1:
            return ElementwiseMap(function, args[matrices[0]])
        return ElementwiseCall(function, *[args[k] for k in matrices])

    @staticmethod
    def reduction(name: str, args: list):
        """sum(a) = 1ᵀa, mean(a) = 1ᵀa / n, dot(a, b) = aᵀb, as scalars."""
        first = args[0]
        if not isinstance(first, sympy.MatrixExpr):
            return first * args[1] if name == "dot" else first
        if name == "dot":
            return (first.T * args[1])[0, 0]
        total = (sympy.OneMatrix(1, first.shape[0]) * first * sympy.OneMatrix(first.shape[1], 1))[0, 0]
        return total / (first.shape[0] * first.shape[1]) if name == "mean" else total

    @staticmethod
    def hadamard(matrices: list):
        """The entrywise product; a column vector with matrices of its height is spread along their rows, diag(v) M."""
        columns = [m for m in matrices if m.shape[1] == 1]
        wide = [m for m in matrices if m.shape[1] != 1]
        product = lambda ms: sympy.HadamardProduct(*ms) if len(ms) > 1 else ms[0]  # noqa: E731
        if not wide or not columns:
            return product(matrices)
        return sympy.MatMul(DiagMatrix(product(columns)), product(wide))

    def matrix_sum(self, args):
        shape = max((a.shape for a in args if isinstance(a, sympy.MatrixExpr)), key=lambda s: s[1] != 1)
        return sympy.MatAdd(*[self.spread(a, shape) for a in args])

    @staticmethod
    def spread(term, shape):
        """A term of a matrix sum at the sum's shape: a scalar times ones, a column vector repeated along the rows."""
        if not isinstance(term, sympy.MatrixExpr):
            return term * sympy.OneMatrix(*shape)
        if term.shape[1] == 1 and shape[1] != 1:
            return sympy.MatMul(term, sympy.OneMatrix(1, shape[1]))
        return term
