"""Stage 2, the model: a checked spec turned into shapes, the function table and the symbolic graph (Cell)."""

from .cell import Cell, Input, Parameter, State
from .loading import cell_from_text, load_cell

__all__ = ["Cell", "Input", "Parameter", "State", "cell_from_text", "load_cell"]
