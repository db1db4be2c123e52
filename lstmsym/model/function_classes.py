"""The notation's elementwise functions as SymPy classes: each carries its derivative (fdiff) beside its
definition, its exact form in SymPy's standard functions, and its value on mpmath numbers."""

from __future__ import annotations

import mpmath
import sympy
from sympy import Function, S

from ..base.errors import DomainError


class ElementwiseBase(Function):
    """Base of the notation's functions; numeric arguments (Floats) evaluate at their precision. The function
    table (functions.py) gives each class its spec name and domain."""

    spec_name = "?"
    domain = "all real numbers"

    @classmethod
    def standard(cls, *args: sympy.Expr) -> sympy.Expr:
        """The same function in SymPy's standard functions (for exact evaluation)."""
        raise NotImplementedError

    @classmethod
    def eval(cls, *args: sympy.Expr):  # noqa: D401 - SymPy hook
        if all(a.is_Float for a in args):
            prec = min(a._prec for a in args)
            with mpmath.workprec(prec):  # rounded to prec bits inside, not to mpmath's default 53 outside
                value = cls.numeric(*[mpmath.mpf(a._mpf_) for a in args])
                exact = None if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value) else mpmath.mpf(value)._mpf_
            if exact is None:
                raise DomainError(f"{cls.spec_name}({', '.join(str(sympy.N(a, 6)) for a in args)}) is outside the domain "
                                  f"of {cls.spec_name} ({cls.domain})")
            return sympy.Float._new(exact, prec)
        if all(a.is_Number for a in args):
            exact = cls.standard(*args)
            return exact if exact.is_Number else None
        return None

    @classmethod
    def numeric(cls, *args: "mpmath.mpf") -> "mpmath.mpf":
        """The function on mpmath numbers (at the working precision)."""
        return mpmath.mpf(cls.standard(*[sympy.Float(a) for a in args]).evalf(mpmath.mp.dps)._mpf_)

    def _eval_evalf(self, prec: int):
        return self.standard(*[a._eval_evalf(prec) or a for a in self.args])._eval_evalf(prec)


class Step(ElementwiseBase):
    """The unit step [x > 0]: the derivative of relu, and of max/min away from ties."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return S.Zero

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return S.One if x > 0 else S.Zero
        return None

    @classmethod
    def standard(cls, x):
        return sympy.Piecewise((1, x > 0), (0, True))


class Sign(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return S.Zero

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sympy.sign(x)
        return None

    @classmethod
    def standard(cls, x):
        return sympy.sign(x)


class Floor(ElementwiseBase):
    """floor(x): appears in the derivative of mod with respect to its divisor."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return S.Zero

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sympy.floor(x)
        return None

    @classmethod
    def standard(cls, x):
        return sympy.floor(x)


class Sigmoid(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return self * (1 - self)

    @classmethod
    def numeric(cls, x):
        return 1 / (1 + mpmath.exp(-x))

    @classmethod
    def standard(cls, x):
        return 1 / (1 + sympy.exp(-x))


class Tanh(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return 1 - self**2

    @classmethod
    def numeric(cls, x):
        return mpmath.tanh(x)

    @classmethod
    def standard(cls, x):
        return sympy.tanh(x)


class Exp(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return self

    @classmethod
    def numeric(cls, x):
        return mpmath.exp(x)

    @classmethod
    def standard(cls, x):
        return sympy.exp(x)


class Log(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return 1 / self.args[0]

    @classmethod
    def numeric(cls, x):
        return mpmath.log(x)

    @classmethod
    def standard(cls, x):
        return sympy.log(x)


class Sqrt(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return 1 / (2 * self)

    @classmethod
    def numeric(cls, x):
        return mpmath.sqrt(x) if x >= 0 else mpmath.mpc(0, 1)

    @classmethod
    def standard(cls, x):
        return sympy.sqrt(x)


class Softplus(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sigmoid(self.args[0])

    @classmethod
    def numeric(cls, x):
        return mpmath.log1p(mpmath.exp(x))

    @classmethod
    def standard(cls, x):
        return sympy.log(1 + sympy.exp(x))


class Relu(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Step(self.args[0])

    @classmethod
    def numeric(cls, x):
        return max(x, mpmath.mpf(0))

    @classmethod
    def standard(cls, x):
        return sympy.Max(x, 0)


class Abs(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Sign(self.args[0])

    @classmethod
    def numeric(cls, x):
        return abs(x)

    @classmethod
    def standard(cls, x):
        return sympy.Abs(x)


class Sin(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return Cos(self.args[0])

    @classmethod
    def numeric(cls, x):
        return mpmath.sin(x)

    @classmethod
    def standard(cls, x):
        return sympy.sin(x)


class Cos(ElementwiseBase):
    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return -Sin(self.args[0])

    @classmethod
    def numeric(cls, x):
        return mpmath.cos(x)

    @classmethod
    def standard(cls, x):
        return sympy.cos(x)


class Softsign(ElementwiseBase):
    """x / (1 + |x|)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return 1 / (1 + Abs(self.args[0])) ** 2

    @classmethod
    def numeric(cls, x):
        return x / (1 + abs(x))

    @classmethod
    def standard(cls, x):
        return x / (1 + sympy.Abs(x))
