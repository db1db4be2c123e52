"""docs/writing-a-cell.md, followed exactly: every file it writes, edit it makes and command it runs."""

from __future__ import annotations

from conftest import need
from guide_runner import GUIDE, follow


def test_guide_runs_as_written():
    need("dot")
    assert GUIDE.exists()
    failures = follow()
    assert not failures, "\n\n".join(failures)


def test_guide_shows_every_error_kind():
    text = GUIDE.read_text()
    for phrase in ("unknown function", "unknown name", "shape mismatch", "is used before it is defined", "cycle:",
                   "unused parameter", "duplicate definition of", "duplicate definition:", "is never updated",
                   "TOML syntax error", "starts with '_'"):
        assert phrase in text, phrase
