"""The unrolled view: the cell over three steps (t-1, t, t+1), one box per step, the state lines running
through from left to right; and the same three steps for backpropagation through time, the adjoints of the
states running back from right to left, each step taking its loss gradient."""

from __future__ import annotations

import sympy

from ..derive.derived import Derived
from ..printing.html import name_html
from ..printing.latex import latex, time_label
from ..printing.notation import Notation
from .diagram import STYLE, Diagram

STEPS = (-1, 0, 1)


def _name(name: str, offset: int, notation: Notation, adjoint: bool = False) -> tuple[str, str]:
    """(HTML, LaTeX) of a quantity at step t+offset (δ in front for an adjoint)."""
    html = name_html(name, time_label(offset))
    tex = latex(sympy.Symbol(name), notation, shift=offset)
    return (f"δ{html}", rf"\delta {tex}") if adjoint else (html, tex)


def unrolled_diagram(derived: Derived, notation: Notation, backward: bool = False) -> Diagram:
    """Three steps of the forward pass (or of BPTT, with backward=True)."""
    cell = derived.cell
    graph = dict(STYLE["graph"], rankdir="LR", splines="spline", nodesep="0.5", ranksep="0.7")
    d = Diagram(f"{cell.name}_unrolled" + ("_backward" if backward else ""), graph)
    states = [s.name for s in cell.states]
    outputs = [o for o in cell.outputs if o not in states] + [o for o in cell.outputs if o in states]
    boxes = []
    for offset in STEPS:
        label = ("BPTT " if backward else "") + cell.name + f" ({time_label(offset)})"
        tex = (r"\text{BPTT}\ " if backward else "") + r"\text{" + cell.name.replace("_", r"\_") + "}" + rf"\ ({time_label(offset)})"
        box = d.add(f"step_{offset + 1}", "layer", label, tex)
        boxes.append(box)
        x_html, x_tex = _name(cell.input, offset, notation, adjoint=backward)
        x = d.add(f"x_{offset + 1}", "input", x_html, x_tex)
        if backward:
            d.connect(x, box, kind="grad", dir="back")
        else:
            d.connect(x, box)
        for output in outputs:
            o_html, o_tex = _name(output, offset, notation)
            if backward:
                loss = d.add(f"loss_{output}_{offset + 1}", "input", f"∂ℓ<SUB>{time_label(offset)}</SUB>/∂{o_html}",
                             rf"\partial \ell_{{{time_label(offset)}}} / \partial {o_tex}")
                d.connect(box, loss, kind="grad", dir="back")
            else:
                out = d.add(f"out_{output}_{offset + 1}", "output", o_html, o_tex)
                d.connect(box, out)
    # One line for all the states (a bundle), so it runs straight from step to step.
    def bundle(offset: int) -> tuple[str, str]:
        parts = [_name(state, offset, notation, adjoint=backward) for state in states]
        return ", ".join(p[0] for p in parts), ", ".join(p[1] for p in parts)

    start = d.add("start", "input", *bundle(-2))
    end = d.add("end", "output", *bundle(1))
    chain = [start] + boxes + [end]
    for k, (tail, head) in enumerate(zip(chain, chain[1:])):
        inner = 0 < k < len(chain) - 2
        html, tex = bundle(STEPS[0] - 1 + k) if inner else ("", "")
        d.connect(tail, head, html, "state", tex, **({"dir": "back"} if backward else {}))
    d.graph["rankdir"] = "BT"
    d.same_rank.append(["start"] + boxes + ["end"])
    d.same_rank.append([n.name for n in d.nodes if n.name.startswith("x_")])
    return d
