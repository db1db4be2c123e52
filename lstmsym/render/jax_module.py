"""The cell as a standalone JAX file: pure init/step/scan functions (lax.scan over the step), printed from the
same graph and with the same printer as the NumPy module, in JAX's vocabulary."""

from __future__ import annotations

from ..base.version import __version__
from ..derive.derived import Derived
from ..printing.numpy_code import pyname, sizename
from . import inits
from .functional import FunctionalForward
from .helpers import helper_rows
from .templating import environment


class JaxModule(FunctionalForward):
    """Every line of the generated JAX file."""

    def output(self) -> str:
        lead = f"{pyname(self.cell.input)}.shape[:{-len(self.cell.inputs[0].shape) if self.cell.inputs[0].shape else 'None'}]"
        parts = [f"{pyname(o)}.reshape({lead} + (-1,))" for o in self.cell.outputs]
        return parts[0] if len(parts) == 1 else f"jnp.concatenate([{', '.join(parts)}], axis=-1)"

    def render(self) -> str:
        cell = self.cell
        hidden = inits.hidden_size(cell)
        env = environment("python")
        env.filters["pyname"] = pyname
        return env.get_template("jax_module.py.j2").render(
            cell=cell, version=__version__, helpers=helper_rows("jax"), size_names=list(cell.sizes),
            parameters={p.name: (tuple(p.shape), p.blocks) for p in cell.parameters},
            state={s.name: tuple(s.shape) for s in cell.states}, states=cell.states,
            input_shape=tuple(cell.inputs[0].shape), side=bool(cell.side_inputs), side_inputs=[i.name for i in cell.side_inputs], outputs=tuple(cell.outputs),
            constants={k: float(v) for k, v in cell.constants.items()}, hidden_size=hidden,
            size_lines=self.step_size_lines(), setup=self.step_setup(), body=self.step_body(), output=self.output(),
            scan_rounds=self.scan_rounds(), block_scan=self.block_scan(), init_sentence=inits.init_sentence(cell),
            init_helpers=inits.init_helpers(cell, "jax"), init_lines=inits.init_lines(cell, lambda k: f"keys[{k}]"),
        )

    def scan_rounds(self) -> list[list[str | list[str]]]:
        """The states in the order their linear scans resolve them, a coupled group as a list of its states
        (empty: no parallel form)."""
        from ..derive.scan import LinearGroup, ScanForm

        form = ScanForm(self.derived)
        if not form.parallel:
            return []
        return [[list(r.states) if isinstance(r, LinearGroup) else r.state for r in form.resolved if r.order == k]
                for k in sorted({r.order for r in form.resolved})]

    def block_scan(self) -> bool:
        """Whether the parallel scan has a coupled group (the module then defines _block_scan)."""
        from ..derive.scan import ScanForm

        form = ScanForm(self.derived)
        return form.parallel and bool(form.groups)


def export_jax(derived: Derived) -> str:
    """Source of a standalone JAX file implementing the cell (imports only jax)."""
    return JaxModule(derived).render()
