"""The `lstmsym` command line: argument parsing and dispatch. Each command is a module of this package
with HELP, add_arguments(parser) and run(args)."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Sequence

from ..base.errors import LstmsymError, NameClashWarning, did_you_mean
from ..base.version import __version__
from . import (cmd_build, cmd_check, cmd_compare, cmd_convert, cmd_cost, cmd_equiv, cmd_export, cmd_flow, cmd_grad, cmd_list, cmd_new, cmd_params, cmd_show,
               cmd_verify)

COMMANDS = {"list": cmd_list, "show": cmd_show, "params": cmd_params, "compare": cmd_compare, "grad": cmd_grad,
            "verify": cmd_verify, "check": cmd_check, "export": cmd_export, "convert": cmd_convert, "flow": cmd_flow, "equiv": cmd_equiv, "build": cmd_build, "cost": cmd_cost,
            "new": cmd_new}


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Arguments, with a mistyped option reported by its command's usage and the closest valid option
    (`params lstm --hiden-size 3`: did you mean '--hidden-size'?)."""
    given = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in given if not a.startswith("-")), None)
    if command is not None and command not in COMMANDS:  # `lstmsym parms`: did you mean 'params'?
        hint = did_you_mean(command, COMMANDS)
        parser.error(f"unknown command '{command}'; expected one of {', '.join(COMMANDS)}" + (f"; {hint}" if hint else ""))
    top = [o for action in parser._actions for o in action.option_strings]
    stray = [a for a in given[:given.index(command) if command else len(given)] if a.startswith("-") and a.split("=")[0] not in top]
    if stray:  # `lstmsym --verison`
        hint = did_you_mean(stray[0].split("=")[0], top)
        parser.error(f"unrecognized arguments: {' '.join(stray)}" + (f"; {hint}" if hint else ""))
    args, extras = parser.parse_known_args(argv)
    if extras:
        command = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[args.command]
        options = [o for action in command._actions for o in action.option_strings]
        hints = [did_you_mean(e.split("=")[0], options) for e in extras if e.startswith("-")]
        hint = next((h for h in hints if h), None)
        command.error(f"unrecognized arguments: {' '.join(extras)}" + (f"; {hint}" if hint else ""))
    return args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstmsym", description="Recurrent cells as data: equations, gradients, counts, documents.")
    parser.add_argument("--version", action="version", version=f"lstmsym {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in COMMANDS.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(func=module.run)
    return parser


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """lstmsym's own warnings as one line each, without Python's file and line."""
    if issubclass(category, NameClashWarning):
        print(f"lstmsym: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = parse(build_parser(), argv)
    warnings.showwarning = show_warning
    try:
        return args.func(args)
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
