"""The forward diagram of a cell, derived from its graph: boxes for layers (affine map and nonlinearity),
circles for pointwise operations, thick straight lines for the states, inputs at the bottom."""

from __future__ import annotations

import re

import sympy

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.functions import ElementwiseBase, info_of
from ..model.ir import Reduction
from ..printing.html import html, name_html
from ..printing.latex import latex
from ..printing.notation import Notation
from ..spec.naming import is_internal
from .diagram import GLYPHS, STYLE, Diagram, best_layout, statistics


class ForwardBuilder:
    """Boxes for layers (affine map + nonlinearity), circles for pointwise operations, state lines."""

    def __init__(self, cell: Cell, notation: Notation, rows_by_depth: bool = True, bundle_lines: bool = True,
                 across: bool = False) -> None:
        self.cell = cell
        self.across = across
        self.rows_by_depth = rows_by_depth
        self.bundle_lines = bundle_lines
        self.notation = notation
        self.diagram = Diagram(f"{cell.name}_forward", dict(STYLE["graph"]))
        self.producer: dict[str, str] = {}
        self.counter: dict[str, int] = {}
        self.pre = {n.key: n for n in cell.value_nodes if n.origin == "preactivation"}
        self.ops = {op.key: op for op in cell.operators}
        self.peeks: set[tuple[str, str]] = set()
        self.statistics, self.folded = statistics(cell)
        self.fed: set[tuple[str, str]] = set()

    def statistic(self, node) -> str:
        """One box for a named per-sequence scalar, with an edge from every quantity it reads."""
        box = self.diagram.add(f"stat_{node.key}", "stat", name_html(node.key, "t"), self.tex(sympy.Symbol(node.key)))
        expr = node.expr.xreplace({sympy.Symbol(k): p.expr for k, p in self.pre.items()})
        for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
            names = sorted(s.name for s in self.folded[symbol.name].free_symbols) if symbol.name in self.folded else [symbol.name]
            for name in names:
                if name in self.producer and self.cell.is_batched(name) and (box, name) not in self.fed:
                    self.fed.add((box, name))
                    self.diagram.connect(self.producer[name], box, "", tex="")
        return box

    def fresh(self, base: str) -> str:
        self.counter[base] = self.counter.get(base, 0) + 1
        return f"{base}{self.counter[base]}"

    def is_vector(self, name: str) -> bool:
        return self.cell.is_batched(name) and (name in self.producer or name in self.ops)

    def operands(self, name: str) -> list[str]:
        """What an operator's result is computed from, along edges (the vector of M @ v, both vectors of outer)."""
        op = self.ops[name]
        return list(op.args) if op.op == "outer" else [op.args[1]] + ([op.args[0]] if self.cell.is_batched(op.args[0]) else [])

    def build(self) -> Diagram:
        d = self.diagram
        for state in self.cell.states:
            self.producer[state.previous] = d.add(f"in_{state.previous}", "input", name_html(state.name, "t-1"),
                                                  self.tex(sympy.Symbol(state.previous)))
        for item in self.cell.inputs:
            self.producer[item.name] = d.add(f"in_{item.name}", "input", name_html(item.name, "t"), self.tex(sympy.Symbol(item.name)))
        for node in self.cell.value_nodes:
            if node.origin in ("preactivation", "operator") or not node.batched or node.key in self.folded:
                continue
            self.producer[node.key] = self.node(node)
        for name in list(self.cell.outputs) + [s.name for s in self.cell.states if s.name not in self.cell.outputs]:
            out = d.add(f"out_{name}", "output", name_html(name, "t"), self.tex(sympy.Symbol(name)))
            self.connect_value(name, out)
        self.mark_state_lines()
        self.arrange()
        return d

    def arrange(self) -> None:
        """Rows: state lines on top (one row each), the layers in a row, inputs at the bottom. Drawn across
        (left to right) instead, the state lines follow dot's ranks, so they always run left to right; the
        layers stand in columns and the inputs in the first."""
        d = self.diagram
        d.graph["rankdir"] = "LR" if self.across else "BT"
        lines = [s for s in self.cell.states if self.lines.get(s.name)]
        for state in lines if not self.across else []:
            d.same_rank.append(self.lines[state.name])
        for row in self.layer_rows():
            d.same_rank.append(row)
        bottom = [f"in_{i.name}" for i in self.cell.inputs] + [f"in_{s.previous}" for s in self.cell.states if not self.lines.get(s.name)]
        d.same_rank.append(bottom)

    def layer_rows(self) -> list[list[str]]:
        """Layers in rows by how many layers lie before them (layer norm's gates read the products' statistics,
        so they sit a row above the products); one row for the usual cell."""
        kind = {n.name: n.kind for n in self.diagram.nodes}
        preds: dict[str, list[str]] = {}
        for e in self.diagram.edges:
            preds.setdefault(e.head, []).append(e.tail)
        depth: dict[str, int] = {}

        def before(name: str) -> int:
            if name not in depth:
                depth[name] = 0
                depth[name] = max((before(p) + (kind[p] == "layer") for p in preds.get(name, [])), default=0)
            return depth[name]

        rows: dict[int, list[str]] = {}
        for name, k in kind.items():
            if k == "layer":
                rows.setdefault(before(name) if self.rows_by_depth else 0, []).append(name)
        return [rows[k] for k in sorted(rows)]

    # -- pieces ------------------------------------------------------------------------
    def connect_value(self, name: str, head: str) -> None:
        """An edge carrying a named quantity, labelled with it."""
        self.diagram.connect(self.producer[name], head, self.label_of(name), tex=self.label_tex(name))

    def tex(self, expr: sympy.Expr) -> str:
        return latex(expr, self.notation)

    def label_tex(self, name: str) -> str:
        """label_of() in LaTeX."""
        if is_internal(name) or self.notation.glyph(name).time == "prev":
            return ""
        return self.tex(sympy.Symbol(name))

    def label_of(self, name: str) -> str:
        if is_internal(name):
            return ""
        glyph = self.notation.glyph(name)
        if glyph.time == "prev":
            return ""
        return name_html(name, "t" if glyph.time == "step" else None)

    def sources(self, expr: sympy.Expr) -> list[str]:
        """The vector quantities an expression reads (through matrix products or elementwise)."""
        found = []
        def rank(symbol: sympy.Symbol) -> int:
            keys = self.operands(symbol.name)[:1] if symbol.name in self.ops else [symbol.name]
            return self.notation.glyph(keys[0]).rank

        for symbol in sorted(expr.free_symbols, key=rank):
            names = self.operands(symbol.name) if symbol.name in self.ops else [symbol.name]
            for name in names:
                if self.is_vector(name) and name not in found and name in self.producer:
                    found.append(name)
        return found

    def node(self, node) -> str:
        expr = node.expr
        if node.key in self.statistics:
            return self.statistic(node)
        if isinstance(node, Reduction):
            glyph = GLYPHS["mean" if node.mean else "sum"]
            op = self.diagram.add(f"op_{self.ident(node.key)}", "func", glyph[0], glyph[1])
            self.feed(expr, op, self.ident(node.key))
            return op
        if self.is_layer(expr):
            return self.layer(self.ident(node.key), info_of(expr).html, self.pre[expr.args[0].name].expr, info_of(expr).label_latex)
        return self.emit(expr, self.ident(node.key))

    def is_layer(self, expr: sympy.Expr) -> bool:
        """A function of a pre-activation that holds a matrix product: one box. A function of an elementwise
        combination (Delta-RNN's tanh((1 - r) z + r h_{t-1})) is drawn as its operations instead."""
        return (isinstance(expr, ElementwiseBase) and len(expr.args) == 1 and expr.args[0].is_Symbol
                and expr.args[0].name in self.pre and self.has_linear(self.pre[expr.args[0].name].expr))

    def expanded(self, expr: sympy.Expr) -> sympy.Expr:
        """expr with every pre-activation without a matrix product written out."""
        return expr.xreplace({sympy.Symbol(k): p.expr for k, p in self.pre.items() if not self.has_linear(p.expr)})

    @staticmethod
    def ident(key: str) -> str:
        """A DOT node name made from a key (':' is kept out of ids)."""
        return key.replace(":", "_")

    def layer(self, name: str, label: str, pre: sympy.Expr, tex: str = "") -> str:
        box = self.diagram.add(f"layer_{name}", "layer", label, tex)
        sources = self.sources(pre)
        elementwise = {s.name for s in pre.free_symbols if s.name not in self.ops}
        linear_inputs = {v for s in pre.free_symbols if s.name in self.ops for v in self.operands(s.name)}
        line_values = {s.previous for s in self.cell.states if s.name in self.line_states} | self.line_states
        for source in sources:
            if source in elementwise and source not in linear_inputs and source in line_values:
                self.peeks.add((self.producer[source], box))
        shared = [s for s in sources if s in self.shared_inputs]
        if len(shared) >= 2:
            self.diagram.connect(self.junction(shared), box)
            sources = [s for s in sources if s not in shared]
        for source in sources:
            self.connect_value(source, box)
        return box

    @property
    def shared_inputs(self) -> list[str]:
        """The step's inputs (x and previous states) that feed two or more layers: drawn as one bundle."""
        counts: dict[str, int] = {}
        for node in self.pre.values():
            for source in self.sources(node.expr):
                counts[source] = counts.get(source, 0) + 1
        lines = {s.previous for s in self.cell.states if s.name in self.line_states and not self.bundle_lines}
        boundary = ({i.name for i in self.cell.inputs} | {s.previous for s in self.cell.states} | self.statistics) - lines
        return [name for name, k in counts.items() if k >= 2 and name in boundary]

    @property
    def line_states(self) -> set[str]:
        """States whose update reads the previous value elementwise: drawn as a straight line on top."""
        return {s.name for s in self.cell.states
                if sympy.Symbol(s.previous) in self.expanded(getattr(self.cell.node(s.name), "expr", sympy.S.Zero)).free_symbols}

    def junction(self, sources: list[str]) -> str:
        """One point where shared inputs meet. A bundle that holds a smaller one (peephole's i and f read c_{t-1},
        x_t and h_{t-1}; g and o read x_t and h_{t-1}) is fed by it, so the two bundles need not cross."""
        name = "join_" + "_".join(sources)
        if not any(n.name == name for n in self.diagram.nodes):
            self.diagram.add(name, "junction", "")
            inner = max((b for b in self.bundles() if set(b) < set(sources)), key=len, default=[])
            if inner:
                self.diagram.connect(self.junction(inner), name)
            for source in sources:
                if source not in inner:
                    self.connect_value(source, name)
        return name

    def bundles(self) -> list[list[str]]:
        """The sets of shared inputs that layers read together, in equation order."""
        found: list[list[str]] = []
        inputs = set(self.shared_inputs)  # a property that reads every pre-activation: computed once here
        for node in self.pre.values():
            shared = [s for s in self.sources(node.expr) if s in inputs]
            if len(shared) >= 2 and shared not in found:
                found.append(shared)
        return found

    def emit(self, expr: sympy.Expr, owner: str) -> str:
        """Pointwise operations for an elementwise expression; returns the node producing its value."""
        d = self.diagram
        if expr.is_Symbol:
            if expr.name in self.ops:
                op = self.ops[expr.name]
                label, tex = self.operator_glyph(op)
                box = d.add(f"layer_{owner}_{self.fresh('lin')}", "layer" if op.op != "outer" else "op", label, tex)
                for vector in self.operands(expr.name):
                    if vector in self.producer:
                        self.connect_value(vector, box)
                return box
            return self.producer[expr.name]
        if self.is_layer(expr):
            return self.layer(f"{owner}_{self.fresh('layer')}", info_of(expr).html, self.pre[expr.args[0].name].expr, info_of(expr).label_latex)
        expanded = self.expanded(expr)
        if expanded != expr:
            return self.emit(expanded, owner)
        if isinstance(expr, ElementwiseBase) and len(expr.args) == 1 and self.has_linear(expr.args[0]):
            return self.layer(f"{owner}_{self.fresh('layer')}", info_of(expr).html, expr.args[0], info_of(expr).label_latex)
        if expr.is_Add and self.has_linear(expr) and all(self.has_linear(t) or self.is_scalar(t) for t in expr.args):
            return self.layer(f"{owner}_{self.fresh('affine')}", GLYPHS["matvec"][0], expr, GLYPHS["matvec"][1])
        if isinstance(expr, ElementwiseBase):
            op = d.add(f"op_{owner}_{self.fresh(info_of(expr).name)}", "func", info_of(expr).html, info_of(expr).label_latex)
            for arg in expr.args:
                self.feed(arg, op, owner)
            return op
        if expr.is_Add:
            return self.add_op(expr, owner)
        if expr.is_Mul:
            return self.mul_op(expr, owner)
        if expr.is_Pow:
            op = d.add(f"op_{owner}_{self.fresh('pow')}", "op", "1/x" if expr.exp == -1 else f"x<SUP>{html(expr.exp, self.notation)}</SUP>",
                       "1/x" if expr.exp == -1 else f"x^{{{self.tex(expr.exp)}}}")
            self.feed(expr.base, op, owner)
            return op
        op = d.add(f"op_{owner}_{self.fresh('const')}", "op", html(expr, self.notation), self.tex(expr))
        return op

    def operator_glyph(self, op) -> tuple[str, str]:
        """A lone matrix product's box names its matrix (W·, U·: ATR's two projections), a convolution its
        kernel; a long matrix expression keeps the generic glyph."""
        generic = GLYPHS[op.op]
        if op.op not in ("matvec", "conv"):
            return generic
        matrix = sympy.Symbol(op.args[0])
        label = html(matrix, self.notation)
        if len(re.sub(r"<[^>]*>", "", label)) > 4:
            return generic
        return label + generic[0][-1], self.tex(matrix) + generic[1][1:]  # the table's operator after its letter: W·, K∗

    def feed(self, arg: sympy.Expr, head: str, owner: str, label: str = "") -> None:
        """An edge from what computes arg into head; label is '−' or '÷' when arg is subtracted or divided by
        (written before the quantity's name: −q_t)."""
        tex = {GLYPHS["minus"][0]: GLYPHS["minus"][1], GLYPHS["div"][0]: GLYPHS["div"][1]}.get(label, "")
        if arg.is_Symbol and arg.name in self.producer and arg.name not in self.ops:
            name_label, name_tex = self.label_of(arg.name), self.label_tex(arg.name)
            self.diagram.connect(self.producer[arg.name], head, label + name_label, tex=" ".join(t for t in (tex, name_tex) if t))
        elif not self.is_scalar(arg):
            self.diagram.connect(self.emit(arg, owner), head, label, tex=tex)

    def is_scalar(self, expr: sympy.Expr) -> bool:
        """True when nothing in expr flows along an edge (numbers, constants, parameters): shown in a label."""
        return all(s.name not in self.producer and s.name not in self.ops and s.name not in self.pre
                   for s in expr.free_symbols)

    def has_linear(self, expr: sympy.Expr) -> bool:
        return any(s.name in self.ops for s in expr.free_symbols)

    def add_op(self, expr: sympy.Expr, owner: str) -> str:
        d = self.diagram
        terms = list(expr.args)
        constants = [t for t in terms if self.is_scalar(t)]
        vectors = [t for t in terms if not self.is_scalar(t)]
        if len(vectors) == 1 and vectors[0].could_extract_minus_sign():
            label = (html(sympy.Add(*constants), self.notation) if constants else "") + "−"
            tex = (self.tex(sympy.Add(*constants)) if constants else "") + "-"
            op = d.add(f"op_{owner}_{self.fresh('minus')}", "op", label, tex)
            self.feed(-vectors[0], op, owner)
            return op
        label = "+" if not constants else "+" + html(sympy.Add(*constants), self.notation)
        tex = "+" if not constants else "+" + self.tex(sympy.Add(*constants))
        op = d.add(f"op_{owner}_{self.fresh('add')}", "op", label, tex)
        for term in vectors:
            if term.could_extract_minus_sign():
                self.feed(-term, op, owner, "−")
            else:
                self.feed(term, op, owner)
        return op

    def mul_op(self, expr: sympy.Expr, owner: str) -> str:
        d = self.diagram
        scalars = [f for f in expr.args if self.is_scalar(f)]
        vectors = [f for f in expr.args if not self.is_scalar(f)]
        denominators = [f.base for f in vectors if f.is_Pow and f.exp == -1]
        vectors = [f for f in vectors if not (f.is_Pow and f.exp == -1)]
        if denominators and vectors:
            op = d.add(f"op_{owner}_{self.fresh('div')}", "op", *GLYPHS["div"])
            self.feed(sympy.Mul(*vectors, *scalars), op, owner)
            for den in denominators:
                self.feed(den, op, owner, "÷")
            return op
        label = "×" + (" " + html(sympy.Mul(*scalars), self.notation) if scalars else "")
        tex = GLYPHS["mul"][1] + (" " + self.tex(sympy.Mul(*scalars)) if scalars else "")
        op = d.add(f"op_{owner}_{self.fresh('mul')}", "op" if not scalars else "func", label, tex)
        for factor in vectors:
            self.feed(factor, op, owner)
        for den in denominators:
            self.feed(den, op, owner, "÷")
        return op

    def mark_state_lines(self) -> None:
        """Thick, straight lines from each previous state to the state (the cell state along the top)."""
        d = self.diagram
        self.lines: dict[str, list[str]] = {}
        for state in self.cell.states:
            path = self.path(f"in_{state.previous}", f"out_{state.name}") if state.name in self.line_states else []
            self.lines[state.name] = path
            for tail, head in zip(path, path[1:]):
                for edge in d.edges:
                    if edge.tail == tail and edge.head == head:
                        edge.kind = "state"
            for name in path:
                node = next(n for n in d.nodes if n.name == name)
                node.attrs.setdefault("group", f"state_{state.name}")
        on_line = {name for path in self.lines.values() for name in path}
        for edge in d.edges:
            if (edge.tail, edge.head) in self.peeks:
                edge.kind = "peek"
        for edge in d.edges if not self.across else []:  # a branch off a flat line must not pull it apart
            if edge.tail in on_line and edge.head not in on_line:
                edge.attrs["constraint"] = "false"

    def path(self, start: str, goal: str) -> list[str]:
        nexts: dict[str, list[str]] = {}
        for edge in self.diagram.edges:
            nexts.setdefault(edge.tail, []).append(edge.head)
        frontier, seen = [[start]], {start}
        while frontier:
            path = frontier.pop(0)
            if path[-1] == goal:
                return path
            for head in nexts.get(path[-1], []):
                if head not in seen and not head.startswith("layer_"):
                    seen.add(head)
                    frontier.append(path + [head])
        return []


#: The layouts tried for each forward diagram, in order of preference on a tie: (layers in rows by depth,
#: previous states on a line bundled with x, drawn across). Upwards (colah's picture: state lines on top) comes
#: first; across is chosen where dot cannot keep a flat state line in order, or crosses fewer edges.
VARIANTS = ((True, True, False), (True, False, False), (False, True, False), (False, False, False),
            (True, True, True), (True, False, True), (False, True, True))


def forward_diagram(derived: Derived, notation: Notation) -> Diagram:
    """The forward diagram in the variant dot lays out best: no edge through a box, then state lines straight and
    left to right, then fewest crossings (measured by layout_check). Without dot, the first variant."""
    return best_layout([ForwardBuilder(derived.cell, notation, *options).build() for options in VARIANTS], "cell")
