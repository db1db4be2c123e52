"""Checks of the parameters' initialisations that need their inferred shapes: an orthogonal matrix must be a
matrix, a ring a vector, and a ring's normalisation must read a ring drawn before it, of the same shape."""

from __future__ import annotations

from ..base.errors import SpecError, one_of
from ..spec.decls import Spec
from .ir import Shape

#: The rank each initialisation needs (absent: any rank).
RANKS = {"orthogonal": (2, "a matrix"), "ring": (1, "a vector"), "ring_phase": (1, "a vector"), "ring_norm": (1, "a vector")}


def check_inits(spec: Spec, shapes: dict[str, Shape]) -> None:
    """A SpecError at the first `init` that cannot apply to its parameter."""
    seen: list[str] = []
    for decl in spec.parameters.values():
        init = decl.init
        if init is not None:
            rank, what = RANKS.get(init.kind, (None, ""))
            if rank is not None and len(shapes[decl.name]) != rank:
                raise SpecError(f"init {init.kind} of parameter '{decl.name}' needs {what}, and '{decl.name}' has shape "
                                f"{list(shapes[decl.name]) or 'scalar'}", init.location,
                                expected=f"{init.kind} only on {what}")
            if init.kind == "ring_norm":
                _check_ring_reference(spec, shapes, decl.name, seen)
        seen.append(decl.name)


def _check_ring_reference(spec: Spec, shapes: dict[str, Shape], name: str, seen: list[str]) -> None:
    init = spec.parameters[name].init
    ring = init.args[0]
    rings = [p for p in seen if spec.parameters[p].init is not None and spec.parameters[p].init.kind == "ring"]
    if ring not in rings or shapes[ring] != shapes[name]:
        raise SpecError(f"init ring_norm of parameter '{name}' reads '{ring}', which is not a ring parameter declared "
                        f"before it with the same shape", init.location,
                        expected=one_of(rings) if rings else "a parameter with init = { ring = [r_min, r_max] } above it")
