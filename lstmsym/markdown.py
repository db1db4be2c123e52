"""The Python-Markdown extension (for MkDocs: `markdown_extensions: [lstmsym.markdown]`): a fenced block

    ```lstmsym lstm
    show: equations, gradient, parameters, diagram, gradient-diagram
    hidden-size: 20
    input-size: 10
    ```

(or the cell on a line of its own, `cell: lstm`) becomes the cell's pieces as HTML: math in MathML (browsers draw it, no JavaScript) or, with the option
`math: latex`, as \\[ \\] blocks for MathJax/KaTeX (pymdownx.arithmatex's generic output); diagrams as inline SVG;
the parameter table with counts at the sizes given. A spec path is read relative to `base_dir` (default: the
folder the build runs in, where mkdocs.yml is). A bad block is an error naming the valid choices."""

from __future__ import annotations

import logging
import re
from html import escape
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from .api import cell as load_cell
from .base.errors import LstmsymError, UsageError, did_you_mean, one_of
from .render import embed

#: MkDocs counts warnings of loggers under "mkdocs" (and --strict fails on them); the name says who logs.
logger = logging.getLogger("mkdocs.extensions.lstmsym")

#: A fenced block whose info string is `lstmsym` (optionally followed by the cell), ``` or ~~~ fences of three or more.
BLOCK = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*lstmsym(?:[ \t]+(?P<cell>[^\s`]+))?[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                   re.M | re.S)
KEYS = ("cell", "show", "sizes", *embed.SIZE_OPTIONS)
#: Runs before fenced_code (25), after whitespace normalisation (30).
PRIORITY = 28


def parse_block(body: str, cell: str | None = None) -> dict[str, str]:
    """`key: value` lines (blank lines and # comments skipped) after the cell named on the fence, if any;
    UsageError names the valid keys."""
    options: dict[str, str] = {"cell": cell} if cell else {}
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep:
            raise UsageError(f"line {number} of an lstmsym block: expected 'key: value', got '{line.strip()}'")
        if key not in KEYS:
            hint = did_you_mean(key, KEYS)
            raise UsageError(f"unknown key '{key}' in an lstmsym block; expected {one_of(KEYS)}" + (f"; {hint}" if hint else ""))
        options[key] = value.strip()
    if not options.get("cell"):
        raise UsageError("an lstmsym block needs a cell: ```lstmsym NAME, or a line 'cell: NAME' (a built-in name or a spec path)")
    return options


def block_html(options: dict[str, str], base_dir: Path, math: str) -> str:
    """The HTML of one block."""
    derived = load_cell(embed.cell_target(base_dir, options["cell"])[0]).derived
    show = embed.parse_show(options.get("show"))
    sizes = embed.sizes_from_options(derived, {k: v for k, v in options.items() if k not in ("cell", "show")})
    return embed.html(derived, show, sizes, math=math)


class LstmsymPreprocessor(Preprocessor):
    """Replaces each lstmsym block by a placeholder for its HTML (kept in the htmlStash, as fenced_code does)."""

    def __init__(self, md: Markdown, base_dir: Path, math: str) -> None:
        super().__init__(md)
        self.base_dir, self.math = base_dir, math

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        return BLOCK.sub(self.replace, text).split("\n")

    def replace(self, match: re.Match) -> str:
        try:
            html = block_html(parse_block(match.group("body"), match.group("cell")), self.base_dir, self.math)
        except LstmsymError as exc:
            logger.warning("lstmsym: %s", exc)
            html = f'<p class="lstmsym-error"><strong>lstmsym:</strong> {escape(str(exc))}</p>'
        return "\n\n" + self.md.htmlStash.store(html) + "\n\n"


class LstmsymExtension(Extension):
    """Options: math ("mathml" or "latex") and base_dir (where spec paths are read from)."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"math": ["mathml", f"how math is written: {one_of(embed.MATH)}"],
                       "base_dir": ["", "the folder spec paths are relative to (default: the working folder)"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        math = embed.parse_math(self.getConfig("math"))
        base = Path(self.getConfig("base_dir") or ".")
        md.preprocessors.register(LstmsymPreprocessor(md, base, math), "lstmsym", PRIORITY)


def makeExtension(**kwargs: Any) -> LstmsymExtension:  # noqa: N802 (Python-Markdown's entry point)
    """Python-Markdown's entry point: `markdown.markdown(text, extensions=["lstmsym.markdown"])`."""
    return LstmsymExtension(**kwargs)
