"""What the fused Triton kernel can serve, decided from the cell's graph before any code is written: vector states,
matrix-vector products by fixed dense or block-diagonal (heads) matrices, elementwise functions, and sums over
units when there are no heads. FusedUnsupported names the first construct outside that, in one line."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import LstmsymError
from ..derive.derived import Derived
from ..model.ir import Elementwise, MatrixExpr, Operator, Reduction

#: What the fused path serves, quoted by every refusal.
SERVES = ("vector states; products of a state-dependent vector by a fixed dense or block-diagonal (heads) matrix; "
          "elementwise functions; sums over units (without heads); input-only work of any kind (done in PyTorch)")

#: The largest unit count per head a program keeps on-chip (its recurrent tiles are units x units); above it the
#: layer falls back to the PyTorch path.
MAX_UNITS = 128


class FusedUnsupported(LstmsymError):
    """A cell the fused Triton kernel cannot serve; the message names the construct and what is served."""

    exit_code = 2

    def __init__(self, cell: str, construct: str) -> None:
        self.construct = construct
        super().__init__(f"{cell}: the fused Triton kernel cannot serve {construct}; it serves {SERVES}")


@dataclass(frozen=True)
class FusedShape:
    """The facts the kernel generator reads: unit sizes (tile widths), the size naming the number of heads
    (None: one head), the matrices the step multiplies by, and the in-loop nodes in forward order."""

    units: tuple[str, ...]
    heads: str | None
    matrices: tuple[str, ...]
    nodes: tuple[str, ...]


def _shape_text(shape) -> str:
    return " x ".join(shape) if shape else "scalar"


def fused_shape(derived: Derived) -> FusedShape:
    """The kernel's shape facts, or FusedUnsupported naming what the kernel cannot serve."""
    cell, plan = derived.cell, derived.plan
    convs = sorted((op.key in plan.static, op.key) for op in cell.operators if op.op == "conv")
    if convs:
        op = cell.node(convs[0][1])
        raise FusedUnsupported(cell.name, f"the convolution conv({', '.join(op.args)}) (feature-map states)")
    for state in cell.states:
        if len(state.shape) == 2:
            raise FusedUnsupported(cell.name, f"the matrix-valued state {state.name} ({_shape_text(state.shape)} per "
                                   f"sequence): a 16-row batch tile holds 16 n^2 values, past a program's registers (64 K "
                                   f"32-bit per SM on an H200) above n = 32; matrix states are not implemented")
        if len(state.shape) != 1:
            raise FusedUnsupported(cell.name, f"the state {state.name} of shape {_shape_text(state.shape)} "
                                   f"(feature maps; only vector states are served)")
    outside = set(plan.static) | set(plan.invariant) | {m.key for m in cell.matrix_nodes}
    nodes = [n for n in cell.value_nodes if n.key not in outside]
    units, heads, matrices = [], set(), []
    for node in nodes:
        if isinstance(node, Operator):
            text = f"{node.op}({', '.join(node.args)})"
            if node.op == "conv":
                raise FusedUnsupported(cell.name, f"the convolution {text}")
            if node.op != "matvec":
                raise FusedUnsupported(cell.name, f"the {node.op} product {text} inside the step")
            matrix = node.args[0]
            if cell.is_batched(matrix):
                raise FusedUnsupported(cell.name, f"the product {text} by a per-sequence matrix")
            if cell.is_parameter(matrix) and cell.parameter(matrix).blocks:
                heads.add(cell.parameter(matrix).blocks)
            else:
                heads.add(None)
            if matrix not in matrices:
                matrices.append(matrix)
        elif isinstance(node, Reduction):
            heads.add("reduction")
        elif not isinstance(node, (Elementwise, MatrixExpr)):
            raise FusedUnsupported(cell.name, f"the quantity {node.key} ({type(node).__name__})")
        if len(node.shape) > 1:
            raise FusedUnsupported(cell.name, f"the quantity {node.key} of shape {_shape_text(node.shape)} in the step")
        if node.shape and node.shape[0] not in units:
            units.append(node.shape[0])
    named = sorted(h for h in heads if h not in (None, "reduction"))
    if len(named) > 1:
        raise FusedUnsupported(cell.name, f"recurrent matrices with different numbers of blocks ({', '.join(named)})")
    if named and None in heads:
        raise FusedUnsupported(cell.name, "a step mixing block-diagonal (heads) and dense recurrent matrices")
    if named and "reduction" in heads:
        raise FusedUnsupported(cell.name, "a sum over units in a cell with heads (a program holds one head's units)")
    for state in cell.states:
        if state.shape[0] not in units:
            units.append(state.shape[0])
    return FusedShape(tuple(units), named[0] if named else None, tuple(matrices), tuple(n.key for n in nodes))


def fused_refusal(derived: Derived) -> str | None:
    """The one-line refusal for a cell the fused kernel cannot serve, None for a cell it serves."""
    try:
        fused_shape(derived)
    except FusedUnsupported as exc:
        return str(exc)
    return None


__all__ = ["FusedShape", "FusedUnsupported", "MAX_UNITS", "SERVES", "fused_refusal", "fused_shape"]
