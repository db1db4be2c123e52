"""The legend every figure carries: what its boxes, circles and lines mean, and which way time runs. One table per
kind of diagram; each entry is a sample drawn in the diagram's own colours (from STYLE) and what it means, as a
Graphviz HTML label and as LaTeX for the TikZ figures. The legend is the graph's own label (labelloc b), so dot
sets it under the drawing and it never moves, crosses or sits among the drawing's nodes."""

from __future__ import annotations

from ..printing.escape import html_text
from .diagram import STYLE, Diagram

#: (sample style: a STYLE kind or "" for plain text, sample text, meaning, meaning in LaTeX), by diagram kind.
LEGEND: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "cell": (
        ("layer", "σ: W, U, b", "layer: σ(W x + U h + b)", r"\text{box: layer } \sigma(Wx + Uh + b)"),
        ("op", "×", "elementwise operation", r"\text{circle: elementwise operation}"),
        ("", "∗  ⊙  ⊞", "convolution, elementwise weight, block-diagonal (heads)",
         r"\ast,\ \odot,\ \boxplus\text{: convolution, elementwise weight, block-diagonal}"),
        ("", "━━", "state line", r"\text{thick: state line}"),
        ("", "@−1 ⟶ @", "time", r"\text{time } @{-}1 \longrightarrow @"),
    ),
    "backward": (
        ("adjoint", "δc", "adjoint: ∂ℓ/∂c", r"\text{box: adjoint } \partial\ell/\partial c"),
        ("", "→ δW", "the parameters' gradients taken from it", r"\to \delta W\text{: parameters' gradients from it}"),
        ("", "⊙ f", "times the factor on the edge", r"\text{edge: times its factor}"),
        ("", "━━", "adjoint carried along a state line", r"\text{thick: along a state line}"),
        ("", "@−1 ⟵ @", "backpropagation runs back in time", r"\text{time } @{-}1 \longleftarrow @"),
    ),
    "overview": (
        ("block", "name: k", "a named block of equations, and what it passes on",
         r"\text{box: a block of equations, what it passes on}"),
        ("", "→ k", "edge: the quantities it carries", r"\text{edge: the quantities it carries}"),
        ("", "@−1 ⟶ @", "time", r"\text{time } @{-}1 \longrightarrow @"),
    ),
    "unrolled": (
        ("step", "cell (@)", "one step of the cell, in small", r"\text{box: one step of the cell}"),
        ("", "━━", "the states, carried to the next step", r"\text{thick: the states}"),
        ("", "@−1 ⟶ @ ⟶ @+1", "time", r"\text{time } @{-}1 \longrightarrow @ \longrightarrow @{+}1"),
    ),
    "unrolled_backward": (
        ("step", "BPTT (@)", "one step of backpropagation", r"\text{box: one step of BPTT}"),
        ("", "━━", "the states' adjoints, carried back", r"\text{thick: the states' adjoints}"),
        ("", "@−1 ⟵ @ ⟵ @+1", "backpropagation runs back in time", r"\text{time } @{-}1 \longleftarrow @ \longleftarrow @{+}1"),
    ),
}


def _sample(style: str, text: str) -> str:
    if not style:
        return f"<TD>{html_text(text)}</TD>"
    colours = STYLE[style]
    return (f'<TD BGCOLOR="{colours["fillcolor"]}" COLOR="{colours["color"]}" BORDER="1" STYLE="rounded">'
            f"{html_text(text)}</TD>")


def legend_label(kind: str, time: str = "t") -> tuple[str, str]:
    """(HTML table, LaTeX) of a kind's legend, in one row; `time` is the cell's step index (@ in LEGEND: j where
    the cell reads an input named t)."""
    entries = [tuple(part.replace("@", time) for part in entry) for entry in LEGEND[kind]]
    cells = [_sample(style, sample) + f'<TD ALIGN="LEFT">{html_text(meaning)}</TD>' for style, sample, meaning, _ in entries]
    table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3"><TR>{"".join(cells)}</TR></TABLE>'
    return table, r"\quad ".join(entry[3] for entry in entries)


def add_legend(diagram: Diagram, kind: str, time: str = "t") -> None:
    """The kind's legend as the figure's own label, under the drawing: it takes no part in the layout."""
    diagram.legend = legend_label(kind, time)
