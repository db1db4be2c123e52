"""Output is never lost or half-written: atomic files, builds killed midway, failing builds, foreign files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.dom.minidom
from pathlib import Path

import pytest

from conftest import CELLS, ROOT, need
from lstmsym import writing

CLI = [sys.executable, "-m", "lstmsym.cli", "build"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def loadable(rel: str, data: bytes) -> bool:
    if rel.endswith(".json"):
        json.loads(data)
    elif rel.endswith(".svg"):
        xml.dom.minidom.parseString(data)
    elif rel.endswith(".png"):
        assert data.startswith(b"\x89PNG") and data.rstrip().endswith(b"IEND\xaeB`\x82")
    elif rel.endswith(".pdf"):
        assert data.startswith(b"%PDF") and b"%%EOF" in data[-32:]
    return True


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f.txt"
    target.write_text("old")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        writing.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


@pytest.mark.dot
def test_killed_builds_leave_old_or_new_files_only(tmp_path):
    need("dot")
    spec = tmp_path / "mine.toml"
    spec.write_text((CELLS / "lstm.toml").read_text().replace('name = "lstm"', 'name = "mine"'))
    out, reference = tmp_path / "out", tmp_path / "reference"
    args = ["--format", "tex,md,svg,png,json"]
    assert subprocess.run(CLI + [str(spec), "--out", str(out)] + args, cwd=ROOT).returncode == 0
    old = snapshot(out)
    spec.write_text(spec.read_text().replace("Long short-term memory", "Long short-term memory, edited"))
    assert subprocess.run(CLI + [str(spec), "--out", str(reference)] + args, cwd=ROOT).returncode == 0
    new = snapshot(reference)
    assert old.keys() - {".lstmsym-build.json"} == new.keys() - {".lstmsym-build.json"}
    for delay in (0.2, 0.5, 0.9, 1.4, 2.0, 3.0):
        process = subprocess.Popen(CLI + [str(spec), "--out", str(out), "--force"] + args, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        now = snapshot(out)
        for rel, data in now.items():
            if rel.endswith(".tmp"):
                continue
            assert data in (old.get(rel), new.get(rel)), f"{rel} is neither the old nor the new version (delay {delay})"
            assert loadable(rel, data)
    finished = subprocess.run(CLI + [str(spec), "--out", str(out), "--force"] + args, cwd=ROOT)
    assert finished.returncode == 0
    assert not [p for p in out.rglob("*.tmp")], "leftover temporary files are cleaned by the next build"
    assert {k: v for k, v in snapshot(out).items() if k != ".lstmsym-build.json"} == \
        {k: v for k, v in new.items() if k != ".lstmsym-build.json"}


def test_failing_build_writes_nothing(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text((CELLS / "rnn.toml").read_text().replace('name = "rnn"', 'name = "good"'))
    bad = tmp_path / "bad.toml"
    bad.write_text((CELLS / "rnn.toml").read_text().replace("tanh(W @ x", "tanhh(W @ x"))
    out = tmp_path / "out"
    (out / "good").mkdir(parents=True)
    (out / "good" / "README.md").write_text("previous\n")
    (out / "notes.txt").write_text("mine\n")
    result = subprocess.run(CLI + [str(good), str(bad), "--out", str(out), "--format", "md,json,tex"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "unknown function 'tanhh'" in result.stderr
    assert snapshot(out) == {"good/README.md": b"previous\n", "notes.txt": b"mine\n"}


def test_out_never_deletes_foreign_files(tmp_path):
    out = tmp_path / "out"
    (out / "rnn").mkdir(parents=True)
    (out / "rnn" / "my-notes.md").write_text("keep me\n")
    (out / "unrelated.bin").write_bytes(b"\x00")
    result = subprocess.run(CLI + ["rnn", "--out", str(out), "--format", "md,json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (out / "rnn" / "my-notes.md").read_text() == "keep me\n"
    assert (out / "unrelated.bin").read_bytes() == b"\x00"
