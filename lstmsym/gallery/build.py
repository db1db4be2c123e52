"""`lstmsym build`: the gallery. A folder's manifest lists its cells; building a cell into a folder adds it.
Each cell is rebuilt only when its inputs changed; everything is built in memory, then written file by file
atomically. The index, handbook, plots and verification record cover every cell in the folder."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..base.errors import LstmsymError, UsageError
from ..base.version import __version__
from ..base.writing import write_bytes_atomic
from ..derive.derived import derived
from ..model.loading import load_cell
from ..render import documents, figures, plots, references, site, tools
from ..spec.catalogue import builtin_names, resolve
from ..spec.files import spec_inputs
from ..verify import record as records
from .files import FORMAT_SUFFIXES, FORMATS, CellOutput, build_cell, spec_key

MANIFEST = ".lstmsym-build.json"
RECORD = "verification.json"
PACKAGE = Path(__file__).resolve().parent.parent


def parse_formats(text: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(f"unknown format(s) {', '.join(unknown) or '(none)'}; expected a comma-separated subset of {','.join(FORMATS)}")
    return chosen


@lru_cache(maxsize=1)
def package_digest() -> str:
    """sha256 of every source and template the build reads (a change anywhere rebuilds every cell)."""
    from ..render.templating import templates_dir

    digest = hashlib.sha256(__version__.encode())
    for root, pattern in ((PACKAGE, "*.py"), (templates_dir(), "*.j2")):
        for path in sorted(root.rglob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def cell_inputs(spec: str, formats: tuple[str, ...]) -> str:
    """The digest of everything one cell's files depend on (its spec text and the bases it extends)."""
    text = spec_inputs(resolve(spec))
    tools_present = f"{tools.dot_available()}{tools.tex_available()}"
    return hashlib.sha256(f"{package_digest()}|{','.join(formats)}|{tools_present}|{text}".encode()).hexdigest()


@dataclass
class Manifest:
    """What a gallery folder holds: its cells (spec key -> name, input digest, file hashes) and its own files."""

    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    whole: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> "Manifest":
        try:
            data = json.loads((out / MANIFEST).read_text())
            return cls(dict(data.get("cells", {})), dict(data.get("whole", {})))
        except (OSError, ValueError, AttributeError):
            return cls()

    def text(self) -> str:
        return json.dumps({"cells": dict(sorted(self.cells.items())), "whole": self.whole}, indent=1, sort_keys=True) + "\n"


def files_current(out: Path, hashes: dict[str, str]) -> bool:
    for rel, sha in hashes.items():
        try:
            if hashlib.sha256((out / rel).read_bytes()).hexdigest() != sha:
                return False
        except OSError:
            return False
    return True


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_workers(function: Callable, jobs: list[tuple], workers: int) -> list:
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_star, [(function, job) for job in jobs]))
    return [function(*job) for job in jobs]


def _star(item: tuple) -> Any:
    function, job = item
    return function(*job)


@dataclass
class Gallery:
    """One build of one folder."""

    out: Path
    formats: tuple[str, ...]
    specs: list[str]
    workers: int = 1
    force: bool = False
    progress: Callable[[str], None] = lambda message: None
    manifest: Manifest = field(default_factory=Manifest)
    #: What could not be made (the handbook's PDF, when LaTeX refuses it); every other file is still written.
    problems: list[str] = field(default_factory=list)

    def stale_cells(self, digests: dict[str, str]) -> list[str]:
        if self.force:
            return list(self.specs)
        out = []
        for spec in self.specs:
            entry = self.manifest.cells.get(spec_key(spec))
            if entry is None or entry.get("inputs") != digests[spec] or not files_current(self.out, entry.get("files", {})):
                out.append(spec)
        return out

    def whole_inputs(self, digests: dict[str, str]) -> str:
        return sha("|".join(f"{spec_key(s)}={digests[s]}" for s in self.specs).encode() + package_digest().encode())

    def build(self, check: bool = False) -> tuple[dict[str, bytes], list[CellOutput], list[str]]:
        """The files to write (all of them with check), the cells rebuilt, and the tools that were missing."""
        digests = {spec: cell_inputs(spec, self.formats) for spec in self.specs}
        stale = list(self.specs) if check else self.stale_cells(digests)
        whole_digest = self.whole_inputs(digests)
        whole_stale = check or self.force or self.manifest.whole.get("inputs") != whole_digest \
            or not files_current(self.out, self.manifest.whole.get("files", {}))
        record = records.load(self.out / RECORD)
        need_figures = whole_stale and "pdf" in self.formats
        todo = list(self.specs) if need_figures else stale
        self.progress(f"building {len(todo)} of {len(self.specs)} cells")
        committed = str(self.out) if check else None  # --check reads the committed PDFs' source digests
        outputs = run_workers(build_cell, [(spec, self.formats, record, need_figures, committed) for spec in todo], self.workers)
        by_spec = dict(zip(todo, outputs))
        files: dict[str, bytes] = {}
        skipped = sorted({tool for o in outputs for tool in o.skipped})
        for spec in stale:
            files.update(by_spec[spec].files)
            if by_spec[spec].problems:  # not recorded as built: the next build tries again
                continue
            self.manifest.cells[spec_key(spec)] = {"name": by_spec[spec].name, "inputs": digests[spec],
                                                  "files": {rel: sha(data) for rel, data in sorted(by_spec[spec].files.items())}}
        if whole_stale:
            new_record = dict(record)
            new_record.update({o.name: o.verification for o in outputs})
            for spec in self.specs:
                name = self.manifest.cells[spec_key(spec)]["name"] if spec not in by_spec else by_spec[spec].name
                if name not in new_record:
                    new_record[name] = records.status(derived(load_cell(spec)), record)
            whole = self.whole_files(outputs, new_record, skipped, check)
            files.update(whole)
            self.manifest.whole = {} if self.problems else {"inputs": whole_digest,
                                                             "files": {rel: sha(data) for rel, data in sorted(whole.items())}}
        return files, outputs, skipped

    def whole_files(self, outputs: list[CellOutput], record: dict[str, Any], skipped: list[str],
                    check: bool = False) -> dict[str, bytes]:
        cells = [derived(load_cell(spec)) for spec in self.specs]
        files: dict[str, bytes] = {}
        plot_formats = tuple(f for f in ("svg", "pdf") if f in self.formats or (f == "svg" and "html" in self.formats))
        plot_files = {}
        if plot_formats and plots.matplotlib_available():
            plot_files = plots.all_figures(cells, plot_formats, record)
        elif plot_formats and "matplotlib" not in skipped:  # the cells' own plots may have said so already
            skipped.append("matplotlib")
        files.update(plot_files)
        if "html" in self.formats:
            svgs = {rel: data for rel, data in plot_files.items() if rel.endswith(".svg")}
            for page, html in site.index_pages(cells, svgs).items():
                files[f"site/{page}"] = html.encode()
        if "md" in self.formats:
            files["index.md"] = documents.index_md(cells, with_plots="plots/parameters.svg" in plot_files,
                                                   flow_plot="plots/flow.svg" in plot_files).encode()
        bib = references.bib_text(cells).encode()
        files["references.bib"] = bib
        use_tikz = "tikz" in self.formats and figures.available().tikz
        tex = documents.handbook_tex(cells, record, with_plots=any(rel.endswith(".pdf") for rel in plot_files),
                                     flow_plot="plots/flow.pdf" in plot_files, tikz=use_tikz)
        if "tex" in self.formats:
            files["handbook.tex"] = tex.encode()
        if "pdf" in self.formats and not [tool for tool in skipped if tool != "matplotlib"]:  # without plots, if need be
            included = {f"{o.name}/{rel}": data for o in outputs for rel, data in o.figures.items()}
            included.update({rel: data for rel, data in plot_files.items() if rel.endswith(".pdf")})
            try:
                bib_files = {"references.bib": bib}
                files["handbook.pdf"] = tools.committed_pdf(self.out / "handbook.pdf", tex, included, bib_files) if check \
                    else tools.compile_pdf(tex, included, "handbook", "", bib_files)
            except LstmsymError as exc:
                self.problems.append(str(exc))
        files[RECORD] = records.record_text({c.cell.name: record[c.cell.name] for c in cells if c.cell.name in record}).encode()
        return files


def gallery_specs(cells: list[str], out: Path) -> list[str]:
    """The cells a build covers: those named, plus every cell the folder's manifest already holds; with none
    named, the built-in cells plus the folder's own."""
    manifest = Manifest.load(out)
    known = [key for key in manifest.cells]
    base = list(cells) if cells else builtin_names()
    for spec in base:
        resolve(spec)
    keys = {spec_key(s) for s in base}
    extra = [key for key in known if key not in keys and (key in builtin_names() or Path(key).exists())]
    return sorted(dict.fromkeys(base + extra), key=lambda spec: (resolve(spec).stem, spec_key(spec)))


def write_files(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write each file atomically, skipping those already identical; returns the ones written."""
    for rel in files:
        path = out / rel
        if path.parent.is_dir():
            for tmp in path.parent.glob(f".{path.name}.*.tmp"):
                tmp.unlink(missing_ok=True)
    written = []
    for rel, data in sorted(files.items()):
        path = out / rel
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        write_bytes_atomic(path, data)
        written.append(rel)
    return written


def stale_files(out: Path, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """(file, first differing line) for every file that differs from what the build makes."""
    stale = []
    for rel, data in sorted(files.items()):
        try:
            old = (out / rel).read_bytes()
        except OSError:
            stale.append((rel, "missing"))
            continue
        if old != data:
            stale.append((rel, first_difference(old, data)))
    return stale


#: The format a gallery file belongs to, by how its name ends, the longest ending first (-tikz.tex before .tex);
#: the diagrams' DOT sources belong to every format.
FORMAT_OF_SUFFIX = tuple(sorted(((suffix, fmt) for fmt, suffixes in FORMAT_SUFFIXES.items() for suffix in suffixes),
                                key=lambda pair: -len(pair[0]))) + ((".dot", "any"),)


def orphan_files(out: Path, files: dict[str, bytes], formats: tuple[str, ...]) -> list[str]:
    """Files of the asked formats, in the folders the build writes (a cell's folder, site/, plots/), that it no
    longer makes: a picture of an older build (cell.pdf drawn before the TikZ figures) would otherwise stay
    published and unchecked."""
    folders = {rel.split("/")[0] for rel in files if "/" in rel}
    found = [str(p.relative_to(out)) for folder in folders for p in (out / folder).rglob("*") if p.is_file()]
    fmt = lambda rel: next((f for suffix, f in FORMAT_OF_SUFFIX if rel.endswith(suffix)), None)  # noqa: E731
    return sorted(rel for rel in found if rel not in files and fmt(rel) in formats + ("any",))


def first_difference(old: bytes, new: bytes) -> str:
    if b"\0" in old[:1024] or b"\0" in new[:1024] or old[:4] in (b"%PDF", b"\x89PNG"):
        return f"binary, {len(old)} bytes committed, {len(new)} built"
    old_lines, new_lines = old.decode(errors="replace").splitlines(), new.decode(errors="replace").splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            return f"line {number}: committed {a[:80]!r}, built {b[:80]!r}"
    return f"line {min(len(old_lines), len(new_lines)) + 1}: one file is longer ({len(old_lines)} vs {len(new_lines)} lines)"
