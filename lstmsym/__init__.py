"""lstmsym: recurrent cells described once as data, with derived equations, gradients, counts and documents.

    >>> import lstmsym
    >>> lstm = lstmsym.cell("lstm")
    >>> lstm.count(convention="pytorch", m=10, n=20)
    2560
"""

from .api import Cell, cell
from .base.errors import LstmsymError, SpecError
from .base.version import __version__
from .spec.catalogue import builtin_names

__all__ = ["Cell", "LstmsymError", "SpecError", "builtin_names", "cell", "__version__"]
