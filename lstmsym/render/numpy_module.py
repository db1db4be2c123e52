"""The standalone NumPy module of a cell, assembled from three parts: the forward writer (names, set-up, the
forward loop), the functional step (traced by step()) and the backward lines (BPTT statement by statement). Only
NumPy is needed to run it."""

from __future__ import annotations

from .prune import keep_called
from ..base.version import __version__
from ..derive.derived import Derived
from . import inits
from .once import per_cell
from .backward_lines import BackwardLines
from .helpers import helper_rows
from .functional import Functional
from .numpy_forward import NumpyForward
from .templating import environment


class NumpyModule:
    """Every line of the generated module, from a cell's Derived facts."""

    def __init__(self, derived: Derived) -> None:
        self.fw = NumpyForward(derived)
        self.functional = Functional(self.fw)
        self.backward = BackwardLines(self.fw, "xs.dtype")

    def render(self) -> str:
        cell = self.fw.cell
        terms = self.backward.param_terms()
        needed = self.backward.needed_adjoints(terms)
        loop = self.backward.backward_loop(needed)
        template = environment("python").get_template("numpy_module.py.j2")
        helpers = helper_rows()
        return template.render(
            cell=cell, version=__version__, helpers=helpers,
            parameters={p.name: (tuple(p.shape), p.blocks) for p in cell.parameters},
            inputs={i.name: tuple(i.shape) for i in cell.inputs},
            state={s.name: tuple(s.shape) for s in cell.states},
            carries={s.name: f"d_carry_{self.fw.short(s.name)}" for s in cell.states},
            constants={k: float(v) for k, v in cell.constants.items()},
            outputs=tuple(cell.outputs),
            forward_setup=self.fw.forward_setup(), forward_loop=self.fw.forward_loop(), result=self.fw.forward_result(),
            scan_phases=self.fw.scan_phases(), vector_body=self.fw.vector_body(), block_scan=self.fw.block_scan(),
            state_histories=[self.fw.history(s.name) for s in self.fw.cell.states],
            backward_setup=self.backward.backward_setup(needed), backward_loop=loop, backward_post=self.backward.backward_post(needed, terms),
            cached=self.fw.plan.cached,
            trace_sizes=self.functional.step_size_lines(), trace_setup=self.functional.step_setup(), trace_body=self.functional.step_body(),
            side_inputs=[i.name for i in cell.side_inputs], states=cell.states,
            traced=[name for name, _ in cell.equations],
            hidden_size=inits.hidden_size(cell), init_helpers=inits.init_helpers(cell, "numpy"),
            init_lines=inits.init_lines(cell, lambda k: "rng"), init_sentence=inits.init_sentence(cell),
        )



@per_cell
def export_numpy(derived: Derived) -> str:
    """Source of a standalone module implementing the cell (imports only numpy)."""
    return keep_called(NumpyModule(derived).render())
