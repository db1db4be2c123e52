"""The kinds of constant matrix a spec may declare in [constants], as one table: what each is, its entries, and
how each code backend builds it. A spec writes L = { matrix = "lower", shape = ["n", "n"] } and uses L on the
left of '@' (alone, transposed, or in a matrix expression with parameters); it is not a parameter (no gradient,
not counted) and is the same for every sequence. A given small table is written as its rows,
P = { matrix = [[0, -1], [1, 0]], shape = ["d", "d"] }, over sizes fixed at its dimensions (d = { value = 2 })."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping

from ..base.errors import SpecError, did_you_mean
from .decls import MatrixConstDecl, SizeDecl, exact

Table = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class MatrixKind:
    name: str
    square: bool
    #: What it is, for the documents: {name} is the constant's name, {r} and {c} its sizes.
    words: str
    #: Each backend's expression for an r x c matrix of this kind (`dtype` is the module's dtype, or for PyTorch
    #: the dtype-and-device carrier its helpers take).
    code: Mapping[str, str]
    #: Entry (i, j) of an r x c matrix of this kind, 0-based (a table's from its rows): the definition the
    #: evaluators use and the tests hold the generated code to.
    entry: Callable[[int, int, int, int, Table], int | Fraction]
    #: The generated helper's parameters: the two sizes, or a given table's rows.
    parameters: str = "r, c, dtype"


_TORCH = "dtype=dtype.dtype, device=dtype.device"

MATRIX_KINDS: dict[str, MatrixKind] = {kind.name: kind for kind in (
    MatrixKind("identity", True, "the identity, 1 on the diagonal and 0 elsewhere",
               {"numpy": "np.eye(c, dtype=dtype)", "jax": "jnp.eye(c, dtype=dtype)", "torch": f"torch.eye(c, {_TORCH})"},
               lambda i, j, r, c, t: int(i == j)),
    MatrixKind("lower", True, "ones on and below the diagonal, so ({name} v)_i = v_1 + ... + v_i",
               {"numpy": "np.tril(np.ones((r, c), dtype=dtype))", "jax": "jnp.tril(jnp.ones((r, c), dtype=dtype))",
                "torch": f"torch.tril(torch.ones(r, c, {_TORCH}))"}, lambda i, j, r, c, t: int(j <= i)),
    MatrixKind("upper", True, "ones on and above the diagonal, so ({name} v)_i = v_i + ... + v_{r}",
               {"numpy": "np.triu(np.ones((r, c), dtype=dtype))", "jax": "jnp.triu(jnp.ones((r, c), dtype=dtype))",
                "torch": f"torch.triu(torch.ones(r, c, {_TORCH}))"}, lambda i, j, r, c, t: int(j >= i)),
    MatrixKind("ones", False, "every entry 1, so each entry of {name} v is the sum of v",
               {"numpy": "np.ones((r, c), dtype=dtype)", "jax": "jnp.ones((r, c), dtype=dtype)", "torch": f"torch.ones(r, c, {_TORCH})"},
               lambda i, j, r, c, t: 1),
    MatrixKind("repeat", False, "the repeat map, so {name} v repeats each entry of v {r}/{c} times ({c} divides {r})",
               {"numpy": "np.repeat(np.eye(c, dtype=dtype), r // c, axis=0)", "jax": "jnp.repeat(jnp.eye(c, dtype=dtype), r // c, axis=0)",
                "torch": f"torch.repeat_interleave(torch.eye(c, {_TORCH}), r // c, dim=0)"},
               lambda i, j, r, c, t: int(i // (r // c) == j)),
    MatrixKind("table", False, "the given table with rows {rows}",
               {"numpy": "np.array(rows, dtype=dtype)", "jax": "jnp.array(rows, dtype=dtype)",
                "torch": f"torch.tensor(rows, {_TORCH})"}, lambda i, j, r, c, t: t[i][j], "rows, dtype"),
)}

#: The kinds a spec names (matrix = "lower"); a table is written as its rows instead.
NAMED_KINDS = tuple(kind for kind in MATRIX_KINDS if kind != "table")
#: Entries a given table may hold: numbers of this magnitude (as a constant's).
TABLE_LIMIT = 10**9


def entry(kind: str, i: int, j: int, rows: int, cols: int, table: Table = ()) -> int | Fraction:
    """Entry (i, j) of a constant matrix of this kind and shape, 0-based (MatrixKind.entry)."""
    return MATRIX_KINDS[kind].entry(i, j, rows, cols, table)


def table_text(table: Table) -> str:
    """A table's rows as the documents print them: (0, -1), (1, 0)."""
    return ", ".join("(" + ", ".join(number_text(v) for v in row) + ")" for row in table)


def table_code(table: Table) -> str:
    """A table's rows as a Python literal for the generated helper (floats, or exact ratios of integers)."""
    return "[" + ", ".join("[" + ", ".join(number_code(v) for v in row) + "]" for row in table) + "]"


def number_text(value: Fraction) -> str:
    """An entry as the spec wrote it: 2, 0.8 (a float reads back to itself), else the exact ratio 1/3."""
    if value.denominator == 1:
        return str(value.numerator)
    return repr(float(value)) if Fraction(repr(float(value))) == value else str(value)


def number_code(value: Fraction) -> str:
    text = number_text(value)
    return f"{text}.0" if value.denominator == 1 else text.replace("/", " / ")


def is_matrix_decl(decl: Any) -> bool:
    """Whether an entry of [constants] declares a constant matrix ({ matrix = ... }) rather than a number."""
    return isinstance(decl, dict) and "matrix" in decl


def read_matrix(reader: Any, name: str, decl: dict, sizes: dict[str, SizeDecl]) -> MatrixConstDecl:
    """One { matrix = "lower", shape = ["n", "n"], role = "..." } of [constants], checked; an error points at the key."""
    reader.identifier("constants", name, name, "constant")

    def fail(key: str, message: str, expected: str, suggestion: str | None = None) -> SpecError:
        return SpecError(message, reader.where_in("constants", name, key), expected=expected, suggestion=suggestion)

    unknown = sorted(set(decl) - {"matrix", "shape", "role"})
    if unknown:
        raise fail(unknown[0], f"unknown key '{unknown[0]}' in constant matrix '{name}'", "matrix, shape and role")
    kind = decl["matrix"]
    if isinstance(kind, list):
        return read_table(reader, name, decl, sizes, fail)
    if kind == "table" or not isinstance(kind, str):
        raise fail("matrix", f"constant matrix '{name}' is {kind!r}",
                   f"a kind ({', '.join(NAMED_KINDS)}) or a table's rows, matrix = [[1, 0], [0, 1]]")
    if kind not in MATRIX_KINDS:
        raise fail("matrix", f"unknown kind of constant matrix {kind!r}",
                   f"one of {', '.join(NAMED_KINDS)}, or a table's rows (matrix = [[1, 0], [0, 1]])",
                   did_you_mean(str(kind), NAMED_KINDS))
    if "shape" not in decl:
        raise fail("matrix", f"constant matrix '{name}' has no shape", 'shape = ["n", "n"]')
    shape = reader.shape(f"constants.{name}", "shape", decl["shape"], sizes, f"constant matrix '{name}'")
    if len(shape) != 2 or (MATRIX_KINDS[kind].square and shape[0] != shape[1]):
        square = "a square " if MATRIX_KINDS[kind].square else "a "
        raise fail("shape", f"a {kind} matrix of shape {list(shape)}", f'{square}matrix shape of two sizes, e.g. ["n", "n"]')
    if kind == "repeat" and shape[0] not in sizes[shape[1]].divides:
        raise fail("shape", f"a repeat matrix of shape {list(shape)}, but size '{shape[1]}' is not declared to divide '{shape[0]}'",
                   f'{shape[1]} = {{ role = "...", divides = "{shape[0]}" }} in [sizes]')
    role = reader.string(f"constants.{name}", "role", decl.get("role", ""))
    return MatrixConstDecl(name, kind, shape, role, reader.where("constants", name, at_key=True))


def read_table(reader: Any, name: str, decl: dict, sizes: dict[str, SizeDecl], fail: Any) -> MatrixConstDecl:
    """A given table, { matrix = [[0, -1], [1, 0]], shape = ["d", "d"] }: numbers in rows of equal length, over
    sizes whose fixed values are its dimensions."""
    rows = decl["matrix"]
    if not rows or not all(isinstance(row, list) and row and len(row) == len(rows[0]) for row in rows):
        raise fail("matrix", f"the table of '{name}' is not a list of rows of equal length", "matrix = [[0, -1], [1, 0]]")
    values = [v for row in rows for v in row]
    bad = next((v for v in values if isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > TABLE_LIMIT), None)
    if bad is not None:
        raise fail("matrix", f"the table of '{name}' holds {bad!r}", f"numbers of magnitude at most {TABLE_LIMIT:.0e}")
    if "shape" not in decl:
        raise fail("matrix", f"constant matrix '{name}' has no shape", f'shape = two sizes fixed at {len(rows)} and {len(rows[0])}')
    shape = reader.shape(f"constants.{name}", "shape", decl["shape"], sizes, f"constant matrix '{name}'")
    dims = (len(rows), len(rows[0]))
    if len(shape) != 2 or any(sizes[s].value != d for s, d in zip(shape, dims)):
        wanted = " and ".join(f'{s} = {{ role = "...", value = {d} }}' for s, d in zip(shape, dims)) if len(shape) == 2 else ""
        raise fail("shape", f"the table of '{name}' is {dims[0]} x {dims[1]}, and its shape {list(shape)} is not two sizes fixed at those values",
                   f"{wanted or 'two sizes'} in [sizes]")
    table = tuple(tuple(exact(v) for v in row) for row in rows)
    role = reader.string(f"constants.{name}", "role", decl.get("role", ""))
    return MatrixConstDecl(name, "table", shape, role, reader.where("constants", name, at_key=True), table)
