"""Pieces of one cell to place in someone else's document (Sphinx, MkDocs, a notebook): its forward equations,
its one-step gradient, its parameter table and its diagrams, each as LaTeX, MathML/HTML or SVG. Every piece
comes from the renderers the cell's own pages use (cell_context, the MathML printer, dot); nothing is printed
twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import sympy
from markupsafe import Markup

from ..base.errors import UsageError, did_you_mean, one_of
from ..derive.counts import evaluate, factored
from ..derive.derived import Derived
from ..spec.catalogue import aliases, builtin_paths
from .context import cell_context
from .figures import diagram_dot
from .facts import notation
from .site import count_mathml, equations_html, gradient_sections, inline_svg, names_mathml, parameters_mathml
from .templating import environment
from .tools import render_dot

#: What a directive, a Markdown block or `Cell.show` can place: item -> what it is.
SHOW = {
    "equations": "the forward equations",
    "gradient": "the backward equations of one step",
    "parameters": "the parameter table, with counts",
    "diagram": "the data-flow diagram of one step (SVG)",
    "gradient-diagram": "the gradient-flow diagram of one step (SVG)",
}
#: The diagram items, by the kind figures.diagram draws.
DIAGRAMS = {"diagram": "cell", "gradient-diagram": "backward"}
#: How math reaches an HTML page: MathML (browsers draw it, no JavaScript) or LaTeX for MathJax/KaTeX.
MATH = ("mathml", "latex")
#: Size options, by the size they set (None: the cell's input size, whatever its spec calls it).
SIZE_OPTIONS = {"input-size": None, "hidden-size": "n", "proj-size": "p"}
DEFAULT_SHOW = ("equations",)


def cell_target(base_dir: str | Path, name_or_path: str) -> tuple[str | Path, Path | None]:
    """What to load for a directive's or block's cell: a built-in name (or alias) as it is, a spec path (it ends
    in .toml or holds a /) relative to `base_dir`; the second value is the file to watch for rebuilds."""
    if name_or_path in builtin_paths() or name_or_path in aliases():
        return name_or_path, None
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        path = Path(base_dir) / name_or_path
        return path, path
    return name_or_path, None  # neither a name nor a path: loading it raises the error that lists the names


def parse_show(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The items of a `show` option ("equations, diagram" or a list); UsageError names the valid ones."""
    if value is None:
        return DEFAULT_SHOW
    items = [part.strip() for part in (value.replace(",", " ").split() if isinstance(value, str) else value)]
    items = [item for item in items if item]
    for item in items:
        if item not in SHOW:
            hint = did_you_mean(item, SHOW)
            raise UsageError(f"unknown show item '{item}'; expected {one_of(SHOW)}" + (f"; {hint}" if hint else ""))
    if not items:
        raise UsageError(f"show names nothing; expected {one_of(SHOW)}")
    return tuple(dict.fromkeys(items))


def parse_math(value: str | None) -> str:
    if value is None:
        return MATH[0]
    if value not in MATH:
        raise UsageError(f"unknown math output '{value}'; expected {one_of(MATH)}")
    return value


def sizes_from_options(derived: Derived, options: dict[str, Any]) -> dict[str, int]:
    """Sizes from options: input-size, hidden-size, proj-size, or any of the cell's sizes by name (`sizes:
    "k=3, n=20"` is read too). UsageError for a size the cell lacks, a non-integer, or a broken size rule."""
    cell = derived.cell
    pairs = [(k, v) for k, v in options.items() if k != "sizes"]
    for item in str(options.get("sizes") or "").replace(",", " ").split():
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"sizes expects NAME=VALUE items, got '{item}'")
        pairs.append((name.strip(), value))
    sizes: dict[str, int] = {}
    for key, value in pairs:
        name = (SIZE_OPTIONS[key] or cell.input_size) if key in SIZE_OPTIONS else key
        if name not in cell.sizes:
            raise UsageError(f"cell '{cell.name}' has no size '{name}'; expected {one_of(list(cell.sizes) + list(SIZE_OPTIONS))}")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise UsageError(f"size {key} must be a positive integer, got '{value}'") from None
        if name in sizes and sizes[name] != number:  # rglru reads an input of its hidden size n: -m 4 -n 6 disagree
            raise UsageError(f"cell '{cell.name}' reads an input of size '{name}', its own '{name}': {key} = {number} and "
                             f"{name} = {sizes[name]} disagree; give one of them")
        sizes[name] = number
    cell.size_rules.check(sizes)
    return sizes


# -- LaTeX -----------------------------------------------------------------------------------------
def _aligned(rows: list[dict[str, str]]) -> str:
    """align-style rows (lhs &= rhs \\\\), one per line, as the documents' templates write them."""
    return "\n".join(f"{row['lhs']} &{row['op']} {row['rhs']}{row['sep']}" for row in rows)


def equations_latex(derived: Derived) -> str:
    """The forward equations as the body of an aligned block (the write-up's rows)."""
    return _aligned(cell_context(derived)["equation_rows"])


def gradient_latex(derived: Derived) -> list[tuple[str, str]]:
    """The one-step backward equations: (section title, aligned body) for each section that has equations."""
    return [(section["title"], _aligned(section["rows"]))
            for section in cell_context(derived)["gradients"]["sections"] if section["rows"]]


def parameter_rows(derived: Derived, sizes: dict[str, int] | None = None) -> dict[str, Any]:
    """The parameter table: rows (name, LaTeX of name, shape and entries, role, entries at `sizes` or None) and
    the total (the paper count, factored, and its value at `sizes`). Sizes that miss one a count needs fail."""
    n, cell = notation(derived), derived.cell
    ctx = cell_context(derived)
    total = derived.cell.parameter_count()
    rows = [{"name": p.name, "latex": view["latex"], "shape_latex": view["shape_latex"],
             "count_latex": sympy.latex(p.size()), "role": view["role"],
             "value": f"{evaluate(cell, p.size(), sizes):,}" if sizes else None}
            for p, view in zip(cell.parameters, ctx["parameters"])]
    return {"rows": rows, "total_latex": sympy.latex(factored(total)),
            "total_value": f"{evaluate(cell, total, sizes):,}" if sizes else None,
            "sizes_text": ", ".join(f"{k} = {v}" for k, v in (sizes or {}).items()),
            "names": names_mathml(derived, n), "math": parameters_mathml(derived, n),
            "total_math": count_mathml(derived, factored(total), n)}


def diagram_svg(derived: Derived, item: str = "diagram") -> str:
    """A diagram as SVG to inline in HTML (no XML prolog): 'diagram' (data flow) or 'gradient-diagram'."""
    return str(inline_svg(render_dot(diagram_dot(derived, DIAGRAMS[item]), "svg")))


def latex_display(derived: Derived, show: Iterable[str]) -> str | None:
    """The math items of `show` as display LaTeX ($$\\begin{aligned}...$$), or None when it shows no math."""
    blocks = []
    for item in show:
        if item == "equations":
            blocks.append(equations_latex(derived))
        elif item == "gradient":
            blocks += [body for _, body in gradient_latex(derived)]
    return "\n".join(f"$$\\begin{{aligned}}\n{body}\n\\end{{aligned}}$$" for body in blocks) or None


# -- HTML --------------------------------------------------------------------------------------------
def html(derived: Derived, show: Iterable[str], sizes: dict[str, int] | None = None, math: str = "mathml") -> str:
    """The items of `show` as one HTML fragment (templates/embed.html.j2): math as MathML, or as LaTeX
    between \\[ \\] and \\( \\) for MathJax/KaTeX; diagrams as inline SVG."""
    show = parse_show(list(show))
    parts: dict[str, Any] = {}
    for item in show:
        if item == "equations":
            parts[item] = (Markup(equations_html(derived)) if math == "mathml"
                           else [f"\\[\\begin{{aligned}}\n{equations_latex(derived)}\n\\end{{aligned}}\\]"])
        elif item == "gradient":
            parts[item] = ([{"title": s["title"], "math": s["math"]} for s in gradient_sections(derived) if s["math"]]
                           if math == "mathml" else
                           [{"title": title, "math": [f"\\[\\begin{{aligned}}\n{body}\n\\end{{aligned}}\\]"]}
                            for title, body in gradient_latex(derived)])
        elif item == "parameters":
            parts[item] = parameter_rows(derived, sizes)
        else:
            parts[item] = Markup(diagram_svg(derived, item))
    return environment("html").get_template("embed.html.j2").render(
        name=derived.cell.name, title=derived.cell.title, show=show, parts=parts, math=math)


class Shown:
    """Some pieces of a cell, for a notebook: IPython and Jupyter call the _repr_*_ methods (no import needed)."""

    def __init__(self, derived: Derived, show: Iterable[str] | str | None = None, sizes: dict[str, int] | None = None) -> None:
        self.derived = derived
        self.show = parse_show(show)
        self.sizes = sizes_from_options(derived, sizes or {})

    def __repr__(self) -> str:
        return f"<lstmsym {self.derived.cell.name}: {', '.join(self.show)}>"

    def _repr_html_(self) -> str:
        return html(self.derived, self.show, self.sizes)

    def _repr_latex_(self) -> str | None:
        return latex_display(self.derived, self.show)

    def _repr_svg_(self) -> str | None:
        diagrams = [item for item in self.show if item in DIAGRAMS]
        return diagram_svg(self.derived, diagrams[0]) if diagrams else None

    def _repr_mimebundle_(self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None) -> dict[str, str]:
        """text/plain and text/html always; text/latex when it shows math; image/svg+xml when it shows a diagram."""
        bundle = {"text/plain": repr(self), "text/html": self._repr_html_(), "text/latex": self._repr_latex_(),
                  "image/svg+xml": self._repr_svg_()}
        return {k: v for k, v in bundle.items() if v is not None and (not include or k in include)
                and (not exclude or k not in exclude)}
