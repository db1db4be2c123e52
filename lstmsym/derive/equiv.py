"""Are two write-ups the same cell? A search for a mapping of B's parameters onto A's under which B computes
A's function, by unifying their fully inlined state updates.

What the search finds: renamed parameters and quantities, a parameter written as a sum of several (a merged
bias against PyTorch's pair: the extra one maps to 0), sign changes (a gate written as 1 - z is σ(-u), so its
weights and bias change sign), transposed matrices, terms in any order, and a parameter of B that A lacks
(mapped to 0, which makes A a special case of B). What it cannot find: permutations of hidden units (the
states would come out permuted), rescalings other than ±1, and identities beyond those (e.g. tanh(u) =
2σ(2u) - 1). A "not equivalent" verdict is therefore "no mapping of this kind", and comes with a numerical
counterexample; an "equivalent" verdict is checked symbolically and numerically.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..model.vector_ops import Transposed
from .inline import Side, expand_all, inline
from .unify import B_PREFIX, Mapping, Unifier

__all__ = ["B_PREFIX", "Mapping", "SCOPE", "Verdict", "equivalence", "match_names", "proved"]

#: What the search covers, said wherever a verdict is shown.
SCOPE = ("renaming, parameters written as sums (an extra one maps to 0), sign changes (1 - sigmoid(u) = sigmoid(-u)), "
         "transposes, parameters one cell lacks (0); not searched: permutations of hidden units, other rescalings, "
         "other identities of the functions")


# -- the verdict ----------------------------------------------------------------------------------------
@dataclass
class Verdict:
    a: str
    b: str
    equivalent: bool
    alias: bool = False
    mapping: dict[str, str] = field(default_factory=dict)           # B's parameter -> expression in A's
    inverse: dict[str, str] = field(default_factory=dict)           # A's parameter -> expression in B's
    special_case: str = ""                                          # "A is B with ..." when only one direction holds
    parts_at: str = ""
    parts_a: str = ""
    parts_b: str = ""
    reason: str = ""
    parts_exprs: tuple | None = None    # the two sub-expressions where the unification gave up
    forward: Mapping | None = None      # the SymPy mapping behind `mapping` (B's parameters from A's)
    backward: Mapping | None = None


def match_names(a, b) -> tuple[dict[str, str], str]:
    """B's inputs and states renamed to A's (by name where both have it, else in order of declaration)."""
    rename = {}
    if len(a.inputs) != len(b.inputs) or len(a.states) != len(b.states):
        return {}, (f"{a.name} has {len(a.inputs)} input(s) and {len(a.states)} state(s), "
                    f"{b.name} has {len(b.inputs)} and {len(b.states)}")
    for x, y in zip(a.inputs, b.inputs):
        if len(x.shape) != len(y.shape):
            return {}, f"input {x.name} has rank {len(x.shape)} in {a.name}, {y.name} rank {len(y.shape)} in {b.name}"
        rename[y.name] = x.name
    a_states = {s.name: s for s in a.states}
    pairs = [(a_states[s.name], s) for s in b.states if s.name in a_states]
    rest_a = [s for s in a.states if s.name not in {p[1].name for p in pairs}]
    rest_b = [s for s in b.states if s.name not in a_states]
    pairs += list(zip(rest_a, rest_b))
    for x, y in pairs:
        if len(x.shape) != len(y.shape):
            return {}, f"state {x.name} has rank {len(x.shape)} in {a.name}, {y.name} rank {len(y.shape)} in {b.name}"
        rename[y.previous] = x.previous
        rename[y.name] = x.name
    for size_a, size_b in ((a.input_size, b.input_size),):
        rename[f"size:{size_b}"] = f"size:{size_a}"
    return rename, ""


def one_way(a_side: Side, b_side: Side, pairs: list[tuple[str, str]]) -> tuple[Mapping | None, Unifier]:
    unifier = Unifier()
    mapping: Mapping = {}
    for name_a, name_b in pairs:
        unifier.state = name_a
        mapping = unifier.unify(a_side.exprs[name_a], b_side.exprs[name_b], mapping)
        if mapping is None:
            return None, unifier
    for p in b_side.cell.parameters:
        mapping.setdefault(sympy.Symbol(B_PREFIX + p.name), sympy.S.Zero)
    return mapping, unifier


def unprefixed(expr: sympy.Expr) -> sympy.Expr:
    """The expression with its parameters named as their cell names them."""
    return expr.xreplace({s: sympy.Symbol(s.name.split(".", 1)[1]) for s in expr.free_symbols
                          if s.name.startswith(("A.", B_PREFIX))})


def _shown(expr: sympy.Expr) -> str:
    """A mapping's right-hand side as text: parameters by their names, W.T for a transpose."""
    expr = expr.replace(lambda e: isinstance(e, Transposed) and e.args[0].is_Symbol,
                        lambda e: sympy.Symbol(f"{e.args[0].name}.T"))
    return str(unprefixed(expr))


def _sides(target, pattern) -> tuple[Side, Side, list[tuple[str, str]], str]:
    rename, reason = match_names(target, pattern)
    if reason:
        return None, None, [], reason
    a_side = inline(target, "A.", {})
    b_side = inline(pattern, B_PREFIX, rename)
    shown = [rename.get(o, o) for o in pattern.outputs]
    if [o for o in shown if o in {s.name for s in target.states}] != [o for o in target.outputs if o in {s.name for s in target.states}]:
        return None, None, [], f"{target.name} outputs {', '.join(target.outputs)} and {pattern.name} outputs {', '.join(pattern.outputs)}"
    pairs = [(rename.get(s.name, s.name), s.name) for s in pattern.states]
    outputs_a = [o for o in target.outputs if o not in {s.name for s in target.states}]
    outputs_b = [o for o in pattern.outputs if o not in {s.name for s in pattern.states}]
    if len(outputs_a) != len(outputs_b):
        return None, None, [], f"{target.name} has {len(outputs_a)} output(s) besides its states, {pattern.name} has {len(outputs_b)}"
    pairs += list(zip(outputs_a, outputs_b))
    return a_side, b_side, pairs, ""


def proved(target, pattern, mapping: Mapping) -> bool:
    """Every state and output of the pattern, with the mapping substituted, equals the target's (symbolically)."""
    a_side, b_side, pairs, reason = _sides(target, pattern)
    if reason:
        return False
    return all(sympy.expand(expand_all(a_side.exprs[x]) - expand_all(b_side.exprs[y].xreplace(mapping))) == 0 for x, y in pairs)


def equivalence(a, b) -> Verdict:
    """The verdict on cells a and b (model Cells): equivalent with both mappings, one a special case of the
    other, or not equivalent with where their equations part."""
    if a.spec.source == b.spec.source and a.spec.text == b.spec.text:
        return Verdict(a.name, b.name, True, alias=True, reason="the same spec (one name is an alias)")
    a_side, b_side, pairs, reason = _sides(a, b)
    if reason:
        return Verdict(a.name, b.name, False, reason=reason)
    forward, unifier = one_way(a_side, b_side, pairs)
    b_side2, a_side2, pairs2, _ = _sides(b, a)
    backward, unifier2 = one_way(b_side2, a_side2, pairs2)
    if forward is not None and not proved(a, b, forward):
        forward = None
    if backward is not None and not proved(b, a, backward):
        backward = None
    verdict = Verdict(a.name, b.name, forward is not None and backward is not None, forward=forward, backward=backward)
    if forward is not None:
        verdict.mapping = {str(k)[len(B_PREFIX):]: _shown(v) for k, v in sorted(forward.items(), key=lambda kv: str(kv[0]))}
    if backward is not None:
        verdict.inverse = {str(k)[len(B_PREFIX):]: _shown(v) for k, v in sorted(backward.items(), key=lambda kv: str(kv[0]))}
    if verdict.equivalent:
        return verdict
    if forward is not None:
        zeros = [k for k, v in verdict.mapping.items() if v == "0"]
        verdict.special_case = f"every {a.name} is a {b.name}" + (f" (with {', '.join(zeros)} = 0)" if zeros else "") + \
            f", but not every {b.name} is a {a.name}"
    elif backward is not None:
        zeros = [k for k, v in verdict.inverse.items() if v == "0"]
        verdict.special_case = f"every {b.name} is a {a.name}" + (f" (with {', '.join(zeros)} = 0)" if zeros else "") + \
            f", but not every {a.name} is a {b.name}"
    failure = unifier.failure
    verdict.parts_at = failure.state
    verdict.parts_a = _shown(failure.a) if failure.a is not None else ""
    verdict.parts_b = _shown(failure.b) if failure.b is not None else ""
    verdict.parts_exprs = (unprefixed(failure.a), unprefixed(failure.b)) if failure.a is not None else None
    verdict.reason = "no mapping of parameters (renaming, sums, signs, transposes) makes them equal"
    return verdict
