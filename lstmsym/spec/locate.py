"""Find where a TOML key's value sits in the file text, since tomllib reports no positions."""

from __future__ import annotations

import re

from .parser import Origin


def _header(line: str) -> str | None:
    match = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", line)
    return match.group(1).replace('"', "").replace(" ", "") if match else None


class Locator:
    """Maps (table, key) to the line and column of the value, for error messages."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()
        self.headers = [_header(line) for line in self.lines]  # read once: every lookup walks the lines
        self.parents: list["Locator"] = []

    def key_origin(self, table: str, key: str) -> Origin:
        """Origin of the key itself (line and column where it starts), or of its [table.key] header."""
        origin = self.own_origin(table, key)
        if origin.line is not None and origin.column is not None and origin.line <= len(self.lines):
            line = self.lines[origin.line - 1]
            return Origin(self.source, origin.line, len(line) - len(line.lstrip()) + 1)
        return self._in_parents("key_origin", table, key) or origin

    def origin(self, table: str, key: str) -> Origin:
        """Origin of the first character inside the value's quotes, looking in base specs too."""
        origin = self.own_origin(table, key)
        return (self._in_parents("origin", table, key) or origin) if origin.column is None else origin

    def _in_parents(self, method: str, table: str, key: str) -> Origin | None:
        """The first base spec (for `extends`) that places the key, or None."""
        for parent in self.parents:
            found = getattr(parent, method)(table, key)
            if found.column is not None:
                return found
        return None

    def own_origin(self, table: str, key: str) -> Origin:
        """Origin of the first character inside the value's quotes (or of the key), in this file only."""
        table_path = table.replace(" ", "")
        current = ""
        key_re = re.compile(r"\s*(?:" + re.escape(key) + r'|"' + re.escape(key) + r'")\s*=\s*')
        dotted_re = re.compile(r"\s*" + re.escape(table_path.split(".")[-1] + "." + key) + r"\s*=\s*") if table_path else None
        for number, (line, header) in enumerate(zip(self.lines, self.headers), start=1):
            if header is not None:
                current = header
                continue
            match = None
            if current == table_path:
                match = key_re.match(line)
            elif dotted_re is not None and current == ".".join(table_path.split(".")[:-1]):
                match = dotted_re.match(line)
            if match:
                column = match.end() + 1
                rest = line[match.end():]
                for quote in ('"""', "'''", '"', "'"):
                    if rest.startswith(quote):
                        if len(quote) == 3 and rest == quote:
                            return Origin(self.source, number + 1, 1)
                        column += len(quote)
                        break
                return Origin(self.source, number, column)
        header = self.table_line(f"{table_path}.{key}" if table_path else key)
        if header is not None:
            return Origin(self.source, header, 1)
        return Origin(self.source, self.table_line(table), None)

    def table_line(self, table: str) -> int | None:
        """Line of a table's header, or None."""
        table_path = table.replace(" ", "")
        for number, header in enumerate(self.headers, start=1):
            if header == table_path:
                return number
        return None
