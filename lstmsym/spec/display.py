"""How a name is written for a reader: the one rendering table from spec names to their printed forms.

A name's form is a main symbol (a letter, a word, or a Greek letter), accents over it, and subscripts. The
default comes from the name itself: 'W_xi' is W with subscript xi, as ConvLSTM's paper writes it; the base
becomes Greek only when it is exactly a Greek letter's name ('alpha', 'gamma_f'), never a subscript; the words
tilde, hat, bar, dot and check after an underscore are accents ('h_tilde'). A spec may give any name an explicit
form in its [display] table, written in a small LaTeX subset that this module reads (never evaluates):

    [display]
    U_theta = "U_{\\theta}"        # a Greek subscript, as the CFN paper writes it
    x_hat = "\\hat{x}"
    log_tau = "\\log\\tau"          # not allowed: one symbol with accents and subscripts, see GRAMMAR

Every printer (LaTeX, MathML, HTML labels, TikZ, text) reads the same NameForm, so they cannot disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Greek letters: name -> (LaTeX, Unicode). Upper-case forms only where they differ from Latin capitals.
GREEK: dict[str, tuple[str, str]] = {name: (f"\\{name}", char) for name, char in (
    ("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("epsilon", "ε"), ("zeta", "ζ"), ("eta", "η"),
    ("theta", "θ"), ("iota", "ι"), ("kappa", "κ"), ("lambda", "λ"), ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"), ("pi", "π"),
    ("rho", "ρ"), ("sigma", "σ"), ("tau", "τ"), ("upsilon", "υ"), ("phi", "φ"), ("chi", "χ"), ("psi", "ψ"), ("omega", "ω"),
    ("varepsilon", "ϵ"), ("vartheta", "ϑ"), ("varphi", "ϕ"), ("varrho", "ϱ"),
    ("Gamma", "Γ"), ("Delta", "Δ"), ("Theta", "Θ"), ("Lambda", "Λ"), ("Xi", "Ξ"), ("Pi", "Π"), ("Sigma", "Σ"),
    ("Upsilon", "Υ"), ("Phi", "Φ"), ("Psi", "Ψ"), ("Omega", "Ω"))}
#: Accents written as name suffixes ('h_tilde') or as LaTeX commands in a display form: word -> (LaTeX, combining mark).
ACCENTS: dict[str, tuple[str, str]] = {"tilde": (r"\tilde", "\u0303"), "hat": (r"\hat", "\u0302"), "bar": (r"\bar", "\u0304"),
                                       "dot": (r"\dot", "\u0307"), "check": (r"\check", "\u030c")}
GRAMMAR = ("a display form: one symbol (a letter, \\mathrm{word}, or a Greek letter such as \\theta), optionally inside "
           "accents (\\tilde{...}, \\hat{...}, \\bar{...}, \\dot{...}, \\check{...}), then optionally _{...} with letters, digits, "
           "commas and Greek letters, e.g. \"U_{\\theta}\" or \"\\tilde{x}_{d}\"")


@dataclass(frozen=True)
class Piece:
    """One written piece (a main symbol or a subscript item) in LaTeX and in Unicode text."""

    latex: str
    text: str


@dataclass(frozen=True)
class NameForm:
    """A name as printed: main symbol with its accents, innermost first, and subscripts."""

    main: Piece
    accents: tuple[str, ...] = ()
    subs: tuple[Piece, ...] = ()
    #: The [display] text it was read from (None for a default form), for readers that check the printers.
    source: str | None = field(default=None, compare=False)

    @property
    def main_latex(self) -> str:
        tex = self.main.latex
        if len(tex) > 1 and tex.isalnum():
            tex = rf"\mathit{{{tex}}}"
        for accent in self.accents:
            tex = f"{ACCENTS[accent][0]}{{{tex}}}"
        return tex

    @property
    def main_text(self) -> str:
        return self.main.text + "".join(ACCENTS[a][1] for a in self.accents)

    @property
    def key(self) -> tuple:
        """What a reader sees: two names with equal keys would print alike."""
        return (self.main.text, self.accents, tuple(p.text for p in self.subs))


def default_form(name: str) -> NameForm:
    """'W_f' -> W sub f; 'W_xi' -> W sub xi (never ξ); 'gamma_f' -> γ sub f; 'h_tilde' -> h̃."""
    pieces = name.split("_")
    latex, text = GREEK.get(pieces[0], (pieces[0], pieces[0]))
    accents: list[str] = []
    subs: list[Piece] = []
    for part in pieces[1:]:
        if part in ACCENTS:
            accents.append(part)
        else:
            subs.append(Piece(part, part))
    return NameForm(Piece(latex, text), tuple(accents), tuple(subs))


_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9]|[{}_,]|\s+|.")


class DisplayFormError(ValueError):
    """A display form outside GRAMMAR; `offset` is the 0-based character where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text) if not m.group().isspace()]
        self.at = 0
        self.end = len(text)

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def offset(self) -> int:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else self.end

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            found = "the end" if token is None else repr(token)
            raise DisplayFormError(f"found {found}" + (f" where {expected!r} belongs" if expected else ""), self.offset())
        self.at += 1
        return token

    def word(self) -> str:
        self.take("{")
        letters = ""
        while self.peek() not in (None, "}"):
            token = self.take()
            if not token.isalnum():
                raise DisplayFormError(f"found {token!r} in a word", self.tokens[self.at - 1][1])
            letters += token
        self.take("}")
        if not letters:
            raise DisplayFormError("an empty word", self.offset())
        return letters

    def symbol(self) -> tuple[Piece, tuple[str, ...]]:
        token = self.take()
        if token.startswith("\\") and token[1:] in ACCENTS:
            self.take("{")
            main, inner = self.symbol()
            self.take("}")
            return main, inner + (token[1:],)
        if token in (r"\mathrm", r"\mathit"):
            word = self.word()
            return Piece(rf"{token}{{{word}}}", word), ()
        if token.startswith("\\") and token[1:] in GREEK:
            return Piece(*GREEK[token[1:]]), ()
        if len(token) == 1 and token.isalpha():
            return Piece(token, token), ()
        raise DisplayFormError(f"found {token!r} where a symbol belongs", self.tokens[self.at - 1][1])

    def subscripts(self) -> tuple[Piece, ...]:
        if self.peek() is None:
            return ()
        self.take("_")
        if self.peek() != "{":
            token = self.take()
            if not token.isalnum():
                raise DisplayFormError(f"found {token!r} as a subscript", self.tokens[self.at - 1][1])
            return (Piece(token, token),)
        self.take("{")
        items: list[Piece] = []
        latex, text = "", ""
        while self.peek() not in (None, "}"):
            token = self.take()
            if token == ",":
                if not latex:
                    raise DisplayFormError("an empty subscript", self.tokens[self.at - 1][1])
                items.append(Piece(latex, text))
                latex, text = "", ""
            elif token.startswith("\\") and token[1:] in GREEK:
                latex, text = latex + GREEK[token[1:]][0] + " ", text + GREEK[token[1:]][1]
            elif token.isalnum():
                latex, text = latex + token, text + token
            else:
                raise DisplayFormError(f"found {token!r} in a subscript", self.tokens[self.at - 1][1])
        self.take("}")
        if not latex:
            raise DisplayFormError("an empty subscript", self.offset())
        items.append(Piece(latex.strip(), text))
        return tuple(items)


def read_form(text: str) -> NameForm:
    """Read a display form (GRAMMAR); raises DisplayFormError with the offset where it went wrong."""
    reader = _Reader(text)
    if reader.peek() is None:
        raise DisplayFormError("an empty display form", 0)
    main, accents = reader.symbol()
    subs = reader.subscripts()
    if reader.peek() is not None:
        raise DisplayFormError(f"found {reader.peek()!r} after the subscript", reader.offset())
    return NameForm(main, accents, subs, text)
