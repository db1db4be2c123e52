"""`lstmsym new`: write a commented starting spec for a new cell."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UsageError
from .spec import IDENTIFIER
from .templating import environment
from .writing import write_text_atomic


def starting_spec(name: str) -> str:
    """The commented skeleton (an Elman RNN) that `lstmsym new NAME` writes."""
    if not IDENTIFIER.match(name) or len(name) > 48:
        raise UsageError(f"cell name {name!r} is not valid; expected letters and digits with single underscores, "
                         "starting with a letter (e.g. my_cell)")
    return environment("toml").get_template("new_cell.toml.j2").render(name=name)


def run(args: argparse.Namespace) -> int:
    text = starting_spec(args.name)
    path = Path(args.output or f"{args.name}.toml")
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists; use --force to overwrite it")
    write_text_atomic(path, text)
    print(f"wrote {path}; next: lstmsym show {path}")
    return 0
