"""The forward pass written without in-place writes: per-step values kept in lists (for autograd in the
PyTorch module) or one step as a pure function (for JAX's lax.scan). Same graph, same names and the same
printer as the NumPy module; only the bookkeeping differs."""

from __future__ import annotations

from ..printing.numpy_code import pyname, sizename
from .numpy_forward import NumpyForward


class Functional:
    """Forward lines for frameworks that differentiate the forward pass themselves, written with the forward
    writer's names and printer (a part the PyTorch and JAX modules hold, not a base class)."""

    def __init__(self, forward: NumpyForward) -> None:
        self.fw = forward

    def shape_code(self, shape: tuple[str, ...]) -> str:
        return "".join(", " + sizename(s) for s in shape)

    # -- autograd: lists over time ------------------------------------------------------------------------
    def autograd_setup(self) -> list[str]:
        lines = self.fw.hoisted_lines()
        for state in self.fw.cell.states:
            lines.append(f"{self.fw.history(state.name)} = [_initial(state, {state.name!r}, (B{self.shape_code(state.shape)},), dtype)]")
        for name in self.fw.cell.outputs:
            if name not in self.fw.states and name not in self.fw.plan.static:
                lines.append(f"Y_{self.fw.short(name)} = []")
        # Per-step views by one unbind each: indexing [t] would make autograd scatter every step's gradient
        # into a zero tensor of the whole sequence (T^2 work in the backward).
        arrays = sorted({value.removesuffix("[t]") for value in self.fw.step_names().values()})
        lines += [f"{array}_steps = {array}.unbind(0)" for array in arrays]
        return lines

    def unbound_names(self) -> dict[str, str]:
        """Each input-only array's step t, read from its one unbind (autograd_setup)."""
        return {key: value.removesuffix("[t]") + "_steps[t]" for key, value in self.fw.step_names().items()}

    def autograd_loop(self) -> list[str]:
        lines = [line for line in self.fw.forward_loop(self.unbound_names()) if "[t + 1] = " not in line and not line.startswith("K_")]
        names = self.fw.step_names()
        for name in self.fw.cell.outputs:
            if name not in self.fw.states and name not in self.fw.plan.static:
                lines.append(f"Y_{self.fw.short(name)}.append({pyname(name)})")
        for state in self.fw.cell.states:
            lines.append(f"{self.fw.history(state.name)}.append({names.get(state.name, pyname(state.name))})")
        return lines

    def autograd_result(self) -> dict[str, object]:
        arrays = []
        for name in self.fw.cell.outputs:
            if name in self.fw.states:
                array = f"_stack({self.fw.history(name)}[1:])"
            elif name in self.fw.plan.static:
                array = self.fw.static_array(name)
            else:
                array = f"_stack(Y_{self.fw.short(name)})"
            arrays.append(f"{array}.reshape(T, B, -1)")
        return {"ys": arrays[0] if len(arrays) == 1 else f"_cat([{', '.join(arrays)}], -1)",
                "state_T": {s.name: f"{self.fw.history(s.name)}[T]" for s in self.fw.cell.states}}

    # -- one step as a pure function -------------------------------------------------------------------------
    def step_size_lines(self) -> list[str]:
        """Sizes read off the step's arrays (counted from the last axis, so step() also runs on every step at
        once with a leading time axis) and the parameters."""
        lines, done = [], set()
        for item in self.fw.cell.inputs:
            for axis, size in enumerate(item.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = {pyname(item.name)}.shape[{axis - len(item.shape)}]")
                    done.add(size)
        for p in self.fw.cell.parameters:
            for axis, size in enumerate(p.shape):
                if size not in done and not p.blocks:
                    lines.append(f"{sizename(size)} = params[{p.name!r}].shape[{axis}]")
                    done.add(size)
        for s in self.fw.cell.states:
            for axis, size in enumerate(s.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = state[{s.name!r}].shape[{axis - len(s.shape)}]")
                    done.add(size)
        return lines

    def step_setup(self) -> list[str]:
        """What a step reads that does not change over time: parameters, constants, matrices, stacks."""
        return self.fw.setup_lines()

    def step_body(self) -> list[str]:
        """One step from `x` (and side inputs) and the previous states; nothing is hoisted out of it."""
        vectors = [v for v in self.fw.plan.groups if v in self.fw.inputs or v in self.fw.cell.state_of_previous]
        return self.fw.node_lines({}, lambda key: key not in self.fw.plan.invariant and key not in self.fw.plan.group_of_op, vectors)

    def step_outputs(self) -> list[str]:
        return [pyname(o) for o in self.fw.cell.outputs]
