"""`extends`: a spec written as changes to another one (Greff et al.'s variants of the peephole LSTM).

The child's tables are merged into the base's: a key the child sets replaces the base's (in place, so the
order of equations is kept), new equations go before the first equation that reads them, and the names
listed in `remove` are dropped. Metadata is the child's own; framework mappings are never inherited."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..base.errors import Location, SpecError, one_of
from ..base.frameworks import FRAMEWORKS
from .syntax import names_in

MERGED_TABLES = ("sizes", "input", "state", "constants", "parameters", "roles", "display", "overview")
OWN_KEYS = ("name", "title", "year", "summary", "source", "aliases", "references", "notes") + FRAMEWORKS
MAX_DEPTH = 4


def _as_table(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {name: {} for name in value if isinstance(name, str)}
    return dict(value) if isinstance(value, dict) else {}


def _parse_names(text: str) -> list[str]:
    from .parser import Origin, parse_expression

    try:
        return [n.id for n in names_in(parse_expression(text, Origin("<merge>")))]
    except SpecError:
        return []


def merge_equations(base: dict[str, str], child: dict[str, str]) -> dict[str, str]:
    """Replace in place; insert a new equation just before the first base equation that reads it."""
    merged = dict(base)
    for name, text in child.items():
        if name in merged:
            merged[name] = text
            continue
        items = list(merged.items())
        at = next((i for i, (_, t) in enumerate(items) if isinstance(t, str) and name in _parse_names(t)), len(items))
        items.insert(at, (name, text))
        merged = dict(items)
    return merged


def merge(base: dict[str, Any], child: dict[str, Any], where: Location) -> dict[str, Any]:
    """The child's spec data, completed from the base's."""
    remove = child.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(r, str) for r in remove):
        raise SpecError("'remove' is not a list of names", where, expected="remove = [\"i\", \"W_i\"]")
    data: dict[str, Any] = {k: v for k, v in base.items() if k not in OWN_KEYS and k not in ("extends", "remove")}
    for key in MERGED_TABLES:
        if key in base or key in child:
            data[key] = {**_as_table(base.get(key)), **_as_table(child.get(key))}
    data["equations"] = merge_equations(_as_table(base.get("equations")), _as_table(child.get("equations")))
    for key, value in child.items():
        if key not in MERGED_TABLES and key not in ("equations", "extends", "remove"):
            data[key] = value
    if "references" not in child and "references" in base:
        data["references"] = base["references"]
    for name in remove:
        found = [key for key in ("equations", "parameters", "roles", "constants", "state") if name in data.get(key, {})]
        if not found:
            known = sorted({n for key in ("equations", "parameters", "constants", "state") for n in data.get(key, {})})
            raise SpecError(f"'remove' names '{name}', which the base does not define", where, expected=one_of(known))
        for key in found:
            del data[key][name]
    return data


def resolve_extends(data: dict[str, Any], source: str, load_raw: Callable[[str, str], tuple[dict[str, Any], str]],
                    depth: int = 0) -> tuple[dict[str, Any], list[str]]:
    """The fully merged data, and the texts of the base specs it read (for digests)."""
    base_name = data.get("extends")
    if base_name is None:
        return data, []
    where = Location(source)
    if not isinstance(base_name, str):
        raise SpecError("'extends' is not a name", where, expected="extends = \"peephole\" (a built-in cell or a .toml path)")
    if depth >= MAX_DEPTH:
        raise SpecError(f"'extends' chains deeper than {MAX_DEPTH} specs (or loops)", where, expected="a shorter chain")
    base_data, base_text = load_raw(base_name, str(Path(source).parent))
    base_data, texts = resolve_extends(base_data, base_name, load_raw, depth + 1)
    return merge(base_data, data, where), [base_text] + texts
