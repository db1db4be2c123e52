"""Executing a diagram: what each drawn node computes, read from the DOT text alone (tests/dot_reader.py), and
the structural rules a drawing must keep: every edge into a node is one of its operands, a circle is one
operation, a box is one affine map with at most one nonlinearity and names its weights, a junction only bundles.
No lstmsym import: the test that uses this compares the result with the spec's own equation text."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from dot_reader import DotGraph, names_in, parse_expr, refs_in, to_sympy, visible

#: Greek letters as the printers may draw a name's part; compared with the spec's spelling.
GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta",
         "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma",
         "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega"}
#: What a weight's label must show after it, by how the weight is applied.
MARKS = {"conv": "∗", "diag": "⊙"}


@dataclass
class Reading:
    """What was read from one diagram: the value of each named quantity, and how many operations were read."""

    values: dict[str, sympy.Expr] = field(default_factory=dict)
    operations: int = 0
    nodes: int = 0
    visited: set[str] = field(default_factory=set)


class Executor:
    """Evaluates a diagram's nodes: `local` stops at named quantities (a node with a `quantity`), so each named
    quantity is read as an expression of the others, as the spec writes its equations."""

    def __init__(self, graph: DotGraph, name=sympy.Symbol) -> None:
        self.graph, self.name, self.visited = graph, name, set()
        for head in graph.nodes:
            args = [e.attrs.get("arg") for e in graph.into(head)]
            assert all(args) and len(set(args)) == len(args), f"{head}: every operand edge numbered once: {args}"
            if args:
                used = {r[1:].partition(".")[0] for r in refs_in(self.tree(head))}
                assert used == set(args), f"{head}: its semantics reads operands {sorted(used)}, edges bring {sorted(args)}"

    def tree(self, node: str):
        sem = self.graph.nodes[node].attrs.get("sem")
        assert sem, f"node {node} says nothing of what it computes"
        return parse_expr(sem)

    def is_input(self, node: str) -> bool:
        return not self.graph.into(node)

    def quantity(self, node: str) -> list[str]:
        return self.graph.nodes[node].attrs.get("quantity", "").split()

    def handed(self, node: str):
        """What a node hands along its out-edges: an input's name, a named quantity's name, else its value."""
        self.visited.add(node)
        if self.is_input(node):
            return sympy.Symbol(self.graph.nodes[node].attrs["sem"])
        if self.quantity(node):
            return sympy.Symbol(self.quantity(node)[0])
        return self.value(node)

    def value(self, node: str):
        self.visited.add(node)
        edges = {e.attrs["arg"]: e for e in self.graph.into(node)}

        def operand(ref: str):
            arg, _, part = ref[1:].partition(".")
            got = self.handed(edges[arg].tail)
            return got[int(part) - 1] if part else got

        return to_sympy(self.tree(node), operand, self.name)


# -- the structural rules ---------------------------------------------------------------------------------
def _chain(kind: str) -> str:
    return {"+": "add", "-": "add", "*": "mul", "/": "mul"}.get(kind, kind)


def operations(tree, parent: str | None = None) -> int:
    """Operations on operands in a node's semantics: a chain of + and - is one (a sum), so is one of * and /, a
    negation inside a chain belongs to it; constants folded in (1 - x, 0.5 x) are no operation of their own."""
    kind = tree[0]
    if kind in ("num", "name", "ref"):
        return 0
    if kind == "inv":
        return operations(tree[1], parent)
    if kind == "@" and tree[1][0] == "T":  # a product with a transposed matrix is one operation (Sᵀ·)
        return 1 + operations(tree[1][1], "@") + operations(tree[2], "@")
    children = tree[2] if kind == "call" else tree[1:]
    inner = sum(operations(c, _chain(kind) if kind != "neg" else parent) for c in children)
    if not refs_in(tree):
        return 0
    if kind == "neg":
        return inner + (parent is None)
    return inner + (0 if _chain(kind) == parent and parent in ("add", "mul") else 1)


def _terms(tree) -> list:
    if tree[0] in ("+", "-"):
        return _terms(tree[1]) + _terms(tree[2] if tree[0] == "+" else ("neg", tree[2]))
    return [tree]


def _factors(tree) -> list:
    if tree[0] == "*":
        return _factors(tree[1]) + _factors(tree[2])
    if tree[0] == "neg":
        return [("num", "-1")] + _factors(tree[1])
    if tree[0] == "/" and not refs_in(tree[2]):
        return _factors(tree[1]) + [("inv", tree[2])]
    return [tree]


def linear_term(term) -> tuple[str, set[str]] | None:
    """('weighted'|'diag'|'identity'|'conv', names of its weights) for a term linear in one operand, else None."""
    factors = _factors(term)
    with_ref = [f for f in factors if refs_in(f)]
    if len(with_ref) != 1 or len(refs_in(with_ref[0])) != 1:
        return None
    f = with_ref[0]
    coef = set().union(*[names_in(g) for g in factors if g is not f]) if len(factors) > 1 else set()
    if f[0] == "ref":
        return ("diag" if coef else "identity", coef)
    if f[0] == "@" and not refs_in(f[1]) and f[2][0] == "ref":
        return ("weighted", names_in(f[1]) | coef)
    if f[0] == "call" and f[1] == "conv" and not refs_in(f[2][0]) and f[2][1][0] == "ref":
        return ("conv", names_in(f[2][0]) | coef)
    return None


def check_layer(node: str, tree, label: str) -> int:
    """A box is f(affine map) or an affine map alone, with at least one weight matrix or kernel, every weight named
    in its label with how it is applied; returns its operations (the map, and the function if any)."""
    func = tree[0] == "call" and tree[1] not in ("conv",) and len(tree[2]) == 1 and refs_in(tree)
    body = tree[2][0] if func else tree
    kinds = []
    shown = _spelled(visible(label))
    for term in _terms(body):
        if not refs_in(term):
            for bias in names_in(term):
                assert bias.replace("_", "") in shown, f"box {node}: bias {bias} not named in its label {label!r}"
            continue
        found = linear_term(term)
        assert found is not None, f"box {node}: the term {term} is not one weight times one operand"
        kinds.append(found[0])
        for weight in found[1]:
            assert weight.replace("_", "") in shown, f"box {node}: weight {weight} not named in its label {label!r}"
        if found[0] in MARKS:
            assert MARKS[found[0]] in shown, f"box {node}: a {found[0]} weight without {MARKS[found[0]]} in {label!r}"
    assert {"weighted", "conv"} & set(kinds), f"box {node} ({label!r}) applies no weight matrix or kernel: not a layer"
    return 1 + bool(func)


def _spelled(text: str) -> str:
    for letter, name in GREEK.items():
        text = text.replace(letter, name)
    return text.replace(" ", "")


def check_node(node: str, attrs: dict[str, str], tree, has_inputs: bool) -> int:
    """The structural rule for one node of a forward diagram, by its shape; returns the operations it draws."""
    shape = attrs.get("shape")
    if shape == "plaintext":
        assert tree[0] == ("ref" if has_inputs else "name"), f"{node}: an input names a quantity, an output passes one on"
        return 0
    if shape == "point":
        assert tree[0] == "call" and tree[1] == "concat" and all(a[0] == "ref" for a in tree[2]), f"{node} is not a bundle"
        return 0
    if shape == "box":
        return check_layer(node, tree, attrs.get("label", ""))
    count = operations(tree)
    assert count == 1, f"{node} ({attrs.get('label')!r}) draws {count} operations in one circle: {attrs['sem']}"
    return 1
