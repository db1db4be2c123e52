"""The gallery build: the committed output is current, rebuilds are byte-identical, --check names what is stale,
no-op rebuilds are quick, a user's cell joins a gallery folder, minimal specs build in every format, and
missing tools skip only what they make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, need

MINIMAL = sorted((Path(__file__).resolve().parent / "minimal").glob("*.toml"))
LONG = ROOT / "tests" / "specs" / "construct_long_equations.toml"


def build(*argv: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmsym.cli", "build", *argv], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=3600)


@pytest.mark.dot
@pytest.mark.tex
@pytest.mark.slow
def test_committed_gallery_is_current():
    """Rebuild everything in memory (PDFs included, another hash seed) and compare with output/ byte for byte;
    a stale file is named with its first differing line."""
    need("dot"), need("latexmk")
    result = build("--check", env=dict(os.environ, PYTHONHASHSEED="4242"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "files up to date" in result.stdout


@pytest.mark.dot
@pytest.mark.tex
@pytest.mark.slow
def test_byte_identical_across_folders_and_hash_seeds(tmp_path):
    """A cell built in every format into another folder, two levels deep, under another hash seed, gives its files
    byte for byte as committed in output/ (which test_committed_gallery_is_current rebuilds under a third seed, for
    every cell): the output depends on neither the folder nor the seed. One cell: a path or a seed would reach every
    cell's files alike (it built lstm, gru and rnn, 25 s)."""
    need("dot"), need("latexmk")
    out = tmp_path / "b" / "c"
    result = build("lstm", "--out", str(out), env=dict(os.environ, PYTHONHASHSEED="987654"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files = sorted(p.relative_to(out) for p in (out / "lstm").rglob("*") if p.is_file())
    assert any(str(f).endswith(".pdf") for f in files) and any(str(f).endswith(".png") for f in files) and len(files) >= 25
    for rel in files:
        assert (out / rel).read_bytes() == (ROOT / "output" / rel).read_bytes(), rel


@pytest.mark.dot
def test_check_names_a_file_the_build_no_longer_makes(tmp_path, cli):
    """142 cell.pdf and backward.pdf pictures of an older build (bottom to top, no legend, convlstm's identical to
    peephole's) stayed committed, and `build --check` said every file was current. A file of an asked format that
    the build does not make is now stale; one of a format not asked for is not judged."""
    need("dot")
    out = tmp_path / "out"
    assert cli("build", "rnn", "--out", out, "--format", "md,json")[0] == 0
    (out / "rnn" / "cell.pdf").write_bytes(b"%PDF old picture")
    (out / "rnn" / "notes.md").write_text("an old page\n")
    code, text, _ = cli("build", "rnn", "--out", out, "--format", "md,json", "--check")
    assert code == 1 and f"stale: {out / 'rnn' / 'notes.md'} (not made by this build any more: delete it)" in text, text
    assert "cell.pdf" not in text and "1 files the build no longer makes" in text  # pdf was not asked for
    (out / "rnn" / "notes.md").unlink()
    assert cli("build", "rnn", "--out", out, "--format", "md,json", "--check")[0] == 0


@pytest.mark.dot
def test_check_names_stale_files_and_noop_is_quick(tmp_path, cli):
    need("dot")
    out = tmp_path / "out"
    fmt = ("--format", "md,svg,json,tex")
    assert cli("build", "lstm", "--out", out, *fmt)[0] == 0
    assert {p.name for p in (out / "lstm").iterdir()} == {"README.md", "cell.svg", "backward.svg", "cell.json", "lstm.tex",
                                                           "cell.dot", "backward.dot", "flow.svg", "unrolled.dot", "unrolled.svg",
                                                           "unrolled_backward.dot", "unrolled_backward.svg"}
    code, out_text, _ = cli("build", "lstm", "--out", out, *fmt)
    assert code == 0 and "up to date" in out_text
    assert cli("build", "lstm", "--out", out, *fmt, "--check")[0] == 0
    (out / "lstm" / "README.md").write_text("# edited by hand\n")
    code, text, _ = cli("build", "lstm", "--out", out, *fmt, "--check")
    assert code == 1
    assert f"stale: {out / 'lstm' / 'README.md'} (line 1: committed '# edited by hand', built '# Long short-term memory" in text
    assert (out / "lstm" / "README.md").read_text() == "# edited by hand\n", "--check must not write"


@pytest.mark.dot
@pytest.mark.tex
def test_check_reads_each_pdfs_source_digest_instead_of_compiling(tmp_path, cli, monkeypatch):
    """`build --check` does not run LaTeX again: every PDF carries the digest of the sources it was compiled from
    (its Info's LstmsymSource), a PDF whose digest matches the rebuilt sources is current, any other is stale."""
    from lstmsym.render import tools

    need("dot"), need("latexmk")
    fmt = ("--format", "tex,pdf", "--jobs", "1")
    assert cli("build", "rnn", "--out", tmp_path, *fmt)[0] == 0
    monkeypatch.setattr(tools, "compile_pdf", lambda *args, **kwargs: pytest.fail("--check compiled LaTeX"))
    assert cli("build", "rnn", "--out", tmp_path, *fmt, "--check")[0] == 0
    assert_stale_when_digest_changes(cli, (tmp_path / "rnn" / "rnn.pdf", tmp_path / "handbook.pdf"), b"/LstmsymSource (",
                                     "build", "rnn", "--out", tmp_path, *fmt, "--check")


def assert_stale_when_digest_changes(cli, files, key: bytes, *check: str) -> None:
    """Each file, its digest's first digit changed after `key`, is named stale by the check; then put back."""
    for path in files:
        data = path.read_bytes()
        at = data.index(key) + len(key)
        path.write_bytes(data[:at] + (b"1" if data[at:at + 1] == b"0" else b"0") + data[at + 1:])
        code, text, _ = cli(*check)
        assert code == 1 and f"stale: {path}" in text, text
        path.write_bytes(data)


@pytest.mark.dot
def test_check_reads_each_pictures_source_digest_instead_of_drawing(tmp_path, cli, monkeypatch):
    """`build --check` does not run dot or matplotlib again for a picture (a third of its time): a diagram's SVG or
    PNG carries the digest of its DOT source (compared byte for byte), a flow plot the digest of its data and code;
    a committed picture whose digest matches stands in, any other is drawn again and compared, so it is stale. The
    tools themselves are held to the committed bytes end to end on one cell (test_byte_identical_...)."""
    from lstmsym.render import plots, tools

    need("dot")
    fmt = ("--format", "svg,png", "--jobs", "1")
    assert cli("build", "rnn", "--out", tmp_path, *fmt)[0] == 0
    drawn, render = [], tools._render_dot
    monkeypatch.setattr(tools, "_render_dot", lambda source, f: drawn.append(f) or render.__wrapped__(source, f))
    monkeypatch.setattr(plots, "flow_figure", lambda *args: pytest.fail("--check drew a flow plot again"))
    assert cli("build", "rnn", "--out", tmp_path, *fmt, "--check")[0] == 0
    assert not {"svg", "png"} & set(drawn), drawn
    monkeypatch.undo()
    pictures = (tmp_path / "rnn" / "cell.png", tmp_path / "rnn" / "backward.svg", tmp_path / "rnn" / "flow.svg")
    assert_stale_when_digest_changes(cli, pictures, b"LstmsymSource ", "build", "rnn", "--out", tmp_path, *fmt, "--check")


@pytest.mark.dot
def test_a_stamped_png_keeps_valid_chunks():
    """The digest goes in a tEXt chunk right after IHDR, and every chunk's CRC still holds (read here chunk by
    chunk, not by the writer)."""
    import struct
    import zlib

    from lstmsym.render import tools

    need("dot")
    data = tools.render_dot('digraph g { a -> b }', "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, kinds = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body), kind
        kinds.append((kind, body))
        at += 12 + length
    assert kinds[0][0] == b"IHDR" and kinds[1] == (b"tEXt", b"Comment\0LstmsymSource " + tools.picture_digest('digraph g { a -> b }', "png").encode())
    assert kinds[-1][0] == b"IEND"


@pytest.mark.dot
def test_a_users_cell_joins_the_gallery_folder(tmp_path, cli):
    need("dot")
    out = tmp_path / "gallery"
    fmt = ("--format", "md,json")
    assert cli("build", "rnn", "lstm", "--out", out, *fmt)[0] == 0
    index = (out / "index.md").read_text()
    assert "[`rnn`]" in index and "[`lstm`]" in index
    mine = tmp_path / "mine.toml"
    mine.write_text((ROOT / "tests" / "minimal" / "mi_rnn.toml").read_text().replace('name = "mi_rnn"', 'name = "mine"'))
    before = (out / "rnn" / "README.md").stat().st_mtime_ns
    code, text, _ = cli("build", mine, "--out", out, *fmt)
    assert code == 0 and "built 1 of 3 cells" in text
    assert "[`mine`]" in (out / "index.md").read_text() and "[`rnn`]" in (out / "index.md").read_text()
    assert (out / "rnn" / "README.md").stat().st_mtime_ns == before, "the cells already there are not rebuilt"
    code, text, _ = cli("build", "rnn", "--out", out, *fmt)
    assert code == 0 and "up to date" in text


def test_pages_link_only_files_that_exist(tmp_path, cli):
    out = tmp_path / "out"
    assert cli("build", "gru", "--out", out, "--format", "md")[0] == 0
    page = (out / "gru" / "README.md").read_text()
    for link in ("cell.svg", "backward.svg", "gru.pdf", "gru.tex", "cell.json"):
        assert f"]({link})" not in page, link
    assert "](cell.dot)" in page


@pytest.mark.dot
@pytest.mark.tex
@pytest.mark.slow
def test_minimal_specs_build_in_every_format_and_verify(tmp_path, cli):
    """Every minimal spec (only the required keys) builds in every format and verifies: one build of all of them
    together, so the handbook is compiled once and not once per spec.

    The same build holds a user's long equations: a layer-norm LSTM written from Ba et al. with sd = sqrt((mean(..)
    + mean(..) + mean(..) + mean(..))/4 + eps) failed with "not ready to publish: Overfull \\hbox (47pt too wide)" and
    wrote no other format. Its long equations are broken across lines (brackets closed and reopened with null
    delimiters), and the PDF compiles clean. (That was a build of its own, 14 s.)"""
    need("dot"), need("latexmk")
    out = tmp_path / "out"
    code, _, err = cli("build", *MINIMAL, LONG, "--out", out)
    assert code == 0, err
    assert len(MINIMAL) >= 7
    for spec in MINIMAL:
        name = spec.stem
        files = {p.name for p in (out / name).iterdir()}
        assert {f"{name}.pdf", f"{name}.tex", "README.md", "cell.json", "cell.svg", "backward.png"} <= files, name
        assert (out / name / f"{name}.pdf").read_bytes().startswith(b"%PDF"), name
        assert "Verified" in (out / name / "README.md").read_text(), name
    folder = out / LONG.stem
    assert (folder / f"{LONG.stem}.pdf").read_bytes().startswith(b"%PDF") and (out / "site" / f"{LONG.stem}.html").is_file()
    tex = (folder / f"{LONG.stem}.tex").read_text()
    assert r"\right. \\" in tex and r"\left. " in tex


def test_missing_tools_skip_only_what_they_make(tmp_path):
    """Without dot and TeX on PATH: sources are written and each missing tool is one line, exit 3; a build that
    asked for nothing they make exits 0."""
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
    quiet = subprocess.run([str(bin_dir / "python"), "-m", "lstmsym.cli", "build", "rnn", "--out", str(tmp_path / "o2"),
                            "--format", "md,json"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert quiet.returncode == 0 and "skipped" not in quiet.stderr


def test_unknown_format_is_a_usage_error(tmp_path, cli):
    code, _, err = cli("build", "rnn", "--out", tmp_path, "--format", "tex,docx")
    assert code == 2
    assert "unknown format(s) docx; expected a comma-separated subset of tex,pdf,md,svg,png,json" in err


@pytest.mark.dot
@pytest.mark.tex
def test_committed_tex_compiles_from_output(tmp_path):
    """Two committed write-ups and every standalone TikZ figure of one cell compile from a copy of output/ as they
    are (figures, TikZ files and references.bib beside them): LaTeX run once per kind of document on the committed
    tree. The handbook is not compiled again here (it took 92 of this test's 98 s): the build compiles every
    document in a scratch folder laid out as output/ with only the files it digests, and
    test_committed_gallery_is_current holds each committed PDF's digest to the rebuilt sources and every
    committed file to its rebuilt bytes, so the handbook compiled from exactly these files in this layout."""
    need("dot"), need("latexmk")
    import shutil
    import subprocess

    copy = tmp_path / "output"
    shutil.copytree(ROOT / "output", copy, ignore=shutil.ignore_patterns("*.png", "site"))
    jobs = [(copy / "lstm", "lstm.tex"), (copy / "convlstm", "convlstm.tex")]
    jobs += [(copy / "gru", p.name) for p in sorted((copy / "gru").glob("*-tikz.tex"))]
    assert len(jobs) >= 6
    for folder, name in jobs:
        result = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, (name, result.stdout[-1500:])


@pytest.mark.dot
@pytest.mark.tex
def test_build_without_matplotlib_says_what_it_skipped(tmp_path, cli, monkeypatch):
    """matplotlib is an extra: without it the write-ups and the handbook are still compiled (without the plots), and
    the build says what it dropped and exits 3, as for a missing dot or TeX (it exited 0 and dropped handbook.pdf
    and every flow.svg/flow.pdf silently; issue 22, item 5)."""
    from lstmsym.render import plots

    need("dot"), need("latexmk")
    monkeypatch.setattr(plots, "matplotlib_available", lambda: False)
    code, out, err = cli("build", "rnn", "--out", str(tmp_path), "--format", "tex,pdf,svg", "--jobs", "1")
    assert code == 3, err
    assert "skipped plots (each cell's gradient survival, flow.svg and flow.pdf" in err and "pip install matplotlib" in err
    assert err.count("skipped plots") == 1, err  # one line per missing tool (it was said twice)
    assert (tmp_path / "handbook.pdf").is_file() and (tmp_path / "rnn" / "rnn.pdf").is_file()
    assert not (tmp_path / "rnn" / "flow.svg").exists()


@pytest.mark.dot
@pytest.mark.tex
def test_a_write_up_latex_refuses_costs_only_its_pdf(tmp_path, cli, monkeypatch):
    """When LaTeX refuses a write-up, every other file is still written, the reason is said once, and the exit
    status is 1 (the build stopped and wrote nothing else)."""
    from lstmsym.base.errors import LstmsymError
    from lstmsym.render import tools

    def refuse(tex, figures, name="doc", folder="", root_files=None):
        raise LstmsymError(f"{name}.tex is not ready to publish: Overfull \\hbox (47pt too wide)")

    monkeypatch.setattr(tools, "compile_pdf", refuse)
    code, out, err = cli("build", "rnn", "--out", str(tmp_path), "--format", "tex,pdf,md", "--jobs", "1")
    assert code == 1 and "rnn.tex is not ready to publish" in err and "every other file was written" in err
    assert (tmp_path / "rnn" / "rnn.tex").is_file() and (tmp_path / "rnn" / "README.md").is_file()
