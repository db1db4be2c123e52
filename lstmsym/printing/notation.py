"""Notation as data: how each quantity of a cell is written (LaTeX and HTML glyphs, time index, reading
order), and the names internal quantities are shown under in text. One table per fact: Greek letters and
accents are listed once with every form they take."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..model.cell import Cell
from ..model.ir import MatrixExpr, Operator, Reduction
from ..model.sizes import size_of_key
from ..spec.naming import adjoint_base, incoming_base, is_internal, parts, preactivation_base

#: Greek letters: spec name -> (LaTeX, Unicode).
GREEK = {name: (f"\\{name}", char) for name, char in (
    ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ε"), ("zeta", "ζ"), ("eta", "η"),
    ("theta", "θ"), ("iota", "ι"), ("kappa", "κ"), ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"), ("pi", "π"),
    ("rho", "ρ"), ("sigma", "σ"), ("tau", "τ"), ("upsilon", "υ"), ("phi", "φ"), ("chi", "χ"), ("psi", "ψ"), ("omega", "ω"),
    ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"), ("Xi", "Ξ"), ("Pi", "Π"), ("Sigma", "Σ"),
    ("Upsilon", "Υ"), ("Phi", "Φ"), ("Psi", "Ψ"), ("Omega", "Ω"))}
#: Accents written as name suffixes ('h_tilde'): spec word -> (LaTeX command, Unicode combining mark).
ACCENTS = {"tilde": (r"\tilde", "\u0303"), "hat": (r"\hat", "\u0302"), "bar": (r"\bar", "\u0304"),
           "dot": (r"\dot", "\u0307"), "check": (r"\check", "\u030c")}
ADJOINT_GLYPH = (r"\delta", "δ")
INCOMING_MARK = "in"
PREACTIVATION_ACCENT = "bar"

# Categories order the factors of a product: adjoints, constants, parameters, gates, states and inputs, operators.
CATEGORY = {"adjoint": 0, "constant": 1, "parameter": 2, "node": 3, "previous": 4, "input": 4, "operator": 5, "size": 1}


@dataclass(frozen=True)
class Glyph:
    """A name's written form: main symbol (LaTeX and HTML), subscripts, time kind ('step', 'prev' or None)."""

    latex: str
    html: str
    subs: tuple[str, ...]
    html_subs: tuple[str, ...]
    time: str | None
    rank: int
    category: int
    vector: bool


def split_name(name: str) -> tuple[str, str, list[str], list[str]]:
    """'W_f' -> ('W', 'W', ['f'], ['f']); 'h_tilde' -> (r'\\tilde{h}', 'h̃', [], []); 'alpha_1' -> (r'\\alpha', 'α', ['1'], ['1'])."""
    pieces = name.split("_")
    latex, html = GREEK.get(pieces[0], (pieces[0], pieces[0]))
    subs: list[str] = []
    html_subs: list[str] = []
    for part in pieces[1:]:
        if part in ACCENTS:
            latex = f"{ACCENTS[part][0]}{{{latex}}}"
            html += ACCENTS[part][1]
        elif part in GREEK:
            subs.append(GREEK[part][0])
            html_subs.append(GREEK[part][1])
        else:
            subs.append(part)
            html_subs.append(part)
    return latex, html, subs, html_subs


class Notation:
    """Glyphs and text names for every key a cell's equations and derivatives mention."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.glyphs: dict[str, Glyph] = {}
        #: LaTeX names given to long matrix expressions, so equations fit a page (see render.context).
        self.latex_aliases: dict[str, str] = {}
        self._rank = 0
        for key in self._reading_order():
            self.glyph(key)
        for node in cell.nodes:
            self.glyph(node.key)

    # -- what a key is ----------------------------------------------------------------
    def kind(self, key: str) -> str:
        cell = self.cell
        if size_of_key(key) is not None:
            return "size"
        if cell.has_node(key) and isinstance(cell.node(key), (Operator, Reduction, MatrixExpr)) and is_internal(key):
            return "operator"
        if key in {i.name for i in cell.inputs}:
            return "input"
        if key in cell.state_of_previous:
            return "previous"
        if key in cell.constants:
            return "constant"
        if cell.is_parameter(key):
            return "parameter"
        return "node"

    def is_expression(self, key: str) -> bool:
        """Keys printed as the expression they stand for (operators, reductions, auto-named operands)."""
        return is_internal(key) and (parts(key)[0] in ("arg", "mat", "red") or self.kind(key) == "operator")

    def unit_rank(self, key: str) -> int:
        """0 for scalars, 1 for vectors, ... (adjoints and incoming adjoints have the rank of their quantity)."""
        base = adjoint_base(key) or incoming_base(key) or key
        if size_of_key(base) is not None:
            return 0
        return len(self.cell.shapes.get(base, ()))

    def is_vector(self, key: str) -> bool:
        return self.unit_rank(key) >= 1

    # -- reading order ----------------------------------------------------------------------
    def _reading_order(self) -> list[str]:
        """Names in the order an author wrote them (first use in the equations), for ordering sums."""
        order: list[str] = []
        for node in self.cell.nodes:
            expr = getattr(node, "expr", None)
            if expr is not None:
                order.extend(s.name for s in sorted(expr.free_symbols, key=lambda s: s.name))
            order.extend(t.source for t in getattr(node, "terms", ()) if t.source != "I")
        for node in self.cell.operators:
            order.extend(node.args)
        return order

    # -- glyphs -----------------------------------------------------------------------------
    def glyph(self, key: str) -> Glyph:
        if key not in self.glyphs:
            self.glyphs[key] = self._glyph(key, self._rank)
            self._rank += 1
        return self.glyphs[key]

    def _glyph(self, key: str, rank: int) -> Glyph:
        base = adjoint_base(key) or incoming_base(key)
        if base is not None:
            inner = self.glyph(base)
            return Glyph(inner.latex, inner.html, inner.subs, inner.html_subs, inner.time, inner.rank, CATEGORY["adjoint"], inner.vector)
        kind = self.kind(key)
        vector = self.unit_rank(key) >= 1
        if kind == "size":
            name = size_of_key(key) or key
            return Glyph(name, name, (), (), None, rank, CATEGORY["size"], False)
        if kind == "previous":
            state = self.cell.state_of_previous[key]
            latex, html, subs, html_subs = split_name(state.name)
            return Glyph(latex, html, tuple(subs), tuple(html_subs), "prev", rank, CATEGORY[kind], vector)
        pre = preactivation_base(key)
        if pre is not None:
            latex, html, subs, html_subs = split_name(pre)
            accent = ACCENTS[PREACTIVATION_ACCENT]
            latex, html = f"{accent[0]}{{{latex}}}", html + accent[1]
            index = parts(key)[0][3:]
            subs, html_subs = subs + ([index] if index else []), html_subs + ([index] if index else [])
        elif is_internal(key):
            latex, html, subs, html_subs = "", "", [], []
        else:
            latex, html, subs, html_subs = split_name(key)
        batched = self.cell.is_batched(key) if self.cell.has_node(key) else kind == "input"
        time = "step" if kind in ("input", "node", "operator") and batched else None
        return Glyph(latex, html, tuple(subs), tuple(html_subs), time, rank, CATEGORY[kind], vector)

    # -- text names -----------------------------------------------------------------------------
    @cached_property
    def user_names(self) -> set[str]:
        spec = self.cell.spec
        names = set(spec.inputs) | set(spec.parameters) | set(spec.constants) | {e.name for e in spec.equations}
        return names | {s.previous for s in spec.states.values()} | set(spec.sizes)

    @cached_property
    def text_names(self) -> dict[str, str]:
        """Internal key -> the identifier it is shown as in text (never one of the user's own names)."""
        taken = set(self.user_names)
        out: dict[str, str] = {}
        user = [n.key for n in self.cell.nodes if not is_internal(n.key)] + [i.name for i in self.cell.inputs]
        user += list(self.cell.state_of_previous) + [p.name for p in self.cell.parameters]
        internal = [n.key for n in self.cell.nodes if is_internal(n.key)]
        # the adjoints of the user's own quantities get the plain names first (d_h_in for an equation h_in)
        keys = [f"d:{k}" for k in user] + internal + [f"in:{s.name}" for s in self.cell.states]
        keys += [f"in:{o}" for o in self.cell.outputs] + [f"d:{k}" for k in internal]
        for key in keys:
            wanted = self._wanted(key, out)
            if wanted is None or key in out:
                continue
            name, index = wanted, 1
            while name in taken:
                name, index = f"{wanted}_{index}", index + 1
            taken.add(name)
            out[key] = name
        return out

    def _wanted(self, key: str, assigned: dict[str, str]) -> str | None:
        if not is_internal(key):
            return None
        base = incoming_base(key)
        if base is not None:
            return f"d_{base}_in"
        base = adjoint_base(key)
        if base is not None:
            if self.is_expression(base):
                return None
            inner = base if not is_internal(base) else assigned.get(base)
            return f"d_{inner}" if inner is not None else None
        pre = preactivation_base(key)
        if pre is not None:
            index = parts(key)[0][3:]
            return f"{pre}_bar{index}"
        return None

    def text_name(self, key: str) -> str | None:
        """How a key is written in text: a user name as it is, an internal one by its shown name; None for a
        key shown as an expression (an operator or auto-named operand, or the adjoint of one)."""
        if not is_internal(key):
            return key
        if size_of_key(key) is not None:
            return size_of_key(key)
        return self.text_names.get(key)

    @cached_property
    def key_of_text(self) -> dict[str, str]:
        """The inverse: a shown name -> its key (for reading formulas back)."""
        return {name: key for key, name in self.text_names.items()}
