"""Each derived cell's exported source, written once per target: the checks, the verification record's digest and
the tests ask for the same cell's module again and again (export_numpy alone 1,634 times in four test files, two
thirds of their time). Kept per Derived object in a weak-keyed table, so a cell derived afresh (under a patched
rule, say) is written afresh, and a cell no longer used is let go."""

from __future__ import annotations

import functools
from typing import Callable
from weakref import WeakKeyDictionary

from ..derive.derived import Derived


def per_cell(write: Callable[[Derived], str]) -> Callable[[Derived], str]:
    """`write`, run once per Derived object."""
    written: WeakKeyDictionary[Derived, str] = WeakKeyDictionary()

    @functools.wraps(write)
    def once(derived: Derived) -> str:
        source = written.get(derived)
        if source is None:
            source = written[derived] = write(derived)
        return source

    return once
