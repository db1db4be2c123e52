"""Input domains: the values an input takes (`domain = "binary"` for a mask, `"positive"` for a time gap), read
from a spec's [input] table. Examples and checks draw inputs from them; a domain nothing can be drawn from is
a SpecError at its place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..base.errors import Location, SpecError, did_you_mean, one_of

#: The domain words, with what each means (the interval form [low, high] is not a word).
DOMAINS = {
    "real": "any real number",
    "positive": "a positive real number (a time, a gap, a duration)",
    "nonnegative": "a real number of at least 0",
    "binary": "0 or 1 (a mask)",
    "unit_interval": "a real number in [0, 1] (a fraction, a probability)",
    "count": "a nonnegative integer (0, 1, 2, ...)",
}
#: What an input without a `domain` is: the main input is real; side inputs were always drawn positive by
#: lstmsym (they are times, gaps and masks), so an undeclared side input stays positive.
MAIN_DEFAULT, SIDE_DEFAULT = "real", "positive"
EXPECTED = (one_of(DOMAINS) + ", or an interval [low, high] with low < high, both finite")


@dataclass(frozen=True)
class Domain:
    """A domain word from DOMAINS, or 'interval' with its bounds."""

    kind: str
    low: float | None = None
    high: float | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """The smallest interval holding the domain (the hull the checks sample from)."""
        fixed = {"real": (-math.inf, math.inf), "positive": (0.0, math.inf), "nonnegative": (0.0, math.inf),
                 "binary": (0.0, 1.0), "unit_interval": (0.0, 1.0), "count": (0.0, math.inf)}
        return fixed.get(self.kind, (self.low, self.high))  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """How documents name it: the word, or [low, high]."""
        return f"[{self.low:g}, {self.high:g}]" if self.kind == "interval" else self.kind


def read_domain(value: Any, where: Location, name: str) -> Domain:
    """A Domain from the TOML value of an input's `domain` key."""
    if isinstance(value, str):
        if value not in DOMAINS:
            raise SpecError(f"unknown domain '{value}' of input '{name}'", where, expected=EXPECTED,
                            suggestion=did_you_mean(value, DOMAINS))
        return Domain(value)
    numbers = isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    if not numbers:
        raise SpecError(f"the domain of input '{name}' is {str(value)[:40]!r}", where, expected=EXPECTED)
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise SpecError(f"no value can be drawn from the domain [{low:g}, {high:g}] of input '{name}'", where,
                        expected=EXPECTED)
    return Domain("interval", low, high)
