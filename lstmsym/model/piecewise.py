"""The notation's piecewise functions (clipped, with a kink, or of two arguments), as SymPy functions with their
derivatives, beside the smooth ones of function_classes.py: hard sigmoid and tanh, ELU, leaky ReLU, mod, max, min."""

from __future__ import annotations

import mpmath
import sympy
from sympy import Rational, S

from .function_classes import ElementwiseBase, Exp, Floor, Step


class HardSigmoid(ElementwiseBase):
    """clip(x/6 + 1/2, 0, 1), as PyTorch's Hardsigmoid and Keras 3's hard_sigmoid."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        x = self.args[0]
        return Rational(1, 6) * Step(x + 3) * Step(3 - x)

    @classmethod
    def numeric(cls, x):
        return min(max(x / 6 + mpmath.mpf(1) / 2, mpmath.mpf(0)), mpmath.mpf(1))

    @classmethod
    def standard(cls, x):
        return sympy.Min(sympy.Max(x / 6 + Rational(1, 2), 0), 1)


class HardTanh(ElementwiseBase):
    """clip(x, -1, 1), as PyTorch's Hardtanh."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        x = self.args[0]
        return Step(x + 1) * Step(1 - x)

    @classmethod
    def numeric(cls, x):
        return min(max(x, mpmath.mpf(-1)), mpmath.mpf(1))

    @classmethod
    def standard(cls, x):
        return sympy.Min(sympy.Max(x, -1), 1)


class Elu(ElementwiseBase):
    """x for x > 0, exp(x) - 1 otherwise (alpha = 1, as PyTorch's default)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        x = self.args[0]
        return Step(x) + (1 - Step(x)) * Exp(x)

    @classmethod
    def numeric(cls, x):
        return x if x > 0 else mpmath.exp(x) - 1

    @classmethod
    def standard(cls, x):
        return sympy.Piecewise((x, x > 0), (sympy.exp(x) - 1, True))


class LeakyRelu(ElementwiseBase):
    """x for x > 0, a x otherwise; the slope a is a constant (the second argument)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        x, a = self.args
        if argindex == 2:
            return (1 - Step(x)) * x
        return Step(x) + a * (1 - Step(x))

    @classmethod
    def numeric(cls, x, a):
        return x if x > 0 else a * x

    @classmethod
    def standard(cls, x, a):
        return sympy.Piecewise((x, x > 0), (a * x, True))


class Mod(ElementwiseBase):
    """a mod b with the sign of b (as NumPy's and PyTorch's remainder): a - b floor(a / b)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        a, b = self.args
        return S.One if argindex == 1 else -Floor(a / b)

    @classmethod
    def numeric(cls, a, b):
        if b == 0:
            return mpmath.mpc(0, 1)
        return a - b * mpmath.floor(a / b)

    @classmethod
    def standard(cls, a, b):
        return sympy.Mod(a, b)


class Maximum(ElementwiseBase):
    """Elementwise max; the gradient goes to the larger argument (to the second at a tie)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        a, b = self.args
        return Step(a - b) if argindex == 1 else 1 - Step(a - b)

    @classmethod
    def numeric(cls, a, b):
        return max(a, b)

    @classmethod
    def standard(cls, a, b):
        return sympy.Max(a, b)


class Minimum(ElementwiseBase):
    """Elementwise min; the gradient goes to the smaller argument (to the second at a tie)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        a, b = self.args
        return Step(b - a) if argindex == 1 else 1 - Step(b - a)

    @classmethod
    def numeric(cls, a, b):
        return min(a, b)

    @classmethod
    def standard(cls, a, b):
        return sympy.Min(a, b)


