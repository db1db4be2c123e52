"""The operators along the units of a vector, one table entry each (issue 23's operator registry).

cumsum, cummax and softmax read every unit before (or beside) the one they write; revcumsum and cummaxgrad are the
adjoints the backward pass writes for them. An entry holds everything lstmsym knows of one operator: its name (the
spec's call, the printed operator name in every notation, the generated helper `_name`), its meaning, its adjoint
rule, its cost per unit, its code in each backend and its interpreter. The SymPy class is made from the entry, and
the spec language, the printers, the code generators, the cost, the backward pass, the diagrams and the
interpreter all read the table, so a new operator along the units is one entry here (plus its test spec, and the
names the independent readers and oracles keep for themselves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import sympy
from sympy import Function

#: (functions by name, numeric?, *vectors) -> the result along the units of one vector: floats, or SymPy objects
#: when the interpreter derives symbolically (its functions then build SymPy expressions).
Interpreter = Callable[..., np.ndarray]


@dataclass(frozen=True)
class Along:
    """One operator along the units of a vector.

    name: the spec's call and the printed operator name (LaTeX \\operatorname, MathML, HTML, text, helper `_name`).
    symbol: the SymPy class's name.
    meaning: what it computes, shown in the spec language's table; None for an adjoint, which no spec writes.
    parameters: the helper's parameters, the first the vector it runs along (an adjoint: the upstream first).
    code: one expression of the parameters per backend ("numpy", "torch", "jax": along the last axis of
        batch-major arrays; "matrix": NumPy along axis 0 of a column vector, with {np} for the module and {a0},
        {a1} for the operands, for sympy.lambdify).
    interpret: the interpreter's evaluation on one vector (verify.interpret).
    adjoint: (upstream g, operand v, value y, total) -> v's adjoint, in the table's own operators and total(e),
        the sum of e over the units.
    counts: operations per unit ("nonlinear", "product", "sum"), for the cost of a spec's operator (the backward
        pass's cost is counted from its statements, not from the adjoints' entries).
    """

    name: str
    symbol: str
    meaning: str | None
    parameters: str
    code: Mapping[str, str]
    interpret: Interpreter
    adjoint: Callable[..., sympy.Expr] | None = None
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def arity(self) -> int:
        return len(self.parameters.split(", "))

    @property
    def cls(self) -> type:
        return CLASSES[self.name]

    @property
    def helper(self) -> str:
        return f"_{self.name}"


class AlongBase(Function):
    """The SymPy class of an operator along the units (subclassed per entry): printers dispatch on this class
    (_print_AlongBase; SymPy's printers look past a Function subclass only when its name ends in Base) and read
    the entry's name."""

    along: str = ""


def op(name: str) -> type:
    """The SymPy class of the table's operator `name` (for adjoint rules written before the classes exist)."""
    return CLASSES[name]


def _softmax(fns, numeric, v):
    e = np.asarray(fns["exp"](v - np.max(v) if numeric else v))
    return e / np.sum(e)


def _cummax(fns, numeric, v):
    if numeric:
        return np.maximum.accumulate(v)
    running = [v[0]]
    for item in v[1:]:
        running.append(np.asarray(fns["max"](running[-1], item))[()])
    return np.array(running, dtype=object)


def _cummaxgrad(fns, numeric, g, v):
    out, best = np.zeros_like(g), 0
    for i in range(len(g)):
        if v[i] >= v[best]:  # at a tie the latest position takes the gradient
            best = i
        out[best] = out[best] + g[i]
    return out


_CUMMAXGRAD_NUMPY = ("np.sum((np.maximum.accumulate(np.where(v >= _cummax(v), np.arange(v.shape[-1]), 0), axis=-1)[..., :, None]"
                     " == np.arange(v.shape[-1])) * g[..., :, None], axis=-2)")
_CUMMAXGRAD_MATRIX = ("(lambda g, v, p: ((({np}.maximum.accumulate({np}.where(v[:, 0] >= {np}.maximum.accumulate(v[:, 0]), "
                      "p, 0)))[:, None] == p[None, :]) * g).sum(axis=0)[:, None])({a0}, {a1}, {np}.arange(({a1}).shape[0]))")

#: The table, in the spec language's order; adjoints after the operators they belong to.
TABLE: tuple[Along, ...] = (
    Along("cumsum", "CumSum", "cumulative sum along the units of a vector, y_i = v_1 + ... + v_i", "v",
          {"numpy": "np.cumsum(v, axis=-1)", "torch": "torch.cumsum(v, dim=-1)", "jax": "jnp.cumsum(v, axis=-1)",
           "matrix": "{np}.cumsum({a0}, axis=0)"},
          lambda fns, numeric, v: np.cumsum(v),
          adjoint=lambda g, v, y, total: op("revcumsum")(g), counts={"sum": 1}),
    Along("revcumsum", "RevCumSum", None, "g",
          {"numpy": "np.flip(np.cumsum(np.flip(g, -1), axis=-1), -1)",
           "torch": "torch.flip(torch.cumsum(torch.flip(g, (-1,)), dim=-1), (-1,))",
           "matrix": "{np}.flip({np}.cumsum({np}.flip({a0}, 0), axis=0), 0)"},
          lambda fns, numeric, g: np.cumsum(g[::-1])[::-1]),
    Along("cummax", "CumMax", "cumulative maximum along the units of a vector, y_i = max(v_1, ..., v_i)", "v",
          {"numpy": "np.maximum.accumulate(v, axis=-1)", "torch": "torch.cummax(v, dim=-1).values",
           "jax": "jax.lax.cummax(v, axis=v.ndim - 1)", "matrix": "{np}.maximum.accumulate({a0}, axis=0)"},
          _cummax, adjoint=lambda g, v, y, total: op("cummaxgrad")(g, v), counts={"nonlinear": 1}),
    # each g_i goes to the position of the running maximum of v_1..v_i (a subgradient: at a tie the latest
    # position takes it, as torch.cummax's indices)
    Along("cummaxgrad", "CumMaxT", None, "g, v",
          {"numpy": _CUMMAXGRAD_NUMPY,
           "torch": "((torch.cummax(v, dim=-1).indices.unsqueeze(-1) == torch.arange(v.shape[-1], device=v.device))"
                    " * g.unsqueeze(-1)).sum(dim=-2)",
           "matrix": _CUMMAXGRAD_MATRIX},
          _cummaxgrad),
    Along("softmax", "Softmax", "softmax along the units of a vector, e^v_i / sum_j e^v_j", "v",
          {"numpy": "(lambda e: e / np.sum(e, axis=-1, keepdims=True))(np.exp(v - np.max(v, axis=-1, keepdims=True)))",
           "torch": "torch.softmax(v, dim=-1)", "jax": "jax.nn.softmax(v, axis=-1)",
           "matrix": "(lambda e: e / e.sum(axis=0))({np}.exp({a0} - {np}.max({a0}, axis=0)))"},
          _softmax,
          # s = softmax(v): v gets the Jacobian-vector product s * (g - sum(s * g))
          adjoint=lambda g, v, s, total: s * (g - total(s * g)), counts={"nonlinear": 1, "sum": 1, "product": 1}),
)


def _make_class(entry: Along) -> type:
    doc = entry.meaning or f"The adjoint {entry.name}({entry.parameters}) of an operator along the units."
    return type(entry.symbol, (AlongBase,), {"nargs": entry.arity, "along": entry.name, "__doc__": doc,
                                                 "__module__": __name__})


#: Entries and SymPy classes by name; the operators a spec may call (not the adjoints).
ALONG: dict[str, Along] = {entry.name: entry for entry in TABLE}
CLASSES: dict[str, type] = {entry.name: _make_class(entry) for entry in TABLE}
SPEC_OPERATORS: tuple[str, ...] = tuple(entry.name for entry in TABLE if entry.meaning is not None)


def entry_of(expr: sympy.Expr) -> Along:
    """The table's entry for an applied operator."""
    return ALONG[type(expr).along]
