"""Gradient flow: the state-to-state Jacobian ∂s_t/∂s_{t-1}, one block per pair of states, read off the
derived backward (so it is the same derivation `grad` prints and `verify` checks).

The carry statement of a previous state, with every intermediate adjoint substituted, is linear in the
adjoints arriving at the step: d s_{j,t-1} = Σ_i J_ijᵀ d s_{i,t}. Each J_ijᵀ is read as a sum of chains
of factors (diag(a), a matrix, its transpose) and transposed into J_ij. Blocks that pass through a
reduction, an outer product or a convolution keep their adjoint form (J_ijᵀ applied to v) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import sympy

from ..model.functions import ElementwiseBase, info_of
from ..model.ir import Elementwise
from ..model.vector_ops import LINEAR, TABLE, MatTVec, MatVec
from ..spec.naming import incoming_key

#: The vector a block is applied to in its adjoint form.
V = sympy.Symbol("flow:v")


@dataclass(frozen=True)
class Factor:
    """One factor of a chain: diag(coef) (kind 'diag') or a matrix by key (kind 'matrix'), maybe transposed."""

    kind: str
    coef: sympy.Expr = sympy.S.One
    matrix: str = ""
    transposed: bool = False

    def transpose(self) -> "Factor":
        return self if self.kind == "diag" else Factor("matrix", matrix=self.matrix, transposed=not self.transposed)


@dataclass(frozen=True)
class Block:
    """∂(state row at t)/∂(state col at t-1)."""

    row: str
    col: str
    adjoint: sympy.Expr  # J_ijᵀ applied to V, fully substituted
    chains: tuple[tuple[Factor, ...], ...] | None  # J_ij as a sum of chains (left to right), None if not in that form
    structure: str
    gates: tuple[str, ...] = field(default=())
    #: The structure as (words, names) pieces, so a document can write the names in its own notation.
    parts: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @property
    def zero(self) -> bool:
        return self.adjoint == 0


class Flow:
    """Every block of the state-to-state Jacobian of one cell."""

    def __init__(self, derived) -> None:
        self.derived, self.cell = derived, derived.cell

    @cached_property
    def gates(self) -> set[str]:
        """Quantities that are a sigmoid of something (the values a gate holds)."""
        out = set()
        for node in self.cell.value_nodes:
            expr = getattr(node, "expr", None)
            if isinstance(node, Elementwise) and isinstance(expr, ElementwiseBase) and info_of(expr).name in ("sigmoid", "hard_sigmoid"):
                out.add(node.key)
        return out

    @cached_property
    def substituted(self) -> dict[str, sympy.Expr]:
        """Each previous state's carry, in terms of the incoming adjoints and forward quantities only."""
        back = self.derived.backward
        nodes = {sympy.Symbol(st.target): st.expr for st in back.statements if st.kind == "node"}
        out = {}
        for state in self.cell.states:
            expr = back.statement_of(state.previous)
            expr = expr.expr if expr is not None else sympy.S.Zero
            for _ in range(len(nodes) + 1):
                new = expr.xreplace(nodes)
                if new == expr:
                    break
                expr = new
            out[state.name] = expr
        return out

    @cached_property
    def blocks(self) -> list[Block]:
        incoming = {s.name: sympy.Symbol(incoming_key(s.name)) for s in self.cell.states}
        outputs = {sympy.Symbol(incoming_key(o)): 0 for o in self.cell.outputs if o not in incoming}
        blocks = []
        for col in self.cell.states:
            carry = self.substituted[col.name].xreplace(outputs)
            for row in self.cell.states:
                others = {sym: 0 for name, sym in incoming.items() if name != row.name}
                adjoint = _drop_zero_operators(carry.xreplace(others).xreplace({incoming[row.name]: V}))
                chains = _chains(adjoint)
                if chains is not None:
                    chains = _merge([tuple(f.transpose() for f in reversed(chain)) for chain in chains])
                blocks.append(Block(row.name, col.name, adjoint, chains, *self.structure(adjoint, chains)))
        return blocks

    def block(self, row: str, col: str) -> Block:
        return next(b for b in self.blocks if b.row == row and b.col == col)

    def structure(self, adjoint: sympy.Expr, chains) -> tuple[str, tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
        """A name for the block's structure, the gates its diagonal part holds, and the name as (words, names)."""
        if adjoint == 0:
            return "zero", (), (("zero", ()),)
        if chains is None:
            kinds = [entry.flow for entry in TABLE if entry.flow and adjoint.has(entry.cls)]
            words = "through " + (" and ".join(sorted(set(kinds))) or "a matrix-valued state")
            return words, (), ((words, ()),)
        matrices = sorted({f.matrix for chain in chains for f in chain if f.kind == "matrix"})
        diagonal = [chain for chain in chains if all(f.kind == "diag" for f in chain)]
        gates = sorted({str(s) for chain in diagonal for f in chain for s in f.coef.free_symbols if str(s) in self.gates})
        parts: list[tuple[str, tuple[str, ...]]] = []
        if diagonal:
            if len(diagonal) == 1 and diagonal[0][0].coef == 1:
                parts.append(("identity", ()))
            elif gates:
                parts.append(("diagonal, gated by ", tuple(gates)))
            else:
                parts.append(("diagonal", ()))
        if matrices:
            parts.append(("through ", tuple(matrices)))
        return "; ".join(words + ", ".join(names) for words, names in parts), tuple(gates), tuple(parts)


def _drop_zero_operators(expr: sympy.Expr) -> sympy.Expr:
    """M @ 0 = 0 (and the same for every linear operator), which SymPy does not know of our classes."""
    for _ in range(8):
        new = expr.replace(lambda e: isinstance(e, LINEAR) and any(a == 0 for a in e.args[:2]), lambda e: sympy.S.Zero)
        if new == expr:
            return expr
        expr = new
    return expr


def _normal(chain: tuple[Factor, ...]) -> tuple[Factor, ...]:
    """Adjacent diagonals multiplied into one; diag(1) dropped next to a matrix."""
    out: list[Factor] = []
    for factor in chain:
        if factor.kind == "diag" and out and out[-1].kind == "diag":
            out[-1] = Factor("diag", out[-1].coef * factor.coef)
        else:
            out.append(factor)
    number = sympy.S.One
    for index, factor in enumerate(out):
        if factor.kind == "diag":
            coeff, rest = factor.coef.as_coeff_Mul()
            number, out[index] = number * coeff, Factor("diag", rest)
    if out[0].kind != "diag":
        out.insert(0, Factor("diag"))
    out[0] = Factor("diag", number * out[0].coef)
    kept = [f for k, f in enumerate(out) if not (f.kind == "diag" and f.coef == 1 and len(out) > 1)]
    return tuple(kept) or (Factor("diag"),)


def _merge(chains: list[tuple[Factor, ...]]) -> tuple[tuple[Factor, ...], ...]:
    """Chains that differ only in their leftmost diagonal become one, with the diagonals summed."""
    groups: dict[tuple, sympy.Expr] = {}
    for chain in map(_normal, chains):
        left = chain[0].coef if chain[0].kind == "diag" else sympy.S.One
        rest = chain[1:] if chain[0].kind == "diag" else chain
        groups[rest] = groups.get(rest, sympy.S.Zero) + left
    out = []
    for rest, coef in groups.items():
        coef = tidy(coef)
        if coef != 0:
            out.append(_normal((Factor("diag", coef),) + rest))
    return tuple(out)


def _chains(expr: sympy.Expr) -> tuple[tuple[Factor, ...], ...] | None:
    """J_ijᵀ as chains of factors (applied right to left to V), or None if expr is not of that form. Sums are
    distributed only where they hold V, so factors such as (1 - i) stay whole."""
    if expr == 0:
        return ()
    if expr == V:
        return ((Factor("diag"),),)
    if expr.is_Add:
        out: list[tuple[Factor, ...]] = []
        for term in expr.args:
            chains = _chains(term)
            if chains is None:
                return None
            out.extend(chains)
        return tuple(out)
    if expr.is_Mul:
        inner = [a for a in expr.args if a.has(V)]
        coef = sympy.Mul(*[a for a in expr.args if not a.has(V)])
        if len(inner) != 1:
            return None
        chains = _chains(inner[0])
        return None if chains is None else tuple((Factor("diag", coef),) + chain for chain in chains)
    if isinstance(expr, (MatVec, MatTVec)) and not expr.args[0].has(V) and expr.args[0].is_Symbol:
        chains = _chains(expr.args[1])
        matrix = Factor("matrix", matrix=str(expr.args[0]), transposed=isinstance(expr, MatTVec))
        return None if chains is None else tuple((matrix,) + chain for chain in chains)
    return None


@lru_cache(maxsize=4096)
def tidy(coef: sympy.Expr) -> sympy.Expr:
    """A diagonal's coefficient factored and written as derivatives read: (1 - i), (1 - tanh(c)**2). Memoised: the
    same coefficient recurs across a cell's Jacobian blocks, and sympy.factor was nearly all of their cost."""
    coef = sympy.factor(coef)
    sign, factors = sympy.S.One, []
    for factor in sympy.Mul.make_args(coef):
        base, exp = factor.as_base_exp()
        if base.is_Number:
            sign *= factor
            continue
        factors.append((base, exp))
    merged, used = [], set()
    for k, (base, exp) in enumerate(factors):
        if k in used:
            continue
        partner = next((j for j, (b, e) in enumerate(factors) if j not in used and j != k and e == exp and base.is_Add
                        and abs(sympy.expand(b - base)) == 2 and sympy.expand(b + base).is_Add is False), None)
        if partner is not None:
            used.update((k, partner))
            root = (base + factors[partner][0]) / 2
            merged.append((root**2 - 1, exp))
        else:
            merged.append((base, exp))
    out = []
    for base, exp in merged:
        if base.is_Add and -1 in base.args and exp.is_odd is not False and exp.is_integer:
            sign, base = sign * (-1) ** exp, 1 - (base + 1)
        out.append(base**exp)
    return sign * sympy.Mul(*out)


def flow(derived) -> Flow:
    """The Flow of a derived cell (see Derived.flow for the cached one)."""
    return Flow(derived)
