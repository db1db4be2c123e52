"""Parse the numpy-like equation notation into a syntax tree, without ever executing it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ..base.errors import Location, SpecError
from .syntax import BinOp, Call, Name, Neg, Node, Num, Transpose

MAX_LENGTH = 4000
MAX_DEPTH = 60
MAX_NAME = 48
MAX_NUMBER = 24
MAX_EXPONENT = 30

_TOKEN = re.compile(
    r"""(?P<space>[ \t\r\n]+)
      | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\*\*|[-+*/@(),.=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Origin:
    """Where a piece of text starts, so offsets inside it become file positions."""

    source: str
    line: int | None = None
    column: int | None = None

    def at(self, text: str, offset: int) -> Location:
        """The file location of character `offset` of `text`."""
        if self.line is None:
            return Location(self.source, 1, offset + 1) if self.source == "<formula>" else Location(self.source)
        if self.column is None:
            return Location(self.source, self.line)
        before = text[:offset]
        newlines = before.count("\n")
        if newlines:
            return Location(self.source, self.line + newlines, offset - before.rfind("\n"))
        return Location(self.source, self.line, (self.column or 1) + offset)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def describe(token: Token) -> str:
    """How a token is named in an error message."""
    if token.kind == "end":
        return "the end of the expression"
    if token.kind == "name":
        return f"name '{token.text}'"
    if token.kind == "num":
        return f"number {token.text}"
    return f"'{token.text}'"


def tokenize(text: str, origin: Origin) -> list[Token]:
    """Split text into tokens; anything outside the notation is an error at its position."""
    if len(text) > MAX_LENGTH:
        raise SpecError(f"expression is {len(text)} characters long", origin.at(text, 0),
                        expected=f"at most {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            raise SpecError(
                f"unexpected character {char!r}",
                origin.at(text, pos),
                expected="names, numbers, ( ), and the operators + - * / @ ** .T",
                suggestion=_char_hint(char),
            )
        kind = match.lastgroup or ""
        if kind == "name":
            check_name(Token(kind, match.group(), pos), text, origin)
        if kind != "space":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def check_name(token: Token, text: str, origin: Origin) -> None:
    """Names are short identifiers without leading or double underscores."""
    if len(token.text) > MAX_NAME:
        raise SpecError(f"name '{token.text[:20]}...' is {len(token.text)} characters long", origin.at(text, token.pos),
                        expected=f"at most {MAX_NAME} characters")
    if token.text.startswith("_") or "__" in token.text:
        raise SpecError(f"name '{token.text}' starts with '_' or contains '__'", origin.at(text, token.pos),
                        expected="a name made of letters, digits and single underscores, starting with a letter")


def _char_hint(char: str) -> str | None:
    hints = {
        "[": "subscripts are not part of the notation; name each vector instead",
        "'": "strings are not part of the notation",
        '"': "strings are not part of the notation",
        "^": "use ** for powers",
        ":": "slices and lambdas are not part of the notation",
    }
    return hints.get(char)


class Parser:
    """Recursive-descent parser with a depth limit; builds syntax.Node trees."""

    def __init__(self, text: str, origin: Origin) -> None:
        self.text = text
        self.origin = origin
        self.tokens = tokenize(text, origin)
        self.index = 0
        self.depth = 0

    # -- helpers -----------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: Token, message: str, expected: str, suggestion: str | None = None) -> SpecError:
        return SpecError(message, self.origin.at(self.text, token.pos), expected=expected, suggestion=suggestion)

    def expect(self, text: str, context: str) -> Token:
        token = self.peek()
        if token.text != text or token.kind not in ("op",):
            raise self.error(token, f"found {describe(token)} {context}", f"'{text}'")
        return self.advance()

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(token, "expression nested too deeply", f"at most {MAX_DEPTH} levels of nesting")

    # -- grammar -----------------------------------------------------------
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "empty expression", "an expression such as 'tanh(W @ x + b)'")
        node = self.sum()
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"found {describe(token)} after a complete expression", "an operator or the end")
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.peek().text in ("+", "-") and self.peek().kind == "op":
            op = self.advance()
            node = BinOp(op.text, node, self.product(), op.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek().text in ("*", "/", "@") and self.peek().kind == "op":
            op = self.advance()
            node = BinOp(op.text, node, self.unary(), op.pos)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("-", "+"):
            self.advance()
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand, token.pos) if token.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        token = self.peek()
        if token.kind == "op" and token.text == "**":
            self.advance()
            self.enter(token)
            exponent = self.unary()
            self.depth -= 1
            return BinOp("**", base, exponent, token.pos)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.peek().kind == "op" and self.peek().text == ".":
            dot = self.advance()
            attr = self.peek()
            if attr.kind != "name" or attr.text != "T":
                raise self.error(
                    attr,
                    f"attribute access '.{attr.text}' is not allowed",
                    "'.T' (transpose) after a matrix",
                )
            self.advance()
            node = Transpose(node, dot.pos)
        return node

    def atom(self) -> Node:
        token = self.peek()
        if token.kind == "num":
            return self.number(self.advance())
        if token.kind == "name":
            return self.name_or_call(self.advance())
        if token.kind == "op" and token.text == "(":
            self.advance()
            self.enter(token)
            node = self.sum()
            self.depth -= 1
            self.expect(")", "where the bracket opened here should close")
            return node
        raise self.error(token, f"found {describe(token)}", "a name, a number, a function call or '('")

    def number(self, token: Token) -> Num:
        mantissa, _, exponent = token.text.lower().partition("e")
        if len(token.text) > MAX_NUMBER or (exponent and abs(int(exponent)) > MAX_EXPONENT):
            raise self.error(token, f"number {token.text[:MAX_NUMBER]}... is out of range",
                             f"at most {MAX_NUMBER} characters and an exponent within ±{MAX_EXPONENT}")
        return Num(Fraction(token.text), token.pos)

    def name_or_call(self, token: Token) -> Node:
        if self.peek().kind == "op" and self.peek().text == "(":
            self.enter(self.peek())
            self.advance()
            args = self.arguments(token)
            self.depth -= 1
            return Call(token.text, tuple(args), token.pos)
        return Name(token.text, token.pos)

    def arguments(self, func: Token) -> list[Node]:
        args: list[Node] = []
        if self.peek().text == ")":
            self.advance()
            return args
        while True:
            if self.peek().kind == "name" and self.tokens[self.index + 1].text == "=":
                raise self.error(self.peek(), "keyword arguments are not allowed", "positional arguments")
            args.append(self.sum())
            token = self.peek()
            if token.kind == "op" and token.text == ",":
                self.advance()
                continue
            self.expect(")", f"in the arguments of {func.text}()")
            return args


def parse_expression(text: str, origin: Origin) -> Node:
    """Parse one expression of the notation; raise SpecError with the position on any mistake."""
    if not isinstance(text, str):
        raise SpecError(f"found {type(text).__name__} {text!r}", origin.at("", 0), expected="a string holding an expression")
    return Parser(text, origin).parse()
