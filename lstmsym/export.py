"""Generate a standalone NumPy module (forward + backward over a sequence) from the derived equations."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from . import __version__
from .backward import Backward
from .cell import Cell
from .ir import MatTVec
from .lower import LinearTerm
from .notation import adjoint_base
from .pycode import pycode, pyname, sizename
from .templating import environment

S = sympy.Symbol


@dataclass
class Group:
    """Linear terms that multiply the same vector: one stacked matrix, one product per step."""

    vector: str
    terms: list[LinearTerm] = field(default_factory=list)

    @property
    def key(self) -> str:
        return pyname(self.vector).strip("_")


class ModulePlan:
    """Every line of the generated module, worked out from the cell and its Backward."""

    hoist_sums = False

    def __init__(self, cell: Cell) -> None:
        self.cell = cell
        self.back = Backward(cell)
        self.groups: dict[str, Group] = {}
        for term in cell.linear.values():
            self.groups.setdefault(term.vector, Group(term.vector)).terms.append(term)
        self.state_names = {s.name for s in cell.states}
        self.prev_of = {s.previous: s.name for s in cell.states}

    # -- what can leave the loop ---------------------------------------------------
    @cached_property
    def invariant(self) -> list[str]:
        """Nodes that read only parameters and constants: computed once, in both passes."""
        fixed = {p.name for p in self.cell.parameters} | set(self.cell.constants)
        found: list[str] = []
        for node in self.cell.value_nodes:
            if {sym.name for sym in node.expr.free_symbols} <= fixed | set(found):
                found.append(node.name)
        return found

    @cached_property
    def static(self) -> list[str]:
        """Quantities that depend on the input but not on the state: computed for all steps before the loop."""
        fixed = {p.name for p in self.cell.parameters} | set(self.cell.constants) | set(self.invariant)
        found = [self.cell.input]
        for node in self.cell.value_nodes:
            if node.name in self.invariant:
                continue
            for key, term in self.cell.linear.items():
                if term.vector in found and key not in found:
                    found.append(key)
            if {sym.name for sym in node.expr.free_symbols} <= fixed | set(found):
                found.append(node.name)
        for key, term in self.cell.linear.items():
            if term.vector in found and key not in found:
                found.append(key)
        return found

    def hoisted_part(self, node) -> sympy.Expr | None:
        """The input-only terms of a state-dependent sum, when there are at least two of them.

        Measured on an LSTM (T=100, B=32, n=256): adding those terms for all steps at once moves 13 MB
        through memory and is slower than two in-cache additions per step, so this returns None for now."""
        if not self.hoist_sums or node.name in self.static or node.name in self.invariant or not node.expr.is_Add:
            return None
        fixed = {p.name for p in self.cell.parameters} | set(self.cell.constants) | set(self.invariant) | set(self.static)
        terms = [t for t in node.expr.args if {sym.name for sym in t.free_symbols} <= fixed and t.free_symbols]
        return sympy.Add(*terms) if len(terms) >= 2 else None

    def static_array(self, name: str) -> str:
        return "xs" if name == self.cell.input else f"_X_{pyname(name).strip('_')}"

    # -- naming --------------------------------------------------------------------
    def rows(self, matrix: str) -> str:
        """Size name of a matrix's rows (parameter or matrix node)."""
        return self.cell.shapes[matrix][0]

    def offsets(self, group: Group) -> list[tuple[str, str]]:
        """(start, stop) of each term's block in the stacked product, as Python expressions."""
        out, start = [], "0"
        for term in group.terms:
            stop = sizename(self.rows(term.matrix)) if start == "0" else f"{start} + {sizename(self.rows(term.matrix))}"
            out.append((start, stop))
            start = stop
        return out

    def width(self, group: Group) -> str:
        return self.offsets(group)[-1][1]

    def history(self, name: str) -> str:
        return f"H_{pyname(name).strip('_')}"

    def stored(self, name: str) -> str:
        return f"K_{pyname(name).strip('_')}"

    # -- what the backward pass reads ----------------------------------------------
    @cached_property
    def in_loop(self) -> list:
        return self.back.by_kind("node", "carry")

    def forward_reads(self, exprs) -> list[str]:
        """Forward quantities (not adjoints, parameters or constants) that expressions read."""
        params = {p.name for p in self.cell.parameters} | set(self.cell.constants)
        found = set()
        for expr in exprs:
            for symbol in expr.free_symbols:
                name = symbol.name
                if not name.startswith("d_") and name not in params and not name.startswith("_"):
                    found.add(name)
        order = [n.name for n in self.cell.nodes] + [self.cell.input] + [s.previous for s in self.cell.states]
        linear = sorted(found - set(order))
        return [n for n in order if n in found] + linear

    @cached_property
    def block_sums(self) -> dict[str, tuple[str, str, str]]:
        """Vector parameters whose gradient is the sum of one block of a group's stacked adjoints
        (biases): parameter -> (group key, start, stop)."""
        found = {}
        for st in self.back.by_kind("param"):
            if self.cell.parameter(st.of).kind != "vector":
                continue
            for group in self.emission_order():
                key = self.shared_args.get(group.key, group.key)
                for arg, (start, stop) in zip(self.group_args(group), self.offsets(group)):
                    if arg == st.expr and st.of not in found:
                        found[st.of] = (key, start, stop)
        return found

    @cached_property
    def post_exprs(self) -> list[sympy.Expr]:
        """Expressions evaluated after the loop, over whole sequences."""
        out = [self.strip_linear(s.expr, self.cell.input) for s in self.back.by_kind("input")]
        out += [s.expr for s in self.back.by_kind("param")
                if self.cell.parameter(s.of).kind != "matrix" and s.of not in self.block_sums]
        return out

    @cached_property
    def post_reads(self) -> list[str]:
        return self.forward_reads(self.post_exprs)

    @cached_property
    def post_adjoints(self) -> list[str]:
        """Adjoints (statement targets or incoming ones) that the after-loop expressions read."""
        return sorted({s.name for e in self.post_exprs for s in e.free_symbols if s.name.startswith("d_")})

    def adjoint_size(self, name: str) -> str:
        return self.size_of(adjoint_base(name))

    @cached_property
    def cached(self) -> list[str]:
        """Forward quantities the forward pass must keep per step (besides states' histories and xs)."""
        loop_exprs = [s.expr for s in self.in_loop] + [self.back.linear_adjoint(k) for k in self.cell.linear]
        needed = set(self.forward_reads(loop_exprs)) | set(self.post_reads)
        needed |= {g.vector for g in self.groups.values()} | set(self.cell.outputs)
        skip = self.state_names | set(self.prev_of) | {self.cell.input} | set(self.invariant)
        order = [n.name for n in self.cell.value_nodes] + sorted(self.cell.linear)
        return [n for n in order if n in needed and n not in skip]

    def strip_linear(self, expr: sympy.Expr, vector: str) -> sympy.Expr:
        """Replace the MatTVec terms of `vector`'s group in a sum by the group's product symbol."""
        group = self.groups.get(vector)
        if group is None:
            return expr
        matrices = {S(t.matrix) for t in group.terms}
        terms = sympy.Add.make_args(expr)
        kept = [t for t in terms if not (isinstance(t, MatTVec) and t.args[0] in matrices)]
        return sympy.Add(*kept) + S(f"_lin_{group.key}") if len(kept) < len(terms) else expr

    # -- shared set-up -------------------------------------------------------------
    def size_lines(self, source: str) -> list[str]:
        lines = [f"{sizename(self.cell.input_size)} = {source}.shape[2]"]
        done = {self.cell.input_size}
        for size in self.cell.sizes:
            if size in done:
                continue
            for param in self.cell.parameters:
                if size in param.shape:
                    lines.append(f"{sizename(size)} = params[{param.name!r}].shape[{param.shape.index(size)}]")
                    done.add(size)
                    break
        for state in self.cell.states:
            if state.size not in done:
                lines.append(f"{sizename(state.size)} = _state_size(state, {state.name!r}, {state.size!r})")
                done.add(state.size)
        return lines

    def setup_lines(self) -> list[str]:
        lines = [f"{pyname(p.name)} = np.asarray(params[{p.name!r}], dtype=dtype)" for p in self.cell.parameters]
        lines += [f"{pyname(k)} = dtype.type(CONSTANTS[{k!r}])" for k in self.cell.constants]
        for node in self.cell.matrix_nodes:
            lines.append(f"{pyname(node.name)} = {self.matrix_code(node)}")
        for name in self.invariant:
            lines.append(f"{pyname(name)} = {pycode(self.cell.node(name).expr)}")
        for group in self.groups.values():
            mats = ", ".join(pyname(t.matrix) for t in group.terms)
            lines.append(f"_M_{group.key} = np.concatenate([{mats}], axis=0)" if len(group.terms) > 1
                         else f"_M_{group.key} = {pyname(group.terms[0].matrix)}")
            lines.append(f"_MT_{group.key} = np.ascontiguousarray(_M_{group.key}.T)")
        return lines

    def matrix_code(self, node) -> str:
        parts = []
        for term in node.terms:
            if term.source == "I":
                base = f"np.eye({sizename(node.shape[0])}, dtype=dtype)"
            else:
                base = pyname(term.source) + (".T" if term.transposed else "")
            parts.append(f"({pycode(term.coef)}) * {base}" if term.coef != 1 else base)
        return " + ".join(parts)

    # -- forward -------------------------------------------------------------------
    def static_names(self) -> dict[str, str]:
        return {name: self.static_array(name) for name in self.static}

    def static_group_lines(self, group: Group) -> list[str]:
        lines = [f"_P_{group.key}_all = _seq_matmul({self.static_array(group.vector)}, _MT_{group.key})"]
        for term, (start, stop) in zip(group.terms, self.offsets(group)):
            lines.append(f"{self.static_array(term.symbol.name)} = _P_{group.key}_all[..., {start}:{stop}]")
        return lines

    def forward_setup(self) -> list[str]:
        lines = self.size_lines("xs") + self.setup_lines()
        names = self.static_names()
        if self.cell.input in self.groups:
            lines += self.static_group_lines(self.groups[self.cell.input])
        for node in self.cell.value_nodes:
            if node.name in self.static:
                lines.append(f"{self.static_array(node.name)} = {pycode(node.expr, names)}")
                if node.name in self.groups:
                    lines += self.static_group_lines(self.groups[node.name])
            elif self.hoisted_part(node) is not None:
                lines.append(f"_S_{pyname(node.name).strip('_')} = {pycode(self.hoisted_part(node), names)}")
        for state in self.cell.states:
            h = self.history(state.name)
            lines.append(f"{h} = np.empty((T + 1, B, {sizename(state.size)}), dtype=dtype)")
            lines.append(f"{h}[0] = _initial(state, {state.name!r}, B, {sizename(state.size)}, dtype)")
        for name in self.cached:
            if name not in self.static:
                lines.append(f"{self.stored(name)} = np.empty((T, B, {self.size_of(name)}), dtype=dtype)")
        return lines

    def size_of(self, name: str) -> str:
        if "@" in name:
            return sizename(self.rows(self.cell.linear[name].matrix))
        shape = self.cell.shapes[name]
        return sizename(shape[0]) if shape else "1"

    def group_lines(self, group: Group, source: str) -> list[str]:
        lines = [f"_P_{group.key} = {source}"]
        for term, (start, stop) in zip(group.terms, self.offsets(group)):
            lines.append(f"{pyname(term.symbol.name)} = _P_{group.key}[..., {start}:{stop}]")
        return lines

    def forward_loop(self) -> list[str]:
        lines = [f"{pyname(self.cell.input)} = xs[t]"]
        for state in self.cell.states:
            lines.append(f"{pyname(state.previous)} = {self.history(state.name)}[t]")
        names = {name: f"{self.static_array(name)}[t]" for name in self.static if name != self.cell.input}
        for vector, group in self.groups.items():
            if vector in self.prev_of:
                lines += self.group_lines(group, f"{pyname(vector)} @ _MT_{group.key}")
        for node in self.cell.value_nodes:
            if node.name in self.static or node.name in self.invariant:
                continue
            hoisted = self.hoisted_part(node)
            expr = node.expr if hoisted is None else node.expr - hoisted + sympy.Symbol(f"_S_{pyname(node.name).strip('_')}")
            if hoisted is not None:
                names[f"_S_{pyname(node.name).strip('_')}"] = f"_S_{pyname(node.name).strip('_')}[t]"
            lines.append(f"{pyname(node.name)} = {pycode(expr, names)}")
            if node.name in self.groups:
                lines += self.group_lines(self.groups[node.name], f"{pyname(node.name)} @ _MT_{self.groups[node.name].key}")
        for name in self.cached:
            if name not in self.static:
                lines.append(f"{self.stored(name)}[t] = {pyname(name)}")
        for state in self.cell.states:
            lines.append(f"{self.history(state.name)}[t + 1] = {pyname(state.name)}")
        return lines

    def output_array(self, name: str) -> str:
        if name in self.state_names:
            return f"{self.history(name)}[1:]"
        return self.static_array(name) if name in self.static else self.stored(name)

    def forward_result(self) -> dict[str, object]:
        outputs = [self.output_array(o) for o in self.cell.outputs]
        cache = {"xs": "xs"}
        cache.update({f"history:{s.name}": self.history(s.name) for s in self.cell.states})
        cache.update({name: self.static_array(name) if name in self.static else self.stored(name) for name in self.cached})
        return {
            "ys": outputs[0] + ".copy()" if len(outputs) == 1 else f"np.concatenate([{', '.join(outputs)}], axis=-1)",
            "state_T": {s.name: f"{self.history(s.name)}[T].copy()" for s in self.cell.states},
            "cache": cache,
        }

    # -- backward ------------------------------------------------------------------
    def backward_setup(self) -> list[str]:
        lines = ["xs = cache['xs']", "T, B = xs.shape[0], xs.shape[1]", "dtype = xs.dtype",
                 "dys = np.asarray(dys, dtype=dtype)",
                 "state = {" + ", ".join(f"{s.name!r}: cache[{('history:' + s.name)!r}][0]" for s in self.cell.states) + "}"]
        lines += self.size_lines("xs") + self.setup_lines()
        for s in self.cell.states:
            lines.append(f"{self.history(s.name)} = cache[{('history:' + s.name)!r}]")
            lines.append(f"d_carry_{pyname(s.name)} = _initial(dstate, {s.name!r}, B, {sizename(s.size)}, dtype)")
        lines += [f"{self.stored(n)} = cache[{n!r}]" for n in self.cached]
        lines += self.dys_lines()
        for group in self.emission_order():
            if group.key in self.shared_args:
                lines.append(f"_A_{group.key}_all = _A_{self.shared_args[group.key]}_all")
            else:
                lines.append(f"_A_{group.key}_all = np.empty((T, B, {self.width(group)}), dtype=dtype)")
        for name in self.post_adjoints:
            lines.append(f"D_{name} = np.empty((T, B, {self.adjoint_size(name)}), dtype=dtype)")
        return lines

    def dys_lines(self) -> list[str]:
        lines, start = [], "0"
        for name in self.cell.outputs:
            size = sizename(self.cell.shapes[name][0])
            stop = size if start == "0" else f"{start} + {size}"
            lines.append(f"dY_{pyname(name).strip('_')} = dys[..., {start}:{stop}]")
            start = stop
        return lines

    def backward_loop(self) -> list[str]:
        lines = [f"{pyname(self.cell.input)} = xs[t]"]
        for s in self.cell.states:
            lines.append(f"{pyname(s.previous)} = {self.history(s.name)}[t]")
            lines.append(f"{pyname(s.name)} = {self.history(s.name)}[t + 1]")
        lines += [f"{pyname(n)} = {self.stored(n)}[t]" for n in self.cached]
        for name in list(self.cell.outputs) + [s.name for s in self.cell.states if s.name not in self.cell.outputs]:
            parts = ([f"dY_{pyname(name).strip('_')}[t]"] if name in self.cell.outputs else []) + \
                    ([f"d_carry_{pyname(name)}"] if name in self.state_names else [])
            lines.append(f"d_{name}_in = {' + '.join(parts)}")
            if f"d_{name}_in" in self.post_adjoints:
                lines.append(f"D_d_{name}_in[t] = d_{name}_in")
        lines += self.statement_lines()
        for s in self.cell.states:
            lines.append(f"d_carry_{pyname(s.name)} = d_{s.previous}")
        return lines

    def group_args(self, group: Group) -> tuple[sympy.Expr, ...]:
        return tuple(self.back.linear_adjoint(t.symbol.name) for t in group.terms)

    @cached_property
    def shared_args(self) -> dict[str, str]:
        """Group key -> key of an earlier group with the same adjoint blocks (stacked once, stored once)."""
        seen: dict[tuple, str] = {}
        out = {}
        for group in self.emission_order():
            args = self.group_args(group)
            if args in seen:
                out[group.key] = seen[args]
            else:
                seen[args] = group.key
        return out

    def emission_order(self) -> list[Group]:
        """Groups in the order the backward loop stacks their adjoints."""
        first = [self.groups[st.of] for st in self.in_loop if st.of in self.groups]
        return first + [g for g in self.groups.values() if g not in first]

    def group_adjoint_lines(self, group: Group, emit) -> list[str]:
        if group.key in self.shared_args:
            return [f"_A_{group.key} = _A_{self.shared_args[group.key]}"]
        args = [emit(a) for a in self.group_args(group)]
        lines = [f"_A_{group.key} = _A_{group.key}_all[t]"]
        for code, (start, stop) in zip(args, self.offsets(group)):
            lines.append(f"_A_{group.key}[..., {start}:{stop}] = {code}")
        return lines

    def statement_lines(self) -> list[str]:
        """The loop body of the backward pass, with common subexpressions computed once."""
        exprs = []
        for st in self.in_loop:
            exprs.append(self.strip_linear(st.expr, st.of))
        for group in self.groups.values():
            exprs.extend(self.group_args(group))
        temps, _ = sympy.cse(exprs, symbols=sympy.numbered_symbols("_c"), optimizations=None)
        lines: list[str] = []
        emitted: set[str] = set()

        def emit(expr: sympy.Expr) -> str:
            for index, (symbol, value) in enumerate(temps):
                if symbol.name not in emitted and self._needs(expr, symbol, temps):
                    emitted.add(symbol.name)
                    lines.append(f"{symbol.name} = {pycode(_apply(value, temps[:index]))}")
            return pycode(_apply(expr, temps))

        for st in self.in_loop:
            if st.of in self.groups:
                group = self.groups[st.of]
                block = self.group_adjoint_lines(group, emit)
                lines += block
                lines.append(f"_lin_{group.key} = _A_{group.key} @ _M_{group.key}")
            code = emit(self.strip_linear(st.expr, st.of))
            lines.append(f"{st.target} = {code}")
            if st.target in self.post_adjoints:
                lines.append(f"D_{st.target}[t] = {st.target}")
        for group in self.groups.values():
            if group.vector not in {st.of for st in self.in_loop}:
                lines += self.group_adjoint_lines(group, emit)
        return lines

    @staticmethod
    def _needs(expr: sympy.Expr, symbol: sympy.Symbol, temps) -> bool:
        """Whether computing expr with the temporaries substituted in needs `symbol`."""
        reduced = _apply(expr, temps)
        return reduced.has(symbol) or any(_apply(value, temps[:i]).has(symbol)
                                          for i, (name, value) in enumerate(temps) if reduced.has(name))

    def all_names(self) -> dict[str, str]:
        """How symbols are written when an expression runs over whole sequences (after the loop)."""
        names = {self.cell.input: "xs"}
        for s in self.cell.states:
            names[s.previous] = f"{self.history(s.name)}[:-1]"
            names[s.name] = f"{self.history(s.name)}[1:]"
        names.update({n: self.stored(n) for n in self.cached})
        names.update({a: f"D_{a}" for a in self.post_adjoints})
        for group in self.groups.values():
            names[f"_lin_{group.key}"] = f"_seq_matmul(_A_{group.key}_all, _M_{group.key})"
        return names

    def backward_post(self) -> list[str]:
        names = self.all_names()
        lines = []
        dx = self.back.by_kind("input")[0]
        lines.append(f"dxs = {pycode(self.strip_linear(dx.expr, self.cell.input), names)}")
        lines.append("dxs = np.broadcast_to(dxs, xs.shape).astype(dtype, copy=True)" if dx.expr == 0 else
                     "dxs = np.asarray(dxs, dtype=dtype)")
        for group in self.groups.values():
            source = names.get(group.vector, names.get(group.vector))
            lines.append(f"_G_{group.key} = _outer_sum(_A_{group.key}_all, {source})")
        for key in sorted({key for key, _, _ in self.block_sums.values()}):
            lines.append(f"_colsum_{key} = _A_{key}_all.reshape(-1, _A_{key}_all.shape[-1]).sum(axis=0)")
        for node in reversed(self.cell.matrix_nodes):
            lines.append(f"d_{pyname(node.name)} = {self.matrix_gradient_code(node.name)}")
        for param in self.cell.parameters:
            st = self.back.statement(f"d_{param.name}")
            if param.kind == "matrix":
                code = self.matrix_gradient_code(param.name)
            elif param.name in self.block_sums:
                key, start, stop = self.block_sums[param.name]
                code = f"_colsum_{key}[{start}:{stop}]"
            elif param.kind == "vector":
                code = f"_sum_batch({pycode(st.expr, names)}, {sizename(param.shape[0])})"
            else:
                code = f"np.sum({pycode(st.expr, names)})"
            lines.append(f"dparams[{param.name!r}] = np.asarray({code}, dtype=dtype)")
        return lines

    def matrix_gradient_code(self, name: str) -> str:
        parts = []
        for group in self.groups.values():
            for term, (start, stop) in zip(group.terms, self.offsets(group)):
                if term.matrix == name:
                    parts.append(f"_G_{group.key}[{start}:{stop}]")
        for node in self.cell.matrix_nodes:
            for term in node.terms:
                if term.source == name:
                    upstream = f"d_{pyname(node.name)}" + (".T" if term.transposed else "")
                    parts.append(upstream if term.coef == 1 else f"({pycode(term.coef)}) * {upstream}")
        return " + ".join(parts) if parts else "0"

    # -- the module ----------------------------------------------------------------
    def render(self) -> str:
        template = environment("python").get_template("numpy_module.py.j2")
        cell = self.cell
        return template.render(
            cell=cell, version=__version__,
            parameters={p.name: tuple(p.shape) for p in cell.parameters},
            state=tuple(s.name for s in cell.states),
            carries={s.name: f"d_carry_{pyname(s.name)}" for s in cell.states},
            state_sizes={s.name: s.size for s in cell.states},
            constants={k: float(v) for k, v in cell.constants.items()},
            outputs=tuple(cell.outputs),
            forward_setup=self.forward_setup(), forward_loop=self.forward_loop(), result=self.forward_result(),
            backward_setup=self.backward_setup(), backward_loop=self.backward_loop(), backward_post=self.backward_post(),
            cached=self.cached,
        )


def _apply(expr: sympy.Expr, temps) -> sympy.Expr:
    """expr with the given common subexpressions replaced by their temporaries (in cse order)."""
    for symbol, value in temps:
        expr = expr.xreplace({value: symbol})
    return expr


def export_numpy(cell: Cell) -> str:
    """Source of a standalone module implementing `cell` (imports only numpy)."""
    return ModulePlan(cell).render()


def run(args: argparse.Namespace) -> int:
    from .registry import cell as load
    from .writing import write_text_atomic

    source = export_numpy(load(args.cell))
    if args.output:
        write_text_atomic(args.output, source)
    else:
        sys.stdout.write(source)
    return 0
