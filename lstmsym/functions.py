"""The notation's elementwise functions: SymPy classes with their derivatives, and one table describing them."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Function, Rational, S


class ElementwiseBase(Function):
    """Base of the notation's functions; numeric arguments (Floats) evaluate at their precision."""

    @classmethod
    def standard(cls, *args: sympy.Expr) -> sympy.Expr:
        """The same function in SymPy's standard functions, for numeric evaluation."""
        raise NotImplementedError

    @classmethod
    def eval(cls, *args: sympy.Expr):  # noqa: D401 - SymPy hook
        if all(a.is_Float for a in args):
            prec = min(a._prec for a in args)
            with mpmath.workprec(prec):
                value = cls.numeric(*[mpmath.mpf(a._mpf_) for a in args])
            return sympy.Float._new(mpmath.mpf(value)._mpf_, prec)
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


def prec_to_dps(prec: int) -> int:
    """SymPy binary precision to decimal digits."""
    return max(15, mpmath.libmp.prec_to_dps(prec))


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
        return mpmath.sqrt(x)

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


@dataclass(frozen=True)
class FunctionInfo:
    """How one function of the notation is built, printed and computed."""

    name: str
    cls: type | None
    arity: int
    latex: str
    numpy: str
    summary: str


FUNCTIONS: dict[str, FunctionInfo] = {
    info.name: info
    for info in (
        FunctionInfo("sigmoid", Sigmoid, 1, r"\sigma", "_sigmoid", "logistic sigmoid 1/(1+e^-x)"),
        FunctionInfo("tanh", Tanh, 1, r"\tanh", "np.tanh", "hyperbolic tangent"),
        FunctionInfo("relu", Relu, 1, r"\operatorname{relu}", "_relu", "max(x, 0)"),
        FunctionInfo("exp", Exp, 1, r"\exp", "np.exp", "exponential"),
        FunctionInfo("log", Log, 1, r"\log", "np.log", "natural logarithm"),
        FunctionInfo("sqrt", Sqrt, 1, r"\sqrt", "np.sqrt", "square root"),
        FunctionInfo("softplus", Softplus, 1, r"\operatorname{softplus}", "_softplus", "log(1 + e^x)"),
        FunctionInfo("identity", None, 1, "", "", "the identity (leaves its argument as it is)"),
        FunctionInfo("hard_sigmoid", HardSigmoid, 1, r"\sigma_{\mathrm{hard}}", "_hard_sigmoid",
                     "clip(x/6 + 1/2, 0, 1), as PyTorch Hardsigmoid and Keras 3"),
        FunctionInfo("max", Maximum, 2, r"\max", "np.maximum", "elementwise maximum of two operands"),
        FunctionInfo("min", Minimum, 2, r"\min", "np.minimum", "elementwise minimum of two operands"),
        FunctionInfo("step", Step, 1, "", "_step", "unit step [x > 0] (appears in derivatives)"),
    )
}

#: Functions a spec may call (step only appears in derived expressions).
SPEC_FUNCTIONS = tuple(name for name in FUNCTIONS if name != "step")

BY_CLASS: dict[type, FunctionInfo] = {info.cls: info for info in FUNCTIONS.values() if info.cls is not None}


def apply(name: str, args: list[sympy.Expr], evaluate: bool = True) -> sympy.Expr:
    """The SymPy expression for function `name` applied to `args`."""
    info = FUNCTIONS[name]
    if info.cls is None:
        return args[0]
    return info.cls(*args, evaluate=evaluate)


def to_standard(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite the notation's functions as SymPy's standard ones (for numeric and exact checks)."""
    return expr.replace(lambda e: isinstance(e, ElementwiseBase), lambda e: type(e).standard(*e.args))
