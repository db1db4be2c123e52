"""What the commands share: size and counting options read from the tables they describe, loading a cell,
printing JSON in the one convention, and a progress line on terminals."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..base.errors import UsageError
from ..base.jsonio import dumps, tagged
from ..derive.counts import CountQuery
from ..derive.derived import Derived, derived
from ..derive.frameworks import CONVENTIONS
from ..model.cell import Cell
from ..model.loading import load_cell

SIZE_FLAGS = (("--input-size", "-m", "M", "input size m"), ("--hidden-size", "-n", "N", "hidden size n"),
              ("--proj-size", "-p", "P", "projection size p"))


def cell_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cell", help="built-in cell name (or alias), or the path of a spec file")


def load(name: str) -> Derived:
    return derived(load_cell(name))


def add_sizes(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sizes")
    for long, short, metavar, text in SIZE_FLAGS:
        group.add_argument(long, short, type=int, metavar=metavar, help=text)
    group.add_argument("--size", action="append", default=[], metavar="NAME=VALUE", help="any size of the cell, by name")


def add_counting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--convention", default="paper", choices=CONVENTIONS,
                        help="whose parametrisation to count (default: paper, the spec as written)")
    parser.add_argument("--num-layers", type=int, default=1, metavar="L", help="stacked layers (default 1)")
    parser.add_argument("--bidirectional", action="store_true", help="two directions per layer")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output (see docs/json.md)")


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    parser.add_argument("--format", default="text", choices=choices, help="output format (--format json is --json)")
    add_json(parser)


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False)) or getattr(args, "format", None) == "json"


def given_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Sizes named on the command line: m, n, p by their flags, others with --size NAME=VALUE."""
    sizes: dict[str, int] = {}
    for long, _, _, _ in SIZE_FLAGS:
        value = getattr(args, long[2:].replace("-", "_"), None)
        if value is not None:
            sizes[{"--input-size": "m", "--hidden-size": "n", "--proj-size": "p"}[long]] = value
    for item in getattr(args, "size", []) or []:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise UsageError(f"--size expects NAME=VALUE with a positive integer, got '{item}'")
        sizes[name.strip()] = int(value)
    return sizes


def sizes_for(cell: Cell, sizes: dict[str, int], strict: bool = True) -> dict[str, int]:
    """The given sizes that apply to a cell; with `strict`, a size the cell does not have is an error.
    The input-size flag names the cell's input size, whatever the spec calls it."""
    out = {}
    for name, value in sizes.items():
        key = cell.input_size if name == "m" and "m" not in cell.sizes else name
        if key in out and out[key] != value and not strict:  # across cells: one that reads its own n keeps n
            out[key] = value if name != "m" else out[key]
            continue
        if key in out and out[key] != value:
            raise UsageError(f"cell '{cell.name}' reads an input of size '{key}', its own '{key}': the input size {value if name == 'm' else out[key]} "
                             f"and {key} = {out[key] if name == 'm' else value} disagree; give one of them")
        if key in cell.sizes:
            out[key] = value
        elif strict:
            raise UsageError(f"cell '{cell.name}' has no size '{name}'; its sizes: {', '.join(cell.sizes)}")
    cell.size_rules.check(out)
    return out


def query_from(args: argparse.Namespace) -> CountQuery:
    query = CountQuery(args.convention, args.num_layers, args.bidirectional)
    query.check()
    return query


def emit(command: str, data: dict[str, Any]) -> None:
    """Print a command's data in the one JSON convention."""
    sys.stdout.write(dumps(tagged(command, data)))


class Progress:
    """A self-overwriting progress line on a terminal; silent when stderr is piped."""

    def __init__(self, total: int, stream=None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            self.stream.write(f"\r\033[K[{self.done}/{self.total}] {label}")
            self.stream.flush()

    def message(self, text: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K{text}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
