"""The function table's NumPy helpers as a module of their own, for evaluators that need them as callables."""

from __future__ import annotations

from ..model.along import ALONG
from ..model.functions import FUNCTIONS
from ..spec.matrices import MATRIX_KINDS
from .templating import environment


def helper_rows(backend: str = "numpy") -> list[tuple[str, str, str]]:
    """(helper name, source in `backend` (numpy, torch or jax), parameter list) for each function of the table,
    each operator along the units (model.along) and each kind of constant matrix."""
    functions = [(info.helper, info.code[backend], info.parameters) for info in FUNCTIONS.values() if info.cls is not None]
    along = [(entry.helper, entry.code[backend], entry.parameters) for entry in ALONG.values() if backend in entry.code]
    return functions + along + [(matrix_helper(kind.name), kind.code[backend], kind.parameters) for kind in MATRIX_KINDS.values()]


def matrix_helper(kind: str) -> str:
    """The helper a generated module defines for a kind of constant matrix (spec.matrices)."""
    return f"_matrix_{kind}"


def numpy_helpers_source() -> str:
    """A module defining one NumPy function per row of the function table."""
    body = environment("python").get_template("function_helpers.py.j2").render(helpers=helper_rows())
    return '"""NumPy helpers generated from lstmsym\'s function table."""\n\nimport numpy as np\n' + body


def torch_helpers_source() -> str:
    """A module defining one PyTorch function per row of the function table."""
    body = environment("python").get_template("function_helpers.py.j2").render(helpers=helper_rows("torch"))
    return '"""PyTorch helpers generated from lstmsym\'s function table."""\n\nimport torch\n' + body
