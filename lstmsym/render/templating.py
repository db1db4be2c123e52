"""Jinja2 environments for the templates in templates/: LaTeX-safe delimiters for .tex, plain ones elsewhere."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from ..base.errors import LstmsymError
from ..printing.numpy_code import pyname
from ..printing.escape import bibtex_text, dot_string, latex_text, markdown_text


#: A template every templates folder of lstmsym holds: how a folder is told from another package's "templates".
MARKER = "writeup.tex.j2"


def templates_dir() -> Path:
    """The templates folder: lstmsym/templates when installed, the top-level templates/ of a checkout. An installed
    package looks in its own folder first, so a "templates" folder another package left in site-packages is never
    taken for lstmsym's."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / MARKER).is_file():
            return candidate
    raise LstmsymError(f"templates folder not found next to {package}")


LATEX_SYNTAX = dict(
    block_start_string=r"\BLOCK{", block_end_string="}",
    variable_start_string=r"\VAR{", variable_end_string="}",
    comment_start_string=r"\#{", comment_end_string="}",
    line_statement_prefix="%%", line_comment_prefix="%#",
)


@lru_cache(maxsize=None)
def environment(kind: str) -> jinja2.Environment:
    """kind 'latex' uses \\VAR{}/\\BLOCK{}; 'python', 'markdown' and 'dot' use Jinja's defaults; 'html' also
    escapes every value it prints (MathML and SVG arrive as Markup)."""
    syntax = LATEX_SYNTAX if kind == "latex" else {}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=kind == "html",
        **syntax,
    )
    env.filters["dot"] = dot_string
    env.filters["tex"] = latex_text
    env.filters["bib"] = bibtex_text
    env.filters["pyname"] = pyname
    env.filters["md"] = markdown_text
    return env
