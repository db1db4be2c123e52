"""Evaluate per-unit and vector-level expressions on NumPy arrays (one example, no batch)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from ..cell import Cell
from ..functions import BY_CLASS, ElementwiseBase
from ..ir import MatTVec, MatVec, Outer, SumUnits, Transposed

NUMPY = {
    "sigmoid": lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)), "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0.0),
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "softplus": lambda x: np.logaddexp(0.0, x),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0.0, 1.0), "max": np.maximum, "min": np.minimum,
    "step": lambda x: (np.asarray(x) > 0).astype(float),
}


def evaluate(expr: sympy.Expr, env: dict[str, Any]) -> Any:
    """expr on arrays: vectors 1-D, matrices 2-D, scalars 0-D; raises ValueError on mismatched shapes."""
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_Number:
        return float(expr)
    if expr.is_Add:
        return sum((evaluate(a, env) for a in expr.args[1:]), evaluate(expr.args[0], env))
    if expr.is_Mul:
        result = evaluate(expr.args[0], env)
        for a in expr.args[1:]:
            result = result * evaluate(a, env)
        return result
    if expr.is_Pow:
        return np.power(evaluate(expr.base, env), float(expr.exp))
    if isinstance(expr, ElementwiseBase):
        return NUMPY[BY_CLASS[type(expr)].name](*[evaluate(a, env) for a in expr.args])
    if isinstance(expr, MatVec):
        return _matrix(evaluate(expr.args[0], env)) @ _vector(evaluate(expr.args[1], env))
    if isinstance(expr, MatTVec):
        return _matrix(evaluate(expr.args[0], env)).T @ _vector(evaluate(expr.args[1], env))
    if isinstance(expr, Outer):
        return np.outer(_vector(evaluate(expr.args[0], env)), _vector(evaluate(expr.args[1], env)))
    if isinstance(expr, SumUnits):
        return np.sum(evaluate(expr.args[0], env))
    if isinstance(expr, Transposed):
        return _matrix(evaluate(expr.args[0], env)).T
    raise ValueError(f"cannot evaluate {expr}")


def _matrix(value: Any) -> np.ndarray:
    value = np.asarray(value)
    if value.ndim != 2:
        raise ValueError(f"a matrix was expected, found an array of shape {value.shape}")
    return value


def _vector(value: Any) -> np.ndarray:
    value = np.asarray(value)
    if value.ndim != 1:
        raise ValueError(f"a vector was expected, found an array of shape {value.shape}")
    return value


def forward_env(cell: Cell, params: dict[str, np.ndarray], x: np.ndarray, prev: dict[str, np.ndarray],
                sizes: dict[str, int]) -> dict[str, Any]:
    """Every forward quantity of one step."""
    env: dict[str, Any] = dict(params)
    env.update({k: float(v) for k, v in cell.constants.items()})
    env[cell.input] = x
    for state in cell.states:
        env[state.previous] = prev[state.name]
    for node in cell.matrix_nodes:
        total = np.zeros((sizes[node.shape[0]], sizes[node.shape[1]]))
        for term in node.terms:
            base = np.eye(sizes[node.shape[0]]) if term.source == "I" else env[term.source]
            total = total + float(term.coef.xreplace({sympy.Symbol(k): v for k, v in cell.constants.items()})) * (
                base.T if term.transposed else base)
        env[node.name] = total
    for node in cell.value_nodes:
        for key, term in cell.linear.items():
            if key not in env and term.vector in env:
                env[key] = env[term.matrix] @ env[term.vector]
        value = evaluate(node.expr, env)
        env[node.name] = np.broadcast_to(value, (sizes[node.shape[0]],)).copy() if node.shape else value
    return env
