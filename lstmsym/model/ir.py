"""The cell's computation graph: named quantities in forward order, each with its shape and how it is made.

Elementwise quantities carry a per-unit SymPy expression whose symbols stand for other quantities at the
same unit (broadcasting scalars, and per-channel vectors over feature maps). Everything that couples units
is an Operator (matrix-vector product, convolution, outer product) or a Reduction (sum, mean), and appears
in other expressions as one symbol. Derivation, printing, code generation and evaluation all read this."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .along import ALONG, SPEC_OPERATORS

Shape = tuple[str, ...]


@dataclass(frozen=True)
class MatrixTerm:
    """coef * source (transposed or not) in a matrix expression; source is a parameter or I."""

    coef: sympy.Expr
    source: str
    transposed: bool


@dataclass
class Node:
    """One computed quantity. `key` is the user's name or an internal key (with ':'); `equation` is the
    user's equation it belongs to; `batched` is False for quantities made only of parameters and constants
    (the same at every step and for every sequence)."""

    key: str
    shape: Shape
    equation: str
    origin: str
    batched: bool = True

    @property
    def symbol(self) -> sympy.Symbol:
        return sympy.Symbol(self.key)

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass
class Elementwise(Node):
    """The quantity is `expr` at every unit."""

    expr: sympy.Expr = sympy.S.Zero


@dataclass
class Reduction(Node):
    """A per-sequence scalar: the sum (or mean) over every unit of `expr`, which has shape `over`."""

    expr: sympy.Expr = sympy.S.Zero
    over: Shape = ()
    mean: bool = False


@dataclass
class Operator(Node):
    """A quantity coupling units: op 'matvec' (args: matrix, vector), 'tmatvec' (the transpose of a
    matrix-valued quantity times a vector, S.T @ q), 'conv' (kernel, map) or 'outer' (vector, vector); or one of
    the UNIT_OPERATORS (args: one vector), which couple the units of a vector along its length (cumsum, cummax,
    softmax). A matvec matrix is a parameter, a matrix expression or a matrix-valued quantity."""

    op: str = "matvec"
    args: tuple[str, ...] = ()


@dataclass
class MatrixExpr(Node):
    """A matrix made from parameters, I and constants, e.g. W - W.T - gamma * I (never batched)."""

    terms: tuple[MatrixTerm, ...] = ()


#: Operators of one vector that couple its units along its length: the spec's calls of their table (model.along).
UNIT_OPERATORS = SPEC_OPERATORS
OPERATORS = ("matvec", "tmatvec", "conv", "outer") + UNIT_OPERATORS

#: Calls that are not elementwise: name -> (arity, what it does). Elementwise functions are in functions.py.
STRUCTURAL = {
    "sum": (1, "sum over every unit, a per-sequence scalar"),
    "mean": (1, "mean over every unit, a per-sequence scalar"),
    "dot": (2, "dot product of two quantities of the same shape, a per-sequence scalar"),
    "outer": (2, "outer product of two vectors, a matrix"),
    "conv": (2, "same-padded 2-D convolution conv(K, x) of a feature map x with a kernel K"),
    **{name: (ALONG[name].arity, ALONG[name].meaning) for name in SPEC_OPERATORS},
    "cumax": (1, "ON-LSTM's cumulative softmax, cumsum(softmax(v)) (Shen et al. 2019)"),
}
