"""The expression tree of the spec notation: what the parser produces and the cell builder reads."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Union

#: Binary operators of the notation: '@' matrix product, the others elementwise.
BINARY_OPS = ("+", "-", "*", "/", "@", "**")


@dataclass(frozen=True)
class Num:
    """A numeric literal, kept exact."""

    value: Fraction
    pos: int


@dataclass(frozen=True)
class Name:
    """A reference to a quantity (input, state, parameter, constant, equation)."""

    id: str
    pos: int


@dataclass(frozen=True)
class Call:
    """An elementwise function applied to its arguments."""

    func: str
    args: tuple["Node", ...]
    pos: int


@dataclass(frozen=True)
class BinOp:
    """A binary operation; `op` is one of BINARY_OPS."""

    op: str
    left: "Node"
    right: "Node"
    pos: int


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: "Node"
    pos: int


@dataclass(frozen=True)
class Transpose:
    """`A.T`: the transpose of a matrix."""

    operand: "Node"
    pos: int


Node = Union[Num, Name, Call, BinOp, Neg, Transpose]


def names_in(node: Node) -> list[Name]:
    """Every Name in the tree, in reading order."""
    if isinstance(node, Name):
        return [node]
    if isinstance(node, Num):
        return []
    if isinstance(node, Call):
        return [n for arg in node.args for n in names_in(arg)]
    if isinstance(node, BinOp):
        return names_in(node.left) + names_in(node.right)
    return names_in(node.operand)


def calls_in(node: Node) -> list[Call]:
    """Every function call in the tree, in reading order."""
    if isinstance(node, Call):
        return [node] + [c for arg in node.args for c in calls_in(arg)]
    if isinstance(node, BinOp):
        return calls_in(node.left) + calls_in(node.right)
    if isinstance(node, (Neg, Transpose)):
        return calls_in(node.operand)
    return []
