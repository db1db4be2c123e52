"""The notation's elementwise functions, in one table: FUNCTIONS says how each is written in every output
(text, LaTeX, HTML, NumPy, PyTorch, JAX, Triton), its domain, and which SymPy class (with its derivative) it is.
Printers, code generators and evaluators all read this table."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .function_classes import (Abs, Cos, Elu, ElementwiseBase, Exp, Floor, HardSigmoid, HardTanh, LeakyRelu, Log, Maximum,
                               Minimum, Mod, Relu, Sigmoid, Sign, Sin, Softplus, Softsign, Sqrt, Step, Tanh)
from .select import Where

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
    mask_first: bool = False
    triton: str = ""

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
    ("max", Maximum, 2, r"\max", "max", "np.maximum(x, y)", "torch.maximum(torch.as_tensor(x), torch.as_tensor(y))", "jnp.maximum(x, y)",
     "elementwise maximum of two operands"),
    ("min", Minimum, 2, r"\min", "min", "np.minimum(x, y)", "torch.minimum(torch.as_tensor(x), torch.as_tensor(y))", "jnp.minimum(x, y)",
     "elementwise minimum of two operands"),
    ("where", Where, 3, r"\operatorname{where}", "where", "np.where(x != 0, y, z)", "torch.where(x != 0, y, z)",
     "jnp.where(x != 0, y, z)", "elementwise select: a where the mask c is non-zero, else b (a true select: a NaN in the "
     "branch not taken reaches neither the value nor a gradient); d/da = [c != 0], d/db = [c = 0], d/dc = 0"),
    ("step", Step, 1, "", "step", "np.heaviside(x, 0)",
     "(x > 0).to(x.dtype)", "(x > 0).astype(x.dtype)", "unit step [x > 0] (appears in derivatives)"),
    ("floor", Floor, 1, "", "floor", "np.floor(x)", "torch.floor(x)", "jnp.floor(x)", "floor (appears in derivatives)"),
)
#: Triton sources (triton.language as tl, in a @triton.jit helper). Triton has no tanh, softplus, elu or sign of its
#: own in triton.language: they are written from exp, log and comparisons (tanh x = 2 sigmoid(2x) - 1, exact).
_TRITON = {
    "sigmoid": "tl.sigmoid(x)", "tanh": "2.0 * tl.sigmoid(2.0 * x) - 1.0", "relu": "tl.maximum(x, 0.0)",
    "exp": "tl.exp(x)", "log": "tl.log(x)", "sqrt": "tl.sqrt(x)",
    "softplus": "tl.maximum(x, 0.0) + tl.log(1.0 + tl.exp(-tl.abs(x)))", "identity": "x",
    "hard_sigmoid": "tl.minimum(tl.maximum(x / 6.0 + 0.5, 0.0), 1.0)", "hard_tanh": "tl.minimum(tl.maximum(x, -1.0), 1.0)",
    "softsign": "x / (1.0 + tl.abs(x))", "elu": "tl.where(x > 0, x, tl.exp(tl.minimum(x, 0.0)) - 1.0)",
    "leaky_relu": "tl.where(x > 0, x, y * x)", "abs": "tl.abs(x)",
    "sign": "tl.where(x > 0, 1.0, 0.0) - tl.where(x < 0, 1.0, 0.0)", "sin": "tl.sin(x)", "cos": "tl.cos(x)",
    "mod": "x - y * tl.floor(x / y)", "max": "tl.maximum(x, y)", "min": "tl.minimum(x, y)",
    "where": "tl.where(x != 0, y, z)", "step": "tl.where(x > 0, 1.0, 0.0)", "floor": "tl.floor(x)",
}
_ALONE = {"sqrt": r"\sqrt{\cdot}", "abs": r"\lvert\cdot\rvert", "step": r"\operatorname{step}", "floor": r"\lfloor\cdot\rfloor"}
_DOMAINS = {"log": ("positive numbers", True, False), "sqrt": ("positive numbers (its derivative is infinite at 0)", True, False),
            "mod": ("a non-zero divisor", False, True)}

FUNCTIONS: dict[str, FunctionInfo] = {}
for _row in _ROWS:
    _domain, _positive, _nonzero = _DOMAINS.get(_row[0], ("all real numbers", False, False))
    FUNCTIONS[_row[0]] = FunctionInfo(*_row, domain=_domain, positive_argument=_positive, nonzero_second=_nonzero,
                                      constant_second=_row[0] == "leaky_relu", derived_only=_row[0] in ("step", "floor"),
                                      mask_first=_row[0] == "where", triton=_TRITON[_row[0]])

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
