"""`lstmsym check`: is a hand-derived gradient formula equal to the derived one? If not, show where."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import sympy

from . import functions
from .backward import Backward, Statement
from .cell import Cell
from .errors import SpecError, UsageError, did_you_mean
from .gradview import glossary
from .ir import MatTVec, MatVec, Outer, SumUnits, Transposed
from .notation import Notation
from .parser import Origin, parse_expression
from .registry import cell as load
from .syntax import BinOp, Call, Name, Neg, Node, Num, Transpose
from .textform import text
from .verify.npeval import evaluate, forward_env
from .verify.sampling import concrete_sizes, random_params

ORIGIN = Origin("<formula>")
EXTRA_FUNCTIONS = {"outer": 2, "sum": 1, "step": 1}
RTOL = 1e-9


class FormulaReader:
    """Turns a formula in the spec notation into the vector-level expressions the derivation uses."""

    def __init__(self, cell: Cell, back: Backward, text_: str) -> None:
        self.cell, self.text = cell, text_
        names = glossary(cell, back)
        self.allowed = {n for key in ("forward quantities", "parameters", "constants", "incoming adjoints",
                                      "derived adjoints") for n in names[key]}
        self.matrices = {p.name for p in cell.parameters if p.kind == "matrix"} | {n.name for n in cell.matrix_nodes}

    def fail(self, node: Node, message: str, expected: str, suggestion: str | None = None) -> SpecError:
        return SpecError(message, ORIGIN.at(self.text, node.pos), expected=expected, suggestion=suggestion)

    def read(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, Name):
            if node.id not in self.allowed:
                raise self.fail(node, f"unknown name '{node.id}'", "a name listed by `lstmsym grad " + self.cell.name + "`",
                                did_you_mean(node.id, self.allowed))
            return sympy.Symbol(node.id)
        if isinstance(node, Neg):
            return -self.read(node.operand)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Transpose):
            raise self.fail(node, "a transpose outside 'W.T @ v'", "W.T @ v for a transposed product")
        return self.binop(node)

    def call(self, node: Call) -> sympy.Expr:
        arity = EXTRA_FUNCTIONS.get(node.func) or (functions.FUNCTIONS[node.func].arity if node.func in functions.FUNCTIONS else None)
        if arity is None:
            known = list(functions.SPEC_FUNCTIONS) + list(EXTRA_FUNCTIONS)
            raise self.fail(node, f"unknown function '{node.func}'", "one of " + ", ".join(sorted(known)), did_you_mean(node.func, known))
        if len(node.args) != arity:
            raise self.fail(node, f"{node.func}() takes {arity} argument(s), found {len(node.args)}", f"{arity} argument(s)")
        args = [self.read(a) for a in node.args]
        if node.func == "outer":
            return Outer(*args)
        if node.func == "sum":
            return SumUnits(args[0])
        return functions.apply(node.func, args)

    def binop(self, node: BinOp) -> sympy.Expr:
        if node.op == "@":
            transposed = isinstance(node.left, Transpose)
            matrix = node.left.operand if transposed else node.left
            if not isinstance(matrix, Name) or matrix.id not in self.matrices:
                raise self.fail(node, "the left of '@' is not a matrix parameter", "W @ v or W.T @ v with W one of "
                                + ", ".join(sorted(self.matrices)))
            return (MatTVec if transposed else MatVec)(sympy.Symbol(matrix.id), self.read(node.right))
        if node.op == "**":
            self.check_exponent(node)
        left, right = self.read(node.left), self.read(node.right)
        return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                "/": lambda: left / right, "**": lambda: left**right}[node.op]()


    def check_exponent(self, node: BinOp) -> None:
        """The same rule as in specs: a small numeric exponent (so nothing can expand without bound)."""
        from .infer import MAX_EXPONENT

        exponent = node.right.operand if isinstance(node.right, Neg) else node.right
        if not isinstance(exponent, Num):
            raise self.fail(node, "the exponent of '**' is not a number", "a numeric exponent such as x ** 2")
        value = exponent.value
        if abs(value.numerator) > MAX_EXPONENT or value.denominator > MAX_EXPONENT:
            raise self.fail(node, f"the exponent {value} of '**' is out of range",
                            f"a small exponent: a fraction p/q with |p| and q at most {MAX_EXPONENT}")


def target_statement(cell: Cell, back: Backward, wrt: str) -> tuple[str, sympy.Expr]:
    """The derived adjoint of `wrt` (a quantity, a parameter's step contribution, or a d_ name)."""
    name = wrt[2:] if wrt.startswith("d_") else wrt
    for st in back.statements:
        if st.of == name:
            return st.target, st.expr
    if name in back.adjoint:
        return f"d_{name}", back.adjoint[name]
    choices = sorted({st.of for st in back.statements} | set(back.adjoint))
    raise UsageError(f"--wrt '{wrt}' is not a quantity of cell '{cell.name}'; expected one of {', '.join(choices)}"
                     + (f"; {did_you_mean(name, choices)}" if did_you_mean(name, choices) else ""))


def expand(expr: sympy.Expr, back: Backward) -> sympy.Expr:
    """Substitute derived adjoints until only incoming adjoints and forward quantities remain."""
    definitions = {st.symbol: st.expr for st in back.statements}
    for _ in range(len(definitions) + 1):
        new = expr.xreplace(definitions)
        if new == expr:
            return expr
        expr = new
    return expr


@dataclass
class Verdict:
    equivalent: bool
    reason: str
    correct: str
    expanded: str
    counterexample: str = ""
    difference: str = ""


def sample(cell: Cell, back: Backward, rng: np.random.Generator) -> tuple[dict, dict[str, int]]:
    """A random point: sizes, parameters, inputs, incoming adjoints, and everything derived from them."""
    sizes = concrete_sizes(cell, rng, 2, 3)
    env = forward_env(cell, random_params(cell, sizes, rng), rng.normal(size=sizes[cell.input_size]),
                      {s.name: rng.normal(size=sizes[s.size]) for s in cell.states}, sizes)
    for name in back.incoming:
        base = name[2:-3]
        env[name] = rng.normal(size=sizes[cell.shapes[base][0]])
    for st in back.statements:
        env[st.target] = evaluate(st.expr, env)
    return env, sizes


def compare(cell: Cell, back: Backward, user: sympy.Expr, target: str, derived: sympy.Expr, points: int, seed: int) -> Verdict:
    notation = Notation(cell)
    correct, full = text(derived, notation), text(expand(derived, back), notation)
    difference = sympy.expand(expand(derived, back) - expand(user, back))
    if difference == 0 or sympy.simplify(functions.to_standard(difference)) == 0:
        return Verdict(True, "symbolic: the difference simplifies to 0", correct, full)
    rng = np.random.default_rng(seed)
    for index in range(points):
        env, sizes = sample(cell, back, rng)
        want = np.asarray(evaluate(derived, env))
        try:
            got = np.asarray(evaluate(user, env))
        except ValueError as exc:
            return Verdict(False, f"the formula cannot be evaluated: {exc}", correct, full)
        if got.shape != want.shape or not np.allclose(got, want, rtol=RTOL, atol=RTOL * max(1.0, float(np.max(np.abs(want))))):
            return Verdict(False, f"they differ at random point {index + 1}", correct, full,
                           _counterexample(user, derived, env, sizes, got, want), _missing(cell, back, difference, notation, target[2:]))
    return Verdict(True, f"numeric: equal at {points} random points (relative tolerance {RTOL:g})", correct, full)


def _counterexample(user, derived, env, sizes, got, want) -> str:
    names = sorted({s.name for e in (user, derived) for s in e.free_symbols})
    lines = ["sizes: " + ", ".join(f"{k}={v}" for k, v in sizes.items())]
    for name in names:
        value = np.asarray(env[name])
        if value.size <= 9:
            lines.append(f"{name} = {np.array2string(value, precision=4, separator=', ')}")
    lines.append(f"your formula gives {np.array2string(got, precision=6, separator=', ')}")
    lines.append(f"the derived one gives {np.array2string(want, precision=6, separator=', ')}")
    return "\n".join(lines)


def route(cell: Cell, start: str, goal: str) -> list[str]:
    """Forward path start -> ... -> goal through the equations (quantities that read each other)."""
    readers: dict[str, list[str]] = {}
    for node in cell.value_nodes:
        for symbol in sorted(node.expr.free_symbols, key=lambda s: s.name):
            term = cell.linear.get(symbol.name)
            source = term.vector if term is not None else symbol.name
            readers.setdefault(source, []).append(node.name)
    frontier, seen = [[start]], {start}
    while frontier:
        path = frontier.pop(0)
        if path[-1] == goal:
            return [p for p in path if not p.endswith("_bar")]
        for nxt in readers.get(path[-1], []):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(path + [nxt])
    return []


def _missing(cell: Cell, back: Backward, difference: sympy.Expr, notation: Notation, wrt: str = "") -> str:
    """The terms the formula lacks (or has extra), with the path each one travels."""
    terms = sympy.Add.make_args(sympy.factor_terms(difference)) if difference != 0 else ()
    if not terms or len(terms) > 8:
        return ""
    lines = []
    for term in terms:
        sources = sorted(s.name[2:-3] for s in term.free_symbols if s.name.startswith("d_") and s.name.endswith("_in"))
        paths = [" -> ".join(route(cell, wrt, src)) for src in sources if route(cell, wrt, src)]
        route_text = f" (carried by the adjoint arriving at {', '.join(sources)}" + (
            f"; path {'; '.join(paths)})" if paths else ")") if sources else ""
        sign = "missing" if not term.could_extract_minus_sign() else "extra"
        lines.append(f"{sign} term: {text(-term if sign == 'extra' else term, notation)}{route_text}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    cell = load(args.cell)
    back = Backward(cell)
    if args.points < 1:
        raise UsageError(f"--points must be at least 1, got {args.points}")
    target, derived = target_statement(cell, back, args.wrt)
    user = FormulaReader(cell, back, args.formula).read(parse_expression(args.formula, ORIGIN))
    verdict = compare(cell, back, user, target, derived, args.points, args.seed)
    if verdict.equivalent:
        print(f"equivalent: {target} = {args.formula}\n  {verdict.reason}")
        return 0
    print(f"not equivalent: {target} != {args.formula}\n  {verdict.reason}")
    if verdict.difference:
        print("\n".join("  " + line for line in verdict.difference.splitlines()))
    if verdict.counterexample:
        print("counterexample:\n" + "\n".join("  " + line for line in verdict.counterexample.splitlines()))
    print(f"correct formula:\n  {target} = {verdict.correct}")
    if verdict.expanded != verdict.correct:
        print(f"  in terms of the incoming adjoints: {target} = {verdict.expanded}")
    return 1


__all__ = ["run", "compare", "Statement", "Transposed"]
