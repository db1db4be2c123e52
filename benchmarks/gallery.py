"""Gallery build time: cold (without PDFs and with them), no-op rebuild, and the floor it is compared with.

Run: python benchmarks/gallery.py
The floor is what any build must pay: importing SymPy, one `dot` run per diagram and format, and (for the
PDF figure) one pdflatex pass per document; it is given for one core and for the machine's cores."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lstmsym

CLI = [sys.executable, "-m", "lstmsym.cli", "build"]
ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    cores = os.cpu_count() or 1
    names = lstmsym.builtin_names()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gallery"
        fresh = timed(CLI + ["--out", str(Path(tmp) / "fresh"), "--format", "tex,md,svg,png,json", "--force"])
        out.mkdir()
        shutil.copy(ROOT / "output" / "verification.json", out / "verification.json")
        no_pdf = timed(CLI + ["--out", str(out), "--format", "tex,md,svg,png,json", "--force"])
        noop = timed(CLI + ["--out", str(out), "--format", "tex,md,svg,png,json"])
        shutil.copytree(out, Path(tmp) / "full")
        full = timed(CLI + ["--out", str(Path(tmp) / "full"), "--force"])
        sympy_import = timed([sys.executable, "-c", "import sympy"])
        dot_file = Path(tmp) / "one.dot"
        dot_file.write_text(lstmsym.cell("lstm").dot())
        one_dot = min(timed(["dot", "-Tsvg", str(dot_file), "-o", os.devnull]) for _ in range(5))
        tex = Path(tmp) / "t.tex"
        tex.write_text("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\\begin{align*}a&=b\\end{align*}\\end{document}\n")
        one_tex = min(timed(["pdflatex", "-interaction=nonstopmode", tex.name], cwd=tmp) for _ in range(3))
    diagrams = 2 * len(names)
    floor_no_pdf = sympy_import + diagrams * 2 * one_dot
    floor_full = floor_no_pdf + diagrams * one_dot + (len(names) + 1) * 2 * one_tex
    print(f"{len(names)} cells, {diagrams} diagrams, {cores} cores")
    print(f"  cold build without PDFs, with no verification record (runs every check): {fresh:6.2f} s")
    print(f"  cold build without PDFs  {no_pdf:6.2f} s   floor {floor_no_pdf:5.2f} s on one core, "
          f"{floor_no_pdf / cores:5.2f} s on {cores}  (ratio to the {cores}-core floor {no_pdf / (floor_no_pdf / cores):.1f})")
    print(f"  no-op rebuild            {noop:6.2f} s   (python start + digest of inputs + hashes of outputs)")
    print(f"  cold build with PDFs     {full:6.2f} s   floor {floor_full:5.2f} s on one core, {floor_full / cores:5.2f} s on {cores}"
          f"  (ratio {full / (floor_full / cores):.1f})")
    print(f"  floor parts: import sympy {sympy_import:.2f} s, one dot run {one_dot * 1e3:.0f} ms, "
          f"one pdflatex pass {one_tex * 1e3:.0f} ms (a write-up needs 2-3 passes with its figures)")


if __name__ == "__main__":
    main()
