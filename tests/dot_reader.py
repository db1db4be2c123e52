"""An independent reader of the diagrams' DOT and of the spec grammar, for the read-back tests.

Nothing here imports lstmsym: the DOT text is tokenised and parsed here, node semantics (`sem`, `arg`,
`quantity`: see lstmsym/render/semantics.py for the format) and the spec's equation text are parsed by one small
precedence parser of the spec grammar, and both become SymPy expressions in a vocabulary of this module's own
(MV for a matrix product, CONV, OUT, SUM, MEAN, ...), so that what a drawing computes can be compared with what
the spec says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

# -- DOT --------------------------------------------------------------------------------------------
_DOT_TOKEN = re.compile(r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<arrow>->)|(?P<punct>[\[\]{}=,;])|(?P<word>[A-Za-z0-9_.]+)|(?P<html><))')


@dataclass
class DotNode:
    name: str
    attrs: dict[str, str]


@dataclass
class DotEdge:
    tail: str
    head: str
    attrs: dict[str, str]


@dataclass
class DotGraph:
    nodes: dict[str, DotNode] = field(default_factory=dict)
    edges: list[DotEdge] = field(default_factory=list)
    legends: list[DotNode] = field(default_factory=list)  # class="legend": says what the drawing means, computes nothing

    def into(self, head: str) -> list[DotEdge]:
        """The drawn edges into a node (an invisible edge only orders the layout)."""
        return [e for e in self.edges if e.head == head and e.attrs.get("style") != "invis"]


def _html(text: str, start: int) -> tuple[str, int]:
    """An HTML string <...> with nested <> (DOT's HTML-like labels), from its opening '<'."""
    depth, k = 0, start
    while True:
        if text[k] == "<":
            depth += 1
        elif text[k] == ">":
            depth -= 1
            if depth == 0:
                return text[start + 1:k], k + 1
        k += 1


def dot_tokens(text: str) -> list[tuple[str, str]]:
    tokens, k = [], 0
    while k < len(text):
        if text[k:].strip() == "":
            break
        m = _DOT_TOKEN.match(text, k)
        if m is None:
            raise ValueError(f"DOT: cannot read {text[k:k + 30]!r}")
        if m.group("html"):
            value, k = _html(text, m.start("html"))
            tokens.append(("html", value))
            continue
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "quoted":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        k = m.end()
    return tokens


def parse_dot(text: str) -> DotGraph:
    """Nodes with their attributes and edges in order, from `digraph NAME { ... }` as lstmsym writes it."""
    tokens = dot_tokens(text)
    graph, k = DotGraph(), 3  # digraph NAME {

    def attrs(k: int) -> tuple[dict[str, str], int]:
        out = {}
        if k < len(tokens) and tokens[k] == ("punct", "["):
            k += 1
            while tokens[k] != ("punct", "]"):
                key, value = tokens[k][1], tokens[k + 2][1]
                out[key] = value
                k += 3
                if tokens[k] == ("punct", ","):
                    k += 1
            k += 1
        return out, k

    while k < len(tokens) and tokens[k] != ("punct", "}"):
        if tokens[k] in (("punct", "{"), ("word", "subgraph")):  # a row (rank=same, or a state line's cluster):
            while tokens[k] != ("punct", "}"):  # it only lists nodes declared elsewhere
                k += 1
            k += 1
            continue
        first = tokens[k][1]
        if tokens[k + 1] == ("punct", "="):  # a graph attribute
            k += 4
            continue
        if tokens[k + 1][0] == "arrow":
            head = tokens[k + 2][1]
            found, k = attrs(k + 3)
            graph.edges.append(DotEdge(first, head, found))
        else:
            found, k = attrs(k + 1)
            if found.get("class") == "legend":
                graph.legends.append(DotNode(first, found))
            else:
                graph.nodes[first] = DotNode(first, found)
        if tokens[k] == ("punct", ";"):
            k += 1
    return graph


def visible(label: str) -> str:
    """An HTML-like label's text without its tags."""
    return re.sub(r"<[^>]*>", "", label)


# -- the spec grammar -----------------------------------------------------------------------------------
_EXPR_TOKEN = re.compile(r"\s*(?:(?P<ref>#\d+(?:\.\d+)?)|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_:]*)"
                         r"|(?P<op>\*\*|\.T\b|[-+*/@(),]))")


def expr_tokens(text: str) -> list[tuple[str, str]]:
    tokens, k = [], 0
    text = text.rstrip()
    while k < len(text):
        m = _EXPR_TOKEN.match(text, k)
        if m is None:
            raise ValueError(f"cannot read {text[k:]!r} in {text!r}")
        tokens.append((m.lastgroup, m.group(m.lastgroup)))
        k = m.end()
    return tokens


class _Parser:
    """Python's precedence: + - < * / @ < unary - < ** < postfix (.T, call)."""

    def __init__(self, text: str) -> None:
        self.tokens, self.k, self.text = expr_tokens(text), 0, text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.k] if self.k < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value!r} at token {self.k} of {self.text!r}")
        self.k += 1
        return token

    def parse(self):
        tree = self.sum()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()} in {self.text!r}")
        return tree

    def sum(self):
        tree = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            tree = (self.take()[1], tree, self.product())
        return tree

    def product(self):
        tree = self.unary()
        while self.peek() in (("op", "*"), ("op", "/"), ("op", "@")):
            tree = (self.take()[1], tree, self.unary())
        return tree

    def unary(self):
        if self.peek() in (("op", "-"), ("op", "+")):
            sign = self.take()[1]
            return ("neg", self.unary()) if sign == "-" else self.unary()
        return self.power()

    def power(self):
        tree = self.postfix()
        if self.peek() == ("op", "**"):
            self.take()
            return ("**", tree, self.unary())
        return tree

    def postfix(self):
        tree = self.atom()
        while True:
            if self.peek() == ("op", ".T"):
                self.take()
                tree = ("T", tree)
            elif self.peek() == ("op", "(") and tree[0] == "name":
                self.take()
                args = []
                while self.peek() != ("op", ")"):
                    args.append(self.sum())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                tree = ("call", tree[1], tuple(args))
            else:
                return tree

    def atom(self):
        kind, value = self.take()
        if kind == "op" and value == "(":
            tree = self.sum()
            self.take(")")
            return tree
        if kind in ("num", "name", "ref"):
            return (kind, value)
        raise ValueError(f"unexpected {value!r} in {self.text!r}")


def parse_expr(text: str):
    """A parse tree: ('num'|'name'|'ref', text), (op, left, right), ('neg', x), ('T', x), ('call', f, args)."""
    return _Parser(text).parse()


def names_in(tree) -> set[str]:
    if tree[0] == "name":
        return {tree[1]}
    if tree[0] in ("num", "ref"):
        return set()
    if tree[0] == "call":
        return set().union(*[names_in(a) for a in tree[2]]) if tree[2] else set()
    return set().union(*[names_in(t) for t in tree[1:]])


def calls_in(tree) -> set[str]:
    """The functions a parse tree calls."""
    if tree[0] == "call":
        return {tree[1]}.union(*[calls_in(a) for a in tree[2]])
    if tree[0] in ("num", "name", "ref"):
        return set()
    return set().union(*[calls_in(t) for t in tree[1:]])


def refs_in(tree) -> list[str]:
    if tree[0] == "ref":
        return [tree[1]]
    if tree[0] in ("num", "name"):
        return []
    children = tree[2] if tree[0] == "call" else tree[1:]
    return [r for t in children for r in refs_in(t)]


# -- SymPy, in this module's own vocabulary -----------------------------------------------------------------
MV, MTV, TR = sympy.Function("MV"), sympy.Function("MTV"), sympy.Function("TR")
CONV, CONVT, OUT = sympy.Function("CONV"), sympy.Function("CONVT"), sympy.Function("OUT")
SUM, MEAN, SUMTRAIL = sympy.Function("SUM"), sympy.Function("MEAN"), sympy.Function("SUMTRAIL")
#: Functions linear in every argument (bilinear products, reductions): canon() distributes them over sums.
LINEAR = {"MV": (0, 1), "MTV": (0, 1), "CONV": (0, 1), "CONVT": (0, 1), "OUT": (0, 1), "SUM": (0,), "MEAN": (0,),
          "SUMTRAIL": (0,)}


def matmul(matrix, vector):
    if isinstance(matrix, tuple) or isinstance(vector, tuple):
        raise ValueError("a bundle cannot be multiplied as a whole")
    if isinstance(matrix, TR):
        return MTV(matrix.args[0], vector)
    return MV(matrix, vector)


def _call(name: str, args: list):
    table = {"conv": CONV, "convT": CONVT, "outer": OUT, "sum": SUM, "mean": MEAN, "sumtrail": SUMTRAIL}
    if name == "concat":
        flat = []
        for a in args:
            flat += list(a) if isinstance(a, tuple) else [a]
        return tuple(flat)
    if name == "identity":
        return args[0]
    if name == "cumax":  # ON-LSTM's cumax(v) = cumsum(softmax(v))
        return sympy.Function("cumsum")(sympy.Function("softmax")(*args))
    if name == "dot":
        return SUM(args[0] * args[1])
    if name in table:
        return table[name](*args)
    return sympy.Function(name)(*args)


def to_sympy(tree, operand=lambda r: sympy.Symbol(r), name=lambda n: sympy.Symbol(n)):
    """The parse tree as SymPy; `operand(ref)` gives what an edge brings, `name(n)` what a name stands for."""
    kind = tree[0]
    rec = lambda t: to_sympy(t, operand, name)  # noqa: E731
    if kind == "num":
        return sympy.Rational(tree[1])
    if kind == "name":
        return name(tree[1])
    if kind == "ref":
        return operand(tree[1])
    if kind == "neg":
        return -rec(tree[1])
    if kind == "T":
        return TR(rec(tree[1]))
    if kind == "call":
        return _call(tree[1], [rec(a) for a in tree[2]])
    left, right = rec(tree[1]), rec(tree[2])
    return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right, "/": lambda: left / right,
            "**": lambda: left ** right, "@": lambda: matmul(left, right)}[kind]()


def canon(expr: sympy.Expr) -> sympy.Expr:
    """A normal form: everything expanded, matrix products, convolutions, outer products and sums over units
    distributed over sums and numeric factors (they are linear in each argument)."""
    if expr.is_Atom:
        return expr
    args = [canon(a) for a in expr.args]
    name = type(expr).__name__
    if name in LINEAR:
        return _distribute(type(expr), args, LINEAR[name])
    return sympy.expand(expr.func(*args))


def _distribute(func, args, linear) -> sympy.Expr:
    expanded = [sympy.Add.make_args(sympy.expand(a)) if k in linear else (a,) for k, a in enumerate(args)]
    total = sympy.S.Zero
    for combo in _product(expanded):
        coef, parts = sympy.S.One, []
        for k, term in enumerate(combo):
            if k in linear:
                c, rest = term.as_coeff_Mul()
                coef, term = coef * c, rest
            parts.append(term)
        total += coef * func(*parts)
    return total


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for rest in _product(lists[1:]):
            yield (head,) + rest


def equal(a, b) -> bool:
    return sympy.expand(canon(a) - canon(b)) == 0
