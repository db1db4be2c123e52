"""Notation as data: how each quantity of a cell is written (LaTeX and HTML glyphs, time index, reading
order), and the names internal quantities are shown under in text. One table per fact: Greek letters and
accents are listed once with every form they take."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..model.cell import Cell
from ..model.ir import MatrixExpr, Operator, Reduction
from ..model.sizes import SIZE_PREFIX, size_of_key
from ..spec.display import ACCENTS as DISPLAY_ACCENTS, GREEK as DISPLAY_GREEK, NameForm, default_form
from ..spec.naming import adjoint_base, incoming_base, is_internal, parts, preactivation_base

#: The one table of Greek letters and accents lives with the display forms (spec.display).
GREEK, ACCENTS = DISPLAY_GREEK, DISPLAY_ACCENTS
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


def split_name(name: str, form: NameForm | None = None) -> tuple[str, str, list[str], list[str]]:
    """'W_f' -> ('W', 'W', ['f'], ['f']); 'h_tilde' -> (r'\\tilde{h}', 'h̃', [], []); 'alpha_1' -> (r'\\alpha', 'α', ['1'], ['1']);
    'W_xi' -> ('W', 'W', ['xi'], ['xi']): subscripts are never made Greek (a [display] form may ask for it)."""
    form = form or default_form(name)
    return form.main_latex, form.main_text, [p.latex for p in form.subs], [p.text for p in form.subs]


#: Time indices, in order of preference: the first that no name of the cell is written as.
TIME_LETTERS = ("t", "j", "k", "s", "u", "τ")
#: Functions whose written head a user's name can look like: function -> (head it shares, head used instead).
FUNCTION_CLASHES = {"sigmoid": ("σ", ("\\operatorname{sigmoid}", "sigmoid")),
                    "hard_sigmoid": ("σ", ("\\operatorname{hardsigmoid}", "hardsigmoid"))}


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
        # the sizes in the spec's order: a size's rank (where it stands in a sum, m + 7mn + 11n) must not depend on
        # which formula was printed first (a one-process build wrote the index's 11n + 7nm + m)
        for size in cell.spec.sizes:
            self.glyph(SIZE_PREFIX + size)

    # -- written forms ------------------------------------------------------------------
    def form(self, name: str) -> NameForm:
        """How a spec name is written: its [display] form, or the default reading of the name."""
        return self.cell.spec.display.get(name) or default_form(name)

    @cached_property
    def main_symbols(self) -> set[str]:
        """The main symbols (without accents and subscripts) the spec's own names are written with."""
        return {self.form(name).main_text for name in self.user_names if not self.form(name).accents}

    @cached_property
    def time_letter(self) -> str:
        """The step index: t, unless the spec names a quantity t (an input of time stamps, as Phased LSTM's), then
        j as that paper writes it, or the next free letter."""
        return next((letter for letter in TIME_LETTERS if letter not in self.main_symbols), TIME_LETTERS[0])

    def time_label(self, offset: int) -> str:
        """0 -> 't', -1 -> 't-1', 1 -> 't+1' (with the cell's time letter)."""
        return self.time_letter if offset == 0 else f"{self.time_letter}{offset:+d}"

    def function_head(self, name: str) -> tuple[str, str] | None:
        """(LaTeX, text) a function is written with instead of its usual head, where one of the spec's names is
        written like that head (an equation called sigma: the sigmoid is then written sigmoid); None otherwise."""
        clash = FUNCTION_CLASHES.get(name)
        return clash[1] if clash and clash[0] in self.main_symbols else None

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

    def one_name(self, expr: sympy.Expr) -> bool:
        """Whether an expression prints as one name (a superscript or a transpose may sit on it unbracketed)."""
        return expr.is_Symbol and (not self.is_expression(expr.name) or expr.name in self.latex_aliases)

    def is_expression(self, key: str) -> bool:
        """Keys printed as the expression they stand for (operators, reductions, auto-named operands)."""
        return is_internal(key) and (parts(key)[0] in ("arg", "mat", "red") or self.kind(key) == "operator")

    def adjoint_bracketed(self, key: str) -> bool:
        """Whether the adjoint of `key` is written δ(...): an expression, or a name that is itself written δ (GRU-D's
        time gap delta, whose adjoint read δδ_t)."""
        return self.is_expression(key) or (not is_internal(key) and self.glyph(key).html == ADJOINT_GLYPH[1])

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
            latex, html, subs, html_subs = split_name(state.name, self.form(state.name))
            return Glyph(latex, html, tuple(subs), tuple(html_subs), "prev", rank, CATEGORY[kind], vector)
        pre = preactivation_base(key)
        if pre is not None:
            latex, html, subs, html_subs = split_name(pre, self.form(pre))
            accent = ACCENTS[PREACTIVATION_ACCENT]
            latex, html = f"{accent[0]}{{{latex}}}", html + accent[1]
            index = parts(key)[0][3:]
            subs, html_subs = subs + ([index] if index else []), html_subs + ([index] if index else [])
        elif is_internal(key):
            latex, html, subs, html_subs = "", "", [], []
        else:
            latex, html, subs, html_subs = split_name(key, self.form(key))
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
