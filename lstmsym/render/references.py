"""references.bib: the papers the cells cite, one BibTeX entry each, keyed as the write-ups cite them."""

from __future__ import annotations

import re
from typing import Any

from ..derive.derived import Derived
from .templating import environment


def bib_authors(authors: str) -> str:
    """'A B, C D and E F' (as specs write them) -> 'A B and C D and E F' (as BibTeX reads them)."""
    names = [n.strip() for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", authors) if n.strip()]
    return " and ".join(names)


def entries(cells: list[Derived]) -> list[dict[str, Any]]:
    """Every cited paper once, sorted by key."""
    found: dict[str, dict[str, Any]] = {}
    for d in cells:
        for ref in d.cell.references:
            found.setdefault(ref.key, dict(ref.__dict__, key=ref.key, authors_bib=bib_authors(ref.authors)))
    return [found[k] for k in sorted(found)]


def bib_text(cells: list[Derived]) -> str:
    return environment("latex").get_template("references.bib.j2").render(refs=entries(cells))
