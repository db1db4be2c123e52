"""The forward pass written without in-place writes: per-step values kept in lists (for autograd in the
PyTorch module) or one step as a pure function (for JAX's lax.scan). Same graph, same names and the same
printer as the NumPy module; only the bookkeeping differs."""

from __future__ import annotations

from ..printing.numpy_code import pyname, sizename
from .numpy_forward import NumpyForward


class FunctionalForward(NumpyForward):
    """Forward lines for frameworks that differentiate the forward pass themselves."""

    def shape_code(self, shape: tuple[str, ...]) -> str:
        return "".join(", " + sizename(s) for s in shape)

    # -- autograd: lists over time ------------------------------------------------------------------------
    def autograd_setup(self) -> list[str]:
        lines = self.hoisted_lines()
        for state in self.cell.states:
            lines.append(f"{self.history(state.name)} = [_initial(state, {state.name!r}, (B{self.shape_code(state.shape)},), dtype)]")
        for name in self.cell.outputs:
            if name not in self.states and name not in self.plan.static:
                lines.append(f"Y_{self.short(name)} = []")
        # Per-step views by one unbind each: indexing [t] would make autograd scatter every step's gradient
        # into a zero tensor of the whole sequence (T^2 work in the backward).
        arrays = sorted({value.removesuffix("[t]") for value in self.step_names().values()})
        lines += [f"{array}_steps = {array}.unbind(0)" for array in arrays]
        return lines

    def unbound_names(self) -> dict[str, str]:
        """Each input-only array's step t, read from its one unbind (autograd_setup)."""
        return {key: value.removesuffix("[t]") + "_steps[t]" for key, value in self.step_names().items()}

    def autograd_loop(self) -> list[str]:
        lines = [line for line in self.forward_loop(self.unbound_names()) if "[t + 1] = " not in line and not line.startswith("K_")]
        names = self.step_names()
        for name in self.cell.outputs:
            if name not in self.states and name not in self.plan.static:
                lines.append(f"Y_{self.short(name)}.append({pyname(name)})")
        for state in self.cell.states:
            lines.append(f"{self.history(state.name)}.append({names.get(state.name, pyname(state.name))})")
        return lines

    def autograd_result(self) -> dict[str, object]:
        arrays = []
        for name in self.cell.outputs:
            if name in self.states:
                array = f"_stack({self.history(name)}[1:])"
            elif name in self.plan.static:
                array = self.static_array(name)
            else:
                array = f"_stack(Y_{self.short(name)})"
            arrays.append(f"{array}.reshape(T, B, -1)")
        return {"ys": arrays[0] if len(arrays) == 1 else f"_cat([{', '.join(arrays)}], -1)",
                "state_T": {s.name: f"{self.history(s.name)}[T]" for s in self.cell.states}}

    # -- one step as a pure function -------------------------------------------------------------------------
    def step_size_lines(self) -> list[str]:
        """Sizes read off the step's arrays (counted from the last axis, so step() also runs on every step at
        once with a leading time axis) and the parameters."""
        lines, done = [], set()
        for item in self.cell.inputs:
            for axis, size in enumerate(item.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = {pyname(item.name)}.shape[{axis - len(item.shape)}]")
                    done.add(size)
        for p in self.cell.parameters:
            for axis, size in enumerate(p.shape):
                if size not in done and not p.blocks:
                    lines.append(f"{sizename(size)} = params[{p.name!r}].shape[{axis}]")
                    done.add(size)
        for s in self.cell.states:
            for axis, size in enumerate(s.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = state[{s.name!r}].shape[{axis - len(s.shape)}]")
                    done.add(size)
        return lines

    def step_setup(self) -> list[str]:
        """What a step reads that does not change over time: parameters, constants, matrices, stacks."""
        return self.setup_lines()

    def step_body(self) -> list[str]:
        """One step from `x` (and side inputs) and the previous states; nothing is hoisted out of it."""
        vectors = [v for v in self.plan.groups if v in self.inputs or v in self.cell.state_of_previous]
        return self.node_lines({}, lambda key: key not in self.plan.invariant and key not in self.plan.group_of_op, vectors)

    def step_outputs(self) -> list[str]:
        return [pyname(o) for o in self.cell.outputs]
