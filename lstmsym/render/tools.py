"""The external programs, in one place: Graphviz's dot (through the graphviz package) and latexmk/pdflatex.
Each call is deterministic: fixed dates for PDFs, no timestamps in SVG."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import LstmsymError, ToolMissingError
from .svg_scripts import shrink_scripts

SOURCE_DATE_EPOCH = "0"
MAX_OVERFULL_PT = 3.0
DOT_HINT = "Graphviz's dot is not installed: apt-get install -y graphviz"
TEX_HINT = ("pdflatex/latexmk are not installed: apt-get install -y --no-install-recommends "
            "texlive-latex-base texlive-latex-recommended latexmk")


def dot_available() -> bool:
    return shutil.which("dot") is not None


def tex_available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def tikz_available() -> bool:
    """pdfLaTeX can load TikZ (Debian: texlive-pictures)."""
    if not tex_available() or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", "tikz.sty"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@dataclass(frozen=True)
class Tools:
    """Which optional tools this machine has (dot, latexmk with pdflatex, TikZ for pdfLaTeX, matplotlib): what a
    build can make, asked once per cell (render.figures.available)."""

    dot: bool
    tex: bool
    #: TikZ figures can be drawn: dot lays them out and pdfLaTeX loads TikZ (the write-ups then include them
    #: instead of dot's PDF figures, where the tikz format is asked for).
    tikz: bool
    matplotlib: bool


def render_all(sources: dict[str, str], formats: list[str], committed: Path | None = None) -> dict[str, dict[str, bytes]]:
    """dot's output of every DOT source (by name) in every format, by format then name: one call for all of a
    cell's pictures. With `committed` (a cell's folder of the gallery, for `build --check`), a committed NAME.svg or
    NAME.png that carries the digest of this source (picture_digest) stands in for running dot again."""
    if not dot_available():
        raise ToolMissingError(DOT_HINT)
    out: dict[str, dict[str, bytes]] = {fmt: {} for fmt in formats}
    for fmt in formats:
        for name, source in sources.items():
            kept = committed_picture(committed / f"{name}.{fmt}", picture_digest(source, fmt)) \
                if committed and fmt in STAMPED else None
            out[fmt][name] = kept or _render_dot(source, fmt)
    return out


def render_dot(source: str, fmt: str) -> bytes:
    """Lay out DOT with dot into svg, png, pdf, json or plain bytes."""
    if not dot_available():
        raise ToolMissingError(DOT_HINT)
    return _render_dot(source, fmt)


@functools.lru_cache(maxsize=128)
def _render_dot(source: str, fmt: str) -> bytes:
    """dot's output, kept for the same source: the layout search scores a variant on its JSON layout and the TikZ
    figure reads the chosen one's again (13 % of a build's dot runs). An SVG or PNG carries its source's digest."""
    import graphviz

    try:
        data = graphviz.Source(source).pipe(format=fmt, engine="dot", quiet=True)  # dot's spline warnings are not the reader's
        if fmt == "svg":
            data = shrink_scripts(data)  # scripts at full size collide in browsers: see svg_scripts
        if fmt in STAMPED:
            data = stamp(data, fmt, picture_digest(source, fmt))
        if fmt == "pdf":  # cairo stamps the time and ignores SOURCE_DATE_EPOCH: fix it (same length, offsets kept)
            data = re.sub(rb"/CreationDate \(D:\d{14}Z\)", b"/CreationDate (D:19800101000000Z)", data)
        return data
    except graphviz.ExecutableNotFound:
        raise ToolMissingError(DOT_HINT) from None
    except graphviz.CalledProcessError as exc:
        raise LstmsymError(f"dot failed: {exc.stderr.decode(errors='replace')[:300]}") from None


#: The PDF Info key that carries the digest of the sources a PDF was compiled from: `build --check` reads it from
#: a committed PDF instead of compiling the document again (the .tex is compared byte for byte, and a PDF whose
#: digest matches was compiled from exactly these sources).
SOURCE_KEY = "LstmsymSource"
#: The pictures that carry the digest of what they were drawn from (a DOT source; a plot's data) under the same key,
#: as a compiled PDF does: `build --check` takes a committed picture whose digest matches instead of drawing it again.
#: The tools themselves are held to their committed bytes end to end on one cell (tests/test_build.py,
#: test_byte_identical_across_folders_and_hash_seeds): a new dot or matplotlib that draws differently fails there.
STAMPED = ("svg", "png")
PICTURE_KEY = SOURCE_KEY  # the name plots.py reads (an edit to plots.py changes every flow plot's digest)
#: The code that shapes an SVG of dot after dot (a change to it changes every SVG, so it is part of the digest).
_SVG_CODE = hashlib.sha256((Path(__file__).parent / "svg_scripts.py").read_bytes()).hexdigest()


def picture_digest(source: str, fmt: str) -> str:
    """The digest a picture of this DOT source in this format carries."""
    extra = _SVG_CODE if fmt == "svg" else ""
    return hashlib.sha256(f"{fmt}\0{extra}\0{source}".encode()).hexdigest()[:32]


def stamp(data: bytes, fmt: str, digest: str) -> bytes:
    """The picture with the digest written into it where no reader shows it: an XML comment after an SVG's XML
    declaration, a tEXt chunk after a PNG's header."""
    marker = picture_marker(digest)
    if fmt == "svg":
        end = data.index(b"\n") + 1
        return data[:end] + b"<!-- " + marker + b" -->\n" + data[end:]
    if fmt == "png":
        end = 8 + 25  # the signature, then IHDR: length, type, 13 bytes of data, CRC
        body = b"tEXt" + b"Comment\0" + marker
        return data[:end] + struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body)) + data[end:]
    raise ValueError(f"no stamp for {fmt}: one of {', '.join(STAMPED)}")


def picture_marker(digest: str) -> bytes:
    """What a picture carrying `digest` holds: an SVG or PNG through stamp; a flow plot's PDF, the same text in its Keywords."""
    return f"{SOURCE_KEY} {digest}".encode()


def committed_picture(path: Path, digest: str) -> bytes | None:
    """The committed picture at `path` when it carries `digest`, else None (it is drawn again)."""
    return _carrying(path, picture_marker(digest))


def _carrying(path: Path, marker: bytes) -> bytes | None:
    """The committed file at `path` when it holds `marker` (the digest of the sources it was made from), else None."""
    data = path.read_bytes() if path.exists() else b""
    return data if marker in data else None


def source_digest(tex: str, figures: dict[str, bytes], root_files: dict[str, bytes] | None = None) -> str:
    """sha256 over a document's text and every file it reads (figures, references.bib), in name order."""
    digest = hashlib.sha256(tex.encode())
    for files in (figures, root_files or {}):
        for rel in sorted(files):
            digest.update(rel.encode() + b"\0" + files[rel])
    return digest.hexdigest()[:32]


def source_stamp(digest: str) -> str:
    return f"/{SOURCE_KEY} ({digest})"


def committed_pdf(path: Path, tex: str, figures: dict[str, bytes], root_files: dict[str, bytes] | None = None) -> bytes:
    """The committed PDF at `path` when it was compiled from these sources (its Info carries their digest), else
    a one-line stand-in that differs from it, so `build --check` reports the PDF stale."""
    kept = _carrying(path, source_stamp(source_digest(tex, figures, root_files)).encode())
    return kept or b"%PDF stale: not compiled from the current sources\n"


def compile_pdf(tex: str, figures: dict[str, bytes], name: str = "doc", folder: str = "",
                root_files: dict[str, bytes] | None = None) -> bytes:
    """Compile LaTeX with latexmk in a scratch folder laid out as the gallery is: the document in `folder`,
    `figures` relative to it, `root_files` (references.bib) at the top.

    SOURCE_DATE_EPOCH and FORCE_SOURCE_DATE fix the dates, and the templates set \\pdfsuppressptexinfo=-1
    and an empty \\pdftrailerid, so the same input gives the same bytes. A first line puts the digest of the
    sources in the PDF's Info (SOURCE_KEY)."""
    if not tex_available():
        raise ToolMissingError(TEX_HINT)
    with tempfile.TemporaryDirectory(prefix="lstmsym-tex-") as tmp:
        top = Path(tmp)
        root = top / folder if folder else top
        root.mkdir(parents=True, exist_ok=True)
        digest = source_digest(tex, figures, root_files)
        (root / f"{name}.tex").write_text(f"\\pdfinfo{{{source_stamp(digest)}}}\n" + tex)
        for rel, data in figures.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        for rel, data in (root_files or {}).items():
            (top / rel).write_bytes(data)
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, FORCE_SOURCE_DATE="1", TZ="UTC")
        cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"{name}.tex"]
        result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
        log = (root / f"{name}.log").read_text(errors="replace") if (root / f"{name}.log").exists() else result.stdout
        if result.returncode != 0 or not (root / f"{name}.pdf").exists():
            errors = [line for line in log.splitlines() if line.startswith("!") or ".tex:" in line][:5]
            raise LstmsymError(f"LaTeX failed for {name}.tex: " + " | ".join(errors or [log[-400:]]))
        problems = log_problems(log)
        if problems:
            raise LstmsymError(f"{name}.tex is not ready to publish: " + " | ".join(problems[:5]))
        return (root / f"{name}.pdf").read_bytes()


def log_problems(log: str) -> list[str]:
    """What a publishable document must not have: undefined references or citations, boxes over 3pt too wide."""
    problems = [line.strip() for line in log.splitlines()
                if re.search(r"(Reference|Citation) .* undefined|There were undefined references", line)]
    for match in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log):
        if float(match.group(1)) > MAX_OVERFULL_PT:
            problems.append(match.group(0))
    return problems
