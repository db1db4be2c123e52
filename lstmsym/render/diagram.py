"""Cell diagrams derived from the equation graph: the forward data flow and the gradient flow."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..derive.derived import Derived
from ..model.vector_ops import MatTVec, SumTrailing, SumUnits
from ..printing.html import html
from ..printing.latex import latex
from ..printing.notation import Notation
from ..printing.order import factor_needs_brackets
from ..spec.naming import adjoint_base, incoming_base
from .templating import environment

#: The visual language, as data: one entry per kind of node or edge.
STYLE: dict[str, dict[str, str]] = {
    "graph": {"rankdir": "LR", "nodesep": "0.35", "ranksep": "0.45", "fontname": "Helvetica", "bgcolor": "white",
              "splines": "spline", "newrank": "true"},
    "input": {"shape": "plaintext", "fontsize": "16", "fontname": "Helvetica"},
    "output": {"shape": "plaintext", "fontsize": "16", "fontname": "Helvetica"},
    "layer": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f6d365", "color": "#b8860b",
              "fontname": "Helvetica", "fontsize": "16", "width": "0.6", "height": "0.45"},
    "op": {"shape": "circle", "style": "filled", "fillcolor": "#f4a3a3", "color": "#b03a3a", "fontname": "Helvetica",
           "fontsize": "14", "width": "0.42", "fixedsize": "true"},
    "func": {"shape": "ellipse", "style": "filled", "fillcolor": "#f4a3a3", "color": "#b03a3a", "fontname": "Helvetica",
             "fontsize": "12", "height": "0.4"},
    "junction": {"shape": "point", "width": "0.06", "color": "#333333"},
    "adjoint": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe3f7", "color": "#2c6aa0",
                "fontname": "Helvetica", "fontsize": "14"},
    "edge": {"color": "#333333", "fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"},
    "state": {"penwidth": "2.6", "color": "#222222", "weight": "8"},
    "peek": {"style": "dashed", "color": "#555555"},
    "grad": {"color": "#2c6aa0", "fontcolor": "#1d4f7a", "arrowsize": "0.7"},
}


def _visible(label: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", label)


@dataclass
class DNode:
    name: str
    kind: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)
    tex: str = ""  # the label as LaTeX math (for TikZ), from the LaTeX printer


@dataclass
class DEdge:
    tail: str
    head: str
    label: str = ""
    kind: str = "edge"
    attrs: dict[str, str] = field(default_factory=dict)
    tex: str = ""


#: Operation glyphs the diagrams draw, as (Graphviz HTML, LaTeX).
GLYPHS = {"add": ("+", "+"), "minus": ("−", "-"), "mul": ("×", r"\times"), "div": ("÷", r"\div"), "sum": ("Σ", r"\Sigma"),
          "mean": ("mean", r"\operatorname{mean}"), "matvec": ("W·", r"W\cdot"), "conv": ("K∗", r"K\ast"),
          "outer": ("⊗", r"\otimes"), "inverse": ("1/x", "1/x")}


@dataclass
class Diagram:
    name: str
    graph: dict[str, str]
    nodes: list[DNode] = field(default_factory=list)
    edges: list[DEdge] = field(default_factory=list)
    same_rank: list[list[str]] = field(default_factory=list)

    def add(self, name: str, kind: str, label: str, tex: str = "", **attrs: str) -> str:
        if kind == "op" and len(_visible(label)) > 2:
            kind = "func"
        if not any(n.name == name for n in self.nodes):
            self.nodes.append(DNode(name, kind, label, dict(attrs), tex))
        return name

    def connect(self, tail: str, head: str, label: str = "", kind: str = "edge", tex: str = "", **attrs: str) -> None:
        self.edges.append(DEdge(tail, head, label, kind, dict(attrs), tex))


class BackwardBuilder:
    """One box per adjoint statement; an edge from each adjoint to every adjoint computed from it, labelled
    with the factor that multiplies it there. The boxes and edges are read off the derived statements."""

    def __init__(self, derived: Derived, notation: Notation) -> None:
        self.cell = derived.cell
        self.back = derived.backward
        self.notation = notation
        graph = dict(STYLE["graph"], rankdir="RL")
        self.diagram = Diagram(f"{self.cell.name}_backward", graph)

    @staticmethod
    def ident(key: str) -> str:
        return "adj_" + key.replace(":", "_")

    def build(self) -> Diagram:
        d = self.diagram
        for key in self.back.incoming:
            d.add(self.ident(key), "input", html(sympy.Symbol(key), self.notation), latex(sympy.Symbol(key), self.notation))
        statements = [st for st in self.back.statements if st.kind in ("node", "carry", "input")]
        for st in statements:
            kind = "output" if st.kind in ("carry", "input") else "adjoint"
            d.add(self.ident(st.target), kind, html(st.symbol, self.notation), latex(st.symbol, self.notation))
        known = {n.name for n in d.nodes}
        for st in statements:
            for term in sympy.Add.make_args(st.expr):
                for source in sorted(term.free_symbols, key=lambda s: s.name):
                    is_adjoint = adjoint_base(source.name) is not None or incoming_base(source.name) is not None
                    if self.ident(source.name) in known and is_adjoint:
                        kind = "state" if self.on_state_line(source.name, st.target) else "grad"
                        d.connect(self.ident(source.name), self.ident(st.target), self.factor(term, source), kind,
                                  self.factor_tex(term, source))
        return d

    def factor(self, term: sympy.Expr, source: sympy.Symbol) -> str:
        """What multiplies the source adjoint in a term, as a label ('⊙ f', '⊙ (1 − z)', 'U<SUP>T</SUP>')."""
        if term == source:
            return ""
        if isinstance(term, MatTVec):
            inner = self.factor(term.args[1], source) if term.args[1] != source else ""
            return f"{html(term.args[0], self.notation)}<SUP>T</SUP>" + (f" ({inner})" if inner else "")
        if isinstance(term, (SumUnits, SumTrailing)):
            return "Σ"
        if not term.is_Mul or source not in term.args:
            return ""
        rest = sympy.Mul(*[f for f in term.args if f != source])
        text = html(rest, self.notation)
        return "⊙ " + (f"({text})" if factor_needs_brackets(rest, 1) else text)

    def factor_tex(self, term: sympy.Expr, source: sympy.Symbol) -> str:
        """The same factor as factor(), in LaTeX."""
        if term == source:
            return ""
        if isinstance(term, MatTVec):
            inner = self.factor_tex(term.args[1], source) if term.args[1] != source else ""
            return f"{latex(term.args[0], self.notation)}^{{\\top}}" + (rf" \left({inner}\right)" if inner else "")
        if isinstance(term, (SumUnits, SumTrailing)):
            return GLYPHS["sum"][1]
        if not term.is_Mul or source not in term.args:
            return ""
        rest = sympy.Mul(*[f for f in term.args if f != source])
        text = latex(rest, self.notation)
        return r"\odot " + (rf"\left({text}\right)" if factor_needs_brackets(rest, 1) else text)

    def on_state_line(self, source: str, target: str) -> bool:
        names = {s.name for s in self.cell.states} | {s.previous for s in self.cell.states}
        base = lambda n: incoming_base(n) or adjoint_base(n)  # noqa: E731
        return base(source) in names and base(target) in names


def backward_diagram(derived: Derived, notation: Notation) -> Diagram:
    return BackwardBuilder(derived, notation).build()


def to_dot(diagram: Diagram) -> str:
    """DOT source through the template; attributes sorted, nodes and edges in build order."""
    nodes = [{"name": n.name, "attrs": sorted({**STYLE[n.kind], **n.attrs}.items()), "label": n.label} for n in diagram.nodes]
    edges = []
    for e in diagram.edges:
        attrs = dict(STYLE["edge"])
        attrs.update(STYLE.get(e.kind, {}) if e.kind != "edge" else {})
        attrs.update(e.attrs)
        edges.append({"tail": e.tail, "head": e.head, "label": e.label, "attrs": sorted(attrs.items())})
    return environment("dot").get_template("diagram.dot.j2").render(
        name=diagram.name, graph=sorted(diagram.graph.items()), nodes=nodes, edges=edges, same_rank=diagram.same_rank)
