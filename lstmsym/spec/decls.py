"""What a spec declares, as checked data: sizes, inputs, states, parameters, constants and equations."""

from __future__ import annotations

import unicodedata

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..base.errors import Location
from .domains import Domain
from .inits import InitDecl
from .locate import Locator
from .parser import Origin
from .syntax import Node

Shape = tuple[str, ...]


#: Words a BibTeX key skips in a title.
TITLE_STOPWORDS = ("with", "from", "into", "over", "that", "this", "through", "using", "towards", "toward")


@dataclass(frozen=True)
class Reference:
    authors: str
    year: int
    title: str
    venue: str = ""
    url: str = ""

    @property
    def key(self) -> str:
        """A BibTeX key: first author's surname, the year and the title's first long word (hochreiter1997long),
        the same in every document and in references.bib."""
        first = self.authors.split(" and ")[0].split(",")[0].strip().split(" ")[-1]
        letters = "".join(c for c in unicodedata.normalize("NFKD", first.lower()) if c.isalnum() and c.isascii())
        words = ["".join(c for c in unicodedata.normalize("NFKD", w.lower()) if c.isalnum() and c.isascii())
                 for w in self.title.split()]
        word = next((w for w in words if len(w) > 3 and w not in TITLE_STOPWORDS), words[0] if words else "")
        return f"{letters or 'anon'}{self.year}{word}"


@dataclass(frozen=True)
class SizeDecl:
    """A symbolic size, with the rules its values obey and the values lstmsym uses for it."""

    name: str
    role: str
    location: Location
    less_than: tuple[str, ...] = ()
    divides: tuple[str, ...] = ()
    kernel: bool = False
    verify: int | None = None
    reference: int | None = None
    value: int | None = None  # a fixed size (the rows of a given table): every command uses this value and no other


@dataclass(frozen=True)
class InputDecl:
    name: str
    shape: Shape
    role: str
    location: Location
    domain: Domain = Domain("real")  # the values it takes (spec/domains.py); examples and checks draw from it


@dataclass(frozen=True)
class StateDecl:
    name: str
    shape: Shape
    previous: str
    role: str
    location: Location
    positive: bool = False  # the state only takes positive values (a normaliser); the checks sample it so

    @property
    def size(self) -> str:
        """The size of a vector state (the first dimension of any other)."""
        return self.shape[0] if self.shape else "1"


@dataclass(frozen=True)
class ParamDecl:
    name: str
    shape: Shape | None
    role: str
    location: Location
    blocks: str | None = None
    init: InitDecl | None = None  # how its paper initialises it (spec/inits.py); None: the frameworks' default


def exact(value: int | float) -> Fraction:
    """A TOML number as the exact value its text writes: 0.8 is 4/5, not the nearest double."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


@dataclass(frozen=True)
class ConstDecl:
    name: str
    value: Fraction
    role: str
    location: Location


@dataclass(frozen=True)
class MatrixConstDecl:
    """A constant matrix of one of the kinds in spec.matrices (lower-triangular ones, a repeat map, ...)."""

    name: str
    kind: str
    shape: Shape
    role: str
    location: Location
    table: tuple[tuple[Fraction, ...], ...] = ()  # kind 'table': the given entries, row by row


@dataclass(frozen=True)
class Equation:
    name: str
    text: str
    tree: Node
    origin: Origin
    role: str

    @property
    def location(self) -> Location:
        return self.origin.at(self.text, 0)


@dataclass
class Spec:
    """A spec file's content, parsed and checked for form (meaning is checked by the model)."""

    source: str
    name: str
    title: str
    family: str
    year: int | None
    summary: str
    aliases: tuple[str, ...]
    notes: str
    references: tuple[Reference, ...]
    sizes: dict[str, SizeDecl]
    inputs: dict[str, InputDecl]
    states: dict[str, StateDecl]
    outputs: tuple[str, ...]
    constants: dict[str, ConstDecl]
    parameters: dict[str, ParamDecl]
    equations: list[Equation]
    frameworks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Written forms given in the [display] table (spec.display.NameForm), by name.
    display: dict[str, Any] = field(default_factory=dict)
    #: Named groups of equations from the [overview] table, in the spec's order: (name, equation names).
    overview: tuple[tuple[str, tuple[str, ...]], ...] = ()
    locator: Locator | None = None
    base_texts: tuple[str, ...] = ()
    text: str = ""
    #: Roles given for names that are not equations (reported once the equations are checked).
    stray_roles: tuple[tuple[str, Location], ...] = ()
    #: Constant matrices from the [constants] table ({ matrix = "lower", shape = [...] }), by name.
    matrices: dict[str, MatrixConstDecl] = field(default_factory=dict)

    def where(self, table: str, key: str) -> Location:
        """Location of a key, for error messages."""
        if self.locator is None:
            return Location(self.source)
        origin = self.locator.key_origin(table, key)
        return Location(origin.source, origin.line, origin.column)

    @property
    def fixed_names(self) -> set[str]:
        """Names that are the same at every step and for every sequence: parameters, constants, constant matrices."""
        return set(self.parameters) | set(self.constants) | set(self.matrices)

    @property
    def main_input(self) -> str:
        return next(iter(self.inputs))
