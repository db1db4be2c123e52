"""The forward half of the generated NumPy module: names, set-up, the forward loop and its cache, written
from the cell's graph and the sequence plan (stacked products, input-only work hoisted out of the loop)."""

from __future__ import annotations

import sympy

from ..derive.derived import Derived
from ..derive.plan import Group
from ..model.ir import Elementwise, MatrixExpr, Operator, Reduction
from ..model.vector_ops import SumUnits, node_form
from ..printing.numpy_code import CodeContext, pycode, pyname, sizename
from ..spec.naming import adjoint_base, incoming_base, value_key
from ..spec.matrices import table_code
from .helpers import matrix_helper

S = sympy.Symbol


def _apply(expr: sympy.Expr, temps) -> sympy.Expr:
    """expr with the given common subexpressions replaced by their temporaries (in cse order)."""
    for symbol, value in temps:
        expr = expr.xreplace({value: symbol})
    return expr


class NumpyForward:
    """The forward pass's lines, and the naming both passes share."""

    def __init__(self, derived: Derived) -> None:
        self.derived = derived
        self.cell = derived.cell
        self.back = derived.backward
        self.plan = derived.plan
        self.states = {s.name for s in self.cell.states}
        self.inputs = [i.name for i in self.cell.inputs]

    # -- naming and contexts ----------------------------------------------------------------
    def rank(self, key: str) -> int:
        if key.startswith("_lin_"):
            group = next(g for g in self.plan.groups.values() if g.key == key[len("_lin_"):])
            return len(self.cell.shapes[group.vector])
        base = value_key(key)
        return len(self.cell.shapes.get(base, ()))

    def batched(self, key: str) -> bool:
        """Adjoints are per sequence (even a parameter-only quantity's); sizes and parameters are not."""
        if key.startswith("size:"):
            return False
        if adjoint_base(key) is not None or incoming_base(key) is not None:
            return True
        return self.cell.is_batched(value_key(key))

    def blocks(self, key: str) -> bool:
        return self.cell.is_parameter(key) and bool(self.cell.parameter(key).blocks)

    def ctx(self, names: dict[str, str] | None = None, summed: bool = False) -> CodeContext:
        return CodeContext(self.rank, self.batched, self.blocks, dict(names or {}), summed)

    def code(self, expr: sympy.Expr, names: dict[str, str] | None = None, summed: bool = False) -> str:
        return pycode(expr, self.ctx(names, summed))

    @staticmethod
    def short(key: str) -> str:
        return pyname(key).strip("_")

    def history(self, state: str) -> str:
        return f"H_{self.short(state)}"

    def stored(self, key: str) -> str:
        return f"K_{self.short(key)}"

    def static_array(self, key: str) -> str:
        if key == self.cell.input:
            return "xs"
        if key in self.inputs:
            return f"X_{self.short(key)}"
        return f"S_{self.short(key)}"

    def unit_shape_code(self, key: str) -> str:
        return ", ".join(sizename(s) for s in self.cell.shapes[key])

    # -- set-up --------------------------------------------------------------------------------
    def size_lines(self) -> list[str]:
        lines, done = [], set()
        for index, item in enumerate(self.cell.inputs):
            source = "xs" if index == 0 else self.static_array(item.name)
            for axis, size in enumerate(item.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = {source}.shape[{axis + 2}]")
                    done.add(size)
        for p in self.cell.parameters:
            if p.blocks:
                if p.blocks not in done:
                    lines.append(f"{sizename(p.blocks)} = params[{p.name!r}].shape[0]")
                    done.add(p.blocks)
                for axis, size in enumerate(p.shape):
                    if size not in done:
                        lines.append(f"{sizename(size)} = params[{p.name!r}].shape[0] * params[{p.name!r}].shape[{axis + 1}]")
                        done.add(size)
                continue
            for axis, size in enumerate(p.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = params[{p.name!r}].shape[{axis}]")
                    done.add(size)
        for s in self.cell.states:
            for axis, size in enumerate(s.shape):
                if size not in done:
                    lines.append(f"{sizename(size)} = _state_size(state, {s.name!r}, {size!r}, {axis})")
                    done.add(size)
        return lines

    def setup_lines(self) -> list[str]:
        lines = [f"{pyname(p.name)} = _param(params, {p.name!r}, dtype)" for p in self.cell.parameters]
        lines += [f"{pyname(k)} = _const(CONSTANTS[{k!r}], dtype)" for k in self.cell.constants]
        lines += [f"{pyname(m.name)} = {matrix_helper(m.kind)}("
                  f"{table_code(m.table) if m.table else ', '.join(sizename(s) for s in m.shape)}, dtype)"
                  for m in self.cell.spec.matrices.values()]
        for node in self.cell.matrix_nodes:
            lines.append(f"{pyname(node.key)} = {self.matrix_code(node)}")
        for key in self.plan.invariant:
            lines.append(f"{pyname(key)} = {self.node_code(self.cell.node(key), {})}")
        for group in self.plan.groups.values():
            mats = ", ".join(pyname(m) for m in group.matrices)
            lines.append(f"_M_{group.key} = _cat([{mats}], 0)" if len(group.ops) > 1
                         else f"_M_{group.key} = {pyname(group.matrices[0])}")
            lines.append(f"_MT_{group.key} = _transpose_copy(_M_{group.key})")
        return lines

    def matrix_code(self, node: MatrixExpr) -> str:
        parts = []
        for term in node.terms:
            if term.source == "I" and not self.cell.has_node("I") and not self.cell.is_parameter("I"):
                base = f"_eye({sizename(node.shape[0])}, dtype)"
            else:
                base = pyname(term.source) + (".T" if term.transposed else "")
            parts.append(f"({self.code(term.coef)}) * {base}" if term.coef != 1 else base)
        return " + ".join(parts)

    def node_code(self, node, names: dict[str, str]) -> str:
        """The forward code of one quantity (elementwise, reduction or operator)."""
        if isinstance(node, Elementwise):
            return self.code(node.expr, names)
        if isinstance(node, Reduction):
            expr = SumUnits(node.expr)
            if node.mean:
                expr = expr / sympy.Mul(*[S(f"size:{s}") for s in node.over])
            return self.code(expr, names)
        assert isinstance(node, Operator)
        return self.code(node_form(node), names)

    # -- groups ----------------------------------------------------------------------------------
    def offsets(self, group: Group) -> list[tuple[str, str]]:
        """(start, stop) of each product's block in the stacked product, as Python expressions."""
        out, start = [], "0"
        for op in group.ops:
            rows = sizename(op.shape[0])
            stop = rows if start == "0" else f"{start} + {rows}"
            out.append((start, stop))
            start = stop
        return out

    def width(self, group: Group) -> str:
        return self.offsets(group)[-1][1]

    def group_lines(self, group: Group, product: str, target: str = "") -> list[str]:
        lines = [f"_P_{group.key}{target} = {product}"]
        names = [self.static_array(op.key) if target else pyname(op.key) for op in group.ops]
        if len(names) == 1:
            return lines + [f"{names[0]} = _P_{group.key}{target}"]
        widths = ", ".join(sizename(op.shape[0]) for op in group.ops)
        return lines + [f"{', '.join(names)} = _split(_P_{group.key}{target}, ({widths}))"]

    # -- forward -----------------------------------------------------------------------------------
    def static_names(self) -> dict[str, str]:
        return {key: self.static_array(key) for key in self.plan.static}

    def hoisted_lines(self) -> list[str]:
        """Before the loop over time: side inputs, sizes, parameters, stacked matrices (once), and every quantity of
        the inputs alone for all steps at once (the input projections as one product over (T, B, m))."""
        lines = [f"{self.static_array(i.name)} = _side(inputs, {i.name!r}, T, B, dtype)" for i in self.cell.side_inputs]
        lines += self.size_lines() + self.setup_lines()
        hoisted = lambda key: key in self.plan.static and key not in self.inputs and key not in self.plan.group_of_op  # noqa: E731
        return lines + self.node_lines(self.static_names(), hoisted, [k for k in self.inputs if k in self.plan.groups], whole=True)

    def node_lines(self, names: dict[str, str], emitted, vectors: list[str], whole: bool = False) -> list[str]:
        """The one routine that writes the value nodes, for every body (one step, every step at once, the
        input-only part hoisted out of the loop, lax.scan's body): the stacked products of `vectors` (inputs,
        previous states) first, then each node `emitted` selects, in order, each followed by its stacked product
        where a group reads it. `whole`: the hoisted form, over (T, B, ...) arrays named by static_array."""
        target = self.static_array if whole else pyname
        suffix = "_all" if whole else ""

        def product(vector: str) -> list[str]:
            group = self.plan.groups[vector]
            operand = f"_seq_matmul({self.static_array(vector)}, _MT_{group.key})" if whole else f"{pyname(vector)} @ _MT_{group.key}"
            return self.group_lines(group, operand, suffix)

        lines = [line for vector in vectors for line in product(vector)]
        for node in self.cell.value_nodes:
            if emitted(node.key):
                lines.append(f"{target(node.key)} = {self.node_code(node, names)}")
                lines += product(node.key) if node.key in self.plan.groups else []
        return lines

    def looped(self, key: str) -> bool:
        """A node computed inside the loop: neither input-only, nor invariant, nor part of a stacked product."""
        return not (key in self.plan.static or key in self.plan.invariant or key in self.plan.group_of_op)

    def previous_products(self) -> list[str]:
        """The previous states whose stacked product a step computes first."""
        return [v for v in self.plan.groups if v in self.cell.state_of_previous]

    def forward_setup(self) -> list[str]:
        lines = self.hoisted_lines()
        for state in self.cell.states:
            h = self.history(state.name)
            lines.append(f"{h} = _empty((T + 1, B{''.join(', ' + sizename(s) for s in state.shape)}), dtype)")
            lines.append(f"{h}[0] = _initial(state, {state.name!r}, (B{''.join(', ' + sizename(s) for s in state.shape)},), dtype)")
        for key in self.plan.cached:
            if key not in self.plan.static:
                lines.append(f"{self.stored(key)} = _empty((T, B{''.join(', ' + sizename(s) for s in self.cell.shapes[key])}), dtype)")
        return lines

    def step_names(self) -> dict[str, str]:
        return {key: f"{self.static_array(key)}[t]" for key in self.plan.static}

    def forward_loop(self, names: dict[str, str] | None = None) -> list[str]:
        """The loop body over time; `names`: how each input-only quantity's step t is read (step_names)."""
        lines = [f"{pyname(s.previous)} = {self.history(s.name)}[t]" for s in self.cell.states]
        names = self.step_names() if names is None else names
        lines += self.node_lines(names, self.looped, self.previous_products())
        for key in self.plan.cached:
            if key not in self.plan.static:
                lines.append(f"{self.stored(key)}[t] = {pyname(key)}")
        for state in self.cell.states:
            lines.append(f"{self.history(state.name)}[t + 1] = {names.get(state.name, pyname(state.name))}")
        return lines

    # -- the parallel forward (cells whose states all have a scan form) ------------------------------
    def vector_body(self, cache: bool = True) -> list[str]:
        """The loop body for every step at once: previous states are whole histories (H[:-1]), inputs and
        input-only quantities whole arrays; elementwise code and matrix products broadcast over time."""
        lines = [f"{pyname(s.previous)} = {self.history(s.name)}[:-1]" for s in self.cell.states]
        lines += self.node_lines(self.static_names(), self.looped, self.previous_products())
        if cache:
            lines += [f"{self.stored(key)}[...] = {pyname(key)}" for key in self.plan.cached if key not in self.plan.static]
        return lines

    def scan_phases(self) -> list[dict[str, object]]:
        """One entry per round of the scan: the body to run, then a, b and the history each state fills (and
        for a coupled group, its block's rows of entries, b and histories)."""
        from ..derive.scan import ScanForm

        form = ScanForm(self.derived)
        if not form.parallel:
            return []
        names = self.static_names()
        body = self.vector_body(cache=False)
        phases = []
        outside = set(self.plan.static) | set(self.plan.invariant) | self.cell.spec.fixed_names
        for order in sorted({r.order for r in form.resolved}):
            states = [ls for ls in form.states if ls.order == order]
            groups = [g for g in form.groups if g.order == order]
            exprs = [e for ls in states for e in (ls.a, ls.b)] + [e for g in groups for e in (*g.b, *(a for row in g.a for a in row))]
            reads = {str(x) for e in exprs for x in e.free_symbols if not str(x).startswith("size:")}
            phase: dict[str, object] = {"body": body if reads - outside else [], "states": [
                {"history": self.history(ls.state), "a": self.scan_coefficient(ls, names), "b": self.code(ls.b, names)}
                for ls in states], "groups": [self.group_scan(g, names) for g in groups]}
            phases.append(phase)
        return phases

    def block_scan(self) -> bool:
        """Whether the parallel forward scans a coupled group (the module then defines _block_scan)."""
        from ..derive.scan import ScanForm

        form = ScanForm(self.derived)
        return form.parallel and bool(form.groups)

    def group_scan(self, group, names) -> dict[str, object]:
        """A coupled group's block scan: its histories, its block A as rows of entries and its b, as code."""
        rows = ", ".join("(" + ", ".join(self.code(a, names) for a in row) + ")" for row in group.a)
        histories = [self.history(s) for s in group.states]
        return {"targets": ", ".join(f"{h}[1:]" for h in histories), "a": f"({rows})",
                "b": "(" + ", ".join(self.code(b, names) for b in group.b) + ")",
                "starts": "(" + ", ".join(f"{h}[0]" for h in histories) + ")"}

    def scan_coefficient(self, ls, names: dict[str, str]) -> str:
        """The code of a_t, with trailing axes where a per-step a has a lower rank than its state (a scalar gate on
        a matrix state: (T, B) against (T, B, n, d)); parameters and constants broadcast as they are."""
        reads = {str(x) for x in ls.a.free_symbols if not str(x).startswith("size:")}
        fixed = self.cell.spec.fixed_names | set(self.plan.invariant)
        missing = self.rank(ls.state) - max((self.rank(key) for key in reads), default=0)
        code = self.code(ls.a, names)
        return f"({code})[...{', None' * missing}]" if reads - fixed and missing > 0 else code

    def sequence_array(self, key: str) -> str:
        if key in self.states:
            return f"{self.history(key)}[1:]"
        return self.static_array(key) if key in self.plan.static else self.stored(key)

    def forward_result(self) -> dict[str, object]:
        outputs = [self.sequence_array(o) for o in self.cell.outputs]
        flat = [f"{a}.reshape(T, B, -1)" if self.rank(o) != 1 else a for a, o in zip(outputs, self.cell.outputs)]
        cache = {"xs": "xs"}
        cache.update({f"input:{i.name}": self.static_array(i.name) for i in self.cell.side_inputs})
        cache.update({f"history:{s.name}": self.history(s.name) for s in self.cell.states})
        cache.update({key: self.sequence_array(key) for key in self.plan.cached})
        return {
            "ys": f"_copy({flat[0]})" if len(flat) == 1 else f"_cat([{', '.join(flat)}], -1)",
            "state_T": {s.name: f"_copy({self.history(s.name)}[T])" for s in self.cell.states},
            "cache": cache,
        }

