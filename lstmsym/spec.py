"""Read a cell's TOML spec file into a checked Spec: metadata, sizes, state, parameters, parsed equations."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import Location, SpecError, did_you_mean, one_of
from .functions import SPEC_FUNCTIONS
from .inherit import resolve_extends
from .locate import Locator
from .parser import Origin, parse_expression
from .syntax import Node, calls_in

MAX_FILE_BYTES = 1_000_000
MAX_EQUATIONS = 200
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$")
RESERVED_PREFIXES = ("d_",)
RESERVED_SUFFIXES = ("_bar", "_in")
RESERVED_NAMES = ("I", "T", "t")
TOP_KEYS = {
    "name": "the cell's name", "title": "a title", "family": "a family", "year": "a year",
    "summary": "a one-paragraph summary", "aliases": "other names", "source": "where the equations come from",
    "notes": "remarks", "references": "references", "sizes": "symbolic sizes", "input": "the input",
    "state": "the recurrent state", "outputs": "the outputs", "constants": "named constants",
    "parameters": "parameters", "equations": "the equations", "roles": "a sentence per equation",
    "pytorch": "the PyTorch mapping", "keras": "the Keras mapping", "extends": "a base spec",
    "remove": "equations or parameters to drop from the base",
}
REQUIRED = ("name", "title", "summary", "sizes", "input", "state", "outputs", "equations")


@dataclass(frozen=True)
class Reference:
    authors: str
    year: int
    title: str
    venue: str = ""
    url: str = ""


@dataclass(frozen=True)
class StateDecl:
    name: str
    size: str
    previous: str
    role: str
    location: Location


@dataclass(frozen=True)
class ParamDecl:
    name: str
    shape: tuple[str, ...] | None
    role: str
    location: Location


@dataclass(frozen=True)
class ConstDecl:
    name: str
    value: Fraction
    role: str
    location: Location


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
    """A spec file's content, parsed and checked for form (meaning is checked by the cell builder)."""

    source: str
    name: str
    title: str
    family: str
    year: int | None
    summary: str
    aliases: tuple[str, ...]
    notes: str
    references: tuple[Reference, ...]
    sizes: dict[str, str]
    inputs: dict[str, str]
    states: dict[str, StateDecl]
    outputs: tuple[str, ...]
    constants: dict[str, ConstDecl]
    parameters: dict[str, ParamDecl]
    equations: list[Equation]
    frameworks: dict[str, dict[str, Any]] = field(default_factory=dict)
    locator: Locator | None = None
    base_texts: tuple[str, ...] = ()

    def where(self, table: str, key: str) -> Location:
        """Location of a key, for error messages."""
        if self.locator is None:
            return Location(self.source)
        origin = self.locator.key_origin(table, key)
        return Location(origin.source, origin.line, origin.column)


def read_text(path: Path) -> str:
    """A spec file's text, or a SpecError for a directory, a missing file, a huge file or bad UTF-8."""
    source = str(path)
    if path.is_dir():
        raise SpecError("is a directory", Location(source), expected="a .toml spec file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", Location(source), expected="a readable .toml spec file") from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"file is {len(data)} bytes", Location(source), expected=f"a spec of at most {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(f"byte 0x{data[exc.start]:02x} is not UTF-8", Location(source, line, column),
                        expected="a UTF-8 text file") from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """tomllib's parse, with its error turned into a SpecError at the same line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = Location(source, int(match.group(1)), int(match.group(2))) if match else Location(source)
        what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        if match and ("overwrite" in what or "declare" in what):
            line = text.splitlines()[int(match.group(1)) - 1]
            key = re.match(r"\s*\[*\s*([^=\]]+?)\s*[=\]]", line)
            name = key.group(1).strip('"\' ') if key else "?"
            raise SpecError(f"duplicate definition of '{name}'", Location(source, int(match.group(1)), 1),
                            expected="each key once per table", suggestion="remove or rename one of them") from None
        raise SpecError(f"TOML syntax error: {what}", where, expected="valid TOML (https://toml.io)") from None


class SpecReader:
    """Turns the TOML tables into a Spec, one table at a time."""

    def __init__(self, data: dict[str, Any], source: str, locator: Locator) -> None:
        self.data = data
        self.source = source
        self.locator = locator

    def where(self, table: str, key: str, at_key: bool = False) -> Location:
        origin = self.locator.key_origin(table, key) if at_key else self.locator.origin(table, key)
        return Location(origin.source, origin.line, origin.column)

    def fail(self, table: str, key: str, message: str, expected: str, suggestion: str | None = None,
             at_key: bool = False) -> SpecError:
        return SpecError(message, self.where(table, key, at_key), expected=expected, suggestion=suggestion)

    # -- scalars ------------------------------------------------------------
    def string(self, table: str, key: str, value: Any, expected: str = "a string") -> str:
        if not isinstance(value, str):
            raise self.fail(table, key, f"'{key}' is {_kind(value)}", expected)
        return value

    def identifier(self, table: str, key: str, name: Any, what: str) -> str:
        name = self.string(table, key, name, f"the {what} as a string")
        if not IDENTIFIER.match(name) or len(name) > 48:
            raise self.fail(table, key, f"{what} {name[:60]!r} is not a valid name",
                            "letters and digits, single underscores between them, starting with a letter, at most 48 characters")
        if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES) or name.endswith(RESERVED_SUFFIXES):
            raise self.fail(table, key, f"{what} '{name}' is reserved",
                            "a name that is not I, T or t, does not start with 'd_' and does not end in '_bar' or '_in'",
                            "those name identities, transposes, adjoints, pre-activations and incoming adjoints")
        return name

    # -- tables ---------------------------------------------------------------
    def top(self) -> None:
        for key in self.data:
            if key not in TOP_KEYS:
                raise self.fail("", key, f"unknown key '{key}'", one_of(TOP_KEYS), did_you_mean(key, TOP_KEYS), at_key=True)
        for key in REQUIRED:
            if key not in self.data:
                raise SpecError(f"missing required key '{key}' ({TOP_KEYS[key]})", Location(self.source),
                                expected="the keys " + ", ".join(REQUIRED))

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail("", key, f"'{key}' is {_kind(value)}", f"a table [{key}]")
        return value

    def sizes(self) -> dict[str, str]:
        out = {}
        for name, role in self.table("sizes").items():
            self.identifier("sizes", name, name, "size")
            out[name] = self.string("sizes", name, role, "a description such as \"hidden size\"")
        if not out:
            raise self.fail("", "sizes", "no sizes are declared", "at least one size, e.g. n = \"hidden size\"")
        return out

    def size_name(self, table: str, key: str, value: Any, sizes: dict[str, str]) -> str:
        size = self.string(table, key, value, "a size name")
        if size not in sizes:
            raise self.fail(table, key, f"unknown size '{size}'", one_of(sizes), did_you_mean(size, sizes))
        return size

    def inputs(self, sizes: dict[str, str]) -> dict[str, str]:
        out = {}
        for name, size in self.table("input").items():
            self.identifier("input", name, name, "input")
            out[name] = self.size_name("input", name, size, sizes)
        if len(out) != 1:
            raise self.fail("", "input", f"{len(out)} inputs are declared", "exactly one input, e.g. x = \"m\"")
        return out

    def states(self, sizes: dict[str, str]) -> dict[str, StateDecl]:
        out = {}
        for name, decl in self.table("state").items():
            table = f"state.{name}"
            self.identifier("state", name, name, "state")
            if not isinstance(decl, dict):
                raise self.fail("state", name, f"state '{name}' is {_kind(decl)}",
                                "a table such as { size = \"n\", previous = \"h_prev\" }")
            for key in decl:
                if key not in ("size", "previous", "role"):
                    raise self.fail(table, key, f"unknown key '{key}' in state '{name}'", one_of(["size", "previous", "role"]),
                                    did_you_mean(key, ["size", "previous", "role"]))
            size = self.size_name(table, "size", decl.get("size"), sizes)
            previous = self.identifier(table, "previous", decl.get("previous", f"{name}_prev"), "previous-state name")
            role = self.string(table, "role", decl.get("role", ""))
            out[name] = StateDecl(name, size, previous, role, self.where("state", name, at_key=True))
        if not out:
            raise self.fail("", "state", "no state is declared", "at least one state, e.g. [state.h] size = \"n\"")
        return out

    def outputs(self) -> tuple[str, ...]:
        value = self.data.get("outputs")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail("", "outputs", f"'outputs' is {_kind(value)}", "a list of names such as [\"h\"]")
        return tuple(value)

    def constants(self) -> dict[str, ConstDecl]:
        out = {}
        for name, decl in self.table("constants").items():
            self.identifier("constants", name, name, "constant")
            role = ""
            if isinstance(decl, dict):
                role = self.string(f"constants.{name}", "role", decl.get("role", ""))
                decl = decl.get("value")
            if isinstance(decl, bool) or not isinstance(decl, (int, float)):
                raise self.fail("constants", name, f"constant '{name}' is {_kind(decl)}", "a number, or { value = 0.5, role = \"...\" }")
            value = Fraction(repr(decl)) if isinstance(decl, float) else Fraction(decl)
            if abs(value) > 10**9 or (value and abs(value) < Fraction(1, 10**12)):
                raise self.fail("constants", name, f"constant '{name}' = {decl} is out of range", "a magnitude between 1e-12 and 1e9")
            out[name] = ConstDecl(name, value, role, self.where("constants", name, at_key=True))
        return out

    def parameters(self, sizes: dict[str, str]) -> dict[str, ParamDecl]:
        raw = self.data.get("parameters", {})
        if isinstance(raw, list):
            raw = {name: {} for name in raw}
        if not isinstance(raw, dict):
            raise self.fail("", "parameters", f"'parameters' is {_kind(raw)}", "a list of names or a table [parameters]")
        out = {}
        for name, decl in raw.items():
            if not isinstance(name, str):
                raise self.fail("", "parameters", f"parameter {name!r} is not a name", "a list of names")
            self.identifier("parameters", name, name, "parameter")
            if name in out:
                raise self.fail("parameters", name, f"parameter '{name}' is declared twice", "each parameter once")
            out[name] = self.parameter(name, decl, sizes)
        return out

    def parameter(self, name: str, decl: Any, sizes: dict[str, str]) -> ParamDecl:
        if isinstance(decl, str):
            decl = {"role": decl}
        if not isinstance(decl, dict):
            raise self.fail("parameters", name, f"parameter '{name}' is {_kind(decl)}",
                            "a role string or { shape = [\"n\", \"m\"], role = \"...\" }")
        shape = decl.get("shape")
        if shape is not None:
            if not isinstance(shape, list) or len(shape) > 2:
                raise self.fail("parameters", name, f"shape of '{name}' is {_kind(shape)}",
                                "a list of at most two size names: [] scalar, [\"n\"] vector, [\"n\", \"m\"] matrix")
            shape = tuple(self.size_name("parameters", name, s, sizes) for s in shape)
        role = self.string("parameters", name, decl.get("role", ""))
        return ParamDecl(name, shape, role, self.where("parameters", name, at_key=True))

    def equations(self, roles: dict[str, Any]) -> list[Equation]:
        table = self.table("equations")
        if not table:
            raise self.fail("", "equations", "no equations", "at least one equation, e.g. h = \"tanh(W @ x + U @ h_prev + b)\"")
        if len(table) > MAX_EQUATIONS:
            raise self.fail("", "equations", f"{len(table)} equations", f"at most {MAX_EQUATIONS}")
        out = []
        for name, text in table.items():
            self.identifier("equations", name, name, "equation")
            origin = self.locator.origin("equations", name)
            if not isinstance(text, str):
                raise self.fail("equations", name, f"equation '{name}' is {_kind(text)}", "a string holding an expression")
            tree = parse_expression(text, origin)
            self.check_functions(tree, text, origin)
            role = roles.get(name, "")
            out.append(Equation(name, text, tree, origin, self.string("roles", name, role)))
        return out

    def check_functions(self, tree: Node, text: str, origin: Origin) -> None:
        for call in calls_in(tree):
            if call.func not in SPEC_FUNCTIONS:
                raise SpecError(f"unknown function '{call.func}'", origin.at(text, call.pos),
                                expected=one_of(SPEC_FUNCTIONS), suggestion=did_you_mean(call.func, SPEC_FUNCTIONS))

    def references(self) -> tuple[Reference, ...]:
        raw = self.data.get("references", [])
        if not isinstance(raw, list):
            raise self.fail("", "references", f"'references' is {_kind(raw)}", "[[references]] tables")
        out = []
        for entry in raw:
            if not isinstance(entry, dict) or not {"authors", "year", "title"} <= set(entry):
                raise self.fail("", "references", "a reference lacks authors, year or title",
                                "[[references]] with authors, year, title (and optionally venue, url)")
            year = entry["year"]
            if isinstance(year, bool) or not isinstance(year, int):
                raise self.fail("references", "year", f"reference year is {_kind(year)}", "a year such as 1997")
            out.append(Reference(self.string("references", "authors", entry["authors"]), year,
                                 self.string("references", "title", entry["title"]),
                                 self.string("references", "venue", entry.get("venue", "")),
                                 self.string("references", "url", entry.get("url", ""))))
        return tuple(out)

    def frameworks(self) -> dict[str, dict[str, Any]]:
        return {key: self.table(key) for key in ("pytorch", "keras") if key in self.data}

    def read(self) -> Spec:
        self.top()
        sizes = self.sizes()
        year = self.data.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise self.fail("", "year", f"'year' is {_kind(year)}", "a year such as 1997")
        aliases = self.data.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail("", "aliases", f"'aliases' is {_kind(aliases)}", "a list of names")
        roles = self.table("roles")
        return Spec(
            source=self.source,
            name=self.identifier("", "name", self.data["name"], "cell name"),
            title=self.string("", "title", self.data["title"]),
            family=self.string("", "family", self.data.get("family", "other")),
            year=year,
            summary=self.string("", "summary", self.data["summary"]),
            aliases=tuple(aliases),
            notes=self.string("", "source", self.data.get("source", "")),
            references=self.references(),
            sizes=sizes,
            inputs=self.inputs(sizes),
            states=self.states(sizes),
            outputs=self.outputs(),
            constants=self.constants(),
            parameters=self.parameters(sizes),
            equations=self.equations(roles),
            frameworks=self.frameworks(),
            locator=self.locator,
        )


def _kind(value: Any) -> str:
    """How a TOML value is described in an error message."""
    if value is None:
        return "missing"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    text = repr(value)
    return f"{names.get(type(value), type(value).__name__)} ({text[:40]}{'...' if len(text) > 40 else ''})"


def load_spec(path: Path | str) -> Spec:
    """Read and check one spec file."""
    path = Path(path)
    text = read_text(path)
    return spec_from_text(text, str(path))


def spec_from_text(text: str, source: str) -> Spec:
    """Check a spec given as text; `source` names it in error messages."""
    data = parse_toml(text, source)
    locator = Locator(source, text)
    base_texts: list[str] = []
    if "extends" in data:
        data, base_texts = resolve_extends(data, source, _load_base)
        locator.parents = [Locator(source + " (base)", t) for t in base_texts]
    spec = SpecReader(data, source, locator).read()
    spec.base_texts = tuple(base_texts)
    return spec


def _load_base(name: str, folder: str) -> tuple[dict[str, Any], str]:
    """The raw data and text of a base spec: a built-in cell's name, or a path relative to the child."""
    from .registry import builtin_paths

    path = builtin_paths().get(name) or (Path(folder) / name)
    text = read_text(path)
    return parse_toml(text, str(path)), text
