"""The printing-side facts of a cell, made once per derived cell: its Notation (glyphs and shown names)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from ..derive.derived import Derived
from ..printing.clashes import warn_clashes
from ..printing.notation import Notation

_NOTATIONS: "WeakKeyDictionary[Derived, Notation]" = WeakKeyDictionary()


def notation(derived: Derived) -> Notation:
    """The one Notation of a derived cell."""
    found = _NOTATIONS.get(derived)
    if found is None:
        found = _NOTATIONS[derived] = Notation(derived.cell)
        warn_clashes(found)
    return found
