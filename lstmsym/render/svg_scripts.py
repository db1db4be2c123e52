"""Sub- and superscripts in dot's SVG, made to read as scripts in a browser.

Graphviz 2.43 writes `<SUB>t-1</SUB>` as a `<text baseline-shift="sub">` with the same `font-size` as its base,
so Chromium draws `h_{t-1}` as `ht-1` at full size and the labels collide. (dot's PNG and PDF renderers size
scripts themselves.) This rewrites each line of a label once, as every SVG leaves `tools.render_dot`:

- a script's font size drops to SCRIPT_RATIO of its base's, and its shift becomes an explicit change of `y`,
  which every SVG viewer honours (baseline-shift on `<text>` is not implemented everywhere);
- the runs after a script move left by the width it no longer takes (dot placed them for a full-size script;
  `h_{t-2}, c_{t-2}` read `h_{t-2} , c_{t-2}`), and the line moves right by half the total, staying centred."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A script's size relative to its base, as TeX sets a first-level script (7 pt on 10 pt).
SCRIPT_RATIO = 0.7
#: How far a script's baseline moves, in units of the base font size: down for sub, up for super (TeX's
#: \fontdimen16/17 and 13 of cmsy10 are 0.15 to 0.25 and 0.41 em; slightly more reads better at small sizes).
SHIFT = {"sub": 0.25, "super": -0.4}

_TEXT = re.compile(r"<text([^>]*)>(.*?)</text>", re.S)
_BETWEEN = re.compile(r"\s*")


@dataclass
class Run:
    """One `<text>` element of a label: its span in the document, attributes and content."""

    start: int
    end: int
    attrs: str
    body: str

    def number(self, name: str) -> float:
        match = re.search(rf'\b{name}="(-?[\d.]+)"', self.attrs)
        return float(match.group(1)) if match else 0.0

    @property
    def script(self) -> str | None:
        match = re.search(r' baseline-shift="(sub|super)"', self.attrs)
        return match.group(1) if match else None

    def rewritten(self, dx: float) -> str:
        """The element moved right by dx, and made a script's size and position if it is one."""
        attrs, size = self.attrs, self.number("font-size")
        attrs = re.sub(r'\bx="(-?[\d.]+)"', f'x="{self.number("x") + dx:.2f}"', attrs)
        if self.script:
            attrs = re.sub(r'\by="(-?[\d.]+)"', f'y="{self.number("y") + SHIFT[self.script] * size:.2f}"', attrs)
            attrs = re.sub(r'\bfont-size="(-?[\d.]+)"', f'font-size="{size * SCRIPT_RATIO:.2f}"', attrs)
            attrs = attrs.replace(f' baseline-shift="{self.script}"', "")
        return f"<text{attrs}>{self.body}</text>"


def _lines(svg: str) -> list[list[Run]]:
    """Runs that dot wrote one after another on one baseline: a label's line."""
    lines: list[list[Run]] = []
    for match in _TEXT.finditer(svg):
        run = Run(match.start(), match.end(), match.group(1), match.group(2))
        previous = lines[-1][-1] if lines else None
        joined = previous is not None and _BETWEEN.fullmatch(svg, previous.end, run.start) is not None
        if joined and previous.number("y") == run.number("y"):
            lines[-1].append(run)
        else:
            lines.append([run])
    return lines


def _line_offsets(line: list[Run]) -> list[float]:
    """How far each run moves right: back by what the scripts before it gave up, forward by half the total."""
    saved, offsets = 0.0, []
    for index, run in enumerate(line):
        offsets.append(-saved)
        if run.script and index + 1 < len(line):
            saved += (1 - SCRIPT_RATIO) * (line[index + 1].number("x") - run.number("x"))
    return [offset + saved / 2 for offset in offsets]


def shrink_scripts(svg: bytes) -> bytes:
    """dot's SVG with every sub- and superscript smaller than its base and moved off its baseline."""
    text = svg.decode("utf-8")
    out, last = [], 0
    for line in _lines(text):
        if not any(run.script for run in line):
            continue
        for run, dx in zip(line, _line_offsets(line)):
            out += [text[last:run.start], run.rewritten(dx)]
            last = run.end
    out.append(text[last:])
    return "".join(out).encode("utf-8")
