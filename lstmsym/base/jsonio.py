"""The one JSON convention: objects at the top level with a schema tag, UTF-8, sorted nowhere, numbers as numbers."""

from __future__ import annotations

import json
from typing import Any

SCHEMA_PREFIX = "lstmsym."


def tagged(command: str, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """`data` with `"schema": "lstmsym.<command>/<version>"` as its first key."""
    return {"schema": f"{SCHEMA_PREFIX}{command}/{version}", **data}


def dumps(data: Any) -> str:
    """JSON text as every lstmsym output writes it: indented, UTF-8 kept, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n"


def _default(value: Any) -> Any:
    """Numbers that are not Python's own (NumPy, SymPy integers) become numbers; anything else text."""
    for kind in (int, float):
        try:
            converted = kind(value)
        except (TypeError, ValueError):
            continue
        if converted == value:
            return converted
    return str(value)
