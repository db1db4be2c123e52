"""The vector operators' marks in every notation, in one table: the transpose, the elementwise product, the
convolution and correlation, the sums over units. The LaTeX, MathML and HTML printers, the diagrams' labels and the
layer boxes read them here (they were written inline in each)."""

from __future__ import annotations

from typing import NamedTuple


class Mark(NamedTuple):
    """One operator's mark: LaTeX, MathML (the <mo>/<mi> text), Graphviz HTML."""

    latex: str
    mathml: str
    html: str


MARKS = {
    "transpose": Mark(r"\top", "⊤", "T"),
    "odot": Mark(r"\odot", "⊙", "⊙"),
    "conv": Mark(r"\ast", "∗", "∗"),
    "correlate": Mark(r"\star", "⋆", "⋆"),
    "sum": Mark(r"\sum", "∑", "Σ"),
    "sum_inline": Mark(r"\textstyle\sum", "∑", "Σ"),
    "total": Mark(r"\mathbf{1}^{\top}", "∑", "Σ"),
}
TRANSPOSE, ODOT, CONV, CORRELATE, SUM = (MARKS[k] for k in ("transpose", "odot", "conv", "correlate", "sum"))
