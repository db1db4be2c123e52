"""The expression parser: what it accepts, and the exact message and position of what it rejects."""

from __future__ import annotations

from fractions import Fraction

import pytest

from lstmsym.base.errors import SpecError
from lstmsym.spec.parser import Origin, parse_expression
from lstmsym.spec.syntax import BinOp, Call, Name, Neg, Num, Transpose

ORIGIN = Origin("f.toml", 3, 6)


def parse(text: str):
    return parse_expression(text, ORIGIN)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x", Name("x", 0)),
        ("2.5", Num(Fraction(5, 2), 0)),
        ("1e-3", Num(Fraction(1, 1000), 0)),
        ("W @ x", BinOp("@", Name("W", 0), Name("x", 4), 2)),
        ("-a", Neg(Name("a", 1), 0)),
        ("W.T", Transpose(Name("W", 0), 1)),
        ("sigmoid(a)", Call("sigmoid", (Name("a", 8),), 0)),
        ("max(a, b)", Call("max", (Name("a", 4), Name("b", 7)), 0)),
        ("a ** 2", BinOp("**", Name("a", 0), Num(Fraction(2), 5), 2)),
    ],
)
def test_accepts(text, expected):
    assert parse(text) == expected


def test_precedence_matches_python():
    tree = parse("a + W @ x * b")
    assert tree.op == "+"
    assert tree.right.op == "*" and tree.right.left.op == "@"
    tree = parse("a - b - c")
    assert tree.left.op == "-" and tree.left.left == Name("a", 0)
    tree = parse("-a ** 2")
    assert isinstance(tree, Neg) and tree.operand.op == "**"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "f.toml:3:6: empty expression; expected an expression such as 'tanh(W @ x + b)'"),
        ("a +", "f.toml:3:9: found the end of the expression; expected a name, a number, a function call or '('"),
        ("(a + b", "f.toml:3:12: found the end of the expression where the bracket opened here should close; expected ')'"),
        ("a b", "f.toml:3:8: found name 'b' after a complete expression; expected an operator or the end"),
        ("x.shape", "f.toml:3:8: attribute access '.shape' is not allowed; expected '.T' (transpose) after a matrix"),
        ("x[0]", "f.toml:3:7: unexpected character '['; expected names, numbers, ( ), and the operators + - * / @ ** .T; "
                 "subscripts are not part of the notation; name each vector instead"),
        ("f(x=1)", "f.toml:3:8: keyword arguments are not allowed; expected positional arguments"),
        ("__import__('os')", "f.toml:3:6: name '__import__' starts with '_' or contains '__'; "
                             "expected a name made of letters, digits and single underscores, starting with a letter"),
        ("lambda: 1", "f.toml:3:12: unexpected character ':'; expected names, numbers, ( ), and the operators + - * / @ ** .T; "
                      "slices and lambdas are not part of the notation"),
        ("'a'", "f.toml:3:6: unexpected character \"'\"; expected names, numbers, ( ), and the operators + - * / @ ** .T; "
                "strings are not part of the notation"),
        ("1e999", "f.toml:3:6: number 1e999... is out of range; expected at most 24 characters and an exponent within ±30"),
    ],
)
def test_rejects_with_position(text, message):
    with pytest.raises(SpecError) as info:
        parse(text)
    assert str(info.value) == message


def test_depth_is_bounded():
    with pytest.raises(SpecError, match="nested too deeply"):
        parse("(" * 1900 + "x" + ")" * 1900)


def test_length_is_bounded():
    with pytest.raises(SpecError, match="expression is 10001 characters long; expected at most 4000"):
        parse("a" + " + a" * 2500)


def test_multiline_positions():
    with pytest.raises(SpecError) as info:
        parse_expression("a +\n  $", Origin("f.toml", 10, 4))
    assert str(info.value).startswith("f.toml:11:3: unexpected character '$'")
