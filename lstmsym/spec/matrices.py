"""The kinds of constant matrix a spec may declare in [constants], as one table: what each is, its entries, and
how each code backend builds it. A spec writes L = { matrix = "lower", shape = ["n", "n"] } and uses L on the
left of '@' (alone, transposed, or in a matrix expression with parameters); it is not a parameter (no gradient,
not counted) and is the same for every sequence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..base.errors import SpecError, did_you_mean
from .decls import MatrixConstDecl, SizeDecl


@dataclass(frozen=True)
class MatrixKind:
    name: str
    square: bool
    #: What it is, for the documents: {name} is the constant's name, {r} and {c} its sizes.
    words: str
    #: Each backend's expression for an r x c matrix of this kind (`dtype` is the module's dtype, or for PyTorch
    #: the dtype-and-device carrier its helpers take).
    code: Mapping[str, str]


_TORCH = "dtype=dtype.dtype, device=dtype.device"

MATRIX_KINDS: dict[str, MatrixKind] = {kind.name: kind for kind in (
    MatrixKind("identity", True, "the identity, 1 on the diagonal and 0 elsewhere",
               {"numpy": "np.eye(c, dtype=dtype)", "jax": "jnp.eye(c, dtype=dtype)", "torch": f"torch.eye(c, {_TORCH})"}),
    MatrixKind("lower", True, "ones on and below the diagonal, so ({name} v)_i = v_1 + ... + v_i",
               {"numpy": "np.tril(np.ones((r, c), dtype=dtype))", "jax": "jnp.tril(jnp.ones((r, c), dtype=dtype))",
                "torch": f"torch.tril(torch.ones(r, c, {_TORCH}))"}),
    MatrixKind("upper", True, "ones on and above the diagonal, so ({name} v)_i = v_i + ... + v_{r}",
               {"numpy": "np.triu(np.ones((r, c), dtype=dtype))", "jax": "jnp.triu(jnp.ones((r, c), dtype=dtype))",
                "torch": f"torch.triu(torch.ones(r, c, {_TORCH}))"}),
    MatrixKind("ones", False, "every entry 1, so each entry of {name} v is the sum of v",
               {"numpy": "np.ones((r, c), dtype=dtype)", "jax": "jnp.ones((r, c), dtype=dtype)", "torch": f"torch.ones(r, c, {_TORCH})"}),
    MatrixKind("repeat", False, "the repeat map, so {name} v repeats each entry of v {r}/{c} times ({c} divides {r})",
               {"numpy": "np.repeat(np.eye(c, dtype=dtype), r // c, axis=0)", "jax": "jnp.repeat(jnp.eye(c, dtype=dtype), r // c, axis=0)",
                "torch": f"torch.repeat_interleave(torch.eye(c, {_TORCH}), r // c, dim=0)"}),
)}


def entry(kind: str, i: int, j: int, rows: int, cols: int) -> int:
    """Entry (i, j) of a constant matrix of this kind and shape, 0-based: the definition the evaluators use and
    the tests hold the generated code to."""
    if kind == "identity":
        return int(i == j)
    if kind == "lower":
        return int(j <= i)
    if kind == "upper":
        return int(j >= i)
    if kind == "ones":
        return 1
    return int(i // (rows // cols) == j)


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
    if kind not in MATRIX_KINDS:
        raise fail("matrix", f"unknown kind of constant matrix {kind!r}", f"one of {', '.join(MATRIX_KINDS)}",
                   did_you_mean(str(kind), MATRIX_KINDS))
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
