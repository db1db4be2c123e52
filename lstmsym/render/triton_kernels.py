"""The bodies of the two fused Triton kernels, written from the cell's graph and its derived BPTT statements. One
program holds a batch tile of one head for the whole sequence: the recurrent matrices are loaded once as tiles,
and every step's products (tl.dot) and elementwise statements run in registers. The forward writes what the
derived PyTorch backward's cache holds (state histories, kept activations); the backward runs the loop statements
backwards in time and writes what the after-loop statements read (stacked adjoints, kept adjoints), so the
parameter and input gradients are whole-sequence matrix products in PyTorch. Mixed into TritonModule."""

from __future__ import annotations

import sympy

from ..model.ir import Elementwise, Reduction
from ..model.sizes import size_of_key
from ..model.vector_ops import MatTVec, SumUnits
from .backward_lines import incoming_parts
from ..printing.triton_code import TritonContext, tile_name, triton_code
from ..spec.naming import adjoint_base, incoming_base


class KernelArgs:
    """A kernel's parameters, in order, with the expression the launch passes for each."""

    def __init__(self) -> None:
        self.params: list[tuple[str, str]] = []
        self.arrays: list[str] = []
        self.offsets: list[str] = []

    def offset(self, source: str, unit: str | None) -> str:
        """A variable holding the array's offsets of this program's tile within one step (computed once)."""
        name = f"o_{source}"
        line = f"{name} = rb[:, None] * s1_{source}" + (f" + col_{unit}[None, :]" if unit else "")
        if line not in self.offsets:
            self.offsets.append(line)
        return name

    def add(self, name: str, value: str) -> str:
        if name not in dict(self.params):
            self.params.append((name, value))
        return name

    def array(self, source: str) -> str:
        """A (T, B[, units]) array: its pointer and its first two strides (the launch makes its last stride 1)."""
        if source not in self.arrays:
            self.arrays.append(source)
        self.add(f"p_{source}", source)
        self.add(f"s0_{source}", f"{source}.stride(0)")
        self.add(f"s1_{source}", f"{source}.stride(1)")
        return source


class KernelWriter:
    """Lines of the forward and backward kernels, with the forward writer's naming (static_array, history...)."""

    def __init__(self, forward, fused) -> None:
        self.fw, self.fused = forward, fused

    def fused_context(self, matrix_tile) -> TritonContext:
        constants = {k: float(v) for k, v in self.fw.cell.constants.items()}
        return TritonContext(self.unit_of_expr, matrix_tile, constants)

    def unit_of(self, key: str) -> str | None:
        shape = self.fw.cell.shapes.get(key, ())
        return shape[0] if shape else None

    def unit_of_expr(self, expr: sympy.Expr) -> str | None:
        """The unit size of a vector expression (None for a per-sequence scalar)."""
        for symbol in sorted(expr.free_symbols, key=str):
            base = adjoint_base(symbol.name) or incoming_base(symbol.name) or symbol.name
            if self.fw.cell.is_parameter(base) and len(self.fw.cell.parameter(base).shape) > 1:
                continue
            unit = self.unit_of(base)
            if unit is not None:
                return unit
        return None

    # -- shared pieces ---------------------------------------------------------------------------------
    def prologue(self, args: KernelArgs) -> list[str]:
        lines = ["pid_b = tl.program_id(0)", "pid_h = tl.program_id(1)",
                 "rb = pid_b * BLOCK_B + tl.arange(0, BLOCK_B)", "mb = rb < B"]
        for s in self.fused.units:
            lines += [f"ru_{s} = tl.arange(0, NP_{s})", f"N_{s} = size_{s} // heads", f"mu_{s} = ru_{s} < N_{s}",
                      f"col_{s} = pid_h * N_{s} + ru_{s}", f"mask_{s} = mb[:, None] & mu_{s}[None, :]"]
        return lines

    def step_load(self, args: KernelArgs, source: str, key: str, step: str = "t") -> str:
        args.array(source)
        unit = self.unit_of(key)
        where = f"p_{source} + {step} * s0_{source} + {args.offset(source, unit)}"
        return f"tl.load({where}, mask={f'mask_{unit}' if unit else 'mb[:, None]'}, other=0.0)"

    def step_store(self, args: KernelArgs, source: str, key: str, value: str, step: str = "t", offset: str = "") -> str:
        args.array(source)
        unit = self.unit_of(key)
        where = f"p_{source} + {step} * s0_{source} + {offset}{args.offset(source, unit)}"
        return f"tl.store({where}, {value}, mask={f'mask_{unit}' if unit else 'mb[:, None]'})"

    def constant_load(self, args: KernelArgs, key: str) -> str:
        """A parameter or parameter-only quantity read elementwise: loaded once, before the loop."""
        name = args.add(f"p_{tile_name(key)}", f"{self.torch_name(key)}.contiguous()")
        unit = self.unit_of(key)
        if unit is None:
            return f"{tile_name(key)} = tl.load({name})"
        return f"{tile_name(key)} = tl.load({name} + col_{unit}, mask=mu_{unit}, other=0.0)[None, :]"

    def torch_name(self, key: str) -> str:
        from ..printing.numpy_code import pyname

        return pyname(key)

    def matrix_shape(self, matrix: str) -> tuple[str, str, str | None]:
        if self.fw.cell.is_parameter(matrix):
            p = self.fw.cell.parameter(matrix)
            return p.shape[0], p.shape[1], p.blocks
        node = self.fw.cell.node(matrix)
        return node.shape[0], node.shape[1], None

    def matrix_load(self, args: KernelArgs, matrix: str, transposed: bool) -> str:
        """The matrix tile of this program's head: M^T (units in x units out) for the forward, M for the backward."""
        rows, cols, blocks = self.matrix_shape(matrix)
        pointer = args.add(f"p_{tile_name(matrix)}", f"{self.torch_name(matrix)}.contiguous()")
        r, c = ("[None, :]", "[:, None]") if transposed else ("[:, None]", "[None, :]")
        if blocks:
            where = f"{pointer} + pid_h * (N_{rows} * N_{cols}) + ru_{rows}{r} * N_{cols} + ru_{cols}{c}"
        else:
            where = f"{pointer} + col_{rows}{r} * size_{cols} + col_{cols}{c}"
        mask = f"mu_{cols}[:, None] & mu_{rows}[None, :]" if transposed else f"mu_{rows}[:, None] & mu_{cols}[None, :]"
        name = ("mt_" if transposed else "m_") + tile_name(matrix)
        return f"{name} = tl.load({where}, mask={mask}, other=0.0)"

    def is_constant_key(self, key: str) -> bool:
        return self.fw.cell.is_parameter(key) or key in self.fw.plan.invariant

    # -- forward -------------------------------------------------------------------------------------------
    def fused_node_expr(self, node) -> sympy.Expr | None:
        if isinstance(node, Elementwise):
            return node.expr
        if isinstance(node, Reduction):
            expr = SumUnits(node.expr)
            if node.mean:
                expr = expr / sympy.Mul(*[sympy.Symbol(f"size:{s}") for s in node.over])
            return expr
        return None

    def forward_kernel(self) -> tuple[list[str], list[str], KernelArgs]:
        """(lines before the loop, the loop body, the kernel's parameters)."""
        args = KernelArgs()
        before = self.prologue(args)
        loop: list[str] = []
        ctx = self.fused_context(lambda m: "mt_" + tile_name(m))
        loaded: set[str] = set()
        for s in self.fw.cell.states:
            before.append(f"{tile_name(s.previous)} = " + self.step_load(args, self.fw.history(s.name), s.name, "0"))
        for key in self.fused.nodes:
            node = self.fw.cell.node(key)
            expr = self.fused_node_expr(node)
            reads = sorted(expr.free_symbols, key=str) if expr is not None else [sympy.Symbol(node.args[1])]
            for symbol in reads:
                name = symbol.name
                if name in loaded or size_of_key(name) is not None or name in self.fw.cell.constants:
                    continue
                if name in self.fw.plan.static:
                    loop.append(f"{tile_name(name)} = " + self.step_load(args, self.fw.static_array(name), name))
                elif self.is_constant_key(name):
                    before.append(self.constant_load(args, name))
                loaded.add(name)
            if expr is not None:
                loop.append(f"{tile_name(key)} = {triton_code(expr, ctx)}")
                continue
            matrix, vector = node.args
            if matrix not in loaded:
                before.append(self.matrix_load(args, matrix, True))
                loaded.add(matrix)
            masked = f"tl.where(mask_{self.unit_of(vector)}, {tile_name(vector)}, 0.0)"
            loop.append(f"{tile_name(key)} = tl.dot({masked}, mt_{tile_name(matrix)}, input_precision=PRECISION)")
        for s in self.fw.cell.states:
            if s.name in self.fw.plan.static and s.name not in loaded:
                loop.append(f"{tile_name(s.name)} = " + self.step_load(args, self.fw.static_array(s.name), s.name))
        for key in self.fw.plan.cached:
            if key not in self.fw.plan.static:
                loop.append(self.step_store(args, self.fw.stored(key), key, tile_name(key)))
        for s in self.fw.cell.states:
            loop.append(self.step_store(args, self.fw.history(s.name), s.name, tile_name(s.name), "(t + 1)"))
        for s in self.fw.cell.states:
            loop.append(f"{tile_name(s.previous)} = {tile_name(s.name)}")
        return self.with_offsets(before, args), loop, args

    def with_offsets(self, before: list[str], args: KernelArgs) -> list[str]:
        """The lines before the loop with the arrays' tile offsets after the index set-up."""
        head = len(self.prologue(KernelArgs()))
        return before[:head] + args.offsets + before[head:]

    # -- backward ------------------------------------------------------------------------------------------
    def carry_name(self, state: str) -> str:
        return f"dc_{tile_name(state)}"

    def incoming_expr(self, rec) -> str:
        parts = incoming_parts(self.fw, rec, lambda output: f"dy_{tile_name(output)}", self.carry_name)
        return " + ".join(parts) if parts else "0.0"

    def backward_reads(self, exprs: list[sympy.Expr]) -> list[str]:
        found = {s.name for e in exprs for s in e.free_symbols}
        return sorted(k for k in found if adjoint_base(k) is None and incoming_base(k) is None
                      and size_of_key(k) is None and k not in self.fw.cell.constants)

    def backward_kernel(self, needed: set[str]) -> tuple[list[str], list[str], list[str], KernelArgs]:
        """(lines before the loop, the loop body, lines after it, the kernel's parameters)."""
        args = KernelArgs()
        before = self.prologue(args)
        ctx = self.fused_context(lambda m: "m_" + tile_name(m))
        groups = [g for g in self.fw.plan.emission_order if g.key not in self.fw.plan.shared_args]
        exprs = [rec.expr for rec in self.fw.derived.bptt.recurrences] + [st.expr for st in self.fw.plan.in_loop]
        exprs += [arg for g in groups for arg in self.fw.plan.group_args(g)]
        matrices = sorted({m.args[0].name for e in exprs for m in e.atoms(MatTVec)})
        before += [self.matrix_load(args, m, False) for m in matrices]
        loop = []
        previous = {s.previous: s.name for s in self.fw.cell.states}
        for key in self.backward_reads(exprs):
            if key in matrices:
                continue
            if self.is_constant_key(key):
                before.append(self.constant_load(args, key))
            elif key in previous:
                loop.append(f"{tile_name(key)} = " + self.step_load(args, self.fw.history(previous[key]), previous[key]))
            elif key in self.fw.states:
                loop.append(f"{tile_name(key)} = " + self.step_load(args, self.fw.history(key), key, "(t + 1)"))
            elif key in self.fw.inputs:
                loop.append(f"{tile_name(key)} = " + self.step_load(args, self.fw.static_array(key), key))
            elif key in self.fw.plan.cached:
                loop.append(f"{tile_name(key)} = " + self.step_load(args, self.fw.sequence_array(key), key))
            else:
                raise ValueError(f"the backward kernel reads {key}, which the forward does not keep")
        for s in self.fw.cell.states:
            carry = self.carry_name(s.name)
            before.append(f"{carry} = tl.load(p_{carry} + rb[:, None] * s0_{carry} + col_{s.shape[0]}[None, :], "
                          f"mask=mask_{s.shape[0]}, other=0.0)")
            args.add(f"p_{carry}", f"d_carry_{self.fw.short(s.name)}")
            args.add(f"s0_{carry}", f"d_carry_{self.fw.short(s.name)}.stride(0)")
        for out in self.fw.cell.outputs:
            loop.append(f"dy_{tile_name(out)} = " + self.step_load(args, f"dY_{self.fw.short(out)}", out))
        for rec in self.fw.derived.bptt.recurrences:
            loop.append(f"{tile_name(rec.incoming)} = {self.incoming_expr(rec)}")
            if rec.incoming in needed:
                loop.append(self.step_store(args, f"D_{self.fw.short(rec.incoming)}", rec.name, tile_name(rec.incoming)))
        for st in self.fw.plan.in_loop:
            loop.append(f"{tile_name(st.target)} = {triton_code(st.expr, ctx)}")
            if st.target in needed:
                loop.append(self.step_store(args, f"D_{self.fw.short(st.target)}", st.of, tile_name(st.target)))
        for group in groups:
            for k, (op, arg) in enumerate(zip(group.ops, self.fw.plan.group_args(group))):
                offset = args.add(f"off_{group.key}_{k}", self.fw.offsets(group)[k][0])
                loop.append(self.step_store(args, f"_A_{group.key}_all", op.key, triton_code(arg, ctx), offset=f"{offset} + "))
        for st in self.fw.back.by_kind("carry"):
            state = self.fw.cell.state_of_previous[st.of]
            carry = self.carry_name(state.name)
            loop.append(f"{carry} = tl.where(mask_{state.shape[0]}, {tile_name(st.target)}, 0.0).to({carry}.dtype)")
        after = [f"tl.store(p_{self.carry_name(s.name)} + rb[:, None] * s0_{self.carry_name(s.name)} + "
                 f"col_{s.shape[0]}[None, :], {self.carry_name(s.name)}, mask=mask_{s.shape[0]})" for s in self.fw.cell.states]
        return self.with_offsets(before, args), loop, after, args


__all__ = ["KernelArgs", "KernelWriter"]
