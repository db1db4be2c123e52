"""Escaping for every output language, in one place: LaTeX text, Markdown text, DOT strings and HTML labels."""

from __future__ import annotations

import re

_LATEX = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': r"''",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def latex_text(text: str) -> str:
    """Text safe to place in LaTeX body text: specials escaped, control characters dropped."""
    text = _CONTROL.sub("", str(text))
    return _LATEX_RE.sub(lambda m: _LATEX[m.group()], text)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|<>$~])")


def markdown_text(text: str) -> str:
    """Text safe in Markdown (and in GitHub's HTML sanitiser): Markdown specials and HTML brackets escaped."""
    text = _CONTROL.sub("", str(text))
    text = text.replace("&", "&amp;")
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def html_text(text: str) -> str:
    """Text safe inside an HTML(-like) label or attribute."""
    text = _CONTROL.sub("", str(text))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;").replace("\n", " "))


def dot_string(text: str) -> str:
    """A double-quoted DOT string (for ids and plain attributes)."""
    text = _CONTROL.sub("", str(text)).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'
