"""The unrolled view: the cell over three steps (t-1, t, t+1), one box per step holding a miniature of the cell
(its layers' functions in gate order and how many elementwise operations join them), every input of the step
below it (x, and a mask, δ or t where the cell reads one), the state lines running through from left to right;
and the same three steps for backpropagation through time, the adjoints of the states running back from right to
left, each step taking its loss gradient."""

from __future__ import annotations

import sympy

from ..derive.derived import Derived
from ..printing.escape import html_text
from ..printing.html import html as html_label
from ..printing.latex import latex
from ..printing.notation import Notation
from .diagram import STYLE, Diagram
from .diagram_forward import ForwardBuilder
from .legend import add_legend

STEPS = (-1, 0, 1)


def _name(name: str, offset: int, notation: Notation, adjoint: bool = False) -> tuple[str, str]:
    """(HTML, LaTeX) of a quantity at step t+offset (δ in front for an adjoint)."""
    html = html_label(sympy.Symbol(name), notation, shift=offset)
    tex = latex(sympy.Symbol(name), notation, shift=offset)
    return (f"δ{html}", rf"\delta {tex}") if adjoint else (html, tex)


def _cell(colours: str, text: str) -> str:
    style = STYLE[colours]
    return (f'<TD BGCOLOR="{style["fillcolor"]}" COLOR="{style["color"]}" BORDER="1" STYLE="rounded">'
            f'<FONT POINT-SIZE="10">{text}</FONT></TD>')


def miniature(derived: Derived, notation: Notation) -> tuple[list[tuple[str, str]], int]:
    """The cell in small: its layers' function glyphs (HTML, LaTeX), in the forward diagram's row and gate order,
    and the number of elementwise operations between them (read off the forward diagram, laid out by nobody)."""
    builder = ForwardBuilder(derived.cell, notation)
    built = builder.build()
    layers = [box for row in built.same_rank for box in sorted(row, key=builder.gate_rank) if box in builder.glyphs]
    operations = sum(1 for n in built.nodes if n.kind in ("op", "func"))
    return [builder.glyphs[box] for box in layers], operations


def step_label(title: str, title_tex: str, glyphs: list[tuple[str, str]], operations: int) -> tuple[str, str]:
    """(HTML, LaTeX) of one step's box: its title over the miniature."""
    cells = "".join(_cell("layer", g[0]) for g in glyphs) + (_cell("op", f"{operations} ops") if operations else "")
    span = len(glyphs) + bool(operations)
    html = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2"><TR><TD COLSPAN="{span}">{title}</TD></TR>'
            f"<TR>{cells}</TR></TABLE>")
    tex = title_tex + r"\ [" + r"\,".join(g[1] for g in glyphs) + (rf";\,{operations}\ \text{{ops}}" if operations else "") + "]"
    return html, tex


def unrolled_diagram(derived: Derived, notation: Notation, backward: bool = False) -> Diagram:
    """Three steps of the forward pass (or of BPTT, with backward=True)."""
    cell = derived.cell
    graph = dict(STYLE["graph"], rankdir="LR", splines="spline", nodesep="0.5", ranksep="0.7")
    d = Diagram(f"{cell.name}_unrolled" + ("_backward" if backward else ""), graph)
    states = [s.name for s in cell.states]
    outputs = [o for o in cell.outputs if o not in states] + [o for o in cell.outputs if o in states]
    glyphs, operations = miniature(derived, notation)
    boxes = []
    for offset in STEPS:
        title = html_text(("BPTT " if backward else "") + cell.name) + f" ({notation.time_label(offset)})"
        tex = (r"\text{BPTT}\ " if backward else "") + r"\text{" + cell.name.replace("_", r"\_") + "}" + rf"\ ({notation.time_label(offset)})"
        box = d.add(f"step_{offset + 1}", "step", *step_label(title, tex, glyphs, operations))
        boxes.append(box)
        for item in cell.inputs:
            x_html, x_tex = _name(item.name, offset, notation, adjoint=backward and item.name == cell.input)
            x = d.add(f"x_{offset + 1}" if item.name == cell.input else f"in_{item.name}_{offset + 1}", "input", x_html, x_tex)
            if backward and item.name == cell.input:
                d.connect(x, box, kind="grad", dir="back")
            else:
                d.connect(x, box)
        for output in outputs:
            o_html, o_tex = _name(output, offset, notation)
            if backward:
                loss = d.add(f"loss_{output}_{offset + 1}", "input", f"∂ℓ<SUB>{notation.time_label(offset)}</SUB>/∂{o_html}",
                             rf"\partial \ell_{{{notation.time_label(offset)}}} / \partial {o_tex}")
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
    d.same_rank.append([n.name for n in d.nodes if n.name.startswith(("x_", "in_"))])
    add_legend(d, "unrolled_backward" if backward else "unrolled", notation.time_letter)
    return d
