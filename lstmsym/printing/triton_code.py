"""Triton code for per-unit expressions inside a fused kernel: a SymPy PythonCodePrinter subclass whose symbols
are tiles (a batch tile by a unit tile, a batch tile by 1 for per-sequence scalars, 1 by a unit tile for parameter
vectors), whose functions are the function table's Triton sources (helpers named _tl_<name>), and whose
transposed products M^T a are tl.dot calls on a matrix tile the kernel loaded once. Anything else is refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy
from sympy.printing.pycode import PythonCodePrinter

from ..base.errors import LstmsymError
from ..model.functions import ElementwiseBase, info_of
from ..model.sizes import size_of_key


class TritonPrintError(LstmsymError):
    """An expression the Triton printer has no form for (a convolution, an outer product in a step...)."""


def tile_name(key: str) -> str:
    """The kernel variable holding a quantity, an adjoint or a parameter (prefixed: never a kernel's own name)."""
    return "v_" + key.replace(":", "__")


@dataclass
class TritonContext:
    """What the printer needs: how a symbol is written (default tile_name), the unit size of a vector
    expression, the matrix tile of a matrix name for M^T a, and the constants' values."""

    unit_size: Callable[[sympy.Expr], str | None]
    matrix_tile: Callable[[str], str]
    constants: dict[str, float] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    precision: str = "PRECISION"


class TritonPrinter(PythonCodePrinter):
    """Prints one per-unit expression as Triton source."""

    _default_settings = dict(PythonCodePrinter._default_settings, context=None, strict=True)

    @property
    def ctx(self) -> TritonContext:
        return self._settings["context"]

    def _print(self, expr, **kwargs):
        if isinstance(expr, ElementwiseBase):
            info = info_of(expr)
            return f"_tl_{info.name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        key = expr.name
        size = size_of_key(key)
        if size is not None:
            return f"size_{size}"
        if key in self.ctx.constants:
            return repr(self.ctx.constants[key])
        return self.ctx.names.get(key, tile_name(key))

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return f"{float(expr.p)!r}"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"{float(expr)!r}"

    def _print_Float(self, expr: sympy.Float) -> str:
        return f"{float(expr)!r}"

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, sympy.printing.precedence.PRECEDENCE["Atom"], strict=True)
        exp = expr.exp
        if exp.is_Integer and 0 < abs(int(exp)) <= 4:
            product = " * ".join([base] * abs(int(exp)))
            return f"({product})" if exp > 0 else f"(1.0 / ({product}))"
        if exp == sympy.Rational(1, 2):
            return f"tl.sqrt({self._print(expr.base)})"
        if exp == -sympy.Rational(1, 2):
            return f"(1.0 / tl.sqrt({self._print(expr.base)}))"
        # A general power of a positive base, from exp and log (Triton has no pow in triton.language).
        return f"tl.exp({self._print(exp)} * tl.log({self._print(expr.base)}))"

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        matrix, vector = expr.args
        if not matrix.is_Symbol:
            raise TritonPrintError(f"a transposed product by a matrix expression the kernel has no tile for: {matrix}")
        size = self.ctx.unit_size(vector)
        code = self._print(vector)
        return f"tl.dot(tl.where(mask_{size}, {code}, 0.0), {self.ctx.matrix_tile(matrix.name)}, input_precision={self.ctx.precision})"

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        inner = expr.args[0]
        size = self.ctx.unit_size(inner)
        if size is None:
            return self._print(inner)
        return f"tl.expand_dims(tl.sum(tl.where(mask_{size}, {self._print(inner)}, 0.0), axis=1), 1)"

    def _print_Function(self, expr: sympy.Expr) -> str:
        raise TritonPrintError(f"the fused kernel has no Triton form for {type(expr).__name__}(...) (in {expr})")

    def _print_Piecewise(self, expr: sympy.Expr) -> str:
        raise TritonPrintError(f"the fused kernel has no Triton form for a piecewise expression ({expr})")


def triton_code(expr: sympy.Expr, ctx: TritonContext) -> str:
    """Triton source for one per-unit expression."""
    return TritonPrinter({"context": ctx}).doprint(expr)


__all__ = ["TritonContext", "TritonPrintError", "TritonPrinter", "tile_name", "triton_code"]
