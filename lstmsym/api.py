"""The public Python API: `lstmsym.cell(...)` and the Cell it returns. Everything here reads the one
Derived object of the cell; documents render without a verification record."""

from __future__ import annotations

from functools import cached_property
from html import escape
from pathlib import Path
from typing import Any

import sympy

from .derive.counts import CountQuery, evaluate
from .derive.derived import Derived, derived
from .model.cell import Cell as Model
from .model.loading import cell_from_text, load_cell
from .model.sizes import at_sizes
from .printing.matrix_form import MatrixForm
from .printing.text import text as to_text
from .render import documents, figures, tools
from .render.embed import SIZE_OPTIONS, Shown, latex_display
from .render.facts import notation


def cell(name_or_path: str | Path | None = None, *, text: str | None = None) -> "Cell":
    """A cell: a built-in name or alias, the path of a spec file, or spec text (text=..., or any string that
    holds a newline)."""
    if text is None and isinstance(name_or_path, str) and "\n" in name_or_path:
        text = name_or_path
    if text is not None:
        return Cell(derived(cell_from_text(text)))
    if name_or_path is None:
        raise TypeError("lstmsym.cell() needs a cell name, a spec path, or text=...")
    return Cell(derived(load_cell(name_or_path)))


class Cell:
    """A derived cell, with its equations, gradients, counts, cost, checks, code and documents."""

    def __init__(self, facts: Derived) -> None:
        self.derived = facts
        self.model: Model = facts.cell

    # -- what it is ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.model.name

    @property
    def title(self) -> str:
        return self.model.title

    @property
    def sizes(self) -> dict[str, str]:
        return self.model.sizes

    @property
    def parameters(self):
        return self.model.parameters

    @property
    def states(self):
        return self.model.states

    @property
    def spec(self):
        return self.model.spec

    @cached_property
    def _form(self) -> MatrixForm:
        return MatrixForm(self.model, notation(self.derived))

    @cached_property
    def equations(self) -> dict[str, sympy.Expr]:
        """name -> the equation's right-hand side as a SymPy matrix expression (MatrixSymbol, MatMul, ...)."""
        return {name: self._form.convert(expr) for name, expr in self.model.equations}

    def backward(self) -> dict[str, sympy.Expr]:
        """One step's backward statements: adjoint name (as `grad` prints it; the adjoint of an expression, which
        `grad` prints d(r * h_prev), as the identifier d_r_h_prev that other statements read) -> SymPy matrix
        expression."""
        return {self._form.name(st.target): self._form.convert(st.expr) for st in self.derived.backward.statements}

    def bptt(self) -> dict[str, dict[str, Any]]:
        """The BPTT recurrences: incoming adjoint name -> {"loss": the loss term's name or None, "next": what
        step t+1 hands back, as a matrix expression evaluated at t+1 (None for an output that is not a state)}."""
        from .model.vector_ops import LossGrad, Next

        n = notation(self.derived)
        out = {}
        for r in self.derived.bptt.recurrences:
            terms = sympy.Add.make_args(r.expr)
            loss = next((f"dloss_{t.args[0]}" for t in terms if isinstance(t, LossGrad)), None)
            carried = next((self._form.convert(t.args[0]) for t in terms if isinstance(t, Next)), None)
            out[to_text(r.symbol, n)] = {"loss": loss, "next": carried}
        return out

    # -- counting and cost ------------------------------------------------------------------
    def count_formula(self, convention: str = "paper", num_layers: int = 1, bidirectional: bool = False) -> sympy.Expr:
        return self.derived.count(CountQuery(convention, num_layers, bidirectional))

    def count(self, convention: str = "paper", num_layers: int = 1, bidirectional: bool = False, **sizes: int) -> int:
        """The number of parameters at the given sizes (every size the formula needs must be given)."""
        return evaluate(self.model, self.count_formula(convention, num_layers, bidirectional), sizes)

    def cost(self, **sizes: int) -> dict[str, Any]:
        """Per step and sequence: operator FLOPs forward and backward, and the BPTT cache in elements."""
        c = self.derived.cost
        formulas = {"forward_flops": c.forward_flops, "backward_flops": c.backward_flops, "cache_elements": c.cached_per_step}
        return {k: (int(at_sizes(v, sizes)) if sizes else v) for k, v in formulas.items()}

    # -- checking --------------------------------------------------------------------------------
    def check(self, wrt: str, formula: str, bptt: bool = False):
        from .verify.check import check_formula

        return check_formula(self.derived, notation(self.derived), wrt, formula, bptt=bptt)

    def verify(self, steps: int = 3, seed: int = 0) -> dict[str, Any]:
        from .verify.suite import run_suite

        return run_suite(self.derived, steps, seed)

    # -- code and documents --------------------------------------------------------------------
    def export(self, to: str = "numpy") -> str:
        from .render.exports import TARGETS

        return TARGETS[to](self.derived)

    def tex(self, verification: dict | None = None) -> str:
        return documents.writeup_tex(self.derived, verification, figures=False)

    def md(self, verification: dict | None = None) -> str:
        return documents.readme_md(self.derived, verification)

    def json(self, verification: dict | None = None) -> str:
        return documents.cell_json(self.derived, verification)

    def dot(self, kind: str = "cell") -> str:
        return figures.diagram_dot(self.derived, kind)

    def svg(self, kind: str = "cell") -> str:
        return tools.render_dot(self.dot(kind), "svg").decode()

    # -- notebooks ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        n = notation(self.derived)
        lines = [f"<Cell {self.name}: {self.title}>"]
        lines += [f"  {name} = {to_text(expr, n, keep_order=True)}" for name, expr in self.model.equations]
        return "\n".join(lines)

    def show(self, *items: str, **sizes: int) -> Shown:
        """Pieces of the cell to display in a notebook: "equations" (the default), "gradient", "parameters",
        "diagram", "gradient-diagram"; sizes (m=10, n=20, or hidden_size=20) put numbers in the parameter table."""
        options = {key.replace("_", "-") if key.replace("_", "-") in SIZE_OPTIONS else key: v for key, v in sizes.items()}
        return Shown(self.derived, items or None, options)

    def _repr_latex_(self) -> str | None:
        """The forward equations as display LaTeX (a frontend without HTML shows these)."""
        return latex_display(self.derived, ["equations"])

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """text/plain, text/html (equations and diagram), text/latex (equations), image/svg+xml (the diagram,
        when Graphviz is installed): Jupyter shows the richest its frontend draws."""
        bundle = {"text/plain": repr(self), "text/html": self._repr_html_(), "text/latex": self._repr_latex_()}
        if tools.dot_available():
            bundle["image/svg+xml"] = self.svg()
        return {k: v for k, v in bundle.items() if v is not None and (not include or k in include)
                and (not exclude or k not in exclude)}

    def _repr_html_(self) -> str:
        """One rich view: the equations and the diagram together (the equations alone when dot is missing)."""
        from .render.site import equations_html

        body = equations_html(self.derived)
        if tools.dot_available():
            body += self.svg()
        return f"<div><p><b>{escape(self.title)}</b> (<code>{escape(self.name)}</code>)</p>{body}</div>"
