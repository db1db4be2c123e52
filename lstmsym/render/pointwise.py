"""The forward diagram's pointwise operations: one circle (or ellipse) per elementwise function, sum, product,
quotient or power, each with the semantics of exactly that one operation over its incoming edges. Constants and
parameters are written in the label (×½, +1, 1−), never drawn as inputs. Mixed into ForwardBuilder, which supplies
the diagram, `use` (an edge carrying an operand) and `is_scalar`."""

from __future__ import annotations

import sympy

from ..model.functions import ElementwiseBase, info_of
from ..printing.html import html
from .diagram import GLYPHS


class PointwiseOps:
    """Pointwise operations of the forward diagram (see the module docstring)."""

    def function(self, expr: ElementwiseBase, owner: str) -> str:
        """An elementwise function; constant arguments are written in its label (min(1, ·))."""
        info = info_of(expr)
        label, tex = info.html, info.label_latex
        if len(expr.args) > 1 and any(self.is_scalar(a) for a in expr.args):
            label += "(" + ", ".join(html(a, self.notation) if self.is_scalar(a) else "·" for a in expr.args) + ")"
            tex += r"\left(" + ", ".join(self.tex(a) if self.is_scalar(a) else r"\cdot" for a in expr.args) + r"\right)"
        op = self.diagram.add(f"op_{owner}_{self.fresh(info.name)}", "func", label, tex)
        args = [a if self.is_scalar(a) else self.use(a, op, owner) for a in expr.args]
        self.diagram.set_sem(op, type(expr)(*args, evaluate=False))
        return op

    def constant(self, expr: sympy.Expr, owner: str) -> str:
        op = self.diagram.add(f"op_{owner}_{self.fresh('const')}", "op", html(expr, self.notation), self.tex(expr))
        self.diagram.set_sem(op, expr)
        return op

    def add_op(self, expr: sympy.Expr, owner: str) -> str:
        d = self.diagram
        constants = [t for t in expr.args if self.is_scalar(t)]
        vectors = [t for t in expr.args if not self.is_scalar(t)]
        if len(vectors) == 1 and vectors[0].could_extract_minus_sign():
            label = (html(sympy.Add(*constants), self.notation) if constants else "") + "−"
            tex = (self.tex(sympy.Add(*constants)) if constants else "") + "-"
            op = d.add(f"op_{owner}_{self.fresh('minus')}", "op", label, tex)
            d.set_sem(op, sympy.Add(*constants) - self.use(-vectors[0], op, owner))
            return op
        label = "+" if not constants else "+" + html(sympy.Add(*constants), self.notation)
        tex = "+" if not constants else "+" + self.tex(sympy.Add(*constants))
        op = d.add(f"op_{owner}_{self.fresh('add')}", "op", label, tex)
        parts = [-self.use(-t, op, owner, GLYPHS["minus"][0]) if t.could_extract_minus_sign() else self.use(t, op, owner)
                 for t in vectors]
        d.set_sem(op, sympy.Add(*constants, *parts))
        return op

    def mul_op(self, expr: sympy.Expr, owner: str) -> str:
        d = self.diagram
        scalars = [f for f in expr.args if self.is_scalar(f)]
        vectors = [f for f in expr.args if not self.is_scalar(f)]
        denominators = [f.base for f in vectors if f.is_Pow and f.exp == -1]
        vectors = [f for f in vectors if not (f.is_Pow and f.exp == -1)]
        if denominators and vectors:
            op = d.add(f"op_{owner}_{self.fresh('div')}", "op", *GLYPHS["div"])
            top = self.use(sympy.Mul(*vectors, *scalars), op, owner)
            bottom = [self.use(den, op, owner, GLYPHS["div"][0]) for den in denominators]
            d.set_sem(op, top / sympy.Mul(*bottom))
            return op
        label = GLYPHS["mul"][0] + (" " + html(sympy.Mul(*scalars), self.notation) if scalars else "")
        tex = GLYPHS["mul"][1] + (" " + self.tex(sympy.Mul(*scalars)) if scalars else "")
        op = d.add(f"op_{owner}_{self.fresh('mul')}", "op" if not scalars else "func", label, tex)
        factors = [self.use(f, op, owner) for f in vectors]
        bottom = [self.use(den, op, owner, GLYPHS["div"][0]) for den in denominators]
        d.set_sem(op, sympy.Mul(*scalars, *factors) / sympy.Mul(*bottom))
        return op

    def pow_op(self, expr: sympy.Expr, owner: str) -> str:
        if not expr.exp.is_Number:
            return self.variable_pow_op(expr, owner)
        inverse = expr.exp == -1
        label = GLYPHS["inverse"][0] if inverse else f"x<SUP>{html(expr.exp, self.notation)}</SUP>"
        tex = GLYPHS["inverse"][1] if inverse else f"x^{{{self.tex(expr.exp)}}}"
        op = self.diagram.add(f"op_{owner}_{self.fresh('pow')}", "op", label, tex)
        self.diagram.set_sem(op, self.use(expr.base, op, owner) ** expr.exp)
        return op

    def variable_pow_op(self, expr: sympy.Expr, owner: str) -> str:
        """x ** y with y a quantity: the exponent arrives on an edge; a base made of parameters is in the label."""
        fixed = self.is_scalar(expr.base)
        label = f"{html(expr.base, self.notation)}<SUP>y</SUP>" if fixed else "x<SUP>y</SUP>"
        tex = f"{self.tex(expr.base)}^{{y}}" if fixed else "x^{y}"
        op = self.diagram.add(f"op_{owner}_{self.fresh('pow')}", "op", label, tex)
        base = expr.base if fixed else self.use(expr.base, op, owner)
        self.diagram.set_sem(op, base ** self.use(expr.exp, op, owner))
        return op
