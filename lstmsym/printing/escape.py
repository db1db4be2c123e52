"""Escaping for every output language, in one place: LaTeX text, Markdown text, DOT strings and HTML labels."""

from __future__ import annotations

import re

_LATEX = {
    "\\": r"\textbackslash\allowbreak{}", "/": r"\slash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%", "<": r"$<$", ">": r"$>$",
    "|": r"$|$", '"': r"''",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


_TYPOGRAPHY = {"\u2013": "--", "\u2014": "---", "\u201c": "``", "\u201d": "''", "\u2018": "`", "\u2019": "'",
               "\u2026": "...", "\u00a0": "~", "\u2212": "-"}


def _latin1(text: str) -> str:
    """Characters pdfLaTeX's default setup can typeset: Latin-1 kept, others transliterated or replaced by '?'."""
    import unicodedata

    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        out.append(plain or "?")
    return "".join(out)


def latex_text(text: str) -> str:
    """Text safe to place in LaTeX body text: specials escaped, control characters dropped, and characters
    outside Latin-1 transliterated (pdfLaTeX with the default fonts has no glyphs for them)."""
    text = _LATEX_RE.sub(lambda m: _LATEX[m.group()], _CONTROL.sub("", str(text)))
    for char, tex in _TYPOGRAPHY.items():
        text = text.replace(char, tex)
    return _latin1(text)


def bibtex_text(text: str) -> str:
    """Text safe in a BibTeX field: LaTeX-escaped, with braces spelled out (BibTeX counts every brace, escaped
    or not, so an escaped brace would unbalance the field)."""
    return latex_text(text).replace(r"\{", r"\textbraceleft{}").replace(r"\}", r"\textbraceright{}")


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
