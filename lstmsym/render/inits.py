"""The parameter initialisation of the generated NumPy, PyTorch and JAX modules: one line per parameter calling
the helper of its spec's `init` (templates/init_helpers.py.j2), the frameworks' uniform where it has none.
Every backend gets the same lines; only the source of randomness differs."""

from __future__ import annotations

from typing import Callable

from ..model.cell import Cell, Parameter
from .templating import environment


def hidden_size(cell: Cell) -> str:
    """The size the default bound 1/sqrt(hidden size) reads: n, else the first state's first size."""
    if "n" in cell.sizes:
        return "n"
    return cell.states[0].shape[0] if cell.states[0].shape else next(iter(cell.sizes))


def kind_of(p: Parameter) -> str:
    """The helper a parameter is drawn with ('default' is the frameworks' uniform)."""
    return "uniform" if p.init is None or p.init.kind == "default" else p.init.kind


def kinds(cell: Cell) -> list[str]:
    """The helpers a module of this cell needs, sorted."""
    return sorted({kind_of(p) for p in cell.parameters})


def has_inits(cell: Cell) -> bool:
    """Whether any parameter has an initialisation of its own (else the frameworks' default throughout)."""
    return any(p.init is not None and p.init.kind != "default" for p in cell.parameters)


def fan_in(p: Parameter) -> str:
    """Code for a parameter's fan-in: its entries per output unit (1 for a vector or a scalar)."""
    dims = [f'sizes["{s}"]' for s in p.shape[1:]]
    if not dims:
        return "1"
    code = " * ".join(dims)
    return f'({code}) // sizes["{p.blocks}"]' if p.blocks else f"({code})"


def _arguments(p: Parameter) -> str:
    init = p.init
    if init is None or init.kind == "default":
        return "-bound, bound"
    if init.kind == "normal" and init.fan_in:
        return f"{init.args[0]!r} / {fan_in(p)} ** 0.5"
    return ", ".join(repr(a) for a in init.args)


def init_lines(cell: Cell, source: Callable[[int], str], target: str = "params") -> list[str]:
    """`target[name] = _init_kind(source, shape, dtype, numbers)` per parameter, in declaration order; `source(k)`
    is the code of the k-th parameter's randomness (a generator, a key)."""
    lines = []
    for index, p in enumerate(cell.parameters):
        if p.init is not None and p.init.kind == "ring_norm":
            lines.append(f'{target}["{p.name}"] = _init_ring_norm({target}["{p.init.args[0]}"], dtype)')
            continue
        arguments = _arguments(p)
        lines.append(f'{target}["{p.name}"] = _init_{kind_of(p)}({source(index)}, _shape("{p.name}", sizes), dtype'
                     + (f", {arguments})" if arguments else ")"))
    return lines


def init_helpers(cell: Cell, backend: str) -> str:
    """The helper functions this cell's module calls, in `backend` (numpy, torch or jax)."""
    return environment("python").get_template("init_helpers.py.j2").render(backend=backend, kinds=kinds(cell))


def init_sentence(cell: Cell) -> str:
    """What a module's docstring says of its initialisation."""
    default = "uniform in (-1/sqrt(hidden size), 1/sqrt(hidden size)), as torch.nn's recurrent layers."
    own = [f"{p.name}: {p.init.text}" for p in cell.parameters if p.init is not None and p.init.kind != "default"]
    if not own:
        return "every parameter " + default
    rest = "; the others " + default if len(own) < len(cell.parameters) else "."
    return "as the spec's init says (" + "; ".join(own) + ")" + rest
