"""`lstmsym build`: the gallery. Exit status: 0 built (or up to date); 1 stale (--check) or a cell failed
verification; 2 bad input; 3 something asked for was skipped because a tool is missing (dot, TeX, or matplotlib
for the plots); everything else is still written, the write-ups and the handbook without the plots."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..base.errors import UsageError
from ..base.writing import write_bytes_atomic
from ..gallery.build import MANIFEST, Gallery, Manifest, gallery_specs, orphan_files, parse_formats, stale_files, write_files
from ..gallery.files import DEFAULT_FORMATS, FORMATS
from ..render.plots import HINT as PLOT_HINT
from ..render.tools import DOT_HINT, TEX_HINT
from ..verify.record import passed
from .common import Progress

HELP = "build the gallery: LaTeX, PDF, Markdown, diagrams and JSON for each cell"
MESSAGES = {"dot": f"diagrams (SVG, PNG) and PDFs: {DOT_HINT}", "tex": f"PDFs: {TEX_HINT}",
            "matplotlib": f"plots (each cell's gradient survival, flow.svg and flow.pdf, and the comparison plots; the "
                          f"write-ups and handbook are built without them): {PLOT_HINT}"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cells", nargs="*", help="cells to build into the folder (default: every built-in cell and the folder's own)")
    p.add_argument("--out", default="output", metavar="DIR", help="output folder (default: output)")
    p.add_argument("--format", default=DEFAULT_FORMATS, metavar="LIST", help=f"comma-separated subset of {','.join(FORMATS)}")
    p.add_argument("--check", action="store_true", help="rebuild in memory; exit 1 listing the files that are stale")
    p.add_argument("--jobs", type=int, default=0, metavar="J", help="parallel workers (default: CPU count)")
    p.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    formats = parse_formats(args.format)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; expected a folder")
    specs = gallery_specs(args.cells, out)
    progress = Progress(len(specs))
    gallery = Gallery(out, formats, specs, args.jobs or os.cpu_count() or 1, args.force, progress.message, Manifest.load(out))
    if args.check:
        files, _, _ = gallery.build(check=True)
        progress.close()
        stale = stale_files(out, files)
        for rel, why in stale:
            print(f"stale: {out / rel} ({why})")
        orphans = orphan_files(out, files, formats)
        for rel in orphans:
            print(f"stale: {out / rel} (not made by this build any more: delete it)")
        print(f"lstmsym: {len(files) - len(stale)}/{len(files)} files up to date in {out}/"
              + (f"; {len(orphans)} files the build no longer makes" if orphans else ""))
        return 1 if stale or orphans else 0
    files, outputs, skipped = gallery.build()
    progress.close()
    written = write_files(out, files)
    write_bytes_atomic(out / MANIFEST, gallery.manifest.text().encode())
    elapsed = time.perf_counter() - started
    if not outputs and not written:
        print(f"lstmsym: {out}/ is up to date ({len(specs)} cells; {elapsed:.2f} s)")
    else:
        print(f"lstmsym: built {len(outputs)} of {len(specs)} cells into {out}/: {len(written)} files written, "
              f"{len(files) - len(written)} unchanged ({elapsed:.1f} s)")
    for tool in skipped:
        print(f"lstmsym: skipped {MESSAGES[tool]}", file=sys.stderr)
    problems = [p for o in outputs for p in o.problems] + gallery.problems
    for problem in problems:
        print(f"lstmsym: {problem} (every other file was written)", file=sys.stderr)
    if problems:
        return 1
    failed = [o.name for o in outputs if not passed(o.verification)]
    if failed:
        print(f"lstmsym: verification failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 3 if skipped else 0
