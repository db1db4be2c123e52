"""The `lstmsym` command line: argument parsing and dispatch to the commands."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from . import __version__
from .errors import LstmsymError

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {}


def command(name: str, help_text: str):
    """Register a sub-command's argument builder (the handler lives in lstmsym.commands)."""

    def wrap(builder: Callable[[argparse.ArgumentParser], None]):
        COMMANDS[name] = (help_text, builder)
        return builder

    return wrap


def add_sizes(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sizes")
    group.add_argument("--input-size", "-m", type=int, metavar="M", help="input size m")
    group.add_argument("--hidden-size", "-n", type=int, metavar="N", help="hidden size n")
    group.add_argument("--proj-size", "-p", type=int, metavar="P", help="projection size p (cells that have one)")
    group.add_argument("--size", action="append", default=[], metavar="NAME=VALUE", help="any other size of the cell")


def add_counting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--convention", default="paper", choices=("paper", "pytorch", "keras"),
                        help="whose parametrisation to count (default: paper, the spec as written)")
    parser.add_argument("--num-layers", type=int, default=1, metavar="L", help="stacked layers (default 1)")
    parser.add_argument("--bidirectional", action="store_true", help="two directions per layer")


@command("list", "list the built-in cells")
def _list(p: argparse.ArgumentParser) -> None:
    p.add_argument("--family", help="only cells of this family (lstm, gru, rnn, other)")
    p.add_argument("--sort", default="name", choices=("name", "year", "params", "family"), help="sort order")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_sizes(p)


@command("show", "show a cell's equations")
def _show(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    p.add_argument("--format", default="text", choices=("text", "latex", "json"))
    p.add_argument("--bold", action="store_true", help="bold vectors in LaTeX")


@command("params", "count a cell's parameters")
def _params(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    add_sizes(p)
    add_counting(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("compare", "compare cells' parameter counts (and cost) against a base cell")
def _compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("cells", nargs="*", help="cells to compare (default: all built-in cells)")
    p.add_argument("--base", default="rnn", help="the cell ratios are taken against (default rnn)")
    add_sizes(p)
    add_counting(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("grad", "print a cell's one-step and BPTT backward equations")
def _grad(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    p.add_argument("--format", default="text", choices=("text", "latex", "json"))
    p.add_argument("--bold", action="store_true", help="bold vectors in LaTeX")


@command("verify", "verify a cell's derived gradients (symbolic, finite differences, PyTorch)")
def _verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", nargs="?", help="built-in cell name or path to a spec file")
    p.add_argument("--all", action="store_true", help="every built-in cell")
    p.add_argument("--steps", type=int, default=3, metavar="T", help="sequence length for the numeric checks (default 3)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("check", "check a hand-derived gradient formula against the derived one")
def _check(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    p.add_argument("--wrt", required=True, metavar="NAME", help="what the formula is the adjoint of (e.g. c_prev, W_f)")
    p.add_argument("--formula", required=True, metavar="EXPR", help="the formula, in the spec notation")
    p.add_argument("--points", type=int, default=20, metavar="N", help="random points to compare at (default 20)")
    p.add_argument("--seed", type=int, default=0, metavar="S")


@command("export", "export a standalone NumPy reference implementation")
def _export(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    p.add_argument("--to", default="numpy", choices=("numpy",))
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")


@command("build", "build the gallery: LaTeX, PDF, Markdown, diagrams and JSON for each cell")
def _build(p: argparse.ArgumentParser) -> None:
    p.add_argument("cells", nargs="*", help="cells to build (default: every built-in cell)")
    p.add_argument("--out", default="output", metavar="DIR", help="output folder (default: output)")
    p.add_argument("--format", default="tex,pdf,md,svg,png,json", metavar="LIST",
                   help="comma-separated subset of tex,pdf,md,svg,png,json")
    p.add_argument("--check", action="store_true", help="rebuild in memory; exit 1 listing the files that are stale")
    p.add_argument("--jobs", type=int, default=0, metavar="J", help="parallel workers (default: CPU count)")
    p.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")


@command("cost", "compute and memory per time step")
def _cost(p: argparse.ArgumentParser) -> None:
    p.add_argument("cell", help="built-in cell name or path to a spec file")
    add_sizes(p)
    p.add_argument("--batch", type=int, default=1, metavar="B")
    p.add_argument("--steps", type=int, default=1, metavar="T")
    p.add_argument("--dtype", default="float32", choices=("float16", "bfloat16", "float32", "float64"))
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("new", "write a commented starting spec for a new cell")
def _new(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the new cell's name (an identifier)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (default NAME.toml)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstmsym", description="Recurrent cells as data: equations, gradients, counts, documents.")
    parser.add_argument("--version", action="version", version=f"lstmsym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (help_text, builder) in COMMANDS.items():
        builder(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    from . import commands

    try:
        return getattr(commands, "run_" + args.command)(args)
    except LstmsymError as exc:
        print(f"lstmsym: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("lstmsym: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
