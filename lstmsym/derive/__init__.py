"""Stage 3, derivation: backward statements, BPTT, the sequence plan, counts, framework layouts and cost."""

from .derived import Derived, derived

__all__ = ["Derived", "derived"]
