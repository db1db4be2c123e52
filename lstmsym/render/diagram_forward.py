"""The forward diagram of a cell, derived from its graph: boxes for layers (one affine map and at most one
nonlinearity, naming their weights), circles for pointwise operations, thick straight lines for the states,
inputs at the bottom. Every node carries what it computes (semantics.py), so the drawing reads back to the
cell's equations."""

from __future__ import annotations

from functools import cached_property

import sympy

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.functions import BY_CLASS, ElementwiseBase
from ..model.ir import Reduction
from ..model.vector_ops import SumUnits, operator_form
from ..printing.html import html
from ..printing.latex import latex
from ..printing.notation import Notation
from ..spec.naming import is_internal
from . import tools
from .diagram import GLYPHS, STYLE, Diagram, best_layout, to_dot
from .layout_check import check_dot, score
from .layers import Affine, Weighted, affine_form, applied, is_weight, layer_label
from .arrange import Arrangement
from .legend import add_legend
from .pointwise import PointwiseOps
from .semantics import Concat, Mean


class ForwardBuilder(PointwiseOps, Arrangement):
    """Boxes for layers (affine map + nonlinearity), circles for pointwise operations, state lines."""

    def __init__(self, cell: Cell, notation: Notation, rows_by_depth: bool = True, bundle_lines: bool = True,
                 stacked: bool = False, clustered: bool = False, gates_ordered: bool = True) -> None:
        self.cell = cell
        self.gates_ordered = gates_ordered
        self.stacked = stacked
        self.clustered = clustered
        self.rows_by_depth = rows_by_depth
        self.bundle_lines = bundle_lines
        self.notation = notation
        self.diagram = Diagram(f"{cell.name}_forward", dict(STYLE["graph"]))
        self.producer: dict[str, str] = {}
        self.counter: dict[str, int] = {}
        self.pre = {n.key: n for n in cell.value_nodes if n.origin == "preactivation"}
        self.ops = {op.key: op for op in cell.operators}
        self.members: dict[str, list[str]] = {}  # junction -> the values it bundles, in order
        self.glyphs: dict[str, tuple[str, str]] = {}  # layer box -> its function's (HTML, LaTeX) glyph

    def fresh(self, base: str) -> str:
        self.counter[base] = self.counter.get(base, 0) + 1
        return f"{base}{self.counter[base]}"

    def build(self) -> Diagram:
        d = self.diagram
        for state in self.cell.states:
            self.producer[state.previous] = self.input_node(state.previous, html(sympy.Symbol(state.previous), self.notation))
        for item in self.cell.inputs:
            self.producer[item.name] = self.input_node(item.name, html(sympy.Symbol(item.name), self.notation))
        for node in self.cell.value_nodes:
            if node.origin in ("preactivation", "operator") or not node.batched:
                continue
            self.producer[node.key] = self.node(node)
            if not is_internal(node.key):
                d.name_value(self.producer[node.key], node.key)
        for name in list(self.cell.outputs) + [s.name for s in self.cell.states if s.name not in self.cell.outputs]:
            out = d.add(f"out_{name}", "output", html(sympy.Symbol(name), self.notation), self.tex(sympy.Symbol(name)))
            d.set_sem(out, self.use(sympy.Symbol(name), out, name))
        self.mark_state_lines()
        self.arrange()
        add_legend(d, "cell", self.notation.time_letter)
        return d

    def input_node(self, key: str, label: str) -> str:
        name = self.diagram.add(f"in_{key}", "input", label, self.tex(sympy.Symbol(key)))
        self.diagram.set_sem(name, sympy.Symbol(key))
        return name

    # -- pieces ------------------------------------------------------------------------
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
        return html(sympy.Symbol(name), self.notation)

    def use(self, expr: sympy.Expr, head: str, owner: str, sign: str = "", kind: str = "edge") -> sympy.Symbol:
        """An edge into head carrying expr's value (its operations drawn first when no node computes it yet), and
        the symbol that stands for it in head's semantics. sign is '−' or '÷' when head subtracts or divides by
        it (written before the quantity's name on the edge: −q_t)."""
        sign_tex = {GLYPHS["minus"][0]: GLYPHS["minus"][1], GLYPHS["div"][0]: GLYPHS["div"][1]}.get(sign, "")
        if expr.is_Symbol and expr.name in self.producer:
            name = expr.name
            tex = " ".join(t for t in (sign_tex, self.label_tex(name)) if t)
            return self.diagram.operand(self.producer[name], head, sign + self.label_of(name), kind, tex)
        return self.diagram.operand(self.emit(expr, owner), head, sign, kind, sign_tex)

    def node(self, node) -> str:
        """The node that computes one quantity of the cell's graph."""
        if isinstance(node, Reduction):
            glyph = GLYPHS["mean" if node.mean else "sum"]
            op = self.diagram.add(f"op_{self.ident(node.key)}", "func", glyph[0], glyph[1])
            operand = self.use(node.expr, op, self.ident(node.key))
            self.diagram.set_sem(op, Mean(operand) if node.mean else SumUnits(operand))
            return op
        return self.emit(node.expr, self.ident(node.key), top=True)

    def unfold(self, expr: sympy.Expr) -> sympy.Expr:
        """A pre-activation written out (the layer that applies a function to it reads its terms)."""
        return self.pre[expr.name].expr if expr.is_Symbol and expr.name in self.pre else expr

    def form(self, expr: sympy.Expr) -> Affine | None:
        """expr as one layer, its weights in the order of what they read (W x before U h, as papers write)."""
        form = affine_form(expr, self.cell, self.unfold, self.is_scalar)
        if form is None:
            return None
        declared = [i.name for i in self.cell.inputs] + [s.previous for s in self.cell.states]
        position = {name: k for k, name in enumerate(declared)}
        weights = sorted(form.weights, key=lambda w: position.get(self.ops[w.key].args[1], len(declared)))
        return Affine(form.func, tuple(weights), form.operands, form.bias)

    def expanded(self, expr: sympy.Expr) -> sympy.Expr:
        """expr with every pre-activation without a matrix product written out."""
        return expr.xreplace({sympy.Symbol(k): p.expr for k, p in self.pre.items() if not self.has_linear(p.expr)})

    @staticmethod
    def ident(key: str) -> str:
        """A DOT node name made from a key (':' is kept out of ids)."""
        return key.replace(":", "_")

    # -- layers ----------------------------------------------------------------------------
    def layer(self, form: Affine, owner: str, top: bool = False) -> str:
        """One box: the affine map's weighted vectors arrive through a bundle where they are shared inputs; the
        vectors added elementwise (a peephole, a computed term) arrive on their own edges."""
        label, tex = layer_label(form, self.cell, self.notation)
        box = self.diagram.add(f"layer_{owner}" if top else f"layer_{owner}_{self.fresh('layer')}", "layer", label, tex)
        self.glyphs[box] = (BY_CLASS[form.func].html, BY_CLASS[form.func].label_latex) if form.func else GLYPHS["matvec"]
        weighted = [sympy.Symbol(self.ops[w.key].args[1]) for w in form.weights]
        refs = self.bundled(box, weighted)
        line_values = {s.previous for s in self.cell.states if s.name in self.line_states} | self.line_states
        for vector in weighted + [value for _, value in form.operands]:
            if vector not in refs:
                peek = vector.is_Symbol and vector.name in line_values and vector not in weighted
                refs[vector] = self.use(vector, box, owner, kind="peek" if peek else "edge")
        body = sympy.Add(*[applied(self.cell, w, refs[v]) for w, v in zip(form.weights, weighted)],
                         *[coef * refs[value] for coef, value in form.operands], form.bias)
        self.diagram.set_sem(box, form.func(body, evaluate=False) if form.func else body)
        return box

    def bundled(self, box: str, vectors: list[sympy.Expr]) -> dict[sympy.Expr, sympy.Symbol]:
        """The shared inputs among vectors reach the box through one junction: their parts of its bundle."""
        names = [v.name for v in vectors if v.is_Symbol]
        shared = [name for name in self.order(set(names) & set(self.shared_inputs))]
        if len(shared) < 2:
            return {}
        junction = self.junction(shared)
        bundle = self.diagram.operand(junction, box)
        members = self.members[junction]
        return {sympy.Symbol(name): sympy.Symbol(f"{bundle.name}.{members.index(name) + 1}") for name in shared}

    def order(self, names) -> list[str]:
        """Inputs in the order a bundle lists them (by the notation's rank, then as the spec declares them)."""
        declared = [i.name for i in self.cell.inputs] + [s.previous for s in self.cell.states]
        return sorted(names, key=lambda n: (self.notation.glyph(n).rank, declared.index(n) if n in declared else len(declared)))

    @cached_property
    def layer_reads(self) -> list[list[str]]:
        """For every layer the diagram draws, the named vectors its weights read, in order."""
        found: list[list[str]] = []

        def walk(expr: sympy.Expr) -> None:
            if expr.is_Symbol:
                if expr.name in self.pre:
                    walk(self.pre[expr.name].expr)
                elif expr.name in self.ops and is_weight(self.cell, self.ops[expr.name]):
                    found.append([self.ops[expr.name].args[1]])
                return
            form = self.form(expr)
            if form is None:
                for arg in expr.args:
                    walk(arg)
                return
            found.append(list(dict.fromkeys(self.ops[w.key].args[1] for w in form.weights)))
            for _, value in form.operands:
                walk(value)

        for node in self.cell.value_nodes:
            if node.origin not in ("preactivation", "operator") and node.batched:
                walk(node.expr)
        return found

    @cached_property
    def shared_inputs(self) -> list[str]:
        """The step's inputs (x and previous states) that feed two or more layers' weights: drawn as one bundle."""
        counts: dict[str, int] = {}
        for names in self.layer_reads:
            for name in names:
                counts[name] = counts.get(name, 0) + 1
        lines = {s.previous for s in self.cell.states if s.name in self.line_states and not self.bundle_lines}
        boundary = ({i.name for i in self.cell.inputs} | {s.previous for s in self.cell.states}) - lines
        return self.order(name for name, k in counts.items() if k >= 2 and name in boundary)

    @cached_property
    def line_states(self) -> set[str]:
        """States whose update reads the previous value elementwise, maybe through other elementwise quantities
        (GRU-D's h from h_hat = γ_h h_{t-1}): drawn as a straight line on top."""
        return {s.name for s in self.cell.states if s.previous in self.elementwise_reads(s.name, set())}

    def elementwise_reads(self, key: str, seen: set[str]) -> set[str]:
        """The quantities a value reads through elementwise operations only (no matrix product on the way)."""
        node = self.cell.node(key) if self.cell.has_node(key) else None
        expr = self.expanded(getattr(node, "expr", sympy.S.Zero))
        found = set()
        for symbol in expr.free_symbols - {sympy.Symbol(k) for k in self.ops}:
            found.add(symbol.name)
            inner = self.cell.node(symbol.name) if self.cell.has_node(symbol.name) else None
            if symbol.name not in seen and getattr(inner, "origin", "") == "equation" and not self.has_linear(self.expanded(inner.expr)):
                found |= self.elementwise_reads(symbol.name, seen | {symbol.name})
        return found

    def junction(self, sources: list[str]) -> str:
        """One point where shared inputs meet. A bundle that holds a smaller one (peephole's i and f read c_{t-1},
        x_t and h_{t-1}; g and o read x_t and h_{t-1}) is fed by it, so the two bundles need not cross."""
        name = "join_" + "_".join(sources)
        if name in self.members:
            return name
        self.diagram.add(name, "junction", "")
        inner = max((b for b in self.bundles() if set(b) < set(sources)), key=len, default=[])
        parts, members = [], []
        if inner:
            parts.append(self.diagram.operand(self.junction(inner), name))
            members += self.members["join_" + "_".join(inner)]
        for source in sources:
            if source not in inner:
                parts.append(self.use(sympy.Symbol(source), name, name))
                members.append(source)
        self.members[name] = members
        self.diagram.set_sem(name, Concat(*parts))
        return name

    def bundles(self) -> list[list[str]]:
        """The sets of shared inputs that layers read together, in equation order."""
        found: list[list[str]] = []
        inputs = set(self.shared_inputs)
        for names in self.layer_reads:
            shared = self.order(set(names) & inputs)
            if len(shared) >= 2 and shared not in found:
                found.append(shared)
        return found

    # -- pointwise operations -------------------------------------------------------------------
    def emit(self, expr: sympy.Expr, owner: str, top: bool = False) -> str:
        """The node computing an expression (its operands drawn first); a layer where it is one."""
        if expr.is_Symbol:
            if expr.name in self.producer:
                return self.producer[expr.name]
            if expr.name in self.pre:
                return self.emit(self.pre[expr.name].expr, owner, top)
            if expr.name in self.ops:
                return self.operator(expr.name, owner, top)
            return self.constant(expr, owner)
        form = self.form(expr)
        if form is not None:
            return self.layer(form, owner, top)
        if isinstance(expr, ElementwiseBase):
            return self.function(expr, owner)
        if expr.is_Add:
            return self.add_op(expr, owner)
        if expr.is_Mul:
            return self.mul_op(expr, owner)
        if expr.is_Pow:
            return self.pow_op(expr, owner)
        return self.constant(expr, owner)

    def operator(self, key: str, owner: str, top: bool) -> str:
        """A lone product: a learned matrix or kernel is an affine box of its own (ATR's W x); an outer product,
        or a product with a computed matrix (fast weights' A h), is an operation on two edges."""
        op = self.ops[key]
        if is_weight(self.cell, op):
            return self.layer(Affine(None, (Weighted(sympy.S.One, key),), (), sympy.S.Zero), owner, top)
        label, tex = self.operator_glyph(op)
        node = self.diagram.add(f"op_{owner}_{self.fresh(op.op)}", "op", label, tex)
        operands = [self.use(sympy.Symbol(a), node, owner) for a in op.args]
        self.diagram.set_sem(node, operator_form(op.op, *operands))
        return node

    def operator_glyph(self, op) -> tuple[str, str]:
        """An outer product's glyph; a product with a computed matrix names it (A·)."""
        if op.op == "outer" or len(op.args) == 1:
            return GLYPHS[op.op]
        generic = GLYPHS[op.op]
        matrix = sympy.Symbol(op.args[0])
        return html(matrix, self.notation) + generic[0][1:], self.tex(matrix) + generic[1][1:]

    def is_scalar(self, expr: sympy.Expr) -> bool:
        """True when nothing in expr flows along an edge (numbers, constants, parameters): shown in a label."""
        return all(s.name not in self.producer and s.name not in self.ops and s.name not in self.pre
                   for s in expr.free_symbols)

    def has_linear(self, expr: sympy.Expr) -> bool:
        return any(s.name in self.ops for s in expr.free_symbols)

#: The layouts tried for each forward diagram, in order of preference on a tie: (layers in rows by depth,
#: previous states on a line bundled with x, state lines stacked). All are colah's orientation: state lines on
#: top, left to right.
VARIANTS = tuple((rows, bundle, stacked, clustered) for clustered in (False, True) for stacked in (False, True)
                 for rows in (True, False) for bundle in (True, False))
def forward_diagram(derived: Derived, notation: Notation) -> Diagram:
    """The forward diagram in the variant dot lays out best: no edge through a box, then state lines straight and
    left to right, then fewest crossings (measured by layout_check); the gates in their family's order unless no
    variant keeps the state lines straight with it. Without dot, the first variant."""
    best = best_layout(_variants(derived, notation, True), "cell")
    if tools.dot_available() and score(check_dot(best.name, to_dot(best), "cell"))[:2] != (0, 0):
        best = best_layout(_variants(derived, notation, True) + _variants(derived, notation, False), "cell")
    return best


def _variants(derived: Derived, notation: Notation, ordered: bool) -> list[Diagram]:
    variants = []
    for options in VARIANTS:
        built = ForwardBuilder(derived.cell, notation, *options, gates_ordered=ordered).build()
        flipped = Diagram(built.name, dict(built.graph), list(reversed(built.nodes)), list(built.edges), list(built.same_rank),
                          list(built.lines), built.legend)
        variants += [built, flipped]  # dot's order within a row starts from the order nodes are declared in
    return variants
