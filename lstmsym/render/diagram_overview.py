"""The overview of a large cell: one box per named block of equations (the spec's [overview] table: "layer norm",
"time gate", "stabiliser"; an equation in no block is a block of its own), the inputs and previous states on
the left, the outputs and states on the right, and one edge per pair of blocks that pass quantities on, labelled
with those quantities. Each box carries the equations it computes and each edge the names it carries, so the
overview reads back to the cell's dependencies as the detailed view reads back to its equations."""

from __future__ import annotations

import sympy

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.ir import Elementwise, Operator, Reduction
from ..printing.escape import html_text, latex_text
from ..printing.html import html
from ..printing.latex import latex
from ..printing.notation import Notation
from .diagram import STYLE, Diagram
from .legend import add_legend
from .tikz import LINE_BREAK

#: A cell with more drawn operations than this gets an overview beside its detailed view (issue 20: "about 30").
MANY_OPERATIONS = 30


def blocks(cell: Cell) -> list[tuple[str, tuple[str, ...]]]:
    """Every equation in exactly one block, in the order of the equations: the spec's named blocks where it gives
    them, each other equation a block of its own (named by the equation)."""
    named = dict(cell.spec.overview)
    owner = {eq: block for block, members in named.items() for eq in members}
    out, done = [], set()
    for name, _ in cell.equations:
        block = owner.get(name)
        if block is None:
            out.append((name, (name,)))
        elif block not in done:
            done.add(block)
            out.append((block, named[block]))
    return out


def reads(cell: Cell, equation: str) -> list[str]:
    """The named quantities an equation reads (inputs, previous states, other equations), through the internal
    nodes (products, reductions) it is built of; parameters, constants and sizes are not quantities."""
    found: list[str] = []
    sources = {i.name for i in cell.inputs} | {s.previous for s in cell.states} | {name for name, _ in cell.equations}
    for node in cell.value_nodes:
        if node.equation != equation:
            continue
        if isinstance(node, (Elementwise, Reduction)):
            names = sorted(s.name for s in node.expr.free_symbols)
        elif isinstance(node, Operator):
            names = list(node.args)
        else:
            names = []
        for name in names:
            if cell.has_node(name) and cell.node(name).equation != equation:
                name = cell.node(name).equation  # an internal node of another equation (a shared reduction)
            if name in sources and name != equation and name not in found:
                found.append(name)
    return found


class OverviewBuilder:
    """Builds the overview Diagram of a cell from its blocks and what their equations read."""

    def __init__(self, cell: Cell, notation: Notation) -> None:
        self.cell = cell
        self.notation = notation
        self.diagram = Diagram(f"{cell.name}_overview", {**STYLE["graph"], "rankdir": "LR", "ranksep": "0.7"})
        self.blocks = blocks(cell)
        self.owner = {eq: f"block{k}" for k, (_, members) in enumerate(self.blocks, 1) for eq in members}
        self.titled = {f"block{k}" for k, (title, members) in enumerate(self.blocks, 1) if title not in members}

    def names(self, names: list[str]) -> tuple[str, str]:
        """(HTML, LaTeX) of a list of quantities, comma-separated."""
        return (", ".join(html(sympy.Symbol(n), self.notation) for n in names),
                ", ".join(latex(sympy.Symbol(n), self.notation) for n in names))

    def build(self) -> Diagram:
        d = self.diagram
        for item in [i.name for i in self.cell.inputs] + [s.previous for s in self.cell.states]:
            html_name, tex = self.names([item])
            d.add(f"in_{item}", "input", html_name, tex)
            d.name_value(f"in_{item}", item)
        passed = self.passed_on()
        for k, (title, members) in enumerate(self.blocks, 1):
            shown = [eq for eq in members if eq in passed] or list(members[-1:])
            html_names, tex_names = self.names(shown)
            label = f"<B>{html_text(title)}</B><BR/>{html_names}" if title not in members else html_names
            tex = rf"\text{{\textbf{{{latex_text(title)}}}}}{LINE_BREAK}{tex_names}" if title not in members else tex_names
            d.add(f"block{k}", "block", label, tex)
            for eq in members:
                d.name_value(f"block{k}", eq)
        for k, (_, members) in enumerate(self.blocks, 1):
            self.connect_block(f"block{k}", members)
        for name in self.results():
            html_name, tex = self.names([name])
            out = d.add(f"out_{name}", "output", html_name, tex)
            self.carry(self.owner[name], out, [name])
        add_legend(d, "overview", self.notation.time_letter)
        return d

    def results(self) -> list[str]:
        """The outputs, then the states that are not outputs."""
        return list(self.cell.outputs) + [s.name for s in self.cell.states if s.name not in self.cell.outputs]

    def passed_on(self) -> set[str]:
        """The equations whose value leaves their block: read by another block, an output or a state."""
        out = set(self.results())
        for _, members in self.blocks:
            for eq in members:
                out |= {r for r in reads(self.cell, eq) if r not in members}
        return out

    def connect_block(self, box: str, members: tuple[str, ...]) -> None:
        """One edge from each producer (a block or an input) into box, carrying what box reads from it."""
        by_producer: dict[str, list[str]] = {}
        for eq in members:
            for name in reads(self.cell, eq):
                if name not in members:
                    producer = self.owner.get(name, f"in_{name}")
                    by_producer.setdefault(producer, [])
                    if name not in by_producer[producer]:
                        by_producer[producer].append(name)
        for producer, names in by_producer.items():
            self.carry(producer, box, names)

    def carry(self, tail: str, head: str, names: list[str]) -> None:
        """An edge labelled with the quantities it carries when it leaves a named block (an input's or a one-equation
        block's node names what it passes on)."""
        named = tail in self.titled
        html_names, tex = self.names(names) if named and not head.startswith("out_") else ("", "")
        edge = self.diagram.connect(tail, head, html_names, tex=tex)
        edge.attrs["carries"] = " ".join(names)


def operation_count(derived: Derived, notation: Notation) -> int:
    """How many operations the detailed view draws (layers, elementwise operations, reductions)."""
    from .diagram_forward import ForwardBuilder

    built = ForwardBuilder(derived.cell, notation).build()
    return sum(node.kind in ("op", "func", "layer", "stat") for node in built.nodes)


def has_overview(derived: Derived, notation: Notation) -> bool:
    """A cell gets an overview when its spec names blocks or its detailed view draws over MANY_OPERATIONS."""
    return bool(derived.cell.spec.overview) or operation_count(derived, notation) > MANY_OPERATIONS


def overview_diagram(derived: Derived, notation: Notation) -> Diagram:
    return OverviewBuilder(derived.cell, notation).build()
