"""Gallery build time: cold with every format, no-op rebuild, and the floor they are compared with.

Run: python benchmarks/gallery.py
The floor is what any build must pay: importing SymPy plus the external tools' own time (every dot and latexmk
run the build makes, timed by wrappers put first on PATH), divided by the cores."""

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


SHIM = """#!/bin/sh
# Times the real {tool} and appends its wall time (seconds) to the log: the build's external-tool floor.
start=$(date +%s.%N)
{real} "$@"
status=$?
end=$(date +%s.%N)
echo "{tool} $start $end" >> {log}
exit $status
"""


def shimmed_env(tmp: Path) -> tuple[dict[str, str], Path]:
    """PATH with timing wrappers for the external programs the build runs (dot, latexmk): their own times,
    summed, are the floor no build can beat on one core."""
    bin_dir, log = tmp / "shims", tmp / "tools.log"
    bin_dir.mkdir()
    for tool in ("dot", "latexmk"):
        real = shutil.which(tool)
        if real:
            (bin_dir / tool).write_text(SHIM.format(tool=tool, real=real, log=log))
            (bin_dir / tool).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, log


def tool_seconds(log: Path) -> dict[str, tuple[int, float]]:
    """Runs and seconds per tool, read from the shims' log (then emptied)."""
    totals: dict[str, tuple[int, float]] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        tool, start, end = line.split()
        runs, seconds = totals.get(tool, (0, 0.0))
        totals[tool] = (runs + 1, seconds + float(end) - float(start))
    log.unlink(missing_ok=True)
    return totals


def main() -> None:
    cores = os.cpu_count() or 1
    names = lstmsym.builtin_names()
    with tempfile.TemporaryDirectory() as tmp:
        env, log = shimmed_env(Path(tmp))
        out = Path(tmp) / "gallery"
        out.mkdir()
        shutil.copy(ROOT / "output" / "verification.json", out / "verification.json")
        sympy_import = timed([sys.executable, "-c", "import sympy"])
        cold = timed(CLI + ["--out", str(out), "--force"], env=env)
        tools = tool_seconds(log)
        noop = timed(CLI + ["--out", str(out)], env=env)
        fresh = timed(CLI + ["--out", str(Path(tmp) / "fresh"), "--force"], env=env)
        tool_seconds(log)
    external = sum(seconds for _, seconds in tools.values())
    floor = (sympy_import + external) / cores
    print(f"{len(names)} cells, every format (tex, md, svg, png, pdf, json, tikz, html), {cores} cores")
    print(f"  cold build, all formats     {cold:7.2f} s")
    print("  external tools' own time   " + ", ".join(f"{tool} {runs} runs {seconds:.1f} s" for tool, (runs, seconds) in sorted(tools.items())))
    print(f"  floor: (import sympy {sympy_import:.2f} s + tools {external:.1f} s) / {cores} cores = {floor:.1f} s;"
          f"  ratio to the floor {cold / floor:.2f} (goal: within 2)")
    print(f"  no-op rebuild               {noop:7.2f} s   (goal: under 1 s)")
    print(f"  cold build without the verification record (runs every check too): {fresh:.1f} s")


if __name__ == "__main__":
    main()
