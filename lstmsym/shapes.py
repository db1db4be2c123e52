"""Shape inference: scalar, vector or matrix for every expression, with sizes found by unification."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count


class ShapeClash(Exception):
    """Two dimensions that must agree do not (raised internally, reported as SpecError by the caller)."""


class Dims:
    """Union-find over dimension variables; a variable may be bound to a size name."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, str] = {}
        self._ids = count()

    def fresh(self, size: str | None = None) -> int:
        var = next(self._ids)
        self.parent[var] = var
        if size is not None:
            self.size[var] = size
        return var

    def find(self, var: int) -> int:
        while self.parent[var] != var:
            self.parent[var] = self.parent[self.parent[var]]
            var = self.parent[var]
        return var

    def unify(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        sa, sb = self.size.get(ra), self.size.get(rb)
        if sa is not None and sb is not None and sa != sb:
            raise ShapeClash(f"{sa} vs {sb}")
        self.parent[rb] = ra
        if sa is None and sb is not None:
            self.size[ra] = sb

    def name(self, var: int) -> str | None:
        """The size a variable is bound to, or None while it is unknown."""
        return self.size.get(self.find(var))


@dataclass(frozen=True)
class Shape:
    """rank 0 scalar, 1 vector (dims[0]), 2 matrix (dims[0] x dims[1]); dims are Dims variables."""

    dims: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.dims)


SCALAR = Shape(())


def describe(shape: Shape, dims: Dims) -> str:
    """A shape in words for error messages: 'a scalar', 'a vector of size n', 'a matrix of shape n x m'."""
    names = [dims.name(d) or "(unknown)" for d in shape.dims]
    if shape.rank == 0:
        return "a scalar"
    if shape.rank == 1:
        return f"a vector of size {names[0]}"
    return f"a matrix of shape {names[0]} x {names[1]}"


def resolved(shape: Shape, dims: Dims) -> tuple[str, ...] | None:
    """The shape as size names, or None if some size is still unknown."""
    names = tuple(dims.name(d) for d in shape.dims)
    return None if any(n is None for n in names) else names  # type: ignore[return-value]


def broadcast(a: Shape, b: Shape, dims: Dims) -> Shape:
    """Shape of an elementwise operation of a and b (scalars broadcast; ranks must otherwise agree)."""
    if a.rank == 0:
        return b
    if b.rank == 0:
        return a
    if a.rank != b.rank:
        raise ShapeClash("rank")
    for da, db in zip(a.dims, b.dims):
        dims.unify(da, db)
    return a


def matvec(matrix: Shape, vector: Shape, dims: Dims) -> Shape:
    """Shape of matrix @ vector."""
    if matrix.rank != 2 or vector.rank != 1:
        raise ShapeClash("rank")
    dims.unify(matrix.dims[1], vector.dims[0])
    return Shape((matrix.dims[0],))


def transpose(matrix: Shape) -> Shape:
    if matrix.rank != 2:
        raise ShapeClash("rank")
    return Shape((matrix.dims[1], matrix.dims[0]))
