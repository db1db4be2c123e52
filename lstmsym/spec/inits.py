"""Parameter initialisations (`init = "orthogonal"`, `init = { chrono = 784 }`, ...), read from a spec's
[parameters] table: how the worked example, the gradient-survival profile and the exported modules draw a
parameter when its paper prescribes it. A parameter without `init` keeps the frameworks' default."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..base.errors import Location, SpecError, did_you_mean, one_of

#: Every initialisation: its form in a spec, and what the parameter gets.
INITS = {
    "default": ('"default"', "uniform in (-1/sqrt(hidden size), 1/sqrt(hidden size)), as torch.nn's recurrent layers"),
    "uniform": ("{ uniform = [low, high] }", "uniform in (low, high)"),
    "normal": ("{ normal = std } or { normal = std, fan_in = true }", "normal with mean 0 and deviation std (std / sqrt(fan-in))"),
    "constant": ("{ constant = c }", "c in every entry"),
    "orthogonal": ('"orthogonal"', "an orthogonal matrix (semi-orthogonal if not square; each block of a block matrix)"),
    "chrono": ("{ chrono = T_max }", "log(u), u uniform in (1, T_max - 1): Tallec & Ollivier's chrono initialisation"),
    "ring": ("{ ring = [r_min, r_max] }", "log(-log(r)), with r = |lambda| uniform over the ring r_min <= |lambda| <= r_max "
             "(the LRU's nu_log, read back as r = exp(-exp(nu_log)))"),
    "ring_phase": ("{ ring_phase = max }", "log(theta), theta uniform in (0, max) (the LRU's theta_log)"),
    "ring_norm": ('{ ring_norm = "nu_log" }', "log(sqrt(1 - r^2)) for the r drawn for that ring parameter (the LRU's gamma_log)"),
}
#: Initialisations written as a bare word; the others are tables with their numbers.
WORDS = ("default", "orthogonal")
EXPECTED = "one of " + ", ".join(f"init = {form}" for form, _ in INITS.values())


@dataclass(frozen=True)
class InitDecl:
    """One parameter's initialisation: its kind (a key of INITS) and its numbers (or the ring it reads)."""

    kind: str
    args: tuple[Any, ...]
    location: Location
    fan_in: bool = False

    @property
    def text(self) -> str:
        """As the documents print it: chrono(784), ring(0.9, 0.999), normal(0, 1 / sqrt(fan-in)), orthogonal."""
        shown = ", ".join(f"{a:g}" if isinstance(a, float) else str(a) for a in self.args)
        if self.kind == "normal":
            return f"normal(0, {shown}{' / sqrt(fan-in)' if self.fan_in else ''})"
        return self.kind + (f"({shown})" if self.args else "")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)


def _fail(message: str, where: Location, kind: str | None = None) -> SpecError:
    expected = f"init = {INITS[kind][0]}" if kind else EXPECTED
    return SpecError(message, where, expected=expected)


def read_init(value: Any, where: Location, name: str) -> InitDecl:
    """An InitDecl from the TOML value of a parameter's `init` key; every value it cannot use is a SpecError."""
    if isinstance(value, str):
        if value in WORDS:
            return InitDecl(value, (), where)
        hint = f"'{value}' needs numbers: init = {INITS[value][0]}" if value in INITS else did_you_mean(value, INITS)
        raise SpecError(f"unknown initialisation '{value}' of parameter '{name}'", where, expected=EXPECTED, suggestion=hint)
    if not isinstance(value, dict):
        raise _fail(f"the init of parameter '{name}' is {str(value)[:40]!r}", where)
    kinds = [key for key in value if key != "fan_in"]
    if len(kinds) != 1 or kinds[0] not in INITS or kinds[0] in WORDS:
        unknown = next((k for k in kinds if k not in INITS), None)
        hint = did_you_mean(unknown, INITS) if unknown else None
        raise SpecError(f"the init of parameter '{name}' has {', '.join(map(repr, kinds)) or 'no kind'}", where,
                        expected=EXPECTED, suggestion=hint)
    kind = kinds[0]
    if "fan_in" in value and (kind != "normal" or not isinstance(value["fan_in"], bool)):
        raise _fail(f"'fan_in' of parameter '{name}' only goes with normal, as true or false", where, "normal")
    return InitDecl(kind, _arguments(kind, value[kind], where, name), where, bool(value.get("fan_in", False)))


def _arguments(kind: str, value: Any, where: Location, name: str) -> tuple[Any, ...]:
    """The numbers of one initialisation, checked so that something can be drawn from them."""
    bad = f"no value can be drawn from init {kind} = {str(value)[:40]} of parameter '{name}'"
    if kind == "ring_norm":
        if not isinstance(value, str):
            raise _fail(bad, where, kind)
        return (value,)
    if kind in ("uniform", "ring"):
        low_ok = kind == "uniform" or (_pair(value) and 0 <= value[0])
        if not (_pair(value) and value[0] < value[1] and low_ok and (kind == "uniform" or value[1] <= 1)):
            raise _fail(bad + (" (0 <= r_min < r_max <= 1)" if kind == "ring" else " (low < high)"), where, kind)
        return (float(value[0]), float(value[1]))
    if not _number(value):
        raise _fail(bad, where, kind)
    limits = {"normal": 0.0, "ring_phase": 0.0, "chrono": 2.0}
    if kind in limits and not value > limits[kind]:
        raise _fail(bad + f" (it must exceed {limits[kind]:g})", where, kind)
    return (float(value),)
