"""Evaluate a cell's forward equations and derived backward equations at explicit sizes, in SymPy.

Values are SymPy objects: a vector is a list of expressions, a matrix a sympy.Matrix, a scalar an
expression. Entries may be symbols (to differentiate directly) or high-precision Floats."""

from __future__ import annotations

from typing import Any

import sympy

from ..backward import Backward
from ..cell import Cell
from ..ir import MatTVec, Outer, SumUnits, Transposed
from ..notation import incoming_name

Value = Any


def matrix_value(cell: Cell, node, env: dict[str, Value], sizes: dict[str, int]) -> sympy.Matrix:
    total = sympy.zeros(sizes[node.shape[0]], sizes[node.shape[1]])
    for term in node.terms:
        base = sympy.eye(sizes[node.shape[0]]) if term.source == "I" else env[term.source]
        total += term.coef.xreplace(_constants(cell)) * (base.T if term.transposed else base)
    return total


def _constants(cell: Cell) -> dict[sympy.Symbol, sympy.Expr]:
    return {sympy.Symbol(k): v for k, v in cell.constants.items()}


def elementwise(expr: sympy.Expr, env: dict[str, Value]) -> Value:
    """Evaluate a per-unit expression: a vector (list) if it reads any vector, else a scalar."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    length = next((len(env[s.name]) for s in symbols if isinstance(env[s.name], list)), None)

    def at(j: int | None) -> sympy.Expr:
        mapping = {}
        for s in symbols:
            value = env[s.name]
            mapping[s] = value[j] if isinstance(value, list) else value
        return expr.xreplace(mapping)

    return [at(j) for j in range(length)] if length is not None else at(None)


def evaluate(expr: sympy.Expr, env: dict[str, Value]) -> Value:
    """Evaluate an expression that may contain vector operations (M^T v, outer products, sums)."""
    if expr.is_Symbol:
        return env[expr.name]
    if isinstance(expr, MatTVec):
        matrix = env[expr.args[0].name]
        vector = sympy.Matrix(_as_list(evaluate(expr.args[1], env)))
        return list(matrix.T * vector)
    if isinstance(expr, Outer):
        left = sympy.Matrix(_as_list(evaluate(expr.args[0], env)))
        right = sympy.Matrix(_as_list(evaluate(expr.args[1], env)))
        return left * right.T
    if isinstance(expr, SumUnits):
        return sympy.Add(*_as_list(evaluate(expr.args[0], env)))
    if isinstance(expr, Transposed):
        return evaluate(expr.args[0], env).T
    if _matrix_valued(expr, env):
        if expr.is_Add:
            parts = [evaluate(a, env) for a in expr.args]
            return sum(parts[1:], parts[0])
        if expr.is_Mul:
            matrices = [f for f in expr.args if _matrix_valued(f, env)]
            scalars = [f for f in expr.args if not _matrix_valued(f, env)]
            return elementwise(sympy.Mul(*scalars), env) * evaluate(matrices[0], env)
    replaced, local = _hoist(expr, env)
    return elementwise(replaced, local)


def _matrix_valued(expr: sympy.Expr, env: dict[str, Value]) -> bool:
    if expr.has(Outer, Transposed):
        return True
    outside = expr.xreplace({a: sympy.Dummy() for a in expr.atoms(MatTVec)})
    return any(isinstance(env.get(s.name), sympy.MatrixBase) for s in outside.free_symbols)


def _as_list(value: Value) -> list:
    return value if isinstance(value, list) else [value]


def _hoist(expr: sympy.Expr, env: dict[str, Value]) -> tuple[sympy.Expr, dict[str, Value]]:
    """Replace vector operations inside an elementwise expression by fresh names bound to their values."""
    local = dict(env)
    mapping = {}
    for index, sub in enumerate(sorted(expr.atoms(MatTVec, SumUnits), key=sympy.default_sort_key)):
        name = f"_hoisted{index}"
        local[name] = evaluate(sub, env)
        mapping[sub] = sympy.Symbol(name)
    return expr.xreplace(mapping), local


def forward_step(cell: Cell, params: dict[str, Value], x: list, prev: dict[str, list], sizes: dict[str, int]) -> dict[str, Value]:
    """Every quantity of one step, by name (inputs, previous states, linear terms, nodes)."""
    env: dict[str, Value] = dict(params)
    env.update({k: v for k, v in cell.constants.items()})
    env[cell.input] = x
    for state in cell.states:
        env[state.previous] = prev[state.name]
    for node in cell.matrix_nodes:
        env[node.name] = matrix_value(cell, node, env, sizes)
    for node in cell.value_nodes:
        for key, term in cell.linear.items():
            if key not in env and term.vector in env:
                env[key] = list(env[term.matrix] * sympy.Matrix(env[term.vector]))
        env[node.name] = elementwise(node.expr, env)
    return env


def run_forward(cell: Cell, params, xs, initial, sizes) -> list[dict[str, Value]]:
    envs, prev = [], dict(initial)
    for x in xs:
        env = forward_step(cell, params, x, prev, sizes)
        envs.append(env)
        prev = {s.name: env[s.name] for s in cell.states}
    return envs


def run_backward(cell: Cell, back: Backward, envs, dys: list[dict[str, list]], dstate: dict[str, list]) -> dict[str, Value]:
    """The derived backward equations over a whole sequence: parameter, input and initial-state adjoints."""
    carry = dict(dstate)
    totals: dict[str, Value] = {}
    dxs = [None] * len(envs)
    for t in range(len(envs) - 1, -1, -1):
        env = dict(envs[t])
        for name in cell.outputs:
            base = carry.get(name)
            value = dys[t][name]
            env[incoming_name(name)] = [a + b for a, b in zip(value, base)] if base is not None else value
        for state in cell.states:
            if state.name not in cell.outputs:
                env[incoming_name(state.name)] = carry[state.name]
        for st in back.statements:
            env[st.target] = evaluate(st.expr, env)
            if st.kind == "param":
                totals[st.of] = env[st.target] if st.of not in totals else _add(totals[st.of], env[st.target])
        dxs[t] = env[f"d_{cell.input}"]
        carry = {s.name: env[f"d_{s.previous}"] for s in cell.states}
    return {"params": totals, "xs": dxs, "state0": carry}


def _add(a: Value, b: Value) -> Value:
    if isinstance(a, list):
        return [p + q for p, q in zip(a, b)]
    return a + b
