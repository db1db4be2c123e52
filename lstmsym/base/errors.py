"""Error classes: every failure lstmsym reports is one of these, with a message a user can act on."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable


class LstmsymError(Exception):
    """Base class of every error lstmsym raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Location:
    """A position in a spec file or on the command line (1-based line and column)."""

    source: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.source]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class SpecError(LstmsymError):
    """A spec file (or formula) that cannot be read, with where, what was found and what was expected."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        expected: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.message = message
        self.location = location
        self.expected = expected
        self.suggestion = suggestion
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.message
        if self.expected:
            text += f"; expected {self.expected}"
        if self.suggestion:
            text += f"; {self.suggestion}"
        return f"{self.location}: {text}" if self.location else text


class UnknownCellError(LstmsymError):
    """A cell name that is neither a built-in cell nor a spec file."""

    exit_code = 2


class ConventionError(LstmsymError):
    """A parameter convention that the cell has no counterpart for, or that does not exist."""

    exit_code = 2


class UsageError(LstmsymError):
    """Command-line options that do not fit together."""

    exit_code = 2


class ToolMissingError(LstmsymError):
    """An external program (dot, latexmk) is not installed."""

    exit_code = 3


class FileProblem(LstmsymError):
    """A path that cannot be read or written as asked (a folder where a file belongs, no permission...)."""

    exit_code = 2


class DomainError(LstmsymError):
    """A function applied outside its domain (log or sqrt of a quantity that can be negative, mod by zero)."""

    exit_code = 2


class LayoutError(LstmsymError):
    """Framework weights that do not fit the cell: a missing or extra tensor, a wrong shape, another cell's layout."""

    exit_code = 2


class CodeError(LstmsymError):
    """A value the generated code cannot hold (an imaginary unit, a NaN): refused, never printed as a bare name."""

    exit_code = 2


class PrintError(LstmsymError):
    """A node a printer has no rule for: refused by name, never printed as a guess (SymPy's CodePrinter strict)."""

    exit_code = 2


class VerificationFailed(LstmsymError):
    """A derived gradient that disagrees with an independent check."""

    exit_code = 1


class NameClashWarning(UserWarning):
    """Two quantities of a spec that would be written alike in the documents."""


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    options = sorted(set(choices))
    folded = [c for c in options if c.lower() == name.lower() and c != name]
    close = folded or difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def one_of(choices: Iterable[str]) -> str:
    """The valid choices, sorted, for an error message."""
    return "one of " + ", ".join(sorted(set(choices)))
