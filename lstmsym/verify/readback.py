"""Read printed formulas back into the cell's terms and compare them with what was derived.

The documents print every equation and gradient in LaTeX and MathML. This module reads such a formula (through
readback_tokens, a reader of the printed grammar written apart from the printers), turns each printed symbol back
into the spec name it must stand for, by rules of its own (W_{xi} is the spec's W_xi; h_{t-1} is h's previous
value; δ is an adjoint; a bar is a pre-activation), builds a SymPy expression, and checks that it equals the
derived one. A symbol printed wrongly (W_ξ for W_xi, m_t for the size m, a lost bracket) fails the check."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from ..model.cell import Cell
from ..model.functions import FUNCTIONS, ElementwiseBase, apply
from ..model.sizes import SIZE_PREFIX
from ..model.vector_ops import Conv, LossGrad, MatVec, Next, Outer, SumUnits, Transposed
from .readback_tokens import ALONG_HEADS, GREEK, LatexLexer, ReadError, read_latex, read_mathml

ACCENT_WORDS = ("tilde", "hat", "bar", "dot", "check")
ADJOINT_OF = sympy.Function("adjoint_of")
BDIAG = sympy.Function("bdiag")
SUM_POSITIONS = sympy.Function("sum_positions")
ROW_SUM = sympy.Function("rowsum")
#: Two matrices written side by side (W_2 W_1 x): resolved to W_2 (W_1 x) once the vector they act on is read.
MATRIX_PRODUCT = sympy.Function("matrix_product")
CONV_WEIGHTS = sympy.Function("conv_weights")
STRUCTURAL = ("sum", "mean", "dot")


def expected_form(name: str, display: str | None) -> tuple:
    """How the spec says `name` is written: (main, accents, subscripts), by the reader's own rules."""
    if display is not None:
        token = LatexLexer(display).tokens()
        if len(token) != 1 or token[0][0] != "name":
            raise ReadError(f"display form {display!r} of {name!r} is not one symbol")
        return token[0][1:]
    pieces = name.split("_")
    main = GREEK.get(pieces[0], pieces[0]) if pieces[0] in GREEK and pieces[0] != "ell" else pieces[0]
    accents = tuple(p for p in pieces[1:] if p in ACCENT_WORDS)
    subs = tuple(p for p in pieces[1:] if p not in ACCENT_WORDS)
    return main, tuple(sorted(accents)), subs


@dataclass
class Names:
    """The spec's names by how they must be written, and what each is (state, matrix...)."""

    by_form: dict[tuple, list[str]]
    states: dict[str, str]          # state name -> previous name
    matrices: set[str]
    time: str
    timed: set[str]                 # names written with a time index
    ranks: dict[str, int]           # 0 for scalars, 1 for vectors, 2 for matrices...

    @classmethod
    def of(cls, cell: Cell, time: str = "t") -> "Names":
        spec = cell.spec
        names = list(spec.inputs) + list(spec.states) + list(spec.parameters) + list(spec.constants) + list(spec.matrices)
        names += [eq.name for eq in spec.equations if eq.name not in spec.states]
        by_form: dict[tuple, list[str]] = {}
        for name in dict.fromkeys(names):
            display = spec.display.get(name)
            form = expected_form(name, display.source if display is not None else None)
            by_form.setdefault(form, []).append(name)
        for size in spec.sizes:
            display = spec.display.get(size)
            form = expected_form(size, display.source if display is not None else None)
            by_form.setdefault(form, []).append(SIZE_PREFIX + size)
        identity = {"I": 2} if "I" not in names else {}
        if identity:
            by_form.setdefault(("I", (), ()), []).append("I")
        matrices = {key for key, shape in cell.shapes.items() if len(shape) == 2} | set(identity)
        timed = {i.name for i in cell.inputs} | {s.name for s in cell.states}
        timed |= {node.key for node in cell.nodes if ":" not in node.key and cell.is_batched(node.key)}
        ranks = {key: len(shape) for key, shape in cell.shapes.items()} | identity
        return cls(by_form, {s.name: s.previous for s in cell.states}, matrices, time, timed, ranks)

    def resolve(self, main: str, accents: tuple[str, ...], subs: tuple[str, ...]) -> sympy.Expr:
        """A printed symbol as the cell's quantity: Symbol(key), or Next(Symbol(key)) one step ahead."""
        offset = None
        pattern = rf"{re.escape(self.time)}([+-]\d+)?"
        if subs and re.fullmatch(pattern, subs[-1]):
            offset = int(subs[-1][len(self.time):] or 0)
            subs = subs[:-1]
        key = self._key(main, tuple(sorted(accents)), subs, offset is not None)
        if offset is None or offset == 0:
            return sympy.Symbol(key)
        base = key.split(":")[-1]
        if offset == -1 and base in self.states:
            return sympy.Symbol(key.replace(base, self.states[base]) if ":" in key else self.states[base])
        if offset == 1:
            return Next(sympy.Symbol(key))
        raise ReadError(f"{main}{subs} at offset {offset} is not a state")

    def _candidates(self, form: tuple, timed: bool) -> list[str]:
        """Names written so: a name with a time index is an input, state or per-step quantity, one without is not."""
        return [name for name in self.by_form.get(form, []) if (name in self.timed) == timed]

    def _key(self, main: str, accents: tuple[str, ...], subs: tuple[str, ...], timed: bool) -> str:
        found = self._candidates((main, accents, subs), timed)
        if len(found) > 1:
            raise ReadError(f"{main} {accents} {subs} could be any of {found}")
        if found:
            return found[0]
        if "bar" in accents:
            rest = list(accents)
            rest.remove("bar")
            for index, sub_list in (("", subs), (subs[-1] if subs else "", subs[:-1])):
                if index and not index.isdigit():
                    continue
                inner = self._candidates((main, tuple(rest), sub_list), timed)
                if len(inner) == 1:
                    return f"pre{index}:{inner[0]}"
        raise ReadError(f"no name of the spec is written {main} {accents} {subs} ({'with' if timed else 'without'} a time index)")

    def rank(self, key: str) -> int:
        """The rank of a key, or of the quantity an adjoint key is about."""
        head, separator, rest = key.partition(":")
        base = rest if separator and head in ("d", "in") else key
        return self.ranks.get(base, 0)

    def is_vector(self, expr: sympy.Expr) -> bool:
        """Whether an expression mentions a vector (or larger) quantity."""
        return any(self.rank(s.name) >= 1 for s in expr.free_symbols)

    def is_matrix(self, expr: sympy.Expr) -> bool:
        """Whether an expression is matrix-valued: a matrix name, an outer product, or elementwise arithmetic and
        functions of one (1 - C² is a matrix where C is); a matrix times a vector is not."""
        if isinstance(expr, (Transposed, Next)):
            return self.is_matrix(expr.args[0])
        if expr.is_Symbol:
            return self.rank(expr.name) == 2
        if isinstance(expr, (Outer, MATRIX_PRODUCT)):
            return True
        if expr.is_Add or expr.is_Mul or expr.is_Pow or isinstance(expr, ElementwiseBase):
            return any(self.is_matrix(a) for a in expr.args)
        return False


class Parser:
    """Tokens of one printed formula to a SymPy expression in the reader's canonical vocabulary."""

    def __init__(self, tokens: list[tuple], names: Names) -> None:
        self.tokens = tokens
        self.at = 0
        self.names = names

    def peek(self) -> tuple | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple:
        token = self.peek()
        if token is None:
            raise ReadError("the formula ends too early")
        self.at += 1
        return token

    def expect(self, kind: str) -> None:
        token = self.take()
        if token[0] != kind:
            raise ReadError(f"expected {kind}, found {token}")

    def whole(self) -> sympy.Expr:
        expr = self.sum()
        if self.peek() is not None:
            raise ReadError(f"left over: {self.tokens[self.at:]}")
        return expr

    def sub(self, tokens: list[tuple]) -> sympy.Expr:
        return Parser(tokens, self.names).whole()

    # -- grammar ------------------------------------------------------------------------------
    def sum(self) -> sympy.Expr:
        terms = [self.product()]
        while self.peek() in (("op", "+"), ("op", "-")):
            sign = self.take()[1]
            term = self.product()
            terms.append(term if sign == "+" else -term)
        return sympy.Add(*terms)

    STARTS = ("name", "num", "lp", "func", "frac", "sqrt", "abs", "floor", "step", "adjoint", "sumunits", "sumpos")

    def product(self) -> sympy.Expr:
        """Factors joined by ⊙; juxtaposition and ∗, ⋆, ·, mod bind tighter (a ⊙ W x is a ⊙ (W x))."""
        left = self.tight()
        while self.peek() in (("op", "odot"), ("op", "/")):
            operator = self.take()[1]
            right = self.tight()
            left = left * right if operator == "odot" else left / right
        return left

    def tight(self) -> sympy.Expr:
        left = self.unary()
        while True:
            token = self.peek()
            if token is not None and token[0] == "op" and token[1] in ("conv", "convw", "dot", "mod"):
                self.take()
                left = self.binary(token[1], left, self.unary())
            elif token is not None and token[0] in self.STARTS:
                left = self.juxtapose(left, self.unary())
            else:
                return left

    def binary(self, op: str, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
        if op == "odot":
            return left * right
        if op == "conv":
            return Conv(left, right)
        if op == "convw":
            return CONV_WEIGHTS(left, right)
        if op == "dot":
            return sympy.Function("dot")(left, right)
        return apply("mod", [left, right])

    def juxtapose(self, left: sympy.Expr, right: sympy.Expr) -> sympy.Expr:
        """M v is a matrix product, u vᵀ an outer product, anything else a product by a scalar."""
        if isinstance(left, MATRIX_PRODUCT) and self.names.is_vector(right) and not self.names.is_matrix(right):
            return self.juxtapose(left.args[0], self.juxtapose(left.args[1], right))  # A B v = A (B v)
        if self.names.is_matrix(left) and self.names.is_vector(right) and not self.names.is_matrix(right):
            return MatVec(left, right)
        if left.is_Symbol and right.is_Symbol and self.names.is_matrix(left) and self.names.is_matrix(right):
            return MATRIX_PRODUCT(left, right)
        if isinstance(right, Transposed) and not self.names.is_matrix(right.args[0]):
            return Outer(left, right.args[0])
        return left * right

    def unary(self) -> sympy.Expr:
        if self.peek() == ("op", "-"):
            self.take()
            return -self.unary()
        return self.postfix(self.atom())

    def postfix(self, expr: sympy.Expr) -> sympy.Expr:
        while self.peek() is not None and self.peek()[0] == "sup":
            script = self.take()[1]
            if script == [("name", "⊤", (), ())]:
                expr = Transposed(expr)
            else:
                exponent = self.sub(script)
                # a root too wide for a line is printed as (a)^{1/2} (render.linebreak): the same square root
                expr = apply("sqrt", [expr]) if exponent == sympy.Rational(1, 2) else expr ** exponent
        return expr

    def atom(self) -> sympy.Expr:  # noqa: C901 - one branch per token kind
        token = self.take()
        kind = token[0]
        if kind == "name":
            return self.names.resolve(*token[1:])
        if kind == "num":
            return token[1]
        if kind == "lp":
            inner = self.sum()
            self.expect("rp")
            return inner
        if kind == "frac":
            if token[1][:1] == [("partial", [])]:
                return LossGrad(self.sub(token[2][1:]))
            return self.sub(token[1]) / self.sub(token[2])
        if kind == "sqrt":
            return apply("sqrt", [self.sub(token[1])])
        if kind in ("abs", "floor", "step"):
            return apply(kind, [self.sub(token[1])])
        if kind == "adjoint":
            return self.adjoint()
        if kind == "sumunits":
            return SumUnits(self.bracket())
        if kind == "sumpos":
            return SUM_POSITIONS(self.bracket())
        if kind == "func":
            return self.call(token[1])
        raise ReadError(f"unexpected {token}")

    def bracket(self) -> sympy.Expr:
        self.expect("lp")
        inner = self.sum()
        self.expect("rp")
        return inner

    def adjoint(self) -> sympy.Expr:
        if self.peek() == ("lp",):
            inner = self.bracket()  # δ(δ_t): the adjoint of a quantity whose own name is written δ (GRU-D's delta)
            return sympy.Symbol(f"d:{inner.name}") if inner.is_Symbol and ":" not in inner.name else ADJOINT_OF(inner)
        token = self.take()
        if token[0] != "name":
            raise ReadError(f"δ before {token}")
        quantity = self.names.resolve(*token[1:])
        if self.peek() == ("sup", [("name", "in", (), ())]):
            self.take()
            if isinstance(quantity, Next):
                return Next(sympy.Symbol(f"in:{quantity.args[0].name}"))
            return sympy.Symbol(f"in:{quantity.name}")
        if isinstance(quantity, Next):
            return Next(sympy.Symbol(f"d:{quantity.args[0].name}"))
        return sympy.Symbol(f"d:{quantity.name}")

    def call(self, name: str) -> sympy.Expr:
        power = None
        if self.peek() is not None and self.peek()[0] == "sup":
            power = self.sub(self.take()[1])
        if self.peek() == ("lp",):
            self.take()
            args = [self.sum()]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.sum())
            self.expect("rp")
        else:
            args = [self.postfix(self.atom())]
        if name == "bdiag":
            value = BDIAG(*args)
        elif name in ("diag", "rowsum"):
            value = sympy.Function(name)(*args)
        elif name in STRUCTURAL or name in ALONG_HEADS:
            value = sympy.Function(name)(*args)
        elif name in FUNCTIONS:
            value = apply(name, args)
        else:
            raise ReadError(f"unknown function {name!r}")
        return value ** power if power is not None else value


def read_formula(text: str, names: Names, notation: str = "latex") -> sympy.Expr:
    """One printed formula (LaTeX source, or a MathML fragment) as an expression in the cell's keys."""
    tokens = read_latex(text) if notation == "latex" else read_mathml(text)
    return Parser(tokens, names).whole()


__all__ = ["Names", "Parser", "ReadError", "expected_form", "read_formula"]
