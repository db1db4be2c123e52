"""Evaluate a cell's forward graph and its derived backward statements at explicit sizes, one sequence at a
time, on NumPy arrays of unit shape. The same code runs on floats (for `check`) and on arrays of SymPy
objects (symbols to differentiate, or 40-digit Floats): only the elementwise functions differ."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import numpy as np
import sympy

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.along import entry_of as along_entry
from ..model.functions import ElementwiseBase, FUNCTIONS, info_of
from ..model.ir import Elementwise, Operator, Reduction
from ..model.sizes import size_of_key
from ..model.vector_ops import ALONG_UNITS, LossGrad, Next, VectorOpBase, entry_of, node_form
from ..base.errors import DomainError
from .loader import load_source

Value = Any
#: The rank a vector operator's argument is evaluated at, by how its entry reads it.
OPERAND_RANKS = {"vector": 1, "map": 3}


@lru_cache(maxsize=1)
def numpy_functions() -> dict[str, Callable]:
    """The function table's NumPy helpers, by function name."""
    from ..render.helpers import numpy_helpers_source

    module = load_source(numpy_helpers_source())
    return {name: getattr(module, info.helper) for name, info in FUNCTIONS.items() if info.cls is not None}


def symbolic_functions() -> dict[str, Callable]:
    """The same functions building SymPy expressions, elementwise over object arrays."""
    return {name: np.vectorize(info.cls, otypes=[object]) for name, info in FUNCTIONS.items() if info.cls is not None}


def rank_of(expr: sympy.Expr, env: dict[str, Value]) -> int:
    """The unit rank an elementwise expression evaluates to (the highest rank of what it reads)."""
    ranks = [np.ndim(env[s.name]) for s in expr.free_symbols if s.name in env]
    return max(ranks, default=0)


def block_dense(m: np.ndarray) -> np.ndarray:
    """A block-diagonal matrix stored as (blocks, rows, cols), as one dense matrix."""
    k, r, c = m.shape
    dense = np.zeros((k * r, k * c), dtype=m.dtype)
    for b in range(k):
        dense[b * r:(b + 1) * r, b * c:(b + 1) * c] = m[b]
    return dense


class Interpreter:
    """Evaluates expressions of one cell in an environment of named arrays."""

    def __init__(self, cell: Cell, functions: dict[str, Callable], sizes: dict[str, int]) -> None:
        self.cell = cell
        self.functions = functions
        self.sizes = sizes
        #: The constant matrices at these sizes, built once (not at every step).
        self.matrices = {k: np.array(v, dtype=float if self.numeric else object) for k, v in cell.constant_matrices(sizes).items()}

    def matrix(self, key: str, env: dict[str, Value]) -> np.ndarray:
        value = np.asarray(env[key])
        if self.cell.is_parameter(key) and self.cell.parameter(key).blocks:
            return block_dense(value)
        return value

    def evaluate(self, expr: sympy.Expr, env: dict[str, Value], rank: int | None = None) -> Value:
        """expr on arrays; elementwise parts broadcast to `rank` (by default the rank of what they read)."""
        if rank is None:
            rank = self.rank(expr, env)
        if expr.is_Symbol:
            size = size_of_key(expr.name)
            value = self.sizes[size] if size is not None else env[expr.name]
            value = np.asarray(value, dtype=object) if isinstance(value, sympy.Basic) else np.asarray(value)
            return value.reshape(value.shape + (1,) * (rank - value.ndim)) if value.ndim < rank else value
        if expr.is_Number:
            return np.asarray(float(expr)) if self.functions is not None and self.numeric else expr
        if isinstance(expr, ElementwiseBase):
            return self.functions[info_of(expr).name](*[self.evaluate(a, env, rank) for a in expr.args])
        if expr.is_Add:
            values = [self.evaluate(a, env, rank) for a in expr.args]
            return sum(values[1:], values[0])
        if expr.is_Mul:
            result = self.evaluate(expr.args[0], env, rank)
            for a in expr.args[1:]:
                result = result * self.evaluate(a, env, rank)
            return result
        if expr.is_Pow and not expr.exp.is_Number:
            return self.variable_power(self.evaluate(expr.base, env, rank), self.evaluate(expr.exp, env, rank))
        if expr.is_Pow:
            base = self.evaluate(expr.base, env, rank)
            exponent = expr.exp if not self.numeric else float(expr.exp)
            return base ** exponent
        return self.vector_op(expr, env)

    numeric = True

    @staticmethod
    def variable_power(base: Value, exponent: Value) -> Value:
        """x ** y with y a quantity, defined for x > 0 (x^y = e^(y log x)): a base at or below 0 leaves the domain."""
        values = np.ravel(np.asarray(base, dtype=object))
        if any(v.is_number and v <= 0 if isinstance(v, sympy.Basic) else v <= 0 for v in values):
            raise DomainError("x ** y with a variable exponent y needs a positive base x, found "
                              f"{min(float(v) for v in values if not isinstance(v, sympy.Basic) or v.is_number):.3g}")
        return base ** exponent

    def rank(self, expr: sympy.Expr, env: dict[str, Value]) -> int:
        if expr.is_Symbol:
            return 0 if size_of_key(expr.name) is not None else np.ndim(env[expr.name])
        if expr.is_Number:
            return 0
        if isinstance(expr, ALONG_UNITS):
            return 1
        if isinstance(expr, VectorOpBase):
            rank = entry_of(expr).rank
            return rank if rank is not None else self.rank(expr.args[0], env) - int(expr.args[1])
        return max((self.rank(a, env) for a in expr.args), default=0)

    def vector_op(self, expr: sympy.Expr, env: dict[str, Value]) -> Value:
        if isinstance(expr, ALONG_UNITS):
            return self.along_units(expr, env)
        if isinstance(expr, VectorOpBase):
            entry = entry_of(expr)
            return entry.interpret(*[self.operand(kind, a, env) for kind, a in zip(entry.operands, expr.args)])
        raise ValueError(f"cannot evaluate {type(expr).__name__}")

    def operand(self, kind: str, arg: sympy.Expr, env: dict[str, Value]) -> Value:
        """One argument of a vector operator, read as its entry says (model.vector_ops.OPERAND_KINDS)."""
        if kind == "count":
            return int(arg)
        if kind == "kernel":
            return np.asarray(env[arg.name])
        if kind == "matrix":
            value = self.matrix(arg.name, env) if arg.is_Symbol else np.asarray(self.evaluate(arg, env))
            self._need(value, 2, "a matrix")
            return value
        value = self.evaluate(arg, env, OPERAND_RANKS.get(kind))
        if kind == "vector":
            self._need(value, 1, "a vector")
        return value

    def along_units(self, expr: sympy.Expr, env: dict[str, Value]) -> Value:
        """cumsum, cummax, softmax and their adjoints, along the units of one vector (floats or SymPy objects): the
        interpreter of the operator's entry in model.along."""
        vectors = [np.asarray(self.evaluate(a, env, 1)) for a in expr.args]
        self._need(vectors[0], 1, "a vector")
        return along_entry(expr).interpret(self.functions, self.numeric, *vectors)

    @staticmethod
    def _need(value: Value, rank: int, what: str) -> None:
        if np.ndim(value) != rank:
            raise ValueError(f"{what} was expected, found an array of shape {np.shape(value)}")

    # -- the graph ----------------------------------------------------------------------------
    def forward_step(self, params: dict[str, Value], inputs: dict[str, Value], prev: dict[str, Value]) -> dict[str, Value]:
        """Every quantity of one step, by key."""
        cell = self.cell
        env: dict[str, Value] = dict(params)
        env.update({k: (float(v) if self.numeric else v) for k, v in cell.constants.items()})
        env.update(self.matrices)
        env.update(inputs)
        for state in cell.states:
            env[state.previous] = prev[state.name]
        for node in cell.matrix_nodes:
            n = self.sizes[node.shape[0]]
            total = np.zeros((n, self.sizes[node.shape[1]]), dtype=object if not self.numeric else float)
            for term in node.terms:
                identity = np.eye(n) if self.numeric else np.array(sympy.eye(n).tolist(), dtype=object)
                base = identity if term.source == "I" and term.source not in env else self.matrix(term.source, env)
                coef = term.coef.xreplace({sympy.Symbol(k): v for k, v in cell.constants.items()})
                total = total + (float(coef) if self.numeric else coef) * (base.T if term.transposed else base)
            env[node.key] = total
        for node in cell.value_nodes:
            env[node.key] = self.node_value(node, env)
        return env

    def node_value(self, node, env: dict[str, Value]) -> Value:
        shape = tuple(self.sizes[s] for s in node.shape)
        if isinstance(node, Elementwise):
            value = self.evaluate(node.expr, env, len(shape))
            return np.broadcast_to(value, shape).copy() if np.shape(value) != shape else value
        if isinstance(node, Reduction):
            over = tuple(self.sizes[s] for s in node.over)
            inner = np.broadcast_to(self.evaluate(node.expr, env, len(over)), over)
            total = np.sum(inner)
            return total / int(np.prod(over)) if node.mean else total
        assert isinstance(node, Operator)
        return self.vector_op(node_form(node), env)

    def run_forward(self, params, xs: list[dict[str, Value]], initial: dict[str, Value]) -> list[dict[str, Value]]:
        """One environment per step; xs[t] maps every input's name to its value at step t."""
        envs, prev = [], dict(initial)
        for inputs in xs:
            env = self.forward_step(params, inputs, prev)
            envs.append(env)
            prev = {s.name: env[s.name] for s in self.cell.states}
        return envs

    def run_backward(self, derived: Derived, envs, dys: list[dict[str, Value]], dstate: dict[str, Value]) -> dict[str, Value]:
        """The derived statements over a whole sequence: parameter, input and initial-state adjoints.
        Each step's incoming adjoints come from the printed BPTT recurrences."""
        back, bptt = derived.backward, derived.bptt
        carries = {st.expr: st.target for st in back.by_kind("carry")}
        carry_env: dict[str, Value] = {}
        totals: dict[str, Value] = {}
        inputs: dict[str, list] = {i.name: [None] * len(envs) for i in self.cell.inputs}
        for t in range(len(envs) - 1, -1, -1):
            env = dict(envs[t])
            for rec in bptt.recurrences:
                env[rec.incoming] = self.recurrence(rec.expr, dys[t], dstate if t == len(envs) - 1 else None, carry_env, carries, rec.name)
            for st in back.statements:
                env[st.target] = self.evaluate(st.expr, env) if st.expr != 0 else 0
                if st.kind == "param":
                    totals[st.of] = env[st.target] if st.of not in totals else totals[st.of] + env[st.target]
            for item in self.cell.inputs:
                inputs[item.name][t] = env[f"d:{item.name}"]
            carry_env = {target: env[target] for target in carries.values()}
        state0 = {self.cell.state_of_previous[st.of].name: carry_env[st.target] for st in back.by_kind("carry")}
        return {"params": totals, "inputs": inputs, "state0": state0}

    def recurrence(self, expr: sympy.Expr, dys: dict[str, Value], final: dict[str, Value] | None,
                   carry_env: dict[str, Value], carries: dict[sympy.Expr, str], name: str) -> Value:
        total = 0
        for term in sympy.Add.make_args(expr):
            if isinstance(term, LossGrad):
                total = total + np.asarray(dys[term.args[0].name])
            elif isinstance(term, Next):
                if term.args[0] not in carries:
                    raise ValueError(f"a recurrence carries {term.args[0]}, which no carry statement computes")
                total = total + (final[name] if final is not None else carry_env[carries[term.args[0]]])
            elif term != 0:
                raise ValueError(f"a recurrence term that is neither a loss gradient nor a carry: {term}")
        return total


class SymbolicInterpreter(Interpreter):
    """The interpreter on arrays of SymPy objects."""

    numeric = False

    def __init__(self, cell: Cell, sizes: dict[str, int]) -> None:
        super().__init__(cell, symbolic_functions(), sizes)


class NumericInterpreter(Interpreter):
    """The interpreter on float64 arrays."""

    def __init__(self, cell: Cell, sizes: dict[str, int]) -> None:
        super().__init__(cell, numpy_functions(), sizes)
