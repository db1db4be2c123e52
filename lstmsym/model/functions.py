"""The notation's elementwise functions, in one table: FUNCTIONS says how each is written in every output
(text, LaTeX, HTML, NumPy, PyTorch, JAX, Triton), its domain, and which SymPy class (with its derivative) it is.
Printers, code generators and evaluators all read this table."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import sympy

from .function_classes import Abs, Cos, ElementwiseBase, Exp, Floor, Log, Relu, Sigmoid, Sign, Sin, Softplus, Softsign, Sqrt, Step, Tanh
from .piecewise import Elu, HardSigmoid, HardTanh, LeakyRelu, Maximum, Minimum, Mod
from .select import Where

#: The code backends, in the order their columns were once written; each function's `code` has one source per backend.
BACKENDS = ("numpy", "torch", "jax", "triton")


@dataclass(frozen=True)
class FunctionInfo:
    """How one function is built, written and computed. Sources are expressions in the arguments x (and y, z)."""

    name: str
    cls: type | None
    arity: int
    latex: str
    html: str
    code: Mapping[str, str]
    summary: str
    domain: str = "all real numbers"
    positive_argument: bool = False
    nonzero_second: bool = False
    constant_second: bool = False
    derived_only: bool = False
    mask_first: bool = False

    @property
    def label_latex(self) -> str:
        """The function standing alone, as a diagram's label (\\sqrt needs an argument, |x| has no name)."""
        return _ALONE.get(self.name, self.latex)

    @property
    def helper(self) -> str:
        """The name of the helper each generated module defines for this function."""
        return f"_{self.name}"

    @property
    def parameters(self) -> str:
        """The helper's parameter list, as its sources name the arguments."""
        return ", ".join("xyz"[:self.arity])


def _function(name: str, cls: type | None, arity: int, latex: str, html: str, summary: str, **code: str) -> FunctionInfo:
    """One row: a backend's source is a keyword named after it (numpy=..., torch=..., jax=..., triton=...)."""
    missing = [b for b in BACKENDS if b not in code]
    assert not missing and set(code) <= set(BACKENDS), (name, missing, sorted(code))
    domain, positive, nonzero = _DOMAINS.get(name, ("all real numbers", False, False))
    return FunctionInfo(name, cls, arity, latex, html, MappingProxyType(dict(code)), summary, domain=domain,
                        positive_argument=positive, nonzero_second=nonzero, constant_second=name == "leaky_relu",
                        derived_only=name in ("step", "floor"), mask_first=name == "where")


_ALONE = {"sqrt": r"\sqrt{\cdot}", "abs": r"\lvert\cdot\rvert", "step": r"\operatorname{step}", "floor": r"\lfloor\cdot\rfloor"}
_DOMAINS = {"log": ("positive numbers", True, False), "sqrt": ("positive numbers (its derivative is infinite at 0)", True, False),
            "mod": ("a non-zero divisor", False, True)}

# Triton has no tanh, softplus, elu or sign of its own in triton.language: they are written from exp, log and
# comparisons (tanh x = 2 sigmoid(2x) - 1, exact). Its sources run in a @triton.jit helper (triton.language as tl).
_TABLE = (
    _function("sigmoid", Sigmoid, 1, r"\sigma", "σ", "logistic sigmoid 1/(1+e^-x)",
              numpy="0.5 * (1.0 + np.tanh(0.5 * x))", torch="torch.sigmoid(x)", jax="jax.nn.sigmoid(x)", triton="tl.sigmoid(x)"),
    _function("tanh", Tanh, 1, r"\tanh", "tanh", "hyperbolic tangent",
              numpy="np.tanh(x)", torch="torch.tanh(x)", jax="jnp.tanh(x)", triton="2.0 * tl.sigmoid(2.0 * x) - 1.0"),
    _function("relu", Relu, 1, r"\operatorname{relu}", "relu", "max(x, 0)",
              numpy="np.maximum(x, 0)", torch="torch.relu(x)", jax="jax.nn.relu(x)", triton="tl.maximum(x, 0.0)"),
    _function("exp", Exp, 1, r"\exp", "exp", "exponential",
              numpy="np.exp(x)", torch="torch.exp(x)", jax="jnp.exp(x)", triton="tl.exp(x)"),
    _function("log", Log, 1, r"\log", "log", "natural logarithm",
              numpy="np.log(x)", torch="torch.log(x)", jax="jnp.log(x)", triton="tl.log(x)"),
    _function("sqrt", Sqrt, 1, r"\sqrt", "√", "square root",
              numpy="np.sqrt(x)", torch="torch.sqrt(x)", jax="jnp.sqrt(x)", triton="tl.sqrt(x)"),
    _function("softplus", Softplus, 1, r"\operatorname{softplus}", "softplus", "log(1 + e^x)",
              numpy="np.logaddexp(0, x)", torch="torch.nn.functional.softplus(x)", jax="jax.nn.softplus(x)",
              triton="tl.maximum(x, 0.0) + tl.log(1.0 + tl.exp(-tl.abs(x)))"),
    _function("identity", None, 1, "", "", "the identity (leaves its argument as it is)",
              numpy="x", torch="x", jax="x", triton="x"),
    _function("hard_sigmoid", HardSigmoid, 1, r"\sigma_{\mathrm{hard}}", "σ<SUB>hard</SUB>",
              "clip(x/6 + 1/2, 0, 1), as PyTorch Hardsigmoid and Keras 3",
              numpy="np.clip(x / 6 + 0.5, 0, 1)", torch="torch.clamp(x / 6 + 0.5, 0, 1)", jax="jnp.clip(x / 6 + 0.5, 0, 1)",
              triton="tl.minimum(tl.maximum(x / 6.0 + 0.5, 0.0), 1.0)"),
    _function("hard_tanh", HardTanh, 1, r"\operatorname{hardtanh}", "hardtanh", "clip(x, -1, 1)",
              numpy="np.clip(x, -1, 1)", torch="torch.clamp(x, -1, 1)", jax="jnp.clip(x, -1, 1)",
              triton="tl.minimum(tl.maximum(x, -1.0), 1.0)"),
    _function("softsign", Softsign, 1, r"\operatorname{softsign}", "softsign", "x / (1 + |x|)",
              numpy="x / (1 + np.abs(x))", torch="torch.nn.functional.softsign(x)", jax="x / (1 + jnp.abs(x))",
              triton="x / (1.0 + tl.abs(x))"),
    _function("elu", Elu, 1, r"\operatorname{elu}", "elu", "x if x > 0 else e^x - 1",
              numpy="np.where(x > 0, x, np.expm1(np.minimum(x, 0)))", torch="torch.nn.functional.elu(x)", jax="jax.nn.elu(x)",
              triton="tl.where(x > 0, x, tl.exp(tl.minimum(x, 0.0)) - 1.0)"),
    _function("leaky_relu", LeakyRelu, 2, r"\operatorname{lrelu}", "lrelu", "x if x > 0 else a x, with a constant slope a",
              numpy="np.where(x > 0, x, y * x)", torch="torch.where(x > 0, x, y * x)", jax="jnp.where(x > 0, x, y * x)",
              triton="tl.where(x > 0, x, y * x)"),
    _function("abs", Abs, 1, "", "abs", "absolute value |x|",
              numpy="np.abs(x)", torch="torch.abs(x)", jax="jnp.abs(x)", triton="tl.abs(x)"),
    _function("sign", Sign, 1, r"\operatorname{sgn}", "sgn", "sign of x (-1, 0 or 1)",
              numpy="np.sign(x)", torch="torch.sign(x)", jax="jnp.sign(x)",
              triton="tl.where(x > 0, 1.0, 0.0) - tl.where(x < 0, 1.0, 0.0)"),
    _function("sin", Sin, 1, r"\sin", "sin", "sine", numpy="np.sin(x)", torch="torch.sin(x)", jax="jnp.sin(x)", triton="tl.sin(x)"),
    _function("cos", Cos, 1, r"\cos", "cos", "cosine", numpy="np.cos(x)", torch="torch.cos(x)", jax="jnp.cos(x)", triton="tl.cos(x)"),
    _function("mod", Mod, 2, r"\bmod", "mod", "x mod y with the sign of y, x - y floor(x / y)",
              numpy="np.mod(x, y)", torch="torch.remainder(x, y)", jax="jnp.mod(x, y)", triton="x - y * tl.floor(x / y)"),
    _function("max", Maximum, 2, r"\max", "max", "elementwise maximum of two operands",
              numpy="np.maximum(x, y)", torch="torch.maximum(torch.as_tensor(x), torch.as_tensor(y))", jax="jnp.maximum(x, y)",
              triton="tl.maximum(x, y)"),
    _function("min", Minimum, 2, r"\min", "min", "elementwise minimum of two operands",
              numpy="np.minimum(x, y)", torch="torch.minimum(torch.as_tensor(x), torch.as_tensor(y))", jax="jnp.minimum(x, y)",
              triton="tl.minimum(x, y)"),
    _function("where", Where, 3, r"\operatorname{where}", "where",
              "elementwise select: a where the mask c is non-zero, else b (a true select: a NaN in the branch not taken "
              "reaches neither the value nor a gradient); d/da = [c != 0], d/db = [c = 0], d/dc = 0",
              numpy="np.where(x != 0, y, z)", torch="torch.where(x != 0, y, z)", jax="jnp.where(x != 0, y, z)",
              triton="tl.where(x != 0, y, z)"),
    _function("step", Step, 1, "", "step", "unit step [x > 0] (appears in derivatives)",
              numpy="np.heaviside(x, 0)", torch="(x > 0).to(x.dtype)", jax="(x > 0).astype(x.dtype)", triton="tl.where(x > 0, 1.0, 0.0)"),
    _function("floor", Floor, 1, "", "floor", "floor (appears in derivatives)",
              numpy="np.floor(x)", torch="torch.floor(x)", jax="jnp.floor(x)", triton="tl.floor(x)"),
)

FUNCTIONS: dict[str, FunctionInfo] = {info.name: info for info in _TABLE}

#: Functions a spec may call (step and floor only appear in derived expressions).
SPEC_FUNCTIONS = tuple(name for name, info in FUNCTIONS.items() if not info.derived_only)
BY_CLASS: dict[type, FunctionInfo] = {info.cls: info for info in FUNCTIONS.values() if info.cls is not None}
for _info in BY_CLASS.values():
    _info.cls.spec_name, _info.cls.domain = _info.name, _info.domain


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
