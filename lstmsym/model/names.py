"""Name resolution for a spec: every reference defined, in order, acyclic; nothing declared and unused."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import Location, SpecError, did_you_mean
from ..spec.decls import Equation, Spec
from ..spec.naming import IDENTITY
from ..spec.syntax import calls_in, names_in
from .functions import SPEC_FUNCTIONS
from .ir import STRUCTURAL

CALLABLE = tuple(SPEC_FUNCTIONS) + tuple(STRUCTURAL)


def identity_available(spec: Spec) -> bool:
    """'I' is the identity matrix unless the spec names one of its own quantities I."""
    return IDENTITY not in definitions(spec)


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str
    location: Location


def definitions(spec: Spec) -> dict[str, Definition]:
    """Every name an expression may refer to, with what it is; a name defined twice is an error."""
    found: dict[str, Definition] = {}

    def add(name: str, kind: str, location: Location) -> None:
        if name in found:
            first = found[name]
            raise SpecError(f"duplicate definition: '{name}' is defined as {kind} and as {first.kind} ({first.location})",
                            location, expected="each name defined once")
        found[name] = Definition(name, kind, location)

    for name in spec.inputs:
        add(name, "an input", spec.where("input", name))
    for state in spec.states.values():
        add(state.previous, f"the previous value of state '{state.name}'", state.location)
    for const in spec.constants.values():
        add(const.name, "a constant", const.location)
    for matrix in spec.matrices.values():
        add(matrix.name, "a constant matrix", matrix.location)
    for param in spec.parameters.values():
        add(param.name, "a parameter", param.location)
    for eq in spec.equations:
        add(eq.name, "an equation", eq.location)
    return found


def check_names(spec: Spec) -> None:
    """Raise SpecError for the first unknown, early, cyclic, unused or never-updated name."""
    defs = definitions(spec)
    identity = [IDENTITY] if IDENTITY not in defs else []
    order = {eq.name: index for index, eq in enumerate(spec.equations)}
    graph = {eq.name: [n.id for n in names_in(eq.tree) if n.id in order] for eq in spec.equations}
    for index, eq in enumerate(spec.equations):
        for ref in names_in(eq.tree):
            if ref.id in identity or (ref.id in defs and order.get(ref.id, -1) < index):
                continue
            where = eq.origin.at(eq.text, ref.pos)
            if ref.id in order:
                raise _order_error(spec, eq, ref.id, where, graph)
            raise _unknown(spec, ref.id, where, defs)
    _check_states(spec, order)
    _check_outputs(spec, order)
    known = set(defs) | set(spec.sizes)
    for name in spec.display:
        if name not in known:
            raise SpecError(f"a display form for '{name}', which the spec does not define", spec.where("display", name),
                            expected="a name of the spec", suggestion=did_you_mean(name, known))
    for name, where in spec.stray_roles:
        raise SpecError(f"a role for '{name}', which is not an equation", where, expected="one of " + ", ".join(order),
                        suggestion=did_you_mean(name, order))


def check_functions(spec: Spec) -> None:
    """Every call names a function of the notation."""
    for eq in spec.equations:
        for call in calls_in(eq.tree):
            if call.func not in CALLABLE:
                raise SpecError(f"unknown function '{call.func}'", eq.origin.at(eq.text, call.pos),
                                expected="one of " + ", ".join(sorted(CALLABLE)), suggestion=did_you_mean(call.func, CALLABLE))


def check_unused(spec: Spec) -> None:
    """Raise SpecError for a declared parameter, constant or input that no equation reads."""
    _check_unused(spec)


def _order_error(spec: Spec, eq: Equation, name: str, where: Location, graph: dict[str, list[str]]) -> SpecError:
    path = _path(graph, name, eq.name)
    if path is not None:
        cycle = " -> ".join([eq.name] + path)
        hint = None
        if name in spec.states:
            hint = f"for the previous step's value of '{name}' write '{spec.states[name].previous}'"
        return SpecError(f"cycle: {cycle}", where, expected="equations that can be computed in order",
                         suggestion=hint)
    return SpecError(f"'{name}' is used before it is defined", where,
                     expected=f"'{name}' defined above '{eq.name}'",
                     suggestion=f"move the equation of '{name}' above '{eq.name}'")


def _path(graph: dict[str, list[str]], start: str, goal: str) -> list[str] | None:
    """A dependency path start -> ... -> goal, or None."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((nxt, path + [nxt]) for nxt in reversed(graph.get(node, [])))
    return None


def _unknown(spec: Spec, name: str, where: Location, defs: dict[str, Definition]) -> SpecError:
    hint = did_you_mean(name, list(defs))
    if name in spec.sizes:
        hint = f"'{name}' is a size; sizes only appear in shapes"
    elif hint is None and name.startswith(("W", "U", "V", "b", "w", "p")):
        hint = f"if '{name}' is a parameter, declare it under [parameters]"
    known = sorted(defs)
    shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return SpecError(f"unknown name '{name}'", where, expected=f"one of {shown}", suggestion=hint)


def _check_states(spec: Spec, order: dict[str, int]) -> None:
    used = {ref.id for eq in spec.equations for ref in names_in(eq.tree)}
    for state in spec.states.values():
        if state.name not in order:
            raise SpecError(f"state '{state.name}' is never updated", state.location,
                            expected=f"an equation '{state.name} = ...' under [equations]")
        if state.previous not in used:
            raise SpecError(f"state '{state.name}' never reads its previous value '{state.previous}'", state.location,
                            expected="a state that recurs",
                            suggestion=f"a quantity that does not recur is an equation, not a state: remove [state.{state.name}]")


def _check_outputs(spec: Spec, order: dict[str, int]) -> None:
    for name in spec.outputs:
        if name not in order:
            raise SpecError(f"output '{name}' is not an equation", spec.where("", "outputs"),
                            expected="one of " + ", ".join(order), suggestion=did_you_mean(name, order))


def _check_unused(spec: Spec) -> None:
    used = {ref.id for eq in spec.equations for ref in names_in(eq.tree)}
    for param in spec.parameters.values():
        if param.name not in used:
            raise SpecError(f"unused parameter '{param.name}'", param.location,
                            expected="every declared parameter used in an equation",
                            suggestion="remove it from [parameters] or use it")
    for const in list(spec.constants.values()) + list(spec.matrices.values()):
        if const.name not in used:
            raise SpecError(f"unused constant '{const.name}'", const.location,
                            expected="every declared constant used in an equation", suggestion="remove it from [constants]")
    for name in spec.inputs:
        if name not in used:
            raise SpecError(f"the input '{name}' is never used", spec.where("input", name),
                            expected="an equation that reads the input")
    finals = set(spec.states) | set(spec.outputs)
    for eq in spec.equations:
        if eq.name not in used and eq.name not in finals:
            raise SpecError(f"equation '{eq.name}' is never used", eq.location,
                            expected="every equation feeding a state or an output",
                            suggestion="remove it, or list it in outputs")
