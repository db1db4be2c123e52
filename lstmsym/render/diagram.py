"""The diagram model every figure is built in (nodes, edges, rows), its visual language as data (STYLE, GLYPHS),
the layout search over variants, and DOT output. The builders are diagram_forward.py, diagram_backward.py and
diagram_unrolled.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..model.along import SPEC_OPERATORS
from ..printing.marks import CONV, TRANSPOSE
from . import tools
from .layout_check import check_dot, score
from .semantics import ref, sem_text
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
    "stat": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d9ead3", "color": "#5b8a4a", "fontname": "Helvetica",
             "fontsize": "14", "height": "0.4"},
    "junction": {"shape": "point", "width": "0.06", "color": "#333333"},
    "adjoint": {"shape": "box", "style": "rounded,filled", "fillcolor": "#cfe3f7", "color": "#2c6aa0",
                "fontname": "Helvetica", "fontsize": "14"},
    "edge": {"color": "#333333", "fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"},
    "state": {"penwidth": "2.6", "color": "#222222", "weight": "8"},
    "peek": {"style": "dashed", "color": "#555555"},
    "grad": {"color": "#2c6aa0", "fontcolor": "#1d4f7a", "arrowsize": "0.7"},
    "order": {"style": "invis"},  # not drawn: keeps two nodes of one row in order, left to right
    "step": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#555555", "fontname": "Helvetica",
             "fontsize": "14"},
    "block": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fde9b8", "color": "#b8860b", "fontname": "Helvetica",
              "fontsize": "14", "margin": "0.15,0.08"},  # a named block of equations (the overview)
    "legend": {"labelloc": "b", "fontsize": "11"},  # graph attributes for the legend (legend.py) under the drawing
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
    sem: str = ""  # what the node computes, in the spec grammar over its operands #1, #2 (semantics.py)
    quantity: list[str] = field(default_factory=list)  # the named quantities whose value this node is


@dataclass
class DEdge:
    tail: str
    head: str
    label: str = ""
    kind: str = "edge"
    attrs: dict[str, str] = field(default_factory=dict)
    tex: str = ""
    arg: int = 0  # which operand of the head this edge carries (#arg in its semantics); 0: none


#: Operation glyphs the diagrams draw, as (Graphviz HTML, LaTeX).
GLYPHS = {"add": ("+", "+"), "minus": ("−", "-"), "mul": ("×", r"\times"), "div": ("÷", r"\div"), "sum": ("Σ", r"\Sigma"),
          "mean": ("mean", r"\operatorname{mean}"), "matvec": ("W·", r"W\cdot"),
          "tmatvec": ("Wᵀ·", rf"W^{{{TRANSPOSE.latex}}}\cdot"), "conv": ("K" + CONV.html, "K" + CONV.latex),
          "outer": ("⊗", r"\otimes"), "inverse": ("1/x", "1/x")} | {
    name: (name, rf"\operatorname{{{name}}}") for name in SPEC_OPERATORS}  # the operators along the units: by their names


@dataclass
class Diagram:
    name: str
    graph: dict[str, str]
    nodes: list[DNode] = field(default_factory=list)
    edges: list[DEdge] = field(default_factory=list)
    same_rank: list[list[str]] = field(default_factory=list)
    lines: list[list[str]] = field(default_factory=list)  # state lines: one row each, nothing else between their nodes
    legend: tuple[str, str] = ("", "")  # (HTML table, LaTeX): what the figure's marks mean (legend.py)

    def add(self, name: str, kind: str, label: str, tex: str = "", **attrs: str) -> str:
        if kind == "op" and len(_visible(label)) > 2:
            kind = "func"
        if not any(n.name == name for n in self.nodes):
            self.nodes.append(DNode(name, kind, label, dict(attrs), tex))
        return name

    def connect(self, tail: str, head: str, label: str = "", kind: str = "edge", tex: str = "", **attrs: str) -> DEdge:
        edge = DEdge(tail, head, label, kind, dict(attrs), tex)
        self.edges.append(edge)
        return edge

    def operand(self, tail: str, head: str, label: str = "", kind: str = "edge", tex: str = "", **attrs: str) -> sympy.Symbol:
        """An edge that carries one operand of head, numbered after head's others; the symbol (#k) that stands for
        it in head's semantics. The same value drawn twice into one head is one edge."""
        for edge in self.edges:
            if edge.tail == tail and edge.head == head and edge.arg and edge.label == label:
                return ref(edge.arg)
        edge = self.connect(tail, head, label, kind, tex, **attrs)
        edge.arg = 1 + max((e.arg for e in self.edges if e.head == head), default=0)
        return ref(edge.arg)

    def node(self, name: str) -> DNode:
        return next(n for n in self.nodes if n.name == name)

    def set_sem(self, name: str, expr: sympy.Expr) -> None:
        self.node(name).sem = sem_text(expr)

    def name_value(self, name: str, quantity: str) -> None:
        """Record that node `name` computes the named quantity (a node may compute several: h = c)."""
        node = self.node(name)
        if quantity not in node.quantity:
            node.quantity.append(quantity)


def best_layout(variants: list[Diagram], kind: str) -> Diagram:
    """The variant dot lays out best (layout_check.score: no edge through a box, then straight state lines in
    the diagram's direction, then fewest crossings; the first on a tie). Without dot, the first variant."""
    if not tools.dot_available():
        return variants[0]
    scored: dict[str, tuple] = {}  # one layout per distinct DOT source (variants often coincide)
    for index, variant in enumerate(variants):
        source = to_dot(variant)
        if source not in scored:
            scored[source] = (score(check_dot(variant.name, source, kind)), index)
    return variants[min(scored.values())[1]]


def _semantics(node: DNode) -> dict[str, str]:
    """The attributes that say what a node computes (Graphviz ignores them: the picture is the same)."""
    out = {"sem": node.sem} if node.sem else {}
    if node.quantity:
        out["quantity"] = " ".join(node.quantity)
    return out


def dot_label(label: str) -> str:
    """An HTML label as dot should read it: dot 2.43 joins a "]" that follows a <SUB> to the next <SUP>
    ("[U<SUB>i</SUB>; ...]<SUP>T</SUP>" drew "]T" raised), and the character reference keeps it apart."""
    return label.replace("]", "&#93;")


def to_dot(diagram: Diagram) -> str:
    """DOT source through the template; attributes sorted, nodes and edges in build order."""
    nodes = [{"name": n.name, "attrs": sorted({**STYLE[n.kind], **n.attrs, **_semantics(n)}.items()), "label": dot_label(n.label)}
             for n in diagram.nodes]
    edges = []
    for e in diagram.edges:
        attrs = dict(STYLE["edge"])
        attrs.update(STYLE.get(e.kind, {}) if e.kind != "edge" else {})
        attrs.update(e.attrs)
        if e.arg:
            attrs["arg"] = str(e.arg)
        edges.append({"tail": e.tail, "head": e.head, "label": dot_label(e.label), "attrs": sorted(attrs.items())})
    graph = {**diagram.graph, **(STYLE["legend"] if diagram.legend[0] else {})}
    return environment("dot").get_template("diagram.dot.j2").render(
        name=diagram.name, graph=sorted(graph.items()), nodes=nodes, edges=edges, same_rank=diagram.same_rank,
        lines=diagram.lines, legend=diagram.legend[0])
