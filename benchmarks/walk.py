"""The walk of one cell through the gallery build (issue 23): which of lstmsym's modules `build_cell` passes
through, in order, and how often it comes back to one it had left.

    python benchmarks/walk.py [CELL] [--depth D] [--root DIR]

Every call into a function of lstmsym's own modules, up to D calls below `build_cell` (default 2: what build_cell
calls and what those call), is recorded as the module it lands in. Consecutive calls in one module are one *stay*;
a *place* is a module; a *return* is a stay in a module the walk had already left. It runs in a fresh process, derivation
included, so the walk is that of a cold build of the cell (the formats of a full build, PDF
compilation left out). `--root` measures another checkout (a git worktree of an older commit) the same way."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def walk(cell: str, depth: int) -> list[str]:
    """The modules entered, one entry per call, within `depth` calls below build_cell."""
    from lstmsym.gallery import files

    package = str(Path(files.__file__).resolve().parent.parent)
    visited: list[str] = []
    state = {"depth": 0, "active": False}

    def profiler(frame, event, arg):
        path = frame.f_code.co_filename
        if not path.startswith(package) or event not in ("call", "return"):
            return
        if not state["active"]:
            state["active"] = event == "call" and frame.f_code.co_name == "build_cell"
            return
        if event == "call":
            state["depth"] += 1
            if state["depth"] <= depth:
                visited.append(str(Path(path).relative_to(package)).removesuffix(".py"))
        elif state["depth"] == 0:  # build_cell itself returns
            state["active"] = False
        else:
            state["depth"] -= 1

    sys.setprofile(profiler)
    try:
        files.build_cell(cell, ("tex", "md", "svg", "png", "json", "html", "tikz"), {}, False)
    finally:
        sys.setprofile(None)
    return visited


def summary(visited: list[str]) -> tuple[int, int, int]:
    """(places, stays, returns) of a walk."""
    stays = [m for k, m in enumerate(visited) if k == 0 or visited[k - 1] != m]
    returns = sum(1 for k, m in enumerate(stays) if m in stays[:k])
    return len(set(stays)), len(stays), returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cell", nargs="?", default="lstm")
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--root", default=str(ROOT), help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(args.root).resolve()))
    places, stays, returns = summary(walk(args.cell, args.depth))
    print(f"{args.cell} at depth {args.depth}: {places} places, {stays} stays, {returns} returns to a place already left")


if __name__ == "__main__":
    main()
