"""The gallery's formats, from their table (gallery/files.py FORMAT_SUFFIXES, issue 23): a build asked for one
format writes exactly the files planned for it (the Markdown page and the site link only to planned files), and each
file it writes is of that format by its name's ending, so `build --check` judges it under that format."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, need
from lstmsym.gallery.build import FORMAT_OF_SUFFIX
from lstmsym.gallery.files import FORMATS, build_cell, planned_files
from lstmsym.render import figures
from lstmsym.derive.derived import derived
from lstmsym.model.loading import load_cell

RECORD = json.loads((ROOT / "output" / "verification.json").read_text())


def format_of(rel: str) -> str | None:
    return next((fmt for suffix, fmt in FORMAT_OF_SUFFIX if rel.endswith(suffix)), None)


@pytest.mark.dot
@pytest.mark.parametrize("fmt", FORMATS)
def test_one_format_writes_its_planned_files_and_only_its_own(fmt):
    need("dot"), need("latexmk")
    # the committed gallery stands in for the PDF compilation, as in build --check
    out = build_cell("rnn", (fmt,), RECORD, committed=str(ROOT / "output"))
    assert not out.problems, out.problems
    written = {rel.removeprefix("rnn/") for rel in out.files if rel.startswith("rnn/")}
    kinds = figures.diagram_kinds(derived(load_cell("rnn")))
    assert written == set(planned_files("rnn", (fmt,), figures.available(), kinds))
    assert {format_of(rel) for rel in out.files} <= {fmt, "any"}, sorted(out.files)
    assert {rel for rel in out.files if format_of(rel) == fmt}, f"{fmt} wrote nothing of its own"
    assert {rel for rel in out.files if rel.startswith("site/")} == ({"site/rnn.html"} if fmt == "html" else set())


def test_every_format_has_an_ending_and_no_ending_is_shared():
    endings = [suffix for suffix, fmt in FORMAT_OF_SUFFIX if fmt != "any"]
    assert len(endings) == len(set(endings))
    assert {fmt for _, fmt in FORMAT_OF_SUFFIX} == set(FORMATS) | {"any"}
