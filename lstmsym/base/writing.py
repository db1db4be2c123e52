"""Write files atomically: a temporary file in the same folder, then a rename. File-system mistakes
(a folder where a file belongs, a missing or unwritable folder) become FileProblem errors, not tracebacks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import FileProblem


def check_writable(path: str | Path, force: bool = True) -> Path:
    """The path to write, or FileProblem saying why it cannot be written there."""
    path = Path(path)
    if path.is_dir():
        raise FileProblem(f"{path} is a folder; expected a file name (e.g. {path / 'out.txt'})")
    if path.exists() and not force:
        raise FileProblem(f"{path} exists; use --force to overwrite it")
    for parent in [path.parent, *path.parent.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise FileProblem(f"cannot write {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise FileProblem(f"cannot write {path}: no permission to write in {parent}")
            break
    return path


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Replace `path` with `data` so a reader never sees a half-written file."""
    path = check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise FileProblem(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
