"""Names that would print alike: two spec names, a name and a pre-activation or adjoint, or two shown names.

What a reader sees of a name is its written form plus its time index (spec.display and Notation). Two different
quantities must never look the same. Most clashes are avoided by construction (a size has no time index, a state
always has one; an input called t moves the step index to j; a quantity called sigma makes the sigmoid be written
'sigmoid'). What is left is reported as a NameClashWarning naming both, with where the spec defines them, so the
author can rename one or give it a [display] form."""

from __future__ import annotations

import warnings

from ..base.errors import NameClashWarning
from ..spec.naming import preactivation_key
from .notation import Notation


def written(notation: Notation, key: str) -> tuple:
    """A key as a reader sees it: main symbol, subscripts and the kind of time index."""
    glyph = notation.glyph(key)
    return (glyph.html, glyph.html_subs, glyph.time)


def clashes(notation: Notation) -> list[tuple[str, str, str, str]]:
    """('written' or 'called', first, second, how both are written) for every pair of a cell's quantities that print
    alike, in the documents or in text."""
    cell, spec = notation.cell, notation.cell.spec
    keys = list(spec.inputs) + list(spec.parameters) + list(spec.constants) + [eq.name for eq in spec.equations]
    keys += [s.previous for s in spec.states.values()]
    keys += [preactivation_key(node.key.split(":", 1)[1]) for node in cell.nodes if node.key.startswith("pre:")]
    seen: dict[tuple, str] = {}
    found: list[tuple[str, str, str]] = []
    for key in dict.fromkeys(keys):
        if not cell.has_node(key) and key not in spec.inputs and key not in spec.parameters and key not in spec.constants \
                and key not in cell.state_of_previous:
            continue
        shape = written(notation, key)
        time = {None: (), "step": (notation.time_label(0),), "prev": (notation.time_label(-1),)}[shape[2]]
        subs = shape[1] + time
        shown = shape[0] + ("_" + ",".join(subs) if subs else "")
        if shape in seen and seen[shape] != key:
            found.append(("written", seen[shape], key, shown))
        seen.setdefault(shape, key)
    found += _text_clashes(notation)
    return found


def _text_clashes(notation: Notation) -> list[tuple[str, str, str, str]]:
    """Shown names (d_h_in) that had to be numbered because the adjoint of a spec name took them first."""
    taken = {name: name for name in notation.user_names} | {name: key for key, name in notation.text_names.items()}
    out = []
    for key, name in notation.text_names.items():
        wanted = notation._wanted(key, notation.text_names)
        if wanted is not None and wanted != name and wanted in taken:
            out.append(("called", taken[wanted], key, name))
    return out


def describe(notation: Notation, clash: tuple[str, str, str, str]) -> str:
    kind, first, second, shown = clash
    if kind == "called":
        return (f"{_meaning(first)} and {_meaning(second)} would both be called '{notation.text_name(first)}'; "
                f"{_meaning(second)} is called '{shown}' in grad, check and the documents (rename '{first.split(':')[-1]}' "
                f"to keep the usual name)")
    return f"{_meaning(first)} and {_meaning(second)} would both be written {shown} (rename one, or give one a form in [display])"


def _meaning(key: str) -> str:
    head, _, rest = key.partition(":")
    meanings = {"in": f"the adjoint arriving at '{rest}'", "d": f"the adjoint of '{rest}'", "pre": f"the pre-activation of '{rest}'"}
    return meanings.get(head, f"the spec's '{key}'")


def warn_clashes(notation: Notation) -> None:
    """One NameClashWarning per clash (the CLI prints them as one line each)."""
    for clash in clashes(notation):
        warnings.warn(NameClashWarning(f"{notation.cell.spec.source}: {describe(notation, clash)}"), stacklevel=1)
