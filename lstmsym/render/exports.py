"""The code targets of `export`, in one table: target name -> the function that writes the module."""

from __future__ import annotations

from typing import Callable

from ..derive.derived import Derived
from .jax_module import export_jax
from .numpy_module import export_numpy
from .torch_module import export_torch
from .triton_module import export_triton

TARGETS: dict[str, Callable[[Derived], str]] = {"numpy": export_numpy, "torch": export_torch, "jax": export_jax,
                                               "triton": export_triton}
