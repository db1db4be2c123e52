"""The gallery build: current committed output, byte-identical rebuilds, --check, no-op rebuilds, missing tools."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, need

CLI = [sys.executable, "-m", "lstmsym.cli"]


def build(*argv: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + ["build", *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=1800)


@pytest.mark.dot
@pytest.mark.tex
def test_committed_gallery_is_current():
    """Rebuild everything in memory (PDFs included, another hash seed) and compare with output/ byte for byte."""
    need("dot"), need("latexmk")
    result = build("--check", env=dict(os.environ, PYTHONHASHSEED="4242"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "files up to date" in result.stdout


@pytest.mark.dot
@pytest.mark.tex
def test_byte_identical_across_folders_and_hash_seeds(tmp_path):
    need("dot"), need("latexmk")
    outs = []
    for seed, folder in (("1", "a"), ("987654", "b/c")):
        out = tmp_path / folder
        result = build("lstm", "gru", "rnn", "--out", str(out), env=dict(os.environ, PYTHONHASHSEED=seed), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert any(str(f).endswith(".pdf") for f in files) and any(str(f).endswith(".png") for f in files)
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


@pytest.mark.dot
def test_check_lists_stale_files_and_noop_is_fast(tmp_path):
    need("dot")
    out = tmp_path / "out"
    assert build("lstm", "--out", str(out), "--format", "md,svg,json,tex").returncode == 0
    expected = {"README.md", "cell.svg", "backward.svg", "cell.json", "lstm.tex", "cell.dot", "backward.dot"}
    assert {p.name for p in (out / "lstm").iterdir()} == expected
    assert not (out / "index.md").exists(), "building a subset must not rewrite the gallery index"
    started = time.perf_counter()
    again = build("lstm", "--out", str(out), "--format", "md,svg,json,tex")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert time.perf_counter() - started < 3.0
    assert build("lstm", "--out", str(out), "--format", "md,svg,json,tex", "--check").returncode == 0
    (out / "lstm" / "README.md").write_text("edited by hand\n")
    stale = build("lstm", "--out", str(out), "--format", "md,svg,json,tex", "--check")
    assert stale.returncode == 1
    assert f"stale: {out / 'lstm' / 'README.md'}" in stale.stdout
    assert (out / "lstm" / "README.md").read_text() == "edited by hand\n", "--check must not write"


def test_missing_tools_still_write_sources(tmp_path):
    """Without dot and TeX on PATH: .dot, .tex, .md and .json are written, one line per tool, exit 3."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(bin_dir))
    out = tmp_path / "out"
    result = subprocess.run([str(bin_dir / "python"), "-m", "lstmsym.cli", "build", "rnn", "--out", str(out)],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 3, result.stderr
    names = {p.name for p in (out / "rnn").iterdir()}
    assert {"cell.dot", "backward.dot", "rnn.tex", "README.md", "cell.json"} <= names
    assert not names & {"cell.svg", "rnn.pdf"}
    lines = result.stderr.splitlines()
    assert "lstmsym: skipped diagrams (SVG, PNG) and PDFs: Graphviz's dot is not installed: apt-get install -y graphviz" in lines
    assert ("lstmsym: skipped PDFs: pdflatex/latexmk are not installed: apt-get install -y --no-install-recommends "
            "texlive-latex-base texlive-latex-recommended latexmk") in lines


def test_unknown_format_is_a_usage_error(tmp_path):
    result = build("rnn", "--out", str(tmp_path), "--format", "tex,docx")
    assert result.returncode == 2
    assert "unknown format(s) docx; expected a comma-separated subset of tex,pdf,md,svg,png,json" in result.stderr
