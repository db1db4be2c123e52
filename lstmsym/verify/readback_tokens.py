"""Lexers for reading printed formulas back: LaTeX source and presentation MathML, both to one token stream.

This module and readback.py are a reader of the *printed grammar*, written apart from the printers (it imports
none of them, nor their tables): if a printer writes a symbol wrongly, the reader reads the wrong symbol, and
the read-back check fails. SymPy's own LaTeX parsers cannot read `h_{t-1}` (FACTS.md), hence this reader.

Tokens are tuples whose first item says what they are:
  ("name", main, accents, subs)      a symbol: main text (Unicode), accent words, subscript items (Unicode)
  ("num", value)                     a number (a SymPy Rational)
  ("op", text)                       + - odot conv convw dot mod , > bar-step
  ("lp",) ("rp",)                    brackets (any size)
  ("func", name)                     a function head (its argument follows)
  ("sup", tokens)                    a superscript on what precedes it ("T" alone is a transpose, "in" incoming)
  ("frac", tokens, tokens) ("sqrt", tokens) ("abs", tokens) ("floor", tokens) ("step", tokens)
  ("adjoint",)                       the δ that makes an adjoint of what follows
  ("partial", tokens)                ∂ and what it applies to (inside a fraction)
  ("sumunits",) ("sumpos",)          1ᵀ(·) and Σ over positions
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from xml.dom import minidom

import sympy

from ..model.functions import SPEC_FUNCTIONS

#: The reader's own table of Greek letters: LaTeX command -> Unicode.
GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ",
         "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
         "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "varepsilon": "ϵ", "vartheta": "ϑ",
         "varphi": "ϕ", "varrho": "ϱ", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
         "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ"}
#: Accents: LaTeX command -> word; Unicode combining mark -> word.
ACCENT_COMMANDS = {"tilde": "tilde", "hat": "hat", "bar": "bar", "dot": "dot", "check": "check"}
COMBINING = {"\u0303": "tilde", "\u0302": "hat", "\u0304": "bar", "\u0307": "dot", "\u030c": "check"}
#: Function heads as printed: LaTeX -> function name. \sigma is a function only before a bracket.
LATEX_FUNCTIONS = {"tanh": "tanh", "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "max": "max", "min": "min"}
#: Operations along the units of a vector and the adjoints of two of them, printed by their names (read as
#: functions of these names).
ALONG_HEADS = ("cumsum", "cummax", "softmax", "revcumsum", "cummaxgrad")
OPERATOR_NAMES = {"relu": "relu", "softplus": "softplus", "hardtanh": "hard_tanh", "softsign": "softsign", "elu": "elu",
                  "lrelu": "leaky_relu", "sgn": "sign", "sum": "sum", "mean": "mean", "bdiag": "bdiag", "diag": "diag",
                  "sigmoid": "sigmoid", "hardsigmoid": "hard_sigmoid", "step": "step", "where": "where",
                  "rowsum": "rowsum", **{name: name for name in ALONG_HEADS}}
#: MathML function heads (an <mi> with one of these texts followed by a bracket).
MATHML_FUNCTIONS = {**{k: k for k in LATEX_FUNCTIONS}, **OPERATOR_NAMES, "σ": "sigmoid"}
MATHML_OPERATORS = {"+": "+", "−": "-", "-": "-", "⊙": "odot", "∗": "conv", "⋆": "convw", "⋅": "dot", "·": "dot",
                    ",": ",", ">": ">", "mod": "mod", "/": "/"}


def head(word: str, names: dict[str, str] = OPERATOR_NAMES) -> str | None:
    """The function a printed head names: the reader's own table (lrelu is leaky_relu), else a function's own name
    (gelu); only the function table's names are read, never how a printer writes them."""
    return names.get(word) or (word if word in SPEC_FUNCTIONS else None)


class ReadError(ValueError):
    """A printed formula the reader cannot read."""


def number(text: str) -> tuple:
    return ("num", sympy.Rational(Fraction(text)))


# -- LaTeX ------------------------------------------------------------------------------------------------
_LATEX = re.compile(r"\\[A-Za-z]+|\\[,;! ]|\d+(?:\.\d+)?|[A-Za-z]|[{}_^()\[\]+\-,=><|/]|\s+|.")
_SKIP = {r"\left", r"\right", r"\textstyle", r"\displaystyle", r"\,", r"\;", r"\!", r"\ ", r"\quad", r"\qquad",
         r"\big", r"\Big", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr"}


class LatexLexer:
    """LaTeX as lstmsym prints it (a subset) to tokens."""

    def __init__(self, text: str) -> None:
        self.raw = [t for t in _LATEX.findall(text) if not t.isspace()]
        self.at = 0

    def peek(self, ahead: int = 0) -> str | None:
        index = self.at + ahead
        return self.raw[index] if index < len(self.raw) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ReadError(f"expected {expected!r}, found {token!r} at token {self.at} of {' '.join(self.raw)!r}")
        self.at += 1
        return token

    def group(self) -> list[tuple]:
        """{...} as tokens, or one raw token."""
        if self.peek() != "{":
            return LatexLexer(self.take()).tokens()
        self.take("{")
        depth, start = 1, self.at
        while depth:
            token = self.take()
            depth += (token == "{") - (token == "}")
        inner = LatexLexer("")
        inner.raw = self.raw[start:self.at - 1]
        return inner.tokens()

    def word(self) -> str:
        self.take("{")
        text = ""
        while self.peek() != "}":
            text += self.take()
        self.take("}")
        return text

    def tokens(self) -> list[tuple]:
        out: list[tuple] = []
        while self.peek() is not None:
            out.extend(self.token(out))
        return out

    def subscripts(self) -> tuple[str, ...]:
        items = ["".join(_plain(t) for t in part) for part in _split(self.group())]
        return tuple(items)

    def symbol(self, main: str, accents: tuple[str, ...] = ()) -> tuple:
        subs: tuple[str, ...] = ()
        if self.peek() == "_":
            self.take()
            subs = self.subscripts()
        return ("name", main, accents, subs)

    def token(self, before: list[tuple]) -> list[tuple]:  # noqa: C901 - one branch per construct, read in order
        token = self.take()
        if token in _SKIP:
            if token in (r"\left", r"\right") and self.peek() == ".":
                self.take()  # a null delimiter: a bracket opened or closed on another line
                return []
            if token == r"\left" and self.peek() in (r"\lvert", r"\lfloor"):
                return [self.bracketed(self.take())]
            return []
        command = token[1:] if token.startswith("\\") else None
        if token == "[":
            return [("step", self.until_step())]
        if token == "(":
            return [("lp",)]
        if token == "{":
            self.at -= 1
            return [("lp",), *self.group(), ("rp",)]
        if token == ")":
            return [("rp",)]
        if token in ("+", "-", ",", ">", "/"):
            return [("op", token)]
        if token == "^":
            return [("sup", self.group())]
        if re.fullmatch(r"\d+(?:\.\d+)?", token):
            return [number(token)]
        if command in ("odot", "ast", "star", "cdot", "bmod"):
            return [("op", {"odot": "odot", "ast": "conv", "star": "convw", "cdot": "dot", "bmod": "mod"}[command])]
        if command == "frac":
            return [("frac", self.group(), self.group())]
        if command == "sqrt":
            return [("sqrt", self.group())]
        if command == "partial":
            return [("partial", [])]
        if command == "mathbf" and self.peek(1) == "1":
            self.word()
            self.take("^")
            self.group()
            return [("sumunits",)]
        if command == "sum" and self.peek() == "_":
            self.take("_")
            self.group()
            return [("sumpos",)]
        if command == "operatorname":
            return [("func", head(self.word()) or "?")]
        if command in LATEX_FUNCTIONS:
            return [("func", LATEX_FUNCTIONS[command])]
        if command == "sigma" and self.peek() == "_" and self.peek(2) == r"\mathrm" and "".join(self.raw[self.at + 4:self.at + 8]) == "hard":
            self.take("_")
            self.group()
            return [("func", "hard_sigmoid")]
        if command == "sigma" and self.peek() in ("(", r"\left", "^"):
            return [("func", "sigmoid")]
        if command == "delta" and self.peek() != "_":
            return [("adjoint",)]
        if command in ACCENT_COMMANDS:
            inner = LatexLexer("")
            inner.raw = self._group_raw()
            name = inner.token([])[0]
            if name == ("adjoint",):  # an accent on a quantity named delta: \bar{\delta}_t is a name, not an adjoint
                name = ("name", "δ", ())
            main, accents = name[1], name[2] + (ACCENT_COMMANDS[command],)
            return [self.symbol(main, accents)]
        if command in ("mathit", "mathrm", "mathcal"):
            return [self.symbol(self.word())]
        if command == "top":
            return [("name", "⊤", (), ())]
        if command in GREEK:
            return [self.symbol(GREEK[command])]
        if len(token) == 1 and token.isalpha():
            return [self.symbol(token)]
        raise ReadError(f"unknown LaTeX {token!r} in {' '.join(self.raw)!r}")

    def _group_raw(self) -> list[str]:
        self.take("{")
        depth, start = 1, self.at
        while depth:
            token = self.take()
            depth += (token == "{") - (token == "}")
        return self.raw[start:self.at - 1]

    def bracketed(self, opener: str) -> tuple:
        closer = {r"\lvert": r"\rvert", r"\lfloor": r"\rfloor"}[opener]
        start, depth = self.at, 0
        while True:
            token = self.take()
            if token == r"\left":
                depth += 1
            elif token == r"\right":
                if self.peek() == closer and depth == 0:
                    break
                depth -= 1
        inner = LatexLexer("")
        inner.raw = self.raw[start:self.at - 1]
        self.take(closer)
        return ("abs" if opener == r"\lvert" else "floor", inner.tokens())

    def until_step(self) -> list[tuple]:
        """[x > 0]: the unit step, up to its closing bracket."""
        start, depth = self.at, 0
        while True:
            token = self.take()
            if token == "[":
                depth += 1
            elif token == "]":
                if not depth:
                    break
                depth -= 1
        inner = LatexLexer("")
        inner.raw = self.raw[start:self.at - 1]
        tokens = inner.tokens()
        if tokens[-2:] != [("op", ">"), ("num", 0)]:
            raise ReadError(f"a step bracket without '> 0': {tokens}")
        return tokens[:-2]


def _plain(token: tuple) -> str:
    """A token inside a subscript as the text it shows."""
    if token[0] == "name":
        return token[1] + "".join(token[3])
    if token[0] == "num":
        return str(token[1])
    if token[0] == "op":
        return {"-": "-", "+": "+"}.get(token[1], token[1])
    if token[0] == "adjoint":
        return "δ"
    if token[0] == "func" and token[1] == "sigmoid":
        return "σ"
    raise ReadError(f"unexpected {token} in a subscript")


def _split(tokens: list[tuple]) -> list[list[tuple]]:
    parts: list[list[tuple]] = [[]]
    for token in tokens:
        if token == ("op", ","):
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def read_latex(text: str) -> list[tuple]:
    return LatexLexer(text).tokens()


# -- MathML ------------------------------------------------------------------------------------------------
def _text(node) -> str:
    return "".join(child.data for child in node.childNodes if child.nodeType == child.TEXT_NODE).strip()


def _elements(node) -> list:
    return [child for child in node.childNodes if child.nodeType == child.ELEMENT_NODE]


def _split_marks(text: str) -> tuple[str, tuple[str, ...]]:
    base = "".join(ch for ch in text if ch not in COMBINING)
    return unicodedata.normalize("NFC", base), tuple(COMBINING[ch] for ch in text if ch in COMBINING)


class MathMLLexer:
    """Presentation MathML as lstmsym prints it to tokens."""

    def tokens(self, node) -> list[tuple]:
        out: list[tuple] = []
        children = _elements(node)
        for index, child in enumerate(children):
            following = children[index + 1] if index + 1 < len(children) else None
            out.extend(self.element(child, following, out))
        return _pair_marks(_pair_bars(out))

    def element(self, node, following, before: list[tuple]) -> list[tuple]:  # noqa: C901 - one branch per element
        tag = node.tagName
        if tag in ("mrow", "math", "mstyle", "mtable", "mtr", "mtd"):
            return self.tokens(node)  # a long equation's lines (printing.mathml_lines) read as one row
        if tag == "mspace":
            return []
        if tag == "mn":
            return [number(_text(node).replace("−", "-"))]
        if tag == "mo":
            text = _text(node)
            if text in ("[", "]", "⌊", "⌋"):
                return [("mark", text)]
            if text == "(":
                return [("lp",)]
            if text == ")":
                return [("rp",)]
            if text == "∂":
                return [("partial", [])]
            if text == "∑":
                return [("sumunits",)]
            if text == "|":
                return [("bar",)]
            if text in MATHML_OPERATORS:
                return [("op", MATHML_OPERATORS[text])]
            raise ReadError(f"unknown MathML operator {text!r}")
        if tag == "mi":
            text = _text(node)
            if (function := head(text, MATHML_FUNCTIONS)) and following is not None and self.opens(following):
                return [("func", function)]
            if text == "δ":
                return [("adjoint",)]
            main, accents = _split_marks(text)
            return [("name", main, accents, ())]
        if tag == "msub":
            base, sub = _elements(node)
            if _text(base) == "∑" or (base.tagName == "mo" and _text(base) == "∑"):
                return [("sumpos",)]
            inner = [("name", *_split_marks(_text(base)), ())] if base.tagName == "mi" else self.tokens_of(base)
            subs = tuple("".join(_plain(t) for t in part) for part in _split(self.subscript(sub)))
            if inner[-1:] == [("func", "sigmoid")] or (len(inner) == 1 and inner[0][:2] == ("name", "σ") and subs == ("hard",)):
                return [("func", "hard_sigmoid")]
            if len(inner) != 1 or inner[0][0] != "name":
                raise ReadError(f"a subscript on {inner}")
            return [("name", inner[0][1], inner[0][2], inner[0][3] + subs)]
        if tag == "msup":
            base, sup = _elements(node)
            return self.tokens_of(base) + [("sup", self.tokens_of(sup))]
        if tag == "mfrac":
            top, bottom = _elements(node)
            return [("frac", self.tokens_of(top), self.tokens_of(bottom))]
        if tag == "msqrt":
            return [("sqrt", self.tokens(node))]
        raise ReadError(f"unknown MathML element <{tag}>")

    def subscript(self, node) -> list[tuple]:
        return self._items(_text(node)) if node.tagName == "mi" else self.tokens_of(node)

    @staticmethod
    def _items(text: str) -> list[tuple]:
        out: list[tuple] = []
        for index, item in enumerate(text.replace("−", "-").split(",")):
            if index:
                out.append(("op", ","))
            out.append(("name", item, (), ()))
        return out

    def tokens_of(self, node) -> list[tuple]:
        return self.element(node, None, []) if node.tagName != "mrow" else self.tokens(node)

    @staticmethod
    def opens(node) -> bool:
        while node.tagName == "mrow" and _elements(node):
            node = _elements(node)[0]
        return node.tagName == "mo" and _text(node) == "("


def read_mathml(text: str) -> list[tuple]:
    """A MathML fragment (or a <math> element) as tokens; '|' pairs become ("abs", tokens)."""
    document = minidom.parseString(f"<root>{text}</root>")
    return MathMLLexer().tokens(document.documentElement)


def _pair_marks(tokens: list[tuple]) -> list[tuple]:
    """[x > 0] as the unit step and ⌊x⌋ as the floor, within one row of tokens."""
    out: list[tuple] = []
    stack: list[tuple[str, list[tuple]]] = []
    for token in tokens:
        if token[0] == "mark" and token[1] in ("[", "⌊"):
            stack.append((token[1], []))
            continue
        if token[0] == "mark":
            opener, inner = stack.pop()
            if opener == "[":
                if inner[-2:] != [("op", ">"), ("num", 0)]:
                    raise ReadError(f"a step bracket without '> 0': {inner}")
                made = ("step", inner[:-2])
            else:
                made = ("floor", inner)
            (stack[-1][1] if stack else out).append(made)
            continue
        (stack[-1][1] if stack else out).append(token)
    if stack:
        raise ReadError("an unpaired [ or ⌊")
    return out


def _pair_bars(tokens: list[tuple]) -> list[tuple]:
    out: list[tuple] = []
    stack: list[list[tuple]] = []
    for token in tokens:
        if token == ("bar",):
            if stack and (not stack[-1] or stack[-1][-1][0] not in ("op", "lp")):
                inner = stack.pop()
                (stack[-1] if stack else out).append(("abs", inner))
                continue
            stack.append([])
            continue
        (stack[-1] if stack else out).append(token)
    if stack:
        raise ReadError("an unpaired |")
    return out
