"""Naming rules, in one place: what a user may call things, and the keys of internal quantities.

A user may give any identifier to a quantity. Everything lstmsym adds (adjoints, incoming adjoints,
pre-activations, auto-named arguments, matrix expressions, operator results) gets a key containing ':',
which no identifier can contain, so the two namespaces never meet. How an internal key is shown to a
reader is decided later, per cell, by the printers (which avoid the user's own names)."""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*$")
MAX_NAME = 48
IDENTIFIER_RULE = "letters and digits, single underscores between them, starting with a letter, at most 48 characters"
#: The identity matrix in matrix expressions, unless the spec declares a quantity of that name itself.
IDENTITY = "I"
SEPARATOR = ":"


def is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and len(name) <= MAX_NAME


def is_internal(key: str) -> bool:
    return SEPARATOR in key


def adjoint_key(key: str) -> str:
    """The adjoint of a quantity (dL/dq at one step)."""
    return f"d{SEPARATOR}{key}"


def incoming_key(name: str) -> str:
    """The adjoint arriving at a state or output from outside the step (loss and step t+1)."""
    return f"in{SEPARATOR}{name}"


def preactivation_key(name: str, index: int = 1) -> str:
    return f"pre{SEPARATOR}{name}" if index == 1 else f"pre{index}{SEPARATOR}{name}"


def auto_key(kind: str, equation: str, index: int) -> str:
    """An auto-named quantity inside equation `equation`: kind 'arg' (an operand), 'mat' (a matrix
    expression), 'red' (a reduction) or 'op' (an operator's result)."""
    return f"{kind}{SEPARATOR}{equation}{SEPARATOR}{index}"


def parts(key: str) -> list[str]:
    return key.split(SEPARATOR)


def adjoint_base(key: str) -> str | None:
    """'d:q' -> 'q'; None for a key that is not an adjoint."""
    head, sep, rest = key.partition(SEPARATOR)
    return rest if sep and head == "d" else None


def incoming_base(key: str) -> str | None:
    """'in:h' -> 'h'; None for a key that is not an incoming adjoint."""
    head, sep, rest = key.partition(SEPARATOR)
    return rest if sep and head == "in" else None


def preactivation_base(key: str) -> str | None:
    head, sep, rest = key.partition(SEPARATOR)
    return rest if sep and head.startswith("pre") else None


def value_key(key: str) -> str:
    """The forward quantity an adjoint or incoming key is about ('d:pre:i' -> 'pre:i', 'in:h' -> 'h')."""
    return adjoint_base(key) or incoming_base(key) or key
