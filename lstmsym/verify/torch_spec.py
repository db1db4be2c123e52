"""An independent check for every cell: PyTorch runs the *forward* equations straight from the parsed spec
(the syntax trees, not the lowered graph and not the derived backward), autograd differentiates them in
float64, and the exported NumPy module's derived backward must agree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..derive.derived import Derived
from ..model.cell import Cell
from ..model.functions import FUNCTIONS
from ..spec.naming import IDENTITY
from ..spec.syntax import BinOp, Call, Name, Neg, Node, Num, Transpose
from .loader import load_source, numpy_module
from .sampling import check_sizes, random_inputs, random_params, random_states

TOLERANCE = 1e-10


@lru_cache(maxsize=1)
def torch_functions() -> dict[str, Any]:
    from ..render.helpers import torch_helpers_source

    module = load_source(torch_helpers_source())
    return {name: getattr(module, info.helper) for name, info in FUNCTIONS.items() if info.cls is not None}


def _softmax(v):
    e = v.exp()
    return e / e.sum(dim=-1, keepdim=True)


#: Operations along the units of a vector, from their definitions (cumax is ON-LSTM's cumsum of a softmax).
ALONG_UNITS = {"cumsum": lambda v: v.cumsum(dim=-1), "cummax": lambda v: v.cummax(dim=-1).values, "softmax": _softmax,
               "cumax": lambda v: _softmax(v).cumsum(dim=-1)}


@dataclass
class Value:
    """A tensor and whether it has a leading batch axis (parameters and constants do not)."""

    tensor: Any
    batched: bool
    rank: int

    def at_rank(self, rank: int):
        t = self.tensor
        return t.reshape(tuple(t.shape) + (1,) * (rank - self.rank)) if rank > self.rank else t


class SpecInterpreter:
    """Evaluates one cell's equations, as written, on torch tensors."""

    def __init__(self, cell: Cell, params: dict[str, Any], sizes: dict[str, int], dtype: Any = None) -> None:
        import torch

        self.torch, self.cell, self.sizes = torch, cell, sizes
        self.dtype = dtype or torch.float64
        self.params = {}
        for p in cell.parameters:
            value = params[p.name]
            if p.blocks:
                value = torch.block_diag(*value.unbind(0))
            self.params[p.name] = Value(value, False, len(p.shape))
        for name, entries in cell.constant_matrices(sizes).items():
            self.params[name] = Value(torch.tensor([[float(e) for e in row] for row in entries], dtype=self.dtype), False, 2)
        self.functions = torch_functions()

    def step(self, inputs: dict[str, Any], prev: dict[str, Any]) -> dict[str, Value]:
        env: dict[str, Value] = dict(self.params)
        env.update({k: Value(self.torch.tensor(float(v), dtype=self.dtype), False, 0) for k, v in self.cell.constants.items()})
        for item in self.cell.inputs:
            env[item.name] = Value(inputs[item.name], True, len(item.shape))
        for state in self.cell.states:
            env[state.previous] = Value(prev[state.name], True, len(state.shape))
        for eq in self.cell.spec.equations:
            self.env = env
            env[eq.name] = self.value(eq.tree)
        return env

    def value(self, node: Node) -> Value:
        torch = self.torch
        if isinstance(node, Num):
            return Value(torch.tensor(float(node.value), dtype=self.dtype), False, 0)
        if isinstance(node, Name):
            if node.id == IDENTITY and node.id not in self.env:
                raise ValueError("the identity outside a matrix expression")
            return self.env[node.id]
        if isinstance(node, Neg):
            inner = self.value(node.operand)
            return Value(-inner.tensor, inner.batched, inner.rank)
        if isinstance(node, Transpose):
            inner = self.matrix(node.operand)
            return Value(inner.tensor.transpose(-1, -2), inner.batched, 2)
        if isinstance(node, Call):
            return self.call(node)
        return self.binop(node)

    def matrix(self, node: Node) -> Value:
        """A matrix on the left of '@': a parameter, a matrix-valued quantity, or an expression of them
        (I is the identity of the size of the vector the matrix multiplies)."""
        torch = self.torch
        if isinstance(node, Name) and node.id == IDENTITY and node.id not in self.env:
            return Value(torch.eye(self.identity_size, dtype=self.dtype), False, 2)
        if isinstance(node, BinOp) and node.op in ("+", "-"):
            left, right = self.matrix(node.left), self.matrix(node.right)
            out = left.tensor + right.tensor if node.op == "+" else left.tensor - right.tensor
            return Value(out, left.batched or right.batched, 2)
        if isinstance(node, BinOp) and node.op in ("*", "/"):
            right_is_scale = node.op == "/" or self.is_scale(node.right)
            matrix_node, scale_node = (node.left, node.right) if right_is_scale else (node.right, node.left)
            matrix, scale = self.matrix(matrix_node), self.value(scale_node).tensor
            return Value(matrix.tensor / scale if node.op == "/" else matrix.tensor * scale, matrix.batched, 2)
        if isinstance(node, Neg):
            inner = self.matrix(node.operand)
            return Value(-inner.tensor, inner.batched, 2)
        if isinstance(node, Transpose):
            inner = self.matrix(node.operand)
            return Value(inner.tensor.transpose(-1, -2), inner.batched, 2)
        return self.value(node)

    def is_scale(self, node: Node) -> bool:
        """Numbers and constants (and arithmetic of them) scale a matrix."""
        if isinstance(node, Num):
            return True
        if isinstance(node, Name):
            return node.id in self.cell.constants
        if isinstance(node, Neg):
            return self.is_scale(node.operand)
        if isinstance(node, BinOp) and node.op != "@":
            return self.is_scale(node.left) and self.is_scale(node.right)
        return False

    def call(self, node: Call) -> Value:
        torch = self.torch
        args = [self.value(a) for a in node.args] if node.func != "conv" else []
        if node.func in ("sum", "mean"):
            value = args[0]
            axes = tuple(range(-value.rank, 0))
            total = value.tensor.sum(dim=axes) if value.rank else value.tensor
            if node.func == "mean":
                total = total / int(np.prod(value.tensor.shape[-value.rank:]))
            return Value(total, value.batched, 0)
        if node.func == "dot":
            rank = max(args[0].rank, args[1].rank)
            product = args[0].at_rank(rank) * args[1].at_rank(rank)
            return Value(product.sum(dim=tuple(range(-rank, 0))), args[0].batched or args[1].batched, 0)
        if node.func in ALONG_UNITS:  # written from each operation's definition, not from lstmsym's helpers
            return Value(ALONG_UNITS[node.func](args[0].tensor), args[0].batched, 1)
        if node.func == "outer":
            a, b = args
            return Value(a.tensor.unsqueeze(-1) * b.tensor.unsqueeze(-2), a.batched or b.batched, 2)
        if node.func == "conv":
            kernel = self.env[node.args[0].id].tensor
            x = self.value(node.args[1])
            batched = x.tensor if x.batched else x.tensor.unsqueeze(0)
            out = torch.nn.functional.conv2d(batched, kernel, padding=kernel.shape[-1] // 2)
            return Value(out if x.batched else out[0], x.batched, 3)
        if node.func == "identity":
            return args[0]
        rank = max(a.rank for a in args)
        result = self.functions[node.func](*[a.at_rank(rank) for a in args])
        return Value(result, any(a.batched for a in args), rank)

    def binop(self, node: BinOp) -> Value:
        torch = self.torch
        if node.op == "@":
            vector = self.value(node.right)
            self.identity_size = vector.tensor.shape[-1]
            matrix = self.matrix(node.left)
            if not matrix.batched and matrix.tensor.dim() == 2:  # what nn.Linear does
                return Value(torch.nn.functional.linear(vector.tensor, matrix.tensor), vector.batched, 1)
            result = (matrix.tensor @ vector.tensor.unsqueeze(-1)).squeeze(-1)
            return Value(result, matrix.batched or vector.batched, 1)
        left, right = self.value(node.left), self.value(node.right)
        rank = max(left.rank, right.rank)
        a, b = left.at_rank(rank), right.at_rank(rank)
        out = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b, "**": lambda: a**b}[node.op]()
        return Value(out, left.batched or right.batched, rank)


@dataclass(frozen=True)
class SpecTorchResult:
    cell: str
    sizes: dict
    max_error: float
    worst: str

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.max_error)) and self.max_error <= TOLERANCE


def relative(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b))))) if a.size else 0.0


def gradient(tensor) -> np.ndarray:
    """A leaf's gradient; none at all (an input read only as where()'s condition) is zero."""
    return tensor.grad.numpy() if tensor.grad is not None else np.zeros(tuple(tensor.shape))


def spec_torch_check(derived: Derived, seed: int = 0, steps: int = 3, batch: int = 2, sizes: dict | None = None) -> SpecTorchResult:
    """Autograd through the spec interpreter against the exported module's derived backward, in float64."""
    import torch

    cell = derived.cell
    rng = np.random.default_rng(seed)
    sizes = sizes or check_sizes(cell, seed)
    params = random_params(cell, sizes, rng)
    inputs = random_inputs(cell, sizes, steps, batch, rng)
    state = random_states(cell, sizes, batch, rng)
    module = numpy_module(derived)
    side = {k: v for k, v in inputs.items() if k != cell.input}
    ys, state_T, cache = module.forward(params, inputs[cell.input], state, side)
    dys = rng.normal(size=ys.shape)
    dstate = {k: rng.normal(size=v.shape) for k, v in state.items()}
    grads = module.backward(params, cache, dys, dstate)

    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    t_inputs = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    t_state = {k: torch.tensor(v, requires_grad=True) for k, v in state.items()}
    interpreter = SpecInterpreter(cell, t_params, sizes)
    prev, outputs = dict(t_state), []
    for t in range(steps):
        env = interpreter.step({k: v[t] for k, v in t_inputs.items()}, prev)
        prev = {s.name: env[s.name].tensor.expand((batch,) + tuple(sizes[d] for d in s.shape)) for s in cell.states}
        outputs.append(torch.cat([env[o].tensor.expand((batch,) + tuple(sizes[d] for d in cell.shapes[o])).reshape(batch, -1)
                                  for o in cell.outputs], dim=-1))
    ys_t = torch.stack(outputs)
    loss = (ys_t * torch.tensor(dys)).sum() + sum((prev[k] * torch.tensor(dstate[k])).sum() for k in dstate)
    loss.backward()
    errors = {"ys": relative(ys, ys_t.detach().numpy())}
    for k, v in t_params.items():
        errors[f"d_{k}"] = relative(grads.params[k], gradient(v))
    errors[f"d_{cell.input}"] = relative(grads.xs, gradient(t_inputs[cell.input]))
    for k in side:
        errors[f"d_{k}"] = relative(grads.inputs[k], gradient(t_inputs[k]))
    for k, v in t_state.items():
        errors[f"d_{k}_0"] = relative(grads.state0[k], gradient(v))
    worst = max(errors, key=errors.get)
    return SpecTorchResult(cell.name, sizes, errors[worst], worst)
