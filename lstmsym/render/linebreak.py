"""Breaking a long printed formula across lines, whatever its shape: a sum inside a function, a long product, a
fraction or root too wide for a line. Sums at the top are split before printing (context.split_latex); this
module handles what is left, on the printed LaTeX, so that no user's equation stops a build.

A break may fall before a +, − or ⊙ at any depth of \\left( ... \\right) brackets: the line then closes the open
brackets with null delimiters (\\right.) and the next reopens them (\\left.), as one writes a long bracket by hand.
A fraction or root whose content is wider than a line is written as (a) / (b) or (a)^{1/2} first, which can break."""

from __future__ import annotations

import re

TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]|[{}]|\s+|.")
#: Where a line may break: before these, at brace depth 0 (never inside a \frac's or a script's braces).
BREAK_BEFORE = ("+", "-", r"\odot")


def _tokens(tex: str) -> list[str]:
    return TOKEN.findall(tex)


def _group(tokens: list[str], start: int) -> int:
    """The index just after the {...} group opening at tokens[start]."""
    depth = 0
    for index in range(start, len(tokens)):
        depth += (tokens[index] == "{") - (tokens[index] == "}")
        if depth == 0:
            return index + 1
    return len(tokens)


def wrapped(tex: str) -> str:
    """tex in brackets, unless it is one bracketed group already."""
    tex = tex.strip()
    tokens = _tokens(tex)
    if tokens[:2] == [r"\left", "("] and tokens[-2:] == [r"\right", ")"]:
        depth = 0
        for index, token in enumerate(tokens):
            depth += (token == r"\left") - (token == r"\right")
            if depth == 0:
                if index == len(tokens) - 2:
                    return tex
                break
    return rf"\left({tex}\right)"


def unfold(tex: str, width: float, measure) -> str:
    """Fractions and roots too wide for a line, written so they can break: \\frac{a}{b} -> (a) / (b), \\sqrt{a} ->
    (a)^{1/2}. Inner ones first."""
    tokens = _tokens(tex)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in (r"\frac", r"\sqrt") and index + 1 < len(tokens) and tokens[index + 1] == "{":
            end = _group(tokens, index + 1)
            first = unfold("".join(tokens[index + 2:end - 1]), width, measure)
            if token == r"\frac":
                stop = _group(tokens, end)
                second = unfold("".join(tokens[end + 1:stop - 1]), width, measure)
                if measure(first) > width or measure(second) > width:
                    simple = re.fullmatch(r"[\w.]+|\\?[A-Za-z]+(_\{[^{}]*\})?", second.strip()) is not None
                    out.append(wrapped(first) + " / " + (second if simple else wrapped(second)))
                else:
                    out.append(rf"\frac{{{first}}}{{{second}}}")
                index = stop
            else:
                out.append(wrapped(first) + r"^{\frac{1}{2}}" if measure(first) > width else rf"\sqrt{{{first}}}")
                index = end
            continue
        out.append(token)
        index += 1
    return "".join(out)


def _breaks(tokens: list[str]) -> list[tuple[int, list[str]]]:
    """(token index, open \\left delimiters there) for every place a line may break."""
    places, opened, braces = [], [], 0
    for index, token in enumerate(tokens):
        if token == "{":
            braces += 1
        elif token == "}":
            braces -= 1
        elif token == r"\left" and braces == 0:
            opened.append(tokens[index + 1] if index + 1 < len(tokens) else "(")
        elif token == r"\right" and braces == 0 and opened:
            opened.pop()
        elif token in BREAK_BEFORE and braces == 0 and index > 0 and "".join(tokens[:index]).strip():
            previous = "".join(tokens[:index]).rstrip()
            if not previous.endswith(("(", "{", "+", "-", r"\odot", "=")):
                places.append((index, list(opened)))
    return places


def break_line(tex: str, width: float, measure) -> list[str]:
    """One printed formula as lines of at most about `width` (as `measure` counts), brackets kept balanced on every
    line with null delimiters. A formula with no place to break comes back as it is."""
    tex = unfold(tex, width, measure) if measure(tex) > width else tex
    tokens = _tokens(tex)
    lines: list[str] = []
    start, reopen = 0, []
    while measure("".join(tokens[start:])) > width:
        candidates = [(i, o) for i, o in _breaks(tokens) if i > start]
        fitting = [(i, o) for i, o in candidates if measure("".join(tokens[start:i])) <= width]
        full = [(i, o) for i, o in fitting if measure("".join(tokens[start:i])) >= 0.6 * width]
        shallow = min(full, key=lambda c: (len(c[1]), -c[0])) if full else None  # few brackets open, late
        chosen = shallow or (fitting[-1] if fitting else (candidates[0] if candidates else None))
        if chosen is None:
            break
        index, opened = chosen
        head = "".join(r"\left. " for _ in reopen) + "".join(tokens[start:index]).rstrip()
        lines.append(head + "".join(r" \right." for _ in opened))
        start, reopen = index, opened
    lines.append("".join(r"\left. " for _ in reopen) + "".join(tokens[start:]).strip())
    return lines
