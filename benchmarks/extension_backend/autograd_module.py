"""The cell as a standalone file for HIPS autograd (autograd.numpy): init, one pure step and a loop over a
sequence, differentiable with autograd.grad. autograd.numpy is a NumPy dialect, so the module reads the NumPy
column of every table (functions, operators along the units, constant matrices, initialisations): a backend of
this kind adds no column anywhere, only this class, its template, its row in render/exports.py and its test."""

from __future__ import annotations

from ..base.version import __version__
from ..derive.derived import Derived
from ..printing.numpy_code import pyname
from . import inits
from .functional import Functional
from .helpers import helper_rows
from .numpy_forward import NumpyForward
from .prune import keep_called
from .templating import environment


class AutogradModule:
    """Every line of the generated autograd file: the forward writer and the functional step, as the JAX module."""

    def __init__(self, derived: Derived) -> None:
        self.fw = NumpyForward(derived)
        self.functional = Functional(self.fw)

    def output(self) -> str:
        lead = f"{pyname(self.fw.cell.input)}.shape[:{-len(self.fw.cell.inputs[0].shape) if self.fw.cell.inputs[0].shape else 'None'}]"
        parts = [f"np.reshape({pyname(o)}, {lead} + (-1,))" for o in self.fw.cell.outputs]
        return parts[0] if len(parts) == 1 else f"np.concatenate([{', '.join(parts)}], axis=-1)"

    def render(self) -> str:
        cell = self.fw.cell
        env = environment("python")
        env.filters["pyname"] = pyname
        return env.get_template("autograd_module.py.j2").render(
            cell=cell, version=__version__, helpers=helper_rows("numpy"),
            parameters={p.name: (tuple(p.shape), p.blocks) for p in cell.parameters}, states=cell.states,
            side_inputs=[i.name for i in cell.side_inputs], hidden_size=inits.hidden_size(cell),
            constants={k: float(v) for k, v in cell.constants.items()},
            size_lines=self.functional.step_size_lines(), setup=self.functional.step_setup(),
            body=self.functional.step_body(), output=self.output(),
            init_helpers=inits.init_helpers(cell, "numpy"), init_lines=inits.init_lines(cell, lambda k: "rng"))


def export_autograd(derived: Derived) -> str:
    """Source of a standalone autograd file implementing the cell (imports autograd and NumPy)."""
    return keep_called(AutogradModule(derived).render())
