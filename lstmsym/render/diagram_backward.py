"""The gradient-flow diagram: one box per adjoint statement of the derived backward pass, an edge from each adjoint
to every adjoint computed from it, labelled with the factor that multiplies it there; adjoints that reach the same
results through the gates' matrices meet in one junction. Each box carries its statement over its incoming edges
(semantics.py), so the drawing reads back to the derivation."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.ir import Reduction
from ..model.vector_ops import MatTVec, SumTrailing, SumUnits
from ..printing.html import html
from ..printing.latex import latex
from ..printing.notation import Notation
from ..printing.order import factor_needs_brackets, is_vector
from ..spec.naming import adjoint_base, incoming_base, is_internal
from .diagram import GLYPHS, STYLE, DEdge, Diagram, best_layout
from .layers import matrix_html
from .legend import add_legend
from .semantics import Concat, ref
from .tikz import LINE_BREAK


@dataclass
class Use:
    """A term of an adjoint's statement reads a drawn adjoint along an edge (part j of a junction's bundle)."""

    term: sympy.Expr
    source: sympy.Symbol
    edge: DEdge
    part: int | None = None


class BackwardBuilder:
    """One box per adjoint statement; an edge from each adjoint to every adjoint computed from it, labelled
    with the factor that multiplies it there. The boxes and edges are read off the derived statements."""

    def __init__(self, derived: Derived, notation: Notation) -> None:
        self.cell = derived.cell
        self.back = derived.backward
        self.notation = notation
        graph = dict(STYLE["graph"], rankdir="RL")
        self.diagram = Diagram(f"{self.cell.name}_backward", graph)
        self.terms: dict[str, list[sympy.Expr]] = {}  # each adjoint box's statement, term by term
        self.uses: list[Use] = []  # where each term reads a drawn adjoint

    @staticmethod
    def ident(key: str) -> str:
        return "adj_" + key.replace(":", "_")

    def build(self) -> Diagram:
        d = self.diagram
        for key in self.back.incoming:
            d.add(self.ident(key), "input", html(sympy.Symbol(key), self.notation), latex(sympy.Symbol(key), self.notation))
            d.set_sem(self.ident(key), sympy.Symbol(key))
        _, folded = statistics(self.cell)
        statements = [st for st in self.back.statements if st.kind in ("node", "carry", "input")]
        through: dict[sympy.Symbol, sympy.Expr] = {}  # a folded reduction's adjoint, written out where it is used
        for st in statements:
            if adjoint_base(st.target) in folded:
                through[st.symbol] = st.expr.xreplace(through)
        statements = [st for st in statements if st.symbol not in through]
        for st in statements:
            kind = "output" if st.kind in ("carry", "input") else "adjoint"
            d.add(self.ident(st.target), kind, html(st.symbol, self.notation), latex(st.symbol, self.notation))
            d.name_value(self.ident(st.target), st.target)
        known = {n.name for n in d.nodes}
        self.name_parameters(known)
        matrices: dict[tuple[str, str], sympy.Expr] = {}
        for st in statements:
            terms = sympy.Add.make_args(st.expr.xreplace(through))
            # where a state's adjoint is carried elementwise and through a matrix too (Lipschitz RNN's
            # h_{t-1} + eps A h_{t-1}), the elementwise edge is the state line and the matrix edge an ordinary one
            carried = {s for t in terms if not isinstance(t, MatTVec) for s in t.free_symbols}
            for term in terms:
                self.terms.setdefault(self.ident(st.target), []).append(term)
                for source in sorted(term.free_symbols, key=lambda s: s.name):
                    is_adjoint = adjoint_base(source.name) is not None or incoming_base(source.name) is not None
                    if self.ident(source.name) in known and is_adjoint:
                        line = self.on_state_line(source.name, st.target) and not (isinstance(term, MatTVec) and source in carried)
                        kind = "state" if line else "grad"
                        edge = d.connect(self.ident(source.name), self.ident(st.target), self.factor(term, source), kind,
                                         self.factor_tex(term, source))
                        self.uses.append(Use(term, source, edge))
                        if isinstance(term, MatTVec) and term.args[1] == source:
                            matrices[(self.ident(source.name), self.ident(st.target))] = term.args[0]
        self.bundle(matrices)
        self.bundle_sums()
        self.write_semantics()
        return d

    def name_parameters(self, known: set[str]) -> None:
        """Under each adjoint, the parameters' gradients taken from it (δz̄_t → δU_z, δb_z), as the forward boxes name
        their weights: GRU1's gradient flow differed from GRU2's only in δb_z and δb_r, and was drawn alike."""
        taken: dict[str, list[sympy.Symbol]] = {}
        for st in self.back.statements:
            if st.kind == "param":
                for source in sorted(st.expr.free_symbols, key=lambda s: s.name):
                    if self.ident(source.name) in known and adjoint_base(source.name) is not None:
                        taken.setdefault(self.ident(source.name), []).append(st.symbol)
        for node in self.diagram.nodes:
            if node.name in taken:
                names = taken[node.name]
                node.label += '<BR/><FONT POINT-SIZE="12">→ ' + ", ".join(html(p, self.notation) for p in names) + "</FONT>"
                node.tex += LINE_BREAK + r"\to " + ", ".join(latex(p, self.notation) for p in names)

    def write_semantics(self) -> None:
        """Each adjoint's statement over its incoming edges (#k, or #k.j for part j of a junction's bundle); each
        junction bundles what flows into it, in order."""
        d = self.diagram
        for node in d.nodes:
            for arg, edge in enumerate((e for e in d.edges if e.head == node.name), start=1):
                edge.arg = arg
            if node.kind == "junction":
                d.set_sem(node.name, Concat(*[ref(e.arg) for e in d.edges if e.head == node.name]))
        for head, terms in self.terms.items():
            written = []
            for term in terms:
                uses = [u for u in self.uses if u.term is term and u.edge.head == head]
                written.append(term.xreplace({u.source: ref(u.edge.arg, u.part) for u in uses}))
            d.set_sem(head, sympy.Add(*written))

    def rewire(self, removed: list[DEdge], junction: str | None = None, sources: list[str] | None = None) -> None:
        """Uses of removed edges now arrive through the junction's edge into the same head (part j of its bundle),
        or, for a dropped parallel edge, through the one kept."""
        for use in self.uses:
            if not any(use.edge is e for e in removed):
                continue
            if junction is None:
                use.edge = next(e for e in self.diagram.edges if e.tail == use.edge.tail and e.head == use.edge.head
                                and e.label == use.edge.label)
            else:
                use.part = sources.index(use.edge.tail) + 1
                use.edge = next(e for e in self.diagram.edges if e.tail == junction and e.head == use.edge.head)

    def bundle_sums(self) -> None:
        """Adjoints that each reach the same set of per-sequence scalars through a sum over units (the gates'
        adjoints reaching layer norm's dmu and dsd) meet in one junction, with one Σ edge per scalar; parallel
        Σ edges between the same two boxes are drawn once."""
        d = self.diagram
        sigma = GLYPHS["sum"]
        unique: list[DEdge] = []
        for e in d.edges:
            if not (e.label == sigma[0] and any(u.tail == e.tail and u.head == e.head and u.label == e.label for u in unique)):
                unique.append(e)
        dropped = [e for e in d.edges if not any(e is u for u in unique)]
        d.edges[:] = unique
        self.rewire(dropped)
        reach: dict[str, frozenset[str]] = {}
        for n in d.nodes:
            heads = [e.head for e in d.edges if e.tail == n.name and e.label == sigma[0]]
            if len(heads) >= 2 and len(set(heads)) == len(heads):
                reach[n.name] = frozenset(heads)
        groups: dict[frozenset[str], list[str]] = {}
        for name, heads in reach.items():
            groups.setdefault(heads, []).append(name)
        for number, (heads, sources) in enumerate(sorted(groups.items(), key=lambda g: g[1])):
            if len(sources) < 2:
                continue
            removed = [e for e in d.edges if e.tail in sources and e.head in heads and e.label == sigma[0]]
            d.edges[:] = [e for e in d.edges if not any(e is r for r in removed)]
            name = self.join(f"sum_{number}_{sources[0]}", sources, {head: sigma for head in sorted(heads)})
            self.rewire(removed, name, sources)

    def bundle(self, matrices: dict[tuple[str, str], sympy.Expr]) -> None:
        """Adjoints that each reach the same two results through a transposed matrix alone (every gate's
        pre-activation adjoint reaching dx_t through W^T and dh_{t-1} through U^T) meet in one junction, and
        one edge per result carries the stacked matrix, in equation order: [U_i; U_f; ...]^T. The mirror of the forward diagram's
        input bundle, and without it the K(gates, 2) edges must cross."""
        d = self.diagram
        outputs = [n.name for n in d.nodes if n.kind == "output"]
        for a, b in [(a, b) for i, a in enumerate(outputs) for b in outputs[i + 1:]]:
            sources = [n.name for n in reversed(d.nodes) if (n.name, a) in matrices and (n.name, b) in matrices
                       and sum(1 for e in d.edges if e.tail == n.name and e.head in (a, b)) == 2]
            if len(sources) < 2:
                continue
            removed = [e for e in d.edges if e.tail in sources and e.head in (a, b)]
            d.edges[:] = [e for e in d.edges if not any(e is r for r in removed)]
            labels = {}
            for head in (a, b):
                stacked = [matrix_html(self.cell, matrices[(s, head)], self.notation) for s in sources]
                labels[head] = ("[" + "; ".join(m[0] for m in stacked) + "]<SUP>T</SUP>",
                                r"\left[" + r";\,".join(m[1] for m in stacked) + r"\right]^{\top}")
            self.rewire(removed, self.join(f"split_{a}_{b}", sources, labels), sources)

    def join(self, name: str, sources: list[str], labels: dict[str, tuple[str, str]]) -> str:
        """A junction the sources flow into, and one edge from it to each head with its (HTML, LaTeX) label."""
        junction = self.diagram.add(name, "junction", "")
        for source in sources:
            self.diagram.connect(source, junction, "", "grad")
        for head, (label, tex) in labels.items():
            self.diagram.connect(junction, head, label, "grad", tex)
        return junction

    def factor(self, term: sympy.Expr, source: sympy.Symbol) -> str:
        """What multiplies the source adjoint in a term, as a label ('⊙ f', '⊙ (1 − z)', 'U<SUP>T</SUP>')."""
        if term == source:
            return ""
        if isinstance(term, MatTVec):
            inner = self.factor(term.args[1], source) if term.args[1] != source else ""
            return f"{matrix_html(self.cell, term.args[0], self.notation)[0]}<SUP>T</SUP>" + (f" ({inner})" if inner else "")
        if isinstance(term, (SumUnits, SumTrailing)):
            return "Σ"
        if not term.is_Mul or source not in term.args:
            return ""
        rest = sympy.Mul(*[f for f in term.args if f != source])
        text = html(rest, self.notation)
        if not is_vector(self.notation, rest):  # a scalar multiplies: −γ, dt (⊙ is for two vectors)
            return text
        return "⊙ " + (f"({text})" if factor_needs_brackets(rest, 1) else text)

    def factor_tex(self, term: sympy.Expr, source: sympy.Symbol) -> str:
        """The same factor as factor(), in LaTeX."""
        if term == source:
            return ""
        if isinstance(term, MatTVec):
            inner = self.factor_tex(term.args[1], source) if term.args[1] != source else ""
            return f"{matrix_html(self.cell, term.args[0], self.notation)[1]}^{{\\top}}" + (rf" \left({inner}\right)" if inner else "")
        if isinstance(term, (SumUnits, SumTrailing)):
            return GLYPHS["sum"][1]
        if not term.is_Mul or source not in term.args:
            return ""
        rest = sympy.Mul(*[f for f in term.args if f != source])
        text = latex(rest, self.notation)
        if not is_vector(self.notation, rest):
            return text
        return r"\odot " + (rf"\left({text}\right)" if factor_needs_brackets(rest, 1) else text)

    def on_state_line(self, source: str, target: str) -> bool:
        """Whether an edge runs along one state's line (dc_in -> dc_t -> dc_{t-1}), not between two states."""
        state_of = {s.name: s.name for s in self.cell.states} | {s.previous: s.name for s in self.cell.states}
        base = lambda n: incoming_base(n) or adjoint_base(n)  # noqa: E731
        return base(source) in state_of and state_of[base(source)] == state_of.get(base(target))


def statistics(cell: Cell) -> tuple[set[str], dict[str, sympy.Expr]]:
    """Named per-sequence scalars computed from reductions (layer norm's mean and variance), each drawn as one
    box fed by the vectors it summarises, and the reductions folded into them (not drawn on their own)."""
    pre = {n.key: n for n in cell.value_nodes if n.origin == "preactivation"}
    reductions = {n.key: n.expr for n in cell.value_nodes if isinstance(n, Reduction)}
    found: set[str] = set()
    for node in cell.value_nodes:
        if node.origin != "equation" or is_internal(node.key) or cell.shapes.get(node.key) != ():
            continue
        reads = {s.name for s in node.expr.free_symbols}
        reads |= {s.name for r in reads if r in pre for s in pre[r].expr.free_symbols}
        if reads & (set(reductions) | found):
            found.add(node.key)
    consumers: dict[str, set[str]] = {}
    for node in cell.value_nodes:
        for s in getattr(node, "expr", sympy.S.Zero).free_symbols:
            consumers.setdefault(s.name, set()).add(node.key)
    folded = {key: expr for key, expr in reductions.items() if consumers.get(key) and consumers[key] <= found}
    return found, folded


def backward_diagram(derived: Derived, notation: Notation) -> Diagram:
    """The gradient-flow diagram, boxes declared in statement order or reversed, whichever dot lays out best."""
    built = BackwardBuilder(derived, notation).build()
    add_legend(built, "backward", notation.time_letter)
    flipped = Diagram(built.name, dict(built.graph), list(reversed(built.nodes)), list(built.edges), list(built.same_rank),
                      legend=built.legend)
    return best_layout([built, flipped], "backward")
