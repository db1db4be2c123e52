"""The diagrams can be executed. Every node of the forward and gradient-flow DOT says what it computes (`sem`, over
its numbered incoming edges); read from the DOT text alone (tests/dot_reader.py, tests/readback.py: no lstmsym
objects), the forward diagram gives back each equation of the spec, compared in SymPy with the spec's own equation
text, and the gradient-flow diagram gives back the derived backward statements. Along the way every drawn node is
checked to be one operation, one layer (affine map + at most one nonlinearity, its weights named) or one bundle,
and to be used by some equation. For every built-in cell and every test spec."""

from __future__ import annotations

import pytest
import sympy

import lstmsym
from conftest import ROOT
from dot_reader import canon, equal, names_in, parse_dot, parse_expr, to_sympy
from readback import Executor, check_node

SPECS = sorted((ROOT / "tests" / "specs").glob("*.toml")) + sorted((ROOT / "tests" / "minimal").glob("*.toml"))
BUILT_IN = set(lstmsym.builtin_names())
CELLS = list(lstmsym.builtin_names()) + [str(p) for p in SPECS]
IDS = [c if "/" not in c else c.rsplit("/", 2)[-2] + "/" + c.rsplit("/", 1)[-1][:-5] for c in CELLS]


class SpecText:
    """The spec's equations as written (its text, parsed here), with constants replaced by their values and
    pure renamings (h = c, x_last = identity(x)) by what they rename."""

    def __init__(self, cell) -> None:
        spec = cell.spec
        self.trees = {eq.name: parse_expr(eq.text) for eq in spec.equations}
        self.constants = dict(cell.model.constants)
        self.boundary = set(spec.inputs) | {s.previous for s in spec.states.values()}
        self.outputs = set(spec.outputs) | set(spec.states)

    def alias(self, name: str) -> str | None:
        tree = self.trees.get(name)
        if tree is not None and tree[0] == "call" and tree[1] == "identity" and tree[2][0][0] == "name":
            tree = tree[2][0]
        return tree[1] if tree is not None and tree[0] == "name" else None

    def symbol(self, name: str) -> sympy.Expr:
        if name in self.constants:
            return self.constants[name]
        target = self.alias(name)
        return self.symbol(target) if target is not None else sympy.Symbol(name)

    def equation(self, name: str) -> sympy.Expr:
        return to_sympy(self.trees[name], name=self.symbol)

    def batched(self, name: str) -> bool:
        """Whether the equation changes from step to step (reads an input or a state, maybe through others)."""
        reads = names_in(self.trees[name])
        return bool(reads & self.boundary) or any(self.batched(r) for r in reads if r in self.trees and r != name)


def drawn_dot(cell, kind: str) -> str:
    """A built-in cell's committed DOT (test_build.test_committed_gallery_is_current holds it to what the build
    draws today, so the layout search is not run again here); a test spec's drawn now."""
    committed = ROOT / "output" / cell.name / f"{kind}.dot"
    if cell.name in BUILT_IN and committed.exists():
        return committed.read_text()
    return cell.dot(kind)


def read_forward(cell) -> tuple[int, int]:
    """Check one forward diagram; returns (equations, operations) read back."""
    graph = parse_dot(drawn_dot(cell, "cell"))
    text = SpecText(cell)
    run = Executor(graph, text.symbol)
    operations = sum(check_node(n, node.attrs, run.tree(n), bool(graph.into(n))) for n, node in graph.nodes.items())
    checked = 0
    for name in text.trees:
        if not text.batched(name):
            continue
        makers = [n for n in graph.nodes if name in run.quantity(n)]
        assert len(makers) == 1, f"{cell.name}: {name} is computed by {makers or 'no node'}"
        node = makers[0]
        drawn = run.value(node) if run.quantity(node)[0] == name and not run.is_input(node) else run.handed(node)
        assert equal(drawn, text.equation(name)), f"{cell.name}: {name} drawn as {canon(drawn)}, spec: {canon(text.equation(name))}"
        checked += 1
    outputs = {run.value(n) for n in graph.nodes if graph.nodes[n].attrs.get("shape") == "plaintext" and graph.into(n)}
    assert outputs == {text.symbol(o) for o in text.outputs}, f"{cell.name}: the diagram outputs {outputs}"
    unused = sorted(set(graph.nodes) - run.visited - {n for n in graph.nodes if graph.into(n) and
                                                      graph.nodes[n].attrs.get("shape") == "plaintext"})
    assert not unused, f"{cell.name}: drawn but part of no equation: {unused}"
    return checked, operations


#: The derived operations by class name, in dot_reader's vocabulary.
VOCABULARY = {"MatVec": "MV", "MatTVec": "MTV", "Outer": "OUT", "SumUnits": "SUM", "SumTrailing": "SUMTRAIL",
              "ConvT": "CONVT", "Conv": "CONV", "Transposed": "TR", "CumSum": "cumsum", "CumMax": "cummax",
              "Softmax": "softmax", "RevCumSum": "revcumsum", "CumMaxT": "cummaxgrad"}


def vocabulary(expr: sympy.Expr) -> sympy.Expr:
    """A derived expression with its operations renamed as dot_reader names them (functions by spec name)."""
    if expr.is_Symbol:
        return sympy.Symbol(expr.name)  # the reader's symbols carry no assumptions (size:n is positive here)
    if expr.is_Atom:
        return expr
    args = [vocabulary(a) for a in expr.args]
    name = type(expr).__name__
    if name in VOCABULARY:
        return sympy.Function(VOCABULARY[name])(*args)
    if hasattr(type(expr), "spec_name"):
        return sympy.Function(type(expr).spec_name)(*args)
    return expr.func(*args)


def read_backward(cell) -> tuple[int, int]:
    """Check one gradient-flow diagram against the derived statements (an adjoint the diagram does not draw is
    written out where it is used); returns (statements, terms) read back."""
    graph = parse_dot(drawn_dot(cell, "backward"))
    run = Executor(graph)
    drawn = {q: n for n in graph.nodes for q in run.quantity(n)}
    inlined: dict[sympy.Symbol, sympy.Expr] = {}
    statements = terms = 0
    for st in cell.derived.backward.statements:
        if st.kind not in ("node", "carry", "input"):
            continue
        expected = vocabulary(st.expr).xreplace(inlined)
        if st.target not in drawn:
            assert st.kind == "node", f"{cell.name}: {st.target} ({st.kind}) is not drawn"
            inlined[st.symbol] = expected
            continue
        tree = run.tree(drawn[st.target])
        raw = sorted(n for n in names_in(tree) if n.startswith(("d:", "in:")))
        assert not raw, f"{cell.name}: {st.target} names adjoints {raw} instead of reading them along edges"
        got = run.value(drawn[st.target])
        assert equal(got, expected), f"{cell.name}: {st.target} drawn as {canon(got)}, derived: {canon(expected)}"
        statements += 1
        terms += len(sympy.Add.make_args(sympy.expand(got)))
    return statements, terms


@pytest.mark.dot
@pytest.mark.parametrize("name", CELLS, ids=IDS)
def test_diagrams_read_back_to_the_cell(name):
    cell = lstmsym.cell(name)
    equations, operations = read_forward(cell)
    statements, terms = read_backward(cell)
    assert equations > 0 and operations > 0 and statements > 0
    print(f"READBACK {name} equations={equations} operations={operations} statements={statements} terms={terms}")


def test_reader_sees_a_wrong_drawing():
    """The reader itself: a drawing whose product reads the wrong operand, or a box that hides a product, fails."""
    dot = ('digraph g { "in_x" [shape="plaintext", sem="x"]; "in_h" [shape="plaintext", sem="h_prev"]; '
           '"l" [shape="box", sem="tanh(W @ #1 + U @ #2)", quantity="h", label=<tanh: W, U>]; '
           '"in_x" -> "l" [arg="1"]; "in_h" -> "l" [arg="2"]; }')
    run = Executor(parse_dot(dot))
    assert equal(run.value("l"), to_sympy(parse_expr("tanh(W @ x + U @ h_prev)")))
    swapped = dot.replace('"in_x" -> "l" [arg="1"]; "in_h" -> "l" [arg="2"]', '"in_x" -> "l" [arg="2"]; "in_h" -> "l" [arg="1"]')
    assert not equal(Executor(parse_dot(swapped)).value("l"), to_sympy(parse_expr("tanh(W @ x + U @ h_prev)")))
    with pytest.raises(AssertionError, match="not one weight times one operand"):
        check_node("l", {"shape": "box", "label": "tanh: W"}, parse_expr("tanh(W @ (#1 * #2))"), True)
    with pytest.raises(AssertionError, match="2 operations in one circle"):
        check_node("o", {"shape": "circle", "sem": "#1 * tanh(#2)"}, parse_expr("#1 * tanh(#2)"), True)
