"""Atomic output: a build interrupted at any file leaves each file old or new (never half-written), a failed
build writes nothing, and foreign files in the output folder are never touched. Interruptions are injected
deterministically (a rename that fails at the k-th file), not timed."""

from __future__ import annotations

import json
import os
import xml.dom.minidom
from pathlib import Path

import pytest

from conftest import CELLS, need
from lstmsym.base import writing
from lstmsym.base.errors import FileProblem

FORMATS = ["--format", "tex,md,svg,png,json", "--jobs", "1"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def loadable(rel: str, data: bytes) -> bool:
    if rel.endswith(".json"):
        json.loads(data)
    elif rel.endswith(".svg"):
        xml.dom.minidom.parseString(data)
    elif rel.endswith(".png"):
        assert data.startswith(b"\x89PNG") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    return True


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writing.os, "replace", broken)
    with pytest.raises(FileProblem, match="cannot write .*f.txt: No space left on device"):
        writing.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


class Interrupt(BaseException):
    """Stands for the process being killed."""


@pytest.mark.dot
@pytest.mark.slow
def test_interrupted_builds_leave_old_or_new_files_only(tmp_path, cli, monkeypatch):
    need("dot")
    spec = tmp_path / "mine.toml"
    spec.write_text((CELLS / "rnn.toml").read_text().replace('name = "rnn"', 'name = "mine"'))
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert cli("build", spec, "--out", out, *FORMATS)[0] == 0
    old = snapshot(out)
    spec.write_text(spec.read_text().replace("Elman recurrent network", "Elman recurrent network, edited"))
    assert cli("build", spec, "--out", reference, *FORMATS)[0] == 0
    new = snapshot(reference)
    assert old.keys() == new.keys()
    real_replace = os.replace
    for fail_at in (1, 2, 4, 6):
        for rel, data in old.items():
            (out / rel).write_bytes(data)
        calls = {"n": 0}

        def replace(src, dst, fail_at=fail_at):
            calls["n"] += 1
            if calls["n"] == fail_at:
                raise Interrupt()
            return real_replace(src, dst)

        monkeypatch.setattr(writing.os, "replace", replace)
        with pytest.raises(Interrupt):
            cli("build", spec, "--out", out, "--force", *FORMATS)
        monkeypatch.setattr(writing.os, "replace", real_replace)
        for rel, data in snapshot(out).items():
            if rel.endswith(".tmp") or rel == ".lstmsym-build.json":
                continue
            assert data in (old.get(rel), new.get(rel)), f"{rel} is neither the old nor the new version (failure at {fail_at})"
            assert loadable(rel, data)
    assert cli("build", spec, "--out", out, *FORMATS)[0] == 0
    assert not [p for p in out.rglob("*.tmp")], "leftover temporary files are cleaned by the next build"
    drop = lambda files: {k: v for k, v in files.items() if k != ".lstmsym-build.json"}  # noqa: E731
    assert drop(snapshot(out)) == drop(new)


def test_failing_build_writes_nothing(tmp_path, cli):
    good = tmp_path / "good.toml"
    good.write_text((CELLS / "rnn.toml").read_text().replace('name = "rnn"', 'name = "good"'))
    bad = tmp_path / "bad.toml"
    bad.write_text((CELLS / "rnn.toml").read_text().replace("tanh(W @ x", "tanhh(W @ x"))
    out = tmp_path / "out"
    (out / "good").mkdir(parents=True)
    (out / "good" / "README.md").write_text("previous\n")
    (out / "notes.txt").write_text("mine\n")
    code, _, err = cli("build", good, bad, "--out", out, "--format", "md,json,tex")
    assert code == 2 and "unknown function 'tanhh'" in err
    assert snapshot(out) == {"good/README.md": b"previous\n", "notes.txt": b"mine\n"}


def test_out_never_deletes_foreign_files(tmp_path, cli):
    out = tmp_path / "out"
    (out / "rnn").mkdir(parents=True)
    (out / "rnn" / "my-notes.md").write_text("keep me\n")
    (out / "unrelated.bin").write_bytes(b"\x00")
    code, _, err = cli("build", "rnn", "--out", out, "--format", "md,json")
    assert code == 0, err
    assert (out / "rnn" / "my-notes.md").read_text() == "keep me\n"
    assert (out / "unrelated.bin").read_bytes() == b"\x00"


@pytest.mark.parametrize("argv, message", [
    (["export", "lstm", "-o", "{tmp}"], "{tmp} is a folder; expected a file name"),
    (["new", "foo", "-o", "{tmp}", "--force"], "{tmp} is a folder; expected a file name"),
    (["new", "foo", "-o", "{tmp}/f.toml/inner.toml"], "cannot write {tmp}/f.toml/inner.toml: {tmp}/f.toml is a file, not a folder"),
    (["export", "lstm", "-o", "/proc/lstm.py"], "cannot write /proc/lstm.py"),
])
def test_file_system_mistakes_are_errors(argv, message, tmp_path, cli):
    (tmp_path / "f.toml").write_text("x")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = cli(*argv)
    assert code == 2 and message.replace("{tmp}", str(tmp_path)) in err and "Traceback" not in err
