"""Read a cell's TOML data into a checked Spec, one table at a time; every mistake is a SpecError with its place."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from ..base.frameworks import FRAMEWORKS
from ..base.errors import Location, SpecError, did_you_mean, one_of
from .display import GRAMMAR, DisplayFormError, NameForm, read_form
from .decls import ConstDecl, Equation, InputDecl, MatrixConstDecl, ParamDecl, Reference, Shape, SizeDecl, Spec, StateDecl, exact
from .domains import MAIN_DEFAULT, SIDE_DEFAULT, Domain, read_domain
from .inits import read_init
from .locate import Locator
from .matrices import is_matrix_decl, read_matrix
from .naming import IDENTIFIER_RULE, is_identifier
from .parser import parse_expression

MAX_EQUATIONS = 200
MAX_RANK = 4
SCALAR_WORDS = ("1", "scalar")
TOP_KEYS = {
    "name": "the cell's name", "title": "a title", "family": "a family", "year": "a year",
    "summary": "a one-paragraph summary", "aliases": "other names", "source": "where the equations come from",
    "notes": "remarks", "references": "references", "sizes": "symbolic sizes", "input": "the inputs",
    "state": "the recurrent state", "outputs": "the outputs", "constants": "named constants",
    "parameters": "parameters", "equations": "the equations", "roles": "a sentence per equation",
    "pytorch": "the PyTorch mapping", "keras": "the Keras mapping", "flax": "the Flax linen mapping",
    "onnx": "the ONNX operator mapping", "extends": "a base spec",
    "remove": "equations or parameters to drop from the base",
    "display": "how names are written, e.g. U_theta = \"U_{\\\\theta}\"",
    "overview": "named groups of equations for the overview diagram, e.g. \"time gate\" = [\"phi\", \"k\"]",
}
FRAMEWORK_KEYS = FRAMEWORKS
REQUIRED = ("name", "sizes", "input", "state", "equations")
SIZE_KEYS = ("role", "less_than", "divides", "kernel", "verify", "reference", "value")
STATE_KEYS = ("size", "shape", "previous", "role", "positive")
PARAM_KEYS = ("shape", "role", "blocks", "init")
INPUT_KEYS = ("size", "shape", "role", "domain")


def kind_of(value: Any) -> str:
    """How a TOML value is described in an error message."""
    if value is None:
        return "missing"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    text = repr(value)
    return f"{names.get(type(value), type(value).__name__)} ({text[:40]}{'...' if len(text) > 40 else ''})"


class SpecReader:
    """Turns the TOML tables into a Spec."""

    def __init__(self, data: dict[str, Any], source: str, locator: Locator) -> None:
        self.data = data
        self.source = source
        self.locator = locator

    def where(self, table: str, key: str, at_key: bool = False) -> Location:
        origin = self.locator.key_origin(table, key) if at_key else self.locator.origin(table, key)
        return Location(origin.source, origin.line, origin.column)

    def where_in(self, table: str, name: str, key: str) -> Location:
        """Where `key` sits in the declaration of `name`: its own line in a [table.name] section, or its column
        inside the inline table `name = { ... key = ... }`."""
        own = self.locator.own_origin(f"{table}.{name}", key)
        if own.column is not None:
            return Location(own.source, own.line, own.column)
        where = self.where(table, name, at_key=True)
        lines = next((loc.lines for loc in [self.locator] + self.locator.parents if loc.source == where.source), [])
        line = lines[where.line - 1] if where.line and where.line <= len(lines) else ""
        found = re.search(r"[{,]\s*(" + re.escape(key) + r")\s*=", line)
        return Location(where.source, where.line, found.start(1) + 1) if found else where

    def fail(self, table: str, key: str, message: str, expected: str, suggestion: str | None = None,
             at_key: bool = False) -> SpecError:
        """An error at `key` of `table`; a key of a declaration (table 'sizes.k') is found in its own section or
        inline table (where_in)."""
        parent, dot, name = table.partition(".")
        where = self.where_in(parent, name, key) if dot and not at_key else self.where(table, key, at_key)
        return SpecError(message, where, expected=expected, suggestion=suggestion)

    # -- scalars ------------------------------------------------------------------
    def string(self, table: str, key: str, value: Any, expected: str = "a string") -> str:
        if not isinstance(value, str):
            raise self.fail(table, key, f"'{key}' is {kind_of(value)}", expected)
        return value

    def identifier(self, table: str, key: str, name: Any, what: str) -> str:
        name = self.string(table, key, name, f"the {what} as a string")
        if not is_identifier(name):
            raise self.fail(table, key, f"{what} {name[:60]!r} is not a valid name", IDENTIFIER_RULE)
        return name

    def integer(self, table: str, key: str, value: Any, what: str, low: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(table, key, f"{what} is {kind_of(value)}", f"an integer of at least {low}")
        return value

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail("", key, f"'{key}' is {kind_of(value)}", f"a table [{key}]")
        return value

    def keys_of(self, table: str, name: str, decl: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in decl:
            if key not in allowed:
                raise self.fail(table, key, f"unknown key '{key}' in {what} '{name}'", one_of(allowed), did_you_mean(key, allowed))

    # -- top level ------------------------------------------------------------------
    def top(self) -> None:
        for key in self.data:
            if key not in TOP_KEYS:
                raise self.fail("", key, f"unknown key '{key}'", one_of(TOP_KEYS), did_you_mean(key, TOP_KEYS), at_key=True)
        missing = [key for key in REQUIRED if key not in self.data]
        if missing:
            listed = ", ".join(f"'{key}' ({TOP_KEYS[key]})" for key in missing)
            raise SpecError(f"missing required key{'s' if len(missing) > 1 else ''} {listed}", Location(self.source),
                            expected="the keys " + ", ".join(REQUIRED) + " (title, summary, outputs and roles are optional)")

    # -- sizes ----------------------------------------------------------------------
    def sizes(self) -> dict[str, SizeDecl]:
        out: dict[str, SizeDecl] = {}
        for name, decl in self.table("sizes").items():
            self.identifier("sizes", name, name, "size")
            out[name] = self.size(name, decl)
        if not out:
            raise self.fail("", "sizes", "no sizes are declared", "at least one size, e.g. n = \"hidden size\"")
        for decl in out.values():
            for other in decl.less_than + decl.divides:
                if other not in out:
                    raise self.fail(f"sizes.{decl.name}", "less_than" if other in decl.less_than else "divides",
                                    f"unknown size '{other}'", one_of(out), did_you_mean(other, out))
        return out

    def size(self, name: str, decl: Any) -> SizeDecl:
        where = self.where("sizes", name, at_key=True)
        if isinstance(decl, str):
            return SizeDecl(name, decl, where)
        if not isinstance(decl, dict):
            raise self.fail("sizes", name, f"size '{name}' is {kind_of(decl)}",
                            "a description such as \"hidden size\", or { role = \"...\", less_than = \"n\" }")
        table = f"sizes.{name}"
        self.keys_of(table, name, decl, SIZE_KEYS, "size")
        names = {}
        for key in ("less_than", "divides"):
            value = decl.get(key, [])
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(table, key, f"'{key}' of size '{name}' is {kind_of(value)}", "a size name or a list of them")
            names[key] = tuple(value)
        kernel = decl.get("kernel", False)
        if not isinstance(kernel, bool):
            raise self.fail(table, "kernel", f"'kernel' of size '{name}' is {kind_of(kernel)}", "true or false")
        verify = self.integer(table, "verify", decl["verify"], f"'verify' of size '{name}'") if "verify" in decl else None
        reference = self.integer(table, "reference", decl["reference"], f"'reference' of size '{name}'") if "reference" in decl else None
        value = self.integer(table, "value", decl["value"], f"'value' of size '{name}'") if "value" in decl else None
        if value is not None and (verify or reference or kernel):
            other = next(k for k in ("verify", "reference", "kernel") if decl.get(k))
            raise self.fail(table, other, f"size '{name}' is fixed at {value}, so it takes no '{other}'",
                            "either value = ... (a fixed size) or verify/reference/kernel")
        return SizeDecl(name, self.string(table, "role", decl.get("role", "")), where, names["less_than"], names["divides"],
                        kernel, verify, reference, value)

    def shape(self, table: str, key: str, value: Any, sizes: dict[str, SizeDecl], what: str) -> Shape:
        """"n" a vector, "1" or [] a scalar, ["C", "H", "W"] a feature map, ["n", "n"] a matrix."""
        if isinstance(value, str):
            value = [] if value in SCALAR_WORDS else [value]
        if not isinstance(value, list) or len(value) > MAX_RANK or not all(isinstance(v, str) for v in value):
            raise self.fail(table, key, f"the shape of {what} is {kind_of(value)}",
                            "a size name (a vector), \"1\" (a scalar), or a list of up to four size names")
        for size in value:
            if size not in sizes:
                raise self.fail(table, key, f"unknown size '{size}'", one_of(sizes), did_you_mean(size, sizes))
        return tuple(value)

    # -- quantities ----------------------------------------------------------------
    def inputs(self, sizes: dict[str, SizeDecl]) -> dict[str, InputDecl]:
        out = {}
        for name, decl in self.table("input").items():
            self.identifier("input", name, name, "input")
            role, domain = "", Domain(SIDE_DEFAULT if out else MAIN_DEFAULT)
            if isinstance(decl, dict):
                self.keys_of(f"input.{name}", name, decl, INPUT_KEYS, "input")
                role = self.string(f"input.{name}", "role", decl.get("role", ""))
                if "domain" in decl:
                    domain = read_domain(decl["domain"], self.where_in("input", name, "domain"), name)
                decl = decl.get("shape", decl.get("size"))
            out[name] = InputDecl(name, self.shape("input", name, decl, sizes, f"input '{name}'"), role,
                                  self.where("input", name, at_key=True), domain)
        if not out:
            raise self.fail("", "input", "no input is declared", "at least one input, e.g. x = \"m\"")
        return out

    def states(self, sizes: dict[str, SizeDecl]) -> dict[str, StateDecl]:
        out = {}
        for name, decl in self.table("state").items():
            table = f"state.{name}"
            self.identifier("state", name, name, "state")
            if isinstance(decl, str):
                decl = {"size": decl}
            if not isinstance(decl, dict):
                raise self.fail("state", name, f"state '{name}' is {kind_of(decl)}",
                                "a table such as { size = \"n\", previous = \"h_prev\" }")
            self.keys_of(table, name, decl, STATE_KEYS, "state")
            if "size" not in decl and "shape" not in decl:
                raise self.fail("state", name, f"state '{name}' has no size", "size = \"n\" or shape = [\"n\", \"n\"]", at_key=True)
            key = "shape" if "shape" in decl else "size"
            shape = self.shape(table, key, decl[key], sizes, f"state '{name}'")
            previous = self.identifier(table, "previous", decl.get("previous", f"{name}_prev"), "previous-state name")
            role = self.string(table, "role", decl.get("role", ""))
            positive = decl.get("positive", False)
            if not isinstance(positive, bool):
                raise self.fail(table, "positive", f"'positive' of state '{name}' is {kind_of(positive)}", "true or false")
            out[name] = StateDecl(name, shape, previous, role, self.where("state", name, at_key=True), positive)
        if not out:
            raise self.fail("", "state", "no state is declared", "at least one state, e.g. [state.h] size = \"n\"")
        return out

    def outputs(self, states: dict[str, StateDecl]) -> tuple[str, ...]:
        value = self.data.get("outputs", [next(iter(states))])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail("", "outputs", f"'outputs' is {kind_of(value)}", "a list of names such as [\"h\"]")
        return tuple(value)

    def matrices(self, sizes: dict[str, SizeDecl]) -> dict[str, MatrixConstDecl]:
        """The constant matrices of [constants] (spec.matrices.read_matrix)."""
        return {name: read_matrix(self, name, decl, sizes) for name, decl in self.table("constants").items()
                if is_matrix_decl(decl)}

    def constants(self) -> dict[str, ConstDecl]:
        out = {}
        for name, decl in self.table("constants").items():
            if is_matrix_decl(decl):
                continue  # a constant matrix (matrices())
            self.identifier("constants", name, name, "constant")
            role = ""
            if isinstance(decl, dict):
                role = self.string(f"constants.{name}", "role", decl.get("role", ""))
                decl = decl.get("value")
            if isinstance(decl, bool) or not isinstance(decl, (int, float)):
                raise self.fail("constants", name, f"constant '{name}' is {kind_of(decl)}",
                                "a number, { value = 0.5, role = \"...\" }, or a constant matrix { matrix = \"lower\", shape = [\"n\", \"n\"] }")
            value = exact(decl)
            if abs(value) > 10**9 or (value and abs(value) < Fraction(1, 10**12)):
                raise self.fail("constants", name, f"constant '{name}' = {decl} is out of range", "a magnitude between 1e-12 and 1e9")
            out[name] = ConstDecl(name, value, role, self.where("constants", name, at_key=True))
        return out

    def parameters(self, sizes: dict[str, SizeDecl]) -> dict[str, ParamDecl]:
        raw = self.data.get("parameters", {})
        if isinstance(raw, list):
            if not all(isinstance(name, str) for name in raw):
                raise self.fail("", "parameters", "a parameter in the list is not a name", "a list of names")
            raw = {name: {} for name in raw}
        if not isinstance(raw, dict):
            raise self.fail("", "parameters", f"'parameters' is {kind_of(raw)}", "a list of names or a table [parameters]")
        out = {}
        for name, decl in raw.items():
            self.identifier("parameters", name, name, "parameter")
            if name in out:
                raise self.fail("parameters", name, f"parameter '{name}' is declared twice", "each parameter once")
            out[name] = self.parameter(name, decl, sizes)
        return out

    def parameter(self, name: str, decl: Any, sizes: dict[str, SizeDecl]) -> ParamDecl:
        if isinstance(decl, str):
            decl = {"role": decl}
        if not isinstance(decl, dict):
            raise self.fail("parameters", name, f"parameter '{name}' is {kind_of(decl)}",
                            "a role string or { shape = [\"n\", \"m\"], role = \"...\" }")
        table = f"parameters.{name}"
        self.keys_of(table, name, decl, PARAM_KEYS, "parameter")
        shape = None
        if "shape" in decl:
            shape = self.shape("parameters", name, decl["shape"], sizes, f"parameter '{name}'")
        blocks = decl.get("blocks")
        if blocks is not None:
            blocks = self.string("parameters", name, blocks, "a size name, e.g. blocks = \"k\"")
            if blocks not in sizes:
                raise self.fail("parameters", name, f"unknown size '{blocks}' for the blocks of '{name}'", one_of(sizes),
                                did_you_mean(blocks, sizes))
        role = self.string("parameters", name, decl.get("role", ""))
        init = read_init(decl["init"], self.where_in("parameters", name, "init"), name) if "init" in decl else None
        return ParamDecl(name, shape, role, self.where("parameters", name, at_key=True), blocks, init)

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
                raise self.fail("equations", name, f"equation '{name}' is {kind_of(text)}", "a string holding an expression")
            tree = parse_expression(text, origin)
            out.append(Equation(name, text, tree, origin, self.string("roles", name, roles.get(name, ""))))
        return out

    def stray_roles(self, equations: list[Equation]) -> tuple[tuple[str, Location], ...]:
        names = {eq.name for eq in equations}
        return tuple((name, self.where("roles", name, at_key=True)) for name in self.table("roles") if name not in names)

    def overview(self, equations: list[Equation]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The [overview] table: a name for a group of equations ("time gate" = ["phi", "k"]), each equation in one
        block at most; the overview diagram draws one box per block."""
        names, owner, out = [eq.name for eq in equations], {}, []
        expected = 'a list of equation names, e.g. "time gate" = ["phi", "k"]'
        for block, members in self.table("overview").items():
            if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
                raise self.fail("overview", block, f"block '{block}' is {kind_of(members)}", expected)
            for member in members:
                if member not in names:
                    raise self.fail("overview", block, f"block '{block}' names '{member}', which is not an equation",
                                    one_of(names), did_you_mean(member, names))
                if member in owner:
                    raise self.fail("overview", block, f"equation '{member}' is in blocks '{owner[member]}' and '{block}'",
                                    "each equation in one block at most")
                owner[member] = block
            out.append((block, tuple(members)))
        return tuple(out)

    def references(self) -> tuple[Reference, ...]:
        raw = self.data.get("references", [])
        if not isinstance(raw, list):
            raise self.fail("", "references", f"'references' is {kind_of(raw)}", "[[references]] tables")
        out = []
        for entry in raw:
            if not isinstance(entry, dict) or not {"authors", "year", "title"} <= set(entry):
                raise self.fail("", "references", "a reference lacks authors, year or title",
                                "[[references]] with authors, year, title (and optionally venue, url)")
            year = entry["year"]
            if isinstance(year, bool) or not isinstance(year, int):
                raise self.fail("references", "year", f"reference year is {kind_of(year)}", "a year such as 1997")
            out.append(Reference(self.string("references", "authors", entry["authors"]), year,
                                 self.string("references", "title", entry["title"]),
                                 self.string("references", "venue", entry.get("venue", "")),
                                 self.string("references", "url", entry.get("url", ""))))
        return tuple(out)

    def display(self) -> dict[str, NameForm]:
        """The [display] table: name -> its written form (read by spec.display, never evaluated)."""
        out = {}
        for name, text in self.table("display").items():
            self.identifier("display", name, name, "name")
            text = self.string("display", name, text, "a display form such as \"U_{\\\\theta}\"")
            try:
                out[name] = read_form(text)
            except DisplayFormError as exc:
                origin = self.locator.origin("display", name)
                column = self.string_column(origin.line, origin.column, exc.offset)
                raise SpecError(f"display form of '{name}': {exc}", Location(origin.source, origin.line, column),
                                expected=GRAMMAR) from None
        return out

    def string_column(self, line: int, column: int, offset: int) -> int:
        """The source column of character `offset` of the TOML string that starts at (line, column): a backslash
        escape in a basic string is two source characters for one."""
        lines = self.locator.lines
        if not line or line > len(lines):
            return column
        text = lines[line - 1]
        at = column - 1
        if text[at:at + 1] in ('"', "'"):
            at += 1
        basic = text[at - 1:at] == '"'
        for _ in range(offset):
            at += 2 if basic and text[at:at + 1] == "\\" else 1
        return at + 1

    def frameworks(self) -> dict[str, dict[str, Any]]:
        return {key: self.table(key) for key in FRAMEWORK_KEYS if key in self.data}

    def metadata(self) -> dict[str, Any]:
        year = self.data.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise self.fail("", "year", f"'year' is {kind_of(year)}", "a year such as 1997")
        aliases = self.data.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise self.fail("", "aliases", f"'aliases' is {kind_of(aliases)}", "a list of names")
        name = self.identifier("", "name", self.data["name"], "cell name")
        return dict(name=name, title=self.string("", "title", self.data.get("title", name)),
                    family=self.string("", "family", self.data.get("family", "other")), year=year,
                    summary=self.string("", "summary", self.data.get("summary", "")), aliases=tuple(aliases),
                    notes=self.string("", "source", self.data.get("source", "")))

    def read(self) -> Spec:
        self.top()
        meta = self.metadata()
        sizes = self.sizes()
        states = self.states(sizes)
        equations = self.equations(self.table("roles"))
        return Spec(
            source=self.source, **meta, references=self.references(), sizes=sizes, inputs=self.inputs(sizes),
            states=states, outputs=self.outputs(states), constants=self.constants(), parameters=self.parameters(sizes),
            equations=equations, frameworks=self.frameworks(), display=self.display(), overview=self.overview(equations),
            locator=self.locator, stray_roles=self.stray_roles(equations), matrices=self.matrices(sizes),
        )


def toml_error_location(message: str, source: str) -> tuple[Location, str]:
    """tomllib's '(at line L, column C)' suffix as a Location, and the message without it."""
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = Location(source, int(match.group(1)), int(match.group(2))) if match else Location(source)
    return where, re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
