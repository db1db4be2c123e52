"""Direct differentiation of an unrolled scalar loss: SymPy's derivative rules (fdiff, product, chain)
applied to the expression DAG with memoisation, so shared subexpressions are differentiated once.

sympy.diff gives the same expressions but re-walks every shared subtree at each level, which makes a
two-step LSTM take seconds per entry; this walks each distinct subexpression once per variable."""

from __future__ import annotations

import sympy


class DirectDerivative:
    """d(expr)/d(symbol) as SymPy expressions, and their values at a point, both memoised over the DAG."""

    def __init__(self, point: dict[sympy.Symbol, sympy.Float]) -> None:
        self.point = point
        self._values: dict[sympy.Expr, sympy.Expr] = {}
        self._depends: dict[tuple[sympy.Expr, sympy.Symbol], bool] = {}

    def depends(self, expr: sympy.Expr, symbol: sympy.Symbol) -> bool:
        key = (expr, symbol)
        if key not in self._depends:
            if expr.is_Symbol:
                found = expr == symbol
            else:
                found = any(self.depends(a, symbol) for a in expr.args)
            self._depends[key] = found
        return self._depends[key]

    def derivative(self, expr: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr:
        memo: dict[sympy.Expr, sympy.Expr] = {}

        def d(e: sympy.Expr) -> sympy.Expr:
            if e in memo:
                return memo[e]
            if not self.depends(e, symbol):
                result = sympy.S.Zero
            elif e.is_Symbol:
                result = sympy.S.One
            elif e.is_Add:
                result = sympy.Add(*[d(a) for a in e.args])
            elif e.is_Mul:
                result = sympy.Add(*[sympy.Mul(*(e.args[:i] + (d(a),) + e.args[i + 1:])) for i, a in enumerate(e.args)
                                     if self.depends(a, symbol)])
            elif e.is_Pow and not self.depends(e.exp, symbol):
                result = e.exp * e.base ** (e.exp - 1) * d(e.base)
            elif isinstance(e, sympy.Function):
                result = sympy.Add(*[e.fdiff(i + 1) * d(a) for i, a in enumerate(e.args) if self.depends(a, symbol)])
            else:
                result = sympy.diff(e, symbol)
            memo[e] = result
            return result

        return d(expr)

    def value(self, expr: sympy.Expr) -> sympy.Expr:
        """expr at the point (Floats at the point's precision), memoised."""
        if expr in self._values:
            return self._values[expr]
        if expr.is_Symbol:
            result = self.point[expr]
        elif expr.is_Number:
            result = expr
        else:
            result = expr.func(*[self.value(a) for a in expr.args])
        self._values[expr] = result
        return result
