"""The code targets of `export`, in one table: target name -> the function that writes the module."""

from __future__ import annotations

from typing import Callable

from ..derive.derived import Derived
from .numpy_module import export_numpy

TARGETS: dict[str, Callable[[Derived], str]] = {"numpy": export_numpy}
