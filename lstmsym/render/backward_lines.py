"""The backward half of the generated NumPy and PyTorch modules: BPTT written statement by statement from the
derived backward, with stacked adjoints, and the parameter gradients collected after the loop. A part the
modules hold beside the forward writer, whose names and printer it uses."""

from __future__ import annotations

from typing import Callable

import sympy

from ..derive.plan import Group
from ..model.vector_ops import LossGrad, Next
from ..printing.numpy_code import CodeContext, is_matrix_valued, pycode, pyname, sizename
from ..spec.naming import adjoint_base, incoming_base, value_key
from .numpy_forward import NumpyForward, S, _apply


def incoming_parts(forward: NumpyForward, rec, loss: Callable[[str], str], carry: Callable[[str], str]) -> list[str]:
    """The terms of an incoming adjoint's recurrence as code, for the module's loop and the fused kernel: the
    step's loss gradient of an output (named by `loss`) and the carry from step t+1 of a state (by `carry`)."""
    parts = []
    carries = {st.expr: st for st in forward.back.by_kind("carry")}
    for term in sympy.Add.make_args(rec.expr):
        if isinstance(term, LossGrad):
            parts.append(loss(term.args[0].name))
        elif isinstance(term, Next) and term.args[0] in carries:
            parts.append(carry(forward.cell.state_of_previous[carries[term.args[0]].of].name))
        else:
            raise ValueError(f"a recurrence term the code generator cannot place: {term}")
    return parts


class BackwardLines:
    """The backward pass's lines (set-up, loop body, what follows the loop) of one cell."""

    def __init__(self, forward: NumpyForward, kind_of: str) -> None:
        #: kind_of: how generated code reads the type every array it makes takes (PyTorch's also the device)
        self.fw, self.kind_of = forward, kind_of
        self.used_outer: set[str] = set()
        self.used_colsum: set[str] = set()

    # -- backward -------------------------------------------------------------------------------
    def incoming_code(self, rec) -> str:
        """The incoming adjoint of one state or output at step t, from its printed recurrence."""
        parts = incoming_parts(self.fw, rec, lambda output: f"dY_{self.fw.short(output)}[t]",
                               lambda state: f"d_carry_{self.fw.short(state)}")
        return " + ".join(parts) if parts else f"_zeros_like({self.fw.history(rec.name)}[0])"

    def group_args(self, group: Group) -> tuple[sympy.Expr, ...]:
        return self.fw.plan.group_args(group)

    def emission_order(self) -> list[Group]:
        return self.fw.plan.emission_order

    def statement_lines(self, needed: set[str]) -> list[str]:
        """The loop body of the backward pass, with common subexpressions computed once."""
        names = self.fw.step_names()
        exprs = [self.fw.plan.strip_group(st.expr, st.of)[0] for st in self.fw.plan.in_loop]
        for group in self.fw.plan.groups.values():
            exprs.extend(self.group_args(group))
        temps, _ = sympy.cse(exprs, symbols=sympy.numbered_symbols("_c"), optimizations=None)
        temp_rank: dict[str, int] = {}
        temp_batched: dict[str, bool] = {}
        for symbol, value in temps:
            temp_rank[symbol.name] = self._rank_of(value, temp_rank)
            temp_batched[symbol.name] = any(temp_batched.get(s.name, self.fw.batched(s.name)) for s in value.free_symbols)
        lines: list[str] = []
        emitted: set[str] = set()
        rank = lambda key: temp_rank[key] if key in temp_rank else self.fw.rank(key)  # noqa: E731
        batched = lambda key: temp_batched[key] if key in temp_batched else self.fw.batched(key)  # noqa: E731

        def emit(expr: sympy.Expr) -> str:
            for index, (symbol, value) in enumerate(temps):
                if symbol.name not in emitted and self._needs(expr, symbol, temps):
                    emitted.add(symbol.name)
                    lines.append(f"{symbol.name} = {pycode(_apply(value, temps[:index]), CodeContext(rank, batched, self.fw.blocks, names))}")
            return pycode(_apply(expr, temps), CodeContext(rank, batched, self.fw.blocks, names))

        shared = self.fw.plan.shared_args
        stacked: set[str] = set()
        for st in self.fw.plan.in_loop:
            expr, group = self.fw.plan.strip_group(st.expr, st.of)
            if group is not None:
                lines += self.group_adjoint_lines(group, emit, shared)
                stacked.add(group.key)
                lines.append(f"_lin_{group.key} = _A_{group.key} @ _M_{group.key}")
                expr = expr + S(f"_lin_{group.key}")
                temp_rank[f"_lin_{group.key}"] = self.fw.rank(st.of)
            lines.append(f"{pyname(st.target)} = {emit(expr)}")
            if st.target in needed:
                lines.append(f"D_{self.fw.short(st.target)}[t] = {pyname(st.target)}")
        pending = [g for g in self.emission_order() if g.key not in stacked]
        pending.sort(key=lambda g: g.key in shared)
        for group in pending:
            lines += self.group_adjoint_lines(group, emit, shared)
        return lines

    def _rank_of(self, expr: sympy.Expr, temp_rank: dict[str, int]) -> int:
        from ..printing.numpy_code import expr_rank

        return expr_rank(expr, CodeContext(lambda k: temp_rank[k] if k in temp_rank else self.fw.rank(k), self.fw.batched))

    @staticmethod
    def _needs(expr: sympy.Expr, symbol: sympy.Symbol, temps) -> bool:
        reduced = _apply(expr, temps)
        return reduced.has(symbol) or any(_apply(value, temps[:i]).has(symbol)
                                          for i, (name, value) in enumerate(temps) if reduced.has(name))

    def group_adjoint_lines(self, group: Group, emit, shared: dict[str, str]) -> list[str]:
        if group.key in shared:
            return [f"_A_{group.key} = _A_{shared[group.key]}"]
        lines = [f"_A_{group.key} = _A_{group.key}_all[t]"]
        for arg, (start, stop) in zip(self.group_args(group), self.fw.offsets(group)):
            lines.append(f"_A_{group.key}[..., {start}:{stop}] = {emit(arg)}")
        return lines

    def sequence_names(self, needed: set[str]) -> dict[str, str]:
        """How symbols are written when a statement runs over whole sequences (after the loop)."""
        names = {key: self.fw.static_array(key) for key in self.fw.plan.static}
        for s in self.fw.cell.states:
            names[s.previous] = f"{self.fw.history(s.name)}[:-1]"
            names[s.name] = f"{self.fw.history(s.name)}[1:]"
        names.update({key: self.fw.stored(key) for key in self.fw.plan.cached if key not in self.fw.plan.static})
        names.update({key: f"D_{self.fw.short(key)}" for key in needed})
        for group in self.fw.plan.groups.values():
            source = group.key if group.key not in self.fw.plan.shared_args else self.fw.plan.shared_args[group.key]
            names[f"_lin_{group.key}"] = f"_seq_matmul(_A_{source}_all, _M_{group.key})"
        return names

    def param_terms(self) -> dict[str, list[tuple[str, sympy.Expr | None]]]:
        """Each parameter gradient as terms: (code, None) for a term taken from a stacked product, or
        ('', term) for a term evaluated over the sequences."""
        out = {}
        shared = self.fw.plan.shared_args
        self.used_outer: set[str] = set()
        self.used_colsum: set[str] = set()
        for st in self.fw.back.by_kind("param"):
            terms = []
            for term in sympy.Add.make_args(st.expr):
                if term == 0:
                    continue
                coeff, rest = term.as_coeff_Mul()
                found = self.fw.plan.outer_block(rest)
                block = self.block_of(rest)
                if found is not None:
                    group, index, flipped = found
                    start, stop = self.fw.offsets(group)[index]
                    code = f"_G_{group.key}[{start}:{stop}]" + (".T" if flipped else "")
                    self.used_outer.add(group.key)
                    terms.append((code if coeff == 1 else f"({self.fw.code(coeff)}) * {code}", None))
                elif block is not None and self.fw.rank(st.of) == 1:
                    group, index = block
                    start, stop = self.fw.offsets(group)[index]
                    source = shared.get(group.key, group.key)
                    code = f"_colsum_{source}[{start}:{stop}]"
                    self.used_colsum.add(source)
                    terms.append((code if coeff == 1 else f"({self.fw.code(coeff)}) * {code}", None))
                else:
                    terms.append(("", term))
            out[st.of] = terms
        return out

    def block_of(self, term: sympy.Expr) -> tuple[Group, int] | None:
        """A term equal to block k of a stacked adjoint (a bias gradient: the column sums of that block)."""
        for group in self.fw.plan.groups.values():
            for index, arg in enumerate(self.group_args(group)):
                if arg == term:
                    return group, index
        return None

    def needed_adjoints(self, param_terms) -> set[str]:
        exprs = [t for terms in param_terms.values() for _, t in terms if t is not None]
        for st in self.fw.back.by_kind("input"):
            exprs.append(self.fw.plan.strip_group(st.expr, st.of)[0])
        return {s.name for e in exprs for s in e.free_symbols if adjoint_base(s.name) is not None or incoming_base(s.name) is not None}

    def backward_setup(self, needed: set[str]) -> list[str]:
        lines = ["xs = cache['xs']", "T, B = xs.shape[0], xs.shape[1]", f"dtype = {self.kind_of}",
                 "dys = _asarray(dys, dtype)"]
        lines += [f"{self.fw.static_array(i.name)} = cache[{('input:' + i.name)!r}]" for i in self.fw.cell.side_inputs]
        lines.append("state = {" + ", ".join(f"{s.name!r}: cache[{('history:' + s.name)!r}][0]" for s in self.fw.cell.states) + "}")
        lines += self.fw.size_lines() + self.fw.setup_lines()
        for s in self.fw.cell.states:
            lines.append(f"{self.fw.history(s.name)} = cache[{('history:' + s.name)!r}]")
            shape = ", ".join(["B"] + [sizename(x) for x in s.shape])
            lines.append(f"d_carry_{self.fw.short(s.name)} = _initial(dstate, {s.name!r}, ({shape},), dtype)")
        for key in self.fw.plan.cached:
            lines.append(f"{self.fw.sequence_array(key)} = cache[{key!r}]")
        lines += self.dys_lines()
        for group in self.emission_order():
            if group.key in self.fw.plan.shared_args:
                lines.append(f"_A_{group.key}_all = _A_{self.fw.plan.shared_args[group.key]}_all")
            else:
                lines.append(f"_A_{group.key}_all = _empty((T, B, {self.fw.width(group)}), dtype)")
        for key in sorted(needed):
            shape = "".join(", " + sizename(s) for s in self.fw.cell.shapes.get(value_key(key), ()))
            lines.append(f"D_{self.fw.short(key)} = _empty((T, B{shape}), dtype)")
        return lines

    def dys_lines(self) -> list[str]:
        lines, start = [], "0"
        for name in self.fw.cell.outputs:
            shape = self.fw.cell.shapes[name]
            size = " * ".join(sizename(s) for s in shape) or "1"
            stop = size if start == "0" else f"{start} + {size}"
            lines.append(f"dY_{self.fw.short(name)} = dys[..., {start}:{stop}].reshape((T, B{''.join(', ' + sizename(s) for s in shape)}))")
            start = stop
        return lines

    def backward_loop(self, needed: set[str]) -> list[str]:
        lines = []
        for s in self.fw.cell.states:
            lines.append(f"{pyname(s.previous)} = {self.fw.history(s.name)}[t]")
            lines.append(f"{pyname(s.name)} = {self.fw.history(s.name)}[t + 1]")
        lines += [f"{pyname(k)} = {self.fw.stored(k)}[t]" for k in self.fw.plan.cached if k not in self.fw.plan.static]
        for rec in self.fw.derived.bptt.recurrences:
            lines.append(f"{pyname(rec.incoming)} = {self.incoming_code(rec)}")
            if rec.incoming in needed:
                lines.append(f"D_{self.fw.short(rec.incoming)}[t] = {pyname(rec.incoming)}")
        lines += self.statement_lines(needed)
        for st in self.fw.back.by_kind("carry"):
            lines.append(f"d_carry_{self.fw.short(self.fw.cell.state_of_previous[st.of].name)} = {pyname(st.target)}")
        return lines

    def backward_post(self, needed: set[str], param_terms) -> list[str]:
        names = self.sequence_names(needed)
        lines = []
        for st in self.fw.back.by_kind("input"):
            expr, group = self.fw.plan.strip_group(st.expr, st.of)
            if group is not None:
                expr = expr + S(f"_lin_{group.key}")
            source = self.fw.static_array(st.of)
            code = self.fw.code(expr, names) if expr != 0 else "0"
            target = "dxs" if st.of == self.fw.cell.input else f"dinputs[{st.of!r}]"
            lines.append(f"{target} = _broadcast_copy({code}, {source}.shape, dtype)")
        for group in self.fw.plan.groups.values():
            source = self.fw.plan.shared_args.get(group.key, group.key)
            if group.key in self.used_outer:
                lines.append(f"_G_{group.key} = _outer_sum(_A_{source}_all, {names.get(group.vector, self.fw.stored(group.vector))})")
            if group.key in self.used_colsum:
                lines.append(f"_colsum_{group.key} = _sum(_A_{group.key}_all.reshape(-1, _A_{group.key}_all.shape[-1]), (0,))")
        for p in self.fw.cell.parameters:
            codes = []
            for code, term in param_terms[p.name]:
                if term is None:
                    codes.append(code)
                elif is_matrix_valued(term):
                    codes.append(self.fw.code(term, names, summed=True))
                else:
                    codes.append(f"_collect({self.fw.code(term, names)}, {len(p.shape)})")
            total = " + ".join(codes) if codes else "0"
            lines.append(f"dparams[{p.name!r}] = _as_param({total}, params[{p.name!r}], dtype)")
        return lines
