"""The cell as a PyTorch file with fused Triton kernels: the exported PyTorch module (same parameters, the
derived backward as the fallback) plus two generated kernels, a torch.autograd.Function around them and the
Fused<Cell> layer. Refuses, with FusedUnsupported, a cell the kernels cannot serve (triton_support)."""

from __future__ import annotations

import textwrap

from ..base.version import __version__
from ..derive.derived import Derived
from ..model.functions import FUNCTIONS
from .once import per_cell
from .templating import environment
from .torch_module import TorchModule
from .triton_kernels import KernelWriter
from .triton_support import MAX_UNITS, fused_shape


class TritonModule:
    """Every line of the generated Triton file: the PyTorch module's (whose forward writer and backward lines it
    shares) and the kernels'."""

    def __init__(self, derived: Derived) -> None:
        self.torch = TorchModule(derived)
        self.fw, self.backward = self.torch.fw, self.torch.backward
        self.fused = fused_shape(derived)
        self.kernels = KernelWriter(self.fw, self.fused)

    def kernel_sizes(self) -> list[str]:
        """The sizes the kernels take: every size the set-up reads off an input, a parameter or a state."""
        cell = self.fw.cell
        known = {s for i in cell.inputs for s in i.shape} | {s for s in cell.states for s in s.shape}
        for p in cell.parameters:
            known |= set(p.shape) | ({p.blocks} if p.blocks else set())
        return [s for s in cell.sizes if s in known]

    def render(self) -> str:
        cell = self.fw.cell
        torch_source = self.torch.render()
        body = torch_source.split('\n"""\n', 1)[1]
        terms = self.backward.param_terms()
        needed = self.backward.needed_adjoints(terms)
        forward_before, forward_loop, forward_args = self.kernels.forward_kernel()
        backward_before, backward_loop, backward_after, backward_args = self.kernels.backward_kernel(needed)
        fixed = {cell.input_size, self.torch.hidden_size()}
        return environment("python").get_template("triton_module.py.j2").render(
            cell=cell, version=__version__, torch_body=body.rstrip("\n") + "\n",
            class_name="".join(part.capitalize() for part in cell.name.split("_")),
            extra_sizes=[s for s in cell.sizes if s not in fixed and any(s in p.shape or s == p.blocks for p in cell.parameters)],
            helpers=[(info.name, info.code["triton"], info.parameters) for info in FUNCTIONS.values() if info.cls is not None],
            max_units=MAX_UNITS, units=self.fused.units, heads=self.fused.heads,
            heads_code=f"int(_size_{self.fused.heads})" if self.fused.heads else "1",
            sizes=self.kernel_sizes(),
            forward_before=forward_before, forward_loop=forward_loop, forward_args=forward_args.params,
            forward_names=wrapped([n for n, _ in forward_args.params], 26),
            forward_values=wrapped([v for _, v in forward_args.params], 12),
            backward_names=wrapped([n for n, _ in backward_args.params], 27),
            backward_values=wrapped([v for _, v in backward_args.params], 12),
            forward_arrays=forward_args.arrays, forward_setup=self.fw.forward_setup(), result=self.fw.forward_result(),
            backward_before=backward_before, backward_loop=backward_loop, backward_after=backward_after,
            backward_args=backward_args.params, backward_arrays=backward_args.arrays,
            backward_setup=self.backward.backward_setup(needed), backward_post=self.backward.backward_post(needed, terms),
            carries={s.name: f"d_carry_{self.fw.short(s.name)}" for s in cell.states},
        )


def wrapped(items: list[str], indent: int) -> str:
    """Items joined by commas (with a trailing one) in lines of at most 116 characters, continued at `indent`."""
    lines = textwrap.wrap(", ".join(items) + ",", 116 - indent, break_long_words=False, break_on_hyphens=False)
    return ("\n" + " " * indent).join(lines)


@per_cell
def export_triton(derived: Derived) -> str:
    """Source of a Python file with the cell's fused Triton kernels and layer (imports torch and triton)."""
    return TritonModule(derived).render()
