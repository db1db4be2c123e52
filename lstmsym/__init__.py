"""lstmsym: recurrent cells described once as data, with derived equations, gradients, counts and documents."""

from .base.version import __version__

__all__ = ["__version__"]
