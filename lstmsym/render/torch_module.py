"""The cell as a standalone PyTorch file: the same generated forward and derived backward as the NumPy
module (printed with PyTorch's vocabulary), a list-based forward for autograd, a torch.autograd.Function
for the derived backward, and nn.Module wrappers that follow nn.LSTM's conventions and parameter names."""

from __future__ import annotations

from .prune import keep_called
from ..base.version import __version__
from ..derive.derived import Derived
from ..derive.frameworks import LAYOUTS, block_shape, mapping
from . import inits
from .backward_lines import BackwardLines
from .functional import Functional
from .helpers import helper_rows
from .numpy_forward import NumpyForward
from .once import per_cell
from .templating import environment

#: torch.nn's recurrent classes and the torch._VF function that runs each (oneDNN on the CPU, cuDNN on the GPU).
FUSED_KERNELS = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn_{nonlinearity}"}
#: The options of a [pytorch] table the fused kernels take, with their values.
FUSED_OPTIONS = {"nonlinearity": ("tanh", "relu")}


def fused_kernel(cell) -> tuple[str, str]:
    """(torch._VF function, "") where the cell's verified [pytorch] mapping makes it torch.nn's fused cell, else
    ("", the one-line reason kernel="torch" is refused)."""
    result = mapping(cell, "pytorch")
    if result is None:
        return "", (f"{cell.name} has no [pytorch] mapping to torch.nn.LSTM, GRU or RNN, so torch has no fused kernel "
                    f"for it; use kernel=\"derived\" or \"auto\"")
    if result.cls not in FUSED_KERNELS:
        return "", f"{cell.name} maps to torch.nn.{result.cls}, which has no fused kernel (only {', '.join(FUSED_KERNELS)})"
    options = {"nonlinearity": "tanh", **result.options}
    for key, value in sorted(result.options.items()):
        if value not in FUSED_OPTIONS.get(key, ()):
            return "", f"{cell.name}'s [pytorch] option {key}={value!r} is not one torch's fused kernel takes"
    return FUSED_KERNELS[result.cls].format(**options), ""


class TorchModule:
    """Every line of the generated PyTorch file."""

    def __init__(self, derived: Derived) -> None:
        self.fw = NumpyForward(derived)
        self.functional = Functional(self.fw)
        self.backward = BackwardLines(self.fw, "_kind_of(xs)")

    def layout(self) -> list[tuple[str, list[tuple[str, str]], str]]:
        """torch.nn's tensors of the cell, when its spec has a [pytorch] table."""
        result = mapping(self.fw.cell, "pytorch")
        if result is None:
            return []
        out = []
        for tensor in result.tensors:
            blocks = [(name, block_shape(self.fw.cell, result, tensor, 0, k)[0]) for k, name in enumerate(tensor.rows[0])]
            out.append((tensor.name, blocks, LAYOUTS["pytorch"]["partner"].get(tensor.name, "")))
        return out

    def hidden_size(self) -> str:
        return inits.hidden_size(self.fw.cell)

    def render(self) -> str:
        cell = self.fw.cell
        terms = self.backward.param_terms()
        needed = self.backward.needed_adjoints(terms)
        loop = self.backward.backward_loop(needed)
        layout = self.layout()
        proj = next((blocks[0][1] for name, blocks, _ in layout if name == "weight_hr"), None)
        fixed = {cell.input_size, self.hidden_size()} | ({proj} if proj else set())
        result = mapping(cell, "pytorch")
        fused, no_fused = fused_kernel(cell)
        extra = [s for s in cell.sizes if s not in fixed and cell.spec.sizes[s].value is None
                 and any(s in p.shape or s == p.blocks for p in cell.parameters)]
        return environment("python").get_template("torch_module.py.j2").render(
            cell=cell, version=__version__, helpers=helper_rows("torch"),
            class_name="".join(part.capitalize() for part in cell.name.split("_")),
            parameters={p.name: (tuple(p.shape), p.blocks) for p in cell.parameters},
            param_names=[p.name for p in cell.parameters],
            inputs={i.name: tuple(i.shape) for i in cell.inputs}, side=bool(cell.side_inputs),
            state={s.name: tuple(s.shape) for s in cell.states}, state_names=", ".join(s.name for s in cell.states),
            carries={s.name: f"d_carry_{self.fw.short(s.name)}" for s in cell.states},
            constants={k: float(v) for k, v in cell.constants.items()}, outputs=tuple(cell.outputs),
            output_shapes={o: tuple(cell.shapes[o]) for o in cell.outputs},
            input_size=cell.input_size, hidden_size=self.hidden_size(), output_size="",
            fixed_sizes=cell.size_rules.fixed, extra_sizes=extra, extra_roles={s: cell.sizes[s] for s in extra + ([proj] if proj else [])},
            layout=layout, torch_class=result.cls if result else "", proj=proj, fused=fused, no_fused=no_fused, no_fused_code=repr(no_fused),
            forward_setup=self.fw.forward_setup(), forward_loop=self.fw.forward_loop(), result=self.fw.forward_result(),
            scan_phases=self.fw.scan_phases(), vector_body=self.fw.vector_body(), block_scan=self.fw.block_scan(),
            state_histories=[self.fw.history(s.name) for s in cell.states],
            backward_setup=self.backward.backward_setup(needed), backward_loop=loop, backward_post=self.backward.backward_post(needed, terms),
            autograd_setup=self.functional.autograd_setup(), autograd_loop=self.functional.autograd_loop(), autograd_result=self.functional.autograd_result(),
            cached=self.fw.plan.cached, has_inits=inits.has_inits(cell), init_sentence=inits.init_sentence(cell),
            init_helpers=inits.init_helpers(cell, "torch"), init_lines=inits.init_lines(cell, lambda k: "generator"),
        )


@per_cell
def export_torch(derived: Derived) -> str:
    """Source of a standalone PyTorch file implementing the cell (imports only torch)."""
    return keep_called(TorchModule(derived).render())
