"""`check`: is a hand-derived gradient formula right? Decided numerically first (shapes at sizes where every
dimension differs, then values at random points), so a wrong formula is answered as fast as a right one. If
it is wrong, the answer names what is missing and what is extra, each term with the path it travels."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import sympy

from ..base.errors import UsageError, did_you_mean
from ..derive.derived import Derived
from ..model.ir import MatrixExpr
from ..model.vector_ops import LossGrad, MatTVec, MatVec, Next, Outer, Transposed
from ..printing.notation import Notation
from ..printing.text import text
from ..spec.naming import adjoint_base, adjoint_key, incoming_base, value_key
from .formula import read_formula
from .interpret import NumericInterpreter
from .sampling import random_params, unit_shape

RTOL = 1e-9
POINTS = 6
BPTT_STEPS = 3


@dataclass
class Verdict:
    equivalent: bool
    reason: str
    target: str
    correct: str
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    counterexample: str = ""


def distinct_sizes(derived: Derived) -> dict[str, int]:
    """Sizes where every dimension differs (so a missing transpose shows), obeying the size rules."""
    rules = derived.cell.size_rules
    for start in range(2, 12):
        sizes = {name: start + 1 + 2 * index for index, name in enumerate(rules.names)}
        for name in rules.kernel_sizes:
            sizes[name] = 3
        try:
            rules.check(sizes)
            return sizes
        except UsageError:
            continue
    return rules.verify_sizes()


def target_statement(derived: Derived, notation: Notation, wrt: str):
    """The statement or recurrence a formula is for, named as `grad` prints it (d_c_prev, d(r * h_prev),
    d_h_in) or by its quantity (c_prev, W_f, h_tilde_bar)."""
    back = derived.backward
    names: dict[str, tuple[str, sympy.Expr]] = {}
    for st in back.statements:
        names.setdefault(text(st.symbol, notation), (st.target, st.expr))
        names.setdefault(text(sympy.Symbol(st.of), notation).strip("()"), (st.target, st.expr))
    for rec in derived.bptt.recurrences:
        names.setdefault(text(rec.symbol, notation), (rec.incoming, rec.expr))
    for key, expr in back.adjoint.items():
        if expr != 0 and not isinstance(derived.cell.node(key) if derived.cell.has_node(key) else None, MatrixExpr):
            shown = text(sympy.Symbol(key), notation).strip("()")
            names.setdefault(shown, (adjoint_key(key), expr))
    wanted = wrt.strip()
    if wanted in names:
        return names[wanted]
    choices = sorted(name for name in names if not name.startswith("d"))
    hint = did_you_mean(wanted, list(names))
    raise UsageError(f"--wrt '{wrt}' is not a quantity of cell '{derived.cell.name}'; expected one of {', '.join(choices)}"
                     + (f"; {hint}" if hint else ""))


class Points:
    """Random points of one step (or a short sequence for BPTT formulas), with every derived adjoint."""

    def __init__(self, derived: Derived, sizes: dict[str, int], seed: int, steps: int = 1) -> None:
        self.derived, self.sizes = derived, sizes
        cell = derived.cell
        rng = np.random.default_rng(seed)
        self.interpreter = NumericInterpreter(cell, sizes)
        params = {k: v for k, v in random_params(cell, sizes, rng).items()}
        xs = [{i.name: rng.normal(size=unit_shape(i.shape, sizes)) for i in cell.inputs} for _ in range(steps)]
        initial = {s.name: rng.normal(0, 0.5, size=unit_shape(s.shape, sizes)) for s in cell.states}
        with np.errstate(all="raise"):
            self.envs = self.interpreter.run_forward(params, xs, initial)
        self.dys = [{o: rng.normal(size=unit_shape(cell.shapes[o], sizes)) for o in cell.outputs} for _ in range(steps)]
        self.dstate = {s.name: rng.normal(size=unit_shape(s.shape, sizes)) for s in cell.states}
        self.fill_adjoints()

    def fill_adjoints(self) -> None:
        back, bptt = self.derived.backward, self.derived.bptt
        carry: dict[str, object] = {}
        carries = {st.expr: st.target for st in back.by_kind("carry")}
        for t in range(len(self.envs) - 1, -1, -1):
            env = self.envs[t]
            for rec in bptt.recurrences:
                final = self.dstate if t == len(self.envs) - 1 else None
                env[rec.incoming] = self.interpreter.recurrence(rec.expr, self.dys[t], final, carry, carries, rec.name)
            for st in back.statements:
                env[st.target] = self.interpreter.evaluate(st.expr, env) if st.expr != 0 else np.zeros(())
            carry = {target: env[target] for target in carries.values()}

    def value(self, expr: sympy.Expr, t: int = 0) -> np.ndarray:
        """expr at step t; next(e) is e at step t+1 (the final state's adjoint at the last step), dloss_y is dy_t."""
        env = dict(self.envs[t])
        mapping = {}
        for index, sub in enumerate(sorted(expr.atoms(Next, LossGrad), key=sympy.default_sort_key)):
            name = f"_at{index}"
            if isinstance(sub, LossGrad):
                env[name] = self.dys[t][sub.args[0].name]
            elif t + 1 < len(self.envs):
                env[name] = self.interpreter.evaluate(sub.args[0], self.envs[t + 1])
            else:
                env[name] = self.final_carry(sub.args[0])
            mapping[sub] = sympy.Symbol(name)
        with np.errstate(all="ignore"):
            return np.asarray(self.interpreter.evaluate(expr.xreplace(mapping), env), dtype=float)

    def final_carry(self, expr: sympy.Expr) -> np.ndarray:
        for st in self.derived.backward.by_kind("carry"):
            if st.expr == expr:
                return self.dstate[self.derived.cell.state_of_previous[st.of].name]
        return np.zeros(())


def close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(1.0, float(np.max(np.abs(b))) if np.size(b) else 1.0)
    return np.shape(a) == np.shape(b) and bool(np.allclose(a, b, rtol=RTOL, atol=RTOL * scale))


def ratio(got: np.ndarray, want: np.ndarray) -> sympy.Rational | None:
    """c when got = c * want for a simple number c other than 0 and 1 (else None)."""
    if np.shape(got) != np.shape(want) or not np.any(want):
        return None
    c = float(np.dot(np.ravel(got), np.ravel(want)) / np.dot(np.ravel(want), np.ravel(want)))
    simple = sympy.nsimplify(round(c * 12) / 12)
    if simple in (0, 1) or not close(got, float(simple) * want):
        return None
    return simple


def expand_matrices(expr: sympy.Expr, derived: Derived) -> sympy.Expr:
    """Products with a matrix expression written out term by term, and products distributed over sums, so
    terms can be compared one by one: (W - W^T)^T d -> W^T d - W d."""
    nodes = {n.key: n for n in derived.cell.nodes if isinstance(n, MatrixExpr)}

    def terms_of(matrix: sympy.Expr):
        if matrix.is_Symbol and matrix.name in nodes:
            for t in nodes[matrix.name].terms:
                yield t.coef, sympy.Symbol(t.source), t.transposed
        elif isinstance(matrix, Transposed):
            for coef, source, flipped in terms_of(matrix.args[0]):
                yield coef, source, not flipped
        elif matrix.is_Add:
            for part in matrix.args:
                yield from terms_of(part)
        elif matrix.is_Mul and matrix.as_coeff_Mul()[0] != 1:
            coef, rest = matrix.as_coeff_Mul()
            for c, source, flipped in terms_of(rest):
                yield coef * c, source, flipped
        else:
            yield sympy.S.One, matrix, False

    def rewrite(e: sympy.Expr) -> sympy.Expr:
        if isinstance(e, (MatVec, MatTVec)):
            vector = sympy.expand(rewrite(e.args[1]))
            out = []
            for coef, source, flipped in terms_of(e.args[0]):
                transposed_use = isinstance(e, MatTVec) != flipped
                for part in sympy.Add.make_args(vector):
                    factor, rest = part.as_coeff_Mul()
                    op = MatTVec if transposed_use else MatVec
                    out.append(coef * factor * op(source, rest))
            return sympy.Add(*out)
        if e.args:
            return e.func(*[rewrite(a) for a in e.args])
        return e

    return sympy.expand(rewrite(expr))


class Explainer:
    """Which terms of the derived formula a wrong formula lacks or adds, matched by their values."""

    def __init__(self, derived: Derived, notation: Notation, points: list[Points], t_values) -> None:
        self.derived, self.notation, self.points, self.values = derived, notation, points, t_values

    def signature(self, expr: sympy.Expr) -> np.ndarray:
        return np.concatenate([np.ravel(self.values(p, expr)) for p in self.points])

    def match(self, derived_terms: list, user_terms: list) -> tuple[list, list]:
        """Pair terms with equal values; a term written c times over (c a simple number) leaves (c - 1) of it
        as extra (or missing)."""
        left = [(t, self.signature(t)) for t in derived_terms if t != 0]
        right = [(t, self.signature(t)) for t in user_terms if t != 0]
        missing, extra = [], []
        for term, sig in left:
            found = next((i for i, (_, s) in enumerate(right) if close(s, sig)), None)
            if found is not None:
                right.pop(found)
                continue
            scaled = next(((i, r) for i, (_, s) in enumerate(right) if (r := ratio(s, sig)) is not None), None)
            if scaled is None:
                missing.append(term)
                continue
            right.pop(scaled[0])
            (extra if scaled[1] > 1 else missing).append(abs(scaled[1] - 1) * term)
        return missing, extra + [t for t, _ in right]

    def explain(self, target: str, derived_expr: sympy.Expr, user: sympy.Expr) -> tuple[list[str], list[str]]:
        """Match whole terms; where that leaves both missing and extra terms, match their expanded products,
        then with derived adjoints written out in the adjoints they are made of (as the formula may be)."""
        missing, extra = self.match(list(sympy.Add.make_args(derived_expr)), list(sympy.Add.make_args(user)))
        for rewrite in (lambda e: e, self.substitute):
            if not (missing and extra):
                break
            finer_missing, finer_extra = self.match(
                [m for t in missing for m in sympy.Add.make_args(expand_matrices(rewrite(t), self.derived))],
                [m for t in extra for m in sympy.Add.make_args(expand_matrices(rewrite(t), self.derived))])
            if len(finer_extra) < len(extra) or len(finer_missing) + len(finer_extra) < len(missing) + len(extra):
                missing, extra = finer_missing, finer_extra
        return self.describe(target, missing, derived_expr), self.describe(target, extra, None)

    def substitute(self, expr: sympy.Expr) -> sympy.Expr:
        """Derived adjoints replaced by their statements until only incoming adjoints remain."""
        definitions = {st.symbol: st.expr for st in self.derived.backward.statements}
        for _ in range(len(definitions) + 1):
            new = expr.xreplace(definitions)
            if new == expr:
                break
            expr = new
        return expr

    def describe(self, target: str, terms: list, derived_expr: sympy.Expr | None) -> list[str]:
        """One line per group of terms that travel the same path, written factored (d_c * (1 - f))."""
        groups: dict[str, list] = {}
        for term in terms:
            groups.setdefault(self.path(target, term) if derived_expr is not None else "", []).append(term)
        lines = []
        for path, group in groups.items():
            line = text(sympy.factor_terms(sympy.Add(*group)), self.notation)
            lines.append(line + (f"  (path {path})" if path else ""))
        return lines

    def path(self, target: str, term: sympy.Expr) -> str:
        """The route the term's adjoint travels: from the quantity through the consumer that produced the term."""
        key = adjoint_base(target) or target
        sources = self.derived.backward.provenance.get(key, [])
        consumer = next((c for t, c in sources if t == term or sympy.expand(t - term) == 0), None)
        for rewrite in (lambda e: e, self.substitute):
            if consumer is None:
                parts = set(sympy.Add.make_args(expand_matrices(term, self.derived)))
                consumer = next((c for t, c in sources if parts & set(sympy.Add.make_args(expand_matrices(rewrite(t), self.derived)))), None)
        if consumer is None or consumer == "in":
            return ""
        names = [self.shown(key)]
        goals = {incoming_base(s.name) for s in term.free_symbols if incoming_base(s.name)}
        for step in self.forward_chain(consumer, goals):
            if step != names[-1]:
                names.append(step)
        return " -> ".join(names)

    def shown(self, key: str) -> str:
        cell = self.derived.cell
        if cell.has_node(key):
            return cell.node(key).equation
        return self.notation.text_name(key) or key

    def forward_chain(self, key: str, goals: set[str]) -> list[str]:
        """From the consumer forward to the state or output whose incoming adjoint the term carries (the
        shortest way), or else to the first state or output reached."""
        back, cell = self.derived.backward, self.derived.cell
        ends = goals or (set(cell.outputs) | {s.name for s in cell.states})
        frontier, seen = [[key]], {key}
        while frontier:
            path = frontier.pop(0)
            if path[-1] in ends:
                return [self.shown(k) for k in path]
            nxt = [u.consumer for u in back.uses.get(path[-1], [])] + [op.key for op, _ in back.operand_of.get(path[-1], [])]
            for k in nxt:
                if k not in seen:
                    seen.add(k)
                    frontier.append(path + [k])
        return [self.shown(key)]


def check_formula(derived: Derived, notation: Notation, wrt: str, formula: str, seed: int = 0, points: int = POINTS,
                  bptt: bool = False) -> Verdict:
    """The verdict on `formula` as the adjoint of `wrt` (one step, or summed over time with bptt)."""
    target, derived_expr = target_statement(derived, notation, wrt)
    user = read_formula(derived, notation, formula)
    shown_target = text(sympy.Symbol(target), notation)
    correct = text(derived_expr, notation)
    sizes = distinct_sizes(derived)
    steps = BPTT_STEPS if bptt or user.has(Next, LossGrad) or derived_expr.has(Next) else 1
    is_param = any(st.target == target and st.kind == "param" for st in derived.backward.statements)
    samples = [Points(derived, sizes, seed + k, steps) for k in range(points)]

    def values(p: Points, expr: sympy.Expr) -> np.ndarray:
        if bptt and is_param:
            return sum(p.value(expr, t) for t in range(steps))
        return p.value(expr, 0)

    want = values(samples[0], derived_expr)
    try:
        got = values(samples[0], user)
    except ValueError:
        return Verdict(False, shape_failure(samples[0], user, notation, sizes), shown_target, correct)
    if np.shape(got) != np.shape(want) and np.size(got) != 1:
        return Verdict(False, f"shape mismatch: your formula is {shape_words(got, sizes)}, {shown_target} is "
                              f"{shape_words(want, sizes)} (sizes {', '.join(f'{k}={v}' for k, v in sizes.items())})",
                       shown_target, correct)
    for index, p in enumerate(samples):
        want, got = values(p, derived_expr), np.broadcast_to(values(p, user), np.shape(values(p, derived_expr)))
        if not close(got, want):
            missing, extra = Explainer(derived, notation, samples, values).explain(target, derived_expr, user)
            return Verdict(False, f"they differ at random point {index + 1}", shown_target, correct, missing, extra,
                           counterexample(derived, notation, p, user, derived_expr, got, want))
    how = "identical once expanded" if sympy.expand(user - derived_expr) == 0 else \
        f"equal at {points} random points (relative tolerance {RTOL:g}) at sizes {', '.join(f'{k}={v}' for k, v in sizes.items())}"
    return Verdict(True, how, shown_target, correct)


def shape_failure(p: Points, user: sympy.Expr, notation: Notation, sizes: dict[str, int]) -> str:
    """Which product of the formula does not fit, with its operands' shapes in size names."""
    for op in sorted(user.atoms(MatVec, MatTVec, Outer), key=lambda e: len(str(e))):
        try:
            p.value(op)
        except ValueError:
            parts = []
            for arg in op.args:
                try:
                    parts.append(f"{text(arg, notation)} is {shape_words(p.value(arg), sizes)}")
                except ValueError:
                    continue
            return f"shape mismatch in {text(op, notation)}: " + ", ".join(parts)
    return "shape mismatch: the formula's parts do not fit together"


def shape_words(value: np.ndarray, sizes: dict[str, int]) -> str:
    by_value = {v: k for k, v in sizes.items()}
    dims = [by_value.get(d, str(d)) for d in np.shape(value)]
    kinds = {0: "a scalar", 1: "a vector", 2: "a matrix", 3: "a feature map", 4: "a kernel"}
    return kinds.get(len(dims), "an array") + (f" of shape {' x '.join(dims)}" if dims else "")


def counterexample(derived: Derived, notation: Notation, p: Points, user, derived_expr, got, want) -> str:
    names = sorted({s.name for e in (user, derived_expr) for s in e.free_symbols})
    lines = ["sizes: " + ", ".join(f"{k}={v}" for k, v in p.sizes.items())]
    for key in names:
        value = np.asarray(p.envs[0].get(key, np.nan), dtype=float)
        if value.size <= 9:
            lines.append(f"{text(sympy.Symbol(key), notation)} = {np.array2string(value, precision=4, separator=', ')}")
    lines.append(f"your formula gives {np.array2string(np.asarray(got), precision=6, separator=', ')}")
    lines.append(f"the derived one gives {np.array2string(np.asarray(want), precision=6, separator=', ')}")
    return "\n".join(lines)


__all__ = ["Verdict", "check_formula", "value_key", "random"]
