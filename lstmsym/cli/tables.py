"""Plain-text tables for the terminal."""

from __future__ import annotations

from typing import Any, Sequence


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A left-aligned table with a header rule; numbers are right-aligned."""
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    numeric = [all(_is_number(row[i]) for row in cells[1:]) and len(cells) > 1 for i in range(len(columns))]

    def line(row: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])


def _is_number(text: str) -> bool:
    stripped = text.replace(",", "").replace(".", "", 1).replace("e-", "").replace("e+", "").lstrip("-")
    return stripped.isdigit()
