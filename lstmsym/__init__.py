"""lstmsym: recurrent cells described once as data, with derived equations, gradients, counts and documents."""

from .cell import Cell
from .errors import LstmsymError, SpecError
from .registry import builtin_names, cell

__version__ = "0.1.0"
__all__ = ["Cell", "LstmsymError", "SpecError", "builtin_names", "cell", "__version__"]
