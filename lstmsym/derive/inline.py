"""Cells inlined for comparison: each state's update written down to inputs, previous states, parameters and
constants, with the identities the equivalence search relies on applied (1 - σ(u) = σ(-u), matrix products
spread over sums, (Wᵀ)ᵀ = W)."""

from __future__ import annotations

import functools

from dataclasses import dataclass, field

import sympy

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import Elementwise, MatrixExpr, Operator, Reduction
from ..model.vector_ops import Conv, MatTVec, MatVec, Outer, SumUnits, Transposed, operator_form

@dataclass
class Side:
    """One cell's state updates and outputs, inlined down to inputs, previous states, parameters, constants."""

    cell: object
    prefix: str
    rename: dict[str, str]
    exprs: dict[str, sympy.Expr] = field(default_factory=dict)

    def leaf(self, key: str) -> sympy.Expr:
        cell = self.cell
        if cell.is_parameter(key):
            return sympy.Symbol(self.prefix + key)
        if key in cell.constants:
            return sympy.Float(cell.constants[key], 30) if not float(cell.constants[key]).is_integer() else sympy.Integer(int(cell.constants[key]))
        return sympy.Symbol(self.rename.get(key, key))

    def value(self, key: str, memo: dict[str, sympy.Expr]) -> sympy.Expr:
        if key in memo:
            return memo[key]
        cell = self.cell
        if not cell.has_node(key):
            return self.leaf(key)
        node = cell.node(key)
        if isinstance(node, Elementwise):
            out = node.expr.xreplace({s: self.value(s.name, memo) for s in node.expr.free_symbols if not s.name.startswith("size:")})
        elif isinstance(node, Reduction):
            inner = node.expr.xreplace({s: self.value(s.name, memo) for s in node.expr.free_symbols if not s.name.startswith("size:")})
            out = SumUnits(inner)
            if node.mean:
                out = out / sympy.Mul(*[sympy.Symbol(f"size:{s}") for s in node.over])
        elif isinstance(node, Operator) and len(node.args) == 1:
            out = operator_form(node.op, self.value(node.args[0], memo))
        elif isinstance(node, Operator):
            first, second = node.args
            vector = self.value(second, memo)
            if node.op == "matvec":
                out = self.matvec(first, vector, memo)
            elif node.op == "tmatvec":
                out = MatTVec(self.value(first, memo), vector)
            elif node.op == "outer":
                out = Outer(self.value(first, memo), vector)
            else:
                out = Conv(self.leaf(first), vector)
        elif isinstance(node, MatrixExpr):
            out = sympy.Symbol(key)
        else:
            out = self.leaf(key)
        memo[key] = out
        return out

    def matvec(self, matrix: str, vector: sympy.Expr, memo) -> sympy.Expr:
        cell = self.cell
        if cell.has_node(matrix) and isinstance(cell.node(matrix), MatrixExpr):
            terms = []
            for term in cell.node(matrix).terms:
                coef = term.coef.xreplace({sympy.Symbol(k): self.leaf(k) for k in cell.constants})
                if term.source == "I" and not cell.is_parameter("I"):
                    terms.append(coef * vector)
                    continue
                source = self.leaf(term.source)
                terms.append(coef * MatVec(Transposed(source) if term.transposed else source, vector))
            return sympy.Add(*terms)
        if cell.has_node(matrix):
            return MatVec(self.value(matrix, memo), vector)
        return MatVec(self.leaf(matrix), vector)


def inline(cell, prefix: str, rename: dict[str, str]) -> Side:
    side = Side(cell, prefix, rename)
    memo: dict[str, sympy.Expr] = {}
    for state in cell.states:
        side.exprs[state.name] = normalize(side.value(state.name, memo))
    for output in cell.outputs:
        if output not in side.exprs:
            side.exprs[output] = normalize(side.value(output, memo))
    return side


# -- normal forms ---------------------------------------------------------------------------------------
def _is_sigmoid(expr: sympy.Expr) -> bool:
    return isinstance(expr, ElementwiseBase) and info_of(expr).name == "sigmoid"


@functools.lru_cache(maxsize=None)
def normalize(expr: sympy.Expr) -> sympy.Expr:
    """1 - σ(u) written σ(-u) everywhere, and matrix products spread over sums with their signs pulled out.
    Cached: an inlined cell shares subexpressions (a layer norm reads its mean and variance many times, as hgrn's
    does), and a walk without a memo visits each shared subtree once per path to it, exponentially often."""
    if not expr.args or expr.is_Atom:
        return expr
    args = [normalize(a) for a in expr.args]
    if isinstance(expr, Transposed) and isinstance(args[0], Transposed):
        return args[0].args[0]
    if isinstance(expr, MatVec):
        matrix, vector = args
        out = []
        for term in sympy.Add.make_args(sympy.expand(vector) if vector.is_Add else vector):
            coeff, rest = term.as_coeff_Mul()
            for mterm in sympy.Add.make_args(matrix):
                mcoeff, mrest = mterm.as_coeff_Mul()
                out.append(coeff * mcoeff * MatVec(mrest, rest))
        return sympy.Add(*out)
    if expr.is_Add:
        args = list(args)
        if sympy.S.One in args:
            for index, term in enumerate(args):
                coeff, rest = term.as_coeff_Mul()
                if coeff == -1 and _is_sigmoid(rest):
                    args[index] = type(rest)(normalize(-rest.args[0]))
                    args.remove(sympy.S.One)
                    break
        return sympy.Add(*args)
    if _is_sigmoid(expr):
        return type(expr)(sympy.expand(args[0]) if args[0].is_Add else args[0])
    return expr.func(*args)


def expand_all(expr: sympy.Expr) -> sympy.Expr:
    """A form in which equal expressions compare equal: σ(-u) = 1 - σ(u) with u's sign fixed, products and
    matrix products expanded over sums."""
    expr = normalize(expr)

    def positive(e):
        if _is_sigmoid(e):
            inner = sympy.expand(expand_all(e.args[0]))
            if inner.could_extract_minus_sign():
                return 1 - type(e)(-inner)
            return type(e)(inner)
        if isinstance(e, ElementwiseBase):
            return type(e)(*[sympy.expand(expand_all(a)) for a in e.args])
        if isinstance(e, (SumUnits, Outer, Conv)):
            return type(e)(*[sympy.expand(expand_all(a)) for a in e.args])
        return None

    # the query is a type test: it called positive() too, which expands every argument again, so the work doubled
    # at each level of nesting (xlstm_mlstm's equivalence took 13 s)
    expr = expr.replace(lambda e: _is_sigmoid(e) or isinstance(e, (ElementwiseBase, SumUnits, Outer, Conv)), positive)
    return sympy.expand(normalize(expr))
