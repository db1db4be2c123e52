"""`lstmsym build`: the gallery. Everything is built in memory, then written file by file atomically.

Exit status: 0 built (or up to date); 1 stale (--check) or a cell failed verification; 2 bad input;
3 some outputs were skipped because dot or TeX is not installed (the rest was written)."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import UsageError

FORMATS = ("tex", "pdf", "md", "svg", "png", "json")
MANIFEST = ".lstmsym-build.json"
RECORD = "verification.json"
PACKAGE = Path(__file__).resolve().parent


@dataclass
class CellOutput:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def parse_formats(text: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise UsageError(f"unknown format(s) {', '.join(unknown) or '(none)'}; expected a comma-separated subset of {','.join(FORMATS)}")
    return chosen


# -- inputs and the no-op check ------------------------------------------------------------------
def input_digest(spec_paths: list[Path], formats: tuple[str, ...]) -> str:
    """sha256 of everything a build reads: package sources, templates, specs, formats, version."""
    from .templating import templates_dir

    digest = hashlib.sha256(f"{__version__}|{','.join(formats)}".encode())
    for root, pattern in ((PACKAGE, "*.py"), (templates_dir(), "*.j2")):
        for path in sorted(root.rglob(pattern)):
            digest.update(path.name.encode() + path.read_bytes())
    for path in spec_paths:
        digest.update(str(path.name).encode() + path.read_bytes())
    return digest.hexdigest()


def up_to_date(out: Path, digest: str) -> bool:
    """True when the manifest records this input digest and every file it lists is unchanged."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("inputs") != digest:
        return False
    for rel, sha in manifest.get("files", {}).items():
        try:
            if hashlib.sha256((out / rel).read_bytes()).hexdigest() != sha:
                return False
        except OSError:
            return False
    return True


# -- one cell --------------------------------------------------------------------------------------
def build_cell(name: str, formats: tuple[str, ...], record: dict[str, Any]) -> CellOutput:
    """All files of one cell, in memory (runs in a worker process)."""
    from . import record as records
    from . import render
    from .registry import cell as load

    cell = load(name)
    result = CellOutput(cell.name)
    result.verification = records.status(cell, record)
    prefix = f"{cell.name}/"
    dots = {kind: render.diagram_dot(cell, kind) for kind in ("cell", "backward")}
    for kind, source in dots.items():
        result.files[f"{prefix}{kind}.dot"] = source.encode()
    if render.dot_available():
        for kind, source in dots.items():
            for fmt in ("svg", "png"):
                if fmt in formats:
                    result.files[f"{prefix}{kind}.{fmt}"] = render.render_dot(source, fmt)
            if "pdf" in formats:
                result.figures[f"{kind}.pdf"] = render.render_dot(source, "pdf")
    else:
        result.skipped.append("dot")
    tex = render.writeup_tex(cell, result.verification)
    if "tex" in formats:
        result.files[f"{prefix}{cell.name}.tex"] = tex.encode()
    if "md" in formats:
        result.files[f"{prefix}README.md"] = render.readme_md(cell, result.verification).encode()
    if "json" in formats:
        result.files[f"{prefix}cell.json"] = render.cell_json(cell, result.verification).encode()
    if "pdf" in formats:
        if not render.tex_available():
            result.skipped.append("tex")
        elif render.dot_available():
            result.files[f"{prefix}{cell.name}.pdf"] = render.compile_pdf(tex, result.figures, cell.name)
    return result


def _build_cell_star(args: tuple) -> CellOutput:
    return build_cell(*args)


# -- the gallery -----------------------------------------------------------------------------------
def build_gallery(names: list[str], formats: tuple[str, ...], record: dict[str, Any], jobs: int,
                  whole: bool) -> tuple[dict[str, bytes], dict[str, Any], list[str]]:
    """Every output file in memory, the updated verification record, and the tools that were missing."""
    from . import record as records
    from . import render
    from .registry import cell as load

    from . import plots

    work = [(name, formats, record) for name in names]
    plot_formats = tuple(f for f in ("svg", "pdf") if f in formats)
    want_plots = whole and plot_formats and plots.matplotlib_available()
    if jobs > 1 and len(work) > 1:
        import multiprocessing

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            plotting = pool.submit(plots.figures_by_name, names, plot_formats) if want_plots else None
            outputs = list(pool.map(_build_cell_star, work))
            plot_files = plotting.result() if plotting else {}
    else:
        outputs = [build_cell(*w) for w in work]
        plot_files = plots.all_figures([load(n) for n in names], plot_formats) if want_plots else {}
    files: dict[str, bytes] = {}
    new_record = dict(record)
    skipped = sorted({tool for o in outputs for tool in o.skipped})
    for o in outputs:
        files.update(o.files)
        new_record[o.name] = o.verification
    if whole:
        cells = [load(n) for n in names]
        if plot_formats and not plots.matplotlib_available():
            skipped.append("matplotlib")
        files.update({rel: data for rel, data in plot_files.items() if rel.endswith(".svg") and "svg" in formats})
        if "md" in formats:
            files["index.md"] = render.index_md(cells, with_plots=bool(plot_files) and "svg" in formats).encode()
        tex = render.handbook_tex(cells, new_record, with_plots=any(rel.endswith(".pdf") for rel in plot_files))
        if "tex" in formats:
            files["handbook.tex"] = tex.encode()
        if "pdf" in formats and not skipped:
            figures = {f"{o.name}/{rel}": data for o in outputs for rel, data in o.figures.items()}
            figures.update({rel: data for rel, data in plot_files.items() if rel.endswith(".pdf")})
            files["handbook.pdf"] = render.compile_pdf(tex, figures, "handbook")
        files[RECORD] = records.dumps(new_record).encode()
    return files, new_record, skipped


def failed_cells(record: dict[str, Any], names: list[str]) -> list[str]:
    return [n for n in names if n in record and not (record[n]["symbolic"]["ok"] and record[n]["finite_differences"]["ok"])]


def remove_leftovers(out: Path, files: dict[str, bytes]) -> None:
    """Temporary files a killed build of ours left next to the files it was replacing (only ours)."""
    for rel in files:
        path = out / rel
        if path.parent.is_dir():
            for tmp in path.parent.glob(f".{path.name}.*.tmp"):
                tmp.unlink(missing_ok=True)


def write_files(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write each file atomically, skipping those already identical; returns the ones written."""
    from .writing import write_bytes_atomic

    remove_leftovers(out, files)
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


def stale_files(out: Path, files: dict[str, bytes]) -> list[str]:
    stale = []
    for rel, data in sorted(files.items()):
        try:
            if (out / rel).read_bytes() != data:
                stale.append(rel)
        except OSError:
            stale.append(rel)
    return stale


def resolve_names(cells: list[str]) -> tuple[list[str], list[Path]]:
    from .registry import builtin_names, cell as load, resolve

    names = [load(c).name if Path(c).suffix == ".toml" else c for c in cells] if cells else builtin_names()
    paths = [resolve(c) for c in (cells or names)]
    return (list(cells) if cells else names), paths


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    formats = parse_formats(args.format)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; expected a folder")
    names, paths = resolve_names(args.cells)
    whole = not args.cells
    digest = input_digest(paths, formats)
    if not args.check and not args.force and up_to_date(out, digest):
        print(f"lstmsym: {out}/ is up to date ({len(names)} cells; {time.perf_counter() - started:.2f} s)")
        return 0
    from . import record as records

    record = records.load(out / RECORD)
    jobs = args.jobs or os.cpu_count() or 1
    files, new_record, skipped = build_gallery(names, formats, record, jobs, whole)
    failed = failed_cells(new_record, [n.split("/")[-1].removesuffix(".toml") for n in names])
    if args.check:
        stale = stale_files(out, files)
        for rel in stale:
            print(f"stale: {out / rel}")
        print(f"lstmsym: {len(files) - len(stale)}/{len(files)} files up to date in {out}/")
        return 1 if stale else 0
    written = write_files(out, files)
    manifest = {"inputs": digest, "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}}
    if not skipped:
        write_files(out, {MANIFEST: (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()})
    elapsed = time.perf_counter() - started
    print(f"lstmsym: built {len(names)} cells into {out}/: {len(written)} files written, "
          f"{len(files) - len(written)} unchanged ({elapsed:.1f} s)")
    from .render import DOT_HINT, TEX_HINT

    from .plots import HINT as PLOT_HINT

    messages = {"dot": f"diagrams (SVG, PNG) and PDFs: {DOT_HINT}", "tex": f"PDFs: {TEX_HINT}",
                "matplotlib": f"comparison plots: {PLOT_HINT}"}
    for tool in skipped:
        print(f"lstmsym: skipped {messages[tool]}", file=sys.stderr)
    if failed:
        print(f"lstmsym: verification failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 3 if skipped else 0
