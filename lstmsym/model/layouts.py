"""How an operator is laid out in the three math notations (LaTeX, MathML, HTML), written once as data.

A layout is a small tree of the nodes below. The LaTeX, MathML and HTML printers each render the tree with one
method (`lay`), so an operator of the table (model.vector_ops) is printed in every notation the moment it has an
entry, and the three notations cannot drift apart: they once bracketed a transpose's operand by three rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Arg:
    """Argument `index`, printed as it is."""

    index: int


class Operand(Arg):
    """Argument `index` as a factor of a product: bracketed when it is a sum or a product."""


class UnderT(Arg):
    """Argument `index` under a transpose, the mark included: bare only when it prints as one name, so (W u)^T
    never reads as W u^T."""


@dataclass(frozen=True)
class Mark:
    """An operator's mark, by its name in printing.marks (⊤, ∗, ⋆, Σ...)."""

    name: str


@dataclass(frozen=True)
class Name:
    """An operator's name written as a word: LaTeX \\operatorname, MathML <mi>."""

    text: str


class Label(Name):
    """A word in a subscript: LaTeX \\mathrm."""


@dataclass(frozen=True)
class Sup:
    """base^script."""

    base: "Node"
    script: "Node"


class Sub(Sup):
    """base_script."""


@dataclass(frozen=True)
class Row:
    """Nodes side by side (a space between them in LaTeX and HTML, one <mrow> in MathML); thin: LaTeX's thin
    space (\\,) between them, as in a textbook's outer product u\\, v^T."""

    items: tuple["Node", ...]
    thin: bool = False


@dataclass(frozen=True)
class Call:
    """head(inner): an operator name or mark applied to a bracketed argument."""

    head: "Node"
    inner: "Node"


Node = Union[Arg, Operand, UnderT, Mark, Name, Label, Sup, Sub, Row, Call]


def row(*items: Node, thin: bool = False) -> Row:
    return Row(tuple(items), thin)
