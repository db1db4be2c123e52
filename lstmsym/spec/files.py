"""Spec text in and out: read a file safely, parse its TOML with positions, resolve `extends`, check it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..base.errors import Location, SpecError
from .catalogue import builtin_paths
from .decls import Spec
from .inherit import resolve_extends
from .locate import Locator
from .reader import SpecReader, toml_error_location

MAX_FILE_BYTES = 1_000_000
BOM = "\ufeff"


def read_text(path: Path) -> str:
    """A spec file's text, or a SpecError for a folder, a missing file, a huge file or bad UTF-8.
    A UTF-8 byte-order mark (as some Windows editors write) is dropped."""
    source = str(path)
    if path.is_dir():
        raise SpecError("is a folder", Location(source), expected="a .toml spec file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the file ({exc.strerror})", Location(source), expected="a readable .toml spec file") from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(f"file is {len(data)} bytes", Location(source), expected=f"a spec of at most {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(f"byte 0x{data[exc.start]:02x} is not UTF-8", Location(source, line, column),
                        expected="a UTF-8 text file") from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """tomllib's parse, with its error turned into a SpecError at the same line and column."""
    try:
        return tomllib.loads(text.removeprefix(BOM))
    except tomllib.TOMLDecodeError as exc:
        where, what = toml_error_location(str(exc), source)
        if where.line is not None and ("overwrite" in what or "declare" in what):
            line = text.splitlines()[where.line - 1]
            key = line.split("=")[0].strip().strip("[]").strip().strip('"\'') or "?"
            raise SpecError(f"duplicate definition of '{key}'", Location(source, where.line, 1),
                            expected="each key once per table", suggestion="remove or rename one of them") from None
        raise SpecError(f"TOML syntax error: {what}", where, expected="valid TOML (https://toml.io)") from None


def load_spec(path: Path | str) -> Spec:
    """Read and check one spec file."""
    path = Path(path)
    return spec_from_text(read_text(path), str(path))


def spec_inputs(path: Path | str) -> str:
    """The texts a spec's outputs depend on, its own and its bases', without checking the spec: what the build
    digests to tell a current cell from a stale one (a full read costs ten times more)."""
    text = read_text(Path(path)).removeprefix(BOM)
    data = parse_toml(text, str(path))
    return text + ("".join(resolve_extends(data, str(path), load_base)[1]) if "extends" in data else "")


def spec_from_text(text: str, source: str = "<text>") -> Spec:
    """Check a spec given as text; `source` names it in error messages and anchors relative `extends`."""
    text = text.removeprefix(BOM)
    data = parse_toml(text, source)
    locator = Locator(source, text)
    base_texts: list[str] = []
    if "extends" in data:
        data, base_texts = resolve_extends(data, source, load_base)
        locator.parents = [Locator(source + " (base)", t) for t in base_texts]
    spec = SpecReader(data, source, locator).read()
    spec.base_texts = tuple(base_texts)
    spec.text = text
    return spec


def load_base(name: str, folder: str) -> tuple[dict[str, Any], str]:
    """The raw data and text of a base spec: a file beside the child (name or name.toml), else a built-in cell."""
    here = Path(folder)
    for candidate in (here / name, here / f"{name}.toml"):
        if candidate.is_file():
            text = read_text(candidate)
            return parse_toml(text, str(candidate)), text
    path = builtin_paths().get(name)
    if path is None:
        raise SpecError(f"'extends' names '{name}', which is neither a file beside the spec nor a built-in cell",
                        Location(str(here)), expected=f"{name}.toml in {here}, or a built-in cell name")
    text = read_text(path)
    return parse_toml(text, str(path)), text
