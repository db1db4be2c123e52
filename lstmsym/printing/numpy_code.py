"""NumPy code for per-unit and vector-level expressions: a SymPy NumPyPrinter subclass that knows each
quantity's rank, so values of lower rank get the axes they broadcast along (a per-sequence scalar over a
vector, a per-channel weight over a feature map). Arrays are batch-major: (..., *unit shape)."""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass, field
from typing import Callable

import sympy
from sympy.printing.numpy import NumPyPrinter

from ..base.errors import CodeError
from ..model.functions import ElementwiseBase, info_of
from ..model.sizes import size_of_key
from ..model.vector_ops import ALONG_UNITS, MATRIX_VALUED
from ..spec.naming import SEPARATOR

#: Local names the generated module uses itself; a cell name equal to one of them gets a trailing '_'.
TEMPLATE_LOCALS = {
    "np", "params", "xs", "state", "cache", "dys", "dstate", "dparams", "dxs", "dstate0", "T", "B", "t", "dtype",
    "ys", "state_T", "CONSTANTS", "PARAMETERS", "STATE", "SIZES", "INPUT", "OUTPUTS", "inputs", "dinputs", "Grads",
    "torch", "jax", "jnp", "nn", "lax", "self", "ctx",
}


def pyname(key: str) -> str:
    """A Python identifier for a key: internal keys have '__' for ':' (a user name never contains '__');
    a user name that is a keyword, builtin or template local gets a trailing '_'."""
    if SEPARATOR in key:
        return key.replace(SEPARATOR, "__")
    if key.startswith("_"):
        return key
    if keyword.iskeyword(key) or key in TEMPLATE_LOCALS or hasattr(builtins, key):
        return key + "_"
    return key


def sizename(size: str) -> str:
    """The variable holding a size in generated code (kept apart from quantities: a state may be called n)."""
    return f"_size_{size}"


@dataclass
class CodeContext:
    """What the printer needs to know about the symbols: their unit rank, whether they are per-sequence,
    whether a matrix is stored in diagonal blocks, and any name written differently in this place."""

    rank: Callable[[str], int]
    batched: Callable[[str], bool]
    blocks: Callable[[str], bool] = lambda key: False
    names: dict[str, str] = field(default_factory=dict)
    summed: bool = False


def expr_rank(expr: sympy.Expr, ctx: CodeContext) -> int:
    """The unit rank of an expression's value (0 scalar, 1 vector, ...)."""
    name = type(expr).__name__
    if expr.is_Symbol:
        return 0 if size_of_key(expr.name) is not None else ctx.rank(expr.name)
    if expr.is_Number:
        return 0
    fixed = {"SumUnits": 0, "MatVec": 1, "MatTVec": 1, "Outer": 2, "BlockOuter": 2, "ConvT": 3, "Conv": 3, "ConvW": 4}
    fixed.update({kind.__name__: 1 for kind in ALONG_UNITS})
    if name in fixed:
        return fixed[name]
    if name == "SumTrailing":
        return expr_rank(expr.args[0], ctx) - int(expr.args[1])
    return max((expr_rank(a, ctx) for a in expr.args), default=0)


class CellNumPyPrinter(NumPyPrinter):
    """Prints expressions over batch-major arrays; matrices of parameters are (rows, cols)."""

    def _print(self, expr, **kwargs):
        """The notation's functions print through _print_ElementwiseBase, whatever SymPy's printer knows of
        functions with the same class name (Abs, Mod, Sqrt...)."""
        if isinstance(expr, ElementwiseBase):
            return self._print_ElementwiseBase(expr, **kwargs)
        return super()._print(expr, **kwargs)

    _default_settings = dict(NumPyPrinter._default_settings, context=None, fully_qualified_modules=False)
    target = 0

    @property
    def ctx(self) -> CodeContext:
        return self._settings["context"]

    def doprint(self, expr, assign_to=None):
        self.target = expr_rank(expr, self.ctx)
        return super().doprint(expr, assign_to)

    def at_rank(self, expr: sympy.Expr, rank: int) -> str:
        """Print a sub-expression whose elementwise parts broadcast to `rank`."""
        saved, self.target = self.target, rank
        try:
            return self._print(expr)
        finally:
            self.target = saved

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        key = expr.name
        size = size_of_key(key)
        if size is not None:
            return sizename(size)
        code = self.ctx.names.get(key, pyname(key))
        missing = self.target - self.ctx.rank(key)
        if missing > 0 and (self.ctx.batched(key) or self.ctx.rank(key) > 0):
            code = f"{code}[..., {', '.join(['None'] * missing)}]"
        return code

    def _print_NumberSymbol(self, expr: sympy.Expr) -> str:
        """π, e and SymPy's other named constants as float64 literals, which every backend reads (the printer's
        bare `pi` was a NameError in the generated module)."""
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_GoldenRatio = _print_Catalan = _print_NumberSymbol

    def _print_not_real(self, expr: sympy.Expr) -> str:
        raise CodeError(f"the generated code cannot hold {expr} (in a derived formula); expected real, finite values")

    _print_ImaginaryUnit = _print_NaN = _print_ComplexInfinity = _print_not_real

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        return f"{info_of(expr).helper}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, sympy.printing.precedence.precedence(expr), strict=True)
        if expr.exp == -1:
            return f"(1/{base})"
        if expr.exp.is_Integer and expr.exp < 0:
            return f"(1/{base}**{-expr.exp})"
        if expr.exp == sympy.Rational(1, 2):
            return f"_sqrt({self._print(expr.base)})"
        exponent = self._print(expr.exp)
        return f"{base}**{exponent if expr.exp.is_Atom and not expr.exp.is_negative else f'({exponent})'}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"({expr.p}/{expr.q})" if expr.q != 1 else str(expr.p)

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(expr.p)

    # -- vector operations ------------------------------------------------------------------
    def _plain_matrix(self, matrix: sympy.Expr) -> bool:
        return matrix.is_Symbol and not self.ctx.batched(matrix.name) and not self.ctx.blocks(matrix.name)

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        matrix, vector = expr.args
        v = self.at_rank(vector, 1)
        if self._plain_matrix(matrix):
            return f"(({v}) @ {self.at_rank(matrix, 2)})"
        if matrix.is_Symbol and self.ctx.blocks(matrix.name):
            return f"_block_matvec_t({self.at_rank(matrix, 2)}, {v})"
        return f"_einsum('...rc,...r->...c', {self.at_rank(matrix, 2)}, {v})"

    def _print_MatVec(self, expr: sympy.Expr) -> str:
        matrix, vector = expr.args
        v = self.at_rank(vector, 1)
        if self._plain_matrix(matrix):
            return f"(({v}) @ {self.at_rank(matrix, 2)}.T)"
        if matrix.is_Symbol and self.ctx.blocks(matrix.name):
            return f"_block_matvec({self.at_rank(matrix, 2)}, {v})"
        return f"_einsum('...rc,...c->...r', {self.at_rank(matrix, 2)}, {v})"

    def _print_Outer(self, expr: sympy.Expr) -> str:
        left, right = (self.at_rank(a, 1) for a in expr.args)
        if self.ctx.summed:
            return f"_outer_sum({left}, {right})"
        return f"(({left})[..., :, None] * ({right})[..., None, :])"

    def _print_BlockOuter(self, expr: sympy.Expr) -> str:
        left, right = (self.at_rank(a, 1) for a in expr.args[:2])
        return f"_block_outer_sum({left}, {right}, {self.at_rank(expr.args[2], 2)})"

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        inner = expr.args[0]
        rank = expr_rank(inner, self.ctx)
        code = self.at_rank(inner, rank)
        if rank == 0:
            return code
        axes = ", ".join(str(-k) for k in range(1, rank + 1))
        spread = f"[..., {', '.join(['None'] * self.target)}]" if self.target > 0 else ""  # inside a vector expression
        return f"_sum({code}, ({axes},)){spread}"

    def _print_along(self, expr: sympy.Expr) -> str:
        """cumsum, cummax, softmax and their adjoints: a helper of the generated module, along the last axis."""
        return f"_{expr.along}({', '.join(self.at_rank(a, 1) for a in expr.args)})"

    _print_AlongBase = _print_along  # every operator of the table model.along

    def _print_SumTrailing(self, expr: sympy.Expr) -> str:
        inner, k = expr.args
        rank = expr_rank(inner, self.ctx)
        axes = ", ".join(str(-j) for j in range(1, int(k) + 1))
        return f"_sum({self.at_rank(inner, rank)}, ({axes},))"

    def _print_Transposed(self, expr: sympy.Expr) -> str:
        return f"_swapaxes({self.at_rank(expr.args[0], 2)}, -1, -2)"

    def _print_Conv(self, expr: sympy.Expr) -> str:
        return f"_conv2d({self.at_rank(expr.args[1], 3)}, {self.at_rank(expr.args[0], 4)})"

    def _print_ConvT(self, expr: sympy.Expr) -> str:
        return f"_conv2d_transpose({self.at_rank(expr.args[1], 3)}, {self.at_rank(expr.args[0], 4)})"

    def _print_ConvW(self, expr: sympy.Expr) -> str:
        return f"_conv2d_weight({self.at_rank(expr.args[0], 3)}, {self.at_rank(expr.args[1], 3)}, {self.at_rank(expr.args[2], 4)})"


def pycode(expr: sympy.Expr, ctx: CodeContext) -> str:
    """NumPy source for an expression."""
    return CellNumPyPrinter({"context": ctx}).doprint(expr)


def is_matrix_valued(expr: sympy.Expr) -> bool:
    """A term already summed to a parameter's shape by its helper (outer products, kernel gradients)."""
    return any(expr.has(op) for op in MATRIX_VALUED)
