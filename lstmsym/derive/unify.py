"""Unification of two inlined expressions: the mapping of B's parameters (symbols named B.<name>) onto
expressions in A's under which B's expression equals A's."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from ..model.functions import ElementwiseBase
from ..model.vector_ops import Conv, MatVec, Outer, SumUnits, Transposed
from .inline import expand_all, normalize

Mapping = dict[sympy.Symbol, sympy.Expr]
B_PREFIX = "B."


def substitute(expr: sympy.Expr, mapping: Mapping) -> sympy.Expr:
    return normalize(expr.xreplace(mapping)) if mapping else expr


def unknowns(expr: sympy.Expr, mapping: Mapping) -> set[sympy.Symbol]:
    return {s for s in expr.free_symbols if s.name.startswith(B_PREFIX) and s not in mapping}


@dataclass
class Failure:
    """Where the unification gave up: the state being matched and the two sub-expressions."""

    state: str = ""
    a: sympy.Expr | None = None
    b: sympy.Expr | None = None
    score: tuple = (-1, -1)


# -- unification ----------------------------------------------------------------------------------------
class Unifier:
    """Finds B-parameter -> A-expression mappings under which B's expression equals A's."""

    def __init__(self) -> None:
        self.failure = Failure()
        self.state = ""

    def fail(self, a, b, depth: int) -> None:
        if a == 0 or b == 0:
            return
        score = (int(a.func == b.func), depth)
        if score > self.failure.score:
            self.failure = Failure(self.state, a, b, score)

    def unify(self, a: sympy.Expr, b: sympy.Expr, mapping: Mapping, depth: int = 0) -> Mapping | None:
        b = substitute(b, mapping)
        if not unknowns(b, mapping):
            if sympy.expand(expand_all(a) - expand_all(b)) == 0:
                return mapping
            self.fail(a, b, depth)
            return None
        if self.linear(a) or self.linear(b):
            return self.unify_linear(a, b, mapping, depth)
        if isinstance(a, ElementwiseBase) and type(a) is type(b) or (isinstance(a, (SumUnits, Outer, Conv)) and type(a) is type(b)):
            for x, y in zip(a.args, b.args):
                mapping = self.unify(x, y, mapping, depth + 1)
                if mapping is None:
                    return None
            return mapping
        if a.is_Mul and b.is_Mul:
            return self.unify_products(a, b, mapping, depth)
        if a.is_Add and b.is_Add:
            return self.unify_sums(list(a.args), list(b.args), mapping, depth)
        if a.func == b.func and len(a.args) == len(b.args) and a.args:
            for x, y in zip(a.args, b.args):
                mapping = self.unify(x, y, mapping, depth + 1)
                if mapping is None:
                    return None
            return mapping
        self.fail(a, b, depth)
        return None

    @staticmethod
    def linear(expr: sympy.Expr) -> bool:
        """A sum with a parameter-linear term (a bias, a diagonal weight, a matrix product)."""
        return any(_atom(t) is not None for t in sympy.Add.make_args(expr))

    def unify_products(self, a, b, mapping, depth):
        """Factors matched within their kind (the same function, power, symbol...), in every order."""
        ca, fa = a.as_coeff_mul()
        cb, fb = b.as_coeff_mul()
        kinds_a, kinds_b = _by_kind(fa), _by_kind(fb)
        if ca != cb or {k: len(v) for k, v in kinds_a.items()} != {k: len(v) for k, v in kinds_b.items()}:
            self.fail(a, b, depth)
            return None
        keys = sorted(kinds_a)
        orders = [list(itertools.permutations(kinds_b[k])) for k in keys]
        if any(len(o) > 120 for o in orders):
            self.fail(a, b, depth)
            return None
        for choice in itertools.product(*orders):
            trial = dict(mapping)
            for key, order in zip(keys, choice):
                for x, y in zip(kinds_a[key], order):
                    trial = self.unify(x, y, trial, depth + 1)
                    if trial is None:
                        break
                if trial is None:
                    break
            if trial is not None:
                return trial
        return None

    def unify_sums(self, terms_a, terms_b, mapping, depth):
        if len(terms_a) != len(terms_b) or len(terms_a) > 6:
            self.fail(sympy.Add(*terms_a), sympy.Add(*terms_b), depth)
            return None
        if not terms_a:
            return mapping
        first = terms_a[0]
        for index, candidate in enumerate(terms_b):
            trial = self.unify(first, candidate, dict(mapping), depth + 1)
            if trial is not None:
                rest = self.unify_sums(terms_a[1:], terms_b[:index] + terms_b[index + 1:], trial, depth)
                if rest is not None:
                    return rest
        return None

    def unify_linear(self, a, b, mapping, depth):
        """Group each side's terms by what multiplies the parameter (the vector of a matrix product, the other
        factors); match the groups; solve each group's linear equation for B's unknown parameters."""
        groups_a, rest_a = _groups(a)
        groups_b, rest_b = _groups(b)
        mapping = self.unify_sums(rest_a, rest_b, mapping, depth)
        if mapping is None:
            self.fail(a, b, depth)
            return None
        used: set[int] = set()
        for key_b, atoms_b in groups_b:
            found = None
            for index, (key_a, atoms_a) in enumerate(groups_a):
                if index in used or key_a[0] != key_b[0]:
                    continue
                trial = self.unify_keys(key_a, key_b, dict(mapping), depth + 1)
                if trial is not None:
                    found = (index, trial)
                    break
            if found is None:
                trial = self.zero(atoms_b, mapping)
                if trial is None:
                    self.fail(a, b, depth)
                    return None
                mapping = trial
                continue
            index, mapping = found
            used.add(index)
            mapping = self.solve(groups_a[index][1], atoms_b, mapping)
            if mapping is None:
                self.fail(a, b, depth)
                return None
        if len(used) != len(groups_a):
            missing = [groups_a[k] for k in range(len(groups_a)) if k not in used]
            if any(sympy.expand(sympy.Add(*[c * p for c, p in atoms])) != 0 for _, atoms in missing):
                self.fail(a, b, depth)
                return None
        return mapping

    def unify_keys(self, key_a, key_b, mapping, depth):
        for x, y in zip(key_a[1:], key_b[1:]):
            mapping = self.unify(x, y, mapping, depth)
            if mapping is None:
                return None
        return mapping

    @staticmethod
    def zero(atoms_b, mapping) -> Mapping | None:
        """A group of B with no counterpart in A: its parameters must all be free, and become 0."""
        out = dict(mapping)
        for _, param in atoms_b:
            base = _base(param)
            if not base.name.startswith(B_PREFIX):
                return None
            if base in out and out[base] != 0:
                return None
            out[base] = sympy.S.Zero
        return out

    @staticmethod
    def solve(atoms_a, atoms_b, mapping) -> Mapping | None:
        """Σ c_b P_b = Σ c_a P_a: atom by atom where the terms pair up (same coefficient and transposition),
        else the first unknown of B takes what the known part leaves and the others are 0."""
        paired = Unifier.pairwise(atoms_a, atoms_b, mapping)
        if paired is not None:
            return paired
        return Unifier.linear_solve(atoms_a, atoms_b, mapping)

    @staticmethod
    def pairwise(atoms_a, atoms_b, mapping) -> Mapping | None:
        if len(atoms_a) != len(atoms_b) or len(atoms_a) > 6:
            return None
        for order in itertools.permutations(atoms_a):
            out = dict(mapping)
            for (cb, pb), (ca, pa) in zip(atoms_b, order):
                if cb != ca or isinstance(pb, Transposed) != isinstance(pa, Transposed):
                    break
                base_b, base_a = _base(pb), _base(pa)
                if base_b in out:
                    if out[base_b] != base_a:
                        break
                elif base_b.name.startswith(B_PREFIX):
                    out[base_b] = base_a
                elif base_b != base_a:
                    break
            else:
                return out
        return None

    @staticmethod
    def linear_solve(atoms_a, atoms_b, mapping) -> Mapping | None:
        target = sympy.Add(*[c * p for c, p in atoms_a])
        known, free = sympy.S.Zero, []
        for c, p in atoms_b:
            base = _base(p)
            if base.name.startswith(B_PREFIX) and base not in mapping:
                free.append((c, p))
            else:
                known += c * p.xreplace(mapping)
        if not free:
            return mapping if sympy.expand(target - known) == 0 else None
        out = dict(mapping)
        (c, p), others = free[0], free[1:]
        for _, q in others:
            out[_base(q)] = sympy.S.Zero
        value = (target - known) / c
        out[_base(p)] = _transposed(value) if isinstance(p, Transposed) else value
        return out


def _by_kind(factors) -> dict[str, list]:
    """Factors grouped by what they are (a parameter, another symbol, a function by name, a power, ...)."""
    out: dict[str, list] = {}
    for f in factors:
        kind = "param" if _is_param(f) else ("symbol" if f.is_Symbol else type(f).__name__)
        out.setdefault(kind, []).append(f)
    return out


def _base(param: sympy.Expr) -> sympy.Symbol:
    return param.args[0] if isinstance(param, Transposed) else param


def _transposed(expr: sympy.Expr) -> sympy.Expr:
    return sympy.Add(*[c * (t.args[0] if isinstance(t, Transposed) else Transposed(t))
                       for c, t in (term.as_coeff_Mul() for term in sympy.Add.make_args(sympy.expand(expr)))])


def _is_param(expr: sympy.Expr) -> bool:
    base = _base(expr)
    return base.is_Symbol and (base.name.startswith(B_PREFIX) or base.name.startswith("A."))


def _atom(term: sympy.Expr):
    """(coefficient, parameter, key) of a parameter-linear term, or None. key = ('mat', vector, factor) for
    c·F·(P @ v), ('elt', factor) for c·F·P."""
    coeff, rest = term.as_coeff_Mul()
    factors = list(sympy.Mul.make_args(rest))
    for index, factor in enumerate(factors):
        others = sympy.Mul(*(factors[:index] + factors[index + 1:]))
        if isinstance(factor, MatVec) and _is_param(factor.args[0]):
            return coeff, factor.args[0], ("mat", factor.args[1], others)
        if _is_param(factor):
            return coeff, factor, ("elt", others)
    return None


def _has_param(expr: sympy.Expr) -> bool:
    return any(_is_param(s) for s in expr.free_symbols)


def _groups(expr: sympy.Expr):
    """Parameter-linear terms grouped by key, and the other terms."""
    groups: list[tuple[tuple, list]] = []
    rest = []
    for term in sympy.Add.make_args(sympy.expand(expr) if False else expr):
        found = _atom(term)
        if found is None:
            rest.append(term)
            continue
        coeff, param, key = found
        for existing_key, atoms in groups:
            if existing_key == key:
                atoms.append((coeff, param))
                break
        else:
            groups.append((key, [(coeff, param)]))
    return groups, rest


