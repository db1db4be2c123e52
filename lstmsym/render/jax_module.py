"""The cell as a standalone JAX file: pure init/step/scan functions (lax.scan over the step), printed from the
same graph and with the same printer as the NumPy module, in JAX's vocabulary."""

from __future__ import annotations

import re

from .prune import keep_called
from ..base.version import __version__
from ..derive.derived import Derived
from ..printing.numpy_code import pyname, sizename
from . import inits
from .functional import Functional
from .numpy_forward import NumpyForward
from .helpers import helper_rows
from .once import per_cell
from .templating import environment


class JaxModule:
    """Every line of the generated JAX file."""

    def __init__(self, derived: Derived) -> None:
        self.fw = NumpyForward(derived)
        self.functional = Functional(self.fw)

    def output(self) -> str:
        lead = f"{pyname(self.fw.cell.input)}.shape[:{-len(self.fw.cell.inputs[0].shape) if self.fw.cell.inputs[0].shape else 'None'}]"
        parts = [f"{pyname(o)}.reshape({lead} + (-1,))" for o in self.fw.cell.outputs]
        return parts[0] if len(parts) == 1 else f"jnp.concatenate([{', '.join(parts)}], axis=-1)"

    def render(self) -> str:
        cell = self.fw.cell
        hidden = inits.hidden_size(cell)
        env = environment("python")
        env.filters["pyname"] = pyname
        return env.get_template("jax_module.py.j2").render(
            cell=cell, version=__version__, helpers=helper_rows("jax"), size_names=list(cell.sizes),
            parameters={p.name: (tuple(p.shape), p.blocks) for p in cell.parameters},
            state={s.name: tuple(s.shape) for s in cell.states}, states=cell.states,
            input_shape=tuple(cell.inputs[0].shape), side=bool(cell.side_inputs), side_inputs=[i.name for i in cell.side_inputs], outputs=tuple(cell.outputs),
            constants={k: float(v) for k, v in cell.constants.items()}, hidden_size=hidden,
            size_lines=self.functional.step_size_lines(), setup=self.functional.step_setup(), body=self.functional.step_body(), output=self.output(),
            scan_rounds=self.scan_rounds(), block_scan=self.fw.block_scan(), init_sentence=inits.init_sentence(cell),
            hoisted=self.fw.hoisted_lines(), **self.scan_loop(),
            init_helpers=inits.init_helpers(cell, "jax"), init_lines=inits.init_lines(cell, lambda k: f"keys[{k}]"),
        )

    def scan_loop(self) -> dict[str, object]:
        """lax.scan's body with what does not change over time left outside (hoisted_lines): the previous states
        from the carry, this step's slice of each input-only array it reads, and the recurrence."""
        names = {key: f"{self.fw.static_array(key)}_t" for key in self.fw.plan.static}  # this step's slice, from the scan
        lines = self.fw.node_lines(names, self.fw.looped, self.fw.previous_products())
        new_state = {s.name: names.get(s.name, pyname(s.name)) for s in self.fw.cell.states}
        looped = [o for o in self.fw.cell.outputs if o not in self.fw.plan.static]
        text = "\n".join(lines + list(new_state.values()) + [pyname(o) for o in looped])
        read = [key for key in self.fw.plan.static if re.search(rf"\b{re.escape(names[key])}\b", text)]
        # A stacked input projection goes through the scan whole, one slice per step, and is split in the body:
        # one slice (and, in the backward, one gradient slice) per step instead of one per block.
        sequences, steps, split = [], [], []
        for group in self.fw.plan.groups.values():
            keys = [op.key for op in group.ops]
            if group.vector in self.fw.plan.static and any(k in read for k in keys):
                sequences.append(f"_P_{group.key}_all")
                steps.append(f"_P_{group.key}_t")
                widths = ", ".join(sizename(op.shape[0]) for op in group.ops)
                parts = ", ".join(names[k] for k in keys)
                split.append(f"{parts} = _split(_P_{group.key}_t, ({widths}))" if len(keys) > 1 else f"{parts} = _P_{group.key}_t")
                read = [k for k in read if k not in keys]
        sequences += [self.fw.static_array(k) for k in read]
        steps += [names[k] for k in read]
        lines = split + lines
        parts = [f"{self.fw.static_array(o)}.reshape(T, B, -1)" if o in self.fw.plan.static
                 else f"outs[{looped.index(o)}].reshape(T, B, -1)" for o in self.fw.cell.outputs]
        return {"scan_sequences": _tuple(sequences), "scan_steps": _tuple(steps),
                "scan_body": lines, "scan_state": new_state, "scan_outs": _tuple([pyname(o) for o in looped]),
                "scan_ys": parts[0] if len(parts) == 1 else f"jnp.concatenate([{', '.join(parts)}], axis=-1)"}

    def scan_rounds(self) -> list[list[str | list[str]]]:
        """The states in the order their linear scans resolve them, a coupled group as a list of its states
        (empty: no parallel form)."""
        from ..derive.scan import LinearGroup, ScanForm

        form = ScanForm(self.fw.derived)
        if not form.parallel:
            return []
        return [[list(r.states) if isinstance(r, LinearGroup) else r.state for r in form.resolved if r.order == k]
                for k in sorted({r.order for r in form.resolved})]


def _tuple(names: list[str]) -> str:
    """A tuple literal: (a,) for one name, (a, b) for more, () for none."""
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


@per_cell
def export_jax(derived: Derived) -> str:
    """Source of a standalone JAX file implementing the cell (imports only jax)."""
    return keep_called(JaxModule(derived).render())
