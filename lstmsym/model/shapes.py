"""Shapes by unification: every dimension is a variable, bound to a size name where the spec fixes it.
Each binding remembers where it was made, so a clash can name the first use as well as the second."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from ..base.errors import Location


class ShapeClash(Exception):
    """Two dimensions that must agree do not (raised internally, reported as SpecError by the caller)."""

    def __init__(self, first: str = "", second: str = "", where: Location | None = None) -> None:
        self.first, self.second, self.where = first, second, where
        super().__init__(f"{first} vs {second}")


class Dims:
    """Union-find over dimension variables; a variable may be bound to a size name (and where that happened)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.size: dict[int, str] = {}
        self.bound_at: dict[int, Location | None] = {}
        self._ids = count()

    def fresh(self, size: str | None = None, where: Location | None = None) -> int:
        var = next(self._ids)
        self.parent[var] = var
        if size is not None:
            self.size[var] = size
            self.bound_at[var] = where
        return var

    def find(self, var: int) -> int:
        while self.parent[var] != var:
            self.parent[var] = self.parent[self.parent[var]]
            var = self.parent[var]
        return var

    def unify(self, a: int, b: int, where: Location | None = None) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        sa, sb = self.size.get(ra), self.size.get(rb)
        if sa is not None and sb is not None and sa != sb:
            raise ShapeClash(sa, sb, self.bound_at.get(ra) or self.bound_at.get(rb))
        self.parent[rb] = ra
        if sa is None and sb is not None:
            self.size[ra] = sb
            self.bound_at[ra] = where or self.bound_at.get(rb)
        elif sa is None and sb is None:
            self.bound_at.setdefault(ra, where)

    def name(self, var: int) -> str | None:
        """The size a variable is bound to, or None while it is unknown."""
        return self.size.get(self.find(var))

    def origin(self, var: int) -> Location | None:
        return self.bound_at.get(self.find(var))


@dataclass(frozen=True)
class Shape:
    """rank 0 scalar, 1 vector, 2 matrix, 3 feature map (channels x height x width), 4 kernel."""

    dims: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.dims)


SCALAR = Shape(())
RANK_WORDS = {0: "a scalar", 1: "a vector", 2: "a matrix", 3: "a feature map", 4: "a kernel"}


def describe(shape: Shape, dims: Dims) -> str:
    """A shape in words: 'a scalar', 'a vector of size n', 'a matrix of shape n x m', 'a feature map of shape C x H x W'."""
    names = [dims.name(d) or "?" for d in shape.dims]
    if shape.rank == 0:
        return "a scalar"
    if shape.rank == 1:
        return f"a vector of size {names[0]}"
    return f"{RANK_WORDS[shape.rank]} of shape {' x '.join(names)}"


def resolved(shape: Shape, dims: Dims) -> tuple[str, ...] | None:
    """The shape as size names, or None if some size is still unknown."""
    names = tuple(dims.name(d) for d in shape.dims)
    return None if any(n is None for n in names) else names  # type: ignore[return-value]


def broadcast(a: Shape, b: Shape, dims: Dims, where: Location | None = None) -> Shape:
    """Shape of an elementwise operation: equal shapes, a scalar with anything, or a per-channel vector
    with a feature map (it applies to every position of its channel) or with a matrix (it applies along each
    row, as diag(v) M: the leading axis, like a feature map's channels)."""
    if a.rank == 0:
        return b
    if b.rank == 0:
        return a
    if a.rank == b.rank:
        for da, db in zip(a.dims, b.dims):
            dims.unify(da, db, where)
        return a
    small, big = (a, b) if a.rank < b.rank else (b, a)
    if small.rank == 1 and big.rank in (2, 3):
        dims.unify(small.dims[0], big.dims[0], where)
        return big
    raise ShapeClash("rank")


def matvec(matrix: Shape, vector: Shape, dims: Dims, where: Location | None = None) -> Shape:
    """Shape of matrix @ vector."""
    if matrix.rank != 2 or vector.rank != 1:
        raise ShapeClash("rank")
    dims.unify(matrix.dims[1], vector.dims[0], where)
    return Shape((matrix.dims[0],))


def transpose(matrix: Shape) -> Shape:
    if matrix.rank != 2:
        raise ShapeClash("rank")
    return Shape((matrix.dims[1], matrix.dims[0]))
