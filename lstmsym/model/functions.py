"""The notation's elementwise functions, in one table: each SymPy class carries its derivative (fdiff)
beside its definition, and FUNCTIONS says how it is written in every output (text, LaTeX, HTML, NumPy,
PyTorch, JAX) and where it is defined. Printers, code generators and evaluators all read this table."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy
from sympy import Function, Rational, S

from ..base.errors import DomainError


class ElementwiseBase(Function):
    """Base of the notation's functions; numeric arguments (Floats) evaluate at their precision."""

    @classmethod
    def standard(cls, *args: sympy.Expr) -> sympy.Expr:
        """The same function in SymPy's standard functions (for exact evaluation)."""
        raise NotImplementedError

    @classmethod
    def eval(cls, *args: sympy.Expr):  # noqa: D401 - SymPy hook
        if all(a.is_Float for a in args):
            prec = min(a._prec for a in args)
            with mpmath.workprec(prec):
                value = cls.numeric(*[mpmath.mpf(a._mpf_) for a in args])
            if isinstance(value, mpmath.mpc) or not mpmath.isfinite(value):
                info = BY_CLASS[cls]
                raise DomainError(f"{info.name}({', '.join(str(sympy.N(a, 6)) for a in args)}) is outside the domain "
                                  f"of {info.name} ({info.domain})")
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


def _below(x) -> mpmath.mpf:
    return mpmath.mpf(1) if x > 0 else mpmath.mpf(0)


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


@dataclass(frozen=True)
class FunctionInfo:
    """How one function is built, written and computed. Sources are expressions in the arguments x (and y)."""

    name: str
    cls: type | None
    arity: int
    latex: str
    html: str
    numpy: str
    torch: str
    jax: str
    summary: str
    domain: str = "all real numbers"
    positive_argument: bool = False
    nonzero_second: bool = False
    constant_second: bool = False
    derived_only: bool = False

    @property
    def helper(self) -> str:
        """The name of the helper each generated module defines for this function."""
        return f"_{self.name}"


_ROWS = (
    # name, class, arity, LaTeX, HTML glyph, NumPy, PyTorch, JAX, summary
    ("sigmoid", Sigmoid, 1, r"\sigma", "σ", "0.5 * (1.0 + np.tanh(0.5 * x))", "torch.sigmoid(x)", "jax.nn.sigmoid(x)",
     "logistic sigmoid 1/(1+e^-x)"),
    ("tanh", Tanh, 1, r"\tanh", "tanh", "np.tanh(x)", "torch.tanh(x)", "jnp.tanh(x)", "hyperbolic tangent"),
    ("relu", Relu, 1, r"\operatorname{relu}", "relu", "np.maximum(x, 0)", "torch.relu(x)", "jax.nn.relu(x)", "max(x, 0)"),
    ("exp", Exp, 1, r"\exp", "exp", "np.exp(x)", "torch.exp(x)", "jnp.exp(x)", "exponential"),
    ("log", Log, 1, r"\log", "log", "np.log(x)", "torch.log(x)", "jnp.log(x)", "natural logarithm"),
    ("sqrt", Sqrt, 1, r"\sqrt", "√", "np.sqrt(x)", "torch.sqrt(x)", "jnp.sqrt(x)", "square root"),
    ("softplus", Softplus, 1, r"\operatorname{softplus}", "softplus", "np.logaddexp(0, x)",
     "torch.nn.functional.softplus(x)", "jax.nn.softplus(x)", "log(1 + e^x)"),
    ("identity", None, 1, "", "", "x", "x", "x", "the identity (leaves its argument as it is)"),
    ("hard_sigmoid", HardSigmoid, 1, r"\sigma_{\mathrm{hard}}", "σ<SUB>hard</SUB>", "np.clip(x / 6 + 0.5, 0, 1)",
     "torch.clamp(x / 6 + 0.5, 0, 1)", "jnp.clip(x / 6 + 0.5, 0, 1)", "clip(x/6 + 1/2, 0, 1), as PyTorch Hardsigmoid and Keras 3"),
    ("hard_tanh", HardTanh, 1, r"\operatorname{hardtanh}", "hardtanh", "np.clip(x, -1, 1)", "torch.clamp(x, -1, 1)",
     "jnp.clip(x, -1, 1)", "clip(x, -1, 1)"),
    ("softsign", Softsign, 1, r"\operatorname{softsign}", "softsign", "x / (1 + np.abs(x))",
     "torch.nn.functional.softsign(x)", "x / (1 + jnp.abs(x))", "x / (1 + |x|)"),
    ("elu", Elu, 1, r"\operatorname{elu}", "elu", "np.where(x > 0, x, np.expm1(np.minimum(x, 0)))",
     "torch.nn.functional.elu(x)", "jax.nn.elu(x)", "x if x > 0 else e^x - 1"),
    ("leaky_relu", LeakyRelu, 2, r"\operatorname{lrelu}", "lrelu", "np.where(x > 0, x, y * x)",
     "torch.where(x > 0, x, y * x)", "jnp.where(x > 0, x, y * x)", "x if x > 0 else a x, with a constant slope a"),
    ("abs", Abs, 1, "", "abs", "np.abs(x)", "torch.abs(x)", "jnp.abs(x)", "absolute value |x|"),
    ("sign", Sign, 1, r"\operatorname{sgn}", "sgn", "np.sign(x)", "torch.sign(x)", "jnp.sign(x)", "sign of x (-1, 0 or 1)"),
    ("sin", Sin, 1, r"\sin", "sin", "np.sin(x)", "torch.sin(x)", "jnp.sin(x)", "sine"),
    ("cos", Cos, 1, r"\cos", "cos", "np.cos(x)", "torch.cos(x)", "jnp.cos(x)", "cosine"),
    ("mod", Mod, 2, r"\bmod", "mod", "np.mod(x, y)", "torch.remainder(x, y)", "jnp.mod(x, y)",
     "x mod y with the sign of y, x - y floor(x / y)"),
    ("max", Maximum, 2, r"\max", "max", "np.maximum(x, y)", "torch.maximum(x, y)", "jnp.maximum(x, y)",
     "elementwise maximum of two operands"),
    ("min", Minimum, 2, r"\min", "min", "np.minimum(x, y)", "torch.minimum(x, y)", "jnp.minimum(x, y)",
     "elementwise minimum of two operands"),
    ("step", Step, 1, "", "step", "np.heaviside(x, 0)",
     "(x > 0).to(x.dtype)", "(x > 0).astype(x.dtype)", "unit step [x > 0] (appears in derivatives)"),
    ("floor", Floor, 1, "", "floor", "np.floor(x)", "torch.floor(x)", "jnp.floor(x)", "floor (appears in derivatives)"),
)
_DOMAINS = {"log": ("positive numbers", True, False), "sqrt": ("positive numbers (its derivative is infinite at 0)", True, False),
            "mod": ("a non-zero divisor", False, True)}

FUNCTIONS: dict[str, FunctionInfo] = {}
for _row in _ROWS:
    _domain, _positive, _nonzero = _DOMAINS.get(_row[0], ("all real numbers", False, False))
    FUNCTIONS[_row[0]] = FunctionInfo(*_row, domain=_domain, positive_argument=_positive, nonzero_second=_nonzero,
                                      constant_second=_row[0] == "leaky_relu", derived_only=_row[0] in ("step", "floor"))

#: Functions a spec may call (step and floor only appear in derived expressions).
SPEC_FUNCTIONS = tuple(name for name, info in FUNCTIONS.items() if not info.derived_only)
BY_CLASS: dict[type, FunctionInfo] = {info.cls: info for info in FUNCTIONS.values() if info.cls is not None}


def apply(name: str, args: list[sympy.Expr], evaluate: bool = True) -> sympy.Expr:
    """The SymPy expression for function `name` applied to `args`."""
    info = FUNCTIONS[name]
    if info.cls is None:
        return args[0]
    return info.cls(*args, evaluate=evaluate)


def info_of(expr: sympy.Expr) -> FunctionInfo:
    return BY_CLASS[type(expr)]


def to_standard(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite the notation's functions as SymPy's standard ones (for exact checks)."""
    return expr.replace(lambda e: isinstance(e, ElementwiseBase), lambda e: type(e).standard(*e.args))
