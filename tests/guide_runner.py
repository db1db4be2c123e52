"""Follow docs/writing-a-cell.md exactly: write its files, apply its edits, run its commands, compare outputs.

Blocks the runner understands (everything else is prose):
  ```toml file=NAME      the file's whole content
  ```diff file=NAME      '-' lines are replaced by the '+' lines that follow them (text replacement)
  ```console             '$ command' lines, each followed by its expected output ('...' matches any lines)
Regenerate the expected outputs after a deliberate change: python tests/guide_runner.py --update"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "writing-a-cell.md"
FENCE = re.compile(r"^```(\w+)(?: file=(\S+))?\n(.*?)^```\n", re.S | re.M)


def run_command(command: str, cwd: Path) -> str:
    """A command's output (stdout, then stderr). `lstmsym ...` runs in this process, through the CLI's own main():
    starting Python and importing SymPy was 32 s of the guide's 44 (the installed console script's process is
    tested in test_install)."""
    argv = shlex.split(command)
    if argv[0] != "lstmsym":
        env = dict(os.environ, COLUMNS="100", PYTHONHASHSEED="0")
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
        return (result.stdout + result.stderr).rstrip("\n")
    from lstmsym.cli.main import main

    out, err, here, columns = io.StringIO(), io.StringIO(), os.getcwd(), os.environ.get("COLUMNS")
    os.chdir(cwd)
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            warnings.resetwarnings()  # each command warns afresh, as a new process would
            try:
                main(argv[1:])
            except SystemExit:
                pass
    finally:
        os.chdir(here)
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    return (out.getvalue() + err.getvalue()).rstrip("\n")


def matches(expected: str, actual: str) -> bool:
    def line_pattern(line: str) -> str:
        """A line of expected output; '...' alone stands for any lines, and within a line for any text there (the
        guide shows the start and the end of a long list: a function added to the table changes no doc)."""
        if line == "...":
            return ".*?"
        return "[^\n]*".join(re.escape(part) for part in line.split("..."))

    pattern = "^" + "\n".join(line_pattern(line) for line in expected.split("\n")) + "$"
    return re.match(pattern, actual, re.S) is not None


def apply_diff(path: Path, body: str) -> None:
    text = path.read_text()
    old, new = [], []
    for line in body.splitlines():
        if line.startswith("-"):
            if new:
                text = _replace(text, old, new, path)
                old, new = [], []
            old.append(line[1:])
        elif line.startswith("+"):
            new.append(line[1:])
    text = _replace(text, old, new, path)
    path.write_text(text)


def _replace(text: str, old: list[str], new: list[str], path: Path) -> str:
    if not old:
        return text
    before = "\n".join(old)
    if before not in text:
        raise AssertionError(f"guide edit: {before!r} not found in {path.name}")
    return text.replace(before, "\n".join(new), 1)


def follow(update: bool = False) -> list[str]:
    """Run the guide in a scratch folder; returns the mismatches (or rewrites the guide with update=True)."""
    guide = GUIDE.read_text()
    failures: list[str] = []
    pieces: list[str] = []
    last = 0
    with tempfile.TemporaryDirectory(prefix="lstmsym-guide-") as tmp:
        cwd = Path(tmp)
        for match in FENCE.finditer(guide):
            kind, name, body = match.group(1), match.group(2), match.group(3)
            pieces.append(guide[last:match.start()])
            last = match.end()
            if kind == "toml" and name:
                (cwd / name).write_text(body)
            elif kind == "diff" and name:
                apply_diff(cwd / name, body)
            elif kind == "console":
                body = check_console(body, cwd, failures, update)
            pieces.append(f"```{kind}{f' file={name}' if name else ''}\n{body}```\n")
    pieces.append(guide[last:])
    if update:
        GUIDE.write_text("".join(pieces))
    return failures


def check_console(body: str, cwd: Path, failures: list[str], update: bool) -> str:
    blocks = re.split(r"^\$ ", body, flags=re.M)[1:]
    out = []
    for block in blocks:
        command, _, expected = block.partition("\n")
        expected = expected.rstrip("\n")
        actual = run_command(command, cwd)
        if not matches(expected, actual):
            if update:
                expected = actual
            else:
                failures.append(f"$ {command}\n--- expected\n{expected}\n--- got\n{actual}")
        out.append(f"$ {command}\n" + (expected + "\n" if expected else ""))
    return "".join(out)


if __name__ == "__main__":
    problems = follow(update="--update" in sys.argv)
    print("\n\n".join(problems) or "the guide runs as written")
    sys.exit(1 if problems else 0)
