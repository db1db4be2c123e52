"""Size rules, read from the spec and never written per cell: which values a size may take (p < n, heads
dividing n, odd kernels no larger than the map), the sizes the symbolic check uses, and the reference sizes
the documents quote. Every command that takes sizes checks them here."""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy

from ..base.errors import SpecError, UsageError
from ..spec.decls import Spec

#: Reference values for sizes whose spec gives none: input and hidden sizes as in the benchmarks.
DEFAULT_REFERENCE = {"m": 128, "n": 256}
FALLBACK_REFERENCE = 64
DEFAULT_VERIFY = 2


def size_symbol(name: str) -> sympy.Symbol:
    """The one symbol a size is written with in every formula (positive integer)."""
    return sympy.Symbol(name, positive=True, integer=True)


SIZE_PREFIX = "size:"


def size_in_expr(name: str) -> sympy.Symbol:
    """A size inside a per-unit expression (mean() divides by it); keyed apart from quantities of that name."""
    return sympy.Symbol(SIZE_PREFIX + name, positive=True, integer=True)


def size_of_key(key: str) -> str | None:
    """'size:n' -> 'n'; None for other keys."""
    return key[len(SIZE_PREFIX):] if key.startswith(SIZE_PREFIX) else None


def at_sizes(expr: sympy.Expr, sizes: dict[str, int]) -> sympy.Expr:
    """A formula in the sizes with the given sizes substituted (a number once every size is given)."""
    return sympy.sympify(expr).subs({size_symbol(k): v for k, v in sizes.items()})


@dataclass(frozen=True)
class Rule:
    """One relation between sizes: kind 'less' (a < b), 'divides' (a divides b), 'within' (kernel a <= map b)."""

    kind: str
    a: str
    b: str

    def holds(self, sizes: dict[str, int]) -> bool:
        if self.a not in sizes or self.b not in sizes:
            return True
        a, b = sizes[self.a], sizes[self.b]
        return {"less": a < b, "divides": b % a == 0, "within": a <= b}[self.kind]

    def text(self) -> str:
        return {"less": f"{self.a} < {self.b}", "divides": f"{self.a} divides {self.b}",
                "within": f"{self.a} <= {self.b}"}[self.kind]


class SizeRules:
    """The rules of one cell's sizes."""

    def __init__(self, spec: Spec, rules: list[Rule], kernel_sizes: tuple[str, ...]) -> None:
        self.spec = spec
        self.rules = tuple(dict.fromkeys(rules))
        self.kernel_sizes = kernel_sizes

    @property
    def names(self) -> list[str]:
        return list(self.spec.sizes)

    @property
    def fixed(self) -> dict[str, int]:
        """Sizes the spec fixes (value = 2, the dimensions of a given table): no command needs them given."""
        return {name: decl.value for name, decl in self.spec.sizes.items() if decl.value is not None}

    def check(self, sizes: dict[str, int], where: str = "") -> None:
        """UsageError naming the first rule the sizes break (or an unknown or non-positive size)."""
        for name, value in sizes.items():
            if name not in self.spec.sizes:
                raise UsageError(f"cell '{self.spec.name}' has no size '{name}'; its sizes: {', '.join(self.spec.sizes)}")
            if value < 1:
                raise UsageError(f"size {name} must be positive, got {value}")
            fixed = self.spec.sizes[name].value
            if fixed is not None and value != fixed:
                raise UsageError(f"size {name} of cell '{self.spec.name}' is fixed at {fixed} (the spec's value), got {value}")
            if name in self.kernel_sizes and value % 2 == 0:
                raise UsageError(f"kernel size {name} = {value} is even; same padding needs an odd kernel size")
        for rule in self.rules:
            if not rule.holds(sizes):
                values = ", ".join(f"{k} = {sizes[k]}" for k in (rule.a, rule.b))
                raise UsageError(f"sizes {values}{where} break the rule {rule.text()} of cell '{self.spec.name}'")

    def verify_sizes(self) -> dict[str, int]:
        """The sizes of the symbolic check: each size's `verify` value, else the smallest that obeys every rule."""
        sizes = {name: decl.value or decl.verify or (3 if name in self.kernel_sizes else DEFAULT_VERIFY)
                 for name, decl in self.spec.sizes.items()}
        for _ in range(8):
            for rule in self.rules:
                if not rule.holds(sizes) and self.spec.sizes[rule.b].verify is None and self.spec.sizes[rule.b].value is None:
                    sizes[rule.b] = sizes[rule.a] + 1 if rule.kind == "less" else sizes[rule.a] * max(1, -(-sizes[rule.b] // sizes[rule.a]))
        self.check_declared(sizes, "verify")
        return sizes

    def reference_sizes(self) -> dict[str, int]:
        """The sizes the documents quote counts and costs at."""
        sizes = {name: decl.value or decl.reference or DEFAULT_REFERENCE.get(name, FALLBACK_REFERENCE if name not in self.kernel_sizes else 3)
                 for name, decl in self.spec.sizes.items()}
        self.check_declared(sizes, "reference")
        return sizes

    def check_declared(self, sizes: dict[str, int], key: str) -> None:
        try:
            self.check(sizes, f" (the spec's {key} sizes)")
        except UsageError as exc:
            raise SpecError(str(exc), self.spec.where("", "sizes"), expected=f"{key} values that obey the size rules") from None

    def sample(self, rng: random.Random, low: int = 1, high: int = 4) -> dict[str, int]:
        """Random small sizes that obey every rule (for the numeric checks)."""
        for _ in range(200):
            sizes = {name: decl.value or rng.randint(low, high) for name, decl in self.spec.sizes.items()}
            for name in self.kernel_sizes:
                sizes[name] = rng.choice([1, 3])
            try:
                self.check(sizes)
                return sizes
            except UsageError:
                continue
        return self.verify_sizes()

    def describe(self) -> list[str]:
        return [f"{name} = {value}" for name, value in self.fixed.items()] + [rule.text() for rule in self.rules]
