"""Notation as data: how each name of a cell is written (LaTeX base, time index, vector or not, order)."""

from __future__ import annotations

from dataclasses import dataclass

from .cell import Cell

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
ACCENTS = {"tilde": r"\tilde", "hat": r"\hat", "bar": r"\bar", "dot": r"\dot", "check": r"\check"}
ADJOINT_PREFIX = "d_"
INCOMING_SUFFIX = "_in"
PREACTIVATION_SUFFIX = "_bar"

# Categories order the factors of a product: adjoints, parameters, gates, states and inputs, matrix terms.
CATEGORY = {"adjoint": 0, "constant": 1, "parameter": 2, "node": 3, "previous": 4, "input": 4, "linear": 5}


@dataclass(frozen=True)
class Glyph:
    """A name's written form: main symbol, subscript, time kind ('step', 'prev' or None), vector or not."""

    main: str
    sub: str
    time: str | None
    vector: bool
    matrix: bool
    category: int
    rank: int


def split_name(name: str) -> tuple[str, str]:
    """'W_f' -> ('W', 'f'); 'h_tilde_bar' -> (r'\\bar{\\tilde{h}}', ''); 'alpha_1' -> (r'\\alpha', '1')."""
    parts = name.split("_")
    main = parts[0]
    main = "\\" + main if main in GREEK else main
    subs = []
    for part in parts[1:]:
        if part in ACCENTS:
            main = f"{ACCENTS[part]}{{{main}}}"
        elif part in GREEK:
            subs.append("\\" + part)
        else:
            subs.append(part)
    return main, ",".join(subs)


def text_name(name: str) -> str:
    """The plain-text form of a name (unchanged: text output uses the spec's own names)."""
    return name


class Notation:
    """Glyphs for every name a cell's equations and derivatives mention."""

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.glyphs: dict[str, Glyph] = {}
        self.linear = {key: (term.matrix, term.vector) for key, term in cell.linear.items()}
        self._build()

    def _invariant(self) -> set[str]:
        """Nodes computed from parameters and constants only: the same at every step, so no time index."""
        fixed = {p.name for p in self.cell.parameters} | set(self.cell.constants)
        found: set[str] = set()
        for node in self.cell.nodes:
            if node.expr is not None and {s.name for s in node.expr.free_symbols} <= fixed | found:
                found.add(node.name)
        return found

    def _build(self) -> None:
        self.invariant = self._invariant()
        cell = self.cell
        rank = 0
        for name in self._reading_order():
            if name not in self.glyphs:
                self.glyphs[name] = self._glyph(name, rank)
                rank += 1
        for node in cell.nodes:
            if node.name not in self.glyphs:
                self.glyphs[node.name] = self._glyph(node.name, rank)
                rank += 1

    def _reading_order(self) -> list[str]:
        """Names in the order an author wrote them (first use in the equations), for ordering sums."""
        order: list[str] = []
        for node in self.cell.nodes:
            if node.expr is not None:
                order.extend(s.name for s in sorted(node.expr.free_symbols, key=lambda s: s.name))
            order.extend(t.source for t in node.terms if t.source != "I")
        for term in self.cell.linear.values():
            order.extend([term.matrix, term.vector])
        return order

    def kind(self, name: str) -> str:
        cell = self.cell
        if name in self.linear:
            return "linear"
        if name == cell.input:
            return "input"
        if any(s.previous == name for s in cell.states):
            return "previous"
        if name in cell.constants:
            return "constant"
        if any(p.name == name for p in cell.parameters):
            return "parameter"
        return "node"

    def _glyph(self, name: str, rank: int) -> Glyph:
        kind = self.kind(name)
        shape = self.cell.shapes.get(name, ())
        if kind == "previous":
            state = next(s for s in self.cell.states if s.previous == name)
            main, sub = split_name(state.name)
            return Glyph(main, sub, "prev", True, False, CATEGORY[kind], rank)
        main, sub = split_name(name) if kind != "linear" else ("", "")
        time = "step" if kind in ("input", "node") and len(shape) < 2 and name not in self.invariant else None
        return Glyph(main, sub, time, len(shape) == 1, len(shape) == 2, CATEGORY[kind], rank)

    def glyph(self, name: str) -> Glyph:
        if name not in self.glyphs:
            self.glyphs[name] = self._glyph(name, len(self.glyphs))
        return self.glyphs[name]

    def is_vector(self, name: str) -> bool:
        """True for per-unit quantities (vectors, their adjoints, matrix-vector terms)."""
        base = adjoint_base(name)
        if base in self.linear:
            return True
        return self.glyph(base).vector


def adjoint_name(name: str) -> str:
    """The name of the adjoint of `name` (d_<name>)."""
    return ADJOINT_PREFIX + name


def incoming_name(name: str) -> str:
    """The name of the adjoint arriving at state or output `name` from outside the step."""
    return ADJOINT_PREFIX + name + INCOMING_SUFFIX


def adjoint_base(name: str) -> str:
    """'d_f_bar' -> 'f_bar'; 'd_h_in' -> 'h'; other names unchanged."""
    if name.startswith(ADJOINT_PREFIX):
        name = name[len(ADJOINT_PREFIX):]
        if name.endswith(INCOMING_SUFFIX):
            name = name[: -len(INCOMING_SUFFIX)]
    return name
