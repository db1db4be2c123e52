"""`lstmsym new`: write a commented starting spec for a new cell."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..base.errors import UsageError
from ..base.writing import check_writable, write_text_atomic
from ..render.templating import environment
from ..spec.naming import IDENTIFIER_RULE, is_identifier

HELP = "write a commented starting spec for a new cell"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the new cell's name (an identifier)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (default NAME.toml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def starting_spec(name: str) -> str:
    """The commented skeleton (an Elman RNN) that `lstmsym new NAME` writes."""
    if not is_identifier(name):
        raise UsageError(f"cell name {name!r} is not valid; expected {IDENTIFIER_RULE} (e.g. my_cell)")
    return environment("toml").get_template("new_cell.toml.j2").render(name=name)


def run(args: argparse.Namespace) -> int:
    text = starting_spec(args.name)
    path = check_writable(Path(args.output or f"{args.name}.toml"), force=args.force)
    write_text_atomic(path, text)
    print(f"wrote {path}; next: lstmsym show {path}")
    return 0
